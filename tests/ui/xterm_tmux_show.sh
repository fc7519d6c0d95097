#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel show` at the bottom of a tmux pane (issue 17, item 8), looked at as a person would:
# tmux with its status line inside a sixel xterm (`xterm -ti vt340`) under Xvfb; the pane is
# filled with numbered lines, each with a magenta mark at a column of its own (line i at
# column 7i mod 60, so any shift of the screen by 1 to 59 rows moves every mark), which leaves
# the cursor on the pane's last line; then `easel show --protocol sixel` of a flat blue
# picture. Through tmux's passthrough the picture reaches xterm at xterm's own cursor; drawn
# there it ran past the bottom and scrolled the whole screen, status line included, while tmux
# believed nothing moved. A screenshot must show tmux's status line still on the bottom row;
# every pane row above the picture's place holding the line tmux holds there (`tmux
# capture-pane`: the same mark column); the rows tmux scrolled in for it blue; and the picture
# inside the pane, above its last row (where the cursor goes). A second case asks for a
# picture taller than the pane (--rows 200): it is drawn no taller than the pane less a row.
# A third draws the wide picture with kitty graphics in a kitty, where kitty places it at its
# own cursor (no Unicode placeholders before kitty 0.28); only with EASEL_TEST_KITTY_TMUX=1
# (a known race, below).
# Each case fails on the code that drew straight through passthrough (checked: the text
# shifted against tmux's copy, the picture over the cursor's row, the status line scrolled).
# Skips without Xvfb, xterm, tmux, xwininfo or ImageMagick.
: "${EASEL:?set EASEL to the easel binary}"
name="xterm-tmux-show"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb xterm tmux xwininfo import convert compare
tmp=$(mktemp -d)
sock="easel-show-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null; x11_cleanup' EXIT
trap 'exit 1' HUP INT PIPE TERM
x11_start 1280x1024x24 || exit 0

cols=100 rows=40 pane_rows=39 # the status line takes the screen's last row
blue="#0000ff"
# The colours as seen, loosely: each terminal has its own magenta and green (tmux draws
# colour46 as the terminal's own green when it takes it for an 8-colour one).
is_blue='$3 < 64 && $4 < 64 && $5 > 191' is_magenta='$3 > 150 && $4 < 100 && $5 > 150'
is_green='$3 < 64 && $4 > 150 && $5 < 64'
convert -size 640x160 "xc:$blue" -depth 8 "PNG24:$tmp/wide.png"
convert -size 400x400 "xc:$blue" -depth 8 "PNG24:$tmp/square.png"
# 80 lines: more than the pane holds, so the cursor ends on its last row.
awk 'BEGIN { for (i = 1; i <= 80; i++) printf "%*s\033[45m..\033[0m line %d\n", (7 * i) % 60, "", i }' \
    >"$tmp/lines"
# status-left/right empty: the status line is green across but for the window's name.
printf '%s\n' 'set -g allow-passthrough on' 'set -g status on' 'set -g status-position bottom' \
    'set -g status-style bg=colour46,fg=black' 'set -g status-interval 0' 'set -g status-left ""' 'set -g status-right ""' \
    >"$tmp/tmux.conf"
mkdir -p "$tmp/home"

# cells_read SHOT: one pixel of every cell of the terminal (centred, a third down, clear of
# the marks' dots), as "COL ROW R G B" lines in $tmp/cells: one ImageMagick call a screenshot.
cells_read() {
    convert "$1" -alpha off -crop "$((cols * term_cw))x$((rows * term_ch))+$term_ox+$term_oy" \
        +repage -define sample:offset=50x30 -sample "${cols}x$rows!" -depth 8 txt:- 2>/dev/null |
        sed -n 's/^\([0-9]*\),\([0-9]*\): *(\([0-9]*\),\([0-9]*\),\([0-9]*\)).*/\1 \2 \3 \4 \5/p' \
            >"$tmp/cells"
}

# cells_where ROW TEST [COL]: the first column of the row whose cell passes TEST (an awk
# condition on $3 $4 $5, the cell's red, green and blue), from COL on (default 0); -1 when none.
cells_where() {
    awk -v row="$1" -v from="${3:-0}" "\$2 == row && \$1 >= from && $2"' {
            if (best == "" || $1 < best) best = $1 }
        END { print best == "" ? -1 : best }' "$tmp/cells"
}

