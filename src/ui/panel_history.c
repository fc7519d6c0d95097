/* SPDX-License-Identifier: MIT */
/* panel_history: the current session's turns, oldest first: time, status, cost and timings,
 * the parameters as sent, the prompt, and the revised prompt the model's rewriter made of it
 * with the words it added and dropped marked, and a thinking turn's reasoning summary on one
 * line (all sanitized when loaded). From here a turn's
 * image opens in the preview, its prompts go to the editor or the clipboard, and the next
 * send can branch from it. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "easel/cli.h"

#include "easel/worddiff.h"
#include "internal.h"

#define ROWS_PER_TURN 4

/* A session with a thinking turn gives every turn a row more, for the reasoning summary:
 * turns of one height keep the list's paging and clicks simple. */
static int rows_per_turn(const ui_app *app)
{
    for (size_t i = 0; i < app->n_rows; i++)
        if (app->rows[i].thinking)
            return ROWS_PER_TURN + 1;
    return ROWS_PER_TURN;
}

/* The reasoning summary collapsed to one row: its paragraphs joined by a blank, cut at the
 * panel's edge (v shows it whole). Returns the columns used. */
static int put_collapsed(WINDOW *w, int y, int x, int cols, const char *text, attr_t a)
{
    int used = 0;
    for (const char *at = text; *at && used < cols;) {
        size_t n = strcspn(at, "\n");
        if (n) {
            if (used > 0)
                used += ui_puts(w, y, x + used, cols - used, " ", a);
            used += ui_put(w, y, x + used, cols - used, at, n, a);
        }
        at += n;
        while (*at == '\n')
            at++;
    }
    return used;
}

static attr_t status_attr(ui_app *app, const char *status)
{
    if (strcmp(status, "completed") == 0)
        return app->theme.attr[UI_OK];
    if (strcmp(status, "running") == 0 || strcmp(status, "cancelled") == 0)
        return app->theme.attr[UI_KEY];
    return app->theme.attr[UI_ERROR];
}

/* " · 4.2 s (first frame 1.3 s)": how long the turn took, when the log knows. */
static void describe_timings(const ui_turn_row *r, char *out, size_t size)
{
    *out = '\0';
    if (r->ms_total < 0)
        return;
    int n = snprintf(out, size, " · %.1f s", r->ms_total / 1000.0);
    if (r->ms_first_partial >= 0 && n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, " (first frame %.1f s)", r->ms_first_partial / 1000.0);
}

/* The revised prompt as a word diff against the prompt: added words stand out, dropped ones
 * are struck through in brackets (they are not in the revised text, and a monochrome
 * terminal must still tell them apart). Returns the columns used. */
static int put_revised(ui_app *app, WINDOW *w, int y, int x, int cols, const ui_turn_row *r,
                       attr_t base)
{
    ea_worddiff d;
    if (ea_worddiff_compute(r->prompt, strlen(r->prompt), r->revised, strlen(r->revised), 0, &d) != 0)
        return ui_puts(w, y, x, cols, r->revised, base); /* out of memory: plain */
    int used = 0;
    for (size_t i = 0; i < d.count && used < cols; i++) {
        const ea_wd_span *s = &d.spans[i];
        attr_t a = base;
        if (s->op == EA_WD_ADDED)
            a = app->theme.attr[UI_OK] | A_BOLD | A_UNDERLINE;
        else if (s->op == EA_WD_DROPPED)
            a = app->theme.attr[UI_ERROR] | A_DIM;
        if (s->op == EA_WD_DROPPED)
            used += ui_puts(w, y, x + used, cols - used, "[-", a);
        used += ui_put(w, y, x + used, cols - used, s->text, s->len, a);
        if (s->op == EA_WD_DROPPED)
            used += ui_puts(w, y, x + used, cols - used, "-]", a);
        used += ui_put(w, y, x + used, cols - used, s->space, s->space_len, base);
    }
    ea_worddiff_free(&d);
    return used;
}

