/* SPDX-License-Identifier: MIT */
/* sixel: easel's own sixel encoder: a 256-colour palette from a variance-splitting median cut
 * refined by k-means, pixels mapped without diffusion, bands run-length encoded.
 *
 * Why not libsixel: it was measured beside chafa (tests/bench/bench_show.sh) and lost on both
 * counts that matter for a live preview. Its median cut picks boxes by size, not by error,
 * which costs 2-3 dB on smooth AI pictures, and its single pass over every pixel per colour
 * is slower. Here the palette is built on a 32768-bin histogram (5 bits a channel), so its
 * cost does not grow with the picture, and each pixel is mapped by one table lookup.
 *
 * Pixels with alpha below 128 stay unset (transparent, P2=1); an opaque picture says P2=0 so
 * that it paints over whatever frame was there before. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "easel/gfx.h"
#include "gfx_internal.h"

enum {
    BITS = 5,                         /* histogram precision per channel */
    BINS = 1 << (3 * BITS),           /* 32768 */
    MAX_COLORS = 256,                 /* sixel terminals give at least 256 registers */
    TRANSPARENT = 255,                /* the index of unset pixels when the picture has any */
    KMEANS_ROUNDS = 3,
};

static unsigned bin_of(const unsigned char *p)
{
    return (unsigned)(p[0] >> (8 - BITS)) << (2 * BITS) | (unsigned)(p[1] >> (8 - BITS)) << BITS |
           (unsigned)(p[2] >> (8 - BITS));
}

/* ---- palette ---------------------------------------------------------------------------- */

/* A non-empty histogram bin: the mean colour of its pixels and how many there are. */
typedef struct entry {
    float c[3];
    float w;
    unsigned bin;
} entry;

typedef struct box {
    int start, end; /* entries[start, end) */
    double sse;     /* sum of squared distances to the box's mean: what splitting it saves */
} box;

typedef struct sums {
    double w, s[3], q; /* weight, weighted colour sums, weighted sum of squared norms */
} sums;

static void sums_add(sums *a, const entry *e)
{
    a->w += e->w;
    for (int k = 0; k < 3; k++)
        a->s[k] += (double)e->w * e->c[k];
    a->q += (double)e->w * (e->c[0] * e->c[0] + e->c[1] * e->c[1] + e->c[2] * e->c[2]);
}

static double sums_sse(const sums *a)
{
    if (a->w <= 0)
        return 0;
    double sse = a->q - (a->s[0] * a->s[0] + a->s[1] * a->s[1] + a->s[2] * a->s[2]) / a->w;
    return sse > 0 ? sse : 0;
}

static double box_sse(const entry *entries, int start, int end)
{
    sums a = {0};
    for (int i = start; i < end; i++)
        sums_add(&a, &entries[i]);
    return sums_sse(&a);
}

/* qsort takes no context argument; thread-local keeps encoders on two threads apart. */
static _Thread_local int sort_axis;

static int by_axis(const void *pa, const void *pb)
{
    float a = ((const entry *)pa)->c[sort_axis], b = ((const entry *)pb)->c[sort_axis];
    return (a > b) - (a < b);
}

/* Splits b along its widest axis at the point that leaves the least error on both sides. */
static void split_box(entry *entries, box *b, box *second)
{
    double mean[3] = {0}, var[3] = {0}, w = 0;
    for (int i = b->start; i < b->end; i++) {
        w += entries[i].w;
        for (int k = 0; k < 3; k++)
            mean[k] += (double)entries[i].w * entries[i].c[k];
    }
    for (int k = 0; k < 3; k++)
        mean[k] /= w;
    for (int i = b->start; i < b->end; i++)
        for (int k = 0; k < 3; k++) {
            double d = entries[i].c[k] - mean[k];
            var[k] += entries[i].w * d * d;
        }
    sort_axis = var[1] >= var[0] && var[1] >= var[2] ? 1 : var[0] >= var[2] ? 0 : 2;
    qsort(entries + b->start, (size_t)(b->end - b->start), sizeof *entries, by_axis);

    /* Prefix sums from the left; the right side is the total minus the left. */
    sums total = {0}, left = {0};
    for (int i = b->start; i < b->end; i++)
        sums_add(&total, &entries[i]);
    double best = -1;
    int cut = b->start + 1;
    for (int i = b->start; i < b->end - 1; i++) {
        sums_add(&left, &entries[i]);
        sums right = {total.w - left.w,
                      {total.s[0] - left.s[0], total.s[1] - left.s[1], total.s[2] - left.s[2]},
                      total.q - left.q};
        double cost = sums_sse(&left) + sums_sse(&right);
        if (best < 0 || cost < best) {
            best = cost;
            cut = i + 1;
        }
    }
    *second = (box){cut, b->end, box_sse(entries, cut, b->end)};
    b->end = cut;
    b->sse = box_sse(entries, b->start, cut);
}

