/* SPDX-License-Identifier: MIT */
/* gfx_internal: what the encoders in src/gfx share and nobody outside needs: one function per
 * protocol, taking a picture already scaled to its box, and the small helpers they reuse. */
#ifndef EASEL_GFX_INTERNAL_H
#define EASEL_GFX_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>

#include "easel/gfx.h"

/* Each takes the picture at its final pixel size (ea_gfx_encode did the fitting and scaling)
 * and the geometry it covers, and appends the bytes that draw it at opt's origin. */
int ea_gfx_sixel_encode(const ea_image *scaled, const ea_gfx_options *opt, ea_buf *out,
                        ea_err *err);
int ea_gfx_kitty_encode(const ea_image *scaled, const ea_gfx_options *opt,
                        const ea_gfx_geometry *geo, ea_buf *out, ea_err *err);
int ea_gfx_iterm_encode(const ea_image *scaled, const ea_gfx_options *opt,
                        const ea_gfx_geometry *geo, ea_buf *out, ea_err *err);
/* Blocks take one pixel per cell column and two per cell row, so the caller passes the
 * picture scaled to cols x 2*rows "half-cell pixels". */
int ea_gfx_blocks_encode(const ea_image *half_cells, const ea_gfx_options *opt, ea_buf *out,
                         ea_err *err);

/* Moves the cursor to the box's row `row` (0-based inside the box) when the options place the
 * picture at an origin; in flow mode starts a new line for every row after the first. */
int ea_gfx_row_start(ea_buf *out, const ea_gfx_options *opt, int row);
/* After a picture drawn in flow mode, leaves the cursor at the start of the next line. */
int ea_gfx_flow_end(ea_buf *out, const ea_gfx_options *opt);
/* The same after a picture the terminal draws, which leaves the cursor alone when the
 * options ask it to stay (opt->cursor_stays). */
int ea_gfx_picture_end(ea_buf *out, const ea_gfx_options *opt);
/* The terminal draws at the cursor and should not move it: placed at an origin, or asked. */
bool ea_gfx_cursor_kept(const ea_gfx_options *opt);

/* True when any pixel is less than fully opaque. */
bool ea_gfx_has_alpha(const ea_image *img);

/* ---- the thread pool (pool.c) ---- */
/* Runs fn(ctx, i) for every i in [0, n) on the calling thread and the pool's workers, and
 * returns when all have run. The calls must not depend on each other's order. */
void ea_gfx_parallel(int n, void (*fn)(void *ctx, int i), void *ctx);
/* The same in two halves, so the caller can do other work meanwhile: start queues the job
 * for the workers (j lives with the caller until finish returns), finish runs whatever no
 * worker has taken and waits for the rest. A job no worker took runs entirely in finish. */
typedef struct ea_gfx_job {
    void (*fn)(void *ctx, int i);
    void *ctx;
    int n;
    atomic_int next;         /* the next index to claim */
    int done;                /* indices finished, under the pool's lock */
    int users;               /* workers holding this job, under the pool's lock */
    bool queued;             /* false: finish runs it all */
    struct ea_gfx_job *link; /* the queue */
} ea_gfx_job;
void ea_gfx_start(ea_gfx_job *j, int n, void (*fn)(void *ctx, int i), void *ctx);
void ea_gfx_finish(ea_gfx_job *j);
/* The threads a job can use (the workers and the caller): 1 on a single core. */
int ea_gfx_pool_threads(void);
/* Use n threads in all: 1 runs every job on its caller from now on (tests compare it with
 * several); a larger n counts only before the first job starts the workers. */
void ea_gfx_pool_set_threads(int n);

/* ---- big buffers (pixels.c) ---- */
/* n zeroed bytes that free() releases, on transparent huge pages when n is large: a picture's
 * pixels and the encoders' scratch, each written once. NULL when out of memory. */
void *ea_gfx_pixels_calloc(size_t n);

/* ---- the area downscale fed row by row (fit.c), for decoders that produce rows ---- */
typedef struct ea_gfx_area ea_gfx_area;
/* A downscale of src_w x src_h into out (already allocated, at most the source's size). */
ea_gfx_area *ea_gfx_area_new(int src_w, int src_h, ea_image *out);
/* Source row y (RGBA), rows in order from 0; each finished output row lands in out. */
void ea_gfx_area_row(ea_gfx_area *a, int y, const unsigned char *rgba);
void ea_gfx_area_free(ea_gfx_area **a);

#endif
