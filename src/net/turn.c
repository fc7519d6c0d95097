/* SPDX-License-Identifier: MIT */
#include "easel/turn.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "easel/api.h"
#include "easel/events.h"
#include "easel/pictures.h"
#include "easel/sse.h"

/* One streamed event carries at most one image as base64: 3840x2160 RGBA as an uncompressed
 * PNG is 33 MB, 44 MB in base64; the Responses API repeats it in response.completed. */
#define MAX_EVENT_BYTES ((size_t)96 << 20)
#define MAX_LINE_BYTES MAX_EVENT_BYTES
#define MAX_IMAGE_BYTES ((size_t)64 << 20)
#define MAX_BODY_BYTES ((size_t)256 << 20)
#define MAX_IMAGES 10
/* A thinking turn's summary and searches: bounded like every buffer (the log moves a long
 * summary to a side file). */
#define MAX_REASONING_BYTES ((size_t)1 << 20)
#define MAX_SEARCHES 32

/* ---- The saver: image payloads are decoded, and final images saved, off the loop's thread --
 *
 * A 3840x2160 final image is 44 MB of base64 in one event. Decoding it, hashing it and writing
 * it with two fsyncs takes 100 to 200 ms: done in the SSE callback, that stalls the loop that
 * also reads the keyboard. So each image-bearing event's text is handed to the turn's saver
 * thread instead: taken from the SSE parser (ea_sse_take_data) or the body buffer, never copied,
 * with the base64 span that events.c left in place. The saver decodes that span in place, so
 * an image is in memory once, as its event's text; it runs the jobs one at a time in arrival
 * order, so final images are numbered as they came.
 *
 * Finished jobs wait on a list until the loop's thread collects them (ea_turn_poll, or the next
 * event): only that thread touches the turn's own fields, calls back, or writes the audit log.
 * The saver reaches the session through ea_session_keep_image alone, which writes a new file in
 * images/ (or, when images/ refuses it, in the rescue folder) and reads the turn's request
 * record, a record nothing rewrites while the turn runs.
 *
 * The log's order (design.md section 3) holds because the result record waits: it is written
 * by finish_turn once the request is over AND every job was collected, so every image it names
 * is on disk, fsynced and renamed, before it. */

enum job_kind {
    JOB_PARTIAL, /* decode: the loop keeps it as the newest frame and shows it */
    JOB_FINAL,   /* decode, save into images/, probe its size */
};

typedef struct save_job {
    struct save_job *next;
    enum job_kind kind;
    /* In: set on the loop's thread before the job is queued. */
    char *text;         /* owned: the text b64 lies in; NULL when a later job owns the same
                           text (jobs run in order, so it outlives this one). A partial frame's
                           job always owns its text: one image per event */
    char *b64;          /* into text, ours to overwrite: decoded in place */
    size_t b64_len;
    char output_format[16]; /* as the event said; used when the bytes do not tell */
    int index;          /* JOB_PARTIAL: partial_image_index; JOB_FINAL: k of images/TURN-k.EXT */
    int image;          /* the k of the image it is of (a partial frame: the next final's) */
    long ms_arrived;
    /* Out: set by the saver. */
    unsigned char *bytes; /* owned: JOB_PARTIAL's decoded frame (its text, reused) */
    size_t n;
    const char *ext;    /* the file's extension: static, or output_format when the bytes do
                           not say */
    ea_audit_image saved; /* JOB_FINAL */
    bool unsaved;         /* JOB_FINAL: images/ refused it; `rescued` says where it went */
    ea_audit_unsaved rescued;
    const char *failed; /* NULL, or what went wrong (err says why), as exit code fail_code */
    int fail_code;
    ea_err err;
} save_job;

/* A FIFO of jobs, linked through next. */
typedef struct job_list {
    save_job *head, **tail;
} job_list;

struct ea_turn {
    ea_turn_spec spec;
    ea_turn_callbacks cb;
    void *ctx;
    ea_http *http; /* woken by the saver when it finished a job */
    ea_request req;
    char url[2304];
    ea_http_req *http_req;
    ea_sse *sse;
    ea_buf body;              /* a non-streamed body, or an error body */
    struct timespec started;
    int turn;
    int http_status;
    int attempts;
    bool streaming;
    bool finished;
    /* The request is over (ea_http's on_done came); what finish_turn needs of its result. */
    bool request_over;
    enum ea_http_outcome outcome;
    ea_err request_err;
    long ms_first_byte;
    char request_id[256];
    char *response_id, *revised_prompt, *image_call_id;
    ea_audit_image images[MAX_IMAGES]; /* saved, in the order they came */
    size_t n_images;
    int images_queued; /* final images given to the saver: the last one's k */
    unsigned char *last_partial; /* owned: the newest partial frame's file bytes */
    size_t last_partial_len;
    char last_partial_format[8];
    int partials;
    int image, image_partials; /* the image the stream is on, and its partial frames */
    long ms_first_partial;
    char partial_path[64];
    /* Paid images images/ could not take: rescued copies, or what was lost. The last
     * partial frame may be one of them, hence the extra slot. */
    ea_audit_unsaved unsaved[MAX_IMAGES + 1];
    size_t n_unsaved;
    /* Set by ea_turn_interrupt: the process is being stopped, and this says by what. */
    char interrupted_by[64];
    ea_meters meters;
    long total_tokens, tool_total_tokens;
    /* The first failure; its code is the exit code. */
    bool failed;
    ea_err failure;
    ea_audit_error api_error;
    char *error_type, *error_code, *error_message, *error_param;
    size_t bytes;
    json_t *retries; /* owned: one object per attempt that was retried */
    int events;      /* complete events received */

    /* Background mode (protocol.md section 13): the response outlives the connection. The
     * turn keeps its id and the newest sequence_number, and when a stream drops reads on with
     * GET (resume, or a poll) until the response is terminal; never a second POST. */
    bool background;       /* sent with background: true (or resumed: it was) */
    bool accepted;         /* the accepted record is written: the turn is resumable */
    bool terminal;         /* the response said it is over (completed, failed, ...) */
    long last_seq;         /* the newest sequence_number seen; -1: none */
    bool queued;           /* the response said queued and has not started yet */
    long ms_queued;        /* when it first said queued */
    long queued_timeout_ms;
    bool stuck_queued;     /* queued past the bound: cancelled, recorded failed */
    bool user_cancelled;
    bool detached;         /* left running server-side: no result record (easel resume) */
    bool polling;          /* the request under way is a poll (GET without stream) */
    int reads;             /* GETs sent: the events read, a resume or a poll */
    int resumes;           /* of them, reads after a drop (or of a turn from the log) */
    int resume_failures;   /* in a row: the backoff */
    long ms_dropped;       /* when the newest run of failed reads began; -1: none */
    int events_at_start;   /* events when the newest read began */
    bool lost;             /* the API no longer has the response */
    ea_http_req *cancel_req; /* POST /responses/{id}/cancel under way */
    char cancel_note[320]; /* what the server-side cancel did */
    bool cancelled_server_side;
    ea_params *own_params; /* a turn resumed from the log: its parameters, rebuilt */

    /* Thinking turns (protocol.md 15): the reasoning summary as streamed, the web searches as
     * they went, and what each image call said of its own image. */
    ea_buf reasoning;
    size_t reasoning_part;  /* where the newest summary part begins in reasoning */
    ea_turn_search searches[MAX_SEARCHES];
    size_t n_searches;
    struct {
        char *call_id, *revised_prompt;
        long output_index;
    } calls[MAX_IMAGES];    /* by k - 1 of images/TURN-k.EXT */
    int image_k[MAX_IMAGES]; /* images[i] is images/TURN-k.EXT with k = image_k[i] */

    /* The saver. lock guards todo, done and saver_stop; the rest is the loop thread's. */
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a job was queued, or saver_stop was set */
    job_list todo, done;  /* owned jobs: waiting for the saver; waiting for the loop */
    bool saver_stop;      /* run what is queued, then exit */
    bool saver_running;   /* the thread exists and has not been joined */
    pthread_t saver;
    int jobs_out;         /* queued and not yet collected by the loop */
};

static long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

static void replace(char **field, const char *value)
{
    if (!value || !*value)
        return;
    free(*field);
    *field = strdup(value);
}

static void report_progress(ea_turn *t, enum ea_turn_phase phase)
{
    if (!t->cb.on_progress)
        return;
    /* A thinking turn makes as many images as its model chooses: not known till its end. */
    const ea_params *params = t->spec.params;
    int expected = ea_params_images_max(params) > ea_params_count(params) ? 0
                                                                        : ea_params_count(params);
    ea_turn_progress p = {phase, ms_since(&t->started), t->partials, ea_params_partials(params),
                          (int)t->n_images, expected, t->image, t->image_partials, t->bytes,
                          t->resumes, t->turn};
    t->cb.on_progress(t->ctx, &p);
}

