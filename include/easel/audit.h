/* SPDX-License-Identifier: MIT */
/* audit: a session's append-only log, audit.jsonl version 1 (design.md section 3): one JSON
 * object a line, chained by prev_hash; opened with recovery of a torn tail, appended, verified. */
#ifndef EASEL_AUDIT_H
#define EASEL_AUDIT_H

/*
 * The format, precisely:
 *  - Each record is one line: compact JSON, then '\n', written with a single write() and then
 *    fsync(). Keys come in the order listed below; every field of a record's kind is always
 *    present, null when unknown, so scripts never have to test for a missing key.
 *  - Common fields: v (1), seq (0, 1, 2 ...), ts (UTC, "2026-11-25T15:30:12.345Z"), kind
 *    ("request", "accepted", "result", "name" or "accept_damage"), turn (null for the last
 *    two), prev_hash. Readers skip kinds they do not know.
 *  - name: the session's name when it was given or changed ("name"), so that session.json,
 *    a cache of the log, can be rebuilt from it.
 *  - accept_damage: `easel log --accept-damage` accepting a log that fails verification:
 *    lines (how many came before it), log_sha256 (of those lines' bytes, each with its '\n'),
 *    found (the damage opening the log found), problems (how many verify reported in the
 *    lines), damaged (one {line, seq, sha256, problem} per problem verify named). Verify sets
 *    aside the problems of the lines before it while they are still those bytes.
 *  - A line that ends in '\n' is complete: if it is not a record, or does not chain, it is
 *    damage, never a torn write. Only bytes after the last '\n' are a torn tail. While the
 *    log is damaged (and the damage not accepted) nothing but accept_damage is appended.
 *  - batch: see ea_audit_batch. A batch line's request and result records add custom_id
 *    (and batch_part, batch_id): see ea_audit_request and ea_audit_result.
 *  - "accepted" (design.md section 7): a background turn's response_id and sequence_number,
 *    written when response.created arrives, between the turn's request and its result. A turn
 *    with an accepted record and no result is resumable, not interrupted.
 *  - prev_hash is the lower-case hex SHA-256 of the previous line's bytes WITHOUT its trailing
 *    '\n'; "" for seq 0. Changing any byte of a record breaks the next record's prev_hash.
 *    (The last record has no successor, so only a copy of its hash kept elsewhere can vouch
 *    for it.)
 *  - Turns are numbered from 1. A turn is a request record and, later, its result record;
 *    the images of turn T are images/T-K.EXT with K from 1, paths relative to the session dir.
 *  - The file is plain ASCII: non-ASCII characters are written as \uXXXX escapes and control
 *    characters (DEL too) are escaped too, so `cat audit.jsonl` cannot drive the terminal.
 *    Strings are stored as received; the one change is that bytes which are not valid UTF-8
 *    (which JSON cannot carry) become U+FFFD.
 *  - Records are bounded: no line passes EA_AUDIT_LINE_MAX, what the readers accept. A value
 *    that would take more than EA_AUDIT_VALUE_MAX bytes as written (a revised prompt or an
 *    error message of megabytes from a server; any field but the common ones and images, and
 *    any member of an object field such as error) is kept in full in a side file, written like
 *    an image (temp file, fsync, rename) before the record: text/SHA256.txt for a string (its
 *    UTF-8), text/SHA256.json for another JSON value (compact), SHA256 being the file's. The
 *    record keeps a string's first EA_AUDIT_PREFIX_MAX bytes (whole characters) and another
 *    value as null, and lists each file in `side_files`: [{field, path, sha256, bytes}], field
 *    naming the value ("revised_prompt", "error.message"). `side_files` is present only in a
 *    record that moved a value aside.
 *  - A thinking turn's result (issue 15) adds, after error and only where they apply:
 *    reasoning_summary (the summary as streamed, paragraphs apart), web_searches ([{id,
 *    status, query}] in the order they began), image_calls (one {path, call_id,
 *    output_index, revised_prompt} per saved image of a response that made several, in the
 *    order of images) and cost_search_usd (the searches at the per-search price).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "easel/buf.h"
#include "easel/err.h"
#include "easel/hash.h"

#define EA_AUDIT_VERSION 1
#define EA_AUDIT_FILE "audit.jsonl"
#define EA_AUDIT_LINE_MAX ((size_t)64 << 20)    /* the longest line a reader accepts */
/* A longer value goes to a side file; a prompt (32,000 characters, 12 bytes each at most as
 * written) never does. */
#define EA_AUDIT_VALUE_MAX ((size_t)512 << 10)
#define EA_AUDIT_PREFIX_MAX ((size_t)4 << 10)   /* what the record keeps of such a string */
#define EA_AUDIT_SIDE_DIR "text"

