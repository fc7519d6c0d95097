/* SPDX-License-Identifier: MIT */
/* Unit tests for typed events: every event type of both APIs, both error shapes, the
 * non-streamed bodies, malformed input, and base64 with every padding variant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/events.h"
#include "easel/sse.h"

#define MAX_EVENTS 32

static ea_event *parse(const char *event_name, const char *json)
{
    ea_err err = {0};
    ea_event *ev = ea_event_parse(event_name, json, strlen(json), &err);
    if (!ev)
        fail_msg("ea_event_parse: %s", err.msg);
    return ev;
}

static ea_event *parse_body(const char *json)
{
    ea_err err = {0};
    ea_event *ev = ea_event_parse_body(json, strlen(json), &err);
    if (!ev)
        fail_msg("ea_event_parse_body: %s", err.msg);
    return ev;
}

/* ---- a recorded stream through the SSE parser and the decoder ---- */

typedef struct decoded_stream {
    size_t count;
    ea_event *events[MAX_EVENTS];
    char *data[MAX_EVENTS]; /* each event's JSON, which its images' b64 borrow from */
} decoded_stream;

/* The events are checked after the stream is over, when the parser's data is gone: each is
 * decoded from a copy that lives as long as it. */
static int decode_into(void *ctx, const char *name, const char *data, size_t len)
{
    decoded_stream *s = ctx;
    ea_err err = {0};
    assert_true(s->count < MAX_EVENTS);
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, data, len + 1);
    ea_event *ev = ea_event_parse(name, copy, len, &err);
    if (!ev)
        fail_msg("event %zu: %s", s->count, err.msg);
    s->data[s->count] = copy;
    s->events[s->count++] = ev;
    return 0;
}

static void decode_fixture(const char *name, decoded_stream *s)
{
    const char *dir = getenv("EASEL_FIXTURES");
    char path[512];
    snprintf(path, sizeof path, "%s/streams/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s (run from the repository root)", path);
    memset(s, 0, sizeof *s);
    ea_sse *p = ea_sse_new(1 << 20, 1 << 20, decode_into, s);
    ea_err err = {0};
    char chunk[100]; /* small chunks, so events span several feeds */
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_true(ea_sse_feed(p, chunk, n, &err) >= 0);
    assert_int_equal(ea_sse_finish(p, &err), 0);
    assert_false(ea_sse_truncated(p));
    ea_sse_free(&p);
    fclose(f);
}

static void decoded_stream_free(decoded_stream *s)
{
    for (size_t i = 0; i < s->count; i++) {
        ea_event_free(&s->events[i]);
        free(s->data[i]);
    }
    s->count = 0;
}

static void assert_kinds(const decoded_stream *s, const ea_event_kind *kinds, size_t n)
{
    assert_int_equal(s->count, n);
    for (size_t i = 0; i < n; i++) {
        if (s->events[i]->kind != kinds[i])
            fail_msg("event %zu (%s): kind %s, expected %s", i, s->events[i]->type,
                     ea_event_kind_name(s->events[i]->kind), ea_event_kind_name(kinds[i]));
    }
}

/* b64 is a span of the event's JSON, not a NUL-terminated string. */
static void assert_b64(const ea_event_image *img, const char *b64)
{
    assert_int_equal(img->b64_len, strlen(b64));
    assert_memory_equal(img->b64, b64, strlen(b64));
}

static void assert_image(const ea_event_image *img, const char *b64, int partial_index,
                         const char *size, const char *quality, const char *background,
                         const char *format)
{
    assert_b64(img, b64);
    assert_int_equal(img->partial_index, partial_index);
    assert_string_equal(img->size, size);
    assert_string_equal(img->quality, quality);
    assert_string_equal(img->background, background);
    assert_string_equal(img->output_format, format);
}

/* ---- Images API ---- */

static void images_generation_stream(void **state)
{
    (void)state;
    decoded_stream s;
    decode_fixture("images_generation.txt", &s);
    static const ea_event_kind kinds[] = {EA_EV_PARTIAL_IMAGE, EA_EV_PARTIAL_IMAGE,
                                          EA_EV_IMAGE_COMPLETED};
    assert_kinds(&s, kinds, 3);

    const ea_event *p1 = s.events[1];
    assert_string_equal(p1->type, "image_generation.partial_image");
    assert_int_equal(p1->n_images, 1);
    assert_image(&p1->images[0], "cGFydGlhbDE=", 1, "1024x1024", "medium", "opaque", "png");
    assert_int_equal(p1->created, 1755000004);
    assert_int_equal(p1->sequence_number, -1);
    assert_false(p1->has_usage);
    assert_false(p1->has_error);

    const ea_event *done = s.events[2];
    assert_int_equal(done->n_images, 1);
    assert_image(&done->images[0], "ZmluYWwtaW1hZ2U=", -1, "1024x1024", "medium", "opaque",
                 "png");
    assert_string_equal(done->images[0].revised_prompt, "");
    assert_true(done->has_usage);
    assert_int_equal(done->usage.input_text, 50);
    assert_int_equal(done->usage.input_image, 0);
    assert_int_equal(done->usage.output_image, 1050);
    assert_int_equal(done->usage.output_text, 0);
    assert_int_equal(done->total_tokens, 1100);
    decoded_stream_free(&s);
}

