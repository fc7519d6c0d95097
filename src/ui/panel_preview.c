/* panel_preview: the current session's picture: the newest partial frame while a request
 * streams, then the saved image, or a turn's image opened from the history. The picture
 * itself is the terminal-graphics layer's (ui_preview_picture); without one, or when it
 * cannot draw, the panel describes the frame in text. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The hook for the graphics layer (include/easel/preview.h): it decodes the frame off the
 * loop and places it in the rectangle after doupdate(). Until it is wired in, text it is. */
bool ui_preview_picture(ui_app *app, ui_panel *p, const ui_frame *f, int y, int x, int h, int w)
{
    (void)app, (void)p, (void)f, (void)y, (void)x, (void)h, (void)w;
    return false;
}

static void preview_draw(ui_app *app, ui_panel *p)
{
    ui_slot *s = ui_current(app);
    const ui_frame *f = &s->frame;
    ui_box(app, p, "Preview");
    int inner = ui_inner_w(p), h = ui_inner_h(p);
    if (h < 1)
        return;
    if (!f->bytes && !f->path[0]) {
        const char *text = s->turn ? "waiting for the first frame..." : "no picture yet";
        ui_puts(p->win, 1 + h / 2, 2, inner - 1, text, app->theme.attr[UI_DIM]);
        return;
    }
    s->frame.fresh = false;
    if (ui_preview_picture(app, p, f, 1, 1, h, inner))
        return;
    char line[4400];
    int y = 1 + (h > 4 ? h / 2 - 2 : 0);
    if (f->index > 0)
        snprintf(line, sizeof line, "turn %d · partial frame %d/%d", f->turn, f->index, f->total);
    else
        snprintf(line, sizeof line, "turn %d · image", f->turn);
    ui_puts(p->win, y++, 2, inner - 1, line, app->theme.attr[UI_KEY]);
    if (f->w > 0 && y <= h) {
        snprintf(line, sizeof line, "%dx%d %s%s", f->w, f->h, f->format, f->bytes ? "" : "");
        if (f->bytes)
            snprintf(line + strlen(line), sizeof line - strlen(line), " · %.1f kB", f->n / 1e3);
        ui_puts(p->win, y++, 2, inner - 1, line, app->theme.attr[UI_NORMAL]);
    }
    if (f->path[0] && y <= h)
        ui_puts(p->win, y++, 2, inner - 1, f->path, app->theme.attr[UI_DIM]);
}

const ui_panel_ops ui_preview_ops = {
    .title = "Preview",
    .scope = EA_SCOPE_PREVIEW,
    .focusable = true,
    .draw = preview_draw,
};
