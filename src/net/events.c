/* SPDX-License-Identifier: MIT */
/* Typed events from the Images and Responses APIs (protocol.md sections 3 to 6).
 *
 * Every field is optional to this decoder: the SPEC's "required" lags the live API both ways,
 * so a missing field becomes "" or -1 and the caller decides whether it can do without it.
 * Strings are copied out while the jansson tree is alive, and the tree is released before
 * returning: no reference count escapes this file. The images' base64 never enters the tree
 * (see "image payloads" below). */
#include "easel/events.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "easel/buf.h"

/* ---- image payloads, kept out of jansson ----
 *
 * A final image is up to 44 MB of base64 in one JSON string. Given to jansson it would be
 * copied into the tree, then out of it: three copies alive at once with the SSE parser's.
 * So the payloads are lifted out first. A lexical scan, which skips every string whole (so
 * text inside a prompt is never taken for a key), finds each string value of a key named
 * b64_json, partial_image_b64 or result, at any depth; jansson then parses a small copy of
 * the JSON in which each of those values is replaced by its index among the lifted payloads
 * ("0", "1"...). As every string under those keys is then such an index, decode_image turns
 * it back into a span of the original text without ambiguity. A payload in which the JSON
 * escaped a character (legal, though no server does it: "\/") is unescaped into a copy.
 * The payload's characters are checked by the base64 decoder, not by jansson. */

static const char *const image_payload_keys[] = {"b64_json", "partial_image_b64", "result"};

typedef struct payload {
    const char *at; /* into the original JSON, or into owned */
    size_t len;
    char *owned;    /* the unescaped copy when the JSON had escapes, else NULL */
} payload;

typedef struct lifted {
    ea_buf rest;    /* the JSON with each payload replaced by its index; empty if none */
    payload *payloads;
    size_t n;
} lifted;

static void lifted_free(lifted *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->payloads[i].owned);
    free(l->payloads);
    ea_buf_free(&l->rest);
}

