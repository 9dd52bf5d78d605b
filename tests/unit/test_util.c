/* test_util.c -- the helpers of trueup-util that have no test file of their
 * own: tu_base64 (util/base64.h) on RFC 4648's test vectors and on bytes
 * that are not text, tu_buffer (util/buffer.h) as the executor reuses it
 * for response bodies (a large one in memory of its own), the arena's
 * large steps when told what is coming and the huge-page advice that
 * keeps a block in one mapping (util/arena.h), the monotonic clock
 * (util/clock.h), and what the one
 * suggester (util/suggest.h) adds to the cases test_schema.c and
 * test_module_args.c keep: case and swapped neighbours. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/base64.h"
#include "util/buffer.h"
#include "util/clock.h"
#include "util/suggest.h"

static void check_base64(const void *in, size_t len, const char *want)
{
    char *got = tu_base64(in, len);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_base64(void **state)
{
    static const unsigned char bytes[] = {0x00, 0xff, 0xfe, 0x80, 0x3f};
    (void)state;
    check_base64("", 0, "");
    check_base64("f", 1, "Zg==");
    check_base64("fo", 2, "Zm8=");
    check_base64("foo", 3, "Zm9v");
    check_base64("foob", 4, "Zm9vYg==");
    check_base64("fooba", 5, "Zm9vYmE=");
    check_base64("foobar", 6, "Zm9vYmFy");
    check_base64("user:pass", 9, "dXNlcjpwYXNz");   /* Basic credentials */
    check_base64(bytes, sizeof bytes, "AP/+gD8=");
}

static void test_buffer_reuse(void **state)
{
    tu_buffer b = TU_BUFFER_INIT;
    char *kept;
    (void)state;
    assert_int_equal(tu_buffer_add(&b, "abc", 3), 0);
    assert_int_equal(tu_buffer_add(&b, "", 1), 0);   /* a NUL inside */
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "abc\0", 5);
    kept = b.data;
    tu_buffer_clear(&b, 1024);                        /* small: kept */
    assert_ptr_equal(b.data, kept);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    for (int i = 0; i < 100; i++)
        assert_int_equal(tu_buffer_puts(&b, "0123456789"), 0);
    assert_int_equal(b.len, 1000);
    assert_true(b.cap > 64);
    tu_buffer_clear(&b, 64);                          /* grown: freed */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(tu_buffer_add(&b, "x", 1), 0);
    assert_int_equal(tu_buffer_add(&b, "y", (size_t)-1), -1);  /* too long */
    assert_string_equal(b.data, "x");
    tu_buffer_free(&b);
}

/* A buffer reserved empty for a large body gets memory of its own,
 * aligned for huge pages, that realloc and free still take; one that
 * already holds bytes grows as before. */
static void test_buffer_large_reserve(void **state)
{
    const size_t mib2 = (size_t)2 << 20;
    tu_buffer b = TU_BUFFER_INIT;
    (void)state;
    assert_int_equal(tu_buffer_reserve(&b, 600 * 1024), 0);
    assert_int_equal((uintptr_t)b.data % mib2, 0);
    assert_int_equal(b.cap, mib2);
    assert_int_equal(tu_buffer_add(&b, "abc", 3), 0);
    assert_string_equal(b.data, "abc");
    for (int i = 0; i < 300000; i++)          /* past 2 MiB: realloc */
        assert_int_equal(tu_buffer_puts(&b, "0123456789"), 0);
    assert_int_equal(b.len, 3 + 3000000);
    assert_memory_equal(b.data, "abc0123456789", 13);
    tu_buffer_clear(&b, 1024);
    assert_null(b.data);
    assert_int_equal(tu_buffer_reserve(&b, 1000), 0);   /* small: exact */
    assert_int_equal(b.cap, 1001);
    tu_buffer_free(&b);
}

/* An arena told that a lot is coming fills one huge block at once;
 * without, its first block is 64 KiB. */
static void test_arena_expect(void **state)
{
    tu_arena told = TU_ARENA_INIT, plain = TU_ARENA_INIT;
    char *first, *p, *q = NULL;
    int breaks = 0;
    (void)state;
    tu_arena_expect(&told, (size_t)1 << 20);
    first = tu_arena_alloc(&told, 1000);
    for (int i = 1; i < 1500; i++) {           /* 1.5 MB, one block */
        p = tu_arena_alloc(&told, 1000);
        assert_ptr_equal(p, first + (size_t)i * 1000);
    }
    for (int i = 0; i < 1500; i++) {
        p = tu_arena_alloc(&plain, 1000);
        breaks += q && p != q + 1000;
        q = p;
    }
    assert_true(breaks >= 2);                  /* 64, 128, 256 KiB, ... */
    tu_arena_free(&told);
    tu_arena_free(&plain);
}

/* Rewinding hands out again what was free at the mark, and frees every
 * block made since: new heads, and large blocks put behind either the
 * saved head or a new one (valgrind and ASan see a block left behind). */
