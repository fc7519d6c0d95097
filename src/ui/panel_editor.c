/* SPDX-License-Identifier: MIT */
/* panel_editor: the prompt: multi-line UTF-8 editing with readline's keys (the text logic is
 * ea_editbuf), prompt recall with Up and Down, $VISUAL/$EDITOR with C-x C-e, and the count
 * against the API's 32,000-character limit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/buf.h"
#include "easel/history.h"
#include "easel/sanitize.h"
#include "internal.h"

void ui_editor_set_text(ui_app *app, const char *text)
{
    ea_editbuf_set(&app->edit, text, strlen(text));
    app->panels[EA_PANEL_EDITOR].top = 0;
    app->params_stale = true;
    ui_dirty(app, EA_PANEL_EDITOR);
}

void ui_editor_replace_text(ui_app *app, const char *text)
{
    bool kept = app->edit.len > 0 && strcmp(app->edit.text, text) != 0;
    if (ea_editbuf_replace(&app->edit, text, strlen(text)) != 0) {
        ui_message(app, true, "the prompt is unchanged: that text does not fit");
        return;
    }
    app->panels[EA_PANEL_EDITOR].top = 0;
    app->params_stale = true;
    app->prompt_pos = app->n_prompts; /* Up starts again from the newest */
    ui_dirty(app, EA_PANEL_EDITOR);
    if (kept)
        ui_message(app, false, "the prompt it replaced is kept: C-_ (or C-x u) brings it back");
}

void ui_editor_remember(ui_app *app, const char *prompt)
{
    if (!*prompt || (app->n_prompts && strcmp(app->prompts[app->n_prompts - 1], prompt) == 0)) {
        app->prompt_pos = app->n_prompts;
        return;
    }
    char **grown = realloc(app->prompts, (app->n_prompts + 1) * sizeof *grown);
    char *copy = strdup(prompt);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            app->prompts = grown;
        return;
    }
    app->prompts = grown;
    app->prompts[app->n_prompts++] = copy;
    app->prompt_pos = app->n_prompts;
}

/* Up on the first row and Down on the last walk through the prompts sent before; the text
 * being typed is kept as the draft and comes back past the newest. */
static void recall(ui_app *app, int delta)
{
    if (delta < 0 && app->prompt_pos == 0)
        return;
    if (delta > 0 && app->prompt_pos >= app->n_prompts)
        return;
    if (app->prompt_pos == app->n_prompts) {
        free(app->draft);
        app->draft = strdup(app->edit.text);
    }
    app->prompt_pos += (size_t)delta;
    ui_editor_set_text(app, app->prompt_pos < app->n_prompts ? app->prompts[app->prompt_pos]
                            : app->draft ? app->draft : "");
}

static void editor_draw(ui_app *app, ui_panel *p)
{
    const ea_editbuf *e = &app->edit;
    int inner = ui_inner_w(p), rows = ui_inner_h(p);
    app->edit_width = inner > 1 ? inner - 1 : 1; /* one column spare for the cursor */
    ui_box(app, p, "Prompt");
    char count[48];
    size_t chars = ea_editbuf_chars(e);
    snprintf(count, sizeof count, " %zu/%d ", chars, EA_PROMPT_MAX_CHARS);
    int cw = (int)strlen(count);
    if (p->rect.w > cw + 12)
        ui_puts(p->win, p->rect.h - 1, p->rect.w - cw - 2, cw, count,
                chars > EA_PROMPT_MAX_CHARS ? app->theme.attr[UI_ERROR] : app->theme.attr[UI_DIM]);
    int row, col, total;
    ea_text_locate(e->text, e->len, e->cursor, app->edit_width, &row, &col, &total);
    if (row < p->top)
        p->top = row;
    if (row >= p->top + rows)
        p->top = row - rows + 1;
    size_t start = 0, next;
    for (int r = 0; r < p->top + rows; r++) {
        size_t end = ea_text_row_end(e->text, e->len, start, app->edit_width, &next);
        if (r >= p->top)
            ui_put(p->win, 1 + r - p->top, 1, app->edit_width, e->text + start, end - start,
                   app->theme.attr[UI_NORMAL]);
        if (next == end && end >= e->len)
            break;
        start = next;
    }
    if (e->len == 0 && app->focus != EA_PANEL_EDITOR)
        ui_puts_cut(p->win, 1, 1, inner, "describe the picture; Enter sends, C-o or M-Enter a new line",
                    app->theme.attr[UI_DIM]);
    wmove(p->win, 1 + row - p->top, 1 + col);
}

