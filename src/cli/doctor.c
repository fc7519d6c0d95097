/* SPDX-License-Identifier: MIT */
/* doctor: what easel detects and would use, and why: terminal graphics, backend, every setting
 * with its source, prices and the data folder. Never prints a character of the API key. */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/backend.h"
#include "easel/cli.h"
#include "easel/options.h"
#include "easel/config.h"
#include "easel/helper.h"
#include "easel/paths.h"
#include "easel/prices.h"
#include "easel/sanitize.h"
#include "easel/session.h"
#include "easel/term.h"

enum { OPT_JSON = 1, OPT_PROTOCOL, OPT_OFFLINE };

static const ea_opt doctor_opts[] = {
    {"json", 0, NULL, "one JSON object, for scripts", OPT_JSON, EA_VAL_NONE, NULL, NULL},
    {"protocol", 0, "P",
     "show the choice with this override (auto, blocks, sixel, kitty, iterm), as `easel show "
     "--protocol P` would make it", OPT_PROTOCOL, EA_VAL_WORDS, "auto blocks sixel kitty iterm",
     NULL},
    {"offline", 0, NULL, "as with `easel --offline`", OPT_OFFLINE, EA_VAL_NONE, NULL, NULL},
};
EA_OPTIONS_FN(doctor_options, doctor_opts)

const ea_command ea_command_doctor = {
    "doctor", NULL, "what easel detects and would use, and why",
    "What easel detects and would use, and why: terminal graphics, the backend, every setting "
    "with its source, the price table and the data folder. With its output in a file, it asks "
    "the terminal it was run from (/dev/tty).",
    "Graphics can also be set with EASEL_GRAPHICS=P.\n",
    ea_cmd_doctor, doctor_options, EA_VAL_NONE, false,
};

/* Everything doctor reports, gathered before anything is printed: detection writes its
 * queries to the terminal and must not land in the middle of our output. */
typedef struct report {
    ea_term_caps caps;
    ea_err term_err;
    ea_config cfg;
    ea_err cfg_err;
    bool offline;
    char mock[4096];        /* easel-mock's path, or why it was not found */
    bool mock_found;
    char config_path[4096]; /* the file read, or where it would be */
    bool config_read;
    char prices[1024];      /* "built-in", a path, or why the table did not load */
    bool prices_ok;
    char data[4096];
} report;

static void gather(report *r, const char *protocol, bool force_offline)
{
    memset(r, 0, sizeof *r);
    ea_config_init(&r->cfg);
    ea_config_load(&r->cfg, &r->cfg_err);
    ea_term_detect_options opt;
    ea_term_detect_options_init(&opt);
    ea_term_detect_options_use_config(&opt, &r->cfg);
    opt.protocol = protocol;
    /* `easel doctor > file` reports the terminal the user sits at: stdin's, else the
     * controlling tty's, asked through /dev/tty (the report goes to the file afterwards). */
    int in_fd = STDIN_FILENO, out_fd = STDOUT_FILENO, tty_fd = -1;
    if ((!isatty(in_fd) || !isatty(out_fd)) &&
        (tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) >= 0) {
        out_fd = tty_fd;
        if (!isatty(in_fd))
            in_fd = tty_fd;
    }
    ea_term_detect(in_fd, out_fd, &opt, &r->caps, &r->term_err);
    if (tty_fd >= 0)
        close(tty_fd);

    r->offline = ea_backend_wants_offline(&r->cfg, force_offline);
    ea_err mock_err = {0};
    r->mock_found = ea_helper_find("easel-mock", r->mock, sizeof r->mock, &mock_err) == 0;
    if (!r->mock_found)
        snprintf(r->mock, sizeof r->mock, "%s", mock_err.msg);
    r->config_read = r->cfg.file_path[0] != '\0';
    if (r->config_read) {
        ea_path_for_display(r->cfg.file_path, r->config_path, sizeof r->config_path);
    } else {
        char dir[2048], path[3000];
        if (ea_path_dir(EA_DIR_CONFIG, dir, sizeof dir, NULL) == 0 &&
            ea_path_join(path, sizeof path, dir, "config", NULL) == 0)
            ea_path_for_display(path, r->config_path, sizeof r->config_path);
    }

    ea_err err = {0};
    ea_prices *prices = ea_prices_load(&err);
    r->prices_ok = prices != NULL;
    if (prices) {
        char shown[900];
        ea_path_for_display(ea_prices_source(prices), shown, sizeof shown);
        snprintf(r->prices, sizeof r->prices, "%s", shown);
    } else {
        snprintf(r->prices, sizeof r->prices, "%s", err.msg);
    }
    ea_prices_free(&prices);

    char root[3000];
    ea_err_clear(&err);
    if (ea_sessions_root(root, sizeof root, &err) == 0)
        ea_path_for_display(root, r->data, sizeof r->data);
    else
        snprintf(r->data, sizeof r->data, "unknown (%s)", err.msg);
}

