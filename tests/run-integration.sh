#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every tests/cli/*.sh, tests/net/*.sh, tests/ui/*.sh and tests/sdk/run.sh with $EASEL set; each script
# prints "ok NAME" or "not ok NAME: why" lines. Closes with one summary line.
here=$(cd "$(dirname "$0")" && pwd)
passed=0; failed=0; skipped=0
log=$(mktemp)
for t in "$here"/cli/*.sh "$here"/net/*.sh "$here"/ui/*.sh "$here"/sdk/run.sh; do
    [ -f "$t" ] || continue
    sh "$t" >"$log" 2>&1; rc=$?
    cat "$log"
    p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log")
    s=$(grep -c '^ok .*# SKIP' "$log"); skipped=$((skipped + s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok $(basename "$t"): exited $rc"; fi
    passed=$((passed + p)); failed=$((failed + f))
done
rm -f "$log"
# Skips are said in the summary too, so that a run without the network cannot pass unnoticed
# for a complete one.
note=
[ "$skipped" -gt 0 ] && note=", $skipped of them skipped (the # SKIP lines above say why)"
echo "integration: $passed passed, $failed failed$note"
[ "$failed" -eq 0 ]
