#!/bin/sh
# SPDX-License-Identifier: MIT
# The parameter panel offers the image models the backend lists (issue 16, item 1): fetched
# in the background at start (GET /models), the retired and the non-image ones left out; when
# the fetch fails or never answers, the workbench works on and offers the rule table's.
# The table's order is kept (the default first), the models easel does not know after it:
# Left on the model from its default steps to the last (the panel shows 18 characters). Prints "ok NAME" /
# "not ok NAME: why".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; stop_hostile; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
. "$here/lib/hostile.sh"
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR OPENAI_API_VERSION AZURE_OPENAI_API_KEY \
    AZURE_OPENAI_ENDPOINT

ok() { echo "ok ui-models $1"; }
not_ok() { echo "not ok ui-models $1: $2"; }
check() { name=$1; shift; if all "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

# ui NAME URL SCRIPT: the workbench against URL (a key set) with the keys of SCRIPT.
ui() {
    home="$tmp/home.$1"
    mkdir -p "$home"
    printf '%s' "$3" >"$tmp/$1.keys"
    XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        OPENAI_BASE_URL="$2" OPENAI_API_KEY=sk-test-ui-models EASEL_UI_SIZE=120x40 \
        EASEL_UI_SCRIPT="$tmp/$1.keys" timeout 60 "$EASEL" >"$tmp/$1.screen" 2>"$tmp/$1.err"
    rc=$?
}
model_row() { grep -o 'model  *[^ │]*' "$tmp/$1.screen" | head -n 1 | sed 's/model  *//'; }

# Listed: the mock lists easel's models, one it does not know, one retired and a non-image.
start_mock --request-log "$tmp/requests.jsonl" --fault model=gpt-image-9-preview \
    --fault model=dall-e-3 --fault model=whisper-1
ui listed "$url" '<wait-idle><Tab><wait-idle><Left><Tab>'
why="rc $rc: $(cat "$tmp/listed.err") $(grep -n model "$tmp/listed.screen")"
check "offers the listed models: Left from the default reaches one only the list has" \
    '[ "$rc" = 0 ]' 'grep -q "│ model  *gpt-image-9-previ" "$tmp/listed.screen"' \
    'grep -q "\"path\":\"/v1/models\"" "$tmp/requests.jsonl"'

# Asked only when the parameter panel first has the focus: a workbench that never goes there
# sends nothing it was not asked for.
: >"$tmp/requests.jsonl"
ui untouched "$url" 'a fox<wait-idle>'
why="rc $rc: $(cat "$tmp/requests.jsonl")"
check "no model list is asked for until the parameter panel has the focus" '[ "$rc" = 0 ]' \
    '! grep -q "\"path\":\"/v1/models\"" "$tmp/requests.jsonl"'

# Refused (the first request answered 404): the rule table's models, and nothing breaks.
start_mock --fault status=404
ui refused "$url" '<wait-idle><Tab><wait-idle><Left><Tab>'
why="rc $rc: $(cat "$tmp/refused.err") $(grep -n model "$tmp/refused.screen")"
check "a refused list falls back to the rule table" '[ "$rc" = 0 ]' \
    '[ "$(model_row refused)" = gpt-image-1-mini ]'
stop_mock

# Never answered: the workbench takes keys meanwhile, and falls back when the read gives up.
if command -v python3 >/dev/null 2>&1; then
    start_hostile blackhole
    EASEL_IDLE_TIMEOUT_MS=3000 ui silent "$hurl" '<Tab><S-Tab>a fox<dump '"$tmp"'/silent.early><wait-idle><Tab><Left><Tab>'
    why="rc $rc: $(cat "$tmp/silent.err") $(grep -n 'model\|fox' "$tmp/silent.early" "$tmp/silent.screen")"
    check "a silent server blocks nothing; the rule table's models after it" '[ "$rc" = 0 ]' \
        'grep -q "│a fox" "$tmp/silent.early"' '[ "$(model_row silent)" = gpt-image-1-mini ]'
    stop_hostile
else
    ok "silent server # skip: no python3"
fi
