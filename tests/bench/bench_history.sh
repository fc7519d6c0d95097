#!/bin/sh
# SPDX-License-Identifier: MIT
# History at scale (issue 6): 10,000 small sessions and one of 100,000 records, written by
# bench_history_gen. Targets: `easel sessions` under 200 ms; `easel log --json` of the large
# session at 100,000 records a second or more; `--grep` across everything under 1 s; peak
# memory of --json, --grep and --verify independent of the number of records (the large
# session against one a tenth of its size). Best of 3 runs. Exits non-zero on a miss.
: "${EASEL:?}" "${BENCH_DIR:?}"
SESSIONS=${BENCH_SESSIONS:-10000}
RECORDS=${BENCH_RECORDS:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

"$BENCH_DIR/bench_history_gen" "$tmp/big" "$SESSIONS" "$RECORDS" || exit 1
"$BENCH_DIR/bench_history_gen" "$tmp/small" 0 $((RECORDS / 10)) || exit 1
large=$(ls "$tmp/big/easel/sessions" | sort | tail -n 1)
small=$(ls "$tmp/small/easel/sessions")
mb=$(du -m "$tmp/big/easel/sessions/$large/audit.jsonl" | cut -f1)
echo "data: $SESSIONS sessions + one of $RECORDS records ($mb MB of log)"

# best_ms DATA ARGS...: the fastest of 3 runs of easel ARGS, in ms, output discarded.
best_ms() {
    data=$1; shift
    best=
    for _ in 1 2 3; do
        t0=$(date +%s%N)
        XDG_DATA_HOME="$data" "$EASEL" "$@" >/dev/null 2>&1
        t1=$(date +%s%N)
        ms=$(( (t1 - t0) / 1000000 ))
        [ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
    done
    echo "$best"
}

# peak_kb DATA ARGS...: the maximum resident set size of one run, in kB.
peak_kb() {
    data=$1; shift
    XDG_DATA_HOME="$data" /usr/bin/time -f '%M' -o "$tmp/rss" "$EASEL" "$@" >/dev/null 2>&1
    tail -n 1 "$tmp/rss" # time(1) puts a line before it when the command exits non-zero
}

report() { # NAME VALUE UNIT TARGET OK(0/1)
    if [ "$5" -eq 0 ]; then echo "ok   $1: $2 $3 (target $4)"; else echo "MISS $1: $2 $3 (target $4)"; status=1; fi
}

ms=$(best_ms "$tmp/big" sessions)
report "easel sessions ($((SESSIONS + 1)) sessions)" "$ms" ms "< 200 ms" $([ "$ms" -lt 200 ]; echo $?)

ms=$(best_ms "$tmp/big" log "$large" --json)
[ "$ms" -gt 0 ] || ms=1
rate=$((RECORDS * 1000 / ms))
report "easel log --json ($RECORDS records)" "$rate" "records/s ($ms ms)" ">= 100000/s" \
    $([ "$rate" -ge 100000 ]; echo $?)

ms=$(best_ms "$tmp/big" log --grep zeppelin)
hits=$(XDG_DATA_HOME="$tmp/big" "$EASEL" log --grep zeppelin | wc -l)
report "easel log --grep across everything ($hits hits)" "$ms" ms "< 1000 ms" \
    $([ "$ms" -lt 1000 ]; echo $?)

ms=$(best_ms "$tmp/big" log "$large")
echo "info easel log (turns with word diffs, $RECORDS records): $ms ms"
ms=$(best_ms "$tmp/big" log "$large" --verify)
echo "info easel log --verify ($RECORDS records): $ms ms"

for args in "--json" "--verify" ""; do
    big_kb=$(peak_kb "$tmp/big" log "$large" $args)
    small_kb=$(peak_kb "$tmp/small" log "$small" $args)
    # Independent of the record count: ten times the records, within 2 MB of the same peak.
    grown=$((big_kb - small_kb))
    report "peak memory, log ${args:-(turns)}" "$small_kb kB at $((RECORDS / 10)) records, $big_kb kB at $RECORDS" records \
        "growth < 2048 kB" $([ "$grown" -lt 2048 ]; echo $?)
done
grep_kb=$(peak_kb "$tmp/big" log --grep zeppelin)
echo "info peak memory, log --grep across everything: $grep_kb kB"
exit $status
