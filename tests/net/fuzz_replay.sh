#!/bin/sh
# SPDX-License-Identifier: MIT
# Replays the fuzz corpora (tests/fuzz/corpus/*) once through every libFuzzer target, built with
# clang under ASan and UBSan (tests/fuzz/build.sh): each target gets every corpus, its own and
# the others' (cheap, and a JPEG seed is also a fine hostile audit line). This is what CI runs;
# the long runs are `make fuzz`. Prints "ok fuzz-replay TARGET (N inputs)" lines, or one
# "ok fuzz-replay # skip: ..." line where clang or its libFuzzer runtime is missing.
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
out=${BUILD_FUZZ:-build-fuzz}
export BUILD_FUZZ=$out
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "ok fuzz-replay # skip: no clang"
    exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM
if ! sh tests/fuzz/build.sh >"$log" 2>&1; then
    if grep -q 'libclang_rt\.fuzzer\|cannot find -lclang_rt\|fsanitize=fuzzer' "$log" &&
       ! grep -q 'error:.*\.c:' "$log"; then
        echo "ok fuzz-replay # skip: clang has no libFuzzer runtime (libclang-rt-14-dev)"
        exit 0
    fi
    echo "not ok fuzz-replay build: $(grep -m1 'error' "$log")"
    exit 1
fi
corpora=$(ls -d tests/fuzz/corpus/*/)
inputs=$(find tests/fuzz/corpus -type f | wc -l | tr -d ' ')
for src in tests/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    name=${t#fuzz_}
    # -runs=0: run the given inputs once and stop. Leaks count (LSan) as they do in `make asan`.
    if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "$out/$t" -runs=0 -rss_limit_mb=2048 -timeout=30 $corpora >"$log" 2>&1; then
        echo "ok fuzz-replay $name ($inputs inputs)"
    else
        echo "not ok fuzz-replay $name: $(grep -m1 'ERROR\|runtime error\|Assertion\|deadly' "$log")"
        tail -40 "$log" | sed 's/^/# /'
    fi
done
