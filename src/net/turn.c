#include "easel/turn.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "easel/api.h"
#include "easel/events.h"
#include "easel/image.h"
#include "easel/sse.h"

/* One streamed event carries at most one image as base64: 3840x2160 RGBA as an uncompressed
 * PNG is 33 MB, 44 MB in base64; the Responses API repeats it in response.completed. */
#define MAX_EVENT_BYTES ((size_t)96 << 20)
#define MAX_LINE_BYTES MAX_EVENT_BYTES
#define MAX_IMAGE_BYTES ((size_t)64 << 20)
#define MAX_BODY_BYTES ((size_t)256 << 20)
#define MAX_IMAGES 10

struct ea_turn {
    ea_turn_spec spec;
    ea_turn_callbacks cb;
    void *ctx;
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
    char request_id[256];
    char *response_id, *revised_prompt, *image_call_id;
    ea_audit_image images[MAX_IMAGES];
    size_t n_images;
    unsigned char *last_partial; /* owned: the newest partial frame's file bytes */
    size_t last_partial_len;
    char last_partial_format[8];
    int partials;
    long ms_first_partial;
    char partial_path[64];
    bool has_usage;
    ea_usage usage;
    long total_tokens;
    /* The first failure; its code is the exit code. */
    bool failed;
    ea_err failure;
    ea_audit_error api_error;
    char *error_type, *error_code, *error_message, *error_param;
    size_t bytes;
    json_t *retries; /* owned: one object per attempt that was retried */
    int events;      /* complete events received */
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
    ea_turn_progress p = {phase, ms_since(&t->started), t->partials,
                          ea_params_partials(t->spec.params), (int)t->n_images,
                          ea_params_count(t->spec.params), t->bytes};
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
    bool refused = (http_status >= 400 && http_status < 500) ||
                   strstr(e->code, "moderation") || strstr(e->code, "policy") ||
                   strstr(e->code, "invalid") || strstr(e->type, "invalid_request") ||
                   strstr(e->type, "user_error");
    if (http_status >= 500 || strcmp(e->code, "rate_limit_exceeded") == 0 ||
        strcmp(e->code, "server_error") == 0)
        refused = false;
    fail(t, refused ? EA_EXIT_REFUSED : EA_EXIT_NETWORK, "%s",
         *e->message ? e->message : (*e->code ? e->code : "the API reported an error"));
}

static const char *extension_for(const char *format, const unsigned char *bytes, size_t n)
{
    const char *sniffed = ea_image_sniff(bytes, n);
    if (sniffed)
        return sniffed;
    return *format ? format : "png";
}

static int save_final_image(ea_turn *t, const ea_event_image *img)
{
    if (t->n_images >= MAX_IMAGES)
        return 0;
    unsigned char *bytes = NULL;
    size_t n = 0;
    ea_err err = {0};
    if (ea_base64_decode(img->b64, img->b64_len, MAX_IMAGE_BYTES, &bytes, &n, &err) != 0) {
        fail(t, EA_EXIT_NETWORK, "the final image is not valid base64: %s", err.msg);
        return -1;
    }
    ea_audit_image *saved = &t->images[t->n_images];
    const char *ext = extension_for(img->output_format, bytes, n);
    if (ea_session_save_image(t->spec.session, t->turn, (int)t->n_images + 1, ext, bytes, n, saved,
                              &err) != 0) {
        free(bytes);
        fail(t, EA_EXIT_INTERNAL, "could not save the image: %s", err.msg);
        return -1;
    }
    const char *format;
    if (ea_image_probe(bytes, n, &format, &saved->width, &saved->height, NULL) != 0)
        saved->width = saved->height = 0;
    free(bytes);
    t->n_images++;
    if (t->cb.on_image)
        t->cb.on_image(t->ctx, saved, ea_session_dir(t->spec.session));
    return 0;
}

