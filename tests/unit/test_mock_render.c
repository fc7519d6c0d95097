/* SPDX-License-Identifier: MIT */
/* Unit tests for the mock backend's pictures: deterministic, distinguishable, edits derived
 * from their source and faithful to the mask, partial frames that converge on the final. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cmocka.h>
#include <math.h>

#include "easel/mock_render.h"

#define SIDE 256

static void render_ok(const ea_mock_scene *scene, ea_image *out)
{
    ea_err err = {0};
    if (ea_mock_render(scene, out, &err) != 0)
        fail_msg("render: %s", err.msg);
    assert_int_equal(out->w, scene->w);
    assert_int_equal(out->h, scene->h);
}

static void render_prompt(const char *prompt, int variant, ea_image *out)
{
    ea_mock_scene scene = {.prompt = prompt, .w = SIDE, .h = SIDE, .variant = variant};
    render_ok(&scene, out);
}

static const unsigned char *pixel(const ea_image *img, int x, int y)
{
    return img->rgba + ((size_t)y * (size_t)img->w + (size_t)x) * 4;
}

/* Mean absolute difference per colour channel over a rectangle, 0-255. */
static double mean_diff(const ea_image *a, const ea_image *b, int x0, int y0, int x1, int y1)
{
    double sum = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            for (int c = 0; c < 3; c++)
                sum += abs(pixel(a, x, y)[c] - pixel(b, x, y)[c]);
    return sum / ((double)(x1 - x0) * (y1 - y0) * 3);
}

static double whole_diff(const ea_image *a, const ea_image *b)
{
    return mean_diff(a, b, 0, 0, a->w, a->h);
}

/* Pearson correlation of the two images' luminance. */
static double correlation(const ea_image *a, const ea_image *b)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    size_t n = (size_t)a->w * (size_t)a->h;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = a->rgba + i * 4, *q = b->rgba + i * 4;
        double la = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        double lb = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
        sa += la, sb += lb, saa += la * la, sbb += lb * lb, sab += la * lb;
    }
    double cov = sab / n - (sa / n) * (sb / n);
    double va = saa / n - (sa / n) * (sa / n), vb = sbb / n - (sb / n) * (sb / n);
    return cov / sqrt(va * vb);
}

/* The banner along the bottom: its text is drawn in a warm yellow found nowhere else. */
static bool has_banner(const ea_image *img)
{
    int yellow = 0;
    for (int y = img->h - img->h / 20; y < img->h; y++)
        for (int x = 0; x < img->w; x++) {
            const unsigned char *p = pixel(img, x, y);
            yellow += p[0] > 200 && p[1] > 170 && p[2] < 120 && p[3] == 255;
        }
    return yellow > 30;
}

static void test_same_prompt_same_pixels(void **state)
{
    (void)state;
    ea_image a, b;
    render_prompt("a red fox in the snow", 0, &a);
    render_prompt("a red fox in the snow", 0, &b);
    assert_memory_equal(a.rgba, b.rgba, (size_t)SIDE * SIDE * 4);
    assert_true(has_banner(&a));
    ea_image_free(&a);
    ea_image_free(&b);
}

static void test_different_prompts_differ_in_colour(void **state)
{
    (void)state;
    ea_image a, b;
    /* Hues come from a hash, so two prompts in a dozen land close in colour (and differ in
     * shapes and words instead); these two are far apart, teal and orange. */
    render_prompt("a red fox in the snow", 0, &a);
    render_prompt("add a hot air balloon", 0, &b);
    double mean_a[3] = {0}, mean_b[3] = {0}, distance = 0;
    for (size_t i = 0; i < (size_t)SIDE * SIDE; i++)
        for (int c = 0; c < 3; c++) {
            mean_a[c] += a.rgba[i * 4 + c] / (double)(SIDE * SIDE);
            mean_b[c] += b.rgba[i * 4 + c] / (double)(SIDE * SIDE);
        }
    for (int c = 0; c < 3; c++)
        distance += fabs(mean_a[c] - mean_b[c]);
    assert_true(distance > 30.0); /* summed over R, G and B */
    ea_image_free(&a);
    ea_image_free(&b);
}

static void test_variants_differ(void **state)
{
    (void)state;
    ea_image a, b;
    render_prompt("a red fox in the snow", 0, &a);
    render_prompt("a red fox in the snow", 1, &b);
    assert_true(whole_diff(&a, &b) > 10.0);
    ea_image_free(&a);
    ea_image_free(&b);
}

static void test_transparent_background(void **state)
{
    (void)state;
    ea_mock_scene scene = {.prompt = "a sticker of a cat", .w = SIDE, .h = SIDE,
                           .transparent = true};
    ea_image img, opaque;
    render_ok(&scene, &img);
    scene.transparent = false;
    render_ok(&scene, &opaque);
    size_t clear = 0, solid = 0;
    for (size_t i = 0; i < (size_t)SIDE * SIDE; i++) {
        clear += img.rgba[i * 4 + 3] == 0;
        solid += opaque.rgba[i * 4 + 3] == 255;
    }
    assert_true(clear > (size_t)SIDE * SIDE / 4); /* the background is see-through ... */
    assert_true(clear < (size_t)SIDE * SIDE);     /* ... the shapes are not */
    assert_int_equal(solid, (size_t)SIDE * SIDE);
    assert_true(has_banner(&img));
    ea_image_free(&img);
    ea_image_free(&opaque);
}

