/* SPDX-License-Identifier: MIT */
/* Unit tests for src/model/params.c: every rule of the parameter model, with accepted and
 * refused values. A refusal must carry EA_EXIT_USAGE, name the wire field in err.param, and
 * say the value and the rule in err.msg (issue 2, item 2; protocol.md sections 1, 2, 5a, 8,
 * 10 and 12). Options are set through the descriptor table by their long names, as the
 * command line sets them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/err.h"
#include "easel/models.h"
#include "easel/params.h"
#include "easel/size.h"

#define PROMPT "a red fox in fresh snow"

typedef struct run {
    ea_params p;
    ea_warnings warn;
    ea_err err;
    int set_failed; /* a setter refused the value (syntax) */
    int rc;         /* 0 when every setter and ea_params_resolve succeeded */
} run;

/* The runs a test has open, freed by the teardown when an assertion cut the test short. */
static run *live[4];

static void track(run *r)
{
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i] == r || !live[i]) {
            live[i] = r;
            return;
        }
    fail_msg("more than %zu runs open at once", sizeof live / sizeof live[0]);
}

static int free_live(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++) {
        if (live[i])
            ea_params_free(&live[i]->p);
        live[i] = NULL;
    }
    return 0;
}

/* Sets the options (long name, value, ..., NULL) in order, then resolves. */
static void run_opts(run *r, const char *first, ...)
{
    memset(r, 0, sizeof *r);
    track(r);
    ea_params_init(&r->p);
    ea_err_clear(&r->err);
    if (ea_params_set_prompt(&r->p, PROMPT, &r->err) != 0)
        fail_msg("could not set the prompt: %s", r->err.msg);
    va_list ap;
    va_start(ap, first);
    for (const char *name = first; name; name = va_arg(ap, const char *)) {
        const char *value = va_arg(ap, const char *);
        const ea_param_desc *d = ea_param_by_long(name);
        if (!d)
            fail_msg("no option --%s", name);
        if (ea_params_set(&r->p, d, value, &r->err) != 0) {
            r->set_failed = 1;
            r->rc = -1;
            va_end(ap);
            return;
        }
    }
    va_end(ap);
    r->rc = ea_params_resolve(&r->p, &r->warn, &r->err);
}

static void done(run *r)
{
    ea_params_free(&r->p);
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i] == r)
            live[i] = NULL;
}

