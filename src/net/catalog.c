/* SPDX-License-Identifier: MIT */
#include "easel/catalog.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "easel/buf.h"
#include "easel/events.h"
#include "easel/sanitize.h"

/* A list of models is a few hundred entries of a hundred bytes. */
#define MAX_CATALOG_BYTES ((size_t)4 << 20)

static int by_kind_then_id(const void *a, const void *b)
{
    const ea_catalog_entry *x = a, *y = b;
    bool xi = x->mark != EA_MARK_OTHER, yi = y->mark != EA_MARK_OTHER;
    if (xi != yi)
        return xi ? -1 : 1;
    return strcmp(x->id, y->id);
}

int ea_catalog_parse(const char *json, size_t len, ea_catalog *out, ea_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *data = json_object_get(root, "data");
    if (!json_is_array(data)) {
        json_decref(root);
        return ea_err_set(err, EA_EXIT_NETWORK, "the list of models is not {\"data\": [...]}");
    }
    out->models = calloc(json_array_size(data) + 1, sizeof *out->models);
    size_t i;
    json_t *item;
    json_array_foreach(data, i, item) {
        const char *id = json_string_value(json_object_get(item, "id"));
        const char *owner = json_string_value(json_object_get(item, "owned_by"));
        if (!out->models || !id)
            continue;
        ea_catalog_entry *e = &out->models[out->n];
        e->id = strdup(id);
        e->owned_by = strdup(owner ? owner : "");
        json_t *created = json_object_get(item, "created");
        e->created = json_is_integer(created) ? (long)json_integer_value(created) : 0;
        e->mark = ea_model_mark_of(id);
        if (!e->id || !e->owned_by) {
            free(e->id);
            free(e->owned_by);
            continue;
        }
        out->n++;
    }
    json_decref(root);
    if (!out->models)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    qsort(out->models, (size_t)out->n, sizeof *out->models, by_kind_then_id);
    return 0;
}

void ea_catalog_free(ea_catalog *c)
{
    for (int i = 0; c->models && i < c->n; i++) {
        free(c->models[i].id);
        free(c->models[i].owned_by);
    }
    free(c->models);
    memset(c, 0, sizeof *c);
}

typedef struct fetch {
    ea_catalog_done done;
    void *ctx;
    char url[2400];
    ea_buf body;
} fetch;

static int on_body(void *ctx, const char *bytes, size_t n)
{
    fetch *f = ctx;
    return ea_buf_append(&f->body, bytes, n);
}

/* Why a complete answer that is not a list of models failed: the API's message, if any. */
static void refused(const fetch *f, int status, ea_err *err)
{
    ea_event *ev = ea_event_parse_body(f->body.data ? f->body.data : "", f->body.len, NULL);
    char message[512] = "";
    if (ev && ev->has_error && *ev->error.message)
        ea_sanitize_copy(message, sizeof message, ev->error.message);
    ea_event_free(&ev);
    ea_err_set(err, status >= 500 ? EA_EXIT_NETWORK : EA_EXIT_REFUSED, "GET /models: HTTP %d%s%s",
               status, *message ? ": " : "", message);
}

static void on_done(void *ctx, const ea_http_result *r)
{
    fetch *f = ctx;
    ea_err err = {0};
    ea_catalog cat = {0};
    int rc = -1;
    if (r->outcome != EA_HTTP_COMPLETE)
        err = r->err;
    else if (r->head.status < 200 || r->head.status >= 300)
        refused(f, r->head.status, &err);
    else
        rc = ea_catalog_parse(f->body.data ? f->body.data : "", f->body.len, &cat, &err);
    f->done(f->ctx, rc, rc == 0 ? &cat : NULL, &err);
    ea_buf_free(&f->body);
    free(f);
}

int ea_catalog_fetch(ea_http *h, const ea_backend *b, ea_catalog_done done, void *ctx,
                     ea_err *err)
{
    static const ea_http_callbacks callbacks = {NULL, on_body, NULL, on_done};
    fetch *f = calloc(1, sizeof *f);
    if (!f)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    f->done = done;
    f->ctx = ctx;
    ea_buf_init(&f->body, MAX_CATALOG_BYTES);
    if (ea_backend_url(b, "/models", NULL, f->url, sizeof f->url) != 0) {
        free(f);
        return ea_err_set(err, EA_EXIT_USAGE, "the backend's URL is too long");
    }
    ea_http_request hr;
    ea_backend_http_init(b, &hr);
    hr.url = f->url;
    hr.method = "GET";
    hr.max_response_bytes = MAX_CATALOG_BYTES;
    if (!ea_http_start(h, &hr, &callbacks, f, err)) {
        free(f);
        return -1;
    }
    return 0;
}
