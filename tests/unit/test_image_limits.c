/* SPDX-License-Identifier: MIT */
/* Unit tests for the decoders' resource bounds (image.c, decode_budget.c): images that cannot be
 * abused. A small PNG whose zlib stream inflates to half a gigabyte, JPEGs whose headers claim
 * huge sizes, and tiny decode budgets are all refused quickly, with the peak memory bounded by
 * what a valid file of the header's dimensions needs, not by what the file makes us inflate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>
#include <zlib.h>

#include "easel/buf.h"
#include "easel/image.h"

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Appends a PNG chunk with its CRC. */
static void put_chunk(ea_buf *b, const char *type, const unsigned char *data, size_t len)
{
    unsigned char head[8], crc[4];
    put_be32(head, (uint32_t)len);
    memcpy(head + 4, type, 4);
    uLong c = crc32(0, (const Bytef *)type, 4);
    if (len)
        c = crc32(c, data, (uInt)len);
    put_be32(crc, (uint32_t)c);
    assert_int_equal(ea_buf_append(b, head, 8), 0);
    if (len)
        assert_int_equal(ea_buf_append(b, data, len), 0);
    assert_int_equal(ea_buf_append(b, crc, 4), 0);
}

/* A w x h RGBA PNG whose one IDAT inflates to `inflated` bytes of zeros (rows of filter 0,
 * black and transparent): a valid file when inflated is exactly h * (1 + 4w), a bomb when it
 * is far more. The zlib stream is made in 1 MiB steps, so the test itself stays small. */
static void make_png(ea_buf *png, uint32_t w, uint32_t h, size_t inflated)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ea_buf_init(png, EA_BUF_UNCAPPED);
    assert_int_equal(ea_buf_append(png, signature, 8), 0);
    unsigned char ihdr[13] = {0};
    put_be32(ihdr, w);
    put_be32(ihdr + 4, h);
    ihdr[8] = 8; /* bit depth */
    ihdr[9] = 6; /* RGBA */
    put_chunk(png, "IHDR", ihdr, sizeof ihdr);

    enum { STEP = 1 << 20 };
    unsigned char *zeros = calloc(1, STEP), *chunk = malloc(STEP);
    assert_non_null(zeros);
    assert_non_null(chunk);
    ea_buf idat;
    ea_buf_init(&idat, EA_BUF_UNCAPPED);
    z_stream z = {0};
    assert_int_equal(deflateInit(&z, 9), Z_OK);
    size_t left = inflated;
    int flush;
    do {
        size_t in = left < STEP ? left : STEP;
        left -= in;
        flush = left ? Z_NO_FLUSH : Z_FINISH;
        z.next_in = zeros;
        z.avail_in = (uInt)in;
        do {
            z.next_out = chunk;
            z.avail_out = STEP;
            assert_int_not_equal(deflate(&z, flush), Z_STREAM_ERROR);
            assert_int_equal(ea_buf_append(&idat, chunk, STEP - z.avail_out), 0);
        } while (z.avail_out == 0);
    } while (flush != Z_FINISH);
    deflateEnd(&z);
    put_chunk(png, "IDAT", (const unsigned char *)idat.data, idat.len);
    put_chunk(png, "IEND", NULL, 0);
    ea_buf_free(&idat);
    free(zeros);
    free(chunk);
}

