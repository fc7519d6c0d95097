#!/bin/sh
# SPDX-License-Identifier: MIT
# Background turns on the Responses API (protocol.md section 13, design.md section 7), against
# `easel mock` with its request log: a stream cut after partial 1, or right after
# response.created, completes by resume with exactly one POST; `kill -9` of easel generate
# mid-stream leaves an accepted turn that `easel resume`, `generate -S` and `easel log` each
# finish with its real cost; a response stuck queued is cancelled within the bound; Ctrl-C
# cancels server-side; SIGTERM leaves the turn resumable; a response too old is recorded
# lost, once; --no-background keeps the old behaviour. Prints "ok NAME" / "not ok NAME: why".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; [ -n "$gen_pid" ] && kill "$gen_pid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
gen_pid=

ok() { echo "ok background $1"; }
not_ok() { echo "not ok background $1: $2"; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export OPENAI_API_KEY=sk-test-background
unset OPENAI_ORG_ID OPENAI_PROJECT_ID EASEL_QUEUED_TIMEOUT_MS
reqlog="$tmp/requests.log"

# bg_mock ARGS...: a mock with a fresh request log.
bg_mock() {
    : >"$reqlog"
    start_mock --request-log "$reqlog" "$@"
    export OPENAI_BASE_URL="$url"
}
# The mock's request log: one JSON line a request, {"method":...,"path":...,...}.
posts() { grep -c '^{"method":"POST","path":"/v1/responses",' "$reqlog"; }
gets() { grep -c '^{"method":"GET","path":"/v1/responses/resp_' "$reqlog"; }
cancels() { grep -c '^{"method":"POST","path":"/v1/responses/resp_[0-9a-f]*/cancel"' "$reqlog"; }
gen() { "$EASEL" generate -p 2 -q low "$@"; }

# dir_of NAME: the session's folder (quick enough to poll: no process but grep).
dir_of() {
    f=$(grep -l "^  \"name\": \"$1\"," "$XDG_DATA_HOME"/easel/sessions/*/session.json 2>/dev/null | head -1)
    [ -n "$f" ] && dirname "$f"
}

# record NAME TURN KIND FIELD: one field of a turn's record, as JSON.
record() { "$EASEL" log --json "$1" 2>/dev/null | python3 -c '
import json, sys
name, turn, kind, field = sys.argv[1:]
for line in sys.stdin:
    r = json.loads(line)
    if r["turn"] == int(turn) and r["kind"] == kind: print(json.dumps(r.get(field)))' "$@"; }

verify_clean() { "$EASEL" log --verify "$1" >"$tmp/verify" 2>&1 && grep -q ' 0 problems' "$tmp/verify"; }

# The reference: an uninterrupted background turn, and what it cost.
bg_mock --delay 20
gen -S ref "a lighthouse at dusk" >"$tmp/ref.out" 2>&1; rc=$?
ref_cost=$(record ref 1 result cost_usd)
# The POST is answered with the response's id at once and accepted before any event is read
# (sequence_number -1); the events come by GET ?stream=true, from the first.
if all '[ "$rc" = 0 ]' '[ "$(posts)" = 1 ]' '[ "$(record ref 1 accepted sequence_number)" = -1 ]' \
       '[ "$(record ref 1 request params | grep -c "\"background\": true")" = 1 ]' \
       '[ "$(record ref 1 request params | grep -c "\"stream\"")" = 0 ]' \
       '[ "$(gets)" = 1 ]' \
       '[ "$ref_cost" != null ]'; then
    ok "a Responses turn is sent with background: true and accepted before any event"
else
    not_ok accepted "rc $rc, posts $(posts), cost $ref_cost: $(cat "$tmp/ref.out")"
fi

# Cut after partial 1 (the first), right after response.created, and before any event.
for fault in drop-after=0 drop-after=created drop-after=start; do
    bg_mock --delay 20 --fault "$fault"
    name="cut-${fault#drop-after=}"
    gen -S "$name" "a lighthouse at dusk" >"$tmp/cut.out" 2>&1; rc=$?
    d=$(dir_of "$name")
    if all '[ "$rc" = 0 ]' '[ "$(posts)" = 1 ]' '[ "$(gets)" -ge 1 ]' \
           '[ -s "$d/images/1-1.png" ]' '[ "$(record "$name" 1 result status)" = "\"completed\"" ]' \
           '[ "$(record "$name" 1 result cost_usd)" = "$ref_cost" ]' 'verify_clean "$name"'; then
        ok "$fault: completed by resume with one POST, image saved, log verifies"
    else
        not_ok "$fault" "rc $rc, posts $(posts): $(cat "$tmp/cut.out"; cat "$reqlog"; cat "$tmp/verify")"
    fi
done

# wait_accepted NAME: until the session's turn is accepted (5 s at most).
wait_accepted() {
    tries=0
    until grep -q '"kind":"accepted"' "$(dir_of "$1")/audit.jsonl" 2>/dev/null ||
          [ "$tries" -ge 100 ]; do sleep 0.05; tries=$((tries + 1)); done
}

# start_killed NAME: easel generate killed with SIGKILL once its turn is accepted.
start_killed() {
    "$EASEL" generate -S "$1" -p 2 -q low "a lighthouse at dusk" >/dev/null 2>&1 &
    gen_pid=$!
    wait_accepted "$1"
    kill -9 "$gen_pid" 2>/dev/null
    wait "$gen_pid" 2>/dev/null
    gen_pid=
}

# kill -9 mid-stream, then: easel resume; generate -S; easel log; the workbench (script mode).
bg_mock --delay 150
for how in resume generate log workbench; do
    name="killed-$how"
    start_killed "$name"
    : >"$reqlog"
    if [ "$(record "$name" 1 result status)" != "" ]; then
        not_ok "kill -9, then $how" "the turn has a result already (killed too late)"
        continue
    fi
    case $how in
        resume) "$EASEL" resume "$name" >"$tmp/after.out" 2>&1; rc=$? ;;
        generate) gen -S "$name" "a second turn" >"$tmp/after.out" 2>&1; rc=$? ;;
        log) "$EASEL" log "$name" >"$tmp/after.out" 2>&1; rc=$? ;;
        workbench)
            # The killed session is the newest: the workbench opens on it.
            printf '<dump %s><wait-idle>' "$tmp/wb.mid" >"$tmp/wb.keys"
            LC_ALL=C.UTF-8 TERM=xterm-256color EASEL_UI_SIZE=100x30 EASEL_UI_SCRIPT="$tmp/wb.keys" \
                timeout 60 "$EASEL" >"$tmp/after.out" 2>"$tmp/wb.err"; rc=$?
            grep -q "resuming turn 1" "$tmp/wb.mid" || rc="no 'resuming turn 1' on screen: $(cat "$tmp/wb.mid")" ;;
    esac
    d=$(dir_of "$name")
    want_posts=0; [ "$how" = generate ] && want_posts=1
    if all '[ "$rc" = 0 ]' '[ "$(posts)" = "$want_posts" ]' '[ -s "$d/images/1-1.png" ]' \
           '[ "$(record "$name" 1 result status)" = "\"completed\"" ]' \
           '[ "$(record "$name" 1 result cost_usd)" = "$ref_cost" ]' 'verify_clean "$name"'; then
        ok "kill -9 mid-stream, then $how: image saved, real cost recorded"
    else
        not_ok "kill -9, then $how" "rc $rc, posts $(posts): $(cat "$tmp/after.out"; cat "$reqlog")"
    fi
done
"$EASEL" resume >"$tmp/none.out" 2>&1; rc=$?
if all '[ "$rc" = 0 ]' 'grep -q "no background turn to finish" "$tmp/none.out"'; then
    ok "easel resume with nothing left says so"
else
    not_ok "resume, nothing left" "rc $rc: $(cat "$tmp/none.out")"
fi

# Stuck queued: cancelled and recorded failed within the bound.
bg_mock --fault stall=queued
t0=$(date +%s%3N)
EASEL_QUEUED_TIMEOUT_MS=700 gen -S stuck "a lighthouse at dusk" >"$tmp/stuck.out" 2>&1; rc=$?
ms=$(( $(date +%s%3N) - t0 ))
if all '[ "$rc" = 4 ]' '[ "$ms" -lt 3000 ]' '[ "$(cancels)" = 1 ]' \
       '[ "$(record stuck 1 result status)" = "\"failed\"" ]' \
       'record stuck 1 result error | grep -q queued_timeout' 'verify_clean stuck'; then
    ok "stuck queued: cancelled server-side and recorded failed in $ms ms (bound 700 ms)"
else
    not_ok "stuck queued" "rc $rc in $ms ms: $(cat "$tmp/stuck.out"; cat "$reqlog")"
fi

# Ctrl-C cancels server-side too; SIGTERM leaves it running and resumable.
bg_mock --delay 150
for sig in INT TERM; do
    name="sig-$sig"
    : >"$reqlog"
    "$EASEL" generate -S "$name" -p 2 -q low "a lighthouse at dusk" >"$tmp/sig.out" 2>&1 &
    gen_pid=$!
    wait_accepted "$name"
    kill -"$sig" "$gen_pid"; wait "$gen_pid"; rc=$?; gen_pid=
    if [ "$sig" = INT ]; then
        if all '[ "$rc" = 130 ]' '[ "$(cancels)" = 1 ]' \
               '[ "$(record "$name" 1 result status)" = "\"cancelled\"" ]' \
               'record "$name" 1 result error | grep -q "cancelled server-side too"'; then
            ok "Ctrl-C cancels the background response server-side"
        else
            not_ok "Ctrl-C" "rc $rc: $(cat "$tmp/sig.out"; cat "$reqlog")"
        fi
    else
        before=$(record "$name" 1 result status)
        "$EASEL" resume "$name" >"$tmp/resume.out" 2>&1; rrc=$?
        if all '[ "$rc" = 5 ]' '[ -z "$before" ]' 'grep -q "still running server-side" "$tmp/sig.out"' \
               '[ "$(cancels)" = 0 ]' '[ "$rrc" = 0 ]' \
               '[ "$(record "$name" 1 result status)" = "\"completed\"" ]'; then
            ok "SIGTERM leaves the background turn running and resumable (exit 5)"
        else
            not_ok "SIGTERM" "rc $rc, result '$before', resume $rrc: $(cat "$tmp/sig.out" "$tmp/resume.out")"
        fi
    fi
done

# Another endpoint than the turn's: left resumable, never asked (it would not know the id).
bg_mock --delay 150
start_killed elsewhere
gets_before=$(gets)
OPENAI_BASE_URL=http://127.0.0.1:9/v1 "$EASEL" resume elsewhere >"$tmp/elsewhere.out" 2>&1; rc=$?
if all '[ "$rc" = 0 ]' 'grep -q "was sent to $url/responses" "$tmp/elsewhere.out"' \
       '[ -z "$(record elsewhere 1 result status)" ]' '[ "$(posts)" = 1 ]' \
       '[ "$(gets)" = "$gets_before" ]'; then
    ok "a turn sent to another endpoint is left resumable"
else
    not_ok "another endpoint" "rc $rc: $(cat "$tmp/elsewhere.out")"
fi

# Too old to fetch: recorded lost with the reason, once.
bg_mock --delay 20 --fault expire=1
start_killed lost
sleep 1
"$EASEL" resume lost >"$tmp/lost.out" 2>&1; rc=$?
"$EASEL" resume lost >"$tmp/lost2.out" 2>&1; rc2=$?
if all '[ "$rc" = 5 ]' '[ "$(record lost 1 result status)" = "\"interrupted\"" ]' \
       'record lost 1 result error | grep -q response_lost' 'grep -q "no longer has" "$tmp/lost.out"' \
       '[ "$rc2" = 0 ]' 'grep -q "no background turn" "$tmp/lost2.out"' 'verify_clean lost'; then
    ok "a response the API no longer has is recorded lost, once"
else
    not_ok "lost" "rc $rc/$rc2: $(cat "$tmp/lost.out" "$tmp/lost2.out")"
fi

# --no-background (and --background off): no background field; a cut stream is lost as before.
bg_mock --delay 20 --fault drop-after=0
gen -S plain --no-background "a lighthouse at dusk" >"$tmp/plain.out" 2>&1; rc=$?
gen -S plain2 --background off "a lighthouse at dusk" >/dev/null 2>&1; rc2=$?
if all '[ "$rc" = 5 ]' '[ "$rc2" = 5 ]' '[ "$(posts)" = 2 ]' '[ "$(gets)" = 0 ]' \
       '[ "$(record plain 1 accepted turn)" = "" ]' \
       '! record plain 1 request params | grep -q background'; then
    ok "--no-background and --background off: no background mode, no resume"
else
    not_ok "no-background" "rc $rc/$rc2: $(cat "$tmp/plain.out"; cat "$reqlog")"
fi
# --background still takes the image's background.
gen -S plain3 --dry-run --background opaque "x" >"$tmp/dry.out" 2>&1
if grep -q '"background": "opaque"' "$tmp/dry.out" && grep -q '"background": true' "$tmp/dry.out"; then
    ok "--background opaque is the image's background, beside background mode"
else
    not_ok "--background opaque" "$(cat "$tmp/dry.out")"
fi
stop_mock