static void images_edit_stream(void **state)
{
    (void)state;
    decoded_stream s;
    decode_fixture("images_edit_done.txt", &s);
    static const ea_event_kind kinds[] = {EA_EV_PARTIAL_IMAGE, EA_EV_IMAGE_COMPLETED};
    assert_kinds(&s, kinds, 2); /* [DONE] is not an event */
    assert_string_equal(s.events[0]->type, "image_edit.partial_image");
    assert_image(&s.events[0]->images[0], "cGFydGlhbDA=", 0, "1536x864", "high", "transparent",
                 "webp");
    const ea_event *done = s.events[1];
    assert_string_equal(done->type, "image_edit.completed");
    assert_int_equal(done->usage.input_text, 30);
    assert_int_equal(done->usage.input_image, 320);
    assert_int_equal(done->usage.output_image, 1050);
    decoded_stream_free(&s);
}

static void images_usage_with_output_details(void **state)
{
    (void)state;
    ea_event *ev = parse("image_generation.completed",
        "{\"type\":\"image_generation.completed\",\"b64_json\":\"Zg==\",\"future_field\":[1,2],"
        "\"usage\":{\"input_tokens\":12,\"output_tokens\":300,\"total_tokens\":312,"
        "\"output_tokens_details\":{\"image_tokens\":280,\"text_tokens\":20}}}");
    assert_int_equal(ev->kind, EA_EV_IMAGE_COMPLETED);
    assert_int_equal(ev->usage.input_text, 12); /* no input details: all text */
    assert_int_equal(ev->usage.input_image, 0);
    assert_int_equal(ev->usage.output_image, 280);
    assert_int_equal(ev->usage.output_text, 20);
    assert_int_equal(ev->total_tokens, 312);
    /* Fields the event does not carry are "" and -1, never NULL. */
    assert_string_equal(ev->images[0].size, "");
    assert_string_equal(ev->item_id, "");
    assert_string_equal(ev->response_id, "");
    assert_int_equal(ev->output_index, -1);
    ea_event_free(&ev);
    assert_null(ev);
}

/* ---- Responses API ---- */

static void responses_stream(void **state)
{
    (void)state;
    decoded_stream s;
    decode_fixture("responses_edit.txt", &s);
    static const ea_event_kind kinds[] = {
        EA_EV_RESPONSE_CREATED,  EA_EV_RESPONSE_IN_PROGRESS, EA_EV_OUTPUT_ITEM_ADDED,
        EA_EV_CALL_IN_PROGRESS,  EA_EV_CALL_GENERATING,      EA_EV_PARTIAL_IMAGE,
        EA_EV_CALL_COMPLETED,    EA_EV_OUTPUT_ITEM_DONE,     EA_EV_OUTPUT_ITEM_ADDED,
        EA_EV_OTHER,             EA_EV_OUTPUT_ITEM_DONE,     EA_EV_RESPONSE_COMPLETED,
    };
    assert_kinds(&s, kinds, sizeof kinds / sizeof *kinds);

    const ea_event *created = s.events[0];
    assert_string_equal(created->response_id, "resp_123");
    assert_string_equal(created->response_status, "in_progress");
    assert_int_equal(created->sequence_number, 0);
    assert_int_equal(created->n_images, 0);
    assert_false(created->has_usage); /* "usage": null */
    assert_false(created->has_error); /* "error": null */

    const ea_event *added = s.events[2];
    assert_string_equal(added->item_id, "ig_abc");
    assert_string_equal(added->item_type, "image_generation_call");
    assert_int_equal(added->output_index, 0);
    assert_int_equal(added->n_images, 1);
    assert_string_equal(added->images[0].b64, "");
    assert_string_equal(added->images[0].status, "in_progress");

    assert_string_equal(s.events[4]->item_id, "ig_abc");
    assert_int_equal(s.events[4]->sequence_number, 4);

    const ea_event *partial = s.events[5];
    assert_string_equal(partial->item_id, "ig_abc");
    assert_image(&partial->images[0], "cGFydGlhbDA=", 0, "1024x1024", "low", "opaque", "png");

    const ea_event *item_done = s.events[7];
    assert_string_equal(item_done->item_id, "ig_abc");
    assert_int_equal(item_done->n_images, 1);
    const ea_event_image *final = &item_done->images[0];
    assert_image(final, "ZmluYWwtaW1hZ2U=", -1, "1024x1024", "low", "opaque", "png");
    assert_string_equal(final->call_id, "ig_abc");
    assert_string_equal(final->status, "completed");
    assert_string_equal(final->action, "edit");
    /* \u2014 in the JSON arrives as UTF-8. */
    assert_string_equal(final->revised_prompt,
                        "A flat, minimal version of the logo \xE2\x80\x94 one colour");

    const ea_event *message_added = s.events[8];
    assert_string_equal(message_added->item_type, "message");
    assert_string_equal(message_added->item_id, "msg_1");
    assert_int_equal(message_added->n_images, 0);
    assert_string_equal(s.events[9]->type, "response.output_text.delta");

    const ea_event *completed = s.events[11];
    assert_string_equal(completed->response_id, "resp_123");
    assert_string_equal(completed->response_status, "completed");
    assert_int_equal(completed->n_images, 1); /* the message in output[] is not an image */
    assert_string_equal(completed->images[0].call_id, "ig_abc");
    assert_b64(&completed->images[0], "ZmluYWwtaW1hZ2U=");
    assert_string_equal(completed->images[0].revised_prompt, final->revised_prompt);
    assert_true(completed->has_usage);
    assert_int_equal(completed->usage.input_text, 2902);
    assert_int_equal(completed->usage.input_text_cached, 1000);
    assert_int_equal(completed->usage.output_text, 46);
    assert_int_equal(completed->usage.output_image, 0);
    assert_int_equal(completed->total_tokens, 3948);
    decoded_stream_free(&s);
}

/* tool_usage (openai 7.59 Response.ToolUsage): the image tool's tokens apart from usage,
 * cached tokens split by cached_tokens_details, or taken from the text tokens first; its
 * absence (the fixture above has none) leaves has_tool_usage false. */
