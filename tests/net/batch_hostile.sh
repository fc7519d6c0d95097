#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel batch` against servers that are not the offline backend: a batch on Azure OpenAI goes
# where the other requests go and carries the key as they do (api-key, the base URL's query
# kept); a server that lies in its Batch API (request counts past LONG_MAX and more lines done
# than the batch has, a request_counts too long to copy, an output file whose every line fails
# with escape sequences, a cancel whose status holds them) neither crashes `easel batch wait`
# nor reaches the terminal raw; nor does a tampered log's endpoint through `batch status`.
# `batch wait --json | head -1` ends with head; a batch whose creation went unanswered is found
# by its metadata and fetched.
# Prints "ok batch-hostile NAME" / "not ok batch-hostile NAME: why".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; stop_hostile; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
. "$here/lib/hostile.sh"
if ! command -v python3 >/dev/null 2>&1; then
    echo "ok batch-hostile # skip: no python3"
    exit 0
fi

ok() { echo "ok batch-hostile $1"; }
not_ok() { echo "not ok batch-hostile $1: $2"; }
check() { name=$1; shift; if all "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }
all() { for c in "$@"; do eval "$c" || return 1; done; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export EASEL_BATCH_POLL_MS=100 NO_COLOR=1
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID OPENAI_API_VERSION \
    AZURE_OPENAI_API_KEY AZURE_OPENAI_ENDPOINT
mkdir -p "$tmp/config/easel"
KEY=azure-batch-key-canary-51c2
printf '{"prompt": "a lighthouse, {style}", "quality": "low", "size": "1024x1024", "vary": {"style": ["ink", "oil"]}}\n' \
    >"$tmp/plan.jsonl"

# ---- Azure OpenAI: the batch's requests as every other request ----------------------------
reqlog="$tmp/requests.jsonl"
: >"$reqlog"
start_mock --azure --batch-seconds 0.2 --request-log "$reqlog"
AZURE_OPENAI_ENDPOINT="$url" AZURE_OPENAI_API_KEY="$KEY" OPENAI_API_VERSION=2025-04-01-preview \
    "$EASEL" batch submit -S az "$tmp/plan.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
why="rc $rc: $(cat "$tmp/err") $(tail -n 2 "$reqlog")"
check "submit on Azure: /openai/files and /openai/batches with api-version and the api-key header" \
    '[ "$rc" = 0 ]' \
    'python3 - "$reqlog" <<EOF
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["path"] for r in rs] == ["/openai/files", "/openai/batches"], [r["path"] for r in rs]
assert all(r["query"] == "api-version=2025-04-01-preview" for r in rs)
assert all(r["headers"]["api-key"] and not r["headers"]["authorization"] for r in rs)
EOF'
AZURE_OPENAI_ENDPOINT="$url" AZURE_OPENAI_API_KEY="$KEY" OPENAI_API_VERSION=2025-04-01-preview \
    "$EASEL" batch wait -S az >"$tmp/out" 2>"$tmp/err"; rc=$?
why="rc $rc: $(cat "$tmp/err") $(tail -n 2 "$reqlog")"
check "wait and fetch on Azure: the batch and its output asked for with api-version" \
    '[ "$rc" = 0 ]' 'grep -q "2 saved (2 images)" "$tmp/out"' \
    '[ "$(grep -c "\"path\":\"/openai/batches/" "$reqlog")" -ge 1 ]' \
    '[ "$(grep -c "\"path\":\"/openai/files/.*/content\"" "$reqlog")" = 1 ]'
why=$(grep -l "$KEY" "$reqlog" "$tmp/out" "$tmp/err" "$tmp"/data/easel/sessions/*/* 2>/dev/null)
check "the Azure key is in no request log line, output or session file" '[ -z "$why" ]'

# A base URL with a query string: the batch's paths go before it, not after.
cat >"$tmp/config/easel/config" <<EOF
base_url = $url/openai/v1?api-version=preview
api_key = $KEY
auth_header = api-key
EOF
chmod 600 "$tmp/config/easel/config"
: >"$reqlog"
"$EASEL" batch submit -S q "$tmp/plan.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
why="rc $rc: $(cat "$tmp/err") $(cat "$reqlog")"
check "a base URL's query survives a batch submit" '[ "$rc" = 0 ]' \
    'grep -q "\"path\":\"/openai/v1/files\",\"query\":\"api-version=preview\"" "$reqlog" ||
     python3 -c "
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(not all(r[\"path\"] in (\"/openai/v1/files\", \"/openai/v1/batches\") and r[\"query\"] == \"api-version=preview\" for r in rs))" "$reqlog"'
rm -f "$tmp/config/easel/config"
stop_mock

# ---- A reader that goes away ---------------------------------------------------------------
# `easel batch wait --json | head -1`: once head has its line, waiting on (the batch takes 20 s
# here, hours for real) polls for nobody. wait stops at its next line, the batch left running.
start_mock --batch-seconds 20
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-batch "$EASEL" batch submit -S gone "$tmp/plan.jsonl" \
    >"$tmp/out" 2>"$tmp/err"
t0=$(date +%s)
(EASEL_BATCH_POLL_MS=200 OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-batch timeout 60 \
    "$EASEL" batch wait --json -S gone 2>"$tmp/gone.err"; echo "$?" >"$tmp/gone.rc") | head -n 1 >"$tmp/gone.out"
took=$(( $(date +%s) - t0 ))
why="took $took s, rc $(cat "$tmp/gone.rc"): $(cat "$tmp/gone.err")"
check "wait --json | head -1 ends when head does, not with the batch (${took} s)" \
    '[ "$took" -lt 15 ]' 'grep -q "\"type\":\"progress\"" "$tmp/gone.out"' \
    'grep -q "output was closed" "$tmp/gone.err"'
stop_mock

# ---- A server that lies in its Batch API -------------------------------------------------
start_hostile batch-hostile
export OPENAI_BASE_URL="$hurl" OPENAI_API_KEY=sk-test-batch-hostile
"$EASEL" batch submit -S liar "$tmp/plan.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
why="rc $rc: $(cat "$tmp/err")"
check "submit to the lying server" '[ "$rc" = 0 ]'
timeout 20 "$EASEL" batch wait -S liar >"$tmp/wait.out" 2>"$tmp/wait.err"; rc=$?
why="rc $rc: $(head -c 600 "$tmp/wait.err")"
# Exit 3: every line failed (recorded); not a crash (a signal: 128+), not a refused record.
check "wait survives counts past LONG_MAX and more done than the batch has (exit 3)" \
    '[ "$rc" = 3 ]' 'grep -q "\[##############################\] " "$tmp/wait.err"' \
    'grep -q "0 saved (0 images), 2 failed" "$tmp/wait.out"'
"$EASEL" batch status -S liar >"$tmp/status.out" 2>"$tmp/status.err"
"$EASEL" log liar >"$tmp/log.out" 2>"$tmp/log.err"
"$EASEL" sessions >"$tmp/sessions.out" 2>"$tmp/sessions.err"
if python3 - "$tmp/wait.out" "$tmp/wait.err" "$tmp/status.out" "$tmp/status.err" "$tmp/log.out" \
    "$tmp/log.err" "$tmp/sessions.out" "$tmp/sessions.err" >"$tmp/clean" 2>&1 <<'EOF'
import re, sys
bad = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
status = 0
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    data = data.replace(b"\r", b"").replace(b"\x1b[K", b"")  # wait's own progress line on a tty
    m = bad.search(data)
    if m:
        print("%s: %r at %d" % (path.rsplit("/", 1)[-1], m.group(), m.start()))
        status = 1
sys.exit(status)
EOF
then ok "the lying server's texts reach wait, status, log and sessions without a control byte"
else not_ok "hostile texts" "$(head -3 "$tmp/clean")"; fi
grep -q 'refused: \|red .*CSI\|hostile' "$tmp/log.out" || not_ok "hostile texts" "easel log shows no error of the lines: $(head -5 "$tmp/log.out")"

# A cancel answered with escape sequences in its status, and a session folder whose log names
# its batch's endpoint with them (a folder may come from anyone): neither reaches the terminal.
"$EASEL" batch cancel batch_hostile >"$tmp/cancel.out" 2>"$tmp/cancel.err"; rc=$?
liar_log=$(grep -l '"name": *"liar"' "$tmp"/data/easel/sessions/*/session.json | head -n 1)
liar_log="$(dirname "$liar_log")/audit.jsonl"
python3 - "$liar_log" <<'EOF2'
import sys
p = sys.argv[1]
s = open(p).read().replace('"endpoint":"/v1/images/generations"',
                           '"endpoint":"/v1/images/generations\\u001b]52;c;ZXZpbA==\\u0007\\u009b2J"')
open(p, "w").write(s)
EOF2
"$EASEL" batch status batch_hostile >"$tmp/status1.out" 2>"$tmp/status1.err"
why="rc $rc: $(cat -v "$tmp/cancel.out" "$tmp/cancel.err" "$tmp/status1.out" | head -c 600)"
check "cancel and the status of one batch print the server's and the log's words sanitized" \
    '[ "$rc" = 0 ]' 'grep -q "^batch batch_hostile: cancelling" "$tmp/cancel.out"' \
    'grep -q "^endpoint: /v1/images/generations" "$tmp/status1.out"' \
    '! LC_ALL=C grep -q "$(printf "\033")" "$tmp/cancel.out" "$tmp/status1.out"' \
    '! grep -q "$(printf "\302\233")" "$tmp/cancel.out" "$tmp/status1.out"'

# ---- A creation that went unanswered -----------------------------------------------------------
# The server took the batch but the answer never came (a cut link): submit says the batch may
# run; the next wait finds it among the key's batches by its metadata and fetches its lines.
start_hostile batch-lost
export OPENAI_BASE_URL="$hurl"
"$EASEL" batch submit -S lost "$tmp/plan.jsonl" >"$tmp/out" 2>"$tmp/lost.err"; rc=$?
why="rc $rc: $(cat "$tmp/lost.err")"
check "submit whose creation went unanswered fails, the batch recorded as unknown" '[ "$rc" != 0 ]'
timeout 30 "$EASEL" batch wait -S lost >"$tmp/lost.out" 2>"$tmp/lost.err"; rc=$?
lost_dir=$(dirname "$(grep -l '"name": *"lost"' "$tmp"/data/easel/sessions/*/session.json | head -n 1)")
why="rc $rc: $(cat "$tmp/lost.out" "$tmp/lost.err" | head -c 400)"
check "wait finds the batch by its metadata, records its id and fetches every line" \
    'grep -q "^batch batch_hostile (completed): 0 saved (0 images), 2 failed" "$tmp/lost.out"' \
    'grep -q "\"kind\":\"batch\".*\"batch_id\":\"batch_hostile\"" "$lost_dir/audit.jsonl"' \
    '[ "$(grep -c "\"kind\":\"result\".*\"batch_id\":\"batch_hostile\"" "$lost_dir/audit.jsonl")" = 2 ]'
