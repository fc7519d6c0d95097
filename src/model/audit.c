/* SPDX-License-Identifier: MIT */
#include "easel/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "easel/buf.h"
#include "easel/paths.h"

/* A log this large is not one easel wrote: refuse it rather than read it into memory. */
#define LOG_MAX_BYTES ((size_t)1 << 30)
/* Compact and pure ASCII (see the header); 12 significant digits print 0.04 as 0.04, not
 * 0.040000000000000001, and are far finer than a cost needs. */
#define DUMP_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(12))
#define NO_RECORD ((size_t)-1)

typedef struct turn_slot {
    int turn;
    size_t request; /* index into records, or NO_RECORD */
    size_t result;
    size_t accepted; /* a background turn's accepted record, or NO_RECORD */
    bool batch_line; /* its request names a custom_id: fetched later, never open */
    bool offline;    /* its request says offline: its cost is never spend */
} turn_slot;

struct ea_audit {
    char dir[PATH_MAX];
    char path[PATH_MAX];
    int fd;            /* APPEND mode: the log, opened with O_APPEND; -1 in READ mode */
    bool broken;       /* a failed write or fsync left the file in doubt: no more appends */
    bool defer_sync;   /* ea_audit_defer_sync: records written, their fsync left to ea_audit_sync */
    bool unsynced;     /* a record was written since the last fsync */
    /* EA_AUDIT_APPEND_LEAN: text and records stay empty (line_start is kept, to read a line
     * again from the file); log_hash stands in for the text where a digest of every byte so
     * far is wanted. */
    bool lean;
    ea_sha256 *log_hash;
    size_t log_bytes;  /* the good lines' bytes, each with its '\n' */
    ea_buf text;       /* the good lines, each with its '\n': the file's bytes */
    size_t *line_start;
    size_t n_lines, cap_lines;
    json_t *records;   /* each line parsed, parallel to line_start */
    turn_slot *turns;
    size_t n_turns, cap_turns;
    long next_seq;
    int next_turn;
    char last_hash[EA_SHA256_HEX_SIZE];
    char *last_response_id;       /* owned copies: a lean log keeps no records */
    char *last_ts;                /* NULL for an empty log */
    char *name;                   /* the newest name record's */
    ea_audit_totals totals;
    /* The first damage found after the newest accepted point (line numbers from 1; 0: none),
     * and why. While there is damage, only an accept_damage record may be appended. */
    size_t damage_line;
    char damage_why[256];
    size_t accepted_index;        /* the newest accept_damage record's index + 1; 0: none */
};

static const char *const status_names[] = {
    [EA_AUDIT_COMPLETED] = "completed",
    [EA_AUDIT_FAILED] = "failed",
    [EA_AUDIT_CANCELLED] = "cancelled",
    [EA_AUDIT_INTERRUPTED] = "interrupted",
};
#define N_STATUS (sizeof status_names / sizeof status_names[0])

const char *ea_audit_status_name(enum ea_audit_status status)
{
    return (unsigned)status < N_STATUS ? status_names[status] : "?";
}

static int status_lookup(const char *name)
{
    for (size_t i = 0; name && i < N_STATUS; i++)
        if (strcmp(name, status_names[i]) == 0)
            return (int)i;
    return -1;
}

void ea_audit_request_init(ea_audit_request *r)
{
    memset(r, 0, sizeof *r);
    r->estimate_usd = r->estimate_max_usd = NAN;
}

void ea_audit_result_init(ea_audit_result *r)
{
    memset(r, 0, sizeof *r);
    r->status = EA_AUDIT_FAILED;
    r->cost_usd = r->cost_text_usd = r->cost_image_usd = r->cost_search_usd = NAN;
    r->ms_first_byte = r->ms_first_partial = r->ms_total = -1;
}

/* ---- Building records ------------------------------------------------------------------ */

void ea_audit_timestamp(char out[EA_TIMESTAMP_SIZE])
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(out, EA_TIMESTAMP_SIZE, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, EA_TIMESTAMP_SIZE - n, ".%03ldZ", now.tv_nsec / 1000000L);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t utf8_sequence_length(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned cp, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* also stops at the NUL */
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* A JSON string of s, or null for NULL. JSON holds only Unicode text, so each byte that is
 * not part of valid UTF-8 becomes U+FFFD; everything else is kept exactly. */
static json_t *text_value(const char *s)
{
    if (!s)
        return json_null();
    json_t *value = json_string(s);
    if (value)
        return value;

    ea_buf fixed;
    ea_buf_init(&fixed, EA_BUF_UNCAPPED);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = utf8_sequence_length(p);
        if (len == 0) {
            ea_buf_puts(&fixed, "\xEF\xBF\xBD");
            p++;
        } else {
            ea_buf_append(&fixed, p, len);
            p += len;
        }
    }
    value = fixed.data ? json_string(fixed.data) : json_string("");
    ea_buf_free(&fixed);
    return value;
}

static json_t *real_value(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *int_value(long v, long null_value)
{
    return v == null_value ? json_null() : json_integer(v);
}

/* Adds key to obj in order; a NULL value (allocation failed) clears *ok. */
static void put(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (!value || json_object_set_new(obj, key, value) != 0)
        *ok = false;
}

/* Parses caller-supplied JSON text (the request as sent, the API's usage). */
static json_t *json_from_text(const char *text, bool object_required, const char *what,
                              ea_err *err)
{
    json_error_t jerr;
    json_t *value = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!value) {
        ea_err_set(err, EA_EXIT_INTERNAL, "%s is not valid JSON: %s", what, jerr.text);
        return NULL;
    }
    if (object_required && !json_is_object(value)) {
        json_decref(value);
        ea_err_set(err, EA_EXIT_INTERNAL, "%s is not a JSON object", what);
        return NULL;
    }
    return value;
}

static json_t *new_record(const ea_audit *a, const char *kind, int turn, bool *ok)
{
    json_t *rec = json_object();
    if (!rec) {
        *ok = false;
        return NULL;
    }
    char ts[EA_TIMESTAMP_SIZE];
    ea_audit_timestamp(ts);
    put(rec, "v", json_integer(EA_AUDIT_VERSION), ok);
    put(rec, "seq", json_integer(a->next_seq), ok);
    put(rec, "ts", json_string(ts), ok);
    put(rec, "kind", json_string(kind), ok);
    put(rec, "turn", turn > 0 ? json_integer(turn) : json_null(), ok); /* null: not a turn's */
    put(rec, "prev_hash", json_string(a->last_hash), ok);
    return rec;
}

static json_t *build_request(const ea_audit *a, int turn, const ea_audit_request *r,
                             ea_err *err)
{
    json_t *params = r->params_json ? json_from_text(r->params_json, true, "params", err)
                                    : json_object();
    if (!params)
        return NULL;
    json_t *inputs = r->inputs_json ? json_from_text(r->inputs_json, false, "inputs", err)
                                    : json_array();
    if (!json_is_array(inputs)) {
        json_decref(params);
        json_decref(inputs);
        return inputs ? (ea_err_set(err, EA_EXIT_INTERNAL, "inputs: not a JSON array"), NULL)
                      : NULL;
    }
    bool ok = true;
    json_t *rec = new_record(a, "request", turn, &ok);
    if (rec) {
        put(rec, "api", text_value(r->api), &ok);
        put(rec, "endpoint", text_value(r->endpoint), &ok);
        put(rec, "model", text_value(r->model), &ok);
        put(rec, "text_model", text_value(r->text_model), &ok);
        put(rec, "prompt", text_value(r->prompt), &ok);
        put(rec, "params", json_incref(params), &ok);
        put(rec, "inputs", json_incref(inputs), &ok);
        put(rec, "previous_response_id", text_value(r->previous_response_id), &ok);
        put(rec, "parent_turn", int_value(r->parent_turn, 0), &ok);
        put(rec, "estimate_usd", real_value(r->estimate_usd), &ok);
        if (!isnan(r->estimate_max_usd))
            put(rec, "estimate_max_usd", real_value(r->estimate_max_usd), &ok);
        put(rec, "offline", json_boolean(r->offline), &ok);
        if (r->custom_id) {
            put(rec, "custom_id", text_value(r->custom_id), &ok);
            put(rec, "batch_part", text_value(r->batch_part), &ok);
        }
    }
    json_decref(params);
    json_decref(inputs);
    if (!ok) {
        json_decref(rec);
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building an audit record");
        return NULL;
    }
    return rec;
}

static json_t *image_value(const ea_audit_image *img, bool *ok)
{
    json_t *obj = json_object();
    if (!obj) {
        *ok = false;
        return NULL;
    }
    put(obj, "path", text_value(img->path), ok);
    put(obj, "sha256", text_value(img->sha256), ok);
    put(obj, "bytes", json_integer((json_int_t)img->bytes), ok);
    put(obj, "width", int_value(img->width, 0), ok);
    put(obj, "height", int_value(img->height, 0), ok);
    put(obj, "format", text_value(img->format), ok);
    return obj;
}

