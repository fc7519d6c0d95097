/* SPDX-License-Identifier: MIT */
/* mock/job.c: drawing, encoding and token accounting shared by the Images and Responses
 * replies. Images are drawn lazily, one at a time, so a stream's first partial leaves before
 * the last image of an n=10 call is even drawn. */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "easel/mock_render.h"

void mock_job_init(mock_job *job, enum mock_route route)
{
    memset(job, 0, sizeof *job);
    job->route = route;
    ea_params_init(&job->params);
    job->params.api = route == MOCK_ROUTE_RESPONSES ? EA_API_RESPONSES : EA_API_IMAGES;
    job->store = true;
    job->png_level = -1;
    job->created = (long)time(NULL);
    for (int i = 0; i < MOCK_MAX_OUTPUTS; i++) {
        ea_buf_init(&job->encoded[i], EA_BUF_UNCAPPED);
        ea_buf_init(&job->b64[i], EA_BUF_UNCAPPED);
    }
}

void mock_job_free(mock_job *job)
{
    ea_params_free(&job->params);
    for (int i = 0; i < job->n_sources; i++)
        ea_image_free(&job->sources[i]);
    ea_image_free(&job->mask);
    free(job->previous_response_id);
    free(job->tools_json);
    free(job->tool_choice_json);
    free(job->revised_prompt);
    free(job->documents);
    free(job->summary_text);
    for (int i = 0; i < MOCK_MAX_OUTPUTS; i++)
        free(job->call_prompts[i]);
    for (int i = 0; i < MOCK_MAX_OUTPUTS; i++) {
        ea_image_free(&job->finals[i]);
        ea_buf_free(&job->encoded[i]);
        ea_buf_free(&job->b64[i]);
    }
    memset(job, 0, sizeof *job);
}

int mock_job_render(mock_job *job, int index, mock_error *e)
{
    if (job->finals[index].rgba)
        return 0;
    ea_mock_scene scene = {
        .prompt = job->params.prompt,
        .w = job->w,
        .h = job->h,
        .source = job->edit && job->n_sources > 0 ? &job->sources[0] : NULL,
        .mask = job->edit && job->mask.rgba ? &job->mask : NULL,
        .transparent = strcmp(job->background, "transparent") == 0,
        .variant = index,
    };
    ea_err err = { 0 };
    if (ea_mock_render(&scene, &job->finals[index], &err) != 0)
        return mock_fail(e, 500, "server_error", NULL, NULL,
                         "The offline stand-in could not draw the image: %s", err.msg);
    return 0;
}

/* The file bytes of img in the job's format, then their base64. */
static int encode_b64(const mock_job *job, const ea_image *img, ea_buf *file, ea_buf *b64,
                      mock_error *e)
{
    bool keep_alpha = strcmp(job->background, "transparent") == 0;
    ea_err err = { 0 };
    int rc = job->png_level >= 0 && strcmp(job->format, "png") == 0
                 ? ea_image_encode_png_level(img, job->png_level, keep_alpha, file, &err)
                 : ea_image_encode(img, job->format, job->compression, keep_alpha, file, &err);
    if (rc != 0)
        return mock_fail(e, 500, "server_error", NULL, NULL,
                         "The offline stand-in could not encode the image: %s", err.msg);
    if (mock_base64_encode(b64, file->data, file->len) != 0)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    return 0;
}

int mock_job_encode_final(mock_job *job, int index, mock_error *e)
{
    if (job->b64[index].len > 0)
        return 0;
    if (mock_job_render(job, index, e) != 0)
        return -1;
    return encode_b64(job, &job->finals[index], &job->encoded[index], &job->b64[index], e);
}

int mock_job_partial_b64(mock_job *job, int index, int partial, ea_buf *out, mock_error *e)
{
    if (mock_job_render(job, index, e) != 0)
        return -1;
    ea_image frame = { 0 };
    ea_err err = { 0 };
    if (ea_mock_partial(&job->finals[index], partial, job->partials, &frame, &err) != 0)
        return mock_fail(e, 500, "server_error", NULL, NULL,
                         "The offline stand-in could not draw a partial image: %s", err.msg);
    ea_buf file;
    ea_buf_init(&file, EA_BUF_UNCAPPED);
    int rc = encode_b64(job, &frame, &file, out, e);
    ea_buf_free(&file);
    ea_image_free(&frame);
    return rc;
}

void mock_job_size_text(const mock_job *job, char *out, size_t len)
{
    snprintf(out, len, "%dx%d", job->w, job->h);
}

long mock_job_text_tokens(const mock_job *job)
{
    /* About four characters a token, as OpenAI's rule of thumb has it. */
    size_t chars = job->params.prompt ? strlen(job->params.prompt) : 0;
    return (long)((chars + 3) / 4);
}

long mock_job_image_input_tokens(const mock_job *job)
{
    /* The rule easel's estimate counts with, so that a dry run and the bill agree. */
    long tokens = 0;
    for (int i = 0; i < job->n_sources; i++)
        tokens += ea_prices_input_image_tokens(job->sources[i].w, job->sources[i].h);
    return tokens;
}

