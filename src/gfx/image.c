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
#include <stdint.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>
#include <stb_image.h>
#include <stb_image_resize.h>
#include <webp/decode.h>
#include <webp/encode.h>
#include <zlib.h>

#include "stb_budget.h"

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
    /* calloc: large blocks come from fresh zero pages, so the zeroing is nearly free and no
     * caller can ever read uninitialised pixels. */
    img->rgba = calloc((size_t)w * (size_t)h, RGBA);
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

/* PNG dimensions straight from IHDR, which the format fixes at byte 8 of every file. Not
 * stbi_info: it refuses any header above 1 GB of pixels with "too large" and no size, and a
 * refusal should say which size was asked for. */
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

/* What decoding a valid PNG or JPEG of w x h takes, at most: the worst case is a 16-bit
 * interlaced PNG (raw rows, the passes, the 16-bit RGBA and the 8-bit copy: about 30 bytes a
 * pixel); JPEG pads each side to its 16-pixel blocks. Plus the file's bytes, which the PNG
 * decoder gathers into one buffer that grows by doubling. stb_impl.c holds stb's PNG
 * decoder to it; libjpeg gets the same figure as its max_memory_to_use. */
static size_t decode_budget_for(size_t n, int w, int h, const ea_image_limits *lim)
{
    size_t budget = 2 * n + ((size_t)1 << 20) + 32 * ((size_t)w + 16) * ((size_t)h + 16);
    if (lim->max_decode_bytes && lim->max_decode_bytes < budget)
        budget = lim->max_decode_bytes;
    return budget;
}

static int decode_with_stb(const unsigned char *b, size_t n, const char *fmt, int w, int h,
                           const ea_image_limits *lim, ea_image *out, ea_err *err)
{
    int dw, dh, channels;
    /* stb_impl.c builds stb on malloc (through a byte budget), so these pixels are ours to
     * free. */
    size_t budget = decode_budget_for(n, w, h, lim);
    ea_stb_budget_begin(budget);
    unsigned char *pixels = stbi_load_from_memory(b, (int)n, &dw, &dh, &channels, RGBA);
    if (ea_stb_budget_end(NULL)) {
        free(pixels); /* NULL unless stb recovered from the refusal, which it never does */
        return ea_err_set(err, EA_EXIT_USAGE,
                          "%s image refused: decoding it needs more than %zu bytes, more than "
                          "a valid %dx%d file would", fmt, budget, w, h);
    }
    if (!pixels)
        return ea_err_set(err, EA_EXIT_USAGE, "damaged %s image: %s", fmt, stbi_failure_reason());
    if (dw != w || dh != h) {
        free(pixels);
        return ea_err_set(err, EA_EXIT_USAGE, "damaged %s image: header says %dx%d, data %dx%d",
                          fmt, w, h, dw, dh);
    }
    out->w = w;
    out->h = h;
    out->rgba = pixels;
    return 0;
}

static int decode_with_libwebp(const unsigned char *b, size_t n, int w, int h, ea_image *out,
                               ea_err *err)
{
    /* Decoding into our own buffer keeps one owner and one free() for every ea_image. */
    if (ea_image_alloc(out, w, h) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory for a %dx%d image", w, h);
    size_t size = (size_t)w * (size_t)h * RGBA;
    if (!WebPDecodeRGBAInto(b, n, out->rgba, size, w * RGBA)) {
        ea_image_free(out);
        return ea_err_set(err, EA_EXIT_USAGE, "damaged or truncated webp image");
    }
    return 0;
}

static int decode_with_libjpeg(const unsigned char *b, size_t n, int w, int h,
                               const ea_image_limits *lim, ea_image *out, ea_err *err)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_reader r;
    jpeg_reader_init(&cinfo, &r);
    if (setjmp(r.jump)) {
        jpeg_destroy_decompress(&cinfo);
        ea_image_free(out);
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
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != (JDIMENSION)w || cinfo.output_height != (JDIMENSION)h ||
        cinfo.output_components != 4) {
        snprintf(r.msg, sizeof r.msg, "unexpected output layout");
        longjmp(r.jump, 1);
    }
    if (ea_image_alloc(out, w, h) != 0) {
        snprintf(r.msg, sizeof r.msg, "out of memory for a %dx%d image", w, h);
        longjmp(r.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW dest = out->rgba + (size_t)cinfo.output_scanline * (size_t)w * RGBA;
        jpeg_read_scanlines(&cinfo, &dest, 1);
        if (cmyk) {
            for (int x = 0; x < w; x++) {
                unsigned char *p = dest + (size_t)x * RGBA;
                unsigned k = p[3];
                p[0] = (unsigned char)(p[0] * k / 255);
                p[1] = (unsigned char)(p[1] * k / 255);
                p[2] = (unsigned char)(p[2] * k / 255);
                p[3] = 255;
            }
        }
    }
    /* Reads up to the end-of-image marker, so that a file cut anywhere is refused. */
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int ea_image_decode(const void *bytes, size_t n, const ea_image_limits *lim, ea_image *out,
                    ea_err *err)
{
    out->w = out->h = 0;
    out->rgba = NULL;
    if (!lim)
        lim = &ea_image_default_limits;
    if (n > lim->max_bytes)
        return ea_err_set(err, EA_EXIT_USAGE, "image file is %zu bytes, more than the %zu limit",
                          n, lim->max_bytes);
    const char *fmt;
    int w, h;
    if (ea_image_probe(bytes, n, &fmt, &w, &h, err) != 0 ||
        check_dimensions(w, h, lim, err) != 0)
        return -1;
    if (strcmp(fmt, "webp") == 0)
        return decode_with_libwebp(bytes, n, w, h, out, err);
    if (strcmp(fmt, "jpeg") == 0)
        return decode_with_libjpeg(bytes, n, w, h, lim, out, err);
    if (n > INT_MAX) /* stb counts bytes in an int; the default limit is far below this */
        return ea_err_set(err, EA_EXIT_USAGE, "%s file too large to decode", fmt);
    return decode_with_stb(bytes, n, fmt, w, h, lim, out, err);
}

int ea_image_load_file(const char *path, const ea_image_limits *lim, ea_image *out, ea_err *err)
{
    out->w = out->h = 0;
    out->rgba = NULL;
    if (!lim)
        lim = &ea_image_default_limits;
    /* O_NONBLOCK: a FIFO in place of a picture is refused below, not waited on. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return ea_err_set(err, EA_EXIT_USAGE, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ea_err_set(err, EA_EXIT_USAGE, "%s: not a regular file", path);
    }
    /* The size limit is checked here too, so that an oversized file is never read at all. */
    if ((unsigned long long)st.st_size > lim->max_bytes) {
        close(fd);
        return ea_err_set(err, EA_EXIT_USAGE, "%s: %lld bytes, more than the %zu limit", path,
                          (long long)st.st_size, lim->max_bytes);
    }
    size_t size = (size_t)st.st_size;
    unsigned char *bytes = malloc(size ? size : 1);
    if (!bytes) {
        close(fd);
        return ea_err_set(err, EA_EXIT_INTERNAL, "%s: out of memory", path);
    }
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
    close(fd);
    if (got < size) {
        free(bytes);
        return ea_err_set(err, EA_EXIT_USAGE, "%s: short read: %s", path,
                          read_errno ? strerror(read_errno) : "file changed while reading");
    }
    int rc = ea_image_decode(bytes, size, lim, out, err);
    free(bytes);
    if (rc != 0 && err) { /* name the file: the caller may be loading several */
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        ea_err_set(err, err->code, "%s: %s", path, msg);
    }
    return rc;
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
