/* SPDX-License-Identifier: MIT */
/* mock/fault.c: the configuration and the faults a test can ask for with --fault. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ea_mock_config_init(ea_mock_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->status_count = 1;
    cfg->retry_after_ms = -1;
    cfg->drop_after = -1;
    cfg->error_event_after = -2;
    cfg->malformed_event = -1;
    cfg->png_level = -1;
    cfg->batch_ms = 5000;
    cfg->batch_expire = -1;
    cfg->content_cut = -1;
    cfg->content_cut_count = 1;
}

/* A whole decimal number in [min, max]. */
static int parse_int(const char *text, int min, int max, int *out)
{
    if (!*text || isspace((unsigned char)*text))
        return -1;
    errno = 0;
    char *end;
    long v = strtol(text, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int copy_word(char *dst, size_t len, const char *value)
{
    size_t n = strlen(value);
    if (n == 0 || n >= len)
        return -1;
    memcpy(dst, value, n + 1);
    return 0;
}

/* value as the next of a fault's list (width bytes an entry, EA_MOCK_MAX_BLOCK_WORDS of
 * them, *n used). */
static int add_word(char *list, size_t width, int *n, const char *what, const char *key,
                    const char *value, ea_err *err)
{
    if (*n >= EA_MOCK_MAX_BLOCK_WORDS)
        return ea_err_set(err, EA_EXIT_USAGE, "--fault %s: at most %d %s", key,
                          EA_MOCK_MAX_BLOCK_WORDS, what);
    if (copy_word(list + (size_t)*n * width, width, value) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "--fault %s: bad value '%s'", key, value);
    (*n)++;
    return 0;
}

/* One KEY=VALUE of a fault. The options of status (count, retry-after, retry-after-ms) are
 * accepted on their own too, so "--fault status=429 --fault count=2" works. */
static int apply_fault(ea_mock_config *cfg, const char *key, const char *value, ea_err *err)
{
    int ok = -1;
    if (strcmp(key, "status") == 0)
        ok = parse_int(value, 100, 599, &cfg->status);
    else if (strcmp(key, "count") == 0)
        ok = parse_int(value, 1, INT_MAX, &cfg->status_count);
    else if (strcmp(key, "retry-after") == 0)
        ok = copy_word(cfg->retry_after, sizeof cfg->retry_after, value);
    else if (strcmp(key, "retry-after-ms") == 0)
        ok = parse_int(value, 0, INT_MAX, &cfg->retry_after_ms);
    else if (strcmp(key, "drop-after") == 0) {
        if (strcmp(value, "created") == 0) {
            cfg->drop_after_created = true;
            ok = 0;
        } else if (strcmp(value, "start") == 0) {
            cfg->drop_at_start = true;
            ok = 0;
        } else {
            ok = parse_int(value, 0, INT_MAX, &cfg->drop_after);
        }
    } else if (strcmp(key, "stall") == 0) {
        ok = strcmp(value, "queued") == 0 ? 0 : -1;
        cfg->queued_stall = ok == 0;
    } else if (strcmp(key, "expire") == 0)
        ok = parse_int(value, 1, INT_MAX, &cfg->expire_ms);
    else if (strcmp(key, "error-event") == 0) {
        if (strcmp(value, "start") == 0) {
            cfg->error_event_after = -1;
            ok = 0;
        } else {
            ok = parse_int(value, 0, INT_MAX, &cfg->error_event_after);
        }
    } else if (strcmp(key, "drip") == 0)
        ok = parse_int(value, 1, INT_MAX, &cfg->drip_bps);
    else if (strcmp(key, "malformed") == 0)
        ok = parse_int(value, 0, INT_MAX, &cfg->malformed_event);
    else if (strcmp(key, "delay") == 0)
        ok = parse_int(value, 0, 600000, &cfg->delay_ms);
    else if (strcmp(key, "tool-usage") == 0) {
        cfg->omit_tool_usage = strcmp(value, "omit") == 0;
        ok = cfg->omit_tool_usage ? 0 : -1;
    }
    else if (strcmp(key, "batch-fail") == 0)
        ok = parse_int(value, 0, INT_MAX, &cfg->batch_fail);
    else if (strcmp(key, "batch-expire") == 0)
        ok = parse_int(value, 0, INT_MAX, &cfg->batch_expire);
    else if (strcmp(key, "batch-invalid") == 0)
        ok = parse_int(value, 1, INT_MAX, &cfg->batch_invalid_line);
    else if (strcmp(key, "cut") == 0) {
        int bytes = 0;
        ok = parse_int(value, 0, INT_MAX, &bytes);
        cfg->content_cut = bytes;
    } else if (strcmp(key, "cut-count") == 0)
        ok = parse_int(value, 1, INT_MAX, &cfg->content_cut_count);
    else if (strcmp(key, "block") == 0)
        return add_word(cfg->block_words[0], sizeof cfg->block_words[0], &cfg->n_block_words,
                        "words", key, value, err);
    else if (strcmp(key, "model") == 0)
        return add_word(cfg->extra_models[0], sizeof cfg->extra_models[0], &cfg->n_extra_models,
                        "models", key, value, err);
    else {
        return ea_err_set(err, EA_EXIT_USAGE,
                          "--fault: unknown fault '%s' (status, count, retry-after, "
                          "retry-after-ms, drop-after, error-event, drip, block, malformed, "
                          "delay, tool-usage, stall, expire, model, batch-fail, batch-expire, "
                          "batch-invalid, cut, cut-count)", key);
    }
    if (ok != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "--fault %s: bad value '%s'", key, value);
    return 0;
}

int ea_mock_fault_parse(ea_mock_config *cfg, const char *spec, ea_err *err)
{
    char copy[256];
    if (snprintf(copy, sizeof copy, "%s", spec) >= (int)sizeof copy)
        return ea_err_set(err, EA_EXIT_USAGE, "--fault: '%.40s...' is too long", spec);
    char *save = NULL;
    int items = 0;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq)
            return ea_err_set(err, EA_EXIT_USAGE, "--fault: '%s' is not NAME=VALUE", item);
        *eq = '\0';
        if (apply_fault(cfg, item, eq + 1, err) != 0)
            return -1;
        items++;
    }
    if (items == 0)
        return ea_err_set(err, EA_EXIT_USAGE, "--fault: empty fault");
    return 0;
}

