/* SPDX-License-Identifier: MIT */
/* http: the only file in easel that includes curl. Requests run on one multi handle that the
 * caller's loop drives (ea_http_wait, then ea_http_process), the shape of curl's
 * docs/examples/multi-single.c with extra descriptors and curl_multi_wakeup.
 *
 * Life of a request: QUEUED (waiting for its due time: now for the first attempt, later for a
 * retry) -> RUNNING (in the multi handle) -> back to QUEUED for a retry, or finished (on_done,
 * then freed). Handles are only ever added to or removed from the multi handle by
 * ea_http_process, never from inside a curl callback, where curl forbids it; so
 * ea_http_start and ea_http_cancel only queue or flag, and the loop does the rest. */
#include "easel/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#ifndef EASEL_VERSION
#define EASEL_VERSION "dev"
#endif

enum { HEADER_VALUE_MAX = 256, LOCATION_MAX = 1024, EXCERPT_MAX = 1024 };

/* The head of one attempt's response, kept in fixed arrays: header values are borrowed by
 * callbacks, and a hostile server must not make us allocate without bound. */
typedef struct head_store {
    int status;
    char request_id[HEADER_VALUE_MAX];
    char content_type[HEADER_VALUE_MAX];
    char retry_after[HEADER_VALUE_MAX];
    char retry_after_ms[HEADER_VALUE_MAX];
    char should_retry[HEADER_VALUE_MAX];
    char processing_ms[HEADER_VALUE_MAX];
    char content_length[HEADER_VALUE_MAX];
    char content_range[HEADER_VALUE_MAX];
    char location[LOCATION_MAX];
} head_store;

enum req_state { RS_QUEUED, RS_RUNNING };

struct ea_http_req {
    ea_http *h;
    ea_http_req *prev, *next;
    ea_http_request req;    /* the caller's request; its pointers are borrowed */
    ea_http_callbacks cb;
    void *ctx;

    CURL *easy;
    CURLU *url;             /* the URL as checked, handed to curl as is (CURLOPT_CURLU) */
    curl_mime *mime;
    struct curl_slist *headers; /* rebuilt for each attempt (X-Stainless-Retry-Count) */
    char errbuf[CURL_ERROR_SIZE];

    enum req_state state;
    bool cancelled;
    int retries;            /* retries taken so far */
    long long due_ms;       /* when QUEUED: when the next attempt starts */
    long long t_start_ms;   /* ea_http_start */
    long long t_activity_ms; /* the last byte moved either way in this attempt */
    curl_off_t last_dl, last_ul;

    /* The current attempt. */
    head_store head;
    bool head_final;        /* the final (non-1xx) head of this attempt is complete */
    bool head_delivered;    /* ...and went to on_head: the body goes to on_body */
    bool retry_this;        /* ...and asks for a retry: the body goes to the excerpt */
    bool got_byte;
    bool uploaded;          /* a request body byte left */
    bool redirected, too_large, aborted, idle_timed_out;
    long ms_first_byte;
    size_t attempt_bytes;   /* body bytes of this attempt, against the cap */
    size_t body_bytes;      /* delivered to on_body */
    char excerpt[EXCERPT_MAX + 1];
    size_t excerpt_len;
};

struct ea_http {
    CURLM *multi;
    ea_http_req *first, *last;
    int n_active;
    struct curl_waitfd *wfds; /* scratch for ea_http_wait's extra descriptors */
    unsigned wfds_cap;
    uint64_t rng;
    bool debug;
};

