/* arena.c -- a bump allocator (see arena.h).
 *
 * Blocks are malloc'd with a small header linking them; the first is
 * 64 KiB, then each twice the one before up to 2 MiB, so a small arena
 * stays small and a large one makes few allocations and few page faults,
 * and a caller that knows that much is coming (tu_arena_expect: a list
 * page about to be packed) skips the small steps. (The 512 KiB and 1 MiB
 * steps were left out for a while: 384 faults of 4 KiB for an arena about
 * to pass 2 MiB anyway. Since the command's heap is in huge pages
 * (cli/memory.c), a 2 MiB block there is a 2 MiB page zeroed at its first
 * byte, however little of it the arena then fills: with them back, a plan
 * of 10,000 records touches 6 huge pages instead of 8; bench/LOG.md.)
 * Blocks of 2 MiB are aligned to 2 MiB and offered to the kernel for
 * transparent huge pages (madvise MADV_HUGEPAGE; Debian's default is to
 * use them where asked):
 * filling a million records' arena touched 4 KiB pages one fault at a
 * time, and those faults were a fifth of the time it took to read a
 * million-record list. Allocation rounds the size
 * up to 8 bytes and moves `next`; when the head block is full a new one
 * becomes the head (the rest of the old one is wasted: at most a quarter
 * of a block, since larger requests get a block of their own, linked
 * behind the head so that the head keeps filling). Strings
 * (tu_arena_strndup) take their bytes and NUL and no more: rounding each
 * to 8 bytes cost a million-record plan about 25 MB (bench/LOG.md); the
 * next aligned allocation skips to the next multiple of 8.
 */
#define _DEFAULT_SOURCE 1 /* MADV_HUGEPAGE, a Linux extension */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>     /* sysconf */
#if defined(__GLIBC__)
#include <malloc.h>   /* malloc_usable_size */
#endif

struct tu_arena_block {
    tu_arena_block *prev;
    size_t size;              /* bytes after the header */
    max_align_t align[];      /* the data */
};

#define ARENA_FIRST ((size_t)64 * 1024)
#define ARENA_MAX ((size_t)2 * 1024 * 1024)

void *tu_alloc_huge(size_t n, size_t *cap)
{
    void *p = NULL;

    if (n > SIZE_MAX - ARENA_MAX)
        return NULL;
    n = (n + ARENA_MAX - 1) & ~(ARENA_MAX - 1);
    if (n == 0)
        n = ARENA_MAX;
    if (posix_memalign(&p, ARENA_MAX, n) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, n, MADV_HUGEPAGE); /* may be refused */
#endif
    *cap = n;
    return p;
}

/* A block with `size` bytes of data; a 2 MiB one when huge (size is
 * then what is left after the header). */
static tu_arena_block *block_new(size_t size, int huge)
{
    tu_arena_block *b;
    size_t cap;

    if (huge) {
        if (!(b = tu_alloc_huge(ARENA_MAX, &cap)))
            return NULL;
        size = cap - sizeof *b;
    } else if (!(b = malloc(sizeof *b + size))) {
        return NULL;
    }
    b->size = size;
    return b;
}

/* A block of its own for a large request, behind the head. */
static void *alloc_large(tu_arena *a, size_t n)
{
    tu_arena_block *b = block_new(n, 0);
    if (!b)
        return NULL;
    if (a->head) {
        b->prev = a->head->prev;
        a->head->prev = b;
    } else {
        b->prev = NULL;
        a->head = b;
        a->next = a->end = (char *)b->align + n;
    }
    return b->align;
}

/* `n` bytes from the head block, the head's free space first moved to a
 * multiple of `align` (a power of two up to 8); NULL when they do not
 * fit. */
static void *take(tu_arena *a, size_t n, size_t align)
{
    char *p;

    if (!a->head)
        return NULL;
    p = (char *)(((uintptr_t)a->next + align - 1) & ~(uintptr_t)(align - 1));
    if (p > a->end || (size_t)(a->end - p) < n)
        return NULL;
    a->next = p + n;
    a->used += n;
    return p;
}

/* `n` bytes (n > 0) aligned to `align`, from a new block when the head
 * has no room. */