static int nearest(const float (*palette)[3], int n, const float *c)
{
    int best = 0;
    float best_d = 1e30f;
    for (int i = 0; i < n; i++) {
        float dr = palette[i][0] - c[0];
        float d = dr * dr;
        if (d >= best_d)
            continue;
        float dg = palette[i][1] - c[1], db = palette[i][2] - c[2];
        d += dg * dg + db * db;
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    return best;
}

/* Builds at most max_colors colours for the opaque pixels of img and fills map (one palette
 * index per histogram bin). Returns the number of colours. */
static int build_palette(const ea_image *img, int max_colors, float (*palette)[3],
                         unsigned char *map, ea_err *err)
{
    struct bin_sum {
        uint32_t n;
        uint32_t s[3]; /* fits: a preview is far below 2^32 / 255 = 16.8 M pixels */
    } *hist = ea_gfx_pixels_calloc(BINS * sizeof *hist); /* 512 kB: 128 faults on small pages */
    entry *entries = malloc(sizeof *entries * BINS);
    box *boxes = malloc(sizeof *boxes * (size_t)max_colors);
    if (!hist || !entries || !boxes) {
        free(hist), free(entries), free(boxes);
        return ea_err_set(err, EA_EXIT_INTERNAL, "sixel: out of memory");
    }
    size_t npix = (size_t)img->w * (size_t)img->h;
    for (size_t i = 0; i < npix; i++) {
        const unsigned char *p = img->rgba + i * 4;
        if (p[3] < 128)
            continue;
        struct bin_sum *b = &hist[bin_of(p)];
        b->n++;
        b->s[0] += p[0], b->s[1] += p[1], b->s[2] += p[2];
    }
    int n = 0;
    for (unsigned bin = 0; bin < BINS; bin++) {
        if (!hist[bin].n)
            continue;
        float count = (float)hist[bin].n;
        entries[n++] = (entry){{(float)hist[bin].s[0] / count, (float)hist[bin].s[1] / count,
                                (float)hist[bin].s[2] / count},
                               count,
                               bin};
    }
    free(hist);

    int nboxes = 0;
    if (n > 0)
        boxes[nboxes++] = (box){0, n, box_sse(entries, 0, n)};
    while (nboxes < max_colors) {
        int pick = -1;
        for (int i = 0; i < nboxes; i++)
            if (boxes[i].end - boxes[i].start > 1 && (pick < 0 || boxes[i].sse > boxes[pick].sse))
                pick = i;
        if (pick < 0 || boxes[pick].sse <= 0)
            break;
        split_box(entries, &boxes[pick], &boxes[nboxes]);
        nboxes++;
    }
    for (int i = 0; i < nboxes; i++) {
        sums a = {0};
        for (int k = boxes[i].start; k < boxes[i].end; k++)
            sums_add(&a, &entries[k]);
        for (int k = 0; k < 3; k++)
            palette[i][k] = (float)(a.s[k] / a.w);
    }
    free(boxes);

    /* k-means on the bins: the median cut's boxes are axis-aligned, so their means are not
     * yet the colours that serve their pixels best. A few rounds recover most of that. */
    double (*acc)[4] = malloc(sizeof *acc * (size_t)(nboxes ? nboxes : 1));
    if (!acc) {
        free(entries);
        return ea_err_set(err, EA_EXIT_INTERNAL, "sixel: out of memory");
    }
    for (int round = 0; round <= KMEANS_ROUNDS; round++) {
        memset(acc, 0, sizeof *acc * (size_t)nboxes);
        for (int i = 0; i < n; i++) {
            int k = nearest((const float (*)[3])palette, nboxes, entries[i].c);
            map[entries[i].bin] = (unsigned char)k;
            for (int c = 0; c < 3; c++)
                acc[k][c] += (double)entries[i].w * entries[i].c[c];
            acc[k][3] += entries[i].w;
        }
        if (round == KMEANS_ROUNDS) /* the last round only fills the map */
            break;
        for (int k = 0; k < nboxes; k++)
            if (acc[k][3] > 0)
                for (int c = 0; c < 3; c++)
                    palette[k][c] = (float)(acc[k][c] / acc[k][3]);
    }
    free(acc);
    free(entries);
    return nboxes;
}

/* ---- the sixel stream ------------------------------------------------------------------- */

/* A writer into memory reserved ahead, so the inner loops need no capacity checks. */
typedef struct cursor {
    char *p;
} cursor;

static void put_uint(cursor *o, unsigned v)
{
    char digits[10];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0)
        *o->p++ = digits[--n];
}

