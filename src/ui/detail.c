/* SPDX-License-Identifier: MIT */
/* detail: one turn read whole, as a pager over the history panel (v): when it was, what it
 * cost, the parameters, its files, the prompt, a thinking turn's reasoning summary, the
 * revised prompt with the words the rewriter added and dropped marked as the history marks
 * them, and a failed turn's error, all wrapped between words. The history panel grows over
 * the preview while it is open (the text needs the rows more than the picture does); the
 * list keys and the wheel scroll it, Esc or v closes it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/worddiff.h"
#include "internal.h"

/* Text flowing into the panel from line `top`: lines are counted always, drawn only when w
 * is set and they fall within the rows shown. */
typedef struct flow {
    WINDOW *w;
    int top, rows, cols;
    int line, col;
} flow;

static void flow_newline(flow *f)
{
    f->line++;
    f->col = 0;
}

static void flow_put(flow *f, const char *s, size_t n, attr_t a)
{
    int y = f->line - f->top;
    if (f->w && y >= 0 && y < f->rows)
        ui_put(f->w, 1 + y, 2 + f->col, f->cols - f->col, s, n, a);
    f->col += ea_text_width(s, n);
}

/* One word: on the next line when it does not fit on this one, cut between clusters only
 * when it is longer than a whole line. */
static void flow_word(flow *f, const char *s, size_t n, attr_t a)
{
    if (f->col > 0 && f->col + ea_text_width(s, n) > f->cols)
        flow_newline(f);
    for (size_t at = 0; at < n;) {
        size_t next, end = ea_text_row_end(s, n, at, f->cols - f->col, &next);
        if (end == at && f->col > 0) {
            flow_newline(f);
            continue;
        }
        flow_put(f, s + at, end - at, a);
        if (next < n)
            flow_newline(f);
        at = next > at ? next : n;
    }
}

/* Text: words wrapped, blanks between them kept (dropped at a line's start), '\n' kept. */
static void flow_text(flow *f, const char *s, size_t n, attr_t a)
{
    for (size_t at = 0; at < n;) {
        if (s[at] == '\n') {
            flow_newline(f);
            at++;
        } else if (s[at] == ' ' || s[at] == '\t') {
            if (f->col > 0 && f->col < f->cols)
                flow_put(f, " ", 1, a);
            at++;
        } else {
            size_t end = at;
            while (end < n && s[end] != ' ' && s[end] != '\t' && s[end] != '\n')
                end++;
            flow_word(f, s + at, end - at, a);
            at = end;
        }
    }
}

static void flow_heading(flow *f, const char *title, attr_t a)
{
    if (f->line > 0 || f->col > 0) {
        flow_newline(f);
        flow_newline(f);
    }
    flow_text(f, title, strlen(title), a);
}

/* The revised prompt against the prompt, marked as the history's line marks it. */
static void flow_revised(ui_app *app, flow *f, const ui_turn_row *r)
{
    attr_t base = app->theme.attr[UI_NORMAL];
    ea_worddiff d;
    if (ea_worddiff_compute(r->prompt, strlen(r->prompt), r->revised, strlen(r->revised), 0, &d) != 0) {
        flow_text(f, r->revised, strlen(r->revised), base); /* out of memory: plain */
        return;
    }
    attr_t added = app->theme.attr[UI_OK] | A_BOLD | A_UNDERLINE, dropped = app->theme.attr[UI_ERROR] | A_DIM;
    for (size_t i = 0; i < d.count; i++) {
        const ea_wd_span *s = &d.spans[i];
        if (s->op == EA_WD_DROPPED) {
            /* "[-" and "-]" stay with the first and last words, never alone on a line. */
            size_t first = 0;
            while (first < s->len && s->text[first] != ' ' && s->text[first] != '\n')
                first++;
            char open[80];
            if (first + 3 <= sizeof open) {
                snprintf(open, sizeof open, "[-%.*s", (int)first, s->text);
                flow_word(f, open, strlen(open), dropped);
            } else {
                flow_word(f, "[-", 2, dropped);
                flow_word(f, s->text, first, dropped);
            }
            flow_text(f, s->text + first, s->len - first, dropped);
            flow_put(f, "-]", 2, dropped);
        } else {
            flow_text(f, s->text, s->len, s->op == EA_WD_ADDED ? added : base);
        }
        flow_text(f, s->space, s->space_len, base);
    }
    ea_worddiff_free(&d);
}

