/* SPDX-License-Identifier: MIT */
/* render: the offline backend's pictures, drawn with cairo. See include/easel/mock_render.h.
 *
 * Everything is a function of (prompt, variant, size, source, mask): the colours and shapes
 * come from FNV-1a hashes of the prompt and of each word, never from a clock or rand(), so a
 * test can compare pixels and a person can tell two prompts apart at a glance. */
#include "easel/mock_render.h"
#include "easel/utf8.h"

#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BANNER_TEXT "easel mock \u00b7 offline stand-in"
#define FONT_FAMILY "DejaVu Sans"
#define MAX_WORDS 64   /* words kept from the prompt: more never fit in the text box */
#define MAX_SHAPES 24  /* one shape per word, for the first this many words */
#define MAX_LINES 4    /* lines of prompt text; the rest is cut with an ellipsis */

/* ---- determinism: hashes and a tiny generator ------------------------------------------- */

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* FNV-1a spreads poorly into the low bits of short words, so every value drawn from a hash
 * goes through a full-avalanche mixer (the one murmur3 ends with) first. */
static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x85ebca6bu;
    x ^= x >> 13;
    x *= 0xc2b2ae35u;
    x ^= x >> 16;
    return x;
}

/* A stream of numbers from one seed: each call advances the state by the golden ratio and
 * mixes it (a 32-bit splitmix). */
static uint32_t next_u32(uint32_t *state)
{
    *state += 0x9e3779b9u;
    return mix32(*state);
}

static double next_unit(uint32_t *state) /* in [0, 1) */
{
    return next_u32(state) / 4294967296.0;
}

/* ---- colour ----------------------------------------------------------------------------- */

typedef struct rgb {
    double r, g, b;
} rgb;

static rgb hsv(double hue_deg, double s, double v)
{
    double h = fmod(hue_deg, 360.0) / 60.0;
    double c = v * s, x = c * (1 - fabs(fmod(h, 2.0) - 1)), m = v - c;
    rgb out = {m, m, m};
    switch ((int)h) {
    case 0: out.r += c; out.g += x; break;
    case 1: out.r += x; out.g += c; break;
    case 2: out.g += c; out.b += x; break;
    case 3: out.g += x; out.b += c; break;
    case 4: out.r += x; out.b += c; break;
    default: out.r += c; out.b += x; break;
    }
    return out;
}

static void set_colour(cairo_t *cr, rgb c, double alpha)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

/* ---- the prompt's words ----------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one or is
 * a C1 control (which draws as a box at best): cairo's toy text API refuses a whole string
 * over one bad byte, and the prompt comes off the network. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t len = ea_utf8_decode(s, n, &cp);
    return len && !(cp >= 0x80 && cp <= 0x9F) ? len : 0;
}

typedef struct prompt_words {
    char *text; /* the sanitised prompt, a NUL after each word */
    const char *word[MAX_WORDS];
    uint32_t hash[MAX_WORDS];
    int n;
    bool more; /* the prompt had more words than MAX_WORDS */
} prompt_words;

/* Splits a sanitised copy of the prompt into words: bad UTF-8 becomes '?', control
 * characters separate words like spaces do. */
static int split_words(const char *prompt, prompt_words *pw)
{
    memset(pw, 0, sizeof *pw);
    size_t n = strlen(prompt);
    pw->text = malloc(n + 1);
    if (!pw->text)
        return -1;
    const unsigned char *in = (const unsigned char *)prompt;
    char *dst = pw->text;
    const char *word_start = NULL;
    for (size_t i = 0; i <= n;) {
        size_t len = i < n ? utf8_sequence(in + i, n - i) : 1;
        bool separator = i == n || (len == 1 && (in[i] <= ' ' || in[i] == 0x7F));
        if (separator) {
            if (word_start) {
                if (pw->n == MAX_WORDS) {
                    pw->more = true;
                    break;
                }
                pw->word[pw->n] = word_start;
                pw->hash[pw->n] = fnv1a(word_start, (size_t)(dst - word_start));
                pw->n++;
                *dst++ = '\0';
                word_start = NULL;
            }
            i++;
            continue;
        }
        if (!word_start)
            word_start = dst;
        if (len == 0) {
            *dst++ = '?';
            i++;
        } else {
            memcpy(dst, in + i, len);
            dst += len;
            i += len;
        }
    }
    return 0;
}

