/* SPDX-License-Identifier: MIT */
/* picture: the preview's picture on the terminal.
 *
 * The terminal is asked once, before curses starts, how it draws pictures (sixel, kitty,
 * iTerm2, or Unicode half blocks where none works). Frames are decoded and scaled down to the
 * preview's pixel box on a worker thread, so the loop never waits on a 3840x2160 PNG: the
 * worker hands the small picture back in a mutex-guarded slot and wakes the loop through its
 * self-pipe. The loop puts it into an ea_preview slot, which encodes it on a thread of its
 * own (waking the loop through the same pipe) and writes it straight to the terminal right
 * after curses' doupdate(), inside a rectangle whose cells curses keeps blank: the loop
 * decodes nothing and encodes nothing, it only writes.
 *
 * Half blocks take that same raw path rather than going through curses. Through curses every
 * (foreground, background) couple would need a colour pair (65,536 of them at 256 colours, and
 * no 24-bit colour at all without a direct-colour TERM); recycling pairs recolours cells drawn
 * before; and one path means one set of rules for placing, replacing and repainting, whatever
 * the protocol. Curses never touches the rectangle's cells, because it believes them blank and
 * they stay blank in its picture of the screen: only a full repaint (resize, C-l, the external
 * editor) writes over them, and that is caught in ui_render, which calls ui_picture_invalidate.
 *
 * Newest wins all the way: a job waiting for the worker is replaced by a newer one, a result
 * for a frame that is no longer wanted is dropped, and ea_preview drops a frame not yet drawn.
 *
 * Several images at once (a turn's n > 1 results, two turns compared, the avatar sizes) are
 * composed by the worker into one picture of the box's size rather than given a slot each:
 * one picture keeps one kitty id, one rectangle to clear and one frame to replace, so all the
 * rules above hold unchanged.
 *
 * The mask mode draws its overlay (maskshape) on the picture in the worker too, at exactly the
 * size the slot will draw (ea_gfx_drawn_size), so its lines stay whole screen pixels. The
 * shape is part of a job's key: every key that changes it asks for a new picture, and the
 * worker keeps the masked image fitted from the last time, so such a key costs a copy and an
 * overlay rather than a decode.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "easel/avatar.h"
#include "easel/gfx.h"
#include "easel/preview.h"
#include "easel/term.h"
#include "internal.h"

/* A DEFERRED flush (the terminal's queue is full) is tried again this soon. */
#define RETRY_MS 20
/* The cell size is asked again after a resize (a font zoom changes it) for at most this long:
 * the loop is stopped meanwhile, and keys typed then are lost. */
#define REQUERY_MS 200
/* Scripted runs only (the tests): every encoding first sleeps this many ms, as a slow one
 * would, to show that the loop goes on meanwhile. */
#define ENCODE_DELAY_ENV "EASEL_UI_ENCODE_DELAY_MS"

/* ---- Shared bytes ---------------------------------------------------------------------------- */

struct ui_blob {
    atomic_int refs;
    size_t n;
    unsigned char data[];
};

ui_blob *ui_blob_new(const void *bytes, size_t n)
{
    ui_blob *b = malloc(sizeof *b + (n ? n : 1));
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->n = n;
    memcpy(b->data, bytes, n);
    return b;
}

ui_blob *ui_blob_ref(ui_blob *b)
{
    if (b)
        atomic_fetch_add(&b->refs, 1);
    return b;
}

void ui_blob_unref(ui_blob **b)
{
    if (*b && atomic_fetch_sub(&(*b)->refs, 1) == 1)
        free(*b);
    *b = NULL;
}

size_t ui_blob_size(const ui_blob *b)
{
    return b ? b->n : 0;
}

/* ---- The worker ------------------------------------------------------------------------------ */

/* What the worker is asked to produce: frame `serial` fitted into box_w x box_h pixels. */
typedef struct job {
    unsigned long serial;
    int box_w, box_h;
    ui_blob *bytes;       /* the file's bytes, or NULL to read path */
    char path[4200];
    char **cells;         /* several files, composed into a grid (owned), or NULL */
    int n_cells;
    int pick;             /* the grid's selected cell, framed on the picture (-1: none) */
    bool avatar;          /* the file at avatar sizes (render_avatar) */
    /* The mask mode: path drawn with the mask's overlay, at the size `draw` draws it. */
    bool masked;
    ea_mask_shape mask;
    ea_gfx_options draw;
    /* What a grid's worker did, for the trace: each cell's source and mean colour. */
    char grid_note[400];
} job;

struct ui_picture {
    ea_gfx_options opt;   /* the protocol, the cell size, wrapping */
    ea_preview *slot;
    int out_fd;
    bool headless;
    char why_none[160];   /* why there are no pictures, or "" */