static void draw_turn(ui_app *app, ui_panel *p, const ui_turn_row *r, int y, bool sel)
{
    WINDOW *w = p->win;
    int inner = ui_inner_w(p), last = ui_inner_h(p);
    bool focus = app->focus == EA_PANEL_HISTORY;
    attr_t a = sel && focus ? app->theme.attr[UI_SELECTED] : app->theme.attr[UI_NORMAL];
    for (int k = 0; k < rows_per_turn(app) && y + k <= last; k++)
        ui_fill(w, y + k, 1, inner, a);

    char head[200], cost[24] = "", times[64], from[48] = "";
    if (!isnan(r->cost_usd))
        snprintf(cost, sizeof cost, " $%.4f%s", r->cost_usd, r->offline ? " offline" : "");
    describe_timings(r, times, sizeof times);
    if (r->branched)
        snprintf(from, sizeof from, " from #%d", r->parent);
    if (r->turn == ui_current(app)->marked_turn)
        snprintf(from + strlen(from), sizeof from - strlen(from), " [marked]");
    snprintf(head, sizeof head, "%s#%d%s %s ", sel ? "▶" : " ", r->turn, from, r->time);
    int x = 1 + ui_puts(w, y, 1, inner, head, a | A_BOLD);
    x += ui_puts(w, y, x, inner - x + 1, r->status, sel && focus ? a : status_attr(app, r->status));
    snprintf(head, sizeof head, "%s · %zu image%s%s", cost, r->n_images, r->n_images == 1 ? "" : "s", times);
    ui_puts(w, y, x, inner - x + 1, head, a);

    static const char *const labels[] = {"params: ", "prompt: ", "revised: "};
    for (int k = 0; k < 3 && y + 1 + k <= last; k++) {
        int lx = 3 + ui_puts(w, y + 1 + k, 3, inner - 2, labels[k], a | A_DIM);
        int room = inner - lx + 1;
        if (k == 0)
            ui_puts(w, y + 1, lx, room, *r->params ? r->params : "-", a | A_DIM);
        else if (k == 1)
            ui_puts(w, y + 2, lx, room, r->prompt, a);
        else if (*r->revised)
            put_revised(app, w, y + 3, lx, room, r, a);
        else
            ui_puts(w, y + 3, lx, room, "-", a);
    }
    /* The plan a thinking turn's model made, its marker saying there is more to it. */
    if (r->thinking && y + 4 <= last) {
        int lx = 3 + ui_puts(w, y + 4, 3, inner - 2, "thinking: ", a | A_DIM);
        lx += ui_puts(w, y + 4, lx, inner - lx + 1, "▸ ", a | A_DIM);
        put_collapsed(w, y + 4, lx, inner - lx + 1, r->thinking, a | A_DIM);
    }
}

static void history_draw(ui_app *app, ui_panel *p)
{
    if (app->detail_turn) {
        ui_detail_draw(app, p);
        return;
    }
    char title[160];
    int n = snprintf(title, sizeof title, "History (%zu)", app->n_rows);
    /* A batch's progress as the log knows it: fetched lines are done or failed, the rest wait
     * for `easel batch wait` or `fetch` (the preview says so; the workbench never fetches). */
    const ea_history_batch *b = &app->batch;
    if (b->total && n > 0 && (size_t)n < sizeof title)
        snprintf(title + n, sizeof title - (size_t)n, " · batch %zu/%zu done, %zu failed, %zu pending",
                 b->done, b->total, b->failed, b->pending);
    ui_box(app, p, title);
    int per_turn = rows_per_turn(app), rows = ui_inner_h(p) / per_turn;
    if (rows < 1)
        rows = 1;
    if (app->n_rows == 0) {
        ui_puts(p->win, 1, 2, ui_inner_w(p) - 1, "no turns yet: type a prompt below and press Enter",
                app->theme.attr[UI_DIM]);
        return;
    }
    ui_list_clamp(p, (int)app->n_rows, rows);
    for (int i = 0; i < rows && p->top + i < (int)app->n_rows; i++)
        draw_turn(app, p, &app->rows[p->top + i], 1 + i * per_turn, p->top + i == p->sel);
}

