/* SPDX-License-Identifier: MIT */
#include "easel/campaign.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/paths.h"
#include "easel/sanitize.h"

/* A template line may not stand for more lines than a whole batch campaign could hold. */
#define MAX_VARIANTS 1000000
#define MAX_PLAN_BYTES ((size_t)1 << 30)

void ea_plan_init(ea_plan *p)
{
    memset(p, 0, sizeof *p);
    ea_buf_init(&p->errors, EA_BUF_UNCAPPED);
    ea_buf_init(&p->warnings, EA_BUF_UNCAPPED);
}

void ea_plan_free(ea_plan *p)
{
    for (size_t i = 0; i < p->n_lines; i++)
        ea_params_free(&p->lines[i].params);
    free(p->lines);
    ea_buf_free(&p->errors);
    ea_buf_free(&p->warnings);
    memset(p, 0, sizeof *p);
}

/* ---- A map of strings to numbers (custom_ids, image paths checked) ---------------------- */

struct ea_idmap {
    char **keys;
    long *values;
    size_t cap, count;
};

ea_idmap *ea_idmap_new(void)
{
    return calloc(1, sizeof(ea_idmap));
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static size_t idmap_slot(const ea_idmap *m, const char *key)
{
    size_t k = hash_str(key) & (m->cap - 1);
    while (m->keys[k] && strcmp(m->keys[k], key) != 0)
        k = (k + 1) & (m->cap - 1);
    return k;
}

int ea_idmap_put(ea_idmap *m, const char *key, long value)
{
    if (2 * (m->count + 1) > m->cap) {
        ea_idmap grown = {.cap = m->cap ? m->cap * 2 : 64, .count = m->count};
        grown.keys = calloc(grown.cap, sizeof *grown.keys);
        grown.values = calloc(grown.cap, sizeof *grown.values);
        if (!grown.keys || !grown.values) {
            free(grown.keys);
            free(grown.values);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t k = idmap_slot(&grown, m->keys[i]);
            grown.keys[k] = m->keys[i];
            grown.values[k] = m->values[i];
        }
        free(m->keys);
        free(m->values);
        *m = grown;
    }
    size_t k = idmap_slot(m, key);
    if (m->keys[k]) {
        m->values[k] = value;
        return 0;
    }
    if (!(m->keys[k] = strdup(key)))
        return -1;
    m->values[k] = value;
    m->count++;
    return 1;
}

long ea_idmap_get(const ea_idmap *m, const char *key, long missing)
{
    if (!m || !m->cap)
        return missing;
    size_t k = idmap_slot(m, key);
    return m->keys[k] ? m->values[k] : missing;
}

size_t ea_idmap_count(const ea_idmap *m)
{
    return m ? m->count : 0;
}

void ea_idmap_free(ea_idmap **mp)
{
    ea_idmap *m = *mp;
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->values);
    free(m);
    *mp = NULL;
}

/* ---- Reading one line ------------------------------------------------------------------ */

typedef struct parse_state {
    ea_plan *plan;
    const char *name, *dir;
    ea_idmap *ids, *images_ok;
    ea_idmap *ratios;         /* "MODEL W:H" -> the size it became (w << 16 | h) */
} parse_state;

static void add_message(ea_plan *p, ea_buf *to, size_t *count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_message(ea_plan *p, ea_buf *to, size_t *count, const char *fmt, ...)
{
    (void)p;
    if (++*count > EA_PLAN_MAX_ERRORS)
        return;
    char text[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ea_buf_puts(to, text);
    ea_buf_putc(to, '\n');
}

/* Where a message points: "plan.jsonl:3" or "plan.jsonl:3 (variant 5)". */
static void place(const parse_state *st, size_t line, int variant, char *out, size_t size)
{
    if (variant > 0)
        snprintf(out, size, "%s:%zu (variant %d)", st->name, line, variant);
    else
        snprintf(out, size, "%s:%zu", st->name, line);
}

static void refuse_line(parse_state *st, size_t line, int variant, const char *field,
                        const char *value, const char *rule)
{
    char where[600], v[200];
    place(st, line, variant, where, sizeof where);
    ea_sanitize_copy(v, sizeof v, value ? value : "");
    add_message(st->plan, &st->plan->errors, &st->plan->n_errors, "%s: field %s, value '%s': %s",
                where, field, v, rule);
}

/* A field's value as text: strings as they are, numbers in decimal. NULL for other types. */
static const char *value_text(const json_t *v, char *tmp, size_t size)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(tmp, size, "%lld", (long long)json_integer_value(v));
        return tmp;
    }
    if (json_is_real(v)) {
        snprintf(tmp, size, "%g", json_real_value(v));
        return tmp;
    }
    return NULL;
}

