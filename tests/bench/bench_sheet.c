/* SPDX-License-Identifier: MIT */
/* bench_sheet: a contact sheet against one picture, in process. 24 files of 1024x1024 (the
 * photo-like test picture, each a little different) in a session-like images/ folder composed
 * into 6x4 cells of 160x160 pixels (ea_gfx_compose) and encoded as sixel, against one such
 * file drawn within 640x640 as `easel show` does it (ea_gfx_show_frame): the median of RUNS
 * each, alternating, for PNG sources and for JPEG ones, three ways:
 *   plain  the sheet from the images alone (no thumbnails: what every view cost before);
 *   cold   the first view: no thumbnails yet, so the images are decoded and the thumbnails
 *          written on the way (thumbs/ emptied before each run);
 *   warm   every later view: drawn from the thumbnails (thumb.h).
 * Target: the sheet a person opens (warm) in at most 4x the single picture's time. Exits 1
 * when a warm sheet misses it. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/gfx.h"

#include "bench_util.h"
#include "../unit/gfx_decode.h"

#define RUNS 11
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
        snprintf(paths[i], 256, "%s/images/src%02d.%s", dir, i, fmt);
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

/* Empties dir/thumbs: the next sheet is a first view. */
static void drop_thumbs(const char *dir)
{
    char thumbs[256], path[600];
    snprintf(thumbs, sizeof thumbs, "%s/thumbs", dir);
    DIR *d = opendir(thumbs);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' || strstr(e->d_name, ".tmp-")) {
            snprintf(path, sizeof path, "%s/%s", thumbs, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
}

/* 6x4 cells of 160x160 in a 960x642 sheet (642: whole sixel bands), drawn at its own size;
 * with thumbnails (in dir/thumbs) or without. used: the tiles drawn from a thumbnail. */
static double time_sheet(char paths[FILES][256], bool with_thumbs, int devnull,
                         size_t *bytes_out, int *used)
{
    ea_gfx_options opt;
    ea_gfx_options_init(&opt);
    opt.protocol = EA_GFX_SIXEL;
    opt.cols = SHEET_COLS * CELL / 8, opt.rows = 41;
    char thumbs[FILES][300];
    for (int i = 0; i < FILES; i++)
        if (ea_thumb_path(paths[i], thumbs[i], sizeof thumbs[i]) != 0)
            exit(1);
    double t0 = bench_now_ms();
    ea_image sheet;
    ea_gfx_tile tiles[FILES];
    if (ea_image_alloc(&sheet, SHEET_COLS * CELL, 642) != 0)
        exit(1);
    for (int i = 0; i < FILES; i++)
        tiles[i] = (ea_gfx_tile){.path = paths[i], .x = i % SHEET_COLS * CELL,
                                 .y = i / SHEET_COLS * CELL, .w = CELL, .h = CELL,
                                 .thumb = with_thumbs ? thumbs[i] : NULL};
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
    double ms = bench_now_ms() - t0;
    *bytes_out = out.len;
    *used = 0;
    for (int i = 0; i < FILES; i++)
        *used += tiles[i].use == EA_THUMB_USED;
    ea_buf_free(&out);
    ea_image_free(&sheet);
    return ms;
}

int main(void)
{
    char dir[] = "/tmp/bench_sheet.XXXXXX", images[64], thumbs[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(images, sizeof images, "%s/images", dir);
    snprintf(thumbs, sizeof thumbs, "%s/thumbs", dir);
    if (mkdir(images, 0700) != 0)
        return 1;
    int devnull = open("/dev/null", O_WRONLY);
    static const char *const formats[] = {"png", "jpeg"};
    int status = 0;
    printf("contact sheet: %d files of 1024x1024 into %dx%d cells of %dx%d, sixel, against one "
           "file within 640x640; median of %d, alternating; plain: no thumbnails, cold: the "
           "first view (writes them), warm: from them\n", FILES, SHEET_COLS, FILES / SHEET_COLS,
           CELL, CELL, RUNS);
    for (size_t f = 0; f < 2; f++) {
        char paths[FILES][256];
        if (make_sources(dir, formats[f], paths) != 0) {
            fprintf(stderr, "bench_sheet: cannot write the sources\n");
            return 1;
        }
        /* A thumbnail is written only for an image older than the current second (thumb.h). */
        sleep(1);
        double one[RUNS], plain[RUNS], cold[RUNS], warm[RUNS];
        size_t bytes = 0, warm_bytes = 0;
        int made = 0, used = 0;
        for (int r = 0; r < RUNS; r++) {
            one[r] = time_single(paths[r % FILES], devnull);
            plain[r] = time_sheet(paths, false, devnull, &bytes, &used);
            drop_thumbs(dir);
            cold[r] = time_sheet(paths, true, devnull, &bytes, &used);
            made = used; /* 0: the cold sheet drew nothing from a thumbnail */
            warm[r] = time_sheet(paths, true, devnull, &warm_bytes, &used);
        }
        double m1 = bench_median(one, RUNS), mp = bench_median(plain, RUNS),
               mc = bench_median(cold, RUNS), mw = bench_median(warm, RUNS);
        printf("%-5s one picture %6.1f ms | plain %6.1f ms x%.2f | cold %6.1f ms x%.2f | "
               "warm %6.1f ms x%.2f (target x4; %d/%d from thumbnails, %zu bytes)\n",
               formats[f], m1, mp, mp / m1, mc, mc / m1, mw, mw / m1, used, FILES, warm_bytes);
        if (made != 0 || used != FILES) {
            printf("WRONG: the cold sheet used %d thumbnails, the warm one %d of %d\n", made,
                   used, FILES);
            status = 1;
        } else if (mw > 4 * m1) {
            printf("MISSED: the warm %s sheet takes more than 4x one picture\n", formats[f]);
            status = 1;
        }
        drop_thumbs(dir);
        for (int i = 0; i < FILES; i++)
            unlink(paths[i]);
    }
    rmdir(thumbs);
    rmdir(images);
    rmdir(dir);
    close(devnull);
    return status;
}
