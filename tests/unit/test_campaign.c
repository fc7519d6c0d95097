/* SPDX-License-Identifier: MIT */
/* Unit tests for src/model/campaign.c (issue 14, item 1): batch plan files: template
 * expansion (the cross product, {name} fields, lists that set fields, custom_ids), CSV
 * quoting, each refusal naming line, field, value and rule; the split into batches; the
 * line bodies; the output file's line reader fed in pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/api.h"
#include "easel/campaign.h"

static int parse(ea_plan *p, const char *text)
{
    ea_err err = {0};
    ea_plan_init(p);
    return ea_plan_parse(p, "plan", NULL, text, strlen(text), &err);
}

static void test_template_cross_product(void **state)
{
    (void)state;
    ea_plan p;
    assert_int_equal(parse(&p, "# a comment\n\n"
                               "{\"prompt\": \"a fox as {style}, {light}\", \"quality\": \"low\", "
                               "\"vary\": {\"style\": [\"ink\", \"oil\", \"clay\"], "
                               "\"light\": [\"dawn\", \"dusk\"], \"size\": [\"1024x1024\", "
                               "\"1536x1024\"]}}\n"),
                     0);
    assert_int_equal(p.n_errors, 0);
    assert_int_equal(p.n_lines, 12);
    /* The first list varies slowest. */
    assert_string_equal(p.lines[0].params.prompt, "a fox as ink, dawn");
    assert_string_equal(p.lines[1].params.prompt, "a fox as ink, dawn");
    assert_int_equal(p.lines[0].params.size.w, 1024);
    assert_int_equal(p.lines[1].params.size.w, 1536);
    assert_string_equal(p.lines[2].params.prompt, "a fox as ink, dusk");
    assert_string_equal(p.lines[11].params.prompt, "a fox as clay, dusk");
    assert_string_equal(p.lines[0].custom_id, "line-3-1");
    assert_string_equal(p.lines[11].custom_id, "line-3-12");
    assert_int_equal(p.lines[5].source_line, 3);
    assert_int_equal(p.lines[5].variant, 6);
    assert_string_equal(p.lines[0].params.quality, "low");
    assert_string_equal(p.lines[0].endpoint, EA_ENDPOINT_GENERATIONS);
    ea_plan_free(&p);
}

static void test_template_custom_id_and_errors(void **state)
{
    (void)state;
    ea_plan p;
    assert_int_equal(parse(&p, "{\"prompt\": \"{a}\", \"custom_id\": \"x-{a}\", "
                               "\"vary\": {\"a\": [\"one\", 2]}}\n"),
                     0);
    assert_int_equal(p.n_lines, 2);
    assert_string_equal(p.lines[0].custom_id, "x-one");
    assert_string_equal(p.lines[1].custom_id, "x-2");
    assert_string_equal(p.lines[1].params.prompt, "2");
    ea_plan_free(&p);

    /* A {name} vary does not list, and custom_ids that collide. */
    assert_int_equal(parse(&p, "{\"prompt\": \"{b}\", \"vary\": {\"a\": [1]}}\n"
                               "{\"prompt\": \"p\", \"custom_id\": \"same\"}\n"
                               "{\"prompt\": \"q\", \"custom_id\": \"same\"}\n"),
                     0);
    assert_int_equal(p.n_lines, 1);
    assert_int_equal(p.n_errors, 2);
    assert_non_null(strstr(p.errors.data, "plan:1 (variant 1): field prompt, value '{b}': vary "
                                          "has no list named 'b'"));
    assert_non_null(strstr(p.errors.data, "plan:3: field custom_id, value 'same': custom_id "
                                          "must be unique"));
    ea_plan_free(&p);

    /* A prompt's braces outside a template are text. */
    assert_int_equal(parse(&p, "{\"prompt\": \"a {curly} sign\"}\n"), 0);
    assert_int_equal(p.n_lines, 1);
    assert_string_equal(p.lines[0].params.prompt, "a {curly} sign");
    ea_plan_free(&p);
}

