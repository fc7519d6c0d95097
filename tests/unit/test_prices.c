/* SPDX-License-Identifier: MIT */
/* Unit tests for src/model/prices.c against protocol.md section 11. Every expected amount is
 * worked out by hand here from the section's numbers, not copied from the program:
 *   gpt-image-2 per image at 1024x1024: low 0.006, medium 0.053, high 0.211;
 *               at 1536x1024 / 1024x1536: low 0.005, medium 0.041, high 0.165;
 *   per million tokens: text in 5.00 (cached 1.25), image in 8.00 (cached 2.00),
 *               image out 30.00, text out 10.00; each partial adds 100 image output tokens.
 * Other sizes are priced from the quoted size nearest in shape, scaled by pixel count; an
 * estimate counts quality auto as high and a prompt as one token per 4 characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/err.h"
#include "easel/events.h"
#include "easel/params.h"
#include "easel/prices.h"

#define MONEY_TOL 1e-9
#define TEXT_IN 5.00e-6
#define IMAGE_IN 8.00e-6
#define IMAGE_OUT 30.00e-6
#define TEXT_IN_CACHED 1.25e-6
#define IMAGE_IN_CACHED 2.00e-6
#define TEXT_OUT 10.00e-6

/* 40 characters, so 10 tokens at 4 characters a token. */
#define PROMPT40 "a red fox asleep in snow under the moon."
#define PROMPT40_TOKENS 10

/* A Responses call's second meter (protocol.md 15): its mainline text model, gpt-5.4 by
 * default, at $2.50 a million input tokens and $15.00 a million output tokens. The estimate
 * has it read the prompt and 200 tokens more (the tool's definition, the instructions) and
 * write the prompt again and 100 tokens more (the tool call). For PROMPT40:
 * 210 x 2.5e-6 + 110 x 15e-6 = 0.000525 + 0.00165 = 0.002175. */
#define GPT54_IN 2.50e-6
#define GPT54_OUT 15.00e-6
#define RESPONSES_TEXT(tokens) (((tokens) + 200) * GPT54_IN + ((tokens) + 100) * GPT54_OUT)
#define PROMPT40_TEXT 0.002175

#define assert_money(got, want)                                                             \
    do {                                                                                     \
        double got_ = (got), want_ = (want);                                                 \
        if (!(fabs(got_ - want_) < MONEY_TOL))                                               \
            fail_msg("%s = %.12f, expected %.12f", #got, got_, want_);                       \
    } while (0)

static ea_prices *builtin(void)
{
    ea_err err;
    ea_err_clear(&err);
    ea_prices *p = ea_prices_parse(ea_prices_default_json, &err);
    if (!p)
        fail_msg("the built-in table does not parse: %s", err.msg);
    return p;
}

static void set(ea_params *p, const char *opt, const char *value)
{
    ea_err err;
    ea_err_clear(&err);
    if (ea_params_set(p, ea_param_by_long(opt), value, &err) != 0)
        fail_msg("--%s %s: %s", opt, value, err.msg);
}

/* Resolved parameters, as easel has them when it estimates. NULL leaves an option out. */
static void estimate(const ea_prices *prices, const char *model, const char *size,
                     const char *quality, int n, int partials, const char *prompt,
                     ea_estimate *out)
{
    ea_params p;
    ea_err err;
    ea_params_init(&p);
    ea_err_clear(&err);
    assert_int_equal(ea_params_set_prompt(&p, prompt, &err), 0);
    if (model)
        set(&p, "model", model);
    if (size)
        set(&p, "size", size);
    if (quality)
        set(&p, "quality", quality);
    char num[16];
    if (n) {
        set(&p, "api", "images");
        snprintf(num, sizeof num, "%d", n);
        set(&p, "count", num);
    }
    if (partials >= 0) {
        snprintf(num, sizeof num, "%d", partials);
        set(&p, "partials", num);
    }
    if (ea_params_resolve(&p, NULL, &err) != 0)
        fail_msg("resolve: %s", err.msg);
    ea_prices_estimate(prices, &p, out);
    ea_params_free(&p);
}

/* ---- the table ---- */

static void test_builtin_parses(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    assert_string_equal(ea_prices_source(p), "built-in");
    ea_prices_free(&p);
    assert_null(p);
    ea_prices_free(&p); /* freeing twice through the pointer is harmless */
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "{", "[]", "{\"version\":1}", "{\"models\":[]}",
                                      "not json"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ea_err err;
        ea_err_clear(&err);
        ea_prices *p = ea_prices_parse(bad[i], &err);
        if (p)
            fail_msg("'%s' parsed as a price table", bad[i]);
        assert_int_not_equal(err.code, 0);
        assert_true(strlen(err.msg) > 0);
    }
}

