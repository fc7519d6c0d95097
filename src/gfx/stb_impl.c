/* SPDX-License-Identifier: MIT */
/* stb_impl: the one translation unit that compiles stb_image and stb_image_resize.
 *
 * Only the PNG decoder is built: JPEG goes through libjpeg-turbo (stb_image 2.27's JPEG decoder
 * overflows on a crafted Huffman table: see image.c), WebP through libwebp, and every other
 * format stb knows (GIF, PSD, TGA, HDR ...) is attack surface the API never sends us. Files are read
 * by image.c, so stb's stdio loaders are left out too.
 *
 * stb_image allocates through a byte budget (stb_budget.h) that ea_image_decode sets from the
 * image's dimensions: a PNG whose IHDR says 1024x1024 but whose zlib stream inflates to 4 GB
 * is refused after a few tens of megabytes. The allocations are still plain malloc blocks
 * (no header in front), so image.c takes ownership of the pixels stbi_load_from_memory returns
 * and releases them with free() like any other ea_image. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "stb_budget.h"

/* The budget of the decode running on this thread; each thread decodes one image at a time. */
static _Thread_local size_t budget_limit;   /* 0: no budget */
static _Thread_local size_t budget_charged;
static _Thread_local bool budget_refused;

void ea_stb_budget_begin(size_t budget)
{
    budget_limit = budget;
    budget_charged = 0;
    budget_refused = false;
}

bool ea_stb_budget_end(size_t *charged)
{
    bool refused = budget_refused;
    if (charged)
        *charged = budget_charged;
    budget_limit = 0;
    budget_charged = 0;
    budget_refused = false;
    return refused;
}

/* Charges n more bytes; false (and nothing charged) when that would pass the budget. */
static bool charge(size_t n)
{
    if (budget_limit == 0)
        return true;
    if (n > budget_limit - budget_charged) {
        budget_refused = true;
        return false;
    }
    budget_charged += n;
    return true;
}

static void *budget_malloc(size_t n)
{
    return charge(n) ? malloc(n) : NULL;
}

/* stb passes the old size to every realloc it does (STBI_REALLOC_SIZED): only growth is
 * charged. */
static void *budget_realloc(void *p, size_t old_size, size_t new_size)
{
    if (new_size > old_size && !charge(new_size - old_size))
        return NULL;
    return realloc(p, new_size);
}

#define STBI_MALLOC(size) budget_malloc(size)
#define STBI_REALLOC_SIZED(p, old_size, new_size) budget_realloc(p, old_size, new_size)
#define STBI_FREE(p) free(p)
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STB_IMAGE_IMPLEMENTATION

#define STBIR_MALLOC(size, context) ((void)(context), malloc(size))
#define STBIR_FREE(p, context) ((void)(context), free(p))
#define STB_IMAGE_RESIZE_IMPLEMENTATION

/* Third-party code: its warnings are not ours to fix, and -Werror must not trip on them.
 * Today only -Wmissing-prototypes fires (stb's internal helpers are non-static). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <stb_image.h>
#include <stb_image_resize.h>
#pragma GCC diagnostic pop
