/* SPDX-License-Identifier: MIT */
/* Unit tests for thumbnails (thumb.c): where they live; one is made on first use and drawn
 * from later, with the very pixels the image gives; a changed or replaced image never shows
 * its old thumbnail; a damaged, oversized or mismatched thumbnail falls back to the image;
 * links are refused (the image, the thumbnail, the thumbs/ folder), never written through; a
 * folder that cannot be written just means no thumbnail; an image written in the current
 * second gets none yet (a racy thumbnail could miss a change in that second). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "easel/gfx.h"
#include "easel/thumb.h"
#include "gfx_decode.h"

typedef struct fixture {
    char dir[64], images[96], thumbs[96], image[128], thumb[160];
} fixture;

/* A w x h photo-like picture, its rows rolled by `roll` so that each differs, as PNG bytes. */
static void photo_png(int w, int h, int roll, ea_buf *out)
{
    ea_image img, rolled;
    assert_int_equal(gfxt_photo(&img, w, h), 0);
    assert_int_equal(ea_image_alloc(&rolled, w, h), 0);
    size_t row = (size_t)w * 4;
    for (int y = 0; y < h; y++)
        memcpy(rolled.rgba + (size_t)y * row, img.rgba + (size_t)((y + roll) % h) * row, row);
    ea_err err = {0};
    ea_buf_init(out, EA_BUF_UNCAPPED);
    assert_int_equal(ea_image_encode(&rolled, "png", 100, false, out, &err), 0);
    ea_image_free(&img), ea_image_free(&rolled);
}