/* Without a user name and password the URL may carry: doctor's output is pasted into
 * reports. */
static const char *base_url(const report *r)
{
    static char shown[2100];
    const char *url = ea_config_get(&r->cfg, EA_CFG_BASE_URL);
    ea_url_for_display(url ? url : EA_DEFAULT_BASE_URL, shown, sizeof shown);
    return shown;
}

/* ---- Text ---- */

/* Values come from files and the environment: strip control characters before printing. */
static void print_field(const char *name, const char *value)
{
    char clean[4200];
    ea_sanitize_copy(clean, sizeof clean, value);
    printf("  %-18s %s\n", name, clean);
}

static void print_text(const report *r)
{
    printf("easel %s\n\nterminal graphics\n", EASEL_VERSION);
    char text[4096];
    ea_term_caps_describe(&r->caps, "  ", text, sizeof text);
    fputs(text, stdout);
    if (r->term_err.code)
        print_field("error", r->term_err.msg);

    char line[4200];
    printf("\nbackend\n");
    if (r->offline)
        print_field("mode", "offline: easel's own backend, easel-mock as a child (no "
                            "OPENAI_API_KEY and no OPENAI_BASE_URL, or --offline)");
    else
        print_field("mode", base_url(r));
    print_field("offline backend", r->mock);
    static const enum ea_config_key backend_keys[] = {EA_CFG_API_KEY, EA_CFG_ORGANIZATION,
                                                      EA_CFG_PROJECT};
    for (size_t i = 0; i < sizeof backend_keys / sizeof backend_keys[0]; i++) {
        ea_config_describe(&r->cfg, backend_keys[i], line, sizeof line);
        print_field(ea_config_key_name(backend_keys[i]), line);
    }

    printf("\nconfig\n");
    snprintf(line, sizeof line, "%s%s", r->config_path, r->config_read ? "" : " (not present)");
    print_field("file", line);
    if (r->cfg_err.code)
        print_field("error", r->cfg_err.msg);
    for (int k = 0; k < EA_CFG_KEY_COUNT; k++) {
        ea_config_describe(&r->cfg, (enum ea_config_key)k, line, sizeof line);
        print_field(ea_config_key_name((enum ea_config_key)k), line);
    }
    /* A refused api_key is explained on the api_key line itself (ea_config_describe). */
    int kept = r->cfg.n_warnings < EA_CONFIG_MAX_WARNINGS ? r->cfg.n_warnings
                                                          : EA_CONFIG_MAX_WARNINGS;
    for (int i = 0; i < kept; i++)
        print_field("warning", r->cfg.warnings[i]);
    if (r->cfg.n_warnings > kept) {
        snprintf(line, sizeof line, "%d more", r->cfg.n_warnings - kept);
        print_field("warning", line);
    }

    printf("\nfiles\n");
    snprintf(line, sizeof line, "%s%s", r->prices_ok ? "" : "not loaded: ", r->prices);
    print_field("prices", line);
    print_field("sessions", r->data);
}

/* ---- JSON ---- */

static json_t *json_caps(const ea_term_caps *c, const ea_err *err)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:i, s:i, s:b, s:s, s:b, s:b, s:b, s:b, s:b,"
        " s:i, s:i, s:i, s:b, s:b, s:i}",
        "protocol", ea_gfx_protocol_name(c->protocol), "reason", c->reason, "note", c->note,
        "terminal", c->terminal, "outer_terminal", c->outer, "cell_w", c->cell_w, "cell_h",
        c->cell_h, "cell_source", ea_term_cell_source_name(c->cell_source), "cols", c->cols,
        "rows", c->rows, "in_tmux", c->in_tmux, "tmux_allow_passthrough",
        c->tmux_allow_passthrough, "tmux_passthrough", c->tmux_passthrough, "kitty_placeholders",
        c->kitty_placeholders, "in_screen", c->in_screen, "over_ssh", c->over_ssh, "truecolor",
        c->truecolor, "sixel_colors", c->sixel_colors, "sixel_max_w", c->sixel_max_w,
        "sixel_max_h", c->sixel_max_h, "asked", c->asked, "answered", c->answered, "ms_waited",
        c->ms_waited);
    if (o && err->code)
        json_object_set_new(o, "error", json_string(err->msg));
    return o;
}

