#!/bin/sh
# SPDX-License-Identifier: MIT
# The avatar view's export (issue 17, item 3), by scripted keys: a in the history shows the
# avatar sizes; in the preview the arrows pick a rendition and e writes it as a PNG of exactly
# that size: round ones with transparent corners and an opaque middle, square ones opaque.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR
: "${EASEL:?set EASEL to the easel binary}"

ok() { echo "ok ui-avatar-export $1"; }
not_ok() { echo "not ok ui-avatar-export $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }
if ! command -v convert >/dev/null 2>&1; then
    echo "ok ui-avatar-export skipped: no ImageMagick"
    exit 0
fi

home="$tmp/home"
ui() {
    printf '%s' "$3" >"$tmp/$1.keys"
    (cd "$tmp" && XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        EASEL_UI_SIZE="$2" EASEL_UI_SCRIPT="$tmp/$1.keys" timeout 60 "$EASEL" >"$tmp/$1.screen" 2>"$tmp/$1.err")
}
# px FILE X Y: the pixel's "r,g,b,a" (0-255).
px() { convert "$1" -format "%[fx:int(255*u.p{$2,$3}.r)],%[fx:int(255*u.p{$2,$3}.g)],%[fx:int(255*u.p{$2,$3}.b)],%[fx:int(255*u.p{$2,$3}.a)]" info:; }
alpha() { px "$@" | cut -d, -f4; }

ui circle 100x30 "a red fox<Enter><wait-idle><S-Tab>a<S-Tab><Right><Right><Right><Right><dump $tmp/picked>e<Enter>"
f="$tmp/turn1-avatar-64-circle.png"
why="$(grep -o 'turn 1 · .*' "$tmp/picked" | head -n 1); $(tail -n 1 "$tmp/circle.screen"); $(ls "$tmp")"
check "e writes the picked rendition" [ -s "$f" ]
size=$(identify -format '%wx%h' "$f" 2>/dev/null)
why="$size"
check "of exactly its size" [ "$size" = 64x64 ]
why="corners $(alpha "$f" 0 0) $(alpha "$f" 63 0) $(alpha "$f" 0 63) $(alpha "$f" 63 63), middle $(alpha "$f" 32 32)"
check "round: transparent corners, an opaque middle" sh -c \
    "[ $(alpha "$f" 0 0) -eq 0 ] && [ $(alpha "$f" 63 0) -eq 0 ] && [ $(alpha "$f" 0 63) -eq 0 ] && [ $(alpha "$f" 63 63) -eq 0 ] && [ $(alpha "$f" 32 32) -eq 255 ]"

rm -rf "$home"
ui square 100x30 "a red fox<Enter><wait-idle><S-Tab>a<S-Tab><Right><Right>e<Enter>"
f="$tmp/turn1-avatar-128-square.png"
size=$(identify -format '%wx%h' "$f" 2>/dev/null)
why="$size; corner alpha $(alpha "$f" 0 0 2>/dev/null)"
check "a square rendition is opaque to its corners" sh -c "[ '$size' = 128x128 ] && [ $(alpha "$f" 0 0 2>/dev/null || echo 0) -eq 255 ]"