static void test_arena_rewind(void **state)
{
    tu_arena a = TU_ARENA_INIT, empty = TU_ARENA_INIT;
    tu_arena_mark m;
    char *kept, *after, *p;
    (void)state;
    tu_arena_save(&empty, &m);                 /* from nothing */
    assert_non_null(tu_arena_alloc(&empty, 100));
    assert_non_null(tu_arena_alloc(&empty, 1 << 20));          /* large */
    tu_arena_rewind(&empty, &m);
    assert_null(empty.head);
    assert_int_equal(empty.used, 0);
    assert_non_null(kept = tu_arena_alloc(&a, 100));
    memset(kept, 'k', 100);
    tu_arena_save(&a, &m);
    after = tu_arena_alloc(&a, 100);
    assert_non_null(tu_arena_alloc(&a, 70000));     /* behind the head */
    for (int i = 0; i < 2000; i++)                  /* new heads */
        assert_non_null(tu_arena_alloc(&a, 1000));
    assert_non_null(tu_arena_alloc(&a, 1 << 20));   /* behind a new one */
    tu_arena_rewind(&a, &m);
    assert_int_equal(a.used, 104);
    assert_ptr_equal(tu_arena_alloc(&a, 100), after);
    for (int i = 0; i < 100; i++)
        assert_int_equal(kept[i], 'k');
    assert_non_null(p = tu_arena_alloc(&a, 50000));   /* still usable */
    memset(p, 0, 50000);
    tu_arena_free(&a);
}

/* tu_array_grow: from `first`, doubling, contents kept, and a size that
 * cannot be allocated leaves the array as it was. */
static void test_array_grow(void **state)
{
    int *a = NULL;
    size_t cap = 0;
    (void)state;

    assert_int_equal(tu_array_grow(&a, &cap, 1, sizeof *a, 16), 0);
    assert_non_null(a);
    assert_int_equal(cap, 16);
    for (int i = 0; i < 16; i++)
        a[i] = i;
    assert_int_equal(tu_array_grow(&a, &cap, 16, sizeof *a, 16), 0);
    assert_int_equal(cap, 16);
    assert_int_equal(tu_array_grow(&a, &cap, 40, sizeof *a, 16), 0);
    assert_int_equal(cap, 64);
    for (int i = 0; i < 16; i++)
        assert_int_equal(a[i], i);
    assert_int_equal(tu_array_grow(&a, &cap, SIZE_MAX / 2, sizeof *a, 16),
                     -1);
    assert_int_equal(cap, 64);
    assert_int_equal(a[15], 15);
    free(a);
}

/* The mapping of /proc/self/maps that holds address a, as [*lo, *hi):
 * 1, or 0 when there is no such file or line. */
static int mapping_of(uintptr_t a, uintptr_t *lo, uintptr_t *hi)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    unsigned long l, h;

    while (f && !found && fgets(line, sizeof line, f))
        found = sscanf(line, "%lx-%lx", &l, &h) == 2 && l <= a && a < h;
    if (f)
        fclose(f);
    *lo = found ? (uintptr_t)l : 0;
    *hi = found ? (uintptr_t)h : 0;
    return found;
}

/* tu_advise_huge leaves a large block in one mapping: advising only the
 * 2 MiB pages inside split it, and realloc then copied it instead of
 * moving it with mremap (which takes one mapping only). */
static void test_advise_keeps_one_mapping(void **state)
{
    size_t n = (size_t)9 << 20;
    char *p = malloc(n);
    uintptr_t lo, hi;
    (void)state;

    assert_non_null(p);
    tu_advise_huge(p, n);
    if (!mapping_of((uintptr_t)p, &lo, &hi)) {
        free(p);
        skip();                      /* no /proc: nothing to look at */
    }
    assert_true(lo <= (uintptr_t)p);
    assert_true((uintptr_t)p + n <= hi);
    free(p);
}

static void test_clock(void **state)
{
    long long ms = tu_clock_ms();
    int64_t ns = tu_clock_ns(), later;
    (void)state;
    assert_true(ms >= 0);
    later = tu_clock_ns();
    assert_true(later >= ns);                /* never goes back */
    assert_true(ns / 1000000 >= ms);         /* the same clock */
}

static void test_suggest_case_and_swaps(void **state)
{
    static const char *const keys[] = {"name", "type", "ttl", "content",
                                       NULL};
    (void)state;
    assert_string_equal(tu_suggest("TTL", keys), "ttl");
    assert_string_equal(tu_suggest("Conten", keys), "content");
    assert_string_equal(tu_suggest("tpye", keys), "type");   /* one swap */
    assert_string_equal(tu_suggest("cnotent", keys), "content");
    assert_null(tu_suggest("zone", keys));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_buffer_reuse),
        cmocka_unit_test(test_buffer_large_reserve),
        cmocka_unit_test(test_arena_expect),
        cmocka_unit_test(test_arena_rewind),
        cmocka_unit_test(test_array_grow),
        cmocka_unit_test(test_advise_keeps_one_mapping),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_suggest_case_and_swaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