/* Only the first failure counts: it is the cause, what follows is fallout. */
static void fail(ea_turn *t, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(ea_turn *t, int code, const char *fmt, ...)
{
    if (t->failed)
        return;
    t->failed = true;
    t->failure.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->failure.msg, sizeof t->failure.msg, fmt, ap);
    va_end(ap);
}

/* An API error (a body or an event) becomes the turn's failure, its fields kept for the log.
 * A refusal (moderation, an invalid request) is the caller's to fix: exit 3; else the
 * server failed: exit 4. */
static void fail_with_api_error(ea_turn *t, const ea_event_error *e, int http_status)
{
    replace(&t->error_type, e->type);
    replace(&t->error_code, e->code);
    replace(&t->error_message, e->message);
    replace(&t->error_param, e->param);
    bool refused = (http_status >= 400 && http_status < 500) || *e->filtered ||
                   strstr(e->code, "moderation") || strstr(e->code, "policy") ||
                   strstr(e->code, "invalid") || strstr(e->type, "invalid_request") ||
                   strstr(e->type, "user_error");
    if (http_status >= 500 || strcmp(e->code, "rate_limit_exceeded") == 0 ||
        strcmp(e->code, "server_error") == 0)
        refused = false;
    const char *text = *e->message ? e->message : (*e->code ? e->code : "the API reported an error");
    /* Azure's content filter is its moderation block: said so, with what it filtered. */
    if (*e->filtered)
        fail(t, EA_EXIT_REFUSED, "%s (blocked by Azure's content filter: %s)", text, e->filtered);
    else
        fail(t, refused ? EA_EXIT_REFUSED : EA_EXIT_NETWORK, "%s", text);
}

static const char *extension_for(const char *format, const unsigned char *bytes, size_t n)
{
    const char *sniffed = ea_picture_sniff(bytes, n);
    if (sniffed)
        return sniffed;
    return *format ? format : "png";
}

static void job_free(save_job *job)
{
    free(job->text);
    free(job->bytes);
    free(job);
}

static void job_list_init(job_list *l)
{
    l->head = NULL;
    l->tail = &l->head;
}

static void job_list_push(job_list *l, save_job *job)
{
    job->next = NULL;
    *l->tail = job;
    l->tail = &job->next;
}

/* Takes the whole list. */
static save_job *job_list_take(job_list *l)
{
    save_job *all = l->head;
    job_list_init(l);
    return all;
}

static void job_chain_free(save_job *job)
{
    while (job) {
        save_job *next = job->next;
        job_free(job);
        job = next;
    }
}

/* Moves the decoded bytes to the start of the job's own text and gives back the rest of it:
 * a 4K frame's 44 MB become 33 MB, which matters while the next event (the Responses API's
 * response.completed repeats the image) fills a buffer of its own. Returns the bytes, now
 * owned by the caller in place of job->text. */
static unsigned char *compact(save_job *job, unsigned char *bytes, size_t n)
{
    unsigned char *moved = memmove(job->text, bytes, n);
    unsigned char *shrunk = realloc(moved, n ? n : 1);
    job->text = NULL;
    return shrunk ? shrunk : moved;
}

/* Width and height from the image's header, into the record ea_session_keep_image filled (kept
 * is what it returned): the one in images/, or the rescued or lost one. */
static void probe_kept(const unsigned char *bytes, size_t n, int kept, ea_audit_image *saved,
                       ea_audit_unsaved *unsaved)
{
    int *width = kept ? &unsaved->width : &saved->width;
    int *height = kept ? &unsaved->height : &saved->height;
    const char *format;
    if (ea_picture_probe(bytes, n, &format, width, height, NULL) != 0)
        *width = *height = 0;
}

/* The saver's half of a job. It touches nothing of the turn's: the job, and for a final
 * image the session's images/ folder. */
static void run_job(save_job *job, ea_session *session, int turn)
{
    unsigned char *bytes;
    size_t n;
    if (ea_base64_decode_in_place(job->b64, job->b64_len, MAX_IMAGE_BYTES, &bytes, &n,
                                  &job->err) != 0) {
        job->failed = job->kind == JOB_FINAL ? "the final image is not valid base64"
                                             : "a partial frame is not valid base64";
        job->fail_code = EA_EXIT_NETWORK;
    } else if (job->kind == JOB_PARTIAL) {
        /* Kept by the loop: its text becomes the frame. */
        job->ext = extension_for(job->output_format, bytes, n);
        job->bytes = compact(job, bytes, n);
        job->n = n;
    } else {
        /* The text's quarter of spent base64 goes back before the slow save; a text that
         * later jobs share stays whole. */
        unsigned char *compacted = job->text ? compact(job, bytes, n) : NULL;
        if (compacted)
            bytes = compacted;
        job->ext = extension_for(job->output_format, bytes, n);
        int kept = ea_session_keep_image(session, turn, job->index, job->ext, bytes, n,
                                         &job->saved, &job->rescued, &job->err);
        job->unsaved = kept != 0;
        if (kept < 0) {
            job->failed = "could not save the image";
            job->fail_code = EA_EXIT_INTERNAL;
        }
        probe_kept(bytes, n, kept, &job->saved, &job->rescued);
        free(compacted);
    }
    /* Spent: the image is saved, or is the frame's now. */
    free(job->text);
    job->text = NULL;
    job->b64 = NULL;
}

static void *saver_main(void *arg)
{
    ea_turn *t = arg;
    pthread_mutex_lock(&t->lock);
    for (;;) {
        while (!t->todo.head && !t->saver_stop)
            pthread_cond_wait(&t->work, &t->lock);
        save_job *job = t->todo.head;
        if (!job)
            break; /* stopping, and nothing is left */
        t->todo.head = job->next;
        if (!t->todo.head)
            t->todo.tail = &t->todo.head;
        pthread_mutex_unlock(&t->lock);
        run_job(job, t->spec.session, t->turn);
        pthread_mutex_lock(&t->lock);
        job_list_push(&t->done, job);
        ea_http_wakeup(t->http);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

/* Runs what is queued, then joins the thread. Afterwards the saver touches nothing (not even
 * the ea_http it wakes) until the next job starts it again. */
static void stop_saver(ea_turn *t)
{
    if (!t->saver_running)
        return;
    pthread_mutex_lock(&t->lock);
    t->saver_stop = true;
    pthread_cond_signal(&t->work);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->saver, NULL);
    t->saver_running = false;
}

/* 0, or -1 when no thread could be started. */
static int start_saver(ea_turn *t)
{
    if (t->saver_running)
        return 0;
    t->saver_stop = false; /* no other thread reads it now */
    if (pthread_create(&t->saver, NULL, saver_main, t) != 0)
        return -1;
    t->saver_running = true;
    return 0;
}

/* Where the JSON being handled lives: a final image's base64 leaves with it. NULL when out of
 * memory. */
typedef char *(*text_taker)(ea_turn *t);

static char *take_event_text(ea_turn *t)
{
    size_t len;
    return ea_sse_take_data(t->sse, &len);
}

static char *take_body_text(ea_turn *t)
{
    return ea_buf_steal(&t->body, NULL);
}

/* Gives images[from..from+n) of ev that have a payload to the saver, as jobs of one kind. Each
 * base64 stays where it is: an image that events.c had to unescape takes that copy along; the
 * others share the event's text, which goes with the last of them. 0, or -1 on a failure
 * (recorded) that should stop the stream. */
static int queue_images(ea_turn *t, ea_event *ev, size_t from, size_t n, enum job_kind kind,
                        text_taker take_text)
{
    save_job *jobs[MAX_IMAGES];
    size_t n_jobs = 0;
    save_job *text_owner = NULL;
    for (size_t i = from; i < from + n && i < ev->n_images; i++) {
        ea_event_image *img = &ev->images[i];
        if (img->b64_len == 0 || n_jobs == MAX_IMAGES ||
            (kind == JOB_FINAL && t->images_queued + (int)n_jobs >= MAX_IMAGES))
            continue;
        save_job *job = calloc(1, sizeof *job);
        if (!job)
            break;
        job->kind = kind;
        job->b64 = (char *)img->b64; /* const to the event; the text is ours once taken */
        job->b64_len = img->b64_len;
        snprintf(job->output_format, sizeof job->output_format, "%s", img->output_format);
        job->index = kind == JOB_FINAL ? t->images_queued + (int)n_jobs + 1 : img->partial_index;
        job->image = t->images_queued + (int)n_jobs + 1;
        if (img->b64_unescaped) {
            job->text = img->b64_unescaped; /* b64 points into it */
            img->b64_unescaped = NULL;
        } else {
            text_owner = job;
        }
        jobs[n_jobs++] = job;
    }
    if (n_jobs == 0)
        return 0;
    const char *why = NULL;
    if (text_owner && !(text_owner->text = take_text(t)))
        why = "out of memory taking the image";
    else if (start_saver(t) != 0)
        why = "could not start a thread to decode the image";
    if (why) {
        for (size_t i = 0; i < n_jobs; i++)
            job_free(jobs[i]);
        if (kind == JOB_PARTIAL)
            return 0; /* a preview is not worth failing a paid turn over */
        fail(t, EA_EXIT_INTERNAL, "%s", why);
        return -1;
    }
    long now = ms_since(&t->started);
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < n_jobs; i++) {
        jobs[i]->ms_arrived = now;
        job_list_push(&t->todo, jobs[i]);
    }
    pthread_cond_signal(&t->work);
    pthread_mutex_unlock(&t->lock);
    t->jobs_out += (int)n_jobs;
    if (kind == JOB_FINAL)
        t->images_queued += (int)n_jobs;
    return 0;
}

