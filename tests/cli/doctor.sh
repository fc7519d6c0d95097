#!/bin/sh
# SPDX-License-Identifier: MIT
# `easel doctor` without a terminal: every section is printed, detection says why it was
# skipped, overrides show, and no character of the API key ever appears (issue 4).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { echo "ok doctor $1"; }
not_ok() { echo "not ok doctor $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

# doctor ARGS...: runs easel doctor with no terminal and a clean environment; sets $rc and leaves
# stdout in $tmp/out, stderr in $tmp/err.
doctor() {
    env -i PATH="$PATH" HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" \
        TERM=xterm-256color $extra_env "$EASEL" doctor "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
has() { grep -q -- "$1" "$tmp/out"; }
lacks() { ! grep -q -- "$1" "$tmp/out" && ! grep -q -- "$1" "$tmp/err"; }

extra_env=
doctor
why="rc=$rc $(cat "$tmp/err")"
check "runs without a terminal" [ "$rc" -eq 0 ]
why=$(cat "$tmp/out")
check "prints every section" sh -c "grep -q '^easel [0-9]' '$tmp/out' &&
    grep -q '^terminal graphics' '$tmp/out' && grep -q '^backend' '$tmp/out' &&
    grep -q '^config' '$tmp/out' && grep -q '^files' '$tmp/out'"
check "says why detection was skipped" has "why  *blocks: not a terminal"
check "names the offline backend" has "mode  *offline"
check "names easel-mock's path" has "offline backend  *$(cd "$(dirname "$EASEL")" && pwd -P)/easel-mock\$"
check "lists every setting" sh -c "grep -q '^  session_budget_usd ' '$tmp/out' &&
    grep -q '^  model  ' '$tmp/out'"
check "names the price table and the data folder" sh -c "grep -q '^  prices  *built-in' '$tmp/out' &&
    grep -q '^  sessions  *.*/easel/sessions' '$tmp/out'"

# The key: its length and source, never a character of it, and no Authorization header.
extra_env="OPENAI_API_KEY=sk-canary-XYZ OPENAI_ORG_ID=org-test"
doctor
why=$(cat "$tmp/out")
check "describes the key" has "api_key  *set, 13 characters (from environment"
check "never prints the key" lacks "canary"
check "never prints Bearer" lacks "Bearer"
check "uses the API with a key" has "mode  *https://api.openai.com/v1"
check "shows the organization" has "organization  *org-test"
doctor --json
why=$(cat "$tmp/out")
check "json never prints the key" sh -c "! grep -q canary '$tmp/out' && ! grep -q Bearer '$tmp/out'"
check "json is one object" sh -c "[ \$(wc -l <'$tmp/out') -eq 1 ] &&
    grep -q '\"graphics\":{' '$tmp/out' && grep -q '\"reason\":\"blocks: not a terminal\"' '$tmp/out' &&
    grep -q '\"api_key\":{\"set\":true,\"length\":13' '$tmp/out'"
if command -v python3 >/dev/null 2>&1; then
    check "json parses" python3 -c "import json,sys; json.load(open('$tmp/out'))"
fi

# A key in a config file others can read is refused, and said so, still without its characters.
mkdir -p "$tmp/config/easel"
printf 'api_key = sk-file-canary-ABC\nmodel = gpt-image-2\n' >"$tmp/config/easel/config"
chmod 0644 "$tmp/config/easel/config"
extra_env=
doctor
why=$(cat "$tmp/out")
check "reports a refused key" has "api_key  *not set (.*mode 0644"
check "never prints the refused key" lacks "canary"
check "shows a setting's source" has "model  *gpt-image-2 (from .*config, line 2)"
rm -f "$tmp/config/easel/config"

# Overrides: EASEL_GRAPHICS and --protocol win, and say so; nonsense is refused.
extra_env="EASEL_GRAPHICS=sixel"
doctor
why=$(cat "$tmp/out")
check "EASEL_GRAPHICS wins" has "why  *sixel: set by EASEL_GRAPHICS"
extra_env=
doctor --protocol kitty
why=$(cat "$tmp/out")
check "--protocol wins" sh -c "[ $rc -eq 0 ] && grep -q 'why  *kitty: set by --protocol' '$tmp/out'"
doctor --protocol png
why="rc=$rc"
check "--protocol png is refused" [ "$rc" -eq 2 ]
doctor --frobnicate
why="rc=$rc"
check "unknown argument" [ "$rc" -eq 2 ]
