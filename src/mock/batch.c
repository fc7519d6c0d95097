/* SPDX-License-Identifier: MIT */
/* mock/batch.c: the Batch API of the offline backend (protocol.md section 14).
 *
 *   POST /v1/batches              {input_file_id, endpoint, completion_window: "24h", metadata}
 *   GET  /v1/batches/{id}
 *   POST /v1/batches/{id}/cancel  cancelling, then cancelled with what finished
 *   GET  /v1/batches[?limit=&after=]   newest first, with has_more and last_id
 *
 * Endpoints: /v1/images/generations and /v1/images/edits (edits take images: [{file_id} |
 * {image_url: "data:..."}] and mask the same way; file ids name files uploaded to /v1/files).
 *
 * The clock. A batch moves validating -> in_progress -> finalizing -> completed over the
 * batch time T (easel mock --batch-seconds S; default 5 s; 0: at once): validation at T/10,
 * then lines finish one by one spread over 8T/10, then finalizing for T/10. The state is a
 * function of the time since created_at and is brought up to date whenever a request reads
 * the batch, so a batch goes on in a later process (the offline backend of `easel --offline`
 * runs a mock per process, its state under the cache). Lines run in a shuffled order; each
 * line's output is the ImagesResponse the endpoint itself answers (b64_json, usage), written
 * to the output file as it finishes (one image in memory at a time); failed lines go to the
 * error file. --batch-image-bytes N makes each line's image a cheap flat PNG of about N bytes
 * instead of the drawing, for benchmarks of big output files.
 *
 * Validation (failures make the batch failed with errors.data[{code, message, param, line}]):
 * each line one JSON object; custom_id a unique non-empty string; method POST; url equal to
 * the batch's endpoint; body passing the same checks as the endpoint (moderation aside: a
 * blocked prompt fails its line when it runs); at most 50,000 lines and 200 MB.
 *
 * Faults (easel mock --fault NAME=VALUE, comma-separated or repeated):
 *   batch-fail=N      N lines of each batch fail (input lines 1 + floor(k*total/N), k = 0..N-1),
 *                     alternately as response.status_code 500 with an error body and as
 *                     response null with error {code, message}
 *   batch-expire=K    each batch expires after K lines finished: expired, the output file
 *                     holds those K, the error file the rest with code batch_expired
 *   batch-invalid=L   each batch fails validation with an error naming line L
 *   cut=BYTES         the first file download (GET /v1/files/{id}/content) closes after BYTES
 *   cut-count=N       ... the first N downloads
 * A cancelled batch likewise lists its unfinished lines in the error file with code
 * batch_cancelled. request_counts.failed counts lines that ran and failed only.
 *
 * Each batch is <store>/batches/ID.json (the object, with private state under "_mock"),
 * ID.index (the byte offset of each input line), ID.output and ID.errors (the result files
 * as they grow), ID.lock (flock: one process at a time brings a batch up to date). */
#include "internal.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "easel/paths.h"

#define INVALID "invalid_request_error"
#define MAX_LINES 50000
#define MAX_FILE_BYTES ((long long)200 << 20)
#define MAX_ERRORS 1000                /* errors.data entries kept for a failed validation */
#define WORK_BUDGET_MS 2000            /* a request brings a batch this far at most... */
#define TICK_BUDGET_MS 300             /* ...the ticker this far each turn, so a poll waits less */
#define TICK_MS 50
#define MAX_WATCHED 64
#define DAY_SECONDS 86400

/* A batch being brought up to date, under its lock. */
typedef struct run {
    mock_server *srv;
    const char *dir;          /* <store>/batches */
    char id[64];
    json_t *obj;              /* the whole ID.json */
    json_t *m;                /* obj._mock, borrowed */
    size_t total;
    uint64_t *off;            /* total + 1 offsets of the input lines */
    uint32_t *perm;           /* the order lines run in */
    int in_fd;                /* the input file */
    enum mock_route route;
    int budget_ms;            /* work advance may do before it answers */
    char *saved;              /* ID.json as loaded: an unchanged batch is not written again */
} run;

/* ---- small helpers ---- */

static long long geti(const json_t *m, const char *key)
{
    return (long long)json_integer_value(json_object_get(m, key));
}

static void seti(json_t *m, const char *key, long long v)
{
    json_object_set_new(m, key, json_integer((json_int_t)v));
}