static json_t *unsaved_value(const ea_audit_unsaved *u, bool *ok)
{
    json_t *obj = json_object();
    if (!obj) {
        *ok = false;
        return NULL;
    }
    put(obj, "path", text_value(*u->path ? u->path : NULL), ok);
    put(obj, "sha256", text_value(u->sha256), ok);
    put(obj, "bytes", json_integer((json_int_t)u->bytes), ok);
    put(obj, "width", int_value(u->width, 0), ok);
    put(obj, "height", int_value(u->height, 0), ok);
    put(obj, "format", text_value(u->format), ok);
    put(obj, "reason", text_value(u->reason), ok);
    return obj;
}

static json_t *error_value(const ea_audit_error *e, bool *ok)
{
    if (!e)
        return json_null();
    json_t *obj = json_object();
    if (!obj) {
        *ok = false;
        return NULL;
    }
    put(obj, "type", text_value(e->type), ok);
    put(obj, "code", text_value(e->code), ok);
    put(obj, "message", text_value(e->message), ok);
    put(obj, "param", text_value(e->param), ok);
    return obj;
}

/* The fields of a thinking turn, those that apply. A JSON text that does not parse is the
 * writer's bug: the record is not written (ok false). */
static void put_thinking(json_t *rec, const ea_audit_result *r, bool *ok)
{
    if (r->reasoning_summary)
        put(rec, "reasoning_summary", text_value(r->reasoning_summary), ok);
    const struct { const char *key, *text; } lists[] = {
        {"web_searches", r->web_searches_json}, {"image_calls", r->image_calls_json}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        if (!lists[i].text)
            continue;
        json_t *v = json_loads(lists[i].text, 0, NULL);
        if (!json_is_array(v)) {
            json_decref(v);
            *ok = false;
            continue;
        }
        put(rec, lists[i].key, v, ok);
    }
    if (!isnan(r->cost_search_usd))
        put(rec, "cost_search_usd", real_value(r->cost_search_usd), ok);
}

static json_t *build_result(const ea_audit *a, int turn, const ea_audit_result *r, ea_err *err)
{
    if ((unsigned)r->status >= N_STATUS) {
        ea_err_set(err, EA_EXIT_INTERNAL, "bad result status %d", (int)r->status);
        return NULL;
    }
    json_t *usage = r->usage_json ? json_from_text(r->usage_json, false, "usage", err)
                                  : json_null();
    if (!usage)
        return NULL;
    json_t *tool_usage = r->tool_usage_json
                             ? json_from_text(r->tool_usage_json, false, "tool_usage", err)
                             : json_null();
    if (!tool_usage) {
        json_decref(usage);
        return NULL;
    }
    json_t *retries = r->retries_json ? json_from_text(r->retries_json, false, "retries", err)
                                      : json_array();
    if (!retries || !json_is_array(retries)) {
        json_decref(usage);
        json_decref(tool_usage);
        json_decref(retries);
        ea_err_set(err, EA_EXIT_INTERNAL, "retries: not a JSON array");
        return NULL;
    }
    bool ok = true;
    json_t *rec = new_record(a, "result", turn, &ok);
    json_t *images = json_array();
    for (size_t i = 0; images && i < r->n_images; i++)
        if (json_array_append_new(images, image_value(&r->images[i], &ok)) != 0)
            ok = false;
    json_t *unsaved = json_array();
    for (size_t i = 0; unsaved && i < r->n_unsaved; i++)
        if (json_array_append_new(unsaved, unsaved_value(&r->unsaved[i], &ok)) != 0)
            ok = false;
    if (rec) {
        put(rec, "status", json_string(status_names[r->status]), &ok);
        put(rec, "http_status", int_value(r->http_status, 0), &ok);
        put(rec, "request_id", text_value(r->request_id), &ok);
        put(rec, "response_id", text_value(r->response_id), &ok);
        put(rec, "image_call_id", text_value(r->image_call_id), &ok);
        put(rec, "revised_prompt", text_value(r->revised_prompt), &ok);
        put(rec, "images", json_incref(images), &ok);
        put(rec, "unsaved", json_incref(unsaved), &ok);
        put(rec, "partials", json_integer(r->partials), &ok);
        put(rec, "usage", json_incref(usage), &ok);
        put(rec, "tool_usage", json_incref(tool_usage), &ok);
        put(rec, "cost_usd", real_value(r->cost_usd), &ok);
        put(rec, "cost_text_usd", real_value(r->cost_text_usd), &ok);
        put(rec, "cost_image_usd", real_value(r->cost_image_usd), &ok);
        put(rec, "cost_image_estimated", json_boolean(r->cost_image_estimated), &ok);
        put(rec, "ms_first_byte", int_value(r->ms_first_byte, -1), &ok);
        put(rec, "ms_first_partial", int_value(r->ms_first_partial, -1), &ok);
        put(rec, "ms_total", int_value(r->ms_total, -1), &ok);
        put(rec, "retries", json_incref(retries), &ok);
        put(rec, "error", error_value(r->error, &ok), &ok);
        if (r->custom_id) {
            put(rec, "custom_id", text_value(r->custom_id), &ok);
            put(rec, "batch_id", text_value(r->batch_id), &ok);
        }
        put_thinking(rec, r, &ok);
    }
    json_decref(images);
    json_decref(unsaved);
    json_decref(usage);
    json_decref(tool_usage);
    json_decref(retries);
    if (!ok) {
        json_decref(rec);
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building an audit record");
        return NULL;
    }
    return rec;
}

/* ---- Bounding a record (see the header) ----------------------------------------------- */

/* At least the bytes s[0..n) takes as the writer writes it: pure ASCII, escaped. A non-ASCII
 * byte counts 3, so a character's count covers its \uXXXX (or surrogate pair). */
static size_t written_size(const char *s, size_t n)
{
    size_t size = 2;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size += c >= 0x80 ? 3 : c < 0x20 || c == 0x7F ? 6 : c == '"' || c == '\\' ? 2 : 1;
    }
    return size;
}

/* The length of s's first `max` bytes or fewer, ending on a whole character. */
static size_t whole_prefix(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* Writes bytes to text/SHA256.EXT in the session (once per content: the same bytes make the
 * same file) and adds its entry to side. */
static int save_side_file(const ea_audit *a, const char *field, const char *bytes, size_t n,
                          const char *ext, json_t *side, ea_err *err)
{
    char hex[EA_SHA256_HEX_SIZE], dir[PATH_MAX], name[EA_SHA256_HEX_SIZE + 8], rel[96];
    if (ea_sha256_hex(bytes, n, hex, err) != 0 ||
        ea_path_join(dir, sizeof dir, a->dir, EA_AUDIT_SIDE_DIR, err) != 0)
        return -1;
    snprintf(name, sizeof name, "%s.%s", hex, ext);
    snprintf(rel, sizeof rel, EA_AUDIT_SIDE_DIR "/%s", name);
    if (ea_mkdir_p(dir, 0700, err) != 0 || ea_write_file_atomic(dir, name, bytes, n, 0600, err) != 0)
        return -1;
    bool ok = true;
    json_t *entry = json_object();
    if (entry) {
        put(entry, "field", json_string(field), &ok);
        put(entry, "path", json_string(rel), &ok);
        put(entry, "sha256", json_string(hex), &ok);
        put(entry, "bytes", json_integer((json_int_t)n), &ok);
    }
    if (!entry || !ok || json_array_append_new(side, entry) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building an audit record");
    return 0;
}

static bool common_field(const char *key)
{
    static const char *const common[] = {"v", "seq", "ts", "kind", "turn", "prev_hash", "images"};
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (strcmp(key, common[i]) == 0)
            return true;
    return false;
}

/* Moves each value of obj too large to write into a side file; prefix names obj ("" for the
 * record itself, whose object fields are bounded member by member first). */
static int bound_members(const ea_audit *a, json_t *obj, const char *prefix, json_t *side,
                         ea_err *err)
{
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, value) {
        if (!*prefix && common_field(key))
            continue;
        char field[64];
        snprintf(field, sizeof field, "%s%s%s", prefix, *prefix ? "." : "", key);
        if (json_is_string(value)) {
            const char *text = json_string_value(value);
            size_t n = json_string_length(value);
            if (written_size(text, n) <= EA_AUDIT_VALUE_MAX)
                continue;
            if (save_side_file(a, field, text, n, "txt", side, err) != 0)
                return -1;
            if (json_object_set_new(obj, key,
                                    json_stringn(text, whole_prefix(text, n, EA_AUDIT_PREFIX_MAX))))
                return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building an audit record");
            continue;
        }
        if (!json_is_object(value) && !json_is_array(value))
            continue;
        if (!*prefix && json_is_object(value) && bound_members(a, value, field, side, err) != 0)
            return -1;
        char *text = json_dumps(value, DUMP_FLAGS);
        if (!text)
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building an audit record");
        size_t n = strlen(text);
        int rc = 0;
        if (n > EA_AUDIT_VALUE_MAX) {
            rc = save_side_file(a, field, text, n, "json", side, err);
            if (rc == 0 && json_object_set_new(obj, key, json_null()) != 0)
                rc = ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building an audit record");
        }
        free(text);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int bound_record(const ea_audit *a, json_t *rec, ea_err *err)
{
    json_t *side = json_array();
    if (!side)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building an audit record");
    int rc = bound_members(a, rec, "", side, err);
    if (rc == 0 && json_array_size(side) && json_object_set(rec, "side_files", side) != 0)
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building an audit record");
    json_decref(side);
    return rc;
}

/* jansson writes DEL as it is; the log promises no control character: "\u007f" instead. A raw
 * DEL can only be inside a string, so the escape means the same. NULL when out of memory. */
static char *escape_del(char *line, size_t *len)
{
    size_t dels = 0;
    for (size_t i = 0; i < *len; i++)
        dels += line[i] == 0x7F;
    if (!dels)
        return line;
    char *out = malloc(*len + dels * 5 + 2); /* room for the '\n' that replaces the NUL */
    if (out) {
        size_t k = 0;
        for (size_t i = 0; i < *len; i++) {
            if (line[i] == 0x7F) {
                memcpy(out + k, "\\u007f", 6);
                k += 6;
            } else {
                out[k++] = line[i];
            }
        }
        out[k] = '\0';
        *len = k;
    }
    free(line);
    return out;
}

/* ---- The in-memory index --------------------------------------------------------------- */

static const char *str_field(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key)); /* NULL unless a string */
}

static long int_field(const json_t *obj, const char *key, long missing)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : missing;
}

