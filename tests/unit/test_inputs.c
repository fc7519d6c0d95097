/* SPDX-License-Identifier: MIT */
/* Inputs (issue 13): the files a request sends are hashed as sent (a mask after its
 * conversion), given a role, kept once per content in the session's inputs/ and checked by
 * verify; the estimate counts them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>

#include "easel/api.h"
#include "easel/audit.h"
#include "easel/image.h"
#include "easel/prices.h"
#include "easel/session.h"
#include "store_fixture.h"

/* A w x h PNG at path: white where white is true, else black. */
static void write_png(const char *path, int w, int h, bool white)
{
    ea_image img = {0};
    assert_int_equal(ea_image_alloc(&img, w, h), 0);
    memset(img.rgba, white ? 255 : 0, (size_t)w * h * 4);
    for (size_t i = 0; i < (size_t)w * h; i++)
        img.rgba[4 * i + 3] = 255;
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    assert_int_equal(ea_image_encode(&img, "png", 100, false, &out, NULL), 0);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(out.data, 1, out.len, f), out.len);
    assert_int_equal(fclose(f), 0);
    ea_buf_free(&out);
    ea_image_free(&img);
}

static void file_sha(const char *path, char hex[EA_SHA256_HEX_SIZE])
{
    uint64_t n;
    assert_int_equal(ea_sha256_file_hex(path, hex, &n, NULL), 0);
}

typedef struct files {
    char a[200], b[200], mask[200];
} files;

static void make_files(void **state, files *f)
{
    const store_fixture *fx = *state;
    snprintf(f->a, sizeof f->a, "%s/a.png", fx->root);
    snprintf(f->b, sizeof f->b, "%s/b.png", fx->root);
    snprintf(f->mask, sizeof f->mask, "%s/mask.png", fx->root);
    write_png(f->a, 64, 64, false);
    write_png(f->b, 600, 520, true);
    write_png(f->mask, 32, 32, true); /* black and white, another size: converted and scaled */
}

static void params_with(ea_params *p, const char *api, const char *action, const files *f,
                        bool mask)
{
    ea_err err = {0};
    ea_params_init(p);
    assert_int_equal(ea_params_set(p, ea_param_by_long("api"), api, &err), 0);
    if (action)
        assert_int_equal(ea_params_set(p, ea_param_by_long("action"), action, &err), 0);
    assert_int_equal(ea_params_set_prompt(p, "a test", &err), 0);
    assert_int_equal(ea_params_add_image(p, f->a, &err), 0);
    assert_int_equal(ea_params_add_image(p, f->b, &err), 0);
    if (mask)
        assert_int_equal(ea_params_set(p, ea_param_by_long("mask"), f->mask, &err), 0);
    if (ea_params_resolve(p, NULL, &err) != 0)
        fail_msg("resolve: %s", err.msg);
}

/* An Images API edit of a.png with b.png and the mask, built. */
static void build_edit(void **state, files *f, ea_params *p, ea_request *r)
{
    make_files(state, f);
    params_with(p, "images", NULL, f, true);
    ea_err err = {0};
    if (ea_request_build(p, NULL, r, &err) != 0)
        fail_msg("build: %s", err.msg);
}

