#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel generate --preview -p 3` (the offline backend: no key) in a real xterm with sixel
# (`xterm -ti vt340`) under Xvfb, looked at as a person would once it has finished: the
# partial frames were drawn as sixel, each replacing the last in place, so the screen shows
# exactly one picture, at the top-left cell, and it is the saved images/1-1.png scaled to the
# drawn size.
# Thresholds: the offline picture has smooth gradients and anti-aliased text, which 256
# undithered sixel colours band a little: 0.56% of the full range (mean absolute difference)
# measured here. The limit, 1.5%, leaves room for another palette and stays below the last
# partial frame left on the screen (the final image in 16-pixel blocks at 1024, washed 12%
# towards grey: 3.6%; even unwashed 2.4%) or the picture shifted by a cell. "One picture": outside the picture's
# rectangle nothing on the screen is coloured (saturation above 25%; text and cursor are
# black on white), allowing 0.05% of the text area for stray pixels.
# Skips without Xvfb, xterm, script, xwininfo (x11-utils) or ImageMagick.
: "${EASEL:?set EASEL to the easel binary}"
name="preview-xterm"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb xterm script xwininfo import convert compare identify
tmp=$(mktemp -d)
trap x11_cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
x11_start 1280x1024x24 || exit 0

cat >"$tmp/run.sh" <<EOF
script -q -e -c "'$EASEL' generate --preview -p 3 'a lighthouse at dusk' 2>'$tmp/err'" '$tmp/out'
echo \$? >'$tmp/rc'
sleep 30
EOF
env -u TERM_PROGRAM -u KITTY_WINDOW_ID -u KITTY_PID -u LC_TERMINAL -u TMUX -u STY \
    -u OPENAI_API_KEY -u OPENAI_BASE_URL -u EASEL_API_KEY XDG_DATA_HOME="$tmp/data" \
    XDG_CACHE_HOME="$tmp/cache" XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state" \
    xterm -fa "$x11_fa" -xrm "$x11_xrm" -ti vt340 -geometry 100x40 -e sh "$tmp/run.sh" \
    >"$tmp/xterm.log" 2>&1 &
x11_track $!

if ! x11_terminal XTerm 100 40 20; then
    echo "not ok $name: no xterm window in 20 s: $(cat "$tmp/xterm.log")"
    exit 0
fi
if ! x11_wait_file "$tmp/rc" 30; then
    echo "not ok $name: easel generate still running after 30 s"
    exit 0
fi
saved=$(find "$tmp/data" -name 1-1.png -path '*/images/*' 2>/dev/null | head -n 1)
esc=$(printf '\033')
frames=$(LC_ALL=C grep -ao "${esc}P[0-9;]*q" "$tmp/out" | wc -l)
if [ "$(cat "$tmp/rc")" = 0 ] && [ -n "$saved" ] && [ "$frames" -ge 1 ]; then
    echo "ok $name draws sixel frames ($frames) and saves 1-1.png"
else
    echo "not ok $name draws sixel frames and saves 1-1.png: exit $(cat "$tmp/rc"), $frames" \
        "sixel frames, saved '${saved}': $(cat "$tmp/err")"
    exit 0
fi

# The picture's width: what is not white along the first pixel rows of the text area (the
# text easel prints comes below the picture); its height follows from the saved file's shape.
top_strip() {
    img_extent "$1" white "$term_ox" "$term_oy" $((100 * term_cw)) 4
}
x11_settle "$tmp/shot.png" 10 top_strip
set -- $x11_answer
w=$1 x=$3 y=$4
set -- $(identify -format '%w %h' "$saved")
h=$(((w * $2 + $1 / 2) / $1))
if [ "${w:-0}" -lt 2 ]; then
    echo "not ok $name one picture: nothing drawn at the top ($(x11_keep "$tmp/shot.png" fail))"
    exit 0
fi
if [ $((x - term_ox)) -le 1 ] && [ $((y - term_oy)) -le 1 ]; then
    echo "ok $name picture at the top-left cell (${w}x$h)"
else
    echo "not ok $name picture at the top-left cell: it starts at +$x+$y, the cell at" \
        "+$term_ox+$term_oy"
fi
mae=$(img_compare "$tmp/shot.png" "$saved" "$w" "$h" "$x" "$y" "$tmp/region")
if [ -n "$mae" ] && lt "$mae" 0.015; then
    echo "ok $name shows the saved image (MAE $mae < 0.015)"
else
    echo "not ok $name shows the saved image: MAE $mae, at most 0.015" \
        "($(x11_keep "$tmp/shot.png" fail))"
fi
# Everything coloured outside the picture: another frame left on the screen.
stray=$(convert "$tmp/shot.png" -alpha off -fill white \
    -draw "rectangle $x,$y $((x + w - 1)),$((y + h - 1))" \
    -crop "$((100 * term_cw))x$((40 * term_ch))+$term_ox+$term_oy" +repage \
    -colorspace HSL -channel G -separate +channel -threshold 25% -format '%[fx:mean]' info:)
if lt "$stray" 0.0005; then
    echo "ok $name one picture"
else
    echo "not ok $name one picture: $stray of the screen outside the picture is coloured" \
        "($(x11_keep "$tmp/shot.png" fail))"
fi
[ -n "${EASEL_SHOTS:-}" ] && x11_keep "$tmp/shot.png" keep >/dev/null
exit 0
