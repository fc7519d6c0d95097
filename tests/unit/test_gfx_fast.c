/* SPDX-License-Identifier: MIT */
/* Unit tests for the fast picture path: the thread pool (pool.c) and what runs on it (the
 * banded downscale, sixel's band groups, contact sheets), and decoding at the drawn size
 * (ea_image_decode_scaled: PNG rows averaged as libspng decodes them, JPEG's scaled IDCT,
 * libwebp's scaler), 16-bit PNG reduced to 8 bits by the decoder. Parallel results must be
 * the serial ones byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include <cmocka.h>
#include <png.h>

#include "easel/gfx.h"
#include "gfx_decode.h"
#include "../../src/gfx/gfx_internal.h"

/* ---- the pool ---- */

typedef struct counts {
    atomic_int hits[1000];
    atomic_int total;
} counts;

static void count_index(void *ctx, int i)
{
    counts *c = ctx;
    atomic_fetch_add(&c->hits[i], 1);
    atomic_fetch_add(&c->total, 1);
}

static void nested(void *ctx, int i)
{
    counts *c = (counts *)ctx + i; /* each outer index its own counters */
    ea_gfx_parallel(100, count_index, c);
}

static void *caller(void *arg)
{
    for (int r = 0; r < 20; r++)
        ea_gfx_parallel(1000, count_index, arg);
    return NULL;
}

/* Every index runs exactly once, from nested calls and from two callers at once (the picture
 * worker and the loop both encode): no index lost, none run twice, no deadlock. */
static void test_pool_runs_every_index_once(void **state)
{
    (void)state;
    assert_true(ea_gfx_pool_threads() >= 1);
    counts *c = calloc(4, sizeof *c);
    assert_non_null(c);
    ea_gfx_parallel(1000, count_index, c);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(atomic_load(&c->hits[i]), 1);
    ea_gfx_parallel(3, nested, c + 1);
    for (int k = 1; k < 4; k++)
        assert_int_equal(atomic_load(&c[k].total), 100);
    memset(c, 0, sizeof *c);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, caller, c), 0);
    caller(c);
    pthread_join(t, NULL);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(atomic_load(&c->hits[i]), 40);
    free(c);
}

/* ---- parallel equals serial ---- */

static void set_alpha(ea_image *img)
{
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++)
            img->rgba[((size_t)y * (size_t)img->w + (size_t)x) * 4 + 3] =
                (unsigned char)(x < img->w / 3 ? 0 : x < img->w / 2 ? 90 : 255);
}

/* The downscale and the sixel encoder in bands on several threads give the bytes one thread
 * gives, for ratios that put band edges inside a source row and for a picture with alpha. */
static void test_parallel_output_equals_serial(void **state)
{
    (void)state;
    ea_image src;
    assert_int_equal(gfxt_photo(&src, 777, 533), 0);
    set_alpha(&src);
    static const int sizes[][2] = {{640, 427}, {301, 97}, {777, 1}, {13, 533}};
    ea_gfx_options opt;
    ea_gfx_options_init(&opt);
    opt.protocol = EA_GFX_SIXEL;
    opt.cols = 80, opt.rows = 40;
    ea_image par[4], ser[4];
    ea_buf six_par, six_ser, kit_par, kit_ser;
    ea_buf_init(&six_par, EA_BUF_UNCAPPED);
    ea_buf_init(&six_ser, EA_BUF_UNCAPPED);
    ea_buf_init(&kit_par, EA_BUF_UNCAPPED);
    ea_buf_init(&kit_ser, EA_BUF_UNCAPPED);
    ea_gfx_options kitty = opt;
    kitty.protocol = EA_GFX_KITTY; /* its base64 runs in segments */
    ea_err err = {0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(ea_gfx_downscale_area(&src, sizes[i][0], sizes[i][1], &par[i], &err), 0);
    assert_int_equal(ea_gfx_encode(&src, &opt, &six_par, NULL, &err), 0);
    assert_int_equal(ea_gfx_encode(&src, &kitty, &kit_par, NULL, &err), 0);
    ea_gfx_pool_set_threads(1);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ea_gfx_downscale_area(&src, sizes[i][0], sizes[i][1], &ser[i], &err), 0);
    assert_int_equal(ea_gfx_encode(&src, &opt, &six_ser, NULL, &err), 0);
    assert_int_equal(ea_gfx_encode(&src, &kitty, &kit_ser, NULL, &err), 0);
    ea_gfx_pool_set_threads(2); /* back to the pool as started */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(par[i].w, sizes[i][0]);
        assert_int_equal(par[i].h, sizes[i][1]);
        assert_memory_equal(par[i].rgba, ser[i].rgba, (size_t)par[i].w * (size_t)par[i].h * 4);
        ea_image_free(&par[i]), ea_image_free(&ser[i]);
    }
    assert_int_equal(six_par.len, six_ser.len);
    assert_memory_equal(six_par.data, six_ser.data, six_par.len);
    assert_int_equal(kit_par.len, kit_ser.len);
    assert_true(kit_par.len > 1000000); /* several base64 segments */
    assert_memory_equal(kit_par.data, kit_ser.data, kit_par.len);
    ea_buf_free(&six_par), ea_buf_free(&six_ser), ea_buf_free(&kit_par), ea_buf_free(&kit_ser);
    ea_image_free(&src);
}

