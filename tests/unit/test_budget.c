/* SPDX-License-Identifier: MIT */
/* Budgets: the per-session and the global limit, reaching a limit exactly, an unknown
 * estimate, bad values, the spends read from real sessions, and the verdict and texts the
 * workbench shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "easel/budget.h"
#include "store_fixture.h"

static void set(ea_config *c, const char *text)
{
    ea_err err = {0};
    assert_int_equal(ea_config_parse(c, text, strlen(text), NULL, &err), 0);
}

static void test_amounts(void **state)
{
    (void)state;
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    /* No limits: anything goes. */
    assert_int_equal(ea_budget_check_amounts(&c, "session 'x'", 1e6, 1e6, 1e6, &err), 0);

    set(&c, "session_budget_usd = 5\nbudget_usd = $20.00\n");
    assert_int_equal(ea_budget_check_amounts(&c, "session 'x'", 4.79, 10, 0.21, &err), 0);
    assert_int_equal(ea_budget_check_amounts(&c, "session 'x'", 4.91, 10, 0.21, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_string_equal(err.msg, "this call's estimate $0.21 would bring session 'x' to $5.12, "
                                 "past its budget of $5.00 (session_budget_usd); --force to "
                                 "send anyway");
    ea_err_clear(&err);
    assert_int_equal(ea_budget_check_amounts(&c, "session 'x'", 1, 19.9, 0.21, &err), -1);
    assert_non_null(strstr(err.msg, "the spend of all sessions to $20.11, past the budget of "
                                    "$20.00 (budget_usd); --force"));
    /* Past the limit already: even an unknown estimate is refused. */
    assert_int_equal(ea_budget_check_amounts(&c, "session 'x'", 5.5, 6, NAN, &err), -1);
    assert_int_equal(ea_budget_check_amounts(&c, "session 'x'", 4, 6, NAN, &err), 0);
    ea_config_free(&c);

    ea_config_init(&c);
    set(&c, "budget_usd = lots\n");
    assert_int_equal(ea_budget_check_amounts(&c, "s", 0, 0, 0.1, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "budget_usd = 'lots' is not an amount"));
    ea_config_free(&c);
    ea_config_init(&c);
    set(&c, "session_budget_usd = -1\n");
    assert_int_equal(ea_budget_check_amounts(&c, "s", 0, 0, 0.1, &err), -1);
    ea_config_free(&c);
}

/* A session of three turns at `each`, sent to a paid backend or to the offline one. */
static ea_session *turns_of(const char *name, double each, bool offline)
{
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create(name, NULL, &s, &err), 0);
    for (int i = 0; i < 3; i++) {
        ea_audit_request req;
        ea_audit_request_init(&req);
        req.prompt = "p";
        req.offline = offline;
        int turn;
        assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);
        ea_audit_result res;
        ea_audit_result_init(&res);
        res.status = EA_AUDIT_COMPLETED;
        res.cost_usd = each;
        assert_int_equal(ea_session_end_turn(s, turn, &res, &err), 0);
    }
    return s;
}

/* Two sessions of 0.75 each (three turns at 0.25). */
static ea_session *spend(const char *name)
{
    return turns_of(name, 0.25, false);
}

static void test_sessions_on_disk(void **state)
{
    (void)state;
    ea_session *a = spend("a"), *b = spend("b");
    ea_session_close(&b);
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    set(&c, "session_budget_usd = 1\n");
    assert_int_equal(ea_budget_check(&c, a, 0.25, &err), 0);
    assert_int_equal(ea_budget_check(&c, a, 0.3, &err), -1);
    assert_non_null(strstr(err.msg, "bring session 'a' to $1.05, past its budget of $1.00"));
    assert_int_equal(ea_budget_check(&c, NULL, 0.3, &err), 0); /* a new session has spent 0 */
    assert_int_equal(ea_budget_check(&c, NULL, 1.5, &err), -1);
    assert_non_null(strstr(err.msg, "the new session"));
    ea_config_free(&c);

    ea_config_init(&c);
    set(&c, "budget_usd = 2\n");
    assert_int_equal(ea_budget_check(&c, a, 0.5, &err), 0); /* 1.50 + 0.50 = the limit */
    assert_int_equal(ea_budget_check(&c, a, 0.51, &err), -1);
    assert_non_null(strstr(err.msg, "all sessions to $2.01"));
    assert_int_equal(ea_budget_check(&c, NULL, 0.51, &err), -1);
    ea_config_free(&c);
    ea_session_close(&a);
}

