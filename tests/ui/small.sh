#!/bin/sh
# SPDX-License-Identifier: MIT
# Small things of issue 17 (item 9): the mask mode's caption has no empty "· ·"; the offline
# banner says what it means at 100 columns; a session without a title shows its whole id
# and one of offline turns its whole amount;
# `easel generate` interrupted says "cancelled" once; `easel sessions` keeps its columns
# with a Devanagari name and cuts it between clusters. (The kitty probe is test_term's
# pty_kitty_not_asked_sixel; words cut in hints, params.sh.)
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR

ok() { echo "ok ui-small $1"; }
not_ok() { echo "not ok ui-small $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

home="$tmp/home"
ui() {
    printf '%s' "$3" >"$tmp/$1.keys"
    XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        EASEL_UI_SIZE="$2" EASEL_UI_SCRIPT="$tmp/$1.keys" timeout 60 "$EASEL" >"$tmp/$1.screen" 2>"$tmp/$1.err"
}

ui mask 100x30 "a fox<Enter><wait-idle><S-Tab><S-Tab>M"
why=$(grep -n 'mask' "$tmp/mask.screen" | head -n 3)
check "the mask caption has no empty step" sh -c "grep -q 'mask · r: rectangle, e: ellipse · Enter accepts' '$tmp/mask.screen' && ! grep -q '· ·' '$tmp/mask.screen'"
why=$(head -n 1 "$tmp/mask.screen")
check "the offline banner says what it means at 100 columns" sh -c "head -n 1 '$tmp/mask.screen' | grep -q 'OFFLINE BACKEND: nothing billed'"

# A session with no prompt of its own shows its id, whole, in the list.
id=20260101-000000-abcd
mkdir -p "$home/data/easel/sessions/$id"
printf '{"v":1,"id":"%s","name":null,"created":"2027-01-01T00:00:00.000Z","last_activity":"2027-01-01T00:00:00.000Z","totals":{"turns":0,"images":0,"spend_usd":0,"offline_usd":0}}\n' "$id" \
    >"$home/data/easel/sessions/$id/session.json"
ui ids 120x40 ""
why=$(sed -n 2,6p "$tmp/ids.screen" | sed 's/^\(.\{24\}\).*/\1/')
check "the session list shows a whole id" grep -q "│  $id" "$tmp/ids.screen"
# The fox of the mask run is a session of offline turns: its amount is whole, not "$0.000 ·
# $0.21" cut at the panel's edge.
why=$(grep -n 'turn' "$tmp/ids.screen" | head -n 3)
check "an offline session's amount is never cut in the list" \
    grep -q '│   1 turn · \$0\.[0-9][0-9][0-9] offline' "$tmp/ids.screen"

# easel generate interrupted (SIGINT while the slow mock streams).
start_mock --delay 3000
XDG_DATA_HOME="$home/data" OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-canary \
    "$EASEL" generate -S cancel "a slow fox" >"$tmp/gen.out" 2>"$tmp/gen.err" &
gen=$!
sleep 1
kill -INT $gen
wait $gen
why=$(cat "$tmp/gen.err")
check "an interrupted generate says cancelled once" sh -c "grep -q 'cancelled' '$tmp/gen.err' && ! grep -q 'cancelled (cancelled)' '$tmp/gen.err'"
stop_mock

# easel sessions: a Devanagari name of 30 columns is cut to 24 between clusters with an
# ellipsis, and the ID column starts at the same column on every line (by wcwidth).
deva='एक लाल लोमड़ी बर्फ में खेलती है और कूदती'
XDG_DATA_HOME="$home/data" "$EASEL" generate --offline -S "$deva" "a fox" >/dev/null 2>&1
XDG_DATA_HOME="$home/data" "$EASEL" sessions >"$tmp/sessions.txt" 2>&1
cols=$(python3 - "$tmp/sessions.txt" <<'PY'
import ctypes, ctypes.util, locale, re, sys
locale.setlocale(locale.LC_ALL, "C.UTF-8")
libc = ctypes.CDLL(ctypes.util.find_library("c"))
def width(s):
    return sum(max(libc.wcwidth(ctypes.c_wchar(c)), 0) for c in s)
out = set()
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    m = re.search(r"(ID|\d{8}-\d{6}-[0-9a-f]{4})", line)
    if m:
        out.add(width(line[:m.start()]))
print(" ".join(str(c) for c in sorted(out)))
PY
)
why="ID columns at $cols: $(cat "$tmp/sessions.txt")"
check "easel sessions keeps its columns with a Devanagari name" [ "$cols" = 25 ]
check "and cuts the name between clusters" grep -q 'एक लाल लोमड़ी बर्फ में खेलती… ' "$tmp/sessions.txt"
