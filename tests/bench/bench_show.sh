#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_show: the whole `easel show` process beside Debian's chafa and img2sixel, for a
# 1024x1024 photo-like PNG drawn within 640x640 (80x40 cells of 8x16): wall time (median of
# RUNS), bytes per pixel, and PSNR against the source scaled to each output's own size by the
# same scaler, every output decoded the same way (bench_gfx psnr). Then bytes per frame and
# frames per second through a pipe limited to 1 MB/s. Exits 1 when a sixel target is missed:
# faster than chafa, no more bytes per pixel, PSNR no worse by more than 0.5 dB.
: "${EASEL:?}" "${BENCH_DIR:?}"
tool="$BENCH_DIR/bench_gfx"
[ -x "$tool" ] || { echo "bench_show: $tool missing (make bench builds it)"; exit 1; }
RUNS=${RUNS:-9}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
"$tool" picture "$tmp/photo.png" || exit 1
status=0

# median_ms CMD...: runs CMD RUNS times (stdout to $tmp/out), prints the median wall time in ms.
median_ms() {
    i=0
    : >"$tmp/times"
    while [ "$i" -lt "$RUNS" ]; do
        t0=$(date +%s%N)
        "$@" >"$tmp/out" 2>/dev/null
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>"$tmp/times"
        i=$((i + 1))
    done
    sort -n "$tmp/times" | awk '{v[NR]=$1} END {printf "%.1f", v[int((NR+1)/2)]/1000}'
}

# measure NAME PROTOCOL CMD...: sets ms, bytes, bpp, db for CMD's output, and prints a line.
measure() {
    name=$1 proto=$2
    shift 2
    ms=$(median_ms "$@")
    bytes=$(wc -c <"$tmp/out")
    cp "$tmp/out" "$tmp/$name.out"
    # Peers' framing may differ from ours (chafa's kitty and iTerm2 payloads): then no PSNR.
    set -- $("$tool" psnr "$tmp/photo.png" "$proto" "$tmp/out" 2>/dev/null)
    w=${1:-0} h=${2:-0} db=${3:-n/a}
    bpp=$(awk -v b="$bytes" -v w="$w" -v h="$h" 'BEGIN {printf "%.3f", (w*h) ? b/(w*h) : 0}')
    printf '%-22s %4sx%-4s %8s ms %9s bytes %6s B/px %6s dB\n' "$name" "$w" "$h" "$ms" "$bytes" "$bpp" "$db"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b ? a/b : 0}'; }

show() { "$EASEL" show --cols 80 --rows 40 --cell 8x16 --protocol "$@" "$tmp/photo.png"; }

echo "1024x1024 photo-like PNG within 640x640; whole process, median of $RUNS"
measure "easel sixel" sixel show sixel
e_ms=$ms e_bpp=$bpp e_db=$db
if command -v chafa >/dev/null 2>&1; then
    measure "chafa sixel" sixel chafa -f sixel --font-ratio 1/1 -s 80x80 "$tmp/photo.png"
    c_ms=$ms c_bpp=$bpp c_db=$db
    echo "sixel vs chafa: time x$(ratio "$e_ms" "$c_ms"), bytes/px x$(ratio "$e_bpp" "$c_bpp"), PSNR $(awk -v a="$e_db" -v b="$c_db" 'BEGIN {printf "%+.2f", a-b}') dB"
    awk -v a="$e_ms" -v b="$c_ms" 'BEGIN {exit !(a < b)}' || { echo "MISSED: easel sixel is not faster than chafa"; status=1; }
    awk -v a="$e_bpp" -v b="$c_bpp" 'BEGIN {exit !(a <= b)}' || { echo "MISSED: more bytes per pixel than chafa"; status=1; }
    awk -v a="$e_db" -v b="$c_db" 'BEGIN {exit !(a >= b - 0.5)}' || { echo "MISSED: PSNR more than 0.5 dB below chafa"; status=1; }
else
    echo "bench_show: chafa not installed, sixel comparison skipped (tools/deps.sh installs it)"
fi
if command -v img2sixel >/dev/null 2>&1; then
    measure "img2sixel (FS dither)" sixel img2sixel -w 640 -h 640 "$tmp/photo.png"
    echo "sixel vs img2sixel: time x$(ratio "$e_ms" "$ms"), bytes/px x$(ratio "$e_bpp" "$bpp"), PSNR $(awk -v a="$e_db" -v b="$db" 'BEGIN {printf "%+.2f", a-b}') dB"
    measure "img2sixel -d none" sixel img2sixel -d none -w 640 -h 640 "$tmp/photo.png"
else
    echo "bench_show: img2sixel not installed (libsixel-bin), skipped"
fi

measure "easel kitty raw" kitty show kitty
measure "easel kitty zlib" kitty show kitty --kitty-data zlib
measure "easel kitty png" kitty show kitty --kitty-data png
e_ms=$ms
if command -v chafa >/dev/null 2>&1; then
    measure "chafa kitty" kitty chafa -f kitty --font-ratio 1/1 -s 80x80 "$tmp/photo.png"
fi
measure "easel iterm" iterm show iterm
if command -v chafa >/dev/null 2>&1; then
    measure "chafa iterm" iterm chafa -f iterm --font-ratio 1/1 -s 80x80 "$tmp/photo.png"
fi
measure "easel blocks 24bit" blocks show blocks
measure "easel blocks 256" blocks show blocks --colors 256

# Through a 1 MB/s pipe: five frames of each, as a slow SSH link would take them.
echo "through a pipe limited to 1 MB/s, 5 frames each"
limit() {
    if command -v pv >/dev/null 2>&1; then pv -q -L 1m; else
        # A small rate-limited reader: 100 KB, then a tenth of a second.
        while dd bs=100000 count=1 iflag=fullblock 2>/dev/null | grep -c '' >/dev/null; do sleep 0.1; done
    fi
}
for p in "sixel" "kitty" "kitty --kitty-data png" "iterm" "blocks"; do
    set -- $p
    t0=$(date +%s%N)
    "$EASEL" show --cols 80 --rows 40 --cell 8x16 --protocol "$@" \
        "$tmp/photo.png" "$tmp/photo.png" "$tmp/photo.png" "$tmp/photo.png" "$tmp/photo.png" \
        | limit >/dev/null
    t1=$(date +%s%N)
    one=$("$EASEL" show --cols 80 --rows 40 --cell 8x16 --protocol "$@" "$tmp/photo.png" | wc -c)
    awk -v p="$p" -v b="$one" -v ns="$((t1 - t0))" \
        'BEGIN {printf "%-22s %9d bytes/frame %7.2f frames/s (%.2f at exactly 1 MB/s)\n", p, b, 5 / (ns / 1e9), 1e6 / b}'
done
exit $status