    /* The loop's side: what the rectangle should show. */
    job want;             /* serial 0: nothing */
    int frame_w, frame_h; /* the frame's own size, for the trace */
    int row, col, rows, cols;
    bool placed;          /* the slot has a rectangle */
    bool need_flush;      /* something is due that flush has not finished */
    ea_preview_status last;
    char error[256];      /* the wanted frame could not be decoded */
    double asked_ms;      /* when the key (or the frame) that asked for want came, for the trace */
    unsigned long slot_serial; /* the frame handed to the slot last, which it draws next */
    double loop_cpu_ms;   /* the loop's CPU time in the slot's flush since the last picture drawn */
    int encode_delay_ms;  /* ENCODE_DELAY_ENV */

    /* Shared with the worker, under lock. */
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    job waiting;          /* serial 0: no job */
    bool working, stop;
    job done;             /* the key of the result: serial, box */
    bool has_result;
    ea_image result;
    char result_err[256];
    int wake_fd;

    /* The worker's alone: the image masked last, at the size drawn, and what it was for. */
    ea_image fitted;
    char fitted_path[4200];
    ea_gfx_options fitted_draw;
};

static void job_clear(job *j)
{
    ui_blob_unref(&j->bytes);
    for (int i = 0; i < j->n_cells; i++)
        free(j->cells[i]);
    free(j->cells);
    memset(j, 0, sizeof *j);
}

/* The job's own copy of a grid's paths: the worker reads them after the frame is gone. */
static void job_copy_cells(job *j, char *const *cells, int n)
{
    j->cells = NULL;
    j->n_cells = 0;
    if (n < 2 || !(j->cells = calloc((size_t)n, sizeof *j->cells)))
        return;
    for (int i = 0; i < n; i++)
        if ((j->cells[j->n_cells] = strdup(cells[i])) != NULL)
            j->n_cells++;
}

static bool same_key(const job *a, const job *b)
{
    return a->serial == b->serial && a->box_w == b->box_w && a->box_h == b->box_h &&
           a->masked == b->masked && a->pick == b->pick &&
           (!a->masked || (strcmp(a->path, b->path) == 0 && ea_mask_equal(&a->mask, &b->mask)));
}

/* Decodes and shrinks one frame. The expensive part of a 4K frame (decoding 8.3 MP and
 * averaging it down) happens here, so the encoder on the loop's side only scales a picture
 * of the box's size, which costs little. The frame is decoded at the box's size
 * (ea_image_decode_fit): the 4K picture itself is never held. */
static int render_job(const job *j, ea_image *out, ea_err *err)
{
    return j->bytes ? ea_image_decode_fit(j->bytes->data, j->bytes->n, &ea_image_default_limits,
                                          j->box_w, j->box_h, out, err)
                    : ea_image_load_file_fit(j->path, &ea_image_default_limits, j->box_w,
                                             j->box_h, out, err);
}

static bool same_drawing(const ea_gfx_options *a, const ea_gfx_options *b)
{
    return a->protocol == b->protocol && a->cols == b->cols && a->rows == b->rows &&
           a->cell_w == b->cell_w && a->cell_h == b->cell_h;
}

/* The image at the size the slot draws it (decoded once per image and size: the worker's
 * cache), with the mask's overlay on a copy. */
