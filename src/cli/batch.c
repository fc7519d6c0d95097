/* SPDX-License-Identifier: MIT */
/* batch: `easel batch plan|submit|status|wait|fetch|cancel`: a campaign of many generations
 * on the Batch API (protocol.md 14), at half the price, in a session's audit log. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "easel/api.h"
#include "easel/budget.h"
#include "easel/campaign.h"
#include "easel/cli.h"
#include "easel/options.h"
#include "easel/gfx.h"
#include "easel/sanitize.h"

#define ANSWER_MAX ((size_t)16 << 20)
/* Polling: the first wait, the longest, and the factor between them. $EASEL_BATCH_POLL_MS
 * sets the first (the tests speed it up). */
#define POLL_FIRST_MS 2000
#define POLL_MAX_MS 60000

volatile int batch_stop_signal;

static void on_signal(int sig)
{
    batch_stop_signal = sig;
}

enum { OPT_SESSION = 1, OPT_JSON, OPT_FORCE, OPT_OFFLINE, OPT_DATA_URLS, OPT_NO_FETCH };

static const ea_opt batch_opts[] = {
    {"session", 'S', "NAME", "the session: continued or created by submit; whose batches the others mean",
     OPT_SESSION, EA_VAL_SESSION, NULL, NULL},
    {"json", 0, NULL, "one JSON object (a line per batch or change) for scripts", OPT_JSON,
     EA_VAL_NONE, NULL, NULL},
    {"force", 0, NULL, "submit even past session_budget_usd or budget_usd", OPT_FORCE,
     EA_VAL_NONE, NULL, NULL},
    {"offline", 0, NULL, "use the offline backend", OPT_OFFLINE, EA_VAL_NONE, NULL, NULL},
    {"data-urls", 0, NULL, "submit: images inside each line as data: URLs, not uploaded files",
     OPT_DATA_URLS, EA_VAL_NONE, NULL, NULL},
    {"no-fetch", 0, NULL, "wait: do not fetch the results when done", OPT_NO_FETCH, EA_VAL_NONE,
     NULL, NULL},
};
EA_OPTIONS_FN(batch_options, batch_opts)

const ea_command ea_command_batch = {
    "batch", "plan|submit|status|wait|fetch|cancel [FILE|BATCH]",
    "many generations on the Batch API, at half the price",
    "easel batch plan FILE | submit FILE | status [BATCH] | wait [BATCH] | fetch [BATCH] | "
    "cancel BATCH\n"
    "A campaign of many generations on the Batch API, at half the price, within 24 hours. "
    "FILE is JSONL (one object a line with generate's fields: prompt, model, size, quality, "
    "format, n, images, mask, background, compression, moderation, input_fidelity, custom_id), "
    "a template line with \"vary\": {\"NAME\": [values]} whose {NAME} fields in the prompt are "
    "crossed with the lists, or CSV with a header naming the fields. plan checks every line and "
    "prints the estimate; it sends nothing. BATCH is a batch id (batch_...) or a part "
    "(CAMPAIGN/N); without it, the batches of the session (-S NAME, else the newest one with "
    "batches).",
    "exit codes: 0 done, 1 internal error, 2 bad plan or arguments (nothing sent),\n"
    "3 refused by the API (or lines that failed, a failed, expired or cancelled\n"
    "batch: their results are recorded), 4 network or server failure, 5 interrupted\n"
    "after sending, 130 Ctrl-C. See easel(1), BATCH CAMPAIGNS.\n",
    ea_cmd_batch, batch_options, EA_VAL_NONE, false,
};

/* ---- The context and one HTTP exchange ------------------------------------------------- */

static int ctx_open(batch_ctx *c, bool need_backend, ea_err *err)
{
    if (ea_config_load(&c->cfg, err) != 0)
        return -1;
    if (!(c->prices = ea_prices_load(err)))
        return -1;
    if (!need_backend)
        return ea_backend_open(&c->backend, &c->cfg, c->offline, false, err);
    if (ea_backend_open(&c->backend, &c->cfg, c->offline, true, err) != 0)
        return -1;
    if (!(c->http = ea_http_new()))
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    return 0;
}

static void ctx_close(batch_ctx *c)
{
    ea_http_free(&c->http);
    ea_prices_free(&c->prices);
    ea_backend_close(&c->backend);
    ea_config_free(&c->cfg);
}

static int call_head(void *ctx, const ea_http_head *head)
{
    batch_call *call = ctx;
    call->status = head->status;
    snprintf(call->retry_after, sizeof call->retry_after, "%s", head->retry_after);
    snprintf(call->request_id, sizeof call->request_id, "%s", head->request_id);
    return call->on_head ? call->on_head(call->sink_ctx, head) : 0;
}

static int call_body(void *ctx, const char *bytes, size_t n)
{
    batch_call *call = ctx;
    /* An error answer is always kept, to be read; a 2xx one goes to the sink. */
    if (call->sink && call->status >= 200 && call->status < 300)
        return call->sink(call->sink_ctx, bytes, n);
    if (ea_buf_append(&call->body, bytes, n) != 0)
        return 1;
    return 0;
}

static void call_done(void *ctx, const ea_http_result *res)
{
    batch_call *call = ctx;
    call->res = *res;
    call->status = res->head.status;
    call->done = true;
}

int batch_http(batch_ctx *c, const char *method, const char *path, const char *json,
               const ea_request_part *parts, int n_parts, unsigned long long range,
               batch_call *call, ea_err *err)
{
    char url[4200];
    /* As every other request: the base URL's query (Azure's api-version) after the path, the
     * key in the header the backend takes (Azure's api-key), allow_http honoured. */
    if (ea_backend_url(&c->backend, path, NULL, url, sizeof url) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "the base URL and %s make no URL", path);
    ea_buf_init(&call->body, ANSWER_MAX);
    call->done = false;
    call->status = 0;
    ea_http_request req;
    ea_backend_http_init(&c->backend, &req);
    req.url = url;
    req.method = strcmp(method, "GET") == 0 ? "GET" : NULL;
    req.json_body = req.method ? NULL : parts ? NULL : json ? json : "{}";
    req.parts = parts;
    req.n_parts = n_parts;
    req.range_start = range;
    req.max_response_bytes = (size_t)1 << 50; /* an output file can be GB: read as it comes */
    if (c->backend.idle_timeout_ms > 0)
        req.idle_timeout_ms = c->backend.idle_timeout_ms;
    /* Creating a batch is not retried once sent: a second one would run (and bill) twice. */
    ea_http_callbacks cb = {call_head, call_body, NULL, call_done};
    if (!ea_http_start(c->http, &req, &cb, call, err))
        return -1;
    bool cancelled = false;
    while (!call->done) {
        if (batch_stop_signal && !cancelled) {
            cancelled = true;
            /* The request in flight is dropped; what was recorded stays. */
            ea_http_free(&c->http);
            c->http = ea_http_new();
            break;
        }
        if (ea_http_wait(c->http, NULL, 0, 200) != 0 && errno != EINTR)
            return ea_err_set(err, EA_EXIT_INTERNAL, "waiting for the network: %s",
                              strerror(errno));
        if (ea_http_process(c->http) != 0)
            return ea_err_set(err, EA_EXIT_INTERNAL, "the transfer loop failed");
    }
    if (batch_stop_signal)
        return ea_err_set(err, batch_stop_signal == SIGINT ? EA_EXIT_SIGINT : EA_EXIT_INTERRUPTED,
                          "stopped by %s", batch_stop_signal == SIGINT ? "Ctrl-C" : "a signal");
    if (call->res.outcome != EA_HTTP_COMPLETE) {
        int code = call->res.err.code ? call->res.err.code : EA_EXIT_NETWORK;
        return ea_err_set(err, code, "%s %s: %s", method, path, call->res.err.msg);
    }
    return 0;
}

