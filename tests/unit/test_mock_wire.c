/* SPDX-License-Identifier: MIT */
/* Unit tests for the mock's wire helpers (src/mock/json.c, chain.c): JSON string
 * escaping, base64 both ways, the OpenAI error body, and the bounded previous_response_id
 * store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mock/internal.h"

static void assert_json_string(const char *in, const char *expected)
{
    ea_buf b;
    ea_buf_init(&b, EA_BUF_UNCAPPED);
    assert_int_equal(mock_json_string(&b, in), 0);
    assert_string_equal(b.data, expected);
    ea_buf_free(&b);
}

static void test_json_string_escapes(void **state)
{
    (void)state;
    assert_json_string("", "\"\"");
    assert_json_string("plain", "\"plain\"");
    assert_json_string("say \"hi\"\\", "\"say \\\"hi\\\"\\\\\"");
    assert_json_string("a\nb\tc\rd", "\"a\\nb\\tc\\rd\"");
    assert_json_string("\x01\x1f", "\"\\u0001\\u001f\"");
    assert_json_string("caf\xc3\xa9 \xe2\x9c\x93", "\"caf\xc3\xa9 \xe2\x9c\x93\""); /* UTF-8 kept */
}

static void test_json_string_full_buffer(void **state)
{
    (void)state;
    ea_buf b;
    ea_buf_init(&b, 4);
    assert_int_equal(mock_json_string(&b, "too long for four bytes"), -1);
    ea_buf_free(&b);
}

static void assert_base64(const char *in, size_t n, const char *expected)
{
    ea_buf enc, dec;
    ea_buf_init(&enc, EA_BUF_UNCAPPED);
    ea_buf_init(&dec, EA_BUF_UNCAPPED);
    assert_int_equal(mock_base64_encode(&enc, in, n), 0);
    assert_string_equal(enc.data, expected);
    assert_int_equal(mock_base64_decode(enc.data, enc.len, &dec), 0);
    assert_int_equal(dec.len, n);
    assert_memory_equal(dec.data, in, n);
    ea_buf_free(&enc);
    ea_buf_free(&dec);
}

static void test_base64_round_trip(void **state)
{
    (void)state;
    /* RFC 4648 section 10 test vectors. */
    assert_base64("", 0, "");
    assert_base64("f", 1, "Zg==");
    assert_base64("fo", 2, "Zm8=");
    assert_base64("foo", 3, "Zm9v");
    assert_base64("foob", 4, "Zm9vYg==");
    assert_base64("fooba", 5, "Zm9vYmE=");
    assert_base64("foobar", 6, "Zm9vYmFy");
    assert_base64("\xff\xfe\x00\x01", 4, "//4AAQ==");
}

static void test_base64_refuses_garbage(void **state)
{
    (void)state;
    ea_buf out;
    ea_buf_init(&out, EA_BUF_UNCAPPED);
    assert_int_equal(mock_base64_decode("Zm9v!", 5, &out), -1);
    ea_buf_reset(&out);
    assert_int_equal(mock_base64_decode("Z", 1, &out), -1);
    ea_buf_reset(&out);
    assert_int_equal(mock_base64_decode("Zm 9v", 5, &out), -1);
    ea_buf_reset(&out);
    assert_int_equal(mock_base64_decode("Zm9v", 4, &out), 0); /* unpadded is fine */
    assert_string_equal(out.data, "foo");
    ea_buf_free(&out);
}

static void test_error_body(void **state)
{
    (void)state;
    mock_error e;
    ea_buf b;
    ea_buf_init(&b, EA_BUF_UNCAPPED);
    assert_int_equal(mock_fail(&e, 400, "invalid_request_error", "invalid_value", "size",
                               "size '%s' is \"odd\"", "7x7"), -1);
    assert_int_equal(mock_error_body(&b, &e), 0);
    assert_string_equal(b.data, "{\"error\":{\"message\":\"size '7x7' is \\\"odd\\\"\","
                                "\"type\":\"invalid_request_error\",\"param\":\"size\","
                                "\"code\":\"invalid_value\"}}");
    ea_buf_reset(&b);
    mock_fail(&e, 404, "invalid_request_error", NULL, NULL, "Invalid URL (GET /)");
    assert_int_equal(mock_error_body(&b, &e), 0);
    assert_string_equal(b.data, "{\"error\":{\"message\":\"Invalid URL (GET /)\","
                                "\"type\":\"invalid_request_error\",\"param\":null,"
                                "\"code\":null}}");
    ea_buf_free(&b);
}

static bool chain_has(mock_chain *c, const char *id, const char *image, const char *prompt)
{
    void *bytes;
    size_t len;
    char *stored_prompt;
    if (!mock_chain_get(c, id, &bytes, &len, &stored_prompt))
        return false;
    bool same = len == strlen(image) && memcmp(bytes, image, len) == 0 &&
                strcmp(stored_prompt, prompt) == 0;
    free(bytes);
    free(stored_prompt);
    return same;
}