/* The editor gets a turn's text, and the focus with it. */
static void to_editor(ui_app *app, const char *text)
{
    ui_editor_replace_text(app, text);
    app->focus = EA_PANEL_EDITOR;
    ui_dirty_all(app);
}

static void branch(ui_app *app, const ui_turn_row *r)
{
    ui_slot *s = ui_current(app);
    if (s->from_turn == r->turn) {
        s->from_turn = 0;
        ui_message(app, false, "the next prompt goes on from the newest turn");
    } else if (strcmp(r->status, "completed") != 0) {
        ui_message(app, true, "turn %d is %s: only a completed turn can be branched from", r->turn, r->status);
        return;
    } else {
        s->from_turn = r->turn;
        ui_message(app, false, "the next prompt branches from turn %d (b again cancels)", r->turn);
    }
    ui_dirty(app, EA_PANEL_STATUS);
}

static void mark(ui_app *app, const ui_turn_row *r)
{
    ui_slot *s = ui_current(app);
    s->marked_turn = s->marked_turn == r->turn ? 0 : r->turn;
    if (s->marked_turn) {
        ui_message(app, false, "turn %d marked: select another and press c to compare", r->turn);
        app->message_note = UI_NOTE_MARK;
    } else
        ui_message(app, false, "unmarked");
    ui_dirty(app, EA_PANEL_HISTORY);
}

static void compare(ui_app *app, const ui_turn_row *r)
{
    int marked = ui_current(app)->marked_turn;
    const ui_turn_row *left = NULL;
    for (size_t i = 0; i < app->n_rows; i++)
        if (app->rows[i].turn == marked)
            left = &app->rows[i];
    if (!left || left == r) {
        ui_message(app, false, "mark a turn with m first, then press c on another");
        return;
    }
    ui_compare_turns(app, left, r);
    if (app->message_note == UI_NOTE_MARK)
        ui_message(app, false, "%s", ""); /* the mark was used */
}

/* o: the system's viewer ($EASEL_OPEN, else xdg-open) on the turn's image, detached: it
 * outlives the workbench and never writes over the screen. A child forks the viewer and
 * leaves at once, so nothing is left to reap. */
