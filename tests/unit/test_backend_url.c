/* SPDX-License-Identifier: MIT */
/* Backends beyond api.openai.com: URL building (the path before the base's query, api-version
 * merged), Azure's deployment routing and its environment as the AzureOpenAI clients read it,
 * how the key is sent, and which hosts plain http:// may go to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "easel/backend.h"
#include "easel/catalog.h"
#include "easel/config.h"
#include "easel/http.h"

static const char *const vars[] = {"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID",
                                   "OPENAI_PROJECT_ID", "OPENAI_API_VERSION",
                                   "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT"};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    return 0;
}

static void joined(const char *base, const char *path, const char *version, const char *want)
{
    char out[512];
    assert_int_equal(ea_url_join(base, path, version, out, sizeof out), 0);
    assert_string_equal(out, want);
}

static void test_plain_join(void **state)
{
    (void)state;
    joined("https://api.openai.com/v1", "/images/generations", NULL,
           "https://api.openai.com/v1/images/generations");
    joined("https://h/v1/", "/responses", NULL, "https://h/v1/responses");
    joined("https://h/v1//", "/responses/r1?stream=true&starting_after=3", NULL,
           "https://h/v1/responses/r1?stream=true&starting_after=3");
}

/* The bug of issue 16: the path used to land after the query. */
static void test_base_query_survives(void **state)
{
    (void)state;
    joined("https://r.openai.azure.com/openai/deployments/d?api-version=2025-04-01-preview",
           "/images/generations", NULL,
           "https://r.openai.azure.com/openai/deployments/d/images/generations"
           "?api-version=2025-04-01-preview");
    joined("https://h/openai/?api-version=X&team=a", "/responses/r?stream=true", NULL,
           "https://h/openai/responses/r?api-version=X&team=a&stream=true");
}

static void test_api_version_merged(void **state)
{
    (void)state;
    joined("https://h/openai", "/responses", "2025-04-01-preview",
           "https://h/openai/responses?api-version=2025-04-01-preview");
    /* The configured version replaces the base's, in its place; the path's own come last. */
    joined("https://h/openai?a=1&api-version=old&b=2", "/responses?stream=true", "new",
           "https://h/openai/responses?a=1&api-version=new&b=2&stream=true");
    joined("https://h/v1?flag", "/models", NULL, "https://h/v1/models?flag");
}

static void test_join_too_long(void **state)
{
    (void)state;
    char out[24];
    assert_int_equal(ea_url_join("https://h/v1?api-version=x", "/images/generations", NULL, out,
                                 sizeof out), -1);
    assert_string_equal(out, "");
}

/* Opens a backend on the environment as set (no config file). */
static int open_env(ea_config *cfg, ea_backend *b, ea_err *err)
{
    ea_config_init(cfg);
    ea_config_apply_env(cfg);
    return ea_backend_open(b, cfg, false, false, err);
}

static void test_azure_endpoint_env(void **state)
{
    (void)state;
    setenv("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com/", 1);
    setenv("AZURE_OPENAI_API_KEY", "azure-key", 1);
    setenv("OPENAI_API_KEY", "sk-openai", 1);
    setenv("OPENAI_API_VERSION", "2025-04-01-preview", 1);
    ea_config cfg;
    ea_backend b;
    ea_err err = {0};
    assert_int_equal(open_env(&cfg, &b, &err), 0);
    assert_string_equal(b.base_url, "https://res.openai.azure.com/openai");
    assert_string_equal(b.api_key, "azure-key"); /* never the OpenAI key */
    assert_string_equal(ea_config_env_of(&cfg, EA_CFG_API_KEY), "AZURE_OPENAI_API_KEY");
    assert_true(b.api_key_header && b.azure && b.azure_deployments);
    char url[512];
    assert_int_equal(ea_backend_url(&b, "/images/edits", "gpt image/2", url, sizeof url), 0);
    assert_string_equal(url, "https://res.openai.azure.com/openai/deployments/gpt%20image%2F2"
                             "/images/edits?api-version=2025-04-01-preview");
    /* The Responses API is not routed through a deployment. */
    assert_int_equal(ea_backend_url(&b, "/responses", "gpt-image-2", url, sizeof url), 0);
    assert_string_equal(url, "https://res.openai.azure.com/openai/responses"
                             "?api-version=2025-04-01-preview");
    char line[256];
    ea_config_describe(&cfg, EA_CFG_BASE_URL, line, sizeof line);
    assert_non_null(strstr(line, "AZURE_OPENAI_ENDPOINT"));
    ea_backend_close(&b);
    ea_config_free(&cfg);
}

