/* SPDX-License-Identifier: MIT */
/* libFuzzer target for sizes and ratios (src/model/size.c) and the parameter rules
 * (ea_params_set / ea_params_resolve in src/model/params.c), for any model name.
 *
 * The input is NUL-separated fields: the first is a size as a user types it; each further
 * field is one option, its first byte choosing the option from the parameter table and the
 * rest being the value. Invariants checked:
 *  - a parsed ratio turns, for every model in the table and the generic one, into a size that
 *    model accepts (ea_size_check), and the size formats and parses back to itself;
 *  - after a successful ea_params_resolve the size is auto or exact and the model accepts it.
 * Build: sh tests/fuzz/build.sh fuzz_size; run: sh tests/fuzz/run.sh fuzz_size 60 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/params.h"
#include "easel/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);

static void check_model_size(const ea_model_info *m, ea_size s)
{
    char why[256];
    if (s.kind != EA_SIZE_EXACT || ea_size_check(m, s.w, s.h, why, sizeof why) != 0) {
        fprintf(stderr, "%s: ratio gave %d x %d, which it refuses: %s\n", m->id, s.w, s.h, why);
        abort();
    }
    char text[64];
    ea_size_format(s, text, sizeof text);
    ea_size back;
    ea_err err;
    if (ea_size_parse(text, &back, &err) != 0 || back.kind != s.kind || back.w != s.w ||
        back.h != s.h)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, input, size);
    text[size] = '\0';

    /* The first field: the size on its own. */
    ea_size s;
    ea_err err;
    if (ea_size_parse(text, &s, &err) == 0) {
        if (s.kind == EA_SIZE_RATIO) {
            int count = 0;
            const ea_model_info *table = ea_model_table(&count);
            for (int i = 0; i < count; i++)
                if (!table[i].retired)
                    check_model_size(&table[i], ea_size_for_ratio(&table[i], s.w, s.h));
            check_model_size(ea_model_generic(), ea_size_for_ratio(ea_model_generic(), s.w, s.h));
        } else if (s.kind == EA_SIZE_EXACT && (s.w <= 0 || s.h <= 0)) {
            abort();
        }
    }

    /* All fields: the size, then options, then the rules. */
    ea_params p;
    ea_params_init(&p);
    size_t n_desc;
    const ea_param_desc *descs = ea_param_table(&n_desc);
    const ea_param_desc *size_desc = ea_param_by_long("size");
    if (!size_desc)
        abort();
    ea_params_set(&p, size_desc, text, &err);
    if (ea_params_set_prompt(&p, "a lighthouse", &err) != 0)
        abort();
    for (size_t off = strlen(text) + 1; off < size; off += strlen(text + off) + 1) {
        const char *field = text + off;
        if (!*field)
            continue;
        const ea_param_desc *d = &descs[(unsigned char)field[0] % n_desc];
        ea_params_set(&p, d, field + 1, &err);
    }
    ea_warnings warn = {0};
    if (ea_params_resolve(&p, &warn, &err) == 0) {
        if (p.size.kind == EA_SIZE_RATIO)
            abort();
        if (p.size.kind == EA_SIZE_EXACT) {
            char why[256];
            if (ea_size_check(ea_params_model(&p), p.size.w, p.size.h, why, sizeof why) != 0) {
                fprintf(stderr, "resolve accepted %dx%d for %s: %s\n", p.size.w, p.size.h,
                        ea_params_model(&p)->id, why);
                abort();
            }
        }
        if (ea_params_count(&p) < 1 || ea_params_partials(&p) < 0 || !ea_params_format(&p))
            abort();
    }
    ea_params_free(&p);
    free(text);
    return 0;
}
