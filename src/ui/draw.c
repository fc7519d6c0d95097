/* SPDX-License-Identifier: MIT */
/* draw: putting UTF-8 text into curses cells by clusters, clipped to a width; boxes; lists. */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "easel/utf8.h"
#include "internal.h"

/* One cluster at most this many code points is drawn whole; curses keeps a few combining
 * characters per cell (CCHARW_MAX), and more would be lost anyway. */
#define CLUSTER_MAX 16

int ui_put(WINDOW *w, int y, int x, int max_cols, const char *s, size_t n, attr_t attr)
{
    int used = 0;
    wattrset(w, attr);
    if (wmove(w, y, x) == ERR)
        return 0;
    for (size_t at = 0; at < n;) {
        size_t end = ea_text_next(s, n, at);
        int cw = ea_text_width(s + at, end - at);
        if (used + cw > max_cols)
            break;
        wchar_t wc[CLUSTER_MAX + 1];
        int k = 0;
        for (size_t i = at; i < end && k < CLUSTER_MAX;) {
            uint32_t cp;
            size_t len = ea_utf8_decode((const unsigned char *)s + i, end - i, &cp);
            if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
                cp = 0xFFFD, len = len ? len : 1; /* never a control character on screen */
            wc[k++] = (wchar_t)cp;
            i += len;
        }
        wc[k] = 0;
        waddnwstr(w, wc, k);
        used += cw;
        at = end;
    }
    return used;
}

int ui_puts(WINDOW *w, int y, int x, int max_cols, const char *s, attr_t attr)
{
    return ui_put(w, y, x, max_cols, s, strlen(s), attr);
}

size_t ui_wrap_end(const char *s, size_t len, size_t start, int width, size_t *next)
{
    size_t end = ea_text_row_end(s, len, start, width, next);
    if (end < len && s[end] == ' ')
        *next = end + 1;
    if (end >= len || s[end] == '\n' || s[end] == ' ')
        return end;
    size_t space = end;
    while (space > start && s[space] != ' ')
        space--;
    if (space > start) {
        *next = space + 1;
        return space;
    }
    return end; /* a word longer than the row: cut between characters */
}

int ui_puts_cut(WINDOW *w, int y, int x, int max_cols, const char *s, attr_t attr)
{
    size_t n = strlen(s);
    if (ea_text_width(s, n) <= max_cols || max_cols < 2)
        return ui_put(w, y, x, max_cols, s, n, attr);
    size_t next, end = ea_text_row_end(s, n, 0, max_cols - 1, &next);
    size_t space = end;
    while (space > 0 && s[space] != ' ')
        space--;
    if (space > 0 && ea_text_width(s, space) * 2 >= max_cols - 1)
        end = space;
    while (end > 0 && s[end - 1] == ' ')
        end--;
    int used = ui_put(w, y, x, max_cols - 1, s, end, attr);
    return used + ui_puts(w, y, x + used, 1, "…", attr);
}

bool ui_line_edit_key(ea_editbuf *e, ea_key k)
{
    char u[5];
    switch (k) {
    case EA_KEY_BACKSPACE: ea_editbuf_delete_back(e); return true;
    case EA_KEY_DELETE: ea_editbuf_delete_forward(e); return true;
    case EA_KEY_LEFT: ea_editbuf_left(e); return true;
    case EA_KEY_RIGHT: ea_editbuf_right(e); return true;
    case EA_KEY_HOME: case EA_CTRL('a'): ea_editbuf_bol(e); return true;
    case EA_KEY_END: case EA_CTRL('e'): ea_editbuf_eol(e); return true;
    case EA_CTRL('u'): ea_editbuf_kill_bol(e); return true;
    default:
        if (!ea_key_utf8(k, u))
            return false;
        ea_editbuf_insert(e, u, strlen(u));
        return true;
    }
}

void ui_fill(WINDOW *w, int y, int x, int cols, attr_t attr)
{
    wattrset(w, attr);
    for (int i = 0; i < cols; i++)
        mvwaddch(w, y, x + i, ' ');
}

static void put_cp(WINDOW *w, int y, int x, wchar_t c, attr_t attr)
{
    cchar_t cc;
    wchar_t s[2] = {c, 0};
    setcchar(&cc, s, attr, PAIR_NUMBER(attr), NULL);
    mvwadd_wch(w, y, x, &cc);
}

/* Borders are drawn with the box-drawing characters themselves rather than the alternate
 * character set, so that a screen dump shows what the user sees. */
