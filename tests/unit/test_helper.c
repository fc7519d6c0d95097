/* SPDX-License-Identifier: MIT */
/* Helper programs run as children (helper.h): the reply pipe on fd 3 and nothing else open,
 * exit codes as a shell says them, a stop that ends even a child deaf to SIGTERM, and a
 * missing helper named with where it was looked for. /bin/sh stands in for easel-mock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <time.h>

#include "easel/helper.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void start_sh(ea_helper *h, const char *script, bool detached)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    ea_err err = {0};
    assert_int_equal(ea_helper_start(h, "/bin/sh", argv, detached, &err), 0);
    assert_true(h->pid > 0);
}

static void replies_on_fd_3_with_nothing_else_open(void **state)
{
    (void)state;
    ea_helper h;
    /* fd 4 and up are closed in the child: the test's own fds (cmocka's, the pipe's other
     * end) do not leak into it. */
    start_sh(&h, "ls /proc/self/fd | sort -n | tr '\\n' ' ' >&3; echo >&3; sleep 30", true);
    char line[256];
    assert_int_equal(ea_helper_reply(&h, line, sizeof line, 10000), 0);
    /* 0-2 (/dev/null), 3 (the reply pipe), and the one ls opened to read /proc/self/fd. */
    assert_string_equal(line, "0 1 2 3 4 ");
    double t0 = now_s();
    ea_helper_stop(&h);
    assert_true(now_s() - t0 < 2.0);
    assert_int_equal(h.pid, 0);
    ea_helper_stop(&h); /* twice is harmless */
}

static void no_reply_when_it_ends_first(void **state)
{
    (void)state;
    ea_helper h;
    start_sh(&h, "printf 'half a line' >&3; exit 3", true);
    char line[64];
    assert_int_equal(ea_helper_reply(&h, line, sizeof line, 10000), -1);
    assert_int_equal(ea_helper_wait(&h), 3);
}

static void exit_codes_as_a_shell_says_them(void **state)
{
    (void)state;
    ea_helper h;
    start_sh(&h, "exit 7", false);
    assert_int_equal(ea_helper_wait(&h), 7);
    start_sh(&h, "kill -TERM $$", false);
    assert_int_equal(ea_helper_wait(&h), 128 + SIGTERM);
}

static void stop_ends_a_child_deaf_to_sigterm(void **state)
{
    (void)state;
    ea_helper h;
    start_sh(&h, "trap '' TERM; echo up >&3; while :; do sleep 1; done", true);
    char line[16];
    assert_int_equal(ea_helper_reply(&h, line, sizeof line, 10000), 0);
    double t0 = now_s();
    ea_helper_stop(&h); /* the grace, then SIGKILL */
    double took = now_s() - t0;
    assert_true(took >= 2.5 && took < 10.0);
    assert_int_equal(h.pid, 0);
}

static void a_missing_helper_says_where_it_looked(void **state)
{
    (void)state;
    char path[4096];
    ea_err err = {0};
    assert_int_equal(ea_helper_find("easel-no-such-helper", path, sizeof path, &err), -1);
    assert_non_null(strstr(err.msg, "easel-no-such-helper is missing: looked in /"));
    assert_non_null(strstr(err.msg, "libexec"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replies_on_fd_3_with_nothing_else_open),
        cmocka_unit_test(no_reply_when_it_ends_first),
        cmocka_unit_test(exit_codes_as_a_shell_says_them),
        cmocka_unit_test(stop_ends_a_child_deaf_to_sigterm),
        cmocka_unit_test(a_missing_helper_says_where_it_looked),
    };
    return cmocka_run_group_tests_name("helper", tests, NULL, NULL);
}
