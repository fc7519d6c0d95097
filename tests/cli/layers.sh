#!/bin/sh
# SPDX-License-Identifier: MIT
# The shape of the code as design.md 7 draws it, checked on the source and the binaries: net/
# includes no gfx/, cli/ or ui/ header and calls nothing there; easel links no drawing or
# server library (easel-mock alone does); and easel-mock, run as easel's child, never
# outlives easel (SIGKILL, SIGTERM, quitting) (issue 18).
: "${EASEL:?set EASEL to the easel binary}"
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "$(dirname "$EASEL")" && pwd)
tmp=$(mktemp -d)
sock=layers-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

ok() { echo "ok layers $1"; }
not_ok() { echo "not ok layers $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

# ---- includes and calls -------------------------------------------------------------------
# gfx's headers: include/easel/X.h for every src/gfx/X.c, and gfx*.h; cli's and ui's by name.
gfx_headers=$(for c in "$root"/src/gfx/*.c; do b=$(basename "$c" .c); \
    [ -f "$root/include/easel/$b.h" ] && echo "$b"; done; echo gfx; echo gfx_protocol)
pattern=$(printf '%s\n' $gfx_headers cli ui | sed 's/.*/easel\/&\\.h/' | paste -sd'|')
hits=$(grep -rnE "#include \"($pattern|\\.\\./(gfx|cli|ui)/[^\"]*)\"" "$root/src/net" 2>/dev/null)
why="$hits"
check "net/ includes no gfx/, cli/ or ui/ header" [ -z "$hits" ]

# Calls, from the objects: no symbol net/ needs is defined in gfx/, cli/ or ui/.
if command -v nm >/dev/null 2>&1 && ls "$build"/src/net/*.o >/dev/null 2>&1; then
    nm -g --defined-only "$build"/src/gfx/*.o "$build"/src/cli/*.o "$build"/src/ui/*.o 2>/dev/null |
        awk 'NF == 3 { print $3 }' | sort -u >"$tmp/above"
    nm -u "$build"/src/net/*.o 2>/dev/null | awk '{ print $NF }' | sort -u >"$tmp/needed"
    calls=$(comm -12 "$tmp/above" "$tmp/needed" | paste -sd' ')
    why="net/ calls $calls"
    check "net/ calls nothing in gfx/, cli/ or ui/" [ -z "$calls" ]
else
    ok "net/ calls nothing in gfx/, cli/ or ui/ # SKIP no objects or nm"
fi

# ---- what each program links ----------------------------------------------------------------
heavy='cairo|fontconfig|freetype|pixman|libX|libxcb|microhttpd'
ldd "$EASEL" >"$tmp/ldd-easel" 2>&1
why=$(grep -E "$heavy" "$tmp/ldd-easel" | awk '{ print $1 }' | paste -sd' ')
check "easel links no drawing or server library" sh -c "! grep -qE '$heavy' '$tmp/ldd-easel'"
# libcurl and its tree, and libcrypto, are loaded at their first use (src/net/curl_lazy.c,
# src/core/crypto_lazy.c), not at start: `easel show` and the other commands that never reach
# a server or hash a file do not pay for them.
why=$(grep -E 'libcurl|gnutls|krb5|ldap|libcrypto' "$tmp/ldd-easel" | awk '{ print $1 }' |
    paste -sd' ')
check "easel does not load libcurl or libcrypto at start" \
    sh -c "! grep -qE 'libcurl|gnutls|libcrypto' '$tmp/ldd-easel'"
ldd "$build/easel-mock" >"$tmp/ldd-mock" 2>&1
why=$(cat "$tmp/ldd-mock" | head -c 300)
check "easel-mock links cairo and libmicrohttpd" sh -c "grep -q cairo '$tmp/ldd-mock' &&
    grep -q microhttpd '$tmp/ldd-mock'"

# ---- the child never outlives easel -----------------------------------------------------------
# mock_of PID: the pid of PID's easel-mock child, waited for up to 15 s.
mock_of() {
    i=0
    while [ $i -lt 150 ]; do
        child=$(ps -o pid=,comm= --ppid "$1" 2>/dev/null | awk '$2 == "easel-mock" { print $1 }')
        [ -n "$child" ] && { echo "$child"; return 0; }
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# gone_within PID TENTHS: PID ended (or is a zombie nobody reaped yet) within TENTHS/10 s.
gone_within() {
    i=0
    while [ $i -le "$2" ]; do
        st=$(ps -o stat= -p "$1" 2>/dev/null)
        case $st in '' | Z*) return 0 ;; esac
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# workbench NAME: `easel --offline` in a detached tmux pane; sets $pid to easel's, as
# new-session tells it (a second command could come after a quick exit closed the pane).
workbench() {
    home="$tmp/home.$1"
    mkdir -p "$home"
    pid=$(tmux -L "$sock" new-session -d -P -F '#{pane_pid}' -s "$1" -x 100 -y 30 \
        "exec env LC_ALL=C.UTF-8 TERM=screen-256color HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache '$EASEL' --offline 2>$tmp/$1.err")
}

if ! command -v tmux >/dev/null 2>&1; then
    ok "the child ends with the workbench # SKIP tmux is not installed"
else
    # KILL leaves easel no say (PR_SET_PDEATHSIG ends the child); the others go through
    # easel's own way out, once the workbench is up.
    # A session that outlives the loop: when the last pane closed, the tmux server would exit
    # and the next new-session could meet it on its way out.
    tmux -L "$sock" new-session -d -s keep 'sleep 600'
    for how in KILL TERM INT HUP quit; do
        workbench "wb$how"
        child=$(mock_of "$pid")
        if [ -z "$child" ]; then
            not_ok "the child ends when the workbench gets $how" "no easel-mock child of $pid ($(cat "$tmp/wb$how.err"))"
            continue
        fi
        [ "$how" = KILL ] || sleep 1
        if [ "$how" = quit ]; then
            tmux -L "$sock" send-keys -t "wb$how" C-q
        else
            kill -s "$how" "$pid"
        fi
        tenths=10
        why="easel-mock $child still runs $((tenths / 10)) s after easel's $how"
        check "the child ends when the workbench gets $how" gone_within "$child" $tenths
        kill -9 "$child" 2>/dev/null
    done
fi

# easel mock in the foreground: SIGKILL to easel takes easel-mock with it.
"$EASEL" mock --port 0 --quiet >"$tmp/mock-first" 2>"$tmp/mock-err" &
mpid=$!
child=$(mock_of "$mpid")
kill -9 "$mpid" 2>/dev/null
wait "$mpid" 2>/dev/null
if [ -n "$child" ] && gone_within "$child" 10; then
    ok "easel mock's child ends with it"
else
    not_ok "easel mock's child ends with it" "easel-mock ${child:-(none)} outlived a SIGKILLed easel mock"
    [ -z "$child" ] || kill -9 "$child" 2>/dev/null
fi

# An easel without easel-mock beside it (nor in LIBEXECDIR) says where it looked.
mkdir -p "$tmp/alone"
cp "$EASEL" "$tmp/alone/easel"
env -i PATH="$PATH" HOME="$tmp/alone" XDG_DATA_HOME="$tmp/alone/data" \
    XDG_CONFIG_HOME="$tmp/alone/config" XDG_CACHE_HOME="$tmp/alone/cache" \
    "$tmp/alone/easel" generate --offline "a boat" >"$tmp/alone.out" 2>"$tmp/alone.err"
rc=$?
why="rc=$rc: $(cat "$tmp/alone.err")"
check "a missing easel-mock is named with where easel looked" sh -c "[ $rc -ne 0 ] &&
    grep -q 'easel-mock is missing: looked in $tmp/alone and ' '$tmp/alone.err'"
