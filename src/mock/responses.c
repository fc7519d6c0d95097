/* SPDX-License-Identifier: MIT */
/* mock/responses.c: the Responses API's answers with the image_generation tool (protocol.md
 * section 5): an image_generation_call item whose result and revised_prompt arrive in
 * output_item.done and again in response.completed, as the live API sends them. A thinking
 * turn (section 15) streams a reasoning item with its summary first, then a web_search_call,
 * and may call the image tool several times, each call its own item and output_index. */
#include "internal.h"

#include <string.h>

/* The steps of a Responses stream, in the order the API sends them. */
enum step {
    STEP_CREATED,
    STEP_IN_PROGRESS,
    STEP_REASONING_ADDED,   /* the reasoning steps only with a summary asked for */
    STEP_SUMMARY_PART_ADDED,
    STEP_SUMMARY_DELTAS,    /* one event per piece of the summary */
    STEP_SUMMARY_TEXT_DONE,
    STEP_SUMMARY_PART_DONE,
    STEP_REASONING_DONE,
    STEP_SEARCH_ADDED,      /* the search steps only with the web_search tool */
    STEP_SEARCH_IN_PROGRESS,
    STEP_SEARCH_SEARCHING,
    STEP_SEARCH_COMPLETED,
    STEP_SEARCH_DONE,
    STEP_ITEM_ADDED,        /* from here to STEP_ITEM_DONE once per image call */
    STEP_CALL_IN_PROGRESS,
    STEP_CALL_GENERATING,
    STEP_PARTIALS,
    STEP_CALL_COMPLETED,
    STEP_ITEM_DONE,
    STEP_COMPLETED,
    STEP_END,
};

/* Where the items sit in output[]: the reasoning item, the search, then the image calls. */
static int reasoning_index(const mock_job *job)
{
    (void)job;
    return 0;
}

static int search_index(const mock_job *job)
{
    return job->summary ? 1 : 0;
}

static int call_index(const mock_job *job, int call)
{
    return search_index(job) + (job->web_search ? 1 : 0) + call;
}

static int n_calls(const mock_job *job)
{
    return job->n_calls > 0 ? job->n_calls : 1;
}

static const char *call_id(const mock_job *job, int call)
{
    return *job->call_ids[call] ? job->call_ids[call] : job->item_id;
}

static const char *call_prompt(const mock_job *job, int call)
{
    return job->call_prompts[call] ? job->call_prompts[call] : job->revised_prompt;
}

/* The finished image_generation_call item, with result and revised_prompt. */
static int put_call_item(ea_buf *out, const mock_job *job, int call)
{
    char size[32];
    mock_job_size_text(job, size, sizeof size);
    int rc = ea_buf_printf(out, "{\"id\":\"%s\",\"type\":\"image_generation_call\","
                                "\"status\":\"completed\",\"action\":\"%s\",\"background\":\"%s\","
                                "\"output_format\":\"%s\",\"quality\":\"%s\",\"size\":\"%s\","
                                "\"result\":\"",
                           call_id(job, call), job->edit ? "edit" : "generate", job->background,
                           job->format, job->quality, size);
    rc |= ea_buf_append(out, job->b64[call].data, job->b64[call].len);
    rc |= ea_buf_puts(out, "\",\"revised_prompt\":");
    rc |= mock_json_string(out, call_prompt(job, call));
    rc |= ea_buf_putc(out, '}');
    return rc ? -1 : 0;
}

/* The reasoning item, with its summary once it is done. */
static int put_reasoning_item(ea_buf *out, const mock_job *job, bool done)
{
    int rc = ea_buf_printf(out, "{\"id\":\"%s\",\"type\":\"reasoning\",\"summary\":[",
                           job->reasoning_id);
    if (done) {
        rc |= ea_buf_puts(out, "{\"type\":\"summary_text\",\"text\":");
        rc |= mock_json_string(out, job->summary_text);
        rc |= ea_buf_putc(out, '}');
    }
    return rc | ea_buf_puts(out, "]}");
}

