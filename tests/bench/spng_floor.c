/* SPDX-License-Identifier: MIT */
/* spng_floor: the floor for drawing a PNG: a bare libspng decode of the file to 8-bit RGBA
 * and nothing else, as its own small process (bench_race.sh builds it with libspng alone, so
 * it pays the loader's least too). Usage: spng_floor FILE; prints the decoded size. */
#include <spng.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 1;
    spng_ctx *ctx = spng_ctx_new(0);
    size_t size;
    struct spng_ihdr ihdr;
    if (!ctx || spng_set_png_file(ctx, f) != 0 || spng_get_ihdr(ctx, &ihdr) != 0 ||
        spng_decoded_image_size(ctx, SPNG_FMT_RGBA8, &size) != 0)
        return 1;
    unsigned char *pixels = malloc(size);
    if (!pixels || spng_decode_image(ctx, pixels, size, SPNG_FMT_RGBA8, SPNG_DECODE_TRNS) != 0)
        return 1;
    printf("%ux%u\n", ihdr.width, ihdr.height);
    free(pixels);
    spng_ctx_free(ctx);
    fclose(f);
    return 0;
}
