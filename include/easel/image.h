/* SPDX-License-Identifier: MIT */
/* image: decoding what the API returns (PNG through libspng, JPEG through libjpeg-turbo, WebP
 * through libwebp) with limits checked before any pixel is decoded, scaling, and encoding.
 * A picture wanted smaller than its file (a preview, a grid cell) is decoded at that size:
 * JPEG and WebP at a reduced scale, PNG rows averaged as they are decoded, so the full-size
 * picture is never held. 16-bit PNG is reduced to 8 bits by the decoder. */
#ifndef EASEL_IMAGE_H
#define EASEL_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "easel/buf.h"
#include "easel/err.h"
#include "easel/pictures.h"

/* Pixels are RGBA, 8 bits a channel, rows packed (stride = 4 * w). Owned by the struct. */
typedef struct ea_image {
    int w, h;
    unsigned char *rgba;
} ea_image;

typedef struct ea_image_limits {
    int max_edge;      /* each side at most this */
    long max_pixels;   /* w * h at most this */
    size_t max_bytes;  /* the encoded file at most this */
    /* What the PNG or JPEG decoder may allocate for one image (the pixels included); 0: what a
     * valid file of the header's dimensions needs (about 32 bytes a pixel, plus twice the
     * file), so that a small file that inflates to gigabytes is refused with bounded memory. */
    size_t max_decode_bytes;
} ea_image_limits;

/* Limits that fit every size the API can return (3840 edge, 8.3 MP) with room to spare. */
extern const ea_image_limits ea_image_default_limits;

/* "png", "jpeg", "webp" from the magic bytes, or NULL. */
const char *ea_image_sniff(const void *bytes, size_t n);
/* Format and dimensions from the header alone, without decoding pixels. */
int ea_image_probe(const void *bytes, size_t n, const char **format, int *w, int *h, ea_err *err);
int ea_image_decode(const void *bytes, size_t n, const ea_image_limits *lim, ea_image *out,
                    ea_err *err);
int ea_image_load_file(const char *path, const ea_image_limits *lim, ea_image *out, ea_err *err);
/* The picture scaled down to exactly w x h, at most the header's dimensions (ea_image_probe):
 * the area average of ea_gfx_downscale_area, after a JPEG's scaled IDCT (to the smallest
 * eighth that still covers w x h) or through libwebp's area-averaging scaler. The limits are
 * the file's, as for ea_image_decode. */
int ea_image_decode_scaled(const void *bytes, size_t n, const ea_image_limits *lim, int w,
                           int h, ea_image *out, ea_err *err);
/* The picture fitted into box_w x box_h keeping its aspect ratio (ea_gfx_fit_px), decoded at
 * that size; a picture already within the box is decoded as it is, never enlarged. */
int ea_image_decode_fit(const void *bytes, size_t n, const ea_image_limits *lim, int box_w,
                        int box_h, ea_image *out, ea_err *err);
int ea_image_load_file_fit(const char *path, const ea_image_limits *lim, int box_w, int box_h,
                           ea_image *out, ea_err *err);
/* A file's bytes (malloc'd, the caller frees them), refused past lim->max_bytes and unless a
 * regular file, without waiting on a FIFO. */
int ea_image_read_file(const char *path, const ea_image_limits *lim, unsigned char **bytes,
                       size_t *n, ea_err *err);
/* The same from an open fd (from where it stands), which the caller closes; path only names
 * it in errors. */
int ea_image_read_fd(int fd, const char *path, const ea_image_limits *lim, unsigned char **bytes,
                     size_t *n, ea_err *err);
/* format: png, jpeg or webp. quality: output_compression 0-100 (jpeg, webp). keep_alpha:
 * write the alpha channel (png, webp); otherwise the image is flattened onto black. */
int ea_image_encode(const ea_image *img, const char *format, int quality, bool keep_alpha,
                    ea_buf *out, ea_err *err);
/* PNG at zlib level 0-9 instead of the fastest: 0 stores the pixels uncompressed (the mock
 * sends such files to measure the worst case). */
int ea_image_encode_png_level(const ea_image *img, int level, bool keep_alpha, ea_buf *out,
                              ea_err *err);
/* High-quality resize into a new image of w x h. */
int ea_image_resize(const ea_image *src, int w, int h, ea_image *out, ea_err *err);
int ea_image_alloc(ea_image *img, int w, int h);
void ea_image_free(ea_image *img);
/* What net/ needs of pictures (pictures.h): sniff, probe, and a mask made into the API's. */
extern const ea_picture_ops ea_image_pictures;

#endif
