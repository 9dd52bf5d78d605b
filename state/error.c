/* error.c -- filling a tu_error (see error.h), and the names of the
 * error kinds (tu_error_code_name, public). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *tu_error_code_name(tu_error_code code)
{
    static const char *const names[] = {
        [TU_OK] = "ok",
        [TU_ERR_BAD_INPUT] = "bad_input",
        [TU_ERR_IO] = "io",
        [TU_ERR_FETCH] = "fetch",
        [TU_ERR_THRESHOLD] = "threshold",
        [TU_ERR_CANCELLED] = "cancelled",
        [TU_ERR_NOMEM] = "nomem",
        [TU_ERR_INTERNAL] = "internal",
        [TU_ERR_PLAN] = "plan",
    };
    if ((unsigned)code >= sizeof names / sizeof names[0] || !names[code])
        return "unknown";
    return names[code];
}

TU_PRINTF(3, 0)
static void error_vset(tu_error *err, size_t off, const char *fmt, va_list ap)
{
    if (off >= sizeof err->message)
        return;
    vsnprintf(err->message + off, sizeof err->message - off, fmt, ap);
}

void tu_error_set(tu_error *err, tu_error_code code, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return;
    err->code = code;
    va_start(ap, fmt);
    error_vset(err, 0, fmt, ap);
    va_end(ap);
}

void tu_error_at(tu_error *err, tu_srcpos pos, const char *fmt, ...)
{
    va_list ap;
    int off = 0;
    if (!err)
        return;
    err->code = TU_ERR_BAD_INPUT;
    err->message[0] = '\0';
    if (pos.file && pos.line && pos.column)
        off = snprintf(err->message, sizeof err->message, "%s:%u:%u: ",
                       pos.file, pos.line, pos.column);
    else if (pos.file && pos.line)
        off = snprintf(err->message, sizeof err->message, "%s:%u: ",
                       pos.file, pos.line);
    else if (pos.file)
        off = snprintf(err->message, sizeof err->message, "%s: ", pos.file);
    if (off < 0)
        off = 0;
    va_start(ap, fmt);
    error_vset(err, (size_t)off, fmt, ap);
    va_end(ap);
}

void tu_error_clear(tu_error *err)
{
    if (err) {
        err->message[0] = '\0';
        err->code = TU_OK;
    }
}
