/* SPDX-License-Identifier: MIT */
/* Unit tests for src/core/editbuf.c: UTF-8 editing by clusters (Devanagari, Bengali, Tamil,
 * CJK, emoji with joiners and skin tones), readline motions, kill and yank, wrapping and the
 * display widths the workbench's editor draws with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "easel/editbuf.h"

static int setup(void **state)
{
    (void)state;
    /* wcwidth needs a UTF-8 locale; C.UTF-8 is always there on glibc. */
    return setlocale(LC_CTYPE, "C.UTF-8") ? 0 : -1;
}

static void set(ea_editbuf *e, const char *s)
{
    assert_int_equal(ea_editbuf_set(e, s, strlen(s)), 0);
}

static void test_insert_and_delete_by_cluster(void **state)
{
    (void)state;
    ea_editbuf e;
    ea_editbuf_init(&e);
    /* "लोमड़ी": ल + ो (vowel sign), म, ड + ़ (nukta) + ी (vowel sign). Three clusters. */
    set(&e, "लोमड़ी");
    ea_editbuf_delete_back(&e);
    assert_string_equal(e.text, "लोम");
    ea_editbuf_delete_back(&e);
    assert_string_equal(e.text, "लो");
    ea_editbuf_bol(&e);
    ea_editbuf_delete_forward(&e);
    assert_string_equal(e.text, "");
    /* Tamil: த + ் (virama) is one cluster; Bengali: ক + ি. */
    set(&e, "தமிழ்");
    ea_editbuf_delete_back(&e);
    assert_string_equal(e.text, "தமி");
    set(&e, "কি");
    ea_editbuf_left(&e);
    assert_int_equal(e.cursor, 0);
    /* Emoji: a ZWJ sequence and a skin tone move and delete whole. */
    set(&e, "a👩‍🎨👍🏽");
    ea_editbuf_delete_back(&e);
    assert_string_equal(e.text, "a👩‍🎨");
    ea_editbuf_left(&e);
    assert_int_equal(e.cursor, 1);
    ea_editbuf_insert(&e, "界", strlen("界"));
    assert_string_equal(e.text, "a界👩‍🎨");
    /* e + combining acute accent is one cluster. */
    set(&e, "cafe\xCC\x81");
    ea_editbuf_left(&e);
    assert_int_equal(e.cursor, 3);
    ea_editbuf_free(&e);
}

static void test_word_motions(void **state)
{
    (void)state;
    ea_editbuf e;
    ea_editbuf_init(&e);
    set(&e, "एक लाल लोमड़ी, in snow");
    ea_editbuf_word_left(&e);
    assert_string_equal(e.text + e.cursor, "snow");
    ea_editbuf_word_left(&e);
    ea_editbuf_word_left(&e);
    assert_string_equal(e.text + e.cursor, "लोमड़ी, in snow");
    ea_editbuf_word_right(&e);
    assert_string_equal(e.text + e.cursor, ", in snow");
    ea_editbuf_bol(&e);
    ea_editbuf_word_right(&e);
    assert_string_equal(e.text + e.cursor, " लाल लोमड़ी, in snow");
    ea_editbuf_free(&e);
}

static void test_kill_and_yank(void **state)
{
    (void)state;
    ea_editbuf e;
    ea_editbuf_init(&e);
    set(&e, "one two three");
    ea_editbuf_kill_word_back(&e);
    assert_string_equal(e.text, "one two ");
    ea_editbuf_yank(&e);
    assert_string_equal(e.text, "one two three");
    ea_editbuf_bol(&e);
    ea_editbuf_word_right(&e);
    ea_editbuf_kill_eol(&e);
    assert_string_equal(e.text, "one");
    ea_editbuf_kill_bol(&e);
    assert_string_equal(e.text, "");
    ea_editbuf_yank(&e);
    assert_string_equal(e.text, "one");
    /* C-k at the end of a line joins the next one. */
    set(&e, "ab\ncd");
    ea_editbuf_bol(&e);
    ea_editbuf_left(&e);
    ea_editbuf_kill_eol(&e);
    assert_string_equal(e.text, "abcd");
    ea_editbuf_free(&e);
}

