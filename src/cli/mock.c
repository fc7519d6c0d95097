/* mock: `easel mock ARGS`, the offline backend in the foreground: easel-mock (a program of its
 * own, design.md 7) run as a child with ARGS and easel's stdio, so that its first line, its
 * help and its messages are the user's. SIGINT, SIGTERM and SIGHUP are passed on to it, and
 * its exit code is this command's. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/cli.h"
#include "easel/err.h"
#include "easel/helper.h"

static volatile sig_atomic_t child_pid;

static void pass_on(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

int ea_cmd_mock(int argc, char **argv)
{
    char path[4096];
    ea_err err = {0};
    if (ea_helper_find("easel-mock", path, sizeof path, &err) != 0) {
        fprintf(stderr, "easel mock: %s\n", err.msg);
        return err.code;
    }
    char **child_argv = calloc((size_t)argc + 1, sizeof *child_argv);
    if (!child_argv) {
        fprintf(stderr, "easel mock: out of memory\n");
        return EA_EXIT_INTERNAL;
    }
    child_argv[0] = "easel-mock";
    for (int i = 1; i < argc; i++)
        child_argv[i] = argv[i];

    /* A shell's `&` starts easel with SIGINT ignored, which this handler replaces, as the
     * mock did itself. The signals wait (blocked) until the child's pid is known, so that
     * none is lost in between; the child unblocks them for itself. */
    struct sigaction sa = {0};
    sa.sa_handler = pass_on;
    sigemptyset(&sa.sa_mask);
    sigset_t passed, old;
    sigemptyset(&passed);
    sigaddset(&passed, SIGINT);
    sigaddset(&passed, SIGTERM);
    sigaddset(&passed, SIGHUP);
    sigprocmask(SIG_BLOCK, &passed, &old);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    ea_helper mock;
    int rc = ea_helper_start(&mock, path, child_argv, false, &err);
    free(child_argv);
    child_pid = mock.pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        fprintf(stderr, "easel mock: %s\n", err.msg);
        return err.code;
    }
    rc = ea_helper_wait(&mock);
    child_pid = 0;
    return rc;
}
