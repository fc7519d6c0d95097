/* SPDX-License-Identifier: MIT */
/* preview: a picture slot that keeps at most one frame waiting (the newest), encodes it when
 * the writer is ready, and writes it in slices that never block for long. See preview.h.
 *
 * Why one waiting frame and not a queue: partial frames of a generation are successive
 * sharpenings of one picture, so on a slow link the only frame worth sending is the newest.
 * A frame already started is always finished: cutting an escape sequence short would leave
 * the terminal parsing picture data as text.
 *
 * With a wake fd (ea_preview_set_wake) the encoding runs on a thread of the slot's own, so the
 * caller's loop goes on reading keys meanwhile: a 1024x1024 picture drawn at 1168x1168 cost
 * the workbench's loop 50 to 125 ms a frame in sixel or kitty, every key typed then waiting.
 * The thread has one job running and at most one waiting; every job carries the generation
 * of what the slot should show (a new frame or a new rectangle starts one), and a result of an
 * older generation is dropped, never drawn. The bytes are written by the caller's thread
 * alone, as without the thread. Ownership: a frame is shared (refcounted) between the slot
 * and the job encoding it; the encoded bytes belong to the thread until flush takes them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "easel/preview.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

enum { DEFAULT_BUDGET = 64 * 1024 };

/* A frame's picture, read-only once set: shared by the slot and the job encoding it, freed by the last
 * to let go. */
typedef struct picture {
    atomic_int refs;
    ea_image img;
} picture;

/* What one encoding produced. */
typedef struct encoding {
    ea_buf bytes;
    ea_gfx_geometry geo;
    bool transparent; /* must_erase's pixel test, made where the pixels are read anyway */
    int rc;
    ea_err err;
} encoding;

struct ea_preview {
    ea_gfx_options opt; /* box and origin follow the rectangle */
    int screen_rows;
    picture *pending;     /* the newest frame not yet taken for encoding, or NULL */
    picture *current;     /* the frame encoding or on screen (kept to re-encode after a resize) */
    bool current_shown; /* current went out at least once */
    /* What the slot should show changes (a new frame, a new rectangle): the generation goes
     * up, and an encoding of an older one is stale. */
    unsigned long gen;
    encoding enc;       /* current, encoded for the rectangle: re-emitted after a repaint */
    bool encoded_valid;
    bool encoded_fresh; /* enc not written yet: its cells decide the erasing (must_erase) */
    bool redraw;        /* draw current (again) at the next flush */
    bool encoding;      /* a job of generation gen is with the thread */
    int delay_ms;       /* ea_preview_set_encode_delay */
    /* The cells the last frame drawn covers, inside the rectangle, to erase before a frame
     * that would not cover them all (see must_erase); 0 rows: nothing to erase. */
    int shown_row, shown_col, shown_rows, shown_cols;
    /* The frame being written: inflight (the cursor saved, the old cells erased), then
     * enc.bytes as they are, then TAIL; inflight_off bytes of inflight_len went out. The
     * encoded bytes are not copied (a 7 MB kitty frame took the loop 60 ms to copy the first
     * time, faults included), so enc is never replaced while a frame is in flight. */
    ea_buf inflight;
    size_t inflight_off, inflight_len;
    size_t budget;
    ea_preview_stats stats;

    /* The encoder thread (ea_preview_set_wake); under lock from here on. */
    bool threaded;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    picture *job;         /* waiting, not started (NULL: none) */
    ea_gfx_options job_opt;
    unsigned long job_gen;
    int job_delay_ms;
    encoding done;      /* the newest result, if has_done */
    unsigned long done_gen;
    bool has_done;
    int wake_fd;
};

static picture *picture_new(ea_image *img)
{
    picture *f = malloc(sizeof *f);
    if (!f) {
        ea_image_free(img);
        return NULL;
    }
    atomic_init(&f->refs, 1);
    f->img = *img;
    *img = (ea_image){0};
    return f;
}

static picture *picture_ref(picture *f)
{
    if (f)
        atomic_fetch_add(&f->refs, 1);
    return f;
}

static void picture_unref(picture **f)
{
    if (*f && atomic_fetch_sub(&(*f)->refs, 1) == 1) {
        ea_image_free(&(*f)->img);
        free(*f);
    }
    *f = NULL;
}

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
    ea_buf_init(&p->enc.bytes, EA_BUF_UNCAPPED);
    ea_buf_init(&p->done.bytes, EA_BUF_UNCAPPED);
    ea_buf_init(&p->inflight, EA_BUF_UNCAPPED);
    p->budget = DEFAULT_BUDGET;
    p->wake_fd = -1;
    return p;
}