/* The loop's half of a partial frame: the newest is kept (for on_done's partial_path) and
 * shown; a broken one is dropped, as a preview is not worth failing a paid turn over. */
static bool collect_partial(ea_turn *t, save_job *job)
{
    if (job->failed)
        return false;
    if (t->partials == 0)
        t->ms_first_partial = job->ms_arrived;
    t->partials++;
    if (job->image != t->image)
        t->image_partials = 0;
    t->image = job->image;
    t->image_partials++;
    free(t->last_partial);
    t->last_partial = job->bytes;
    t->last_partial_len = job->n;
    job->bytes = NULL;
    snprintf(t->last_partial_format, sizeof t->last_partial_format, "%s", job->ext);
    return true;
}

/* Keeps the account of an image images/ did not take; a lost one fails the turn, naming
 * exactly what was lost. A rescued one does not stop the stream: the images after it may
 * still be saved, and the turn fails at its end (finish_turn) with the paths. */
static void note_unsaved(ea_turn *t, const ea_audit_unsaved *u, int k)
{
    if (t->n_unsaved == sizeof t->unsaved / sizeof t->unsaved[0])
        return;
    t->unsaved[t->n_unsaved++] = *u;
    if (*u->path)
        return;
    char what[32];
    if (k == 0)
        snprintf(what, sizeof what, "the last partial frame");
    else
        snprintf(what, sizeof what, "image %d", k);
    fail(t, EA_EXIT_INTERNAL, "lost %s of turn %d: %llu bytes, sha256 %s, response %s (%s)",
         what, t->turn, (unsigned long long)u->bytes, u->sha256,
         t->response_id ? t->response_id : "unknown", u->reason);
}

static void collect_final(ea_turn *t, save_job *job)
{
    if (job->image != t->image)
        t->image_partials = 0;
    t->image = job->image;
    if (job->unsaved) {
        note_unsaved(t, &job->rescued, job->index);
        return;
    }
    if (job->failed) {
        fail(t, job->fail_code, "%s: %s", job->failed, job->err.msg);
        return;
    }
    t->image_k[t->n_images] = job->index;
    ea_audit_image *saved = &t->images[t->n_images++];
    *saved = job->saved;
    if (t->cb.on_image)
        t->cb.on_image(t->ctx, saved, ea_session_dir(t->spec.session));
}

static void show_partial(ea_turn *t, int index)
{
    /* First the progress, so that the frame is known as the image it is of. */
    if (!t->finished)
        report_progress(t, EA_PHASE_GENERATING);
    if (t->cb.on_partial)
        t->cb.on_partial(t->ctx, index, t->last_partial, t->last_partial_len);
}

/* Takes what the saver finished, in arrival order. Of several partial frames finished at once
 * only the newest is shown (it would replace the others at once), and always before a final
 * image that came after it, so a frame never covers the picture it led to. */
static void collect_jobs(ea_turn *t)
{
    if (t->jobs_out == 0)
        return;
    pthread_mutex_lock(&t->lock);
    save_job *done = job_list_take(&t->done);
    pthread_mutex_unlock(&t->lock);
    if (!done)
        return;
    int unshown = -1; /* the index of a partial frame collected and not shown yet */
    for (save_job *job = done; job; job = job->next) {
        t->jobs_out--;
        if (job->kind == JOB_FINAL) {
            if (unshown >= 0)
                show_partial(t, unshown);
            unshown = -1;
            collect_final(t, job);
        } else if (collect_partial(t, job)) {
            unshown = job->index;
        }
    }
    job_chain_free(done);
    if (unshown >= 0)
        show_partial(t, unshown);
    if (!t->finished)
        report_progress(t, EA_PHASE_GENERATING);
}

static void take_usage(ea_turn *t, const ea_event *ev)
{
    if (ev->has_usage) {
        t->meters.has_usage = true;
        t->meters.usage = ev->usage;
        t->total_tokens = ev->total_tokens;
    }
    if (ev->has_tool_usage) {
        t->meters.has_tool_usage = true;
        t->meters.tool_usage = ev->tool_usage;
        t->meters.web_searches = ev->web_searches;
        t->tool_total_tokens = ev->tool_total_tokens;
    }
}

/* The response's status as an event tells it. The first word of a background response (the
 * POST's answer, or response.created on a stream) makes the turn resumable: the accepted
 * record is on disk before anything else is read. */
static void note_status(ea_turn *t, const ea_event *ev)
{
    bool queued = strcmp(ev->response_status, "queued") == 0;
    if (queued && !t->queued)
        t->ms_queued = ms_since(&t->started);
    t->queued = queued;
    if (!t->background || t->accepted || !t->response_id)
        return;
    ea_err err = {0};
    if (ea_session_accept_turn(t->spec.session, t->turn, t->response_id,
                               ev->sequence_number, &err) == 0)
        t->accepted = true;
    /* Not written: the turn goes on as one that cannot be resumed after a crash. */
}

/* The call that final image k (images/TURN-k.EXT) comes from, k from 1. */
static void note_call(ea_turn *t, int k, const ea_event_image *img, long output_index)
{
    if (k < 1 || k > MAX_IMAGES)
        return;
    replace(&t->calls[k - 1].call_id, img->call_id);
    replace(&t->calls[k - 1].revised_prompt, img->revised_prompt);
    t->calls[k - 1].output_index = output_index;
}

/* As replace, but "" is kept too: a search's fields are never NULL. */
static void keep_text(char **field, const char *value)
{
    char *copy = strdup(value ? value : "");
    if (!copy)
        return;
    free(*field);
    *field = copy;
}

/* Searches begin and move on: each is kept by id, in the order they began, and shown. */
static void note_searches(ea_turn *t, const ea_event *ev)
{
    for (size_t i = 0; i < ev->n_searches; i++) {
        const ea_event_search *s = &ev->searches[i];
        size_t k = 0;
        while (k < t->n_searches && strcmp(t->searches[k].id, s->id) != 0)
            k++;
        if (k == t->n_searches) {
            if (k == MAX_SEARCHES)
                continue;
            t->n_searches++;
            keep_text(&t->searches[k].id, s->id);
            keep_text(&t->searches[k].query, "");
        }
        ea_turn_search *kept = &t->searches[k];
        bool news = !kept->status;
        if (*s->status && (!kept->status || strcmp(kept->status, s->status) != 0)) {
            keep_text(&kept->status, s->status);
            news = true;
        }
        if (*s->query && (!kept->query || strcmp(kept->query, s->query) != 0)) {
            keep_text(&kept->query, s->query);
            news = true;
        }
        if (!kept->status)
            keep_text(&kept->status, "");
        /* Told when it moved on; a repeat (response.completed lists it again) is not. */
        if (news && kept->id && kept->status && kept->query && t->cb.on_search)
            t->cb.on_search(t->ctx, kept);
    }
}

/* The summary streams as deltas, part by part; a part's done event carries the whole part,
 * which replaces what its deltas made (the same text, unless a delta was lost). */
static void note_reasoning(ea_turn *t, const ea_event *ev)
{
    ea_buf *r = &t->reasoning;
    const char *delta = ev->text;
    if (ev->kind == EA_EV_REASONING_PART) {
        if (r->len)
            ea_buf_puts(r, "\n\n");
        t->reasoning_part = r->len;
        delta = r->len ? "\n\n" : "";
    } else if (ev->kind == EA_EV_REASONING_DONE) {
        const char *part = r->data ? r->data + t->reasoning_part : "";
        if (strcmp(part, ev->text) == 0)
            return;
        if (r->data) {
            r->len = t->reasoning_part;
            r->data[r->len] = '\0';
        }
        delta = ev->text;
    }
    if (ea_buf_puts(r, delta) != 0)
        return; /* past the bound: the rest of the summary is not kept */
    if (t->cb.on_reasoning && r->data)
        t->cb.on_reasoning(t->ctx, r->data, delta);
}

/* One decoded event; take_text hands over the text it was decoded from. Returns non-zero to
 * stop reading the stream. */
