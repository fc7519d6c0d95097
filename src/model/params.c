/* SPDX-License-Identifier: MIT */
#include "easel/params.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/utf8.h"

#define DEFAULT_MODEL "gpt-image-2"
#define DEFAULT_TEXT_MODEL "gpt-5.4"

void ea_params_init(ea_params *p)
{
    memset(p, 0, sizeof *p);
    p->n = EA_UNSET;
    p->compression = EA_UNSET;
    p->partials = EA_UNSET;
    p->api = EA_API_RESPONSES;
    p->stream = true;
    p->background_mode = true;
}

void ea_params_free(ea_params *p)
{
    char **owned[] = {&p->prompt,     &p->model,  &p->text_model, &p->size_text,
                      &p->quality,    &p->format, &p->background, &p->moderation,
                      &p->action,     &p->input_fidelity, &p->mask, &p->reasoning};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        free(*owned[i]);
        *owned[i] = NULL;
    }
    for (int i = 0; i < p->n_images; i++)
        free(p->images[i]);
    p->n_images = 0;
    for (int i = 0; i < p->n_documents; i++)
        free(p->documents[i]);
    p->n_documents = 0;
}

static int replace_string(char **field, const char *value, ea_err *err)
{
    char *copy = strdup(value);
    if (!copy)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    free(*field);
    *field = copy;
    return 0;
}

/* A refused value: the message names the parameter, the value and the rule. */
static int refuse(ea_err *err, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(ea_err *err, const char *param, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    ea_err_vset(err, EA_EXIT_USAGE, fmt, ap);
    va_end(ap);
    err->param = param;
    return -1;
}

static bool one_of(const char *value, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(value, *allowed) == 0)
            return true;
    return false;
}

static int parse_int(const char *param, const char *value, int *out, ea_err *err)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < -1000000 || v > 1000000)
        return refuse(err, param, "%s '%s': expected a whole number", param, value);
    *out = (int)v;
    return 0;
}

/* Setters: syntax only. The rules that depend on the model or on other fields are checked
 * together in ea_params_resolve, so the order of options on the command line never matters. */

static int set_model(ea_params *p, const char *v, ea_err *err)
{
    if (!*v)
        return refuse(err, "model", "model '': expected a model name such as gpt-image-2");
    return replace_string(&p->model, v, err);
}

static int set_text_model(ea_params *p, const char *v, ea_err *err)
{
    if (!*v)
        return refuse(err, "text-model", "text-model '': expected a model name such as gpt-5.4");
    return replace_string(&p->text_model, v, err);
}

static int set_size(ea_params *p, const char *v, ea_err *err)
{
    if (ea_size_parse(v, &p->size, err) != 0)
        return -1;
    return replace_string(&p->size_text, v, err);
}

static int set_quality(ea_params *p, const char *v, ea_err *err)
{
    return replace_string(&p->quality, v, err);
}

static int set_count(ea_params *p, const char *v, ea_err *err)
{
    return parse_int("n", v, &p->n, err);
}

static int set_format(ea_params *p, const char *v, ea_err *err)
{
    return replace_string(&p->format, v, err);
}

static int set_compression(ea_params *p, const char *v, ea_err *err)
{
    return parse_int("output_compression", v, &p->compression, err);
}

static int set_choice(char **field, const char *param, const char *v,
                      const char *const *allowed, const char *listed, ea_err *err)
{
    if (!one_of(v, allowed))
        return refuse(err, param, "%s '%s': expected one of %s", param, v, listed);
    return replace_string(field, v, err);
}

static int set_background(ea_params *p, const char *v, ea_err *err)
{
    static const char *const allowed[] = {"transparent", "opaque", "auto", NULL};
    return set_choice(&p->background, "background", v, allowed, "transparent, opaque, auto", err);
}

static int set_moderation(ea_params *p, const char *v, ea_err *err)
{
    static const char *const allowed[] = {"auto", "low", NULL};
    return set_choice(&p->moderation, "moderation", v, allowed, "auto, low", err);
}

static int set_partials(ea_params *p, const char *v, ea_err *err)
{
    return parse_int("partial_images", v, &p->partials, err);
}

