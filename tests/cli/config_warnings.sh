#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 16 item 3: config mistakes are said where they bite. An unknown key, a value its key
# does not take and an api_key refused for the file's mode are warned about on stderr by every
# command, once each, with the line; on the workbench's status line at start; doctor reports
# them in its report, not on stderr.
: "${EASEL:?set EASEL to the easel binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { echo "ok config-warnings $1"; }
not_ok() { echo "not ok config-warnings $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR
mkdir -p "$tmp/config/easel"
cfg="$tmp/config/easel/config"
printf '# a comment\nmodle = gpt-image-2\npartials = 9\napi_key = sk-not-used\nbackground = maybe\n' >"$cfg"
chmod 0644 "$cfg"

# once FILE TEXT: TEXT is on exactly one line of FILE.
once() { [ "$(grep -cF -- "$2" "$1")" -eq 1 ]; }
all_said() {
    once "$1" "line 2: unknown key 'modle'" && once "$1" "line 3: partials = '9' is not" &&
        once "$1" "line 4: api_key not used" && once "$1" "line 5: background = 'maybe' is not on or off"
}

"$EASEL" generate --offline --api images -S w -o "$tmp/x.png" "a kite" >/dev/null 2>"$tmp/gen.err"
why=$(cat "$tmp/gen.err")
check "generate warns with the lines" all_said "$tmp/gen.err"
"$EASEL" generate --dry-run "a kite" >/dev/null 2>"$tmp/dry.err"
why=$(cat "$tmp/dry.err")
check "generate --dry-run warns about modle with its line" once "$tmp/dry.err" "line 2: unknown key 'modle' (ignored)"

for cmd in "sessions" "log w" "show --protocol blocks --cols 4 --rows 2 $tmp/x.png" \
    "export w $tmp/out" "resume w" "sessions --json"; do
    # shellcheck disable=SC2086
    "$EASEL" $cmd >/dev/null 2>"$tmp/err"
    why=$(cat "$tmp/err")
    check "easel ${cmd%% *} warns once with the lines" all_said "$tmp/err"
done

"$EASEL" doctor >"$tmp/doctor" 2>"$tmp/doctor.err"
why="stderr: $(cat "$tmp/doctor.err")"
check "doctor reports them, not on stderr" \
    eval '[ ! -s "$tmp/doctor.err" ] && grep -qF "unknown key '"'modle'"'" "$tmp/doctor"'

# A clean file: nothing said.
printf 'model = gpt-image-2\npartials = 2\n' >"$cfg"
"$EASEL" sessions >/dev/null 2>"$tmp/err"
why=$(cat "$tmp/err")
check "a clean config: no warning" eval '! grep -q warning "$tmp/err"'

# The workbench: on the status line at start.
printf 'partials = 2\nmodle = gpt-image-2\n' >"$cfg"
: >"$tmp/keys"
EASEL_UI_SIZE=160x30 EASEL_UI_SCRIPT="$tmp/keys" timeout 60 "$EASEL" >"$tmp/screen" 2>"$tmp/ui.err"
why="$(tail -n 3 "$tmp/screen") $(cat "$tmp/ui.err")"
check "workbench status line says it at start" grep -qF "line 2: unknown key 'modle'" "$tmp/screen"
# A key or value holding escape sequences (a config copied from elsewhere): the warning that
# quotes it, said on stderr by every command, carries no control byte.
printf 'mod\033]52;c;ZZ\007le\302\233 = x\npartials = 9\033[2J\342\200\256\n' >"$cfg"
"$EASEL" sessions >/dev/null 2>"$tmp/esc.err"
"$EASEL" doctor --json >"$tmp/esc.json" 2>&1
why="$(od -c "$tmp/esc.err" | head -4)"
check "a warning quoting escape sequences prints them sanitized" \
    sh -c '! LC_ALL=C grep -q "$(printf "\033\|\302\233\|\342\200\256")" "$1" &&
           grep -q "line 1: unknown key .mod\]52;c;ZZle" "$1" && grep -q "line 2: partials" "$1" &&
           ! LC_ALL=C grep -q "$(printf "\033")" "$2"' - "$tmp/esc.err" "$tmp/esc.json"
exit 0