static int handle_event(ea_turn *t, ea_event *ev, text_taker take_text)
{
    switch (ev->kind) {
    case EA_EV_PARTIAL_IMAGE:
        queue_images(t, ev, 0, 1, JOB_PARTIAL, take_text);
        break;
    case EA_EV_IMAGE_COMPLETED:
        take_usage(t, ev);
        if (queue_images(t, ev, 0, ev->n_images, JOB_FINAL, take_text) != 0)
            return 1;
        break;
    case EA_EV_OUTPUT_ITEM_DONE:
        note_searches(t, ev);
        if (ev->n_images && ev->images[0].b64_len) {
            replace(&t->revised_prompt, ev->images[0].revised_prompt);
            replace(&t->image_call_id, ev->images[0].call_id);
            note_call(t, t->images_queued + 1, &ev->images[0], ev->output_index);
            if (queue_images(t, ev, 0, 1, JOB_FINAL, take_text) != 0)
                return 1;
        }
        break;
    case EA_EV_OUTPUT_ITEM_ADDED:
    case EA_EV_WEB_SEARCH:
        note_searches(t, ev);
        break;
    case EA_EV_REASONING_PART:
    case EA_EV_REASONING_DELTA:
    case EA_EV_REASONING_DONE:
        note_reasoning(t, ev);
        break;
    case EA_EV_RESPONSE_CREATED:
    case EA_EV_RESPONSE_IN_PROGRESS:
        replace(&t->response_id, ev->response_id);
        note_status(t, ev);
        break;
    case EA_EV_RESPONSE_COMPLETED:
        t->terminal = true;
        replace(&t->response_id, ev->response_id);
        take_usage(t, ev);
        note_searches(t, ev);
        /* A poll or a non-streamed body brings the summary only here. */
        if (t->reasoning.len == 0 && *ev->text)
            ea_buf_puts(&t->reasoning, ev->text);
        /* A non-streamed Responses body carries the images only here; a stream has sent
         * them already in output_item.done (perhaps not saved yet), and repeats them. */
        if (t->images_queued > 0)
            return 0;
        for (size_t i = 0, k = 1; i < ev->n_images; i++) {
            replace(&t->revised_prompt, ev->images[i].revised_prompt);
            replace(&t->image_call_id, ev->images[i].call_id);
            if (ev->images[i].b64_len)
                note_call(t, (int)k++, &ev->images[i], -1);
        }
        return queue_images(t, ev, 0, ev->n_images, JOB_FINAL, take_text) != 0;
    case EA_EV_RESPONSE_FAILED:
    case EA_EV_ERROR:
        t->terminal = true;
        fail_with_api_error(t, &ev->error, 0);
        return 1;
    case EA_EV_RESPONSE_INCOMPLETE:
        t->terminal = true;
        fail(t, EA_EXIT_NETWORK, "the response is incomplete: %s",
             *ev->incomplete_reason ? ev->incomplete_reason : "no reason given");
        return 1;
    default:
        break;
    }
    return 0;
}

static int on_sse_event(void *ctx, const char *name, const char *data, size_t len)
{
    ea_turn *t = ctx;
    collect_jobs(t);
    if (t->failed)
        return 1; /* a final image could not be saved: the rest of the stream is no use */
    ea_err err = {0};
    ea_event *ev = ea_event_parse(name, data, len, &err);
    if (!ev) {
        fail(t, EA_EXIT_NETWORK, "the server sent a broken event: %s", err.msg);
        return 1;
    }
    if (ev->sequence_number >= 0) {
        /* A resume starts after last_seq; an event seen already is never handled twice. */
        if (ev->sequence_number <= t->last_seq) {
            ea_event_free(&ev);
            return 0;
        }
        t->last_seq = ev->sequence_number;
    }
    t->events++;
    int stop = handle_event(t, ev, take_event_text);
    ea_event_free(&ev);
    report_progress(t, EA_PHASE_GENERATING);
    return stop;
}

static int on_head(void *ctx, const ea_http_head *head)
{
    ea_turn *t = ctx;
    t->http_status = head->status;
    /* The POST's request id is the turn's; a resume's GET only reads it. */
    if (t->reads == 0 || !*t->request_id)
        snprintf(t->request_id, sizeof t->request_id, "%s", head->request_id);
    t->streaming = head->status >= 200 && head->status < 300 &&
                   strncmp(head->content_type, "text/event-stream", 17) == 0;
    report_progress(t, EA_PHASE_GENERATING);
    return 0;
}

static int on_body(void *ctx, const char *bytes, size_t n)
{
    ea_turn *t = ctx;
    t->bytes += n;
    if (!t->streaming)
        return ea_buf_append(&t->body, bytes, n);
    ea_err err = {0};
    int rc = ea_sse_feed(t->sse, bytes, n, &err);
    if (rc < 0)
        fail(t, EA_EXIT_NETWORK, "%s", err.msg);
    /* Stop the transfer once the stream failed or said it is over. */
    return rc != 0 || t->failed;
}

static void on_retry(void *ctx, const ea_http_retry *retry)
{
    ea_turn *t = ctx;
    json_array_append_new(t->retries,
                          json_pack("{s:i, s:s, s:i, s:s?}", "http_status", retry->head->status,
                                    "reason", retry->reason, "delay_ms", retry->delay_ms,
                                    "request_id",
                                    *retry->head->request_id ? retry->head->request_id : NULL));
    if (t->cb.on_retry)
        t->cb.on_retry(t->ctx, retry);
}

static void finish_body(ea_turn *t)
{
    ea_err err = {0};
    ea_event *ev = ea_event_parse_body(t->body.data ? t->body.data : "", t->body.len, &err);
    if (!ev) {
        if (t->http_status >= 400)
            fail(t, t->http_status < 500 ? EA_EXIT_REFUSED : EA_EXIT_NETWORK, "%s",
                 "the API refused the request with a body easel cannot read");
        else
            fail(t, EA_EXIT_NETWORK, "the server sent a broken body: %s", err.msg);
        return;
    }
    if (t->http_status >= 400) {
        if (ev->has_error)
            fail_with_api_error(t, &ev->error, t->http_status);
        else
            fail(t, t->http_status < 500 ? EA_EXIT_REFUSED : EA_EXIT_NETWORK, "HTTP status %d",
                 t->http_status);
    } else {
        handle_event(t, ev, take_body_text);
    }
    ea_event_free(&ev);
}

/* The Responses API bills two meters (protocol.md 15): usage, the mainline text model's, and
 * tool_usage.image_gen, the image tool's. When the response left tool_usage out (or the
 * table has no token prices for the image model), the image part is the table's price of
 * what arrived, at the partial count received, and says so. */
static void turn_cost(const ea_turn *t, ea_cost *out)
{
    const ea_params *p = t->spec.params;
    double image_estimate = NAN;
    /* What images/ did not take was paid for all the same. */
    int finals = (int)t->n_images + (int)t->n_unsaved;
    if (p->api == EA_API_RESPONSES && finals > 0) {
        ea_params priced = *p;
        priced.partials = t->partials;
        priced.n = finals;
        priced.prompt = NULL;
        ea_estimate est;
        ea_prices_estimate(t->spec.prices, &priced, &est);
        image_estimate = est.known ? est.image_usd : NAN;
    }
    ea_prices_call_cost(t->spec.prices, p->model,
                        p->api == EA_API_RESPONSES ? p->text_model : NULL, &t->meters,
                        image_estimate, out);
}

/* An Images usage object, as the API sends it (the image model's meter; a Responses
 * tool_usage.image_gen has the same shape, and cached tokens). */
static int put_image_usage(ea_buf *text, const ea_usage *u, long total, bool image_gen)
{
    int rc = ea_buf_printf(text,
                           "{\"input_tokens\":%ld,\"output_tokens\":%ld,\"total_tokens\":%ld,"
                           "\"input_tokens_details\":{\"text_tokens\":%ld,\"image_tokens\":%ld}",
                           u->input_text + u->input_text_cached + u->input_image +
                               u->input_image_cached,
                           u->output_image + u->output_text, total,
                           u->input_text + u->input_text_cached,
                           u->input_image + u->input_image_cached);
    if (image_gen)
        rc |= ea_buf_printf(text,
                            ",\"cached_tokens\":%ld,\"cached_tokens_details\":{\"cached_text_tokens\":"
                            "%ld,\"cached_image_tokens\":%ld},\"output_tokens_details\":"
                            "{\"image_tokens\":%ld,\"text_tokens\":%ld}",
                            u->input_text_cached + u->input_image_cached, u->input_text_cached,
                            u->input_image_cached, u->output_image, u->output_text);
    return rc | ea_buf_putc(text, '}');
}

static char *tool_usage_json(const ea_turn *t)
{
    if (!t->meters.has_tool_usage)
        return NULL;
    ea_buf text;
    ea_buf_init(&text, 1024);
    int rc = ea_buf_puts(&text, "{\"image_gen\":");
    rc |= put_image_usage(&text, &t->meters.tool_usage, t->tool_total_tokens, true);
    rc |= ea_buf_printf(&text, ",\"web_search\":{\"num_requests\":%ld}}", t->meters.web_searches);
    if (rc != 0) {
        ea_buf_free(&text);
        return NULL;
    }
    return ea_buf_steal(&text, NULL);
}

