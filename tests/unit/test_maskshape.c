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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rect_covers_its_pixels),
        cmocka_unit_test(test_ellipse_centre_in_corners_out),
        cmocka_unit_test(test_invert_flips),
        cmocka_unit_test(test_regions_union),
        cmocka_unit_test(test_stays_on_the_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