/* The canned search: the prompt's first words, one made-up source. */
static int put_search_item(ea_buf *out, const mock_job *job, const char *status)
{
    char query[120];
    snprintf(query, sizeof query, "%s", job->params.prompt);
    int rc = ea_buf_printf(out, "{\"id\":\"%s\",\"type\":\"web_search_call\",\"status\":"
                                "\"%s\"", job->search_id, status);
    if (strcmp(status, "completed") == 0) {
        rc |= ea_buf_puts(out, ",\"action\":{\"type\":\"search\",\"query\":");
        rc |= mock_json_string(out, query);
        rc |= ea_buf_puts(out, ",\"sources\":[{\"type\":\"url\",\"url\":"
                               "\"https://example.com/offline-stand-in\"}]}");
    }
    return rc | ea_buf_putc(out, '}');
}

/* Reasoning tokens: the summary is the visible part of a plan about four times its length. */
static long reasoning_tokens(const mock_job *job)
{
    return job->summary_text ? (long)strlen(job->summary_text) + 64 : 0;
}

/* usage counts the mainline model's tokens only (SPEC ResponseUsage): it reads the prompt
 * and the input images, and writes the tool call, about the revised prompt's length. The
 * image tool's own tokens come apart in tool_usage.image_gen (protocol.md 15): it reads the
 * prompt and the input images and writes the image, as the Images API's usage counts them. */
static int put_usage(ea_buf *out, const mock_job *job)
{
    long input = mock_job_text_tokens(job) + mock_job_image_input_tokens(job) + 40;
    long reasoning = reasoning_tokens(job);
    long output = n_calls(job) * ((long)(strlen(job->revised_prompt) + 3) / 4 + 12) + reasoning;
    int rc = ea_buf_printf(out, "\"usage\":{\"input_tokens\":%ld,\"input_tokens_details\":"
                                "{\"cached_tokens\":0},\"output_tokens\":%ld,"
                                "\"output_tokens_details\":{\"reasoning_tokens\":%ld},"
                                "\"total_tokens\":%ld}",
                           input, output, reasoning, input + output);
    if (job->tool_output_tokens < 0)
        return rc;
    /* Each call reads the prompt and the input images again. */
    long text_in = n_calls(job) * mock_job_text_tokens(job);
    long image_in = n_calls(job) * mock_job_image_input_tokens(job);
    long tool_out = job->tool_output_tokens;
    return rc | ea_buf_printf(out, ",\"tool_usage\":{\"image_gen\":{\"input_tokens\":%ld,"
                                   "\"input_tokens_details\":{\"image_tokens\":%ld,"
                                   "\"text_tokens\":%ld},\"output_tokens\":%ld,"
                                   "\"output_tokens_details\":{\"image_tokens\":%ld,"
                                   "\"text_tokens\":0},\"total_tokens\":%ld},"
                                   "\"web_search\":{\"num_requests\":%d}}",
                              text_in + image_in, image_in, text_in, tool_out, tool_out,
                              text_in + image_in + tool_out, job->web_search ? 1 : 0);
}