/* ---- small helpers ---- */

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: jitter needs no cryptographic quality, only independence between clients. */
static double rand01(ea_http *h)
{
    h->rng ^= h->rng >> 12;
    h->rng ^= h->rng << 25;
    h->rng ^= h->rng >> 27;
    return (double)((h->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* Copies a network string into a message, replacing control bytes so that it cannot drive
 * the terminal it is shown on. */
static void sanitize(char *dst, size_t cap, const char *src)
{
    size_t k = 0;
    for (; *src && k + 1 < cap; src++)
        dst[k++] = ((unsigned char)*src < 0x20 || *src == 0x7f) ? '?' : *src;
    dst[k] = '\0';
}

static bool has_control_char(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static bool is_set(const char *s)
{
    return s && *s;
}

static void head_view(const head_store *s, ea_http_head *out)
{
    out->status = s->status;
    out->request_id = s->request_id;
    out->content_type = s->content_type;
    out->retry_after = s->retry_after;
    out->retry_after_ms = s->retry_after_ms;
    out->should_retry = s->should_retry;
    out->processing_ms = s->processing_ms;
    out->content_length = s->content_length;
    out->content_range = s->content_range;
}

/* Digits only (no sign, no space: strtoll would take both), at most INT64_MAX. */
static const char *range_number(const char *p, long long *out)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    long long v = 0;
    for (; isdigit((unsigned char)*p); p++) {
        int d = *p - '0';
        if (v > (LLONG_MAX - d) / 10)
            return NULL;
        v = v * 10 + d;
    }
    *out = v;
    return p;
}

int ea_http_content_range(const char *value, long long *first, long long *last,
                          long long *total)
{
    if (!value || strncasecmp(value, "bytes ", 6) != 0)
        return -1;
    const char *p = value + 6;
    while (*p == ' ')
        p++;
    if (!(p = range_number(p, first)) || *p++ != '-' || !(p = range_number(p, last)) ||
        *p++ != '/' || *first > *last)
        return -1;
    if (strcmp(p, "*") == 0)
        *total = -1;
    else if (!(p = range_number(p, total)) || *p != '\0' || *last >= *total)
        return -1;
    return 0;
}

const char *ea_http_outcome_name(enum ea_http_outcome o)
{
    switch (o) {
    case EA_HTTP_COMPLETE: return "complete";
    case EA_HTTP_CANCELLED: return "cancelled";
    case EA_HTTP_CONNECT: return "connect";
    case EA_HTTP_TIMEOUT: return "timeout";
    case EA_HTTP_REDIRECT: return "redirect";
    case EA_HTTP_TOO_LARGE: return "too_large";
    case EA_HTTP_ABORTED: return "aborted";
    case EA_HTTP_TRANSPORT: return "transport";
    }
    return "unknown";
}

void ea_http_request_init(ea_http_request *r)
{
    memset(r, 0, sizeof *r);
    r->connect_timeout_ms = EA_HTTP_CONNECT_TIMEOUT_MS;
    r->idle_timeout_ms = EA_HTTP_IDLE_TIMEOUT_MS;
    r->max_response_bytes = EA_HTTP_MAX_RESPONSE_BYTES;
    r->max_retries = EA_HTTP_MAX_RETRIES;
}

/* ---- the transport rules for URLs ---- */

static bool host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0)
        return true; /* curl resolves it to loopback itself, never through DNS */
    char bare[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof bare) {
        memcpy(bare, host + 1, n - 2);
        bare[n - 2] = '\0';
        struct in6_addr a6;
        return inet_pton(AF_INET6, bare, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    struct in_addr a4;
    return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* Whether host is one of the names in list (commas or blanks between them); brackets around
 * an IPv6 address are optional on either side. */
static bool host_listed(const char *host, const char *list)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    static const char sep[] = ", \t";
    for (const char *p = list ? list : ""; *p;) {
        p += strspn(p, sep);
        size_t k = strcspn(p, sep);
        const char *name = p;
        size_t len = k;
        if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
            name++;
            len -= 2;
        }
        if (len > 0 && len == n && strncasecmp(name, host, n) == 0)
            return true;
        p += k;
    }
    return false;
}

bool ea_http_plain_allowed(const char *host, const char *allow_http)
{
    return host && (host_is_loopback(host) || host_listed(host, allow_http));
}

/* Parses and checks url; on success *out owns the parsed URL and *plain_http tells whether
 * it is an http:// URL (to loopback or a host allow_http names). Checking the parsed form and
 * handing that same form to curl leaves no room for two parsers to disagree. */
static int check_url(const char *url, const char *allow_http, CURLU **out, bool *plain_http,
                     ea_err *err)
{
    char shown[256];
    sanitize(shown, sizeof shown, url ? url : "");
    CURLU *u = curl_url();
    if (!u)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
    int rc = -1;
    if (!url || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        ea_err_set(err, EA_EXIT_USAGE, "not a valid URL: %s", shown);
        goto done;
    }
    curl_url_get(u, CURLUPART_USER, &user, 0);
    curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
    if (user || password) {
        /* curl would send them as Basic auth beside the Bearer key. */
        ea_err_set(err, EA_EXIT_USAGE, "the URL must not carry a user name or password");
        goto done;
    }
    if (strcasecmp(scheme, "https") == 0) {
        *plain_http = false;
    } else if (strcasecmp(scheme, "http") == 0 && ea_http_plain_allowed(host, allow_http)) {
        *plain_http = true;
    } else if (strcasecmp(scheme, "http") == 0) {
        char name[128];
        sanitize(name, sizeof name, host);
        ea_err_set(err, EA_EXIT_USAGE,
                   "refusing plain http to %s: the API key would cross the network in clear "
                   "text; use https://, or name the host in the config (allow_http = %s) if "
                   "that link is yours (http:// goes without asking only to 127.0.0.1, ::1, "
                   "localhost)", shown, name);
        goto done;
    } else {
        ea_err_set(err, EA_EXIT_USAGE, "unsupported URL scheme (https only): %s", shown);
        goto done;
    }
    *out = u;
    u = NULL;
    rc = 0;
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    return rc;
}

/* ---- curl callbacks: they only record and hand bytes on; the loop acts on the flags ---- */

static void note_activity(ea_http_req *r)
{
    r->t_activity_ms = mono_ms();
}

static void note_response_byte(ea_http_req *r)
{
    note_activity(r);
    if (!r->got_byte) {
        r->got_byte = true;
        r->ms_first_byte = (long)(r->t_activity_ms - r->t_start_ms);
    }
}

static bool status_is_retryable(const head_store *s)
{
    if (strcasecmp(s->should_retry, "true") == 0)
        return true;
    if (strcasecmp(s->should_retry, "false") == 0)
        return false;
    return s->status == 408 || s->status == 409 || s->status == 429 || s->status >= 500;
}

/* The final head of an attempt is complete: decide where its body goes. false aborts. */
static bool on_final_head(ea_http_req *r)
{
    int status = r->head.status;
    if (status >= 300 && status < 400) {
        r->redirected = true; /* reported, never followed: the key must not go elsewhere */
        return false;
    }
    if (status >= 400 && status_is_retryable(&r->head) && r->retries < r->req.max_retries) {
        r->retry_this = true;
        return true;
    }
    r->head_delivered = true;
    if (r->cb.on_head) {
        ea_http_head view;
        head_view(&r->head, &view);
        if (r->cb.on_head(r->ctx, &view) != 0)
            r->aborted = true;
    }
    return !r->aborted && !r->cancelled;
}

static void store_value(char *dst, const char *value, size_t len)
{
    if (len >= HEADER_VALUE_MAX)
        len = HEADER_VALUE_MAX - 1;
    memcpy(dst, value, len);
    dst[len] = '\0';
}

static size_t header_cb(char *line, size_t size, size_t nitems, void *userdata)
{
    ea_http_req *r = userdata;
    size_t n = size * nitems;
    note_response_byte(r);
    if (r->cancelled)
        return 0;
    if (r->head_final)
        return n; /* trailers: not ours to interpret */
    size_t len = n;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len == 0) { /* the blank line that ends a head */
        if (r->head.status >= 200) {
            r->head_final = true;
            return on_final_head(r) ? n : 0;
        }
        return n; /* the end of a 1xx head: the real one follows */
    }
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        memset(&r->head, 0, sizeof r->head); /* a new head (after a 1xx) starts afresh */
        const char *sp = memchr(line, ' ', len);
        if (sp && (size_t)(sp - line) + 4 <= len && isdigit((unsigned char)sp[1]) &&
            isdigit((unsigned char)sp[2]) && isdigit((unsigned char)sp[3]))
            r->head.status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
        return n;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return n;
    size_t name_len = (size_t)(colon - line);
    const char *value = colon + 1;
    const char *end = line + len;
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t value_len = (size_t)(end - value);
    static const struct {
        const char *name;
        size_t offset;
    } wanted[] = {
        {"x-request-id", offsetof(head_store, request_id)},
        {"content-type", offsetof(head_store, content_type)},
        {"retry-after", offsetof(head_store, retry_after)},
        {"retry-after-ms", offsetof(head_store, retry_after_ms)},
        {"x-should-retry", offsetof(head_store, should_retry)},
        {"openai-processing-ms", offsetof(head_store, processing_ms)},
        {"content-length", offsetof(head_store, content_length)},
        {"content-range", offsetof(head_store, content_range)},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        if (strlen(wanted[i].name) == name_len &&
            strncasecmp(line, wanted[i].name, name_len) == 0) {
            store_value((char *)&r->head + wanted[i].offset, value, value_len);
            return n;
        }
    }
    if (name_len == 8 && strncasecmp(line, "location", 8) == 0) {
        size_t k = value_len < LOCATION_MAX - 1 ? value_len : LOCATION_MAX - 1;
        memcpy(r->head.location, value, k);
        r->head.location[k] = '\0';
    }
    return n;
}

static size_t write_cb(char *bytes, size_t size, size_t nmemb, void *userdata)
{
    ea_http_req *r = userdata;
    size_t n = size * nmemb;
    note_response_byte(r);
    if (r->cancelled || r->aborted)
        return CURL_WRITEFUNC_ERROR;
    if (n > r->req.max_response_bytes - r->attempt_bytes) {
        r->too_large = true;
        return CURL_WRITEFUNC_ERROR;
    }
    r->attempt_bytes += n;
    if (r->retry_this) { /* an error body that on_retry will show in part */
        size_t k = EXCERPT_MAX - r->excerpt_len;
        k = n < k ? n : k;
        memcpy(r->excerpt + r->excerpt_len, bytes, k);
        r->excerpt_len += k;
        r->excerpt[r->excerpt_len] = '\0';
        return n;
    }
    if (!r->head_delivered)
        return n; /* cannot happen over HTTP: a body always follows its head */
    if (r->cb.on_body && r->cb.on_body(r->ctx, bytes, n) != 0)
        r->aborted = true;
    if (r->aborted || r->cancelled)
        return CURL_WRITEFUNC_ERROR;
    r->body_bytes += n;
    return n;
}

/* Called by curl at least once a second: notices upload progress (which keeps the idle
 * timer quiet while a large edit is sent) and stops a cancelled transfer early. */
static int xferinfo_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)ultotal;
    ea_http_req *r = userdata;
    if (ulnow != r->last_ul || dlnow != r->last_dl) {
        if (ulnow > 0)
            r->uploaded = true;
        r->last_ul = ulnow;
        r->last_dl = dlnow;
        note_activity(r);
    }
    return r->cancelled ? 1 : 0;
}