/* Each of the 18 per-image prices of protocol.md 11, through the estimate with no prompt. */
static void test_table_matches_protocol(void **state)
{
    (void)state;
    static const struct { const char *model, *size, *quality; double usd; } rows[] = {
        {"gpt-image-2", "1024x1024", "low", 0.006},
        {"gpt-image-2", "1024x1024", "medium", 0.053},
        {"gpt-image-2", "1024x1024", "high", 0.211},
        {"gpt-image-2", "1536x1024", "low", 0.005},
        {"gpt-image-2", "1536x1024", "medium", 0.041},
        {"gpt-image-2", "1024x1536", "high", 0.165},
        {"gpt-image-1.5", "1024x1024", "low", 0.009},
        {"gpt-image-1.5", "1024x1024", "medium", 0.034},
        {"gpt-image-1.5", "1024x1024", "high", 0.133},
        {"gpt-image-1.5", "1536x1024", "low", 0.013},
        {"gpt-image-1.5", "1024x1536", "medium", 0.050},
        {"gpt-image-1.5", "1536x1024", "high", 0.200},
        {"gpt-image-1-mini", "1024x1024", "low", 0.005},
        {"gpt-image-1-mini", "1024x1024", "medium", 0.011},
        {"gpt-image-1-mini", "1024x1024", "high", 0.036},
        {"gpt-image-1-mini", "1024x1536", "low", 0.006},
        {"gpt-image-1-mini", "1536x1024", "medium", 0.015},
        {"gpt-image-1-mini", "1024x1536", "high", 0.052},
    };
    ea_prices *prices = builtin();
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ea_params p;
        ea_estimate e;
        ea_params_init(&p);
        set(&p, "model", rows[i].model);
        set(&p, "size", rows[i].size);
        set(&p, "quality", rows[i].quality);
        ea_prices_estimate(prices, &p, &e);
        if (!e.known)
            fail_msg("%s %s %s: no price", rows[i].model, rows[i].size, rows[i].quality);
        assert_money(e.per_image_usd, rows[i].usd);
        assert_money(e.usd, rows[i].usd);
        assert_int_equal(e.input_tokens, 0);
        ea_params_free(&p);
    }
    ea_prices_free(&prices);
}

/* ---- estimates ---- */

static void test_estimate_medium_square(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_estimate e;
    assert_int_equal(strlen(PROMPT40), 40);
    estimate(p, "gpt-image-2", "1024x1024", "medium", 0, -1, PROMPT40, &e);
    assert_true(e.known);
    assert_int_equal(e.input_tokens, PROMPT40_TOKENS);
    assert_money(e.per_image_usd, 0.053);
    assert_money(e.image_usd, 0.053 + PROMPT40_TOKENS * TEXT_IN); /* 0.05305 */
    assert_money(e.text_usd, RESPONSES_TEXT(PROMPT40_TOKENS));
    assert_money(e.text_usd, PROMPT40_TEXT);
    assert_money(e.usd, 0.05305 + PROMPT40_TEXT);
    assert_int_equal(e.output_tokens, 1767);                /* 0.053 / 30e-6 = 1766.67 */
    assert_true(strlen(e.basis) > 0);
    /* partials 0 given explicitly is the same call. */
    estimate(p, "gpt-image-2", "1024x1024", "medium", 1, 0, PROMPT40, &e);
    assert_money(e.usd, 0.05305);
    ea_prices_free(&p);
}

static void test_estimate_n_and_partials(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_estimate e;
    /* One image streamed with 2 partial frames: 0.053 + 2 x 100 tokens x 30e-6 + 10 prompt
     * tokens x 5e-6. */
    estimate(p, "gpt-image-2", "1024x1024", "medium", 1, 2, PROMPT40, &e);
    assert_true(e.known);
    assert_money(e.usd, 0.053 + 2 * 100 * IMAGE_OUT + PROMPT40_TOKENS * TEXT_IN);
    assert_int_equal(e.output_tokens, 1767 + 200);
    /* Several images are never streamed (the API refuses it), so partials add nothing:
     * 3 x 0.053 + the prompt = 0.15905. */
    estimate(p, "gpt-image-2", "1024x1024", "medium", 3, 2, PROMPT40, &e);
    assert_true(e.known);
    assert_money(e.usd, 3 * 0.053 + PROMPT40_TOKENS * TEXT_IN);
    assert_money(e.usd, 0.15905);
    assert_money(e.per_image_usd, 0.053);
    assert_int_equal(e.output_tokens, 3 * 1767);
    /* The prompt is sent once, whatever n is. */
    estimate(p, "gpt-image-2", "1024x1024", "low", 10, 3, PROMPT40, &e);
    assert_money(e.usd, 10 * 0.006 + PROMPT40_TOKENS * TEXT_IN);
    assert_int_equal(e.output_tokens, 10 * 200);
    ea_prices_free(&p);
}

static void test_estimate_quoted_sizes(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_estimate e;
    estimate(p, "gpt-image-2", "1536x1024", "low", 0, -1, PROMPT40, &e);
    assert_money(e.usd, 0.005 + 0.00005 + PROMPT40_TEXT);
    assert_int_equal(e.output_tokens, 167); /* 0.005 / 30e-6 = 166.67 */
    estimate(p, "gpt-image-2", "1024x1536", "high", 0, -1, PROMPT40, &e);
    assert_money(e.usd, 0.165 + 0.00005 + PROMPT40_TEXT);
    ea_prices_free(&p);
}