/* The Response object; a completed one carries the output item and usage. */
int mock_responses_object(ea_buf *out, const mock_job *job, const char *status)
{
    bool completed = strcmp(status, "completed") == 0;
    int rc = ea_buf_printf(out, "{\"id\":\"%s\",\"object\":\"response\",\"created_at\":%ld,"
                                "\"status\":\"%s\",\"background\":%s,\"error\":null,"
                                "\"incomplete_details\":null,\"instructions\":null,"
                                "\"max_output_tokens\":null,\"model\":",
                           job->response_id, job->created, status,
                           job->background_mode ? "true" : "false");
    rc |= mock_json_string(out, job->params.text_model);
    rc |= ea_buf_puts(out, ",\"output\":[");
    if (completed && job->summary) {
        rc |= put_reasoning_item(out, job, true);
        rc |= ea_buf_putc(out, ',');
    }
    if (completed && job->web_search) {
        rc |= put_search_item(out, job, "completed");
        rc |= ea_buf_putc(out, ',');
    }
    for (int c = 0; completed && c < n_calls(job); c++) {
        rc |= c ? ea_buf_putc(out, ',') : 0;
        rc |= put_call_item(out, job, c);
    }
    rc |= ea_buf_puts(out, "],\"parallel_tool_calls\":true,\"previous_response_id\":");
    rc |= job->previous_response_id ? mock_json_string(out, job->previous_response_id)
                                    : ea_buf_puts(out, "null");
    rc |= ea_buf_printf(out, ",\"store\":%s,\"temperature\":1.0,\"tool_choice\":%s,"
                             "\"tools\":%s,\"top_p\":1.0,\"truncation\":\"disabled\",",
                        job->store ? "true" : "false", job->tool_choice_json, job->tools_json);
    rc |= completed ? put_usage(out, job) : ea_buf_puts(out, "\"usage\":null");
    rc |= ea_buf_puts(out, ",\"metadata\":{}}");
    return rc ? -1 : 0;
}

/* Draws and encodes the image, then remembers it for a later previous_response_id. The
 * entry exists before the client can read response.completed, so a chained turn sent at once
 * finds it. */
static int finish_image(mock_server *srv, mock_job *job, int call, mock_error *e)
{
    if (mock_job_encode_final(job, call, e) != 0)
        return -1;
    if (call > 0)
        return 0; /* a chained turn goes on from the response's first image */
    job->tool_output_tokens = mock_server_config(srv)->omit_tool_usage
                                  ? -1 : mock_job_output_tokens(srv, job);
    if (job->store && mock_chain_put(mock_server_chain(srv), job->response_id,
                                     job->params.prompt, job->encoded[0].data,
                                     job->encoded[0].len) != 0)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    return 0;
}

int mock_responses_body(mock_server *srv, mock_job *job, ea_buf *out, mock_error *e)
{
    for (int c = 0; c < n_calls(job); c++)
        if (finish_image(srv, job, c, e) != 0)
            return -1;
    if (mock_responses_object(out, job, "completed") != 0)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    return 0;
}

/* The item-level events share one shape: output_index and item_id. */
static int put_item_event(ea_buf *json, const char *type, int seq, int index, const char *id)
{
    return ea_buf_printf(json, "{\"type\":\"%s\",\"sequence_number\":%d,\"output_index\":%d,"
                               "\"item_id\":\"%s\"}", type, seq, index, id);
}

static int put_call_event(ea_buf *json, const char *type, int seq, const mock_job *job)
{
    return put_item_event(json, type, seq, call_index(job, job->call), call_id(job, job->call));
}

/* output_item.added or .done around an item that put writes. */
static int put_item_wrapper(ea_buf *json, const char *type, int seq, int index)
{
    return ea_buf_printf(json, "{\"type\":\"%s\",\"sequence_number\":%d,\"output_index\":%d,"
                               "\"item\":", type, seq, index);
}

/* The summary's next piece: a few words, cut at a space so no character is split. */
static size_t next_piece(const mock_job *job)
{
    const char *rest = job->summary_text + job->summary_sent;
    size_t n = strlen(rest);
    if (n <= 24)
        return n;
    const char *space = strchr(rest + 16, ' ');
    return space ? (size_t)(space - rest) + 1 : n;
}

/* The summary's part-level events: item_id, output_index, summary_index. */
static int put_summary_event(ea_buf *json, const char *type, int seq, const mock_job *job)
{
    return ea_buf_printf(json, "{\"type\":\"%s\",\"sequence_number\":%d,\"item_id\":\"%s\","
                               "\"output_index\":%d,\"summary_index\":0",
                         type, seq, job->reasoning_id, reasoning_index(job));
}