void batch_call_free(batch_call *call)
{
    ea_buf_free(&call->body);
}

int batch_http_error(const batch_call *call, const char *what, ea_err *err)
{
    json_t *o = call->body.data ? json_loadb(call->body.data, call->body.len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(json_object_get(o, "error"), "message"));
    int code = call->status >= 500 || call->status == 0 ? EA_EXIT_NETWORK : EA_EXIT_REFUSED;
    ea_err_set(err, code, "%s: HTTP %d%s%s", what, call->status, msg ? ": " : "",
               msg ? msg : "");
    json_decref(o);
    return -1;
}

/* ---- Batches in the log ---------------------------------------------------------------- */

bool batch_status_final(const char *status)
{
    static const char *const final[] = {"completed", "failed", "expired", "cancelled", NULL};
    for (const char *const *f = final; *f; f++)
        if (strcmp(status, *f) == 0)
            return true;
    return false;
}

static void copy_str(char *dst, size_t size, const json_t *v)
{
    if (json_is_string(v))
        snprintf(dst, size, "%s", json_string_value(v));
}

/* A count as the server said it, kept within what a batch can hold: the server's numbers are
 * added and scaled (the progress bar), and one past LONG_MAX or below 0 must not overflow. */
static long count_of(const json_t *counts, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(counts, key));
    return v < 0 ? 0 : v > EA_BATCH_COUNT_MAX ? EA_BATCH_COUNT_MAX : (long)v;
}

static void counts_from(batch_info *b, const json_t *counts)
{
    if (!json_is_object(counts))
        return;
    b->total = count_of(counts, "total");
    b->completed = count_of(counts, "completed");
    b->failed = count_of(counts, "failed");
}

bool batch_has_text(const char *s, size_t n, const char *text)
{
    size_t k = strlen(text);
    for (const char *p = s; n >= k && (p = memchr(p, text[0], n - k + 1 - (size_t)(p - s)));
         p++)
        if (memcmp(p, text, k) == 0)
            return true;
    return false;
}

int batch_list_session(const char *session_dir, batch_info **out, size_t *n, ea_err *err)
{
    *out = NULL;
    *n = 0;
    ea_audit_stream *st;
    if (ea_audit_stream_open(session_dir, EA_AUDIT_STREAM_RECORDS, &st, err) != 0)
        return -1;
    const char *line;
    size_t len, cap = 0;
    int rc;
    while ((rc = ea_audit_stream_next(st, &line, &len, err)) == 1) {
        if (!batch_has_text(line, len, "\"kind\":\"batch\""))
            continue;
        json_t *rec = json_loadb(line, len, 0, NULL);
        const char *part = json_string_value(json_object_get(rec, "part"));
        if (!part) {
            json_decref(rec);
            continue;
        }
        batch_info *b = NULL;
        for (size_t i = 0; i < *n; i++)
            if (strcmp((*out)[i].part, part) == 0)
                b = &(*out)[i];
        if (!b) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 8;
                batch_info *grown = realloc(*out, cap * sizeof *grown);
                if (!grown) {
                    json_decref(rec);
                    rc = ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
                    break;
                }
                *out = grown;
            }
            b = &(*out)[(*n)++];
            memset(b, 0, sizeof *b);
            b->total = b->completed = b->failed = -1;
            copy_str(b->created, sizeof b->created, json_object_get(rec, "ts"));
        }
        copy_str(b->part, sizeof b->part, json_object_get(rec, "part"));
        copy_str(b->campaign, sizeof b->campaign, json_object_get(rec, "campaign"));
        copy_str(b->batch_id, sizeof b->batch_id, json_object_get(rec, "batch_id"));
        copy_str(b->input_file_id, sizeof b->input_file_id, json_object_get(rec, "input_file_id"));
        copy_str(b->output_file_id, sizeof b->output_file_id,
                 json_object_get(rec, "output_file_id"));
        copy_str(b->error_file_id, sizeof b->error_file_id, json_object_get(rec, "error_file_id"));
        copy_str(b->endpoint, sizeof b->endpoint, json_object_get(rec, "endpoint"));
        copy_str(b->status, sizeof b->status, json_object_get(rec, "status"));
        b->lines = (long)json_integer_value(json_object_get(rec, "lines"));
        b->first_turn = (int)json_integer_value(json_object_get(rec, "first_turn"));
        b->last_turn = (int)json_integer_value(json_object_get(rec, "last_turn"));
        b->estimate_usd = json_is_number(json_object_get(rec, "estimate_usd"))
                              ? json_number_value(json_object_get(rec, "estimate_usd")) : NAN;
        b->offline = json_is_true(json_object_get(rec, "offline"));
        counts_from(b, json_object_get(rec, "request_counts"));
        json_decref(rec);
    }
    ea_audit_stream_close(&st);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int batch_record_state(ea_session *s, const batch_info *b, const char *counts_json,
                       const char *note, ea_err *err)
{
    ea_audit_batch rec;
    ea_audit_batch_init(&rec);
    rec.part = b->part;
    rec.campaign = b->campaign;
    rec.batch_id = *b->batch_id ? b->batch_id : NULL;
    rec.input_file_id = *b->input_file_id ? b->input_file_id : NULL;
    rec.output_file_id = *b->output_file_id ? b->output_file_id : NULL;
    rec.error_file_id = *b->error_file_id ? b->error_file_id : NULL;
    rec.endpoint = b->endpoint;
    rec.n_lines = b->lines;
    rec.first_turn = b->first_turn;
    rec.last_turn = b->last_turn;
    rec.estimate_usd = b->estimate_usd;
    rec.interactive_usd = isnan(b->estimate_usd) ? NAN : b->estimate_usd / EA_BATCH_PRICE_FACTOR;
    rec.status = b->status;
    rec.counts_json = counts_json;
    rec.offline = b->offline;
    rec.note = note;
    return ea_session_record_batch(s, &rec, err);
}

void batch_info_from_api(batch_info *b, const char *json, char *counts, size_t counts_size)
{
    json_t *o = json_loads(json, 0, NULL);
    copy_str(b->status, sizeof b->status, json_object_get(o, "status"));
    copy_str(b->output_file_id, sizeof b->output_file_id, json_object_get(o, "output_file_id"));
    copy_str(b->error_file_id, sizeof b->error_file_id, json_object_get(o, "error_file_id"));
    copy_str(b->input_file_id, sizeof b->input_file_id, json_object_get(o, "input_file_id"));
    const json_t *rc = json_object_get(o, "request_counts");
    counts_from(b, rc);
    /* The counts as read, not the server's object as sent: one with more fields than fit
     * would be cut into JSON the log refuses, and every later record of the batch with it. */
    if (counts && json_is_object(rc))
        snprintf(counts, counts_size, "{\"total\":%ld,\"completed\":%ld,\"failed\":%ld}",
                 b->total, b->completed, b->failed);
    else if (counts)
        snprintf(counts, counts_size, "null");
    json_decref(o);
}

