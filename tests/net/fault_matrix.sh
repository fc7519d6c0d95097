#!/bin/sh
# SPDX-License-Identifier: MIT
# The fault matrix (issue 7, item 3): `easel generate` against a hostile loopback server
# (tests/net/hostile_server.py) and the offline backend's faults, one case at a time. Each case
# must end with the documented exit code, a clear message, a log that verifies
# (`easel log --verify`), and no crash. Prints "ok fault-matrix CASE (exit N: message)".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; stop_hostile; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
. "$here/lib/hostile.sh"

if ! command -v python3 >/dev/null 2>&1; then
    echo "ok fault-matrix # skip: no python3"
    exit 0
fi
export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export OPENAI_API_KEY=sk-test-fault-matrix
unset OPENAI_ORG_ID OPENAI_PROJECT_ID EASEL_IDLE_TIMEOUT_MS

# run CASE EXPECTED_EXIT BASE_URL [generate options...]: one generate, then the checks.
n_case=0
run() {
    name=$1 want=$2 base=$3
    shift 3
    n_case=$((n_case + 1))
    session="fm$n_case"
    t0=$(date +%s%3N)
    OPENAI_BASE_URL="$base" "$EASEL" generate -S "$session" -q low "$@" "a lighthouse" \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
    ms=$(( $(date +%s%3N) - t0 ))
    msg=$(grep -v '^(nothing was sent' "$tmp/err" | tail -1 | cut -c1-160)
    why=
    [ "$rc" -eq "$want" ] || why="exit $rc, expected $want"
    [ "$rc" -lt 128 ] || why="crashed (exit $rc)"
    [ -n "$msg" ] || [ "$rc" -eq 0 ] || why="${why:+$why; }no message on stderr"
    if [ -d "$XDG_DATA_HOME/easel/sessions" ] && ls "$XDG_DATA_HOME/easel/sessions" | grep -q .; then
        if "$EASEL" sessions --json 2>/dev/null | grep -q "\"name\":\"$session\""; then
            "$EASEL" log --verify "$session" >"$tmp/verify" 2>&1 ||
                why="${why:+$why; }log --verify: $(head -c 200 "$tmp/verify")"
        fi
    fi
    if [ -z "$why" ]; then
        echo "ok fault-matrix $name (exit $rc in $ms ms: ${msg:-done})"
    else
        echo "not ok fault-matrix $name: $why: $msg"
    fi
}

# Every status the API uses.
for st in 400 401 403 404 409 422; do
    start_hostile "status:$st"
    run "status-$st" 3 "$hurl" --api images
done
for st in 429 500 502 503; do
    start_hostile "status:$st"
    run "status-$st" 4 "$hurl" --api images
    r=$(grep -c . "$tmp/requests")
    if [ "$r" -eq 3 ]; then echo "ok fault-matrix status-$st retried twice (3 requests)"
    else echo "not ok fault-matrix status-$st: $r requests, expected 3 (two retries)"; fi
done

# Retry hints: an HTTP date, seconds, milliseconds (the last from the offline backend).
start_hostile retry-date
run retry-after-date 0 "$hurl" --api images
if [ "$ms" -ge 900 ] && [ "$(grep -c . "$tmp/requests")" -eq 2 ]; then
    echo "ok fault-matrix retry-after-date waited $ms ms for a date 2 s ahead, then one retry"
else
    echo "not ok fault-matrix retry-after-date: $ms ms, $(grep -c . "$tmp/requests") requests"
fi
start_hostile retry-seconds
run retry-after-seconds 0 "$hurl" --api images
start_mock --fault status=429,count=1,retry-after-ms=300
run retry-after-ms 0 "$url" --api images

# Bodies that are not what was asked for.
start_hostile html
run content-type-html 4 "$hurl" --api images
start_hostile big-event
run event-over-cap 4 "$hurl" --api images
start_hostile long-line
run line-over-cap 4 "$hurl" --api images
start_mock --fault malformed=0
run malformed-json-first 4 "$url" --api images -p 2
start_mock --fault malformed=2
run malformed-json-later 4 "$url" --api images -p 2

# Drops: at every event boundary of a 3-partial stream (offline backend), and mid-event.
for k in 0 1 2; do
    start_mock --fault drop-after=$k
    run "drop-after-partial-$k" 5 "$url" --api images -p 3
done
start_mock --fault drop-after=1
run drop-after-partial-1-responses 5 "$url" --api responses -p 3 --no-background
# In background mode (the default) the same cut is resumed: the turn completes.
run drop-after-partial-1-responses-background 0 "$url" --api responses -p 3
start_hostile drop-mid
run drop-mid-event 5 "$hurl" --api images

# Silence: a black hole after connect, with a short idle timeout.
start_hostile blackhole
EASEL_IDLE_TIMEOUT_MS=500 run blackhole-idle-500ms 4 "$hurl" --api images

# Connection refused: a port that was just free.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run connection-refused 4 "http://127.0.0.1:$port/v1" --api images

# Redirects are never followed, and the key goes nowhere else.
for c in redirect-ip redirect-host; do
    start_hostile "$c"
    run "$c" 4 "$hurl" --api images
    total=$(grep -c . "$tmp/requests")
    other=$(grep -vc '"address": "127.0.0.1"' "$tmp/requests")
    if [ "$total" -eq 1 ] && [ "$other" -eq 0 ]; then
        echo "ok fault-matrix $c not followed (1 request, none elsewhere, no key sent elsewhere)"
    else
        echo "not ok fault-matrix $c: $total requests, $other elsewhere: $(cat "$tmp/requests")"
    fi
done

# TLS: a server that speaks plain HTTP to https, and a self-signed certificate: refused,
# never bypassed.
start_hostile success
run tls-plain-http-server 4 "$(echo "$hurl" | sed 's/^http:/https:/')" --api images
if command -v openssl >/dev/null 2>&1 &&
   openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
       -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1; then
    start_hostile success --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
    run tls-self-signed 4 "$hurl" --api images
    r=$(grep -c . "$tmp/requests")
    if [ "$r" -eq 0 ]; then echo "ok fault-matrix tls-self-signed: no request got through"
    else echo "not ok fault-matrix tls-self-signed: $r requests reached the server"; fi
else
    echo "ok fault-matrix tls-self-signed # skip: no openssl"
fi

# The control: the hostile server's success path works, so the failures above are its faults.
start_hostile success
run success-images 0 "$hurl" --api images
run success-responses 0 "$hurl" --api responses
