#!/bin/sh
# SPDX-License-Identifier: MIT
# A thinking turn in the workbench, in a real terminal (issue 15): tmux runs it against an
# `easel mock` that paces its events, with reasoning and web search on from the config. The
# reasoning summary is on screen before the first frame (the preview shows the plan while no
# frame has come, and no image is saved yet); the four images of a 4-panel storyboard show as
# a grid when the turn ends; picking image 3 and sending edits it (the next request sends
# images/1-3's bytes as the image to edit).
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
sock="easel-thinking-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null; stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok ui-thinking $1"; }
not_ok() { echo "not ok ui-thinking $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

if ! command -v tmux >/dev/null 2>&1; then
    echo "ok ui-thinking skipped: tmux is not installed"
    exit 0
fi

# Events 250 ms apart: the summary's deltas come one by one, well before the first frame.
start_mock --delay 250
home="$tmp/home"
mkdir -p "$home/config/easel"
printf 'reasoning = high\nweb_search = on\npartials = 1\n' >"$home/config/easel/config"
chmod 600 "$home/config/easel/config"
tmux -L "$sock" new-session -d -s wb -x 120 -y 40 \
    "env LC_ALL=C.UTF-8 TERM=screen-256color EASEL_GRAPHICS=blocks XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache OPENAI_BASE_URL=$url OPENAI_API_KEY=sk-test-thinking '$EASEL' 2>$tmp/err"
screen() { tmux -L "$sock" capture-pane -p -t wb; }
keys() { tmux -L "$sock" send-keys -t wb "$@"; }
# wait_for TEXT [TENTHS]: polls the pane (15 s by default).
wait_for() {
    i=0
    while [ $i -lt "${2:-150}" ]; do
        screen 2>/dev/null | grep -qF -- "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
images() { ls "$home"/data/easel/sessions/*/images/ 2>/dev/null | grep -c .; }

wait_for "Prompt" || { not_ok "starts" "$(screen; cat "$tmp/err")"; exit 0; }
keys -l "a 4-panel storyboard of a fox who finds a lantern"
keys Enter

# The summary streams piece by piece (its plan names the prompt's words), and while it is on
# the screen there is no frame yet.
wait_for "lantern:" 300
screen >"$tmp/thinking.txt"
saved=$(images)
why="images saved $saved; $(cat "$tmp/thinking.txt")"
check "the reasoning summary is on screen before the first frame" all \
    'grep -qF "thinking..." "$tmp/thinking.txt"' 'grep -qF "Planning the picture" "$tmp/thinking.txt"' \
    'grep -qF "lantern:" "$tmp/thinking.txt"' \
    '[ "$saved" -eq 0 ]'
wait_for "web search" 300
why="$(screen)"
check "the web search shows as it happens" wait_for "web search" 1

# The turn ends: all four images, as a grid to pick from.
wait_for "turn 1 completed" 600
screen >"$tmp/grid.txt"
why="$(cat "$tmp/grid.txt")"
check "the four images show as a grid when the turn ends" all \
    'grep -qF "turn 1 · 4 images · [1] 2 3 4" "$tmp/grid.txt"' '[ "$(images)" -eq 4 ]'

# Image 3: the preview has the focus two panels before the editor (history between).
keys BTab BTab Right Right
wait_for "[3] 4" 50
keys Enter
wait_for "1-3.png: the next send edits it" 50
why="$(screen)"
check "picking image 3 makes the next send edit it" wait_for "1-3.png: the next send edits it" 1
keys Tab Tab
keys -l "the same scene at night"
keys Enter
wait_for "turn 2 completed" 600
log=$(ls "$home"/data/easel/sessions/*/audit.jsonl)
dir=$(dirname "$log")
req=$(grep '"kind":"request","turn":2,' "$log")
sha3=$(sha256sum "$dir/images/1-3.png" | cut -c1-64)
why="$req"
check "editing image 3 sends it as the edit input" \
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); i=[x for x in r["inputs"] if x["role"] in ("image","reference")]; sys.exit(0 if i and i[0]["sha256"] == sys.argv[2] else 1)' "$req" "$sha3"

keys C-q
i=0
while tmux -L "$sock" has-session -t wb 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
