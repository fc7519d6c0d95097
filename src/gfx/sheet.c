/* SPDX-License-Identifier: MIT */
/* sheet: contact sheets and grids, composed on the thread pool. See include/easel/gfx.h. */
#include <string.h>
#include <stdlib.h>

#include "easel/gfx.h"
#include "gfx_internal.h"

typedef struct compose_job {
    ea_image *sheet;
    ea_gfx_tile *tiles;
    bool *drawn;
} compose_job;

/* One tile: decoded at its cell's size (never the full picture: ea_image_decode_fit), from
 * its thumbnail when it has a fresh one (ea_thumb_load_fit), and copied centred into its
 * cell. Tiles cover disjoint cells, so they need no lock. */
static void compose_tile(void *ctx, int i)
{
    compose_job *j = ctx;
    ea_gfx_tile *t = &j->tiles[i];
    ea_image img = {0};
    ea_err ignored = {0};
    t->use = EA_THUMB_NONE;
    int rc = t->path && t->thumb
                 ? ea_thumb_load_fit(t->path, t->thumb, t->w, t->h, &img, &t->use, &ignored)
             : t->path ? ea_image_load_file_fit(t->path, NULL, t->w, t->h, &img, &ignored)
                       : ea_image_decode_fit(t->bytes, t->n, NULL, t->w, t->h, &img, &ignored);
    if (rc != 0)
        return;
    ea_image *s = j->sheet;
    int w = img.w < t->w ? img.w : t->w, h = img.h < t->h ? img.h : t->h;
    int x0 = t->x + (t->w - w) / 2, y0 = t->y + (t->h - h) / 2;
    if (x0 >= 0 && y0 >= 0 && x0 + w <= s->w && y0 + h <= s->h) {
        for (int y = 0; y < h; y++)
            memcpy(s->rgba + ((size_t)(y0 + y) * (size_t)s->w + (size_t)x0) * 4,
                   img.rgba + (size_t)y * (size_t)img.w * 4, (size_t)w * 4);
        j->drawn[i] = true;
    }
    ea_image_free(&img);
}

int ea_gfx_compose(ea_image *sheet, ea_gfx_tile *tiles, int n)
{
    if (!sheet || !sheet->rgba || n <= 0)
        return 0;
    bool *drawn = calloc((size_t)n, sizeof *drawn);
    if (!drawn)
        return 0;
    compose_job j = {sheet, tiles, drawn};
    ea_gfx_parallel(n, compose_tile, &j);
    int count = 0;
    for (int i = 0; i < n; i++)
        count += drawn[i];
    free(drawn);
    return count;
}
