# SPDX-License-Identifier: MIT
# Shared by the real-terminal tests in tests/ui (sourced): a private Xvfb, the processes a test
# starts in it, screenshots, and the ImageMagick measurements that compare a screenshot with
# the picture that should be on it. The sourcing script sets $name (for skip lines) and $tmp
# (a private directory), and calls x11_cleanup on exit.

x11_xvfb=
x11_pids=
x11_display=

# x11_require TOOL...: prints "ok $name # skip: no TOOL" and exits 0 when one is missing.
x11_require() {
    for x11_tool in "$@"; do
        if ! command -v "$x11_tool" >/dev/null 2>&1; then
            echo "ok $name # skip: no $x11_tool"
            exit 0
        fi
    done
}

# x11_start [WxHxD]: starts Xvfb on the first free display of :90-:99 and exports DISPLAY.
# -noreset: a test that closes its only window and opens another must not meet the server
# in the middle of the reset it would otherwise do when its last client leaves.
# A number is free when neither its socket nor its lock exists. The display is ours when its
# lock file holds our Xvfb's pid (another Xvfb that took the number in the meantime makes ours
# exit at once, and the next number is tried), and ready when a client can connect (xdpyinfo,
# when x11-utils is there; else when the socket exists). Returns 1, having printed the
# "not ok $name" line that says so, when none starts in time.
x11_start() {
    x11_n=90
    while [ "$x11_n" -le 99 ]; do
        if [ ! -e "/tmp/.X11-unix/X$x11_n" ] && [ ! -e "/tmp/.X$x11_n-lock" ]; then
            Xvfb ":$x11_n" -screen 0 "${1:-1280x1024x24}" -dpi 96 -nolisten tcp -noreset \
                >"$tmp/xvfb.log" 2>&1 &
            x11_xvfb=$!
            x11_i=0
            while [ "$x11_i" -lt 150 ] && kill -0 "$x11_xvfb" 2>/dev/null; do
                if [ -e "/tmp/.X11-unix/X$x11_n" ] &&
                    [ "$(tr -d ' ' <"/tmp/.X$x11_n-lock" 2>/dev/null)" = "$x11_xvfb" ] &&
                    { ! command -v xdpyinfo >/dev/null 2>&1 ||
                        xdpyinfo -display ":$x11_n" >/dev/null 2>&1; }; then
                    x11_display=":$x11_n"
                    DISPLAY=$x11_display
                    export DISPLAY
                    return 0
                fi
                sleep 0.1
                x11_i=$((x11_i + 1))
            done
            kill "$x11_xvfb" 2>/dev/null
            wait "$x11_xvfb" 2>/dev/null
            x11_xvfb=
        fi
        x11_n=$((x11_n + 1))
    done
    echo "not ok $name: Xvfb did not start on any of :90-:99: $(cat "$tmp/xvfb.log")"
    return 1
}

# The font of every terminal the tests start: DejaVu Sans Mono, from fonts-dejavu-core (which
# tools/deps.sh installs), named exactly and at a size in pixels for xterm, so that neither the
# machine's DPI nor the other fonts it happens to have change the cell; kitty takes points, so
# Xvfb is started at 96 DPI. `-fa Mono -fs 10` used to give 10x20 cells on one machine and 8x17
# on a bare Debian 12 (issue 11). Every xterm is started as
# `xterm -fa "$x11_fa" -xrm "$x11_xrm" ...`; x11_pin CELL picks the cell, 8x17 or 10x20 (the
# default). Tests still measure the cell from the window (x11_terminal); x11_cell_pinned checks
# that it is the one asked for.
x11_pin() {
    x11_cell=$1
    case $1 in
    8x17) x11_fa='DejaVu Sans Mono:pixelsize=13' x11_xrm='XTerm*scaleHeight: 1.0' ;;
    10x20) x11_fa='DejaVu Sans Mono:pixelsize=16' x11_xrm='XTerm*scaleHeight: 1.05' ;;
    *) echo "x11_pin: no font for a $1 cell" >&2; return 2 ;;
    esac
}
x11_pin 10x20
x11_kitty_font="DejaVu Sans Mono"

# x11_cell_pinned: true when x11_terminal measured the cell x11_cell asked for; else prints
# "not ok $name: ..." (a test whose point is that cell must not pass on another one).
x11_cell_pinned() {
    [ "${term_cw}x$term_ch" = "$x11_cell" ] && return 0
    echo "not ok $name: xterm drew ${term_cw}x$term_ch cells, not the pinned $x11_cell" \
        "(fc-match 'DejaVu Sans Mono': $(fc-match 'DejaVu Sans Mono' 2>&1))"
    return 1
}

