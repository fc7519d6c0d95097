/* SPDX-License-Identifier: MIT */
#include "easel/backend.h"

#include "easel/paths.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The host of url as written ("h.example", "[::1]"), lowercase not applied; "" when none. */
static void url_host(const char *url, char *out, size_t size)
{
    const char *start = strstr(url, "://");
    start = start ? start + 3 : url;
    size_t n = start[0] == '[' ? strcspn(start, "]") + 1 : strcspn(start, ":/?#");
    snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), start);
}

static bool ends_with(const char *s, size_t len, const char *tail)
{
    size_t k = strlen(tail);
    return len >= k && strncasecmp(s + len - k, tail, k) == 0;
}

static bool names_env(const ea_config *cfg, enum ea_config_key key, const char *env)
{
    const char *from = ea_config_env_of(cfg, key);
    return from && strcmp(from, env) == 0;
}

/* Azure OpenAI, as the AzureOpenAI clients see it (protocol.md section 7): the key as api-key,
 * the Images API through /deployments/{model} under a base .../openai, and an api-version,
 * which the deployment form cannot do without. */
static int azure_setup(ea_backend *b, const ea_config *cfg, ea_err *err)
{
    char host[256];
    url_host(b->base_url, host, sizeof host);
    bool from_endpoint = names_env(cfg, EA_CFG_BASE_URL, "AZURE_OPENAI_ENDPOINT");
    bool azure_host = ends_with(host, strlen(host), ".azure.com");
    const char *auth = ea_config_get(cfg, EA_CFG_AUTH_HEADER);
    if (auth && strcasecmp(auth, "api-key") == 0)
        b->api_key_header = true;
    else if (auth && strcasecmp(auth, "bearer") != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "auth_header '%.100s': expected bearer or api-key",
                          auth);
    else if (!auth)
        b->api_key_header = from_endpoint || azure_host ||
                            names_env(cfg, EA_CFG_API_KEY, "AZURE_OPENAI_API_KEY");
    b->azure = from_endpoint || azure_host || b->api_key_header;
    size_t path_end = strcspn(b->base_url, "?#");
    while (path_end > 0 && b->base_url[path_end - 1] == '/')
        path_end--;
    b->azure_deployments = b->azure && ends_with(b->base_url, path_end, "/openai");
    /* api-version is the AzureOpenAI clients' parameter: the plain clients, which the v1 form
     * and every other backend use, never send it (a query in the base URL still goes). */
    if (!b->azure || ends_with(b->base_url, path_end, "/v1"))
        b->api_version = NULL;
    bool versioned = (b->api_version && *b->api_version) ||
                     strstr(b->base_url + path_end, "api-version=") != NULL;
    if (b->azure_deployments && !versioned)
        return ea_err_set(err, EA_EXIT_USAGE,
                          "Azure OpenAI (%.200s) needs an api-version: set OPENAI_API_VERSION or "
                          "api_version in the config (for example 2025-04-01-preview)",
                          b->base_url);
    return 0;
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
    /* curl would send a user name and password as Basic auth beside the key; refused before
     * anything is sent or recorded (a request record names the endpoint's URL). */
    size_t at, n;
    if (ea_url_userinfo(b->base_url, &at, &n)) {
        char shown[300];
        ea_url_for_display(b->base_url, shown, sizeof shown);
        b->base_url[0] = '\0';
        return ea_err_set(err, EA_EXIT_USAGE, "the base URL must not carry a user name or "
                          "password (%s); nothing was sent", shown);
    }
    b->api_key = ea_config_get(cfg, EA_CFG_API_KEY);
    b->organization = ea_config_get(cfg, EA_CFG_ORGANIZATION);
    b->project = ea_config_get(cfg, EA_CFG_PROJECT);
    b->api_version = ea_config_get(cfg, EA_CFG_API_VERSION);
    b->allow_http = ea_config_get(cfg, EA_CFG_ALLOW_HTTP);
    return azure_setup(b, cfg, err);
}

void ea_backend_close(ea_backend *b)
{
    ea_helper_stop(&b->mock);
}

/* One name=value of a query, as spans of the text it came from. */
typedef struct query_param {
    const char *name, *value;
    size_t name_len, value_len;
} query_param;