void ui_box(ui_app *app, ui_panel *p, const char *title)
{
    WINDOW *w = p->win;
    int h = p->rect.h, wd = p->rect.w;
    bool focus = app->focus == p->id && p->ops->focusable && !app->help_open;
    attr_t a = app->theme.attr[focus ? UI_BORDER_FOCUS : UI_BORDER];
    for (int x = 1; x < wd - 1; x++) {
        put_cp(w, 0, x, focus ? L'━' : L'─', a);
        put_cp(w, h - 1, x, L'─', a);
    }
    for (int y = 1; y < h - 1; y++) {
        put_cp(w, y, 0, L'│', a);
        put_cp(w, y, wd - 1, L'│', a);
    }
    put_cp(w, 0, 0, L'┌', a);
    put_cp(w, 0, wd - 1, L'┐', a);
    put_cp(w, h - 1, 0, L'└', a);
    put_cp(w, h - 1, wd - 1, L'┘', a);
    if (title && wd > 6) {
        ui_puts(w, 0, 2, 1, " ", a);
        int n = ui_puts(w, 0, 3, wd - 6, title, a | A_BOLD);
        ui_puts(w, 0, 3 + n, 1, " ", a);
    }
}

int ui_inner_h(const ui_panel *p)
{
    return p->rect.h > 2 ? p->rect.h - 2 : 0;
}

int ui_inner_w(const ui_panel *p)
{
    return p->rect.w > 2 ? p->rect.w - 2 : 0;
}

void ui_list_clamp(ui_panel *p, int count, int rows)
{
    if (p->sel >= count)
        p->sel = count - 1;
    if (p->sel < 0)
        p->sel = 0;
    if (rows < 1)
        rows = 1;
    if (p->sel < p->top)
        p->top = p->sel;
    if (p->sel >= p->top + rows)
        p->top = p->sel - rows + 1;
    if (p->top < 0)
        p->top = 0;
}

bool ui_scroll_action(int *top, enum ea_action a, int page)
{
    switch (a) {
    case EA_ACT_LIST_UP: (*top)--; return true;
    case EA_ACT_LIST_DOWN: (*top)++; return true;
    case EA_ACT_LIST_PGUP: *top -= page; return true;
    case EA_ACT_LIST_PGDN: *top += page; return true;
    case EA_ACT_LIST_TOP: *top = 0; return true;
    case EA_ACT_LIST_BOTTOM: *top = 1 << 20; return true; /* the drawing clamps it */
    default: return false;
    }
}

bool ui_list_action(ui_panel *p, enum ea_action a, int count, int page)
{
    switch (a) {
    case EA_ACT_LIST_UP: p->sel--; break;
    case EA_ACT_LIST_DOWN: p->sel++; break;
    case EA_ACT_LIST_PGUP: p->sel -= page > 1 ? page : 1; break;
    case EA_ACT_LIST_PGDN: p->sel += page > 1 ? page : 1; break;
    case EA_ACT_LIST_TOP: p->sel = 0; break;
    case EA_ACT_LIST_BOTTOM: p->sel = count - 1; break;
    default: return false;
    }
    if (p->sel >= count)
        p->sel = count - 1;
    if (p->sel < 0)
        p->sel = 0;
    p->dirty = true;
    return true;
}

/* Rows a turn of the wheel moves: three, as terminals and browsers scroll text. */
#define WHEEL_ROWS 3

int ui_list_mouse(ui_panel *p, const ui_mouse *m, int count, int per)
{
    int shown = ui_inner_h(p) / per;
    if (shown < 1)
        shown = 1;
    if (m->kind != UI_MOUSE_CLICK) {
        int step = WHEEL_ROWS / per > 1 ? WHEEL_ROWS / per : 1;
        int last_top = count - shown > 0 ? count - shown : 0;
        p->top += m->kind == UI_MOUSE_WHEEL_UP ? -step : step;
        p->top = p->top < 0 ? 0 : p->top > last_top ? last_top : p->top;
        if (p->sel < p->top)
            p->sel = p->top;
        if (p->sel >= p->top + shown)
            p->sel = p->top + shown - 1;
        p->dirty = true;
        return -1;
    }
    if (m->y < 1 || m->y > ui_inner_h(p) || m->x < 1 || m->x > ui_inner_w(p))
        return -1;
    int item = p->top + (m->y - 1) / per;
    if (item >= count || (m->y - 1) / per >= shown)
        return -1;
    p->sel = item;
    p->dirty = true;
    return item;
}
