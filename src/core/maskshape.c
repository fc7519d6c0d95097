#include "easel/maskshape.h"

#include <stdio.h>
#include <string.h>

void ea_mask_init(ea_mask_shape *m)
{
    memset(m, 0, sizeof *m);
    m->cur = -1;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Keeps a region's size within [MIN, 1] and its centre on the image. */
static void fit(ea_mask_region *r)
{
    r->w = clampd(r->w, EA_MASK_MIN, 1.0);
    r->h = clampd(r->h, EA_MASK_MIN, 1.0);
    r->cx = clampd(r->cx, 0.0, 1.0);
    r->cy = clampd(r->cy, 0.0, 1.0);
}

int ea_mask_add(ea_mask_shape *m, enum ea_mask_kind kind)
{
    if (m->n >= EA_MASK_MAX_REGIONS)
        return -1;
    m->r[m->n] = (ea_mask_region){.kind = kind, .cx = 0.5, .cy = 0.5, .w = 0.4, .h = 0.4};
    m->cur = m->n++;
    return m->cur;
}

void ea_mask_move(ea_mask_shape *m, double dx, double dy)
{
    if (m->cur < 0 || m->cur >= m->n)
        return;
    m->r[m->cur].cx += dx;
    m->r[m->cur].cy += dy;
    fit(&m->r[m->cur]);
}

void ea_mask_resize(ea_mask_shape *m, double dw, double dh)
{
    if (m->cur < 0 || m->cur >= m->n)
        return;
    m->r[m->cur].w += dw;
    m->r[m->cur].h += dh;
    fit(&m->r[m->cur]);
}

void ea_mask_next(ea_mask_shape *m)
{
    if (m->n > 0)
        m->cur = (m->cur + 1) % m->n;
}

void ea_mask_delete(ea_mask_shape *m)
{
    if (m->cur < 0 || m->cur >= m->n)
        return;
    memmove(&m->r[m->cur], &m->r[m->cur + 1], (size_t)(m->n - m->cur - 1) * sizeof m->r[0]);
    m->n--;
    if (m->cur >= m->n)
        m->cur = m->n - 1;
}

static bool region_covers(const ea_mask_region *r, double u, double v)
{
    double dx = u - r->cx, dy = v - r->cy, hw = r->w / 2, hh = r->h / 2;
    if (r->kind == EA_MASK_RECT)
        return dx >= -hw && dx < hw && dy >= -hh && dy < hh;
    double x = dx / hw, y = dy / hh;
    return x * x + y * y <= 1.0;
}

bool ea_mask_covers(const ea_mask_shape *m, double u, double v)
{
    bool in = false;
    for (int i = 0; i < m->n && !in; i++)
        in = region_covers(&m->r[i], u, v);
    return in != m->inverted;
}

void ea_mask_rasterise(const ea_mask_shape *m, int w, int h, unsigned char *rgba)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char c = ea_mask_covers(m, (x + 0.5) / w, (y + 0.5) / h) ? 255 : 0;
            unsigned char *p = rgba + ((size_t)y * (size_t)w + (size_t)x) * 4;
            p[0] = p[1] = p[2] = c;
            p[3] = 255;
        }
}

const char *ea_mask_describe(const ea_mask_region *r, char *out, size_t size)
{
    snprintf(out, size, "%s %.0f%%,%.0f%% %.0fx%.0f%%", r->kind == EA_MASK_RECT ? "rect" : "ellipse",
             r->cx * 100, r->cy * 100, r->w * 100, r->h * 100);
    return out;
}