static void test_estimate_scaled_sizes(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_estimate e;
    /* 1280x720 (16:9): nearest in shape is 1536x1024 (|ln 1.778 - ln 1.5| = 0.17, against
     * 0.58 for the square); 921,600 / 1,572,864 = 0.5859375 of its price. */
    estimate(p, "gpt-image-2", "1280x720", "high", 0, -1, PROMPT40, &e);
    assert_true(e.known);
    assert_money(e.per_image_usd, 0.165 * 0.5859375); /* 0.0966796875 */
    assert_money(e.usd, 0.0966796875 + 0.00005 + PROMPT40_TEXT);
    estimate(p, "gpt-image-2", "720x1280", "medium", 0, -1, PROMPT40, &e);
    assert_money(e.per_image_usd, 0.041 * 0.5859375); /* 0.0240234375 */
    /* 2048x2048: the square's price times 4. */
    estimate(p, "gpt-image-2", "2048x2048", "low", 0, -1, PROMPT40, &e);
    assert_money(e.per_image_usd, 0.024);
    /* 1024x640 (1.6): nearest is 1536x1024; 655,360 / 1,572,864 = 5/12. */
    estimate(p, "gpt-image-2", "1024x640", "low", 0, -1, PROMPT40, &e);
    assert_money(e.per_image_usd, 0.005 * 5.0 / 12.0);
    /* 3840x2160 high: 8,294,400 / 1,572,864 = 5.2734375 x 0.165. */
    estimate(p, "gpt-image-2", "3840x2160", "high", 0, -1, PROMPT40, &e);
    assert_money(e.per_image_usd, 0.165 * 5.2734375);
    /* A ratio is priced at the size it became: 16:9 -> 1280x720 = 921,600 px. */
    estimate(p, "gpt-image-2", "16:9", "medium", 0, -1, PROMPT40, &e);
    assert_money(e.per_image_usd, 0.041 * 921600.0 / 1572864.0);
    ea_prices_free(&p);
}

static void test_estimate_auto(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_estimate e;
    /* Quality not given and quality auto: estimated as high. */
    estimate(p, "gpt-image-2", "1024x1024", NULL, 0, -1, PROMPT40, &e);
    assert_money(e.per_image_usd, 0.211);
    assert_money(e.usd, 0.211 + 0.00005 + PROMPT40_TEXT);
    assert_non_null(strstr(e.basis, "high"));
    estimate(p, "gpt-image-2", "1024x1024", "auto", 0, -1, PROMPT40, &e);
    assert_money(e.usd, 0.21105 + PROMPT40_TEXT);
    /* Size auto (or not given): priced as 1024x1024. */
    estimate(p, "gpt-image-2", "auto", "medium", 0, -1, PROMPT40, &e);
    assert_money(e.usd, 0.05305 + PROMPT40_TEXT);
    estimate(p, "gpt-image-2", NULL, "low", 0, -1, PROMPT40, &e);
    assert_money(e.usd, 0.00605 + PROMPT40_TEXT);
    ea_prices_free(&p);
}

static void test_estimate_prompt_in_characters(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_estimate e;
    /* 40 Devanagari characters are 120 bytes: still 10 tokens. */
    char prompt[40 * 3 + 1];
    for (int i = 0; i < 40; i++)
        memcpy(prompt + 3 * i, "\xE0\xA4\x95", 3);
    prompt[120] = '\0';
    estimate(p, "gpt-image-2", "1024x1024", "medium", 0, -1, prompt, &e);
    assert_int_equal(e.input_tokens, 10);
    assert_money(e.usd, 0.053 + 10 * TEXT_IN + PROMPT40_TEXT);
    /* 4,000 characters: 1,000 tokens = 0.005. */
    char *longp = malloc(4001);
    assert_non_null(longp);
    memset(longp, 'a', 4000);
    longp[4000] = '\0';
    estimate(p, "gpt-image-2", "1024x1024", "medium", 0, -1, longp, &e);
    assert_int_equal(e.input_tokens, 1000);
    /* And the text model reads 1,200 and writes 1,100: 0.003 + 0.0165. */
    assert_money(e.usd, 0.053 + 0.005 + 0.0195);
    free(longp);
    ea_prices_free(&p);
}

static void test_estimate_other_models(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_estimate e;
    /* The snapshot is priced as its base model. */
    estimate(p, "gpt-image-2-2026-04-21", "1024x1024", "medium", 0, -1, PROMPT40, &e);
    assert_true(e.known);
    assert_money(e.usd, 0.05305 + PROMPT40_TEXT);
    /* gpt-image-1.5 and mini: per-image prices only (no token prices in section 11). */
    estimate(p, "gpt-image-1.5", "1024x1536", "high", 2, -1, PROMPT40, &e);
    assert_true(e.known);
    assert_money(e.per_image_usd, 0.200);
    assert_money(e.usd, 0.400);
    estimate(p, "gpt-image-1-mini", "1536x1024", "low", 0, -1, PROMPT40, &e);
    assert_true(e.known);
    assert_money(e.usd, 0.006 + PROMPT40_TEXT);
    /* A model the table does not price. */
    estimate(p, "gpt-image-9", "1024x1024", "medium", 0, -1, PROMPT40, &e);
    assert_false(e.known);
    assert_money(e.usd, 0);
    assert_non_null(strstr(e.basis, "gpt-image-9"));
    estimate(p, "gpt-image-2.5-sunburst", "1024x1024", "xhigh", 0, -1, PROMPT40, &e);
    assert_false(e.known);
    ea_prices_free(&p);
}

/* ---- exact cost from usage ---- */

static void test_cost(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    double usd = -1;
    ea_usage u = {0};
    u.input_text = 50;
    u.input_image = 40;
    u.output_image = 1050;
    assert_true(ea_prices_cost(p, "gpt-image-2", &u, &usd));
    assert_money(usd, 50 * TEXT_IN + 40 * IMAGE_IN + 1050 * IMAGE_OUT);
    assert_money(usd, 0.03207);
    /* Every kind of token. */
    u = (ea_usage){.input_text = 1000, .input_text_cached = 2000, .input_image = 300,
                   .input_image_cached = 400, .output_image = 5000, .output_text = 600};
    assert_true(ea_prices_cost(p, "gpt-image-2", &u, &usd));
    assert_money(usd, 1000 * TEXT_IN + 2000 * TEXT_IN_CACHED + 300 * IMAGE_IN +
                          400 * IMAGE_IN_CACHED + 5000 * IMAGE_OUT + 600 * TEXT_OUT);
    assert_money(usd, 0.1667);
    assert_true(ea_prices_cost(p, "gpt-image-2-2026-04-21", &u, &usd));
    assert_money(usd, 0.1667);
    u = (ea_usage){0};
    assert_true(ea_prices_cost(p, "gpt-image-2", &u, &usd));
    assert_money(usd, 0);
    ea_prices_free(&p);
}