/* The fields a line may hold, the generate option each sets (NULL: handled apart). */
static const struct {
    const char *field, *option;
} fields[] = {
    {"prompt", NULL},
    {"model", "model"},
    {"size", "size"},
    {"quality", "quality"},
    {"format", "format"},
    {"output_format", "format"},
    {"n", "count"},
    {"compression", "compression"},
    {"output_compression", "compression"},
    {"background", "background"},
    {"moderation", "moderation"},
    {"input_fidelity", "input-fidelity"},
    {"images", NULL},
    {"image", NULL},
    {"mask", NULL},
    {"custom_id", NULL},
    {"vary", NULL},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])
#define FIELD_LIST "prompt, model, size, quality, format, n, compression, background, " \
                   "moderation, input_fidelity, images, mask, custom_id, vary"

static int field_index(const char *name)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strcmp(fields[i].field, name) == 0)
            return (int)i;
    return -1;
}

/* The value the line gave for the field a rule names (err.param is the wire name). */
static const char *given_value(const json_t *obj, const char *param, char *tmp, size_t size)
{
    static const struct { const char *param, *a, *b; } alias[] = {
        {"output_format", "format", "output_format"},
        {"output_compression", "compression", "output_compression"},
        {"n", "n", NULL},
        {"partial_images", "partial_images", NULL},
    };
    const char *a = param, *b = NULL;
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcmp(alias[i].param, param) == 0) {
            a = alias[i].a;
            b = alias[i].b;
        }
    const json_t *v = json_object_get(obj, a);
    if (!v && b)
        v = json_object_get(obj, b);
    if (json_is_array(v))
        v = json_array_get(v, 0);
    const char *t = v ? value_text(v, tmp, size) : NULL;
    return t ? t : "";
}

static int resolve_path(const parse_state *st, const char *path, char *out, size_t size)
{
    int k;
    if (path[0] == '/' || !st->dir || !*st->dir)
        k = snprintf(out, size, "%s", path);
    else
        k = snprintf(out, size, "%s/%s", st->dir, path);
    return k < 0 || (size_t)k >= size ? -1 : 0;
}

/* An input file must be there before anything is sent; each path is looked at once. */
static const char *check_file(parse_state *st, const char *path)
{
    if (ea_idmap_get(st->images_ok, path, 0))
        return NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return strerror(errno);
    if (!S_ISREG(sb.st_mode))
        return "not a regular file";
    if (access(path, R_OK) != 0)
        return "cannot be read";
    ea_idmap_put(st->images_ok, path, 1);
    return NULL;
}

static int add_file(parse_state *st, ea_params *p, const char *field, const json_t *v,
                    size_t line, int variant)
{
    char tmp[64], path[4096];
    const char *text = value_text(v, tmp, sizeof tmp);
    if (!json_is_string(v) || !*text) {
        refuse_line(st, line, variant, field, text ? text : "(not a string)",
                    "expected the path of an image");
        return -1;
    }
    if (resolve_path(st, text, path, sizeof path) != 0) {
        refuse_line(st, line, variant, field, text, "the path is too long");
        return -1;
    }
    const char *why = check_file(st, path);
    if (why) {
        refuse_line(st, line, variant, field, text, why);
        return -1;
    }
    ea_err err = {0};
    int rc = strcmp(field, "mask") == 0
                 ? ea_params_set(p, ea_param_by_long("mask"), path, &err)
                 : ea_params_add_image(p, path, &err);
    if (rc != 0)
        refuse_line(st, line, variant, field, text, err.msg);
    return rc;
}

