/* SPDX-License-Identifier: MIT */
/* mask: a mask file made into the alpha mask the API wants, and the table of what net/ needs
 * to know of pictures (pictures.h), which the program plugs in: both decode, so both live here
 * and not in net/ (design.md 7). */
#include "easel/image.h"

#include <stdbool.h>

/* A black-and-white mask becomes the alpha mask the API wants: white marks the area to
 * repaint (the inpainting convention), which the API spells as alpha 0. A mask that already
 * has transparent pixels is taken as the API's own kind. It is scaled to the first image. */
static int mask_to_alpha_png(const char *mask_path, const char *image_path, ea_buf *out,
                             ea_err *err)
{
    ea_image mask = {0}, image = {0}, scaled = {0};
    int rc = -1;
    if (ea_image_load_file(mask_path, &ea_image_default_limits, &mask, err) != 0 ||
        ea_image_load_file(image_path, &ea_image_default_limits, &image, err) != 0)
        goto done;
    const ea_image *m = &mask;
    if (mask.w != image.w || mask.h != image.h) {
        if (ea_image_resize(&mask, image.w, image.h, &scaled, err) != 0)
            goto done;
        m = &scaled;
    }
    bool has_alpha = false;
    size_t n = (size_t)m->w * m->h;
    for (size_t i = 0; i < n && !has_alpha; i++)
        has_alpha = m->rgba[4 * i + 3] < 255;
    for (size_t i = 0; i < n && !has_alpha; i++) {
        unsigned char *px = &m->rgba[4 * i];
        int luma = (px[0] * 299 + px[1] * 587 + px[2] * 114) / 1000;
        px[0] = px[1] = px[2] = 0;
        px[3] = luma >= 128 ? 0 : 255;
    }
    ea_buf_init(out, EA_BUF_UNCAPPED);
    rc = ea_image_encode(m, "png", 100, true, out, err);
done:
    if (rc != 0)
        ea_err_set(err, EA_EXIT_USAGE, "mask '%s': %s", mask_path, err ? err->msg : "unusable");
    ea_image_free(&mask);
    ea_image_free(&image);
    ea_image_free(&scaled);
    return rc;
}

const ea_picture_ops ea_image_pictures = {
    .sniff = ea_image_sniff,
    .probe = ea_image_probe,
    .mask_to_alpha_png = mask_to_alpha_png,
};
