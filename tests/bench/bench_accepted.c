/* SPDX-License-Identifier: MIT */
/* bench_accepted: what the `accepted` record of a background turn adds to a turn (issue 12):
 * one more audit line, written with a single write() and an fsync. Turns of a session made in
 * a scratch $XDG_DATA_HOME, each a request and a result, with and without the accepted record
 * between them; prints the median cost of the record. Target: under 20 ms a turn (one fsync
 * on a disk; a turn lasts tens of seconds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/bench_util.h"
#include "easel/audit.h"
#include "easel/session.h"

#define TURNS 40

static int turn_once(ea_session *s, bool accepted, double *ms_accept)
{
    ea_err err = {0};
    ea_audit_request req;
    ea_audit_request_init(&req);
    req.api = "responses";
    req.endpoint = "/v1/responses";
    req.model = "gpt-image-2";
    req.prompt = "a lighthouse at dusk";
    int turn;
    if (ea_session_begin_turn(s, &req, &turn, &err) != 0)
        return fprintf(stderr, "bench_accepted: %s\n", err.msg), -1;
    double t0 = bench_now_ms();
    if (accepted && ea_session_accept_turn(s, turn, "resp_0123456789abcdef0123456789abcdef", 0,
                                           &err) != 0)
        return fprintf(stderr, "bench_accepted: %s\n", err.msg), -1;
    *ms_accept = bench_now_ms() - t0;
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.status = EA_AUDIT_COMPLETED;
    if (ea_session_end_turn(s, turn, &res, &err) != 0)
        return fprintf(stderr, "bench_accepted: %s\n", err.msg), -1;
    return 0;
}

int main(void)
{
    char dir[] = "/tmp/easel-bench-accepted-XXXXXX";
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    setenv("XDG_DATA_HOME", dir, 1);
    ea_session *s = NULL;
    ea_err err = {0};
    if (ea_session_create(NULL, NULL, &s, &err) != 0)
        return fprintf(stderr, "bench_accepted: %s\n", err.msg), 1;
    double with[TURNS], turn_ms[TURNS], ignored;
    int rc = 0;
    for (int i = 0; i < TURNS && rc == 0; i++) {
        double t0 = bench_now_ms();
        rc = turn_once(s, false, &ignored);
        turn_ms[i] = bench_now_ms() - t0;
        if (rc == 0)
            rc = turn_once(s, true, &with[i]);
    }
    ea_session_close(&s);
    char cmd[sizeof dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_accepted: could not remove %s\n", dir);
    if (rc != 0)
        return 1;
    double accept = bench_median(with, TURNS), plain = bench_median(turn_ms, TURNS);
    printf("accepted record: %.2f ms a turn (median of %d; a turn's request and result records "
           "take %.2f ms); target < 20 ms\n", accept, TURNS, plain);
    return accept < 20 ? 0 : 1;
}
