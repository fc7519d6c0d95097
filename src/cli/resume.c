/* SPDX-License-Identifier: MIT */
/* resume: background turns that a stopped easel left running server-side (an `accepted`
 * record and no `result`) are read to their end: the image saved, the result written with
 * its cost. `easel resume [SESSION]` does it for one session or all; `generate -S` and
 * `easel log` do it for their session before anything else. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/backend.h"
#include "easel/cli.h"
#include "easel/options.h"
#include "easel/config.h"
#include "easel/prices.h"
#include "easel/sanitize.h"
#include "easel/session.h"
#include "easel/turn.h"

typedef struct resume_state {
    bool done;
    int exit_code;
} resume_state;

static volatile sig_atomic_t resume_interrupted;

static void on_resume_signal(int sig)
{
    (void)sig;
    resume_interrupted = 1;
}

static void on_image(void *ctx, const ea_audit_image *img, const char *session_dir)
{
    (void)ctx;
    fprintf(stderr, "easel: saved %s/%s (%dx%d %s)\n", session_dir, img->path, img->width,
            img->height, img->format);
}

static void on_done(void *ctx, const ea_turn_outcome *o)
{
    resume_state *st = ctx;
    st->done = true;
    st->exit_code = o->exit_code;
    char message[1024];
    ea_sanitize_copy(message, sizeof message, o->message);
    if (o->exit_code == EA_EXIT_OK && !isnan(o->cost_usd))
        fprintf(stderr, "easel: turn %d resumed and completed; cost $%.4f\n", o->turn,
                o->cost_usd);
    else if (o->exit_code == EA_EXIT_OK)
        fprintf(stderr, "easel: turn %d resumed and completed\n", o->turn);
    else
        fprintf(stderr, "easel: turn %d: %s (%s)\n", o->turn, message,
                o->resumable ? "still resumable" : ea_audit_status_name(o->status));
}

int ea_resume_session(ea_session *session, ea_http *http, const ea_backend *backend,
                      const ea_prices *prices, int *worst, ea_err *err)
{
    int resumed = 0, after = 0;
    ea_audit_accepted acc;
    struct sigaction sa = {0}, old_int, old_term, old_hup;
    sa.sa_handler = on_resume_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    resume_interrupted = 0;
    int rc = 0;
    while (!resume_interrupted &&
           (after = ea_audit_resumable_turn(ea_session_audit(session), after, &acc)) != 0) {
        char id[128];
        ea_sanitize_copy(id, sizeof id, acc.response_id);
        resume_state st = {false, EA_EXIT_INTERNAL};
        ea_turn_spec spec = {NULL, backend, session, prices, 0, false};
        ea_turn_callbacks cb = {NULL, NULL, on_image, NULL, on_done};
        ea_turn *turn = ea_turn_resume(http, &spec, &acc, &cb, &st, err);
        if (!turn && err && err->code == EA_EXIT_USAGE) {
            /* Another endpoint's turn: left for an easel that talks to it. */
            char why[sizeof err->msg];
            ea_sanitize_copy(why, sizeof why, err->msg);
            fprintf(stderr, "easel: %s\n", why);
            *err = (ea_err){0};
            continue;
        }
        if (!turn) {
            rc = -1;
            break;
        }
        fprintf(stderr, "easel: resuming turn %d (response %s)\n", acc.turn, id);
        bool detached = false;
        while (!st.done) {
            /* Stopping the wait leaves the response running: it stays resumable. */
            if (resume_interrupted && !detached) {
                if (!ea_turn_detach(turn))
                    ea_turn_cancel(turn);
                detached = true;
            }
            if (ea_http_wait(http, NULL, 0, 100) != 0 && errno != EINTR)
                break;
            if (ea_http_process(http) != 0)
                break;
            ea_turn_poll(turn);
        }
        ea_turn_free(&turn);
        resumed++;
        if (worst && st.exit_code > *worst)
            *worst = st.exit_code;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    return rc == 0 ? resumed : -1;
}