/* EASEL_DEBUG_HTTP: curl's trace on stderr, headers only, credentials redacted. Bodies are
 * never printed: they hold the prompt and megabytes of base64. */
static int debug_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *userdata)
{
    (void)easy;
    (void)userdata;
    const char *mark = type == CURLINFO_TEXT ? "* " : type == CURLINFO_HEADER_IN ? "< "
                     : type == CURLINFO_HEADER_OUT ? "> " : NULL;
    if (!mark)
        return 0;
    static const char *const secret[] = {"authorization:", "proxy-authorization:", "api-key:"};
    const char *p = data, *end = data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        bool redact = false;
        for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
            size_t k = strlen(secret[i]);
            if ((size_t)(stop - p) >= k && strncasecmp(p, secret[i], k) == 0) {
                fprintf(stderr, "%s%.*s [redacted]\n", mark, (int)k, p);
                redact = true;
            }
        }
        if (!redact) {
            fputs(mark, stderr);
            for (const char *c = p; c < stop; c++)
                if (*c != '\r')
                    fputc(((unsigned char)*c < 0x20 || *c == 0x7f) ? '?' : *c, stderr);
            fputc('\n', stderr);
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* A file part given as bytes: curl reads the caller's buffer in place (no copy of a
 * megabytes-large image) and can rewind it for a retry. */