/* ---- decoding at the drawn size ---- */

/* The mean difference of what is seen: colours weighted by their alpha (the colour under a
 * transparent pixel is nobody's business), and alpha. */
static double mean_abs_diff(const ea_image *a, const ea_image *b)
{
    assert_int_equal(a->w, b->w);
    assert_int_equal(a->h, b->h);
    size_t n = (size_t)a->w * (size_t)a->h;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = a->rgba + i * 4, *q = b->rgba + i * 4;
        for (int c = 0; c < 3; c++)
            sum += fabs(p[c] * p[3] / 255.0 - q[c] * q[3] / 255.0);
        sum += abs((int)p[3] - (int)q[3]);
    }
    return sum / (double)(n * 4);
}

/* PNG rows averaged as they are decoded are the full decode's downscale, byte for byte; JPEG
 * (scaled IDCT first) and WebP (libwebp's scaler) come within a level or two of it. */
static void test_decode_scaled_matches_decode_then_downscale(void **state)
{
    (void)state;
    ea_image src;
    assert_int_equal(gfxt_photo(&src, 1024, 768), 0);
    static const char *const formats[] = {"png", "jpeg", "webp"};
    static const double max_mae[] = {0, 2.0, 2.5};
    for (int f = 0; f < 3; f++) {
        for (int alpha = 0; alpha < (f == 1 ? 1 : 2); alpha++) {
            ea_image pic;
            assert_int_equal(ea_image_alloc(&pic, src.w, src.h), 0);
            memcpy(pic.rgba, src.rgba, (size_t)src.w * (size_t)src.h * 4);
            if (alpha)
                set_alpha(&pic);
            ea_buf file;
            ea_err err = {0};
            ea_buf_init(&file, EA_BUF_UNCAPPED);
            assert_int_equal(ea_image_encode(&pic, formats[f], 100, alpha, &file, &err), 0);
            ea_image full, ref, scaled;
            assert_int_equal(ea_image_decode(file.data, file.len, NULL, &full, &err), 0);
            static const int sizes[][2] = {{636, 477}, {128, 96}, {1024, 767}, {1, 1}};
            for (int s = 0; s < 4; s++) {
                int w = sizes[s][0], h = sizes[s][1];
                assert_int_equal(ea_gfx_downscale_area(&full, w, h, &ref, &err), 0);
                if (ea_image_decode_scaled(file.data, file.len, NULL, w, h, &scaled, &err) != 0)
                    fail_msg("%s at %dx%d: %s", formats[f], w, h, err.msg);
                double mae = mean_abs_diff(&scaled, &ref);
                if (mae > max_mae[f])
                    fail_msg("%s%s at %dx%d: mean difference %.2f", formats[f],
                             alpha ? " with alpha" : "", w, h, mae);
                ea_image_free(&ref), ea_image_free(&scaled);
            }
            /* Larger than the file, or nothing: refused, nothing handed back. */
            scaled = (ea_image){.w = 9, .rgba = NULL};
            assert_int_equal(ea_image_decode_scaled(file.data, file.len, NULL, 1025, 10, &scaled,
                                                    &err), -1);
            assert_null(scaled.rgba);
            assert_int_equal(scaled.w, 0);
            /* Fitting into a box keeps the aspect ratio, and a box larger than the picture
             * gives it as it is. */
            assert_int_equal(ea_image_decode_fit(file.data, file.len, NULL, 400, 400, &scaled, &err), 0);
            assert_int_equal(scaled.w, 400);
            assert_int_equal(scaled.h, 300);
            ea_image_free(&scaled);
            assert_int_equal(ea_image_decode_fit(file.data, file.len, NULL, 5000, 5000, &scaled, &err), 0);
            assert_int_equal(scaled.w, 1024);
            ea_image_free(&scaled);
            ea_image_free(&full), ea_image_free(&pic);
            ea_buf_free(&file);
        }
    }
    ea_image_free(&src);
}

/* A truncated PNG is refused at the drawn size too, and nothing leaks (ASan, valgrind). */
static void test_decode_scaled_refuses_truncated(void **state)
{
    (void)state;
    ea_image src, out;
    assert_int_equal(gfxt_photo(&src, 300, 200), 0);
    ea_buf file;
    ea_err err = {0};
    ea_buf_init(&file, EA_BUF_UNCAPPED);
    assert_int_equal(ea_image_encode(&src, "png", 100, false, &file, &err), 0);
    assert_int_equal(ea_image_decode_scaled(file.data, file.len / 2, NULL, 150, 100, &out, &err), -1);
    assert_null(out.rgba);
    assert_int_equal(ea_image_decode_scaled(file.data, file.len - 12, NULL, 150, 100, &out, &err), -1);
    assert_null(out.rgba);
    ea_buf_free(&file);
    ea_image_free(&src);
}

