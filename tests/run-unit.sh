#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs each cmocka binary given as an argument and closes with one summary line.
passed=0; failed=0; status=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$rc" -ne 0 ]; then
        status=1
        [ "$f" -eq 0 ] && failed=$((failed + 1)) && echo "unit: $t exited $rc"
    fi
done
echo "unit: $passed passed, $failed failed"
exit $status
