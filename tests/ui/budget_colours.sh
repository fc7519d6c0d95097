#!/bin/sh
# SPDX-License-Identifier: MIT
# Budgets in colour (issue 17, item 7): in a real terminal (tmux runs the workbench, and
# capture-pane -e keeps the colours), only the limit the next call would pass is in the error
# colour: the session's with session_budget_usd below the call's estimate and budget_usd
# above it, and the other way round.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
sock="easel-budget-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null; stop_mock; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
export LC_ALL=C.UTF-8

ok() { echo "ok ui-budget-colours $1"; }
not_ok() { echo "not ok ui-budget-colours $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

if ! command -v tmux >/dev/null 2>&1; then
    echo "ok ui-budget-colours skipped: tmux is not installed"
    exit 0
fi
start_mock

# sgr_before FILE TEXT: the last SGR sequence before TEXT on its line of FILE.
sgr_before() {
    python3 - "$1" "$2" <<'PY'
import re, sys
for l in open(sys.argv[1], encoding="utf-8"):
    i = l.find(sys.argv[2])
    if i >= 0:
        print(re.findall(r"\x1b\[[0-9;]*m", l[:i])[-1:])
        break
PY
}

# colours NAME CONFIG: the workbench in tmux with CONFIG; sets $sgr_session and $sgr_all, the
# last SGR sequence before "session $" and "all $" in the panel.
colours() {
    home="$tmp/home.$1"
    mkdir -p "$home/config/easel"
    printf '%s' "$2" >"$home/config/easel/config"
    chmod 600 "$home/config/easel/config"
    tmux -L "$sock" new-session -d -s "$1" -x 120 -y 40 \
        "env LC_ALL=C.UTF-8 TERM=screen-256color XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache OPENAI_BASE_URL=$url OPENAI_API_KEY=sk-test-budget '$EASEL' 2>$tmp/$1.err"
    i=0
    while [ $i -lt 150 ] && ! tmux -L "$sock" capture-pane -p -t "$1" | grep -q 'all \$'; do
        sleep 0.1; i=$((i + 1))
    done
    tmux -L "$sock" capture-pane -e -p -t "$1" >"$tmp/$1.screen"
    sgr_session=$(sgr_before "$tmp/$1.screen" 'session $')
    sgr_all=$(sgr_before "$tmp/$1.screen" 'all $')
    tmux -L "$sock" kill-session -t "$1"
}
# The error role of the default theme is red: SGR 31, 91, or a red of the 256 colours.
red() { printf '%s' "$1" | grep -qE '(\[|;)(31|91|38;5;(1|9|124|160|196))(;|m)'; }

colours session 'session_budget_usd = 0.10
budget_usd = 50
'
why="session $sgr_session, all $sgr_all"
check "only the session's limit is red when the call would pass it" sh -c "$(red "$sgr_session" && echo true || echo false) && ! $(red "$sgr_all" && echo true || echo false)"
colours all 'session_budget_usd = 50
budget_usd = 0.10
'
why="session $sgr_session, all $sgr_all"
check "only budget_usd is red when the call would pass it" sh -c "! $(red "$sgr_session" && echo true || echo false) && $(red "$sgr_all" && echo true || echo false)"
