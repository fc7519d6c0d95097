#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 16 item 6, the Makefile: the default build is hardened (readelf shows BIND_NOW, RELRO,
# PIE and fortified _chk calls); the user's CFLAGS win and still find every header
# (`make CFLAGS=-O0`, fortify then left out as glibc requires); BINDIR, MANDIR and LIBEXECDIR are
# honoured and the completions installed; no prices file is installed (it is compiled in).
: "${EASEL:?set EASEL to the easel binary}"
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { echo "ok build $1"; }
not_ok() { echo "not ok build $1: $2"; }

if command -v readelf >/dev/null 2>&1; then
    dyn=$(readelf -d "$EASEL")
    case $dyn in *BIND_NOW*) ok "readelf: BIND_NOW" ;; *) not_ok "readelf: BIND_NOW" "not in readelf -d" ;; esac
    readelf -lW "$EASEL" | grep -q GNU_RELRO && ok "readelf: GNU_RELRO" || not_ok "readelf: GNU_RELRO" "none"
    readelf -h "$EASEL" | grep -q 'Type: *DYN' && ok "readelf: PIE" || not_ok "readelf: PIE" "not DYN"
    n=$(readelf -sW --dyn-syms "$EASEL" | grep -c '__[a-z_]*_chk@')
    [ "$n" -gt 1 ] && ok "readelf: fortified _chk calls ($n)" || not_ok "readelf: fortified _chk calls" "$n"
else
    echo "ok build readelf # SKIP readelf not installed"
fi

# One object with the user's CFLAGS=-O0: it builds (pkg-config's flags are in CPPFLAGS), -O0
# comes last so it wins, and _FORTIFY_SOURCE is left out.
make --no-print-directory -C "$here" BUILD="$tmp/b" CFLAGS=-O0 V=1 "$tmp/b/src/cli/show.o" >"$tmp/o0.log" 2>&1; rc=$?
cmd=$(grep -- ' -c -o ' "$tmp/o0.log" | tail -n 1)
if [ "$rc" -eq 0 ] && [ -s "$tmp/b/src/cli/show.o" ] && [ "${cmd##* -O}" != "$cmd" ] &&
    ! echo "$cmd" | grep -q FORTIFY && echo "$cmd" | grep -q -- '-O0 -c -o'; then
    ok "make CFLAGS=-O0 builds, the user's flags last"
else
    not_ok "make CFLAGS=-O0 builds, the user's flags last" "rc=$rc $(tail -n 3 "$tmp/o0.log")"
fi
make --no-print-directory -C "$here" BUILD="$tmp/b" V=1 "$tmp/b/src/core/buf.o" >"$tmp/o2.log" 2>&1
grep -q -- '-D_FORTIFY_SOURCE=2' "$tmp/o2.log" && grep -q -- '-fstack-protector-strong' "$tmp/o2.log" \
    && ok "default flags: fortify and the stack protector" \
    || not_ok "default flags: fortify and the stack protector" "$(cat "$tmp/o2.log")"

# Where install puts things, without building: make -n.
make -s -n -C "$here" install DESTDIR=/dest BINDIR=/opt/e/bin MANDIR=/opt/e/man \
    LIBEXECDIR=/opt/e/lib PREFIX=/nowhere >"$tmp/install.log" 2>&1
inst() { grep -q -- "$1" "$tmp/install.log"; }
if inst '/dest/opt/e/bin/easel' && inst '/dest/opt/e/man/man1/easel.1' && inst '/dest/opt/e/man/man5/easel.5' &&
    inst 'bash-completion/completions/easel' && inst 'site-functions/_easel' && inst 'vendor_completions.d/easel.fish' &&
    inst '/dest/opt/e/lib/easel-mock' &&
    ! inst 'prices.json' && ! grep -q '/nowhere/bin\|/nowhere/share/man' "$tmp/install.log"; then
    ok "install honours BINDIR and MANDIR, installs the completions, no prices file"
else
    not_ok "install honours BINDIR and MANDIR, installs the completions, no prices file" "$(cat "$tmp/install.log")"
fi
# Only the helper's finder (src/core/helper.c) looks there, and it alone is built with it.
make -s -n -C "$here" BUILD="$tmp/b" LIBEXECDIR=/opt/e/lib V=1 "$tmp/b/src/core/helper.o" 2>&1 | grep -q "EASEL_LIBEXECDIR='\"/opt/e/lib\"'" \
    && ok "LIBEXECDIR reaches the program" || not_ok "LIBEXECDIR reaches the program" "not in the compile line"
exit 0
