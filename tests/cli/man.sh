#!/bin/sh
# SPDX-License-Identifier: MIT
# The man page's KEYS section is the workbench's action table, word for word.
: "${EASEL:?set EASEL to the easel binary}"
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$EASEL" --keys-man >"$tmp/keys"
awk '/^\.SH KEYS/ { on = 1 } /^\.SH / && !/^\.SH KEYS/ { on = 0 } on' "$here/man/easel.1" >"$tmp/man"
if cmp -s "$tmp/keys" "$tmp/man"; then
    echo "ok man keys match the action table"
else
    echo "not ok man keys match the action table: run sh tools/man-keys.sh $EASEL"
fi
for cmd in generate sessions log export show doctor mock resume batch models; do
    if grep -q "^\.B $cmd\$" "$here/man/easel.1" || grep -q "^\.B easel $cmd" "$here/man/easel.1"; then
        echo "ok man describes $cmd"
    else
        echo "not ok man describes $cmd"
    fi
done
