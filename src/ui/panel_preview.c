/* SPDX-License-Identifier: MIT */
/* panel_preview: the current session's picture: the newest partial frame while a request
 * streams, then the saved image, or a turn's image opened from the history. The first row
 * names the frame; the picture (picture.c) fills the rows below it, which this panel leaves
 * blank. Where no picture can be drawn, the frame is described in text there instead.
 * A turn's several images (or two turns compared) show as a grid: the arrows select a cell
 * and Enter makes its image the one the next send edits. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/avatar.h"
#include "easel/buf.h"
#include "easel/image.h"
#include "easel/paths.h"
#include "internal.h"

/* "turn 3 · partial 2/3 · 1024x1024 png · 153.2 kB": what the frame is. */
static void describe(const ui_frame *f, char *out, size_t size)
{
    /* Which of a thinking turn's images it is: their count is not known, so never "of N". */
    int n;
    if (f->index > 0 && f->image > 0)
        n = snprintf(out, size, "turn %d · image %d · partial frame %d/%d", f->turn, f->image,
                     f->index, f->total);
    else if (f->index > 0)
        n = snprintf(out, size, "turn %d · partial frame %d/%d", f->turn, f->index, f->total);
    else if (f->image > 0)
        n = snprintf(out, size, "turn %d · image %d", f->turn, f->image);
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
    int n = f->compare       ? snprintf(out, size, "turn %d | turn %d ·", f->compare, f->turn)
            : f->sheet_pages ? snprintf(out, size, "batch · page %d/%d ·", f->sheet_page + 1, f->sheet_pages)
                             : snprintf(out, size, "turn %d · %d images ·", f->turn, f->n_cells);
    for (int i = 0; i < f->n_cells && n > 0 && (size_t)n < size; i++)
        n += f->cell_turns ? snprintf(out + n, size - (size_t)n, i == f->pick ? " [t%d]" : " t%d",
                                      f->cell_turns[i])
                           : snprintf(out + n, size - (size_t)n, i == f->pick ? " [%d]" : " %d", i + 1);
    if (n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, " · Enter goes on from it%s",
                 f->sheet_pages > 1 ? " · PgUp/PgDn pages" : "");
}

/* The mask mode's caption: the regions, the current one in brackets. */
static void describe_mask(const ui_app *app, char *out, size_t size)
{
    const ea_mask_shape *m = &app->mask;
    int n = snprintf(out, size, "mask%s", m->inverted ? " (inverted)" : "");
    if (m->n == 0 && n > 0 && (size_t)n < size)
        n += snprintf(out + n, size - (size_t)n, " · r: rectangle, e: ellipse");
    if (m->n > 0 && n > 0 && (size_t)n < size)
        n += snprintf(out + n, size - (size_t)n, " ·");
    for (int i = 0; i < m->n && n > 0 && (size_t)n < size; i++) {
        char d[64];
        ea_mask_describe(&m->r[i], d, sizeof d);
        n += snprintf(out + n, size - (size_t)n, i == m->cur ? " [%d %s]" : " %d %s", i + 1, d);
    }
    if (n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, " · Enter accepts, Esc leaves");
}

/* The mask mode shows the image masked alone (a grid's selected cell too), under the mask. */
static ui_frame mask_frame(const ui_app *app, const ui_frame *shown)
{
    return (ui_frame){.serial = shown->serial, .path = app->mask_image, .turn = shown->turn,
                      .w = shown->w, .h = shown->h, .mask = &app->mask};
}

/* The avatar sheet as ui_picture_show will compose it for the rectangle below the caption. */
static void describe_avatar(const ui_app *app, const ui_frame *f, int rows, int cols, char *line,
                            size_t size)
{
    int w, h;
    ea_avatar_sheet sheet;
    char what[160];
    if (ui_picture_canvas(app, rows, cols, &w, &h) && ea_avatar_layout(w, h, &sheet) == 0)
        ea_avatar_describe(&sheet, what, sizeof what);
    else
        snprintf(what, sizeof what, "avatar sizes");
    snprintf(line, size, "turn %d · %s · e exports %d px %s (◀▶ picks)", f->turn, what,
             ea_avatar_px[f->pick % EA_AVATAR_SIZES], f->pick >= EA_AVATAR_SIZES ? "circle" : "square");
}

