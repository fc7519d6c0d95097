#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 16 item 2, terminals that cannot: under TERM=dumb, an unset TERM or a type whose
# terminfo has no cursor addressing, no command writes an escape byte (no query, picture, SGR
# or progress line), even on a terminal; the workbench says why it does not start; a pipe never
# gets colour or progress; `easel doctor > file` reports the terminal it was run from.
: "${EASEL:?set EASEL to the easel binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { echo "ok terminals $1"; }
not_ok() { echo "not ok terminals $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
unset NO_COLOR OPENAI_API_KEY OPENAI_BASE_URL EASEL_GRAPHICS
esc=$(printf '\033')
no_esc() { ! LC_ALL=C grep -q "$esc" "$@"; }
# on_tty TERM CMD: runs CMD (shell text) with stdin, stdout and stderr on a pseudo-terminal.
on_tty() { TERM=$1 timeout 20 script -qec "$2" /dev/null </dev/null; }

# A terminfo entry without cursor addressing (a glass tty), compiled into a private folder.
printf 'nocup|a terminal without cursor addressing,\n\tcols#80, lines#24, bel=^G, cr=\\r,\n' \
    >"$tmp/nocup.src"
tic -o "$tmp/terminfo" "$tmp/nocup.src" 2>/dev/null || { echo "not ok terminals: tic failed"; exit 1; }

"$EASEL" generate --offline --api images -S t -o "$tmp/x.png" "a kite" >/dev/null 2>&1 \
    || { echo "not ok terminals: no test picture from the offline backend"; exit 1; }

# ---- easel show -------------------------------------------------------------------------
for how in dumb unset nocup; do
    case $how in
        dumb) TERM=dumb "$EASEL" show "$tmp/x.png" >"$tmp/out" 2>"$tmp/err" ;;
        unset) env -u TERM "$EASEL" show "$tmp/x.png" >"$tmp/out" 2>"$tmp/err" ;;
        nocup) TERMINFO="$tmp/terminfo" TERM=nocup "$EASEL" show "$tmp/x.png" >"$tmp/out" 2>"$tmp/err" ;;
    esac
    rc=$?
    why="rc=$rc $(od -c "$tmp/out" | head -3) $(cat "$tmp/err")"
    check "show under TERM $how: no escape byte, the size as text" \
        eval '[ "$rc" -eq 0 ] && no_esc "$tmp/out" "$tmp/err" && grep -q "1024x1024" "$tmp/out"'
done
on_tty dumb "'$EASEL' show '$tmp/x.png'" >"$tmp/out" 2>&1
why=$(od -c "$tmp/out" | head -3)
check "show on a terminal under TERM=dumb: no query, no picture" no_esc "$tmp/out"
# The documented exceptions stay: --protocol forces a picture; a capable TERM on a pipe gets
# blocks (the picture is what show outputs).
TERM=dumb "$EASEL" show --protocol blocks --cols 10 --rows 5 "$tmp/x.png" >"$tmp/out" 2>&1
why=$(head -c 60 "$tmp/out" | od -c | head -2)
check "show --protocol blocks draws under TERM=dumb" grep -q "$esc\\[" "$tmp/out"
TERM=xterm-256color "$EASEL" show --cols 10 --rows 5 "$tmp/x.png" >"$tmp/out" 2>&1
check "show on a pipe under a capable TERM draws blocks" grep -q "$esc\\[" "$tmp/out"

# ---- easel log and generate: colour and progress -----------------------------------------
on_tty xterm-256color "'$EASEL' log t" >"$tmp/log-xterm" 2>&1
why="no colour on a capable terminal (the check below would prove nothing)"
check "log colours a capable terminal" grep -q "$esc\\[1m" "$tmp/log-xterm"
for t in dumb nocup; do
    TERMINFO="$tmp/terminfo" on_tty "$t" "'$EASEL' log t" >"$tmp/out" 2>&1
    why=$(grep -a "$esc" "$tmp/out" | head -2 | od -c | head -3)
    check "log under TERM=$t on a terminal: no SGR" eval 'no_esc "$tmp/out" && grep -q "turn 1" "$tmp/out"'
done
TERM=xterm-256color "$EASEL" log t >"$tmp/out" 2>&1
check "log on a pipe: no colour" no_esc "$tmp/out"

on_tty xterm-256color "'$EASEL' generate --offline --api images -S t 'a hare'" >"$tmp/gen-xterm" 2>&1
why="no progress line on a capable terminal"
check "generate draws progress on a capable terminal" grep -q "$(printf '\r')$esc\\[K" "$tmp/gen-xterm"
on_tty dumb "'$EASEL' generate --offline --api images -S t 'a hare'" >"$tmp/out" 2>&1
why=$(od -c "$tmp/out" | grep -m2 '033')
check "generate under TERM=dumb on a terminal: no progress line" \
    eval 'no_esc "$tmp/out" && grep -q "saved" "$tmp/out"'
on_tty dumb "'$EASEL' generate --offline --api images -S t --preview 'a hare'" >"$tmp/out" 2>&1
check "generate --preview under TERM=dumb: no picture" no_esc "$tmp/out"
TERM=xterm-256color "$EASEL" generate --offline --api images -S t "a hare" 2>&1 | cat >"$tmp/out"
check "generate | cat: no escape byte" no_esc "$tmp/out"

# ---- The workbench says why it does not start ------------------------------------------
for t in dumb nocup; do
    TERMINFO="$tmp/terminfo" on_tty "$t" "'$EASEL'; echo rc=\$?" >"$tmp/out" 2>&1
    why=$(cat "$tmp/out")
    check "workbench under TERM=$t refuses with the reason" \
        eval 'grep -q "cursor addressing" "$tmp/out" && grep -q "TERM=$t" "$tmp/out" && grep -q "rc=2" "$tmp/out" && no_esc "$tmp/out"'
done
env -u TERM timeout 20 script -qec "'$EASEL'; echo rc=\$?" /dev/null </dev/null >"$tmp/out" 2>&1
why=$(cat "$tmp/out")
check "workbench with TERM unset refuses with the reason" \
    eval 'grep -q "TERM is not set" "$tmp/out" && grep -q "rc=2" "$tmp/out"'

# ---- doctor > file reports the terminal it was run from ------------------------------------
on_tty xterm-256color "'$EASEL' doctor > '$tmp/doctor'" >/dev/null 2>&1
why=$(sed -n '/terminal graphics/,/^$/p' "$tmp/doctor")
check "doctor > file asks the controlling terminal" \
    eval '! grep -q "not a terminal" "$tmp/doctor" && grep -q "TERM=xterm-256color" "$tmp/doctor"'
on_tty dumb "'$EASEL' doctor > '$tmp/doctor'" >"$tmp/out" 2>&1
why=$(grep -A1 protocol "$tmp/doctor")
check "doctor under TERM=dumb says so and asks nothing" \
    eval 'grep -q "TERM=dumb" "$tmp/doctor" && no_esc "$tmp/out"'
exit 0
