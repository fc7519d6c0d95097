/* SPDX-License-Identifier: MIT */
/* fit: the box arithmetic every encoder shares (how big the picture may be drawn) and the
 * area-averaging downscale. See include/easel/gfx.h. */
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    int *weights;   /* points into a shared array */
    float *fweights; /* the same as floats, for the horizontal taps (area_plan_init) */
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

/* Both axes' footprints, shared read-only by every band of one downscale. */
typedef struct area_plan {
    int src_w, src_h, w, h;
    footprint *fx, *fy;
    int *wx, *wy;
    float *wxf; /* wx as floats */
    float total; /* the alpha weight of one output pixel */
} area_plan;

static void area_plan_free(area_plan *p)
{
    free(p->fx), free(p->fy), free(p->wx), free(p->wy), free(p->wxf);
    *p = (area_plan){0};
}

static int area_plan_init(area_plan *p, int src_w, int src_h, int w, int h)
{
    *p = (area_plan){.src_w = src_w, .src_h = src_h, .w = w, .h = h};
    p->fx = footprints_new(src_w, w, &p->wx);
    p->fy = footprints_new(src_h, h, &p->wy);
    p->total = (float)src_w * (float)src_h * 255.0f;
    size_t per = (size_t)(src_w / w) + 2; /* as footprints_new lays the weights out */
    if (p->fx)
        p->wxf = malloc(sizeof *p->wxf * per * (size_t)w);
    if (!p->fx || !p->fy || !p->wxf) {
        area_plan_free(p);
        return -1;
    }
    /* The taps' weights converted once, not at every tap of every row. */
    for (int o = 0; o < w; o++) {
        p->fx[o].fweights = p->wxf + (p->fx[o].weights - p->wx);
        for (int i = 0; i < p->fx[o].count; i++)
            p->fx[o].fweights[i] = (float)p->fx[o].weights[i];
    }
    return 0;
}

/* Output rows [o0, o1) of a downscale, fed source rows in order. When shrinking, a source row
 * reaches at most two output rows, so two accumulators suffice: the whole-image buffer of
 * horizontal sums the first version kept (4 floats a sample for every source row: 2.6 MB for
 * 1024 rows into 640) is gone, and with it about 640 page faults a picture. */
typedef struct area_band {
    const area_plan *p;
    ea_image *out;
    int o0, o1, cur; /* cur: the next output row to finish */
    float *block;      /* the one allocation acc, next and pre live in */
    float *acc, *next; /* 4 * w floats each */
    float *pre;        /* 4 * src_w floats: the source row premultiplied */
} area_band;

static int area_band_init(area_band *b, const area_plan *p, ea_image *out, int o0, int o1)
{
    size_t row = 4 * (size_t)p->w;
    *b = (area_band){.p = p, .out = out, .o0 = o0, .o1 = o1, .cur = o0};
    /* One block, 16-byte aligned for the vector lanes (each part is a multiple of 16 bytes). */
    size_t bytes = (2 * row + 4 * (size_t)p->src_w) * sizeof *b->block;
    b->block = aligned_alloc(16, bytes);
    if (!b->block)
        return -1;
    memset(b->block, 0, bytes);
    b->acc = b->block;
    b->next = b->acc + row;
    b->pre = b->next + row;
    return 0;
}

/* Four lanes (r, g, b, a) in one register: GCC's and clang's vector extension, so the sums
 * below are one multiply-add per tap on any x86-64 or ARM64 without intrinsics. */
typedef float v4sf __attribute__((vector_size(16)));

/* The horizontal pass of one source row, added at once into the output rows it reaches:
 * acc with weight wf, and next with weight wg unless wg is 0. The row's pixels are
 * premultiplied into floats once (pre, 4 * src_w), then each sample is a weighted sum of its
 * taps: perf showed the scalar version at 12% of `easel show` for a 1024x1024 PNG, this one
 * at a third of that. Adding the sums as they come, rather than storing the row's and adding
 * them in two more passes, and float weights made ready in the plan: 5% fewer instructions
 * in the downscale (callgrind: 39.1 to 37.1 million for a 640x640 JPEG decode into 636x636,
 * 66.9 to 64.2 for a 1024x1024 PNG), the same sums in the same order, so the same pixels. */
static void area_hpass(const area_plan *p, const unsigned char *line, float *pre, float *acc,
                       float wf, float *next, float wg)
{
    v4sf *pv = (v4sf *)pre;
    for (int x = 0; x < p->src_w; x++) {
        const unsigned char *px = line + (size_t)x * 4;
        float a = px[3];
        pv[x] = (v4sf){px[0] * a, px[1] * a, px[2] * a, a};
    }
    v4sf *av = (v4sf *)acc, *nv = (v4sf *)next;
    for (int o = 0; o < p->w; o++) {
        v4sf sum = {0, 0, 0, 0};
        const v4sf *t = pv + p->fx[o].first;
        const float *wt = p->fx[o].fweights;
        for (int i = 0; i < p->fx[o].count; i++)
            sum += wt[i] * t[i];
        av[o] += wf * sum;
        if (wg != 0)
            nv[o] += wg * sum;
    }
}

