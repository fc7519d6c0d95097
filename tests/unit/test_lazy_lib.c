/* SPDX-License-Identifier: MIT */
/* Unit tests for src/core/lazy_lib.c: a library opened at the first call, all of its symbols
 * or none, once; and for the forwarding it serves (libcurl and libcrypto are loaded on demand,
 * not linked: a hash and a curl call made here go through src/core/crypto_lazy.c and
 * src/net/curl_lazy.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <string.h>

#include "easel/hash.h"
#include "easel/lazy_lib.h"

static void test_opens_with_every_symbol(void **state)
{
    (void)state;
    static const char *const names[] = {"cos", "sqrt"};
    void *fns[2] = {NULL, NULL};
    ea_lazy_lib lib = {"libm.so.6", names, 2, fns, 0};
    assert_true(ea_lazy_lib_ready(&lib));
    assert_non_null(fns[0]);
    assert_non_null(fns[1]);
    double (*sqrt_fn)(double) = (double (*)(double))fns[1];
    assert_true(sqrt_fn(16.0) == 4.0);
    fns[0] = NULL; /* opened once: a second call looks nothing up again */
    assert_true(ea_lazy_lib_ready(&lib));
    assert_null(fns[0]);
}

static void test_absent_library_or_symbol(void **state)
{
    (void)state;
    static const char *const names[] = {"cos", "no_such_function_in_libm"};
    void *fns[2] = {NULL, NULL};
    ea_lazy_lib missing_symbol = {"libm.so.6", names, 2, fns, 0};
    assert_false(ea_lazy_lib_ready(&missing_symbol));
    assert_false(ea_lazy_lib_ready(&missing_symbol));
    ea_lazy_lib missing_lib = {"libeasel-no-such-library.so.9", names, 1, fns, 0};
    assert_false(ea_lazy_lib_ready(&missing_lib));
}

/* The digest of "abc" (FIPS 180-2's example), through the forwarded EVP functions. */
static void test_crypto_forwarded(void **state)
{
    (void)state;
    char hex[EA_SHA256_HEX_SIZE];
    ea_err err = {0};
    assert_int_equal(ea_sha256_hex("abc", 3, hex, &err), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* Variadic setopt and getinfo forward their one argument whatever its type. */
static void test_curl_forwarded(void **state)
{
    (void)state;
    CURL *h = curl_easy_init();
    assert_non_null(h);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:9/x"), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)1 << 33),
                     CURLE_OK);
    char *url = NULL;
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url), CURLE_OK);
    assert_non_null(url);
    assert_string_equal(url, "http://127.0.0.1:9/x");
    assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
    curl_easy_cleanup(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opens_with_every_symbol),
        cmocka_unit_test(test_absent_library_or_symbol),
        cmocka_unit_test(test_crypto_forwarded),
        cmocka_unit_test(test_curl_forwarded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