const char *mock_fault_blocked_word(const ea_mock_config *cfg, const char *prompt)
{
    for (int i = 0; prompt && i < cfg->n_block_words; i++) {
        size_t n = strlen(cfg->block_words[i]);
        for (const char *p = prompt; *p; p++)
            if (strncasecmp(p, cfg->block_words[i], n) == 0)
                return cfg->block_words[i];
    }
    return NULL;
}

void mock_fault_status_error(int status, mock_error *e)
{
    /* Types and codes as the API sends them with each status. */
    static const struct {
        int status;
        const char *type, *code, *message;
    } known[] = {
        { 400, "invalid_request_error", NULL, "Bad request." },
        { 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided." },
        { 403, "invalid_request_error", NULL, "You are not allowed to use this model." },
        { 404, "invalid_request_error", NULL, "Not found." },
        { 408, "timeout", NULL, "Request timed out." },
        { 409, "invalid_request_error", NULL, "Conflict." },
        { 429, "requests", "rate_limit_exceeded",
          "Rate limit reached for images per minute. Please try again later." },
        { 500, "server_error", NULL,
          "The server had an error while processing your request. Sorry about that!" },
        { 502, "server_error", NULL, "Bad gateway." },
        { 503, "server_error", NULL, "The engine is currently overloaded, please try again later." },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i].status == status) {
            mock_fail(e, status, known[i].type, known[i].code, NULL,
                      "%s " MOCK_OFFLINE_NOTE " fault status=%d", known[i].message, status);
            return;
        }
    mock_fail(e, status, status >= 500 ? "server_error" : "invalid_request_error", NULL, NULL,
              "HTTP %d " MOCK_OFFLINE_NOTE " fault status=%d", status, status);
}