static void test_request_inputs_as_sent(void **state)
{
    files f;
    ea_params p;
    ea_request r;
    build_edit(state, &f, &p, &r);
    assert_int_equal(r.n_inputs, 3);
    assert_string_equal(r.inputs[0].role, "image");
    assert_string_equal(r.inputs[1].role, "reference");
    assert_string_equal(r.inputs[2].role, "mask");
    char hex[EA_SHA256_HEX_SIZE], mask_hex[EA_SHA256_HEX_SIZE];
    file_sha(f.a, hex);
    assert_string_equal(r.inputs[0].sha256, hex);
    assert_string_equal(r.inputs[0].source, f.a);
    assert_int_equal(r.inputs[1].width, 600);
    assert_int_equal(r.inputs[1].height, 520);
    /* The mask is hashed as sent: converted to alpha and scaled to the first image. */
    file_sha(f.mask, mask_hex);
    assert_string_not_equal(r.inputs[2].sha256, mask_hex);
    ea_image sent = {0};
    assert_int_equal(ea_image_decode(r.inputs[2].bytes, r.inputs[2].n_bytes,
                                     &ea_image_default_limits, &sent, NULL), 0);
    assert_int_equal(sent.w, 64);
    assert_int_equal(sent.rgba[3], 0); /* white: the area to edit, alpha 0 */
    ea_image_free(&sent);
    /* The parts send the very bytes that were hashed. */
    int files_seen = 0;
    for (int i = 0; i < r.n_parts; i++) {
        if (r.parts[i].value)
            continue;
        assert_ptr_equal(r.parts[i].bytes, r.inputs[files_seen].bytes);
        assert_int_equal(r.parts[i].n_bytes, r.inputs[files_seen].n_bytes);
        files_seen++;
    }
    assert_int_equal(files_seen, 3);
    /* The record's inputs. */
    char *text = ea_request_inputs_json(&r);
    json_t *list = json_loads(text, 0, NULL);
    assert_int_equal(json_array_size(list), 3);
    json_t *first = json_array_get(list, 0);
    char path[128];
    snprintf(path, sizeof path, "inputs/%s.png", hex);
    assert_string_equal(json_string_value(json_object_get(first, "path")), path);
    assert_string_equal(json_string_value(json_object_get(first, "role")), "image");
    assert_int_equal(json_integer_value(json_object_get(first, "bytes")), r.inputs[0].n_bytes);
    json_decref(list);
    free(text);
    /* 64x64 is one tile, 600x520 four; the mask is not an input image. */
    int images = 0;
    assert_int_equal(ea_request_input_image_tokens(&r, &images), (65 + 129) + (65 + 4 * 129));
    assert_int_equal(images, 2);
    ea_request_free(&r);
    ea_params_free(&p);
}

