/* SPDX-License-Identifier: MIT */
/* models: `easel models`, the models the key can use (GET /models on the configured backend,
 * the offline one included), each marked against easel's rule table: known, unknown (sent
 * with the generic GPT-image rules), retired, or not an image model at all. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "easel/backend.h"
#include "easel/catalog.h"
#include "easel/cli.h"
#include "easel/config.h"
#include "easel/options.h"
#include "easel/sanitize.h"

enum { OPT_JSON = 1, OPT_OFFLINE };

static const ea_opt models_opts[] = {
    {"json", 0, NULL, "one JSON object per model: id, mark, image, owned_by, created, note",
     OPT_JSON, EA_VAL_NONE, NULL, NULL},
    {"offline", 0, NULL, "ask the offline backend", OPT_OFFLINE, EA_VAL_NONE, NULL, NULL},
};
EA_OPTIONS_FN(models_options, models_opts)

const ea_command ea_command_models = {
    "models", NULL, "the models the key can use, marked against easel's rule table",
    "The models the API key can use (GET /v1/models on the configured backend), each marked "
    "against easel's rule table. Image models come first.",
    "marks:\n"
    "  known     easel has its rules (sizes, qualities, formats)\n"
    "  unknown   an image model easel does not know: sent with the generic GPT-image\n"
    "            rules, with a warning\n"
    "  retired   easel refuses it, and says what replaced it\n"
    "  other     not an image model (a text model is used as --text-model)\n",
    ea_cmd_models, models_options, EA_VAL_NONE, false,
};

typedef struct models_run {
    bool done;
    int rc;
    ea_catalog cat;
    ea_err err;
} models_run;

static void on_catalog(void *ctx, int rc, ea_catalog *cat, const ea_err *err)
{
    models_run *run = ctx;
    run->done = true;
    run->rc = rc;
    if (rc == 0)
        run->cat = *cat;
    else
        run->err = *err;
}

/* What easel does with a model of this mark; "" when there is nothing to add. */
static const char *note_of(const ea_catalog_entry *e)
{
    const ea_model_info *m = ea_model_find(e->id);
    switch (e->mark) {
    case EA_MARK_RETIRED: return m && m->retired ? m->retired : "retired";
    case EA_MARK_UNKNOWN: return "not in easel's table: the generic GPT-image rules apply";
    case EA_MARK_OTHER: return "not an image model";
    case EA_MARK_KNOWN: break;
    }
    return "";
}

static void print_json(const ea_catalog *cat)
{
    for (int i = 0; i < cat->n; i++) {
        const ea_catalog_entry *e = &cat->models[i];
        const char *note = note_of(e);
        json_t *line = json_pack("{s:s, s:s, s:b, s:s, s:I}", "id", e->id, "mark",
                                 ea_model_mark_name(e->mark), "image", e->mark != EA_MARK_OTHER,
                                 "owned_by", e->owned_by, "created", (json_int_t)e->created);
        if (line && *note)
            json_object_set_new(line, "note", json_string(note));
        /* ASCII-escaped JSON: ids from the network are safe to print that way. */
        char *text = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)
                          : NULL;
        if (text)
            puts(text);
        free(text);
        json_decref(line);
    }
}

static void print_table(const ea_catalog *cat, const ea_backend *b)
{
    int counts[4] = {0};
    printf("%-36s %-8s %s\n", "MODEL", "MARK", "NOTE");
    for (int i = 0; i < cat->n; i++) {
        const ea_catalog_entry *e = &cat->models[i];
        char id[128];
        ea_sanitize_copy(id, sizeof id, e->id);
        const char *note = note_of(e);
        if (*note)
            printf("%-36s %-8s %s\n", id, ea_model_mark_name(e->mark), note);
        else
            printf("%-36s %s\n", id, ea_model_mark_name(e->mark));
        counts[e->mark]++;
    }
    int images = cat->n - counts[EA_MARK_OTHER];
    printf("%d models%s: %d image model%s (%d known, %d unknown, %d retired), %d other%s\n",
           cat->n, b->offline ? " on the offline backend" : "", images, images == 1 ? "" : "s",
           counts[EA_MARK_KNOWN], counts[EA_MARK_UNKNOWN], counts[EA_MARK_RETIRED],
           counts[EA_MARK_OTHER], counts[EA_MARK_OTHER] == 1 ? "" : "s");
}

int ea_cmd_models(int argc, char **argv)
{
    bool json = false, offline = false;
    ea_opt_parser p;
    ea_opt_begin(&p, &ea_command_models);
    const char *value;
    int id;
    while ((id = ea_opt_next(&p, argc, argv, &value)) != EA_OPT_DONE) {
        if (id == EA_OPT_HELP)
            return EA_EXIT_OK;
        if (id == EA_OPT_BAD)
            return EA_EXIT_USAGE;
        if (id == OPT_JSON)
            json = true;
        else
            offline = true;
    }
    if (p.next < argc) {
        fprintf(stderr, "easel models: unexpected argument '%s'; see easel models --help\n",
                argv[p.next]);
        return EA_EXIT_USAGE;
    }
    ea_config cfg;
    ea_config_init(&cfg);
    ea_backend backend = {0};
    ea_http *http = NULL;
    models_run run = {0};
    ea_err err = {0};
    int rc = EA_EXIT_OK;
    if (ea_config_load(&cfg, &err) != 0 ||
        ea_backend_open(&backend, &cfg, offline, true, &err) != 0 ||
        !(http = ea_http_new()) ||
        ea_catalog_fetch(http, &backend, on_catalog, &run, &err) != 0) {
        if (!http && !err.code)
            ea_err_set(&err, EA_EXIT_INTERNAL, "out of memory");
        fprintf(stderr, "easel models: %s\n", err.msg);
        rc = err.code ? err.code : EA_EXIT_INTERNAL;
        goto done;
    }
    while (!run.done) {
        if (ea_http_wait(http, NULL, 0, -1) != 0 || ea_http_process(http) != 0)
            break;
    }
    if (!run.done || run.rc != 0) {
        fprintf(stderr, "easel models: %s\n", run.done ? run.err.msg : "the request loop failed");
        rc = run.done && run.err.code ? run.err.code : EA_EXIT_INTERNAL;
        goto done;
    }
    if (json)
        print_json(&run.cat);
    else
        print_table(&run.cat, &backend);
done:
    ea_catalog_free(&run.cat);
    ea_http_free(&http);
    ea_backend_close(&backend);
    ea_config_free(&cfg);
    return rc;
}
