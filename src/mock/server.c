/* SPDX-License-Identifier: MIT */
/* mock/server.c: the HTTP side of the offline backend. libmicrohttpd with a thread per
 * connection, bound to 127.0.0.1 only: a streamed reply can then sleep between events in its
 * content reader without holding up other connections. Bodies are collected (JSON) or split
 * into parts (multipart) up to MOCK_MAX_BODY, then one handler per route answers. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define POST_BUFFER_SIZE (64 * 1024)
#define STREAM_BLOCK_SIZE (64 * 1024)
#define CHAIN_MAX_ENTRIES 256
#define CHAIN_MAX_BYTES ((size_t)256 << 20)

struct ea_mock {
    ea_mock_config cfg;
    struct MHD_Daemon *daemon;
    int port;
    char base_url[64];
    ea_prices *prices;          /* NULL when the table failed to load: job.c falls back */
    mock_chain *chain;
    mock_bg *bg;                /* background responses */
    mock_store *store;          /* files and batches */
    mock_batches *batches;      /* the batch clock's ticker */
    pthread_mutex_t lock;       /* guards requests_seen, stopping and the request log */
    pthread_cond_t stop_cond;   /* wakes sleeping streams when the server stops */
    long requests_seen;
    bool stopping;
};

/* One HTTP request, from its headers to the last byte of its reply. */
typedef struct mock_conn {
    enum mock_route route;
    char response_id[64];            /* of /v1/responses/{id}[/cancel] */
    char request_id[40];
    struct timespec started;
    ea_buf body;                     /* a JSON body */
    struct MHD_PostProcessor *post;  /* a multipart body, split into parts */
    mock_part *parts;
    mock_part *last_part;
    size_t received;
    mock_store *store;               /* where an upload to /v1/files is spooled */
    bool too_large;
    bool bad_multipart;
    char path[1024];                 /* the path the routes know (Azure's mapped to /v1) */
    char query[1024];                /* as received, for the request log */
    mock_request_meta meta;
    char deployment_header[128];
    bool refused;                    /* dressed as Azure: refused as Azure would (refusal) */
    mock_error refusal;
} mock_conn;

/* ---- services for the other files ---- */

const ea_mock_config *mock_server_config(const mock_server *srv) { return &srv->cfg; }
const ea_prices *mock_server_prices(const mock_server *srv) { return srv->prices; }
mock_chain *mock_server_chain(mock_server *srv) { return srv->chain; }
mock_bg *mock_server_bg(mock_server *srv) { return srv->bg; }
mock_store *mock_server_store(mock_server *srv) { return srv->store; }
mock_batches *mock_server_batches(mock_server *srv) { return srv->batches; }

bool mock_server_sleep(mock_server *srv, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&srv->lock);
    while (!srv->stopping && pthread_cond_timedwait(&srv->stop_cond, &srv->lock, &until) != ETIMEDOUT)
        ;
    bool running = !srv->stopping;
    pthread_mutex_unlock(&srv->lock);
    return running;
}

/* True while the status fault still applies: to the first status_count requests. */
static bool status_fault_due(mock_server *srv)
{
    if (srv->cfg.status == 0)
        return false;
    pthread_mutex_lock(&srv->lock);
    bool due = ++srv->requests_seen <= srv->cfg.status_count;
    pthread_mutex_unlock(&srv->lock);
    return due;
}

/* ---- collecting the request ---- */

