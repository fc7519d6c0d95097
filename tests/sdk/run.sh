#!/bin/sh
# SPDX-License-Identifier: MIT
# The official openai SDK (pinned in package.json) against `easel mock`. Installs the pinned
# package with npm ci, starts a mock on a free port, runs sdk.test.mjs with node's test
# runner (and capture.test.mjs, which compares easel's requests with the SDK's on a loopback
# capture server of its own), and turns its TAP report into "ok NAME" / "not ok NAME: why" lines.
: "${EASEL:?set EASEL to the easel binary}"
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "not ok sdk: node and npm are needed (apt-get install nodejs npm)"
    exit 1
fi
# The one test that needs the network (the npm registry, unless npm's cache has the pinned
# package): without it the test is skipped, loudly, and nothing else is.
if ! npm ci --prefer-offline --no-audit --no-fund --loglevel=error >npm.log 2>&1; then
    if grep -qE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ECONNRESET|network' npm.log; then
        why=$(grep -m 1 -E 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ECONNRESET|network' npm.log)
        echo "ok sdk # SKIP no network: npm could not fetch the pinned openai SDK ($why)"
        echo "*** SKIPPED: the SDK conformance test (tests/sdk) needs the npm registry ***" >&2
        rm -f npm.log
        exit 0
    fi
    echo "not ok sdk: npm ci failed: $(tail -n 3 npm.log | tr '\n' ' ')"
    exit 1
fi
rm -f npm.log

tmp=$(mktemp -d)
"$EASEL" mock --port 0 --quiet >"$tmp/first-line" 2>"$tmp/mock-stderr" &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null; wait "$mock_pid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
url=
tries=0
while [ -z "$url" ] && [ "$tries" -lt 50 ]; do
    url=$(sed -n 's/^easel mock listening on //p' "$tmp/first-line")
    [ -n "$url" ] || { sleep 0.1; tries=$((tries + 1)); }
done
if [ -z "$url" ]; then
    echo "not ok sdk: the mock printed no first line: $(cat "$tmp/mock-stderr")"
    exit 1
fi

EASEL_MOCK_URL=$url EASEL=$EASEL node --test --test-reporter=tap ./*.test.mjs capture.test.mjs >"$tmp/tap" 2>&1
status=$?
# Top-level TAP results only (subtests are indented); a failure's YAML block gives the why.
awk '
    /^ok [0-9]+ - / { sub(/^ok [0-9]+ - /, ""); print "ok sdk " $0; next }
    /^not ok [0-9]+ - / { sub(/^not ok [0-9]+ - /, ""); name = $0; failing = 1; why = ""; next }
    failing && /^  error: / { why = $0; sub(/^  error: /, "", why) }
    failing && /^  \.\.\.$/ { print "not ok sdk " name ": " why; failing = 0 }
' "$tmp/tap"
if [ "$status" -ne 0 ]; then
    echo "# node --test exited $status; its report:"
    sed 's/^/#   /' "$tmp/tap"
fi
exit "$status"
