#!/bin/sh
# SPDX-License-Identifier: MIT
# Detection against a real xterm with sixel (`xterm -ti vt340`) under Xvfb: easel must choose
# sixel by asking, not because it was told. Skips when Xvfb or xterm is not installed
# (Debian: xvfb, xterm). doctor runs under `script` inside xterm so that its stdout is a
# terminal (xterm's, through script's pty) while a copy of the output lands in a file.
name="xterm-detect"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/x11.sh"
x11_require Xvfb xterm script
tmp=$(mktemp -d)
trap x11_cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
x11_start 1280x800x24 || exit 0

# -ti vt340 gives DA1 attribute 4; the env is scrubbed of hints so only the replies can tell.
timeout 30 env -u TERM_PROGRAM -u KITTY_WINDOW_ID -u LC_TERMINAL \
    xterm -ti vt340 -geometry 100x40 -e script -q -c "'$EASEL' doctor" "$tmp/out" \
    >"$tmp/xterm.log" 2>&1
if grep -q "protocol  *sixel" "$tmp/out" && grep -q "why  *sixel: DA1 lists 4" "$tmp/out"; then
    echo "ok $name"
else
    echo "not ok $name: $(tr -d '\r' <"$tmp/out" | grep -E 'protocol|why' | tr '\n' ' ')$(cat "$tmp/xterm.log")"
fi
# The cell size came from the terminal, not the default.
if grep -q "cells .*from CSI 16 t\|cells .*from TIOCGWINSZ" "$tmp/out"; then
    echo "ok $name cell size"
else
    echo "not ok $name cell size: $(tr -d '\r' <"$tmp/out" | grep cells)"
fi