static void expect_contains(const char *haystack, const char *needle)
{
    if (!haystack || !strstr(haystack, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

static bool warned(const run *r, const char *needle)
{
    for (int i = 0; i < r->warn.count; i++)
        if (strstr(r->warn.text[i], needle))
            return true;
    return false;
}

static void expect_accepted(run *r)
{
    if (r->rc != 0)
        fail_msg("refused (%s): %s", r->err.param ? r->err.param : "no param", r->err.msg);
    assert_int_equal(r->err.code, 0);
}

/* The refusal names the parameter and carries each of up to three substrings (value, rule). */
static void expect_refused(run *r, const char *param, const char *s1, const char *s2,
                           const char *s3)
{
    if (r->rc == 0)
        fail_msg("accepted; expected a refusal of %s", param);
    assert_int_equal(r->err.code, EA_EXIT_USAGE);
    if (!r->err.param)
        fail_msg("err.param is NULL; expected %s (msg: %s)", param, r->err.msg);
    assert_string_equal(r->err.param, param);
    if (s1)
        expect_contains(r->err.msg, s1);
    if (s2)
        expect_contains(r->err.msg, s2);
    if (s3)
        expect_contains(r->err.msg, s3);
}

static void expect_size(const run *r, int w, int h)
{
    if (r->p.size.kind != EA_SIZE_EXACT || r->p.size.w != w || r->p.size.h != h)
        fail_msg("expected size %dx%d, got kind %d %dx%d", w, h, r->p.size.kind, r->p.size.w,
                 r->p.size.h);
}

/* ---- defaults and the descriptor table ---- */

static void test_defaults(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, NULL);
    expect_accepted(&r);
    assert_string_equal(r.p.model, "gpt-image-2");
    assert_string_equal(r.p.text_model, "gpt-5.4");
    assert_int_equal(r.p.size.kind, EA_SIZE_AUTO);
    assert_null(r.p.quality);
    assert_int_equal(ea_params_count(&r.p), 1);
    assert_int_equal(ea_params_partials(&r.p), 0);
    assert_string_equal(ea_params_format(&r.p), "png");
    assert_false(ea_params_is_edit(&r.p));
    assert_true(r.p.stream);
    assert_int_equal(r.p.api, EA_API_RESPONSES);
    assert_int_equal(r.warn.count, 0);
    assert_ptr_equal(ea_params_model(&r.p), ea_model_find("gpt-image-2"));
    done(&r);
}

static void test_descriptor_table(void **state)
{
    (void)state;
    static const char *const wires[] = {"model",          "size",       "quality",
                                        "n",              "output_format", "output_compression",
                                        "background",     "moderation", "partial_images",
                                        "action",         "input_fidelity"};
    for (size_t i = 0; i < sizeof wires / sizeof wires[0]; i++) {
        const ea_param_desc *d = ea_param_by_wire(wires[i]);
        if (!d)
            fail_msg("no descriptor for wire field %s", wires[i]);
        assert_string_equal(d->wire, wires[i]);
        assert_ptr_equal(ea_param_by_long(d->long_opt), d);
        assert_non_null(d->set);
        assert_non_null(d->help);
    }
    size_t count = 0;
    const ea_param_desc *t = ea_param_table(&count);
    assert_true(count >= sizeof wires / sizeof wires[0]);
    for (size_t i = 0; i < count; i++) {
        assert_ptr_equal(ea_param_by_long(t[i].long_opt), &t[i]);
        if (t[i].short_opt)
            assert_ptr_equal(ea_param_by_short(t[i].short_opt), &t[i]);
    }
    assert_null(ea_param_by_wire("nope"));
    assert_null(ea_param_by_long("nope"));
    assert_null(ea_param_by_short(0));
}

/* ---- model ---- */

static void test_model_retired(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "model", "gpt-image-1", NULL);
    expect_refused(&r, "model", "gpt-image-1", "shut down", NULL);
    done(&r);
    run_opts(&r, "model", "dall-e-3", NULL);
    expect_refused(&r, "model", "dall-e-3", "retired", NULL);
    done(&r);
    run_opts(&r, "model", "dall-e-2", NULL);
    expect_refused(&r, "model", "dall-e-2", "retired", NULL);
    done(&r);
    run_opts(&r, "model", "", NULL);
    expect_refused(&r, "model", "''", "model name", NULL);
    assert_true(r.set_failed);
    done(&r);
}

static void test_model_known_accepted(void **state)
{
    (void)state;
    static const char *const ids[] = {"gpt-image-2",          "gpt-image-2-2026-04-21",
                                      "gpt-image-2.5-sunburst", "gpt-image-2.5-flare",
                                      "gpt-image-2.5-sunburst-2026-09-08",
                                      "gpt-image-2.5-flare-2026-09-08",
                                      "gpt-image-1.5",        "gpt-image-1-mini",
                                      "chatgpt-image-latest"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        static run r;
        run_opts(&r, "model", ids[i], NULL);
        expect_accepted(&r);
        assert_string_equal(r.p.model, ids[i]);
        if (warned(&r, "not in easel's table"))
            fail_msg("%s: known model warned as unknown", ids[i]);
        done(&r);
    }
}

static void test_model_unknown_generic_rules(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "model", "gpt-image-9", "size", "1536x1024", NULL);
    expect_accepted(&r);
    assert_string_equal(r.p.model, "gpt-image-9");
    assert_int_equal(r.warn.count, 1);
    if (!warned(&r, "gpt-image-9") || !warned(&r, "generic"))
        fail_msg("warning does not name the model and the generic rules: %s", r.warn.text[0]);
    assert_ptr_equal(ea_params_model(&r.p), ea_model_generic());
    expect_size(&r, 1536, 1024);
    done(&r);
    /* The generic rules are the standard sizes only. */
    run_opts(&r, "model", "gpt-image-9", "size", "1536x864", NULL);
    expect_refused(&r, "size", "1536x864", "1024x1024, 1536x1024, 1024x1536", NULL);
    done(&r);
    run_opts(&r, "model", "gpt-image-9", "quality", "xhigh", NULL);
    expect_refused(&r, "quality", "xhigh", "low, medium, high, auto", NULL);
    done(&r);
    /* Resolving with no warnings sink must not crash. */
    ea_params p;
    ea_err err;
    ea_params_init(&p);
    ea_err_clear(&err);
    assert_int_equal(ea_params_set_prompt(&p, PROMPT, &err), 0);
    assert_int_equal(ea_params_set(&p, ea_param_by_long("model"), "gpt-image-9", &err), 0);
    assert_int_equal(ea_params_resolve(&p, NULL, &err), 0);
    ea_params_free(&p);
}

/* ---- size through the parameter model ---- */

