/* SPDX-License-Identifier: MIT */
/* The audit log: record layout, the prev_hash chain, verify naming what was changed, a torn
 * last line moved aside (never deleted), and turn lookups for --from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/audit.h"
#include "easel/hash.h"
#include "easel/paths.h"
#include "store_fixture.h"

/* The fixture's root is the session dir: the audit module needs nothing more. */
static const char *dir_of(void **state)
{
    return ((store_fixture *)*state)->root;
}

static void log_path(void **state, char *out, size_t size)
{
    snprintf(out, size, "%s/" EA_AUDIT_FILE, dir_of(state));
}

static int append_request_rc(ea_audit *a)
{
    ea_audit_request req;
    ea_audit_request_init(&req);
    ea_err err = {0};
    int rc = ea_audit_append_request(a, &req, NULL, &err);
    if (rc != 0)
        assert_non_null(strstr(err.msg, "easel log --verify"));
    return rc;
}

static int append_request(ea_audit *a, const char *prompt, int parent_turn)
{
    ea_audit_request req;
    ea_audit_request_init(&req);
    req.api = "responses";
    req.endpoint = "/v1/responses";
    req.model = "gpt-image-2";
    req.text_model = "gpt-5.4";
    req.prompt = prompt;
    req.params_json = "{\"model\":\"gpt-5.4\",\"stream\":true,"
                      "\"input_image\":{\"path\":\"cat.png\",\"sha256\":\"00ff\"}}";
    req.parent_turn = parent_turn;
    req.estimate_usd = 0.04;
    int turn = 0;
    ea_err err = {0};
    assert_int_equal(ea_audit_append_request(a, &req, &turn, &err), 0);
    return turn;
}

static void append_completed(ea_audit *a, int turn, const char *response_id)
{
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.status = EA_AUDIT_COMPLETED;
    res.http_status = 200;
    res.request_id = "req_123";
    res.response_id = response_id;
    res.image_call_id = "ig_1";
    res.revised_prompt = "A cat, \x1b[31mred\x1b[0m";
    res.partials = 2;
    res.usage_json = "{\"input_tokens\":10,\"output_tokens\":4160}";
    res.cost_usd = 0.042;
    res.ms_first_byte = 120;
    res.ms_total = 9000;
    ea_err err = {0};
    assert_int_equal(ea_audit_append_result(a, turn, &res, &err), 0);
}

/* A log of `turns` complete turns, closed again. */
static void write_turns(void **state, int turns)
{
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    for (int i = 0; i < turns; i++) {
        char id[32];
        snprintf(id, sizeof id, "resp_%d", i + 1);
        append_completed(a, append_request(a, "a cat", 0), id);
    }
    ea_audit_close(&a);
    assert_null(a);
}

static void test_records_layout_and_chain(void **state)
{
    write_turns(state, 1);
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    size_t len;
    char *text = slurp(path, &len);
    assert_non_null(text);
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    assert_int_equal(text[len - 1], '\n');

    /* Common fields first, in the contract's order. */
    assert_memory_equal(text, "{\"v\":1,\"seq\":0,\"ts\":\"", 21);
    const char *ts = text + 21; /* 2026-11-25T15:30:12.345Z */
    assert_int_equal(ts[4], '-');
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[19], '.');
    assert_int_equal(ts[23], 'Z');
    assert_int_equal(ts[24], '"');
    assert_non_null(strstr(text, "\"kind\":\"request\",\"turn\":1,\"prev_hash\":\"\","
                                 "\"api\":\"responses\",\"endpoint\":\"/v1/responses\","
                                 "\"model\":\"gpt-image-2\",\"text_model\":\"gpt-5.4\","
                                 "\"prompt\":\"a cat\",\"params\":{\"model\":\"gpt-5.4\","));
    assert_non_null(strstr(text, "\"previous_response_id\":null,\"parent_turn\":null,"
                                 "\"estimate_usd\":0.04,\"offline\":false}\n"));

    /* The result's prev_hash is the sha256 of the first line without its newline. */
    char first_hash[EA_SHA256_HEX_SIZE];
    assert_int_equal(ea_sha256_hex(text, (size_t)(nl - text), first_hash, NULL), 0);
    char expected[128];
    snprintf(expected, sizeof expected, "\"seq\":1,");
    assert_non_null(strstr(nl + 1, expected));
    snprintf(expected, sizeof expected, "\"kind\":\"result\",\"turn\":1,\"prev_hash\":\"%s\"",
             first_hash);
    assert_non_null(strstr(nl + 1, expected));
    assert_non_null(strstr(nl + 1, "\"status\":\"completed\",\"http_status\":200,"
                                   "\"request_id\":\"req_123\",\"response_id\":\"resp_1\","
                                   "\"image_call_id\":\"ig_1\",\"revised_prompt\":\"A cat, "
                                   "\\u001B[31mred\\u001B[0m\",\"images\":[],\"unsaved\":[],\"partials\":2,"
                                   "\"usage\":{\"input_tokens\":10,\"output_tokens\":4160},"
                                   "\"tool_usage\":null,\"cost_usd\":0.042,\"cost_text_usd\":null,"
                                   "\"cost_image_usd\":null,\"cost_image_estimated\":false,"
                                   "\"ms_first_byte\":120,"
                                   "\"ms_first_partial\":null,\"ms_total\":9000,\"retries\":[],"
                                   "\"error\":null}\n"));

    /* Reopened, the log knows where it stands. */
    ea_audit *a = NULL;
    ea_err err = {0};
    ea_audit_recovery rec;
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, &rec, &err), 0);
    assert_false(rec.torn);
    assert_int_equal(ea_audit_record_count(a), 2);
    assert_int_equal(ea_audit_next_seq(a), 2);
    assert_int_equal(ea_audit_next_turn(a), 2);
    assert_string_equal(ea_audit_last_response_id(a), "resp_1");
    assert_int_equal(ea_audit_open_turn(a), 0);
    char last_hash[EA_SHA256_HEX_SIZE];
    assert_int_equal(ea_sha256_hex(nl + 1, len - (size_t)(nl + 1 - text) - 1, last_hash, NULL),
                     0);
    assert_string_equal(ea_audit_last_hash(a), last_hash);
    size_t line_len;
    const char *line = ea_audit_record_line(a, 0, &line_len);
    assert_int_equal(line_len, (size_t)(nl - text));
    assert_memory_equal(line, text, line_len);
    ea_audit_totals totals;
    ea_audit_get_totals(a, &totals);
    assert_int_equal(totals.turns, 1);
    assert_true(fabs(totals.spend_usd - 0.042) < 1e-12);
    ea_audit_close(&a);
    free(text);

    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    assert_int_equal(report.records, 2);
}