static char *usage_json(const ea_turn *t)
{
    if (!t->meters.has_usage)
        return NULL;
    ea_buf text;
    ea_buf_init(&text, 1024);
    const ea_usage *u = &t->meters.usage;
    int rc;
    if (t->spec.params->api == EA_API_IMAGES)
        rc = put_image_usage(&text, u, t->total_tokens, false);
    else
        rc = ea_buf_printf(&text,
                           "{\"input_tokens\":%ld,\"output_tokens\":%ld,\"total_tokens\":%ld,"
                           "\"input_tokens_details\":{\"cached_tokens\":%ld}",
                           u->input_text + u->input_text_cached, u->output_text, t->total_tokens,
                           u->input_text_cached) |
             (u->output_reasoning ? ea_buf_printf(&text, ",\"output_tokens_details\":"
                                                         "{\"reasoning_tokens\":%ld}",
                                                  u->output_reasoning)
                                  : 0) |
             ea_buf_putc(&text, '}');
    if (rc != 0) {
        ea_buf_free(&text);
        return NULL;
    }
    return ea_buf_steal(&text, NULL);
}

/* The web searches as the result record lists them; NULL when there were none (or out of
 * memory, which only leaves the list out). Caller frees. */
static char *searches_json(const ea_turn *t)
{
    if (t->n_searches == 0)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; list && i < t->n_searches; i++) {
        const ea_turn_search *s = &t->searches[i];
        json_array_append_new(list, json_pack("{s:s?, s:s?, s:s?}", "id", s->id, "status",
                                              s->status, "query", s->query));
    }
    char *text = list ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    return text;
}

/* What each image call said of its own image, for a response that made several. */
static char *image_calls_json(const ea_turn *t)
{
    if (t->images_queued < 2)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; list && i < t->n_images; i++) {
        int k = t->image_k[i];
        if (k < 1 || k > MAX_IMAGES)
            continue; /* the partial frame kept for a turn without a final image */
        json_t *call = json_pack("{s:s, s:s?, s:o, s:s?}", "path", t->images[i].path, "call_id",
                                 t->calls[k - 1].call_id, "output_index",
                                 t->calls[k - 1].output_index >= 0
                                     ? json_integer(t->calls[k - 1].output_index)
                                     : json_null(),
                                 "revised_prompt", t->calls[k - 1].revised_prompt);
        json_array_append_new(list, call);
    }
    char *text = list ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    return text;
}

/* A background turn left running server-side: no result record, so that the next easel to
 * open the session (or `easel resume`) reads it to its end and records what it cost. */
static void finish_detached(ea_turn *t)
{
    t->finished = true;
    report_progress(t, EA_PHASE_DONE);
    char message[512];
    snprintf(message, sizeof message,
             "left running server-side as response %s: `easel resume` (or the next easel "
             "that opens this session) saves its image and records its cost",
             t->response_id);
    ea_turn_outcome o = {
        .exit_code = EA_EXIT_INTERRUPTED,
        .status = EA_AUDIT_INTERRUPTED,
        .turn = t->turn,
        .http_status = t->http_status,
        .attempts = t->attempts,
        .message = message,
        .error_code = "",
        .request_id = t->request_id,
        .response_id = t->response_id,
        .revised_prompt = "",
        .images = t->images,
        .n_images = 0,
        .reasoning_summary = "",
        .partial_path = "",
        .session_dir = ea_session_dir(t->spec.session),
        .estimate_usd = NAN,
        .cost_usd = NAN,
        .partials = t->partials,
        .resumable = true,
    };
    if (t->cb.on_done)
        t->cb.on_done(t->ctx, &o);
}

/* The request is over and every job was collected: writes the result record (after the
 * images it names, which are on disk) and tells the caller. */
static void finish_turn(ea_turn *t)
{
    stop_saver(t); /* idle already: nothing is left to run */
    enum ea_audit_status status = EA_AUDIT_COMPLETED;
    int expected = ea_params_count(t->spec.params);
    if (t->detached) {
        finish_detached(t);
        return;
    }
    if (t->stuck_queued) {
        replace(&t->error_code, "queued_timeout");
        fail(t, EA_EXIT_NETWORK,
             "the response stayed queued for %.0f s (a known API fault when a client drops at "
             "the first event); %s", t->queued_timeout_ms / 1000.0, t->cancel_note);
        status = EA_AUDIT_FAILED;
    } else if (t->outcome == EA_HTTP_CANCELLED && *t->interrupted_by) {
        if (*t->cancel_note)
            fail(t, EA_EXIT_INTERRUPTED, "interrupted by %s; %s", t->interrupted_by,
                 t->cancel_note);
        else
            fail(t, EA_EXIT_INTERRUPTED, "interrupted by %s (it may have been billed)",
                 t->interrupted_by);
    } else if (t->outcome == EA_HTTP_CANCELLED && *t->cancel_note) {
        status = EA_AUDIT_CANCELLED;
        /* Said to the user only when it failed: then it may still cost. */
        if (t->cancelled_server_side)
            fail(t, EA_EXIT_SIGINT, "%s", "cancelled");
        else
            fail(t, EA_EXIT_SIGINT, "cancelled; %s", t->cancel_note);
    } else if (t->outcome == EA_HTTP_CANCELLED) {
        status = EA_AUDIT_CANCELLED;
        fail(t, EA_EXIT_SIGINT, "%s", "cancelled");
    } else if (t->outcome == EA_HTTP_TIMEOUT && t->events == 0) {
        /* Silent before a single whole event: a network failure to the user, though the
         * server may have started work, which the log's status says. */
        fail(t, EA_EXIT_NETWORK, "%s", t->request_err.msg);
        status = EA_AUDIT_INTERRUPTED;
    } else if (t->outcome != EA_HTTP_COMPLETE && t->outcome != EA_HTTP_ABORTED) {
        fail(t, t->request_err.code ? t->request_err.code : EA_EXIT_NETWORK, "%s",
             t->request_err.msg);
    } else if (!t->failed && t->n_images == 0 && t->n_unsaved == 0) {
        fail(t, EA_EXIT_INTERRUPTED, "%s",
             "the stream ended before the final image (it may have been billed)");
    }
    if (t->failed && status == EA_AUDIT_COMPLETED)
        status = t->failure.code == EA_EXIT_INTERRUPTED ? EA_AUDIT_INTERRUPTED : EA_AUDIT_FAILED;
    if (t->failed && t->n_images >= (size_t)expected && t->failure.code != EA_EXIT_SIGINT) {
        /* Every image arrived and was saved; what broke afterwards costs the user nothing. */
        t->failed = false;
        status = EA_AUDIT_COMPLETED;
    }
    /* A paid-for partial frame is kept when the final image never came. */
    if (status != EA_AUDIT_COMPLETED && t->n_images == 0 && t->n_unsaved == 0 &&
        t->last_partial) {
        /* Recorded with the images, so --verify vouches for it; its name says what it is. */
        ea_audit_image *partial = &t->images[0];
        ea_audit_unsaved rescued;
        int kept = ea_session_keep_image(t->spec.session, t->turn, 0, t->last_partial_format,
                                         t->last_partial, t->last_partial_len, partial,
                                         &rescued, NULL);
        probe_kept(t->last_partial, t->last_partial_len, kept, partial, &rescued);
        if (kept == 0) {
            snprintf(t->partial_path, sizeof t->partial_path, "%s", partial->path);
            t->n_images = 1;
        } else {
            note_unsaved(t, &rescued, 0);
        }
    }
    /* Rescued images keep the turn going to its end, then fail it: the session lacks them.
     * Whatever the turn's failure, its message names where they are. */
    if (t->n_unsaved && !t->failed) {
        fail(t, EA_EXIT_INTERNAL, "the session could not save %s (%s)",
             t->n_unsaved > 1 ? "the images" : "the image", t->unsaved[0].reason);
        status = EA_AUDIT_FAILED;
    }
    const char *sep = "; kept in the rescue folder:";
    for (size_t i = 0, used = strlen(t->failure.msg); i < t->n_unsaved; i++) {
        if (!*t->unsaved[i].path || used >= sizeof t->failure.msg)
            continue;
        used += (size_t)snprintf(t->failure.msg + used, sizeof t->failure.msg - used, "%s %s",
                                 sep, t->unsaved[i].path);
        sep = ",";
    }

    char *usage = usage_json(t);
    char *tool_usage = tool_usage_json(t);
    char *retries = json_dumps(t->retries, JSON_COMPACT);
    ea_cost cost;
    turn_cost(t, &cost);
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.status = status;
    res.http_status = t->http_status;
    res.request_id = *t->request_id ? t->request_id : NULL;
    res.response_id = t->response_id;
    res.image_call_id = t->image_call_id;
    res.revised_prompt = t->revised_prompt;
    res.images = t->images;
    res.n_images = t->n_images;
    res.unsaved = t->unsaved;
    res.n_unsaved = t->n_unsaved;
    res.partials = t->partials;
    res.usage_json = usage;
    res.tool_usage_json = tool_usage;
    res.cost_usd = cost.usd;
    res.cost_text_usd = cost.text_usd;
    res.cost_image_usd = cost.image_usd;
    res.cost_image_estimated = cost.image_estimated;
    res.cost_search_usd = cost.search_usd;
    res.ms_first_byte = t->ms_first_byte;
    res.ms_first_partial = t->partials ? t->ms_first_partial : -1;
    res.ms_total = ms_since(&t->started);
    res.retries_json = retries;
    char *searches = searches_json(t), *calls = image_calls_json(t);
    res.reasoning_summary = t->reasoning.len ? t->reasoning.data : NULL;
    res.web_searches_json = searches;
    res.image_calls_json = calls;
    /* The API's own message as received when the failure is it (failure.msg holds a copy cut
     * at 1 kB; the log keeps network strings whole), else easel's account of what broke. */
    const char *message = t->failure.msg;
    size_t api_len = t->error_message ? strlen(t->error_message) : 0;
    if (api_len > sizeof t->failure.msg - 1)
        api_len = sizeof t->failure.msg - 1;
    if (api_len && strncmp(t->failure.msg, t->error_message, api_len) == 0)
        message = t->error_message; /* what easel adds after it (a filter's verdict) is not the API's */
    char cancelled[400];
    if (t->cancelled_server_side && status == EA_AUDIT_CANCELLED) {
        snprintf(cancelled, sizeof cancelled, "cancelled; %s", t->cancel_note);
        message = cancelled; /* the log says the response stopped too */
    }
    ea_audit_error api_error = {t->error_type, t->error_code, t->failed ? message : NULL,
                                t->error_param};
    if (t->failed)
        res.error = &api_error;
    ea_err log_err = {0};
    if (ea_session_end_turn(t->spec.session, t->turn, &res, &log_err) != 0 && !t->failed)
        fail(t, EA_EXIT_INTERNAL, "could not write the result record: %s", log_err.msg);
    free(usage);
    free(tool_usage);
    free(retries);
    free(searches);
    free(calls);

    const char *prompts[MAX_IMAGES + 1];
    for (size_t i = 0; i < t->n_images; i++) {
        int k = t->image_k[i];
        prompts[i] = k >= 1 && k <= MAX_IMAGES && t->calls[k - 1].revised_prompt
                         ? t->calls[k - 1].revised_prompt
                         : "";
    }
    t->finished = true;
    report_progress(t, EA_PHASE_DONE);
    ea_turn_outcome o = {
        .exit_code = t->failed ? t->failure.code : EA_EXIT_OK,
        .status = status,
        .turn = t->turn,
        .http_status = t->http_status,
        .attempts = t->attempts,
        .message = t->failed ? t->failure.msg : "",
        .error_code = t->failed && t->error_code ? t->error_code : "",
        .request_id = t->request_id,
        .response_id = t->response_id ? t->response_id : "",
        .revised_prompt = t->revised_prompt ? t->revised_prompt : "",
        .images = t->images,
        .n_images = *t->partial_path ? 0 : t->n_images, /* finals only */
        .image_prompts = prompts,
        .reasoning_summary = t->reasoning.len ? t->reasoning.data : "",
        .searches = t->searches,
        .n_searches = t->n_searches,
        .partial_path = t->partial_path,
        .unsaved = t->unsaved,
        .n_unsaved = t->n_unsaved,
        .session_dir = ea_session_dir(t->spec.session),
        .estimate_usd = NAN,
        .cost_usd = cost.usd,
        .partials = t->partials,
    };
    if (t->cb.on_done)
        t->cb.on_done(t->ctx, &o);
}