static void responses_tool_usage(void **state)
{
    (void)state;
    ea_event *ev = parse("response.completed",
        "{\"type\":\"response.completed\",\"sequence_number\":9,\"response\":{\"id\":\"resp_1\","
        "\"status\":\"completed\",\"output\":[],\"usage\":{\"input_tokens\":1000,"
        "\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":300,"
        "\"output_tokens_details\":{\"reasoning_tokens\":120},\"total_tokens\":1300},"
        "\"tool_usage\":{\"image_gen\":{\"input_tokens\":450,\"input_tokens_details\":"
        "{\"image_tokens\":400,\"text_tokens\":50},\"output_tokens\":1056,\"total_tokens\":1506,"
        "\"cached_tokens\":130,\"cached_tokens_details\":{\"cached_image_tokens\":100,"
        "\"cached_text_tokens\":30}},\"web_search\":{\"num_requests\":2}}}}");
    assert_int_equal(ev->kind, EA_EV_RESPONSE_COMPLETED);
    assert_true(ev->has_usage);
    assert_int_equal(ev->usage.input_text, 1000);
    assert_int_equal(ev->usage.output_text, 300); /* reasoning tokens are output tokens */
    assert_int_equal(ev->usage.output_image, 0);
    assert_int_equal(ev->total_tokens, 1300);
    assert_true(ev->has_tool_usage);
    assert_int_equal(ev->tool_usage.input_text, 20);
    assert_int_equal(ev->tool_usage.input_text_cached, 30);
    assert_int_equal(ev->tool_usage.input_image, 300);
    assert_int_equal(ev->tool_usage.input_image_cached, 100);
    assert_int_equal(ev->tool_usage.output_image, 1056); /* no output details: all image */
    assert_int_equal(ev->tool_usage.output_text, 0);
    assert_int_equal(ev->tool_total_tokens, 1506);
    assert_int_equal(ev->web_searches, 2);
    ea_event_free(&ev);

    /* cached_tokens without its details: text first, then image. */
    ev = parse("response.completed",
        "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_2\",\"status\":\"completed\","
        "\"output\":[],\"usage\":null,\"tool_usage\":{\"image_gen\":{\"input_tokens\":450,"
        "\"input_tokens_details\":{\"image_tokens\":400,\"text_tokens\":50},\"output_tokens\":7,"
        "\"total_tokens\":457,\"cached_tokens\":80},\"web_search\":{\"num_requests\":0}}}}");
    assert_false(ev->has_usage);
    assert_true(ev->has_tool_usage);
    assert_int_equal(ev->tool_usage.input_text, 0);
    assert_int_equal(ev->tool_usage.input_text_cached, 50);
    assert_int_equal(ev->tool_usage.input_image, 370);
    assert_int_equal(ev->tool_usage.input_image_cached, 30);
    ea_event_free(&ev);

    /* tool_usage left out: nothing says the image part was reported. */
    ev = parse("response.completed",
        "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_3\",\"status\":\"completed\","
        "\"output\":[],\"usage\":{\"input_tokens\":10,\"output_tokens\":5}}}");
    assert_true(ev->has_usage);
    assert_false(ev->has_tool_usage);
    ea_event_free(&ev);
}

static void response_failed(void **state)
{
    (void)state;
    decoded_stream s;
    decode_fixture("responses_failed.txt", &s);
    static const ea_event_kind kinds[] = {EA_EV_RESPONSE_CREATED, EA_EV_RESPONSE_FAILED};
    assert_kinds(&s, kinds, 2);
    const ea_event *failed = s.events[1];
    assert_string_equal(failed->response_id, "resp_f");
    assert_string_equal(failed->response_status, "failed");
    assert_true(failed->has_error);
    assert_string_equal(failed->error.code, "image_content_policy_violation");
    assert_string_equal(failed->error.message, "This request was rejected by the safety system.");
    assert_string_equal(failed->error.type, "");
    decoded_stream_free(&s);
}

static void response_incomplete(void **state)
{
    (void)state;
    ea_event *ev = parse("response.incomplete",
        "{\"type\":\"response.incomplete\",\"sequence_number\":9,\"response\":{\"id\":\"resp_i\","
        "\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"},"
        "\"output\":[]}}");
    assert_int_equal(ev->kind, EA_EV_RESPONSE_INCOMPLETE);
    assert_string_equal(ev->response_id, "resp_i");
    assert_string_equal(ev->incomplete_reason, "max_output_tokens");
    assert_false(ev->has_error);
    ea_event_free(&ev);
}

/* An id goes into URL paths and onto the terminal: only a plain token is taken. */
static void response_id_not_a_token_is_absent(void **state)
{
    (void)state;
    static const char *const hostile[] = {
        "resp_\\u001b]52;c;QUJD\\u0007", "../../v1/files", "resp_1?x=1", "resp 1", "resp_1\\n",
        ".hidden", "resp_\\u00e9",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":"
                 "\"%s\",\"status\":\"in_progress\",\"output\":[]}}", hostile[i]);
        ea_event *ev = parse("response.created", body);
        assert_int_equal(ev->kind, EA_EV_RESPONSE_CREATED);
        assert_string_equal(ev->response_id, "");
        ea_event_free(&ev);
    }
    ea_event *ev = parse("response.created",
        "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":"
        "\"resp_68b1-c.2_Z\",\"status\":\"in_progress\",\"output\":[]}}");
    assert_string_equal(ev->response_id, "resp_68b1-c.2_Z");
    ea_event_free(&ev);
}