static void test_size_gpt_image_2(void **state)
{
    (void)state;
    static const char *const ok[] = {"3840x2160", "2160x3840", "1024x640", "640x1024",
                                     "2880x2880", "1536x512",  "512x1536", "1536x864",
                                     "1024x1024", "1536x1024", "1024x1536"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        static run r;
        run_opts(&r, "size", ok[i], NULL);
        expect_accepted(&r);
        assert_string_equal(r.p.size_text, ok[i]);
        done(&r);
    }
    static const struct { const char *size, *rule; } bad[] = {
        {"3856x2160", "3840"},           {"3856x1296", "long edge"},
        {"1552x512", "3:1"},             {"512x1552", "3:1"},
        {"1008x640", "655360"},          {"2896x2880", "8294400"},
        {"3840x2176", "8294400"},        {"1032x1024", "multiples of 16"},
        {"1024x1020", "multiples of 16"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        static run r;
        run_opts(&r, "size", bad[i].size, NULL);
        expect_refused(&r, "size", bad[i].size, bad[i].rule, "gpt-image-2");
        done(&r);
    }
    static run r;
    run_opts(&r, "size", "auto", NULL);
    expect_accepted(&r);
    assert_int_equal(r.p.size.kind, EA_SIZE_AUTO);
    done(&r);
    run_opts(&r, "size", "10x", NULL);
    expect_refused(&r, "size", "10x", "WIDTHxHEIGHT", NULL);
    assert_true(r.set_failed);
    done(&r);
}

static void test_size_standard_models(void **state)
{
    (void)state;
    static const char *const ids[] = {"gpt-image-1.5", "gpt-image-1-mini", "chatgpt-image-latest"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        static const char *const ok[] = {"1024x1024", "1536x1024", "1024x1536", "auto"};
        for (size_t k = 0; k < 4; k++) {
            static run r;
            run_opts(&r, "model", ids[i], "size", ok[k], NULL);
            expect_accepted(&r);
            done(&r);
        }
        static const char *const bad[] = {"1536x864", "1024x640", "2048x2048", "3840x2160"};
        for (size_t k = 0; k < 4; k++) {
            static run r;
            run_opts(&r, "model", ids[i], "size", bad[k], NULL);
            expect_refused(&r, "size", bad[k], "1024x1024, 1536x1024, 1024x1536", ids[i]);
            done(&r);
        }
    }
}

static void test_size_experimental_warning(void **state)
{
    (void)state;
    static run r;
    /* 2560x1440 is 3,686,400 pixels: the limit itself is not experimental. */
    run_opts(&r, "size", "2560x1440", NULL);
    expect_accepted(&r);
    assert_false(warned(&r, "experimental"));
    done(&r);
    run_opts(&r, "size", "1920x1920", NULL); /* also 3,686,400 */
    expect_accepted(&r);
    assert_false(warned(&r, "experimental"));
    done(&r);
    run_opts(&r, "size", "2576x1440", NULL);
    expect_accepted(&r);
    assert_true(warned(&r, "experimental"));
    assert_true(warned(&r, "2576x1440"));
    done(&r);
    run_opts(&r, "size", "1920x1936", NULL);
    expect_accepted(&r);
    assert_true(warned(&r, "experimental"));
    done(&r);
    run_opts(&r, "size", "3840x2160", NULL);
    expect_accepted(&r);
    assert_true(warned(&r, "experimental"));
    done(&r);
    run_opts(&r, "size", "1536x1024", NULL);
    expect_accepted(&r);
    assert_int_equal(r.warn.count, 0);
    done(&r);
}

static void test_size_ratio_resolves(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "size", "16:9", NULL);
    expect_accepted(&r);
    expect_size(&r, 1280, 720); /* see test_size.c for the working */
    assert_int_equal(r.warn.count, 0);
    done(&r);
    run_opts(&r, "size", "3:1", NULL);
    expect_accepted(&r);
    expect_size(&r, 1776, 592);
    assert_int_equal(r.warn.count, 0);
    done(&r);
    run_opts(&r, "model", "gpt-image-1.5", "size", "16:9", NULL);
    expect_accepted(&r);
    expect_size(&r, 1536, 1024);
    done(&r);
    run_opts(&r, "model", "gpt-image-9", "size", "9:16", NULL);
    expect_accepted(&r);
    expect_size(&r, 1024, 1536);
    done(&r);
}

/* 4:1 is beyond gpt-image-2's 3:1: it clamps to 3:1 (what 3:1 gives) with a warning. */
static void test_size_ratio_beyond_limit(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "size", "4:1", NULL);
    expect_accepted(&r);
    if (!warned(&r, "3:1") || !warned(&r, "4:1"))
        fail_msg("no warning naming 4:1 and the 3:1 limit (%d warnings)", r.warn.count);
    expect_size(&r, 1776, 592);
    done(&r);
    run_opts(&r, "size", "1:4", NULL);
    expect_accepted(&r);
    assert_true(warned(&r, "3:1"));
    expect_size(&r, 592, 1776);
    done(&r);
}

