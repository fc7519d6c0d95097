#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel models [--json]` (issue 16, item 1): GET /v1/models on the configured backend, the
# offline one included, each model marked against easel's rule table: known, unknown (the
# generic rules), retired, other (not an image model); image models first; ids from the
# network kept off the terminal's controls; the API's refusal said with exit 3.
# Prints "ok NAME" / "not ok NAME: why".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok models $1"; }
not_ok() { echo "not ok models $1: $2"; }
check() { name=$1; shift; if all "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

if ! command -v python3 >/dev/null 2>&1; then
    echo "ok models # skip: no python3"
    exit 0
fi

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID OPENAI_API_VERSION \
    AZURE_OPENAI_API_KEY AZURE_OPENAI_ENDPOINT
models() { "$EASEL" models "$@" >"$tmp/out" 2>"$tmp/err"; }

# No key: the offline backend answers.
models; rc=$?
why="rc $rc: $(cat "$tmp/out" "$tmp/err")"
check "no key: the offline backend's models, marked" '[ "$rc" = 0 ]' \
    'grep -q "^gpt-image-2  *known$" "$tmp/out"' \
    'grep -q "^gpt-5.4  *other  *not an image model$" "$tmp/out"' \
    'grep -q "models on the offline backend: .* image models (.* known, 0 unknown, 0 retired)" "$tmp/out"'

# Against a backend that lists models easel does not know, has retired, or are not images.
: >"$tmp/requests.jsonl"
hostile_id=$(printf 'gpt-image-x\033]52;c;SGVsbG8=\007\033[31m')
start_mock --request-log "$tmp/requests.jsonl" --fault model=gpt-image-9-preview \
    --fault model=dall-e-3 --fault model=whisper-1 --fault "model=$hostile_id"
export OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-models
models; rc=$?
why="rc $rc: $(cat "$tmp/out" "$tmp/err")"
check "each model marked: known, unknown, retired, other" '[ "$rc" = 0 ]' \
    'grep -q "^gpt-image-2  *known$" "$tmp/out"' \
    'grep -q "^gpt-image-9-preview  *unknown  *not in easel.s table: the generic GPT-image rules apply$" "$tmp/out"' \
    'grep -q "^dall-e-3  *retired  *dall-e-3 was retired on 2026-05-12; use gpt-image-2$" "$tmp/out"' \
    'grep -q "^whisper-1  *other" "$tmp/out"' \
    'grep -q "^16 models: 14 image models (11 known, 2 unknown, 1 retired), 2 others$" "$tmp/out"'
why="$(cat -v "$tmp/out")"
check "ids from the network reach the terminal without their controls" 'terminal_safe "$tmp/out"' \
    'grep -q "^gpt-image-x]52;c;SGVsbG8=\[31m  *unknown" "$tmp/out"'
why="$(cat "$tmp/requests.jsonl")"
check "one GET /v1/models with the key as Bearer" \
    '[ "$(grep -c "^{\"method\":\"GET\",\"path\":\"/v1/models\"" "$tmp/requests.jsonl")" = 1 ]' \
    'grep -q "\"authorization\":true" "$tmp/requests.jsonl"'

models --json; rc=$?
why="rc $rc: $(cat "$tmp/out" "$tmp/err")"
python3 - "$tmp/out" >"$tmp/py" 2>&1 <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
marks = {r["id"]: r["mark"] for r in rows}
assert marks["gpt-image-2"] == "known" and marks["gpt-image-9-preview"] == "unknown", marks
assert marks["dall-e-3"] == "retired" and marks["whisper-1"] == "other", marks
images = [r["image"] for r in rows]
assert images == sorted(images, reverse=True), "image models first"
assert all(set(r) >= {"id", "mark", "image", "owned_by", "created"} for r in rows)
assert "retired on 2026-05-12" in [r for r in rows if r["id"] == "dall-e-3"][0]["note"]
EOF
py=$?
why="$why $(cat "$tmp/py")"
check "--json: one object a model, image models first" '[ "$rc" = 0 ]' '[ "$py" = 0 ]' \
    'terminal_safe "$tmp/out"'

# The API's refusal (a key without the models permission, say): exit 3 with its message.
start_mock --fault status=403
export OPENAI_BASE_URL="$url"
models; rc=$?
why="rc $rc: $(cat "$tmp/out" "$tmp/err")"
check "a refusal is exit 3 with the API's message" '[ "$rc" = 3 ]' \
    'grep -q "^easel models: GET /models: HTTP 403" "$tmp/err"' '[ ! -s "$tmp/out" ]'
stop_mock
models; rc=$?
why="rc $rc: $(cat "$tmp/err")"
check "no server: exit 4" '[ "$rc" = 4 ]'

"$EASEL" models --help >"$tmp/out" 2>&1; rc=$?
"$EASEL" models --bogus >"$tmp/err" 2>&1; rc2=$?
why="rc $rc/$rc2"
check "--help and a bad argument" '[ "$rc" = 0 ]' 'grep -q "usage: easel models" "$tmp/out"' \
    '[ "$rc2" = 2 ]'
