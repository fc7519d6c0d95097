/* SPDX-License-Identifier: MIT */
/* Unit tests for the mock's configuration and fault syntax (src/mock/fault.c): each
 * fault accepted and refused, combined in one --fault and across several, the blocked-word
 * match, and the error type and code the API uses with each status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "easel/mock.h"
#include "../../src/mock/internal.h"

static ea_mock_config parsed(const char *spec)
{
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    ea_err err = { 0 };
    if (ea_mock_fault_parse(&cfg, spec, &err) != 0)
        fail_msg("'%s' refused: %s", spec, err.msg);
    return cfg;
}

static void assert_refused(const char *spec, const char *message_part)
{
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    ea_err err = { 0 };
    assert_int_equal(ea_mock_fault_parse(&cfg, spec, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    if (!strstr(err.msg, message_part))
        fail_msg("'%s': message '%s' lacks '%s'", spec, err.msg, message_part);
}

static void test_defaults_inject_nothing(void **state)
{
    (void)state;
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    assert_int_equal(cfg.port, 0);
    assert_int_equal(cfg.status, 0);
    assert_int_equal(cfg.status_count, 1);
    assert_string_equal(cfg.retry_after, "");
    assert_int_equal(cfg.retry_after_ms, -1);
    assert_int_equal(cfg.drop_after, -1);
    assert_int_equal(cfg.error_event_after, -2);
    assert_int_equal(cfg.drip_bps, 0);
    assert_int_equal(cfg.malformed_event, -1);
    assert_int_equal(cfg.n_block_words, 0);
}

static void test_status_with_options(void **state)
{
    (void)state;
    ea_mock_config cfg = parsed("status=429,count=3,retry-after=2,retry-after-ms=1500");
    assert_int_equal(cfg.status, 429);
    assert_int_equal(cfg.status_count, 3);
    assert_string_equal(cfg.retry_after, "2");
    assert_int_equal(cfg.retry_after_ms, 1500);

    cfg = parsed("status=503");
    assert_int_equal(cfg.status, 503);
    assert_int_equal(cfg.status_count, 1);
}

static void test_each_fault(void **state)
{
    (void)state;
    assert_int_equal(parsed("drop-after=0").drop_after, 0);
    assert_int_equal(parsed("drop-after=2").drop_after, 2);
    assert_int_equal(parsed("error-event=1").error_event_after, 1);
    assert_int_equal(parsed("error-event=start").error_event_after, -1);
    assert_int_equal(parsed("drip=512").drip_bps, 512);
    assert_int_equal(parsed("malformed=0").malformed_event, 0);
    assert_int_equal(parsed("malformed=4").malformed_event, 4);
    assert_int_equal(parsed("delay=250").delay_ms, 250);
    ea_mock_config cfg = parsed("block=volcano");
    assert_int_equal(cfg.n_block_words, 1);
    assert_string_equal(cfg.block_words[0], "volcano");
}

static void test_batch_faults(void **state)
{
    (void)state;
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    assert_int_equal(cfg.batch_fail, 0);
    assert_int_equal(cfg.batch_expire, -1);
    assert_int_equal(cfg.batch_invalid_line, 0);
    assert_int_equal(cfg.content_cut, -1);
    assert_int_equal(cfg.content_cut_count, 1);
    assert_int_equal(cfg.batch_ms, 5000);

    cfg = parsed("batch-fail=3,batch-expire=0,batch-invalid=7,cut=1000,cut-count=2");
    assert_int_equal(cfg.batch_fail, 3);
    assert_int_equal(cfg.batch_expire, 0);
    assert_int_equal(cfg.batch_invalid_line, 7);
    assert_int_equal(cfg.content_cut, 1000);
    assert_int_equal(cfg.content_cut_count, 2);
    assert_int_equal(parsed("cut=0").content_cut, 0);

    assert_refused("batch-fail=-1", "bad value");
    assert_refused("batch-expire=x", "bad value");
    assert_refused("batch-invalid=0", "bad value");
    assert_refused("cut=", "bad value");
    assert_refused("cut-count=0", "bad value");
}

static void test_faults_accumulate(void **state)
{
    (void)state;
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    ea_err err = { 0 };
    assert_int_equal(ea_mock_fault_parse(&cfg, "block=one,block=two", &err), 0);
    assert_int_equal(ea_mock_fault_parse(&cfg, "status=500", &err), 0);
    assert_int_equal(ea_mock_fault_parse(&cfg, "count=2", &err), 0);
    assert_int_equal(ea_mock_fault_parse(&cfg, "drop-after=1,delay=10", &err), 0);
    assert_int_equal(cfg.n_block_words, 2);
    assert_string_equal(cfg.block_words[1], "two");
    assert_int_equal(cfg.status, 500);
    assert_int_equal(cfg.status_count, 2);
    assert_int_equal(cfg.drop_after, 1);
    assert_int_equal(cfg.delay_ms, 10);
}

static void test_refused(void **state)
{
    (void)state;
    assert_refused("", "empty");
    assert_refused(",", "empty");
    assert_refused("status", "NAME=VALUE");
    assert_refused("bogus=1", "unknown fault 'bogus'");
    assert_refused("status=42", "bad value '42'");
    assert_refused("status=600", "bad value");
    assert_refused("status=429x", "bad value");
    assert_refused("count=0", "bad value");
    assert_refused("drop-after=-1", "bad value");
    assert_refused("drop-after=", "bad value");
    assert_refused("error-event=later", "bad value");
    assert_refused("drip=0", "bad value");
    assert_refused("malformed= 1", "bad value");
    assert_refused("delay=99999999999", "bad value");
    assert_refused("block=", "bad value");
    assert_refused("block=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bad value");
    assert_refused("retry-after=", "bad value");

    char long_spec[400];
    memset(long_spec, 'a', sizeof long_spec - 1);
    long_spec[sizeof long_spec - 1] = '\0';
    assert_refused(long_spec, "too long");
}

static void test_block_word_limit(void **state)
{
    (void)state;
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    ea_err err = { 0 };
    char spec[32];
    for (int i = 0; i < EA_MOCK_MAX_BLOCK_WORDS; i++) {
        snprintf(spec, sizeof spec, "block=w%d", i);
        assert_int_equal(ea_mock_fault_parse(&cfg, spec, &err), 0);
    }
    assert_int_equal(ea_mock_fault_parse(&cfg, "block=more", &err), -1);
    assert_non_null(strstr(err.msg, "at most"));
}

static void test_blocked_word_match(void **state)
{
    (void)state;
    ea_mock_config cfg = parsed("block=Volcano,block=gore");
    assert_string_equal(mock_fault_blocked_word(&cfg, "an erupting VOLCANO at night"), "Volcano");
    assert_string_equal(mock_fault_blocked_word(&cfg, "volcanoes"), "Volcano");
    assert_string_equal(mock_fault_blocked_word(&cfg, "gore"), "gore");
    assert_null(mock_fault_blocked_word(&cfg, "a quiet lake"));
    assert_null(mock_fault_blocked_word(&cfg, ""));
    assert_null(mock_fault_blocked_word(&cfg, NULL));
    ea_mock_config none;
    ea_mock_config_init(&none);
    assert_null(mock_fault_blocked_word(&none, "volcano"));
}

static void test_status_errors_as_the_api(void **state)
{
    (void)state;
    mock_error e;
    mock_fault_status_error(429, &e);
    assert_int_equal(e.status, 429);
    assert_string_equal(e.type, "requests");
    assert_string_equal(e.code, "rate_limit_exceeded");
    assert_non_null(strstr(e.message, "offline stand-in"));

    mock_fault_status_error(500, &e);
    assert_string_equal(e.type, "server_error");
    assert_null(e.code);

    mock_fault_status_error(401, &e);
    assert_string_equal(e.code, "invalid_api_key");

    mock_fault_status_error(418, &e);
    assert_int_equal(e.status, 418);
    assert_string_equal(e.type, "invalid_request_error");
    mock_fault_status_error(599, &e);
    assert_string_equal(e.type, "server_error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_inject_nothing),
        cmocka_unit_test(test_status_with_options),
        cmocka_unit_test(test_each_fault),
        cmocka_unit_test(test_batch_faults),
        cmocka_unit_test(test_faults_accumulate),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_block_word_limit),
        cmocka_unit_test(test_blocked_word_match),
        cmocka_unit_test(test_status_errors_as_the_api),
    };
    return cmocka_run_group_tests_name("mock faults", tests, NULL, NULL);
}
