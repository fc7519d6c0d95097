/* SPDX-License-Identifier: MIT */
/* mock/images.c: the Images API's answers (protocol.md sections 3 and 4): a JSON body with
 * data[], or a stream of partial_image events followed by one completed event per image. */
#include "internal.h"

#include <string.h>

/* The fields every image event and the body repeat. */
static int put_image_facts(ea_buf *out, const mock_job *job)
{
    char size[32];
    mock_job_size_text(job, size, sizeof size);
    return ea_buf_printf(out, "\"size\":\"%s\",\"quality\":\"%s\",\"background\":\"%s\","
                              "\"output_format\":\"%s\"",
                         size, job->quality, job->background, job->format);
}

/* usage as the Images API reports it: the whole call's in a JSON reply; in a stream, which
 * carries one image (a streamed request for more is refused, as the API does), on its
 * completed event. */
static int put_usage(ea_buf *out, long text_in, long image_in, long output)
{
    long input = text_in + image_in;
    return ea_buf_printf(out, "\"usage\":{\"total_tokens\":%ld,\"input_tokens\":%ld,"
                              "\"output_tokens\":%ld,\"input_tokens_details\":"
                              "{\"text_tokens\":%ld,\"image_tokens\":%ld}}",
                         input + output, input, output, text_in, image_in);
}

int mock_images_body(mock_server *srv, mock_job *job, ea_buf *out, mock_error *e)
{
    int rc = ea_buf_printf(out, "{\"created\":%ld,\"data\":[", job->created);
    for (int i = 0; i < job->n_outputs; i++) {
        if (mock_job_encode_final(job, i, e) != 0)
            return -1;
        rc |= ea_buf_puts(out, i ? ",{\"b64_json\":\"" : "{\"b64_json\":\"");
        rc |= ea_buf_append(out, job->b64[i].data, job->b64[i].len);
        rc |= ea_buf_puts(out, "\"}");
        /* The encoded copy is in out now; drop the pixels and base64 of an n=10 call early. */
        ea_image_free(&job->finals[i]);
        ea_buf_free(&job->b64[i]);
    }
    rc |= ea_buf_puts(out, "],");
    rc |= put_image_facts(out, job);
    rc |= ea_buf_putc(out, ',');
    rc |= put_usage(out, mock_job_text_tokens(job), mock_job_image_input_tokens(job),
                    mock_job_output_tokens(srv, job));
    rc |= ea_buf_putc(out, '}');
    if (rc)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    return 0;
}

int mock_images_next(mock_server *srv, mock_job *job, int seq, mock_event *ev, mock_error *e)
{
    (void)seq; /* Images API events carry no sequence number */
    if (job->next_image >= job->n_outputs)
        return 0;
    bool edit = job->route == MOCK_ROUTE_EDITS;
    int i = job->next_image;
    ea_buf *json = ev->json;
    int rc;

    if (job->next_partial < job->partials) {
        ev->name = edit ? "image_edit.partial_image" : "image_generation.partial_image";
        ev->partial = true;
        rc = ea_buf_printf(json, "{\"type\":\"%s\",\"b64_json\":\"", ev->name);
        if (mock_job_partial_b64(job, i, job->next_partial, json, e) != 0)
            return -1;
        rc |= ea_buf_printf(json, "\",\"created_at\":%ld,", job->created);
        rc |= put_image_facts(json, job);
        rc |= ea_buf_printf(json, ",\"partial_image_index\":%d}", job->next_partial);
        job->next_partial++;
    } else {
        ev->name = edit ? "image_edit.completed" : "image_generation.completed";
        ev->partial = false;
        if (mock_job_encode_final(job, i, e) != 0)
            return -1;
        long output = mock_job_output_tokens(srv, job) / job->n_outputs;
        rc = ea_buf_printf(json, "{\"type\":\"%s\",\"b64_json\":\"", ev->name);
        rc |= ea_buf_append(json, job->b64[i].data, job->b64[i].len);
        rc |= ea_buf_printf(json, "\",\"created_at\":%ld,", job->created);
        rc |= put_image_facts(json, job);
        rc |= ea_buf_putc(json, ',');
        rc |= put_usage(json, i == 0 ? mock_job_text_tokens(job) : 0,
                        i == 0 ? mock_job_image_input_tokens(job) : 0, output);
        rc |= ea_buf_putc(json, '}');
        ea_image_free(&job->finals[i]);
        ea_buf_free(&job->b64[i]);
        ea_buf_free(&job->encoded[i]);
        job->next_image++;
        job->next_partial = 0;
    }
    if (rc)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    return 1;
}
