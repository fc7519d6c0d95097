/* SPDX-License-Identifier: MIT */
/* batch_fetch: a finished batch's output and error files streamed into its session: each line
 * parsed as it arrives (memory bounded by the longest line), matched by custom_id in any
 * order, its images saved and its result recorded at batch prices; a cut download resumed
 * with Range; a line already fetched is never saved twice. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "easel/campaign.h"
#include "easel/events.h"
#include "easel/image.h"
#include "easel/sanitize.h"

/* A cut download is taken up again from its last whole line this many times. */
#define MAX_RESUMES 5
#define MAX_IMAGE_BYTES ((size_t)64 << 20)
/* Lines saved together: their images made durable by one syncfs, their records by one fsync
 * (per line, three fsyncs took 8 ms each on a loaded disk). Bounds the memory held too. */
#define GROUP_LINES 256
#define GROUP_BYTES ((size_t)32 << 20)
/* Distinct models a batch's lines name (0 is "": unknown, no cost). */
#define MAX_MODELS 32

typedef struct fetch_state {
    batch_ctx *c;
    ea_session *s;
    batch_info *b;
    batch_fetch_totals *t;
    ea_idmap *turn_of;        /* custom_id -> turn; negated once the turn has a result */
    /* Per turn of the batch, its line's model as an index into model_names (a campaign has a
     * few): a byte a line, where the session's lean log keeps no models. */
    unsigned char *model_of;
    char model_names[MAX_MODELS][64];
    size_t n_models;
    ea_jsonl_reader *reader;
    ea_err err;               /* why a line stopped the fetch */
    long long total;          /* the file's size, once an answer said it; -1 before */
    struct pending *group;    /* GROUP_LINES lines waiting for their records */
    ea_buf rest;              /* a line with its base64 cut out */
    size_t n_group, group_bytes;
} fetch_state;

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Calls each(st, turn, custom_id, model, has_result) for the batch's lines, their request
 * records read from the log a line at a time (the session's lean log holds no records).
 * Records each() appends meanwhile are read too, and are not requests. */
typedef int line_fn(fetch_state *st, int turn, const char *custom_id, const char *model,
                    bool has_result, ea_err *err);
static int each_line(fetch_state *st, line_fn *each, ea_err *err)
{
    ea_audit_stream *in;
    if (ea_audit_stream_open(ea_session_dir(st->s), EA_AUDIT_STREAM_RECORDS, &in, err) != 0)
        return -1;
    const char *line;
    size_t len;
    int rc;
    while ((rc = ea_audit_stream_next(in, &line, &len, err)) == 1) {
        if (!batch_has_text(line, len, "\"kind\":\"request\""))
            continue;
        json_t *rec = json_loadb(line, len, 0, NULL);
        const char *id = str(rec, "custom_id"), *part = str(rec, "batch_part");
        json_int_t turn = json_integer_value(json_object_get(rec, "turn"));
        ea_audit_turn info;
        if (id && part && strcmp(part, st->b->part) == 0 && turn >= st->b->first_turn &&
            turn <= st->b->last_turn &&
            ea_audit_find_turn(ea_session_audit(st->s), (int)turn, &info, NULL) == 0 &&
            each(st, (int)turn, id, str(rec, "model"), info.has_result, err) != 0)
            rc = -1;
        json_decref(rec);
        if (rc < 0)
            break;
    }
    ea_audit_stream_close(&in);
    return rc < 0 ? -1 : 0;
}

static int add_line(fetch_state *st, int turn, const char *custom_id, const char *model,
                    bool has_result, ea_err *err)
{
    size_t m = 0;
    while (m < st->n_models && strcmp(st->model_names[m], model ? model : "") != 0)
        m++;
    if (m == st->n_models && m < MAX_MODELS)
        snprintf(st->model_names[st->n_models++], sizeof st->model_names[0], "%s",
                 model ? model : "");
    st->model_of[turn - st->b->first_turn] = m < st->n_models ? (unsigned char)m : 0;
    if (ea_idmap_put(st->turn_of, custom_id, has_result ? -turn : turn) < 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    return 0;
}

/* The lines of the batch, from their request records: which custom_id is which turn, and
 * which have a result already. */
static int load_lines(fetch_state *st, ea_err *err)
{
    int n = st->b->last_turn - st->b->first_turn + 1;
    if (n <= 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "batch %s names no turns", st->b->part);
    st->turn_of = ea_idmap_new();
    st->model_of = calloc((size_t)n, sizeof *st->model_of);
    if (!st->turn_of || !st->model_of)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    st->n_models = 1; /* model_names[0]: "" */
    return each_line(st, add_line, err);
}

static const char *ext_of(const char *format)
{
    return strcmp(format, "jpeg") == 0 ? "jpeg" : format;
}

/* A usage object through the events decoder, so it maps onto the price table as a call's
 * usage does. */
static bool usage_of(const json_t *usage, ea_usage *out, char **text)
{
    *text = NULL;
    if (!json_is_object(usage))
        return false;
    *text = json_dumps(usage, JSON_COMPACT);
    json_t *wrap = json_pack("{s:i, s:[], s:O}", "created", 0, "data", "usage", usage);
    char *body = json_dumps(wrap, JSON_COMPACT);
    json_decref(wrap);
    ea_event *ev = body ? ea_event_parse_body(body, strlen(body), NULL) : NULL;
    bool ok = ev && ev->has_usage;
    if (ok)
        *out = ev->usage;
    ea_event_free(&ev);
    free(body);
    return ok;
}

/* A line whose images are saved and whose record waits for the group's flush. */
typedef struct pending {
    json_t *o;                 /* the line, its base64 dropped: the strings below point in */
    long turn;
    const char *custom_id;
    ea_audit_result res;
    ea_audit_error e;
    ea_audit_image images[10];
    char *usage_text;
} pending;

static void pending_free(pending *p)
{
    json_decref(p->o);
    free(p->usage_text);
    memset(p, 0, sizeof *p);
}

/* The group's images made durable at once, then their records, then one fsync of the log. */
static int flush(fetch_state *st)
{
    int rc = 0;
    if (st->n_group && ea_session_sync_images(st->s, &st->err) != 0)
        rc = -1;
    for (size_t i = 0; i < st->n_group; i++) {
        pending *p = &st->group[i];
        p->res.images = p->images;
        p->res.usage_json = p->usage_text;
        p->res.error = p->e.code || p->e.message ? &p->e : NULL;
        if (rc == 0 && ea_session_end_batch_line(st->s, (int)p->turn, &p->res, &st->err) != 0)
            rc = -1;
        if (rc == 0) {
            if (p->res.status == EA_AUDIT_COMPLETED)
                st->t->saved++;
            else
                st->t->failed++;
            st->t->images += (long)p->res.n_images;
            if (!isnan(p->res.cost_usd))
                st->t->cost_usd += p->res.cost_usd;
        }
        pending_free(p);
    }
    st->n_group = 0;
    st->group_bytes = 0;
    if (rc == 0 && ea_session_sync_log(st->s, &st->err) != 0)
        rc = -1;
    return rc;
}

/* Where each "b64_json" value of a line lies: megabytes of base64 that a JSON parser would
 * check character by character are cut out before the parse and decoded from the line
 * itself. An escaped quote inside a JSON string (a prompt quoting the key) cannot match. */
#define MAX_B64 10
typedef struct b64_span {
    size_t start, len;
} b64_span;

static size_t find_b64(const char *line, size_t len, b64_span *spans, ea_buf *rest)
{
    static const char key[] = "\"b64_json\"";
    size_t n = 0, from = 0, k = sizeof key - 1;
    ea_buf_reset(rest);
    for (size_t i = 0; n < MAX_B64 && i + k < len;) {
        const char *hit = memchr(line + i, '"', len - i);
        if (!hit)
            break;
        i = (size_t)(hit - line);
        if (i + k > len || memcmp(line + i, key, k) != 0) {
            i++;
            continue;
        }
        size_t j = i + k;
        while (j < len && (line[j] == ' ' || line[j] == ':'))
            j++;
        const char *close = j < len && line[j] == '"' ? memchr(line + j + 1, '"', len - j - 1)
                                                      : NULL;
        if (!close) {
            i = j;
            continue;
        }
        spans[n].start = j + 1;
        spans[n].len = (size_t)(close - line) - (j + 1);
        ea_buf_append(rest, line + from, j + 1 - from); /* up to and with the opening quote */
        from = (size_t)(close - line);                  /* from the closing quote on */
        n++;
        i = from + 1;
    }
    ea_buf_append(rest, line + from, len - from);
    return n;
}

/* A line's turn by its custom_id; 0 (counted) for a line the batch does not have or that
 * was fetched before. */
static long turn_of_line(fetch_state *st, const char *custom_id)
{
    long turn = custom_id ? ea_idmap_get(st->turn_of, custom_id, 0) : 0;
    if (turn == 0)
        st->t->unknown++;
    else if (turn < 0)
        st->t->skipped++; /* fetched before */
    return turn > 0 ? turn : 0;
}

/* The group's next line, o (owned) its JSON: NULL (o freed) when the batch does not have
 * its custom_id or it was fetched before. */
static pending *take_line(fetch_state *st, json_t *o)
{
    pending *p = &st->group[st->n_group];
    memset(p, 0, sizeof *p);
    p->o = o;
    if ((p->turn = turn_of_line(st, str(o, "custom_id"))) > 0)
        return p;
    pending_free(p);
    return NULL;
}

/* The group's next line p (its turn set) waits for its record. */
static int queue(fetch_state *st, pending *p)
{
    /* Never twice, even if the file repeats a custom_id. */
    ea_idmap_put(st->turn_of, p->res.custom_id, -p->turn);
    st->n_group++;
    if (st->n_group == GROUP_LINES || st->group_bytes >= GROUP_BYTES)
        return flush(st);
    return 0;
}

/* The top-level "custom_id" string among a line's first bytes (an output line names it
 * before its response), or NULL. A quoted key inside a JSON string is escaped: no match. */
static json_t *custom_id_in(const char *head, size_t len)
{
    static const char key[] = "\"custom_id\"";
    size_t k = sizeof key - 1;
    for (size_t i = 0; i + k <= len; i++) {
        if (memcmp(head + i, key, k) != 0)
            continue;
        size_t j = i + k;
        while (j < len && (head[j] == ' ' || head[j] == ':'))
            j++;
        if (j >= len || head[j] != '"')
            continue;
        for (size_t q = j + 1; q < len; q++) {
            if (head[q] == '\\')
                q++;
            else if (head[q] == '"')
                return json_loadb(head + j, q + 1 - j, JSON_DECODE_ANY, NULL);
        }
        return NULL;
    }
    return NULL;
}

static int on_line(void *ctx, const char *line, size_t len, unsigned long long end)
{
    (void)end;
    fetch_state *st = ctx;
    b64_span spans[MAX_B64];
    size_t n_spans = find_b64(line, len, spans, &st->rest);
    pending *p = take_line(st, st->rest.data ? json_loadb(st->rest.data, st->rest.len, 0, NULL)
                                             : NULL);
    if (!p)
        return 0;
    size_t next_span = 0;
    const char *custom_id = str(p->o, "custom_id");
    long turn = p->turn;
    const json_t *resp = json_object_get(p->o, "response");
    const json_t *body = json_object_get(resp, "body");
    int status = (int)json_integer_value(json_object_get(resp, "status_code"));
    const json_t *error = json_object_get(p->o, "error");
    if (!json_is_object(error))
        error = json_object_get(body, "error");
    ea_audit_result *res = &p->res;
    ea_audit_error *e = &p->e;
    ea_audit_result_init(res);
    res->custom_id = custom_id;
    res->batch_id = st->b->batch_id;
    res->http_status = status;
    res->request_id = str(resp, "request_id");
    res->response_id = str(p->o, "id");
    if (status >= 200 && status < 300 && !json_is_object(error)) {
        json_t *data = json_object_get(body, "data"), *item;
        size_t k;
        json_array_foreach(data, k, item) {
            /* Each b64_json the parse saw (emptied) is the next span cut out of the line. */
            if (!str(item, "b64_json") || next_span >= n_spans ||
                res->n_images >= sizeof p->images / sizeof p->images[0])
                continue;
            const b64_span *sp = &spans[next_span++];
            unsigned char *bytes = NULL;
            size_t n = 0;
            if (ea_base64_decode(line + sp->start, sp->len, MAX_IMAGE_BYTES, &bytes, &n,
                                 NULL) != 0) {
                e->type = "easel";
                e->code = "bad_image";
                e->message = "an image in the output line is not valid base64";
                continue;
            }
            const char *format = "png";
            int w = 0, h = 0;
            ea_image_probe(bytes, n, &format, &w, &h, NULL);
            ea_audit_image *img = &p->images[res->n_images];
            int saved = ea_session_save_image(st->s, (int)turn, (int)res->n_images + 1,
                                              ext_of(format), bytes, n, img, &st->err);
            free(bytes);
            if (saved != 0) {
                pending_free(p);
                return -1;
            }
            img->width = w;
            img->height = h;
            res->n_images++;
            st->group_bytes += n;
        }
        ea_usage u;
        const char *model = st->model_names[st->model_of[turn - st->b->first_turn]];
        if (usage_of(json_object_get(body, "usage"), &u, &p->usage_text)) {
            double usd;
            if (ea_prices_cost(st->c->prices, model, &u, &usd))
                res->cost_usd = res->cost_image_usd = usd * EA_BATCH_PRICE_FACTOR;
        }
        res->status = res->n_images > 0 && !e->code ? EA_AUDIT_COMPLETED : EA_AUDIT_FAILED;
        if (res->n_images == 0 && !e->code) {
            e->type = "easel";
            e->code = "no_image";
            e->message = "the output line holds no image";
        }
    } else {
        res->status = EA_AUDIT_FAILED;
        e->type = str(error, "type");
        e->code = str(error, "code");
        e->message = str(error, "message");
        e->param = str(error, "param");
        if (!e->message && !e->code)
            e->message = "the line failed without an error message";
        res->cost_usd = 0;
    }
    return queue(st, p);
}

/* The first bytes of a line past EA_BATCH_LINE_MAX: its custom_id, when they hold it, gets
 * its line recorded as failed, so that no fetch stops at it (or takes it again). */
static int on_too_long(void *ctx, const char *head, size_t len, unsigned long long end)
{
    _Static_assert(EA_BATCH_LINE_MAX == (size_t)256 << 20, "the message names the cap");
    (void)end;
    fetch_state *st = ctx;
    json_t *o = json_object();
    json_object_set_new(o, "custom_id", custom_id_in(head, len));
    pending *p = take_line(st, o);
    if (!p)
        return 0;
    ea_audit_result_init(&p->res);
    p->res.status = EA_AUDIT_FAILED;
    p->res.custom_id = str(p->o, "custom_id");
    p->res.batch_id = st->b->batch_id;
    p->res.cost_usd = 0;
    p->e.type = "easel";
    p->e.code = "line_too_large";
    p->e.message = "the output line is larger than 256 MB";
    return queue(st, p);
}

static int sink(void *ctx, const char *bytes, size_t n)
{
    fetch_state *st = ctx;
    return ea_jsonl_reader_feed(st->reader, bytes, n) != 0 ? 1 : 0;
}

static ea_jsonl_reader *new_reader(fetch_state *st, unsigned long long from)
{
    ea_jsonl_reader *r = ea_jsonl_reader_new(from, on_line, st);
    if (r)
        ea_jsonl_reader_skip_long(r, EA_BATCH_LINE_MAX, on_too_long);
    return r;
}

/* A Content-Length that is a plain number, else -1. */
static long long length_of(const char *value)
{
    long long first, last, total;
    char range[300];
    /* Its digits read as a Content-Range's are: no sign, no wrap past INT64_MAX. */
    snprintf(range, sizeof range, "bytes 0-0/%s", value);
    return *value && ea_http_content_range(range, &first, &last, &total) == 0 ? total : -1;
}

static int on_head(void *ctx, const ea_http_head *head)
{
    fetch_state *st = ctx;
    unsigned long long asked = ea_jsonl_reader_done(st->reader);
    if (head->status == 206) {
        /* Appended only where the kept lines end: an answer from another byte would cut a
         * line (lost) or repeat some. */
        long long first, last, total;
        if (ea_http_content_range(head->content_range, &first, &last, &total) != 0) {
            ea_err_set(&st->err, EA_EXIT_NETWORK,
                       "the resumed download (206) has no usable Content-Range; nothing of "
                       "it was kept");
            return 1;
        }
        if ((unsigned long long)first != asked) {
            ea_err_set(&st->err, EA_EXIT_NETWORK,
                       "the server resumed the download from byte %lld, not from byte %llu as "
                       "asked; nothing of it was kept", first, asked);
            return 1;
        }
        if (total >= 0 && st->total >= 0 && total != st->total) {
            ea_err_set(&st->err, EA_EXIT_NETWORK,
                       "the file was %lld bytes and is %lld on resuming; nothing of it was kept",
                       st->total, total);
            return 1;
        }
        if (total >= 0)
            st->total = total;
    } else if (head->status == 200) {
        if (asked > 0) {
            /* A Range the server did not honour: the whole file again, what was kept of
             * the cut line dropped; the lines recorded already are skipped by their
             * custom_id. */
            ea_jsonl_reader_free(&st->reader);
            st->reader = new_reader(st, 0);
        }
        st->total = length_of(head->content_length);
    }
    return st->reader ? 0 : 1;
}

/* GET /files/ID/content, line by line, resumed from the last whole line when cut. */
static int stream_file(fetch_state *st, const char *file_id, ea_err *err)
{
    char path[300];
    snprintf(path, sizeof path, "/files/%s/content", file_id);
    unsigned long long from = 0;
    int rc = -1;
    st->total = -1;
    for (int attempt = 0; attempt <= MAX_RESUMES; attempt++) {
        /* Each attempt starts at a line's start: the cut line's first bytes are dropped. */
        if (!(st->reader = new_reader(st, from)))
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        batch_call call = {.sink = sink, .on_head = on_head, .sink_ctx = st};
        rc = batch_http(st->c, "GET", path, NULL, NULL, 0, from, &call, err);
        if (rc == 0 && (call.status < 200 || call.status >= 300))
            rc = batch_http_error(&call, "downloading the results", err);
        bool aborted = call.res.outcome == EA_HTTP_ABORTED;
        batch_call_free(&call);
        if (rc == 0 && ea_jsonl_reader_finish(st->reader) != 0)
            aborted = true;
        /* What was saved before a cut or a failure is recorded before anything else. */
        if (flush(st) != 0)
            aborted = true;
        if (aborted && st->err.code) {
            *err = st->err;
            rc = -1;
        } else if (aborted && rc == 0) {
            rc = ea_err_set(err, EA_EXIT_INTERNAL, "reading the results failed");
        }
        from = ea_jsonl_reader_done(st->reader);
        ea_jsonl_reader_free(&st->reader);
        /* Cut mid-file (the server, the link): resumed where the last whole line ended. */
        if (rc == 0 || aborted || batch_stop_signal ||
            (err->code != EA_EXIT_INTERRUPTED && err->code != EA_EXIT_NETWORK))
            break;
        fprintf(stderr, "easel batch: the download was cut (%s); resuming from byte %llu\n",
                err->msg, from);
    }
    return rc;
}

/* A line the output and error files left out: a cancelled or expired batch's unfinished
 * work, recorded as cancelled so that no line stays pending. */
static int close_line(fetch_state *st, int turn, const char *custom_id, const char *model,
                      bool has_result, ea_err *err)
{
    (void)model;
    if (has_result)
        return 0;
    char message[160];
    snprintf(message, sizeof message, "the batch ended %s before this line ran",
             st->b->status);
    ea_audit_error e = {.type = "batch_error", .code = st->b->status, .message = message};
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.status = strcmp(st->b->status, "failed") == 0 ? EA_AUDIT_FAILED : EA_AUDIT_CANCELLED;
    res.custom_id = custom_id;
    res.batch_id = st->b->batch_id;
    res.cost_usd = 0;
    res.error = &e;
    if (ea_session_end_batch_line(st->s, turn, &res, err) != 0)
        return -1;
    st->t->cancelled++;
    return 0;
}

int batch_fetch_one(batch_ctx *c, ea_session *s, batch_info *b, batch_fetch_totals *t,
                    ea_err *err)
{
    fetch_state st = {.c = c, .s = s, .b = b, .t = t};
    ea_buf_init(&st.rest, EA_BATCH_LINE_MAX);
    if (!(st.group = calloc(GROUP_LINES, sizeof *st.group)))
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    ea_session_defer_sync(s, true);
    int rc = load_lines(&st, err);
    if (rc == 0 && *b->output_file_id)
        rc = stream_file(&st, b->output_file_id, err);
    if (rc == 0 && *b->error_file_id)
        rc = stream_file(&st, b->error_file_id, err);
    /* Every line has its result once the batch is over and both files are read. */
    if (rc == 0 && strcmp(b->status, "completed") != 0)
        rc = each_line(&st, close_line, err);
    if (rc == 0) {
        char note[200];
        snprintf(note, sizeof note, "fetched: %ld saved, %ld failed, %ld cancelled, %ld before",
                 t->saved, t->failed, t->cancelled, t->skipped);
        if (t->saved || t->failed || t->cancelled)
            rc = batch_record_state(s, b, NULL, note, err);
    }
    if (ea_session_sync_log(s, rc == 0 ? err : NULL) != 0)
        rc = -1;
    ea_session_defer_sync(s, false);
    ea_idmap_free(&st.turn_of);
    free(st.model_of);
    free(st.group);
    ea_buf_free(&st.rest);
    return rc;
}