/* Sets one field of a line; -1 after recording why it was refused. */
static int set_field(parse_state *st, ea_params *p, const char *name, const json_t *v,
                     size_t line, int variant)
{
    char tmp[64];
    int i = field_index(name);
    if (i < 0) {
        const char *given = value_text(v, tmp, sizeof tmp);
        refuse_line(st, line, variant, name, given ? given : "", "not a field of a batch line (expected one "
                                                 "of " FIELD_LIST ")");
        return -1;
    }
    if (strcmp(name, "vary") == 0 || strcmp(name, "custom_id") == 0 ||
        strcmp(name, "prompt") == 0)
        return 0; /* handled by the caller */
    if (strcmp(name, "images") == 0 || strcmp(name, "image") == 0) {
        if (!json_is_array(v))
            return add_file(st, p, "images", v, line, variant);
        size_t k;
        const json_t *item;
        json_array_foreach(v, k, item)
            if (add_file(st, p, "images", item, line, variant) != 0)
                return -1;
        return 0;
    }
    if (strcmp(name, "mask") == 0)
        return add_file(st, p, "mask", v, line, variant);
    const char *text = value_text(v, tmp, sizeof tmp);
    if (!text) {
        refuse_line(st, line, variant, name, "", "expected a string or a number");
        return -1;
    }
    ea_err err = {0};
    if (ea_params_set(p, ea_param_by_long(fields[i].option), text, &err) != 0) {
        refuse_line(st, line, variant, name, text, err.msg);
        return -1;
    }
    return 0;
}

/* {NAME} replaced by the variant's value of NAME; a name vary does not have is refused. */
static int substitute(parse_state *st, const char *field, const char *tmpl, const json_t *vary,
                      const size_t *pick, size_t line, int variant, ea_buf *out)
{
    ea_buf_reset(out);
    ea_buf_puts(out, "");
    for (const char *s = tmpl; *s;) {
        const char *close = s[0] == '{' ? strchr(s + 1, '}') : NULL;
        if (!close || close == s + 1 || memchr(s + 1, ' ', (size_t)(close - s - 1))) {
            ea_buf_putc(out, *s++);
            continue;
        }
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(close - s - 1), s + 1);
        const char *k;
        const json_t *list;
        size_t idx = 0;
        bool found = false;
        json_object_foreach((json_t *)vary, k, list) {
            if (strcmp(k, key) == 0) {
                char tmp[64];
                const char *text = value_text(json_array_get(list, pick[idx]), tmp, sizeof tmp);
                ea_buf_puts(out, text ? text : "");
                found = true;
                break;
            }
            idx++;
        }
        if (!found) {
            char rule[200], value[160];
            snprintf(value, sizeof value, "{%s}", key);
            snprintf(rule, sizeof rule, "vary has no list named '%s'", key);
            refuse_line(st, line, variant, field, value, rule);
            return -1;
        }
        s = close + 1;
    }
    return 0;
}

static ea_plan_line *new_line(ea_plan *p)
{
    if (p->n_lines == p->cap_lines) {
        size_t cap = p->cap_lines ? p->cap_lines * 2 : 64;
        ea_plan_line *grown = realloc(p->lines, cap * sizeof *grown);
        if (!grown)
            return NULL;
        p->lines = grown;
        p->cap_lines = cap;
    }
    return &p->lines[p->n_lines];
}

static bool custom_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= EA_CUSTOM_ID_MAX)
        return false;
    for (; *id; id++)
        if ((unsigned char)*id <= ' ' || (unsigned char)*id >= 0x7f || *id == '"' || *id == '\\')
            return false;
    return true;
}