/* A thinking turn before its first frame: the plan the model streams, wrapped, its newest
 * rows when it does not fit, and the newest web search on the last row. */
static void draw_thinking(ui_app *app, ui_panel *p, const ui_slot *s, int inner, int h)
{
    int rows = h - 1 - (*s->searching ? 1 : 0), width = inner - 2;
    ui_puts(p->win, 1, 2, inner - 1, "thinking...", app->theme.attr[UI_KEY]);
    const char *text = s->thinking ? s->thinking : "";
    size_t len = strlen(text), at = 0, next;
    int total = 0;
    if (width < 1 || rows < 1)
        return;
    while (at < len) {
        ea_text_row_end(text, len, at, width, &next);
        total++;
        at = next;
    }
    int skip = total > rows ? total - rows : 0, y = 2;
    char line[1024];
    for (at = 0; at < len && y < 2 + rows;) {
        size_t end = ea_text_row_end(text, len, at, width, &next);
        if (skip > 0) {
            skip--;
        } else {
            snprintf(line, sizeof line, "%.*s", (int)(end - at), text + at);
            ui_puts(p->win, y++, 2, inner - 1, line, app->theme.attr[UI_NORMAL]);
        }
        at = next;
    }
    if (*s->searching)
        ui_puts(p->win, h, 2, inner - 1, s->searching, app->theme.attr[UI_DIM]);
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
        if (s->turn && (s->thinking || *s->searching)) {
            draw_thinking(app, p, s, inner, h);
            return;
        }
        char text[160];
        if (!s->turn && app->batch.pending)
            snprintf(text, sizeof text, "%zu batch line%s pending: easel batch wait, or fetch",
                     app->batch.pending, app->batch.pending == 1 ? "" : "s");
        else
            snprintf(text, sizeof text, "%s", s->turn ? "waiting for the first frame..." : "no picture yet");
        ui_puts(p->win, 1 + h / 2, 2, inner - 1, text, app->theme.attr[UI_DIM]);
        return;
    }
    s->frame.fresh = false;
    char line[4400];
    if (app->masking)
        describe_mask(app, line, sizeof line);
    else if (f->avatar)
        describe_avatar(app, f, h - 1, inner, line, sizeof line);
    else if (f->n_cells > 1 || f->sheet_pages) /* a sheet's last page may hold one image */
        describe_grid(f, line, sizeof line);
    else
        describe(f, line, sizeof line);
    ui_puts(p->win, 1, 2, inner - 1, line, app->theme.attr[UI_KEY]);
    ui_frame masked;
    if (app->masking) {
        masked = mask_frame(app, f);
        f = &masked;
    }
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
    if (f->n_cells < 1 || (f->n_cells < 2 && !f->cell_turns)) {
        ui_message(app, false, "one image: nothing to pick (n > 1 or a comparison makes a grid)");
        return;
    }
    const char *path = f->cells[f->pick], *name = strrchr(path, '/');
    if (!ui_params_edit_image(app, path))
        return;
    /* A contact sheet's image goes on from its batch line, as `generate --from TURN` does,
     * in a new conversation: a batch line has no response the Responses API could continue. */
    if (f->cell_turns) {
        ui_current(app)->from_turn = f->cell_turns[f->pick];
        ui_current(app)->new_conversation = true;
        ui_dirty(app, EA_PANEL_STATUS);
    }
    ui_message(app, false, "%s: the next send edits it (d on the image parameter undoes it)",
               name ? name + 1 : path);
}

/* ---- The mask mode ------------------------------------------------------------------------ */

