/* SPDX-License-Identifier: MIT */
/* Server-Sent Events parser: the "event stream" rules of the WHATWG HTML standard, section
 * 9.2.6, with the [DONE] sentinel that OpenAI's SDKs accept.
 *
 * Bytes are consumed as they arrive and never rescanned: a line is not gathered before it is
 * interpreted. Instead a small state machine reads the field name, and once the colon is seen
 * the value streams straight into its destination (the event's data buffer, the event name, or
 * nowhere). So a 30 MB `data:` line is copied exactly once, and feeding it one byte at a time
 * costs a constant amount per byte. */
#include "easel/sse.h"

#include <stdlib.h>
#include <string.h>

#include "easel/buf.h"

enum line_state {
    LINE_FIELD_NAME,  /* reading the field name; no colon yet */
    LINE_AFTER_COLON, /* the next byte is dropped if it is a space */
    LINE_VALUE,       /* streaming the value into the field's destination */
};

enum field {
    FIELD_DATA,
    FIELD_EVENT,
    FIELD_IGNORED, /* comments, id, retry and unknown fields */
};

/* Longest field name we need to recognise ("event"); longer names are simply unknown. */
#define FIELD_NAME_MAX 8

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

struct ea_sse {
    size_t max_line;
    ea_sse_on_event on_event;
    void *ctx;

    /* The line in progress. */
    enum line_state state;
    enum field field;
    char field_name[FIELD_NAME_MAX];
    size_t field_name_len; /* may exceed FIELD_NAME_MAX: then the name is unknown */
    size_t line_len;       /* bytes of this line so far, checked against max_line */
    bool after_cr;         /* the last line ended in CR: a following LF belongs to it */

    /* The event in progress. */
    ea_buf data;       /* capped at max_event */
    ea_buf event_name; /* capped at max_line */
    size_t data_lines; /* data fields seen; an event with none is not dispatched */
    bool event_pending;
    bool dispatching;  /* inside on_event: the only time data may be taken */

    /* The stream. */
    size_t bom_matched; /* bytes of a leading UTF-8 BOM seen so far */
    bool past_start;    /* the BOM question is settled */
    bool over;          /* [DONE] or the callback said stop */
    bool saw_done;
    bool truncated;
    bool failed;
    ea_err failure; /* repeated by every call after a failure */
};

ea_sse *ea_sse_new(size_t max_line, size_t max_event, ea_sse_on_event on_event, void *ctx)
{
    ea_sse *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->max_line = max_line;
    p->on_event = on_event;
    p->ctx = ctx;
    p->state = LINE_FIELD_NAME;
    ea_buf_init(&p->data, max_event);
    ea_buf_init(&p->event_name, max_line);
    return p;
}

void ea_sse_free(ea_sse **pp)
{
    if (!pp || !*pp)
        return;
    ea_sse *p = *pp;
    ea_buf_free(&p->data);
    ea_buf_free(&p->event_name);
    free(p);
    *pp = NULL;
}

bool ea_sse_saw_done(const ea_sse *p)
{
    return p->saw_done;
}

bool ea_sse_truncated(const ea_sse *p)
{
    return p->truncated;
}

char *ea_sse_take_data(ea_sse *p, size_t *len)
{
    if (!p->dispatching)
        return NULL;
    /* The buffer leaves with its bytes; the data buffer that remains is empty, with the same
     * cap, and reset_event after the callback finds nothing to reset. */
    return ea_buf_steal(&p->data, len);
}

/* Records the first error; the parser stays failed so that a caller who ignores one return
 * value still cannot feed it into an inconsistent state. */
static int fail(ea_sse *p, ea_err *err, int code, const char *what, size_t limit)
{
    p->failed = true;
    ea_err_set(&p->failure, code, "event stream: %s (limit %zu bytes)", what, limit);
    if (err)
        *err = p->failure;
    return -1;
}

