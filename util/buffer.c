/* buffer.c -- a growable byte buffer (see buffer.h). Capacity doubles, so
 * appending n bytes in pieces costs O(n) in all. */
#include "buffer.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An empty buffer reserved for this much at once (a response body of a
 * known length) gets memory of its own in huge pages: a list page of
 * 800 KB was 200 faults of 4 KiB, one per page its bytes were copied to. */
#define BUFFER_HUGE_MIN ((size_t)512 * 1024)

/* Room for n more bytes and the NUL; doubling unless `exact`. */
static int grow(tu_buffer *b, size_t n, int exact)
{
    size_t need, cap;
    char *data;

    if (n > SIZE_MAX - b->len - 1)
        return -1;
    need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    if (exact && !b->data && need >= BUFFER_HUGE_MIN) {
        if (!(b->data = tu_alloc_huge(need, &b->cap)))
            return -1;
        return 0;
    }
    cap = exact ? need : b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    data = realloc(b->data, cap);
    if (!data)
        return -1;
    tu_advise_huge(data, cap); /* a large response body */
    b->data = data;
    b->cap = cap;
    return 0;
}

int tu_buffer_reserve(tu_buffer *b, size_t n)
{
    return grow(b, n, 1);
}

int tu_buffer_add(tu_buffer *b, const void *bytes, size_t n)
{
    if (grow(b, n, 0) != 0)
        return -1;
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int tu_buffer_puts(tu_buffer *b, const char *s)
{
    return tu_buffer_add(b, s, strlen(s));
}

char *tu_buffer_take(tu_buffer *b)
{
    char *data = b->data ? b->data : strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return data;
}

void tu_buffer_truncate(tu_buffer *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}

void tu_buffer_clear(tu_buffer *b, size_t keep)
{
    if (b->cap > keep) {
        tu_buffer_free(b);
        return;
    }
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void tu_buffer_free(tu_buffer *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