static void test_widths(void **state)
{
    (void)state;
    const char *deva = "एक लाल लोमड़ी बर्फ में";
    /* Zero-width marks (nukta, virama, anusvara) add nothing; spacing vowel signs add one. */
    assert_int_equal(ea_text_width("ड़", strlen("ड़")), 1);
    assert_int_equal(ea_text_width("लो", strlen("लो")), 2); /* ो is a spacing mark (Mc) */
    assert_int_equal(ea_text_width("कं", strlen("कं")), 1);  /* ं is a nonspacing mark (Mn) */
    assert_true(ea_text_width(deva, strlen(deva)) > 10);
    assert_int_equal(ea_text_width("日本語", strlen("日本語")), 6);
    assert_int_equal(ea_text_width("👍", strlen("👍")), 2);
    assert_int_equal(ea_text_width("abc", 3), 3);
    /* An invalid byte is one replacement character. */
    assert_int_equal(ea_text_width("\xff", 1), 1);
}

static void test_wrap_and_vertical_motion(void **state)
{
    (void)state;
    ea_editbuf e;
    ea_editbuf_init(&e);
    /* 日本語日本語 is 12 columns: at width 5 it wraps as 2+2+2 characters (a wide character
     * never splits across rows). */
    set(&e, "日本語日本語");
    int row, col, rows;
    ea_text_locate(e.text, e.len, e.cursor, 5, &row, &col, &rows);
    assert_int_equal(rows, 3);
    assert_int_equal(row, 2);
    assert_int_equal(col, 4);
    assert_true(ea_editbuf_up(&e, 5));
    assert_true(ea_editbuf_up(&e, 5));
    assert_false(ea_editbuf_up(&e, 5)); /* first row: the caller recalls a prompt */
    /* The goal column 4 is the end of the wrapped first row, which is the second row's
     * start: the cursor stays on the first row, before its last character. */
    assert_int_equal(e.cursor, strlen("日"));
    ea_text_locate(e.text, e.len, e.cursor, 5, &row, &col, &rows);
    assert_int_equal(row, 0);
    assert_true(ea_editbuf_down(&e, 5));
    ea_text_locate(e.text, e.len, e.cursor, 5, &row, &col, &rows);
    assert_int_equal(row, 1);
    /* Lines: a final newline makes an empty last row. */
    set(&e, "ab\n");
    ea_text_locate(e.text, e.len, e.cursor, 10, &row, &col, &rows);
    assert_int_equal(rows, 2);
    assert_int_equal(row, 1);
    assert_int_equal(col, 0);
    assert_true(ea_editbuf_up(&e, 10));
    assert_int_equal(e.cursor, 0);
    ea_editbuf_free(&e);
}

/* A click in the editor: the cursor lands on the cluster under it, never inside one, and
 * past a row's end or the last row it goes to that end. */
static void test_goto(void **state)
{
    (void)state;
    ea_editbuf e;
    ea_editbuf_init(&e);
    set(&e, "日本語日本語"); /* rows of two wide characters at width 5 */
    ea_editbuf_goto(&e, 5, 1, 2);
    assert_int_equal(e.cursor, strlen("日本語"));
    ea_editbuf_goto(&e, 5, 1, 3); /* the right half of 日: before it */
    assert_int_equal(e.cursor, strlen("日本語"));
    ea_editbuf_goto(&e, 5, 0, 0);
    assert_int_equal(e.cursor, 0);
    ea_editbuf_goto(&e, 5, 9, 0); /* below the text: the last row */
    assert_int_equal(e.cursor, strlen("日本語日")); /* its first column */
    ea_editbuf_goto(&e, 5, 2, 40); /* past the end of the last row: the end */
    assert_int_equal(e.cursor, e.len);
    set(&e, "ab\ncd\n");
    ea_editbuf_goto(&e, 20, 0, 15); /* past a line's end: before its newline */
    assert_int_equal(e.cursor, 2);
    ea_editbuf_goto(&e, 20, 1, 1);
    assert_int_equal(e.cursor, 4);
    ea_editbuf_goto(&e, 20, 2, 3); /* the empty last row */
    assert_int_equal(e.cursor, e.len);
    /* Up after a click aims for the clicked column, not an old goal. */
    ea_editbuf_goto(&e, 20, 1, 1);
    assert_true(ea_editbuf_up(&e, 20));
    assert_int_equal(e.cursor, 1);
    set(&e, "नमस्ते");
    ea_editbuf_goto(&e, 20, 0, 1); /* inside a cluster's columns: before the cluster */
    size_t c = e.cursor;
    assert_true(c == 0 || c == ea_text_next(e.text, e.len, 0));
    ea_editbuf_free(&e);
}