static int render_masked(ui_picture *pic, const job *j, ea_image *out, ea_err *err)
{
    if (!pic->fitted.rgba || strcmp(pic->fitted_path, j->path) != 0 ||
        !same_drawing(&pic->fitted_draw, &j->draw)) {
        ea_image_free(&pic->fitted);
        ea_image full = {0};
        if (ea_image_load_file(j->path, &ea_image_default_limits, &full, err) != 0)
            return -1;
        int w, h, rc = ea_gfx_drawn_size(full.w, full.h, &j->draw, &w, &h);
        if (rc != 0)
            ea_err_set(err, EA_EXIT_USAGE, "the preview is too small to draw the mask on");
        else
            rc = ea_gfx_scale(&full, w, h, &pic->fitted, err);
        ea_image_free(&full);
        if (rc != 0)
            return -1;
        snprintf(pic->fitted_path, sizeof pic->fitted_path, "%s", j->path);
        pic->fitted_draw = j->draw;
    }
    if (ea_image_alloc(out, pic->fitted.w, pic->fitted.h) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    memcpy(out->rgba, pic->fitted.rgba, (size_t)out->w * (size_t)out->h * 4);
    ea_mask_overlay(&j->mask, out->w, out->h, out->rgba);
    return 0;
}

int ui_grid_cols(int n)
{
    int c = 1;
    while (c * c < n)
        c++;
    return c;
}

#define GRID_GAP 8 /* pixels between a grid's cells, so the images read as separate */

/* A grid of n cells in a box: its columns and each cell's size in pixels (the rows follow). */
static void grid_geometry(int n, int box_w, int box_h, int *cols, int *cell_w, int *cell_h)
{
    *cols = ui_grid_cols(n);
    int rows = (n + *cols - 1) / *cols;
    *cell_w = (box_w - GRID_GAP * (*cols - 1)) / *cols;
    *cell_h = (box_h - GRID_GAP * (rows - 1)) / rows;
}

/* The selected cell's frame, drawn into the picture's pixels so that every protocol shows it,
 * blocks too: around the image, in the gap, a bright yellow no image of a grid is likely to
 * be framed by; as thick as a 100th of the picture, and at least one pixel (half a cell in
 * blocks), over the image's edge where the gap has no room. */
static void frame_cell(ea_image *out, int x0, int y0, int w, int h)
{
    static const unsigned char colour[4] = {0xff, 0xd4, 0x00, 0xff};
    int t = out->w / 100 > 1 ? out->w / 100 : 1;
    if (t > GRID_GAP / 2)
        t = GRID_GAP / 2;
    for (int y = y0 - t; y < y0 + h + t; y++)
        for (int x = x0 - t; x < x0 + w + t; x++) {
            bool edge = y < y0 || y >= y0 + h || x < x0 || x >= x0 + w;
            /* Where no gap is around (the picture's edge), the frame comes inside the image. */
            bool inner = y < y0 + t || y >= y0 + h - t || x < x0 + t || x >= x0 + w - t;
            if (x < 0 || y < 0 || x >= out->w || y >= out->h)
                continue;
            bool outside_room = x0 - t < 0 || y0 - t < 0 || x0 + w + t > out->w || y0 + h + t > out->h;
            if (edge || (outside_room && inner))
                memcpy(out->rgba + ((size_t)y * (size_t)out->w + (size_t)x) * 4, colour, 4);
        }
}

/* Where a tile's image landed in its cell (ea_gfx_compose centres it, keeping its aspect):
 * the box of what it drew, the sheet being transparent elsewhere; the whole cell when the
 * image drew nothing opaque. */
static void drawn_box(const ea_image *sheet, const ea_gfx_tile *cell, int *x0, int *y0, int *w,
                      int *h)
{
    int left = cell->x + cell->w, right = cell->x - 1, top = cell->y + cell->h, bottom = cell->y - 1;
    for (int y = cell->y; y < cell->y + cell->h && y < sheet->h; y++)
        for (int x = cell->x; x < cell->x + cell->w && x < sheet->w; x++)
            if (sheet->rgba[((size_t)y * (size_t)sheet->w + (size_t)x) * 4 + 3]) {
                left = x < left ? x : left;
                right = x > right ? x : right;
                top = y < top ? y : top;
                bottom = y > bottom ? y : bottom;
            }
    if (right < left) {
        *x0 = cell->x, *y0 = cell->y, *w = cell->w, *h = cell->h;
        return;
    }
    *x0 = left, *y0 = top, *w = right - left + 1, *h = bottom - top + 1;
}

/* For the trace: each cell as t (from its thumbnail), m (its thumbnail made on the way), i
 * (the image alone) or - (nothing drawn), and the mean colour of what it drew, so a script
 * can tell which picture each cell shows. */
static void note_grid(const ea_image *sheet, const ea_gfx_tile *tiles, int n, char *note,
                      size_t size)
{
    static const char use[] = {[EA_THUMB_NONE] = 'i', [EA_THUMB_USED] = 't', [EA_THUMB_MADE] = 'm'};
    size_t at = (size_t)snprintf(note, size, "cells=%d from=", n);
    for (int i = 0; i < n && at < size; i++) {
        int x0, y0, w, h;
        drawn_box(sheet, &tiles[i], &x0, &y0, &w, &h);
        bool drawn = sheet->rgba[((size_t)y0 * (size_t)sheet->w + (size_t)x0) * 4 + 3] != 0;
        note[at++] = drawn ? use[tiles[i].use] : '-';
    }
    for (int i = 0; i < n && at + 8 < size; i++) {
        int x0, y0, w, h;
        double sum[3] = {0};
        drawn_box(sheet, &tiles[i], &x0, &y0, &w, &h);
        for (int y = y0; y < y0 + h; y++)
            for (int x = x0; x < x0 + w; x++)
                for (int c = 0; c < 3; c++)
                    sum[c] += sheet->rgba[((size_t)y * (size_t)sheet->w + (size_t)x) * 4 + (size_t)c];
        double px = (double)w * h;
        at += (size_t)snprintf(note + at, size - at, "%s%02x%02x%02x", i ? "," : " means=",
                               (unsigned)(sum[0] / px + 0.5), (unsigned)(sum[1] / px + 0.5),
                               (unsigned)(sum[2] / px + 0.5));
    }
    if (at >= size)
        note[size - 1] = '\0';
}

/* A grid's cells side by side in one picture of the box's size, each image fitted into its
 * cell: one picture for the terminal, so the grid moves, clears and redraws as one frame.
 * A cell whose file cannot be read stays empty rather than failing the others. The cells are
 * a session's images: each is drawn from its thumbnail (thumb.h), made on its first view. */
static int render_grid(job *j, ea_image *out, ea_err *err)
{
    int cols, cell_w, cell_h;
    grid_geometry(j->n_cells, j->box_w, j->box_h, &cols, &cell_w, &cell_h);
    if (cell_w < 1 || cell_h < 1)
        return ea_err_set(err, EA_EXIT_USAGE, "the preview is too small for %d images", j->n_cells);
    out->w = j->box_w;
    out->h = j->box_h;
    if (!(out->rgba = calloc((size_t)out->w * (size_t)out->h, 4)))
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    /* The cells are decoded side by side on every core (ea_gfx_compose), each at its cell's
     * size and centred in it; an image smaller than the cell stays its size. */
    ea_gfx_tile *tiles = calloc((size_t)j->n_cells, sizeof *tiles);
    char (*thumbs)[4200] = calloc((size_t)j->n_cells, sizeof *thumbs);
    if (!tiles || !thumbs) {
        free(tiles);
        free(thumbs);
        ea_image_free(out);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    }
    for (int i = 0; i < j->n_cells; i++)
        tiles[i] = (ea_gfx_tile){.path = j->cells[i],
                                 .x = (i % cols) * (cell_w + GRID_GAP),
                                 .y = (i / cols) * (cell_h + GRID_GAP),
                                 .w = cell_w,
                                 .h = cell_h,
                                 .thumb = ea_thumb_path(j->cells[i], thumbs[i], sizeof thumbs[i]) == 0
                                              ? thumbs[i] : NULL};
    ea_gfx_compose(out, tiles, j->n_cells);
    if (ui_tracing())
        note_grid(out, tiles, j->n_cells, j->grid_note, sizeof j->grid_note);
    if (j->pick >= 0 && j->pick < j->n_cells) {
        int x0, y0, w, h;
        drawn_box(out, &tiles[j->pick], &x0, &y0, &w, &h);
        frame_cell(out, x0, y0, w, h);
    }
    free(thumbs);
    free(tiles);
    return 0;
}

/* ---- Avatar sizes ----------------------------------------------------------------------------
 * An avatar is seen small and often round, so the image is shown at 32, 64 and 128 px, each a
 * centred square crop, then the same in a circle: alpha outside the circle (a pixel's worth of
 * soft edge), composited on a neutral background, as a profile page would put it. The sheet is
 * the box's size so that the encoder draws it without scaling: every pixel is a screen pixel;
 * a box too small for all six shows those that fit (ea_avatar_layout) rather than none. */

static const unsigned char avatar_bg[3] = {0x30, 0x30, 0x30};

/* The largest centred square of src, as a new image. */
static int square_crop(const ea_image *src, ea_image *out, ea_err *err)
{
    int side = src->w < src->h ? src->w : src->h;
    int x0 = (src->w - side) / 2, y0 = (src->h - side) / 2;
    if (!(out->rgba = malloc((size_t)side * (size_t)side * 4)))
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    out->w = out->h = side;
    for (int y = 0; y < side; y++)
        memcpy(out->rgba + (size_t)y * (size_t)side * 4,
               src->rgba + ((size_t)(y0 + y) * (size_t)src->w + (size_t)x0) * 4, (size_t)side * 4);
    return 0;
}

/* How much of pixel (x, y) lies inside the circle of radius r inscribed in a 2r square, 0..1:
 * a pixel's worth of soft edge. */
static double circle_coverage(int x, int y, double r)
{
    double dx = x + 0.5 - r, dy = y + 0.5 - r;
    double inside = r - sqrt(dx * dx + dy * dy) + 0.5;
    return inside < 0 ? 0 : inside > 1 ? 1 : inside;
}

int ui_avatar_render(const char *path, int px, bool circle, ea_image *out, ea_err *err)
{
    ea_image full = {0}, square = {0};
    if (ea_image_load_file(path, &ea_image_default_limits, &full, err) != 0)
        return -1;
    int rc = square_crop(&full, &square, err);
    ea_image_free(&full);
    if (rc == 0)
        rc = ea_gfx_downscale_area(&square, px, px, out, err);
    ea_image_free(&square);
    if (rc != 0 || !circle)
        return rc;
    /* Round: the corners transparent, the edge soft, as the sheet shows it. */
    for (int y = 0; y < out->h; y++)
        for (int x = 0; x < out->w; x++) {
            unsigned char *a = out->rgba + ((size_t)y * (size_t)out->w + (size_t)x) * 4 + 3;
            *a = (unsigned char)(*a * circle_coverage(x, y, px / 2.0) + 0.5);
        }
    return 0;
}

/* Blends img onto the opaque sheet at (x0, y0); in a circle, each pixel's alpha is also cut by
 * how much of it lies inside the inscribed circle. */
static void blend(ea_image *sheet, int x0, int y0, const ea_image *img, bool circle)
{
    double r = img->w / 2.0;
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++) {
            const unsigned char *s = img->rgba + ((size_t)y * (size_t)img->w + (size_t)x) * 4;
            unsigned char *d = sheet->rgba + ((size_t)(y0 + y) * (size_t)sheet->w + (size_t)(x0 + x)) * 4;
            double a = s[3] / 255.0;
            if (circle)
                a *= circle_coverage(x, y, r);
            for (int c = 0; c < 3; c++)
                d[c] = (unsigned char)(s[c] * a + d[c] * (1 - a) + 0.5);
            d[3] = 255;
        }
}

