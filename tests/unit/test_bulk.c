/* test_bulk.c -- state/bulk.h: rules a program gives ("field=value"),
 * their values typed as YAML (a quoted scalar is a string, a plain one by
 * the core schema), and matching records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "state/bulk.h"
#include "state/error.h"

/* The single rule made of one --match and one --set argument. */
static void add_one(tu_bulk *bulk, const char *match, const char *set)
{
    const char *m[] = {match}, *s[] = {set};
    tu_error err = {0};

    tu_bulk_init(bulk);
    if (tu_bulk_add_args(bulk, m, 1, s, 1, NULL, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(bulk->count, 1);
}

/* ttl='"600"' sets the string 600, ttl=600 the number, ttl="'x y'" the
 * string without its quotes; --match reads quoted values the same way. */
static void test_quoted_values_are_strings(void **state)
{
    tu_bulk bulk;
    json_t *v;
    (void)state;

    add_one(&bulk, "type=A", "ttl=\"600\"");
    v = json_object_get(bulk.rules[0].set, "ttl");
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), "600");
    tu_bulk_free(&bulk);

    add_one(&bulk, "ttl='300'", "ttl=600");
    assert_true(json_is_integer(json_object_get(bulk.rules[0].set, "ttl")));
    v = json_object_get(bulk.rules[0].match, "ttl");
    assert_string_equal(json_string_value(v), "300");
    tu_bulk_free(&bulk);

    add_one(&bulk, "type=A", "comment='a b'");
    v = json_object_get(bulk.rules[0].set, "comment");
    assert_string_equal(json_string_value(v), "a b");
    tu_bulk_free(&bulk);
}

/* A quoted match value matches the string, not the number. */
static void test_quoted_match(void **state)
{
    tu_bulk bulk;
    json_t *str = json_pack("{s:s}", "ttl", "300");
    json_t *num = json_pack("{s:i}", "ttl", 300);
    (void)state;

    add_one(&bulk, "ttl=\"300\"", "ttl=600");
    assert_true(tu_bulk_matches(&bulk.rules[0], str));
    assert_false(tu_bulk_matches(&bulk.rules[0], num));
    tu_bulk_free(&bulk);
    json_decref(str);
    json_decref(num);
}

/* An unterminated quote is an error naming the list, not a crash. */
static void test_bad_quote(void **state)
{
    const char *m[] = {"type=A"}, *s[] = {"ttl=\"600"};
    tu_error err = {0};
    tu_bulk bulk;
    (void)state;

    tu_bulk_init(&bulk);
    assert_int_equal(tu_bulk_add_args(&bulk, m, 1, s, 1, NULL, &err), -1);
    assert_string_equal(err.message, "set:1:5: found unexpected end of "
                        "stream (while scanning a quoted scalar)");
    tu_bulk_free(&bulk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoted_values_are_strings),
        cmocka_unit_test(test_quoted_match),
        cmocka_unit_test(test_bad_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
