/* SPDX-License-Identifier: MIT */
/* provenance: whether an image file carries a C2PA manifest (Content Credentials), found by
 * walking the container's structure without decoding or changing anything. Pure; libc only. */
#ifndef EASEL_PROVENANCE_H
#define EASEL_PROVENANCE_H

/*
 * Where C2PA puts its manifest store (C2PA specification, "Embedding manifests"):
 *   PNG   a `caBX` chunk
 *   JPEG  APP11 segments holding JUMBF boxes (the "JP" common identifier, then a `jumb`
 *         superbox whose description box is labelled "c2pa")
 *   WebP  a `C2PA` chunk in the RIFF container
 * Only the structure is checked: the manifest's signatures are not validated.
 */

#include <stddef.h>

enum ea_c2pa_state {
    EA_C2PA_ABSENT,      /* a well-formed file of a known format, with no manifest */
    EA_C2PA_PRESENT,
    EA_C2PA_UNKNOWN,     /* not PNG, JPEG or WebP, or cut short before the answer */
};

typedef struct ea_c2pa_info {
    enum ea_c2pa_state state;
    const char *format;  /* "png", "jpeg", "webp", or "" */
    size_t offset;       /* PRESENT: where the (first) manifest chunk or segment starts */
    size_t bytes;        /* PRESENT: its size, the whole of it across JPEG segments */
    char where[96];      /* "PNG caBX chunk at byte 33 (5120 bytes)", "no C2PA manifest" ... */
} ea_c2pa_info;

void ea_c2pa_detect(const unsigned char *data, size_t len, ea_c2pa_info *out);

#endif
