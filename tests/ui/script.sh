#!/bin/sh
# SPDX-License-Identifier: MIT
# The workbench driven by scripted keys (EASEL_UI_SCRIPT) with its screen dumped as text once
# nothing is loading, as a user would see it (issue 5): start, a Devanagari prompt, a
# generation on the offline backend, the revised prompt in the history, cancel, resize, help,
# and switching sessions while one generates.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR

ok() { echo "ok ui $1"; }
not_ok() { echo "not ok ui $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

# ui NAME SIZE SCRIPT: runs the workbench on a fresh home (unless $keep_home is set) with the
# keys of SCRIPT; the final screen goes to $tmp/NAME.screen, stderr to $tmp/NAME.err.
home=
ui() {
    [ -n "$keep_home" ] && [ -n "$home" ] || home="$tmp/home.$1"
    mkdir -p "$home"
    printf '%s' "$3" >"$tmp/$1.keys"
    XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        EASEL_UI_SIZE="$2" EASEL_UI_SCRIPT="$tmp/$1.keys" timeout 60 "$EASEL" \
        >"$tmp/$1.screen" 2>"$tmp/$1.err"
    rc=$?
    session=$(ls -d "$home"/data/easel/sessions/*/ 2>/dev/null | head -n 1)
}
last_status() { grep '"kind":"result"' "$1/audit.jsonl" | tail -n 1 | grep -o '"status":"[a-z]*"'; }
has() { grep -qF -- "$2" "$tmp/$1.screen"; }

# Start: every panel, the offline banner, a screen of exactly 80x24 cells.
ui start 80x24 ''
why="rc=$rc $(cat "$tmp/start.err")"
check "starts" [ "$rc" -eq 0 ]
why="$(cat "$tmp/start.screen")"
check "shows the panels" sh -c "grep -q 'Prompt' '$tmp/start.screen' && grep -q 'Parameters' '$tmp/start.screen' && grep -q 'History' '$tmp/start.screen' && grep -q 'Preview' '$tmp/start.screen'"
check "shows the offline banner" has start "OFFLINE BACKEND"
why="$(wc -l <"$tmp/start.screen") lines, widest $(wc -L <"$tmp/start.screen")"
check "fills 80x24" all '[ "$(wc -l <"$tmp/start.screen")" -eq 24 ]' '[ "$(wc -L <"$tmp/start.screen")" -le 80 ]'
why="no session folder should exist before the first request"
check "leaves no empty session" [ -z "$session" ]

# A prompt in Devanagari, with its nukta and vowel signs, shows as typed; the counter counts
# code points (22 here).
deva='एक लाल लोमड़ी बर्फ में'
ui devanagari 80x24 "$deva"
why="$(sed -n 17,18p "$tmp/devanagari.screen")"
check "shows a Devanagari prompt" has devanagari "│$deva"
check "counts its characters" has devanagari " 22/32000 "
# Editing by clusters: two Backspaces remove "में" (one cluster: म, the vowel sign े and the
# nasal sign ं) and the space before it; then C-a, M-f and C-k cut all but the first word.
ui devanagari-edit 80x24 "$deva<Backspace><Backspace><dump $tmp/deva.mid> बर्फ़<C-a><M-f><C-k>"
why="$(grep 'बर्फ' "$tmp/deva.mid")"
check "deletes Devanagari by clusters" sh -c "grep -q '│एक लाल लोमड़ी बर्फ *│' '$tmp/deva.mid'"
why="$(sed -n 17p "$tmp/devanagari-edit.screen")"
check "moves and cuts by words" sh -c "grep -q '│एक *│' '$tmp/devanagari-edit.screen'"

# C-x C-e: the prompt goes through $EDITOR (here a sed that rewrites it) and comes back.
EDITOR='sed -i s/two/three/' ui external 80x24 'two foxes<C-x><C-e>'
why="$(grep -n 'foxes\|editor' "$tmp/external.screen")"
check "edits the prompt in \$EDITOR" sh -c "grep -q '│three foxes' '$tmp/external.screen'"

# A generation on the offline backend: it completes, is logged, and the history shows the
# revised prompt.
ui generate 120x40 'a red fox in the snow<Enter>'
why="rc=$rc $(cat "$tmp/generate.err")"
check "generates on the offline backend" all '[ "$rc" -eq 0 ]' '[ -n "$session" ]' \
    "[ \"\$(last_status \"\$session\")\" = '\"status\":\"completed\"' ]"
why="$(grep -n 'completed\|revised' "$tmp/generate.screen")"
check "shows the turn in the history" has generate "#1 "
check "shows the revised prompt" sh -c "grep -q 'revised: a red fox in the snow' '$tmp/generate.screen'"
check "shows the image in the preview" has generate "turn 1 · image"
check "saves the image" [ -s "$session/images/1-1.png" ]

# The same session again: Up recalls the prompt sent before, Enter sends it (turn 2).
keep_home=1
ui recall 120x40 '<Up><Enter>'
why="$(grep -c '"kind":"result"' "$session/audit.jsonl") results"
check "recalls and resends a prompt" [ "$(grep -c '"status":"completed"' "$session/audit.jsonl")" -eq 2 ]

# The conversation gone from the API (the offline backend's cache of responses emptied, as
# OpenAI forgets a response after 30 days): the failed turn leaves the way on ready (the
# prompt back, the newest image attached, a new conversation), and Enter takes it.
rm -rf "$home/cache"
ui chain-gone 120x40 "make the light warmer<Enter><wait-idle><dump $tmp/chain-gone.mid><Enter><wait-idle>"
why="$(tail -n 1 "$tmp/chain-gone.mid"); $(grep -c 'light warmer' "$tmp/chain-gone.mid")"
check "offers a new conversation when the API lost the old one" all \
    "grep -q 'conversation gone from the API (kept 30 days): Enter starts a new one from turn 2.s image' '$tmp/chain-gone.mid'" \
    "grep -q '│make the light warmer' '$tmp/chain-gone.mid'" "grep -q 'image .*2-1.png' '$tmp/chain-gone.mid'" \
    "tail -n 1 '$tmp/chain-gone.mid' | grep -q '^ *new conversation │'"
why="$(grep '"kind":"request"' "$session/audit.jsonl" | tail -n 1 | cut -c1-400)"
check "Enter then starts it from the newest image" all \
    "[ \"\$(last_status \"\$session\")\" = '\"status\":\"completed\"' ]" \
    "grep '\"kind\":\"request\"' '$session/audit.jsonl' | tail -n 1 | grep -q '\"previous_response_id\":null'" \
    "grep '\"kind\":\"request\"' '$session/audit.jsonl' | tail -n 1 | grep -q 'images/2-1.png'"
keep_home=

# Cancel: against a slow server (easel mock --delay), Esc ends the request and the log's last
# result says cancelled.
start_mock --delay 2000
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-canary ui cancel 100x30 'a slow fox<Enter><sleep 300><Esc>'
why="rc=$rc status=$(last_status "$session") $(cat "$tmp/cancel.err")"
check "cancels with Esc" all '[ -n "$session" ]' \
    "[ \"\$(last_status \"\$session\")\" = '\"status\":\"cancelled\"' ]"
why="$(tail -n 1 "$tmp/cancel.screen")"
check "says cancelled, once" sh -c "tail -n 1 '$tmp/cancel.screen' | grep -q 'turn 1 cancelled *F1 help'"
why="$(grep -n 'slow fox' "$tmp/cancel.screen")"
check "gives the cancelled prompt back to the editor" has cancel "│a slow fox"
why="the banner shows with a key"
check "shows no offline banner with a key" sh -c "! grep -q OFFLINE '$tmp/cancel.screen'"

# Switching sessions while one generates: the first request streams from the slow server
# while a new session is opened, typed into and sent; both complete.
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-canary ui switch 120x40 \
    "first fox<Enter><sleep 200><C-n>second fox<dump $tmp/switch.mid><Enter><wait-idle>"
why="$(cat "$tmp/switch.mid" | tail -n 3)"
check "types into another session while one generates" sh -c "grep -q '│second fox' '$tmp/switch.mid' && grep -q '+1 generating' '$tmp/switch.mid'"
n=$(grep -l '"status":"completed"' "$home"/data/easel/sessions/*/audit.jsonl 2>/dev/null | wc -l)
why="$n sessions completed; $(cat "$tmp/switch.err")"
check "both sessions' requests complete" [ "$n" -eq 2 ]
stop_mock

# Resize from 200x60 to 80x24: the screen is exactly 80x24 and nothing of the large layout
# (its session column, its long banner) is left.
ui resize 200x60 "a wide fox<dump $tmp/resize.big><resize 80x24>"
why="$(wc -l <"$tmp/resize.screen") lines, widest $(wc -L <"$tmp/resize.screen")"
check "re-flows to 80x24" all '[ "$(wc -l <"$tmp/resize.screen")" -eq 24 ]' '[ "$(wc -L <"$tmp/resize.screen")" -le 80 ]'
why="$(grep -n 'Sessions\|nothing is sent' "$tmp/resize.screen")"
check "leaves no text behind" sh -c "grep -q Sessions '$tmp/resize.big' && ! grep -q Sessions '$tmp/resize.screen' && ! grep -q 'nothing is sent or billed' '$tmp/resize.screen'"
check "keeps the prompt across the resize" has resize "│a wide fox"

# Help: the overlay lists every action of the table (the same table the man page's KEYS
# section is printed from).
ui help 120x130 '<F1>' # tall enough for every action and the mouse
"$EASEL" --keys-man >"$tmp/keys.man"
missing=$(sed -n '/^\.SS Mouse/q;/^\.TP/{n;n;p}' "$tmp/keys.man" | sed 's/\\-/-/g' | while IFS= read -r line; do
    grep -qF -- "$line" "$tmp/help.screen" || echo "$line"; done)
why="missing: $missing"
check "help lists every action" all '[ -z "$missing" ]' '[ "$(grep -c "^\.TP" "$tmp/keys.man")" -ge 40 ]'
# The mouse's lines are wrapped in the overlay: each gesture and its text's first words.
missing=$(sed -n '/^\.SS Mouse/,${/^\.TP/{n;s/^\.B //;p;n;s/^\(\([^ ]* \)\{4\}\).*/\1/;p}}' "$tmp/keys.man" |
    while IFS= read -r line; do grep -qF -- "$line" "$tmp/help.screen" || echo "$line"; done)
why="missing: $missing"
check "help says what the mouse does" all '[ -z "$missing" ]' "grep -q '^\.SS Mouse' '$tmp/keys.man'"
ui help-close 80x24 '<F1><Esc>'
why="$(sed -n 2p "$tmp/help-close.screen")"
check "help closes with Esc" sh -c "! grep -q 'Keys (Esc closes)' '$tmp/help-close.screen'"

# The parameter panel: Right steps the size through the aspect presets, which resolve to the
# model's nearest size; a bad value typed in is named with the rule.
ui params 120x40 '<Tab><Down><Right><Right><Right>'
why="$(grep -n 'size' "$tmp/params.screen")"
check "steps size to an aspect preset" sh -c "grep -q 'size *4:5 → [0-9]*x[0-9]*' '$tmp/params.screen'"
ui params-bad 120x40 '<Tab><Down><Enter>7x7<Enter>'
why="$(grep -n 'size\|not valid' "$tmp/params-bad.screen")"
check "validates a typed value live" sh -c "grep -q 'not valid' '$tmp/params-bad.screen' && grep -q \"size '7x7'\" '$tmp/params-bad.screen'"

# Themes: an unknown one is refused before the screen starts; NO_COLOR still works.
printf '' >"$tmp/empty.keys"
XDG_CONFIG_HOME="$tmp/nocfg" EASEL_UI_SCRIPT="$tmp/empty.keys" "$EASEL" --theme no-such-theme >/dev/null 2>"$tmp/theme.err"
rc=$?
why="rc=$rc $(cat "$tmp/theme.err")"
check "refuses an unknown theme" sh -c "[ $rc -eq 2 ] && grep -q no-such-theme '$tmp/theme.err'"
NO_COLOR=1 ui nocolor 80x24 'mono'
why="rc=$rc"
check "runs under NO_COLOR" sh -c "[ $rc -eq 0 ] && grep -qF '│mono' '$tmp/nocolor.screen'"

# Theme files: one in $XDG_CONFIG_HOME/easel/themes is found by name; a bad line is named.
mkdir -p "$tmp/tcfg/easel/themes"
printf '# mine\ntitle = red black bold\nbanner = 208 default reverse\n' >"$tmp/tcfg/easel/themes/mine.theme"
printf 'title = purple\n' >"$tmp/tcfg/easel/themes/bad.theme"
XDG_CONFIG_HOME="$tmp/tcfg" XDG_DATA_HOME="$tmp/tdata" EASEL_UI_SCRIPT="$tmp/empty.keys" \
    timeout 30 "$EASEL" --theme mine >"$tmp/theme.screen" 2>"$tmp/theme.err"
rc=$?
why="rc=$rc $(cat "$tmp/theme.err")"
check "loads a theme file" sh -c "[ $rc -eq 0 ] && grep -q Prompt '$tmp/theme.screen'"
XDG_CONFIG_HOME="$tmp/tcfg" EASEL_UI_SCRIPT="$tmp/empty.keys" "$EASEL" --theme bad \
    >/dev/null 2>"$tmp/theme.err"
rc=$?
why="rc=$rc $(cat "$tmp/theme.err")"
check "names a bad theme line" sh -c "[ $rc -eq 2 ] && grep -q 'bad.theme, line 1' '$tmp/theme.err'"

# Many sessions: the first frame is drawn once a screenful is read, the rest follow between
# keys (the trace says when), and all of them end up in the list, oldest last.
many="$tmp/home.many/data/easel/sessions"
i=0
while [ $i -lt 300 ]; do
    id=$(printf '20260101-%06d-%04x' "$i" "$i")
    mkdir -p "$many/$id"
    printf '{"v": 1, "id": "%s", "name": "many-%d", "created": "2026-01-01T%02d:%02d:%02d.000Z"}\n' \
        "$id" "$i" $((i / 3600)) $((i / 60 % 60)) $((i % 60)) >"$many/$id/session.json"
    i=$((i + 1))
done
EASEL_UI_TRACE="$tmp/many.trace" ui many 160x40 '<wait-idle><S-Tab><S-Tab><S-Tab><End>'
why="$(grep -v 'key\|decode\|picture' "$tmp/many.trace")"
check "draws before reading every session" awk '$2 == "first-frame" { f = NR } $2 == "sessions-loaded" { l = NR; n = $3 }
    END { exit !(f && l > f && n == "count=300") }' "$tmp/many.trace"
why="$(sed -n 2,6p "$tmp/many.screen")"
check "lists every session, the oldest last" all "has many 'Sessions (300)'" "has many ' many-0 '"

# The history: timings and parameters per turn; b on turn 1 makes the next send a branch
# from it (the status bar says so, the log's request names parent_turn 1); y copies the
# revised prompt to the clipboard with OSC 52 (the trace counts what went out).
EASEL_UI_TRACE="$tmp/history.trace" ui history 140x44 \
    "a red fox<Enter><wait-idle>a blue fox<Enter><wait-idle><S-Tab><Up>b<Tab>a green fox<dump $tmp/history.mid><Enter><wait-idle><S-Tab>y"
why="$(grep -n 'params\|first frame' "$tmp/history.screen")"
check "shows timings and parameters per turn" all "has history 'first frame'" "has history 'params: responses · gpt-image-2'"
why="$(tail -n 1 "$tmp/history.mid")"
check "says the next send branches" sh -c "tail -n 1 '$tmp/history.mid' | grep -q 'from turn 1 │'"
why="$(grep -o '"parent_turn":[0-9a-z]*' "$session/audit.jsonl" | tr '\n' ' ')"
check "branches from an earlier turn" all "[ \"\$(grep -o '\"parent_turn\":[0-9a-z]*' '$session/audit.jsonl' | tail -n 1)\" = '\"parent_turn\":1' ]" \
    "has history '#3 from #1 '"
revised=$(grep '"kind":"result"' "$session/audit.jsonl" | tail -n 1 | sed 's/.*"revised_prompt":"\([^"]*\)".*/\1/')
why="$(grep clipboard "$tmp/history.trace") for ${#revised} characters"
check "copies the revised prompt with OSC 52" grep -q "clipboard bytes=${#revised}\$" "$tmp/history.trace"

# C-r searches the prompts sent before, newest first (C-r again: older); Enter takes the one
# found into the editor without sending it.
ui search 120x40 "a red fox<Enter><wait-idle>a red cat<Enter><wait-idle>red<C-r>rEd<dump $tmp/search.mid><C-r><Enter>"
why="$(grep -n 'red\|search' "$tmp/search.mid" "$tmp/search.screen" | tail -n 6)"
check "searches the prompts with C-r" all "grep -q '│a red cat' '$tmp/search.mid'" "grep -q 'reverse search: rEd' '$tmp/search.mid'" \
    "grep -q '│a red fox *│' '$tmp/search.screen'"
why="$(grep -c '"kind":"request"' "$session/audit.jsonl") requests"
check "takes a search's prompt without sending it" [ "$(grep -c '"kind":"request"' "$session/audit.jsonl")" -eq 2 ]

# A path pasted into the image question is its answer's text (the pasted newline does not
# answer it), and the prompt is left alone.
ui paste-path 120x40 "a fox<Tab><End><Up><Enter><PasteStart>/tmp/pasted.png<Enter><PasteEnd>"
why="$(tail -n 1 "$tmp/paste-path.screen")"
check "pastes a path into the question" all \
    "has paste-path 'attach an image (Tab completes): /tmp/pasted.png'" "has paste-path '│a fox '"

# Bracketed paste: a pasted newline goes into the prompt, and nothing is sent.
ui paste 80x24 '<PasteStart>pasted line one<Enter>pasted line two<PasteEnd>'
why="$(sed -n 15,20p "$tmp/paste.screen")"
check "pastes newlines into the prompt" all "has paste '│pasted line one '" "has paste '│pasted line two'" '[ -z "$session" ]'

# The session list: r renames the selected session (a question on the status bar); d twice
# moves one to $XDG_DATA_HOME/easel/trash (moved, never deleted); a generating one is refused.
ui rename 160x40 "one<Enter><wait-idle><C-n>two<Enter><wait-idle><S-Tab><S-Tab><S-Tab>rfox studio<Enter><Down>dd"
names=$(cat "$home"/data/easel/sessions/*/session.json | grep -o '"name": *"[^"]*"' | tr '\n' ' ')
why="sessions: $(ls "$home/data/easel/sessions" | wc -l), trash: $(ls "$home/data/easel/trash" 2>/dev/null | wc -l), $names"
check "renames a session" all "echo '$names' | grep -q 'fox studio'" "has rename 'fox studio'"
check "moves a session to the trash" all '[ "$(ls "$home/data/easel/sessions" | wc -l)" -eq 1 ]' \
    '[ -s "$(ls -d "$home"/data/easel/trash/*/ | head -n 1)/audit.jsonl" ]' "has rename 'moved to '"
start_mock --delay 1000
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-canary ui trash-busy 160x40 \
    "slow<Enter><sleep 200><S-Tab><S-Tab><S-Tab>dd<dump $tmp/trash-busy.mid><Esc>"
stop_mock
why="$(tail -n 1 "$tmp/trash-busy.mid")"
check "refuses to trash a generating session" all "grep -q 'is generating' '$tmp/trash-busy.mid'" \
    '[ ! -d "$home/data/easel/trash" ]'

# Attaching an image: Enter on the parameter panel's image row asks for a path on the status
# bar, where Tab completes the last component (the common prefix of several matches, listed;
# then a unique one); the send carries the file, and d removes it again.
pics="$tmp/pics"
mkdir -p "$pics"
cp "$(ls "$tmp"/home.generate/data/easel/sessions/*/images/1-1.png | head -n 1)" "$pics/fox-ref.png"
printf 'not a picture\n' >"$pics/fox-raw.txt"
mkdir -p "$pics/sub" "$pics/.hidden"
ui attach 120x40 "warmer light<Tab><End><Up><Enter>$pics/fox<Tab><dump $tmp/attach.tab1>e<Tab><dump $tmp/attach.tab2><Enter><dump $tmp/attach.mid><S-Tab><Enter><wait-idle><Tab>d"
why="$(tail -n 1 "$tmp/attach.tab1")"
check "completes a path to the common prefix and lists the matches" \
    grep -q "attach an image (Tab completes): $pics/fox-r .*fox-raw.txt  fox-ref.png" "$tmp/attach.tab1"
why="$(tail -n 1 "$tmp/attach.tab2")"
check "completes a unique path" grep -q "attach an image (Tab completes): $pics/fox-ref.png *$" "$tmp/attach.tab2"
why="$(grep -n 'image' "$tmp/attach.mid")"
check "shows the attached image in the parameters" grep -q '│ image  *fox-ref.png' "$tmp/attach.mid"
sent=$(grep '"kind":"request"' "$session/audit.jsonl" 2>/dev/null | grep -cF "\"path\":\"$pics/fox-ref.png\"")
why="$(grep '"kind":"request"' "$session/audit.jsonl" 2>/dev/null | cut -c1-400)"
check "sends the attached image" [ "$sent" -eq 1 ]
sum=$(sha256sum "$pics/fox-ref.png" | cut -d' ' -f1)
check "logs the attached image as an input and keeps its copy" all \
    "grep '\"kind\":\"request\"' '$session/audit.jsonl' | grep -q '\"inputs\":\[{\"role\":\"[a-z]*\",\"sha256\":\"$sum\",.*\"source\":\"$pics/fox-ref.png\"'" \
    "cmp -s '$pics/fox-ref.png' '$session/inputs/$sum.png'"
why="$(grep -n 'image\|removed' "$tmp/attach.screen")"
check "removes the attached image with d" all "grep -q '│ image  *none' '$tmp/attach.screen'" "has attach 'removed fox-ref.png (0 left)'"

# A lone folder gains its '/'; nothing matching says so; hidden names only when asked for.
ui attach-dir 120x40 "<Tab><End><Up><Enter>$pics/s<Tab><dump $tmp/attach.dir><C-u>$pics/zz<Tab><dump $tmp/attach.none><C-u>$pics/.h<Tab><dump $tmp/attach.hidden><C-u>$pics/<Tab><dump $tmp/attach.all><Esc>"
why="$(tail -qn 1 "$tmp/attach.dir" "$tmp/attach.none" "$tmp/attach.hidden" "$tmp/attach.all")"
check "completes a folder, says no match, completes hidden names when asked" all \
    "grep -q 'completes): $pics/sub/ *\$' '$tmp/attach.dir'" "grep -q 'completes): $pics/zz  *no match' '$tmp/attach.none'" \
    "grep -q 'completes): $pics/.hidden/ *\$' '$tmp/attach.hidden'" \
    "grep -q 'completes): $pics/  *fox-raw.txt  fox-ref.png  sub *\$' '$tmp/attach.all'"

# Several images (Images API, count 2): the preview shows them as a grid with the cells
# numbered; Right selects the second and Enter makes it the image the next send edits.
ui grid 120x40 "<Tab><Down><Down><Down><Right><Right><Down><Down><Down><Down><Down><Down><Right><Right><S-Tab>two foxes<Enter><wait-idle><dump $tmp/grid.mid><Tab><Tab><Tab><Right><Enter><dump $tmp/grid.pick><Tab><Tab>warmer<Enter><wait-idle>"
why="$(grep -n 'images' "$tmp/grid.mid" | head -n 3)"
check "shows a turn's two images as a grid" grep -q 'turn 1 · 2 images · \[1\] 2 ·' "$tmp/grid.mid"
why="$(grep -n 'images\|attached' "$tmp/grid.pick" | head -n 4)"
check "picks the second cell" all "grep -q 'turn 1 · 2 images · 1 \[2\] ·' '$tmp/grid.pick'" "grep -q '│ image  *1-2.png' '$tmp/grid.pick'" \
    "grep -q '1-2.png: the next send edits it' '$tmp/grid.pick'"
sent=$(grep '"kind":"request"' "$session/audit.jsonl" 2>/dev/null | grep '"turn":2' | grep -cF 'images/1-2.png')
why="$(grep '"kind":"request"' "$session/audit.jsonl" 2>/dev/null | tail -n 1 | cut -c1-500)"
check "edits the picked image in the next turn" [ "$sent" -eq 1 ]

# Comparing two turns: m marks turn 1 in the history, c on turn 2 shows both side by side in
# the preview (turn 1 on the left), each image in its own half.
EASEL_UI_TRACE="$tmp/compare.trace" ui compare 120x40 "a red fox<Enter><wait-idle>a blue fox<Enter><wait-idle><S-Tab><Up>m<Down>c"
why="$(grep -n 'turn\|marked' "$tmp/compare.screen" | head -n 6)"
check "marks a turn and compares it with another" all "grep -q '#1 \[marked\]' '$tmp/compare.screen'" \
    "grep -q 'turn 1 | turn 2 · \[1\] 2 ·' '$tmp/compare.screen'"
why="$(tail -n 3 "$tmp/compare.trace")"
check "draws the comparison as a picture" sh -c "grep ' decode \| picture ' '$tmp/compare.trace' | tail -n 1 | grep -q ' picture '"

# Avatar sizes: a in the history shows the turn's image at 32, 64 and 128 px, square and
# circle, drawn unscaled; a preview too small for all six shows those that fit and says what
# it left out (issue 11).
EASEL_UI_TRACE="$tmp/avatar.trace" ui avatar 200x60 "a red fox<Enter><wait-idle><S-Tab>a"
why="$(sed -n 3,4p "$tmp/avatar.screen"; tail -n 2 "$tmp/avatar.trace")"
check "shows avatar sizes" all "has avatar 'turn 1 · avatar sizes 32, 64, 128 px · square and circle'" \
    "! has avatar 'too small'" "grep ' decode \| picture ' '$tmp/avatar.trace' | tail -n 1 | grep -q ' picture '" \
    "grep -q ' avatar .* squares=3 circles=3 ' '$tmp/avatar.trace'"
EASEL_UI_TRACE="$tmp/avatar-small.trace" ui avatar-small 120x40 "a red fox<Enter><wait-idle><S-Tab>a"
why="$(sed -n 3,4p "$tmp/avatar-small.screen"; grep ' avatar \| picture ' "$tmp/avatar-small.trace" | tail -n 2)"
check "a small preview shows the avatar sizes that fit" all "has avatar-small 'turn 1 · avatar, no room for 128 px'" \
    "grep -q ' avatar .* squares=3 circles=2 ' '$tmp/avatar-small.trace'" \
    "grep ' decode \| picture ' '$tmp/avatar-small.trace' | tail -n 1 | grep -q ' picture '"

# Drawing a mask: M in the preview, r adds a rectangle, Right moves it, Enter accepts; the
# next send (Images API) edits the image shown with a mask of its size.
ui mask 120x40 "<Tab><Down><Down><Down><Down><Down><Down><Down><Down><Down><Right><Right><S-Tab>a red fox<Enter><wait-idle><Tab><Tab><Tab>Mr<Right><dump $tmp/mask.mid><Enter><dump $tmp/mask.accept><Tab><Tab>a blue hat<Enter><wait-idle>"
why="$(grep -n 'mask' "$tmp/mask.mid" "$tmp/mask.accept" | head -n 6)"
check "draws a rectangle in the mask mode" grep -q 'mask · \[1 rect 55%,50% 40x40%\] · Enter accepts' "$tmp/mask.mid"
check "accepts the mask" all "grep -q '│ image  *1-1.png' '$tmp/mask.accept'" "! grep -q '│ mask  *none' '$tmp/mask.accept'" \
    "grep -q 'with the mask mask-1.png: the next send edits it' '$tmp/mask.accept'"
req=$(grep '"kind":"request"' "$session/audit.jsonl" 2>/dev/null | grep '"turn":2')
why="$(printf '%s' "$req" | cut -c1-700)"
check "edits with the mask in the next turn" all \
    "printf '%s' '$req' | grep -q '\"mask\":{\"path\":\"[^\"]*/masks/mask-1.png\",\"sha256\":\"[0-9a-f]\{64\}\"}'" \
    "printf '%s' '$req' | grep -q '\"endpoint\":\"[^\"]*/v1/images/edits\"'" \
    "printf '%s' '$req' | grep -q '\"image\":\[{\"path\":\"[^\"]*/images/1-1.png\"'" \
    "[ \"\$(last_status \"\$session\")\" = '\"status\":\"completed\"' ]"
why="$(file "$session/masks/mask-1.png" 2>&1)"
check "writes the mask at the image's size" sh -c "file '$session/masks/mask-1.png' | grep -q '1024 x 1024'"
# The masked image was that send's: afterwards nothing is attached, so the next turn goes on
# from the newest image rather than editing the old one again.
why="$(grep -n '│ image \|│ mask ' "$tmp/mask.screen")"
check "lets go of the masked image once sent" all "grep -q '│ image  *none' '$tmp/mask.screen'" \
    "grep -q '│ mask  *none' '$tmp/mask.screen'"
# The Responses API carries it as the tool's input_image_mask; an ellipse, Tab and x too.
ui mask-responses 120x40 "a red fox<Enter><wait-idle><Tab><Tab><Tab>Mrex<Tab>LJ<Enter><Tab><Tab>a blue hat<Enter><wait-idle>"
req=$(grep '"kind":"request"' "$session/audit.jsonl" 2>/dev/null | grep '"turn":2')
why="$(printf '%s' "$req" | cut -c1-900)"
check "edits with the mask on the Responses API" all \
    "printf '%s' '$req' | grep -q '\"input_image_mask\":{\"path\":\"[^\"]*/masks/mask-1.png\",\"sha256\":\"[0-9a-f]\{64\}\"}'" \
    "[ \"\$(last_status \"\$session\")\" = '\"status\":\"completed\"' ]"
ui mask-leave 120x40 "a red fox<Enter><wait-idle><Tab><Tab><Tab>Mee<Tab>x<Esc>"
why="$(grep -n 'mask\|Preview' "$tmp/mask-leave.screen" | head -n 4)"
check "leaves the mask mode on Esc" all "has mask-leave 'mask mode left'" "! has mask-leave 'Enter accepts'" "grep -q '│ mask  *none' '$tmp/mask-leave.screen'"
