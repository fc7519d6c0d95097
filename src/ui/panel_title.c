/* SPDX-License-Identifier: MIT */
/* panel_title: the top row: which session is current and, whenever the offline backend is in
 * use, a banner that says so (nothing reaches OpenAI and nothing is billed). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void title_draw(ui_app *app, ui_panel *p)
{
    WINDOW *w = p->win;
    int cols = p->rect.w;
    ui_slot *s = ui_current(app);
    ui_fill(w, 0, 0, cols, app->theme.attr[UI_TITLE]);
    char left[300], offline[48] = "";
    /* What the offline backend's turns would have cost is shown apart: it is not spend. */
    if (s->info.offline_usd > 0)
        snprintf(offline, sizeof offline, " · $%.4f offline", s->info.offline_usd);
    snprintf(left, sizeof left, " easel │ %s │ %d turn%s │ $%.4f%s",
             *s->info.name ? s->info.name : *s->info.id ? s->info.id : "new session",
             s->info.turns, s->info.turns == 1 ? "" : "s", s->info.spend_usd, offline);
    int used = ui_puts(w, 0, 0, cols, left, app->theme.attr[UI_TITLE]);
    if (!app->backend.offline)
        return;
    /* The banner goes at the right edge; on a narrow screen it wins over the session name. */
    const char *banner = cols - used >= 46   ? " OFFLINE BACKEND: nothing is sent or billed "
                         : cols - used >= 34 ? " OFFLINE BACKEND: nothing billed "
                         : cols - used >= 19 ? " OFFLINE BACKEND "
                                             : " OFFLINE ";
    int bw = (int)strlen(banner);
    int x = cols - bw > 0 ? cols - bw : 0;
    ui_puts(w, 0, x, cols - x, banner, app->theme.attr[UI_BANNER]);
}

const ui_panel_ops ui_title_ops = {
    .title = "title",
    .scope = EA_SCOPE_GLOBAL,
    .focusable = false,
    .draw = title_draw,
};
