/* SPDX-License-Identifier: MIT */
/* fit: the box arithmetic every encoder shares (how big the picture may be drawn) and the
 * area-averaging downscale. See include/easel/gfx.h. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "easel/gfx.h"
#include "gfx_internal.h"

void ea_gfx_options_init(ea_gfx_options *opt)
{
    *opt = (ea_gfx_options){
        .protocol = EA_GFX_BLOCKS,
        .cols = 80,
        .rows = 24,
        .cell_w = 8,
        .cell_h = 16,
        .wrap = EA_GFX_WRAP_NONE,
        .image_id = EA_GFX_DEFAULT_IMAGE_ID,
        .placement_id = EA_GFX_DEFAULT_PLACEMENT_ID,
        .jpeg_quality = 80,
    };
}

/* a * b / c rounded to nearest, in 64 bits: every operand is at most INT_MAX. */
static int64_t mul_div_round(int64_t a, int64_t b, int64_t c)
{
    return (a * b + c / 2) / c;
}

int ea_gfx_fit_px(int img_w, int img_h, int box_w, int box_h, int *w, int *h)
{
    if (img_w <= 0 || img_h <= 0 || box_w <= 0 || box_h <= 0)
        return -1;
    /* Compare the aspect ratios by cross-multiplying, so no rounding decides the side that
     * limits. The other side is rounded to nearest, then clamped into [1, box]. */
    int64_t fw, fh;
    if ((int64_t)img_w * box_h <= (int64_t)img_h * box_w) { /* taller than the box: height limits */
        fh = box_h;
        fw = mul_div_round(img_w, box_h, img_h);
    } else {
        fw = box_w;
        fh = mul_div_round(img_h, box_w, img_w);
    }
    *w = (int)(fw < 1 ? 1 : fw > box_w ? box_w : fw);
    *h = (int)(fh < 1 ? 1 : fh > box_h ? box_h : fh);
    return 0;
}

int ea_gfx_box_px(int cols, int rows, int cell_w, int cell_h, int *w, int *h)
{
    if (cols <= 0 || rows <= 0 || cell_w <= 0 || cell_h <= 0)
        return -1;
    /* 64 bits: each factor is at most INT_MAX, so no product overflows. */
    int64_t bw = (int64_t)cols * cell_w, bh = (int64_t)rows * cell_h;
    if (bw > EA_GFX_MAX_SIDE || bh > EA_GFX_MAX_SIDE || bw * bh > EA_GFX_MAX_PIXELS) {
        /* The same shape, scaled to the first limit it meets. */
        double f = fmin((double)EA_GFX_MAX_SIDE / (double)bw, (double)EA_GFX_MAX_SIDE / (double)bh);
        f = fmin(f, sqrt((double)EA_GFX_MAX_PIXELS / ((double)bw * (double)bh)));
        bw = (int64_t)((double)bw * f);
        bh = (int64_t)((double)bh * f);
    }
    *w = bw < 1 ? 1 : (int)bw;
    *h = bh < 1 ? 1 : (int)bh;
    return 0;
}

int ea_gfx_fit(int img_w, int img_h, int cols, int rows, int cell_w, int cell_h, int *w, int *h)
{
    int box_w, box_h;
    if (ea_gfx_box_px(cols, rows, cell_w, cell_h, &box_w, &box_h) != 0)
        return -1;
    return ea_gfx_fit_px(img_w, img_h, box_w, box_h, w, h);
}

/* ---- area-averaging downscale ---------------------------------------------------------- */

/* One output sample's footprint along an axis: source pixels [first, first + count) with
 * integer overlap weights. Output pixel o covers [o*src, (o+1)*src) in units where each
 * source pixel is dst units wide, so the weights of a sample add up to src exactly. */
typedef struct footprint {
    int first, count;
    int *weights; /* points into a shared array */
} footprint;

