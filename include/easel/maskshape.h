/* SPDX-License-Identifier: MIT */
/* maskshape: the regions of an edit mask drawn with the keyboard (rectangles and ellipses in
 * image-relative coordinates, 0..1 each way), their rasterisation into an RGBA mask at the
 * image's size (white where the edit repaints, black where it keeps: the convention of
 * `easel generate --mask`), and their overlay on the preview's picture. Pure: libc only. */
#ifndef EASEL_MASKSHAPE_H
#define EASEL_MASKSHAPE_H

#include <stdbool.h>
#include <stddef.h>

#define EA_MASK_MAX_REGIONS 16

enum ea_mask_kind { EA_MASK_RECT, EA_MASK_ELLIPSE };

/* A region by its centre and its size, all fractions of the image's width and height. */
typedef struct ea_mask_region {
    enum ea_mask_kind kind;
    double cx, cy, w, h;
} ea_mask_region;

typedef struct ea_mask_shape {
    ea_mask_region r[EA_MASK_MAX_REGIONS];
    int n;
    int cur;        /* the region the keys move (-1: none) */
    bool inverted;  /* repaint outside the regions instead of inside */
} ea_mask_shape;

void ea_mask_init(ea_mask_shape *m);
/* A new region, centred at a default size, becomes the current one; -1 when full. */
int ea_mask_add(ea_mask_shape *m, enum ea_mask_kind kind);
/* The current region moved or resized by fractions of the image; it stays on the image and
 * at least EA_MASK_MIN across. */
#define EA_MASK_MIN 0.02
void ea_mask_move(ea_mask_shape *m, double dx, double dy);
void ea_mask_resize(ea_mask_shape *m, double dw, double dh);
void ea_mask_next(ea_mask_shape *m);
void ea_mask_delete(ea_mask_shape *m);
/* Same regions, current region and inversion: the same mask to draw. Field by field, since a
 * struct's padding makes memcmp unreliable. */
bool ea_mask_equal(const ea_mask_shape *a, const ea_mask_shape *b);
/* True when the point (fractions of the image) is repainted. */
bool ea_mask_covers(const ea_mask_shape *m, double u, double v);
/* The mask at w x h into rgba (w * h * 4 bytes): white and opaque where repainted, black and
 * opaque elsewhere. A pixel counts by its centre. */
void ea_mask_rasterise(const ea_mask_shape *m, int w, int h, unsigned char *rgba);
/* The overlay that shows the mask on a picture w x h (the preview's, already fitted, so lines
 * are whole screen pixels): the repainted area (ea_mask_covers, by pixel centres) blended
 * EA_MASK_TINT_PCT% with ea_mask_tint_rgb, then every region outlined EA_MASK_OUTLINE_PX px
 * deep inside its edge (or the picture's, where it runs off), the outer half ea_mask_edge_rgb
 * and the inner half light (the current region's colour, or the others'), so the line shows on
 * dark and light pictures alike. The current region's line is drawn over the others'. Alpha
 * is left as it is. */
#define EA_MASK_TINT_PCT 40
#define EA_MASK_OUTLINE_PX 2
extern const unsigned char ea_mask_tint_rgb[3], ea_mask_edge_rgb[3], ea_mask_current_rgb[3],
    ea_mask_other_rgb[3];
void ea_mask_overlay(const ea_mask_shape *m, int w, int h, unsigned char *rgba);
/* "rect 50%,50% 40x40%": a region for a caption; returns out. */
const char *ea_mask_describe(const ea_mask_region *r, char *out, size_t size);

#endif
