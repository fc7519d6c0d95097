/* SPDX-License-Identifier: MIT */
/* gfx_decode: the test side of the encoders: a photo-like test picture, decoders that turn
 * each protocol's bytes back into pixels (sixel through libsixel's decoder, kitty and iTerm2 by
 * their framing and payload, blocks by their SGR colours), and PSNR. Shared by the unit tests
 * and tests/bench/bench_gfx.c; header-only so each binary compiles its own copy. */
#ifndef EASEL_TESTS_GFX_DECODE_H
#define EASEL_TESTS_GFX_DECODE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sixel.h>
#include <zlib.h>

#include "easel/buf.h"
#include "easel/image.h"

/* ---- a photo-like picture ---------------------------------------------------------------- */

/* Smooth value noise: what gives the picture texture at every scale, as foliage or clouds do. */
static inline double gfxt_noise(double x, double y, unsigned seed)
{
    int xi = (int)floor(x), yi = (int)floor(y);
    double fx = x - xi, fy = y - yi;
    double v[4];
    for (int k = 0; k < 4; k++) {
        uint32_t h = (uint32_t)(xi + (k & 1)) * 374761393u + (uint32_t)(yi + (k >> 1)) * 668265263u +
                     seed * 2246822519u;
        h = (h ^ (h >> 13)) * 1274126177u;
        v[k] = (double)((h ^ (h >> 16)) & 0xffff) / 65535.0;
    }
    double sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
    return (v[0] * (1 - sx) + v[1] * sx) * (1 - sy) + (v[2] * (1 - sx) + v[3] * sx) * sy;
}

static inline double gfxt_fbm(double x, double y, unsigned seed)
{
    double sum = 0, amp = 0.5;
    for (int o = 0; o < 5; o++, x *= 2, y *= 2, amp *= 0.5)
        sum += amp * gfxt_noise(x, y, seed + (unsigned)o);
    return sum;
}

static inline unsigned char gfxt_clamp(double v)
{
    return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
}

/* A landscape: a graded sky with clouds, a sun, textured hills with hard skylines, a lake
 * that mirrors the sky. Deterministic; the same at every size. */
static inline int gfxt_photo(ea_image *img, int w, int h)
{
    if (ea_image_alloc(img, w, h) != 0)
        return -1;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            double u = (double)x / w, v = (double)y / h, r, g, b;
            double hill1 = 0.55 + 0.08 * sin(u * 7.0) + 0.05 * gfxt_fbm(u * 6, 0.5, 11);
            double hill2 = 0.68 + 0.05 * sin(u * 13.0 + 1) + 0.04 * gfxt_fbm(u * 9, 1.5, 23);
            if (v > 0.82) { /* the lake: the sky, darker, rippled */
                double ripple = 0.08 * sin(v * 300 + 6 * gfxt_fbm(u * 8, v * 30, 5));
                r = 60 + 70 * (1 - v) + 40 * ripple * 10;
                g = 90 + 60 * (1 - v) + 30 * ripple * 10;
                b = 140 + 50 * (1 - v) + 20 * ripple * 10;
            } else if (v > hill2) { /* the near hill: greens, fine texture */
                double t = gfxt_fbm(u * 40, v * 40, 3);
                r = 40 + 60 * t;
                g = 80 + 90 * t - 40 * (v - hill2);
                b = 30 + 30 * t;
            } else if (v > hill1) { /* the far hill: bluish, softer */
                double t = gfxt_fbm(u * 15, v * 15, 7);
                r = 70 + 40 * t;
                g = 100 + 40 * t;
                b = 120 + 30 * t;
            } else { /* the sky: dusk gradient, clouds, the sun */
                double cloud = gfxt_fbm(u * 4, v * 10, 17);
                cloud = cloud > 0.55 ? (cloud - 0.55) * 2.5 : 0;
                r = 250 - 120 * v + 60 * cloud;
                g = 150 - 40 * v + 70 * cloud;
                b = 90 + 150 * v + 60 * cloud;
                double dx = u - 0.7, dy = v - 0.35, d = sqrt(dx * dx + dy * dy);
                if (d < 0.06) {
                    r = 255, g = 240, b = 200;
                } else if (d < 0.2) {
                    double glow = (0.2 - d) / 0.14;
                    r += (255 - r) * glow * 0.6;
                    g += (220 - g) * glow * 0.6;
                    b += (170 - b) * glow * 0.4;
                }
            }
            unsigned char *p = img->rgba + ((size_t)y * (size_t)w + (size_t)x) * 4;
            p[0] = gfxt_clamp(r), p[1] = gfxt_clamp(g), p[2] = gfxt_clamp(b), p[3] = 255;
        }
    }
    return 0;
}

