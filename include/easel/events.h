/* SPDX-License-Identifier: MIT */
/* events: one streamed event's JSON, or a whole non-streamed body, decoded into a typed
 * ea_event that owns plain copies of its strings (no jansson outside), except the images'
 * base64, which it borrows from the JSON it was decoded from; plus base64 decoding. */
#ifndef EASEL_EVENTS_H
#define EASEL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "easel/err.h"
#include "easel/prices.h"

/* What happened. The Images and Responses APIs send different event types for the same
 * moments; those that carry the same information share a kind (`type` keeps the original). */
typedef enum ea_event_kind {
    EA_EV_OTHER,               /* any type easel does not act on; callers ignore it */
    EA_EV_PARTIAL_IMAGE,       /* image_generation.partial_image, image_edit.partial_image,
                                  response.image_generation_call.partial_image: images[0] */
    EA_EV_IMAGE_COMPLETED,     /* image_generation.completed, image_edit.completed, or a
                                  non-streamed Images body: images[0..n_images) and usage */
    EA_EV_RESPONSE_CREATED,    /* response.created: response_id, response_status */
    EA_EV_RESPONSE_IN_PROGRESS,/* response.in_progress */
    EA_EV_OUTPUT_ITEM_ADDED,   /* response.output_item.added: item_type, item_id; images[0]
                                  (without a result) when it is an image_generation_call */
    EA_EV_CALL_IN_PROGRESS,    /* response.image_generation_call.in_progress: item_id */
    EA_EV_CALL_GENERATING,     /* response.image_generation_call.generating: item_id */
    EA_EV_CALL_COMPLETED,      /* response.image_generation_call.completed: item_id (no image) */
    EA_EV_OUTPUT_ITEM_DONE,    /* response.output_item.done: images[0] with the final result
                                  and revised_prompt when the item is an image_generation_call */
    EA_EV_RESPONSE_COMPLETED,  /* response.completed, or a non-streamed Responses body:
                                  response_id, usage, one images[] entry per image call */
    EA_EV_RESPONSE_FAILED,     /* response.failed: error from response.error */
    EA_EV_RESPONSE_INCOMPLETE, /* response.incomplete: incomplete_reason */
    EA_EV_ERROR,               /* an error event in either shape, any object whose "error"
                                  is an object, or an API error body: error */
    /* Thinking turns (protocol.md 15). */
    EA_EV_REASONING_PART,      /* response.reasoning_summary_part.added: a new paragraph */
    EA_EV_REASONING_DELTA,     /* response.reasoning_summary_text.delta: text (the delta) */
    EA_EV_REASONING_DONE,      /* response.reasoning_summary_text.done: text (the whole part) */
    EA_EV_WEB_SEARCH,          /* response.web_search_call.in_progress, .searching, .completed:
                                  searches[0] {item_id, the stage as status} */
} ea_event_kind;

/* One image, partial or final. Strings are never NULL: "" when the field was absent. */
typedef struct ea_event_image {
    /* The base64 (b64_json, partial_image_b64 or result): b64_len bytes, NOT NUL-terminated,
     * borrowed from the JSON buffer given to ea_event_parse or ea_event_parse_body, so valid
     * only while that buffer is (an SSE callback's data: during the callback). A payload can
     * be 44 MB; this way it is never copied before it is decoded. "" when absent or empty. */
    const char *b64;
    size_t b64_len;
    char *b64_unescaped;  /* private: owns b64 instead when the JSON escaped it ("\/") */
    int partial_index;    /* partial_image_index; -1 for a final image */
    char *call_id;        /* the image_generation_call's id (ig_...), Responses only */
    char *status;         /* the call's status, Responses only */
    char *revised_prompt;
    char *size, *quality, *background, *output_format; /* open strings, as sent */
    char *action;         /* generate or edit, Responses only */
} ea_event_image;

/* One web_search_call: its id, status (in_progress, searching, completed, failed) and the
 * query it ran ("" until the item says it). Strings never NULL. */
typedef struct ea_event_search {
    char *id, *status, *query;
} ea_event_search;

/* error: {type, code, message, param} whichever of them were sent; "" for the others.
 * filtered: Azure's content filter (code content_filter, innererror ResponsibleAIPolicyViolation)
 * as the categories it filtered, "sexual, violence" ("content" when it named none); "" for any
 * other error. */
