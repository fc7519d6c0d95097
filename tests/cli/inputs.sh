#!/bin/sh
# SPDX-License-Identifier: MIT
# Inputs and dry runs (issue 13, items 1, 3 and 9): every file a turn sends is in its request
# record and kept in the session, so a session copied elsewhere verifies, shows and exports
# its inputs with the originals gone; `--dry-run` prints the request the real call sends, in
# the same session context, field by field; numbers and dates that cannot be are refused.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok inputs $1"; }
not_ok() { echo "not ok inputs $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

if ! command -v python3 >/dev/null 2>&1; then
    echo "ok inputs # skip: no python3"
    exit 0
fi

start_mock --request-log "$tmp/received.jsonl"
run() {
    XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" \
        OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-canary "$EASEL" "$@" >"$tmp/out" 2>"$tmp/err"
}
session_dir() { ls -d "$tmp"/data/easel/sessions/*/ | while read -r d; do
    grep -q "\"name\": \"$1\"" "$d/session.json" && echo "${d%/}"; done; }

# Pictures to send: a PNG, a JPEG, and a mask (any picture; easel turns it into an alpha mask).
cd "$tmp" || exit 1
run generate -q low -s 1024x1024 -o ref.png "a red fox"
run generate -q low -s 1024x1024 -f jpeg -o ref2.jpg "a blue bird"
run generate -q low -s 1024x1024 -o mask.png "a white circle on black"
why="$(cat "$tmp/err")"
check "makes the pictures to send" all '[ -s ref.png ]' '[ -s ref2.jpg ]' '[ -s mask.png ]'

# ---- Item 3: the dry run is the request sent -------------------------------------------
# For each command line: the dry run (--json), then the real call; the request the mock
# received, the request record the log wrote, and the dry run agree field by field, files
# compared by sha256 (their bytes aside).
n=0
same() {
    n=$((n + 1))
    run generate --dry-run --json "$@"
    dry_rc=$?
    cp "$tmp/out" "$tmp/dry.$n"
    before=$(wc -l <"$tmp/received.jsonl" 2>/dev/null || echo 0)
    run generate "$@"
    real_rc=$?
    sed -n "$((before + 1))p" "$tmp/received.jsonl" >"$tmp/got.$n"
    log=$(ls -t "$tmp"/data/easel/sessions/*/audit.jsonl | head -n 1)
    grep '"kind":"request"' "$log" | tail -n 1 >"$tmp/rec.$n"
    why=$(python3 "$here/cli/request_equal.py" "$url" "$tmp/dry.$n" "$tmp/got.$n" "$tmp/rec.$n" 2>&1)
    agree=$?
    why="rc=$dry_rc/$real_rc $why $(head -c 300 "$tmp/err")"
    check "dry run $n equals the request sent: $*" all '[ "$dry_rc" -eq 0 ]' '[ "$real_rc" -eq 0 ]' \
        '[ "$agree" -eq 0 ]'
}
same -S ra -q low "a lighthouse"
same -S ra -q low "make it night"
same -S ra -q low -i ref.png "in the style of this picture"
same -S ra -q low --from 1 "a storm instead"
same -S ra -q low --action edit -i ref.png --mask mask.png "repaint the sky"
same -S ra -q low -s 1536x1024 --new-conversation "a fresh start"
same -S ib --api images -q low -p 1 "a kite"
same -S ib --api images -q low --from 1 "add a storm"
same -S ib --api images -q low --from 2 --mask mask.png "repaint the middle of it"
same -S ib --api images -q low -i ref.png -i ref2.jpg "the fox and the bird together"
same -S ib --api images -q low -n 2 -i ref.png --mask mask.png "repaint the middle"

# The dry run names what it chains and what it sends, in words too.
run generate -S ra --from 2 -i ref2.jpg --dry-run "once more"
chained=$(grep '"kind":"result","turn":2,' "$(session_dir ra)/audit.jsonl" | grep -o '"response_id":"[^"]*"' | cut -d'"' -f4)
why="$(cat "$tmp/out")"
check "dry run says the previous response and the inputs" all \
    "grep -q '^previous_response_id: $chained' '$tmp/out'" \
    "grep -q '^input: reference .*/ref2.jpg .*sha256 $(sha256sum ref2.jpg | cut -d' ' -f1)' '$tmp/out'"
