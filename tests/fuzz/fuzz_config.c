/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the config parser (ea_config_parse: pure, from a string).
 *
 * Byte 0 picks whether the file's api_key is refused (as for a file not mode 0600) and whether
 * the text is parsed on top of an earlier parse; the rest is the file's text, not
 * NUL-terminated. Every value, source and description is read back so that ASan sees it.
 * Build: sh tests/fuzz/build.sh fuzz_config; run: sh tests/fuzz/run.sh fuzz_config 60 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "easel/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = input[0];
    size_t n = size - 1;
    char *text = malloc(n ? n : 1); /* exactly n bytes: no NUL, ASan catches a read past it */
    if (!text)
        return 0;
    memcpy(text, input + 1, n);

    ea_config c;
    ea_config_init(&c);
    ea_err err;
    const char *refusal = (mode & 1) ? "config is mode 0644; api_key ignored" : NULL;
    int rc = ea_config_parse(&c, text, n, refusal, &err);
    if (mode & 2) /* again on top: later lines win, warnings accumulate */
        rc = ea_config_parse(&c, text, n, refusal, &err);
    (void)rc;
    for (int k = 0; k < EA_CFG_KEY_COUNT; k++) {
        const char *v = ea_config_get(&c, (enum ea_config_key)k);
        if (v)
            sink += strlen(v);
        if (refusal && k == EA_CFG_API_KEY && v)
            abort(); /* a refused key must never be used */
        sink += (size_t)ea_config_source_of(&c, (enum ea_config_key)k);
        char desc[512];
        ea_config_describe(&c, (enum ea_config_key)k, desc, sizeof desc);
        if (strlen(desc) >= sizeof desc)
            abort();
        /* The key's description shows its length and source, never a character of it. */
        if (k == EA_CFG_API_KEY && v && strlen(v) >= 8 && strstr(desc, v))
            abort();
    }
    int shown = c.n_warnings < EA_CONFIG_MAX_WARNINGS ? c.n_warnings : EA_CONFIG_MAX_WARNINGS;
    for (int i = 0; i < shown; i++)
        sink += strnlen(c.warnings[i], sizeof c.warnings[i]);
    sink += strlen(c.api_key_refused);
    ea_config_free(&c);
    free(text);
    return 0;
}
