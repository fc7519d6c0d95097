/* SPDX-License-Identifier: MIT */
#include "easel/history.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wctype.h>

#include "easel/paths.h"
#include "easel/utf8.h"

/* A request waiting for its result. The writer appends a result right after its request, so
 * this list holds one entry at a time; a log cut off mid-turn leaves one more. */
typedef struct pending {
    json_t *request;
    int turn, parent;
    bool branched;
} pending;

struct ea_history_reader {
    ea_audit_stream *stream;
    ea_history_notes notes;
    pending *pending;
    size_t n_pending, cap_pending;
    size_t next_open;            /* at the end: the next pending turn to hand out */
    bool at_end;
    int last_turn;               /* the newest request's turn */
    int last_completed;          /* the newest completed turn, for chained requests */
    char *last_completed_response;
};

/* ---- Fields ---------------------------------------------------------------------------- */

static const char *str_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static long int_of(const json_t *obj, const char *key, long missing)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : missing;
}

static double real_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The image parameters as sent: at the top of an Images API request, inside the
 * image_generation tool of a Responses request. */
static const json_t *image_params(const json_t *params)
{
    const json_t *tools = json_object_get(params, "tools");
    size_t i;
    const json_t *tool;
    json_array_foreach(tools, i, tool) {
        const char *type = str_of(tool, "type");
        if (type && strcmp(type, "image_generation") == 0)
            return tool;
    }
    return params;
}

/* The side files a record lists (audit.h), added to t's. */
static int add_side_files(ea_history_turn *t, const json_t *rec)
{
    const json_t *side = json_object_get(rec, "side_files");
    size_t n = json_array_size(side);
    if (!n)
        return 0;
    ea_audit_side_file *grown = realloc(t->side_files, (t->n_side_files + n) * sizeof *grown);
    if (!grown)
        return -1;
    t->side_files = grown;
    for (size_t i = 0; i < n; i++) {
        const json_t *entry = json_array_get(side, i);
        ea_audit_side_file *out = &t->side_files[t->n_side_files++];
        const char *field = str_of(entry, "field"), *path = str_of(entry, "path"),
                   *sha = str_of(entry, "sha256");
        snprintf(out->field, sizeof out->field, "%s", field ? field : "");
        snprintf(out->path, sizeof out->path, "%s", path ? path : "");
        snprintf(out->sha256, sizeof out->sha256, "%s", sha ? sha : "");
        out->bytes = (uint64_t)int_of(entry, "bytes", 0);
    }
    return 0;
}

static void fill_request(ea_history_turn *t, json_t *req)
{
    t->request_doc = req;
    t->request_seq = int_of(req, "seq", -1);
    t->ts = str_of(req, "ts");
    t->api = str_of(req, "api");
    t->endpoint = str_of(req, "endpoint");
    t->model = str_of(req, "model");
    t->text_model = str_of(req, "text_model");
    t->prompt = str_of(req, "prompt");
    t->previous_response_id = str_of(req, "previous_response_id");
    t->estimate_usd = real_of(req, "estimate_usd");
    t->estimate_max_usd = real_of(req, "estimate_max_usd");
    t->offline = json_is_true(json_object_get(req, "offline"));
    t->custom_id = str_of(req, "custom_id");
    t->batch_part = str_of(req, "batch_part");
    const json_t *p = image_params(json_object_get(req, "params"));
    t->size = str_of(p, "size");
    t->quality = str_of(p, "quality");
    t->format = str_of(p, "output_format");
    t->count = (int)int_of(p, "n", 1);
    t->action = str_of(p, "action");
    const json_t *params = json_object_get(req, "params");
    t->reasoning = str_of(json_object_get(params, "reasoning"), "effort");
    size_t k;
    const json_t *tool;
    json_array_foreach(json_object_get(params, "tools"), k, tool) {
        const char *type = str_of(tool, "type");
        t->web_search |= type && strcmp(type, "web_search") == 0;
    }
    const json_t *inputs = json_object_get(req, "inputs");
    size_t n = json_array_size(inputs);
    t->inputs = n ? calloc(n, sizeof *t->inputs) : NULL; /* out of memory: shown as none */
    for (size_t i = 0; t->inputs && i < n; i++) {
        const json_t *in = json_array_get(inputs, i);
        ea_history_input *out = &t->inputs[t->n_inputs++];
        out->role = str_of(in, "role");
        out->sha256 = str_of(in, "sha256");
        out->path = str_of(in, "path");
        out->source = str_of(in, "source");
        out->bytes = int_of(in, "bytes", -1);
        if (out->role && (strcmp(out->role, "image") == 0 || strcmp(out->role, "mask") == 0))
            t->edit = true;
    }
    const char *endpoint = t->endpoint ? strstr(t->endpoint, "/images/edits") : NULL;
    if ((endpoint && !endpoint[strlen("/images/edits")]) || (t->action && strcmp(t->action, "edit") == 0))
        t->edit = true;
}

