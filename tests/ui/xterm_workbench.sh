#!/bin/sh
# The workbench in a real xterm with sixel (`xterm -ti vt340`) under Xvfb (issue 5): scripted
# keys (EASEL_UI_SCRIPT on a real terminal) send two prompts to the offline backend; after each
# turn a screenshot's preview region must match that turn's saved image, scaled to the size
# drawn, and after the second turn the first picture must be gone from it.
#
# Where the picture is: the workbench's trace (EASEL_UI_TRACE) names the rectangle in cells and
# the fitted size in pixels; x11_terminal gives the text area's origin and cell size on the
# screen; x11_picture (tests/lib/x11.sh) puts the two together. The sixel encoder trims the
# height to a whole number of 6-pixel bands (refitting the width), and so does x11_picture.
#
# Thresholds: the mock's pictures are smooth gradients with flat shapes and text; sixel carries
# 256 colours without dithering, so gradients band, and easel's area-average scaler and
# ImageMagick's differ along every edge. A picture matching its own image measured 0.9-1.1%
# mean absolute difference here; the second turn's region against the first turn's image (the
# old frame: other colours, shapes and words) measured 12%. The limit, 4%, is about four times
# what a correct picture shows and a third of what the old frame shows; and the old frame must
# also compare worse than the new one by a clear margin (1.5 times).
# Skips without Xvfb, xterm, xwininfo (x11-utils) or ImageMagick.
: "${EASEL:?set EASEL to the easel binary}"
name="xterm-workbench"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb xterm xwininfo import convert compare
tmp=$(mktemp -d)
trap x11_cleanup EXIT
trap 'exit 1' INT TERM
if ! x11_start 1280x1024x24; then
    echo "not ok $name: Xvfb did not start on any of :90-:99: $(cat "$tmp/xvfb.log")"
    exit 0
fi
MAE_MAX=0.04
COLS=120 ROWS=40

# Two turns; after each, the workbench waits (picture drawn, nothing decoding) until the test
# has taken its screenshot.
cat >"$tmp/keys" <<EOF
a red fox in the snow<Enter><wait-idle><dump $tmp/turn1.txt><wait-file $tmp/go1>
a blue paper boat on a lake<Enter><wait-idle><dump $tmp/turn2.txt><wait-file $tmp/go2>
EOF
x11_easel_xterm "$tmp" "$COLS" "$ROWS" || exit 0

# turn N: waits for turn N's dump, screenshots, compares the region with image N-1.png (and
# with the other turn's image when there is one), then lets the workbench go on.
session=
turn() {
    n=$1
    if ! x11_wait_file "$tmp/turn$n.txt" 60; then
        echo "not ok $name turn $n: no dump after 60 s: $(cat "$tmp/err" 2>/dev/null)"
        exit 0
    fi
    session=$(ls -d "$tmp"/home/data/easel/sessions/*/ | head -n 1)
    sleep 1 # xterm draws the sixel after reading it
    x11_shot "$tmp/shot$n.png"
    x11_keep "$tmp/shot$n.png" keep "$name-turn$n" >/dev/null
    set -- $(x11_picture "$tmp/trace")
    if [ "${1:-0}" -lt 16 ]; then
        echo "not ok $name turn $n: no picture in the trace: $(tail -n 3 "$tmp/trace")"
        exit 0
    fi
    mae=$(img_compare "$tmp/shot$n.png" "$session/images/$n-1.png" "$1" "$2" "$3" "$4" "$tmp/region$n")
    eval "mae_${n}_own=\$mae"
    if [ "$n" -eq 2 ]; then
        mae_2_old=$(img_compare "$tmp/shot2.png" "$session/images/1-1.png" "$1" "$2" "$3" "$4" "$tmp/old")
    fi
    echo "info $name turn $n: picture ${1}x$2 at +$3+$4, MAE $mae against its image"
    touch "$tmp/go$n"
}

turn 1
if grep -q 'protocol=sixel' "$tmp/trace"; then
    echo "ok $name detects sixel"
else
    echo "not ok $name detects sixel: $(head -n 1 "$tmp/trace")"
fi
if lt "$mae_1_own" "$MAE_MAX"; then
    echo "ok $name shows the generated image (MAE $mae_1_own < $MAE_MAX)"
else
    echo "not ok $name shows the generated image: MAE $mae_1_own, at most $MAE_MAX ($(x11_keep "$tmp/shot1.png" fail "$name-turn1"))"
fi
turn 2
if lt "$mae_2_own" "$MAE_MAX"; then
    echo "ok $name shows the second image (MAE $mae_2_own < $MAE_MAX)"
else
    echo "not ok $name shows the second image: MAE $mae_2_own, at most $MAE_MAX ($(x11_keep "$tmp/shot2.png" fail "$name-turn2"))"
fi
if ! lt "$mae_2_old" "$MAE_MAX" && lt "$(awk -v a="$mae_2_own" 'BEGIN { print a * 1.5 }')" "$mae_2_old"; then
    echo "ok $name the old frame is gone (MAE $mae_2_old against the first image)"
else
    echo "not ok $name the old frame is gone: MAE $mae_2_old against the first image, $mae_2_own against the second"
fi
if x11_wait_file "$tmp/rc" 30 && [ "$(cat "$tmp/rc")" = 0 ]; then
    echo "ok $name quits cleanly"
else
    echo "not ok $name quits cleanly: exit $(cat "$tmp/rc" 2>/dev/null), $(cat "$tmp/err")"
fi
