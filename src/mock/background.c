/* SPDX-License-Identifier: MIT */
/* mock/background.c: background responses (protocol.md section 13). A response sent with
 * `background: true` is produced on a thread of its own, event by event, into a list that
 * outlives every connection: the POST's stream reads it as it grows, and so do resumes (GET
 * ?stream=true&starting_after=N) and polls (GET), until the response is terminal or
 * cancelled (POST .../cancel). The first-event stall of the live API (stall=queued) and the
 * end of its storage (expire=MS) are faults on demand. */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Finished responses kept before the oldest unread ones go. */
#define BG_MAX_ENTRIES 64

typedef struct bg_event {
    char *bytes; /* framed: "event: NAME\ndata: JSON\n\n" */
    size_t len;
    bool partial;
} bg_event;

struct mock_bg_entry {
    mock_bg *bg;
    mock_server *srv;
    mock_job *job;          /* owned; the producer's until done */
    char status[16];        /* queued, in_progress, completed, failed, cancelled */
    bg_event *events;
    size_t n_events, cap_events;
    bool done;              /* no event follows */
    bool cancel;            /* asked to stop */
    bool streamed;          /* a stream of it has begun: later ones are resumes */
    struct timespec ended;  /* CLOCK_MONOTONIC, once done */
    int refs;               /* the registry's one, plus each reader's */
    pthread_t thread;
    bool thread_started;
    mock_bg_entry *next;
};

struct mock_bg {
    pthread_mutex_t lock;   /* guards every entry's fields but job */
    pthread_cond_t cond;    /* an event was added, an entry ended, or stopping */
    bool stopping;
    mock_bg_entry *head;
    int n_entries;
};

mock_bg *mock_bg_new(void)
{
    mock_bg *bg = calloc(1, sizeof *bg);
    if (!bg)
        return NULL;
    pthread_mutex_init(&bg->lock, NULL);
    pthread_cond_init(&bg->cond, NULL);
    return bg;
}

static void entry_free(mock_bg_entry *e)
{
    for (size_t i = 0; i < e->n_events; i++)
        free(e->events[i].bytes);
    free(e->events);
    if (e->job) {
        mock_job_free(e->job);
        free(e->job);
    }
    free(e);
}

void mock_bg_stop(mock_bg *bg)
{
    if (!bg)
        return;
    pthread_mutex_lock(&bg->lock);
    bg->stopping = true;
    pthread_cond_broadcast(&bg->cond);
    pthread_mutex_unlock(&bg->lock);
}

void mock_bg_free(mock_bg **bgp)
{
    mock_bg *bg = *bgp;
    if (!bg)
        return;
    mock_bg_stop(bg);
    for (mock_bg_entry *e = bg->head; e; e = e->next)
        if (e->thread_started)
            pthread_join(e->thread, NULL);
    while (bg->head) {
        mock_bg_entry *next = bg->head->next;
        entry_free(bg->head);
        bg->head = next;
    }
    pthread_cond_destroy(&bg->cond);
    pthread_mutex_destroy(&bg->lock);
    free(bg);
    *bgp = NULL;
}

void mock_bg_release(mock_bg_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->bg->lock);
    e->refs--;
    pthread_mutex_unlock(&e->bg->lock);
}

/* Appends one framed event; the status follows the events that change it. Under the lock. */
static int add_event(mock_bg_entry *e, const char *name, const ea_buf *json, bool partial,
                     bool malformed)
{
    if (e->n_events == e->cap_events) {
        size_t cap = e->cap_events ? e->cap_events * 2 : 16;
        bg_event *grown = realloc(e->events, cap * sizeof *grown);
        if (!grown)
            return -1;
        e->events = grown;
        e->cap_events = cap;
    }
    ea_buf framed;
    ea_buf_init(&framed, EA_BUF_UNCAPPED);
    if (mock_frame_event(&framed, name, json, malformed) != 0) {
        ea_buf_free(&framed);
        return -1;
    }
    bg_event *ev = &e->events[e->n_events++];
    ev->bytes = ea_buf_steal(&framed, &ev->len);
    ev->partial = partial;
    if (strcmp(name, "response.in_progress") == 0)
        snprintf(e->status, sizeof e->status, "in_progress");
    else if (strcmp(name, "response.completed") == 0)
        snprintf(e->status, sizeof e->status, "completed");
    else if (strcmp(name, "error") == 0)
        snprintf(e->status, sizeof e->status, "failed");
    return 0;
}

static bool should_stop(mock_bg_entry *e)
{
    pthread_mutex_lock(&e->bg->lock);
    bool stop = e->cancel || e->bg->stopping;
    pthread_mutex_unlock(&e->bg->lock);
    return stop;
}