/* ---- plan ------------------------------------------------------------------------------ */

static void print_messages(const ea_buf *b, size_t count, const char *what)
{
    if (b->data)
        fputs(b->data, stderr);
    if (count > EA_PLAN_MAX_ERRORS)
        fprintf(stderr, "... and %zu more %s\n", count - EA_PLAN_MAX_ERRORS, what);
}

/* The plan, checked: 0, or -1 with the errors printed and err set (exit 2). */
static int load_plan(const char *path, ea_plan *plan, ea_err *err)
{
    if (ea_plan_load(plan, path, err) != 0)
        return -1;
    print_messages(&plan->warnings, plan->n_warnings, "warnings");
    if (plan->n_errors) {
        print_messages(&plan->errors, plan->n_errors, "errors");
        return ea_err_set(err, EA_EXIT_USAGE, "%s: %zu line%s refused, nothing sent", path,
                          plan->n_errors, plan->n_errors == 1 ? "" : "s");
    }
    return 0;
}

/* The budget's word on a campaign: *verdict filled; offline money is never spend. */
static int plan_verdict(batch_ctx *c, double batch_usd, char *out, size_t size, bool *past,
                        ea_err *err)
{
    *past = false;
    if (c->backend.offline) {
        snprintf(out, size, "the offline backend: offline money, no budget applies");
        return 0;
    }
    ea_session *s = NULL;
    if (c->session)
        ea_session_open(c->session, EA_SESSION_READ, &s, NULL);
    ea_err why = {0};
    int rc = ea_budget_check(&c->cfg, s, batch_usd, &why);
    ea_session_close(&s);
    if (rc == 0) {
        snprintf(out, size, "within the budget");
        return 0;
    }
    if (why.code != EA_EXIT_USAGE) {
        *err = why;
        return -1;
    }
    *past = true;
    snprintf(out, size, "%s", why.msg);
    return 0;
}

static int cmd_plan(batch_ctx *c, const char *path, ea_err *err)
{
    ea_plan plan;
    ea_plan_init(&plan);
    int rc = -1;
    if (load_plan(path, &plan, err) != 0 || ctx_open(c, false, err) != 0)
        goto done;
    ea_plan_estimate est;
    ea_plan_estimate_cost(&plan, c->prices, &est);
    ea_plan_part *parts = NULL;
    size_t n_parts = 0;
    if (ea_plan_split(&plan, NULL, &parts, &n_parts, err) != 0)
        goto done;
    ea_plan_parts_free(&parts, n_parts);
    char verdict[1200];
    bool past;
    if (plan_verdict(c, est.batch_usd, verdict, sizeof verdict, &past, err) != 0)
        goto done;
    if (c->json) {
        json_t *endpoints = json_array();
        if (est.lines_generations)
            json_array_append_new(endpoints, json_string(EA_ENDPOINT_GENERATIONS));
        if (est.lines_edits)
            json_array_append_new(endpoints, json_string(EA_ENDPOINT_EDITS));
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:I, s:o, s:o, s:b, s:s, s:b}",
                              "type", "plan", "lines", (json_int_t)plan.n_lines,
                              "generations", (json_int_t)est.lines_generations, "edits",
                              (json_int_t)est.lines_edits, "images", (json_int_t)est.images,
                              "endpoints", endpoints, "batches", (json_int_t)n_parts,
                              "estimate_usd", est.known ? json_real(est.batch_usd) : json_null(),
                              "interactive_usd",
                              est.known ? json_real(est.interactive_usd) : json_null(),
                              "budget_ok", !past, "budget", verdict, "offline",
                              c->backend.offline);
        char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        puts(text ? text : "{}");
        free(text);
        json_decref(o);
    } else {
        printf("plan: %zu line%s, %ld image%s; nothing was sent\n", plan.n_lines,
               plan.n_lines == 1 ? "" : "s", est.images, est.images == 1 ? "" : "s");
        if (est.lines_generations)
            printf("endpoint: %s (%zu lines)\n", EA_ENDPOINT_GENERATIONS, est.lines_generations);
        if (est.lines_edits)
            printf("endpoint: %s (%zu lines)\n", EA_ENDPOINT_EDITS, est.lines_edits);
        printf("batches: %zu\n", n_parts);
        if (est.known)
            printf("estimate: $%.4f at batch prices (interactive $%.4f)%s\n", est.batch_usd,
                   est.interactive_usd, c->backend.offline ? " offline" : "");
        else
            printf("estimate: unknown (a model without a price in the table)\n");
        printf("budget: %s\n", verdict);
    }
    rc = 0;
done:
    ea_plan_free(&plan);
    return rc;
}

/* ---- submit ---------------------------------------------------------------------------- */

/* One distinct set of input files (the same images and mask), read and hashed once. */
typedef struct input_set {
    ea_request req;           /* only its inputs are used */
    char *inputs_json;
    const char *file_id[EA_REQUEST_MAX_INPUTS];
    char *data_url[EA_REQUEST_MAX_INPUTS];
} input_set;

typedef struct submit_state {
    batch_ctx *c;
    ea_session *s;
    ea_plan plan;
    input_set *sets;
    size_t n_sets;
    int *set_of;              /* per line: index into sets, -1 for none */
    ea_idmap *uploaded;       /* sha256 -> index into file_ids */
    char **file_ids;
    size_t n_file_ids;
    size_t uploads;
} submit_state;

static const char *mime_of(const char *format)
{
    return strcmp(format, "png") == 0 ? "image/png"
           : strcmp(format, "jpeg") == 0 ? "image/jpeg" : "image/webp";
}

/* POST /files: the id, or -1 with err. */
static int upload_file(batch_ctx *c, const char *purpose, const char *filename,
                       const char *content_type, const void *bytes, size_t n, char *id,
                       size_t id_size, int *http_status, ea_err *err)
{
    ea_request_part parts[2] = {
        {.name = "purpose", .value = (char *)purpose},
        {.name = "file", .filename = (char *)filename, .content_type = content_type,
         .bytes = bytes, .n_bytes = n, .path = (char *)filename},
    };
    batch_call call = {0};
    int rc = batch_http(c, "POST", "/files", NULL, parts, 2, 0, &call, err);
    *http_status = call.status;
    if (rc == 0 && (call.status < 200 || call.status >= 300))
        rc = batch_http_error(&call, "uploading a file", err);
    if (rc == 0) {
        json_t *o = json_loadb(call.body.data ? call.body.data : "", call.body.len, 0, NULL);
        const char *v = json_string_value(json_object_get(o, "id"));
        if (v)
            snprintf(id, id_size, "%s", v);
        else
            rc = ea_err_set(err, EA_EXIT_NETWORK, "uploading a file: no id in the answer");
        json_decref(o);
    }
    batch_call_free(&call);
    return rc;
}

static void set_key(const ea_params *p, ea_buf *key)
{
    ea_buf_reset(key);
    for (int i = 0; i < p->n_images; i++) {
        ea_buf_puts(key, p->images[i]);
        ea_buf_putc(key, '\n');
    }
    ea_buf_puts(key, "mask:");
    ea_buf_puts(key, p->mask ? p->mask : "");
}

