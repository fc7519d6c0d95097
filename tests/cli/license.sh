#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 16 item 6: the MIT licence is in LICENSE and every source file says so in an SPDX line
# (tools/spdx.sh adds it to new files).
here=$(cd "$(dirname "$0")/../.." && pwd)
ok() { echo "ok license $1"; }
not_ok() { echo "not ok license $1: $2"; }
grep -q '^MIT License' "$here/LICENSE" && ok "LICENSE is MIT" || not_ok "LICENSE is MIT" "no LICENSE"
if [ -d "$here/.git" ] || [ -f "$here/.git" ]; then
    missing=$(sh "$here/tools/spdx.sh" --check)
    [ -z "$missing" ] && ok "every source has an SPDX line" \
        || not_ok "every source has an SPDX line" "run sh tools/spdx.sh: $(echo $missing)"
else
    echo "ok license SPDX lines # SKIP not a git checkout"
fi
exit 0