static void assert_refused(const void *bytes, size_t n, const ea_image_limits *lim,
                           const char *message_part)
{
    ea_err err = {0};
    ea_image img = {.w = 99, .h = 99, .rgba = NULL};
    assert_int_equal(ea_image_decode(bytes, n, lim, &img, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_null(img.rgba);
    assert_int_equal(img.w, 0);
    if (message_part && !strstr(err.msg, message_part))
        fail_msg("error \"%s\" does not mention \"%s\"", err.msg, message_part);
}

/* The control: the same construction, inflating to exactly the pixels, decodes. */
static void test_valid_png_of_the_same_shape_decodes(void **state)
{
    (void)state;
    ea_buf png;
    make_png(&png, 1024, 1024, 1024 * (1 + 4 * 1024));
    ea_image img;
    ea_err err = {0};
    if (ea_image_decode(png.data, png.len, NULL, &img, &err) != 0)
        fail_msg("decode: %s", err.msg);
    assert_int_equal(img.w, 1024);
    assert_int_equal(img.h, 1024);
    ea_image_free(&img);
    ea_buf_free(&png);
}

/* IHDR says 1024x1024 (4 MB of pixels, well within the limits); the zlib stream inflates to
 * 512 MB. stb_image grew its buffer by doubling until all of it was there, so it needed the
 * budget to refuse the file. libspng inflates row by row into the picture and stops at its
 * last row: the file costs what a valid one does, whether it is refused or its 1024x1024
 * pixels (all the rows there are) are decoded, and never the 512 MB. */
static void test_png_zlib_bomb_costs_no_more_than_a_valid_file(void **state)
{
    (void)state;
    ea_buf png;
    make_png(&png, 1024, 1024, (size_t)512 << 20);
    assert_true(png.len < 1024 * 1024); /* the file is small... */
    long before = maxrss_kb();
    double t0 = now_ms();
    ea_image img = {0};
    ea_err err = {0};
    if (ea_image_decode(png.data, png.len, NULL, &img, &err) == 0) {
        assert_int_equal(img.w, 1024);
        assert_int_equal(img.h, 1024);
        ea_image_free(&img);
    } else {
        assert_int_equal(err.code, EA_EXIT_USAGE);
        assert_null(img.rgba);
    }
    double ms = now_ms() - t0;
    long grown_mb = (maxrss_kb() - before) / 1024;
    print_message("zlib bomb: %zu-byte file done in %.0f ms, peak RSS grew %ld MB\n", png.len,
                  ms, grown_mb);
    /* ...and costs the 4 MB of pixels and a few rows, not 512 MB (nor the 34 MB budget the
     * stb decoder was refused at); the slack covers a sanitizer's shadow memory. Inflating
     * all 512 MB would take seconds: the time says it was not. */
    assert_true(grown_mb < 48);
    assert_true(ms < 2000);
    ea_buf_free(&png);
}

/* A budget set by the caller is honoured too: a tiny one refuses a valid image cleanly (libspng's
 * allocations fail part way through and nothing leaks), a large one lets it through. */
static void test_caller_budget(void **state)
{
    (void)state;
    ea_buf png;
    make_png(&png, 64, 64, 64 * (1 + 4 * 64));
    ea_image_limits lim = ea_image_default_limits;
    for (size_t budget = 1000; budget < 80000; budget += 7919) {
        lim.max_decode_bytes = budget;
        ea_image img;
        ea_err err = {0};
        if (ea_image_decode(png.data, png.len, &lim, &img, &err) == 0) {
            assert_true(budget > 64 * 64 * 4); /* it cannot fit in less than its pixels */
            ea_image_free(&img);
        } else {
            assert_non_null(strstr(err.msg, "needs more than"));
        }
    }
    lim.max_decode_bytes = 1 << 20;
    ea_image img;
    ea_err err = {0};
    assert_int_equal(ea_image_decode(png.data, png.len, &lim, &img, &err), 0);
    ea_image_free(&img);
    ea_buf_free(&png);
}

/* A real 16x16 JPEG with its SOF dimensions rewritten. */
static void make_jpeg(ea_buf *jpeg, int sof_w, int sof_h)
{
    ea_image src;
    assert_int_equal(ea_image_alloc(&src, 16, 16), 0);
    memset(src.rgba, 128, 16 * 16 * 4);
    ea_err err = {0};
    ea_buf_init(jpeg, EA_BUF_UNCAPPED);
    assert_int_equal(ea_image_encode(&src, "jpeg", 80, false, jpeg, &err), 0);
    ea_image_free(&src);
    unsigned char *b = (unsigned char *)jpeg->data;
    for (size_t i = 2; i + 9 < jpeg->len; i++) {
        if (b[i] == 0xFF && (b[i + 1] == 0xC0 || b[i + 1] == 0xC2)) {
            b[i + 5] = (unsigned char)(sof_h >> 8);
            b[i + 6] = (unsigned char)sof_h;
            b[i + 7] = (unsigned char)(sof_w >> 8);
            b[i + 8] = (unsigned char)sof_w;
            return;
        }
    }
    fail_msg("no SOF marker in the encoded JPEG");
}

/* SOF says 65000 x 65000 (16 GB of pixels) in a file of a few hundred bytes: refused from the
 * header, before anything is allocated. */
static void test_jpeg_huge_sof_is_refused_from_the_header(void **state)
{
    (void)state;
    ea_buf jpeg;
    make_jpeg(&jpeg, 65000, 65000);
    long before = maxrss_kb();
    double t0 = now_ms();
    assert_refused(jpeg.data, jpeg.len, NULL, "65000x65000");
    double ms = now_ms() - t0;
    assert_true(ms < 100);
    assert_true((maxrss_kb() - before) / 1024 < 8);
    ea_buf_free(&jpeg);
}

/* SOF says 8000 x 5000 (40 MP, just within the limits) but the file holds 16x16 of data: the
 * decoder runs out of data and refuses the file; the pixel buffer it reserved is never
 * touched beyond what was decoded, so the peak stays small. */
static void test_jpeg_claiming_more_than_it_holds_is_refused(void **state)
{
    (void)state;
    ea_buf jpeg;
    make_jpeg(&jpeg, 8000, 5000);
    long before = maxrss_kb();
    double t0 = now_ms();
    assert_refused(jpeg.data, jpeg.len, NULL, "damaged jpeg");
    double ms = now_ms() - t0;
    long grown_mb = (maxrss_kb() - before) / 1024;
    print_message("jpeg 8000x5000 in %zu bytes: refused in %.0f ms, peak RSS grew %ld MB\n",
                  jpeg.len, ms, grown_mb);
    assert_true(ms < 2000);
    ea_buf_free(&jpeg);
}

/* WebP: WebPGetInfo reads the canvas size before anything is decoded; a VP8X canvas of
 * 16384 x 16384 is refused from the header. */
static void test_webp_huge_canvas_is_refused_from_the_header(void **state)
{
    (void)state;
    unsigned char webp[30] = {'R', 'I', 'F', 'F', 22, 0, 0, 0, 'W', 'E', 'B', 'P',
                              'V', 'P', '8', 'X', 10, 0, 0, 0, 0, 0, 0, 0};
    /* canvas width - 1 and height - 1, 24 bits each, little-endian: 16383 */
    webp[24] = 0xFF;
    webp[25] = 0x3F;
    webp[26] = 0;
    webp[27] = 0xFF;
    webp[28] = 0x3F;
    webp[29] = 0;
    double t0 = now_ms();
    ea_err err = {0};
    ea_image img;
    assert_int_equal(ea_image_decode(webp, sizeof webp, NULL, &img, &err), -1);
    assert_true(now_ms() - t0 < 100);
    assert_null(img.rgba);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_png_of_the_same_shape_decodes),
        cmocka_unit_test(test_png_zlib_bomb_costs_no_more_than_a_valid_file),
        cmocka_unit_test(test_caller_budget),
        cmocka_unit_test(test_jpeg_huge_sof_is_refused_from_the_header),
        cmocka_unit_test(test_jpeg_claiming_more_than_it_holds_is_refused),
        cmocka_unit_test(test_webp_huge_canvas_is_refused_from_the_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
