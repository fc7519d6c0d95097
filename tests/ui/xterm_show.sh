#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel show` in a real xterm with sixel (`xterm -ti vt340`) under Xvfb, looked at as a person
# would: easel must choose sixel by asking (nothing forced, the environment scrubbed of hints),
# and a screenshot must show the test picture (four flat quadrants, tests/lib/x11.sh) at the
# top-left cell, filling the default box, matching the source scaled to the drawn size.
# Thresholds: sixel has 256 colours and easel does not dither, so the flat quadrants come
# through exactly (sixel's 0-100 colour scale holds 0 and 255); all the difference is along
# the seams, where easel's and ImageMagick's scalers blend a pixel or two differently: 0.06% of
# the full range (mean absolute difference) measured here. The limit, 0.5%, allows a one-pixel
# offset between the found region and the picture (0.17%) and the 1% steps of sixel's colour
# scale; a shift by 3 pixels or more, a cell's shift (1.7%) or a wrong quadrant (8% or more)
# fails.
# Skips without Xvfb, xterm, script, xwininfo (x11-utils) or ImageMagick.
: "${EASEL:?set EASEL to the easel binary}"
name="xterm-show"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb xterm script xwininfo import convert compare
tmp=$(mktemp -d)
trap x11_cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
x11_start 1280x1024x24 || exit 0
quad_make "$tmp/quad.png"

# script keeps a copy of what easel wrote (to tell which protocol it chose) while the bytes
# still reach xterm; the exit code lands in rc.
env -u TERM_PROGRAM -u KITTY_WINDOW_ID -u KITTY_PID -u LC_TERMINAL -u TMUX -u STY \
    xterm -fa "$x11_fa" -xrm "$x11_xrm" -ti vt340 -geometry 100x40 -e sh -c \
    'script -q -e -c "$1" "$2"; echo $? >"$3"; sleep 30' sh \
    "'$EASEL' show '$tmp/quad.png' 2>'$tmp/err'" "$tmp/out" "$tmp/rc" \
    >"$tmp/xterm.log" 2>&1 &
x11_track $!

if ! x11_terminal XTerm 100 40 20; then
    echo "not ok $name: no xterm window in 20 s: $(cat "$tmp/xterm.log")"
    exit 0
fi
if ! x11_wait_file "$tmp/rc" 20; then
    echo "not ok $name: easel show still running after 20 s"
    exit 0
fi
x11_settle "$tmp/shot.png" 10 quad_find

esc=$(printf '\033')
if [ "$(cat "$tmp/rc")" = 0 ] && LC_ALL=C grep -aq "${esc}P[0-9;]*q" "$tmp/out" &&
    ! LC_ALL=C grep -aq "${esc}_Ga=" "$tmp/out"; then
    echo "ok $name detects and draws sixel"
else
    echo "not ok $name detects and draws sixel: exit $(cat "$tmp/rc"), $(cat "$tmp/err")," \
        "$(wc -c <"$tmp/out") bytes, none of them a sixel DCS"
fi
quad_check "$name" "$tmp/shot.png" "$tmp/quad.png" 100 40 0.005
exit 0
