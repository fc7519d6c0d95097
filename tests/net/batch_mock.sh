#!/bin/sh
# SPDX-License-Identifier: MIT
# The Files and Batch APIs of `easel mock` (protocol.md section 14), seen from a plain HTTP
# client: curl against a mock started for each case, JSON read with python3. Prints "ok NAME"
# or "not ok NAME: why" lines.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok batch-mock $1"; }
not_ok() { echo "not ok batch-mock $1: $2"; }

# The interpreter itself, not a version manager's shim: each start counts on a loaded machine.
py=$(python3 -c 'import sys; print(sys.executable)')
# json FILE EXPR: a Python expression over the document d, printed.
json() { "$py" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# jsonl FILE EXPR: the same over the list of lines L.
jsonl() { "$py" -c "import json,sys; L=[json.loads(x) for x in open(sys.argv[1])]; print($2)" "$1"; }

# upload FILE PURPOSE: the new file's id in $fid.
upload() {
    curl -sS -o "$tmp/up.json" "$url/files" -F "purpose=$2" -F "file=@$1" 2>"$tmp/curl-stderr"
    fid=$(json "$tmp/up.json" 'd.get("id","")')
}

# create FILE_ID [ENDPOINT]: the batch object in $tmp/batch.json, its id in $bid.
create() {
    curl -sS -o "$tmp/batch.json" "$url/batches" -H 'content-type: application/json' \
        -d "{\"input_file_id\":\"$1\",\"endpoint\":\"${2:-/v1/images/generations}\",\"completion_window\":\"24h\",\"metadata\":{\"campaign\":\"test\"}}"
    bid=$(json "$tmp/batch.json" 'd.get("id","")')
}

get() { curl -sS -o "$tmp/batch.json" "$url/batches/$1"; }
# The batch's status and completed count, read without starting Python (polls are frequent).
status() { sed -n 's/.*"status":"\([a-z_]*\)".*/\1/p' "$tmp/batch.json"; }
completed() { sed -n 's/.*"request_counts":{[^}]*"completed":\([0-9]*\).*/\1/p' "$tmp/batch.json"; }

# wait_done ID: polls until the batch reaches a final status (at most 60 s).
wait_done() {
    tries=0
    while [ "$tries" -lt 600 ]; do
        get "$1"
        case $(status) in completed | failed | expired | cancelled) return 0 ;; esac
        sleep 0.1
        tries=$((tries + 1))
    done
    return 1
}

# lines N [PREFIX] [ENDPOINT] [BODY_EXTRA]: a JSONL input of N generation lines.
lines() {
    i=1
    while [ "$i" -le "$1" ]; do
        printf '{"custom_id":"%s%d","method":"POST","url":"%s","body":{"model":"gpt-image-2","prompt":"a lighthouse, style %d","size":"1024x1024","quality":"low"%s}}\n' \
            "${2:-line-}" "$i" "${3:-/v1/images/generations}" "$i" "$4"
        i=$((i + 1))
    done
}

download() { curl -sS -o "$2" "$url/files/$1/content"; }

# ---- statuses on the clock, counts as lines finish, the output file ----
start_mock --batch-seconds 3
lines 6 >"$tmp/in6.jsonl"
upload "$tmp/in6.jsonl" batch
if [ "$(json "$tmp/up.json" 'd["object"], d["purpose"], d["bytes"]')" = "file batch $(wc -c <"$tmp/in6.jsonl")" ]; then
    ok upload
else
    not_ok upload "$(cat "$tmp/up.json")"
fi
download "$fid" "$tmp/back.jsonl"
if cmp -s "$tmp/in6.jsonl" "$tmp/back.jsonl"; then ok content; else not_ok content "bytes differ"; fi
create "$fid"
seen=$(status)
counts=
tries=0
while [ "$tries" -lt 300 ]; do
    get "$bid"
    s=$(status)
    [ "$s" = "$(echo "$seen" | tail -n 1)" ] || seen="$seen
$s"
    counts="$counts $(completed)"
    [ "$s" = completed ] && break
    sleep 0.05
    tries=$((tries + 1))
