/* test_srcmap.c -- the pointer-keyed map of source positions: containers,
 * members in insertion order, file name interning, and growth.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/srcmap.h"

static tu_srcpos at(const char *file, unsigned line, unsigned column)
{
    tu_srcpos pos;
    pos.file = file;
    pos.line = line;
    pos.column = column;
    return pos;
}

static void assert_pos(tu_srcpos pos, const char *file, unsigned line,
                       unsigned column)
{
    if (file) {
        assert_non_null(pos.file);
        assert_string_equal(pos.file, file);
    } else {
        assert_null(pos.file);
    }
    assert_int_equal(pos.line, line);
    assert_int_equal(pos.column, column);
}

static void test_unknown_container(void **state)
{
    tu_srcmap *map = tu_srcmap_new();
    json_t *obj = json_object(), *other = json_array();
    (void)state;
    assert_non_null(map);
    assert_pos(tu_srcmap_get(map, obj), NULL, 0, 0);
    assert_pos(tu_srcmap_member(map, obj, "k"), NULL, 0, 0);
    assert_pos(tu_srcmap_get(map, NULL), NULL, 0, 0);
    assert_pos(tu_srcmap_get(NULL, obj), NULL, 0, 0);
    assert_pos(tu_srcmap_member(NULL, obj, "k"), NULL, 0, 0);
    /* after other entries exist, still unknown */
    assert_int_equal(tu_srcmap_set(map, obj, at("a.yaml", 1, 1)), 0);
    assert_pos(tu_srcmap_get(map, other), NULL, 0, 0);
    json_decref(other);
    json_decref(obj);
    tu_srcmap_free(map);
    tu_srcmap_free(NULL);
}

static void test_set_and_get(void **state)
{
    tu_srcmap *map = tu_srcmap_new();
    json_t *obj = json_object(), *arr = json_array();
    (void)state;
    assert_int_equal(tu_srcmap_set(map, obj, at("a.yaml", 3, 5)), 0);
    assert_int_equal(tu_srcmap_set(map, arr, at("b.yaml", 7, 9)), 0);
    assert_pos(tu_srcmap_get(map, obj), "a.yaml", 3, 5);
    assert_pos(tu_srcmap_get(map, arr), "b.yaml", 7, 9);
    /* setting again replaces the position */
    assert_int_equal(tu_srcmap_set(map, obj, at("a.yaml", 4, 1)), 0);
    assert_pos(tu_srcmap_get(map, obj), "a.yaml", 4, 1);
    /* an array's "member" is the array itself */
    assert_pos(tu_srcmap_member(map, arr, "x"), "b.yaml", 7, 9);
    /* a position without a file */
    assert_int_equal(tu_srcmap_set(map, arr, at(NULL, 2, 0)), 0);
    assert_pos(tu_srcmap_get(map, arr), NULL, 2, 0);
    assert_int_equal(tu_srcmap_set(NULL, obj, at("a.yaml", 1, 1)), -1);
    assert_int_equal(tu_srcmap_set(map, NULL, at("a.yaml", 1, 1)), -1);
    json_decref(obj);
    json_decref(arr);
    tu_srcmap_free(map);
}

static void test_members(void **state)
{
    tu_srcmap *map = tu_srcmap_new();
    json_t *obj = json_object();
    (void)state;
    assert_int_equal(tu_srcmap_set(map, obj, at("z.yaml", 1, 1)), 0);
    json_object_set_new(obj, "name", json_string("www"));
    assert_int_equal(tu_srcmap_add_member(map, obj, at("z.yaml", 1, 3)), 0);
    json_object_set_new(obj, "ttl", json_integer(600));
    assert_int_equal(tu_srcmap_add_member(map, obj, at("z.yaml", 2, 3)), 0);
    json_object_set_new(obj, "type", json_string("A"));
    assert_int_equal(tu_srcmap_add_member(map, obj, at("z.yaml", 3, 3)), 0);
    assert_pos(tu_srcmap_member(map, obj, "name"), "z.yaml", 1, 3);
    assert_pos(tu_srcmap_member(map, obj, "ttl"), "z.yaml", 2, 3);
    assert_pos(tu_srcmap_member(map, obj, "type"), "z.yaml", 3, 3);
    /* unknown key, NULL key: the object's own position */
    assert_pos(tu_srcmap_member(map, obj, "value"), "z.yaml", 1, 1);
    assert_pos(tu_srcmap_member(map, obj, NULL), "z.yaml", 1, 1);
    /* a key added without a recorded position: the object's position */
    json_object_set_new(obj, "late", json_true());
    assert_pos(tu_srcmap_member(map, obj, "late"), "z.yaml", 1, 1);
    /* overwriting a present key keeps its place, and its position */
    json_object_set_new(obj, "ttl", json_integer(300));
    assert_pos(tu_srcmap_member(map, obj, "ttl"), "z.yaml", 2, 3);
    assert_pos(tu_srcmap_member(map, obj, "type"), "z.yaml", 3, 3);
    /* recording the object again (a reused address) forgets its members */
    assert_int_equal(tu_srcmap_set(map, obj, at("z.yaml", 9, 9)), 0);
    assert_pos(tu_srcmap_member(map, obj, "ttl"), "z.yaml", 9, 9);
    json_decref(obj);
    tu_srcmap_free(map);
}