static size_t skip_space(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* The index of the quote that closes the string opened at s[open], or len if none does. */
static size_t string_end(const char *s, size_t len, size_t open)
{
    size_t from = open + 1;
    for (;;) {
        const char *quote = from < len ? memchr(s + from, '"', len - from) : NULL;
        if (!quote)
            return len;
        size_t at = (size_t)(quote - s);
        size_t backslashes = 0;
        while (at - backslashes > open + 1 && s[at - backslashes - 1] == '\\')
            backslashes++;
        if (backslashes % 2 == 0) /* an odd count escapes the quote */
            return at;
        from = at + 1;
    }
}

/* A string token, quotes included, as jansson reads it; NULL if it is not valid JSON. */
static json_t *unescape(const char *token, size_t n)
{
    json_t *v = json_loadb(token, n, JSON_DECODE_ANY, NULL);
    if (!json_is_string(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static bool is_payload_key(const char *token, size_t n)
{
    const char *name = token + 1;
    size_t name_len = n - 2;
    json_t *unescaped = NULL;
    if (memchr(name, '\\', name_len)) {
        unescaped = unescape(token, n);
        if (!unescaped)
            return false;
        name = json_string_value(unescaped);
        name_len = json_string_length(unescaped);
    }
    bool found = false;
    for (size_t i = 0; !found && i < sizeof image_payload_keys / sizeof *image_payload_keys; i++)
        found = strlen(image_payload_keys[i]) == name_len &&
                memcmp(image_payload_keys[i], name, name_len) == 0;
    json_decref(unescaped);
    return found;
}

/* Records the string token json[open..close] as the next payload and puts its index in the
 * copy instead. Returns 0, 1 when the token is not valid JSON (then it stays, for jansson to
 * reject), or -1 when out of memory. */
static int lift(lifted *l, const char *json, size_t copied, size_t open, size_t close)
{
    payload p = {json + open + 1, close - open - 1, NULL};
    if (memchr(p.at, '\\', p.len)) {
        json_t *v = unescape(json + open, close - open + 1);
        if (!v)
            return 1;
        p.len = json_string_length(v);
        p.owned = malloc(p.len + 1);
        if (p.owned)
            memcpy(p.owned, json_string_value(v), p.len + 1);
        json_decref(v);
        if (!p.owned)
            return -1;
        p.at = p.owned;
    }
    payload *grown = realloc(l->payloads, (l->n + 1) * sizeof *grown);
    if (!grown) {
        free(p.owned);
        return -1;
    }
    l->payloads = grown;
    l->payloads[l->n++] = p;
    if (ea_buf_append(&l->rest, json + copied, open - copied) != 0 ||
        ea_buf_printf(&l->rest, "\"%zu\"", l->n - 1) != 0)
        return -1;
    return 0;
}

/* Fills l (see above). Returns 0, or -1 when out of memory. Malformed JSON is not an error
 * here: the scan stops, and jansson reports it. */
static int lift_payloads(const char *json, size_t len, lifted *l)
{
    memset(l, 0, sizeof *l);
    ea_buf_init(&l->rest, EA_BUF_UNCAPPED);
    size_t copied = 0; /* json[0..copied) is in l->rest already */
    size_t from = 0;
    const char *quote;
    while (from < len && (quote = memchr(json + from, '"', len - from)) != NULL) {
        size_t open = (size_t)(quote - json);
        size_t close = string_end(json, len, open);
        if (close == len)
            break;
        from = close + 1;
        size_t colon = skip_space(json, len, from);
        if (colon == len || json[colon] != ':' || !is_payload_key(json + open, close - open + 1))
            continue;
        size_t value = skip_space(json, len, colon + 1);
        if (value == len || json[value] != '"')
            continue; /* null, a number...: jansson's to judge, decode_image ignores it */
        size_t value_end = string_end(json, len, value);
        if (value_end == len)
            break;
        from = value_end + 1;
        int rc = lift(l, json, copied, value, value_end);
        if (rc < 0)
            return -1;
        if (rc == 0)
            copied = value_end + 1;
    }
    if (l->n > 0 && ea_buf_append(&l->rest, json + copied, len - copied) != 0)
        return -1;
    return 0;
}

/* Copying strings can fail part way; the decoder notes it once and the caller of the whole
 * decode checks it at the end, instead of every helper returning a status. */
typedef struct decoder {
    bool out_of_memory;
    lifted *payloads;
} decoder;

static char *copy_string(decoder *d, const char *s)
{
    char *copy = strdup(s ? s : "");
    if (!copy)
        d->out_of_memory = true;
    return copy;
}

/* The string at obj[key], or "" when obj is not an object or the value is absent, null or not
 * a string. */
static char *copy_field(decoder *d, const json_t *obj, const char *key)
{
    return copy_string(d, json_string_value(json_object_get(obj, key)));
}

/* An id the server names an object by (resp_..., ig_...): easel puts it in URL paths
 * (/responses/ID), on the terminal and in file names, so one that is not a plain token of
 * letters, digits, '_', '-' and '.' is taken as absent (""), never passed on. */
static char *copy_id(decoder *d, const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    size_t n = s ? strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
                 : 0;
    return copy_string(d, s && n > 0 && n <= 256 && s[n] == '\0' && s[0] != '.' ? s : "");
}

/* Like copy_field, but falls back on fallback[key]: per-image fields of a non-streamed Images
 * body (size, quality...) sit next to data[], not inside each entry. */
static char *copy_field_or(decoder *d, const json_t *obj, const json_t *fallback, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s)
        s = json_string_value(json_object_get(fallback, key));
    return copy_string(d, s);
}

static long get_long(const json_t *obj, const char *key, long absent)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_real(v)) {
        /* Converting a double outside long's range is undefined: 1e300 is "absent" too. */
        double r = json_real_value(v);
        return r > -9.2e18 && r < 9.2e18 ? (long)r : absent;
    }
    return absent;
}

static bool is_type(const json_t *obj, const char *type)
{
    const char *t = json_string_value(json_object_get(obj, "type"));
    return t && strcmp(t, type) == 0;
}

/* A string under a payload key: the index of a lifted payload, which the image borrows (or,
 * unescaped, takes over). */
static bool take_payload(decoder *d, const json_t *index, ea_event_image *img)
{
    const char *digits = json_string_value(index);
    size_t i = 0;
    if (!digits || !*digits)
        return false;
    for (; *digits; digits++) {
        if (*digits < '0' || *digits > '9' || i > d->payloads->n)
            return false;
        i = i * 10 + (size_t)(*digits - '0');
    }
    if (i >= d->payloads->n)
        return false; /* not an index of ours: lift_payloads replaced every such string */
    payload *p = &d->payloads->payloads[i];
    img->b64 = p->len ? p->at : "";
    img->b64_len = p->len;
    img->b64_unescaped = p->owned;
    p->owned = NULL;
    return true;
}

/* The base64 comes under a different key in each shape; the first one present wins. */
static void decode_image(decoder *d, const json_t *obj, const json_t *fallback,
                         ea_event_image *img)
{
    img->b64 = "";
    img->b64_len = 0;
    bool found = false;
    for (size_t i = 0; !found && i < sizeof image_payload_keys / sizeof *image_payload_keys;
         i++)
        found = take_payload(d, json_object_get(obj, image_payload_keys[i]), img);
    img->partial_index = (int)get_long(obj, "partial_image_index", -1);
    img->call_id = is_type(obj, "image_generation_call") ? copy_id(d, obj, "id")
                                                         : copy_string(d, "");
    img->status = copy_field(d, obj, "status");
    img->revised_prompt = copy_field(d, obj, "revised_prompt");
    img->size = copy_field_or(d, obj, fallback, "size");
    img->quality = copy_field_or(d, obj, fallback, "quality");
    img->background = copy_field_or(d, obj, fallback, "background");
    img->output_format = copy_field_or(d, obj, fallback, "output_format");
    img->action = copy_field(d, obj, "action");
}

static void free_image(ea_event_image *img)
{
    free(img->b64_unescaped);
    free(img->call_id);
    free(img->status);
    free(img->revised_prompt);
    free(img->size);
    free(img->quality);
    free(img->background);
    free(img->output_format);
    free(img->action);
}

/* Appends one decoded image to ev->images. */
static void add_image(decoder *d, ea_event *ev, const json_t *obj, const json_t *fallback)
{
    ea_event_image *grown = realloc(ev->images, (ev->n_images + 1) * sizeof *grown);
    if (!grown) {
        d->out_of_memory = true;
        return;
    }
    ev->images = grown;
    ea_event_image *img = &ev->images[ev->n_images++];
    memset(img, 0, sizeof *img);
    decode_image(d, obj, fallback, img);
}

/* One image per image_generation_call in a Responses output[] array. */
static void add_image_calls(decoder *d, ea_event *ev, const json_t *output)
{
    size_t i;
    const json_t *item;
    json_array_foreach(output, i, item) {
        if (is_type(item, "image_generation_call"))
            add_image(d, ev, item, NULL);
    }
}

/* Appends one web search: id and status, and the query of a web_search_call item's action. */
static void add_search(decoder *d, ea_event *ev, const char *id, const char *status,
                       const json_t *item)
{
    ea_event_search *grown = realloc(ev->searches, (ev->n_searches + 1) * sizeof *grown);
    if (!grown) {
        d->out_of_memory = true;
        return;
    }
    ev->searches = grown;
    ea_event_search *s = &ev->searches[ev->n_searches++];
    s->id = copy_string(d, id);
    s->status = copy_string(d, status);
    s->query = copy_field(d, json_object_get(item, "action"), "query");
}

static void add_search_item(decoder *d, ea_event *ev, const json_t *item)
{
    add_search(d, ev, json_string_value(json_object_get(item, "id")),
               json_string_value(json_object_get(item, "status")), item);
}

/* Appends s to ev->text, a paragraph apart from what is there. */
static void append_text(decoder *d, ea_event *ev, const char *s)
{
    if (!s || !*s || !ev->text)
        return;
    size_t have = strlen(ev->text), add = strlen(s);
    char *grown = realloc(ev->text, have + add + 3);
    if (!grown) {
        d->out_of_memory = true;
        return;
    }
    memcpy(grown + have, have ? "\n\n" : "", have ? 2 : 0);
    memcpy(grown + have + (have ? 2 : 0), s, add + 1);
    ev->text = grown;
}

/* A whole Response's web searches and reasoning summary, from its output[]. */
static void add_thinking(decoder *d, ea_event *ev, const json_t *output)
{
    size_t i, k;
    const json_t *item, *part;
    json_array_foreach(output, i, item) {
        if (is_type(item, "web_search_call"))
            add_search_item(d, ev, item);
        if (is_type(item, "reasoning"))
            json_array_foreach(json_object_get(item, "summary"), k, part)
                append_text(d, ev, json_string_value(json_object_get(part, "text")));
    }
}

enum usage_shape { USAGE_IMAGES, USAGE_RESPONSES };

/* Fills *u and *total from a usage object; false, changing nothing, when it is not one. */
static bool decode_usage_into(const json_t *usage, enum usage_shape shape, ea_usage *u,
                              long *total)
{
    if (!json_is_object(usage))
        return false;
    const json_t *in_details = json_object_get(usage, "input_tokens_details");
    const json_t *out_details = json_object_get(usage, "output_tokens_details");
    long input = get_long(usage, "input_tokens", 0);
    long output = get_long(usage, "output_tokens", 0);
    memset(u, 0, sizeof *u);
    if (shape == USAGE_IMAGES) {
        if (json_is_object(in_details)) {
            u->input_text = get_long(in_details, "text_tokens", 0);
            u->input_image = get_long(in_details, "image_tokens", 0);
        } else {
            u->input_text = input;
        }
        if (json_is_object(out_details)) {
            u->output_image = get_long(out_details, "image_tokens", 0);
            u->output_text = get_long(out_details, "text_tokens", 0);
        } else {
            u->output_image = output;
        }
    } else {
        long cached = get_long(in_details, "cached_tokens", 0);
        u->input_text = input > cached ? input - cached : 0;
        u->input_text_cached = cached;
        u->output_text = output;
        u->output_reasoning = get_long(out_details, "reasoning_tokens", 0);
    }
    *total = get_long(usage, "total_tokens", input + output);
    return true;
}

static void decode_usage(const json_t *usage, enum usage_shape shape, ea_event *ev)
{
    if (decode_usage_into(usage, shape, &ev->usage, &ev->total_tokens))
        ev->has_usage = true;
}

/* The smaller of a and b, but never below 0. */
static long at_most(long a, long b)
{
    long v = a < b ? a : b;
    return v > 0 ? v : 0;
}

/* tool_usage of a Response: image_gen is the image model's own meter, in the Images API's
 * shape plus cached tokens, which input_tokens includes. */
static void decode_tool_usage(const json_t *tool_usage, ea_event *ev)
{
    const json_t *image_gen = json_object_get(tool_usage, "image_gen");
    ea_usage *u = &ev->tool_usage;
    if (!decode_usage_into(image_gen, USAGE_IMAGES, u, &ev->tool_total_tokens))
        return;
    const json_t *details = json_object_get(image_gen, "cached_tokens_details");
    long cached = get_long(image_gen, "cached_tokens", 0);
    long cached_text = json_is_object(details) ? get_long(details, "cached_text_tokens", 0)
                                               : at_most(cached, u->input_text);
    long cached_image = json_is_object(details) ? get_long(details, "cached_image_tokens", 0)
                                                : at_most(cached - cached_text, u->input_image);
    cached_text = at_most(cached_text, u->input_text);
    cached_image = at_most(cached_image, u->input_image);
    u->input_text -= cached_text;
    u->input_text_cached = cached_text;
    u->input_image -= cached_image;
    u->input_image_cached = cached_image;
    ev->web_searches = get_long(json_object_get(tool_usage, "web_search"), "num_requests", 0);
    ev->has_tool_usage = true;
}

static void free_error(ea_event_error *e)
{
    free(e->type);
    free(e->code);
    free(e->message);
    free(e->param);
    free(e->filtered);
    memset(e, 0, sizeof *e);
}

/* Azure's content filter block: {code: content_filter, innererror: {code:
 * ResponsibleAIPolicyViolation, content_filter_result: {CATEGORY: {filtered, severity}}}}
 * (protocol.md section 7); older Azure image models say contentFilter. The categories it
 * filtered, or NULL when obj is not such a block. */
static char *filter_categories(decoder *d, const json_t *obj)
{
    const char *code = json_string_value(json_object_get(obj, "code"));
    const json_t *inner = json_object_get(obj, "innererror");
    const char *inner_code = json_string_value(json_object_get(inner, "code"));
    if (!(code && (strcmp(code, "content_filter") == 0 || strcmp(code, "contentFilter") == 0)) &&
        !(inner_code && strcmp(inner_code, "ResponsibleAIPolicyViolation") == 0))
        return NULL;
    char list[256] = "";
    size_t at = 0;
    const char *name;
    const json_t *verdict;
    json_object_foreach((json_t *)json_object_get(inner, "content_filter_result"), name, verdict)
        if (json_is_true(json_object_get(verdict, "filtered")) && at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", at ? ", " : "", name);
    return copy_string(d, at ? list : "content");
}

/* type_key names the field that holds the error's type, or is NULL when the object has none
 * (in the flat error event, "type" says only "error"). */
static void decode_error(decoder *d, const json_t *obj, const char *type_key, ea_event *ev)
{
    free_error(&ev->error); /* the last error found wins */
    ev->has_error = true;
    ev->error.type = type_key ? copy_field(d, obj, type_key) : copy_string(d, "");
    ev->error.code = copy_field(d, obj, "code");
    ev->error.message = copy_field(d, obj, "message");
    ev->error.param = copy_field(d, obj, "param");
    ev->error.filtered = filter_categories(d, obj);
    if (!ev->error.filtered)
        ev->error.filtered = copy_string(d, "");
}

/* The nested shape {type:"error", error:{type,code,message,param}} when "error" is an object;
 * otherwise the flat shape {type:"error",code,message,param}. */
static void decode_error_event(decoder *d, const json_t *root, ea_event *ev)
{
    const json_t *nested = json_object_get(root, "error");
    if (json_is_object(nested))
        decode_error(d, nested, "type", ev);
    else
        decode_error(d, root, NULL, ev);
}

/* A Response object: in response.* events, in a non-streamed body, in response.failed. */
static void decode_response(decoder *d, const json_t *resp, ea_event *ev)
{
    free(ev->response_id);
    free(ev->response_status);
    ev->response_id = copy_id(d, resp, "id");
    ev->response_status = copy_field(d, resp, "status");
    if (ev->created == 0)
        ev->created = get_long(resp, "created_at", 0);
    add_image_calls(d, ev, json_object_get(resp, "output"));
    add_thinking(d, ev, json_object_get(resp, "output"));
    decode_usage(json_object_get(resp, "usage"), USAGE_RESPONSES, ev);
    decode_tool_usage(json_object_get(resp, "tool_usage"), ev);
    const json_t *error = json_object_get(resp, "error");
    if (json_is_object(error))
        decode_error(d, error, "type", ev);
    free(ev->incomplete_reason);
    ev->incomplete_reason = copy_field(d, json_object_get(resp, "incomplete_details"), "reason");
}

static const struct {
    const char *type;
    ea_event_kind kind;
} event_types[] = {
    {"image_generation.partial_image", EA_EV_PARTIAL_IMAGE},
    {"image_edit.partial_image", EA_EV_PARTIAL_IMAGE},
    {"response.image_generation_call.partial_image", EA_EV_PARTIAL_IMAGE},
    {"image_generation.completed", EA_EV_IMAGE_COMPLETED},
    {"image_edit.completed", EA_EV_IMAGE_COMPLETED},
    {"response.created", EA_EV_RESPONSE_CREATED},
    {"response.in_progress", EA_EV_RESPONSE_IN_PROGRESS},
    {"response.output_item.added", EA_EV_OUTPUT_ITEM_ADDED},
    {"response.image_generation_call.in_progress", EA_EV_CALL_IN_PROGRESS},
    {"response.image_generation_call.generating", EA_EV_CALL_GENERATING},
    {"response.image_generation_call.completed", EA_EV_CALL_COMPLETED},
    {"response.output_item.done", EA_EV_OUTPUT_ITEM_DONE},
    {"response.completed", EA_EV_RESPONSE_COMPLETED},
    {"response.failed", EA_EV_RESPONSE_FAILED},
    {"response.incomplete", EA_EV_RESPONSE_INCOMPLETE},
    {"error", EA_EV_ERROR},
    {"response.reasoning_summary_part.added", EA_EV_REASONING_PART},
    {"response.reasoning_summary_text.delta", EA_EV_REASONING_DELTA},
    {"response.reasoning_summary_text.done", EA_EV_REASONING_DONE},
    {"response.web_search_call.in_progress", EA_EV_WEB_SEARCH},
    {"response.web_search_call.searching", EA_EV_WEB_SEARCH},
    {"response.web_search_call.completed", EA_EV_WEB_SEARCH},
};

static ea_event_kind kind_of_type(const char *type)
{
    for (size_t i = 0; i < sizeof event_types / sizeof *event_types; i++) {
        if (strcmp(event_types[i].type, type) == 0)
            return event_types[i].kind;
    }
    return EA_EV_OTHER;
}

static ea_event *new_event(decoder *d)
{
    ea_event *ev = calloc(1, sizeof *ev);
    if (!ev) {
        d->out_of_memory = true;
        return NULL;
    }
    ev->sequence_number = -1;
    ev->output_index = -1;
    ev->type = copy_string(d, "");
    ev->item_id = copy_string(d, "");
    ev->item_type = copy_string(d, "");
    ev->response_id = copy_string(d, "");
    ev->response_status = copy_string(d, "");
    ev->incomplete_reason = copy_string(d, "");
    ev->text = copy_string(d, "");
    /* "" even without an error: a response.failed whose response has no error object still
     * reaches the caller's error path, which reads these strings. */
    ev->error.type = copy_string(d, "");
    ev->error.code = copy_string(d, "");
    ev->error.message = copy_string(d, "");
    ev->error.param = copy_string(d, "");
    ev->error.filtered = copy_string(d, "");
    return ev;
}

static void decode_stream_event(decoder *d, const char *event_name, const json_t *root,
                                ea_event *ev)
{
    free(ev->type);
    ev->type = copy_field(d, root, "type");
    ev->kind = ev->type ? kind_of_type(ev->type) : EA_EV_OTHER;
    ev->sequence_number = get_long(root, "sequence_number", -1);
    ev->output_index = get_long(root, "output_index", -1);
    ev->created = get_long(root, "created_at", get_long(root, "created", 0));
    free(ev->item_id);
    ev->item_id = copy_field(d, root, "item_id");

    /* NODE's rule: `event: error`, or an "error" object anywhere at the top, is an error. */
    if ((event_name && strcmp(event_name, "error") == 0) ||
        json_is_object(json_object_get(root, "error")))
        ev->kind = EA_EV_ERROR;

    const json_t *item = json_object_get(root, "item");
    const json_t *response = json_object_get(root, "response");
    switch (ev->kind) {
    case EA_EV_PARTIAL_IMAGE:
        add_image(d, ev, root, NULL);
        break;
    case EA_EV_IMAGE_COMPLETED:
        add_image(d, ev, root, NULL);
        decode_usage(json_object_get(root, "usage"), USAGE_IMAGES, ev);
        break;
    case EA_EV_OUTPUT_ITEM_ADDED:
    case EA_EV_OUTPUT_ITEM_DONE:
        free(ev->item_id);
        free(ev->item_type);
        ev->item_id = copy_id(d, item, "id");
        ev->item_type = copy_field(d, item, "type");
        if (is_type(item, "image_generation_call")) {
            add_image(d, ev, item, NULL);
            /* A failed call carries its own error {code, message} (npm 7.57). */
            const json_t *call_error = json_object_get(item, "error");
            if (json_is_object(call_error))
                decode_error(d, call_error, "type", ev);
        }
        if (is_type(item, "web_search_call"))
            add_search_item(d, ev, item);
        break;
    case EA_EV_REASONING_DELTA:
        free(ev->text);
        ev->text = copy_field(d, root, "delta");
        break;
    case EA_EV_REASONING_DONE:
        free(ev->text);
        ev->text = copy_field(d, root, "text");
        break;
    case EA_EV_WEB_SEARCH:
        /* The stage is the type's last word: response.web_search_call.searching. */
        add_search(d, ev, ev->item_id, strrchr(ev->type, '.') + 1, NULL);
        break;
    case EA_EV_ERROR:
        decode_error_event(d, root, ev);
        break;
    default:
        /* response.created, .completed, .failed, .incomplete, and unknown response.* events
         * alike: whatever Response object there is. */
        if (json_is_object(response))
            decode_response(d, response, ev);
        break;
    }
}

/* A non-streamed body is mapped onto the streamed event that carries the same content, so
 * that callers handle both through one switch. */
static void decode_body(decoder *d, const json_t *root, ea_event *ev)
{
    const json_t *data = json_object_get(root, "data");
    const json_t *error = json_object_get(root, "error");
    const char *object = json_string_value(json_object_get(root, "object"));
    bool is_response = (object && strcmp(object, "response") == 0) ||
                       json_is_array(json_object_get(root, "output"));

    ev->created = get_long(root, "created", get_long(root, "created_at", 0));
    if (is_response) {
        decode_response(d, root, ev);
        /* A background response is answered (and polled) before it is over: queued and
         * in_progress read as the events that say so; cancelled is its own word (the
         * response_status), not a completion. */
        const char *status = ev->response_status ? ev->response_status : "";
        if (strcmp(status, "failed") == 0)
            ev->kind = EA_EV_RESPONSE_FAILED;
        else if (strcmp(status, "incomplete") == 0)
            ev->kind = EA_EV_RESPONSE_INCOMPLETE;
        else if (strcmp(status, "queued") == 0)
            ev->kind = EA_EV_RESPONSE_CREATED;
        else if (strcmp(status, "in_progress") == 0)
            ev->kind = EA_EV_RESPONSE_IN_PROGRESS;
        else if (strcmp(status, "cancelled") == 0)
            ev->kind = EA_EV_OTHER;
        else
            ev->kind = EA_EV_RESPONSE_COMPLETED;
    } else if (json_is_object(error)) {
        ev->kind = EA_EV_ERROR;
        decode_error(d, error, "type", ev);
    } else if (json_is_array(data)) {
        ev->kind = EA_EV_IMAGE_COMPLETED;
        size_t i;
        const json_t *entry;
        json_array_foreach(data, i, entry) {
            add_image(d, ev, entry, root);
        }
        decode_usage(json_object_get(root, "usage"), USAGE_IMAGES, ev);
    } else {
        ev->kind = EA_EV_OTHER;
    }
}

/* Shared by both entry points: lift the payloads out, parse the rest, check it is an object,
 * decode, release the tree. */
static ea_event *parse_json(const char *event_name, const char *json, size_t len, bool body,
                            ea_err *err)
{
    const char *what = body ? "response body" : "event";
    lifted payloads;
    if (lift_payloads(json, len, &payloads) != 0) {
        lifted_free(&payloads);
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory decoding %s", what);
        return NULL;
    }
    bool lifted_some = payloads.n > 0;
    json_error_t jerr;
    json_t *root = lifted_some ? json_loadb(payloads.rest.data, payloads.rest.len, 0, &jerr)
                               : json_loadb(json, len, 0, &jerr);
    ea_event *ev = NULL;
    if (!root) {
        /* Columns count in the text jansson saw, where each payload is a short index. */
        ea_err_set(err, EA_EXIT_NETWORK, "malformed JSON in %s%s at line %d, column %d: %s",
                   what, lifted_some ? " (image data left out)" : "", jerr.line, jerr.column,
                   jerr.text);
    } else if (!json_is_object(root)) {
        ea_err_set(err, EA_EXIT_NETWORK, "%s is JSON but not an object", what);
    } else {
        decoder d = {false, &payloads};
        ev = new_event(&d);
        if (ev) {
            if (body)
                decode_body(&d, root, ev);
            else
                decode_stream_event(&d, event_name, root, ev);
        }
        if (d.out_of_memory) {
            ea_event_free(&ev);
            ea_err_set(err, EA_EXIT_INTERNAL, "out of memory decoding %s", what);
        }
    }
    json_decref(root);
    lifted_free(&payloads);
    return ev;
}

ea_event *ea_event_parse(const char *event_name, const char *json, size_t len, ea_err *err)
{
    return parse_json(event_name, json, len, false, err);
}

ea_event *ea_event_parse_body(const char *json, size_t len, ea_err *err)
{
    return parse_json(NULL, json, len, true, err);
}

void ea_event_free(ea_event **pev)
{
    if (!pev || !*pev)
        return;
    ea_event *ev = *pev;
    free(ev->type);
    free(ev->item_id);
    free(ev->item_type);
    free(ev->response_id);
    free(ev->response_status);
    free(ev->incomplete_reason);
    for (size_t i = 0; i < ev->n_images; i++)
        free_image(&ev->images[i]);
    free(ev->images);
    free(ev->text);
    for (size_t i = 0; i < ev->n_searches; i++) {
        free(ev->searches[i].id);
        free(ev->searches[i].status);
        free(ev->searches[i].query);
    }
    free(ev->searches);
    free_error(&ev->error);
    free(ev);
    *pev = NULL;
}

const char *ea_event_kind_name(ea_event_kind kind)
{
    switch (kind) {
    case EA_EV_OTHER: return "other";
    case EA_EV_PARTIAL_IMAGE: return "partial_image";
    case EA_EV_REASONING_PART: return "reasoning_part";
    case EA_EV_REASONING_DELTA: return "reasoning_delta";
    case EA_EV_REASONING_DONE: return "reasoning_done";
    case EA_EV_WEB_SEARCH: return "web_search";
    case EA_EV_IMAGE_COMPLETED: return "image_completed";
    case EA_EV_RESPONSE_CREATED: return "response_created";
    case EA_EV_RESPONSE_IN_PROGRESS: return "response_in_progress";
    case EA_EV_OUTPUT_ITEM_ADDED: return "output_item_added";
    case EA_EV_CALL_IN_PROGRESS: return "call_in_progress";
    case EA_EV_CALL_GENERATING: return "call_generating";
    case EA_EV_CALL_COMPLETED: return "call_completed";
    case EA_EV_OUTPUT_ITEM_DONE: return "output_item_done";
    case EA_EV_RESPONSE_COMPLETED: return "response_completed";
    case EA_EV_RESPONSE_FAILED: return "response_failed";
    case EA_EV_RESPONSE_INCOMPLETE: return "response_incomplete";
    case EA_EV_ERROR: return "error";
    }
    return "?";
}

/* ---- base64 ---- */

static bool is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The shape of a base64 text, checked: its characters that carry bits, whole quads first. */
typedef struct b64_shape {
    const char *at;     /* past leading whitespace */
    size_t whole;       /* characters in whole quads, decoded by EVP */
    size_t tail;        /* 0, or 2 or 3 characters of an unfinished last quad */
    size_t decoded_len;
} b64_shape;

/* EVP_DecodeBlock decodes whole quads only, counts '=' padding as zero bytes in its return
 * value, and accepts '=' anywhere ("Zg==Zg==", "===="). So the checks it skips happen here:
 * the input is trimmed, '=' may only end it, and the true length comes from the padding. */
static int b64_measure(const char *b64, size_t len, size_t max_bytes, b64_shape *shape,
                       ea_err *err)
{
    while (len > 0 && is_ascii_space(*b64)) {
        b64++;
        len--;
    }
    while (len > 0 && is_ascii_space(b64[len - 1]))
        len--;

    size_t padding = 0;
    while (padding < len && padding < 3 && b64[len - 1 - padding] == '=')
        padding++;
    size_t body = len - padding;   /* the characters that carry bits */
    size_t tail = body % 4;
    bool padded_ok = padding == 0 || (len % 4 == 0 && padding == (4 - tail) % 4);
    if (padding > 2 || tail == 1 || !padded_ok || memchr(b64, '=', body))
        return ea_err_set(err, EA_EXIT_NETWORK, "invalid base64 (bad length or padding)");

    shape->at = b64;
    shape->tail = tail;
    shape->whole = body - tail;
    shape->decoded_len = shape->whole / 4 * 3 + (tail ? tail - 1 : 0);
    if (shape->decoded_len > max_bytes)
        return ea_err_set(err, EA_EXIT_NETWORK, "base64 payload of %zu bytes exceeds the limit of %zu",
                          shape->decoded_len, max_bytes);
    if (shape->whole > INT32_MAX)
        return ea_err_set(err, EA_EXIT_NETWORK, "base64 payload too large to decode");
    return 0;
}

/* EVP trims whitespace at the ends of what it is given: whitespace just before an unfinished
 * last quad would shorten its output and leave bytes unwritten, so the count it decoded must
 * be the count expected. */
static bool decode_quads(unsigned char *out, const char *b64, size_t n)
{
    return EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n) == (int)(n / 4 * 3);
}

/* The unfinished last quad's tail - 1 bytes, padded for EVP. */
static bool decode_tail(unsigned char *out, const b64_shape *shape)
{
    unsigned char quad[4] = {'=', '=', '=', '='};
    unsigned char three[3];
    memcpy(quad, shape->at + shape->whole, shape->tail);
    if (EVP_DecodeBlock(three, quad, 4) < 0)
        return false;
    memcpy(out, three, shape->tail - 1);
    return true;
}

static int invalid_base64(ea_err *err)
{
    return ea_err_set(err, EA_EXIT_NETWORK, "invalid base64 (a character outside the alphabet)");
}

int ea_base64_decode(const char *b64, size_t len, size_t max_bytes, unsigned char **out,
                     size_t *out_len, ea_err *err)
{
    *out = NULL;
    *out_len = 0;
    b64_shape shape;
    if (b64_measure(b64, len, max_bytes, &shape, err) != 0)
        return -1;
    /* +3: EVP writes the zero bytes of a padded last quad; +1: the NUL. */
    unsigned char *bytes = malloc(shape.decoded_len + 4);
    if (!bytes)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory decoding base64");
    if ((shape.whole > 0 && !decode_quads(bytes, shape.at, shape.whole)) ||
        (shape.tail && !decode_tail(bytes + shape.whole / 4 * 3, &shape))) {
        free(bytes);
        return invalid_base64(err);
    }
    bytes[shape.decoded_len] = '\0';
    *out = bytes;
    *out_len = shape.decoded_len;
    return 0;
}

/* Chunk by chunk through a small bounce buffer: EVP is not promised to work in place, but a
 * chunk's output, 3/4 of its input's size, always lands below the input not yet read. */
int ea_base64_decode_in_place(char *b64, size_t len, size_t max_bytes, unsigned char **out,
                              size_t *out_len, ea_err *err)
{
    enum { CHUNK = 16 * 1024 }; /* characters, a whole number of quads */
    *out = NULL;
    *out_len = 0;
    b64_shape shape;
    if (b64_measure(b64, len, max_bytes, &shape, err) != 0)
        return -1;
    unsigned char *bytes = (unsigned char *)b64;
    unsigned char tail[3];
    if (shape.tail && !decode_tail(tail, &shape)) /* first: the chunks write over it */
        return invalid_base64(err);
    unsigned char bounce[CHUNK / 4 * 3];
    for (size_t done = 0; done < shape.whole; done += CHUNK) {
        size_t n = shape.whole - done < CHUNK ? shape.whole - done : CHUNK;
        if (!decode_quads(bounce, shape.at + done, n))
            return invalid_base64(err);
        memcpy(bytes + done / 4 * 3, bounce, n / 4 * 3);
    }
    if (shape.tail)
        memcpy(bytes + shape.whole / 4 * 3, tail, shape.tail - 1);
    *out = bytes;
    *out_len = shape.decoded_len;
    return 0;
}