/* The field as compact ASCII JSON text (caller frees), or NULL when absent or null. */
static char *compact_field(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return v && !json_is_null(v) ? json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
}

/* A thinking turn's summary, searches, cost of searches, and each image's revised prompt
 * (image_calls, matched to images by path). */
static int fill_thinking(ea_history_turn *t, json_t *res)
{
    t->reasoning_summary = str_of(res, "reasoning_summary");
    t->cost_search_usd = real_of(res, "cost_search_usd");
    const json_t *searches = json_object_get(res, "web_searches");
    size_t n = json_array_size(searches);
    if (n && !(t->searches = calloc(n, sizeof *t->searches)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(searches, i);
        t->searches[t->n_searches].status = str_of(s, "status");
        t->searches[t->n_searches++].query = str_of(s, "query");
    }
    const json_t *calls = json_object_get(res, "image_calls");
    if (!json_array_size(calls) || !t->n_images)
        return 0;
    if (!(t->image_prompts = calloc(t->n_images, sizeof *t->image_prompts)))
        return -1;
    size_t i;
    const json_t *call;
    json_array_foreach(calls, i, call) {
        const char *path = str_of(call, "path");
        for (size_t k = 0; path && k < t->n_images; k++)
            if (strcmp(t->images[k].path, path) == 0)
                t->image_prompts[k] = str_of(call, "revised_prompt");
    }
    return 0;
}

static int fill_result(ea_history_turn *t, json_t *res)
{
    t->result_doc = res;
    t->has_result = true;
    t->result_seq = int_of(res, "seq", -1);
    t->result_ts = str_of(res, "ts");
    const char *status = str_of(res, "status");
    t->status = EA_AUDIT_FAILED;
    for (int s = EA_AUDIT_COMPLETED; status && s <= EA_AUDIT_INTERRUPTED; s++)
        if (strcmp(status, ea_audit_status_name((enum ea_audit_status)s)) == 0)
            t->status = (enum ea_audit_status)s;
    t->http_status = (int)int_of(res, "http_status", 0);
    t->request_id = str_of(res, "request_id");
    t->response_id = str_of(res, "response_id");
    t->image_call_id = str_of(res, "image_call_id");
    t->revised_prompt = str_of(res, "revised_prompt");
    const json_t *error = json_object_get(res, "error");
    t->error_type = str_of(error, "type");
    t->error_code = str_of(error, "code");
    t->error_message = str_of(error, "message");
    t->error_param = str_of(error, "param");
    t->batch_id = str_of(res, "batch_id");
    t->cost_usd = real_of(res, "cost_usd");
    t->cost_text_usd = real_of(res, "cost_text_usd");
    t->cost_image_usd = real_of(res, "cost_image_usd");
    t->cost_image_estimated = json_is_true(json_object_get(res, "cost_image_estimated"));
    t->ms_first_byte = int_of(res, "ms_first_byte", -1);
    t->ms_first_partial = int_of(res, "ms_first_partial", -1);
    t->ms_total = int_of(res, "ms_total", -1);
    t->partials = (int)int_of(res, "partials", 0);
    t->retries = (int)json_array_size(json_object_get(res, "retries"));
    t->usage_json = t->usage_text = compact_field(res, "usage");
    t->tool_usage_json = t->tool_usage_text = compact_field(res, "tool_usage");

    if (add_side_files(t, res) != 0)
        return -1;
    const json_t *images = json_object_get(res, "images");
    size_t n = json_array_size(images);
    if (n && !(t->images = calloc(n, sizeof *t->images)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *img = json_array_get(images, i);
        ea_audit_image *out = &t->images[t->n_images++];
        snprintf(out->path, sizeof out->path, "%s", str_of(img, "path") ? str_of(img, "path") : "");
        snprintf(out->sha256, sizeof out->sha256, "%s",
                 str_of(img, "sha256") ? str_of(img, "sha256") : "");
        snprintf(out->format, sizeof out->format, "%s",
                 str_of(img, "format") ? str_of(img, "format") : "");
        out->bytes = (uint64_t)int_of(img, "bytes", 0);
        out->width = (int)int_of(img, "width", 0);
        out->height = (int)int_of(img, "height", 0);
    }
    return fill_thinking(t, res);
}

void ea_history_turn_clear(ea_history_turn *t)
{
    json_decref(t->request_doc);
    json_decref(t->result_doc);
    free(t->usage_text);
    free(t->tool_usage_text);
    free(t->images);
    free(t->side_files);
    free(t->inputs);
    free(t->searches);
    free(t->image_prompts);
    memset(t, 0, sizeof *t);
    t->request_seq = t->result_seq = -1;
    t->estimate_usd = t->cost_usd = t->cost_text_usd = t->cost_image_usd = NAN;
    t->estimate_max_usd = t->cost_search_usd = NAN;
    t->ms_first_byte = t->ms_first_partial = t->ms_total = -1;
}

/* ---- The reader ------------------------------------------------------------------------ */

int ea_history_open(const char *session_dir, ea_history_reader **out, ea_err *err)
{
    *out = NULL;
    ea_history_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    if (ea_audit_stream_open(session_dir, EA_AUDIT_STREAM_RECORDS, &r->stream, err) != 0) {
        free(r);
        return -1;
    }
    *out = r;
    return 0;
}

void ea_history_close(ea_history_reader **rp)
{
    ea_history_reader *r = *rp;
    if (!r)
        return;
    for (size_t i = r->next_open; i < r->n_pending; i++)
        json_decref(r->pending[i].request);
    free(r->pending);
    free(r->last_completed_response);
    ea_audit_stream_close(&r->stream);
    free(r);
    *rp = NULL;
}

const ea_history_notes *ea_history_get_notes(const ea_history_reader *r)
{
    return &r->notes;
}

/* Which turn a new request went on from (see the header). */
static int parent_of(const ea_history_reader *r, const json_t *req, int turn, bool *branched)
{
    long from = int_of(req, "parent_turn", 0);
    *branched = from > 0;
    if (from > 0 && from < INT_MAX)
        return (int)from;
    const char *previous = str_of(req, "previous_response_id");
    if (previous && r->last_completed_response &&
        strcmp(previous, r->last_completed_response) == 0)
        return r->last_completed;
    (void)turn;
    return 0; /* a plain generation goes on from nothing: a new root */
}

static int add_pending(ea_history_reader *r, json_t *req, int turn)
{
    if (r->n_pending == r->cap_pending) {
        size_t cap = r->cap_pending ? r->cap_pending * 2 : 4;
        pending *grown = realloc(r->pending, cap * sizeof *grown);
        if (!grown)
            return -1;
        r->pending = grown;
        r->cap_pending = cap;
    }
    pending *p = &r->pending[r->n_pending++];
    p->request = req;
    p->turn = turn;
    p->parent = parent_of(r, req, turn, &p->branched);
    r->last_turn = turn;
    return 0;
}

/* Takes the pending request of turn, or -1. */
static long take_pending(ea_history_reader *r, int turn)
{
    for (size_t i = 0; i < r->n_pending; i++)
        if (r->pending[i].turn == turn)
            return (long)i;
    return -1;
}

static void note_damaged(ea_history_reader *r)
{
    if (r->notes.damaged++ == 0)
        r->notes.first_damaged = ea_audit_stream_line_no(r->stream);
}

static void start_turn(ea_history_turn *t, const pending *p)
{
    t->turn = p->turn;
    t->parent = p->parent;
    t->branched = p->branched;
    fill_request(t, p->request);
    add_side_files(t, p->request); /* out of memory: listed without them */
}

/* A result record: 1 when it completed a turn into *t, 0 when it was skipped, -1 on error. */
static int on_result(ea_history_reader *r, json_t *res, int turn, ea_history_turn *t,
                     ea_err *err)
{
    long i = take_pending(r, turn);
    if (i < 0) {
        r->notes.orphan_results++;
        json_decref(res);
        return 0;
    }
    start_turn(t, &r->pending[i]);
    memmove(&r->pending[i], &r->pending[i + 1], (r->n_pending - (size_t)i - 1) * sizeof *r->pending);
    r->n_pending--;
    if (fill_result(t, res) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    if (t->status == EA_AUDIT_COMPLETED && t->response_id) {
        char *copy = strdup(t->response_id);
        if (!copy)
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        free(r->last_completed_response);
        r->last_completed_response = copy;
        r->last_completed = turn;
    } else if (t->status == EA_AUDIT_COMPLETED) {
        r->last_completed = turn;
    }
    return 1;
}

int ea_history_next(ea_history_reader *r, ea_history_turn *t, ea_err *err)
{
    ea_history_turn_clear(t);
    while (!r->at_end) {
        const char *line;
        size_t len;
        int got = ea_audit_stream_next(r->stream, &line, &len, err);
        if (got < 0)
            return -1;
        if (got == 0) {
            r->at_end = true;
            r->notes.torn_bytes = ea_audit_stream_torn_bytes(r->stream);
            break;
        }
        r->notes.records++;
        json_t *rec = json_loadb(line, len, 0, NULL);
        const char *kind = str_of(rec, "kind");
        long turn = int_of(rec, "turn", 0);
        if (json_is_object(rec) && kind && strcmp(kind, "request") != 0 &&
            strcmp(kind, "result") != 0) {
            r->notes.accepted_damage += strcmp(kind, "accept_damage") == 0;
            json_decref(rec); /* not a turn's record (accept_damage, name, a later kind) */
            continue;
        }
        if (!json_is_object(rec) || !kind || turn < 1 || turn >= INT_MAX) {
            note_damaged(r);
            json_decref(rec);
            continue;
        }
        if (strcmp(kind, "request") == 0) {
            if (add_pending(r, rec, (int)turn) != 0) {
                json_decref(rec);
                return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
            }
        } else if (strcmp(kind, "result") == 0) {
            int rc = on_result(r, rec, (int)turn, t, err);
            if (rc != 0)
                return rc;
        }
    }
    /* The end: turns that never got a result, oldest first. */
    if (r->next_open < r->n_pending) {
        pending *p = &r->pending[r->next_open++];
        start_turn(t, p);
        return 1;
    }
    return 0;
}

/* ---- Loading whole --------------------------------------------------------------------- */

int ea_history_load(const char *session_dir, ea_history *out, ea_err *err)
{
    memset(out, 0, sizeof *out);
    ea_history_reader *r = NULL;
    if (ea_history_open(session_dir, &r, err) != 0)
        return -1;
    size_t cap = 0;
    int got;
    ea_history_turn t = {0};
    while ((got = ea_history_next(r, &t, err)) == 1) {
        if (out->count == cap) {
            cap = cap ? cap * 2 : 16;
            ea_history_turn *grown = realloc(out->turns, cap * sizeof *grown);
            if (!grown) {
                got = ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
                break;
            }
            out->turns = grown;
        }
        out->turns[out->count++] = t; /* the array takes over what t owned */
        memset(&t, 0, sizeof t);
    }
    ea_history_turn_clear(&t);
    out->notes = *ea_history_get_notes(r);
    ea_history_close(&r);
    if (got < 0) {
        ea_history_free(out);
        return -1;
    }
    return 0;
}

void ea_history_free(ea_history *h)
{
    for (size_t i = 0; i < h->count; i++)
        ea_history_turn_clear(&h->turns[i]);
    free(h->turns);
    memset(h, 0, sizeof *h);
}

/* ---- Branches -------------------------------------------------------------------------- */

static int push_turn(ea_branch_line *line, int turn, size_t *cap)
{
    if (line->count == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        int *grown = realloc(line->turns, *cap * sizeof *grown);
        if (!grown)
            return -1;
        line->turns = grown;
    }
    line->turns[line->count++] = turn;
    return 0;
}

int ea_branches_build(const int *parents, int max_turn, ea_branches *out)
{
    memset(out, 0, sizeof *out);
    if (max_turn < 1)
        return 0;
    /* Children as linked lists in turn order: first_child[p], next_sibling[c]. */
    size_t n = (size_t)max_turn + 1;
    int *first_child = calloc(n, sizeof *first_child);
    int *next_sibling = calloc(n, sizeof *next_sibling);
    int *last_child = calloc(n, sizeof *last_child);
    int *stack = malloc(n * sizeof *stack); /* turns that start a line, to be walked */
    size_t cap_lines = 0, top = 0;
    int rc = -1;
    if (!first_child || !next_sibling || !last_child || !stack)
        goto done;
    for (int t = 1; t <= max_turn; t++) {
        int p = parents[t];
        if (p < 0 || p >= t) /* a missing turn; a parent after its child cannot be one */
            p = 0;
        if (parents[t] < 0)
            continue;
        if (last_child[p])
            next_sibling[last_child[p]] = t;
        else
            first_child[p] = t;
        last_child[p] = t;
    }
    /* Roots, latest first on the stack so that the oldest is walked first. */
    for (int c = first_child[0]; c; c = next_sibling[c])
        stack[top++] = c;
    for (size_t i = 0, j = top ? top - 1 : 0; i < j; i++, j--) {
        int swap = stack[i];
        stack[i] = stack[j];
        stack[j] = swap;
    }
    while (top > 0) {
        int start = stack[--top];
        if (out->count == cap_lines) {
            cap_lines = cap_lines ? cap_lines * 2 : 8;
            ea_branch_line *grown = realloc(out->lines, cap_lines * sizeof *grown);
            if (!grown)
                goto done;
            out->lines = grown;
        }
        ea_branch_line *line = &out->lines[out->count++];
        memset(line, 0, sizeof *line);
        size_t cap = 0;
        int p = parents[start] > 0 && parents[start] < start ? parents[start] : 0;
        if (p && push_turn(line, p, &cap) != 0)
            goto done;
        size_t mark = top;
        for (int t = start; t; t = first_child[t]) {
            if (push_turn(line, t, &cap) != 0)
                goto done;
            for (int c = first_child[t] ? next_sibling[first_child[t]] : 0; c; c = next_sibling[c])
                stack[top++] = c;
        }
        /* The branches met along this line are walked in turn order. */
        for (size_t i = mark, j = top ? top - 1 : 0; i < j; i++, j--) {
            int swap = stack[i];
            stack[i] = stack[j];
            stack[j] = swap;
        }
    }
    rc = 0;
done:
    free(first_child);
    free(next_sibling);
    free(last_child);
    free(stack);
    if (rc != 0)
        ea_branches_free(out);
    return rc;
}

void ea_branches_free(ea_branches *b)
{
    for (size_t i = 0; i < b->count; i++)
        free(b->lines[i].turns);
    free(b->lines);
    memset(b, 0, sizeof *b);
}

/* ---- Sidecars -------------------------------------------------------------------------- */

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *number_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* A field of a record, shared (not copied), or null. */
static json_t *field_or_null(const json_t *rec, const char *key)
{
    json_t *v = json_object_get(rec, key);
    return v ? json_incref(v) : json_null();
}

int ea_history_sidecar(const ea_history_turn *t, size_t k, const char *session_id,
                       const char *session_name, bool c2pa_present, const char *c2pa_where,
                       ea_buf *out)
{
    if (k >= t->n_images)
        return -1;
    const ea_audit_image *img = &t->images[k];
    json_t *doc = json_pack(
        "{s:i, s:{s:s, s:o}, s:i, s:o, s:{s:s, s:s, s:I, s:o, s:o, s:s, s:b},"
        " s:{s:b, s:s}, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
        " s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:o, s:o, s:o}",
        "easel_sidecar", 1,
        "session", "id", session_id, "name", text_or_null(*session_name ? session_name : NULL),
        "turn", t->turn, "parent_turn", t->parent ? json_integer(t->parent) : json_null(),
        "image", "path", img->path, "sha256", img->sha256, "bytes", (json_int_t)img->bytes,
        "width", img->width ? json_integer(img->width) : json_null(),
        "height", img->height ? json_integer(img->height) : json_null(),
        "format", img->format, "partial", strstr(img->path, "-partial.") != NULL,
        "c2pa", "present", c2pa_present, "where", c2pa_where,
        "prompt", text_or_null(t->prompt),
        /* One of several images of a response: its own call's revised prompt. */
        "revised_prompt", text_or_null(t->image_prompts && t->image_prompts[k]
                                           ? t->image_prompts[k]
                                           : t->revised_prompt),
        "model", text_or_null(t->model), "text_model", text_or_null(t->text_model),
        "api", text_or_null(t->api), "endpoint", text_or_null(t->endpoint),
        "params", field_or_null(t->request_doc, "params"),
        "inputs", field_or_null(t->request_doc, "inputs"),
        "ids", "request_id", text_or_null(t->request_id), "response_id",
        text_or_null(t->response_id), "image_call_id", text_or_null(t->image_call_id),
        "previous_response_id", text_or_null(t->previous_response_id),
        "usage", field_or_null(t->result_doc, "usage"),
        "cost_usd", number_or_null(t->cost_usd), "estimate_usd", number_or_null(t->estimate_usd),
        "status", json_string(t->has_result ? ea_audit_status_name(t->status) : "open"),
        "times", json_pack("{s:o, s:o, s:o}", "requested", text_or_null(t->ts), "finished",
                           text_or_null(t->result_ts), "ms_total",
                           t->ms_total < 0 ? json_null() : json_integer(t->ms_total)));
    /* Values the log keeps in side files (a revised prompt of megabytes): where they are. */
    for (size_t i = 0; doc && i < t->n_side_files; i++) {
        const ea_audit_side_file *f = &t->side_files[i];
        json_t *list = json_object_get(doc, "side_files");
        if (!list && json_object_set_new(doc, "side_files", list = json_array()) != 0)
            list = NULL;
        if (!list || json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}", "field",
                                                           f->field, "path", f->path, "sha256",
                                                           f->sha256, "bytes",
                                                           (json_int_t)f->bytes)) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER |
                                           JSON_REAL_PRECISION(12))
                     : NULL;
    json_decref(doc);
    int rc = text && ea_buf_puts(out, text) == 0 && ea_buf_putc(out, '\n') == 0 ? 0 : -1;
    free(text);
    return rc;
}

/* ---- Leftovers ------------------------------------------------------------------------- */

static void note_leftover(ea_leftovers *out, const char *dir_part, const char *name)
{
    if (out->n_names < EA_LEFTOVERS_SHOWN)
        snprintf(out->names[out->n_names++], sizeof out->names[0], "%s%s", dir_part, name);
}

/* ea_write_file_atomic's temp names: ".NAME.tmp-" and six characters. */
static bool is_temp_name(const char *name)
{
    const char *tag = strstr(name, ".tmp-");
    return name[0] == '.' && tag && strlen(tag) == 11;
}

int ea_history_scan_leftovers(const char *session_dir, ea_leftovers *out, ea_err *err)
{
    memset(out, 0, sizeof *out);
    char images[PATH_MAX];
    if (ea_path_join(images, sizeof images, session_dir, "images", err) != 0)
        return -1;
    DIR *d = opendir(images);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (is_temp_name(e->d_name)) {
            out->temp_files++;
            note_leftover(out, "images/", e->d_name);
        }
    if (d)
        closedir(d);
    d = opendir(session_dir);
    if (!d)
        return ea_err_set(err, EA_EXIT_INTERNAL, "open %s: %s", session_dir, strerror(errno));
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, EA_AUDIT_FILE ".torn-", sizeof EA_AUDIT_FILE ".torn-" - 1) == 0) {
            out->torn_asides++;
            note_leftover(out, "", e->d_name);
        }
    closedir(d);
    return 0;
}

