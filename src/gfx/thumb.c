/* SPDX-License-Identifier: MIT */
/* thumb: thumbnails of a session's images for grids and contact sheets. See include/easel/thumb.h
 * for where they live and why a stale one can never be drawn.
 *
 * What it buys (tests/bench/bench_sheet.c, 24 photos of 1024x1024 into 160x160 cells): a PNG
 * must be inflated whole whatever the target, so a sheet from the images costs 24 full decodes;
 * from thumbnails it costs 24 inflates of 256x256. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "easel/gfx.h"
#include "easel/paths.h"
#include "easel/thumb.h"

#define KEYWORD "Easel::Thumb"
#define KEY_MAX 512

/* A thumbnail is a small file of at most EA_THUMB_MAX_SIDE a side: anything else is refused. */
static const ea_image_limits thumb_limits = {
    .max_edge = EA_THUMB_MAX_SIDE,
    .max_pixels = (long)EA_THUMB_MAX_SIDE * EA_THUMB_MAX_SIDE,
    .max_bytes = 1u << 20,
    .max_decode_bytes = 0,
};

int ea_thumb_path(const char *image_path, char *out, size_t size)
{
    const char *name = strrchr(image_path, '/');
    if (!name || !name[1])
        return -1;
    size_t dir_len = (size_t)(name - image_path);
    if (dir_len < 6 || memcmp(name - 6, "images", 6) != 0 || (dir_len > 6 && name[-7] != '/'))
        return -1;
    int n = snprintf(out, size, "%.*sthumbs%s.png", (int)(dir_len - 6), image_path, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int ea_thumb_side(int w, int h)
{
    int need = w > h ? w : h, side = EA_THUMB_SIDE;
    while (side < need && side < EA_THUMB_MAX_SIDE)
        side += 128;
    return need > side ? -1 : side;
}

/* The size ea_image_decode_fit decodes an iw x ih picture at in a box: fitted, never enlarged. */
static void fitted_size(int iw, int ih, int box_w, int box_h, int *w, int *h)
{
    if (ea_gfx_fit_px(iw, ih, box_w, box_h, w, h) != 0 || (*w >= iw && *h >= ih))
        *w = iw, *h = ih;
}

/* What the thumbnail must record of the image: it matches only the very same file. */
static void source_key(const struct stat *st, const char *path, char *key, size_t size)
{
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    snprintf(key, size, "%" PRIuMAX " %" PRIdMAX " %lld.%09ld %lld.%09ld %s", (uintmax_t)st->st_ino,
             (intmax_t)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
             (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec, name);
}

/* Opens the folder of path without following a link there (O_NOFOLLOW alone guards only the
 * last part of a path), and gives the file's name in it. -1 when it is not a real folder. */
static int open_parent(const char *path, char *dir, size_t dir_size, const char **name)
{
    const char *slash = strrchr(path, '/');
    if (!slash || !slash[1] || (size_t)(slash - path) >= dir_size)
        return -1;
    snprintf(dir, dir_size, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    *name = slash + 1;
    return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* ---- Reading ---------------------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The value of the Easel::Thumb tEXt chunk (before the first IDAT, CRC checked) into value. */
static int find_key(const unsigned char *png, size_t n, char *value, size_t size)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < sizeof sig || memcmp(png, sig, sizeof sig) != 0)
        return -1;
    for (size_t pos = sizeof sig; n - pos >= 12;) {
        uint32_t len = be32(png + pos);
        if (len > n - pos - 12)
            return -1;
        const unsigned char *type = png + pos + 4, *data = type + 4;
        if (memcmp(type, "IDAT", 4) == 0)
            return -1;
        if (memcmp(type, "tEXt", 4) == 0 && len > sizeof KEYWORD &&
            memcmp(data, KEYWORD, sizeof KEYWORD) == 0) {
            if (crc32(crc32(0, NULL, 0), type, len + 4) != be32(data + len))
                return -1;
            size_t vlen = len - sizeof KEYWORD;
            if (vlen >= size || memchr(data + sizeof KEYWORD, 0, vlen))
                return -1;
            memcpy(value, data + sizeof KEYWORD, vlen);
            value[vlen] = '\0';
            return 0;
        }
        pos += 12 + (size_t)len;
    }
    return -1;
}

/* A side in pixels (1 to 65535: any image easel decodes) and the space after it, from the key's
 * text, which is untrusted. */
static int parse_side(const char **p, int *side)
{
    char *end;
    errno = 0;
    long v = strtol(*p, &end, 10);
    if (errno || end == *p || *end != ' ' || v < 1 || v > 65535 || **p < '0' || **p > '9')
        return -1;
    *side = (int)v;
    *p = end + 1;
    return 0;
}

/* The thumbnail, when it was made from the file that key describes and is large enough for
 * the box, decoded at the size the image itself would be: any doubt is -1, and the caller
 * decodes the image. */
static int from_thumb(const char *thumb, const char *key, int box_w, int box_h, ea_image *out)
{
    char dir[4096], value[KEY_MAX];
    const char *name;
    int dfd = open_parent(thumb, dir, sizeof dir, &name);
    if (dfd < 0)
        return -1;
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    close(dfd);
    if (fd < 0)
        return -1;
    unsigned char *bytes = NULL;
    size_t n = 0;
    int rc = ea_image_read_fd(fd, thumb, &thumb_limits, &bytes, &n, NULL);
    close(fd);
    int iw, ih, tw, th, want_w, want_h, w, h;
    const char *format = NULL, *rest = value;
    if (rc == 0 && find_key(bytes, n, value, sizeof value) == 0 && strncmp(value, "1 ", 2) == 0 &&
        (rest += 2, parse_side(&rest, &iw) == 0) && parse_side(&rest, &ih) == 0 &&
        strcmp(rest, key) == 0 &&
        ea_image_probe(bytes, n, &format, &tw, &th, NULL) == 0 && strcmp(format, "png") == 0) {
        int side = tw > th ? tw : th;
        fitted_size(iw, ih, side, side, &want_w, &want_h);
        fitted_size(iw, ih, box_w, box_h, &w, &h);
        /* Its size must be the image's fitted into one of the sides, and the box must not want
         * more than that: a thumbnail is never enlarged into a cell the image would fill. */
        if (ea_thumb_side(tw, th) != side || tw != want_w || th != want_h || w > tw || h > th)
            rc = -1;
        else if (w == tw && h == th)
            rc = ea_image_decode(bytes, n, &thumb_limits, out, NULL);
        else
            rc = ea_image_decode_scaled(bytes, n, &thumb_limits, w, h, out, NULL);
    } else {
        rc = -1;
    }
    free(bytes);
    return rc;
}

/* ---- Writing ---------------------------------------------------------------------------- */

typedef struct writer {
    int dfd, fd;
    char tmp[300];
    const char *name;
    struct timespec t0; /* the temp file's own time: when the image was not yet read */
} writer;

static void writer_abort(writer *w)
{
    if (w->fd >= 0) {
        close(w->fd);
        unlinkat(w->dfd, w->tmp, 0);
    }
    if (w->dfd >= 0)
        close(w->dfd);
    w->fd = w->dfd = -1;
}

/* Creates the temp file the thumbnail will be written to, before the image is read (its time
 * is what tells a racy thumbnail: thumb.h). -1 (nothing to clean) when it cannot. */
static int writer_begin(writer *w, const char *thumb)
{
    static atomic_uint counter;
    char dir[4096];
    w->fd = -1;
    const char *slash = strrchr(thumb, '/');
    if (slash && slash != thumb && (size_t)(slash - thumb) < sizeof dir) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - thumb), thumb);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
    }
    if ((w->dfd = open_parent(thumb, dir, sizeof dir, &w->name)) < 0)
        return -1;
    for (int tries = 0; tries < 16 && w->fd < 0; tries++) {
        unsigned r = (unsigned)getpid() * 2654435761u + atomic_fetch_add(&counter, 1) * 40503u;
        if (snprintf(w->tmp, sizeof w->tmp, ".%s.tmp-%06x", w->name, r & 0xffffffu) >=
            (int)sizeof w->tmp)
            break;
        w->fd = openat(w->dfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (w->fd < 0 && errno != EEXIST)
            break;
    }
    struct stat st;
    if (w->fd < 0 || fstat(w->fd, &st) != 0) {
        writer_abort(w);
        return -1;
    }
    w->t0 = st.st_mtim;
    return 0;
}

/* png with the key's tEXt chunk put right after IHDR, into out. */
static int png_with_key(const ea_buf *png, const char *value, ea_buf *out)
{
    const size_t ihdr_end = 8 + 8 + 13 + 4;
    if (png->len < ihdr_end || memcmp(png->data + 12, "IHDR", 4) != 0 ||
        be32((const unsigned char *)png->data + 8) != 13)
        return -1;
    size_t len = sizeof KEYWORD + strlen(value);
    unsigned char head[8 + sizeof KEYWORD];
    head[0] = (unsigned char)(len >> 24), head[1] = (unsigned char)(len >> 16);
    head[2] = (unsigned char)(len >> 8), head[3] = (unsigned char)len;
    memcpy(head + 4, "tEXt", 4);
    memcpy(head + 8, KEYWORD, sizeof KEYWORD);
    uLong crc = crc32(crc32(crc32(0, NULL, 0), head + 4, 4 + sizeof KEYWORD),
                      (const Bytef *)value, (uInt)strlen(value));
    unsigned char tail[4] = {(unsigned char)(crc >> 24), (unsigned char)(crc >> 16),
                             (unsigned char)(crc >> 8), (unsigned char)crc};
    return ea_buf_append(out, png->data, ihdr_end) != 0 || ea_buf_append(out, head, sizeof head) != 0 ||
                   ea_buf_puts(out, value) != 0 || ea_buf_append(out, tail, 4) != 0 ||
                   ea_buf_append(out, png->data + ihdr_end, png->len - ihdr_end) != 0
               ? -1 : 0;
}

/* Writes the thumbnail and renames it into place, unless the image changed in the second the
 * temp file was made (or later): then the thumbnail is dropped, and a later view makes it. */
static int writer_finish(writer *w, const ea_image *small, int iw, int ih, const char *key,
                         const struct stat *st)
{
    char value[KEY_MAX + 32];
    ea_buf png, file;
    ea_buf_init(&png, EA_BUF_UNCAPPED);
    ea_buf_init(&file, EA_BUF_UNCAPPED);
    /* Stored, not deflated (zlib level 0): a sheet inflates 24 of them at every view, and
     * bench_sheet's warm PNG sheet took 40-45 ms stored against 80-100 at level 1 or 6 (on a
     * loaded machine), for 196 kB a thumbnail (256x256 RGB) instead of about 120. The alpha
     * channel only when the picture has some transparency. */
    bool alpha = false;
    for (size_t i = 3; i < (size_t)small->w * (size_t)small->h * 4 && !alpha; i += 4)
        alpha = small->rgba[i] != 255;
    int rc = st->st_ctim.tv_sec < w->t0.tv_sec &&
                     snprintf(value, sizeof value, "1 %d %d %s", iw, ih, key) < (int)sizeof value &&
                     ea_image_encode_png_level(small, 0, alpha, &png, NULL) == 0 &&
                     png_with_key(&png, value, &file) == 0 &&
                     ea_write_all(w->fd, file.data, file.len) == 0 && close(w->fd) == 0
                 ? 0 : -1;
    if (rc == 0) {
        w->fd = -1; /* closed above */
        if (renameat(w->dfd, w->tmp, w->dfd, w->name) != 0) {
            unlinkat(w->dfd, w->tmp, 0);
            rc = -1;
        }
    }
    ea_buf_free(&png);
    ea_buf_free(&file);
    writer_abort(w);
    return rc;
}

/* ---- Both ------------------------------------------------------------------------------- */

int ea_thumb_load_fit(const char *path, const char *thumb, int box_w, int box_h, ea_image *out,
                      enum ea_thumb_use *use, ea_err *err)
{
    enum ea_thumb_use ignored;
    if (!use)
        use = &ignored;
    *use = EA_THUMB_NONE;
    out->w = out->h = 0;
    out->rgba = NULL;
    /* A session's file: a link in its place is refused, as everywhere in a session. */
    int fd = ea_open_file(path, O_RDONLY | O_NOFOLLOW, 0, err);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ea_err_set(err, EA_EXIT_INTERNAL, "%s: %s", path, strerror(errno));
    }
    /* A box larger than a thumbnail both ways: an image fitted into it fills one of its sides
     * (or is smaller than the box, and needs none), so no thumbnail can serve it; not even
     * looked for, and no temp file made. */
    if (box_w > EA_THUMB_MAX_SIDE && box_h > EA_THUMB_MAX_SIDE)
        thumb = NULL;
    char key[KEY_MAX];
    source_key(&st, path, key, sizeof key);
    if (thumb && from_thumb(thumb, key, box_w, box_h, out) == 0) {
        close(fd);
        *use = EA_THUMB_USED;
        return 0;
    }
    writer w = {.dfd = -1, .fd = -1};
    bool writing = thumb && writer_begin(&w, thumb) == 0;
    unsigned char *bytes;
    size_t n;
    int rc = ea_image_read_fd(fd, path, NULL, &bytes, &n, err);
    close(fd);
    int iw, ih, tw = 0, th = 0, w_, h_;
    bool via_thumb = false;
    if (thumb && rc == 0 && ea_image_probe(bytes, n, NULL, &iw, &ih, NULL) == 0) {
        fitted_size(iw, ih, box_w, box_h, &w_, &h_);
        int side = ea_thumb_side(w_, h_);
        if (side > 0)
            fitted_size(iw, ih, side, side, &tw, &th);
        /* A thumbnail is worth having only when smaller than the image, and serves only a box
         * that wants no more than it holds: a larger cell is drawn from the image, as before. */
        via_thumb = side > 0 && (tw < iw || th < ih) && w_ <= tw && h_ <= th;
    }
    if (rc == 0 && !via_thumb) {
        rc = ea_image_decode_fit(bytes, n, NULL, box_w, box_h, out, err);
    } else if (rc == 0) {
        /* Decoded at the thumbnail's size, then shrunk, whether or not the thumbnail can be
         * written: a cell shows the same pixels from the image and from its thumbnail. */
        ea_image small = {0};
        rc = ea_image_decode_scaled(bytes, n, NULL, tw, th, &small, err);
        if (rc == 0 && writing && writer_finish(&w, &small, iw, ih, key, &st) == 0)
            *use = EA_THUMB_MADE;
        if (rc == 0 && w_ == tw && h_ == th) {
            *out = small;
            small = (ea_image){0};
        } else if (rc == 0) {
            rc = ea_gfx_downscale_area(&small, w_, h_, out, err);
        }
        ea_image_free(&small);
    }
    writer_abort(&w);
    free(bytes);
    return rc;
}