static void finish_if_ready(ea_turn *t)
{
    if (!t->finished && t->request_over && t->jobs_out == 0)
        finish_turn(t);
}

/* ---- Background turns: reading on after a drop, cancelling server-side -------------- */

#define RESUME_FIRST_DELAY_MS 250
#define RESUME_MAX_DELAY_MS 8000
/* The API keeps a background response about 10 minutes after it ends: past that, failed
 * reads stop, and the turn is left for `easel resume`. */
#define RESUME_GIVE_UP_MS (10L * 60 * 1000)
#define CANCEL_TIMEOUT_MS 10000

static const ea_http_callbacks http_callbacks;

/* Starts a request of the turn: the POST (body set), a resume or a poll (GET). */
static int start_request(ea_turn *t, const char *url, const char *method, int delay_ms,
                         int idle_timeout_ms, ea_err *err)
{
    ea_http_request hr;
    ea_backend_http_init(t->spec.backend, &hr);
    hr.url = url;
    hr.method = method;
    /* Azure's Responses image tool is told which deployment draws. */
    if (t->spec.backend->azure && t->spec.params->api == EA_API_RESPONSES)
        hr.image_deployment = t->spec.params->model;
    hr.idle_timeout_ms = idle_timeout_ms;
    hr.delay_ms = delay_ms;
    if (!method) {
        hr.json_body = t->req.json;
        hr.parts = t->req.parts;
        hr.n_parts = t->req.n_parts;
    } else {
        hr.max_retries = 0; /* the turn's own backoff reads again */
    }
    t->http_req = ea_http_start(t->http, &hr, &http_callbacks, t, err);
    return t->http_req ? 0 : -1;
}

/* The next read of a background response: a stream of the events after last_seq (all of
 * them when none was seen), or a poll of the response object when a stream ended without
 * saying how the response did. resuming: a read after a drop, or of a turn from the log. */
static int start_read(ea_turn *t, bool poll, bool resuming, int delay_ms, ea_err *err)
{
    ea_sse_free(&t->sse);
    t->sse = ea_sse_new(MAX_LINE_BYTES, MAX_EVENT_BYTES, on_sse_event, t);
    if (!t->sse)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    ea_buf_reset(&t->body);
    t->streaming = false;
    t->polling = poll;
    t->reads++;
    t->resumes += resuming;
    char path[300];
    if (poll)
        snprintf(path, sizeof path, "/responses/%s", t->response_id);
    else if (t->last_seq < 0)
        snprintf(path, sizeof path, "/responses/%s?stream=true", t->response_id);
    else
        snprintf(path, sizeof path, "/responses/%s?stream=true&starting_after=%ld",
                 t->response_id, t->last_seq);
    if (ea_backend_url(t->spec.backend, path, NULL, t->url, sizeof t->url) != 0)
        return ea_err_set(err, EA_EXIT_USAGE, "the backend's URL is too long");
    t->events_at_start = t->events;
    return start_request(t, t->url, "GET", delay_ms, t->spec.backend->idle_timeout_ms, err);
}

static void on_cancel_done(void *ctx, const ea_http_result *r)
{
    ea_turn *t = ctx;
    t->cancel_req = NULL;
    t->cancelled_server_side =
        r->outcome == EA_HTTP_COMPLETE && r->head.status >= 200 && r->head.status < 300;
    if (t->cancelled_server_side)
        snprintf(t->cancel_note, sizeof t->cancel_note,
                 "the response was cancelled server-side too, so it stops costing");
    else if (r->outcome == EA_HTTP_COMPLETE)
        snprintf(t->cancel_note, sizeof t->cancel_note,
                 "cancelling it server-side failed (HTTP %d); it may run on and be billed",
                 r->head.status);
    else
        snprintf(t->cancel_note, sizeof t->cancel_note,
                 "cancelling it server-side failed (%.200s); it may run on and be billed",
                 r->err.msg);
    if (r->outcome == EA_HTTP_CANCELLED)
        stop_saver(t); /* ea_http_free: the loop is ending */
    t->request_over = true;
    collect_jobs(t);
    finish_if_ready(t);
}

/* POST /responses/{id}/cancel, so that an abandoned turn stops costing. 0 when under way. */
static int start_cancel(ea_turn *t)
{
    static const ea_http_callbacks cancel_callbacks = {NULL, NULL, NULL, on_cancel_done};
    char url[2400], path[300];
    snprintf(path, sizeof path, "/responses/%s/cancel", t->response_id);
    ea_backend_url(t->spec.backend, path, NULL, url, sizeof url);
    ea_http_request hr;
    ea_backend_http_init(t->spec.backend, &hr);
    hr.url = url; /* copied by ea_http_start into its own parsed URL */
    hr.json_body = "{}";
    hr.max_retries = 1;
    hr.connect_timeout_ms = CANCEL_TIMEOUT_MS;
    hr.idle_timeout_ms = CANCEL_TIMEOUT_MS;
    ea_err err = {0};
    t->cancel_req = ea_http_start(t->http, &hr, &cancel_callbacks, t, &err);
    if (!t->cancel_req)
        snprintf(t->cancel_note, sizeof t->cancel_note,
                 "it could not be cancelled server-side (%.200s)", err.msg);
    return t->cancel_req ? 0 : -1;
}

/* The API's answer that it has no such response (any more). */
static bool response_gone(const ea_turn *t, const ea_http_result *r)
{
    return t->reads > 0 && r->outcome == EA_HTTP_COMPLETE && r->head.status == 404;
}

