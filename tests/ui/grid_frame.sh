#!/bin/sh
# SPDX-License-Identifier: MIT
# A grid's selected image is framed on the picture itself (issue 17, item 4), in blocks mode
# too: in a real terminal (tmux; capture-pane -e keeps the colours) the workbench makes four
# images on the offline backend and shows them as a grid; the frame's yellow (#ffd400, or the
# 256-colour 220 nearest it) surrounds the first cell, and after Right the second.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
sock="easel-grid-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
export LC_ALL=C.UTF-8
: "${EASEL:?set EASEL to the easel binary}"

ok() { echo "ok ui-grid-frame $1"; }
not_ok() { echo "not ok ui-grid-frame $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }
if ! command -v tmux >/dev/null 2>&1; then
    echo "ok ui-grid-frame skipped: tmux is not installed"
    exit 0
fi

home="$tmp/home"
mkdir -p "$home"
tmux -L "$sock" new-session -d -s grid -x 120 -y 40 \
    "env -u OPENAI_API_KEY -u OPENAI_BASE_URL LC_ALL=C.UTF-8 TERM=screen-256color COLORTERM=truecolor EASEL_GRAPHICS=blocks XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache '$EASEL' 2>$tmp/err"
keys() { tmux -L "$sock" send-keys -t grid "$@"; sleep 0.2; }
wait_for() {
    i=0
    while [ $i -lt 200 ]; do
        tmux -L "$sock" capture-pane -p -t grid | grep -qF -- "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
wait_for Prompt
# count 4 (the fourth step from the default) and api images (the second), then the prompt.
keys Tab Down Down Down Right Right Right Right Down Down Down Down Down Down Right Right BTab
keys 'a blue lake under a grey sky' Enter
wait_for '4 images' || echo "# no grid: $(tmux -L "$sock" capture-pane -p -t grid | tail -n 3)"
keys BTab BTab
sleep 1
tmux -L "$sock" capture-pane -e -p -t grid >"$tmp/first.screen"
keys Right
sleep 1
tmux -L "$sock" capture-pane -e -p -t grid >"$tmp/second.screen"

# frame FILE: "ROWS COLS LEFT RIGHT": the rows and columns of cells in the frame's colour
# (fore- or background), and the leftmost and rightmost such column.
frame() {
    python3 - "$1" <<'PY'
import re, sys
yellow = re.compile(r"^(38|48);(2;255;212;0|5;220)$")
rows, cols = set(), set()
for y, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    x = 0
    fg = bg = ""
    for tok in re.split(r"(\x1b\[[0-9;]*m)", line.rstrip("\n")):
        if tok.startswith("\x1b["):
            params = tok[2:-1].split(";")
            i = 0
            while i < len(params):
                p = params[i]
                if p in ("38", "48") and i + 1 < len(params):
                    n = 5 if params[i + 1] == "2" else 3
                    val = ";".join(params[i:i + n])
                    if p == "38": fg = val
                    else: bg = val
                    i += n
                    continue
                if p in ("0", ""): fg = bg = ""
                if p == "39": fg = ""
                if p == "49": bg = ""
                i += 1
            continue
        for ch in tok:
            if yellow.match(fg) or yellow.match(bg):
                rows.add(y); cols.add(x)
            x += 1
print(len(rows), len(cols), min(cols) if cols else -1, max(cols) if cols else -1)
PY
}
set -- $(frame "$tmp/first.screen"); f_rows=$1 f_cols=$2 f_left=$3 f_right=$4
set -- $(frame "$tmp/second.screen"); s_rows=$1 s_cols=$2 s_left=$3 s_right=$4
why="first: $f_rows rows, $f_cols columns from $f_left to $f_right; second: $s_rows rows, $s_cols columns from $s_left to $s_right"
check "the first image is framed in blocks mode" sh -c "[ $f_rows -ge 4 ] && [ $f_cols -ge 4 ]"
check "Right moves the frame to the second image" sh -c "[ $s_rows -ge 4 ] && [ $s_left -gt $f_right ]"
