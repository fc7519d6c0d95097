#!/bin/sh
# SPDX-License-Identifier: MIT
# A batch session in the workbench (issue 14 item 4), driven by scripted keys with the screen
# dumped as text: before the fetch the history shows the batch's lines pending and a hint to
# fetch; after it the preview opens on a contact sheet of the batch's images (half blocks in
# the dump), paged with PgDn/PgUp, drawn from the images' thumbnails once made (and never from a
# stale one); picking one and sending edits that image, branched from its
# batch line (the mock's request log and the new request record prove it); the parameter panel
# shows the batch's spend apart from the interactive spend.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR

ok() { echo "ok ui-batch $1"; }
not_ok() { echo "not ok ui-batch $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
mkdir -p "$tmp/config/easel"
start_mock --batch-seconds 0 --request-log "$tmp/requests.log"
paid() { OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-batch-wb "$EASEL" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
# ui NAME KEYS: the workbench at 140x44 with the keys of KEYS; the final screen in NAME.screen.
ui() {
    printf '%s' "$2" >"$tmp/$1.keys"
    OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-batch-wb EASEL_UI_SIZE=140x44 \
        EASEL_UI_SCRIPT="$tmp/$1.keys" timeout 60 "$EASEL" >"$tmp/$1.screen" 2>"$tmp/$1.err"
    rc=$?
}
has() { grep -qF -- "$2" "$tmp/$1.screen"; }
py() { code=$1; shift; python3 -c "$code" "$@"; }

# Fourteen generations: two pages of the contact sheet (twelve a page).
cat >"$tmp/styles.jsonl" <<'EOF2'
{"prompt": "a fox as {style}", "quality": "low", "size": "1024x1024", "vary": {"style": ["ink", "oil", "watercolor", "pixel-art", "charcoal", "pop-art", "ukiyo-e", "cubism", "art-deco", "vaporwave", "claymation", "stained-glass", "mosaic", "origami"]}}
EOF2
paid batch submit -S styles "$tmp/styles.jsonl"
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "submit" [ "$rc" -eq 0 ]
dir=$(ls -d "$tmp"/data/easel/sessions/*/ | head -n 1)
log="$dir/audit.jsonl"

# Before the fetch: the log knows the lines, none of their results.
ui pending ''
why="rc=$rc $(grep -o 'History[^─]*' "$tmp/pending.screen") $(cat "$tmp/pending.err")"
check "the history shows the batch's lines pending, the preview how to fetch them" \
    all '[ "$rc" -eq 0 ]' 'has pending "batch 0/14 done, 0 failed, 14 pending"' \
        'has pending "14 batch lines pending: easel batch wait, or fetch"'
check "a batch line without a result is pending, not open" \
    all 'has pending "pending"' '! grep -q " open " "$tmp/pending.screen"'

paid batch fetch -S styles
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "fetch" [ "$rc" -eq 0 ]

"$EASEL" log styles >"$tmp/log.txt" 2>&1
why="$(tail -n 1 "$tmp/log.txt")"
check "easel log's totals show the batch lines' spend apart" \
    grep -q "^14 turns, 14 images, \$\([0-9.]*\) spent; of which batch lines \$\1 spent (14 done, 0 failed, 0 pending)\$" "$tmp/log.txt"
"$EASEL" sessions --json >"$tmp/sessions.json" 2>&1
"$EASEL" sessions >"$tmp/sessions.txt" 2>&1
why="$(cat "$tmp/sessions.json" "$tmp/sessions.txt")"
check "easel sessions shows what the batch lines cost, apart" \
    all 'grep -q "^NAME .* IMAGES *BATCH *SPEND *OFFLINE" "$tmp/sessions.txt"' \
        'py "import json,sys
s=json.loads(open(sys.argv[1]).readline())
sys.exit(not (s[\"batch_usd\"] > 0 and abs(s[\"batch_usd\"] - s[\"spend_usd\"]) < 1e-9))" "$tmp/sessions.json"'

# After it: the contact sheet, page 1 of 2, the first twelve lines' images as blocks.
EASEL_UI_TRACE="$tmp/sheet.trace" ui sheet ''
why="$(grep -o 'batch · page[^│]*' "$tmp/sheet.screen") $(grep -o 'History[^─]*' "$tmp/sheet.screen")"
check "the history shows the batch done" has sheet "batch 14/14 done, 0 failed, 0 pending"
check "the preview opens on the contact sheet, page 1/2" \
    has sheet "batch · page 1/2 · [t1] t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12 · Enter goes"
why="$(grep 'picture' "$tmp/sheet.trace")"
check "the sheet is drawn (half blocks)" grep -q "picture serial=.* protocol=blocks" "$tmp/sheet.trace"

# The sheet from thumbnails (thumb.h): made on a view, drawn from on the next, with the same
# pixels as from the images (each cell's mean colour in the trace); an image replaced under its
# name shows its new picture at once, and never a thumbnail made of another content.
grid() { grep "grid serial=" "$tmp/$1.trace" | tail -n 1; }
means() { grid "$1" | sed 's/.*means=//'; }
cell() { means "$1" | cut -d, -f"$2"; }
sleep 1 # a thumbnail is written only for an image older than the current second
EASEL_UI_TRACE="$tmp/sheet2.trace" ui sheet2 ''
EASEL_UI_TRACE="$tmp/sheet3.trace" ui sheet3 ''
why="$(grid sheet) | $(grid sheet2) | $(grid sheet3) | thumbs: $(ls "$dir/thumbs" 2>&1 | tr '\n' ' ')"
check "a later view draws every cell of the sheet from its thumbnail" \
    all 'grid sheet3 | grep -q "cells=12 from=tttttttttttt "' \
        '[ "$(ls "$dir/thumbs" | grep -c "^[0-9]*-1\.png\.png$")" -eq 12 ]'
check "from thumbnails, the same twelve different pictures as from the images" \
    all '[ -n "$(means sheet)" ]' '[ "$(means sheet)" = "$(means sheet3)" ]' \
        '[ "$(means sheet | tr , "\n" | sort -u | wc -l)" -eq 12 ]'
mv "$dir/images/1-1.png" "$tmp/1-1.png.orig"
cp "$dir/images/2-1.png" "$dir/images/.swap" && mv "$dir/images/.swap" "$dir/images/1-1.png"
sleep 1
EASEL_UI_TRACE="$tmp/sheet4.trace" ui sheet4 ''
mv "$tmp/1-1.png.orig" "$dir/images/1-1.png"
EASEL_UI_TRACE="$tmp/sheet5.trace" ui sheet5 ''
why="$(grid sheet3) | $(grid sheet4) | $(grid sheet5)"
check "an image replaced under its name shows the new picture, not its old thumbnail" \
    all 'grid sheet4 | grep -q "from=mttttttttttt "' '[ "$(cell sheet4 1)" = "$(cell sheet4 2)" ]' \
        '[ "$(cell sheet4 1)" != "$(cell sheet3 1)" ]'
check "put back, the image shows itself again, not the thumbnail made of the other" \
    all 'grid sheet5 | grep -q "from=[im]ttttttttttt "' '[ "$(means sheet5)" = "$(means sheet3)" ]'
spend=$(grep -o 'batch \$[0-9.]* · interactive \$[0-9.]*' "$tmp/sheet.screen")
why="$spend"
check "the batch's spend shows apart from the interactive spend" \
    py 'import sys,re,json
m=re.match(r"batch \$([0-9.]+) · interactive \$([0-9.]+)", sys.argv[1])
cost=sum(json.loads(l).get("cost_usd") or 0 for l in open(sys.argv[2]) if "\"kind\":\"result\"" in l)
sys.exit(not (m and abs(float(m.group(1))-round(cost,2))<0.006 and float(m.group(2))==0))' "$spend" "$log"

# The focus on the preview (S-Tab from the prompt: the history, then the preview); PgDn and
# PgUp page; Right selects the second of page 2 (turn 14), Enter picks it; back in the
# prompt, a send edits it.
ui page "<S-Tab><S-Tab><PgDn><dump $tmp/page2.screen><PgUp><dump $tmp/page1.screen><PgDn><Right><Enter><dump $tmp/picked.screen><Tab><Tab>make it night<Enter><wait-idle>"
why="$(grep -o 'batch · page[^│]*' "$tmp/page2.screen" "$tmp/page1.screen")"
check "PgDn shows page 2, PgUp page 1 again" \
    all 'grep -qF "batch · page 2/2 · [t13] t14 · Enter goes on from it · PgUp/PgDn pages" "$tmp/page2.screen"' \
        'grep -qF "batch · page 1/2 · [t1] t2" "$tmp/page1.screen"'
why="$(tail -n 2 "$tmp/picked.screen")"
check "picking one: the next send edits it, from its batch line" \
    all 'grep -qF "14-1.png: the next send edits it" "$tmp/picked.screen"' 'grep -qF "from turn 14" "$tmp/picked.screen"'
sha=$(sha256sum "$dir/images/14-1.png" | cut -d' ' -f1)
last=$(grep '"path":"/v1/\(images/edits\|responses\)"' "$tmp/requests.log" | tail -n 1)
why="$last"
check "the send went out with that image as its input" \
    all '[ -n "$last" ]' 'printf "%s" "$last" | grep -q "$sha"'
why="$(tail -n 2 "$log")"
check "the new turn is an interactive edit branched from the batch line" \
    py 'import json,sys
rs=[json.loads(l) for l in open(sys.argv[1])]
r=[x for x in rs if x["kind"]=="request"][-1]
res=[x for x in rs if x["kind"]=="result"][-1]
ok=r["turn"]==15 and r.get("parent_turn")==14 and not r.get("custom_id") and res["status"]=="completed"
sys.exit(not (ok and r["inputs"][0]["sha256"]==sys.argv[2] and not r.get("previous_response_id")))' "$log" "$sha"
spend=$(grep -o 'batch \$[0-9.]* · interactive \$[0-9.]*' "$tmp/page.screen")
why="$spend"
check "after the edit the interactive spend is apart from the batch's" \
    py 'import sys,re
m=re.match(r"batch \$([0-9.]+) · interactive \$([0-9.]+)", sys.argv[1])
sys.exit(not (m and float(m.group(2))>0))' "$spend"
check "the screens hold no control bytes" terminal_safe "$tmp"/*.screen