static const char *gets(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void path_of(const run *r, const char *ext, char *out, size_t len)
{
    snprintf(out, len, "%s/%s%s", r->dir, r->id, ext);
}

static int oom(mock_error *e)
{
    return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
}

static int save(const run *r)
{
    char name[80];
    snprintf(name, sizeof name, "%s.json", r->id);
    char *text = json_dumps(r->obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc = !text ? -1
             : r->saved && strcmp(r->saved, text) == 0
                 ? 0
                 : ea_write_file_atomic(r->dir, name, text, strlen(text), 0600, NULL);
    free(text);
    return rc;
}

static void set_time(run *r, const char *field, long long ms)
{
    seti(r->obj, field, ms / 1000);
}

static void set_counts(run *r)
{
    json_object_set_new(r->obj, "request_counts",
                        json_pack("{s:I, s:I, s:I}", "total", (json_int_t)geti(r->m, "total"),
                                  "completed", (json_int_t)geti(r->m, "completed"), "failed",
                                  (json_int_t)geti(r->m, "failed")));
}

/* ---- validation ---- */

typedef struct seen_id {
    char *id;
    long line;
} seen_id;

static int by_id_then_line(const void *a, const void *b)
{
    const seen_id *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int by_line(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "line"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "line"));
    return (x > y) - (x < y);
}

static void add_error(json_t *errors, const char *code, const char *param, long line,
                      const char *message)
{
    if (json_array_size(errors) >= MAX_ERRORS)
        return;
    json_array_append_new(errors, json_pack("{s:s, s:s, s:s?, s:I}", "code", code, "message",
                                            message, "param", param, "line", (json_int_t)line));
}

/* The body of one line, with the endpoint's own checks; moderation is left to the run. */
static void check_body(run *r, const json_t *body, long line, json_t *errors)
{
    char *text = json_dumps(body, JSON_COMPACT);
    mock_job *job = malloc(sizeof *job);
    if (!text || !job) {
        free(text);
        free(job);
        add_error(errors, "server_error", NULL, line, "Out of memory.");
        return;
    }
    mock_job_init(job, r->route);
    mock_error e;
    int rc = mock_request_json(r->srv, job, text, strlen(text), &e);
    if (rc != 0 && !(e.code && strcmp(e.code, "moderation_blocked") == 0))
        add_error(errors, e.code ? e.code : "invalid_request", e.param[0] ? e.param : NULL, line,
                  e.message);
    else if (rc == 0 && job->stream)
        add_error(errors, "invalid_value", "body.stream", line,
                  "Streaming is not supported in a batch.");
    mock_job_free(job);
    free(job);
    free(text);
}

/* Reads the input file once: each line's checks, the offsets of the lines into ID.index.
 * Returns the errors (an empty array when the file is good). */
static json_t *validate(run *r, mock_error *e)
{
    json_t *errors = json_array();
    char path[1200];
    struct stat st;
    FILE *f = fdopen(dup(r->in_fd), "rb");
    if (!errors || !f || fstat(r->in_fd, &st) != 0) {
        if (f)
            fclose(f);
        json_decref(errors);
        oom(e);
        return NULL;
    }
    const char *endpoint = gets(r->obj, "endpoint");
    if (st.st_size > MAX_FILE_BYTES)
        add_error(errors, "file_too_large", "input_file_id", 0,
                  "The input file is larger than the 200 MB a batch takes.");
    size_t cap = 1024, n = 0;
    uint64_t *off = malloc(cap * sizeof *off);
    seen_id *ids = malloc(cap * sizeof *ids);
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    uint64_t at = 0;
    bool nomem = !off || !ids;
    while (!nomem && st.st_size <= MAX_FILE_BYTES && (len = getline(&line, &line_cap, f)) > 0) {
        long lineno = (long)n + 1;
        if (n + 1 >= cap) {
            cap *= 2;
            uint64_t *o2 = realloc(off, cap * sizeof *off);
            if (o2)
                off = o2;
            seen_id *i2 = realloc(ids, cap * sizeof *ids);
            if (i2)
                ids = i2;
            if ((nomem = !o2 || !i2))
                break;
        }
        off[n] = at;
        at += (uint64_t)len;
        ids[n].id = NULL;
        ids[n].line = lineno;
        n++;
        if (n > MAX_LINES) {
            add_error(errors, "too_many_lines", NULL, lineno,
                      "The input file has more than the 50,000 lines a batch takes.");
            break;
        }
        json_error_t jerr;
        json_t *req = json_loadb(line, (size_t)len, 0, &jerr);
        if (!json_is_object(req)) {
            add_error(errors, "invalid_json_line", NULL, lineno,
                      "This line is not a JSON object.");
            json_decref(req);
            continue;
        }
        const char *cid = json_string_value(json_object_get(req, "custom_id"));
        const char *method = json_string_value(json_object_get(req, "method"));
        const char *url = json_string_value(json_object_get(req, "url"));
        const json_t *body = json_object_get(req, "body");
        char msg[300];
        if (!cid || !*cid)
            add_error(errors, "missing_required_parameter", "custom_id", lineno,
                      "Each line needs a custom_id: a non-empty string.");
        else
            ids[n - 1].id = strdup(cid);
        if (!method || strcmp(method, "POST") != 0)
            add_error(errors, "invalid_method", "method", lineno,
                      "The method must be POST.");
        if (!url || strcmp(url, endpoint) != 0) {
            snprintf(msg, sizeof msg, "The url must be the batch's endpoint, %s, not '%.80s'.",
                     endpoint, url ? url : "");
            add_error(errors, "invalid_url", "url", lineno, msg);
        }
        if (!json_is_object(body))
            add_error(errors, "missing_required_parameter", "body", lineno,
                      "Each line needs a body: the request's JSON object.");
        else
            check_body(r, body, lineno, errors);
        json_decref(req);
    }
    free(line);
    fclose(f);
    if (!nomem) {
        off[n] = at;
        /* Duplicates: the later line of each pair is the one at fault. */
        seen_id *sorted = malloc((n ? n : 1) * sizeof *sorted);
        size_t k = 0;
        for (size_t i = 0; sorted && i < n; i++)
            if (ids[i].id)
                sorted[k++] = ids[i];
        if (sorted)
            qsort(sorted, k, sizeof *sorted, by_id_then_line);
        for (size_t i = 1; sorted && i < k; i++)
            if (strcmp(sorted[i].id, sorted[i - 1].id) == 0) {
                char msg[200];
                snprintf(msg, sizeof msg, "The custom_id '%.80s' is not unique in the file.",
                         sorted[i].id);
                add_error(errors, "duplicate_custom_id", "custom_id", sorted[i].line, msg);
            }
        free(sorted);
    }
    for (size_t i = 0; ids && i < n; i++)
        free(ids[i].id);
    free(ids);
    if (nomem) {
        free(off);
        json_decref(errors);
        oom(e);
        return NULL;
    }
    if (n == 0 && json_array_size(errors) == 0)
        add_error(errors, "empty_file", "input_file_id", 0, "The input file has no lines.");
    long bad = geti(r->m, "invalid_line");
    if (bad > 0)
        add_error(errors, "invalid_request", NULL, bad,
                  "This line is refused by the offline stand-in's fault batch-invalid.");
    size_t count = json_array_size(errors);
    if (count > 1) {
        json_t **items = malloc(count * sizeof *items);
        for (size_t i = 0; items && i < count; i++)
            items[i] = json_incref(json_array_get(errors, i));
        if (items) {
            qsort(items, count, sizeof *items, by_line);
            json_array_clear(errors);
            for (size_t i = 0; i < count; i++)
                json_array_append_new(errors, items[i]);
            free(items);
        }
    }
    if (count == 0) {
        path_of(r, ".index", path, sizeof path);
        FILE *ix = fopen(path, "wb");
        bool ok = ix && fwrite(off, sizeof *off, n + 1, ix) == n + 1;
        if (ix && fclose(ix) != 0)
            ok = false;
        if (!ok) {
            free(off);
            json_decref(errors);
            mock_fail(e, 500, "server_error", NULL, NULL, "Cannot write the batch's index.");
            return NULL;
        }
        seti(r->m, "total", (long long)n);
    }
    free(off);
    return errors;
}

/* ---- running lines ---- */

/* The order lines run in: a Fisher-Yates shuffle from the batch's seed. */
static int load_order(run *r)
{
    char path[1200];
    r->total = (size_t)geti(r->m, "total");
    r->off = malloc((r->total + 1) * sizeof *r->off);
    r->perm = malloc((r->total ? r->total : 1) * sizeof *r->perm);
    path_of(r, ".index", path, sizeof path);
    FILE *ix = fopen(path, "rb");
    bool ok = r->off && r->perm && ix && fread(r->off, sizeof *r->off, r->total + 1, ix) ==
                                             r->total + 1;
    if (ix)
        fclose(ix);
    if (!ok)
        return -1;
    uint32_t state = (uint32_t)geti(r->m, "seed") | 1u;
    for (size_t i = 0; i < r->total; i++)
        r->perm[i] = (uint32_t)i;
    for (size_t i = r->total; i > 1; i--) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        size_t j = state % i;
        uint32_t t = r->perm[i - 1];
        r->perm[i - 1] = r->perm[j];
        r->perm[j] = t;
    }
    return 0;
}