static void *arena_get(tu_arena *a, size_t n, size_t align)
{
    size_t size;
    tu_arena_block *b;
    void *p;

    if (n == 0 || n > SIZE_MAX - 64)
        return NULL;
    if ((p = take(a, n, align)))
        return p;
    size = a->head ? a->head->size * 2 : ARENA_FIRST;
    if (size >= ARENA_MAX || a->expect >= ARENA_MAX / 4)
        size = ARENA_MAX;
    a->expect = 0;
    a->used += n;
    if (n > size / 4)
        return alloc_large(a, n);
    if (!(b = block_new(size, size == ARENA_MAX)))
        return NULL;
    b->prev = a->head;
    a->head = b;
    a->next = (char *)b->align + n;
    a->end = (char *)b->align + b->size;
    return b->align;
}

void *tu_arena_alloc(tu_arena *a, size_t n)
{
    if (n == 0 || n > SIZE_MAX - 64)
        return NULL;
    return arena_get(a, (n + 7) & ~(size_t)7, 8);
}

void *tu_arena_alloc_align(tu_arena *a, size_t n, size_t align)
{
    if (align == 0 || align > 8 || (align & (align - 1)))
        return NULL;
    return arena_get(a, n, align);
}

char *tu_arena_strndup(tu_arena *a, const char *s, size_t n)
{
    char *p = n < SIZE_MAX ? arena_get(a, n + 1, 1) : NULL;
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

int tu_array_grow(void *items, size_t *cap, size_t need, size_t size,
                  size_t first)
{
    size_t n = *cap ? *cap : first;
    void *old, *grown;

    if (need <= *cap)
        return 0;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -1;
        n *= 2;
    }
    if (n > SIZE_MAX / size)
        return -1;
    memcpy(&old, items, sizeof old);
    if (!(grown = realloc(old, n * size)))
        return -1;
    tu_advise_huge(grown, n * size);
    memcpy(items, &grown, sizeof grown);
    *cap = n;
    return 0;
}

void tu_arena_expect(tu_arena *a, size_t n)
{
    if (!a->head || (size_t)(a->end - a->next) < n)
        a->expect = n;
}

/* The end of the block malloc gave at p: p + n, or further when the C
 * library can say. For a block mapped for itself, that is the mapping's
 * end (glibc: the chunk's size less its 16-byte header). */
static uintptr_t block_end(void *p, size_t n)
{
#if defined(__GLIBC__)
    size_t usable = malloc_usable_size(p);
    if (usable > n)
        n = usable;
#endif
    return (uintptr_t)p + n;
}

void tu_advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)p & ~(page - 1);

    if (p && n >= 2 * ARENA_MAX && page && !(page & (page - 1)))
        (void)madvise((void *)start, block_end(p, n) - start, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

const void *tu_give_back(const void *from, const void *to)
{
#ifdef MADV_DONTNEED
    uintptr_t a = ((uintptr_t)from + ARENA_MAX - 1) & ~(ARENA_MAX - 1);
    uintptr_t b = (uintptr_t)to & ~(ARENA_MAX - 1);

    if (from && a < b && madvise((void *)a, b - a, MADV_DONTNEED) == 0)
        return (const void *)b;
#else
    (void)to;
#endif
    return from;
}

void tu_arena_save(const tu_arena *a, tu_arena_mark *m)
{
    m->head = a->head;
    m->prev = a->head ? a->head->prev : NULL;
    m->next = a->next;
    m->end = a->end;
    m->used = a->used;
}

/* Free the blocks from b down to (not including) `stop`. */
static void free_down_to(tu_arena_block *b, const tu_arena_block *stop)
{
    while (b && b != stop) {
        tu_arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
}

void tu_arena_rewind(tu_arena *a, const tu_arena_mark *m)
{
    /* Blocks made since are the heads above the saved one (with the large
     * blocks put behind each), and the large blocks put behind the saved
     * head while it was still the head. */
    free_down_to(a->head, m->head);
    if (m->head) {
        free_down_to(m->head->prev, m->prev);
        m->head->prev = m->prev;
    }
    a->head = m->head;
    a->next = m->next;
    a->end = m->end;
    a->used = m->used;
    a->expect = 0;
}

void tu_arena_free(tu_arena *a)
{
    free_down_to(a->head, NULL);
    memset(a, 0, sizeof *a);
}