# x11_track PID: a process of the test's, ended by x11_cleanup (before Xvfb).
x11_track() {
    x11_pids="$x11_pids $1"
}

# x11_kill PID: ends one tracked process now and waits for it.
x11_kill() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# x11_cleanup: ends the tracked processes, then Xvfb (which closes every window left on it),
# and removes $tmp. Only processes this test started, by their ids.
x11_cleanup() {
    for x11_p in $x11_pids; do
        kill "$x11_p" 2>/dev/null
    done
    for x11_p in $x11_pids; do
        wait "$x11_p" 2>/dev/null
    done
    x11_pids=
    if [ -n "$x11_xvfb" ]; then
        kill "$x11_xvfb" 2>/dev/null
        wait "$x11_xvfb" 2>/dev/null
        x11_xvfb=
    fi
    [ -n "$tmp" ] && rm -rf "$tmp"
}

# x11_easel_xterm DIR COLS ROWS: the workbench, scripted by DIR/keys (EASEL_UI_SCRIPT), in an
# `xterm -ti vt340` (sixel) of COLS x ROWS cells, on a fresh home in DIR/home with nothing of
# the test's own terminal in its environment: its trace in DIR/trace, stderr in DIR/err, exit
# status in DIR/rc, xterm's output in DIR/xterm.log. Waits for the window (x11_terminal, which
# sets term_*) and sets x11_easel_pid to xterm's; 1, with "not ok $name: ..." printed, when none
# comes in 20 s.
x11_easel_xterm() {
    mkdir -p "$1/home"
    env -u TERM_PROGRAM -u KITTY_WINDOW_ID -u KITTY_PID -u LC_TERMINAL -u TMUX -u STY \
        -u OPENAI_API_KEY -u OPENAI_BASE_URL -u NO_COLOR \
        XDG_DATA_HOME="$1/home/data" XDG_CONFIG_HOME="$1/home/config" \
        XDG_CACHE_HOME="$1/home/cache" EASEL_UI_SCRIPT="$1/keys" EASEL_UI_TRACE="$1/trace" \
        xterm -fa "$x11_fa" -xrm "$x11_xrm" -ti vt340 -geometry "${2}x$3" -e sh -c \
        '"$1" 2>"$2"; echo $? >"$3"' sh "$EASEL" "$1/err" "$1/rc" >"$1/xterm.log" 2>&1 &
    x11_easel_pid=$!
    x11_track $x11_easel_pid
    if ! x11_terminal XTerm "$2" "$3" 20; then
        echo "not ok $name: no xterm window in 20 s: $(cat "$1/xterm.log" 2>&1)"
        return 1
    fi
}

# x11_shot FILE: a screenshot of the whole screen.
x11_shot() {
    import -display "$x11_display" -window root "$1" 2>>"$tmp/import.log"
}

# x11_wait_file FILE SECONDS: waits until FILE exists; 1 when the deadline passes.
x11_wait_file() {
    x11_end=$(($(date +%s) + $2))
    while [ ! -e "$1" ]; do
        [ "$(date +%s)" -ge "$x11_end" ] && return 1
        sleep 0.2
    done
    return 0
}

# x11_window CLASS: "X Y W H" of the client area of the first window of that WM_CLASS, from
# xwininfo (absolute position; xterm draws into its only child window, which is taken when
# there is one). Empty when there is no such window yet.
x11_window() {
    xwininfo -display "$x11_display" -root -tree 2>/dev/null | awk -v cls="\"$1\")" '
        function geo(line,   f, i, n, size, pos, s, p) {
            n = split(line, f, " ")
            for (i = 1; i <= n; i++) {
                if (f[i] ~ /^[0-9]+x[0-9]+[-+]/) size = f[i]
                if (f[i] ~ /^[-+][0-9]+[-+][0-9]+$/) pos = f[i]
            }
            split(size, s, /[x+-]/)
            gsub(/\+/, " ", pos); gsub(/-/, " -", pos); split(pos, p, " ")
            return p[1] " " p[2] " " s[1] " " s[2]
        }
        function indent(line) { match(line, /^ */); return RLENGTH }
        !found && index($0, cls) { top = geo($0); depth = indent($0); found = 1; next }
        found && /^ *[0-9]+ child/ { next }
        found && /^ *0x[0-9a-f]+ / { if (indent($0) > depth) top = geo($0); exit }
        found && /[^ ]/ { exit }
        END { if (found) print top }
    '
}

