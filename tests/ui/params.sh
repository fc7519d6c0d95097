#!/bin/sh
# SPDX-License-Identifier: MIT
# The parameter panel (issue 17, item 6), by scripted keys with screen dumps: the first ▶
# changes what is shown (a value left alone shows as "(auto)", the same value chosen as
# "auto"); a whole cycle shows no value twice; a long value never runs under the ◀▶ marks at
# any width; the hints name the panel's keys, never a command-line flag.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR
: "${EASEL:?set EASEL to the easel binary}"

ok() { echo "ok ui-params $1"; }
not_ok() { echo "not ok ui-params $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

ui() {
    home="$tmp/home.$1"
    printf '%s' "$3" >"$tmp/$1.keys"
    XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        EASEL_UI_SIZE="$2" EASEL_UI_SCRIPT="$tmp/$1.keys" timeout 60 "$EASEL" >"$tmp/$1.screen" 2>"$tmp/$1.err"
}
# The panel's line of a parameter: its value, the border and marks left out.
line_of() { grep -o "│ $2 .*│" "$1" | head -n 1; }
value_of() { line_of "$1" "$2" | sed "s/^│ $2  *//; s/ *◀▶ *│\$//; s/ *│\$//"; }

# From size (the parameters' second line), one ▶ at a time through a whole cycle (9 sizes and
# the default), a dump after each.
keys="<Tab><Down><dump $tmp/size0>"
k=1
while [ $k -le 10 ]; do keys="$keys<Right><dump $tmp/size$k>"; k=$((k + 1)); done
ui cycle 100x30 "$keys"
why="$(line_of "$tmp/size0" size) then $(line_of "$tmp/size1" size)"
check "the first ▶ changes what is shown" [ "$(line_of "$tmp/size0" size)" != "$(line_of "$tmp/size1" size)" ]
check "a value left alone looks unlike the same value chosen" sh -c "[ '$(value_of "$tmp/size0" size)' = '(auto)' ] && [ '$(value_of "$tmp/size1" size)' = 'auto' ]"
seen=$(k=0; while [ $k -le 9 ]; do value_of "$tmp/size$k" size; k=$((k + 1)); done)
why=$(echo "$seen" | tr '\n' ',')
check "a cycle shows no value twice" sh -c "[ \$(echo '$seen' | sort -u | wc -l) -eq 10 ]"
check "and comes back to the start" [ "$(value_of "$tmp/size10" size)" = "(auto)" ]

# A long value typed for model, at several widths: the ◀▶ marks stay whole at the right.
long=gpt-image-with-a-very-long-model-name-typed-by-hand
for width in 80 100 120 160 200; do
    ui "long$width" "${width}x30" "<Tab><Enter>$long<Enter>"
    l=$(line_of "$tmp/long$width.screen" model)
    why="at $width columns: $l"
    marks_whole() { echo "$l" | grep -q '… *◀▶ │$'; }
    check "a long value leaves the marks whole at $width columns" marks_whole
done

# The rules' messages name the panel's keys: count 2 on the Responses API.
ui hint 100x30 "<Tab><Down><Down><Down><Right><Right>"
why=$(sed -n 17,24p "$tmp/hint.screen" | cut -c68-)
# The panel's text, its lines joined (it wraps).
joined() { sed 's/.*││ //; s/ *│$//' "$1" | tr '\n' ' ' | tr -s ' '; }
keys_named() { joined "$tmp/hint.screen" | grep -q 'set api to images' && ! joined "$tmp/hint.screen" | grep -q -- '--api'; }
check "the hints name the panel's keys" keys_named
ui help 100x30 "<Tab><Down>"
why=$(sed -n 19,24p "$tmp/help.screen" | cut -c68-)
check "the help line names the keys" sh -c "tr -d '│\n' <'$tmp/help.screen' | tr -s ' ' | grep -q 'Left/Right steps, Enter types, d: default'"