typedef struct mem_reader {
    const unsigned char *bytes;
    size_t n, pos;
} mem_reader;

static size_t mem_read(char *buf, size_t size, size_t nitems, void *arg)
{
    mem_reader *m = arg;
    size_t k = size * nitems;
    if (k > m->n - m->pos)
        k = m->n - m->pos;
    memcpy(buf, m->bytes + m->pos, k);
    m->pos += k;
    return k;
}

static int mem_seek(void *arg, curl_off_t offset, int origin)
{
    mem_reader *m = arg;
    if (origin != SEEK_SET || offset < 0 || (size_t)offset > m->n)
        return CURL_SEEKFUNC_CANTSEEK;
    m->pos = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* ---- setting a request up ---- */

static int build_mime(ea_http_req *r, ea_err *err)
{
    r->mime = curl_mime_init(r->easy);
    if (!r->mime)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    for (int i = 0; i < r->req.n_parts; i++) {
        const ea_request_part *p = &r->req.parts[i];
        curl_mimepart *part = curl_mime_addpart(r->mime);
        if (!part || curl_mime_name(part, p->name) != CURLE_OK)
            return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        CURLcode rc;
        if (p->value) {
            rc = curl_mime_data(part, p->value, CURL_ZERO_TERMINATED);
        } else if (p->bytes) {
            mem_reader *m = malloc(sizeof *m);
            if (!m)
                return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
            *m = (mem_reader){p->bytes, p->n_bytes, 0};
            rc = curl_mime_data_cb(part, (curl_off_t)p->n_bytes, mem_read, mem_seek, free, m);
            if (rc != CURLE_OK)
                free(m);
        } else if (p->path) {
            rc = curl_mime_filedata(part, p->path);
            if (rc != CURLE_OK)
                return ea_err_set(err, EA_EXIT_USAGE, "cannot read %s for part %s", p->path,
                                  p->name);
        } else {
            return ea_err_set(err, EA_EXIT_INTERNAL, "multipart part %s has no content",
                              p->name);
        }
        if (rc == CURLE_OK && p->filename)
            rc = curl_mime_filename(part, p->filename);
        if (rc == CURLE_OK && p->content_type)
            rc = curl_mime_type(part, p->content_type);
        if (rc != CURLE_OK)
            return ea_err_set(err, EA_EXIT_INTERNAL, "multipart part %s: %s", p->name,
                              curl_easy_strerror(rc));
    }
    return 0;
}

static bool is_get(const ea_http_request *q)
{
    return q->method && strcmp(q->method, "GET") == 0;
}

/* The options that stay the same for every attempt. */
static int setup_easy(ea_http_req *r, bool plain_http, ea_err *err)
{
    const ea_http_request *q = &r->req;
    CURL *e = r->easy;
    CURLcode rc = CURLE_OK;
#define SET(opt, val) \
    do { \
        if (rc == CURLE_OK) \
            rc = curl_easy_setopt(e, opt, val); \
    } while (0)
    SET(CURLOPT_CURLU, r->url);
    SET(CURLOPT_PROTOCOLS_STR, plain_http ? "http" : "https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_NOSIGNAL, 1L); /* no SIGALRM from the resolver: the UI owns the signals */
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)q->connect_timeout_ms);
    /* A declared Content-Length past the cap fails before the body; write_cb caps the rest. */
    curl_off_t cap = q->max_response_bytes > (size_t)INT64_MAX ? INT64_MAX
                                                                : (curl_off_t)q->max_response_bytes;
    SET(CURLOPT_MAXFILESIZE_LARGE, cap);
    /* Keepalive probes keep NAT boxes from forgetting a connection silent for a minute. */
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_TCP_KEEPIDLE, 30L);
    SET(CURLOPT_TCP_KEEPINTVL, 15L);
    SET(CURLOPT_USERAGENT, "easel/" EASEL_VERSION);
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L); /* a proxy's CONNECT answer is not the API's */
    if (plain_http)
        /* Loopback http never leaves the machine, and a named host gets the key directly,
         * never through a proxy the user did not name. */
        SET(CURLOPT_NOPROXY, "*");
    SET(CURLOPT_ERRORBUFFER, r->errbuf);
    SET(CURLOPT_PRIVATE, (void *)r);
    SET(CURLOPT_HEADERFUNCTION, header_cb);
    SET(CURLOPT_HEADERDATA, (void *)r);
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_WRITEDATA, (void *)r);
    SET(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
    SET(CURLOPT_XFERINFODATA, (void *)r);
    SET(CURLOPT_NOPROGRESS, 0L);
    if (r->h->debug) {
        SET(CURLOPT_DEBUGFUNCTION, debug_cb);
        SET(CURLOPT_VERBOSE, 1L);
    }
    if (is_get(q)) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if (q->json_body) {
        size_t len = q->json_len ? q->json_len : strlen(q->json_body);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        SET(CURLOPT_POSTFIELDS, q->json_body); /* borrowed, not copied */
    } else {
        if (rc == CURLE_OK && build_mime(r, err) != 0)
            return -1;
        SET(CURLOPT_MIMEPOST, r->mime);
    }
#undef SET
    if (rc != CURLE_OK)
        return ea_err_set(err, EA_EXIT_INTERNAL, "curl setup: %s", curl_easy_strerror(rc));
    return 0;
}

