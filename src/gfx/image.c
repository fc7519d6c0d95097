/* SPDX-License-Identifier: MIT */
/* image: decoding with limits checked first, encoding, resizing. See include/easel/image.h.
 *
 * Decoding trusts nothing: the size of the file and the dimensions in its header are checked
 * against the limits before a single pixel buffer is allocated, so a 100-byte PNG that claims
 * to be 100000 x 100000 costs a few microseconds, not 40 GB. What the decoders then allocate
 * is held to what a valid file of those dimensions needs, so a 500 kB PNG whose zlib stream
 * inflates to 512 MB is refused after about 30 MB (tests/unit/test_image_limits.c).
 *
 * Encoding is on the offline mock server's hot path (a streamed 1024x1024 generation encodes
 * four frames), so each encoder is set up for speed over the last percent of file size. */
#include "easel/image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>
#include <spng.h>
#include <stb_image_resize.h>
#include <webp/decode.h>
#include <webp/encode.h>
#include <zlib.h>

#include "decode_budget.h"
#include "gfx_internal.h"

/* Edge 8192: twice the longest edge the API returns (3840), and longer than the long side of
 * the camera photos people hand in as edit sources (a 45 MP sensor is 8192 x 5464).
 * Pixels 40e6: about five times the largest API image (8.3 MP) and above the 24-36 MP of
 * common cameras; decoded as RGBA that caps one image at 160 MB, the most we are willing to
 * spend on a picture a server or a file chose for us.
 * Bytes 50 MiB: the API's own cap on an uploaded file, so no larger file can be a valid
 * input, and no output we asked for comes near it. */
const ea_image_limits ea_image_default_limits = {
    .max_edge = 8192,
    .max_pixels = 40000000L,
    .max_bytes = 50u * 1024 * 1024,
    .max_decode_bytes = 0,
};

enum { RGBA = 4, RGB = 3 };

static int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- allocation ------------------------------------------------------------------------ */

int ea_image_alloc(ea_image *img, int w, int h)
{
    img->w = img->h = 0;
    img->rgba = NULL;
    /* Strides are ints in every library below us, so 4 * w must fit one. */
    if (w <= 0 || h <= 0 || w > INT_MAX / RGBA || (size_t)h > SIZE_MAX / RGBA / (size_t)w)
        return -1;
    img->rgba = ea_gfx_pixels_calloc((size_t)w * (size_t)h * RGBA);
    if (!img->rgba)
        return -1;
    img->w = w;
    img->h = h;
    return 0;
}

void ea_image_free(ea_image *img)
{
    if (!img)
        return;
    free(img->rgba);
    img->rgba = NULL;
    img->w = img->h = 0;
}

/* ---- sniffing and probing -------------------------------------------------------------- */

static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

const char *ea_image_sniff(const void *bytes, size_t n)
{
    const unsigned char *b = bytes;
    if (n >= sizeof png_signature && memcmp(b, png_signature, sizeof png_signature) == 0)
        return "png";
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return "jpeg";
    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return "webp";
    return NULL;
}

static uint32_t read_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* PNG dimensions straight from IHDR, which the format fixes at byte 8 of every file, before
 * any decoder is set up: a refusal says which size was asked for. */
static int probe_png(const unsigned char *b, size_t n, int *w, int *h)
{
    if (n < 24 || memcmp(b + 12, "IHDR", 4) != 0)
        return -1;
    uint32_t pw = read_be32(b + 16), ph = read_be32(b + 20);
    if (pw == 0 || ph == 0 || pw > INT_MAX || ph > INT_MAX)
        return -1;
    *w = (int)pw;
    *h = (int)ph;
    return 0;
}

/* JPEG headers and pixels through libjpeg(-turbo), not stb_image: the stb_image Debian ships
 * (2.27) overflows a Huffman table on a DHT segment of more than 256 codes and asserts on
 * others (fuzz_image found both), while libjpeg-turbo is fuzzed continuously upstream. Errors
 * arrive as a longjmp, as in the encoders below. */
struct jpeg_reader {
    struct jpeg_error_mgr errors; /* first, so a j_common_ptr's err can be cast back */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    struct jpeg_progress_mgr progress;
};

static void jpeg_reader_on_error(j_common_ptr cinfo)
{
    struct jpeg_reader *r = (struct jpeg_reader *)cinfo->err;
    cinfo->err->format_message(cinfo, r->msg);
    longjmp(r->jump, 1);
}

/* Warnings (a corrupt but decodable stream) are let through, as every viewer shows such a
 * picture; except data that ends early, which libjpeg pads with grey: a file cut off in
 * transit (EOF), or one whose header claims far more than it holds (a marker where data
 * should be: 8000x5000 in 300 bytes), refused like a truncated PNG or WebP. */
static void jpeg_reader_on_message(j_common_ptr cinfo, int level)
{
    if (level < 0 &&
        (cinfo->err->msg_code == JWRN_JPEG_EOF || cinfo->err->msg_code == JWRN_HIT_MARKER))
        cinfo->err->error_exit(cinfo);
}

/* A progressive file can hold thousands of scans, each of which walks the whole image: a
 * 20 kB file would keep a core busy for minutes. Real encoders write about ten; libjpeg-turbo's
 * own tools and fuzzers stop at 500 too. */
#define JPEG_MAX_SCANS 500

static void jpeg_reader_on_progress(j_common_ptr cinfo)
{
    if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->input_scan_number > JPEG_MAX_SCANS) {
        struct jpeg_reader *r = (struct jpeg_reader *)cinfo->err;
        snprintf(r->msg, sizeof r->msg, "more than %d scans", JPEG_MAX_SCANS);
        longjmp(r->jump, 1);
    }
}