static void failed_image_call_carries_its_error(void **state)
{
    (void)state;
    ea_event *ev = parse(NULL,
        "{\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{\"id\":\"ig_x\","
        "\"type\":\"image_generation_call\",\"status\":\"failed\",\"result\":null,"
        "\"error\":{\"code\":\"moderation_blocked\",\"message\":\"blocked\"}}}");
    assert_int_equal(ev->kind, EA_EV_OUTPUT_ITEM_DONE);
    assert_string_equal(ev->images[0].status, "failed");
    assert_string_equal(ev->images[0].b64, "");
    assert_true(ev->has_error);
    assert_string_equal(ev->error.code, "moderation_blocked");
    ea_event_free(&ev);
}

/* ---- errors ---- */

static void error_event_flat_shape(void **state)
{
    (void)state;
    decoded_stream s;
    decode_fixture("error_flat.txt", &s);
    static const ea_event_kind kinds[] = {EA_EV_RESPONSE_CREATED, EA_EV_ERROR};
    assert_kinds(&s, kinds, 2);
    const ea_event *ev = s.events[1];
    assert_true(ev->has_error);
    assert_string_equal(ev->error.type, ""); /* "type":"error" names the event, not the error */
    assert_string_equal(ev->error.code, "rate_limit_exceeded");
    assert_string_equal(ev->error.message, "Rate limit reached for gpt-image-2");
    assert_string_equal(ev->error.param, ""); /* null */
    assert_int_equal(ev->sequence_number, 1);
    decoded_stream_free(&s);
}

static void error_event_nested_shape(void **state)
{
    (void)state;
    decoded_stream s;
    decode_fixture("error_nested.txt", &s);
    static const ea_event_kind kinds[] = {EA_EV_RESPONSE_CREATED, EA_EV_ERROR};
    assert_kinds(&s, kinds, 2);
    const ea_event *ev = s.events[1];
    assert_string_equal(ev->error.type, "too_many_requests");
    assert_string_equal(ev->error.code, "too_many_requests");
    assert_string_equal(ev->error.message, "Too Many Requests");
    assert_string_equal(ev->error.param, "");
    decoded_stream_free(&s);
}

static void anything_with_an_error_object_is_an_error(void **state)
{
    (void)state;
    /* An "error" object wins over the type... */
    ea_event *ev = parse(NULL, "{\"type\":\"image_generation.completed\","
                               "\"error\":{\"message\":\"boom\",\"code\":\"server_error\"}}");
    assert_int_equal(ev->kind, EA_EV_ERROR);
    assert_string_equal(ev->error.message, "boom");
    assert_int_equal(ev->n_images, 0);
    ea_event_free(&ev);
    /* ...as does the SSE event name "error", even with no type at all... */
    ev = parse("error", "{\"message\":\"overloaded\",\"code\":\"server_error\"}");
    assert_int_equal(ev->kind, EA_EV_ERROR);
    assert_string_equal(ev->error.message, "overloaded");
    ea_event_free(&ev);
    /* ...but "error": null is no error. */
    ev = parse(NULL, "{\"type\":\"response.in_progress\",\"error\":null}");
    assert_int_equal(ev->kind, EA_EV_RESPONSE_IN_PROGRESS);
    assert_false(ev->has_error);
    ea_event_free(&ev);
}

/* Thinking turns (protocol.md 15): the summary's deltas and done text, the searches'
 * stages and queries, and a whole Response's summary and searches. */
static void thinking_events(void **state)
{
    (void)state;
    ea_event *ev = parse(NULL, "{\"type\":\"response.reasoning_summary_part.added\","
                               "\"item_id\":\"rs_1\",\"summary_index\":0}");
    assert_int_equal(ev->kind, EA_EV_REASONING_PART);
    ea_event_free(&ev);
    ev = parse(NULL, "{\"type\":\"response.reasoning_summary_text.delta\",\"item_id\":\"rs_1\","
                     "\"delta\":\"Plan: a fox\",\"sequence_number\":4}");
    assert_int_equal(ev->kind, EA_EV_REASONING_DELTA);
    assert_string_equal(ev->text, "Plan: a fox");
    assert_int_equal(ev->sequence_number, 4);
    ea_event_free(&ev);
    ev = parse(NULL, "{\"type\":\"response.reasoning_summary_text.done\",\"text\":\"all\"}");
    assert_int_equal(ev->kind, EA_EV_REASONING_DONE);
    assert_string_equal(ev->text, "all");
    ea_event_free(&ev);
    ev = parse(NULL, "{\"type\":\"response.web_search_call.searching\",\"item_id\":\"ws_9\","
                     "\"output_index\":1}");
    assert_int_equal(ev->kind, EA_EV_WEB_SEARCH);
    assert_int_equal(ev->n_searches, 1);
    assert_string_equal(ev->searches[0].id, "ws_9");
    assert_string_equal(ev->searches[0].status, "searching");
    assert_string_equal(ev->searches[0].query, "");
    ea_event_free(&ev);
    ev = parse(NULL, "{\"type\":\"response.output_item.done\",\"output_index\":1,\"item\":"
                     "{\"id\":\"ws_9\",\"type\":\"web_search_call\",\"status\":\"completed\","
                     "\"action\":{\"type\":\"search\",\"query\":\"fox lantern\"}}}");
    assert_int_equal(ev->kind, EA_EV_OUTPUT_ITEM_DONE);
    assert_int_equal(ev->n_images, 0);
    assert_int_equal(ev->n_searches, 1);
    assert_string_equal(ev->searches[0].query, "fox lantern");
    assert_string_equal(ev->searches[0].status, "completed");
    ea_event_free(&ev);
    ev = parse(NULL, "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\","
                     "\"status\":\"completed\",\"output\":[{\"type\":\"reasoning\",\"summary\":"
                     "[{\"type\":\"summary_text\",\"text\":\"one\"},{\"type\":\"summary_text\","
                     "\"text\":\"two\"}]},{\"type\":\"web_search_call\",\"id\":\"ws_9\","
                     "\"status\":\"completed\",\"action\":{\"query\":\"q\"}},"
                     "{\"type\":\"image_generation_call\",\"id\":\"ig_1\",\"result\":\"AAAA\"},"
                     "{\"type\":\"image_generation_call\",\"id\":\"ig_2\",\"result\":\"AAAA\"}],"
                     "\"usage\":{\"input_tokens\":5,\"output_tokens\":90,"
                     "\"output_tokens_details\":{\"reasoning_tokens\":70}}}}");
    assert_int_equal(ev->kind, EA_EV_RESPONSE_COMPLETED);
    assert_string_equal(ev->text, "one\n\ntwo");
    assert_int_equal(ev->n_searches, 1);
    assert_int_equal(ev->n_images, 2);
    assert_string_equal(ev->images[1].call_id, "ig_2");
    assert_int_equal(ev->usage.output_text, 90);
    assert_int_equal(ev->usage.output_reasoning, 70);
    ea_event_free(&ev);
}

