/* SPDX-License-Identifier: MIT */
/* help: the overlay that lists every key, generated from the one action table (keymap.c), so
 * it cannot drift from what the keys do. Scrolls with the list keys; Esc, q, F1 or ? closes. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define KEY_COLS 18

/* The overlay's lines at `cols` wide: a header per scope, a line per action, then the mouse;
 * drawn into w from line `top` (w NULL only counts them). */
static int help_lines(ui_app *app, WINDOW *w, int top, int rows, int cols)
{
    size_t n;
    const ea_action_desc *t = ea_action_table(&n);
    int line = 0;
    for (int s = 0; s < EA_SCOPE_COUNT; s++) {
        bool header = false;
        for (size_t i = 0; i < n; i++) {
            if ((int)t[i].scope != s)
                continue;
            if (!header) {
                if (line > 0)
                    line++; /* a blank line between scopes */
                int y = line - top;
                if (w && y >= 0 && y < rows)
                    ui_puts(w, 1 + y, 2, cols, ea_scope_title((enum ea_scope)s), app->theme.attr[UI_TITLE]);
                line++;
                header = true;
            }
            int y = line - top;
            if (w && y >= 0 && y < rows) {
                ui_puts(w, 1 + y, 3, KEY_COLS, t[i].keys, app->theme.attr[UI_KEY]);
                ui_puts(w, 1 + y, 3 + KEY_COLS, cols - KEY_COLS - 1, t[i].help, app->theme.attr[UI_NORMAL]);
            }
            line++;
        }
    }
    /* The mouse last, its lines wrapped under the gesture: they are longer than a key's. */
    size_t n_mouse;
    const ea_mouse_help *m = ea_mouse_help_table(&n_mouse);
    line++;
    int y = line - top;
    if (w && y >= 0 && y < rows)
        ui_puts(w, 1 + y, 2, cols, "Mouse", app->theme.attr[UI_TITLE]);
    line++;
    int text_cols = cols - KEY_COLS - 1 > 10 ? cols - KEY_COLS - 1 : 10;
    for (size_t i = 0; i < n_mouse; i++) {
        const char *text = m[i].help;
        size_t len = strlen(text), start = 0, next;
        for (bool first = true; start < len; first = false) {
            size_t end = ui_wrap_end(text, len, start, text_cols, &next);
            y = line - top;
            if (w && y >= 0 && y < rows) {
                if (first)
                    ui_puts(w, 1 + y, 3, KEY_COLS, m[i].gesture, app->theme.attr[UI_KEY]);
                ui_put(w, 1 + y, 3 + KEY_COLS, text_cols, text + start, end - start, app->theme.attr[UI_NORMAL]);
            }
            line++;
            if (next == start)
                break;
            start = next;
            while (start < len && text[start] == ' ')
                start++;
        }
    }
    return line;
}

static void help_geometry(const ui_app *app, int *y, int *x, int *h, int *w)
{
    *w = app->layout.cols - 4 < 92 ? app->layout.cols - 4 : 92;
    *h = app->layout.rows - 2;
    if (*w < 10)
        *w = app->layout.cols;
    if (*h < 3)
        *h = app->layout.rows;
    *y = (app->layout.rows - *h) / 2;
    *x = (app->layout.cols - *w) / 2;
}

void ui_help_draw(ui_app *app)
{
    int y, x, h, w;
    help_geometry(app, &y, &x, &h, &w);
    if (app->help_win && (getbegy(app->help_win) != y || getbegx(app->help_win) != x ||
                          getmaxy(app->help_win) != h || getmaxx(app->help_win) != w)) {
        delwin(app->help_win);
        app->help_win = NULL;
    }
    if (!app->help_win && !(app->help_win = newwin(h, w, y, x)))
        return;
    WINDOW *win = app->help_win;
    leaveok(win, TRUE);
    wbkgdset(win, ' ' | app->theme.attr[UI_NORMAL]);
    werase(win);
    ui_panel box = {.id = EA_PANEL_COUNT, .ops = &ui_status_ops, .win = win, .rect = {y, x, h, w}};
    ui_box(app, &box, "Keys (Esc closes)");
    int rows = h - 2, total = help_lines(app, NULL, 0, 0, w - 4);
    if (app->help_top > total - rows)
        app->help_top = total - rows;
    if (app->help_top < 0)
        app->help_top = 0;
    help_lines(app, win, app->help_top, rows, w - 4);
    wnoutrefresh(win);
}

bool ui_help_action(ui_app *app, enum ea_action a)
{
    int rows = app->layout.rows - 4;
    switch (a) {
    case EA_ACT_HELP_CLOSE:
        app->help_open = false;
        delwin(app->help_win);
        app->help_win = NULL;
        ui_dirty_all(app);
        return true;
    default:
        if (!ui_scroll_action(&app->help_top, a, rows))
            return false;
    }
    app->help_dirty = true;
    return true;
}