/* The verdict the workbench words its question from: which limit, the spend with the call,
 * the session's limit first when both are passed. */
static void test_verdict(void **state)
{
    (void)state;
    ea_budget_limits lim = {.session_set = true, .all_set = true, .session_usd = 5, .all_usd = 20};
    ea_budget_verdict v;
    ea_budget_assess(&lim, 4.79, 10, 0.21, &v);
    assert_false(v.past); /* reaching the limit exactly is allowed */
    ea_budget_assess(&lim, 4.91, 19.91, 0.21, &v);
    assert_true(v.past);
    assert_false(v.of_all);
    assert_float_equal(v.spend_after_usd, 5.12, 1e-9);
    assert_float_equal(v.limit_usd, 5, 1e-9);
    char text[128];
    ea_budget_verdict_brief(&v, text, sizeof text);
    assert_string_equal(text, "past session_budget_usd ($5.12 of $5.00)");

    ea_budget_assess(&lim, 1, 19.9, 0.21, &v);
    assert_true(v.past);
    assert_true(v.of_all);
    ea_budget_verdict_brief(&v, text, sizeof text);
    assert_string_equal(text, "past budget_usd (all sessions $20.11 of $20.00)");

    /* An unknown estimate counts as nothing: only a limit passed already refuses. */
    ea_budget_assess(&lim, 4, 6, NAN, &v);
    assert_false(v.past);
    ea_budget_assess(&lim, 5.5, 6, NAN, &v);
    assert_true(v.past);
    assert_float_equal(v.estimate_usd, 0, 0);

    /* No limits: never past, whatever is spent. */
    ea_budget_limits none = {0};
    ea_budget_assess(&none, 1e6, 1e6, 1e6, &v);
    assert_false(v.past);
}

static void test_limits_and_texts(void **state)
{
    (void)state;
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    ea_budget_limits lim;
    assert_int_equal(ea_budget_limits_read(&c, &lim, &err), 0);
    assert_false(lim.session_set || lim.all_set);
    set(&c, "budget_usd = $50\n");
    assert_int_equal(ea_budget_limits_read(&c, &lim, &err), 0);
    assert_true(lim.all_set);
    assert_false(lim.session_set);
    assert_float_equal(lim.all_usd, 50, 0);
    ea_config_free(&c);
    ea_config_init(&c);
    set(&c, "session_budget_usd = five\n");
    assert_int_equal(ea_budget_limits_read(&c, &lim, &err), -1);
    assert_non_null(strstr(err.msg, "session_budget_usd = 'five' is not an amount"));
    ea_config_free(&c);

    char text[128];
    ea_budget_spend_text("session", 0.4249, true, 5, false, text, sizeof text);
    assert_string_equal(text, "session $0.42 of $5.00");
    ea_budget_spend_text("session", 0.4251, false, 0, false, text, sizeof text);
    assert_string_equal(text, "session $0.43 spent");
    ea_budget_spend_text("all", 12.1, true, 50, true, text, sizeof text);
    assert_string_equal(text, "all ≥$12.10 of $50.00");
}

/* A thinking turn's model makes as many images as it chooses: the check is at the top of
 * its estimate (one image, $0.40, would pass a $1 limit; eight may cost $1.93), and the
 * refusal and the workbench's question say so. */
