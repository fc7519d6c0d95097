#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 16 item 4, help that matches the program: every command takes -h and --help (and `easel
# help COMMAND`); the top-level usage lists every command's options; easel.1 documents every
# option each command's --help lists, and its synopsis names none that --help does not (the
# check is shown to fail on an option the page lacks); options are accepted after the operands;
# groff renders both pages without a warning.
: "${EASEL:?set EASEL to the easel binary}"
here=$(cd "$(dirname "$0")/../.." && pwd)
man1="$here/man/easel.1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { echo "ok help-man $1"; }
not_ok() { echo "not ok help-man $1: $2"; }
export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"

# help_options FILE: the long options a --help text lists, one a line, --help aside.
help_options() {
    sed -n 's/^  \(-[A-Za-z0-9], \)\{0,1\} *--\([a-z0-9][a-z0-9-]*\).*/\2/p' "$1" | grep -v '^help$' | sort -u
}

# man_block CMD: the text easel.1 gives CMD: its SYNOPSIS lines, its COMMANDS entry and a
# section "CMD ..." (GENERATE OPTIONS, BATCH CAMPAIGNS) if there is one. "" is the workbench (the first synopsis line).
man_block() {
    awk -v cmd="$1" '
        /^\.SH / { sec = $0; sub(/^\.SH +/, "", sec); item = 0; syn = 0 }
        sec == "SYNOPSIS" && /^\.B easel/ {
            line = $0; sub(/^\.B easel */, "", line)
            syn = (line == cmd) || (cmd != "" && index(line, cmd " ") == 1) ||
                  (cmd == "" && line == "" && !seen_wb++)
        }
        sec == "SYNOPSIS" && /^\.br/ { if (syn) print; syn = 0 }
        syn { print; next }
        sec == "COMMANDS" && /^\.TP/ { getline; item = ($0 == ".B " cmd); if (item) print; next }
        sec == "COMMANDS" && item { print; next }
        cmd != "" && index(sec, toupper(cmd) " ") == 1 { print }
    ' "$man1" | sed 's/\\-/-/g'
}

# check_command CMD HELPFILE: prints each option of HELPFILE the man block lacks, and each the
# synopsis names that HELPFILE lacks; nothing when they agree.
check_command() {
    man_block "$1" >"$tmp/block"
    help_options "$2" >"$tmp/help.opts"
    while read -r o; do
        grep -qE -- "--$o([^a-z0-9-]|\$)" "$tmp/block" || echo "--$o is not in easel.1"
    done <"$tmp/help.opts"
    awk '/^\.br/ { exit } { print }' "$tmp/block" | grep -o -- '--[a-z0-9][a-z0-9-]*' | sed 's/^--//' |
        sort -u | while read -r o; do
            [ "$o" = help ] || grep -qx -- "$o" "$tmp/help.opts" || echo "--$o is in easel.1's synopsis, not in --help"
        done
}

commands=$("$EASEL" --help | sed -n 's/^  easel \([a-z]*\).*/\1/p' | grep -v '^help$' | sort -u)
[ -n "$commands" ] || { echo "not ok help-man: no commands in easel --help"; exit 1; }
"$EASEL" --help >"$tmp/usage"
for c in "" $commands; do
    name=${c:-workbench}
    if [ -n "$c" ]; then
        "$EASEL" "$c" --help >"$tmp/$name.help" 2>&1; rc=$?
        "$EASEL" "$c" -h >"$tmp/$name.h" 2>&1; rc_h=$?
        "$EASEL" help "$c" >"$tmp/$name.helpcmd" 2>&1; rc_help=$?
        if [ "$rc" -eq 0 ] && [ "$rc_h" -eq 0 ] && [ "$rc_help" -eq 0 ] &&
            cmp -s "$tmp/$name.help" "$tmp/$name.h" && cmp -s "$tmp/$name.help" "$tmp/$name.helpcmd" &&
            grep -q "^usage: easel $c" "$tmp/$name.help"; then
            ok "$name: -h, --help and easel help $name"
        else
            not_ok "$name: -h, --help and easel help $name" "rc $rc/$rc_h/$rc_help"
        fi
    else # the workbench: the options of the usage's first line, as a --help would list them
        head -n 1 "$tmp/usage" | grep -o -- '--[a-z][a-z0-9-]*' | sed 's/^/      /' >"$tmp/$name.help"
    fi
    if [ -n "$c" ]; then
        man_block "$c" | grep -qx "\.B $c" && ok "$name: easel.1 has an entry under COMMANDS" \
            || not_ok "$name: easel.1 has an entry under COMMANDS" "none"
    fi
    drift=$(check_command "$c" "$tmp/$name.help")
    [ -z "$drift" ] && ok "$name: easel.1 documents every option --help lists" \
        || not_ok "$name: easel.1 documents every option --help lists" "$(echo $drift)"
    missing=
    for o in $(help_options "$tmp/$name.help"); do
        grep -q -- "--$o" "$tmp/usage" || missing="$missing --$o"
    done
    [ -z "$missing" ] && ok "$name: easel --help lists its options" \
        || not_ok "$name: easel --help lists its options" "missing$missing"
