/* SPDX-License-Identifier: MIT */
/* Unit tests for the placement API (src/gfx/preview.c), through a pipe standing in for the
 * terminal: the newest frame wins, a slow reader makes stale frames drop instead of queueing,
 * repaints re-emit, sixel stays off the last row, removal deletes or asks for a repaint; with
 * its own thread, a slow encoding leaves flush at once, and a newer frame or rectangle makes
 * the one encoding stale. */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "easel/preview.h"
#include "gfx_decode.h"

typedef struct pipe_pair {
    int r, w;
} pipe_pair;

static pipe_pair open_pipe(void)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    /* The reading end never blocks the test; the writing end stays blocking, like a tty. */
    assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    return (pipe_pair){fds[0], fds[1]};
}

static void close_pipe(pipe_pair *p)
{
    close(p->r);
    close(p->w);
}

/* Everything waiting in the pipe, appended to out. */
static void drain(int fd, ea_buf *out)
{
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        assert_int_equal(ea_buf_append(out, chunk, (size_t)n), 0);
}

/* Flushes while the reader keeps up, as a terminal would; returns the first status that is
 * not BUSY (a frame 150 KB long does not fit a pipe's 64 KiB at once). */
static ea_preview_status flush_through(ea_preview *p, pipe_pair *pp, ea_buf *got)
{
    ea_err err = {0};
    ea_preview_status st = ea_preview_flush(p, pp->w, &err);
    for (int rounds = 0; st == EA_PREVIEW_BUSY; rounds++) {
        assert_true(rounds < 1000);
        drain(pp->r, got);
        st = ea_preview_flush(p, pp->w, &err);
    }
    assert_int_equal(err.code, 0);
    drain(pp->r, got);
    return st;
}

/* A flat picture of one colour: which frame arrived is told by its colour. */
static ea_image flat(unsigned char shade)
{
    ea_image img;
    assert_int_equal(ea_image_alloc(&img, 200, 100), 0);
    for (size_t i = 0; i < 200u * 100u; i++) {
        img.rgba[i * 4] = shade;
        img.rgba[i * 4 + 1] = (unsigned char)(255 - shade);
        img.rgba[i * 4 + 2] = 128;
        img.rgba[i * 4 + 3] = 255;
    }
    return img;
}

static ea_preview *kitty_slot(void)
{
    ea_gfx_options opt;
    ea_gfx_options_init(&opt);
    opt.protocol = EA_GFX_KITTY;
    opt.image_id = 9;
    ea_preview *p = ea_preview_new(&opt);
    assert_non_null(p);
    ea_preview_set_rect(p, 2, 4, 10, 30, 40);
    return p;
}

/* The shade of the frame a kitty stream carries. */
static int kitty_shade(const ea_buf *bytes)
{
    ea_image img;
    gfxt_kitty k;
    assert_int_equal(gfxt_decode_kitty(bytes->data, bytes->len, &img, &k), 0);
    int shade = img.rgba[0];
    ea_image_free(&img);
    return shade;
}

static void test_latest_frame_wins(void **state)
{
    (void)state;
    pipe_pair pp = open_pipe();
    ea_preview *p = kitty_slot();
    ea_err err = {0};
    ea_image a = flat(10), b = flat(200);
    ea_preview_set_frame(p, &a);
    ea_preview_set_frame(p, &b); /* a was still waiting: dropped */
    assert_null(a.rgba);
    assert_null(b.rgba);
    ea_buf got;
    ea_buf_init(&got, EA_BUF_UNCAPPED);
    assert_int_equal(flush_through(p, &pp, &got), EA_PREVIEW_DRAWN);
    assert_int_equal(kitty_shade(&got), 200);
    /* Drawn at the slot (row 3, column 5 counting from 1), between cursor save and restore. */
    assert_memory_equal(got.data, "\0337\033[3;5H\033_G", 11);
    assert_memory_equal(got.data + got.len - 2, "\0338", 2);
    ea_preview_stats s = ea_preview_get_stats(p);
    assert_int_equal(s.frames_set, 2);
    assert_int_equal(s.frames_dropped, 1);
    assert_int_equal(s.frames_drawn, 1);
    /* Nothing new: nothing written. */
    assert_int_equal(ea_preview_flush(p, pp.w, &err), EA_PREVIEW_IDLE);
    /* After a full repaint the same frame goes out again, byte for byte. */
    ea_buf again;
    ea_buf_init(&again, EA_BUF_UNCAPPED);
    ea_preview_invalidate(p);
    assert_int_equal(flush_through(p, &pp, &again), EA_PREVIEW_DRAWN);
    assert_int_equal(again.len, got.len);
    assert_memory_equal(again.data, got.data, got.len);
    ea_buf_free(&got), ea_buf_free(&again);
    ea_preview_free(&p);
    assert_null(p);
    close_pipe(&pp);
}