static int set_api(ea_params *p, const char *v, ea_err *err)
{
    if (strcmp(v, "responses") == 0)
        p->api = EA_API_RESPONSES;
    else if (strcmp(v, "images") == 0)
        p->api = EA_API_IMAGES;
    else
        return refuse(err, "api", "api '%s': expected responses or images", v);
    return 0;
}

static int set_action(ea_params *p, const char *v, ea_err *err)
{
    static const char *const allowed[] = {"auto", "generate", "edit", NULL};
    return set_choice(&p->action, "action", v, allowed, "auto, generate, edit", err);
}

static int set_input_fidelity(ea_params *p, const char *v, ea_err *err)
{
    static const char *const allowed[] = {"high", "low", NULL};
    return set_choice(&p->input_fidelity, "input_fidelity", v, allowed, "high, low", err);
}

static int set_image(ea_params *p, const char *v, ea_err *err)
{
    return ea_params_add_image(p, v, err);
}

static int set_mask(ea_params *p, const char *v, ea_err *err)
{
    if (!*v)
        return refuse(err, "mask", "mask '': expected the path of an image");
    return replace_string(&p->mask, v, err);
}

static void join_list(const char *const *list, char *out, size_t len);

static int set_reasoning(ea_params *p, const char *v, ea_err *err)
{
    const ea_text_model_info *all = ea_text_model_generic();
    char listed[96];
    join_list(all->efforts, listed, sizeof listed);
    return set_choice(&p->reasoning, "reasoning", v, all->efforts, listed, err);
}

static int set_web_search(ea_params *p, const char *v, ea_err *err)
{
    if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
        return refuse(err, "web-search", "web-search '%s': expected on or off", v);
    p->web_search = strcmp(v, "on") == 0;
    return 0;
}

static int set_document(ea_params *p, const char *v, ea_err *err)
{
    return ea_params_add_document(p, v, err);
}

static const ea_param_desc descs[] = {
    {"model", "model", 'm', "MODEL", "image model (default " DEFAULT_MODEL ")", set_model},
    {"size", "size", 's', "WxH|auto|W:H",
     "size, or an aspect ratio such as 16:9 turned into the nearest valid size", set_size},
    {"quality", "quality", 'q', "QUALITY", "low, medium, high or auto (the model's list)",
     set_quality},
    {"n", "count", 'n', "N", "images per call, 1-10 (Images API)", set_count},
    {"output_format", "format", 'f', "FORMAT", "png, jpeg or webp", set_format},
    {"output_compression", "compression", 0, "0-100", "compression for jpeg and webp",
     set_compression},
    {"background", "background", 0, "BG", "transparent, opaque or auto", set_background},
    {"moderation", "moderation", 0, "LEVEL", "auto or low", set_moderation},
    {"partial_images", "partials", 'p', "0-3", "partial frames to stream", set_partials},
    {NULL, "api", 0, "API", "responses (default: revised prompt, chained turns) or images",
     set_api},
    {NULL, "text-model", 0, "MODEL",
     "the Responses mainline model (default " DEFAULT_TEXT_MODEL ")", set_text_model},
    {"action", "action", 0, "ACTION", "auto, generate or edit (Responses API)", set_action},
    {"input_fidelity", "input-fidelity", 0, "LEVEL", "high or low, for edits (models that take it)",
     set_input_fidelity},
    {NULL, "reasoning", 0, "EFFORT",
     "the mainline model thinks first: none, minimal, low, medium, high, xhigh, max (as the "
     "text model allows); its summary streams", set_reasoning},
    {NULL, "web-search", 0, NULL, "let the mainline model search the web (the web_search tool)",
     set_web_search},
    {NULL, "document", 'd', "FILE",
     "a document for the model to read: PDF, DOCX, PPTX, XLSX or text, 50 MB (repeatable)",
     set_document},
    {NULL, "image", 'i', "FILE", "a reference image or the image to edit (repeatable)", set_image},
    {NULL, "mask", 0, "FILE", "mask for the first image: transparent (or white) marks the area to edit",
     set_mask},
};

