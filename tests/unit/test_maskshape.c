/* SPDX-License-Identifier: MIT */
/* maskshape: regions drawn with the keyboard, rasterised into an edit mask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "easel/maskshape.h"

#define W 100
#define H 50
#define MOVE 0.05

static unsigned char px(const unsigned char *rgba, int x, int y)
{
    return rgba[((size_t)y * W + (size_t)x) * 4];
}

static size_t count_white(const unsigned char *rgba)
{
    size_t n = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            n += px(rgba, x, y) == 255;
    return n;
}

static void test_rect_covers_its_pixels(void **state)
{
    (void)state;
    ea_mask_shape m;
    ea_mask_init(&m);
    assert_int_equal(ea_mask_add(&m, EA_MASK_RECT), 0);
    /* Centred, 40% x 40%: x 30..69, y 15..34 on 100x50. */
    static unsigned char rgba[W * H * 4];
    ea_mask_rasterise(&m, W, H, rgba);
    assert_int_equal(count_white(rgba), 40 * 20);
    assert_int_equal(px(rgba, 30, 15), 255);
    assert_int_equal(px(rgba, 69, 34), 255);
    assert_int_equal(px(rgba, 29, 15), 0);
    assert_int_equal(px(rgba, 70, 34), 0);
    assert_int_equal(px(rgba, 30, 35), 0);
    assert_int_equal(rgba[3], 255); /* opaque everywhere */
    /* Moved right by 10%: x 40..79. */
    ea_mask_move(&m, 0.1, 0);
    ea_mask_rasterise(&m, W, H, rgba);
    assert_int_equal(count_white(rgba), 40 * 20);
    assert_int_equal(px(rgba, 40, 20), 255);
    assert_int_equal(px(rgba, 39, 20), 0);
    assert_int_equal(px(rgba, 79, 20), 255);
    /* Resized: 60% wide. */
    ea_mask_resize(&m, 0.2, 0);
    ea_mask_rasterise(&m, W, H, rgba);
    assert_int_equal(count_white(rgba), 60 * 20);
}

static void test_ellipse_centre_in_corners_out(void **state)
{
    (void)state;
    ea_mask_shape m;
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_ELLIPSE);
    ea_mask_resize(&m, 0.6, 0.6); /* the whole image */
    static unsigned char rgba[W * H * 4];
    ea_mask_rasterise(&m, W, H, rgba);
    assert_int_equal(px(rgba, 50, 25), 255);
    assert_int_equal(px(rgba, 0, 0), 0);
    assert_int_equal(px(rgba, W - 1, 0), 0);
    assert_int_equal(px(rgba, 0, H - 1), 0);
    assert_int_equal(px(rgba, W - 1, H - 1), 0);
    size_t n = count_white(rgba); /* about pi/4 of the image */
    assert_true(n > W * H * 0.75 && n < W * H * 0.82);
}

static void test_invert_flips(void **state)
{
    (void)state;
    ea_mask_shape m;
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_RECT);
    static unsigned char a[W * H * 4], b[W * H * 4];
    ea_mask_rasterise(&m, W, H, a);
    m.inverted = true;
    ea_mask_rasterise(&m, W, H, b);
    for (size_t i = 0; i < sizeof a; i += 4)
        assert_int_equal(a[i], 255 - b[i]);
    assert_int_equal(count_white(b), W * H - 40 * 20);
    /* No region at all: nothing repainted, or everything once inverted. */
    ea_mask_init(&m);
    ea_mask_rasterise(&m, W, H, a);
    assert_int_equal(count_white(a), 0);
    m.inverted = true;
    ea_mask_rasterise(&m, W, H, a);
    assert_int_equal(count_white(a), W * H);
}

static void test_regions_union(void **state)
{
    (void)state;
    ea_mask_shape m;
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_RECT);
    ea_mask_move(&m, -0.3, 0);    /* x 0..39 */
    ea_mask_add(&m, EA_MASK_RECT);
    ea_mask_move(&m, 0.1, 0);     /* x 40..79: touching, not overlapping */
    ea_mask_add(&m, EA_MASK_RECT);
    ea_mask_move(&m, 0.2, 0);     /* x 50..89: overlaps the second */
    assert_int_equal(m.n, 3);
    static unsigned char rgba[W * H * 4];
    ea_mask_rasterise(&m, W, H, rgba);
    assert_int_equal(count_white(rgba), 90 * 20);
    /* Tab cycles, x deletes the current region. */
    ea_mask_next(&m);
    assert_int_equal(m.cur, 0);
    ea_mask_next(&m);
    ea_mask_next(&m);
    ea_mask_delete(&m); /* the third */
    assert_int_equal(m.n, 2);
    assert_int_equal(m.cur, 1);
    ea_mask_rasterise(&m, W, H, rgba);
    assert_int_equal(count_white(rgba), 80 * 20);
}

