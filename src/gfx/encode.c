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

/* pic is already at the planned size g. */
static int encode_planned(const ea_image *pic, const ea_gfx_options *opt,
                          const ea_gfx_geometry *g, ea_buf *out, ea_err *err)
{
    switch (opt->protocol) {
    case EA_GFX_SIXEL:
        return ea_gfx_sixel_encode(pic, opt, out, err);
    case EA_GFX_KITTY:
        return ea_gfx_kitty_encode(pic, opt, g, out, err);
    case EA_GFX_ITERM:
        return ea_gfx_iterm_encode(pic, opt, g, out, err);
    case EA_GFX_BLOCKS:
    default:
        return ea_gfx_blocks_encode(pic, opt, out, err);
    }
}

static int refuse_fit(const ea_gfx_options *opt, ea_err *err)
{
    return ea_err_set(err, EA_EXIT_USAGE, "cannot fit a picture into %dx%d cells of %dx%d",
                      opt->cols, opt->rows, opt->cell_w, opt->cell_h);
}

int ea_gfx_encode(const ea_image *img, const ea_gfx_options *opt, ea_buf *out,
                  ea_gfx_geometry *geo, ea_err *err)
{
    ea_gfx_geometry g;
    int w, h;
    if (!img || !img->rgba || plan(img->w, img->h, opt, &g, &w, &h) != 0)
        return refuse_fit(opt, err);
    ea_image scaled = {0};
    const ea_image *pic = img;
    if (w != img->w || h != img->h) {
        if (ea_gfx_scale(img, w, h, &scaled, err) != 0)
            return -1;
        pic = &scaled;
    }
    int rc = encode_planned(pic, opt, &g, out, err);
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

int ea_gfx_encode_frame(const unsigned char *file_bytes, size_t n, const ea_gfx_options *opt,
                        ea_buf *out, ea_gfx_geometry *geo, ea_err *err)
{
    int iw, ih, w, h;
    ea_gfx_geometry g;
    if (ea_image_probe(file_bytes, n, NULL, &iw, &ih, err) != 0)
        return -1;
    if (plan(iw, ih, opt, &g, &w, &h) != 0)
        return refuse_fit(opt, err);
    /* A picture drawn smaller than its file is decoded at the drawn size (reduced-scale JPEG
     * and WebP, PNG rows averaged as they come): measured with perf stat on 1024x1024 files
     * into 640x640 as sixel, this took the page faults from about 6,000 to 2,500 and the
     * JPEG's IDCT and colour conversion to 39% of their work. */
    ea_image img;
    bool smaller = w <= iw && h <= ih && (w < iw || h < ih);
    if ((smaller ? ea_image_decode_scaled(file_bytes, n, NULL, w, h, &img, err)
                 : ea_image_decode(file_bytes, n, NULL, &img, err)) != 0)
        return -1;
    int rc = smaller ? encode_planned(&img, opt, &g, out, err)
                     : ea_gfx_encode(&img, opt, out, &g, err);
    ea_image_free(&img);
    if (rc == 0 && geo)
        *geo = g;
    return rc;
}

int ea_gfx_show_frame(const unsigned char *file_bytes, size_t n, const ea_gfx_options *opt,
                      int fd, ea_gfx_geometry *geo, ea_err *err)
{
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    int rc = ea_gfx_encode_frame(file_bytes, n, opt, &out, geo, err);
    /* One write per picture: nothing else may land inside its escape sequences. */
    if (rc == 0 && ea_gfx_write_all(fd, out.data, out.len) != 0)
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "cannot write the picture: output closed");
    ea_buf_free(&out);
    return rc;
}