static void test_roles_on_the_responses_api(void **state)
{
    files f;
    make_files(state, &f);
    static const struct { const char *action; bool mask; const char *first; } cases[] = {
        {NULL, false, "reference"}, {"generate", false, "reference"}, {"auto", false, "reference"},
        {"edit", false, "image"}, {NULL, true, "image"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ea_params p;
        params_with(&p, "responses", cases[i].action, &f, cases[i].mask);
        ea_request r;
        ea_err err = {0};
        if (ea_request_build(&p, NULL, &r, &err) != 0)
            fail_msg("build: %s", err.msg);
        assert_string_equal(r.inputs[0].role, cases[i].first);
        assert_string_equal(r.inputs[1].role, "reference");
        ea_request_free(&r);
        ea_params_free(&p);
    }
}

/* A turn's inputs kept and verified; a changed copy is named, never written over. */
static void test_inputs_kept_and_verified(void **state)
{
    files f;
    ea_params p;
    ea_request r;
    build_edit(state, &f, &p, &r);
    ea_err err = {0};
    ea_session *s = NULL;
    assert_int_equal(ea_session_create("inputs", NULL, &s, &err), 0);
    for (int round = 0; round < 2; round++) { /* the second stores nothing new */
        for (int i = 0; i < r.n_inputs; i++) {
            char name[128];
            ea_request_input_name(&r.inputs[i], name, sizeof name);
            if (ea_session_save_input(s, name, r.inputs[i].sha256, r.inputs[i].bytes,
                                      r.inputs[i].n_bytes, &err) != 0)
                fail_msg("save_input: %s", err.msg);
        }
        char *inputs = ea_request_inputs_json(&r);
        ea_audit_request rec;
        ea_audit_request_init(&rec);
        rec.params_json = r.record_json;
        rec.inputs_json = inputs;
        int turn;
        assert_int_equal(ea_session_begin_turn(s, &rec, &turn, &err), 0);
        free(inputs);
    }
    char dir[PATH_MAX], copy[PATH_MAX + 100];
    snprintf(dir, sizeof dir, "%s", ea_session_dir(s));
    snprintf(copy, sizeof copy, "%s/inputs/%s.png", dir, r.inputs[2].sha256);
    assert_int_equal(mode_of(copy), 0600);
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir, &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    assert_int_equal(report.inputs, 6);

    FILE *fp = fopen(copy, "ab");
    assert_non_null(fp);
    fputc('x', fp);
    fclose(fp);
    assert_int_equal(ea_audit_verify(dir, &report, &err), 0);
    assert_int_equal(report.n_problems, 2); /* named by both turns */
    assert_non_null(strstr(report.problems[0].file, r.inputs[2].sha256));
    assert_non_null(strstr(report.problems[0].text, "the log says"));
    char name[128];
    ea_request_input_name(&r.inputs[2], name, sizeof name);
    assert_int_equal(ea_session_save_input(s, name, r.inputs[2].sha256, r.inputs[2].bytes,
                                           r.inputs[2].n_bytes, &err), -1);
    assert_non_null(strstr(err.msg, "does not hold what its name says"));
    assert_int_equal(ea_session_save_input(s, "../x.png", "0", "x", 1, &err), -1);
    unlink(copy);
    assert_int_equal(ea_audit_verify(dir, &report, &err), 0);
    assert_non_null(strstr(report.problems[0].text, "is missing"));
    ea_session_close(&s);
    ea_request_free(&r);
    ea_params_free(&p);
}

static void test_estimate_counts_input_images(void **state)
{
    (void)state;
    assert_int_equal(ea_prices_input_image_tokens(1024, 1024), 65 + 4 * 129);
    assert_int_equal(ea_prices_input_image_tokens(512, 512), 65 + 129);
    assert_int_equal(ea_prices_input_image_tokens(513, 512), 65 + 2 * 129);
    assert_int_equal(ea_prices_input_image_tokens(0, 0), 65);
    ea_err err = {0};
    ea_prices *prices = ea_prices_parse(ea_prices_default_json, &err);
    assert_non_null(prices);
    ea_params p;
    ea_params_init(&p);
    assert_int_equal(ea_params_set_prompt(&p, "abcd", &err), 0);
    assert_int_equal(ea_params_add_image(&p, "x.png", &err), 0);
    assert_int_equal(ea_params_resolve(&p, NULL, &err), 0);
    ea_estimate est;
    ea_prices_estimate(prices, &p, &est);
    assert_non_null(strstr(est.basis, "input images not counted"));
    double before = est.usd;
    ea_prices_add_input_images(prices, p.model, 1, 581, &est);
    /* gpt-image-2's image input: $8 per million tokens. */
    assert_true(fabs(est.usd - (before + 581 * 8e-6)) < 1e-12);
    assert_null(strstr(est.basis, "not counted"));
    assert_non_null(strstr(est.basis, "1 input image 581 tokens"));
    ea_params_free(&p);
    ea_prices_free(&prices);
}

/* A file name is any bytes; the record is JSON, which holds only Unicode. */
static void test_source_not_utf8(void **state)
{
    const store_fixture *fx = *state;
    char path[200];
    snprintf(path, sizeof path, "%s/r\xe9" "f.png", fx->root);
    write_png(path, 16, 16, true);
    ea_params p;
    ea_err err = {0};
    ea_params_init(&p);
    assert_int_equal(ea_params_set_prompt(&p, "x", &err), 0);
    assert_int_equal(ea_params_add_image(&p, path, &err), 0);
    assert_int_equal(ea_params_resolve(&p, NULL, &err), 0);
    ea_request r;
    assert_int_equal(ea_request_build(&p, NULL, &r, &err), 0);
    char *text = ea_request_inputs_json(&r);
    assert_non_null(text);
    assert_non_null(strstr(text, "/r?f.png\""));
    free(text);
    ea_request_free(&r);
    ea_params_free(&p);
}

static void write_bytes(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

/* The types the API takes as an input_file, and those it refuses. */
static void test_document_types(void **state)
{
    (void)state;
    const char *mime = NULL;
    const unsigned char pdf[] = "%PDF-1.7\n", zip[] = "PK\x03\x04rest", text[] = "# brief\n";
    const unsigned char png[] = "\x89PNG\r\n\x1a\n", nul[] = {'a', 0, 'b'};
    assert_string_equal(ea_document_type("deck", pdf, sizeof pdf - 1, &mime), "pdf");
    assert_string_equal(mime, "application/pdf");
    assert_string_equal(ea_document_type("dir.x/deck.PPTX", zip, sizeof zip - 1, &mime), "pptx");
    assert_string_equal(ea_document_type("notes.md", text, sizeof text - 1, &mime), "md");
    assert_string_equal(mime, "text/markdown");
    assert_null(ea_document_type("deck.pptx", text, sizeof text - 1, &mime)); /* not a zip */
    assert_null(ea_document_type("notes.txt", nul, sizeof nul, &mime));      /* binary */
    assert_null(ea_document_type("photo.png", png, sizeof png - 1, &mime));
    assert_null(ea_document_type("tool.exe", zip, sizeof zip - 1, &mime));
}

/* Documents go as input_file parts with data URLs, recorded as {path, sha256}; reasoning and
 * web search as the request's fields; a refused document or one over the limit stops the
 * build, naming the rule. */
static void test_thinking_request(void **state)
{
    const store_fixture *fx = *state;
    char pdf[200], exe[200], big[200];
    snprintf(pdf, sizeof pdf, "%s/brief.pdf", fx->root);
    snprintf(exe, sizeof exe, "%s/run.exe", fx->root);
    snprintf(big, sizeof big, "%s/big.pdf", fx->root);
    write_bytes(pdf, "%PDF-1.4 brief", 14);
    write_bytes(exe, "MZ\x90\x00", 4);
    ea_params p;
    ea_err err = {0};
    ea_params_init(&p);
    assert_int_equal(ea_params_set_prompt(&p, "a storyboard", &err), 0);
    assert_int_equal(ea_params_set(&p, ea_param_by_long("reasoning"), "high", &err), 0);
    assert_int_equal(ea_params_set(&p, ea_param_by_long("web-search"), "on", &err), 0);
    assert_int_equal(ea_params_add_document(&p, pdf, &err), 0);
    assert_int_equal(ea_params_resolve(&p, NULL, &err), 0);
    ea_request r;
    if (ea_request_build(&p, NULL, &r, &err) != 0)
        fail_msg("build: %s", err.msg);
    assert_int_equal(r.n_inputs, 1);
    assert_string_equal(r.inputs[0].role, "document");
    assert_string_equal(r.inputs[0].format, "pdf");
    assert_int_equal(ea_request_input_image_tokens(&r, NULL), 0);
    json_t *body = json_loads(r.json, 0, NULL), *rec = json_loads(r.record_json, 0, NULL);
    json_t *part = json_array_get(json_object_get(json_array_get(json_object_get(body, "input"),
                                                                 0), "content"), 1);
    assert_string_equal(json_string_value(json_object_get(part, "type")), "input_file");
    assert_string_equal(json_string_value(json_object_get(part, "filename")), "brief.pdf");
    assert_string_equal(json_string_value(json_object_get(part, "file_data")),
                        "data:application/pdf;base64,JVBERi0xLjQgYnJpZWY=");
    json_t *rpart = json_array_get(json_object_get(json_array_get(json_object_get(rec, "input"),
                                                                  0), "content"), 1);
    assert_null(json_object_get(rpart, "file_data"));
    assert_string_equal(json_string_value(json_object_get(rpart, "sha256")), r.inputs[0].sha256);
    json_t *reasoning = json_object_get(body, "reasoning");
    assert_string_equal(json_string_value(json_object_get(reasoning, "effort")), "high");
    assert_string_equal(json_string_value(json_object_get(reasoning, "summary")), "auto");
    json_t *tools = json_object_get(body, "tools");
    assert_int_equal(json_array_size(tools), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tools, 1), "type")),
                        "web_search");
    assert_true(json_equal(json_object_get(rec, "reasoning"), reasoning));
    json_decref(body);
    json_decref(rec);
    ea_request_free(&r);

    free(p.documents[0]);
    p.documents[0] = strdup(exe);
    assert_int_not_equal(ea_request_build(&p, NULL, &r, &err), 0);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "input_file"));
    FILE *f = fopen(big, "wb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 50L * 1024 * 1024, SEEK_SET), 0);
    fputs("%PDF", f);
    fclose(f);
    free(p.documents[0]);
    p.documents[0] = strdup(big);
    ea_err err2 = {0};
    assert_int_not_equal(ea_request_build(&p, NULL, &r, &err2), 0);
    assert_int_equal(err2.code, EA_EXIT_USAGE);
    assert_non_null(strstr(err2.msg, "50 MB"));
    ea_params_free(&p);
}

int main(void)
{
    ea_pictures_use(&ea_image_pictures); /* as easel's main() does */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_inputs_as_sent, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_roles_on_the_responses_api, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_inputs_kept_and_verified, store_setup,
                                        store_teardown),
        cmocka_unit_test(test_estimate_counts_input_images),
        cmocka_unit_test_setup_teardown(test_source_not_utf8, store_setup, store_teardown),
        cmocka_unit_test(test_document_types),
        cmocka_unit_test_setup_teardown(test_thinking_request, store_setup, store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