static void test_rules_name_line_field_value(void **state)
{
    (void)state;
    ea_plan p;
    assert_int_equal(parse(&p, "{\"prompt\": \"ok\"}\n"
                               "{\"prompt\": \"a\", \"size\": \"1000x1000\"}\n"
                               "{\"prompt\": \"a\", \"n\": 11}\n"
                               "{\"prompt\": \"a\", \"format\": \"jpeg\", \"compression\": 101}\n"
                               "{\"prompt\": \"a\", \"mask\": \"/nonexistent/m.png\"}\n"
                               "{\"size\": \"auto\"}\n"
                               "[1, 2]\n"),
                     0);
    assert_int_equal(p.n_lines, 1);
    assert_int_equal(p.n_errors, 6);
    const char *e = p.errors.data;
    assert_non_null(strstr(e, "plan:2: field size, value '1000x1000': size '1000x1000' is not "
                              "valid for gpt-image-2: both sides must be multiples of 16"));
    assert_non_null(strstr(e, "plan:3: field n, value '11': count 11: must be 1 to 10"));
    assert_non_null(strstr(e, "plan:4: field output_compression, value '101': compression 101: "
                              "must be 0 to 100"));
    assert_non_null(strstr(e, "plan:5: field mask, value '/nonexistent/m.png': No such file"));
    assert_non_null(strstr(e, "plan:6: field prompt, value '': a prompt (a string) is required"));
    assert_non_null(strstr(e, "plan:7: field (line), value '[1, 2]': not a JSON object"));
    ea_plan_free(&p);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    const char *text = "a,\"b, c\",\"say \"\"hi\"\"\",\"two\nlines\"\r\nnext,,x\n";
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    size_t pos = 0, n, lines;
    assert_int_equal(ea_csv_record(text, strlen(text), &pos, &out, &n, &lines), 1);
    assert_int_equal(n, 4);
    assert_int_equal(lines, 2);
    const char *f = out.data;
    assert_string_equal(f, "a");
    f += strlen(f) + 1;
    assert_string_equal(f, "b, c");
    f += strlen(f) + 1;
    assert_string_equal(f, "say \"hi\"");
    f += strlen(f) + 1;
    assert_string_equal(f, "two\nlines");
    assert_int_equal(ea_csv_record(text, strlen(text), &pos, &out, &n, &lines), 1);
    assert_int_equal(n, 3);
    f = out.data;
    assert_string_equal(f, "next");
    f += strlen(f) + 1;
    assert_string_equal(f, "");
    assert_int_equal(ea_csv_record(text, strlen(text), &pos, &out, &n, &lines), 0);
    pos = 0;
    assert_int_equal(ea_csv_record("\"open", 5, &pos, &out, &n, &lines), -1);
    ea_buf_free(&out);

    ea_plan p;
    assert_int_equal(parse(&p, "prompt,size,quality,custom_id\n"
                               "\"a fox, in \"\"snow\"\"\",1024x1024,low,fox\n"
                               "\"a heron\nat dawn\",,high,\n"
                               "\"bad\",1000x1000,low,\n"),
                     0);
    assert_int_equal(p.n_lines, 2);
    assert_string_equal(p.lines[0].params.prompt, "a fox, in \"snow\"");
    assert_string_equal(p.lines[0].custom_id, "fox");
    assert_string_equal(p.lines[1].params.prompt, "a heron\nat dawn");
    assert_null(p.lines[1].params.size_text); /* an empty cell is not given */
    assert_string_equal(p.lines[1].custom_id, "line-3");
    assert_int_equal(p.n_errors, 1);
    assert_non_null(strstr(p.errors.data, "plan:5: field size, value '1000x1000'"));
    ea_plan_free(&p);

    assert_int_equal(parse(&p, "prompt,colour\nx,red\n"), 0);
    assert_int_equal(p.n_errors, 1);
    assert_non_null(strstr(p.errors.data, "plan:1: field colour"));
    ea_plan_free(&p);
}

static void test_split_and_bodies(void **state)
{
    (void)state;
    ea_plan p;
    /* 120,001 lines would be slow to parse here; the split is checked on byte sizes. */
    assert_int_equal(parse(&p, "{\"prompt\": \"x {k}\", \"vary\": {\"k\": [1,2,3,4,5,6]}}\n"), 0);
    size_t bytes[6] = {90u << 20, 90u << 20, 90u << 20, 10, 10, 10};
    ea_plan_part *parts;
    size_t n;
    ea_err err = {0};
    assert_int_equal(ea_plan_split(&p, bytes, &parts, &n, &err), 0);
    assert_int_equal(n, 2); /* 90+90 MB, then 90 MB and the small ones */
    assert_int_equal(parts[0].count, 2);
    assert_int_equal(parts[1].count, 4);
    ea_plan_parts_free(&parts, n);

    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    assert_int_equal(ea_request_batch_line(&p.lines[0].params, p.lines[0].custom_id,
                                           p.lines[0].endpoint, NULL, NULL, &out, &err),
                     0);
    assert_string_equal(out.data, "{\"custom_id\":\"line-1-1\",\"method\":\"POST\",\"url\":"
                                  "\"/v1/images/generations\",\"body\":{\"model\":\"gpt-image-2\","
                                  "\"prompt\":\"x 1\"}}\n");
    ea_buf_free(&out);
    ea_plan_free(&p);
}

typedef struct seen {
    char lines[8][64];
    unsigned long long ends[8];
    int n;
} seen;