static void test_azure_openai_key_not_sent(void **state)
{
    (void)state;
    setenv("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com", 1);
    setenv("OPENAI_API_KEY", "sk-openai", 1);
    setenv("OPENAI_API_VERSION", "v", 1);
    ea_config cfg;
    ea_backend b;
    ea_err err = {0};
    assert_int_equal(open_env(&cfg, &b, &err), 0);
    assert_null(b.api_key);
    ea_backend_close(&b);
    ea_config_free(&cfg);
}

static void test_azure_needs_api_version(void **state)
{
    (void)state;
    setenv("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com", 1);
    setenv("AZURE_OPENAI_API_KEY", "azure-key", 1);
    ea_config cfg;
    ea_backend b;
    ea_err err = {0};
    assert_int_equal(open_env(&cfg, &b, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "OPENAI_API_VERSION"));
    ea_backend_close(&b);
    ea_config_free(&cfg);
}

/* The v1 form is the plain OpenAI client's: no deployment routing, no api-version needed;
 * the key goes as api-key, which Azure takes on both forms. */
static void test_azure_v1_form(void **state)
{
    (void)state;
    setenv("OPENAI_BASE_URL", "https://res.openai.azure.com/openai/v1/", 1);
    setenv("AZURE_OPENAI_API_KEY", "azure-key", 1);
    setenv("OPENAI_API_VERSION", "2025-04-01-preview", 1); /* the plain client never sends it */
    ea_config cfg;
    ea_backend b;
    ea_err err = {0};
    assert_int_equal(open_env(&cfg, &b, &err), 0);
    assert_string_equal(b.api_key, "azure-key");
    assert_true(b.azure && b.api_key_header);
    assert_false(b.azure_deployments);
    char url[512];
    assert_int_equal(ea_backend_url(&b, "/images/generations", "gpt-image-2", url, sizeof url), 0);
    assert_string_equal(url, "https://res.openai.azure.com/openai/v1/images/generations");
    ea_backend_close(&b);
    ea_config_free(&cfg);
}