void ui_mask_leave(ui_app *app)
{
    app->masking = false;
    free(app->mask_image);
    app->mask_image = NULL;
    ui_dirty(app, EA_PANEL_PREVIEW);
}

/* M: the image shown (a grid's selected cell) is the one masked. */
static void mask_begin(ui_app *app)
{
    ui_frame *f = &ui_current(app)->frame;
    const char *path = f->n_cells > 1 ? f->cells[f->pick] : f->path;
    if (!path || f->index > 0 || f->avatar || f->compare) {
        ui_message(app, false, "no saved image shown to mask (open a turn's image first)");
        return;
    }
    char *copy = strdup(path);
    if (!copy) {
        ui_message(app, true, "out of memory");
        return;
    }
    free(app->mask_image);
    app->mask_image = copy;
    app->masking = true;
    ea_mask_init(&app->mask);
    ui_message(app, false, "mask: r adds a rectangle, e an ellipse; arrows move, H J K L resize");
}

/* "<session>/masks/mask-N.png" for the first N not taken. */
static int mask_path(ui_app *app, char *out, size_t size)
{
    ui_slot *s = ui_current(app);
    if (!s->dir)
        return -1;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/masks", s->dir);
    struct stat st;
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || lstat(dir, &st) != 0 ||
        !S_ISDIR(st.st_mode))
        return -1; /* a link in place of the folder is not written through */
    for (int k = 1; k < 100000; k++) {
        if (snprintf(out, size, "%s/mask-%d.png", dir, k) >= (int)size)
            return -1;
        if (access(out, F_OK) != 0)
            return 0;
    }
    return -1;
}

/* Enter: the mask at the image's size goes to a file; the image and the mask become the
 * next send's. */
static void mask_accept(ui_app *app)
{
    if (app->mask.n == 0 && !app->mask.inverted) {
        ui_message(app, false, "no region: r adds a rectangle, e an ellipse (Esc leaves)");
        return;
    }
    ea_err err = {0};
    ea_image img = {0}, mask = {0};
    ea_buf png;
    ea_buf_init(&png, EA_BUF_UNCAPPED);
    char path[4400];
    if (ea_image_load_file(app->mask_image, &ea_image_default_limits, &img, &err) != 0) {
        ui_message(app, true, "%s", err.msg);
        return;
    }
    mask.w = img.w;
    mask.h = img.h;
    mask.rgba = malloc((size_t)img.w * (size_t)img.h * 4);
    ea_image_free(&img);
    if (!mask.rgba) {
        ui_message(app, true, "out of memory");
        return;
    }
    ea_mask_rasterise(&app->mask, mask.w, mask.h, mask.rgba);
    int rc = ea_image_encode(&mask, "png", 100, true, &png, &err);
    ea_image_free(&mask);
    if (rc != 0) {
        ui_message(app, true, "the mask: %s", err.msg);
        ea_buf_free(&png);
        return;
    }
    /* A new file in the session's masks folder: O_EXCL and O_NOFOLLOW, so that a link put
     * there is never written through. */
    int fd = mask_path(app, path, sizeof path) == 0
                 ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)
                 : -1;
    FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (fd >= 0 && !fp)
        close(fd);
    bool ok = fp && fwrite(png.data, 1, png.len, fp) == png.len;
    if (fp && fclose(fp) != 0)
        ok = false;
    ea_buf_free(&png);
    if (!ok) {
        ui_message(app, true, "cannot write the mask: %s", strerror(errno));
        return;
    }
    char *image = strdup(app->mask_image);
    ui_mask_leave(app);
    if (image && ui_params_edit_image(app, image)) {
        ui_params_set_mask(app, path);
        const char *name = strrchr(image, '/');
        ui_message(app, false, "%s with the mask %s: the next send edits it", name ? name + 1 : image,
                   strrchr(path, '/') + 1);
    }
    free(image);
}

#define MASK_STEP 0.05