/* A turn's records: its request, a background turn's accepted record, its result. */
static bool is_turn_kind(const char *kind)
{
    return kind && (strcmp(kind, "request") == 0 || strcmp(kind, "result") == 0 ||
                    strcmp(kind, "accepted") == 0);
}

static bool is_kind(const json_t *rec, const char *kind)
{
    const char *k = str_field(rec, "kind");
    return k && strcmp(k, kind) == 0;
}

/* The fields every record needs before the index can use it; the rest is verify's concern.
 * A kind other than request and result (accept_damage, name, and kinds this version does not
 * know) is a record the turn index skips: it needs no turn. */
static bool usable_record(const json_t *rec)
{
    const char *kind = str_field(rec, "kind");
    long turn = int_field(rec, "turn", 0);
    return json_is_object(rec) && int_field(rec, "seq", -1) >= 0 && kind &&
           (!is_turn_kind(kind) || (turn >= 1 && turn < INT_MAX));
}

static turn_slot *find_slot(const ea_audit *a, int turn)
{
    /* Turns are numbered in the order their slots are made: nearly always at turn - 1 (a
     * batch's 50,000 lines are looked up one by one). */
    if (turn >= 1 && (size_t)turn <= a->n_turns && a->turns[turn - 1].turn == turn)
        return &a->turns[turn - 1];
    /* Newest first: lookups are nearly always for recent turns. */
    for (size_t i = a->n_turns; i-- > 0;)
        if (a->turns[i].turn == turn)
            return &a->turns[i];
    return NULL;
}

static turn_slot *add_slot(ea_audit *a, int turn)
{
    if (a->n_turns == a->cap_turns) {
        size_t cap = a->cap_turns ? a->cap_turns * 2 : 16;
        turn_slot *grown = realloc(a->turns, cap * sizeof *grown);
        if (!grown)
            return NULL;
        a->turns = grown;
        a->cap_turns = cap;
    }
    turn_slot *slot = &a->turns[a->n_turns++];
    *slot = (turn_slot){.turn = turn, .request = NO_RECORD, .result = NO_RECORD,
                        .accepted = NO_RECORD};
    return slot;
}

/* *dst becomes a copy of src (NULL stays NULL): -1 out of memory. */
static int keep_copy(char **dst, const char *src)
{
    char *copy = src ? strdup(src) : NULL;
    if (src && !copy)
        return -1;
    free(*dst);
    *dst = copy;
    return 0;
}

/* Updates the index, totals and chain state for rec, the line at index; lenient about a log
 * that breaks the turn rules, which ea_audit_verify reports. */
static int index_record(ea_audit *a, size_t index, const json_t *rec)
{
    a->next_seq = int_field(rec, "seq", 0) + 1;
    if (keep_copy(&a->last_ts, str_field(rec, "ts")) != 0)
        return -1;
    if (!is_turn_kind(str_field(rec, "kind"))) {
        if (is_kind(rec, "name"))
            return keep_copy(&a->name, str_field(rec, "name"));
        return 0;
    }
    int turn = (int)int_field(rec, "turn", 0);
    bool is_request = strcmp(str_field(rec, "kind"), "request") == 0;
    turn_slot *slot = find_slot(a, turn);
    if (!slot && !(slot = add_slot(a, turn)))
        return -1;
    if (strcmp(str_field(rec, "kind"), "accepted") == 0) {
        slot->accepted = index;
    } else if (is_request) {
        slot->request = index;
        slot->batch_line = json_is_string(json_object_get(rec, "custom_id"));
        slot->offline = json_is_true(json_object_get(rec, "offline"));
        a->totals.turns++;
        if (turn >= a->next_turn)
            a->next_turn = turn + 1;
    } else {
        slot->result = index;
        const json_t *images = json_object_get(rec, "images");
        a->totals.images += (int)json_array_size(images);
        const json_t *cost = json_object_get(rec, "cost_usd");
        if (json_is_number(cost)) {
            /* Offline money is what easel's own backend would have billed: never spend. */
            if (slot->request != NO_RECORD && slot->offline)
                a->totals.offline_usd += json_number_value(cost);
            else
                a->totals.spend_usd += json_number_value(cost);
            if (!(slot->request != NO_RECORD && slot->offline) && slot->batch_line)
                a->totals.batch_usd += json_number_value(cost);
        }
        /* A batch line's id names its line in the batch's output: no response to continue. */
        const char *response_id = str_field(rec, "response_id");
        if (response_id && !str_field(rec, "custom_id") &&
            status_lookup(str_field(rec, "status")) == EA_AUDIT_COMPLETED)
            return keep_copy(&a->last_response_id, response_id);
    }
    return 0;
}

/* Takes ownership of rec, which is NULL for a damaged line: kept, unindexed, so that the text
 * stays the file's bytes and the next record chains to them. line excludes the '\n'. */
static int add_line(ea_audit *a, const char *line, size_t len, json_t *rec, ea_err *err)
{
    char hash[EA_SHA256_HEX_SIZE];
    if (ea_sha256_hex(line, len, hash, err) != 0) {
        json_decref(rec);
        return -1;
    }
    if (a->n_lines == a->cap_lines) {
        size_t cap = a->cap_lines ? a->cap_lines * 2 : 64;
        size_t *grown = realloc(a->line_start, cap * sizeof *grown);
        if (!grown) {
            json_decref(rec);
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        }
        a->line_start = grown;
        a->cap_lines = cap;
    }
    size_t start = a->log_bytes;
    if (a->lean) {
        /* Indexed below, then let go: only the digest of the bytes and the slots remain. */
        if (ea_sha256_update(a->log_hash, line, len) != 0 ||
            ea_sha256_update(a->log_hash, "\n", 1) != 0) {
            json_decref(rec);
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        }
    } else {
        if (ea_buf_append(&a->text, line, len) != 0 || ea_buf_putc(&a->text, '\n') != 0) {
            a->text.len = start;
            json_decref(rec);
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        }
        if (json_array_append_new(a->records, rec ? rec : json_null()) != 0) { /* released rec */
            a->text.len = start;
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        }
    }
    a->line_start[a->n_lines++] = start;
    a->log_bytes = start + len + 1;
    int rc = 0;
    if (!rec)
        a->next_seq = (long)a->n_lines; /* the seq the damaged line stands in for */
    else if (index_record(a, a->n_lines - 1, rec) != 0)
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    if (a->lean)
        json_decref(rec);
    if (rc == 0)
        memcpy(a->last_hash, hash, sizeof hash);
    return rc;
}

/* ---- Opening --------------------------------------------------------------------------- */

/* The digest of every good line so far, each with its '\n'. */
static int log_digest(const ea_audit *a, char hex[EA_SHA256_HEX_SIZE], ea_err *err)
{
    if (a->lean)
        return ea_sha256_peek_hex(a->log_hash, hex) == 0
                   ? 0 : ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    return ea_sha256_hex(a->text.data ? a->text.data : "", a->text.len, hex, err);
}

