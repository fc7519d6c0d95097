#!/bin/sh
# SPDX-License-Identifier: MIT
# easel batch against the offline backend's Files and Batch APIs (issue 14, items 1-3): a
# 24-line template campaign (one reference image, twelve styles, two sizes) planned,
# submitted, waited for and fetched; failing lines in a shuffled output; fetch twice; a cut
# download resumed; plan errors that name line, field, value and rule.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok batch $1"; }
not_ok() { echo "not ok batch $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export EASEL_BATCH_POLL_MS=100
mkdir -p "$tmp/config/easel"
unset OPENAI_API_KEY OPENAI_BASE_URL
run() { "$EASEL" batch "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
paid() {
    OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-batch "$EASEL" batch "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
py() { code=$1; shift; python3 -c "$code" "$@"; }

# A small reference picture, the selfie of the campaign.
python3 - "$tmp/ref.png" <<'EOF'
import struct, sys, zlib
w = h = 64
raw = b''.join(b'\x00' + bytes((x * 4 % 256, y * 4 % 256, 128)) * 1 for y in range(h) for x in range(w))
raw = b''.join(b'\x00' + b''.join(bytes((x * 4 % 256, y * 4 % 256, 128)) for x in range(w)) for y in range(h))
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                              + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
EOF
cat >"$tmp/campaign.jsonl" <<'EOF'
# one selfie, twelve styles, two sizes
{"prompt": "the person in the photo as {style}", "images": "ref.png", "quality": "low", "custom_id": "{style}-{size}", "vary": {"style": ["ink", "oil", "watercolor", "pixel-art", "charcoal", "pop-art", "ukiyo-e", "cubism", "art-deco", "vaporwave", "claymation", "stained-glass"], "size": ["1024x1024", "1536x1024"]}}
EOF

# ---- plan ---------------------------------------------------------------------------------
start_mock --batch-seconds 0.5 --request-log "$tmp/requests.log"
paid plan --json "$tmp/campaign.jsonl"
plan=$(cat "$tmp/out")
why="rc=$rc $plan $(cat "$tmp/err")"
check "plan of the template: 24 edit lines, half the interactive estimate, within budget" \
    py 'import json,sys; p=json.loads(sys.argv[1]); sys.exit(not (p["lines"]==24 and p["edits"]==24 and p["endpoints"]==["/v1/images/edits"] and abs(p["estimate_usd"]*2-p["interactive_usd"])<1e-9 and p["budget_ok"]))' "$plan"
why="$(cat "$tmp/requests.log" 2>/dev/null)"
check "plan sends nothing" [ ! -s "$tmp/requests.log" ]
paid plan "$tmp/campaign.jsonl"
why="$(cat "$tmp/out")"
check "plan prints count, endpoint, both estimates and the budget" \
    all 'grep -q "^plan: 24 lines" "$tmp/out"' 'grep -q "/v1/images/edits (24 lines)" "$tmp/out"' \
        'grep -q "at batch prices (interactive" "$tmp/out"' 'grep -q "^budget: within the budget" "$tmp/out"'

cat >"$tmp/bad.jsonl" <<'EOF'
{"prompt": "a fox in snow", "size": "1024x1024"}
{"prompt": "a fox", "size": "1000x1000"}
{"prompt": "a fox", "quality": "ultra"}
{"prompt": "a fox as {thing}", "vary": {"style": ["ink"]}}
{"prompt": "a fox", "images": "missing.png"}
{"prompt": "a fox", "colour": "red"}
EOF
paid plan "$tmp/bad.jsonl"
why="rc=$rc $(cat "$tmp/err")"
check "plan errors exit 2" [ "$rc" -eq 2 ]
check "each plan error names line, field, value and rule" \
    all 'grep -q "bad.jsonl:2: field size, value .1000x1000.: .*multiples of 16" "$tmp/err"' \
        'grep -q "bad.jsonl:3: field quality, value .ultra.: .*expected one of" "$tmp/err"' \
        'grep -q "bad.jsonl:4 (variant 1): field prompt, value .{thing}.: vary has no list named .thing." "$tmp/err"' \
        'grep -q "bad.jsonl:5: field images, value .missing.png.: " "$tmp/err"' \
        'grep -q "bad.jsonl:6: field colour, value .red.: not a field" "$tmp/err"' \
        '! grep -q "bad.jsonl:1:" "$tmp/err"'
printf 'prompt,size,quality\n"a fox, in ""snow""",1024x1024,low\n"a heron\nat dawn",1000x1000,low\n' >"$tmp/bad.csv"
paid plan "$tmp/bad.csv"
why="rc=$rc $(cat "$tmp/err")"
check "a CSV row's error names its line" \
    all '[ "$rc" -eq 2 ]' 'grep -q "bad.csv:3: field size, value .1000x1000." "$tmp/err"'
paid submit "$tmp/bad.jsonl"
why="rc=$rc $(cat "$tmp/requests.log" 2>/dev/null)"
check "submit of a bad plan exits 2 and sends nothing" \
    all '[ "$rc" -eq 2 ]' '[ ! -s "$tmp/requests.log" ]'

# ---- budgets apply before anything is sent -------------------------------------------------
printf 'budget_usd = 0.01\n' >"$tmp/config/easel/config"
paid plan "$tmp/campaign.jsonl"
why="rc=$rc $(cat "$tmp/out")"
check "plan says the budget's verdict" all '[ "$rc" -eq 0 ]' 'grep -q "^budget: .*past the budget" "$tmp/out"'
paid submit -S over "$tmp/campaign.jsonl"
why="rc=$rc $(cat "$tmp/err") $(cat "$tmp/requests.log" 2>/dev/null)"
check "submit past budget_usd is refused with exit 2, nothing sent" \
    all '[ "$rc" -eq 2 ]' 'grep -q "force" "$tmp/err"' '[ ! -s "$tmp/requests.log" ]'
: >"$tmp/config/easel/config"

# ---- the 24-line campaign -------------------------------------------------------------------
paid submit -S campaign "$tmp/campaign.jsonl"
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "submit" [ "$rc" -eq 0 ]
dir=$(session_dir_named campaign)
log="$dir/audit.jsonl"
batch=$(sed -n 's/^batch \(batch_[^:]*\):.*/\1/p' "$tmp/out")
why="$(grep -c . "$tmp/requests.log")"
check "the reference is uploaded once (purpose vision), the input file once (purpose batch)" \
    all '[ "$(grep -c "\"path\":\"/v1/files\"" "$tmp/requests.log")" -eq 2 ]' \
        '[ "$(grep -c "\"value\":\"vision\"" "$tmp/requests.log")" -eq 1 ]' \
        '[ "$(grep -c "\"value\":\"batch\"" "$tmp/requests.log")" -eq 1 ]'
why="$(head -c 2000 "$log")"
check "the batch record and 24 requests with custom_id come before the batch is created" \
    py 'import json,sys
rs=[json.loads(l) for l in open(sys.argv[1])]
kinds=[(r["kind"], r.get("batch_id")) for r in rs]
first=kinds.index(("batch", None))
created=[i for i,r in enumerate(rs) if r["kind"]=="batch" and r["batch_id"]]
reqs=[i for i,r in enumerate(rs) if r["kind"]=="request" and r.get("custom_id")]
sys.exit(not (len(reqs)==24 and first < min(reqs) and created and max(reqs) < created[0]))' "$log"
paid status "$batch"
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "status of one batch" all '[ "$rc" -eq 0 ]' 'grep -q "^lines: 24" "$tmp/out"'
paid wait -S campaign --json
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "wait --json: progress lines, then the fetch" \
    all '[ "$rc" -eq 0 ]' 'grep -q "\"type\":\"progress\"" "$tmp/out"' \
        'grep -q "\"type\":\"fetched\".*\"saved\":24" "$tmp/out"'
check "24 images saved" [ "$(ls "$dir/images" | wc -l)" -eq 24 ]
why="$(grep '"kind":"result"' "$log" | head -n 2)"
check "every line's request and result are in the log, matched by custom_id" \
    py 'import json,sys
rs=[json.loads(l) for l in open(sys.argv[1])]
req={r["turn"]:r["custom_id"] for r in rs if r["kind"]=="request"}
res={r["turn"]:r for r in rs if r["kind"]=="result"}
ok=len(req)==24 and sorted(req)==sorted(res) and all(res[t]["custom_id"]==req[t] and res[t]["batch_id"] and res[t]["status"]=="completed" and len(res[t]["images"])==1 for t in req)
ok=ok and all((res[t]["images"][0]["width"]==1536)==req[t].endswith("1536x1024") for t in req)
sys.exit(not ok)' "$log"
"$EASEL" log campaign --verify >"$tmp/verify" 2>&1
why="$(cat "$tmp/verify")"
check "easel log --verify is clean" grep -q " 0 problems" "$tmp/verify"
why="$(grep '"kind":"result"' "$log" | head -n 1)"
check "each line costs its usage at half the interactive token prices" \
    py 'import json,sys
t=json.load(open(sys.argv[2]))["models"]["gpt-image-2"]["per_million_tokens"]
rs=[json.loads(l) for l in open(sys.argv[1]) if "\"kind\":\"result\"" in l]
def full(u):
    d=u.get("input_tokens_details") or {}
    return (d.get("text_tokens",0)*t["text_input"]+d.get("image_tokens",0)*t["image_input"]+u["output_tokens"]*t["image_output"])/1e6
sys.exit(not all(abs(r["cost_usd"]-full(r["usage"])/2)<1e-9 for r in rs) or len(rs)!=24)' "$log" "$here/../data/prices.json"
"$EASEL" batch fetch -S campaign >"$tmp/out2" 2>&1
n_before=$(wc -l <"$log")
paid fetch "$batch"
why="rc=$rc $(cat "$tmp/out")"
check "fetch twice saves nothing twice" \
    all '[ "$(ls "$dir/images" | wc -l)" -eq 24 ]' \
        '[ "$(grep -c "\"kind\":\"result\"" "$log")" -eq 24 ]' 'grep -q "24 fetched before" "$tmp/out"'
paid status
why="$(cat "$tmp/out")"
check "status without a batch: a table with counts and age" \
    all 'grep -q "^BATCH .*STATUS.*DONE.*FAILED.*LINES.*AGE" "$tmp/out"' \
        'grep -q "^$batch  *completed  *24  *0  *24 " "$tmp/out"'

# ---- failing lines, shuffled output -------------------------------------------------------
start_mock --batch-seconds 0.3 --fault batch-fail=3
cat >"$tmp/twelve.jsonl" <<'EOF'
{"prompt": "a lighthouse in {weather}", "quality": "low", "vary": {"weather": ["fog", "rain", "snow", "sun", "storm", "hail", "dusk", "dawn", "night", "wind", "haze", "mist"]}}
EOF
paid submit -S failing "$tmp/twelve.jsonl"
paid wait -S failing
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "a batch with failing lines: wait exits 3, 9 saved, 3 failed" \
    all '[ "$rc" -eq 3 ]' 'grep -q "9 saved (9 images), 3 failed" "$tmp/out"'
flog="$(session_dir_named failing)/audit.jsonl"
why="$(grep '"status":"failed"' "$flog" | head -n 1)"
check "the 3 failures are recorded with their messages; the rest under the right custom_id" \
    py 'import json,sys,re
rs=[json.loads(l) for l in open(sys.argv[1])]
req={r["turn"]:r for r in rs if r["kind"]=="request"}
res=[r for r in rs if r["kind"]=="result"]
bad=[r for r in res if r["status"]=="failed"]
good=[r for r in res if r["status"]=="completed"]
ok=len(bad)==3 and all(r["error"] and r["error"]["message"] for r in bad) and len(good)==9
ok=ok and all(r["custom_id"]==req[r["turn"]]["custom_id"] for r in res)
order=[r["turn"] for r in res]
sys.exit(not (ok and order!=sorted(order)))' "$flog"

# ---- a cut download, resumed --------------------------------------------------------------
start_mock --batch-seconds 0.3 --fault cut=1000000
paid submit -S cut "$tmp/twelve.jsonl"
EASEL_DEBUG_HTTP=1 paid wait -S cut
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "a cut download is resumed and every line saved once" \
    all '[ "$rc" -eq 0 ]' 'grep -q "12 saved (12 images)" "$tmp/out"' 'grep -q "resuming" "$tmp/err"' \
        '[ "$(ls "$(session_dir_named cut)/images" | wc -l)" -eq 12 ]'
why="$(grep -i "range\|HTTP/1.1 20" "$tmp/err")"
check "the resumed download asks for the rest only (Range: bytes=N-, 206)" \
    all 'grep -q "^> Range: bytes=[1-9][0-9]*-" "$tmp/err"' 'grep -q "^< HTTP/1.1 206" "$tmp/err"' 
"$EASEL" log cut --verify >"$tmp/verify" 2>&1
why="$(cat "$tmp/verify")"
check "the resumed fetch's log verifies" grep -q " 0 problems" "$tmp/verify"

# ---- expired: what finished is fetched, the rest recorded -----------------------------------
start_mock --batch-seconds 0.3 --fault batch-expire=5
paid submit -S expired "$tmp/twelve.jsonl"
paid wait -S expired
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "an expired batch fetches what finished and records the rest" \
    all '[ "$rc" -eq 3 ]' 'grep -q "(expired): 5 saved" "$tmp/out"' \
        '[ "$(grep -c "\"kind\":\"result\"" "$(session_dir_named expired)/audit.jsonl")" -eq 12 ]'

# ---- a batch line is not an interrupted turn ----------------------------------------------
start_mock --batch-seconds 30
paid submit -S pending "$tmp/twelve.jsonl"
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-batch "$EASEL" generate -S pending --api images \
    "one more lighthouse" >/dev/null 2>&1
plog="$(session_dir_named pending)/audit.jsonl"
why="$(grep '"status":"interrupted"' "$plog" | head -n 2)"
check "opening a session with pending batch lines does not close them as interrupted" \
    [ "$(grep -c '"status":"interrupted"' "$plog")" -eq 0 ]
pending_id=$(sed -n 's/^batch \(batch_[^:]*\):.*/\1/p' "$tmp/out" | head -n 1)
paid cancel "$pending_id"
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "cancel" all '[ "$rc" -eq 0 ]' 'grep -q "^batch $pending_id: cancel" "$tmp/out"'
paid wait "$pending_id"
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "a cancelled batch's lines are all recorded (cancelled), exit 3" \
    all '[ "$rc" -eq 3 ]' '[ "$(grep "\"kind\":\"result\"" "$plog" | grep -c "\"custom_id\"")" -eq 12 ]'
paid cancel -S pending nosuchbatch
why="rc=$rc $(cat "$tmp/err")"
check "cancel of an unknown batch exits 2" [ "$rc" -eq 2 ]

# A FIFO where the plan should be: refused at once, never waited on.
mkfifo "$tmp/plan.fifo"
timeout 10 "$EASEL" batch plan "$tmp/plan.fifo" >"$tmp/out" 2>"$tmp/err"; rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "a FIFO as the plan is refused (exit 2), not read forever" \
    all '[ "$rc" -eq 2 ]' 'grep -q "not a regular file" "$tmp/err"'
