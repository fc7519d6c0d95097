/* SPDX-License-Identifier: MIT */
/* kitty: the kitty graphics protocol. One payload (raw RGBA, deflated RGBA or PNG) is base64
 * encoded once and cut into chunks of at most 4096 bytes, each a complete APC sequence that
 * tmux or screen can forward on its own. A fixed image and placement id per preview slot
 * makes every new frame replace the old in one command (a=T), with no blank in between.
 *
 * Under tmux the picture goes up as a virtual placement (U=1) and is shown by text: a grid of
 * U+10EEEE placeholders whose colours name the image, with diacritics for row and column.
 * tmux keeps that text in its grid, so the picture scrolls, clips and hides with its pane. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "easel/gfx.h"
#include "gfx_internal.h"

/* Combining marks that number the rows and columns of placeholder cells, in order: 0, 1, 2...
 * The list is kitty's rowcolumn-diacritics.txt (class-230 marks of Unicode 6.0 that have no
 * decomposition), which the protocol fixes. */
static const uint32_t diacritics[] = {
    0x0305, 0x030D, 0x030E, 0x0310, 0x0312, 0x033D, 0x033E, 0x033F, 0x0346, 0x034A, 0x034B,
    0x034C, 0x0350, 0x0351, 0x0352, 0x0357, 0x035B, 0x0363, 0x0364, 0x0365, 0x0366, 0x0367,
    0x0368, 0x0369, 0x036A, 0x036B, 0x036C, 0x036D, 0x036E, 0x036F, 0x0483, 0x0484, 0x0485,
    0x0486, 0x0487, 0x0592, 0x0593, 0x0594, 0x0595, 0x0597, 0x0598, 0x0599, 0x059C, 0x059D,
    0x059E, 0x059F, 0x05A0, 0x05A1, 0x05A8, 0x05A9, 0x05AB, 0x05AC, 0x05AF, 0x05C4, 0x0610,
    0x0611, 0x0612, 0x0613, 0x0614, 0x0615, 0x0616, 0x0617, 0x0657, 0x0658, 0x0659, 0x065A,
    0x065B, 0x065D, 0x065E, 0x06D6, 0x06D7, 0x06D8, 0x06D9, 0x06DA, 0x06DB, 0x06DC, 0x06DF,
    0x06E0, 0x06E1, 0x06E2, 0x06E4, 0x06E7, 0x06E8, 0x06EB, 0x06EC, 0x0730, 0x0732, 0x0733,
    0x0735, 0x0736, 0x073A, 0x073D, 0x073F, 0x0740, 0x0741, 0x0743, 0x0745, 0x0747, 0x0749,
    0x074A, 0x07EB, 0x07EC, 0x07ED, 0x07EE, 0x07EF, 0x07F0, 0x07F1, 0x07F3, 0x0816, 0x0817,
    0x0818, 0x0819, 0x081B, 0x081C, 0x081D, 0x081E, 0x081F, 0x0820, 0x0821, 0x0822, 0x0823,
    0x0825, 0x0826, 0x0827, 0x0829, 0x082A, 0x082B, 0x082C, 0x082D, 0x0951, 0x0953, 0x0954,
    0x0F82, 0x0F83, 0x0F86, 0x0F87, 0x135D, 0x135E, 0x135F, 0x17DD, 0x193A, 0x1A17, 0x1A75,
    0x1A76, 0x1A77, 0x1A78, 0x1A79, 0x1A7A, 0x1A7B, 0x1A7C, 0x1B6B, 0x1B6D, 0x1B6E, 0x1B6F,
    0x1B70, 0x1B71, 0x1B72, 0x1B73, 0x1CD0, 0x1CD1, 0x1CD2, 0x1CDA, 0x1CDB, 0x1CE0, 0x1DC0,
    0x1DC1, 0x1DC3, 0x1DC4, 0x1DC5, 0x1DC6, 0x1DC7, 0x1DC8, 0x1DC9, 0x1DCB, 0x1DCC, 0x1DD1,
    0x1DD2, 0x1DD3, 0x1DD4, 0x1DD5, 0x1DD6, 0x1DD7, 0x1DD8, 0x1DD9, 0x1DDA, 0x1DDB, 0x1DDC,
    0x1DDD, 0x1DDE, 0x1DDF, 0x1DE0, 0x1DE1, 0x1DE2, 0x1DE3, 0x1DE4, 0x1DE5, 0x1DE6, 0x1DFE,
    0x20D0, 0x20D1, 0x20D4, 0x20D5, 0x20D6, 0x20D7, 0x20DB, 0x20DC, 0x20E1, 0x20E7, 0x20E9,
    0x20F0, 0x2CEF, 0x2CF0, 0x2CF1, 0x2DE0, 0x2DE1, 0x2DE2, 0x2DE3, 0x2DE4, 0x2DE5, 0x2DE6,
    0x2DE7, 0x2DE8, 0x2DE9, 0x2DEA, 0x2DEB, 0x2DEC, 0x2DED, 0x2DEE, 0x2DEF, 0x2DF0, 0x2DF1,
    0x2DF2, 0x2DF3, 0x2DF4, 0x2DF5, 0x2DF6, 0x2DF7, 0x2DF8, 0x2DF9, 0x2DFA, 0x2DFB, 0x2DFC,
    0x2DFD, 0x2DFE, 0x2DFF, 0xA66F, 0xA67C, 0xA67D, 0xA6F0, 0xA6F1, 0xA8E0, 0xA8E1, 0xA8E2,
    0xA8E3, 0xA8E4, 0xA8E5, 0xA8E6, 0xA8E7, 0xA8E8, 0xA8E9, 0xA8EA, 0xA8EB, 0xA8EC, 0xA8ED,
    0xA8EE, 0xA8EF, 0xA8F0, 0xA8F1, 0xAAB0, 0xAAB2, 0xAAB3, 0xAAB7, 0xAAB8, 0xAABE, 0xAABF,
    0xAAC1, 0xFE20, 0xFE21, 0xFE22, 0xFE23, 0xFE24, 0xFE25, 0xFE26, 0x10A0F, 0x10A38, 0x1D185,
    0x1D186, 0x1D187, 0x1D188, 0x1D189, 0x1D1AA, 0x1D1AB, 0x1D1AC, 0x1D1AD, 0x1D242, 0x1D243,
    0x1D244,
};
enum { MAX_PLACEHOLDER_CELLS = sizeof diacritics / sizeof diacritics[0] }; /* 297 */