static int collect(void *ctx, const char *line, size_t len, unsigned long long end)
{
    seen *s = ctx;
    snprintf(s->lines[s->n], sizeof s->lines[0], "%.*s", (int)len, line);
    s->ends[s->n++] = end;
    return 0;
}

static void test_jsonl_reader_in_pieces(void **state)
{
    (void)state;
    const char *text = "{\"a\":1}\n{\"bb\":2}\n\n{\"c\":3}";
    /* Every split of the text into two feeds gives the same lines and offsets. */
    for (size_t cut = 0; cut <= strlen(text); cut++) {
        seen s = {0};
        ea_jsonl_reader *r = ea_jsonl_reader_new(100, collect, &s);
        assert_int_equal(ea_jsonl_reader_feed(r, text, cut), 0);
        assert_int_equal(ea_jsonl_reader_feed(r, text + cut, strlen(text) - cut), 0);
        assert_int_equal(ea_jsonl_reader_done(r), 100 + 18);
        assert_int_equal(ea_jsonl_reader_finish(r), 0);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.lines[1], "{\"bb\":2}");
        assert_int_equal(s.ends[0], 108);
        assert_int_equal(s.ends[1], 117);
        assert_string_equal(s.lines[2], "{\"c\":3}");
        ea_jsonl_reader_free(&r);
    }
}

/* Lines and lines past the cap, as one reader hands them to its two callbacks. */
typedef struct two {
    seen lines, longs;
} two;

static int collect_line(void *ctx, const char *line, size_t len, unsigned long long end)
{
    return collect(&((two *)ctx)->lines, line, len, end);
}

static int collect_long(void *ctx, const char *line, size_t len, unsigned long long end)
{
    return collect(&((two *)ctx)->longs, line, len, end);
}

/* A line past the cap is handed out by its first bytes, and the lines around it as ever, in
 * any split of the feeds, at the file's end without a newline too. */
static void test_jsonl_reader_skips_a_long_line(void **state)
{
    (void)state;
    const char *text = "{\"a\":1}\n{\"custom_id\":\"x\",\"b\":\"AAAAAAAAAAAA\"}\n{\"c\":3}\n"
                       "{\"d\":\"0123456789abcdef\"}";
    for (size_t cut = 0; cut <= strlen(text); cut++) {
        two t = {0};
        ea_jsonl_reader *r = ea_jsonl_reader_new(0, collect_line, &t);
        ea_jsonl_reader_skip_long(r, 20, collect_long);
        assert_int_equal(ea_jsonl_reader_feed(r, text, cut), 0);
        assert_int_equal(ea_jsonl_reader_feed(r, text + cut, strlen(text) - cut), 0);
        assert_int_equal(ea_jsonl_reader_done(r), 53);
        assert_int_equal(ea_jsonl_reader_finish(r), 0);
        assert_int_equal(ea_jsonl_reader_done(r), strlen(text));
        assert_int_equal(t.lines.n, 2);
        assert_string_equal(t.lines.lines[0], "{\"a\":1}");
        assert_string_equal(t.lines.lines[1], "{\"c\":3}");
        assert_int_equal(t.lines.ends[1], 53);
        assert_int_equal(t.longs.n, 2);
        assert_string_equal(t.longs.lines[0], "{\"custom_id\":\"x\",\"b\":\"AAAAAAAAAAAA\"}");
        assert_int_equal(t.longs.ends[0], 45);
        assert_string_equal(t.longs.lines[1], "{\"d\":\"0123456789abcdef\"}");
        assert_int_equal(t.longs.ends[1], strlen(text));
        ea_jsonl_reader_free(&r);
    }
}

static void test_idmap(void **state)
{
    (void)state;
    ea_idmap *m = ea_idmap_new();
    char key[32];
    for (long i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "line-%ld", i);
        assert_int_equal(ea_idmap_put(m, key, i), 1);
    }
    assert_int_equal(ea_idmap_put(m, "line-7", -7), 0);
    assert_int_equal(ea_idmap_get(m, "line-7", 0), -7);
    assert_int_equal(ea_idmap_get(m, "line-4999", 0), 4999);
    assert_int_equal(ea_idmap_get(m, "line-5000", -1), -1);
    assert_int_equal(ea_idmap_count(m), 5000);
    ea_idmap_free(&m);
    assert_null(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_cross_product),
        cmocka_unit_test(test_template_custom_id_and_errors),
        cmocka_unit_test(test_rules_name_line_field_value),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_split_and_bodies),
        cmocka_unit_test(test_jsonl_reader_in_pieces),
        cmocka_unit_test(test_jsonl_reader_skips_a_long_line),
        cmocka_unit_test(test_idmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