done
order=$(echo "$seen" | tr '\n' ' ')
partial=$(echo "$counts" | tr ' ' '\n' | grep -cx '[1-5]')
if all '[ "$s" = completed ]' \
       'echo "$order" | grep -q "^validating in_progress .*completed $"' \
       '[ "$partial" -gt 0 ]' \
       '[ "$(json "$tmp/batch.json" "d[\"request_counts\"], d[\"metadata\"]")" = "{'"'"'total'"'"': 6, '"'"'completed'"'"': 6, '"'"'failed'"'"': 0} {'"'"'campaign'"'"': '"'"'test'"'"'}" ]' \
       '[ "$(json "$tmp/batch.json" "all(d[k] for k in (\"in_progress_at\",\"finalizing_at\",\"completed_at\"))")" = True ]'; then
    ok statuses
else
    not_ok statuses "statuses: $order; counts:$counts"
fi
out_id=$(json "$tmp/batch.json" 'd["output_file_id"]')
download "$out_id" "$tmp/out6.jsonl"
check=$(jsonl "$tmp/out6.jsonl" '
sorted(x["custom_id"] for x in L) == sorted("line-%d" % i for i in range(1, 7)),
all(x["response"]["status_code"] == 200 and x["error"] is None for x in L),
all(__import__("base64").b64decode(x["response"]["body"]["data"][0]["b64_json"])[:8] == b"\x89PNG\r\n\x1a\n" for x in L),
all(x["response"]["body"]["usage"]["output_tokens"] > 0 for x in L),
all(x["id"].startswith("batch_req_") and x["response"]["request_id"].startswith("req_") for x in L)')
if [ "$check" = "True True True True True" ] && [ "$(json "$tmp/batch.json" 'd["error_file_id"]')" = None ]; then
    ok output-file
else
    not_ok output-file "$check"
fi
curl -sS -o "$tmp/meta.json" "$url/files/$out_id"
if [ "$(json "$tmp/meta.json" 'd["purpose"], d["bytes"]')" = "batch_output $(wc -c <"$tmp/out6.jsonl")" ]; then
    ok output-object
else
    not_ok output-object "$(cat "$tmp/meta.json")"
fi

# ---- shuffled order; the cheap image; list with limit and after ----
start_mock --batch-seconds 0 --batch-image-bytes 3000
lines 24 >"$tmp/in24.jsonl"
upload "$tmp/in24.jsonl" batch
create "$fid"
wait_done "$bid"
download "$(json "$tmp/batch.json" 'd["output_file_id"]')" "$tmp/out24.jsonl"
got=$(jsonl "$tmp/out24.jsonl" '[x["custom_id"] for x in L]')
want=$(jsonl "$tmp/in24.jsonl" '[x["custom_id"] for x in L]')
size=$(jsonl "$tmp/out24.jsonl" 'max(len(__import__("base64").b64decode(x["response"]["body"]["data"][0]["b64_json"])) for x in L)')
if all '[ "$(status)" = completed ]' '[ "$got" != "$want" ]' \
       '[ "$(jsonl "$tmp/out24.jsonl" "sorted(x[\"custom_id\"] for x in L) == sorted($want)")" = True ]' \
       '[ "$size" -gt 2000 ] && [ "$size" -lt 4500 ]'; then
    ok shuffled
else
    not_ok shuffled "$(status) order $got, image $size bytes"
fi
first=$bid
create "$fid"; second=$bid
create "$fid"; third=$bid
curl -sS -o "$tmp/page1.json" "$url/batches?limit=2"
last=$(json "$tmp/page1.json" 'd["last_id"]')
curl -sS -o "$tmp/page2.json" "$url/batches?limit=2&after=$last"
if all '[ "$(json "$tmp/page1.json" "len(d[\"data\"]), d[\"has_more\"], d[\"object\"]")" = "2 True list" ]' \
       '[ "$(json "$tmp/page2.json" "len(d[\"data\"]), d[\"has_more\"]")" = "1 False" ]' \
       '[ "$(json "$tmp/page2.json" "d[\"data\"][0][\"id\"]")" != "$last" ]' \
       '[ "$(python3 -c "import json,sys; print(sorted(x[\"id\"] for f in sys.argv[1:] for x in json.load(open(f))[\"data\"]) == sorted(sys.argv[1:0] + [\"$first\", \"$second\", \"$third\"]))" "$tmp/page1.json" "$tmp/page2.json")" = True ]'; then
    ok list
else
    not_ok list "$(cat "$tmp/page1.json" | head -c 300) / $(head -c 300 "$tmp/page2.json")"
fi

# ---- failing lines ----
start_mock --batch-seconds 0 --batch-image-bytes 500 --fault batch-fail=3
lines 12 >"$tmp/in12.jsonl"
upload "$tmp/in12.jsonl" batch
create "$fid"
wait_done "$bid"
download "$(json "$tmp/batch.json" 'd["output_file_id"]')" "$tmp/out12.jsonl"
download "$(json "$tmp/batch.json" 'd["error_file_id"]')" "$tmp/err12.jsonl"
failed=$(jsonl "$tmp/err12.jsonl" 'sorted(x["custom_id"] for x in L)')
forms=$(jsonl "$tmp/err12.jsonl" 'sorted((x["response"] or {}).get("status_code", 0) for x in L), all(x["error"]["message"] for x in L if x["response"] is None), all(x["response"]["body"]["error"]["message"] for x in L if x["response"])')
if all '[ "$(status)" = completed ]' \
       '[ "$(json "$tmp/batch.json" "d[\"request_counts\"]")" = "{'"'"'total'"'"': 12, '"'"'completed'"'"': 9, '"'"'failed'"'"': 3}" ]' \
       '[ "$failed" = "['"'"'line-1'"'"', '"'"'line-5'"'"', '"'"'line-9'"'"']" ]' \
       '[ "$forms" = "[0, 500, 500] True True" ]' \
       '[ "$(wc -l <"$tmp/out12.jsonl")" = 9 ]'; then
    ok failing-lines
else
    not_ok failing-lines "$(status): failed $failed, forms $forms"
fi

# ---- a moderation block fails its line when it runs, with the API's error body ----
start_mock --batch-seconds 0 --batch-image-bytes 500 --fault 'block=style 3'
lines 4 >"$tmp/in4.jsonl"
upload "$tmp/in4.jsonl" batch
create "$fid"
wait_done "$bid"
download "$(json "$tmp/batch.json" 'd["error_file_id"]')" "$tmp/err4.jsonl"
if [ "$(jsonl "$tmp/err4.jsonl" '[(x["custom_id"], x["response"]["status_code"], x["response"]["body"]["error"]["code"]) for x in L]')" = "[('line-3', 400, 'moderation_blocked')]" ]; then
    ok blocked-line
else
    not_ok blocked-line "$(status): $(head -c 300 "$tmp/err4.jsonl")"
fi

# ---- validation ----
start_mock --batch-seconds 0
{
    lines 2
    echo 'not json'
    lines 1 line- /v1/images/edits
    printf '{"custom_id":"line-1","method":"POST","url":"/v1/images/generations","body":{"prompt":"again"}}\n'
    printf '{"custom_id":"odd","method":"GET","url":"/v1/images/generations","body":{"prompt":"x"}}\n'
    printf '{"custom_id":"big","method":"POST","url":"/v1/images/generations","body":{"model":"gpt-image-2","prompt":"x","size":"1000x1000"}}\n'
    printf '{"method":"POST","url":"/v1/images/generations","body":{"prompt":"x"}}\n'
} >"$tmp/bad.jsonl"
upload "$tmp/bad.jsonl" batch
create "$fid"
wait_done "$bid"
errs=$(json "$tmp/batch.json" '[(e["line"], e["code"], e["param"]) for e in d["errors"]["data"]]')
msgs=$(json "$tmp/batch.json" 'all(e["message"] for e in d["errors"]["data"])')
if all '[ "$(status)" = failed ]' '[ "$msgs" = True ]' \
       '[ "$(json "$tmp/batch.json" "bool(d[\"failed_at\"]), d[\"output_file_id\"]")" = "True None" ]' \
       'echo "$errs" | grep -q "(3, '"'"'invalid_json_line'"'"'"' \
       'echo "$errs" | grep -q "(4, '"'"'invalid_url'"'"', '"'"'url'"'"')"' \
       'echo "$errs" | grep -q "(5, '"'"'duplicate_custom_id'"'"', '"'"'custom_id'"'"')"' \
       'echo "$errs" | grep -q "(6, '"'"'invalid_method'"'"', '"'"'method'"'"')"' \
       'echo "$errs" | grep -q "(7, '"'"'invalid_value'"'"', '"'"'size'"'"')"' \
       'echo "$errs" | grep -q "(8, '"'"'missing_required_parameter'"'"', '"'"'custom_id'"'"')"'; then
    ok validation
else
    not_ok validation "$(status): $errs"
fi
# The request-level checks answer at once.
curl -sS -o "$tmp/r.json" -w '%{http_code}' "$url/batches" -H 'content-type: application/json' \
    -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}" >"$tmp/code1"