/* /v1/responses/{id} (tail "") or /v1/responses/{id}/cancel (tail "/cancel"): the id. */
static bool response_path(const char *url, const char *tail, char *id, size_t size)
{
    static const char prefix[] = "/v1/responses/";
    if (strncmp(url, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *start = url + sizeof prefix - 1;
    size_t n = strcspn(start, "/");
    if (n == 0 || n >= size || strcmp(start + n, tail) != 0)
        return false;
    memcpy(id, start, n);
    id[n] = '\0';
    return true;
}

/* url is base or lies below it: the Files and Batches APIs route their own paths. */
static bool under(const char *url, const char *base)
{
    size_t n = strlen(base);
    return strncmp(url, base, n) == 0 && (url[n] == '\0' || url[n] == '/');
}

static enum mock_route route_of(const char *method, const char *url, char *id, size_t size)
{
    if (under(url, "/v1/files"))
        return MOCK_ROUTE_FILES;
    if (under(url, "/v1/batches"))
        return MOCK_ROUTE_BATCHES;
    if (strcmp(method, "GET") == 0 && strcmp(url, "/v1/models") == 0)
        return MOCK_ROUTE_MODELS;
    if (strcmp(method, "GET") == 0)
        return response_path(url, "", id, size) ? MOCK_ROUTE_RESPONSE_GET : MOCK_ROUTE_UNKNOWN;
    if (strcmp(method, "POST") != 0)
        return MOCK_ROUTE_UNKNOWN;
    if (response_path(url, "/cancel", id, size))
        return MOCK_ROUTE_RESPONSE_CANCEL;
    if (strcmp(url, "/v1/images/generations") == 0)
        return MOCK_ROUTE_GENERATIONS;
    if (strcmp(url, "/v1/images/edits") == 0)
        return MOCK_ROUTE_EDITS;
    if (strcmp(url, "/v1/responses") == 0)
        return MOCK_ROUTE_RESPONSES;
    return MOCK_ROUTE_UNKNOWN;
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    (void)kind;
    (void)transfer_encoding;
    mock_conn *conn = cls;
    mock_part *part = conn->last_part;
    /* A part's first chunk comes at offset 0; an empty first call may precede it. */
    bool continues = part && strcmp(part->name, key) == 0 && (off > 0 || part->data.len == 0);
    if (!continues) {
        part = calloc(1, sizeof *part);
        if (!part)
            return MHD_NO;
        ea_buf_init(&part->data, MOCK_MAX_BODY);
        if (conn->route == MOCK_ROUTE_FILES && filename &&
            !(part->spool = mock_spool_new(conn->store)))
            return MHD_NO;
        part->name = strdup(key);
        part->filename = filename ? strdup(filename) : NULL;
        part->content_type = content_type ? strdup(content_type) : NULL;
        if (conn->last_part)
            conn->last_part->next = part;
        else
            conn->parts = part;
        conn->last_part = part;
        if (!part->name || (filename && !part->filename) || (content_type && !part->content_type))
            return MHD_NO;
    }
    if (part->spool)
        return mock_spool_write(part->spool, data, size) == 0 ? MHD_YES : MHD_NO;
    return ea_buf_append(&part->data, data, size) == 0 ? MHD_YES : MHD_NO;
}

/* Appends one query argument to the conn's copy of the query (MHD hands them decoded). */
static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    mock_conn *conn = cls;
    size_t at = strlen(conn->query);
    snprintf(conn->query + at, sizeof conn->query - at, "%s%s%s%s", at ? "&" : "", key,
             value ? "=" : "", value ? value : "");
    return MHD_YES;
}

/* What the request log says of the headers and the query; and, dressed as Azure, the path
 * the routes know, or Azure's refusal. */
static void conn_meta(mock_server *srv, struct MHD_Connection *c, mock_conn *conn,
                      const char *url, char *path, size_t size)
{
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_query_arg, conn);
    conn->meta.query = conn->query;
    conn->meta.api_key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "api-key") != NULL;
    conn->meta.authorization =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) != NULL;
    const char *deployment = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                         "x-ms-oai-image-generation-deployment");
    if (deployment) {
        snprintf(conn->deployment_header, sizeof conn->deployment_header, "%s", deployment);
        conn->meta.image_deployment = conn->deployment_header;
    }
    snprintf(path, size, "%s", url);
    if (srv->cfg.azure) {
        bool versioned = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "api-version");
        conn->refused = mock_azure_path(url, &conn->meta, versioned, path, size,
                                        &conn->refusal) == 0;
    }
}

static mock_conn *conn_new(mock_server *srv, struct MHD_Connection *c, const char *method,
                           const char *url)
{
    mock_conn *conn = calloc(1, sizeof *conn);
    if (!conn)
        return NULL;
    conn_meta(srv, c, conn, url, conn->path, sizeof conn->path);
    conn->route = conn->refused ? MOCK_ROUTE_UNKNOWN
                                : route_of(method, conn->path, conn->response_id,
                                           sizeof conn->response_id);
    enum mock_route route = conn->route;
    clock_gettime(CLOCK_MONOTONIC, &conn->started);
    mock_random_id(conn->request_id, sizeof conn->request_id, "req_");
    ea_buf_init(&conn->body, MOCK_MAX_BODY);
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    conn->store = srv->store;
    if ((route == MOCK_ROUTE_EDITS || route == MOCK_ROUTE_FILES) && type &&
        strncasecmp(type, "multipart/form-data", 19) == 0) {
        conn->post = MHD_create_post_processor(c, POST_BUFFER_SIZE, on_part, conn);
        conn->bad_multipart = conn->post == NULL;
    }
    return conn;
}