static void unknown_events_pass_through(void **state)
{
    (void)state;
    /* The reasoning summary's events are known now (issue 15); the audio ones are not. */
    ea_event *ev = parse("response.audio.delta",
                         "{\"type\":\"response.audio.delta\",\"delta\":\"hm\","
                         "\"sequence_number\":3,\"nested\":{\"deep\":[{}]}}");
    assert_int_equal(ev->kind, EA_EV_OTHER);
    assert_string_equal(ev->type, "response.audio.delta");
    assert_int_equal(ev->sequence_number, 3);
    ea_event_free(&ev);
    ev = parse(NULL, "{}");
    assert_int_equal(ev->kind, EA_EV_OTHER);
    assert_string_equal(ev->type, "");
    ea_event_free(&ev);
    /* Wrongly typed fields are treated as absent, not trusted. */
    ev = parse(NULL, "{\"type\":\"image_generation.partial_image\",\"b64_json\":42,"
                     "\"size\":[1024,1024],\"partial_image_index\":\"1\"}");
    assert_int_equal(ev->kind, EA_EV_PARTIAL_IMAGE);
    assert_string_equal(ev->images[0].b64, "");
    assert_string_equal(ev->images[0].size, "");
    assert_int_equal(ev->images[0].partial_index, -1);
    ea_event_free(&ev);
}

static void malformed_json_is_a_clean_error(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "{\"type\":\"image_generation.completed\",\"b64_json\":\"Zg==\"",
        "[1,2]", "\"a string\"", "null", "{\"a\":1}{\"b\":2}", "{\"type\":\"x\"} trailing",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ea_err err = {0};
        assert_null(ea_event_parse(NULL, bad[i], strlen(bad[i]), &err));
        assert_int_equal(err.code, EA_EXIT_NETWORK);
        assert_true(strlen(err.msg) > 0);
        ea_err_clear(&err);
        assert_null(ea_event_parse_body(bad[i], strlen(bad[i]), &err));
        assert_int_equal(err.code, EA_EXIT_NETWORK);
    }
    ea_err err = {0};
    assert_null(ea_event_parse(NULL, "{\"type\":", 8, &err));
    assert_non_null(strstr(err.msg, "malformed JSON in event"));
    /* The length is honoured: the bytes after it are not read. */
    ea_event *ev = ea_event_parse(NULL, "{}garbage", 2, &err);
    assert_non_null(ev);
    ea_event_free(&ev);
    ea_event_free(&ev); /* freeing twice through the same pointer is harmless */
}

/* ---- non-streamed bodies ---- */

static void images_body(void **state)
{
    (void)state;
    ea_event *ev = parse_body(
        "{\"created\":1713833628,\"data\":[{\"b64_json\":\"Zm9v\"},"
        "{\"b64_json\":\"YmFy\",\"revised_prompt\":\"a bar\"}],\"background\":\"opaque\","
        "\"output_format\":\"png\",\"size\":\"1536x864\",\"quality\":\"high\","
        "\"usage\":{\"total_tokens\":100,\"input_tokens\":50,\"output_tokens\":50,"
        "\"input_tokens_details\":{\"text_tokens\":10,\"image_tokens\":40}}}");
    assert_int_equal(ev->kind, EA_EV_IMAGE_COMPLETED);
    assert_string_equal(ev->type, "");
    assert_int_equal(ev->created, 1713833628);
    assert_int_equal(ev->n_images, 2);
    assert_image(&ev->images[0], "Zm9v", -1, "1536x864", "high", "opaque", "png");
    assert_image(&ev->images[1], "YmFy", -1, "1536x864", "high", "opaque", "png");
    assert_string_equal(ev->images[0].revised_prompt, "");
    assert_string_equal(ev->images[1].revised_prompt, "a bar");
    assert_int_equal(ev->usage.input_text, 10);
    assert_int_equal(ev->usage.input_image, 40);
    assert_int_equal(ev->usage.output_image, 50);
    assert_int_equal(ev->total_tokens, 100);
    ea_event_free(&ev);
}

