/* arena.h -- a bump allocator for data that lives as long as its owner,
 * and the project's growing array (tu_array_grow).
 *
 * Millions of small pieces (packed records, their strings, record keys)
 * that are all freed at once: an arena hands them out from large blocks,
 * with no per-piece header and no per-piece free, so that a million
 * records cost a few hundred allocations instead of tens of millions.
 * Pieces are 8-byte aligned. A request larger than a quarter of a block
 * gets a block of its own. Not thread-safe: one owner, one thread at a
 * time.
 */
#ifndef TU_UTIL_ARENA_H
#define TU_UTIL_ARENA_H

#include <stddef.h>

typedef struct tu_arena_block tu_arena_block;

typedef struct tu_arena {
    tu_arena_block *head;  /* the block being filled, then older ones */
    char *next;            /* first free byte of head */
    char *end;             /* one past head's last byte */
    size_t used;           /* bytes handed out, for statistics */
    size_t expect;         /* bytes said to be coming (tu_arena_expect) */
} tu_arena;

#define TU_ARENA_INIT {NULL, NULL, NULL, 0, 0}

/* `n` bytes, 8-byte aligned, uninitialised; NULL when out of memory (or
 * n is 0). They live until tu_arena_free. */
void *tu_arena_alloc(tu_arena *a, size_t n);

/* `n` bytes aligned to `align` (1, 2, 4 or 8) and not rounded up, so that
 * the next allocation may follow at once; NULL when out of memory, when n
 * is 0 or `align` is none of those. */
void *tu_arena_alloc_align(tu_arena *a, size_t n, size_t align);

/* A copy of `n` bytes of `s` with a NUL after them, not aligned (strings
 * are packed byte by byte); NULL when out of memory. */
char *tu_arena_strndup(tu_arena *a, const char *s, size_t n);

/* Room for `need` elements of `size` bytes in an array of capacity *cap:
 * the capacity doubles (from `first`, for an empty array) until it is
 * enough, and a large array is offered to huge pages (tu_advise_huge).
 * `items` is the address of the array's pointer. 0, or -1 when out of
 * memory or too large (the array and *cap are then unchanged). The one
 * growing array of the project: lists of records, requests, sockets... */
int tu_array_grow(void *items, size_t *cap, size_t need, size_t size,
                  size_t first);

/* Say that about `n` more bytes are coming (a list page of that size is
 * about to be packed): when that is a quarter of a huge block or more, the
 * next block is a huge one at once instead of the next of the 64, 128,
 * 256 KiB steps, whose every 4 KiB page is a fault of its own. */
void tu_arena_expect(tu_arena *a, size_t n);

/* At least `n` bytes aligned to 2 MiB and offered for huge pages, their
 * size in *cap (n rounded up to 2 MiB); free() or realloc() them as any
 * block. NULL when out of memory. For a large buffer about to be filled
 * at once: one fault per 2 MiB instead of one per 4 KiB. */
void *tu_alloc_huge(size_t n, size_t *cap);

/* Offer the block `p` (from malloc, calloc or realloc; `n` bytes of it
 * asked for) to transparent huge pages, for a large array that is about
 * to be filled (record arrays, hash tables): one page fault per 2 MiB
 * instead of per 4 KiB. Only advice; nothing happens for less than
 * 4 MiB. The advice covers the whole block, to its pages' edges: a block
 * the C library mapped for itself then stays one mapping, which realloc
 * moves with mremap. (Advising only the 2 MiB pages inside split it in
 * three, mremap refuses a range of several mappings, and every realloc of
 * a growing array copied it: 8% of a 10M-record plan; bench/LOG.md.) */
void tu_advise_huge(void *p, size_t n);

/* Give the memory of the whole 2 MiB spans inside [from, to) back to the
 * system (madvise MADV_DONTNEED): they read as zeros afterwards, and are
 * memory again only when written. For a large buffer read once, front to
 * back, whose start is not needed again (a list's body as its records are
 * read): its pages go back while the rest is read, to be reused at once
 * by what is allocated next, instead of fresh pages. The end of what
 * went back (the last span's end), or `from` when nothing did. */
const void *tu_give_back(const void *from, const void *to);

/* Where an arena stands, to take back what is allocated after it
 * (tu_arena_rewind): a list read in part that turns out to be read
 * another way after all. */
typedef struct tu_arena_mark {
    tu_arena_block *head, *prev;  /* the head then, and the block behind */
    char *next, *end;
    size_t used;
} tu_arena_mark;

void tu_arena_save(const tu_arena *a, tu_arena_mark *m);

/* Free every block made since `m` was saved and hand out again what was
 * free then: every piece allocated since is gone; those before stay. */
void tu_arena_rewind(tu_arena *a, const tu_arena_mark *m);

/* Free every block; the arena is empty and reusable afterwards. */
void tu_arena_free(tu_arena *a);

#endif