static void test_stays_on_the_image(void **state)
{
    (void)state;
    ea_mask_shape m;
    ea_mask_init(&m);
    ea_mask_move(&m, 0.1, 0); /* no region: nothing happens */
    ea_mask_add(&m, EA_MASK_RECT);
    for (int i = 0; i < 50; i++) {
        ea_mask_move(&m, 0.1, 0.1);
        ea_mask_resize(&m, -0.1, -0.1);
    }
    assert_true(m.r[0].cx <= 1.0 && m.r[0].cy <= 1.0);
    assert_true(m.r[0].w >= EA_MASK_MIN && m.r[0].h >= EA_MASK_MIN);
    for (int i = 0; i < EA_MASK_MAX_REGIONS - 1; i++)
        assert_true(ea_mask_add(&m, EA_MASK_ELLIPSE) >= 0);
    assert_int_equal(ea_mask_add(&m, EA_MASK_ELLIPSE), -1);
    char d[64];
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_ELLIPSE);
    assert_string_equal(ea_mask_describe(&m.r[0], d, sizeof d), "ellipse 50%,50% 40x40%");
}

static void test_equal_sees_every_change(void **state)
{
    (void)state;
    ea_mask_shape a, b;
    ea_mask_init(&a);
    ea_mask_init(&b);
    assert_true(ea_mask_equal(&a, &b));
    ea_mask_add(&a, EA_MASK_RECT);
    assert_false(ea_mask_equal(&a, &b));
    ea_mask_add(&b, EA_MASK_RECT);
    assert_true(ea_mask_equal(&a, &b));
    ea_mask_move(&a, MOVE, 0);
    assert_false(ea_mask_equal(&a, &b));
    ea_mask_move(&b, MOVE, 0);
    assert_true(ea_mask_equal(&a, &b));
    ea_mask_resize(&b, 0, MOVE);
    assert_false(ea_mask_equal(&a, &b));
    b = a;
    b.inverted = true;
    assert_false(ea_mask_equal(&a, &b));
    b = a;
    b.r[0].kind = EA_MASK_ELLIPSE;
    assert_false(ea_mask_equal(&a, &b));
    ea_mask_add(&a, EA_MASK_RECT);
    b = a;
    ea_mask_next(&b); /* only the current region differs */
    assert_false(ea_mask_equal(&a, &b));
    /* What lies beyond n does not count. */
    b = a;
    b.r[EA_MASK_MAX_REGIONS - 1].cx = 0.25;
    assert_true(ea_mask_equal(&a, &b));
}

/* ---- The overlay on the preview's picture ------------------------------------------------- */

static const unsigned char grey[4] = {100, 150, 200, 77}; /* alpha 77: the overlay keeps it */

static unsigned char *picture_new(int w, int h)
{
    unsigned char *rgba = malloc((size_t)w * (size_t)h * 4 + 1); /* +1: never 0 bytes */
    assert_non_null(rgba);
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
        memcpy(rgba + i * 4, grey, 4);
    return rgba;
}

static const unsigned char *at(const unsigned char *rgba, int x, int y)
{
    return rgba + ((size_t)y * W + (size_t)x) * 4;
}

/* Grey tinted 40% with magenta, rounded: (100*60 + 255*40) / 100 and so on. */
static const unsigned char tinted[3] = {162, 90, 222};

static void assert_rgb(const unsigned char *p, const unsigned char *rgb)
{
    assert_int_equal(p[0], rgb[0]);
    assert_int_equal(p[1], rgb[1]);
    assert_int_equal(p[2], rgb[2]);
    assert_int_equal(p[3], grey[3]);
}

