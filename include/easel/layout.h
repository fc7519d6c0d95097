/* SPDX-License-Identifier: MIT */
/* layout: where each panel of the workbench goes for a terminal of a given size, and which
 * panels fold away on a small one. Pure arithmetic, so it is tested at 80x24 and 200x60. */
#ifndef EASEL_LAYOUT_H
#define EASEL_LAYOUT_H

#include <stdbool.h>

enum ea_panel_id {
    EA_PANEL_TITLE,    /* one row at the top: session, backend (the offline banner) */
    EA_PANEL_SESSIONS,
    EA_PANEL_PREVIEW,
    EA_PANEL_HISTORY,
    EA_PANEL_EDITOR,
    EA_PANEL_PARAMS,
    EA_PANEL_STATUS,   /* one row at the bottom */
    EA_PANEL_COUNT
};

/* A panel's box, border included; h == 0 (and w == 0) when the panel is hidden. */
typedef struct ea_rect {
    int y, x, h, w;
} ea_rect;

/* What the user asked for with the toggle keys. AUTO shows a panel when it fits. */
enum ea_show { EA_SHOW_AUTO = 0, EA_SHOW_ON, EA_SHOW_OFF };

typedef struct ea_layout_want {
    enum ea_show sessions, params, history;
} ea_layout_want;

#define EA_LAYOUT_MIN_COLS 40
#define EA_LAYOUT_MIN_ROWS 12

typedef struct ea_layout {
    int cols, rows;
    bool too_small;    /* below the minimum: only the title and status rows are laid out */
    ea_rect panel[EA_PANEL_COUNT];
} ea_layout;

/*
 * The shape: the title row, then three columns (sessions | preview over history over
 * editor | parameters), then the status row. The editor always shows; the sessions column
 * shows from 110 columns, the parameters from 80, the history when the middle column has
 * room for it; a toggle forces a panel on (it then takes room from the middle) or off.
 */
void ea_layout_compute(int cols, int rows, const ea_layout_want *want, ea_layout *out);
bool ea_rect_visible(const ea_rect *r);
bool ea_rect_contains(const ea_rect *r, int y, int x);
/* The panel whose box (border included) holds the cell at row y, column x (0-based), for the
 * mouse; EA_PANEL_COUNT when none does (outside the screen, or a too-small one's blank). */
enum ea_panel_id ea_layout_hit(const ea_layout *l, int y, int x);

#endif
