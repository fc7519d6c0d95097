/* SPDX-License-Identifier: MIT */
/* mock: the offline backend, a loopback HTTP server that speaks the Images and Responses APIs
 * (streaming and not), and the Files and Batches APIs, with faults on demand. It runs on its own threads; ea_mock_free stops
 * it. Everything it returns says it comes from an offline stand-in. */
#ifndef EASEL_MOCK_H
#define EASEL_MOCK_H

#include <stdbool.h>

#include "easel/err.h"

#define EA_MOCK_MAX_BLOCK_WORDS 8

typedef struct ea_mock_config {
    int port;               /* 0: a free port, chosen by the kernel */
    int delay_ms;           /* pause between streamed events */
    bool quiet;             /* no request log on stderr */
    int png_level;          /* zlib level 0-9 for PNG files (0: stored, uncompressed);
                               -1, the default: the encoder's own, the fastest */
    /* When set, responses are also kept in this folder, so that a later process (the next
     * `easel generate -S NAME` on the offline backend) can continue a chain. */
    char state_dir[1024];
    /* When set, every request received is appended to this file as a JSON line, files as
     * their sha256 and size (--request-log): for tests that compare sends. */
    char request_log[1024];
    /* Faults, for tests (--fault NAME=VALUE[,KEY=VALUE...]). */
    int status;             /* answer this HTTP status ... */
    int status_count;       /* ... to the first N requests (default 1) */
    char retry_after[32];   /* with this retry-after header, if set */
    int retry_after_ms;     /* with this retry-after-ms header, if >= 0 */
    int drop_after;         /* close the connection after partial K (0-based), -1: never */
    int error_event_after;  /* send an error event after partial K; -2: never, -1: at once */
    int drip_bps;           /* stream at most this many bytes per second, 0: no limit */
    int malformed_event;    /* event K carries broken JSON (-1: none); 0 also breaks a JSON body */
    char block_words[EA_MOCK_MAX_BLOCK_WORDS][32]; /* moderation block for these words */
    int n_block_words;
    bool omit_tool_usage;   /* Responses: leave tool_usage out, as the API may */
    bool drop_at_start;     /* close the stream before its first event */
    /* Background mode (protocol.md section 13). The drop faults cut only the first stream
     * of a response (the POST's, or the first GET ?stream=true): a resume reads on. */
    bool drop_after_created; /* close the first stream right after response.created */
    bool queued_stall;       /* a background response never leaves queued (until cancelled) */
    int expire_ms;           /* a background response answers 404 this long after it ended;
                                0: kept while the backend runs */
    /* Files and batches (protocol.md section 14; src/mock/batch.c). Kept under state_dir
     * when set, so a later process reads them on; else in a private folder removed on exit. */
    int batch_ms;            /* a batch runs validating..completed in this long (--batch-seconds) */
    int batch_image_bytes;   /* > 0: each batch line's image is a cheap flat PNG of about this
                                many bytes instead of the drawing (--batch-image-bytes) */
    int batch_fail;          /* this many lines of every batch fail (batch-fail=N) */
    int batch_expire;        /* a batch expires after this many lines (batch-expire=K); -1: never */
    int batch_invalid_line;  /* every batch fails validation naming this line (1-based); 0: no */
    long content_cut;        /* a file download closes after this many bytes (cut=BYTES); -1: no */
    int content_cut_count;   /* ... the first N downloads (cut-count=N, default 1) */
    /* Dressed as Azure OpenAI (--azure): requests must come under /openai/deployments/NAME/
     * (the Images API) or /openai/ (Responses, models) with an api-version, or under
     * /openai/v1/; each with an api-key header (the v1 form also takes Authorization:
     * Bearer, as Azure does from the plain clients). The block fault answers Azure's content
     * filter error. */
    bool azure;
    /* Listed by GET /v1/models after easel's own (--fault model=ID): for tests of models
     * easel does not know or has retired. */
    char extra_models[EA_MOCK_MAX_BLOCK_WORDS][64];
    int n_extra_models;
} ea_mock_config;

typedef struct ea_mock ea_mock;

void ea_mock_config_init(ea_mock_config *cfg);
/* One --fault argument: status=429[,count=2][,retry-after=1][,retry-after-ms=500],
 * drop-after=K|created|start, error-event=K|start, drip=BYTES_PER_SEC, block=WORD, malformed=K,
 * delay=MS, tool-usage=omit, stall=queued, expire=MS, model=ID; batches: batch-fail=N,
 * batch-expire=K, batch-invalid=LINE, cut=BYTES[,cut-count=N]. */
int ea_mock_fault_parse(ea_mock_config *cfg, const char *spec, ea_err *err);
ea_mock *ea_mock_start(const ea_mock_config *cfg, ea_err *err);
int ea_mock_port(const ea_mock *m);
/* "http://127.0.0.1:PORT/v1" (dressed as Azure: the endpoint, "http://127.0.0.1:PORT").
 * Borrowed. */
const char *ea_mock_base_url(const ea_mock *m);
void ea_mock_free(ea_mock **m);

#endif
