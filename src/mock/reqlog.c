/* SPDX-License-Identifier: MIT */
/* mock/reqlog.c: the request log (--request-log FILE): each request the mock received, as one
 * JSON line, so that a test can hold what easel sent against what it said it would send
 * (--dry-run, the audit record). File bytes are logged as their sha256 and size, not as
 * themselves: a line stays small, and hashes are what the records keep. */
#include "internal.h"

#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/hash.h"
#include "easel/paths.h"

static json_t *file_value(const void *bytes, size_t n)
{
    char hex[EA_SHA256_HEX_SIZE];
    if (ea_sha256_hex(bytes ? bytes : "", n, hex, NULL) != 0)
        return json_null();
    return json_pack("{s:s, s:I}", "sha256", hex, "bytes", (json_int_t)n);
}

/* An upload spooled to disk: the digest was taken as its bytes arrived. */
static json_t *spool_value(const mock_spool *sp)
{
    char hex[EA_SHA256_HEX_SIZE];
    size_t n = 0;
    if (mock_spool_digest(sp, hex, &n) != 0)
        return json_object();
    return json_pack("{s:s, s:I}", "sha256", hex, "bytes", (json_int_t)n);
}

/* A data: URL as {"data_url": MIME, "sha256", "bytes"} of its decoded bytes; any other
 * value as it came. Walks the whole body, so images and the mask alike. */
static json_t *without_bytes(json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        const char *comma = strchr(s, ',');
        if (strncmp(s, "data:", 5) != 0 || !comma || comma - s < 12 ||
            strncmp(comma - 7, ";base64", 7) != 0)
            return json_incref(v);
        ea_buf bytes;
        ea_buf_init(&bytes, MOCK_MAX_BODY);
        json_t *out = mock_base64_decode(comma + 1, strlen(comma + 1), &bytes) == 0
                          ? file_value(bytes.data, bytes.len) : json_object();
        json_object_set_new(out, "data_url", json_stringn(s + 5, (size_t)(comma - 7 - (s + 5))));
        ea_buf_free(&bytes);
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
            json_array_append_new(out, without_bytes(item));
        return out;
    }
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item)
            json_object_set_new(out, key, without_bytes(item));
        return out;
    }
    return json_incref(v);
}

int mock_request_log_line(const char *method, const char *path, const char *body, size_t len,
                          const mock_part *parts, const mock_request_meta *meta, ea_buf *out)
{
    json_t *line = json_pack("{s:s, s:s}", "method", method, "path", path);
    if (!line)
        return -1;
    if (parts) {
        json_t *list = json_array();
        for (const mock_part *p = parts; p; p = p->next) {
            json_t *part = p->spool      ? spool_value(p->spool)
                           : p->filename ? file_value(p->data.data, p->data.len)
                                         : json_object();
            json_object_set_new(part, "name", json_string(p->name));
            if (p->filename) {
                json_object_set_new(part, "filename", json_string(p->filename));
                json_object_set_new(part, "content_type",
                                    p->content_type ? json_string(p->content_type) : json_null());
            } else {
                json_object_set_new(part, "value",
                                    json_stringn(p->data.data ? p->data.data : "", p->data.len));
            }
            json_array_append_new(list, part);
        }
        json_object_set_new(line, "multipart", json_true());
        json_object_set_new(line, "parts", list);
    } else {
        json_t *doc = json_loadb(body ? body : "", len, 0, NULL);
        json_object_set_new(line, "multipart", json_false());
        json_object_set_new(line, "body", doc ? without_bytes(doc) : json_null());
        json_decref(doc);
    }
    json_object_set_new(line, "query", json_string(meta->query ? meta->query : ""));
    json_t *headers = json_pack("{s:b, s:b}", "api-key", meta->api_key, "authorization",
                                meta->authorization);
    if (meta->image_deployment)
        json_object_set_new(headers, "x-ms-oai-image-generation-deployment",
                            json_string(meta->image_deployment));
    json_object_set_new(line, "headers", headers);
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(line);
    int rc = text && ea_buf_puts(out, text) == 0 && ea_buf_putc(out, '\n') == 0 ? 0 : -1;
    free(text);
    return rc;
}

int mock_request_log_write(const char *file, const ea_buf *line)
{
    int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    int rc = ea_write_all(fd, line->data, line->len);
    close(fd);
    return rc;
}