static int render_avatar(const job *j, ea_image *out, ea_err *err)
{
    ea_avatar_sheet sheet;
    if (ea_avatar_layout(j->box_w, j->box_h, &sheet) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "the preview is too small for avatar sizes: it needs %dx%d px",
                          ea_avatar_px[0], ea_avatar_px[0]);
    ea_image full = {0}, square = {0};
    job whole = *j;
    whole.avatar = false;
    whole.box_w = whole.box_h = 1 << 14; /* no shrinking: the crop comes first */
    if (render_job(&whole, &full, err) != 0)
        return -1;
    int rc = square_crop(&full, &square, err);
    ea_image_free(&full);
    if (rc != 0)
        return -1;
    out->w = j->box_w;
    out->h = j->box_h;
    if (!(out->rgba = malloc((size_t)out->w * (size_t)out->h * 4))) {
        ea_image_free(&square);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    }
    for (size_t p = 0; p < (size_t)out->w * (size_t)out->h; p++) {
        memcpy(out->rgba + p * 4, avatar_bg, 3);
        out->rgba[p * 4 + 3] = 255;
    }
    for (int i = 0; i < sheet.n && rc == 0; i++) {
        const ea_avatar_spot *at = &sheet.spot[i];
        ea_image thumb = {0};
        rc = ea_gfx_downscale_area(&square, at->px, at->px, &thumb, err);
        if (rc == 0)
            blend(out, at->x, at->y, &thumb, at->circle);
        ea_image_free(&thumb);
    }
    ea_image_free(&square);
    if (rc != 0)
        ea_image_free(out);
    return rc;
}

