#!/bin/sh
# SPDX-License-Identifier: MIT
# The mask mode's overlay in a real xterm with sixel (`xterm -ti vt340`) under Xvfb: one image
# on the offline backend; Tab to the preview, M, r (a rectangle, centred, 40% x 40%), then
# Right, Right and Down (5% of the image each): the region spans 40-80% across and 35-75% down.
# A screenshot before the mask, one with it and one after Esc are compared:
#   - inside the region the picture is the plain one tinted 40% with magenta;
#   - along each of its four edges runs an unbroken yellow line (the current region's) with a
#     black one outside it, where the plain picture has none;
#   - away from the region the picture is the plain one;
#   - after Esc the plain picture is back (it matches the image, as in xterm_workbench.sh).
# Where the picture is: x11_picture. The overlay is drawn at the size the slot draws,
# so the region's box on the screen is the picture's rectangle times the fractions above.
#
# Thresholds: sixel carries 256 colours, chosen anew for every picture, so the same pixels
# come out a little differently in two pictures. The plain region against the image measured
# about 1% MAE (xterm_workbench.sh: limit 4%). Inside the region, the masked screenshot
# against the plain one tinted by ImageMagick measured 0.6%, against the untinted one 22%:
# limits 4% and 8% (a third of it). Away from the region, masked against plain measured 0.4%,
# and the region after Esc against the plain one 0: limit 2%. A line is found when some row
# (a column for the sides) of a strip 8 pixels across the edge is at least 90% yellow (within
# 10%; a row of the line measured 100%) and another at least 90% black; the plain picture has
# no row above 50% of either there (it measured 0; the mock's dark teal is within 25% of
# black, hence the 10%).
# The figure a person waits on, from a key to its picture written to the terminal (the trace's
# asked_ms), is printed as info lines.
# Skips without Xvfb, xterm, xwininfo (x11-utils) or ImageMagick.
: "${EASEL:?set EASEL to the easel binary}"
name="xterm-mask"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb xterm xwininfo import convert compare
tmp=$(mktemp -d)
trap x11_cleanup EXIT
trap 'exit 1' INT TERM
x11_start 1280x1024x24 || exit 0
MAE_IMAGE=0.04 MAE_TINT=0.04 MAE_CHANGED=0.08 MAE_AWAY=0.02 LINE_MIN=0.9 LINE_PLAIN=0.5 LINE_FUZZ=10%
COLS=120 ROWS=40
# The region, in fractions of the picture (see above).
RX0=0.40 RX1=0.80 RY0=0.35 RY1=0.75

# Focus order from the editor: parameters, sessions, preview (src/ui/run.c). Each mask key
# waits for its picture, so that every one is drawn and timed.
cat >"$tmp/keys" <<EOF
a red fox in the snow<Enter><wait-idle><dump $tmp/plain.txt><wait-file $tmp/go1>
<Tab><Tab><Tab>M<wait-idle>r<wait-idle><Right><wait-idle><Right><wait-idle><Down><wait-idle><dump $tmp/mask.txt><wait-file $tmp/go2>
<Esc><wait-idle><dump $tmp/left.txt><wait-file $tmp/go3>
EOF
x11_easel_xterm "$tmp" "$COLS" "$ROWS" || exit 0

# shot STEP: waits for the dump of STEP, then screenshots it into $tmp/STEP.png and sets
# pic_w pic_h pic_x pic_y to the picture's place.
shot() {
    if ! x11_wait_file "$tmp/$1.txt" 60; then
        echo "not ok $name $1: no dump after 60 s: $(cat "$tmp/err" 2>/dev/null)"
        exit 0
    fi
    sleep 1 # xterm draws the sixel after reading it
    x11_shot "$tmp/$1.png"
    x11_keep "$tmp/$1.png" keep "$name-$1" >/dev/null
    set -- $(x11_picture "$tmp/trace")
    pic_w=${1:-0} pic_h=${2:-0} pic_x=${3:-0} pic_y=${4:-0}
    if [ "$pic_w" -lt 16 ]; then
        echo "not ok $name $1: no picture in the trace: $(tail -n 3 "$tmp/trace")"
        exit 0
    fi
}

