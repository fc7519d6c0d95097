/* SPDX-License-Identifier: MIT */
/* panel_status: the bottom row: the current session's request (phase, elapsed time, partial
 * frame k/N, bytes), the other sessions still generating, and the latest message. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *phase_name(enum ea_turn_phase p)
{
    static const char *const names[] = {"sending", "waiting", "generating", "done"};
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

static void status_draw(ui_app *app, ui_panel *p)
{
    WINDOW *w = p->win;
    int cols = p->rect.w;
    ui_slot *s = ui_current(app);
    attr_t base = app->theme.attr[UI_STATUS];
    ui_fill(w, 0, 0, cols, base);
    if (app->ask_done) {
        /* The question and its answer so far, the cursor a reverse cell after it. */
        int x = ui_puts(w, 0, 1, cols - 1, app->ask_label, base | A_BOLD);
        x += 1 + ui_put(w, 0, x + 2, cols - x - 3, app->ask_input.text, app->ask_input.len, base);
        ui_puts(w, 0, x + 1, 1, " ", base | A_REVERSE);
        if (app->ask_hint[0] && cols - x > 4)
            ui_puts(w, 0, x + 3, cols - x - 3, app->ask_hint, app->theme.attr[UI_DIM]);
        return;
    }
    char left[200] = "";
    if (s->turn && !s->turn_done) {
        const ea_turn_progress *g = &s->progress;
        /* A call with no partial frames to come (several images are not streamed) shows none. */
        char partials[80] = "";
        int n = 0;
        /* A thinking turn's images are as many as its model makes: the one it is on, never
         * "of N"; the partial frames are that image's. */
        if (!g->images_expected && g->image > 0)
            n = snprintf(partials, sizeof partials, "image %d │ ", g->image);
        if (g->partials_expected > 0 && n >= 0 && (size_t)n < sizeof partials)
            snprintf(partials + n, sizeof partials - (size_t)n, "partial %d/%d │ ",
                     g->image_partials, g->partials_expected);
        /* A background turn read again after its stream dropped, or after an easel stopped. */
        char resuming[32] = "";
        if (g->resumes > 0)
            snprintf(resuming, sizeof resuming, "resuming turn %d │ ", g->turn);
        snprintf(left, sizeof left, " %s%s %.1fs │ %s%.1f kB ", resuming, phase_name(g->phase),
                 g->ms_elapsed / 1000.0, partials, g->bytes / 1e3);
    }
    if (s->from_turn && !s->turn)
        snprintf(left + strlen(left), sizeof left - strlen(left), " from turn %d │", s->from_turn);
    if (s->new_conversation && !s->turn)
        snprintf(left + strlen(left), sizeof left - strlen(left), " new conversation │");
    int others = ui_running(app) - (s->turn != NULL);
    if (others > 0)
        snprintf(left + strlen(left), sizeof left - strlen(left), " +%d generating │", others);
    int x = ui_puts(w, 0, 0, cols, left, base | A_BOLD);
    const char *msg = app->message;
    attr_t ma = app->message_error ? app->theme.attr[UI_ERROR] : base;
    if (app->quit_armed)
        msg = "a request is running: C-q again cancels it and quits (Esc cancels only)";
    ui_puts(w, 0, x + 1, cols - x - 1, msg, ma);
    /* The help key, always visible at the right edge when there is room. */
    const char *hint = " F1 help ";
    int hw = (int)strlen(hint);
    if (cols - x > hw + 20)
        ui_puts(w, 0, cols - hw, hw, hint, app->theme.attr[UI_KEY] | A_REVERSE);
}

void ui_ask(ui_app *app, const char *label, const char *initial, ui_ask_done done)
{
    snprintf(app->ask_label, sizeof app->ask_label, "%s", label);
    ea_editbuf_set(&app->ask_input, initial, strlen(initial));
    app->ask_done = done;
    app->ask_path = false;
    app->ask_one_key = false;
    app->ask_hint[0] = '\0';
    ui_dirty(app, EA_PANEL_STATUS);
}

void ui_ask_path(ui_app *app, const char *label, const char *initial, ui_ask_done done)
{
    ui_ask(app, label, initial, done);
    app->ask_path = true;
}

void ui_ask_yes_no(ui_app *app, const char *question, ui_ask_done done)
{
    ui_ask(app, question, "", done);
    app->ask_one_key = true;
}

/* Tab in a path question. The answer is completed as a whole (the cursor goes to its end):
 * a path is typed left to right, and completing in its middle would be a surprise. */
static void complete_path(ui_app *app)
{
    char completed[4096];
    size_t n = ui_path_complete(app->ask_input.text, completed, sizeof completed, app->ask_hint,
                                sizeof app->ask_hint);
    if (n == 0)
        snprintf(app->ask_hint, sizeof app->ask_hint, "no match");
    ea_editbuf_set(&app->ask_input, completed, strlen(completed));
}

void ui_ask_key(ui_app *app, ea_key k)
{
    ui_ask_done done = app->ask_done;
    if (app->ask_one_key) {
        /* No is the default: only a deliberate y says yes; Enter, typed out of habit, and
         * every other key say no. */
        app->ask_done = NULL;
        app->ask_one_key = false;
        ui_message(app, false, "%s", "");
        done(app, k == 'y' || k == 'Y' ? "y" : "");
    } else if (k == EA_KEY_ENTER || k == EA_KEY_ESC) {
        app->ask_done = NULL;
        ui_message(app, false, "%s", k == EA_KEY_ESC ? "left unchanged" : "");
        if (k == EA_KEY_ENTER)
            done(app, app->ask_input.text);
    } else if (k == EA_KEY_TAB && app->ask_path) {
        complete_path(app);
    } else {
        ui_line_edit_key(&app->ask_input, k);
        app->ask_hint[0] = '\0';
    }
    ui_dirty(app, EA_PANEL_STATUS);
}

const ui_panel_ops ui_status_ops = {
    .title = "status",
    .scope = EA_SCOPE_GLOBAL,
    .focusable = false,
    .draw = status_draw,
};