/* ---- drawing ---------------------------------------------------------------------------- */

typedef struct layout {
    int w, h;
    double unit;       /* min(w, h): sizes scale with the shorter side */
    int variant;
    uint32_t prompt_hash;
    uint32_t variant_salt; /* the variant, mixed: turns the gradient, moves the shapes */
} layout;

/* The background: a two-colour gradient whose hues come from the prompt; the variant turns
 * its direction.
 *
 * pixman fills a 1024x1024 linear gradient in about 9 ms, more than the rest of the picture.
 * A linear ramp is exactly what bilinear filtering interpolates, so the gradient is drawn
 * into a surface 16 times smaller and stretched: the same picture for 1.6 ms. */
#define GRADIENT_SHRINK 16

static void paint_gradient(cairo_t *cr, const layout *lo, double alpha)
{
    uint32_t seed = mix32(lo->prompt_hash);
    /* A neighbouring, darker hue at the far end: a sense of depth, while the picture as a
     * whole stays recognisably the prompt's colour ("the teal one"). */
    double hue = seed % 360;
    double hue2 = hue + 20 + (seed >> 12) % 40;
    uint32_t turn = lo->prompt_hash ^ lo->variant_salt;
    double angle = next_unit(&turn) * 2 * M_PI;
    double cx = lo->w / 2.0, cy = lo->h / 2.0, reach = hypot(cx, cy);
    cairo_pattern_t *g = cairo_pattern_create_linear(cx - cos(angle) * reach,
                                                     cy - sin(angle) * reach,
                                                     cx + cos(angle) * reach,
                                                     cy + sin(angle) * reach);
    rgb a = hsv(hue, 0.55, 0.9), b = hsv(hue2, 0.75, 0.45);
    cairo_pattern_add_color_stop_rgb(g, 0, a.r, a.g, a.b);
    cairo_pattern_add_color_stop_rgb(g, 1, b.r, b.g, b.b);

    int small_w = (lo->w + GRADIENT_SHRINK - 1) / GRADIENT_SHRINK;
    int small_h = (lo->h + GRADIENT_SHRINK - 1) / GRADIENT_SHRINK;
    cairo_surface_t *small = cairo_image_surface_create(CAIRO_FORMAT_RGB24, small_w, small_h);
    cairo_t *small_cr = cairo_create(small);
    cairo_scale(small_cr, 1.0 / GRADIENT_SHRINK, 1.0 / GRADIENT_SHRINK);
    cairo_set_source(small_cr, g);
    cairo_paint(small_cr);
    cairo_destroy(small_cr);
    cairo_pattern_destroy(g);

    cairo_save(cr);
    cairo_scale(cr, GRADIENT_SHRINK, GRADIENT_SHRINK);
    cairo_set_source_surface(cr, small, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_paint_with_alpha(cr, alpha);
    cairo_restore(cr);
    cairo_surface_destroy(small);
}

enum shape_kind { SHAPE_CIRCLE, SHAPE_RECTANGLE, SHAPE_TRIANGLE, SHAPE_RING };

/* One shape per word. Kind and colour follow the word alone, so "cat" looks the same in
 * every prompt; the position also follows its place in the prompt and the variant. */
static void draw_word_shape(cairo_t *cr, const layout *lo, uint32_t word_hash, int index)
{
    uint32_t looks = mix32(word_hash);
    uint32_t place = word_hash ^ mix32((uint32_t)index * 0x27d4eb2fu) ^ lo->variant_salt;
    enum shape_kind kind = looks % 4;
    rgb fill = hsv((looks >> 2) % 360, 0.65 + 0.3 * ((looks >> 11) % 64) / 63.0, 0.95);
    double r = lo->unit * (0.06 + 0.10 * next_unit(&place));
    double x = lo->w * next_unit(&place), y = lo->h * next_unit(&place);
    double turn = next_unit(&place) * 2 * M_PI;

    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, turn);
    cairo_new_path(cr);
    switch (kind) {
    case SHAPE_CIRCLE:
    case SHAPE_RING:
        cairo_arc(cr, 0, 0, r, 0, 2 * M_PI);
        break;
    case SHAPE_RECTANGLE:
        cairo_rectangle(cr, -r * 1.2, -r * 0.8, r * 2.4, r * 1.6);
        break;
    case SHAPE_TRIANGLE:
        for (int corner = 0; corner < 3; corner++) {
            double a = corner * 2 * M_PI / 3;
            cairo_line_to(cr, r * 1.2 * cos(a), r * 1.2 * sin(a));
        }
        cairo_close_path(cr);
        break;
    }
    if (kind == SHAPE_RING) {
        set_colour(cr, fill, 0.95);
        cairo_set_line_width(cr, r * 0.35);
        cairo_stroke(cr);
    } else {
        set_colour(cr, fill, 0.9);
        cairo_fill_preserve(cr);
        /* A dark outline keeps shapes apart from each other and from the background. */
        set_colour(cr, (rgb){fill.r * 0.35, fill.g * 0.35, fill.b * 0.35}, 0.9);
        cairo_set_line_width(cr, fmax(1.0, r * 0.06));
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

static void draw_shapes(cairo_t *cr, const layout *lo, const prompt_words *pw)
{
    for (int i = 0; i < pw->n && i < MAX_SHAPES; i++)
        draw_word_shape(cr, lo, pw->hash[i], i);
}

static void rounded_rectangle(cairo_t *cr, double x, double y, double w, double h, double r)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t ext;
    cairo_text_extents(cr, s, &ext);
    return ext.x_advance;
}

/* The prompt's words, wrapped greedily into at most MAX_LINES lines on a dark rounded
 * backing: white on translucent black reads on any background the gradient can produce.
 * The variant moves the box between bottom, top and middle. */
static void draw_words(cairo_t *cr, const layout *lo, const prompt_words *pw)
{
    if (pw->n == 0)
        return;
    double size = fmax(9.0, lo->unit / 18.0);
    double pad = size * 0.5, line_h = size * 1.3;
    double box_w = lo->w * 0.86, inner_w = box_w - 2 * pad;
    cairo_select_font_face(cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, size);
    double space = text_width(cr, " ");

    /* Lay out first (word i goes on line_of[i]), then draw: the box height needs the count. */
    int line_of[MAX_WORDS];
    double x_of[MAX_WORDS];
    int lines = 1, shown = 0;
    double x = 0;
    for (int i = 0; i < pw->n; i++) {
        double ww = text_width(cr, pw->word[i]);
        if (x > 0 && x + space + ww > inner_w) {
            if (lines == MAX_LINES)
                break;
            lines++;
            x = 0;
        }
        if (x > 0)
            x += space;
        line_of[i] = lines - 1;
        x_of[i] = x;
        x += ww;
        shown++;
    }
    bool cut = shown < pw->n || pw->more;

    double box_h = lines * line_h + 2 * pad;
    double banner_h = fmax(16.0, lo->unit / 24.0);
    double slots[3] = {lo->h - banner_h - box_h - lo->h * 0.04, lo->h * 0.06, (lo->h - box_h) / 2};
    double box_x = (lo->w - box_w) / 2, box_y = slots[lo->variant % 3];

    cairo_save(cr);
    rounded_rectangle(cr, box_x, box_y, box_w, box_h, pad);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.62);
    cairo_fill_preserve(cr);
    cairo_clip(cr); /* a word longer than the box is cut at its edge, not drawn across */
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    double baseline0 = box_y + pad + (line_h + fe.ascent - fe.descent) / 2;
    for (int i = 0; i < shown; i++) {
        cairo_move_to(cr, box_x + pad + x_of[i], baseline0 + line_of[i] * line_h);
        cairo_show_text(cr, pw->word[i]);
    }
    if (cut) /* after the last word shown; the clip trims it if the line is full */
        cairo_show_text(cr, " \u2026");
    cairo_restore(cr);
}