static void conn_take(mock_conn *conn, const char *data, size_t size)
{
    if (conn->too_large || conn->bad_multipart || conn->route == MOCK_ROUTE_UNKNOWN)
        return;
    conn->received += size;
    if (conn->received > (conn->route == MOCK_ROUTE_FILES ? MOCK_MAX_UPLOAD : MOCK_MAX_BODY)) {
        conn->too_large = true;
        return;
    }
    if (conn->post)
        conn->bad_multipart = MHD_post_process(conn->post, data, size) != MHD_YES;
    else if (ea_buf_append(&conn->body, data, size) != 0)
        conn->too_large = true;
}

static void conn_free(mock_conn *conn)
{
    if (conn->post)
        MHD_destroy_post_processor(conn->post);
    mock_parts_free(&conn->parts);
    ea_buf_free(&conn->body);
    free(conn);
}

/* ---- answering ---- */

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000L + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

/* Headers as the API sends them, plus one that says who is answering. */
static void add_headers(struct MHD_Response *resp, const mock_conn *conn, const char *type)
{
    char ms[32];
    snprintf(ms, sizeof ms, "%ld", elapsed_ms(&conn->started));
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "x-request-id", conn->request_id);
    MHD_add_response_header(resp, "openai-processing-ms", ms);
    MHD_add_response_header(resp, "openai-version", "2020-10-01");
    MHD_add_response_header(resp, "x-easel-mock", "offline stand-in");
}

static void log_request(mock_server *srv, const mock_conn *conn, int status, bool stream)
{
    static const char *const names[] = {
        "(no such route)", "images/generations", "images/edits", "responses",
        "responses/{id}", "responses/{id}/cancel", "files", "batches", "models",
    };
    if (srv->cfg.quiet)
        return;
    fprintf(stderr, "easel mock: %s %d%s %s %ld ms\n", names[conn->route], status,
            stream ? " stream" : "", conn->request_id, elapsed_ms(&conn->started));
}