void ea_preview_free(ea_preview **pp)
{
    if (!pp || !*pp)
        return;
    ea_preview *p = *pp;
    if (p->threaded) {
        /* An encoding under way is finished (the encoders cannot be interrupted) and
         * dropped: quitting waits for one encoding at most. */
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->cond);
    }
    picture_unref(&p->job);
    picture_unref(&p->pending);
    picture_unref(&p->current);
    ea_buf_free(&p->enc.bytes);
    ea_buf_free(&p->done.bytes);
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
        p->encoding = false;      /* one under way is for the old rectangle */
        p->gen++;
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
    if (p->pending) {
        p->stats.frames_dropped++;
        picture_unref(&p->pending);
    }
    p->pending = picture_new(frame); /* out of memory: the frame is lost, the next one comes */
}

void ea_preview_invalidate(ea_preview *p)
{
    p->redraw = true;
}

bool ea_preview_busy(const ea_preview *p)
{
    return p->inflight_off < p->inflight_len;
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
 * promising POLLOUT guarantees that much room on a pipe, so no write waits for the reader.
 * A file has no reader to wait for (the scripted runs and the benches write to one): there,
 * slices of PIPE_BUF only cost the loop a poll and a write per 4 kB (1,800 of each for a
 * 7 MB kitty frame). */
/* The cursor restored, after the picture. */
#define TAIL "\0338"
#define TAIL_LEN 2

/* The frame in flight from byte off on: its next contiguous part, n bytes long. */
static const char *inflight_at(const ea_preview *p, size_t off, size_t *n)
{
    size_t head = p->inflight.len, body = p->enc.bytes.len;
    if (off < head)
        return *n = head - off, p->inflight.data + off;
    if ((off -= head) < body)
        return *n = body - off, p->enc.bytes.data + off;
    off -= body;
    return *n = TAIL_LEN - off, TAIL + off;
}

static void inflight_done(ea_preview *p)
{
    ea_buf_reset(&p->inflight);
    p->inflight_off = p->inflight_len = 0;
}

static ea_preview_status write_some(ea_preview *p, int fd, ea_err *err)
{
    int flags = fcntl(fd, F_GETFL);
    struct stat st;
    bool whole = (flags >= 0 && (flags & O_NONBLOCK)) || (fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
    size_t slice = whole ? (size_t)1 << 20 : PIPE_BUF;
    while (ea_preview_busy(p)) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int ready = poll(&pfd, 1, 0);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return EA_PREVIEW_BUSY;
        if (ready < 0 || (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
            return ea_err_set(err, EA_EXIT_INTERNAL, "preview: the terminal went away"),
                   EA_PREVIEW_IDLE;
        size_t left;
        const char *at = inflight_at(p, p->inflight_off, &left);
        ssize_t w = write(fd, at, left < slice ? left : slice);
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
    inflight_done(p);
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

static bool must_erase(const ea_preview *p, const ea_gfx_geometry *next, bool transparent)
{
    if (p->opt.protocol == EA_GFX_KITTY || p->shown_rows == 0)
        return false;
    return next->rows < p->shown_rows || next->cols < p->shown_cols || transparent;
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

/* The one encoding step, on the caller's thread or the slot's. */
static void encode(const ea_image *img, const ea_gfx_options *opt, int delay_ms, encoding *out)
{
    if (delay_ms > 0)
        nanosleep(&(struct timespec){delay_ms / 1000, (delay_ms % 1000) * 1000000L}, NULL);
    ea_buf_reset(&out->bytes);
    out->err = (ea_err){0};
    out->geo = (ea_gfx_geometry){0};
    out->rc = ea_gfx_encode(img, opt, &out->bytes, &out->geo, &out->err);
    /* The pixel scan costs one read of each alpha byte beside the encoding; kitty replaces
     * its picture by id and never needs it. */
    out->transparent = out->rc == 0 && opt->protocol != EA_GFX_KITTY && has_transparency(img);
}

static void swap_bytes(ea_buf *a, ea_buf *b)
{
    ea_buf t = *a;
    *a = *b;
    *b = t;
}

static void *encoder_main(void *arg)
{
    ea_preview *p = arg;
    encoding e = {0}; /* the thread's own buffer, swapped with the result it publishes */
    ea_buf_init(&e.bytes, EA_BUF_UNCAPPED);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && !p->job)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stop)
            break;
        picture *pic = p->job;
        p->job = NULL;
        ea_gfx_options opt = p->job_opt;
        unsigned long gen = p->job_gen;
        int delay = p->job_delay_ms;
        pthread_mutex_unlock(&p->lock);

        encode(&pic->img, &opt, delay, &e);
        picture_unref(&pic);

        pthread_mutex_lock(&p->lock);
        /* A newer job waiting makes this one stale: dropped here, never published. */
        if (!p->job && !p->stop) {
            swap_bytes(&p->done.bytes, &e.bytes);
            p->done.geo = e.geo;
            p->done.transparent = e.transparent;
            p->done.rc = e.rc;
            p->done.err = e.err;
            p->done_gen = gen;
            p->has_done = true;
            if (write(p->wake_fd, "", 1) < 0) {
                /* the pipe is full: the loop is woken already */
            }
        }
    }
    pthread_mutex_unlock(&p->lock);
    ea_buf_free(&e.bytes);
    return NULL;
}

int ea_preview_set_wake(ea_preview *p, int fd)
{
    if (p->threaded)
        return 0;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->wake_fd = fd;
    /* Every signal blocked on the thread, so that SIGWINCH, SIGINT and SIGCHLD still reach the
     * loop's thread, which handles them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&p->thread, NULL, encoder_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->cond);
        return -1;
    }
    p->threaded = true;
    return 0;
}

void ea_preview_set_encode_delay(ea_preview *p, int ms)
{
    p->delay_ms = ms < 0 ? 0 : ms;
}

/* Hands current to the thread, replacing a job it has not started. */
static void submit(ea_preview *p)
{
    pthread_mutex_lock(&p->lock);
    picture_unref(&p->job);
    p->job = picture_ref(p->current);
    p->job_opt = p->opt;
    p->job_gen = p->gen;
    p->job_delay_ms = p->delay_ms;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    p->encoding = true;
}

/* Takes the thread's result if it is current's, for the rectangle as it is now; drops it
 * otherwise. True when a result was taken (the encoding is over). */
static bool collect(ea_preview *p)
{
    bool took = false;
    pthread_mutex_lock(&p->lock);
    if (p->has_done && p->done_gen == p->gen && p->encoding) {
        swap_bytes(&p->enc.bytes, &p->done.bytes);
        p->enc.geo = p->done.geo;
        p->enc.transparent = p->done.transparent;
        p->enc.rc = p->done.rc;
        p->enc.err = p->done.err;
        took = true;
    }
    p->has_done = false; /* a stale one's buffer stays for the thread to reuse */
    pthread_mutex_unlock(&p->lock);
    if (took)
        p->encoding = false;
    return took;
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
    bool fresh = p->pending != NULL;
    if (!fresh && !(p->redraw && p->current))
        return finished;
    if (queued_bytes(fd) > p->budget)
        return finished == EA_PREVIEW_DRAWN ? finished : EA_PREVIEW_DEFERRED;
    if (fresh) {
        if (p->current && !p->current_shown)
            p->stats.frames_dropped++; /* encoded (or encoding) but never drawn */
        picture_unref(&p->current);
        p->current = p->pending;
        p->pending = NULL;
        p->current_shown = false;
        p->encoded_valid = p->encoding = false;
        p->gen++;
        p->redraw = true;
    }
    if (!p->encoded_valid) {
        if (p->threaded && !(p->encoding && collect(p))) {
            if (!p->encoding)
                submit(p);
            return finished == EA_PREVIEW_DRAWN ? finished : EA_PREVIEW_ENCODING;
        }
        if (!p->threaded)
            encode(&p->current->img, &p->opt, p->delay_ms, &p->enc);
        if (p->enc.rc != 0) {
            *err = p->enc.err;
            p->redraw = false; /* not again until something changes */
            return EA_PREVIEW_IDLE;
        }
        p->encoded_valid = p->encoded_fresh = true;
    }
    /* Save and restore the cursor around the picture, so curses' idea of where the cursor
     * is stays true; the encoded bytes position themselves at the rectangle. */
    bool erase = p->encoded_fresh && must_erase(p, &p->enc.geo, p->enc.transparent);
    inflight_done(p);
    if (ea_buf_puts(&p->inflight, "\0337") != 0 || (erase && append_erase(p, &p->inflight) != 0)) {
        inflight_done(p);
        return ea_err_set(err, EA_EXIT_INTERNAL, "preview: out of memory"), EA_PREVIEW_IDLE;
    }
    if (p->encoded_fresh) { /* what the new bytes cover, for the next frame */
        p->shown_row = p->opt.origin_row;
        p->shown_col = p->opt.origin_col;
        p->shown_rows = p->enc.geo.rows;
        p->shown_cols = p->enc.geo.cols;
        p->encoded_fresh = false;
    }
    p->inflight_len = p->inflight.len + p->enc.bytes.len + TAIL_LEN;
    p->redraw = false;
    p->current_shown = true;
    p->stats.frames_drawn++;
    return write_some(p, fd, err);
}

bool ea_preview_due(const ea_preview *p)
{
    return ea_preview_busy(p) || p->pending || (p->redraw && p->current);
}

int ea_preview_remove(ea_preview *p, int fd, bool *repaint_text, ea_err *err)
{
    /* Finish a frame in flight first: its sequence must end before anything else is said. */
    while (ea_preview_busy(p)) {
        size_t n;
        const char *at = inflight_at(p, p->inflight_off, &n);
        if (ea_gfx_write_all(fd, at, n) != 0)
            return ea_err_set(err, EA_EXIT_INTERNAL, "preview: write failed");
        p->inflight_off += n;
    }
    inflight_done(p);
    bool had_picture = p->current != NULL || p->encoded_valid;
    p->shown_rows = p->shown_cols = 0; /* the caller repaints the text over it */
    picture_unref(&p->pending);
    picture_unref(&p->current);
    ea_buf_reset(&p->enc.bytes);
    p->encoded_valid = p->encoding = false;
    p->gen++; /* an encoding under way is dropped when it ends */
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