/* Reads each distinct input set once, keeps its files in the session, and uploads each
 * distinct file once (purpose vision), or makes data URLs where that is not possible. */
static int prepare_inputs(submit_state *st, ea_err *err)
{
    ea_idmap *by_key = ea_idmap_new();
    ea_buf key;
    ea_buf_init(&key, EA_BUF_UNCAPPED);
    st->set_of = malloc((st->plan.n_lines + 1) * sizeof *st->set_of);
    st->uploaded = ea_idmap_new();
    int rc = -1;
    if (!by_key || !st->set_of || !st->uploaded) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < st->plan.n_lines; i++) {
        const ea_params *p = &st->plan.lines[i].params;
        st->set_of[i] = -1;
        if (p->n_images == 0)
            continue;
        set_key(p, &key);
        long k = ea_idmap_get(by_key, key.data, -1);
        if (k >= 0) {
            st->set_of[i] = (int)k;
            continue;
        }
        input_set *grown = realloc(st->sets, (st->n_sets + 1) * sizeof *grown);
        if (!grown) {
            ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
            goto done;
        }
        st->sets = grown;
        input_set *set = &st->sets[st->n_sets];
        memset(set, 0, sizeof *set);
        st->n_sets++;
        if (ea_request_build(p, NULL, &set->req, err) != 0 ||
            !(set->inputs_json = ea_request_inputs_json(&set->req)))
            goto done;
        ea_idmap_put(by_key, key.data, (long)(st->n_sets - 1));
        st->set_of[i] = (int)(st->n_sets - 1);
        for (int j = 0; j < set->req.n_inputs; j++) {
            ea_request_input *in = &set->req.inputs[j];
            char name[128];
            ea_request_input_name(in, name, sizeof name);
            if (ea_session_save_input(st->s, name, in->sha256, in->bytes, in->n_bytes, err) != 0)
                goto done;
            long f = ea_idmap_get(st->uploaded, in->sha256, -1);
            if (f < 0 && !st->c->data_urls) {
                char id[128], filename[160];
                int status;
                snprintf(filename, sizeof filename, "%.16s.%s", in->sha256, in->format);
                if (upload_file(st->c, "vision", filename, mime_of(in->format), in->bytes,
                                in->n_bytes, id, sizeof id, &status, err) != 0) {
                    /* A backend without image uploads: the lines carry data URLs instead. */
                    if (status != 404 && status != 400 && status != 405)
                        goto done;
                    fprintf(stderr, "easel batch: the backend took no image upload (%s); the "
                                    "lines carry the images as data URLs\n", err->msg);
                    st->c->data_urls = true;
                } else {
                    char **ids = realloc(st->file_ids, (st->n_file_ids + 1) * sizeof *ids);
                    if (!ids || !(ids[st->n_file_ids] = strdup(id))) {
                        free(ids);
                        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
                        goto done;
                    }
                    st->file_ids = ids;
                    f = (long)st->n_file_ids++;
                    ea_idmap_put(st->uploaded, in->sha256, f);
                    st->uploads++;
                }
            }
            if (f >= 0)
                set->file_id[j] = st->file_ids[f];
            else if (!(set->data_url[j] = malloc(64 + 4 * ((in->n_bytes + 2) / 3)))) {
                ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
                goto done;
            } else {
                int n = sprintf(set->data_url[j], "data:%s;base64,", mime_of(in->format));
                ea_buf b64;
                ea_buf_init(&b64, EA_BUF_UNCAPPED);
                ea_gfx_base64_append(&b64, in->bytes, in->n_bytes);
                memcpy(set->data_url[j] + n, b64.data ? b64.data : "", b64.len + 1);
                ea_buf_free(&b64);
            }
        }
    }
    rc = 0;
done:
    ea_buf_free(&key);
    ea_idmap_free(&by_key);
    return rc;
}

static void free_inputs(submit_state *st)
{
    for (size_t i = 0; i < st->n_sets; i++) {
        ea_request_free(&st->sets[i].req);
        free(st->sets[i].inputs_json);
        for (int j = 0; j < EA_REQUEST_MAX_INPUTS; j++)
            free(st->sets[i].data_url[j]);
    }
    free(st->sets);
    free(st->set_of);
    for (size_t i = 0; i < st->n_file_ids; i++)
        free(st->file_ids[i]);
    free(st->file_ids);
    ea_idmap_free(&st->uploaded);
}

/* Line i of the input file, appended to out. */
static int line_json(submit_state *st, size_t i, ea_buf *out, ea_err *err)
{
    const ea_plan_line *l = &st->plan.lines[i];
    ea_request_ref refs[EA_REQUEST_MAX_INPUTS] = {{0}};
    const ea_request_ref *mask = NULL;
    if (st->set_of[i] >= 0) {
        const input_set *set = &st->sets[st->set_of[i]];
        for (int j = 0; j < set->req.n_inputs; j++) {
            refs[j].file_id = set->file_id[j];
            refs[j].data_url = set->data_url[j];
        }
        if (l->params.mask)
            mask = &refs[set->req.n_inputs - 1];
    }
    return ea_request_batch_line(&l->params, l->custom_id, l->endpoint, refs, mask, out, err);
}

/* The request record of line i, a turn of the session. */
static int record_line(submit_state *st, size_t i, const char *part, ea_err *err)
{
    const ea_plan_line *l = &st->plan.lines[i];
    const char *shas[EA_MAX_IMAGES] = {0}, *mask_sha = NULL;
    const input_set *set = st->set_of[i] >= 0 ? &st->sets[st->set_of[i]] : NULL;
    for (int j = 0; set && j < l->params.n_images; j++)
        shas[j] = set->req.inputs[j].sha256;
    if (set && l->params.mask)
        mask_sha = set->req.inputs[set->req.n_inputs - 1].sha256;
    char *params = ea_request_batch_record_json(&l->params, shas, mask_sha);
    if (!params)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    ea_audit_request req;
    ea_audit_request_init(&req);
    req.api = "images";
    req.endpoint = l->endpoint;
    req.model = l->params.model;
    req.prompt = l->params.prompt;
    req.params_json = params;
    req.inputs_json = set ? set->inputs_json : NULL;
    req.estimate_usd = ea_plan_line_estimate(l, st->c->prices);
    req.offline = st->c->backend.offline;
    req.custom_id = l->custom_id;
    req.batch_part = part;
    int rc = ea_session_begin_turn(st->s, &req, NULL, err);
    free(params);
    return rc;
}

/* Lines of a batch that will never run get a failed result each, so none stays pending. */
static int fail_lines(ea_session *s, const batch_info *b, const ea_plan *plan,
                      const ea_plan_part *part, const char *why)
{
    ea_err ignored = {0};
    ea_audit_error e = {.type = "batch_error", .code = "batch_not_created", .message = why};
    for (size_t k = 0; k < part->count; k++) {
        ea_audit_result res;
        ea_audit_result_init(&res);
        res.status = EA_AUDIT_FAILED;
        res.error = &e;
        res.custom_id = plan->lines[part->index[k]].custom_id;
        res.cost_usd = 0;
        if (ea_session_end_batch_line(s, b->first_turn + (int)k, &res, &ignored) != 0)
            return -1;
    }
    return 0;
}

