/* SPDX-License-Identifier: MIT */
/* mock/request.c: a request body into a checked job. Every field goes through the parameter
 * model (ea_param_by_wire + ea_params_set, then ea_params_resolve), so the mock refuses exactly
 * what easel itself refuses before sending, with the API's 400 body. */
#include "internal.h"

#include <jansson.h>

#include "easel/api.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVALID "invalid_request_error"

/* Fields each API takes, by their wire names; others are ignored as the parsers of the real
 * API ignore what they do not know. */
static const char *const images_fields[] = {
    "model", "size", "quality", "n", "output_format", "output_compression", "background",
    "moderation", "partial_images", "input_fidelity", NULL,
};
static const char *const tool_fields[] = {
    "model", "size", "quality", "output_format", "output_compression", "background",
    "moderation", "partial_images", "input_fidelity", "action", NULL,
};

static bool listed(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

static int params_refused(const ea_err *err, const char *fallback_param, mock_error *e)
{
    return mock_fail(e, 400, INVALID, "invalid_value", err->param ? err->param : fallback_param,
                     "%s", err->msg);
}

/* One field by wire name, as text; the descriptor's setter checks its syntax. */
static int set_field(mock_job *job, const char *wire, const char *text, mock_error *e)
{
    const ea_param_desc *d = ea_param_by_wire(wire);
    if (!d)
        return 0;
    ea_err err = { 0 };
    if (ea_params_set(&job->params, d, text, &err) != 0)
        return params_refused(&err, wire, e);
    return 0;
}

static int set_by_long_option(mock_job *job, const char *long_opt, const char *text,
                              const char *wire, mock_error *e)
{
    const ea_param_desc *d = ea_param_by_long(long_opt);
    ea_err err = { 0 };
    if (d && ea_params_set(&job->params, d, text, &err) != 0)
        return params_refused(&err, wire, e);
    return 0;
}

static int set_prompt(mock_job *job, const char *prompt, const char *wire, mock_error *e)
{
    ea_err err = { 0 };
    if (ea_params_set_prompt(&job->params, prompt, &err) != 0)
        return params_refused(&err, wire, e);
    return 0;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int invalid_type(mock_error *e, const char *param, const char *expected, const json_t *v)
{
    return mock_fail(e, 400, INVALID, "invalid_type", param,
                     "Invalid type for '%s': expected %s, but got %s instead.", param, expected,
                     json_type_name(v));
}

/* A JSON scalar as the text the command line would have given; null means "not sent". */
static int set_json_field(mock_job *job, const char *wire, const json_t *v, mock_error *e)
{
    char text[64];
    switch (json_typeof(v)) {
    case JSON_NULL:
        return 0;
    case JSON_STRING:
        return set_field(job, wire, json_string_value(v), e);
    case JSON_INTEGER:
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        return set_field(job, wire, text, e);
    case JSON_REAL:
        snprintf(text, sizeof text, "%g", json_real_value(v));
        return set_field(job, wire, text, e);
    case JSON_TRUE:
    case JSON_FALSE:
        return set_field(job, wire, json_is_true(v) ? "true" : "false", e);
    default:
        return invalid_type(e, wire, "a string or a number", v);
    }
}

static int set_json_fields(mock_job *job, const json_t *obj, const char *const *fields,
                           mock_error *e)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
        if (listed(fields, key) && set_json_field(job, key, v, e) != 0)
            return -1;
    return 0;
}

static int json_bool(const json_t *obj, const char *name, bool *out, mock_error *e)
{
    const json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return invalid_type(e, name, "a boolean", v);
    *out = json_is_true(v);
    return 0;
}

/* ---- input images ---- */

/* Decodes an uploaded image (or mask) into out, with the limits easel itself applies. */
static int decode_image(const void *bytes, size_t len, const char *param, ea_image *out,
                        mock_error *e)
{
    ea_err err = { 0 };
    if (ea_image_decode(bytes, len, &ea_image_default_limits, out, &err) != 0)
        return mock_fail(e, 400, INVALID, "invalid_image_file", param,
                         "Invalid image file for '%s': %s", param, err.msg);
    return 0;
}

/* "data:image/png;base64,...." into pixels. https URLs and file ids would need the network
 * or the Files API, which an offline stand-in does not have. */
static int decode_data_url(const char *url, const char *param, ea_image *out, mock_error *e)
{
    const char *comma = strchr(url, ',');
    if (strncmp(url, "data:", 5) != 0 || !comma || comma - url < 12 ||
        strncmp(comma - 7, ";base64", 7) != 0)
        return mock_fail(e, 400, INVALID, "invalid_image_url", param,
                         "Invalid image URL for '%s': the offline stand-in takes base64 data: "
                         "URLs only.", param);
    ea_buf bytes;
    ea_buf_init(&bytes, MOCK_MAX_BODY);
    int rc;
    if (mock_base64_decode(comma + 1, strlen(comma + 1), &bytes) != 0)
        rc = mock_fail(e, 400, INVALID, "invalid_image_url", param,
                       "Invalid base64 image data in '%s'.", param);
    else
        rc = decode_image(bytes.data, bytes.len, param, out, e);
    ea_buf_free(&bytes);
    return rc;
}

static int add_source(mock_job *job, const ea_image *img, mock_error *e)
{
    char name[32];
    snprintf(name, sizeof name, "image-%d", job->n_sources + 1);
    ea_err err = { 0 };
    if (job->n_sources >= EA_MAX_IMAGES || ea_params_add_image(&job->params, name, &err) != 0)
        return mock_fail(e, 400, INVALID, "invalid_value", "image",
                         "Too many images: at most %d may be given.", EA_MAX_IMAGES);
    job->sources[job->n_sources++] = *img;
    return 0;
}

static int add_source_bytes(mock_job *job, const void *bytes, size_t len, const char *param,
                            mock_error *e)
{
    ea_image img = { 0 };
    if (decode_image(bytes, len, param, &img, e) != 0)
        return -1;
    if (add_source(job, &img, e) != 0) {
        ea_image_free(&img);
        return -1;
    }
    return 0;
}

static int add_source_url(mock_job *job, const char *url, const char *param, mock_error *e)
{
    ea_image img = { 0 };
    if (decode_data_url(url, param, &img, e) != 0)
        return -1;
    if (add_source(job, &img, e) != 0) {
        ea_image_free(&img);
        return -1;
    }
    return 0;
}

static int set_mask_image(mock_job *job, const ea_image *mask, mock_error *e)
{
    job->mask = *mask;
    return set_by_long_option(job, "mask", "mask", "mask", e);
}

/* ---- after the fields: the rules, then what the reply will report ---- */

static const char *reported(const char *value, const char *const *known, const char *fallback)
{
    for (; value && *known; known++)
        if (strcmp(value, *known) == 0)
            return *known;
    return fallback;
}

static int finish(mock_server *srv, mock_job *job, const char *prompt_param, mock_error *e)
{
    ea_params *p = &job->params;
    if (!p->prompt || !*p->prompt)
        return mock_fail(e, 400, INVALID, "missing_required_parameter", prompt_param,
                         "Missing required parameter: '%s'.", prompt_param);
    ea_err err = { 0 };
    if (ea_params_resolve(p, NULL, &err) != 0)
        return params_refused(&err, NULL, e);

    const char *word = mock_fault_blocked_word(mock_server_config(srv), p->prompt);
    if (word && mock_server_config(srv)->azure) {
        mock_fail(e, 400, NULL, "content_filter", "prompt",
                  "The response was filtered due to the prompt triggering Azure OpenAI's "
                  "content management policy. Please modify your prompt and retry. "
                  MOCK_OFFLINE_NOTE);
        e->azure = true;
        e->azure_filtered = "violence";
        return -1;
    }
    if (word)
        return mock_fail(e, 400, "image_generation_user_error", "moderation_blocked", NULL,
                         "Your request was rejected by the safety system. If you believe this "
                         "is an error, contact us at help.openai.com and include the request ID "
                         "%s. safety_violations=[violence].", job->request_id);

    static const char *const formats[] = { "png", "jpeg", "webp", NULL };
    job->format = reported(ea_params_format(p), formats, NULL);
    if (!job->format)
        return mock_fail(e, 400, INVALID, "invalid_value", "output_format",
                         "The offline stand-in draws png, jpeg and webp only, not '%s'.",
                         ea_params_format(p));
    /* auto reports high: the quality easel's estimate assumes for auto, so the exact cost
     * of a mock call never exceeds its estimate. */
    static const char *const qualities[] = { "low", "medium", "high", "xhigh", "max", NULL };
    job->quality = reported(p->quality, qualities, "high");
    static const char *const backgrounds[] = { "transparent", NULL };
    job->background = reported(p->background, backgrounds, "opaque");
    job->compression = p->compression >= 0 ? p->compression : 100;
    job->png_level = mock_server_config(srv)->png_level;
    job->n_outputs = ea_params_count(p);
    if (job->n_outputs > MOCK_MAX_OUTPUTS)
        job->n_outputs = MOCK_MAX_OUTPUTS;
    if (job->stream && job->n_outputs > 1)
        return mock_fail(e, 400, INVALID, NULL, NULL, "Streaming is only supported with n=1.");
    /* Streams only; a background response is one (its events can be streamed by GET). */
    job->partials = job->stream || job->background_mode ? ea_params_partials(p) : 0;
    job->w = p->size.kind == EA_SIZE_EXACT ? p->size.w : 1024;
    job->h = p->size.kind == EA_SIZE_EXACT ? p->size.h : 1024;
    if (job->mask.rgba && job->n_sources > 0 &&
        (job->mask.w != job->sources[0].w || job->mask.h != job->sources[0].h))
        return mock_fail(e, 400, INVALID, "invalid_value", "mask",
                         "Invalid mask image: the mask must be the same size as the image "
                         "(%dx%d), not %dx%d.", job->sources[0].w, job->sources[0].h,
                         job->mask.w, job->mask.h);
    return 0;
}

/* ---- Images API ---- */

static const char bad_json_message[] =
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please visit "
    "https://community.openai.com/.)";

static int prompt_from_json(mock_job *job, const json_t *root, mock_error *e)
{
    const json_t *prompt = json_object_get(root, "prompt");
    if (!prompt || json_is_null(prompt))
        return 0;
    if (!json_is_string(prompt))
        return invalid_type(e, "prompt", "a string", prompt);
    return set_prompt(job, json_string_value(prompt), "prompt", e);
}

/* One ImageRefParam of a JSON edit: {"image_url": "data:..."} or {"file_id": "file-..."}, a
 * file uploaded to /v1/files. */
static int image_ref(mock_server *srv, const json_t *ref, const char *param, ea_image *out,
                     mock_error *e)
{
    const char *url = json_string_value(json_object_get(ref, "image_url"));
    const char *file_id = json_string_value(json_object_get(ref, "file_id"));
    if (url)
        return decode_data_url(url, param, out, e);
    if (!file_id)
        return mock_fail(e, 400, INVALID, "invalid_value", param,
                         "The offline stand-in takes '%s' as {\"image_url\": \"data:...\"} or "
                         "{\"file_id\": \"...\"}.", param);
    ea_buf bytes;
    ea_buf_init(&bytes, MOCK_MAX_BODY);
    int rc = mock_files_read(srv, file_id, param, &bytes, e);
    if (rc == 0)
        rc = decode_image(bytes.data, bytes.len, param, out, e);
    ea_buf_free(&bytes);
    return rc;
}

static int images_json_edit(mock_server *srv, mock_job *job, const json_t *root, mock_error *e)
{
    const json_t *images = json_object_get(root, "images");
    if (!json_is_array(images) || json_array_size(images) == 0)
        return mock_fail(e, 400, INVALID, "missing_required_parameter", "images",
                         "Missing required parameter: 'images'.");
    size_t i;
    const json_t *ref;
    json_array_foreach(images, i, ref) {
        ea_image img = { 0 };
        if (image_ref(srv, ref, "images", &img, e) != 0)
            return -1;
        if (add_source(job, &img, e) != 0) {
            ea_image_free(&img);
            return -1;
        }
    }
    const json_t *mask = json_object_get(root, "mask");
    if (mask && !json_is_null(mask)) {
        ea_image img = { 0 };
        if (image_ref(srv, mask, "mask", &img, e) != 0)
            return -1;
        return set_mask_image(job, &img, e);
    }
    return 0;
}

static int images_json(mock_server *srv, mock_job *job, const json_t *root, mock_error *e)
{
    if (prompt_from_json(job, root, e) != 0 || set_json_fields(job, root, images_fields, e) != 0 ||
        json_bool(root, "stream", &job->stream, e) != 0)
        return -1;
    if (job->route == MOCK_ROUTE_EDITS && images_json_edit(srv, job, root, e) != 0)
        return -1;
    job->edit = job->route == MOCK_ROUTE_EDITS;
    return finish(srv, job, "prompt", e);
}

static bool image_mime(const char *type)
{
    return type && (strcmp(type, "image/png") == 0 || strcmp(type, "image/jpeg") == 0 ||
                    strcmp(type, "image/webp") == 0);
}

/* A file part: the Content-Type must name an image, as the API insists. */
static int check_file_part(const mock_part *part, const char *param, mock_error *e)
{
    if (!part->filename)
        return mock_fail(e, 400, INVALID, "invalid_type", param,
                         "Invalid type for '%s': expected one of an array of files or file, but "
                         "got a string instead.", param);
    if (!image_mime(part->content_type))
        return mock_fail(e, 400, INVALID, "invalid_value", param,
                         "Invalid file '%s': unsupported mimetype ('%s'). Supported file formats "
                         "are 'image/jpeg', 'image/png', and 'image/webp'.", param,
                         part->content_type ? part->content_type : "application/octet-stream");
    return 0;
}

int mock_request_multipart(mock_server *srv, mock_job *job, const mock_part *parts,
                           mock_error *e)
{
    for (const mock_part *part = parts; part; part = part->next) {
        const char *text = part->data.data ? part->data.data : "";
        if (strcmp(part->name, "image") == 0 || strcmp(part->name, "image[]") == 0) {
            if (check_file_part(part, "image", e) != 0 ||
                add_source_bytes(job, part->data.data, part->data.len, "image", e) != 0)
                return -1;
        } else if (strcmp(part->name, "mask") == 0) {
            ea_image mask = { 0 };
            if (check_file_part(part, "mask", e) != 0 ||
                decode_image(part->data.data, part->data.len, "mask", &mask, e) != 0)
                return -1;
            ea_image_free(&job->mask);
            if (set_mask_image(job, &mask, e) != 0)
                return -1;
        } else if (strcmp(part->name, "prompt") == 0) {
            if (set_prompt(job, text, "prompt", e) != 0)
                return -1;
        } else if (strcmp(part->name, "stream") == 0) {
            job->stream = strcmp(text, "true") == 0;
        } else if (listed(images_fields, part->name) && set_field(job, part->name, text, e) != 0) {
            return -1;
        }
    }
    if (job->n_sources == 0)
        return mock_fail(e, 400, INVALID, "missing_required_parameter", "image",
                         "Missing required parameter: 'image'.");
    job->edit = true;
    return finish(srv, job, "prompt", e);
}

void mock_parts_free(mock_part **parts)
{
    while (*parts) {
        mock_part *p = *parts;
        *parts = p->next;
        free(p->name);
        free(p->filename);
        free(p->content_type);
        ea_buf_free(&p->data);
        mock_spool_free(&p->spool);
        free(p);
    }
}

/* ---- Responses API ---- */

/* Appends one piece of the user's text, a newline between pieces. */
static int add_text(ea_buf *text, const char *piece, mock_error *e)
{
    if (!piece)
        return 0;
    if ((text->len > 0 && ea_buf_putc(text, '\n') != 0) || ea_buf_puts(text, piece) != 0)
        return mock_fail(e, 400, INVALID, "string_above_max_length", "input",
                         "The input is too long: at most %d characters.", EA_PROMPT_MAX_CHARS);
    return 0;
}

/* An input_file part (protocol.md 15): its name joins the documents the model "reads"; a type
 * the API does not take is refused as the API refuses it. */
static int add_document(mock_job *job, const json_t *part, mock_error *e)
{
    const char *name = json_string_value(json_object_get(part, "filename"));
    const char *data = json_string_value(json_object_get(part, "file_data"));
    const char *comma = data ? strchr(data, ',') : NULL;
    if (!name || !comma || strncmp(data, "data:", 5) != 0)
        return mock_fail(e, 400, INVALID, "invalid_value", "input",
                         "The offline stand-in takes input_file parts with a filename and "
                         "file_data as a base64 data: URL (file ids need the Files API).");
    ea_buf bytes;
    ea_buf_init(&bytes, MOCK_MAX_BODY);
    const char *mime;
    int rc = 0;
    if (mock_base64_decode(comma + 1, strlen(comma + 1), &bytes) != 0)
        rc = mock_fail(e, 400, INVALID, "invalid_value", "input",
                       "Invalid base64 file data for '%s'.", name);
    else if (!ea_document_type(name, (const unsigned char *)(bytes.data ? bytes.data : ""),
                               bytes.len, &mime))
        rc = mock_fail(e, 400, INVALID, "unsupported_file", "input",
                       "Invalid input file '%s': the file type is not supported.", name);
    ea_buf_free(&bytes);
    if (rc != 0)
        return rc;
    size_t had = job->documents ? strlen(job->documents) : 0;
    char *grown = realloc(job->documents, had + strlen(name) + 3);
    if (!grown)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    sprintf(grown + had, "%s%s", had ? ", " : "", name);
    job->documents = grown;
    return 0;
}

/* The text of the user's turn: input as a string, or the input_text parts of its messages
 * (joined by newlines); input_image parts become the images to edit or refer to. */
static int responses_input(mock_job *job, const json_t *input, ea_buf *text, mock_error *e)
{
    if (json_is_string(input))
        return add_text(text, json_string_value(input), e);
    if (!json_is_array(input))
        return input ? invalid_type(e, "input", "a string or an array", input) : 0;
    size_t i, j;
    const json_t *item, *part;
    json_array_foreach(input, i, item) {
        const json_t *content = json_object_get(item, "content");
        if (json_is_string(content)) {
            if (add_text(text, json_string_value(content), e) != 0)
                return -1;
            continue;
        }
        json_array_foreach(content, j, part) {
            const char *type = json_string_value(json_object_get(part, "type"));
            if (type && strcmp(type, "input_text") == 0) {
                if (add_text(text, json_string_value(json_object_get(part, "text")), e) != 0)
                    return -1;
            } else if (type && strcmp(type, "input_image") == 0) {
                const char *url = json_string_value(json_object_get(part, "image_url"));
                if (!url)
                    return mock_fail(e, 400, INVALID, "invalid_value", "input",
                                     "The offline stand-in takes input images as base64 data: "
                                     "URLs in image_url (file ids need the Files API).");
                if (add_source_url(job, url, "input", e) != 0)
                    return -1;
            } else if (type && strcmp(type, "input_file") == 0) {
                if (add_document(job, part, e) != 0)
                    return -1;
            }
        }
    }
    return 0;
}

static const json_t *image_tool(const json_t *tools)
{
    size_t i;
    const json_t *tool;
    json_array_foreach(tools, i, tool) {
        const char *type = json_string_value(json_object_get(tool, "type"));
        if (type && strcmp(type, "image_generation") == 0)
            return tool;
    }
    return NULL;
}

/* The previous turn's image becomes the first source: a chained turn edits it. */
static int responses_previous(mock_server *srv, mock_job *job, const char *id, mock_error *e)
{
    void *bytes;
    size_t len;
    char *prompt;
    if (!mock_chain_get(mock_server_chain(srv), id, &bytes, &len, &prompt))
        return mock_fail(e, 400, INVALID, "previous_response_not_found", "previous_response_id",
                         "Previous response with id '%s' not found.", id);
    job->previous_response_id = strdup(id);
    int rc = job->previous_response_id ? add_source_bytes(job, bytes, len, "previous_response_id", e)
                                       : mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    free(bytes);
    free(prompt);
    return rc;
}

static int responses_tool(mock_job *job, const json_t *root, mock_error *e)
{
    const json_t *tools = json_object_get(root, "tools");
    const json_t *tool = image_tool(tools);
    const char *choice = json_string_value(json_object_get(root, "tool_choice"));
    if (!tool || (choice && strcmp(choice, "none") == 0))
        return mock_fail(e, 400, INVALID, "invalid_value", "tools",
                         "The offline stand-in answers with the image_generation tool only: add "
                         "{\"type\": \"image_generation\"} to tools and let tool_choice allow it.");
    if (set_json_fields(job, tool, tool_fields, e) != 0)
        return -1;
    const json_t *mask = json_object_get(tool, "input_image_mask");
    if (mask && !json_is_null(mask)) {
        const char *url = json_string_value(json_object_get(mask, "image_url"));
        ea_image img = { 0 };
        if (!url)
            return mock_fail(e, 400, INVALID, "invalid_value", "tools[0].input_image_mask",
                             "The offline stand-in takes input_image_mask as {\"image_url\": "
                             "\"data:...\"}.");
        if (decode_data_url(url, "tools[0].input_image_mask", &img, e) != 0)
            return -1;
        if (set_mask_image(job, &img, e) != 0)
            return -1;
    }
    size_t i;
    const json_t *other;
    json_array_foreach(tools, i, other) {
        const char *type = json_string_value(json_object_get(other, "type"));
        if (type && strncmp(type, "web_search", 10) == 0)
            job->web_search = true;
    }
    job->tools_json = json_dumps(tools, JSON_COMPACT);
    const json_t *tool_choice = json_object_get(root, "tool_choice");
    job->tool_choice_json = tool_choice ? json_dumps(tool_choice, JSON_COMPACT | JSON_ENCODE_ANY)
                                        : strdup("\"auto\"");
    if (!job->tools_json || !job->tool_choice_json)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    return 0;
}

/* What a thinking turn does besides drawing: the calls the prompt asks for, each with its
 * own id and revised prompt (the documents' names read into it), and the summary. */
static int plan_thinking(mock_job *job, mock_error *e)
{
    job->n_calls = mock_calls_for(job->params.prompt);
    job->n_outputs = job->n_calls; /* each drawn as finals[call]: a variant of one design */
    mock_random_id(job->reasoning_id, sizeof job->reasoning_id, "rs_");
    mock_random_id(job->search_id, sizeof job->search_id, "ws_");
    for (int c = 0; c < job->n_calls; c++) {
        if (c == 0)
            snprintf(job->call_ids[0], sizeof job->call_ids[0], "%s", job->item_id);
        else
            mock_random_id(job->call_ids[c], sizeof job->call_ids[c], "ig_");
        char panel[80] = "";
        if (job->n_calls > 1)
            snprintf(panel, sizeof panel, " Image %d of %d, a variation of one design.", c + 1,
                     job->n_calls);
        const char *docs = job->documents ? job->documents : "";
        size_t size = strlen(job->revised_prompt) + strlen(docs) + sizeof panel + 48;
        job->call_prompts[c] = malloc(size);
        if (!job->call_prompts[c])
            return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
        snprintf(job->call_prompts[c], size, "%s%s%s%s%s", job->revised_prompt,
                 *docs ? " Drawing on the documents: " : "", docs, *docs ? "." : "", panel);
    }
    if (job->summary && !(job->summary_text = mock_summary_for(job)))
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    return 0;
}

static int responses_json(mock_server *srv, mock_job *job, const json_t *root, mock_error *e)
{
    const json_t *model = json_object_get(root, "model");
    if (!json_is_string(model))
        return model ? invalid_type(e, "model", "a string", model)
                     : mock_fail(e, 400, INVALID, "missing_required_parameter", "model",
                                 "Missing required parameter: 'model'.");
    if (set_by_long_option(job, "text-model", json_string_value(model), "model", e) != 0 ||
        json_bool(root, "stream", &job->stream, e) != 0 ||
        json_bool(root, "store", &job->store, e) != 0 ||
        json_bool(root, "background", &job->background_mode, e) != 0)
        return -1;
    if (job->background_mode && !job->store)
        return mock_fail(e, 400, INVALID, "invalid_value", "background",
                         "Background mode requires 'store' to be true.");
    /* The effort is checked against the text model by the client's own rules. */
    const json_t *reasoning = json_object_get(root, "reasoning");
    if (reasoning && !json_is_null(reasoning)) {
        const json_t *effort = json_object_get(reasoning, "effort");
        const char *summary = json_string_value(json_object_get(reasoning, "summary"));
        if (!json_is_object(reasoning) || (effort && !json_is_string(effort)))
            return invalid_type(e, "reasoning", "an object {effort, summary}", reasoning);
        if (effort && set_by_long_option(job, "reasoning", json_string_value(effort),
                                         "reasoning.effort", e) != 0)
            return -1;
        job->summary = summary && strcmp(summary, "none") != 0;
    }

    const json_t *previous = json_object_get(root, "previous_response_id");
    if (previous && !json_is_null(previous)) {
        if (!json_is_string(previous))
            return invalid_type(e, "previous_response_id", "a string", previous);
        if (responses_previous(srv, job, json_string_value(previous), e) != 0)
            return -1;
    }

    int chained = job->n_sources;
    ea_buf text;
    ea_buf_init(&text, (size_t)EA_PROMPT_MAX_CHARS * 4 + 1);
    int rc = responses_input(job, json_object_get(root, "input"), &text, e);
    /* An image sent with the turn is the one to edit, before the conversation's own (easel's
     * --from TURN:K names one of a turn's several images this way). */
    if (rc == 0 && chained == 1 && job->n_sources > 1) {
        ea_image_free(&job->sources[0]);
        memmove(&job->sources[0], &job->sources[1],
                (size_t)(job->n_sources - 1) * sizeof job->sources[0]);
        memset(&job->sources[--job->n_sources], 0, sizeof job->sources[0]);
    }
    if (rc == 0 && text.len)
        rc = set_prompt(job, text.data, "input", e);
    ea_buf_free(&text);
    if (rc != 0 || responses_tool(job, root, e) != 0)
        return -1;

    const char *action = job->params.action ? job->params.action : "auto";
    if (strcmp(action, "edit") == 0 && job->n_sources == 0)
        return mock_fail(e, 400, INVALID, "invalid_value", "tools[0].action",
                         "The image_generation tool's action is 'edit', but there is no image "
                         "in the context to edit.");
    job->edit = strcmp(action, "generate") != 0 && job->n_sources > 0;
    if (finish(srv, job, "input", e) != 0)
        return -1;

    job->revised_prompt = mock_revised_prompt(job->params.prompt, job->edit);
    mock_random_id(job->response_id, sizeof job->response_id, "resp_");
    mock_random_id(job->item_id, sizeof job->item_id, "ig_");
    if (!job->revised_prompt)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    return plan_thinking(job, e);
}

int mock_request_json(mock_server *srv, mock_job *job, const char *body, size_t len,
                      mock_error *e)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return mock_fail(e, 400, INVALID, NULL, NULL, "%s", bad_json_message);
    }
    int rc = job->route == MOCK_ROUTE_RESPONSES ? responses_json(srv, job, root, e)
                                                : images_json(srv, job, root, e);
    json_decref(root);
    return rc;
}
