/* SPDX-License-Identifier: MIT */
#include "easel/backend.h"

#include "easel/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long easel-mock may take to say its port: milliseconds, or seconds on a loaded machine
 * or under a sanitizer. */
#define MOCK_START_TIMEOUT_MS 30000

/* easel-mock as a child (design.md 7); it answers its port, or why it could not start, on the
 * reply pipe. */
static int start_offline(ea_backend *b, ea_err *err)
{
    char path[2048];
    if (ea_helper_find("easel-mock", path, sizeof path, err) != 0)
        return -1;
    /* Each process starts its own offline backend; keeping its responses in the cache
     * lets `easel generate -S NAME` continue a session's chain in the next process. */
    char cache[900], state[1024];
    char fd[16];
    snprintf(fd, sizeof fd, "%d", EA_HELPER_REPLY_FD);
    char *argv[] = {"easel-mock", "--port", "0", "--quiet", "--port-fd", fd, NULL, NULL, NULL};
    if (ea_path_dir(EA_DIR_CACHE, cache, sizeof cache, NULL) == 0) {
        snprintf(state, sizeof state, "%s/offline-responses", cache);
        argv[6] = "--state-dir";
        argv[7] = state;
    }
    if (ea_helper_start(&b->mock, path, argv, true, err) != 0)
        return -1;
    char line[512];
    int ok = ea_helper_reply(&b->mock, line, sizeof line, MOCK_START_TIMEOUT_MS);
    char *end;
    long port = ok == 0 ? strtol(line, &end, 10) : 0;
    if (ok != 0 || line[0] == '!' || *end || port <= 0 || port > 65535) {
        ea_helper_stop(&b->mock);
        return ea_err_set(err, EA_EXIT_INTERNAL, "the offline backend did not start: %s",
                          line[0] == '!' ? line + 1 : ok == 0 ? line : "no reply from easel-mock");
    }
    snprintf(b->base_url, sizeof b->base_url, "http://127.0.0.1:%ld/v1", port);
    return 0;
}

bool ea_backend_wants_offline(const ea_config *cfg, bool force_offline)
{
    return force_offline ||
           (!ea_config_get(cfg, EA_CFG_API_KEY) && !ea_config_get(cfg, EA_CFG_BASE_URL));
}

int ea_backend_open(ea_backend *b, const ea_config *cfg, bool force_offline, bool start_mock,
                    ea_err *err)
{
    memset(b, 0, sizeof *b);
    b->mock.reply_fd = -1;
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
        return start_offline(b, err);
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
    ea_helper_stop(&b->mock);
}