const ea_param_desc *ea_param_table(size_t *count)
{
    *count = sizeof descs / sizeof descs[0];
    return descs;
}

const ea_param_desc *ea_param_by_wire(const char *wire)
{
    for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
        if (descs[i].wire && strcmp(descs[i].wire, wire) == 0)
            return &descs[i];
    return NULL;
}

const ea_param_desc *ea_param_by_long(const char *long_opt)
{
    for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
        if (strcmp(descs[i].long_opt, long_opt) == 0)
            return &descs[i];
    return NULL;
}

const ea_param_desc *ea_param_by_short(char short_opt)
{
    for (size_t i = 0; short_opt && i < sizeof descs / sizeof descs[0]; i++)
        if (descs[i].short_opt == short_opt)
            return &descs[i];
    return NULL;
}

int ea_params_set(ea_params *p, const ea_param_desc *d, const char *value, ea_err *err)
{
    return d->set(p, value, err);
}

int ea_params_set_prompt(ea_params *p, const char *prompt, ea_err *err)
{
    return replace_string(&p->prompt, prompt, err);
}

int ea_params_add_image(ea_params *p, const char *path, ea_err *err)
{
    if (!*path)
        return refuse(err, "image", "image '': expected the path of an image");
    if (p->n_images >= EA_MAX_IMAGES)
        return refuse(err, "image", "image '%s': at most %d images per call", path, EA_MAX_IMAGES);
    char *copy = strdup(path);
    if (!copy)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    p->images[p->n_images++] = copy;
    return 0;
}

int ea_params_add_document(ea_params *p, const char *path, ea_err *err)
{
    if (!*path)
        return refuse(err, "document", "document '': expected the path of a file");
    if (p->n_documents >= EA_MAX_DOCUMENTS)
        return refuse(err, "document", "document '%s': at most %d documents per call", path,
                      EA_MAX_DOCUMENTS);
    char *copy = strdup(path);
    if (!copy)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    p->documents[p->n_documents++] = copy;
    return 0;
}

bool ea_params_thinking(const ea_params *p)
{
    return p->reasoning || p->web_search || p->n_documents > 0;
}

void ea_warn(ea_warnings *w, const char *fmt, ...)
{
    if (!w || w->count >= EA_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->text[w->count++], sizeof w->text[0], fmt, ap);
    va_end(ap);
}

const ea_model_info *ea_params_model(const ea_params *p)
{
    const ea_model_info *m = ea_model_find(p->model ? p->model : DEFAULT_MODEL);
    return m ? m : ea_model_generic();
}

int ea_params_count(const ea_params *p)
{
    return p->n > 0 ? p->n : 1;
}

int ea_params_images_max(const ea_params *p)
{
    return p->api == EA_API_RESPONSES && ea_params_thinking(p) ? EA_THINKING_IMAGES_MAX
                                                              : ea_params_count(p);
}

int ea_params_partials(const ea_params *p)
{
    return p->partials > 0 ? p->partials : 0;
}

const char *ea_params_format(const ea_params *p)
{
    return p->format ? p->format : "png";
}

bool ea_params_is_edit(const ea_params *p)
{
    return p->n_images > 0;
}

/* Unicode code points: the API counts characters, not bytes. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static void join_list(const char *const *list, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t used = 0; *list; list++) {
        int k = snprintf(out + used, len - used, "%s%s", used ? ", " : "", *list);
        if (k < 0 || (size_t)k >= len - used)
            break;
        used += (size_t)k;
    }
}

static int resolve_prompt(const ea_params *p, ea_err *err)
{
    if (!p->prompt || !*p->prompt)
        return refuse(err, "prompt", "prompt: a prompt is required");
    /* JSON carries only UTF-8: jansson would drop the whole field, and the request would go
     * out without its prompt. */
    const unsigned char *s = (const unsigned char *)p->prompt;
    size_t len = strlen(p->prompt);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = ea_utf8_decode(s + i, len - i, &cp);
        if (k == 0)
            return refuse(err, "prompt", "prompt: not valid UTF-8 (byte %zu is 0x%02X)", i + 1,
                          s[i]);
        i += k;
    }
    size_t chars = utf8_chars(p->prompt);
    if (chars > EA_PROMPT_MAX_CHARS)
        return refuse(err, "prompt", "prompt of %zu characters: at most %d characters", chars,
                      EA_PROMPT_MAX_CHARS);
    return 0;
}

