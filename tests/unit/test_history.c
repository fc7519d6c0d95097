/* SPDX-License-Identifier: MIT */
/* History: turns read back from a session written through the session API (branches, failed
 * and open turns, a torn tail, damaged lines), the branch lines, search, date bounds, the
 * export sidecar, leftovers found and kept, the streaming reader, and verify's anchor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>

#include "easel/history.h"
#include "easel/session.h"
#include "store_fixture.h"

static const unsigned char png_bytes[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 1, 2};

/* One turn; status COMPLETED saves an image. Returns the turn number. */
static int run_turn(ea_session *s, const char *prompt, const char *revised, const char *resp,
                    int from, enum ea_audit_status status)
{
    ea_err err = {0};
    ea_audit_request req;
    ea_audit_request_init(&req);
    req.api = "responses";
    req.model = "gpt-image-2";
    req.prompt = prompt;
    req.params_json = "{\"tools\":[{\"type\":\"image_generation\",\"size\":\"1024x1536\","
                      "\"quality\":\"low\"}]}";
    req.previous_response_id = ea_session_last_response_id(s);
    req.parent_turn = from;
    req.estimate_usd = 0.25;
    req.offline = from > 0; /* the branch went to the offline backend */
    int turn = 0;
    assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);
    ea_audit_image img;
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.status = status;
    if (status == EA_AUDIT_COMPLETED) {
        assert_int_equal(ea_session_save_image(s, turn, 1, "png", png_bytes, sizeof png_bytes,
                                               &img, &err), 0);
        img.width = 1024, img.height = 1536;
        res.images = &img;
        res.n_images = 1;
        res.http_status = 200;
        res.response_id = resp;
        res.revised_prompt = revised;
        res.cost_usd = 0.5;
        res.usage_json = "{\"output_tokens\":272}";
        res.tool_usage_json = "{\"image_gen\":{\"output_tokens\":4160}}";
        res.cost_text_usd = 0.375;
        res.cost_image_usd = 0.125;
        res.cost_image_estimated = turn == 3; /* a turn whose response had no tool_usage */
    }
    assert_int_equal(ea_session_end_turn(s, turn, &res, &err), 0);
    return turn;
}

/* Turns 1-2-3, 4 from 1 (so 1 has two children), 5 failed after 4, 6 on from 4. */
static ea_session *branched_session(void)
{
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("tree", NULL, &s, &err), 0);
    run_turn(s, "a fox", "a red fox", "resp_1", 0, EA_AUDIT_COMPLETED);
    run_turn(s, "a fox in snow", "a fox in deep snow", "resp_2", 0, EA_AUDIT_COMPLETED);
    run_turn(s, "a fox at night", "a fox at night", "resp_3", 0, EA_AUDIT_COMPLETED);
    run_turn(s, "a fox in rain", "a fox in the rain", "resp_4", 1, EA_AUDIT_COMPLETED);
    run_turn(s, "a fox forbidden", NULL, NULL, 0, EA_AUDIT_FAILED);
    run_turn(s, "a fox at dawn", "a fox at DAWN", "resp_6", 0, EA_AUDIT_COMPLETED);
    return s;
}