run generate -S ib --api images --from 1 --dry-run "edit it"
why="$(cat "$tmp/out")"
check "dry run on the images api names the edits endpoint and the image" all \
    "grep -q '^POST $url/images/edits' '$tmp/out'" \
    "grep -q '^input: image .*images/1-1.png' '$tmp/out'"
run generate -S ib --api images -i ref.png --dry-run "edit it"
why="$(cat "$tmp/out")"
check "dry run estimate counts the input image" grep -q '^estimate: .*1 input image 581 tokens' "$tmp/out"

# ---- Item 1: inputs in the record and in the session -----------------------------------
ra=$(session_dir ra)
rec=$(grep '"kind":"request","turn":5,' "$ra/audit.jsonl")
sum=$(sha256sum ref.png | cut -d' ' -f1)
why="$(echo "$rec" | grep -o '"inputs":.*' | head -c 600)"
check "request records its inputs with role, hash, size, copy and source" all \
    "echo '$rec' | grep -q '\"inputs\":\\[{\"role\":\"image\",\"sha256\":\"$sum\",\"bytes\":$(wc -c <ref.png),\"path\":\"inputs/$sum.png\",\"source\":\"$tmp/ref.png\"'" \
    "echo '$rec' | grep -q '{\"role\":\"mask\",\"sha256\":\"[0-9a-f]*\",\"bytes\":[0-9]*,\"path\":\"inputs/[0-9a-f]*.png\",\"source\":\"$tmp/mask.png\"'"
mask_sum=$(echo "$rec" | grep -o '"role":"mask","sha256":"[0-9a-f]*"' | cut -d'"' -f8)
why="mask $mask_sum; the copy: $(sha256sum "$ra/inputs/$mask_sum.png" 2>&1)"
check "the mask is logged as sent (converted), not as the file given" all \
    "[ '$mask_sum' != '$(sha256sum mask.png | cut -d' ' -f1)' ]" \
    "[ \"\$(sha256sum '$ra/inputs/$mask_sum.png' | cut -d' ' -f1)\" = '$mask_sum' ]"
why="$(ls -l "$ra/inputs")"
check "one copy per content, mode 0600, folder 0700" all \
    "[ \$(ls '$ra/inputs' | grep -c '^$sum.png\$') -eq 1 ]" \
    "[ -z \"\$(find '$ra/inputs' -type f ! -perm 0600)\" ]" "[ \"\$(stat -c %a '$ra/inputs')\" = 700 ]"
ib=$(session_dir ib)
why="$(grep '"kind":"request","turn":2,' "$ib/audit.jsonl" | grep -o '"inputs":.*' | head -c 400)"
check "an edit of a session's own image keeps it as an input too" \
    grep -q "\"kind\":\"request\",\"turn\":2,.*\"inputs\":\\[{\"role\":\"image\",.*\"source\":\"$ib/images/1-1.png\"" "$ib/audit.jsonl"

# The session on another machine: copied to another XDG_DATA_HOME, the files it was sent
# deleted; it verifies, shows its inputs and exports them.
mkdir -p "$tmp/elsewhere/easel/sessions"
cp -a "$ra" "$ib" "$tmp/elsewhere/easel/sessions/"
rm -f ref.png ref2.jpg mask.png
away() { XDG_DATA_HOME="$tmp/elsewhere" XDG_CONFIG_HOME="$tmp/config" "$EASEL" "$@" >"$tmp/out" 2>"$tmp/err"; }
away log ra --verify
rc=$?
why="rc=$rc $(cat "$tmp/out")"
check "a copied session verifies its inputs" all '[ "$rc" -eq 0 ]' \
    "grep -q ' [1-9][0-9]* inputs, 0 problems' '$tmp/out'"
away log ra
why="$(cat "$tmp/out" | head -c 1500)"
check "log shows each turn's kind and inputs" all \
    "grep -q '^  kind      generation\$' '$tmp/out'" \
    "grep -q '^  kind      generation or edit (the model.s choice, action auto) with 1 reference, continuing the conversation of turn 2' '$tmp/out'" \
    "grep -q '^  kind      edit, continuing' '$tmp/out'" \
    "grep -q '^  inputs    image     inputs/$sum.png .* from $tmp/ref.png\$' '$tmp/out'" \
    "grep -q '^            mask      inputs/$mask_sum.png' '$tmp/out'" \
    "! grep -q MISSING '$tmp/out'"
