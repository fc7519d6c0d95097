/* SPDX-License-Identifier: MIT */
/* Unit tests for a turn's final images, which a thread of the turn's own decodes and saves off
 * the loop (src/net/turn.c), and for a thinking turn's progress. Against the in-process mock,
 * with the largest image there is (a 3840x2160 PNG stored uncompressed, 33 MB, so that its
 * save takes long), the audit log is read after every step of the loop and in on_done, right
 * after the result record was written. A result record must never name an image that is not
 * on disk, whole, with the recorded sha256 (design.md section 3): the record waits for the
 * saves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/hash.h"
#include "easel/http.h"
#include "easel/image.h"
#include "easel/mock.h"
#include "easel/params.h"
#include "easel/prices.h"
#include "easel/session.h"
#include "easel/turn.h"
#include "store_fixture.h"

/* Every result record in the session's log names images that are on disk with its sha256.
 * Returns how many result records there are. */
static int assert_results_follow_their_images(const char *session_dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/audit.jsonl", session_dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int results = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *rec = json_loads(line, 0, NULL);
        assert_non_null(rec);
        if (strcmp(json_string_value(json_object_get(rec, "kind")) ?: "", "result") == 0) {
            results++;
            size_t i;
            json_t *img;
            json_array_foreach(json_object_get(rec, "images"), i, img) {
                char file[PATH_MAX], hex[EA_SHA256_HEX_SIZE];
                snprintf(file, sizeof file, "%s/%s", session_dir,
                         json_string_value(json_object_get(img, "path")));
                ea_err err = {0};
                if (ea_sha256_file_hex(file, hex, NULL, &err) != 0)
                    fail_msg("the result record names %s, which is not there: %s", file, err.msg);
                assert_string_equal(hex, json_string_value(json_object_get(img, "sha256")));
            }
        }
        json_decref(rec);
    }
    free(line);
    fclose(f);
    return results;
}

typedef struct run {
    const char *session_dir;
    bool done;
    int exit_code;
    size_t n_images;
    int images_seen; /* on_image calls */
} run;

static void on_image(void *ctx, const ea_audit_image *image, const char *session_dir)
{
    run *r = ctx;
    (void)session_dir;
    assert_int_equal(image->width, 3840);
    assert_int_equal(image->height, 2160);
    r->images_seen++;
}

static void on_done(void *ctx, const ea_turn_outcome *o)
{
    run *r = ctx;
    r->done = true;
    r->exit_code = o->exit_code;
    r->n_images = o->n_images;
    /* The result record was written just now. */
    assert_int_equal(assert_results_follow_their_images(r->session_dir), 1);
}

static void set(ea_params *p, const char *long_opt, const char *value)
{
    ea_err err = {0};
    if (ea_params_set(p, ea_param_by_long(long_opt), value, &err) != 0)
        fail_msg("--%s %s: %s", long_opt, value, err.msg);
}