/* The whole turn; returns its lines. */
static int detail_lines(ui_app *app, flow *f, const ui_turn_row *r)
{
    attr_t normal = app->theme.attr[UI_NORMAL], title = app->theme.attr[UI_TITLE],
           dim = app->theme.attr[UI_DIM];
    char line[512];
    int n = snprintf(line, sizeof line, "#%d · %s %s · %s", r->turn, r->date, r->time, r->status);
    if (!isnan(r->cost_usd) && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " · $%.4f%s", r->cost_usd, r->offline ? " offline" : "");
    if (r->ms_total >= 0 && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " · %.1f s", r->ms_total / 1000.0);
    if (r->branched && n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, " · from #%d", r->parent);
    flow_text(f, line, strlen(line), normal | A_BOLD);
    flow_newline(f);
    flow_text(f, "params ", 7, dim);
    flow_text(f, *r->params ? r->params : "-", strlen(*r->params ? r->params : "-"), normal);
    for (size_t k = 1; k <= r->n_images; k++) {
        char *path = ui_turn_image_path(app, r, (int)k);
        flow_newline(f);
        flow_text(f, "image  ", 7, dim);
        if (path)
            flow_word(f, path, strlen(path), normal);
        free(path);
    }
    snprintf(line, sizeof line, "Prompt (%zu characters)", ea_text_chars(r->prompt, strlen(r->prompt)));
    flow_heading(f, line, title);
    flow_newline(f);
    flow_text(f, r->prompt, strlen(r->prompt), normal);
    if (r->thinking) {
        snprintf(line, sizeof line, "Reasoning summary (%zu characters)",
                 ea_text_chars(r->thinking, strlen(r->thinking)));
        flow_heading(f, line, title);
        flow_newline(f);
        flow_text(f, r->thinking, strlen(r->thinking), normal);
    }
    if (*r->revised) {
        snprintf(line, sizeof line, "Revised prompt (%zu characters; ", ea_text_chars(r->revised, strlen(r->revised)));
        flow_heading(f, line, title);
        /* The legend, in the marks' own colours. */
        flow_text(f, "added", 5, app->theme.attr[UI_OK] | A_BOLD | A_UNDERLINE);
        flow_text(f, ", ", 2, title);
        flow_text(f, "[-dropped-]", 11, app->theme.attr[UI_ERROR] | A_DIM);
        flow_text(f, ")", 1, title);
        flow_newline(f);
        flow_revised(app, f, r);
    }
    if (r->error && *r->error) {
        flow_heading(f, "Error", app->theme.attr[UI_ERROR] | A_BOLD);
        flow_newline(f);
        flow_text(f, r->error, strlen(r->error), normal);
    }
    return f->line + (f->col > 0);
}

static const ui_turn_row *shown_row(ui_app *app)
{
    for (size_t i = 0; i < app->n_rows; i++)
        if (app->rows[i].turn == app->detail_turn)
            return &app->rows[i];
    return NULL;
}

void ui_detail_draw(ui_app *app, ui_panel *p)
{
    const ui_turn_row *r = shown_row(app);
    int rows = ui_inner_h(p), cols = ui_inner_w(p) - 2;
    if (!r || cols < 4 || rows < 1) {
        ui_box(app, p, "History");
        return;
    }
    flow f = {.cols = cols};
    int total = detail_lines(app, &f, r);
    if (app->detail_top > total - rows)
        app->detail_top = total - rows;
    if (app->detail_top < 0)
        app->detail_top = 0;
    char title[160];
    int last = app->detail_top + rows < total ? app->detail_top + rows : total;
    snprintf(title, sizeof title, "Turn %d · lines %d-%d of %d · Esc closes", r->turn, app->detail_top + 1,
             last, total);
    ui_box(app, p, title);
    f = (flow){.w = p->win, .top = app->detail_top, .rows = rows, .cols = cols};
    detail_lines(app, &f, r);
}

void ui_detail_open(ui_app *app, const ui_turn_row *r)
{
    app->detail_turn = r->turn;
    app->detail_top = 0;
    app->focus = EA_PANEL_HISTORY;
    app->relayout = true;
}

void ui_detail_close(ui_app *app)
{
    if (!app->detail_turn)
        return;
    app->detail_turn = 0;
    app->relayout = true;
}

void ui_detail_layout(const ui_app *app, ea_layout *l)
{
    ea_rect *h = &l->panel[EA_PANEL_HISTORY], *pv = &l->panel[EA_PANEL_PREVIEW];
    if (!app->detail_turn || !ea_rect_visible(pv))
        return;
    if (ea_rect_visible(h)) {
        h->h += h->y - pv->y;
        h->y = pv->y;
    } else {
        *h = *pv;
    }
    *pv = (ea_rect){0};
}

bool ui_detail_action(ui_app *app, ui_panel *p, enum ea_action a)
{
    int page = ui_inner_h(p) > 2 ? ui_inner_h(p) - 1 : 1;
    switch (a) {
    case EA_ACT_CANCEL:
    case EA_ACT_HISTORY_DETAIL: ui_detail_close(app); return true;
    default:
        if (!ui_scroll_action(&app->detail_top, a, page))
            return false;
    }
    p->dirty = true;
    return true;
}
