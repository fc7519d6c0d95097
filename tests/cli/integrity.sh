#!/bin/sh
# SPDX-License-Identifier: MIT
# The log keeps tamper evidence (issue 13 items 4, 5, 7), on sessions written by the real
# client against `easel mock`: a changed last record refuses new turns until the damage is
# accepted, and one more generate cannot make --verify pass; links and FIFOs in a session are
# refused and named, never followed; a FIFO as config, prices or theme does not hang easel;
# session.json is rebuilt from the log, and -S NAME never makes a second session beside a
# damaged one; exports take the session's modes whatever the umask.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok integrity $1"; }
not_ok() { echo "not ok integrity $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config"
mkdir -p "$XDG_CONFIG_HOME/easel"
# easel ARGS...: runs easel with stdout in $tmp/out, stderr in $tmp/err; sets $rc.
easel() { "$EASEL" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
gen() { OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test "$EASEL" generate "$@" >"$tmp/gen" 2>&1; rc=$?; }
session_dir() { # the folder of the session named $1
    for d in "$XDG_DATA_HOME"/easel/sessions/*/; do
        { grep -q "\"name\": \"$1\"" "$d/session.json" ||
          grep -q "\"name\":\"$1\"" "$d/audit.jsonl"; } 2>/dev/null && echo "${d%/}"
    done
}
count_sessions() { ls -d "$XDG_DATA_HOME"/easel/sessions/*/ 2>/dev/null | wc -l | tr -d ' '; }

start_mock

# ---- Item 4: tamper evidence is never erased ----------------------------------------------
gen -S fox "a red fox"
gen -S fox "a red fox in the snow"
dir=$(session_dir fox)
why="no session"
check "session written" [ -f "$dir/audit.jsonl" ]
log="$dir/audit.jsonl"
# One byte of the last record, newline kept: it still parses; only session.json can tell.
last=$(wc -l <"$log")
sed -i "${last}s/\"partials\":/\"partials\":1/" "$log"
cp "$log" "$tmp/tampered"
gen -S fox "one more turn to hide it"
why="rc=$rc $(cat "$tmp/gen")"
check "a changed last record refuses the turn" sh -c "[ $rc -ne 0 ] && grep -q 'easel log .*--verify' '$tmp/gen' && grep -q 'accept-damage' '$tmp/gen'"
why="the log changed"
check "the refused turn wrote nothing" cmp -s "$log" "$tmp/tampered"
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
check "verify still fails after the refused turn" sh -c "[ $rc -ne 0 ] && grep -q 'session.json' '$tmp/out'"
gen -S fox "and again"
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
check "one more generate cannot make verify pass" [ "$rc" -ne 0 ]

easel log fox --accept-damage
why="rc=$rc $(cat "$tmp/out" "$tmp/err")"
check "accept-damage accepts" sh -c "[ $rc -eq 0 ] && grep -q 'damage accepted in seq $last' '$tmp/out'"
tail -n 1 "$log" >"$tmp/accept"
why="$(cat "$tmp/accept")"
check "the acceptance is a record in the log" grep -q "\"seq\":$last,.*\"kind\":\"accept_damage\",\"turn\":null,.*\"lines\":$last,.*\"damaged\":\[{\"line\":$last,\"seq\":$((last - 1)),\"sha256\":\"[0-9a-f]\{64\}\"" "$tmp/accept"
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
check "verify passes after the acceptance, and says so" sh -c "[ $rc -eq 0 ] && grep -q ' 0 problems' '$tmp/out' && grep -q 'damage accepted at seq' '$tmp/out'"
easel log fox
why="rc=$rc $(cat "$tmp/err")"
check "easel log says damage was accepted" sh -c "[ $rc -eq 0 ] && grep -q 'damage to this log was accepted 1 time' '$tmp/err'"
gen -S fox "after the acceptance"
why="rc=$rc $(cat "$tmp/gen")"
check "generate works after the acceptance" [ "$rc" -eq 0 ]
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
check "the log verifies with the new turn" [ "$rc" -eq 0 ]
easel log fox --accept-damage
why="rc=$rc $(cat "$tmp/out")"
check "nothing to accept in a sound log" sh -c "[ $rc -eq 0 ] && grep -q 'nothing to accept' '$tmp/out'"

# A last line that no longer parses, newline kept: damage, never moved aside as torn.
last=$(wc -l <"$log")
sed -i "${last}s/^{/X/" "$log"
cp "$log" "$tmp/tampered"
gen -S fox "hide the broken line"
why="rc=$rc $(cat "$tmp/gen")"
check "an unparsable last line refuses the turn" sh -c "[ $rc -ne 0 ] && grep -q 'line $last is not a record' '$tmp/gen'"
why="$(ls "$dir")"
check "the damaged line is kept in place, nothing moved aside" sh -c "cmp -s '$log' '$tmp/tampered' && ! ls '$dir' | grep -q torn"
easel log fox --accept-damage
gen -S fox "after the second acceptance"
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
check "accepted twice, the log verifies" sh -c "[ $rc -eq 0 ] && grep -q ' 0 problems' '$tmp/out'"
# A byte changed before an acceptance, afterwards: damage again.
sed -i "2s/\"a red fox\"/\"a red fux\"/" "$log"
gen -S fox "after changing an accepted line"
why="rc=$rc $(cat "$tmp/gen")"
check "a change before an acceptance refuses the turn" [ "$rc" -ne 0 ]
easel log fox --verify
why="rc=$rc $(cat "$tmp/out")"
check "and verify names it" [ "$rc" -ne 0 ]

# The workbench refuses a turn in a damaged session too, naming easel log --verify.
home="$tmp/ui"
mkdir -p "$home"
ui() { # ui NAME KEYS: the workbench on the offline backend, its last screen in $tmp/NAME.screen
    printf '%s' "$2" >"$tmp/$1.keys"
    LC_ALL=C.UTF-8 TERM=xterm-256color XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" \
        XDG_CACHE_HOME="$home/cache" EASEL_UI_SIZE=200x40 EASEL_UI_SCRIPT="$tmp/$1.keys" \
        timeout 60 "$EASEL" >"$tmp/$1.screen" 2>"$tmp/$1.err"
    rc=$?
}
ui first 'a fox in the workbench<Enter>'
ulog=$(ls -d "$home"/data/easel/sessions/*/ | head -n 1)audit.jsonl
last=$(wc -l <"$ulog")
sed -i "${last}s/\"partials\":/\"partials\":1/" "$ulog"
cp "$ulog" "$tmp/ui-tampered"
ui again '<Up><Enter>'
why="rc=$rc $(grep -n 'verification' "$tmp/again.screen")"
check "the workbench refuses a turn in a damaged session" sh -c "grep -q 'fails verification, so new turns are refused' '$tmp/again.screen' && grep -q 'easel log .* --verify' '$tmp/again.screen' && cmp -s '$ulog' '$tmp/ui-tampered'"

# ---- Item 5: files are never followed -------------------------------------------------------
gen -S link "a linked fox"
dir=$(session_dir link)
echo "outside, untouched" >"$tmp/outside"
cp "$tmp/outside" "$tmp/outside.bak"
for f in lock audit.jsonl session.json; do
    mv "$dir/$f" "$tmp/$f.saved"
    ln -s "$tmp/outside" "$dir/$f"
    gen -S link "through the $f link"
    why="rc=$rc $(cat "$tmp/gen")"
    check "a link as $f is refused and named" sh -c "[ $rc -ne 0 ] && grep -q '$f is a symbolic link' '$tmp/gen'"
    why="$(cat "$tmp/outside")"
    check "nothing written through the $f link" cmp -s "$tmp/outside" "$tmp/outside.bak"
    rm "$dir/$f"
    mv "$tmp/$f.saved" "$dir/$f"
done
# A dangling link as the lock: O_CREAT would have made the file it points to.
ln -s "$tmp/made-by-easel" "$dir/lock.new" && mv "$dir/lock" "$tmp/lock.saved" && mv "$dir/lock.new" "$dir/lock"
gen -S link "through a dangling lock"
why="rc=$rc"
check "a dangling link as the lock creates nothing" sh -c "[ $rc -ne 0 ] && [ ! -e '$tmp/made-by-easel' ]"
rm "$dir/lock"; mv "$tmp/lock.saved" "$dir/lock"
# An image replaced by a link: verify and export name it and read nothing through it.
cp "$dir/images/1-1.png" "$tmp/img.bak"
rm "$dir/images/1-1.png"
ln -s "$tmp/outside" "$dir/images/1-1.png"
easel log link --verify
why="rc=$rc $(cat "$tmp/out")"
check "verify names a linked image" sh -c "[ $rc -ne 0 ] && grep -q '^images/1-1.png: .*symbolic link' '$tmp/out'"
easel export link "$tmp/exp-link"
why="rc=$rc $(cat "$tmp/err")"
check "export refuses a linked image" sh -c "[ $rc -ne 0 ] && grep -q '1-1.png is a symbolic link' '$tmp/err' && [ ! -e '$tmp/exp-link/1-1.png' ]"
rm "$dir/images/1-1.png"; cp "$tmp/img.bak" "$dir/images/1-1.png"
# The images folder replaced by a link: a new turn's image is not written through it.
mv "$dir/images" "$tmp/images.saved"
mkdir "$tmp/elsewhere"
ln -s "$tmp/elsewhere" "$dir/images"
gen -S link "into a linked folder"
why="rc=$rc $(cat "$tmp/gen"); $(ls "$tmp/elsewhere")"
check "a linked images folder is refused" sh -c "[ $rc -ne 0 ] && [ -z \"\$(ls -A '$tmp/elsewhere')\" ] && grep -q 'images is not a folder' '$tmp/gen'"
rm "$dir/images"; mv "$tmp/images.saved" "$dir/images"
# A FIFO in place of the log or session.json: refused at once, not waited on.
mv "$dir/audit.jsonl" "$tmp/audit.saved"
mkfifo "$dir/audit.jsonl"
timeout 10 "$EASEL" log link --verify >"$tmp/out" 2>"$tmp/err"
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "a FIFO as the log does not hang verify" sh -c "[ $rc -ne 124 ] && [ $rc -ne 0 ] && grep -q 'audit.jsonl is a FIFO' '$tmp/err'"
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test timeout 10 "$EASEL" generate -S link "x" >"$tmp/gen" 2>&1
rc=$?
why="rc=$rc $(cat "$tmp/gen")"
check "a FIFO as the log does not hang generate" sh -c "[ $rc -ne 124 ] && [ $rc -ne 0 ]"
rm "$dir/audit.jsonl"; mv "$tmp/audit.saved" "$dir/audit.jsonl"

# A FIFO as the config file, prices.json or a theme must not hang easel.
mkfifo "$XDG_CONFIG_HOME/easel/config"
timeout 10 "$EASEL" sessions >"$tmp/out" 2>"$tmp/err"
rc=$?
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test timeout 10 "$EASEL" generate --dry-run "x" >"$tmp/gen" 2>&1
rc2=$?
why="rc=$rc/$rc2 $(cat "$tmp/err" "$tmp/gen")"
check "a FIFO as the config file does not hang" sh -c "[ $rc -ne 124 ] && [ $rc2 -ne 124 ] && grep -q 'config is a FIFO' '$tmp/gen'"
rm "$XDG_CONFIG_HOME/easel/config"
mkfifo "$XDG_CONFIG_HOME/easel/prices.json"
OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test timeout 10 "$EASEL" generate --dry-run "x" >"$tmp/gen" 2>&1
rc=$?
why="rc=$rc $(cat "$tmp/gen")"
check "a FIFO as prices.json does not hang" sh -c "[ $rc -ne 124 ] && grep -q 'prices.json is a FIFO' '$tmp/gen'"
rm "$XDG_CONFIG_HOME/easel/prices.json"
mkdir -p "$XDG_CONFIG_HOME/easel/themes"
mkfifo "$XDG_CONFIG_HOME/easel/themes/pipe.theme"
: >"$tmp/empty.keys"
EASEL_UI_SCRIPT="$tmp/empty.keys" timeout 10 "$EASEL" --theme pipe >"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
why="rc=$rc $(cat "$tmp/err")"
check "a FIFO as a theme does not hang" sh -c "[ $rc -ne 124 ] && grep -q 'pipe.theme is a FIFO' '$tmp/err'"
rm -r "$XDG_CONFIG_HOME/easel/themes"

# ---- Item 7: session.json is a cache of the log ---------------------------------------------
gen -S cache "a cached fox"
dir=$(session_dir cache)
before=$(count_sessions)
rm "$dir/session.json"
easel sessions
why="$(cat "$tmp/out")"
check "a session without session.json is still listed by name" grep -q '^cache ' "$tmp/out"
gen -S cache "after losing session.json"
why="rc=$rc $(cat "$tmp/gen")"
check "generate -S finds it and says the rebuild" sh -c "[ $rc -eq 0 ] && grep -q 'session.json was missing or unreadable; rebuilt' '$tmp/gen'"
why="$before before, $(count_sessions) after"
check "no second session beside it" [ "$(count_sessions)" -eq "$before" ]
why="$(cat "$dir/session.json" 2>&1)"
check "session.json is written back with its name and turns" sh -c "grep -q '\"name\": \"cache\"' '$dir/session.json' && grep -q '\"turns\": 2' '$dir/session.json'"
gen -S cache "once more"
why="$(cat "$tmp/gen")"
check "the rebuild is said once" sh -c "! grep -q 'rebuilt' '$tmp/gen'"
printf 'not json{' >"$dir/session.json"
gen -S cache "after a damaged session.json"
why="rc=$rc $(cat "$tmp/gen")"
check "an unreadable session.json is rebuilt too" sh -c "[ $rc -eq 0 ] && grep -q 'rebuilt' '$tmp/gen' && [ $(count_sessions) -eq $before ]"
easel log cache --verify
why="rc=$rc $(cat "$tmp/out")"
check "the rebuilt session verifies" [ "$rc" -eq 0 ]

# ---- Exports take the session's modes ---------------------------------------------------------
(umask 022 && "$EASEL" export cache "$tmp/exp/deep" >"$tmp/out" 2>"$tmp/err")
rc=$?
why="rc=$rc $(ls -la "$tmp/exp/deep" 2>&1)"
modes=$(stat -c '%a' "$tmp/exp" "$tmp/exp/deep" "$tmp/exp/deep"/* | sort -u | tr '\n' ' ')
check "exported folders are 0700 and files 0600 under umask 022" sh -c "[ $rc -eq 0 ] && [ '$modes' = '600 700 ' ]"