/* ---- comparing ---------------------------------------------------------------------------- */

/* PSNR over the colour channels in dB (99 when equal); -1 if the sizes differ. */
static inline double gfxt_psnr(const ea_image *a, const ea_image *b)
{
    if (a->w != b->w || a->h != b->h)
        return -1;
    double sum = 0;
    size_t n = (size_t)a->w * (size_t)a->h;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) {
            double d = (double)a->rgba[i * 4 + c] - b->rgba[i * 4 + c];
            sum += d * d;
        }
    double mse = sum / (double)(n * 3);
    return mse == 0 ? 99.0 : 10 * log10(255.0 * 255.0 / mse);
}

/* First occurrence of needle in hay[0, n), or NULL (memmem is a GNU extension). */
static inline const char *gfxt_find(const char *hay, size_t n, const char *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0)
            return hay + i;
    return NULL;
}

/* ---- base64 ------------------------------------------------------------------------------- */

static inline int gfxt_b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Strict: padding only at the very end, as iTerm2 demands of a whole stream. */
static inline int gfxt_b64_decode(const char *s, size_t n, ea_buf *out)
{
    if (n % 4)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            v[k] = s[i + k] == '=' ? 0 : gfxt_b64_value((unsigned char)s[i + k]);
            if (v[k] < 0 || (s[i + k] == '=' && (i + 4 < n || k < 2)))
                return -1;
        }
        unsigned char b[3] = {(unsigned char)(v[0] << 2 | v[1] >> 4),
                              (unsigned char)(v[1] << 4 | v[2] >> 2), (unsigned char)(v[2] << 6 | v[3])};
        size_t keep = s[i + 2] == '=' ? 1 : s[i + 3] == '=' ? 2 : 3;
        if (ea_buf_append(out, b, keep) != 0)
            return -1;
    }
    return 0;
}

/* ---- sixel -------------------------------------------------------------------------------- */

/* Through libsixel's own decoder, so our reading of our bytes is not the only judge. */
static inline int gfxt_decode_sixel(const char *bytes, size_t n, ea_image *out)
{
    const char *start = gfxt_find(bytes, n, "\033P", 2);
    if (!start)
        return -1;
    unsigned char *pixels = NULL, *palette = NULL;
    int w = 0, h = 0, ncolors = 0;
    SIXELSTATUS st = sixel_decode_raw((unsigned char *)start, (int)(n - (size_t)(start - bytes)),
                                      &pixels, &w, &h, &palette, &ncolors, NULL);
    if (SIXEL_FAILED(st) || ea_image_alloc(out, w, h) != 0) {
        free(pixels), free(palette);
        return -1;
    }
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        int k = pixels[i];
        unsigned char *p = out->rgba + i * 4;
        if (k < ncolors)
            memcpy(p, palette + k * 3, 3);
        p[3] = 255;
    }
    free(pixels), free(palette);
    return 0;
}

/* ---- kitty -------------------------------------------------------------------------------- */

typedef struct gfxt_kitty {
    int chunks;
    size_t longest_chunk;  /* base64 bytes */
    bool more_flags_ok;    /* m=1 on all but the last, m=0 on the last */
    bool chunks_aligned;   /* every chunk but the last a multiple of 4 */
    int f, s, v, o_zlib, U, c, r;
    unsigned i, p, q, C;
    char a;
} gfxt_kitty;

