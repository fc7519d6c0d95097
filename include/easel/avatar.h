/* SPDX-License-Identifier: MIT */
/* avatar: where the workbench's avatar view puts its renditions (the image at 32, 64 and 128 px,
 * square and round) on a sheet of a given pixel size: as many as fit at their exact size. Pure. */
#ifndef EASEL_AVATAR_H
#define EASEL_AVATAR_H

#include <stdbool.h>
#include <stddef.h>

#define EA_AVATAR_SIZES 3
#define EA_AVATAR_GAP 16
extern const int ea_avatar_px[EA_AVATAR_SIZES]; /* 32, 64, 128: smallest first */

typedef struct ea_avatar_spot {
    int px;      /* the rendition's side */
    bool circle; /* cut round, else square */
    int x, y;    /* its top-left corner on the sheet */
} ea_avatar_spot;

typedef struct ea_avatar_sheet {
    int squares, circles; /* how many sizes of each shape fit, smallest first (0..3) */
    bool one_row;         /* squares then circles on one line, else circles under squares */
    int n;
    ea_avatar_spot spot[2 * EA_AVATAR_SIZES];
} ea_avatar_sheet;

/* The fullest layout that fits a w x h sheet. A size too big to fit is left out, the circle
 * first (a round 128 px avatar is the least needed of the six); nothing is ever scaled. -1
 * when not even a 32 px square fits. */
int ea_avatar_layout(int w, int h, ea_avatar_sheet *out);

/* What the sheet shows, for the preview's caption: "avatar sizes 32, 64, 128 px · square and
 * circle" when all six fit, else what is left out, then what is shown: "avatar, no room for 128 px
 * circle · 32, 64, 128 px; circle 32, 64 px". */
void ea_avatar_describe(const ea_avatar_sheet *sheet, char *buf, size_t size);

#endif
