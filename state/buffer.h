/* buffer.h -- a growable byte buffer, always NUL-terminated.
 *
 * For text built piece by piece: record keys, YAML output, request bodies.
 * The buffer owns its data; tu_buffer_take hands it over.
 */
#ifndef TU_STATE_BUFFER_H
#define TU_STATE_BUFFER_H

#include <stddef.h>

typedef struct tu_buffer {
    char *data;    /* NULL until the first append; then NUL-terminated */
    size_t len;
    size_t cap;
} tu_buffer;

#define TU_BUFFER_INIT {NULL, 0, 0}

/* Append n bytes. 0, or -1 when out of memory (the buffer is unchanged). */
int tu_buffer_add(tu_buffer *b, const void *bytes, size_t n);

/* Append a NUL-terminated string. 0 or -1. */
int tu_buffer_puts(tu_buffer *b, const char *s);

/* The data (a "" when nothing was appended), owned by the caller from now
 * on; the buffer is left empty. NULL when out of memory. */
char *tu_buffer_take(tu_buffer *b);

void tu_buffer_free(tu_buffer *b);

#endif
