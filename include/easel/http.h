/* SPDX-License-Identifier: MIT */
/* http: POST (and GET) requests on libcurl's multi interface, driven by the caller's loop (wait, then
 * process); HTTPS only (plain http to loopback or to hosts the user named), no redirects, idle
 * timeout, and retries that never double-bill. */
#ifndef EASEL_HTTP_H
#define EASEL_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "easel/api.h"
#include "easel/err.h"

/* One multi handle and the requests it runs. Every function but ea_http_wakeup must be called
 * from the thread that runs the loop; callbacks run on that thread, from ea_http_process
 * (or ea_http_free). */
typedef struct ea_http ea_http;
/* One request, retries included. Owned by ea_http: valid from ea_http_start until its
 * on_done callback returns, then freed. Forget the pointer in on_done. */
typedef struct ea_http_req ea_http_req;

#define EA_HTTP_CONNECT_TIMEOUT_MS 15000
/* Generation can be silent for about a minute before the first partial frame. */
#define EA_HTTP_IDLE_TIMEOUT_MS 120000
#define EA_HTTP_MAX_RESPONSE_BYTES ((size_t)256 << 20)
#define EA_HTTP_MAX_RETRIES 2

/* What to send. Every pointer is borrowed and must stay valid until on_done. */
typedef struct ea_http_request {
    /* https://... ; http:// only to 127.0.0.0/8, ::1, localhost, or a host allow_http names */
    const char *url;
    /* Host names (or addresses) plain http:// may go to besides loopback, separated by commas
     * or blanks (config allow_http): the user's word that the key may cross that link in
     * clear text. NULL: none. */
    const char *allow_http;
    const char *api_key;      /* Authorization: Bearer KEY; NULL or "" sends no Authorization */
    bool api_key_header;      /* send the key as `api-key: KEY` instead (Azure OpenAI) */
    /* x-ms-oai-image-generation-deployment: the image deployment Azure's Responses image tool
     * uses; NULL or "" omits it. */
    const char *image_deployment;
    const char *organization; /* OpenAI-Organization; NULL or "" omits it */
    const char *project;      /* OpenAI-Project; NULL or "" omits it */
    /* GET: a read (a background response resumed or polled), no body; NULL: POST. */
    const char *method;
    const char *json_body;    /* a JSON body (Content-Type: application/json), or NULL... */
    size_t json_len;          /* ...its length; 0 means strlen(json_body) */
    const ea_request_part *parts; /* ...or multipart/form-data parts (when json_body is NULL) */
    int n_parts;
    int connect_timeout_ms;   /* TCP and TLS handshake; <= 0 means the default */
    /* Idle: no byte moved in either direction (request sent or response received) for this
     * long ends the attempt. A slow drip of bytes keeps it alive: there is no total timeout,
     * as an image generation may legitimately stream for minutes. <= 0: the default. */
    int idle_timeout_ms;
    size_t max_response_bytes; /* cap on one response's body; 0 means the default */
    /* Retries after the first attempt; 0 means none. A request is retried only when it cannot
     * have been processed: no connection was made (refused, unresolved, TLS handshake, connect
     * timeout), or the server answered 408, 409, 429 or >= 500 (x-should-retry: true or
     * false overrides that for any status >= 400). Never once a 2xx head arrived, nor after
     * an idle timeout once the request was sent. The delay: retry-after-ms, else retry-after
     * (seconds or an HTTP date) when 0 < t <= 60 s, else min(0.5 * 2^n, 8) s less up to 25%
     * jitter. Each attempt sends X-Stainless-Retry-Count: n. */
    int max_retries;
    int delay_ms;             /* the first attempt starts this long after ea_http_start */
    /* GET: > 0 asks for the body from this byte on (Range: bytes=N-), to resume a cut
     * download; the answer is 206 when the server honoured it, 200 (the whole) when not. */
    unsigned long long range_start;
} ea_http_request;

/* Zeroes r and sets the defaults above (max_retries = EA_HTTP_MAX_RETRIES). */
void ea_http_request_init(ea_http_request *r);

/* Whether plain http:// may go to host (as a URL spells it: "lan-box", "10.0.0.7", "[fd00::1]"):
 * a loopback address, localhost, or a name allow_http lists (ASCII case ignored). Names are
 * compared as written, never resolved: the user names the host, not what it resolves to. */
bool ea_http_plain_allowed(const char *host, const char *allow_http);

/* The head of a response: its status and the headers easel cares about. Strings are never
 * NULL ("" when absent), borrowed, valid during the callback (or on_done) only, and come from
 * the network: sanitize them before printing. Values longer than 255 bytes are truncated. */
typedef struct ea_http_head {
    int status;               /* 0 when no response head arrived */
    const char *request_id;   /* x-request-id */
    const char *content_type;
    const char *retry_after;
    const char *retry_after_ms;
    const char *should_retry; /* x-should-retry: "true", "false" or "" */
    const char *processing_ms; /* openai-processing-ms */
    const char *content_length;
    const char *content_range; /* a 206's "bytes FIRST-LAST/TOTAL" */
} ea_http_head;

