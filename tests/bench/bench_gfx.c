/* SPDX-License-Identifier: MIT */
/* bench_gfx: the encoders in process: a 1024x1024 photo-like picture drawn within 640x640
 * (80x40 cells of 8x16), the median of RUNS encodes per protocol, bytes per frame, and the
 * libsixel encoder (256 colours, no diffusion) beside ours. It is also the measuring tool of
 * bench_show.sh:
 *   bench_gfx picture OUT.png          writes the test picture
 *   bench_gfx psnr SRC PROTOCOL FILE   decodes FILE (a terminal stream) and prints
 *                                      "W H PSNR" against SRC scaled to W x H by stb */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "easel/gfx.h"

#include "bench_util.h"
#include "../unit/gfx_decode.h"

#define RUNS 15

static int read_file(const char *path, ea_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (ea_buf_append(out, chunk, n) != 0)
            break;
    fclose(f);
    return 0;
}

static int cmd_picture(const char *path)
{
    ea_image img;
    ea_buf png;
    ea_err err = {0};
    ea_buf_init(&png, EA_BUF_UNCAPPED);
    if (gfxt_photo(&img, 1024, 1024) != 0 || ea_image_encode(&img, "png", 0, false, &png, &err) != 0 ||
        bench_write_file(path, png.data, png.len) != 0) {
        fprintf(stderr, "bench_gfx: cannot write %s %s\n", path, err.msg);
        return 1;
    }
    ea_image_free(&img);
    ea_buf_free(&png);
    return 0;
}

static int cmd_psnr(const char *src_path, const char *protocol, const char *path)
{
    ea_image src, decoded = {0}, ref;
    ea_err err = {0};
    ea_buf bytes;
    ea_buf_init(&bytes, EA_BUF_UNCAPPED);
    if (ea_image_load_file(src_path, NULL, &src, &err) != 0 || read_file(path, &bytes) != 0 ||
        !bytes.data) {
        fprintf(stderr, "bench_gfx: %s\n", err.msg[0] ? err.msg : "cannot read the output");
        return 1;
    }
    int rc = -1;
    gfxt_kitty k;
    gfxt_iterm t;
    if (strcmp(protocol, "sixel") == 0)
        rc = gfxt_decode_sixel(bytes.data, bytes.len, &decoded);
    else if (strcmp(protocol, "kitty") == 0)
        rc = gfxt_decode_kitty(bytes.data, bytes.len, &decoded, &k);
    else if (strcmp(protocol, "iterm") == 0)
        rc = gfxt_decode_iterm(bytes.data, bytes.len, &decoded, &t);
    else if (strcmp(protocol, "blocks") == 0)
        rc = gfxt_decode_blocks(bytes.data, bytes.len, &decoded);
    if (rc != 0 || ea_image_resize(&src, decoded.w, decoded.h, &ref, &err) != 0) {
        fprintf(stderr, "bench_gfx: cannot decode %s as %s\n", path, protocol);
        return 1;
    }
    printf("%d %d %.2f\n", decoded.w, decoded.h, gfxt_psnr(&decoded, &ref));
    ea_image_free(&src), ea_image_free(&decoded), ea_image_free(&ref), ea_buf_free(&bytes);
    return 0;
}

static int sixel_to_buf(char *data, int size, void *priv)
{
    return ea_buf_append(priv, data, (size_t)size) == 0 ? 0 : -1;
}

/* libsixel at its fastest sensible setting for a preview: 256 colours, no diffusion. */
static size_t libsixel_encode(const ea_image *img, ea_buf *out)
{
    sixel_output_t *output = NULL;
    sixel_dither_t *dither = NULL;
    ea_buf_reset(out);
    if (SIXEL_FAILED(sixel_output_new(&output, sixel_to_buf, out, NULL)) ||
        SIXEL_FAILED(sixel_dither_new(&dither, 256, NULL)))
        return 0;
    sixel_dither_initialize(dither, img->rgba, img->w, img->h, SIXEL_PIXELFORMAT_RGBA8888,
                            SIXEL_LARGE_AUTO, SIXEL_REP_AUTO, SIXEL_QUALITY_AUTO);
    sixel_dither_set_diffusion_type(dither, SIXEL_DIFFUSE_NONE);
    sixel_encode(img->rgba, img->w, img->h, 3, dither, output);
    sixel_dither_unref(dither);
    sixel_output_unref(output);
    return out->len;
}

