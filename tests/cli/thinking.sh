#!/bin/sh
# SPDX-License-Identifier: MIT
# Thinking turns (issue 15; protocol.md 15): --reasoning, --web-search and -d/--document on
# the offline backend. A 4-panel storyboard comes back as four images under one turn, each
# with its own revised prompt; the summary and the searches are in the log and in --json's
# events; the cost is split into text, image and searches; --verify is clean. Parameter rules
# refuse before anything is sent (exit 2), naming the rule.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok thinking $1"; }
not_ok() { echo "not ok thinking $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
offline() {
    env -u OPENAI_API_KEY -u OPENAI_BASE_URL "$EASEL" generate "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
py() { printf '%s\n' "$2" | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print($1)"; }
holds() { [ "$(py "bool($1)" "$2")" = True ]; }

printf '%%PDF-1.4\n%% a brief: a fox, a lantern, a winter night\n' >"$tmp/brief.pdf"
prompt="a 4-panel storyboard of a fox who finds a lantern"

# ---- One thinking turn, four images --------------------------------------------------------
offline -S story -p 1 --reasoning high --web-search -d "$tmp/brief.pdf" "$prompt"
dir=$(session_dir_named story)
why="rc=$rc $(cat "$tmp/err")"
check "the thinking turn completes" [ "$rc" -eq 0 ]
why="$(ls "$dir/images" 2>&1)"
check "four images under one turn" all '[ -s "$dir/images/1-1.png" ]' '[ -s "$dir/images/1-4.png" ]' \
    '[ ! -e "$dir/images/1-5.png" ]' '[ ! -e "$dir/images/2-1.png" ]'
req=$(grep '"kind":"request"' "$dir/audit.jsonl")
res=$(grep '"kind":"result"' "$dir/audit.jsonl")
why="$req"
check "the request records reasoning, the search tool and the document" \
    holds 'r["params"]["reasoning"] == {"effort": "high", "summary": "auto"} and {"type": "web_search"} in r["params"]["tools"] and any(p.get("type") == "input_file" and p.get("filename") == "brief.pdf" and "file_data" not in p for p in r["params"]["input"][0]["content"]) and [i["role"] for i in r["inputs"]] == ["document"]' "$req"
why="$res"
check "each image has its own revised prompt, with the document's name" \
    holds 'len(r["images"]) == 4 and [c["path"] for c in r["image_calls"]] == [i["path"] for i in r["images"]] and len(set(c["revised_prompt"] for c in r["image_calls"])) == 4 and all("brief.pdf" in c["revised_prompt"] for c in r["image_calls"]) and len(set(c["call_id"] for c in r["image_calls"])) == 4' "$res"
check "the summary names the prompt's words" \
    holds '"storyboard" in r["reasoning_summary"] and "lantern" in r["reasoning_summary"]' "$res"
check "the search is in the log" \
    holds 'len(r["web_searches"]) == 1 and r["web_searches"][0]["status"] == "completed" and "fox" in r["web_searches"][0]["query"]' "$res"
check "the cost is split into text, image and searches" \
    holds 'abs(r["cost_usd"] - (r["cost_text_usd"] + r["cost_image_usd"] + r["cost_search_usd"])) < 1e-9 and r["cost_search_usd"] == 0.01 and r["usage"]["output_tokens_details"]["reasoning_tokens"] > 0 and r["tool_usage"]["web_search"]["num_requests"] == 1' "$res"
# The variations differ, yet are one design (the same size and format).
why="$(sha256sum "$dir"/images/1-*.png)"
check "the four images differ" [ "$(sha256sum "$dir"/images/1-*.png | cut -c1-64 | sort -u | wc -l)" -eq 4 ]

"$EASEL" log story >"$tmp/log" 2>&1
why="$(cat "$tmp/log")"
check "easel log shows the summary, the search and the split" all \
    'grep -q "thinking  reasoning high, web search" "$tmp/log"' 'grep -q "^  summary .*storyboard" "$tmp/log"' \
    'grep -q "^  searched .*fox" "$tmp/log"' 'grep -q "+ searches \$0.0100" "$tmp/log"' \
    'grep -q "Image 3 of 4" "$tmp/log"'
"$EASEL" log story --verify >"$tmp/verify" 2>&1; vrc=$?
why="rc=$vrc $(cat "$tmp/verify")"
check "easel log --verify is clean" all '[ "$vrc" -eq 0 ]' 'grep -q " 0 problems" "$tmp/verify"'

# ---- --from TURN:K: the K-th image is the one edited -----------------------------------------
offline -S story --from 1:3 "the same scene at night"
req=$(grep '"kind":"request","turn":2,' "$dir/audit.jsonl")
sha3=$(sha256sum "$dir/images/1-3.png" | cut -c1-64)
why="rc=$rc $(cat "$tmp/err") $req"
check "--from 1:3 sends image 3 as the image to edit, continuing the response" all '[ "$rc" -eq 0 ]' \
    "holds 'r[\"inputs\"][0][\"role\"] == \"image\" and r[\"inputs\"][0][\"sha256\"] == \"$sha3\" and r[\"parent_turn\"] == 1 and r[\"previous_response_id\"]' '$req'"
offline -S story --from 1:9 "no such image"
why="rc=$rc $(cat "$tmp/err")"
check "--from 1:9 names an image the turn does not have" all '[ "$rc" -eq 2 ]' 'grep -q "no image 9" "$tmp/err"'

# ---- export SESSION:TURN:K: that image alone, with its own revised prompt -----------------------
"$EASEL" export story:1:3 "$tmp/export" >"$tmp/export.out" 2>&1; erc=$?
why="rc=$erc $(cat "$tmp/export.out"; ls "$tmp/export")"
check "export story:1:3 copies image 3 alone, its sidecar with its own revised prompt" all \
    '[ "$erc" -eq 0 ]' '[ "$(ls "$tmp/export")" = "$(printf "1-3.json\n1-3.png")" ]' \
    'cmp -s "$tmp/export/1-3.png" "$dir/images/1-3.png"' \
    'grep -q "Image 3 of 4" "$tmp/export/1-3.json"'
"$EASEL" export story:1:7 "$tmp/export7" >"$tmp/export.out" 2>&1; erc=$?
why="rc=$erc $(cat "$tmp/export.out")"
check "export story:1:7 names the image the turn does not have" all '[ "$erc" -eq 2 ]' \
    'grep -q "no image 7" "$tmp/export.out"'

# ---- --json: the summary and the searches as events ----------------------------------------
offline -S jsonturn --json --reasoning low --web-search "two frames of a heron at dawn"
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
types=$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["type"] for l in open(sys.argv[1])))' "$tmp/out")
check "--json streams reasoning and web_search events before the images" all '[ "$rc" -eq 0 ]' \
    'echo "$types" | grep -q "^start reasoning .*web_search.* image image done$"'
done_line=$(tail -n 1 "$tmp/out")
check "--json done carries the summary, searches and each image's prompt" \
    holds '"heron" in r["reasoning_summary"] and len(r["web_searches"]) == 1 and len(r["images"]) == 2 and "Image 2 of 2" in r["images"][1]["revised_prompt"]' "$done_line"
deltas=$(python3 -c 'import json,sys; print("".join(json.loads(l).get("delta","") for l in open(sys.argv[1])))' "$tmp/out")
why="$deltas"
check "the deltas add up to the summary" [ "$(py 'r["reasoning_summary"]' "$done_line")" = "$deltas" ]

# ---- Text from the network is sanitized before the terminal --------------------------------
# The offline backend's summary and search repeat the prompt's words: a C1 CSI and an ESC in
# them reach the output only as the log stores them, escaped, never as bytes.
hostile=$(printf 'a storyboard of a fox\302\23331mred\033[2J and a bidi\342\200\256word')
offline -S hostile -p 0 --reasoning low --web-search "$hostile"
"$EASEL" log hostile >"$tmp/hostile.log" 2>&1
why="rc=$rc $(od -c "$tmp/out" | head -20)"
check "the summary and searches are sanitized on the terminal" all '[ "$rc" -eq 0 ]' \
    'grep -q "reasoning summary" "$tmp/out"' 'grep -q "^  summary" "$tmp/hostile.log"' \
    'terminal_safe "$tmp/out" "$tmp/err" "$tmp/hostile.log"'

# ---- A plain turn stays plain ---------------------------------------------------------------
offline -S plain "a lighthouse"
res=$(grep '"kind":"result"' "$(session_dir_named plain)/audit.jsonl")
why="$res"
check "a turn without thinking records none of it" \
    holds '"reasoning_summary" not in r and "web_searches" not in r and "image_calls" not in r and len(r["images"]) == 1' "$res"

# ---- Parameter rules: exit 2 before sending ------------------------------------------------
reqlog="$tmp/requests.jsonl"
start_mock --request-log "$reqlog"
paid() {
    OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-thinking "$EASEL" generate "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
printf 'MZ\220\000binary' >"$tmp/tool.exe"
truncate -s 51M "$tmp/big.pdf" 2>/dev/null || dd if=/dev/zero of="$tmp/big.pdf" bs=1M count=51 2>/dev/null
printf '# notes\n' >"$tmp/notes.md"
for case in "max|--reasoning max|reasoning 'max' is not taken by gpt-5.4" \
            "exe|-d $tmp/tool.exe|not a type the API reads as an input_file" \
            "big|-d $tmp/big.pdf|larger than the API's 50 MB limit" \
            "images|--api images --web-search|only the Responses API" \
            "theme|-d $here/../themes/light.theme|not a type the API reads"; do
    name=${case%%|*}; rest=${case#*|}; args=${rest%%|*}; want=${rest#*|}
    # shellcheck disable=SC2086
    paid $args "a refused thinking turn"
    why="rc=$rc $(cat "$tmp/err")"
    check "refused before sending: $name" all '[ "$rc" -eq 2 ]' 'grep -qF "$want" "$tmp/err"'
done
why="$(cat "$reqlog" 2>/dev/null)"
check "nothing refused was sent" [ ! -s "$reqlog" ]
paid --dry-run --text-model gpt-5.5 --reasoning max -d "$tmp/notes.md" "a poster from my notes"
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "gpt-5.5 takes max; a markdown file is a document" all '[ "$rc" -eq 0 ]' \
    'grep -q "input_file" "$tmp/out"' 'grep -q "32000 reasoning at max" "$tmp/out"'

# A FIFO named as a document: refused before sending, never read forever.
mkfifo "$tmp/brief.fifo"
timeout 10 "$EASEL" generate --offline --dry-run -d "$tmp/brief.fifo" "a poster" >"$tmp/out" 2>"$tmp/err"; rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "a FIFO as a document is refused (exit 2), not read forever" \
    all '[ "$rc" -eq 2 ]' 'grep -q "not a regular file" "$tmp/err"'