#define MAX_QUERY_PARAMS 32

/* Adds the parameters of query (no '?') to list, a name already there taking the new value
 * in its place. -1 when there are too many. */
static int query_merge(query_param *list, int *n, const char *query)
{
    while (query && *query) {
        size_t len = strcspn(query, "&");
        if (len > 0) {
            const char *eq = memchr(query, '=', len);
            query_param p = {query, eq ? eq + 1 : query + len, eq ? (size_t)(eq - query) : len,
                             eq ? len - (size_t)(eq - query) - 1 : 0};
            int i = 0;
            while (i < *n && !(list[i].name_len == p.name_len &&
                               memcmp(list[i].name, p.name, p.name_len) == 0))
                i++;
            if (i == *n && (*n)++ >= MAX_QUERY_PARAMS)
                return -1;
            list[i] = p;
        }
        query += len;
        if (*query == '&')
            query++;
    }
    return 0;
}

int ea_url_join(const char *base, const char *path, const char *api_version, char *out,
                size_t size)
{
    size_t base_path = strcspn(base, "?#");
    const char *base_query = base[base_path] == '?' ? base + base_path + 1 : "";
    size_t base_query_len = strcspn(base_query, "#");
    while (base_path > 0 && base[base_path - 1] == '/')
        base_path--;
    size_t path_len = strcspn(path, "?");
    const char *path_query = path[path_len] == '?' ? path + path_len + 1 : "";

    char *own_base_query = strndup(base_query, base_query_len);
    char version[256] = "";
    if (api_version && *api_version)
        snprintf(version, sizeof version, "api-version=%s", api_version);
    query_param list[MAX_QUERY_PARAMS];
    int n = 0;
    int rc = own_base_query && query_merge(list, &n, own_base_query) == 0 &&
             query_merge(list, &n, version) == 0 && query_merge(list, &n, path_query) == 0 ? 0 : -1;
    size_t at = 0;
    if (rc == 0) {
        int k = snprintf(out, size, "%.*s%.*s", (int)base_path, base, (int)path_len, path);
        at = k < 0 ? size : (size_t)k;
    }
    for (int i = 0; rc == 0 && i < n && at < size; i++) {
        int k = snprintf(out + at, size - at, "%c%.*s%s%.*s", i == 0 ? '?' : '&',
                         (int)list[i].name_len, list[i].name,
                         list[i].value > list[i].name + list[i].name_len ? "=" : "",
                         (int)list[i].value_len, list[i].value);
        at = k < 0 ? size : at + (size_t)k;
    }
    free(own_base_query);
    if (rc != 0 || at >= size) {
        if (size)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

/* The Images API's paths that Azure's clients send through /deployments/{model}. */
static bool deployment_routed(const char *path)
{
    size_t n = strcspn(path, "?");
    return (n == strlen("/images/generations") && strncmp(path, "/images/generations", n) == 0) ||
           (n == strlen("/images/edits") && strncmp(path, "/images/edits", n) == 0);
}

int ea_backend_url(const ea_backend *b, const char *path, const char *model, char *out,
                   size_t size)
{
    char routed[1024];
    if (b->azure_deployments && model && *model && deployment_routed(path)) {
        /* The model names the deployment: a path segment, so anything but the URL's
         * unreserved characters is percent-encoded. */
        size_t at = (size_t)snprintf(routed, sizeof routed, "/deployments/");
        for (const unsigned char *c = (const unsigned char *)model; *c && at + 4 < sizeof routed; c++) {
            if (strchr("-._~", *c) || (*c < 0x80 && isalnum(*c)))
                routed[at++] = (char)*c;
            else
                at += (size_t)snprintf(routed + at, sizeof routed - at, "%%%02X", *c);
        }
        if (snprintf(routed + at, sizeof routed - at, "%s", path) >= (int)(sizeof routed - at))
            return -1;
        path = routed;
    }
    return ea_url_join(b->base_url, path, b->api_version, out, size);
}

void ea_backend_http_init(const ea_backend *b, ea_http_request *hr)
{
    ea_http_request_init(hr);
    hr->api_key = b->api_key;
    hr->api_key_header = b->api_key_header;
    hr->organization = b->organization;
    hr->project = b->project;
    hr->allow_http = b->allow_http;
}
