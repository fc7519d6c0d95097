#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_race: `easel show --protocol sixel` raced against chafa on three inputs (an 8-bit PNG,
# a JPEG at quality 90, a 16-bit PNG; each 1024x1024 drawn within 640x640), whole process,
# runs alternating between the contenders so that a load that comes and goes (other builds on
# the machine) falls on both. Prints the medians and the ratios; targets: at most 0.5x chafa's
# wall time, no more bytes than chafa, PSNR at least chafa's (each output decoded the same way
# and compared with the source scaled to its size: bench_gfx psnr). For the PNGs also easel's
# time over a bare libspng decode of the same file (spng_floor.c, the floor for a PNG): target
# at most 1.5x. Exits 1 when a target is missed. RUNS (default 15) runs of each. The last
# figures, and the load they were taken under, are in README.md ("Pictures: what make bench
# measured").
: "${EASEL:?}" "${BENCH_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)
tool="$BENCH_DIR/bench_gfx"
[ -x "$tool" ] || { echo "bench_race: $tool missing (make bench builds it)"; exit 1; }
command -v chafa >/dev/null 2>&1 || { echo "bench_race: chafa not installed, skipped (tools/deps.sh --test)"; exit 0; }
command -v convert >/dev/null 2>&1 || { echo "bench_race: ImageMagick's convert not installed, skipped"; exit 0; }
RUNS=${RUNS:-15}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
floor="$tmp/spng_floor"
${CC:-cc} -O2 -o "$floor" "$here/spng_floor.c" $(pkg-config --cflags --libs spng) || exit 1
"$tool" picture "$tmp/p8.png" || exit 1
convert "$tmp/p8.png" -quality 90 "$tmp/q90.jpg" || exit 1
convert "$tmp/p8.png" -depth 16 "PNG48:$tmp/p16.png" || exit 1
status=0

# ms CMD...: one run's wall time in microseconds, stdout to $tmp/out.
us() {
    t0=$(date +%s%N)
    "$@" >"$tmp/out" 2>/dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
}
median() { sort -n "$1" | awk '{v[NR]=$1} END {printf "%.1f", v[int((NR+1)/2)]/1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b ? a/b : 0}'; }
easel() { "$EASEL" show --cols 80 --rows 40 --cell 8x16 --protocol sixel "$1"; }
chafa_() { chafa -f sixel --font-ratio 1/1 -s 80x80 "$1"; }

echo "easel show against chafa $(chafa --version | head -1 | awk '{print $NF}'), sixel, 1024x1024 within 640x640; median of $RUNS alternating runs; load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
printf '%-9s %9s %9s %9s %7s %8s %8s %7s %7s %8s\n' input easel_ms chafa_ms floor_ms time_x easel_B chafa_B easel_dB chafa_dB floor_x
for input in p8.png q90.jpg p16.png; do
    f="$tmp/$input"
    : >"$tmp/e" ; : >"$tmp/c" ; : >"$tmp/s"
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        if [ $((i % 2)) -eq 0 ]; then
            us easel "$f" >>"$tmp/e"; us chafa_ "$f" >>"$tmp/c"
        else
            us chafa_ "$f" >>"$tmp/c"; us easel "$f" >>"$tmp/e"
        fi
        case $input in *.png) us "$floor" "$f" >>"$tmp/s" ;; esac
        i=$((i + 1))
    done
    easel "$f" >"$tmp/e.out"
    chafa_ "$f" >"$tmp/c.out"
    e_ms=$(median "$tmp/e") c_ms=$(median "$tmp/c")
    e_b=$(wc -c <"$tmp/e.out") c_b=$(wc -c <"$tmp/c.out")
    set -- $("$tool" psnr "$f" sixel "$tmp/e.out"); e_db=${3:-0}
    set -- $("$tool" psnr "$f" sixel "$tmp/c.out"); c_db=${3:-0}
    s_ms=n/a fx=n/a
    if [ -s "$tmp/s" ]; then s_ms=$(median "$tmp/s"); fx=$(ratio "$e_ms" "$s_ms"); fi
    tx=$(ratio "$e_ms" "$c_ms")
    printf '%-9s %9s %9s %9s %7s %8s %8s %7s %7s %8s\n' "$input" "$e_ms" "$c_ms" "$s_ms" "x$tx" \
        "$e_b" "$c_b" "$e_db" "$c_db" "x$fx"
    awk -v t="$tx" 'BEGIN {exit !(t <= 0.5)}' || { echo "MISSED: $input: easel takes more than 0.5x chafa's time"; status=1; }
    [ "$e_b" -le "$c_b" ] || { echo "MISSED: $input: more bytes than chafa"; status=1; }
    awk -v a="$e_db" -v b="$c_db" 'BEGIN {exit !(a >= b)}' || { echo "MISSED: $input: PSNR below chafa's"; status=1; }
    if [ "$fx" != n/a ]; then
        awk -v t="$fx" 'BEGIN {exit !(t <= 1.5)}' || { echo "MISSED: $input: more than 1.5x a bare libspng decode"; status=1; }
    fi
done
exit $status