static void test_slow_output_drops_stale_frames(void **state)
{
    (void)state;
    pipe_pair pp = open_pipe();
    ea_preview *p = kitty_slot();
    ea_err err = {0};
    /* 30x10 cells of 8x16 = 240x160 RGBA = 150 KB raw, 200 KB in base64: over a pipe's
     * 64 KiB, so the first frame cannot go out at once. */
    ea_image f1 = flat(1), f2 = flat(2), f3 = flat(3);
    ea_preview_set_frame(p, &f1);
    assert_int_equal(ea_preview_flush(p, pp.w, &err), EA_PREVIEW_BUSY);
    assert_true(ea_preview_busy(p));
    /* While the terminal is behind, frames keep coming; only the newest survives. */
    ea_preview_set_frame(p, &f2);
    ea_preview_set_frame(p, &f3);
    ea_buf got;
    ea_buf_init(&got, EA_BUF_UNCAPPED);
    int rounds = 0;
    ea_preview_status st;
    do { /* the reader catches up a pipe's worth at a time */
        drain(pp.r, &got);
        st = ea_preview_flush(p, pp.w, &err);
        assert_true(++rounds < 1000);
    } while (st == EA_PREVIEW_BUSY || st == EA_PREVIEW_DEFERRED ||
             ea_preview_get_stats(p).frames_drawn < 2);
    while (ea_preview_busy(p)) {
        drain(pp.r, &got);
        ea_preview_flush(p, pp.w, &err);
    }
    drain(pp.r, &got);
    ea_preview_stats s = ea_preview_get_stats(p);
    assert_int_equal(s.frames_set, 3);
    assert_int_equal(s.frames_dropped, 1); /* f2 never went out */
    assert_int_equal(s.frames_drawn, 2);   /* f1 (already started) and f3 */
    assert_int_equal(s.bytes_written, got.len);
    /* The stream holds f1 whole, then f3 whole: split at the second cursor save. */
    const char *second = gfxt_find(got.data + 1, got.len - 1, "\0337", 2);
    assert_non_null(second);
    ea_buf first = {0}, last = {0};
    ea_buf_init(&first, EA_BUF_UNCAPPED), ea_buf_init(&last, EA_BUF_UNCAPPED);
    ea_buf_append(&first, got.data, (size_t)(second - got.data));
    ea_buf_append(&last, second, got.len - (size_t)(second - got.data));
    assert_int_equal(kitty_shade(&first), 1);
    assert_int_equal(kitty_shade(&last), 3);
    ea_buf_free(&got), ea_buf_free(&first), ea_buf_free(&last);
    ea_preview_free(&p);
    close_pipe(&pp);
}

static void test_budget_defers(void **state)
{
    (void)state;
    pipe_pair pp = open_pipe();
    ea_preview *p = kitty_slot();
    ea_err err = {0};
    assert_int_equal(write(pp.w, "unread bytes", 12), 12);
    ea_preview_set_budget(p, 4); /* 12 bytes queued: over budget */
    ea_image f = flat(5);
    ea_preview_set_frame(p, &f);
    assert_int_equal(ea_preview_flush(p, pp.w, &err), EA_PREVIEW_DEFERRED);
    ea_buf got;
    ea_buf_init(&got, EA_BUF_UNCAPPED);
    drain(pp.r, &got); /* the reader catches up */
    assert_int_equal(flush_through(p, &pp, &got), EA_PREVIEW_DRAWN);
    ea_buf_free(&got);
    ea_preview_free(&p);
    close_pipe(&pp);
}

