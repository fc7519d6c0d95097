/* SPDX-License-Identifier: MIT */
#include "easel/api.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "easel/hash.h"
#include "easel/paths.h"
#include "easel/pictures.h"
#include "easel/prices.h"
#include "easel/utf8.h"

/* Input files (images, mask) the API takes: at most 50 MB each (protocol.md 2a). */
#define MAX_INPUT_FILE_BYTES (50u * 1024 * 1024)

static const char *mime_of(const char *format)
{
    if (strcmp(format, "png") == 0)
        return "image/png";
    if (strcmp(format, "jpeg") == 0)
        return "image/jpeg";
    return "image/webp";
}

/* what: "image" or "document", for the message. Both limits are the API's 50 MB. */
static int read_input_file(const char *path, const char *what, ea_buf *out, ea_err *err)
{
    /* A FIFO or a device named as a file would hang the read or never end it. */
    ea_err why = {0};
    int fd = ea_open_file(path, O_RDONLY, 0, &why);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        /* why.msg names the path again; the reason alone is enough after ours. */
        return ea_err_set(err, EA_EXIT_USAGE, "%s '%s': cannot open it: %s", what, path,
                          saved == EINVAL ? "not a regular file (a FIFO, device or folder)"
                                          : strerror(saved));
    }
    ea_buf_init(out, MAX_INPUT_FILE_BYTES);
    int rc = ea_buf_append_stream(out, f);
    bool failed = ferror(f);
    fclose(f);
    if (rc != 0 || failed) {
        ea_buf_free(out);
        return ea_err_set(err, EA_EXIT_USAGE, "%s '%s': %s", what, path,
                          failed ? "cannot read it" : "larger than the API's 50 MB limit");
    }
    return 0;
}

static const struct {
    const char *ext, *mime;
    bool text;  /* else a zip (the Office formats) */
} document_types[] = {
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", false},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", false},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false},
    {"txt", "text/plain", true},
    {"md", "text/markdown", true},
    {"csv", "text/csv", true},
    {"json", "application/json", true},
    {"html", "text/html", true},
    {"htm", "text/html", true},
    {"xml", "application/xml", true},
};

static bool utf8_text(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = ea_utf8_decode(s + i, n - i, &cp);
        if (k == 0 || cp == 0)
            return false;
        i += k;
    }
    return true;
}

const char *ea_document_type(const char *name, const unsigned char *bytes, size_t n,
                             const char **mime)
{
    if (n >= 5 && memcmp(bytes, "%PDF-", 5) == 0) {
        *mime = "application/pdf";
        return "pdf";
    }
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash + 1 : name, '.');
    bool zip = n >= 4 && memcmp(bytes, "PK\x03\x04", 4) == 0;
    for (size_t i = 0; dot && i < sizeof document_types / sizeof document_types[0]; i++) {
        if (strcasecmp(dot + 1, document_types[i].ext) != 0)
            continue;
        if (document_types[i].text ? !utf8_text(bytes, n) : !zip)
            return NULL;
        *mime = document_types[i].mime;
        return document_types[i].ext;
    }
    return NULL;
}

static int read_document(const char *path, ea_buf *out, const char **format, ea_err *err)
{
    if (read_input_file(path, "document", out, err) != 0)
        return -1;
    const char *mime;
    *format = ea_document_type(path, (const unsigned char *)out->data, out->len, &mime);
    if (*format)
        return 0;
    ea_buf_free(out);
    return ea_err_set(err, EA_EXIT_USAGE,
                      "document '%s': not a type the API reads as an input_file (PDF, DOCX, "
                      "PPTX, XLSX, or UTF-8 text: txt, md, csv, json, html, xml; images go "
                      "with --image)", path);
}

static char *data_url_of(const char *mime, const unsigned char *bytes, size_t n)
{
    size_t prefix = strlen("data:") + strlen(mime) + strlen(";base64,");
    char *url = malloc(prefix + 4 * ((n + 2) / 3) + 1);
    if (!url)
        return NULL;
    int k = sprintf(url, "data:%s;base64,", mime);
    EVP_EncodeBlock((unsigned char *)url + k, bytes, (int)n);
    return url;
}

static char *data_url(const char *format, const unsigned char *bytes, size_t n)
{
    return data_url_of(mime_of(format), bytes, n);
}

