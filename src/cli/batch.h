/* SPDX-License-Identifier: MIT */
/* batch (private to src/cli/batch*.c): what `easel batch`'s subcommands share: the context
 * (config, backend, prices, the transfer loop), one HTTP exchange run to its end, and the
 * batches a session's log records. */
#ifndef EASEL_CLI_BATCH_H
#define EASEL_CLI_BATCH_H

/* Far past the Batch API's 50,000 lines, and far from overflowing a long when added. */
#define EA_BATCH_COUNT_MAX 1000000000L

#include <stdbool.h>
#include <stddef.h>

#include "easel/backend.h"
#include "easel/buf.h"
#include "easel/config.h"
#include "easel/http.h"
#include "easel/prices.h"
#include "easel/session.h"

typedef struct batch_ctx {
    ea_config cfg;
    ea_backend backend;
    ea_prices *prices;
    ea_http *http;
    const char *session;  /* -S NAME */
    bool json, force, offline, data_urls, no_fetch;
} batch_ctx;

/* One exchange: a JSON answer is kept in body (capped); with sink set, the body goes there
 * instead, as it arrives. */
typedef struct batch_call {
    ea_buf body;
    int (*sink)(void *ctx, const char *bytes, size_t n);
    int (*on_head)(void *ctx, const ea_http_head *head);
    void *sink_ctx;
    bool done;
    ea_http_result res;
    int status;
    char retry_after[32];
    char request_id[128];
} batch_call;

/* method "GET" or "POST"; path after the base URL ("/batches"). json or parts (or neither:
 * an empty JSON object). 0 when an answer came (see call->status), -1 with err (the exit
 * class) when none did. call->body is freed by batch_call_free. */
int batch_http(batch_ctx *c, const char *method, const char *path, const char *json,
               const ea_request_part *parts, int n_parts, unsigned long long range,
               batch_call *call, ea_err *err);
void batch_call_free(batch_call *call);
/* An answer that is not 2xx as an error naming the API's message: 3 for 4xx, 4 for 5xx. */
int batch_http_error(const batch_call *call, const char *what, ea_err *err);

/* The newest state of one batch, from its batch records. */
typedef struct batch_info {
    char part[96], campaign[96], batch_id[128], input_file_id[128], output_file_id[128],
        error_file_id[128], endpoint[64], status[32], created[40];
    long lines;
    int first_turn, last_turn;
    double estimate_usd;
    bool offline;
    long completed, failed, total; /* request_counts as last seen; -1 unknown; each at most
                                    * EA_BATCH_COUNT_MAX, whatever the server said */
} batch_info;

/* Does the line (not NUL-terminated, as the log's are) hold text? */
bool batch_has_text(const char *s, size_t n, const char *text);
/* The batches a session's log records, oldest first (*out owned by the caller). */
int batch_list_session(const char *session_dir, batch_info **out, size_t *n, ea_err *err);
/* Records the batch's newest state (after a status the API sent). */
int batch_record_state(ea_session *s, const batch_info *b, const char *counts_json,
                       const char *note, ea_err *err);
/* Fills b from a Batch object's JSON text. */
void batch_info_from_api(batch_info *b, const char *json, char *counts, size_t counts_size);

bool batch_status_final(const char *status);

/* fetch (batch_fetch.c): downloads the output and error files of b into the session. */
typedef struct batch_fetch_totals {
    long saved, failed, skipped, unknown, cancelled;
    long images;
    double cost_usd;
} batch_fetch_totals;
int batch_fetch_one(batch_ctx *c, ea_session *s, batch_info *b, batch_fetch_totals *t,
                    ea_err *err);

extern volatile int batch_stop_signal;

#endif
