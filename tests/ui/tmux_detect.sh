#!/bin/sh
# SPDX-License-Identifier: MIT
# Detection inside a real tmux, with a scripted kitty outside it: easel must ask through
# passthrough and choose kitty placeholders when allow-passthrough is on, and blocks without
# waiting when it is off. Skips without tmux or python3 (the fake outer terminal is a small
# python pty script, since tmux needs a real terminal program in front of it).
name="tmux-detect"
for tool in tmux python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "ok $name # skip: no $tool"
        exit 0
    fi
done
tmp=$(mktemp -d)
sock="easel-test-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

# outer.py PASSTHROUGH: runs tmux on a pty and answers what reaches it as kitty 0.35 would;
# prints the pane's text (with history) once easel doctor is done.
cat >"$tmp/outer.py" <<'PY'
import os, pty, re, select, subprocess, sys, time
sock, passthrough, easel = sys.argv[1], sys.argv[2], sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    os.environ['TERM'] = 'xterm-256color'
    for v in ('TMUX', 'TMUX_PANE', 'KITTY_WINDOW_ID', 'TERM_PROGRAM', 'LC_TERMINAL'):
        os.environ.pop(v, None)
    os.execvp('tmux', ['tmux', '-L', sock, '-f', '/dev/null', 'new-session',
              'tmux set -g allow-passthrough %s; "%s" doctor; sleep 30' % (passthrough, easel)])
answers = {b'\x1b[c': b'\x1b[?62;c', b'\x1b[>q': b'\x1bP>|kitty(0.35.2)\x1b\\',
           b'\x1b[>0q': b'\x1bP>|kitty(0.35.2)\x1b\\', b'\x1b_Gi=31': b'\x1b_Gi=31;OK\x1b\\',
           b'\x1b[16t': b'\x1b[6;20;10t', b'\x1b[5n': b'\x1b[0n'}
query = re.compile(rb'\x1b\[c|\x1b\[>0?q|\x1b_Gi=31|\x1b\[16t|\x1b\[5n')
end = time.time() + 10
pane = ''
while time.time() < end:
    if select.select([fd], [], [], 0.1)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        for m in query.finditer(data):
            os.write(fd, answers[m.group(0)])
    pane = subprocess.run(['tmux', '-L', sock, 'capture-pane', '-p', '-J', '-S', '-200'],
                          capture_output=True, text=True).stdout
    if 'sessions ' in pane:
        break
print(pane)
PY

python3 "$tmp/outer.py" "$sock" on "$EASEL" >"$tmp/on" 2>&1
tmux -L "$sock" kill-server 2>/dev/null
if grep -q "protocol  *kitty" "$tmp/on" && grep -q "kitty Unicode placeholders" "$tmp/on" &&
    grep -q "each 10x20 pixels (from CSI 16 t)" "$tmp/on"; then
    echo "ok $name kitty placeholders through passthrough"
else
    echo "not ok $name kitty placeholders through passthrough: $(grep -E 'why|tmux|cells' "$tmp/on" | tr '\n' ' ')"
fi

python3 "$tmp/outer.py" "$sock" off "$EASEL" >"$tmp/off" 2>&1
tmux -L "$sock" kill-server 2>/dev/null
ms=$(sed -n 's/.*waited  *\([0-9]*\) ms.*/\1/p' "$tmp/off")
if grep -q "why  *blocks: .*allow-passthrough is off" "$tmp/off" && [ -n "$ms" ] && [ "$ms" -lt 500 ]; then
    echo "ok $name passthrough off gives blocks at once"
else
    echo "not ok $name passthrough off gives blocks at once: $(grep -E 'why|waited' "$tmp/off" | tr '\n' ' ')"
fi