static int submit_part(submit_state *st, const ea_plan_part *part, const char *campaign,
                       int number, json_t *report, ea_err *err)
{
    batch_ctx *c = st->c;
    batch_info b = {0};
    snprintf(b.part, sizeof b.part, "%s/%d", campaign, number);
    snprintf(b.campaign, sizeof b.campaign, "%s", campaign);
    snprintf(b.endpoint, sizeof b.endpoint, "%s", part->endpoint);
    snprintf(b.status, sizeof b.status, "preparing");
    b.lines = (long)part->count;
    b.offline = c->backend.offline;
    b.first_turn = ea_audit_next_turn(ea_session_audit(st->s));
    b.last_turn = b.first_turn + (int)part->count - 1;
    b.estimate_usd = 0;
    for (size_t k = 0; k < part->count; k++)
        b.estimate_usd += ea_plan_line_estimate(&st->plan.lines[part->index[k]], c->prices);
    /* The log knows every line before anything that could run is created. */
    if (batch_record_state(st->s, &b, NULL, NULL, err) != 0)
        return -1;
    ea_buf file;
    ea_buf_init(&file, EA_BATCH_MAX_BYTES + 1);
    /* 50,000 request records, each its own write(), made durable by one fsync before the
     * batch can be created. */
    ea_session_defer_sync(st->s, true);
    int failed = 0;
    for (size_t k = 0; k < part->count && !failed; k++)
        failed = record_line(st, part->index[k], b.part, err) != 0 ||
                 line_json(st, part->index[k], &file, err) != 0;
    if (!failed)
        failed = ea_session_sync_log(st->s, err) != 0;
    ea_session_defer_sync(st->s, false);
    if (failed) {
        ea_buf_free(&file);
        return -1;
    }
    char filename[160];
    snprintf(filename, sizeof filename, "easel-%s-%d.jsonl", campaign, number);
    int status;
    int rc = upload_file(c, "batch", filename, "application/jsonl", file.data, file.len,
                         b.input_file_id, sizeof b.input_file_id, &status, err);
    ea_buf_free(&file);
    batch_call call = {0};
    if (rc == 0) {
        json_t *body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "input_file_id",
                                 b.input_file_id, "endpoint", b.endpoint, "completion_window",
                                 "24h", "metadata", "easel_session", ea_session_id(st->s),
                                 "easel_part", b.part);
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        rc = batch_http(c, "POST", "/batches", text, NULL, 0, 0, &call, err);
        free(text);
        if (rc == 0 && (call.status < 200 || call.status >= 300))
            rc = batch_http_error(&call, "creating the batch", err);
    }
    char counts[256] = "null";
    if (rc == 0) {
        json_t *o = json_loadb(call.body.data ? call.body.data : "", call.body.len, 0, NULL);
        copy_str(b.batch_id, sizeof b.batch_id, json_object_get(o, "id"));
        json_decref(o);
        batch_info_from_api(&b, call.body.data, counts, sizeof counts);
        if (!*b.batch_id)
            rc = ea_err_set(err, EA_EXIT_NETWORK, "creating the batch: no id in the answer");
    }
    batch_call_free(&call);
    if (rc != 0) {
        /* Created or not? An answer that never came may hide a batch that runs: said so,
         * and the lines stay pending for `easel batch status` to find. */
        ea_err keep = *err;
        bool maybe = keep.code == EA_EXIT_INTERRUPTED || keep.code == EA_EXIT_SIGINT ||
                     (keep.code == EA_EXIT_NETWORK && *b.input_file_id);
        snprintf(b.status, sizeof b.status, maybe ? "unknown" : "failed");
        batch_record_state(st->s, &b, NULL, keep.msg, NULL);
        if (!maybe)
            fail_lines(st->s, &b, &st->plan, part, keep.msg);
        *err = keep;
        return -1;
    }
    if (batch_record_state(st->s, &b, counts, NULL, err) != 0)
        return -1;
    json_array_append_new(report, json_pack("{s:s, s:s, s:s, s:I, s:f, s:i, s:i}", "batch_id",
                                            b.batch_id, "part", b.part, "endpoint", b.endpoint,
                                            "lines", (json_int_t)b.lines, "estimate_usd",
                                            b.estimate_usd, "first_turn", b.first_turn,
                                            "last_turn", b.last_turn));
    if (!c->json) {
        char id[140];
        ea_sanitize_copy(id, sizeof id, b.batch_id);
        printf("batch %s: %ld lines to %s, turns %d-%d, estimate $%.4f at batch prices\n", id,
               b.lines, b.endpoint, b.first_turn, b.last_turn, b.estimate_usd);
    }
    return 0;
}

static int cmd_submit(batch_ctx *c, const char *path, ea_err *err)
{
    submit_state st = {.c = c};
    ea_plan_init(&st.plan);
    ea_plan_part *parts = NULL;
    size_t n_parts = 0, *line_bytes = NULL;
    json_t *report = json_array();
    int rc = -1;
    if (load_plan(path, &st.plan, err) != 0 || ctx_open(c, true, err) != 0)
        goto done;
    ea_plan_estimate est;
    ea_plan_estimate_cost(&st.plan, c->prices, &est);
    int opened = c->session ? ea_session_open_or_create(c->session, NULL, &st.s, NULL, err)
                            : ea_session_create(NULL, NULL, &st.s, err);
    if (opened != 0)
        goto done;
    if (!c->force && !c->backend.offline &&
        ea_budget_check(&c->cfg, st.s, est.known ? est.batch_usd : NAN, err) != 0)
        goto done;
    if (c->backend.offline && !c->json)
        fprintf(stderr, "easel: using the offline backend (%s)\n", c->backend.base_url);
    if (prepare_inputs(&st, err) != 0)
        goto done;
    /* Each line's size, to split at 200 MB a file. */
    if (!(line_bytes = malloc((st.plan.n_lines + 1) * sizeof *line_bytes))) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    ea_buf one;
    ea_buf_init(&one, EA_BUF_UNCAPPED);
    for (size_t i = 0; i < st.plan.n_lines; i++) {
        ea_buf_reset(&one);
        if (line_json(&st, i, &one, err) != 0) {
            ea_buf_free(&one);
            goto done;
        }
        line_bytes[i] = one.len;
    }
    ea_buf_free(&one);
    if (ea_plan_split(&st.plan, line_bytes, &parts, &n_parts, err) != 0)
        goto done;
    char campaign[64];
    snprintf(campaign, sizeof campaign, "%s-%ld", ea_session_id(st.s),
             ea_audit_next_seq(ea_session_audit(st.s)));
    for (size_t k = 0; k < n_parts; k++)
        if (submit_part(&st, &parts[k], campaign, (int)k + 1, report, err) != 0)
            goto done;
    ea_session_sync(st.s, NULL);
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:O, s:I, s:f, s:f}", "type", "submitted",
                              "session", ea_session_id(st.s), "campaign", campaign, "batches",
                              report, "uploads", (json_int_t)st.uploads, "estimate_usd",
                              est.batch_usd, "interactive_usd", est.interactive_usd);
        char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        puts(text ? text : "{}");
        free(text);
        json_decref(o);
    } else {
        printf("campaign %s: %zu line%s in %zu batch%s, session %s; %zu image%s uploaded\n",
               campaign, st.plan.n_lines, st.plan.n_lines == 1 ? "" : "s", n_parts,
               n_parts == 1 ? "" : "es", ea_session_id(st.s), st.uploads,
               st.uploads == 1 ? "" : "s");
        printf("estimate: $%.4f at batch prices (interactive $%.4f)\n", est.batch_usd,
               est.interactive_usd);
    }
    rc = 0;
