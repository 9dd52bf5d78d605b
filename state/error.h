/* error.h -- filling a tu_error.
 *
 * Every fallible function in libtrueup takes a tu_error * (possibly NULL)
 * and, on failure, writes one line into it: where (file:line:col when the
 * fault is in a file), what is wrong, and what to do where that is known,
 * and the kind of failure (tu_error_code) beside it, so that a program can
 * branch without parsing the text. These helpers format into the fixed
 * buffer, truncating safely.
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

/* Set the kind and the message (printf-style). Does nothing when err is
 * NULL. */
void tu_error_set(tu_error *err, tu_error_code code, const char *fmt, ...)
    TU_PRINTF(3, 4);

/* An error in the input at `pos`: kind TU_ERR_BAD_INPUT, the message
 * prefixed with "file:line:col: " (or "file:line: " when column is 0,
 * nothing when pos.file is NULL). Every fault that has a place in the
 * desired state is the input's fault; other kinds use tu_error_set. */
void tu_error_at(tu_error *err, tu_srcpos pos, const char *fmt, ...)
    TU_PRINTF(3, 4);

/* Clear the message and the kind (TU_OK). */
void tu_error_clear(tu_error *err);

#endif
