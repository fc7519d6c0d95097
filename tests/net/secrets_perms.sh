#!/bin/sh
# SPDX-License-Identifier: MIT
# The key, file modes and the session lock (issue 7, items 6 and 7):
#  - with a canary key and EASEL_DEBUG_HTTP=1, generate (plain, --json, --dry-run), log,
#    sessions, doctor: neither the key nor the word "Bearer" reaches stdout, stderr, --json or
#    any file under the XDG folders;
#  - no option takes a key (it is never read from argv);
#  - session folders are 0700 and files 0600 under umask 000;
#  - a second easel writing the same session is refused by the lock (exit 2, a clear message).
# Prints "ok NAME" / "not ok NAME: why" lines.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok secrets $1"; }
not_ok() { echo "not ok secrets $1: $2"; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
unset OPENAI_ORG_ID OPENAI_PROJECT_ID
canary="sk-canary-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
start_mock
out="$tmp/out"
mkdir -p "$out"

# Everything a user could run with the key set and every debug output on.
(
    export OPENAI_API_KEY="$canary" OPENAI_BASE_URL="$url" EASEL_DEBUG_HTTP=1
    "$EASEL" generate -S keytest -p 1 -q low "a lighthouse" >"$out/gen.out" 2>"$out/gen.err"
    echo "$?" >"$out/gen.rc"
    "$EASEL" generate -S keytest --json -q low "a lighthouse again" >"$out/json.out" 2>"$out/json.err"
    "$EASEL" generate -S keytest --api images -q low "a boat" >"$out/images.out" 2>"$out/images.err"
    "$EASEL" generate --dry-run -q low "a boat" >"$out/dry.out" 2>"$out/dry.err"
    "$EASEL" log keytest >"$out/log.out" 2>"$out/log.err"
    "$EASEL" log --json keytest >"$out/logjson.out" 2>"$out/logjson.err"
    "$EASEL" log --verify keytest >"$out/verify.out" 2>"$out/verify.err"
    "$EASEL" sessions >"$out/sessions.out" 2>"$out/sessions.err"
    "$EASEL" sessions --json >"$out/sessionsjson.out" 2>"$out/sessionsjson.err"
    "$EASEL" doctor >"$out/doctor.out" 2>"$out/doctor.err"
)
if [ "$(cat "$out/gen.rc")" = 0 ] && grep -qi 'authorization' "$out/gen.err"; then
    ok "generate with EASEL_DEBUG_HTTP=1 completes and traces its headers"
else
    not_ok "debug generate" "exit $(cat "$out/gen.rc"), no header trace: $(head -c 300 "$out/gen.err")"
fi
if grep -rl -e "$canary" -e "${canary#sk-canary-}" "$out" >"$tmp/hits"; then
    not_ok "key in output" "$(tr '\n' ' ' <"$tmp/hits")"
else
    ok "the key is in no stdout, stderr or --json ($(ls "$out" | wc -l | tr -d ' ') captures)"
fi
if grep -rli 'bearer' "$out" >"$tmp/hits"; then
    not_ok "Bearer in output" "$(tr '\n' ' ' <"$tmp/hits"): $(grep -rhi -m1 bearer "$out")"
else
    ok "the word Bearer is in no output"
fi
if grep -rl -e "$canary" -e "${canary#sk-canary-}" "$tmp/data" "$tmp/config" "$tmp/cache" 2>/dev/null >"$tmp/hits" ||
   grep -rli 'bearer' "$tmp/data" "$tmp/config" "$tmp/cache" 2>/dev/null >>"$tmp/hits"; then
    not_ok "key on disk" "$(tr '\n' ' ' <"$tmp/hits")"
else
    ok "neither the key nor Bearer is on disk ($(find "$tmp/data" "$tmp/config" "$tmp/cache" -type f 2>/dev/null | wc -l | tr -d ' ') files)"
fi
if grep -q 'api_key  *set, [0-9]* characters (from environment' "$out/doctor.out"; then
    ok "doctor shows the key's length and source only"
else
    not_ok doctor "$(grep -m1 api_key "$out/doctor.out")"
fi

# No option takes a key: none in the help, and a made-up one is refused before anything is sent.
if "$EASEL" generate --help 2>&1 | grep -qi -e '--api-key' -e '--key'; then
    not_ok argv "generate --help lists a key option"
else
    OPENAI_BASE_URL="$url" "$EASEL" generate --api-key "$canary" "x" >"$tmp/argv.out" 2>&1; rc=$?
    if [ "$rc" -eq 2 ] && ! grep -q "$canary" "$tmp/argv.out"; then
        ok "no option takes a key (--api-key: exit 2, the value not echoed)"
    else
        not_ok argv "--api-key gave exit $rc: $(head -c 200 "$tmp/argv.out")"
    fi
fi

# A key in a config file others can read is not used: with no key in the environment the
# request goes out without one (the mock takes any), and the key is never shown.
mkdir -p "$tmp/config/easel"
printf 'api_key = %s-file\n' "$canary" >"$tmp/config/easel/config"
chmod 0644 "$tmp/config/easel/config"
(unset OPENAI_API_KEY; "$EASEL" doctor) >"$tmp/doctor644.out" 2>&1
if grep -q 'mode 0644' "$tmp/doctor644.out" && ! grep -q "$canary" "$tmp/doctor644.out"; then
    ok "a key in a 0644 config file is refused with the reason, unshown"
else
    not_ok "config 0644" "$(grep -i api_key "$tmp/doctor644.out")"
fi
rm -f "$tmp/config/easel/config"

# Modes whatever the umask.
(umask 000; OPENAI_API_KEY=sk-test OPENAI_BASE_URL="$url" "$EASEL" generate -S umask -p 1 -q low \
    "a lighthouse" >/dev/null 2>"$tmp/umask.err") || not_ok umask-generate "$(cat "$tmp/umask.err")"
bad=$(find "$tmp/data/easel" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \) 2>/dev/null)
n=$(find "$tmp/data/easel" 2>/dev/null | wc -l | tr -d ' ')
if [ -z "$bad" ] && [ "$n" -gt 3 ]; then
    ok "under umask 000 every folder is 0700 and every file 0600 ($n paths)"