static void keep_partial(ea_turn *t, const ea_event_image *img)
{
    unsigned char *bytes = NULL;
    size_t n = 0;
    if (ea_base64_decode(img->b64, img->b64_len, MAX_IMAGE_BYTES, &bytes, &n, NULL) != 0)
        return; /* a broken preview is not worth failing a paid turn over */
    if (t->partials == 0)
        t->ms_first_partial = ms_since(&t->started);
    t->partials++;
    free(t->last_partial);
    t->last_partial = bytes;
    t->last_partial_len = n;
    snprintf(t->last_partial_format, sizeof t->last_partial_format, "%s",
             extension_for(img->output_format, bytes, n));
    if (t->cb.on_partial)
        t->cb.on_partial(t->ctx, img->partial_index, bytes, n);
}

static void take_usage(ea_turn *t, const ea_event *ev)
{
    if (!ev->has_usage)
        return;
    t->has_usage = true;
    t->usage = ev->usage;
    t->total_tokens = ev->total_tokens;
}

/* One decoded event. Returns non-zero to stop reading the stream. */
static int handle_event(ea_turn *t, const ea_event *ev)
{
    switch (ev->kind) {
    case EA_EV_PARTIAL_IMAGE:
        if (ev->n_images)
            keep_partial(t, &ev->images[0]);
        break;
    case EA_EV_IMAGE_COMPLETED:
        take_usage(t, ev);
        for (size_t i = 0; i < ev->n_images; i++)
            if (save_final_image(t, &ev->images[i]) != 0)
                return 1;
        break;
    case EA_EV_OUTPUT_ITEM_DONE:
        if (ev->n_images && ev->images[0].b64_len) {
            replace(&t->revised_prompt, ev->images[0].revised_prompt);
            replace(&t->image_call_id, ev->images[0].call_id);
            if (save_final_image(t, &ev->images[0]) != 0)
                return 1;
        }
        break;
    case EA_EV_RESPONSE_CREATED:
    case EA_EV_RESPONSE_IN_PROGRESS:
        replace(&t->response_id, ev->response_id);
        break;
    case EA_EV_RESPONSE_COMPLETED:
        replace(&t->response_id, ev->response_id);
        take_usage(t, ev);
        /* A non-streamed Responses body carries the images only here; a stream has sent
         * them already in output_item.done, and repeats them. */
        for (size_t i = 0; t->n_images == 0 && i < ev->n_images; i++) {
            replace(&t->revised_prompt, ev->images[i].revised_prompt);
            replace(&t->image_call_id, ev->images[i].call_id);
            if (ev->images[i].b64_len && save_final_image(t, &ev->images[i]) != 0)
                return 1;
        }
        return 0;
    case EA_EV_RESPONSE_FAILED:
    case EA_EV_ERROR:
        fail_with_api_error(t, &ev->error, 0);
        return 1;
    case EA_EV_RESPONSE_INCOMPLETE:
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
    ea_err err = {0};
    ea_event *ev = ea_event_parse(name, data, len, &err);
    if (!ev) {
        fail(t, EA_EXIT_NETWORK, "the server sent a broken event: %s", err.msg);
        return 1;
    }
    t->events++;
    int stop = handle_event(t, ev);
    ea_event_free(&ev);
    report_progress(t, EA_PHASE_GENERATING);
    return stop;
}

static int on_head(void *ctx, const ea_http_head *head)
{
    ea_turn *t = ctx;
    t->http_status = head->status;
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
        handle_event(t, ev);
    }
    ea_event_free(&ev);
}

static double turn_cost(const ea_turn *t)
{
    const ea_params *p = t->spec.params;
    double usd;
    if (p->api == EA_API_IMAGES)
        return t->has_usage && ea_prices_cost(t->spec.prices, p->model, &t->usage, &usd) ? usd : NAN;
    /* The Responses API's usage counts the mainline model's tokens only; the image tool is
     * billed per image, so its cost comes from the table at the partial count received. */
    if (t->n_images == 0)
        return NAN;
    ea_params priced = *p;
    priced.partials = t->partials;
    priced.n = (int)t->n_images;
    priced.prompt = NULL;
    ea_estimate est;
    ea_prices_estimate(t->spec.prices, &priced, &est);
    return est.known ? est.usd : NAN;
}