enum ea_audit_status {
    EA_AUDIT_COMPLETED,
    EA_AUDIT_FAILED,
    EA_AUDIT_CANCELLED,
    EA_AUDIT_INTERRUPTED, /* cut off after the request was sent: it may have been billed */
};
const char *ea_audit_status_name(enum ea_audit_status status); /* "completed" */

/* One saved image as the log records it. Fixed arrays: nothing to free. */
typedef struct ea_audit_image {
    char path[64];                   /* relative to the session dir: "images/3-1.png" */
    char sha256[EA_SHA256_HEX_SIZE];
    uint64_t bytes;
    int width, height;               /* 0 when unknown (written as null) */
    char format[8];                  /* "png", "jpeg", "webp" */
} ea_audit_image;

/* An image the session's images/ folder could not take (a full disk, a read-only folder): its
 * bytes were kept in the rescue folder instead (path), or lost (path ""): sha256 and bytes
 * then say exactly what was lost. Fixed arrays: nothing to free. */
typedef struct ea_audit_unsaved {
    char path[4096];                 /* absolute, $XDG_CACHE_HOME/easel/rescued/...; "": null */
    char sha256[EA_SHA256_HEX_SIZE];
    uint64_t bytes;
    int width, height;               /* 0 when unknown (written as null) */
    char format[8];
    char reason[512];                /* why each place refused them, as easel says it */
} ea_audit_unsaved;

/* A value kept in a side file, as `side_files` lists it. Fixed arrays: nothing to free. */
typedef struct ea_audit_side_file {
    char field[64];                  /* "revised_prompt", "error.message" */
    char path[80];                   /* relative to the session dir: "text/SHA256.txt" */
    char sha256[EA_SHA256_HEX_SIZE];
    uint64_t bytes;
} ea_audit_side_file;

/* What a request record holds. Strings are borrowed for the length of the append call;
 * ea_audit_request_init sets every field to "unknown". */
typedef struct ea_audit_request {
    const char *api;                  /* "responses" or "images" */
    const char *endpoint;             /* "/v1/responses", "/v1/images/edits" ... */
    const char *model;
    const char *text_model;           /* NULL (null) for the Images API */
    const char *prompt;
    /* The request as sent, as the text of a JSON object, with each input file written as
     * {"path": ..., "sha256": ...} instead of its bytes. NULL: {}. */
    const char *params_json;
    /* The files the request sends, as the text of a JSON array of {role ("image", "mask" or
     * "reference"), sha256 and bytes (of the bytes sent, after any conversion), path (the
     * session's copy, "inputs/SHA256.EXT"), source (the path the user gave, absolute),
     * format}. NULL: []. */
    const char *inputs_json;
    const char *previous_response_id; /* NULL: null */
    int parent_turn;                  /* the turn branched from (--from); 0: null */
    double estimate_usd;              /* NAN: null */
    /* A thinking turn's estimate for the most images its model may make (ea_estimate's
     * usd_max), written after estimate_usd; NAN: not written (the count was known). */
    double estimate_max_usd;
    /* Sent to easel's own offline backend: its costs are offline money, never spend (design.md
     * section 7). */
    bool offline;
    /* A line of a batch (design.md 7): its custom_id, and the `part` of the batch record it
     * belongs to. Both written (after "offline") only when custom_id is not NULL. Such a turn
     * is never open: its result comes from `easel batch fetch`, not from this process. */
    const char *custom_id;
    const char *batch_part;
} ea_audit_request;

typedef struct ea_audit_error {
    const char *type, *code, *message, *param; /* as the API sent them; NULL: null */
} ea_audit_error;

