#!/bin/sh
# Installs the Debian 12 packages easel needs to build and test, when any is missing: the
# libraries, tmux for the workbench tests, and the peers `make bench` measures against
# (chafa, img2sixel from libsixel-bin, pv to limit a pipe's rate, GNU time for peak memory),
# and Xvfb with xterm and kitty (on mesa's software OpenGL), x11-utils, xdotool and ImageMagick for the
# real-terminal tests that compare screenshots with the picture that should be on screen;
# clang's libFuzzer for the fuzz targets, valgrind, and python3 and openssl for the hostile
# test server.
# As root it runs apt-get itself; otherwise it prints the one command that does and fails.
set -u
packages="make gcc pkg-config curl ca-certificates
libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev libcairo2-dev libpng-dev
libjpeg62-turbo-dev libwebp-dev libssl-dev libstb-dev libsixel-dev libncurses-dev
libcmocka-dev fonts-dejavu-core
tmux time chafa libsixel-bin pv xvfb xterm x11-utils xdotool imagemagick kitty libgl1-mesa-dri
clang libclang-rt-14-dev valgrind python3 openssl"
# The SDK conformance tests run the official openai package on Node.js; any node >= 18 will do,
# so an installed one (nodesource, nvm) is kept and Debian's is added only when none is there.
command -v node >/dev/null 2>&1 || packages="$packages nodejs"
command -v npm >/dev/null 2>&1 || packages="$packages npm"

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
