#!/bin/sh
# SPDX-License-Identifier: MIT
# The mouse in the workbench (issue 5: focus, selection, scrolling), driven by the scripted
# mode's <click C,R>, <wheel-up C,R> and <wheel-down C,R> at cells found in the screen's own
# dump, as a user aims at what is drawn. What the terminal sends for a click is tested in a real
# xterm (tests/ui/xterm_mouse.sh); this covers what each panel does with it.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR

ok() { echo "ok ui-mouse $1"; }
not_ok() { echo "not ok ui-mouse $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }
has() { grep -qF -- "$2" "$tmp/$1"; }

# ui NAME KEYS: the workbench at 120x40 on the home $home with the keys (and clicks) of KEYS;
# the final screen goes to $tmp/NAME.screen.
home="$tmp/home"
ui() {
    printf '%s' "$2" >"$tmp/$1.keys"
    XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        EASEL_UI_SIZE=120x40 EASEL_UI_SCRIPT="$tmp/$1.keys" timeout 60 "$EASEL" \
        >"$tmp/$1.screen" 2>"$tmp/$1.err"
    rc=$?
    [ "$rc" -eq 0 ] || echo "# $1 exited $rc: $(cat "$tmp/$1.err")"
}

# at FILE TEXT [DX [DY]]: "C,R" of the first cell of TEXT in the dump FILE (counted in
# characters: the dump is UTF-8 and box-drawing characters are one cell each), moved by DX
# columns and DY rows.
at() {
    python3 - "$tmp/$1" "$2" "${3:-0}" "${4:-0}" <<'EOF'
import sys
path, text, dx, dy = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for row, line in enumerate(open(path, encoding="utf-8").read().split("\n")):
    col = line.find(text)
    if col >= 0:
        print(f"{col + dx},{row + dy}")
        sys.exit(0)
print("0,0")
sys.exit(1)
EOF
}

# Three turns in one session: the history (room for two at 120x40) scrolls.
ui turns 'one fox<Enter><wait-idle>two foxes<Enter><wait-idle>three foxes<Enter><wait-idle>'
why="$(grep -n '#[0-9] ' "$tmp/turns.screen")"
check "history shows the newest turns" sh -c "has() { grep -qF -- \"\$1\" '$tmp/turns.screen'; }; has '▶#3 ' && ! has '#1 '"

# A click focuses the panel under it: its border turns heavy.
ui focus "<click $(at turns.screen 'turn 3 · image' 5 4)>"
why="$(sed -n 2p "$tmp/focus.screen")"
check "a click focuses the preview" has focus.screen "┌━ Preview ━"
check "the editor lets go of the focus" sh -c "! grep -q '━ Prompt ━' '$tmp/focus.screen'"

# The wheel over the history scrolls it by a turn, without taking the focus.
ui wheel "<wheel-up $(at turns.screen '#2 ' 5 1)>"
why="$(grep -n '#[0-9] \|Prompt' "$tmp/wheel.screen")"
check "the wheel scrolls the history" sh -c "grep -q '#1 ' '$tmp/wheel.screen' && grep -q '▶#2 ' '$tmp/wheel.screen'"
check "the wheel leaves the focus" has wheel.screen "━ Prompt ━"

# A click selects a turn; a double click opens its image in the preview (as Enter does).
ui select "<wheel-up $(at turns.screen '#2 ' 5 1)><dump $tmp/scrolled.screen><click $(at wheel.screen 'prompt: one fox' 2)>"
why="$(grep -n '#[0-9] ' "$tmp/select.screen")"
check "a click selects a turn" sh -c "grep -q '▶#1 ' '$tmp/select.screen' && grep -q '━ History' '$tmp/select.screen'"
check "a single click opens nothing" has select.screen "turn 3 · image"
c=$(at wheel.screen 'prompt: one fox' 2)
ui open "<wheel-up $(at turns.screen '#2 ' 5 1)><click $c><click $c>"
why="$(sed -n 3p "$tmp/open.screen")"
check "a double click opens the turn's image" has open.screen "turn 1 · image"

# The editor: a click puts the cursor on the character under it; below the text, at its end.
# (Its text begins a row below the title and a column right of the corner, 3 left of it.)
ui cursor "hello world<click $(at turns.screen 'Prompt' 4 1)>X"
why="$(grep -n 'hello' "$tmp/cursor.screen")"
check "a click moves the cursor in the prompt" has cursor.screen "│hello Xworld"
ui cursor-below "hello<M-Enter>world<click $(at turns.screen 'Prompt' 1 1)>Y<click $(at turns.screen 'Prompt' 30 6)>X"
why="$(grep -n 'hel\|world' "$tmp/cursor-below.screen")"
check "a click below the text goes to its end" sh -c "grep -q '│helYlo ' '$tmp/cursor-below.screen' && grep -q '│worldX ' '$tmp/cursor-below.screen'"

# The parameters: a click selects one (its ◀▶ show), a click on ▶ steps its value, a double
# click asks for a value.
q=$(at turns.screen ' quality ' 2)
ui param "<click $q>"
why="$(grep -n 'quality' "$tmp/param.screen")"
check "a click selects a parameter" sh -c "grep -q 'quality *(auto) *◀▶' '$tmp/param.screen'"
ui param-step "<click $q><click $(at param.screen '◀▶' 1)>"
why="$(grep -n 'quality' "$tmp/param-step.screen")"
check "a click on ▶ steps the value" sh -c "grep -q 'quality *low' '$tmp/param-step.screen'"
# (The value param-step left is the session's draft, back at this start: d resets it first.)
ui param-back "<click $q>d<click $(at param.screen '◀▶' 1)><click $(at param.screen '◀▶')>"
why="$(grep -n 'quality' "$tmp/param-back.screen")"
check "a click on ◀ steps it back" sh -c "grep -q 'quality *(auto)' '$tmp/param-back.screen'"
s=$(at turns.screen ' size ' 2)
ui param-edit "<click $s><click $s>"
why="$(tail -n 1 "$tmp/param-edit.screen")"
check "a double click edits a parameter" has param-edit.screen "type a value for size"
ui param-wheel "<click $q><wheel-down $q><wheel-down $q>"
why="$(grep -n '◀▶' "$tmp/param-wheel.screen")"
check "the wheel moves through the parameters" sh -c "grep -q 'format .*◀▶' '$tmp/param-wheel.screen'"

# Sessions: a click on another session (listed by its first prompt) opens it.
first=$(basename "$(ls -d "$home"/data/easel/sessions/*/ | head -n 1)")
ui second '<C-n>a second session<Enter><wait-idle>'
ui switch "<click $(at second.screen "│  one fox" 2)>"
why="$(head -n 1 "$tmp/switch.screen")"
check "a click opens a session" sh -c "head -n 1 '$tmp/switch.screen' | grep -q '$first'"
ui switch-back "<click $(at second.screen "│  one fox" 2)><click $(at switch.screen '1 turn ' 1 -1)>"
why="$(head -n 1 "$tmp/switch-back.screen")"
check "and another click the other one" sh -c "head -n 1 '$tmp/switch-back.screen' | grep -q '1 turn'"

# The help overlay: the wheel scrolls it, a click closes it.
ui help '<F1><dump '"$tmp"'/help-top.screen><wheel-down 60,20><wheel-down 60,20><dump '"$tmp"'/help-down.screen><click 60,20>'
why="$(sed -n 3p "$tmp/help-top.screen") / $(sed -n 3p "$tmp/help-down.screen")"
check "the wheel scrolls the help" sh -c "grep -q 'Keys (Esc closes)' '$tmp/help-down.screen' && ! cmp -s '$tmp/help-top.screen' '$tmp/help-down.screen'"
why="$(sed -n 2p "$tmp/help.screen")"
check "a click closes the help" sh -c "! grep -q 'Keys (Esc closes)' '$tmp/help.screen'"

# A grid (count 2, which takes the Images API): a click selects the image under it, a double
# click goes on from it. The parameters are set with the mouse: from the default, ▶ goes to
# the default's value set explicitly, then to the next one.
home="$tmp/grid"
next_col=$(at param.screen '◀▶' 1 | cut -d, -f1)
count=$(at turns.screen ' count ' 2) api=$(at turns.screen ' api ' 2)
count_next="$next_col,${count#*,}" api_next="$next_col,${api#*,}"
ui grid "<click $count><click $count_next><click $count_next><click $api><click $api_next><click $api_next><click $(at turns.screen 'Prompt' 1 1)>two boats<Enter><wait-idle>"
why="$(sed -n 3p "$tmp/grid.screen")"
check "n = 2 shows a grid" has grid.screen "2 images · [1] 2"
right=$(at turns.screen 'turn 3 · image' 40 6)
ui grid-pick "<click $right>"
why="$(sed -n 3p "$tmp/grid-pick.screen")"
check "a click selects a grid's image" has grid-pick.screen "2 images · 1 [2]"
ui grid-go "<click $right><click $right>"
why="$(tail -n 1 "$tmp/grid-go.screen")"
check "a double click goes on from it" sh -c "grep -q '1-2.png: the next send edits it' '$tmp/grid-go.screen'"

# The mask: a click puts the region where it points (the first click makes one), the wheel
# resizes it.
home="$tmp/home"
left=$(at turns.screen 'turn 3 · image' 3 3)
ui mask "<click $left>M<click $left><wheel-up $left>"
why="$(sed -n 3p "$tmp/mask.screen")"
check "a click places a mask region" sh -c "sed -n 3p '$tmp/mask.screen' | grep -Eq '\[1 rect [1-4]?[0-9]%,[1-4]?[0-9]%'"
check "the wheel grows it" sh -c "sed -n 3p '$tmp/mask.screen' | grep -q ' 45x45%'"
