/* SPDX-License-Identifier: MIT */
/* wcwidth() is an X/Open function: glibc declares it only when asked. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include "easel/editbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "easel/utf8.h"

/* ---- Code points and clusters ------------------------------------------------------------ */

/* The code point at s[pos] and its length; an invalid byte is U+FFFD, one byte long, so
 * every byte offset makes progress. */
static size_t decode_at(const char *s, size_t len, size_t pos, uint32_t *cp)
{
    size_t k = ea_utf8_decode((const unsigned char *)s + pos, len - pos, cp);
    if (k == 0) {
        *cp = 0xFFFD;
        return 1;
    }
    return k;
}

/* The Indic blocks (Devanagari U+0900 to Malayalam U+0D7F) follow ISCII's layout, so their
 * signs and spacing vowel signs sit at the same offsets in each block of 128: the signs
 * before the letters (candrabindu, anusvara, visarga), the nukta, the vowel signs and virama,
 * the length marks and the vocalic vowel signs. Sinhala (U+0D80) puts its vowel signs later. */
static bool is_indic_mark(uint32_t cp)
{
    if (cp >= 0x0D80 && cp <= 0x0DFF) {
        unsigned o = cp - 0x0D80;
        return (o >= 0x01 && o <= 0x03) || (o >= 0x4A && o <= 0x5F) || (o >= 0x72 && o <= 0x73);
    }
    if (cp < 0x0900 || cp > 0x0D7F)
        return false;
    unsigned o = (cp - 0x0900) % 0x80;
    return (o >= 0x01 && o <= 0x03) || (o >= 0x3A && o <= 0x3C) || (o >= 0x3E && o <= 0x4F) ||
           (o >= 0x55 && o <= 0x57) || (o >= 0x62 && o <= 0x63);
}

#define ZWJ 0x200D

/* A code point that belongs to the cluster before it. */
static bool extends(uint32_t cp)
{
    if (cp == ZWJ || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0x1F3FB && cp <= 0x1F3FF) ||
        (cp >= 0xE0020 && cp <= 0xE007F) || is_indic_mark(cp))
        return true;
    return cp >= 0x300 && wcwidth((wchar_t)cp) == 0;
}

size_t ea_text_next(const char *s, size_t len, size_t pos)
{
    if (pos >= len)
        return len;
    uint32_t cp, prev;
    pos += decode_at(s, len, pos, &prev);
    if (prev == '\n')
        return pos;
    while (pos < len) {
        size_t k = decode_at(s, len, pos, &cp);
        /* After a joiner the next code point joins too: 👩 ZWJ 🎨 is one picture. */
        if (!extends(cp) && prev != ZWJ)
            break;
        pos += k;
        prev = cp;
    }
    return pos;
}

size_t ea_text_prev(const char *s, size_t len, size_t pos)
{
    if (pos == 0)
        return 0;
    /* Clusters are defined walking forward, so walk forward from the start of the line: a
     * newline always ends one. Lines of a prompt are short enough for this to be cheap. */
    size_t start = pos;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    if (start == pos)
        return pos - 1; /* just after a newline: the newline is the cluster */
    size_t at = start, last = start;
    while (at < pos) {
        last = at;
        at = ea_text_next(s, len, at);
    }
    return last;
}

static int cp_width(uint32_t cp)
{
    if (cp == '\n')
        return 0;
    int w = wcwidth((wchar_t)cp);
    if (w < 0)
        return 1; /* drawn as U+FFFD */
    return w;
}

int ea_text_width(const char *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += decode_at(s, n, i, &cp);
        w += cp_width(cp);
    }
    return w;
}

size_t ea_text_row_end(const char *s, size_t len, size_t start, int width, size_t *next)
{
    size_t at = start;
    int used = 0;
    while (at < len && s[at] != '\n') {
        size_t end = ea_text_next(s, len, at);
        int w = ea_text_width(s + at, end - at);
        if (used + w > width && at > start)
            break;
        used += w;
        at = end;
    }
    *next = at < len && s[at] == '\n' ? at + 1 : at;
    return at;
}

void ea_text_locate(const char *s, size_t len, size_t pos, int width, int *row, int *col,
                    int *rows)
{
    size_t start = 0;
    int r = 0;
    *row = 0;
    *col = 0;
    for (;;) {
        size_t next, end = ea_text_row_end(s, len, start, width, &next);
        /* At a wrap point the boundary is both this row's end and the next row's start: the
         * cursor goes on the next row, where typing will put the character. */
        bool wrapped = next == end && end < len;
        if (pos >= start && (pos < end || (pos == end && !wrapped))) {
            *row = r;
            *col = ea_text_width(s + start, pos - start);
        }
        if (next == end && !wrapped)
            break; /* the text ends on this row (after a final '\n' comes one empty row) */
        start = next;
        r++;
    }
    *rows = r + 1;
}

