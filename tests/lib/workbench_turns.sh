# SPDX-License-Identifier: MIT
# The two-turn check of the workbench in a real terminal (sourced after x11.sh by
# xterm_workbench.sh and kitty_workbench.sh): the workbench, scripted by wb_keys, sends two
# prompts to the offline backend; after each turn a screenshot's preview region must match that
# turn's saved image, and after the second the first picture must be gone. The sourcing script
# sets $name, $tmp, MAE_MAX and OLD_RATIO (how much worse than the new picture the old one must
# compare), starts the terminal, and defines wb_shoot FILE (its way of taking a screenshot
# once the picture is drawn).

# wb_keys [MORE]: the script of keys: two turns, each waiting for the test's screenshot
# (picture drawn, nothing decoding), then MORE (C-q, say).
wb_keys() {
    cat >"$tmp/keys" <<KEYS
a red fox in the snow<Enter><wait-idle><dump $tmp/turn1.txt><wait-file $tmp/go1>
a blue paper boat on a lake<Enter><wait-idle><dump $tmp/turn2.txt><wait-file $tmp/go2>
${1:-}
KEYS
}

# wb_turn N: waits for turn N's dump, sets session and where (the picture's region on the
# screen, from the trace), shoots, compares the region with images/N-1.png (mae_N_own) and,
# after the second turn, with images/1-1.png (mae_2_old); then lets the workbench go on.
session= where=
wb_turn() {
    n=$1
    if ! x11_wait_file "$tmp/turn$n.txt" 60; then
        echo "not ok $name turn $n: no dump after 60 s: $(cat "$tmp/err" 2>/dev/null)"
        exit 0
    fi
    session=$(ls -d "$tmp"/home/data/easel/sessions/*/ | head -n 1)
    where=$(x11_picture "$tmp/trace")
    set -- $where
    if [ "${1:-0}" -lt 16 ]; then
        echo "not ok $name turn $n: no picture in the trace: $(tail -n 3 "$tmp/trace")"
        exit 0
    fi
    wb_shoot "$tmp/shot$n.png"
    x11_keep "$tmp/shot$n.png" keep "$name-turn$n" >/dev/null
    mae=$(img_compare "$tmp/shot$n.png" "$session/images/$n-1.png" "$1" "$2" "$3" "$4" "$tmp/region$n")
    eval "mae_${n}_own=\$mae"
    if [ "$n" -eq 2 ]; then
        mae_2_old=$(img_compare "$tmp/shot2.png" "$session/images/1-1.png" "$1" "$2" "$3" "$4" "$tmp/old")
    fi
    echo "info $name turn $n: picture ${1}x$2 at +$3+$4, MAE $mae against its image"
    touch "$tmp/go$n"
}

# wb_check_turn N WHAT: "ok" when turn N's picture matched its image.
wb_check_turn() {
    eval "wb_mae=\$mae_${1}_own"
    if lt "$wb_mae" "$MAE_MAX"; then
        echo "ok $name shows $2 (MAE $wb_mae < $MAE_MAX)"
    else
        echo "not ok $name shows $2: MAE $wb_mae, at most $MAE_MAX ($(x11_keep "$tmp/shot$1.png" fail "$name-turn$1"))"
    fi
}

# wb_check_old_gone: after the second turn, the region is unlike the first turn's image.
wb_check_old_gone() {
    if ! lt "$mae_2_old" "$MAE_MAX" && lt "$(awk -v a="$mae_2_own" -v r="$OLD_RATIO" 'BEGIN { print a * r }')" "$mae_2_old"; then
        echo "ok $name the old frame is gone (MAE $mae_2_old against the first image)"
    else
        echo "not ok $name the old frame is gone: MAE $mae_2_old against the first image, $mae_2_own against the second ($(x11_keep "$tmp/shot2.png" fail "$name-turn2"))"
    fi
}

# wb_check_exit: easel ended with exit code 0.
wb_check_exit() {
    if x11_wait_file "$tmp/rc" 30 && [ "$(cat "$tmp/rc")" = 0 ]; then
        echo "ok $name quits cleanly"
    else
        echo "not ok $name quits cleanly: exit $(cat "$tmp/rc" 2>/dev/null), $(cat "$tmp/err")"
    fi
}
