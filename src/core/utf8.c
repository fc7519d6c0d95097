/* SPDX-License-Identifier: MIT */
#include "easel/utf8.h"

size_t ea_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned c = s[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < smallest[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0; /* overlong, out of range, or a UTF-16 surrogate */
    *cp = v;
    return len;
}
