#!/bin/sh
# SPDX-License-Identifier: MIT
# The workbench in a real kitty (kitty graphics protocol) under Xvfb (issue 5), as
# xterm_workbench.sh does it in xterm with sixel: scripted keys (EASEL_UI_SCRIPT on a real
# terminal) send two prompts to the offline backend; after each turn a screenshot's preview
# region must match that turn's saved image, scaled to the size drawn, and after the second
# turn the first picture must be gone from it (kitty keeps an image on the screen until it is
# told to delete it, so this is the check that easel replaces its picture rather than adding
# one). Then C-q must end easel with exit code 0.
#
# Where the picture is: x11_picture (tests/lib/x11.sh) places the trace's last picture line
# (EASEL_UI_TRACE: rectangle in cells, fitted size in pixels) on the screen with the text
# area's origin and cell size from x11_terminal. kitty is started as in kitty_show.sh (mesa's
# software OpenGL, no padding) with TERM=xterm-256color and kitty's variables removed, so easel
# must find kitty graphics by asking the terminal.
#
# Thresholds: kitty shows the RGBA pixels easel sends without loss at the size sent, so what
# differs is easel's area-average scaler against ImageMagick's resize filter along the mock
# picture's edges and text: a picture matching its own image measured 0.32% and 0.38% mean
# absolute difference here (the same in every run: the mock's pictures are deterministic); the
# same region taken one pixel off in any direction measured 1.5-1.7%; the second turn's region
# against the first turn's image (the old frame) measured 12.3%. The limit, 1%, is about
# three times what a correct picture shows and still fails a one-pixel misplacement; the old
# frame must also compare worse than the new one by a clear margin (5 times). After C-q the
# preview's rectangle must be kitty's own black (brightest channel 0 measured): nothing left
# behind.
# Skips without Xvfb, kitty, xwininfo (x11-utils) or ImageMagick, and (printing kitty's error)
# when kitty cannot start here.
: "${EASEL:?set EASEL to the easel binary}"
name="kitty-workbench"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
. "$here/lib/workbench_turns.sh"
x11_require Xvfb kitty xwininfo import convert compare
tmp=$(mktemp -d)
trap x11_cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
x11_start 1280x1024x24 || exit 0
MAE_MAX=0.01 OLD_RATIO=5
COLS=120 ROWS=40
kitty_version=$(kitty --version 2>/dev/null | awk '{ print $2 }')

wb_keys '<C-q>' # idle then, so it quits without asking
cat >"$tmp/run.sh" <<EOF
'$EASEL' 2>'$tmp/err'
echo \$? >'$tmp/rc'
sleep 30
EOF
mkdir -p "$tmp/home"
env -u TERM_PROGRAM -u KITTY_WINDOW_ID -u KITTY_PID -u KITTY_PUBLIC_KEY -u LC_TERMINAL \
    -u TMUX -u STY -u OPENAI_API_KEY -u OPENAI_BASE_URL -u NO_COLOR \
    XDG_DATA_HOME="$tmp/home/data" XDG_CONFIG_HOME="$tmp/home/config" \
    XDG_CACHE_HOME="$tmp/home/cache" EASEL_UI_SCRIPT="$tmp/keys" EASEL_UI_TRACE="$tmp/trace" \
    LIBGL_ALWAYS_SOFTWARE=1 kitty --config NONE --class easel-workbench \
    -o linux_display_server=x11 -o font_family="$x11_kitty_font" -o font_size=10 \
    -o remember_window_size=no -o initial_window_width="${COLS}c" \
    -o initial_window_height="${ROWS}c" -o window_padding_width=0 \
    -o placement_strategy=top-left -o cursor_blink_interval=0 -o enable_audio_bell=no \
    -o update_check_interval=0 -o confirm_os_window_close=0 \
    env -u KITTY_WINDOW_ID -u KITTY_PID -u KITTY_PUBLIC_KEY -u TERM_PROGRAM -u LC_TERMINAL \
    TERM=xterm-256color sh "$tmp/run.sh" >"$tmp/kitty.log" 2>&1 &
kitty_pid=$!
x11_track "$kitty_pid"

end=$(($(date +%s) + 25))
until x11_terminal easel-workbench "$COLS" "$ROWS" 1; do
    if ! kill -0 "$kitty_pid" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; then
        echo "ok $name # skip: kitty $kitty_version cannot start here:" \
            "$(grep -v '^$' "$tmp/kitty.log" | tail -n 3 | tr '\n' ' ')"
        exit 0
    fi
done

# own_mae SHOT: the preview region of SHOT against the current turn's image, to 3 decimals (for
# x11_settle: kitty draws on its own time, so the screenshot is taken once two agree).
own_mae() {
    awk -v m="$(img_compare "$1" "$session/images/$n-1.png" $where "$tmp/settle")" \
        'BEGIN { if (m != "") printf "%.3f\n", m }'
}

# region_max SHOT: the brightest channel value in the picture's rectangle, 0 to 1.
region_max() {
    set -- "$1" $where
    convert "$1" -alpha off -crop "$2x$3+$4+$5" +repage -format '%[fx:maxima]' info: 2>/dev/null
}

# kitty draws on its own time: the screenshot is taken once two in a row agree.
wb_shoot() {
    x11_settle "$1" 10 own_mae
}

wb_turn 1
if grep -q 'protocol=kitty' "$tmp/trace"; then
    echo "ok $name detects kitty graphics"
else
    echo "not ok $name detects kitty graphics: $(grep -m 1 ' start ' "$tmp/trace")"
fi
wb_check_turn 1 "the generated image"
wb_turn 2
wb_check_turn 2 "the second image"
wb_check_old_gone
wb_check_exit
# After easel has gone (kitty stays open: run.sh sleeps), the preview's rectangle must be the
# terminal's own black again: no picture left behind, no panel.
if [ -e "$tmp/rc" ]; then
    x11_settle "$tmp/after.png" 5 region_max
    if [ "$x11_answer" = 0 ]; then
        echo "ok $name leaves no picture behind"
    else
        echo "not ok $name leaves no picture behind: the preview's rectangle still has pixels up" \
            "to $x11_answer ($(x11_keep "$tmp/after.png" fail "$name-after"))"
    fi
fi
exit 0
