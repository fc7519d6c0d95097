/* SPDX-License-Identifier: MIT */
/* The word diff: what counts as a word, dropped before added, the whitespace between runs,
 * UTF-8 (CJK, invalid bytes), sanitized rendering, and the bound on work for huge inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "easel/worddiff.h"

/* The plain rendering of diff(old, new), compared with expected. */
static void expect_diff(const char *old_text, const char *new_text, const char *expected)
{
    ea_worddiff d;
    assert_int_equal(ea_worddiff_compute(old_text, strlen(old_text), new_text, strlen(new_text),
                                         0, &d), 0);
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    assert_int_equal(ea_worddiff_render(&d, &ea_wd_plain_marks, &out), 0);
    assert_string_equal(out.data, expected);
    ea_buf_free(&out);
    ea_worddiff_free(&d);
}

static void test_equal_texts_render_unchanged(void **state)
{
    (void)state;
    expect_diff("a red fox in the snow", "a red fox in the snow", "a red fox in the snow");
    expect_diff("", "", "");
    expect_diff("  lead and  double  spaces ", "lead and double spaces",
                "lead and double spaces");
}

static void test_added_and_dropped_words(void **state)
{
    (void)state;
    expect_diff("a fox", "a red fox", "a {+red+} fox");
    expect_diff("a red fox", "a fox", "a [-red-] fox");
    expect_diff("a fox runs", "a fox", "a fox [-runs-]");
    expect_diff("", "a fox", "{+a fox+}");
    expect_diff("a fox", "", "[-a fox-]");
    /* A replacement reads as what went, then what came. */
    expect_diff("a fox in the snow", "a fox in the rain", "a fox in the [-snow-]{+rain+}");
    expect_diff("in the snow at dusk", "under a tree at dusk",
                "[-in the snow-]{+under a tree+} at dusk");
}

static void test_punctuation_is_its_own_word(void **state)
{
    (void)state;
    expect_diff("a fox in the snow", "a fox in the snow. Rendered as a flat illustration",
                "a fox in the snow{+. Rendered as a flat illustration+}");
    expect_diff("fox.", "fox", "fox[-.-]");
    expect_diff("don't", "do not", "[-don't-]{+do not+}");
}

static void test_counts_and_spans_point_into_the_texts(void **state)
{
    (void)state;
    const char *old_text = "a red fox", *new_text = "a blue fox jumps";
    ea_worddiff d;
    assert_int_equal(ea_worddiff_compute(old_text, strlen(old_text), new_text, strlen(new_text),
                                         0, &d), 0);
    assert_int_equal(d.same, 2);
    assert_int_equal(d.added, 2);
    assert_int_equal(d.dropped, 1);
    assert_false(d.coarse);
    assert_int_equal(d.count, 5); /* a, [-red-], {+blue+}, fox, {+jumps+} */
    assert_int_equal(d.spans[1].op, EA_WD_DROPPED);
    assert_ptr_equal(d.spans[1].text, old_text + 2);
    assert_int_equal(d.spans[2].op, EA_WD_ADDED);
    assert_ptr_equal(d.spans[2].text, new_text + 2);
    assert_int_equal(d.spans[2].len, 4);
    assert_int_equal(d.spans[4].space_len, 0); /* nothing after the last run */
    ea_worddiff_free(&d);
    assert_null(d.spans);
}

static void test_utf8_words(void **state)
{
    (void)state;
    /* Accented words are whole words; a non-breaking space separates. */
    expect_diff("caf\xc3\xa9 cr\xc3\xa8me", "caf\xc3\xa9\xc2\xa0" "br\xc3\xbbl\xc3\xa9" "e",
                "caf\xc3\xa9 [-cr\xc3\xa8me-]{+br\xc3\xbbl\xc3\xa9" "e+}");
    /* Ideographs are words of their own: one changed character, not the whole phrase. */
    expect_diff("\xe9\x9b\xaa\xe3\x81\xae\xe7\x8b\x90", "\xe9\x9b\xa8\xe3\x81\xae\xe7\x8b\x90",
                "[-\xe9\x9b\xaa-]{+\xe9\x9b\xa8+}\xe3\x81\xae\xe7\x8b\x90");
    /* An invalid byte is kept apart from valid text and rendered as U+FFFD. */
    expect_diff("a b", "a \xff" "b", "a [-b-]{+\xef\xbf\xbd" "b+}");
}