static int build_headers(ea_http_req *r)
{
    const ea_http_request *q = &r->req;
    char line[4096];
    struct curl_slist *list = NULL, *next;
#define ADD(...) \
    do { \
        snprintf(line, sizeof line, __VA_ARGS__); \
        if (!(next = curl_slist_append(list, line))) \
            goto oom; \
        list = next; \
    } while (0)
    ADD("Accept: application/json");
    if (q->json_body && !is_get(q))
        ADD("Content-Type: application/json"); /* multipart: curl adds it with the boundary */
    if (is_set(q->api_key) && q->api_key_header)
        ADD("api-key: %s", q->api_key);
    else if (is_set(q->api_key))
        ADD("Authorization: Bearer %s", q->api_key);
    if (is_set(q->organization))
        ADD("OpenAI-Organization: %s", q->organization);
    if (is_set(q->project))
        ADD("OpenAI-Project: %s", q->project);
    if (is_set(q->image_deployment))
        ADD("x-ms-oai-image-generation-deployment: %s", q->image_deployment);
    ADD("X-Stainless-Retry-Count: %d", r->retries);
    if (is_get(q) && q->range_start > 0)
        ADD("Range: bytes=%llu-", q->range_start);
    /* No "Expect: 100-continue": the SDKs do not send it, and servers that ignore it would
     * cost every large edit a second of waiting. */
    ADD("Expect:");
#undef ADD
    explicit_bzero(line, sizeof line); /* it held the key */
    curl_slist_free_all(r->headers);
    r->headers = list;
    return 0;
oom:
    explicit_bzero(line, sizeof line);
    curl_slist_free_all(list);
    return -1;
}

static void reset_attempt(ea_http_req *r)
{
    memset(&r->head, 0, sizeof r->head);
    r->head_final = r->head_delivered = r->retry_this = false;
    r->got_byte = r->uploaded = false;
    r->redirected = r->too_large = r->aborted = r->idle_timed_out = false;
    r->ms_first_byte = -1;
    r->attempt_bytes = 0;
    r->body_bytes = 0;
    r->excerpt_len = 0;
    r->excerpt[0] = '\0';
    r->errbuf[0] = '\0';
    r->last_dl = r->last_ul = 0;
}

/* ---- finishing and retrying ---- */

static void unlink_req(ea_http_req *r)
{
    ea_http *h = r->h;
    if (r->prev)
        r->prev->next = r->next;
    else
        h->first = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        h->last = r->prev;
    h->n_active--;
}

static void free_req(ea_http_req *r)
{
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_mime_free(r->mime); /* after the easy handle, which refers to it */
    curl_slist_free_all(r->headers);
    curl_url_cleanup(r->url);
    free(r);
}

/* Whether this attempt's request may have left the machine. Curl resets its timers for each
 * transfer and stamps PRETRANSFER just before it starts sending, so a zero there (and no
 * request bytes counted) means nothing was sent. */
static bool request_was_sent(ea_http_req *r)
{
    curl_off_t pretransfer = 0;
    long request_size = 0;
    curl_easy_getinfo(r->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &request_size);
    return pretransfer > 0 || request_size > 0 || r->uploaded || r->got_byte;
}

