/* SPDX-License-Identifier: MIT */
/* generate: one generation or edit from the command line; --dry-run prints the request and
 * the estimate and sends nothing. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/api.h"
#include "easel/backend.h"
#include "easel/budget.h"
#include "easel/buf.h"
#include "easel/cli.h"
#include "easel/config.h"
#include "easel/gfx.h"
#include "easel/history.h"
#include "easel/image.h"
#include "easel/options.h"
#include "easel/params.h"
#include "easel/prices.h"
#include "easel/sanitize.h"
#include "easel/session.h"
#include "easel/term.h"
#include "easel/turn.h"

#include <errno.h>
#include <math.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

/* Read from stdin for "-": room for 32,000 characters of four bytes each, and then some. */
#define STDIN_PROMPT_MAX (256u * 1024)

/* Options that belong to the command rather than to the request. */
enum {
    OPT_SESSION = 1000,
    OPT_FROM,
    OPT_OUT,
    OPT_JSON,
    OPT_DRY_RUN,
    OPT_OFFLINE,
    OPT_PREVIEW,
    OPT_FORCE,
    OPT_NEW_CONVERSATION,
    OPT_NO_BACKGROUND,
    OPT_PARAM_BASE = 2000, /* + index into the parameter table */
};

/* The command's own options; the request's come from the parameter table (params.h).
 * To add one: an entry here (and its OPT_ id above), a case in parse_args, a line in
 * man/easel.1 (tests/cli/help_man.sh fails until there is). */
static const ea_opt command_opts[] = {
    {"session", 'S', "NAME", "continue or create a session (a Responses session chains its turns)",
     OPT_SESSION, EA_VAL_SESSION, NULL, "command"},
    {"from", 0, "TURN[:K]", "branch from an earlier turn of the session (:K edits its K-th image)",
     OPT_FROM, EA_VAL_NONE, NULL, "command"},
    {"new-conversation", 0, NULL,
     "a Responses turn that does not continue the session's conversation", OPT_NEW_CONVERSATION,
     EA_VAL_NONE, NULL, "command"},
    {"out", 'o', "PATH", "also copy the final image(s) here", OPT_OUT, EA_VAL_FILE, NULL,
     "command"},
    {"json", 0, NULL, "one JSON object per line for each event", OPT_JSON, EA_VAL_NONE, NULL,
     "command"},
    {"dry-run", 0, NULL, "print the request and the estimate; send nothing", OPT_DRY_RUN,
     EA_VAL_NONE, NULL, "command"},
    {"offline", 0, NULL, "use the offline backend", OPT_OFFLINE, EA_VAL_NONE, NULL, "command"},
    {"preview", 0, NULL, "draw partial frames inline on a terminal", OPT_PREVIEW, EA_VAL_NONE,
     NULL, "command"},
    {"force", 0, NULL, "send even past session_budget_usd or budget_usd", OPT_FORCE, EA_VAL_NONE,
     NULL, "command"},
    {"no-background", 0, NULL, "no background mode (as --background off): for Zero Data Retention",
     OPT_NO_BACKGROUND, EA_VAL_NONE, NULL, "command"},
};
#define N_COMMAND_OPTS (sizeof command_opts / sizeof command_opts[0])

/* What a request option's value completes to, by its long name; the rest is free text. */
static void param_values(const char *name, enum ea_opt_values *values, const char **words)
{
    static const struct { const char *name; enum ea_opt_values values; const char *words; } map[] = {
        {"model", EA_VAL_MODEL, NULL},
        {"size", EA_VAL_SIZE, NULL},
        {"quality", EA_VAL_QUALITY, NULL},
        {"format", EA_VAL_FORMAT, NULL},
        {"background", EA_VAL_WORDS, "transparent opaque auto on off"},
        {"moderation", EA_VAL_WORDS, "auto low"},
        {"partials", EA_VAL_WORDS, "0 1 2 3"},
        {"api", EA_VAL_WORDS, "responses images"},
        {"action", EA_VAL_WORDS, "auto generate edit"},
        {"input-fidelity", EA_VAL_WORDS, "high low"},
        {"image", EA_VAL_FILE, NULL},
        {"mask", EA_VAL_FILE, NULL},
    };
    *values = EA_VAL_NONE;
    *words = NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, name) == 0) {
            *values = map[i].values;
            *words = map[i].words;
        }
}

/* The parameter table's options (group "request") then the command's, built once. */
static const ea_opt *generate_options(size_t *count)
{
    static ea_opt all[EA_OPT_MAX];
    static size_t n;
    if (!n) {
        size_t n_params;
        const ea_param_desc *d = ea_param_table(&n_params);
        for (size_t i = 0; i < n_params && n < EA_OPT_MAX; i++, n++) {
            all[n] = (ea_opt){d[i].long_opt, d[i].short_opt, d[i].metavar, d[i].help,
                              OPT_PARAM_BASE + (int)i, EA_VAL_NONE, NULL, "request"};
            param_values(d[i].long_opt, &all[n].values, &all[n].words);
        }
        for (size_t i = 0; i < N_COMMAND_OPTS && n < EA_OPT_MAX; i++)
            all[n++] = command_opts[i];
    }
    *count = n;
    return all;
}

