#!/bin/sh
# SPDX-License-Identifier: MIT
# A newline in the prompt from a real xterm under Xvfb (issue 17, item 5). In xterm's default
# configuration Alt sets the eighth bit (eightBitInput; metaSendsEscape off), so Alt-Enter is
# U+008D, not ESC CR, and xterm itself takes Alt-Return for its fullscreen action, so C-o is
# the newline that always works there. Keys are typed with xdotool (XTEST) into an xterm that
# runs the workbench on the offline backend; the prompt sent (in the session's log) must have
# its newlines:
#   default xterm: "one", Alt-Ctrl-M (the 8-bit meta Alt-Enter bytes, U+008D), "two", C-o,
#                  "three", Enter;
#   fullscreen's translation omitted: "one", Alt-Return (U+008D now), "two", Enter;
#   and metaSendsEscape on too: "one", Alt-Return (ESC CR), "two", Enter.
# Skips without Xvfb, xterm, xdotool or xwininfo.
: "${EASEL:?set EASEL to the easel binary}"
name="xterm-newline"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb xterm xdotool xwininfo
tmp=$(mktemp -d)
trap x11_cleanup EXIT
trap 'exit 1' INT TERM
x11_start 1024x768x24 || exit 0

# typed RUN XRM XRM2 KEYS...: the workbench in an xterm with the resources XRM and XRM2 (or none), the keys
# typed (words, or "+key" for an xdotool key), then Enter; sets $prompt to the prompt sent, as
# JSON.
typed() {
    run="$tmp/$1" xrm=$2 xrm2=$3
    shift 3
    mkdir -p "$run/home"
    env -u TERM_PROGRAM -u KITTY_WINDOW_ID -u KITTY_PID -u LC_TERMINAL -u TMUX -u STY \
        -u OPENAI_API_KEY -u OPENAI_BASE_URL -u NO_COLOR LC_ALL=C.UTF-8 \
        XDG_DATA_HOME="$run/home/data" XDG_CONFIG_HOME="$run/home/config" \
        XDG_CACHE_HOME="$run/home/cache" EASEL_UI_TRACE="$run/trace" \
        xterm -fa "$x11_fa" ${xrm:+-xrm "$xrm"} ${xrm2:+-xrm "$xrm2"} -geometry 100x30 -e sh -c '"$1" 2>"$2"; echo $? >"$3"' \
        sh "$EASEL" "$run/err" "$run/rc" >"$run/xterm.log" 2>&1 &
    xpid=$!
    x11_track $xpid
    prompt=
    if ! x11_terminal XTerm 100 30 20; then
        echo "not ok $name: no xterm window in 20 s: $(cat "$run/xterm.log")"
        return
    fi
    i=0
    while ! grep -q first-frame "$run/trace" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
    wid=$(xdotool search --class XTerm | head -n 1)
    xdotool windowfocus --sync "$wid" 2>/dev/null || xdotool windowfocus "$wid"
    sleep 0.3
    for k in "$@"; do
        case $k in
        +*) xdotool key "${k#+}" ;;
        *) xdotool type --delay 30 "$k" ;;
        esac
    done
    sleep 0.3
    xdotool key Return
    log= i=0
    while [ $i -lt 150 ]; do
        log=$(ls "$run"/home/data/easel/sessions/*/audit.jsonl 2>/dev/null | head -n 1)
        [ -n "$log" ] && grep -q '"kind":"result"' "$log" && break
        sleep 0.2
        i=$((i + 1))
    done
    xdotool key ctrl+q
    x11_wait_file "$run/rc" 10
    x11_kill $xpid
    prompt=$(grep '"kind":"request"' "$log" 2>/dev/null | head -n 1 |
        python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.readline())["prompt"]))' 2>/dev/null)
}

# expect WHAT JSON: the prompt sent was JSON.
expect() {
    if [ "$prompt" = "$2" ]; then
        echo "ok $name $1"
    else
        printf 'not ok %s %s: sent %s, not %s %s\n' "$name" "$1" "${prompt:-nothing}" "$2" "$(cat "$run/err" 2>/dev/null)"
    fi
}

typed default '' '' one +alt+ctrl+m two +ctrl+o three
expect "Alt-Enter as 8-bit meta (U+008D) and C-o insert newlines in a default xterm" '"one\ntwo\nthree"'
typed eightbit 'XTerm*omitTranslation: fullscreen' '' one +alt+Return two
expect "Alt-Return sent as 8-bit meta inserts a newline" '"one\ntwo"'
typed escape 'XTerm*omitTranslation: fullscreen' 'XTerm*metaSendsEscape: true' one +alt+Return two
expect "Alt-Return sent as ESC CR inserts a newline" '"one\ntwo"'
