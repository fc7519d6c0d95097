/* SPDX-License-Identifier: MIT */
/* params: every option of `easel generate` as data (one descriptor table that drives the
 * command line, the help text and the mock's request parser) plus the rules checked before
 * anything is sent. An ea_params owns all its strings; ea_params_free releases them. */
#ifndef EASEL_PARAMS_H
#define EASEL_PARAMS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "easel/err.h"
#include "easel/models.h"
#include "easel/size.h"

#define EA_PROMPT_MAX_CHARS 32000
#define EA_MAX_IMAGES 16
#define EA_MAX_DOCUMENTS 8
#define EA_MAX_WARNINGS 8
/* A number the user did not give: distinct from every value they could type (0 and -1 are
 * values to refuse, not "absent"). */
#define EA_UNSET INT_MIN

enum ea_api { EA_API_RESPONSES = 0, EA_API_IMAGES };

typedef struct ea_params {
    char *prompt;
    char *model;            /* default "gpt-image-2" */
    char *text_model;       /* Responses mainline model; default "gpt-5.4" */
    char *size_text;        /* as the user wrote it, for messages; NULL when not given */
    ea_size size;           /* after ea_params_resolve: AUTO or EXACT, never RATIO */
    char *quality;          /* NULL: not sent (the API's auto) */
    int n;                  /* EA_UNSET: not given (one image) */
    char *format;           /* output_format; NULL: not sent (png) */
    int compression;        /* output_compression; EA_UNSET: not given */
    char *background;       /* NULL, transparent, opaque or auto */
    char *moderation;       /* NULL, auto or low */
    int partials;           /* partial_images; EA_UNSET: not given */
    enum ea_api api;
    char *action;           /* Responses tool action: NULL, auto, generate or edit */
    char *input_fidelity;   /* NULL, high or low */
    char *images[EA_MAX_IMAGES]; /* paths of reference images or the image to edit */
    int n_images;
    char *mask;             /* path of the mask, or NULL */
    bool stream;            /* default true: partial frames, progress and cancel need it */
    /* Responses API, streamed: `background: true`, so the turn outlives its connection and
     * can be resumed (config `background`, --no-background). Default true. */
    bool background_mode;
    /* Thinking turns (protocol.md 15), Responses API only: the mainline model's reasoning
     * effort (NULL: not sent; with one, a summary is asked for), the web_search tool beside
     * the image tool, and documents sent as input_file parts. */
    char *reasoning;
    bool web_search;
    char *documents[EA_MAX_DOCUMENTS];
    int n_documents;
} ea_params;

typedef struct ea_warnings {
    int count;
    char text[EA_MAX_WARNINGS][256];
} ea_warnings;

/* One option of `easel generate`. Each maps to a wire field unless wire is NULL. An option
 * without a metavar is a switch: it takes no argument on the command line, and its setter
 * gets "on" (or "off" from the config and the parameter panel). */
typedef struct ea_param_desc {
    const char *wire;      /* JSON field / multipart part name, or NULL for client-only options */
    const char *long_opt;  /* without the dashes */
    char short_opt;        /* 0 when none */
    const char *metavar;
    const char *help;
    int (*set)(ea_params *p, const char *value, ea_err *err);
} ea_param_desc;

void ea_params_init(ea_params *p);
void ea_params_free(ea_params *p);

const ea_param_desc *ea_param_table(size_t *count);
const ea_param_desc *ea_param_by_wire(const char *wire);
const ea_param_desc *ea_param_by_long(const char *long_opt);
const ea_param_desc *ea_param_by_short(char short_opt);

/* Syntax checks only (numbers parse, a size is WxH/auto/W:H): sets the field or fails with
 * EA_EXIT_USAGE and a message naming the parameter and the value. */
int ea_params_set(ea_params *p, const ea_param_desc *d, const char *value, ea_err *err);
int ea_params_set_prompt(ea_params *p, const char *prompt, ea_err *err);
int ea_params_add_image(ea_params *p, const char *path, ea_err *err);
int ea_params_add_document(ea_params *p, const char *path, ea_err *err);
/* True for a turn that asks the mainline model to think, search or read: reasoning, web
 * search or documents. */
bool ea_params_thinking(const ea_params *p);

/* The rules of the model (or the generic GPT-image rules, with a warning, for an unknown one):
 * turns a ratio into the nearest valid size, then checks every field. On failure err names
 * the parameter, the value and the rule (EA_EXIT_USAGE). Warnings (experimental sizes,
 * preview features, unknown model) go to warn, which may be NULL. */
int ea_params_resolve(ea_params *p, ea_warnings *warn, ea_err *err);

/* The rules that apply to p->model: its table entry or the generic one. */
const ea_model_info *ea_params_model(const ea_params *p);
/* Number of images one call returns (n, or 1). */
int ea_params_count(const ea_params *p);
/* The image calls one thinking turn may make: the mainline model chooses how many
 * (protocol.md 15; "up to 8 consistent images" in ChatGPT's thinking mode), and the request
 * has no field that fixes the count. */
#define EA_THINKING_IMAGES_MAX 8
/* The most images the call may return: EA_THINKING_IMAGES_MAX for a thinking turn, whose
 * count is not known before it ends, else ea_params_count. */
int ea_params_images_max(const ea_params *p);
int ea_params_partials(const ea_params *p);
const char *ea_params_format(const ea_params *p); /* "png" when not given */
/* True for an edit: images were attached (Images API edits endpoint). */
bool ea_params_is_edit(const ea_params *p);

void ea_warn(ea_warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
