/* SPDX-License-Identifier: MIT */
/* backend: where requests go: the API (or OPENAI_BASE_URL) with the user's key, or the offline
 * backend (easel-mock, run as a child) when there is no key and no base URL, or when asked. */
#ifndef EASEL_BACKEND_H
#define EASEL_BACKEND_H

#include <stdbool.h>

#include "easel/config.h"
#include "easel/err.h"
#include "easel/helper.h"
#include "easel/http.h"

#define EA_DEFAULT_BASE_URL "https://api.openai.com/v1"

typedef struct ea_backend {
    char base_url[2048];
    const char *api_key;       /* borrowed from the config; NULL on the offline backend */
    const char *organization;  /* borrowed; NULL when unset */
    const char *project;       /* borrowed; NULL when unset */
    /* borrowed: config api_version / $OPENAI_API_VERSION against Azure but its v1 form; NULL */
    const char *api_version;
    const char *allow_http;    /* borrowed: config allow_http, or NULL */
    bool api_key_header;       /* the key goes as `api-key: KEY` (Azure), not Bearer */
    /* Azure OpenAI: $AZURE_OPENAI_ENDPOINT, a host under azure.com, or auth_header = api-key. */
    bool azure;
    /* Azure's deployment form (base .../openai): the Images API's paths go through
     * /deployments/{model}, as the AzureOpenAI clients route them. */
    bool azure_deployments;
    bool offline;
    int idle_timeout_ms;       /* $EASEL_IDLE_TIMEOUT_MS, else 0 (the client's default) */
    /* $EASEL_QUEUED_TIMEOUT_MS, else 0 (the turn's default): how long a background response
     * may stay queued before it is cancelled. */
    int queued_timeout_ms;
    ea_helper mock;            /* the offline backend's process, stopped by ea_backend_close */
} ea_backend;

/* True when this config would run on the offline backend. */
bool ea_backend_wants_offline(const ea_config *cfg, bool force_offline);
/* start_mock=false fills in everything but leaves the offline backend unstarted (--dry-run). */
int ea_backend_open(ea_backend *b, const ea_config *cfg, bool force_offline, bool start_mock,
                    ea_err *err);
void ea_backend_close(ea_backend *b);

/* The URL of path (an endpoint such as "/images/generations", which may carry a query of its
 * own) on the backend, into out: Azure's deployment routing for the Images API (model names
 * the deployment), then ea_url_join with the backend's api_version. -1 when it does not fit. */
int ea_backend_url(const ea_backend *b, const char *path, const char *model, char *out,
                   size_t size);
/* Joins a base URL, which may carry a query (Azure's ?api-version=...), and a path, which may
 * carry its own: the path goes before the query. The query is the base's parameters, then
 * api-version=api_version when that is set (replacing the base's), then the path's own, a
 * later value replacing an earlier one of the same name in its place. Trailing slashes of
 * the base's path are dropped ("https://h/v1/" and "https://h/v1" are the same base). -1
 * when the result does not fit. */
int ea_url_join(const char *base, const char *path, const char *api_version, char *out,
                size_t size);
/* ea_http_request_init, then what every request to this backend carries: the key and how it
 * is sent, organization, project, the hosts plain http may go to. */
void ea_backend_http_init(const ea_backend *b, ea_http_request *hr);

#endif