/* One line (one variant of a template line): fields, prompt, custom_id, the rules. */
static int build_line(parse_state *st, const json_t *obj, const json_t *vary, const size_t *pick,
                      size_t line, int variant, ea_buf *scratch)
{
    ea_plan *plan = st->plan;
    ea_plan_line *l = new_line(plan);
    if (!l)
        return -1;
    memset(l, 0, sizeof *l);
    ea_params_init(&l->params);
    ea_params *p = &l->params;
    p->api = EA_API_IMAGES;
    p->stream = false;
    p->background_mode = false;
    l->source_line = line;
    l->variant = variant;
    bool bad = false;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v)
        if (set_field(st, p, key, v, line, variant) != 0)
            bad = true;
    /* A list named like a field sets it, over the line's own value. */
    size_t idx = 0;
    if (vary) {
        json_object_foreach((json_t *)vary, key, v) {
            if (field_index(key) >= 0 && strcmp(key, "prompt") != 0 &&
                strcmp(key, "custom_id") != 0 &&
                set_field(st, p, key, json_array_get(v, pick[idx]), line, variant) != 0)
                bad = true;
            idx++;
        }
    }
    const json_t *prompt = json_object_get(obj, "prompt");
    if (!json_is_string(prompt)) {
        refuse_line(st, line, variant, "prompt", "", "a prompt (a string) is required");
        bad = true;
    } else if (!bad) {
        const char *text = json_string_value(prompt);
        if (vary && substitute(st, "prompt", text, vary, pick, line, variant, scratch) != 0)
            bad = true;
        else if (ea_params_set_prompt(p, vary ? scratch->data : text, NULL) != 0)
            return -1;
    }
    const json_t *id = json_object_get(obj, "custom_id");
    if (!bad && id) {
        if (!json_is_string(id)) {
            refuse_line(st, line, variant, "custom_id", "", "expected a string");
            bad = true;
        } else if (vary && substitute(st, "custom_id", json_string_value(id), vary, pick, line,
                                      variant, scratch) != 0) {
            bad = true;
        } else {
            snprintf(l->custom_id, sizeof l->custom_id, "%s",
                     vary ? scratch->data : json_string_value(id));
            if (!custom_id_ok(vary ? scratch->data : json_string_value(id))) {
                refuse_line(st, line, variant, "custom_id",
                            vary ? scratch->data : json_string_value(id),
                            "1 to 63 printable ASCII characters, no spaces or quotes");
                bad = true;
            }
        }
    } else if (variant > 0) {
        snprintf(l->custom_id, sizeof l->custom_id, "line-%zu-%d", line, variant);
    } else {
        snprintf(l->custom_id, sizeof l->custom_id, "line-%zu", line);
    }
    /* A ratio's nearest size is a search over every size the model takes: done once per
     * model and ratio, not once per line of a 50,000-line plan. */
    char ratio_key[160] = "";
    if (!bad && p->size.kind == EA_SIZE_RATIO) {
        snprintf(ratio_key, sizeof ratio_key, "%s %d:%d", p->model ? p->model : "",
                 p->size.w, p->size.h);
        long known = ea_idmap_get(st->ratios, ratio_key, -1);
        if (known >= 0) {
            p->size = (ea_size){EA_SIZE_EXACT, (int)(known >> 16), (int)(known & 0xffff)};
            *ratio_key = '\0';
        }
    }
    if (!bad) {
        ea_err err = {0};
        ea_warnings warn = {0};
        int resolved = ea_params_resolve(p, &warn, &err);
        if (resolved == 0 && *ratio_key && p->size.kind == EA_SIZE_EXACT &&
            ea_idmap_put(st->ratios, ratio_key, (long)p->size.w << 16 | p->size.h) < 0)
            return -1;
        if (resolved != 0) {
            char tmp[64];
            const char *param = err.param ? err.param : "prompt";
            refuse_line(st, line, variant, param, given_value(obj, param, tmp, sizeof tmp),
                        err.msg);
            bad = true;
        }
        for (int i = 0; !bad && i < warn.count; i++) {
            char where[600];
            place(st, line, variant, where, sizeof where);
            add_message(plan, &plan->warnings, &plan->n_warnings, "%s: %s", where, warn.text[i]);
        }
    }
    if (!bad) {
        if (ea_idmap_get(st->ids, l->custom_id, 0)) {
            refuse_line(st, line, variant, "custom_id", l->custom_id,
                        "custom_id must be unique within the plan");
            bad = true;
        }
    }
    if (bad) {
        ea_params_free(p);
        return 0;
    }
    if (ea_idmap_put(st->ids, l->custom_id, 1) < 0) {
        ea_params_free(p);
        return -1;
    }
    l->endpoint = ea_params_is_edit(p) ? EA_ENDPOINT_EDITS : EA_ENDPOINT_GENERATIONS;
    plan->n_lines++;
    return 0;
}

