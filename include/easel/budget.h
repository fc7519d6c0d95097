/* SPDX-License-Identifier: MIT */
/* budget: the spend limits of config keys session_budget_usd (one session) and budget_usd (all
 * sessions together), checked against a call's estimate before anything is sent. */
#ifndef EASEL_BUDGET_H
#define EASEL_BUDGET_H

/*
 * A session's spend is the sum of the known costs in its log of the turns not sent to the
 * offline backend (theirs is offline money, never spend: design.md 7); the spend of all
 * sessions adds up every session's session.json totals (the open session counted from its
 * log, which is newer). Callers do not check a call to the offline backend at all: it bills
 * nothing, so no limit stops it. A call is refused when spend + estimate would pass a limit; reaching it exactly is
 * allowed. An unknown estimate (NAN) counts as 0, so a limit already passed still refuses.
 * An unset key is no limit; a value that is not an amount >= 0 is an error.
 */

#include <stdbool.h>
#include <stddef.h>

#include "easel/config.h"
#include "easel/err.h"
#include "easel/prices.h"
#include "easel/session.h"

/* 0 when the call may go; else -1 with EA_EXIT_USAGE and a message naming the limit and the
 * way past it ("... past its budget of $5.00; --force to send anyway"). session may be NULL
 * (a session about to be created: it has spent nothing). */
int ea_budget_check(const ea_config *cfg, const ea_session *session, double estimate_usd,
                    ea_err *err);
/* ea_budget_check of a call's estimate: its bound (ea_estimate_bound) is checked, so a
 * thinking turn, whose model chooses how many images it makes, is checked at the most it
 * may make, and a refusal says so ("this call may make up to 8 images: its estimate of up
 * to $2.06 would bring ..."). */
int ea_budget_check_estimate(const ea_config *cfg, const ea_session *session,
                             const ea_estimate *est, ea_err *err);

/* The same check with the spends given, for tests and for callers that know them already.
 * total_spend_usd includes session_spend_usd. */
int ea_budget_check_amounts(const ea_config *cfg, const char *session_label,
                            double session_spend_usd, double total_spend_usd,
                            double estimate_usd, ea_err *err);

/* The two limits as set in the config; 0, or -1 with EA_EXIT_USAGE for a value that is not
 * an amount. */
typedef struct ea_budget_limits {
    bool session_set, all_set;
    double session_usd, all_usd;
} ea_budget_limits;
int ea_budget_limits_read(const ea_config *cfg, ea_budget_limits *out, ea_err *err);

/* What the check decides, for callers that word their own refusal (the workbench asks on
 * its status bar instead of pointing at --force). */
typedef struct ea_budget_verdict {
    bool past;                  /* the call would pass a limit */
    bool of_all;                /* ...budget_usd (all sessions), else session_budget_usd */
    double limit_usd;           /* the limit passed */
    double spend_after_usd;     /* the spend it covers, the call included */
    double estimate_usd;        /* the call's estimate (NAN counted as 0) */
    /* Set by the caller: the call may make up to this many images, estimate_usd being its
     * bound (ea_estimate_bound); 0 when the count is known. */
    int images_max;
} ea_budget_verdict;

/* Pure: the session's limit is checked first, as its message is the more specific one. */
void ea_budget_assess(const ea_budget_limits *lim, double session_spend_usd,
                      double total_spend_usd, double estimate_usd, ea_budget_verdict *out);

/* A refusal short enough for one status line: "past session_budget_usd ($5.21 of $5.00)",
 * "past budget_usd (all sessions $50.21 of $50.00)"; at a bound, "may pass
 * session_budget_usd (up to $5.21 of $5.00, up to 8 images)". */
void ea_budget_verdict_brief(const ea_budget_verdict *v, char *out, size_t size);

/* One side of the spend against its limit, for a display: "session $0.42 of $5.00", or with
 * no limit "session $0.42 spent"; `partial` (not every session counted yet) shows the
 * spend as a lower bound, "all ≥$12.10 of $50.00". */
void ea_budget_spend_text(const char *what, double spend_usd, bool limit_set, double limit_usd,
                          bool partial, char *out, size_t size);

#endif
