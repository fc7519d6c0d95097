/* SPDX-License-Identifier: MIT */
#include "easel/draft.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/paths.h"

#define DRAFT_FILE "draft.json"
/* A prompt of EA_PROMPT_MAX_CHARS characters escaped as \uXXXX pairs, and room to spare. */
#define DRAFT_FILE_MAX (1u << 21)

int ea_draft_init(ea_draft *d)
{
    memset(d, 0, sizeof *d);
    d->prompt = strdup("");
    return d->prompt ? 0 : -1;
}

void ea_draft_free(ea_draft *d)
{
    free(d->prompt);
    for (int i = 0; i < d->n_images; i++)
        free(d->images[i]);
    for (size_t i = 0; i < d->n_params; i++) {
        free(d->params[i].name);
        free(d->params[i].value);
    }
    memset(d, 0, sizeof *d);
}

int ea_draft_set_prompt(ea_draft *d, const char *prompt)
{
    char *copy = strdup(prompt ? prompt : "");
    if (!copy)
        return -1;
    free(d->prompt);
    d->prompt = copy;
    return 0;
}

int ea_draft_add_image(ea_draft *d, const char *path)
{
    if (d->n_images == EA_MAX_IMAGES)
        return -1;
    if (!(d->images[d->n_images] = strdup(path)))
        return -1;
    d->n_images++;
    return 0;
}

static ea_draft_entry *find(const ea_draft *d, const char *name)
{
    for (size_t i = 0; i < d->n_params; i++)
        if (strcmp(d->params[i].name, name) == 0)
            return (ea_draft_entry *)&d->params[i];
    return NULL;
}

int ea_draft_set_param(ea_draft *d, const char *name, const char *value)
{
    ea_draft_entry *p = find(d, name);
    if (!value || !*value) {
        if (p) {
            free(p->name);
            free(p->value);
            *p = d->params[--d->n_params];
        }
        return 0;
    }
    char *copy = strdup(value);
    if (!copy)
        return -1;
    if (p) {
        free(p->value);
        p->value = copy;
        return 0;
    }
    if (d->n_params == EA_DRAFT_MAX_PARAMS || !(d->params[d->n_params].name = strdup(name))) {
        free(copy);
        return -1;
    }
    d->params[d->n_params++].value = copy;
    return 0;
}

const char *ea_draft_param(const ea_draft *d, const char *name)
{
    const ea_draft_entry *p = find(d, name);
    return p ? p->value : NULL;
}

bool ea_draft_is_empty(const ea_draft *d)
{
    return (!d->prompt || !*d->prompt) && d->n_images == 0 && d->n_params == 0;
}

/* ---- JSON -------------------------------------------------------------------------------- */

int ea_draft_to_json(const ea_draft *d, ea_buf *out)
{
    json_t *images = json_array(), *params = json_object();
    for (int i = 0; images && i < d->n_images; i++)
        json_array_append_new(images, json_string(d->images[i]));
    for (size_t i = 0; params && i < d->n_params; i++)
        json_object_set_new(params, d->params[i].name, json_string(d->params[i].value));
    json_t *doc = json_pack("{s:s, s:o, s:b, s:o}", "prompt", d->prompt ? d->prompt : "",
                            "images", images, "images_once", d->images_once, "params", params);
    /* A string that is not UTF-8 gives NULL above: never a draft that cannot be read back. */
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    int rc = text ? ea_buf_puts(out, text) : -1;
    free(text);
    return rc;
}

int ea_draft_from_json(const char *text, size_t n, ea_draft *d, ea_err *err)
{
    ea_draft_free(d);
    if (ea_draft_init(d) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    json_error_t jerr;
    json_t *doc = json_loadb(text, n, 0, &jerr);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return ea_err_set(err, EA_EXIT_USAGE, "draft: %s", doc ? "not a JSON object" : jerr.text);
    }
    int rc = 0;
    const json_t *prompt = json_object_get(doc, "prompt");
    if (json_is_string(prompt))
        rc |= ea_draft_set_prompt(d, json_string_value(prompt));
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(doc, "images"), i, v)
        if (json_is_string(v) && *json_string_value(v) && d->n_images < EA_MAX_IMAGES)
            rc |= ea_draft_add_image(d, json_string_value(v));
    d->images_once = json_is_true(json_object_get(doc, "images_once")) && d->n_images > 0;
    const char *name;
    json_object_foreach(json_object_get(doc, "params"), name, v)
        if (json_is_string(v) && d->n_params < EA_DRAFT_MAX_PARAMS)
            rc |= ea_draft_set_param(d, name, json_string_value(v));
    json_decref(doc);
    return rc ? ea_err_set(err, EA_EXIT_INTERNAL, "out of memory") : 0;
}

/* ---- The new session's file -------------------------------------------------------------- */

static int draft_dir(char *out, size_t size, ea_err *err)
{
    return ea_path_dir(EA_DIR_DATA, out, size, err);
}

int ea_draft_file_save(const ea_draft *d, ea_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    if (draft_dir(dir, sizeof dir, err) != 0 ||
        ea_path_join(path, sizeof path, dir, DRAFT_FILE, err) != 0)
        return -1;
    if (ea_draft_is_empty(d)) {
        if (unlink(path) != 0 && errno != ENOENT)
            return ea_err_set(err, EA_EXIT_INTERNAL, "remove %s: %s", path, strerror(errno));
        return 0;
    }
    ea_buf text;
    ea_buf_init(&text, DRAFT_FILE_MAX);
    int rc = -1;
    if (ea_draft_to_json(d, &text) != 0 || ea_buf_putc(&text, '\n') != 0)
        ea_err_set(err, EA_EXIT_INTERNAL, "cannot write the draft as JSON");
    else if (ea_mkdir_p(dir, 0700, err) == 0)
        rc = ea_write_file_atomic(dir, DRAFT_FILE, text.data, text.len, 0600, err);
    ea_buf_free(&text);
    return rc;
}

int ea_draft_file_load(ea_draft *d, ea_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    if (draft_dir(dir, sizeof dir, err) != 0 ||
        ea_path_join(path, sizeof path, dir, DRAFT_FILE, err) != 0)
        return -1;
    /* Not a link, and not a FIFO to block on (design.md 7, "Files"). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? 0 : ea_err_set(err, EA_EXIT_INTERNAL, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ea_err_set(err, EA_EXIT_INTERNAL, "%s: not a regular file", path);
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return ea_err_set(err, EA_EXIT_INTERNAL, "%s: %s", path, strerror(errno));
    }
    ea_buf text;
    ea_buf_init(&text, DRAFT_FILE_MAX);
    int rc = ea_buf_append_stream(&text, f) != 0
                 ? ea_err_set(err, EA_EXIT_INTERNAL, "%s: unreadable or too large", path)
                 : ea_draft_from_json(text.data ? text.data : "", text.len, d, err);
    fclose(f);
    ea_buf_free(&text);
    if (rc != 0)
        return -1;
    return 1;
}