static void detach(ea_http_req *r)
{
    if (r->state == RS_RUNNING) {
        curl_multi_remove_handle(r->h->multi, r->easy);
        r->state = RS_QUEUED;
    }
}

static void finish(ea_http_req *r, enum ea_http_outcome outcome, bool sent)
{
    detach(r);
    ea_http_result res;
    memset(&res, 0, sizeof res);
    res.outcome = outcome;
    head_view(&r->head, &res.head);
    res.attempts = r->retries + 1;
    res.got_response = r->got_byte;
    res.request_sent = sent;
    res.may_have_been_processed = sent && !(outcome == EA_HTTP_COMPLETE && r->head.status >= 400);
    res.body_bytes = r->body_bytes;
    res.ms_first_byte = r->got_byte ? r->ms_first_byte : -1;
    res.ms_total = (long)(mono_ms() - r->t_start_ms);

    char net[LOCATION_MAX];
    const char *curl_text = r->errbuf[0] ? r->errbuf : "no detail from curl";
    int code = (r->head.status >= 200 && r->head.status < 300 && r->body_bytes > 0)
                   ? EA_EXIT_INTERRUPTED : EA_EXIT_NETWORK;
    char tries[48] = "";
    if (r->retries > 0)
        snprintf(tries, sizeof tries, " (after %d attempts)", r->retries + 1);
    switch (outcome) {
    case EA_HTTP_COMPLETE:
        ea_err_clear(&res.err);
        break;
    case EA_HTTP_CANCELLED:
        ea_err_set(&res.err, EA_EXIT_INTERRUPTED, "cancelled %s",
                   sent ? "after the request was sent: it may have been billed"
                        : "before the request was sent");
        break;
    case EA_HTTP_CONNECT:
        ea_err_set(&res.err, EA_EXIT_NETWORK, "cannot connect: %s%s", curl_text, tries);
        break;
    case EA_HTTP_TIMEOUT:
        ea_err_set(&res.err, code, "no data for %d ms (idle timeout)%s%s",
                   r->req.idle_timeout_ms,
                   sent ? " after the request was sent: it may have been billed" : "", tries);
        break;
    case EA_HTTP_REDIRECT:
        sanitize(net, sizeof net, r->head.location[0] ? r->head.location : "(no Location)");
        ea_err_set(&res.err, EA_EXIT_NETWORK,
                   "the server answered HTTP %d, a redirect to %s; easel does not follow "
                   "redirects (check the base URL)", r->head.status, net);
        break;
    case EA_HTTP_TOO_LARGE:
        ea_err_set(&res.err, code, "the response passed the cap of %zu bytes",
                   r->req.max_response_bytes);
        break;
    case EA_HTTP_ABORTED:
        ea_err_set(&res.err, code, "stopped by the caller after %zu bytes", r->body_bytes);
        break;
    case EA_HTTP_TRANSPORT:
        ea_err_set(&res.err, code, "%s%s: %s",
                   r->body_bytes > 0 ? "the response was cut off" : "the request failed",
                   tries, curl_text);
        break;
    }
    unlink_req(r);
    r->cb.on_done(r->ctx, &res);
    free_req(r);
}

/* The retry delay: the server's hint when it is sane, else exponential backoff with jitter
 * (the SDKs' formula), so that many clients do not come back in step. */
static int retry_delay_ms(ea_http_req *r)
{
    const head_store *s = &r->head;
    double hint_ms = -1;
    char *end;
    if (s->retry_after_ms[0]) {
        double v = strtod(s->retry_after_ms, &end);
        if (end != s->retry_after_ms && *end == '\0')
            hint_ms = v;
    }
    if (hint_ms < 0 && s->retry_after[0]) {
        double v = strtod(s->retry_after, &end);
        if (end != s->retry_after && *end == '\0') {
            hint_ms = v * 1000;
        } else {
            time_t when = curl_getdate(s->retry_after, NULL); /* an HTTP date */
            if (when != -1)
                hint_ms = difftime(when, time(NULL)) * 1000;
        }
    }
    if (hint_ms > 0 && hint_ms <= 60000)
        return (int)(hint_ms + 0.5);
    double backoff = 500.0 * (double)(1 << (r->retries < 5 ? r->retries : 5));
    if (backoff > 8000)
        backoff = 8000;
    return (int)(backoff * (1 - 0.25 * rand01(r->h)));
}

static void schedule_retry(ea_http_req *r, const char *reason)
{
    detach(r);
    int delay = retry_delay_ms(r);
    r->retries++;
    r->due_ms = mono_ms() + delay;
    if (r->cb.on_retry) {
        ea_http_head view;
        head_view(&r->head, &view);
        ea_http_retry info = {r->retries, delay, reason, &view, r->excerpt, r->excerpt_len};
        r->cb.on_retry(r->ctx, &info);
    }
}

static bool is_connect_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_OPERATION_TIMEDOUT: /* the connect timeout: counted only when nothing was sent */
        return true;
    default:
        return false;
    }
}

