/* SPDX-License-Identifier: MIT */
/* test_http: ea_http against tiny loopback servers started in the test, each a thread that
 * follows a script (one canned answer per connection) and records the requests it read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "easel/buf.h"
#include "easel/http.h"

/* ---- the scripted server ---- */

typedef struct answer {
    const char *head;  /* sent at once (may be NULL: send nothing) */
    const char *body;  /* then this, byte by byte every gap_ms when gap_ms > 0 */
    int gap_ms;
    bool hold;         /* then keep the connection open until the client closes it */
} answer;

enum { MAX_CONNS = 8 };

typedef struct server {
    int lfd;
    int port;
    pthread_t thread;
    const answer *script;
    int n_script;
    atomic_int n_conns;
    atomic_bool stop;
    ea_buf requests[MAX_CONNS]; /* what each connection sent, as read */
} server;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* strcasestr is a GNU extension; the build is plain POSIX. */
static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

/* Reads one request: the head, then a Content-Length body or a chunked one. */
static void read_request(server *s, int fd, ea_buf *out)
{
    char chunk[4096];
    long long deadline = now_ms() + 3000;
    size_t want = (size_t)-1;
    bool chunked = false;
    while (!atomic_load(&s->stop) && now_ms() < deadline) {
        if (want != (size_t)-1 && out->len >= want)
            return;
        if (chunked && out->len >= 5 && memcmp(out->data + out->len - 5, "0\r\n\r\n", 5) == 0)
            return;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0)
            return;
        ea_buf_append(out, chunk, (size_t)n);
        const char *end = strstr(out->data, "\r\n\r\n");
        if (want == (size_t)-1 && !chunked && end) {
            size_t head_len = (size_t)(end - out->data) + 4;
            const char *cl = find_ci(out->data, "\r\ncontent-length:");
            if (cl && cl < end)
                want = head_len + strtoul(cl + 17, NULL, 10);
            else if (find_ci(out->data, "\r\ntransfer-encoding: chunked"))
                chunked = true;
            else
                want = head_len;
        }
    }
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

static void *server_main(void *arg)
{
    server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {s->lfd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        int i = atomic_fetch_add(&s->n_conns, 1);
        if (i < s->n_script && i < MAX_CONNS) {
            const answer *a = &s->script[i];
            read_request(s, fd, &s->requests[i]);
            if (a->head)
                send_all(fd, a->head, strlen(a->head));
            for (const char *b = a->body; b && *b && !atomic_load(&s->stop); b++) {
                if (a->gap_ms > 0) {
                    sleep_ms(a->gap_ms);
                    send_all(fd, b, 1);
                } else {
                    send_all(fd, b, strlen(b));
                    break;
                }
            }
            while (a->hold && !atomic_load(&s->stop)) {
                struct pollfd q = {fd, POLLIN, 0};
                char sink[512];
                if (poll(&q, 1, 20) > 0 && read(fd, sink, sizeof sink) <= 0)
                    break; /* the client closed */
            }
        }
        close(fd);
    }
    return NULL;
}

static void server_start(server *s, const answer *script, int n)
{
    memset(s, 0, sizeof *s);
    s->script = script;
    s->n_script = n;
    for (int i = 0; i < MAX_CONNS; i++)
        ea_buf_init(&s->requests[i], 1 << 20);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->lfd, 8), 0);
    socklen_t len = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->lfd);
    for (int i = 0; i < MAX_CONNS; i++)
        ea_buf_free(&s->requests[i]);
}

static const char *request_text(server *s, int i)
{
    return s->requests[i].data ? s->requests[i].data : "";
}

/* A port that nothing listens on: bound, then closed again. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* ---- the client side ---- */

typedef struct probe {
    int n_head, n_retry, n_done;
    int head_status;
    int retry_status[4];
    int retry_delay[4];
    char retry_reason[4][256];
    char retry_body[4][256];
    ea_buf body;
    ea_http_result res;     /* a copy; its head strings are gone after on_done */
    char request_id[256];
    char content_type[256];
    bool cancel_on_body;
    int body_calls_after_cancel;
    bool cancelled;
    ea_http_req *req;
    long long t_start, t_done;
} probe;

static int on_head(void *ctx, const ea_http_head *head)
{
    probe *p = ctx;
    p->n_head++;
    p->head_status = head->status;
    return 0;
}

static int on_body(void *ctx, const char *bytes, size_t n)
{
    probe *p = ctx;
    if (p->cancelled)
        p->body_calls_after_cancel++;
    ea_buf_append(&p->body, bytes, n);
    if (p->cancel_on_body && !p->cancelled) {
        p->cancelled = true;
        ea_http_cancel(p->req);
    }
    return 0;
}