/* Queues body (its bytes are taken) with status; paced by the drip fault when set. */
static enum MHD_Result send_body(mock_server *srv, struct MHD_Connection *c, mock_conn *conn,
                                 int status, ea_buf *body, const char *retry_after,
                                 int retry_after_ms)
{
    struct MHD_Response *resp;
    size_t len = body->len;
    if (srv->cfg.drip_bps > 0) {
        mock_stream *s = mock_stream_new_body(srv, body);
        resp = s ? MHD_create_response_from_callback(len, STREAM_BLOCK_SIZE, mock_stream_read, s,
                                                     mock_stream_free)
                 : NULL;
        if (s && !resp)
            mock_stream_free(s);
    } else {
        char *bytes = ea_buf_steal(body, &len);
        resp = bytes ? MHD_create_response_from_buffer(len, bytes, MHD_RESPMEM_MUST_FREE) : NULL;
        if (bytes && !resp)
            free(bytes);
    }
    ea_buf_free(body);
    if (!resp)
        return MHD_NO;
    add_headers(resp, conn, "application/json");
    if (retry_after && *retry_after)
        MHD_add_response_header(resp, "retry-after", retry_after);
    if (retry_after_ms >= 0) {
        char ms[32];
        snprintf(ms, sizeof ms, "%d", retry_after_ms);
        MHD_add_response_header(resp, "retry-after-ms", ms);
    }
    log_request(srv, conn, status, false);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result send_error(mock_server *srv, struct MHD_Connection *c, mock_conn *conn,
                                  const mock_error *e, const char *retry_after, int retry_after_ms)
{
    ea_buf body;
    ea_buf_init(&body, EA_BUF_UNCAPPED);
    if (mock_error_body(&body, e) != 0) {
        ea_buf_free(&body);
        return MHD_NO;
    }
    return send_body(srv, c, conn, e->status, &body, retry_after, retry_after_ms);
}

/* Queues a stream already made (it owns what it reads). */
static enum MHD_Result queue_stream(mock_server *srv, struct MHD_Connection *c, mock_conn *conn,
                                    mock_stream *s)
{
    /* MHD frees the stream with the response. */
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, STREAM_BLOCK_SIZE, mock_stream_read, s, mock_stream_free);
    if (!resp) {
        mock_stream_free(s);
        return MHD_NO;
    }
    add_headers(resp, conn, "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    log_request(srv, conn, 200, true);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result send_stream(mock_server *srv, struct MHD_Connection *c, mock_conn *conn,
                                   mock_job *job)
{
    bool responses = job->route == MOCK_ROUTE_RESPONSES;
    mock_stream *s;
    if (responses && job->background_mode) {
        /* The work goes on whoever reads it: this stream is only its first reader. */
        mock_error e;
        mock_bg_entry *entry = mock_bg_start(srv, job, &e);
        if (!entry)
            return send_error(srv, c, conn, &e, NULL, -1);
        s = mock_stream_new_bg(srv, entry, -1);
    } else {
        s = mock_stream_new(srv, job, responses ? mock_responses_next : mock_images_next,
                            responses);
        if (!s) {
            mock_job_free(job);
            free(job);
        }
    }
    return s ? queue_stream(srv, c, conn, s) : MHD_NO;
}

/* GET /v1/responses/{id} (a poll, or with stream=true a resume after starting_after) and
 * POST /v1/responses/{id}/cancel: only background responses are kept to be read again. */
static enum MHD_Result answer_stored(mock_server *srv, struct MHD_Connection *c, mock_conn *conn)
{
    mock_error e;
    mock_bg_entry *entry = mock_bg_find(srv->bg, conn->response_id, &srv->cfg);
    if (!entry) {
        mock_fail(&e, 404, "invalid_request_error", NULL, NULL,
                  "Response with id '%s' not found. " MOCK_OFFLINE_NOTE, conn->response_id);
        return send_error(srv, c, conn, &e, NULL, -1);
    }
    const char *stream = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "stream");
    if (conn->route == MOCK_ROUTE_RESPONSE_GET && stream && strcmp(stream, "true") == 0) {
        const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "starting_after");
        char *end = NULL;
        long n = after ? strtol(after, &end, 10) : -1;
        if (after && (*end || end == after || n < -1 || n > 1000000)) {
            mock_bg_release(entry);
            mock_fail(&e, 400, "invalid_request_error", "invalid_value", "starting_after",
                      "Invalid 'starting_after': expected an integer.");
            return send_error(srv, c, conn, &e, NULL, -1);
        }
        mock_stream *s = mock_stream_new_bg(srv, entry, (int)n);
        return s ? queue_stream(srv, c, conn, s) : MHD_NO;
    }
    ea_buf body;
    ea_buf_init(&body, EA_BUF_UNCAPPED);
    int rc = mock_bg_object(entry, &body, conn->route == MOCK_ROUTE_RESPONSE_CANCEL);
    mock_bg_release(entry);
    if (rc != 0) {
        ea_buf_free(&body);
        return MHD_NO;
    }
    return send_body(srv, c, conn, 200, &body, NULL, -1);
}

/* /v1/files and /v1/batches (files.c, batch.c): a JSON body, or a file's bytes. */
static enum MHD_Result answer_files(mock_server *srv, struct MHD_Connection *c,
                                    mock_conn *conn, const char *method)
{
    mock_error e;
    mock_reply r = { .status = 200 };
    ea_buf_init(&r.body, EA_BUF_UNCAPPED);
    int rc = conn->route == MOCK_ROUTE_FILES
                 ? mock_files_answer(srv, c, method, conn->path, conn->parts, &r, &e)
                 : mock_batches_answer(srv, c, method, conn->path, &conn->body, &r, &e);
    if (rc != 0) {
        ea_buf_free(&r.body);
        return send_error(srv, c, conn, &e, NULL, -1);
    }
    if (!r.content)
        return send_body(srv, c, conn, r.status, &r.body, NULL, -1);
    ea_buf_free(&r.body);
    add_headers(r.content, conn, "application/octet-stream");
    log_request(srv, conn, r.status, false);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r.status, r.content);
    MHD_destroy_response(r.content);
    return ok;
}