static void test_edit_is_derived_from_its_source(void **state)
{
    (void)state;
    ea_image source, edit, fresh;
    render_prompt("a red fox in the snow", 0, &source);
    render_prompt("add a hot air balloon", 0, &fresh);
    ea_mock_scene scene = {.prompt = "add a hot air balloon", .w = SIDE, .h = SIDE,
                           .source = &source};
    render_ok(&scene, &edit);
    /* Visibly changed, yet far nearer the source than a fresh picture of the new prompt. */
    double changed = whole_diff(&edit, &source), unrelated = whole_diff(&fresh, &source);
    assert_true(changed > 8.0);
    assert_true(changed < 0.6 * unrelated);
    assert_true(correlation(&edit, &source) > 0.6);
    assert_true(correlation(&edit, &source) > correlation(&fresh, &source) + 0.05);
    assert_true(has_banner(&edit));
    ea_image_free(&edit);

    /* A source of another size and shape is stretched to the output. */
    ea_image small;
    ea_err err = {0};
    assert_int_equal(ea_image_resize(&source, 100, 60, &small, &err), 0);
    scene.source = &small;
    render_ok(&scene, &edit);
    assert_true(correlation(&edit, &source) > 0.4);
    ea_image_free(&edit);
    ea_image_free(&small);
    ea_image_free(&fresh);
    ea_image_free(&source);
}

static void test_masked_edit_keeps_what_the_mask_protects(void **state)
{
    (void)state;
    ea_image source, mask, edit;
    render_prompt("a red fox in the snow", 0, &source);
    /* Left half repainted (alpha 0), right half kept (alpha 255); at another size than the
     * output, as a mask drawn for a smaller preview would be. */
    assert_int_equal(ea_image_alloc(&mask, 64, 64), 0);
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++)
            mask.rgba[(y * 64 + x) * 4 + 3] = x < 32 ? 0 : 255;
    ea_mock_scene scene = {.prompt = "add a hot air balloon", .w = SIDE, .h = SIDE,
                           .source = &source, .mask = &mask};
    render_ok(&scene, &edit);
    int banner_top = SIDE - SIDE / 12; /* keep clear of the banner, which covers everything */
    assert_true(mean_diff(&edit, &source, SIDE / 2 + 8, 0, SIDE, banner_top) < 1.0);
    assert_true(mean_diff(&edit, &source, 0, 0, SIDE / 2 - 8, banner_top) > 8.0);
    ea_image_free(&edit);
    ea_image_free(&mask);
    ea_image_free(&source);
}

static void test_partials_converge_on_the_final(void **state)
{
    (void)state;
    ea_image final;
    ea_mock_scene scene = {.prompt = "a lighthouse at dusk", .w = 300, .h = 200};
    render_ok(&scene, &final);
    ea_err err = {0};
    double previous = 1e9;
    for (int i = 0; i < 3; i++) {
        ea_image partial;
        assert_int_equal(ea_mock_partial(&final, i, 3, &partial, &err), 0);
        assert_int_equal(partial.w, final.w);
        assert_int_equal(partial.h, final.h);
        double d = whole_diff(&partial, &final);
        assert_true(d > 0.5);       /* not the final yet */
        assert_true(d < previous);  /* but closer than the frame before */
        previous = d;
        ea_image_free(&partial);
    }
    ea_image partial;
    assert_int_equal(ea_mock_partial(&final, 3, 3, &partial, &err), -1);
    assert_int_equal(ea_mock_partial(&final, -1, 3, &partial, &err), -1);
    assert_int_equal(ea_mock_partial(&final, 0, 0, &partial, &err), -1);
    assert_null(partial.rgba);
    ea_image_free(&final);
}

static void test_hostile_prompts_and_sizes(void **state)
{
    (void)state;
    ea_image img;
    /* Bad UTF-8, control characters, an escape sequence: cairo would refuse the lot. */
    render_prompt("caf\xc3 \xff\xfe \x1b[31mred\x1b[0m \xe2\x82 tab\there \xed\xa0\x80 ok", 0, &img);
    assert_true(has_banner(&img));
    ea_image_free(&img);

    /* The longest prompt the API takes, one very long word among many. */
    size_t n = 32000;
    char *prompt = malloc(n + 1);
    assert_non_null(prompt);
    for (size_t i = 0; i < n; i++)
        prompt[i] = i % 7 == 6 && i > 4000 ? ' ' : (char)('a' + i % 26);
    prompt[n] = '\0';
    render_prompt(prompt, 2, &img);
    ea_image_free(&img);
    free(prompt);

    ea_mock_scene scene = {.prompt = "", .w = 17, .h = 9};
    render_ok(&scene, &img); /* tiny and empty: nothing to draw but must not fail */
    ea_image_free(&img);
    scene.prompt = NULL;
    render_ok(&scene, &img);
    ea_image_free(&img);

    ea_err err = {0};
    scene.w = 0;
    assert_int_equal(ea_mock_render(&scene, &img, &err), -1);
    assert_null(img.rgba);
    scene.w = 100000;
    assert_int_equal(ea_mock_render(&scene, &img, &err), -1);
}

/* cairo keeps fonts cached for the life of the process; drop them so that valgrind's leak
 * report shows only what the code under test lost. */
static int drop_font_caches(void **state)
{
    (void)state;
    cairo_debug_reset_static_data();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_prompt_same_pixels),
        cmocka_unit_test(test_different_prompts_differ_in_colour),
        cmocka_unit_test(test_variants_differ),
        cmocka_unit_test(test_transparent_background),
        cmocka_unit_test(test_edit_is_derived_from_its_source),
        cmocka_unit_test(test_masked_edit_keeps_what_the_mask_protects),
        cmocka_unit_test(test_partials_converge_on_the_final),
        cmocka_unit_test(test_hostile_prompts_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, drop_font_caches);
}
