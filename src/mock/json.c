/* SPDX-License-Identifier: MIT */
/* mock/json.c: the few writers the mock's replies need. Replies are assembled by hand rather
 * than through jansson because each carries megabytes of base64 that a tree would copy twice
 * (into the tree, then out of it) for nothing. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int mock_json_string(ea_buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = ea_buf_putc(out, '"');
    const char *run = s;   /* bytes that need no escaping go out in one append */
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc |= ea_buf_append(out, run, (size_t)(s - run));
        switch (c) {
        case '"': rc |= ea_buf_puts(out, "\\\""); break;
        case '\\': rc |= ea_buf_puts(out, "\\\\"); break;
        case '\n': rc |= ea_buf_puts(out, "\\n"); break;
        case '\r': rc |= ea_buf_puts(out, "\\r"); break;
        case '\t': rc |= ea_buf_puts(out, "\\t"); break;
        default: {
            char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], '\0' };
            rc |= ea_buf_puts(out, esc);
        }
        }
        run = s + 1;
    }
    rc |= ea_buf_append(out, run, (size_t)(s - run));
    rc |= ea_buf_putc(out, '"');
    return rc ? -1 : 0;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mock_base64_encode(ea_buf *out, const void *bytes, size_t n)
{
    const unsigned char *in = bytes;
    if (ea_buf_reserve(out, (n + 2) / 3 * 4) != 0)
        return -1;
    char *w = out->data + out->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        *w++ = b64_alphabet[v >> 18 & 63];
        *w++ = b64_alphabet[v >> 12 & 63];
        *w++ = b64_alphabet[v >> 6 & 63];
        *w++ = b64_alphabet[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
        *w++ = b64_alphabet[v >> 18 & 63];
        *w++ = b64_alphabet[v >> 12 & 63];
        *w++ = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
        *w++ = '=';
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
    return 0;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;  /* '-' and '_': the URL-safe alphabet */
    if (c == '/' || c == '_') return 63;
    return -1;
}

int mock_base64_decode(const char *text, size_t n, ea_buf *out)
{
    while (n > 0 && text[n - 1] == '=')
        n--;
    if (n % 4 == 1 || ea_buf_reserve(out, n / 4 * 3 + 2) != 0)
        return -1;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)text[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (char)(acc >> bits & 0xff);
        }
    }
    out->data[out->len] = '\0';
    return 0;
}

int mock_fail(mock_error *e, int status, const char *type, const char *code, const char *param,
              const char *fmt, ...)
{
    e->status = status;
    e->azure = false;
    e->azure_filtered = NULL;
    e->type = type;
    e->code = code;
    snprintf(e->param, sizeof e->param, "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* Azure OpenAI's error: no type, the status repeated, and the content filter's verdict on
 * each category (protocol.md section 7). */
static int azure_error_body(ea_buf *out, const mock_error *e)
{
    static const char *const categories[] = {"hate", "self_harm", "sexual", "violence"};
    int rc = ea_buf_puts(out, "{\"error\":{\"code\":");
    rc |= mock_json_string(out, e->code ? e->code : "");
    rc |= ea_buf_puts(out, ",\"message\":");
    rc |= mock_json_string(out, e->message);
    rc |= ea_buf_puts(out, ",\"param\":");
    rc |= e->param[0] ? mock_json_string(out, e->param) : ea_buf_puts(out, "null");
    rc |= ea_buf_printf(out, ",\"status\":%d", e->status);
    if (e->azure_filtered) {
        rc |= ea_buf_puts(out, ",\"innererror\":{\"code\":\"ResponsibleAIPolicyViolation\","
                               "\"content_filter_result\":{");
        for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++) {
            bool hit = strcmp(categories[i], e->azure_filtered) == 0;
            rc |= ea_buf_printf(out, "%s\"%s\":{\"filtered\":%s,\"severity\":\"%s\"}",
                                i ? "," : "", categories[i], hit ? "true" : "false",
                                hit ? "high" : "safe");
        }
        rc |= ea_buf_puts(out, "}}");
    }
    rc |= ea_buf_puts(out, "}}");
    return rc ? -1 : 0;
}

int mock_error_body(ea_buf *out, const mock_error *e)
{
    if (e->azure)
        return azure_error_body(out, e);
    int rc = ea_buf_puts(out, "{\"error\":{\"message\":");
    rc |= mock_json_string(out, e->message);
    rc |= ea_buf_puts(out, ",\"type\":");
    rc |= mock_json_string(out, e->type);
    rc |= ea_buf_puts(out, ",\"param\":");
    rc |= e->param[0] ? mock_json_string(out, e->param) : ea_buf_puts(out, "null");
    rc |= ea_buf_puts(out, ",\"code\":");
    rc |= e->code ? mock_json_string(out, e->code) : ea_buf_puts(out, "null");
    rc |= ea_buf_puts(out, "}}");
    return rc ? -1 : 0;
}
