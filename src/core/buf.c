/* SPDX-License-Identifier: MIT */
#include "easel/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ea_buf_init(ea_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

int ea_buf_reserve(ea_buf *b, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return -1;
    size_t need = b->len + n + 1; /* room for the terminating NUL */
    if (need <= b->cap)
        return 0;
    /* Doubling keeps appends amortised O(1) for multi-megabyte SSE events. */
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ea_buf_append(ea_buf *b, const void *bytes, size_t n)
{
    if (ea_buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ea_buf_append_stream(ea_buf *b, FILE *f)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (ea_buf_append(b, chunk, n) != 0)
            return -1;
    return ferror(f) ? -1 : 0;
}

int ea_buf_putc(ea_buf *b, char c)
{
    return ea_buf_append(b, &c, 1);
}

int ea_buf_puts(ea_buf *b, const char *s)
{
    return ea_buf_append(b, s, strlen(s));
}

int ea_buf_vprintf(ea_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || ea_buf_reserve(b, (size_t)n) != 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int ea_buf_printf(ea_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ea_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void ea_buf_reset(ea_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void ea_buf_consume(ea_buf *b, size_t n)
{
    if (n >= b->len) {
        ea_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

char *ea_buf_steal(ea_buf *b, size_t *len_out)
{
    if (!b->data && ea_buf_reserve(b, 0) != 0)
        return NULL;
    b->data[b->len] = '\0';
    char *p = b->data;
    if (len_out)
        *len_out = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void ea_buf_free(ea_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