const ea_command ea_command_generate = {
    "generate", "PROMPT|-", "one generation or edit",
    "One generation or edit ('-' reads the prompt from stdin).",
    "A Responses turn runs in background mode unless --background off (or config\n"
    "background = off): a dropped stream is resumed, and a turn whose easel stopped\n"
    "is finished by `easel resume`. --background also takes the image's background\n"
    "(transparent, opaque, auto); on and off are the mode.\n"
    "\nexit codes: 0 done, 1 internal error (an image the session could not\n"
    "save is kept in $XDG_CACHE_HOME/easel/rescued/), 2 bad arguments (nothing\n"
    "sent), 3 refused by the API, 4 network or server failure, 5 interrupted\n"
    "after sending (it may have been billed): SIGTERM, SIGHUP or a closed stdout,\n"
    "130 cancelled by Ctrl-C (SIGINT).\n",
    ea_cmd_generate, generate_options, EA_VAL_NONE, false,
};

typedef struct generate_opts {
    ea_params params;
    const char *session;
    int from_turn; /* 0: not given */
    int from_image; /* --from TURN:K: K, the image to edit; 0: not given */
    const char *out;
    bool json, dry_run, offline, preview, force, new_conversation;
} generate_opts;

static int read_stdin_prompt(ea_params *p, ea_err *err)
{
    ea_buf text;
    ea_buf_init(&text, STDIN_PROMPT_MAX);
    if (ea_buf_append_stream(&text, stdin) != 0 && !ferror(stdin)) {
        ea_buf_free(&text);
        return ea_err_set(err, EA_EXIT_USAGE, "prompt: more than %u bytes on stdin",
                          STDIN_PROMPT_MAX);
    }
    /* `echo prompt | easel generate -` should not send echo's newline. */
    while (text.len && (text.data[text.len - 1] == '\n' || text.data[text.len - 1] == '\r'))
        text.data[--text.len] = '\0';
    int rc = ea_params_set_prompt(p, text.data ? text.data : "", err);
    ea_buf_free(&text);
    return rc;
}

/* Defaults from the config file and environment; the command line is applied after them. */
static int apply_config_defaults(ea_params *p, const ea_config *cfg, ea_err *err)
{
    static const struct { enum ea_config_key key; const char *opt; } map[] = {
        {EA_CFG_MODEL, "model"},   {EA_CFG_TEXT_MODEL, "text-model"}, {EA_CFG_SIZE, "size"},
        {EA_CFG_QUALITY, "quality"}, {EA_CFG_FORMAT, "format"},       {EA_CFG_PARTIALS, "partials"},
        {EA_CFG_API, "api"},       {EA_CFG_REASONING, "reasoning"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const char *v = ea_config_get(cfg, map[i].key);
        if (v && ea_params_set(p, ea_param_by_long(map[i].opt), v, err) != 0)
            return -1;
    }
    if (ea_config_switch(cfg, EA_CFG_WEB_SEARCH, false, &p->web_search) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "config: web_search must be on or off, not '%s'",
                          ea_config_get(cfg, EA_CFG_WEB_SEARCH));
    if (ea_config_switch(cfg, EA_CFG_BACKGROUND, true, &p->background_mode) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "config: background must be on or off, not '%s'",
                          ea_config_get(cfg, EA_CFG_BACKGROUND));
    return 0;
}

/* --background names two things: the image's background (transparent, opaque, auto: the
 * API's tool parameter, there first) and background mode (on, off: design.md section 7).
 * Their values never overlap, so the value says which. True when it was the mode. */
static bool set_background_mode(ea_params *p, const ea_param_desc *d, const char *value)
{
    if (d != ea_param_by_long("background") ||
        (strcmp(value, "on") != 0 && strcmp(value, "off") != 0))
        return false;
    p->background_mode = strcmp(value, "on") == 0;
    return true;
}

static int parse_args(int argc, char **argv, generate_opts *o, ea_err *err)
{
    size_t n_params;
    const ea_param_desc *descs = ea_param_table(&n_params);
    ea_opt_parser parser;
    ea_opt_begin(&parser, &ea_command_generate);
    parser.quiet = true; /* said below, with the rest of generate's usage errors */
    const char *value;
    int id;
    while ((id = ea_opt_next(&parser, argc, argv, &value)) != EA_OPT_DONE) {
        if (id == EA_OPT_HELP)
            exit(EA_EXIT_OK);
        if (id == EA_OPT_BAD)
            return ea_err_set(err, EA_EXIT_USAGE, "%s", parser.why);
        if (id >= OPT_PARAM_BASE) {
            const char *given = value ? value : "on"; /* a switch */
            if (!set_background_mode(&o->params, &descs[id - OPT_PARAM_BASE], given) &&
                ea_params_set(&o->params, &descs[id - OPT_PARAM_BASE], given, err) != 0)
                return -1;
            continue;
        }
        switch (id) {
        case OPT_SESSION: o->session = value; break;
        case OPT_FROM: {
            ea_err why = {0};
            if (ea_history_parse_turn_image(value, &o->from_turn, &o->from_image, &why) != 0)
                return ea_err_set(err, EA_EXIT_USAGE, "--from %s", why.msg);
            break;
        }
        case OPT_OUT: o->out = value; break;
        case OPT_JSON: o->json = true; break;
        case OPT_DRY_RUN: o->dry_run = true; break;
        case OPT_OFFLINE: o->offline = true; break;
        case OPT_PREVIEW: o->preview = true; break;
        case OPT_FORCE: o->force = true; break;
        case OPT_NEW_CONVERSATION: o->new_conversation = true; break;
        case OPT_NO_BACKGROUND: o->params.background_mode = false; break;
        default: return ea_err_set(err, EA_EXIT_USAGE, "unknown option");
        }
    }
    if (parser.next != argc - 1)
        return ea_err_set(err, EA_EXIT_USAGE, parser.next == argc ? "a prompt is required (or '-' to read stdin)"
                                                               : "one prompt, please: quote it");
    if (o->from_turn > 0 && !o->session)
        return ea_err_set(err, EA_EXIT_USAGE, "--from needs --session: a turn belongs to a session");
    if (o->from_turn > 0 && o->new_conversation)
        return ea_err_set(err, EA_EXIT_USAGE, "--from continues a turn and --new-conversation "
                                              "continues none: one or the other");
    if (strcmp(argv[parser.next], "-") == 0)
        return read_stdin_prompt(&o->params, err);
    return ea_params_set_prompt(&o->params, argv[parser.next], err);
}

/* -o is checked before anything is sent: a copy that cannot be made would only be found out
 * after the image was paid for. The folder must exist and take new files; the path must not
 * be a folder itself. */
static int check_out_path(const char *out, ea_err *err)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(out, '/');
    struct stat st;
    if (!*out || (slash && !slash[1]) || (stat(out, &st) == 0 && S_ISDIR(st.st_mode)))
        return ea_err_set(err, EA_EXIT_USAGE, "-o '%s': name a file, not a folder", out);
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == out ? 1 : (int)(slash - out), out);
    if (stat(dir, &st) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "-o '%s': the folder %s: %s", out, dir,
                          strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ea_err_set(err, EA_EXIT_USAGE, "-o '%s': %s is not a folder", out, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "-o '%s': the folder %s cannot be written: %s",
                          out, dir, strerror(errno));
    return 0;
}

