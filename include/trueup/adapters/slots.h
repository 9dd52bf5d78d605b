/* trueup/adapters/slots.h -- what the libuv and libevent adapters share:
 * one pointer per watched socket, found by its fd.
 *
 * File descriptors are small integers, so the table is an array indexed
 * by fd, grown (zero-filled) to hold the largest one seen; finding a
 * socket's handle is O(1). Header only, as the adapters are.
 */
#ifndef TRUEUP_ADAPTERS_SLOTS_H
#define TRUEUP_ADAPTERS_SLOTS_H

#include <stdlib.h>
#include <string.h>

typedef struct tu_adapter_slots {
    void **items;   /* by fd; NULL: not watched */
    size_t count;
} tu_adapter_slots;

/* The slot of `fd`, the table grown to hold it; NULL: out of memory. */
static inline void **tu_adapter_slot(tu_adapter_slots *slots, int fd)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= slots->count) {
        size_t n = (size_t)fd + 64;
        void **more = (void **)realloc(slots->items, n * sizeof *more);
        if (!more)
            return NULL;
        memset(more + slots->count, 0, (n - slots->count) * sizeof *more);
        slots->items = more;
        slots->count = n;
    }
    return &slots->items[fd];
}

static inline void tu_adapter_slots_free(tu_adapter_slots *slots)
{
    free(slots->items);
    slots->items = NULL;
    slots->count = 0;
}

#endif /* TRUEUP_ADAPTERS_SLOTS_H */