/* ---- The buffer -------------------------------------------------------------------------- */

void ea_editbuf_init(ea_editbuf *e)
{
    memset(e, 0, sizeof *e);
    e->max = EA_EDITBUF_MAX_BYTES;
    e->text = calloc(1, 1);
    e->cap = e->text ? 1 : 0;
    e->goal_col = -1;
}

void ea_editbuf_free(ea_editbuf *e)
{
    free(e->text);
    free(e->kill);
    for (size_t i = 0; i < e->n_undo; i++)
        free(e->undo[i]);
    memset(e, 0, sizeof *e);
}

static int reserve(ea_editbuf *e, size_t n)
{
    if (n > e->max || e->len > e->max - n)
        return -1;
    size_t need = e->len + n + 1;
    if (need <= e->cap)
        return 0;
    size_t cap = e->cap ? e->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(e->text, cap);
    if (!p)
        return -1;
    e->text = p;
    e->cap = cap;
    return 0;
}

int ea_editbuf_set(ea_editbuf *e, const char *text, size_t n)
{
    e->len = 0;
    e->cursor = 0;
    if (e->text)
        e->text[0] = '\0';
    e->goal_col = -1;
    return ea_editbuf_insert(e, text, n);
}

int ea_editbuf_replace(ea_editbuf *e, const char *text, size_t n)
{
    if (n > e->max)
        return -1; /* refused before the old text is touched: nothing is lost */
    if (n == e->len && memcmp(e->text, text, n) == 0) {
        e->cursor = e->len;
        return 0;
    }
    char *old = strdup(e->text);
    if (!old)
        return -1;
    if (e->n_undo == EA_EDITBUF_UNDO_MAX) {
        free(e->undo[0]);
        memmove(e->undo, e->undo + 1, (EA_EDITBUF_UNDO_MAX - 1) * sizeof *e->undo);
        e->n_undo--;
    }
    e->undo[e->n_undo++] = old;
    return ea_editbuf_set(e, text, n);
}

bool ea_editbuf_undo(ea_editbuf *e)
{
    if (e->n_undo == 0)
        return false;
    char *back = e->undo[--e->n_undo];
    e->undo[e->n_undo] = NULL;
    /* It fitted before, so it fits again: set cannot fail for want of room. */
    int rc = ea_editbuf_set(e, back, strlen(back));
    free(back);
    return rc == 0;
}

int ea_editbuf_insert(ea_editbuf *e, const char *utf8, size_t n)
{
    if (reserve(e, n) != 0)
        return -1;
    memmove(e->text + e->cursor + n, e->text + e->cursor, e->len - e->cursor + 1);
    memcpy(e->text + e->cursor, utf8, n);
    e->len += n;
    e->cursor += n;
    e->goal_col = -1;
    return 0;
}

/* Removes [from, to) and keeps it for Ctrl-Y when `keep`. */
static void cut(ea_editbuf *e, size_t from, size_t to, bool keep)
{
    if (to <= from)
        return;
    if (keep) {
        char *k = malloc(to - from);
        if (k) {
            memcpy(k, e->text + from, to - from);
            free(e->kill);
            e->kill = k;
            e->kill_len = to - from;
        }
    }
    memmove(e->text + from, e->text + to, e->len - to + 1);
    e->len -= to - from;
    e->cursor = from;
    e->goal_col = -1;
}

void ea_editbuf_left(ea_editbuf *e)
{
    e->cursor = ea_text_prev(e->text, e->len, e->cursor);
    e->goal_col = -1;
}

void ea_editbuf_right(ea_editbuf *e)
{
    e->cursor = ea_text_next(e->text, e->len, e->cursor);
    e->goal_col = -1;
}

void ea_editbuf_bol(ea_editbuf *e)
{
    while (e->cursor > 0 && e->text[e->cursor - 1] != '\n')
        e->cursor--;
    e->goal_col = -1;
}

void ea_editbuf_eol(ea_editbuf *e)
{
    while (e->cursor < e->len && e->text[e->cursor] != '\n')
        e->cursor++;
    e->goal_col = -1;
}

/* Word characters: anything but whitespace (ASCII or Unicode) and ASCII punctuation, so a
 * word of Devanagari or a run of CJK moves as one. */
static bool is_word_at(const char *s, size_t len, size_t pos)
{
    uint32_t cp;
    decode_at(s, len, pos, &cp);
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               cp == '_';
    return !(cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
             cp == 0x2029 || cp == 0x202F || cp == 0x205F || (cp >= 0x3001 && cp <= 0x3002) ||
             cp == 0x0964 || cp == 0x0965);
}