done

# The check can fail: an option the page lacks is named.
cp "$tmp/show.help" "$tmp/fake.help"
echo "      --not-in-the-page N   an option added without a man entry" >>"$tmp/fake.help"
drift=$(check_command show "$tmp/fake.help")
case $drift in
    *--not-in-the-page*) ok "an option without a man entry is caught" ;;
    *) not_ok "an option without a man entry is caught" "no drift found" ;;
esac

# easel help lists the commands; easel help nope is refused.
"$EASEL" help >"$tmp/help.out" && cmp -s "$tmp/help.out" "$tmp/usage" \
    && ok "easel help is the usage" || not_ok "easel help is the usage" "differs"
"$EASEL" help nope >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "easel help of no command exits 2" || not_ok "easel help of no command exits 2" "rc=$rc"

# Options after the operands.
"$EASEL" generate --offline --api images -S h -o "$tmp/x.png" "a kite" >/dev/null 2>&1
"$EASEL" show "$tmp/x.png" --protocol kitty --cols 4 --rows 2 >"$tmp/show.out" 2>&1
grep -q "$(printf '\033_G')" "$tmp/show.out" && ok "show FILE --protocol kitty" \
    || not_ok "show FILE --protocol kitty" "$(head -c 40 "$tmp/show.out" | od -c | head -2)"
"$EASEL" log h --json >"$tmp/log.out" 2>&1
head -n 1 "$tmp/log.out" | grep -q '^{"v":1' && ok "log SESSION --json" || not_ok "log SESSION --json" "$(head -n 2 "$tmp/log.out")"
"$EASEL" generate "a prompt" --dry-run --offline >"$tmp/dry.out" 2>&1
grep -q "dry run" "$tmp/dry.out" && ok "generate PROMPT --dry-run" || not_ok "generate PROMPT --dry-run" "$(head -n 3 "$tmp/dry.out")"
"$EASEL" export h "$tmp/exp" --inputs >/dev/null 2>&1 && ok "export SESSION DEST --inputs" \
    || not_ok "export SESSION DEST --inputs" "failed"

# easel mock's options are described by easel's table and parsed by easel-mock, which easel
# runs: each option the help names must be one easel-mock takes.
mock_bin="$(dirname "$EASEL")/easel-mock"
missing=
for o in $("$EASEL" mock --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    [ "$o" = --help ] && continue
    # A value (taken by an option that needs one) and a bogus option after it: the parse
    # always fails, so no server starts, and says which option it did not know.
    timeout 5 "$mock_bin" "$o" 1 --zz-no-such-option 2>&1 | grep -q -- "unknown option '$o'" &&
        missing="$missing $o"
done
[ -x "$mock_bin" ] && [ -z "$missing" ] && ok "easel-mock takes every option easel mock --help names" \
    || not_ok "easel-mock takes every option easel mock --help names" "missing:$missing"

# groff: no warning in either page.
if command -v groff >/dev/null 2>&1; then
    for page in easel.1 easel.5; do
        w=$(groff -man -ww -z "$here/man/$page" 2>&1)
        [ -z "$w" ] && ok "groff renders $page without warnings" \
            || not_ok "groff renders $page without warnings" "$w"
    done
else
    echo "ok help-man groff # SKIP groff not installed"
fi
exit 0
