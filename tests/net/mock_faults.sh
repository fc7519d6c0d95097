#!/bin/sh
# SPDX-License-Identifier: MIT
# The faults of `easel mock` (--fault), seen from a plain HTTP client: curl against a mock
# started for each case. Prints "ok NAME" or "not ok NAME: why" lines.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok mock-fault $1"; }
not_ok() { echo "not ok mock-fault $1: $2"; }

# post PATH JSON: body in $tmp/body, headers in $tmp/headers, HTTP status in $status,
# curl's exit code in $curl_rc.
post() {
    status=$(curl -sS -N -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' \
        -H 'content-type: application/json' -d "$2" "$url$1" 2>"$tmp/curl-stderr")
    curl_rc=$?
}

count() { grep -c "$1" "$tmp/body"; }

stream_3='{"model":"gpt-image-2","prompt":"a lighthouse","size":"1024x1024","quality":"low","stream":true,"partial_images":3}'
plain='{"model":"gpt-image-2","prompt":"a lighthouse","size":"1024x1024","quality":"low"}'

# status=429 on the first request, with both retry hints; the second request succeeds.
start_mock --fault status=429,count=1,retry-after=1,retry-after-ms=1500
post /images/generations "$plain"
if [ "$status" = 429 ] && grep -qi '^retry-after: 1' "$tmp/headers" &&
   grep -qi '^retry-after-ms: 1500' "$tmp/headers" && grep -q '"code":"rate_limit_exceeded"' "$tmp/body" &&
   grep -q '"type":"requests"' "$tmp/body"; then
    post /images/generations "$plain"
    if [ "$status" = 200 ]; then ok status-429; else not_ok status-429 "second request got $status"; fi
else
    not_ok status-429 "got $status: $(head -c 300 "$tmp/body")"
fi

# block=WORD: the moderation block, case-insensitive.
start_mock --fault block=lighthouse
post /images/generations '{"model":"gpt-image-2","prompt":"A LightHouse at dusk"}'
if [ "$status" = 400 ] && grep -q '"code":"moderation_blocked"' "$tmp/body" &&
   grep -q '"type":"image_generation_user_error"' "$tmp/body" &&
   grep -q 'rejected by the safety system' "$tmp/body"; then
    ok block
else
    not_ok block "got $status: $(head -c 300 "$tmp/body")"
fi

# drop-after=1: partials 0 and 1 arrive, then the connection breaks.
start_mock --fault drop-after=1
post /images/generations "$stream_3"
partials=$(count '^event: image_generation.partial_image')
if [ "$curl_rc" -ne 0 ] && [ "$partials" = 2 ] && [ "$(count completed)" = 0 ]; then
    ok drop-after
else
    not_ok drop-after "curl exit $curl_rc, $partials partial events"
fi

# error-event=0: one partial, then an error event, then the end of the stream.
start_mock --fault error-event=0
post /images/generations "$stream_3"
if [ "$curl_rc" -eq 0 ] && [ "$(count '^event: image_generation.partial_image')" = 1 ] &&
   [ "$(count '^event: error')" = 1 ] && grep -q '^data: {"type":"error","error":{' "$tmp/body" &&
   [ "$(count completed)" = 0 ]; then
    ok error-event
else
    not_ok error-event "curl exit $curl_rc: $(cut -c1-80 "$tmp/body" | head -12)"
fi

# error-event=start on the Responses API: the nested live shape, with sequence_number 0.
start_mock --fault error-event=start
post /responses '{"model":"gpt-5.4","stream":true,"input":"a lighthouse","tools":[{"type":"image_generation","partial_images":1}]}'
if [ "$(count '^event: ')" = 1 ] &&
   grep -q '^data: {"type":"error","sequence_number":0,"error":{"type":"server_error"' "$tmp/body"; then
    ok error-event-start
else
    not_ok error-event-start "$(cut -c1-120 "$tmp/body" | head -4)"
fi

# malformed=1: the second event's JSON is broken, the others are whole.
start_mock --fault malformed=1
post /images/generations "$stream_3"
second=$(grep '^data: ' "$tmp/body" | sed -n 2p | cut -c1-200)
if [ "$(count '^data: ')" = 4 ] && [ "$(count '<<broken')" = 1 ] &&
   case "$second" in *'<<broken'*) true ;; *) false ;; esac; then
    ok malformed-event
else
    not_ok malformed-event "$(cut -c1-100 "$tmp/body")"
fi

# malformed=0 on a request that is not streamed: the body itself is cut.
start_mock --fault malformed=0
post /images/generations "$plain"
if [ "$status" = 200 ] && [ "$(tail -c 1 "$tmp/body")" != "}" ]; then
    ok malformed-body
else
    not_ok malformed-body "status $status, body ends with '$(tail -c 1 "$tmp/body")'"
fi

# No fault: an unknown route and an invalid size.
start_mock
post /images/variations "$plain"
if [ "$status" = 404 ] && grep -q '"message":"Invalid URL (POST /v1/images/variations)"' "$tmp/body"; then
    ok route-404
else
    not_ok route-404 "got $status: $(head -c 200 "$tmp/body")"
fi
post /images/generations '{"model":"gpt-image-2","prompt":"x","size":"1000x1000"}'
if [ "$status" = 400 ] && grep -q '"param":"size"' "$tmp/body" && grep -q '"code":"invalid_value"' "$tmp/body"; then
    ok invalid-size
else
    not_ok invalid-size "got $status: $(head -c 200 "$tmp/body")"
fi
if grep -qi '^x-easel-mock: offline stand-in' "$tmp/headers" && grep -qi '^x-request-id: req_' "$tmp/headers"; then
    ok headers
else
    not_ok headers "$(cat "$tmp/headers")"
fi

# delay=MS between events, and a drip that slows a small body down.
start_mock --delay 150
start=$(date +%s%N)
post /images/generations "$stream_3"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$curl_rc" -eq 0 ] && [ "$ms" -ge 450 ]; then ok delay; else not_ok delay "took $ms ms, curl exit $curl_rc"; fi

start_mock --fault drip=2000
start=$(date +%s%N)
post /images/generations '{"model":"gpt-image-2","prompt":"x","size":"1000x1000"}'
ms=$(( ($(date +%s%N) - start) / 1000000 ))
bytes=$(wc -c <"$tmp/body")
if [ "$status" = 400 ] && [ "$ms" -ge $((bytes * 1000 / 2000 - 50)) ]; then
    ok drip
else
    not_ok drip "$bytes bytes in $ms ms"
fi
stop_mock
