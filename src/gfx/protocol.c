/* SPDX-License-Identifier: MIT */
#include "easel/gfx_protocol.h"

#include <string.h>

static const char *const names[] = {"blocks", "sixel", "kitty", "iterm"};

const char *ea_gfx_protocol_name(enum ea_gfx_protocol p)
{
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "blocks";
}

int ea_gfx_protocol_parse(const char *name, enum ea_gfx_protocol *out)
{
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum ea_gfx_protocol)i;
            return 0;
        }
    return -1;
}
