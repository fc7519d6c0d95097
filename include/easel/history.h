/* SPDX-License-Identifier: MIT */
/* history: a session's turns read from its audit log into structs, one at a time (memory does
 * not grow with the log), with the branch structure; shared by `easel log` and the workbench. */
#ifndef EASEL_HISTORY_H
#define EASEL_HISTORY_H

/*
 * A turn is its request record and its result record. The reader hands out a turn when its
 * result arrives, and at the end of the log the turns left without one (a writer still at
 * work, or a process that stopped before ea_session_open could close them). Strings are as
 * the log holds them, byte for byte: sanitize them (ea_sanitize_append) before showing them.
 *
 * The parent of a turn is the turn it went on from: the turn named by --from (parent_turn,
 * `branched` set), else the turn whose response the request chained (previous_response_id);
 * else it has none (0): a plain generation is a new root, not a child of the turn before it.
 * Turns whose parents have more than one child form branches.
 */

#include <stdbool.h>
#include <stddef.h>

#include "easel/audit.h"
#include "easel/buf.h"
#include "easel/err.h"

struct json_t; /* jansson's; the turn keeps its two records alive for the borrowed strings */

/* One file the request sent, from its record's inputs; strings borrowed like the turn's. */
typedef struct ea_history_input {
    const char *role;              /* "image", "mask", "reference" */
    const char *sha256;
    const char *path;              /* the session's copy, "inputs/SHA256.EXT" */
    const char *source;            /* the path the user gave; NULL when not recorded */
    long bytes;                    /* -1: not recorded */
} ea_history_input;

typedef struct ea_history_web_search {
    const char *status, *query; /* NULL when the log has none */
} ea_history_web_search;

typedef struct ea_history_turn {
    int turn;
    int parent;                    /* 0: none */
    bool branched;                 /* parent came from --from */
    long request_seq, result_seq;  /* -1 when that record is missing */
    const char *ts, *result_ts;    /* UTC, "2026-11-25T15:30:12.345Z"; NULL when missing */
    const char *api, *endpoint, *model, *text_model, *prompt, *previous_response_id;
    const char *size, *quality, *format; /* from the request as sent; NULL when not sent */
    int count;                     /* images asked for (n); 1 when not sent */
    double estimate_usd;           /* NAN: unknown */
    double estimate_max_usd;       /* a thinking turn's, for the most images; NAN: none */
    /* An edit: the request went to the edits endpoint, or sent an image to edit (the
     * Responses API); else a generation, from references when it sent some. */
    bool edit;
    const char *action;            /* the Responses tool's action as sent; NULL when not sent */
    ea_history_input *inputs;      /* owned; none for a log written before inputs were kept */
    size_t n_inputs;
    bool offline;                  /* sent to the offline backend: its cost is not spend */
    /* A thinking turn's request: the reasoning effort (NULL: none) and the web_search tool. */
    const char *reasoning;
    bool web_search;
    /* A line of a batch (`easel batch`): its custom_id and the batch record's part; NULL for
     * an interactive turn. Such a turn without a result is pending, never open. */
    const char *custom_id, *batch_part;

    bool has_result;               /* the fields below are valid only when true */
    enum ea_audit_status status;
    int http_status;               /* 0: no response */
    const char *request_id, *response_id, *image_call_id, *revised_prompt;
    const char *error_type, *error_code, *error_message, *error_param;
    const char *batch_id;          /* a batch line's result: the batch it came from */
    const char *usage_json;        /* compact JSON text, or NULL */
    const char *tool_usage_json;   /* the same for a Responses call's tool_usage */
    double cost_usd;               /* NAN: unknown */
    double cost_text_usd, cost_image_usd; /* cost_usd by meter; NAN: unknown (or no such) */
    bool cost_image_estimated;     /* the image part is the table's, not the response's */
    long ms_first_byte, ms_first_partial, ms_total; /* -1: unknown */
    int partials, retries;
    ea_audit_image *images;        /* owned */
    size_t n_images;
    ea_audit_side_file *side_files; /* owned: values the records keep aside (audit.h) */
    size_t n_side_files;
    /* A thinking turn's result: the summary (NULL: none), the searches, each image's own
     * revised prompt (image_prompts[i] for images[i], NULL where the log has none; owned
     * array, borrowed strings), and the searches' cost (NAN: none). */
    const char *reasoning_summary;
    ea_history_web_search *searches; /* owned */
    size_t n_searches;
    const char **image_prompts;
    double cost_search_usd;

    struct json_t *request_doc, *result_doc; /* private: owners of the strings above */
    char *usage_text, *tool_usage_text;      /* private: owners of usage_json, tool_usage_json */
} ea_history_turn;

/* Releases what the turn owns; its strings become invalid. Safe on a zeroed turn. */
void ea_history_turn_clear(ea_history_turn *t);

/* What reading the log found besides turns; for the report on stderr. */
typedef struct ea_history_notes {
    size_t records;         /* lines read */
    size_t torn_bytes;      /* a torn last line, left out (ea_audit_open moves it aside) */
    size_t damaged;         /* lines that are not usable records, skipped */
    size_t first_damaged;   /* the 1-based line number of the first */
    size_t orphan_results;  /* results without a request before them, skipped */
    size_t accepted_damage; /* accept_damage records: damage before them was accepted */
} ea_history_notes;

