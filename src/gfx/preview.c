/* SPDX-License-Identifier: MIT */
/* preview: a picture slot that keeps at most one frame waiting (the newest), encodes it when
 * the writer is ready, and writes it in slices that never block for long. See preview.h.
 *
 * Why one waiting frame and not a queue: partial frames of a generation are successive
 * sharpenings of one picture, so on a slow link the only frame worth sending is the newest.
 * A frame already started is always finished: cutting an escape sequence short would leave
 * the terminal parsing picture data as text. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "easel/preview.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

enum { DEFAULT_BUDGET = 64 * 1024 };

struct ea_preview {
    ea_gfx_options opt; /* box and origin follow the rectangle */
    int screen_rows;
    ea_image pending;   /* the newest frame not yet encoded, or empty */
    ea_image current;   /* the frame on screen (kept to re-encode after a resize) */
    ea_buf encoded;     /* current, encoded for the rectangle: re-emitted after a repaint */
    bool encoded_valid;
    bool redraw;        /* draw current again at the next flush */
    /* The cells the last frame drawn covers, inside the rectangle, to erase before a frame
     * that would not cover them all (see must_erase); 0 rows: nothing to erase. */
    int shown_row, shown_col, shown_rows, shown_cols;
    ea_buf inflight;    /* the bytes of the frame being written */
    size_t inflight_off;
    size_t budget;
    ea_preview_stats stats;
};

/* Frames follow each other at the same sizes, so their big buffers (the decoded picture, the
 * downscale's rows, the sixel histogram and bands, the encoded bytes) are the same blocks
 * every time, if only the allocator keeps them: glibc hands blocks above its mmap threshold
 * back to the kernel on free (and trims the heaps of the pool's threads), so every frame
 * faulted its pages in anew. Measured on a 1024x1024 picture drawn as sixel at 640x640,
 * frame after frame in one process: about 900 page faults a frame before, 0 from the third
 * frame on with these settings. Blocks above 32 MB (a 4K picture at full size, which the
 * workbench no longer decodes) still go back at once, and at most 64 MB stays kept. */
static void keep_frame_memory(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

ea_preview *ea_preview_new(const ea_gfx_options *opt)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, keep_frame_memory);
    ea_preview *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->opt = *opt;
    p->opt.origin_row = p->opt.origin_col = 1;
    p->screen_rows = INT_MAX;
    ea_buf_init(&p->encoded, EA_BUF_UNCAPPED);
    ea_buf_init(&p->inflight, EA_BUF_UNCAPPED);
    p->budget = DEFAULT_BUDGET;
    return p;
}

void ea_preview_free(ea_preview **pp)
{
    if (!pp || !*pp)
        return;
    ea_preview *p = *pp;
    ea_image_free(&p->pending);
    ea_image_free(&p->current);
    ea_buf_free(&p->encoded);
    ea_buf_free(&p->inflight);
    free(p);
    *pp = NULL;
}

void ea_preview_set_rect(ea_preview *p, int row, int col, int rows, int cols, int screen_rows)
{
    /* A sixel that touches the last row scrolls the whole screen under curses' feet. */
    if (p->opt.protocol == EA_GFX_SIXEL && screen_rows > 0 && row + rows > screen_rows - 1)
        rows = screen_rows - 1 - row;
    if (rows < 1)
        rows = 1;
    if (cols < 1)
        cols = 1;
    if (rows != p->opt.rows || cols != p->opt.cols || row + 1 != p->opt.origin_row ||
        col + 1 != p->opt.origin_col) {
        p->encoded_valid = false; /* the origin is inside the encoded bytes too */
        /* A new rectangle comes with a repaint of the whole screen, which took the old
         * picture away; its cells may hold text now, which erasing them would take too. */
        p->shown_rows = p->shown_cols = 0;
    }
    p->opt.origin_row = row + 1;
    p->opt.origin_col = col + 1;
    p->opt.rows = rows;
    p->opt.cols = cols;
    p->screen_rows = screen_rows;
    p->redraw = true;
}

void ea_preview_set_frame(ea_preview *p, ea_image *frame)
{
    p->stats.frames_set++;
    if (p->pending.rgba) {
        p->stats.frames_dropped++;
        ea_image_free(&p->pending);
    }
    p->pending = *frame;
    *frame = (ea_image){0};
}

void ea_preview_invalidate(ea_preview *p)
{
    p->redraw = true;
}

bool ea_preview_busy(const ea_preview *p)
{
    return p->inflight_off < p->inflight.len;
}

void ea_preview_set_budget(ea_preview *p, size_t bytes)
{
    p->budget = bytes;
}

ea_preview_stats ea_preview_get_stats(const ea_preview *p)
{
    return p->stats;
}

/* Bytes written to fd that its reader has not taken yet: the tty's output queue, or what
 * sits in a pipe. 0 when the kernel cannot say. */
static size_t queued_bytes(int fd)
{
    int n = 0;
    if (ioctl(fd, TIOCOUTQ, &n) == 0 && n > 0)
        return (size_t)n;
    if (ioctl(fd, FIONREAD, &n) == 0 && n > 0)
        return (size_t)n;
    return 0;
}

/* Writes what it can of the frame in flight. Slices of PIPE_BUF on a blocking fd: poll()
 * promising POLLOUT guarantees that much room on a pipe, so no write waits for the reader. */