/* Whether a failed read is worth another: the network or the server, not a refusal. */
static bool read_again(const ea_http_result *r)
{
    if (r->outcome != EA_HTTP_COMPLETE)
        return r->outcome != EA_HTTP_REDIRECT && r->outcome != EA_HTTP_TOO_LARGE;
    int st = r->head.status;
    return (st >= 200 && st < 300) || st == 408 || st == 409 || st == 429 || st >= 500;
}

/* A poll's answer: the response object. Completed or failed: handled as the end of a stream
 * would be; cancelled: said so; still going: read the stream on. Returns true when the turn
 * is over. */
static bool handle_poll(ea_turn *t)
{
    ea_err err = {0};
    ea_event *ev = ea_event_parse_body(t->body.data ? t->body.data : "", t->body.len, &err);
    if (!ev)
        return false; /* unreadable: read again */
    bool over = true;
    if (ev->kind == EA_EV_RESPONSE_COMPLETED || ev->kind == EA_EV_RESPONSE_FAILED ||
        ev->kind == EA_EV_RESPONSE_INCOMPLETE) {
        handle_event(t, ev, take_body_text);
        t->terminal = true;
    } else if (strcmp(ev->response_status, "cancelled") == 0) {
        t->terminal = true;
        replace(&t->error_code, "cancelled");
        fail(t, EA_EXIT_NETWORK, "%s", "the response was cancelled server-side");
    } else {
        t->queued = strcmp(ev->response_status, "queued") == 0;
        over = false;
    }
    ea_event_free(&ev);
    return over;
}

/* After a request of a background turn ended: read on, cancel server-side, or finish.
 * Returns true when another request is under way (the turn is not over). A turn whose
 * accepted record could not be written reads on all the same: only a crash would lose it. */
static bool background_next(ea_turn *t, const ea_http_result *r)
{
    if (!t->response_id || t->detached)
        return false;
    /* Stopped by the user or a signal (a turn that can finish unattended was detached, not
     * stopped): the response stops server-side too. */
    if (t->user_cancelled || t->stuck_queued || *t->interrupted_by)
        return !t->terminal && start_cancel(t) == 0;
    if (r->outcome == EA_HTTP_CANCELLED)
        return false; /* ea_http_free: the loop is ending */
    if (t->terminal || t->failed)
        return false;
    if (response_gone(t, r)) {
        t->lost = true;
        replace(&t->error_code, "response_lost");
        fail(t, EA_EXIT_INTERRUPTED,
             "the API no longer has response %s (it keeps a background response about 10 "
             "minutes after it ends): the turn is lost", t->response_id);
        return false;
    }
    bool ok = r->outcome == EA_HTTP_COMPLETE && r->head.status >= 200 && r->head.status < 300;
    ea_err err = {0};
    if (ok && t->reads == 0 && !t->streaming) {
        /* The POST's answer, the response still queued (finish_body took it, and the accepted
         * record is written): its events are read from the first, at once. */
        if (start_read(t, false, false, 0, &err) != 0) {
            fail(t, EA_EXIT_INTERNAL, "could not read the response: %s", err.msg);
            return false;
        }
        report_progress(t, EA_PHASE_WAITING);
        return true;
    }
    bool poll = false;
    if (ok && !t->streaming) {
        if (handle_poll(t))
            return false;
    } else if (ok) {
        poll = true; /* a stream that ended without a last word: ask how the response did */
    } else if (!read_again(r)) {
        fail(t, r->head.status >= 500 ? EA_EXIT_NETWORK : EA_EXIT_REFUSED,
             "reading response %s again failed: HTTP %d", t->response_id, r->head.status);
        return false;
    }
    if (t->events > t->events_at_start) {
        /* That read moved the turn on: the backoff starts over. */
        t->resume_failures = 0;
        t->ms_dropped = -1;
    }
    if (t->ms_dropped < 0)
        t->ms_dropped = ms_since(&t->started);
    if (ms_since(&t->started) - t->ms_dropped > RESUME_GIVE_UP_MS) {
        t->detached = true; /* resumable later, by `easel resume` */
        return false;
    }
    int delay = 0;
    if (!poll) {
        int shift = t->resume_failures < 6 ? t->resume_failures : 6;
        delay = RESUME_FIRST_DELAY_MS << shift;
        if (delay > RESUME_MAX_DELAY_MS)
            delay = RESUME_MAX_DELAY_MS;
        t->resume_failures++;
    }
    if (start_read(t, poll, true, delay, &err) != 0) {
        fail(t, EA_EXIT_INTERNAL, "could not read the response again: %s", err.msg);
        return false;
    }
    report_progress(t, EA_PHASE_WAITING);
    return true;
}

static void on_done(void *ctx, const ea_http_result *r)
{
    ea_turn *t = ctx;
    t->http_req = NULL;
    t->attempts = r->attempts;
    if (r->head.status)
        t->http_status = r->head.status;
    t->outcome = r->outcome;
    t->request_err = r->err;
    if (t->reads == 0)
        t->ms_first_byte = r->ms_first_byte;
    if (r->outcome == EA_HTTP_COMPLETE && t->streaming) {
        ea_err err = {0};
        ea_sse_finish(t->sse, &err);
    } else if (r->outcome == EA_HTTP_COMPLETE && t->reads == 0) {
        finish_body(t); /* a resume's body is a poll's answer, or an error to read again */
    }
    if (t->background && background_next(t, r))
        return;
    if (t->cancel_req)
        return; /* on_cancel_done finishes the turn */
    t->request_over = true;
    /* Cancelled by the user, who wants out, or by ea_http_free, whose loop is ending: the
     * saves under way are waited for here, so that the turn finishes now and its saver never
     * wakes an ea_http that may be gone. Otherwise they finish off the loop, and
     * ea_turn_poll finishes the turn. */
    if (r->outcome == EA_HTTP_CANCELLED)
        stop_saver(t);
    collect_jobs(t);
    finish_if_ready(t);
}

static const ea_http_callbacks http_callbacks = {on_head, on_body, on_retry, on_done};

void ea_turn_estimate(const ea_prices *prices, const ea_params *params, const ea_request *req,
                      ea_estimate *out)
{
    ea_prices_estimate(prices, params, out);
    int images;
    long tokens = ea_request_input_image_tokens(req, &images);
    ea_prices_add_input_images(prices, params->model, images, tokens, out);
}

int ea_turn_previous_response(const ea_turn_spec *spec, const char **out, ea_err *err)
{
    *out = NULL;
    if ((spec->params->api != EA_API_RESPONSES && spec->from_turn <= 0) || spec->new_conversation)
        return 0;
    if (spec->from_turn > 0) {
        ea_audit_turn from;
        if (ea_audit_find_turn(ea_session_audit(spec->session), spec->from_turn, &from, err) != 0)
            return -1;
        if (spec->params->api == EA_API_RESPONSES) {
            if (!from.has_result || !from.response_id)
                return ea_err_set(err, EA_EXIT_USAGE,
                                  "--from %d: that turn has no response to continue from",
                                  spec->from_turn);
            *out = from.response_id;
        }
        return 0;
    }
    *out = ea_session_last_response_id(spec->session);
    return 0;
}

/* A turn with nothing sent yet; NULL when out of memory. */
static ea_turn *turn_new(ea_http *http, const ea_turn_spec *spec, const ea_turn_callbacks *cb,
                         void *ctx)
{
    ea_turn *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->work, NULL);
    job_list_init(&t->todo);
    job_list_init(&t->done);
    t->spec = *spec;
    t->cb = *cb;
    t->ctx = ctx;
    t->http = http;
    t->ms_first_partial = -1;
    t->last_seq = -1;
    t->ms_dropped = -1;
    t->queued_timeout_ms = spec->backend->queued_timeout_ms > 0 ? spec->backend->queued_timeout_ms
                                                                : EA_TURN_QUEUED_TIMEOUT_MS;
    clock_gettime(CLOCK_MONOTONIC, &t->started);
    ea_buf_init(&t->body, MAX_BODY_BYTES);
    ea_buf_init(&t->reasoning, MAX_REASONING_BYTES);
    t->retries = json_array();
    return t;
}

