/* SPDX-License-Identifier: MIT */
/* mock/stream.c: server-sent events as the API frames them (an event: line, a data: line, a
 * blank line; no [DONE]), produced one at a time from MHD's content-reader callback, with
 * the faults a test can ask for: a delay between events, a slow drip, an abrupt close after
 * partial K, an error event, an event with broken JSON. With a thread per connection the
 * callback may sleep; every sleep gives way when the server stops. */
#include "internal.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

/* What happens once the bytes already framed have gone out. */
enum after {
    AFTER_NEXT_EVENT,   /* produce the next event */
    AFTER_END,          /* end the body cleanly */
    AFTER_DROP,         /* close the connection as if it broke */
};

struct mock_stream {
    mock_server *srv;
    mock_job *job;            /* NULL for a finished body */
    mock_next_event next;
    bool numbered;            /* events carry sequence_number */
    ea_buf out;               /* framed bytes not yet handed to MHD */
    size_t out_pos;
    ea_buf json;              /* the event being produced */
    int events;               /* events framed so far: the next event's index */
    int partials;             /* partial images framed so far */
    enum after after;
    mock_bg_entry *bg;        /* a background response's events, read from their list */
    bool first;               /* the response's first stream: the drop faults cut it */
};

static mock_stream *stream_alloc(mock_server *srv)
{
    mock_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->srv = srv;
    ea_buf_init(&s->out, EA_BUF_UNCAPPED);
    ea_buf_init(&s->json, EA_BUF_UNCAPPED);
    return s;
}

mock_stream *mock_stream_new(mock_server *srv, mock_job *job, mock_next_event next,
                             bool numbered)
{
    mock_stream *s = stream_alloc(srv);
    if (!s)
        return NULL;
    s->job = job;
    s->next = next;
    s->numbered = numbered;
    s->after = AFTER_NEXT_EVENT;
    return s;
}

mock_stream *mock_stream_new_body(mock_server *srv, ea_buf *body)
{
    mock_stream *s = stream_alloc(srv);
    if (!s)
        return NULL;
    s->out = *body;
    ea_buf_init(body, body->max);
    s->after = AFTER_END;
    return s;
}

mock_stream *mock_stream_new_bg(mock_server *srv, mock_bg_entry *entry, int starting_after)
{
    mock_stream *s = stream_alloc(srv);
    if (!s) {
        mock_bg_release(entry);
        return NULL;
    }
    s->bg = entry;
    s->first = mock_bg_first_stream(entry);
    s->events = starting_after + 1;
    s->after = AFTER_NEXT_EVENT;
    return s;
}

void mock_stream_free(void *cls)
{
    mock_stream *s = cls;
    if (!s)
        return;
    mock_bg_release(s->bg);
    if (s->job) {
        mock_job_free(s->job);
        free(s->job);
    }
    ea_buf_free(&s->out);
    ea_buf_free(&s->json);
    free(s);
}

/* One event in SSE framing. A malformed event keeps the start of its JSON and loses the
 * rest, the way a buggy proxy or a cut buffer would break it. */
int mock_frame_event(ea_buf *out, const char *name, const ea_buf *json, bool malformed)
{
    int rc = ea_buf_printf(out, "event: %s\ndata: ", name);
    if (malformed) {
        size_t keep = json->len < 48 ? json->len / 2 : 48;
        rc |= ea_buf_append(out, json->data, keep);
        rc |= ea_buf_puts(out, "<<broken by easel mock fault malformed>>");
    } else {
        rc |= ea_buf_append(out, json->data, json->len);
    }
    rc |= ea_buf_puts(out, "\n\n");
    return rc ? -1 : 0;
}

static int frame(mock_stream *s, const char *name, const ea_buf *json, bool malformed)
{
    return mock_frame_event(&s->out, name, json, malformed);
}

/* The live API's nested error event (protocol.md 5d and 9.4); the Images API has no
 * documented one, and the SDKs read data.error there too, so both APIs get this shape. */