/* A Content-Range value "bytes FIRST-LAST/TOTAL" (TOTAL may be "*": *total = -1). 0 when it
 * is one (FIRST <= LAST, LAST < TOTAL), -1 when missing or not one; a number past INT64_MAX
 * is refused, never wrapped. */
int ea_http_content_range(const char *value, long long *first, long long *last,
                          long long *total);

/* Why an attempt is retried, for the caller's log. */
typedef struct ea_http_retry {
    int retry;                /* 1 for the first retry, 2 for the second ... */
    int delay_ms;             /* the wait before it */
    const char *reason;       /* "HTTP 429", "connection failed: ..." */
    const ea_http_head *head; /* the failed attempt's head (status 0 when none came) */
    const char *body;         /* the first bytes of its body (up to 1 KiB), NUL-terminated */
    size_t body_len;
} ea_http_retry;

enum ea_http_outcome {
    EA_HTTP_COMPLETE,     /* a whole response arrived, whatever its status: see head.status */
    EA_HTTP_CANCELLED,    /* ea_http_cancel or ea_http_free */
    EA_HTTP_CONNECT,      /* no connection (refused, unresolved, TLS handshake); not sent */
    EA_HTTP_TIMEOUT,      /* the idle timeout passed */
    EA_HTTP_REDIRECT,     /* a 3xx answer; never followed */
    EA_HTTP_TOO_LARGE,    /* the body passed max_response_bytes */
    EA_HTTP_ABORTED,      /* a callback returned non-zero */
    EA_HTTP_TRANSPORT,    /* any other failure (connection dropped mid-response...) */
};

typedef struct ea_http_result {
    enum ea_http_outcome outcome;
    /* code 0 for EA_HTTP_COMPLETE (map head.status yourself); otherwise the exit class:
     * EA_EXIT_INTERRUPTED when cancelled or when a 2xx body was cut off after its first
     * byte (an idle timeout included), else EA_EXIT_NETWORK. msg names the cause (curl's
     * error text, the Location...); network strings in it are sanitized. */
    ea_err err;
    ea_http_head head;        /* the final attempt's head */
    int attempts;             /* 1 + retries taken */
    bool got_response;        /* a byte of the final attempt's response arrived */
    bool request_sent;        /* the final attempt's request left this machine, even partly */
    /* request_sent, unless a complete error answer (>= 400) said it was refused: the
     * generation may have run and been billed. */
    bool may_have_been_processed;
    size_t body_bytes;        /* delivered to on_body */
    long ms_first_byte;       /* from ea_http_start to the final attempt's first byte; -1 */
    long ms_total;            /* from ea_http_start to done */
} ea_http_result;

/* Callbacks; any may be NULL but on_done. The final attempt's head comes once, before its
 * body; heads and bodies of retried attempts go to on_retry instead. A non-zero return
 * from on_head or on_body ends the request (EA_HTTP_ABORTED). */
typedef struct ea_http_callbacks {
    int (*on_head)(void *ctx, const ea_http_head *head);
    int (*on_body)(void *ctx, const char *bytes, size_t n);
    void (*on_retry)(void *ctx, const ea_http_retry *retry);
    void (*on_done)(void *ctx, const ea_http_result *result);
} ea_http_callbacks;

/* Calls curl_global_init once per process. NULL when out of memory. */
ea_http *ea_http_new(void);
/* Cancels what is still running (each on_done fires, cancelled), then frees *h; *h = NULL. */
void ea_http_free(ea_http **h);

/* Queues a request; it starts at the next ea_http_process. NULL with err set (code
 * EA_EXIT_USAGE, nothing sent and no callback) when the URL breaks the transport rules or
 * a header value holds a control character; EA_EXIT_INTERNAL when out of memory. */
ea_http_req *ea_http_start(ea_http *h, const ea_http_request *req, const ea_http_callbacks *cb,
                           void *ctx, ea_err *err);
/* Safe at any moment, in callbacks too: no on_head or on_body follows, and on_done fires
 * (cancelled) from the next ea_http_process. Calling it again does nothing. */
void ea_http_cancel(ea_http_req *r);

/* Waits until curl, one of extra[] (struct pollfd; revents filled in), a wakeup, a due
 * retry or an idle deadline needs attention, or timeout_ms passes (-1: no limit but those).
 * curl reports only POLLIN, POLLPRI and POLLOUT: a hangup or error shows as POLLIN, which a
 * caller that must tell them apart asks poll() about. 0, or -1 with errno set. */
int ea_http_wait(ea_http *h, struct pollfd *extra, unsigned n_extra, int timeout_ms);
/* Moves every transfer along, fires due retries and idle timeouts, and runs the callbacks.
 * Never blocks. 0, or -1 when curl's multi handle failed (a bug or out of memory). */
int ea_http_process(ea_http *h);
/* Requests started and not yet done (waiting for a retry counts). */
int ea_http_active(const ea_http *h);
/* Makes a pending or future ea_http_wait return; safe from any thread. */
void ea_http_wakeup(ea_http *h);

const char *ea_http_outcome_name(enum ea_http_outcome o);

#endif
