/* SPDX-License-Identifier: MIT */
/* wrap: what every encoder does around its payload: base64, passthrough wrapping for tmux and
 * GNU screen, cursor placement, and writing the result out. See include/easel/gfx.h. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "easel/gfx.h"
#include "gfx_internal.h"

enum { ESC = 0x1b };

/* ---- base64 ----------------------------------------------------------------------------- */

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* n bytes as base64 at o ((n + 2) / 3 * 4 characters, no terminator). */
static void base64_encode(char *o, const unsigned char *in, size_t n)
{
    size_t i = 0;
    for (; i + 3 <= n; i += 3, o += 4) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        o[0] = base64_alphabet[v >> 18];
        o[1] = base64_alphabet[(v >> 12) & 63];
        o[2] = base64_alphabet[(v >> 6) & 63];
        o[3] = base64_alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        o[0] = base64_alphabet[v >> 18];
        o[1] = base64_alphabet[(v >> 12) & 63];
        o[2] = i + 1 < n ? base64_alphabet[(v >> 6) & 63] : '=';
        o[3] = '=';
    }
}

/* A large payload is cut into segments of whole 3-byte groups, encoded side by side on the
 * pool straight into their places: kitty's raw RGBA of a 640x640 picture is 1.6 MB, whose
 * base64 took a quarter of the kitty encoder's time on one core. */
enum { BASE64_SEGMENT = 3 * 65536 };

typedef struct base64_job {
    char *o;
    const unsigned char *in;
    size_t n;
} base64_job;

static void base64_segment(void *ctx, int i)
{
    const base64_job *j = ctx;
    size_t start = (size_t)i * BASE64_SEGMENT;
    size_t len = j->n - start < BASE64_SEGMENT ? j->n - start : BASE64_SEGMENT;
    base64_encode(j->o + start / 3 * 4, j->in + start, len);
}

int ea_gfx_base64_append(ea_buf *out, const void *bytes, size_t n)
{
    size_t need = (n + 2) / 3 * 4;
    if (ea_buf_reserve(out, need + 1) != 0)
        return -1;
    base64_job j = {out->data + out->len, bytes, n};
    size_t segments = (n + BASE64_SEGMENT - 1) / BASE64_SEGMENT;
    if (segments > 1)
        ea_gfx_parallel((int)segments, base64_segment, &j);
    else
        base64_encode(j.o, j.in, n);
    out->len += need;
    out->data[out->len] = '\0';
    return 0;
}

/* ---- passthrough ------------------------------------------------------------------------ */

/* GNU screen copies a DCS string into a fixed buffer (256 bytes in the versions Debian and
 * others still ship; 2560 in newer ones) and drops what does not fit, so payloads go out in
 * packets well under the small size. */
enum { SCREEN_PACKET = 200 };

static int wrap_tmux(ea_buf *out, const unsigned char *seq, size_t n)
{
    /* tmux forwards the inside of ESC Ptmux; ... ESC \ raw once each doubled ESC is undone,
     * so a lone ESC inside could never end the wrapper early. */
    size_t escapes = 0;
    for (size_t i = 0; i < n; i++)
        escapes += seq[i] == ESC;
    if (ea_buf_reserve(out, n + escapes + 10) != 0 || ea_buf_append(out, "\033Ptmux;", 7) != 0)
        return -1;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (seq[i] != ESC)
            continue;
        if (ea_buf_append(out, seq + start, i + 1 - start) != 0 || ea_buf_putc(out, ESC) != 0)
            return -1;
        start = i + 1;
    }
    if (ea_buf_append(out, seq + start, n - start) != 0)
        return -1;
    return ea_buf_append(out, "\033\\", 2);
}

static int wrap_screen(ea_buf *out, const unsigned char *seq, size_t n)
{
    /* screen ends its DCS at the first ESC \ it sees, including the payload's own string
     * terminator. So a packet is cut right after any payload ESC that a backslash follows:
     * screen then sees that ESC as "ESC + our ESC \" (the ESC is kept and the packet ends),
     * and the backslash starts the next packet; the terminal behind screen receives the
     * bytes joined back together. */
    size_t i = 0;
    while (i < n) {
        size_t len = n - i < SCREEN_PACKET ? n - i : SCREEN_PACKET;
        for (size_t k = 0; k + 1 < len; k++)
            if (seq[i + k] == ESC && seq[i + k + 1] == '\\') {
                len = k + 1;
                break;
            }
        if (ea_buf_append(out, "\033P", 2) != 0 || ea_buf_append(out, seq + i, len) != 0 ||
            ea_buf_append(out, "\033\\", 2) != 0)
            return -1;
        i += len;
    }
    return 0;
}

int ea_gfx_wrap_append(ea_buf *out, ea_gfx_wrap wrap, const void *seq, size_t n)
{
    switch (wrap) {
    case EA_GFX_WRAP_TMUX:
        return wrap_tmux(out, seq, n);
    case EA_GFX_WRAP_SCREEN:
        return wrap_screen(out, seq, n);
    case EA_GFX_WRAP_NONE:
        break;
    }
    return ea_buf_append(out, seq, n);
}

/* ---- cursor ----------------------------------------------------------------------------- */

int ea_gfx_row_start(ea_buf *out, const ea_gfx_options *opt, int row)
{
    if (opt->origin_row > 0)
        return ea_buf_printf(out, "\033[%d;%dH", opt->origin_row + row,
                             opt->origin_col > 0 ? opt->origin_col : 1);
    return row > 0 ? ea_buf_putc(out, '\n') : 0;
}

int ea_gfx_flow_end(ea_buf *out, const ea_gfx_options *opt)
{
    return opt->origin_row > 0 ? 0 : ea_buf_putc(out, '\n');
}

bool ea_gfx_cursor_kept(const ea_gfx_options *opt)
{
    return opt->origin_row > 0 || opt->cursor_stays;
}

int ea_gfx_picture_end(ea_buf *out, const ea_gfx_options *opt)
{
    return opt->cursor_stays ? 0 : ea_gfx_flow_end(out, opt);
}

/* ---- output ----------------------------------------------------------------------------- */

int ea_gfx_write_all(int fd, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                    return -1;
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}