/* The value of key in "a=T,f=32,..." (n bytes) as text, "" when absent. */
static inline const char *gfxt_key_text(const char *keys, size_t n, const char *key, char *val,
                                        size_t size)
{
    size_t kl = strlen(key);
    val[0] = '\0';
    for (size_t i = 0; i + kl + 1 <= n; i++)
        if ((i == 0 || keys[i - 1] == ',') && memcmp(keys + i, key, kl) == 0 &&
            keys[i + kl] == '=') {
            size_t j = i + kl + 1, len = 0;
            while (j + len < n && keys[j + len] != ',' && len + 1 < size)
                len++;
            memcpy(val, keys + j, len);
            val[len] = '\0';
            break;
        }
    return val;
}

/* The value as a number; -1 when absent. */
static inline long gfxt_key(const char *keys, size_t n, const char *key)
{
    char val[32];
    gfxt_key_text(keys, n, key, val, sizeof val);
    return val[0] ? atol(val) : -1;
}

/* Parses every APC _G ... ESC \ in bytes (anything between them, such as placeholder text, is
 * skipped) and decodes the joined payload into out. */
static inline int gfxt_decode_kitty(const char *bytes, size_t n, ea_image *out, gfxt_kitty *k)
{
    memset(k, 0, sizeof *k);
    k->more_flags_ok = k->chunks_aligned = true;
    ea_buf b64, payload;
    ea_buf_init(&b64, EA_BUF_UNCAPPED);
    ea_buf_init(&payload, EA_BUF_UNCAPPED);
    const char *p = bytes, *end = bytes + n;
    int last_m = -1, rc = -1;
    size_t prev_len = 0;
    while ((p = gfxt_find(p, (size_t)(end - p), "\033_G", 3)) != NULL) {
        const char *st = gfxt_find(p, (size_t)(end - p), "\033\\", 2);
        const char *semi = memchr(p, ';', (size_t)(st ? st - p : 0));
        if (!st || !semi)
            goto done;
        const char *keys = p + 3;
        size_t klen = (size_t)(semi - keys), len = (size_t)(st - semi - 1);
        if (k->chunks == 0) {
            char text[8];
            k->a = gfxt_key_text(keys, klen, "a", text, sizeof text)[0];
            k->o_zlib = strcmp(gfxt_key_text(keys, klen, "o", text, sizeof text), "z") == 0;
            k->f = (int)gfxt_key(keys, klen, "f");
            k->s = (int)gfxt_key(keys, klen, "s");
            k->v = (int)gfxt_key(keys, klen, "v");
            k->U = (int)gfxt_key(keys, klen, "U");
            k->c = (int)gfxt_key(keys, klen, "c");
            k->r = (int)gfxt_key(keys, klen, "r");
            k->i = (unsigned)gfxt_key(keys, klen, "i");
            k->p = (unsigned)gfxt_key(keys, klen, "p");
            k->q = (unsigned)gfxt_key(keys, klen, "q");
            k->C = (unsigned)gfxt_key(keys, klen, "C");
        }
        if (k->chunks > 0) { /* the previous chunk was not the last */
            if (last_m != 1)
                k->more_flags_ok = false;
            if (prev_len % 4)
                k->chunks_aligned = false;
        }
        last_m = (int)gfxt_key(keys, klen, "m");
        k->chunks++;
        prev_len = len;
        if (len > k->longest_chunk)
            k->longest_chunk = len;
        if (ea_buf_append(&b64, semi + 1, len) != 0)
            goto done;
        p = st + 2;
    }
    if (last_m != 0)
        k->more_flags_ok = false;
    if (k->chunks == 0 || gfxt_b64_decode(b64.data, b64.len, &payload) != 0)
        goto done;
    if (k->f == 100) {
        rc = ea_image_decode(payload.data, payload.len, NULL, out, NULL);
        goto done;
    }
    size_t raw = (size_t)k->s * (size_t)k->v * (k->f == 24 ? 3 : 4);
    if (k->s <= 0 || k->v <= 0 || ea_image_alloc(out, k->s, k->v) != 0)
        goto done;
    unsigned char *pixels = (unsigned char *)payload.data;
    unsigned char *inflated = NULL;
    if (k->o_zlib) {
        uLongf got = (uLongf)raw;
        inflated = malloc(raw);
        if (!inflated || uncompress(inflated, &got, pixels, (uLong)payload.len) != Z_OK || got != raw) {
            free(inflated);
            ea_image_free(out);
            goto done;
        }
        pixels = inflated;
    } else if (payload.len != raw) {
        ea_image_free(out);
        goto done;
    }
    for (size_t i = 0; i < (size_t)k->s * (size_t)k->v; i++) {
        memcpy(out->rgba + i * 4, pixels + i * (k->f == 24 ? 3 : 4), k->f == 24 ? 3 : 4);
        if (k->f == 24)
            out->rgba[i * 4 + 3] = 255;
    }
    free(inflated);
    rc = 0;
done:
    ea_buf_free(&b64), ea_buf_free(&payload);
    return rc;
}

