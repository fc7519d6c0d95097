#include "easel/sanitize.h"

#include <stdbool.h>
#include <string.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* The length of the valid UTF-8 sequence at s (at most n bytes) and its code point; 0 when
 * the bytes there are not valid UTF-8 (overlong forms and surrogates included). */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    unsigned min;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2, min = 0x80, *cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, min = 0x800, *cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return len;
}

/* Code points that reorder or hide text: bidi embeddings, overrides, isolates and marks. */
static bool is_bidi_control(unsigned cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
           cp == 0x200F || cp == 0x061C;
}

int ea_sanitize_append(ea_buf *out, const char *text, size_t len, int keep_newlines)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        unsigned cp;
        size_t k = utf8_decode(s + i, len - i, &cp);
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

void ea_sanitize_copy(char *out, size_t size, const char *text)
{
    if (size == 0)
        return;
    ea_buf b;
    ea_buf_init(&b, size - 1);
    ea_sanitize_append(&b, text, strlen(text), 0);
    size_t n = b.len < size - 1 ? b.len : size - 1;
    /* Never cut a UTF-8 sequence in half at the end. */
    while (n > 0 && n < b.len && ((unsigned char)b.data[n] & 0xC0) == 0x80)
        n--;
    if (n)
        memcpy(out, b.data, n);
    out[n] = '\0';
    ea_buf_free(&b);
}