/* An attempt has ended (curl said done, or the idle timer fired): retry it, or finish. */
static void attempt_ended(ea_http_req *r, CURLcode rc)
{
    bool sent = request_was_sent(r);
    bool retries_left = r->retries < r->req.max_retries;
    char reason[CURL_ERROR_SIZE + 64];
    if (r->retry_this) {
        /* The server answered 408/409/429/5xx: it says the request was not processed. */
        snprintf(reason, sizeof reason, "HTTP %d", r->head.status);
        schedule_retry(r, reason);
        return;
    }
    bool connect_phase = !sent && (r->idle_timed_out || is_connect_error(rc));
    if (connect_phase && retries_left) {
        sanitize(reason, sizeof reason, r->idle_timed_out ? "idle timeout while connecting"
                                        : r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
        char full[sizeof reason + 32];
        snprintf(full, sizeof full, "connection failed: %s", reason);
        schedule_retry(r, full);
        return;
    }
    enum ea_http_outcome outcome;
    if (r->idle_timed_out)
        outcome = EA_HTTP_TIMEOUT;
    else if (rc == CURLE_OK)
        outcome = EA_HTTP_COMPLETE;
    else if (r->redirected)
        outcome = EA_HTTP_REDIRECT;
    else if (r->too_large || rc == CURLE_FILESIZE_EXCEEDED)
        outcome = EA_HTTP_TOO_LARGE;
    else if (r->aborted)
        outcome = EA_HTTP_ABORTED;
    else if (connect_phase)
        outcome = EA_HTTP_CONNECT;
    else
        outcome = EA_HTTP_TRANSPORT;
    if (outcome != EA_HTTP_COMPLETE && !r->errbuf[0])
        snprintf(r->errbuf, sizeof r->errbuf, "%s", curl_easy_strerror(rc));
    finish(r, outcome, sent);
}

static int start_attempt(ea_http_req *r)
{
    reset_attempt(r);
    if (build_headers(r) != 0 || curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers)
        != CURLE_OK)
        return -1;
    note_activity(r);
    if (curl_multi_add_handle(r->h->multi, r->easy) != CURLM_OK)
        return -1;
    r->state = RS_RUNNING;
    return 0;
}

/* ---- the public functions ---- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

ea_http *ea_http_new(void)
{
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return NULL;
    ea_http *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->multi = curl_multi_init();
    if (!h->multi) {
        free(h);
        return NULL;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
             (uint64_t)(uintptr_t)h;
    if (!h->rng)
        h->rng = 0x9e3779b97f4a7c15ULL;
    const char *dbg = getenv("EASEL_DEBUG_HTTP");
    h->debug = dbg && *dbg && strcmp(dbg, "0") != 0;
    return h;
}

void ea_http_free(ea_http **hp)
{
    ea_http *h = hp ? *hp : NULL;
    if (!h)
        return;
    while (h->first) {
        ea_http_req *r = h->first;
        r->cancelled = true;
        finish(r, EA_HTTP_CANCELLED, r->state == RS_RUNNING && request_was_sent(r));
    }
    curl_multi_cleanup(h->multi);
    free(h->wfds);
    free(h);
    *hp = NULL;
}

ea_http_req *ea_http_start(ea_http *h, const ea_http_request *req, const ea_http_callbacks *cb,
                           void *ctx, ea_err *err)
{
    if (!req || !cb || !cb->on_done) {
        ea_err_set(err, EA_EXIT_INTERNAL, "ea_http_start: a request and on_done are required");
        return NULL;
    }
    if (!req->json_body && req->n_parts <= 0 && !is_get(req)) {
        ea_err_set(err, EA_EXIT_INTERNAL, "ea_http_start: no body (JSON or parts)");
        return NULL;
    }
    /* A CR or LF would let a value inject headers; never echo the value (it may be the key). */
    const char *bad = has_control_char(req->api_key) ? "the API key"
                    : has_control_char(req->organization) ? "the organization"
                    : has_control_char(req->project) ? "the project"
                    : has_control_char(req->image_deployment) ? "the image deployment" : NULL;
    if (bad) {
        ea_err_set(err, EA_EXIT_USAGE, "%s holds a control character", bad);
        return NULL;
    }
    ea_http_req *r = calloc(1, sizeof *r);
    if (!r) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    r->h = h;
    r->req = *req;
    r->cb = *cb;
    r->ctx = ctx;
    if (r->req.connect_timeout_ms <= 0)
        r->req.connect_timeout_ms = EA_HTTP_CONNECT_TIMEOUT_MS;
    if (r->req.idle_timeout_ms <= 0)
        r->req.idle_timeout_ms = EA_HTTP_IDLE_TIMEOUT_MS;
    if (r->req.max_response_bytes == 0)
        r->req.max_response_bytes = EA_HTTP_MAX_RESPONSE_BYTES;
    if (r->req.max_retries < 0)
        r->req.max_retries = 0;
    bool plain_http = false;
    if (check_url(req->url, req->allow_http, &r->url, &plain_http, err) != 0) {
        free(r);
        return NULL;
    }
    r->easy = curl_easy_init();
    if (!r->easy) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        free_req(r);
        return NULL;
    }
    if (setup_easy(r, plain_http, err) != 0) {
        free_req(r);
        return NULL;
    }
    r->state = RS_QUEUED;
    r->t_start_ms = mono_ms();
    r->due_ms = r->t_start_ms + (req->delay_ms > 0 ? req->delay_ms : 0);
    r->ms_first_byte = -1;
    r->prev = h->last;
    if (h->last)
        h->last->next = r;
    else
        h->first = r;
    h->last = r;
    h->n_active++;
    return r;
}