static void test_file_is_ascii_and_strings_kept(void **state)
{
    ea_audit *a = NULL;
    ea_err err = {0};
    umask(0);
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    /* UTF-8 (é, a CJK character, an emoji), a C1 control (U+009B, a CSI to some terminals),
     * and one byte that is not UTF-8 at all. */
    const char *prompt = "caf\xc3\xa9 \xe7\x8c\xab \xf0\x9f\x90\x88 \xc2\x9b bad\xff end";
    int turn = append_request(a, prompt, 0);
    ea_audit_turn t;
    assert_int_equal(ea_audit_find_turn(a, turn, &t, &err), 0);
    assert_string_equal(t.prompt,
                        "caf\xc3\xa9 \xe7\x8c\xab \xf0\x9f\x90\x88 \xc2\x9b bad\xef\xbf\xbd end");
    ea_audit_close(&a);
    umask(022);

    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    assert_int_equal(mode_of(path), 0600);
    size_t len;
    char *text = slurp(path, &len);
    for (size_t i = 0; i < len; i++)
        assert_true(text[i] == '\n' || (text[i] >= 0x20 && text[i] < 0x7f));
    assert_non_null(strstr(text, "caf\\u00E9 \\u732B \\uD83D\\uDC08 \\u009B bad\\uFFFD end"));
    free(text);

    /* Read back: the same string. */
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, NULL, &err), 0);
    assert_int_equal(ea_audit_find_turn(a, 1, &t, &err), 0);
    assert_string_equal(t.prompt,
                        "caf\xc3\xa9 \xe7\x8c\xab \xf0\x9f\x90\x88 \xc2\x9b bad\xef\xbf\xbd end");
    assert_false(t.has_result);
    assert_int_equal(ea_audit_open_turn(a), 1);
    ea_audit_close(&a);
}

/* Flips one byte of the line with index `line`, at the first occurrence of `from`. */
static void tamper_line(void **state, size_t line, const char *from, char to)
{
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    size_t len;
    char *text = slurp(path, &len);
    char *p = text;
    for (size_t i = 0; i < line; i++)
        p = strchr(p, '\n') + 1;
    char *hit = strstr(p, from);
    assert_non_null(hit);
    assert_true(hit < strchr(p, '\n'));
    *hit = to;
    assert_int_equal(spit(path, text, len, "wb"), 0);
    free(text);
}

static void test_verify_names_the_changed_record(void **state)
{
    write_turns(state, 2); /* seq 0..3 */
    tamper_line(state, 1, "resp_1", 'R'); /* seq 1: still valid JSON */
    ea_audit_report report;
    ea_err err = {0};
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 1);
    assert_int_equal(report.problems[0].seq, 1);
    assert_non_null(strstr(report.problems[0].text, "seq 1 does not match the prev_hash "
                                                    "recorded in seq 2"));
}

static void test_verify_reports_unparsable_middle_line(void **state)
{
    write_turns(state, 2);
    tamper_line(state, 2, "{", 'X'); /* seq 2 is no longer JSON */
    ea_audit_report report;
    ea_err err = {0};
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_true(report.n_problems >= 2); /* the line itself, and the chain into seq 3 */
    assert_int_equal(report.problems[0].seq, 2);
    assert_non_null(strstr(report.problems[0].text, "line 3 (seq 2): not a JSON object"));

    /* Damage before the last line is not a torn write: the log opens, keeps the line, and
     * refuses to append, pointing at verify. */
    ea_audit *a = NULL;
    ea_audit_recovery rec;
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, &rec, &err), 0);
    assert_false(rec.torn);
    size_t line = 0;
    assert_non_null(strstr(ea_audit_damage(a, &line), "line 3 is not a record"));
    assert_int_equal(line, 3);
    assert_int_equal(ea_audit_record_count(a), 4);
    ea_audit_request req;
    ea_audit_request_init(&req);
    assert_int_equal(ea_audit_append_request(a, &req, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "--verify"));
    assert_non_null(strstr(err.msg, "--accept-damage"));
    ea_audit_close(&a);
}

