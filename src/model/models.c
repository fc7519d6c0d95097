/* SPDX-License-Identifier: MIT */
#include "easel/models.h"

#include <string.h>

/* Qualities and formats per family. gif and svg exist on the 2.5+ models (protocol.md 10). */
static const char *const qualities_gpt[] = {"low", "medium", "high", "auto", NULL};
static const char *const qualities_25[] = {"low", "medium", "high", "xhigh", "max", "auto", NULL};
static const char *const formats_raster[] = {"png", "jpeg", "webp", NULL};
static const char *const formats_25[] = {"png", "jpeg", "webp", "gif", "svg", NULL};

/* gpt-image-2 sizes (protocol.md 8 and 12): multiples of 16, long edge <= 3840, ratio <= 3:1,
 * 655,360 to 8,294,400 pixels; above 2560x1440 is experimental. The 2.5 and 2.6 families are
 * assumed to keep these limits until OpenAI says otherwise. */
#define FLEXIBLE_SIZES true, 16, 3840, 3.0, 655360L, 8294400L, 3686400L
#define STANDARD_SIZES false, 0, 0, 0.0, 0L, 0L, 0L

/* input_fidelity on gpt-image-2: the model always works at high fidelity and the API refuses
 * the field (issue 2), although protocol.md 8 quotes "1.5 and later"; the issue is newer. */
static const ea_model_info table[] = {
    {"gpt-image-2", "gpt-image-2", FLEXIBLE_SIZES, qualities_gpt, formats_raster, false,
     EA_PREVIEW, NULL},
    {"gpt-image-2-2026-04-21", "gpt-image-2", FLEXIBLE_SIZES, qualities_gpt, formats_raster,
     false, EA_PREVIEW, NULL},
    {"gpt-image-2.5-sunburst", "gpt-image-2.5-sunburst", FLEXIBLE_SIZES, qualities_25, formats_25,
     false, EA_YES, NULL},
    {"gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.5-sunburst", FLEXIBLE_SIZES, qualities_25,
     formats_25, false, EA_YES, NULL},
    {"gpt-image-2.5-flare", "gpt-image-2.5-flare", FLEXIBLE_SIZES, qualities_25, formats_25, false,
     EA_YES, NULL},
    {"gpt-image-2.5-flare-2026-09-08", "gpt-image-2.5-flare", FLEXIBLE_SIZES, qualities_25,
     formats_25, false, EA_YES, NULL},
    {"gpt-image-2.6-sunburst", "gpt-image-2.6-sunburst", FLEXIBLE_SIZES, qualities_25, formats_25,
     false, EA_YES, NULL},
    {"gpt-image-2.6-flare", "gpt-image-2.6-flare", FLEXIBLE_SIZES, qualities_25, formats_25, false,
     EA_YES, NULL},
    {"gpt-image-1.5", "gpt-image-1.5", STANDARD_SIZES, qualities_gpt, formats_raster, true, EA_YES,
     NULL},
    {"chatgpt-image-latest", "chatgpt-image-latest", STANDARD_SIZES, qualities_gpt,
     formats_raster, true, EA_YES, NULL},
    {"gpt-image-1-mini", "gpt-image-1-mini", STANDARD_SIZES, qualities_gpt, formats_raster, false,
     EA_YES, NULL},
    {"gpt-image-1", "gpt-image-1", STANDARD_SIZES, qualities_gpt, formats_raster, true, EA_YES,
     "gpt-image-1 was shut down on 2026-10-23; use gpt-image-2"},
    {"dall-e-3", "dall-e-3", STANDARD_SIZES, qualities_gpt, formats_raster, false, EA_NO,
     "dall-e-3 was retired on 2026-05-12; use gpt-image-2"},
    {"dall-e-2", "dall-e-2", STANDARD_SIZES, qualities_gpt, formats_raster, false, EA_NO,
     "dall-e-2 was retired on 2026-05-12; use gpt-image-2"},
};

/* What every GPT image model takes: the standard sizes, the four qualities, raster formats. */
static const ea_model_info generic = {"(unknown)", "", STANDARD_SIZES, qualities_gpt,
                                      formats_raster, true, EA_YES, NULL};