/* The whole answer of a request that is not streamed. */
static int build_body(mock_server *srv, mock_job *job, ea_buf *body, mock_error *e)
{
    if (srv->cfg.delay_ms > 0 && !mock_server_sleep(srv, srv->cfg.delay_ms))
        return mock_fail(e, 503, "server_error", NULL, NULL, "The offline stand-in is stopping.");
    int rc = job->route == MOCK_ROUTE_RESPONSES ? mock_responses_body(srv, job, body, e)
                                                : mock_images_body(srv, job, body, e);
    if (rc == 0 && srv->cfg.malformed_event == 0) {
        /* The malformed fault on a plain body: the JSON stops half way. */
        body->len /= 2;
        body->data[body->len] = '\0';
    }
    return rc;
}

/* --request-log: the request as received, before any fault or check answers it. */
static void log_received(mock_server *srv, const mock_conn *conn, const char *method,
                         const char *url)
{
    if (!*srv->cfg.request_log)
        return;
    ea_buf line;
    ea_buf_init(&line, EA_BUF_UNCAPPED);
    if (mock_request_log_line(method, url, conn->body.data, conn->body.len,
                              conn->post ? conn->parts : NULL, &conn->meta, &line) == 0) {
        pthread_mutex_lock(&srv->lock);
        if (mock_request_log_write(srv->cfg.request_log, &line) != 0 && !srv->cfg.quiet)
            fprintf(stderr, "easel mock: cannot append to the request log %s\n",
                    srv->cfg.request_log);
        pthread_mutex_unlock(&srv->lock);
    }
    ea_buf_free(&line);
}