/* ---- Search and dates ------------------------------------------------------------------ */

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Case folding beyond ASCII (É and é, Σ and σ, Д and д) comes from the C library's Unicode
 * tables through its built-in C.UTF-8 locale, whatever the process's own locale is (the
 * commands never set one). Without that locale only ASCII folds. */
static locale_t unicode_ctype;
static pthread_once_t unicode_ctype_once = PTHREAD_ONCE_INIT;

static void unicode_ctype_init(void)
{
    unicode_ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static uint32_t fold_code_point(uint32_t cp)
{
    if (cp < 0x80)
        return fold((unsigned char)cp);
    pthread_once(&unicode_ctype_once, unicode_ctype_init);
    return unicode_ctype ? (uint32_t)towlower_l((wint_t)cp, unicode_ctype) : cp;
}

/* The length of text's prefix that equals needle, case folded code point by code point, or
 * 0 when it does not. Invalid UTF-8 compares byte by byte. */
static size_t folded_prefix(const char *text, const char *needle)
{
    const unsigned char *t = (const unsigned char *)text, *n = (const unsigned char *)needle;
    size_t ti = 0, ni = 0, tlen = strlen(text), nlen = strlen(needle);
    while (ni < nlen) {
        uint32_t a, b;
        size_t ta = ti < tlen ? ea_utf8_decode(t + ti, tlen - ti, &a) : 0;
        size_t nb = ea_utf8_decode(n + ni, nlen - ni, &b);
        if (ti >= tlen)
            return 0;
        if (ta == 0 || nb == 0) { /* not UTF-8 here: the bytes themselves */
            if (t[ti] != n[ni])
                return 0;
            ti++, ni++;
            continue;
        }
        if (fold_code_point(a) != fold_code_point(b))
            return 0;
        ti += ta, ni += nb;
    }
    return ti;
}

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

bool ea_history_find(const char *text, const char *needle, size_t *at, size_t *len)
{
    if (!text || !needle)
        return false;
    size_t n = strlen(needle);
    if (n == 0) {
        if (at)
            *at = 0;
        if (len)
            *len = 0;
        return true;
    }
    bool ascii = is_ascii(needle);
    unsigned char first = fold((unsigned char)needle[0]);
    for (const char *p = text; *p; p++) {
        size_t matched = 0;
        if (ascii) {
            /* An ASCII needle matches ASCII bytes only (a UTF-8 sequence has none), so the
             * bytes compare directly: the fast path of a search of every session. */
            if (fold((unsigned char)*p) != first)
                continue;
            size_t k = 1;
            while (k < n && p[k] && fold((unsigned char)p[k]) == fold((unsigned char)needle[k]))
                k++;
            matched = k == n ? n : 0;
        } else if (((unsigned char)*p & 0xC0) != 0x80) { /* at a code point's start */
            matched = folded_prefix(p, needle);
        }
        if (matched) {
            if (at)
                *at = (size_t)(p - text);
            if (len)
                *len = matched;
            return true;
        }
    }
    return false;
}

struct ea_history_search {
    ea_audit_stream *stream;
    char *needle;
    size_t needle_len;
    bool prefilter;
    json_t *record; /* the last match's, owner of the strings handed out */
    char dir[PATH_MAX];
    ea_buf whole;   /* a text the record keeps in a side file, when the match is in it */
};

/* The largest side file searched: a server's whole body is no larger. */
#define SEARCH_SIDE_MAX ((size_t)256 << 20)

/* A needle whose every byte is printable ASCII other than '"' and '\\' reads the same inside
 * a record's JSON text as in the decoded string, so a line without it can be skipped
 * unparsed: that is what makes a search of every session fast. */
static bool raw_searchable(const char *needle)
{
    for (const unsigned char *p = (const unsigned char *)needle; *p; p++)
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
            return false;
    return true;
}

static bool raw_contains(const char *line, size_t len, const char *needle, size_t n)
{
    unsigned char lower = fold((unsigned char)needle[0]);
    unsigned char upper = lower >= 'a' && lower <= 'z' ? (unsigned char)(lower - 32) : lower;
    for (size_t i = 0; i + n <= len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c != lower && c != upper)
            continue;
        size_t k = 1;
        while (k < n && fold((unsigned char)line[i + k]) == fold((unsigned char)needle[k]))
            k++;
        if (k == n)
            return true;
    }
    return false;
}

