/* SPDX-License-Identifier: MIT */
#include "easel/backend.h"

#include "easel/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ea_backend_wants_offline(const ea_config *cfg, bool force_offline)
{
    return force_offline ||
           (!ea_config_get(cfg, EA_CFG_API_KEY) && !ea_config_get(cfg, EA_CFG_BASE_URL));
}

int ea_backend_open(ea_backend *b, const ea_config *cfg, bool force_offline, bool start_mock,
                    ea_err *err)
{
    memset(b, 0, sizeof *b);
    /* For slow links (longer) and tests (shorter): how long a silent connection may last. */
    const char *idle = getenv("EASEL_IDLE_TIMEOUT_MS");
    if (idle && atoi(idle) > 0)
        b->idle_timeout_ms = atoi(idle);
    const char *queued = getenv("EASEL_QUEUED_TIMEOUT_MS");
    if (queued && atoi(queued) > 0)
        b->queued_timeout_ms = atoi(queued);
    if (ea_backend_wants_offline(cfg, force_offline)) {
        b->offline = true;
        snprintf(b->base_url, sizeof b->base_url, "http://127.0.0.1:0/v1");
        if (!start_mock)
            return 0;
        ea_mock_config mc;
        ea_mock_config_init(&mc);
        mc.quiet = true;
        /* Each process starts its own offline backend; keeping its responses in the cache
         * lets `easel generate -S NAME` continue a session's chain in the next process. */
        char cache[900];
        if (ea_path_dir(EA_DIR_CACHE, cache, sizeof cache, NULL) == 0)
            snprintf(mc.state_dir, sizeof mc.state_dir, "%s/offline-responses", cache);
        b->mock = ea_mock_start(&mc, err);
        if (!b->mock)
            return -1;
        snprintf(b->base_url, sizeof b->base_url, "%s", ea_mock_base_url(b->mock));
        return 0;
    }
    const char *url = ea_config_get(cfg, EA_CFG_BASE_URL);
    snprintf(b->base_url, sizeof b->base_url, "%s", url ? url : EA_DEFAULT_BASE_URL);
    /* "https://host/v1/" and "https://host/v1" name the same base. */
    size_t len = strlen(b->base_url);
    while (len > 0 && b->base_url[len - 1] == '/')
        b->base_url[--len] = '\0';
    b->api_key = ea_config_get(cfg, EA_CFG_API_KEY);
    b->organization = ea_config_get(cfg, EA_CFG_ORGANIZATION);
    b->project = ea_config_get(cfg, EA_CFG_PROJECT);
    return 0;
}

void ea_backend_close(ea_backend *b)
{
    ea_mock_free(&b->mock);
}
