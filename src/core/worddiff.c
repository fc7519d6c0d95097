/* SPDX-License-Identifier: MIT */
#include "easel/worddiff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "easel/sanitize.h"
#include "easel/utf8.h"

const ea_wd_marks ea_wd_plain_marks = {"{+", "+}", "[-", "-]"};

/* ---- Words ----------------------------------------------------------------------------- */

typedef struct token {
    size_t start, len;   /* the word */
    size_t space_end;    /* the whitespace after it runs to here */
    uint32_t hash;       /* of the word's bytes: most unequal pairs differ here */
} token;

typedef struct token_list {
    token *items;
    size_t count;
} token_list;

enum char_class { CC_SPACE, CC_WORD, CC_SINGLE };

/* Decodes one character at s[0..left): its length, and *cp (-1 for a byte that is not valid
 * UTF-8, which then counts as a one-byte letter). */
static size_t decode(const unsigned char *s, size_t left, long *cp)
{
    uint32_t v;
    size_t len = ea_utf8_decode(s, left, &v);
    *cp = len ? (long)v : -1;
    return len ? len : 1;
}

static enum char_class classify(long cp)
{
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
        (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
        cp == 0x205F || cp == 0x3000)
        return CC_SPACE;
    if (cp < 0) /* a stray byte: part of whatever word it sits in */
        return CC_WORD;
    if (cp < 0x80) {
        bool alnum = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
                     (cp >= 'A' && cp <= 'Z') || cp == '_';
        return alnum ? CC_WORD : CC_SINGLE;
    }
    /* CJK punctuation, kana and ideographs: scripts written without spaces. */
    if ((cp >= 0x3001 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFF01 && cp <= 0xFF60) || (cp >= 0x20000 && cp <= 0x2FFFF))
        return CC_SINGLE;
    return CC_WORD;
}

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int tokenize(const char *text, size_t len, token_list *out)
{
    out->items = NULL;
    out->count = 0;
    /* A word takes at least one byte and so does the space between two words. */
    size_t cap = len / 2 + 1;
    if (!(out->items = malloc(cap * sizeof *out->items)))
        return -1;
    const unsigned char *s = (const unsigned char *)text;
    size_t pos = 0;
    long cp;
    /* Leading whitespace belongs to no word and is not shown. */
    while (pos < len) {
        size_t n = decode(s + pos, len - pos, &cp);
        if (classify(cp) != CC_SPACE)
            break;
        pos += n;
    }
    while (pos < len) {
        if (out->count == cap) { /* only a text of single-byte tokens with no spaces gets here */
            token *grown = realloc(out->items, (cap *= 2) * sizeof *grown);
            if (!grown)
                return -1;
            out->items = grown;
        }
        token *t = &out->items[out->count++];
        t->start = pos;
        size_t n = decode(s + pos, len - pos, &cp);
        enum char_class cls = classify(cp);
        pos += n;
        while (cls == CC_WORD && pos < len) {
            n = decode(s + pos, len - pos, &cp);
            if (classify(cp) != CC_WORD)
                break;
            pos += n;
        }
        t->len = pos - t->start;
        t->hash = fnv1a(text + t->start, t->len);
        while (pos < len) {
            n = decode(s + pos, len - pos, &cp);
            if (classify(cp) != CC_SPACE)
                break;
            pos += n;
        }
        t->space_end = pos;
    }
    return 0;
}

static bool same_word(const char *a, const token *ta, const char *b, const token *tb)
{
    return ta->hash == tb->hash && ta->len == tb->len &&
           memcmp(a + ta->start, b + tb->start, ta->len) == 0;
}

/* ---- The edit script ------------------------------------------------------------------- */

/* One word's fate: SAME has both indices, ADDED only b, DROPPED only a. */
typedef struct edit {
    enum ea_wd_op op;
    size_t a, b;
} edit;

typedef struct script {
    edit *items;
    size_t count;
} script;

static void push(script *s, enum ea_wd_op op, size_t a, size_t b)
{
    s->items[s->count++] = (edit){op, a, b};
}

enum { DIR_DIAG = 1, DIR_UP = 2, DIR_LEFT = 3 };

static unsigned get_dir(const unsigned char *dirs, size_t cell)
{
    return (dirs[cell / 4] >> (cell % 4 * 2)) & 3u;
}

static void set_dir(unsigned char *dirs, size_t cell, unsigned d)
{
    dirs[cell / 4] |= (unsigned char)(d << (cell % 4 * 2));
}