static const uint32_t placeholder = 0x10EEEE;

static int put_utf8(ea_buf *out, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 63)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 63));
        b[2] = (char)(0x80 | (cp & 63)), n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 63));
        b[2] = (char)(0x80 | ((cp >> 6) & 63)), b[3] = (char)(0x80 | (cp & 63)), n = 4;
    }
    return ea_buf_append(out, b, n);
}

/* The placeholder grid: the foreground colour carries the image id's low 24 bits, a third
 * diacritic its high byte, and the underline colour the placement id. Every cell spells out
 * its row and column, so tmux or curses may redraw any part of it alone. */
static int put_placeholders(ea_buf *out, const ea_gfx_options *opt, int cols, int rows)
{
    uint32_t id = opt->image_id, pid = opt->placement_id;
    for (int r = 0; r < rows; r++) {
        if (ea_gfx_row_start(out, opt, r) != 0 ||
            ea_buf_printf(out, "\033[38;2;%u;%u;%um", (id >> 16) & 255, (id >> 8) & 255,
                          id & 255) != 0 ||
            (pid && ea_buf_printf(out, "\033[58;2;%u;%u;%um", (pid >> 16) & 255,
                                  (pid >> 8) & 255, pid & 255) != 0))
            return -1;
        for (int c = 0; c < cols; c++)
            if (put_utf8(out, placeholder) != 0 || put_utf8(out, diacritics[r]) != 0 ||
                put_utf8(out, diacritics[c]) != 0 ||
                (id >> 24 && put_utf8(out, diacritics[id >> 24]) != 0))
                return -1;
        if (ea_buf_puts(out, "\033[39;59m") != 0)
            return -1;
    }
    return ea_gfx_flow_end(out, opt);
}

/* The bytes the terminal will decode: PNG, deflated RGBA or raw RGBA (borrowed, no copy). */
static int make_payload(const ea_image *img, const ea_gfx_options *opt, ea_buf *owned,
                        const unsigned char **bytes, size_t *n, ea_err *err)
{
    size_t raw = (size_t)img->w * (size_t)img->h * 4;
    if (opt->kitty_png) {
        if (ea_image_encode(img, "png", 0, ea_gfx_has_alpha(img), owned, err) != 0)
            return -1;
    } else if (opt->kitty_zlib) {
        uLongf len = compressBound((uLong)raw);
        if (ea_buf_reserve(owned, len) != 0)
            return ea_err_set(err, EA_EXIT_INTERNAL, "kitty: out of memory");
        /* Level 1: most of deflate's gain on pictures for a fraction of its time. */
        if (compress2((Bytef *)owned->data, &len, img->rgba, (uLong)raw, 1) != Z_OK)
            return ea_err_set(err, EA_EXIT_INTERNAL, "kitty: zlib failed");
        owned->len = len;
    } else {
        *bytes = img->rgba;
        *n = raw;
        return 0;
    }
    *bytes = (const unsigned char *)owned->data;
    *n = owned->len;
    return 0;
}

