/* SPDX-License-Identifier: MIT */
/* panel_sessions: every session, newest first: name, turns, last activity and spend, with a
 * mark on those generating. Enter switches to one; C-n starts a new one. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ROWS_PER_SESSION 2

static void sessions_draw(ui_app *app, ui_panel *p)
{
    char title[64];
    if (app->lister) /* the rest are being read between keys */
        snprintf(title, sizeof title, "Sessions (%zu of %zu)", app->n_slots,
                 app->n_slots + ea_session_lister_left(app->lister));
    else
        snprintf(title, sizeof title, "Sessions (%zu)", app->n_slots);
    ui_box(app, p, title);
    int inner = ui_inner_w(p), rows = ui_inner_h(p) / ROWS_PER_SESSION;
    ui_list_clamp(p, (int)app->n_slots, rows);
    for (int i = 0; i < rows && p->top + i < (int)app->n_slots; i++) {
        size_t k = (size_t)(p->top + i);
        const ui_slot *s = app->slots[k];
        bool sel = (int)k == p->sel && app->focus == EA_PANEL_SESSIONS;
        attr_t a = sel ? app->theme.attr[UI_SELECTED] : app->theme.attr[UI_NORMAL];
        int y = 1 + i * ROWS_PER_SESSION;
        ui_fill(p->win, y, 1, inner, a);
        ui_fill(p->win, y + 1, 1, inner, a);
        char line[200];
        snprintf(line, sizeof line, "%s%s %s", k == app->cur ? "▶" : " ", s->turn ? "●" : " ",
                 *s->info.name ? s->info.name : *s->info.id ? s->info.id : "(new session)");
        ui_puts(p->win, y, 1, inner, line, a | (k == app->cur ? A_BOLD : 0));
        /* "3 turns · $0.123 · 11-25 15:30", the date dropped when there is no room. */
        const char *when = *s->info.last_activity ? s->info.last_activity : s->info.created;
        char date[8] = "", hm[8] = "";
        if (strlen(when) >= 16) {
            snprintf(date, sizeof date, "%.5s ", when + 5);
            snprintf(hm, sizeof hm, "%.5s", when + 11);
        }
        char offline[40] = ""; /* apart from the spend: it is not money spent */
        if (s->info.offline_usd > 0)
            snprintf(offline, sizeof offline, " · $%.3f offline", s->info.offline_usd);
        for (int pass = 0; pass < 2; pass++) {
            snprintf(line, sizeof line, "   %d turn%s · $%.3f%s · %s%s", s->info.turns,
                     s->info.turns == 1 ? "" : "s", s->info.spend_usd, offline, pass ? "" : date,
                     hm);
            if (ea_text_width(line, strlen(line)) <= inner)
                break;
        }
        ui_puts(p->win, y + 1, 1, inner, line, sel ? a : app->theme.attr[UI_DIM]);
    }
}

static bool sessions_action(ui_app *app, ui_panel *p, enum ea_action a)
{
    int page = ui_inner_h(p) / ROWS_PER_SESSION;
    if (ui_list_action(p, a, (int)app->n_slots, page))
        return true;
    if (a != EA_ACT_SESSION_TRASH)
        app->trash_armed = false;
    if (a == EA_ACT_SESSION_RENAME) {
        ui_session_rename(app, (size_t)p->sel);
        return true;
    }
    if (a == EA_ACT_SESSION_TRASH) {
        ui_session_trash(app, (size_t)p->sel);
        return true;
    }
    if (a == EA_ACT_SESSION_OPEN) {
        ui_switch_session(app, (size_t)p->sel);
        app->focus = EA_PANEL_EDITOR;
        return true;
    }
    return false;
}

/* A click opens the session, as Enter does: the list is where one goes to switch. */
static void sessions_mouse(ui_app *app, ui_panel *p, const ui_mouse *m)
{
    if (ui_list_mouse(p, m, (int)app->n_slots, ROWS_PER_SESSION) >= 0)
        sessions_action(app, p, EA_ACT_SESSION_OPEN);
}

const ui_panel_ops ui_sessions_ops = {
    .title = "Sessions",
    .scope = EA_SCOPE_SESSIONS,
    .focusable = true,
    .draw = sessions_draw,
    .action = sessions_action,
    .mouse = sessions_mouse,
};
