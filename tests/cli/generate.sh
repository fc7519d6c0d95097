#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel generate` as a person or a script runs it, against `easel mock` with faults: exit
# codes, messages, the saved files and the audit records (issue 3).
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok generate $1"; }
not_ok() { echo "not ok generate $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

# gen ARGS...: runs easel generate against $url in a fresh data folder; sets $rc, and leaves
# stdout in $tmp/out, stderr in $tmp/err, the session folder in $session.
gen() {
    data="$tmp/data.$$.$(date +%s%N)"
    XDG_DATA_HOME="$data" XDG_CONFIG_HOME="$tmp/config" OPENAI_BASE_URL="$url" \
        OPENAI_API_KEY=sk-test-canary "$EASEL" generate "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    session=$(ls -d "$data"/easel/sessions/*/ 2>/dev/null | head -n 1)
}
result_field() { grep '"kind":"result"' "$session/audit.jsonl" | tail -n 1 | grep -o "\"$1\":[^,]*" | head -n 1; }

# A plain generation: exit 0, one image whose sha256 the log records.
start_mock
gen -p 2 "a cinematic portrait of a tabla player, warm rim light"
why="rc=$rc $(cat "$tmp/err")"
check "completes" [ "$rc" -eq 0 ]
img="$session/images/1-1.png"
why="no $img"
check "saves the image" [ -s "$img" ]
sum=$(sha256sum "$img" | cut -d' ' -f1)
why="log does not record $sum"
check "logs its sha256" grep -q "\"sha256\":\"$sum\"" "$session/audit.jsonl"
why="$(result_field partials)"
check "counts the partials" [ "$(result_field partials)" = '"partials":2' ]
why="$(cat "$tmp/out")"
check "prints the revised prompt" grep -q "^revised prompt: .*tabla" "$tmp/out"
why="the key reached the disk"
check "keeps the key off disk" sh -c "! grep -rq sk-test-canary '$data'"

# Several images: not streamed (the API refuses a stream with n > 1; the mock does too), the
# partial frames asked for are dropped with a warning, and the cost is the whole call's,
# twice one image's estimate.
gen --api images -n 2 -p 2 -q low "two kites"
why="rc=$rc $(cat "$tmp/err")"
check "makes two images in one call" all '[ "$rc" -eq 0 ]' '[ -s "$session/images/1-1.png" ]' \
    '[ -s "$session/images/1-2.png" ]'
check "says the partials are not streamed with n > 1" grep -q "partials 2: not streamed with count 2" "$tmp/err"
why="$(grep '^cost\|estimate' "$tmp/out" "$tmp/err")"
est=$(XDG_DATA_HOME="$tmp/dry" "$EASEL" generate --api images -n 2 -q low --dry-run "two kites" 2>&1 |
    sed -n 's/^estimate: \$\([0-9.]*\).*/\1/p')
check "logs the cost of both images" sh -c "[ -n '$est' ] && grep -q '^cost: \\\$$est' '$tmp/out'"

# The saved file is the final payload byte for byte: fetch the same stream with curl (the mock
# draws the same picture for the same request) and decode its completed event.
curl -sS -N -H 'content-type: application/json' \
    -d '{"model":"gpt-image-2","prompt":"byte for byte","partial_images":1,"stream":true}' \
    "$url/images/generations" >"$tmp/stream"
grep '^data: .*image_generation.completed' "$tmp/stream" | sed 's/.*"b64_json":"\([^"]*\)".*/\1/' \
    | base64 -d >"$tmp/final.png"
gen --api images -p 1 "byte for byte"
why="$(sha256sum "$tmp/final.png" "$session/images/1-1.png")"
check "file equals the decoded payload" cmp -s "$tmp/final.png" "$session/images/1-1.png"

# --json: one object per line, start first and done last.
gen --json -p 1 "a paper boat"
why="$(cat "$tmp/out")"
check "json lines" sh -c "head -n 1 '$tmp/out' | grep -q '\"type\":\"start\"' &&
    grep -q '\"type\":\"partial\"' '$tmp/out' && grep -q '\"type\":\"image\"' '$tmp/out' &&
    tail -n 1 '$tmp/out' | grep -q '\"type\":\"done\"'"

# Bad parameters: exit 2, the message names the parameter, nothing is sent or logged.
gen -s 1000x1000 "a kite"
why="rc=$rc $(cat "$tmp/err")"
check "bad size exits 2" [ "$rc" -eq 2 ]
check "bad size names the rule" grep -q "size '1000x1000'.*multiples of 16" "$tmp/err"
why="a session was written"
check "bad size sends nothing" [ -z "$session" ]

# 429 with retry-after, then success: exactly one retry, and the log shows both attempts.
start_mock --fault status=429,count=1,retry-after=1
gen --json "a lantern"
why="rc=$rc $(cat "$tmp/err")"
check "429 then success" [ "$rc" -eq 0 ]
why="$(grep -c '"type":"retry"' "$tmp/out") retry lines"
check "429 retried exactly once" [ "$(grep -c '"type":"retry"' "$tmp/out")" -eq 1 ]
why="$(grep '"kind":"result"' "$session/audit.jsonl")"
check "429 logged in the record" grep -q '"retries":\[{"http_status":429' "$session/audit.jsonl"

# A refusal (the moderation block): exit 3, the API's message, a failed record, no image.
start_mock --fault block=forbidden
gen "a forbidden picture"
why="rc=$rc $(cat "$tmp/err")"
check "refusal exits 3" [ "$rc" -eq 3 ]
check "refusal prints the message" grep -q "rejected by the safety system" "$tmp/err"
why="$(result_field status)"
check "refusal logged as failed" [ "$(result_field status)" = '"status":"failed"' ]
why="$(ls "$session/images")"
check "refusal saves no image" [ -z "$(ls "$session/images" 2>/dev/null)" ]

# A drop after the first partial: exit 5, no retry, the partial kept, the record interrupted.
start_mock --fault drop-after=0
gen --api images -p 2 "a drop"
why="rc=$rc $(cat "$tmp/err")"
check "drop exits 5" [ "$rc" -eq 5 ]
why="$(result_field status)"
check "drop logged as interrupted" [ "$(result_field status)" = '"status":"interrupted"' ]
why="$(ls "$session/images")"
check "drop keeps the partial" [ -s "$session/images/1-partial.png" ]
check "drop records the partial" grep -q "\"path\":\"images/1-partial.png\"" "$session/audit.jsonl"
check "drop is not retried" grep -q '"retries":\[\]' "$session/audit.jsonl"

# An error event inside the stream: non-zero exit and its message.
start_mock --fault error-event=0
gen -p 2 "an error event"
why="rc=$rc $(cat "$tmp/err")"
check "error event fails" all '[ "$rc" -ne 0 ]' '[ "$rc" -ne 5 ]'
check "error event message" grep -q "easel generate: ." "$tmp/err"

# A drip slower than the idle timeout: exit 4.
start_mock --fault drip=1
EASEL_IDLE_TIMEOUT_MS=700 gen "a slow drip"
why="rc=$rc $(cat "$tmp/err")"
check "drip past idle timeout exits 4" [ "$rc" -eq 4 ]

# SIGINT while waiting: exit 130 and a cancelled record.
start_mock --delay 3000
( sleep 0.7; pkill -INT -f "generate a slow cancel" ) &
gen "a slow cancel"
why="rc=$rc $(cat "$tmp/err")"
check "sigint exits 130" [ "$rc" -eq 130 ]
why="$(result_field status)"
check "sigint logged as cancelled" [ "$(result_field status)" = '"status":"cancelled"' ]
stop_mock

# Connection refused: exit 4 (after the retries a connection failure deserves).
url=http://127.0.0.1:9/v1
gen "nobody home"
why="rc=$rc $(cat "$tmp/err")"
check "connection refused exits 4" [ "$rc" -eq 4 ]

# No key and no base URL: the offline backend in the process, and a session that goes on in
# the next process (its responses are kept in the cache for the chain).
offline() {
    env -u OPENAI_API_KEY -u OPENAI_BASE_URL XDG_DATA_HOME="$tmp/offline-data" \
        XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/offline-cache" \
        "$EASEL" generate "$@" >"$tmp/out" 2>"$tmp/err"
}
offline -S rounds "a red fox in the snow"
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "offline without a key" [ "$rc" -eq 0 ]
check "offline says so" grep -q "offline backend" "$tmp/err"
offline -S rounds "make it night"
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "offline chain across processes" [ "$rc" -eq 0 ]
log=$(ls "$tmp"/offline-data/easel/sessions/*/audit.jsonl)
first_id=$(grep '"kind":"result","turn":1' "$log" | grep -o '"response_id":"[^"]*"' | cut -d'"' -f4)
why="turn 2 does not continue from $first_id"
check "offline chain names the previous response" \
    grep -q "\"kind\":\"request\",\"turn\":2,.*\"previous_response_id\":\"$first_id\"" "$log"

# --from on the Images API edits that turn's image; on a session of the Responses API it
# continues from that turn's response (branching).
offline -S branch --api images "a lighthouse at dusk"
offline -S branch --api images "a second picture"
offline -S branch --api images --from 1 "add a storm"
rc=$?
log=$(ls "$tmp"/offline-data/easel/sessions/*/audit.jsonl | xargs grep -l '"prompt":"add a storm"')
why="rc=$rc $(cat "$tmp/err")"
check "from turn on the images api" [ "$rc" -eq 0 ]
why="$(grep '"turn":3' "$log" | head -n 1)"
check "from turn edits that image" grep -q '"kind":"request","turn":3,.*"endpoint":"[^"]*/images/edits".*images/1-1.png.*"parent_turn":1' "$log"
offline -S rounds --from 1 "make it spring"
log=$(ls "$tmp"/offline-data/easel/sessions/*/audit.jsonl | xargs grep -l '"prompt":"make it spring"')
why="$(grep '"turn":3' "$log" | head -n 1)"
check "from turn branches a responses chain" \
    grep -q "\"kind\":\"request\",\"turn\":3,.*\"previous_response_id\":\"$first_id\",\"parent_turn\":1" "$log"

# Budgets: a call whose estimate would pass session_budget_usd is refused before sending
# (exit 2); --force sends it anyway. A budget limits what is billed: the mock reached through
# OPENAI_BASE_URL with a key stands for a paid backend here (the offline backend bills
# nothing, and tests/cli/money.sh shows a budget never stops it).
start_mock
mkdir -p "$tmp/budget-config/easel"
printf 'session_budget_usd = 0.01\n' >"$tmp/budget-config/easel/config"
budget() {
    XDG_DATA_HOME="$tmp/budget-data" XDG_CONFIG_HOME="$tmp/budget-config" \
        OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-budget \
        "$EASEL" generate "$@" >"$tmp/out" 2>"$tmp/err"
}
budget -S thrifty -q high "an expensive picture"
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "budget refuses past the limit" [ "$rc" -eq 2 ]
check "budget names the limit" grep -q "session_budget_usd" "$tmp/err"
why="an image was saved"
check "budget sends nothing" [ -z "$(ls "$tmp"/budget-data/easel/sessions/*/images 2>/dev/null)" ]
budget -S thrifty -q high --force "an expensive picture"
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "budget --force sends" [ "$rc" -eq 0 ]
stop_mock

# The conversation gone from the API (OpenAI keeps a response 30 days; here the offline
# backend's cache of responses is emptied): the turn fails with the API's message, easel says
# how to go on, and --new-conversation -i the newest image does; the turns after it chain
# again. --from and --new-conversation together are refused.
chain() {
    XDG_DATA_HOME="$tmp/chain-data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/chain-cache" \
        OPENAI_BASE_URL= OPENAI_API_KEY= "$EASEL" generate -S avatar "$@" >"$tmp/out" 2>"$tmp/err"
}
chain "a fox avatar"
rm -rf "$tmp/chain-cache"
chain "make the light warmer"
rc=$?
newest=$(ls "$tmp"/chain-data/easel/sessions/*/images/1-1.png)
why="rc=$rc $(cat "$tmp/err")"
check "a lost conversation fails with the API's message" all '[ "$rc" -eq 3 ]' \
    "grep -q 'Previous response with id .* not found' '$tmp/err'"
check "says how to go on from the newest image" \
    grep -qF -- "--new-conversation -i $newest" "$tmp/err"
chain --new-conversation -i "$newest" "make the light warmer"
rc=$?
chain "and a red scarf"
rc2=$?
log="$(ls "$tmp"/chain-data/easel/sessions/*/audit.jsonl)"
why="rc=$rc rc2=$rc2 $(cat "$tmp/err"); $(grep '"turn":3,' "$log" | head -n 1 | cut -c1-300)"
check "a new conversation goes on, and the next turn chains to it" all '[ "$rc" -eq 0 ]' \
    '[ "$rc2" -eq 0 ]' \
    "grep '\"kind\":\"request\"' '$log' | grep '\"turn\":3,' | grep -q '\"previous_response_id\":null'" \
    "grep '\"kind\":\"request\"' '$log' | grep '\"turn\":4,' | grep -q '\"previous_response_id\":\"resp_'"
chain --from 1 --new-conversation "both"
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "refuses --from with --new-conversation" all '[ "$rc" -eq 2 ]' "grep -q 'one or the other' '$tmp/err'"