/* The fields shared by the Images API body and the Responses tool, as wire name and value;
 * absent fields are not sent (the API wants them absent rather than null). */
static void put_common_fields(json_t *o, const ea_params *p, bool with_count)
{
    char size[32];
    json_object_set_new(o, "model", json_string(p->model));
    if (with_count && p->n > 0)
        json_object_set_new(o, "n", json_integer(p->n));
    if (p->size_text) {
        ea_size_format(p->size, size, sizeof size);
        json_object_set_new(o, "size", json_string(size));
    }
    if (p->quality)
        json_object_set_new(o, "quality", json_string(p->quality));
    if (p->format)
        json_object_set_new(o, "output_format", json_string(p->format));
    if (p->compression >= 0)
        json_object_set_new(o, "output_compression", json_integer(p->compression));
    if (p->background)
        json_object_set_new(o, "background", json_string(p->background));
    if (p->moderation)
        json_object_set_new(o, "moderation", json_string(p->moderation));
    if (p->input_fidelity)
        json_object_set_new(o, "input_fidelity", json_string(p->input_fidelity));
    if (p->partials >= 0)
        json_object_set_new(o, "partial_images", json_integer(p->partials));
}

/* The path as typed, made absolute against the working directory (not resolved: the name
 * the user gave is the one to keep). NULL when out of memory. */
static char *absolute_path(const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        return strdup(path);
    const char *rest = strncmp(path, "./", 2) == 0 ? path + 2 : path;
    char *out = malloc(strlen(cwd) + strlen(rest) + 2);
    if (out)
        sprintf(out, "%s/%s", cwd, rest);
    return out;
}

/* Takes buf's bytes as the next input, hashed and measured. */
static int add_input(ea_request *r, const char *role, const char *source, const char *format,
                     ea_buf *buf, ea_err *err)
{
    ea_request_input *in = &r->inputs[r->n_inputs++];
    memset(in, 0, sizeof *in);
    in->role = role;
    in->format = format;
    in->n_bytes = buf->len;
    in->bytes = (unsigned char *)ea_buf_steal(buf, NULL);
    in->source = absolute_path(source);
    if (!in->source || (!in->bytes && in->n_bytes))
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    const char *probed;
    if (ea_picture_probe(in->bytes, in->n_bytes, &probed, &in->width, &in->height, NULL) != 0)
        in->width = in->height = 0;
    return ea_sha256_hex(in->bytes ? (const void *)in->bytes : "", in->n_bytes, in->sha256, err);
}

/* The first image is the one edited when the call edits (the Images API always does, a mask
 * applies to it, or the tool's action says edit); every other image is a reference. */
static const char *image_role(const ea_params *p, int i)
{
    bool edit = p->api == EA_API_IMAGES || p->mask || (p->action && strcmp(p->action, "edit") == 0);
    return i == 0 && edit ? "image" : "reference";
}

/* Reads every input once: the images, then the mask (converted). */
static int inputs_read(const ea_params *p, ea_request *r, ea_err *err)
{
    for (int i = 0; i < p->n_images; i++) {
        ea_buf file;
        if (read_input_file(p->images[i], "image", &file, err) != 0)
            return -1;
        const char *format = ea_picture_sniff(file.data, file.len);
        if (!format) {
            ea_buf_free(&file);
            return ea_err_set(err, EA_EXIT_USAGE,
                              "image '%s': not a PNG, JPEG or WebP file (the API takes only these)",
                              p->images[i]);
        }
        if (add_input(r, image_role(p, i), p->images[i], format, &file, err) != 0)
            return -1;
    }
    if (p->mask) {
        ea_buf mask;
        if (ea_picture_mask_to_alpha_png(p->mask, p->images[0], &mask, err) != 0 ||
            add_input(r, "mask", p->mask, "png", &mask, err) != 0)
            return -1;
    }
    size_t total = 0;
    for (int i = 0; i < p->n_documents; i++) {
        ea_buf file;
        const char *format;
        if (read_document(p->documents[i], &file, &format, err) != 0)
            return -1;
        total += file.len;
        if (total > EA_DOCUMENT_MAX_BYTES) {
            ea_buf_free(&file);
            return ea_err_set(err, EA_EXIT_USAGE, "document '%s': the documents of one request "
                                                  "pass the API's 50 MB limit together",
                              p->documents[i]);
        }
        if (add_input(r, "document", p->documents[i], format, &file, err) != 0)
            return -1;
    }
    return 0;
}

