/* SPDX-License-Identifier: MIT */
/* helper: one of easel's helper programs (easel-mock) run as a child: found next to the running
 * easel, else in LIBEXECDIR; it dies with easel (PR_SET_PDEATHSIG) and ea_helper_stop ends it. */
#ifndef EASEL_HELPER_H
#define EASEL_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "easel/err.h"

/* The fd a started helper finds its reply pipe on (see ea_helper_start). */
#define EA_HELPER_REPLY_FD 3

typedef struct ea_helper {
    pid_t pid;     /* 0: not running */
    int reply_fd;  /* the read end of the reply pipe; -1 when none */
} ea_helper;

/* The helper NAME's path: in the folder of /proc/self/exe when there, else in LIBEXECDIR.
 * -1 with err naming both places when neither holds it. */
int ea_helper_find(const char *name, char *path, size_t size, ea_err *err);
/* Starts PATH with argv (argv[0] first, NULL last). With detached, its stdin, stdout and stderr
 * are /dev/null, a pipe's write end is its fd EA_HELPER_REPLY_FD (every other fd closed), where
 * it answers (ea_helper_reply), and it has a process group of its own, so that a terminal's ^C
 * reaches easel alone, which decides. Otherwise it shares easel's stdio, terminal and process
 * group, as a foreground program would (a tty's tostop would stop it otherwise). Call it from
 * the main thread: PR_SET_PDEATHSIG ends the child when the thread that forked it ends. */
int ea_helper_start(ea_helper *h, const char *path, char *const argv[], bool detached,
                    ea_err *err);
/* The helper's first reply line (no newline), within timeout_ms; -1 when it ended or said
 * nothing in time. */
int ea_helper_reply(ea_helper *h, char *line, size_t size, int timeout_ms);
/* Until it ends: its exit code, or 128 + the signal that ended it (as a shell says). */
int ea_helper_wait(ea_helper *h);
/* SIGTERM, up to two seconds to end, then SIGKILL; reaped. Safe on a helper not running. */
void ea_helper_stop(ea_helper *h);

#endif
