#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 16 item 6: without the network, the SDK conformance test is skipped, loudly (an
# "ok ... # SKIP" line naming the reason, and a banner on stderr), not failed. Run on a copy of
# tests/sdk with an npm registry that refuses connections and an empty npm cache, so the real
# tests/sdk/node_modules is never touched.
: "${EASEL:?set EASEL to the easel binary}"
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { echo "ok sdk-offline $1"; }
not_ok() { echo "not ok sdk-offline $1: $2"; }
if ! command -v npm >/dev/null 2>&1; then
    echo "ok sdk-offline # SKIP npm is not installed"
    exit 0
fi
mkdir -p "$tmp/sdk"
cp "$here/sdk/run.sh" "$here/sdk/package.json" "$here/sdk/package-lock.json" "$tmp/sdk/"
npm_config_registry=http://127.0.0.1:9/ npm_config_cache="$tmp/npm-cache" npm_config_fetch_retries=0 \
    npm_config_offline=false timeout 120 sh "$tmp/sdk/run.sh" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^ok sdk # SKIP no network' "$tmp/out" && ! grep -q '^not ok' "$tmp/out" &&
    grep -q 'SKIPPED' "$tmp/err"; then
    ok "no registry: the SDK test is skipped loudly"
else
    not_ok "no registry: the SDK test is skipped loudly" "rc=$rc $(cat "$tmp/out" "$tmp/err" | head -n 5)"
fi
exit 0