static void open_image(ui_app *app, const char *path)
{
    const char *opener = getenv("EASEL_OPEN");
    if (!opener || !*opener)
        opener = "xdg-open";
    pid_t pid = fork();
    if (pid == 0) {
        if (fork() == 0) {
            setsid();
            int null = open("/dev/null", O_RDWR);
            for (int fd = 0; fd < 3 && null >= 0; fd++)
                dup2(null, fd);
            /* Nothing else of the workbench's goes with it (its connections, the offline
             * backend's pipe): a viewer kept open for hours must hold none of them. */
            long max = sysconf(_SC_OPEN_MAX);
            for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
                close(fd);
            execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", opener, path, (char *)NULL);
            _exit(127);
        }
        _exit(0);
    }
    if (pid < 0) {
        ui_message(app, true, "fork: %s", strerror(errno));
        return;
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    ui_message(app, false, "opened %s with %s", path, opener);
}

static void export_report(void *ctx, const char *msg)
{
    ui_message(ctx, true, "export: %s", msg);
}

/* e: the turn's images and their sidecars into a folder, as `easel export SESSION:TURN`. */
static void export_done(ui_app *app, const char *dest)
{
    ui_slot *s = ui_current(app);
    const ui_turn_row *r = NULL;
    for (size_t i = 0; i < app->n_rows; i++)
        if (app->rows[i].turn == (int)app->ask_slot)
            r = &app->rows[i];
    if (!*dest || !r || !*s->info.id)
        return;
    ea_export_counts n;
    ea_err err = {0};
    app->message[0] = '\0';
    if (ea_export(s->info.id, r->turn, 0, dest, false, export_report, app, &n, &err) != 0)
        ui_message(app, true, "export: %s", err.msg);
    else if (!n.failed)
        ui_message(app, false, "turn %d: %zu image%s exported to %s (with sidecar .json)", r->turn, n.exported,
                   n.exported == 1 ? "" : "s", dest);
}

static bool image_action(ui_app *app, const ui_turn_row *r, enum ea_action a)
{
    char *path = ui_turn_image_path(app, r, 1);
    if (!path) {
        ui_message(app, false, "turn %d has no image", r->turn);
        return true;
    }
    if (a == EA_ACT_HISTORY_OPEN_EXTERNAL) {
        open_image(app, path);
    } else if (a == EA_ACT_HISTORY_COPY_PATH) {
        ui_clipboard_copy(app, path);
        snprintf(app->message, sizeof app->message, "copied the path of turn %d's image (OSC 52)", r->turn);
    } else {
        /* ask_slot holds the turn while the question is open (sessions use it alike). */
        app->ask_slot = (size_t)r->turn;
        ui_ask_path(app, "export into the folder (Enter exports, Esc leaves):", "easel-export", export_done);
    }
    free(path);
    return true;
}

static bool history_action(ui_app *app, ui_panel *p, enum ea_action a)
{
    if (app->detail_turn && ui_detail_action(app, p, a))
        return true;
    int page = ui_inner_h(p) / rows_per_turn(app);
    if (ui_list_action(p, a, (int)app->n_rows, page))
        return true;
    if (app->n_rows == 0 || p->sel < 0 || p->sel >= (int)app->n_rows)
        return false;
    const ui_turn_row *r = &app->rows[p->sel];
    switch (a) {
    case EA_ACT_HISTORY_OPEN: ui_show_turn_image(app, r); return true;
    case EA_ACT_HISTORY_REUSE: to_editor(app, r->prompt); return true;
    case EA_ACT_HISTORY_REVISED:
    case EA_ACT_HISTORY_COPY:
        if (!*r->revised)
            ui_message(app, false, "turn %d has no revised prompt", r->turn);
        else if (a == EA_ACT_HISTORY_REVISED)
            to_editor(app, r->revised);
        else
            ui_clipboard_copy(app, r->revised);
        return true;
    case EA_ACT_HISTORY_BRANCH: branch(app, r); return true;
    case EA_ACT_HISTORY_MARK: mark(app, r); return true;
    case EA_ACT_HISTORY_COMPARE: compare(app, r); return true;
    case EA_ACT_HISTORY_AVATAR: ui_show_avatar_sizes(app, r); return true;
    case EA_ACT_HISTORY_DETAIL: ui_detail_open(app, r); return true;
    case EA_ACT_HISTORY_OPEN_EXTERNAL:
    case EA_ACT_HISTORY_EXPORT:
    case EA_ACT_HISTORY_COPY_PATH: return image_action(app, r, a);
    default: return false;
    }
}

/* A click selects a turn; a double click opens its image, as Enter does. */
static void history_mouse(ui_app *app, ui_panel *p, const ui_mouse *m)
{
    if (app->detail_turn) {
        if (m->kind != UI_MOUSE_CLICK)
            for (int i = 0; i < 3; i++)
                ui_detail_action(app, p, m->kind == UI_MOUSE_WHEEL_UP ? EA_ACT_LIST_UP : EA_ACT_LIST_DOWN);
        return;
    }
    if (ui_list_mouse(p, m, (int)app->n_rows, rows_per_turn(app)) >= 0 && m->clicks == 2)
        history_action(app, p, EA_ACT_HISTORY_OPEN);
}

const ui_panel_ops ui_history_ops = {
    .title = "History",
    .scope = EA_SCOPE_HISTORY,
    .focusable = true,
    .draw = history_draw,
    .action = history_action,
    .mouse = history_mouse,
};