static void put_run(cursor *o, char ch, unsigned n)
{
    if (n >= 4) { /* "!12c" pays off from four repeats: "!3c" is as long as "ccc" */
        *o->p++ = '!';
        put_uint(o, n);
        *o->p++ = ch;
    } else {
        while (n--)
            *o->p++ = ch;
    }
}

/* How many of the n bytes from p equal p[0] in a row (n >= 1), eight at a time: a colour's
 * line in a band is mostly long runs of blank sixels, and the byte-by-byte scan was the
 * hottest loop of the encoder. Callgrind, the bench's JPEG drawn at 636x636: the encoder's
 * bands from 26.4 to 23.3 million instructions, the same bytes out. */
static int run_length(const unsigned char *p, int n)
{
    int run = 1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t same = p[0] * UINT64_C(0x0101010101010101);
    while (run + 8 <= n) {
        uint64_t w;
        memcpy(&w, p + run, sizeof w);
        if (w != same) /* the first differing byte is the lowest one that is not zero */
            return run + __builtin_ctzll(w ^ same) / 8;
        run += 8;
    }
#endif
    while (run < n && p[run] == p[0])
        run++;
    return run;
}

/* Percent (0-100), the unit of sixel colour registers. */
static unsigned percent(float v)
{
    int p = (int)(v * 100.0f / 255.0f + 0.5f);
    return (unsigned)(p < 0 ? 0 : p > 100 ? 100 : p);
}

/* The bands [b0, b1) of the picture, mapped to the palette and run-length encoded into out:
 * a group of bands needs nothing from any other, so groups run on the pool side by side and
 * their bytes are joined in order. */
typedef struct band_group {
    const ea_image *pic;
    const unsigned char *map; /* palette index per histogram bin */
    bool transparent;
    int b0, b1;
    unsigned char *bits; /* MAX_COLORS rows of w: this group's share of encode_bands' block */
    ea_buf out;
    int rc;
} band_group;

static int encode_band_group(band_group *g)
{
    int w = g->pic->w, h = g->pic->h;
    unsigned char *index = malloc((size_t)w * 6);
    unsigned char *bits = g->bits;
    int *minx = malloc(sizeof *minx * MAX_COLORS), *maxx = malloc(sizeof *maxx * MAX_COLORS);
    unsigned char used[MAX_COLORS];
    unsigned char order[MAX_COLORS];
    ea_buf *out = &g->out;
    int rc = -1;
    if (!index || !minx || !maxx)
        goto done;
    for (int y0 = g->b0 * 6; y0 < h && y0 < g->b1 * 6; y0 += 6) {
        int band_rows = h - y0 < 6 ? h - y0 : 6, ncolors = 0;
        for (int r = 0; r < band_rows; r++) {
            const unsigned char *p = g->pic->rgba + (size_t)(y0 + r) * (size_t)w * 4;
            unsigned char *row = index + (size_t)r * (size_t)w;
            for (int x = 0; x < w; x++, p += 4)
                row[x] = p[3] < 128 ? TRANSPARENT : g->map[bin_of(p)];
        }
        memset(used, 0, sizeof used);
        for (int r = 0; r < band_rows; r++) {
            const unsigned char *row = index + (size_t)r * (size_t)w;
            unsigned char bit = (unsigned char)(1u << r);
            for (int x = 0; x < w; x++) {
                unsigned c = row[x];
                if (g->transparent && c == TRANSPARENT)
                    continue;
                if (!used[c]) {
                    used[c] = 1;
                    order[ncolors++] = (unsigned char)c;
                    minx[c] = maxx[c] = x;
                } else if (x > maxx[c]) {
                    maxx[c] = x;
                } else if (x < minx[c]) {
                    minx[c] = x;
                }
                bits[c * (size_t)w + (size_t)x] |= bit;
            }
        }
        /* Worst case per colour: "#255", a leading skip, every column, and "$". */
        if (ea_buf_reserve(out, (size_t)ncolors * ((size_t)w + 16) + 2) != 0)
            goto done;
        cursor o = {out->data + out->len};
        for (int i = 0; i < ncolors; i++) {
            unsigned c = order[i];
            unsigned char *line = bits + c * (size_t)w;
            *o.p++ = '#';
            put_uint(&o, c);
            if (minx[c] > 0)
                put_run(&o, '?', (unsigned)minx[c]);
            int x = minx[c];
            while (x <= maxx[c]) {
                int run = run_length(line + x, maxx[c] - x + 1);
                put_run(&o, (char)('?' + line[x]), (unsigned)run);
                x += run;
            }
            memset(line + minx[c], 0, (size_t)(maxx[c] - minx[c] + 1));
            if (i + 1 < ncolors)
                *o.p++ = '$'; /* back to the band's start for the next colour */
        }
        if (y0 + 6 < h)
            *o.p++ = '-'; /* next band */
        out->len = (size_t)(o.p - out->data);
        out->data[out->len] = '\0';
    }
    rc = 0;
done:
    free(index), free(minx), free(maxx);
    return rc;
}