curl -sS -o "$tmp/r2.json" -w '%{http_code}' "$url/batches" -H 'content-type: application/json' \
    -d '{"input_file_id":"file-nope","endpoint":"/v1/images/generations","completion_window":"24h"}' >"$tmp/code2"
curl -sS -o "$tmp/r3.json" -w '%{http_code}' "$url/batches/batch_nope" >"$tmp/code3"
curl -sS -o "$tmp/r4.json" -w '%{http_code}' "$url/files" -F purpose=fine-tune -F "file=@$tmp/in4.jsonl" >"$tmp/code4"
if [ "$(cat "$tmp/code1" "$tmp/code2" "$tmp/code3" "$tmp/code4")" = "400400404400" ] &&
   [ "$(json "$tmp/r.json" 'd["error"]["param"]')" = endpoint ] &&
   [ "$(json "$tmp/r2.json" 'd["error"]["param"]')" = input_file_id ]; then
    ok create-checks
else
    not_ok create-checks "$(cat "$tmp/code1" "$tmp/code2" "$tmp/code3" "$tmp/code4")"
fi

# One line past the 50,000 a batch takes.
"$py" -c 'import sys
line = "{\"custom_id\":\"c%d\",\"method\":\"POST\",\"url\":\"/v1/images/generations\",\"body\":{\"prompt\":\"x\"}}\n"
sys.stdout.write("".join(line % i for i in range(50001)))' >"$tmp/big.jsonl"
upload "$tmp/big.jsonl" batch
create "$fid"
wait_done "$bid"
if [ "$(status)" = failed ] && [ "$(json "$tmp/batch.json" '[(e["line"], e["code"]) for e in d["errors"]["data"]]')" = "[(50001, 'too_many_lines')]" ]; then
    ok too-many-lines
