/* SPDX-License-Identifier: MIT */
/* editbuf: the prompt editor's text: UTF-8 edited by character clusters (a code point and the
 * marks that combine with it), readline motions and kills, and display widths. Pure; libc only. */
#ifndef EASEL_EDITBUF_H
#define EASEL_EDITBUF_H

/*
 * A cluster here is a base code point followed by every code point that does not stand on
 * its own: zero-width marks (wcwidth 0: Mn, Me, joiners, variation selectors), the spacing
 * vowel signs of the Indic scripts (Devanagari, Bengali, Tamil...), emoji skin tones, and
 * whatever follows a zero-width joiner. That is not all of UAX #29, but it is what keeps the
 * cursor from landing inside "ड़" or "👩‍🎨" and a backspace from splitting them.
 *
 * Widths come from wcwidth(), so the caller must have set an LC_CTYPE with UTF-8 (the UI
 * does setlocale(LC_ALL, "")); they add up per code point, which is how curses places them.
 */

#include <stdbool.h>
#include <stddef.h>

#define EA_EDITBUF_UNDO_MAX 8

typedef struct ea_editbuf {
    char *text;       /* UTF-8, NUL-terminated; never NULL after init */
    size_t len, cap;
    size_t max;       /* bytes; inserts that would pass it are refused */
    size_t cursor;    /* a byte offset on a cluster boundary */
    char *kill;       /* what was cut last (Ctrl-Y pastes it); owned, may be NULL */
    size_t kill_len;
    int goal_col;     /* the column Up and Down aim for; -1 when none */
    /* The texts ea_editbuf_replace took away, newest last (owned): what Undo brings back. */
    char *undo[EA_EDITBUF_UNDO_MAX];
    size_t n_undo;
} ea_editbuf;

/* Room for EA_PROMPT_MAX_CHARS characters of four bytes each. */
#define EA_EDITBUF_MAX_BYTES (32000u * 4)

void ea_editbuf_init(ea_editbuf *e);
void ea_editbuf_free(ea_editbuf *e);
/* Replaces the text (cursor at the end). -1 when it passes max or memory ran out. */
int ea_editbuf_set(ea_editbuf *e, const char *text, size_t n);
/* The same, when the new text comes from elsewhere (a prompt recalled from the history): the
 * old one is kept, the last EA_EDITBUF_UNDO_MAX of them, for ea_editbuf_undo; a text equal to
 * the current one keeps nothing. -1 (the text untouched) past max or out of memory. */
int ea_editbuf_replace(ea_editbuf *e, const char *text, size_t n);
/* Brings back the text the newest replace took away (cursor at its end); false when none. */
bool ea_editbuf_undo(ea_editbuf *e);
/* Inserts at the cursor, which moves past it. -1 (nothing inserted) past max. */
int ea_editbuf_insert(ea_editbuf *e, const char *utf8, size_t n);

void ea_editbuf_left(ea_editbuf *e);
void ea_editbuf_right(ea_editbuf *e);
void ea_editbuf_bol(ea_editbuf *e);
void ea_editbuf_eol(ea_editbuf *e);
/* Words are runs of anything but whitespace and ASCII punctuation (readline's Alt-B/F). */
void ea_editbuf_word_left(ea_editbuf *e);
void ea_editbuf_word_right(ea_editbuf *e);
void ea_editbuf_delete_back(ea_editbuf *e);
void ea_editbuf_delete_forward(ea_editbuf *e);
/* Ctrl-K: to the end of the line, or the newline itself at the end of a line. */
void ea_editbuf_kill_eol(ea_editbuf *e);
void ea_editbuf_kill_bol(ea_editbuf *e);          /* Ctrl-U */
void ea_editbuf_kill_word_back(ea_editbuf *e);    /* Ctrl-W: back to whitespace */
int ea_editbuf_yank(ea_editbuf *e);               /* Ctrl-Y */
/* Up and Down over the rows the text wraps into at `width` columns; false when the cursor
 * is on the first (last) row already, so the caller can recall a prompt instead. */
bool ea_editbuf_up(ea_editbuf *e, int width);
bool ea_editbuf_down(ea_editbuf *e, int width);
/* A click: the cursor goes to the cluster boundary nearest the left of (row, col) in the text
 * wrapped at `width`; a row past the last means the last, a column past a row's end its end. */
void ea_editbuf_goto(ea_editbuf *e, int width, int row, int col);

/* Code points, the unit of the API's 32,000-character limit. */
size_t ea_editbuf_chars(const ea_editbuf *e);

/* ---- Text helpers the editor panel draws with ------------------------------------------- */

/* Code points in s[0..len). */
size_t ea_text_chars(const char *s, size_t len);
/* The next (previous) cluster boundary after (before) pos. */
size_t ea_text_next(const char *s, size_t len, size_t pos);
size_t ea_text_prev(const char *s, size_t len, size_t pos);
/* Display columns of s[0..n): wcwidth summed per code point; a control character or an
 * invalid byte counts 1 (it is drawn as one replacement character). */
int ea_text_width(const char *s, size_t n);
/* Wrapping: the end of the row that starts at `start` when rows are `width` columns: before
 * the '\n' that ends the line, or before the first cluster that would not fit (at least one
 * cluster per row). *next gets where the following row starts (past the '\n'). */
size_t ea_text_row_end(const char *s, size_t len, size_t start, int width, size_t *next);
/* The row and column of byte offset pos when wrapped at width; rows counts them all. */
void ea_text_locate(const char *s, size_t len, size_t pos, int width, int *row, int *col,
                    int *rows);

#endif