static void test_member_on_unrecorded_object(void **state)
{
    tu_srcmap *map = tu_srcmap_new();
    json_t *obj = json_object();
    (void)state;
    json_object_set_new(obj, "a", json_null());
    assert_int_equal(tu_srcmap_add_member(map, obj, at("u.yaml", 5, 7)), 0);
    assert_pos(tu_srcmap_member(map, obj, "a"), "u.yaml", 5, 7);
    assert_pos(tu_srcmap_get(map, obj), "u.yaml", 0, 0);
    json_decref(obj);
    tu_srcmap_free(map);
}

static void test_members_from_several_files(void **state)
{
    tu_srcmap *map = tu_srcmap_new();
    json_t *obj = json_object();
    char key[16];
    int i;
    (void)state;
    assert_int_equal(tu_srcmap_set(map, obj, at("base.yaml", 1, 1)), 0);
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "k%d", i);
        json_object_set_new(obj, key, json_integer(i));
        assert_int_equal(tu_srcmap_add_member(map, obj,
                             at(i == 3 ? "other.yaml" : "base.yaml",
                                (unsigned)i + 2, 3)),
                         0);
    }
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_pos(tu_srcmap_member(map, obj, key),
                   i == 3 ? "other.yaml" : "base.yaml", (unsigned)i + 2, 3);
    }
    assert_pos(tu_srcmap_get(map, obj), "base.yaml", 1, 1);
    json_decref(obj);
    tu_srcmap_free(map);
}

static void test_file_interning(void **state)
{
    tu_srcmap *map = tu_srcmap_new();
    char name[32];
    const char *a, *b, *c;
    json_t *obj = json_object();
    (void)state;
    strcpy(name, "dir/zone.yaml");
    a = tu_srcmap_file(map, name);
    assert_non_null(a);
    assert_ptr_not_equal(a, name);
    assert_string_equal(a, "dir/zone.yaml");
    b = tu_srcmap_file(map, "dir/zone.yaml");
    assert_ptr_equal(a, b);
    c = tu_srcmap_file(map, "other.yaml");
    assert_ptr_not_equal(a, c);
    assert_null(tu_srcmap_file(map, NULL));
    assert_null(tu_srcmap_file(NULL, "x"));
    /* a position given with the caller's string is interned too */
    assert_int_equal(tu_srcmap_set(map, obj, at(name, 2, 2)), 0);
    strcpy(name, "overwritten");
    assert_ptr_equal(tu_srcmap_get(map, obj).file, a);
    assert_pos(tu_srcmap_get(map, obj), "dir/zone.yaml", 2, 2);
    json_decref(obj);
    tu_srcmap_free(map);
}

/* Enough containers to grow the table many times; every one keeps its
 * position, including members. */
static void test_many_entries(void **state)
{
    enum { N = 100000 };
    tu_srcmap *map = tu_srcmap_new();
    json_t **values = malloc(N * sizeof *values);
    size_t i;
    (void)state;
    assert_non_null(values);
    for (i = 0; i < N; i++) {
        values[i] = i % 3 ? json_object() : json_array();
        assert_int_equal(tu_srcmap_set(map, values[i],
                                       at("big.yaml", (unsigned)i + 1,
                                          (unsigned)(i % 7) + 1)),
                         0);
        if (json_is_object(values[i])) {
            json_object_set_new(values[i], "name",
                                json_integer((json_int_t)i));
            assert_int_equal(tu_srcmap_add_member(map, values[i],
                                 at("big.yaml", (unsigned)i + 1, 20)),
                             0);
        }
    }
    for (i = 0; i < N; i++) {
        assert_pos(tu_srcmap_get(map, values[i]), "big.yaml", (unsigned)i + 1,
                   (unsigned)(i % 7) + 1);
        if (json_is_object(values[i]))
            assert_pos(tu_srcmap_member(map, values[i], "name"), "big.yaml",
                       (unsigned)i + 1, 20);
    }
    for (i = 0; i < N; i++)
        json_decref(values[i]);
    free(values);
    tu_srcmap_free(map);
}

/* One object with many keys: the member array grows, order holds. */
static void test_many_members(void **state)
{
    enum { N = 5000 };
    tu_srcmap *map = tu_srcmap_new();
    json_t *obj = json_object();
    char key[32];
    unsigned i;
    (void)state;
    assert_int_equal(tu_srcmap_set(map, obj, at("wide.yaml", 1, 1)), 0);
    for (i = 0; i < N; i++) {
        snprintf(key, sizeof key, "key%u", i);
        json_object_set_new(obj, key, json_integer(i));
        assert_int_equal(
            tu_srcmap_add_member(map, obj, at("wide.yaml", i + 2, i % 50 + 1)),
            0);
    }
    for (i = 0; i < N; i += 97) {
        snprintf(key, sizeof key, "key%u", i);
        assert_pos(tu_srcmap_member(map, obj, key), "wide.yaml", i + 2,
                   i % 50 + 1);
    }
    assert_pos(tu_srcmap_member(map, obj, "key4999"), "wide.yaml", 5001, 50);
    json_decref(obj);
    tu_srcmap_free(map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_container),
        cmocka_unit_test(test_set_and_get),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_member_on_unrecorded_object),
        cmocka_unit_test(test_members_from_several_files),
        cmocka_unit_test(test_file_interning),
        cmocka_unit_test(test_many_entries),
        cmocka_unit_test(test_many_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
