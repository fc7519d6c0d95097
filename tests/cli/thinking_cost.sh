#!/bin/sh
# SPDX-License-Identifier: MIT
# A thinking turn's money and progress (issue 15; protocol.md 15): its model calls the image
# tool as many times as it chooses (up to 8), so --dry-run shows the estimate as a range up
# to 8 images, a budget refuses at the range's top before anything is sent (where one image
# would pass), the progress line names the image it is on and never "of 1", and the cost
# recorded after a 4-image turn is still exact, from the usage the response reported, while
# the request record keeps the estimate's range for `easel log`.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok thinking-cost $1"; }
not_ok() { echo "not ok thinking-cost $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
offline() {
    env -u OPENAI_API_KEY -u OPENAI_BASE_URL "$EASEL" generate "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
py() { printf '%s\n' "$2" | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print($1)"; }
holds() { [ "$(py "bool($1)" "$2")" = True ]; }
prompt="a 4-panel storyboard of a fox who finds a lantern"

# ---- --dry-run: a range, and its top in --json --------------------------------------------
offline --dry-run --reasoning high "$prompt"
why="rc=$rc $(tail -n 1 "$tmp/out") $(cat "$tmp/err")"
check "--dry-run shows a thinking turn's estimate as a range up to 8 images" all '[ "$rc" -eq 0 ]' \
    'grep -q "^estimate: \$0\.[0-9]*–\$[0-9]*\.[0-9]*, up to 8 images (" "$tmp/out"'
offline --dry-run "$prompt"
why="$(tail -n 1 "$tmp/out")"
check "a turn without thinking keeps one amount" all '[ "$rc" -eq 0 ]' \
    'grep -q "^estimate: \$0\.[0-9]* (1 x " "$tmp/out"' '! grep -q "up to" "$tmp/out"'
offline --dry-run --json --web-search "$prompt"
why="rc=$rc $(cat "$tmp/out")"
check "--dry-run --json gives the range's top and the most images" all '[ "$rc" -eq 0 ]' \
    "holds 'r[\"images_max\"] == 8 and r[\"estimate_max_usd\"] > 7 * 0.211 + r[\"estimate_usd\"]' \"\$(cat '$tmp/out')\""

# ---- The budget checks the top ------------------------------------------------------------
# One image of a thinking turn at high effort is about $0.40, under session_budget_usd = 1;
# the eight it may make are about $1.88, over it.
reqlog="$tmp/requests.jsonl"
start_mock --request-log "$reqlog"
mkdir -p "$XDG_CONFIG_HOME/easel"
printf 'session_budget_usd = 1.00\n' >"$XDG_CONFIG_HOME/easel/config"
chmod 600 "$XDG_CONFIG_HOME/easel/config"
paid() {
    OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-thinking-cost "$EASEL" generate "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
paid -S story --reasoning high "$prompt"
why="rc=$rc $(cat "$tmp/err")"
check "a thinking turn that may pass the budget is refused (exit 2), saying why" all '[ "$rc" -eq 2 ]' \
    'grep -q "this call may make up to 8 images: its estimate of up to \$1\.[0-9]* would bring session .story. to \$1\.[0-9]*, past its budget of \$1\.00 (session_budget_usd); --force" "$tmp/err"'
why="$(cat "$reqlog" 2>/dev/null)"
check "the refused turn sent nothing" [ ! -s "$reqlog" ]
paid -S plain "$prompt"
why="rc=$rc $(cat "$tmp/err")"
check "the same prompt without thinking is within the budget" [ "$rc" -eq 0 ]

# ---- The cost recorded after the turn is exact --------------------------------------------
paid -S story --force --reasoning high "$prompt"
dir=$(session_dir_named story)
res=$(grep '"kind":"result"' "$dir/audit.jsonl" 2>/dev/null | tail -n 1)
why="rc=$rc $(cat "$tmp/err") $res"
check "--force sends it: four images" all '[ "$rc" -eq 0 ]' 'holds "len(r[\"images\"]) == 4" "$res"'
# The rates of data/prices.json (protocol.md 15): gpt-5.4 for usage, gpt-image-2 for the image
# tool's tool_usage, per million tokens.
why="$res"
check "the recorded cost is the usage at the table's rates, not an estimate" holds '
not r["cost_image_estimated"] and
abs(r["cost_text_usd"] - ((r["usage"]["input_tokens"] - r["usage"]["input_tokens_details"]["cached_tokens"]) * 2.5 + r["usage"]["input_tokens_details"]["cached_tokens"] * 0.25 + r["usage"]["output_tokens"] * 15.0) / 1e6) < 1e-9 and
abs(r["cost_image_usd"] - (r["tool_usage"]["image_gen"]["input_tokens_details"]["text_tokens"] * 5.0 + r["tool_usage"]["image_gen"]["input_tokens_details"]["image_tokens"] * 8.0 + r["tool_usage"]["image_gen"]["output_tokens_details"]["image_tokens"] * 30.0 + r["tool_usage"]["image_gen"]["output_tokens_details"]["text_tokens"] * 10.0) / 1e6) < 1e-9 and
abs(r["cost_usd"] - r["cost_text_usd"] - r["cost_image_usd"]) < 1e-9' "$res"
req=$(grep '"kind":"request"' "$dir/audit.jsonl" | tail -n 1)
"$EASEL" log story >"$tmp/log" 2>&1
why="$req $(grep 'estimate' "$tmp/log")"
check "the request record keeps the range, and easel log shows it" all \
    'holds "r[\"estimate_max_usd\"] > r[\"estimate_usd\"] + 7 * 0.211" "$req"' \
    'grep -q "(estimate \$0\.[0-9]*–\$1\.[0-9]*)" "$tmp/log"'
req=$(grep '"kind":"request"' "$(session_dir_named plain)/audit.jsonl")
why="$req"
check "a turn without thinking records one amount" holds '"estimate_max_usd" not in r' "$req"
stop_mock

# ---- Progress: the image it is on, never "of 1" ---------------------------------------------
# The progress line is drawn only on a terminal: script(1) gives the command one (and TERM
# one it can draw on: CI runs with none).
if command -v script >/dev/null 2>&1; then
    script -q -e -c "env -u OPENAI_API_KEY -u OPENAI_BASE_URL TERM=xterm-256color '$EASEL' generate -p 1 --reasoning low '4 panels of a fox' >/dev/null" \
        "$tmp/typescript" >/dev/null 2>&1
    rc=$?
    tr '\r' '\n' <"$tmp/typescript" >"$tmp/progress"
    why="rc=$rc $(grep -a 'partial' "$tmp/progress" | tail -n 3)"
    check "the progress names the image it is on, without a count not known" all '[ "$rc" -eq 0 ]' \
        'grep -aq "^.*done .*partial 1/1  image 4 " "$tmp/progress"' \
        '! grep -aq "image [0-9]*/" "$tmp/progress"'
    script -q -e -c "env -u OPENAI_API_KEY -u OPENAI_BASE_URL TERM=xterm-256color '$EASEL' generate -p 1 'a fox' >/dev/null" \
        "$tmp/typescript" >/dev/null 2>&1
    tr '\r' '\n' <"$tmp/typescript" >"$tmp/progress"
    why="$(grep -a 'partial' "$tmp/progress" | tail -n 3)"
    check "a turn of one image still counts it" grep -aq "done .*partial 1/1  image 1/1 " "$tmp/progress"
else
    echo "ok thinking-cost progress skipped: script(1) is not installed"
fi