static void responses_body(void **state)
{
    (void)state;
    ea_event *ev = parse_body(
        "{\"id\":\"resp_b\",\"object\":\"response\",\"status\":\"completed\",\"error\":null,"
        "\"output\":[{\"type\":\"reasoning\",\"id\":\"rs_1\"},{\"id\":\"ig_1\",\"type\":"
        "\"image_generation_call\",\"status\":\"completed\",\"result\":\"Zm9v\",\"size\":"
        "\"1024x1024\",\"revised_prompt\":\"r1\"},{\"id\":\"ig_2\",\"type\":"
        "\"image_generation_call\",\"status\":\"completed\",\"result\":\"YmFy\"}],"
        "\"usage\":{\"input_tokens\":100,\"input_tokens_details\":{\"cached_tokens\":0},"
        "\"output_tokens\":7,\"total_tokens\":107}}");
    assert_int_equal(ev->kind, EA_EV_RESPONSE_COMPLETED);
    assert_string_equal(ev->response_id, "resp_b");
    assert_false(ev->has_error);
    assert_int_equal(ev->n_images, 2);
    assert_string_equal(ev->images[0].call_id, "ig_1");
    assert_string_equal(ev->images[0].revised_prompt, "r1");
    assert_string_equal(ev->images[1].call_id, "ig_2");
    assert_b64(&ev->images[1], "YmFy");
    assert_int_equal(ev->usage.input_text, 100);
    assert_int_equal(ev->usage.output_text, 7);
    ea_event_free(&ev);

    ev = parse_body("{\"id\":\"resp_c\",\"object\":\"response\",\"status\":\"failed\","
                    "\"error\":{\"code\":\"server_error\",\"message\":\"oops\"},\"output\":[]}");
    assert_int_equal(ev->kind, EA_EV_RESPONSE_FAILED);
    assert_string_equal(ev->error.code, "server_error");
    ea_event_free(&ev);
}

/* A background response is answered, and polled, before it is over: those bodies say so,
 * and none of them reads as completed. */
static void responses_body_not_over(void **state)
{
    (void)state;
    static const struct {
        const char *status;
        ea_event_kind kind;
    } cases[] = {
        {"queued", EA_EV_RESPONSE_CREATED},
        {"in_progress", EA_EV_RESPONSE_IN_PROGRESS},
        {"cancelled", EA_EV_OTHER},
        {"completed", EA_EV_RESPONSE_COMPLETED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"id\":\"resp_q\",\"object\":\"response\",\"status\":\"%s\","
                 "\"background\":true,\"output\":[]}", cases[i].status);
        ea_event *ev = parse_body(json);
        assert_int_equal(ev->kind, cases[i].kind);
        assert_string_equal(ev->response_id, "resp_q");
        assert_string_equal(ev->response_status, cases[i].status);
        assert_int_equal(ev->sequence_number, -1);
        ea_event_free(&ev);
    }
}

static void api_error_body(void **state)
{
    (void)state;
    ea_event *ev = parse_body(
        "{\"error\":{\"message\":\"Your request was rejected by the safety system. "
        "safety_violations=[violence].\",\"type\":\"image_generation_user_error\","
        "\"param\":null,\"code\":\"moderation_blocked\",\"moderation_details\":"
        "{\"moderation_stage\":\"input\",\"categories\":[\"violence\"]}}}");
    assert_int_equal(ev->kind, EA_EV_ERROR);
    assert_true(ev->has_error);
    assert_string_equal(ev->error.type, "image_generation_user_error");
    assert_string_equal(ev->error.code, "moderation_blocked");
    assert_string_equal(ev->error.param, "");
    assert_non_null(strstr(ev->error.message, "safety_violations=[violence]"));
    assert_string_equal(ev->error.filtered, ""); /* OpenAI's block is not Azure's filter */
    ea_event_free(&ev);

    /* Azure's content filter (protocol.md section 7): the categories it filtered. */
    ev = parse_body("{\"error\":{\"code\":\"content_filter\",\"message\":\"The response "
                    "was filtered\",\"param\":\"prompt\",\"status\":400,\"innererror\":{"
                    "\"code\":\"ResponsibleAIPolicyViolation\",\"content_filter_result\":{"
                    "\"hate\":{\"filtered\":false,\"severity\":\"safe\"},"
                    "\"sexual\":{\"filtered\":true,\"severity\":\"medium\"},"
                    "\"violence\":{\"filtered\":true,\"severity\":\"high\"}}}}}");
    assert_int_equal(ev->kind, EA_EV_ERROR);
    assert_string_equal(ev->error.code, "content_filter");
    assert_string_equal(ev->error.type, "");
    assert_string_equal(ev->error.filtered, "sexual, violence");
    ea_event_free(&ev);
    ev = parse_body("{\"error\":{\"code\":\"contentFilter\",\"message\":\"Your task failed "
                    "as a result of our safety system.\"}}");
    assert_string_equal(ev->error.filtered, "content");
    ea_event_free(&ev);

    ev = parse_body("{\"error\":{\"message\":\"Invalid size\",\"type\":"
                    "\"invalid_request_error\",\"param\":\"size\",\"code\":null}}");
    assert_string_equal(ev->error.param, "size");
    assert_string_equal(ev->error.code, "");
    ea_event_free(&ev);

    ev = parse_body("{\"unexpected\":true}");
    assert_int_equal(ev->kind, EA_EV_OTHER);
    ea_event_free(&ev);
}

/* ---- base64 ---- */

static void assert_decodes(const char *b64, const void *want, size_t want_len)
{
    unsigned char *out = NULL;
    size_t len = 99;
    ea_err err = {0};
    if (ea_base64_decode(b64, strlen(b64), 1 << 20, &out, &len, &err) != 0)
        fail_msg("\"%s\": %s", b64, err.msg);
    assert_int_equal(len, want_len);
    assert_memory_equal(out, want, want_len);
    assert_int_equal(out[len], '\0');
    free(out);

    /* In place: the same bytes, at the start of the text itself. */
    char *text = strdup(b64);
    assert_non_null(text);
    assert_int_equal(ea_base64_decode_in_place(text, strlen(text), 1 << 20, &out, &len, &err), 0);
    assert_ptr_equal(out, text);
    assert_int_equal(len, want_len);
    assert_memory_equal(out, want, want_len);
    free(text);
}

