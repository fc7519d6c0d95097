#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel batch fetch` against a server whose output file is not what a resume asked for: a 206
# from another byte than the kept lines end at, with no Content-Range, with a start past
# INT64 (that wraps to the byte asked for), or with another total is refused (nothing of it
# kept, the fetch fails), and the next fetch saves the rest, each line once; a 200 to a Range
# request starts over from byte 0, each line once. An output line past the 256 MiB line cap
# is recorded as failed and the lines after it saved; a later fetch does not take it again.
# Prints "ok batch-fetch-hostile NAME" / "not ok batch-fetch-hostile NAME: why".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_hostile; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/hostile.sh"
if ! command -v python3 >/dev/null 2>&1; then
    echo "ok batch-fetch-hostile # skip: no python3"
    exit 0
fi

ok() { echo "ok batch-fetch-hostile $1"; }
not_ok() { echo "not ok batch-fetch-hostile $1: $2"; }
check() { name=$1; shift; if all "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }
all() { for c in "$@"; do eval "$c" || return 1; done; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export EASEL_BATCH_POLL_MS=100 NO_COLOR=1 OPENAI_API_KEY=sk-test-batch-fetch
unset OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID OPENAI_API_VERSION \
    AZURE_OPENAI_API_KEY AZURE_OPENAI_ENDPOINT
printf '{"prompt": "a lighthouse, {style}", "quality": "low", "size": "1024x1024", "vary": {"style": ["ink", "oil"]}}\n' \
    >"$tmp/plan.jsonl"

session_dir() {
    dirname "$(grep -l "\"name\": *\"$1\"" "$tmp"/data/easel/sessions/*/session.json | head -n 1)"
}
# results NAME: the session's result records, one custom_id and status a line.
results() {
    python3 - "$(session_dir "$1")/audit.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("kind") == "result":
        print(r.get("custom_id"), r.get("status"), (r.get("error") or {}).get("message"))
PY
}

# ---- A resume answered from elsewhere --------------------------------------------------------
for mode in late early wrap none total; do
    case $mode in
    late | early) said="resumed the download from byte" ;;
    wrap | none) said="no usable Content-Range" ;;
    total) said="on resuming" ;;
    esac
    start_hostile batch-range --range "$mode"
    export OPENAI_BASE_URL="$hurl"
    "$EASEL" batch submit -S "r$mode" "$tmp/plan.jsonl" >"$tmp/out" 2>"$tmp/err"
    timeout 60 "$EASEL" batch wait -S "r$mode" >"$tmp/out" 2>"$tmp/err"; rc=$?
    results "r$mode" >"$tmp/res1"
    why="rc $rc: $(cat "$tmp/out" "$tmp/err" "$tmp/res1" | head -c 600)"
    check "$mode: a 206 not from where the kept lines end is refused, the first line kept" \
        '[ "$rc" != 0 ]' 'grep -q "$said" "$tmp/err"' 'grep -q "nothing of it was kept" "$tmp/err"' \
        '[ "$(wc -l <"$tmp/res1")" = 1 ]' 'grep -q " completed None$" "$tmp/res1"'
    timeout 60 "$EASEL" batch fetch -S "r$mode" >"$tmp/out" 2>"$tmp/err"; rc=$?
    results "r$mode" >"$tmp/res2"
    why="rc $rc: $(cat "$tmp/out" "$tmp/err" "$tmp/res2" | head -c 600)"
    check "$mode: the next fetch saves the other line, each line once" \
        '[ "$rc" = 0 ]' '[ "$(wc -l <"$tmp/res2")" = 2 ]' \
        '[ "$(grep -c " completed None$" "$tmp/res2")" = 2 ]' \
        '[ "$(cut -d" " -f1 "$tmp/res2" | sort -u | wc -l)" = 2 ]' \
        '[ "$(ls "$(session_dir "r$mode")/images" | wc -l)" = 2 ]'
done

# ---- A Range answered with the whole file -----------------------------------------------------
start_hostile batch-range --range whole
export OPENAI_BASE_URL="$hurl"
"$EASEL" batch submit -S rwhole "$tmp/plan.jsonl" >"$tmp/out" 2>"$tmp/err"
timeout 60 "$EASEL" batch wait -S rwhole >"$tmp/out" 2>"$tmp/err"; rc=$?
results rwhole >"$tmp/res1"
why="rc $rc: $(cat "$tmp/out" "$tmp/err" "$tmp/res1" | head -c 600)"
check "a 200 to a Range request starts over from byte 0, each line saved once" \
    '[ "$rc" = 0 ]' 'grep -q "resuming" "$tmp/err"' 'grep -q "2 saved (2 images)" "$tmp/out"' \
    '[ "$(wc -l <"$tmp/res1")" = 2 ]' '[ "$(cut -d" " -f1 "$tmp/res1" | sort -u | wc -l)" = 2 ]' \
    '[ "$(ls "$(session_dir rwhole)/images" | wc -l)" = 2 ]'

# ---- A line past the cap ----------------------------------------------------------------------
start_hostile batch-long-line
export OPENAI_BASE_URL="$hurl"
"$EASEL" batch submit -S long "$tmp/plan.jsonl" >"$tmp/out" 2>"$tmp/err"
timeout 60 "$EASEL" batch wait -S long >"$tmp/out" 2>"$tmp/err"; rc=$?
results long >"$tmp/res1"
why="rc $rc: $(cat "$tmp/out" "$tmp/err" "$tmp/res1" | head -c 600)"
# Exit 3: a line failed (recorded), the fetch itself did not.
check "a line over 256 MB is recorded as failed, the next line saved" \
    '[ "$rc" = 3 ]' 'grep -q "1 saved (1 image.*1 failed" "$tmp/out"' \
    '[ "$(wc -l <"$tmp/res1")" = 2 ]' \
    'grep -q " failed the output line is larger than 256 MB$" "$tmp/res1"' \
    '[ "$(grep -c " completed None$" "$tmp/res1")" = 1 ]'
timeout 60 "$EASEL" batch fetch -S long >"$tmp/out" 2>"$tmp/err"; rc=$?
results long >"$tmp/res2"
why="rc $rc: $(cat "$tmp/out" "$tmp/err" "$tmp/res2" | head -c 600)"
check "a later fetch takes neither line again" \
    '[ "$rc" = 0 ]' 'cmp -s "$tmp/res1" "$tmp/res2"'