static void test_chain_put_get(void **state)
{
    (void)state;
    mock_chain *c = mock_chain_new(8, 1 << 20, NULL);
    assert_non_null(c);
    assert_int_equal(mock_chain_put(c, "resp_a", "a boat", "PNG-A", 5), 0);
    assert_int_equal(mock_chain_put(c, "resp_b", "a bird", "PNG-BB", 6), 0);
    assert_true(chain_has(c, "resp_a", "PNG-A", "a boat"));
    assert_true(chain_has(c, "resp_b", "PNG-BB", "a bird"));
    assert_false(chain_has(c, "resp_c", "", ""));
    mock_chain_free(&c);
    assert_null(c);
    mock_chain_free(&c); /* twice is harmless */
}

static void test_chain_evicts_oldest(void **state)
{
    (void)state;
    /* Three entries at most, and at most 10 bytes of images. */
    mock_chain *c = mock_chain_new(3, 10, NULL);
    mock_chain_put(c, "resp_1", "1", "aa", 2);
    mock_chain_put(c, "resp_2", "2", "bb", 2);
    mock_chain_put(c, "resp_3", "3", "cc", 2);
    mock_chain_put(c, "resp_4", "4", "dd", 2);
    assert_false(chain_has(c, "resp_1", "aa", "1"));
    assert_true(chain_has(c, "resp_2", "bb", "2"));
    assert_true(chain_has(c, "resp_4", "dd", "4"));
    mock_chain_put(c, "resp_5", "5", "eeeeeeee", 8); /* 2 + 2 + 8 bytes: two must go */
    assert_false(chain_has(c, "resp_2", "bb", "2"));
    assert_false(chain_has(c, "resp_3", "cc", "3"));
    assert_true(chain_has(c, "resp_4", "dd", "4"));
    assert_true(chain_has(c, "resp_5", "eeeeeeee", "5"));
    /* One entry bigger than the byte bound is still kept: the newest always survives. */
    mock_chain_put(c, "resp_6", "6", "ffffffffffff", 12);
    assert_true(chain_has(c, "resp_6", "ffffffffffff", "6"));
    assert_false(chain_has(c, "resp_5", "eeeeeeee", "5"));
    mock_chain_free(&c);
}

/* With a folder, a second store (the next process's offline backend) finds what the first
 * remembered; ids that could name other files are neither written nor read. */
static void test_chain_shared_through_a_folder(void **state)
{
    (void)state;
    char dir[] = "/tmp/easel-chain-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64];
    snprintf(sub, sizeof sub, "%s/offline", dir);
    mock_chain *first = mock_chain_new(8, 1 << 20, sub);
    assert_int_equal(mock_chain_put(first, "resp_0a1b", "a lighthouse", "PNG-L", 5), 0);
    assert_int_equal(mock_chain_put(first, "../escape", "x", "PNG-X", 5), 0);
    mock_chain_free(&first);
    mock_chain *second = mock_chain_new(8, 1 << 20, sub);
    assert_true(chain_has(second, "resp_0a1b", "PNG-L", "a lighthouse"));
    assert_false(chain_has(second, "../escape", "PNG-X", "x"));
    assert_false(chain_has(second, "resp_unknown", "", ""));
    mock_chain_free(&second);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_revised_prompt(void **state)
{
    (void)state;
    char *a = mock_revised_prompt("A red fox.  ", false);
    char *b = mock_revised_prompt("A red fox", false);
    char *edit = mock_revised_prompt("make it blue", true);
    assert_string_equal(a, b); /* deterministic, trailing blanks and stops trimmed */
    assert_int_equal(strncmp(a, "A red fox. ", 11), 0);
    assert_non_null(strstr(a, "(offline stand-in)"));
    assert_non_null(strstr(edit, "make it blue"));
    assert_non_null(strstr(edit, "(offline stand-in)"));
    free(a);
    free(b);
    free(edit);
}

static void test_random_ids(void **state)
{
    (void)state;
    char a[48], b[48];
    mock_random_id(a, sizeof a, "resp_");
    mock_random_id(b, sizeof b, "resp_");
    assert_int_equal(strlen(a), 5 + 32);
    assert_int_equal(strncmp(a, "resp_", 5), 0);
    assert_int_equal(strspn(a + 5, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);
    char small[10];
    mock_random_id(small, sizeof small, "req_");
    assert_true(strlen(small) < sizeof small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_string_escapes),
        cmocka_unit_test(test_json_string_full_buffer),
        cmocka_unit_test(test_base64_round_trip),
        cmocka_unit_test(test_base64_refuses_garbage),
        cmocka_unit_test(test_error_body),
        cmocka_unit_test(test_chain_put_get),
        cmocka_unit_test(test_chain_evicts_oldest),
        cmocka_unit_test(test_chain_shared_through_a_folder),
        cmocka_unit_test(test_revised_prompt),
        cmocka_unit_test(test_random_ids),
    };
    return cmocka_run_group_tests_name("mock wire", tests, NULL, NULL);
}
