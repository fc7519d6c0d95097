#!/bin/sh
# SPDX-License-Identifier: MIT
# Typing in the workbench (issue 17, item 5), by scripted keys with screen dumps: C-o inserts
# a newline as M-Enter does (the hint names both); C-x C-k clears the prompt and C-_ brings it
# back; a size typed with blanks ("1024 x 1536 ") is taken as 1024x1536. The 8-bit meta
# encoding of Alt-Enter in a real xterm is xterm_newline.sh's.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR
: "${EASEL:?set EASEL to the easel binary}"

ok() { echo "ok ui-typing $1"; }
not_ok() { echo "not ok ui-typing $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

ui() {
    home="$tmp/home.$1" # each run its own: the prompt left is the session's draft
    printf '%s' "$3" >"$tmp/$1.keys"
    XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        EASEL_UI_SIZE="$2" EASEL_UI_SCRIPT="$tmp/$1.keys" timeout 60 "$EASEL" >"$tmp/$1.screen" 2>"$tmp/$1.err"
    rc=$?
}
has() { grep -qF -- "$2" "$tmp/$1"; }

ui newline 100x30 "first line<C-o>second line<dump $tmp/two-lines><C-x><C-k><dump $tmp/cleared><C-_><dump $tmp/back><Tab>"
why=$(grep -n 'line' "$tmp/two-lines")
check "C-o inserts a newline" sh -c "grep -q '│first line  *│' '$tmp/two-lines' && grep -q '│second line  *│' '$tmp/two-lines'"
why=$(grep -n 'line\|Prompt' "$tmp/cleared"; tail -n 1 "$tmp/cleared")
check "C-x C-k clears the prompt" sh -c "! grep -q 'first line' '$tmp/cleared' && grep -q ' 0/32000 ' '$tmp/cleared'"
why=$(grep -n 'line' "$tmp/back")
check "C-_ brings it back" sh -c "grep -q '│first line  *│' '$tmp/back' && grep -q '│second line  *│' '$tmp/back'"
ui hint 100x30 "<Tab>"
why=$(grep -n 'describe' "$tmp/hint.screen")
check "the hint names the newline keys" has hint.screen "describe the picture; Enter sends, C-o or M-Enter a new line"

# A size with blanks, typed into the parameter panel (size is its second line).
ui size 100x30 "<Tab><Down><Enter> 1024 x 1536 <Enter>"
why=$(grep -n 'size' "$tmp/size.screen"; tail -n 1 "$tmp/size.screen")
check "a size typed with blanks is trimmed" sh -c "grep -q 'size *1024x1536' '$tmp/size.screen' && ! grep -qi 'invalid\|not a size' '$tmp/size.screen'"
