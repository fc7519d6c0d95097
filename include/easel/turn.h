/* SPDX-License-Identifier: MIT */
/* turn: one generation or edit, from its request record to its result record: sends it through
 * ea_http, parses the stream, saves each final image byte for byte before the record that
 * names it, and reports progress. It runs inside the caller's ea_http loop and never blocks:
 * image payloads (44 MB of base64 for a 4K frame) are decoded and saved by a thread of the
 * turn's own, which wakes the loop (ea_http_wakeup) when one is done. Callbacks all run on the
 * loop's thread, from ea_http_process or ea_turn_poll. */
#ifndef EASEL_TURN_H
#define EASEL_TURN_H

#include <stdbool.h>
#include <stddef.h>

#include "easel/api.h"
#include "easel/audit.h"
#include "easel/backend.h"
#include "easel/http.h"
#include "easel/params.h"
#include "easel/prices.h"
#include "easel/session.h"

enum ea_turn_phase {
    EA_PHASE_SENDING,    /* connecting and sending the request */
    EA_PHASE_WAITING,    /* sent; nothing back yet (the model may think for a minute) */
    EA_PHASE_GENERATING, /* events are arriving */
    EA_PHASE_DONE,
};

typedef struct ea_turn_progress {
    enum ea_turn_phase phase;
    long ms_elapsed;
    int partials, partials_expected; /* partials: of every image; expected: of each */
    /* images_expected 0: not known, a thinking turn's model making as many as it chooses. */
    int images_saved, images_expected;
    /* The image the stream is on (k of images/TURN-k.EXT; 0 before its first frame), and
     * the partial frames of it so far. */
    int image, image_partials;
    size_t bytes;
    int resumes;      /* a background turn's reads after its stream dropped (0: none) */
    int turn;         /* the turn's number in its session */
} ea_turn_progress;

/* One web search of a thinking turn, as far as it has gone: owned by the turn, borrowed by
 * callbacks. Strings never NULL; query "" until the API says it. From the network: sanitize
 * before showing. */
typedef struct ea_turn_search {
    char *id, *status, *query;
} ea_turn_search;

/* How a turn ended. Borrowed, valid during on_done only; strings never NULL. Strings from the
 * network (message, revised_prompt) must be sanitized before they reach a terminal. */
typedef struct ea_turn_outcome {
    int exit_code;                 /* enum ea_exit */
    enum ea_audit_status status;
    int turn;
    int http_status;               /* 0: no response */
    int attempts;
    const char *message;           /* why it failed, "" when it did not */
    const char *error_code;        /* the API's error code ("previous_response_not_found"), or "" */
    const char *request_id, *response_id, *revised_prompt;
    const ea_audit_image *images;  /* final images, saved; paths relative to session_dir */
    size_t n_images;
    /* Each image's own revised prompt (a response may call the image tool several times),
     * n_images of them, "" where none came. */
    const char *const *image_prompts;
    /* A thinking turn's reasoning summary ("" when none) and web searches. */
    const char *reasoning_summary;
    const ea_turn_search *searches;
    size_t n_searches;
    const char *partial_path;      /* an interrupted turn's last partial frame, or "" */
    /* Images (the partial frame among them) that images/ could not take: in the rescue
     * folder (path absolute), or lost (path ""); the turn then failed (EA_EXIT_INTERNAL). */
    const ea_audit_unsaved *unsaved;
    size_t n_unsaved;
    const char *session_dir;
    double estimate_usd, cost_usd; /* NAN when unknown */
    int partials;
    /* A background turn left running server-side (ea_turn_detach, or reads that failed for
     * ten minutes): no result record was written; `easel resume` finishes it. */
    bool resumable;
} ea_turn_outcome;

typedef struct ea_turn_callbacks {
    void (*on_progress)(void *ctx, const ea_turn_progress *p);
    /* A partial frame's file bytes (png, jpeg or webp), borrowed during the call. */
    void (*on_partial)(void *ctx, int index, const unsigned char *bytes, size_t n);
    void (*on_image)(void *ctx, const ea_audit_image *image, const char *session_dir);
    void (*on_retry)(void *ctx, const ea_http_retry *retry);
    void (*on_done)(void *ctx, const ea_turn_outcome *outcome);
    /* A thinking turn's reasoning summary grew (summary: all of it so far, delta: what was
     * added), and a web search began or moved on. Both may be NULL. */
    void (*on_reasoning)(void *ctx, const char *summary, const char *delta);
    void (*on_search)(void *ctx, const ea_turn_search *search);
} ea_turn_callbacks;

