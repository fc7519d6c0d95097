/* SPDX-License-Identifier: MIT */
/* Unit tests for image.c: round trips through each encoder and decoder, sniffing and probing,
 * limits enforced before decoding, and damaged input refused cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "easel/image.h"
#include "gfx_decode.h" /* gfxt_psnr: -1 for pictures of different sizes */

/* Odd sizes on purpose: row padding and block edges (JPEG's 8x8, WebP's 16x16) are where
 * encoders go wrong. */
#define TEST_W 37
#define TEST_H 23

/* A smooth picture (lossy codecs are judged on it) with a few hard edges and, optionally,
 * an alpha ramp. Deterministic. */
static void make_picture(ea_image *img, int w, int h, bool with_alpha)
{
    assert_int_equal(ea_image_alloc(img, w, h), 0);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            unsigned char *p = img->rgba + ((size_t)y * (size_t)w + (size_t)x) * 4;
            p[0] = (unsigned char)(40 + 180 * x / (w - 1));
            p[1] = (unsigned char)(30 + 200 * y / (h - 1));
            p[2] = (x > w / 2 && y > h / 2) ? 220 : 60;
            p[3] = with_alpha ? (unsigned char)(255 * x / (w - 1)) : 255;
        }
    }
}

static void encode_ok(const ea_image *img, const char *format, int quality, bool keep_alpha,
                      ea_buf *out)
{
    ea_err err = {0};
    ea_buf_init(out, EA_BUF_UNCAPPED);
    int rc = ea_image_encode(img, format, quality, keep_alpha, out, &err);
    if (rc != 0)
        fail_msg("encode %s: %s", format, err.msg);
    assert_true(out->len > 0);
}

static void decode_ok(const ea_buf *in, ea_image *out)
{
    ea_err err = {0};
    int rc = ea_image_decode(in->data, in->len, NULL, out, &err);
    if (rc != 0)
        fail_msg("decode: %s", err.msg);
}

/* Asserts a clean refusal: -1, an error code and message, and no image handed back. */
static void assert_refused(const void *bytes, size_t n, const ea_image_limits *lim,
                           const char *message_part)
{
    ea_err err = {0};
    ea_image img = {.w = 99, .h = 99, .rgba = NULL};
    assert_int_equal(ea_image_decode(bytes, n, lim, &img, &err), -1);
    assert_int_not_equal(err.code, 0);
    assert_true(err.msg[0] != '\0');
    assert_null(img.rgba);
    assert_int_equal(img.w, 0);
    if (message_part && !strstr(err.msg, message_part))
        fail_msg("error \"%s\" does not mention \"%s\"", err.msg, message_part);
}

/* ---- round trips ----------------------------------------------------------------------- */

static void test_png_roundtrip_is_exact(void **state)
{
    (void)state;
    ea_image src, back;
    ea_buf png;
    make_picture(&src, TEST_W, TEST_H, true);
    encode_ok(&src, "png", 100, true, &png);
    decode_ok(&png, &back);
    assert_int_equal(back.w, TEST_W);
    assert_int_equal(back.h, TEST_H);
    assert_memory_equal(back.rgba, src.rgba, (size_t)TEST_W * TEST_H * 4);
    ea_image_free(&back);
    ea_buf_free(&png);
    ea_image_free(&src);
}

/* Level 0 stores the pixels: the file holds every byte of them (the mock's worst case for
 * a client), and still decodes to the same image; levels past 9 are refused. */
static void test_png_level_0_stores_the_pixels(void **state)
{
    (void)state;
    ea_image src, back;
    ea_buf fast, stored;
    ea_err err = {0};
    make_picture(&src, TEST_W, TEST_H, true);
    encode_ok(&src, "png", 100, true, &fast);
    ea_buf_init(&stored, EA_BUF_UNCAPPED);
    assert_int_equal(ea_image_encode_png_level(&src, 0, true, &stored, &err), 0);
    size_t pixels = (size_t)TEST_W * TEST_H * 4;
    assert_true(stored.len > pixels);
    assert_true(stored.len > fast.len);
    decode_ok(&stored, &back);
    assert_memory_equal(back.rgba, src.rgba, pixels);
    size_t before = stored.len;
    assert_int_equal(ea_image_encode_png_level(&src, 10, true, &stored, &err), -1);
    assert_int_equal(ea_image_encode_png_level(&src, -1, true, &stored, &err), -1);
    assert_int_equal(stored.len, before);
    ea_image_free(&back);
    ea_buf_free(&stored);
    ea_buf_free(&fast);
    ea_image_free(&src);
}

