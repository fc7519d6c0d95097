/* SPDX-License-Identifier: MIT */
/* models: the one table of per-model rules (sizes, qualities, formats, fields each takes).
 * Entries are static; lookups return borrowed pointers that live for the whole process. */
#ifndef EASEL_MODELS_H
#define EASEL_MODELS_H

#include <stdbool.h>

enum ea_support { EA_NO = 0, EA_PREVIEW, EA_YES };

typedef struct ea_model_info {
    const char *id;              /* as sent on the wire, e.g. "gpt-image-2" */
    const char *price_key;       /* the entry of the price table; snapshots share their base's */
    bool flexible_sizes;         /* any WxH within the limits below, else the standard three */
    int edge_multiple;           /* flexible sizes: both sides a multiple of this */
    int max_edge;                /* flexible sizes: longest side at most this */
    double max_ratio;            /* flexible sizes: long:short at most this */
    long min_pixels, max_pixels; /* flexible sizes: total pixels in this range */
    long experimental_pixels;    /* flexible sizes: above this the API calls it experimental */
    const char *const *qualities; /* NULL-terminated */
    const char *const *formats;   /* NULL-terminated; gif and svg never stream */
    bool input_fidelity;         /* takes the input_fidelity field */
    enum ea_support transparent; /* background=transparent */
    const char *retired;         /* NULL, or why the model cannot be used any more */
} ea_model_info;

/* The entry for id, or NULL when the model is not in the table. */
const ea_model_info *ea_model_find(const char *id);
/* The generic GPT-image rules used for models easel does not know. */
const ea_model_info *ea_model_generic(void);
/* All known entries, for help text and tests. */
const ea_model_info *ea_model_table(int *count);
/* How easel treats a model a backend lists (`easel models`): by its rule-table entry, or,
 * for an image model the table lacks, the generic rules; a model that is not an image model
 * by its name (gpt-image*, chatgpt-image*, dall-e*) is another kind (text, audio...). */
enum ea_model_mark { EA_MARK_KNOWN, EA_MARK_UNKNOWN, EA_MARK_RETIRED, EA_MARK_OTHER };
enum ea_model_mark ea_model_mark_of(const char *id);
const char *ea_model_mark_name(enum ea_model_mark mark); /* "known", "unknown", ... */
bool ea_model_takes_quality(const ea_model_info *m, const char *quality);
bool ea_model_takes_format(const ea_model_info *m, const char *format);

/* The Responses mainline ("text") models and the reasoning efforts each takes (protocol.md
 * 15: not every model takes every effort). A dated snapshot ("gpt-5.4-2026-03-05") takes
 * its base model's entry. */
typedef struct ea_text_model_info {
    const char *id;
    const char *const *efforts;  /* NULL-terminated */
} ea_text_model_info;

/* The entry for id (or its snapshot's base), or NULL when easel does not know the model. */
const ea_text_model_info *ea_text_model_find(const char *id);
/* Every effort the API names: what an unknown text model is checked against. */
const ea_text_model_info *ea_text_model_generic(void);
const ea_text_model_info *ea_text_model_table(int *count);
bool ea_text_model_takes_effort(const ea_text_model_info *m, const char *effort);

#endif