static void assert_rejected(const char *b64, size_t max_bytes)
{
    unsigned char *out = (unsigned char *)"sentinel";
    size_t len = 99;
    ea_err err = {0};
    if (ea_base64_decode(b64, strlen(b64), max_bytes, &out, &len, &err) != -1)
        fail_msg("\"%s\" was accepted", b64);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(err.code, EA_EXIT_NETWORK);

    char *text = strdup(b64);
    assert_non_null(text);
    out = (unsigned char *)"sentinel";
    if (ea_base64_decode_in_place(text, strlen(text), max_bytes, &out, &len, &err) != -1)
        fail_msg("\"%s\" was accepted in place", b64);
    assert_null(out);
    free(text);
}

static void base64_padding_variants(void **state)
{
    (void)state;
    assert_decodes("", "", 0);
    assert_decodes("Zg==", "f", 1);
    assert_decodes("Zm8=", "fo", 2);
    assert_decodes("Zm9v", "foo", 3);
    assert_decodes("Zm9vYg==", "foob", 4);
    assert_decodes("Zm9vYmE=", "fooba", 5);
    assert_decodes("Zm9vYmFy", "foobar", 6);
    /* Unpadded tails. */
    assert_decodes("Zg", "f", 1);
    assert_decodes("Zm8", "fo", 2);
    assert_decodes("Zm9vYmE", "fooba", 5);
    /* Surrounding whitespace, as a hand-made fixture or a line-wrapped file may have. */
    assert_decodes(" \tZm9v\r\n", "foo", 3);
    assert_decodes("iVBORw0KGgo=", "\x89PNG\r\n\x1a\n", 8);
    assert_decodes("AAA=", "\0\0", 2); /* zero bytes are data, not padding */
}

static void base64_invalid_input(void **state)
{
    (void)state;
    static const char *const invalid[] = {
        "Z",         /* one character cannot hold a byte */
        "Zm9vY",     /* nor can a tail of one */
        "Zg=",       /* padding to a non-multiple of four */
        "Zm9v=",     /* padding after a whole quad */
        "Z===",      /* three padding characters */
        "====",
        "Zg==Zg==",  /* padding in the middle */
        "Zm=v",
        "Zm9-",      /* base64url is not this alphabet */
        "Zm9_",
        "Zm 9",      /* whitespace inside */
        "Zm\n9",
        "Zm9\x80",   /* outside ASCII */
    };
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
        assert_rejected(invalid[i], 1 << 20);
}

static void base64_cap(void **state)
{
    (void)state;
    unsigned char *out = NULL;
    size_t len = 0;
    ea_err err = {0};
    assert_int_equal(ea_base64_decode("Zm9v", 4, 3, &out, &len, &err), 0); /* exactly at cap */
    free(out);
    assert_rejected("Zm9v", 2);
    assert_rejected("Zm8=", 1);
    assert_rejected("Zm8", 1);
    assert_int_equal(ea_base64_decode("Zm9vYmFy", 8, 5, &out, &len, &err), -1);
    assert_non_null(strstr(err.msg, "limit"));
}

/* Every length from 0 to 300 over all byte values, padded and unpadded, against OpenSSL's
 * encoder: catches an off-by-one in the tail handling for any length mod 3. */
static void base64_round_trips(void **state)
{
    (void)state;
    unsigned char raw[300];
    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (unsigned char)(i * 37 + 11);
    char encoded[512];
    for (size_t n = 0; n <= sizeof raw; n++) {
        int elen = EVP_EncodeBlock((unsigned char *)encoded, raw, (int)n);
        for (int strip = 0; strip <= 1; strip++) {
            size_t len = (size_t)elen;
            while (strip && len > 0 && encoded[len - 1] == '=')
                len--;
            unsigned char *out = NULL;
            size_t out_len = 0;
            ea_err err = {0};
            assert_int_equal(ea_base64_decode(encoded, len, n, &out, &out_len, &err), 0);
            assert_int_equal(out_len, n);
            assert_memory_equal(out, raw, n);
            free(out);
        }
    }
}

/* In place, a payload is decoded in chunks: lengths around the chunk size and many times it,
 * with whitespace around, give what the copying decoder gives. */
static void base64_in_place_spans_chunks(void **state)
{
    (void)state;
    static const size_t sizes[] = {12287, 12288, 12289, 12290, 100001, 3 << 18};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        unsigned char *raw = malloc(n);
        char *text = malloc(n / 3 * 4 + 16);
        assert_non_null(raw);
        assert_non_null(text);
        for (size_t i = 0; i < n; i++)
            raw[i] = (unsigned char)(i * 131 + i / 7);
        text[0] = '\n';
        int elen = EVP_EncodeBlock((unsigned char *)text + 1, raw, (int)n);
        text[1 + elen] = ' ';
        unsigned char *out;
        size_t out_len;
        ea_err err = {0};
        assert_int_equal(ea_base64_decode_in_place(text, (size_t)elen + 2, n, &out, &out_len, &err),
                         0);
        assert_int_equal(out_len, n);
        assert_memory_equal(out, raw, n);
        free(text);
        free(raw);
    }
}

/* A payload from an event decodes into the bytes it stands for. */
static void event_payload_decodes(void **state)
{
    (void)state;
    ea_event *ev = parse(NULL, "{\"type\":\"image_generation.completed\","
                               "\"b64_json\":\"iVBORw0KGgo=\"}");
    unsigned char *png = NULL;
    size_t n = 0;
    ea_err err = {0};
    assert_int_equal(ea_base64_decode(ev->images[0].b64, ev->images[0].b64_len, 64, &png, &n,
                                      &err), 0);
    assert_int_equal(n, 8);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    free(png);
    ea_event_free(&ev);
}

