#!/bin/sh
# SPDX-License-Identifier: MIT
# Adds "SPDX-License-Identifier: MIT" to every source file that lacks it: C files and headers
# on their first line, scripts after their #! line. Idempotent: run it again after adding files
# (tests/cli/license.sh fails until every source has the line).
#   sh tools/spdx.sh            fix the files
#   sh tools/spdx.sh --check    list the files that lack it; exit 1 if any does
cd "$(dirname "$0")/.." || exit 1
tag="SPDX-License-Identifier: MIT"
missing=0
for f in $(git ls-files -- '*.c' '*.h' '*.sh' '*.py' '*.mjs' Makefile .ci/run); do
    [ -f "$f" ] || continue
    head -n 3 "$f" | grep -q "$tag" && continue
    if [ "${1:-}" = --check ]; then
        echo "$f"
        missing=1
        continue
    fi
    case $f in
        *.c | *.h) line="/* $tag */" ;;
        *.mjs) line="// $tag" ;;
        *) line="# $tag" ;;
    esac
    if head -n 1 "$f" | grep -q '^#!'; then
        { head -n 1 "$f"; echo "$line"; tail -n +2 "$f"; } >"$f.spdx"
    else
        { echo "$line"; cat "$f"; } >"$f.spdx"
    fi
    chmod --reference="$f" "$f.spdx" 2>/dev/null
    mv "$f.spdx" "$f"
done
exit "$missing"