/* The banner along the bottom edge, drawn last so nothing covers it. */
static void draw_banner(cairo_t *cr, const layout *lo)
{
    double banner_h = fmax(16.0, lo->unit / 24.0);
    cairo_save(cr);
    cairo_rectangle(cr, 0, lo->h - banner_h, lo->w, banner_h);
    cairo_set_source_rgba(cr, 0.05, 0.05, 0.05, 0.8);
    cairo_fill(cr);
    cairo_select_font_face(cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    double size = banner_h * 0.62;
    cairo_set_font_size(cr, size);
    /* Shrink to fit: on a narrow image the whole banner must still show. */
    double width = text_width(cr, BANNER_TEXT);
    if (width > lo->w - banner_h) {
        size *= (lo->w - banner_h) / width;
        cairo_set_font_size(cr, size);
        width = text_width(cr, BANNER_TEXT);
    }
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    cairo_move_to(cr, (lo->w - width) / 2, lo->h - banner_h / 2 + (fe.ascent - fe.descent) / 2);
    cairo_set_source_rgb(cr, 1, 0.85, 0.3);
    cairo_show_text(cr, BANNER_TEXT);
    cairo_restore(cr);
}

/* ---- pixels between cairo and ea_image -------------------------------------------------- */

/* cairo's ARGB32 is premultiplied and native-endian; ea_image is straight RGBA bytes. */
static cairo_surface_t *surface_from_image(const ea_image *img)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, img->w, img->h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        return s; /* an error surface: the caller checks its status */
    cairo_surface_flush(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < img->h; y++) {
        const unsigned char *p = img->rgba + (size_t)y * (size_t)img->w * 4;
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
        for (int x = 0; x < img->w; x++, p += 4) {
            uint32_t a = p[3];
            uint32_t r = (p[0] * a + 127) / 255, g = (p[1] * a + 127) / 255,
                     b = (p[2] * a + 127) / 255;
            row[x] = a << 24 | r << 16 | g << 8 | b;
        }
    }
    cairo_surface_mark_dirty(s);
    return s;
}