static void test_png_without_alpha_is_flattened_onto_black(void **state)
{
    (void)state;
    ea_image src, back;
    ea_buf png;
    make_picture(&src, TEST_W, TEST_H, true);
    encode_ok(&src, "png", 100, false, &png);
    decode_ok(&png, &back);
    for (size_t i = 0; i < (size_t)TEST_W * TEST_H; i++) {
        const unsigned char *s = src.rgba + i * 4, *b = back.rgba + i * 4;
        assert_int_equal(b[3], 255);
        for (int c = 0; c < 3; c++)
            assert_int_equal(b[c], (s[c] * s[3] + 127) / 255);
    }
    ea_image_free(&back);
    ea_buf_free(&png);
    ea_image_free(&src);
}

static void test_jpeg_roundtrip_is_close(void **state)
{
    (void)state;
    ea_image src, back;
    ea_buf best, worst;
    make_picture(&src, TEST_W, TEST_H, false);
    encode_ok(&src, "jpeg", 100, false, &best);
    encode_ok(&src, "jpeg", 0, false, &worst);
    assert_string_equal(ea_image_sniff(best.data, best.len), "jpeg");
    assert_true(worst.len < best.len); /* the compression knob does something */
    decode_ok(&best, &back);
    assert_int_equal(back.w, TEST_W);
    assert_int_equal(back.h, TEST_H);
    assert_true(gfxt_psnr(&src, &back) > 35.0);
    ea_image_free(&back);
    decode_ok(&worst, &back);
    assert_true(gfxt_psnr(&src, &back) > 20.0); /* still the same picture */
    ea_image_free(&back);
    ea_buf_free(&best);
    ea_buf_free(&worst);
    ea_image_free(&src);
}

static void test_webp_roundtrip_is_close_and_keeps_alpha(void **state)
{
    (void)state;
    ea_image src, back;
    ea_buf webp;
    make_picture(&src, TEST_W, TEST_H, true);
    encode_ok(&src, "webp", 100, true, &webp);
    assert_string_equal(ea_image_sniff(webp.data, webp.len), "webp");
    decode_ok(&webp, &back);
    assert_int_equal(back.w, TEST_W);
    assert_int_equal(back.h, TEST_H);
    /* Alpha is coded losslessly; colour only matters where it can be seen. */
    int worst_alpha = 0;
    for (size_t i = 0; i < (size_t)TEST_W * TEST_H; i++) {
        int d = abs(src.rgba[i * 4 + 3] - back.rgba[i * 4 + 3]);
        worst_alpha = d > worst_alpha ? d : worst_alpha;
    }
    assert_true(worst_alpha <= 1);
    ea_image_free(&back);
    ea_buf_free(&webp);

    ea_image opaque;
    make_picture(&opaque, TEST_W, TEST_H, false);
    encode_ok(&opaque, "webp", 100, false, &webp);
    decode_ok(&webp, &back);
    assert_true(gfxt_psnr(&opaque, &back) > 30.0);
    for (size_t i = 0; i < (size_t)TEST_W * TEST_H; i++)
        assert_int_equal(back.rgba[i * 4 + 3], 255);
    ea_image_free(&back);
    ea_buf_free(&webp);
    ea_image_free(&opaque);
    ea_image_free(&src);
}

/* ---- sniffing and probing -------------------------------------------------------------- */