/* batch-fail=N: the input lines floor(k * total / N), k = 0..N-1; which of them this is. */
static long fault_failure(const run *r, size_t index)
{
    long n = (long)geti(r->m, "fail");
    if (n <= 0 || r->total == 0)
        return -1;
    if ((size_t)n > r->total)
        n = (long)r->total;
    /* The k whose floor(k * total / n) is index, if any. */
    long k = (long)(((unsigned long long)index * (unsigned long long)n + (unsigned long long)n - 1) /
                    r->total);
    if (k < n && (size_t)((unsigned long long)k * r->total / (unsigned long long)n) == index)
        return k;
    return -1;
}

/* A flat colour from the custom_id, at a size whose stored PNG is about bytes long. */
static int cheap_images(mock_job *job, const char *custom_id, int bytes)
{
    int side = 8; /* a stored RGB PNG: 3 bytes a pixel, 1 a row, about 70 around them */
    while ((long)side * side * 3 + side + 70 < bytes)
        side++;
    uint32_t h = 2166136261u;
    for (const char *p = custom_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (int i = 0; i < job->n_outputs; i++) {
        if (ea_image_alloc(&job->finals[i], side, side) != 0)
            return -1;
        unsigned char *px = job->finals[i].rgba;
        for (long p = 0; p < (long)side * side; p++) {
            px[p * 4] = (unsigned char)(h >> 16);
            px[p * 4 + 1] = (unsigned char)(h >> 8);
            px[p * 4 + 2] = (unsigned char)(h + (unsigned)i * 40u);
            px[p * 4 + 3] = 255;
        }
        /* The hash in the first pixels, so two lines never share an image. */
        for (int b = 0; b < 4 && b < side; b++)
            px[b * 4] = (unsigned char)(h >> (8 * b));
    }
    job->png_level = 0;
    return 0;
}

/* One output or error line; body is the response body's JSON, or NULL with an error. */
static int result_line(ea_buf *out, const char *custom_id, int status, const char *request_id,
                       const ea_buf *body, const char *err_code, const char *err_message)
{
    char id[48];
    mock_random_id(id, sizeof id, "batch_req_");
    int rc = ea_buf_printf(out, "{\"id\":\"%s\",\"custom_id\":", id);
    rc |= mock_json_string(out, custom_id);
    if (body) {
        rc |= ea_buf_printf(out, ",\"response\":{\"status_code\":%d,\"request_id\":\"%s\","
                                 "\"body\":", status, request_id);
        rc |= ea_buf_append(out, body->data, body->len);
        rc |= ea_buf_puts(out, "},\"error\":null}\n");
    } else {
        rc |= ea_buf_puts(out, ",\"response\":null,\"error\":{\"code\":");
        rc |= mock_json_string(out, err_code);
        rc |= ea_buf_puts(out, ",\"message\":");
        rc |= mock_json_string(out, err_message);
        rc |= ea_buf_puts(out, "}}\n");
    }
    return rc ? -1 : 0;
}

/* The input line at index, parsed. */
static json_t *read_line(const run *r, size_t index)
{
    size_t len = (size_t)(r->off[index + 1] - r->off[index]);
    char *text = malloc(len + 1);
    if (!text || pread(r->in_fd, text, len, (off_t)r->off[index]) != (ssize_t)len) {
        free(text);
        return NULL;
    }
    json_t *req = json_loadb(text, len, 0, NULL);
    free(text);
    return req;
}

static int append_to(const run *r, const char *ext, const ea_buf *line, const char *counter)
{
    char path[1200];
    path_of(r, ext, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    int rc = ea_write_all(fd, line->data, line->len);
    close(fd);
    if (rc == 0)
        seti(r->m, counter, geti(r->m, counter) + (long long)line->len);
    return rc;
}

/* Runs the input line at index: its ImagesResponse into the output file, or its error into
 * the error file. */
static int run_line(run *r, size_t index, ea_buf *out)
{
    json_t *req = read_line(r, index);
    if (!req)
        return -1;
    const char *cid = gets(req, "custom_id");
    char *body_text = json_dumps(json_object_get(req, "body"), JSON_COMPACT);
    mock_job *job = malloc(sizeof *job);
    ea_buf body;
    ea_buf_init(&body, EA_BUF_UNCAPPED);
    ea_buf_reset(out);
    mock_error e;
    int rc = -1, status = 200;
    if (!body_text || !job) {
        oom(&e);
    } else {
        mock_job_init(job, r->route);
        mock_random_id(job->request_id, sizeof job->request_id, "req_");
        long k = fault_failure(r, index);
        if (k >= 0 && k % 2 == 1) {
            rc = result_line(out, cid, 0, NULL, NULL, "server_error",
                             "The request failed: the offline stand-in's fault batch-fail.");
            status = -1;
        } else if (k >= 0) {
            mock_fail(&e, 500, "server_error", "server_error", NULL,
                      "The server had an error while processing your request. "
                      MOCK_OFFLINE_NOTE " fault batch-fail");
        } else if (mock_request_json(r->srv, job, body_text, strlen(body_text), &e) == 0) {
            int bytes = (int)geti(r->m, "image_bytes");
            if (bytes > 0 && cheap_images(job, cid, bytes) != 0)
                oom(&e);
            else if (mock_images_body(r->srv, job, &body, &e) == 0)
                rc = result_line(out, cid, 200, job->request_id, &body, NULL, NULL);
        }
        if (rc != 0 && status == 200) {
            ea_buf_reset(&body);
            status = e.status;
            rc = mock_error_body(&body, &e) == 0
                     ? result_line(out, cid, status, job->request_id, &body, NULL, NULL) : -1;
        }
        mock_job_free(job);
    }
    free(job);
    free(body_text);
    ea_buf_free(&body);
    json_decref(req);
    if (rc != 0)
        return -1;
    bool ok = status == 200;
    if (append_to(r, ok ? ".output" : ".errors", out, ok ? "out_bytes" : "err_bytes") != 0)
        return -1;
    seti(r->m, ok ? "completed" : "failed", geti(r->m, ok ? "completed" : "failed") + 1);
    seti(r->m, "done", geti(r->m, "done") + 1);
    return 0;
}

/* The lines that never ran, into the error file with code (batch_expired, batch_cancelled). */
static int write_unfinished(run *r, const char *code, const char *message)
{
    ea_buf line;
    ea_buf_init(&line, EA_BUF_UNCAPPED);
    int rc = 0;
    for (size_t i = (size_t)geti(r->m, "done"); rc == 0 && i < r->total; i++) {
        json_t *req = read_line(r, r->perm[i]);
        ea_buf_reset(&line);
        rc = req && result_line(&line, gets(req, "custom_id"), 0, NULL, NULL, code, message) == 0
                 ? append_to(r, ".errors", &line, "err_bytes") : -1;
        json_decref(req);
    }
    ea_buf_free(&line);
    return rc;
}

/* The result files become file objects; the batch's ids name them. */
static int publish(run *r)
{
    static const struct {
        const char *ext, *counter, *field, *kind;
    } outs[] = {
        { ".output", "out_bytes", "output_file_id", "output" },
        { ".errors", "err_bytes", "error_file_id", "error" },
    };
    for (size_t i = 0; i < 2; i++) {
        char path[1200], name[128], id[48];
        path_of(r, outs[i].ext, path, sizeof path);
        if (geti(r->m, outs[i].counter) == 0) {
            unlink(path);
            continue;
        }
        snprintf(name, sizeof name, "%s_%s.jsonl", r->id, outs[i].kind);
        if (mock_files_adopt(mock_server_store(r->srv), path, name, "batch_output", id,
                             sizeof id) != 0)
            return -1;
        json_object_set_new(r->obj, outs[i].field, json_string(id));
    }
    return 0;
}

/* Output files hold what the saved state says they hold: bytes a killed process appended
 * after its last save are cut off. */
static void trim_outputs(run *r)
{
    char path[1200];
    path_of(r, ".output", path, sizeof path);
    if (truncate(path, (off_t)geti(r->m, "out_bytes")) != 0 && geti(r->m, "out_bytes") == 0)
        unlink(path);
    path_of(r, ".errors", path, sizeof path);
    if (truncate(path, (off_t)geti(r->m, "err_bytes")) != 0 && geti(r->m, "err_bytes") == 0)
        unlink(path);
}

/* When line j (0-based, in run order) is due. */
static long long due_ms(const run *r, size_t j)
{
    long long clock = geti(r->m, "clock_ms");
    long long start = geti(r->m, "t0_ms") + clock / 10;
    return start + (long long)((double)(clock * 8 / 10) * (double)(j + 1) / (double)r->total);
}

static bool terminal(const char *status)
{
    return strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0 ||
           strcmp(status, "expired") == 0 || strcmp(status, "cancelled") == 0;
}

static int finish(run *r, const char *status, const char *field, long long at,
                  const char *code, const char *message)
{
    if (code && write_unfinished(r, code, message) != 0)
        return -1;
    if (publish(r) != 0)
        return -1;
    json_object_set_new(r->obj, "status", json_string(status));
    set_time(r, field, at);
    return 0;
}

/* Brings the batch up to now; e is set when the state cannot be read or written. */
static int advance(run *r, mock_error *e)
{
    long long now = mock_now_ms(), started = now;
    long long t0 = geti(r->m, "t0_ms"), clock = geti(r->m, "clock_ms");
    ea_buf line;
    ea_buf_init(&line, EA_BUF_UNCAPPED);
    int rc = 0;
    trim_outputs(r);
    for (;;) {
        const char *status = gets(r->obj, "status");
        long long cancel = geti(r->m, "cancel_ms");
        if (terminal(status))
            break;
        if (strcmp(status, "cancelling") == 0) {
            if (now < cancel + clock / 10)
                break;
            if (geti(r->m, "total") > 0 && !r->perm && load_order(r) != 0) {
                rc = -1;
                break;
            }
            rc = finish(r, "cancelled", "cancelled_at", cancel + clock / 10, "batch_cancelled",
                        "This request was not run: the batch was cancelled.");
            break;
        }
        if (strcmp(status, "validating") == 0) {
            if (now < t0 + clock / 10)
                break;
            json_t *errors = validate(r, e);
            if (!errors) {
                ea_buf_free(&line);
                return -1;
            }
            if (json_array_size(errors) > 0) {
                json_object_set_new(r->obj, "errors",
                                    json_pack("{s:s, s:o}", "object", "list", "data", errors));
                json_object_set_new(r->obj, "status", json_string("failed"));
                set_time(r, "failed_at", t0 + clock / 10);
                break;
            }
            json_decref(errors);
            json_object_set_new(r->obj, "status", json_string("in_progress"));
            set_time(r, "in_progress_at", t0 + clock / 10);
            set_counts(r);
            continue;
        }
        if (!r->perm && load_order(r) != 0) {
            rc = -1;
            break;
        }
        if (strcmp(status, "in_progress") == 0) {
            long long expire = geti(r->m, "expire");
            size_t done = (size_t)geti(r->m, "done");
            while (done < r->total && now >= due_ms(r, done) &&
                   !(expire >= 0 && done >= (size_t)expire) &&
                   mock_now_ms() - started < r->budget_ms) {
                if ((rc = run_line(r, r->perm[done], &line)) != 0)
                    break;
                done++;
            }
            if (rc != 0)
                break;
            if (expire >= 0 && done >= (size_t)expire && done < r->total &&
                now >= due_ms(r, done)) {
                rc = finish(r, "expired", "expired_at", due_ms(r, done), "batch_expired",
                            "This request could not be executed before the completion window "
                            "expired.");
                break;
            }
            if (done < r->total)
                break;
            json_object_set_new(r->obj, "status", json_string("finalizing"));
            long long at = r->total ? due_ms(r, r->total - 1) : t0 + clock / 10;
            seti(r->m, "finalizing_ms", at);
            set_time(r, "finalizing_at", at);
            continue;
        }
        /* finalizing */
        long long at = geti(r->m, "finalizing_ms") + clock / 10;
        if (now < at)
            break;
        rc = finish(r, "completed", "completed_at", at, NULL, NULL);
        break;
    }
    ea_buf_free(&line);
    set_counts(r);
    if (rc != 0 || save(r) != 0)
        return mock_fail(e, 500, "server_error", NULL, NULL,
                         "The offline stand-in could not run the batch %s.", r->id);
    return 0;
}

/* ---- opening a batch ---- */

static void run_close(run *r, int *lock_fd)
{
    json_decref(r->obj);
    free(r->saved);
    free(r->off);
    free(r->perm);
    if (r->in_fd >= 0)
        close(r->in_fd);
    if (*lock_fd >= 0)
        close(*lock_fd); /* drops the flock */
    *lock_fd = -1;
    memset(r, 0, sizeof *r);
    r->in_fd = -1;
}

static int not_found(mock_error *e, const char *id)
{
    return mock_fail(e, 404, INVALID, NULL, NULL, "No batch found with id '%.64s'. "
                     MOCK_OFFLINE_NOTE, id);
}

/* Locks, loads and brings the batch up to date, doing at most budget_ms of work. */
static int run_open(mock_server *srv, const char *id, int budget_ms, run *r, int *lock_fd,
                    mock_error *e)
{
    memset(r, 0, sizeof *r);
    r->in_fd = -1;
    *lock_fd = -1;
    r->srv = srv;
    r->budget_ms = budget_ms;
    r->dir = mock_store_batches(mock_server_store(srv));
    if (!r->dir || !mock_safe_id(id))
        return not_found(e, id);
    snprintf(r->id, sizeof r->id, "%s", id);
    char path[1200];
    path_of(r, ".json", path, sizeof path);
    if (access(path, F_OK) != 0)
        return not_found(e, id);
    path_of(r, ".lock", path, sizeof path);
    *lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (*lock_fd < 0 || flock(*lock_fd, LOCK_EX) != 0) {
        run_close(r, lock_fd);
        return not_found(e, id);
    }
    path_of(r, ".json", path, sizeof path);
    r->obj = json_load_file(path, JSON_PRESERVE_ORDER, NULL);
    r->saved = r->obj ? json_dumps(r->obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    r->m = json_object_get(r->obj, "_mock");
    if (!json_is_object(r->m)) {
        run_close(r, lock_fd);
        return not_found(e, id);
    }
    r->route = strcmp(gets(r->obj, "endpoint"), "/v1/images/edits") == 0 ? MOCK_ROUTE_EDITS
                                                                         : MOCK_ROUTE_GENERATIONS;
    char input[1200];
    const char *files = mock_store_files(mock_server_store(srv));
    const char *input_id = gets(r->obj, "input_file_id");
    snprintf(input, sizeof input, "%s/%s", files ? files : "", input_id);
    if (!terminal(gets(r->obj, "status"))) {
        r->in_fd = mock_safe_id(input_id) ? open(input, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
        if (r->in_fd < 0) {
            run_close(r, lock_fd);
            return mock_fail(e, 500, "server_error", NULL, NULL,
                             "The input file of batch %s is gone.", id);
        }
    }
    if (advance(r, e) != 0) {
        run_close(r, lock_fd);
        return -1;
    }
    return 0;
}

/* The object as the API shows it: without the private state. */
static int put_public(const run *r, ea_buf *out, mock_error *e)
{
    json_t *pub = json_copy(r->obj);
    json_object_del(pub, "_mock");
    char *text = pub ? json_dumps(pub, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(pub);
    int rc = text ? ea_buf_puts(out, text) : -1;
    free(text);
    return rc == 0 ? 0 : oom(e);
}

/* ---- the ticker: batches go on while nobody asks ---- */

struct mock_batches {
    mock_server *srv;
    pthread_t thread;
    bool started, stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    char watched[MAX_WATCHED][64];   /* batches of this process not yet final */
    int n_watched;
};

static void watch(mock_server *srv, const char *id)
{
    mock_batches *b = mock_server_batches(srv);
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    bool known = false;
    for (int i = 0; i < b->n_watched; i++)
        known |= strcmp(b->watched[i], id) == 0;
    if (!known && b->n_watched < MAX_WATCHED)
        snprintf(b->watched[b->n_watched++], sizeof b->watched[0], "%s", id);
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
}

static void unwatch(mock_batches *b, const char *id)
{
    pthread_mutex_lock(&b->lock);
    for (int i = 0; i < b->n_watched; i++)
        if (strcmp(b->watched[i], id) == 0) {
            memmove(b->watched[i], b->watched[--b->n_watched], sizeof b->watched[0]);
            break;
        }
    pthread_mutex_unlock(&b->lock);
}

static void *tick(void *arg)
{
    mock_batches *b = arg;
    pthread_mutex_lock(&b->lock);
    while (!b->stop) {
        char ids[MAX_WATCHED][64];
        int n = b->n_watched;
        memcpy(ids, b->watched, sizeof ids);
        pthread_mutex_unlock(&b->lock);
        for (int i = 0; i < n; i++) {
            run r;
            int lock_fd;
            mock_error ignored;
            bool gone = run_open(b->srv, ids[i], TICK_BUDGET_MS, &r, &lock_fd, &ignored) != 0 ||
                        terminal(gets(r.obj, "status"));
            run_close(&r, &lock_fd);
            if (gone)
                unwatch(b, ids[i]);
        }
        pthread_mutex_lock(&b->lock);
        if (b->stop)
            break;
        if (b->n_watched == 0) {
            pthread_cond_wait(&b->wake, &b->lock);
        } else {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += TICK_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&b->wake, &b->lock, &until);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

mock_batches *mock_batches_start(mock_server *srv)
{
    mock_batches *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->srv = srv;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->wake, NULL);
    b->started = pthread_create(&b->thread, NULL, tick, b) == 0;
    if (!b->started) {
        pthread_cond_destroy(&b->wake);
        pthread_mutex_destroy(&b->lock);
        free(b);
        return NULL;
    }
    return b;
}

void mock_batches_stop(mock_batches **bp)
{
    mock_batches *b = *bp;
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stop = true;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    free(b);
    *bp = NULL;
}

/* ---- the routes ---- */

static int bad(mock_error *e, const char *code, const char *param, const char *message)
{
    return mock_fail(e, 400, INVALID, code, param, "%s", message);
}

static int create(mock_server *srv, const ea_buf *body, mock_reply *out, mock_error *e)
{
    json_t *req = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
    int rc = -1;
    const char *input = json_string_value(json_object_get(req, "input_file_id"));
    const char *endpoint = json_string_value(json_object_get(req, "endpoint"));
    const char *window = json_string_value(json_object_get(req, "completion_window"));
    json_t *metadata = json_object_get(req, "metadata");
    mock_store *store = mock_server_store(srv);
    ea_buf file;
    ea_buf_init(&file, EA_BUF_UNCAPPED);
    if (!json_is_object(req))
        bad(e, NULL, NULL, "We could not parse the JSON body of your request.");
    else if (!input)
        bad(e, "missing_required_parameter", "input_file_id",
            "Missing required parameter: 'input_file_id'.");
    else if (!endpoint)
        bad(e, "missing_required_parameter", "endpoint", "Missing required parameter: 'endpoint'.");
    else if (strcmp(endpoint, "/v1/images/generations") != 0 &&
             strcmp(endpoint, "/v1/images/edits") != 0)
        bad(e, "invalid_value", "endpoint",
            "The offline stand-in runs batches of /v1/images/generations and /v1/images/edits "
            "only.");
    else if (!window || strcmp(window, "24h") != 0)
        bad(e, "invalid_value", "completion_window",
            "Invalid 'completion_window': only '24h' is supported.");
    else if (metadata && !json_is_null(metadata) &&
             (!json_is_object(metadata) || json_object_size(metadata) > 16))
        bad(e, "invalid_value", "metadata",
            "Invalid 'metadata': at most 16 pairs of strings.");
    else if (mock_files_object(store, input, &file) != 0)
        mock_fail(e, 400, INVALID, "invalid_value", "input_file_id",
                  "Invalid 'input_file_id': no such file '%.64s'. " MOCK_OFFLINE_NOTE, input);
    else
        rc = 0;
    json_t *file_obj = rc == 0 ? json_loadb(file.data, file.len, 0, NULL) : NULL;
    ea_buf_free(&file);
    if (rc == 0 && strcmp(gets(file_obj, "purpose"), "batch") != 0)
        rc = mock_fail(e, 400, INVALID, "invalid_value", "input_file_id",
                       "Invalid 'input_file_id': the file's purpose is '%s', not 'batch'.",
                       gets(file_obj, "purpose"));
    json_decref(file_obj);
    const char *dir = rc == 0 ? mock_store_batches(store) : NULL;
    if (rc == 0 && !dir)
        rc = mock_fail(e, 500, "server_error", NULL, NULL,
                       "The offline stand-in cannot keep batches.");
    if (rc != 0) {
        json_decref(req);
        return -1;
    }

    const ea_mock_config *cfg = mock_server_config(srv);
    run r = { .srv = srv, .dir = dir, .in_fd = -1 };
    mock_random_id(r.id, sizeof r.id, "batch_");
    long long now = mock_now_ms();
    json_int_t created = (json_int_t)(now / 1000);
    /* The shuffle's seed: the id's last hex digits are random. */
    uint32_t seed = (uint32_t)strtoul(r.id + strlen(r.id) - 8, NULL, 16);
    r.obj = json_pack("{s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:n, s:n, s:I, s:n, s:I, s:n, s:n, "
                      "s:n, s:n, s:n, s:n, s:{s:i, s:i, s:i}, s:O}",
                      "id", r.id, "object", "batch", "endpoint", endpoint, "errors",
                      "input_file_id", input, "completion_window", "24h", "status", "validating",
                      "output_file_id", "error_file_id", "created_at", created, "in_progress_at",
                      "expires_at", created + DAY_SECONDS, "finalizing_at", "completed_at",
                      "failed_at", "expired_at", "cancelling_at", "cancelled_at",
                      "request_counts", "total", 0, "completed", 0, "failed", 0, "metadata",
                      metadata && json_is_object(metadata) ? metadata : json_null());
    r.m = json_pack("{s:I, s:I, s:I, s:i, s:i, s:i, s:i}", "t0_ms", (json_int_t)now, "clock_ms",
                    (json_int_t)cfg->batch_ms, "seed", (json_int_t)seed, "fail", cfg->batch_fail,
                    "expire", cfg->batch_expire, "invalid_line", cfg->batch_invalid_line,
                    "image_bytes", cfg->batch_image_bytes);
    json_decref(req);
    if (!r.obj || !r.m) {
        json_decref(r.obj);
        json_decref(r.m);
        return oom(e);
    }
    json_object_set_new(r.obj, "_mock", r.m);
    rc = save(&r) == 0 ? put_public(&r, &out->body, e)
                       : mock_fail(e, 500, "server_error", NULL, NULL,
                                   "The offline stand-in could not keep the batch.");
    if (rc == 0)
        watch(srv, r.id);
    json_decref(r.obj);
    return rc;
}

static int retrieve(mock_server *srv, const char *id, bool cancel, mock_reply *out,
                    mock_error *e)
{
    run r;
    int lock_fd;
    if (run_open(srv, id, WORK_BUDGET_MS, &r, &lock_fd, e) != 0)
        return -1;
    if (!terminal(gets(r.obj, "status")))
        watch(srv, id);
    int rc = 0;
    if (cancel) {
        const char *status = gets(r.obj, "status");
        if (terminal(status) || strcmp(status, "cancelling") == 0) {
            if (strcmp(status, "cancelling") != 0 && strcmp(status, "cancelled") != 0)
                rc = mock_fail(e, 409, INVALID, NULL, NULL,
                               "Cannot cancel a batch with status '%s'.", status);
        } else {
            long long now = mock_now_ms();
            seti(r.m, "cancel_ms", now);
            set_time(&r, "cancelling_at", now);
            json_object_set_new(r.obj, "status", json_string("cancelling"));
            rc = advance(&r, e);
        }
    }
    if (rc == 0)
        rc = put_public(&r, &out->body, e);
    run_close(&r, &lock_fd);
    return rc;
}

/* A batch for the list, brought up to date first. */
static json_t *listed_batch(mock_server *srv, const char *id, void *arg)
{
    (void)arg;
    run r;
    int lock_fd;
    mock_error ignored;
    /* A short budget: a list must not wait on every running batch's work. */
    if (run_open(srv, id, TICK_BUDGET_MS, &r, &lock_fd, &ignored) != 0)
        return NULL;
    json_t *pub = json_copy(r.obj);
    json_object_del(pub, "_mock");
    run_close(&r, &lock_fd);
    return pub;
}

int mock_batches_answer(mock_server *srv, struct MHD_Connection *c, const char *method,
                        const char *url, const ea_buf *body, mock_reply *r, mock_error *e)
{
    const char *rest = url + strlen("/v1/batches");
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        if (post)
            return create(srv, body, r, e);
        if (get)
            return mock_list_objects(srv, mock_store_batches(mock_server_store(srv)),
                                     listed_batch, NULL, c, 20, 100, &r->body, e);
    } else {
        char id[80];
        const char *tail;
        if (!mock_path_id(rest, id, sizeof id, &tail))
            return not_found(e, rest);
        if (get && *tail == '\0')
            return retrieve(srv, id, false, r, e);
        if (post && strcmp(tail, "/cancel") == 0)
            return retrieve(srv, id, true, r, e);
    }
    return mock_fail(e, 404, INVALID, NULL, NULL, "Invalid URL (%s %s)", method, url);
}
