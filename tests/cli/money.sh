#!/bin/sh
# SPDX-License-Identifier: MIT
# What the log says a turn cost (issue 13, items 2 and 12): the offline backend's turns are
# offline money, never spend, so a budget never stops them nor counts them against a paid
# call; a Responses turn costs its two meters (protocol.md 15), usage at the text model's
# rates and tool_usage.image_gen at the image model's, each kept in the result record, and
# an image part the response did not report is marked as estimated.
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"

ok() { echo "ok money $1"; }
not_ok() { echo "not ok money $1: $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi; }

export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
mkdir -p "$tmp/config/easel"
config() { printf '%s\n' "$@" >"$tmp/config/easel/config"; chmod 600 "$tmp/config/easel/config"; }
# offline ARGS / paid ARGS: easel generate on the offline backend (no key, no base URL), or
# on the mock reached as any paid backend is (OPENAI_BASE_URL and a key); sets $rc.
offline() {
    env -u OPENAI_API_KEY -u OPENAI_BASE_URL "$EASEL" generate "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
paid() {
    OPENAI_BASE_URL="$url" OPENAI_API_KEY=sk-test-money "$EASEL" generate "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
log_of() { ls "$tmp"/data/easel/sessions/*/audit.jsonl | xargs grep -l "\"prompt\":\"$1\"" | head -n 1; }
# record KIND TURN LOG: that record, one JSON line.
record() { grep "\"kind\":\"$1\",\"turn\":$2," "$3"; }
# py EXPR LINE: EXPR of the record r (Python), printed; holds EXPR LINE: true when EXPR is.
py() { printf '%s\n' "$2" | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print($1)"; }
holds() { [ "$(py "bool($1)" "$2")" = True ]; }

# ---- Offline money is not money -----------------------------------------------------------
# The built-in table at 25 times the image prices (tokens per image unchanged): one high
# 1024x1024 offline turn is 25 x $0.211 = $5.275, past budget_usd = 1 on its own.
python3 - "$here/../data/prices.json" "$tmp/config/easel/prices.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
m = t["models"]["gpt-image-2"]
for size in m["per_image"].values():
    for q in size:
        size[q] *= 25
for k in m["per_million_tokens"]:
    m["per_million_tokens"][k] *= 25
json.dump(t, open(sys.argv[2], "w"))
EOF
config 'budget_usd = 1' 'session_budget_usd = 1'
offline -S mixed --api images -q high "first offline picture"
why="rc=$rc $(cat "$tmp/err")"
check "an offline call past the budget's estimate is not refused" [ "$rc" -eq 0 ]
offline -S mixed --api images -q high "second offline picture"
why="rc=$rc $(cat "$tmp/err")"
check "an offline call after \$5 of offline turns is not refused" [ "$rc" -eq 0 ]
log=$(log_of "first offline picture")
off=$(py 'r["cost_usd"]' "$(record result 1 "$log")")
why="offline turn cost $off"
check "the offline turns cost over \$5 together" \
    python3 -c "import sys; sys.exit(0 if 2 * $off > 5 else 1)"
why="$(record request 1 "$log" | cut -c1-400)"
check "the request record says offline" holds 'r["offline"] is True' "$(record request 1 "$log")"
check "the offline cost says offline" grep -q '^cost: \$[0-9.]* offline' "$tmp/out"

# Back to the built-in prices: a call to a paid backend is judged on the paid spend alone
# ($0 here), not on the $10.55 of offline turns in the same session.
rm "$tmp/config/easel/prices.json"
start_mock
paid -S mixed --api images -q high "a paid picture"
why="rc=$rc $(cat "$tmp/err")"
check "a paid call is judged on paid spend only" [ "$rc" -eq 0 ]
why="$(record request 3 "$log" | cut -c1-400)"
check "a paid request says it was not offline" holds 'r["offline"] is False' "$(record request 3 "$log")"
paid_cost=$(py 'r["cost_usd"]' "$(record result 3 "$log")")
# A limit the paid spend would pass with the next call: refused, and the amount named is
# the paid spend's.
config 'budget_usd = 1' 'session_budget_usd = 0.3'
paid -S mixed --api images -q high "another paid picture"
why="rc=$rc $(cat "$tmp/err")"
check "the paid spend still meets its limit" all '[ "$rc" -eq 2 ]' \
    "grep -q 'session_budget_usd' '$tmp/err'" "grep -q 'to \\\$0\\.[0-9][0-9], past its budget of \\\$0\\.30' '$tmp/err'"
config 'budget_usd = 0.3'
paid --api images -q high "a paid picture in a new session"
why="rc=$rc $(cat "$tmp/err")"
check "budget_usd counts the paid spend of every session, not offline money" all \
    '[ "$rc" -eq 2 ]' "grep -q 'all sessions to \\\$0\\.[0-9][0-9], past the budget of \\\$0\\.30' '$tmp/err'"

# Shown apart everywhere: sessions (table and JSON), log (each turn and the total).
"$EASEL" sessions --json >"$tmp/sessions.json"
line=$(grep '"name":"mixed"' "$tmp/sessions.json")
why="$line (paid $paid_cost, offline 2 x $off)"
check "sessions --json keeps offline money apart" python3 -c "
import json, sys
s = json.loads('''$line''')
sys.exit(0 if abs(s['spend_usd'] - $paid_cost) < 1e-9 and abs(s['offline_usd'] - 2 * $off) < 1e-9 else 1)"
"$EASEL" sessions >"$tmp/sessions.txt"
why="$(cat "$tmp/sessions.txt")"
check "sessions shows an offline column" all "grep -q '^NAME .* SPEND *OFFLINE *LAST ACTIVITY' '$tmp/sessions.txt'" \
    "grep -q '^mixed .* $(printf '%.4f' "$paid_cost") *$(python3 -c "print('%.4f' % (2 * $off))") ' '$tmp/sessions.txt'"
"$EASEL" log mixed >"$tmp/log.txt" 2>&1
why="$(grep 'cost\|spent' "$tmp/log.txt")"
check "log marks each offline turn" all \
    "[ \$(grep -c '^  cost      \\\$[0-9.]* offline' '$tmp/log.txt') -eq 2 ]" \
    "[ \$(grep -c '^  cost      \\\$[0-9.]* (estimate' '$tmp/log.txt') -eq 1 ]"
check "log totals spend and offline money apart" \
    grep -q "^3 turns, 3 images, \\\$$(printf '%.4f' "$paid_cost") spent, \\\$$(python3 -c "print('%.4f' % (2 * $off))") offline\$" "$tmp/log.txt"

# ---- A Responses turn costs both of its meters -------------------------------------------
# usage is gpt-5.4's, at $2.50 / $0.25 cached / $15.00 a million; tool_usage.image_gen is
# gpt-image-2's, at $5.00 text in, $8.00 image in, $30.00 image out a million.
config ''
paid -S meters -q low "a lantern on a jetty"
why="rc=$rc $(cat "$tmp/err")"
check "a responses turn completes" [ "$rc" -eq 0 ]
res=$(record result 1 "$(log_of "a lantern on a jetty")")
why="$(printf '%s' "$res" | sed 's/"images":\[[^]]*\]//' | cut -c1-900)"
check "the record keeps both usages" holds \
    'r["usage"]["input_tokens"] > 0 and r["tool_usage"]["image_gen"]["output_tokens"] > 0' "$res"
want=$(py '"%.12f %.12f" % (
    (r["usage"]["input_tokens"] - r["usage"]["input_tokens_details"]["cached_tokens"]) * 2.5e-6
    + r["usage"]["input_tokens_details"]["cached_tokens"] * 0.25e-6 + r["usage"]["output_tokens"] * 15e-6,
    r["tool_usage"]["image_gen"]["input_tokens_details"]["text_tokens"] * 5e-6
    + r["tool_usage"]["image_gen"]["input_tokens_details"]["image_tokens"] * 8e-6
    + r["tool_usage"]["image_gen"]["output_tokens"] * 30e-6)' "$res")
got=$(py '"%.12f %.12f %.12f %s" % (r["cost_text_usd"], r["cost_image_usd"], r["cost_usd"], r["cost_image_estimated"])' "$res")
why="want text, image $want; got text, image, total, estimated $got"
check "each meter at its own model's prices" python3 -c "
w = [float(x) for x in '$want'.split()]; g = '$got'.split()
ok = abs(float(g[0]) - w[0]) < 1e-9 and abs(float(g[1]) - w[1]) < 1e-9
ok = ok and abs(float(g[2]) - w[0] - w[1]) < 1e-9 and g[3] == 'False'
raise SystemExit(0 if ok else 1)"
"$EASEL" log meters >"$tmp/log.txt" 2>&1
why="$(grep '^  cost' "$tmp/log.txt")"
check "log shows the two parts" grep -q '^  cost      \$[0-9.]* (text \$[0-9.]* + image \$[0-9.]*) (estimate .*tool_usage {"image_gen"' "$tmp/log.txt"
# The estimate before the call counted the text model too, and did not fall short.
est=$(py 'r["estimate_usd"]' "$(record request 1 "$(log_of "a lantern on a jetty")")")
why="estimate $est, cost $got"
check "the estimate covers both meters" python3 -c "raise SystemExit(0 if $est >= float('$got'.split()[2]) else 1)"
"$EASEL" generate --dry-run -q low "a lantern" >"$tmp/dry" 2>&1
why="$(grep estimate "$tmp/dry")"
check "a dry run's estimate names the text model" grep -q '^estimate: .*text model gpt-5.4 ~[0-9]* in, ~[0-9]* out tokens' "$tmp/dry"

# A response without tool_usage (the API may leave it out): the image part is the table's
# figure, marked as estimated, never presented as what was billed.
start_mock --fault tool-usage=omit
paid -S unmetered -q low "a lantern without a meter"
res=$(record result 1 "$(log_of "a lantern without a meter")")
why="rc=$rc $(printf '%s' "$res" | sed 's/"images":\[[^]]*\]//' | cut -c1-900)"
check "no tool_usage: the image part is marked estimated" all '[ "$rc" -eq 0 ]' \
    "holds 'r[\"cost_image_estimated\"] is True and r[\"tool_usage\"] is None and r[\"cost_image_usd\"] > 0' '$res'"
"$EASEL" log unmetered >"$tmp/log.txt" 2>&1
why="$(grep '^  cost' "$tmp/log.txt")"
check "log says the image part is estimated" grep -q '^  cost .*image \$[0-9.]* estimated, not from tool_usage' "$tmp/log.txt"
stop_mock
