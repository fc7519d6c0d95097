#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one libFuzzer target for a while with its corpus: sh tests/fuzz/run.sh TARGET SECONDS
# (TARGET is fuzz_sse or sse). New inputs go to build-fuzz/corpus/TARGET, so the checked-in
# seeds (tests/fuzz/corpus/NAME) stay small; crashes go to build-fuzz/crashes/. One process
# (no -jobs/-workers, which would log to ./fuzz-N.log): the machine may be shared. Prints the
# executions done; exit 0 when nothing was found.
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
out=${BUILD_FUZZ:-build-fuzz}
t=${1:?usage: run.sh TARGET SECONDS}
secs=${2:-60}
t=fuzz_${t#fuzz_}
name=${t#fuzz_}
[ -x "$out/$t" ] || sh tests/fuzz/build.sh "$t" || exit 1
mkdir -p "$out/corpus/$name" "$out/crashes/$name"
case $name in
    image) max_len=65536 ;;
    audit) max_len=16384 ;;
    sse) max_len=8192 ;;
    *) max_len=4096 ;;
esac
log=$out/$t.log
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$out/$t" -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$out/crashes/$name/" \
    "$out/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
if [ "$rc" -eq 0 ]; then
    echo "ok fuzz $name: ${execs:-?} executions in ${secs}s, $cov, no finding"
else
    echo "not ok fuzz $name: exit $rc after ${execs:-?} executions; see $log and $out/crashes/$name/"
fi
exit $rc
