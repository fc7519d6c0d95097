/* budget: the spend limits of config keys session_budget_usd (one session) and budget_usd (all
 * sessions together), checked against a call's estimate before anything is sent. */
#ifndef EASEL_BUDGET_H
#define EASEL_BUDGET_H

/*
 * A session's spend is the sum of the known costs in its log; the spend of all sessions adds
 * up every session's session.json totals (the open session counted from its log, which is
 * newer). A call is refused when spend + estimate would pass a limit; reaching it exactly is
 * allowed. An unknown estimate (NAN) counts as 0, so a limit already passed still refuses.
 * An unset key is no limit; a value that is not an amount >= 0 is an error.
 */

#include "easel/config.h"
#include "easel/err.h"
#include "easel/session.h"

/* 0 when the call may go; else -1 with EA_EXIT_USAGE and a message naming the limit and the
 * way past it ("... past its budget of $5.00; --force to send anyway"). session may be NULL
 * (a session about to be created: it has spent nothing). */
int ea_budget_check(const ea_config *cfg, const ea_session *session, double estimate_usd,
                    ea_err *err);

/* The same check with the spends given, for tests and for callers that know them already.
 * total_spend_usd includes session_spend_usd. */
int ea_budget_check_amounts(const ea_config *cfg, const char *session_label,
                            double session_spend_usd, double total_spend_usd,
                            double estimate_usd, ea_err *err);

#endif
