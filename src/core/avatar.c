/* SPDX-License-Identifier: MIT */
/* avatar: the avatar view's sheet layout (include/easel/avatar.h). */
#include "easel/avatar.h"

#include <stdio.h>
#include <string.h>

const int ea_avatar_px[EA_AVATAR_SIZES] = {32, 64, 128};

/* The width of the first k sizes side by side, gaps between. */
static int row_width(int k)
{
    int w = 0;
    for (int i = 0; i < k; i++)
        w += ea_avatar_px[i] + (i > 0 ? EA_AVATAR_GAP : 0);
    return w;
}

static bool fits(int w, int h, int squares, int circles, bool one_row)
{
    int tall = ea_avatar_px[squares - 1];
    if (circles == 0)
        return w >= row_width(squares) && h >= tall;
    if (one_row)
        return w >= row_width(squares) + EA_AVATAR_GAP + row_width(circles) && h >= tall;
    return w >= row_width(squares) && h >= tall + EA_AVATAR_GAP + ea_avatar_px[circles - 1];
}

/* Every size of a shape on one line, bottoms on the baseline `base`, from x0. */
static void place_row(ea_avatar_sheet *s, int count, bool circle, int x0, int base)
{
    for (int i = 0; i < count; i++) {
        s->spot[s->n++] = (ea_avatar_spot){.px = ea_avatar_px[i], .circle = circle, .x = x0,
                                           .y = base - ea_avatar_px[i]};
        x0 += ea_avatar_px[i] + EA_AVATAR_GAP;
    }
}

int ea_avatar_layout(int w, int h, ea_avatar_sheet *out)
{
    memset(out, 0, sizeof *out);
    /* Fullest first; a size leaves its circle behind before its square. */
    for (int k = 2 * EA_AVATAR_SIZES; k >= 1; k--) {
        int squares = (k + 1) / 2, circles = k / 2;
        for (int layout = 0; layout < 2; layout++) {
            bool one_row = layout == 0;
            if (!fits(w, h, squares, circles, one_row))
                continue;
            int tall = ea_avatar_px[squares - 1];
            out->squares = squares;
            out->circles = circles;
            out->one_row = one_row || circles == 0;
            place_row(out, squares, false, 0, tall);
            if (one_row)
                place_row(out, circles, true, row_width(squares) + EA_AVATAR_GAP, tall);
            else
                place_row(out, circles, true, 0, tall + EA_AVATAR_GAP + ea_avatar_px[circles - 1]);
            return 0;
        }
    }
    return -1;
}

/* "32, 64, 128" for the first k sizes. */
static void list_sizes(int first, int last, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = first; i < last && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%d", i > first ? ", " : "", ea_avatar_px[i]);
}

void ea_avatar_describe(const ea_avatar_sheet *s, char *buf, size_t size)
{
    char sq[32], ci[32], gone[64];
    if (s->squares == EA_AVATAR_SIZES && s->circles == EA_AVATAR_SIZES) {
        list_sizes(0, EA_AVATAR_SIZES, sq, sizeof sq);
        snprintf(buf, size, "avatar sizes %s px · square and circle", sq);
        return;
    }
    list_sizes(0, s->squares, sq, sizeof sq);
    list_sizes(0, s->circles, ci, sizeof ci);
    /* What is left out, largest size first: "128 px circle", "64, 128 px square and circle". */
    size_t used = 0;
    gone[0] = '\0';
    if (s->squares < EA_AVATAR_SIZES) {
        char both[32];
        list_sizes(s->squares, EA_AVATAR_SIZES, both, sizeof both);
        used = (size_t)snprintf(gone, sizeof gone, "%s px square and circle", both);
    }
    if (s->circles < s->squares && used < sizeof gone) {
        char only[32];
        list_sizes(s->circles, s->squares, only, sizeof only);
        snprintf(gone + used, sizeof gone - used, "%s%s px circle", used ? ", " : "", only);
    }
    /* The news first: a narrow preview's caption is cut at its end. */
    if (s->circles > 0)
        snprintf(buf, size, "avatar, no room for %s · %s px; circle %s px", gone, sq, ci);
    else
        snprintf(buf, size, "avatar, no room for %s · %s px square", gone, sq);
}