static void a_4k_turn(const char *api, const char *partials)
{
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    cfg.quiet = true;
    cfg.png_level = 0;
    ea_err err = {0};
    ea_mock *mock = ea_mock_start(&cfg, &err);
    assert_non_null(mock);
    ea_backend backend = {.api_key = "sk-test"};
    snprintf(backend.base_url, sizeof backend.base_url, "%s", ea_mock_base_url(mock));
    ea_prices *prices = ea_prices_load(&err);
    assert_non_null(prices);
    ea_params params;
    ea_params_init(&params);
    assert_int_equal(ea_params_set_prompt(&params, "a fox in 4K", &err), 0);
    set(&params, "api", api);
    set(&params, "size", "3840x2160");
    set(&params, "background", "transparent");
    set(&params, "partials", partials);
    if (ea_params_resolve(&params, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    ea_session *session = NULL;
    assert_int_equal(ea_session_create(NULL, NULL, &session, &err), 0);
    ea_http *http = ea_http_new();
    assert_non_null(http);

    run r = {.session_dir = ea_session_dir(session)};
    ea_turn_spec spec = {&params, &backend, session, prices, 0};
    ea_turn_callbacks cb = {.on_image = on_image, .on_done = on_done};
    ea_turn *t = ea_turn_start(http, &spec, &cb, &r, &err);
    if (!t)
        fail_msg("%s", err.msg);
    while (!r.done) {
        assert_true(ea_http_wait(http, NULL, 0, 1000) == 0 || errno == EINTR);
        assert_int_equal(ea_http_process(http), 0);
        assert_results_follow_their_images(r.session_dir);
        ea_turn_poll(t);
    }
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.n_images, 1);
    assert_int_equal(r.images_seen, 1);
    assert_true(ea_turn_finished(t));

    ea_turn_free(&t);
    ea_http_free(&http);
    ea_session_close(&session);
    ea_params_free(&params);
    ea_prices_free(&prices);
    ea_mock_free(&mock);
}

static void images_api_result_follows_its_image(void **state)
{
    (void)state;
    a_4k_turn("images", "0");
}

/* The Responses API sends the image in output_item.done and again in response.completed,
 * which must not be saved twice while the first save is still under way. */
static void responses_api_result_follows_its_image(void **state)
{
    (void)state;
    a_4k_turn("responses", "1");
}

/* A thinking turn's progress (issue 15): its model makes as many images as it chooses, so
 * none is expected; each report names the image the stream is on, counting up to the four a
 * 4-panel storyboard makes, with that image's partial frames (never all the turn's), and
 * every partial frame is shown after a report that names its image. */
typedef struct progress_run {
    bool done;
    int exit_code;
    size_t n_images;
    int reports, last_image, partials_shown, max_image_partials;
    bool expected_any;
} progress_run;

static void on_progress(void *ctx, const ea_turn_progress *p)
{
    progress_run *r = ctx;
    r->reports++;
    r->expected_any |= p->images_expected != 0;
    assert_true(p->image >= r->last_image); /* it never goes back */
    r->last_image = p->image;
    if (p->image_partials > r->max_image_partials)
        r->max_image_partials = p->image_partials;
}

static void on_progress_partial(void *ctx, int index, const unsigned char *bytes, size_t n)
{
    progress_run *r = ctx;
    (void)bytes;
    (void)n;
    assert_int_equal(index, 0); /* one partial frame an image */
    /* The report before it named the image it leads to. */
    assert_int_equal(r->last_image, r->partials_shown + 1);
    r->partials_shown++;
}

static void on_progress_done(void *ctx, const ea_turn_outcome *o)
{
    progress_run *r = ctx;
    r->done = true;
    r->exit_code = o->exit_code;
    r->n_images = o->n_images;
}

static void thinking_progress_names_the_image(void **state)
{
    (void)state;
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    cfg.quiet = true;
    ea_err err = {0};
    ea_mock *mock = ea_mock_start(&cfg, &err);
    assert_non_null(mock);
    ea_backend backend = {.api_key = "sk-test"};
    snprintf(backend.base_url, sizeof backend.base_url, "%s", ea_mock_base_url(mock));
    ea_prices *prices = ea_prices_load(&err);
    assert_non_null(prices);
    ea_params params;
    ea_params_init(&params);
    assert_int_equal(ea_params_set_prompt(&params, "a 4-panel storyboard of a fox", &err), 0);
    set(&params, "reasoning", "low");
    set(&params, "partials", "1");
    if (ea_params_resolve(&params, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    ea_session *session = NULL;
    assert_int_equal(ea_session_create(NULL, NULL, &session, &err), 0);
    ea_http *http = ea_http_new();
    assert_non_null(http);

    progress_run r = {0};
    ea_turn_spec spec = {&params, &backend, session, prices, 0};
    ea_turn_callbacks cb = {.on_progress = on_progress, .on_partial = on_progress_partial,
                            .on_done = on_progress_done};
    ea_turn *t = ea_turn_start(http, &spec, &cb, &r, &err);
    if (!t)
        fail_msg("%s", err.msg);
    while (!r.done) {
        assert_true(ea_http_wait(http, NULL, 0, 1000) == 0 || errno == EINTR);
        assert_int_equal(ea_http_process(http), 0);
        ea_turn_poll(t);
    }
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.n_images, 4);
    assert_false(r.expected_any);
    assert_int_equal(r.last_image, 4);
    assert_int_equal(r.partials_shown, 4);
    assert_int_equal(r.max_image_partials, 1);

    ea_turn_free(&t);
    ea_http_free(&http);
    ea_session_close(&session);
    ea_params_free(&params);
    ea_prices_free(&prices);
    ea_mock_free(&mock);
}

int main(void)
{
    ea_pictures_use(&ea_image_pictures); /* as easel's main() does */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(images_api_result_follows_its_image, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(responses_api_result_follows_its_image, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(thinking_progress_names_the_image, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
