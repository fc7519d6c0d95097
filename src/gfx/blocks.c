/* SPDX-License-Identifier: MIT */
/* blocks: the fallback that works on every terminal: each cell shows two pixels, the upper
 * half block (U+2580) in the foreground colour over the background colour, in 24-bit colour
 * or the xterm 256-colour palette. Colours are sent only when they change along a row, and a
 * cell whose two halves agree is a space on its background. Pixels with alpha below 128 show
 * the terminal's own background. */
#include <stdint.h>
#include <stdlib.h>

#include "easel/gfx.h"
#include "gfx_internal.h"

enum { NO_COLOR = -1 }; /* the terminal's default colour */

static const int cube_levels[6] = {0, 95, 135, 175, 215, 255};

static int nearest_level(int v)
{
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (abs(v - cube_levels[i]) < abs(v - cube_levels[best]))
            best = i;
    return best;
}

static int dist2(int r, int g, int b, int r2, int g2, int b2)
{
    return (r - r2) * (r - r2) + (g - g2) * (g - g2) + (b - b2) * (b - b2);
}

/* The nearest of xterm's 6x6x6 cube (16-231) and grey ramp (232-255). Indexes 0-15 are left
 * out: every terminal theme redefines them. */
static int xterm256(int r, int g, int b)
{
    int ri = nearest_level(r), gi = nearest_level(g), bi = nearest_level(b);
    int cube = 16 + 36 * ri + 6 * gi + bi;
    int cube_d = dist2(r, g, b, cube_levels[ri], cube_levels[gi], cube_levels[bi]);
    int grey_i = ((r + g + b) / 3 - 3) / 10; /* greys are 8 + 10 i */
    grey_i = grey_i < 0 ? 0 : grey_i > 23 ? 23 : grey_i;
    int grey = 8 + 10 * grey_i;
    return dist2(r, g, b, grey, grey, grey) < cube_d ? 232 + grey_i : cube;
}

/* A pixel as the colour value the protocol sends: packed RGB, a palette index, or none. */
static long pixel_color(const unsigned char *p, bool palette256)
{
    if (p[3] < 128)
        return NO_COLOR;
    if (palette256)
        return xterm256(p[0], p[1], p[2]);
    return (long)p[0] << 16 | (long)p[1] << 8 | p[2];
}

/* Appends the SGR parameters that set fg (base 38) or bg (base 48): "38;2;r;g;b",
 * "38;5;n", or "39" for the default; sep is the separator before them ("" or ";"). */
static int put_color(ea_buf *out, const char *sep, int base, long color, bool palette256)
{
    if (color == NO_COLOR)
        return ea_buf_printf(out, "%s%d", sep, base + 1);
    if (palette256)
        return ea_buf_printf(out, "%s%d;5;%ld", sep, base, color);
    return ea_buf_printf(out, "%s%d;2;%ld;%ld;%ld", sep, base, color >> 16, (color >> 8) & 255,
                         color & 255);
}

int ea_gfx_blocks_encode(const ea_image *half_cells, const ea_gfx_options *opt, ea_buf *out,
                         ea_err *err)
{
    int w = half_cells->w, rows = (half_cells->h + 1) / 2;
    bool p256 = opt->blocks_256;
    for (int row = 0; row < rows; row++) {
        if (ea_gfx_row_start(out, opt, row) != 0)
            goto oom;
        const unsigned char *top = half_cells->rgba + (size_t)(2 * row) * (size_t)w * 4;
        const unsigned char *bottom = 2 * row + 1 < half_cells->h ? top + (size_t)w * 4 : NULL;
        long fg = NO_COLOR, bg = NO_COLOR; /* what the terminal has after ESC[0m */
        for (int x = 0; x < w; x++) {
            long t = pixel_color(top + (size_t)x * 4, p256);
            long b = bottom ? pixel_color(bottom + (size_t)x * 4, p256) : NO_COLOR;
            long want_fg, want_bg;
            const char *glyph;
            if (t == b) { /* one colour (or none): a space on it; the foreground is moot */
                want_fg = fg, want_bg = t, glyph = " ";
            } else if (t == NO_COLOR) { /* only the lower half: the lower block */
                want_fg = b, want_bg = NO_COLOR, glyph = "\u2584";
            } else {
                want_fg = t, want_bg = b, glyph = "\u2580";
            }
            /* Only what changed: one SGR with the foreground, the background or both. */
            if (want_fg != fg || want_bg != bg) {
                bool both = want_fg != fg && want_bg != bg;
                if (ea_buf_puts(out, "\033[") != 0 ||
                    (want_fg != fg && put_color(out, "", 38, want_fg, p256) != 0) ||
                    (want_bg != bg && put_color(out, both ? ";" : "", 48, want_bg, p256) != 0) ||
                    ea_buf_putc(out, 'm') != 0)
                    goto oom;
                fg = want_fg, bg = want_bg;
            }
            if (ea_buf_puts(out, glyph) != 0)
                goto oom;
        }
        /* Reset before the line ends, or the newline would paint the rest of it in bg. */
        if (ea_buf_puts(out, "\033[0m") != 0)
            goto oom;
    }
    if (ea_gfx_flow_end(out, opt) != 0)
        goto oom;
    return 0;
oom:
    return ea_err_set(err, EA_EXIT_INTERNAL, "blocks: output too large or out of memory");
}
