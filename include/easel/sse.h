/* SPDX-License-Identifier: MIT */
/* sse: a pure byte parser for Server-Sent Events (WHATWG "event stream" rules): feed it bytes
 * split anywhere, it calls back once per complete event. Linear time, capped memory, no I/O. */
#ifndef EASEL_SSE_H
#define EASEL_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "easel/err.h"

typedef struct ea_sse ea_sse;

/* One dispatched event. event_name is "" when the event had no `event:` line; data is the
 * `data:` lines joined with '\n', NUL-terminated (data_len excludes the NUL; data may hold
 * NUL bytes of its own). Both are borrowed and valid only during the call, unless the
 * callback takes data over with ea_sse_take_data. Return 0 to go on, non-zero to stop: the
 * parser then ignores the rest of the stream. The callback must not call back into the same
 * parser, but for ea_sse_take_data. */
typedef int (*ea_sse_on_event)(void *ctx, const char *event_name, const char *data,
                               size_t data_len);

/* max_line caps one line (field name, colon and value, line end excluded); max_event caps
 * one event's joined data. Passing either is an error, never a truncation. NULL when out of
 * memory. */
ea_sse *ea_sse_new(size_t max_line, size_t max_event, ea_sse_on_event on_event, void *ctx);

/* Feeds the next n bytes of the stream. Returns 0 to ask for more; 1 when the stream is over
 * (`data: [DONE]` seen, or the callback asked to stop), after which further bytes are
 * ignored; -1 on an error (a cap passed, out of memory), which sticks: later calls fail too. */
int ea_sse_feed(ea_sse *p, const void *bytes, size_t n, ea_err *err);

/* From inside the callback only: hands the current event's data over to the caller, who
 * frees it (free()). The pointer returned is the callback's `data` itself, not a copy, so
 * pointers into it stay valid (an empty event's is a new "" instead); *len is data_len, and
 * the bytes stay NUL-terminated. The
 * parser starts the next event in a fresh buffer. This is how a 44 MB image payload outlives
 * its event without being copied. NULL outside a callback, or when out of memory. */
char *ea_sse_take_data(ea_sse *p, size_t *len);

/* Call at end of input. As WHATWG specifies, an event without its closing blank line is
 * discarded, not dispatched (ea_sse_truncated tells whether that happened). Returns 0, or
 * -1 when the parser had already failed. */
int ea_sse_finish(ea_sse *p, ea_err *err);

/* True once a `data: [DONE]` event ended the stream (it is never passed to the callback). */
bool ea_sse_saw_done(const ea_sse *p);
/* True when ea_sse_finish discarded an unterminated event: the connection closed mid-event. */
bool ea_sse_truncated(const ea_sse *p);

void ea_sse_free(ea_sse **p);

#endif