static void test_auth_header_config(void **state)
{
    (void)state;
    ea_config cfg;
    ea_backend b;
    ea_err err = {0};
    ea_config_init(&cfg);
    const char *text = "base_url = http://127.0.0.1:9/openai?api-version=X\n"
                       "auth_header = api-key\napi_key = k\n";
    assert_int_equal(ea_config_parse(&cfg, text, strlen(text), NULL, &err), 0);
    assert_int_equal(ea_backend_open(&b, &cfg, false, false, &err), 0);
    assert_true(b.api_key_header && b.azure_deployments);
    char url[512];
    assert_int_equal(ea_backend_url(&b, "/images/generations", "d1", url, sizeof url), 0);
    assert_string_equal(url, "http://127.0.0.1:9/openai/deployments/d1/images/generations"
                             "?api-version=X");
    ea_http_request hr;
    ea_backend_http_init(&b, &hr);
    assert_true(hr.api_key_header);
    assert_string_equal(hr.api_key, "k");
    ea_backend_close(&b);
    ea_config_free(&cfg);

    /* Cloudflare-style gateways end in /openai too: without Azure, nothing is routed, and
     * api-version is not added (a query in the base URL still goes). */
    ea_config_init(&cfg);
    text = "base_url = https://gateway.example/v1/acct/gw/openai?team=a\napi_key = k\n"
           "api_version = 2025-04-01-preview\n";
    assert_int_equal(ea_config_parse(&cfg, text, strlen(text), NULL, &err), 0);
    assert_int_equal(ea_backend_open(&b, &cfg, false, false, &err), 0);
    assert_false(b.api_key_header || b.azure || b.azure_deployments);
    assert_int_equal(ea_backend_url(&b, "/images/generations", "m", url, sizeof url), 0);
    assert_string_equal(url, "https://gateway.example/v1/acct/gw/openai/images/generations?team=a");
    ea_backend_close(&b);
    ea_config_free(&cfg);

    ea_config_init(&cfg);
    text = "api_key = k\nauth_header = basic\n";
    assert_int_equal(ea_config_parse(&cfg, text, strlen(text), NULL, &err), 0);
    assert_int_equal(ea_backend_open(&b, &cfg, false, false, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    ea_backend_close(&b);
    ea_config_free(&cfg);
}

static void test_plain_http_decision(void **state)
{
    (void)state;
    assert_true(ea_http_plain_allowed("127.0.0.1", NULL));
    assert_true(ea_http_plain_allowed("127.3.2.1", NULL));
    assert_true(ea_http_plain_allowed("[::1]", NULL));
    assert_true(ea_http_plain_allowed("LocalHost", NULL));
    assert_false(ea_http_plain_allowed("lan-box", NULL));
    assert_false(ea_http_plain_allowed("lan-box", ""));
    assert_true(ea_http_plain_allowed("lan-box", "lan-box"));
    assert_true(ea_http_plain_allowed("LAN-Box", "other, lan-box"));
    assert_true(ea_http_plain_allowed("10.0.0.7", "gpu1 10.0.0.7\tgpu2"));
    assert_true(ea_http_plain_allowed("[fd00::1]", "fd00::1"));
    assert_true(ea_http_plain_allowed("[fd00::1]", "[fd00::1]"));
    /* Names, not suffixes or prefixes: "box" does not allow "lan-box" nor "lan-box.evil". */
    assert_false(ea_http_plain_allowed("lan-box", "box"));
    assert_false(ea_http_plain_allowed("lan-box.evil", "lan-box"));
    assert_false(ea_http_plain_allowed("lan", "lan-box"));
    assert_false(ea_http_plain_allowed(NULL, "lan-box"));
}

static void test_catalog_parse_and_marks(void **state)
{
    (void)state;
    const char *body = "{\"object\":\"list\",\"data\":["
                       "{\"id\":\"whisper-1\",\"owned_by\":\"openai\",\"created\":1},"
                       "{\"id\":\"gpt-image-2\",\"object\":\"model\"},"
                       "{\"id\":7},{\"name\":\"no id\"},"
                       "{\"id\":\"dall-e-3\"},{\"id\":\"gpt-image-3-preview\"},"
                       "{\"id\":\"chatgpt-image-next\"}]}";
    ea_catalog cat;
    ea_err err = {0};
    assert_int_equal(ea_catalog_parse(body, strlen(body), &cat, &err), 0);
    assert_int_equal(cat.n, 5); /* entries without a string id are skipped */
    const char *ids[] = {"chatgpt-image-next", "dall-e-3", "gpt-image-2", "gpt-image-3-preview",
                         "whisper-1"};
    enum ea_model_mark marks[] = {EA_MARK_UNKNOWN, EA_MARK_RETIRED, EA_MARK_KNOWN,
                                  EA_MARK_UNKNOWN, EA_MARK_OTHER};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(cat.models[i].id, ids[i]);
        assert_int_equal(cat.models[i].mark, marks[i]);
    }
    assert_string_equal(cat.models[4].owned_by, "openai");
    assert_int_equal(cat.models[4].created, 1);
    assert_string_equal(cat.models[2].owned_by, "");
    ea_catalog_free(&cat);
    assert_string_equal(ea_model_mark_name(EA_MARK_RETIRED), "retired");
    assert_int_equal(ea_catalog_parse("{\"data\":{}}", 11, &cat, &err), -1);
    assert_int_equal(ea_catalog_parse("not json", 8, &cat, &err), -1);
    assert_int_equal(err.code, EA_EXIT_NETWORK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_join),
        cmocka_unit_test(test_base_query_survives),
        cmocka_unit_test(test_api_version_merged),
        cmocka_unit_test(test_join_too_long),
        cmocka_unit_test_setup_teardown(test_azure_endpoint_env, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_azure_openai_key_not_sent, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_azure_needs_api_version, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_azure_v1_form, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_auth_header_config, clear_env, clear_env),
        cmocka_unit_test(test_plain_http_decision),
        cmocka_unit_test(test_catalog_parse_and_marks),
    };
    return cmocka_run_group_tests_name("backend_url", tests, NULL, NULL);
}
