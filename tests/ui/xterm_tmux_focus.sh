#!/bin/sh
# SPDX-License-Identifier: MIT
# tmux inside a sixel xterm under Xvfb (issue 17, item 8): the workbench in a tmux pane draws
# its picture through passthrough; the test switches to another tmux window and back, presses
# no key, and within one second a screenshot's picture region matches the turn's image again
# (tmux redraws the pane's text from its own copy, never a sixel picture: the workbench asks
# for focus reports, CSI ? 1004 h, and draws again on CSI I). Skips without Xvfb, xterm,
# tmux, xwininfo or ImageMagick.
: "${EASEL:?set EASEL to the easel binary}"
name="xterm-tmux-focus"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb xterm tmux xwininfo import convert compare
tmp=$(mktemp -d)
sock="easel-focus-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null; [ -n "$KEEP" ] && cp "$tmp/trace" /tmp/wb2h/focus.trace; x11_cleanup' EXIT
trap 'exit 1' INT TERM
x11_start 1280x1024x24 || exit 0
MAE_MAX=0.03

printf 'set -g allow-passthrough on\nset -g status off\n' >"$tmp/tmux.conf"
mkdir -p "$tmp/home"
env -u TERM_PROGRAM -u KITTY_WINDOW_ID -u KITTY_PID -u LC_TERMINAL -u TMUX -u STY \
    -u OPENAI_API_KEY -u OPENAI_BASE_URL -u NO_COLOR LC_ALL=C.UTF-8 \
    xterm -fa "$x11_fa" -xrm "$x11_xrm" -ti vt340 -geometry 120x40 -e tmux -L "$sock" -f "$tmp/tmux.conf" \
    new-session -s wb "env XDG_DATA_HOME=$tmp/home/data XDG_CONFIG_HOME=$tmp/home/config XDG_CACHE_HOME=$tmp/home/cache EASEL_UI_TRACE=$tmp/trace '$EASEL' 2>$tmp/err" \
    >"$tmp/xterm.log" 2>&1 &
x11_track $!
if ! x11_terminal XTerm 120 40 20; then
    echo "not ok $name: no xterm window in 20 s: $(cat "$tmp/xterm.log")"
    exit 0
fi
i=0
while ! grep -q first-frame "$tmp/trace" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
tmux -L "$sock" send-keys -t wb 'a red fox in the snow' Enter
i=0
while ! grep -q ' picture .*serial=[0-9]* protocol=.* fit=' "$tmp/trace" 2>/dev/null || ! ls "$tmp"/home/data/easel/sessions/*/images/1-1.png >/dev/null 2>&1; do
    [ $i -ge 300 ] && break
    sleep 0.1; i=$((i + 1))
done
sleep 2 # the final image drawn after the last partial frame
image=$(ls "$tmp"/home/data/easel/sessions/*/images/1-1.png 2>/dev/null | head -n 1)
if ! grep -q 'protocol=sixel' "$tmp/trace"; then
    echo "not ok $name: no sixel picture through tmux: $(grep -m 3 'picture\|protocol' "$tmp/trace")"
    exit 0
fi
set -- $(x11_picture "$tmp/trace")
if [ -z "$image" ] || [ "${1:-0}" -lt 16 ]; then
    echo "not ok $name: no picture drawn: $(tail -n 3 "$tmp/trace")"
    exit 0
fi
w=$1 h=$2 x=$3 y=$4
x11_shot "$tmp/before.png"
before=$(img_compare "$tmp/before.png" "$image" $w $h $x $y "$tmp/r-before")
# Away: another window of the same tmux; then back, and no key.
tmux -L "$sock" new-window -t wb
sleep 1
x11_shot "$tmp/away.png"
away=$(img_compare "$tmp/away.png" "$image" $w $h $x $y "$tmp/r-away")
tmux -L "$sock" select-window -t wb:0
sleep 1
x11_shot "$tmp/back.png"
back=$(img_compare "$tmp/back.png" "$image" $w $h $x $y "$tmp/r-back")
echo "info $name picture ${w}x$h at +$x+$y: MAE $before before, $away away, $back back"
if lt "$before" "$MAE_MAX" && ! lt "$away" "$MAE_MAX"; then
    echo "ok $name the picture shows, and goes with the window"
else
    echo "not ok $name the picture shows, and goes with the window: MAE $before, then $away away ($(x11_keep "$tmp/away.png" fail "$name-away"))"
fi
if lt "$back" "$MAE_MAX"; then
    echo "ok $name back from another tmux window the picture is drawn again within a second, no key pressed"
else
    echo "not ok $name back from another tmux window the picture is drawn again within a second, no key pressed: MAE $back ($(x11_keep "$tmp/back.png" fail "$name-back"))"
fi
