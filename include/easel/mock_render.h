/* SPDX-License-Identifier: MIT */
/* mock_render: the offline backend's pictures. Deterministic from the prompt (colours and
 * shapes from its words, the words drawn in, an "offline stand-in" banner), an edit visibly
 * derived from its source, and partial frames that sharpen step by step. */
#ifndef EASEL_MOCK_RENDER_H
#define EASEL_MOCK_RENDER_H

#include <stdbool.h>

#include "easel/err.h"
#include "easel/image.h"

typedef struct ea_mock_scene {
    const char *prompt;
    int w, h;
    const ea_image *source; /* the image being edited, or NULL for a generation */
    const ea_image *mask;   /* alpha 0 marks where to repaint; NULL repaints everywhere */
    bool transparent;       /* leave the background transparent */
    int variant;            /* 0..n-1 when one call asks for n images */
} ea_mock_scene;

int ea_mock_render(const ea_mock_scene *scene, ea_image *out, ea_err *err);
/* Partial frame index (0-based) of total: coarse for the first, finer for each next. */
int ea_mock_partial(const ea_image *final, int index, int total, ea_image *out, ea_err *err);

#endif