/* The whole log's bytes, for checking that nothing changed them. */
static char *log_bytes(void **state, size_t *len)
{
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    return slurp(path, len);
}

/* A last line that ends in a newline is complete: altered so that it no longer parses, or so
 * that it still parses, it is damage (never moved aside as a torn write), appends are refused
 * until it is accepted, and the acceptance is a record that verify then vouches from. */
static void test_complete_last_line_is_damage_until_accepted(void **state)
{
    write_turns(state, 2);
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    size_t len;
    char *text = log_bytes(state, &len);
    char *last = text + len - 2;
    while (last > text && last[-1] != '\n')
        last--;
    char *hit = strstr(last, "resp_2");
    assert_non_null(hit);
    hit[5] = '9'; /* still JSON: only session.json's anchor could tell */
    assert_int_equal(spit(path, text, len, "wb"), 0);
    char last_hash[EA_SHA256_HEX_SIZE];
    hit[5] = '2';
    assert_int_equal(ea_sha256_hex(last, (size_t)(text + len - 1 - last), last_hash, NULL), 0);

    ea_audit *a = NULL;
    ea_err err = {0};
    ea_audit_recovery rec;
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, &rec, &err), 0);
    assert_null(ea_audit_damage(a, NULL)); /* nothing in the log itself shows it */
    ea_audit_check_anchor(a, 3, last_hash);
    assert_non_null(strstr(ea_audit_damage(a, NULL), "seq 3) does not match the copy"));
    ea_audit_close(&a);

    /* Now a byte that breaks the JSON, newline kept. */
    last[0] = 'X';
    assert_int_equal(spit(path, text, len, "wb"), 0);
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, &rec, &err), 0);
    assert_false(rec.torn);
    assert_string_equal(rec.aside_path, "");
    size_t line = 0;
    assert_non_null(ea_audit_damage(a, &line));
    assert_int_equal(line, 4);
    assert_int_equal(append_request_rc(a), -1);
    ea_audit_close(&a);
    size_t now_len;
    char *now = log_bytes(state, &now_len);
    assert_int_equal(now_len, len); /* nothing moved aside, nothing cut */
    assert_memory_equal(now, text, len);
    free(now);

    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_true(report.n_problems >= 1);
    assert_int_equal(report.problems[0].seq, 3);

    /* Accepted: a record naming the line and its hash; verify passes from there on. */
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, &rec, &err), 0);
    assert_int_equal(ea_audit_append_accept(a, &report, &err), 0);
    assert_null(ea_audit_damage(a, NULL));
    append_completed(a, append_request(a, "after", 0), "resp_3");
    ea_audit_close(&a);
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    assert_true(report.accepted >= 1);
    assert_int_equal(report.accepted_seq, 4);
    now = log_bytes(state, &now_len);
    char bad_hash[EA_SHA256_HEX_SIZE], want[160];
    assert_int_equal(ea_sha256_hex(last, (size_t)(text + len - 1 - last), bad_hash, NULL), 0);
    snprintf(want, sizeof want, "\"line\":4,\"seq\":3,\"sha256\":\"%s\"", bad_hash);
    assert_non_null(strstr(now, "\"kind\":\"accept_damage\",\"turn\":null"));
    assert_non_null(strstr(now, want));

    /* A reopened log is sound; a byte changed before the acceptance afterwards is damage
     * again, for verify and for the next open. */
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, &rec, &err), 0);
    assert_null(ea_audit_damage(a, NULL));
    assert_int_equal(ea_audit_next_turn(a), 4);
    ea_audit_close(&a);
    char *first = strstr(now, "a cat");
    first[0] = 'A';
    assert_int_equal(spit(path, now, now_len, "wb"), 0);
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_true(report.n_problems >= 1);
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, &rec, &err), 0);
    assert_non_null(ea_audit_damage(a, NULL));
    ea_audit_close(&a);
    free(now);
    free(text);
}

/* Kinds other than request and result are records the turn index skips; the name record is
 * how a lost session.json gets its name back. */
static void test_name_records(void **state)
{
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    assert_null(ea_audit_session_name(a));
    assert_int_equal(ea_audit_append_name(a, "fox", &err), 0);
    append_completed(a, append_request(a, "a fox", 0), "resp_1");
    assert_int_equal(ea_audit_append_name(a, "red fox", &err), 0);
    ea_audit_close(&a);
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, NULL, &err), 0);
    assert_string_equal(ea_audit_session_name(a), "red fox");
    assert_int_equal(ea_audit_next_turn(a), 2);
    assert_int_equal(ea_audit_next_seq(a), 4);
    assert_null(ea_audit_damage(a, NULL));
    ea_audit_close(&a);
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
}

/* A batch (design.md 7): its batch record takes no turn; its lines are requests with a
 * custom_id that stay pending, never open (a later process must not close them as
 * interrupted), until `easel batch fetch` writes their results with custom_id and batch_id.
 * Deferred fsyncs still write each record at once. */