static int image_from_surface(cairo_surface_t *s, ea_image *out, ea_err *err)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    if (ea_image_alloc(out, w, h) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "mock render: out of memory");
    cairo_surface_flush(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        unsigned char *p = out->rgba + (size_t)y * (size_t)w * 4;
        for (int x = 0; x < w; x++, p += 4) {
            uint32_t px = row[x], a = px >> 24;
            uint32_t r = px >> 16 & 0xFF, g = px >> 8 & 0xFF, b = px & 0xFF;
            if (a != 0 && a != 255) { /* undo the premultiplication, rounding to nearest */
                r = (r * 255 + a / 2) / a;
                g = (g * 255 + a / 2) / a;
                b = (b * 255 + a / 2) / a;
            }
            p[0] = (unsigned char)r;
            p[1] = (unsigned char)g;
            p[2] = (unsigned char)b;
            p[3] = (unsigned char)a;
        }
    }
    return 0;
}

/* Where an edit may repaint, as cairo coverage: the API's mask marks it with alpha 0, so
 * coverage is 255 - alpha. */
static cairo_surface_t *repaint_coverage(const ea_image *mask)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, mask->w, mask->h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        return s;
    cairo_surface_flush(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < mask->h; y++) {
        const unsigned char *p = mask->rgba + (size_t)y * (size_t)mask->w * 4;
        unsigned char *row = data + (size_t)y * (size_t)stride;
        for (int x = 0; x < mask->w; x++)
            row[x] = (unsigned char)(255 - p[4 * x + 3]);
    }
    cairo_surface_mark_dirty(s);
    return s;
}

/* A pattern that stretches surface s over the w x h output, its edges padded rather than
 * faded to transparent. The caller destroys it. */