/* A line object: one line, or a template's cross product. */
static int expand(parse_state *st, const json_t *obj, size_t line, ea_buf *scratch)
{
    const json_t *vary = json_object_get(obj, "vary");
    if (!vary)
        return build_line(st, obj, NULL, NULL, line, 0, scratch);
    if (!json_is_object(vary) || json_object_size(vary) == 0 || json_object_size(vary) > 16) {
        refuse_line(st, line, 0, "vary", "", "expected an object of 1 to 16 lists, such as "
                                             "{\"style\": [\"ink\", \"oil\"]}");
        return 0;
    }
    size_t n_lists = json_object_size(vary), total = 1, pick[16] = {0}, len[16];
    const char *key;
    const json_t *list;
    size_t i = 0;
    json_object_foreach((json_t *)vary, key, list) {
        len[i] = json_array_size(list);
        if (!json_is_array(list) || len[i] == 0) {
            refuse_line(st, line, 0, "vary", key, "each name in vary needs a list of values");
            return 0;
        }
        if (total > MAX_VARIANTS / len[i]) {
            refuse_line(st, line, 0, "vary", key, "the lists cross into more than 1,000,000 "
                                                  "lines");
            return 0;
        }
        total *= len[i++];
    }
    for (size_t v = 0; v < total; v++) {
        size_t rest = v;
        for (size_t k = n_lists; k-- > 0;) { /* the first list varies slowest */
            pick[k] = rest % len[k];
            rest /= len[k];
        }
        if (build_line(st, obj, vary, pick, line, (int)v + 1, scratch) != 0)
            return -1;
    }
    return 0;
}

/* ---- CSV ------------------------------------------------------------------------------- */

int ea_csv_record(const char *text, size_t len, size_t *pos, ea_buf *out, size_t *n_fields,
                  size_t *lines)
{
    size_t i = *pos;
    ea_buf_reset(out);
    *n_fields = 0;
    *lines = 0;
    if (i >= len)
        return 0;
    bool quoted = false, field_started = false;
    for (;;) {
        if (i >= len) {
            if (quoted)
                return -1;
            break;
        }
        char c = text[i++];
        if (quoted) {
            if (c == '"' && i < len && text[i] == '"') {
                ea_buf_putc(out, '"');
                i++;
            } else if (c == '"') {
                quoted = false;
            } else {
                if (c == '\n')
                    ++*lines;
                ea_buf_putc(out, c);
            }
            continue;
        }
        if (c == '"' && !field_started) {
            quoted = field_started = true;
        } else if (c == ',') {
            ea_buf_putc(out, '\0');
            ++*n_fields;
            field_started = false;
        } else if (c == '\n') {
            ++*lines;
            break;
        } else if (c == '\r' && i < len && text[i] == '\n') {
            continue; /* CRLF: the '\n' ends the record */
        } else {
            ea_buf_putc(out, c);
            field_started = true;
        }
    }
    ea_buf_putc(out, '\0');
    ++*n_fields;
    *pos = i;
    return 1;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static int parse_csv(parse_state *st, const char *text, size_t len, ea_buf *scratch, ea_err *err)
{
    ea_buf rec, header;
    ea_buf_init(&rec, EA_BUF_UNCAPPED);
    ea_buf_init(&header, EA_BUF_UNCAPPED);
    size_t pos = 0, line = 1, n, nl, n_header = 0;
    int rc = 0, got;
    while ((got = ea_csv_record(text, len, &pos, &rec, &n, &nl)) == 1) {
        size_t this_line = line;
        line += nl;
        if (n == 1 && blank(rec.data, strlen(rec.data)))
            continue;
        if (!n_header) {
            ea_buf_append(&header, rec.data, rec.len);
            n_header = n;
            const char *h = header.data;
            for (size_t k = 0; k < n; k++, h += strlen(h) + 1)
                if (field_index(h) < 0 || strcmp(h, "vary") == 0)
                    refuse_line(st, this_line, 0, h, "", "not a field of a batch line (expected "
                                "one of " FIELD_LIST " but vary)");
            if (st->plan->n_errors)
                break;
            continue;
        }
        if (n != n_header) {
            char value[32], rule[96];
            snprintf(value, sizeof value, "%zu cells", n);
            snprintf(rule, sizeof rule, "the header names %zu fields", n_header);
            refuse_line(st, this_line, 0, "(row)", value, rule);
            continue;
        }
        json_t *obj = json_object();
        const char *h = header.data, *cell = rec.data;
        for (size_t k = 0; k < n; k++, h += strlen(h) + 1, cell += strlen(cell) + 1) {
            if (!*cell)
                continue; /* an empty cell: not given */
            if (strcmp(h, "images") == 0 || strcmp(h, "image") == 0) {
                json_t *list = json_array();
                char *copy = strdup(cell);
                for (char *save = NULL, *tok = copy ? strtok_r(copy, ";", &save) : NULL; tok;
                     tok = strtok_r(NULL, ";", &save))
                    json_array_append_new(list, json_string(tok));
                free(copy);
                json_object_set_new(obj, "images", list);
            } else {
                json_object_set_new(obj, h, json_string(cell));
            }
        }
        rc = build_line(st, obj, NULL, NULL, this_line, 0, scratch);
        json_decref(obj);
        if (rc != 0)
            break;
    }
    if (got < 0)
        refuse_line(st, line, 0, "(row)", "\"", "a quoted cell is never closed");
    if (rc != 0)
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory reading the plan");
    ea_buf_free(&rec);
    ea_buf_free(&header);
    return rc;
}

static int parse_jsonl(parse_state *st, const char *text, size_t len, ea_buf *scratch,
                       ea_err *err)
{
    size_t line = 0;
    for (size_t pos = 0; pos < len;) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        pos += n + 1;
        line++;
        size_t lead = 0;
        while (lead < n && (start[lead] == ' ' || start[lead] == '\t'))
            lead++;
        if (blank(start, n) || start[lead] == '#')
            continue;
        json_error_t jerr;
        json_t *obj = json_loadb(start, n, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(obj)) {
            char rule[300];
            snprintf(rule, sizeof rule, "not a JSON object (%s, column %d)",
                     obj ? "another JSON value" : jerr.text, jerr.column);
            char value[48];
            snprintf(value, sizeof value, "%.*s", n < 40 ? (int)n : 40, start);
            refuse_line(st, line, 0, "(line)", value, rule);
            json_decref(obj);
            continue;
        }
        int rc = expand(st, obj, line, scratch);
        json_decref(obj);
        if (rc != 0)
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory reading the plan");
    }
    return 0;
}