/* What a result record holds; borrowed like ea_audit_request. */
typedef struct ea_audit_result {
    enum ea_audit_status status;
    int http_status;                  /* 0: null (no response arrived) */
    const char *request_id;           /* the x-request-id header */
    const char *response_id;
    const char *image_call_id;
    const char *revised_prompt;
    const ea_audit_image *images;     /* saved already (ea_session_save_image) */
    size_t n_images;
    const ea_audit_unsaved *unsaved;  /* written as "unsaved", after "images"; NULL: [] */
    size_t n_unsaved;
    int partials;                     /* partial frames received */
    const char *usage_json;           /* "usage" as the API sent it, JSON text; NULL: null */
    /* A Responses call's "tool_usage" (the image tool's own meter, protocol.md 15), JSON
     * text; NULL: null (the Images API, or a response that left it out). */
    const char *tool_usage_json;
    double cost_usd;                  /* NAN: null */
    /* cost_usd meter by meter: the Responses mainline model's usage at its text rates (NAN on
     * the Images API), the image model's part; cost_image_estimated when that part is the
     * price table's figure because the response had no tool_usage. */
    double cost_text_usd, cost_image_usd;
    bool cost_image_estimated;
    long ms_first_byte, ms_first_partial, ms_total; /* -1: null */
    /* The attempts retried before the final one, as the text of a JSON array of
     * {http_status, reason, delay_ms, request_id}; NULL: []. Every attempt is billed-safe by
     * construction (nothing is retried that may have run), but the log still shows each. */
    const char *retries_json;
    const ea_audit_error *error;      /* NULL: null */
    /* A batch line's outcome: custom_id and batch_id written (after "error") only when
     * custom_id is not NULL. */
    const char *custom_id;
    const char *batch_id;
    /* Thinking turns; each NULL (or NAN) leaves its field out of the record. */
    const char *reasoning_summary;
    const char *web_searches_json;    /* JSON text of an array */
    const char *image_calls_json;     /* JSON text of an array */
    double cost_search_usd;
} ea_audit_result;

/* A `batch` record (turn null): one batch of a campaign, written when its lines' request
 * records are about to be (status "preparing", batch_id null), and again each time easel learns
 * more (batch_id once created, then its status as last seen). Readers take the newest record
 * of a part. Borrowed strings; NULL: null. */
typedef struct ea_audit_batch {
    const char *part;                 /* "CAMPAIGN/N": what the lines' batch_part names */
    const char *campaign;
    const char *batch_id;
    const char *input_file_id;
    const char *output_file_id, *error_file_id;
    const char *endpoint;
    long n_lines;                     /* written as "lines" */
    int first_turn, last_turn;        /* the turns of its lines */
    double estimate_usd;              /* at batch prices; NAN: null */
    double interactive_usd;           /* the same lines one at a time; NAN: null */
    const char *status;               /* "preparing", then the API's batch status */
    const char *counts_json;          /* request_counts as the API sent them; NULL: null */
    bool offline;
    const char *note;                 /* why it stopped ("upload failed: ..."); NULL: null */
} ea_audit_batch;
void ea_audit_batch_init(ea_audit_batch *b);

void ea_audit_request_init(ea_audit_request *r);
void ea_audit_result_init(ea_audit_result *r);

/* The current time as the log writes it: "2026-11-25T15:30:12.345Z" (UTC, milliseconds). */
#define EA_TIMESTAMP_SIZE 32
void ea_audit_timestamp(char out[EA_TIMESTAMP_SIZE]);

typedef struct ea_audit ea_audit; /* an open log, with every record indexed in memory */

enum ea_audit_mode {
    EA_AUDIT_READ,   /* changes nothing on disk; a torn tail is skipped and reported */
    EA_AUDIT_APPEND, /* creates the log if needed and moves a torn tail aside. The caller
                        must hold the session's lock (ea_session_open does). */
    /* APPEND for a writer that only adds records (easel batch, whose session can hold
     * 100,000): the log is read a line at a time and its memory does not grow with its
     * records. It keeps what appending and checking need: per turn its record numbers
     * (request, result, accepted), whether it is a batch line or offline; per line its
     * offset (check_anchor reads that line again from the file); the totals, chain
     * state, damage, next seq and turn, name, last ts and response_id, and a running digest
     * of the bytes for accept_damage. It keeps no text and no parsed records: record_line
     * gives NULL, find_turn fills only turn, request_seq, result_seq, has_result and offline,
     * turn_image finds no image and resumable_turn none. Readers (easel log, the workbench,
     * verify) open the log as before. */
    EA_AUDIT_APPEND_LEAN,
};

typedef struct ea_audit_recovery {
    bool torn;              /* bytes after the last newline (a cut-off write): not in the log */
    size_t torn_bytes;
    char aside_path[4096];  /* APPEND: the file its bytes were appended to ("" in READ mode) */
} ea_audit_recovery;

/* Opens session_dir/audit.jsonl (a missing log is an empty one; a link or FIFO in its place is
 * refused). recovery may be NULL. Damage (a complete line that is not a record, a broken
 * prev_hash link, a wrong seq, since the newest accepted point) does not fail the open: it is
 * kept, told by ea_audit_damage, and refuses every append but ea_audit_append_accept. */
int ea_audit_open(const char *session_dir, enum ea_audit_mode mode, ea_audit **out,
                  ea_audit_recovery *recovery, ea_err *err);
void ea_audit_close(ea_audit **a);

