/* SPDX-License-Identifier: MIT */
#include "easel/prices.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/buf.h"
#include "easel/paths.h"

#define INPUTS_NOT_COUNTED "; input images not counted"

/* A price table is a few kB; a file far larger is not one. */
#define PRICES_FILE_MAX (1u << 20)

struct ea_prices {
    json_t *root;      /* owned */
    char source[4200];
};

/* The per-image table is quoted at these sizes; other sizes scale by pixel count. */
static const struct { const char *key; int w, h; } quoted_sizes[] = {
    {"1024x1024", 1024, 1024}, {"1536x1024", 1536, 1024}, {"1024x1536", 1024, 1536}};

/* The key whose value a parse error stopped in: the last "KEY": before pos. JSON has no NaN
 * or Infinity, and 1e999 overflows, so a bad price often fails the parse itself, and the
 * user still needs to know which price. "" when there is none. */
static void key_before(const char *json, size_t pos, char *out, size_t size)
{
    *out = '\0';
    size_t len = strlen(json);
    for (size_t i = pos < len ? pos : len; i-- > 0;) {
        if (json[i] != ':')
            continue;
        size_t end = i;
        while (end > 0 && (json[end - 1] == ' ' || json[end - 1] == '\t' || json[end - 1] == '\n' ||
                           json[end - 1] == '\r'))
            end--;
        if (end == 0 || json[end - 1] != '"')
            continue;
        size_t start = end - 1;
        while (start > 0 && json[start - 1] != '"')
            start--;
        if (start == 0)
            return;
        snprintf(out, size, "%.*s", (int)(end - 1 - start) < 64 ? (int)(end - 1 - start) : 64,
                 json + start);
        return;
    }
}

/* Prices past this (USD per image, or per million tokens) are a typo, not a price list:
 * the dearest published rate is a few tens of dollars. */
#define PRICE_MAX_USD 1000.0
#define PARTIAL_TOKENS_MAX 100000

/* Every price under a "per_..." key is a finite number from 0 to PRICE_MAX_USD; every other
 * number of a model's entry is finite and not negative. path names the value in messages. */
static int check_value(const json_t *v, bool is_price, char *path, size_t size, ea_err *err)
{
    size_t at = strlen(path);
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)v, key, child) {
            snprintf(path + at, size - at, ".%s", key);
            if (check_value(child, is_price || strncmp(key, "per_", 4) == 0, path, size, err))
                return -1;
        }
        path[at] = '\0';
        return 0;
    }
    if (!json_is_number(v)) {
        if (is_price)
            return ea_err_set(err, EA_EXIT_USAGE, "%s: a price must be a number", path);
        return 0;
    }
    double x = json_number_value(v);
    if (!isfinite(x) || x < 0)
        return ea_err_set(err, EA_EXIT_USAGE, "%s: %g is not a price (negative or not finite)",
                          path, x);
    if (is_price && x > PRICE_MAX_USD)
        return ea_err_set(err, EA_EXIT_USAGE, "%s: $%g is beyond any real price (more than "
                          "$%.0f per image or per million tokens)", path, x, PRICE_MAX_USD);
    return 0;
}

static int check_table(const json_t *models, ea_err *err)
{
    const char *name;
    json_t *entry;
    json_object_foreach((json_t *)models, name, entry) {
        char path[256];
        snprintf(path, sizeof path, "models.%.100s", name);
        if (!json_is_object(entry))
            return ea_err_set(err, EA_EXIT_USAGE, "%s: not an object", path);
        if (check_value(entry, false, path, sizeof path, err) != 0)
            return -1;
        const json_t *partial = json_object_get(entry, "partial_image_output_tokens");
        if (partial && (!json_is_integer(partial) ||
                        json_integer_value(partial) > PARTIAL_TOKENS_MAX ||
                        json_integer_value(partial) < 0))
            return ea_err_set(err, EA_EXIT_USAGE, "%s.partial_image_output_tokens: a whole "
                              "number of tokens from 0 to %d", path, PARTIAL_TOKENS_MAX);
    }
    return 0;
}