/* Appends the torn bytes to audit.jsonl.torn-<UTC time>, never losing them, and only then
 * cuts them off the log. */
static int move_torn_tail_aside(ea_audit *a, const char *bytes, size_t n,
                                ea_audit_recovery *recovery, ea_err *err)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    char aside[PATH_MAX];
    int len = snprintf(aside, sizeof aside, "%s.torn-%s", a->path, stamp);
    if (len < 0 || (size_t)len >= sizeof aside)
        return ea_err_set(err, EA_EXIT_INTERNAL, "path too long: %s", a->path);

    int fd = ea_open_file(aside, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600, err);
    if (fd < 0)
        return -1;
    if (ea_write_all(fd, bytes, n) != 0 || fsync(fd) != 0) {
        int saved = errno;
        close(fd);
        return ea_err_set(err, EA_EXIT_INTERNAL, "write %s: %s", aside, strerror(saved));
    }
    close(fd);
    if (ea_fsync_dir(a->dir, err) != 0)
        return -1;
    if (ftruncate(a->fd, (off_t)a->log_bytes) != 0 || fsync(a->fd) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "truncate %s: %s", a->path, strerror(errno));
    snprintf(recovery->aside_path, sizeof recovery->aside_path, "%s", aside);
    return 0;
}

__attribute__((format(printf, 3, 4)))
static void note_damage(ea_audit *a, size_t line_no, const char *fmt, ...)
{
    if (a->damage_line)
        return; /* the first is the one to look at */
    a->damage_line = line_no ? line_no : 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->damage_why, sizeof a->damage_why, fmt, ap);
    va_end(ap);
}

/* An accept_damage record vouches for every byte before it (log_sha256): when they are still
 * those bytes, the damage found so far is accepted. */
static void check_acceptance(ea_audit *a, const json_t *rec, size_t line_no)
{
    char hex[EA_SHA256_HEX_SIZE];
    const char *want = str_field(rec, "log_sha256");
    if (log_digest(a, hex, NULL) == 0 && want &&
        strcmp(hex, want) == 0) {
        a->damage_line = 0;
        a->damage_why[0] = '\0';
        a->accepted_index = a->n_lines + 1;
    } else {
        note_damage(a, line_no, "line %zu accepted damage, but the lines before it have changed "
                    "since", line_no);
    }
}

/* Indexes the complete lines of data and checks their chain; only bytes after the last
 * newline are the torn tail (or, while reading, the start of the next line). A complete line
 * is never torn: when it is not a record or does not chain, it is damage, kept where it is
 * and noted. */
static int load_lines(ea_audit *a, const char *data, size_t n, size_t *good_len, ea_err *err)
{
    size_t pos = 0;
    *good_len = 0;
    while (pos < n) {
        const char *nl = memchr(data + pos, '\n', n - pos);
        if (!nl)
            break; /* no newline: torn */
        size_t len = (size_t)(nl - (data + pos));
        size_t next = pos + len + 1;
        size_t line_no = a->n_lines + 1;
        json_t *rec = json_loadb(data + pos, len, 0, NULL);
        const char *prev = str_field(rec, "prev_hash");
        if (!rec || !usable_record(rec)) {
            json_decref(rec);
            rec = NULL;
            note_damage(a, line_no, "line %zu is not a record", line_no);
        } else if (!prev || strcmp(prev, a->last_hash) != 0) {
            note_damage(a, line_no, "line %zu's prev_hash does not match line %zu: one of them "
                        "was changed after it was written", line_no, line_no - 1);
        } else if (int_field(rec, "seq", -1) != (long)a->n_lines) {
            note_damage(a, line_no, "line %zu has seq %ld, expected %zu", line_no,
                        int_field(rec, "seq", -1), a->n_lines);
        } else if (is_kind(rec, "accept_damage")) {
            check_acceptance(a, rec, line_no);
        }
        if (add_line(a, data + pos, len, rec, err) != 0)
            return -1;
        pos = next;
        *good_len = pos;
    }
    return 0;
}

/* Reads the log a piece at a time, indexing each line as its newline arrives, so that a lean
 * log never holds more than one line: what is left in tail at the end is the torn tail. */
static int load_fd(ea_audit *a, int fd, ea_buf *tail, ea_err *err)
{
    char chunk[64 * 1024];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got == 0)
            return 0;
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return ea_err_set(err, EA_EXIT_INTERNAL, "read %s: %s", a->path, strerror(errno));
        if (ea_buf_append(tail, chunk, (size_t)got) != 0)
            return ea_err_set(err, EA_EXIT_INTERNAL, "%s is too large to read", a->path);
        if (!memchr(chunk, '\n', (size_t)got))
            continue; /* a long line: scanned once, when its end comes */
        size_t used;
        if (load_lines(a, tail->data, tail->len, &used, err) != 0)
            return -1;
        ea_buf_consume(tail, used);
    }
}

int ea_audit_open(const char *session_dir, enum ea_audit_mode mode, ea_audit **out,
                  ea_audit_recovery *recovery, ea_err *err)
{
    *out = NULL;
    ea_audit_recovery unused;
    if (!recovery)
        recovery = &unused;
    memset(recovery, 0, sizeof *recovery);

    ea_audit *a = calloc(1, sizeof *a);
    if (!a)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    a->fd = -1;
    a->next_turn = 1;
    a->lean = mode == EA_AUDIT_APPEND_LEAN;
    ea_buf_init(&a->text, LOG_MAX_BYTES);
    ea_buf raw; /* the torn tail once read */
    ea_buf_init(&raw, LOG_MAX_BYTES);
    a->records = json_array();
    if (a->lean)
        a->log_hash = ea_sha256_new();
    if (!a->records || (a->lean && !a->log_hash)) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        goto fail;
    }
    snprintf(a->dir, sizeof a->dir, "%s", session_dir);
    if (ea_path_join(a->path, sizeof a->path, session_dir, EA_AUDIT_FILE, err) != 0)
        goto fail;

    if (mode != EA_AUDIT_READ) {
        /* O_EXCL makes a new, regular file (it fails on a link); an existing one is opened
         * without following a link and must be regular. */
        a->fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (a->fd >= 0) {
            /* Created now: exactly 0600 whatever the umask, and its name made durable. */
            if (fchmod(a->fd, 0600) != 0 || ea_fsync_dir(session_dir, err) != 0) {
                ea_err_set(err, EA_EXIT_INTERNAL, "create %s: %s", a->path, strerror(errno));
                goto fail;
            }
        } else if (errno == EEXIST) {
            a->fd = ea_open_file(a->path, O_RDWR | O_APPEND | O_NOFOLLOW, 0, err);
            if (a->fd < 0)
                goto fail;
        }
        if (a->fd < 0) {
            ea_err_set(err, EA_EXIT_INTERNAL, "open %s: %s", a->path, strerror(errno));
            goto fail;
        }
        if (load_fd(a, a->fd, &raw, err) != 0)
            goto fail;
    } else {
        int fd = ea_open_file(a->path, O_RDONLY | O_NOFOLLOW, 0, err);
        if (fd < 0 && errno != ENOENT)
            goto fail;
        int rc = fd >= 0 ? load_fd(a, fd, &raw, err) : 0;
        if (fd >= 0)
            close(fd);
        if (rc != 0)
            goto fail;
    }

    size_t good_len;
    if (load_lines(a, raw.data ? raw.data : "", raw.len, &good_len, err) != 0)
        goto fail;
    ea_buf_consume(&raw, good_len);
    if (raw.len > 0) {
        recovery->torn = true;
        recovery->torn_bytes = raw.len;
        if (mode != EA_AUDIT_READ && move_torn_tail_aside(a, raw.data, raw.len, recovery, err) != 0)
            goto fail;
    }
    ea_buf_free(&raw);
    *out = a;
    return 0;

fail:
    ea_buf_free(&raw);
    ea_audit_close(&a);
    return -1;
}

void ea_audit_close(ea_audit **ap)
{
    ea_audit *a = *ap;
    if (!a)
        return;
    if (a->fd >= 0) {
        if (a->unsynced)
            fsync(a->fd);
        close(a->fd);
    }
    ea_buf_free(&a->text);
    free(a->line_start);
    free(a->turns);
    json_decref(a->records);
    ea_sha256_free(&a->log_hash);
    free(a->last_response_id);
    free(a->last_ts);
    free(a->name);
    free(a);
    *ap = NULL;
}

/* ---- Appending ------------------------------------------------------------------------- */