done:
    json_decref(report);
    free(line_bytes);
    ea_plan_parts_free(&parts, n_parts);
    free_inputs(&st);
    ea_session_close(&st.s);
    ea_plan_free(&st.plan);
    return rc;
}

/* ---- Finding batches ------------------------------------------------------------------- */

typedef struct found {
    char session_id[EA_SESSION_ID_LEN + 1];
    char session_dir[4096];
    batch_info b;
} found;

/* The batches BATCH names (an id or a part), or those of the session (-S, else the newest
 * session with batches), or with all set every batch of every session. */
static int find_batches(batch_ctx *c, const char *which, bool all, found **out, size_t *n,
                        ea_err *err)
{
    *out = NULL;
    *n = 0;
    ea_session_list list = {0};
    if (ea_session_list_load(&list, err) != 0)
        return -1;
    size_t cap = 0;
    for (size_t i = 0; i < list.count; i++) {
        const ea_session_info *info = &list.items[i];
        if (c->session && strcmp(info->id, c->session) != 0 &&
            strcmp(info->name, c->session) != 0)
            continue;
        char dir[4096];
        ea_session_info tmp;
        if (ea_session_locate(info->id, &tmp, dir, sizeof dir, err) != 0)
            continue;
        batch_info *bs;
        size_t nb;
        if (batch_list_session(dir, &bs, &nb, err) != 0)
            continue;
        for (size_t k = 0; k < nb; k++) {
            if (which && strcmp(which, bs[k].batch_id) != 0 && strcmp(which, bs[k].part) != 0)
                continue;
            if (*n == cap) {
                cap = cap ? cap * 2 : 8;
                found *grown = realloc(*out, cap * sizeof *grown);
                if (!grown)
                    break;
                *out = grown;
            }
            found *f = &(*out)[(*n)++];
            snprintf(f->session_id, sizeof f->session_id, "%s", info->id);
            snprintf(f->session_dir, sizeof f->session_dir, "%s", dir);
            f->b = bs[k];
        }
        free(bs);
        /* Without a name or -S, the newest session that has batches. */
        if (!which && !all && !c->session && *n)
            break;
    }
    ea_session_list_free(&list);
    if (*n == 0) {
        char name[200];
        ea_sanitize_copy(name, sizeof name, which ? which : c->session ? c->session : "");
        return ea_err_set(err, EA_EXIT_USAGE, which ? "no batch %s in any session"
                          : c->session ? "session %s has no batches" : "no batches yet%s", name);
    }
    return 0;
}

static long age_seconds(const char *ts)
{
    struct tm tm = {0};
    if (!strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm))
        return -1;
    return (long)(time(NULL) - timegm(&tm));
}

static void age_text(long s, char *out, size_t size)
{
    if (s < 0)
        snprintf(out, size, "?");
    else if (s < 120)
        snprintf(out, size, "%lds", s);
    else if (s < 7200)
        snprintf(out, size, "%ldm", s / 60);
    else if (s < 172800)
        snprintf(out, size, "%ldh", s / 3600);
    else
        snprintf(out, size, "%ldd", s / 86400);
}

/* A batch whose creation went unanswered (a cut link, a signal: status "unknown") may run,
 * and be billed, all the same: looked for among the key's batches by the part easel put in
 * its metadata, newest first, so that its results are not lost. Sets b->batch_id when found. */
#define LOST_PAGES 20
static int find_lost(batch_ctx *c, batch_info *b, ea_err *err)
{
    char path[300] = "/batches?limit=100", after[128] = "";
    for (int page = 0; page < LOST_PAGES && !*b->batch_id; page++) {
        if (*after)
            snprintf(path, sizeof path, "/batches?limit=100&after=%s", after);
        batch_call call = {0};
        int rc = batch_http(c, "GET", path, NULL, NULL, 0, 0, &call, err);
        if (rc == 0 && (call.status < 200 || call.status >= 300))
            rc = batch_http_error(&call, "looking for a batch whose creation went unanswered",
                                  err);
        json_t *o = rc == 0 && call.body.data ? json_loadb(call.body.data, call.body.len, 0, NULL)
                                              : NULL;
        batch_call_free(&call);
        if (rc != 0)
            return -1;
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(o, "data"), i, item) {
            const char *part = json_string_value(
                json_object_get(json_object_get(item, "metadata"), "easel_part"));
            const char *id = json_string_value(json_object_get(item, "id"));
            if (part && id && strcmp(part, b->part) == 0 && strlen(id) < sizeof b->batch_id) {
                snprintf(b->batch_id, sizeof b->batch_id, "%s", id);
                break;
            }
        }
        const char *last = json_string_value(json_object_get(o, "last_id"));
        bool more = json_is_true(json_object_get(o, "has_more")) && last &&
                    strspn(last, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
                        strlen(last) && strlen(last) < sizeof after;
        if (more)
            snprintf(after, sizeof after, "%s", last);
        json_decref(o);
        if (!more)
            break;
    }
    return 0;
}

/* GET /batches/ID; records a new state in the session when one opened to write is given. */
static int refresh(batch_ctx *c, batch_info *b, ea_session *s, ea_err *err)
{
    if (!*b->batch_id && strcmp(b->status, "unknown") == 0 && find_lost(c, b, err) != 0)
        return -1;
    if (!*b->batch_id)
        return 0; /* never created: nothing to ask */
    char path[300], counts[256] = "null", before[32];
    snprintf(path, sizeof path, "/batches/%s", b->batch_id);
    snprintf(before, sizeof before, "%s", b->status);
    long done_before = b->completed + b->failed;
    batch_call call = {0};
    int rc = batch_http(c, "GET", path, NULL, NULL, 0, 0, &call, err);
    if (rc == 0 && (call.status < 200 || call.status >= 300))
        rc = batch_http_error(&call, "asking for the batch", err);
    if (rc == 0)
        batch_info_from_api(b, call.body.data ? call.body.data : "{}", counts, sizeof counts);
    batch_call_free(&call);
    if (rc == 0 && s && (strcmp(before, b->status) != 0 || done_before != b->completed + b->failed))
        rc = batch_record_state(s, b, counts, NULL, err);
    return rc;
}

static void json_status_line(const found *f, const char *type)
{
    const batch_info *b = &f->b;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:I}", "type", type,
                          "batch_id", b->batch_id, "part", b->part, "session", f->session_id,
                          "status", b->status, "lines", (json_int_t)b->lines, "total",
                          (json_int_t)b->total, "completed", (json_int_t)b->completed, "failed",
                          (json_int_t)b->failed, "endpoint", b->endpoint, "age_s",
                          (json_int_t)age_seconds(b->created));
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    puts(text ? text : "{}");
    fflush(stdout);
    free(text);
    json_decref(o);
}

