/* SPDX-License-Identifier: MIT */
/* Drafts (design.md 7): the JSON a draft is kept as (round trip, sorted keys, lenient reading),
 * the new session's draft.json (0600, removed when empty), and session.json's `draft` and
 * `defaults`, carried through the rewrite a turn makes and read without opening the session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "easel/draft.h"
#include "easel/session.h"
#include "store_fixture.h"

static void fill(ea_draft *d)
{
    assert_int_equal(ea_draft_init(d), 0);
    assert_int_equal(ea_draft_set_prompt(d, "एक लाल लोमड़ी \"quoted\"\nline two"), 0);
    assert_int_equal(ea_draft_add_image(d, "/pics/ref one.png"), 0);
    assert_int_equal(ea_draft_add_image(d, "/pics/ref-2.png"), 0);
    d->images_once = true;
    assert_int_equal(ea_draft_set_param(d, "quality", "high"), 0);
    assert_int_equal(ea_draft_set_param(d, "text-model", "gpt-5.4"), 0);
    assert_int_equal(ea_draft_set_param(d, "size", "16:9"), 0);
    assert_int_equal(ea_draft_set_param(d, "partials", "3"), 0);
}

static void json_of(const ea_draft *d, ea_buf *out)
{
    ea_buf_init(out, EA_BUF_UNCAPPED);
    assert_int_equal(ea_draft_to_json(d, out), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    ea_draft d, back;
    fill(&d);
    ea_buf a, b;
    json_of(&d, &a);
    /* Pure ASCII, keys sorted. */
    for (size_t i = 0; i < a.len; i++)
        assert_true((unsigned char)a.data[i] < 0x80);
    assert_true(strstr(a.data, "\"images\"") < strstr(a.data, "\"params\""));
    assert_true(strstr(a.data, "\"params\"") < strstr(a.data, "\"prompt\""));
    assert_int_equal(ea_draft_init(&back), 0);
    assert_int_equal(ea_draft_from_json(a.data, a.len, &back, NULL), 0);
    assert_string_equal(back.prompt, d.prompt);
    assert_int_equal(back.n_images, 2);
    assert_string_equal(back.images[0], "/pics/ref one.png");
    assert_true(back.images_once);
    assert_string_equal(ea_draft_param(&back, "size"), "16:9");
    assert_null(ea_draft_param(&back, "format"));
    /* The same draft gives the same text, whatever order its values were set in. */
    json_of(&back, &b);
    assert_string_equal(a.data, b.data);
    ea_buf_free(&b);
    ea_draft_set_param(&back, "quality", NULL); /* removed */
    ea_draft_set_param(&back, "quality", "high");
    json_of(&back, &b);
    assert_string_equal(a.data, b.data);
    assert_false(ea_draft_is_empty(&back));
    ea_buf_free(&a);
    ea_buf_free(&b);
    ea_draft_free(&d);
    ea_draft_free(&back);
}

static void test_lenient_reading(void **state)
{
    (void)state;
    ea_draft d;
    assert_int_equal(ea_draft_init(&d), 0);
    const char *odd = "{\"prompt\": 7, \"images\": [\"/a.png\", 3, \"\"], \"images_once\": true,"
                      " \"params\": {\"quality\": \"low\", \"count\": 2}, \"future\": {}}";
    assert_int_equal(ea_draft_from_json(odd, strlen(odd), &d, NULL), 0);
    assert_string_equal(d.prompt, "");
    assert_int_equal(d.n_images, 1);
    assert_true(d.images_once);
    assert_string_equal(ea_draft_param(&d, "quality"), "low");
    assert_null(ea_draft_param(&d, "count"));
    ea_err err = {0};
    assert_int_equal(ea_draft_from_json("[1]", 3, &d, &err), -1);
    assert_true(ea_draft_is_empty(&d));
    /* Too many images: the first EA_MAX_IMAGES. */
    ea_buf many;
    ea_buf_init(&many, EA_BUF_UNCAPPED);
    ea_buf_puts(&many, "{\"images\": [");
    for (int i = 0; i < EA_MAX_IMAGES + 4; i++)
        ea_buf_printf(&many, "%s\"/%d.png\"", i ? "," : "", i);
    ea_buf_puts(&many, "]}");
    assert_int_equal(ea_draft_from_json(many.data, many.len, &d, NULL), 0);
    assert_int_equal(d.n_images, EA_MAX_IMAGES);
    ea_buf_free(&many);
    ea_draft_free(&d);
}