static char *usage_json(const ea_turn *t)
{
    if (!t->has_usage)
        return NULL;
    ea_buf text;
    ea_buf_init(&text, 1024);
    const ea_usage *u = &t->usage;
    int rc;
    if (t->spec.params->api == EA_API_IMAGES)
        rc = ea_buf_printf(&text,
                           "{\"input_tokens\":%ld,\"output_tokens\":%ld,\"total_tokens\":%ld,"
                           "\"input_tokens_details\":{\"text_tokens\":%ld,\"image_tokens\":%ld}}",
                           u->input_text + u->input_image, u->output_image + u->output_text,
                           t->total_tokens, u->input_text, u->input_image);
    else
        rc = ea_buf_printf(&text,
                           "{\"input_tokens\":%ld,\"output_tokens\":%ld,\"total_tokens\":%ld,"
                           "\"input_tokens_details\":{\"cached_tokens\":%ld}}",
                           u->input_text + u->input_text_cached, u->output_text, t->total_tokens,
                           u->input_text_cached);
    if (rc != 0) {
        ea_buf_free(&text);
        return NULL;
    }
    return ea_buf_steal(&text, NULL);
}

static void on_done(void *ctx, const ea_http_result *r)
{
    ea_turn *t = ctx;
    t->http_req = NULL;
    t->attempts = r->attempts;
    if (r->head.status)
        t->http_status = r->head.status;
    enum ea_audit_status status = EA_AUDIT_COMPLETED;
    int expected = ea_params_count(t->spec.params);

    if (r->outcome == EA_HTTP_COMPLETE && t->streaming) {
        ea_err err = {0};
        ea_sse_finish(t->sse, &err);
    } else if (r->outcome == EA_HTTP_COMPLETE) {
        finish_body(t);
    }
    if (r->outcome == EA_HTTP_CANCELLED) {
        status = EA_AUDIT_CANCELLED;
        fail(t, EA_EXIT_SIGINT, "%s", "cancelled");
    } else if (r->outcome == EA_HTTP_TIMEOUT && t->events == 0) {
        /* Silent before a single whole event: a network failure to the user, though the
         * server may have started work, which the log's status says. */
        fail(t, EA_EXIT_NETWORK, "%s", r->err.msg);
        status = EA_AUDIT_INTERRUPTED;
    } else if (r->outcome != EA_HTTP_COMPLETE && r->outcome != EA_HTTP_ABORTED) {
        fail(t, r->err.code ? r->err.code : EA_EXIT_NETWORK, "%s", r->err.msg);
    } else if (!t->failed && t->n_images == 0) {
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
    if (status != EA_AUDIT_COMPLETED && t->n_images == 0 && t->last_partial) {
        /* Recorded with the images, so --verify vouches for it; its name says what it is. */
        ea_audit_image *partial = &t->images[0];
        if (ea_session_save_image(t->spec.session, t->turn, 0, t->last_partial_format,
                                  t->last_partial, t->last_partial_len, partial, NULL) == 0) {
            const char *format;
            if (ea_image_probe(t->last_partial, t->last_partial_len, &format, &partial->width,
                               &partial->height, NULL) != 0)
                partial->width = partial->height = 0;
            snprintf(t->partial_path, sizeof t->partial_path, "%s", partial->path);
            t->n_images = 1;
        }
    }

    char *usage = usage_json(t);
    char *retries = json_dumps(t->retries, JSON_COMPACT);
    double cost = turn_cost(t);
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
    res.partials = t->partials;
    res.usage_json = usage;
    res.cost_usd = cost;
    res.ms_first_byte = r->ms_first_byte;
    res.ms_first_partial = t->partials ? t->ms_first_partial : -1;
    res.ms_total = ms_since(&t->started);
    res.retries_json = retries;
    ea_audit_error api_error = {t->error_type, t->error_code, t->failed ? t->failure.msg : NULL,
                                t->error_param};
    if (t->failed)
        res.error = &api_error;
    ea_err log_err = {0};
    if (ea_session_end_turn(t->spec.session, t->turn, &res, &log_err) != 0 && !t->failed)
        fail(t, EA_EXIT_INTERNAL, "could not write the result record: %s", log_err.msg);
    free(usage);
    free(retries);

    t->finished = true;
    report_progress(t, EA_PHASE_DONE);
    ea_turn_outcome o = {
        .exit_code = t->failed ? t->failure.code : EA_EXIT_OK,
        .status = status,
        .turn = t->turn,
        .http_status = t->http_status,
        .attempts = t->attempts,
        .message = t->failed ? t->failure.msg : "",
        .request_id = t->request_id,
        .response_id = t->response_id ? t->response_id : "",
        .revised_prompt = t->revised_prompt ? t->revised_prompt : "",
        .images = t->images,
        .n_images = *t->partial_path ? 0 : t->n_images, /* finals only */
        .partial_path = t->partial_path,
        .session_dir = ea_session_dir(t->spec.session),
        .estimate_usd = NAN,
        .cost_usd = cost,
        .partials = t->partials,
    };
    if (t->cb.on_done)
        t->cb.on_done(t->ctx, &o);
}

/* What a Responses turn continues from: the --from turn's response, else the newest. */
static int previous_response(const ea_turn_spec *spec, const char **out, ea_err *err)
{
    *out = NULL;
    if (spec->params->api != EA_API_RESPONSES && spec->from_turn <= 0)
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

ea_turn *ea_turn_start(ea_http *http, const ea_turn_spec *spec, const ea_turn_callbacks *cb,
                       void *ctx, ea_err *err)
{
    ea_turn *t = calloc(1, sizeof *t);
    if (!t) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        return NULL;
    }
    t->spec = *spec;
    t->cb = *cb;
    t->ctx = ctx;
    t->ms_first_partial = -1;
    clock_gettime(CLOCK_MONOTONIC, &t->started);
    ea_buf_init(&t->body, MAX_BODY_BYTES);
    t->retries = json_array();
    const char *previous_id;
    if (previous_response(spec, &previous_id, err) != 0 ||
        ea_request_build(spec->params, previous_id, &t->req, err) != 0)
        goto fail;
    t->sse = ea_sse_new(MAX_LINE_BYTES, MAX_EVENT_BYTES, on_sse_event, t);
    if (!t->sse) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        goto fail;
    }
    snprintf(t->url, sizeof t->url, "%s%s", spec->backend->base_url, t->req.endpoint);

    ea_estimate est;
    ea_prices_estimate(spec->prices, spec->params, &est);
    ea_audit_request rec;
    ea_audit_request_init(&rec);
    rec.api = t->req.api;
    rec.endpoint = t->url;
    rec.model = spec->params->model;
    rec.text_model = spec->params->api == EA_API_RESPONSES ? spec->params->text_model : NULL;
    rec.prompt = spec->params->prompt;
    rec.params_json = t->req.record_json;
    rec.previous_response_id = previous_id;
    rec.parent_turn = spec->from_turn > 0 ? spec->from_turn : 0;
    rec.estimate_usd = est.known ? est.usd : NAN;
    /* The request record is on disk before a byte is sent. */
    if (ea_session_begin_turn(spec->session, &rec, &t->turn, err) != 0)
        goto fail;

    ea_http_request hr;
    ea_http_request_init(&hr);
    hr.url = t->url;
    hr.api_key = spec->backend->api_key;
    hr.organization = spec->backend->organization;
    hr.project = spec->backend->project;
    hr.json_body = t->req.json;
    hr.parts = t->req.parts;
    hr.n_parts = t->req.n_parts;
    hr.idle_timeout_ms = spec->backend->idle_timeout_ms;
    ea_http_callbacks hc = {on_head, on_body, on_retry, on_done};
    t->http_req = ea_http_start(http, &hr, &hc, t, err);
    if (!t->http_req) {
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
    if (t && t->http_req)
        ea_http_cancel(t->http_req);
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
    ea_request_free(&t->req);
    ea_sse_free(&t->sse);
    ea_buf_free(&t->body);
    free(t->response_id);
    free(t->revised_prompt);
    free(t->image_call_id);
    free(t->last_partial);
    free(t->error_type);
    free(t->error_code);
    free(t->error_message);
    free(t->error_param);
    json_decref(t->retries);
    free(t);
    *tp = NULL;
}