static void test_render_sanitizes(void **state)
{
    (void)state;
    /* ESC, a bidi override and a newline from the network never reach the output raw. */
    expect_diff("a fox", "a \x1b[31mred\x1b[0m fox\n\xe2\x80\xae" "evil",
                "a {+[31mred[0m+} fox {+evil+}");
    const char *old_text = "x", *new_text = "x\ty";
    ea_worddiff d;
    assert_int_equal(ea_worddiff_compute(old_text, 1, new_text, 3, 0, &d), 0);
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    ea_wd_marks ansi = {"\x1b[32m", "\x1b[0m", "\x1b[31;9m", "\x1b[0m"};
    assert_int_equal(ea_worddiff_render(&d, &ansi, &out), 0);
    assert_string_equal(out.data, "x \x1b[32my\x1b[0m");
    ea_buf_free(&out);
    ea_worddiff_free(&d);
}

/* Random texts from a small vocabulary: the kept and added runs, in order, are the new text's
 * words; the kept and dropped runs are the old text's; and the kept words are an LCS. */
static void words_of(const ea_worddiff *d, int want_new, char *out, size_t size)
{
    ea_worddiff copy = *d;
    ea_buf b;
    ea_buf_init(&b, size - 1);
    for (size_t i = 0; i < copy.count; i++) {
        const ea_wd_span *sp = &copy.spans[i];
        if (sp->op == (want_new ? EA_WD_DROPPED : EA_WD_ADDED))
            continue;
        ea_buf_append(&b, sp->text, sp->len);
        ea_buf_putc(&b, ' ');
    }
    snprintf(out, size, "%s", b.data ? b.data : "");
    ea_buf_free(&b);
}

static void random_text(char *out, size_t size, unsigned *seed, int words)
{
    static const char *const vocab[] = {"a", "fox", "red", "snow", "the", "in", "."};
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < words; i++) {
        const char *w = vocab[rand_r(seed) % 7];
        n += (size_t)snprintf(out + n, size - n, "%s ", w);
    }
}

static void test_random_texts_round_trip(void **state)
{
    (void)state;
    unsigned seed = 42;
    for (int round = 0; round < 300; round++) {
        char a[512], b[512], got[1024];
        random_text(a, sizeof a, &seed, (int)(rand_r(&seed) % 30));
        random_text(b, sizeof b, &seed, (int)(rand_r(&seed) % 30));
        ea_worddiff d;
        assert_int_equal(ea_worddiff_compute(a, strlen(a), b, strlen(b), 0, &d), 0);
        /* Every word in these texts is followed by exactly one space. */
        words_of(&d, 1, got, sizeof got);
        assert_string_equal(got, b);
        words_of(&d, 0, got, sizeof got);
        assert_string_equal(got, a);
        ea_worddiff_free(&d);
    }
}

static void test_huge_inputs_are_bounded(void **state)
{
    (void)state;
    /* 200,000 words each side, nothing in common but the ends: 4e10 cells if unbounded. */
    size_t n = 200000;
    char *a = malloc(n * 2 + 16), *b = malloc(n * 2 + 16);
    assert_non_null(a);
    assert_non_null(b);
    strcpy(a, "start ");
    strcpy(b, "start ");
    for (size_t i = 0; i < n; i++) {
        a[6 + 2 * i] = 'x', a[7 + 2 * i] = ' ';
        b[6 + 2 * i] = 'y', b[7 + 2 * i] = ' ';
    }
    strcpy(a + 6 + 2 * n, "end");
    strcpy(b + 6 + 2 * n, "end");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ea_worddiff d;
    assert_int_equal(ea_worddiff_compute(a, strlen(a), b, strlen(b), 0, &d), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(d.coarse);
    assert_int_equal(d.count, 4); /* start, [-x...-], {+y...+}, end */
    assert_int_equal(d.same, 2);
    assert_int_equal(d.dropped, n);
    assert_int_equal(d.added, n);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms < 1000);
    ea_worddiff_free(&d);

    /* A small bound makes even a short diff coarse, and still correct as a diff. */
    assert_int_equal(ea_worddiff_compute("a b c", 5, "a x c", 5, 0, &d), 0);
    assert_false(d.coarse);
    ea_worddiff_free(&d);
    assert_int_equal(ea_worddiff_compute("a b b c", 7, "a x y c", 7, 3, &d), 0);
    assert_true(d.coarse);
    assert_int_equal(d.dropped, 2);
    assert_int_equal(d.added, 2);
    ea_worddiff_free(&d);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_texts_render_unchanged),
        cmocka_unit_test(test_added_and_dropped_words),
        cmocka_unit_test(test_punctuation_is_its_own_word),
        cmocka_unit_test(test_counts_and_spans_point_into_the_texts),
        cmocka_unit_test(test_utf8_words),
        cmocka_unit_test(test_render_sanitizes),
        cmocka_unit_test(test_random_texts_round_trip),
        cmocka_unit_test(test_huge_inputs_are_bounded),
    };
    return cmocka_run_group_tests_name("worddiff", tests, NULL, NULL);
}
