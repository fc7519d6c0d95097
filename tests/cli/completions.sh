#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 16 item 5, completions: the scripts in completions/ are what `easel completions SHELL`
# prints (generated, so they cannot drift); bash loads its script and completes commands,
# options, option values from the rule table (the model's qualities for `generate --quality`,
# protocols), session names and files through easel itself; zsh (through compinit) and fish
# (through its own `complete -C`) run their scripts and offer the same.
: "${EASEL:?set EASEL to the easel binary}"
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { echo "ok completions $1"; }
not_ok() { echo "not ok completions $1: $2"; }
export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
unset OPENAI_API_KEY OPENAI_BASE_URL

for shell in bash zsh fish; do
    case $shell in bash) f=easel.bash ;; zsh) f=_easel ;; fish) f=easel.fish ;; esac
    "$EASEL" completions "$shell" >"$tmp/$f"
    cmp -s "$tmp/$f" "$here/completions/$f" && ok "completions/$f is easel completions $shell" \
        || not_ok "completions/$f is easel completions $shell" "differs: make completions"
done
"$EASEL" completions tcsh >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "an unknown shell exits 2" || not_ok "an unknown shell exits 2" "rc=$rc"

out=$(bash -c ". '$here/completions/easel.bash'; complete -p easel" 2>&1)
[ "$out" = "complete -F _easel easel" ] && ok "bash: complete -p easel" || not_ok "bash: complete -p easel" "$out"

# easel on PATH as the scripts call it, and a session to name.
mkdir -p "$tmp/bin" && ln -s "$EASEL" "$tmp/bin/easel"
PATH="$tmp/bin:$PATH" easel generate --offline --api images -S kites "a kite" >/dev/null 2>&1
: >"$tmp/picture.png"

# complete WORD...: what bash offers for the command line `easel WORD...` (the last word is
# the one being completed), one candidate a line, sorted.
complete_bash() {
    PATH="$tmp/bin:$PATH" bash -c '
        . "$1"; shift
        COMP_WORDS=(easel "$@"); COMP_CWORD=$#
        cd "$0" && _easel && printf "%s\n" "${COMPREPLY[@]}" | sort' "$tmp" "$here/completions/easel.bash" "$@"
}
expect() { # NAME EXPECTED WORD...
    name=$1 want=$2; shift 2
    got=$(complete_bash "$@" | tr '\n' ' ')
    [ "$got" = "$want" ] && ok "$name" || not_ok "$name" "got '$got', want '$want'"
}
expect "generate --quality <TAB>: the default model's qualities" "auto high low medium " generate --quality ""
expect "generate -m gpt-image-2.5-flare --quality <TAB>: that model's" "auto high low max medium xhigh " \
    generate -m gpt-image-2.5-flare --quality ""
expect "generate --quality h<TAB>" "high " generate --quality h
expect "generate --format <TAB> for gpt-image-1.5" "jpeg png webp " generate -m gpt-image-1.5 --format ""
expect "show --protocol <TAB>" "auto blocks iterm kitty sixel " show --protocol ""
expect "commands: ge<TAB>" "generate " ge
expect "options: show --co<TAB>" "--colors --cols " show --co
expect "sessions: log k<TAB>" "kites " log k
expect "files: show p<TAB>" "picture.png " show p
expect "help <TAB> lists the commands" "batch completions doctor export generate help log mock models resume sessions show " help ""

