#!/bin/sh
# SPDX-License-Identifier: MIT
# The image itself from the workbench's history (issue 17, item 3), by scripted keys: its path
# is on the turn's detail (reading.sh), o opens it with $EASEL_OPEN (xdg-open without it), Y
# copies its path (OSC 52), e exports the turn as `easel export SESSION:TURN DEST` does.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR
: "${EASEL:?set EASEL to the easel binary}"

ok() { echo "ok ui-image $1"; }
not_ok() { echo "not ok ui-image $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

home="$tmp/home"
ui() {
    printf '%s' "$3" >"$tmp/$1.keys"
    (cd "$tmp" && XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        EASEL_UI_TRACE="$tmp/$1.trace" EASEL_UI_SIZE="$2" EASEL_UI_SCRIPT="$tmp/$1.keys" \
        timeout 60 "$EASEL" >"$tmp/$1.screen" 2>"$tmp/$1.err")
    rc=$?
}

# The viewer: a script that writes what it was given, as xdg-open would be run.
cat >"$tmp/viewer" <<VIEWER
#!/bin/sh
printf '%s\n' "\$@" >"$tmp/opened"
VIEWER
chmod +x "$tmp/viewer"
EASEL_OPEN="$tmp/viewer" ui image 100x30 "a red fox<Enter><wait-idle><S-Tab>o<sleep 300><dump $tmp/opened.screen>Y<dump $tmp/copied.screen>e<Enter>"
session=$(ls -d "$home"/data/easel/sessions/*/ | head -n 1)
image="${session}images/1-1.png"
i=0; while [ ! -s "$tmp/opened" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
why="opened: $(cat "$tmp/opened" 2>/dev/null); $(tail -n 1 "$tmp/opened.screen")"
check "o opens the image with \$EASEL_OPEN" sh -c "[ \"\$(cat '$tmp/opened')\" = '$image' ] && tail -n 1 '$tmp/opened.screen' | grep -qF 'opened '"
bytes=$(sed -n 's/.*clipboard bytes=//p' "$tmp/image.trace" | tail -n 1)
why="clipboard of ${bytes:-no} bytes for ${#image}; $(tail -n 1 "$tmp/copied.screen")"
check "Y copies the image's path" sh -c "[ '${bytes:-0}' -eq ${#image} ] && tail -n 1 '$tmp/copied.screen' | grep -qF \"copied the path of turn 1's image\""
why="$(tail -n 1 "$tmp/image.screen"); $(ls "$tmp/easel-export" 2>&1)"
check "e exports the turn with its sidecar" sh -c "cmp -s '$image' '$tmp/easel-export/1-1.png' && [ -s '$tmp/easel-export/1-1.json' ] && tail -n 1 '$tmp/image.screen' | grep -q '1 image exported to easel-export'"
# The same as easel export: the same files, byte for byte.
id=$(basename "$session")
XDG_DATA_HOME="$home/data" "$EASEL" export "$id:1" "$tmp/cli-export" >/dev/null 2>&1
why="$(ls "$tmp/cli-export" 2>&1)"
check "exports what easel export does" sh -c "cmp -s '$tmp/cli-export/1-1.png' '$tmp/easel-export/1-1.png' && cmp -s '$tmp/cli-export/1-1.json' '$tmp/easel-export/1-1.json'"
