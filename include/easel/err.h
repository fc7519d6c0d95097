/* SPDX-License-Identifier: MIT */
/* err: the status channel every module reports through: an exit class plus a message fit for
 * the status bar or stderr. The fatal path (restore the terminal, then exit) lives in ui/. */
#ifndef EASEL_ERR_H
#define EASEL_ERR_H

#include <stdarg.h>

/* Exit codes of the command line contract (design.md section 2). */
enum ea_exit {
    EA_EXIT_OK = 0,
    EA_EXIT_INTERNAL = 1,
    EA_EXIT_USAGE = 2,       /* bad arguments or parameters: nothing was sent */
    EA_EXIT_REFUSED = 3,     /* the API refused the request (4xx, moderation) */
    EA_EXIT_NETWORK = 4,     /* network or server failure */
    EA_EXIT_INTERRUPTED = 5, /* cut off after the request was sent: it may have been billed */
    EA_EXIT_SIGINT = 130,
};

typedef struct ea_err {
    int code;          /* an enum ea_exit value; 0 means no error */
    const char *param; /* the request field at fault (static string), or NULL */
    char msg[1024];
} ea_err;

/* Sets err (when not NULL) and returns -1, so callers can `return ea_err_set(...)`. The
 * message is sanitized (ea_sanitize_copy): it is always safe to print on a terminal. */
int ea_err_set(ea_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int ea_err_vset(ea_err *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
void ea_err_clear(ea_err *err);

#endif
