/* SPDX-License-Identifier: MIT */
/* backend: where requests go: the API (or OPENAI_BASE_URL) with the user's key, or the offline
 * backend (easel-mock, run as a child) when there is no key and no base URL, or when asked. */
#ifndef EASEL_BACKEND_H
#define EASEL_BACKEND_H

#include <stdbool.h>

#include "easel/config.h"
#include "easel/err.h"
#include "easel/helper.h"

#define EA_DEFAULT_BASE_URL "https://api.openai.com/v1"

typedef struct ea_backend {
    char base_url[2048];
    const char *api_key;       /* borrowed from the config; NULL on the offline backend */
    const char *organization;  /* borrowed; NULL when unset */
    const char *project;       /* borrowed; NULL when unset */
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

#endif