static void test_sniff_and_probe_each_format(void **state)
{
    (void)state;
    static const char *const formats[] = {"png", "jpeg", "webp"};
    ea_image src;
    make_picture(&src, TEST_W, TEST_H, false);
    for (size_t i = 0; i < 3; i++) {
        ea_buf file;
        encode_ok(&src, formats[i], 90, false, &file);
        assert_string_equal(ea_image_sniff(file.data, file.len), formats[i]);
        const char *format = NULL;
        int w = 0, h = 0;
        ea_err err = {0};
        assert_int_equal(ea_image_probe(file.data, file.len, &format, &w, &h, &err), 0);
        assert_string_equal(format, formats[i]);
        assert_int_equal(w, TEST_W);
        assert_int_equal(h, TEST_H);
        ea_buf_free(&file);
    }
    ea_image_free(&src);

    assert_null(ea_image_sniff(NULL, 0));
    assert_null(ea_image_sniff("GIF89a", 6));
    assert_null(ea_image_sniff("\x89PNG", 4)); /* too short to be sure */
    assert_null(ea_image_sniff("RIFF\0\0\0\0WAVE", 12));
    ea_err err = {0};
    assert_int_equal(ea_image_probe("hello, world", 12, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
}

/* ---- limits ---------------------------------------------------------------------------- */

/* A PNG signature and an IHDR chunk claiming w x h, and nothing else: if anything tried to
 * decode it, it would have to allocate w * h * 4 bytes first. */
static size_t fake_png_header(unsigned char *out, uint32_t w, uint32_t h)
{
    static const unsigned char head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                         0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    memcpy(out, head, sizeof head);
    unsigned char *p = out + sizeof head;
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(w >> (24 - 8 * i));
        p[4 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
    p[8] = 8;  /* bit depth */
    p[9] = 6;  /* RGBA */
    p[10] = p[11] = p[12] = 0;
    memset(p + 13, 0, 4); /* CRC: nobody should get far enough to check it */
    return sizeof head + 17;
}

static void test_limits_are_checked_before_decoding(void **state)
{
    (void)state;
    unsigned char header[64];
    size_t n = fake_png_header(header, 100000, 100000);
    const char *format;
    int w, h;
    ea_err err = {0};
    assert_int_equal(ea_image_probe(header, n, &format, &w, &h, &err), 0);
    assert_int_equal(w, 100000);
    assert_int_equal(h, 100000);
    /* The refusal names the size and the limit: it came from the header check, not from a
     * decoder that ran out of data or memory. */
    assert_refused(header, n, NULL, "100000x100000");
    assert_refused(header, n, NULL, "8192");

    n = fake_png_header(header, 7000, 7000); /* each edge fits, the pixel count does not */
    assert_refused(header, n, NULL, "40000000-pixel");

    /* The same checks hold for real images and custom limits. */
    ea_image src;
    ea_buf file;
    make_picture(&src, TEST_W, TEST_H, false);
    static const char *const formats[] = {"png", "jpeg", "webp"};
    for (size_t i = 0; i < 3; i++) {
        encode_ok(&src, formats[i], 90, false, &file);
        ea_image_limits edge = ea_image_default_limits, pixels = edge, bytes = edge;
        edge.max_edge = TEST_W - 1;
        pixels.max_pixels = (long)TEST_W * TEST_H - 1;
        bytes.max_bytes = file.len - 1;
        assert_refused(file.data, file.len, &edge, "edge");
        assert_refused(file.data, file.len, &pixels, "pixel");
        assert_refused(file.data, file.len, &bytes, "bytes");
        ea_buf_free(&file);
    }
    ea_image_free(&src);
}

/* ---- damaged input --------------------------------------------------------------------- */

static void test_truncated_input_is_refused(void **state)
{
    (void)state;
    static const char *const formats[] = {"png", "jpeg", "webp"};
    ea_image src;
    make_picture(&src, TEST_W, TEST_H, false);
    for (size_t i = 0; i < 3; i++) {
        ea_buf file;
        encode_ok(&src, formats[i], 90, false, &file);
        /* The cuts: inside the header, half way, and just before the end (for PNG, the
         * whole IEND chunk; for JPEG, half the end-of-image marker). */
        size_t tail = strcmp(formats[i], "png") == 0 ? 12 : 1;
        size_t cuts[] = {0, 5, 20, file.len / 2, file.len - tail};
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++)
            assert_refused(file.data, cuts[c], NULL, NULL);
        ea_buf_free(&file);
    }
    ea_image_free(&src);
}

static void test_garbage_is_refused(void **state)
{
    (void)state;
    unsigned char junk[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (unsigned char)(x >> 16);
    }
    assert_refused(junk, sizeof junk, NULL, "not a PNG");
    /* Right magic, garbage after it: each decoder must fail, not crash. */
    memcpy(junk, "\x89PNG\r\n\x1a\n", 8);
    assert_refused(junk, sizeof junk, NULL, NULL);
    memcpy(junk, "\xFF\xD8\xFF\xE0", 4);
    assert_refused(junk, sizeof junk, NULL, NULL);
    memcpy(junk, "RIFF\xf8\x0f\0\0WEBPVP8 ", 16);
    assert_refused(junk, sizeof junk, NULL, NULL);
    assert_refused(NULL, 0, NULL, NULL);
}

/* ---- files ----------------------------------------------------------------------------- */

static void test_load_file(void **state)
{
    (void)state;
    ea_image src, back;
    ea_buf png;
    make_picture(&src, TEST_W, TEST_H, true);
    encode_ok(&src, "png", 100, true, &png);
    char path[] = "/tmp/easel-test-image-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, png.data, png.len), (ssize_t)png.len);
    close(fd);

    ea_err err = {0};
    assert_int_equal(ea_image_load_file(path, NULL, &back, &err), 0);
    assert_memory_equal(back.rgba, src.rgba, (size_t)TEST_W * TEST_H * 4);
    ea_image_free(&back);

    ea_image_limits small = ea_image_default_limits;
    small.max_bytes = 10;
    assert_int_equal(ea_image_load_file(path, &small, &back, &err), -1);
    assert_non_null(strstr(err.msg, path));
    assert_null(back.rgba);

    unlink(path);
    assert_int_equal(ea_image_load_file(path, NULL, &back, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_non_null(strstr(err.msg, path));
    ea_buf_free(&png);
    ea_image_free(&src);
}

/* ---- encoder errors -------------------------------------------------------------------- */

static void test_encode_errors_leave_the_buffer_as_it_was(void **state)
{
    (void)state;
    ea_image src;
    make_picture(&src, TEST_W, TEST_H, false);
    ea_err err = {0};
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    assert_int_equal(ea_image_encode(&src, "gif", 100, false, &out, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_int_equal(out.len, 0);
    ea_buf_free(&out);

    static const char *const formats[] = {"png", "jpeg", "webp"};
    for (size_t i = 0; i < 3; i++) {
        ea_buf_init(&out, 200); /* far too small for any of them */
        assert_int_equal(ea_buf_puts(&out, "kept"), 0);
        assert_int_equal(ea_image_encode(&src, formats[i], 100, false, &out, &err), -1);
        assert_int_equal(err.code, EA_EXIT_INTERNAL);
        assert_int_equal(out.len, 4);
        assert_string_equal(out.data, "kept");
        ea_buf_free(&out);
    }
    ea_image_free(&src);
}

/* ---- resizing -------------------------------------------------------------------------- */

static void test_resize(void **state)
{
    (void)state;
    ea_image src, small, big;
    ea_err err = {0};
    assert_int_equal(ea_image_alloc(&src, 40, 30), 0);
    for (size_t i = 0; i < 40 * 30; i++)
        memcpy(src.rgba + i * 4, "\x20\x80\xe0\xff", 4);
    assert_int_equal(ea_image_resize(&src, 13, 7, &small, &err), 0);
    assert_int_equal(small.w, 13);
    assert_int_equal(small.h, 7);
    for (size_t i = 0; i < 13 * 7 * 4; i++) /* a flat colour stays flat */
        assert_true(abs(small.rgba[i] - src.rgba[i % 4]) <= 1);
    ea_image_free(&src);

    make_picture(&src, TEST_W, TEST_H, false);
    assert_int_equal(ea_image_resize(&src, TEST_W * 3, TEST_H * 2, &big, &err), 0);
    ea_image back; /* up and down again: still the same picture */
    assert_int_equal(ea_image_resize(&big, TEST_W, TEST_H, &back, &err), 0);
    assert_true(gfxt_psnr(&src, &back) > 30.0);
    ea_image_free(&big);
    assert_int_equal(ea_image_resize(&src, 0, 5, &big, &err), -1);
    assert_null(big.rgba);
    ea_image_free(&back);
    ea_image_free(&small);
    ea_image_free(&src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_roundtrip_is_exact),
        cmocka_unit_test(test_png_level_0_stores_the_pixels),
        cmocka_unit_test(test_png_without_alpha_is_flattened_onto_black),
        cmocka_unit_test(test_jpeg_roundtrip_is_close),
        cmocka_unit_test(test_webp_roundtrip_is_close_and_keeps_alpha),
        cmocka_unit_test(test_sniff_and_probe_each_format),
        cmocka_unit_test(test_limits_are_checked_before_decoding),
        cmocka_unit_test(test_truncated_input_is_refused),
        cmocka_unit_test(test_garbage_is_refused),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_encode_errors_leave_the_buffer_as_it_was),
        cmocka_unit_test(test_resize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