int ea_history_search_open(const char *session_dir, const char *needle,
                           ea_history_search **out, ea_err *err)
{
    *out = NULL;
    ea_history_search *s = calloc(1, sizeof *s);
    if (!s || !(s->needle = strdup(needle))) {
        free(s);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    }
    s->needle_len = strlen(needle);
    s->prefilter = s->needle_len > 0 && raw_searchable(needle);
    snprintf(s->dir, sizeof s->dir, "%s", session_dir);
    ea_buf_init(&s->whole, SEARCH_SIDE_MAX);
    if (ea_audit_stream_open(session_dir, EA_AUDIT_STREAM_RECORDS, &s->stream, err) != 0) {
        ea_history_search_close(&s);
        return -1;
    }
    *out = s;
    return 0;
}

/* The whole text of the record's field when the record keeps it in a side file (audit.h), read
 * into s->whole; NULL when it does not, or the file cannot be read as text (then the part the
 * record keeps is searched). A link or a FIFO in its place is not followed. */
static const char *side_text(ea_history_search *s, const char *field)
{
    size_t i;
    const json_t *entry;
    json_array_foreach(json_object_get(s->record, "side_files"), i, entry) {
        const char *named = str_of(entry, "field"), *path = str_of(entry, "path");
        char full[PATH_MAX];
        if (!named || strcmp(named, field) != 0 || !ea_audit_safe_path(path, EA_AUDIT_SIDE_DIR) ||
            ea_path_join(full, sizeof full, s->dir, path, NULL) != 0)
            continue;
        int fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        FILE *f = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "rb") : NULL;
        if (!f) {
            if (fd >= 0)
                close(fd);
            return NULL;
        }
        ea_buf_reset(&s->whole);
        int rc = ea_buf_append_stream(&s->whole, f);
        fclose(f);
        if (rc != 0 || !s->whole.data || memchr(s->whole.data, '\0', s->whole.len))
            return NULL;
        return s->whole.data;
    }
    return NULL;
}