static void test_estimate_bound(void **state)
{
    (void)state;
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    set(&c, "session_budget_usd = 1\n");
    ea_estimate e = {.known = true, .usd = 0.40, .usd_max = 1.93, .images = 1, .images_max = 8};
    assert_int_equal(ea_budget_check_estimate(&c, NULL, &e, &err), -1);
    assert_non_null(strstr(err.msg, "this call may make up to 8 images: its estimate of up to "
                                    "$1.93 would bring the new session to $1.93, past its budget "
                                    "of $1.00 (session_budget_usd)"));
    e.usd_max = 0.40;
    e.images_max = 1;
    assert_int_equal(ea_budget_check_estimate(&c, NULL, &e, &err), 0);
    e.usd = e.usd_max = 1.2;
    assert_int_equal(ea_budget_check_estimate(&c, NULL, &e, &err), -1);
    assert_non_null(strstr(err.msg, "this call's estimate $1.20 would bring"));
    e.known = false; /* unknown counts as 0 */
    assert_int_equal(ea_budget_check_estimate(&c, NULL, &e, &err), 0);
    ea_config_free(&c);

    ea_budget_limits lim = {.session_set = true, .all_set = true, .session_usd = 1, .all_usd = 2};
    ea_budget_verdict v;
    char brief[128];
    ea_budget_assess(&lim, 0.5, 0.5, 1.93, &v);
    v.images_max = 8;
    ea_budget_verdict_brief(&v, brief, sizeof brief);
    assert_string_equal(brief, "may pass session_budget_usd (up to $2.43 of $1.00, up to 8 images)");
    lim.session_set = false;
    ea_budget_assess(&lim, 0.5, 0.5, 1.93, &v);
    v.images_max = 8;
    ea_budget_verdict_brief(&v, brief, sizeof brief);
    assert_string_equal(brief, "may pass budget_usd (all sessions up to $2.43 of $2.00, up to 8 images)");
}

/* design.md 7: offline money is never spend. With budget_usd = 1 and $5 of offline turns
 * (in this session and in another, read from its session.json), a call is judged on the paid
 * spend alone. */
static void test_offline_money_is_not_spend(void **state)
{
    (void)state;
    ea_session *offline = turns_of("offline", 5.0 / 6, true);
    ea_session *other = turns_of("other-offline", 5.0 / 6, true);
    ea_session_close(&other);
    ea_session *paid = turns_of("paid", 0.2, false);
    ea_session_close(&paid);
    ea_config c;
    ea_config_init(&c);
    ea_err err = {0};
    set(&c, "budget_usd = 1\nsession_budget_usd = 1\n");
    /* $5 offline and $0.60 paid: $0.40 more is the limit exactly. */
    assert_int_equal(ea_budget_check(&c, offline, 0.4, &err), 0);
    assert_int_equal(ea_budget_check(&c, offline, 0.41, &err), -1);
    assert_non_null(strstr(err.msg, "all sessions to $1.01"));

    ea_session_list list;
    assert_int_equal(ea_session_list_load(&list, &err), 0);
    for (size_t i = 0; i < list.count; i++) {
        bool off = strcmp(list.items[i].name, "paid") != 0;
        assert_float_equal(list.items[i].spend_usd, off ? 0 : 0.6, 1e-9);
        assert_float_equal(list.items[i].offline_usd, off ? 2.5 : 0, 1e-9);
    }
    ea_session_list_free(&list);
    ea_config_free(&c);
    ea_session_close(&offline);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_verdict),
        cmocka_unit_test(test_limits_and_texts),
        cmocka_unit_test(test_estimate_bound),
        cmocka_unit_test_setup_teardown(test_sessions_on_disk, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_offline_money_is_not_spend, store_setup,
                                        store_teardown),
    };
    return cmocka_run_group_tests_name("budget", tests, NULL, NULL);
}
