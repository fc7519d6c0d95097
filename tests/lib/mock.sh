# SPDX-License-Identifier: MIT
# Shared by the integration scripts (sourced): start and stop `easel mock` with faults, and
# report results as "ok NAME" / "not ok NAME: why" lines that tests/run-integration.sh counts.
: "${EASEL:?set EASEL to the easel binary}"

mock_pid=
mock_count=0

# start_mock ARGS...: a mock on a free port; sets $url (http://127.0.0.1:PORT/v1).
start_mock() {
    stop_mock
    mock_count=$((mock_count + 1))
    # A file per mock, so the previous mock's first line is never read for this one.
    first="$tmp/mock-first-line.$mock_count"
    "$EASEL" mock --port 0 --quiet "$@" >"$first" 2>"$tmp/mock-stderr" &
    mock_pid=$!
    url=
    tries=0
    while [ -z "$url" ] && [ "$tries" -lt 50 ]; do
        url=$(sed -n 's/^easel mock listening on //p' "$first" 2>/dev/null)
        [ -n "$url" ] || { sleep 0.1; tries=$((tries + 1)); }
    done
    [ -n "$url" ] || { echo "not ok mock start: no first line ($(cat "$tmp/mock-stderr"))"; exit 1; }
}

stop_mock() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null
        wait "$mock_pid" 2>/dev/null
        mock_pid=
    fi
}

# all 'CONDITION' ...: true when every condition (shell text, evaluated here) holds; for
# checks of several conditions, so that none of them is left outside the check.
all() {
    for condition in "$@"; do
        eval "$condition" || return 1
    done
}

# terminal_safe FILE...: no file holds a control byte (C0 but newline, DEL, C1 as
# UTF-8) or a bidi control: nothing that could drive or reorder a terminal.
terminal_safe() {
    for f; do
        LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$f" && return 1
        LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$f" && return 1
        LC_ALL=C grep -q "$(printf '\342\200[\252-\256]')" "$f" && return 1
        LC_ALL=C grep -q "$(printf '\342\201[\246-\251]')" "$f" && return 1
    done
    return 0
}

# session_dir_named NAME: the folder of the session named NAME under $XDG_DATA_HOME.
session_dir_named() {
    for d in "$XDG_DATA_HOME"/easel/sessions/*/; do
        grep -q "\"name\": \"$1\"" "$d/session.json" && echo "${d%/}"
    done
}