static void test_reader_gives_turns_with_parents(void **state)
{
    (void)state;
    ea_session *s = branched_session();
    ea_history h;
    ea_err err = {0};
    assert_int_equal(ea_history_load(ea_session_dir(s), &h, &err), 0);
    assert_int_equal(h.count, 6);
    assert_int_equal(h.notes.records, 13); /* the name record, then two a turn */
    const int parents[] = {0, 1, 2, 1, 4, 4};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(h.turns[i].turn, (int)i + 1);
        assert_int_equal(h.turns[i].parent, parents[i]);
        assert_true(h.turns[i].has_result);
    }
    assert_true(h.turns[3].branched);
    assert_false(h.turns[5].branched);
    const ea_history_turn *t = &h.turns[1];
    assert_string_equal(t->prompt, "a fox in snow");
    assert_string_equal(t->revised_prompt, "a fox in deep snow");
    assert_string_equal(t->size, "1024x1536");
    assert_string_equal(t->quality, "low");
    assert_null(t->format);
    assert_int_equal(t->count, 1);
    assert_int_equal(t->status, EA_AUDIT_COMPLETED);
    assert_int_equal(t->n_images, 1);
    assert_string_equal(t->images[0].path, "images/2-1.png");
    assert_int_equal(t->images[0].height, 1536);
    assert_true(fabs(t->cost_usd - 0.5) < 1e-9);
    assert_true(fabs(t->estimate_usd - 0.25) < 1e-9);
    assert_string_equal(t->usage_json, "{\"output_tokens\":272}");
    /* A Responses turn's two meters and the cost of each; offline money says so. */
    assert_string_equal(t->tool_usage_json, "{\"image_gen\":{\"output_tokens\":4160}}");
    assert_true(fabs(t->cost_text_usd - 0.375) < 1e-9);
    assert_true(fabs(t->cost_image_usd - 0.125) < 1e-9);
    assert_false(t->cost_image_estimated);
    assert_true(h.turns[2].cost_image_estimated);
    assert_false(t->offline);
    assert_true(h.turns[3].offline);
    assert_int_equal(h.turns[4].status, EA_AUDIT_FAILED);
    assert_null(h.turns[4].tool_usage_json);
    assert_true(isnan(h.turns[4].cost_text_usd));
    assert_true(isnan(h.turns[4].cost_usd));
    ea_history_free(&h);
    ea_session_close(&s);
}

/* Issue 13 item 11: on the Images API nothing chains, so a plain generation is a new root; only
 * --from links a turn to another. Turns 1, 2, 3 from 1, 4: the lines "1 3", "2", "4". */
static void test_plain_generations_are_roots(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("roots", NULL, &s, &err), 0);
    const int from[] = {0, 0, 1, 0};
    for (int i = 0; i < 4; i++) {
        ea_audit_request req;
        ea_audit_request_init(&req);
        req.api = "images";
        req.endpoint = from[i] ? "/v1/images/edits" : "/v1/images/generations";
        req.model = "gpt-image-2";
        req.prompt = "a fox";
        req.parent_turn = from[i];
        int turn = 0;
        assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);
        ea_audit_result res;
        ea_audit_result_init(&res);
        res.status = EA_AUDIT_COMPLETED;
        res.http_status = 200;
        assert_int_equal(ea_session_end_turn(s, turn, &res, &err), 0);
    }
    ea_history h;
    assert_int_equal(ea_history_load(ea_session_dir(s), &h, &err), 0);
    assert_int_equal(h.count, 4);
    int parents[5] = {-1};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(h.turns[i].parent, from[i]);
        parents[i + 1] = h.turns[i].parent;
    }
    ea_branches b;
    assert_int_equal(ea_branches_build(parents, 4, &b), 0);
    assert_int_equal(b.count, 3);
    assert_int_equal(b.lines[0].count, 2);
    assert_int_equal(b.lines[0].turns[0], 1);
    assert_int_equal(b.lines[0].turns[1], 3);
    assert_int_equal(b.lines[1].count, 1);
    assert_int_equal(b.lines[1].turns[0], 2);
    assert_int_equal(b.lines[2].count, 1);
    assert_int_equal(b.lines[2].turns[0], 4);
    ea_branches_free(&b);
    ea_history_free(&h);
    ea_session_close(&s);
}

/* A batch's lines: read with their custom_id, batch_part and batch_id; tallied done, failed
 * and pending (no result yet) with their spend apart from offline money, interactive turns
 * left out; and a batch line's id is never what the next Responses call continues. */