static void *worker_main(void *arg)
{
    ui_picture *pic = arg;
    pthread_mutex_lock(&pic->lock);
    for (;;) {
        while (!pic->stop && pic->waiting.serial == 0)
            pthread_cond_wait(&pic->cond, &pic->lock);
        if (pic->stop)
            break;
        job j = pic->waiting;
        memset(&pic->waiting, 0, sizeof pic->waiting);
        pic->working = true;
        pthread_mutex_unlock(&pic->lock);

        ea_image img = {0};
        ea_err err = {0};
        int rc = j.masked          ? render_masked(pic, &j, &img, &err)
                 : j.avatar        ? render_avatar(&j, &img, &err)
                 : j.n_cells > 1   ? render_grid(&j, &img, &err)
                                   : render_job(&j, &img, &err);

        pthread_mutex_lock(&pic->lock);
        pic->working = false;
        if (pic->waiting.serial != 0) {
            /* A newer frame arrived while this one decoded: this one is stale. */
            ea_image_free(&img);
        } else {
            ea_image_free(&pic->result);
            pic->result = img;
            pic->done = j;
            pic->done.bytes = NULL; /* the key only: j keeps (and below frees) what it owns */
            pic->done.cells = NULL;
            pic->done.n_cells = 0;
            snprintf(pic->result_err, sizeof pic->result_err, "%.250s", rc == 0 ? "" : err.msg);
            pic->has_result = true;
            if (write(pic->wake_fd, "", 1) < 0) {
                /* the pipe is full: the loop is woken already */
            }
        }
        pthread_mutex_unlock(&pic->lock);
        job_clear(&j);
        pthread_mutex_lock(&pic->lock);
    }
    pthread_mutex_unlock(&pic->lock);
    return NULL;
}

/* Hands the wanted frame to the worker, replacing a job it has not started. */
static void submit(ui_picture *pic)
{
    job j = pic->want;
    j.bytes = ui_blob_ref(pic->want.bytes);
    job_copy_cells(&j, pic->want.cells, pic->want.n_cells);
    pthread_mutex_lock(&pic->lock);
    job_clear(&pic->waiting);
    pic->waiting = j;
    pthread_cond_signal(&pic->cond);
    pthread_mutex_unlock(&pic->lock);
}

/* ---- Opening and closing --------------------------------------------------------------------- */

/* A slot that encodes on its own thread, waking the loop through its self-pipe; NULL when out
 * of memory. Without the thread it still works, encoding on the loop. */
static ea_preview *new_slot(const ui_picture *pic, const ea_gfx_options *opt)
{
    ea_preview *slot = ea_preview_new(opt);
    if (slot) {
        ea_preview_set_encode_delay(slot, pic->encode_delay_ms);
        ea_preview_set_wake(slot, pic->wake_fd);
    }
    return slot;
}