/* The thinking steps (reasoning, search); 1 with an event, 0 to move on to the next step
 * without one (the step does not apply), -1 on failure. */
static int thinking_step(mock_job *job, int seq, mock_event *ev)
{
    ea_buf *json = ev->json;
    int rc = 0;
    enum step step = (enum step)job->next_step;
    if (step <= STEP_REASONING_DONE && !job->summary)
        return 0;
    if (step >= STEP_SEARCH_ADDED && !job->web_search)
        return 0;
    switch (step) {
    case STEP_REASONING_ADDED:
    case STEP_REASONING_DONE:
        ev->name = step == STEP_REASONING_ADDED ? "response.output_item.added"
                                                : "response.output_item.done";
        rc = put_item_wrapper(json, ev->name, seq, reasoning_index(job));
        rc |= put_reasoning_item(json, job, step == STEP_REASONING_DONE);
        rc |= ea_buf_putc(json, '}');
        break;
    case STEP_SUMMARY_PART_ADDED:
    case STEP_SUMMARY_PART_DONE:
        ev->name = step == STEP_SUMMARY_PART_ADDED ? "response.reasoning_summary_part.added"
                                                   : "response.reasoning_summary_part.done";
        rc = put_summary_event(json, ev->name, seq, job);
        rc |= ea_buf_puts(json, ",\"part\":{\"type\":\"summary_text\",\"text\":");
        rc |= mock_json_string(json, step == STEP_SUMMARY_PART_DONE ? job->summary_text : "");
        rc |= ea_buf_puts(json, "}}");
        break;
    case STEP_SUMMARY_DELTAS: {
        size_t n = next_piece(job);
        char piece[512];
        snprintf(piece, sizeof piece, "%.*s", (int)n, job->summary_text + job->summary_sent);
        job->summary_sent += n;
        ev->name = "response.reasoning_summary_text.delta";
        rc = put_summary_event(json, ev->name, seq, job);
        rc |= ea_buf_puts(json, ",\"delta\":");
        rc |= mock_json_string(json, piece);
        rc |= ea_buf_putc(json, '}');
        if (job->summary_text[job->summary_sent])
            return rc ? -1 : 2; /* more deltas to come: stay on this step */
        break;
    }
    case STEP_SUMMARY_TEXT_DONE:
        ev->name = "response.reasoning_summary_text.done";
        rc = put_summary_event(json, ev->name, seq, job);
        rc |= ea_buf_puts(json, ",\"text\":");
        rc |= mock_json_string(json, job->summary_text);
        rc |= ea_buf_putc(json, '}');
        break;
    case STEP_SEARCH_ADDED:
    case STEP_SEARCH_DONE:
        ev->name = step == STEP_SEARCH_ADDED ? "response.output_item.added"
                                             : "response.output_item.done";
        rc = put_item_wrapper(json, ev->name, seq, search_index(job));
        rc |= put_search_item(json, job, step == STEP_SEARCH_ADDED ? "in_progress" : "completed");
        rc |= ea_buf_putc(json, '}');
        break;
    case STEP_SEARCH_IN_PROGRESS:
    case STEP_SEARCH_SEARCHING:
    case STEP_SEARCH_COMPLETED:
        ev->name = step == STEP_SEARCH_IN_PROGRESS ? "response.web_search_call.in_progress"
                   : step == STEP_SEARCH_SEARCHING ? "response.web_search_call.searching"
                                                   : "response.web_search_call.completed";
        rc = put_item_event(json, ev->name, seq, search_index(job), job->search_id);
        break;
    default:
        return 0;
    }
    return rc ? -1 : 1;
}

