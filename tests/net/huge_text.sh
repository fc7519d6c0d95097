#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 13, item 8: bounded records. tests/net/hostile_server.py sends a revised prompt, and
# then an error message, of 24 MB (mostly emoji: 72 MB in the pure-ASCII log, over the readers'
# 64 MiB line cap if written into the record as it stands). Each is kept in full in a side file
# text/SHA256.txt with its sha256 in the record, the record stays small, and log, --verify (which
# checks the side file), --grep and export keep working on that session and on all others.
# Prints "ok huge-text NAME" / "not ok huge-text NAME: why".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; stop_hostile; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
. "$here/lib/hostile.sh"
if ! command -v python3 >/dev/null 2>&1; then
    echo "ok huge-text # skip: no python3"
    exit 0
fi

ok() { echo "ok huge-text $1"; }
not_ok() { echo "not ok huge-text $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export OPENAI_API_KEY=sk-test-huge NO_COLOR=1
unset OPENAI_ORG_ID OPENAI_PROJECT_ID
easel() { "$EASEL" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
size_of() { wc -c <"$1" | tr -d ' '; }
huge=$(python3 "$here/net/hostile_server.py" --huge-bytes)

# Another session beside it, to show the others keep working too.
start_mock
OPENAI_BASE_URL="$url" "$EASEL" generate -S small "a small HUGE-START fox" >/dev/null 2>&1
stop_mock

start_hostile huge-revised
# --no-background: the record count and seq numbers below are those of a turn without an
# accepted record (background turns are tests/net/background.sh's).
OPENAI_BASE_URL="$hurl" "$EASEL" generate -S huge -q low --no-background "a lighthouse" \
    >"$tmp/gen.out" 2>"$tmp/gen.err"
rc=$?
stop_hostile
dir=$(session_dir_named huge)
why="rc=$rc $(head -c 300 "$tmp/gen.err")"
check "huge revised prompt: generate completes" [ "$rc" -eq 0 ]
why="$(ls -l "$dir" "$dir/text" 2>&1 | head)"
side=$(ls "$dir"/text/*.txt 2>/dev/null | head -1)
check "kept in full in a side file" sh -c "[ -f '$side' ] && [ \$(wc -c <'$side') -eq $huge ] &&
    head -c 10 '$side' | grep -q '^HUGE-START' && tail -c 9 '$side' | grep -q 'HUGE-END'"
sha=$(basename "$side" .txt)
check "side file named by its sha256" sh -c "sha256sum '$side' | grep -q '^$sha '"
why="$(size_of "$dir/audit.jsonl") bytes"
check "the record stays small" [ "$(size_of "$dir/audit.jsonl")" -lt 65536 ]
check "the record names the side file" grep -q "\"side_files\":\[{\"field\":\"revised_prompt\",\"path\":\"text/$sha.txt\",\"sha256\":\"$sha\",\"bytes\":$huge}\]" "$dir/audit.jsonl"

easel log huge
why="rc=$rc $(head -c 300 "$tmp/err")"
check "log works" sh -c "[ $rc -eq 0 ] && grep -q '^  in full   revised_prompt ($huge bytes' '$tmp/out'"
why="$(od -c "$tmp/out" | head)"
check "log is clean" terminal_safe "$tmp/out" "$tmp/err"
easel log huge --json
why="rc=$rc $(head -c 300 "$tmp/err")"
check "log --json works" sh -c "[ $rc -eq 0 ] && python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' '$tmp/out'"
easel log huge --verify
why="rc=$rc $(cat "$tmp/out")"
check "verify checks the side file" sh -c "[ $rc -eq 0 ] && grep -q '3 records, 1 images, 1 side file, 0 problems' '$tmp/out'"
easel log --grep HUGE-START
why="rc=$rc $(head -c 300 "$tmp/out") $(head -c 300 "$tmp/err")"
check "grep works on every session" sh -c "[ $rc -eq 0 ] && grep -q '^huge (.*) turn 1 revised: HUGE-START' '$tmp/out' &&
    grep -q '^small (.*) turn 1 prompt: a small HUGE-START fox' '$tmp/out'"
easel log --grep HUGE-END
why="rc=$rc $(head -c 300 "$tmp/out") $(head -c 300 "$tmp/err")"
check "grep searches the whole text in the side file" sh -c "[ $rc -eq 0 ] &&
    grep -q '^huge (.*) turn 1 revised: \.\.\..* HUGE-END\$' '$tmp/out'"
easel export huge "$tmp/export"
why="rc=$rc $(cat "$tmp/err")"
check "export copies the side file" sh -c "[ $rc -eq 0 ] && cmp -s '$side' '$tmp/export/text/$sha.txt' &&
    grep -q '\"path\": \"text/$sha.txt\"' '$tmp/export/1-1.json'"
easel sessions
why="rc=$rc $(cat "$tmp/err")"
check "sessions works" sh -c "[ $rc -eq 0 ] && grep -q '^huge ' '$tmp/out' && grep -q '^small ' '$tmp/out'"

# A changed side file is caught and named.
printf 'X' | dd of="$side" bs=1 seek=100 conv=notrunc 2>/dev/null
easel log huge --verify
why="rc=$rc $(cat "$tmp/out")"
check "verify catches a changed side file" sh -c "[ $rc -ne 0 ] &&
    grep -q '^text/$sha.txt: seq 2: side file text/$sha.txt does not match its sha256' '$tmp/out'"

# A huge error message: the same.
start_hostile huge-error
OPENAI_BASE_URL="$hurl" "$EASEL" generate -S huge-error --api images -q low "a lighthouse" >"$tmp/gen.out" 2>"$tmp/gen.err"
rc=$?
stop_hostile
dir=$(session_dir_named huge-error)
why="rc=$rc $(head -c 300 "$tmp/gen.err")"
check "huge error: refused, recorded" sh -c "[ $rc -eq 3 ] && grep -q '\"field\":\"error.message\"' '$dir/audit.jsonl' &&
    [ \$(wc -c <'$dir/audit.jsonl') -lt 65536 ]"
why="$(od -c "$tmp/gen.err" | head -5)"
check "generate's message is clean" terminal_safe "$tmp/gen.out" "$tmp/gen.err"
easel log huge-error
why="rc=$rc $(head -c 300 "$tmp/err")"
check "log shows the error" sh -c "[ $rc -eq 0 ] && grep -q '^  error     invalid_value: HUGE-START' '$tmp/out' &&
    grep -q '^  in full   error.message ($huge bytes' '$tmp/out'"
easel log huge-error --verify
why="rc=$rc $(cat "$tmp/out")"
check "verify of the error's side file" sh -c "[ $rc -eq 0 ] && grep -q '1 side file, 0 problems' '$tmp/out'"
