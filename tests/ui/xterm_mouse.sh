#!/bin/sh
# SPDX-License-Identifier: MIT
# The mouse as a person uses it (issue 5): real pointer events (xdotool) in a real xterm under
# Xvfb, (1) straight to the workbench, where curses asks xterm for SGR mouse reports, and (2)
# through tmux, as over SSH, where tmux passes the pane the older X10 encoding. The workbench's
# trace (EASEL_UI_TRACE) names every mouse event it decoded with its cell, and tmux's
# capture-pane shows what came of it on the screen. Also: `mouse = off` asks the terminal for
# nothing, and quitting turns the reports off again (the shell after easel gets no mouse codes).
# What each panel does with a click is tested without a terminal in tests/ui/mouse.sh.
# Skips without Xvfb, xterm, xdotool, xwininfo (x11-utils) or tmux.
: "${EASEL:?set EASEL to the easel binary}"
name="xterm-mouse"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb xterm xdotool xwininfo tmux
tmp=$(mktemp -d)
sock="easel-mouse-$$"
cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null
    tmux -L "$sock-off" kill-server 2>/dev/null
    x11_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM
x11_start 1280x1024x24 || exit 0
COLS=120 ROWS=40
mkdir -p "$tmp/home"
export XDG_DATA_HOME="$tmp/home/data" XDG_CONFIG_HOME="$tmp/home/config" \
    XDG_CACHE_HOME="$tmp/home/cache" LC_ALL=C.UTF-8
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR TMUX TERM_PROGRAM KITTY_WINDOW_ID STY EASEL_MOUSE

# click C R [BUTTON [REPEAT]]: the pointer on the centre of cell (C, R) of the terminal, then
# the button (1 the left, 4 and 5 the wheel) pressed and released REPEAT times.
click() {
    xdotool mousemove "$((term_ox + $1 * term_cw + term_cw / 2))" \
        "$((term_oy + $2 * term_ch + term_ch / 2))" \
        click --repeat "${4:-1}" --delay 80 "${3:-1}" 2>>"$tmp/xdotool.log"
}

# wait_for FILE PATTERN SECONDS: until a line of FILE matches (grep -E); 1 after the deadline.
wait_for() {
    wf_end=$(($(date +%s) + $3))
    until grep -Eq -- "$2" "$1" 2>/dev/null; do
        [ "$(date +%s)" -ge "$wf_end" ] && return 1
        sleep 0.1
    done
}

# mouse_flag LABEL WANT: whether the pane has asked for mouse reports (tmux's mouse_any_flag)
# is WANT, 1 or 0.
mouse_flag() {
    mf=$(tmux -L "$sock" display -p -t m '#{mouse_any_flag}')
    if [ "$mf" = "$2" ]; then
        echo "ok $name $1"
    else
        echo "not ok $name $1: mouse_any_flag=$mf, want $2"
    fi
}

# ---- 1. Straight to xterm: SGR reports -------------------------------------------------------
EASEL_UI_TRACE="$tmp/trace1" xterm -fa "$x11_fa" -xrm "$x11_xrm" -geometry "${COLS}x$ROWS" -e sh -c \
    '"$1" 2>"$2"; echo $? >"$3"' sh "$EASEL" "$tmp/err1" "$tmp/rc1" >"$tmp/xterm1.log" 2>&1 &
xterm_pid=$!
x11_track $xterm_pid
if ! x11_terminal XTerm "$COLS" "$ROWS" 20 || ! wait_for "$tmp/trace1" 'first-frame' 10; then
    echo "not ok $name: no workbench in xterm: $(cat "$tmp/xterm1.log" "$tmp/err1" 2>/dev/null)"
    exit 0
fi
# The preview is in the middle column near the top at 120x40; the parameters on the right.
click 50 8
click 100 20 1 2
click 100 20 5
wait_for "$tmp/trace1" 'mouse wheel-down' 5
grep ' mouse ' "$tmp/trace1" | sed 's/^[0-9.]* /# /'
if grep -q 'mouse click row=8 col=50 clicks=1 panel=Preview' "$tmp/trace1"; then
    echo "ok $name xterm: a click arrives at its cell"
else
    echo "not ok $name xterm: a click arrives at its cell: $(grep ' mouse ' "$tmp/trace1" | head -n 3)"
fi
if grep -q 'mouse click row=20 col=100 clicks=2 panel=Parameters' "$tmp/trace1"; then
    echo "ok $name xterm: a double click is one"
else
    echo "not ok $name xterm: a double click is one: $(grep ' mouse ' "$tmp/trace1")"
fi
if grep -q 'mouse wheel-down row=20 col=100' "$tmp/trace1"; then
    echo "ok $name xterm: the wheel arrives"
else
    echo "not ok $name xterm: the wheel arrives: $(grep ' mouse ' "$tmp/trace1")"
fi
# A press and its release apart, as a slow hand or a slow link delivers them, then a key a
# little later: the release alone must not hold the loop (curses used to wait inside get_wch
# after swallowing it, until the next input), so the key shows at once.
click 50 30
sleep 0.3
xdotool mousemove "$((term_ox + 50 * term_cw))" "$((term_oy + 30 * term_ch + term_ch / 2))" \
    mousedown 1 2>>"$tmp/xdotool.log"
sleep 0.3
xdotool mouseup 1 2>>"$tmp/xdotool.log"
sleep 0.6
xdotool key x 2>>"$tmp/xdotool.log"
sleep 0.3
late=$(grep 'key latency_ms=' "$tmp/trace1" | tail -n 1 | sed 's/.*latency_ms=//')
if [ -n "$late" ] && lt "$late" 100; then
    echo "ok $name xterm: a release on its own holds nothing up (next key in $late ms)"