/* The LCS of a[0..n) and b[0..m) by dynamic programming: two rows of lengths and two bits of
 * direction per cell, so memory is (n * m) / 4 bytes. Appends the edits in order. */
static int lcs_middle(const char *at, const token *a, size_t n, size_t a0, const char *bt,
                      const token *b, size_t m, size_t b0, script *out)
{
    unsigned char *dirs = calloc((n * m + 3) / 4, 1);
    uint32_t *prev = calloc(m + 1, sizeof *prev), *cur = calloc(m + 1, sizeof *cur);
    edit *reversed = malloc((n + m) * sizeof *reversed);
    int rc = -1;
    if (!dirs || !prev || !cur || !reversed)
        goto done;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = 0;
        for (size_t j = 1; j <= m; j++) {
            size_t cell = (i - 1) * m + (j - 1);
            if (same_word(at, &a[i - 1], bt, &b[j - 1])) {
                cur[j] = prev[j - 1] + 1;
                set_dir(dirs, cell, DIR_DIAG);
            } else if (prev[j] >= cur[j - 1]) {
                cur[j] = prev[j];
                set_dir(dirs, cell, DIR_UP);
            } else {
                cur[j] = cur[j - 1];
                set_dir(dirs, cell, DIR_LEFT);
            }
        }
        uint32_t *swap = prev;
        prev = cur;
        cur = swap;
    }
    size_t k = 0, i = n, j = m;
    while (i > 0 || j > 0) {
        unsigned d = i > 0 && j > 0 ? get_dir(dirs, (i - 1) * m + (j - 1)) : i > 0 ? DIR_UP
                                                                                  : DIR_LEFT;
        if (d == DIR_DIAG)
            reversed[k++] = (edit){EA_WD_SAME, a0 + --i, b0 + --j};
        else if (d == DIR_UP)
            reversed[k++] = (edit){EA_WD_DROPPED, a0 + --i, 0};
        else
            reversed[k++] = (edit){EA_WD_ADDED, 0, b0 + --j};
    }
    while (k > 0)
        out->items[out->count++] = reversed[--k];
    rc = 0;
done:
    free(dirs);
    free(prev);
    free(cur);
    free(reversed);
    return rc;
}

/* Within each run of changes between two kept words, the dropped words come first: the
 * reader sees what went, then what came in its place. Stable, in place. */
static int drops_first(script *s)
{
    edit *tmp = malloc((s->count + 1) * sizeof *tmp);
    if (!tmp)
        return -1;
    for (size_t i = 0; i < s->count;) {
        if (s->items[i].op == EA_WD_SAME) {
            i++;
            continue;
        }
        size_t end = i, k = 0;
        while (end < s->count && s->items[end].op != EA_WD_SAME)
            end++;
        for (size_t x = i; x < end; x++)
            if (s->items[x].op == EA_WD_DROPPED)
                tmp[k++] = s->items[x];
        for (size_t x = i; x < end; x++)
            if (s->items[x].op == EA_WD_ADDED)
                tmp[k++] = s->items[x];
        memcpy(&s->items[i], tmp, k * sizeof *tmp);
        i = end;
    }
    free(tmp);
    return 0;
}

/* ---- Spans ----------------------------------------------------------------------------- */

typedef struct side {
    const char *text;
    const token_list *tokens;
} side;

/* Turns the edit script into runs, choosing the whitespace after each run from the text in
 * which the two neighbours stood side by side. */
static int build_spans(const script *s, const side *old, const side *new, ea_worddiff *d)
{
    if (s->count == 0)
        return 0;
    if (!(d->spans = calloc(s->count, sizeof *d->spans)))
        return -1;
    for (size_t i = 0; i < s->count;) {
        enum ea_wd_op op = s->items[i].op;
        size_t end = i;
        while (end < s->count && s->items[end].op == op)
            end++;
        const side *src = op == EA_WD_DROPPED ? old : new;
        const edit *first = &s->items[i], *last = &s->items[end - 1];
        const token *t0 = &src->tokens->items[op == EA_WD_DROPPED ? first->a : first->b];
        const token *t1 = &src->tokens->items[op == EA_WD_DROPPED ? last->a : last->b];
        ea_wd_span *span = &d->spans[d->count++];
        span->op = op;
        span->text = src->text + t0->start;
        span->len = t1->start + t1->len - t0->start;

        enum ea_wd_op next = end < s->count ? s->items[end].op : op;
        const token *after = t1;
        const char *after_text = src->text;
        if (end == s->count || (op == EA_WD_DROPPED && next == EA_WD_ADDED)) {
            after = NULL; /* nothing after the last run; a replacement reads [-a-]{+b+} */
        } else if (op == EA_WD_SAME && next == EA_WD_DROPPED) {
            after = &old->tokens->items[last->a]; /* the space that stood before the dropped */
            after_text = old->text;
        }
        if (after) {
            span->space = after_text + after->start + after->len;
            span->space_len = after->space_end - after->start - after->len;
        } else {
            span->space = span->text + span->len;
            span->space_len = 0;
        }
        size_t words = end - i;
        if (op == EA_WD_SAME)
            d->same += words;
        else if (op == EA_WD_ADDED)
            d->added += words;
        else
            d->dropped += words;
        i = end;
    }
    return 0;
}

