/* SPDX-License-Identifier: MIT */
/* Unit tests for the SSE byte parser: recorded streams in tests/fixtures/streams, each fed
 * whole, split at every byte offset, and one byte at a time, must give the same events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/sse.h"

#define MAX_RECORDED 64
#define BIG_CAP (1u << 20)

/* ---- recording what the parser dispatches ---- */

typedef struct recording {
    size_t count;
    char *names[MAX_RECORDED];
    char *data[MAX_RECORDED];
    size_t data_len[MAX_RECORDED];
    size_t stop_after; /* the callback asks to stop once this many arrived; 0 = never */
} recording;

static int record_event(void *ctx, const char *name, const char *data, size_t len)
{
    recording *rec = ctx;
    assert_true(rec->count < MAX_RECORDED);
    assert_int_equal(data[len], '\0'); /* the contract: data is NUL-terminated */
    rec->names[rec->count] = strdup(name);
    rec->data[rec->count] = malloc(len + 1);
    memcpy(rec->data[rec->count], data, len + 1);
    rec->data_len[rec->count] = len;
    rec->count++;
    return rec->stop_after && rec->count >= rec->stop_after;
}

static void recording_clear(recording *rec)
{
    for (size_t i = 0; i < rec->count; i++) {
        free(rec->names[i]);
        free(rec->data[i]);
    }
    size_t stop_after = rec->stop_after;
    memset(rec, 0, sizeof *rec);
    rec->stop_after = stop_after;
}

static void assert_same_events(const recording *want, const recording *got, const char *how)
{
    if (want->count != got->count)
        fail_msg("%s: %zu events, expected %zu", how, got->count, want->count);
    for (size_t i = 0; i < want->count; i++) {
        assert_string_equal(got->names[i], want->names[i]);
        assert_int_equal(got->data_len[i], want->data_len[i]);
        assert_memory_equal(got->data[i], want->data[i], want->data_len[i]);
    }
}

/* ---- feeding ---- */

static ea_sse *new_parser(recording *rec)
{
    ea_sse *p = ea_sse_new(BIG_CAP, BIG_CAP, record_event, rec);
    assert_non_null(p);
    return p;
}

/* Feeds bytes in the chunks given by cuts (ascending offsets), then finishes. Returns the
 * last feed status, or -1. */
static int feed_cut(ea_sse *p, const char *bytes, size_t n, const size_t *cuts, size_t ncuts)
{
    ea_err err = {0};
    size_t from = 0;
    int rc = 0;
    for (size_t i = 0; i <= ncuts && rc == 0; i++) {
        size_t to = i < ncuts ? cuts[i] : n;
        rc = ea_sse_feed(p, bytes + from, to - from, &err);
        from = to;
    }
    if (rc >= 0 && ea_sse_finish(p, &err) != 0)
        rc = -1;
    return rc;
}

static int parse_whole(const char *bytes, size_t n, recording *rec, bool *saw_done)
{
    ea_sse *p = new_parser(rec);
    int rc = feed_cut(p, bytes, n, NULL, 0);
    if (saw_done)
        *saw_done = ea_sse_saw_done(p);
    ea_sse_free(&p);
    assert_null(p);
    return rc;
}

/* The events of the whole stream; then the same for every split [0,k) + [k,n), and for a
 * byte at a time. */
static void assert_split_invariant(const char *bytes, size_t n, const recording *want)
{
    recording got = {.stop_after = want->stop_after};
    char how[64];
    for (size_t k = 0; k <= n; k++) {
        ea_sse *p = new_parser(&got);
        assert_true(feed_cut(p, bytes, n, &k, 1) >= 0);
        ea_sse_free(&p);
        snprintf(how, sizeof how, "split at %zu", k);
        assert_same_events(want, &got, how);
        recording_clear(&got);
    }
    ea_sse *p = new_parser(&got);
    ea_err err = {0};
    for (size_t i = 0; i < n; i++) {
        if (ea_sse_feed(p, bytes + i, 1, &err) != 0)
            break;
    }
    assert_int_equal(ea_sse_finish(p, &err), 0);
    ea_sse_free(&p);
    assert_same_events(want, &got, "byte by byte");
    recording_clear(&got);
}