static void test_sixel_off_last_row(void **state)
{
    (void)state;
    pipe_pair pp = open_pipe();
    ea_gfx_options opt;
    ea_gfx_options_init(&opt);
    opt.protocol = EA_GFX_SIXEL;
    ea_preview *p = ea_preview_new(&opt);
    /* Rows 14-23 of a 24-row screen: row 23 is the last and must stay free. */
    ea_preview_set_rect(p, 14, 0, 10, 80, 24);
    ea_image tall;
    assert_int_equal(gfxt_photo(&tall, 100, 400), 0);
    ea_preview_set_frame(p, &tall);
    ea_err err = {0};
    assert_int_equal(ea_preview_flush(p, pp.w, &err), EA_PREVIEW_DRAWN);
    ea_buf got;
    ea_buf_init(&got, EA_BUF_UNCAPPED);
    drain(pp.r, &got);
    assert_non_null(strstr(got.data, "\033[15;1H\033P"));
    ea_image decoded;
    assert_int_equal(gfxt_decode_sixel(got.data, got.len, &decoded), 0);
    /* Nine rows of 16 pixels (14..22): the picture ends above row 23. */
    assert_true(decoded.h <= 9 * 16);
    assert_true(decoded.h > 8 * 16);
    ea_image_free(&decoded), ea_buf_free(&got);
    ea_preview_free(&p);
    close_pipe(&pp);
}

/* A sixel picture stays until something is drawn over it: before a frame that covers fewer
 * cells, or has transparent pixels, the cells of the one drawn last are blanked (ECH on each
 * row, cursor saved around it); a frame that covers them all draws straight over. */

/* How many ECH sequences (ESC [ digits X) the bytes hold: sixel data has no ESC inside. */
static int erasures(const ea_buf *b)
{
    int n = 0;
    for (size_t i = 0; i + 2 < b->len; i++) {
        if (b->data[i] != '\033' || b->data[i + 1] != '[')
            continue;
        size_t k = i + 2;
        while (k < b->len && b->data[k] >= '0' && b->data[k] <= '9')
            k++;
        n += k > i + 2 && k < b->len && b->data[k] == 'X';
    }
    return n;
}

static void draw(ea_preview *p, pipe_pair *pp, ea_buf *got, int w, int h, bool transparent)
{
    ea_image img;
    assert_int_equal(gfxt_photo(&img, w, h), 0);
    if (transparent)
        img.rgba[3] = 0; /* one pixel: what is under it would show */
    ea_buf_reset(got);
    ea_preview_set_frame(p, &img);
    assert_int_equal(flush_through(p, pp, got), EA_PREVIEW_DRAWN);
}

static void test_smaller_or_transparent_frame_erases_the_old(void **state)
{
    (void)state;
    pipe_pair pp = open_pipe();
    ea_gfx_options opt;
    ea_gfx_options_init(&opt);
    opt.protocol = EA_GFX_SIXEL;
    ea_preview *p = ea_preview_new(&opt);
    ea_preview_set_rect(p, 2, 4, 10, 30, 40); /* cells 8x16: 240x160 pixels */
    ea_buf got;
    ea_buf_init(&got, EA_BUF_UNCAPPED);

    draw(p, &pp, &got, 300, 300, false); /* 156x156: 20 columns, 10 rows */
    assert_int_equal(erasures(&got), 0); /* nothing drawn before */
    draw(p, &pp, &got, 300, 300, false);
    assert_int_equal(erasures(&got), 0); /* the same cells: drawn over */

    draw(p, &pp, &got, 200, 300, false); /* a portrait: 104x156, 13 columns */
    assert_int_equal(erasures(&got), 10);
    /* The square's ten rows, 20 cells each, from the rectangle's corner (row 3, column 5),
     * after the cursor is saved and before the picture's own bytes. */
    for (int r = 0; r < 10; r++) {
        char ech[32];
        snprintf(ech, sizeof ech, "\033[%d;5H\033[20X", 3 + r);
        const char *at = strstr(got.data, ech);
        assert_non_null(at);
        assert_true(at < strstr(got.data, "\033P"));
    }
    assert_true(strncmp(got.data, "\0337", 2) == 0);

    draw(p, &pp, &got, 200, 300, true); /* the same cells, with a transparent pixel */
    assert_int_equal(erasures(&got), 10);
    assert_non_null(strstr(got.data, "\033[3;5H\033[13X"));

    /* A new rectangle (a resize repaints the screen) erases nothing: its cells are text now. */
    ea_preview_set_rect(p, 5, 1, 12, 40, 40);
    draw(p, &pp, &got, 50, 50, false);
    assert_int_equal(erasures(&got), 0);

    /* kitty replaces its picture by id: never an erasure. */
    ea_preview_free(&p);
    ea_preview *k = kitty_slot();
    draw(k, &pp, &got, 300, 300, false);
    draw(k, &pp, &got, 100, 300, true);
    assert_int_equal(erasures(&got), 0);
    ea_buf_free(&got);
    ea_preview_free(&k);
    close_pipe(&pp);
}