static void test_batch_lines(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("batch", NULL, &s, &err), 0);
    run_turn(s, "a fox", NULL, "resp_1", 0, EA_AUDIT_COMPLETED);
    const char *ids[] = {"ink", "oil", "clay", "tin"};
    for (int i = 0; i < 4; i++) {
        ea_audit_request req;
        ea_audit_request_init(&req);
        req.api = "images";
        req.prompt = "a fox";
        req.custom_id = ids[i];
        req.batch_part = "c-1/1";
        req.offline = i == 3;
        int turn = 0;
        assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);
    }
    for (int i = 0; i < 4; i++) {
        if (i == 2)
            continue; /* clay: not fetched yet */
        ea_audit_result res;
        ea_audit_result_init(&res);
        res.status = i == 1 ? EA_AUDIT_FAILED : EA_AUDIT_COMPLETED;
        res.response_id = "batch_req_1";
        res.cost_usd = i == 1 ? NAN : 0.25;
        res.custom_id = ids[i];
        res.batch_id = "batch_1";
        assert_int_equal(ea_session_end_batch_line(s, 2 + i, &res, &err), 0);
    }
    assert_string_equal(ea_session_last_response_id(s), "resp_1");
    ea_history h;
    assert_int_equal(ea_history_load(ea_session_dir(s), &h, &err), 0);
    assert_int_equal(h.count, 5);
    ea_history_batch b = {0};
    for (size_t i = 0; i < h.count; i++) {
        const ea_history_turn *t = &h.turns[i];
        if (t->turn == 1)
            assert_null(t->custom_id);
        if (t->turn == 2) {
            assert_string_equal(t->custom_id, "ink");
            assert_string_equal(t->batch_part, "c-1/1");
            assert_string_equal(t->batch_id, "batch_1");
        }
        if (t->turn == 4)
            assert_false(t->has_result);
        ea_history_batch_add(&b, &h.turns[i]);
    }
    assert_int_equal(b.total, 4);
    assert_int_equal(b.done, 2);
    assert_int_equal(b.failed, 1);
    assert_int_equal(b.pending, 1);
    assert_true(fabs(b.spend_usd - 0.25) < 1e-12);
    assert_true(fabs(b.offline_usd - 0.25) < 1e-12);
    ea_history_free(&h);
    ea_session_close(&s);
    /* Read back afresh: still the interactive turn's response; the totals keep the paid
     * batch line's cost as the part of the spend batch lines cost. */
    assert_int_equal(ea_session_open("batch", EA_SESSION_READ, &s, &err), 0);
    assert_string_equal(ea_session_last_response_id(s), "resp_1");
    ea_audit_totals totals;
    ea_audit_get_totals(ea_session_audit(s), &totals);
    assert_true(fabs(totals.batch_usd - 0.25) < 1e-12);
    assert_true(fabs(totals.spend_usd - 0.75) < 1e-12);
    assert_true(fabs(totals.offline_usd - 0.25) < 1e-12);
    ea_session_close(&s);
}

static void test_branch_lines(void **state)
{
    (void)state;
    /* The tree of branched_session: 1-2-3, 1-4-6, 4-5. */
    const int parents[] = {-1, 0, 1, 2, 1, 4, 4};
    ea_branches b;
    assert_int_equal(ea_branches_build(parents, 6, &b), 0);
    assert_int_equal(b.count, 3);
    const int l0[] = {1, 2, 3}, l1[] = {1, 4, 5}, l2[] = {4, 6};
    assert_int_equal(b.lines[0].count, 3);
    assert_memory_equal(b.lines[0].turns, l0, sizeof l0);
    assert_int_equal(b.lines[1].count, 3);
    assert_memory_equal(b.lines[1].turns, l1, sizeof l1);
    assert_int_equal(b.lines[2].count, 2);
    assert_memory_equal(b.lines[2].turns, l2, sizeof l2);
    ea_branches_free(&b);

    /* A missing turn (-1) is left out; a straight line is one line. */
    const int straight[] = {-1, 0, 1, -1, 2};
    assert_int_equal(ea_branches_build(straight, 4, &b), 0);
    assert_int_equal(b.count, 1);
    assert_int_equal(b.lines[0].count, 3);
    ea_branches_free(&b);
}

