#!/bin/sh
# SPDX-License-Identifier: MIT
# The history's avatar view (key a, history-avatar) in a real xterm with sixel (`xterm -ti
# vt340`) under Xvfb, looked at in pixels (issue 5): one turn on the offline backend, S-Tab to
# the history, a; then each of the six renditions (the turn's image at 32, 64 and 128 px, a
# square crop and the same in a circle) must be on the screen at its exact pixel size, where
# the layout puts it, and look like the image scaled down by ImageMagick; a circle's corners
# must be the sheet's background and its centre the image's.
#
# Run in terminals of 120 columns, 43 rows and 40 rows, with the pinned font at two cell sizes
# (tests/lib/x11.sh): 10x20 pixels, where the preview box is 540x300 or 540x280 and every
# rendition fits on one row (300 is a whole number of sixel bands, 6 pixels, and 280 is not,
# which is where the picture can be rescaled on its way out), and 8x17, what a bare Debian 12
# gave `-fa Mono -fs 10` (issue 11): a 432x255 box, too narrow for all six on one row and too
# low for two, where the sheet must still show the 32 and 64 px renditions of both shapes (and
# the 128 px square) at their exact sizes, and its caption say what was left out.
#
# Where the renditions are: the trace's ` picture ` line gives the preview's rectangle (row,
# col, rows, cols, cell); its fit= is the turn's image fitted into the box, which says nothing
# of the avatar sheet, so the places come from src/ui/picture.c's layout (render_avatar, ea_avatar_layout): the
# sheet is the box (cols x rows cells; sixel: whole bands high, see below), background #303030;
# the sizes 32, 64, 128 with 16-pixel gaps; as many as fit at their exact size: all six, else
# the 128 px circle left out, else both 128s, and so on, a size's circle before its square;
# squares then circles on one row (bottoms on the largest square's baseline) when that fits,
# else circles below the squares, 16 pixels apart.
#
# Measured here (xterm 10x20 cells, the mock's fox: the same values in every run), mean
# absolute difference of each rendition against the image scaled by ImageMagick (-scale: box
# averaging, which is what easel's area average is; 1024/32, /64 and /128 are whole numbers),
# circles cut and composited on #303030 by ImageMagick: 0.46-0.58% for the squares, 0.61-1.30%
# for the circles (sixel's 256-colour palette, the anti-aliased rim); renditions drawn 1.4% too
# small (127x126 for 128) measured 5.5-13%. The limit, 3%, is over twice the worst correct
# rendition and well under those. The MAE does not have to judge size and place: a one-pixel
# shift measured only 1.9-2.2% on the 128-pixel ones (2.3-6.8% on the others), so each
# rendition's bounding box against the sheet's background (ImageMagick -fuzz 3%; 2% and 4%
# found the same boxes, so the mock's dark bottom strip is not taken for background) must be
# exactly NxN at its place.
# Circles: the four corner pixels within 6 of #303030 per channel; the centre (the middle
# N/2 x N/2) against the square reference, MAE under the same 3% (measured 0.45-0.57%).
#
# The sheet is composed at the size sixel draws without rescaling (ea_gfx_canvas): the box's
# height brought down to whole 6-pixel bands, 540x276 in the 40-row terminal. (It used to be
# composed at the box's size and then shrunk by the encoder's band trim to 532x276, every
# rendition 1.4% small and off its place: this test found that.)
# Skips without Xvfb, xterm, xwininfo (x11-utils) or ImageMagick.
: "${EASEL:?set EASEL to the easel binary}"
name="xterm-avatar"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb xterm xwininfo import convert compare identify
tmp=$(mktemp -d)
trap x11_cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
x11_start 1280x1024x24 || exit 0
MAE_MAX=0.03
BG="#303030"
COLS=120

# sheet_find SHOT: "W H X Y", the bounding box of the sheet's background colour near the
# preview's box (a cell around it): the sheet as drawn.
sheet_find() {
    set -- "$1" $box
    sf=$(convert "$1" -alpha off -crop "$(($2 + 2 * term_cw))x$(($3 + 2 * term_ch))+$(($4 - term_cw))+$(($5 - term_ch))" \
        +repage -fuzz 3% -fill black +opaque "$BG" -fill white -opaque "$BG" \
        -bordercolor black -border 1 -format '%@' info: 2>/dev/null)
    set -- $(img_box "$sf") "$4" "$5"
    echo "$1 $2 $(($3 + $5 - term_cw)) $(($4 + $6 - term_ch))"
}