int ui_picture_open(ui_app *app, bool headless, int wake_fd, char *why, size_t why_len)
{
    ui_picture *pic = calloc(1, sizeof *pic);
    if (!pic) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    app->picture = pic;
    pic->headless = headless;
    pic->wake_fd = wake_fd;
    pic->out_fd = -1;
    if (headless) {
        /* No terminal to ask: half blocks (or $EASEL_GRAPHICS, for the benchmarks) at the
         * default cell size, written where curses writes. The scripted tests run the whole
         * path this way: decode, scale, encode and the slot's writes. */
        ea_gfx_options_init(&pic->opt);
        const char *forced = getenv("EASEL_GRAPHICS");
        if (forced && *forced && ea_gfx_protocol_parse(forced, &pic->opt.protocol) != 0)
            pic->opt.protocol = EA_GFX_BLOCKS;
    } else {
        ea_err err = {0};
        if (ea_gfx_options_detect(&pic->opt, NULL, &err) != 0) {
            snprintf(why, why_len, "%s", err.msg);
            return -1;
        }
    }
    pthread_mutex_init(&pic->lock, NULL);
    pthread_cond_init(&pic->cond, NULL);
    const char *delay = app->script ? getenv(ENCODE_DELAY_ENV) : NULL;
    pic->encode_delay_ms = delay ? atoi(delay) : 0;
    if (!(pic->slot = new_slot(pic, &pic->opt))) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    int rc = pthread_create(&pic->thread, NULL, worker_main, pic);
    if (rc != 0) {
        /* The workbench is still useful without pictures: the panel describes frames. */
        snprintf(pic->why_none, sizeof pic->why_none, "no picture thread: %s", strerror(rc));
        ea_preview_free(&pic->slot);
        return 0;
    }
    pic->started = true;
    return 0;
}

void ui_picture_set_output(ui_app *app, int fd)
{
    if (app->picture)
        app->picture->out_fd = fd;
}

void ui_picture_close(ui_app *app)
{
    ui_picture *pic = app->picture;
    if (!pic)
        return;
    if (!app->hung_up)
        ui_picture_hide(app); /* kitty keeps pictures after we leave unless told */
    if (pic->started) {
        pthread_mutex_lock(&pic->lock);
        pic->stop = true;
        pthread_cond_signal(&pic->cond);
        pthread_mutex_unlock(&pic->lock);
        pthread_join(pic->thread, NULL);
    }
    pthread_mutex_destroy(&pic->lock);
    pthread_cond_destroy(&pic->cond);
    job_clear(&pic->waiting);
    job_clear(&pic->want);
    ea_image_free(&pic->result);
    ea_image_free(&pic->fitted);
    ea_preview_free(&pic->slot);
    free(pic);
    app->picture = NULL;
}

const char *ui_picture_protocol(const ui_app *app)
{
    const ui_picture *pic = app->picture;
    return pic && pic->slot ? ea_gfx_protocol_name(pic->opt.protocol) : "none";
}

/* ---- The loop's side ------------------------------------------------------------------------- */

static bool usable(const ui_picture *pic)
{
    return pic && pic->slot && pic->out_fd >= 0;
}

/* Takes the picture off the screen; what is wanted stays (see ui_picture_hide). */
static void take_down(ui_app *app, ui_picture *pic)
{
    bool repaint = false;
    ea_err err = {0};
    ea_preview_remove(pic->slot, pic->out_fd, &repaint, &err);
    /* Sixel, iTerm2 and block pictures are cells on the terminal: curses repaints them,
     * which it only does for cells it believes changed, hence the redraw of the window. */
    ui_panel *p = &app->panels[EA_PANEL_PREVIEW];
    if (repaint && p->win) {
        redrawwin(p->win);
        p->dirty = true;
    }
    pic->need_flush = false;
}

void ui_picture_hide(ui_app *app)
{
    ui_picture *pic = app->picture;
    if (!usable(pic))
        return;
    take_down(app, pic);
    /* Nothing is wanted: a result still on its way is dropped, and the next show asks anew. */
    job_clear(&pic->want);
    pic->error[0] = '\0';
}

void ui_picture_invalidate(ui_app *app)
{
    ui_picture *pic = app->picture;
    if (usable(pic) && pic->want.serial) {
        ea_preview_invalidate(pic->slot);
        pic->need_flush = true;
    }
}

bool ui_picture_canvas(const ui_app *app, int rows, int cols, int *w, int *h)
{
    const ui_picture *pic = app->picture;
    if (!usable(pic) || rows < 2 || cols < 4)
        return false;
    ea_gfx_canvas(&pic->opt, cols, rows, w, h);
    return true;
}

