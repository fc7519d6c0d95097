#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: `easel generate` as a whole process against `easel mock` (issue 3): its peak
# memory for the largest final image, sent as an uncompressed PNG, against the decoded image's
# size (target at most 3x); and its time beside `curl -N` fetching the same stream from the same
# mock (target at most 1.2x). Prints the figures; exits non-zero when a target is missed.
: "${EASEL:?set EASEL to the easel binary}"
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

status=0
runs=${BENCH_RUNS:-20}
prompt="a cinematic portrait of a tabla player, warm rim light"

if ! /usr/bin/time -f %M -o "$tmp/rss" true 2>/dev/null; then
    echo "bench_generate: GNU time is missing (/usr/bin/time; Debian package 'time')"
    exit 1
fi

# easel runs in a scratch data folder, with the mock as its API (OPENAI_BASE_URL is set after
# each start_mock).
XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
OPENAI_API_KEY=sk-bench
export XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME OPENAI_API_KEY
easel() { "$EASEL" "$@"; }

# ---- peak memory ----
# The largest size the API returns, with a transparent background so that the PNG is RGBA:
# stored uncompressed (--png-level 0) its file is the size of its pixels, 33.2 MB, and its
# base64 44 MB. No partials: the figure is the final image's.
decoded=$((3840 * 2160 * 4))
start_mock --png-level 0
export OPENAI_BASE_URL="$url"
for api in images responses; do
    if ! /usr/bin/time -f %M -o "$tmp/rss" "$EASEL" generate --api "$api" -s 3840x2160 \
            --background transparent -p 0 "$prompt" >/dev/null 2>"$tmp/err"; then
        echo "generate 3840x2160 ($api API) failed: $(cat "$tmp/err")"
        status=1
        continue
    fi
    kb=$(tail -n 1 "$tmp/rss") # GNU time's %M: the peak resident set, in KiB
    awk -v kb="$kb" -v decoded="$decoded" -v api="$api" 'BEGIN {
        peak = kb * 1024; ratio = peak / decoded
        printf "generate 3840x2160 uncompressed png (%s API): peak RSS %.1f MB = %.2f x the decoded image (%.1f MB; target <= 3)\n",
               api, peak / 1e6, ratio, decoded / 1e6
        exit ratio <= 3 ? 0 : 1 }' || status=1
done

# ---- time beside curl ----
# The mock as it runs by default (fastest PNG, no delay); both clients are whole processes on
# the same loopback connection and write what they get to files in the same folder. easel also
# decodes, checks and saves the images and logs the turn; curl only copies the stream.
now_ns() { date +%s%N; }
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

start_mock
export OPENAI_BASE_URL="$url"
for api in images responses; do
    set -- --api "$api" -s 1024x1024 -p 3
    # The request easel sends, from its own dry run: the body, and the URL on the mock.
    easel generate --dry-run --json "$@" "$prompt" >"$tmp/dry" 2>"$tmp/err"
    body=$(sed -n 's/.*"request":\(.*\),"estimate_usd".*/\1/p' "$tmp/dry")
    endpoint=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$tmp/dry")
    case "$body" in
    "{"*) ;;
    *) echo "generate vs curl ($api API): no request in the dry run: $(cat "$tmp/dry" "$tmp/err")"
       status=1; continue ;;
    esac
    fetch() {
        curl -sS -N -o "$tmp/stream" -H "Authorization: Bearer sk-bench" \
            -H "Content-Type: application/json" --data-binary "$body" "$endpoint"
    }
    # One of each first: the same stream must come back, and first-run costs are paid.
    fetch && grep -q '"partial_image_index":2' "$tmp/stream" || {
        echo "generate vs curl ($api API): curl did not get the stream"; status=1; continue; }
    easel generate "$@" "$prompt" >/dev/null 2>"$tmp/err" || {
        echo "generate vs curl ($api API): easel failed: $(cat "$tmp/err")"; status=1; continue; }
    : >"$tmp/t_easel"
    : >"$tmp/t_curl"
    i=0
    while [ "$i" -lt "$runs" ]; do # alternating, so that drift touches both alike
        t0=$(now_ns); easel generate "$@" "$prompt" >/dev/null 2>&1; t1=$(now_ns)
        echo $(((t1 - t0) / 1000)) >>"$tmp/t_easel"
        t0=$(now_ns); fetch; t1=$(now_ns)
        echo $(((t1 - t0) / 1000)) >>"$tmp/t_curl"
        i=$((i + 1))
    done
    awk -v e="$(median "$tmp/t_easel")" -v c="$(median "$tmp/t_curl")" -v api="$api" \
        -v runs="$runs" 'BEGIN {
        ratio = e / c
        printf "generate vs curl -N, 1024x1024 png 3 partials (%s API, median of %d): easel %.1f ms, curl %.1f ms, ratio %.2f (target <= 1.2)\n",
               api, runs, e / 1000, c / 1000, ratio
        exit ratio <= 1.2 ? 0 : 1 }' || status=1
done
exit $status