/* ---- iTerm2 ------------------------------------------------------------------------------- */

typedef struct gfxt_iterm {
    int sequences;
    bool multipart;
    size_t longest_sequence;
    long size_arg;
    int width, height;
} gfxt_iterm;

static inline int gfxt_decode_iterm(const char *bytes, size_t n, ea_image *out, gfxt_iterm *t)
{
    memset(t, 0, sizeof *t);
    ea_buf b64, file;
    ea_buf_init(&b64, EA_BUF_UNCAPPED);
    ea_buf_init(&file, EA_BUF_UNCAPPED);
    const char *p = bytes, *end = bytes + n;
    int rc = -1;
    while ((p = gfxt_find(p, (size_t)(end - p), "\033]1337;", 7)) != NULL) {
        const char *bel = memchr(p, '\a', (size_t)(end - p));
        if (!bel)
            goto done;
        const char *body = p + 7;
        size_t seq_len = (size_t)(bel - p + 1);
        if (seq_len > t->longest_sequence)
            t->longest_sequence = seq_len;
        t->sequences++;
        const char *args = NULL;
        if (strncmp(body, "File=", 5) == 0) {
            const char *colon = memchr(body, ':', (size_t)(bel - body));
            if (!colon || ea_buf_append(&b64, colon + 1, (size_t)(bel - colon - 1)) != 0)
                goto done;
            args = body + 5;
        } else if (strncmp(body, "MultipartFile=", 14) == 0) {
            t->multipart = true;
            args = body + 14;
        } else if (strncmp(body, "FilePart=", 9) == 0) {
            if (ea_buf_append(&b64, body + 9, (size_t)(bel - body - 9)) != 0)
                goto done;
        }
        if (args) {
            const char *s = strstr(args, "size=");
            const char *wd = strstr(args, "width="), *ht = strstr(args, "height=");
            t->size_arg = s && s < bel ? atol(s + 5) : -1;
            t->width = wd && wd < bel ? atoi(wd + 6) : -1;
            t->height = ht && ht < bel ? atoi(ht + 7) : -1;
        }
        p = bel + 1;
    }
    if (gfxt_b64_decode(b64.data ? b64.data : "", b64.len, &file) != 0 ||
        (long)file.len != t->size_arg)
        goto done;
    rc = ea_image_decode(file.data, file.len, NULL, out, NULL);
done:
    ea_buf_free(&b64), ea_buf_free(&file);
    return rc;
}

/* ---- half blocks -------------------------------------------------------------------------- */

