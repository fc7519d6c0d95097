/* SPDX-License-Identifier: MIT */
#include "easel/size.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pixel budget a ratio aims for: the standard square, which every price is quoted at. */
#define TARGET_PIXELS (1024.0 * 1024.0)
/* Ratios within 0.1% look the same; among them the pixel count decides. Small enough that an
 * exact ratio (16:9 as 1280x720) wins over a near one with a better pixel count (1360x768). */
#define RATIO_TOLERANCE 0.001

static const ea_size standard_sizes[] = {
    {EA_SIZE_EXACT, 1024, 1024}, {EA_SIZE_EXACT, 1536, 1024}, {EA_SIZE_EXACT, 1024, 1536}};

static int parse_positive(const char *s, char **end)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    long v = strtol(s, end, 10);
    if (errno || v <= 0 || v > 100000)
        return -1;
    return (int)v;
}

int ea_size_parse(const char *text, ea_size *out, ea_err *err)
{
    if (strcmp(text, "auto") == 0) {
        *out = (ea_size){EA_SIZE_AUTO, 0, 0};
        return 0;
    }
    char *end;
    int a = parse_positive(text, &end);
    if (a > 0 && (*end == 'x' || *end == ':')) {
        char sep = *end;
        int b = parse_positive(end + 1, &end);
        if (b > 0 && *end == '\0') {
            *out = (ea_size){sep == 'x' ? EA_SIZE_EXACT : EA_SIZE_RATIO, a, b};
            return 0;
        }
    }
    ea_err_set(err, EA_EXIT_USAGE,
               "size '%s': expected WIDTHxHEIGHT (1536x864), a ratio W:H (16:9) or auto", text);
    if (err)
        err->param = "size";
    return -1;
}

int ea_size_check(const ea_model_info *m, int w, int h, char *why, size_t why_len)
{
    if (!m->flexible_sizes) {
        for (size_t i = 0; i < sizeof standard_sizes / sizeof standard_sizes[0]; i++)
            if (standard_sizes[i].w == w && standard_sizes[i].h == h)
                return 0;
        snprintf(why, why_len, "%s takes 1024x1024, 1536x1024, 1024x1536 or auto", m->id);
        return -1;
    }
    long pixels = (long)w * h;
    int lo = w < h ? w : h, hi = w < h ? h : w;
    if (w % m->edge_multiple || h % m->edge_multiple)
        snprintf(why, why_len, "both sides must be multiples of %d", m->edge_multiple);
    else if (hi > m->max_edge)
        snprintf(why, why_len, "the long edge must be at most %d", m->max_edge);
    else if ((double)hi > m->max_ratio * lo)
        snprintf(why, why_len, "the ratio of long to short side must be at most %g:1",
                 m->max_ratio);
    else if (pixels < m->min_pixels || pixels > m->max_pixels)
        snprintf(why, why_len, "the total must be %ld to %ld pixels (this is %ld)", m->min_pixels,
                 m->max_pixels, pixels);
    else
        return 0;
    return -1;
}

/* One candidate size and how far it is from what was asked, both on a log scale so that
 * wide and tall sizes are treated alike. */
typedef struct candidate {
    ea_size size;
    double ratio_err, area_err;
} candidate;

/* Calls visit for every size m takes that could be nearest to the ratio: for flexible sizes,
 * each valid height with the widths on either side of the exact ratio, and for ratios beyond
 * the model's limit the sizes at the limit. */
static void for_each_candidate(const ea_model_info *m, double ratio,
                               void (*visit)(candidate c, void *ctx), void *ctx)
{
    double want = log(ratio);
    if (!m->flexible_sizes) {
        for (size_t i = 0; i < sizeof standard_sizes / sizeof standard_sizes[0]; i++) {
            ea_size s = standard_sizes[i];
            visit((candidate){s, fabs(log((double)s.w / s.h) - want),
                              fabs(log((double)s.w * s.h / TARGET_PIXELS))}, ctx);
        }
        return;
    }
    if (ratio > m->max_ratio)
        ratio = m->max_ratio;
    if (ratio < 1.0 / m->max_ratio)
        ratio = 1.0 / m->max_ratio;
    char why[128];
    int step = m->edge_multiple;
    for (int h = step; h <= m->max_edge; h += step) {
        int lower = (int)(h * ratio / step) * step;
        for (int w = lower; w <= lower + step; w += step) {
            if (w <= 0 || ea_size_check(m, w, h, why, sizeof why) != 0)
                continue;
            visit((candidate){{EA_SIZE_EXACT, w, h}, fabs(log((double)w / h) - want),
                              fabs(log((double)w * h / TARGET_PIXELS))}, ctx);
        }
    }
}

static void keep_best_ratio(candidate c, void *ctx)
{
    double *best = ctx;
    if (c.ratio_err < *best)
        *best = c.ratio_err;
}

typedef struct area_pick {
    double ratio_limit;
    candidate best;
} area_pick;

static void keep_best_area(candidate c, void *ctx)
{
    area_pick *pick = ctx;
    if (c.ratio_err <= pick->ratio_limit && c.area_err < pick->best.area_err)
        pick->best = c;
}

/* Two passes, so the tolerance is measured from the best ratio and cannot drift: first the
 * closest ratio, then, among the sizes whose ratio is as close to within the tolerance, the
 * pixel count nearest the target. */
ea_size ea_size_for_ratio(const ea_model_info *m, int rw, int rh)
{
    double ratio = (double)rw / rh;
    double best_ratio_err = INFINITY;
    for_each_candidate(m, ratio, keep_best_ratio, &best_ratio_err);
    area_pick pick = {best_ratio_err + RATIO_TOLERANCE,
                      {standard_sizes[0], INFINITY, INFINITY}};
    for_each_candidate(m, ratio, keep_best_area, &pick);
    return pick.best.size;
}

void ea_size_format(ea_size s, char *out, size_t len)
{
    if (s.kind == EA_SIZE_AUTO)
        snprintf(out, len, "auto");
    else
        snprintf(out, len, "%d%c%d", s.w, s.kind == EA_SIZE_RATIO ? ':' : 'x', s.h);
}
