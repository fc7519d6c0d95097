/* SPDX-License-Identifier: MIT */
#include "easel/err.h"

#include <stdarg.h>
#include <stdio.h>

#include "easel/sanitize.h"

int ea_err_vset(ea_err *err, int code, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    err->code = code;
    err->param = NULL;
    /* Messages name files and values that may come from a tampered session or the network:
     * made safe once here, so that no caller can print one raw. */
    char raw[sizeof err->msg];
    vsnprintf(raw, sizeof raw, fmt, ap);
    ea_sanitize_copy(err->msg, sizeof err->msg, raw);
    return -1;
}

int ea_err_set(ea_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ea_err_vset(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

void ea_err_clear(ea_err *err)
{
    if (!err)
        return;
    err->code = 0;
    err->param = NULL;
    err->msg[0] = '\0';
}