void ea_http_cancel(ea_http_req *r)
{
    if (r)
        r->cancelled = true;
}

int ea_http_active(const ea_http *h)
{
    return h ? h->n_active : 0;
}

void ea_http_wakeup(ea_http *h)
{
    curl_multi_wakeup(h->multi);
}

/* How long the loop may sleep before one of our own timers (not curl's) is due. */
static long long own_timeout_ms(ea_http *h, long long now)
{
    long long t = LLONG_MAX;
    for (ea_http_req *r = h->first; r; r = r->next) {
        long long due = r->cancelled ? now
                      : r->state == RS_QUEUED ? r->due_ms
                      : r->t_activity_ms + r->req.idle_timeout_ms;
        if (due - now < t)
            t = due - now;
    }
    return t < 0 ? 0 : t;
}

int ea_http_wait(ea_http *h, struct pollfd *extra, unsigned n_extra, int timeout_ms)
{
    /* curl_multi_poll takes a finite timeout; an early return is harmless in a loop. */
    long long t = timeout_ms < 0 ? 3600 * 1000 : timeout_ms;
    long long own = own_timeout_ms(h, mono_ms());
    if (own < t)
        t = own;
    if (n_extra > h->wfds_cap) {
        struct curl_waitfd *w = realloc(h->wfds, n_extra * sizeof *w);
        if (!w) {
            errno = ENOMEM;
            return -1;
        }
        h->wfds = w;
        h->wfds_cap = n_extra;
    }
    for (unsigned i = 0; i < n_extra; i++) {
        short ev = 0;
        if (extra[i].events & POLLIN)
            ev |= CURL_WAIT_POLLIN;
        if (extra[i].events & POLLPRI)
            ev |= CURL_WAIT_POLLPRI;
        if (extra[i].events & POLLOUT)
            ev |= CURL_WAIT_POLLOUT;
        h->wfds[i] = (struct curl_waitfd){extra[i].fd, ev, 0};
    }
    CURLMcode mc = curl_multi_poll(h->multi, n_extra ? h->wfds : NULL, n_extra, (int)t, NULL);
    for (unsigned i = 0; i < n_extra; i++) {
        short rev = 0;
        if (h->wfds[i].revents & CURL_WAIT_POLLIN)
            rev |= POLLIN;
        if (h->wfds[i].revents & CURL_WAIT_POLLPRI)
            rev |= POLLPRI;
        if (h->wfds[i].revents & CURL_WAIT_POLLOUT)
            rev |= POLLOUT;
        extra[i].revents = rev;
    }
    if (mc != CURLM_OK) {
        errno = mc == CURLM_OUT_OF_MEMORY ? ENOMEM : EIO;
        return -1;
    }
    return 0;
}

int ea_http_process(ea_http *h)
{
    /* Our own events first. Only the request at hand can be freed by its callbacks (new
     * requests are appended, cancels only set a flag), so holding `next` is safe. */
    long long now = mono_ms();
    for (ea_http_req *r = h->first, *next; r; r = next) {
        next = r->next;
        if (r->cancelled) {
            finish(r, EA_HTTP_CANCELLED, r->state == RS_RUNNING && request_was_sent(r));
        } else if (r->state == RS_QUEUED && r->due_ms <= now && start_attempt(r) != 0) {
            snprintf(r->errbuf, sizeof r->errbuf, "out of memory");
            finish(r, EA_HTTP_TRANSPORT, false);
        }
    }
    int running = 0;
    CURLMcode mc = curl_multi_perform(h->multi, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURLcode rc = msg->data.result; /* msg dies with curl_multi_remove_handle */
        char *priv = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        ea_http_req *r = (ea_http_req *)priv;
        if (!r)
            continue;
        if (r->cancelled)
            finish(r, EA_HTTP_CANCELLED, request_was_sent(r));
        else
            attempt_ended(r, rc);
    }
    /* The idle check comes after curl has read what was waiting, so that a loop that was
     * busy elsewhere does not mistake its own delay for a silent server. */
    now = mono_ms();
    for (ea_http_req *r = h->first, *next; r; r = next) {
        next = r->next;
        if (r->state == RS_RUNNING && !r->cancelled &&
            now - r->t_activity_ms >= r->req.idle_timeout_ms) {
            detach(r);
            r->idle_timed_out = true;
            attempt_ended(r, CURLE_OPERATION_TIMEDOUT);
        }
    }
    return mc == CURLM_OK ? 0 : -1;
}
