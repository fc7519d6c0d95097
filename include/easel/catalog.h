/* SPDX-License-Identifier: MIT */
/* catalog: the models a backend lists (GET /models), each marked against easel's rule table
 * (models.h), fetched on the caller's ea_http loop so that a workbench never waits for it. */
#ifndef EASEL_CATALOG_H
#define EASEL_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "easel/backend.h"
#include "easel/err.h"
#include "easel/http.h"
#include "easel/models.h"

typedef struct ea_catalog_entry {
    char *id;                 /* as received: sanitize before printing */
    char *owned_by;           /* as received; "" when absent */
    long created;             /* unix seconds; 0 when absent */
    enum ea_model_mark mark;
} ea_catalog_entry;

typedef struct ea_catalog {
    ea_catalog_entry *models; /* image models first, then the others; each group by id */
    int n;
} ea_catalog;

/* Parses a /models body ({"object": "list", "data": [{id, created, owned_by}...]}); an entry
 * without a string id is skipped. -1 with err (EA_EXIT_NETWORK) when the JSON is malformed or
 * has no data array. */
int ea_catalog_parse(const char *json, size_t len, ea_catalog *out, ea_err *err);
void ea_catalog_free(ea_catalog *c);

/* The end of a fetch: rc 0 and *cat (the callee's to ea_catalog_free), or -1 and err: the
 * API's refusal (EA_EXIT_REFUSED, HTTP 4xx, its message sanitized), a network or server
 * failure (EA_EXIT_NETWORK), cancelled (EA_EXIT_INTERRUPTED). */
typedef void (*ea_catalog_done)(void *ctx, int rc, ea_catalog *cat, const ea_err *err);

/* Starts GET {base}/models on h with b's key and headers (b must outlive the fetch). Runs as
 * h's loop runs; done fires once, from ea_http_process or ea_http_free. -1 with err when
 * it cannot start (the URL breaks the transport rules: EA_EXIT_USAGE). */
int ea_catalog_fetch(ea_http *h, const ea_backend *b, ea_catalog_done done, void *ctx,
                     ea_err *err);

#endif
