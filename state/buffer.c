/* buffer.c -- a growable byte buffer (see buffer.h). Capacity doubles, so
 * appending n bytes in pieces costs O(n) in all. */
#include "buffer.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int tu_buffer_add(tu_buffer *b, const void *bytes, size_t n)
{
    if (n > SIZE_MAX - b->len - 1)
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t need = b->len + n + 1, cap = b->cap ? b->cap : 64;
        char *data;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        data = realloc(b->data, cap);
        if (!data)
            return -1;
        tu_advise_huge(data, cap); /* a large response body */
        b->data = data;
        b->cap = cap;
    }
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