typedef struct ea_turn_spec {
    const ea_params *params;    /* resolved */
    const ea_backend *backend;
    ea_session *session;        /* opened to write */
    const ea_prices *prices;
    int from_turn;              /* branch from this turn; 0: continue from the newest */
    /* A Responses turn that starts a new conversation instead of continuing the session's
     * (no previous_response_id): a fresh start, or the way on when the API no longer has
     * the conversation (EA_ERROR_CHAIN_GONE). */
    bool new_conversation;
} ea_turn_spec;

/* The API's error code when the response a turn continues from is gone (OpenAI keeps a
 * response for 30 days, and none made with store false). */
#define EA_ERROR_CHAIN_GONE "previous_response_not_found"

typedef struct ea_turn ea_turn;

/* What the turn's request will chain (previous_response_id): on the Responses API the --from
 * turn's response, else the session's newest, unless new_conversation; NULL when none.
 * Borrowed from the session. -1 with err (EA_EXIT_USAGE) when --from names a turn without a
 * response. What `--dry-run` shows and ea_turn_start sends, from the same code. */
int ea_turn_previous_response(const ea_turn_spec *spec, const char **out, ea_err *err);
/* The estimate of a request: ea_prices_estimate, plus the input images it sends. */
void ea_turn_estimate(const ea_prices *prices, const ea_params *params, const ea_request *req,
                      ea_estimate *out);

/* Writes the request record and starts sending. NULL with err set when nothing was sent
 * (bad input file, unknown --from turn, the log could not be written).
 *
 * A streamed Responses turn with params->background_mode is a background turn (protocol.md
 * section 13): response.created writes the accepted record; when the stream drops it is read
 * on with GET /responses/{id}?stream=true&starting_after=N (backoff 0.25 s doubling to 8 s,
 * for up to ten minutes of failures), or polled when a stream ended without a last word; a
 * resume is a read, never a second POST. A response that stays queued past the bound
 * (backend->queued_timeout_ms, else EA_TURN_QUEUED_TIMEOUT_MS) is cancelled server-side and
 * recorded failed (error code queued_timeout); one the API no longer has (404 on a read) is
 * recorded interrupted with error code response_lost. */
ea_turn *ea_turn_start(ea_http *http, const ea_turn_spec *spec, const ea_turn_callbacks *cb,
                       void *ctx, ea_err *err);
#define EA_TURN_QUEUED_TIMEOUT_MS 180000
/* Reads on a background turn that a stopped process left accepted without a result (the
 * request record is not written again): from the accepted sequence_number, so the partial
 * frames come again; then saves the image and writes the result with its cost. spec->params
 * is ignored: the request record's are used. NULL with EA_EXIT_USAGE, and nothing done, when
 * spec->backend is not the endpoint the turn was sent to (the turn stays resumable). */
ea_turn *ea_turn_resume(ea_http *http, const ea_turn_spec *spec, const ea_audit_accepted *acc,
                        const ea_turn_callbacks *cb, void *ctx, ea_err *err);
/* The result record says cancelled; on_done follows from the loop. A save under way is waited
 * for then (its image is kept and listed). A background turn is cancelled server-side too
 * (POST /responses/{id}/cancel) before on_done, so that it stops costing. */
void ea_turn_cancel(ea_turn *t);
/* As ea_turn_cancel, for a process being stopped from outside rather than by the user (by:
 * "SIGTERM", "SIGHUP", "a closed stdout"): the result record says interrupted, with by in its
 * error, and the exit code is EA_EXIT_INTERRUPTED; a turn whose every image was saved is
 * completed all the same. */
void ea_turn_interrupt(ea_turn *t, const char *by);
/* Leaves an accepted background turn running server-side: the stream is closed, no result
 * is written, and on_done says so (resumable, exit 5). False, and nothing done, when the
 * turn is not one that can finish unattended (not accepted, or its image is in already). */
bool ea_turn_detach(ea_turn *t);
/* Takes what the saving thread finished: on_partial, on_image, and on_done once the request is
 * over and nothing is left to save. Call it after every ea_http_process until the turn is
 * finished: the request may end while a final image is still being saved, and then nothing but
 * this call finishes the turn. */
void ea_turn_poll(ea_turn *t);
/* Also where a background turn queued past its bound is cancelled: call it at least every
 * few hundred milliseconds while a turn runs. */
/* ea_turn_poll after waiting for every save under way. For shutting down: the saving thread
 * wakes the turn's ea_http, so settle a turn (or free it) before that ea_http goes. */
void ea_turn_settle(ea_turn *t);
bool ea_turn_finished(const ea_turn *t);
/* Waits for the saves under way. A turn freed before it finished writes no result record. */
void ea_turn_free(ea_turn **t);

#endif