int ea_plan_parse(ea_plan *p, const char *name, const char *dir, const char *text, size_t len,
                  ea_err *err)
{
    parse_state st = {.plan = p, .name = name, .dir = dir, .ids = ea_idmap_new(),
                      .images_ok = ea_idmap_new(), .ratios = ea_idmap_new()};
    if (!st.ids || !st.images_ok || !st.ratios) {
        ea_idmap_free(&st.ratios);
        ea_idmap_free(&st.ids);
        ea_idmap_free(&st.images_ok);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    }
    ea_buf scratch;
    ea_buf_init(&scratch, EA_BUF_UNCAPPED);
    /* JSONL when the first thing written is an object or a comment; a CSV header otherwise. */
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    int rc = i < len && (text[i] == '{' || text[i] == '#')
                 ? parse_jsonl(&st, text, len, &scratch, err)
                 : parse_csv(&st, text, len, &scratch, err);
    ea_buf_free(&scratch);
    ea_idmap_free(&st.ids);
    ea_idmap_free(&st.images_ok);
    ea_idmap_free(&st.ratios);
    if (rc == 0 && p->n_lines == 0 && p->n_errors == 0)
        return ea_err_set(err, EA_EXIT_USAGE, "%s: no lines to send", name);
    return rc;
}

int ea_plan_load(ea_plan *p, const char *path, ea_err *err)
{
    /* ea_open_file: a FIFO or a device in the plan's place is refused, never read forever. */
    int fd = ea_open_file(path, O_RDONLY, 0, err);
    if (fd < 0)
        return err->code = EA_EXIT_USAGE, -1;
    FILE *f = fdopen(fd, "rb");
    ea_buf text;
    ea_buf_init(&text, MAX_PLAN_BYTES);
    int rc = f ? ea_buf_append_stream(&text, f) : -1;
    bool failed = !f || ferror(f);
    if (f)
        fclose(f);
    else
        close(fd);
    if (rc != 0 || failed) {
        ea_buf_free(&text);
        return ea_err_set(err, EA_EXIT_USAGE, "%s: %s", path,
                          failed ? "cannot be read" : "larger than 1 GiB");
    }
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 0, path);
    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    rc = ea_plan_parse(p, path, slash ? dir : NULL, text.data ? text.data : "", text.len, err);
    ea_buf_free(&text);
    return rc;
}

