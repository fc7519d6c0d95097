/* SPDX-License-Identifier: MIT */
/* Pictures as net/ sees them (pictures.h): nothing is a picture until the program plugs gfx's
 * table in, and then sniffing, probing and masks go through it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "easel/image.h"
#include "easel/pictures.h"

static void encoded_png(int w, int h, ea_buf *out)
{
    ea_image img = {0};
    ea_err err = {0};
    assert_int_equal(ea_image_alloc(&img, w, h), 0);
    memset(img.rgba, 0x80, (size_t)w * h * 4);
    ea_buf_init(out, EA_BUF_UNCAPPED);
    assert_int_equal(ea_image_encode(&img, "png", 100, true, out, &err), 0);
    ea_image_free(&img);
}

static void unplugged_nothing_is_a_picture(void **state)
{
    (void)state;
    ea_buf png;
    encoded_png(3, 2, &png);
    ea_err err = {0};
    ea_pictures_use(NULL);
    assert_null(ea_picture_sniff(png.data, png.len));
    int w = 0, h = 0;
    assert_int_equal(ea_picture_probe(png.data, png.len, NULL, &w, &h, &err), -1);
    assert_non_null(strstr(err.msg, "no pictures"));
    ea_buf mask;
    assert_int_equal(ea_picture_mask_to_alpha_png("m.png", "i.png", &mask, &err), -1);
    assert_non_null(strstr(err.msg, "mask 'm.png'"));
    ea_buf_free(&png);
}

static void plugged_goes_through_gfx(void **state)
{
    (void)state;
    ea_buf png;
    encoded_png(3, 2, &png);
    ea_pictures_use(&ea_image_pictures);
    assert_string_equal(ea_picture_sniff(png.data, png.len), "png");
    const char *format = NULL;
    int w = 0, h = 0;
    ea_err err = {0};
    assert_int_equal(ea_picture_probe(png.data, png.len, &format, &w, &h, &err), 0);
    assert_string_equal(format, "png");
    assert_int_equal(w, 3);
    assert_int_equal(h, 2);
    ea_pictures_use(NULL);
    ea_buf_free(&png);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unplugged_nothing_is_a_picture),
        cmocka_unit_test(plugged_goes_through_gfx),
    };
    return cmocka_run_group_tests_name("pictures", tests, NULL, NULL);
}
