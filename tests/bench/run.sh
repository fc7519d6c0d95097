#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: every benchmark binary, then the whole-process comparisons against the peers
# (curl for the stream). Each prints its own figures; a missed target makes it exit non-zero.
: "${EASEL:?}" "${BENCH_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$BENCH_DIR"/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b" || status=1
done
for s in "$here"/*.sh; do
    [ "$(basename "$s")" = run.sh ] && continue
    echo "== $(basename "$s")"
    sh "$s" || status=1
done
exit $status