static void *produce_main(void *arg)
{
    mock_bg_entry *e = arg;
    mock_bg *bg = e->bg;
    const ea_mock_config *cfg = mock_server_config(e->srv);
    ea_buf json;
    ea_buf_init(&json, EA_BUF_UNCAPPED);
    bool failed = false;
    int partials = 0;
    for (int seq = 0;; seq++) {
        if (seq > 0 && cfg->delay_ms > 0 && !mock_server_sleep(e->srv, cfg->delay_ms))
            break;
        if (should_stop(e))
            break;
        if (seq == 1 && cfg->queued_stall) {
            /* The live API's fault: queued for good, until someone cancels. */
            pthread_mutex_lock(&bg->lock);
            while (!e->cancel && !bg->stopping)
                pthread_cond_wait(&bg->cond, &bg->lock);
            pthread_mutex_unlock(&bg->lock);
            break;
        }
        ea_buf_reset(&json);
        mock_event ev = {.json = &json};
        mock_error err;
        /* The error-event fault: the response fails, before any event or after partial K. */
        bool error_now = seq == 0 && cfg->error_event_after == -1;
        int got = error_now ? -1 : mock_responses_next(e->srv, e->job, seq, &ev, &err);
        if (got < 0) {
            if (error_now)
                mock_fault_error_event(&err);
            ea_buf_reset(&json);
            ev.name = "error";
            ev.partial = false;
            failed = true;
            if (mock_error_event_json(&json, &err, seq) != 0)
                break;
        } else if (got == 0) {
            break;
        }
        pthread_mutex_lock(&bg->lock);
        bool oom = add_event(e, ev.name, &json, ev.partial, seq == cfg->malformed_event) != 0;
        pthread_cond_broadcast(&bg->cond);
        pthread_mutex_unlock(&bg->lock);
        if (oom || failed) {
            failed = true;
            break;
        }
        if (ev.partial && partials++ == cfg->error_event_after) {
            mock_fault_error_event(&err);
            ea_buf_reset(&json);
            pthread_mutex_lock(&bg->lock);
            if (mock_error_event_json(&json, &err, seq + 1) == 0)
                add_event(e, "error", &json, false, false);
            pthread_cond_broadcast(&bg->cond);
            pthread_mutex_unlock(&bg->lock);
            failed = true;
            break;
        }
        if (json.cap > ((size_t)1 << 20))
            ea_buf_free(&json);
    }
    ea_buf_free(&json);
    pthread_mutex_lock(&bg->lock);
    if (strcmp(e->status, "completed") != 0)
        snprintf(e->status, sizeof e->status, "%s",
                 e->cancel ? "cancelled" : failed ? "failed" : e->status);
    e->done = true;
    clock_gettime(CLOCK_MONOTONIC, &e->ended);
    pthread_cond_broadcast(&bg->cond);
    pthread_mutex_unlock(&bg->lock);
    return NULL;
}

/* Forgets the oldest finished responses nobody reads, past the bound. Under the lock. */
static void evict(mock_bg *bg)
{
    mock_bg_entry **p = &bg->head;
    while (*p && bg->n_entries >= BG_MAX_ENTRIES) {
        mock_bg_entry *e = *p;
        if (e->done && e->refs == 1) {
            *p = e->next;
            pthread_join(e->thread, NULL); /* done: it has returned or is returning */
            entry_free(e);
            bg->n_entries--;
        } else {
            p = &e->next;
        }
    }
}

mock_bg_entry *mock_bg_start(mock_server *srv, mock_job *job, mock_error *e)
{
    mock_bg *bg = mock_server_bg(srv);
    mock_bg_entry *entry = calloc(1, sizeof *entry);
    if (!entry) {
        mock_job_free(job);
        free(job);
        mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
        return NULL;
    }
    entry->bg = bg;
    entry->srv = srv;
    entry->job = job;
    entry->refs = 2; /* the registry's and the caller's */
    snprintf(entry->status, sizeof entry->status, "queued");
    pthread_mutex_lock(&bg->lock);
    evict(bg);
    entry->thread_started = pthread_create(&entry->thread, NULL, produce_main, entry) == 0;
    if (entry->thread_started) {
        entry->next = bg->head;
        bg->head = entry;
        bg->n_entries++;
    }
    pthread_mutex_unlock(&bg->lock);
    if (!entry->thread_started) {
        entry_free(entry);
        mock_fail(e, 500, "server_error", NULL, NULL, "Could not start the response.");
        return NULL;
    }
    return entry;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

bool mock_bg_first_stream(mock_bg_entry *e)
{
    pthread_mutex_lock(&e->bg->lock);
    bool first = !e->streamed;
    e->streamed = true;
    pthread_mutex_unlock(&e->bg->lock);
    return first;
}

mock_bg_entry *mock_bg_find(mock_bg *bg, const char *id, const ea_mock_config *cfg)
{
    mock_bg_entry *found = NULL;
    pthread_mutex_lock(&bg->lock);
    for (mock_bg_entry *e = bg->head; e && !found; e = e->next)
        if (strcmp(e->job->response_id, id) == 0 &&
            !(e->done && cfg->expire_ms > 0 && ms_since(&e->ended) >= cfg->expire_ms)) {
            found = e;
            found->refs++;
        }
    pthread_mutex_unlock(&bg->lock);
    return found;
}

int mock_bg_object(mock_bg_entry *e, ea_buf *out, bool cancel)
{
    char status[16];
    pthread_mutex_lock(&e->bg->lock);
    if (cancel && !e->done) {
        e->cancel = true;
        pthread_cond_broadcast(&e->bg->cond);
        /* The answer says cancelled: wait for the producer to stop (one event at most). */
        while (!e->done && !e->bg->stopping)
            pthread_cond_wait(&e->bg->cond, &e->bg->lock);
    }
    snprintf(status, sizeof status, "%s", e->status);
    pthread_mutex_unlock(&e->bg->lock);
    /* The job's fields read here are fixed once the producer has started, and a completed
     * response's image is final. */
    return mock_responses_object(out, e->job, status);
}

/* The event at index, appended to out, waiting for it: 1; 0 when the response has no more;
 * -1 when the server is stopping. */
int mock_bg_read(mock_bg_entry *e, size_t index, ea_buf *out, bool *partial)
{
    mock_bg *bg = e->bg;
    pthread_mutex_lock(&bg->lock);
    while (index >= e->n_events && !e->done && !bg->stopping)
        pthread_cond_wait(&bg->cond, &bg->lock);
    int rc = bg->stopping ? -1 : index < e->n_events ? 1 : 0;
    if (rc == 1) {
        *partial = e->events[index].partial;
        if (ea_buf_append(out, e->events[index].bytes, e->events[index].len) != 0)
            rc = -1;
    }
    pthread_mutex_unlock(&bg->lock);
    return rc;
}
