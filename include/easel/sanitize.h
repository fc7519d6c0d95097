/* SPDX-License-Identifier: MIT */
/* sanitize: text from the network made safe to print on a terminal: no control characters
 * (C0, DEL, C1), no bidi overrides or isolates, valid UTF-8 only. Pure; libc only. */
#ifndef EASEL_SANITIZE_H
#define EASEL_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "easel/buf.h"

/* Appends the safe form of text[0..len) to out: controls and bidi controls are dropped
 * (a newline or tab becomes a space unless keep_newlines), each invalid UTF-8 byte becomes
 * U+FFFD. Returns 0, or -1 when out's cap was reached (what fit is kept). */
int ea_sanitize_append(ea_buf *out, const char *text, size_t len, int keep_newlines);
/* Convenience for short strings: a sanitized, NUL-terminated copy into out[size]. */
void ea_sanitize_copy(char *out, size_t size, const char *text);
/* Whether text is its own safe form: valid UTF-8 with no control or bidi control (a newline
 * and a tab count as controls here). For names that are printed as they are. */
bool ea_sanitize_is_clean(const char *text);

#endif
