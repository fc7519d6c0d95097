/* SPDX-License-Identifier: MIT */
/* preview: one picture slot of the workbench, drawn by the single writer right after curses'
 * doupdate(): the newest frame wins, stale frames are dropped and never queued. Given a wake
 * fd, the slot encodes on a thread of its own and the caller's thread only writes. No curses
 * here. */
#ifndef EASEL_PREVIEW_H
#define EASEL_PREVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "easel/err.h"
#include "easel/gfx.h"
#include "easel/image.h"

typedef struct ea_preview ea_preview;

typedef enum ea_preview_status {
    EA_PREVIEW_IDLE = 0, /* nothing new to draw */
    EA_PREVIEW_DRAWN,    /* a whole frame went out */
    /* A frame is partly written because the terminal is not taking bytes. Call flush again
     * when fd is writable, and draw no text meanwhile: it would land inside the picture's
     * escape sequence. New frames may still be set; only the newest will follow. */
    EA_PREVIEW_BUSY,
    /* The output queue holds more than the budget: nothing was started, the waiting frame
     * stays (and is replaced by any newer one). Call flush again later. */
    EA_PREVIEW_DEFERRED,
    /* The frame is being encoded on the slot's thread (see ea_preview_set_wake): call flush
     * again once the wake fd was written to. Text may be drawn meanwhile. */
    EA_PREVIEW_ENCODING,
} ea_preview_status;

typedef struct ea_preview_stats {
    unsigned long frames_set;     /* set_frame calls */
    unsigned long frames_dropped; /* replaced while still waiting */
    unsigned long frames_drawn;   /* encoded and written out (re-emits included) */
    unsigned long long bytes_written;
} ea_preview_stats;

/* opt gives the protocol, cell size, wrapping and kitty ids; its box and origin are replaced
 * by the slot's rectangle. NULL when out of memory. The first call tells the C library to
 * keep freed blocks of up to 32 MB for reuse (at most 64 MB of them), process-wide, so that
 * frame after frame reuses the same memory instead of faulting it in again. */
ea_preview *ea_preview_new(const ea_gfx_options *opt);
/* Joins the slot's thread, if any, after the encoding under way (if any) ends; what it
 * produced is dropped. */
void ea_preview_free(ea_preview **p);
/* From now on frames are encoded on a thread the slot starts, and flush returns ENCODING
 * until the bytes are ready; the thread then writes one byte to fd (a self-pipe the caller
 * polls and drains; non-blocking, as a full pipe means a wakeup is pending already). Only
 * the newest frame is encoded: one running, at most one waiting; a result that a newer frame
 * or a new rectangle made stale is dropped. -1 when no thread starts: frames are then encoded
 * inside flush, as without this call. */
int ea_preview_set_wake(ea_preview *p, int fd);
/* Tests: each encoding first sleeps ms, as a slow encoder (a huge picture, a loaded machine)
 * would. */
void ea_preview_set_encode_delay(ea_preview *p, int ms);

/* The slot's rectangle in cells (0-based, as curses counts) on a screen of screen_rows rows.
 * A sixel slot is kept off the last row, where a sixel would scroll the screen. A change of
 * size re-encodes the current frame; any change redraws it. */
void ea_preview_set_rect(ea_preview *p, int row, int col, int rows, int cols, int screen_rows);
/* Takes *frame (left empty). A frame still waiting to be drawn is dropped. */
void ea_preview_set_frame(ea_preview *p, ea_image *frame);
/* The screen was cleared or fully repainted: draw the current frame again at the next flush. */
void ea_preview_invalidate(ea_preview *p);
/* Draws what is due, writing to fd without blocking for long (see the statuses). */
ea_preview_status ea_preview_flush(ea_preview *p, int fd, ea_err *err);
/* True while a frame is partly written (see EA_PREVIEW_BUSY). */
bool ea_preview_busy(const ea_preview *p);
/* True while flush has something left to do: a frame partly written, waiting, encoding, or
 * to be drawn again. */
bool ea_preview_due(const ea_preview *p);
/* Bytes queued on fd (tty output queue or pipe) above which no new frame is started.
 * Default 64 KiB. */
void ea_preview_set_budget(ea_preview *p, size_t bytes);
/* The panel closes: forget the frames and erase the picture. kitty pictures are deleted by
 * id; for the others (and kitty placeholders, which are text) *repaint_text is set and the
 * caller repaints the rectangle's cells. A partly written frame is finished first. */
int ea_preview_remove(ea_preview *p, int fd, bool *repaint_text, ea_err *err);
ea_preview_stats ea_preview_get_stats(const ea_preview *p);

#endif
