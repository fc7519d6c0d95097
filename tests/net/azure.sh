#!/bin/sh
# SPDX-License-Identifier: MIT
# Backends beyond api.openai.com (issue 16, item 1), against `easel mock --azure` and its
# request log: Azure OpenAI's deployment form (AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION,
# AZURE_OPENAI_API_KEY sent as api-key) for a generation, an edit and a Responses turn; the
# /openai/v1/ form; a base URL with a query string; Azure's content filter as a refusal; and
# plain http:// to a named host refused before sending unless allow_http names it.
# Prints "ok NAME" / "not ok NAME: why".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok azure $1"; }
not_ok() { echo "not ok azure $1: $2"; }
check() { name=$1; shift; if all "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

if ! command -v python3 >/dev/null 2>&1; then
    echo "ok azure # skip: no python3"
    exit 0
fi

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID OPENAI_API_VERSION \
    AZURE_OPENAI_API_KEY AZURE_OPENAI_ENDPOINT
mkdir -p "$tmp/config/easel"
reqlog="$tmp/requests.jsonl"
KEY=azure-key-canary-7f3e

# field N EXPR: EXPR (Python, on the request log's line N as r) printed; N=-1 the last.
field() { python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
r = json.loads(lines[int(sys.argv[2])]) if lines else {}
print(eval(sys.argv[3]))' "$reqlog" "$1" "$2" 2>/dev/null; }
lines() { if [ -f "$reqlog" ]; then wc -l <"$reqlog" | tr -d ' '; else echo 0; fi; }
gen() { "$EASEL" generate -q low -s 1024x1024 "$@" >"$tmp/out" 2>"$tmp/err"; }

: >"$reqlog"
start_mock --azure --request-log "$reqlog"
endpoint=$url

# ---- The deployment form, configured as the AzureOpenAI clients read it ------------------
export AZURE_OPENAI_ENDPOINT="$endpoint" AZURE_OPENAI_API_KEY="$KEY" \
    OPENAI_API_VERSION=2025-04-01-preview
cd "$tmp" || exit 1
gen --api images -o fox.png "a red fox"; rc=$?
why="rc $rc: $(cat "$tmp/err") $(cat "$reqlog")"
check "generation on the deployment path with api-version and the api-key header" \
    '[ "$rc" = 0 ]' '[ -s fox.png ]' \
    '[ "$(field -1 "r[\"path\"]")" = /openai/deployments/gpt-image-2/images/generations ]' \
    '[ "$(field -1 "r[\"query\"]")" = api-version=2025-04-01-preview ]' \
    '[ "$(field -1 "r[\"headers\"][\"api-key\"]")" = True ]' \
    '[ "$(field -1 "r[\"headers\"][\"authorization\"]")" = False ]'

gen --api images -i fox.png "make it blue"; rc=$?
why="rc $rc: $(cat "$tmp/err") $(tail -n 1 "$reqlog")"
check "edit on the deployment path, multipart, with api-version and the api-key header" \
    '[ "$rc" = 0 ]' \
    '[ "$(field -1 "r[\"path\"]")" = /openai/deployments/gpt-image-2/images/edits ]' \
    '[ "$(field -1 "r[\"multipart\"]")" = True ]' \
    '[ "$(field -1 "r[\"query\"]")" = api-version=2025-04-01-preview ]' \
    '[ "$(field -1 "r[\"headers\"][\"api-key\"]")" = True ]'

gen -S azr "a lighthouse"; rc=$?
why="rc $rc: $(cat "$tmp/err") $(tail -n 2 "$reqlog")"
# The POST, then (a background turn) the GET that streams its events, the query merged.
check "a Responses turn goes to /openai/responses with the image deployment named" \
    '[ "$rc" = 0 ]' '[ "$(field -2 "r[\"path\"]")" = /openai/responses ]' \
    '[ "$(field -2 "r[\"query\"]")" = api-version=2025-04-01-preview ]' \
    '[ "$(field -2 "r[\"headers\"].get(\"x-ms-oai-image-generation-deployment\")")" = gpt-image-2 ]' \
    '[ "$(field -1 "r[\"method\"] + r[\"path\"][:23]")" = GET/openai/responses/resp_ ]' \
    '[ "$(field -1 "r[\"query\"]")" = "api-version=2025-04-01-preview&stream=true" ]'

why="$(grep -c "$KEY" "$reqlog" "$tmp"/data/easel/sessions/*/audit.jsonl 2>&1)"
check "the key is in no request log line and no audit record" \
    '! grep -q "$KEY" "$reqlog"' '! grep -rq "$KEY" "$tmp/data" "$tmp/out" "$tmp/err"'

"$EASEL" models --json >"$tmp/out" 2>"$tmp/err"; rc=$?
why="rc $rc: $(cat "$tmp/err") $(tail -n 1 "$reqlog")"
check "easel models asks Azure's /openai/models with api-version" '[ "$rc" = 0 ]' \
    'grep -q "\"id\":\"gpt-image-2\",\"mark\":\"known\"" "$tmp/out"' \
    '[ "$(field -1 "r[\"path\"]")" = /openai/models ]' \
    '[ "$(field -1 "r[\"query\"]")" = api-version=2025-04-01-preview ]'

# No api-version: the SDKs refuse to start; easel refuses before sending anything.
before=$(lines)
env -u OPENAI_API_VERSION "$EASEL" generate --api images -q low "a red fox" >"$tmp/out" 2>"$tmp/err"; rc=$?
why="rc $rc: $(cat "$tmp/err")"
check "no api-version: refused before sending, naming OPENAI_API_VERSION" '[ "$rc" = 2 ]' \
    'grep -q OPENAI_API_VERSION "$tmp/err"' '[ "$(lines)" = "$before" ]'

# The mock dressed as Azure refuses what Azure would: the key as Bearer, a path outside /openai.
printf 'auth_header = bearer\n' >"$tmp/config/easel/config"
gen --api images "a red fox"; rc=$?
why="rc $rc: $(cat "$tmp/err") $(tail -n 1 "$reqlog")"
check "auth_header = bearer: the Azure stand-in answers 401" '[ "$rc" = 3 ]' \
    '[ "$(field -1 "r[\"headers\"][\"api-key\"]")" = False ]' \
    '[ "$(field -1 "r[\"headers\"][\"authorization\"]")" = True ]' 'grep -q "Access denied" "$tmp/err"'
rm -f "$tmp/config/easel/config"
unset AZURE_OPENAI_ENDPOINT OPENAI_API_VERSION
OPENAI_BASE_URL="$endpoint/v1" OPENAI_API_KEY=sk-other gen --api images "a red fox"; rc=$?
why="rc $rc: $(cat "$tmp/err")"
check "a path outside /openai: the Azure stand-in answers 404" '[ "$rc" = 3 ]' \
    '[ "$(field -1 "r[\"path\"]")" = /v1/images/generations ]'

# ---- The /openai/v1/ form: the plain client's paths, no api-version -----------------------
OPENAI_BASE_URL="$endpoint/openai/v1/" gen --api images "a red fox"; rc=$?
why="rc $rc: $(cat "$tmp/err") $(tail -n 1 "$reqlog")"
check "the /openai/v1/ form: plain paths, the Azure key as api-key" '[ "$rc" = 0 ]' \
    '[ "$(field -1 "r[\"path\"]")" = /openai/v1/images/generations ]' \
    '[ "$(field -1 "r[\"query\"]")" = "" ]' '[ "$(field -1 "r[\"headers\"][\"api-key\"]")" = True ]'

# ---- A base URL with a query string (the config's base_url, auth_header, api_key) --------
unset AZURE_OPENAI_API_KEY
cat >"$tmp/config/easel/config" <<EOF
base_url = $endpoint/openai/deployments/gpt-image-2?api-version=2024-10-21
auth_header = api-key
api_key = $KEY
EOF
chmod 600 "$tmp/config/easel/config"
gen --api images "a red fox"; rc=$?
why="rc $rc: $(cat "$tmp/err") $(tail -n 1 "$reqlog")"
check "a base URL's query survives: the path goes before it" '[ "$rc" = 0 ]' \
    '[ "$(field -1 "r[\"path\"]")" = /openai/deployments/gpt-image-2/images/generations ]' \
    '[ "$(field -1 "r[\"query\"]")" = api-version=2024-10-21 ]'
gen --api images --dry-run "a red fox"; rc=$?
why="rc $rc: $(cat "$tmp/out")"
check "--dry-run shows the URL that would be sent" '[ "$rc" = 0 ]' \
    "grep -q 'POST $endpoint/openai/deployments/gpt-image-2/images/generations?api-version=2024-10-21' \"\$tmp/out\""
OPENAI_API_VERSION=2025-04-01-preview gen --api images "a red fox"; rc=$?
why="rc $rc: $(cat "$tmp/err")"
check "OPENAI_API_VERSION replaces the base URL's api-version" '[ "$rc" = 0 ]' \
    '[ "$(field -1 "r[\"query\"]")" = api-version=2025-04-01-preview ]'
rm -f "$tmp/config/easel/config"

# ---- Azure's content filter: a refusal, said like a moderation block ----------------------
: >"$reqlog"
start_mock --azure --request-log "$reqlog" --fault block=forbidden
export AZURE_OPENAI_ENDPOINT="$url" AZURE_OPENAI_API_KEY="$KEY" OPENAI_API_VERSION=2025-04-01-preview
gen --api images "a forbidden thing"; rc=$?
why="rc $rc: $(cat "$tmp/err")"
check "the content filter error is a refusal naming what it filtered" '[ "$rc" = 3 ]' \
    'grep -q "content management policy" "$tmp/err"' \
    'grep -q "blocked by Azure.s content filter: violence" "$tmp/err"'
# The newest result of all sessions by its time (folders made in the same second sort by
# their random suffix, not by age).
rec=$(grep -h '"kind":"result"' "$tmp"/data/easel/sessions/*/audit.jsonl |
    python3 -c 'import json, sys; print(max(sys.stdin, key=lambda l: json.loads(l)["ts"]).strip())')
why="$rec"
check "the log keeps Azure's code and message as received" \
    'echo "$rec" | grep -q "\"code\":\"content_filter\""' \
    '! echo "$rec" | grep -q "blocked by Azure"'
unset AZURE_OPENAI_ENDPOINT AZURE_OPENAI_API_KEY OPENAI_API_VERSION

# ---- Plain http:// to a named host: only when allow_http names it -------------------------
: >"$reqlog"
start_mock --request-log "$reqlog"
port=${url#http://127.0.0.1:}
port=${port%/v1}
host=$(hostname)
named="http://$host:$port/v1"
OPENAI_BASE_URL="$named" OPENAI_API_KEY="$KEY" gen "a red fox"; rc=$?
why="rc $rc: $(cat "$tmp/err")"
check "plain http to a named host is refused before sending" '[ "$rc" = 2 ]' \
    'grep -q "refusing plain http" "$tmp/err"' 'grep -q "allow_http = $host" "$tmp/err"' \
    '[ "$(lines)" = 0 ]' '! grep -q "$KEY" "$tmp/err"'
printf 'allow_http = other-box\n' >"$tmp/config/easel/config"
OPENAI_BASE_URL="$named" OPENAI_API_KEY="$KEY" gen "a red fox"; rc=$?
why="rc $rc: $(cat "$tmp/err")"
check "allow_http naming another host does not allow it" '[ "$rc" = 2 ]' '[ "$(lines)" = 0 ]'
# Accepted only where this machine's own name leads to loopback, where the mock listens.
if getent hosts "$host" 2>/dev/null | grep -q '^127\.'; then
    printf 'allow_http = other-box, %s\n' "$host" >"$tmp/config/easel/config"
    OPENAI_BASE_URL="$named" OPENAI_API_KEY="$KEY" gen "a red fox"; rc=$?
    why="rc $rc: $(cat "$tmp/err")"
    check "allow_http naming the host lets plain http go to it, key and all" '[ "$rc" = 0 ]' \
        '[ "$(lines)" -ge 1 ]' '[ "$(field 0 "r[\"headers\"][\"authorization\"]")" = True ]'
else
    ok "allow_http acceptance # skip: $host does not resolve to loopback here"
fi
rm -f "$tmp/config/easel/config"