static void test_batch_records(void **state)
{
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    ea_audit_batch b;
    ea_audit_batch_init(&b);
    b.part = "c-1/1";
    b.endpoint = "/v1/images/generations";
    b.n_lines = 2;
    b.first_turn = 1;
    b.last_turn = 2;
    b.status = "preparing";
    assert_int_equal(ea_audit_append_batch(a, &b, &err), 0);
    ea_audit_defer_sync(a, true);
    for (int i = 0; i < 2; i++) {
        ea_audit_request r;
        ea_audit_request_init(&r);
        r.api = "images";
        r.prompt = "a kite";
        r.custom_id = i ? "kite-2" : "kite-1";
        r.batch_part = "c-1/1";
        int turn = 0;
        assert_int_equal(ea_audit_append_request(a, &r, &turn, &err), 0);
        assert_int_equal(turn, i + 1);
    }
    assert_int_equal(ea_audit_sync(a, &err), 0);
    ea_audit_defer_sync(a, false);
    assert_int_equal(ea_audit_open_turn(a), 0); /* pending, not open */
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.status = EA_AUDIT_COMPLETED;
    res.cost_usd = 0.003;
    res.custom_id = "kite-2";
    res.batch_id = "batch_1";
    assert_int_equal(ea_audit_append_result(a, 2, &res, &err), 0);
    ea_audit_close(&a);
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, NULL, &err), 0);
    assert_int_equal(ea_audit_open_turn(a), 0);
    assert_int_equal(ea_audit_next_turn(a), 3);
    size_t len;
    const char *line = ea_audit_record_line(a, 0, &len);
    assert_non_null(strstr(line, "\"kind\":\"batch\",\"turn\":null"));
    assert_non_null(strstr(line, "\"part\":\"c-1/1\""));
    line = ea_audit_record_line(a, 1, &len);
    assert_non_null(strstr(line, "\"offline\":false,\"custom_id\":\"kite-1\",\"batch_part\":\"c-1/1\"}"));
    line = ea_audit_record_line(a, 3, &len);
    assert_non_null(strstr(line, "\"custom_id\":\"kite-2\",\"batch_id\":\"batch_1\"}"));
    ea_audit_close(&a);
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
}

/* A link or a FIFO in place of the log is refused and named, never followed or waited on. */
static void test_log_links_and_fifos_refused(void **state)
{
    char path[PATH_MAX], outside[PATH_MAX];
    log_path(state, path, sizeof path);
    snprintf(outside, sizeof outside, "%s/outside.txt", dir_of(state));
    assert_int_equal(spit(outside, "keep\n", 5, "wb"), 0);
    assert_int_equal(symlink(outside, path), 0);
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "audit.jsonl is a symbolic link"));
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, NULL, &err), -1);
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), -1);
    assert_non_null(strstr(err.msg, "audit.jsonl"));
    size_t len;
    char *kept = slurp(outside, &len);
    assert_int_equal(len, 5);
    free(kept);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "FIFO"));
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), -1);
    char image[PATH_MAX];
    snprintf(image, sizeof image, "%s/img", dir_of(state));
    assert_int_equal(symlink(outside, image), 0);
    char hex[EA_SHA256_HEX_SIZE];
    assert_int_equal(ea_sha256_file_hex(image, hex, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "symbolic link"));
}

static void test_torn_tail_moved_aside_and_log_continues(void **state)
{
    write_turns(state, 1);
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    size_t good_len;
    char *good = slurp(path, &good_len);
    const char torn[] = "{\"v\":1,\"seq\":2,\"ts\":\"2026-";
    assert_int_equal(spit(path, torn, sizeof torn - 1, "ab"), 0);

    /* READ changes nothing. */
    ea_audit *a = NULL;
    ea_err err = {0};
    ea_audit_recovery rec;
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, &rec, &err), 0);
    assert_true(rec.torn);
    assert_int_equal(rec.torn_bytes, sizeof torn - 1);
    assert_string_equal(rec.aside_path, "");
    assert_int_equal(ea_audit_record_count(a), 2);
    ea_audit_close(&a);
    size_t len;
    char *now = slurp(path, &len);
    assert_int_equal(len, good_len + sizeof torn - 1);
    free(now);

    /* APPEND moves the bytes aside and cuts the log back to its last good line. */
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, &rec, &err), 0);
    assert_true(rec.torn);
    assert_non_null(strstr(rec.aside_path, "/audit.jsonl.torn-"));
    char *aside = slurp(rec.aside_path, &len);
    assert_non_null(aside);
    assert_int_equal(len, sizeof torn - 1);
    assert_memory_equal(aside, torn, len);
    free(aside);
    assert_int_equal(mode_of(rec.aside_path), 0600);
    now = slurp(path, &len);
    assert_int_equal(len, good_len);
    assert_memory_equal(now, good, len);
    free(now);

    /* The log goes on from seq 2, turn 2, chained to the last good line. */
    assert_int_equal(ea_audit_next_seq(a), 2);
    int turn = append_request(a, "after the tear", 1);
    assert_int_equal(turn, 2);
    append_completed(a, turn, "resp_2");
    ea_audit_close(&a);
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    assert_int_equal(report.records, 4);

    /* A second tear in the same second is appended to the same aside file, never replacing. */
    char aside_path[sizeof rec.aside_path];
    snprintf(aside_path, sizeof aside_path, "%s", rec.aside_path);
    assert_int_equal(spit(path, "garbage", 7, "ab"), 0); /* no newline: torn */
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, &rec, &err), 0);
    assert_true(rec.torn);
    assert_int_equal(rec.torn_bytes, 7);
    assert_int_equal(ea_audit_record_count(a), 4);
    ea_audit_close(&a);
    aside = slurp(rec.aside_path, &len);
    if (strcmp(aside_path, rec.aside_path) == 0) {
        assert_int_equal(len, sizeof torn - 1 + 7);
        assert_memory_equal(aside + sizeof torn - 1, "garbage", 7);
    } else {
        assert_int_equal(len, 7);
        assert_true(file_exists(aside_path));
    }
    free(aside);
    free(good);
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
}

