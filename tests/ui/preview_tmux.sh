#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel generate --preview` in a real terminal (tmux): partial frames are drawn inline and
# each replaces the last in place, so one picture remains above the saved path.
: "${EASEL:?set EASEL to the easel binary}"
command -v tmux >/dev/null 2>&1 || { echo "ok preview-tmux # skip: no tmux"; exit 0; }
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
trap 'tmux -S "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
tmux -S "$sock" -f /dev/null new-session -d -x 100 -y 50 \
    "env -u OPENAI_API_KEY -u OPENAI_BASE_URL XDG_DATA_HOME='$tmp/data' XDG_CACHE_HOME='$tmp/cache' \
     XDG_CONFIG_HOME='$tmp/config' '$EASEL' generate --preview -p 3 'a lighthouse at dusk'; sleep 30"
screen=
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    sleep 0.25
    screen=$(tmux -S "$sock" capture-pane -p)
    printf '%s\n' "$screen" | grep -q '^session: ' && break
done
printf '%s\n' "$screen" >"$tmp/screen"
rows=$(grep -c '▀' "$tmp/screen")
if [ "$rows" -ge 8 ] && [ "$rows" -le 24 ]; then
    echo "ok preview-tmux draws one picture ($rows rows of blocks)"
else
    echo "not ok preview-tmux draws one picture: $rows rows of blocks"; cat "$tmp/screen"
fi
if grep -q '^saved .*/images/1-1.png' "$tmp/screen"; then
    echo "ok preview-tmux saves below the picture"
else
    echo "not ok preview-tmux saves below the picture"
fi