static cairo_pattern_t *stretched(cairo_surface_t *s, int w, int h)
{
    cairo_pattern_t *p = cairo_pattern_create_for_surface(s);
    cairo_matrix_t m;
    cairo_matrix_init_scale(&m, (double)cairo_image_surface_get_width(s) / w,
                            (double)cairo_image_surface_get_height(s) / h);
    cairo_pattern_set_matrix(p, &m);
    cairo_pattern_set_filter(p, CAIRO_FILTER_GOOD);
    cairo_pattern_set_extend(p, CAIRO_EXTEND_PAD);
    return p;
}

/* Composites the group pushed last: through the repaint coverage when there is a mask,
 * otherwise everywhere at the given strength. */
static void composite_layer(cairo_t *cr, cairo_pattern_t *coverage, double strength)
{
    cairo_pop_group_to_source(cr);
    if (coverage)
        cairo_mask(cr, coverage);
    else
        cairo_paint_with_alpha(cr, strength);
}

/* An edit: the source stretched to the output size, then the new prompt's tint and shapes
 * over it, either fully where the mask allows or everywhere at half strength so the source
 * stays recognisable beneath; then the new words, readable at full strength, in the next
 * slot along so that they do not land on a mock source's own words. */
static int draw_edit(cairo_t *cr, const ea_mock_scene *scene, const layout *lo,
                     const prompt_words *pw, ea_err *err)
{
    cairo_surface_t *source = surface_from_image(scene->source);
    cairo_surface_t *mask = scene->mask ? repaint_coverage(scene->mask) : NULL;
    if (cairo_surface_status(source) != CAIRO_STATUS_SUCCESS ||
        (mask && cairo_surface_status(mask) != CAIRO_STATUS_SUCCESS)) {
        cairo_surface_destroy(source);
        cairo_surface_destroy(mask);
        return ea_err_set(err, EA_EXIT_INTERNAL, "mock render: out of memory");
    }
    cairo_pattern_t *pattern = stretched(source, lo->w, lo->h);
    cairo_set_source(cr, pattern);
    cairo_paint(cr);
    cairo_pattern_destroy(pattern);

    cairo_pattern_t *coverage = mask ? stretched(mask, lo->w, lo->h) : NULL;
    cairo_push_group(cr);
    paint_gradient(cr, lo, 0.45);
    draw_shapes(cr, lo, pw);
    composite_layer(cr, coverage, 0.5);

    layout words_lo = *lo;
    words_lo.variant++;
    cairo_push_group(cr);
    draw_words(cr, &words_lo, pw);
    composite_layer(cr, coverage, 1.0);

    cairo_pattern_destroy(coverage);
    cairo_surface_destroy(source);
    cairo_surface_destroy(mask);
    return 0;
}

static bool image_usable(const ea_image *img)
{
    return img->rgba && img->w > 0 && img->h > 0;
}

int ea_mock_render(const ea_mock_scene *scene, ea_image *out, ea_err *err)
{
    out->w = out->h = 0;
    out->rgba = NULL;
    const ea_image_limits *lim = &ea_image_default_limits;
    if (scene->w <= 0 || scene->h <= 0 || scene->w > lim->max_edge || scene->h > lim->max_edge ||
        (long long)scene->w * scene->h > lim->max_pixels)
        return ea_err_set(err, EA_EXIT_USAGE, "mock render: cannot draw %dx%d", scene->w,
                          scene->h);
    if ((scene->source && !image_usable(scene->source)) ||
        (scene->mask && !image_usable(scene->mask)))
        return ea_err_set(err, EA_EXIT_INTERNAL, "mock render: empty source or mask image");

    const char *prompt = scene->prompt ? scene->prompt : "";
    prompt_words pw;
    if (split_words(prompt, &pw) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "mock render: out of memory");
    layout lo = {
        .w = scene->w,
        .h = scene->h,
        .unit = scene->w < scene->h ? scene->w : scene->h,
        .variant = scene->variant < 0 ? 0 : scene->variant,
        .prompt_hash = fnv1a(prompt, strlen(prompt)),
        .variant_salt = mix32((uint32_t)scene->variant * 0x9e3779b9u + 0x7f4a7c15u),
    };

    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, lo.w, lo.h);
    cairo_t *cr = cairo_create(surface); /* on failure, an error object that ignores drawing */
    int rc = 0;
    if (scene->source) {
        rc = draw_edit(cr, scene, &lo, &pw, err);
    } else {
        if (!scene->transparent) /* a new surface is already fully transparent */
            paint_gradient(cr, &lo, 1.0);
        draw_shapes(cr, &lo, &pw);
        draw_words(cr, &lo, &pw);
    }
    if (rc == 0) {
        draw_banner(cr, &lo);
        cairo_status_t status = cairo_status(cr);
        if (status != CAIRO_STATUS_SUCCESS)
            rc = ea_err_set(err, EA_EXIT_INTERNAL, "mock render: %s",
                            cairo_status_to_string(status));
        else
            rc = image_from_surface(surface, out, err);
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    free(pw.text);
    return rc;
}