/* One record, one write(), one fsync(): a reader never sees half of two records mixed. */
static int write_record(ea_audit *a, json_t *rec, ea_err *err)
{
    if (bound_record(a, rec, err) != 0) {
        json_decref(rec);
        return -1;
    }
    char *line = json_dumps(rec, DUMP_FLAGS);
    size_t len = line ? strlen(line) : 0;
    if (line)
        line = escape_del(line, &len);
    if (!line) {
        json_decref(rec);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory writing an audit record");
    }
    if (len >= EA_AUDIT_LINE_MAX) { /* cannot happen once bounded; never write what no one reads */
        free(line);
        json_decref(rec);
        return ea_err_set(err, EA_EXIT_INTERNAL, "an audit record of %zu bytes is too long", len);
    }
    line[len] = '\n'; /* the NUL becomes the newline: the write below does not need it */

    ssize_t written;
    do
        written = write(a->fd, line, len + 1);
    while (written < 0 && errno == EINTR);
    int saved = errno;
    int rc = 0;
    if (written != (ssize_t)(len + 1)) {
        /* A short write leaves half a record: cut it off so the log stays whole. */
        if (written > 0 && ftruncate(a->fd, (off_t)a->log_bytes) != 0)
            a->broken = true;
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "write %s: %s", a->path,
                        written < 0 ? strerror(saved) : "short write (disk full?)");
    } else if (a->defer_sync) {
        a->unsynced = true;
    } else if (fsync(a->fd) != 0) {
        /* After a failed fsync the kernel may have dropped the data: trust nothing more. */
        a->broken = true;
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "fsync %s: %s", a->path, strerror(errno));
    }
    if (rc == 0) {
        rc = add_line(a, line, len, rec, err);
        if (rc != 0)
            a->broken = true; /* the file holds a record the index does not */
    } else {
        json_decref(rec);
    }
    free(line);
    return rc;
}

static int check_writable(const ea_audit *a, ea_err *err)
{
    if (a->fd < 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "the audit log was opened read-only");
    if (a->broken)
        return ea_err_set(err, EA_EXIT_INTERNAL,
                          "an earlier write to %s failed; reopen the session", a->path);
    return 0;
}

/* A record chained onto damage would make it look sound: refused until it is accepted. */
static int check_appendable(const ea_audit *a, ea_err *err)
{
    if (check_writable(a, err) != 0)
        return -1;
    if (a->damage_line)
        return ea_err_set(err, EA_EXIT_INTERNAL,
                          "the log fails verification (%s); nothing more is written to it until "
                          "the damage is accepted: `easel log --verify` shows it, `easel log "
                          "SESSION --accept-damage` accepts it", a->damage_why);
    return 0;
}

int ea_audit_append_request(ea_audit *a, const ea_audit_request *r, int *turn, ea_err *err)
{
    if (check_appendable(a, err) != 0)
        return -1;
    if (r->parent_turn != 0 && !find_slot(a, r->parent_turn))
        return ea_err_set(err, EA_EXIT_USAGE, "this session has no turn %d", r->parent_turn);
    int new_turn = a->next_turn;
    json_t *rec = build_request(a, new_turn, r, err);
    if (!rec || write_record(a, rec, err) != 0)
        return -1;
    if (turn)
        *turn = new_turn;
    return 0;
}

int ea_audit_append_accepted(ea_audit *a, int turn, const char *response_id,
                             long sequence_number, ea_err *err)
{
    if (check_appendable(a, err) != 0)
        return -1;
    const turn_slot *slot = find_slot(a, turn);
    if (!slot || slot->request == NO_RECORD || slot->result != NO_RECORD ||
        slot->accepted != NO_RECORD)
        return ea_err_set(err, EA_EXIT_INTERNAL, "turn %d cannot be accepted now", turn);
    bool ok = true;
    json_t *rec = new_record(a, "accepted", turn, &ok);
    put(rec, "response_id", text_value(response_id), &ok);
    put(rec, "sequence_number", json_integer(sequence_number), &ok);
    if (!ok) {
        json_decref(rec);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    }
    return write_record(a, rec, err);
}

int ea_audit_append_result(ea_audit *a, int turn, const ea_audit_result *r, ea_err *err)
{
    if (check_appendable(a, err) != 0)
        return -1;
    const turn_slot *slot = find_slot(a, turn);
    if (!slot || slot->request == NO_RECORD)
        return ea_err_set(err, EA_EXIT_INTERNAL, "turn %d has no request record", turn);
    if (slot->result != NO_RECORD)
        return ea_err_set(err, EA_EXIT_INTERNAL, "turn %d has a result already", turn);
    json_t *rec = build_result(a, turn, r, err);
    if (!rec)
        return -1;
    return write_record(a, rec, err);
}

void ea_audit_defer_sync(ea_audit *a, bool on)
{
    a->defer_sync = on;
}

int ea_audit_sync(ea_audit *a, ea_err *err)
{
    if (!a->unsynced || a->fd < 0)
        return 0;
    if (fsync(a->fd) != 0) {
        a->broken = true;
        return ea_err_set(err, EA_EXIT_INTERNAL, "fsync %s: %s", a->path, strerror(errno));
    }
    a->unsynced = false;
    return 0;
}

void ea_audit_batch_init(ea_audit_batch *b)
{
    memset(b, 0, sizeof *b);
    b->estimate_usd = b->interactive_usd = NAN;
}

int ea_audit_append_batch(ea_audit *a, const ea_audit_batch *b, ea_err *err)
{
    if (check_appendable(a, err) != 0)
        return -1;
    json_t *counts = b->counts_json ? json_from_text(b->counts_json, false, "request_counts", err)
                                    : json_null();
    if (!counts)
        return -1;
    bool ok = true;
    json_t *rec = new_record(a, "batch", 0, &ok);
    put(rec, "part", text_value(b->part), &ok);
    put(rec, "campaign", text_value(b->campaign), &ok);
    put(rec, "batch_id", text_value(b->batch_id), &ok);
    put(rec, "input_file_id", text_value(b->input_file_id), &ok);
    put(rec, "output_file_id", text_value(b->output_file_id), &ok);
    put(rec, "error_file_id", text_value(b->error_file_id), &ok);
    put(rec, "endpoint", text_value(b->endpoint), &ok);
    put(rec, "lines", json_integer(b->n_lines), &ok);
    put(rec, "first_turn", int_value(b->first_turn, 0), &ok);
    put(rec, "last_turn", int_value(b->last_turn, 0), &ok);
    put(rec, "estimate_usd", real_value(b->estimate_usd), &ok);
    put(rec, "interactive_usd", real_value(b->interactive_usd), &ok);
    put(rec, "status", text_value(b->status), &ok);
    put(rec, "request_counts", counts, &ok);
    put(rec, "offline", json_boolean(b->offline), &ok);
    put(rec, "note", text_value(b->note), &ok);
    if (!ok) {
        json_decref(rec);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    }
    return write_record(a, rec, err);
}

int ea_audit_append_name(ea_audit *a, const char *name, ea_err *err)
{
    if (check_appendable(a, err) != 0)
        return -1;
    bool ok = true;
    json_t *rec = new_record(a, "name", 0, &ok);
    if (rec)
        put(rec, "name", text_value(name), &ok);
    if (!ok) {
        json_decref(rec);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building an audit record");
    }
    return write_record(a, rec, err);
}

/* One {line, seq, sha256, problem} per problem verify found in the log's lines. */
static json_t *damaged_lines(const ea_audit *a, const ea_audit_report *report, bool *ok)
{
    json_t *list = json_array();
    int stored = report->n_problems < EA_AUDIT_MAX_PROBLEMS ? report->n_problems
                                                            : EA_AUDIT_MAX_PROBLEMS;
    for (int i = 0; list && i < stored; i++) {
        const ea_audit_problem *p = &report->problems[i];
        if (*p->file)
            continue; /* an image: not the log's damage, and still reported */
        size_t len;
        const char *line = p->seq >= 0 ? ea_audit_record_line(a, (size_t)p->seq, &len) : NULL;
        char hex[EA_SHA256_HEX_SIZE];
        bool hashed = line && ea_sha256_hex(line, len, hex, NULL) == 0;
        json_t *one = json_object();
        if (!one || json_array_append_new(list, one) != 0) {
            *ok = false;
            break;
        }
        put(one, "line", p->seq >= 0 ? json_integer(p->seq + 1) : json_null(), ok);
        put(one, "seq", p->seq >= 0 ? json_integer(p->seq) : json_null(), ok);
        put(one, "sha256", hashed ? json_string(hex) : json_null(), ok);
        put(one, "problem", text_value(p->text), ok);
    }
    if (!list)
        *ok = false;
    return list;
}