static void test_cost_unknown(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    double usd = 0;
    ea_usage u = {.input_text = 50, .output_image = 1050};
    assert_false(ea_prices_cost(p, "gpt-image-1.5", &u, &usd));
    assert_false(ea_prices_cost(p, "gpt-image-1-mini", &u, &usd));
    assert_false(ea_prices_cost(p, "gpt-image-9", &u, &usd));
    ea_prices_free(&p);
}

/* ---- a Responses call: two meters (protocol.md 15) ---- */

static void test_text_models_in_the_table(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    /* A million of each kind of token costs the rate quoted in section 15. */
    static const struct { const char *model; double in, cached, out; } rows[] = {
        {"gpt-5.4", 2.50, 0.25, 15.00},
        {"gpt-5.4-mini", 0.75, 0.075, 4.50},
        {"gpt-5.5", 5.00, 0.50, 30.00},
        {"gpt-5.4-2026-03-05", 2.50, 0.25, 15.00}, /* a snapshot: its base model's prices */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double usd = -1;
        ea_usage u = {.input_text = 1000000};
        assert_true(ea_prices_cost(p, rows[i].model, &u, &usd));
        assert_money(usd, rows[i].in);
        u = (ea_usage){.input_text_cached = 1000000};
        assert_true(ea_prices_cost(p, rows[i].model, &u, &usd));
        assert_money(usd, rows[i].cached);
        u = (ea_usage){.output_text = 1000000};
        assert_true(ea_prices_cost(p, rows[i].model, &u, &usd));
        assert_money(usd, rows[i].out);
    }
    /* A text model reads no images: image tokens are not its to price. */
    double usd;
    ea_usage u = {.output_image = 10};
    assert_false(ea_prices_cost(p, "gpt-5.4", &u, &usd));
    ea_prices_free(&p);
}

/* The meters of a response.completed event as the API sends it, decoded as easel does. */
static void meters_of(const char *json, ea_meters *m)
{
    ea_err err;
    ea_err_clear(&err);
    ea_event *ev = ea_event_parse("response.completed", json, strlen(json), &err);
    if (!ev)
        fail_msg("parse: %s", err.msg);
    *m = (ea_meters){ev->has_usage, ev->usage, ev->has_tool_usage, ev->tool_usage,
                     ev->web_searches};
    ea_event_free(&ev);
}

/* issue 13: usage {input 1,000, output 300} is gpt-5.4's, at its text rates; tool_usage.image_gen
 * {input 50, output 1,056} is gpt-image-2's, at its own:
 *   text  1,000 x $2.50/M + 300 x $15.00/M   = 0.0025 + 0.0045   = 0.007
 *   image 50 x $5.00/M + 1,056 x $30.00/M    = 0.00025 + 0.03168 = 0.03193
 *   the call                                                      = 0.03893, $0.04 to the cent */
static void test_responses_cost_is_both_meters(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_meters m;
    meters_of("{\"type\":\"response.completed\",\"sequence_number\":12,\"response\":"
              "{\"id\":\"resp_9\",\"status\":\"completed\",\"model\":\"gpt-5.4\",\"output\":[],"
              "\"usage\":{\"input_tokens\":1000,\"input_tokens_details\":{\"cached_tokens\":0},"
              "\"output_tokens\":300,\"output_tokens_details\":{\"reasoning_tokens\":0},"
              "\"total_tokens\":1300},\"tool_usage\":{\"image_gen\":{\"input_tokens\":50,"
              "\"input_tokens_details\":{\"image_tokens\":0,\"text_tokens\":50},"
              "\"output_tokens\":1056,\"total_tokens\":1106},"
              "\"web_search\":{\"num_requests\":0}}}}",
              &m);
    ea_cost c;
    ea_prices_call_cost(p, "gpt-image-2", "gpt-5.4", &m, 0.5, &c);
    assert_money(c.text_usd, 1000 * GPT54_IN + 300 * GPT54_OUT);
    assert_money(c.text_usd, 0.007);
    assert_money(c.image_usd, 50 * TEXT_IN + 1056 * IMAGE_OUT);
    assert_money(c.image_usd, 0.03193);
    assert_money(c.usd, 0.03893);
    assert_int_equal(lround(c.usd * 100), 4);
    assert_false(c.image_estimated); /* the estimate given (0.5) is not used */

    /* Another text model has its own rates: gpt-5.5 at $5.00 and $30.00. */
    ea_prices_call_cost(p, "gpt-image-2", "gpt-5.5", &m, NAN, &c);
    assert_money(c.text_usd, 0.005 + 0.009);
    assert_money(c.usd, 0.014 + 0.03193);
    ea_prices_free(&p);
}

/* A thinking turn (issue 15): reasoning tokens are the text model's output, searches are
 * priced per call at the text model's per_web_search, and the estimate allows for both. */
