#include "easel/budget.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/sanitize.h"

/* Cents are the smallest amount shown; a difference below this is rounding, not spending. */
#define EPSILON_USD 1e-9

/* The limit set for key: 1 with *limit, 0 when unset, -1 with err for a bad value. */
static int read_limit(const ea_config *cfg, enum ea_config_key key, double *limit, ea_err *err)
{
    const char *text = ea_config_get(cfg, key);
    if (!text || !*text)
        return 0;
    const char *p = text[0] == '$' ? text + 1 : text;
    char *end;
    double v = strtod(p, &end);
    while (*end == ' ')
        end++;
    if (end == p || *end || !isfinite(v) || v < 0)
        return ea_err_set(err, EA_EXIT_USAGE, "%s = '%.40s' is not an amount in dollars (such as "
                          "5 or 12.50)", ea_config_key_name(key), text);
    *limit = v;
    return 1;
}

int ea_budget_check_amounts(const ea_config *cfg, const char *session_label,
                            double session_spend_usd, double total_spend_usd,
                            double estimate_usd, ea_err *err)
{
    double estimate = isnan(estimate_usd) ? 0 : estimate_usd;
    double limit;
    int set = read_limit(cfg, EA_CFG_SESSION_BUDGET_USD, &limit, err);
    if (set < 0)
        return -1;
    if (set && session_spend_usd + estimate > limit + EPSILON_USD)
        return ea_err_set(err, EA_EXIT_USAGE,
                          "this call's estimate $%.2f would bring %s to $%.2f, past its budget of "
                          "$%.2f (session_budget_usd); --force to send anyway",
                          estimate, session_label, session_spend_usd + estimate, limit);
    if ((set = read_limit(cfg, EA_CFG_BUDGET_USD, &limit, err)) < 0)
        return -1;
    if (set && total_spend_usd + estimate > limit + EPSILON_USD)
        return ea_err_set(err, EA_EXIT_USAGE,
                          "this call's estimate $%.2f would bring the spend of all sessions to "
                          "$%.2f, past the budget of $%.2f (budget_usd); --force to send anyway",
                          estimate, total_spend_usd + estimate, limit);
    return 0;
}

int ea_budget_check(const ea_config *cfg, const ea_session *session, double estimate_usd,
                    ea_err *err)
{
    double limit;
    bool any = false;
    for (int key = EA_CFG_BUDGET_USD; key <= EA_CFG_SESSION_BUDGET_USD; key++) {
        int set = read_limit(cfg, (enum ea_config_key)key, &limit, err);
        if (set < 0)
            return -1;
        any |= set > 0;
    }
    if (!any)
        return 0; /* no limits: no need to read every session */

    double session_spend = 0;
    char label[EA_SESSION_NAME_MAX + 40] = "the new session";
    if (session) {
        ea_audit_totals totals;
        ea_audit_get_totals(ea_session_audit(session), &totals);
        session_spend = totals.spend_usd;
        char name[EA_SESSION_NAME_MAX + 1];
        ea_sanitize_copy(name, sizeof name, ea_session_name(session));
        snprintf(label, sizeof label, "session '%s'", *name ? name : ea_session_id(session));
    }
    double total = session_spend;
    if (ea_config_get(cfg, EA_CFG_BUDGET_USD)) {
        ea_session_list list;
        if (ea_session_list_load(&list, err) != 0)
            return -1;
        for (size_t i = 0; i < list.count; i++)
            if (!session || strcmp(list.items[i].id, ea_session_id(session)) != 0)
                total += list.items[i].spend_usd;
        ea_session_list_free(&list);
    }
    return ea_budget_check_amounts(cfg, label, session_spend, total, estimate_usd, err);
}