ea_prices *ea_prices_parse(const char *json, ea_err *err)
{
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    if (!root) {
        char key[72];
        key_before(json, (size_t)jerr.position, key, sizeof key);
        ea_err_set(err, EA_EXIT_USAGE, "price table: line %d: %s%s%s%s", jerr.line, jerr.text,
                   *key ? " (in the value of \"" : "", key, *key ? "\")" : "");
        return NULL;
    }
    if (!json_is_object(json_object_get(root, "models"))) {
        json_decref(root);
        ea_err_set(err, EA_EXIT_USAGE, "price table: no \"models\" object");
        return NULL;
    }
    if (check_table(json_object_get(root, "models"), err) != 0) {
        json_decref(root);
        return NULL;
    }
    ea_prices *p = calloc(1, sizeof *p);
    if (!p) {
        json_decref(root);
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    p->root = root;
    snprintf(p->source, sizeof p->source, "built-in");
    return p;
}

ea_prices *ea_prices_load(ea_err *err)
{
    char dir[4096], path[4200];
    if (ea_path_dir(EA_DIR_CONFIG, dir, sizeof dir, NULL) == 0 &&
        ea_path_join(path, sizeof path, dir, "prices.json", NULL) == 0) {
        /* A regular file only: a FIFO in its place must not hang easel. */
        int fd = ea_open_file(path, O_RDONLY, 0, err);
        if (fd < 0 && errno != ENOENT) {
            if (err)
                err->code = EA_EXIT_USAGE;
            return NULL;
        }
        FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
        if (fd >= 0 && !f)
            close(fd);
        if (f) {
            /* Parsed from its own text, so that an error can name the key it is in. */
            ea_buf text;
            ea_buf_init(&text, PRICES_FILE_MAX);
            bool read_ok = ea_buf_append_stream(&text, f) == 0 && !ferror(f);
            fclose(f);
            ea_err parse_err = {0};
            ea_prices *p = NULL;
            if (!read_ok)
                ea_err_set(&parse_err, EA_EXIT_USAGE, "cannot read it, or it is over %u bytes",
                           PRICES_FILE_MAX);
            else
                p = ea_prices_parse(text.data ? text.data : "", &parse_err);
            ea_buf_free(&text);
            if (p)
                snprintf(p->source, sizeof p->source, "%s", path);
            else
                ea_err_set(err, parse_err.code ? parse_err.code : EA_EXIT_INTERNAL, "%s: %s",
                           path, parse_err.msg);
            return p;
        }
    }
    return ea_prices_parse(ea_prices_default_json, err);
}

void ea_prices_free(ea_prices **p)
{
    if (!*p)
        return;
    json_decref((*p)->root);
    free(*p);
    *p = NULL;
}

const char *ea_prices_source(const ea_prices *p)
{
    return p->source;
}

/* Length of model without a "-YYYY-MM-DD" snapshot suffix (the whole length when none). */
static size_t snapshot_base_len(const char *model)
{
    static const char shape[] = "-dddd-dd-dd";
    size_t n = strlen(model), k = sizeof shape - 1;
    if (n <= k)
        return n;
    for (size_t i = 0; i < k; i++) {
        char c = model[n - k + i];
        if (shape[i] == 'd' ? c < '0' || c > '9' : c != shape[i])
            return n;
    }
    return n - k;
}

static json_t *model_entry(const ea_prices *p, const char *model)
{
    if (!model)
        return NULL;
    const ea_model_info *m = ea_model_find(model);
    const char *key = m ? m->price_key : model;
    json_t *models = json_object_get(p->root, "models");
    json_t *entry = json_object_get(models, key);
    size_t base = snapshot_base_len(key);
    /* A snapshot the rule table does not know (text models are not in it) costs what its
     * base model does. */
    return entry || base == strlen(key) ? entry : json_object_getn(models, key, base);
}

static double token_price(json_t *entry, const char *kind)
{
    json_t *v = json_object_get(json_object_get(entry, "per_million_tokens"), kind);
    return json_is_number(v) ? json_number_value(v) / 1e6 : NAN;
}

/* Price of one final image: the quoted size nearest in shape, scaled by pixel count. */
static double image_price(json_t *entry, int w, int h, const char *quality, const char **quoted)
{
    json_t *table = json_object_get(entry, "per_image");
    size_t best = 0;
    double best_err = INFINITY;
    for (size_t i = 0; i < sizeof quoted_sizes / sizeof quoted_sizes[0]; i++) {
        double e = fabs(log((double)w / h) - log((double)quoted_sizes[i].w / quoted_sizes[i].h));
        if (e < best_err) {
            best_err = e;
            best = i;
        }
    }
    *quoted = quoted_sizes[best].key;
    json_t *v = json_object_get(json_object_get(table, quoted_sizes[best].key), quality);
    if (!json_is_number(v))
        return NAN;
    double scale = (double)w * h / ((double)quoted_sizes[best].w * quoted_sizes[best].h);
    return json_number_value(v) * scale;
}

long ea_prices_image_tokens(const ea_prices *p, const char *model, int w, int h,
                            const char *quality)
{
    json_t *entry = model_entry(p, model);
    const char *quoted;
    double usd = image_price(entry, w, h, quality, &quoted);
    double per_token = token_price(entry, "image_output");
    if (isnan(usd) || isnan(per_token) || per_token <= 0)
        return 0;
    return lround(usd / per_token);
}

long ea_prices_partial_tokens(const ea_prices *p, const char *model)
{
    json_t *v = json_object_get(model_entry(p, model), "partial_image_output_tokens");
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

static size_t prompt_chars(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* What the mainline model of a Responses call reads besides the prompt (the image tool's
 * definition, the instructions) and writes besides restating it (the tool call around the
 * revised prompt): allowances, not measurements, for an estimate that should not fall short
 * on an everyday prompt. The text part is a few tenths of a cent beside the image's. */
#define RESPONSES_INPUT_ALLOWANCE 200
#define RESPONSES_OUTPUT_ALLOWANCE 100

/* The mainline model's part of a Responses estimate, added to out->usd: the prompt and the
 * allowances, the reasoning allowance of a thinking turn, and one search when it may search;
 * *per_call is what each further image call adds to it (the tool call it writes). The basis
 * goes on at more (size bytes left). */
static void estimate_text_part(const ea_prices *p, const ea_params *params, long prompt_tokens,
                               ea_estimate *out, double *per_call, char *more, size_t size)
{
    const char *text_model = params->text_model;
    long reasoning = ea_prices_reasoning_allowance(params->reasoning);
    ea_usage u = {.input_text = prompt_tokens + RESPONSES_INPUT_ALLOWANCE,
                  .output_text = prompt_tokens + RESPONSES_OUTPUT_ALLOWANCE + reasoning};
    ea_usage call = {.output_text = prompt_tokens + RESPONSES_OUTPUT_ALLOWANCE};
    double usd;
    *per_call = 0;
    if (!text_model || !ea_prices_cost(p, text_model, &u, &usd)) {
        snprintf(more, size, "; text model %s not priced", text_model ? text_model : "(none)");
        return;
    }
    if (!ea_prices_cost(p, text_model, &call, per_call))
        *per_call = 0;
    out->text_usd = usd;
    out->usd += usd;
    int k = snprintf(more, size, "; text model %s ~%ld in, ~%ld out tokens", text_model,
                     u.input_text, u.output_text);
    if (reasoning && k > 0 && (size_t)k < size)
        k += snprintf(more + k, size - (size_t)k, " (%ld reasoning at %s)", reasoning,
                      params->reasoning);
    if (params->web_search && k > 0 && (size_t)k < size) {
        double search = ea_prices_search_usd(p, text_model);
        if (!isnan(search)) {
            out->search_usd = search;
            out->usd += search;
        }
        snprintf(more + k, size - (size_t)k, "; 1 web search%s", isnan(search) ? " not priced" : "");
    }
}

double ea_prices_search_usd(const ea_prices *p, const char *text_model)
{
    json_t *v = json_object_get(model_entry(p, text_model), "per_web_search");
    return json_is_number(v) ? json_number_value(v) : NAN;
}

long ea_prices_reasoning_allowance(const char *effort)
{
    static const struct { const char *effort; long tokens; } allowances[] = {
        {"none", 0},      {"minimal", 256},  {"low", 1024},  {"medium", 4096},
        {"high", 12000},  {"xhigh", 24000},  {"max", 32000},
    };
    for (size_t i = 0; effort && i < sizeof allowances / sizeof allowances[0]; i++)
        if (strcmp(allowances[i].effort, effort) == 0)
            return allowances[i].tokens;
    return 0;
}

void ea_prices_estimate(const ea_prices *p, const ea_params *params, ea_estimate *out)
{
    memset(out, 0, sizeof *out);
    json_t *entry = model_entry(p, params->model);
    int w = params->size.kind == EA_SIZE_EXACT ? params->size.w : 1024;
    int h = params->size.kind == EA_SIZE_EXACT ? params->size.h : 1024;
    /* auto lets the model choose; the estimate takes the dearest common quality so that a
     * budget check never lets an auto call through that the real bill would refuse. */
    bool quality_auto = !params->quality || strcmp(params->quality, "auto") == 0;
    const char *quality = quality_auto ? "high" : params->quality;
    const char *quoted = "";
    double per_image = entry ? image_price(entry, w, h, quality, &quoted) : NAN;
    if (isnan(per_image)) {
        snprintf(out->basis, sizeof out->basis, "no price for %s at quality %s in the table",
                 params->model, quality);
        return;
    }
    int n = ea_params_count(params);
    int partials = ea_params_partials(params);
    double image_out = token_price(entry, "image_output");
    double text_in = token_price(entry, "text_input");
    long partial_tokens = ea_prices_partial_tokens(p, params->model);
    out->known = true;
    out->per_image_usd = per_image;
    out->input_tokens = (long)((prompt_chars(params->prompt) + 3) / 4);
    double partial_usd = isnan(image_out) ? 0 : partials * partial_tokens * image_out;
    double prompt_usd = isnan(text_in) ? 0 : out->input_tokens * text_in;
    if (!isnan(image_out) && image_out > 0)
        out->output_tokens = n * (lround(per_image / image_out) + partials * partial_tokens);
    out->usd = n * (per_image + partial_usd) + prompt_usd;
    char size[32];
    snprintf(size, sizeof size, "%dx%d", w, h);
    int k = snprintf(out->basis, sizeof out->basis, "%d x %s %s%s", n,
                     params->size.kind == EA_SIZE_EXACT ? size : "auto (as 1024x1024)",
                     quality_auto ? "auto (as high)" : quality,
                     strcmp(size, quoted) == 0 ? "" : " (scaled by pixels)");
    if (partials && k > 0 && (size_t)k < sizeof out->basis)
        k += snprintf(out->basis + k, sizeof out->basis - (size_t)k, ", %d partial%s%s", partials,
                      partials > 1 ? "s" : "", isnan(image_out) ? " not priced" : "");
    if (k > 0 && (size_t)k < sizeof out->basis)
        k += snprintf(out->basis + k, sizeof out->basis - (size_t)k, ", %ld prompt tokens%s",
                      out->input_tokens, isnan(text_in) ? " not priced" : "");
    if (params->n_images && k > 0 && (size_t)k < sizeof out->basis)
        k += snprintf(out->basis + k, sizeof out->basis - (size_t)k, INPUTS_NOT_COUNTED);
    out->image_usd = out->usd;
    double text_per_call = 0;
    if (params->api == EA_API_RESPONSES && k > 0 && (size_t)k < sizeof out->basis)
        estimate_text_part(p, params, out->input_tokens, out, &text_per_call, out->basis + k,
                           sizeof out->basis - (size_t)k);
    /* Each further image is another call of the image tool (which reads the prompt again)
     * and another tool call the mainline model writes. */
    out->images = n;
    out->images_max = ea_params_images_max(params);
    double per_call = per_image + partial_usd + prompt_usd + text_per_call;
    out->usd_max = out->usd + (out->images_max - n) * per_call;
    k = (int)strlen(out->basis);
    if (out->images_max > n && (size_t)k < sizeof out->basis)
        snprintf(out->basis + k, sizeof out->basis - (size_t)k,
                 "; up to %d images, as many as the model makes: ~$%.4f each after the first",
                 out->images_max, per_call);
}

double ea_estimate_bound(const ea_estimate *e)
{
    return e->known ? e->usd_max : NAN;
}

void ea_estimate_text(const ea_estimate *e, int decimals, char *out, size_t size)
{
    if (!e->known)
        snprintf(out, size, "unknown");
    else if (e->images_max > e->images)
        snprintf(out, size, "$%.*f–$%.*f, up to %d images", decimals, e->usd, decimals,
                 e->usd_max, e->images_max);
    else
        snprintf(out, size, "$%.*f", decimals, e->usd);
}

long ea_prices_input_image_tokens(int w, int h)
{
    long tiles = w > 0 && h > 0 ? (long)((w + 511) / 512) * ((h + 511) / 512) : 0;
    return 65 + 129 * tiles;
}

void ea_prices_add_input_images(const ea_prices *p, const char *model, int images, long tokens,
                                ea_estimate *est)
{
    if (!est->known || images <= 0)
        return;
    /* The note goes; what follows it (a Responses call's text part) stays. */
    char *note = strstr(est->basis, INPUTS_NOT_COUNTED);
    if (note) {
        size_t cut = strlen(INPUTS_NOT_COUNTED);
        memmove(note, note + cut, strlen(note + cut) + 1);
    }
    double price = token_price(model_entry(p, model), "image_input");
    if (!isnan(price)) {
        est->usd += tokens * price;
        est->image_usd += tokens * price;
        /* Every further call of the image tool reads them again. */
        est->usd_max += tokens * price * (1 + est->images_max - est->images);
    }
    size_t k = strlen(est->basis);
    snprintf(est->basis + k, sizeof est->basis - k, ", %d input image%s %ld tokens%s", images,
             images == 1 ? "" : "s", tokens, isnan(price) ? " not priced" : "");
}

bool ea_prices_cost(const ea_prices *p, const char *model, const ea_usage *u, double *usd)
{
    json_t *entry = model_entry(p, model);
    if (!entry)
        return false;
    const struct { const char *kind; long tokens; } parts[] = {
        {"text_input", u->input_text},     {"text_input_cached", u->input_text_cached},
        {"image_input", u->input_image},   {"image_input_cached", u->input_image_cached},
        {"image_output", u->output_image}, {"text_output", u->output_text},
    };
    double sum = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i].tokens)
            continue;
        double price = token_price(entry, parts[i].kind);
        if (isnan(price))
            return false;
        sum += parts[i].tokens * price;
    }
    *usd = sum;
    return true;
}