# layout BW BH: one "SHAPE N X Y" line per rendition (SHAPE square or circle; X Y within the
# sheet) that fits a BWxBH sheet, as the rule above places them; nothing when none fits.
layout() {
    awk -v bw="$1" -v bh="$2" '
    function width(k,   i, w) { for (i = 1; i <= k; i++) w += px[i] + (i > 1 ? gap : 0); return w }
    function fits(s, c, row) {
        if (c == 0) return bw >= width(s) && bh >= px[s]
        if (row) return bw >= width(s) + gap + width(c) && bh >= px[s]
        return bw >= width(s) && bh >= px[s] + gap + px[c]
    }
    function line(k, shape, x, base,   i) {
        for (i = 1; i <= k; i++) { print shape, px[i], x, base - px[i]; x += px[i] + gap }
    }
    BEGIN {
        split("32 64 128", px, " "); gap = 16
        for (k = 6; k >= 1; k--) {
            s = int((k + 1) / 2); c = int(k / 2)
            for (row = 1; row >= 0; row--) {
                if (!fits(s, c, row)) continue
                line(s, "square", 0, px[s])
                if (row) line(c, "circle", width(s) + gap, px[s])
                else line(c, "circle", 0, px[s] + gap + px[c])
                exit
            }
        }
    }'
}

# reference SHAPE N OUT: the turn's image, its centred square scaled to NxN by ImageMagick;
# for a circle, cut by the inscribed circle (anti-aliased) onto the sheet's background.
reference() {
    set -- "$1" "$2" "$3" $(identify -format '%w %h' "$image")
    side=$(($4 < $5 ? $4 : $5))
    convert "$image" -alpha off -gravity center -crop "${side}x$side+0+0" +repage \
        -scale "$2x$2!" -depth 8 "PNG24:$3"
    if [ "$1" = circle ]; then
        half=$(awk -v n="$2" 'BEGIN { print n / 2 }')
        convert "$3" \( -size "$2x$2" xc:black -fill white -draw "circle $half,$half $half,0" \) \
            -alpha off -compose CopyOpacity -composite -background "$BG" -compose over -flatten \
            -depth 8 "PNG24:$3"
    fi
}

