#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel show --protocol X` writes each protocol's picture to a pipe (not a terminal), inside
# the box the options give; bad arguments exit 2.
: "${EASEL:?set EASEL to the easel binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { echo "ok show $1"; }
not_ok() { echo "not ok show $1: $2"; }

# A test picture from the offline backend, as a user would have one from a generation.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/mock.sh"
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
start_mock
png="$tmp/in.png"
curl -sS -H 'content-type: application/json' \
    -d '{"model":"gpt-image-2","prompt":"a red kite over green hills","size":"1024x1024"}' \
    "$url/images/generations" | sed 's/.*"b64_json":"\([^"]*\)".*/\1/' | base64 -d >"$png" 2>/dev/null
stop_mock
[ -s "$png" ] || { echo "not ok show: no test picture from the mock"; exit 1; }

for p in blocks sixel kitty iterm; do
    "$EASEL" show --protocol "$p" --cols 10 --rows 5 --cell 8x16 "$png" 2>"$tmp/$p.err" | cat >"$tmp/$p.out"
    rc=$(wc -c <"$tmp/$p.err")
    if [ "$rc" -ne 0 ] || [ ! -s "$tmp/$p.out" ]; then
        not_ok "$p to a pipe" "rc=$rc $(cat "$tmp/$p.err")"
        continue
    fi
    case $p in
        blocks) grep -q "$(printf '\342\226')" "$tmp/$p.out" || grep -q "$(printf '\033\\[48;2;')" "$tmp/$p.out" ;;
        sixel) grep -q "$(printf '\033P0;0;0q"1;1;')" "$tmp/$p.out" ;;
        kitty) grep -q "$(printf '\033_Ga=T,')" "$tmp/$p.out" ;;
        iterm) grep -q "$(printf '\033]1337;File=inline=1;')" "$tmp/$p.out" ;;
    esac && ok "$p to a pipe" || not_ok "$p to a pipe" "no $p sequence in the output"
done

# The box: 80x40 cells of 8x16 is 640x640, whatever the picture's own size (1024x1024 here).
"$EASEL" show --protocol kitty --cols 80 --rows 40 --cell 8x16 "$png" >"$tmp/box.out"
grep -q 's=640,v=640' "$tmp/box.out" && ok "80x40 cells of 8x16 draw at 640x640" \
    || not_ok "80x40 cells of 8x16 draw at 640x640" "$(head -c 80 "$tmp/box.out" | od -c | head -2)"

# Not a terminal, no --protocol: blocks, under a TERM that takes them (TERM=dumb or unset gets
# text: tests/cli/terminals.sh).
TERM=xterm-256color "$EASEL" show "$png" >"$tmp/default.out"
grep -q "$(printf '\033\\[')" "$tmp/default.out" && ! grep -q "$(printf '\033_G')" "$tmp/default.out" \
    && ok "blocks by default on a pipe" || not_ok "blocks by default on a pipe" "unexpected output"

# tmux wrapping is applied per sequence.
"$EASEL" show --protocol kitty --wrap tmux --cols 10 --rows 5 "$png" >"$tmp/tmux.out"
grep -q "$(printf '\033Ptmux;\033\033_G')" "$tmp/tmux.out" && ok "tmux wrapping" || not_ok "tmux wrapping" "no ESC Ptmux; ESC ESC _G"

"$EASEL" show --protocol bogus "$png" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "unknown protocol exits 2" || not_ok "unknown protocol exits 2" "rc=$rc"
"$EASEL" show --protocol sixel "$tmp/missing.png" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q missing.png "$tmp/err" && ok "missing file exits 2 and names it" \
    || not_ok "missing file exits 2 and names it" "rc=$rc $(cat "$tmp/err")"
"$EASEL" show --help | grep -q -- '--cell WxH' && ok "--help" || not_ok "--help" "no usage"

# A huge box (issue 18) is capped at a 4K screen's area, never scaled into gigabytes: every
# protocol draws it without a crash and under 200 MB at the peak (GNU time's %M, in KB). It
# used to crash inside the resizer at 39996x39996.
# AddressSanitizer keeps freed memory in quarantine and adds its shadow: its builds get 3x.
limit_kb=200000
ldd "$EASEL" 2>/dev/null | grep -q libasan && limit_kb=600000
if [ -x /usr/bin/time ]; then
    for p in sixel kitty iterm blocks; do
        /usr/bin/time -f '%M' -o "$tmp/huge.$p.mem" "$EASEL" show --protocol "$p" --cols 5000 \
            --rows 2500 "$png" >"$tmp/huge.out" 2>"$tmp/huge.err"
        rc=$? kb=$(tail -n 1 "$tmp/huge.$p.mem")
        if [ "$rc" -eq 0 ] && [ -s "$tmp/huge.out" ] && [ "$kb" -lt "$limit_kb" ]; then
            ok "$p --cols 5000 --rows 2500 is capped ($kb KB at the peak)"
        else
            not_ok "$p --cols 5000 --rows 2500 is capped" "exit $rc, $kb KB, $(head -c 200 "$tmp/huge.err")"
        fi
    done
    "$EASEL" show --protocol kitty --cols 5000 --rows 2500 "$png" >"$tmp/huge.out"
    size=$(grep -ao 's=[0-9]*,v=[0-9]*' "$tmp/huge.out" | head -n 1 | tr -dc '0-9,' | tr ',' ' ')
    set -- $size
    [ -n "$size" ] && [ $(($1 * $2)) -le $((3840 * 2160)) ] && [ "$1" -eq "$2" ] &&
        ok "a huge box keeps the picture's shape at a 4K screen's area ($1x$2)" ||
        not_ok "a huge box keeps the picture's shape at a 4K screen's area" "s,v = $size"
else
    echo "ok show huge box # skip: no GNU time"
fi