static inline void gfxt_xterm256(int k, unsigned char *rgb)
{
    static const int levels[6] = {0, 95, 135, 175, 215, 255};
    if (k >= 232) {
        rgb[0] = rgb[1] = rgb[2] = (unsigned char)(8 + 10 * (k - 232));
    } else if (k >= 16) {
        k -= 16;
        rgb[0] = (unsigned char)levels[k / 36], rgb[1] = (unsigned char)levels[k / 6 % 6];
        rgb[2] = (unsigned char)levels[k % 6];
    } else {
        rgb[0] = rgb[1] = rgb[2] = 0;
    }
}

/* Applies one SGR's parameters to fg/bg (RGBA, alpha 0 = the default colour). */
static inline void gfxt_sgr(const char *params, unsigned char *fg, unsigned char *bg)
{
    int v[16], n = 0;
    const char *s = params;
    while (n < 16) {
        v[n++] = atoi(s);
        s += strspn(s, "0123456789");
        if (*s != ';')
            break;
        s++;
    }
    for (int i = 0; i < n; i++) {
        unsigned char *target = v[i] == 38 || v[i] == 39 ? fg : v[i] == 48 || v[i] == 49 ? bg : NULL;
        if (v[i] == 0) {
            memset(fg, 0, 4), memset(bg, 0, 4);
        } else if ((v[i] == 39 || v[i] == 49) && target) {
            memset(target, 0, 4);
        } else if (target && i + 4 < n && v[i + 1] == 2) {
            target[0] = (unsigned char)v[i + 2], target[1] = (unsigned char)v[i + 3];
            target[2] = (unsigned char)v[i + 4], target[3] = 255;
            i += 4;
        } else if (target && i + 2 < n && v[i + 1] == 5) {
            gfxt_xterm256(v[i + 2], target);
            target[3] = 255;
            i += 2;
        }
    }
}

/* Rows end at '\n'; ▀ = fg over bg, ▄ = bg over fg, space = bg twice. */
static inline int gfxt_decode_blocks(const char *bytes, size_t n, ea_image *out)
{
    int cols = 0, rows = 0, x = 0;
    for (size_t i = 0; i < n; i++) { /* first pass: the grid's size */
        if (bytes[i] == '\033') {
            while (i < n && bytes[i] != 'm')
                i++;
        } else if (bytes[i] == '\n') {
            rows++, x = 0;
        } else if (bytes[i] == ' ' || (unsigned char)bytes[i] == 0xE2) {
            if ((unsigned char)bytes[i] == 0xE2)
                i += 2;
            if (++x > cols)
                cols = x;
        }
    }
    if (x > 0)
        rows++;
    if (cols == 0 || ea_image_alloc(out, cols, rows * 2) != 0)
        return -1;
    unsigned char fg[4] = {0}, bg[4] = {0};
    int row = 0;
    x = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)bytes[i];
        const unsigned char *top = NULL, *bottom = NULL;
        if (c == '\033' && i + 1 < n && bytes[i + 1] == '[') {
            size_t j = i + 2;
            while (j < n && bytes[j] != 'm')
                j++;
            char params[128] = "";
            size_t len = j - i - 2 < sizeof params - 1 ? j - i - 2 : sizeof params - 1;
            memcpy(params, bytes + i + 2, len);
            gfxt_sgr(params, fg, bg);
            i = j;
            continue;
        }
        if (c == '\n') {
            row++, x = 0;
            continue;
        }
        if (c == ' ') {
            top = bottom = bg;
        } else if (c == 0xE2 && i + 2 < n && (unsigned char)bytes[i + 1] == 0x96) {
            unsigned char third = (unsigned char)bytes[i + 2];
            top = third == 0x80 ? fg : bg;    /* U+2580 upper half */
            bottom = third == 0x80 ? bg : fg; /* U+2584 lower half */
            i += 2;
        } else {
            continue;
        }
        unsigned char *p = out->rgba + ((size_t)(2 * row) * (size_t)cols + (size_t)x) * 4;
        memcpy(p, top, 4);
        memcpy(p + (size_t)cols * 4, bottom, 4);
        x++;
    }
    return 0;
}

#endif