else
    not_ok too-many-lines "$(status): $(head -c 300 "$tmp/batch.json")"
fi
rm -f "$tmp/big.jsonl"

start_mock --batch-seconds 0 --fault batch-invalid=2
upload "$tmp/in4.jsonl" batch
create "$fid"
wait_done "$bid"
if [ "$(status)" = failed ] && [ "$(json "$tmp/batch.json" '[e["line"] for e in d["errors"]["data"]]')" = "[2]" ]; then
    ok batch-invalid
else
    not_ok batch-invalid "$(status)"
fi

# ---- expiry with partial results ----
start_mock --batch-seconds 0 --batch-image-bytes 500 --fault batch-expire=2
upload "$tmp/in6.jsonl" batch
create "$fid"
wait_done "$bid"
download "$(json "$tmp/batch.json" 'd["output_file_id"]')" "$tmp/out-exp.jsonl"
download "$(json "$tmp/batch.json" 'd["error_file_id"]')" "$tmp/err-exp.jsonl"
all_ids=$(cat "$tmp/out-exp.jsonl" "$tmp/err-exp.jsonl" >"$tmp/both.jsonl"; jsonl "$tmp/both.jsonl" 'sorted(x["custom_id"] for x in L) == sorted("line-%d" % i for i in range(1, 7))')
if all '[ "$(status)" = expired ]' \
       '[ "$(json "$tmp/batch.json" "d[\"request_counts\"][\"completed\"], bool(d[\"expired_at\"])")" = "2 True" ]' \
       '[ "$(wc -l <"$tmp/out-exp.jsonl")" = 2 ]' \
       '[ "$(jsonl "$tmp/err-exp.jsonl" "set(x[\"error\"][\"code\"] for x in L), len(L)")" = "{'"'"'batch_expired'"'"'} 4" ]' \
       '[ "$all_ids" = True ]'; then
    ok expired