static void on_retry(void *ctx, const ea_http_retry *r)
{
    probe *p = ctx;
    if (p->n_retry < 4) {
        p->retry_status[p->n_retry] = r->head->status;
        p->retry_delay[p->n_retry] = r->delay_ms;
        snprintf(p->retry_reason[p->n_retry], 256, "%s", r->reason);
        snprintf(p->retry_body[p->n_retry], 256, "%s", r->body);
    }
    assert_int_equal(r->retry, p->n_retry + 1);
    p->n_retry++;
}

static void on_done(void *ctx, const ea_http_result *res)
{
    probe *p = ctx;
    p->n_done++;
    p->res = *res;
    snprintf(p->request_id, sizeof p->request_id, "%s", res->head.request_id);
    snprintf(p->content_type, sizeof p->content_type, "%s", res->head.content_type);
    p->res.head.request_id = p->request_id;
    p->res.head.content_type = p->content_type;
    p->t_done = now_ms();
}

static const ea_http_callbacks callbacks = {on_head, on_body, on_retry, on_done};

static void probe_init(probe *p)
{
    memset(p, 0, sizeof *p);
    ea_buf_init(&p->body, 1 << 20);
}

/* The loop a real caller runs, with a deadline so that a bug cannot hang the suite. */
static void run(ea_http *h)
{
    long long deadline = now_ms() + 4000;
    while (ea_http_active(h) > 0 && now_ms() < deadline) {
        assert_int_equal(ea_http_wait(h, NULL, 0, 200), 0);
        assert_int_equal(ea_http_process(h), 0);
    }
    assert_int_equal(ea_http_active(h), 0);
}

static char url_buf[128];

static const char *url_for(int port)
{
    snprintf(url_buf, sizeof url_buf, "http://127.0.0.1:%d/v1/images/generations", port);
    return url_buf;
}

/* Runs one JSON request against a server with the script given; p receives the story. */
static void exchange(server *s, const answer *script, int n, ea_http_request *req, probe *p)
{
    server_start(s, script, n);
    req->url = url_for(s->port);
    if (!req->json_body && !req->parts)
        req->json_body = "{\"model\":\"gpt-image-2\",\"prompt\":\"a cat\"}";
    ea_http *h = ea_http_new();
    assert_non_null(h);
    ea_err err;
    ea_err_clear(&err);
    p->t_start = now_ms();
    p->req = ea_http_start(h, req, &callbacks, p, &err);
    assert_non_null(p->req);
    run(h);
    ea_http_free(&h);
    assert_null(h);
    assert_int_equal(p->n_done, 1);
}

#define OK_JSON "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: req_ok\r\n" \
                "Content-Length: 11\r\nConnection: close\r\n\r\n"

/* ---- tests ---- */

static void test_refuses_plain_http_off_loopback(void **state)
{
    (void)state;
    ea_http *h = ea_http_new();
    ea_http_request req;
    ea_http_request_init(&req);
    req.json_body = "{}";
    probe p;
    probe_init(&p);
    static const char *const refused[] = {
        "http://example.com/v1/images", "http://127.0.0.1.evil.example/v1", "ftp://127.0.0.1/x",
        "example.com/v1", "http://user:pw@127.0.0.1/v1", "http://[::2]/v1", "",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        ea_err err;
        ea_err_clear(&err);
        req.url = refused[i];
        assert_null(ea_http_start(h, &req, &callbacks, &p, &err));
        assert_int_equal(err.code, EA_EXIT_USAGE);
    }
    ea_err err;
    req.url = "http://example.com/v1/images";
    ea_http_start(h, &req, &callbacks, &p, &err);
    assert_non_null(strstr(err.msg, "https://"));
    assert_non_null(strstr(err.msg, "example.com"));

    /* A control character in a header value is refused without echoing the value. */
    req.url = "https://api.openai.com/v1/images/generations";
    req.api_key = "sk-secret\r\nX-Evil: 1";
    assert_null(ea_http_start(h, &req, &callbacks, &p, &err));
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_null(strstr(err.msg, "sk-secret"));
    req.api_key = NULL;

    /* Loopback http and any https are accepted; ea_http_free cancels them unstarted. */
    static const char *const accepted[] = {
        "http://127.0.0.1:1/v1", "http://127.9.8.7:1/v1", "http://[::1]:1/v1",
        "http://localhost:1/v1", "HTTPS://api.openai.com/v1/images/generations",
    };
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        req.url = accepted[i];
        assert_non_null(ea_http_start(h, &req, &callbacks, &p, &err));
    }
    assert_int_equal(ea_http_active(h), 5);
    assert_int_equal(p.n_done, 0);
    ea_http_free(&h);
    assert_int_equal(p.n_done, 5);
    assert_int_equal(p.res.outcome, EA_HTTP_CANCELLED);
    assert_false(p.res.request_sent);
    ea_buf_free(&p.body);
}