static json_t *file_record(const ea_request_input *in, const char *path)
{
    return json_pack("{s:s, s:s}", "path", path, "sha256", in->sha256);
}

/* The caller's file name, as the SDKs send it, with .png since the mask is sent re-encoded:
 * "masks/m.jpg" goes as "m.png". Caller frees. */
static char *png_name_for(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    int stem = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    char *name = malloc((size_t)stem + 5);
    if (name)
        sprintf(name, "%.*s.png", stem, base);
    return name;
}

static int add_part(ea_request *r, const char *name, const char *value)
{
    ea_request_part *parts = realloc(r->parts, (size_t)(r->n_parts + 1) * sizeof *parts);
    if (!parts)
        return -1;
    r->parts = parts;
    ea_request_part *part = &parts[r->n_parts++];
    memset(part, 0, sizeof *part);
    part->name = strdup(name);
    part->value = value ? strdup(value) : NULL;
    return part->name && (!value || part->value) ? 0 : -1;
}

static int add_text_parts(ea_request *r, json_t *fields)
{
    const char *key;
    json_t *v;
    json_object_foreach(fields, key, v) {
        char text[64];
        const char *value = text;
        if (json_is_string(v))
            value = json_string_value(v);
        else if (json_is_boolean(v))
            value = json_is_true(v) ? "true" : "false";
        else
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        if (add_part(r, key, value) != 0)
            return -1;
    }
    return 0;
}

static int build_images(const ea_params *p, ea_request *r, json_t *body, json_t *record)
{
    put_common_fields(body, p, true);
    json_object_set_new(body, "prompt", json_string(p->prompt));
    if (p->stream)
        json_object_set_new(body, "stream", json_true());
    json_object_update(record, body);
    if (!ea_params_is_edit(p)) {
        r->endpoint = "/images/generations";
        return 0;
    }
    r->endpoint = "/images/edits";
    r->multipart = true;
    if (add_text_parts(r, body) != 0)
        return -1;
    /* One file goes as "image", several as repeated "image[]" (protocol.md 2a). */
    const char *part_name = p->n_images == 1 ? "image" : "image[]";
    json_t *files = json_array();
    json_object_set_new(record, part_name, files);
    for (int i = 0; i < r->n_inputs; i++) {
        const ea_request_input *in = &r->inputs[i];
        bool mask = strcmp(in->role, "mask") == 0;
        const char *path = mask ? p->mask : p->images[i];
        if (add_part(r, mask ? "mask" : part_name, NULL) != 0)
            return -1;
        ea_request_part *part = &r->parts[r->n_parts - 1];
        const char *slash = strrchr(path, '/');
        part->filename = mask ? png_name_for(path) : strdup(slash ? slash + 1 : path);
        part->content_type = mime_of(in->format);
        part->bytes = in->bytes;
        part->n_bytes = in->n_bytes;
        if (!part->filename)
            return -1;
        if (mask)
            json_object_set_new(record, "mask", file_record(in, path));
        else
            json_array_append_new(files, file_record(in, path));
    }
    return 0;
}

