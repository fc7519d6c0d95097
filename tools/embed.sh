#!/bin/sh
# SPDX-License-Identifier: MIT
# Turns stdin into a C string constant named $1, so data files can be compiled in.
name=$1
printf '/* generated from a data file by tools/embed.sh; do not edit */\n'
printf 'const char %s[] =\n' "$name"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/'
printf ';\n'