away log ib
why="$(grep kind "$tmp/out")"
check "log tells an images api edit from a generation" all \
    "grep -q '^  kind      edit\$' '$tmp/out'" "grep -q '^  kind      generation\$' '$tmp/out'"
away export --inputs ra "$tmp/exported"
rc=$?
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "export --inputs copies each input once, as its sidecar names it" all '[ "$rc" -eq 0 ]' \
    "[ \"\$(sha256sum '$tmp/exported/inputs/$sum.png' | cut -d' ' -f1)\" = '$sum' ]" \
    "[ -s '$tmp/exported/inputs/$mask_sum.png' ]" \
    "grep -q '\"path\": \"inputs/$sum.png\"' '$tmp/exported/5-1.json'" \
    "grep -q 'images exported, 2 inputs' '$tmp/out'"
away export ra "$tmp/exported-plain"
why="$(ls "$tmp/exported-plain")"
check "export without --inputs leaves them out" [ ! -e "$tmp/exported-plain/inputs" ]

# A changed input copy is found, named, and not exported as the one the log describes.
printf 'x' >>"$tmp/elsewhere/easel/sessions/$(basename "$ra")/inputs/$sum.png"
away log ra --verify
rc=$?
why="rc=$rc $(cat "$tmp/out")"
check "verify names a changed input" all '[ "$rc" -ne 0 ]' \
    "grep -q 'input inputs/$sum.png has [0-9]* bytes, the log says' '$tmp/out'"
away export --inputs ra "$tmp/exported-bad"
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "export refuses a changed input" all '[ "$rc" -ne 0 ]' \
    "grep -q 'inputs/$sum.png does not match the sha256' '$tmp/err'"

# ---- Item 9: numbers and dates ---------------------------------------------------------
for from in 0 -1 2147483648 99999999999999999999 3x abc 99; do
    before=$(wc -l <"$tmp/received.jsonl")
    run generate -S ib --api images --from "$from" "out of range"
    rc=$?
    why="rc=$rc $(cat "$tmp/err")"
    check "--from $from exits 2 before sending, with a message" all '[ "$rc" -eq 2 ]' \
        "grep -q -- '--from' '$tmp/err'" "[ \$(wc -l <'$tmp/received.jsonl') -eq $before ]"
done
run generate -S nobody --from 1 "no such session"
rc=$?
why="rc=$rc $(cat "$tmp/err") $(ls "$tmp/data/easel/sessions")"
check "--from in a session that does not exist creates none" all '[ "$rc" -eq 2 ]' \
    "! grep -rqs '\"name\": \"nobody\"' '$tmp/data/easel/sessions'"
for date in 2026-02-30 2026-13-01 2025-02-29 2026-11-25T24:00 garbage; do
    run log ra --since "$date"
    rc=$?
    why="rc=$rc $(cat "$tmp/err")"
    check "log --since $date exits 2" all '[ "$rc" -eq 2 ]' "grep -q '$date' '$tmp/err'"
done
run log ra --until 2024-02-29
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "log --until a real leap day" [ "$rc" -eq 0 ]
mkdir -p "$tmp/config/easel"
bad_price() { # WHAT KEY JSON: a prices.json with that price is refused, the key named
    printf '%s\n' "$3" >"$tmp/config/easel/prices.json"
    run generate --dry-run "a kite"
    rc=$?
    why="rc=$rc $(cat "$tmp/err")"
    check "$1 price in prices.json is refused with its key" all '[ "$rc" -eq 2 ]' \
        "grep -q '$2' '$tmp/err'"
}
bad_price "a negative" models.gpt-image-2.per_million_tokens.image_output \
    '{"models": {"gpt-image-2": {"per_million_tokens": {"image_output": -30}}}}'
bad_price "an absurd" models.gpt-image-2.per_image.1024x1024.low \
    '{"models": {"gpt-image-2": {"per_image": {"1024x1024": {"low": 5000}}}}}'
bad_price "a NaN" image_output '{"models": {"gpt-image-2": {"per_million_tokens": {"image_output": NaN}}}}'
rm -f "$tmp/config/easel/prices.json"