static void jpeg_reader_init(struct jpeg_decompress_struct *cinfo, struct jpeg_reader *r)
{
    cinfo->err = jpeg_std_error(&r->errors);
    r->errors.error_exit = jpeg_reader_on_error;
    r->errors.emit_message = jpeg_reader_on_message;
    r->msg[0] = '\0';
    r->progress.progress_monitor = jpeg_reader_on_progress;
}

static int probe_jpeg(const unsigned char *b, size_t n, int *w, int *h)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_reader r;
    jpeg_reader_init(&cinfo, &r);
    if (setjmp(r.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, b, (unsigned long)n);
    jpeg_read_header(&cinfo, TRUE);
    int rc = cinfo.image_width > 0 && cinfo.image_height > 0 && cinfo.image_width <= INT_MAX &&
                     cinfo.image_height <= INT_MAX ? 0 : -1;
    *w = (int)cinfo.image_width;
    *h = (int)cinfo.image_height;
    jpeg_destroy_decompress(&cinfo);
    return rc;
}

int ea_image_probe(const void *bytes, size_t n, const char **format, int *w, int *h, ea_err *err)
{
    const char *fmt = ea_image_sniff(bytes, n);
    if (!fmt)
        return ea_err_set(err, EA_EXIT_USAGE, "not a PNG, JPEG or WebP image");
    int pw = 0, ph = 0, ok;
    if (strcmp(fmt, "png") == 0) {
        ok = probe_png(bytes, n, &pw, &ph) == 0;
    } else if (strcmp(fmt, "webp") == 0) {
        ok = WebPGetInfo(bytes, n, &pw, &ph) != 0;
    } else {
        ok = probe_jpeg(bytes, n, &pw, &ph) == 0;
    }
    if (!ok)
        return ea_err_set(err, EA_EXIT_USAGE, "damaged %s header", fmt);
    if (format)
        *format = fmt;
    if (w)
        *w = pw;
    if (h)
        *h = ph;
    return 0;
}

/* ---- decoding -------------------------------------------------------------------------- */

static int check_dimensions(int w, int h, const ea_image_limits *lim, ea_err *err)
{
    if (w > lim->max_edge || h > lim->max_edge)
        return ea_err_set(err, EA_EXIT_USAGE, "image is %dx%d, an edge longer than the %d limit",
                          w, h, lim->max_edge);
    if ((long long)w * h > lim->max_pixels)
        return ea_err_set(err, EA_EXIT_USAGE, "image is %dx%d, more than the %ld-pixel limit",
                          w, h, lim->max_pixels);
    return 0;
}

/* What decoding a valid PNG or JPEG of w x h takes, at most: JPEG pads each side to its
 * 16-pixel blocks and a progressive file keeps every coefficient (about 12 bytes a pixel, with
 * the pixels); libspng needs the pixels, a few rows and the chunks it keeps. Plus the file's
 * bytes. decode_png holds libspng to it (decode_budget.h); libjpeg gets the same figure as its
 * max_memory_to_use. */
static size_t decode_budget_for(size_t n, int w, int h, const ea_image_limits *lim)
{
    size_t budget = 2 * n + ((size_t)1 << 20) + 32 * ((size_t)w + 16) * ((size_t)h + 16);
    if (lim->max_decode_bytes && lim->max_decode_bytes < budget)
        budget = lim->max_decode_bytes;
    return budget;
}

/* Decoded rows handed to the downscale on another core, in chunks, through a small ring: the
 * decoder (inflating, unfiltering, the IDCT) and the area average run side by side. Either
 * side does the averaging: the decoder does it itself when the ring is full and nobody else
 * is at it, so the pipe finishes whether or not a worker ever takes the consuming job. The
 * chunks are averaged in order, one at a time, so the output is the serial one exactly.
 * Measured with perf on 1024x1024 PNG and JPEG drawn within 640x640: the averaging (11% of
 * the process on one core) now overlaps the decoding. */
enum { PIPE_CHUNK_ROWS = 32, PIPE_SLOTS = 4 };

typedef struct row_pipe {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    unsigned char *ring; /* PIPE_SLOTS chunks of PIPE_CHUNK_ROWS source rows */
    size_t row_bytes;
    int src_h;
    int produced, consumed; /* chunks */
    bool consuming, closed, abandoned;
    ea_gfx_area *area;
    ea_gfx_job job;
} row_pipe;

static unsigned char *pipe_chunk(row_pipe *p, int k)
{
    return p->ring + (size_t)(k % PIPE_SLOTS) * PIPE_CHUNK_ROWS * p->row_bytes;
}

/* Averages the oldest decoded chunk; called and returns with the lock held. */
static void pipe_consume_one(row_pipe *p)
{
    p->consuming = true;
    int k = p->consumed;
    pthread_mutex_unlock(&p->lock);
    int y0 = k * PIPE_CHUNK_ROWS;
    const unsigned char *rows = pipe_chunk(p, k);
    for (int r = 0; r < PIPE_CHUNK_ROWS && y0 + r < p->src_h; r++)
        ea_gfx_area_row(p->area, y0 + r, rows + (size_t)r * p->row_bytes);
    pthread_mutex_lock(&p->lock);
    p->consumed++;
    p->consuming = false;
    pthread_cond_broadcast(&p->changed);
}

