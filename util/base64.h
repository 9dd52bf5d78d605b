/* base64.h -- Base64 encoding (RFC 4648, with padding).
 *
 * For HTTP Basic credentials: the library builds the Authorization header
 * with it (engine/target.c) and the Ansible module computes the same value
 * to scrub it from its output (modules/module_secrets.c). Part of
 * trueup-util, which front ends may link.
 */
#ifndef TU_UTIL_BASE64_H
#define TU_UTIL_BASE64_H

#include <stddef.h>

/* `len` bytes at `data`, encoded: malloc'd and NUL-terminated (free it),
 * or NULL when out of memory. Threads: any thread. */
char *tu_base64(const void *data, size_t len);

#endif
