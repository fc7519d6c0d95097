/* SPDX-License-Identifier: MIT */
/* C2PA detection on crafted files: a manifest found in each container (PNG caBX, JPEG APP11
 * JUMBF, WebP C2PA), none in clean files, and cut-short or foreign files answered "unknown". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "easel/provenance.h"

typedef struct blob {
    unsigned char data[512];
    size_t len;
} blob;

static void put(blob *b, const void *bytes, size_t n)
{
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static void put_be32(blob *b, uint32_t v)
{
    unsigned char p[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    put(b, p, 4);
}

static void put_le32(blob *b, uint32_t v)
{
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, p, 4);
}

/* A PNG chunk; the CRC is not checked by the detector, so zeros do. */
static void png_chunk(blob *b, const char *type, const char *data)
{
    put_be32(b, (uint32_t)strlen(data));
    put(b, type, 4);
    put(b, data, strlen(data));
    put_be32(b, 0);
}

static blob png(bool with_manifest)
{
    blob b = {0};
    put(&b, "\x89PNG\r\n\x1a\n", 8);
    png_chunk(&b, "IHDR", "0123456789abc");
    if (with_manifest)
        png_chunk(&b, "caBX", "jumbc2pa-manifest-store");
    png_chunk(&b, "IDAT", "pixels");
    png_chunk(&b, "IEND", "");
    return b;
}

static void jpeg_segment(blob *b, unsigned char marker, const void *body, size_t n)
{
    unsigned char head[4] = {0xFF, marker, (unsigned char)((n + 2) >> 8), (unsigned char)(n + 2)};
    put(b, head, 4);
    put(b, body, n);
}

static blob jpeg(bool with_manifest)
{
    blob b = {0};
    put(&b, "\xFF\xD8", 2);
    jpeg_segment(&b, 0xE0, "JFIF\0\1\1\0\0\1\0\1\0\0", 14);
    if (with_manifest) {
        /* "JP", instance 1, sequence 1, then a jumb superbox with a jumd labelled c2pa. */
        static const unsigned char app11[] = {
            'J', 'P', 0, 1, 0, 0, 0, 1, 0, 0, 0, 40, 'j', 'u', 'm', 'b', 0, 0, 0, 32,
            'j', 'u', 'm', 'd', 'c', '2', 'p', 'a', 0, 0x11, 0, 0x10, 0, 0xAA, 0, 0x38,
            0x7B, 0x9B, 0x71, 'c', '2', 'p', 'a', 0};
        jpeg_segment(&b, 0xEB, app11, sizeof app11);
    }
    jpeg_segment(&b, 0xDA, "\0\1\0", 3); /* start of scan: the detector stops here */
    put(&b, "\x12\x34\xFF\xD9", 4);
    return b;
}

static void riff_chunk(blob *b, const char *fourcc, const char *data, size_t n)
{
    put(b, fourcc, 4);
    put_le32(b, (uint32_t)n);
    put(b, data, n);
    if (n & 1)
        put(b, "", 1); /* padded to an even length */
}

static blob webp(bool with_manifest)
{
    blob b = {0};
    put(&b, "RIFF", 4);
    put_le32(&b, 0); /* filled below */
    put(&b, "WEBP", 4);
    riff_chunk(&b, "VP8X", "\0\0\0\0\0\0\0\0\0\0", 10);
    riff_chunk(&b, "VP8L", "odd", 3);
    if (with_manifest)
        riff_chunk(&b, "C2PA", "jumbc2pa", 8);
    uint32_t size = (uint32_t)b.len - 8;
    memcpy(b.data + 4, (unsigned char[]){(unsigned char)size, (unsigned char)(size >> 8), 0, 0}, 4);
    return b;
}

static void expect(const blob *b, enum ea_c2pa_state state, const char *format)
{
    ea_c2pa_info info;
    ea_c2pa_detect(b->data, b->len, &info);
    assert_int_equal(info.state, state);
    assert_string_equal(info.format, format);
}

static void test_png(void **state)
{
    (void)state;
    blob with = png(true), without = png(false);
    expect(&without, EA_C2PA_ABSENT, "png");
    ea_c2pa_info info;
    ea_c2pa_detect(with.data, with.len, &info);
    assert_int_equal(info.state, EA_C2PA_PRESENT);
    assert_int_equal(info.offset, 8 + 25); /* after the signature and IHDR */
    assert_int_equal(info.bytes, 23 + 12);
    assert_non_null(strstr(info.where, "PNG caBX chunk at byte 33"));
    /* Cut inside a chunk: cannot tell. */
    with.len = 40;
    expect(&with, EA_C2PA_UNKNOWN, "png");
}

static void test_jpeg(void **state)
{
    (void)state;
    blob with = jpeg(true), without = jpeg(false);
    expect(&without, EA_C2PA_ABSENT, "jpeg");
    ea_c2pa_info info;
    ea_c2pa_detect(with.data, with.len, &info);
    assert_int_equal(info.state, EA_C2PA_PRESENT);
    assert_int_equal(info.offset, 2 + 18);
    assert_non_null(strstr(info.where, "APP11"));
    /* An APP11 that is JUMBF but not C2PA's is not a manifest. */
    blob other = {0};
    put(&other, "\xFF\xD8", 2);
    static const unsigned char app11[] = {'J', 'P', 0, 1, 0, 0, 0, 1, 0, 0, 0, 16,
                                          'j', 'u', 'm', 'b', 'x', 'm', 'p', 0};
    jpeg_segment(&other, 0xEB, app11, sizeof app11);
    jpeg_segment(&other, 0xDA, "\0", 1);
    expect(&other, EA_C2PA_ABSENT, "jpeg");
    /* A segment length past the end. */
    with.len = 30;
    expect(&with, EA_C2PA_UNKNOWN, "jpeg");
}

static void test_webp(void **state)
{
    (void)state;
    blob with = webp(true), without = webp(false);
    expect(&without, EA_C2PA_ABSENT, "webp");
    ea_c2pa_info info;
    ea_c2pa_detect(with.data, with.len, &info);
    assert_int_equal(info.state, EA_C2PA_PRESENT);
    assert_int_equal(info.offset, 12 + 18 + 12); /* VP8X, then VP8L padded to 4 bytes */
    assert_int_equal(info.bytes, 16);
    with.len -= 10;
    expect(&with, EA_C2PA_UNKNOWN, "webp");
}

static void test_foreign_and_empty(void **state)
{
    (void)state;
    blob gif = {0};
    put(&gif, "GIF89a....", 10);
    expect(&gif, EA_C2PA_UNKNOWN, "");
    ea_c2pa_info info;
    ea_c2pa_detect((const unsigned char *)"", 0, &info);
    assert_int_equal(info.state, EA_C2PA_UNKNOWN);
    assert_non_null(strstr(info.where, "not a PNG, JPEG or WebP"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png),
        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_webp),
        cmocka_unit_test(test_foreign_and_empty),
    };
    return cmocka_run_group_tests_name("provenance", tests, NULL, NULL);
}
