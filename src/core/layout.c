/* SPDX-License-Identifier: MIT */
#include "easel/layout.h"

#include <string.h>

#define SESSIONS_AUTO_COLS 110
#define PARAMS_AUTO_COLS 80
#define CENTER_MIN_COLS 30
#define PREVIEW_MIN_ROWS 6

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static bool wanted(enum ea_show s, bool fits)
{
    return s == EA_SHOW_ON || (s == EA_SHOW_AUTO && fits);
}

bool ea_rect_visible(const ea_rect *r)
{
    return r->h > 0 && r->w > 0;
}

bool ea_rect_contains(const ea_rect *r, int y, int x)
{
    return ea_rect_visible(r) && y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
}

enum ea_panel_id ea_layout_hit(const ea_layout *l, int y, int x)
{
    for (int i = 0; i < EA_PANEL_COUNT; i++)
        if (ea_rect_contains(&l->panel[i], y, x))
            return (enum ea_panel_id)i;
    return EA_PANEL_COUNT;
}

void ea_layout_compute(int cols, int rows, const ea_layout_want *want, ea_layout *out)
{
    memset(out, 0, sizeof *out);
    out->cols = cols;
    out->rows = rows;
    if (cols < 1 || rows < 2) {
        out->too_small = true;
        return;
    }
    out->panel[EA_PANEL_TITLE] = (ea_rect){0, 0, 1, cols};
    out->panel[EA_PANEL_STATUS] = (ea_rect){rows - 1, 0, 1, cols};
    if (cols < EA_LAYOUT_MIN_COLS || rows < EA_LAYOUT_MIN_ROWS) {
        out->too_small = true;
        return;
    }
    int body_y = 1, body_h = rows - 2;

    /* Side columns: wider screens get wider ones. A forced column still leaves the middle
     * CENTER_MIN_COLS; when both are forced on a narrow screen the parameters win, as they
     * are what the next call depends on. */
    int sw = cols >= 160 ? 32 : cols >= 120 ? 28 : 24;
    int pw = cols >= 160 ? 40 : cols >= 120 ? 36 : 32;
    bool params = wanted(want->params, cols >= PARAMS_AUTO_COLS) && cols - pw >= CENTER_MIN_COLS;
    bool sessions = wanted(want->sessions, cols >= SESSIONS_AUTO_COLS) &&
                    cols - sw - (params ? pw : 0) >= CENTER_MIN_COLS;
    int cx = sessions ? sw : 0;
    int cw = cols - cx - (params ? pw : 0);
    if (sessions)
        out->panel[EA_PANEL_SESSIONS] = (ea_rect){body_y, 0, body_h, sw};
    if (params)
        out->panel[EA_PANEL_PARAMS] = (ea_rect){body_y, cx + cw, body_h, pw};

    /* The middle: the editor at the bottom (a quarter of the height, 3 to 10 text rows plus
     * its border), the history above it when there is room, the preview on top. */
    int eh = clamp(body_h / 4 + 2, 5, 12);
    int rest = body_h - eh;
    bool history = wanted(want->history, rest >= PREVIEW_MIN_ROWS + 6) && rest >= PREVIEW_MIN_ROWS + 4;
    int hh = history ? clamp(rest * 2 / 5, 4, 20) : 0;
    int ph = rest - hh;
    out->panel[EA_PANEL_PREVIEW] = (ea_rect){body_y, cx, ph, cw};
    if (history)
        out->panel[EA_PANEL_HISTORY] = (ea_rect){body_y + ph, cx, hh, cw};
    out->panel[EA_PANEL_EDITOR] = (ea_rect){body_y + ph + hh, cx, eh, cw};
}
