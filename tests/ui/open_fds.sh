#!/bin/sh
# SPDX-License-Identifier: MIT
# `o` in the history opens the turn's image in $EASEL_OPEN (else xdg-open), detached: the
# viewer may stay open for hours after the workbench is gone, so it must hold none of the
# workbench's descriptors (its connections, the offline backend's socket or pipe), only the
# standard three on /dev/null. The viewer here is a script that lists its descriptors; the
# workbench runs in a real tmux (private socket) on the offline backend.
# Prints "ok open-fds NAME" / "not ok open-fds NAME: why".
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
sock="easel-openfds-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

ok() { echo "ok open-fds $1"; }
not_ok() { echo "not ok open-fds $1: $2"; }

if ! command -v tmux >/dev/null 2>&1 || [ ! -d /proc/self/fd ]; then
    echo "ok open-fds # skip: no tmux or no /proc"
    exit 0
fi
export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
unset OPENAI_API_KEY OPENAI_BASE_URL
"$EASEL" generate --offline -q low -S fds "a kite" >/dev/null 2>&1 || { not_ok "setup" "generate failed"; exit 0; }
cat >"$tmp/viewer" <<EOF
#!/bin/sh
ls -l /proc/\$\$/fd/ >"$tmp/fds.tmp" 2>&1
echo "\$1" >>"$tmp/fds.tmp"
mv "$tmp/fds.tmp" "$tmp/fds"
EOF
chmod +x "$tmp/viewer"
tmux -L "$sock" new-session -d -s w -x 120 -y 40 \
    "env EASEL_OPEN=$tmp/viewer LC_ALL=C.UTF-8 TERM=screen-256color XDG_DATA_HOME=$XDG_DATA_HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_CACHE_HOME=$XDG_CACHE_HOME '$EASEL' --offline 2>$tmp/err"
i=0
while [ $i -lt 150 ] && ! tmux -L "$sock" capture-pane -p -t w 2>/dev/null | grep -q "#1 "; do
    sleep 0.1; i=$((i + 1))
done
tmux -L "$sock" send-keys -t w BTab
sleep 0.5
tmux -L "$sock" send-keys -t w o
i=0
while [ $i -lt 100 ] && [ ! -s "$tmp/fds" ]; do sleep 0.1; i=$((i + 1)); done
tmux -L "$sock" send-keys -t w C-q
if [ ! -s "$tmp/fds" ]; then
    not_ok "the viewer ran" "no listing; screen: $(tmux -L "$sock" capture-pane -p -t w | tail -n 3)"
    exit 0
fi
grep -q '/images/1-1.png$' "$tmp/fds" && ok "o runs \$EASEL_OPEN on the turn's image" ||
    not_ok "o runs \$EASEL_OPEN on the turn's image" "$(tail -n 1 "$tmp/fds")"
# The shell keeps its script open on a descriptor of its own; nothing else may be there.
leaked=$(grep '^l' "$tmp/fds" | grep -E 'socket:|pipe:|anon_inode|/audit.jsonl|/lock|easel' | grep -v "$tmp/viewer")
if [ -z "$leaked" ]; then ok "the viewer inherits none of the workbench's descriptors"
else not_ok "the viewer inherits none of the workbench's descriptors" "$(echo "$leaked" | tr '\n' ' ')"; fi
