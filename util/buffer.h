/* buffer.h -- a growable byte buffer, always NUL-terminated.
 *
 * For text built piece by piece: record keys, YAML output, request
 * bodies, and the executor's response bodies and headers (reused from one
 * response to the next with tu_buffer_clear). The buffer owns its data;
 * tu_buffer_take hands it over. Part of trueup-util, which front ends may
 * link. A buffer is used by one thread at a time.
 */
#ifndef TU_UTIL_BUFFER_H
#define TU_UTIL_BUFFER_H

#include <stddef.h>

typedef struct tu_buffer {
    char *data;    /* NULL until the first append; then NUL-terminated */
    size_t len;
    size_t cap;
} tu_buffer;

#define TU_BUFFER_INIT {NULL, 0, 0}

/* Append n bytes. 0, or -1 when out of memory or when the length would
 * not fit in a size_t (the buffer is unchanged). */
int tu_buffer_add(tu_buffer *b, const void *bytes, size_t n);

/* Make room for `n` more bytes in one allocation (a body whose length is
 * known), so that appending them does not copy what came before as the
 * buffer doubles. 0, or -1 when out of memory (the buffer is unchanged). */
int tu_buffer_reserve(tu_buffer *b, size_t n);

/* Append a NUL-terminated string. 0 or -1. */
int tu_buffer_puts(tu_buffer *b, const char *s);

/* The data (a "" when nothing was appended), owned by the caller from now
 * on; the buffer is left empty. NULL when out of memory. */
char *tu_buffer_take(tu_buffer *b);

/* Cut the buffer back to its first `len` bytes (len <= b->len), as it
 * was before a failed append. */
void tu_buffer_truncate(tu_buffer *b, size_t len);

/* Empty the buffer for reuse: its memory is kept unless its capacity is
 * over `keep` bytes (then freed, so that one huge response does not stay
 * allocated). */
void tu_buffer_clear(tu_buffer *b, size_t keep);

void tu_buffer_free(tu_buffer *b);

#endif
