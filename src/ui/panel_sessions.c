/* SPDX-License-Identifier: MIT */
/* panel_sessions: every session, newest first: its name (or a title made from its first
 * prompt), turns, last activity and spend, with a mark on those generating. Enter switches to
 * one; C-n starts a new one; / filters the list as typed; t shows the trash, where Enter
 * restores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ROWS_PER_SESSION 2

/* ---- The filter (/) ---------------------------------------------------------------------- */

static bool filtered(const ui_app *app)
{
    return app->filtering || app->filter.len > 0;
}

/* The sessions the list shows: every one, or those the filter matches. */
static size_t n_items(const ui_app *app)
{
    return app->trash_view ? app->n_trash : filtered(app) ? app->n_shown : app->n_slots;
}

static size_t slot_at(const ui_app *app, int i)
{
    return filtered(app) && i >= 0 && (size_t)i < app->n_shown ? app->shown[i] : (size_t)i;
}

/* Every word of the filter (ASCII folded) in the session's name, id or prompts. */
static void refilter(ui_app *app)
{
    char needle[512];
    snprintf(needle, sizeof needle, "%s", app->filter.text ? app->filter.text : "");
    for (char *c = needle; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    size_t *grown = realloc(app->shown, (app->n_slots ? app->n_slots : 1) * sizeof *grown);
    if (!grown)
        return;
    app->shown = grown;
    app->n_shown = 0;
    for (size_t i = 0; i < app->n_slots; i++) {
        const char *hay = ui_slot_haystack(app->slots[i]);
        bool all = true;
        char words[512], *save = NULL;
        snprintf(words, sizeof words, "%s", needle);
        for (char *w = strtok_r(words, " ", &save); w && all; w = strtok_r(NULL, " ", &save))
            all = strstr(hay, w) != NULL;
        if (all)
            app->shown[app->n_shown++] = i;
    }
    ui_panel *p = &app->panels[EA_PANEL_SESSIONS];
    p->sel = 0;
    p->top = 0;
    p->dirty = true;
}

static void filter_end(ui_app *app, bool keep)
{
    app->filtering = false;
    if (!keep)
        ea_editbuf_set(&app->filter, "", 0);
    app->panels[EA_PANEL_SESSIONS].sel = (int)app->cur;
    app->panels[EA_PANEL_SESSIONS].dirty = true;
    ui_dirty(app, EA_PANEL_STATUS);
}

void ui_sessions_filter_key(ui_app *app, ea_key k)
{
    ui_panel *p = &app->panels[EA_PANEL_SESSIONS];
    if (k == EA_KEY_ESC) {
        filter_end(app, false);
    } else if (k == EA_KEY_ENTER) {
        /* The list keeps the filter; Enter again opens the selected session. */
        app->filtering = false;
        if (app->filter.len == 0)
            filter_end(app, false);
    } else if (k == EA_KEY_UP || k == EA_KEY_DOWN) {
        ui_list_action(p, k == EA_KEY_UP ? EA_ACT_LIST_UP : EA_ACT_LIST_DOWN, (int)app->n_shown, 1);
    } else if (ui_line_edit_key(&app->filter, k)) {
        refilter(app);
    }
    p->dirty = true;
}

static void filter_begin(ui_app *app)
{
    while (ui_sessions_load_more(app)) {
    }
    app->filtering = true;
    refilter(app);
}

/* ---- The trash (t) ----------------------------------------------------------------------- */

void ui_trash_free(ui_app *app)
{
    for (size_t i = 0; i < app->n_trash; i++) {
        free(app->trash[i]);
        free(app->trash_titles ? app->trash_titles[i] : NULL);
    }
    free(app->trash);
    free(app->trash_titles);
    app->trash = app->trash_titles = NULL;
    app->n_trash = 0;
}

static void trash_show(ui_app *app, bool on)
{
    ui_trash_free(app);
    app->trash_view = on;
    ui_panel *p = &app->panels[EA_PANEL_SESSIONS];
    p->sel = on ? 0 : (int)app->cur;
    p->top = 0;
    p->dirty = true;
    if (!on)
        return;
    ea_err err = {0};
    if (ea_session_trash_list(app->trash_dir, sizeof app->trash_dir, &app->trash, &app->n_trash, &err) != 0) {
        ui_message(app, true, "%s", err.msg);
        return;
    }
    app->trash_titles = calloc(app->n_trash ? app->n_trash : 1, sizeof *app->trash_titles);
    ui_message(app, false, "the trash: Enter restores a session, t goes back");
}

static void trash_restore(ui_app *app, int i)
{
    if (i < 0 || (size_t)i >= app->n_trash)
        return;
    char id[EA_SESSION_ID_LEN + 1];
    ea_session_info info;
    char dir[4096];
    ea_err err = {0};
    if (ea_session_restore(app->trash[i], id, sizeof id, &err) != 0 ||
        ea_session_locate(id, &info, dir, sizeof dir, &err) != 0) {
        ui_message(app, true, "%s", err.msg);
        return;
    }
    /* Back in the list where its creation puts it (newest first). */
    size_t at = 0;
    while (at < app->n_slots && strcmp(app->slots[at]->info.created, info.created) > 0)
        at++;
    if (ui_sessions_insert(app, at, &info) != 0) {
        ui_message(app, true, "out of memory");
        return;
    }
    if (at <= app->cur && app->n_slots > 1)
        app->cur++;
    trash_show(app, false);
    app->panels[EA_PANEL_SESSIONS].sel = (int)at;
    ui_message(app, false, "restored %s", *info.name ? info.name : id);
    ui_dirty_all(app);
}

static const char *trash_title(ui_app *app, size_t i)
{
    if (app->trash_titles && !app->trash_titles[i]) {
        size_t n = strlen(app->trash_dir) + strlen(app->trash[i]) + 2;
        char *dir = malloc(n);
        if (dir)
            snprintf(dir, n, "%s/%s", app->trash_dir, app->trash[i]);
        app->trash_titles[i] = ui_session_prompts(dir, true);
        free(dir);
    }
    return app->trash_titles && app->trash_titles[i] ? app->trash_titles[i] : "";
}

/* ---- The list ---------------------------------------------------------------------------- */

static void draw_trash(ui_app *app, ui_panel *p, int first, int rows)
{
    int inner = ui_inner_w(p);
    for (int i = 0; i < rows && p->top + i < (int)app->n_trash; i++) {
        size_t k = (size_t)(p->top + i);
        bool sel = (int)k == p->sel && app->focus == EA_PANEL_SESSIONS;
        attr_t a = sel ? app->theme.attr[UI_SELECTED] : app->theme.attr[UI_NORMAL];
        int y = first + i * ROWS_PER_SESSION;
        ui_fill(p->win, y, 1, inner, a);
        ui_fill(p->win, y + 1, 1, inner, a);
        const char *title = trash_title(app, k);
        ui_puts(p->win, y, 1, 2, sel ? "▶" : " ", a);
        ui_puts_cut(p->win, y, 3, inner - 2, *title ? title : app->trash[k], a);
        ui_puts_cut(p->win, y + 1, 3, inner - 2, app->trash[k], sel ? a : app->theme.attr[UI_DIM]);
    }
}

static void sessions_draw(ui_app *app, ui_panel *p)
{
    char title[64];
    if (app->trash_view)
        snprintf(title, sizeof title, "Trash (%zu)", app->n_trash);
    else if (filtered(app))
        snprintf(title, sizeof title, "Sessions (%zu of %zu)", app->n_shown, app->n_slots);
    else if (app->lister) /* the rest are being read between keys */
        snprintf(title, sizeof title, "Sessions (%zu of %zu)", app->n_slots,
                 app->n_slots + ea_session_lister_left(app->lister));
    else
        snprintf(title, sizeof title, "Sessions (%zu)", app->n_slots);
    ui_box(app, p, title);
    int inner = ui_inner_w(p), first = 1, avail = ui_inner_h(p);
    if (filtered(app) && !app->trash_view) {
        /* The filter's line, its cursor a reverse cell while it is typed. */
        int x = 1 + ui_puts(p->win, 1, 1, inner, "/", app->theme.attr[UI_KEY]);
        x += ui_put(p->win, 1, x, inner - x, app->filter.text, app->filter.len, app->theme.attr[UI_NORMAL]);
        if (app->filtering)
            ui_puts(p->win, 1, x, 1, " ", app->theme.attr[UI_NORMAL] | A_REVERSE);
        first = 2;
        avail--;
    }
    int rows = avail / ROWS_PER_SESSION;
    ui_list_clamp(p, (int)n_items(app), rows);
    if (app->trash_view) {
        if (app->n_trash == 0)
            ui_puts(p->win, first, 2, inner - 1, "the trash is empty", app->theme.attr[UI_DIM]);
        draw_trash(app, p, first, rows);
        return;
    }
    for (int i = 0; i < rows && p->top + i < (int)n_items(app); i++) {
        size_t k = slot_at(app, p->top + i);
        ui_slot *s = app->slots[k];
        bool sel = p->top + i == p->sel && app->focus == EA_PANEL_SESSIONS;
        attr_t a = sel ? app->theme.attr[UI_SELECTED] : app->theme.attr[UI_NORMAL];
        int y = first + i * ROWS_PER_SESSION;
        ui_fill(p->win, y, 1, inner, a);
        ui_fill(p->win, y + 1, 1, inner, a);
        /* One mark column: generating, else the current session; then its name, else a
         * title made from its first prompt, else its id. */
        ui_puts(p->win, y, 1, 1, s->turn ? "●" : k == app->cur ? "▶" : " ", a | (k == app->cur ? A_BOLD : 0));
        const char *shown_name = *s->info.name ? s->info.name : *ui_slot_title(s) ? ui_slot_title(s)
                                 : *s->info.id ? s->info.id : "(new session)";
        ui_puts_cut(p->win, y, 3, inner - 2, shown_name, a | (k == app->cur ? A_BOLD : 0));
        char line[200];
        /* "3 turns · $0.123 · 11-25 15:30"; a session of offline turns only: "3 turns · $0.654
         * offline · 11-25 15:30". */
        const char *when = *s->info.last_activity ? s->info.last_activity : s->info.created;
        char date[8] = "", hm[8] = "";
        if (strlen(when) >= 16) {
            snprintf(date, sizeof date, "%.5s ", when + 5);
            snprintf(hm, sizeof hm, "%.5s", when + 11);
        }
        char spend[24] = "", offline[40] = ""; /* offline apart from the spend: not money spent */
        if (s->info.spend_usd > 0 || s->info.offline_usd <= 0)
            snprintf(spend, sizeof spend, " · $%.3f", s->info.spend_usd);
        if (s->info.offline_usd > 0)
            snprintf(offline, sizeof offline, " · $%.3f offline", s->info.offline_usd);
        /* Shorter forms until one fits, so an amount is never cut: without the date, without
         * the time, then the spend alone. */
        for (int pass = 0; pass < 4; pass++) {
            snprintf(line, sizeof line, "   %d turn%s%s%s%s%s%s", s->info.turns,
                     s->info.turns == 1 ? "" : "s", spend, pass < 3 || !*spend ? offline : "",
                     pass < 2 && *hm ? " · " : "", pass < 1 ? date : "", pass < 2 ? hm : "");
            if (ea_text_width(line, strlen(line)) <= inner)
                break;
        }
        ui_puts(p->win, y + 1, 1, inner, line, sel ? a : app->theme.attr[UI_DIM]);
    }
}

static bool sessions_action(ui_app *app, ui_panel *p, enum ea_action a)
{
    int page = ui_inner_h(p) / ROWS_PER_SESSION;
    if (ui_list_action(p, a, (int)n_items(app), page))
        return true;
    if (a != EA_ACT_SESSION_TRASH)
        app->trash_armed = false;
    if (a == EA_ACT_SESSION_TRASH_VIEW) {
        trash_show(app, !app->trash_view);
        return true;
    }
    if (app->trash_view) {
        if (a == EA_ACT_SESSION_OPEN || a == EA_ACT_SESSION_RESTORE)
            trash_restore(app, p->sel);
        else if (a == EA_ACT_CANCEL)
            trash_show(app, false);
        else
            return a == EA_ACT_SESSION_RENAME || a == EA_ACT_SESSION_TRASH || a == EA_ACT_SESSION_FILTER;
        return true;
    }
    if (a == EA_ACT_SESSION_FILTER) {
        filter_begin(app);
        return true;
    }
    if (a == EA_ACT_CANCEL && filtered(app)) {
        filter_end(app, false);
        return true;
    }
    if (a != EA_ACT_SESSION_RENAME && a != EA_ACT_SESSION_TRASH && a != EA_ACT_SESSION_OPEN)
        return false;
    /* What the list shows is the filter's: act on the session, then show them all again. */
    size_t index = slot_at(app, p->sel);
    if (filtered(app) && index < app->n_slots)
        filter_end(app, false);
    if (a == EA_ACT_SESSION_RENAME) {
        ui_session_rename(app, index);
    } else if (a == EA_ACT_SESSION_TRASH) {
        p->sel = (int)index;
        ui_session_trash(app, index);
    } else {
        ui_switch_session(app, index);
        app->focus = EA_PANEL_EDITOR;
    }
    return true;
}

/* A click opens the session, as Enter does: the list is where one goes to switch. */
static void sessions_mouse(ui_app *app, ui_panel *p, const ui_mouse *m)
{
    if (ui_list_mouse(p, m, (int)n_items(app), ROWS_PER_SESSION) >= 0)
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