static int cmd_status(batch_ctx *c, const char *which, ea_err *err)
{
    found *fs = NULL;
    size_t n = 0;
    int rc = -1;
    if (ctx_open(c, true, err) != 0 || find_batches(c, which, true, &fs, &n, err) != 0)
        goto done;
    if (!c->json && !which)
        printf("%-28s %-11s %9s %9s %7s %5s  %s\n", "BATCH", "STATUS", "DONE", "FAILED", "LINES",
               "AGE", "SESSION");
    int worst = 0;
    for (size_t i = 0; i < n; i++) {
        found *f = &fs[i];
        ea_err why = {0};
        if (!batch_status_final(f->b.status) && refresh(c, &f->b, NULL, &why) != 0) {
            fprintf(stderr, "easel batch: %s: %s\n", f->b.batch_id, why.msg);
            worst = worst ? worst : why.code;
        }
        /* The server's words and the log's (a session folder may come from anyone). */
        char id[140], status[40], age[32], part[sizeof f->b.part], endpoint[sizeof f->b.endpoint];
        ea_sanitize_copy(id, sizeof id, *f->b.batch_id ? f->b.batch_id : f->b.part);
        ea_sanitize_copy(status, sizeof status, f->b.status);
        ea_sanitize_copy(part, sizeof part, f->b.part);
        ea_sanitize_copy(endpoint, sizeof endpoint, f->b.endpoint);
        age_text(age_seconds(f->b.created), age, sizeof age);
        if (c->json)
            json_status_line(f, "status");
        else if (which)
            printf("batch %s (%s)\nstatus: %s\nlines: %ld, completed %ld, failed %ld\n"
                   "endpoint: %s\nsession: %s, turns %d-%d\nestimate: $%.4f at batch prices\n"
                   "age: %s\n", id, part, status, f->b.lines, f->b.completed < 0 ? 0 :
                   f->b.completed, f->b.failed < 0 ? 0 : f->b.failed, endpoint,
                   f->session_id, f->b.first_turn, f->b.last_turn, f->b.estimate_usd, age);
        else
            printf("%-28s %-11s %9ld %9ld %7ld %5s  %s\n", id, status,
                   f->b.completed < 0 ? 0 : f->b.completed, f->b.failed < 0 ? 0 : f->b.failed,
                   f->b.lines, age, f->session_id);
    }
    if (worst)
        ea_err_set(err, worst, "%s", "some batches could not be asked for");
    rc = worst ? -1 : 0;
done:
    free(fs);
    return rc;
}

/* ---- wait, fetch, cancel --------------------------------------------------------------- */

static int fetch_found(batch_ctx *c, found *f, int *worst, ea_err *err)
{
    ea_session *s = NULL;
    if (ea_session_open(f->session_id, EA_SESSION_WRITE_LEAN, &s, err) != 0)
        return -1;
    batch_fetch_totals t = {0};
    int rc = refresh(c, &f->b, s, err);
    if (rc == 0 && !batch_status_final(f->b.status)) {
        rc = ea_err_set(err, EA_EXIT_USAGE, "batch %s is %s: nothing to fetch yet (easel batch "
                        "wait)", f->b.batch_id, f->b.status);
    } else if (rc == 0) {
        rc = batch_fetch_one(c, s, &f->b, &t, err);
    }
    ea_session_sync(s, NULL);
    ea_session_close(&s);
    if (rc != 0)
        return -1;
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f}", "type",
                              "fetched", "batch_id", f->b.batch_id, "status", f->b.status,
                              "session", f->session_id, "saved", (json_int_t)t.saved, "images",
                              (json_int_t)t.images, "failed", (json_int_t)t.failed, "cancelled",
                              (json_int_t)t.cancelled, "already", (json_int_t)t.skipped,
                              "cost_usd", t.cost_usd);
        char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        puts(text ? text : "{}");
        free(text);
        json_decref(o);
    } else {
        char id[140];
        ea_sanitize_copy(id, sizeof id, f->b.batch_id);
        char status[sizeof f->b.status];
        ea_sanitize_copy(status, sizeof status, f->b.status);
        printf("batch %s (%s): %ld saved (%ld images), %ld failed, %ld cancelled, %ld fetched "
               "before; cost $%.4f at batch prices%s\n", id, status, t.saved, t.images,
               t.failed, t.cancelled, t.skipped, t.cost_usd, f->b.offline ? " offline" : "");
        printf("session: %s\n", f->session_dir);
    }
    if (t.unknown)
        fprintf(stderr, "easel batch: %ld output line%s named a custom_id the session does not "
                        "have; left out\n", t.unknown, t.unknown == 1 ? "" : "s");
    if ((t.failed || t.cancelled || strcmp(f->b.status, "completed") != 0) && *worst == 0)
        *worst = EA_EXIT_REFUSED;
    return 0;
}

static int cmd_fetch(batch_ctx *c, const char *which, ea_err *err)
{
    found *fs = NULL;
    size_t n = 0;
    int rc = -1, worst = 0;
    if (ctx_open(c, true, err) != 0 || find_batches(c, which, false, &fs, &n, err) != 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (fetch_found(c, &fs[i], &worst, err) != 0)
            goto done;
    ea_err_set(err, worst, "%s", worst ? "some lines did not complete (recorded in the log)" : "");
    rc = worst ? -1 : 0;
done:
    free(fs);
    return rc;
}

static void progress(const found *f, long waited_s, bool tty)
{
    const batch_info *b = &f->b;
    long total = b->total > 0 ? b->total : b->lines;
    long done = (b->completed > 0 ? b->completed : 0) + (b->failed > 0 ? b->failed : 0);
    /* A server may say more lines are done than there are: the bar stays full, not past its
     * end. */
    int width = 30, fill = total <= 0 ? 0 : done >= total ? width : (int)(width * done / total);
    char bar[64], status[40];
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '.', (size_t)(width - fill));
    bar[width] = '\0';
    ea_sanitize_copy(status, sizeof status, b->status);
    fprintf(stderr, "%s[%s] %ld/%ld done, %ld failed · %s · %lds%s", tty ? "\r" : "", bar, done,
            total, b->failed > 0 ? b->failed : 0, status, waited_s, tty ? "\033[K" : "\n");
    fflush(stderr);
}

