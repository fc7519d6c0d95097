/* panel_history: the current session's turns, oldest first: time, status, cost, the prompt
 * and the revised prompt the model's rewriter made of it (all sanitized when loaded). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ROWS_PER_TURN 3

static attr_t status_attr(ui_app *app, const char *status)
{
    if (strcmp(status, "completed") == 0)
        return app->theme.attr[UI_OK];
    if (strcmp(status, "running") == 0 || strcmp(status, "cancelled") == 0)
        return app->theme.attr[UI_KEY];
    return app->theme.attr[UI_ERROR];
}

static void history_draw(ui_app *app, ui_panel *p)
{
    char title[64];
    snprintf(title, sizeof title, "History (%zu)", app->n_rows);
    ui_box(app, p, title);
    int inner = ui_inner_w(p), rows = ui_inner_h(p) / ROWS_PER_TURN;
    if (rows < 1)
        rows = 1;
    if (app->n_rows == 0) {
        ui_puts(p->win, 1, 2, inner - 1, "no turns yet: type a prompt below and press Enter",
                app->theme.attr[UI_DIM]);
        return;
    }
    ui_list_clamp(p, (int)app->n_rows, rows);
    for (int i = 0; i < rows && p->top + i < (int)app->n_rows; i++) {
        const ui_turn_row *r = &app->rows[p->top + i];
        bool sel = p->top + i == p->sel;
        bool focus = app->focus == EA_PANEL_HISTORY;
        attr_t a = sel && focus ? app->theme.attr[UI_SELECTED] : app->theme.attr[UI_NORMAL];
        int y = 1 + i * ROWS_PER_TURN;
        for (int k = 0; k < ROWS_PER_TURN && y + k <= ui_inner_h(p); k++)
            ui_fill(p->win, y + k, 1, inner, a);
        char head[160], cost[24] = "";
        if (!isnan(r->cost_usd))
            snprintf(cost, sizeof cost, "$%.4f", r->cost_usd);
        snprintf(head, sizeof head, "%s#%d %s ", sel ? "▶" : " ", r->turn, r->time);
        int x = 1 + ui_puts(p->win, y, 1, inner, head, a | A_BOLD);
        x += ui_puts(p->win, y, x, inner - x + 1, r->status, sel && focus ? a : status_attr(app, r->status));
        snprintf(head, sizeof head, " %s %zu image%s", cost, r->n_images, r->n_images == 1 ? "" : "s");
        ui_puts(p->win, y, x, inner - x + 1, head, a);
        if (y + 1 <= ui_inner_h(p)) {
            int k = ui_puts(p->win, y + 1, 3, inner - 2, "prompt: ", a | A_DIM);
            ui_puts(p->win, y + 1, 3 + k, inner - 2 - k, r->prompt, a);
        }
        if (y + 2 <= ui_inner_h(p)) {
            int k = ui_puts(p->win, y + 2, 3, inner - 2, "revised: ", a | A_DIM);
            ui_puts(p->win, y + 2, 3 + k, inner - 2 - k, *r->revised ? r->revised : "-", a);
        }
    }
}

static bool history_action(ui_app *app, ui_panel *p, enum ea_action a)
{
    int page = ui_inner_h(p) / ROWS_PER_TURN;
    if (ui_list_action(p, a, (int)app->n_rows, page))
        return true;
    if (app->n_rows == 0 || p->sel < 0 || p->sel >= (int)app->n_rows)
        return false;
    const ui_turn_row *r = &app->rows[p->sel];
    switch (a) {
    case EA_ACT_HISTORY_OPEN:
        ui_show_turn_image(app, r);
        return true;
    case EA_ACT_HISTORY_REUSE:
        ui_editor_set_text(app, r->prompt);
        app->focus = EA_PANEL_EDITOR;
        ui_dirty_all(app);
        return true;
    case EA_ACT_HISTORY_REVISED:
        if (!*r->revised) {
            ui_message(app, false, "turn %d has no revised prompt", r->turn);
            return true;
        }
        ui_editor_set_text(app, r->revised);
        app->focus = EA_PANEL_EDITOR;
        ui_dirty_all(app);
        return true;
    default:
        return false;
    }
}

const ui_panel_ops ui_history_ops = {
    .title = "History",
    .scope = EA_SCOPE_HISTORY,
    .focusable = true,
    .draw = history_draw,
    .action = history_action,
};