static void encode_band_group_job(void *ctx, int i)
{
    band_group *g = (band_group *)ctx + i;
    g->rc = encode_band_group(g);
}

/* Maps and encodes every band into out, in groups on the pool. With two cores this halves
 * the encoder's share of `easel show` (perf: 8% of the process before, for a 1024x1024 PNG
 * drawn at 636x636). */
static int encode_bands(const ea_image *pic, const unsigned char *map, bool transparent,
                        ea_buf *out)
{
    int bands = (pic->h + 5) / 6;
    int groups = 2 * ea_gfx_pool_threads();
    if (groups > bands)
        groups = bands;
    band_group *g = calloc((size_t)groups, sizeof *g);
    /* Every group's bit planes in one block: 650 kB for a 636-pixel row on two cores, one
     * huge page where four callocs took 160 faults. */
    size_t plane = (size_t)MAX_COLORS * (size_t)pic->w;
    unsigned char *bits = ea_gfx_pixels_calloc((size_t)groups * plane);
    if (!g || !bits) {
        free(g), free(bits);
        return -1;
    }
    for (int i = 0; i < groups; i++) {
        g[i] = (band_group){.pic = pic, .map = map, .transparent = transparent,
                            .bits = bits + (size_t)i * plane,
                            .b0 = (int)((long)bands * i / groups),
                            .b1 = (int)((long)bands * (i + 1) / groups)};
        ea_buf_init(&g[i].out, EA_BUF_UNCAPPED);
    }
    ea_gfx_parallel(groups, encode_band_group_job, g);
    /* Room for every group at once, not by doubling: each doubling copied what was there. */
    size_t total = 2; /* the string terminator that follows */
    for (int i = 0; i < groups; i++)
        total += g[i].out.len;
    int rc = ea_buf_reserve(out, total);
    for (int i = 0; i < groups; i++) {
        if (rc == 0 && (g[i].rc != 0 || ea_buf_append(out, g[i].out.data, g[i].out.len) != 0))
            rc = -1;
        ea_buf_free(&g[i].out);
    }
    free(g);
    free(bits);
    return rc;
}

int ea_gfx_sixel_encode(const ea_image *scaled, const ea_gfx_options *opt, ea_buf *out,
                        ea_err *err)
{
    int w = scaled->w, h = scaled->h;
    bool transparent = ea_gfx_has_alpha(scaled);
    float palette[MAX_COLORS][3];
    unsigned char *map = calloc(BINS, 1);
    ea_buf seq;
    ea_buf_init(&seq, EA_BUF_UNCAPPED);
    /* Unwrapped (no multiplexer), the sequence is built in out itself: the copy of the whole
     * sequence (185 kB for a 636x636 photo) and the faults of its pages went with seq. */
    bool direct = opt->wrap == EA_GFX_WRAP_NONE;
    ea_buf *dst = direct ? out : &seq;
    size_t start = out->len; /* a failure leaves out as it was: no half a picture */
    int rc = -1;
    if (!map) {
        ea_err_set(err, EA_EXIT_INTERNAL, "sixel: out of memory");
        goto done;
    }
    int ncolors = build_palette(scaled, transparent ? MAX_COLORS - 1 : MAX_COLORS, palette,
                                map, err);
    if (ncolors < 0)
        goto done;
    if (direct && ea_gfx_row_start(out, opt, 0) != 0)
        goto oom;
    /* P1=0 with raster attributes 1;1 = square pixels; P2 says what unset pixels do. */
    if (ea_buf_printf(dst, "\033P0;%d;0q\"1;1;%d;%d", transparent ? 1 : 0, w, h) != 0)
        goto oom;
    for (int i = 0; i < ncolors; i++)
        if (ea_buf_printf(dst, "#%d;2;%u;%u;%u", i, percent(palette[i][0]),
                          percent(palette[i][1]), percent(palette[i][2])) != 0)
            goto oom;
    if (encode_bands(scaled, map, transparent, dst) != 0 || ea_buf_append(dst, "\033\\", 2) != 0)
        goto oom;
    if (!direct && (ea_gfx_row_start(out, opt, 0) != 0 ||
                    ea_gfx_wrap_append(out, opt->wrap, seq.data, seq.len) != 0))
        goto oom;
    if (ea_gfx_picture_end(out, opt) != 0)
        goto oom;
    rc = 0;
    goto done;
oom:
    ea_err_set(err, EA_EXIT_INTERNAL, "sixel: output too large or out of memory");
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
done:
    ea_buf_free(&seq);
    free(map);
    return rc;
}