/* One setting: its value and source; for the key only whether it is set and its length. */
static json_t *json_setting(const ea_config *cfg, enum ea_config_key k)
{
    const char *v = ea_config_get(cfg, k);
    enum ea_config_source src = ea_config_source_of(cfg, k);
    json_t *o = json_object();
    if (k == EA_CFG_API_KEY) {
        json_object_set_new(o, "set", json_boolean(v != NULL));
        if (v)
            json_object_set_new(o, "length", json_integer((json_int_t)strlen(v)));
    } else if (k == EA_CFG_BASE_URL && v) {
        char shown[2100];
        ea_url_for_display(v, shown, sizeof shown);
        json_object_set_new(o, "value", json_string(shown));
    } else {
        json_object_set_new(o, "value", v ? json_string(v) : json_null());
    }
    json_object_set_new(o, "source", json_string(ea_config_source_name(src)));
    if (src == EA_SRC_FILE)
        json_object_set_new(o, "line", json_integer(cfg->values[k].line));
    return o;
}

static void print_json(const report *r)
{
    json_t *settings = json_object();
    for (int k = 0; k < EA_CFG_KEY_COUNT; k++)
        json_object_set_new(settings, ea_config_key_name((enum ea_config_key)k),
                            json_setting(&r->cfg, (enum ea_config_key)k));
    json_t *warnings = json_array();
    for (int i = 0; i < r->cfg.n_warnings && i < EA_CONFIG_MAX_WARNINGS; i++)
        json_array_append_new(warnings, json_string(r->cfg.warnings[i]));

    json_t *config = json_pack("{s:s, s:b, s:o, s:o}", "file", r->config_path, "present",
                               r->config_read, "settings", settings, "warnings", warnings);
    if (config && r->cfg.api_key_refused[0])
        json_object_set_new(config, "api_key_refused", json_string(r->cfg.api_key_refused));
    if (config && r->cfg_err.code)
        json_object_set_new(config, "error", json_string(r->cfg_err.msg));

    json_t *backend = json_pack("{s:b, s:s?, s:s?, s:s?}", "offline", r->offline, "base_url",
                                r->offline ? NULL : base_url(r), "mock_program",
                                r->mock_found ? r->mock : NULL, "mock_error",
                                r->mock_found ? NULL : r->mock);
    json_t *doc = json_pack("{s:s, s:o, s:o, s:o, s:{s:s, s:b}, s:s}", "version", EASEL_VERSION,
                            "graphics", json_caps(&r->caps, &r->term_err), "backend", backend,
                            "config", config, "prices", "source", r->prices, "loaded",
                            r->prices_ok, "sessions", r->data);
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (text)
        puts(text);
    free(text);
    json_decref(doc);
}

int ea_cmd_doctor(int argc, char **argv)
{
    bool json = false, offline = false;
    const char *protocol = NULL;
    ea_opt_parser p;
    ea_opt_begin(&p, &ea_command_doctor);
    const char *value;
    int id;
    while ((id = ea_opt_next(&p, argc, argv, &value)) != EA_OPT_DONE) {
        switch (id) {
        case EA_OPT_HELP: return EA_EXIT_OK;
        case EA_OPT_BAD: return EA_EXIT_USAGE;
        case OPT_JSON: json = true; break;
        case OPT_OFFLINE: offline = true; break;
        case OPT_PROTOCOL: protocol = value; break;
        }
    }
    if (p.next < argc) {
        char shown[64];
        ea_sanitize_copy(shown, sizeof shown, argv[p.next]);
        fprintf(stderr, "easel doctor: unknown argument '%s'\n", shown);
        return EA_EXIT_USAGE;
    }
    report *r = malloc(sizeof *r);
    if (!r) {
        fprintf(stderr, "easel doctor: out of memory\n");
        return EA_EXIT_INTERNAL;
    }
    gather(r, protocol, offline);
    if (json)
        print_json(r);
    else
        print_text(r);
    /* A bad --protocol is the caller's mistake; a bad EASEL_GRAPHICS is only reported. */
    int rc = protocol && r->term_err.code ? EA_EXIT_USAGE : EA_EXIT_OK;
    ea_config_free(&r->cfg);
    free(r);
    return rc;
}