static int fail_oom(ea_sse *p, ea_err *err)
{
    p->failed = true;
    ea_err_set(&p->failure, EA_EXIT_INTERNAL, "event stream: out of memory");
    if (err)
        *err = p->failure;
    return -1;
}

static int count_line_bytes(ea_sse *p, size_t n, ea_err *err)
{
    if (n > p->max_line - p->line_len)
        return fail(p, err, EA_EXIT_NETWORK, "line too long", p->max_line);
    p->line_len += n;
    return 0;
}

static int append_data(ea_sse *p, const char *bytes, size_t n, ea_err *err)
{
    if (n > p->data.max - p->data.len)
        return fail(p, err, EA_EXIT_NETWORK, "event too large", p->data.max);
    return ea_buf_append(&p->data, bytes, n) == 0 ? 0 : fail_oom(p, err);
}

static bool field_name_is(const ea_sse *p, const char *name)
{
    size_t n = strlen(name);
    return p->field_name_len == n && memcmp(p->field_name, name, n) == 0;
}

/* The field name is complete (a colon, or a line end for a line without one): decide where
 * the value goes and do what the field does before its value arrives. */
static int start_field(ea_sse *p, ea_err *err)
{
    if (field_name_is(p, "data")) {
        p->field = FIELD_DATA;
        p->event_pending = true;
        /* Lines are joined with '\n': put it before every data line but the first, so
         * there is no trailing '\n' to strip at dispatch. */
        if (p->data_lines++ > 0)
            return append_data(p, "\n", 1, err);
    } else if (field_name_is(p, "event")) {
        p->field = FIELD_EVENT;
        p->event_pending = true;
        ea_buf_reset(&p->event_name); /* the last event: line wins */
    } else {
        p->field = FIELD_IGNORED; /* includes comments: the empty name */
    }
    return 0;
}

static int append_value(ea_sse *p, const char *bytes, size_t n, ea_err *err)
{
    if (count_line_bytes(p, n, err) != 0)
        return -1;
    switch (p->field) {
    case FIELD_DATA:
        return append_data(p, bytes, n, err);
    case FIELD_EVENT:
        return ea_buf_append(&p->event_name, bytes, n) == 0 ? 0 : fail_oom(p, err);
    case FIELD_IGNORED:
        break;
    }
    return 0;
}

static void reset_event(ea_sse *p)
{
    ea_buf_reset(&p->data);
    ea_buf_reset(&p->event_name);
    p->data_lines = 0;
    p->event_pending = false;
}

/* A blank line. Returns 1 when the stream is over, 0 to go on. */
static int dispatch(ea_sse *p)
{
    if (p->data_lines == 0) { /* an event with no data is dropped, name and all */
        reset_event(p);
        return 0;
    }
    const char *data = p->data.data ? p->data.data : "";
    const char *name = p->event_name.data ? p->event_name.data : "";
    int rc = 0;
    if (p->data.len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        p->saw_done = true;
        rc = 1;
    } else {
        p->dispatching = true;
        rc = p->on_event(p->ctx, name, data, p->data.len) != 0;
        p->dispatching = false;
    }
    reset_event(p);
    if (rc)
        p->over = true;
    return rc;
}

/* A line end (CR, LF or CRLF). Returns 1 when the stream is over, 0 to go on, -1 on error. */
static int end_line(ea_sse *p, ea_err *err)
{
    int rc = 0;
    if (p->state == LINE_FIELD_NAME) {
        if (p->line_len == 0)
            rc = dispatch(p);
        else
            rc = start_field(p, err); /* a line with no colon: the whole line is the name */
    }
    p->state = LINE_FIELD_NAME;
    p->field_name_len = 0;
    p->line_len = 0;
    return rc;
}

/* The first CR or LF in [from, end), or end. The result of each memchr is kept until the
 * scan passes it, so a chunk holding many lines is still searched once per terminator kind
 * instead of once per line. */