/* What the request would send, in the session it would go into: the same request record
 * the log would get, the turn it chains or branches from, and the files with their hashes. */
static void print_dry_run(const generate_opts *o, const ea_backend *b, const ea_request *req,
                          const ea_session *session, const char *previous_id,
                          const ea_estimate *est, const ea_warnings *warn)
{
    json_t *record = json_loads(req->record_json, 0, NULL);
    char url[2400];
    ea_backend_url(b, req->endpoint, json_string_value(json_object_get(record, "model")), url,
                   sizeof url);
    char *inputs_text = ea_request_inputs_json(req);
    json_t *inputs = inputs_text ? json_loads(inputs_text, 0, NULL) : NULL;
    free(inputs_text);
    if (!inputs)
        inputs = json_array();
    if (o->json) {
        json_t *warnings = json_array();
        for (int i = 0; i < warn->count; i++)
            json_array_append_new(warnings, json_string(warn->text[i]));
        json_t *line = json_pack("{s:s, s:b, s:s, s:s, s:s+, s:o, s:o, s:s, s:o}", "type", "dry_run",
                                 "offline", b->offline, "api", req->api, "method", "POST", "url",
                                 b->offline ? "(offline backend)" : url,
                                 b->offline ? req->endpoint : "",
                                 "request", record, "estimate_usd",
                                 est->known ? json_real(est->usd) : json_null(), "estimate_basis",
                                 est->basis, "warnings", warnings);
        /* A thinking turn's count of images is the model's: its estimate is a range. */
        json_object_set_new(line, "estimate_max_usd",
                            est->known ? json_real(est->usd_max) : json_null());
        json_object_set_new(line, "images_max", json_integer(est->images_max));
        json_object_set_new(line, "multipart", json_boolean(req->multipart));
        json_object_set_new(line, "session", session ? json_string(ea_session_id(session))
                                                     : json_null());
        json_object_set_new(line, "previous_response_id",
                            previous_id ? json_string(previous_id) : json_null());
        json_object_set_new(line, "parent_turn", o->from_turn > 0 ? json_integer(o->from_turn)
                                                                  : json_null());
        json_object_set_new(line, "inputs", inputs);
        char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
        puts(text ? text : "{}");
        free(text);
        json_decref(line);
        return;
    }
    printf("dry run: nothing was sent\n");
    printf("POST %s%s%s\n", b->offline ? req->endpoint : url,
           req->multipart ? "  (multipart/form-data)" : "",
           b->offline ? "  (on the offline backend)" : "");
    if (session) {
        printf("session: %s", ea_session_id(session));
        if (o->from_turn > 0)
            printf(", from turn %d", o->from_turn);
        printf("\n");
    } else if (o->session) {
        printf("session: a new one (none is named so yet)\n");
    }
    char chained[300];
    ea_sanitize_copy(chained, sizeof chained, previous_id ? previous_id : "");
    printf("previous_response_id: %s\n", previous_id ? chained : "none (a new conversation)");
    size_t i;
    json_t *in;
    json_array_foreach(inputs, i, in) {
        char source[1024];
        ea_sanitize_copy(source, sizeof source, json_string_value(json_object_get(in, "source")));
        printf("input: %-9s %s  %lld bytes  sha256 %s\n",
               json_string_value(json_object_get(in, "role")), source,
               (long long)json_integer_value(json_object_get(in, "bytes")),
               json_string_value(json_object_get(in, "sha256")));
    }
    json_decref(inputs);
    char *text = json_dumps(record, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(record);
    char amount[96];
    ea_estimate_text(est, 4, amount, sizeof amount);
    printf("estimate: %s (%s)\n", amount, est->basis);
}

/* The first of SIGINT, SIGTERM and SIGHUP: each winds the turn down (its record closed, its
 * last partial frame kept) instead of killing the process. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    if (!stop_signal)
        stop_signal = sig;
}

/* The errno of the first failed write to stdout, or 0; nothing more is written there. EPIPE:
 * its reader is gone (`| head -c 1`). SIGPIPE is ignored so that such a write fails instead
 * of killing the process before the turn's record is written, and the loop winds the turn
 * down as for SIGTERM. Any other error (a full disk under `> file`) leaves the turn to
 * finish: nobody asked to stop it, and its image may be saved yet. */
static int stdout_errno;

static void flush_stdout(void)
{
    if (!stdout_errno && (fflush(stdout) != 0 || ferror(stdout)))
        stdout_errno = errno ? errno : EIO;
}

/* What the run loop and the turn's callbacks share. */
typedef struct run_state {
    const generate_opts *opts;
    bool tty;                 /* stderr is a terminal: draw the progress line */
    bool progress_shown;
    long last_progress_ms;
    int exit_code;
    bool done;
    bool preview;             /* --preview on a terminal: draw each frame inline */
    ea_gfx_options gfx;
    bool preview_placed;      /* the cursor position of the first frame is saved */
    const ea_session *session;
    bool offline;             /* the offline backend: its costs are not spend */
} run_state;

/* ASCII only, as the audit log is: JSON escapes C0 controls but not C1 (U+0080-U+009F, which
 * terminals act on in UTF-8) nor bidi overrides, and --json may well go to a terminal. */
static void print_json_line(json_t *line)
{
    char *text = stdout_errno ? NULL : json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (text) {
        puts(text);
        flush_stdout();
    }
    free(text);
    json_decref(line);
}

static const char *phase_name(enum ea_turn_phase p)
{
    static const char *const names[] = {"sending", "waiting", "generating", "done"};
    return names[p];
}

static void clear_progress(run_state *st)
{
    if (st->progress_shown)
        fputs("\r\033[K", stderr);
    st->progress_shown = false;
}

/* --preview: a box of at most 64x24 cells, so the picture and the progress line fit. */
#define PREVIEW_MAX_COLS 64
#define PREVIEW_MAX_ROWS 24

static void preview_setup(run_state *st)
{
    ea_err err = {0};
    st->preview = st->opts->preview && !st->opts->json && ea_term_fd_capable(STDOUT_FILENO) &&
                  ea_gfx_options_detect(&st->gfx, NULL, &err) == 0;
    if (st->gfx.cols > PREVIEW_MAX_COLS)
        st->gfx.cols = PREVIEW_MAX_COLS;
    if (st->gfx.rows > PREVIEW_MAX_ROWS)
        st->gfx.rows = PREVIEW_MAX_ROWS;
}

/* Draws a frame where the previous one was, so the newer frame replaces it in place.
 * Terminals disagree on where a picture leaves the cursor, so the first frame's position is
 * saved (DECSC) after making room for the whole box, and each next frame starts there. */
static void preview_draw(run_state *st, const unsigned char *bytes, size_t n, const ea_image *img)
{
    ea_err err = {0};
    if (stdout_errno)
        return;
    clear_progress(st);
    if (!st->preview_placed) {
        for (int i = 0; i < st->gfx.rows; i++)
            putchar('\n');
        printf("\033[%dA\0337", st->gfx.rows);
        st->preview_placed = true;
    } else {
        printf("\0338");
    }
    flush_stdout();
    if (img)
        ea_gfx_show_image(img, &st->gfx, STDOUT_FILENO, NULL, &err);
    else
        ea_gfx_show_frame(bytes, n, &st->gfx, STDOUT_FILENO, NULL, &err);
}

static void on_progress(void *ctx, const ea_turn_progress *p)
{
    run_state *st = ctx;
    /* Ten redraws a second are plenty, and keep a slow SSH link free for the image. */
    if (!st->tty || st->opts->json || (p->ms_elapsed - st->last_progress_ms < 100 && p->phase != EA_PHASE_DONE))
        return;
    st->last_progress_ms = p->ms_elapsed;
    /* A thinking turn's count of images is its model's: the image it is on, with no "of"
     * (and the partial frames of that image). */
    char images[48];
    if (p->images_expected > 0)
        snprintf(images, sizeof images, "partial %d/%d  image %d/%d", p->partials,
                 p->partials_expected, p->images_saved, p->images_expected);
    else if (p->image > 0)
        snprintf(images, sizeof images, "partial %d/%d  image %d", p->image_partials,
                 p->partials_expected, p->image);
    else
        snprintf(images, sizeof images, "partial 0/%d", p->partials_expected);
    fprintf(stderr, "\r\033[K%s  %.1fs  %s  %.1f MB", phase_name(p->phase),
            p->ms_elapsed / 1000.0, images, p->bytes / 1e6);
    st->progress_shown = true;
}

static void on_partial(void *ctx, int index, const unsigned char *bytes, size_t n)
{
    run_state *st = ctx;
    if (st->preview)
        preview_draw(st, bytes, n, NULL);
    if (st->opts->json)
        print_json_line(json_pack("{s:s, s:i, s:I}", "type", "partial", "index", index, "bytes",
                                  (json_int_t)n));
}

static void on_image(void *ctx, const ea_audit_image *img, const char *session_dir)
{
    run_state *st = ctx;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", session_dir, img->path);
    if (st->opts->json) {
        print_json_line(json_pack("{s:s, s:s, s:s, s:I, s:i, s:i, s:s}", "type", "image", "path",
                                  path, "sha256", img->sha256, "bytes", (json_int_t)img->bytes,
                                  "width", img->width, "height", img->height, "format",
                                  img->format));
        return;
    }
    ea_image final = {0};
    if (st->preview && ea_image_load_file(path, &ea_image_default_limits, &final, NULL) == 0)
        preview_draw(st, NULL, 0, &final);
    ea_image_free(&final);
    st->preview_placed = false; /* the final picture stays; what follows goes below it */
    clear_progress(st);
    /* With stdout gone, what was saved is still said, where someone may read it. */
    fprintf(stdout_errno ? stderr : stdout, "saved %s (%dx%d %s, %.1f kB)\n", path, img->width,
            img->height, img->format, img->bytes / 1e3);
    flush_stdout();
}

/* Sanitized, whole: a summary is paragraphs (newlines kept), a query a line. Caller frees;
 * NULL when out of memory. */
static char *sanitized(const char *text, int keep_newlines)
{
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    if (ea_sanitize_append(&out, text, strlen(text), keep_newlines) != 0 || !out.data) {
        ea_buf_free(&out);
        return strdup("");
    }
    return ea_buf_steal(&out, NULL);
}

/* --json streams the summary as it grows; the text output says it once, at the end. */
static void on_reasoning(void *ctx, const char *summary, const char *delta)
{
    run_state *st = ctx;
    (void)summary;
    if (!st->opts->json || !*delta)
        return;
    char *text = sanitized(delta, 1);
    if (text)
        print_json_line(json_pack("{s:s, s:s}", "type", "reasoning", "delta", text));
    free(text);
}

static void on_search(void *ctx, const ea_turn_search *search)
{
    run_state *st = ctx;
    char *query = sanitized(search->query, 0), id[128], status[32];
    ea_sanitize_copy(id, sizeof id, search->id);
    ea_sanitize_copy(status, sizeof status, search->status);
    if (query && st->opts->json) {
        print_json_line(json_pack("{s:s, s:s, s:s, s:s}", "type", "web_search", "id", id,
                                  "status", status, "query", query));
    } else if (query && *query && strcmp(status, "completed") == 0) {
        clear_progress(st);
        fprintf(stderr, "searched the web%s%s\n", *query ? ": " : "", query);
    }
    free(query);
}

static void on_retry(void *ctx, const ea_http_retry *r)
{
    run_state *st = ctx;
    char reason[256];
    ea_sanitize_copy(reason, sizeof reason, r->reason);
    if (st->opts->json) {
        print_json_line(json_pack("{s:s, s:i, s:i, s:s}", "type", "retry", "retry", r->retry,
                                  "delay_ms", r->delay_ms, "reason", reason));
        return;
    }
    clear_progress(st);
    fprintf(stderr, "easel: %s; retry %d in %.1f s\n", reason, r->retry, r->delay_ms / 1000.0);
}

/* --out: a copy of each final image, byte for byte; PATH-2.EXT and so on for the second. */
static int copy_out(const char *out, const ea_turn_outcome *o, size_t index, ea_err *err)
{
    char src[4200], dest[4200];
    snprintf(src, sizeof src, "%s/%s", o->session_dir, o->images[index].path);
    if (index == 0) {
        snprintf(dest, sizeof dest, "%s", out);
    } else {
        const char *dot = strrchr(out, '.');
        int stem = dot && !strchr(dot, '/') ? (int)(dot - out) : (int)strlen(out);
        snprintf(dest, sizeof dest, "%.*s-%zu%s", stem, out, index + 1, dot && !strchr(dot, '/') ? dot : "");
    }
    FILE *in = fopen(src, "rb");
    FILE *to = in ? fopen(dest, "wb") : NULL;
    char chunk[65536];
    size_t n;
    bool ok = in && to;
    while (ok && (n = fread(chunk, 1, sizeof chunk, in)) > 0)
        ok = fwrite(chunk, 1, n, to) == n;
    if (in)
        fclose(in);
    if (to && fclose(to) != 0)
        ok = false;
    if (!ok)
        return ea_err_set(err, EA_EXIT_INTERNAL, "could not copy the image to %s: %s", dest,
                          strerror(errno));
    return 0;
}

static void print_summary(FILE *out, const ea_turn_outcome *o, const char *revised, bool offline)
{
    if (*o->reasoning_summary) {
        char *summary = sanitized(o->reasoning_summary, 1);
        fprintf(out, "reasoning summary:\n%s\n", summary ? summary : "");
        free(summary);
    }
    /* Several images: each with what its own call made of the prompt. */
    for (size_t i = 0; o->n_images > 1 && i < o->n_images; i++) {
        char one[4096];
        ea_sanitize_copy(one, sizeof one, o->image_prompts[i]);
        if (*one)
            fprintf(out, "revised prompt %zu (%s): %s\n", i + 1, o->images[i].path, one);
    }
    if (*revised && o->n_images <= 1)
        fprintf(out, "revised prompt: %s\n", revised);
    if (*o->partial_path)
        fprintf(out, "kept the last partial frame: %s/%s\n", o->session_dir, o->partial_path);
    if (!isnan(o->cost_usd))
        fprintf(out, "cost: $%.4f%s\n", o->cost_usd, offline ? " offline (not billed)" : "");
    fprintf(out, "session: %s, turn %d\n", o->session_dir, o->turn);
}

static void on_done(void *ctx, const ea_turn_outcome *o)
{
    run_state *st = ctx;
    st->done = true;
    st->exit_code = o->exit_code;
    clear_progress(st);
    char message[1024], revised[4096];
    ea_sanitize_copy(message, sizeof message, o->message);
    ea_sanitize_copy(revised, sizeof revised, o->revised_prompt);
    for (size_t i = 0; st->opts->out && i < o->n_images; i++) {
        ea_err err = {0};
        if (copy_out(st->opts->out, o, i, &err) != 0) {
            fprintf(stderr, "easel generate: %s\n", err.msg);
            if (st->exit_code == EA_EXIT_OK)
                st->exit_code = EA_EXIT_INTERNAL;
        }
    }
    if (st->opts->json && !stdout_errno) {
        json_t *line = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:o, s:i, s:i}", "type",
                                 o->exit_code ? "error" : "done", "status",
                                 ea_audit_status_name(o->status), "exit_code", o->exit_code,
                                 "turn", o->turn, "session_dir", o->session_dir, "request_id",
                                 o->request_id, "response_id", o->response_id, "revised_prompt",
                                 o->revised_prompt, "cost_usd",
                                 isnan(o->cost_usd) ? json_null() : json_real(o->cost_usd),
                                 "http_status", o->http_status, "attempts", o->attempts);
        if (o->exit_code)
            json_object_set_new(line, "message", json_string(message));
        if (*o->error_code)
            json_object_set_new(line, "error_code", json_string(o->error_code));
        if (*o->partial_path)
            json_object_set_new(line, "partial_path", json_string(o->partial_path));
        json_t *unsaved = json_array();
        for (size_t i = 0; i < o->n_unsaved; i++)
            json_array_append_new(unsaved, json_pack("{s:s?, s:s, s:I, s:s}", "path",
                                                     *o->unsaved[i].path ? o->unsaved[i].path : NULL,
                                                     "sha256", o->unsaved[i].sha256, "bytes",
                                                     (json_int_t)o->unsaved[i].bytes, "reason",
                                                     o->unsaved[i].reason));
        json_object_set_new(line, "unsaved", unsaved);
        /* A thinking turn: the summary and searches once more, whole, and each image with
         * its own revised prompt. */
        char *summary = sanitized(o->reasoning_summary, 1);
        json_object_set_new(line, "reasoning_summary", json_string(summary ? summary : ""));
        free(summary);
        json_t *searches = json_array(), *images = json_array();
        for (size_t i = 0; i < o->n_searches; i++) {
            char *query = sanitized(o->searches[i].query, 0), status[32];
            ea_sanitize_copy(status, sizeof status, o->searches[i].status);
            json_array_append_new(searches, json_pack("{s:s, s:s}", "status", status, "query",
                                                      query ? query : ""));
            free(query);
        }
        for (size_t i = 0; i < o->n_images; i++) {
            char *prompt = sanitized(o->image_prompts[i], 0);
            json_array_append_new(images, json_pack("{s:s, s:s}", "path", o->images[i].path,
                                                    "revised_prompt", prompt ? prompt : ""));
            free(prompt);
        }
        json_object_set_new(line, "web_searches", searches);
        json_object_set_new(line, "images", images);
        print_json_line(line);
        return;
    }
    /* What the session could not take, unless the message below names it already. */
    for (size_t i = 0; i < o->n_unsaved; i++) {
        const ea_audit_unsaved *u = &o->unsaved[i];
        if (*u->path && !strstr(o->message, u->path))
            fprintf(stderr, "easel generate: kept in the rescue folder: %s (%s)\n", u->path,
                    u->reason);
        else if (!*u->path && !strstr(o->message, u->sha256))
            fprintf(stderr, "easel generate: lost %llu bytes, sha256 %s, response %s (%s)\n",
                    (unsigned long long)u->bytes, u->sha256,
                    *o->response_id ? o->response_id : "unknown", u->reason);
    }
    if (o->resumable)
        fprintf(stderr, "easel generate: turn %d is still running server-side; `easel resume` "
                        "finishes it\n", o->turn);
    if (!stdout_errno) {
        print_summary(stdout, o, revised, st->offline);
        flush_stdout();
    }
    /* With stdout gone, the account goes to stderr: where the session is, and the frame kept. */
    if (stdout_errno) {
        fprintf(stderr, "easel generate: writing to stdout failed (%s)\n", strerror(stdout_errno));
        print_summary(stderr, o, revised, st->offline);
    }
    /* The status in brackets unless the message says it already ("cancelled", not
     * "cancelled (cancelled)"). */
    const char *status = ea_audit_status_name(o->status);
    if (o->exit_code && strncmp(message, status, strlen(status)) == 0)
        fprintf(stderr, "easel generate: %s\n", message);
    else if (o->exit_code)
        fprintf(stderr, "easel generate: %s (%s)\n", message, status);
    char newest[4400];
    if (strcmp(o->error_code, EA_ERROR_CHAIN_GONE) == 0 && st->session &&
        ea_session_newest_image(st->session, newest, sizeof newest))
        fprintf(stderr, "easel generate: the API no longer has the conversation this session "
                        "continues (it keeps a response for 30 days); go on from its newest "
                        "image with: --new-conversation -i %s\n", newest);
}