const ea_model_info *ea_model_find(const char *id)
{
    for (size_t i = 0; id && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].id, id) == 0)
            return &table[i];
    return NULL;
}

const ea_model_info *ea_model_generic(void)
{
    return &generic;
}

const ea_model_info *ea_model_table(int *count)
{
    *count = (int)(sizeof table / sizeof table[0]);
    return table;
}

static bool in_list(const char *const *list, const char *value)
{
    for (; value && *list; list++)
        if (strcmp(*list, value) == 0)
            return true;
    return false;
}

bool ea_model_takes_quality(const ea_model_info *m, const char *quality)
{
    return in_list(m->qualities, quality);
}

bool ea_model_takes_format(const ea_model_info *m, const char *format)
{
    return in_list(m->formats, format);
}

/* Efforts per text model. The API names seven (protocol.md 15); which model takes which is
 * what OpenAI's model pages said in 2026: the gpt-5 family started at minimal and stopped at
 * high, gpt-5.4 dropped minimal for none and added xhigh, gpt-5.5 added max. */
static const char *const efforts_all[] = {"none", "minimal", "low", "medium", "high",
                                          "xhigh", "max", NULL};
static const char *const efforts_5[] = {"minimal", "low", "medium", "high", NULL};
static const char *const efforts_54[] = {"none", "low", "medium", "high", "xhigh", NULL};
static const char *const efforts_55[] = {"none", "low", "medium", "high", "xhigh", "max", NULL};

static const ea_text_model_info text_table[] = {
    {"gpt-5.4", efforts_54},
    {"gpt-5.4-mini", efforts_54},
    {"gpt-5.5", efforts_55},
    {"gpt-5", efforts_5},
    {"gpt-5-mini", efforts_5},
};

static const ea_text_model_info text_generic = {"(unknown)", efforts_all};

/* "gpt-5.4-2026-03-05" -> the length of "gpt-5.4", or 0 when id has no date suffix. */
static size_t snapshot_base_len(const char *id)
{
    size_t n = strlen(id);
    if (n < 12 || id[n - 11] != '-' || id[n - 6] != '-' || id[n - 3] != '-')
        return 0;
    for (size_t i = n - 10; i < n; i++)
        if (i != n - 6 && i != n - 3 && (id[i] < '0' || id[i] > '9'))
            return 0;
    return n - 11;
}

const ea_text_model_info *ea_text_model_find(const char *id)
{
    size_t base = id ? snapshot_base_len(id) : 0;
    for (size_t i = 0; id && i < sizeof text_table / sizeof text_table[0]; i++) {
        const char *t = text_table[i].id;
        if (strcmp(t, id) == 0 || (base && strlen(t) == base && strncmp(t, id, base) == 0))
            return &text_table[i];
    }
    return NULL;
}

const ea_text_model_info *ea_text_model_generic(void)
{
    return &text_generic;
}

const ea_text_model_info *ea_text_model_table(int *count)
{
    *count = (int)(sizeof text_table / sizeof text_table[0]);
    return text_table;
}

bool ea_text_model_takes_effort(const ea_text_model_info *m, const char *effort)
{
    return in_list(m->efforts, effort);
}

enum ea_model_mark ea_model_mark_of(const char *id)
{
    static const char *const image_prefixes[] = {"gpt-image", "chatgpt-image", "dall-e"};
    const ea_model_info *m = ea_model_find(id);
    if (m)
        return m->retired ? EA_MARK_RETIRED : EA_MARK_KNOWN;
    for (size_t i = 0; id && i < sizeof image_prefixes / sizeof image_prefixes[0]; i++)
        if (strncmp(id, image_prefixes[i], strlen(image_prefixes[i])) == 0)
            return EA_MARK_UNKNOWN;
    return EA_MARK_OTHER;
}

const char *ea_model_mark_name(enum ea_model_mark mark)
{
    switch (mark) {
    case EA_MARK_KNOWN: return "known";
    case EA_MARK_UNKNOWN: return "unknown";
    case EA_MARK_RETIRED: return "retired";
    case EA_MARK_OTHER: break;
    }
    return "other";
}