struct eol_finder {
    const char *cr, *lf; /* NULL until searched */
};

static const char *find_eol(struct eol_finder *f, const char *from, const char *end)
{
    if (!f->cr || f->cr < from) {
        f->cr = memchr(from, '\r', (size_t)(end - from));
        if (!f->cr)
            f->cr = end;
    }
    if (!f->lf || f->lf < from) {
        f->lf = memchr(from, '\n', (size_t)(end - from));
        if (!f->lf)
            f->lf = end;
    }
    return f->cr < f->lf ? f->cr : f->lf;
}

/* Runs the line state machine over bytes that are past any BOM. */
static int feed_lines(ea_sse *p, const char *pos, const char *end, ea_err *err)
{
    struct eol_finder finder = {NULL, NULL};
    while (pos < end) {
        if (p->after_cr) {
            p->after_cr = false;
            if (*pos == '\n') { /* the second half of a CRLF, maybe split across chunks */
                pos++;
                continue;
            }
        }
        char c = *pos;
        if (c == '\r' || c == '\n') {
            pos++;
            p->after_cr = c == '\r';
            int rc = end_line(p, err);
            if (rc != 0)
                return rc;
            continue;
        }
        switch (p->state) {
        case LINE_FIELD_NAME:
            /* Field names are a few bytes, so a byte at a time is fine here. */
            if (count_line_bytes(p, 1, err) != 0)
                return -1;
            pos++;
            if (c == ':') {
                if (start_field(p, err) != 0)
                    return -1;
                p->state = LINE_AFTER_COLON;
            } else {
                if (p->field_name_len < FIELD_NAME_MAX)
                    p->field_name[p->field_name_len] = c;
                p->field_name_len++;
            }
            break;
        case LINE_AFTER_COLON:
            p->state = LINE_VALUE;
            if (c == ' ') {
                if (count_line_bytes(p, 1, err) != 0)
                    return -1;
                pos++;
            }
            break;
        case LINE_VALUE: {
            const char *eol = find_eol(&finder, pos, end);
            if (append_value(p, pos, (size_t)(eol - pos), err) != 0)
                return -1;
            pos = eol;
            break;
        }
        }
    }
    return 0;
}

/* WHATWG: one leading U+FEFF is ignored. Its three bytes may come split across chunks, and
 * bytes that started like a BOM but were not one are replayed as ordinary input. */
static int skip_bom(ea_sse *p, const char **pos, const char *end, ea_err *err)
{
    while (!p->past_start && *pos < end) {
        if ((unsigned char)**pos == utf8_bom[p->bom_matched]) {
            (*pos)++;
            if (++p->bom_matched == sizeof utf8_bom)
                p->past_start = true;
        } else {
            p->past_start = true;
            const char *seen = (const char *)utf8_bom;
            int rc = feed_lines(p, seen, seen + p->bom_matched, err);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

int ea_sse_feed(ea_sse *p, const void *bytes, size_t n, ea_err *err)
{
    if (p->failed) {
        if (err)
            *err = p->failure;
        return -1;
    }
    if (p->over)
        return 1;
    if (n == 0)
        return 0;
    const char *pos = bytes;
    const char *end = pos + n;
    int rc = skip_bom(p, &pos, end, err);
    if (rc == 0 && pos < end)
        rc = feed_lines(p, pos, end, err);
    return rc;
}

int ea_sse_finish(ea_sse *p, ea_err *err)
{
    if (p->failed) {
        if (err)
            *err = p->failure;
        return -1;
    }
    if (p->over)
        return 0;
    /* A partial BOM or a partial line with no colon yet counts as an unfinished event too. */
    bool partial_line = p->state == LINE_FIELD_NAME && p->line_len > 0;
    bool partial_bom = !p->past_start && p->bom_matched > 0;
    p->truncated = p->event_pending || partial_line || partial_bom;
    reset_event(p);
    p->over = true;
    return 0;
}