static void test_thinking_cost(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_meters m;
    meters_of("{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_t\","
              "\"status\":\"completed\",\"output\":[],"
              "\"usage\":{\"input_tokens\":1000,\"output_tokens\":4300,"
              "\"output_tokens_details\":{\"reasoning_tokens\":4000},\"total_tokens\":5300},"
              "\"tool_usage\":{\"image_gen\":{\"input_tokens\":100,\"input_tokens_details\":"
              "{\"image_tokens\":0,\"text_tokens\":100},\"output_tokens\":2112,"
              "\"total_tokens\":2212},\"web_search\":{\"num_requests\":2}}}}",
              &m);
    assert_int_equal(m.usage.output_reasoning, 4000);
    assert_int_equal(m.web_searches, 2);
    ea_cost c;
    ea_prices_call_cost(p, "gpt-image-2", "gpt-5.4", &m, NAN, &c);
    assert_money(c.text_usd, 1000 * GPT54_IN + 4300 * GPT54_OUT);
    assert_money(c.image_usd, 100 * TEXT_IN + 2112 * IMAGE_OUT);
    assert_money(c.search_usd, 0.02);
    assert_money(c.usd, c.text_usd + c.image_usd + 0.02);
    /* No searches: no search part. */
    m.web_searches = 0;
    ea_prices_call_cost(p, "gpt-image-2", "gpt-5.4", &m, NAN, &c);
    assert_true(isnan(c.search_usd));

    ea_params params;
    ea_err err;
    ea_err_clear(&err);
    ea_params_init(&params);
    assert_int_equal(ea_params_set_prompt(&params, PROMPT40, &err), 0);
    set(&params, "quality", "low");
    ea_estimate plain, e;
    assert_int_equal(ea_params_resolve(&params, NULL, &err), 0);
    ea_prices_estimate(p, &params, &plain);
    set(&params, "reasoning", "high");
    set(&params, "web-search", "on");
    assert_int_equal(ea_params_resolve(&params, NULL, &err), 0);
    ea_prices_estimate(p, &params, &e);
    assert_money(e.text_usd - plain.text_usd, 12000 * GPT54_OUT);
    assert_money(e.search_usd, 0.01);
    assert_money(e.usd, plain.usd + 12000 * GPT54_OUT + 0.01);
    assert_non_null(strstr(e.basis, "12000 reasoning at high"));
    assert_non_null(strstr(e.basis, "1 web search"));
    assert_int_equal(ea_prices_reasoning_allowance("none"), 0);
    assert_true(ea_prices_reasoning_allowance("max") > ea_prices_reasoning_allowance("xhigh"));
    ea_params_free(&params);
    ea_prices_free(&p);
}

static void test_responses_cost_without_tool_usage(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_meters m;
    meters_of("{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_9\","
              "\"status\":\"completed\",\"output\":[],\"usage\":{\"input_tokens\":1000,"
              "\"output_tokens\":300,\"total_tokens\":1300}}}",
              &m);
    assert_false(m.has_tool_usage);
    ea_cost c;
    /* The image part is the table's figure for what arrived, and says it is an estimate. */
    ea_prices_call_cost(p, "gpt-image-2", "gpt-5.4", &m, 0.211, &c);
    assert_true(c.image_estimated);
    assert_money(c.image_usd, 0.211);
    assert_money(c.text_usd, 0.007);
    assert_money(c.usd, 0.218);
    /* Nothing arrived to estimate: the text part alone, still billed. */
    ea_prices_call_cost(p, "gpt-image-2", "gpt-5.4", &m, NAN, &c);
    assert_false(c.image_estimated);
    assert_true(isnan(c.image_usd));
    assert_money(c.usd, 0.007);
    /* A text model the table does not price: its part unknown, the image part kept. */
    ea_prices_call_cost(p, "gpt-image-2", "gpt-7-unknown", &m, 0.211, &c);
    assert_true(isnan(c.text_usd));
    assert_money(c.usd, 0.211);
    /* tool_usage for an image model the table has no token prices for (gpt-image-1.5): the
     * per-image figure, marked estimated. */
    m.has_tool_usage = true;
    m.tool_usage = (ea_usage){.input_text = 50, .output_image = 1056};
    ea_prices_call_cost(p, "gpt-image-1.5", "gpt-5.4", &m, 0.034, &c);
    assert_true(c.image_estimated);
    assert_money(c.image_usd, 0.034);
    assert_money(c.usd, 0.041);
    /* No meters at all: unknown. */
    ea_meters none = {0};
    ea_prices_call_cost(p, "gpt-image-2", "gpt-5.4", &none, NAN, &c);
    assert_true(isnan(c.usd));
    ea_prices_free(&p);
}

/* The Images API has one meter, all of it the image model's. */
static void test_images_cost_is_one_meter(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_meters m = {.has_usage = true, .usage = {.input_text = 50, .output_image = 1056}};
    ea_cost c;
    ea_prices_call_cost(p, "gpt-image-2", NULL, &m, 0.5, &c);
    assert_true(isnan(c.text_usd));
    assert_money(c.image_usd, 0.03193);
    assert_money(c.usd, 0.03193);
    assert_false(c.image_estimated);
    ea_prices_free(&p);
}

/* An estimate counts both parts of a Responses call, and says how; the Images API's has
 * none of the text model. */