static void test_count_and_cap(void **state)
{
    (void)state;
    ea_editbuf e;
    ea_editbuf_init(&e);
    set(&e, "एक 日本 👍");
    assert_int_equal(ea_editbuf_chars(&e), 7); /* code points, as the API counts */
    e.max = 8;
    set(&e, "");
    assert_int_equal(ea_editbuf_insert(&e, "123456789", 9), -1);
    assert_string_equal(e.text, "");
    ea_editbuf_free(&e);
}

/* Undo of whole replacements (a prompt recalled over the draft): newest first, as many as
 * EA_EDITBUF_UNDO_MAX; typing is not undone, and a refused replace loses nothing. */
static void test_replace_and_undo(void **state)
{
    (void)state;
    ea_editbuf e;
    ea_editbuf_init(&e);
    assert_false(ea_editbuf_undo(&e));
    set(&e, "my draft");
    assert_int_equal(ea_editbuf_replace(&e, "a red fox", 9), 0);
    assert_string_equal(e.text, "a red fox");
    assert_int_equal(e.cursor, e.len);
    ea_editbuf_insert(&e, "!", 1); /* an edit of the recalled text is not kept */
    assert_int_equal(ea_editbuf_replace(&e, "a blue fox", 10), 0);
    assert_int_equal(ea_editbuf_replace(&e, "a blue fox", 10), 0); /* the same: nothing kept */
    assert_int_equal(e.n_undo, 2);
    assert_true(ea_editbuf_undo(&e));
    assert_string_equal(e.text, "a red fox!");
    assert_int_equal(e.cursor, e.len);
    assert_true(ea_editbuf_undo(&e));
    assert_string_equal(e.text, "my draft");
    assert_false(ea_editbuf_undo(&e));
    assert_string_equal(e.text, "my draft");
    /* The oldest go first past the limit. */
    char text[16];
    for (int i = 0; i < EA_EDITBUF_UNDO_MAX + 3; i++) {
        snprintf(text, sizeof text, "t%d", i);
        assert_int_equal(ea_editbuf_replace(&e, text, strlen(text)), 0);
    }
    int undone = 0;
    while (ea_editbuf_undo(&e))
        undone++;
    assert_int_equal(undone, EA_EDITBUF_UNDO_MAX);
    assert_string_equal(e.text, "t2");
    /* Too long: refused, and the text is still there. */
    e.max = 4;
    assert_int_equal(ea_editbuf_replace(&e, "too long", 8), -1);
    assert_string_equal(e.text, "t2");
    ea_editbuf_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_and_delete_by_cluster),
        cmocka_unit_test(test_word_motions),
        cmocka_unit_test(test_kill_and_yank),
        cmocka_unit_test(test_widths),
        cmocka_unit_test(test_wrap_and_vertical_motion),
        cmocka_unit_test(test_count_and_cap),
        cmocka_unit_test(test_goto),
        cmocka_unit_test(test_replace_and_undo),
    };
    return cmocka_run_group_tests_name("ui_editbuf", tests, setup, NULL);
}
