/* SPDX-License-Identifier: MIT */
/* prices: the price table as data (data/prices.json compiled in, overridden by
 * $XDG_CONFIG_HOME/easel/prices.json): an estimate before a call, the exact cost after it.
 * The table holds the image models and the text models whose rates price a Responses call's
 * mainline `usage`; a dated snapshot ("gpt-5.4-2026-03-05") takes its base model's prices. */
#ifndef EASEL_PRICES_H
#define EASEL_PRICES_H

#include <stdbool.h>
#include <stddef.h>

#include "easel/err.h"
#include "easel/params.h"

typedef struct ea_prices ea_prices;

/* Token counts as the API reports them in `usage`. */
typedef struct ea_usage {
    long input_text, input_text_cached;
    long input_image, input_image_cached;
    long output_image, output_text;
    /* Of output_text, the reasoning tokens (a Responses call's output_tokens_details); priced
     * with the rest of output_text, kept to show the split. */
    long output_reasoning;
} ea_usage;

typedef struct ea_estimate {
    bool known;           /* false when the table has no price for this model */
    double usd;           /* the whole call */
    double per_image_usd; /* one final image, partials excluded */
    long output_tokens;   /* image output tokens, partials included */
    long input_tokens;    /* text input tokens estimated from the prompt */
    /* The two meters of a Responses call (protocol.md 15), both counted in usd: the image
     * model's part, and the mainline text model's (0 on the Images API, or when the text model
     * has no price in the table, which basis then says). */
    double image_usd, text_usd;
    /* A thinking turn: the reasoning allowance (in text_usd) and one web search, priced. */
    double search_usd;
    /* The images usd counts, and the most the call may make (ea_params_images_max): a
     * thinking turn's model chooses how many, so its estimate is a range, usd for `images`
     * to usd_max for `images_max`, each further image priced as a call of the image tool
     * (with its inputs) and the mainline model's tool call around it. A budget checks
     * usd_max (ea_estimate_bound). Where the count is known, images_max == images and
     * usd_max == usd. */
    int images, images_max;
    double usd_max;
    char basis[448];      /* how it was computed, for --dry-run and the parameter panel */
} ea_estimate;

/* What a finished call reported. The Images API has one meter, all of it the image model's;
 * a Responses call has two (protocol.md 15): `usage`, the mainline text model's tokens, and
 * `tool_usage.image_gen`, the image tool's, which the API may leave out. */
typedef struct ea_meters {
    bool has_usage;
    ea_usage usage;
    bool has_tool_usage;  /* Responses only */
    ea_usage tool_usage;
    long web_searches;    /* tool_usage.web_search.num_requests: the text model's per_web_search */
} ea_meters;

/* The cost of a finished call, meter by meter; NAN where unknown. */
typedef struct ea_cost {
    double usd;           /* the parts known, added up; NAN when neither is */
    double text_usd;      /* Responses: usage at the text model's rates; NAN on the Images API
                             and when the text model is not in the table */
    double image_usd;     /* the image model's tokens at its rates */
    double search_usd;    /* web searches at the text model's per-search price; NAN when none
                             were made or the table has no such price */
    bool image_estimated; /* a Responses call without tool_usage (or whose image model has no
                             token prices): image_usd is the per-image table's figure for
                             what arrived, not a bill */
} ea_cost;

extern const char ea_prices_default_json[];

/* The compiled-in table, replaced by the user's prices.json when that file exists. */
ea_prices *ea_prices_load(ea_err *err);
ea_prices *ea_prices_parse(const char *json, ea_err *err);
void ea_prices_free(ea_prices **p);
/* Where the table came from: "built-in" or a path. Borrowed. */
const char *ea_prices_source(const ea_prices *p);

/* Estimate for a resolved ea_params (size, quality, n, partials, prompt length). */
void ea_prices_estimate(const ea_prices *p, const ea_params *params, ea_estimate *out);
/* What a budget checks: the most the call may cost (usd_max), NAN when not known. */
double ea_estimate_bound(const ea_estimate *e);
/* The estimate as one reads it, amounts with `decimals` digits: "$0.2130", a range where the
 * count of images is not known ("$0.39–$2.06, up to 8 images"), or "unknown". */
void ea_estimate_text(const ea_estimate *e, int decimals, char *out, size_t size);
/* Exact cost from usage tokens; false when the model's token prices are not in the table. */
bool ea_prices_cost(const ea_prices *p, const char *model, const ea_usage *u, double *usd);
/* The cost of a finished call: text_model NULL for the Images API (usage at model's rates);
 * else usage at text_model's rates plus tool_usage at model's, or, when the response had no
 * tool_usage or the table cannot price it, image_estimate_usd (NAN: nothing to estimate)
 * marked as estimated. */
void ea_prices_call_cost(const ea_prices *p, const char *model, const char *text_model,
                         const ea_meters *m, double image_estimate_usd, ea_cost *out);
/* The text model's price of one web search (per_web_search), or NAN. */
double ea_prices_search_usd(const ea_prices *p, const char *text_model);
/* The reasoning tokens an estimate allows for an effort (none 0 ... max 32000): not a
 * measure, a bound the bill should stay under on an everyday prompt. */
long ea_prices_reasoning_allowance(const char *effort);
/* Output tokens of one final image of this size and quality (the mock reports these). */
long ea_prices_image_tokens(const ea_prices *p, const char *model, int w, int h, const char *quality);
long ea_prices_partial_tokens(const ea_prices *p, const char *model);
/* Input tokens of one input image of w x h pixels (the vision tile rule: 65, plus 129 for
 * each 512-pixel tile); 65 when the size is unknown (0). */
long ea_prices_input_image_tokens(int w, int h);
/* Adds `tokens` input image tokens to an estimate of ea_prices_estimate (which leaves input
 * images out, as it has no files), at the model's image_input price, and says so in basis. */
void ea_prices_add_input_images(const ea_prices *p, const char *model, int images, long tokens,
                                ea_estimate *est);

#endif
