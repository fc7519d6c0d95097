/* SPDX-License-Identifier: MIT */
/* iterm: iTerm2's inline images (OSC 1337 File=), which WezTerm and others also speak. The
 * terminal decodes a whole image file, so opaque frames go as JPEG (about ten times smaller
 * than PNG for the same preview) and frames whose alpha matters as PNG. iTerm2 3.5 refuses a
 * sequence over 1 MiB; larger files are sent in parts (MultipartFile, FilePart, FileEnd). */
#include "easel/gfx.h"
#include "gfx_internal.h"

/* Parts well under the cap, cut at a multiple of 4 so that each decodes on its own. */
enum { PART = 512 * 1024 };

/* Appends ESC ] 1337 ; KEY VALUE BODY BEL, wrapped as the options ask. */
static int osc(ea_buf *out, const ea_gfx_options *opt, ea_buf *seq, const char *key,
               const char *value, const char *body, size_t body_len)
{
    ea_buf_reset(seq);
    if (ea_buf_puts(seq, "\033]1337;") != 0 || ea_buf_puts(seq, key) != 0 ||
        ea_buf_puts(seq, value) != 0 || ea_buf_append(seq, body, body_len) != 0 ||
        ea_buf_putc(seq, '\a') != 0)
        return -1;
    return ea_gfx_wrap_append(out, opt->wrap, seq->data, seq->len);
}

int ea_gfx_iterm_encode(const ea_image *scaled, const ea_gfx_options *opt,
                        const ea_gfx_geometry *geo, ea_buf *out, ea_err *err)
{
    ea_buf file, b64, args, seq;
    ea_buf_init(&file, EA_BUF_UNCAPPED);
    ea_buf_init(&b64, EA_BUF_UNCAPPED);
    ea_buf_init(&args, 512);
    ea_buf_init(&seq, EA_BUF_UNCAPPED);
    int rc = -1;
    bool alpha = ea_gfx_has_alpha(scaled);
    if (ea_image_encode(scaled, alpha ? "png" : "jpeg", opt->jpeg_quality, alpha, &file, err) != 0)
        goto done;
    if (ea_gfx_base64_append(&b64, file.data, file.len) != 0)
        goto oom;
    /* The size in cells: the picture was scaled to exactly this box, and cells stay right on
     * HiDPI screens where iTerm2's "px" are points. */
    if (ea_buf_printf(&args, "inline=1;size=%zu;width=%d;height=%d;preserveAspectRatio=1%s",
                      file.len, geo->cols, geo->rows,
                      ea_gfx_cursor_kept(opt) ? ";doNotMoveCursor=1" : "") != 0 ||
        ea_gfx_row_start(out, opt, 0) != 0)
        goto oom;
    if (b64.len + args.len + 16 <= EA_GFX_ITERM_PART_MAX) {
        if (ea_buf_putc(&args, ':') != 0 ||
            osc(out, opt, &seq, "File=", args.data, b64.data, b64.len) != 0)
            goto oom;
    } else {
        if (osc(out, opt, &seq, "MultipartFile=", args.data, NULL, 0) != 0)
            goto oom;
        for (size_t off = 0; off < b64.len; off += PART) {
            size_t len = b64.len - off < PART ? b64.len - off : PART;
            if (osc(out, opt, &seq, "FilePart=", "", b64.data + off, len) != 0)
                goto oom;
        }
        if (osc(out, opt, &seq, "FileEnd", "", NULL, 0) != 0)
            goto oom;
    }
    if (ea_gfx_picture_end(out, opt) != 0)
        goto oom;
    rc = 0;
    goto done;
oom:
    ea_err_set(err, EA_EXIT_INTERNAL, "iterm: output too large or out of memory");
done:
    ea_buf_free(&file), ea_buf_free(&b64), ea_buf_free(&args), ea_buf_free(&seq);
    return rc;
}