static int build_responses(const ea_params *p, const ea_request *r, const char *previous_id,
                           json_t *body, json_t *record)
{
    json_t *tool = json_pack("{s:s}", "type", "image_generation");
    put_common_fields(tool, p, false);
    if (p->action)
        json_object_set_new(tool, "action", json_string(p->action));
    json_t *tool_record = json_deep_copy(tool);

    json_t *input, *input_record;
    if (p->n_images == 0 && p->n_documents == 0) {
        input = json_string(p->prompt);
        input_record = json_string(p->prompt);
    } else {
        json_t *content = json_pack("[{s:s, s:s}]", "type", "input_text", "text", p->prompt);
        json_t *content_record = json_deep_copy(content);
        for (int i = 0; i < r->n_inputs; i++) {
            const ea_request_input *in = &r->inputs[i];
            bool document = strcmp(in->role, "document") == 0;
            if (!document && strcmp(in->role, "mask") == 0)
                continue;
            /* As sent, but for the bytes: the same fields, the data URL as {path, sha256}. */
            json_t *file = file_record(in, document ? p->documents[i - (r->n_inputs -
                                                                      p->n_documents)]
                                                    : p->images[i]);
            if (document) {
                const char *mime, *slash = strrchr(in->source, '/');
                const char *name = slash ? slash + 1 : in->source;
                ea_document_type(name, in->bytes, in->n_bytes, &mime);
                char *url = data_url_of(mime, in->bytes, in->n_bytes);
                json_array_append_new(content, json_pack("{s:s, s:s, s:s?}", "type", "input_file",
                                                         "filename", name, "file_data", url));
                free(url);
                json_object_set_new(file, "type", json_string("input_file"));
                json_object_set_new(file, "filename", json_string(name));
            } else {
                char *url = data_url(in->format, in->bytes, in->n_bytes);
                json_array_append_new(content, json_pack("{s:s, s:s?, s:s}", "type", "input_image",
                                                         "image_url", url, "detail", "auto"));
                free(url);
                json_object_set_new(file, "type", json_string("input_image"));
                json_object_set_new(file, "detail", json_string("auto"));
            }
            json_array_append_new(content_record, file);
        }
        input = json_pack("[{s:s, s:o}]", "role", "user", "content", content);
        input_record = json_pack("[{s:s, s:o}]", "role", "user", "content", content_record);
    }
    if (p->mask) {
        const ea_request_input *in = &r->inputs[p->n_images];
        char *url = data_url("png", in->bytes, in->n_bytes);
        json_object_set_new(tool, "input_image_mask", json_pack("{s:s?}", "image_url", url));
        free(url);
        json_object_set_new(tool_record, "input_image_mask", file_record(in, p->mask));
    }
    json_t *views[2][3] = {{body, input, tool}, {record, input_record, tool_record}};
    for (int v = 0; v < 2; v++) {
        json_t *o = views[v][0];
        json_object_set_new(o, "model", json_string(p->text_model));
        json_object_set_new(o, "input", views[v][1]);
        json_t *tools = json_pack("[o]", views[v][2]);
        if (p->web_search)
            json_array_append_new(tools, json_pack("{s:s}", "type", "web_search"));
        json_object_set_new(o, "tools", tools);
        /* With a summary asked for, the stream carries the plan the model makes before it
         * draws (protocol.md 15). */
        if (p->reasoning)
            json_object_set_new(o, "reasoning", json_pack("{s:s, s:s}", "effort", p->reasoning,
                                                          "summary", "auto"));
        /* Forcing the image tool would make it the model's first call, with no search before
         * it; "required" still asks for a tool call and lets the model search first. */
        if (p->web_search)
            json_object_set_new(o, "tool_choice", json_string("required"));
        else
            json_object_set_new(o, "tool_choice", json_pack("{s:s}", "type", "image_generation"));
        if (previous_id)
            json_object_set_new(o, "previous_response_id", json_string(previous_id));
        /* Background mode (protocol.md section 13), for a streamed turn: the POST is answered
         * at once with the response's id, and the events are streamed by GET from then on, so
         * a link cut even before the first event is read on (a streamed POST that drops
         * before response.created leaves nothing to read on with). */
        bool background = p->stream && p->background_mode;
        if (p->stream && !background)
            json_object_set_new(o, "stream", json_true());
        if (background)
            json_object_set_new(o, "background", json_true());
    }
    return 0;
}

int ea_request_build(const ea_params *p, const char *previous_response_id, ea_request *out,
                     ea_err *err)
{
    memset(out, 0, sizeof *out);
    if (inputs_read(p, out, err) != 0) {
        ea_request_free(out);
        return -1;
    }
    json_t *body = json_object(), *record = json_object();
    int rc;
    if (p->api == EA_API_IMAGES) {
        out->api = "images";
        rc = build_images(p, out, body, record);
    } else {
        out->api = "responses";
        out->endpoint = "/responses";
        rc = build_responses(p, out, previous_response_id, body, record);
    }
    if (rc == 0 && !out->multipart)
        out->json = json_dumps(body, JSON_COMPACT);
    if (rc == 0)
        out->record_json = json_dumps(record, JSON_COMPACT);
    json_decref(body);
    json_decref(record);
    if (rc != 0 || !out->record_json || (!out->multipart && !out->json)) {
        ea_request_free(out);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building the request");
    }
    return 0;
}

