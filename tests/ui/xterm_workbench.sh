#!/bin/sh
# SPDX-License-Identifier: MIT
# The workbench in a real xterm with sixel (`xterm -ti vt340`) under Xvfb (issue 5): scripted
# keys (EASEL_UI_SCRIPT on a real terminal) send two prompts to the offline backend; after each
# turn a screenshot's preview region must match that turn's saved image, scaled to the size
# drawn, and after the second turn the first picture must be gone from it (the two turns and
# their checks are tests/lib/workbench_turns.sh, shared with kitty_workbench.sh).
#
# Where the picture is: the workbench's trace (EASEL_UI_TRACE) names the rectangle in cells and
# the fitted size in pixels; x11_terminal gives the text area's origin and cell size on the
# screen; x11_picture (tests/lib/x11.sh) puts the two together. The sixel encoder trims the
# height to a whole number of 6-pixel bands (refitting the width), and so does x11_picture.
#
# Thresholds: the mock's pictures are smooth gradients with flat shapes and text; sixel carries
# 256 colours without dithering, so gradients band, and easel's area-average scaler and
# ImageMagick's differ along every edge. A picture matching its own image measured 0.6-0.7%
# mean absolute difference here (0.9-1.1% before pictures were composed at the size sixel
# draws unscaled); the second turn's region against the first turn's image (the old frame:
# other colours, shapes and words) measured 12%. The limit, 3%, is over four times what a
# correct picture shows and a quarter of what the old frame shows; and the old frame must also
# compare worse than the new one by a clear margin (1.5 times).
# Skips without Xvfb, xterm, xwininfo (x11-utils) or ImageMagick.
: "${EASEL:?set EASEL to the easel binary}"
name="xterm-workbench"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
. "$here/lib/workbench_turns.sh"
x11_require Xvfb xterm xwininfo import convert compare
tmp=$(mktemp -d)
trap x11_cleanup EXIT
trap 'exit 1' INT TERM
x11_start 1280x1024x24 || exit 0
MAE_MAX=0.03 OLD_RATIO=1.5
COLS=120 ROWS=40

wb_keys
x11_easel_xterm "$tmp" "$COLS" "$ROWS" || exit 0

wb_shoot() {
    sleep 1 # xterm draws the sixel after reading it
    x11_shot "$1"
}

wb_turn 1
if grep -q 'protocol=sixel' "$tmp/trace"; then
    echo "ok $name detects sixel"
else
    echo "not ok $name detects sixel: $(head -n 1 "$tmp/trace")"
fi
wb_check_turn 1 "the generated image"
wb_turn 2
wb_check_turn 2 "the second image"
wb_check_old_gone
wb_check_exit
