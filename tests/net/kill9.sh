#!/bin/sh
# SPDX-License-Identifier: MIT
# Durability: `easel generate` killed with SIGKILL at random moments of streamed responses
# (both APIs, three partial frames, against `easel mock --delay 30` so that a stream lasts a
# few hundred milliseconds), KILL9_COUNT times (default 100). Afterwards:
#  - `easel log --json` prints only whole JSON records (a torn last line is set aside as
#    audit.jsonl.torn-*, never deleted; their count is reported);
#  - a last normal generate opens the session for writing, which repairs the tail, closes
#    the interrupted turns, finishes the background turns killed after they were accepted
#    (the mock still runs them), and completes; then `easel log --verify` passes;
#  - every image the log records exists with its sha256 and size (checked here too, apart
#    from verify), and every image file with a final name (images/T-K.EXT) or a kept partial
#    frame (images/T-partial.EXT) decodes: none is partial;
#  - every image file with a final name is in the log: one saved by a process killed before
#    it wrote the turn's result is recorded by the repair (an image paid for is never left
#    out of the log); temp files of saves cut short are reported, since verify cannot see them.
# Prints "ok kill9 NAME" / "not ok kill9 NAME: why" lines and a timing line.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; [ -n "${KILL9_KEEP:-}" ] || rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
count=${KILL9_COUNT:-100}

ok() { echo "ok kill9 $1"; }
not_ok() { echo "not ok kill9 $1: $2"; failed=1; }
failed=0

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export OPENAI_API_KEY=sk-test-kill9
unset OPENAI_ORG_ID OPENAI_PROJECT_ID
start=$(date +%s)
start_mock --delay 30
export OPENAI_BASE_URL="$url"

gen() { "$EASEL" generate -S dur -p 3 -q low "$@"; }

# A first whole turn: the session and its folder, and how long a stream takes per API.
ms_now() { date +%s%3N; }
t0=$(ms_now)
gen --api responses "a lighthouse, turn one" >"$tmp/first.out" 2>&1 || { not_ok first "$(cat "$tmp/first.out")"; exit 1; }
t1=$(ms_now)
gen --api images "a lighthouse, turn two" >>"$tmp/first.out" 2>&1 || { not_ok first "$(cat "$tmp/first.out")"; exit 1; }
t2=$(ms_now)
dir=$(sed -n 's/^session: \(.*\), turn [0-9]*$/\1/p' "$tmp/first.out" | head -1)
[ -d "$dir" ] || { not_ok first "no session folder in: $(cat "$tmp/first.out")"; exit 1; }
dur_responses=$((t1 - t0))
dur_images=$((t2 - t1))

# Random numbers from /dev/urandom: sh has no $RANDOM.
rand() { od -An -N4 -tu4 /dev/urandom | tr -d ' '; }

i=0
while [ "$i" -lt "$count" ]; do
    if [ $((i % 2)) -eq 0 ]; then api=responses; d=$dur_responses; else api=images; d=$dur_images; fi
    ms=$(( $(rand) % (d + 1) ))
    # Not through gen(): a function in the background is a subshell, and $! would be its pid.
    "$EASEL" generate -S dur -p 3 -q low --api "$api" "a lighthouse, killed at ${ms} ms" \
        >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    i=$((i + 1))
done
ok "killed $count generates (streams of ${dur_responses} ms responses, ${dur_images} ms images)"

# The log as a reader sees it, before anything repairs it.
"$EASEL" log --json dur >"$tmp/log.json" 2>"$tmp/log.err"; rc=$?
if [ "$rc" -eq 0 ] && python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], encoding="ascii"):
    rec = json.loads(line)
    assert rec["v"] == 1 and rec["seq"] == n, (rec["seq"], n)
    n += 1
print(n)' "$tmp/log.json" >"$tmp/records" 2>"$tmp/py.err"; then
    ok "log --json parses ($(cat "$tmp/records") records)"
else
    not_ok "log --json" "exit $rc: $(head -c 300 "$tmp/log.err") $(tail -2 "$tmp/py.err")"
fi

# A last normal turn opens the session for writing: the repair, then a completed turn.
if gen --api images "a lighthouse, after the storm" >"$tmp/last.out" 2>&1; then
    ok "a normal generate after the kills completes"
else
    not_ok "last generate" "$(cat "$tmp/last.out")"
fi
torn=$(ls "$dir" | grep -c '^audit\.jsonl\.torn')
ok "torn tails set aside: $torn ($(ls "$dir" | grep '^audit\.jsonl\.torn' | tr '\n' ' '))"

if "$EASEL" log --verify dur >"$tmp/verify.out" 2>&1; then
    ok "log --verify passes: $(tr '\n' ' ' <"$tmp/verify.out")"
else
    not_ok "log --verify" "$(head -c 600 "$tmp/verify.out")"
fi

# Every recorded image, by hand: exists, sha256 and size as recorded; every turn closed.
if python3 - "$dir" >"$tmp/check.out" 2>&1 <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
recorded, turns, results, statuses = set(), set(), set(), {}
for line in open(os.path.join(d, "audit.jsonl"), encoding="ascii"):
    rec = json.loads(line)
    if rec["kind"] == "request":
        turns.add(rec["turn"])
    elif rec["kind"] == "result":  # other kinds (name, accept_damage, accepted) are not turns
        results.add(rec["turn"])
        statuses[rec["status"]] = statuses.get(rec["status"], 0) + 1
        for im in rec["images"] or []:
            p = os.path.join(d, im["path"])
            data = open(p, "rb").read()
            assert hashlib.sha256(data).hexdigest() == im["sha256"], p
            assert len(data) == im["bytes"], p
            recorded.add(im["path"])
open_turns = sorted(turns - results)
assert not open_turns, "turns without a result: %s" % open_turns
print("%d turns, %d recorded images, results %s" % (len(turns), len(recorded),
      " ".join("%s=%d" % kv for kv in sorted(statuses.items()))))
files = sorted(os.listdir(os.path.join(d, "images")))
temps = [f for f in files if f.startswith(".")]
finals = [f for f in files if not f.startswith(".")]
orphans = [f for f in finals if "images/" + f not in recorded]
print("temp files left: %d %s" % (len(temps), " ".join(temps[:5])))
print("image files not in the log: %d %s" % (len(orphans), " ".join(orphans[:8])))
for f in finals:
    print("FILE " + os.path.join(d, "images", f))
PY
then
    ok "recorded images exist with their sha256; every turn has a result: $(sed -n 1p "$tmp/check.out")"
    ok "left over: $(sed -n 2p "$tmp/check.out")"
    if grep -q '^image files not in the log: 0 ' "$tmp/check.out"; then
        ok "every image file is in the log"
    else
        not_ok "every image file is in the log" "$(sed -n 3p "$tmp/check.out")"
    fi
    bad=0; n=0
    for f in $(sed -n 's/^FILE //p' "$tmp/check.out"); do
        n=$((n + 1))
        if ! "$EASEL" show --protocol blocks --cols 8 --rows 4 "$f" >/dev/null 2>"$tmp/show.err"; then
            bad=$((bad + 1)); echo "# not decodable: $f: $(cat "$tmp/show.err")"
        fi
    done
    if [ "$bad" -eq 0 ]; then ok "all $n image files decode (none is partial)"; else not_ok decode "$bad of $n files do not decode"; fi
else
    not_ok "images" "$(tail -3 "$tmp/check.out")"
fi
echo "# kill9: $count kills in $(( $(date +%s) - start )) s"
exit $failed
