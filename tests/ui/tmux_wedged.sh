#!/bin/sh
# SPDX-License-Identifier: MIT
# Inside tmux the workbench asks `tmux display-message` twice a second whether its window is
# shown (src/ui/tmux_watch.c). A `tmux` on PATH that never answers and ignores SIGTERM (a
# wedged server, a wrapper script) must not hold the workbench up: the asking child is killed
# after a while (and asked again), and C-q leaves at once. One that prints endlessly must not
# either. The workbench runs in a real tmux (private socket); the `tmux` it finds on PATH is a
# script. Prints "ok tmux-wedged NAME" / "not ok tmux-wedged NAME: why".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
sock="easel-wedged-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

ok() { echo "ok tmux-wedged $1"; }
not_ok() { echo "not ok tmux-wedged $1: $2"; }

if ! command -v tmux >/dev/null 2>&1; then
    echo "ok tmux-wedged skipped: tmux is not installed"
    exit 0
fi
real_tmux=$(command -v tmux)
mkdir -p "$tmp/hang" "$tmp/chatter"
# Answers nothing, ever, and shrugs off SIGTERM and SIGHUP (exec keeps them ignored).
cat >"$tmp/hang/tmux" <<'EOF'
#!/bin/sh
trap '' TERM HUP
echo $$ >>"$(dirname "$0")/pids"
exec sleep 300
EOF
# Prints without end: past the pipe's room, a child nobody reads blocks for ever.
cat >"$tmp/chatter/tmux" <<'EOF'
#!/bin/sh
trap '' TERM HUP
echo $$ >>"$(dirname "$0")/pids"
exec yes 1:1
EOF
chmod +x "$tmp/hang/tmux" "$tmp/chatter/tmux"

# run KIND: the workbench with the fake tmux first on PATH; after 4 s (two answers overdue),
# C-q; the pane must be gone within 10 s (a loaded machine; before, it never went).
run() {
    kind=$1
    home="$tmp/home.$kind"
    mkdir -p "$home"
    "$real_tmux" -L "$sock" new-session -d -s "$kind" -x 100 -y 30 \
        "env PATH=$tmp/$kind:$PATH LC_ALL=C.UTF-8 TERM=screen-256color XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache EASEL_UI_TRACE=$tmp/$kind.trace '$EASEL' 2>$tmp/$kind.err"
    i=0
    while [ $i -lt 150 ] && ! "$real_tmux" -L "$sock" capture-pane -p -t "$kind" 2>/dev/null | grep -q Prompt; do
        sleep 0.1; i=$((i + 1))
    done
    sleep 4
    "$real_tmux" -L "$sock" send-keys -t "$kind" C-q
    i=0
    while [ $i -lt 100 ] && "$real_tmux" -L "$sock" has-session -t "$kind" 2>/dev/null; do
        sleep 0.1; i=$((i + 1))
    done
    if "$real_tmux" -L "$sock" has-session -t "$kind" 2>/dev/null; then
        not_ok "$kind: C-q leaves at once" "the workbench still runs 10 s after C-q"
        "$real_tmux" -L "$sock" kill-session -t "$kind" 2>/dev/null
    else
        ok "$kind: C-q leaves at once"
    fi
    left=
    for pid in $(cat "$tmp/$kind/pids" 2>/dev/null); do
        kill -0 "$pid" 2>/dev/null && left="$left $pid" && kill -9 "$pid" 2>/dev/null
    done
    if [ -z "$left" ]; then ok "$kind: no tmux child outlives the workbench"
    else not_ok "$kind: no tmux child outlives the workbench" "still running:$left"; fi
}

run hang
n=$(grep -c tmux-wedged "$tmp/hang.trace" 2>/dev/null)
if [ "${n:-0}" -ge 1 ]; then ok "hang: the unanswered child is killed and tmux asked again"
else not_ok "hang: the unanswered child is killed" "no tmux-wedged in the trace: $(tail -n 3 "$tmp/hang.trace" 2>/dev/null)"; fi
run chatter
