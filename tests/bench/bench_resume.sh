#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: a background turn whose connection is cut after partial 1 (easel mock --fault
# drop-after=0), on loopback: the time from the cut to the next partial frame, which the resume
# (GET ?stream=true&starting_after=N) brings. Target: under 1 s beyond the first backoff
# (250 ms). The figure is the median of BENCH_RESUME_RUNS runs (default 5). Then what background
# mode costs an uncut turn: the time to the first partial frame with it (a POST answered with the
# response's id, then GET ?stream=true) beside --no-background (one streamed POST).
: "${EASEL:?set EASEL to the easel binary}"
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'stop_mock; rm -rf "$tmp"' EXIT INT TERM
. "$here/lib/mock.sh"
export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export OPENAI_API_KEY=sk-bench
start_mock --fault drop-after=0
export OPENAI_BASE_URL="$url"
python3 - "$EASEL" "${BENCH_RESUME_RUNS:-5}" <<'PY'
import json, statistics, subprocess, sys, time
easel, runs = sys.argv[1], int(sys.argv[2])
gaps = []
for i in range(runs):
    p = subprocess.Popen([easel, "generate", "--json", "-p", "3", "-q", "low", "a kite %d" % i],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seen = {}
    for line in p.stdout:
        ev = json.loads(line)
        if ev["type"] == "partial":
            seen.setdefault(ev["index"], time.monotonic())
    # Frames that arrive together are shown as the newest: the first after 0, whichever.
    later = [t for k, t in seen.items() if k > 0]
    if p.wait() != 0 or 0 not in seen or not later:
        print("bench_resume: run %d failed (exit %d, partials %s)" % (i, p.returncode, sorted(seen)))
        sys.exit(1)
    gaps.append((min(later) - seen[0]) * 1000)
gap = statistics.median(gaps)
backoff = 250
print("resume: %.0f ms from the cut to the next partial frame (median of %d; %.0f ms beyond "
      "the %d ms backoff); target < 1000 ms + the backoff" % (gap, runs, gap - backoff, backoff, ))
sys.exit(0 if gap < 1000 + backoff else 1)
PY
rc=$?
stop_mock
start_mock
export OPENAI_BASE_URL="$url"
python3 - "$EASEL" "${BENCH_RESUME_RUNS:-5}" <<'PY' || rc=1
import json, statistics, subprocess, sys, time
easel, runs = sys.argv[1], int(sys.argv[2])
def first_partial(extra, i):
    t0 = time.monotonic()
    p = subprocess.Popen([easel, "generate", "--json", "-p", "1", "-q", "low"] + extra +
                         ["a kite %d" % i], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    first = None
    for line in p.stdout:
        if first is None and json.loads(line)["type"] == "partial":
            first = (time.monotonic() - t0) * 1000
    if p.wait() != 0 or first is None:
        print("bench_resume: first-partial run failed (exit %d)" % p.returncode)
        sys.exit(1)
    return first
bg, plain = [], []
for i in range(runs):  # alternating, so that load falls on both alike
    bg.append(first_partial([], i))
    plain.append(first_partial(["--no-background"], i))
b, n = statistics.median(bg), statistics.median(plain)
print("first partial frame: %.0f ms in background mode, %.0f ms with --no-background "
      "(+%.0f ms, %.2fx; median of %d, loopback)" % (b, n, b - n, b / n, runs))
PY
exit $rc
