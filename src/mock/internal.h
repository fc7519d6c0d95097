/* SPDX-License-Identifier: MIT */
/* mock/internal.h: what the offline backend's files share; not a public API.
 * server.c routes HTTP requests, request.c turns a request into a job (an ea_params checked by
 * the same rules as the client, plus decoded input images), job.c draws and encodes the
 * pictures, images.c and responses.c shape them as the two APIs do, stream.c frames events
 * and injects faults, chain.c remembers responses for previous_response_id, files.c and
 * batch.c keep uploaded files and run batches of Images requests. */
#ifndef EASEL_MOCK_INTERNAL_H
#define EASEL_MOCK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "easel/buf.h"
#include "easel/image.h"
#include "easel/mock.h"
#include "easel/params.h"
#include "easel/prices.h"

#define MOCK_MAX_BODY ((size_t)64 << 20)  /* request bodies past this get 413 */
#define MOCK_MAX_OUTPUTS 10               /* n is 1-10 */
#define MOCK_OFFLINE_NOTE "(offline stand-in)"

enum mock_route {
    MOCK_ROUTE_UNKNOWN = 0,
    MOCK_ROUTE_GENERATIONS,
    MOCK_ROUTE_EDITS,
    MOCK_ROUTE_RESPONSES,
    MOCK_ROUTE_RESPONSE_GET,    /* GET /v1/responses/{id}[?stream=true&starting_after=N] */
    MOCK_ROUTE_RESPONSE_CANCEL, /* POST /v1/responses/{id}/cancel */
    MOCK_ROUTE_FILES,           /* /v1/files[/{id}[/content]] */
    MOCK_ROUTE_BATCHES,         /* /v1/batches[/{id}[/cancel]] */
    MOCK_ROUTE_MODELS,          /* GET /v1/models */
};

typedef struct mock_chain mock_chain;
typedef struct mock_store mock_store;
typedef struct mock_spool mock_spool;
struct MHD_Connection;
struct MHD_Response;
struct json_t;
/* The server is the public ea_mock; the other files see it through the accessors below. */
typedef struct ea_mock mock_server;

/* ---- errors answered as {"error":{message,type,param,code}} ---- */

typedef struct mock_error {
    int status;            /* HTTP status */
    const char *type;      /* "invalid_request_error", "server_error", ... */
    const char *code;      /* NULL becomes JSON null */
    char param[64];        /* "" becomes JSON null */
    char message[1100];
    /* Azure's shape, {code, message, param, status}, when set; with azure_filtered, the
     * content filter's innererror {code: ResponsibleAIPolicyViolation, content_filter_result}
     * with that category filtered. mock_fail clears both. */
    bool azure;
    const char *azure_filtered;
} mock_error;

