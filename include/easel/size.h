/* SPDX-License-Identifier: MIT */
/* size: image sizes as the user writes them (WxH, auto, or an aspect ratio W:H) and the
 * model's rules for them; a ratio becomes the nearest size the model accepts. Pure logic. */
#ifndef EASEL_SIZE_H
#define EASEL_SIZE_H

#include <stddef.h>

#include "easel/err.h"
#include "easel/models.h"

enum ea_size_kind { EA_SIZE_AUTO = 0, EA_SIZE_EXACT, EA_SIZE_RATIO };

typedef struct ea_size {
    enum ea_size_kind kind;
    int w, h;   /* pixels for EXACT, the ratio's terms for RATIO, 0 for AUTO */
} ea_size;

/* Parses "auto", "1536x864" or "16:9"; on failure sets err (EA_EXIT_USAGE) naming the value. */
int ea_size_parse(const char *text, ea_size *out, ea_err *err);
/* 0 when model m takes the exact size; otherwise -1 and a rule in why ("both sides must be
 * multiples of 16"). */
int ea_size_check(const ea_model_info *m, int w, int h, char *why, size_t why_len);
/* The valid size for m nearest to the ratio rw:rh: the closest ratio first, then the pixel
 * count closest to 1024x1024's. Ratios beyond the model's limit snap to the limit. */
ea_size ea_size_for_ratio(const ea_model_info *m, int rw, int rh);
/* "1024x1024" or "auto" into out. */
void ea_size_format(ea_size s, char *out, size_t len);

#endif