/* On the Images API, which has no chain of its own, --from TURN edits that turn's first
 * image (unless images were given); the Responses API continues from its response instead.
 * --from TURN:K edits the K-th image on either API (the Responses turn still continues from
 * the response as a whole). */
static bool image_from_turn(const generate_opts *o)
{
    return o->from_turn > 0 && (o->params.api == EA_API_IMAGES || o->from_image > 0) &&
           o->params.n_images == 0;
}

/* Attaches that image, then checks the rules (deferred until it is there). */
static int edit_from_turn(generate_opts *o, const ea_session *session, ea_err *err)
{
    if (!image_from_turn(o))
        return 0;
    ea_audit_image img;
    char path[4200];
    int k = o->from_image > 0 ? o->from_image : 1;
    if (ea_audit_turn_image(ea_session_audit(session), o->from_turn, (size_t)(k - 1), &img,
                            err) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "--from %d:%d: that turn has no image %d to edit",
                          o->from_turn, k, k);
    snprintf(path, sizeof path, "%s/%s", ea_session_dir(session), img.path);
    ea_warnings warn = {0};
    ea_err ignored = {0};
    /* The image named is the one edited, not a reference beside the conversation's. */
    if (o->params.api == EA_API_RESPONSES && !o->params.action &&
        ea_params_set(&o->params, ea_param_by_long("action"), "edit", &ignored) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    if (ea_params_add_image(&o->params, path, err) || ea_params_resolve(&o->params, &warn, err))
        return -1;
    for (int i = 0; i < warn.count; i++)
        fprintf(stderr, "easel: warning: %s\n", warn.text[i]);
    return 0;
}

/* The session a turn goes into and what it goes on from, found the same way for the real
 * call and for --dry-run, which only reads (a session named by -S may not exist yet: the
 * call would create it). --from needs a session that has that turn: refused before
 * anything is created or sent. */
static int open_context(generate_opts *o, bool dry_run, ea_session **session, ea_err *err)
{
    *session = NULL;
    int rc;
    if (!o->session)
        rc = dry_run ? 0 : ea_session_create(NULL, NULL, session, err);
    else if (dry_run || o->from_turn > 0)
        rc = ea_session_open(o->session, dry_run ? EA_SESSION_READ : EA_SESSION_WRITE, session,
                             err);
    else
        rc = ea_session_open_or_create(o->session, NULL, session, NULL, err);
    if (rc != 0 && dry_run && o->from_turn == 0 && err->code == EA_EXIT_USAGE)
        return 0; /* no session by that name yet */
    if (rc != 0)
        return -1;
    int last = *session ? ea_audit_next_turn(ea_session_audit(*session)) - 1 : 0;
    if (o->from_turn > last) {
        char name[160];
        ea_sanitize_copy(name, sizeof name, o->session);
        if (last)
            ea_err_set(err, EA_EXIT_USAGE, "--from %d: session %s has turns 1 to %d",
                       o->from_turn, name, last);
        else
            ea_err_set(err, EA_EXIT_USAGE, "--from %d: session %s has no turns yet",
                       o->from_turn, name);
        ea_session_close(session);
        return -1;
    }
    if (*session && edit_from_turn(o, *session, err) != 0) {
        ea_session_close(session);
        return -1;
    }
    return 0;
}

static int dry_run(generate_opts *o, const ea_backend *backend, const ea_prices *prices,
                   const ea_warnings *warn, ea_err *err)
{
    ea_session *session = NULL;
    ea_request req = {0};
    const char *previous_id = NULL;
    int rc = -1;
    ea_turn_spec spec = {&o->params, backend, NULL, prices, o->from_turn, o->new_conversation};
    if (open_context(o, true, &session, err) != 0)
        goto done;
    spec.session = session;
    if (session && ea_turn_previous_response(&spec, &previous_id, err) != 0)
        goto done;
    if (ea_request_build(&o->params, previous_id, &req, err) != 0)
        goto done;
    ea_estimate est;
    ea_turn_estimate(prices, &o->params, &req, &est);
    print_dry_run(o, backend, &req, session, previous_id, &est, warn);
    rc = 0;
done:
    ea_request_free(&req);
    ea_session_close(&session);
    return rc;
}

static int run_turn(generate_opts *o, const ea_config *cfg, const ea_backend *backend,
                    const ea_prices *prices, ea_err *err)
{
    ea_session *session = NULL;
    ea_http *http = NULL;
    ea_turn *turn = NULL;
    int rc = -1;
    if (open_context(o, false, &session, err) != 0)
        goto done;
    if (ea_session_cache_rebuilt(session))
        fprintf(stderr, "easel: session %s: session.json was missing or unreadable; rebuilt from "
                        "audit.jsonl\n", ea_session_id(session));
    if (!(http = ea_http_new())) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    /* A background turn an earlier easel left running is finished first: its image and its
     * real cost are in the session before this turn (and its budget check). */
    if (o->session && ea_resume_session(session, http, backend, prices, NULL, err) < 0)
        goto done;
    if (!o->force && !backend->offline) {
        /* A budget is checked where the session's own spend is known, before anything is
         * sent; --dry-run shows the estimate without this. The offline backend bills nothing,
         * so a budget never stops it. */
        ea_estimate est;
        ea_prices_estimate(prices, &o->params, &est);
        if (ea_budget_check_estimate(cfg, session, &est, err) != 0)
            goto done;
    }
    run_state st = {.opts = o, .tty = ea_term_fd_capable(STDERR_FILENO), .exit_code = EA_EXIT_INTERNAL,
                    .offline = backend->offline};
    preview_setup(&st);
    ea_turn_spec spec = {&o->params, backend, session, prices, o->from_turn,
                         o->new_conversation};
    st.session = session;
    ea_turn_callbacks cb = {on_progress, on_partial, on_image,  on_retry,
                            on_done,     on_reasoning, on_search};
    struct sigaction sa = {0};
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    if (o->json)
        print_json_line(json_pack("{s:s, s:s, s:s, s:b}", "type", "start", "session_dir",
                                  ea_session_dir(session), "model", o->params.model, "offline",
                                  backend->offline));
    if (!(turn = ea_turn_start(http, &spec, &cb, &st, err)))
        goto done;
    bool stopping = false;
    while (!st.done) {
        /* Ctrl-C is the user's cancel (130); the others stop the process from outside (5). */
        if (!stopping && (stop_signal || stdout_errno == EPIPE)) {
            stopping = true;
            /* A background turn the API accepted finishes unattended: it is left running,
             * resumable, and the exit says so (5); any other is wound down. */
            if (stop_signal == SIGINT)
                ea_turn_cancel(turn);
            else if (!ea_turn_detach(turn))
                ea_turn_interrupt(turn, stop_signal == SIGTERM  ? "SIGTERM"
                                        : stop_signal == SIGHUP ? "SIGHUP"
                                                                : "a closed stdout");
        }
        if (ea_http_wait(http, NULL, 0, 100) != 0 && errno != EINTR) {
            ea_err_set(err, EA_EXIT_INTERNAL, "waiting for the network failed: %s", strerror(errno));
            goto done;
        }
        if (ea_http_process(http) != 0) {
            ea_err_set(err, EA_EXIT_INTERNAL, "the transfer loop failed");
            goto done;
        }
        ea_turn_poll(turn); /* images saved off the loop; after the last, on_done */
    }
    ea_err_set(err, st.exit_code, "%s", "");
    rc = 0;
done:
    ea_turn_free(&turn);
    ea_http_free(&http);
    ea_session_close(&session);
    return rc;
}

int ea_cmd_generate(int argc, char **argv)
{
    generate_opts o = {0};
    ea_params_init(&o.params);
    ea_config cfg;
    ea_config_init(&cfg);
    ea_err err = {0};
    ea_warnings warn = {0};
    ea_backend backend = {0};
    ea_prices *prices = NULL;
    int rc = EA_EXIT_USAGE;

    if (ea_config_load(&cfg, &err) != 0 || apply_config_defaults(&o.params, &cfg, &err) != 0 ||
        parse_args(argc, argv, &o, &err) != 0)
        goto fail;
    /* --from on the Images API brings the image to edit from the session, which is read
     * later: the rules (a mask needs an image) are checked once it is there. */
    if ((!image_from_turn(&o) && ea_params_resolve(&o.params, &warn, &err) != 0) ||
        (o.out && check_out_path(o.out, &err) != 0))
        goto fail;
    for (int i = 0; i < warn.count; i++)
        fprintf(stderr, "easel: warning: %s\n", warn.text[i]);
    if (!(prices = ea_prices_load(&err)))
        goto fail;
    if (ea_backend_open(&backend, &cfg, o.offline, !o.dry_run, &err) != 0)
        goto fail;
    if (o.dry_run) {
        if (dry_run(&o, &backend, prices, &warn, &err) != 0)
            goto fail;
        rc = EA_EXIT_OK;
        goto done;
    }
    if (backend.offline && !o.json)
        fprintf(stderr, "easel: %s: using the offline backend (%s)\n",
                o.offline ? "--offline" : "no API key", backend.base_url);
    if (run_turn(&o, &cfg, &backend, prices, &err) == 0) {
        rc = err.code;
        goto done;
    }
fail:
    rc = err.code ? err.code : EA_EXIT_INTERNAL;
    fprintf(stderr, "easel generate: %s\n", err.msg);
    if (rc == EA_EXIT_USAGE)
        fprintf(stderr, "(nothing was sent; see easel generate --help)\n");
done:
    ea_prices_free(&prices);
    ea_backend_close(&backend);
    ea_params_free(&o.params);
    ea_config_free(&cfg);
    return rc;
}
