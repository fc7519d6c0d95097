/* SPDX-License-Identifier: MIT */
#include "easel/sanitize.h"

#include <stdbool.h>
#include <string.h>

#include "easel/utf8.h"

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Code points that reorder or hide text: bidi embeddings, overrides, isolates and marks. */
static bool is_bidi_control(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
           cp == 0x200F || cp == 0x061C;
}

int ea_sanitize_append(ea_buf *out, const char *text, size_t len, int keep_newlines)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = ea_utf8_decode(s + i, len - i, &cp);
        int rc = 0;
        if (k == 0) {
            rc = ea_buf_append(out, replacement, 3);
            k = 1;
        } else if (cp == '\n' || cp == '\t') {
            rc = ea_buf_putc(out, keep_newlines && cp == '\n' ? '\n' : ' ');
        } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || is_bidi_control(cp)) {
            /* dropped: ESC, CSI, BEL, CR, C1 and friends could drive the terminal */
        } else {
            rc = ea_buf_append(out, s + i, k);
        }
        if (rc != 0)
            return -1;
        i += k;
    }
    return 0;
}

bool ea_sanitize_is_clean(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text);
    for (size_t i = 0, k; i < len; i += k) {
        uint32_t cp;
        if ((k = ea_utf8_decode(s + i, len - i, &cp)) == 0 || cp < 0x20 || cp == 0x7F ||
            (cp >= 0x80 && cp < 0xA0) || is_bidi_control(cp))
            return false;
    }
    return true;
}

void ea_sanitize_copy(char *out, size_t size, const char *text)
{
    if (size == 0)
        return;
    ea_buf b;
    ea_buf_init(&b, size - 1);
    ea_sanitize_append(&b, text, strlen(text), 0);
    if (!b.data) { /* out of memory: the printable ASCII alone, never the rest */
        size_t n = 0;
        for (const char *p = text; *p && n + 1 < size; p++)
            out[n++] = *p >= 0x20 && *p < 0x7F ? *p : '?';
        out[n] = '\0';
        return;
    }
    size_t n = b.len < size - 1 ? b.len : size - 1;
    /* Never cut a UTF-8 sequence in half at the end. */
    while (n > 0 && n < b.len && ((unsigned char)b.data[n] & 0xC0) == 0x80)
        n--;
    if (n)
        memcpy(out, b.data, n);
    out[n] = '\0';
    ea_buf_free(&b);
}