int mock_responses_next(mock_server *srv, mock_job *job, int seq, mock_event *ev,
                        mock_error *e)
{
    ea_buf *json = ev->json;
    int rc = 0;
    ev->partial = false;
    if (job->next_step == STEP_PARTIALS && job->next_partial >= job->partials)
        job->next_step = STEP_CALL_COMPLETED;
    while (job->next_step >= STEP_REASONING_ADDED && job->next_step < STEP_ITEM_ADDED) {
        int got = thinking_step(job, seq, ev);
        if (got < 0)
            return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
        if (got == 2)
            return 1;
        job->next_step++;
        if (got == 1)
            return 1;
    }

    switch ((enum step)job->next_step) {
    case STEP_CREATED:
    case STEP_IN_PROGRESS:
        ev->name = job->next_step == STEP_CREATED ? "response.created" : "response.in_progress";
        rc = ea_buf_printf(json, "{\"type\":\"%s\",\"sequence_number\":%d,\"response\":",
                           ev->name, seq);
        /* A background response waits in the queue before it starts (protocol.md 13). */
        rc |= mock_responses_object(json, job, job->background_mode && job->next_step == STEP_CREATED
                                                   ? "queued" : "in_progress");
        rc |= ea_buf_putc(json, '}');
        break;
    case STEP_ITEM_ADDED:
        ev->name = "response.output_item.added";
        rc = put_item_wrapper(json, ev->name, seq, call_index(job, job->call));
        rc |= ea_buf_printf(json, "{\"id\":\"%s\",\"type\":\"image_generation_call\","
                                  "\"status\":\"in_progress\"}}", call_id(job, job->call));
        break;
    case STEP_CALL_IN_PROGRESS:
        ev->name = "response.image_generation_call.in_progress";
        rc = put_call_event(json, ev->name, seq, job);
        break;
    case STEP_CALL_GENERATING:
        ev->name = "response.image_generation_call.generating";
        rc = put_call_event(json, ev->name, seq, job);
        break;
    case STEP_PARTIALS: {
        char size[32];
        mock_job_size_text(job, size, sizeof size);
        ev->name = "response.image_generation_call.partial_image";
        ev->partial = true;
        rc = ea_buf_printf(json, "{\"type\":\"%s\",\"sequence_number\":%d,\"output_index\":%d,"
                                 "\"item_id\":\"%s\",\"partial_image_index\":%d,"
                                 "\"partial_image_b64\":\"",
                           ev->name, seq, call_index(job, job->call), call_id(job, job->call),
                           job->next_partial);
        if (mock_job_partial_b64(job, job->call, job->next_partial, json, e) != 0)
            return -1;
        rc |= ea_buf_printf(json, "\",\"size\":\"%s\",\"quality\":\"%s\",\"background\":\"%s\","
                                  "\"output_format\":\"%s\"}",
                            size, job->quality, job->background, job->format);
        job->next_partial++;
        return rc ? mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.") : 1;
    }
    case STEP_CALL_COMPLETED:
        ev->name = "response.image_generation_call.completed";
        rc = put_call_event(json, ev->name, seq, job);
        break;
    case STEP_ITEM_DONE:
        ev->name = "response.output_item.done";
        if (finish_image(srv, job, job->call, e) != 0)
            return -1;
        rc = put_item_wrapper(json, ev->name, seq, call_index(job, job->call));
        rc |= put_call_item(json, job, job->call);
        rc |= ea_buf_putc(json, '}');
        /* The next image call, from its own output_item.added. */
        if (!rc && ++job->call < n_calls(job)) {
            job->next_partial = 0;
            job->next_step = STEP_ITEM_ADDED;
            return 1;
        }
        break;
    case STEP_COMPLETED:
        ev->name = "response.completed";
        rc = ea_buf_printf(json, "{\"type\":\"%s\",\"sequence_number\":%d,\"response\":",
                           ev->name, seq);
        rc |= mock_responses_object(json, job, "completed");
        rc |= ea_buf_putc(json, '}');
        break;
    case STEP_END:
    default:
        return 0;
    }
    job->next_step++;
    return rc ? mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.") : 1;
}
