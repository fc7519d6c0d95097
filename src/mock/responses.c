/* SPDX-License-Identifier: MIT */
/* mock/responses.c: the Responses API's answers with the image_generation tool (protocol.md
 * section 5): one image_generation_call item whose result and revised_prompt arrive in
 * output_item.done and again in response.completed, as the live API sends them. */
#include "internal.h"

#include <string.h>

/* The steps of a Responses stream, in the order the API sends them. */
enum step {
    STEP_CREATED,
    STEP_IN_PROGRESS,
    STEP_ITEM_ADDED,
    STEP_CALL_IN_PROGRESS,
    STEP_CALL_GENERATING,
    STEP_PARTIALS,
    STEP_CALL_COMPLETED,
    STEP_ITEM_DONE,
    STEP_COMPLETED,
    STEP_END,
};

/* The finished image_generation_call item, with result and revised_prompt. */
static int put_call_item(ea_buf *out, const mock_job *job)
{
    char size[32];
    mock_job_size_text(job, size, sizeof size);
    int rc = ea_buf_printf(out, "{\"id\":\"%s\",\"type\":\"image_generation_call\","
                                "\"status\":\"completed\",\"action\":\"%s\",\"background\":\"%s\","
                                "\"output_format\":\"%s\",\"quality\":\"%s\",\"size\":\"%s\","
                                "\"result\":\"",
                           job->item_id, job->edit ? "edit" : "generate", job->background,
                           job->format, job->quality, size);
    rc |= ea_buf_append(out, job->b64[0].data, job->b64[0].len);
    rc |= ea_buf_puts(out, "\",\"revised_prompt\":");
    rc |= mock_json_string(out, job->revised_prompt);
    rc |= ea_buf_putc(out, '}');
    return rc ? -1 : 0;
}

/* usage counts the mainline model's tokens only (SPEC ResponseUsage): it reads the prompt
 * and the input images, and writes the tool call, about the revised prompt's length. The
 * image tool's own tokens come apart in tool_usage.image_gen (protocol.md 15): it reads the
 * prompt and the input images and writes the image, as the Images API's usage counts them. */
static int put_usage(ea_buf *out, const mock_job *job)
{
    long input = mock_job_text_tokens(job) + mock_job_image_input_tokens(job) + 40;
    long output = (long)(strlen(job->revised_prompt) + 3) / 4 + 12;
    int rc = ea_buf_printf(out, "\"usage\":{\"input_tokens\":%ld,\"input_tokens_details\":"
                                "{\"cached_tokens\":0},\"output_tokens\":%ld,"
                                "\"output_tokens_details\":{\"reasoning_tokens\":0},"
                                "\"total_tokens\":%ld}",
                           input, output, input + output);
    if (job->tool_output_tokens < 0)
        return rc;
    long text_in = mock_job_text_tokens(job), image_in = mock_job_image_input_tokens(job);
    long tool_out = job->tool_output_tokens;
    return rc | ea_buf_printf(out, ",\"tool_usage\":{\"image_gen\":{\"input_tokens\":%ld,"
                                   "\"input_tokens_details\":{\"image_tokens\":%ld,"
                                   "\"text_tokens\":%ld},\"output_tokens\":%ld,"
                                   "\"output_tokens_details\":{\"image_tokens\":%ld,"
                                   "\"text_tokens\":0},\"total_tokens\":%ld},"
                                   "\"web_search\":{\"num_requests\":0}}",
                              text_in + image_in, image_in, text_in, tool_out, tool_out,
                              text_in + image_in + tool_out);
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
    if (completed)
        rc |= put_call_item(out, job);
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
static int finish_image(mock_server *srv, mock_job *job, mock_error *e)
{
    if (mock_job_encode_final(job, 0, e) != 0)
        return -1;
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
    if (finish_image(srv, job, e) != 0)
        return -1;
    if (mock_responses_object(out, job, "completed") != 0)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    return 0;
}

/* The item-level events share one shape: output_index and item_id. */
static int put_call_event(ea_buf *json, const char *type, int seq, const mock_job *job)
{
    return ea_buf_printf(json, "{\"type\":\"%s\",\"sequence_number\":%d,\"output_index\":0,"
                               "\"item_id\":\"%s\"}", type, seq, job->item_id);
}

int mock_responses_next(mock_server *srv, mock_job *job, int seq, mock_event *ev,
                        mock_error *e)
{
    ea_buf *json = ev->json;
    int rc = 0;
    ev->partial = false;
    if (job->next_step == STEP_PARTIALS && job->next_partial >= job->partials)
        job->next_step = STEP_CALL_COMPLETED;

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
        rc = ea_buf_printf(json, "{\"type\":\"%s\",\"sequence_number\":%d,\"output_index\":0,"
                                 "\"item\":{\"id\":\"%s\",\"type\":\"image_generation_call\","
                                 "\"status\":\"in_progress\"}}",
                           ev->name, seq, job->item_id);
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
        rc = ea_buf_printf(json, "{\"type\":\"%s\",\"sequence_number\":%d,\"output_index\":0,"
                                 "\"item_id\":\"%s\",\"partial_image_index\":%d,"
                                 "\"partial_image_b64\":\"",
                           ev->name, seq, job->item_id, job->next_partial);
        if (mock_job_partial_b64(job, 0, job->next_partial, json, e) != 0)
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
        if (finish_image(srv, job, e) != 0)
            return -1;
        rc = ea_buf_printf(json, "{\"type\":\"%s\",\"sequence_number\":%d,\"output_index\":0,"
                                 "\"item\":", ev->name, seq);
        rc |= put_call_item(json, job);
        rc |= ea_buf_putc(json, '}');
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
