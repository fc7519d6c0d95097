#!/bin/sh
# SPDX-License-Identifier: MIT
# The integration paths once under valgrind (issue 7, item 8): a handful of representative
# `easel generate` calls against the offline backend (plain on both APIs, a 429 then a retry,
# a stream dropped mid-way, an error event, malformed JSON, a refused connection, a redirect),
# `easel log` (plain, --json, --verify), `easel sessions` and `easel mock` itself, each under
#   valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
# Any memory error or definite leak fails the case. SIGINT is left out: signals and valgrind's
# scheduler make it flaky. Prints "ok valgrind NAME" / "not ok valgrind NAME: why"; takes
# about a minute and a half. Usage: EASEL=build/easel sh tests/valgrind.sh
here=$(cd "$(dirname "$0")" && pwd)
: "${EASEL:?set EASEL to the easel binary}"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "ok valgrind # skip: no valgrind"
    exit 0
fi
tmp=$(mktemp -d)
trap 'stop_mock; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export OPENAI_API_KEY=sk-test-valgrind NO_COLOR=1
unset OPENAI_ORG_ID OPENAI_PROJECT_ID EASEL_DEBUG_HTTP
failed=0
# vg_exec COMMAND...: becomes valgrind running COMMAND, so that a background `vg_exec ... &`
# has valgrind's own pid in $! (a background function is a subshell: killing it would leave
# valgrind running). vg runs it in the foreground.
vg_exec() {
    exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --suppressions="$here/valgrind.supp" --log-file="$tmp/vg.%p" "$@"
}
vg() {
    (vg_exec "$@")
}

# case NAME EXPECTED_EXIT ARGS...: one easel command under valgrind.
case_() {
    name=$1 want=$2
    shift 2
    rm -f "$tmp"/vg.*
    t0=$(date +%s)
    vg "$EASEL" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    secs=$(( $(date +%s) - t0 ))
    if [ "$rc" -eq 99 ] || grep -qs 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]\|Invalid \|uninitialised' "$tmp"/vg.*; then
        echo "not ok valgrind $name: $(cat "$tmp"/vg.* | grep -m3 -e 'Invalid' -e 'uninitialised' -e 'definitely' -e '==' | tr '\n' ' ' | cut -c1-400)"
        failed=1
    elif [ "$rc" -ne "$want" ]; then
        echo "not ok valgrind $name: exit $rc, expected $want: $(tail -1 "$tmp/err")"
        failed=1
    else
        echo "ok valgrind $name (exit $rc, ${secs}s)"
    fi
}

start_mock
OPENAI_BASE_URL="$url" case_ generate-responses 0 generate -S vg -p 2 -q low "a lighthouse"
OPENAI_BASE_URL="$url" case_ generate-images 0 generate -S vg --api images -p 1 -q low "a boat"
OPENAI_BASE_URL="$url" case_ generate-json 0 generate -S vg --json -q low "a lighthouse at night"
start_mock --fault status=429,count=1,retry-after-ms=200
OPENAI_BASE_URL="$url" case_ generate-429-retry 0 generate -S vg --api images -q low "a boat"
start_mock --fault drop-after=1
OPENAI_BASE_URL="$url" case_ generate-drop 5 generate -S vg --api images -p 3 -q low "a boat"
start_mock --fault error-event=0
OPENAI_BASE_URL="$url" case_ generate-error-event 4 generate -S vg-fresh -p 2 -q low "a boat"
start_mock --fault malformed=1
OPENAI_BASE_URL="$url" case_ generate-malformed 4 generate -S vg --api images -p 2 -q low "a boat"
start_mock --fault block=boat
OPENAI_BASE_URL="$url" case_ generate-moderation 3 generate -S vg --api images -q low "a boat"
stop_mock
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 9)
OPENAI_BASE_URL="http://127.0.0.1:$port/v1" case_ generate-refused 4 generate -S vg --api images -q low "a boat"
case_ dry-run 0 generate --dry-run -q low "a boat"
case_ bad-args 2 generate -s 17x9 "a boat"
case_ log 0 log vg
case_ log-json 0 log --json vg
case_ log-verify 0 log --verify vg
case_ log-grep 0 log --grep lighthouse
case_ sessions 0 sessions
case_ sessions-json 0 sessions --json
case_ doctor 0 doctor

# The mock under valgrind, serving a streamed request on each API, then stopped by SIGTERM (a
# background job of a script ignores SIGINT). Its log is checked, as a signal sets no exit code.
# Both programs: easel mock, which passes the SIGTERM on, and its child easel-mock.
rm -f "$tmp"/vg.*
vg_exec --trace-children=yes "$EASEL" mock --port 0 --quiet >"$tmp/mock-first" 2>"$tmp/mock-err" &
vpid=$!
murl=; tries=0
while [ -z "$murl" ] && [ "$tries" -lt 100 ]; do
    murl=$(sed -n 's/^easel mock listening on //p' "$tmp/mock-first")
    [ -n "$murl" ] || { sleep 0.2; tries=$((tries + 1)); }
done
OPENAI_BASE_URL="$murl" "$EASEL" generate -S vgm -p 2 -q low "a lighthouse" >/dev/null 2>&1; r1=$?
OPENAI_BASE_URL="$murl" "$EASEL" generate -S vgm --api images -p 1 -q low "a boat" >/dev/null 2>&1; r2=$?
kill -TERM "$vpid" 2>/dev/null
wait "$vpid"; rc=$?
if [ "$rc" -eq 99 ] || grep -qs 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]\|Invalid \|uninitialised' "$tmp"/vg.*; then
    echo "not ok valgrind mock: $(cat "$tmp"/vg.* | grep -m3 -e Invalid -e uninitialised -e definitely | tr '\n' ' ')"
    failed=1
elif [ "$r1" -ne 0 ] || [ "$r2" -ne 0 ]; then
    echo "not ok valgrind mock: the generates against it exited $r1 and $r2"
    failed=1
else
    echo "ok valgrind mock (served both APIs, exit $rc on SIGTERM)"
fi
exit $failed