static void test_overlay_tints_inside_and_outlines_the_edge(void **state)
{
    (void)state;
    ea_mask_shape m;
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_RECT); /* x 30..69, y 15..34 */
    unsigned char *rgba = picture_new(W, H);
    ea_mask_overlay(&m, W, H, rgba);
    assert_rgb(at(rgba, 50, 25), tinted);
    assert_rgb(at(rgba, 32, 17), tinted); /* just inside the line */
    assert_rgb(at(rgba, 10, 10), grey);
    assert_rgb(at(rgba, 29, 25), grey);   /* just outside the left edge */
    assert_rgb(at(rgba, 70, 25), grey);
    assert_rgb(at(rgba, 50, 14), grey);
    assert_rgb(at(rgba, 50, 35), grey);
    /* Two pixels deep on every side: the edge colour outside, the current colour inside. */
    assert_rgb(at(rgba, 30, 25), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 31, 25), ea_mask_current_rgb);
    assert_rgb(at(rgba, 69, 25), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 68, 25), ea_mask_current_rgb);
    assert_rgb(at(rgba, 50, 15), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 50, 16), ea_mask_current_rgb);
    assert_rgb(at(rgba, 50, 34), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 50, 33), ea_mask_current_rgb);
    assert_rgb(at(rgba, 30, 15), ea_mask_edge_rgb); /* the corner is closed */
    assert_rgb(at(rgba, 31, 16), ea_mask_current_rgb);
    /* Every pixel is one of the four: untouched, tinted, or one of the line's two colours. */
    size_t lines = 0, tints = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const unsigned char *p = at(rgba, x, y);
            lines += p[1] == ea_mask_edge_rgb[1] || p[1] == ea_mask_current_rgb[1];
            tints += p[1] == tinted[1];
        }
    assert_int_equal(lines + tints, 40 * 20);  /* the region, the line included */
    assert_int_equal(tints, 36 * 16);
    free(rgba);
}

static void test_overlay_marks_the_current_region(void **state)
{
    (void)state;
    ea_mask_shape m;
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_RECT);
    ea_mask_move(&m, -0.25, 0);   /* x 5..44 */
    ea_mask_add(&m, EA_MASK_RECT);
    ea_mask_move(&m, 0.25, 0);    /* x 55..94, the current one */
    unsigned char *rgba = picture_new(W, H);
    ea_mask_overlay(&m, W, H, rgba);
    assert_rgb(at(rgba, 6, 25), ea_mask_other_rgb);
    assert_rgb(at(rgba, 56, 25), ea_mask_current_rgb);
    assert_rgb(at(rgba, 5, 25), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 55, 25), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 50, 25), grey); /* between them */
    ea_mask_next(&m);                   /* the first becomes the current one */
    free(rgba);
    rgba = picture_new(W, H);
    ea_mask_overlay(&m, W, H, rgba);
    assert_rgb(at(rgba, 6, 25), ea_mask_current_rgb);
    assert_rgb(at(rgba, 56, 25), ea_mask_other_rgb);
    /* Where lines cross, the current region's is on top, first or last in the list. */
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_RECT);
    ea_mask_add(&m, EA_MASK_RECT); /* the same place */
    for (int cur = 0; cur < 2; cur++) {
        m.cur = cur;
        free(rgba);
        rgba = picture_new(W, H);
        ea_mask_overlay(&m, W, H, rgba);
        assert_rgb(at(rgba, 31, 25), ea_mask_current_rgb);
    }
    m.cur = -1;
    free(rgba);
    rgba = picture_new(W, H);
    ea_mask_overlay(&m, W, H, rgba);
    assert_rgb(at(rgba, 31, 25), ea_mask_other_rgb);
    free(rgba);
}

static void test_overlay_inverted_tints_outside(void **state)
{
    (void)state;
    ea_mask_shape m;
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_RECT);
    m.inverted = true;
    unsigned char *rgba = picture_new(W, H);
    ea_mask_overlay(&m, W, H, rgba);
    assert_rgb(at(rgba, 50, 25), grey);
    assert_rgb(at(rgba, 10, 10), tinted);
    assert_rgb(at(rgba, 29, 25), tinted);
    assert_rgb(at(rgba, 0, 0), tinted);
    assert_rgb(at(rgba, W - 1, H - 1), tinted);
    /* The line still marks the region's edge. */
    assert_rgb(at(rgba, 30, 25), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 31, 25), ea_mask_current_rgb);
    assert_rgb(at(rgba, 32, 25), grey);
    /* No region, inverted: all of it is repainted, all of it tinted, and no line. */
    ea_mask_init(&m);
    m.inverted = true;
    free(rgba);
    rgba = picture_new(W, H);
    ea_mask_overlay(&m, W, H, rgba);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_rgb(at(rgba, x, y), tinted);
    free(rgba);
}