static void test_verify_reports_torn_tail(void **state)
{
    write_turns(state, 1);
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    assert_int_equal(spit(path, "{\"v\":1", 6, "ab"), 0);
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, NULL), 0);
    assert_int_equal(report.n_problems, 1);
    assert_int_equal(report.problems[0].seq, -1);
    assert_non_null(strstr(report.problems[0].text, "no newline: 6 bytes"));
}

static void test_turn_rules_and_lookup(void **state)
{
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    int t1 = append_request(a, "first", 0);
    append_completed(a, t1, "resp_a");

    ea_audit_result res;
    ea_audit_result_init(&res);
    assert_int_equal(ea_audit_append_result(a, t1, &res, &err), -1); /* a second result */
    assert_non_null(strstr(err.msg, "has a result already"));
    assert_int_equal(ea_audit_append_result(a, 7, &res, &err), -1); /* no such request */

    ea_audit_request req;
    ea_audit_request_init(&req);
    req.parent_turn = 9;
    assert_int_equal(ea_audit_append_request(a, &req, NULL, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    req.parent_turn = 0;
    req.params_json = "{not json";
    assert_int_equal(ea_audit_append_request(a, &req, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "params is not valid JSON"));
    assert_int_equal(ea_audit_next_seq(a), 2); /* nothing was written by the failures */

    /* Branch from turn 1 (--from 1), failing with an API error and one recorded image. */
    int t2 = append_request(a, "second", t1);
    ea_audit_image img = {.path = "images/2-1.png", .bytes = 3, .width = 1024, .height = 1536,
                          .format = "png"};
    assert_int_equal(ea_sha256_hex("PNG", 3, img.sha256, NULL), 0);
    ea_audit_error api_error = {.type = "invalid_request_error", .code = "moderation_blocked",
                                .message = "Your request was rejected", .param = NULL};
    ea_audit_result_init(&res);
    res.status = EA_AUDIT_FAILED;
    res.http_status = 400;
    res.images = &img;
    res.n_images = 1;
    res.error = &api_error;
    assert_int_equal(ea_audit_append_result(a, t2, &res, &err), 0);

    ea_audit_turn t;
    assert_int_equal(ea_audit_find_turn(a, t2, &t, &err), 0);
    assert_int_equal(t.parent_turn, 1);
    assert_int_equal(t.request_seq, 2);
    assert_int_equal(t.result_seq, 3);
    assert_true(t.has_result);
    assert_int_equal(t.status, EA_AUDIT_FAILED);
    assert_int_equal(t.http_status, 400);
    assert_null(t.response_id);
    assert_true(isnan(t.cost_usd));
    assert_int_equal(t.n_images, 1);
    ea_audit_image got;
    assert_int_equal(ea_audit_turn_image(a, t2, 0, &got, &err), 0);
    assert_string_equal(got.path, "images/2-1.png");
    assert_string_equal(got.sha256, img.sha256);
    assert_int_equal(got.width, 1024);
    assert_int_equal(got.height, 1536);
    assert_int_equal(ea_audit_turn_image(a, t2, 1, &got, &err), -1);
    assert_int_equal(ea_audit_find_turn(a, 5, &t, &err), -1);
    /* A failed turn does not move the chain: the last response is still turn 1's. */
    assert_string_equal(ea_audit_last_response_id(a), "resp_a");
    ea_audit_close(&a);

    /* The same answers from a reopened log. */
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, NULL, &err), 0);
    assert_int_equal(ea_audit_find_turn(a, t1, &t, &err), 0);
    assert_string_equal(t.response_id, "resp_a");
    assert_string_equal(t.prompt, "first");
    assert_int_equal(t.status, EA_AUDIT_COMPLETED);
    assert_string_equal(ea_audit_last_response_id(a), "resp_a");
    ea_audit_close(&a);

    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    char *text = slurp(path, NULL);
    assert_non_null(strstr(text, "\"error\":{\"type\":\"invalid_request_error\","
                                 "\"code\":\"moderation_blocked\","
                                 "\"message\":\"Your request was rejected\",\"param\":null}"));
    assert_non_null(strstr(text, "\"images\":[{\"path\":\"images/2-1.png\",\"sha256\":\""));
    assert_non_null(strstr(text, "\"bytes\":3,\"width\":1024,\"height\":1536,\"format\":\"png\"}]"));
    free(text);

    /* The image is not on disk: verify says so, by name. */
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 1);
    assert_int_equal(report.problems[0].seq, 3);
    assert_string_equal(report.problems[0].file, "images/2-1.png");
    assert_non_null(strstr(report.problems[0].text, "images/2-1.png is missing"));
}

static void test_read_mode_refuses_appends_and_missing_log_is_empty(void **state)
{
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, NULL, &err), 0);
    assert_int_equal(ea_audit_record_count(a), 0);
    assert_string_equal(ea_audit_last_hash(a), "");
    assert_null(ea_audit_last_response_id(a));
    ea_audit_request req;
    ea_audit_request_init(&req);
    assert_int_equal(ea_audit_append_request(a, &req, NULL, &err), -1);
    ea_audit_close(&a);
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    assert_false(file_exists(path));
}

