/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the SSE parser (and, on every event it dispatches, the event decoder).
 *
 * The first bytes of the input choose the caps and a seed; the rest is the stream. It is parsed
 * twice: whole, and in chunks whose sizes come from the seed. Splitting must not change what
 * the parser reports, so any difference between the two runs aborts.
 *
 * Build: sh tests/fuzz/build.sh fuzz_sse; run: sh tests/fuzz/run.sh fuzz_sse 60 (or by hand:
 *   clang -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -fsanitize=fuzzer,address,undefined \
 *       -Iinclude tests/fuzz/fuzz_sse.c src/net/sse.c src/net/events.c src/core/buf.c \
 *       src/core/err.c -ljansson -lcrypto -o fuzz_sse
 *   ./fuzz_sse -max_len=4096 tests/fuzz/corpus/sse) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "easel/events.h"
#include "easel/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);

/* What a run reports, with the events folded into a hash. */
typedef struct outcome {
    uint64_t hash;     /* FNV-1a over every event's name and data, with separators */
    size_t events;
    int status;        /* the last ea_sse_feed result, or -1 */
    int finish_status;
    int saw_done;
    int truncated;
    int decode;        /* also run the JSON decoder on each event */
} outcome;

static void fold(uint64_t *h, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++) {
        *h ^= p[i];
        *h *= 1099511628211u;
    }
}

static int on_event(void *ctx, const char *name, const char *data, size_t len)
{
    outcome *o = ctx;
    if (data[len] != '\0') /* the header promises a NUL after the data */
        abort();
    fold(&o->hash, name, strlen(name) + 1);
    fold(&o->hash, &len, sizeof len);
    fold(&o->hash, data, len);
    o->events++;
    if (o->decode) {
        ea_err err;
        ea_event *ev = ea_event_parse(name, data, len, &err);
        for (size_t i = 0; ev && i < ev->n_images; i++) {
            unsigned char *bytes = NULL;
            size_t n = 0;
            if (ea_base64_decode(ev->images[i].b64, ev->images[i].b64_len, 1 << 16, &bytes, &n,
                                 &err) == 0)
                free(bytes);
        }
        ea_event_free(&ev);
    }
    /* Stopping from the callback is part of the contract too: events named "stop" do it. */
    return strcmp(name, "stop") == 0;
}

/* A small deterministic generator: the same input always splits the same way. */
static uint32_t next_random(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

static void run(const uint8_t *bytes, size_t n, size_t max_line, size_t max_event,
                uint32_t seed, outcome *o)
{
    o->hash = 14695981039346656037u;
    ea_sse *p = ea_sse_new(max_line, max_event, on_event, o);
    if (!p)
        abort();
    ea_err err;
    size_t off = 0;
    o->status = 0;
    while (off < n && o->status == 0) {
        size_t chunk = n - off;
        if (seed) {
            /* Mostly tiny chunks, where boundary bugs live, sometimes larger ones. */
            uint32_t r = next_random(&seed);
            size_t want = (r & 3) ? (r >> 8) % 4 + 1 : (r >> 8) % 256 + 1;
            if (want < chunk)
                chunk = want;
        }
        o->status = ea_sse_feed(p, bytes + off, chunk, &err);
        off += chunk;
    }
    o->finish_status = ea_sse_finish(p, &err);
    o->saw_done = ea_sse_saw_done(p);
    o->truncated = ea_sse_truncated(p);
    ea_sse_free(&p);
}

static int same_outcome(const outcome *a, const outcome *b)
{
    return a->hash == b->hash && a->events == b->events && a->status == b->status &&
           a->finish_status == b->finish_status && a->saw_done == b->saw_done &&
           a->truncated == b->truncated;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (size < 5)
        return 0;
    /* Small caps half of the time, so that the error paths are reached. */
    size_t max_line = input[0] & 1 ? (size_t)input[0] * 2 : 1u << 20;
    size_t max_event = input[1] & 1 ? (size_t)input[1] * 4 : 1u << 20;
    uint32_t seed = (uint32_t)input[2] << 16 | (uint32_t)input[3] << 8 | input[4] | 1u;
    const uint8_t *stream = input + 5;
    size_t n = size - 5;

    outcome whole = {0}, chunked = {0};
    whole.decode = 1;
    run(stream, n, max_line, max_event, 0, &whole);
    run(stream, n, max_line, max_event, seed, &chunked);
    if (!same_outcome(&whole, &chunked))
        abort();
    return 0;
}