else
    not_ok expired "$(status) $(json "$tmp/batch.json" 'd["request_counts"]')"
fi

# ---- cancel: cancelling, then cancelled with what finished ----
# A slow clock (lines every 1.6 s), so the cancel lands between two lines even here.
start_mock --batch-seconds 12 --batch-image-bytes 500
upload "$tmp/in6.jsonl" batch
create "$fid"
tries=0
while [ "$tries" -lt 200 ]; do
    get "$bid"
    [ "$(completed)" -ge 1 ] && break
    sleep 0.05
    tries=$((tries + 1))
done
curl -sS -o "$tmp/batch.json" -X POST "$url/batches/$bid/cancel"
first_status=$(status)
wait_done "$bid"
done_n=$(completed)
download "$(json "$tmp/batch.json" 'd["output_file_id"]')" "$tmp/out-c.jsonl"
download "$(json "$tmp/batch.json" 'd["error_file_id"]')" "$tmp/err-c.jsonl"
curl -sS -o "$tmp/again.json" -w '%{http_code}' -X POST "$url/batches/$bid/cancel" >"$tmp/code"
if all '[ "$first_status" = cancelling ]' '[ "$(status)" = cancelled ]' \
       '[ "$done_n" -ge 1 ] && [ "$done_n" -lt 6 ]' \
       '[ "$(wc -l <"$tmp/out-c.jsonl")" = "$done_n" ]' \
       '[ "$(jsonl "$tmp/err-c.jsonl" "set(x[\"error\"][\"code\"] for x in L), len(L)")" = "{'"'"'batch_cancelled'"'"'} $((6 - done_n))" ]' \
       '[ "$(json "$tmp/batch.json" "bool(d[\"cancelling_at\"]), bool(d[\"cancelled_at\"])")" = "True True" ]'; then
    ok cancel
else
    not_ok cancel "first $first_status, then $(status), $done_n done"
fi

# ---- a cut download, resumed with Range and fetched again ----
start_mock --batch-seconds 0 --batch-image-bytes 20000 --fault cut=30000
upload "$tmp/in6.jsonl" batch
create "$fid"
wait_done "$bid"
out_id=$(json "$tmp/batch.json" 'd["output_file_id"]')
curl -sS -o "$tmp/cut.jsonl" "$url/files/$out_id/content" 2>/dev/null
cut_rc=$?
have=$(wc -c <"$tmp/cut.jsonl")
code=$(curl -sS -o "$tmp/rest.jsonl" -D "$tmp/h" -w '%{http_code}' -H "Range: bytes=$have-" "$url/files/$out_id/content")
cat "$tmp/cut.jsonl" "$tmp/rest.jsonl" >"$tmp/resumed.jsonl"
download "$out_id" "$tmp/whole.jsonl"
total=$(wc -c <"$tmp/whole.jsonl")
if all '[ "$cut_rc" -ne 0 ]' '[ "$have" = 30000 ]' '[ "$code" = 206 ]' \
       'grep -qi "^content-range: bytes 30000-$((total - 1))/$total" "$tmp/h"' \
       'cmp -s "$tmp/resumed.jsonl" "$tmp/whole.jsonl"' '[ "$total" -gt 100000 ]' \
       '[ "$(wc -l <"$tmp/whole.jsonl")" = 6 ]'; then
    ok cut-and-range
else
    not_ok cut-and-range "curl $cut_rc after $have bytes; range answered $code; whole $total"
fi
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Range: bytes=$total-" "$url/files/$out_id/content")
if [ "$code" = 416 ]; then ok range-past-end; else not_ok range-past-end "answered $code"; fi

# ---- edits naming their image by file id; the request log ----
start_mock --batch-seconds 0 --request-log "$tmp/requests.jsonl"
curl -sS -o "$tmp/gen.json" "$url/images/generations" -H 'content-type: application/json' \
    -d '{"model":"gpt-image-2","prompt":"a selfie","size":"1024x1024","quality":"low"}'