/* Item 8 of issue 13: a revised prompt and an error message of megabytes (mostly control
 * bytes, 6 bytes each as JSON: over the readers' line cap written as they stand) go to side
 * files; the record stays small, readable and verifiable. */
static void test_huge_values_go_to_side_files(void **state)
{
    size_t n = (size_t)12 << 20;
    char *huge = malloc(n + 1);
    assert_non_null(huge);
    memcpy(huge, "HUGE \xe2\x80\xae", 8);
    memset(huge + 8, 0x01, n - 8);
    huge[n] = '\0';
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    int turn = append_request(a, "a cat", 0);
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.status = EA_AUDIT_FAILED;
    res.revised_prompt = huge;
    ea_audit_error e = {"server_error", "huge", huge, NULL};
    res.error = &e;
    assert_int_equal(ea_audit_append_result(a, turn, &res, &err), 0);
    ea_audit_turn t;
    assert_int_equal(ea_audit_find_turn(a, turn, &t, &err), 0);
    assert_int_equal(strlen(t.revised_prompt), EA_AUDIT_PREFIX_MAX);
    assert_memory_equal(t.revised_prompt, huge, EA_AUDIT_PREFIX_MAX);
    ea_audit_close(&a);

    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    size_t len;
    char *text = slurp(path, &len);
    assert_true(len < EA_AUDIT_VALUE_MAX);
    char side[PATH_MAX], hex[EA_SHA256_HEX_SIZE];
    assert_int_equal(ea_sha256_hex(huge, n, hex, &err), 0);
    char entry[256];
    snprintf(entry, sizeof entry, "{\"field\":\"revised_prompt\",\"path\":\"text/%s.txt\","
             "\"sha256\":\"%s\",\"bytes\":%zu}", hex, hex, n);
    assert_non_null(strstr(text, entry));
    snprintf(entry, sizeof entry, "{\"field\":\"error.message\",\"path\":\"text/%s.txt\"", hex);
    assert_non_null(strstr(text, entry));
    free(text);
    /* One file for both (the same content), byte for byte, private. */
    snprintf(side, sizeof side, "%s/text/%s.txt", dir_of(state), hex);
    char *kept = slurp(side, &len);
    assert_int_equal(len, n);
    assert_memory_equal(kept, huge, n);
    free(kept);
    assert_int_equal(mode_of(side), 0600);

    /* Readers stream it; verify checks the side file and catches a change to it. */
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    assert_int_equal(report.side_files, 2);
    huge[100] = 'X';
    assert_int_equal(spit(side, huge, n, "wb"), 0);
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 2);
    assert_non_null(strstr(report.problems[0].text, "side file text/"));
    assert_non_null(strstr(report.problems[0].text, "does not match its sha256"));
    free(huge);
}

/* DEL, which jansson writes raw, is escaped like every other control character. */
static void test_del_is_escaped(void **state)
{
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    int turn = append_request(a, "del\x7f here", 0);
    ea_audit_close(&a);
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    size_t len;
    char *text = slurp(path, &len);
    assert_null(memchr(text, 0x7f, len));
    assert_non_null(strstr(text, "del\\u007f here"));
    free(text);
    ea_audit_turn t;
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, NULL, &err), 0);
    assert_int_equal(ea_audit_find_turn(a, turn, &t, &err), 0);
    assert_string_equal(t.prompt, "del\x7f here");
    ea_audit_close(&a);
}

/* `easel log --json` of a damaged line: a description, never the bytes. */
static void test_describe_damage(void **state)
{
    (void)state;
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    const char *sound = "{\"v\":1,\"seq\":0}";
    assert_int_equal(ea_audit_describe_damage(sound, strlen(sound), 1, &out), 0);
    assert_int_equal(out.len, 0);
    const char *bad = "{\"v\":1,\"prompt\":\"\x1b]52;c;SGVsbG8=\x07 \xe2\x80\xae\"}";
    assert_int_equal(ea_audit_describe_damage(bad, strlen(bad), 3, &out), 1);
    assert_non_null(strstr(out.data, "{\"v\":1,\"kind\":\"damaged\",\"line\":3,\"seq\":2,"));
    assert_non_null(strstr(out.data, "\"problem\":\"holds a byte easel never writes"));
    for (size_t i = 0; i < out.len; i++)
        assert_true(out.data[i] >= 0x20 && out.data[i] < 0x7f);
    ea_buf_reset(&out);
    const char *broken = "{\"v\":1,\"seq\":";
    assert_int_equal(ea_audit_describe_damage(broken, strlen(broken), 7, &out), 1);
    assert_non_null(strstr(out.data, "\"problem\":\"not a JSON object: "));
    ea_buf_free(&out);
}

/* A background turn's accepted record: between request and result, once; the turn is then
 * resumable rather than open (interrupted), in memory and after a reopen; verify takes it,
 * and names one out of place. */