/* Fills e and returns -1. param and code may be NULL. */
int mock_fail(mock_error *e, int status, const char *type, const char *code, const char *param,
              const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int mock_error_body(ea_buf *out, const mock_error *e);

/* ---- JSON and base64 writing (json.c) ---- */

/* Appends s as a quoted JSON string. All return 0, or -1 when the buffer is full. */
int mock_json_string(ea_buf *out, const char *s);
int mock_base64_encode(ea_buf *out, const void *bytes, size_t n);
/* Decodes standard base64 (padding optional, no whitespace); -1 on a bad character. */
int mock_base64_decode(const char *text, size_t n, ea_buf *out);

/* ---- the job: one request, parsed and checked ---- */

typedef struct mock_job {
    enum mock_route route;
    ea_params params;          /* resolved by ea_params_resolve */
    bool stream;
    char request_id[40];       /* req_<hex>, also quoted in moderation messages */
    long created;              /* unix seconds */

    /* What the images are, as reported on the wire. */
    int w, h;
    const char *quality;       /* low, medium, high (auto reports medium) */
    const char *background;    /* transparent or opaque */
    const char *format;        /* png, jpeg or webp */
    int compression;           /* 0-100 */
    int png_level;             /* zlib level for PNG, -1: the encoder's default */
    int n_outputs;
    int partials;

    /* Inputs of an edit: the images (the previous response's first) and the mask. */
    ea_image sources[EA_MAX_IMAGES + 1];
    int n_sources;
    ea_image mask;             /* mask.rgba == NULL when there is none */

    /* Responses API only. */
    char *previous_response_id;
    char *tools_json;          /* the request's tools and tool_choice, echoed back */
    char *tool_choice_json;
    bool store;
    bool background_mode;      /* background: true: the work outlives the connection */
    bool edit;                 /* the tool's action after "auto" was decided */
    char *revised_prompt;
    long tool_output_tokens;   /* the image tool's, for tool_usage; -1: leave tool_usage out */
    char response_id[48];
    char item_id[48];
    /* Thinking turns (protocol.md 15): a reasoning summary to stream (reasoning.summary was
     * asked for), a canned web search, the documents' names, and the image calls the prompt
     * asks for ("4 panels", "character sheet"), each its own item and a variation of one
     * design (finals[call]). */
    bool summary;
    bool web_search;
    char *documents;           /* the input_file names, ", " between them; NULL: none */
    char *summary_text;        /* made when the request is taken */
    size_t summary_sent;       /* bytes of it streamed as deltas */
    char reasoning_id[48], search_id[48];
    int n_calls;               /* image_generation_calls: 1, or what the prompt asks */
    int call;                  /* the one being streamed */
    char call_ids[MOCK_MAX_OUTPUTS][48];   /* call_ids[0] is item_id */
    char *call_prompts[MOCK_MAX_OUTPUTS];  /* each call's revised_prompt */

    /* Drawn and encoded outputs, filled by mock_job_render/mock_job_encode. */
    ea_image finals[MOCK_MAX_OUTPUTS];
    ea_buf encoded[MOCK_MAX_OUTPUTS];  /* the file bytes of each final image */
    ea_buf b64[MOCK_MAX_OUTPUTS];      /* the same, base64 */

    /* Where a stream stands: the image and partial next due (Images API), or the next step
     * of the Responses event sequence. */
    int next_image, next_partial, next_step;
} mock_job;

void mock_job_init(mock_job *job, enum mock_route route);
void mock_job_free(mock_job *job);

/* request.c: a request body into a checked job. On failure e holds the 400 to answer. */
int mock_request_json(mock_server *srv, mock_job *job, const char *body, size_t len,
                      mock_error *e);
typedef struct mock_part {
    char *name;
    char *filename;            /* NULL for a text part */
    char *content_type;        /* NULL when the part named none */
    ea_buf data;
    mock_spool *spool;         /* a file uploaded to /v1/files: its bytes went here, not data */
    struct mock_part *next;
} mock_part;
int mock_request_multipart(mock_server *srv, mock_job *job, const mock_part *parts,
                           mock_error *e);
void mock_parts_free(mock_part **parts);

/* job.c: drawing, encoding and accounting shared by both APIs. */
int mock_job_render(mock_job *job, int index, mock_error *e);         /* finals[index] */
int mock_job_encode_final(mock_job *job, int index, mock_error *e);   /* encoded/b64[index] */
/* A partial frame of finals[index], as base64 into out. */
int mock_job_partial_b64(mock_job *job, int index, int partial, ea_buf *out, mock_error *e);
void mock_job_size_text(const mock_job *job, char *out, size_t len);
long mock_job_text_tokens(const mock_job *job);
long mock_job_image_input_tokens(const mock_job *job);
long mock_job_output_tokens(const mock_server *srv, const mock_job *job);
/* Deterministic from the prompt; the caller frees. */
char *mock_revised_prompt(const char *prompt, bool edit);
/* How many images a prompt asks one response for: "4 panels", "a 3-image set", "six
 * frames" (2 to 8), a character sheet or a storyboard (4); else 1. */
int mock_calls_for(const char *prompt);
/* The plan a thinking turn streams as its summary, naming the prompt's words, the documents
 * and the search. Caller frees. */
char *mock_summary_for(const mock_job *job);
/* "<prefix><32 hex digits>" from the system's random source. */
void mock_random_id(char *out, size_t len, const char *prefix);

/* ---- streams (stream.c) ---- */

/* One event as a producer hands it over: the stream layer frames it and applies faults. */
typedef struct mock_event {
    const char *name;          /* the event: line, also the JSON's "type" */
    ea_buf *json;              /* the data: line; the producer appends to it */
    bool partial;              /* a partial image: counted by drop-after and error-event */
} mock_event;

/* Writes the next event. seq is its sequence number (Responses events carry it).
 * Returns 1 for an event, 0 at the end of the stream, -1 on failure (e set). */
typedef int (*mock_next_event)(mock_server *srv, mock_job *job, int seq, mock_event *ev,
                               mock_error *e);

typedef struct mock_stream mock_stream;

/* Takes ownership of job. numbered: events carry sequence_number (Responses API). */
mock_stream *mock_stream_new(mock_server *srv, mock_job *job, mock_next_event next,
                             bool numbered);
/* A finished body sent through the same pacing (drip); takes the buffer's bytes. */
mock_stream *mock_stream_new_body(mock_server *srv, ea_buf *body);
/* One event in SSE framing appended to out; malformed: its JSON cut short (the fault). */
int mock_frame_event(ea_buf *out, const char *name, const ea_buf *json, bool malformed);
/* The nested error event's JSON (seq -1: no sequence_number) appended to json. */
int mock_error_event_json(ea_buf *json, const mock_error *e, int seq);
/* The error the error-event fault sends. */
void mock_fault_error_event(mock_error *e);
/* For MHD_create_response_from_callback. */
ssize_t mock_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void mock_stream_free(void *cls);

/* ---- the two APIs ---- */

int mock_images_body(mock_server *srv, mock_job *job, ea_buf *out, mock_error *e);
int mock_images_next(mock_server *srv, mock_job *job, int seq, mock_event *ev, mock_error *e);
int mock_responses_body(mock_server *srv, mock_job *job, ea_buf *out, mock_error *e);
int mock_responses_next(mock_server *srv, mock_job *job, int seq, mock_event *ev,
                        mock_error *e);

/* The Response object with this status ("queued", "in_progress", "completed" with the output
 * item and usage, "cancelled"...). */
int mock_responses_object(ea_buf *out, const mock_job *job, const char *status);

/* ---- background responses (background.c) ---- */

typedef struct mock_bg mock_bg;
typedef struct mock_bg_entry mock_bg_entry;

mock_bg *mock_bg_new(void);
/* Wakes every reader and producer (the server is stopping); then mock_bg_free joins them. */
void mock_bg_stop(mock_bg *bg);
void mock_bg_free(mock_bg **bg);
/* Takes ownership of job and starts producing its events on a thread of its own, whether or
 * not anyone reads them. The entry is referenced once for the caller (mock_bg_release). */
mock_bg_entry *mock_bg_start(mock_server *srv, mock_job *job, mock_error *e);
/* The response by id, referenced (mock_bg_release), or NULL when unknown or expired. */
mock_bg_entry *mock_bg_find(mock_bg *bg, const char *id, const ea_mock_config *cfg);
void mock_bg_release(mock_bg_entry *entry);
/* The Response object as it stands (for a poll); cancel first asks the work to stop. */
int mock_bg_object(mock_bg_entry *entry, ea_buf *out, bool cancel);
/* The event at index, framed, appended to out, waiting for it: 1; 0 when the response has no
 * more; -1 when the server is stopping. */
int mock_bg_read(mock_bg_entry *entry, size_t index, ea_buf *out, bool *partial);
/* Whether this is the response's first stream (the POST's, or the first GET ?stream=true of
 * a response created without one): the one the drop faults cut. Asked once per stream. */
bool mock_bg_first_stream(mock_bg_entry *entry);
/* A stream of the events after starting_after (-1: all). Takes the caller's reference. */
mock_stream *mock_stream_new_bg(mock_server *srv, mock_bg_entry *entry, int starting_after);

/* ---- previous_response_id store (chain.c) ---- */

/* dir: where responses are also kept on disk for other processes, or NULL. */
mock_chain *mock_chain_new(size_t max_entries, size_t max_bytes, const char *dir);
void mock_chain_free(mock_chain **c);
/* Remembers a response's final image (file bytes, copied) and prompt; evicts the oldest
 * entries past the bounds. */
int mock_chain_put(mock_chain *c, const char *response_id, const char *prompt,
                   const void *image, size_t image_len);
/* Copies the stored image and prompt out (caller frees both). false when the id is unknown
 * (or memory ran out). */
bool mock_chain_get(mock_chain *c, const char *response_id, void **image, size_t *image_len,
                    char **prompt);

/* ---- files and batches (files.c, batch.c) ---- */

#define MOCK_MAX_UPLOAD ((size_t)512 << 20) /* the Files API's limit on one file */

/* The folder files and batches live in: state_dir when set (shared with later processes),
 * else a private one made on first use and removed by mock_store_free. */
mock_store *mock_store_new(const char *state_dir);
void mock_store_free(mock_store **s);
/* "<store>/files" or "<store>/batches", made on first use; NULL when it cannot be made. */
const char *mock_store_files(mock_store *s);
const char *mock_store_batches(mock_store *s);
/* The next download the cut fault applies to: the bytes it may send, or -1 for all. */
long mock_store_cut_due(mock_store *s, const ea_mock_config *cfg);

/* An uploaded file on its way to disk, hashed as it goes (for the request log). */
mock_spool *mock_spool_new(mock_store *s);
int mock_spool_write(mock_spool *sp, const void *bytes, size_t n);
int mock_spool_digest(const mock_spool *sp, char hex[65], size_t *bytes);
void mock_spool_free(mock_spool **sp);

/* A reply of the Files or Batches API: a JSON body with its status, or a file's bytes. */
typedef struct mock_reply {
    int status;
    ea_buf body;
    struct MHD_Response *content;  /* set instead of body: a file's bytes, streamed */
} mock_reply;

int mock_files_answer(mock_server *srv, struct MHD_Connection *c, const char *method,
                      const char *url, const mock_part *parts, mock_reply *r, mock_error *e);
int mock_batches_answer(mock_server *srv, struct MHD_Connection *c, const char *method,
                        const char *url, const ea_buf *body, mock_reply *r, mock_error *e);
/* The thread that brings this process's unfinished batches up to date on their clock, so the
 * work is done before the next poll asks; stopped (and joined) by mock_batches_stop. */
typedef struct mock_batches mock_batches;
mock_batches *mock_batches_start(mock_server *srv);
void mock_batches_stop(mock_batches **b);
/* A stored file's bytes by id (an edit naming its image by file_id); param names it in the
 * 400 when the id is unknown. */
int mock_files_read(mock_server *srv, const char *id, const char *param, ea_buf *out,
                    mock_error *e);
/* Moves the file at path into the store as a new file object (purpose batch_output for a
 * batch's results); its id into id (at least 40 bytes). */
int mock_files_adopt(mock_store *s, const char *path, const char *filename,
                     const char *purpose, char *id, size_t id_len);
/* The object of a stored file as JSON appended to out; -1 when it is unknown. */
int mock_files_object(mock_store *s, const char *id, ea_buf *out);
/* A list of the objects kept in dir as ID.json, load(srv, ID, arg) giving each (NULL leaves
 * it out), as one page newest first: limit (def_limit when not given), after, has_more,
 * first_id and last_id, as the API's cursor pages are. */
typedef struct json_t *(*mock_load_fn)(mock_server *srv, const char *id, void *arg);
int mock_list_objects(mock_server *srv, const char *dir, mock_load_fn load, void *arg,
                      struct MHD_Connection *c, int def_limit, int max_limit, ea_buf *out,
                      mock_error *e);
/* "/ID[/TAIL]" after a collection's path: the id (fitting in size) and where the tail starts. */
bool mock_path_id(const char *rest, char *id, size_t size, const char **tail);
/* Ids the files and batches APIs hand out: letters, digits, '-' and '_' only, so an id from
 * a URL can name a file in the store. */
bool mock_safe_id(const char *id);
long long mock_now_ms(void);

/* ---- server services used by the other files (server.c) ---- */

const ea_mock_config *mock_server_config(const mock_server *srv);
const ea_prices *mock_server_prices(const mock_server *srv);
mock_chain *mock_server_chain(mock_server *srv);
mock_bg *mock_server_bg(mock_server *srv);
mock_store *mock_server_store(mock_server *srv);
mock_batches *mock_server_batches(mock_server *srv); /* NULL when the ticker did not start */
/* Sleeps ms milliseconds; false when the server is stopping (the caller should give up). */
bool mock_server_sleep(mock_server *srv, int ms);

/* ---- the request log (reqlog.c) ---- */

/* What the request log says of a request's headers and query: never a key's value. */
typedef struct mock_request_meta {
    const char *query;            /* as received, without '?'; "" when none */
    bool api_key, authorization;  /* whether each header came */
    const char *image_deployment; /* x-ms-oai-image-generation-deployment, or NULL */
} mock_request_meta;

/* One request as received, as a JSON line appended to out: {method, path, multipart, body}
 * for a JSON body (null when it does not parse) or {..., parts: [{name, value} | {name,
 * filename, content_type, sha256, bytes}]}; data: URLs in a body become {data_url: MIME,
 * sha256, bytes}; then query and headers ({api-key, authorization: present or not,
 * x-ms-oai-image-generation-deployment when sent}). */
int mock_request_log_line(const char *method, const char *path, const char *body, size_t len,
                          const mock_part *parts, const mock_request_meta *meta, ea_buf *out);

/* ---- GET /v1/models (models.c) ---- */

/* The list the offline backend serves: easel's image models that are not retired, the default
 * text model, and the --fault model=ID extras. */
int mock_models_body(const mock_server *srv, ea_buf *out);

/* ---- Azure OpenAI's dress (azure.c) ---- */

/* The path of an Azure request (url, without its query) as the /v1 path the routes know,
 * into canon; or 0 with e filled when Azure would refuse it (a path outside /openai, no
 * api-version where it is needed, no api-key header, or under /openai/v1/ no Authorization
 * either): 404 or 401 in Azure's error shape.
 * 1 when the request may go on. */
int mock_azure_path(const char *url, const mock_request_meta *meta, bool has_api_version,
                    char *canon, size_t size, mock_error *e);
/* Appends the line to file (created 0600) in one write; the caller serializes writers. */
int mock_request_log_write(const char *file, const ea_buf *line);

/* ---- faults (fault.c) ---- */

/* The word of cfg->block_words that prompt contains (case-insensitive), or NULL. */
const char *mock_fault_blocked_word(const ea_mock_config *cfg, const char *prompt);
/* The error type and code the API uses with an HTTP status, and a message for it. */
void mock_fault_status_error(int status, mock_error *e);

#endif