/* The consuming job, on a pool worker (or in ea_gfx_finish, with nothing left to do). */
static void pipe_consumer(void *ctx, int i)
{
    (void)i;
    row_pipe *p = ctx;
    pthread_mutex_lock(&p->lock);
    while (!p->abandoned) {
        if (!p->consuming && p->consumed < p->produced)
            pipe_consume_one(p);
        else if (p->closed && p->consumed == p->produced)
            break;
        else
            pthread_cond_wait(&p->changed, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
}

static row_pipe *pipe_new(ea_gfx_area *area, int src_w, int src_h)
{
    row_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->row_bytes = (size_t)src_w * RGBA;
    p->ring = malloc(PIPE_SLOTS * PIPE_CHUNK_ROWS * p->row_bytes);
    if (!p->ring) {
        free(p);
        return NULL;
    }
    p->src_h = src_h;
    p->area = area;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    ea_gfx_start(&p->job, 1, pipe_consumer, p);
    return p;
}

/* Where source row y goes: the first row of a chunk waits for a free slot (or averages the
 * oldest chunk itself). */
static unsigned char *pipe_dest(row_pipe *p, int y)
{
    int k = y / PIPE_CHUNK_ROWS;
    if (y % PIPE_CHUNK_ROWS == 0) {
        pthread_mutex_lock(&p->lock);
        while (k - p->consumed >= PIPE_SLOTS) {
            if (!p->consuming)
                pipe_consume_one(p);
            else
                pthread_cond_wait(&p->changed, &p->lock);
        }
        pthread_mutex_unlock(&p->lock);
    }
    return pipe_chunk(p, k) + (size_t)(y % PIPE_CHUNK_ROWS) * p->row_bytes;
}

static void pipe_done(row_pipe *p, int y)
{
    if (y % PIPE_CHUNK_ROWS == PIPE_CHUNK_ROWS - 1 || y == p->src_h - 1) {
        pthread_mutex_lock(&p->lock);
        p->produced++;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
    }
}

/* Ends the pipe: on success every decoded chunk is averaged first. */
static void pipe_free(row_pipe *p, bool failed)
{
    pthread_mutex_lock(&p->lock);
    p->closed = true;
    p->abandoned = failed;
    pthread_cond_broadcast(&p->changed);
    while (!failed && (p->consuming || p->consumed < p->produced)) {
        if (!p->consuming)
            pipe_consume_one(p);
        else
            pthread_cond_wait(&p->changed, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    ea_gfx_finish(&p->job);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
    free(p->ring);
    free(p);
}

/* Where a decoder's rows go: into the picture at its own size, or averaged into a smaller one
 * as they come (ea_gfx_area, through a pipe to another core when there is one), so that the
 * full-size picture is never held. */
typedef struct row_sink {
    ea_image *out;
    ea_gfx_area *area;  /* NULL: rows are the output's */
    row_pipe *pipe;     /* the rows go to the area on another core */
    unsigned char *row; /* one source row, when averaging on this thread */
    int src_w;
} row_sink;

/* out is allocated at w x h; src_w x src_h the rows that will come. */
static int row_sink_init(row_sink *k, int src_w, int src_h, int w, int h, ea_image *out)
{
    *k = (row_sink){.out = out, .src_w = src_w};
    if (ea_image_alloc(out, w, h) != 0)
        return -1;
    if (w == src_w && h == src_h)
        return 0;
    k->area = ea_gfx_area_new(src_w, src_h, out);
    if (k->area && ea_gfx_pool_threads() > 1 && src_h > PIPE_CHUNK_ROWS)
        k->pipe = pipe_new(k->area, src_w, src_h);
    if (!k->pipe)
        k->row = malloc((size_t)src_w * RGBA);
    if (!k->area || (!k->pipe && !k->row)) {
        ea_gfx_area_free(&k->area);
        free(k->row);
        ea_image_free(out);
        return -1;
    }
    return 0;
}

/* Where source row y is to be written. */
static unsigned char *row_sink_dest(row_sink *k, int y)
{
    if (k->pipe)
        return pipe_dest(k->pipe, y);
    return k->area ? k->row : k->out->rgba + (size_t)y * (size_t)k->src_w * RGBA;
}

/* Source row y has been written where row_sink_dest said. */
static void row_sink_done(row_sink *k, int y)
{
    if (k->pipe)
        pipe_done(k->pipe, y);
    else if (k->area)
        ea_gfx_area_row(k->area, y, k->row);
}

/* Frees the scaffolding; the output stays unless failed. */
static void row_sink_end(row_sink *k, bool failed)
{
    if (k->pipe)
        pipe_free(k->pipe, failed);
    k->pipe = NULL;
    ea_gfx_area_free(&k->area);
    free(k->row);
    k->row = NULL;
    if (failed)
        ea_image_free(k->out);
}

/* PNG through libspng rather than stb_image: it decodes row by row straight into our buffer
 * (stb inflated the whole stream into one growing buffer, then unfiltered into a second and
 * converted into a third), turns 16-bit samples into 8 as it goes, and checks CRCs and the
 * zlib checksum. Its allocations go through the decode budget; the pixels we decode into are
 * charged to it too, so a caller's small budget means what it says.
 * Measured on a 1024x1024 RGBA PNG drawn as sixel within 640x640 (perf stat, 2 cores, loaded):
 * the decode fell from about 20% of the process to 11%, and the page faults from 5,990 to
 * 2,500 with the row-by-row downscale (ea_image_decode_scaled). */
static int decode_png(const unsigned char *b, size_t n, int w, int h, int tw, int th,
                      const ea_image_limits *lim, ea_image *out, ea_err *err)
{
    size_t budget = decode_budget_for(n, w, h, lim);
    struct spng_alloc alloc = {ea_decode_budget_malloc, ea_decode_budget_realloc,
                               ea_decode_budget_calloc, ea_decode_budget_free};
    ea_decode_budget_begin(budget);
    spng_ctx *ctx = spng_ctx_new2(&alloc, 0);
    struct spng_ihdr ihdr;
    row_sink sink = {0};
    ea_image full = {0};
    bool interlaced = false, have_sink = false;
    int rc = SPNG_EMEM;
    const char *failure = NULL;
    if (!ctx)
        goto done;
    /* Ancillary chunks (text, ICC profiles) are kept to the same budget. */
    if ((rc = spng_set_png_buffer(ctx, b, n)) != 0 ||
        (rc = spng_set_image_limits(ctx, (uint32_t)lim->max_edge, (uint32_t)lim->max_edge)) != 0 ||
        (rc = spng_set_chunk_limits(ctx, budget, budget)) != 0 || (rc = spng_get_ihdr(ctx, &ihdr)) != 0)
        goto done;
    if (ihdr.width != (uint32_t)w || ihdr.height != (uint32_t)h) {
        failure = "header changed between reads";
        goto done;
    }
    interlaced = ihdr.interlace_method != 0;
    /* Rows straight into the picture, or through the downscale; an interlaced file sends its
     * rows in seven passes, so it is decoded whole first and averaged after. */
    if (!ea_decode_budget_charge((size_t)tw * (size_t)th * RGBA)) {
        rc = SPNG_EMEM;
        goto done;
    }
    rc = SPNG_EMEM;
    if (interlaced) {
        if (!ea_decode_budget_charge((size_t)w * (size_t)h * RGBA) ||
            row_sink_init(&sink, w, h, w, h, &full) != 0)
            goto done;
    } else if (row_sink_init(&sink, w, h, tw, th, out) != 0) {
        goto done;
    }
    have_sink = true;
    if ((rc = spng_decode_image(ctx, NULL, 0, SPNG_FMT_RGBA8,
                                SPNG_DECODE_TRNS | SPNG_DECODE_PROGRESSIVE)) != 0)
        goto done;
    for (;;) {
        struct spng_row_info info;
        if ((rc = spng_get_row_info(ctx, &info)) != 0)
            break;
        int y = (int)info.row_num;
        rc = spng_decode_row(ctx, row_sink_dest(&sink, y), (size_t)w * RGBA);
        if (rc != 0 && rc != SPNG_EOI)
            break;
        if (!interlaced)
            row_sink_done(&sink, y);
        if (rc == SPNG_EOI) {
            /* The chunks after the pixels, up to IEND: a file cut short is refused, as a
             * download cut off in transit should be. */
            rc = spng_decode_chunks(ctx);
            break;
        }
    }
done:;
    bool refused = ea_decode_budget_end();
    spng_ctx_free(ctx);
    bool failed = refused || failure || rc != 0;
    if (have_sink)
        row_sink_end(&sink, failed && !interlaced);
    if (!failed && interlaced) {
        if (tw == w && th == h) {
            *out = full;
            full = (ea_image){0};
        } else if (ea_gfx_downscale_area(&full, tw, th, out, err) != 0) {
            ea_image_free(&full);
            return -1;
        }
    }
    ea_image_free(&full);
    if (refused)
        return ea_err_set(err, EA_EXIT_USAGE,
                          "png image refused: decoding it needs more than %zu bytes, more than "
                          "a valid %dx%d file would", budget, w, h);
    if (failure || rc != 0)
        return ea_err_set(err, rc == SPNG_EMEM ? EA_EXIT_INTERNAL : EA_EXIT_USAGE,
                          "damaged png image: %s", failure ? failure : spng_strerror(rc));
    return 0;
}

/* WebP at the target size through libwebp's own scaler, which averages the area each output
 * pixel covers (as ea_gfx_downscale_area does) while it converts from YUV: a 1024x1024 file
 * for a 640x640 box costs the conversion of 410 thousand pixels, not a million, and no
 * full-size buffer. */
static int decode_with_libwebp(const unsigned char *b, size_t n, int w, int h, int tw, int th,
                               ea_image *out, ea_err *err)
{
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config))
        return ea_err_set(err, EA_EXIT_INTERNAL, "webp decoder: library version mismatch");
    /* Decoding into our own buffer keeps one owner and one free() for every ea_image. */
    if (ea_image_alloc(out, tw, th) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory for a %dx%d image", tw, th);
    if (tw != w || th != h) {
        config.options.use_scaling = 1;
        config.options.scaled_width = tw;
        config.options.scaled_height = th;
    }
    config.output.colorspace = MODE_RGBA;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = out->rgba;
    config.output.u.RGBA.stride = tw * RGBA;
    config.output.u.RGBA.size = (size_t)tw * (size_t)th * RGBA;
    VP8StatusCode status = WebPDecode(b, n, &config);
    WebPFreeDecBuffer(&config.output);
    if (status != VP8_STATUS_OK) {
        ea_image_free(out);
        return ea_err_set(err, EA_EXIT_USAGE, "damaged or truncated webp image");
    }
    return 0;
}

/* The smallest of libjpeg-turbo's scales (M/8, its scaled IDCT) whose picture still covers
 * tw x th, so the area average after it has whole source pixels to work with: 1024 into 640
 * decodes at 5/8, exactly 640, with 39% of the IDCT work, colour conversion and memory. */
static void jpeg_pick_scale(struct jpeg_decompress_struct *cinfo, int tw, int th)
{
    for (unsigned m = 1; m <= 8; m++) {
        cinfo->scale_num = m;
        cinfo->scale_denom = 8;
        jpeg_calc_output_dimensions(cinfo);
        if (cinfo->output_width >= (JDIMENSION)tw && cinfo->output_height >= (JDIMENSION)th)
            return;
    }
}

static int decode_with_libjpeg(const unsigned char *b, size_t n, int w, int h, int tw, int th,
                               const ea_image_limits *lim, ea_image *out, ea_err *err)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_reader r;
    row_sink sink = {0};
    volatile bool have_sink = false; /* set between setjmp and a longjmp */
    jpeg_reader_init(&cinfo, &r);
    if (setjmp(r.jump)) {
        jpeg_destroy_decompress(&cinfo);
        if (have_sink)
            row_sink_end(&sink, true);
        return ea_err_set(err, EA_EXIT_USAGE, "damaged jpeg image: %s", r.msg);
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &r.progress;
    /* libjpeg's own allocations (the coefficients of a progressive file are the large ones)
     * stay within the budget a valid file of these dimensions needs. */
    size_t budget = decode_budget_for(n, w, h, lim);
    cinfo.mem->max_memory_to_use = budget > LONG_MAX ? LONG_MAX : (long)budget;
    jpeg_mem_src(&cinfo, b, (unsigned long)n);
    jpeg_read_header(&cinfo, TRUE);
    if ((long long)cinfo.image_width != w || (long long)cinfo.image_height != h) {
        snprintf(r.msg, sizeof r.msg, "header says %dx%d, then %ux%u", w, h,
                 cinfo.image_width, cinfo.image_height);
        longjmp(r.jump, 1);
    }
    /* CMYK (Adobe's, stored inverted) is turned into RGB here; everything else libjpeg-turbo
     * converts to RGBA itself. */
    bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGBA;
    if (tw != w || th != h)
        jpeg_pick_scale(&cinfo, tw, th);
    jpeg_start_decompress(&cinfo);
    int sw = (int)cinfo.output_width, sh = (int)cinfo.output_height;
    if (sw < tw || sh < th || sw > w || sh > h || cinfo.output_components != 4) {
        snprintf(r.msg, sizeof r.msg, "unexpected output layout");
        longjmp(r.jump, 1);
    }
    if (row_sink_init(&sink, sw, sh, tw, th, out) != 0) {
        snprintf(r.msg, sizeof r.msg, "out of memory for a %dx%d image", tw, th);
        longjmp(r.jump, 1);
    }
    have_sink = true;
    while (cinfo.output_scanline < cinfo.output_height) {
        int y = (int)cinfo.output_scanline;
        JSAMPROW dest = row_sink_dest(&sink, y);
        jpeg_read_scanlines(&cinfo, &dest, 1);
        if (cmyk) {
            for (int x = 0; x < sw; x++) {
                unsigned char *p = dest + (size_t)x * RGBA;
                unsigned k = p[3];
                p[0] = (unsigned char)(p[0] * k / 255);
                p[1] = (unsigned char)(p[1] * k / 255);
                p[2] = (unsigned char)(p[2] * k / 255);
                p[3] = 255;
            }
        }
        row_sink_done(&sink, y);
    }
    /* Reads up to the end-of-image marker, so that a file cut anywhere is refused. */
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    row_sink_end(&sink, false);
    return 0;
}

/* Decodes at w x h, or at the file's size when w is 0, after the checks every decode makes
 * before a pixel is decoded: the file's size, its format and the header's dimensions against
 * the limits. */
static int decode_at(const void *bytes, size_t n, const ea_image_limits *lim, int w, int h,
                     ea_image *out, ea_err *err)
{
    out->w = out->h = 0;
    out->rgba = NULL;
    if (!lim)
        lim = &ea_image_default_limits;
    if (n > lim->max_bytes)
        return ea_err_set(err, EA_EXIT_USAGE, "image file is %zu bytes, more than the %zu limit",
                          n, lim->max_bytes);
    const char *fmt = NULL;
    int iw = 0, ih = 0;
    if (ea_image_probe(bytes, n, &fmt, &iw, &ih, err) != 0 || check_dimensions(iw, ih, lim, err) != 0)
        return -1;
    if (w == 0) {
        w = iw;
        h = ih;
    } else if (w < 0 || h <= 0 || w > iw || h > ih) {
        return ea_err_set(err, EA_EXIT_INTERNAL, "cannot decode a %dx%d image at %dx%d", iw, ih,
                          w, h);
    }
    if (strcmp(fmt, "webp") == 0)
        return decode_with_libwebp(bytes, n, iw, ih, w, h, out, err);
    if (strcmp(fmt, "jpeg") == 0)
        return decode_with_libjpeg(bytes, n, iw, ih, w, h, lim, out, err);
    return decode_png(bytes, n, iw, ih, w, h, lim, out, err);
}

int ea_image_decode(const void *bytes, size_t n, const ea_image_limits *lim, ea_image *out,
                    ea_err *err)
{
    return decode_at(bytes, n, lim, 0, 0, out, err);
}

int ea_image_decode_scaled(const void *bytes, size_t n, const ea_image_limits *lim, int w,
                           int h, ea_image *out, ea_err *err)
{
    if (w <= 0) /* 0 means the file's size to decode_at; here it is nonsense */
        w = -1;
    return decode_at(bytes, n, lim, w, h, out, err);
}

int ea_image_read_file(const char *path, const ea_image_limits *lim, unsigned char **bytes_out,
                       size_t *n_out, ea_err *err)
{
    *bytes_out = NULL;
    *n_out = 0;
    /* O_NONBLOCK: a FIFO in place of a picture is refused below, not waited on. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return ea_err_set(err, EA_EXIT_USAGE, "%s: %s", path, strerror(errno));
    int rc = ea_image_read_fd(fd, path, lim, bytes_out, n_out, err);
    close(fd);
    return rc;
}

int ea_image_read_fd(int fd, const char *path, const ea_image_limits *lim,
                     unsigned char **bytes_out, size_t *n_out, ea_err *err)
{
    *bytes_out = NULL;
    *n_out = 0;
    if (!lim)
        lim = &ea_image_default_limits;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return ea_err_set(err, EA_EXIT_USAGE, "%s: not a regular file", path);
    /* The size limit is checked here too, so that an oversized file is never read at all. */
    if ((unsigned long long)st.st_size > lim->max_bytes)
        return ea_err_set(err, EA_EXIT_USAGE, "%s: %lld bytes, more than the %zu limit", path,
                          (long long)st.st_size, lim->max_bytes);
    size_t size = (size_t)st.st_size;
    unsigned char *bytes = malloc(size ? size : 1);
    if (!bytes)
        return ea_err_set(err, EA_EXIT_INTERNAL, "%s: out of memory", path);
    size_t got = 0;
    errno = 0;
    while (got < size) {
        ssize_t r = read(fd, bytes + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) /* an error, or the file shrank under us */
            break;
        got += (size_t)r;
    }
    int read_errno = errno;
    if (got < size) {
        free(bytes);
        return ea_err_set(err, EA_EXIT_USAGE, "%s: short read: %s", path,
                          read_errno ? strerror(read_errno) : "file changed while reading");
    }
    *bytes_out = bytes;
    *n_out = size;
    return 0;
}

/* Names the file in a decode's error: the caller may be loading several. */
static int name_the_file(int rc, const char *path, ea_err *err)
{
    if (rc != 0 && err) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        ea_err_set(err, err->code, "%s: %s", path, msg);
    }
    return rc;
}

int ea_image_decode_fit(const void *bytes, size_t n, const ea_image_limits *lim, int box_w,
                        int box_h, ea_image *out, ea_err *err)
{
    out->w = out->h = 0;
    out->rgba = NULL;
    int iw, ih, w, h;
    if (ea_image_probe(bytes, n, NULL, &iw, &ih, err) != 0)
        return -1;
    if (ea_gfx_fit_px(iw, ih, box_w, box_h, &w, &h) != 0 || (w >= iw && h >= ih))
        return ea_image_decode(bytes, n, lim, out, err); /* already small: kept as it is */
    return ea_image_decode_scaled(bytes, n, lim, w, h, out, err);
}

/* A file read and decoded fitted into box_w x box_h, or whole when box_w is 0. */
static int load_file(const char *path, const ea_image_limits *lim, int box_w, int box_h,
                     ea_image *out, ea_err *err)
{
    out->w = out->h = 0;
    out->rgba = NULL;
    unsigned char *bytes;
    size_t size;
    if (ea_image_read_file(path, lim, &bytes, &size, err) != 0)
        return -1;
    int rc = box_w ? ea_image_decode_fit(bytes, size, lim, box_w, box_h, out, err)
                   : ea_image_decode(bytes, size, lim, out, err);
    free(bytes);
    return name_the_file(rc, path, err);
}

int ea_image_load_file(const char *path, const ea_image_limits *lim, ea_image *out, ea_err *err)
{
    return load_file(path, lim, 0, 0, out, err);
}

int ea_image_load_file_fit(const char *path, const ea_image_limits *lim, int box_w, int box_h,
                           ea_image *out, ea_err *err)
{
    /* 0 means "whole" to load_file; -1 is any nonsense box, which ea_image_decode_fit too
     * answers with the whole picture. */
    return load_file(path, lim, box_w ? box_w : -1, box_h, out, err);
}

/* ---- encoding -------------------------------------------------------------------------- */

/* A row of RGBA flattened onto black, as RGB: what the image looks like without its alpha.
 * Opaque pixels, by far the most common, are copied without the three divisions. */
static void flatten_row(const unsigned char *rgba, int w, unsigned char *rgb)
{
    for (int x = 0; x < w; x++, rgba += RGBA, rgb += RGB) {
        unsigned a = rgba[3];
        if (a == 255) {
            rgb[0] = rgba[0];
            rgb[1] = rgba[1];
            rgb[2] = rgba[2];
        } else {
            rgb[0] = (unsigned char)((rgba[0] * a + 127) / 255);
            rgb[1] = (unsigned char)((rgba[1] * a + 127) / 255);
            rgb[2] = (unsigned char)((rgba[2] * a + 127) / 255);
        }
    }
}

static const unsigned char *image_row(const ea_image *img, int y)
{
    return img->rgba + (size_t)y * (size_t)img->w * RGBA;
}

/* PNG through libpng. Errors arrive as a longjmp from inside libpng: the handler keeps the
 * message (libpng's default would print it to stderr, under the TUI) and jumps back. */
struct png_job {
    ea_buf *out;
    char msg[200];
};

static void png_on_error(png_structp png, png_const_charp msg)
{
    struct png_job *job = png_get_error_ptr(png);
    snprintf(job->msg, sizeof job->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_write_to_buf(png_structp png, png_bytep data, size_t n)
{
    struct png_job *job = png_get_io_ptr(png);
    if (ea_buf_append(job->out, data, n) != 0)
        png_error(png, "output buffer full");
}

static void png_flush_nothing(png_structp png)
{
    (void)png;
}

static int encode_png_level(const ea_image *img, int level, bool keep_alpha, ea_buf *out,
                            ea_err *err)
{
    struct png_job job = {.out = out, .msg = ""};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &job, png_on_error,
                                              png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return ea_err_set(err, EA_EXIT_INTERNAL, "png encoder: out of memory");
    }
    unsigned char *volatile rgb_row = NULL; /* volatile: assigned after setjmp */
    if (setjmp(png_jmpbuf(png))) {
        free(rgb_row);
        png_destroy_write_struct(&png, &info);
        return ea_err_set(err, EA_EXIT_INTERNAL, "png encoder: %s", job.msg);
    }
    png_set_write_fn(png, &job, png_write_to_buf, png_flush_nothing);
    png_set_IHDR(png, info, (png_uint_32)img->w, (png_uint_32)img->h, 8,
                 keep_alpha ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /* Speed first; tests/bench/bench_image.c measured the choices on mock frames. zlib's
     * fastest level (encode_png asks for it; the mock may ask for 0). One fixed filter, since libpng's adaptive choice tries all five on each
     * row (3x slower). NONE, because at level 1 a filter costs more time than it saves in
     * deflate: on flat colours, pixel blocks and gradients NONE was the fastest (29 ms for
     * four 1024x1024 frames against 33 for UP and 38 for SUB) and even the smallest on the
     * final frame. The default strategy: Z_RLE was slower or larger with every filter. */
    png_set_compression_level(png, level);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_compression_buffer_size(png, 1u << 16);
    png_write_info(png, info);
    if (!keep_alpha) {
        rgb_row = malloc((size_t)img->w * RGB);
        if (!rgb_row)
            png_error(png, "out of memory");
    }
    for (int y = 0; y < img->h; y++) {
        if (keep_alpha) {
            png_write_row(png, image_row(img, y));
        } else {
            flatten_row(image_row(img, y), img->w, rgb_row);
            png_write_row(png, rgb_row);
        }
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rgb_row);
    return 0;
}

static int encode_png(const ea_image *img, int quality, bool keep_alpha, ea_buf *out,
                      ea_err *err)
{
    (void)quality; /* lossless: the API ignores output_compression for PNG too */
    return encode_png_level(img, Z_BEST_SPEED, keep_alpha, out, err);
}

/* JPEG through libjpeg(-turbo), with the same longjmp arrangement as PNG. */
struct jpeg_job {
    struct jpeg_error_mgr errors; /* first, so a j_common_ptr's err can be cast back */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    struct jpeg_destination_mgr dest;
    ea_buf *out;
    JOCTET chunk[1 << 15];
};

static void jpeg_on_error(j_common_ptr cinfo)
{
    struct jpeg_job *job = (struct jpeg_job *)cinfo->err;
    cinfo->err->format_message(cinfo, job->msg);
    longjmp(job->jump, 1);
}

static void jpeg_on_message(j_common_ptr cinfo)
{
    (void)cinfo; /* warnings: nothing a caller could act on, and stderr belongs to the TUI */
}

static struct jpeg_job *jpeg_job_of(j_compress_ptr cinfo)
{
    return (struct jpeg_job *)cinfo->err;
}

static void jpeg_dest_start(j_compress_ptr cinfo)
{
    struct jpeg_job *job = jpeg_job_of(cinfo);
    job->dest.next_output_byte = job->chunk;
    job->dest.free_in_buffer = sizeof job->chunk;
}

static boolean jpeg_dest_chunk_full(j_compress_ptr cinfo)
{
    struct jpeg_job *job = jpeg_job_of(cinfo);
    /* libjpeg's contract: the whole chunk is full, whatever free_in_buffer says. */
    if (ea_buf_append(job->out, job->chunk, sizeof job->chunk) != 0)
        ERREXIT(cinfo, JERR_FILE_WRITE);
    jpeg_dest_start(cinfo);
    return TRUE;
}

static void jpeg_dest_finish(j_compress_ptr cinfo)
{
    struct jpeg_job *job = jpeg_job_of(cinfo);
    size_t used = sizeof job->chunk - job->dest.free_in_buffer;
    if (ea_buf_append(job->out, job->chunk, used) != 0)
        ERREXIT(cinfo, JERR_FILE_WRITE);
}

/* output_compression is the API's 0-100 knob for both lossy formats, 100 by default. The
 * encoders' own top settings (96-100) make the file half as large again for nothing a person
 * can see, and their bottom ones (1-9) are unrecognisable, so 100 maps to 95, 0 to 10, and
 * linearly between; JPEG and WebP share the rule so the knob means the same in both. */
static int lossy_quality_for(int compression)
{
    return 10 + clamp_int(compression, 0, 100) * 85 / 100;
}

static int encode_jpeg(const ea_image *img, int quality, bool keep_alpha, ea_buf *out,
                       ea_err *err)
{
    (void)keep_alpha; /* JPEG has no alpha: always flattened onto black */
    /* The job holds a 32 KB output chunk: on the heap, not on a worker thread's stack. */
    struct jpeg_job *job = calloc(1, sizeof *job);
    unsigned char *rgb_row = malloc((size_t)img->w * RGB);
    if (!job || !rgb_row) {
        free(job);
        free(rgb_row);
        return ea_err_set(err, EA_EXIT_INTERNAL, "jpeg encoder: out of memory");
    }
    struct jpeg_compress_struct cinfo = {0};
    cinfo.err = jpeg_std_error(&job->errors);
    job->errors.error_exit = jpeg_on_error;
    job->errors.output_message = jpeg_on_message;
    job->out = out;
    if (setjmp(job->jump)) {
        jpeg_destroy_compress(&cinfo);
        int rc = ea_err_set(err, EA_EXIT_INTERNAL, "jpeg encoder: %s", job->msg);
        free(job);
        free(rgb_row);
        return rc;
    }
    jpeg_create_compress(&cinfo);
    job->dest.init_destination = jpeg_dest_start;
    job->dest.empty_output_buffer = jpeg_dest_chunk_full;
    job->dest.term_destination = jpeg_dest_finish;
    cinfo.dest = &job->dest;
    cinfo.image_width = (JDIMENSION)img->w;
    cinfo.image_height = (JDIMENSION)img->h;
    cinfo.input_components = RGB;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    int q = lossy_quality_for(quality);
    jpeg_set_quality(&cinfo, q, TRUE);
    if (q >= 90) {
        /* At high quality keep full-resolution colour (4:4:4): halved chroma is what smears
         * coloured text and thin edges, and the file grows only modestly. */
        cinfo.comp_info[0].h_samp_factor = 1;
        cinfo.comp_info[0].v_samp_factor = 1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        flatten_row(image_row(img, (int)cinfo.next_scanline), img->w, rgb_row);
        JSAMPROW row = rgb_row;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(job);
    free(rgb_row);
    return 0;
}

/* WebP through libwebp's advanced API, which exposes the speed knob the simple calls hide. */
static int encode_webp(const ea_image *img, int quality, bool keep_alpha, ea_buf *out,
                       ea_err *err)
{
    WebPConfig config;
    WebPPicture picture;
    if (!WebPConfigInit(&config) || !WebPPictureInit(&picture))
        return ea_err_set(err, EA_EXIT_INTERNAL, "webp encoder: library version mismatch");
    /* Method 0 of 0-6 (the fastest): at 1024x1024 it encodes in 32 ms against 41 for
     * method 1 and far more for the default 4, for files within one percent of method 1's. */
    config.quality = (float)lossy_quality_for(quality);
    config.method = 0;
    picture.width = img->w;
    picture.height = img->h;

    int imported;
    if (keep_alpha) {
        imported = WebPPictureImportRGBA(&picture, img->rgba, img->w * RGBA);
    } else {
        unsigned char *rgb = malloc((size_t)img->w * (size_t)img->h * RGB);
        if (!rgb)
            return ea_err_set(err, EA_EXIT_INTERNAL, "webp encoder: out of memory");
        for (int y = 0; y < img->h; y++)
            flatten_row(image_row(img, y), img->w, rgb + (size_t)y * (size_t)img->w * RGB);
        imported = WebPPictureImportRGB(&picture, rgb, img->w * RGB);
        free(rgb);
    }
    if (!imported) {
        WebPPictureFree(&picture);
        return ea_err_set(err, EA_EXIT_INTERNAL, "webp encoder: cannot import %dx%d pixels",
                          img->w, img->h);
    }

    WebPMemoryWriter writer;
    WebPMemoryWriterInit(&writer);
    picture.writer = WebPMemoryWrite;
    picture.custom_ptr = &writer;
    int encoded = WebPEncode(&config, &picture);
    int error_code = picture.error_code;
    WebPPictureFree(&picture);
    int rc = 0;
    if (!encoded)
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "webp encoder: error %d", error_code);
    else if (ea_buf_append(out, writer.mem, writer.size) != 0)
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "webp encoder: output buffer full");
    WebPMemoryWriterClear(&writer);
    return rc;
}

typedef int (*encode_fn)(const ea_image *img, int quality, bool keep_alpha, ea_buf *out,
                         ea_err *err);

static const struct {
    const char *name;
    encode_fn encode;
} encoders[] = {
    {"png", encode_png},
    {"jpeg", encode_jpeg},
    {"webp", encode_webp},
};

/* After a failed encode, leaves out as it was: no half-written file at its end. */
static int truncate_on_failure(int rc, ea_buf *out, size_t start)
{
    if (rc != 0) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}

int ea_image_encode(const ea_image *img, const char *format, int quality, bool keep_alpha,
                    ea_buf *out, ea_err *err)
{
    if (!img || !img->rgba || img->w <= 0 || img->h <= 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "encode: no image");
    for (size_t i = 0; i < sizeof encoders / sizeof encoders[0]; i++) {
        if (format && strcmp(format, encoders[i].name) == 0) {
            size_t start = out->len;
            return truncate_on_failure(encoders[i].encode(img, quality, keep_alpha, out, err),
                                       out, start);
        }
    }
    return ea_err_set(err, EA_EXIT_USAGE, "cannot encode '%s': use png, jpeg or webp",
                      format ? format : "(null)");
}

int ea_image_encode_png_level(const ea_image *img, int level, bool keep_alpha, ea_buf *out,
                              ea_err *err)
{
    if (!img || !img->rgba || img->w <= 0 || img->h <= 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "encode: no image");
    if (level < 0 || level > 9)
        return ea_err_set(err, EA_EXIT_USAGE, "png compression level %d: use 0 to 9", level);
    size_t start = out->len;
    return truncate_on_failure(encode_png_level(img, level, keep_alpha, out, err), out, start);
}

/* ---- resizing -------------------------------------------------------------------------- */

int ea_image_resize(const ea_image *src, int w, int h, ea_image *out, ea_err *err)
{
    if (!src || !src->rgba || src->w <= 0 || src->h <= 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "resize: no image");
    if (ea_image_alloc(out, w, h) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "resize: cannot allocate %dx%d", w, h);
    /* The sRGB variant filters in linear light (a plain average of sRGB values darkens edges
     * and fine detail) and weights colour by alpha, so transparent pixels do not bleed. */
    if (!stbir_resize_uint8_srgb(src->rgba, src->w, src->h, 0, out->rgba, w, h, 0, RGBA, 3, 0)) {
        ea_image_free(out);
        return ea_err_set(err, EA_EXIT_INTERNAL, "resize to %dx%d failed", w, h);
    }
    return 0;
}
