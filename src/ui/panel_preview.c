/* panel_preview: the current session's picture: the newest partial frame while a request
 * streams, then the saved image, or a turn's image opened from the history. The first row
 * names the frame; the picture (picture.c) fills the rows below it, which this panel leaves
 * blank. Where no picture can be drawn, the frame is described in text there instead.
 * A turn's several images (or two turns compared) show as a grid: the arrows select a cell
 * and Enter makes its image the one the next send edits. */
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

/* A grid's caption: the cells by number, the selected one in brackets ("1 [2] 3 4"). */
static void describe_grid(const ui_frame *f, char *out, size_t size)
{
    int n = f->compare ? snprintf(out, size, "turn %d | turn %d ·", f->compare, f->turn)
                       : snprintf(out, size, "turn %d · %d images ·", f->turn, f->n_cells);
    for (int i = 0; i < f->n_cells && n > 0 && (size_t)n < size; i++)
        n += snprintf(out + n, size - (size_t)n, i == f->pick ? " [%d]" : " %d", i + 1);
    if (n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, " · Enter goes on from it");
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
    if (f->avatar)
        snprintf(line, sizeof line, "turn %d · avatar sizes 32, 64, 128 px · square and circle", f->turn);
    else if (f->n_cells > 1)
        describe_grid(f, line, sizeof line);
    else
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

void ui_pick_grid_image(ui_app *app)
{
    ui_frame *f = &ui_current(app)->frame;
    if (f->n_cells < 2) {
        ui_message(app, false, "one image: nothing to pick (n > 1 or a comparison makes a grid)");
        return;
    }
    const char *path = f->cells[f->pick], *name = strrchr(path, '/');
    if (ui_params_edit_image(app, path))
        ui_message(app, false, "%s: the next send edits it (d on the image parameter undoes it)",
                   name ? name + 1 : path);
}

/* Arrows move the selection over the grid as it is drawn: rows of ui_grid_cols cells. */
static bool preview_action(ui_app *app, ui_panel *p, enum ea_action a)
{
    ui_frame *f = &ui_current(app)->frame;
    int cols = ui_grid_cols(f->n_cells), to = f->pick;
    switch (a) {
    case EA_ACT_GRID_LEFT: to--; break;
    case EA_ACT_GRID_RIGHT: to++; break;
    case EA_ACT_GRID_UP: to -= cols; break;
    case EA_ACT_GRID_DOWN: to += cols; break;
    case EA_ACT_GRID_PICK: ui_pick_grid_image(app); return true;
    default: return false;
    }
    if (f->n_cells > 1 && to >= 0 && to < f->n_cells) {
        f->pick = to;
        p->dirty = true;
    }
    return true;
}

const ui_panel_ops ui_preview_ops = {
    .title = "Preview",
    .scope = EA_SCOPE_PREVIEW,
    .focusable = true,
    .draw = preview_draw,
    .action = preview_action,
};