static void test_accepted_turns_are_resumable(void **state)
{
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    int t1 = append_request(a, "first", 0);
    int t2 = append_request(a, "second", 0);
    int t3 = append_request(a, "third", 0);
    assert_int_equal(ea_audit_append_accepted(a, t1, "resp_one", 0, &err), 0);
    assert_int_equal(ea_audit_append_accepted(a, t1, "resp_one", 0, &err), -1); /* twice */
    assert_int_equal(ea_audit_append_accepted(a, 9, "resp_x", 0, &err), -1);    /* no request */
    assert_int_equal(ea_audit_append_accepted(a, t3, "resp_three", 4, &err), 0);
    assert_int_equal(ea_audit_open_turn(a), t2); /* the accepted ones are not open */
    ea_audit_close(&a);

    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    ea_audit_accepted acc;
    assert_int_equal(ea_audit_resumable_turn(a, 0, &acc), t1);
    assert_string_equal(acc.response_id, "resp_one");
    assert_int_equal(acc.sequence_number, 0);
    assert_non_null(acc.request_line);
    assert_true(acc.request_len > 0 && memcmp(acc.request_line, "{\"v\":1", 6) == 0);
    assert_int_equal(ea_audit_resumable_turn(a, t1, &acc), t3);
    assert_int_equal(acc.sequence_number, 4);
    assert_int_equal(ea_audit_resumable_turn(a, t3, &acc), 0);
    append_completed(a, t1, "resp_one");
    assert_int_equal(ea_audit_append_accepted(a, t1, "resp_one", 0, &err), -1); /* has a result */
    assert_int_equal(ea_audit_resumable_turn(a, 0, &acc), t3);
    ea_audit_close(&a);

    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);

    /* An accepted record after its turn's result is out of place. */
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096], last[4096] = "";
    while (fgets(line, sizeof line, f))
        snprintf(last, sizeof last, "%s", line);
    fclose(f);
    last[strcspn(last, "\n")] = '\0';
    char hash[EA_SHA256_HEX_SIZE];
    assert_int_equal(ea_sha256_hex(last, strlen(last), hash, &err), 0);
    f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f, "{\"v\":1,\"seq\":6,\"ts\":\"2026-12-02T00:00:00.000Z\",\"kind\":\"accepted\","
               "\"turn\":%d,\"prev_hash\":\"%s\",\"response_id\":\"resp_one\","
               "\"sequence_number\":0}\n", t1, hash);
    fclose(f);
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 1);
    assert_non_null(strstr(report.problems[0].text, "accepted after its result"));
}

static void test_sha256_known_answers(void **state)
{
    (void)state;
    char hex[EA_SHA256_HEX_SIZE];
    assert_int_equal(ea_sha256_hex("abc", 3, hex, NULL), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(ea_sha256_hex("", 0, hex, NULL), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/abc", dir_of(state));
    assert_int_equal(spit(path, "abc", 3, "wb"), 0);
    uint64_t bytes = 0;
    assert_int_equal(ea_sha256_file_hex(path, hex, &bytes, NULL), 0);
    assert_int_equal(bytes, 3);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ea_err err = {0};
    assert_int_equal(ea_sha256_file_hex("/nonexistent/x", hex, &bytes, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/x"));
}

/* An image the session could not save is listed under "unsaved": where it was rescued to, or
 * path null when it was lost, with what it was. */
static void test_unsaved_images_recorded(void **state)
{
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    int turn = append_request(a, "a cat", 0);
    ea_audit_unsaved unsaved[2] = {
        {"/cache/easel/rescued/x-1-1.png", "ab", 7, 1024, 1024, "png", "write: No space"},
        {"", "cd", 9, 0, 0, "webp", "write: No space; rescue: Read-only"},
    };
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.unsaved = unsaved;
    res.n_unsaved = 2;
    assert_int_equal(ea_audit_append_result(a, turn, &res, &err), 0);
    ea_audit_close(&a);
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    char *text = slurp(path, NULL);
    assert_non_null(strstr(text, "\"images\":[],\"unsaved\":[{\"path\":\"/cache/easel/rescued/"
                                 "x-1-1.png\",\"sha256\":\"ab\",\"bytes\":7,\"width\":1024,"
                                 "\"height\":1024,\"format\":\"png\",\"reason\":\"write: No "
                                 "space\"},{\"path\":null,\"sha256\":\"cd\",\"bytes\":9,"
                                 "\"width\":null,\"height\":null,\"format\":\"webp\","
                                 "\"reason\":\"write: No space; rescue: Read-only\"}],\"partials\""));
    free(text);
}

/* design.md 7: a request sent to the offline backend says so, and what its turn would have
 * cost is offline money, kept apart from the spend; a Responses result keeps both meters and
 * the cost of each. */
static void test_offline_money_apart_and_two_meters(void **state)
{
    ea_audit *a = NULL;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND, &a, NULL, &err), 0);
    int paid = append_request(a, "paid", 0);
    append_completed(a, paid, "resp_paid"); /* 0.042 */
    ea_audit_request req;
    ea_audit_request_init(&req);
    req.api = "responses";
    req.prompt = "offline";
    req.offline = true;
    int offline = 0;
    assert_int_equal(ea_audit_append_request(a, &req, &offline, &err), 0);
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.status = EA_AUDIT_COMPLETED;
    res.usage_json = "{\"input_tokens\":1000,\"output_tokens\":300}";
    res.tool_usage_json = "{\"image_gen\":{\"input_tokens\":50,\"output_tokens\":1056}}";
    res.cost_usd = 5.25;
    res.cost_text_usd = 0.25;
    res.cost_image_usd = 5;
    assert_int_equal(ea_audit_append_result(a, offline, &res, &err), 0);

    ea_audit_totals totals;
    ea_audit_get_totals(a, &totals);
    assert_int_equal(totals.turns, 2);
    assert_true(fabs(totals.spend_usd - 0.042) < 1e-12);
    assert_true(fabs(totals.offline_usd - 5.25) < 1e-12);
    ea_audit_turn t;
    assert_int_equal(ea_audit_find_turn(a, offline, &t, &err), 0);
    assert_true(t.offline);
    assert_int_equal(ea_audit_find_turn(a, paid, &t, &err), 0);
    assert_false(t.offline);
    size_t len;
    const char *line = ea_audit_record_line(a, 2, &len);
    assert_non_null(strstr(line, "\"estimate_usd\":null,\"offline\":true}"));
    line = ea_audit_record_line(a, 3, &len);
    assert_non_null(strstr(line, "\"usage\":{\"input_tokens\":1000,\"output_tokens\":300},"
                                 "\"tool_usage\":{\"image_gen\":{\"input_tokens\":50,"
                                 "\"output_tokens\":1056}},\"cost_usd\":5.25,"
                                 "\"cost_text_usd\":0.25,\"cost_image_usd\":5.0,"
                                 "\"cost_image_estimated\":false,"));
    ea_audit_close(&a);

    /* Reopened, the totals are the same: they come from the records. */
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &a, NULL, &err), 0);
    ea_audit_get_totals(a, &totals);
    assert_true(fabs(totals.spend_usd - 0.042) < 1e-12);
    assert_true(fabs(totals.offline_usd - 5.25) < 1e-12);
    ea_audit_close(&a);
}

