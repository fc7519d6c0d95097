#!/bin/sh
# SPDX-License-Identifier: MIT
# Thinking turns in the workbench after they are made, and their money (issue 15), by scripted
# keys with the screen dumped as text: the history shows a thinking turn's reasoning summary
# collapsed to one line with a marker, the detail view (v) shows it whole, both sanitized; the
# parameter panel shows the estimate as a range up to 8 images and colours the budget at its
# top, and Enter asks before a send that may pass it; while a turn makes several images the
# status and the preview's title name the image it is on, never "of 1".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR

ok() { echo "ok ui-thinking-history $1"; }
not_ok() { echo "not ok ui-thinking-history $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

# home NAME CONFIG: a fresh home whose config file holds CONFIG.
home() {
    home="$tmp/home.$1"
    mkdir -p "$home/config/easel"
    printf '%s' "$2" >"$home/config/easel/config"
    chmod 600 "$home/config/easel/config"
}
# ui NAME KEYS [URL]: the workbench at 120x40 on $home with KEYS, on the offline backend or
# on the mock at URL as a paid endpoint; the final screen in $tmp/NAME.screen.
ui() {
    printf '%s' "$2" >"$tmp/$1.keys"
    if [ -n "$3" ]; then
        set -- "$1" "$2" OPENAI_BASE_URL="$3" OPENAI_API_KEY=sk-test-thinking-history
    else
        set -- "$1" "$2"
    fi
    name=$1
    shift 2
    env "$@" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        EASEL_UI_SIZE=120x40 EASEL_UI_SCRIPT="$tmp/$name.keys" timeout 60 "$EASEL" \
        >"$tmp/$name.screen" 2>"$tmp/$name.err"
    rc=$?
}
has() { grep -qF -- "$2" "$1"; }

# ---- The summary in the history, whole in the detail view ---------------------------------
# The turn is made by `easel generate` with a prompt that carries a C1 CSI and a bidi override:
# the offline backend's summary names the prompt's words, these bytes among them.
home history 'reasoning = high
'
hostile=$(printf 'a 4-panel storyboard of a fox\302\23331mred and a bidi\342\200\256word lantern')
env -u OPENAI_API_KEY -u OPENAI_BASE_URL XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" \
    XDG_CACHE_HOME="$home/cache" "$EASEL" generate -S story -p 0 "$hostile" >"$tmp/gen.out" 2>&1
grc=$?
summary=$(cat "$home"/data/easel/sessions/*/audit.jsonl 2>/dev/null | grep '"kind":"result"' |
    python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["reasoning_summary"])' 2>/dev/null)
why="rc=$grc $(cat "$tmp/gen.out") summary: $summary"
check "the thinking turn's summary carries the hostile bytes" all '[ "$grc" -eq 0 ]' \
    'printf "%s" "$summary" | grep -q "$(printf "\302\233")"'
ui history "<S-Tab><dump $tmp/history.screen>v<dump $tmp/detail.screen><End><dump $tmp/detail-end.screen><Esc>"
why="rc=$rc $(cat "$tmp/history.err") $(grep -F '#1' -A 5 "$tmp/history.screen")"
check "the history shows the summary collapsed to a line with its marker" all '[ "$rc" -eq 0 ]' \
    "grep -q '│  thinking: ▸ \*\*Planning the picture\*\* The prompt name' '$tmp/history.screen'"
why="$(head -n 30 "$tmp/detail.screen")"
check "v shows the summary whole under its heading" all \
    "grep -q 'Reasoning summary ([0-9]* characters)' '$tmp/detail.screen' '$tmp/detail-end.screen'" \
    "cat '$tmp/detail.screen' '$tmp/detail-end.screen' | grep -q 'another arrangement. (offline stand-in)'"
why="$(grep -h 'storyboard,' "$tmp/detail.screen" "$tmp/detail-end.screen")"
check "the summary reaches the screen sanitized" all \
    'terminal_safe "$tmp/history.screen" "$tmp/detail.screen" "$tmp/detail-end.screen"' \
    "cat '$tmp/detail.screen' '$tmp/detail-end.screen' | grep -q 'storyboard, fox31mred, and, bidiword, lantern'"

# A turn without thinking, in a session of its own, has no such line.
home plain ''
ui plain "a lighthouse<Enter><wait-idle><dump $tmp/plain.screen>"
why="$(cat "$tmp/plain.screen")"
check "a turn without thinking shows no summary line" all '[ "$rc" -eq 0 ]' "has '$tmp/plain.screen' '#1 '" \
    "! has '$tmp/plain.screen' 'thinking:'"

# ---- The estimate is a range; the budget is judged at its top ------------------------------
# One image of a thinking turn at high effort is about $0.40, within session_budget_usd = 1;
# the eight it may make are about $1.9, past it: the panel says so, and Enter asks.
reqlog="$tmp/requests.jsonl"
start_mock --request-log "$reqlog"
home budget 'reasoning = high
session_budget_usd = 1.00
'
ui budget "a 4-panel storyboard of a fox<dump $tmp/budget.panel><Enter><dump $tmp/budget.asked>n" "$url"
why="$(grep -o 'next call[^│]*\|│ images[^│]*\|may pass[^│]*\|to \$[^│]*\|Enter asks[^│]*' "$tmp/budget.panel")"
check "the panel shows the estimate as a range up to 8 images" all \
    "grep -q '│ next call ≈ \$0\.[0-9]*–\$1\.[0-9]*, up to 8 *│' '$tmp/budget.panel'" \
    "grep -q '│ images *│' '$tmp/budget.panel'"
check "the panel marks the budget at the range's top" all \
    "has '$tmp/budget.panel' 'may pass session_budget_usd (up'" "has '$tmp/budget.panel' 'Enter asks before sending'"
why="$(tail -n 1 "$tmp/budget.asked")"
check "Enter asks before a thinking turn that may pass the budget" \
    grep -q 'may pass session_budget_usd (up to \$1\.[0-9]* of \$1\.00, up to 8 images): send anyway? y/N' "$tmp/budget.asked"
why="$(cat "$reqlog" 2>/dev/null)"
check "nothing was sent on n" sh -c "! grep -q '/responses' '$reqlog' 2>/dev/null"

# ---- Progress: the image it is on, never "of 1" ---------------------------------------------
# Events 200 ms apart: a 4-panel storyboard's images come one after the other over seconds,
# dumped as they come.
stop_mock
start_mock --delay 200
home progress 'reasoning = low
partials = 1
'
dumps=
i=1
while [ $i -le 24 ]; do dumps="$dumps<sleep 500><dump $tmp/progress.$i>"; i=$((i + 1)); done
ui progress "a 4-panel storyboard of a fox<Enter>$dumps<wait-idle>" "$url"
cat "$tmp"/progress.* >"$tmp/progress.all" 2>/dev/null
why="rc=$rc $(grep -ho 'generating[^│]*│[^│]*│[^│]*│\|turn 1 · image [^│]*' "$tmp"/progress.* | sort -u | head -n 12)"
check "the status names the image a turn of several is on" all '[ "$rc" -eq 0 ]' \
    "grep -q '^ generating [0-9.]*s │ image [1-8] │ partial [01]/1 │' '$tmp/progress.all'"
check "the preview's title names it too" \
    grep -q '│ turn 1 · image [1-8] · \(partial frame 1/1 · \)\?1024x1024 png' "$tmp/progress.all"
check "never as one of 1" sh -c "! grep -q 'image [0-9]*/1\b' '$tmp/progress.all'"