static int cmd_wait(batch_ctx *c, const char *which, ea_err *err)
{
    found *fs = NULL;
    size_t n = 0;
    int rc = -1, worst = 0;
    bool tty = isatty(STDERR_FILENO);
    if (ctx_open(c, true, err) != 0 || find_batches(c, which, false, &fs, &n, err) != 0)
        goto done;
    const char *env = getenv("EASEL_BATCH_POLL_MS");
    int first = env && atoi(env) > 0 ? atoi(env) : POLL_FIRST_MS;
    time_t start = time(NULL);
    for (size_t i = 0; i < n; i++) {
        found *f = &fs[i];
        double delay = first;
        char last[40] = "";
        long last_done = -1;
        for (;;) {
            /* The session (whose log may hold 100,000 records) is opened only to record a
             * new status, not for each poll's counts. */
            char before[sizeof f->b.status];
            snprintf(before, sizeof before, "%s", f->b.status);
            if (refresh(c, &f->b, NULL, err) != 0)
                goto done;
            if (strcmp(before, f->b.status) != 0) {
                ea_session *s = NULL;
                if (ea_session_open(f->session_id, EA_SESSION_WRITE_LEAN, &s, err) != 0)
                    goto done;
                int r = batch_record_state(s, &f->b, NULL, NULL, err);
                ea_session_close(&s);
                if (r != 0)
                    goto done;
            }
            long now_done = f->b.completed + f->b.failed;
            errno = 0;
            if (c->json && (strcmp(last, f->b.status) != 0 || now_done != last_done))
                json_status_line(f, "progress");
            else if (!c->json && (tty || strcmp(last, f->b.status) != 0 || now_done != last_done))
                progress(f, (long)(time(NULL) - start), tty);
            /* The progress's reader went away (`easel batch wait --json | head -1`): polling
             * on, for hours perhaps, would be for nobody. The batch runs on server-side. */
            if (ferror(c->json ? stdout : stderr) && errno == EPIPE) {
                ea_err_set(err, EA_EXIT_INTERRUPTED, "the output was closed: stopped waiting; "
                           "the batch runs on (easel batch wait resumes)");
                goto done;
            }
            snprintf(last, sizeof last, "%s", f->b.status);
            last_done = now_done;
            if (batch_status_final(f->b.status) || !*f->b.batch_id)
                break;
            /* Backoff; ea_http has waited out a 429's or 503's retry-after already. */
            long ms = (long)delay;
            for (long slept = 0; slept < ms && !batch_stop_signal; slept += 100)
                usleep(100000);
            if (batch_stop_signal) {
                ea_err_set(err, batch_stop_signal == SIGINT ? EA_EXIT_SIGINT : EA_EXIT_INTERRUPTED,
                           "stopped waiting; the batch runs on (easel batch wait resumes)");
                goto done;
            }
            delay = delay * 1.5 > POLL_MAX_MS ? POLL_MAX_MS : delay * 1.5;
        }
        if (tty && !c->json)
            fputc('\n', stderr);
        if (!c->no_fetch && fetch_found(c, f, &worst, err) != 0)
            goto done;
    }
    ea_err_set(err, worst, "%s", worst ? "some lines did not complete (recorded in the log)" : "");
    rc = worst ? -1 : 0;
done:
    free(fs);
    return rc;
}

static int cmd_cancel(batch_ctx *c, const char *which, ea_err *err)
{
    found *fs = NULL;
    size_t n = 0;
    int rc = -1;
    if (ctx_open(c, true, err) != 0 || find_batches(c, which, false, &fs, &n, err) != 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        found *f = &fs[i];
        if (!*f->b.batch_id)
            continue;
        char path[300], counts[256] = "null";
        snprintf(path, sizeof path, "/batches/%s/cancel", f->b.batch_id);
        batch_call call = {0};
        int r = batch_http(c, "POST", path, NULL, NULL, 0, 0, &call, err);
        if (r == 0 && (call.status < 200 || call.status >= 300))
            r = batch_http_error(&call, "cancelling the batch", err);
        if (r == 0)
            batch_info_from_api(&f->b, call.body.data ? call.body.data : "{}", counts,
                                sizeof counts);
        batch_call_free(&call);
        if (r != 0)
            goto done;
        ea_session *s = NULL;
        if (ea_session_open(f->session_id, EA_SESSION_WRITE_LEAN, &s, err) != 0)
            goto done;
        r = batch_record_state(s, &f->b, counts, "cancel asked", err);
        ea_session_close(&s);
        if (r != 0)
            goto done;
        if (c->json)
            json_status_line(f, "cancel");
        else {
            char id[sizeof f->b.batch_id], status[sizeof f->b.status];
            ea_sanitize_copy(id, sizeof id, f->b.batch_id);
            ea_sanitize_copy(status, sizeof status, f->b.status);
            printf("batch %s: %s; what finished can still be fetched (easel batch fetch)\n", id,
                   status);
        }
    }
    rc = 0;
done:
    free(fs);
    return rc;
}

/* ---- Dispatch -------------------------------------------------------------------------- */

int ea_cmd_batch(int argc, char **argv)
{
    batch_ctx c = {0};
    ea_config_init(&c.cfg);
    ea_err err = {0};
    const char *sub = argc >= 2 ? argv[1] : NULL;
    if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        ea_opt_print_help(sub ? stdout : stderr, &ea_command_batch);
        ea_config_free(&c.cfg);
        return sub ? EA_EXIT_OK : EA_EXIT_USAGE;
    }
    ea_opt_parser p;
    ea_opt_begin(&p, &ea_command_batch);
    p.quiet = true; /* said below, with the rest */
    const char *value;
    int ch, rc = EA_EXIT_OK;
    while ((ch = ea_opt_next(&p, argc - 1, argv + 1, &value)) != EA_OPT_DONE) {
        switch (ch) {
        case OPT_SESSION: c.session = value; break;
        case OPT_JSON: c.json = true; break;
        case OPT_FORCE: c.force = true; break;
        case OPT_OFFLINE: c.offline = true; break;
        case OPT_DATA_URLS: c.data_urls = true; break;
        case OPT_NO_FETCH: c.no_fetch = true; break;
        case EA_OPT_HELP: ea_config_free(&c.cfg); return EA_EXIT_OK;
        default:
            ea_err_set(&err, EA_EXIT_USAGE, "%s", p.why);
            goto fail;
        }
    }
    int first = p.next;
    int nargs = argc - 1 - first;
    const char *arg = nargs >= 1 ? argv[1 + first] : NULL;
    if (nargs > 1) {
        ea_err_set(&err, EA_EXIT_USAGE, "one %s, please", strcmp(sub, "plan") == 0 ||
                   strcmp(sub, "submit") == 0 ? "FILE" : "BATCH");
        goto fail;
    }
    int r;
    if (strcmp(sub, "plan") == 0 || strcmp(sub, "submit") == 0) {
        if (!arg) {
            ea_err_set(&err, EA_EXIT_USAGE, "batch %s needs a plan FILE", sub);
            goto fail;
        }
        r = strcmp(sub, "plan") == 0 ? cmd_plan(&c, arg, &err) : cmd_submit(&c, arg, &err);
    } else if (strcmp(sub, "status") == 0) {
        r = cmd_status(&c, arg, &err);
    } else if (strcmp(sub, "wait") == 0) {
        r = cmd_wait(&c, arg, &err);
    } else if (strcmp(sub, "fetch") == 0) {
        r = cmd_fetch(&c, arg, &err);
    } else if (strcmp(sub, "cancel") == 0) {
        if (!arg) {
            ea_err_set(&err, EA_EXIT_USAGE, "batch cancel needs a BATCH (an id or a part)");
            goto fail;
        }
        r = cmd_cancel(&c, arg, &err);
    } else {
        ea_err_set(&err, EA_EXIT_USAGE, "unknown batch command '%s' (plan, submit, status, wait, "
                   "fetch, cancel)", sub);
        goto fail;
    }
    if (r == 0)
        goto done;
fail:
    rc = err.code ? err.code : EA_EXIT_INTERNAL;
    if (*err.msg)
        fprintf(stderr, "easel batch: %s\n", err.msg);
    if (rc == EA_EXIT_USAGE && strcmp(sub, "plan") != 0 && strcmp(sub, "submit") != 0)
        fprintf(stderr, "(see easel batch --help)\n");
done:
    ctx_close(&c);
    return rc;
}