int ea_history_search_next(ea_history_search *s, ea_history_match *m, ea_err *err)
{
    const char *line;
    size_t len;
    int got;
    while ((got = ea_audit_stream_next(s->stream, &line, &len, err)) == 1) {
        /* A record that moved a text aside may match in the part it does not hold. */
        if (s->prefilter && !raw_contains(line, len, s->needle, s->needle_len) &&
            !raw_contains(line, len, "\"side_files\":", 13))
            continue;
        json_decref(s->record);
        s->record = json_loadb(line, len, 0, NULL);
        const char *kind = str_of(s->record, "kind");
        bool revised = kind && strcmp(kind, "result") == 0;
        if (!kind || (!revised && strcmp(kind, "request") != 0))
            continue;
        const char *field = revised ? "revised_prompt" : "prompt";
        const char *text = str_of(s->record, field);
        const char *whole = text ? side_text(s, field) : NULL;
        if (whole)
            text = whole;
        size_t at, matched;
        if (!text || !ea_history_find(text, s->needle, &at, &matched))
            continue;
        *m = (ea_history_match){.turn = (int)int_of(s->record, "turn", 0), .revised = revised,
                                .ts = str_of(s->record, "ts"), .text = text, .at = at,
                                .len = matched};
        return 1;
    }
    return got;
}