static void test_remove(void **state)
{
    (void)state;
    pipe_pair pp = open_pipe();
    ea_preview *p = kitty_slot();
    ea_err err = {0};
    bool repaint = true;
    ea_image f = flat(7);
    ea_preview_set_frame(p, &f);
    ea_buf got;
    ea_buf_init(&got, EA_BUF_UNCAPPED);
    assert_int_equal(flush_through(p, &pp, &got), EA_PREVIEW_DRAWN);
    ea_buf_reset(&got);
    assert_int_equal(ea_preview_remove(p, pp.w, &repaint, &err), 0);
    assert_false(repaint); /* kitty deletes its own picture */
    drain(pp.r, &got);
    assert_string_equal(got.data, "\033_Ga=d,d=I,i=9,q=2\033\\");
    /* Nothing left to redraw after removal, even when asked. */
    ea_preview_invalidate(p);
    assert_int_equal(ea_preview_flush(p, pp.w, &err), EA_PREVIEW_IDLE);
    ea_preview_free(&p);

    ea_gfx_options opt;
    ea_gfx_options_init(&opt);
    opt.protocol = EA_GFX_BLOCKS;
    p = ea_preview_new(&opt);
    ea_preview_set_rect(p, 0, 0, 5, 10, 24);
    f = flat(8);
    ea_preview_set_frame(p, &f);
    assert_int_equal(flush_through(p, &pp, &got), EA_PREVIEW_DRAWN);
    assert_int_equal(ea_preview_remove(p, pp.w, &repaint, &err), 0);
    assert_true(repaint); /* text protocols: the caller repaints the cells */
    ea_buf_free(&got);
    ea_preview_free(&p);
    close_pipe(&pp);
}

/* ---- The encoder thread (ea_preview_set_wake) ---------------------------------------------- */

/* Waits (10 s at most) for the slot's thread to say a frame is ready, and drains the pipe. */
static void await_wake(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 10000), 1);
    char drained[64];
    while (read(fd, drained, sizeof drained) > 0) {
    }
}

/* Flushes until a frame is drawn, waiting for the thread whenever it encodes. */
static void flush_until_drawn(ea_preview *p, pipe_pair *out, int wake, ea_buf *got)
{
    for (int rounds = 0;; rounds++) {
        assert_true(rounds < 1000);
        ea_err err = {0};
        ea_preview_status st = ea_preview_flush(p, out->w, &err);
        assert_int_equal(err.code, 0);
        drain(out->r, got);
        if (st == EA_PREVIEW_ENCODING)
            await_wake(wake);
        else if (st == EA_PREVIEW_DRAWN && !ea_preview_busy(p))
            return;
    }
}

static ea_preview *threaded_kitty_slot(pipe_pair *wake, int delay_ms)
{
    *wake = open_pipe();
    assert_int_equal(fcntl(wake->w, F_SETFL, O_NONBLOCK), 0);
    ea_preview *p = kitty_slot();
    ea_preview_set_encode_delay(p, delay_ms);
    assert_int_equal(ea_preview_set_wake(p, wake->w), 0);
    return p;
}

static void test_thread_encodes_while_flush_returns(void **state)
{
    (void)state;
    pipe_pair out = open_pipe(), wake;
    /* The encoder sleeps 300 ms first: flush must not be the one waiting. */
    ea_preview *p = threaded_kitty_slot(&wake, 300);
    ea_image f = flat(42);
    ea_preview_set_frame(p, &f);
    ea_err err = {0};
    assert_int_equal(ea_preview_flush(p, out.w, &err), EA_PREVIEW_ENCODING);
    assert_true(ea_preview_due(p));
    assert_false(ea_preview_busy(p)); /* nothing half written: text may be drawn */
    /* Asked again before the thread is done: still encoding, still nothing written. */
    assert_int_equal(ea_preview_flush(p, out.w, &err), EA_PREVIEW_ENCODING);
    ea_buf got, want;
    ea_buf_init(&got, EA_BUF_UNCAPPED), ea_buf_init(&want, EA_BUF_UNCAPPED);
    drain(out.r, &got);
    assert_int_equal(got.len, 0);
    flush_until_drawn(p, &out, wake.r, &got);
    assert_false(ea_preview_due(p));
    /* The same bytes as the slot without a thread writes. */
    ea_preview *plain = kitty_slot();
    f = flat(42);
    ea_preview_set_frame(plain, &f);
    assert_int_equal(flush_through(plain, &out, &want), EA_PREVIEW_DRAWN);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, want.len);
    /* A repaint re-emits the bytes kept, without the thread. */
    ea_buf_reset(&got);
    ea_preview_invalidate(p);
    assert_int_equal(flush_through(p, &out, &got), EA_PREVIEW_DRAWN);
    assert_int_equal(got.len, want.len);
    ea_buf_free(&got), ea_buf_free(&want);
    ea_preview_free(&plain);
    ea_preview_free(&p);
    close_pipe(&out), close_pipe(&wake);
}