static void test_json_headers_and_body(void **state)
{
    (void)state;
    static const answer script[] = {{OK_JSON, "{\"data\":[]}", 0, false}};
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    req.api_key = "sk-test-123";
    req.organization = "org-abc";
    req.project = "proj_xyz";
    exchange(&s, script, 1, &req, &p);

    const char *q = request_text(&s, 0);
    assert_non_null(strstr(q, "POST /v1/images/generations HTTP/1.1\r\n"));
    assert_non_null(strstr(q, "\r\nAuthorization: Bearer sk-test-123\r\n"));
    assert_non_null(strstr(q, "\r\nOpenAI-Organization: org-abc\r\n"));
    assert_non_null(strstr(q, "\r\nOpenAI-Project: proj_xyz\r\n"));
    assert_non_null(strstr(q, "\r\nUser-Agent: easel/" EASEL_VERSION "\r\n"));
    assert_non_null(strstr(q, "\r\nAccept: application/json\r\n"));
    assert_non_null(strstr(q, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(q, "\r\nX-Stainless-Retry-Count: 0\r\n"));
    assert_null(find_ci(q, "\r\nExpect:"));
    assert_non_null(strstr(q, "\r\n\r\n{\"model\":\"gpt-image-2\",\"prompt\":\"a cat\"}"));

    assert_int_equal(p.res.outcome, EA_HTTP_COMPLETE);
    assert_int_equal(p.res.err.code, 0);
    assert_int_equal(p.res.head.status, 200);
    assert_string_equal(p.res.head.request_id, "req_ok");
    assert_string_equal(p.res.head.content_type, "application/json");
    assert_int_equal(p.n_head, 1);
    assert_int_equal(p.n_retry, 0);
    assert_string_equal(p.body.data, "{\"data\":[]}");
    assert_int_equal(p.res.body_bytes, 11);
    assert_true(p.res.got_response && p.res.request_sent && p.res.may_have_been_processed);
    assert_int_equal(p.res.attempts, 1);
    assert_true(p.res.ms_first_byte >= 0 && p.res.ms_first_byte <= p.res.ms_total);
    assert_int_equal(atomic_load(&s.n_conns), 1);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_no_key_no_authorization(void **state)
{
    (void)state;
    static const answer script[] = {{OK_JSON, "{\"data\":[]}", 0, false}};
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    req.organization = ""; /* empty means unset */
    exchange(&s, script, 1, &req, &p);
    const char *q = request_text(&s, 0);
    assert_null(find_ci(q, "\r\nAuthorization:"));
    assert_null(find_ci(q, "\r\nOpenAI-Organization:"));
    assert_null(find_ci(q, "\r\nOpenAI-Project:"));
    assert_non_null(strstr(q, "\r\nUser-Agent: easel/"));
    assert_int_equal(p.res.outcome, EA_HTTP_COMPLETE);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_multipart_parts_survive_a_retry(void **state)
{
    (void)state;
    char path[] = "/tmp/easel-test-http-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "PNG-FROM-FILE", 13), 13);
    close(fd);
    static unsigned char jpeg[] = "JPEG-FROM-MEMORY";
    static unsigned char mask[] = "MASK-BYTES";
    ea_request_part parts[] = {
        {.name = "model", .value = "gpt-image-2"},
        {.name = "prompt", .value = "add a hat"},
        {.name = "image[]", .path = path, .filename = "a.png", .content_type = "image/png"},
        {.name = "image[]", .bytes = jpeg, .n_bytes = sizeof jpeg - 1, .filename = "b.jpg",
         .content_type = "image/jpeg"},
        {.name = "mask", .bytes = mask, .n_bytes = sizeof mask - 1, .filename = "mask.png",
         .content_type = "image/png"},
    };
    static const answer script[] = {
        {"HTTP/1.1 503 Service Unavailable\r\nretry-after-ms: 10\r\nContent-Length: 2\r\n"
         "Connection: close\r\n\r\n", "{}", 0, false},
        {OK_JSON, "{\"data\":[]}", 0, false},
    };
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    req.parts = parts;
    req.n_parts = 5;
    exchange(&s, script, 2, &req, &p);
    assert_int_equal(p.n_retry, 1);
    assert_int_equal(p.res.outcome, EA_HTTP_COMPLETE);
    for (int i = 0; i < 2; i++) { /* the retry rewinds every part, in memory or on disk */
        const char *q = request_text(&s, i);
        assert_non_null(strstr(q, "\r\nContent-Type: multipart/form-data; boundary="));
        assert_null(strstr(q, "\r\nContent-Type: application/json"));
        assert_non_null(strstr(q, "Content-Disposition: form-data; name=\"prompt\"\r\n\r\n"
                                  "add a hat\r\n"));
        assert_non_null(strstr(q, "Content-Disposition: form-data; name=\"image[]\"; "
                                  "filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
                                  "PNG-FROM-FILE\r\n"));
        assert_non_null(strstr(q, "Content-Disposition: form-data; name=\"image[]\"; "
                                  "filename=\"b.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                                  "JPEG-FROM-MEMORY\r\n"));
        assert_non_null(strstr(q, "Content-Disposition: form-data; name=\"mask\"; "
                                  "filename=\"mask.png\"\r\nContent-Type: image/png\r\n\r\n"
                                  "MASK-BYTES\r\n"));
    }
    unlink(path);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_429_then_200_retries_once(void **state)
{
    (void)state;
    static const answer script[] = {
        {"HTTP/1.1 429 Too Many Requests\r\nretry-after: 0.1\r\nx-request-id: req_429\r\n"
         "Content-Length: 31\r\nConnection: close\r\n\r\n",
         "{\"error\":{\"code\":\"rate_limit\"}}", 0, false},
        {OK_JSON, "{\"data\":[]}", 0, false},
    };
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    exchange(&s, script, 2, &req, &p);
    assert_int_equal(atomic_load(&s.n_conns), 2);
    assert_int_equal(p.n_retry, 1);
    assert_int_equal(p.retry_status[0], 429);
    assert_int_equal(p.retry_delay[0], 100); /* the hint, followed */
    assert_string_equal(p.retry_reason[0], "HTTP 429");
    assert_string_equal(p.retry_body[0], "{\"error\":{\"code\":\"rate_limit\"}}");
    assert_non_null(strstr(request_text(&s, 0), "\r\nX-Stainless-Retry-Count: 0\r\n"));
    assert_non_null(strstr(request_text(&s, 1), "\r\nX-Stainless-Retry-Count: 1\r\n"));
    assert_int_equal(p.n_head, 1); /* the 429 never reached on_head */
    assert_int_equal(p.head_status, 200);
    assert_string_equal(p.body.data, "{\"data\":[]}"); /* nor on_body */
    assert_int_equal(p.res.attempts, 2);
    assert_true(p.t_done - p.t_start >= 100);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_400_is_not_retried(void **state)
{
    (void)state;
    static const answer script[] = {
        {"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 32\r\n"
         "Connection: close\r\n\r\n", "{\"error\":{\"message\":\"bad size\"}}", 0, false},
        {OK_JSON, "{\"data\":[]}", 0, false},
    };
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    exchange(&s, script, 2, &req, &p);
    assert_int_equal(atomic_load(&s.n_conns), 1);
    assert_int_equal(p.n_retry, 0);
    assert_int_equal(p.res.outcome, EA_HTTP_COMPLETE);
    assert_int_equal(p.res.head.status, 400);
    assert_string_equal(p.body.data, "{\"error\":{\"message\":\"bad size\"}}");
    assert_true(p.res.request_sent);
    assert_false(p.res.may_have_been_processed); /* a complete refusal */
    server_stop(&s);
    ea_buf_free(&p.body);
}

#define ERR500(n) \
    {"HTTP/1.1 500 Internal Server Error\r\nretry-after-ms: 20\r\nContent-Length: 9\r\n" \
     "Connection: close\r\n\r\n", "attempt " #n, 0, false}

static void test_500_twice_then_200(void **state)
{
    (void)state;
    static const answer script[] = {ERR500(1), ERR500(2), {OK_JSON, "{\"data\":[]}", 0, false}};
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    exchange(&s, script, 3, &req, &p);
    assert_int_equal(atomic_load(&s.n_conns), 3);
    assert_int_equal(p.n_retry, 2);
    assert_string_equal(p.retry_body[0], "attempt 1");
    assert_string_equal(p.retry_body[1], "attempt 2");
    assert_non_null(strstr(request_text(&s, 2), "\r\nX-Stainless-Retry-Count: 2\r\n"));
    assert_int_equal(p.res.outcome, EA_HTTP_COMPLETE);
    assert_int_equal(p.res.head.status, 200);
    assert_int_equal(p.res.attempts, 3);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_500_three_times_gives_up_with_last_body(void **state)
{
    (void)state;
    static const answer script[] = {ERR500(1), ERR500(2), ERR500(3), ERR500(4)};
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    exchange(&s, script, 4, &req, &p);
    assert_int_equal(atomic_load(&s.n_conns), 3);
    assert_int_equal(p.n_retry, 2);
    assert_int_equal(p.res.outcome, EA_HTTP_COMPLETE);
    assert_int_equal(p.res.head.status, 500);
    assert_int_equal(p.n_head, 1);
    assert_string_equal(p.body.data, "attempt 3");
    assert_int_equal(p.res.attempts, 3);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_should_retry_false_forbids(void **state)
{
    (void)state;
    static const answer script[] = {
        {"HTTP/1.1 503 Service Unavailable\r\nx-should-retry: false\r\nretry-after-ms: 10\r\n"
         "Content-Length: 4\r\nConnection: close\r\n\r\n", "busy", 0, false},
        {OK_JSON, "{\"data\":[]}", 0, false},
    };
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    exchange(&s, script, 2, &req, &p);
    assert_int_equal(atomic_load(&s.n_conns), 1);
    assert_int_equal(p.n_retry, 0);
    assert_int_equal(p.res.head.status, 503);
    assert_string_equal(p.body.data, "busy");
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_should_retry_true_forces(void **state)
{
    (void)state;
    static const answer script[] = {
        {"HTTP/1.1 400 Bad Request\r\nx-should-retry: true\r\nretry-after-ms: 10\r\n"
         "Content-Length: 4\r\nConnection: close\r\n\r\n", "oops", 0, false},
        {OK_JSON, "{\"data\":[]}", 0, false},
    };
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    exchange(&s, script, 2, &req, &p);
    assert_int_equal(atomic_load(&s.n_conns), 2);
    assert_int_equal(p.n_retry, 1);
    assert_int_equal(p.res.head.status, 200);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_200_dropped_mid_body_is_not_retried(void **state)
{
    (void)state;
    static const answer script[] = {
        {"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 100\r\n"
         "Connection: close\r\n\r\n", "event: ima", 0, false},
        {OK_JSON, "{\"data\":[]}", 0, false},
    };
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    exchange(&s, script, 2, &req, &p);
    assert_int_equal(atomic_load(&s.n_conns), 1);
    assert_int_equal(p.n_retry, 0);
    assert_int_equal(p.res.outcome, EA_HTTP_TRANSPORT);
    assert_int_equal(p.res.err.code, EA_EXIT_INTERRUPTED);
    assert_non_null(strstr(p.res.err.msg, "cut off"));
    assert_string_equal(p.body.data, "event: ima");
    assert_int_equal(p.res.body_bytes, 10);
    assert_true(p.res.got_response && p.res.may_have_been_processed);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_connection_refused_is_retried_then_fails(void **state)
{
    (void)state;
    ea_http *h = ea_http_new();
    ea_http_request req;
    ea_http_request_init(&req);
    req.json_body = "{}";
    req.url = url_for(closed_port());
    probe p;
    probe_init(&p);
    ea_err err;
    long long t0 = now_ms();
    p.req = ea_http_start(h, &req, &callbacks, &p, &err);
    assert_non_null(p.req);
    run(h);
    ea_http_free(&h);
    assert_int_equal(p.n_retry, 2);
    /* The SDKs' backoff: 0.5 s then 1 s, less up to 25% jitter. */
    assert_true(p.retry_delay[0] >= 375 && p.retry_delay[0] <= 500);
    assert_true(p.retry_delay[1] >= 750 && p.retry_delay[1] <= 1000);
    assert_true(now_ms() - t0 >= p.retry_delay[0] + p.retry_delay[1]);
    assert_non_null(strstr(p.retry_reason[0], "connection failed"));
    assert_int_equal(p.retry_status[0], 0);
    assert_int_equal(p.n_done, 1);
    assert_int_equal(p.res.outcome, EA_HTTP_CONNECT);
    assert_int_equal(p.res.err.code, EA_EXIT_NETWORK);
    assert_non_null(strstr(p.res.err.msg, "cannot connect"));
    assert_false(p.res.request_sent);
    assert_false(p.res.got_response);
    assert_int_equal(p.res.attempts, 3);
    assert_int_equal(p.n_head, 0);
    ea_buf_free(&p.body);
}

static void test_redirect_is_reported_not_followed(void **state)
{
    (void)state;
    static const answer script[] = {
        {"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.2:1/x\r\n"
         "Content-Length: 0\r\nConnection: close\r\n\r\n", NULL, 0, false},
    };
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    req.api_key = "sk-test";
    exchange(&s, script, 1, &req, &p);
    assert_int_equal(atomic_load(&s.n_conns), 1);
    assert_int_equal(p.res.outcome, EA_HTTP_REDIRECT);
    assert_int_equal(p.res.err.code, EA_EXIT_NETWORK);
    assert_non_null(strstr(p.res.err.msg, "http://127.0.0.2:1/x"));
    assert_int_equal(p.res.head.status, 307);
    assert_int_equal(p.n_head, 0);
    assert_int_equal(p.n_retry, 0);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_black_hole_times_out_without_retry(void **state)
{
    (void)state;
    static const answer script[] = {{NULL, NULL, 0, true}, {NULL, NULL, 0, true}};
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    req.idle_timeout_ms = 300;
    exchange(&s, script, 2, &req, &p);
    long long took = p.t_done - p.t_start;
    assert_true(took >= 300 && took < 1000);
    assert_int_equal(atomic_load(&s.n_conns), 1);
    assert_int_equal(p.n_retry, 0);
    assert_int_equal(p.res.outcome, EA_HTTP_TIMEOUT);
    assert_int_equal(p.res.err.code, EA_EXIT_NETWORK);
    assert_non_null(strstr(p.res.err.msg, "idle timeout"));
    assert_true(p.res.request_sent);
    assert_false(p.res.got_response);
    server_stop(&s);
    ea_buf_free(&p.body);
}

/* Idle means no byte at all for the window: a drip faster than the window is alive however
 * long it lasts; one slower than the window dies at the first long gap. */
static void test_drip_within_idle_window_completes(void **state)
{
    (void)state;
    static const answer script[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n", "abcdef", 100,
         false},
    };
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    req.idle_timeout_ms = 300;
    exchange(&s, script, 1, &req, &p);
    assert_int_equal(p.res.outcome, EA_HTTP_COMPLETE);
    assert_string_equal(p.body.data, "abcdef");
    assert_true(p.t_done - p.t_start >= 500); /* longer than the idle window in total */
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_drip_slower_than_idle_window_times_out(void **state)
{
    (void)state;
    static const answer script[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n", "abcdef", 100,
         false},
    };
    /* 100 ms gaps against a 60 ms window: the body never gets past its first byte or so. */
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    req.idle_timeout_ms = 60;
    exchange(&s, script, 1, &req, &p);
    assert_int_equal(p.res.outcome, EA_HTTP_TIMEOUT);
    assert_int_equal(p.n_retry, 0);
    assert_true(p.res.got_response);
    assert_true(p.res.body_bytes < 6);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_response_cap(void **state)
{
    (void)state;
    static const answer declared[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n", NULL, 0,
         false},
    };
    static char big[1001];
    memset(big, 'x', 1000);
    answer undeclared[] = {{"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", big, 0, false}};
    for (int round = 0; round < 2; round++) {
        server s;
        probe p;
        probe_init(&p);
        ea_http_request req;
        ea_http_request_init(&req);
        req.max_response_bytes = 100;
        exchange(&s, round == 0 ? declared : undeclared, 1, &req, &p);
        assert_int_equal(p.res.outcome, EA_HTTP_TOO_LARGE);
        assert_true(p.res.body_bytes <= 100);
        assert_int_equal(p.n_retry, 0);
        server_stop(&s);
        ea_buf_free(&p.body);
    }
}

static void test_cancel_mid_stream(void **state)
{
    (void)state;
    static const answer script[] = {
        {"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
         "event: image_generation.partial_image\n", 0, true},
    };
    server s;
    probe p;
    probe_init(&p);
    p.cancel_on_body = true;
    ea_http_request req;
    ea_http_request_init(&req);
    exchange(&s, script, 1, &req, &p);
    assert_true(p.cancelled);
    assert_int_equal(p.body_calls_after_cancel, 0);
    assert_int_equal(p.res.outcome, EA_HTTP_CANCELLED);
    assert_int_equal(p.res.err.code, EA_EXIT_INTERRUPTED);
    assert_true(p.res.request_sent);
    assert_true(p.t_done - p.t_start < 1000);
    server_stop(&s);
    ea_buf_free(&p.body);
}

static void test_cancel_before_start_and_twice(void **state)
{
    (void)state;
    ea_http *h = ea_http_new();
    ea_http_request req;
    ea_http_request_init(&req);
    req.json_body = "{}";
    req.url = url_for(closed_port());
    probe p;
    probe_init(&p);
    ea_err err;
    ea_http_req *r = ea_http_start(h, &req, &callbacks, &p, &err);
    ea_http_cancel(r);
    ea_http_cancel(r);
    long long t0 = now_ms();
    assert_int_equal(ea_http_wait(h, NULL, 0, 2000), 0); /* returns at once: work is due */
    assert_true(now_ms() - t0 < 500);
    assert_int_equal(ea_http_process(h), 0);
    assert_int_equal(p.n_done, 1);
    assert_int_equal(p.res.outcome, EA_HTTP_CANCELLED);
    assert_false(p.res.request_sent);
    assert_int_equal(ea_http_active(h), 0);
    ea_http_free(&h);
    ea_buf_free(&p.body);
}

static void *wake_later(void *arg)
{
    sleep_ms(100);
    ea_http_wakeup(arg);
    return NULL;
}

static void test_wait_watches_extra_fds_and_wakeups(void **state)
{
    (void)state;
    ea_http *h = ea_http_new();
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct pollfd extra[2] = {{fds[0], POLLIN, 0}, {fds[0], POLLIN, 0}};
    assert_int_equal(write(fds[1], "k", 1), 1);
    long long t0 = now_ms();
    assert_int_equal(ea_http_wait(h, extra, 2, 2000), 0);
    assert_true(now_ms() - t0 < 500);
    assert_true(extra[0].revents & POLLIN);

    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wake_later, h), 0);
    t0 = now_ms();
    assert_int_equal(ea_http_wait(h, extra, 1, 2000), 0);
    long long took = now_ms() - t0;
    pthread_join(t, NULL);
    assert_true(took >= 50 && took < 1000);
    assert_int_equal(extra[0].revents, 0);

    t0 = now_ms();
    assert_int_equal(ea_http_wait(h, NULL, 0, 50), 0); /* a plain timeout */
    assert_true(now_ms() - t0 >= 40);
    close(fds[0]);
    close(fds[1]);
    ea_http_free(&h);
}

/* The server's hint wins when it is sane (retry-after-ms before retry-after); a hint past 60 s
 * falls back on the backoff instead of stalling the request. */
static void test_retry_hints(void **state)
{
    (void)state;
    static const answer script[] = {
        {"HTTP/1.1 429 Too Many Requests\r\nretry-after: 120\r\nContent-Length: 0\r\n"
         "Connection: close\r\n\r\n", NULL, 0, false},
        {"HTTP/1.1 503 Service Unavailable\r\nretry-after-ms: 30\r\nretry-after: 5\r\n"
         "Content-Length: 0\r\nConnection: close\r\n\r\n", NULL, 0, false},
        {OK_JSON, "{\"data\":[]}", 0, false},
    };
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    exchange(&s, script, 3, &req, &p);
    assert_int_equal(p.n_retry, 2);
    assert_true(p.retry_delay[0] >= 375 && p.retry_delay[0] <= 500);
    assert_int_equal(p.retry_delay[1], 30);
    assert_int_equal(p.res.head.status, 200);
    server_stop(&s);
    ea_buf_free(&p.body);
}

/* Two requests share the multi handle, and an on_done may start the next one (a chained
 * turn does exactly that). */
typedef struct chain {
    probe first, second, third;
    ea_http *h;
    ea_http_request req;
} chain;

static void on_done_then_start(void *ctx, const ea_http_result *res)
{
    chain *c = ctx;
    on_done(&c->first, res);
    ea_err err;
    c->third.req = ea_http_start(c->h, &c->req, &callbacks, &c->third, &err);
    assert_non_null(c->third.req);
}

static void test_parallel_and_chained_requests(void **state)
{
    (void)state;
    static const answer script[] = {
        {OK_JSON, "{\"data\":[]}", 0, false},
        {OK_JSON, "{\"data\":[]}", 0, false},
        {OK_JSON, "{\"data\":[]}", 0, false},
    };
    static chain c;
    memset(&c, 0, sizeof c);
    probe_init(&c.first);
    probe_init(&c.second);
    probe_init(&c.third);
    server s;
    server_start(&s, script, 3);
    c.h = ea_http_new();
    ea_http_request_init(&c.req);
    c.req.url = url_for(s.port);
    c.req.json_body = "{\"n\":1}";
    ea_http_callbacks first_cb = callbacks;
    first_cb.on_done = on_done_then_start;
    ea_err err;
    assert_non_null(ea_http_start(c.h, &c.req, &first_cb, &c, &err));
    assert_non_null(ea_http_start(c.h, &c.req, &callbacks, &c.second, &err));
    assert_int_equal(ea_http_active(c.h), 2);
    run(c.h);
    assert_int_equal(c.first.n_done, 1);
    assert_int_equal(c.second.n_done, 1);
    assert_int_equal(c.third.n_done, 1);
    assert_string_equal(c.third.body.data, "{\"data\":[]}");
    assert_int_equal(atomic_load(&s.n_conns), 3);
    ea_http_free(&c.h);
    server_stop(&s);
    ea_buf_free(&c.first.body);
    ea_buf_free(&c.second.body);
    ea_buf_free(&c.third.body);
}

/* EASEL_DEBUG_HTTP traces the exchange on stderr, and the key never appears in it. */
static void test_debug_trace_redacts_the_key(void **state)
{
    (void)state;
    static const answer script[] = {{OK_JSON, "{\"data\":[]}", 0, false}};
    FILE *trace = tmpfile();
    assert_non_null(trace);
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(trace), 2);
    setenv("EASEL_DEBUG_HTTP", "1", 1);
    server s;
    probe p;
    probe_init(&p);
    ea_http_request req;
    ea_http_request_init(&req);
    req.api_key = "sk-very-secret-key";
    exchange(&s, script, 1, &req, &p);
    unsetenv("EASEL_DEBUG_HTTP");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char text[16384];
    rewind(trace);
    size_t n = fread(text, 1, sizeof text - 1, trace);
    text[n] = '\0';
    fclose(trace);
    assert_non_null(strstr(text, "> Authorization: [redacted]"));
    assert_non_null(strstr(text, "< HTTP/1.1 200 OK"));
    assert_null(strstr(text, "sk-very-secret-key"));
    assert_non_null(strstr(request_text(&s, 0), "Bearer sk-very-secret-key"));
    server_stop(&s);
    ea_buf_free(&p.body);
}

/* A resumed download's Content-Range: read exactly, a number past INT64 refused, not wrapped. */
static void test_content_range(void **state)
{
    (void)state;
    long long first = 0, last = 0, total = 0;
    assert_int_equal(ea_http_content_range("bytes 100-199/200", &first, &last, &total), 0);
    assert_true(first == 100 && last == 199 && total == 200);
    assert_int_equal(ea_http_content_range("Bytes 0-0/*", &first, &last, &total), 0);
    assert_true(first == 0 && last == 0 && total == -1);
    assert_int_equal(ea_http_content_range("bytes 9223372036854775806-9223372036854775806/"
                                           "9223372036854775807", &first, &last, &total), 0);
    assert_true(first == 9223372036854775806LL && total == 9223372036854775807LL);
    static const char *const bad[] = {
        NULL, "", "bytes", "bytes */200", "bytes 100-/200", "bytes -100-199/200",
        "bytes +100-199/200", "bytes 200-100/300", "bytes 100-199/199", "bytes 100-199/",
        "bytes 100-199/200x", "items 100-199/200", "bytes 100 -199/200",
        "bytes 18446744073709551716-18446744073709551816/18446744073709551916",
        "bytes 9223372036854775808-9223372036854775809/9223372036854775810",
        "bytes 0-1/9223372036854775808",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ea_http_content_range(bad[i], &first, &last, &total), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_plain_http_off_loopback),
        cmocka_unit_test(test_json_headers_and_body),
        cmocka_unit_test(test_no_key_no_authorization),
        cmocka_unit_test(test_multipart_parts_survive_a_retry),
        cmocka_unit_test(test_429_then_200_retries_once),
        cmocka_unit_test(test_400_is_not_retried),
        cmocka_unit_test(test_500_twice_then_200),
        cmocka_unit_test(test_500_three_times_gives_up_with_last_body),
        cmocka_unit_test(test_should_retry_false_forbids),
        cmocka_unit_test(test_should_retry_true_forces),
        cmocka_unit_test(test_200_dropped_mid_body_is_not_retried),
        cmocka_unit_test(test_connection_refused_is_retried_then_fails),
        cmocka_unit_test(test_redirect_is_reported_not_followed),
        cmocka_unit_test(test_black_hole_times_out_without_retry),
        cmocka_unit_test(test_drip_within_idle_window_completes),
        cmocka_unit_test(test_drip_slower_than_idle_window_times_out),
        cmocka_unit_test(test_response_cap),
        cmocka_unit_test(test_cancel_mid_stream),
        cmocka_unit_test(test_cancel_before_start_and_twice),
        cmocka_unit_test(test_wait_watches_extra_fds_and_wakeups),
        cmocka_unit_test(test_retry_hints),
        cmocka_unit_test(test_parallel_and_chained_requests),
        cmocka_unit_test(test_debug_trace_redacts_the_key),
        cmocka_unit_test(test_content_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