/* ---- payloads: borrowed from the JSON, found by their place in it ---- */

static bool points_into(const char *p, const char *json)
{
    return p >= json && p < json + strlen(json);
}

/* The base64 is a span of the caller's buffer, not a copy; here, in both shapes that repeat
 * it in one event (an Images body with two images, a Responses body). */
static void payloads_are_borrowed(void **state)
{
    (void)state;
    const char *json = "{\"type\":\"image_generation.partial_image\",\"b64_json\":\"cGFydA==\","
                       "\"partial_image_index\":0}";
    ea_event *ev = parse(NULL, json);
    assert_b64(&ev->images[0], "cGFydA==");
    assert_true(points_into(ev->images[0].b64, json));
    assert_null(ev->images[0].b64_unescaped);
    ea_event_free(&ev);

    json = "{\"data\":[{\"b64_json\":\"Zm9v\"},{\"b64_json\":\"YmFy\"}]}";
    ev = parse_body(json);
    assert_int_equal(ev->n_images, 2);
    assert_b64(&ev->images[0], "Zm9v");
    assert_b64(&ev->images[1], "YmFy");
    assert_true(points_into(ev->images[0].b64, json));
    assert_true(points_into(ev->images[1].b64, json));
    ea_event_free(&ev);

    json = "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"output\":[{"
           "\"type\":\"image_generation_call\",\"id\":\"ig_1\",\"result\":\"cmVz\"}]}}";
    ev = parse(NULL, json);
    assert_int_equal(ev->kind, EA_EV_RESPONSE_COMPLETED);
    assert_b64(&ev->images[0], "cmVz");
    assert_true(points_into(ev->images[0].b64, json));
    ea_event_free(&ev);
}

/* Keys are told from text: a prompt quoting a payload key, escaped quotes and backslashes
 * before it, spaces around the colon, strings that look like the indices the decoder uses
 * internally, and the empty payload. */
static void payload_keys_are_found_by_their_place(void **state)
{
    (void)state;
    ea_event *ev = parse(NULL,
        "{\"type\":\"response.output_item.done\",\"item\":{\"type\":\"image_generation_call\","
        "\"revised_prompt\":\"say \\\"result\\\":\\\"QUJD\\\" \\\\\",\"id\":\"ig_1\","
        "\"result\" :\n \"Zm9v\",\"status\":\"completed\"}}");
    assert_b64(&ev->images[0], "Zm9v");
    assert_string_equal(ev->images[0].revised_prompt, "say \"result\":\"QUJD\" \\");
    assert_string_equal(ev->images[0].status, "completed");
    ea_event_free(&ev);

    ev = parse(NULL, "{\"type\":\"image_generation.completed\",\"b64_json\":\"1\","
                     "\"result\":\"0\",\"size\":\"0\"}");
    assert_b64(&ev->images[0], "1");
    assert_string_equal(ev->images[0].size, "0");
    ea_event_free(&ev);

    ev = parse(NULL, "{\"type\":\"image_generation.completed\",\"b64_json\":\"\"}");
    assert_string_equal(ev->images[0].b64, "");
    assert_int_equal(ev->images[0].b64_len, 0);
    ea_event_free(&ev);
}

/* JSON may escape any character; such a payload (or key) is unescaped, into a copy. */
static void escaped_payloads_are_unescaped(void **state)
{
    (void)state;
    ea_event *ev = parse(NULL, "{\"type\":\"image_generation.completed\","
                               "\"b64\\u005fjson\":\"Zm9v\\/w==\"}");
    assert_b64(&ev->images[0], "Zm9v/w==");
    assert_ptr_equal(ev->images[0].b64, ev->images[0].b64_unescaped);
    ea_event_free(&ev);

    ea_err err = {0};
    const char *bad = "{\"type\":\"image_generation.completed\",\"b64_json\":\"Zm9v\\x\"}";
    assert_null(ea_event_parse(NULL, bad, strlen(bad), &err));
    assert_int_equal(err.code, EA_EXIT_NETWORK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(images_generation_stream),
        cmocka_unit_test(images_edit_stream),
        cmocka_unit_test(images_usage_with_output_details),
        cmocka_unit_test(responses_stream),
        cmocka_unit_test(responses_tool_usage),
        cmocka_unit_test(response_failed),
        cmocka_unit_test(response_incomplete),
        cmocka_unit_test(failed_image_call_carries_its_error),
        cmocka_unit_test(error_event_flat_shape),
        cmocka_unit_test(error_event_nested_shape),
        cmocka_unit_test(anything_with_an_error_object_is_an_error),
        cmocka_unit_test(unknown_events_pass_through),
        cmocka_unit_test(thinking_events),
        cmocka_unit_test(malformed_json_is_a_clean_error),
        cmocka_unit_test(images_body),
        cmocka_unit_test(responses_body),
        cmocka_unit_test(responses_body_not_over),
        cmocka_unit_test(api_error_body),
        cmocka_unit_test(base64_padding_variants),
        cmocka_unit_test(base64_invalid_input),
        cmocka_unit_test(base64_cap),
        cmocka_unit_test(base64_round_trips),
        cmocka_unit_test(base64_in_place_spans_chunks),
        cmocka_unit_test(event_payload_decodes),
        cmocka_unit_test(response_id_not_a_token_is_absent),
        cmocka_unit_test(payloads_are_borrowed),
        cmocka_unit_test(payload_keys_are_found_by_their_place),
        cmocka_unit_test(escaped_payloads_are_unescaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