int ea_audit_append_accept(ea_audit *a, const ea_audit_report *report, ea_err *err)
{
    if (check_writable(a, err) != 0)
        return -1;
    char log_hash[EA_SHA256_HEX_SIZE];
    if (log_digest(a, log_hash, err) != 0)
        return -1;
    bool ok = true;
    json_t *rec = new_record(a, "accept_damage", 0, &ok);
    if (rec) {
        put(rec, "lines", json_integer((json_int_t)a->n_lines), &ok);
        put(rec, "log_sha256", json_string(log_hash), &ok);
        put(rec, "found", a->damage_line ? text_value(a->damage_why) : json_null(), &ok);
        put(rec, "problems", json_integer(report->n_problems - report->file_problems), &ok);
        put(rec, "damaged", damaged_lines(a, report, &ok), &ok);
    }
    if (!ok) {
        json_decref(rec);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory building an audit record");
    }
    if (write_record(a, rec, err) != 0)
        return -1;
    a->damage_line = 0;
    a->damage_why[0] = '\0';
    a->accepted_index = a->n_lines;
    return 0;
}

void ea_audit_check_anchor(ea_audit *a, long seq, const char *sha256)
{
    /* An anchor older than the newest acceptance speaks for lines that acceptance covers. */
    if (seq < 0 || !sha256 || !*sha256 || (size_t)seq + 1 < a->accepted_index)
        return;
    size_t len;
    char hex[EA_SHA256_HEX_SIZE];
    const char *line = ea_audit_record_line(a, (size_t)seq, &len);
    char *read_back = NULL; /* a lean log's line, read again from the file */
    bool unreadable = false; /* told as a change: nothing vouches for the line */
    if (!line && a->lean && (size_t)seq < a->n_lines) {
        size_t start = a->line_start[seq];
        len = ((size_t)seq + 1 < a->n_lines ? a->line_start[seq + 1] : a->log_bytes) - start - 1;
        read_back = malloc(len + 1);
        unreadable = !read_back || pread(a->fd, read_back, len, (off_t)start) != (ssize_t)len;
        line = read_back;
    }
    if (unreadable || (line && ea_sha256_hex(line, len, hex, NULL) == 0 && strcmp(hex, sha256) != 0))
        note_damage(a, (size_t)seq + 1, "line %ld (seq %ld) does not match the copy of its hash "
                    "in session.json: it was changed after it was written", seq + 1, seq);
    else if (!line)
        note_damage(a, a->n_lines, "the log ends at seq %ld, but session.json recorded seq %ld: "
                    "records were removed from its end", (long)a->n_lines - 1, seq);
    free(read_back);
}

const char *ea_audit_damage(const ea_audit *a, size_t *line)
{
    if (line)
        *line = a->damage_line;
    return a->damage_line ? a->damage_why : NULL;
}

const char *ea_audit_session_name(const ea_audit *a)
{
    return a->name;
}

/* ---- Reading --------------------------------------------------------------------------- */

long ea_audit_next_seq(const ea_audit *a)
{
    return a->next_seq;
}

int ea_audit_next_turn(const ea_audit *a)
{
    return a->next_turn;
}

const char *ea_audit_last_hash(const ea_audit *a)
{
    return a->last_hash;
}

const char *ea_audit_last_response_id(const ea_audit *a)
{
    return a->last_response_id;
}

int ea_audit_open_turn(const ea_audit *a)
{
    for (size_t i = a->n_turns; i-- > 0;)
        if (a->turns[i].request != NO_RECORD && a->turns[i].result == NO_RECORD &&
            a->turns[i].accepted == NO_RECORD && !a->turns[i].batch_line)
            return a->turns[i].turn;
    return 0;
}

int ea_audit_resumable_turn(const ea_audit *a, int after, ea_audit_accepted *out)
{
    const turn_slot *best = NULL;
    for (size_t i = 0; i < a->n_turns; i++) {
        const turn_slot *t = &a->turns[i];
        if (t->turn > after && t->request != NO_RECORD && t->result == NO_RECORD &&
            t->accepted != NO_RECORD && (!best || t->turn < best->turn))
            best = t;
    }
    if (!best)
        return 0;
    const json_t *rec = json_array_get(a->records, best->accepted);
    out->turn = best->turn;
    out->response_id = str_field(rec, "response_id");
    out->sequence_number = int_field(rec, "sequence_number", -1);
    out->request_line = ea_audit_record_line(a, best->request, &out->request_len);
    return out->response_id ? best->turn : 0;
}

void ea_audit_get_totals(const ea_audit *a, ea_audit_totals *out)
{
    *out = a->totals;
}

const char *ea_audit_last_timestamp(const ea_audit *a)
{
    return a->last_ts ? a->last_ts : "";
}

size_t ea_audit_record_count(const ea_audit *a)
{
    return a->n_lines;
}

const char *ea_audit_record_line(const ea_audit *a, size_t index, size_t *len)
{
    if (index >= a->n_lines || a->lean)
        return NULL;
    size_t start = a->line_start[index];
    size_t end = index + 1 < a->n_lines ? a->line_start[index + 1] : a->text.len;
    if (len)
        *len = end - start - 1; /* without the '\n' */
    return a->text.data + start;
}

int ea_audit_find_turn(const ea_audit *a, int turn, ea_audit_turn *out, ea_err *err)
{
    const turn_slot *slot = find_slot(a, turn);
    if (!slot)
        return ea_err_set(err, EA_EXIT_USAGE, "this session has no turn %d", turn);
    memset(out, 0, sizeof *out);
    out->turn = turn;
    out->request_seq = out->result_seq = -1;
    out->cost_usd = NAN;
    if (slot->request != NO_RECORD) {
        const json_t *req = json_array_get(a->records, slot->request); /* lean: NULL */
        out->request_seq = a->lean ? (long)slot->request : int_field(req, "seq", -1);
        out->parent_turn = (int)int_field(req, "parent_turn", 0);
        out->api = str_field(req, "api");
        out->model = str_field(req, "model");
        out->text_model = str_field(req, "text_model");
        out->prompt = str_field(req, "prompt");
        out->previous_response_id = str_field(req, "previous_response_id");
        out->offline = slot->offline;
    }
    if (slot->result != NO_RECORD) {
        const json_t *res = json_array_get(a->records, slot->result);
        int status = status_lookup(str_field(res, "status"));
        out->has_result = true;
        out->result_seq = a->lean ? (long)slot->result : int_field(res, "seq", -1);
        out->status = status < 0 ? EA_AUDIT_FAILED : (enum ea_audit_status)status;
        out->http_status = (int)int_field(res, "http_status", 0);
        out->response_id = str_field(res, "response_id");
        out->image_call_id = str_field(res, "image_call_id");
        out->revised_prompt = str_field(res, "revised_prompt");
        const json_t *cost = json_object_get(res, "cost_usd");
        if (json_is_number(cost))
            out->cost_usd = json_number_value(cost);
        out->n_images = json_array_size(json_object_get(res, "images"));
    }
    return 0;
}

/* Copies src into a fixed field; false when it is missing or does not fit. */
static bool copy_field(char *dst, size_t size, const char *src)
{
    if (!src || strlen(src) >= size)
        return false;
    memcpy(dst, src, strlen(src) + 1);
    return true;
}

int ea_audit_turn_image(const ea_audit *a, int turn, size_t index, ea_audit_image *out,
                        ea_err *err)
{
    const turn_slot *slot = find_slot(a, turn);
    const json_t *res = slot && slot->result != NO_RECORD
                            ? json_array_get(a->records, slot->result) : NULL;
    const json_t *img = json_array_get(json_object_get(res, "images"), index);
    memset(out, 0, sizeof *out);
    if (!img)
        return ea_err_set(err, EA_EXIT_USAGE, "turn %d has no image %zu", turn, index + 1);
    if (!copy_field(out->path, sizeof out->path, str_field(img, "path")) ||
        !copy_field(out->sha256, sizeof out->sha256, str_field(img, "sha256")))
        return ea_err_set(err, EA_EXIT_INTERNAL, "turn %d: image %zu is recorded badly", turn,
                          index + 1);
    copy_field(out->format, sizeof out->format, str_field(img, "format"));
    out->bytes = (uint64_t)int_field(img, "bytes", 0);
    out->width = (int)int_field(img, "width", 0);
    out->height = (int)int_field(img, "height", 0);
    return 0;
}

/* ---- Streaming ------------------------------------------------------------------------ */

#define STREAM_FIRST_CAP ((size_t)256 * 1024)

struct ea_audit_stream {
    char path[PATH_MAX];
    enum ea_audit_stream_mode mode;
    int fd;           /* -1 when there is no log */
    bool eof;
    char *buf;        /* bytes read and not yet returned live in [start, end) */
    size_t cap, start, end;
    size_t line_no, torn;
};

int ea_audit_stream_open(const char *session_dir, enum ea_audit_stream_mode mode,
                         ea_audit_stream **out, ea_err *err)
{
    *out = NULL;
    ea_audit_stream *s = calloc(1, sizeof *s);
    if (!s)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    s->mode = mode;
    s->fd = -1;
    if (ea_path_join(s->path, sizeof s->path, session_dir, EA_AUDIT_FILE, err) != 0) {
        free(s);
        return -1;
    }
    s->fd = ea_open_file(s->path, O_RDONLY | O_NOFOLLOW, 0, err);
    if (s->fd < 0 && errno != ENOENT) {
        free(s);
        return -1;
    }
    s->eof = s->fd < 0;
    *out = s;
    return 0;
}