# crop SHOT W H X Y OUT: that part of a screenshot, as OUT.png.
crop() {
    convert "$1" -alpha off -crop "$2x$3+$4+$5" +repage -depth 8 "PNG24:$6.png"
}

# line SHOT COLOUR W H X Y ACROSS: the largest fraction of one row (ACROSS=rows) or one column
# (ACROSS=cols) of the strip WxH+X+Y that has the colour (within LINE_FUZZ). What does not
# match goes to a third colour first, so that black and white can be asked about too.
line() {
    if [ "$7" = rows ]; then size="1x$4!"; else size="$3x1!"; fi
    convert "$1" -alpha off -crop "$3x$4+$5+$6" +repage -fuzz "$LINE_FUZZ" -fill '#808080' \
        +opaque "$2" -fill white -opaque "$2" -fuzz 0 -fill black +opaque white \
        -colorspace gray -scale "$size" -format '%[fx:maxima]' info: 2>/dev/null
}

mae_of() {
    img_mae "$1.png" "$2.png"
}

session_image() {
    echo "$(ls -d "$tmp"/home/data/easel/sessions/*/ | head -n 1)images/1-1.png"
}

shot plain
plain_mae=$(img_compare "$tmp/plain.png" "$(session_image)" "$pic_w" "$pic_h" "$pic_x" "$pic_y" "$tmp/plain-region")
plain_at="$pic_w $pic_h $pic_x $pic_y"
touch "$tmp/go1"

shot mask
if [ "$pic_w $pic_h $pic_x $pic_y" = "$plain_at" ]; then
    echo "ok $name keeps the picture's place and size ($plain_at)"
else
    echo "not ok $name keeps the picture's place and size: $plain_at plain, $pic_w $pic_h $pic_x $pic_y masked"
fi
if grep ' picture ' "$tmp/trace" | tail -n 1 | grep -q ' mask=1 '; then
    echo "ok $name draws one region"
else
    echo "not ok $name draws one region: $(grep ' picture ' "$tmp/trace" | tail -n 1)"
fi
# The region's box on the screen, and its inside 6 pixels in from the line.
set -- $(awk -v w="$pic_w" -v h="$pic_h" -v x="$pic_x" -v y="$pic_y" -v x0="$RX0" -v x1="$RX1" \
    -v y0="$RY0" -v y1="$RY1" 'BEGIN {
    printf "%d %d %d %d\n", x + int(w * x0 + 0.5), x + int(w * x1 + 0.5), y + int(h * y0 + 0.5), y + int(h * y1 + 0.5) }')
bx0=$1 bx1=$2 by0=$3 by1=$4
in_w=$((bx1 - bx0 - 12)) in_h=$((by1 - by0 - 12))
crop "$tmp/mask.png" "$in_w" "$in_h" $((bx0 + 6)) $((by0 + 6)) "$tmp/mask-in"
crop "$tmp/plain.png" "$in_w" "$in_h" $((bx0 + 6)) $((by0 + 6)) "$tmp/plain-in"
convert "$tmp/plain-in.png" -fill '#ff00ff' -colorize 40% -depth 8 "PNG24:$tmp/plain-in-tinted.png"
tint=$(mae_of "$tmp/mask-in" "$tmp/plain-in-tinted")
changed=$(mae_of "$tmp/mask-in" "$tmp/plain-in")
if lt "$tint" "$MAE_TINT" && ! lt "$changed" "$MAE_CHANGED"; then
    echo "ok $name tints the region (MAE $tint against the plain picture tinted, $changed against it untinted)"
else
    echo "not ok $name tints the region: MAE $tint against the plain picture tinted (at most $MAE_TINT)," \
        "$changed against it untinted (at least $MAE_CHANGED) ($(x11_keep "$tmp/mask.png" fail "$name-mask"))"
fi

