# SPDX-License-Identifier: MIT
# Shared by the integration scripts (sourced, after tests/lib/mock.sh): start and stop
# tests/net/hostile_server.py, the loopback server that misbehaves on purpose.
hostile_pid=
n_hostile=0

stop_hostile() {
    if [ -n "$hostile_pid" ]; then
        kill "$hostile_pid" 2>/dev/null
        wait "$hostile_pid" 2>/dev/null
    fi
    hostile_pid=
}

# start_hostile CASE [ARGS...]: a server playing CASE on a free port; sets $hurl
# (http://127.0.0.1:PORT/v1) and a fresh request log in $tmp/requests.
start_hostile() {
    stop_hostile
    : >"$tmp/requests"
    # A file per server: the shell starts the next one before it truncates its output, and
    # the last one's first line must not be read for it.
    n_hostile=$((n_hostile + 1))
    first="$tmp/hostile.out.$n_hostile"
    python3 "$here/net/hostile_server.py" --case "$@" --log "$tmp/requests" >"$first" \
        2>"$tmp/hostile.err" &
    hostile_pid=$!
    hurl=
    tries=0
    while [ -z "$hurl" ] && [ "$tries" -lt 50 ]; do
        hurl=$(sed -n 's/^hostile listening on //p' "$first" 2>/dev/null)
        [ -n "$hurl" ] || { sleep 0.1; tries=$((tries + 1)); }
    done
    [ -n "$hurl" ] || { echo "not ok hostile server start: $(cat "$tmp/hostile.err")"; exit 1; }
}