bool ui_picture_show(ui_app *app, const ui_frame *f, int row, int col, int rows, int cols)
{
    ui_picture *pic = app->picture;
    if (!usable(pic) || rows < 2 || cols < 4 || (!f->bytes && !f->path)) {
        ui_picture_hide(app);
        return false;
    }
    if (app->help_open) {
        /* Covered by the overlay: gone, and the cells stay blank under it. */
        ui_picture_hide(app);
        return true;
    }
    if (!pic->placed || row != pic->row || col != pic->col || rows != pic->rows || cols != pic->cols) {
        ea_preview_set_rect(pic->slot, row, col, rows, cols, LINES);
        pic->row = row, pic->col = col, pic->rows = rows, pic->cols = cols;
        pic->placed = true;
        pic->need_flush = true;
    }
    job key = {.serial = f->serial, .pick = f->n_cells > 1 ? f->pick : -1};
    ea_gfx_canvas(&pic->opt, cols, rows, &key.box_w, &key.box_h);
    snprintf(key.path, sizeof key.path, "%s", f->path ? f->path : "");
    if (f->mask && f->path) {
        key.masked = true;
        key.mask = *f->mask;
        key.draw = pic->opt;
        key.draw.cols = cols, key.draw.rows = rows;
    }
    if (same_key(&key, &pic->want))
        return pic->error[0] == '\0';
    job_clear(&pic->want);
    pic->want = key;
    pic->want.bytes = ui_blob_ref(f->bytes);
    job_copy_cells(&pic->want, f->cells, f->n_cells);
    pic->want.pick = key.pick;
    pic->want.avatar = f->avatar;
    pic->frame_w = f->w, pic->frame_h = f->h;
    pic->error[0] = '\0';
    pic->asked_ms = app->key_due_ms > 0 ? app->key_due_ms : ui_now_ms();
    submit(pic);
    ui_trace("decode serial=%lu size=%dx%d mask=%d", key.serial, f->w, f->h, key.masked ? key.mask.n : -1);
    ea_avatar_sheet sheet;
    if (f->avatar && ea_avatar_layout(key.box_w, key.box_h, &sheet) == 0)
        ui_trace("avatar sheet=%dx%d squares=%d circles=%d rows=%d", key.box_w, key.box_h, sheet.squares,
                 sheet.circles, sheet.one_row ? 1 : 2);
    return true;
}

bool ui_picture_point(const ui_app *app, int y, int x, double *u, double *v, int *cell)
{
    const ui_picture *pic = app->picture;
    if (!usable(pic) || !pic->placed || pic->want.serial == 0 || pic->want.avatar)
        return false;
    /* The centre of the cell, in pixels from the picture's corner (the rectangle's). */
    double px = (x - pic->col + 0.5) * pic->opt.cell_w, py = (y - pic->row + 0.5) * pic->opt.cell_h;
    *cell = -1;
    int w, h;
    if (pic->want.n_cells > 1) {
        int cols, cell_w, cell_h;
        grid_geometry(pic->want.n_cells, pic->want.box_w, pic->want.box_h, &cols, &cell_w, &cell_h);
        if (px < 0 || py < 0 || cell_w < 1 || cell_h < 1)
            return false;
        int c = (int)px / (cell_w + GRID_GAP), r = (int)py / (cell_h + GRID_GAP);
        px -= c * (cell_w + GRID_GAP);
        py -= r * (cell_h + GRID_GAP);
        if (c >= cols || r * cols + c >= pic->want.n_cells)
            return false;
        *cell = r * cols + c;
        w = cell_w, h = cell_h;
    } else if (ea_gfx_fit(pic->frame_w, pic->frame_h, pic->cols, pic->rows, pic->opt.cell_w,
                          pic->opt.cell_h, &w, &h) != 0) {
        return false;
    }
    *u = px / w;
    *v = py / h;
    return *u >= 0 && *u < 1 && *v >= 0 && *v < 1;
}

const char *ui_picture_error(const ui_app *app)
{
    return app->picture ? app->picture->error : "";
}

void ui_picture_collect(ui_app *app)
{
    ui_picture *pic = app->picture;
    if (!pic || !pic->started)
        return;
    ea_image img = {0};
    job key = {0};
    char err[256] = "";
    pthread_mutex_lock(&pic->lock);
    if (pic->has_result) {
        img = pic->result;
        key = pic->done;
        snprintf(err, sizeof err, "%s", pic->result_err);
        pic->result = (ea_image){0};
        pic->has_result = false;
    }
    pthread_mutex_unlock(&pic->lock);
    if (key.serial == 0)
        return;
    if (!same_key(&key, &pic->want) || !usable(pic)) {
        ea_image_free(&img); /* the preview moved on while this one decoded */
        return;
    }
    if (err[0]) {
        /* The panel says why in text instead (a partial frame cut short, a corrupt file). */
        snprintf(pic->error, sizeof pic->error, "%s", err);
        ea_image_free(&img);
        take_down(app, pic);
        ui_dirty(app, EA_PANEL_PREVIEW);
        return;
    }
    if (key.grid_note[0])
        ui_trace("grid serial=%lu %s", key.serial, key.grid_note);
    ea_preview_set_frame(pic->slot, &img);
    pic->slot_serial = key.serial;
    pic->need_flush = true;
}