/* ---- Money ----------------------------------------------------------------------------- */

double ea_plan_line_estimate(const ea_plan_line *l, const ea_prices *prices)
{
    ea_estimate est;
    ea_prices_estimate(prices, &l->params, &est);
    if (!est.known)
        return NAN;
    if (l->params.n_images > 0)
        ea_prices_add_input_images(prices, l->params.model, l->params.n_images,
                                   ea_prices_input_image_tokens(0, 0) * l->params.n_images, &est);
    return est.usd * EA_BATCH_PRICE_FACTOR;
}

void ea_plan_estimate_cost(const ea_plan *p, const ea_prices *prices, ea_plan_estimate *out)
{
    memset(out, 0, sizeof *out);
    out->known = true;
    for (size_t i = 0; i < p->n_lines; i++) {
        const ea_plan_line *l = &p->lines[i];
        double usd = ea_plan_line_estimate(l, prices);
        if (isnan(usd))
            out->known = false;
        else
            out->batch_usd += usd;
        if (strcmp(l->endpoint, EA_ENDPOINT_EDITS) == 0)
            out->lines_edits++;
        else
            out->lines_generations++;
        out->images += ea_params_count(&l->params);
    }
    out->interactive_usd = out->batch_usd / EA_BATCH_PRICE_FACTOR;
}

/* ---- Splitting into batches ------------------------------------------------------------ */

void ea_plan_parts_free(ea_plan_part **parts, size_t n)
{
    for (size_t i = 0; *parts && i < n; i++)
        free((*parts)[i].index);
    free(*parts);
    *parts = NULL;
}

int ea_plan_split(const ea_plan *p, const size_t *line_bytes, ea_plan_part **out, size_t *n_out,
                  ea_err *err)
{
    static const char *const endpoints[] = {EA_ENDPOINT_GENERATIONS, EA_ENDPOINT_EDITS};
    ea_plan_part *parts = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    *n_out = 0;
    for (size_t e = 0; e < 2; e++) {
        ea_plan_part *cur = NULL;
        for (size_t i = 0; i < p->n_lines; i++) {
            if (strcmp(p->lines[i].endpoint, endpoints[e]) != 0)
                continue;
            size_t bytes = line_bytes ? line_bytes[i] : 0;
            if (bytes > EA_BATCH_MAX_BYTES) {
                ea_plan_parts_free(&parts, n);
                return ea_err_set(err, EA_EXIT_USAGE, "line %s alone is %zu bytes, over the "
                                  "Batch API's 200 MB a file", p->lines[i].custom_id, bytes);
            }
            if (!cur || cur->count == EA_BATCH_MAX_LINES ||
                cur->bytes + bytes > EA_BATCH_MAX_BYTES) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 4;
                    ea_plan_part *grown = realloc(parts, cap * sizeof *grown);
                    if (!grown)
                        goto oom;
                    parts = grown;
                }
                cur = &parts[n++];
                *cur = (ea_plan_part){.endpoint = endpoints[e]};
                if (!(cur->index = malloc(EA_BATCH_MAX_LINES * sizeof *cur->index)))
                    goto oom;
            }
            cur->index[cur->count++] = i;
            cur->bytes += bytes;
        }
    }
    *out = parts;
    *n_out = n;
    return 0;
oom:
    ea_plan_parts_free(&parts, n);
    return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
}

/* ---- The output file's lines ----------------------------------------------------------- */

struct ea_jsonl_reader {
    ea_buf line;
    unsigned long long done;  /* offset after the last complete line */
    ea_jsonl_line_fn fn;
    void *ctx;
    /* A line past max, when too_long is set: its first bytes kept in head, the rest counted
     * in skipped and dropped as they come. */
    size_t max;
    ea_jsonl_line_fn too_long;
    bool skipping;
    unsigned long long skipped;
    size_t head_len;
    char head[EA_JSONL_HEAD];
};

