#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench (issue 14): `easel batch plan` of 50,000 lines (target: under 2 s of CPU time, the
# wall time printed beside it), and `easel batch fetch` of a big output file from the offline
# backend (BENCH_BATCH_LINES lines of about BENCH_BATCH_IMAGE_BYTES-byte PNGs; the defaults,
# 50,000 of 30,000 bytes, make a 2 GB file): its peak memory (target: under 100 MB) and its
# throughput beside `cat` and `curl` of the same file, as ratios; then `easel log --verify`.
# Measured (2026-12-02, a loaded 2-core machine), 50,000 lines, 1938 MB: peak 21 MB (597 MB
# before the session was opened lean: the whole log, text and parsed records, was held),
# 89.8 s, 21.5 MB/s, ratio 0.018 beside cat, 0.13 beside curl; 5,000 lines: peak 15 MB.
: "${EASEL:?set EASEL to the easel binary}"
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${BENCH_TMP:-/tmp}/easel-bench-batch.XXXXXX")
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
lines=${BENCH_BATCH_LINES:-50000}
image_bytes=${BENCH_BATCH_IMAGE_BYTES:-30000}
status=0

# ---- plan ---------------------------------------------------------------------------------
python3 - "$tmp/plan.jsonl" <<'PY'
import json, sys
styles = ["ink", "oil", "watercolor", "charcoal", "pixel art"]
with open(sys.argv[1], "w") as f:
    for i in range(50000):
        f.write(json.dumps({"prompt": "lighthouse %d on a cliff in %s, gulls, long evening light" % (i, styles[i % 5]),
                            "quality": ["low", "medium", "high"][i % 3],
                            "size": ["1024x1024", "1536x1024", "16:9"][i % 3],
                            "custom_id": "lh-%d" % i}) + "\n")
PY
/usr/bin/time -f "%e %U %S %M" -o "$tmp/plan.time" \
    env -u OPENAI_API_KEY -u OPENAI_BASE_URL "$EASEL" batch plan "$tmp/plan.jsonl" >"$tmp/plan.out" 2>&1
read -r wall user sys rss <"$tmp/plan.time"
cpu=$(echo "$user + $sys" | bc)
echo "batch plan: 50,000 lines in $cpu s of CPU ($wall s wall, peak $((rss / 1024)) MB); target < 2 s"
grep -q "^plan: 50000 lines" "$tmp/plan.out" || { echo "batch plan: failed: $(head -3 "$tmp/plan.out")"; status=1; }
[ "$(echo "$cpu < 2" | bc)" = 1 ] || status=1

# ---- fetch --------------------------------------------------------------------------------
start_mock --batch-seconds 0 --batch-image-bytes "$image_bytes"
export OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-bench EASEL_BATCH_POLL_MS=500
python3 - "$tmp/fetch.jsonl" "$lines" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"prompt": "tile %d" % i, "quality": "low", "size": "1024x1024"}) + "\n")
PY
"$EASEL" batch submit -S bench "$tmp/fetch.jsonl" >"$tmp/submit.out" 2>&1 || { cat "$tmp/submit.out"; exit 1; }
"$EASEL" batch wait -S bench --no-fetch >/dev/null 2>"$tmp/wait.err" || { cat "$tmp/wait.err"; exit 1; }
dir=$(session_dir_named bench)
out_id=$(grep '"kind":"batch"' "$dir/audit.jsonl" | tail -n 1 | sed -n 's/.*"output_file_id":"\([^"]*\)".*/\1/p')
curl -s -o "$tmp/output.jsonl" -w '%{time_total}\n' "$url/files/$out_id/content" >"$tmp/curl.time"
size=$(wc -c <"$tmp/output.jsonl")
cat "$tmp/output.jsonl" >/dev/null # into the page cache, as the mock's copy is
start=$(date +%s.%N); cat "$tmp/output.jsonl" >/dev/null; end=$(date +%s.%N)
cat_s=$(echo "$end - $start" | bc)
/usr/bin/time -v -o "$tmp/fetch.time" "$EASEL" batch fetch -S bench >"$tmp/fetch.out" 2>&1
fetch_s=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/fetch.time" |
          awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/fetch.time")
saved=$(sed -n 's/.*: \([0-9]*\) saved.*/\1/p' "$tmp/fetch.out")
mb=$(echo "scale=1; $size / 1048576" | bc)
rate() { echo "scale=1; $size / 1048576 / $1" | bc; }
curl_s=$(cat "$tmp/curl.time")
echo "batch fetch: $lines lines, $mb MB: $saved saved in $fetch_s s ($(rate "$fetch_s") MB/s), peak $((rss_kb / 1024)) MB; target < 100 MB"
echo "  beside cat of the same file: $cat_s s ($(rate "$cat_s") MB/s), ratio $(echo "scale=4; $cat_s / $fetch_s" | bc)"
echo "  beside curl from the mock:   $curl_s s ($(rate "$curl_s") MB/s), ratio $(echo "scale=4; $curl_s / $fetch_s" | bc)"
[ "$saved" = "$lines" ] || { echo "batch fetch: saved $saved of $lines"; cat "$tmp/fetch.out"; status=1; }
[ "$rss_kb" -lt 102400 ] || status=1
if "$EASEL" log bench --verify >"$tmp/verify.out" 2>&1; then
    echo "  easel log --verify after the fetch: $(cut -d: -f2- "$tmp/verify.out" | head -n 1)"
else
    echo "batch fetch: the log does not verify: $(head -3 "$tmp/verify.out")"; status=1
fi
exit $status