static bool mask_action(ui_app *app, enum ea_action a)
{
    ea_mask_shape *m = &app->mask;
    switch (a) {
    case EA_ACT_MASK_RECT:
    case EA_ACT_MASK_ELLIPSE:
        if (ea_mask_add(m, a == EA_ACT_MASK_RECT ? EA_MASK_RECT : EA_MASK_ELLIPSE) < 0)
            ui_message(app, false, "at most %d regions", EA_MASK_MAX_REGIONS);
        break;
    case EA_ACT_MASK_LEFT: ea_mask_move(m, -MASK_STEP, 0); break;
    case EA_ACT_MASK_RIGHT: ea_mask_move(m, MASK_STEP, 0); break;
    case EA_ACT_MASK_UP: ea_mask_move(m, 0, -MASK_STEP); break;
    case EA_ACT_MASK_DOWN: ea_mask_move(m, 0, MASK_STEP); break;
    case EA_ACT_MASK_NARROWER: ea_mask_resize(m, -MASK_STEP, 0); break;
    case EA_ACT_MASK_WIDER: ea_mask_resize(m, MASK_STEP, 0); break;
    case EA_ACT_MASK_TALLER: ea_mask_resize(m, 0, MASK_STEP); break;
    case EA_ACT_MASK_SHORTER: ea_mask_resize(m, 0, -MASK_STEP); break;
    case EA_ACT_MASK_NEXT: ea_mask_next(m); break;
    case EA_ACT_MASK_DELETE: ea_mask_delete(m); break;
    case EA_ACT_MASK_INVERT: m->inverted = !m->inverted; break;
    case EA_ACT_MASK_ACCEPT: mask_accept(app); break;
    case EA_ACT_MASK_LEAVE:
        ui_mask_leave(app);
        ui_message(app, false, "mask mode left");
        break;
    default: return false;
    }
    ui_dirty(app, EA_PANEL_PREVIEW);
    return true;
}

/* ---- The avatar view: one rendition chosen (Left/Right) and exported (e) --------------- */

#define AVATAR_RENDITIONS (2 * EA_AVATAR_SIZES) /* squares 32, 64, 128, then circles */

static void avatar_name(int pick, int turn, char *out, size_t size)
{
    snprintf(out, size, "turn%d-avatar-%d-%s.png", turn, ea_avatar_px[pick % EA_AVATAR_SIZES],
             pick >= EA_AVATAR_SIZES ? "circle" : "square");
}

static void avatar_export_done(ui_app *app, const char *answer)
{
    const ui_frame *f = &ui_current(app)->frame;
    if (!*answer || !f->avatar || !f->path)
        return;
    char path[4096], dir[4096];
    if (ui_path_expand(answer, path, sizeof path) != 0) {
        ui_message(app, true, "%s: no such path", answer);
        return;
    }
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (!*dir)
        snprintf(dir, sizeof dir, "/");
    int px = ea_avatar_px[f->pick % EA_AVATAR_SIZES];
    bool circle = f->pick >= EA_AVATAR_SIZES;
    ea_image img = {0};
    ea_buf png;
    ea_buf_init(&png, 64u << 20);
    ea_err err = {0};
    if (ui_avatar_render(f->path, px, circle, &img, &err) != 0 ||
        ea_image_encode_png_level(&img, 9, true, &png, &err) != 0 ||
        ea_write_file_atomic(dir, slash ? slash + 1 : path, png.data, png.len, 0600, &err) != 0)
        ui_message(app, true, "avatar: %s", err.msg);
    else
        ui_message(app, false, "wrote %s: %d px %s, PNG", path, px, circle ? "circle" : "square");
    ea_image_free(&img);
    ea_buf_free(&png);
}

