/* test_strmap.c -- util/strmap.h: put and get, duplicate keys keeping the
 * first value, lookups on an empty map, reserve, and growth to many
 * thousands of keys (every key still found with its own value).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"

static void test_empty_map(void **state)
{
    tu_strmap map;
    size_t value = 12345;
    (void)state;
    tu_strmap_init(&map);
    assert_null(map.slots);
    assert_int_equal(map.cap, 0);
    assert_int_equal(map.count, 0);
    assert_int_equal(tu_strmap_get(&map, "x", &value), 0);
    assert_int_equal(tu_strmap_get(&map, "", &value), 0);
    assert_int_equal(value, 12345);   /* untouched */
    tu_strmap_free(&map);
    tu_strmap_free(&map);             /* freeing twice is harmless */
    assert_int_equal(map.cap, 0);
}

static void test_put_get(void **state)
{
    tu_strmap map;
    size_t value = 0;
    (void)state;
    tu_strmap_init(&map);
    assert_int_equal(tu_strmap_put(&map, "alpha", 1, NULL), 1);
    assert_int_equal(tu_strmap_put(&map, "beta", 2, NULL), 1);
    assert_int_equal(tu_strmap_put(&map, "", 3, NULL), 1);
    assert_int_equal(map.count, 3);
    assert_int_equal(tu_strmap_get(&map, "alpha", &value), 1);
    assert_int_equal(value, 1);
    assert_int_equal(tu_strmap_get(&map, "beta", &value), 1);
    assert_int_equal(value, 2);
    assert_int_equal(tu_strmap_get(&map, "", &value), 1);
    assert_int_equal(value, 3);
    value = 99;
    assert_int_equal(tu_strmap_get(&map, "gamma", &value), 0);
    assert_int_equal(tu_strmap_get(&map, "alph", &value), 0);
    assert_int_equal(tu_strmap_get(&map, "alphaa", &value), 0);
    assert_int_equal(tu_strmap_get(&map, "ALPHA", &value), 0);
    assert_int_equal(value, 99);
    tu_strmap_free(&map);
}

static void test_keys_compared_by_content(void **state)
{
    tu_strmap map;
    char a[] = "key", b[] = "key";
    size_t value = 0;
    (void)state;
    tu_strmap_init(&map);
    assert_int_equal(tu_strmap_put(&map, a, 7, NULL), 1);
    assert_int_equal(tu_strmap_get(&map, b, &value), 1);
    assert_int_equal(value, 7);
    tu_strmap_free(&map);
}

static void test_duplicate_put(void **state)
{
    tu_strmap map;
    size_t existing = 0, value = 0;
    (void)state;
    tu_strmap_init(&map);
    assert_int_equal(tu_strmap_put(&map, "k", 10, &existing), 1);
    assert_int_equal(existing, 0);   /* not written when inserted */
    assert_int_equal(tu_strmap_put(&map, "k", 20, &existing), 0);
    assert_int_equal(existing, 10);
    assert_int_equal(tu_strmap_put(&map, "k", 30, NULL), 0);
    assert_int_equal(map.count, 1);
    assert_int_equal(tu_strmap_get(&map, "k", &value), 1);
    assert_int_equal(value, 10);     /* the first value stays */
    tu_strmap_free(&map);
}

static void test_reserve(void **state)
{
    tu_strmap map;
    size_t cap;
    (void)state;
    tu_strmap_init(&map);
    assert_int_equal(tu_strmap_reserve(&map, 1000), 0);
    assert_true(map.cap >= 2000);
    assert_int_equal(map.cap & (map.cap - 1), 0);   /* a power of two */
    cap = map.cap;
    assert_int_equal(tu_strmap_reserve(&map, 10), 0);
    assert_int_equal(map.cap, cap);   /* never shrinks */
    assert_int_equal(tu_strmap_put(&map, "a", 1, NULL), 1);
    assert_int_equal(map.cap, cap);
    tu_strmap_free(&map);
}

#define MANY 200000

static void test_growth(void **state)
{
    tu_strmap map;
    char (*keys)[16] = malloc(MANY * sizeof *keys);
    size_t value, existing;
    (void)state;
    assert_non_null(keys);
    tu_strmap_init(&map);
    for (size_t i = 0; i < MANY; i++) {
        snprintf(keys[i], sizeof keys[i], "k%zu", i);
        assert_int_equal(tu_strmap_put(&map, keys[i], i, NULL), 1);
    }
    assert_int_equal(map.count, MANY);
    assert_true(map.cap >= 2 * (size_t)MANY);   /* load factor <= 1/2 */
    for (size_t i = 0; i < MANY; i++) {
        value = SIZE_MAX;
        if (tu_strmap_get(&map, keys[i], &value) != 1 || value != i)
            fail_msg("key %s: got %zu", keys[i], value);
    }
    /* Duplicates after growth still report the original value. */
    assert_int_equal(tu_strmap_put(&map, "k12345", 1, &existing), 0);
    assert_int_equal(existing, 12345);
    assert_int_equal(tu_strmap_put(&map, "k199999", 1, &existing), 0);
    assert_int_equal(existing, 199999);
    assert_int_equal(tu_strmap_get(&map, "k200000", &value), 0);
    assert_int_equal(tu_strmap_get(&map, "k", &value), 0);
    assert_int_equal(map.count, MANY);
    tu_strmap_free(&map);
    free(keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_map),
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_keys_compared_by_content),
        cmocka_unit_test(test_duplicate_put),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