# x11_terminal CLASS COLS ROWS SECONDS: waits for the terminal's window, then sets term_ox
# term_oy (the top-left text cell's corner on the screen) and term_cw term_ch (the cell size),
# taking the padding around the text area as even on both sides. 1 when no window appears.
x11_terminal() {
    x11_end=$(($(date +%s) + $4))
    x11_geo=
    # A terminal may map its window at a default size and then resize it to the cells it was
    # asked for: only a geometry that two reads agree on describes the text grid.
    x11_prev=
    while :; do
        x11_geo=$(x11_window "$1")
        [ -n "$x11_geo" ] && [ "$x11_geo" = "$x11_prev" ] && break
        x11_prev=$x11_geo
        [ "$(date +%s)" -ge "$x11_end" ] && return 1
        sleep 0.3
    done
    set -- $x11_geo "$2" "$3"
    term_cw=$(($3 / $5))
    term_ch=$(($4 / $6))
    term_ox=$(($1 + ($3 - $5 * term_cw) / 2))
    term_oy=$(($2 + ($4 - $6 * term_ch) / 2))
    return 0
}

# img_grid FILE W H COLOUR...: a WxH picture of equal flat blocks, two rows of the colours.
img_grid() {
    x11_f=$1 x11_w=$2 x11_h=$3
    shift 3
    x11_cols=$(($# / 2))
    x11_bw=$((x11_w / x11_cols)) x11_bh=$((x11_h / 2))
    x11_row1='' x11_row2='' x11_k=0
    for x11_c in "$@"; do
        if [ "$x11_k" -lt "$x11_cols" ]; then
            x11_row1="$x11_row1 xc:$x11_c"
        else
            x11_row2="$x11_row2 xc:$x11_c"
        fi
        x11_k=$((x11_k + 1))
    done
    # shellcheck disable=SC2086
    convert -size "${x11_bw}x$x11_bh" \( $x11_row1 +append \) \( $x11_row2 +append \) -append \
        -depth 8 "PNG24:$x11_f"
}

# img_find SHOT COLOUR...: "W H X Y", the bounding box of the pixels within 20% of any of the
# colours (far enough from black, white and each other for pure primaries and secondaries);
# "0 0 0 0" when there are none.
img_find() {
    x11_shot=$1
    shift
    x11_masks=
    for x11_c in "$@"; do
        x11_masks="$x11_masks ( -clone 0 -fuzz 20% -fill black +opaque $x11_c -fill white -opaque $x11_c )"
    done
    # shellcheck disable=SC2086
    x11_box=$(convert "$x11_shot" -alpha off $x11_masks -delete 0 -evaluate-sequence max \
        -bordercolor black -border 1 -format '%@' info: 2>/dev/null)
    img_box "$x11_box"
}

# img_extent SHOT BACKGROUND X Y W H: "W H X Y" on the screen, the bounding box of what differs
# by more than 10% from the background colour within the region WxH+X+Y.
img_extent() {
    x11_box=$(convert "$1" -alpha off -crop "${5}x${6}+${3}+${4}" +repage -bordercolor "$2" \
        -border 1 -fuzz 10% -format '%@' info: 2>/dev/null)
    set -- $(img_box "$x11_box") "$3" "$4"
    echo "$1 $2 $(($3 + $5)) $(($4 + $6))"
}

# img_box WxH+X+Y (of a picture with a 1-pixel border added): "W H X Y" without the border.
img_box() {
    echo "$1" | awk -F'[x+]' '{
        if ($1 + 0 < 2 || $2 + 0 < 2 || $1 + 0 > 100000) print "0 0 0 0"
        else print $1, $2, $3 - 1, $4 - 1 }'
}

# img_mae A B: the mean absolute difference of the two pictures, 0 to 1 (of the full range),
# averaged over pixels and channels.
img_mae() {
    compare -metric MAE "$1" "$2" null: 2>&1 | sed -n 's/.*(\([0-9.e-]*\)).*/\1/p'
}

# img_pixel FILE X Y: "R G B" of one pixel, 0-255.
img_pixel() {
    convert "$1" -format \
        "%[fx:round(255*p{$2,$3}.r)] %[fx:round(255*p{$2,$3}.g)] %[fx:round(255*p{$2,$3}.b)]" \
        info: 2>/dev/null
}

# img_near "R G B" "R G B" TOL: true when every channel differs by at most TOL.
img_near() {
    echo "$1 $2" | awk -v t="$3" '{
        for (i = 1; i <= 3; i++) { d = $i - $(i + 3); if (d < 0) d = -d; if (d > t) exit 1 } }'
}

