#!/bin/sh
# SPDX-License-Identifier: MIT
# The session list in the workbench (issue 17, item 2), by scripted keys with screen dumps:
# a session shows a title made from its first prompt (until renamed), cut between words;
# / filters the list as typed by name, title and every prompt (500 sessions to 3, each key
# drawn quickly); a session moved to the trash comes back from the trash view (t, Enter).
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$tmp"' EXIT INT TERM
export LC_ALL=C.UTF-8 TERM=xterm-256color
unset OPENAI_API_KEY OPENAI_BASE_URL NO_COLOR
: "${EASEL:?set EASEL to the easel binary}"

ok() { echo "ok ui-sessions $1"; }
not_ok() { echo "not ok ui-sessions $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

home="$tmp/home"
ui() {
    printf '%s' "$3" >"$tmp/$1.keys"
    XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
        EASEL_UI_TRACE="$tmp/$1.trace" EASEL_UI_SIZE="$2" EASEL_UI_SCRIPT="$tmp/$1.keys" \
        timeout 120 "$EASEL" >"$tmp/$1.screen" 2>"$tmp/$1.err"
    rc=$?
}
# The session list's column of a dump (its first 24 cells), and a line in it.
column() { sed 's/^\(.\{24\}\).*/\1/' "$1"; }
col_has() { column "$1" | grep -qF -- "$2"; }

# One real session (its files are the template for the others), then 500 written directly:
# 497 about harbours, and three that "lighthouse" finds by their first prompt, by their
# name, and by a second prompt only.
ui first 120x40 'a quiet harbour at dawn<Enter><wait-idle>'
template=$(ls -d "$home"/data/easel/sessions/*/ | head -n 1)
python3 - "$template" "$home/data/easel/sessions" <<'PY'
import hashlib, json, os, shutil, sys
template, root = sys.argv[1].rstrip("/"), sys.argv[2]
info = json.load(open(os.path.join(template, "session.json")))
request = json.loads(open(os.path.join(template, "audit.jsonl")).readline())
shutil.rmtree(template)
def write(k, name, prompts):
    sid = "20260101-%06d-%04x" % (k // 10, k)
    d = os.path.join(root, sid)
    os.makedirs(d, mode=0o700)
    ts = "2026-01-01T%02d:%02d:%02d.000Z" % (k // 3600, k // 60 % 60, k % 60)
    lines, prev = [], ""
    for t, p in enumerate(prompts):
        r = dict(request, seq=t, turn=t + 1, prompt=p, prev_hash=prev, ts=ts)
        line = json.dumps(r, separators=(",", ":"))
        prev = hashlib.sha256(line.encode()).hexdigest()
        lines.append(line + "\n")
    open(os.path.join(d, "audit.jsonl"), "w").write("".join(lines))
    s = dict(info, id=sid, name=name, created=ts, last_activity=ts)
    s.pop("last_record", None)
    s.pop("draft", None)
    s["totals"] = dict(s["totals"], turns=len(prompts), images=0, offline_usd=0.0)
    json.dump(s, open(os.path.join(d, "session.json"), "w"))
for k in range(497):
    write(k, None, ["a quiet harbour at dawn, boat %d" % k])
write(600, None, ["a lighthouse in a storm, waves breaking over the rocks below it"])
write(601, "lighthouse-logo", ["a round badge with a tower"])
write(602, None, ["a red fox", "the same fox beside a lighthouse"])
PY
n=$(ls "$home/data/easel/sessions" | wc -l)
why="$n sessions"
check "500 sessions written" [ "$n" -eq 500 ]

# Titles: the newest sessions show their first prompt, cut between words with an ellipsis,
# rather than their ids.
ui titles 120x40 ''
why=$(column "$tmp/titles.screen" | sed -n 2,8p)
check "shows a title from the first prompt" col_has "$tmp/titles.screen" "│▶ a red fox "
check "cuts a long title between words" col_has "$tmp/titles.screen" "│  a lighthouse in a…"
no_ids() { ! column "$1" | sed 1d | grep -q '20260101-'; }
check "shows no bare ids" no_ids "$tmp/titles.screen"
check "shows a name over the title" col_has "$tmp/titles.screen" "│  lighthouse-logo"

# The filter: / and a word narrows 500 sessions to the 3 with "lighthouse" in the name, the
# title or a later prompt; each key shows at once. Esc gives them all back.
ui filter 120x40 "<S-Tab><S-Tab><S-Tab>/light<dump $tmp/light>house<dump $tmp/lighthouse><Enter><Down><dump $tmp/picked><Esc>"
why=$(column "$tmp/lighthouse" | sed -n 1,12p)
check "filters 500 sessions to 3" sh -c "grep -q 'Sessions (3 of 50[01])' '$tmp/lighthouse' && grep -q '/lighthouse' '$tmp/lighthouse'"
by_all() { col_has "$1" "a lighthouse in a" && col_has "$1" "lighthouse-logo" && col_has "$1" "a red fox"; }
check "by title, name and prompt" by_all "$tmp/lighthouse"
check "narrows as typed" sh -c "grep -q 'Sessions ([0-9]* of 50[01])' '$tmp/light' && grep -q '/light' '$tmp/light'"
slowest=$(awk '/key latency_ms=/ { sub(/.*latency_ms=/, ""); if ($1 > m) m = $1 } END { print m + 0 }' "$tmp/filter.trace")
why="slowest key ${slowest} ms"
check "each key of the filter shows within 1.5 s (loaded machine)" awk -v m="$slowest" 'BEGIN { exit !(m < 1500) }'
echo "info ui-sessions slowest filter key ${slowest} ms over 500 sessions"
why=$(column "$tmp/filter.screen" | sed -n 1,4p)
check "Esc shows them all again" sh -c "grep -q 'Sessions (50[01])' '$tmp/filter.screen'"

# The trash: d twice moves the selected session there; t shows it; Enter brings it back.
ui trash 120x40 "<S-Tab><S-Tab><S-Tab>/fox<Enter>dd<dump $tmp/trashed>t<dump $tmp/trashview><Enter><dump $tmp/restored>"
fox=20260101-000060-025a
why=$(column "$tmp/trashview" | sed -n 1,6p)
in_trash() { grep -q 'Trash (1)' "$tmp/trashview" && col_has "$tmp/trashview" "│▶ a red fox "; }
check "t shows the trash" in_trash
why="$(tail -n 1 "$tmp/restored"); $(ls "$home/data/easel/sessions" | grep -c .)"
check "Enter restores it" sh -c "[ -d '$home/data/easel/sessions/$fox' ] && [ ! -e '$home/data/easel/trash/$fox' ] && grep -q 'restored' '$tmp/restored' && grep -q 'Sessions (50[01])' '$tmp/restored'"
