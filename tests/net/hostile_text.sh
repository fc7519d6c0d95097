#!/bin/sh
# SPDX-License-Identifier: MIT
# Hostile text (issue 7, item 5): prompts, revised prompts and error messages carrying ESC,
# CSI, OSC 52, OSC 8, DCS, C1 controls as UTF-8, BEL, CR, backspace, bidi overrides and
# isolates, zero-width characters, 10,000 combining marks, 1 MB of text and invalid UTF-8,
# through `easel generate` (plain and --json), its stderr, `easel log` (plain and --json),
# `easel sessions` and `cat audit.jsonl`. No control byte (C0 but tab and newline, DEL, C1 as
# UTF-8) reaches any of them, no bidi control reaches the plain outputs, and the log keeps every
# network string byte for byte. The revised prompts come from the offline backend (which
# echoes the prompt) and from tests/net/hostile_server.py (which also sends hostile errors).
# Prints "ok hostile-text NAME" / "not ok hostile-text NAME: why".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; stop_hostile; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
. "$here/lib/hostile.sh"
if ! command -v python3 >/dev/null 2>&1; then
    echo "ok hostile-text # skip: no python3"
    exit 0
fi

ok() { echo "ok hostile-text $1"; }
not_ok() { echo "not ok hostile-text $1: $2"; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export OPENAI_API_KEY=sk-test-hostile NO_COLOR=1
unset OPENAI_ORG_ID OPENAI_PROJECT_ID

ms_now() { date +%s%3N; }
# cpu_ms OUT ERR CMD...: runs CMD with stdout in OUT and stderr in ERR; prints the CPU time it
# took (user and system, in ms). Wall time on a machine busy with other work measures the
# machine: CPU time is what easel spent. GNU time counts in 10 ms steps.
cpu_ms() {
    cpu_out=$1 cpu_err=$2
    shift 2
    /usr/bin/time -f '%U %S' -o "$tmp/cpu.time" "$@" >"$cpu_out" 2>"$cpu_err"
    awk '{ printf "%d", ($1 + $2) * 1000 }' "$tmp/cpu.time"
}
# The bound for `easel log`: 100 ms of CPU; AddressSanitizer's builds run 3-4x slower.
log_ms_max=100
ldd "$EASEL" 2>/dev/null | grep -q libasan && log_ms_max=400

# clean LABEL FILE... : no control byte in any; with --no-bidi, no bidi control either.
clean() {
    label=$1; shift
    if python3 - "$@" >"$tmp/clean.out" 2>&1 <<'PY'
import re, sys
bad = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
bidi = re.compile("[\u202a-\u202e\u2066-\u2069]".encode("utf-8").replace(b"[", b"[").join([b"", b""]) if False else
                  rb"\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
no_bidi = "--no-bidi" in sys.argv
status = 0
for path in sys.argv[1:]:
    if path == "--no-bidi":
        continue
    data = open(path, "rb").read()
    m = bad.search(data)
    if m:
        print("%s: control byte %r at offset %d" % (path.rsplit("/", 1)[-1], m.group(), m.start()))
        status = 1
    if no_bidi:
        m = bidi.search(data)
        if m:
            print("%s: bidi control %r at offset %d" % (path.rsplit("/", 1)[-1], m.group(), m.start()))
            status = 1
sys.exit(status)
PY
    then ok "$label"; else not_ok "$label" "$(head -3 "$tmp/clean.out" | tr '\n' ' ')"; fi
}

# A prompt with everything a terminal would act on (valid UTF-8; printf, not $'...').
printf 'lighthouse \033[31mCSI\033[0m \033]52;c;SGVsbG8=\007 \033]8;;http://evil.invalid\033\\link\033]8;;\033\\ \033P1;2|dcs\033\\ \302\233 31m c1 \302\205 nel bel\007 cr\r bs\010 \342\200\256evil\342\200\254 \342\201\246iso\342\201\251 zw\342\200\213\342\200\215\357\273\277 end' >"$tmp/prompt"
prompt=$(cat "$tmp/prompt")

start_mock
export OPENAI_BASE_URL="$url"
o="$tmp/o"; mkdir -p "$o"
"$EASEL" generate -S ht -q low "$prompt" >"$o/gen.out" 2>"$o/gen.err"; rc=$?
[ "$rc" -eq 0 ] || not_ok "generate" "exit $rc: $(head -c 300 "$o/gen.err")"
grep -q '^revised prompt: lighthouse' "$o/gen.out" || not_ok "generate" "no revised prompt line"
"$EASEL" generate -S ht -q low --json "$prompt" >"$o/json.out" 2>"$o/json.err" || not_ok "generate --json" "exit $?"
"$EASEL" generate -S ht -q low --api images -p 1 "$prompt" >"$o/images.out" 2>"$o/images.err" || not_ok "generate images" "exit $?"
t_log=$(cpu_ms "$o/log.out" "$o/log.err" "$EASEL" log ht)
"$EASEL" log --json ht >"$o/logjson.out" 2>"$o/logjson.err"
t0=$(ms_now); "$EASEL" sessions >"$o/sessions.out" 2>"$o/sessions.err"; t_sessions=$(( $(ms_now) - t0 ))
"$EASEL" sessions --json >"$o/sessionsjson.out" 2>"$o/sessionsjson.err"
session_dir=$(sed -n 's/^session: \(.*\), turn [0-9]*$/\1/p' "$o/gen.out")
cp "$session_dir/audit.jsonl" "$o/audit.cat"
clean "prompt echoed: generate, log, sessions and their stderr are free of control and bidi bytes" \
    --no-bidi "$o/gen.out" "$o/gen.err" "$o/images.out" "$o/images.err" "$o/log.out" "$o/log.err" \
    "$o/sessions.out" "$o/sessions.err"
clean "prompt echoed: --json outputs and cat audit.jsonl have no control byte" \
    "$o/json.out" "$o/logjson.out" "$o/sessionsjson.out" "$o/audit.cat"
if LC_ALL=C grep -q '[^ -~]' "$o/audit.cat"; then not_ok "audit ascii" "audit.jsonl has bytes outside printable ASCII"
else ok "audit.jsonl is printable ASCII"; fi
# Byte for byte: the prompt as typed, and the revised prompt starting with it as the backend sent.
if python3 - "$o/audit.cat" "$tmp/prompt" <<'PY'
import json, sys
prompt = open(sys.argv[2], "rb").read().decode("utf-8")
records = [json.loads(l) for l in open(sys.argv[1])]
reqs = [r for r in records if r["kind"] == "request"]
res = [r for r in records if r["kind"] == "result"]
assert all(r["prompt"] == prompt for r in reqs), "a request's prompt differs"
revised = [r["revised_prompt"] for r in res if r["revised_prompt"]]
lead = "An edit of the given image: "  # the backend's wording for a chained turn
revised = [x[len(lead):] if x.startswith(lead) else x for x in revised]
assert revised and all(x.startswith(prompt.rstrip(" .")) for x in revised), "revised differs"
PY
then ok "the log keeps the prompt and the revised prompt byte for byte"
else not_ok "byte-exact" "the log changed a string"; fi
ok "timings: easel log ${t_log} ms of CPU, easel sessions ${t_sessions} ms"
[ "$t_log" -lt "$log_ms_max" ] || not_ok "log time" "$t_log ms of CPU"

# Invalid UTF-8: refused before sending (JSON cannot carry it; jansson would drop the field).
printf 'a lighthouse \377\376 at dusk' >"$tmp/invalid"
"$EASEL" generate -S ht -q low - <"$tmp/invalid" >"$o/invalid.out" 2>"$o/invalid.err"; rc=$?
if [ "$rc" -eq 2 ] && grep -q 'not valid UTF-8' "$o/invalid.err"; then
    ok "invalid UTF-8 in a prompt is refused, nothing sent (exit 2: $(head -1 "$o/invalid.err"))"
else
    not_ok "invalid UTF-8" "exit $rc: $(head -c 200 "$o/invalid.err")"
fi
clean "the refusal of invalid UTF-8 prints no raw byte of it" "$o/invalid.err"

# 1 MB of text: refused before anything is sent (on stdin, as no argv takes 1 MB: stdin stops
# at 256 kB), and 100 kB by the 32,000-character rule; the refusal does not echo the text.
head -c 1048576 /dev/zero | tr '\0' 'a' >"$tmp/mega"
head -c 100000 /dev/zero | tr '\0' 'a' >"$tmp/100k"
for f in mega 100k; do
    t0=$(ms_now)
    "$EASEL" generate -S ht -q low - <"$tmp/$f" >"$o/$f.out" 2>"$o/$f.err"; rc=$?
    t_mega=$(( $(ms_now) - t0 ))
    if [ "$rc" -eq 2 ] && [ "$(wc -c <"$o/$f.err")" -lt 400 ]; then
        ok "$f prompt refused in $t_mega ms (exit 2: $(head -1 "$o/$f.err"))"
    else
        not_ok "$f prompt" "exit $rc in $t_mega ms: $(head -c 200 "$o/$f.err")"
    fi
done
grep -q '32000' "$o/100k.err" || not_ok "100k prompt" "not the 32,000-character rule: $(head -1 "$o/100k.err")"

# 10,000 combining marks on one letter: sent (10,001 characters), echoed, shown, logged.
python3 -c 'import sys; sys.stdout.buffer.write(("zalgo e" + "\u0301" * 10000).encode())' >"$tmp/marks"
t0=$(ms_now)
"$EASEL" generate -S marks -q low - <"$tmp/marks" >"$o/marks.out" 2>"$o/marks.err"; rc=$?
t_gen=$(( $(ms_now) - t0 ))
t_mlog=$(cpu_ms "$o/markslog.out" "$o/markslog.err" "$EASEL" log marks)
if [ "$rc" -eq 0 ]; then
    ok "10,000 combining marks: generate ${t_gen} ms (with the image), log ${t_mlog} ms"
else
    not_ok "marks" "exit $rc: $(head -c 200 "$o/marks.err")"
fi
[ "$t_mlog" -lt "$log_ms_max" ] || not_ok "marks log time" "$t_mlog ms of CPU"
clean "10,000 combining marks: outputs clean" "$o/marks.out" "$o/marks.err" "$o/markslog.out" "$o/markslog.err"

# From a hostile server: a revised prompt and an error message built to attack a terminal.
python3 "$here/net/hostile_server.py" --hostile-text >"$tmp/hostile.json"
start_hostile hostile-revised
OPENAI_BASE_URL="$hurl" "$EASEL" generate -S hs -q low "a lighthouse" >"$o/hrev.out" 2>"$o/hrev.err"; rc=$?
OPENAI_BASE_URL="$hurl" "$EASEL" generate -S hs -q low --json "a lighthouse" >"$o/hrevjson.out" 2>"$o/hrevjson.err"
start_hostile hostile-error
OPENAI_BASE_URL="$hurl" "$EASEL" generate -S hs -q low --api images "a lighthouse" >"$o/herr.out" 2>"$o/herr.err"; rc2=$?
OPENAI_BASE_URL="$hurl" "$EASEL" generate -S hs -q low --api images --json "a lighthouse" >"$o/herrjson.out" 2>"$o/herrjson.err"
t_hlog=$(cpu_ms "$o/hlog.out" "$o/hlog.err" "$EASEL" log hs)
"$EASEL" log --json hs >"$o/hlogjson.out" 2>&1
"$EASEL" sessions >"$o/hsessions.out" 2>&1
hdir=$(sed -n 's/^session: \(.*\), turn [0-9]*$/\1/p' "$o/hrev.out")
cp "$hdir/audit.jsonl" "$o/haudit.cat"
if [ "$rc" -eq 0 ] && [ "$rc2" -eq 3 ]; then
    ok "hostile revised prompt: exit 0; hostile error message: exit 3 ($(cut -c1-80 "$o/herr.err" | head -1)...)"
else
    not_ok "hostile server" "exits $rc and $rc2: $(head -c 200 "$o/hrev.err") $(head -c 200 "$o/herr.err")"
fi
clean "hostile server: generate, stderr, log and sessions free of control and bidi bytes" --no-bidi \
    "$o/hrev.out" "$o/hrev.err" "$o/herr.out" "$o/herr.err" "$o/hlog.out" "$o/hlog.err" "$o/hsessions.out"
clean "hostile server: --json outputs and cat audit.jsonl have no control byte" \
    "$o/hrevjson.out" "$o/herrjson.out" "$o/hlogjson.out" "$o/haudit.cat"
if python3 - "$o/haudit.cat" "$tmp/hostile.json" <<'PY'
import json, sys
hostile = json.load(open(sys.argv[2]))
records = [json.loads(l) for l in open(sys.argv[1])]
res = [r for r in records if r["kind"] == "result"]
revised = [r["revised_prompt"] for r in res if r["revised_prompt"]]
errors = [r["error"]["message"] for r in res if r["error"]]
assert revised and all(x == hostile for x in revised), "revised prompt changed"
assert errors and all(x == "refused: " + hostile for x in errors), "error message changed: %d vs %d" % (len(errors[0]), len(hostile) + 9)
PY
then ok "the log keeps the hostile revised prompt and error message byte for byte ($(wc -c <"$tmp/hostile.json") bytes of JSON)"
else not_ok "hostile byte-exact" "$(python3 -c 1 2>&1)"; fi
ok "timings: easel log of the hostile session ${t_hlog} ms of CPU"
[ "$t_hlog" -lt "$log_ms_max" ] || not_ok "hostile log time" "$t_hlog ms of CPU"