typedef struct ea_event_error {
    char *type, *code, *message, *param, *filtered;
} ea_event_error;

/* Everything an event points to, but its images' b64, is owned by it and freed by
 * ea_event_free; like the images' strings, its own are never NULL ("" when absent). */
typedef struct ea_event {
    ea_event_kind kind;
    char *type;            /* the JSON "type" as sent, "" for a non-streamed body */
    long sequence_number;  /* -1 when absent (the Images API sends none) */
    long output_index;     /* -1 when absent */
    long created;          /* created or created_at (unix seconds), 0 when absent */
    char *item_id;         /* item_id, or item.id for output_item events */
    char *item_type;       /* item.type for output_item events */
    char *response_id;     /* response.id (or id of a non-streamed Responses body) */
    char *response_status;
    char *incomplete_reason; /* response.incomplete_details.reason */

    ea_event_image *images; /* owned array, n_images entries */
    size_t n_images;

    /* A reasoning summary's delta or whole part (REASONING_*), or a whole Response's summary
     * (its reasoning items' summary texts, paragraphs apart); "" when none. */
    char *text;
    /* Web searches: one for a web_search_call event or output item, one per web_search_call
     * of a whole Response's output[]. */
    ea_event_search *searches;
    size_t n_searches;

    bool has_usage;
    ea_usage usage;        /* mapped onto the price table's categories (below) */
    long total_tokens;
    /* A Response's tool_usage (protocol.md 15), absent when the API left it out: the image
     * tool's tokens (image_gen, mapped as the Images API's usage is) and billable searches. */
    bool has_tool_usage;
    ea_usage tool_usage;
    long tool_total_tokens;
    long web_searches;

    bool has_error;
    ea_event_error error;
} ea_event;

/* Decodes one SSE event. event_name is the `event:` line ("" or NULL if none); an event named
 * "error" is an error whatever its JSON says. Returns NULL, with err set, for malformed JSON,
 * JSON that is not an object, or out of memory. Unknown types give EA_EV_OTHER. The images'
 * b64 point into json: keep it unchanged while they are used (the event may outlive it if
 * they are not). */
ea_event *ea_event_parse(const char *event_name, const char *json, size_t len, ea_err *err);

/* Decodes a whole non-streamed response body (either API, or an error body of any status):
 * EA_EV_IMAGE_COMPLETED for Images, EA_EV_RESPONSE_COMPLETED/FAILED/INCOMPLETE for a Responses
 * object by its status, EA_EV_ERROR for {"error":{...}}, EA_EV_OTHER for anything else. The
 * images' b64 point into json, as with ea_event_parse. */
ea_event *ea_event_parse_body(const char *json, size_t len, ea_err *err);

void ea_event_free(ea_event **ev);

const char *ea_event_kind_name(ea_event_kind kind);

/* Usage mapping. Images API: input_tokens_details.text_tokens/image_tokens -> input_text/
 * input_image (all input_tokens -> input_text without details); output_tokens -> output_image
 * unless output_tokens_details splits it into image_tokens/text_tokens. Responses API (the
 * mainline model's tokens): input_tokens minus input_tokens_details.cached_tokens ->
 * input_text, cached_tokens -> input_text_cached, output_tokens -> output_text.
 * tool_usage.image_gen as the Images API's usage, its cached_tokens (split by
 * cached_tokens_details when sent, else taken from the text tokens first) moved from
 * input_text/input_image to input_text_cached/input_image_cached. */

/* Decodes standard base64 (RFC 4648 section 4; padding optional, surrounding ASCII whitespace
 * ignored) into a new buffer of at most max_bytes. On success *out (caller frees; NUL-terminated
 * for convenience, not counted in *out_len) and 0; otherwise -1 with err set and *out NULL. */
int ea_base64_decode(const char *b64, size_t len, size_t max_bytes, unsigned char **out,
                     size_t *out_len, ea_err *err);
/* The same, into the base64's own memory: on success *out is b64 itself, its first *out_len
 * bytes overwritten with the decoded ones (no NUL), so a 44 MB payload is decoded without a
 * second buffer. On failure, b64 may be partly overwritten. */
int ea_base64_decode_in_place(char *b64, size_t len, size_t max_bytes, unsigned char **out,
                              size_t *out_len, ea_err *err);

#endif
