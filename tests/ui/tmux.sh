#!/bin/sh
# SPDX-License-Identifier: MIT
# The workbench in a real terminal: tmux runs it, send-keys types, capture-pane reads the
# screen (issue 5). A private tmux server (-L) keeps the user's own sessions out of it.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
sock="easel-test-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null; stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok tmux $1"; }
not_ok() { echo "not ok tmux $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

if ! command -v tmux >/dev/null 2>&1; then
    echo "ok tmux skipped: tmux is not installed"
    exit 0
fi

# start NAME [VAR=VALUE...]: the workbench in a detached 120x40 tmux session on a fresh home.
start() {
    name=$1; shift
    home="$tmp/home.$name"
    mkdir -p "$home"
    tmux -L "$sock" new-session -d -s "$name" -x 120 -y 40 \
        "env LC_ALL=C.UTF-8 TERM=screen-256color XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache $* '$EASEL' 2>$tmp/$name.err"
}
screen() { tmux -L "$sock" capture-pane -p -t "$1"; }
# wait_for NAME TEXT: polls the pane for up to 15 s.
wait_for() {
    i=0
    while [ $i -lt 150 ]; do
        screen "$1" 2>/dev/null | grep -qF -- "$2" && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

unset OPENAI_API_KEY OPENAI_BASE_URL
start gen
wait_for gen "Prompt"
tmux -L "$sock" send-keys -t gen 'a fox drawn in tmux' Enter
why="$(screen gen | tail -n 20)"
check "generates" wait_for gen "completed"
screen gen >"$tmp/gen.screen"
check "shows the turn in the history" grep -q "#1 .*completed" "$tmp/gen.screen"
check "shows the revised prompt" grep -q "revised: a fox drawn in tmux" "$tmp/gen.screen"
check "shows the offline banner" grep -q "OFFLINE" "$tmp/gen.screen"

# The words the rewriter added stand out (bold and underlined: the SGR before them), and y in
# the history copies the revised prompt with OSC 52, which tmux takes into its paste buffer
# when set-clipboard is on.
tmux -L "$sock" set -g set-clipboard on
tmux -L "$sock" send-keys -t gen BTab y
wait_for gen "copied"
revised=$(tmux -L "$sock" capture-pane -e -p -t gen | grep 'revised:' | head -n 1)
why="$(printf '%s' "$revised" | cat -v)"
check "highlights the words the rewriter added" sh -c "printf '%s' \"\$1\" | grep -q \"tmux$(printf '\033')\\[1;4m.*Rendered\"" - "$revised"
why="buffer: $(tmux -L "$sock" show-buffer 2>&1 | head -c 200)"
check "copies the revised prompt with OSC 52" sh -c "tmux -L '$sock' show-buffer | grep -q '^a fox drawn in tmux. Rendered as'"
tmux -L "$sock" send-keys -t gen Tab

# Alt-Enter inserts a newline (tmux sends ESC then CR), so the prompt has two lines.
tmux -L "$sock" send-keys -t gen 'line one' M-Enter 'line two'
why="$(screen gen | grep -n 'line')"
check "inserts a newline with Alt-Enter" sh -c "wait_for() { :; }; tmux -L '$sock' capture-pane -p -t gen | grep -q '│line one ' && tmux -L '$sock' capture-pane -p -t gen | grep -q '│line two'"

# A paste (tmux pastes bracketed, -p, since easel asked for it with CSI ?2004h): its
# newline goes into the prompt and nothing is sent.
tmux -L "$sock" send-keys -t gen C-u C-a C-k
tmux -L "$sock" set-buffer "$(printf 'pasted one\npasted two')"
tmux -L "$sock" paste-buffer -p -t gen
why="$(screen gen | grep -n 'pasted\|#2')"
check "pastes a newline into the prompt" sh -c "sleep 0.3; tmux -L '$sock' capture-pane -p -t gen | grep -q '│pasted one ' && tmux -L '$sock' capture-pane -p -t gen | grep -q '│pasted two' && ! tmux -L '$sock' capture-pane -p -t gen | grep -q '#2 '"
tmux -L "$sock" send-keys -t gen C-k C-u C-k C-u C-k C-u

# A resize re-flows the screen.
tmux -L "$sock" resize-window -t gen -x 80 -y 24
sleep 0.5
screen gen >"$tmp/small.screen"
why="$(cat "$tmp/small.screen")"
check "re-flows on resize" sh -c "[ \$(wc -L <'$tmp/small.screen') -le 80 ] && grep -q 'Prompt' '$tmp/small.screen' && ! grep -q 'Sessions' '$tmp/small.screen'"

# F1 opens the help, Esc closes it, C-q quits and the pane goes away.
tmux -L "$sock" send-keys -t gen F1
why="$(screen gen | head -n 5)"
check "opens the help with F1" wait_for gen "Keys (Esc closes)"
tmux -L "$sock" send-keys -t gen Escape
sleep 0.3
tmux -L "$sock" send-keys -t gen C-q
i=0
while tmux -L "$sock" has-session -t gen 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
why="still running: $(screen gen 2>/dev/null | tail -n 1)"
check "quits with C-q" sh -c "! tmux -L '$sock' has-session -t gen 2>/dev/null"

# A hangup while a request streams: the pane is killed (SIGHUP) while the slow server (half a
# second between events) streams; easel finishes the request, saves the image and logs it.
start_mock --delay 500
start hup "OPENAI_BASE_URL=$url OPENAI_API_KEY=sk-test-canary"
wait_for hup "Prompt"
tmux -L "$sock" send-keys -t hup 'a fox that outlives its terminal' Enter
wait_for hup "sent"
tmux -L "$sock" kill-session -t hup
i=0
log=
while [ $i -lt 300 ]; do
    log=$(ls "$tmp"/home.hup/data/easel/sessions/*/audit.jsonl 2>/dev/null | head -n 1)
    [ -n "$log" ] && grep -q '"kind":"result"' "$log" && break
    sleep 0.1; i=$((i + 1))
done
why="log=$log $(grep -o '"status":"[a-z]*"' "$log" 2>/dev/null) $(cat "$tmp/hup.err" 2>/dev/null)"
check "finishes and saves a request after a hangup" sh -c "grep -q '\"status\":\"completed\"' '$log' && ls '$(dirname "$log")'/images/1-1.png >/dev/null"
stop_mock

# The terminal goes away and no SIGHUP comes (a parent blocked it, as the mask is inherited
# across exec): the closed terminal itself must end the workbench, not leave it spinning on
# an end of file it keeps being told about.
start nohup python3 -c "'import os, signal, sys; open(sys.argv[1], \"w\").write(str(os.getpid())); signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP}); os.execv(sys.argv[2], sys.argv[2:])'" "$tmp/nohup.pid"
wait_for nohup "Prompt"
pid=$(cat "$tmp/nohup.pid" 2>/dev/null)
tmux -L "$sock" kill-session -t nohup
i=0
while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
why="pid $pid still running after 5 s: $(ps -o stat,pcpu,cmd -p "$pid" 2>/dev/null | tail -n 1)"
check "quits when the terminal closes without a SIGHUP" sh -c "[ -n '$pid' ] && ! kill -0 '$pid' 2>/dev/null"
[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null

# Tab from a real terminal completes a path in the image question (the scripted tests cover
# the rest of attaching): Tab to the parameters, End and Up to the image row, Enter asks.
mkdir -p "$tmp/pics"
: >"$tmp/pics/only-one.png"
start attach
wait_for attach "Prompt"
tmux -L "$sock" send-keys -t attach Tab End Up Enter "$tmp/pics/only" Tab
why="$(screen attach | tail -n 1)"
check "completes a path with Tab" wait_for attach "attach an image (Tab completes): $tmp/pics/only-one.png"
tmux -L "$sock" kill-session -t attach

# Drafts (issue 12, item 5): a prompt typed and not sent, two parameters changed and a file
# attached come back after C-q and a new start; p on a history turn replaces the prompt and
# C-_ brings it back.
: >"$tmp/pics/ref-draft.png"
start draft
wait_for draft "Prompt"
tmux -L "$sock" send-keys -t draft 'a red fox' Enter
wait_for draft "completed"
tmux -L "$sock" send-keys -t draft 'my unsent draft' Tab Down Down Right Right Down Down Right Right End Up Enter
wait_for draft "attach an image"
tmux -L "$sock" send-keys -t draft "$tmp/pics/ref-draft.png" Enter
wait_for draft "attached $tmp/pics/ref-draft.png"
tmux -L "$sock" send-keys -t draft C-q
i=0
while tmux -L "$sock" has-session -t draft 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
start draft
wait_for draft "my unsent draft"
screen draft >"$tmp/draft.screen"
why="$(grep -n 'draft\|quality\|format\|image ' "$tmp/draft.screen")"
check "brings the draft, two parameters and the attached file back after C-q" all \
    "grep -q '│my unsent draft' '$tmp/draft.screen'" "grep -q '│ quality  *medium' '$tmp/draft.screen'" \
    "grep -q '│ format  *jpeg' '$tmp/draft.screen'" "grep -q '│ image  *ref-draft.png' '$tmp/draft.screen'"
tmux -L "$sock" send-keys -t draft BTab p
wait_for draft "brings it back"
why="$(screen draft | grep -n 'red fox\|unsent')"
check "p on a history turn replaces the draft" sh -c "tmux -L '$sock' capture-pane -p -t draft | grep -q '│a red fox  '"
tmux -L "$sock" send-keys -t draft C-_
why="$(screen draft | grep -n 'red fox\|unsent\|back')"
check "undo brings the draft back" wait_for draft "│my unsent draft"
tmux -L "$sock" kill-session -t draft
