#include "easel/size.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pixel budget a ratio aims for: the standard square, which every price is quoted at. */
#define TARGET_PIXELS (1024.0 * 1024.0)
/* Ratios within this relative error count as equal; then the pixel count decides. */
#define RATIO_TOLERANCE 0.005

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

/* Smaller is better: ratio error first (ties within tolerance), then distance from the
 * target pixel count, both on a log scale so that wide and tall sizes are treated alike. */
static int better(double ratio_err, double area_err, double best_ratio_err, double best_area_err)
{
    if (ratio_err < best_ratio_err - RATIO_TOLERANCE)
        return 1;
    if (ratio_err > best_ratio_err + RATIO_TOLERANCE)
        return 0;
    return area_err < best_area_err;
}

ea_size ea_size_for_ratio(const ea_model_info *m, int rw, int rh)
{
    double want = log((double)rw / rh);
    ea_size best = standard_sizes[0];
    double best_ratio_err = INFINITY, best_area_err = INFINITY;
    char why[128];

    if (!m->flexible_sizes) {
        for (size_t i = 0; i < sizeof standard_sizes / sizeof standard_sizes[0]; i++) {
            ea_size s = standard_sizes[i];
            double re = fabs(log((double)s.w / s.h) - want);
            if (better(re, 0, best_ratio_err, best_area_err)) {
                best = s;
                best_ratio_err = re;
                best_area_err = 0;
            }
        }
        return best;
    }
    /* Every valid height, with the widths on either side of the exact ratio. */
    int step = m->edge_multiple;
    for (int h = step; h <= m->max_edge; h += step) {
        double exact_w = h * ((double)rw / rh);
        int lower = (int)(exact_w / step) * step;
        for (int w = lower; w <= lower + step; w += step) {
            if (w <= 0 || ea_size_check(m, w, h, why, sizeof why) != 0)
                continue;
            double re = fabs(log((double)w / h) - want);
            double ae = fabs(log((double)w * h / TARGET_PIXELS));
            if (better(re, ae, best_ratio_err, best_area_err)) {
                best = (ea_size){EA_SIZE_EXACT, w, h};
                best_ratio_err = re;
                best_area_err = ae;
            }
        }
    }
    return best;
}

void ea_size_format(ea_size s, char *out, size_t len)
{
    if (s.kind == EA_SIZE_AUTO)
        snprintf(out, len, "auto");
    else
        snprintf(out, len, "%d%c%d", s.w, s.kind == EA_SIZE_RATIO ? ':' : 'x', s.h);
}
