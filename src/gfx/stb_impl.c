/* stb_impl: the one translation unit that compiles stb_image and stb_image_resize.
 *
 * Only the PNG and JPEG decoders are built: WebP goes through libwebp, and every other format
 * stb knows (GIF, PSD, TGA, HDR ...) is attack surface the API never sends us. Files are read
 * by image.c, so stb's stdio loaders are left out too.
 *
 * The allocators are spelled out because image.c relies on them: it takes ownership of the
 * pixels stbi_load_from_memory returns and releases them with free() like any other ea_image. */
#include <stdlib.h>

#define STBI_MALLOC(size) malloc(size)
#define STBI_REALLOC(p, size) realloc(p, size)
#define STBI_FREE(p) free(p)
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
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