void ea_history_search_close(ea_history_search **sp)
{
    ea_history_search *s = *sp;
    if (!s)
        return;
    ea_audit_stream_close(&s->stream);
    json_decref(s->record);
    ea_buf_free(&s->whole);
    free(s->needle);
    free(s);
    *sp = NULL;
}

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int ea_history_parse_turn(const char *text, int *turn, ea_err *err)
{
    size_t n = strspn(text, "0123456789");
    /* Ten digits at the most: past them the value cannot be an int, and strtol need not see
     * a number that overflows even a long. */
    long v = n > 0 && n <= 10 && !text[n] ? strtol(text, NULL, 10) : -1;
    if (v >= 1 && v <= INT_MAX) {
        *turn = (int)v;
        return 0;
    }
    return ea_err_set(err, EA_EXIT_USAGE, "'%.40s' is not a turn: turns are numbered 1, 2, 3 "
                      "... (at most %d)", text, INT_MAX);
}

int ea_history_parse_turn_image(const char *text, int *turn, int *image, ea_err *err)
{
    char head[16];
    const char *colon = strchr(text, ':');
    *image = 0;
    if (!colon)
        return ea_history_parse_turn(text, turn, err);
    snprintf(head, sizeof head, "%.*s", (int)(colon - text < 15 ? colon - text : 15), text);
    int k;
    if ((size_t)(colon - text) >= sizeof head || ea_history_parse_turn(head, turn, err) != 0 ||
        ea_history_parse_turn(colon + 1, &k, NULL) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "'%.40s' is not TURN or TURN:K (K the image of "
                          "the turn, from 1)", text);
    *image = k;
    return 0;
}