else
    echo "not ok $name xterm: a release on its own holds the loop: the next key took ${late:-?} ms"
fi
xdotool key ctrl+q 2>>"$tmp/xdotool.log"
if x11_wait_file "$tmp/rc1" 10 && [ "$(cat "$tmp/rc1")" = 0 ]; then
    echo "ok $name xterm: quits cleanly"
else
    echo "not ok $name xterm: quits cleanly: exit $(cat "$tmp/rc1" 2>/dev/null) $(cat "$tmp/err1")"
fi
x11_kill $xterm_pid

# ---- 2. Through tmux (as over SSH): what the clicks do on the screen ------------------------
# The pane runs easel, then a shell that stays, so the modes left behind can be read. The
# external editor (C-x C-e) is one that only waits, to see the terminal it is given.
printf '#!/bin/sh\nsleep 2\n' >"$tmp/editor"
chmod +x "$tmp/editor"
tmux -L "$sock" -f /dev/null new-session -d -s m -x "$COLS" -y "$ROWS" \
    "EDITOR='$tmp/editor' EASEL_UI_TRACE='$tmp/trace2' '$EASEL' 2>'$tmp/err2'; echo \$? >'$tmp/rc2'; exec sleep 60"
tmux -L "$sock" set -g status off
xterm -fa "$x11_fa" -xrm "$x11_xrm" -geometry "${COLS}x$ROWS" -e tmux -L "$sock" attach -t m \
    >"$tmp/xterm2.log" 2>&1 &
x11_track $!
screen() { tmux -L "$sock" capture-pane -p -t m; }
if ! x11_terminal XTerm "$COLS" "$ROWS" 20 || ! wait_for "$tmp/trace2" 'first-frame' 10; then
    echo "not ok $name tmux: no workbench: $(cat "$tmp/xterm2.log" "$tmp/err2" 2>/dev/null)"
    exit 0
fi
mouse_flag "tmux: the workbench asks for the mouse" 1
tmux -L "$sock" send-keys -t m -l 'hello world'
sleep 0.3
# The prompt's text starts one row and one column inside its box.
at=$(screen | python3 -c '
import sys
for row, line in enumerate(sys.stdin.read().split("\n")):
    col = line.find("hello world")
    if col >= 0:
        print(col, row)
        break')
set -- $at
if [ -z "$at" ]; then
    echo "not ok $name tmux: typed text not on the screen: $(screen | tail -n 5)"
    exit 0
fi
click "$(($1 + 6))" "$2"
sleep 0.3
tmux -L "$sock" send-keys -t m -l 'X'
sleep 0.3
if screen | grep -q 'hello Xworld'; then
    echo "ok $name tmux: a click puts the prompt's cursor under the pointer"
else
    echo "not ok $name tmux: a click puts the prompt's cursor: $(screen | grep hello) $(grep ' mouse ' "$tmp/trace2")"
fi
click 50 8
sleep 0.3
if screen | grep -q '━ Preview ━'; then
    echo "ok $name tmux: a click focuses the preview"
else
    echo "not ok $name tmux: a click focuses the preview: $(screen | sed -n 2p)"
fi
click "$(($1 + 6))" "$2" # back to the prompt, where C-x C-e is
sleep 0.3
tmux -L "$sock" send-keys -t m C-x C-e
sleep 0.7
in_editor=$(tmux -L "$sock" display -p -t m '#{mouse_any_flag}')
sleep 2.5
after=$(tmux -L "$sock" display -p -t m '#{mouse_any_flag}')
if [ "$in_editor" = 0 ] && [ "$after" = 1 ]; then
    echo "ok $name tmux: the external editor gets no mouse reports, the workbench gets them back"
else
    echo "not ok $name tmux: the mouse around the external editor: in it $in_editor, after it $after (want 0, 1)"
fi
tmux -L "$sock" send-keys -t m C-q
if x11_wait_file "$tmp/rc2" 10 && [ "$(cat "$tmp/rc2")" = 0 ]; then
    mouse_flag "tmux: quitting turns the mouse reports off" 0
else
    echo "not ok $name tmux: quits: $(cat "$tmp/rc2" 2>/dev/null) $(cat "$tmp/err2")"
fi
tmux -L "$sock" kill-server 2>/dev/null
sock="$sock-off"

# ---- 3. mouse = off: nothing asked, the terminal's own selection stays -----------------------
tmux -L "$sock" -f /dev/null new-session -d -s m -x "$COLS" -y "$ROWS" \
    "EASEL_MOUSE=off EASEL_UI_TRACE='$tmp/trace3' '$EASEL' 2>'$tmp/err3'; exec sleep 60"
if wait_for "$tmp/trace3" 'first-frame' 10; then
    mouse_flag "mouse = off asks the terminal for nothing" 0
else
    echo "not ok $name mouse = off: no workbench: $(cat "$tmp/err3")"
fi
tmux -L "$sock" kill-server 2>/dev/null
TERM=xterm-256color EASEL_MOUSE=sometimes "$EASEL" </dev/null >/dev/null 2>"$tmp/err4"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "mouse must be on or off" "$tmp/err4"; then
    echo "ok $name a bad mouse value is refused"
else
    echo "not ok $name a bad mouse value is refused: exit $rc, $(cat "$tmp/err4")"
fi
