#!/bin/sh
# SPDX-License-Identifier: MIT
# Reviewing history (issue 6) on sessions written by the real client against `easel mock`:
# sessions, log with word diffs and branches, --json, --grep, --since, --verify catching one
# changed byte, recovery reports that delete nothing, export, and hostile text kept off the
# terminal while the log keeps it byte for byte.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok history $1"; }
not_ok() { echo "not ok history $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config"
unset NO_COLOR
# easel ARGS...: runs easel with stdout in $tmp/out, stderr in $tmp/err; sets $rc.
easel() { "$EASEL" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
gen() { OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test "$EASEL" generate "$@" >"$tmp/gen" 2>&1; }
# no_bytes FILE HEX...: none of these bytes occurs in FILE.
no_bytes() { f=$1; shift; for b; do od -An -tx1 -v "$f" | grep -q " $b" && return 1; done; return 0; }

# ---- A session with a branch, a refusal, a cancelled turn and a hostile prompt -----------
start_mock --fault block=forbidden
gen -S fox "a red fox in the snow"
gen -S fox "a red fox in the rain"
gen -S fox --from 1 "a red fox under the moon"
gen -S fox "a forbidden fox"
esc=$(printf '\033'); bel=$(printf '\007'); rlo=$(printf '\342\200\256')
gen -S fox "a ${esc}[31mhostile${esc}[0m fox ${rlo}reversed${bel} at dusk"
start_mock --delay 3000
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test "$EASEL" generate -S fox --api images \
    "a slow fox" >"$tmp/gen" 2>&1 &
pid=$!
sleep 0.8
kill -INT "$pid"
wait "$pid"
stop_mock
start_mock
gen -S other "a RED FOX drawn in ink"
stop_mock
dir=$(ls -d "$XDG_DATA_HOME"/easel/sessions/*/ | while read -r d; do
    grep -q '"name": "fox"' "$d/session.json" && echo "${d%/}"; done)
why="no session folder"
check "real sessions written" [ -f "$dir/audit.jsonl" ]

# ---- easel sessions ---------------------------------------------------------------------
easel sessions
why="$(cat "$tmp/out")"
check "sessions table" sh -c "grep -q '^NAME .*LAST ACTIVITY' '$tmp/out' && grep -q '^fox .* 6 ' '$tmp/out'"
check "sessions newest first" [ "$(sed -n 2p "$tmp/out" | cut -d' ' -f1)" = other ]
easel sessions --json
why="$(cat "$tmp/out")"
check "sessions json" sh -c "[ \$(wc -l < '$tmp/out') -eq 2 ] && grep -q '\"name\":\"fox\",.*\"last_activity\":\"20' '$tmp/out'"
easel sessions --name FO
why="$(cat "$tmp/out")"
check "sessions --name" sh -c "grep -q '^fox ' '$tmp/out' && ! grep -q '^other ' '$tmp/out'"
easel sessions --since 2999-01-01
check "sessions --since" grep -q "no session matches" "$tmp/out"
easel sessions --until 2000-01-01 --json
check "sessions --until" [ ! -s "$tmp/out" ]
easel sessions --since yesterday
why="rc=$rc"
check "sessions bad date exits 2" [ "$rc" -eq 2 ]

# ---- easel log --------------------------------------------------------------------------
easel log fox
why="rc=$rc $(cat "$tmp/err")"
check "log exits 0" [ "$rc" -eq 0 ]
why="$(cat "$tmp/out")"
check "log shows every turn" [ "$(grep -c '^turn ' "$tmp/out")" -eq 6 ]
check "log word diff" grep -q '^  revised   a red fox in the snow{+\. Rendered' "$tmp/out"
check "log statuses" sh -c "grep -q '^turn 4 .*failed' '$tmp/out' && grep -q '^turn 6 .*cancelled' '$tmp/out'"
check "log branch" grep -q '^turn 3 .*from turn 1' "$tmp/out"
check "log branch map" sh -c "grep -A3 '^branches' '$tmp/out' | grep -q '^  1 - 3'"
check "log refusal message" grep -q "^  error .*safety" "$tmp/out"
check "log files" grep -q '^  files     images/1-1.png  [0-9]*x[0-9]* png' "$tmp/out"
check "log ids and timings" sh -c "grep -q '^  ids       request req_' '$tmp/out' && grep -q '^  timing    first byte' '$tmp/out'"
# Hostile text: never raw on the terminal, byte for byte in the log.
why="$(od -c "$tmp/out" | grep -n '033\|007' | head -3)"
check "log drops ESC and BEL" no_bytes "$tmp/out" 1b 07
check "log drops bidi overrides" sh -c "! grep -q '$rlo' '$tmp/out'"
check "log keeps hostile prompt exactly" grep -q '"prompt":"a \\u001B\[31mhostile\\u001B\[0m fox \\u202Ereversed\\u0007 at dusk"' "$dir/audit.jsonl"
easel log
check "log defaults to the latest session" grep -q "^session .*other" "$tmp/out"
easel log fox --since 2999-01-01
check "log --since" grep -q "^0 turns" "$tmp/out"

# Colour only on a terminal: script(1) gives one, and the diff is green and red there (a
# terminal that can take colour: CI may run with TERM unset, which gets none).
if command -v script >/dev/null 2>&1; then
    TERM=xterm-256color script -qc "'$EASEL' log fox" /dev/null >"$tmp/tty" 2>&1
    why="$(grep revised "$tmp/tty" | head -2)"
    check "log colour on a terminal" grep -q "$(printf '\033')\[32m" "$tmp/tty"
    NO_COLOR=1 TERM=xterm-256color script -qc "'$EASEL' log fox" /dev/null >"$tmp/tty" 2>&1
    check "log NO_COLOR" grep -q '{+' "$tmp/tty"
fi

# --json: the records, byte for byte.
easel log fox --json
why="$(cmp "$tmp/out" "$dir/audit.jsonl")"
check "log --json is the file" cmp -s "$tmp/out" "$dir/audit.jsonl"

# --grep: every session, any case, prompts and revised prompts.
easel log --grep "red FOX"
why="$(cat "$tmp/out")"
check "grep across sessions" sh -c "grep -q '^fox (.*) turn 1 prompt: a red fox in the snow' '$tmp/out' && grep -q '^other (.*) turn 1 prompt:' '$tmp/out'"
check "grep revised prompts" grep -q ' turn 1 revised: ' "$tmp/out"
easel log --grep hostile
why="$(od -c "$tmp/out" | head)"
check "grep finds the hostile prompt" grep -q 'turn 5 prompt: a \[31mhostile\[0m fox reversed at dusk' "$tmp/out"
check "grep sanitizes" no_bytes "$tmp/out" 1b 07
easel log --grep "no such words anywhere"
why="rc=$rc"
check "grep without a match exits 1" [ "$rc" -eq 1 ]

# ---- --verify ---------------------------------------------------------------------------
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
check "verify clean" sh -c "[ $rc -eq 0 ] && grep -q ' 0 problems' '$tmp/out'"
cp "$dir/audit.jsonl" "$tmp/audit.bak"
# One byte of the request of turn 2's prompt: "rain" -> "raim". (Its line: a name record,
# and a background turn's accepted record between a request and its result, come first.)
n=$(grep -n '"kind":"request",.*in the rain"' "$dir/audit.jsonl" | cut -d: -f1)
sed -i "${n}s/in the rain\"/in the raim\"/" "$dir/audit.jsonl"
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
check "verify catches a changed record" sh -c "[ $rc -ne 0 ] && grep -q '^audit.jsonl: seq $((n - 1)) does not match the prev_hash recorded in seq $n: seq $((n - 1)) was changed' '$tmp/out'"
cp "$tmp/audit.bak" "$dir/audit.jsonl"
# One byte of the last record: only session.json's copy of its hash can tell.
last=$(wc -l < "$dir/audit.jsonl")
sed -i "${last}s/\"partials\":/\"partials\":1/" "$dir/audit.jsonl"
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
check "verify catches a changed last record" sh -c "[ $rc -ne 0 ] && grep -q 'seq $((last - 1)) .*session.json' '$tmp/out'"
cp "$tmp/audit.bak" "$dir/audit.jsonl"
# One byte of an image.
cp "$dir/images/1-1.png" "$tmp/img.bak"
printf 'X' | dd of="$dir/images/1-1.png" bs=1 seek=100 conv=notrunc 2>/dev/null
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
r=$(($(grep -n '"kind":"result","turn":1,' "$dir/audit.jsonl" | cut -d: -f1) - 1))
check "verify catches a changed image" sh -c "[ $rc -ne 0 ] && grep -q '^images/1-1.png: seq $r: image images/1-1.png does not match its sha256' '$tmp/out'"
mv "$dir/images/1-1.png" "$tmp/moved.png"
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
check "verify names a missing image" sh -c "[ $rc -ne 0 ] && grep -q '^images/1-1.png: .*is missing' '$tmp/out'"

# ---- Recovery: a missing image, an orphan temp file, a torn last line ---------------------
touch "$dir/images/.9-1.png.tmp-AbC123"
printf '{"v":1,"seq":99,"ts":"2026' >>"$dir/audit.jsonl"
size_before=$(wc -c < "$dir/audit.jsonl")
easel log fox
why="rc=$rc $(cat "$tmp/err")"
check "damaged session still opens" [ "$rc" -eq 0 ]
check "report names the torn line" grep -q "last line is torn (26 bytes" "$tmp/err"
check "report names the missing image" grep -q "1 image file named in the log is missing" "$tmp/err"
check "report names the temp file" grep -q "images/.9-1.png.tmp-AbC123" "$tmp/err"
check "missing image marked" grep -q "images/1-1.png .*MISSING" "$tmp/out"
why="something was deleted or changed"
check "recovery deletes nothing" sh -c "[ -e '$dir/images/.9-1.png.tmp-AbC123' ] && [ \$(wc -c < '$dir/audit.jsonl') -eq $size_before ]"
easel log fox --json
why="$(tail -c 100 "$tmp/out")"
check "json leaves the torn line out" cmp -s "$tmp/out" "$tmp/audit.bak"
cp "$tmp/img.bak" "$dir/images/1-1.png"
cp "$tmp/audit.bak" "$dir/audit.jsonl"
rm -f "$dir/images/.9-1.png.tmp-AbC123" "$tmp/moved.png"

# ---- export -----------------------------------------------------------------------------
easel export fox:1 "$tmp/export"
why="rc=$rc $(cat "$tmp/out") $(cat "$tmp/err")"
check "export exits 0" [ "$rc" -eq 0 ]
check "export byte exact" cmp -s "$tmp/export/1-1.png" "$dir/images/1-1.png"
check "export sidecar" sh -c "grep -q '\"prompt\": \"a red fox in the snow\"' '$tmp/export/1-1.json' &&
    grep -q '\"revised_prompt\": \"a red fox in the snow. Rendered' '$tmp/export/1-1.json' &&
    grep -q '\"usage\": {' '$tmp/export/1-1.json' && grep -q '\"cost_usd\": 0' '$tmp/export/1-1.json'"
check "export reports C2PA" grep -q "C2PA: none" "$tmp/out"
easel export fox:1 "$tmp/export"
why="rc=$rc $(cat "$tmp/err")"
check "export never replaces" sh -c "[ $rc -ne 0 ] && grep -q 'exists already' '$tmp/err'"
easel export fox "$tmp/export-all"
why="rc=$rc $(cat "$tmp/out")"
check "export whole session" [ "$(ls "$tmp/export-all" | grep -c '\.json$')" -eq "$(ls "$dir/images" | wc -l)" ]
easel export fox:42 "$tmp/export-none"
why="rc=$rc"
check "export unknown turn exits 2" [ "$rc" -eq 2 ]
easel export nosuch "$tmp/export-none"
check "export unknown session exits 2" [ "$rc" -eq 2 ]