static void test_estimate_counts_the_text_model(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_estimate e;
    estimate(p, "gpt-image-2", "1024x1024", "low", 0, -1, PROMPT40, &e);
    assert_money(e.image_usd, 0.006 + PROMPT40_TOKENS * TEXT_IN);
    assert_money(e.text_usd, PROMPT40_TEXT);
    assert_money(e.usd, e.image_usd + e.text_usd);
    assert_non_null(strstr(e.basis, "text model gpt-5.4 ~210 in, ~110 out tokens"));
    estimate(p, "gpt-image-2", "1024x1024", "low", 1, -1, PROMPT40, &e); /* --api images */
    assert_money(e.text_usd, 0);
    assert_money(e.usd, 0.00605);
    assert_null(strstr(e.basis, "text model"));

    ea_params params;
    ea_err err;
    ea_err_clear(&err);
    ea_params_init(&params);
    assert_int_equal(ea_params_set_prompt(&params, PROMPT40, &err), 0);
    set(&params, "quality", "low");
    set(&params, "text-model", "gpt-5.5");
    assert_int_equal(ea_params_resolve(&params, NULL, &err), 0);
    ea_prices_estimate(p, &params, &e);
    assert_money(e.text_usd, 210 * 5.00e-6 + 110 * 30.00e-6); /* 0.00435 */
    set(&params, "text-model", "gpt-9-unpriced");
    ea_prices_estimate(p, &params, &e);
    assert_true(e.known);
    assert_money(e.text_usd, 0);
    assert_non_null(strstr(e.basis, "text model gpt-9-unpriced not priced"));
    ea_params_free(&params);
    ea_prices_free(&p);
}

/* A thinking turn's model makes as many images as it chooses, up to 8 (protocol.md 15): the
 * estimate is a range from one image to eight, each further one a call of the image tool (the
 * image, the prompt read again, the input images read again) and the tool call the mainline
 * model writes around it; a budget checks its top. Elsewhere the count is known. */
static void test_thinking_estimate_is_a_range(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    ea_params params;
    ea_err err;
    ea_err_clear(&err);
    ea_params_init(&params);
    assert_int_equal(ea_params_set_prompt(&params, PROMPT40, &err), 0);
    set(&params, "quality", "low");
    set(&params, "reasoning", "low");
    assert_int_equal(ea_params_resolve(&params, NULL, &err), 0);
    ea_estimate e;
    ea_prices_estimate(p, &params, &e);
    /* One image: 0.006 + 10 prompt tokens, and the text model's 210 in, 110 + 1024 out. */
    double one = 0.006 + PROMPT40_TOKENS * TEXT_IN + PROMPT40_TEXT + 1024 * GPT54_OUT;
    double per_call = 0.006 + PROMPT40_TOKENS * TEXT_IN + (PROMPT40_TOKENS + 100) * GPT54_OUT;
    assert_int_equal(e.images, 1);
    assert_int_equal(e.images_max, EA_THINKING_IMAGES_MAX);
    assert_money(e.usd, one);                  /* 0.023585 */
    assert_money(e.usd_max, one + 7 * per_call); /* 0.077485 */
    assert_money(ea_estimate_bound(&e), e.usd_max);
    assert_non_null(strstr(e.basis, "up to 8 images"));
    char text[96];
    ea_estimate_text(&e, 2, text, sizeof text);
    assert_string_equal(text, "$0.02–$0.08, up to 8 images");
    /* An input image is read by every call. */
    double usd = e.usd, usd_max = e.usd_max;
    ea_prices_add_input_images(p, "gpt-image-2", 1, 581, &e);
    assert_money(e.usd, usd + 581 * IMAGE_IN);
    assert_money(e.usd_max, usd_max + 8 * 581 * IMAGE_IN);

    /* Without thinking, one image is what the call makes. */
    free(params.reasoning);
    params.reasoning = NULL;
    ea_prices_estimate(p, &params, &e);
    assert_int_equal(e.images_max, 1);
    assert_money(e.usd_max, e.usd);
    ea_estimate_text(&e, 4, text, sizeof text);
    assert_string_equal(text, "$0.0082"); /* 0.006 + 0.00005 + 0.002175 */
    /* Web search alone makes a thinking turn too. */
    params.web_search = true;
    ea_prices_estimate(p, &params, &e);
    assert_int_equal(e.images_max, EA_THINKING_IMAGES_MAX);
    ea_params_free(&params);

    /* The Images API makes n, as asked. */
    estimate(p, "gpt-image-2", "1024x1024", "low", 3, -1, PROMPT40, &e);
    assert_int_equal(e.images, 3);
    assert_int_equal(e.images_max, 3);
    assert_money(e.usd_max, e.usd);
    /* A model the table cannot price has no bound either. */
    estimate(p, "gpt-image-9", "1024x1024", "low", 1, -1, PROMPT40, &e);
    assert_false(e.known);
    assert_true(isnan(ea_estimate_bound(&e)));
    ea_estimate_text(&e, 4, text, sizeof text);
    assert_string_equal(text, "unknown");
    ea_prices_free(&p);
}

/* ---- tokens ---- */