int ea_worddiff_compute(const char *old_text, size_t old_len, const char *new_text,
                        size_t new_len, size_t max_cells, ea_worddiff *d)
{
    memset(d, 0, sizeof *d);
    if (max_cells == 0)
        max_cells = EA_WORDDIFF_DEFAULT_CELLS;
    token_list a, b;
    script s = {0};
    int rc = -1;
    int ta = tokenize(old_text, old_len, &a), tb = tokenize(new_text, new_len, &b);
    if (ta != 0 || tb != 0)
        goto done;
    size_t n = a.count, m = b.count;
    if (!(s.items = malloc((n + m + 1) * sizeof *s.items)))
        goto done;

    size_t pre = 0, suf = 0;
    while (pre < n && pre < m && same_word(old_text, &a.items[pre], new_text, &b.items[pre]))
        pre++;
    while (suf < n - pre && suf < m - pre &&
           same_word(old_text, &a.items[n - 1 - suf], new_text, &b.items[m - 1 - suf]))
        suf++;
    for (size_t i = 0; i < pre; i++)
        push(&s, EA_WD_SAME, i, i);

    size_t mid_n = n - pre - suf, mid_m = m - pre - suf;
    if (mid_n > 0 && mid_m > 0 && mid_n > max_cells / mid_m) {
        d->coarse = true;
        for (size_t i = 0; i < mid_n; i++)
            push(&s, EA_WD_DROPPED, pre + i, 0);
        for (size_t j = 0; j < mid_m; j++)
            push(&s, EA_WD_ADDED, 0, pre + j);
    } else if (mid_n > 0 && mid_m > 0) {
        if (lcs_middle(old_text, a.items + pre, mid_n, pre, new_text, b.items + pre, mid_m, pre,
                       &s) != 0)
            goto done;
    } else {
        for (size_t i = 0; i < mid_n; i++)
            push(&s, EA_WD_DROPPED, pre + i, 0);
        for (size_t j = 0; j < mid_m; j++)
            push(&s, EA_WD_ADDED, 0, pre + j);
    }
    for (size_t k = 0; k < suf; k++)
        push(&s, EA_WD_SAME, n - suf + k, m - suf + k);

    side old = {old_text, &a}, new = {new_text, &b};
    if (drops_first(&s) != 0 || build_spans(&s, &old, &new, d) != 0)
        goto done;
    rc = 0;
done:
    free(a.items);
    free(b.items);
    free(s.items);
    if (rc != 0)
        ea_worddiff_free(d);
    return rc;
}

void ea_worddiff_free(ea_worddiff *d)
{
    free(d->spans);
    memset(d, 0, sizeof *d);
}

int ea_worddiff_render(const ea_worddiff *d, const ea_wd_marks *marks, ea_buf *out)
{
    int rc = 0;
    for (size_t i = 0; i < d->count; i++) {
        const ea_wd_span *sp = &d->spans[i];
        const char *open = sp->op == EA_WD_ADDED     ? marks->add_open
                           : sp->op == EA_WD_DROPPED ? marks->drop_open
                                                     : "";
        const char *close = sp->op == EA_WD_ADDED     ? marks->add_close
                            : sp->op == EA_WD_DROPPED ? marks->drop_close
                                                      : "";
        rc |= ea_buf_puts(out, open);
        rc |= ea_sanitize_append(out, sp->text, sp->len, 0);
        rc |= ea_buf_puts(out, close);
        rc |= ea_sanitize_append(out, sp->space, sp->space_len, 0);
    }
    if (!out->data) /* an empty diff still renders as "" */
        rc |= ea_buf_puts(out, "");
    return rc ? -1 : 0;
}
