/* SPDX-License-Identifier: MIT */
/* pictures: what requests need to know of picture files, for net/, which decodes none (design.md
 * 7): the format from the magic bytes, the size from the header, a black-and-white mask made
 * into the API's alpha PNG. The program plugs in gfx's (ea_image_pictures) once at start. */
#ifndef EASEL_PICTURES_H
#define EASEL_PICTURES_H

#include <stddef.h>

#include "easel/buf.h"
#include "easel/err.h"

typedef struct ea_picture_ops {
    /* "png", "jpeg", "webp", or NULL. */
    const char *(*sniff)(const void *bytes, size_t n);
    /* Format and dimensions from the header alone. */
    int (*probe)(const void *bytes, size_t n, const char **format, int *w, int *h, ea_err *err);
    /* The mask file as the alpha PNG the API wants, at the size of the image file; out is
     * initialised by the call. */
    int (*mask_to_alpha_png)(const char *mask_path, const char *image_path, ea_buf *out,
                             ea_err *err);
} ea_picture_ops;

/* ops lives as long as the process (a static table). Called before any thread starts. */
void ea_pictures_use(const ea_picture_ops *ops);

/* Through the table plugged in; without one, nothing is a picture (NULL, -1 with err). */
const char *ea_picture_sniff(const void *bytes, size_t n);
int ea_picture_probe(const void *bytes, size_t n, const char **format, int *w, int *h,
                     ea_err *err);
int ea_picture_mask_to_alpha_png(const char *mask_path, const char *image_path, ea_buf *out,
                                 ea_err *err);

#endif