json "$tmp/gen.json" 'd["data"][0]["b64_json"]' | base64 -d >"$tmp/selfie.png"
upload "$tmp/selfie.png" vision
ref=$fid
{
    printf '{"custom_id":"ink","method":"POST","url":"/v1/images/edits","body":{"model":"gpt-image-2","prompt":"in ink","images":[{"file_id":"%s"}],"size":"1024x1024","quality":"low"}}\n' "$ref"
    printf '{"custom_id":"oil","method":"POST","url":"/v1/images/edits","body":{"model":"gpt-image-2","prompt":"in oil","images":[{"file_id":"%s"}],"mask":{"file_id":"%s"},"size":"1024x1024","quality":"low"}}\n' "$ref" "$ref"
} >"$tmp/edits.jsonl"
upload "$tmp/edits.jsonl" batch
create "$fid" /v1/images/edits
wait_done "$bid"
download "$(json "$tmp/batch.json" 'd["output_file_id"]')" "$tmp/out-e.jsonl"
if [ "$(status)" = completed ] &&
   [ "$(jsonl "$tmp/out-e.jsonl" 'sorted((x["custom_id"], x["response"]["body"]["usage"]["input_tokens_details"]["image_tokens"] > 0) for x in L)')" = "[('ink', True), ('oil', True)]" ]; then
    ok edits-by-file-id
else
    not_ok edits-by-file-id "$(status) $(head -c 300 "$tmp/batch.json")"
fi
sum=$(sha256sum "$tmp/selfie.png" | cut -d' ' -f1)
logged=$(jsonl "$tmp/requests.jsonl" '[(x["method"], x["path"]) for x in L if "/files" in x["path"] or "/batches" in x["path"]][:3], [p for x in L for p in x.get("parts", []) if p["name"] == "file"][0]')
if echo "$logged" | grep -q "('POST', '/v1/files'), ('POST', '/v1/files'), ('POST', '/v1/batches')" &&
   echo "$logged" | grep -q "'sha256': '$sum'" && echo "$logged" | grep -q "'bytes': $(wc -c <"$tmp/selfie.png")"; then
    ok request-log
else
    not_ok request-log "$logged"
fi

# ---- a batch goes on in a later process: the state folder ----
mkdir -p "$tmp/state"
start_mock --batch-seconds 1 --batch-image-bytes 500 --state-dir "$tmp/state"
upload "$tmp/in6.jsonl" batch
create "$fid"
stop_mock
sleep 1.2
start_mock --batch-seconds 1 --state-dir "$tmp/state"
wait_done "$bid"
download "$(json "$tmp/batch.json" 'd["output_file_id"]')" "$tmp/out-s.jsonl"
if [ "$(status)" = completed ] && [ "$(wc -l <"$tmp/out-s.jsonl")" = 6 ]; then
    ok later-process
else
    not_ok later-process "$(status)"
fi
# Nobody asks, yet the batch runs: the mock's own ticker keeps to the clock.
create "$fid"
sleep 2.5
if grep -q '"status":"completed"' "$tmp/state/batches/$bid.json" 2>/dev/null; then
    ok runs-unasked
else
    not_ok runs-unasked "$(sed -n 's/.*"status":"\([a-z_]*\)".*/\1/p' "$tmp/state/batches/$bid.json" 2>&1)"
fi
curl -sS -o "$tmp/del.json" -X DELETE "$url/files/$fid"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$url/files/$fid")
if [ "$(json "$tmp/del.json" 'd["deleted"]')" = True ] && [ "$code" = 404 ]; then
    ok delete
else
    not_ok delete "$(cat "$tmp/del.json"), then $code"
fi
curl -sS -o "$tmp/files.json" "$url/files?purpose=batch_output"
if [ "$(json "$tmp/files.json" 'd["object"], set(x["purpose"] for x in d["data"]), len(d["data"])')" = "list {'batch_output'} 2" ]; then
    ok files-list
else
    not_ok files-list "$(head -c 300 "$tmp/files.json")"
fi
