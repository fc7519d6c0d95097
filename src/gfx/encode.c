/* SPDX-License-Identifier: MIT */
/* encode: the one entry point every caller uses: fit the picture into the preview's box, scale
 * it once, hand it to the protocol's encoder. See include/easel/gfx.h. */
#include "easel/gfx.h"
#include "gfx_internal.h"

static int ceil_div(int a, int b)
{
    return (a + b - 1) / b;
}

/* The area average when shrinking (every source pixel counts once, which is what a preview of
 * a detailed picture needs, and it is fast), stb's filter when growing a small picture. */
int ea_gfx_scale(const ea_image *img, int w, int h, ea_image *out, ea_err *err)
{
    if (w <= img->w && h <= img->h)
        return ea_gfx_downscale_area(img, w, h, out, err);
    return ea_image_resize(img, w, h, out, err);
}

/* A sixel band is 6 pixels high and some terminals paint whole bands. */
#define SIXEL_BAND 6

void ea_gfx_canvas(const ea_gfx_options *opt, int cols, int rows, int *w, int *h)
{
    if (ea_gfx_box_px(cols, rows, opt->cell_w, opt->cell_h, w, h) != 0) {
        *w = *h = 0;
        return;
    }
    if (opt->protocol == EA_GFX_SIXEL && *h > SIXEL_BAND)
        *h -= *h % SIXEL_BAND;
}

/* The pixel size to encode at for each protocol, and the cells it covers. */
static int plan(int img_w, int img_h, const ea_gfx_options *opt, ea_gfx_geometry *geo,
                int *scale_w, int *scale_h)
{
    int w, h;
    if (ea_gfx_fit(img_w, img_h, opt->cols, opt->rows, opt->cell_w, opt->cell_h, &w, &h) != 0)
        return -1;
    if (opt->protocol == EA_GFX_SIXEL && h % SIXEL_BAND != 0 && h > SIXEL_BAND) {
        /* Whole bands: the height comes down to a multiple of 6; refitting keeps the aspect. */
        if (ea_gfx_fit_px(img_w, img_h, w, h - h % SIXEL_BAND, &w, &h) != 0)
            return -1;
    }
    geo->px_w = w;
    geo->px_h = h;
    geo->cols = ceil_div(w, opt->cell_w);
    geo->rows = ceil_div(h, opt->cell_h);
    *scale_w = w;
    *scale_h = h;
    if (opt->protocol == EA_GFX_BLOCKS) {
        /* One pixel per column and two per row: each half cell is cell_w x cell_h/2. */
        int cols = (2 * w + opt->cell_w) / (2 * opt->cell_w);      /* rounded */
        int halves = (4 * h + opt->cell_h) / (2 * opt->cell_h);    /* 2h / cell_h, rounded */
        *scale_w = cols < 1 ? 1 : cols > opt->cols ? opt->cols : cols;
        *scale_h = halves < 1 ? 1 : halves > 2 * opt->rows ? 2 * opt->rows : halves;
        geo->cols = *scale_w;
        geo->rows = (*scale_h + 1) / 2;
    }
    return 0;
}

int ea_gfx_drawn_size(int img_w, int img_h, const ea_gfx_options *opt, int *w, int *h)
{
    ea_gfx_geometry unused;
    return plan(img_w, img_h, opt, &unused, w, h);
}

int ea_gfx_encode(const ea_image *img, const ea_gfx_options *opt, ea_buf *out,
                  ea_gfx_geometry *geo, ea_err *err)
{
    ea_gfx_geometry g;
    int w, h;
    if (!img || !img->rgba || plan(img->w, img->h, opt, &g, &w, &h) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "cannot fit a picture into %dx%d cells of %dx%d",
                          opt->cols, opt->rows, opt->cell_w, opt->cell_h);
    ea_image scaled = {0};
    const ea_image *pic = img;
    if (w != img->w || h != img->h) {
        if (ea_gfx_scale(img, w, h, &scaled, err) != 0)
            return -1;
        pic = &scaled;
    }
    int rc;
    switch (opt->protocol) {
    case EA_GFX_SIXEL:
        rc = ea_gfx_sixel_encode(pic, opt, out, err);
        break;
    case EA_GFX_KITTY:
        rc = ea_gfx_kitty_encode(pic, opt, &g, out, err);
        break;
    case EA_GFX_ITERM:
        rc = ea_gfx_iterm_encode(pic, opt, &g, out, err);
        break;
    case EA_GFX_BLOCKS:
    default:
        rc = ea_gfx_blocks_encode(pic, opt, out, err);
        break;
    }
    ea_image_free(&scaled);
    if (rc == 0 && geo)
        *geo = g;
    return rc;
}

int ea_gfx_show_image(const ea_image *img, const ea_gfx_options *opt, int fd,
                      ea_gfx_geometry *geo, ea_err *err)
{
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    int rc = ea_gfx_encode(img, opt, &out, geo, err);
    /* One write per picture: nothing else may land inside its escape sequences. */
    if (rc == 0 && ea_gfx_write_all(fd, out.data, out.len) != 0)
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "cannot write the picture: output closed");
    ea_buf_free(&out);
    return rc;
}

int ea_gfx_show_frame(const unsigned char *file_bytes, size_t n, const ea_gfx_options *opt,
                      int fd, ea_gfx_geometry *geo, ea_err *err)
{
    ea_image img;
    if (ea_image_decode(file_bytes, n, NULL, &img, err) != 0)
        return -1;
    int rc = ea_gfx_show_image(&img, opt, fd, geo, err);
    ea_image_free(&img);
    return rc;
}