static int number(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* The fields of text, which has the shape date_bound checks, name a moment that exists:
 * strcmp would happily order 2026-02-30 between two real days and match nothing. */
static bool real_date(const char *text, size_t len)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year = number(text, 4), month = number(text + 5, 2), day = number(text + 8, 2);
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1 || month < 1 || month > 12 || day < 1 ||
        day > days[month - 1] + (month == 2 && leap))
        return false;
    if (len >= 16 && (number(text + 11, 2) > 23 || number(text + 14, 2) > 59))
        return false;
    return len < 19 || number(text + 17, 2) <= 59;
}

int ea_history_date_bound(const char *text, bool end_of_day, char out[EA_TIMESTAMP_SIZE],
                          ea_err *err)
{
    /* The text is written over a template: what it leaves out is the earliest (or latest)
     * time it can mean, so "2026-11-25T15:30" ends at 15:30:59.999. */
    char ts[EA_TIMESTAMP_SIZE];
    snprintf(ts, sizeof ts, "%s", end_of_day ? "0000-00-00T23:59:59.999Z"
                                             : "0000-00-00T00:00:00.000Z");
    size_t len = strlen(text);
    if (len > 0 && text[len - 1] == 'Z')
        len--;
    bool ok = len >= 10 && digits(text, 4) && text[4] == '-' && digits(text + 5, 2) &&
              text[7] == '-' && digits(text + 8, 2);
    if (ok && len > 10) {
        ok = (len == 16 || len == 19 || len == 23) && (text[10] == 'T' || text[10] == ' ') &&
             digits(text + 11, 2) && text[13] == ':' && digits(text + 14, 2);
        if (ok && len >= 19)
            ok = text[16] == ':' && digits(text + 17, 2);
        if (ok && len == 23)
            ok = text[19] == '.' && digits(text + 20, 3);
    }
    if (!ok)
        return ea_err_set(err, EA_EXIT_USAGE,
                          "'%.40s' is not a date: give 2026-11-25 or 2026-11-25T15:30 (UTC)", text);
    if (!real_date(text, len))
        return ea_err_set(err, EA_EXIT_USAGE, "'%.40s' is not a day of the calendar "
                          "(month 1-12, its days, hours 0-23, minutes and seconds 0-59)", text);
    memcpy(ts, text, len);
    ts[10] = 'T';
    memcpy(out, ts, EA_TIMESTAMP_SIZE);
    return 0;
}

void ea_history_batch_add(ea_history_batch *b, const ea_history_turn *t)
{
    if (!t->custom_id)
        return;
    b->total++;
    if (!t->has_result) {
        b->pending++;
        return;
    }
    if (t->status == EA_AUDIT_COMPLETED)
        b->done++;
    else
        b->failed++;
    b->images += t->n_images;
    if (isnan(t->cost_usd))
        return;
    if (t->offline)
        b->offline_usd += t->cost_usd;
    else
        b->spend_usd += t->cost_usd;
}