static enum MHD_Result answer(mock_server *srv, struct MHD_Connection *c, mock_conn *conn,
                              const char *method, const char *url)
{
    mock_error e;
    log_received(srv, conn, method, url);
    if (status_fault_due(srv)) {
        mock_fault_status_error(srv->cfg.status, &e);
        return send_error(srv, c, conn, &e, srv->cfg.retry_after, srv->cfg.retry_after_ms);
    }
    if (conn->refused)
        return send_error(srv, c, conn, &conn->refusal, NULL, -1);
    if (conn->route == MOCK_ROUTE_MODELS) {
        ea_buf body;
        ea_buf_init(&body, EA_BUF_UNCAPPED);
        if (mock_models_body(srv, &body) != 0) {
            ea_buf_free(&body);
            return MHD_NO;
        }
        return send_body(srv, c, conn, 200, &body, NULL, -1);
    }
    if (conn->route == MOCK_ROUTE_UNKNOWN) {
        mock_fail(&e, 404, "invalid_request_error", NULL, NULL, "Invalid URL (%s %s)", method, url);
        return send_error(srv, c, conn, &e, NULL, -1);
    }
    if (conn->too_large) {
        mock_fail(&e, 413, "invalid_request_error", NULL, NULL,
                  "Request body too large: the offline stand-in takes at most %zu MiB.",
                  MOCK_MAX_BODY >> 20);
        return send_error(srv, c, conn, &e, NULL, -1);
    }
    if (conn->route == MOCK_ROUTE_RESPONSE_GET || conn->route == MOCK_ROUTE_RESPONSE_CANCEL)
        return answer_stored(srv, c, conn);
    if (conn->bad_multipart) {
        mock_fail(&e, 400, "invalid_request_error", NULL, NULL,
                  "Could not parse the multipart/form-data body of your request.");
        return send_error(srv, c, conn, &e, NULL, -1);
    }
    if (conn->route == MOCK_ROUTE_FILES || conn->route == MOCK_ROUTE_BATCHES)
        return answer_files(srv, c, conn, method);

    mock_job *job = malloc(sizeof *job);
    if (!job)
        return MHD_NO;
    mock_job_init(job, conn->route);
    memcpy(job->request_id, conn->request_id, sizeof job->request_id);
    int rc = conn->post ? mock_request_multipart(srv, job, conn->parts, &e)
                        : mock_request_json(srv, job, conn->body.data ? conn->body.data : "",
                                            conn->body.len, &e);
    if (rc == 0 && job->stream)
        return send_stream(srv, c, conn, job);
    if (rc == 0 && job->background_mode) {
        /* Answered at once with the queued response; the work goes on. */
        ea_buf body;
        ea_buf_init(&body, EA_BUF_UNCAPPED);
        rc = mock_responses_object(&body, job, "queued");
        mock_bg_entry *entry = rc == 0 ? mock_bg_start(srv, job, &e) : NULL;
        mock_bg_release(entry);
        if (!entry || rc != 0) {
            ea_buf_free(&body);
            if (rc != 0) {
                mock_job_free(job);
                free(job);
            }
            return MHD_NO;
        }
        return send_body(srv, c, conn, 200, &body, NULL, -1);
    }

    ea_buf body;
    ea_buf_init(&body, EA_BUF_UNCAPPED);
    if (rc == 0)
        rc = build_body(srv, job, &body, &e);
    mock_job_free(job);
    free(job);
    if (rc != 0) {
        ea_buf_free(&body);
        return send_error(srv, c, conn, &e, NULL, -1);
    }
    return send_body(srv, c, conn, 200, &body, NULL, -1);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **state)
{
    (void)version;
    mock_server *srv = cls;
    mock_conn *conn = *state;
    if (!conn) {
        /* Headers only so far; the body follows in later calls. */
        *state = conn = conn_new(srv, c, method, url);
        return conn ? MHD_YES : MHD_NO;
    }
    if (*upload_size > 0) {
        conn_take(conn, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return answer(srv, c, conn, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)c;
    (void)why;
    if (*state)
        conn_free(*state);
    *state = NULL;
}

/* ---- life cycle ---- */

ea_mock *ea_mock_start(const ea_mock_config *cfg, ea_err *err)
{
    if (cfg->port < 0 || cfg->port > 65535) {
        ea_err_set(err, EA_EXIT_USAGE, "mock: port %d is not 0-65535", cfg->port);
        return NULL;
    }
    ea_mock *m = calloc(1, sizeof *m);
    if (!m) {
        ea_err_set(err, EA_EXIT_INTERNAL, "mock: out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&m->stop_cond, &attr);
    pthread_condattr_destroy(&attr);

    ea_err price_err = { 0 };
    m->prices = ea_prices_load(&price_err);
    if (!m->prices && !cfg->quiet)
        fprintf(stderr, "easel mock: %s; usage falls back to built-in token counts\n",
                price_err.msg);
    m->chain = mock_chain_new(CHAIN_MAX_ENTRIES, CHAIN_MAX_BYTES,
                              *cfg->state_dir ? cfg->state_dir : NULL);
    m->bg = mock_bg_new();
    m->store = mock_store_new(*cfg->state_dir ? cfg->state_dir : NULL);
    m->batches = mock_batches_start(m);

    struct sockaddr_in addr = { 0 };
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | (cfg->quiet ? 0 : MHD_USE_ERROR_LOG);
    if (m->chain && m->bg && m->store)
        m->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, m,
                                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                                     MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        m->daemon ? MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info || info->port == 0) {
        ea_err_set(err, EA_EXIT_INTERNAL, "mock: cannot listen on 127.0.0.1:%d%s", cfg->port,
                   cfg->port ? " (is the port in use?)" : "");
        ea_mock_free(&m);
        return NULL;
    }
    m->port = info->port;
    snprintf(m->base_url, sizeof m->base_url, "http://127.0.0.1:%d%s", m->port,
             cfg->azure ? "" : "/v1");
    return m;
}

int ea_mock_port(const ea_mock *m) { return m->port; }
const char *ea_mock_base_url(const ea_mock *m) { return m->base_url; }

void ea_mock_free(ea_mock **mp)
{
    ea_mock *m = *mp;
    if (!m)
        return;
    /* Wake sleeping streams first: stopping the daemon joins their threads. */
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    pthread_cond_broadcast(&m->stop_cond);
    pthread_mutex_unlock(&m->lock);
    mock_bg_stop(m->bg);
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    /* After the daemon: its request threads hand batches to the ticker until they end. */
    mock_batches_stop(&m->batches);
    mock_bg_free(&m->bg);
    mock_chain_free(&m->chain);
    mock_store_free(&m->store);
    ea_prices_free(&m->prices);
    pthread_cond_destroy(&m->stop_cond);
    pthread_mutex_destroy(&m->lock);
    free(m);
    *mp = NULL;
}
