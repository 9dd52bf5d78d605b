/* error.h -- filling a tu_error.
 *
 * Every fallible function in libtrueup takes a tu_error * (possibly NULL)
 * and, on failure, writes one line into it: where (file:line:col when the
 * fault is in a file), what is wrong, and what to do where that is known.
 * These helpers format into the fixed buffer, truncating safely.
 */
#ifndef TU_STATE_ERROR_H
#define TU_STATE_ERROR_H

#include "trueup/trueup.h"
#include "srcmap.h"

#if defined(__GNUC__)
#define TU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TU_PRINTF(f, a)
#endif

/* Set the message (printf-style). Does nothing when err is NULL. */
void tu_error_set(tu_error *err, const char *fmt, ...) TU_PRINTF(2, 3);

/* Set the message prefixed with "file:line:col: " (or "file:line: " when
 * column is 0, nothing when pos.file is NULL). */
void tu_error_at(tu_error *err, tu_srcpos pos, const char *fmt, ...)
    TU_PRINTF(3, 4);

/* Clear the message. */
void tu_error_clear(tu_error *err);

#endif