/* This thread's CPU time: what the loop itself spends, whatever else runs on a loaded machine. */
static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void ui_picture_flush(ui_app *app)
{
    ui_picture *pic = app->picture;
    if (!usable(pic) || !pic->need_flush)
        return;
    ea_err err = {0};
    double t0 = thread_cpu_ms();
    ea_preview_status was = pic->last;
    pic->last = ea_preview_flush(pic->slot, pic->out_fd, &err);
    pic->loop_cpu_ms += thread_cpu_ms() - t0;
    /* A frame finished may leave another waiting or encoding: due says so. */
    pic->need_flush = ea_preview_due(pic->slot);
    if (pic->last == EA_PREVIEW_ENCODING && was != EA_PREVIEW_ENCODING)
        ui_trace("encoding serial=%lu", pic->slot_serial);
    if (err.msg[0])
        ui_message(app, true, "%s", err.msg);
    if (pic->last == EA_PREVIEW_DRAWN) {
        int w = 0, h = 0;
        ea_gfx_fit(pic->frame_w, pic->frame_h, pic->cols, pic->rows, pic->opt.cell_w,
                   pic->opt.cell_h, &w, &h);
        /* mask: the regions drawn over it (-1: no overlay); asked_ms: since the key (or the
         * frame) that asked for it, the first time it is drawn; loop_cpu_ms: the loop's own CPU
         * time in the slot since the picture before (the writes: the encoding is the slot's
         * thread's). */
        ui_trace("picture serial=%lu protocol=%s row=%d col=%d rows=%d cols=%d cell=%dx%d fit=%dx%d "
                 "mask=%d asked_ms=%.1f loop_cpu_ms=%.2f",
                 pic->slot_serial, ea_gfx_protocol_name(pic->opt.protocol), pic->row, pic->col,
                 pic->rows, pic->cols, pic->opt.cell_w, pic->opt.cell_h, w, h,
                 pic->want.masked ? pic->want.mask.n : -1,
                 pic->asked_ms > 0 ? ui_now_ms() - pic->asked_ms : 0.0, pic->loop_cpu_ms);
        pic->asked_ms = 0;
        pic->loop_cpu_ms = 0;
    }
}

bool ui_picture_busy(const ui_app *app)
{
    return usable(app->picture) && ea_preview_busy(app->picture->slot);
}

int ui_picture_out_fd(const ui_app *app)
{
    return app->picture ? app->picture->out_fd : -1;
}

int ui_picture_timeout(const ui_app *app)
{
    const ui_picture *pic = app->picture;
    /* Busy waits for the terminal (POLLOUT), encoding for the slot's wakeup; the rest (a
     * full queue, or a frame drawn with another due) is tried again soon. */
    return usable(pic) && pic->need_flush && pic->last != EA_PREVIEW_BUSY &&
                   pic->last != EA_PREVIEW_ENCODING
               ? RETRY_MS
               : -1;
}

bool ui_picture_settled(ui_app *app)
{
    ui_picture *pic = app->picture;
    if (!usable(pic) || !pic->started)
        return true;
    pthread_mutex_lock(&pic->lock);
    bool worker_busy = pic->waiting.serial != 0 || pic->working || pic->has_result;
    pthread_mutex_unlock(&pic->lock);
    return !worker_busy && !pic->need_flush;
}

void ui_picture_resized(ui_app *app)
{
    ui_picture *pic = app->picture;
    if (!usable(pic) || pic->headless)
        return;
    ea_term_caps caps = {0};
    caps.in_tmux = getenv("TMUX") != NULL;
    caps.tmux_passthrough = pic->opt.wrap == EA_GFX_WRAP_TMUX;
    caps.cell_w = pic->opt.cell_w;
    caps.cell_h = pic->opt.cell_h;
    if (ea_term_requery_cell_size(STDIN_FILENO, STDOUT_FILENO, &caps, REQUERY_MS) == 0 &&
        caps.cell_w > 0 && caps.cell_h > 0 &&
        (caps.cell_w != pic->opt.cell_w || caps.cell_h != pic->opt.cell_h)) {
        /* A new slot with the new cells; the frame is asked for again at the new box. */
        ea_gfx_options opt = pic->opt;
        opt.cell_w = caps.cell_w;
        opt.cell_h = caps.cell_h;
        ea_preview *slot = new_slot(pic, &opt);
        if (slot) {
            ea_preview_free(&pic->slot);
            pic->slot = slot;
            pic->opt = opt;
            pic->placed = false;
            job_clear(&pic->want);
        }
    }
}