# run LABEL ROWS CELL: the avatar view in a 120xROWS xterm of CELL pixels a cell, checked
# rendition by rendition.
run() {
    x11_pin "$3"
    label="$name $COLS""x$2 $3" rows=$2 dir="$tmp/$1"
    mkdir -p "$dir"
    # One turn, then the history and its avatar key; the workbench waits (sheet drawn, nothing
    # decoding) until the screenshot is taken, then quits at the end of the script.
    cat >"$dir/keys" <<EOF
a red fox in the snow<Enter><wait-idle><S-Tab>a<wait-idle><dump $dir/avatar.txt><wait-file $dir/go>
EOF
    x11_easel_xterm "$dir" "$COLS" "$rows" || return
    x11_cell_pinned || { x11_kill "$x11_easel_pid"; return; }
    if ! x11_wait_file "$dir/avatar.txt" 60; then
        echo "not ok $label: no dump after 60 s: $(cat "$dir/err" 2>/dev/null)"
        return
    fi
    image=$(ls "$dir"/home/data/easel/sessions/*/images/1-1.png 2>/dev/null | head -n 1)
    # The avatar sheet is the last frame asked for: the last picture line must be its serial.
    last=$(grep ' decode ' "$dir/trace" | tail -n 1 | sed -n 's/.*serial=\([0-9]*\).*/\1/p')
    pic=$(grep ' picture ' "$dir/trace" | tail -n 1)
    box=$(echo "$pic" | awk -v ox="$term_ox" -v oy="$term_oy" -v cw="$term_cw" -v ch="$term_ch" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        split(v["cell"], c, "x")
        print v["cols"] * c[1], v["rows"] * c[2], ox + v["col"] * cw, oy + v["row"] * ch }')
    if [ -z "$image" ] || ! grep -q 'turn 1 · avatar' "$dir/avatar.txt" ||
        grep -q 'too small' "$dir/avatar.txt" || [ -z "$last" ] ||
        ! echo "$pic" | grep -q " serial=$last protocol=sixel "; then
        echo "not ok $label shows the avatar sheet: $(sed -n 3p "$dir/avatar.txt")," \
            "last decode serial $last, $(echo "$pic" | cut -d' ' -f2-)"
        touch "$dir/go"
        return
    fi
    echo "ok $label shows the avatar sheet"
    x11_settle "$dir/shot.png" 10 sheet_find
    sheet=$x11_answer
    x11_keep "$dir/shot.png" keep "$label" >/dev/null
    touch "$dir/go"
    set -- $box
    bw=$1 bh=$2 bx=$3 by=$4
    [ "$bh" -gt 6 ] && bh=$((bh - bh % 6)) # sixel's canvas: whole bands
    echo "info $label box ${bw}x$bh at +$bx+$by, sheet drawn $(echo "$sheet" | awk '{ print $1 "x" $2 " at +" $3 "+" $4 }')"
    set -- $sheet
    sw=$1 sh=$2
    if [ "$sheet" = "$bw $bh $bx $by" ]; then
        echo "ok $label sheet drawn at its own size, ${bw}x$bh"
    else
        echo "not ok $label sheet drawn at its own size: ${sw}x$sh at +$3+$4 drawn for a ${bw}x$bh" \
            "sheet at +$bx+$by ($(x11_keep "$dir/shot.png" fail "$label"))"
    fi
    places=$(layout "$bw" "$bh")
    if [ -z "$places" ]; then
        echo "not ok $label: a ${bw}x$bh box is too small for the layout, yet the sheet was drawn"
        return
    fi
    # A sheet short of some renditions still has the 32 and 64 px ones of both shapes (at
    # 8x17 cells), and its caption names what it left out.
    if [ "$(echo "$places" | wc -l)" -lt 6 ]; then
        shown=$(echo "$places" | awk '{ print $1 $2 }' | sort | tr '\n' ' ')
        case "$shown" in
        *circle32*circle64*square32*square64*)
            if grep -q 'turn 1 · avatar, no room for 128 px' "$dir/avatar.txt"; then
                echo "ok $label a small sheet keeps the 32 and 64 px renditions and says what it left out"
            else
                echo "not ok $label says what the small sheet left out: $(sed -n 3p "$dir/avatar.txt")"
            fi ;;
        *) echo "not ok $label a small sheet keeps the 32 and 64 px renditions: only $shown" ;;
        esac
    fi
    echo "$places" | while read -r shape n x y; do
        sx=$((bx + x)) sy=$((by + y))
        reference "$shape" "$n" "$dir/ref-$shape-$n.png"
        # Size and place: the bounding box of what differs from the background within the
        # rendition's slot (half a gap around it, inside the sheet as drawn).
        x0=$((x - 8 < 0 ? 0 : x - 8)) y0=$((y - 8 < 0 ? 0 : y - 8))
        x1=$((x + n + 8)) y1=$((y + n + 8))
        [ "$x1" -gt "$sw" ] && x1=$sw
        [ "$y1" -gt "$sh" ] && y1=$sh
        ext=$(convert "$dir/shot.png" -alpha off -crop "$((x1 - x0))x$((y1 - y0))+$((bx + x0))+$((by + y0))" \
            +repage -bordercolor "$BG" -border 1 -fuzz 3% -format '%@' info: 2>/dev/null)
        set -- $(img_box "$ext")
        ew=$1 eh=$2 ex=$((bx + x0 + $3)) ey=$((by + y0 + $4))
        bad=
        [ "$ew" -eq "$n" ] && [ "$eh" -eq "$n" ] && [ "$ex" -eq "$sx" ] && [ "$ey" -eq "$sy" ] ||
            bad="$bad ${ew}x$eh at +$ex+$ey drawn, ${n}x$n at +$sx+$sy expected;"
        mae=$(convert "$dir/shot.png" -alpha off -crop "${n}x$n+$sx+$sy" +repage -depth 8 \
            "PNG24:$dir/got-$shape-$n.png" && img_mae "$dir/got-$shape-$n.png" "$dir/ref-$shape-$n.png")
        [ -n "$mae" ] && lt "$mae" "$MAE_MAX" || bad="$bad MAE $mae against the image, at most $MAE_MAX;"
        more=
        if [ "$shape" = circle ]; then
            # Corners: the sheet's background; centre: the image's (the square reference's).
            for c in "0 0" "$((n - 1)) 0" "0 $((n - 1))" "$((n - 1)) $((n - 1))"; do
                set -- $c
                got=$(img_pixel "$dir/shot.png" $((sx + $1)) $((sy + $2)))
                img_near "$got" "$(img_hex "$BG")" 6 ||
                    bad="$bad corner +$((sx + $1))+$((sy + $2)) is $got, not $BG;"
            done
            reference square "$n" "$dir/ref-centre-$n.png"
            q=$((n / 4)) h=$((n / 2))
            convert "$dir/ref-centre-$n.png" -crop "${h}x$h+$q+$q" +repage "PNG24:$dir/ref-mid-$n.png"
            convert "$dir/got-$shape-$n.png" -crop "${h}x$h+$q+$q" +repage "PNG24:$dir/got-mid-$n.png"
            mid=$(img_mae "$dir/got-mid-$n.png" "$dir/ref-mid-$n.png")
            [ -n "$mid" ] && lt "$mid" "$MAE_MAX" || bad="$bad centre MAE $mid, at most $MAE_MAX;"
            more=", corners background, centre MAE $mid"
        fi
        if [ -z "$bad" ]; then
            echo "ok $label $shape $n px: ${n}x$n at +$sx+$sy, MAE $mae$more"
        else
            echo "not ok $label $shape $n px:${bad%;}"
        fi
    done
    if x11_wait_file "$dir/rc" 30 && [ "$(cat "$dir/rc")" = 0 ]; then
        echo "ok $label quits cleanly"
    else
        echo "not ok $label quits cleanly: exit $(cat "$dir/rc" 2>/dev/null), $(cat "$dir/err")"
    fi
    x11_kill "$x11_easel_pid"
}

run tall 43 10x20
run short 40 10x20
run small 43 8x17
run small-short 40 8x17
exit 0