static void write_bytes(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Replaces path as easel saves: a new file renamed over it. */
static void replace_file(const char *path, const ea_buf *b)
{
    char tmp[200];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    write_bytes(tmp, b->data, b->len);
    assert_int_equal(rename(tmp, path), 0);
}

/* The fixture's image: a w x h photo (png receives its bytes). */
static void write_image(const fixture *f, int w, int h, ea_buf *png)
{
    photo_png(w, h, 0, png);
    write_bytes(f->image, png->data, png->len);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_thumb.XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->images, sizeof f->images, "%s/images", f->dir);
    snprintf(f->thumbs, sizeof f->thumbs, "%s/thumbs", f->dir);
    snprintf(f->image, sizeof f->image, "%s/3-1.png", f->images);
    snprintf(f->thumb, sizeof f->thumb, "%s/3-1.png.png", f->thumbs);
    *state = f;
    return mkdir(f->images, 0700);
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* What a cell of box_w x box_h shows of the PNG bytes b: the image fitted into the thumbnail's
 * size, then into the box (the pixels both the image and its thumbnail give). */
static void reference(const ea_buf *b, int box_w, int box_h, ea_image *out)
{
    int iw, ih, tw, th, w, h;
    ea_err err = {0};
    assert_int_equal(ea_image_probe(b->data, b->len, NULL, &iw, &ih, &err), 0);
    assert_int_equal(ea_gfx_fit_px(iw, ih, box_w, box_h, &w, &h), 0);
    int side = ea_thumb_side(w, h);
    assert_int_equal(ea_gfx_fit_px(iw, ih, side, side, &tw, &th), 0);
    ea_image small;
    assert_int_equal(ea_image_decode_scaled(b->data, b->len, NULL, tw, th, &small, &err), 0);
    if (w == tw && h == th) {
        *out = small;
        return;
    }
    assert_int_equal(ea_gfx_downscale_area(&small, w, h, out, &err), 0);
    ea_image_free(&small);
}

static void assert_same_image(const ea_image *a, const ea_image *b)
{
    assert_int_equal(a->w, b->w);
    assert_int_equal(a->h, b->h);
    assert_memory_equal(a->rgba, b->rgba, (size_t)a->w * (size_t)a->h * 4);
}

static enum ea_thumb_use load(const fixture *f, int box_w, int box_h, ea_image *out)
{
    enum ea_thumb_use use = EA_THUMB_USED;
    ea_err err = {0};
    assert_int_equal(ea_thumb_load_fit(f->image, f->thumb, box_w, box_h, out, &use, &err), 0);
    return use;
}

/* Loads until the thumbnail is made: none is made while the image is from the current second. */
static void load_until_made(const fixture *f, int box_w, int box_h, ea_image *out)
{
    for (int i = 0; i < 60; i++) {
        if (load(f, box_w, box_h, out) == EA_THUMB_MADE)
            return;
        ea_image_free(out);
        usleep(50 * 1000);
    }
    fail_msg("no thumbnail was made in 3 s");
}

static void test_path(void **state)
{
    (void)state;
    assert_int_equal(ea_thumb_side(160, 107), 256);
    assert_int_equal(ea_thumb_side(100, 256), 256);
    assert_int_equal(ea_thumb_side(257, 10), 384);
    assert_int_equal(ea_thumb_side(384, 384), 384);
    assert_int_equal(ea_thumb_side(385, 200), -1);
    char out[64];
    assert_int_equal(ea_thumb_path("/s/ID/images/3-1.png", out, sizeof out), 0);
    assert_string_equal(out, "/s/ID/thumbs/3-1.png.png");
    assert_int_equal(ea_thumb_path("images/2-4.jpeg", out, sizeof out), 0);
    assert_string_equal(out, "thumbs/2-4.jpeg.png");
    assert_int_equal(ea_thumb_path("/s/ID/inputs/ab.png", out, sizeof out), -1);
    assert_int_equal(ea_thumb_path("/s/ID/myimages/3-1.png", out, sizeof out), -1);
    assert_int_equal(ea_thumb_path("/s/ID/images/", out, sizeof out), -1);
    assert_int_equal(ea_thumb_path("/s/ID/images/3-1.png", out, 10), -1);
}

static void test_made_then_used_with_the_same_pixels(void **state)
{
    fixture *f = *state;
    ea_buf png;
    write_image(f, 600, 400, &png);
    ea_image ref, first, second;
    reference(&png, 160, 160, &ref);
    load_until_made(f, 160, 160, &first);
    assert_same_image(&first, &ref);
    struct stat st;
    assert_int_equal(lstat(f->thumbs, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(lstat(f->thumb, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(load(f, 160, 160, &second), EA_THUMB_USED);
    assert_same_image(&second, &ref);
    ea_image_free(&second);
    /* The thumbnail's own size is a box it serves too, decoded as it is. */
    assert_int_equal(load(f, 256, 256, &second), EA_THUMB_USED);
    assert_int_equal(second.w, 256);
    assert_int_equal(second.h, 171);
    ea_image_free(&second);
    /* A box that needs more: a larger thumbnail in its place, which serves the smaller too. */
    assert_int_equal(load(f, 300, 300, &second), EA_THUMB_MADE);
    assert_int_equal(second.w, 300);
    assert_int_equal(second.h, 200);
    ea_image_free(&second);
    unsigned char *bytes;
    size_t n;
    ea_err err = {0};
    int tw, th;
    assert_int_equal(ea_image_read_file(f->thumb, NULL, &bytes, &n, &err), 0);
    assert_int_equal(ea_image_probe(bytes, n, NULL, &tw, &th, &err), 0);
    free(bytes);
    assert_int_equal(tw, 384);
    assert_int_equal(th, 256);
    assert_int_equal(load(f, 300, 300, &second), EA_THUMB_USED);
    ea_image_free(&second);
    assert_int_equal(load(f, 160, 160, &second), EA_THUMB_USED);
    assert_int_equal(second.w, 160);
    ea_image_free(&second);
    /* A larger box is the image's: a thumbnail is never enlarged. */
    assert_int_equal(load(f, 400, 400, &second), EA_THUMB_NONE);
    assert_int_equal(second.w, 400);
    assert_int_equal(second.h, 267);
    /* No temp file left behind: thumbs/ holds the one thumbnail. */
    DIR *d = opendir(f->thumbs);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    assert_int_equal(entries, 1);
    ea_image_free(&second), ea_image_free(&first), ea_image_free(&ref);
    ea_buf_free(&png);
}

static void test_changed_image_never_shows_its_old_thumbnail(void **state)
{
    fixture *f = *state;
    ea_buf a, b, c;
    photo_png(600, 400, 150, &b);
    photo_png(300, 200, 0, &c); /* fewer bytes than b: written over b in place below */
    write_image(f, 600, 400, &a);
    ea_image img, ref;
    load_until_made(f, 160, 160, &img);
    ea_image_free(&img);

    /* Replaced under the same name (a new file renamed over it): the new picture, at once. */
    replace_file(f->image, &b);
    reference(&b, 160, 160, &ref);
    assert_int_not_equal(load(f, 160, 160, &img), EA_THUMB_USED);
    assert_same_image(&img, &ref);
    ea_image_free(&img), ea_image_free(&ref);

    /* Rewritten in place, the same size, and its modification time put back (as cp -p or
     * rsync -t do): the change time still tells. */
    load_until_made(f, 160, 160, &img);
    ea_image_free(&img);
    struct stat before;
    assert_int_equal(stat(f->image, &before), 0);
    ea_buf same_size;
    ea_buf_init(&same_size, EA_BUF_UNCAPPED);
    assert_true(c.len < b.len);
    assert_int_equal(ea_buf_append(&same_size, c.data, c.len), 0);
    while (same_size.len < b.len) /* padding after IEND: still the picture c */
        assert_int_equal(ea_buf_putc(&same_size, 0), 0);
    int fd = open(f->image, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, same_size.data, same_size.len, 0), (ssize_t)same_size.len);
    const struct timespec times[2] = {before.st_atim, before.st_mtim};
    assert_int_equal(futimens(fd, times), 0);
    close(fd);
    struct stat after;
    assert_int_equal(stat(f->image, &after), 0);
    assert_int_equal(after.st_size, before.st_size);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    reference(&c, 160, 160, &ref);
    assert_int_not_equal(load(f, 160, 160, &img), EA_THUMB_USED);
    assert_same_image(&img, &ref);
    ea_image_free(&img), ea_image_free(&ref);
    ea_buf_free(&same_size), ea_buf_free(&a), ea_buf_free(&b), ea_buf_free(&c);
}

/* Reads the thumbnail, lets damage() change its bytes, writes it back. */
static void tamper(const fixture *f, void (*damage)(ea_buf *))
{
    unsigned char *bytes;
    size_t n;
    ea_err err = {0};
    assert_int_equal(ea_image_read_file(f->thumb, NULL, &bytes, &n, &err), 0);
    ea_buf b;
    ea_buf_init(&b, EA_BUF_UNCAPPED);
    assert_int_equal(ea_buf_append(&b, bytes, n), 0);
    free(bytes);
    damage(&b);
    write_bytes(f->thumb, b.data, b.len);
    ea_buf_free(&b);
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void flip_pixels(ea_buf *b) { b->data[b->len - 100] ^= 0x55; }
static void cut_short(ea_buf *b) { b->len /= 2; }
/* A header that claims 65536x65536 pixels, its CRC made right: the limits refuse it. */
static void huge_header(ea_buf *b)
{
    unsigned char *ihdr = (unsigned char *)b->data + 8;
    put32(ihdr + 8, 65536), put32(ihdr + 12, 65536);
    put32(ihdr + 8 + 13, (uint32_t)crc32(0, ihdr + 4, 17));
}
/* Another size than the image's fitted into a thumbnail's side, its CRC made right. */
static void other_size(ea_buf *b)
{
    unsigned char *ihdr = (unsigned char *)b->data + 8;
    put32(ihdr + 12, 100);
    put32(ihdr + 8 + 13, (uint32_t)crc32(0, ihdr + 4, 17));
}
/* The key's chunk: its text (after the keyword's NUL) and length, and the CRC made right
 * after fix() changed the text in place. */
static void edit_key(ea_buf *b, void (*fix)(char *text, size_t n))
{
    char *k = (char *)gfxt_find(b->data, b->len, "Easel::Thumb", 12);
    assert_non_null(k);
    unsigned char *chunk = (unsigned char *)k - 8;
    uint32_t len = (uint32_t)chunk[0] << 24 | (uint32_t)chunk[1] << 16 | (uint32_t)chunk[2] << 8 | chunk[3];
    fix(k + 13, len - 13);
    put32(chunk + 8 + len, (uint32_t)crc32(0, chunk + 4, len + 4));
}
/* Another change time: another file's. */
static void other_ctime(char *text, size_t n)
{
    char *dot = memchr(text, '.', n);
    assert_non_null(dot);
    dot[-1] = dot[-1] == '1' ? '2' : '1';
}
static void other_key(ea_buf *b) { edit_key(b, other_ctime); }
/* A width of -00: nonsense, refused before anything is compared. */
static void negative_width(char *text, size_t n)
{
    assert_true(n > 3 && text[0] == '1' && text[1] == ' ');
    text[2] = '-';
}
static void bad_width(ea_buf *b) { edit_key(b, negative_width); }
/* Not a PNG at all. */
static void garbage(ea_buf *b) { memset(b->data, 'x', b->len); }

static void test_bad_thumbnail_falls_back_to_the_image(void **state)
{
    fixture *f = *state;
    ea_buf png;
    write_image(f, 600, 400, &png);
    ea_image ref, img;
    reference(&png, 160, 160, &ref);
    void (*const damages[])(ea_buf *) = {flip_pixels, cut_short, huge_header, other_size,
                                         other_key, bad_width, garbage};
    for (size_t i = 0; i < sizeof damages / sizeof *damages; i++) {
        unlink(f->thumb);
        load_until_made(f, 160, 160, &img);
        ea_image_free(&img);
        tamper(f, damages[i]);
        /* Drawn from the image, and a good thumbnail made again in its place. */
        enum ea_thumb_use use = load(f, 160, 160, &img);
        assert_int_not_equal(use, EA_THUMB_USED);
        assert_same_image(&img, &ref);
        ea_image_free(&img);
        if (use == EA_THUMB_MADE) {
            assert_int_equal(load(f, 160, 160, &img), EA_THUMB_USED);
            ea_image_free(&img);
        }
    }
    ea_image_free(&ref);
    ea_buf_free(&png);
}

static void test_links_are_refused(void **state)
{
    fixture *f = *state;
    ea_buf png;
    photo_png(600, 400, 0, &png);
    char real[160], elsewhere[160];
    snprintf(real, sizeof real, "%s/real.png", f->dir);
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", f->dir);
    write_bytes(real, png.data, png.len);
    ea_image img = {0}, ref;
    ea_err err = {0};

    /* The image a link: refused, as every session file is. */
    assert_int_equal(symlink(real, f->image), 0);
    assert_int_equal(ea_thumb_load_fit(f->image, f->thumb, 160, 160, &img, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "symbolic link"));
    unlink(f->image);

    /* The thumbnail a link to a good thumbnail: not read, not written through. */
    write_bytes(f->image, png.data, png.len);
    reference(&png, 160, 160, &ref);
    load_until_made(f, 160, 160, &img);
    ea_image_free(&img);
    char moved[200];
    snprintf(moved, sizeof moved, "%s/good-thumb.png", f->dir);
    assert_int_equal(rename(f->thumb, moved), 0);
    assert_int_equal(symlink(moved, f->thumb), 0);
    struct stat before, after;
    assert_int_equal(stat(moved, &before), 0);
    assert_int_not_equal(load(f, 160, 160, &img), EA_THUMB_USED);
    assert_same_image(&img, &ref);
    ea_image_free(&img);
    assert_int_equal(stat(moved, &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);

    /* thumbs/ a link to another folder holding that good thumbnail: neither read nor written. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir '%s' && cp '%s' '%s/3-1.png.png'", f->thumbs,
             elsewhere, moved, elsewhere);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(symlink(elsewhere, f->thumbs), 0);
    assert_int_equal(stat(f->thumb, &before), 0); /* through the link: the good thumbnail */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(load(f, 160, 160, &img), EA_THUMB_NONE);
        assert_same_image(&img, &ref);
        ea_image_free(&img);
        usleep(400 * 1000);
    }
    assert_int_equal(stat(f->thumb, &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    ea_image_free(&ref);
    ea_buf_free(&png);
}

static void test_no_thumbnail_where_none_can_be_written(void **state)
{
    fixture *f = *state;
    ea_buf png;
    write_image(f, 600, 400, &png);
    ea_image ref, img;
    reference(&png, 160, 160, &ref);
    /* thumbs/ is a file: no folder to write in. */
    write_bytes(f->thumbs, "x", 1);
    sleep(1);
    assert_int_equal(load(f, 160, 160, &img), EA_THUMB_NONE);
    assert_same_image(&img, &ref);
    ea_image_free(&img);
    unlink(f->thumbs);
    /* A read-only session folder (root writes anyway: nothing to see then). */
    if (geteuid() != 0) {
        assert_int_equal(chmod(f->dir, 0500), 0);
        assert_int_equal(load(f, 160, 160, &img), EA_THUMB_NONE);
        assert_same_image(&img, &ref);
        ea_image_free(&img);
        assert_int_equal(chmod(f->dir, 0700), 0);
    }
    /* With no thumbnail path at all: the image, the same pixels when it can be read. */
    enum ea_thumb_use use = EA_THUMB_USED;
    ea_err err = {0};
    assert_int_equal(ea_thumb_load_fit(f->image, NULL, 160, 160, &img, &use, &err), 0);
    assert_int_equal(use, EA_THUMB_NONE);
    ea_image_free(&img), ea_image_free(&ref);
    ea_buf_free(&png);
}

static void test_no_thumbnail_for_an_image_of_this_second(void **state)
{
    fixture *f = *state;
    ea_buf png;
    photo_png(600, 400, 0, &png);
    ea_image img;
    /* Written and loaded at once, nearly always in the same second; at a second's edge the
     * write may fall in the one before, hence a few tries. */
    bool racy_seen = false;
    for (int i = 0; i < 5 && !racy_seen; i++) {
        unlink(f->thumb);
        replace_file(f->image, &png);
        racy_seen = load(f, 160, 160, &img) == EA_THUMB_NONE;
        ea_image_free(&img);
        struct stat st;
        assert_int_equal(racy_seen, lstat(f->thumb, &st) != 0);
    }
    assert_true(racy_seen);
    ea_buf_free(&png);
}

/* Small images need none: the image is as small as its thumbnail would be. */
static void test_no_thumbnail_for_a_small_image(void **state)
{
    fixture *f = *state;
    ea_buf png;
    write_image(f, 200, 100, &png);
    sleep(1);
    ea_image img;
    assert_int_equal(load(f, 160, 160, &img), EA_THUMB_NONE);
    assert_int_equal(img.w, 160);
    assert_int_equal(img.h, 80);
    ea_image_free(&img);
    struct stat st;
    assert_int_not_equal(lstat(f->thumb, &st), 0);
    ea_buf_free(&png);
}

/* ea_gfx_compose with tiles that have thumbnails: each says what it did. */
static void test_compose_uses_thumbnails(void **state)
{
    fixture *f = *state;
    ea_buf png;
    write_image(f, 600, 400, &png);
    ea_image img;
    load_until_made(f, 160, 160, &img);
    ea_image_free(&img);
    ea_image sheet;
    assert_int_equal(ea_image_alloc(&sheet, 320, 160), 0);
    ea_gfx_tile tiles[] = {
        {.path = f->image, .thumb = f->thumb, .x = 0, .y = 0, .w = 160, .h = 160},
        {.path = f->image, .x = 160, .y = 0, .w = 160, .h = 160},
    };
    assert_int_equal(ea_gfx_compose(&sheet, tiles, 2), 2);
    assert_int_equal(tiles[0].use, EA_THUMB_USED);
    assert_int_equal(tiles[1].use, EA_THUMB_NONE);
    ea_image_free(&sheet);
    ea_buf_free(&png);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path),
        cmocka_unit_test_setup_teardown(test_made_then_used_with_the_same_pixels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_image_never_shows_its_old_thumbnail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_thumbnail_falls_back_to_the_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_links_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_thumbnail_where_none_can_be_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_thumbnail_for_an_image_of_this_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_thumbnail_for_a_small_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compose_uses_thumbnails, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
