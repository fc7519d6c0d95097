/* SPDX-License-Identifier: MIT */
/* gfx: turns an ea_image into the bytes that draw it on a terminal (sixel, kitty, iTerm2 or
 * Unicode half blocks), scaled to the exact pixel box of the preview and wrapped for tmux/screen. */
#ifndef EASEL_GFX_H
#define EASEL_GFX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "easel/buf.h"
#include "easel/err.h"
#include "easel/gfx_protocol.h"
#include "easel/image.h"
#include "easel/thumb.h"

/* How escape sequences reach the real terminal through a multiplexer. Text (half blocks,
 * kitty placeholders, cursor moves) is never wrapped: the multiplexer must see it. */
typedef enum ea_gfx_wrap {
    EA_GFX_WRAP_NONE = 0,
    EA_GFX_WRAP_TMUX,   /* ESC Ptmux; ... ESC \ with every ESC doubled, one per sequence */
    EA_GFX_WRAP_SCREEN, /* ESC P ... ESC \ in packets small enough for GNU screen */
} ea_gfx_wrap;

typedef struct ea_gfx_options {
    enum ea_gfx_protocol protocol;
    int cols, rows;     /* the box, in cells */
    int cell_w, cell_h; /* pixels per cell */
    ea_gfx_wrap wrap;
    /* Where the box's top left cell is, 1-based. 0 = "at the cursor": the picture flows like
     * text and the cursor ends at the start of the line below it (easel show). */
    int origin_row, origin_col;
    /* With origin_row 0: a picture the terminal draws (sixel, kitty without placeholders,
     * iTerm2) is drawn at the cursor and leaves it there as far as easel can ask (kitty C=1,
     * iTerm2 doNotMoveCursor, no newline after), for a caller that made room and moves the
     * cursor itself (easel show inside tmux). Text pictures (blocks, placeholders) ignore it. */
    bool cursor_stays;
    /* kitty */
    bool kitty_png;          /* f=100 compact PNG instead of raw RGBA: for SSH links */
    bool kitty_zlib;         /* raw RGBA deflated (o=z): fewer bytes for a little CPU */
    bool kitty_placeholders; /* U=1 virtual placement + U+10EEEE text cells (tmux) */
    uint32_t image_id;       /* fixed per preview slot, so a new frame replaces the old */
    uint32_t placement_id;
    /* blocks */
    bool blocks_256; /* the xterm 256-colour palette instead of 24-bit colour */
    /* iTerm2: JPEG quality for opaque frames (PNG is used when alpha matters) */
    int jpeg_quality;
} ea_gfx_options;

/* What an encode produced besides its bytes. */
typedef struct ea_gfx_geometry {
    int px_w, px_h;   /* the pixel size the picture was scaled to */
    int cols, rows;   /* the cells it covers, from the top left of the box */
} ea_gfx_geometry;

/* Kitty ids used when the caller leaves image_id/placement_id at 0. */
enum { EA_GFX_DEFAULT_IMAGE_ID = 0x45410001u, EA_GFX_DEFAULT_PLACEMENT_ID = 1 };
/* kitty chunks: at most this many base64 bytes each (kitty's documented limit). */
enum { EA_GFX_KITTY_CHUNK = 4096 };
/* iTerm2 3.5 caps one OSC 1337 at 1 MiB; larger files go out as MultipartFile. */
enum { EA_GFX_ITERM_PART_MAX = 1 << 20 };

/* Defaults: blocks, 80x24 cells of 8x16 pixels, no wrapping, flowing at the cursor. */
void ea_gfx_options_init(ea_gfx_options *opt);

/* The largest picture easel draws, whatever the box: 8192 pixels a side and a 4K screen's
 * area (32 MiB of RGBA; kitty's base64 of it stays under 200 MB at the peak), so a huge
 * --cols/--rows, or a terminal's nonsense, is never scaled into gigabytes. A larger box is
 * shrunk to these, keeping its shape. */
#define EA_GFX_MAX_SIDE 8192
#define EA_GFX_MAX_PIXELS (3840 * 2160)
/* cols x rows cells of cell_w x cell_h pixels as a pixel box within those limits; -1 when a
 * number is not positive. */
int ea_gfx_box_px(int cols, int rows, int cell_w, int cell_h, int *w, int *h);
/* The largest w x h with the image's aspect ratio that fits cols x rows cells of
 * cell_w x cell_h pixels (each side at least 1), within the limits above. -1 on nonsense. */
int ea_gfx_fit(int img_w, int img_h, int cols, int rows, int cell_w, int cell_h, int *w, int *h);
/* The same inside a box given in pixels. */
int ea_gfx_fit_px(int img_w, int img_h, int box_w, int box_h, int *w, int *h);
/* The pixel box that cols x rows cells of the options' cell size hold and the protocol draws
 * without rescaling: a picture composed at this size (a grid, the avatar sheet) reaches the
 * screen pixel for pixel. Sixel's height is a whole number of 6-pixel bands. */