static void test_order_independence(void **state)
{
    (void)state;
    static run a, b;
    run_opts(&a, "size", "16:9", "model", "gpt-image-1.5", NULL);
    run_opts(&b, "model", "gpt-image-1.5", "size", "16:9", NULL);
    expect_accepted(&a);
    expect_accepted(&b);
    expect_size(&a, 1536, 1024);
    expect_size(&b, 1536, 1024);
    done(&a);
    done(&b);

    run_opts(&a, "size", "1536x864", "model", "gpt-image-1.5", NULL);
    run_opts(&b, "model", "gpt-image-1.5", "size", "1536x864", NULL);
    expect_refused(&a, "size", "1536x864", "gpt-image-1.5", NULL);
    expect_refused(&b, "size", "1536x864", "gpt-image-1.5", NULL);
    assert_string_equal(a.err.msg, b.err.msg);
    done(&a);
    done(&b);

    run_opts(&a, "size", "1536x864", "model", "gpt-image-2", NULL);
    run_opts(&b, "model", "gpt-image-2", "size", "1536x864", NULL);
    expect_accepted(&a);
    expect_accepted(&b);
    expect_size(&a, 1536, 864);
    expect_size(&b, 1536, 864);
    done(&a);
    done(&b);

    run_opts(&a, "compression", "50", "format", "jpeg", NULL);
    run_opts(&b, "format", "jpeg", "compression", "50", NULL);
    expect_accepted(&a);
    expect_accepted(&b);
    done(&a);
    done(&b);

    run_opts(&a, "quality", "xhigh", "model", "gpt-image-2.5-flare", NULL);
    run_opts(&b, "model", "gpt-image-2.5-flare", "quality", "xhigh", NULL);
    expect_accepted(&a);
    expect_accepted(&b);
    done(&a);
    done(&b);

    run_opts(&a, "background", "transparent", "format", "jpeg", NULL);
    run_opts(&b, "format", "jpeg", "background", "transparent", NULL);
    expect_refused(&a, "background", "transparent", "png or webp", NULL);
    expect_refused(&b, "background", "transparent", "png or webp", NULL);
    done(&a);
    done(&b);
}

/* ---- quality ---- */

static void test_quality(void **state)
{
    (void)state;
    static const char *const plain[] = {"gpt-image-2", "gpt-image-2-2026-04-21", "gpt-image-1.5",
                                        "gpt-image-1-mini", "gpt-image-9"};
    static const char *const q4[] = {"low", "medium", "high", "auto"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        for (size_t k = 0; k < 4; k++) {
            static run r;
            run_opts(&r, "model", plain[i], "quality", q4[k], NULL);
            expect_accepted(&r);
            assert_string_equal(r.p.quality, q4[k]);
            done(&r);
        }
        static const char *const bad[] = {"xhigh", "max", "standard", "hd", "HIGH", ""};
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            static run r;
            run_opts(&r, "model", plain[i], "quality", bad[k], NULL);
            char quoted[32];
            snprintf(quoted, sizeof quoted, "'%s'", bad[k]);
            expect_refused(&r, "quality", quoted, "low, medium, high, auto", NULL);
            done(&r);
        }
    }
    static const char *const v25[] = {"gpt-image-2.5-sunburst", "gpt-image-2.5-flare",
                                      "gpt-image-2.5-sunburst-2026-09-08",
                                      "gpt-image-2.5-flare-2026-09-08"};
    static const char *const q6[] = {"low", "medium", "high", "xhigh", "max", "auto"};
    for (size_t i = 0; i < sizeof v25 / sizeof v25[0]; i++) {
        for (size_t k = 0; k < 6; k++) {
            static run r;
            run_opts(&r, "model", v25[i], "quality", q6[k], NULL);
            expect_accepted(&r);
            done(&r);
        }
        static run r;
        run_opts(&r, "model", v25[i], "quality", "ultra", NULL);
        expect_refused(&r, "quality", "ultra", "xhigh, max", NULL);
        done(&r);
    }
}

/* ---- output_format, output_compression ---- */

static void test_format(void **state)
{
    (void)state;
    static const char *const raster[] = {"png", "jpeg", "webp"};
    for (size_t k = 0; k < 3; k++) {
        static run r;
        run_opts(&r, "format", raster[k], NULL);
        expect_accepted(&r);
        assert_string_equal(ea_params_format(&r.p), raster[k]);
        done(&r);
    }
    static run r;
    run_opts(&r, "format", "gif", NULL);
    expect_refused(&r, "output_format", "gif", "png, jpeg, webp", NULL);
    done(&r);
    run_opts(&r, "format", "jpg", NULL);
    expect_refused(&r, "output_format", "jpg", "png, jpeg, webp", NULL);
    done(&r);
    run_opts(&r, "model", "gpt-image-1.5", "format", "svg", NULL);
    expect_refused(&r, "output_format", "svg", "gpt-image-1.5", NULL);
    done(&r);
    /* gif and svg on the 2.5 models: accepted, never streamed, no partial frames. */
    run_opts(&r, "model", "gpt-image-2.5-sunburst", "format", "gif", NULL);
    expect_accepted(&r);
    assert_false(r.p.stream);
    done(&r);
    run_opts(&r, "model", "gpt-image-2.5-flare", "format", "svg", "partials", "0", NULL);
    expect_accepted(&r);
    assert_false(r.p.stream);
    done(&r);
    run_opts(&r, "model", "gpt-image-2.5-sunburst", "format", "gif", "partials", "2", NULL);
    expect_refused(&r, "partial_images", "2", "gif", NULL);
    done(&r);
}