static int resolve_size(ea_params *p, const ea_model_info *m, ea_warnings *warn, ea_err *err)
{
    char why[160];
    if (p->size.kind == EA_SIZE_RATIO) {
        double asked = (double)p->size.w / p->size.h;
        p->size = ea_size_for_ratio(m, p->size.w, p->size.h);
        double got = (double)p->size.w / p->size.h;
        if (m->flexible_sizes && (asked > got * 1.01 || asked < got / 1.01))
            ea_warn(warn, "size %s: beyond the %g:1 limit of %s; using %dx%d", p->size_text,
                    m->max_ratio, m->id, p->size.w, p->size.h);
    }
    if (p->size.kind != EA_SIZE_EXACT)
        return 0;
    if (ea_size_check(m, p->size.w, p->size.h, why, sizeof why) != 0) {
        ea_size near = ea_size_for_ratio(m, p->size.w, p->size.h);
        return refuse(err, "size", "size '%dx%d' is not valid for %s: %s (nearest valid: %dx%d)",
                      p->size.w, p->size.h, m->id, why, near.w, near.h);
    }
    if (m->flexible_sizes && (long)p->size.w * p->size.h > m->experimental_pixels)
        ea_warn(warn, "size %dx%d: above %ld pixels %s is experimental", p->size.w, p->size.h,
                m->experimental_pixels, m->id);
    return 0;
}

static int resolve_output(ea_params *p, const ea_model_info *m, ea_warnings *warn, ea_err *err)
{
    char list[160];
    const char *format = ea_params_format(p);
    if (p->quality && !ea_model_takes_quality(m, p->quality)) {
        join_list(m->qualities, list, sizeof list);
        return refuse(err, "quality", "quality '%s' is not taken by %s: expected one of %s",
                      p->quality, m->id, list);
    }
    if (!ea_model_takes_format(m, format)) {
        join_list(m->formats, list, sizeof list);
        return refuse(err, "output_format", "format '%s' is not taken by %s: expected one of %s",
                      format, m->id, list);
    }
    bool lossy = strcmp(format, "jpeg") == 0 || strcmp(format, "webp") == 0;
    if (p->compression != EA_UNSET && !lossy)
        return refuse(err, "output_compression",
                      "compression %d: only jpeg and webp take a compression level (format is %s)",
                      p->compression, format);
    if (p->compression != EA_UNSET && (p->compression < 0 || p->compression > 100))
        return refuse(err, "output_compression", "compression %d: must be 0 to 100",
                      p->compression);
    if (p->background && strcmp(p->background, "transparent") == 0) {
        if (strcmp(format, "png") != 0 && strcmp(format, "webp") != 0)
            return refuse(err, "background",
                          "background 'transparent' needs format png or webp (format is %s)",
                          format);
        if (m->transparent == EA_NO)
            return refuse(err, "background", "background 'transparent' is not taken by %s", m->id);
        if (m->transparent == EA_PREVIEW)
            ea_warn(warn, "background transparent: in preview on %s; the API may refuse it",
                    m->id);
    }
    bool animated_or_vector = strcmp(format, "gif") == 0 || strcmp(format, "svg") == 0;
    if (animated_or_vector && ea_params_partials(p) > 0)
        return refuse(err, "partial_images", "partials %d: format %s does not stream partial frames",
                      p->partials, format);
    if (animated_or_vector)
        p->stream = false;
    return 0;
}

