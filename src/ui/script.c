/* SPDX-License-Identifier: MIT */
/* script: the scripted mode's input (EASEL_UI_SCRIPT=FILE), after tig's test mode.
 *
 *   text            typed as is, one key per character (UTF-8)
 *   <Enter> <Esc> <Tab> <S-Tab> <C-q> <M-Enter> <F1> <Up> <Space> ...
 *                   one key, named as in the help overlay (ea_key_parse)
 *   <lt>            a '<'
 *   <wait-idle>     wait until no request is running (at most 60 s)
 *   <sleep MS>      let the loop run for MS milliseconds
 *   <resize CxR>    the terminal becomes C columns by R rows
 *   <dump FILE>     write the screen as text to FILE
 *   <wait-file FILE> wait until FILE exists (at most 60 s): a test that looks at a real
 *                   terminal from outside (a screenshot) says when it is done
 *   <click C,R> <wheel-up C,R> <wheel-down C,R>
 *                   the mouse at column C, row R of the screen (from 0, as in a dump's lines);
 *                   two clicks on one cell in a row make a double click
 *
 * Line breaks are not keys (use <M-Enter> for a newline in the prompt), and a line that
 * begins with '#' is a comment. At the end the workbench waits until idle, prints the screen
 * on stdout and quits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/buf.h"
#include "easel/utf8.h"
#include "internal.h"

struct ui_script {
    char *text;
    size_t len, pos;
};

ui_script *ui_script_open(const char *path, char *why, size_t why_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_len, "EASEL_UI_SCRIPT %s: cannot open it", path);
        return NULL;
    }
    ui_script *s = calloc(1, sizeof *s);
    ea_buf b;
    ea_buf_init(&b, 1u << 20);
    int rc = ea_buf_append_stream(&b, f);
    fclose(f);
    if (!s || rc != 0) {
        snprintf(why, why_len, "EASEL_UI_SCRIPT %s: too large or out of memory", path);
        free(s);
        ea_buf_free(&b);
        return NULL;
    }
    s->text = ea_buf_steal(&b, &s->len);
    return s;
}

void ui_script_close(ui_script **s)
{
    if (*s) {
        free((*s)->text);
        free(*s);
        *s = NULL;
    }
}

static int command(const char *tok, size_t n, ui_script_item *out)
{
    char word[sizeof out->path];
    if (n >= sizeof word)
        return -1;
    memcpy(word, tok, n);
    word[n] = '\0';
    if (strcmp(word, "wait-idle") == 0) {
        out->op = UI_SCRIPT_WAIT_IDLE;
        return 0;
    }
    if (strcmp(word, "lt") == 0) {
        out->op = UI_SCRIPT_KEY;
        out->key = '<';
        return 0;
    }
    if (sscanf(word, "resize %dx%d", &out->a, &out->b) == 2 && out->a > 0 && out->b > 0) {
        out->op = UI_SCRIPT_RESIZE;
        return 0;
    }
    if (sscanf(word, "sleep %d", &out->a) == 1 && out->a >= 0) {
        out->op = UI_SCRIPT_SLEEP;
        return 0;
    }
    for (int kind = 0; kind < UI_MOUSE_KIND_COUNT; kind++) {
        size_t len = strlen(ui_mouse_kind_names[kind]);
        int col, row, end = 0;
        if (strncmp(word, ui_mouse_kind_names[kind], len) == 0 && word[len] == ' ' &&
            sscanf(word + len, " %d,%d%n", &col, &row, &end) == 2 && !word[len + (size_t)end] &&
            col >= 0 && row >= 0) {
            out->op = UI_SCRIPT_MOUSE;
            out->mouse = (ui_mouse){.kind = (enum ui_mouse_kind)kind, .y = row, .x = col, .clicks = 1};
            return 0;
        }
    }
    if (strncmp(word, "wait-file ", 10) == 0 && word[10]) {
        out->op = UI_SCRIPT_WAIT_FILE;
        memmove(out->path, word + 10, strlen(word + 10) + 1);
        return 0;
    }
    if (strncmp(word, "dump ", 5) == 0 && word[5]) {
        out->op = UI_SCRIPT_DUMP;
        memmove(out->path, word + 5, strlen(word + 5) + 1);
        return 0;
    }
    out->op = UI_SCRIPT_KEY;
    return ea_key_parse(word, n, &out->key);
}

int ui_script_next(ui_script *s, ui_script_item *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    for (;;) {
        if (s->pos >= s->len) {
            out->op = UI_SCRIPT_END;
            return 0;
        }
        char c = s->text[s->pos];
        bool line_start = s->pos == 0 || s->text[s->pos - 1] == '\n';
        if (c == '#' && line_start) {
            while (s->pos < s->len && s->text[s->pos] != '\n')
                s->pos++;
            continue;
        }
        if (c == '\n' || c == '\r') {
            s->pos++;
            continue;
        }
        if (c == '<') {
            const char *end = memchr(s->text + s->pos, '>', s->len - s->pos);
            if (!end) {
                snprintf(why, why_len, "script: '<' without '>' at byte %zu", s->pos);
                return -1;
            }
            const char *tok = s->text + s->pos + 1;
            size_t n = (size_t)(end - tok);
            if (command(tok, n, out) != 0) {
                snprintf(why, why_len, "script: unknown token <%.*s>", (int)(n < 60 ? n : 60), tok);
                return -1;
            }
            s->pos = (size_t)(end - s->text) + 1;
            return 0;
        }
        uint32_t cp;
        size_t k = ea_utf8_decode((const unsigned char *)s->text + s->pos, s->len - s->pos, &cp);
        if (k == 0) {
            snprintf(why, why_len, "script: invalid UTF-8 at byte %zu", s->pos);
            return -1;
        }
        s->pos += k;
        out->op = UI_SCRIPT_KEY;
        out->key = cp == '\t' ? EA_KEY_TAB : cp;
        return 0;
    }
}