static void test_compression(void **state)
{
    (void)state;
    static const struct { const char *format, *value; } ok[] = {
        {"jpeg", "0"}, {"jpeg", "100"}, {"jpeg", "55"}, {"webp", "0"}, {"webp", "100"}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        static run r;
        run_opts(&r, "format", ok[i].format, "compression", ok[i].value, NULL);
        expect_accepted(&r);
        assert_int_equal(r.p.compression, atoi(ok[i].value));
        done(&r);
    }
    static run r;
    run_opts(&r, "format", "jpeg", "compression", "101", NULL);
    expect_refused(&r, "output_compression", "101", "0 to 100", NULL);
    done(&r);
    run_opts(&r, "format", "webp", "compression", "-5", NULL);
    expect_refused(&r, "output_compression", "-5", "0 to 100", NULL);
    done(&r);
    run_opts(&r, "format", "png", "compression", "50", NULL);
    expect_refused(&r, "output_compression", "50", "jpeg and webp", NULL);
    done(&r);
    run_opts(&r, "compression", "80", NULL); /* the default format is png */
    expect_refused(&r, "output_compression", "80", "jpeg and webp", NULL);
    done(&r);
    run_opts(&r, "format", "jpeg", "compression", "high", NULL);
    expect_refused(&r, "output_compression", "high", "whole number", NULL);
    assert_true(r.set_failed);
    done(&r);
    run_opts(&r, "format", "jpeg", "compression", "50%", NULL);
    expect_refused(&r, "output_compression", "50%", NULL, NULL);
    done(&r);
}

/* -1 is a value the user typed, outside 0..100; it must not pass as "not given". */
static void test_compression_minus_one(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "format", "jpeg", "compression", "-1", NULL);
    expect_refused(&r, "output_compression", "-1", "0 to 100", NULL);
    done(&r);
}

/* ---- background ---- */

static void test_background(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "background", "transparent", NULL); /* png by default, gpt-image-2 */
    expect_accepted(&r);
    assert_true(warned(&r, "preview"));
    assert_true(warned(&r, "gpt-image-2"));
    done(&r);
    run_opts(&r, "background", "transparent", "format", "webp", NULL);
    expect_accepted(&r);
    assert_true(warned(&r, "preview"));
    done(&r);
    run_opts(&r, "background", "transparent", "format", "jpeg", NULL);
    expect_refused(&r, "background", "transparent", "png or webp", "jpeg");
    done(&r);
    run_opts(&r, "model", "gpt-image-1.5", "background", "transparent", "format", "jpeg", NULL);
    expect_refused(&r, "background", "transparent", "png or webp", NULL);
    done(&r);
    static const char *const full[] = {"gpt-image-2.5-sunburst", "gpt-image-1.5",
                                       "gpt-image-1-mini"};
    for (size_t i = 0; i < 3; i++) {
        run_opts(&r, "model", full[i], "background", "transparent", NULL);
        expect_accepted(&r);
        assert_false(warned(&r, "preview"));
        done(&r);
    }
    run_opts(&r, "background", "opaque", "format", "jpeg", NULL);
    expect_accepted(&r);
    assert_int_equal(r.warn.count, 0);
    done(&r);
    run_opts(&r, "background", "auto", NULL);
    expect_accepted(&r);
    done(&r);
    run_opts(&r, "background", "clear", NULL);
    expect_refused(&r, "background", "clear", "transparent, opaque, auto", NULL);
    assert_true(r.set_failed);
    done(&r);
}

/* ---- partial_images ---- */

static void test_partials(void **state)
{
    (void)state;
    static const char *const ok[] = {"0", "1", "2", "3"};
    for (size_t i = 0; i < 4; i++) {
        static run r;
        run_opts(&r, "partials", ok[i], NULL);
        expect_accepted(&r);
        assert_int_equal(ea_params_partials(&r.p), atoi(ok[i]));
        done(&r);
    }
    static run r;
    run_opts(&r, "partials", "4", NULL);
    expect_refused(&r, "partial_images", "4", "0 to 3", NULL);
    done(&r);
    run_opts(&r, "partials", "-2", NULL);
    expect_refused(&r, "partial_images", "-2", "0 to 3", NULL);
    done(&r);
    run_opts(&r, "partials", "many", NULL);
    expect_refused(&r, "partial_images", "many", "whole number", NULL);
    assert_true(r.set_failed);
    done(&r);
    run_opts(&r, "partials", "", NULL);
    expect_refused(&r, "partial_images", "''", NULL, NULL);
    done(&r);
}

static void test_partials_minus_one(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "partials", "-1", NULL);
    expect_refused(&r, "partial_images", "-1", "0 to 3", NULL);
    done(&r);
}

/* ---- n ---- */