static int resolve_counts(ea_params *p, ea_warnings *warn, ea_err *err)
{
    if (p->n != EA_UNSET && (p->n < 1 || p->n > 10))
        return refuse(err, "n", "count %d: must be 1 to 10", p->n);
    if (p->n > 1 && p->api == EA_API_RESPONSES)
        return refuse(err, "n",
                      "count %d: the Responses API makes one image per call; use --api images",
                      p->n);
    if (p->partials != EA_UNSET && (p->partials < 0 || p->partials > 3))
        return refuse(err, "partial_images", "partials %d: must be 0 to 3", p->partials);
    if (p->n > 1) {
        /* The API answers a streamed request for several images with 400 "Streaming is
         * only supported with n=1.": several images come in one JSON reply, with no
         * partial frames. A warning rather than a refusal, so a configured partials default
         * does not stand in the way of a grid. */
        if (ea_params_partials(p) > 0)
            ea_warn(warn, "partials %d: not streamed with count %d (the API streams one image "
                          "at a time); the images come together at the end", p->partials, p->n);
        p->stream = false;
        p->partials = EA_UNSET;
    }
    return 0;
}

static int resolve_inputs(const ea_params *p, const ea_model_info *m, ea_err *err)
{
    if (p->mask && p->n_images == 0)
        return refuse(err, "mask", "mask '%s': a mask needs an image to edit (--image)", p->mask);
    if (p->input_fidelity && !m->input_fidelity)
        return refuse(err, "input_fidelity", "input_fidelity '%s' is not taken by %s",
                      p->input_fidelity, m->id);
    if (p->action && p->api != EA_API_RESPONSES)
        return refuse(err, "action", "action '%s': only the Responses API takes an action",
                      p->action);
    /* The multipart edit body has no moderation part (protocol.md 2a). */
    if (p->moderation && p->api == EA_API_IMAGES && p->n_images > 0)
        return refuse(err, "moderation",
                      "moderation '%s': the Images API's edit endpoint does not take moderation",
                      p->moderation);
    return 0;
}

/* Reasoning, web search and documents belong to the Responses API's mainline model; the
 * effort must be one the text model takes. Documents' sizes and types are checked where
 * they are read (ea_request_build), before anything is sent. */
static int resolve_thinking(const ea_params *p, ea_warnings *warn, ea_err *err)
{
    const char *what = p->reasoning ? "reasoning" : p->web_search ? "web-search" : "document";
    if (ea_params_thinking(p) && p->api != EA_API_RESPONSES)
        return refuse(err, what, "%s: only the Responses API's mainline model thinks, searches "
                                 "and reads documents (not --api images)", what);
    if (!p->reasoning)
        return 0;
    const ea_text_model_info *t = ea_text_model_find(p->text_model);
    if (!t) {
        ea_warn(warn, "text model '%s' is not in easel's table: reasoning '%s' is not checked",
                p->text_model, p->reasoning);
        return 0;
    }
    if (!ea_text_model_takes_effort(t, p->reasoning)) {
        char list[96];
        join_list(t->efforts, list, sizeof list);
        return refuse(err, "reasoning", "reasoning '%s' is not taken by %s: expected one of %s",
                      p->reasoning, p->text_model, list);
    }
    return 0;
}

int ea_params_resolve(ea_params *p, ea_warnings *warn, ea_err *err)
{
    const char *model = p->model ? p->model : DEFAULT_MODEL;
    const ea_model_info *m = ea_model_find(model);
    if (m && m->retired)
        return refuse(err, "model", "model '%s': %s", model, m->retired);
    ea_model_info unknown;
    if (!m) {
        /* The generic rules, under the name the user typed, so messages name their model. */
        unknown = *ea_model_generic();
        unknown.id = model;
        m = &unknown;
        ea_warn(warn, "model '%s' is not in easel's table: checked with the generic GPT-image rules",
                model);
    }
    if (!p->model && replace_string(&p->model, DEFAULT_MODEL, err) != 0)
        return -1;
    if (!p->text_model && replace_string(&p->text_model, DEFAULT_TEXT_MODEL, err) != 0)
        return -1;
    if (resolve_prompt(p, err) || resolve_size(p, m, warn, err) || resolve_output(p, m, warn, err) ||
        resolve_counts(p, warn, err) || resolve_inputs(p, m, err) ||
        resolve_thinking(p, warn, err))
        return -1;
    return 0;
}