void ea_editbuf_word_left(ea_editbuf *e)
{
    size_t p = e->cursor;
    while (p > 0) {
        size_t q = ea_text_prev(e->text, e->len, p);
        if (is_word_at(e->text, e->len, q))
            break;
        p = q;
    }
    while (p > 0) {
        size_t q = ea_text_prev(e->text, e->len, p);
        if (!is_word_at(e->text, e->len, q))
            break;
        p = q;
    }
    e->cursor = p;
    e->goal_col = -1;
}

void ea_editbuf_word_right(ea_editbuf *e)
{
    size_t p = e->cursor;
    while (p < e->len && !is_word_at(e->text, e->len, p))
        p = ea_text_next(e->text, e->len, p);
    while (p < e->len && is_word_at(e->text, e->len, p))
        p = ea_text_next(e->text, e->len, p);
    e->cursor = p;
    e->goal_col = -1;
}

void ea_editbuf_delete_back(ea_editbuf *e)
{
    cut(e, ea_text_prev(e->text, e->len, e->cursor), e->cursor, false);
}

void ea_editbuf_delete_forward(ea_editbuf *e)
{
    cut(e, e->cursor, ea_text_next(e->text, e->len, e->cursor), false);
}

void ea_editbuf_kill_eol(ea_editbuf *e)
{
    size_t end = e->cursor;
    while (end < e->len && e->text[end] != '\n')
        end++;
    if (end == e->cursor && end < e->len)
        end++; /* at the end of a line: join the next one, as readline and emacs do */
    cut(e, e->cursor, end, true);
}

void ea_editbuf_kill_bol(ea_editbuf *e)
{
    size_t start = e->cursor;
    while (start > 0 && e->text[start - 1] != '\n')
        start--;
    cut(e, start, e->cursor, true);
}

static bool is_space_at(const char *s, size_t pos)
{
    return s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n';
}

void ea_editbuf_kill_word_back(ea_editbuf *e)
{
    /* readline's unix-word-rubout: whitespace-delimited, whatever the script. */
    size_t p = e->cursor;
    while (p > 0 && is_space_at(e->text, p - 1))
        p--;
    while (p > 0 && !is_space_at(e->text, p - 1))
        p--;
    cut(e, p, e->cursor, true);
}

int ea_editbuf_yank(ea_editbuf *e)
{
    return e->kill ? ea_editbuf_insert(e, e->kill, e->kill_len) : 0;
}

/* Moves the cursor to (row, goal column) of the wrapped text: the cluster boundary nearest
 * the column without passing it. */
static void go_to_row(ea_editbuf *e, int width, int target, int goal)
{
    size_t start = 0;
    for (int r = 0;; r++) {
        size_t next, end = ea_text_row_end(e->text, e->len, start, width, &next);
        bool wrapped = next == end && end < e->len;
        if (r == target) {
            size_t at = start;
            int col = 0;
            while (at < end) {
                size_t n = ea_text_next(e->text, e->len, at);
                int w = ea_text_width(e->text + at, n - at);
                if (col + w > goal)
                    break;
                col += w;
                at = n;
            }
            /* A wrapped row's end is the next row's start: stay on this row. */
            if (at == end && wrapped && at > start)
                at = ea_text_prev(e->text, e->len, at);
            e->cursor = at;
            return;
        }
        if (next == end && !wrapped)
            return;
        start = next;
    }
}

static bool vertical(ea_editbuf *e, int width, int delta)
{
    int row, col, rows;
    ea_text_locate(e->text, e->len, e->cursor, width, &row, &col, &rows);
    if (row + delta < 0 || row + delta >= rows)
        return false;
    int goal = e->goal_col >= 0 ? e->goal_col : col;
    go_to_row(e, width, row + delta, goal);
    e->goal_col = goal;
    return true;
}

bool ea_editbuf_up(ea_editbuf *e, int width)
{
    return vertical(e, width, -1);
}

bool ea_editbuf_down(ea_editbuf *e, int width)
{
    return vertical(e, width, +1);
}

void ea_editbuf_goto(ea_editbuf *e, int width, int row, int col)
{
    int at_row, at_col, rows;
    ea_text_locate(e->text, e->len, e->cursor, width, &at_row, &at_col, &rows);
    go_to_row(e, width, row < 0 ? 0 : row >= rows ? rows - 1 : row, col < 0 ? 0 : col);
    e->goal_col = -1;
}

size_t ea_text_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80; /* every byte but a continuation byte */
    return n;
}

size_t ea_editbuf_chars(const ea_editbuf *e)
{
    return ea_text_chars(e->text, e->len);
}