int ea_gfx_kitty_encode(const ea_image *scaled, const ea_gfx_options *opt,
                        const ea_gfx_geometry *geo, ea_buf *out, ea_err *err)
{
    bool placeholders = opt->kitty_placeholders;
    int cols = geo->cols < MAX_PLACEHOLDER_CELLS ? geo->cols : MAX_PLACEHOLDER_CELLS;
    int rows = geo->rows < MAX_PLACEHOLDER_CELLS ? geo->rows : MAX_PLACEHOLDER_CELLS;
    ea_buf owned, b64, keys, seq;
    ea_buf_init(&owned, EA_BUF_UNCAPPED);
    ea_buf_init(&b64, EA_BUF_UNCAPPED);
    ea_buf_init(&keys, 256);
    ea_buf_init(&seq, EA_GFX_KITTY_CHUNK + 512);
    const unsigned char *payload = NULL;
    size_t n = 0;
    int rc = -1;
    if (make_payload(scaled, opt, &owned, &payload, &n, err) != 0)
        goto done;
    if (ea_gfx_base64_append(&b64, payload, n) != 0)
        goto oom;

    /* a=T transmits and places at once: under a fixed i and p that replaces the previous
     * frame atomically. q=2 keeps replies (OK and errors) out of the input stream; C=1 keeps
     * the cursor where curses left it. */
    if (ea_buf_printf(&keys, "a=T,i=%u,p=%u,q=2", opt->image_id, opt->placement_id) != 0 ||
        (opt->kitty_png ? ea_buf_puts(&keys, ",f=100")
                        : ea_buf_printf(&keys, ",f=32,s=%d,v=%d", scaled->w, scaled->h)) != 0 ||
        (opt->kitty_zlib && !opt->kitty_png && ea_buf_puts(&keys, ",o=z") != 0) ||
        (placeholders && ea_buf_printf(&keys, ",U=1,c=%d,r=%d", cols, rows) != 0) ||
        (ea_gfx_cursor_kept(opt) && ea_buf_puts(&keys, ",C=1") != 0))
        goto oom;

    if (!placeholders && ea_gfx_row_start(out, opt, 0) != 0)
        goto oom;
    /* Chunks are cut from the one base64 stream at multiples of 4, so only the last may
     * carry padding (some terminals reject padding mid-stream). */
    size_t off = 0;
    do {
        size_t len = b64.len - off < EA_GFX_KITTY_CHUNK ? b64.len - off : EA_GFX_KITTY_CHUNK;
        bool more = off + len < b64.len;
        ea_buf_reset(&seq);
        if (ea_buf_puts(&seq, "\033_G") != 0 ||
            (off == 0 ? ea_buf_printf(&seq, "%s,m=%d;", keys.data, more)
                      : ea_buf_printf(&seq, "m=%d,q=2;", more)) != 0 ||
            ea_buf_append(&seq, b64.data + off, len) != 0 || ea_buf_puts(&seq, "\033\\") != 0 ||
            ea_gfx_wrap_append(out, opt->wrap, seq.data, seq.len) != 0)
            goto oom;
        off += len;
    } while (off < b64.len);

    if (placeholders ? put_placeholders(out, opt, cols, rows) != 0
                     : ea_gfx_picture_end(out, opt) != 0)
        goto oom;
    rc = 0;
    goto done;
oom:
    ea_err_set(err, EA_EXIT_INTERNAL, "kitty: output too large or out of memory");
done:
    ea_buf_free(&owned), ea_buf_free(&b64), ea_buf_free(&keys), ea_buf_free(&seq);
    return rc;
}

int ea_gfx_encode_remove(const ea_gfx_options *opt, ea_buf *out)
{
    if (opt->protocol != EA_GFX_KITTY)
        return 0;
    /* d=I: delete the placements and free the data, so a closed panel leaves nothing behind
     * in the terminal's image memory. */
    char seq[80];
    int n = snprintf(seq, sizeof seq, "\033_Ga=d,d=I,i=%u,q=2\033\\", opt->image_id);
    return ea_gfx_wrap_append(out, opt->wrap, seq, (size_t)n);
}