static void test_open_turn_torn_tail_and_damage(void **state)
{
    (void)state;
    ea_session *s = branched_session();
    char dir[PATH_MAX], path[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s", ea_session_dir(s));
    /* A request with no result yet: handed out last, without a result. */
    ea_audit_request req;
    ea_audit_request_init(&req);
    req.prompt = "still running";
    int turn;
    ea_err err = {0};
    assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);
    ea_session_close(&s);
    snprintf(path, sizeof path, "%s/audit.jsonl", dir);
    assert_int_equal(spit(path, "{\"v\":1,\"seq\":13,\"ts\"", 20, "ab"), 0);

    ea_history h;
    assert_int_equal(ea_history_load(dir, &h, &err), 0);
    assert_int_equal(h.count, 7);
    assert_false(h.turns[6].has_result);
    assert_string_equal(h.turns[6].prompt, "still running");
    assert_int_equal(h.notes.torn_bytes, 20);
    ea_history_free(&h);

    /* A damaged middle line is skipped and counted; the rest still reads. */
    size_t len;
    char *text = slurp(path, &len);
    char *line4 = strchr(strchr(strchr(text, '\n') + 1, '\n') + 1, '\n') + 1;
    line4[0] = 'X'; /* turn 2's request (line 1 is the name record) */
    assert_int_equal(spit(path, text, len, "wb"), 0);
    free(text);
    assert_int_equal(ea_history_load(dir, &h, &err), 0);
    assert_int_equal(h.notes.damaged, 1);
    assert_int_equal(h.notes.first_damaged, 4);
    assert_int_equal(h.notes.orphan_results, 1); /* turn 2's result lost its request */
    assert_int_equal(h.count, 6);
    ea_history_free(&h);
}

static void test_search_and_find(void **state)
{
    (void)state;
    size_t at, len;
    assert_true(ea_history_find("A Red FOX", "red fox", &at, &len));
    assert_int_equal(at, 2);
    assert_int_equal(len, 7);
    assert_false(ea_history_find("a red fox", "blue", NULL, NULL));
    assert_true(ea_history_find("caf\xc3\xa9", "\xc3\xa9", &at, NULL));
    assert_int_equal(at, 3);
    /* Case beyond ASCII: Latin, Greek, Cyrillic; scripts without case match as they are. */
    assert_true(ea_history_find("UN ÉTÉ À PARIS", "été à", &at, &len));
    assert_int_equal(at, strlen("UN "));
    assert_int_equal(len, strlen("ÉTÉ À"));
    assert_true(ea_history_find("Σοφία", "ΣΟΦΊΑ", NULL, NULL));
    assert_true(ea_history_find("Красная лиса", "красная ЛИСА", NULL, NULL));
    assert_true(ea_history_find("एक लाल लोमड़ी", "लोमड़ी", &at, NULL));
    assert_int_equal(at, strlen("एक लाल "));
    assert_false(ea_history_find("été", "ete", NULL, NULL)); /* case, not accents */
    assert_false(ea_history_find("\xc3", "\xc3\xa9", NULL, NULL)); /* cut short: no match */
    assert_true(ea_history_find("x\xffY", "\xffy", &at, NULL)); /* invalid bytes as bytes */
    assert_int_equal(at, 1);

    ea_session *s = branched_session();
    ea_history_search *q = NULL;
    ea_err err = {0};
    ea_history_match m;
    assert_int_equal(ea_history_search_open(ea_session_dir(s), "DAWN", &q, &err), 0);
    assert_int_equal(ea_history_search_next(q, &m, &err), 1);
    assert_int_equal(m.turn, 6);
    assert_false(m.revised);
    assert_string_equal(m.text, "a fox at dawn");
    assert_int_equal(m.at, 9);
    assert_int_equal(ea_history_search_next(q, &m, &err), 1);
    assert_true(m.revised);
    assert_string_equal(m.text + m.at, "DAWN");
    assert_int_equal(ea_history_search_next(q, &m, &err), 0);
    ea_history_search_close(&q);

    /* A needle with a quote cannot be found in the raw JSON: every line is parsed instead. */
    assert_int_equal(ea_history_search_open(ea_session_dir(s), "x\"y", &q, &err), 0);
    assert_int_equal(ea_history_search_next(q, &m, &err), 0);
    ea_history_search_close(&q);
    ea_session_close(&s);
}

