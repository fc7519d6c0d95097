/* SPDX-License-Identifier: MIT */
/* sessions: the sessions on disk, newest first, as a table or one JSON object a line, filtered
 * by name and by the dates they were active. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "easel/cli.h"
#include "easel/options.h"
#include "easel/editbuf.h"
#include "easel/history.h"
#include "easel/sanitize.h"
#include "easel/session.h"

typedef struct sessions_opts {
    const char *name;              /* substring, any case */
    char since[EA_TIMESTAMP_SIZE]; /* "" for no bound */
    char until[EA_TIMESTAMP_SIZE];
    bool json;
} sessions_opts;

enum { OPT_JSON = 1, OPT_NAME, OPT_SINCE, OPT_UNTIL };

static const ea_opt sessions_opts_table[] = {
    {"json", 0, NULL, "one JSON object per line", OPT_JSON, EA_VAL_NONE, NULL, NULL},
    {"name", 0, "TEXT", "only sessions whose name holds TEXT (any case)", OPT_NAME, EA_VAL_NONE,
     NULL, NULL},
    {"since", 0, "DATE", "only sessions active on or after DATE (2026-11-25, or 2026-11-25T15:30; UTC)",
     OPT_SINCE, EA_VAL_NONE, NULL, NULL},
    {"until", 0, "DATE", "only sessions created up to the end of DATE", OPT_UNTIL, EA_VAL_NONE,
     NULL, NULL},
};
EA_OPTIONS_FN(sessions_options, sessions_opts_table)

const ea_command ea_command_sessions = {
    "sessions", NULL, "sessions, newest first",
    "The sessions on disk, newest first: name, id, turns, images, what batch lines cost (part "
    "of the spend), spend, what the offline backend's turns would have cost (offline money, "
    "never spend) and the time of the last activity.",
    NULL, ea_cmd_sessions, sessions_options, EA_VAL_NONE, false,
};

/* A session was active during [created, last_activity]; it is shown when that span meets
 * [since, until]. */
static bool wanted(const sessions_opts *o, const ea_session_info *s)
{
    if (o->name && !ea_history_find(s->name, o->name, NULL, NULL))
        return false;
    if (*o->since && strcmp(s->last_activity, o->since) < 0)
        return false;
    return !*o->until || strcmp(s->created, o->until) <= 0;
}

#define NAME_COLS 24

static void print_row(const ea_session_info *s)
{
    char full[4 * NAME_COLS + 64], name[4 * NAME_COLS + 8], when[24];
    ea_sanitize_copy(full, sizeof full, *s->name ? s->name : "-"); /* names are anyone's text */
    /* NAME_COLS terminal columns, not bytes: cut between clusters (a Devanagari syllable
     * whole) with an ellipsis, and padded by width, so the columns after it line up. */
    size_t len = strlen(full), next, end = len;
    int width = ea_text_width(full, len);
    if (width > NAME_COLS) {
        end = ea_text_row_end(full, len, 0, NAME_COLS - 1, &next);
        width = ea_text_width(full, end) + 1;
    }
    snprintf(name, sizeof name, "%.*s%s%*s", (int)end, full, end < len ? "…" : "",
             NAME_COLS - width, "");
    /* "2026-11-25T15:30:12.345Z" -> "2026-11-25 15:30Z"; from session.json, which may come
     * from anyone, so made safe as the name is. */
    char raw[sizeof when];
    snprintf(raw, sizeof raw, "%.10s %.5sZ", s->last_activity,
             strlen(s->last_activity) >= 16 ? s->last_activity + 11 : "");
    ea_sanitize_copy(when, sizeof when, raw);
    printf("%s %-20s %5d %6d %9.4f %9.4f %9.4f  %s\n", name, s->id, s->turns, s->images,
           s->batch_usd, s->spend_usd, s->offline_usd, when);
}

static int parse_args(int argc, char **argv, sessions_opts *o)
{
    ea_err err = {0};
    ea_opt_parser p;
    ea_opt_begin(&p, &ea_command_sessions);
    const char *value;
    int id;
    while ((id = ea_opt_next(&p, argc, argv, &value)) != EA_OPT_DONE) {
        if (id == EA_OPT_HELP)
            return -1;
        if (id == EA_OPT_BAD)
            return EA_EXIT_USAGE;
        if (id == OPT_JSON) {
            o->json = true;
        } else if (id == OPT_NAME) {
            o->name = value;
        } else {
            bool until = id == OPT_UNTIL;
            if (ea_history_date_bound(value, until, until ? o->until : o->since, &err)) {
                fprintf(stderr, "easel sessions: --%s: %s\n", ea_opt_name(&p, id), err.msg);
                return EA_EXIT_USAGE;
            }
        }
    }
    if (p.next < argc) {
        char shown[64];
        ea_sanitize_copy(shown, sizeof shown, argv[p.next]);
        fprintf(stderr, "easel sessions: unknown argument '%s'\n", shown);
        return EA_EXIT_USAGE;
    }
    return 0;
}

int ea_cmd_sessions(int argc, char **argv)
{
    sessions_opts o = {0};
    /* The terminal's character widths (wcwidth), for the names' column. */
    setlocale(LC_CTYPE, "");
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? EA_EXIT_OK : rc;
    ea_session_list list;
    ea_err err = {0};
    if (ea_session_list_load(&list, &err) != 0) {
        fprintf(stderr, "easel sessions: %s\n", err.msg);
        return err.code ? err.code : EA_EXIT_INTERNAL;
    }
    size_t shown = 0;
    ea_buf line;
    ea_buf_init(&line, EA_BUF_UNCAPPED);
    for (size_t i = 0; i < list.count; i++) {
        const ea_session_info *s = &list.items[i];
        if (!wanted(&o, s))
            continue;
        if (!o.json && shown == 0)
            printf("%-24s %-20s %5s %6s %9s %9s %9s  %s\n", "NAME", "ID", "TURNS", "IMAGES", "BATCH",
                   "SPEND", "OFFLINE", "LAST ACTIVITY");
        shown++;
        if (!o.json) {
            print_row(s);
            continue;
        }
        ea_buf_reset(&line);
        if (ea_session_info_json(s, &line) == 0)
            puts(line.data);
    }
    ea_buf_free(&line);
    if (!o.json && shown == 0)
        printf(list.count ? "no session matches\n"
                          : "no sessions yet: easel generate \"a prompt\" makes one\n");
    ea_session_list_free(&list);
    return EA_EXIT_OK;
}
