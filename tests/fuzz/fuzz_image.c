/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the image decode path (src/gfx/image.c: libspng for PNG, libjpeg-turbo
 * for JPEG, libwebp for WebP): magic sniffing, probing, and decoding under limits, at the
 * file's size and scaled down while decoding (ea_image_decode_scaled: JPEG's scaled IDCT,
 * libwebp's scaler, PNG rows averaged as they come).
 *
 * Every input is sniffed, probed and decoded twice: with the default limits, and with small
 * limits chosen by its first byte (so that the refusals by edge, pixel count and file size,
 * and by the decoder's byte budget, its allocations failing part way, are reached with small
 * files). A decode that succeeds must
 * give the probed dimensions within the limits, and every pixel is read so that ASan sees a
 * short buffer.
 * Build: sh tests/fuzz/build.sh fuzz_image; run: sh tests/fuzz/run.sh fuzz_image 60 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "easel/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);

static volatile unsigned sink;

/* Reads every pixel's neighbourhood, so that ASan sees a short buffer. */
static void touch(const ea_image *img)
{
    size_t total = (size_t)img->w * (size_t)img->h * 4;
    unsigned acc = 0;
    for (size_t i = 0; i < total; i += 61)
        acc += img->rgba[i];
    acc += img->rgba[total - 1];
    sink += acc;
}

static void decode(const uint8_t *bytes, size_t n, const ea_image_limits *lim)
{
    ea_image img;
    ea_err err;
    if (ea_image_decode(bytes, n, lim, &img, &err) != 0) {
        if (img.rgba || img.w || img.h)
            abort(); /* a failed decode leaves nothing to free */
        return;
    }
    const char *fmt;
    int w, h;
    if (ea_image_probe(bytes, n, &fmt, &w, &h, &err) != 0 || w != img.w || h != img.h)
        abort();
    if (img.w <= 0 || img.h <= 0 || img.w > lim->max_edge || img.h > lim->max_edge ||
        (long long)img.w * img.h > lim->max_pixels || n > lim->max_bytes)
        abort();
    touch(&img);
    ea_image_free(&img);
}

/* The same file decoded at a size chosen by the knob: from a third of it to all of it. */
static void decode_scaled(const uint8_t *bytes, size_t n, const ea_image_limits *lim,
                          uint8_t knob)
{
    const char *fmt;
    int w, h;
    ea_err err;
    if (ea_image_probe(bytes, n, &fmt, &w, &h, &err) != 0 || w > lim->max_edge ||
        h > lim->max_edge || (long long)w * h > lim->max_pixels)
        return;
    int tw = w - (int)((long long)w * (knob & 0x0f) / 24), th = h - (int)((long long)h * (knob >> 4) / 24);
    ea_image img;
    if (ea_image_decode_scaled(bytes, n, lim, tw, th, &img, &err) != 0) {
        if (img.rgba || img.w || img.h)
            abort();
        return;
    }
    if (img.w != tw || img.h != th)
        abort();
    touch(&img);
    ea_image_free(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t knob = input[0];
    const uint8_t *bytes = input + 1;
    size_t n = size - 1;

    const char *sniffed = ea_image_sniff(bytes, n);
    const char *fmt = NULL;
    int w = 0, h = 0;
    ea_err err;
    if (ea_image_probe(bytes, n, &fmt, &w, &h, &err) == 0) {
        if (!sniffed || strcmp(sniffed, fmt) != 0 || w <= 0 || h <= 0)
            abort();
    }

    decode(bytes, n, &ea_image_default_limits);
    /* Small limits: edges of 1..256, a pixel count below edge squared, a file size cap. */
    ea_image_limits small = {
        .max_edge = 1 + (knob & 0x0f) * 17,
        .max_pixels = 1 + (long)(knob >> 4) * 4000,
        .max_bytes = (knob & 0x80) ? n : n / 2 + 1,
        /* Sometimes a decode budget small enough that libspng's allocations fail part way. */
        .max_decode_bytes = (knob & 0x40) ? 20000 + (size_t)(knob & 0x3f) * 1000 : 0,
    };
    decode(bytes, n, &small);
    decode_scaled(bytes, n, &ea_image_default_limits, knob);
    return 0;
}
