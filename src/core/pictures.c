/* SPDX-License-Identifier: MIT */
/* pictures: see include/easel/pictures.h. A table rather than calls, so that net/ neither
 * includes gfx/ nor links it: the unit tests of net/ run with or without pictures. */
#include "easel/pictures.h"

static const ea_picture_ops *plugged;

void ea_pictures_use(const ea_picture_ops *ops)
{
    plugged = ops;
}

const char *ea_picture_sniff(const void *bytes, size_t n)
{
    return plugged ? plugged->sniff(bytes, n) : NULL;
}

int ea_picture_probe(const void *bytes, size_t n, const char **format, int *w, int *h,
                     ea_err *err)
{
    if (!plugged)
        return ea_err_set(err, EA_EXIT_INTERNAL, "this program reads no pictures");
    return plugged->probe(bytes, n, format, w, h, err);
}

int ea_picture_mask_to_alpha_png(const char *mask_path, const char *image_path, ea_buf *out,
                                 ea_err *err)
{
    if (!plugged)
        return ea_err_set(err, EA_EXIT_INTERNAL, "mask '%s': this program reads no pictures",
                          mask_path);
    return plugged->mask_to_alpha_png(mask_path, image_path, out, err);
}
