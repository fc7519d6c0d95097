#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 13, items 6, 10 and 11, on sessions written by the real client against `easel mock`:
# a log tampered to hold escape sequences and bidi controls (in image paths and in a damaged
# line) never puts them on the terminal through `log`, `log --verify`, `log --json` or `export`,
# and `log --json` stays JSON Lines; every command whose stdout cannot be written exits non-zero
# with a message, after its records are safe, and `easel log | head -c1` ends cleanly; the branch
# summary draws only real parent links.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok log-output $1"; }
not_ok() { echo "not ok log-output $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export NO_COLOR=1
unset OPENAI_ORG_ID OPENAI_PROJECT_ID
easel() { "$EASEL" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
gen() { OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test "$EASEL" generate "$@" >"$tmp/gen" 2>&1; }

start_mock
# ---- Item 11: the branch summary ----------------------------------------------------------
gen -S roots --api images "a fox"
gen -S roots --api images "a hare"
gen -S roots --api images --from 1 "the fox at night"
gen -S roots --api images "an owl"
easel log roots
why="$(sed -n '/^branches/,$p' "$tmp/out")"
check "plain generations are roots" sh -c "sed -n '/^branches/,/^\$/p' '$tmp/out' >'$tmp/br' &&
    grep -qx '  1 - 3' '$tmp/br' && grep -qx '  2' '$tmp/br' && grep -qx '  4' '$tmp/br' &&
    [ \$(grep -c '^  ' '$tmp/br') -eq 3 ]"
check "only --from says from" sh -c "grep -q '^turn 3 .*from turn 1' '$tmp/out' &&
    ! grep -q '^turn [24] .*from turn' '$tmp/out'"
gen -S chain "a fox"
gen -S chain "the fox, closer"
gen -S chain --from 1 "the fox, farther"
easel log chain
why="$(sed -n '/^branches/,$p' "$tmp/out")"
check "chained turns stay linked" sh -c "grep -qx '  1 - 2' '$tmp/out' && grep -qx '  1 - 3' '$tmp/out'"

# ---- Item 10: output errors are errors --------------------------------------------------
# full NAME ARGS...: easel ARGS with stdout on /dev/full: exit non-zero and say so on stderr.
full() {
    name=$1; shift
    OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test "$EASEL" "$@" >/dev/full 2>"$tmp/err"; rc=$?
    why="rc=$rc $(head -c 300 "$tmp/err")"
    check "$name to /dev/full fails" sh -c "[ $rc -ne 0 ] &&
        grep -q 'the output could not be written\|cannot write the picture' '$tmp/err'"
}
if [ -w /dev/full ]; then
    full "generate" generate -S full --api images -q low "a fox in the snow"
    dir=$(session_dir_named full)
    easel log full --verify
    why="rc=$rc $(cat "$tmp/out")"
    check "generate to /dev/full kept its records" sh -c "[ $rc -eq 0 ] &&
        grep -q '3 records, 1 images, 0 problems' '$tmp/out'"
    full "generate --json" generate -S full --api images -q low --json "a fox"
    full "generate --dry-run" generate -S full --dry-run "a fox"
    full "generate --help" generate --help
    full "sessions" sessions
    full "sessions --json" sessions --json
    full "log" log roots
    full "log --json" log roots --json
    full "log --verify" log roots --verify
    full "log --grep" log --grep fox
    full "export" export roots:1 "$tmp/full-export"
    full "show" show --protocol blocks --cols 10 --rows 5 "$dir/images/1-1.png"
    full "doctor" doctor
    full "doctor --json" doctor --json
    full "version" --version
    full "help" --help
else
    echo "ok log-output /dev/full # skip: no /dev/full"
fi

# A closed pipe: a log much larger than a pipe holds, read one byte of.
long=$(awk 'BEGIN { for (i = 0; i < 1700; i++) printf "a fox in the snow "; }')
for i in 1 2 3 4; do gen -S long --api images "$long"; done
cp "$(session_dir_named long)/audit.jsonl" "$tmp/long.bak"
{ "$EASEL" log long 2>"$tmp/pipe.err"; echo $? >"$tmp/pipe.rc"; } | head -c1 >/dev/null
rc=$(cat "$tmp/pipe.rc")
why="rc=$rc $(cat "$tmp/pipe.err")"
check "log into a closed pipe exits 1 with a message" sh -c "[ $rc -eq 1 ] &&
    grep -q 'the output could not be written' '$tmp/pipe.err'"
{ "$EASEL" log long --json 2>"$tmp/pipe.err"; echo $? >"$tmp/pipe.rc"; } | head -c1 >/dev/null
rc=$(cat "$tmp/pipe.rc")
why="rc=$rc $(cat "$tmp/pipe.err")"
check "log --json into a closed pipe exits 1" [ "$rc" -eq 1 ]
easel log long --verify
why="rc=$rc $(cat "$tmp/out")"
check "a closed pipe damages no record" sh -c "[ $rc -eq 0 ] && cmp -s '$tmp/long.bak' '$(session_dir_named long)/audit.jsonl'"
stop_mock

# ---- Item 6: a tampered log never reaches the terminal raw -----------------------------
dir=$(session_dir_named roots)
esc=$(printf '\033'); bel=$(printf '\007'); rlo=$(printf '\342\200\256')
# An image path holding escapes (as the JSON escapes that decode to them) and a way out of the
# session, and a line of raw bytes: an OSC 52 clipboard write, a bell and a bidi override.
sed -i '/"path":"images\/1-1.png"/s|"path":"images/1-1.png"|"path":"images/\\u001b]52;c;SGk=\\u0007x\\u202e/../../gnp.png"|' "$dir/audit.jsonl"
sed -i "4i {\"v\":1,\"seq\":3,\"kind\":\"re${esc}]52;c;SGk=${bel}sult${rlo}\",\"turn\":2}" "$dir/audit.jsonl"
easel log roots --verify
why="rc=$rc"
check "verify of a tampered log fails" [ "$rc" -ne 0 ]
why="$(od -c "$tmp/out" | head -20)"
check "verify names files sanitized" terminal_safe "$tmp/out" "$tmp/err"
check "verify still names the image" grep -q '^images/\]52;c;SGk=x/\.\./\.\./gnp.png: ' "$tmp/out"
easel log roots --json
why="rc=$rc $(od -c "$tmp/out" | head -20)"
check "log --json of a damaged line is clean" terminal_safe "$tmp/out" "$tmp/err"
why="$(python3 -c 'import sys, json; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/out" 2>&1 | tail -1)"
if command -v python3 >/dev/null 2>&1; then
    check "log --json parses as JSON Lines" python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
d = [r for r in recs if r.get("kind") == "damaged"]
assert len(recs) == 10 and len(d) == 1, (len(recs), d)
assert d[0]["line"] == 4 and d[0]["seq"] == 3 and "never writes" in d[0]["problem"], d
' "$tmp/out"
fi
why="$(sed -n 1p "$tmp/out" | head -c 200)"
check "log --json keeps sound lines as written" [ "$(sed -n 1p "$tmp/out")" = "$(sed -n 1p "$dir/audit.jsonl")" ]
easel log roots
why="$(od -c "$tmp/out" | head -20)"
check "log of a tampered log is clean" terminal_safe "$tmp/out" "$tmp/err"
easel export roots "$tmp/export"
why="rc=$rc $(od -c "$tmp/err" | head -20)"
check "export of a tampered log is clean" terminal_safe "$tmp/out" "$tmp/err"
check "export refuses a path it cannot trust" sh -c "[ $rc -ne 0 ] && grep -q 'not in the session' '$tmp/err'"
# An error message that names a file: the session folder itself is hostile.
mv "$dir" "$(dirname "$dir")/${esc}]2;pwned${bel}${rlo}"
easel log "${esc}]2;pwned${bel}${rlo}" --verify
why="rc=$rc $(od -c "$tmp/err" | head -5)"
check "error messages are clean" terminal_safe "$tmp/out" "$tmp/err"

# A tampered log's times, image formats and hashes (not only its words and paths): `easel log`
# printed them as they were.
gen -S stamps -q low "a kite"
dir=$(session_dir_named stamps)
python3 - "$dir/audit.jsonl" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('"format":"png"', '"format":"\\u001b]52;c;SGk=\\u0007png"')
s = re.sub(r'"sha256":"([0-9a-f]{4})', r'"sha256":"\\u001b[2J\1', s)
s = re.sub(r'"ts":"(20)', r'"ts":"\\u009b31m\\u202e\1', s)
open(p, "w").write(s)
PY
easel log stamps
why="rc=$rc $(od -c "$tmp/out" | grep -m3 '033\|302 233\|342 200 256')"
check "log of a tampered log's times, formats and hashes is clean" terminal_safe "$tmp/out" "$tmp/err"

# session.json's last activity, tampered: `easel sessions` printed it as it was.
python3 - "$dir/session.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["last_activity"] = "\u009b31m\u001b]52;c;SGk=\u0007\u202e" + d["last_activity"]
json.dump(d, open(sys.argv[1], "w"))
PY
easel sessions
why="rc=$rc $(od -c "$tmp/out" | grep -m3 '033\|302 233\|342 200 256')"
check "sessions of a tampered session.json is clean" terminal_safe "$tmp/out" "$tmp/err"