static void test_image_tokens(void **state)
{
    (void)state;
    ea_prices *p = builtin();
    assert_int_equal(ea_prices_image_tokens(p, "gpt-image-2", 1024, 1024, "low"), 200);
    assert_int_equal(ea_prices_image_tokens(p, "gpt-image-2", 1024, 1024, "medium"), 1767);
    assert_int_equal(ea_prices_image_tokens(p, "gpt-image-2", 1024, 1024, "high"), 7033);
    assert_int_equal(ea_prices_image_tokens(p, "gpt-image-2", 1536, 1024, "low"), 167);
    assert_int_equal(ea_prices_image_tokens(p, "gpt-image-2", 1024, 1536, "high"), 5500);
    assert_int_equal(ea_prices_image_tokens(p, "gpt-image-2", 2048, 2048, "low"), 800);
    assert_int_equal(ea_prices_image_tokens(p, "gpt-image-2-2026-04-21", 1024, 1024, "low"),
                     200);
    /* No token price, no tokens. */
    assert_int_equal(ea_prices_image_tokens(p, "gpt-image-1.5", 1024, 1024, "low"), 0);
    assert_int_equal(ea_prices_image_tokens(p, "gpt-image-9", 1024, 1024, "low"), 0);
    assert_int_equal(ea_prices_partial_tokens(p, "gpt-image-2"), 100);
    assert_int_equal(ea_prices_partial_tokens(p, "gpt-image-2-2026-04-21"), 100);
    assert_int_equal(ea_prices_partial_tokens(p, "gpt-image-1.5"), 0);
    assert_int_equal(ea_prices_partial_tokens(p, "gpt-image-9"), 0);
    ea_prices_free(&p);
}

/* ---- the user's override ---- */

typedef struct override {
    char dir[64], sub[96], file[128];
    char *old_xdg;
} override;

static void override_begin(override *o, const char *content)
{
    snprintf(o->dir, sizeof o->dir, "/tmp/easel-test-prices-XXXXXX");
    if (!mkdtemp(o->dir))
        fail_msg("mkdtemp failed");
    snprintf(o->sub, sizeof o->sub, "%s/easel", o->dir);
    assert_int_equal(mkdir(o->sub, 0700), 0);
    snprintf(o->file, sizeof o->file, "%s/prices.json", o->sub);
    if (content) {
        FILE *f = fopen(o->file, "w");
        assert_non_null(f);
        fputs(content, f);
        assert_int_equal(fclose(f), 0);
    }
    const char *old = getenv("XDG_CONFIG_HOME");
    o->old_xdg = old ? strdup(old) : NULL;
    assert_int_equal(setenv("XDG_CONFIG_HOME", o->dir, 1), 0);
}

static void override_end(override *o)
{
    if (o->old_xdg)
        setenv("XDG_CONFIG_HOME", o->old_xdg, 1);
    else
        unsetenv("XDG_CONFIG_HOME");
    free(o->old_xdg);
    unlink(o->file);
    rmdir(o->sub);
    rmdir(o->dir);
}

static const char override_json[] =
    "{\"models\": {\n"
    "  \"gpt-image-2\": {\n"
    "    \"per_image\": {\"1024x1024\": {\"low\": 0.01, \"medium\": 0.1, \"high\": 0.4},\n"
    "                  \"1536x1024\": {\"medium\": 0.08}, \"1024x1536\": {\"medium\": 0.08}},\n"
    "    \"per_million_tokens\": {\"text_input\": 10, \"image_input\": 20, \"image_output\": 50},\n"
    "    \"partial_image_output_tokens\": 40},\n"
    "  \"gpt-image-9\": {\"per_image\": {\"1024x1024\": {\"medium\": 0.2}}}\n"
    "}}\n";

static void test_override_used(void **state)
{
    (void)state;
    override o;
    override_begin(&o, override_json);
    ea_err err;
    ea_err_clear(&err);
    ea_prices *p = ea_prices_load(&err);
    if (!p)
        fail_msg("load: %s", err.msg);
    assert_string_equal(ea_prices_source(p), o.file);
    ea_estimate e;
    /* 0.1 + 2 partials x 40 tokens x 50e-6 + 10 tokens x 10e-6 = 0.1041 */
    estimate(p, "gpt-image-2", "1024x1024", "medium", 0, 2, PROMPT40, &e);
    assert_true(e.known);
    assert_money(e.usd, 0.1 + 2 * 40 * 50e-6 + 10 * 10e-6);
    assert_money(e.usd, 0.1041);
    assert_int_equal(ea_prices_partial_tokens(p, "gpt-image-2"), 40);
    assert_int_equal(ea_prices_image_tokens(p, "gpt-image-2", 1024, 1024, "medium"), 2000);
    double usd;
    ea_usage u = {.input_text = 100, .output_image = 1000};
    assert_true(ea_prices_cost(p, "gpt-image-2", &u, &usd));
    assert_money(usd, 100 * 10e-6 + 1000 * 50e-6); /* 0.051 */
    u.output_text = 5; /* no text_output price in this table */
    assert_false(ea_prices_cost(p, "gpt-image-2", &u, &usd));
    /* A model easel does not know, priced by the user. */
    estimate(p, "gpt-image-9", "1024x1024", "medium", 0, -1, PROMPT40, &e);
    assert_true(e.known);
    assert_money(e.usd, 0.2);
    /* The file replaces the built-in table (prices.h), it does not add to it. */
    estimate(p, "gpt-image-1.5", "1024x1024", "medium", 0, -1, PROMPT40, &e);
    assert_false(e.known);
    ea_prices_free(&p);
    override_end(&o);
}

static void test_override_absent(void **state)
{
    (void)state;
    override o;
    override_begin(&o, NULL);
    ea_err err;
    ea_err_clear(&err);
    ea_prices *p = ea_prices_load(&err);
    if (!p)
        fail_msg("load: %s", err.msg);
    assert_string_equal(ea_prices_source(p), "built-in");
    ea_estimate e;
    estimate(p, "gpt-image-2", "1024x1024", "medium", 0, -1, PROMPT40, &e);
    assert_money(e.usd, 0.05305 + PROMPT40_TEXT);
    ea_prices_free(&p);
    override_end(&o);
}

