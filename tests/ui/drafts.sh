#!/bin/sh
# SPDX-License-Identifier: MIT
# Nothing typed is lost in the workbench (issue 12, item 5; design.md 7, "Drafts"), driven by
# scripted keys (EASEL_UI_SCRIPT) with the screen dumped as text: the prompt, the attached
# image and the parameter panel's values come back after a quit, a kill -9 once the debounce
# passed, and a SIGHUP, for a session on disk (session.json's `draft`) and for one not created
# yet ($XDG_DATA_HOME/easel/draft.json); a prompt recalled from the history (p, C-r) is undone
# with C-_; a new conversation keeps the references attached; a refused call makes no session.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; stop_mock; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR

ok() { echo "ok ui-drafts $1"; }
not_ok() { echo "not ok ui-drafts $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

# ui HOME NAME KEYS: the workbench at 120x40 on $tmp/HOME with the keys of KEYS; the final
# screen goes to $tmp/NAME.screen. uibg does the same in the background ($pid).
env_for() {
    echo "XDG_DATA_HOME=$tmp/$1/data XDG_CONFIG_HOME=$tmp/$1/config XDG_CACHE_HOME=$tmp/$1/cache EASEL_UI_SIZE=120x40"
}
ui() {
    mkdir -p "$tmp/$1"
    printf '%s' "$3" >"$tmp/$2.keys"
    env $(env_for "$1") EASEL_UI_SCRIPT="$tmp/$2.keys" timeout 60 "$EASEL" \
        >"$tmp/$2.screen" 2>"$tmp/$2.err"
    rc=$?
}
uibg() {
    mkdir -p "$tmp/$1"
    printf '%s' "$3" >"$tmp/$2.keys"
    # No timeout(1) in between: the signals must reach easel itself.
    env $(env_for "$1") EASEL_UI_SCRIPT="$tmp/$2.keys" "$EASEL" \
        >"$tmp/$2.screen" 2>"$tmp/$2.err" &
    pid=$!
}
# ready NAME: waits (up to 20 s) for the dump a background run makes once its keys are typed.
ready() {
    i=0; while [ ! -s "$tmp/$1.ready" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
}
has() { grep -qF -- "$2" "$tmp/$1.screen"; }
sessions() { ls -d "$tmp/$1"/data/easel/sessions/*/ 2>/dev/null | wc -l; }
# back NAME PROMPT: the three are on the screen: the prompt, quality medium and format jpeg
# (two steps right from their defaults), the image ref.png.
back() {
    all "has $1 '│$2'" "grep -q '│ quality  *medium' '$tmp/$1.screen'" \
        "grep -q '│ format  *jpeg' '$tmp/$1.screen'" "grep -q '│ image  *ref.png' '$tmp/$1.screen'"
}
# A session with a turn, whose image is the reference attached below (one the API takes).
ui old first 'a red fox<Enter><wait-idle>'
pics="$tmp/pics"
mkdir -p "$pics"
cp "$(ls "$tmp"/old/data/easel/sessions/*/images/1-1.png)" "$pics/ref.png"
# The keys that change two parameters and attach ref.png: Tab to the panel, quality (3rd row)
# two steps right, format (5th) two steps right, then End Up to the image row and Enter.
set_three="<Tab><Down><Down><Right><Right><Down><Down><Right><Right><End><Up><Enter>$pics/ref.png<Enter><S-Tab>"

# A new session (nothing sent yet): the draft goes to $XDG_DATA_HOME/easel/draft.json, 0600,
# and no session folder is made for it; started again, the new session is shown with it.
ui new type "a fox not sent yet$set_three"
f="$tmp/new/data/easel/draft.json"
why="$(ls -l "$f" 2>&1) $(cat "$f" 2>/dev/null)"
check "keeps a new session's draft in draft.json, 0600" all '[ "$(stat -c %a "$f")" = 600 ]' \
    "grep -q '\"prompt\":\"a fox not sent yet\"' '$f'" '[ "$(sessions new)" -eq 0 ]'
ui new again ''
why="$(grep -n 'fox\|quality\|format\|image\|new session' "$tmp/again.screen")"
check "brings a new session's draft back after a quit" all "back again 'a fox not sent yet'" \
    "has again '(new session)'"

# The session on disk: the draft is session.json's `draft`, the values its `defaults` too.
ui old type2 "my own draft$set_three"
sj=$(ls "$tmp"/old/data/easel/sessions/*/session.json)
why="$(cat "$sj")"
check "keeps a session's draft in session.json" all "grep -q '\"prompt\": \"my own draft\"' '$sj'" \
    "grep -q '\"quality\": \"medium\"' '$sj'" '[ "$(sessions old)" -eq 1 ]'
ui old again2 ''
why="$(grep -n 'draft\|quality\|format\|image' "$tmp/again2.screen")"
check "brings a session's draft back after a quit" back again2 'my own draft'
# A turn completing later rewrites session.json: the draft stays.
ui old send2 '<C-u>a blue fox<Enter><wait-idle>left over'
ui old again3 ''
why="$(grep -n 'left over' "$tmp/again3.screen") $(grep -c '"draft"' "$sj")"
check "keeps the draft through a turn's rewrite of session.json" has again3 '│left over'

# kill -9 once the debounce passed (half a second): what was typed is on disk.
uibg old killed "<C-u>typed before the crash<dump $tmp/killed.ready><wait-file $tmp/never>"
ready killed
sleep 1
kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=
ui old after-kill ''
why="$(grep -n 'crash' "$tmp/after-kill.screen")"
check "brings the draft back after kill -9" has after-kill '│typed before the crash'

# A hangup: saved on the way out, at once (no debounce to wait for).
uibg old hup "<C-u>typed before the hangup<dump $tmp/hup.ready><wait-file $tmp/never>"
ready hup
kill -HUP "$pid"
i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
why="still running after a SIGHUP"
check "quits on SIGHUP" sh -c "! kill -0 $pid 2>/dev/null"
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
ui old after-hup ''
why="$(grep -n 'hangup' "$tmp/after-hup.screen")"
check "brings the draft back after a SIGHUP" has after-hup '│typed before the hangup'

# p on a history turn replaces the draft; C-_ brings it back (and the status bar says how).
ui old undo "<C-u>half a thought<S-Tab><Home>p<dump $tmp/undo.mid><C-_>"
why="$(grep -n 'thought\|red fox\|C-_' "$tmp/undo.mid" "$tmp/undo.screen" | head)"
check "p on a history turn replaces the draft and says it is kept" all \
    "grep -q '│a red fox  ' '$tmp/undo.mid'" "grep -q 'C-_ (or C-x u) brings it back' '$tmp/undo.mid'"
check "undo brings the draft back" has undo '│half a thought'
# C-r then Enter: the same.
ui old undo-search "<C-u>another thought<C-r>blue<Enter><dump $tmp/undo-search.mid><C-x>u"
why="$(grep -n 'thought\|blue fox' "$tmp/undo-search.mid" "$tmp/undo-search.screen" | head)"
check "C-r then Enter, then C-x u brings the draft back" all \
    "grep -q '│a blue fox' '$tmp/undo-search.mid'" "has undo-search '│another thought'"

# Switching sessions: each keeps its own draft.
ui old switch "<C-u>draft of the old one<C-n>draft of the new one<M-n><dump $tmp/switch.mid><M-p>"
why="$(grep -n 'draft of' "$tmp/switch.mid" "$tmp/switch.screen")"
check "keeps a draft per session" all "grep -q '│draft of the old one' '$tmp/switch.mid'" \
    "has switch '│draft of the new one'"

# The conversation gone from the API: the way on (the newest image) goes first and the
# reference attached by hand stays attached, in that send and after it.
ui chain first "a red fox<Enter><wait-idle><Tab><End><Up><Enter>$pics/ref.png<Enter><S-Tab>"
rm -rf "$tmp/chain/cache"
ui chain gone "make it warmer<Enter><wait-idle><Enter><wait-idle>"
log=$(ls "$tmp"/chain/data/easel/sessions/*/audit.jsonl)
req=$(grep '"kind":"request"' "$log" | tail -n 1)
why="$(printf '%s' "$req" | cut -c1-600); $(grep -n '│ image' "$tmp/gone.screen")"
check "a new conversation keeps the references attached" all \
    "printf '%s' '$req' | grep -q 'images/1-1.png'" "printf '%s' '$req' | grep -qF '$pics/ref.png'" \
    "printf '%s' '$req' | grep -q '\"previous_response_id\":null'" \
    "grep -q '│ image  *ref.png' '$tmp/gone.screen'"

# Refused before sending: a file that is not there (a mask typed wrong; the image with it is
# fine), and an image a draft names that was deleted since.
ui missing refused "a fox<Tab><End><Up><Enter>$pics/ref.png<Enter><End><Enter>$pics/gone.png<Enter><S-Tab><Enter>"
why="$(tail -n 1 "$tmp/refused.screen"); sessions: $(sessions missing)"
check "a call refused for a missing file makes no session" all '[ "$(sessions missing)" -eq 0 ]' \
    "tail -n 1 '$tmp/refused.screen' | grep -q 'gone.png'"
mkdir -p "$tmp/missing2/data/easel"
printf '{"images":["%s/gone.png"],"params":{},"prompt":"a fox"}\n' "$pics" \
    >"$tmp/missing2/data/easel/draft.json"
ui missing2 refused1 '<Enter>'
why="$(tail -n 1 "$tmp/refused1.screen"); sessions: $(sessions missing2)"
check "a call refused for a draft's deleted image makes no session" all \
    '[ "$(sessions missing2)" -eq 0 ]' "tail -n 1 '$tmp/refused1.screen' | grep -q 'nothing was sent'"
# ... a bad parameter, and a budget (its question answered no).
ui badparam refused2 'a fox<Tab><Down><Enter>7x7<Enter><S-Tab><Enter>'
why="$(tail -n 1 "$tmp/refused2.screen"); sessions: $(sessions badparam)"
check "a call refused for a bad parameter makes no session" all '[ "$(sessions badparam)" -eq 0 ]' \
    "tail -n 1 '$tmp/refused2.screen' | grep -q 'is not valid'"
start_mock
mkdir -p "$tmp/budget/config/easel"
printf 'session_budget_usd = 0.0001\n' >"$tmp/budget/config/easel/config"
chmod 600 "$tmp/budget/config/easel/config"
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-drafts ui budget refused3 'a fox<Enter>n'
stop_mock
why="$(tail -n 1 "$tmp/refused3.screen"); sessions: $(sessions budget)"
check "a call refused by the budget makes no session" all '[ "$(sessions budget)" -eq 0 ]' \
    "tail -n 1 '$tmp/refused3.screen' | grep -q 'not sent'"