static void test_overlay_ellipse_leaves_the_corners(void **state)
{
    (void)state;
    ea_mask_shape m;
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_ELLIPSE); /* inside the box x 30..69, y 15..34 */
    unsigned char *rgba = picture_new(W, H);
    ea_mask_overlay(&m, W, H, rgba);
    assert_rgb(at(rgba, 50, 25), tinted);
    assert_rgb(at(rgba, 30, 25), ea_mask_edge_rgb); /* the ends of the axes */
    assert_rgb(at(rgba, 31, 25), ea_mask_current_rgb);
    assert_rgb(at(rgba, 69, 24), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 50, 15), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 50, 16), ea_mask_current_rgb);
    assert_rgb(at(rgba, 49, 34), ea_mask_edge_rgb);
    /* The box's corners, where a rectangle's line would be, are left alone. */
    assert_rgb(at(rgba, 30, 15), grey);
    assert_rgb(at(rgba, 31, 16), grey);
    assert_rgb(at(rgba, 69, 34), grey);
    assert_rgb(at(rgba, 33, 18), grey);
    free(rgba);
}

static void test_overlay_closes_a_region_at_the_border(void **state)
{
    (void)state;
    ea_mask_shape m;
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_RECT);
    ea_mask_move(&m, 1.0, 0); /* centred on the right border: x 80..119, half off */
    unsigned char *rgba = picture_new(W, H);
    ea_mask_overlay(&m, W, H, rgba);
    assert_rgb(at(rgba, 80, 25), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 81, 25), ea_mask_current_rgb);
    assert_rgb(at(rgba, 90, 25), tinted);
    assert_rgb(at(rgba, 98, 25), ea_mask_current_rgb);
    assert_rgb(at(rgba, W - 1, 25), ea_mask_edge_rgb);
    assert_rgb(at(rgba, 79, 25), grey);
    free(rgba);
}

/* A picture one pixel wide or high (the preview squeezed) is drawn on without a byte outside
 * it: the buffers are exactly w * h * 4 (+1), so AddressSanitizer sees any overrun. */
static void test_overlay_tiny_pictures(void **state)
{
    (void)state;
    static const int sizes[][2] = {{1, 1}, {1, 50}, {100, 1}, {2, 2}, {3, 1}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int w = sizes[k][0], h = sizes[k][1];
        for (int variant = 0; variant < 4; variant++) {
            ea_mask_shape m;
            ea_mask_init(&m);
            ea_mask_add(&m, variant % 2 ? EA_MASK_ELLIPSE : EA_MASK_RECT);
            ea_mask_add(&m, EA_MASK_RECT);
            ea_mask_move(&m, 0.5, 0.5);
            m.inverted = variant >= 2;
            unsigned char *rgba = picture_new(w, h);
            ea_mask_overlay(&m, w, h, rgba);
            for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
                assert_int_equal(rgba[i * 4 + 3], grey[3]);
            free(rgba);
        }
    }
    /* 100 x 1: the region's row is all line (within a pixel of the picture's border), black. */
    ea_mask_shape m;
    ea_mask_init(&m);
    ea_mask_add(&m, EA_MASK_RECT);
    unsigned char *rgba = picture_new(100, 1);
    ea_mask_overlay(&m, 100, 1, rgba);
    assert_rgb(rgba + 29 * 4, grey);
    assert_rgb(rgba + 30 * 4, ea_mask_edge_rgb);
    assert_rgb(rgba + 50 * 4, ea_mask_edge_rgb);
    assert_rgb(rgba + 70 * 4, grey);
    free(rgba);
    ea_mask_overlay(&m, 0, 0, NULL); /* nothing to draw on */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rect_covers_its_pixels),
        cmocka_unit_test(test_ellipse_centre_in_corners_out),
        cmocka_unit_test(test_invert_flips),
        cmocka_unit_test(test_regions_union),
        cmocka_unit_test(test_stays_on_the_image),
        cmocka_unit_test(test_equal_sees_every_change),
        cmocka_unit_test(test_overlay_tints_inside_and_outlines_the_edge),
        cmocka_unit_test(test_overlay_marks_the_current_region),
        cmocka_unit_test(test_overlay_inverted_tints_outside),
        cmocka_unit_test(test_overlay_ellipse_leaves_the_corners),
        cmocka_unit_test(test_overlay_closes_a_region_at_the_border),
        cmocka_unit_test(test_overlay_tiny_pictures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
