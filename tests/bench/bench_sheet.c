/* SPDX-License-Identifier: MIT */
/* bench_sheet: a contact sheet against one picture, in process. 24 files of 1024x1024 (the
 * photo-like test picture, each a little different) composed into 6x4 cells of 160x160
 * pixels (ea_gfx_compose) and encoded as sixel, against one such file drawn within 640x640
 * as `easel show` does it (ea_gfx_show_frame): the median of RUNS each, alternating, for PNG
 * sources and for JPEG ones. Target: the sheet in at most 4x the single picture's time.
 * Exits 1 when the PNG sheet misses it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/gfx.h"

#include "bench_util.h"
#include "../unit/gfx_decode.h"

#define RUNS 9
#define FILES 24
#define SHEET_COLS 6
#define CELL 160

/* Writes the FILES sources as fmt into dir; paths[i] receives each name. */
static int make_sources(const char *dir, const char *fmt, char paths[FILES][256])
{
    ea_image img;
    if (gfxt_photo(&img, 1024, 1024) != 0)
        return -1;
    for (int i = 0; i < FILES; i++) {
        /* A different picture each: the rows rolled by i * 37 (a shift keeps the content). */
        size_t row = 1024 * 4, shift = (size_t)(i * 37 % 1024) * row;
        unsigned char *rolled = malloc(row * 1024);
        if (!rolled)
            return -1;
        memcpy(rolled, img.rgba + shift, row * 1024 - shift);
        memcpy(rolled + row * 1024 - shift, img.rgba, shift);
        ea_image one = {1024, 1024, rolled};
        ea_buf out;
        ea_err err = {0};
        ea_buf_init(&out, EA_BUF_UNCAPPED);
        snprintf(paths[i], 256, "%s/src%02d.%s", dir, i, fmt);
        /* output_compression 95 is JPEG quality 90 (image.c's mapping). */
        int rc = ea_image_encode(&one, fmt, 95, false, &out, &err) != 0 ||
                 bench_write_file(paths[i], out.data, out.len) != 0;
        ea_buf_free(&out);
        free(rolled);
        if (rc)
            return -1;
    }
    ea_image_free(&img);
    return 0;
}

static double time_single(const char *path, int devnull)
{
    ea_gfx_options opt;
    ea_gfx_options_init(&opt);
    opt.protocol = EA_GFX_SIXEL;
    opt.cols = 80, opt.rows = 40;
    unsigned char *bytes;
    size_t n;
    ea_err err = {0};
    double t0 = bench_now_ms();
    if (ea_image_read_file(path, NULL, &bytes, &n, &err) != 0 ||
        ea_gfx_show_frame(bytes, n, &opt, devnull, NULL, &err) != 0) {
        fprintf(stderr, "bench_sheet: %s\n", err.msg);
        exit(1);
    }
    free(bytes);
    return bench_now_ms() - t0;
}

/* 6x4 cells of 160x160 in a 960x642 sheet (642: whole sixel bands), drawn at its own size. */
static double time_sheet(char paths[FILES][256], int devnull, size_t *bytes_out)
{
    ea_gfx_options opt;
    ea_gfx_options_init(&opt);
    opt.protocol = EA_GFX_SIXEL;
    opt.cols = SHEET_COLS * CELL / 8, opt.rows = 41;
    double t0 = bench_now_ms();
    ea_image sheet;
    ea_gfx_tile tiles[FILES];
    if (ea_image_alloc(&sheet, SHEET_COLS * CELL, 642) != 0)
        exit(1);
    for (int i = 0; i < FILES; i++)
        tiles[i] = (ea_gfx_tile){.path = paths[i], .x = i % SHEET_COLS * CELL,
                                 .y = i / SHEET_COLS * CELL, .w = CELL, .h = CELL};
    int drawn = ea_gfx_compose(&sheet, tiles, FILES);
    ea_buf out;
    ea_err err = {0};
    ea_gfx_geometry geo;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    if (drawn != FILES || ea_gfx_encode(&sheet, &opt, &out, &geo, &err) != 0 ||
        geo.px_w != sheet.w || geo.px_h != sheet.h ||
        ea_gfx_write_all(devnull, out.data, out.len) != 0) {
        fprintf(stderr, "bench_sheet: sheet failed (%d drawn) %s\n", drawn, err.msg);
        exit(1);
    }
    *bytes_out = out.len;
    ea_buf_free(&out);
    ea_image_free(&sheet);
    return bench_now_ms() - t0;
}

int main(void)
{
    char dir[] = "/tmp/bench_sheet.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    int devnull = open("/dev/null", O_WRONLY);
    static const char *const formats[] = {"png", "jpeg"};
    int status = 0;
    printf("contact sheet: %d files of 1024x1024 into %dx%d cells of %dx%d, sixel, against one "
           "file within 640x640; median of %d, alternating\n", FILES, SHEET_COLS,
           FILES / SHEET_COLS, CELL, CELL, RUNS);
    for (size_t f = 0; f < 2; f++) {
        char paths[FILES][256];
        if (make_sources(dir, formats[f], paths) != 0) {
            fprintf(stderr, "bench_sheet: cannot write the sources\n");
            return 1;
        }
        double one[RUNS], sheet[RUNS];
        size_t bytes = 0;
        for (int r = 0; r < RUNS; r++) {
            one[r] = time_single(paths[r % FILES], devnull);
            sheet[r] = time_sheet(paths, devnull, &bytes);
        }
        double m1 = bench_median(one, RUNS), ms = bench_median(sheet, RUNS);
        printf("%-5s one picture %7.1f ms | sheet %7.1f ms %8zu bytes | sheet/one x%.2f "
               "(target x4)\n", formats[f], m1, ms, bytes, ms / m1);
        if (f == 0 && ms > 4 * m1) {
            printf("MISSED: the PNG sheet takes more than 4x one picture\n");
            status = 1;
        }
        for (int i = 0; i < FILES; i++)
            unlink(paths[i]);
    }
    rmdir(dir);
    close(devnull);
    return status;
}