static void bench_protocol(const ea_image *img, const char *name, ea_gfx_options opt)
{
    double t[RUNS];
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    ea_gfx_geometry geo = {0};
    for (int i = 0; i < RUNS; i++) {
        ea_buf_reset(&out);
        ea_err err = {0};
        double start = bench_now_ms();
        if (ea_gfx_encode(img, &opt, &out, &geo, &err) != 0) {
            printf("%-14s failed: %s\n", name, err.msg);
            ea_buf_free(&out);
            return;
        }
        t[i] = bench_now_ms() - start;
    }
    printf("%-14s %4dx%-4d %8.1f ms %9zu bytes %5.2f B/px\n", name, geo.px_w, geo.px_h,
           bench_median(t, RUNS), out.len, (double)out.len / ((double)geo.px_w * geo.px_h));
    ea_buf_free(&out);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "picture") == 0)
        return cmd_picture(argv[2]);
    if (argc == 5 && strcmp(argv[1], "psnr") == 0)
        return cmd_psnr(argv[2], argv[3], argv[4]);
    if (argc != 1) {
        fprintf(stderr, "usage: bench_gfx [picture OUT.png | psnr SRC PROTOCOL FILE]\n");
        return 2;
    }
    ea_image img;
    if (gfxt_photo(&img, 1024, 1024) != 0)
        return 1;
    printf("encode a 1024x1024 photo-like picture within 640x640 (scaling included), median of %d\n",
           RUNS);
    ea_gfx_options opt;
    ea_gfx_options_init(&opt);
    opt.cols = 80, opt.rows = 40;
    const struct {
        const char *name;
        enum ea_gfx_protocol protocol;
        bool zlib, png, p256;
    } runs[] = {
        {"sixel", EA_GFX_SIXEL, 0, 0, 0},     {"kitty raw", EA_GFX_KITTY, 0, 0, 0},
        {"kitty zlib", EA_GFX_KITTY, 1, 0, 0}, {"kitty png", EA_GFX_KITTY, 0, 1, 0},
        {"iterm jpeg", EA_GFX_ITERM, 0, 0, 0}, {"blocks 24bit", EA_GFX_BLOCKS, 0, 0, 0},
        {"blocks 256", EA_GFX_BLOCKS, 0, 0, 1},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        opt.protocol = runs[i].protocol;
        opt.kitty_zlib = runs[i].zlib;
        opt.kitty_png = runs[i].png;
        opt.blocks_256 = runs[i].p256;
        bench_protocol(&img, runs[i].name, opt);
    }

    /* Ours against libsixel on the same scaled picture, encode only. */
    ea_image scaled, decoded, ref;
    ea_err err = {0};
    if (ea_gfx_downscale_area(&img, 636, 636, &scaled, &err) != 0)
        return 1;
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    double t_ours[RUNS], t_lib[RUNS];
    opt.protocol = EA_GFX_SIXEL;
    opt.cols = 636 / 8 + 1, opt.rows = 636 / 16 + 1;
    size_t ours = 0, lib = 0;
    double db_ours = 0, db_lib = 0;
    for (int i = 0; i < RUNS; i++) {
        ea_buf_reset(&out);
        double start = bench_now_ms();
        ea_gfx_encode(&scaled, &opt, &out, NULL, &err);
        t_ours[i] = bench_now_ms() - start;
        ours = out.len;
        if (i == 0 && gfxt_decode_sixel(out.data, out.len, &decoded) == 0) {
            db_ours = gfxt_psnr(&decoded, &scaled);
            ea_image_free(&decoded);
        }
        start = bench_now_ms();
        lib = libsixel_encode(&scaled, &out);
        t_lib[i] = bench_now_ms() - start;
        if (i == 0 && gfxt_decode_sixel(out.data, out.len, &decoded) == 0) {
            db_lib = gfxt_psnr(&decoded, &scaled);
            ea_image_free(&decoded);
        }
    }
    (void)ref;
    double mo = bench_median(t_ours, RUNS), ml = bench_median(t_lib, RUNS);
    printf("sixel encode only, 636x636: easel %.1f ms %zu bytes %.2f dB | libsixel no-dither "
           "%.1f ms %zu bytes %.2f dB | time x%.2f, bytes x%.2f, %+.2f dB\n",
           mo, ours, db_ours, ml, lib, db_lib, mo / ml, (double)ours / (double)lib,
           db_ours - db_lib);
    ea_buf_free(&out);
    ea_image_free(&scaled);
    ea_image_free(&img);
    return 0;
}