long mock_job_output_tokens(const mock_server *srv, const mock_job *job)
{
    const ea_prices *prices = mock_server_prices(srv);
    const char *model = job->params.model;
    long image = prices ? ea_prices_image_tokens(prices, model, job->w, job->h, job->quality) : 0;
    long partial = prices ? ea_prices_partial_tokens(prices, model) : 0;
    if (image <= 0) {
        /* No price entry for this model: gpt-image-1's published counts at 1024x1024,
         * scaled by area. */
        long per_mp = strcmp(job->quality, "low") == 0 ? 272
                      : strcmp(job->quality, "high") == 0 ? 4160 : 1056;
        image = (long)((double)per_mp * job->w * job->h / (1024.0 * 1024.0) + 0.5);
    }
    if (partial <= 0)
        partial = 100;
    return job->n_outputs * (image + (long)job->partials * partial);
}

char *mock_revised_prompt(const char *prompt, bool edit)
{
    /* The prompt without trailing blanks and full stops, so the sentence after it reads. */
    size_t n = strlen(prompt);
    while (n > 0 && (isspace((unsigned char)prompt[n - 1]) || prompt[n - 1] == '.'))
        n--;
    const char *detail = edit
        ? "Keep the composition of the source image and repaint only what the request changes, "
          "in the same palette"
        : "Rendered as a bold flat illustration in colours taken from the words of the prompt, "
          "with those words set into the picture";
    const char *lead = edit ? "An edit of the given image: " : "";
    size_t size = strlen(lead) + n + strlen(detail) + sizeof " " MOCK_OFFLINE_NOTE + 8;
    char *out = malloc(size);
    if (out)
        snprintf(out, size, "%s%.*s. %s " MOCK_OFFLINE_NOTE, lead, (int)n, prompt, detail);
    return out;
}

/* A number word or numeral 2-8 at s (length n), or 0. */
static int count_word(const char *s, size_t n)
{
    static const char *const words[] = {"two", "three", "four", "five", "six", "seven", "eight"};
    if (n == 1 && s[0] >= '2' && s[0] <= '8')
        return s[0] - '0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
            return (int)i + 2;
    return 0;
}

int mock_calls_for(const char *prompt)
{
    static const char *const things[] = {"panel", "image", "frame", "shot", "view", "picture",
                                         "page", "variation", "pose"};
    /* Words, a count followed by a thing: "4 panels", "4-panel", "four frames". */
    const char *p = prompt;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        const char *w = p;
        while (isalnum((unsigned char)*p))
            p++;
        int k = count_word(w, (size_t)(p - w));
        if (!k)
            continue;
        const char *next = p;
        while (*next == ' ' || *next == '-')
            next++;
        for (size_t i = 0; i < sizeof things / sizeof things[0]; i++)
            if (strncasecmp(next, things[i], strlen(things[i])) == 0)
                return k;
    }
    static const char *const sets[] = {"character sheet", "storyboard", "turnaround"};
    for (const char *at = prompt; *at; at++)
        for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
            if (strncasecmp(at, sets[i], strlen(sets[i])) == 0)
                return 4;
    return 1;
}

char *mock_summary_for(const mock_job *job)
{
    ea_buf out;
    ea_buf_init(&out, 16384);
    int rc = ea_buf_puts(&out, "**Planning the picture** The prompt names ");
    /* Its words, as they come, the short ones left out. */
    const char *p = job->params.prompt;
    int named = 0;
    while (*p && named < 16) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        const char *w = p;
        while (isalnum((unsigned char)*p) || (*p & 0x80))
            p++;
        if (p - w < 3)
            continue;
        rc |= ea_buf_printf(&out, "%s%.*s", named ? ", " : "", (int)(p - w), w);
        named++;
    }
    rc |= ea_buf_puts(&out, named ? ": they set the palette and the shapes." : "nothing to draw from.");
    if (job->documents)
        rc |= ea_buf_printf(&out, " The documents (%s) give the brief.", job->documents);
    if (job->web_search)
        rc |= ea_buf_puts(&out, " A web search checks the references first.");
    if (job->n_calls > 1)
        rc |= ea_buf_printf(&out, " One design, drawn as %d images: each a variation of it, "
                                  "the same colours and words in another arrangement.",
                            job->n_calls);
    else
        rc |= ea_buf_puts(&out, " One image.");
    rc |= ea_buf_puts(&out, " " MOCK_OFFLINE_NOTE);
    if (rc != 0) {
        ea_buf_free(&out);
        return NULL;
    }
    return ea_buf_steal(&out, NULL);
}

void mock_random_id(char *out, size_t len, const char *prefix)
{
    unsigned char bytes[16];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
        /* No entropy source: the clock and a counter still keep ids apart in one run. */
        static unsigned counter;
        unsigned long long seed = (unsigned long long)time(NULL) ^
                                  ((unsigned long long)__atomic_add_fetch(&counter, 1,
                                                                          __ATOMIC_RELAXED) << 32);
        for (size_t i = 0; i < sizeof bytes; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            bytes[i] = (unsigned char)(seed >> 56);
        }
    }
    int used = snprintf(out, len, "%s", prefix);
    for (size_t i = 0; i < sizeof bytes && used > 0 && (size_t)used + 2 < len; i++)
        used += snprintf(out + used, len - (size_t)used, "%02x", bytes[i]);
}