/* The lean open (easel batch) keeps no text or records, yet appends, chains, counts and checks
 * an anchor as the full open does. */
static void test_lean_open_matches_the_full_one(void **state)
{
    write_turns(state, 3);
    char path[PATH_MAX];
    log_path(state, path, sizeof path);
    FILE *f = fopen(path, "ab"); /* a torn tail: moved aside by both */
    fputs("{\"v\":1,\"seq\"", f);
    fclose(f);
    ea_audit *full = NULL, *lean = NULL;
    ea_audit_recovery rec;
    ea_err err = {0};
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_READ, &full, NULL, &err), 0);
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND_LEAN, &lean, &rec, &err), 0);
    assert_true(rec.torn);
    assert_int_equal(ea_audit_next_seq(lean), ea_audit_next_seq(full));
    assert_int_equal(ea_audit_next_turn(lean), ea_audit_next_turn(full));
    assert_string_equal(ea_audit_last_hash(lean), ea_audit_last_hash(full));
    assert_string_equal(ea_audit_last_response_id(lean), "resp_3");
    assert_string_equal(ea_audit_last_timestamp(lean), ea_audit_last_timestamp(full));
    ea_audit_totals tl, tf;
    ea_audit_get_totals(lean, &tl);
    ea_audit_get_totals(full, &tf);
    assert_int_equal(tl.turns, tf.turns);
    assert_int_equal(tl.images, tf.images);
    assert_true(tl.spend_usd == tf.spend_usd);
    assert_null(ea_audit_record_line(lean, 0, NULL)); /* no text kept */
    ea_audit_turn t, u;
    assert_int_equal(ea_audit_find_turn(lean, 2, &t, &err), 0);
    assert_int_equal(ea_audit_find_turn(full, 2, &u, &err), 0);
    assert_true(t.has_result);
    assert_int_equal(t.request_seq, u.request_seq);
    assert_int_equal(t.result_seq, u.result_seq);
    assert_null(t.prompt);
    /* session.json's anchor: the last record as it is, then a wrong hash, then one past it. */
    long last = ea_audit_next_seq(lean) - 1;
    ea_audit_check_anchor(lean, last, ea_audit_last_hash(full));
    assert_null(ea_audit_damage(lean, NULL));
    append_completed(lean, append_request(lean, "a dog", 0), "resp_4");
    ea_audit_close(&lean);
    ea_audit_close(&full);

    ea_audit_report report;
    assert_int_equal(ea_audit_verify(dir_of(state), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND_LEAN, &lean, NULL, &err), 0);
    assert_int_equal(ea_audit_next_turn(lean), 5);
    ea_audit_check_anchor(lean, 2, "00");
    assert_non_null(strstr(ea_audit_damage(lean, NULL), "does not match"));
    ea_audit_close(&lean);
    assert_int_equal(ea_audit_open(dir_of(state), EA_AUDIT_APPEND_LEAN, &lean, NULL, &err), 0);
    ea_audit_check_anchor(lean, 99, "00");
    assert_non_null(strstr(ea_audit_damage(lean, NULL), "removed from its end"));
    ea_audit_close(&lean);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records_layout_and_chain, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_unsaved_images_recorded, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_file_is_ascii_and_strings_kept, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_verify_names_the_changed_record, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_verify_reports_unparsable_middle_line, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_moved_aside_and_log_continues,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_complete_last_line_is_damage_until_accepted,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_name_records, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_lean_open_matches_the_full_one, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_batch_records, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_log_links_and_fifos_refused, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_verify_reports_torn_tail, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_turn_rules_and_lookup, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_read_mode_refuses_appends_and_missing_log_is_empty,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_accepted_turns_are_resumable, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_sha256_known_answers, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_huge_values_go_to_side_files, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_del_is_escaped, store_setup, store_teardown),
        cmocka_unit_test(test_describe_damage),
        cmocka_unit_test_setup_teardown(test_offline_money_apart_and_two_meters, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
