/* SPDX-License-Identifier: MIT */
/* buf: a growable byte buffer with a hard cap on its size, always NUL-terminated.
 * The caller owns the struct; ea_buf_free releases the bytes, ea_buf_steal hands them over. */
#ifndef EASEL_BUF_H
#define EASEL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

typedef struct ea_buf {
    char *data;   /* NULL until the first append; NUL-terminated after it */
    size_t len;
    size_t cap;   /* bytes allocated */
    size_t max;   /* appends that would pass this many bytes fail */
} ea_buf;

#define EA_BUF_UNCAPPED ((size_t)-1 / 2)

void ea_buf_init(ea_buf *b, size_t max);
/* 0 on success; -1 when the cap would be passed or memory ran out (b is unchanged). */
int ea_buf_append(ea_buf *b, const void *bytes, size_t n);
int ea_buf_putc(ea_buf *b, char c);
int ea_buf_puts(ea_buf *b, const char *s);
int ea_buf_printf(ea_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ea_buf_vprintf(ea_buf *b, const char *fmt, va_list ap);
/* Appends all that f yields until its end: 0, or -1 when the cap (or memory) stops it or a
 * read fails (ferror(f) says which). What was appended before stays. */
int ea_buf_append_stream(ea_buf *b, FILE *f);
/* Makes room for n more bytes without changing len. */
int ea_buf_reserve(ea_buf *b, size_t n);
void ea_buf_reset(ea_buf *b);            /* len = 0, keeps the memory */
void ea_buf_consume(ea_buf *b, size_t n); /* drops the first n bytes */
/* Returns the bytes (caller frees) and leaves b empty; never NULL unless out of memory. */
char *ea_buf_steal(ea_buf *b, size_t *len_out);
void ea_buf_free(ea_buf *b);

#endif