static void expect_bad_override(const char *content)
{
    override o;
    override_begin(&o, content);
    ea_err err;
    ea_err_clear(&err);
    ea_prices *p = ea_prices_load(&err);
    if (p) {
        ea_prices_free(&p);
        override_end(&o);
        fail_msg("a malformed override was accepted: %s", content);
    }
    assert_int_equal(err.code, EA_EXIT_USAGE);
    if (!strstr(err.msg, o.file)) {
        override_end(&o);
        fail_msg("the error does not name %s: %s", o.file, err.msg);
    }
    override_end(&o);
}

static void test_override_malformed_json(void **state)
{
    (void)state;
    expect_bad_override("{\"models\": {\"gpt-image-2\": ");
    expect_bad_override("");
}

/* Valid JSON that is not a price table is as malformed as broken JSON, and the user needs
 * to know which file to fix. */
static void test_override_not_a_table(void **state)
{
    (void)state;
    expect_bad_override("{\"version\": 2}");
    expect_bad_override("{\"models\": []}");
}

/* A price that cannot be one is refused with the key that holds it named, whether it parses
 * as JSON (negative, absurd, a string) or not (NaN, Infinity, 1e999 overflow). */
static void expect_bad_price(const char *value, const char *key, const char *why)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"models\": {\"gpt-image-2\": {\n"
             "  \"per_image\": {\"1024x1024\": {\"low\": 0.01, \"medium\": %s}},\n"
             "  \"per_million_tokens\": {\"text_input\": 5, \"image_output\": 30}}}}\n",
             strstr(key, "medium") ? value : "0.05");
    if (strstr(key, "image_output"))
        snprintf(json, sizeof json,
                 "{\"models\": {\"gpt-image-2\": {\n"
                 "  \"per_image\": {\"1024x1024\": {\"low\": 0.01, \"medium\": 0.05}},\n"
                 "  \"per_million_tokens\": {\"text_input\": 5, \"image_output\": %s}}}}\n",
                 value);
    override o;
    override_begin(&o, json);
    ea_err err;
    ea_err_clear(&err);
    ea_prices *p = ea_prices_load(&err);
    override_end(&o);
    if (p) {
        ea_prices_free(&p);
        fail_msg("a price of %s for %s was accepted", value, key);
    }
    assert_int_equal(err.code, EA_EXIT_USAGE);
    if (!strstr(err.msg, key) || (why && !strstr(err.msg, why)))
        fail_msg("the error for %s = %s does not name the key (or %s): %s", key, value,
                 why ? why : "", err.msg);
}

static void test_override_bad_prices(void **state)
{
    (void)state;
    expect_bad_price("-0.05", "models.gpt-image-2.per_image.1024x1024.medium", "negative");
    expect_bad_price("-5", "models.gpt-image-2.per_million_tokens.image_output", "negative");
    expect_bad_price("1500", "models.gpt-image-2.per_image.1024x1024.medium", "beyond");
    expect_bad_price("30000", "models.gpt-image-2.per_million_tokens.image_output", "beyond");
    expect_bad_price("\"NaN\"", "models.gpt-image-2.per_image.1024x1024.medium", "number");
    expect_bad_price("NaN", "medium", NULL);
    expect_bad_price("Infinity", "image_output", NULL);
    expect_bad_price("1e999", "image_output", NULL);
    expect_bad_price("-1e999", "medium", NULL);
    /* Direct parses: a bad token count, and the limits themselves. */
    ea_err err;
    ea_err_clear(&err);
    assert_null(ea_prices_parse("{\"models\": {\"m\": {\"partial_image_output_tokens\": -1}}}", &err));
    assert_non_null(strstr(err.msg, "models.m.partial_image_output_tokens"));
    assert_null(ea_prices_parse("{\"models\": {\"m\": 3}}", &err));
    assert_non_null(strstr(err.msg, "models.m"));
    ea_prices *p = ea_prices_parse("{\"models\": {\"m\": {\"per_image\": {\"1024x1024\": "
                                   "{\"high\": 1000, \"low\": 0}}, \"note\": \"free\"}}}", &err);
    if (!p)
        fail_msg("a table at the limits was refused: %s", err.msg);
    ea_prices_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_parses),
        cmocka_unit_test(test_override_bad_prices),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_table_matches_protocol),
        cmocka_unit_test(test_estimate_medium_square),
        cmocka_unit_test(test_estimate_n_and_partials),
        cmocka_unit_test(test_estimate_quoted_sizes),
        cmocka_unit_test(test_estimate_scaled_sizes),
        cmocka_unit_test(test_estimate_auto),
        cmocka_unit_test(test_estimate_prompt_in_characters),
        cmocka_unit_test(test_estimate_other_models),
        cmocka_unit_test(test_cost),
        cmocka_unit_test(test_cost_unknown),
        cmocka_unit_test(test_text_models_in_the_table),
        cmocka_unit_test(test_responses_cost_is_both_meters),
        cmocka_unit_test(test_responses_cost_without_tool_usage),
        cmocka_unit_test(test_thinking_cost),
        cmocka_unit_test(test_images_cost_is_one_meter),
        cmocka_unit_test(test_estimate_counts_the_text_model),
        cmocka_unit_test(test_thinking_estimate_is_a_range),
        cmocka_unit_test(test_image_tokens),
        cmocka_unit_test(test_override_used),
        cmocka_unit_test(test_override_absent),
        cmocka_unit_test(test_override_malformed_json),
        cmocka_unit_test(test_override_not_a_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
