/* SPDX-License-Identifier: MIT */
/* worddiff: a word-level diff of two texts (a prompt and the rewriter's revised prompt), as
 * runs of kept, added and dropped words; LCS-based, UTF-8 aware, bounded work. Pure; libc only. */
#ifndef EASEL_WORDDIFF_H
#define EASEL_WORDDIFF_H

/*
 * Words are runs of letters and digits (any non-ASCII character counts as a letter, so every
 * script works; a CJK ideograph or kana is a word of its own, since those scripts put no
 * spaces between words); each ASCII punctuation mark is a word of its own, so "snow" and
 * "snow." differ by one ".". Whitespace (ASCII and Unicode spaces) separates words and is
 * never compared. Bytes that are not valid UTF-8 are one-byte letters.
 *
 * The diff is a longest common subsequence of the two word lists after their common prefix
 * and suffix are set apart. When the part left would need more than max_cells table cells,
 * that part is reported as dropped and added whole (d->coarse is set): the work is bounded
 * by the inputs' length plus max_cells, whatever the inputs.
 */

#include <stdbool.h>
#include <stddef.h>

#include "easel/buf.h"

enum ea_wd_op {
    EA_WD_SAME,    /* in both texts */
    EA_WD_ADDED,   /* only in the new text */
    EA_WD_DROPPED, /* only in the old text */
};

/* A run of consecutive words with one op. text points into the new text (SAME, ADDED) or
 * the old one (DROPPED), from the run's first word to its last, whitespace between them
 * included. space is the whitespace to print after the run (it may be empty). */
typedef struct ea_wd_span {
    enum ea_wd_op op;
    const char *text;
    size_t len;
    const char *space;
    size_t space_len;
} ea_wd_span;

typedef struct ea_worddiff {
    ea_wd_span *spans; /* owned; in reading order, a dropped run before the added one */
    size_t count;
    size_t added, dropped, same; /* words in each class */
    bool coarse;       /* the bound was hit: the changed middle is one dropped and one added run */
} ea_worddiff;

/* A bound that keeps a diff of two 1,000-word texts exact and costs at most 1 MiB. */
#define EA_WORDDIFF_DEFAULT_CELLS ((size_t)4 << 20)

/* Diffs old_text against new_text (neither needs a NUL). The spans borrow both texts, which
 * must outlive d. max_cells 0 means EA_WORDDIFF_DEFAULT_CELLS. 0, or -1 when out of memory. */
int ea_worddiff_compute(const char *old_text, size_t old_len, const char *new_text,
                        size_t new_len, size_t max_cells, ea_worddiff *d);
void ea_worddiff_free(ea_worddiff *d);

/* Markers around the added and dropped runs: "{+", "+}", "[-", "-]" for plain text, or
 * terminal attributes. Any may be "". */
typedef struct ea_wd_marks {
    const char *add_open, *add_close, *drop_open, *drop_close;
} ea_wd_marks;

extern const ea_wd_marks ea_wd_plain_marks; /* {+added+} [-dropped-], as git diff --word-diff */

/* Appends the diff as one line of text, each run sanitized (ea_sanitize_append: the texts
 * come from the network), wrapped in marks. 0, or -1 when out's cap was reached. */
int ea_worddiff_render(const ea_worddiff *d, const ea_wd_marks *marks, ea_buf *out);

#endif