/* ---- fixtures ---- */

static char *read_fixture(const char *name, size_t *len)
{
    const char *dir = getenv("EASEL_FIXTURES");
    char path[512];
    snprintf(path, sizeof path, "%s/streams/%s", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *bytes = malloc((size_t)size + 1);
    assert_int_equal(fread(bytes, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    bytes[size] = '\0';
    *len = (size_t)size;
    return bytes;
}

static const char *const all_fixtures[] = {
    "images_generation.txt", "images_generation_crlf.txt", "images_edit_done.txt",
    "responses_edit.txt",    "keepalive_comments.txt",     "multiline_data.txt",
    "error_flat.txt",        "error_nested.txt",           "responses_failed.txt",
};

static void assert_names(const recording *rec, const char *const *names, size_t n)
{
    assert_int_equal(rec->count, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(rec->names[i], names[i]);
}

/* Each event's data is JSON whose "type" repeats the event name (protocol.md section 4). */
static void assert_type_matches_name(const recording *rec)
{
    for (size_t i = 0; i < rec->count; i++) {
        char prefix[160];
        snprintf(prefix, sizeof prefix, "{\"type\":\"%s\"", rec->names[i]);
        assert_true(strncmp(rec->data[i], prefix, strlen(prefix)) == 0);
    }
}

/* ---- tests ---- */

static void every_fixture_is_split_invariant(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof all_fixtures / sizeof *all_fixtures; i++) {
        size_t n;
        char *bytes = read_fixture(all_fixtures[i], &n);
        recording want = {0};
        assert_true(parse_whole(bytes, n, &want, NULL) >= 0);
        assert_true(want.count > 0);
        assert_split_invariant(bytes, n, &want);
        recording_clear(&want);
        free(bytes);
    }
}

static void images_generation_stream(void **state)
{
    (void)state;
    size_t n;
    char *bytes = read_fixture("images_generation.txt", &n);
    recording rec = {0};
    bool done = true;
    assert_int_equal(parse_whole(bytes, n, &rec, &done), 0);
    static const char *const names[] = {"image_generation.partial_image",
                                        "image_generation.partial_image",
                                        "image_generation.completed"};
    assert_names(&rec, names, 3);
    assert_type_matches_name(&rec);
    assert_non_null(strstr(rec.data[1], "\"partial_image_index\":1"));
    assert_false(done); /* the SPEC's streams end without [DONE] */
    recording_clear(&rec);
    free(bytes);
}

/* CRLF and CR-only line ends give exactly the events of the LF stream. */
static void line_ends_are_equivalent(void **state)
{
    (void)state;
    size_t n_lf, n_crlf;
    char *lf = read_fixture("images_generation.txt", &n_lf);
    char *crlf = read_fixture("images_generation_crlf.txt", &n_crlf);
    char *cr = strdup(lf);
    for (char *c = cr; *c; c++)
        if (*c == '\n')
            *c = '\r';
    recording want = {0}, got = {0};
    assert_int_equal(parse_whole(lf, n_lf, &want, NULL), 0);
    assert_int_equal(parse_whole(crlf, n_crlf, &got, NULL), 0);
    assert_same_events(&want, &got, "CRLF");
    recording_clear(&got);
    assert_int_equal(parse_whole(cr, n_lf, &got, NULL), 0);
    assert_same_events(&want, &got, "CR");
    assert_split_invariant(cr, n_lf, &want);
    recording_clear(&got);
    recording_clear(&want);
    free(lf);
    free(crlf);
    free(cr);
}

static void cr_then_lf_across_chunks_is_one_line_end(void **state)
{
    (void)state;
    recording rec = {0};
    ea_sse *p = new_parser(&rec);
    ea_err err = {0};
    /* Were the split CRLF two line ends, the blank line between would dispatch "a" alone. */
    assert_int_equal(ea_sse_feed(p, "data: a\r", 8, &err), 0);
    assert_int_equal(ea_sse_feed(p, "\ndata: b\r", 9, &err), 0);
    assert_int_equal(ea_sse_feed(p, "\n", 1, &err), 0);
    assert_int_equal(rec.count, 0);
    assert_int_equal(ea_sse_feed(p, "\r", 1, &err), 0);
    assert_int_equal(rec.count, 1);
    assert_string_equal(rec.data[0], "a\nb");
    assert_int_equal(ea_sse_feed(p, "\n", 1, &err), 0); /* the LF of that CRLF: no new line */
    assert_int_equal(ea_sse_finish(p, &err), 0);
    assert_false(ea_sse_truncated(p));
    assert_int_equal(rec.count, 1);
    ea_sse_free(&p);
    recording_clear(&rec);
}

static void done_ends_the_stream(void **state)
{
    (void)state;
    size_t n;
    char *bytes = read_fixture("images_edit_done.txt", &n);
    /* Whatever follows [DONE] is ignored, even bytes that would be an event. */
    const char *after = "event: late\ndata: {\"type\":\"late\"}\n\n";
    char *stream = malloc(n + strlen(after) + 1);
    memcpy(stream, bytes, n);
    strcpy(stream + n, after);
    size_t total = n + strlen(after);

    recording rec = {0};
    bool done = false;
    assert_int_equal(parse_whole(stream, total, &rec, &done), 1);
    assert_true(done);
    static const char *const names[] = {"image_edit.partial_image", "image_edit.completed"};
    assert_names(&rec, names, 2);
    assert_type_matches_name(&rec);
    assert_split_invariant(stream, total, &rec);
    recording_clear(&rec);
    free(stream);
    free(bytes);
}

static void responses_stream(void **state)
{
    (void)state;
    size_t n;
    char *bytes = read_fixture("responses_edit.txt", &n);
    recording rec = {0};
    assert_int_equal(parse_whole(bytes, n, &rec, NULL), 0);
    static const char *const names[] = {
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.completed",
        "response.output_item.done",
        "response.output_item.added",
        "response.output_text.delta",
        "response.output_item.done",
        "response.completed",
    };
    assert_names(&rec, names, sizeof names / sizeof *names);
    assert_type_matches_name(&rec);
    assert_non_null(strstr(rec.data[7], "\"revised_prompt\":"));
    recording_clear(&rec);
    free(bytes);
}

static void comments_ids_and_keepalives_are_skipped(void **state)
{
    (void)state;
    size_t n;
    char *bytes = read_fixture("keepalive_comments.txt", &n);
    recording rec = {0};
    assert_int_equal(parse_whole(bytes, n, &rec, NULL), 0);
    /* "event: ignored.no_data" has no data line, so it is not dispatched. */
    static const char *const names[] = {"image_generation.partial_image",
                                        "image_generation.completed"};
    assert_names(&rec, names, 2);
    assert_type_matches_name(&rec); /* also checks "data:{" with no space kept the '{' */
    recording_clear(&rec);
    free(bytes);
}

static void multiline_data_is_joined_with_newlines(void **state)
{
    (void)state;
    size_t n;
    char *bytes = read_fixture("multiline_data.txt", &n);
    recording rec = {0};
    assert_int_equal(parse_whole(bytes, n, &rec, NULL), 0);
    assert_int_equal(rec.count, 2);
    assert_string_equal(rec.names[0], "image_generation.completed");
    assert_true(strncmp(rec.data[0], "{\n  \"type\": \"image_generation.completed\",\n", 42) == 0);
    assert_int_equal(rec.data[0][rec.data_len[0] - 1], '}'); /* no trailing '\n' */
    /* "data: first", "data:", "data:  two spaces", "data": one space dropped, no more. */
    assert_string_equal(rec.names[1], "");
    assert_string_equal(rec.data[1], "first\n\n two spaces\n");
    recording_clear(&rec);
    free(bytes);
}

static void error_streams_in_both_shapes(void **state)
{
    (void)state;
    static const char *const files[] = {"error_flat.txt", "error_nested.txt"};
    for (size_t i = 0; i < 2; i++) {
        size_t n;
        char *bytes = read_fixture(files[i], &n);
        recording rec = {0};
        assert_int_equal(parse_whole(bytes, n, &rec, NULL), 0);
        static const char *const names[] = {"response.created", "error"};
        assert_names(&rec, names, 2);
        assert_type_matches_name(&rec);
        recording_clear(&rec);
        free(bytes);
    }
}

static void line_cap_is_enforced(void **state)
{
    (void)state;
    recording rec = {0};
    /* "data: " + 10 bytes = 16 bytes: fits a cap of 16, not one of 15. */
    const char *line = "data: 0123456789\n\n";
    ea_sse *p = ea_sse_new(16, BIG_CAP, record_event, &rec);
    ea_err err = {0};
    assert_int_equal(ea_sse_feed(p, line, strlen(line), &err), 0);
    assert_int_equal(rec.count, 1);
    ea_sse_free(&p);

    p = ea_sse_new(15, BIG_CAP, record_event, &rec);
    for (size_t i = 0; i < strlen(line); i++) { /* byte by byte: the cap holds across chunks */
        if (ea_sse_feed(p, line + i, 1, &err) != 0)
            break;
    }
    assert_int_equal(err.code, EA_EXIT_NETWORK);
    assert_non_null(strstr(err.msg, "line too long"));
    assert_non_null(strstr(err.msg, "15"));
    /* The failure sticks. */
    ea_err again = {0};
    assert_int_equal(ea_sse_feed(p, "\n", 1, &again), -1);
    assert_string_equal(again.msg, err.msg);
    assert_int_equal(ea_sse_finish(p, &again), -1);
    assert_int_equal(rec.count, 1);
    ea_sse_free(&p);

    /* A comment counts too: a flood of keep-alive bytes cannot grow without bound. */
    p = ea_sse_new(15, BIG_CAP, record_event, &rec);
    assert_int_equal(ea_sse_feed(p, ": 0123456789abcdef", 18, &err), -1);
    ea_sse_free(&p);
    recording_clear(&rec);
}

static void event_cap_is_enforced(void **state)
{
    (void)state;
    recording rec = {0};
    /* Two data lines of 4 bytes joined: "abcd\nefgh" = 9 bytes. */
    const char *stream = "data: abcd\ndata: efgh\n\n";
    ea_sse *p = ea_sse_new(64, 9, record_event, &rec);
    ea_err err = {0};
    assert_int_equal(ea_sse_feed(p, stream, strlen(stream), &err), 0);
    assert_int_equal(rec.count, 1);
    assert_string_equal(rec.data[0], "abcd\nefgh");
    ea_sse_free(&p);

    p = ea_sse_new(64, 8, record_event, &rec);
    assert_int_equal(ea_sse_feed(p, stream, strlen(stream), &err), -1);
    assert_int_equal(err.code, EA_EXIT_NETWORK);
    assert_non_null(strstr(err.msg, "event too large"));
    assert_int_equal(rec.count, 1);
    ea_sse_free(&p);
    recording_clear(&rec);
}

static void unterminated_event_is_discarded(void **state)
{
    (void)state;
    static const char *const cut_streams[] = {
        "data: {\"partial\":",         /* mid-value */
        "data: {}\n",                  /* the blank line never came */
        "event: x\n",                  /* a name with no data yet */
        "dat",                         /* mid field name */
    };
    for (size_t i = 0; i < sizeof cut_streams / sizeof *cut_streams; i++) {
        recording rec = {0};
        ea_sse *p = new_parser(&rec);
        ea_err err = {0};
        assert_int_equal(ea_sse_feed(p, cut_streams[i], strlen(cut_streams[i]), &err), 0);
        assert_int_equal(ea_sse_finish(p, &err), 0);
        assert_true(ea_sse_truncated(p));
        assert_int_equal(rec.count, 0);
        ea_sse_free(&p);
    }
    /* A stream that ends on a boundary, or inside a comment, is not truncated. */
    static const char *const clean_streams[] = {"data: {}\n\n", "data: {}\n\n: keep-al"};
    for (size_t i = 0; i < 2; i++) {
        recording rec = {0};
        ea_sse *p = new_parser(&rec);
        ea_err err = {0};
        assert_int_equal(ea_sse_feed(p, clean_streams[i], strlen(clean_streams[i]), &err), 0);
        assert_int_equal(ea_sse_finish(p, &err), 0);
        assert_false(ea_sse_truncated(p));
        assert_int_equal(rec.count, 1);
        ea_sse_free(&p);
        recording_clear(&rec);
    }
}

static void callback_can_stop_the_stream(void **state)
{
    (void)state;
    recording rec = {.stop_after = 1};
    const char *stream = "data: one\n\ndata: two\n\n";
    ea_sse *p = new_parser(&rec);
    ea_err err = {0};
    assert_int_equal(ea_sse_feed(p, stream, strlen(stream), &err), 1);
    assert_int_equal(ea_sse_feed(p, stream, strlen(stream), &err), 1);
    assert_int_equal(rec.count, 1);
    assert_string_equal(rec.data[0], "one");
    assert_false(ea_sse_saw_done(p));
    ea_sse_free(&p);
    recording_clear(&rec);
}

static void empty_and_nameless_events(void **state)
{
    (void)state;
    recording rec = {0};
    /* "data:" alone is an event with empty data; a blank line alone is nothing; the last
     * event: line wins; "[DONE]" only ends the stream when it is the whole data. */
    const char *stream = "\n\ndata:\n\nevent: a\nevent: b\ndata: x\n\ndata: [DONE] \n\n";
    assert_int_equal(parse_whole(stream, strlen(stream), &rec, NULL), 0);
    assert_int_equal(rec.count, 3);
    assert_string_equal(rec.names[0], "");
    assert_int_equal(rec.data_len[0], 0);
    assert_string_equal(rec.names[1], "b");
    assert_string_equal(rec.data[1], "x");
    assert_string_equal(rec.data[2], "[DONE] ");
    recording_clear(&rec);
}

static void leading_bom_is_ignored(void **state)
{
    (void)state;
    const char *stream = "\xEF\xBB\xBF" "event: e\ndata: d\n\n";
    recording want = {0};
    assert_int_equal(parse_whole(stream + 3, strlen(stream) - 3, &want, NULL), 0);
    assert_int_equal(want.count, 1);
    assert_string_equal(want.names[0], "e");
    assert_split_invariant(stream, strlen(stream), &want); /* also splits inside the BOM */
    recording_clear(&want);

    /* Bytes that only start like a BOM are data: the field name is then unknown. */
    recording rec = {0};
    const char *fake = "\xEF\xBB" "event: e\ndata: d\n\n";
    assert_int_equal(parse_whole(fake, strlen(fake), &rec, NULL), 0);
    assert_int_equal(rec.count, 1);
    assert_string_equal(rec.names[0], "");
    recording_clear(&rec);
}

/* ---- taking an event's data over ---- */

typedef struct taker {
    ea_sse *p;
    size_t count;
    char *taken[4];       /* owned: what ea_sse_take_data returned */
    size_t taken_len[4];
    const char *seen[4];  /* the callback's data pointer */
} taker;

static int take_named_take(void *ctx, const char *name, const char *data, size_t len)
{
    taker *tk = ctx;
    assert_true(tk->count < 4);
    tk->seen[tk->count] = data;
    if (strcmp(name, "take") == 0) {
        size_t taken_len = 0;
        tk->taken[tk->count] = ea_sse_take_data(tk->p, &taken_len);
        tk->taken_len[tk->count] = taken_len;
        assert_non_null(tk->taken[tk->count]);
        assert_int_equal(taken_len, len);
        if (len > 0) /* the buffer itself, not a copy (an empty event's "" is no buffer) */
            assert_ptr_equal(tk->taken[tk->count], data);
        assert_int_equal(tk->taken[tk->count][len], '\0'); /* and still terminated */
    }
    tk->count++;
    return 0;
}

static void data_can_be_taken_from_the_callback(void **state)
{
    (void)state;
    /* A taken event, then one that reuses nothing of it, then another taken one: each split
     * one byte at a time, so the next event's bytes arrive in the same feed as the taken
     * event's end. */
    const char *stream = "event: take\ndata: first\ndata: lines\n\n"
                         "data: kept\n\n"
                         "event: take\ndata: second\n\n";
    taker tk = {0};
    tk.p = ea_sse_new(BIG_CAP, BIG_CAP, take_named_take, &tk);
    assert_non_null(tk.p);
    assert_null(ea_sse_take_data(tk.p, NULL)); /* outside a callback: nothing to take */
    ea_err err = {0};
    for (size_t i = 0; stream[i]; i++)
        assert_int_equal(ea_sse_feed(tk.p, stream + i, 1, &err), 0);
    assert_int_equal(ea_sse_finish(tk.p, &err), 0);
    assert_int_equal(tk.count, 3);
    /* The taken buffers outlived their events, unchanged by what the parser did next. */
    assert_string_equal(tk.taken[0], "first\nlines");
    assert_int_equal(tk.taken_len[0], strlen("first\nlines"));
    assert_null(tk.taken[1]);
    assert_string_equal(tk.taken[2], "second");
    assert_ptr_not_equal(tk.seen[2], tk.taken[0]); /* a fresh buffer after a take */
    assert_null(ea_sse_take_data(tk.p, NULL));
    ea_sse_free(&tk.p);
    for (size_t i = 0; i < tk.count; i++)
        free(tk.taken[i]);
}

static void empty_data_can_be_taken(void **state)
{
    (void)state;
    const char *stream = "event: take\ndata:\n\n";
    taker tk = {0};
    tk.p = ea_sse_new(BIG_CAP, BIG_CAP, take_named_take, &tk);
    assert_non_null(tk.p);
    ea_err err = {0};
    assert_int_equal(ea_sse_feed(tk.p, stream, strlen(stream), &err), 0);
    assert_int_equal(tk.count, 1);
    assert_non_null(tk.taken[0]); /* a new "" of the caller's to free */
    assert_string_equal(tk.taken[0], "");
    ea_sse_free(&tk.p);
    free(tk.taken[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_fixture_is_split_invariant),
        cmocka_unit_test(images_generation_stream),
        cmocka_unit_test(line_ends_are_equivalent),
        cmocka_unit_test(cr_then_lf_across_chunks_is_one_line_end),
        cmocka_unit_test(done_ends_the_stream),
        cmocka_unit_test(responses_stream),
        cmocka_unit_test(comments_ids_and_keepalives_are_skipped),
        cmocka_unit_test(multiline_data_is_joined_with_newlines),
        cmocka_unit_test(error_streams_in_both_shapes),
        cmocka_unit_test(line_cap_is_enforced),
        cmocka_unit_test(event_cap_is_enforced),
        cmocka_unit_test(unterminated_event_is_discarded),
        cmocka_unit_test(callback_can_stop_the_stream),
        cmocka_unit_test(empty_and_nameless_events),
        cmocka_unit_test(leading_bom_is_ignored),
        cmocka_unit_test(data_can_be_taken_from_the_callback),
        cmocka_unit_test(empty_data_can_be_taken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