/* Appends the request record of a new turn and returns its number in *turn. */
int ea_audit_append_request(ea_audit *a, const ea_audit_request *r, int *turn, ea_err *err);
/* Appends the accepted record of `turn` (a request, no result, not accepted yet). */
int ea_audit_append_accepted(ea_audit *a, int turn, const char *response_id,
                             long sequence_number, ea_err *err);
/* Appends the result of `turn`, which must have a request and no result yet. */
int ea_audit_append_result(ea_audit *a, int turn, const ea_audit_result *r, ea_err *err);

/* Many records at a time (a batch's 50,000 lines): while deferred, each record is still one
 * write(), but its fsync waits for ea_audit_sync (or the close), which makes all of them
 * durable at once. Nothing may be sent or said that depends on them before that. */
void ea_audit_defer_sync(ea_audit *a, bool on);
int ea_audit_sync(ea_audit *a, ea_err *err);

/* Appends a batch record (ea_audit_batch). */
int ea_audit_append_batch(ea_audit *a, const ea_audit_batch *b, ea_err *err);

/* Records the session's name (a "name" record). */
int ea_audit_append_name(ea_audit *a, const char *name, ea_err *err);

/* The damage found when the log was opened (or by ea_audit_check_anchor), with the line it
 * is at in *line (may be NULL): NULL when the log is sound. Borrowed. */
const char *ea_audit_damage(const ea_audit *a, size_t *line);
/* Checks the anchor session.json keeps (the seq and sha256 of the newest record it saw)
 * against the log: a changed or removed record is damage, as above. seq -1: none. */
void ea_audit_check_anchor(ea_audit *a, long seq, const char *sha256);

typedef struct ea_audit_report ea_audit_report;
/* Appends an accept_damage record naming what `report` (ea_audit_verify of this log) found
 * in its lines; the log is then sound from this record on. */
int ea_audit_append_accept(ea_audit *a, const ea_audit_report *report, ea_err *err);
/* The newest name record's name, or NULL. Borrowed. */
const char *ea_audit_session_name(const ea_audit *a);

long ea_audit_next_seq(const ea_audit *a);
int ea_audit_next_turn(const ea_audit *a);
const char *ea_audit_last_hash(const ea_audit *a);        /* "" for an empty log */
/* The newest completed result's response_id (what a Responses session chains), or NULL. */
const char *ea_audit_last_response_id(const ea_audit *a);
/* The newest turn with a request and no result (the process stopped midway), or 0. A
 * background turn that was accepted is not open: it is resumable. */
int ea_audit_open_turn(const ea_audit *a);

/* A resumable turn: accepted, no result. Strings borrowed until ea_audit_close. */
typedef struct ea_audit_accepted {
    int turn;
    const char *response_id;
    long sequence_number;     /* as accepted: the events after it are still to read */
    const char *request_line; /* the turn's request record as written, request_len bytes
                                 (not NUL-terminated) */
    size_t request_len;
} ea_audit_accepted;
/* The oldest resumable turn numbered above `after` into *out: its number, or 0. */
int ea_audit_resumable_turn(const ea_audit *a, int after, ea_audit_accepted *out);

typedef struct ea_audit_totals {
    int turns;          /* request records */
    int images;         /* images in result records */
    double spend_usd;   /* the sum of the known cost_usd of turns not sent offline */
    double offline_usd; /* ... and of the turns whose request says offline: never spend */
    double batch_usd;   /* the part of spend_usd that batch lines (custom_id) cost */
} ea_audit_totals;
void ea_audit_get_totals(const ea_audit *a, ea_audit_totals *out);

/* The newest record's ts ("" for an empty log): the session's last activity. Borrowed. */
const char *ea_audit_last_timestamp(const ea_audit *a);

/* The records' lines as written, without the '\n'. Borrowed until ea_audit_close. */
size_t ea_audit_record_count(const ea_audit *a);
const char *ea_audit_record_line(const ea_audit *a, size_t index, size_t *len);

/* One turn, from its request and result records. Strings are borrowed until ea_audit_close;
 * NULL where the log holds null. */
typedef struct ea_audit_turn {
    int turn;
    int parent_turn;                   /* 0: none */
    long request_seq, result_seq;      /* -1 when that record is missing */
    const char *api, *model, *text_model, *prompt, *previous_response_id;
    bool has_result;                   /* the fields below are valid only when true */
    enum ea_audit_status status;
    int http_status;                   /* 0: none */
    const char *response_id, *image_call_id, *revised_prompt;
    double cost_usd;                   /* NAN: unknown */
    size_t n_images;
    bool offline;                      /* the request went to the offline backend */
} ea_audit_turn;

