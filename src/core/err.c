#include "easel/err.h"

#include <stdarg.h>
#include <stdio.h>

int ea_err_set(ea_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->code = code;
    err->param = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
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
