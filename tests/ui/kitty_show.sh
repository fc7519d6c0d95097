#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel show` in a real kitty under Xvfb (OpenGL from mesa's llvmpipe), looked at as a person
# would, first directly and then inside tmux with allow-passthrough on:
# - directly, easel must choose kitty graphics by asking (TERM and kitty's variables scrubbed),
#   and a screenshot must show the test picture (tests/lib/x11.sh) at the top-left cell,
#   filling the default box and matching the source scaled to the drawn size;
# - inside tmux, easel must reach kitty through passthrough: with Unicode placeholders when
#   the kitty in front has them (0.28 and later), and in any case the screenshot must show the
#   picture.
# Threshold: kitty shows the RGBA pixels easel sends without loss, at the size they were sent,
# so the only differences are along the seams, where easel's and ImageMagick's scalers blend a
# pixel or two differently: 0.06% of the full range (mean absolute difference) measured here.
# The limit, 0.3%, allows a one-pixel offset between the found region and the picture (0.17%);
# a shift by 2 pixels or more, a cell's shift (1.7%) or a wrong quadrant (8% or more) fails.
# Skips without Xvfb, kitty, script, xwininfo (x11-utils) or ImageMagick, and (printing kitty's
# error) when kitty cannot start here; the tmux part skips without tmux.
: "${EASEL:?set EASEL to the easel binary}"
name="kitty-show"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb kitty script xwininfo import convert compare
tmp=$(mktemp -d)
sock="easel-x11-$$"
cleanup() {
    command -v tmux >/dev/null 2>&1 && tmux -L "$sock" kill-server 2>/dev/null
    x11_cleanup
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
x11_start 1280x1024x24 || exit 0
quad_make "$tmp/quad.png"
esc=$(printf '\033')
# kitty's version, for what it can show: Unicode placeholders came in 0.28.
kitty_version=$(kitty --version 2>/dev/null | awk '{ print $2 }')
placeholders=$(echo "$kitty_version" | awk -F. '{ print ($1 > 0 || $2 >= 28) ? "yes" : "no" }')

# run_kitty LABEL COMMAND...: a 100x40 kitty (10-point monospace, no padding) running COMMAND,
# with its own window class; 1 (after printing a skip) when kitty cannot start.
run_kitty() {
    rk_label=$1
    shift
    env LIBGL_ALWAYS_SOFTWARE=1 kitty --config NONE --class "easel-$rk_label" \
        -o linux_display_server=x11 -o font_family="$x11_kitty_font" -o font_size=10 \
        -o remember_window_size=no -o initial_window_width=100c -o initial_window_height=40c \
        -o window_padding_width=0 -o placement_strategy=top-left -o cursor_blink_interval=0 \
        -o enable_audio_bell=no -o update_check_interval=0 -o confirm_os_window_close=0 \
        "$@" >"$tmp/kitty-$rk_label.log" 2>&1 &
    kitty_pid=$!
    x11_track "$kitty_pid"
    rk_end=$(($(date +%s) + 25))
    while :; do
        if x11_terminal "easel-$rk_label" 100 40 1; then
            return 0
        fi
        if ! kill -0 "$kitty_pid" 2>/dev/null || [ "$(date +%s)" -ge "$rk_end" ]; then
            echo "ok $name $rk_label # skip: kitty $kitty_version cannot start here:" \
                "$(grep -v '^$' "$tmp/kitty-$rk_label.log" | tail -n 3 | tr '\n' ' ')"
            return 1
        fi
    done
}

# The command each terminal runs: easel show under script (which keeps a copy of the bytes, to
# tell the protocol), then its exit code into rc.
cat >"$tmp/show.sh" <<EOF
script -q -e -c "'$EASEL' show '$tmp/quad.png' 2>'$tmp/err'" "\$1"
echo \$? >"\$1.rc"
sleep 30
EOF

# 1. Directly in kitty, with the hints kitty leaves in the environment removed.
if run_kitty direct env -u KITTY_WINDOW_ID -u KITTY_PID -u KITTY_PUBLIC_KEY -u TERM_PROGRAM \
    -u LC_TERMINAL -u TMUX TERM=xterm-256color sh "$tmp/show.sh" "$tmp/direct"; then
    if x11_wait_file "$tmp/direct.rc" 20; then
        x11_settle "$tmp/direct.png" 10 quad_find
        if [ "$(cat "$tmp/direct.rc")" = 0 ] && LC_ALL=C grep -aq "${esc}_Ga=T" "$tmp/direct" &&
            ! LC_ALL=C grep -aq "${esc}P[0-9;]*q" "$tmp/direct"; then
            echo "ok $name detects and draws kitty graphics"
        else
            echo "not ok $name detects and draws kitty graphics: exit $(cat "$tmp/direct.rc")," \
                "$(cat "$tmp/err"), $(wc -c <"$tmp/direct") bytes, no kitty transmission"
        fi
        quad_check "$name" "$tmp/direct.png" "$tmp/quad.png" 100 40 0.003
    else
        echo "not ok $name: easel show still running after 20 s"
    fi
    x11_kill "$kitty_pid"
else
    exit 0
fi

# 2. Inside tmux inside kitty: tmux keeps kitty's TERM (it needs it) but not kitty's variables.
if ! command -v tmux >/dev/null 2>&1; then
    echo "ok $name tmux # skip: no tmux"
    exit 0
fi
printf 'set -g allow-passthrough on\nset -g status off\n' >"$tmp/tmux.conf"
if run_kitty tmux env -u KITTY_WINDOW_ID -u KITTY_PID -u KITTY_PUBLIC_KEY -u TERM_PROGRAM \
    -u LC_TERMINAL -u TMUX tmux -L "$sock" -f "$tmp/tmux.conf" new-session \
    "sh '$tmp/show.sh' '$tmp/tmux'"; then
    if x11_wait_file "$tmp/tmux.rc" 20; then
        x11_settle "$tmp/tmux.png" 10 quad_find
        # U=1 in the transmission and U+10EEEE (UTF-8 f4 8e bb ae) in the text.
        sent_placeholders=no
        if LC_ALL=C grep -aq "${esc}${esc}_G[^;]*U=1" "$tmp/tmux" &&
            LC_ALL=C grep -aq "$(printf '\364\216\273\256')" "$tmp/tmux"; then
            sent_placeholders=yes
        fi
        if [ "$(cat "$tmp/tmux.rc")" != 0 ] ||
            ! LC_ALL=C grep -aq "${esc}Ptmux;${esc}${esc}_Ga=T" "$tmp/tmux"; then
            echo "not ok $name tmux kitty through passthrough: exit $(cat "$tmp/tmux.rc")," \
                "$(cat "$tmp/err"), no passthrough-wrapped kitty transmission"
        elif [ "$sent_placeholders" = "$placeholders" ]; then
            echo "ok $name tmux kitty through passthrough (placeholders: $sent_placeholders," \
                "kitty $kitty_version)"
        elif [ "$placeholders" = yes ]; then
            echo "not ok $name tmux kitty through passthrough: no Unicode placeholders"
        else
            echo "not ok $name tmux kitty through passthrough: Unicode placeholders sent to" \
                "kitty $kitty_version, which has them only from 0.28"
        fi
        # Placeholders fill whole cells and kitty centres the picture in them.
        quad_check "$name tmux" "$tmp/tmux.png" "$tmp/quad.png" 100 40 0.003 \
            "$term_ch"
    else
        echo "not ok $name tmux: easel show still running after 20 s"
    fi
fi
exit 0