/* For `--from TURN`: -1 with err when the log has no such turn. */
int ea_audit_find_turn(const ea_audit *a, int turn, ea_audit_turn *out, ea_err *err);
int ea_audit_turn_image(const ea_audit *a, int turn, size_t index, ea_audit_image *out,
                        ea_err *err);

/*
 * Reading a log one line at a time, without holding it: what `easel log --json`, `--grep`,
 * the history reader and ea_audit_verify use, so that memory does not grow with the number
 * of records (only with the longest line). Nothing on disk is changed.
 */
typedef struct ea_audit_stream ea_audit_stream;

/* Both modes hand out every complete line, whatever it holds: a complete line is never torn
 * (only bytes after the last newline are); readers tell damage apart themselves. */
enum ea_audit_stream_mode {
    EA_AUDIT_STREAM_RECORDS,
    EA_AUDIT_STREAM_LINES,
};

/* Opens session_dir/audit.jsonl; a missing log is an empty one. */
int ea_audit_stream_open(const char *session_dir, enum ea_audit_stream_mode mode,
                         ea_audit_stream **out, ea_err *err);
/* The next line without its '\n', borrowed until the next call: 1; 0 at the end; -1 with err.
 * Only a line that passes the cap (EA_AUDIT_LINE_MAX) is an error. */
int ea_audit_stream_next(ea_audit_stream *s, const char **line, size_t *len, ea_err *err);
/* After the end: the bytes of the torn tail left out (0 when the log ended cleanly). */
size_t ea_audit_stream_torn_bytes(const ea_audit_stream *s);
/* The 1-based line number of the line last returned. */
size_t ea_audit_stream_line_no(const ea_audit_stream *s);
void ea_audit_stream_close(ea_audit_stream **s);

/* Is path one the log may name for a file in folder ("images", EA_AUDIT_SIDE_DIR): exactly
 * "FOLDER/NAME", NAME not starting with '.', with no way out of the session dir? */
bool ea_audit_safe_path(const char *path, const char *folder);

/* For `easel log --json`: a line the writer cannot have made as it stands (not a JSON object,
 * or holding a byte outside printable ASCII) is described instead of shown, so that the output
 * stays JSON Lines and the line's bytes never reach a terminal. Appends to out one compact
 * ASCII object: {"v":1,"kind":"damaged","line":N,"seq":N-1,"bytes":LEN,"sha256":HEX,
 * "problem":TEXT}; line_no is the line's 1-based number, seq the place it holds in the chain.
 * 1 when the line is damaged (and described), 0 when it is sound, -1 out of memory. */
int ea_audit_describe_damage(const char *line, size_t len, size_t line_no, ea_buf *out);

#define EA_AUDIT_MAX_PROBLEMS 32

typedef struct ea_audit_problem {
    long seq;      /* the record at fault, or -1 when none can be named */
    char file[96]; /* the image, input or side file at fault, relative to the session dir, or "" */
    char text[320];
} ea_audit_problem;

struct ea_audit_report {
    size_t records;  /* lines checked */
    size_t images;   /* images checked */
    size_t side_files; /* side files checked */
    size_t inputs;   /* input copies checked (a copy named by several turns: each time) */
    int n_problems;  /* may exceed EA_AUDIT_MAX_PROBLEMS; only that many are kept */
    int file_problems; /* of n_problems, those naming an image */
    int accepted;      /* problems set aside by accept_damage records (not in n_problems) */
    long accepted_seq; /* the newest accept_damage record that held, or -1 */
    ea_audit_problem problems[EA_AUDIT_MAX_PROBLEMS];
};

/* Checks session_dir/audit.jsonl without changing anything: each line is a version-1 record,
 * seq runs 0, 1, 2 ..., the prev_hash chain holds, every turn's request comes before its
 * result, and every recorded image, input copy and side file exists (a regular file, not a
 * link) with its sha256 and size. The problems in lines before an accept_damage record whose
 * log_sha256 still holds are set aside (report->accepted); an image's problems never are.
 * Returns 0 when the check
 * ran (the log is sound when report->n_problems is 0), -1 with err when it could not. */
int ea_audit_verify(const char *session_dir, ea_audit_report *report, ea_err *err);

/* The last record has no successor to vouch for it; session.json keeps a copy of its seq and
 * hash (the anchor). With an anchor, verify also reports a change to that record, and records
 * removed from the end of the log. anchor_seq -1: no anchor (the same as ea_audit_verify). */
int ea_audit_verify_anchored(const char *session_dir, long anchor_seq, const char *anchor_hash,
                             ea_audit_report *report, ea_err *err);

#endif