void ea_gfx_canvas(const ea_gfx_options *opt, int cols, int rows, int *w, int *h);

/* The pixels ea_gfx_encode turns an img_w x img_h picture into inside opt's box (sixel's
 * whole bands; for blocks one a column and two a row), so a caller that draws on the picture
 * (the mask's overlay) can draw at that size and keep its lines whole. -1 on nonsense. */
int ea_gfx_drawn_size(int img_w, int img_h, const ea_gfx_options *opt, int *w, int *h);
/* img scaled to exactly w x h into a new image, whether it shrinks or grows. */
int ea_gfx_scale(const ea_image *img, int w, int h, ea_image *out, ea_err *err);

/* Appends to out the bytes that draw img inside the box of opt. geo (may be NULL) receives
 * the size drawn. Never draws at the image's own size. */
int ea_gfx_encode(const ea_image *img, const ea_gfx_options *opt, ea_buf *out,
                  ea_gfx_geometry *geo, ea_err *err);

/* The bytes that remove the slot's picture: kitty deletes its image id (and frees the data);
 * the other protocols have nothing to send and the caller repaints the cells as text. */
int ea_gfx_encode_remove(const ea_gfx_options *opt, ea_buf *out);

/* Decodes an image file (PNG, JPEG, WebP) and appends the bytes that draw it to out, decoding
 * a picture drawn smaller than its file at the drawn size; geo (may be NULL) receives the
 * size drawn. */
int ea_gfx_encode_frame(const unsigned char *file_bytes, size_t n, const ea_gfx_options *opt,
                        ea_buf *out, ea_gfx_geometry *geo, ea_err *err);
/* The same, written to fd in one write its picture to fd in one write; geo
 * (may be NULL) receives the size drawn, so a caller can draw the next frame over it. */
int ea_gfx_show_frame(const unsigned char *file_bytes, size_t n, const ea_gfx_options *opt,
                      int fd, ea_gfx_geometry *geo, ea_err *err);
/* The same for a decoded image. */
int ea_gfx_show_image(const ea_image *img, const ea_gfx_options *opt, int fd,
                      ea_gfx_geometry *geo, ea_err *err);

/* The options for pictures drawn inline on the terminal at stdout, by asking it (replies on
 * stdin, or /dev/tty when stdin is redirected), with the config's graphics setting and
 * protocol (may be NULL) as overrides. When stdout is not a terminal, the defaults of
 * ea_gfx_options_init. -1 with err (EA_EXIT_USAGE) only for an unknown protocol name. */
int ea_gfx_options_detect(ea_gfx_options *opt, const char *protocol, ea_err *err);

/* Appends one complete escape sequence, wrapped as opt->wrap asks. */
int ea_gfx_wrap_append(ea_buf *out, ea_gfx_wrap wrap, const void *seq, size_t n);

/* Area-averaged (box filter) downscale into w x h, exact for any ratio; colours are averaged
 * weighted by alpha so transparent pixels do not darken their neighbours. */
int ea_gfx_downscale_area(const ea_image *src, int w, int h, ea_image *out, ea_err *err);

/* One picture of a contact sheet or grid: a file (path), or its bytes when path is NULL, and
 * the cell of the sheet it is fitted into, in pixels. thumb (may be NULL) is where the file's
 * thumbnail is kept (ea_thumb_path); then the file is a session's, opened without following
 * a link, and drawn from its thumbnail when that is fresh (thumb.h). use: what compose did. */
typedef struct ea_gfx_tile {
    const char *path;
    const unsigned char *bytes;
    size_t n;
    int x, y, w, h;
    const char *thumb;
    enum ea_thumb_use use;
} ea_gfx_tile;
/* Draws each tile's picture into the sheet, fitted into its cell keeping its aspect ratio,
 * never enlarged, centred; each is decoded at that size, and tiles are decoded side by side
 * on every core. A tile that cannot be read or decoded leaves its cell as it was. Returns the
 * number of tiles drawn. */
int ea_gfx_compose(ea_image *sheet, ea_gfx_tile *tiles, int n);

/* Standard base64 (RFC 4648, with padding) of n bytes, appended to out: the payload of the
 * graphics protocols, and of OSC 52 (the clipboard) in the workbench. */
int ea_gfx_base64_append(ea_buf *out, const void *bytes, size_t n);

/* Writes all of bytes to fd, retrying on EINTR and waiting out EAGAIN. */
int ea_gfx_write_all(int fd, const void *bytes, size_t n);

#endif
