/* SPDX-License-Identifier: MIT */
/* draft: what the workbench holds for a session and has not sent: the prompt typed, the images
 * attached and the parameter panel's values (design.md 7, "Drafts"); as JSON for session.json
 * (`draft`), and the file that keeps the draft of a session not created yet. */
#ifndef EASEL_DRAFT_H
#define EASEL_DRAFT_H

/*
 * The JSON is one object: {"prompt": TEXT, "images": [PATH...], "images_once": BOOL,
 * "params": {OPTION: VALUE...}}, OPTION being `easel generate`'s long option ("quality",
 * "text-model", "mask"). Keys are sorted, so the same draft always gives the same text (the
 * workbench compares texts to know whether there is anything to save). Reading is lenient:
 * unknown fields, and values of the wrong type, are skipped, as a draft is never worth
 * refusing a session over.
 */

#include <stdbool.h>
#include <stddef.h>

#include "easel/buf.h"
#include "easel/err.h"
#include "easel/params.h"

#define EA_DRAFT_MAX_PARAMS 32

typedef struct ea_draft_entry {
    char *name, *value; /* owned */
} ea_draft_entry;

typedef struct ea_draft {
    char *prompt;                 /* owned; "" after init */
    char *images[EA_MAX_IMAGES];  /* owned paths */
    int n_images;
    bool images_once;             /* the first image (and the mask) is for the next send only */
    ea_draft_entry params[EA_DRAFT_MAX_PARAMS];
    size_t n_params;
} ea_draft;

/* init: empty; -1 out of memory. free: releases and leaves it empty (init again to reuse). */
int ea_draft_init(ea_draft *d);
void ea_draft_free(ea_draft *d);
/* Setters copy; -1 out of memory, or no room left (images, params). A NULL or "" value removes
 * the parameter. */
int ea_draft_set_prompt(ea_draft *d, const char *prompt);
int ea_draft_add_image(ea_draft *d, const char *path);
int ea_draft_set_param(ea_draft *d, const char *name, const char *value);
/* NULL when not set. */
const char *ea_draft_param(const ea_draft *d, const char *name);
/* Nothing typed, attached or set. */
bool ea_draft_is_empty(const ea_draft *d);

/* Appends the JSON object (pure ASCII, keys sorted) to out. */
int ea_draft_to_json(const ea_draft *d, ea_buf *out);
/* Fills d (initialized by the caller, emptied first) from a JSON object's text. */
int ea_draft_from_json(const char *text, size_t n, ea_draft *d, ea_err *err);

/* The draft of the workbench's session not created yet (typed before the first send):
 * $XDG_DATA_HOME/easel/draft.json, mode 0600, written to a temp file and renamed. Saving an
 * empty draft removes the file. load: 1 found (d filled), 0 none, -1 with err. */
int ea_draft_file_save(const ea_draft *d, ea_err *err);
int ea_draft_file_load(ea_draft *d, ea_err *err);

#endif