int mock_error_event_json(ea_buf *json, const mock_error *e, int seq)
{
    int rc = ea_buf_puts(json, "{\"type\":\"error\",");
    if (seq >= 0)
        rc |= ea_buf_printf(json, "\"sequence_number\":%d,", seq);
    rc |= ea_buf_puts(json, "\"error\":{\"type\":");
    rc |= mock_json_string(json, e->type);
    rc |= ea_buf_puts(json, ",\"code\":");
    rc |= mock_json_string(json, e->code ? e->code : e->type);
    rc |= ea_buf_puts(json, ",\"message\":");
    rc |= mock_json_string(json, e->message);
    rc |= ea_buf_puts(json, ",\"param\":null}}");
    return rc ? -1 : 0;
}

static int frame_error(mock_stream *s, const mock_error *e)
{
    ea_buf_reset(&s->json);
    int rc = mock_error_event_json(&s->json, e, s->numbered ? s->events : -1);
    rc |= frame(s, "error", &s->json, false);
    s->events++;
    s->after = AFTER_END;
    return rc ? -1 : 0;
}

void mock_fault_error_event(mock_error *e)
{
    mock_fail(e, 500, "server_error", "server_error", NULL,
              "The server had an error while processing your request. " MOCK_OFFLINE_NOTE
              " fault error-event");
}

static int frame_fault_error(mock_stream *s)
{
    mock_error e;
    mock_fault_error_event(&e);
    return frame_error(s, &e);
}

/* The next event of a background response, as its producer framed it; only its first stream
 * is cut by the drop faults, so that a resume reads on. */
static int produce_bg(mock_stream *s, const ea_mock_config *cfg)
{
    if (s->first && s->events == 0 && cfg->drop_at_start) {
        s->after = AFTER_DROP;
        return 0;
    }
    bool partial = false;
    int rc = mock_bg_read(s->bg, (size_t)s->events, &s->out, &partial);
    if (rc <= 0) {
        s->after = AFTER_END;
        return rc;
    }
    int index = s->events++;
    if (!s->first)
        return 0;
    if ((index == 0 && cfg->drop_after_created) || (partial && s->partials++ == cfg->drop_after))
        s->after = AFTER_DROP;
    return 0;
}

/* Frames the next event into s->out and decides what follows it. */
static int produce(mock_stream *s)
{
    const ea_mock_config *cfg = mock_server_config(s->srv);
    if (s->bg)
        return produce_bg(s, cfg);
    if (s->events == 0 && cfg->drop_at_start) {
        s->after = AFTER_DROP;
        return 0;
    }
    if (s->events > 0 && cfg->delay_ms > 0 && !mock_server_sleep(s->srv, cfg->delay_ms))
        return -1;
    if (s->events == 0 && cfg->error_event_after == -1)
        return frame_fault_error(s);

    ea_buf_reset(&s->json);
    mock_event ev = { .json = &s->json };
    mock_error e;
    int got = s->next(s->srv, s->job, s->events, &ev, &e);
    if (got < 0)
        return frame_error(s, &e);
    if (got == 0) {
        s->after = AFTER_END;
        return 0;
    }
    if (frame(s, ev.name, &s->json, s->events == cfg->malformed_event) != 0)
        return -1;
    s->events++;
    /* A partial image can be large: hand its JSON back to the allocator before the next. */
    if (s->json.cap > ((size_t)1 << 20))
        ea_buf_free(&s->json);
    if (ev.partial) {
        int index = s->partials++;
        if (index == cfg->drop_after)
            s->after = AFTER_DROP;
        else if (index == cfg->error_event_after)
            return frame_fault_error(s);
    }
    return 0;
}

ssize_t mock_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    mock_stream *s = cls;
    while (s->out_pos == s->out.len) {
        if (s->after == AFTER_END)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (s->after == AFTER_DROP)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        ea_buf_reset(&s->out);
        s->out_pos = 0;
        if (produce(s) != 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = s->out.len - s->out_pos;
    if (n > max)
        n = max;
    int bps = mock_server_config(s->srv)->drip_bps;
    if (bps > 0) {
        /* Twenty slices a second, each at least one byte. */
        size_t slice = bps / 20 > 0 ? (size_t)bps / 20 : 1;
        if (n > slice)
            n = slice;
        if (!mock_server_sleep(s->srv, (int)(n * 1000 / (size_t)bps)))
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    memcpy(buf, s->out.data + s->out_pos, n);
    s->out_pos += n;
    return (ssize_t)n;
}