/* ---- partial frames --------------------------------------------------------------------- */

/* Partial k of n is the final image in blocks of 8 << (n - k) pixels at 1024 (64, 32, 16 for
 * three partials; scaled with the image), averaged with alpha weighting, and slightly
 * washed out: each frame is visibly sharper than the one before. */
int ea_mock_partial(const ea_image *final, int index, int total, ea_image *out, ea_err *err)
{
    out->w = out->h = 0;
    out->rgba = NULL;
    if (!final || !image_usable(final))
        return ea_err_set(err, EA_EXIT_INTERNAL, "mock partial: no final image");
    if (total < 1 || index < 0 || index >= total || total > 8)
        return ea_err_set(err, EA_EXIT_INTERNAL, "mock partial %d of %d", index, total);
    int w = final->w, h = final->h;
    if (ea_image_alloc(out, w, h) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "mock partial: out of memory");

    int longest = w > h ? w : h;
    int block = (int)((long long)(8 << (total - index)) * longest / 1024);
    if (block < 1)
        block = 1;
    double wash = 0.35 * (total - index) / total; /* share of grey mixed in */

    for (int by = 0; by < h; by += block) {
        int y_end = by + block < h ? by + block : h;
        for (int bx = 0; bx < w; bx += block) {
            int x_end = bx + block < w ? bx + block : w;
            /* Colour is averaged weighted by alpha, so transparent pixels add no colour. */
            uint64_t sum[3] = {0, 0, 0}, alpha = 0;
            for (int y = by; y < y_end; y++) {
                const unsigned char *p = final->rgba + ((size_t)y * (size_t)w + (size_t)bx) * 4;
                for (int x = bx; x < x_end; x++, p += 4) {
                    sum[0] += (uint64_t)p[0] * p[3];
                    sum[1] += (uint64_t)p[1] * p[3];
                    sum[2] += (uint64_t)p[2] * p[3];
                    alpha += p[3];
                }
            }
            uint64_t count = (uint64_t)(y_end - by) * (uint64_t)(x_end - bx);
            double c[3] = {0, 0, 0};
            if (alpha)
                for (int i = 0; i < 3; i++)
                    c[i] = (double)sum[i] / (double)alpha;
            double grey = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
            unsigned char px[4];
            for (int i = 0; i < 3; i++)
                px[i] = (unsigned char)lround(c[i] + (grey - c[i]) * wash);
            px[3] = (unsigned char)((alpha + count / 2) / count);
            unsigned char *q = out->rgba + ((size_t)by * (size_t)w + (size_t)bx) * 4;
            for (int x = bx; x < x_end; x++, q += 4)
                memcpy(q, px, 4);
        }
        /* Every row of a block row is the same: write the first, copy it down. */
        const unsigned char *first = out->rgba + (size_t)by * (size_t)w * 4;
        for (int y = by + 1; y < y_end; y++)
            memcpy(out->rgba + (size_t)y * (size_t)w * 4, first, (size_t)w * 4);
    }
    return 0;
}