void ea_audit_stream_close(ea_audit_stream **sp)
{
    ea_audit_stream *s = *sp;
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    free(s);
    *sp = NULL;
}

/* Reads more bytes after moving the unread ones to the front (so offsets into the buffer
 * shift by the old start), growing the buffer only when one line fills it. */
static int stream_fill(ea_audit_stream *s, ea_err *err)
{
    if (s->start > 0) {
        memmove(s->buf, s->buf + s->start, s->end - s->start);
        s->end -= s->start;
        s->start = 0;
    }
    if (s->end == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : STREAM_FIRST_CAP;
        if (s->cap >= EA_AUDIT_LINE_MAX)
            return ea_err_set(err, EA_EXIT_INTERNAL, "%s: line %zu is longer than %zu MiB",
                              s->path, s->line_no + 1, EA_AUDIT_LINE_MAX >> 20);
        char *grown = realloc(s->buf, cap);
        if (!grown)
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        s->buf = grown;
        s->cap = cap;
    }
    ssize_t got;
    do
        got = read(s->fd, s->buf + s->end, s->cap - s->end);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "read %s: %s", s->path, strerror(errno));
    if (got == 0)
        s->eof = true;
    s->end += (size_t)got;
    return 0;
}

int ea_audit_stream_next(ea_audit_stream *s, const char **line, size_t *len, ea_err *err)
{
    const char *nl;
    while (!(nl = s->start < s->end ? memchr(s->buf + s->start, '\n', s->end - s->start)
                                    : NULL)) {
        if (s->eof) {
            s->torn += s->end - s->start; /* no newline: a cut-off write */
            s->start = s->end;
            return 0;
        }
        if (stream_fill(s, err) != 0)
            return -1;
    }
    size_t n = (size_t)(nl - (s->buf + s->start));
    *line = s->buf + s->start;
    *len = n;
    s->start += n + 1;
    s->line_no++;
    return 1;
}

size_t ea_audit_stream_torn_bytes(const ea_audit_stream *s)
{
    return s->torn;
}

size_t ea_audit_stream_line_no(const ea_audit_stream *s)
{
    return s->line_no;
}

int ea_audit_describe_damage(const char *line, size_t len, size_t line_no, ea_buf *out)
{
    const char *problem = NULL;
    char text[200];
    for (size_t i = 0; i < len && !problem; i++)
        if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7F)
            problem = "holds a byte easel never writes (a control character or non-ASCII)";
    if (!problem) {
        json_error_t jerr;
        json_t *rec = json_loadb(line, len, 0, &jerr);
        if (!json_is_object(rec)) {
            snprintf(text, sizeof text, "not a JSON object: %s",
                     rec ? "another JSON value" : jerr.text);
            problem = text;
        }
        json_decref(rec);
    }
    if (!problem)
        return 0;
    char hex[EA_SHA256_HEX_SIZE];
    if (ea_sha256_hex(line, len, hex, NULL) != 0)
        return -1;
    json_t *obj = json_pack("{s:i, s:s, s:I, s:I, s:I, s:s, s:s%}", "v", EA_AUDIT_VERSION, "kind",
                            "damaged", "line", (json_int_t)line_no, "seq",
                            (json_int_t)line_no - 1, "bytes", (json_int_t)len, "sha256", hex,
                            "problem", problem, strlen(problem));
    char *dumped = obj ? json_dumps(obj, DUMP_FLAGS | JSON_PRESERVE_ORDER) : NULL;
    json_decref(obj);
    int rc = dumped && ea_buf_puts(out, dumped) == 0 ? 1 : -1;
    free(dumped);
    return rc;
}

/* ---- Verifying ------------------------------------------------------------------------- */

__attribute__((format(printf, 4, 5)))
static void add_problem(ea_audit_report *report, long seq, const char *file, const char *fmt, ...)
{
    if (report->n_problems < EA_AUDIT_MAX_PROBLEMS) {
        ea_audit_problem *p = &report->problems[report->n_problems];
        p->seq = seq;
        snprintf(p->file, sizeof p->file, "%s", file ? file : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->text, sizeof p->text, fmt, ap);
        va_end(ap);
    }
    report->n_problems++;
    if (file && *file)
        report->file_problems++;
}

/* An accept_damage record at `index` whose log_sha256 still matches the bytes before it:
 * the problems found in those lines are set aside (counted in report->accepted); an image's
 * are kept, since the record does not vouch for files. */
static void accept_problems(ea_audit_report *report, long index)
{
    int stored = report->n_problems < EA_AUDIT_MAX_PROBLEMS ? report->n_problems
                                                            : EA_AUDIT_MAX_PROBLEMS;
    int kept = 0, kept_in_log = 0;
    for (int i = 0; i < stored; i++) {
        const ea_audit_problem *p = &report->problems[i];
        bool accepted = !*p->file && p->seq >= 0 && p->seq < index;
        if (!accepted) {
            kept_in_log += !*p->file;
            report->problems[kept++] = *p;
        }
    }
    int before = report->n_problems;
    /* Past the stored ones, only the count is known: an image's are kept, the rest go. */
    report->n_problems = report->file_problems + kept_in_log;
    report->accepted += before - report->n_problems;
    report->accepted_seq = index;
}

bool ea_audit_safe_path(const char *path, const char *folder)
{
    size_t n = strlen(folder);
    return path && strncmp(path, folder, n) == 0 && path[n] == '/' && path[n + 1] &&
           path[n + 1] != '.' && !strchr(path + n + 1, '/');
}

/* One file the log vouches for: there, with its size and sha256. what: "image", "input",
 * "side file". */
static void verify_file(const char *dir, long seq, const char *what, const char *path,
                        const char *sha, long bytes, ea_audit_report *report)
{
    char full[PATH_MAX];
    char hex[EA_SHA256_HEX_SIZE];
    uint64_t size = 0;
    struct stat st;
    ea_err why = {0};
    /* lstat: a link in the image's place is there, and refused below, not "missing". */
    if (ea_path_join(full, sizeof full, dir, path, NULL) != 0 || lstat(full, &st) != 0) {
        add_problem(report, seq, path, "seq %ld: %s %s is missing", seq, what, path);
    } else if (ea_sha256_file_hex(full, hex, &size, &why) != 0) {
        add_problem(report, seq, path, "seq %ld: %s %s cannot be read: %s", seq, what, path,
                    why.msg);
    } else if (size != (uint64_t)bytes) {
        add_problem(report, seq, path, "seq %ld: %s %s has %llu bytes, the log says %ld", seq,
                    what, path, (unsigned long long)size, bytes);
    } else if (strcmp(hex, sha) != 0) {
        add_problem(report, seq, path,
                    "seq %ld: %s %s does not match its sha256 (changed after it was saved)", seq,
                    what, path);
    }
}

/* The files a record lists under key (images, inputs, side_files) in folder: each there and
 * unchanged. what names one in messages; count is the report's counter for them. */
static void verify_files(const char *dir, long seq, const json_t *list, const char *key,
                         const char *what, const char *folder, size_t *count,
                         ea_audit_report *report)
{
    if (!json_is_array(list)) {
        add_problem(report, seq, NULL, "seq %ld: %s is not an array", seq, key);
        return;
    }
    size_t i;
    const json_t *entry;
    json_array_foreach(list, i, entry) {
        const char *path = str_field(entry, "path");
        const char *sha = str_field(entry, "sha256");
        long bytes = int_field(entry, "bytes", -1);
        ++*count;
        if (!ea_audit_safe_path(path, folder) || !sha || bytes < 0)
            add_problem(report, seq, path, "seq %ld: %s %zu is recorded badly", seq, what, i + 1);
        else
            verify_file(dir, seq, what, path, sha, bytes, report);
    }
}