static void area_emit(const area_band *b, int o)
{
    const area_plan *p = b->p;
    unsigned char *d = b->out->rgba + (size_t)o * (size_t)p->w * 4;
    const v4sf *s = (const v4sf *)b->acc;
    float alpha_scale = 255.0f / p->total;
    /* One reciprocal a pixel rather than three divisions: the divisions were half of the
     * downscale's time in perf annotate. */
    for (int x = 0; x < p->w; x++, d += 4) {
        v4sf v = s[x];
        if (v[3] > 0) { /* un-premultiply: the colour of what is there, however faint */
            v4sf c = v * (1.0f / v[3]) + 0.5f;
            d[0] = (unsigned char)c[0];
            d[1] = (unsigned char)c[1];
            d[2] = (unsigned char)c[2];
        } else {
            d[0] = d[1] = d[2] = 0;
        }
        d[3] = (unsigned char)(v[3] * alpha_scale + 0.5f);
    }
}

static void area_band_row(area_band *b, int y, const unsigned char *line)
{
    const area_plan *p = b->p;
    if (b->cur >= b->o1 || y < p->fy[b->cur].first)
        return; /* before this band's rows, or after them */
    size_t n = 4 * (size_t)p->w;
    const footprint *f = &p->fy[b->cur];
    float wg = 0;
    if (b->cur + 1 < b->o1) {
        const footprint *g = &p->fy[b->cur + 1];
        if (y >= g->first && y < g->first + g->count)
            wg = (float)g->weights[y - g->first];
    }
    area_hpass(p, line, b->pre, b->acc, (float)f->weights[y - f->first], b->next, wg);
    if (y == f->first + f->count - 1) { /* the output row is complete */
        area_emit(b, b->cur);
        float *t = b->acc;
        b->acc = b->next;
        b->next = t;
        for (size_t k = 0; k < n; k++)
            b->next[k] = 0;
        b->cur++;
    }
}

struct ea_gfx_area {
    area_plan plan;
    area_band band;
};

ea_gfx_area *ea_gfx_area_new(int src_w, int src_h, ea_image *out)
{
    if (src_w <= 0 || src_h <= 0 || !out || !out->rgba || out->w > src_w || out->h > src_h)
        return NULL;
    ea_gfx_area *a = calloc(1, sizeof *a);
    if (!a || area_plan_init(&a->plan, src_w, src_h, out->w, out->h) != 0) {
        free(a);
        return NULL;
    }
    if (area_band_init(&a->band, &a->plan, out, 0, out->h) != 0) {
        area_plan_free(&a->plan);
        free(a);
        return NULL;
    }
    return a;
}

void ea_gfx_area_row(ea_gfx_area *a, int y, const unsigned char *rgba)
{
    area_band_row(&a->band, y, rgba);
}

void ea_gfx_area_free(ea_gfx_area **a)
{
    if (!*a)
        return;
    free((*a)->band.block);
    area_plan_free(&(*a)->plan);
    free(*a);
    *a = NULL;
}

/* One band of output rows of an in-memory downscale, on a pool thread. */
typedef struct area_job {
    const area_plan *plan;
    const ea_image *src;
    ea_image *out;
    int bands;
    atomic_int failed;
} area_job;

static void area_job_band(void *ctx, int i)
{
    area_job *j = ctx;
    int h = j->plan->h;
    int o0 = (int)((int64_t)h * i / j->bands), o1 = (int)((int64_t)h * (i + 1) / j->bands);
    if (o0 >= o1)
        return;
    area_band b;
    if (area_band_init(&b, j->plan, j->out, o0, o1) != 0) {
        atomic_store(&j->failed, 1);
        return;
    }
    int last = j->plan->fy[o1 - 1].first + j->plan->fy[o1 - 1].count;
    for (int y = j->plan->fy[o0].first; y < last; y++)
        area_band_row(&b, y, j->src->rgba + (size_t)y * (size_t)j->src->w * 4);
    free(b.block);
}

int ea_gfx_downscale_area(const ea_image *src, int w, int h, ea_image *out, ea_err *err)
{
    if (!src || !src->rgba || w <= 0 || h <= 0 || w > src->w || h > src->h)
        return ea_err_set(err, EA_EXIT_INTERNAL, "downscale: %dx%d is not a reduction", w, h);
    area_plan plan;
    if (area_plan_init(&plan, src->w, src->h, w, h) != 0 || ea_image_alloc(out, w, h) != 0) {
        area_plan_free(&plan);
        return ea_err_set(err, EA_EXIT_INTERNAL, "downscale: out of memory");
    }
    /* Bands of output rows on the pool: a source row on a band's edge is summed by both
     * bands (2 of 1024 rows per band), which two cores repay many times over. Four bands a
     * thread even out a core that another process takes from us. */
    int bands = 4 * ea_gfx_pool_threads();
    if (bands > h / 8)
        bands = h / 8 > 0 ? h / 8 : 1;
    area_job job = {.plan = &plan, .src = src, .out = out, .bands = bands};
    atomic_init(&job.failed, 0);
    ea_gfx_parallel(bands, area_job_band, &job);
    area_plan_free(&plan);
    if (atomic_load(&job.failed)) {
        ea_image_free(out);
        return ea_err_set(err, EA_EXIT_INTERNAL, "downscale: out of memory");
    }
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
