/* memory.c -- how the trueup command asks for memory: few page faults.
 *
 * Every page a process touches for the first time costs a page fault. On
 * the virtual machines trueup is measured on (bench/LOG.md), one
 * 4 KiB fault costs about 12 us, and a plan of 10,000 changed records
 * touched about 7,400 pages: 90 ms of a run whose own work (everything but
 * the requests' latency) took 170 ms. A 2 MiB transparent huge page is
 * one fault for 512 pages. Debian's kernels give huge pages where they are
 * asked for (`madvise` mode), and glibc's malloc never asks by itself
 * (its `glibc.malloc.hugetlb` tunable does, but only from the
 * environment, before the program starts).
 *
 * So, once, before anything is loaded, the command:
 *   - keeps blocks up to 4 MiB in the heap (M_MMAP_THRESHOLD; glibc's
 *     default moves from 128 KiB up to 32 MiB as blocks are freed): a
 *     fresh mmap per block is fresh pages each time, a heap block is
 *     reused. Larger blocks (the files, the big arrays) stay mmaps, which
 *     tu_advise_huge() offers for huge pages and realloc moves without a
 *     copy;
 *   - never gives the heap back (M_TRIM_THRESHOLD): a trimmed heap that
 *     grows again does so without huge pages (the kernel does not merge
 *     the new range into the advised one), and a run is short;
 *   - grows the heap by HEAP_RESERVE at once (M_TOP_PAD, one malloc),
 *     which reserves address space and no memory, and asks for huge pages
 *     on that range (MADV_HUGEPAGE); pages become memory as they are used.
 *     The heap's first allocations then start past the first advised
 *     2 MiB, which the growth itself touched (a malloc'd block that is
 *     never used holds the range): before, that range was 512 faults of
 *     4 KiB, the first memory the load filled;
 *
 * That is for the runs whose own work is a few hundred milliseconds. When
 * the files given add up to LARGE_INPUT or more (a few hundred thousand
 * records), the command only keeps the heap (M_TRIM_THRESHOLD) and leaves
 * the rest to glibc: huge pages then cost more than they save (zeroing
 * 2 MiB pages was a quarter of a million-record plan's CPU in `perf`).
 * Measured with `trueup plan` against nginx, 7 rounds interleaved, this
 * policy against glibc's with the heap kept (bench/LOG.md, issue 27):
 * 10,000 records 0.05 s against 0.07 s; 100,000 0.29 s and 133 MB
 * against 0.34 s and 93 MB; 300,000 0.97 s and 360 MB against 1.00 s and
 * 257 MB; 1,000,000 3.28 s and 1,051 MB against 2.94 s and 787 MB.
 *
 * Threads keep their own malloc arenas: making the thread that reads the
 * live records during the load share the heap's lock made a million-record
 * plan 30% slower.
 *
 * This is a policy of the whole process, so it is the command's and not
 * the library's: a program that embeds libtrueup keeps its own malloc
 * settings (docs/library.md says how to get the same effect). Nothing is
 * done when GLIBC_TUNABLES already sets malloc tunables, nor where the
 * heap does not move (valgrind, AddressSanitizer, another malloc): the
 * run is then as fast as it would be without this file. When the kernel
 * refuses (THP disabled, or no brk reservation allowed), pages are simply
 * 4 KiB ones.
 */
#define _DEFAULT_SOURCE 1 /* sbrk, madvise, MADV_HUGEPAGE */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#if defined(__GLIBC__)
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#define HUGE_PAGE ((uintptr_t)2 << 20)
#define HEAP_RESERVE (1 << 30)   /* address space; memory as it is used */
#define HEAP_STEP (64 << 20)     /* each later growth of the heap */
#define LARGE_INPUT ((off_t)32 << 20) /* bytes of files: a large run */

#if defined(__GLIBC__) && defined(M_TOP_PAD) && defined(MADV_HUGEPAGE)
#define TU_TUNE_MEMORY 1
/* The start of the heap up to the end of the first advised 2 MiB: held
 * for the whole run and never touched (address space, no memory). It is
 * volatile because nothing reads it: gcc -O2 otherwise removes the malloc
 * as unused, and the heap fills the touched range again. */
static void *volatile skipped;

/* Whether the files (those that can be looked at) add up to LARGE_INPUT
 * bytes or more. */
static int large_input(const char *const *paths, size_t npaths)
{
    off_t total = 0;
    struct stat st;

    for (size_t i = 0; i < npaths; i++)
        if (stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
            total += st.st_size;
    return total >= LARGE_INPUT;
}
#endif

void tu_cli_tune_memory(const char *const *paths, size_t npaths)
{
#if defined(TU_TUNE_MEMORY)
    const char *tunables = getenv("GLIBC_TUNABLES");
    uintptr_t start, end, top;
    char *before, *after;
    void *p;

    if (tunables && strstr(tunables, "glibc.malloc."))
        return;                          /* the user's settings win */
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    if (large_input(paths, npaths))
        return;                          /* glibc's own, the heap kept */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TOP_PAD, HEAP_RESERVE);
    before = sbrk(0);
    p = malloc(HUGE_PAGE);               /* grows the heap by the reserve */
    after = sbrk(0);
    mallopt(M_TOP_PAD, HEAP_STEP);
    start = ((uintptr_t)before + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    end = (uintptr_t)after & ~(HUGE_PAGE - 1);
    if (!p || before == (char *)-1 || after == (char *)-1 || end <= start) {
        free(p);
        return;
    }
    (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
    top = (uintptr_t)p;                  /* where the heap's top is next */
    free(p);
    /* growing the heap wrote the top chunk's header at p + 2 MiB, in the
     * first advised 2 MiB: a range with a 4 KiB page in it never gets a
     * huge one, and it is the first the heap would fill (512 faults) */
    skipped = malloc(start + HUGE_PAGE - top - 64);
#else
    (void)paths;
    (void)npaths;
#endif
}