static void test_date_bounds(void **state)
{
    (void)state;
    char ts[EA_TIMESTAMP_SIZE];
    ea_err err = {0};
    assert_int_equal(ea_history_date_bound("2026-11-25", false, ts, &err), 0);
    assert_string_equal(ts, "2026-11-25T00:00:00.000Z");
    assert_int_equal(ea_history_date_bound("2026-11-25", true, ts, &err), 0);
    assert_string_equal(ts, "2026-11-25T23:59:59.999Z");
    assert_int_equal(ea_history_date_bound("2026-11-25T15:30", true, ts, &err), 0);
    assert_string_equal(ts, "2026-11-25T15:30:59.999Z");
    assert_int_equal(ea_history_date_bound("2026-11-25 15:30:12Z", false, ts, &err), 0);
    assert_string_equal(ts, "2026-11-25T15:30:12.000Z");
    assert_int_equal(ea_history_date_bound("2026-11-25T15:30:12.345Z", false, ts, &err), 0);
    assert_string_equal(ts, "2026-11-25T15:30:12.345Z");
    assert_int_equal(ea_history_date_bound("yesterday", false, ts, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_int_equal(ea_history_date_bound("2026-11-2", false, ts, &err), -1);
    assert_int_equal(ea_history_date_bound("2026-11-25T1", false, ts, &err), -1);
}

static void test_parse_turn(void **state)
{
    (void)state;
    int turn = -7;
    ea_err err = {0};
    assert_int_equal(ea_history_parse_turn("3", &turn, &err), 0);
    assert_int_equal(turn, 3);
    assert_int_equal(ea_history_parse_turn("2147483647", &turn, &err), 0);
    assert_int_equal(turn, 2147483647);
    static const char *const bad[] = {"0", "-1", "+3", "2147483648", "99999999999999999999",
                                      "3x", "x3", "", " 3", "3 ", "1.5", "0x10", "00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        turn = -7;
        err.code = 0;
        if (ea_history_parse_turn(bad[i], &turn, &err) != -1)
            fail_msg("accepted '%s' as turn %d", bad[i], turn);
        assert_int_equal(err.code, EA_EXIT_USAGE);
        assert_int_equal(turn, -7);
    }
    /* --from TURN:K (issue 15): K names one of a turn's several images. */
    int image = -7;
    assert_int_equal(ea_history_parse_turn_image("4", &turn, &image, &err), 0);
    assert_int_equal(turn, 4);
    assert_int_equal(image, 0);
    assert_int_equal(ea_history_parse_turn_image("4:3", &turn, &image, &err), 0);
    assert_int_equal(turn, 4);
    assert_int_equal(image, 3);
    static const char *const bad_k[] = {"4:", ":3", "4:0", "4:x", "4:3:2", "0:1", "4:-1",
                                        "99999999999999999:1"};
    for (size_t i = 0; i < sizeof bad_k / sizeof bad_k[0]; i++) {
        err.code = 0;
        if (ea_history_parse_turn_image(bad_k[i], &turn, &image, &err) != -1)
            fail_msg("accepted '%s' as turn %d image %d", bad_k[i], turn, image);
        assert_int_equal(err.code, EA_EXIT_USAGE);
    }
}

/* Dates of the right shape that name no day are refused, not matched against nothing. */
static void test_date_bounds_impossible(void **state)
{
    (void)state;
    char ts[EA_TIMESTAMP_SIZE];
    ea_err err = {0};
    static const char *const bad[] = {
        "2026-02-30", "2026-13-01", "2026-00-10", "2026-04-31", "2026-11-00", "2025-02-29",
        "0000-01-01", "2026-11-25T24:00", "2026-11-25T23:60", "2026-11-25T23:59:60",
        "2100-02-29",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.code = 0;
        if (ea_history_date_bound(bad[i], false, ts, &err) != -1)
            fail_msg("accepted %s", bad[i]);
        assert_int_equal(err.code, EA_EXIT_USAGE);
        assert_non_null(strstr(err.msg, bad[i]));
    }
    static const char *const good[] = {"2024-02-29", "2000-02-29", "2026-12-31T23:59:59.999",
                                       "2026-01-31", "2026-11-25T00:00"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (ea_history_date_bound(good[i], true, ts, &err) != 0)
            fail_msg("refused %s: %s", good[i], err.msg);
}

static void test_sidecar(void **state)
{
    (void)state;
    ea_session *s = branched_session();
    ea_history h;
    ea_err err = {0};
    assert_int_equal(ea_history_load(ea_session_dir(s), &h, &err), 0);
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    assert_int_equal(ea_history_sidecar(&h.turns[3], 0, ea_session_id(s), "tree", false,
                                        "no C2PA manifest", &out), 0);
    json_t *doc = json_loads(out.data, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "prompt")), "a fox in rain");
    assert_string_equal(json_string_value(json_object_get(doc, "revised_prompt")),
                        "a fox in the rain");
    assert_int_equal(json_integer_value(json_object_get(doc, "parent_turn")), 1);
    json_t *img = json_object_get(doc, "image");
    assert_string_equal(json_string_value(json_object_get(img, "path")), "images/4-1.png");
    assert_int_equal(json_integer_value(json_object_get(img, "bytes")), sizeof png_bytes);
    assert_true(json_is_false(json_object_get(json_object_get(doc, "c2pa"), "present")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "usage"),
                                                        "output_tokens")), 272);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "ids"),
                                                          "response_id")), "resp_4");
    assert_non_null(json_object_get(json_object_get(doc, "params"), "tools"));
    json_decref(doc);
    /* No image 2. */
    assert_int_equal(ea_history_sidecar(&h.turns[3], 1, "x", "", false, "", &out), -1);
    ea_buf_free(&out);
    ea_history_free(&h);
    ea_session_close(&s);
}