static ea_preview_status write_some(ea_preview *p, int fd, ea_err *err)
{
    int flags = fcntl(fd, F_GETFL);
    size_t slice = flags >= 0 && (flags & O_NONBLOCK) ? (size_t)1 << 20 : PIPE_BUF;
    while (p->inflight_off < p->inflight.len) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int ready = poll(&pfd, 1, 0);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return EA_PREVIEW_BUSY;
        if (ready < 0 || (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
            return ea_err_set(err, EA_EXIT_INTERNAL, "preview: the terminal went away"),
                   EA_PREVIEW_IDLE;
        size_t left = p->inflight.len - p->inflight_off;
        ssize_t w = write(fd, p->inflight.data + p->inflight_off, left < slice ? left : slice);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return EA_PREVIEW_BUSY;
            return ea_err_set(err, EA_EXIT_INTERNAL, "preview: write failed"), EA_PREVIEW_IDLE;
        }
        p->inflight_off += (size_t)w;
        p->stats.bytes_written += (unsigned long long)w;
    }
    ea_buf_reset(&p->inflight);
    p->inflight_off = 0;
    return EA_PREVIEW_DRAWN;
}

/* A sixel, iTerm2 or half-block picture stays on the screen until something is drawn over
 * it: a new frame that covers fewer cells (a portrait after a square), or that has
 * transparent pixels (a transparent background, the gaps of a grid), would leave parts of the
 * old one showing. kitty replaces its image by id. */
static bool has_transparency(const ea_image *img)
{
    size_t n = (size_t)img->w * (size_t)img->h;
    for (size_t i = 0; i < n; i++)
        if (img->rgba[i * 4 + 3] != 255)
            return true;
    return false;
}

static bool must_erase(const ea_preview *p, const ea_gfx_geometry *next, const ea_image *img)
{
    if (p->opt.protocol == EA_GFX_KITTY || p->shown_rows == 0)
        return false;
    /* The pixel scan last, when the size has not decided it: beside encoding the frame it
     * costs little (one read of each alpha byte). */
    return next->rows < p->shown_rows || next->cols < p->shown_cols || has_transparency(img);
}

/* Blanks the cells of the frame drawn last (ECH on each row), which curses believes blank
 * already, so its picture of the screen stays true. */
static int append_erase(const ea_preview *p, ea_buf *out)
{
    for (int r = 0; r < p->shown_rows; r++)
        if (ea_buf_printf(out, "\033[%d;%dH\033[%dX", p->shown_row + r, p->shown_col,
                          p->shown_cols) != 0)
            return -1;
    return 0;
}

ea_preview_status ea_preview_flush(ea_preview *p, int fd, ea_err *err)
{
    /* A frame finished here counts as drawn even when nothing new follows it. */
    ea_preview_status finished = EA_PREVIEW_IDLE;
    if (ea_preview_busy(p)) {
        finished = write_some(p, fd, err);
        if (finished != EA_PREVIEW_DRAWN)
            return finished;
    }
    bool fresh = p->pending.rgba != NULL;
    if (!fresh && !(p->redraw && p->current.rgba))
        return finished;
    if (queued_bytes(fd) > p->budget)
        return finished == EA_PREVIEW_DRAWN ? finished : EA_PREVIEW_DEFERRED;
    if (fresh) {
        ea_image_free(&p->current);
        p->current = p->pending;
        p->pending = (ea_image){0};
        p->encoded_valid = false;
    }
    ea_gfx_geometry geo = {0};
    bool erase = false;
    if (!p->encoded_valid) {
        ea_buf_reset(&p->encoded);
        if (ea_gfx_encode(&p->current, &p->opt, &p->encoded, &geo, err) != 0)
            return EA_PREVIEW_IDLE;
        p->encoded_valid = true;
        erase = must_erase(p, &geo, &p->current);
    }
    /* Save and restore the cursor around the picture, so curses' idea of where the cursor
     * is stays true; the encoded bytes position themselves at the rectangle. */
    ea_buf_reset(&p->inflight);
    if (ea_buf_puts(&p->inflight, "\0337") != 0 || (erase && append_erase(p, &p->inflight) != 0) ||
        ea_buf_append(&p->inflight, p->encoded.data, p->encoded.len) != 0 ||
        ea_buf_puts(&p->inflight, "\0338") != 0) {
        ea_buf_reset(&p->inflight);
        return ea_err_set(err, EA_EXIT_INTERNAL, "preview: out of memory"), EA_PREVIEW_IDLE;
    }
    if (geo.rows > 0) { /* encoded anew: what it covers, for the next frame */
        p->shown_row = p->opt.origin_row;
        p->shown_col = p->opt.origin_col;
        p->shown_rows = geo.rows;
        p->shown_cols = geo.cols;
    }
    p->inflight_off = 0;
    p->redraw = false;
    p->stats.frames_drawn++;
    return write_some(p, fd, err);
}

int ea_preview_remove(ea_preview *p, int fd, bool *repaint_text, ea_err *err)
{
    /* Finish a frame in flight first: its sequence must end before anything else is said. */
    if (ea_preview_busy(p) &&
        ea_gfx_write_all(fd, p->inflight.data + p->inflight_off,
                         p->inflight.len - p->inflight_off) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "preview: write failed");
    ea_buf_reset(&p->inflight);
    p->inflight_off = 0;
    bool had_picture = p->current.rgba != NULL || p->encoded_valid;
    p->shown_rows = p->shown_cols = 0; /* the caller repaints the text over it */
    ea_image_free(&p->pending);
    ea_image_free(&p->current);
    ea_buf_reset(&p->encoded);
    p->encoded_valid = false;
    p->redraw = false;
    *repaint_text = had_picture && (p->opt.protocol != EA_GFX_KITTY || p->opt.kitty_placeholders);
    if (!had_picture)
        return 0;
    ea_buf del;
    ea_buf_init(&del, 4096);
    int rc = ea_gfx_encode_remove(&p->opt, &del);
    if (rc == 0 && del.len && ea_gfx_write_all(fd, del.data, del.len) != 0)
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "preview: write failed");
    ea_buf_free(&del);
    return rc;
}