static bool editor_action(ui_app *app, ui_panel *p, enum ea_action a)
{
    ea_editbuf *e = &app->edit;
    size_t before = e->len;
    switch (a) {
    case EA_ACT_SEND: ui_send(app); return true;
    case EA_ACT_NEWLINE: ea_editbuf_insert(e, "\n", 1); break;
    case EA_ACT_CLEAR_PROMPT:
        if (e->len == 0)
            return true;
        ui_editor_replace_text(app, "");
        break;
    case EA_ACT_BOL: ea_editbuf_bol(e); break;
    case EA_ACT_EOL: ea_editbuf_eol(e); break;
    case EA_ACT_LEFT: ea_editbuf_left(e); break;
    case EA_ACT_RIGHT: ea_editbuf_right(e); break;
    case EA_ACT_WORD_LEFT: ea_editbuf_word_left(e); break;
    case EA_ACT_WORD_RIGHT: ea_editbuf_word_right(e); break;
    case EA_ACT_UP:
        if (!ea_editbuf_up(e, app->edit_width))
            recall(app, -1);
        break;
    case EA_ACT_DOWN:
        if (!ea_editbuf_down(e, app->edit_width))
            recall(app, +1);
        break;
    case EA_ACT_DELETE_BACK: ea_editbuf_delete_back(e); break;
    case EA_ACT_DELETE_FORWARD: ea_editbuf_delete_forward(e); break;
    case EA_ACT_KILL_EOL: ea_editbuf_kill_eol(e); break;
    case EA_ACT_KILL_BOL: ea_editbuf_kill_bol(e); break;
    case EA_ACT_KILL_WORD: ea_editbuf_kill_word_back(e); break;
    case EA_ACT_YANK: ea_editbuf_yank(e); break;
    case EA_ACT_EXTERNAL_EDITOR: ui_editor_external(app); return true;
    case EA_ACT_SEARCH_PROMPTS: ui_editor_search_begin(app); return true;
    case EA_ACT_UNDO:
        if (ea_editbuf_undo(e)) {
            p->top = 0;
            app->params_stale = true;
            ui_message(app, false, "the prompt before is back%s",
                       e->n_undo ? " (C-_ again: the one before it)" : "");
        } else {
            ui_message(app, false, "nothing to undo: only a replaced prompt comes back");
        }
        break;
    default: return false;
    }
    if (e->len != before)
        app->params_stale = true; /* the estimate counts the prompt's tokens */
    p->dirty = true;
    ui_dirty(app, EA_PANEL_STATUS);
    return true;
}

/* Rows a turn of the wheel moves the cursor, which the view follows. */
#define WHEEL_ROWS 3

/* A click puts the cursor where it points; the wheel moves it up and down the wrapped rows
 * (never into the prompts sent before, which Up at the top recalls: that replaces the text). */
static void editor_mouse(ui_app *app, ui_panel *p, const ui_mouse *m)
{
    ea_editbuf *e = &app->edit;
    if (m->kind == UI_MOUSE_CLICK) {
        if (m->y < 1 || m->y > ui_inner_h(p) || m->x < 1)
            return;
        ea_editbuf_goto(e, app->edit_width, p->top + m->y - 1, m->x - 1);
    } else {
        for (int i = 0; i < WHEEL_ROWS; i++)
            if (!(m->kind == UI_MOUSE_WHEEL_UP ? ea_editbuf_up(e, app->edit_width)
                                               : ea_editbuf_down(e, app->edit_width)))
                break;
    }
    p->dirty = true;
}

static bool editor_text(ui_app *app, ui_panel *p, const char *utf8, size_t n)
{
    if (ea_editbuf_insert(&app->edit, utf8, n) != 0) {
        ui_message(app, true, "the prompt is full");
        return true;
    }
    app->params_stale = true;
    p->dirty = true;
    return true;
}

/* ---- C-r: reverse search through the prompts sent before ------------------------------ */

/* The newest prompt at or before `from` that holds the search text (case ignored, as `easel
 * log --grep` does); the editor shows it with the cursor on the match. */
static void search_from(ui_app *app, size_t from)
{
    const char *needle = app->search.text;
    size_t at = 0;
    app->search_hit = app->n_prompts;
    for (size_t i = from + 1; i-- > 0 && app->n_prompts;)
        if (i < app->n_prompts && ea_history_find(app->prompts[i], needle, &at, NULL)) {
            app->search_hit = i;
            ui_editor_set_text(app, app->prompts[i]);
            app->edit.cursor = at;
            break;
        }
    bool found = app->search_hit < app->n_prompts;
    ui_message(app, !found, "reverse search: %s%s (C-r older, Enter takes it, Esc leaves it)",
               needle, found ? "" : " (no match)");
}

static void search_end(ui_app *app, bool keep)
{
    const char *saved = app->search_saved ? app->search_saved : "";
    bool replaced = keep && *saved && strcmp(saved, app->edit.text) != 0; /* said by replace */
    if (!keep) {
        ui_editor_set_text(app, saved);
    } else if (strcmp(saved, app->edit.text) != 0) {
        /* The prompt found replaces the one typed before the search, which Undo brings
         * back: the search showed its hits in the editor, so the replacing is done again
         * from the text typed, keeping the cursor on the match. */
        char *found = strdup(app->edit.text);
        size_t at = app->edit.cursor;
        if (found) {
            ui_editor_set_text(app, saved);
            ui_editor_replace_text(app, found);
            app->edit.cursor = at <= app->edit.len ? at : app->edit.len;
            free(found);
        }
    }
    free(app->search_saved);
    app->search_saved = NULL;
    app->searching = false;
    app->prompt_pos = app->n_prompts;
    if (!keep)
        ui_message(app, false, "search left: the prompt is as it was");
    else if (!replaced)
        ui_message(app, false, "%s", "");
}

