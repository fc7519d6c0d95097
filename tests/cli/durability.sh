#!/bin/sh
# SPDX-License-Identifier: MIT
# Nothing paid for is lost by `easel generate` (issue 12, items 3 and 4): SIGTERM, SIGHUP and a
# closed stdout wind a turn down with its record closed and its last partial frame kept, and
# an image the session cannot save goes to the rescue folder, or is named exactly when lost.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
mounts=
cleanup() {
    stop_mock
    for m in $mounts; do umount "$m" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
. "$here/lib/mock.sh"

# The wind-down of a turn that cannot finish unattended: Responses turns here are sent without
# background mode (config background = off); a background turn is left running and resumable
# instead, which tests/net/background.sh checks.
mkdir -p "$tmp/config/easel"
echo "background = off" >"$tmp/config/easel/config"

ok() { echo "ok durability $1"; }
not_ok() { echo "not ok durability $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

# env_run DATA CACHE ARGS...: easel generate against $url, exec'd so that $! is easel itself.
env_run() {
    data=$1 cache=$2
    shift 2
    XDG_DATA_HOME="$data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$cache" \
        OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-canary exec "$EASEL" generate "$@"
}
session_of() { ls -d "$1"/easel/sessions/*/ 2>/dev/null | head -n 1; }
result() { grep '"kind":"result"' "$1/audit.jsonl" | tail -n 1; }
# result_has SESSION PATTERN: the last result record matches the grep pattern.
result_has() { result "$1" | grep -q "$2"; }
# verify DATA: `easel log --verify` of the newest session there is clean; why says what it said.
verify() {
    XDG_DATA_HOME="$1" "$EASEL" log --verify >"$tmp/verify" 2>&1
    verify_rc=$?
    why=$(cat "$tmp/verify")
    return $verify_rc
}

# wait_for FILE PATTERN: until a line of FILE matches (5 s at most).
wait_for() {
    tries=0
    until grep -q "$2" "$1" 2>/dev/null; do
        tries=$((tries + 1))
        [ "$tries" -lt 100 ] || return 1
        sleep 0.05
    done
}

# A signal after the first partial frame: exit 5 (interrupted after sending), an interrupted
# result naming the kept frame, a log that verifies.
start_mock --delay 400
for sig in TERM HUP; do
    data="$tmp/data-$sig"
    (env_run "$data" "$tmp/cache" --json -p 3 "a slow lighthouse" >"$tmp/out" 2>"$tmp/err") &
    pid=$!
    wait_for "$tmp/out" '"type":"partial"'
    kill -"$sig" "$pid"
    wait "$pid"
    rc=$?
    session=$(session_of "$data")
    why="rc=$rc $(cat "$tmp/err")"
    check "SIG$sig exits 5" [ "$rc" -eq 5 ]
    why="$(result "$session" | cut -c1-600)"
    check "SIG$sig closes the record as interrupted" \
        result_has "$session" "\"status\":\"interrupted\".*\"message\":\"interrupted by SIG$sig"
    check "SIG$sig keeps the partial frame" all "[ -s '$session/images/1-partial.png' ]" \
        "result_has '$session' '\"path\":\"images/1-partial.png\"'"
    check "SIG$sig leaves a log that verifies" verify "$data"
    why="$(tail -n 1 "$tmp/out")"
    check "SIG$sig says so on the json line" grep -q '"exit_code":5,.*"partial_path":"images/1-partial.png"' "$tmp/out"
done

# stdout closed (`| head -c 1`): SIGPIPE does not kill the process; the failed write winds the
# turn down as a signal does, and what it kept is said on stderr.
# piped DATA ARGS...: easel generate ARGS | head -c 1; sets $rc (easel's) and $session.
piped() {
    data=$1
    shift
    { (env_run "$data" "$tmp/cache" "$@" 2>"$tmp/err"); echo $? >"$tmp/rc"; } | head -c 1 >/dev/null
    rc=$(cat "$tmp/rc")
    session=$(session_of "$data")
}
piped "$tmp/data-pipe" --json -p 3 "a piped lighthouse"
why="rc=$rc $(cat "$tmp/err")"
check "closed stdout exits 5" [ "$rc" = 5 ]
why="$(result "$session" | cut -c1-600)"
check "closed stdout closes the record" result_has "$session" '"status":"interrupted".*closed stdout'
check "closed stdout keeps the partial frame" [ -s "$session/images/1-partial.png" ]
why="$(cat "$tmp/err")"
check "closed stdout says where on stderr" grep -q "kept the last partial frame: $session" "$tmp/err"
check "closed stdout leaves a log that verifies" verify "$tmp/data-pipe"

# Without --json nothing reaches stdout before the image is saved: the turn completes, and the
# output that never arrived is still an error (issue 13 item 10): exit 1, said on stderr.
piped "$tmp/data-pipe-plain" -p 1 "a plain piped lighthouse"
why="rc=$rc $(cat "$tmp/err")"
check "stdout closed after the image: exit 1" all '[ "$rc" = 1 ]' \
    "grep -q 'the output could not be written' '$tmp/err'"
why="$(result "$session" | cut -c1-300)"
check "stdout closed after the image: completed" result_has "$session" '"status":"completed"'

# Any other write error on stdout (a full disk) stops nothing: the turn finishes, then exits 1
# for the output that never arrived (issue 13 item 10).
(env_run "$tmp/data-full-stdout" "$tmp/cache" --json -p 1 "a lighthouse to /dev/full" >/dev/full 2>"$tmp/err")
rc=$?
session=$(session_of "$tmp/data-full-stdout")
why="rc=$rc $(cat "$tmp/err")"
check "stdout on a full disk: the turn completes" all '[ "$rc" -eq 1 ]' \
    "result_has '$session' '\"status\":\"completed\"'" \
    "grep -q 'writing to stdout failed (No space left on device)' '$tmp/err'"
stop_mock

# -o into a folder that is not there, or cannot be written: exit 2 before anything is sent (no
# session, no request at the mock).
start_mock
data="$tmp/data-out"
(env_run "$data" "$tmp/cache" -o "$tmp/nonexistent/dir/x.png" "a lighthouse" >"$tmp/out" 2>"$tmp/err")
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "-o into a missing folder exits 2" [ "$rc" -eq 2 ]
check "-o into a missing folder names it" grep -q "nonexistent/dir: No such file" "$tmp/err"
why="$(ls -R "$data" 2>&1)"
check "-o into a missing folder sends nothing" [ -z "$(session_of "$data")" ]
mkdir -p "$tmp/ro"
if mount -t tmpfs -o ro,size=64k tmpfs "$tmp/ro" 2>/dev/null; then
    mounts="$mounts $tmp/ro"
    (env_run "$data" "$tmp/cache" -o "$tmp/ro/x.png" "a lighthouse" >"$tmp/out" 2>"$tmp/err")
    rc=$?
    why="rc=$rc $(cat "$tmp/err")"
    check "-o into a read-only folder exits 2" all '[ "$rc" -eq 2 ]' \
        "grep -q 'cannot be written: Read-only file system' '$tmp/err'" '[ -z "$(session_of "$data")" ]'
else
    echo "ok durability -o into a read-only folder # skip: cannot mount a tmpfs"
fi
(env_run "$data" "$tmp/cache" -o "$tmp/" "a lighthouse" >"$tmp/out" 2>"$tmp/err")
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "-o naming a folder exits 2" all '[ "$rc" -eq 2 ]' '[ -z "$(session_of "$data")" ]'

# A full disk at the image save: a small tmpfs as XDG_DATA_HOME, filled to within 64 kB, which
# takes the session and its records but not a 200 kB image. The image goes to the rescue folder
# and is named in the record and on stderr; the log still verifies.
full="$tmp/full"
mkdir -p "$full"
if mount -t tmpfs -o size=1m tmpfs "$full" 2>/dev/null; then
    mounts="$mounts $full"
    # fill [ROOM]: the tmpfs full but for ROOM (64K), enough for the session and its records.
    fill() {
        rm -f "$full/fill"
        dd if=/dev/zero of="$full/fill" bs=4k 2>/dev/null
        truncate -s -"${1:-64K}" "$full/fill"
    }
    fill
    data="$full/data"
    (env_run "$data" "$tmp/cache" "a lighthouse on a full disk" >"$tmp/out" 2>"$tmp/err")
    rc=$?
    session=$(session_of "$data")
    id=$(basename "$session")
    rescued="$tmp/cache/easel/rescued/$id-1-1.png"
    why="rc=$rc $(cat "$tmp/err"); $(ls -la "$tmp/cache/easel/rescued" 2>&1)"
    check "full disk: the image is in the rescue folder" [ -s "$rescued" ]
    check "full disk: exits 1 and names it on stderr" all '[ "$rc" -eq 1 ]' \
        "grep -q 'No space left on device.*kept in the rescue folder: $rescued' '$tmp/err'"
    sum=$(sha256sum "$rescued" 2>/dev/null | cut -d' ' -f1)
    why="$(result "$session" | cut -c1-900)"
    check "full disk: the record names it with its sha256" \
        result_has "$session" "\"status\":\"failed\".*\"unsaved\":\[{\"path\":\"$rescued\",\"sha256\":\"$sum\""
    check "full disk: the record keeps the cost" result_has "$session" '"cost_usd":[0-9]'
    modes=$(stat -c '%a' "$tmp/cache/easel/rescued" "$rescued" 2>&1 | tr '\n' ' ')
    why="$modes"
    check "full disk: folder 0700, file 0600" [ "$modes" = "700 600 " ]
    check "full disk: the log verifies" verify "$data"

    # Even the rescue folder full: what was lost is said exactly.
    fill
    data="$full/data2"
    (env_run "$data" "$full/cache" "a lighthouse lost" >"$tmp/out" 2>"$tmp/err")
    rc=$?
    session=$(session_of "$data")
    why="rc=$rc $(cat "$tmp/err")"
    check "full disk and cache: says what was lost" all '[ "$rc" -eq 1 ]' \
        "grep -q 'lost image 1 of turn 1: [0-9]* bytes, sha256 [0-9a-f]\{64\}, response resp_' '$tmp/err'"
    why="$(result "$session" | cut -c1-900)"
    check "full disk and cache: the record says what was lost" \
        result_has "$session" '"unsaved":\[{"path":null,"sha256":"[0-9a-f]\{64\}","bytes":[1-9]'

    # SIGTERM on a full disk: the partial frame kept goes to the rescue folder (a frame is
    # some 45 kB: the room left is less).
    fill 16K
    data="$full/data3"
    start_mock --delay 400
    (env_run "$data" "$tmp/cache" --json -p 3 "a lighthouse stopped" >"$tmp/out" 2>"$tmp/err") &
    pid=$!
    wait_for "$tmp/out" '"type":"partial"'
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    session=$(session_of "$data")
    rescued="$tmp/cache/easel/rescued/$(basename "$session")-1-partial.png"
    why="rc=$rc $(cat "$tmp/err"); $(result "$session" | cut -c1-900)"
    check "full disk and SIGTERM: the partial frame is rescued" all '[ "$rc" -eq 5 ]' \
        '[ -s "$rescued" ]' "grep -q '\"message\":\"interrupted by SIGTERM.*kept in the rescue folder: $rescued' '$tmp/out'" \
        "result_has '$session' '\"status\":\"interrupted\".*\"unsaved\":\[{\"path\":\"$rescued\"'"
else
    echo "ok durability full disk # skip: cannot mount a tmpfs"
fi

# A read-only images/ folder (a read-only bind mount: root writes through mode bits) in a
# session that goes on: the second turn's image is rescued.
data="$tmp/data-ro"
(env_run "$data" "$tmp/cache" -S ro --api images "a first picture" >"$tmp/out" 2>"$tmp/err")
session=$(session_of "$data")
if [ -n "$session" ] && mount --bind "$session/images" "$session/images" 2>/dev/null; then
    mounts="$session/images $mounts"
    mount -o remount,ro,bind "$session/images"
    (env_run "$data" "$tmp/cache" -S ro --api images "a second picture" >"$tmp/out" 2>"$tmp/err")
    rc=$?
    rescued="$tmp/cache/easel/rescued/$(basename "$session")-2-1.png"
    why="rc=$rc $(cat "$tmp/err")"
    check "read-only images/: rescued and named" all '[ "$rc" -eq 1 ]' '[ -s "$rescued" ]' \
        "grep -q 'Read-only file system.*$rescued' '$tmp/err'"
    umount "$session/images"
else
    echo "ok durability read-only images # skip: cannot bind-mount"
fi