# row_is ROW TEST: true when the row's first cell and the one a third across pass TEST.
row_is() {
    [ "$(cells_where "$1" "$2")" = 0 ] && [ "$(cells_where "$1" "$2" $((cols / 3)))" = $((cols / 3)) ]
}

# run_case TERMINAL LABEL PICTURE ARGS...: the lines, then `easel show --protocol P ARGS
# PICTURE` in tmux in a fresh terminal: xterm with sixel, or kitty with kitty graphics (which
# kitty before 0.28 can only place at its cursor, with no Unicode placeholders); then checks
# the screenshot. 1 when the terminal cannot start.
run_case() {
    rc_term=$1 rc_label="$name $2" rc_pic=$3
    shift 3
    rm -f "$tmp/rc" "$tmp/err"
    rc_protocol=sixel
    [ "$rc_term" = kitty ] && rc_protocol=kitty
    # The pane's program: the lines, the picture once the test has seen tmux draw them (a
    # picture sent while tmux's first drawing of a new client is still on its way lands at
    # the terminal's home: not what a person in a drawn pane meets), then it waits.
    rm -f "$tmp/go"
    printf '%s\n' "cat '$tmp/lines'" "while [ ! -e '$tmp/go' ]; do sleep 0.1; done" \
        "XDG_DATA_HOME='$tmp/home/data' XDG_CONFIG_HOME='$tmp/home/config' XDG_CACHE_HOME='$tmp/home/cache' '$EASEL' show --protocol $rc_protocol $* '$rc_pic' 2>'$tmp/err'" \
        "echo \$? >'$tmp/rc'" "sleep 60" >"$tmp/pane.sh"
    set -- tmux -L "$sock" -f "$tmp/tmux.conf" new-session -s show "sh '$tmp/pane.sh'"
    if [ "$rc_term" = kitty ]; then
        env -u TERM_PROGRAM -u KITTY_WINDOW_ID -u KITTY_PID -u LC_TERMINAL -u TMUX -u STY \
            -u NO_COLOR LC_ALL=C.UTF-8 LIBGL_ALWAYS_SOFTWARE=1 \
            kitty --config NONE --class easel-tmux-show -o linux_display_server=x11 \
            -o font_family="$x11_kitty_font" -o font_size=10 -o remember_window_size=no \
            -o initial_window_width=${cols}c -o initial_window_height=${rows}c \
            -o window_padding_width=0 -o placement_strategy=top-left \
            -o cursor_blink_interval=0 -o enable_audio_bell=no -o update_check_interval=0 \
            -o confirm_os_window_close=0 "$@" >"$tmp/term.log" 2>&1 &
        rc_class=easel-tmux-show
    else
        env -u TERM_PROGRAM -u KITTY_WINDOW_ID -u KITTY_PID -u LC_TERMINAL -u TMUX -u STY \
            -u NO_COLOR LC_ALL=C.UTF-8 \
            xterm -fa "$x11_fa" -xrm "$x11_xrm" -ti vt340 -geometry "${cols}x$rows" -e "$@" \
            >"$tmp/term.log" 2>&1 &
        rc_class=XTerm
    fi
    rc_pid=$!
    x11_track $rc_pid
    if ! x11_terminal $rc_class "$cols" "$rows" 25; then
        if [ "$rc_term" = kitty ]; then
            echo "ok $rc_label # skip: kitty cannot start here: $(tail -n 2 "$tmp/term.log" | tr '\n' ' ')"
        else
            echo "not ok $rc_label: no xterm window in 25 s: $(cat "$tmp/term.log")"
        fi
        x11_kill $rc_pid
        return 1
    fi
    # Drawn: the status line on the bottom row and the last line's mark above the cursor.
    drawn_by=$(($(date +%s) + 20))
    while :; do
        x11_shot "$tmp/pre.png"
        cells_read "$tmp/pre.png"
        [ "$(cells_where $pane_rows "$is_green")" != -1 ] &&
            [ "$(cells_where $((pane_rows - 2)) "$is_magenta")" != -1 ] && break
        [ "$(date +%s)" -ge $drawn_by ] && break # the checks below say what is missing
        sleep 0.2
    done
    : >"$tmp/go"
    if ! x11_wait_file "$tmp/rc" 30 || [ "$(cat "$tmp/rc")" != 0 ]; then
        echo "not ok $rc_label: easel show did not finish well: exit $(cat "$tmp/rc" 2>/dev/null), $(cat "$tmp/err")"
        tmux -L "$sock" kill-server 2>/dev/null
        x11_kill $rc_pid
        return 1
    fi
    x11_settle "$tmp/shot.png" 10 img_find "$blue"
    tmux -L "$sock" capture-pane -p -t show >"$tmp/pane.txt"
    [ -n "${EASEL_SHOTS:-}" ] && x11_keep "$tmp/shot.png" keep "$rc_label" >/dev/null

    cells_read "$tmp/shot.png"

    # tmux's status line: still the screen's last row (green but for the window's name at its
    # left), and nowhere above it.
    status_above=$(awk -v n=$pane_rows "\$2 < n && $is_green { print \$2; exit }" "$tmp/cells")
    if [ "$(cells_where $pane_rows "$is_green" $((cols / 3)))" = $((cols / 3)) ] &&
        [ -z "$status_above" ]; then
        echo "ok $rc_label tmux's status line stays on the bottom row"
    else
        echo "not ok $rc_label tmux's status line stays on the bottom row: its green on the" \
            "bottom row: $(cells_where $pane_rows "$is_green" $((cols / 3))), above it on row ${status_above:-none}" \
            "($(x11_keep "$tmp/shot.png" fail "$rc_label"))"
    fi

    # Each pane row as tmux holds it: a line's mark where tmux has it, blue where the picture
    # went (the blank rows tmux scrolled in), above the cursor's row.
    set -- $(img_find "$tmp/shot.png" "$blue")
    pic_w=$1 pic_h=$2 pic_x=$3 pic_y=$4
    row=0 wrong= marked=0 blank_rows=0 first_blank=-1
    while [ $row -lt $((pane_rows - 1)) ]; do
        text=$(sed -n "$((row + 1))p" "$tmp/pane.txt")
        case $text in
        *..*)
            want=$(printf '%s\n' "$text" | awk '{ print index($0, "..") - 1 }')
            got=$(cells_where $row "$is_magenta")
            [ "$got" = "$want" ] || wrong="$wrong row $row: mark at $got, tmux has it at $want;"
            marked=$((marked + 1))
            ;;
        *)
            [ $first_blank -lt 0 ] && first_blank=$row
            row_is $row "$is_blue" || wrong="$wrong row $row: not the picture's blue;"
            blank_rows=$((blank_rows + 1))
            ;;
        esac
        row=$((row + 1))
    done
    echo "info $rc_label $marked rows of text above, $blank_rows rows for the picture ${pic_w}x$pic_h at +$pic_x+$pic_y"
    if [ -z "$wrong" ] && [ $blank_rows -gt 0 ]; then
        echo "ok $rc_label every pane row shows what tmux holds there"
    else
        echo "not ok $rc_label every pane row shows what tmux holds there:${wrong:- no rows for the picture}" \
            "($(x11_keep "$tmp/shot.png" fail "$rc_label"))"
    fi
    pane_bottom=$((term_oy + (pane_rows - 1) * term_ch))
    if [ "$pic_w" -gt 0 ] && [ "$pic_y" -ge $((term_oy + first_blank * term_ch - 1)) ] &&
        [ $((pic_y + pic_h)) -le "$pane_bottom" ] && [ "$pic_x" -le $((term_ox + 1)) ]; then
        echo "ok $rc_label the picture is inside the pane, above the cursor's row"
    else
        echo "not ok $rc_label the picture is inside the pane, above the cursor's row:" \
            "${pic_w}x$pic_h at +$pic_x+$pic_y, the pane's rows $first_blank to $((pane_rows - 2))" \
            "end at y=$pane_bottom ($(x11_keep "$tmp/shot.png" fail "$rc_label"))"
    fi
    tmux -L "$sock" kill-server 2>/dev/null
    x11_kill $rc_pid
}

run_case xterm "sixel wide" "$tmp/wide.png"
# Taller than the pane: at most the pane less the cursor's row (38 rows of 20 pixels).
run_case xterm "sixel tall" "$tmp/square.png" --rows 200
# Known race, so out of the default run until fixed: kitty on software OpenGL reads slowly,
# tmux then holds back its drawing for a full redraw later, and a picture sent meanwhile lands
# at kitty's cursor wherever that redraw left it (seen as the picture at the top, about one
# run in five under load). EASEL_TEST_KITTY_TMUX=1 runs it.
[ "${EASEL_TEST_KITTY_TMUX:-}" = 1 ] && command -v kitty >/dev/null 2>&1 &&
    run_case kitty "kitty wide" "$tmp/wide.png"
exit 0