void ui_editor_search_begin(ui_app *app)
{
    if (app->n_prompts == 0) {
        ui_message(app, false, "no prompts sent yet to search");
        return;
    }
    free(app->search_saved);
    app->search_saved = strdup(app->edit.text);
    ea_editbuf_set(&app->search, "", 0);
    app->searching = true;
    search_from(app, app->n_prompts - 1);
}

void ui_editor_search_key(ui_app *app, ea_key k)
{
    char u[5];
    if (k == EA_CTRL('r')) {
        if (app->search_hit > 0 && app->search_hit < app->n_prompts)
            search_from(app, app->search_hit - 1);
    } else if (k == EA_KEY_BACKSPACE) {
        ea_editbuf_delete_back(&app->search);
        search_from(app, app->n_prompts - 1);
    } else if (ea_key_utf8(k, u)) {
        ea_editbuf_insert(&app->search, u, strlen(u));
        search_from(app, app->n_prompts - 1);
    } else if (k == EA_KEY_ESC || k == EA_CTRL('g')) {
        search_end(app, false);
    } else {
        /* As in readline: any other key takes the prompt found, and Enter only that. */
        search_end(app, app->search_hit < app->n_prompts);
        if (k != EA_KEY_ENTER)
            ui_dispatch_key(app, k);
    }
    ui_dirty(app, EA_PANEL_EDITOR);
}

/* ---- Bracketed paste --------------------------------------------------------------------- */

void ui_editor_paste_key(ui_app *app, ea_key k)
{
    char u[5];
    const char *text = k == EA_KEY_ENTER ? "\n" : k == EA_KEY_TAB ? " " : ea_key_utf8(k, u) ? u : NULL;
    if (!text)
        return; /* a control character pasted: dropped, as a prompt cannot hold one */
    if (app->param_editing) {
        /* A parameter's value is one line. */
        if (k != EA_KEY_ENTER)
            ui_params_edit_key(app, k);
        return;
    }
    if (app->focus != EA_PANEL_EDITOR) {
        app->focus = EA_PANEL_EDITOR;
        ui_dirty_all(app);
    }
    editor_text(app, &app->panels[EA_PANEL_EDITOR], text, strlen(text));
}

/* ---- C-x C-e: the user's own editor on a temp file -------------------------------------- */

void ui_editor_external(ui_app *app)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(app->child_file, sizeof app->child_file, "%s/easel-prompt-XXXXXX.txt",
             tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemps(app->child_file, 4);
    if (fd < 0) {
        ui_message(app, true, "%s: %s", app->child_file, strerror(errno));
        return;
    }
    bool ok = (size_t)write(fd, app->edit.text, app->edit.len) == app->edit.len;
    close(fd);
    if (!ok) {
        unlink(app->child_file);
        ui_message(app, true, "could not write the prompt to a temp file");
        return;
    }
    ui_term_suspend();
    pid_t pid = fork();
    if (pid == 0) {
        /* The shell splits $VISUAL as git does, so "code --wait" works. */
        execl("/bin/sh", "sh", "-c", "${VISUAL:-${EDITOR:-vi}} \"$1\"", "sh", app->child_file,
              (char *)NULL);
        _exit(127);
    }
    if (pid < 0) {
        ui_term_resume();
        unlink(app->child_file);
        ui_message(app, true, "fork: %s", strerror(errno));
        return;
    }
    /* The loop goes on (requests keep streaming) and reads no keys until the editor exits. */
    app->child_pid = pid;
}

void ui_editor_external_done(ui_app *app, int status)
{
    app->child_pid = 0;
    ui_term_resume();
    app->relayout = true;
    FILE *f = fopen(app->child_file, "rb");
    ea_buf text;
    ea_buf_init(&text, EA_EDITBUF_MAX_BYTES);
    bool full = f && ea_buf_append_stream(&text, f) != 0 && !ferror(f);
    if (f)
        fclose(f);
    unlink(app->child_file);
    if (!f || status != 0) {
        ui_message(app, true, "the editor failed (exit status %d); the prompt is unchanged", status);
    } else {
        /* An editor leaves a final newline; tabs and stray control characters go too. */
        while (text.len && (text.data[text.len - 1] == '\n' || text.data[text.len - 1] == '\r'))
            text.data[--text.len] = '\0';
        ea_buf clean;
        ea_buf_init(&clean, EA_EDITBUF_MAX_BYTES);
        ea_sanitize_append(&clean, text.data ? text.data : "", text.len, 1);
        ui_editor_set_text(app, clean.data ? clean.data : "");
        ea_buf_free(&clean);
        ui_message(app, full, full ? "the file was too long: its end was dropped" : "prompt from the editor");
    }
    ea_buf_free(&text);
    ui_dirty_all(app);
}

const ui_panel_ops ui_editor_ops = {
    .title = "Prompt",
    .scope = EA_SCOPE_EDITOR,
    .focusable = true,
    .draw = editor_draw,
    .action = editor_action,
    .text = editor_text,
    .mouse = editor_mouse,
};