/* A 16-bit RGBA PNG written by libpng: each sample's high byte is the 8-bit value, decoded
 * at the file's size and at half of it. */
static void test_png_16bit_is_reduced_by_the_decoder(void **state)
{
    (void)state;
    enum { W = 64, H = 48 };
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = W;
    img.height = H;
    img.format = PNG_FORMAT_LINEAR_RGB_ALPHA;
    uint16_t *px = malloc(sizeof *px * W * H * 4);
    assert_non_null(px);
    for (int i = 0; i < W * H; i++) {
        px[i * 4 + 0] = (uint16_t)(i * 37 % 65536);
        px[i * 4 + 1] = (uint16_t)(i * 91 % 65536);
        px[i * 4 + 2] = (uint16_t)(i * 13 % 65536);
        px[i * 4 + 3] = 65535;
    }
    /* libpng's simplified API writes linear data as a 16-bit file. */
    png_alloc_size_t size = 0;
    assert_true(png_image_write_to_memory(&img, NULL, &size, 0, px, 0, NULL));
    unsigned char *file = malloc(size);
    assert_non_null(file);
    assert_true(png_image_write_to_memory(&img, file, &size, 0, px, 0, NULL));
    assert_int_equal(file[24], 16); /* IHDR's bit depth */
    ea_image out, half, ref;
    ea_err err = {0};
    if (ea_image_decode(file, size, NULL, &out, &err) != 0)
        fail_msg("decode: %s", err.msg);
    for (int i = 0; i < W * H * 4; i++)
        assert_int_equal(out.rgba[i], px[i] >> 8);
    assert_int_equal(ea_image_decode_scaled(file, size, NULL, W / 2, H / 2, &half, &err), 0);
    assert_int_equal(ea_gfx_downscale_area(&out, W / 2, H / 2, &ref, &err), 0);
    assert_memory_equal(half.rgba, ref.rgba, (size_t)W / 2 * H / 2 * 4);
    ea_image_free(&out), ea_image_free(&half), ea_image_free(&ref);
    free(file);
    free(px);
}

/* ---- contact sheets ---- */

static void test_compose_draws_each_tile_centred(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_gfx_fast.XXXXXX";
    assert_non_null(mkdtemp(dir));
    ea_image src;
    assert_int_equal(gfxt_photo(&src, 400, 200), 0);
    ea_buf file;
    ea_err err = {0};
    ea_buf_init(&file, EA_BUF_UNCAPPED);
    assert_int_equal(ea_image_encode(&src, "png", 100, false, &file, &err), 0);
    char path[64];
    snprintf(path, sizeof path, "%s/a.png", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(file.data, 1, file.len, f), file.len);
    fclose(f);
    ea_image sheet;
    assert_int_equal(ea_image_alloc(&sheet, 300, 100), 0);
    ea_gfx_tile tiles[] = {
        {.path = path, .x = 0, .y = 0, .w = 100, .h = 100},
        {.path = "/nonexistent/b.png", .x = 100, .y = 0, .w = 100, .h = 100},
        {.bytes = (const unsigned char *)file.data, .n = file.len, .x = 200, .y = 0, .w = 100, .h = 100},
    };
    assert_int_equal(ea_gfx_compose(&sheet, tiles, 3), 2);
    /* 400x200 into 100x100 is 100x50, centred: rows 25-74 drawn, the others untouched. */
    ea_image ref;
    assert_int_equal(ea_gfx_downscale_area(&src, 100, 50, &ref, &err), 0);
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 300; x++) {
            const unsigned char *p = sheet.rgba + ((size_t)y * 300 + (size_t)x) * 4;
            bool drawn = x / 100 != 1 && y >= 25 && y < 75;
            if (!drawn)
                assert_int_equal(p[3], 0);
            else
                assert_memory_equal(p, ref.rgba + ((size_t)(y - 25) * 100 + (size_t)(x % 100)) * 4, 4);
        }
    ea_image_free(&ref), ea_image_free(&sheet), ea_image_free(&src);
    ea_buf_free(&file);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_runs_every_index_once),
        cmocka_unit_test(test_parallel_output_equals_serial),
        cmocka_unit_test(test_decode_scaled_matches_decode_then_downscale),
        cmocka_unit_test(test_decode_scaled_refuses_truncated),
        cmocka_unit_test(test_png_16bit_is_reduced_by_the_decoder),
        cmocka_unit_test(test_compose_draws_each_tile_centred),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
