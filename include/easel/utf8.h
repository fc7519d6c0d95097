/* SPDX-License-Identifier: MIT */
/* utf8: decoding one UTF-8 sequence strictly (no overlong forms, no surrogates, nothing past
 * U+10FFFF), the one place easel decides what valid UTF-8 is. Pure; libc only. */
#ifndef EASEL_UTF8_H
#define EASEL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length (1-4) of the valid sequence at s, reading at most n bytes (n >= 1), and its code
 * point in *cp; 0 when the bytes there are not valid UTF-8. */
size_t ea_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
