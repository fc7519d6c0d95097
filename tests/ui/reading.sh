#!/bin/sh
# SPDX-License-Identifier: MIT
# Reading a turn whole in the workbench (issue 17, item 1), by scripted keys with the screen
# dumped as text: v in the history opens the turn over the history and the preview, wrapped
# between words and scrolled by the list keys: a 2,000-character revised prompt to its last
# word with the diff's legend, its image's path, and a failed turn's error to its end; Esc
# gives the preview back. Status messages that stopped being true are gone.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR

ok() { echo "ok ui-reading $1"; }
not_ok() { echo "not ok ui-reading $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

# ui NAME SIZE KEYS: the workbench on the home $tmp/home with KEYS; screen in $tmp/NAME.screen.
ui() {
    printf '%s' "$3" >"$tmp/$1.keys"
    XDG_DATA_HOME="$tmp/home/data" XDG_CONFIG_HOME="$tmp/home/config" XDG_CACHE_HOME="$tmp/home/cache" \
        EASEL_UI_SIZE="$2" EASEL_UI_SCRIPT="$tmp/$1.keys" timeout 60 "$EASEL" >"$tmp/$1.screen" 2>"$tmp/$1.err"
    rc=$?
}
has() { grep -qF -- "$2" "$1"; }

# A prompt of 1,900 characters whose revised prompt (the offline backend's adds a sentence)
# passes 2,000; its last word is LASTWORD.
words="red fox snow lantern harbour quiet morning copper kettle violet meadow distant bell tower"
prompt=$(i=0; while [ $i -lt 29 ]; do printf '%s ' $words; i=$((i + 1)); done | cut -c1-1880 | sed 's/ [^ ]*$//')
prompt="$prompt LASTWORD"
ui long 100x30 "$prompt<Enter><wait-idle><S-Tab>v<dump $tmp/top><PgDn><dump $tmp/page><PgDn><dump $tmp/page2><End><dump $tmp/end><Esc>"
session=$(ls -d "$tmp"/home/data/easel/sessions/*/ 2>/dev/null | head -n 1)
chars=$(grep '"kind":"result"' "$session/audit.jsonl" | python3 -c 'import json,sys; print(len(json.loads(sys.stdin.readline())["revised_prompt"]))' 2>/dev/null)
why="rc=$rc, revised prompt of ${chars:-?} characters: $(cat "$tmp/long.err")"
check "a revised prompt of 2,000 characters was made" sh -c "[ '$rc' -eq 0 ] && [ '${chars:-0}' -ge 2000 ]"
why=$(head -n 20 "$tmp/top")
check "v opens the turn over history and preview" sh -c \
    "grep -q '┌━ Turn 1 · lines 1-[0-9]* of [0-9]* · Esc closes' '$tmp/top' && ! grep -q 'Preview' '$tmp/top'"
# The pager's text, its border taken off: lines as shown (pager FILE), or joined (a path cut
# where it did not fit).
pager() { sed -n '3,19p' "$1" | sed 's/^\(.\{68\}\).*/\1/; s/^│ //; s/ *│.*$//; s/ *$//'; }
# joined FILE TEXT: TEXT is on the pager, lines joined without (path) or with (words) a blank.
joined() { pager "$1" | tr -d '\n' | grep -qF -- "$2" || pager "$1" | tr '\n' ' ' | grep -qF -- "$2"; }
why=$(pager "$tmp/top" | head -n 5)
check "shows the image's path" joined "$tmp/top" "${session}images/1-1.png"
check "shows the prompt's length" has "$tmp/top" "Prompt (${#prompt} characters)"
why=$(sed -n 2p "$tmp/page")
check "PgDn scrolls it" sh -c "sed -n 2p '$tmp/page' | grep -q 'lines [0-9][0-9]*-' && ! sed -n 2p '$tmp/page' | grep -q 'lines 1-'"
why=$(head -n 20 "$tmp/end")
check "End reaches the revised prompt's last words" joined "$tmp/end" "LASTWORD. Rendered as a bold flat illustration in colours taken from the words of the prompt, with those words set into the picture (offline stand-in)"
check "with the diff's legend" sh -c "grep -q 'Revised prompt ([0-9]* characters; added, \[-dropped-\])' '$tmp/top' '$tmp/page' '$tmp/page2' '$tmp/end'"
# Every line is cut between words: each word on the pager's lines is a word of the prompts
# (or of the lines above them), never a piece of one.
pager "$tmp/page" >"$tmp/page.txt"
pager "$tmp/end" >"$tmp/end.txt"
bad=$(python3 - "$session/audit.jsonl" "$tmp/page.txt" "$tmp/end.txt" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
words = set()
for r in recs:
    for k in ("prompt", "revised_prompt"):
        words.update((r.get(k) or "").split())
bad = [w for f in sys.argv[2:] for line in open(f) for w in line.split()
       if w.strip("[]-") not in words and w not in words]
print(" ".join(bad[:5]))
PY
)
why="pieces of words: $bad"
check "wraps between words" sh -c "[ -s '$tmp/end.txt' ] && [ -z '$bad' ]"
why=$(head -n 3 "$tmp/long.screen")
check "Esc gives the preview back" sh -c "grep -q 'Preview' '$tmp/long.screen' && grep -q 'History (1)' '$tmp/long.screen'"

# A failed turn: its error whole, which the history's line cuts.
rm -rf "$tmp/home"
start_mock --fault block=wolf
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-canary ui failed 80x24 "a wolf at dusk<Enter><wait-idle><S-Tab>v<End>"
why=$(cat "$tmp/failed.screen")
check "shows a failed turn's error whole" sh -c \
    "grep -q '^│ Error' '$tmp/failed.screen' && tr -d '│\n' <'$tmp/failed.screen' | tr -s ' ' | grep -q 'safety_violations=\[violence\]'"
stop_mock

# Status messages go when they stop being true: a mark once used to compare, a copy a few
# seconds old, a retry once the retried request got through.
rm -rf "$tmp/home"
ui marks 100x30 "a red fox<Enter><wait-idle>a blue fox<Enter><wait-idle><S-Tab>m<dump $tmp/marked><Up>c<dump $tmp/compared>y<dump $tmp/copied><sleep 4500>"
status() { tail -n 1 "$1"; }
why="$(status "$tmp/marked") / $(status "$tmp/compared")"
check "the mark's message shows, then goes once compared" sh -c \
    "tail -n 1 '$tmp/marked' | grep -q 'turn 2 marked' && ! tail -n 1 '$tmp/compared' | grep -q 'marked'"
why="$(status "$tmp/copied") / $(status "$tmp/marks.screen")"
check "the copy's message goes after a few seconds" sh -c \
    "tail -n 1 '$tmp/copied' | grep -q 'copied' && ! tail -n 1 '$tmp/marks.screen' | grep -q 'copied'"
rm -rf "$tmp/home"
start_mock --delay 3000 --fault status=503 --fault count=1 --fault retry-after-ms=300
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-canary ui retry 100x30 "a fox<Enter><sleep 150><dump $tmp/retrying><sleep 1500><dump $tmp/streaming><wait-idle>"
session=$(ls -d "$tmp"/home/data/easel/sessions/*/ 2>/dev/null | head -n 1)
why="$(status "$tmp/retrying") / $(status "$tmp/streaming")"
check "a retry's message goes once it got through" sh -c \
    "grep -q 'retry 1 in' '$tmp/retrying' && tail -n 1 '$tmp/streaming' | grep -q 'generating' && ! grep -q 'retry 1 in' '$tmp/streaming' && grep -q '\"status\":\"completed\"' '${session}audit.jsonl'"
stop_mock