# img_hex COLOUR: "R G B" of #rrggbb.
img_hex() {
    printf '%d %d %d\n' "0x$(echo "$1" | cut -c2-3)" "0x$(echo "$1" | cut -c4-5)" \
        "0x$(echo "$1" | cut -c6-7)"
}

# img_compare SHOT SOURCE W H X Y OUT: crops WxH+X+Y from the screenshot (into OUT.png), scales
# the source to WxH exactly (OUT-ref.png) and prints their mean absolute difference.
img_compare() {
    convert "$1" -alpha off -crop "$3x$4+$5+$6" +repage -depth 8 "PNG24:$7.png"
    convert "$2" -alpha off -resize "$3x$4!" -depth 8 "PNG24:$7-ref.png"
    img_mae "$7.png" "$7-ref.png"
}

# x11_picture TRACE: "W H X Y" on the screen, the last picture the workbench's trace
# (EASEL_UI_TRACE) says it drew: its rectangle's top-left cell (row=, col=) placed with
# x11_terminal's origin and cell size, and the picture's fitted size in pixels (fit=). For
# sixel the height is trimmed to whole 6-pixel bands and the width refitted, as easel's encoder
# does. Prints nothing when the trace names no picture.
x11_picture() {
    grep ' picture ' "$1" 2>/dev/null | tail -n 1 | awk -v ox="$term_ox" -v oy="$term_oy" \
        -v cw="$term_cw" -v ch="$term_ch" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        split(v["fit"], f, "x"); w = f[1]; h = f[2]
        if (v["protocol"] == "sixel" && h % 6 != 0 && h > 6) { k = (h - h % 6) / h; w = int(w * k); h = h - h % 6 }
        print w, h, ox + v["col"] * cw, oy + v["row"] * ch }'
}

# fits_box SW SH BW BH: "W H", a SWxSH picture fitted inside BWxBH keeping its aspect ratio.
fits_box() {
    awk -v sw="$1" -v sh="$2" -v bw="$3" -v bh="$4" 'BEGIN {
        k = bw / sw; if (bh / sh < k) k = bh / sh
        printf "%d %d\n", sw * k, sh * k }'
}

# lt A B: true when the number A is below B.
lt() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'
}

# x11_keep SHOT WHY [LABEL]: keeps a screenshot where a person can look at it: in $EASEL_SHOTS
# when that is set, else (for a failure, WHY = fail) in /tmp, as easel-<label>.png (the label
# defaults to $name). Prints its path.
x11_keep() {
    x11_tag=$(echo "easel-${3:-$name}" | tr -c 'A-Za-z0-9_.\n-' '-')
    if [ -n "${EASEL_SHOTS:-}" ]; then
        mkdir -p "$EASEL_SHOTS" && cp "$1" "$EASEL_SHOTS/$x11_tag.png" && echo "$EASEL_SHOTS/$x11_tag.png"
    elif [ "$2" = fail ]; then
        cp "$1" "/tmp/$x11_tag.png" && echo "/tmp/$x11_tag.png"
    fi
}

# x11_settle SHOT SECONDS COMMAND...: takes screenshots until COMMAND SHOT prints the same
# non-empty answer, other than "0 0 0 0", for two in a row (the terminal has finished drawing),
# or until the deadline; leaves the last screenshot in SHOT and the answer in $x11_answer.
x11_settle() {
    x11_s=$1 x11_end=$(($(date +%s) + $2))
    shift 2
    x11_answer='' x11_last=''
    while :; do
        x11_shot "$x11_s"
        x11_answer=$("$@" "$x11_s")
        if [ -n "$x11_answer" ] && [ "$x11_answer" != "0 0 0 0" ] &&
            [ "$x11_answer" = "$x11_last" ]; then
            return 0
        fi
        x11_last=$x11_answer
        [ "$(date +%s)" -ge "$x11_end" ] && return 1
        sleep 0.3
    done
}