# zsh: the script found on $fpath by compinit (its #compdef line), then run as zsh runs it
# with compadd and _files standing in for the completion system's builtins (a function named
# like a builtin wins in zsh), so what it offers can be read.
complete_zsh() {
    PATH="$tmp/bin:$PATH" HOME="$tmp" zsh -f -c '
        cd "$1"; mkdir -p fpath && cp "$2" fpath/; shift 2
        fpath=("$PWD/fpath" $fpath); autoload -U compinit; compinit -u -d "$PWD/zcompdump"
        [[ $_comps[easel] == _easel ]] || { echo "compinit did not register _easel"; exit 1; }
        compadd() { while [[ $# -gt 0 && $1 != -- ]]; do shift; done; shift; printf "%s\n" "$@"; }
        _files() { print "<files>"; }
        words=(easel "$@"); CURRENT=$(( $# + 1 )); _easel' zsh "$tmp" "$here/completions/_easel" "$@" | sort
}
# fish: the script sourced, and fish's own `complete -C` asked for the command line.
complete_fish() {
    line="easel"; for w in "$@"; do line="$line $w"; done
    (cd "$tmp" && PATH="$tmp/bin:$PATH" HOME="$tmp" fish --no-config -c \
        'source $argv[1]; complete -C $argv[2]' "$here/completions/easel.fish" "$line") | sort
}
for shell in zsh fish; do
    if ! command -v $shell >/dev/null 2>&1; then
        not_ok "$shell: installed" "no $shell: sh tools/deps.sh --test"
        continue
    fi
    check_shell() { # NAME EXPECTED WORD...
        name=$1 want=$2; shift 2
        got=$(complete_$shell "$@" | tr '\n' ' ')
        [ "$got" = "$want" ] && ok "$shell: $name" || not_ok "$shell: $name" "got '$got', want '$want'"
    }
    files="picture.png "; [ $shell = zsh ] && files="<files> "
    check_shell "generate --quality <TAB>" "auto high low medium " generate --quality ""
    check_shell "commands: ge<TAB>" "generate " ge
    check_shell "options: show --co<TAB>" "--colors --cols " show --co
    check_shell "sessions: log k<TAB>" "kites " log k
    check_shell "files: show p<TAB>" "$files" show p
done

models=$(complete_bash generate --model "")
case $models in
    *gpt-image-2*) case $models in *dall-e*) not_ok "generate --model <TAB>" "a retired model offered" ;;
                   *) ok "generate --model <TAB>: known models, none retired" ;; esac ;;
    *) not_ok "generate --model <TAB>" "got '$models'" ;;
esac

# A session folder easel did not write (copied in, or its session.json edited) whose name holds
# an OSC 52 clipboard write, a C1 CSI and a bidi override: the shell prints candidates as they
# are, so `easel __complete` offers that session by its ID, and no control byte comes out.
# Nor does easel take such a name from -S (C1 and bidi controls, as C0 ones before).
sj=$(ls "$tmp"/data/easel/sessions/*/session.json | head -n 1)
python3 - "$sj" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["name"] = "kites\x1b]52;c;ZXZpbA==\x07\u009b2J\u202eevil"
json.dump(d, open(sys.argv[1], "w"))
PY
id=$(basename "$(dirname "$sj")")
PATH="$tmp/bin:$PATH" easel __complete log "" >"$tmp/complete.out" 2>&1
if python3 -c '
import re, sys
d = open(sys.argv[1], "rb").read()
sys.exit(1 if re.search(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]", d) else 0)' "$tmp/complete.out" &&
    grep -qx "$id" "$tmp/complete.out"; then
    ok "a session name holding escapes is offered by its ID, no control byte printed"
else
    not_ok "a session name holding escapes" "$(cat -v "$tmp/complete.out")"
fi
for bad in "$(printf 'x\302\2332J')" "$(printf 'x\342\200\256y')"; do
    PATH="$tmp/bin:$PATH" easel generate --offline --api images -S "$bad" "a kite" >/dev/null 2>"$tmp/bad.err"; rc=$?
    if [ "$rc" -eq 2 ] && grep -q "control characters" "$tmp/bad.err"; then
        ok "-S refuses a name with a C1 or bidi control ($(printf '%s' "$bad" | od -An -c | tr -s ' ' | head -c 40))"
    else
        not_ok "-S refuses a C1 or bidi control" "rc=$rc $(cat -v "$tmp/bad.err")"
    fi
done
exit 0