static footprint *footprints_new(int src, int dst, int **weights_out)
{
    footprint *fp = malloc(sizeof *fp * (size_t)dst);
    /* Each output sample touches at most src/dst + 2 source pixels. */
    size_t per = (size_t)(src / dst) + 2;
    int *weights = malloc(sizeof *weights * per * (size_t)dst);
    if (!fp || !weights) {
        free(fp);
        free(weights);
        return NULL;
    }
    for (int o = 0; o < dst; o++) {
        int64_t lo = (int64_t)o * src, hi = lo + src;
        int first = (int)(lo / dst), last = (int)((hi - 1) / dst);
        fp[o].first = first;
        fp[o].count = last - first + 1;
        fp[o].weights = weights + per * (size_t)o;
        for (int i = first; i <= last; i++) {
            int64_t a = (int64_t)i * dst, b = a + dst;
            fp[o].weights[i - first] = (int)((b < hi ? b : hi) - (a > lo ? a : lo));
        }
    }
    *weights_out = weights;
    return fp;
}

int ea_gfx_downscale_area(const ea_image *src, int w, int h, ea_image *out, ea_err *err)
{
    if (!src || !src->rgba || w <= 0 || h <= 0 || w > src->w || h > src->h)
        return ea_err_set(err, EA_EXIT_INTERNAL, "downscale: %dx%d is not a reduction", w, h);
    int *wx = NULL, *wy = NULL;
    footprint *fx = footprints_new(src->w, w, &wx);
    footprint *fy = footprints_new(src->h, h, &wy);
    /* The horizontal pass keeps premultiplied sums as floats, w samples per source row: a
     * preview is a few hundred pixels wide, so this is a few MB even for a tall source. */
    size_t row_floats = 4 * (size_t)w;
    float *rows = malloc(sizeof *rows * row_floats * ((size_t)src->h + 1));
    if (!fx || !fy || !rows || ea_image_alloc(out, w, h) != 0) {
        free(fx), free(fy), free(wx), free(wy), free(rows);
        return ea_err_set(err, EA_EXIT_INTERNAL, "downscale: out of memory");
    }
    for (int y = 0; y < src->h; y++) {
        const unsigned char *line = src->rgba + (size_t)y * (size_t)src->w * 4;
        float *dst = rows + (size_t)y * row_floats;
        for (int o = 0; o < w; o++, dst += 4) {
            float r = 0, g = 0, b = 0, a = 0;
            const unsigned char *p = line + (size_t)fx[o].first * 4;
            for (int i = 0; i < fx[o].count; i++, p += 4) {
                float wa = (float)fx[o].weights[i] * p[3];
                r += wa * p[0];
                g += wa * p[1];
                b += wa * p[2];
                a += wa;
            }
            dst[0] = r, dst[1] = g, dst[2] = b, dst[3] = a;
        }
    }
    /* The vertical pass sums whole rows into the spare row at the end (sequential access). */
    float *acc = rows + (size_t)src->h * row_floats;
    float total = (float)src->w * (float)src->h * 255.0f; /* alpha weight of one output pixel */
    for (int o = 0; o < h; o++) {
        for (size_t k = 0; k < row_floats; k++)
            acc[k] = 0;
        for (int i = 0; i < fy[o].count; i++) {
            const float *s = rows + (size_t)(fy[o].first + i) * row_floats;
            float weight = (float)fy[o].weights[i];
            for (size_t k = 0; k < row_floats; k++)
                acc[k] += weight * s[k];
        }
        unsigned char *d = out->rgba + (size_t)o * (size_t)w * 4;
        for (int x = 0; x < w; x++, d += 4) {
            const float *s = acc + (size_t)x * 4;
            if (s[3] > 0) { /* un-premultiply: the colour of what is there, however faint */
                d[0] = (unsigned char)(s[0] / s[3] + 0.5f);
                d[1] = (unsigned char)(s[1] / s[3] + 0.5f);
                d[2] = (unsigned char)(s[2] / s[3] + 0.5f);
            }
            d[3] = (unsigned char)(s[3] * 255.0f / total + 0.5f);
        }
    }
    free(fx), free(fy), free(wx), free(wy), free(rows);
    return 0;
}

bool ea_gfx_has_alpha(const ea_image *img)
{
    size_t n = (size_t)img->w * (size_t)img->h;
    for (size_t i = 0; i < n; i++)
        if (img->rgba[i * 4 + 3] != 255)
            return true;
    return false;
}