# The test picture of the show tests: 480x320 (3:2, so a wrong aspect ratio shows) in four flat
# quadrants, red and green above blue and yellow (so a flip or a transposition shows).
quad_colours="#ff0000 #00ff00 #0000ff #ffff00"
quad_make() {
    # shellcheck disable=SC2086
    img_grid "$1" 480 320 $quad_colours
}
quad_find() {
    # shellcheck disable=SC2086
    img_find "$1" $quad_colours
}

# quad_check LABEL SHOT SOURCE COLS ROWS MAE_MAX [SLACK]: the checks a person makes on a screenshot of
# `easel show SOURCE` in a COLSxROWS terminal found by x11_terminal: the picture starts at the
# top-left text cell (within SLACK pixels, default 1); it fills the default box (COLS by ROWS-1 cells, keeping its aspect ratio)
# to within a cell; it matches the source scaled to its size (mean absolute difference below
# MAE_MAX of the full range); and each quadrant's centre has the quadrant's colour (within 6
# of 255 per channel). Prints one "ok"/"not ok" line per check; returns 1 when any failed.
quad_check() {
    qc_label=$1 qc_shot=$2 qc_src=$3 qc_cols=$4 qc_rows=$5 qc_max=$6 qc_slack=${7:-1} qc_bad=0
    set -- $(quad_find "$qc_shot")
    qc_w=$1 qc_h=$2 qc_x=$3 qc_y=$4
    if [ "$qc_w" -eq 0 ]; then
        echo "not ok $qc_label picture: none of the test picture's colours on the screen" \
            "($(x11_keep "$qc_shot" fail "$qc_label"))"
        return 1
    fi
    qc_dx=$((qc_x - term_ox)) qc_dy=$((qc_y - term_oy))
    if [ "$qc_dx" -ge -1 ] && [ "$qc_dx" -le "$qc_slack" ] && [ "$qc_dy" -ge -1 ] &&
        [ "$qc_dy" -le "$qc_slack" ]; then
        echo "ok $qc_label picture at the top-left cell"
    else
        echo "not ok $qc_label picture at the top-left cell: it starts at +$qc_x+$qc_y," \
            "the cell at +$term_ox+$term_oy"
        qc_bad=1
    fi
    set -- $(fits_box 480 320 $((qc_cols * term_cw)) $(((qc_rows - 1) * term_ch)))
    if [ $((qc_w - $1)) -le 0 ] && [ $(($1 - qc_w)) -le "$term_cw" ] &&
        [ $((qc_h - $2)) -le 0 ] && [ $(($2 - qc_h)) -le "$term_ch" ]; then
        echo "ok $qc_label picture size ${qc_w}x$qc_h"
    else
        echo "not ok $qc_label picture size: ${qc_w}x$qc_h drawn, $1x$2 expected" \
            "($qc_cols x $((qc_rows - 1)) cells of ${term_cw}x$term_ch)"
        qc_bad=1
    fi
    qc_mae=$(img_compare "$qc_shot" "$qc_src" "$qc_w" "$qc_h" "$qc_x" "$qc_y" "$tmp/region")
    if [ -n "$qc_mae" ] && lt "$qc_mae" "$qc_max"; then
        echo "ok $qc_label matches the source (MAE $qc_mae < $qc_max)"
    else
        echo "not ok $qc_label matches the source: MAE $qc_mae, at most $qc_max" \
            "($(x11_keep "$qc_shot" fail "$qc_label"))"
        qc_bad=1
    fi
    qc_k=0 qc_wrong=
    for qc_c in $quad_colours; do
        qc_px=$((qc_x + qc_w / 4 + (qc_k % 2) * qc_w / 2))
        qc_py=$((qc_y + qc_h / 4 + (qc_k / 2) * qc_h / 2))
        qc_got=$(img_pixel "$qc_shot" "$qc_px" "$qc_py")
        img_near "$qc_got" "$(img_hex "$qc_c")" 6 || qc_wrong="$qc_wrong $qc_c at +$qc_px+$qc_py is $qc_got;"
        qc_k=$((qc_k + 1))
    done
    if [ -z "$qc_wrong" ]; then
        echo "ok $qc_label quadrant colours"
    else
        echo "not ok $qc_label quadrant colours:$qc_wrong"
        qc_bad=1
    fi
    [ -n "${EASEL_SHOTS:-}" ] && x11_keep "$qc_shot" keep "$qc_label" >/dev/null
    return "$qc_bad"
}