void ea_prices_call_cost(const ea_prices *p, const char *model, const char *text_model,
                         const ea_meters *m, double image_estimate_usd, ea_cost *out)
{
    out->usd = out->text_usd = out->image_usd = out->search_usd = NAN;
    out->image_estimated = false;
    double usd;
    if (!text_model) {
        if (m->has_usage && ea_prices_cost(p, model, &m->usage, &usd))
            out->usd = out->image_usd = usd;
        return;
    }
    if (m->has_usage && ea_prices_cost(p, text_model, &m->usage, &usd))
        out->text_usd = usd;
    if (m->has_tool_usage && ea_prices_cost(p, model, &m->tool_usage, &usd)) {
        out->image_usd = usd;
    } else if (!isnan(image_estimate_usd)) {
        out->image_usd = image_estimate_usd;
        out->image_estimated = true;
    }
    /* Searches are billed per call, at the text model's per-search price. */
    double per_search = ea_prices_search_usd(p, text_model);
    if (m->web_searches > 0 && !isnan(per_search))
        out->search_usd = m->web_searches * per_search;
    if (!isnan(out->text_usd) || !isnan(out->image_usd))
        out->usd = (isnan(out->text_usd) ? 0 : out->text_usd) +
                   (isnan(out->image_usd) ? 0 : out->image_usd) +
                   (isnan(out->search_usd) ? 0 : out->search_usd);
}
