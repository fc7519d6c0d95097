/* SPDX-License-Identifier: MIT */
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

int ea_budget_limits_read(const ea_config *cfg, ea_budget_limits *out, ea_err *err)
{
    memset(out, 0, sizeof *out);
    int session = read_limit(cfg, EA_CFG_SESSION_BUDGET_USD, &out->session_usd, err);
    if (session < 0)
        return -1;
    int all = read_limit(cfg, EA_CFG_BUDGET_USD, &out->all_usd, err);
    if (all < 0)
        return -1;
    out->session_set = session > 0;
    out->all_set = all > 0;
    return 0;
}

void ea_budget_assess(const ea_budget_limits *lim, double session_spend_usd,
                      double total_spend_usd, double estimate_usd, ea_budget_verdict *out)
{
    double estimate = isnan(estimate_usd) ? 0 : estimate_usd;
    memset(out, 0, sizeof *out);
    out->estimate_usd = estimate;
    if (lim->session_set && session_spend_usd + estimate > lim->session_usd + EPSILON_USD) {
        out->limit_usd = lim->session_usd;
        out->spend_after_usd = session_spend_usd + estimate;
    } else if (lim->all_set && total_spend_usd + estimate > lim->all_usd + EPSILON_USD) {
        out->of_all = true;
        out->limit_usd = lim->all_usd;
        out->spend_after_usd = total_spend_usd + estimate;
    } else {
        return;
    }
    out->past = true;
}

void ea_budget_verdict_brief(const ea_budget_verdict *v, char *out, size_t size)
{
    char images[32] = "";
    if (v->images_max > 0)
        snprintf(images, sizeof images, ", up to %d images", v->images_max);
    const char *past = v->images_max > 0 ? "may pass" : "past";
    const char *up_to = v->images_max > 0 ? "up to " : "";
    if (!v->past)
        snprintf(out, size, "within the budget");
    else if (v->of_all)
        snprintf(out, size, "%s budget_usd (all sessions %s$%.2f of $%.2f%s)", past, up_to,
                 v->spend_after_usd, v->limit_usd, images);
    else
        snprintf(out, size, "%s session_budget_usd (%s$%.2f of $%.2f%s)", past, up_to,
                 v->spend_after_usd, v->limit_usd, images);
}

void ea_budget_spend_text(const char *what, double spend_usd, bool limit_set, double limit_usd,
                          bool partial, char *out, size_t size)
{
    const char *bound = partial ? "≥" : "";
    if (limit_set)
        snprintf(out, size, "%s %s$%.2f of $%.2f", what, bound, spend_usd, limit_usd);
    else
        snprintf(out, size, "%s %s$%.2f spent", what, bound, spend_usd);
}

/* images_max: the call may make up to this many images, estimate_usd being its bound (0:
 * the count is known). */
static int check_amounts(const ea_config *cfg, const char *session_label,
                         double session_spend_usd, double total_spend_usd, double estimate_usd,
                         int images_max, ea_err *err)
{
    ea_budget_limits lim;
    if (ea_budget_limits_read(cfg, &lim, err) != 0)
        return -1;
    ea_budget_verdict v;
    ea_budget_assess(&lim, session_spend_usd, total_spend_usd, estimate_usd, &v);
    if (!v.past)
        return 0;
    char what[96];
    if (images_max > 0)
        snprintf(what, sizeof what, "this call may make up to %d images: its estimate of up to "
                 "$%.2f", images_max, v.estimate_usd);
    else
        snprintf(what, sizeof what, "this call's estimate $%.2f", v.estimate_usd);
    if (v.of_all)
        return ea_err_set(err, EA_EXIT_USAGE,
                          "%s would bring the spend of all sessions to $%.2f, past the budget "
                          "of $%.2f (budget_usd); --force to send anyway",
                          what, v.spend_after_usd, v.limit_usd);
    return ea_err_set(err, EA_EXIT_USAGE,
                      "%s would bring %s to $%.2f, past its budget of $%.2f "
                      "(session_budget_usd); --force to send anyway",
                      what, session_label, v.spend_after_usd, v.limit_usd);
}

int ea_budget_check_amounts(const ea_config *cfg, const char *session_label,
                            double session_spend_usd, double total_spend_usd,
                            double estimate_usd, ea_err *err)
{
    return check_amounts(cfg, session_label, session_spend_usd, total_spend_usd, estimate_usd,
                         0, err);
}

static int check_session(const ea_config *cfg, const ea_session *session, double estimate_usd,
                         int images_max, ea_err *err)
{
    ea_budget_limits lim;
    if (ea_budget_limits_read(cfg, &lim, err) != 0)
        return -1;
    if (!lim.session_set && !lim.all_set)
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
    if (lim.all_set) {
        ea_session_list list;
        if (ea_session_list_load(&list, err) != 0)
            return -1;
        for (size_t i = 0; i < list.count; i++)
            if (!session || strcmp(list.items[i].id, ea_session_id(session)) != 0)
                total += list.items[i].spend_usd;
        ea_session_list_free(&list);
    }
    return check_amounts(cfg, label, session_spend, total, estimate_usd, images_max, err);
}

int ea_budget_check(const ea_config *cfg, const ea_session *session, double estimate_usd,
                    ea_err *err)
{
    return check_session(cfg, session, estimate_usd, 0, err);
}

int ea_budget_check_estimate(const ea_config *cfg, const ea_session *session,
                             const ea_estimate *est, ea_err *err)
{
    return check_session(cfg, session, ea_estimate_bound(est),
                         est->known && est->images_max > est->images ? est->images_max : 0, err);
}