void ea_request_free(ea_request *r)
{
    for (int i = 0; i < r->n_parts; i++) {
        free(r->parts[i].name);
        free(r->parts[i].value);
        free(r->parts[i].path);
        free(r->parts[i].filename);
    }
    for (int i = 0; i < r->n_inputs; i++) {
        free(r->inputs[i].bytes);
        free(r->inputs[i].source);
    }
    free(r->parts);
    free(r->json);
    free(r->record_json);
    memset(r, 0, sizeof *r);
}

void ea_request_input_name(const ea_request_input *in, char *out, size_t size)
{
    snprintf(out, size, "%s.%s", in->sha256, in->format);
}

/* A path as a JSON string: JSON holds only Unicode, and a file name may be any bytes; those
 * that are not ASCII become '?' when the name is not valid UTF-8. */
static json_t *path_value(const char *path)
{
    json_t *v = json_string(path);
    if (v)
        return v;
    char *copy = strdup(path);
    for (char *c = copy; c && *c; c++)
        if ((unsigned char)*c >= 0x80)
            *c = '?';
    v = copy ? json_string(copy) : NULL;
    free(copy);
    return v;
}

char *ea_request_inputs_json(const ea_request *r)
{
    json_t *list = json_array();
    for (int i = 0; list && i < r->n_inputs; i++) {
        const ea_request_input *in = &r->inputs[i];
        char name[EA_SHA256_HEX_SIZE + 16], path[EA_SHA256_HEX_SIZE + 32];
        ea_request_input_name(in, name, sizeof name);
        snprintf(path, sizeof path, "inputs/%s", name);
        if (json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:s, s:o, s:s}", "role",
                                                  in->role, "sha256", in->sha256, "bytes",
                                                  (json_int_t)in->n_bytes, "path", path,
                                                  "source", path_value(in->source), "format",
                                                  in->format)) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    char *text = list ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    return text;
}

long ea_request_input_image_tokens(const ea_request *r, int *images)
{
    long tokens = 0;
    int counted = 0;
    for (int i = 0; i < r->n_inputs; i++)
        if (strcmp(r->inputs[i].role, "mask") != 0 && strcmp(r->inputs[i].role, "document") != 0) {
            tokens += ea_prices_input_image_tokens(r->inputs[i].width, r->inputs[i].height);
            counted++;
        }
    if (images)
        *images = counted;
    return tokens;
}

/* ---- Batch lines (protocol.md 14) -------------------------------------------------------- */

static json_t *batch_body(const ea_params *p)
{
    json_t *body = json_object();
    put_common_fields(body, p, true);
    json_object_set_new(body, "prompt", json_string(p->prompt));
    json_object_del(body, "partial_images"); /* a batch line never streams */
    return body;
}

static json_t *ref_value(const ea_request_ref *r)
{
    return r->file_id ? json_pack("{s:s}", "file_id", r->file_id)
                      : json_pack("{s:s}", "image_url", r->data_url ? r->data_url : "");
}

int ea_request_batch_line(const ea_params *p, const char *custom_id, const char *endpoint,
                          const ea_request_ref *images, const ea_request_ref *mask, ea_buf *out,
                          ea_err *err)
{
    json_t *body = batch_body(p);
    if (p->n_images > 0) {
        json_t *list = json_array();
        for (int i = 0; i < p->n_images; i++)
            json_array_append_new(list, ref_value(&images[i]));
        json_object_set_new(body, "images", list);
    }
    if (mask)
        json_object_set_new(body, "mask", ref_value(mask));
    json_t *line = json_pack("{s:s, s:s, s:s, s:o}", "custom_id", custom_id, "method", "POST",
                             "url", endpoint, "body", body);
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    json_decref(line);
    int rc = text && ea_buf_puts(out, text) == 0 && ea_buf_putc(out, '\n') == 0 ? 0 : -1;
    free(text);
    return rc ? ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building a batch line") : 0;
}

char *ea_request_batch_record_json(const ea_params *p, const char *const *image_sha256,
                                   const char *mask_sha256)
{
    json_t *body = batch_body(p);
    if (p->n_images > 0) {
        json_t *list = json_array();
        for (int i = 0; i < p->n_images; i++)
            json_array_append_new(list, json_pack("{s:s, s:s?}", "path", p->images[i], "sha256",
                                                  image_sha256 ? image_sha256[i] : NULL));
        json_object_set_new(body, "images", list);
    }
    if (p->mask)
        json_object_set_new(body, "mask", json_pack("{s:s, s:s?}", "path", p->mask, "sha256",
                                                    mask_sha256));
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(body);
    return text;
}