# Each edge: a strip 8 pixels across the edge (4 out, 4 in), 6 pixels short of the corners.
len_x=$((bx1 - bx0 - 12)) len_y=$((by1 - by0 - 12))
bad=
for edge in top bottom left right; do
    case $edge in
    top) strip="$len_x 8 $((bx0 + 6)) $((by0 - 4)) rows" ;;
    bottom) strip="$len_x 8 $((bx0 + 6)) $((by1 - 4)) rows" ;;
    left) strip="8 $len_y $((bx0 - 4)) $((by0 + 6)) cols" ;;
    right) strip="8 $len_y $((bx1 - 4)) $((by0 + 6)) cols" ;;
    esac
    yellow=$(line "$tmp/mask.png" yellow $strip)
    black=$(line "$tmp/mask.png" black $strip)
    yellow_before=$(line "$tmp/plain.png" yellow $strip)
    black_before=$(line "$tmp/plain.png" black $strip)
    if lt "$yellow" "$LINE_MIN" || lt "$black" "$LINE_MIN" || ! lt "$yellow_before" "$LINE_PLAIN" ||
        ! lt "$black_before" "$LINE_PLAIN"; then
        bad="$bad $edge: yellow $yellow, black $black (before: $yellow_before, $black_before);"
    fi
done
if [ -z "$bad" ]; then
    echo "ok $name outlines the region's four edges in yellow and black"
else
    echo "not ok $name outlines the region's four edges:$bad ($(x11_keep "$tmp/mask.png" fail "$name-mask"))"
fi

# Away from the region: the picture's left part, up to 6 pixels before the region.
away_w=$((bx0 - 6 - pic_x))
crop "$tmp/mask.png" "$away_w" "$pic_h" "$pic_x" "$pic_y" "$tmp/mask-away"
crop "$tmp/plain.png" "$away_w" "$pic_h" "$pic_x" "$pic_y" "$tmp/plain-away"
away=$(mae_of "$tmp/mask-away" "$tmp/plain-away")
away_line=$(line "$tmp/mask.png" yellow "$away_w" "$pic_h" "$pic_x" "$pic_y" rows)
if lt "$away" "$MAE_AWAY" && lt "$away_line" "$LINE_PLAIN"; then
    echo "ok $name leaves the rest of the picture alone (MAE $away)"
else
    echo "not ok $name leaves the rest of the picture alone: MAE $away (at most $MAE_AWAY)," \
        "yellow rows up to $away_line"
fi
touch "$tmp/go2"

shot left
left_mae=$(img_compare "$tmp/left.png" "$(session_image)" "$pic_w" "$pic_h" "$pic_x" "$pic_y" "$tmp/left-region")
crop "$tmp/left.png" "$in_w" "$in_h" $((bx0 + 6)) $((by0 + 6)) "$tmp/left-in"
left_in=$(mae_of "$tmp/left-in" "$tmp/plain-in")
if lt "$left_mae" "$MAE_IMAGE" && lt "$plain_mae" "$MAE_IMAGE" && lt "$left_in" "$MAE_AWAY"; then
    echo "ok $name shows the plain picture after Esc (MAE $left_mae against the image, $left_in inside the region against the plain picture)"
else
    echo "not ok $name shows the plain picture after Esc: MAE $left_mae against the image (before: $plain_mae; at most $MAE_IMAGE)," \
        "$left_in inside the region (at most $MAE_AWAY) ($(x11_keep "$tmp/left.png" fail "$name-left"))"
fi
touch "$tmp/go3"

# From each mask key to its picture on the terminal (and from Esc to the plain one).
grep ' picture ' "$tmp/trace" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    if (v["mask"] != "-1" || seen) printf "%s ", v["asked_ms"]; if (v["mask"] != "-1") seen = 1 }' \
    >"$tmp/latency"
echo "info $name key to picture (ms; M, r, Right, Right, Down, Esc): $(cat "$tmp/latency")"
if x11_wait_file "$tmp/rc" 30 && [ "$(cat "$tmp/rc")" = 0 ]; then
    echo "ok $name quits cleanly"
else
    echo "not ok $name quits cleanly: exit $(cat "$tmp/rc" 2>/dev/null), $(cat "$tmp/err")"
fi