typedef struct ea_history_reader ea_history_reader;

int ea_history_open(const char *session_dir, ea_history_reader **out, ea_err *err);
/* The next turn into *t (cleared first; the caller clears the last): 1; 0 at the end; -1. */
int ea_history_next(ea_history_reader *r, ea_history_turn *t, ea_err *err);
const ea_history_notes *ea_history_get_notes(const ea_history_reader *r);
void ea_history_close(ea_history_reader **r);

/* Every turn at once, in the order the reader gives them: for the workbench's panel. */
typedef struct ea_history {
    ea_history_turn *turns;
    size_t count;
    ea_history_notes notes;
} ea_history;

int ea_history_load(const char *session_dir, ea_history *out, ea_err *err);
void ea_history_free(ea_history *h);

/* A session's batch lines as the log knows them: done (completed), failed (any other
 * outcome), pending (no result yet: fetch has not brought it), and what the fetched ones
 * cost, paid apart from offline; interactive turns are not counted. Pure. */
typedef struct ea_history_batch {
    size_t total, done, failed, pending, images;
    double spend_usd, offline_usd;
} ea_history_batch;
void ea_history_batch_add(ea_history_batch *b, const ea_history_turn *t);

/*
 * The branch structure as lines of turn numbers, each a path down the tree: the first line
 * follows each turn's first child from the root; each later child starts a line at its
 * parent. For 1-2-3 with 4 and 5 branched from 1 and 2: "1 2 3", "1 4", "2 5".
 * parents[t] is the parent of turn t (0 none), for t in 1..max_turn; missing turns are -1.
 */
typedef struct ea_branch_line {
    int *turns;   /* owned */
    size_t count;
} ea_branch_line;

typedef struct ea_branches {
    ea_branch_line *lines;
    size_t count;
} ea_branches;

int ea_branches_build(const int *parents, int max_turn, ea_branches *out);
void ea_branches_free(ea_branches *b);

/* The sidecar `easel export` writes beside image k of turn t: one JSON object (pure ASCII,
 * indented) with the session, turn, image (path, sha256, bytes, size, format), c2pa (as
 * `where` describes it, present or not), prompt, revised_prompt, the model and the request's
 * parameters as sent, its inputs as logged, ids, usage as the API sent it, cost and
 * estimate, status and times, and side_files when the log keeps some of the turn's values
 * aside (audit.h). */
int ea_history_sidecar(const ea_history_turn *t, size_t k, const char *session_id,
                       const char *session_name, bool c2pa_present, const char *c2pa_where,
                       ea_buf *out);

/* Files a stopped writer can leave in a session folder, which easel never deletes: temp files
 * of images never renamed into place (images/.NAME.tmp-XXXXXX) and torn log tails moved
 * aside (audit.jsonl.torn-TIME). The first few names, relative to the session dir. */
#define EA_LEFTOVERS_SHOWN 8

typedef struct ea_leftovers {
    size_t temp_files, torn_asides;
    size_t n_names;
    char names[EA_LEFTOVERS_SHOWN][272]; /* "images/" and a file name */
} ea_leftovers;

int ea_history_scan_leftovers(const char *session_dir, ea_leftovers *out, ea_err *err);

/* Does text hold needle, ignoring case (Unicode's simple case mapping: É matches é)? *at and
 * *len (either may be NULL) get the first match's offset and length in text, in bytes, which
 * may differ from the needle's. Pure but for reading the C library's Unicode tables. */
bool ea_history_find(const char *text, const char *needle, size_t *at, size_t *len);

/* A search of one session's prompts and revised prompts, streamed like the reader. */
typedef struct ea_history_match {
    int turn;
    bool revised;          /* the match is in the revised prompt, not the prompt */
    const char *ts;        /* the record's */
    const char *text;      /* the whole prompt, as logged (from its side file when the record
                              keeps it in one: audit.h); borrowed until the next call */
    size_t at, len;        /* the match within text */
} ea_history_match;

typedef struct ea_history_search ea_history_search;

int ea_history_search_open(const char *session_dir, const char *needle,
                           ea_history_search **out, ea_err *err);
/* The next match: 1; 0 at the end; -1 with err. */
int ea_history_search_next(ea_history_search *s, ea_history_match *m, ea_err *err);
void ea_history_search_close(ea_history_search **s);

/* A turn number as typed (`--from 3`): digits only, 1 to INT_MAX. -1 with EA_EXIT_USAGE and
 * a message quoting the text otherwise (0, a sign, trailing text, too large). */
int ea_history_parse_turn(const char *text, int *turn, ea_err *err);
/* "TURN" or "TURN:K", K naming the K-th image of a turn that made several (*image 0 when
 * not given), for --from. */
int ea_history_parse_turn_image(const char *text, int *turn, int *image, ea_err *err);

/* "2026-11-25" or "2026-11-25T15:30[:12[.345]][Z]" as the log's UTC timestamps, so that
 * strcmp orders them: a date alone is the start of that day, or its end when end_of_day.
 * -1 with EA_EXIT_USAGE for anything else. */
int ea_history_date_bound(const char *text, bool end_of_day, char out[EA_TIMESTAMP_SIZE],
                          ea_err *err);

#endif