static void test_new_session_file(void **state)
{
    store_fixture *fx = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/easel/draft.json", fx->data);
    ea_draft d, back;
    assert_int_equal(ea_draft_init(&back), 0);
    assert_int_equal(ea_draft_file_load(&back, NULL), 0); /* none yet */
    fill(&d);
    assert_int_equal(ea_draft_file_save(&d, NULL), 0);
    assert_int_equal(mode_of(path), 0600);
    assert_int_equal(ea_draft_file_load(&back, NULL), 1);
    assert_string_equal(back.prompt, d.prompt);
    assert_int_equal(back.n_images, 2);
    /* Empty: the file goes. */
    ea_draft_free(&d);
    assert_int_equal(ea_draft_init(&d), 0);
    assert_int_equal(ea_draft_file_save(&d, NULL), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(ea_draft_file_save(&d, NULL), 0); /* and again: nothing to remove */
    /* A link in its place is not followed. */
    assert_int_equal(symlink("/etc/hostname", path), 0);
    assert_int_equal(ea_draft_file_load(&back, NULL), -1);
    unlink(path);
    ea_draft_free(&d);
    ea_draft_free(&back);
}

static void test_session_keeps_its_draft(void **state)
{
    (void)state;
    ea_err err = {0};
    ea_session *s = NULL;
    assert_int_equal(ea_session_create(NULL, NULL, &s, &err), 0);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", ea_session_dir(s));
    ea_draft d, back;
    assert_int_equal(ea_draft_init(&back), 0);
    assert_int_equal(ea_session_read_draft(dir, &back, &err), 0); /* none yet */
    fill(&d);
    assert_int_equal(ea_session_save_draft(s, &d, &err), 0);
    /* The parameters session.json's `defaults` names are the panel's values. */
    const ea_session_defaults *def = ea_session_get_defaults(s);
    assert_string_equal(def->quality, "high");
    assert_string_equal(def->text_model, "gpt-5.4");
    assert_string_equal(def->size, "16:9");
    assert_int_equal(def->partials, 3);
    assert_string_equal(def->format, "");

    /* A turn rewrites session.json: the draft stays. */
    ea_audit_request req;
    ea_audit_request_init(&req);
    req.api = "images";
    req.endpoint = "/v1/images/generations";
    req.model = "gpt-image-2";
    req.prompt = "a fox";
    int turn = 0;
    assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.status = EA_AUDIT_FAILED;
    assert_int_equal(ea_session_end_turn(s, turn, &res, &err), 0);
    ea_session_close(&s);

    assert_int_equal(ea_session_read_draft(dir, &back, &err), 1);
    assert_string_equal(back.prompt, d.prompt);
    assert_string_equal(back.images[1], "/pics/ref-2.png");
    assert_string_equal(ea_draft_param(&back, "quality"), "high");
    /* Opened again, it still has it, and its defaults. */
    const char *id = strrchr(dir, '/') + 1;
    assert_int_equal(ea_session_open(id, EA_SESSION_WRITE, &s, &err), 0);
    assert_string_equal(ea_session_get_defaults(s)->quality, "high");
    assert_int_equal(ea_session_save_draft(s, &back, &err), 0);
    ea_session_close(&s);
    /* Read-only sessions cannot save one. */
    assert_int_equal(ea_session_open(id, EA_SESSION_READ, &s, &err), 0);
    assert_int_equal(ea_session_save_draft(s, &d, &err), -1);
    ea_session_close(&s);
    ea_draft_free(&d);
    ea_draft_free(&back);
}

/* A draft at the editor's limit (32,000 characters, six bytes each as written) makes a
 * session.json far past the 16 KiB read at once: it is still read whole, never taken for a
 * damaged cache and rebuilt without its draft. */
static void test_long_draft_survives_reopening(void **state)
{
    (void)state;
    ea_err err = {0};
    ea_session *s = NULL;
    assert_int_equal(ea_session_create("long", NULL, &s, &err), 0);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", ea_session_dir(s));
    size_t n = 32000;
    char *text = malloc(n * 3 + 1);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        memcpy(text + i * 3, "\xe0\xa4\x95", 3); /* क */
    text[n * 3] = '\0';
    ea_draft d, back;
    assert_int_equal(ea_draft_init(&d), 0);
    assert_int_equal(ea_draft_set_prompt(&d, text), 0);
    assert_int_equal(ea_session_save_draft(s, &d, &err), 0);
    ea_session_close(&s);
    assert_int_equal(ea_session_open("long", EA_SESSION_WRITE, &s, &err), 0);
    assert_false(ea_session_cache_rebuilt(s));
    ea_session_close(&s);
    assert_int_equal(ea_draft_init(&back), 0);
    assert_int_equal(ea_session_read_draft(dir, &back, &err), 1);
    assert_string_equal(back.prompt, text);
    ea_draft_free(&d);
    ea_draft_free(&back);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_lenient_reading),
        cmocka_unit_test_setup_teardown(test_new_session_file, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_session_keeps_its_draft, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_long_draft_survives_reopening, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests_name("draft", tests, NULL, NULL);
}