static void test_count(void **state)
{
    (void)state;
    static const char *const ok[] = {"1", "2", "9", "10"};
    for (size_t i = 0; i < 4; i++) {
        static run r;
        run_opts(&r, "api", "images", "count", ok[i], NULL);
        expect_accepted(&r);
        assert_int_equal(ea_params_count(&r.p), atoi(ok[i]));
        done(&r);
    }
    static run r;
    run_opts(&r, "api", "images", "count", "11", NULL);
    expect_refused(&r, "n", "11", "1 to 10", NULL);
    done(&r);
    run_opts(&r, "api", "images", "count", "-3", NULL);
    expect_refused(&r, "n", "-3", "1 to 10", NULL);
    done(&r);
    run_opts(&r, "api", "images", "count", "3x", NULL);
    expect_refused(&r, "n", "3x", "whole number", NULL);
    assert_true(r.set_failed);
    done(&r);
    /* The Responses API makes one image per call. */
    run_opts(&r, "count", "1", NULL);
    expect_accepted(&r);
    done(&r);
    run_opts(&r, "count", "2", NULL);
    expect_refused(&r, "n", "2", "Responses", NULL);
    done(&r);
    run_opts(&r, "count", "2", "api", "responses", NULL);
    expect_refused(&r, "n", "2", "Responses", NULL);
    done(&r);
    run_opts(&r, "api", "both", NULL);
    expect_refused(&r, "api", "both", "responses or images", NULL);
    done(&r);
}

/* 0 is a value the user typed, outside 1..10; it must not pass as "one image". */
static void test_count_zero(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "api", "images", "count", "0", NULL);
    expect_refused(&r, "n", "0", "1 to 10", NULL);
    done(&r);
}

/* ---- prompt ---- */

static char *repeat(const char *unit, size_t times)
{
    size_t len = strlen(unit);
    char *s = malloc(len * times + 1);
    assert_non_null(s);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * len, unit, len);
    s[len * times] = '\0';
    return s;
}

static void expect_prompt(const char *prompt, bool ok, const char *count)
{
    ea_params p;
    ea_err err;
    ea_warnings w = {0};
    ea_params_init(&p);
    ea_err_clear(&err);
    assert_int_equal(ea_params_set_prompt(&p, prompt, &err), 0);
    int rc = ea_params_resolve(&p, &w, &err);
    if (ok && rc != 0)
        fail_msg("prompt refused: %s", err.msg);
    if (!ok) {
        if (rc == 0)
            fail_msg("prompt of %s characters accepted", count);
        assert_int_equal(err.code, EA_EXIT_USAGE);
        assert_non_null(err.param);
        assert_string_equal(err.param, "prompt");
        expect_contains(err.msg, count);
        expect_contains(err.msg, "32000");
    }
    ea_params_free(&p);
}

static void test_prompt_length(void **state)
{
    (void)state;
    /* DEVANAGARI LETTER KA, U+0915: 3 bytes, 1 character. */
    char *s = repeat("\xE0\xA4\x95", 32000);
    assert_int_equal(strlen(s), 96000);
    expect_prompt(s, true, NULL);
    free(s);
    s = repeat("\xE0\xA4\x95", 32001);
    expect_prompt(s, false, "32001");
    free(s);
    s = repeat("a", 32000);
    expect_prompt(s, true, NULL);
    free(s);
    s = repeat("a", 32001);
    expect_prompt(s, false, "32001");
    free(s);
    /* U+1F98A FOX FACE: 4 bytes, 1 character. */
    s = repeat("\xF0\x9F\xA6\x8A", 32000);
    expect_prompt(s, true, NULL);
    free(s);
    s = repeat("\xF0\x9F\xA6\x8A", 32001);
    expect_prompt(s, false, "32001");
    free(s);
}

