#!/bin/sh
# SPDX-License-Identifier: MIT
# Budgets in the workbench, driven by scripted keys (EASEL_UI_SCRIPT) with the screen dumped
# as text: the parameter panel shows the spend against session_budget_usd and budget_usd;
# Enter refuses a call that would pass one before anything is sent or created, asks
# "send anyway? y/N" and sends only on y; budget_usd counts every session, also after a
# restart; with no limits nothing is asked; a limit that is not an amount stops sending.
# Every run talks to one `easel mock` whose request log proves what reached it.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
mock_pid=
trap 'stop_counting_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR

ok() { echo "ok ui-budget $1"; }
not_ok() { echo "not ok ui-budget $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

# The mock with its request log on (tests/lib/mock.sh's start_mock keeps it quiet): one line
# "easel mock: ENDPOINT STATUS ..." per request it answered, in $mock_log.
mock_log="$tmp/mock.log"
start_counting_mock() {
    "$EASEL" mock --port 0 "$@" >"$tmp/mock.out" 2>"$mock_log" &
    mock_pid=$!
    url= tries=0
    while [ -z "$url" ] && [ "$tries" -lt 50 ]; do
        url=$(sed -n 's/^easel mock listening on //p' "$tmp/mock.out" 2>/dev/null)
        [ -n "$url" ] || { sleep 0.1; tries=$((tries + 1)); }
    done
    [ -n "$url" ] || { echo "not ok ui-budget mock start: $(cat "$mock_log")"; exit 1; }
}
stop_counting_mock() {
    [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
    mock_pid=
}
# Calls sent (and paid for): a background turn's reads of its events (responses/{id}) are not.
requests() { grep -c '^easel mock: \(images/[a-z]*\|responses\) ' "$mock_log"; }
start_counting_mock

# home NAME CONFIG: a fresh home whose config file holds CONFIG.
home() {
    home="$tmp/home.$1"
    mkdir -p "$home/config/easel"
    printf '%s' "$2" >"$home/config/easel/config"
    chmod 600 "$home/config/easel/config"
}
# ui NAME KEYS: the workbench at 120x40 on $home with the keys of KEYS, sending to the mock;
# the final screen goes to $tmp/NAME.screen.
ui() {
    printf '%s' "$2" >"$tmp/$1.keys"
    XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-budget \
        EASEL_UI_SIZE=120x40 EASEL_UI_SCRIPT="$tmp/$1.keys" timeout 60 "$EASEL" \
        >"$tmp/$1.screen" 2>"$tmp/$1.err"
    rc=$?
}
has() { grep -qF -- "$2" "$1"; }
status_line() { tail -n 1 "$1"; }
# The request records in every session's log, and the sessions on disk.
turns() { cat "$home"/data/easel/sessions/*/audit.jsonl 2>/dev/null | grep -c '"kind":"request"'; }
sessions() { ls -d "$home"/data/easel/sessions/*/ 2>/dev/null | wc -l; }
logged_turns() {
    XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" "$EASEL" log --json 2>/dev/null |
        grep -c '"kind":"request"'
}

# ---- session_budget_usd ------------------------------------------------------------------
# A call costs about $0.22 on the mock (the panel's estimate, and the usage it bills: the image
# at gpt-image-2's rates and a few tenths of a cent of gpt-5.4's, protocol.md 15). With a
# limit of $0.30 the first call goes; the second would bring the session to $0.44: Enter
# asks, n, Enter and Esc each leave it unsent; then y sends it.
home session 'session_budget_usd = 0.30
budget_usd = 50
'
ui session-start ''
why="$(grep -o 'session \$[^│]*\|all \$[^│]*' "$tmp/session-start.screen")"
check "shows the spend against both limits" all \
    "has '$tmp/session-start.screen' 'session \$0.00 of \$0.30'" \
    "has '$tmp/session-start.screen' 'all \$0.00 of \$50.00'"

before=$(requests)
ui session "a red fox<Enter><wait-idle><dump $tmp/one.screen>a blue fox<Enter><dump $tmp/asked.screen>n<dump $tmp/no.screen>"
why="rc=$rc $(cat "$tmp/session.err") requests=$(($(requests) - before)) turns=$(turns)"
check "sends a call within the limit" all '[ "$rc" -eq 0 ]' '[ $(($(requests) - before)) -eq 1 ]' '[ "$(turns)" -eq 1 ]'
why="$(grep -o 'session \$[^│]*\|past [^│]*\|Enter asks[^│]*' "$tmp/one.screen")"
check "counts the session's spend" has "$tmp/one.screen" 'session $0.22 of $0.30'
check "marks a next call past the limit" all "has '$tmp/one.screen' 'past session_budget_usd (\$0.44'" \
    "has '$tmp/one.screen' 'Enter asks before'"
why="$(status_line "$tmp/asked.screen")"
check "asks before a send past session_budget_usd" \
    has "$tmp/asked.screen" 'past session_budget_usd ($0.44 of $0.30): send anyway? y/N'
why="requests=$(($(requests) - before)) turns=$(turns) log=$(logged_turns)"
check "sends nothing while asking or on n" all '[ $(($(requests) - before)) -eq 1 ]' \
    '[ "$(turns)" -eq 1 ]' '[ "$(logged_turns)" -eq 1 ]'
why="$(status_line "$tmp/no.screen"); $(grep -c '│a blue fox' "$tmp/no.screen")"
check "keeps the prompt after n" all "has '$tmp/no.screen' 'not sent: the prompt is still in the editor'" \
    "has '$tmp/no.screen' '│a blue fox'"

# Enter pressed twice out of habit, and Esc, say no too. (The prompt left unsent is the
# session's draft, back at each start: C-u clears it first.)
before=$(requests)
ui session-habit "<C-u>a blue fox<Enter><Enter><dump $tmp/enter.screen><Enter><Esc>"
why="requests=$(($(requests) - before)) turns=$(turns); $(status_line "$tmp/enter.screen")"
check "Enter again and Esc do not send" all '[ $(($(requests) - before)) -eq 0 ]' '[ "$(turns)" -eq 1 ]' \
    "has '$tmp/enter.screen' 'not sent'"

# A paste while asked (a "y" in the clipboard) is no answer, and the prompt stays as it was.
before=$(requests)
ui session-paste "<C-u>a blue fox<Enter><PasteStart>y<Enter>more text<PasteEnd><dump $tmp/pasted.screen><Esc>"
why="requests=$(($(requests) - before)) turns=$(turns); $(status_line "$tmp/pasted.screen"); $(grep '│a blue fox' "$tmp/pasted.screen")"
check "a paste does not answer the question" all '[ $(($(requests) - before)) -eq 0 ]' '[ "$(turns)" -eq 1 ]' \
    "has '$tmp/pasted.screen' 'send anyway? y/N'" "grep -q '│a blue fox *│' '$tmp/pasted.screen'"

before=$(requests)
ui session-yes "<C-u>a blue fox<Enter>y<dump $tmp/yes.screen><wait-idle>"
why="requests=$(($(requests) - before)) turns=$(turns) $(status_line "$tmp/session-yes.screen")"
check "y sends it anyway" all '[ $(($(requests) - before)) -eq 1 ]' '[ "$(logged_turns)" -eq 2 ]' \
    "grep -q '\"status\":\"completed\"' \"\$(ls -d '$home'/data/easel/sessions/*/)audit.jsonl\""
why="$(status_line "$tmp/yes.screen")"
check "says it went past the budget" has "$tmp/yes.screen" 'past the budget as confirmed'

# A limit below one call: the refusal comes before the session is created, so nothing is
# left on disk; y then creates and sends it.
home first 'session_budget_usd = 0.10
'
before=$(requests)
ui first "a fox<Enter><dump $tmp/first.asked>x"
why="sessions=$(sessions) requests=$(($(requests) - before)); $(status_line "$tmp/first.asked")"
check "refuses before creating the session" all '[ "$(sessions)" -eq 0 ]' \
    '[ $(($(requests) - before)) -eq 0 ]' "has '$tmp/first.asked' 'send anyway? y/N'"
ui first-yes "a fox<Enter>y<wait-idle>"
why="sessions=$(sessions) turns=$(turns) requests=$(($(requests) - before))"
check "creates and sends it on y" all '[ "$(sessions)" -eq 1 ]' '[ "$(turns)" -eq 1 ]' \
    '[ $(($(requests) - before)) -eq 1 ]'

# ---- budget_usd across sessions -------------------------------------------------------------
# $0.50 for all: one call in a first session, one in a second (C-n), and a third in the
# second would bring all of them to $0.65, though that session has spent only $0.22.
home all 'budget_usd = 0.50
'
before=$(requests)
ui all "one fox<Enter><wait-idle><C-n>two foxes<Enter><wait-idle>three foxes<Enter><dump $tmp/all.asked><Esc>"
why="sessions=$(sessions) turns=$(turns) requests=$(($(requests) - before)); $(status_line "$tmp/all.asked")"
check "counts every session against budget_usd" all '[ "$(sessions)" -eq 2 ]' '[ "$(turns)" -eq 2 ]' \
    '[ $(($(requests) - before)) -eq 2 ]' \
    "has '$tmp/all.asked' 'past budget_usd (all sessions \$0.65 of \$0.50): send anyway? y/N'"
why="$(grep -o 'session \$[^│]*\|all \$[^│]*' "$tmp/all.asked")"
check "shows the spend of all sessions" all "has '$tmp/all.asked' 'session \$0.22 spent'" \
    "has '$tmp/all.asked' 'all \$0.44 of \$0.50'"
# After a restart the spend comes from the sessions on disk; the newest is current.
ui all-again "four foxes<Enter><dump $tmp/again.asked>n"
why="turns=$(turns) requests=$(($(requests) - before)); $(grep -o 'all \$[^│]*' "$tmp/again.asked"); $(status_line "$tmp/again.asked")"
check "counts the sessions on disk after a restart" all '[ "$(turns)" -eq 2 ]' \
    '[ $(($(requests) - before)) -eq 2 ]' "has '$tmp/again.asked' 'all \$0.44 of \$0.50'" \
    "has '$tmp/again.asked' 'past budget_usd'"

# A request still running counts at its estimate: with $0.30 for all, a first session's slow
# request ($0.22, not billed yet) and a second session's send ($0.22) would pass it together.
stop_counting_mock
start_counting_mock --delay 1500
home running 'budget_usd = 0.30
'
ui running "one fox<Enter><sleep 200><C-n>two foxes<Enter><dump $tmp/running.asked><Esc><wait-idle>"
why="turns=$(turns); $(status_line "$tmp/running.asked"); $(grep -o 'all \$[^│]*' "$tmp/running.asked")"
check "counts a request still running in another session" all '[ "$(turns)" -eq 1 ]' \
    "has '$tmp/running.asked' 'past budget_usd (all sessions \$0.44 of \$0.30): send anyway? y/N'"
stop_counting_mock
start_counting_mock

# ---- no limits, and a limit that is not an amount ------------------------------------------
home none ''
before=$(requests)
ui none "a fox<Enter><wait-idle>another fox<Enter><wait-idle>"
why="turns=$(turns) requests=$(($(requests) - before)); $(grep -o 'session \$[^│]*' "$tmp/none.screen")"
check "sends without asking when no limit is set" all '[ "$(turns)" -eq 2 ]' \
    '[ $(($(requests) - before)) -eq 2 ]' "! has '$tmp/none.screen' 'send anyway'"
check "shows the session's spend with no limit" has "$tmp/none.screen" 'session $0.44 spent'
check "shows no total without budget_usd" sh -c "! grep -q 'all \\$' '$tmp/none.screen'"

# ---- the offline backend: its calls cost nothing, so no limit stops them -------------------
# Its money is shown apart from the spend, in the title and on the spend line (design.md 7).
home offline 'session_budget_usd = 0.10
budget_usd = 0.10
'
printf '%s' "a fox<Enter><wait-idle>another fox<Enter><wait-idle>" >"$tmp/offline.keys"
env -u OPENAI_API_KEY -u OPENAI_BASE_URL XDG_DATA_HOME="$home/data" \
    XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" EASEL_UI_SIZE=120x40 \
    EASEL_UI_SCRIPT="$tmp/offline.keys" timeout 60 "$EASEL" >"$tmp/offline.screen" 2>"$tmp/offline.err"
rc=$?
why="rc=$rc turns=$(turns) $(status_line "$tmp/offline.screen")"
check "the offline backend sends past every limit without asking" all '[ "$rc" -eq 0 ]' \
    '[ "$(turns)" -eq 2 ]' "! has '$tmp/offline.screen' 'send anyway'" \
    "! has '$tmp/offline.screen' 'past '"
why="$(head -n 1 "$tmp/offline.screen"); $(grep -o 'session \$[^│]*' "$tmp/offline.screen")"
check "shows offline money apart from the spend" all \
    "head -n 1 '$tmp/offline.screen' | grep -q '2 turns │ \$0\.0000 · \$0\.4[0-9]* offline'" \
    "has '$tmp/offline.screen' 'session \$0.00 of \$0.10'" \
    "has '$tmp/offline.screen' 'offline \$0.44, not billed'" \
    "grep -q 'next call ≈ \$0\.[0-9]* offline' '$tmp/offline.screen'"

home bad 'budget_usd = lots
'
before=$(requests)
ui bad "a fox<Enter>"
why="sessions=$(sessions) requests=$(($(requests) - before)); $(status_line "$tmp/bad.screen")"
check "refuses to send under a limit that is not an amount" all '[ "$(sessions)" -eq 0 ]' \
    '[ $(($(requests) - before)) -eq 0 ]' \
    "has '$tmp/bad.screen' \"budget_usd = 'lots' is not an amount\""

stop_counting_mock
