#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds every libFuzzer target (tests/fuzz/fuzz_*.c) into build-fuzz/ with clang, ASan and
# UBSan. The library sources are compiled with clang too (instrumented for coverage), once,
# into build-fuzz/libeasel-fuzz.a; each target links what it needs from it.
#   sh tests/fuzz/build.sh [TARGET...]    (default: every target)
# Environment: CLANG (default clang), BUILD_FUZZ (default build-fuzz), FUZZ_FLAGS (extra flags).
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
CLANG=${CLANG:-clang}
out=${BUILD_FUZZ:-build-fuzz}
command -v "$CLANG" >/dev/null 2>&1 || { echo "build.sh: $CLANG not found" >&2; exit 77; }

pkgs="libcurl jansson libmicrohttpd cairo libpng spng libjpeg libwebp libcrypto libsixel zlib stb"
pkg_cflags=$(pkg-config --cflags $pkgs)
pkg_libs=$(pkg-config --libs libcurl jansson libmicrohttpd cairo libpng spng libjpeg libwebp libcrypto libsixel zlib)
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cflags="-std=c11 -g -O1 $san -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -DEASEL_VERSION=\"fuzz\" -DEASEL_FUZZ=1 -pthread $pkg_cflags ${FUZZ_FLAGS:-}"

mkdir -p "$out/obj/gen"
# The library: everything below ui/ (as the Makefile's LIB_SRC), plus the price table.
sh tools/embed.sh ea_prices_default_json < data/prices.json > "$out/obj/gen/prices_default.c.new"
cmp -s "$out/obj/gen/prices_default.c.new" "$out/obj/gen/prices_default.c" 2>/dev/null ||
    mv "$out/obj/gen/prices_default.c.new" "$out/obj/gen/prices_default.c"
rm -f "$out/obj/gen/prices_default.c.new"
objs=
for src in src/core/*.c src/model/*.c src/net/*.c src/mock/*.c src/gfx/*.c \
           "$out/obj/gen/prices_default.c"; do
    # easel-mock's main() would stand in for libFuzzer's.
    case $src in */mock/main.c) continue ;; esac
    case $src in "$out"/*) obj=$out/obj/gen/prices_default.o ;;
                 *) obj=$out/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/') ;; esac
    objs="$objs $obj"
    # Rebuild when the source or any header is newer than the object.
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
       [ -n "$(find include src -name '*.h' -newer "$obj" 2>/dev/null | head -1)" ]; then
        echo "  CC      $src"
        # stb_image_resize is third-party code whose pointer arithmetic is not ours to change:
        # the checks that fired on stb's decoder (NULL + 0, memcpy(NULL, p, 0)) stay off for it.
        extra=
        [ "$src" = src/gfx/stb_impl.c ] && extra=-fno-sanitize=pointer-overflow,nonnull-attribute
        $CLANG $cflags $extra -fsanitize=fuzzer-no-link -c -o "$obj" "$src"
    fi
done
rm -f "$out/libeasel-fuzz.a"
ar rcs "$out/libeasel-fuzz.a" $objs

targets=$*
[ -n "$targets" ] || targets=$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
for t in $targets; do
    t=${t%.c}
    echo "  FUZZ    $t"
    $CLANG $cflags -fsanitize=fuzzer -o "$out/$t" "tests/fuzz/$t.c" "$out/libeasel-fuzz.a" \
        $pkg_libs -lm
done
