/* panel_preview: the current session's picture: the newest partial frame while a request
 * streams, then the saved image, or a turn's image opened from the history. The first row
 * names the frame; the picture (picture.c) fills the rows below it, which this panel leaves
 * blank. Where no picture can be drawn, the frame is described in text there instead. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* "turn 3 · partial 2/3 · 1024x1024 png · 153.2 kB": what the frame is. */
static void describe(const ui_frame *f, char *out, size_t size)
{
    int n;
    if (f->index > 0)
        n = snprintf(out, size, "turn %d · partial frame %d/%d", f->turn, f->index, f->total);
    else
        n = snprintf(out, size, "turn %d · image", f->turn);
    if (n > 0 && (size_t)n < size && f->w > 0)
        n += snprintf(out + n, size - (size_t)n, " · %dx%d %s", f->w, f->h, f->format);
    if (n > 0 && (size_t)n < size && f->bytes)
        snprintf(out + n, size - (size_t)n, " · %.1f kB", ui_blob_size(f->bytes) / 1e3);
}

static void preview_draw(ui_app *app, ui_panel *p)
{
    ui_slot *s = ui_current(app);
    const ui_frame *f = &s->frame;
    ui_box(app, p, "Preview");
    int inner = ui_inner_w(p), h = ui_inner_h(p);
    if (h < 1)
        return;
    if (!f->bytes && !f->path) {
        ui_picture_hide(app);
        const char *text = s->turn ? "waiting for the first frame..." : "no picture yet";
        ui_puts(p->win, 1 + h / 2, 2, inner - 1, text, app->theme.attr[UI_DIM]);
        return;
    }
    s->frame.fresh = false;
    char line[4400];
    describe(f, line, sizeof line);
    ui_puts(p->win, 1, 2, inner - 1, line, app->theme.attr[UI_KEY]);
    /* The picture's rectangle in screen cells: the panel's inside below the caption. */
    if (ui_picture_show(app, f, p->rect.y + 2, p->rect.x + 1, h - 1, inner))
        return;
    int y = 2;
    const char *why = ui_picture_error(app);
    if (*why && y <= h)
        ui_puts(p->win, y++, 2, inner - 1, why, app->theme.attr[UI_ERROR]);
    if (f->path && y <= h)
        ui_puts(p->win, y++, 2, inner - 1, f->path, app->theme.attr[UI_DIM]);
}

const ui_panel_ops ui_preview_ops = {
    .title = "Preview",
    .scope = EA_SCOPE_PREVIEW,
    .focusable = true,
    .draw = preview_draw,
};
