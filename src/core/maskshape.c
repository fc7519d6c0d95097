/* SPDX-License-Identifier: MIT */
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

static double mind(double a, double b)
{
    return a < b ? a : b;
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

bool ea_mask_equal(const ea_mask_shape *a, const ea_mask_shape *b)
{
    if (a->n != b->n || a->cur != b->cur || a->inverted != b->inverted)
        return false;
    for (int i = 0; i < a->n; i++) {
        const ea_mask_region *p = &a->r[i], *q = &b->r[i];
        if (p->kind != q->kind || p->cx != q->cx || p->cy != q->cy || p->w != q->w || p->h != q->h)
            return false;
    }
    return true;
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

/* Magenta is rare in pictures, so the tint reads as "this changes" over almost anything; the
 * black and light halves of a line keep it visible where either one blends in. */
const unsigned char ea_mask_tint_rgb[3] = {255, 0, 255};
const unsigned char ea_mask_edge_rgb[3] = {0, 0, 0};
const unsigned char ea_mask_current_rgb[3] = {255, 255, 0};
const unsigned char ea_mask_other_rgb[3] = {255, 255, 255};

/* True when the pixel centre (px, py), in pixels of a w x h picture, lies inside the region
 * shrunk by `in` pixels on every side: how deep inside its edge a pixel is. */
static bool inside_by(const ea_mask_region *r, double px, double py, int w, int h, double in)
{
    double dx = px - r->cx * w, dy = py - r->cy * h;
    double hw = r->w * w / 2 - in, hh = r->h * h / 2 - in;
    if (hw <= 0 || hh <= 0)
        return false;
    if (r->kind == EA_MASK_RECT)
        return dx >= -hw && dx < hw && dy >= -hh && dy < hh;
    double x = dx / hw, y = dy / hh;
    return x * x + y * y <= 1.0;
}

/* The outline's colour at a pixel, or NULL where no line passes. A region that runs off the
 * picture is closed along the picture's border, so the part that is repainted shows whole.
 * The current region wins; among the others, the later one. */
static const unsigned char *outline_at(const ea_mask_shape *m, int x, int y, int w, int h)
{
    double u = (x + 0.5) / w, v = (y + 0.5) / h, px = x + 0.5, py = y + 0.5;
    double to_border = mind(mind(px, w - px), mind(py, h - py));
    const unsigned char *c = NULL;
    for (int i = 0; i < m->n; i++) {
        const ea_mask_region *r = &m->r[i];
        /* The region itself by region_covers, so line and tint agree on its edge. */
        if (!region_covers(r, u, v) ||
            (inside_by(r, px, py, w, h, EA_MASK_OUTLINE_PX) && to_border >= EA_MASK_OUTLINE_PX))
            continue;
        if (!inside_by(r, px, py, w, h, EA_MASK_OUTLINE_PX / 2.0) || to_border < EA_MASK_OUTLINE_PX / 2.0)
            c = ea_mask_edge_rgb;
        else
            c = i == m->cur ? ea_mask_current_rgb : ea_mask_other_rgb;
        if (i == m->cur)
            break;
    }
    return c;
}

/* The regions that reach row y (pixel centres, with a pixel's margin), the current one kept
 * current: each pixel then tests only those, which makes many regions on a large picture
 * cost what their area costs rather than n times the picture. */
static void regions_on_row(const ea_mask_shape *m, int y, int h, ea_mask_shape *row)
{
    double v = (y + 0.5) / h, margin = 1.0 / h;
    row->n = 0;
    row->cur = -1;
    row->inverted = m->inverted;
    for (int i = 0; i < m->n; i++) {
        const ea_mask_region *r = &m->r[i];
        if (v < r->cy - r->h / 2 - margin || v > r->cy + r->h / 2 + margin)
            continue;
        if (i == m->cur)
            row->cur = row->n;
        row->r[row->n++] = *r;
    }
}

void ea_mask_overlay(const ea_mask_shape *m, int w, int h, unsigned char *rgba)
{
    ea_mask_shape row;
    for (int y = 0; y < h; y++) {
        regions_on_row(m, y, h, &row);
        for (int x = 0; x < w; x++) {
            unsigned char *p = rgba + ((size_t)y * (size_t)w + (size_t)x) * 4;
            const unsigned char *line = outline_at(&row, x, y, w, h);
            if (line) {
                memcpy(p, line, 3);
            } else if (ea_mask_covers(&row, (x + 0.5) / w, (y + 0.5) / h)) {
                for (int c = 0; c < 3; c++)
                    p[c] = (unsigned char)((p[c] * (100 - EA_MASK_TINT_PCT) +
                                            ea_mask_tint_rgb[c] * EA_MASK_TINT_PCT + 50) / 100);
            }
        }
    }
}

const char *ea_mask_describe(const ea_mask_region *r, char *out, size_t size)
{
    snprintf(out, size, "%s %.0f%%,%.0f%% %.0fx%.0f%%", r->kind == EA_MASK_RECT ? "rect" : "ellipse",
             r->cx * 100, r->cy * 100, r->w * 100, r->h * 100);
    return out;
}