bool ea_resume_pending(const char *name_or_id)
{
    ea_session *s = NULL;
    ea_err err = {0};
    if (ea_session_open(name_or_id, EA_SESSION_READ, &s, &err) != 0)
        return false;
    ea_audit_accepted acc;
    bool pending = ea_audit_resumable_turn(ea_session_audit(s), 0, &acc) != 0;
    ea_session_close(&s);
    return pending;
}

int ea_resume_named(const char *name_or_id, int *worst, ea_err *err)
{
    ea_config cfg;
    ea_config_init(&cfg);
    ea_backend backend = {0};
    ea_prices *prices = NULL;
    ea_session *session = NULL;
    ea_http *http = NULL;
    int rc = -1;
    if (ea_config_load(&cfg, err) != 0 || !(prices = ea_prices_load(err)) ||
        ea_session_open(name_or_id, EA_SESSION_WRITE, &session, err) != 0 ||
        ea_backend_open(&backend, &cfg, false, true, err) != 0)
        goto done;
    if (!(http = ea_http_new())) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    rc = ea_resume_session(session, http, &backend, prices, worst, err);
done:
    ea_http_free(&http);
    ea_session_close(&session);
    ea_backend_close(&backend);
    ea_prices_free(&prices);
    ea_config_free(&cfg);
    return rc;
}

const ea_command ea_command_resume = {
    "resume", "[SESSION]", "finish every background turn still running server-side",
    "Finish every background turn still running server-side: a Responses turn whose easel "
    "stopped (killed, a dropped link, SIGTERM) after the API accepted it is read to its end, its "
    "image saved and its result recorded with its cost. Without SESSION, every session that has "
    "one. The API keeps a background response about 10 minutes after it ends; one it no longer "
    "has is recorded as lost. Ctrl-C stops waiting and leaves the turn resumable.",
    "exit codes: 0 all finished (or none to finish), otherwise the worst of the turns'\n"
    "(see easel generate --help).\n",
    ea_cmd_resume, NULL, EA_VAL_SESSION, false,
};

int ea_cmd_resume(int argc, char **argv)
{
    const char *name = NULL;
    int first, rc = ea_opt_operands(&ea_command_resume, argc, argv, &first);
    if (rc != 0)
        return rc < 0 ? EA_EXIT_OK : rc;
    if (first < argc)
        name = argv[first];
    if (first + 1 < argc) {
        char shown[64];
        ea_sanitize_copy(shown, sizeof shown, argv[first + 1]);
        fprintf(stderr, "easel resume: unexpected argument '%s'\n", shown);
        return EA_EXIT_USAGE;
    }
    int worst = EA_EXIT_OK, resumed = 0;
    ea_err err = {0};
    if (name) {
        int n = ea_resume_named(name, &worst, &err);
        if (n < 0) {
            fprintf(stderr, "easel resume: %s\n", err.msg);
            return err.code ? err.code : EA_EXIT_INTERNAL;
        }
        resumed = n;
    } else {
        ea_session_lister *l = NULL;
        if (ea_session_lister_open(&l, &err) != 0) {
            fprintf(stderr, "easel resume: %s\n", err.msg);
            return err.code ? err.code : EA_EXIT_INTERNAL;
        }
        ea_session_info info;
        while (ea_session_lister_next(l, &info) == 1) {
            if (!ea_resume_pending(info.id))
                continue;
            ea_err one = {0};
            int n = ea_resume_named(info.id, &worst, &one);
            if (n < 0) {
                fprintf(stderr, "easel resume: %s: %s\n", info.id, one.msg);
                if ((one.code ? one.code : EA_EXIT_INTERNAL) > worst)
                    worst = one.code ? one.code : EA_EXIT_INTERNAL;
            } else {
                resumed += n;
            }
        }
        ea_session_lister_close(&l);
    }
    if (resumed == 0 && worst == EA_EXIT_OK)
        fprintf(stderr, "easel resume: no background turn to finish%s%s\n", name ? " in " : "",
                name ? "that session" : "");
    return worst;
}