static void test_thread_newer_frame_or_rect_supersedes(void **state)
{
    (void)state;
    pipe_pair out = open_pipe(), wake;
    ea_preview *p = threaded_kitty_slot(&wake, 200);
    ea_err err = {0};
    ea_image f1 = flat(1), f2 = flat(2);
    ea_preview_set_frame(p, &f1);
    assert_int_equal(ea_preview_flush(p, out.w, &err), EA_PREVIEW_ENCODING);
    /* f2 comes while f1 encodes: f1 is never drawn, whenever its encoding ends. */
    ea_preview_set_frame(p, &f2);
    assert_int_equal(ea_preview_flush(p, out.w, &err), EA_PREVIEW_ENCODING);
    ea_buf got;
    ea_buf_init(&got, EA_BUF_UNCAPPED);
    flush_until_drawn(p, &out, wake.r, &got);
    assert_int_equal(kitty_shade(&got), 2);
    assert_null(gfxt_find(got.data + 1, got.len - 1, "\0337", 2)); /* one frame alone */
    ea_preview_stats s = ea_preview_get_stats(p);
    assert_int_equal(s.frames_drawn, 1);
    assert_int_equal(s.frames_dropped, 1);
    /* Nothing stale turns up later. */
    usleep(300 * 1000);
    assert_int_equal(ea_preview_flush(p, out.w, &err), EA_PREVIEW_IDLE);
    ea_buf_reset(&got);
    drain(out.r, &got);
    assert_int_equal(got.len, 0);

    /* A new rectangle while a frame encodes: drawn at the new place only. */
    ea_image f3 = flat(3);
    ea_preview_set_frame(p, &f3);
    assert_int_equal(ea_preview_flush(p, out.w, &err), EA_PREVIEW_ENCODING);
    ea_preview_set_rect(p, 5, 1, 12, 40, 40);
    flush_until_drawn(p, &out, wake.r, &got);
    assert_memory_equal(got.data, "\0337\033[6;2H\033_G", 11);
    assert_null(gfxt_find(got.data + 1, got.len - 1, "\0337", 2));
    assert_int_equal(kitty_shade(&got), 3);
    ea_buf_free(&got);
    ea_preview_free(&p);
    close_pipe(&out), close_pipe(&wake);
}

static void test_thread_free_or_remove_mid_encoding(void **state)
{
    (void)state;
    pipe_pair out = open_pipe(), wake;
    ea_preview *p = threaded_kitty_slot(&wake, 200);
    ea_err err = {0};
    bool repaint;
    ea_image f = flat(9);
    ea_preview_set_frame(p, &f);
    assert_int_equal(ea_preview_flush(p, out.w, &err), EA_PREVIEW_ENCODING);
    /* Removed while it encodes: the result is dropped, nothing is drawn. */
    assert_int_equal(ea_preview_remove(p, out.w, &repaint, &err), 0);
    assert_false(ea_preview_due(p));
    await_wake(wake.r);
    assert_int_equal(ea_preview_flush(p, out.w, &err), EA_PREVIEW_IDLE);
    ea_buf got;
    ea_buf_init(&got, EA_BUF_UNCAPPED);
    drain(out.r, &got);
    assert_null(gfxt_find(got.data, got.len, "\033_Ga=T", 6));
    /* Freed while it encodes (the sanitizers check that nothing leaks or is used after). */
    f = flat(10);
    ea_preview_set_frame(p, &f);
    assert_int_equal(ea_preview_flush(p, out.w, &err), EA_PREVIEW_ENCODING);
    ea_preview_free(&p);
    assert_null(p);
    ea_buf_free(&got);
    close_pipe(&out), close_pipe(&wake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latest_frame_wins),
        cmocka_unit_test(test_slow_output_drops_stale_frames),
        cmocka_unit_test(test_budget_defers),
        cmocka_unit_test(test_sixel_off_last_row),
        cmocka_unit_test(test_smaller_or_transparent_frame_erases_the_old),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_thread_encodes_while_flush_returns),
        cmocka_unit_test(test_thread_newer_frame_or_rect_supersedes),
        cmocka_unit_test(test_thread_free_or_remove_mid_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