static void test_prompt_required(void **state)
{
    (void)state;
    ea_params p;
    ea_err err;
    ea_params_init(&p);
    ea_err_clear(&err);
    assert_int_equal(ea_params_resolve(&p, NULL, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_string_equal(err.param, "prompt");
    expect_contains(err.msg, "required");
    ea_params_free(&p);
    ea_params_init(&p);
    ea_err_clear(&err);
    assert_int_equal(ea_params_set_prompt(&p, "", &err), 0);
    assert_int_equal(ea_params_resolve(&p, NULL, &err), -1);
    assert_string_equal(err.param, "prompt");
    ea_params_free(&p);
}

/* ---- input_fidelity ---- */

static void test_input_fidelity(void **state)
{
    (void)state;
    static run r;
    static const char *const takes[] = {"gpt-image-1.5", "chatgpt-image-latest"};
    for (size_t i = 0; i < 2; i++) {
        run_opts(&r, "model", takes[i], "image", "in.png", "input-fidelity", "high", NULL);
        expect_accepted(&r);
        assert_string_equal(r.p.input_fidelity, "high");
        done(&r);
        run_opts(&r, "model", takes[i], "image", "in.png", "input-fidelity", "low", NULL);
        expect_accepted(&r);
        done(&r);
    }
    static const char *const refuses[] = {"gpt-image-2", "gpt-image-2-2026-04-21",
                                          "gpt-image-1-mini"};
    for (size_t i = 0; i < 3; i++) {
        run_opts(&r, "model", refuses[i], "image", "in.png", "input-fidelity", "high", NULL);
        expect_refused(&r, "input_fidelity", "high", refuses[i], "not taken");
        done(&r);
    }
    run_opts(&r, "input-fidelity", "medium", NULL);
    expect_refused(&r, "input_fidelity", "medium", "high, low", NULL);
    assert_true(r.set_failed);
    done(&r);
}

/* ---- images and mask ---- */

static void test_mask(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "mask", "mask.png", NULL);
    expect_refused(&r, "mask", "mask.png", "image", NULL);
    done(&r);
    run_opts(&r, "image", "in.png", "mask", "mask.png", NULL);
    expect_accepted(&r);
    assert_true(ea_params_is_edit(&r.p));
    assert_string_equal(r.p.mask, "mask.png");
    done(&r);
    run_opts(&r, "mask", "mask.png", "image", "in.png", NULL); /* order does not matter */
    expect_accepted(&r);
    done(&r);
    run_opts(&r, "image", "in.png", "mask", "", NULL);
    expect_refused(&r, "mask", "''", NULL, NULL);
    done(&r);
}

static void test_images(void **state)
{
    (void)state;
    ea_params p;
    ea_err err;
    ea_params_init(&p);
    ea_err_clear(&err);
    char path[32];
    for (int i = 0; i < EA_MAX_IMAGES; i++) {
        snprintf(path, sizeof path, "img%d.png", i);
        assert_int_equal(ea_params_add_image(&p, path, &err), 0);
    }
    assert_int_equal(p.n_images, 16);
    assert_int_equal(ea_params_add_image(&p, "img16.png", &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_string_equal(err.param, "image");
    expect_contains(err.msg, "img16.png");
    expect_contains(err.msg, "16");
    assert_int_equal(ea_params_add_image(&p, "", &err), -1);
    assert_string_equal(err.param, "image");
    ea_params_free(&p);
    assert_int_equal(p.n_images, 0);
}

/* ---- action, moderation ---- */

static void test_action(void **state)
{
    (void)state;
    static const char *const ok[] = {"auto", "generate", "edit"};
    for (size_t i = 0; i < 3; i++) {
        static run r;
        run_opts(&r, "action", ok[i], NULL); /* Responses is the default API */
        expect_accepted(&r);
        assert_string_equal(r.p.action, ok[i]);
        done(&r);
        run_opts(&r, "api", "images", "action", ok[i], NULL);
        expect_refused(&r, "action", ok[i], "Responses", NULL);
        done(&r);
        run_opts(&r, "action", ok[i], "api", "images", NULL);
        expect_refused(&r, "action", ok[i], "Responses", NULL);
        done(&r);
    }
    static run r;
    run_opts(&r, "action", "paint", NULL);
    expect_refused(&r, "action", "paint", "auto, generate, edit", NULL);
    assert_true(r.set_failed);
    done(&r);
}

static void test_moderation(void **state)
{
    (void)state;
    static run r;
    /* The multipart edit has no moderation part (protocol.md 2a). */
    run_opts(&r, "api", "images", "image", "in.png", "moderation", "low", NULL);
    expect_refused(&r, "moderation", "low", "edit", NULL);
    done(&r);
    run_opts(&r, "moderation", "auto", "image", "in.png", "api", "images", NULL);
    expect_refused(&r, "moderation", "auto", "edit", NULL);
    done(&r);
    run_opts(&r, "api", "images", "moderation", "low", NULL); /* a generation */
    expect_accepted(&r);
    assert_string_equal(r.p.moderation, "low");
    done(&r);
    run_opts(&r, "image", "in.png", "moderation", "low", NULL); /* the Responses tool */
    expect_accepted(&r);
    done(&r);
    run_opts(&r, "moderation", "high", NULL);
    expect_refused(&r, "moderation", "high", "auto, low", NULL);
    assert_true(r.set_failed);
    done(&r);
}

/* The full set of a sensible Images API call resolves with no warning. */
static void test_full_images_call(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "model", "gpt-image-2", "size", "1536x864", "quality", "high", "api", "images",
             "count", "4", "format", "webp", "compression", "80", "background", "opaque",
             "moderation", "low", "partials", "1", NULL);
    expect_accepted(&r);
    assert_int_equal(r.warn.count, 1); /* the partials: see below */
    expect_size(&r, 1536, 864);
    assert_int_equal(ea_params_count(&r.p), 4);
    assert_int_equal(r.p.compression, 80);
    /* Four images are not streamed (the API answers "Streaming is only supported with
     * n=1."), so the partial frames asked for go, with a warning that says so. */
    assert_false(r.p.stream);
    assert_int_equal(ea_params_partials(&r.p), 0);
    done(&r);
}

static void test_count_is_not_streamed(void **state)
{
    (void)state;
    static run r;
    run_opts(&r, "api", "images", "count", "2", "partials", "3", NULL);
    expect_accepted(&r);
    assert_false(r.p.stream);
    assert_int_equal(ea_params_partials(&r.p), 0);
    assert_int_equal(r.warn.count, 1);
    assert_non_null(strstr(r.warn.text[0], "partials 3: not streamed with count 2"));
    done(&r);
    /* Without partials asked for, no warning; one image streams with its partials. */
    run_opts(&r, "api", "images", "count", "3", NULL);
    expect_accepted(&r);
    assert_false(r.p.stream);
    assert_int_equal(r.warn.count, 0);
    done(&r);
    run_opts(&r, "api", "images", "count", "1", "partials", "3", NULL);
    expect_accepted(&r);
    assert_true(r.p.stream);
    assert_int_equal(ea_params_partials(&r.p), 3);
    done(&r);
}

/* Thinking turns (issue 15): the effort must be one the text model takes, and reasoning, web
 * search and documents belong to the Responses API. */
static void test_reasoning_rules(void **state)
{
    (void)state;
    run r;
    run_opts(&r, "reasoning", "high", "web-search", "on", NULL);
    expect_accepted(&r);
    assert_string_equal(r.p.reasoning, "high");
    assert_true(r.p.web_search);
    assert_true(ea_params_thinking(&r.p));
    done(&r);
    run_opts(&r, "reasoning", "max", NULL);
    expect_refused(&r, "reasoning", "'max'", "gpt-5.4", "xhigh");
    done(&r);
    run_opts(&r, "text-model", "gpt-5.5", "reasoning", "max", NULL);
    expect_accepted(&r);
    done(&r);
    run_opts(&r, "text-model", "gpt-5.4-2026-03-05", "reasoning", "minimal", NULL);
    expect_refused(&r, "reasoning", "'minimal'", "gpt-5.4-2026-03-05", NULL);
    done(&r);
    run_opts(&r, "text-model", "gpt-5", "reasoning", "minimal", NULL);
    expect_accepted(&r);
    done(&r);
    run_opts(&r, "reasoning", "ultra", NULL);
    expect_refused(&r, "reasoning", "'ultra'", "none, minimal", NULL);
    done(&r);
    run_opts(&r, "text-model", "o-future", "reasoning", "max", NULL);
    expect_accepted(&r);
    assert_true(warned(&r, "o-future"));
    done(&r);
    run_opts(&r, "api", "images", "reasoning", "low", NULL);
    expect_refused(&r, "reasoning", "Responses", NULL, NULL);
    done(&r);
    run_opts(&r, "api", "images", "document", "brief.pdf", NULL);
    expect_refused(&r, "document", "Responses", NULL, NULL);
    done(&r);
    run_opts(&r, "web-search", "maybe", NULL);
    expect_refused(&r, "web-search", "on or off", NULL, NULL);
    done(&r);
    /* The switch has no argument on the command line. */
    assert_null(ea_param_by_long("web-search")->metavar);
    assert_ptr_equal(ea_param_by_short('d'), ea_param_by_long("document"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_defaults, free_live),
        cmocka_unit_test_teardown(test_descriptor_table, free_live),
        cmocka_unit_test_teardown(test_model_retired, free_live),
        cmocka_unit_test_teardown(test_model_known_accepted, free_live),
        cmocka_unit_test_teardown(test_model_unknown_generic_rules, free_live),
        cmocka_unit_test_teardown(test_size_gpt_image_2, free_live),
        cmocka_unit_test_teardown(test_size_standard_models, free_live),
        cmocka_unit_test_teardown(test_size_experimental_warning, free_live),
        cmocka_unit_test_teardown(test_size_ratio_resolves, free_live),
        cmocka_unit_test_teardown(test_size_ratio_beyond_limit, free_live),
        cmocka_unit_test_teardown(test_order_independence, free_live),
        cmocka_unit_test_teardown(test_quality, free_live),
        cmocka_unit_test_teardown(test_format, free_live),
        cmocka_unit_test_teardown(test_compression, free_live),
        cmocka_unit_test_teardown(test_compression_minus_one, free_live),
        cmocka_unit_test_teardown(test_background, free_live),
        cmocka_unit_test_teardown(test_partials, free_live),
        cmocka_unit_test_teardown(test_partials_minus_one, free_live),
        cmocka_unit_test_teardown(test_count, free_live),
        cmocka_unit_test_teardown(test_count_zero, free_live),
        cmocka_unit_test_teardown(test_prompt_length, free_live),
        cmocka_unit_test_teardown(test_prompt_required, free_live),
        cmocka_unit_test_teardown(test_input_fidelity, free_live),
        cmocka_unit_test_teardown(test_mask, free_live),
        cmocka_unit_test_teardown(test_images, free_live),
        cmocka_unit_test_teardown(test_action, free_live),
        cmocka_unit_test_teardown(test_moderation, free_live),
        cmocka_unit_test_teardown(test_full_images_call, free_live),
        cmocka_unit_test_teardown(test_count_is_not_streamed, free_live),
        cmocka_unit_test_teardown(test_reasoning_rules, free_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
