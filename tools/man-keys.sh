#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes the KEYS section of man/easel.1 from the workbench's action table (easel --keys-man),
# so the man page cannot drift from the keys; tests/cli/man.sh checks that it has not.
# usage: sh tools/man-keys.sh path/to/easel
set -eu
easel=$1
man=man/easel.1
keys=$(mktemp)
"$easel" --keys-man >"$keys"
awk -v keys="$keys" '
    /^\.SH KEYS/ { while ((getline line < keys) > 0) print line; skip = 1; next }
    /^\.SH / && skip { skip = 0 }
    !skip { print }
' "$man" >"$man.new"
mv "$man.new" "$man"
rm -f "$keys"
