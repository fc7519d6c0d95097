#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages easel needs, when any is missing.
#   sh tools/deps.sh          what building and running easel need: the compiler, pkg-config
#                             and the libraries' -dev packages, CA certificates for TLS.
#   sh tools/deps.sh --test   that, and what the tests and benchmarks need besides: cmocka and
#                             libsixel (the unit tests decode sixel output with it);
#                             tmux for the workbench tests; Xvfb with xterm and kitty (on mesa's
#                             software OpenGL), x11-utils, xdotool, ImageMagick and the pinned
#                             font (fonts-dejavu-core, tests/lib/x11.sh) for the real-terminal
#                             tests that compare screenshots with the picture that should be on
#                             screen; the peers `make bench` measures against (chafa, img2sixel
#                             from libsixel-bin, curl, pv to limit a pipe's rate, GNU time for
#                             peak memory); clang's libFuzzer, valgrind, python3 and openssl for
#                             the hostile test server, zsh and fish to run their completion
#                             scripts, and Node.js for the official SDK's tests.
# As root it runs apt-get itself; otherwise it prints the one command that does and fails.
set -u
packages="make gcc pkg-config ca-certificates
libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev libcairo2-dev libpng-dev libspng-dev
libjpeg62-turbo-dev libwebp-dev libssl-dev libstb-dev libncurses-dev"
case "${1:-}" in
--test)
    packages="$packages libcmocka-dev libsixel-dev fonts-dejavu-core curl
tmux time chafa libsixel-bin pv xvfb xterm x11-utils xdotool imagemagick kitty libgl1-mesa-dri
clang libclang-rt-14-dev valgrind python3 openssl zsh fish"
    # The SDK conformance tests run the official openai package on Node.js; any node >= 18
    # will do, so an installed one (nodesource, nvm) is kept and Debian's is added only when
    # none is there.
    command -v node >/dev/null 2>&1 || packages="$packages nodejs"
    command -v npm >/dev/null 2>&1 || packages="$packages npm"
    ;;
"") ;;
*) echo "usage: sh tools/deps.sh [--test]" >&2; exit 2 ;;
esac

missing=""
for p in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
    case "$status" in *"ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "easel needs these Debian packages:$missing" >&2
    echo "install them with:  sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null
