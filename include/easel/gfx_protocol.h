/* SPDX-License-Identifier: MIT */
/* gfx_protocol: the ways easel can put a picture on a terminal, shared by detection (term.h)
 * and the encoders (gfx.h). */
#ifndef EASEL_GFX_PROTOCOL_H
#define EASEL_GFX_PROTOCOL_H

enum ea_gfx_protocol {
    EA_GFX_BLOCKS = 0, /* Unicode half blocks with colours: works everywhere */
    EA_GFX_SIXEL,
    EA_GFX_KITTY,
    EA_GFX_ITERM,
};

/* "blocks", "sixel", "kitty", "iterm". */
const char *ea_gfx_protocol_name(enum ea_gfx_protocol p);
/* 0 and *out set for a known name; -1 otherwise. */
int ea_gfx_protocol_parse(const char *name, enum ea_gfx_protocol *out);

#endif
