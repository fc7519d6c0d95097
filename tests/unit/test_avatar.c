/* SPDX-License-Identifier: MIT */
/* avatar: the avatar sheet's layout, from the full six renditions down to a lone 32 px square. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "easel/avatar.h"

/* No two renditions overlap, each lies inside the sheet, and a gap of EA_AVATAR_GAP or more
 * separates neighbours on the same line. */
static void assert_sane(const ea_avatar_sheet *s, int w, int h)
{
    assert_int_equal(s->n, s->squares + s->circles);
    for (int i = 0; i < s->n; i++) {
        const ea_avatar_spot *a = &s->spot[i];
        assert_true(a->x >= 0 && a->y >= 0 && a->x + a->px <= w && a->y + a->px <= h);
        for (int j = i + 1; j < s->n; j++) {
            const ea_avatar_spot *b = &s->spot[j];
            bool apart = a->x + a->px + EA_AVATAR_GAP <= b->x || b->x + b->px + EA_AVATAR_GAP <= a->x ||
                         a->y + a->px + EA_AVATAR_GAP <= b->y || b->y + b->px + EA_AVATAR_GAP <= a->y;
            assert_true(apart);
        }
    }
}

static int count(const ea_avatar_sheet *s, int px, bool circle)
{
    int n = 0;
    for (int i = 0; i < s->n; i++)
        n += s->spot[i].px == px && s->spot[i].circle == circle;
    return n;
}

static void test_wide_box_one_row_of_six(void **state)
{
    (void)state;
    ea_avatar_sheet s;
    /* 32+16+64+16+128 = 256 a shape, 16 between: 528 x 128. */
    assert_int_equal(ea_avatar_layout(528, 128, &s), 0);
    assert_int_equal(s.n, 6);
    assert_true(s.one_row);
    assert_sane(&s, 528, 128);
    /* Bottoms on one baseline; the circles start after the squares and a gap. */
    assert_int_equal(s.spot[0].x, 0);
    assert_int_equal(s.spot[0].y, 96);
    assert_int_equal(s.spot[2].y, 0);
    assert_int_equal(s.spot[3].x, 272);
    assert_true(s.spot[3].circle);
    char text[160];
    ea_avatar_describe(&s, text, sizeof text);
    assert_string_equal(text, "avatar sizes 32, 64, 128 px · square and circle");
}

static void test_tall_box_circles_under_squares(void **state)
{
    (void)state;
    ea_avatar_sheet s;
    assert_int_equal(ea_avatar_layout(527, 272, &s), 0);
    assert_int_equal(s.n, 6);
    assert_false(s.one_row);
    assert_sane(&s, 527, 272);
    assert_int_equal(s.spot[5].x, 128);
    assert_int_equal(s.spot[5].y, 144);
}

/* xterm with 8x17-pixel cells (issue 11): a 432x255 box takes five, the round 128 left out. */
static void test_small_box_leaves_out_the_big_circle(void **state)
{
    (void)state;
    ea_avatar_sheet s;
    assert_int_equal(ea_avatar_layout(432, 252, &s), 0);
    assert_int_equal(s.squares, 3);
    assert_int_equal(s.circles, 2);
    assert_int_equal(count(&s, 128, true), 0);
    assert_int_equal(count(&s, 64, true), 1);
    assert_int_equal(count(&s, 32, false), 1);
    assert_sane(&s, 432, 252);
    char text[160];
    ea_avatar_describe(&s, text, sizeof text);
    assert_string_equal(text, "avatar, no room for 128 px circle · 32, 64, 128 px; circle 32, 64 px");
}

static void test_smaller_boxes_drop_the_largest_size_first(void **state)
{
    (void)state;
    ea_avatar_sheet s;
    char text[160];
    /* 240 x 64: 32 and 64 in both shapes on one line. */
    assert_int_equal(ea_avatar_layout(250, 100, &s), 0);
    assert_int_equal(s.squares, 2);
    assert_int_equal(s.circles, 2);
    assert_sane(&s, 250, 100);
    ea_avatar_describe(&s, text, sizeof text);
    assert_string_equal(text, "avatar, no room for 128 px square and circle · 32, 64 px; circle 32, 64 px");
    /* 112 x 144 holds the same four on two lines. */
    assert_int_equal(ea_avatar_layout(112, 144, &s), 0);
    assert_int_equal(s.n, 4);
    assert_false(s.one_row);
    assert_sane(&s, 112, 144);
    /* 160 x 64: no room for both 64s; the 64 square stays, beside both 32s. */
    assert_int_equal(ea_avatar_layout(160, 64, &s), 0);
    assert_int_equal(s.squares, 2);
    assert_int_equal(s.circles, 1);
    assert_sane(&s, 160, 64);
    ea_avatar_describe(&s, text, sizeof text);
    assert_string_equal(text, "avatar, no room for 128 px square and circle, 64 px circle · 32, 64 px; circle 32 px");
    assert_int_equal(ea_avatar_layout(80, 32, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(ea_avatar_layout(40, 40, &s), 0);
    assert_int_equal(s.n, 1);
    ea_avatar_describe(&s, text, sizeof text);
    assert_string_equal(text, "avatar, no room for 64, 128 px square and circle, 32 px circle · 32 px square");
}

static void test_too_small_for_anything(void **state)
{
    (void)state;
    ea_avatar_sheet s;
    assert_int_equal(ea_avatar_layout(31, 500, &s), -1);
    assert_int_equal(ea_avatar_layout(500, 31, &s), -1);
    assert_int_equal(ea_avatar_layout(0, 0, &s), -1);
    assert_int_equal(ea_avatar_layout(-5, 100, &s), -1);
    assert_int_equal(s.n, 0);
}

/* Every box from 0 to 600 a side gets a sane layout, and a larger box never shows fewer. */
static void test_every_box_is_sane_and_monotonic(void **state)
{
    (void)state;
    for (int w = 0; w <= 600; w += 3)
        for (int h = 0; h <= 300; h += 3) {
            ea_avatar_sheet s, wider, taller;
            if (ea_avatar_layout(w, h, &s) != 0)
                continue;
            assert_sane(&s, w, h);
            assert_int_equal(ea_avatar_layout(w + 3, h, &wider), 0);
            assert_int_equal(ea_avatar_layout(w, h + 3, &taller), 0);
            assert_true(wider.n >= s.n && taller.n >= s.n);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wide_box_one_row_of_six),
        cmocka_unit_test(test_tall_box_circles_under_squares),
        cmocka_unit_test(test_small_box_leaves_out_the_big_circle),
        cmocka_unit_test(test_smaller_boxes_drop_the_largest_size_first),
        cmocka_unit_test(test_too_small_for_anything),
        cmocka_unit_test(test_every_box_is_sane_and_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
