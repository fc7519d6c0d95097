/* SPDX-License-Identifier: MIT */
/* sanitize and utf8: nothing that could drive a terminal survives, and valid text passes
 * through byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "easel/err.h"
#include "easel/sanitize.h"
#include "easel/utf8.h"

static char out[4096];

static const char *clean(const char *in, int keep_newlines)
{
    ea_buf b;
    ea_buf_init(&b, sizeof out - 1);
    assert_int_equal(ea_sanitize_append(&b, in, strlen(in), keep_newlines), 0);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    ea_buf_free(&b);
    return out;
}

static void test_plain_text_is_untouched(void **state)
{
    (void)state;
    const char *scripts = "a red fox · एक लाल लोमड़ी · 一只红狐狸 · 🦊👩‍🎨";
    assert_string_equal(clean(scripts, 0), scripts);
}

static void test_escape_sequences_are_removed(void **state)
{
    (void)state;
    /* CSI colour, OSC 52 clipboard write, OSC 8 hyperlink, DCS, BEL, bare ESC. */
    assert_string_equal(clean("a\x1b[31mred\x1b[0m fox", 0), "a[31mred[0m fox");
    assert_null(strchr(clean("x\x1b]52;c;ZXZpbA==\x07y", 0), 0x1b));
    assert_null(strchr(clean("\x1b]8;;http://e/\x1b\\link\x1b]8;;\x1b\\", 0), 0x1b));
    assert_null(strchr(clean("\x1bP1;2|data\x1b\\", 0), 0x1b));
    assert_string_equal(clean("bell\x07 cr\r del\x7f", 0), "bell cr del");
}

static void test_c1_controls_as_utf8_are_removed(void **state)
{
    (void)state;
    /* U+009B is CSI on terminals that honour C1; U+0085 is NEL. */
    assert_string_equal(clean("a\xc2\x9b" "31mb\xc2\x85" "c", 0), "a31mbc");
}

static void test_bidi_controls_are_removed(void **state)
{
    (void)state;
    /* RLO, LRI, PDI, RLM, ALM: each could make text read differently than it is. */
    assert_string_equal(clean("abc\xe2\x80\xae" "def\xe2\x81\xa6g\xe2\x81\xa9h\xe2\x80\x8fi\xd8\x9cj", 0),
                        "abcdefghij");
}

static void test_invalid_utf8_becomes_replacement(void **state)
{
    (void)state;
    assert_string_equal(clean("a\xff" "b", 0), "a\xef\xbf\xbd" "b");
    assert_string_equal(clean("\xc0\xaf", 0), "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong '/' */
    assert_string_equal(clean("\xed\xa0\x80", 0), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
    assert_string_equal(clean("cut \xe0\xa4", 0), "cut \xef\xbf\xbd\xef\xbf\xbd");
}

static void test_newlines_and_tabs(void **state)
{
    (void)state;
    assert_string_equal(clean("one\ntwo\tthree", 0), "one two three");
    assert_string_equal(clean("one\ntwo\tthree", 1), "one\ntwo three");
}

static void test_cap_is_reported(void **state)
{
    (void)state;
    ea_buf b;
    ea_buf_init(&b, 4);
    assert_int_equal(ea_sanitize_append(&b, "abcdef", 6, 0), -1);
    assert_int_equal(b.len, 4);
    ea_buf_free(&b);
}

static void test_copy_never_splits_a_character(void **state)
{
    (void)state;
    char small[6];
    ea_sanitize_copy(small, sizeof small, "ab\xe0\xa4\x8f\xe0\xa4\x95"); /* "ab" + 2 Devanagari */
    assert_string_equal(small, "ab\xe0\xa4\x8f");
    ea_sanitize_copy(small, sizeof small, "\x1b[2J");
    assert_string_equal(small, "[2J");
}

static void test_utf8_decode(void **state)
{
    (void)state;
    uint32_t cp;
    assert_int_equal(ea_utf8_decode((const unsigned char *)"A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(ea_utf8_decode((const unsigned char *)"\xe0\xa4\x8f", 3, &cp), 3);
    assert_int_equal(cp, 0x090F);
    assert_int_equal(ea_utf8_decode((const unsigned char *)"\xf0\x9f\xa6\x8a", 4, &cp), 4);
    assert_int_equal(cp, 0x1F98A);
    assert_int_equal(ea_utf8_decode((const unsigned char *)"\xf0\x9f\xa6", 3, &cp), 0);
    assert_int_equal(ea_utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
    assert_int_equal(ea_utf8_decode((const unsigned char *)"\xe0\x80\x80", 3, &cp), 0);
    assert_int_equal(ea_utf8_decode((const unsigned char *)"\x80", 1, &cp), 0);
}

/* Issue 13 item 6: an error message naming a file of a tampered session (a name holding
 * escape sequences and bidi controls) is safe to print wherever it ends up. */
static void test_error_messages_are_sanitized(void **state)
{
    (void)state;
    ea_err err = {0};
    assert_int_equal(ea_err_set(&err, 1, "open %s: %s", "/s/images/\x1b]52;c;eA==\x07x\xe2\x80\xaey",
                                "No such file"), -1);
    assert_int_equal(err.code, 1);
    assert_string_equal(err.msg, "open /s/images/]52;c;eA==xy: No such file");
}

/* Names printed as they are (a shell's completion list) must be their own safe form. */
static void test_is_clean(void **state)
{
    (void)state;
    assert_true(ea_sanitize_is_clean("a red fox · एक लाल लोमड़ी · 🦊"));
    assert_true(ea_sanitize_is_clean(""));
    assert_false(ea_sanitize_is_clean("a\x1b[2J"));
    assert_false(ea_sanitize_is_clean("a\xc2\x9b" "2J")); /* C1 CSI as UTF-8 */
    assert_false(ea_sanitize_is_clean("abc\xe2\x80\xae" "def")); /* RLO */
    assert_false(ea_sanitize_is_clean("caf\xe9")); /* not UTF-8 */
    assert_false(ea_sanitize_is_clean("two\nlines"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_is_untouched),
        cmocka_unit_test(test_escape_sequences_are_removed),
        cmocka_unit_test(test_c1_controls_as_utf8_are_removed),
        cmocka_unit_test(test_bidi_controls_are_removed),
        cmocka_unit_test(test_invalid_utf8_becomes_replacement),
        cmocka_unit_test(test_newlines_and_tabs),
        cmocka_unit_test(test_cap_is_reported),
        cmocka_unit_test(test_copy_never_splits_a_character),
        cmocka_unit_test(test_utf8_decode),
        cmocka_unit_test(test_error_messages_are_sanitized),
        cmocka_unit_test(test_is_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
