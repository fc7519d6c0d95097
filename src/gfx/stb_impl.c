/* SPDX-License-Identifier: MIT */
/* stb_impl: the one translation unit that compiles stb_image_resize (growing a small picture
 * to its box). No decoder of stb's is built any more: PNG goes through libspng, JPEG through
 * libjpeg-turbo (stb_image 2.27's JPEG decoder overflows on a crafted Huffman table: see
 * image.c), WebP through libwebp. */
#include <stdlib.h>

#define STBIR_MALLOC(size, context) ((void)(context), malloc(size))
#define STBIR_FREE(p, context) ((void)(context), free(p))
#define STB_IMAGE_RESIZE_IMPLEMENTATION

/* Third-party code: its warnings are not ours to fix, and -Werror must not trip on them.
 * Today only -Wmissing-prototypes fires (stb's internal helpers are non-static). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <stb_image_resize.h>
#pragma GCC diagnostic pop