/* turn_state[t]: 0 unseen, 1 requested, 2 has its result. */
static void verify_turn_order(const json_t *rec, long seq, unsigned char **turn_state,
                              size_t *n_state, ea_audit_report *report)
{
    const char *kind = str_field(rec, "kind");
    long turn = int_field(rec, "turn", 0);
    bool is_request = kind && strcmp(kind, "request") == 0;
    bool is_accepted = kind && strcmp(kind, "accepted") == 0;
    if (!kind) {
        add_problem(report, seq, NULL, "seq %ld: the record has no kind", seq);
        return;
    }
    if (!is_turn_kind(kind))
        return; /* not a turn's record (accept_damage, name, or a kind from a later easel) */
    if (turn < 1 || turn > 10000000) {
        add_problem(report, seq, NULL, "seq %ld: turn %ld is out of range", seq, turn);
        return;
    }
    if ((size_t)turn >= *n_state) {
        size_t n = (size_t)turn * 2;
        unsigned char *grown = realloc(*turn_state, n);
        if (!grown)
            return;
        memset(grown + *n_state, 0, n - *n_state);
        *turn_state = grown;
        *n_state = n;
    }
    unsigned char *state = &(*turn_state)[turn];
    if (is_accepted) {
        /* Between its turn's request and result: the background response's id. */
        if (*state != 1)
            add_problem(report, seq, NULL, "seq %ld: turn %ld accepted %s", seq, turn,
                        *state == 0 ? "before its request" : "after its result");
        return;
    }
    if (is_request && *state != 0)
        add_problem(report, seq, NULL, "seq %ld: a second request for turn %ld", seq, turn);
    else if (!is_request && *state != 1)
        add_problem(report, seq, NULL, "seq %ld: a result for turn %ld, which %s", seq, turn,
                    *state == 0 ? "has no request before it" : "has a result already");
    *state = is_request ? 1 : 2;
}

/*
 * The chain, read one link at a time. Link i is record i's prev_hash against the hash of
 * record i-1. One changed byte breaks exactly one link when it is in the body of record i-1
 * (link i), and two when it is in record i's own prev_hash (links i and i+1): so a broken
 * link is judged only once the next one is known, and then the changed record can be named.
 */
typedef struct chain_state {
    char prev_hash[EA_SHA256_HEX_SIZE]; /* of the last line read */
    long broken;                        /* a broken link not yet judged, or -1 */
    long anchor_seq;                    /* -1: no anchor */
    const char *anchor_hash;
    int anchor_match;                   /* -1 not reached, 0 differs, 1 matches */
} chain_state;

static void judge_link(chain_state *c, long next_link, ea_audit_report *report)
{
    long i = c->broken;
    if (i < 0)
        return;
    c->broken = -1;
    if (next_link == 0) { /* the next link holds: record i is sound, record i-1 was changed */
        add_problem(report, i - 1, NULL,
                    "seq %ld does not match the prev_hash recorded in seq %ld: seq %ld was "
                    "changed after it was written", i - 1, i, i - 1);
    } else if (next_link == 1) {
        add_problem(report, i, NULL,
                    "seq %ld was changed after it was written: its prev_hash does not match "
                    "seq %ld, and seq %ld's prev_hash does not match it", i, i - 1, i + 1);
    } else if (c->anchor_seq == i && c->anchor_match >= 0) {
        if (c->anchor_match)
            add_problem(report, i - 1, NULL,
                        "seq %ld does not match the prev_hash recorded in seq %ld: seq %ld was "
                        "changed after it was written", i - 1, i, i - 1);
        else
            add_problem(report, i, NULL,
                        "seq %ld was changed after it was written: its prev_hash does not match "
                        "seq %ld, and it does not match the copy of its hash in session.json",
                        i, i - 1);
        c->anchor_match = 1; /* explained: not reported again */
    } else {
        add_problem(report, i - 1, NULL,
                    "seq %ld does not match the prev_hash recorded in seq %ld: one of them was "
                    "changed after it was written", i - 1, i);
    }
}

/* Checks one parsed record's fields and its link to the line before. */
static void verify_record(const char *session_dir, const json_t *rec, long index,
                          chain_state *chain, unsigned char **turn_state, size_t *n_state,
                          ea_audit_report *report)
{
    long seq = int_field(rec, "seq", -1);
    const char *recorded_prev = str_field(rec, "prev_hash");
    if (seq != index)
        add_problem(report, index, NULL, "line %ld: seq is %ld, expected %ld", index + 1, seq,
                    index);
    if (int_field(rec, "v", 0) != EA_AUDIT_VERSION)
        add_problem(report, index, NULL, "seq %ld: v is not %d", index, EA_AUDIT_VERSION);
    bool link_ok = recorded_prev && strcmp(recorded_prev, chain->prev_hash) == 0;
    if (index == 0 && !link_ok)
        add_problem(report, 0, NULL, "seq 0: prev_hash is not \"\"");
    else if (index > 0) {
        bool judged_now = chain->broken >= 0 && !link_ok;
        judge_link(chain, link_ok ? 0 : 1, report);
        if (!link_ok && !judged_now)
            chain->broken = index;
    }
    verify_turn_order(rec, index, turn_state, n_state, report);
    const char *kind = str_field(rec, "kind");
    if (kind && strcmp(kind, "result") == 0)
        verify_files(session_dir, index, json_object_get(rec, "images"), "images", "image",
                     "images", &report->images, report);
    const json_t *side = json_object_get(rec, "side_files"); /* only where values moved aside */
    if (side)
        verify_files(session_dir, index, side, "side_files", "side file", EA_AUDIT_SIDE_DIR,
                     &report->side_files, report);
    /* A request written before easel kept its inputs has none to check. */
    const json_t *inputs = json_object_get(rec, "inputs");
    if (kind && strcmp(kind, "request") == 0 && inputs)
        verify_files(session_dir, index, inputs, "inputs", "input", "inputs", &report->inputs,
                     report);
}

int ea_audit_verify_anchored(const char *session_dir, long anchor_seq, const char *anchor_hash,
                             ea_audit_report *report, ea_err *err)
{
    memset(report, 0, sizeof *report);
    report->accepted_seq = -1;
    ea_audit_stream *stream = NULL;
    if (ea_audit_stream_open(session_dir, EA_AUDIT_STREAM_LINES, &stream, err) != 0)
        return -1;
    ea_sha256 *before = ea_sha256_new(); /* every byte before the current line */
    if (!before) {
        ea_audit_stream_close(&stream);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    }
    unsigned char *turn_state = NULL;
    size_t n_state = 0;
    chain_state chain = {.prev_hash = "", .broken = -1, .anchor_seq = anchor_hash ? anchor_seq : -1,
                         .anchor_hash = anchor_hash, .anchor_match = -1};
    const char *line;
    size_t len;
    long index = 0;
    int got, rc = 0;
    while ((got = ea_audit_stream_next(stream, &line, &len, err)) == 1) {
        report->records++;
        json_error_t jerr;
        json_t *rec = json_loadb(line, len, 0, &jerr);
        if (json_is_object(rec)) {
            verify_record(session_dir, rec, index, &chain, &turn_state, &n_state, report);
            if (is_kind(rec, "accept_damage")) {
                char hex[EA_SHA256_HEX_SIZE];
                const char *want = str_field(rec, "log_sha256");
                if (ea_sha256_peek_hex(before, hex) == 0 && want && strcmp(hex, want) == 0)
                    accept_problems(report, index);
                else
                    add_problem(report, index, NULL,
                                "seq %ld accepted damage, but the lines before it have changed "
                                "since (its log_sha256 does not match them)", index);
            }
        } else {
            add_problem(report, index, NULL, "line %ld (seq %ld): not a JSON object (%s)",
                        index + 1, index, rec ? "another JSON value" : jerr.text);
            judge_link(&chain, -1, report); /* this line cannot speak for the one before */
        }
        json_decref(rec);
        if (ea_sha256_hex(line, len, chain.prev_hash, err) != 0 ||
            ea_sha256_update(before, line, len) != 0 || ea_sha256_update(before, "\n", 1) != 0) {
            rc = -1;
            ea_err_set(err, EA_EXIT_INTERNAL, "sha256 failed");
            break;
        }
        if (index == chain.anchor_seq)
            chain.anchor_match = strcmp(chain.prev_hash, anchor_hash) == 0;
        index++;
    }
    if (got < 0)
        rc = -1;
    if (rc == 0) {
        judge_link(&chain, -1, report);
        if (chain.anchor_seq >= 0 && chain.anchor_seq >= index)
            add_problem(report, index - 1, NULL,
                        "the log ends at seq %ld, but session.json recorded seq %ld: records "
                        "were removed from its end", index - 1, chain.anchor_seq);
        else if (chain.anchor_match == 0 && chain.anchor_seq >= report->accepted_seq)
            add_problem(report, chain.anchor_seq, NULL,
                        "seq %ld does not match the copy of its hash in session.json: it was "
                        "changed after it was written", chain.anchor_seq);
        size_t torn = ea_audit_stream_torn_bytes(stream);
        if (torn)
            add_problem(report, -1, NULL,
                        "the last line has no newline: %zu bytes of a cut-off write (the next "
                        "easel to write to this session moves them aside)", torn);
    }
    free(turn_state);
    ea_sha256_free(&before);
    ea_audit_stream_close(&stream);
    return rc;
}

int ea_audit_verify(const char *session_dir, ea_audit_report *report, ea_err *err)
{
    return ea_audit_verify_anchored(session_dir, -1, NULL, report, err);
}