ea_turn *ea_turn_start(ea_http *http, const ea_turn_spec *spec, const ea_turn_callbacks *cb,
                       void *ctx, ea_err *err)
{
    ea_turn *t = turn_new(http, spec, cb, ctx);
    if (!t) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    t->background = spec->params->api == EA_API_RESPONSES && spec->params->stream &&
                    spec->params->background_mode;
    const char *previous_id;
    if (ea_turn_previous_response(spec, &previous_id, err) != 0 ||
        ea_request_build(spec->params, previous_id, &t->req, err) != 0)
        goto fail;
    t->sse = ea_sse_new(MAX_LINE_BYTES, MAX_EVENT_BYTES, on_sse_event, t);
    if (!t->sse) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        goto fail;
    }
    if (ea_backend_url(spec->backend, t->req.endpoint, spec->params->model, t->url,
                       sizeof t->url) != 0) {
        ea_err_set(err, EA_EXIT_USAGE, "the backend's URL is too long");
        goto fail;
    }

    /* Copies of the files sent, in the session before the record that names them. */
    char *inputs_json = NULL;
    for (int i = 0; i < t->req.n_inputs; i++) {
        const ea_request_input *in = &t->req.inputs[i];
        char name[EA_SHA256_HEX_SIZE + 16];
        ea_request_input_name(in, name, sizeof name);
        if (ea_session_save_input(spec->session, name, in->sha256, in->bytes, in->n_bytes,
                                  err) != 0)
            goto fail;
    }
    if (!(inputs_json = ea_request_inputs_json(&t->req))) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        goto fail;
    }
    ea_estimate est;
    ea_turn_estimate(spec->prices, spec->params, &t->req, &est);
    ea_audit_request rec;
    ea_audit_request_init(&rec);
    rec.api = t->req.api;
    rec.endpoint = t->url;
    rec.model = spec->params->model;
    rec.text_model = spec->params->api == EA_API_RESPONSES ? spec->params->text_model : NULL;
    rec.prompt = spec->params->prompt;
    rec.params_json = t->req.record_json;
    rec.inputs_json = inputs_json;
    rec.previous_response_id = previous_id;
    rec.parent_turn = spec->from_turn > 0 ? spec->from_turn : 0;
    rec.estimate_usd = est.known ? est.usd : NAN;
    if (est.known && est.images_max > est.images)
        rec.estimate_max_usd = est.usd_max;
    rec.offline = spec->backend->offline;
    /* The request record is on disk before a byte is sent. */
    int begun = ea_session_begin_turn(spec->session, &rec, &t->turn, err);
    free(inputs_json);
    if (begun != 0)
        goto fail;

    if (start_request(t, t->url, NULL, 0, spec->backend->idle_timeout_ms, err) != 0) {
        /* Nothing was sent: close the turn as failed so the log has no open request. */
        ea_audit_result res;
        ea_audit_result_init(&res);
        res.status = EA_AUDIT_FAILED;
        ea_audit_error e = {NULL, NULL, err ? err->msg : "not sent", NULL};
        res.error = &e;
        ea_session_end_turn(spec->session, t->turn, &res, NULL);
        goto fail;
    }
    report_progress(t, EA_PHASE_SENDING);
    return t;
fail:
    ea_turn_free(&t);
    return NULL;
}

void ea_turn_cancel(ea_turn *t)
{
    if (!t || t->finished || t->detached)
        return;
    /* A background response runs on without its stream: on_done cancels it server-side. */
    t->user_cancelled = true;
    if (t->http_req)
        ea_http_cancel(t->http_req);
}

void ea_turn_interrupt(ea_turn *t, const char *by)
{
    if (!t || !t->http_req || t->detached)
        return;
    snprintf(t->interrupted_by, sizeof t->interrupted_by, "%s", by && *by ? by : "a signal");
    ea_http_cancel(t->http_req);
}

bool ea_turn_detach(ea_turn *t)
{
    if (!t || t->finished || !t->accepted || t->terminal || t->images_queued > 0 ||
        t->user_cancelled || t->stuck_queued || *t->interrupted_by)
        return false;
    t->detached = true;
    if (t->http_req)
        ea_http_cancel(t->http_req);
    return true;
}

void ea_turn_poll(ea_turn *t)
{
    collect_jobs(t);
    /* The live API can leave a response queued for good: past the bound, cancel it. */
    if (t->background && t->queued && !t->terminal && !t->stuck_queued && !t->user_cancelled &&
        !t->detached && t->response_id &&
        ms_since(&t->started) - t->ms_queued >= t->queued_timeout_ms) {
        t->stuck_queued = true;
        if (t->http_req)
            ea_http_cancel(t->http_req);
    }
    finish_if_ready(t);
}

/* A turn resumed from the log has no ea_params of its own: the request record's are enough
 * to price it (the image model, size, quality, format, partial frames). */
static ea_params *params_from_record(const char *line, size_t len)
{
    ea_params *p = calloc(1, sizeof *p);
    json_t *rec = json_loadb(line, len, 0, NULL);
    if (!p || !rec) {
        free(p);
        json_decref(rec);
        return NULL;
    }
    ea_params_init(p);
    p->api = EA_API_RESPONSES;
    ea_err ignored = {0};
    const char *model = json_string_value(json_object_get(rec, "model"));
    const char *text_model = json_string_value(json_object_get(rec, "text_model"));
    if (model)
        ea_params_set(p, ea_param_by_long("model"), model, &ignored);
    if (text_model)
        ea_params_set(p, ea_param_by_long("text-model"), text_model, &ignored);
    const json_t *tool = json_array_get(json_object_get(json_object_get(rec, "params"), "tools"), 0);
    static const char *const wires[] = {"size", "quality", "output_format", "partial_images"};
    for (size_t i = 0; i < sizeof wires / sizeof *wires; i++) {
        const json_t *v = json_object_get(tool, wires[i]);
        char text[64];
        if (json_is_string(v))
            snprintf(text, sizeof text, "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        else
            continue;
        const ea_param_desc *d = ea_param_by_wire(wires[i]);
        if (d)
            ea_params_set(p, d, text, &ignored);
    }
    json_decref(rec);
    return p;
}

/* Whether the backend is where the turn was sent: a response lives with the API that made it,
 * and asking another (the offline backend, when no key is set) would find it lost. A turn of
 * an earlier offline backend is read from this one: its responses died with it, and the
 * read says so. */
static int same_endpoint(const ea_backend *b, const ea_audit_accepted *acc, ea_err *err)
{
    json_t *rec = json_loadb(acc->request_line, acc->request_len, 0, NULL);
    const char *sent = json_string_value(json_object_get(rec, "endpoint"));
    char here[2304];
    ea_backend_url(b, "/responses", NULL, here, sizeof here);
    bool same = sent && (strcmp(sent, here) == 0 ||
                         (b->offline && strncmp(sent, "http://127.0.0.1:", 17) == 0));
    if (!same)
        ea_err_set(err, EA_EXIT_USAGE,
                   "turn %d was sent to %.300s, not to %.300s: it is left resumable until easel "
                   "runs with that endpoint (and its key)", acc->turn, sent ? sent : "(unknown)",
                   here);
    json_decref(rec);
    return same ? 0 : -1;
}

ea_turn *ea_turn_resume(ea_http *http, const ea_turn_spec *spec, const ea_audit_accepted *acc,
                        const ea_turn_callbacks *cb, void *ctx, ea_err *err)
{
    if (same_endpoint(spec->backend, acc, err) != 0)
        return NULL;
    ea_turn *t = turn_new(http, spec, cb, ctx);
    ea_params *own = t ? params_from_record(acc->request_line, acc->request_len) : NULL;
    if (!own) {
        ea_turn_free(&t);
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    t->own_params = own;
    t->spec.params = own;
    t->turn = acc->turn;
    t->background = t->accepted = true;
    t->response_id = strdup(acc->response_id);
    /* From the accepted event on: the partial frames come again, and the cost counts them. */
    t->last_seq = acc->sequence_number;
    t->sse = ea_sse_new(MAX_LINE_BYTES, MAX_EVENT_BYTES, on_sse_event, t);
    if (!t->response_id || !t->sse || start_read(t, false, true, 0, err) != 0) {
        if (!err || !err->code)
            ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        ea_turn_free(&t);
        return NULL;
    }
    report_progress(t, EA_PHASE_WAITING);
    return t;
}

void ea_turn_settle(ea_turn *t)
{
    stop_saver(t);
    ea_turn_poll(t);
}

bool ea_turn_finished(const ea_turn *t)
{
    return t->finished;
}

void ea_turn_free(ea_turn **tp)
{
    ea_turn *t = *tp;
    if (!t)
        return;
    stop_saver(t);
    job_chain_free(job_list_take(&t->done));
    pthread_cond_destroy(&t->work);
    pthread_mutex_destroy(&t->lock);
    ea_request_free(&t->req);
    ea_sse_free(&t->sse);
    ea_buf_free(&t->body);
    free(t->response_id);
    free(t->revised_prompt);
    free(t->image_call_id);
    ea_buf_free(&t->reasoning);
    for (size_t i = 0; i < t->n_searches; i++) {
        free(t->searches[i].id);
        free(t->searches[i].status);
        free(t->searches[i].query);
    }
    for (int i = 0; i < MAX_IMAGES; i++) {
        free(t->calls[i].call_id);
        free(t->calls[i].revised_prompt);
    }
    free(t->last_partial);
    free(t->error_type);
    free(t->error_code);
    free(t->error_message);
    free(t->error_param);
    json_decref(t->retries);
    if (t->own_params) {
        ea_params_free(t->own_params);
        free(t->own_params);
    }
    free(t);
    *tp = NULL;
}