ea_jsonl_reader *ea_jsonl_reader_new(unsigned long long start_offset, ea_jsonl_line_fn fn,
                                     void *ctx)
{
    ea_jsonl_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->max = EA_BATCH_LINE_MAX;
    ea_buf_init(&r->line, r->max);
    r->done = start_offset;
    r->fn = fn;
    r->ctx = ctx;
    return r;
}

void ea_jsonl_reader_skip_long(ea_jsonl_reader *r, size_t max, ea_jsonl_line_fn fn)
{
    ea_buf_free(&r->line);
    r->max = max;
    ea_buf_init(&r->line, max);
    r->too_long = fn;
}

/* The line past the cap ends (newline: 1, the file's end: 0): its head handed out. */
static int end_skip(ea_jsonl_reader *r, unsigned newline)
{
    unsigned long long end = r->done + r->skipped + newline;
    int rc = r->too_long(r->ctx, r->head, r->head_len, end);
    r->done = end;
    r->skipping = false;
    r->skipped = 0;
    r->head_len = 0;
    return rc;
}

/* take bytes of a line past the cap: the first ones kept, the rest only counted. */
static int skip_bytes(ea_jsonl_reader *r, const char *bytes, size_t take, bool ends)
{
    if (!r->skipping) {
        /* What was held of the line is given back as soon as it is known to be too long. */
        r->skipping = true;
        r->head_len = r->line.len < sizeof r->head ? r->line.len : sizeof r->head;
        if (r->head_len)
            memcpy(r->head, r->line.data, r->head_len);
        r->skipped = r->line.len;
        ea_buf_free(&r->line);
        ea_buf_init(&r->line, r->max);
    }
    size_t room = sizeof r->head - r->head_len, k = take < room ? take : room;
    memcpy(r->head + r->head_len, bytes, k);
    r->head_len += k;
    r->skipped += take;
    return ends ? end_skip(r, 1) : 0;
}

int ea_jsonl_reader_feed(ea_jsonl_reader *r, const char *bytes, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(bytes, '\n', n);
        size_t take = nl ? (size_t)(nl - bytes) : n;
        if (r->too_long && (r->skipping || take > r->max - r->line.len)) {
            int rc = skip_bytes(r, bytes, take, nl != NULL);
            if (rc != 0 || !nl)
                return rc;
            bytes += take + 1;
            n -= take + 1;
            continue;
        }
        if (!nl && r->line.len == 0) {
            /* A line's start with no end yet: kept until its newline comes. */
            if (ea_buf_append(&r->line, bytes, take) != 0)
                return -1;
            return 0;
        }
        const char *line = bytes;
        size_t len = take;
        if (r->line.len > 0 || !nl) {
            if (ea_buf_append(&r->line, bytes, take) != 0)
                return -1;
            if (!nl)
                return 0;
            line = r->line.data;
            len = r->line.len;
        }
        unsigned long long end = r->done + len + 1;
        int rc = blank(line, len) ? 0 : r->fn(r->ctx, line, len, end);
        r->done = end;
        ea_buf_reset(&r->line);
        /* The longest line's memory is given back once it is past. */
        if (r->line.cap > ((size_t)1 << 20)) {
            ea_buf_free(&r->line);
            ea_buf_init(&r->line, r->max);
        }
        if (rc != 0)
            return rc;
        bytes += take + 1;
        n -= take + 1;
    }
    return 0;
}

unsigned long long ea_jsonl_reader_done(const ea_jsonl_reader *r)
{
    return r->done;
}

int ea_jsonl_reader_finish(ea_jsonl_reader *r)
{
    if (r->skipping)
        return end_skip(r, 0);
    if (r->line.len == 0 || blank(r->line.data, r->line.len))
        return 0;
    unsigned long long end = r->done + r->line.len;
    int rc = r->fn(r->ctx, r->line.data, r->line.len, end);
    r->done = end;
    ea_buf_reset(&r->line);
    return rc;
}

void ea_jsonl_reader_free(ea_jsonl_reader **r)
{
    if (!*r)
        return;
    ea_buf_free(&(*r)->line);
    free(*r);
    *r = NULL;
}