static void test_leftovers_found_and_kept(void **state)
{
    (void)state;
    ea_session *s = branched_session();
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/images/.7-1.png.tmp-Ab3xYz", ea_session_dir(s));
    assert_int_equal(spit(path, "half", 4, "wb"), 0);
    char aside[PATH_MAX];
    snprintf(aside, sizeof aside, "%s/audit.jsonl.torn-20261125T153012Z", ea_session_dir(s));
    assert_int_equal(spit(aside, "{", 1, "wb"), 0);
    ea_leftovers left;
    ea_err err = {0};
    assert_int_equal(ea_history_scan_leftovers(ea_session_dir(s), &left, &err), 0);
    assert_int_equal(left.temp_files, 1);
    assert_int_equal(left.torn_asides, 1);
    assert_int_equal(left.n_names, 2);
    assert_true(file_exists(path));
    assert_true(file_exists(aside));
    ea_session_close(&s);
}

/* session.json anchors the last record: a change to it, or records cut off the end, which the
 * chain alone cannot see, are reported. */
static void test_verify_anchor(void **state)
{
    (void)state;
    ea_session *s = branched_session();
    char dir[PATH_MAX], path[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s", ea_session_dir(s));
    ea_session_close(&s);
    ea_session_info info;
    ea_err err = {0};
    char found[PATH_MAX];
    assert_int_equal(ea_session_locate("tree", &info, found, sizeof found, &err), 0);
    assert_string_equal(found, dir);
    assert_int_equal(info.last_seq, 12);
    assert_int_equal(strlen(info.last_hash), 64);
    /* Not before the creation; the same millisecond where fsync costs nothing (a tmpfs). */
    assert_true(strcmp(info.last_activity, info.created) >= 0);
    assert_true(*info.last_activity);

    ea_audit_report report;
    assert_int_equal(ea_audit_verify_anchored(dir, info.last_seq, info.last_hash, &report, &err),
                     0);
    assert_int_equal(report.n_problems, 0);

    /* One byte of the last record: only the anchor can tell. */
    snprintf(path, sizeof path, "%s/audit.jsonl", dir);
    size_t len;
    char *text = slurp(path, &len);
    text[len - 1] = '\0'; /* find the start of the last line, then put the newline back */
    char *last_line = strrchr(text, '\n') + 1;
    text[len - 1] = '\n';
    char *hit = strstr(last_line, "resp_6");
    assert_non_null(hit);
    hit[5] = '7';
    assert_int_equal(spit(path, text, len, "wb"), 0);
    assert_int_equal(ea_audit_verify(dir, &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    assert_int_equal(ea_audit_verify_anchored(dir, info.last_seq, info.last_hash, &report, &err),
                     0);
    assert_int_equal(report.n_problems, 1);
    assert_int_equal(report.problems[0].seq, 12);
    assert_non_null(strstr(report.problems[0].text, "session.json"));

    /* The last record cut off whole: the chain that is left holds. */
    *strrchr(text, '\n') = '\0';
    *(strrchr(text, '\n') + 1) = '\0';
    assert_int_equal(spit(path, text, strlen(text), "wb"), 0);
    assert_int_equal(ea_audit_verify_anchored(dir, info.last_seq, info.last_hash, &report, &err),
                     0);
    assert_int_equal(report.n_problems, 1);
    assert_non_null(strstr(report.problems[0].text, "ends at seq 11"));
    free(text);
}

static void test_stream_matches_open(void **state)
{
    (void)state;
    ea_session *s = branched_session();
    const ea_audit *a = ea_session_audit(s);
    ea_audit_stream *st = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_stream_open(ea_session_dir(s), EA_AUDIT_STREAM_RECORDS, &st, &err),
                     0);
    const char *line;
    size_t len, i = 0;
    while (ea_audit_stream_next(st, &line, &len, &err) == 1) {
        size_t want_len;
        const char *want = ea_audit_record_line(a, i++, &want_len);
        assert_int_equal(len, want_len);
        assert_memory_equal(line, want, len);
    }
    assert_int_equal(i, ea_audit_record_count(a));
    assert_int_equal(ea_audit_stream_torn_bytes(st), 0);
    ea_audit_stream_close(&st);

    /* A last line that is complete but not a record is damage, not a torn tail: handed out
     * (readers tell it apart), as ea_audit_open keeps it. */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/audit.jsonl", ea_session_dir(s));
    assert_int_equal(spit(path, "not json\n", 9, "ab"), 0);
    assert_int_equal(ea_audit_stream_open(ea_session_dir(s), EA_AUDIT_STREAM_RECORDS, &st, &err),
                     0);
    i = 0;
    while (ea_audit_stream_next(st, &line, &len, &err) == 1)
        i++;
    assert_int_equal(i, 14);
    assert_int_equal(ea_audit_stream_torn_bytes(st), 0);
    ea_audit_stream_close(&st);
    ea_session_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_generations_are_roots, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_reader_gives_turns_with_parents, store_setup,
                                        store_teardown),
        cmocka_unit_test(test_branch_lines),
        cmocka_unit_test_setup_teardown(test_batch_lines, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_open_turn_torn_tail_and_damage, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_search_and_find, store_setup, store_teardown),
        cmocka_unit_test(test_date_bounds),
        cmocka_unit_test(test_date_bounds_impossible),
        cmocka_unit_test(test_parse_turn),
        cmocka_unit_test_setup_teardown(test_sidecar, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_leftovers_found_and_kept, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_verify_anchor, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_stream_matches_open, store_setup, store_teardown),
    };
    return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