static bool avatar_action(ui_app *app, ui_panel *p, ui_frame *f, enum ea_action a)
{
    int to = f->pick;
    switch (a) {
    case EA_ACT_GRID_LEFT: to--; break;
    case EA_ACT_GRID_RIGHT: to++; break;
    case EA_ACT_GRID_UP: to -= EA_AVATAR_SIZES; break;
    case EA_ACT_GRID_DOWN: to += EA_AVATAR_SIZES; break;
    case EA_ACT_AVATAR_EXPORT: {
        char name[96];
        avatar_name(f->pick, f->turn, name, sizeof name);
        ui_ask_path(app, "export the avatar as (Enter writes the PNG):", name, avatar_export_done);
        return true;
    }
    default: return false;
    }
    if (to >= 0 && to < AVATAR_RENDITIONS)
        f->pick = to;
    p->dirty = true;
    return true;
}

/* Arrows move the selection over the grid as it is drawn: rows of ui_grid_cols cells. */
static bool preview_action(ui_app *app, ui_panel *p, enum ea_action a)
{
    ui_frame *f = &ui_current(app)->frame;
    if (app->masking && mask_action(app, a))
        return true;
    if (f->avatar)
        return avatar_action(app, p, f, a);
    int cols = ui_grid_cols(f->n_cells), to = f->pick;
    switch (a) {
    case EA_ACT_GRID_LEFT: to--; break;
    case EA_ACT_GRID_RIGHT: to++; break;
    case EA_ACT_GRID_UP: to -= cols; break;
    case EA_ACT_GRID_DOWN: to += cols; break;
    case EA_ACT_GRID_PICK: ui_pick_grid_image(app); return true;
    case EA_ACT_GRID_PAGE_NEXT:
    case EA_ACT_GRID_PAGE_PREV:
        /* From any other picture, either key opens the sheet at its first page. */
        if (!ui_show_batch_sheet(app, !f->sheet_pages ? 0
                                      : f->sheet_page + (a == EA_ACT_GRID_PAGE_NEXT ? 1 : -1)))
            ui_message(app, false, "no batch images in this session (easel batch fetch brings them)");
        return true;
    case EA_ACT_MASK_BEGIN:
        mask_begin(app);
        p->dirty = true;
        return true;
    default: return false;
    }
    if (f->n_cells > 1 && to >= 0 && to < f->n_cells) {
        f->pick = to;
        p->dirty = true;
    }
    return true;
}

/* The mouse over the picture. Drawing a mask, a click puts the current region's centre where
 * it points (the first click adds a rectangle there) and the wheel grows or shrinks it; over a
 * grid, a click selects a cell and a double click goes on from it, as Enter does. */
static void preview_mouse(ui_app *app, ui_panel *p, const ui_mouse *m)
{
    ui_frame *f = &ui_current(app)->frame;
    ea_mask_shape *mask = &app->mask;
    if (app->masking && m->kind != UI_MOUSE_CLICK) {
        double d = m->kind == UI_MOUSE_WHEEL_UP ? MASK_STEP : -MASK_STEP;
        ea_mask_resize(mask, d, d);
        p->dirty = true;
        return;
    }
    double u, v;
    int cell;
    if (m->kind != UI_MOUSE_CLICK || !ui_picture_point(app, p->rect.y + m->y, p->rect.x + m->x, &u, &v, &cell))
        return;
    if (app->masking && cell < 0) {
        if (mask->cur < 0 && ea_mask_add(mask, EA_MASK_RECT) < 0)
            return;
        const ea_mask_region *r = &mask->r[mask->cur];
        ea_mask_move(mask, u - r->cx, v - r->cy);
        p->dirty = true;
        return;
    }
    if (!app->masking && cell >= 0) {
        f->pick = cell;
        p->dirty = true;
        if (m->clicks == 2)
            ui_pick_grid_image(app);
    }
}

const ui_panel_ops ui_preview_ops = {
    .title = "Preview",
    .scope = EA_SCOPE_PREVIEW,
    .focusable = true,
    .draw = preview_draw,
    .action = preview_action,
    .mouse = preview_mouse,
};