else
    not_ok umask "$(for f in $bad; do stat -c '%a %n' "$f"; done | head -5 | tr '\n' ' ')"
fi

# The lock: a generate that takes seconds holds the session; a second one is refused.
start_mock --delay 2000
export OPENAI_API_KEY=sk-test OPENAI_BASE_URL="$url"
"$EASEL" generate -S same --api images -q low "a slow lighthouse" >"$tmp/first.out" 2>&1 &
first=$!
tries=0
# Until the first has created the session and holds its lock, which names its pid (two easels
# creating a new session of the same name at the same instant both succeed: the lock is per
# folder, and the folder is new).
until cat "$tmp/data/easel/sessions"/*/lock 2>/dev/null | grep -qx "$first" ||
      [ "$tries" -ge 50 ]; do sleep 0.1; tries=$((tries + 1)); done
t0=$(date +%s%3N)
"$EASEL" generate -S same --api images -q low "a second lighthouse" >"$tmp/second.out" 2>&1; rc=$?
t1=$(date +%s%3N)
if [ "$rc" -eq 2 ] && grep -q 'in use by another easel' "$tmp/second.out"; then
    ok "a second writer is refused by the lock in $((t1 - t0)) ms (exit 2: $(head -1 "$tmp/second.out"))"
else
    not_ok lock "exit $rc: $(head -c 300 "$tmp/second.out")"
fi
kill -INT "$first" 2>/dev/null
wait "$first" 2>/dev/null
if "$EASEL" log --verify same >"$tmp/verify.out" 2>&1; then
    ok "the log of the locked session verifies"
else
    not_ok "lock verify" "$(cat "$tmp/verify.out")"
fi

# A password in the base URL (https://user:password@proxy/v1) is a credential like the key:
# refused before anything is sent or recorded (the request record names the endpoint), and
# doctor shows the URL without it.
pw="pw-canary-$(od -An -N6 -tx8 /dev/urandom | tr -d ' ')"
creds_url=$(printf '%s' "$url" | sed "s#://#://user:$pw@#")
creds="$tmp/creds"
mkdir -p "$creds"
for cmd in "generate -S creds -q low a-lighthouse" "generate --dry-run a-lighthouse" "models" \
    "batch plan /dev/null" "doctor" "doctor --json"; do
    # shellcheck disable=SC2086
    OPENAI_API_KEY="$canary" OPENAI_BASE_URL="$creds_url" "$EASEL" $cmd >>"$creds/out" 2>&1
    echo "$cmd: $?" >>"$creds/rc"
done
if grep -q -- "$pw" "$creds/out" || grep -rqs -- "$pw" "$tmp/data" "$tmp/config" "$tmp/cache"; then
    not_ok "a password in the base URL" "found in: $(grep -rl -- "$pw" "$creds/out" "$tmp/data" 2>/dev/null | head -3 | tr '\n' ' ')"
elif ! grep -q "^generate -S creds -q low a-lighthouse: 2$" "$creds/rc" ||
    ! grep -q "must not carry a user name or password" "$creds/out"; then
    not_ok "a password in the base URL" "not refused: $(cat "$creds/rc" | tr '\n' ' ')"
else
    ok "a password in the base URL is refused before anything is recorded, and never printed"
fi
