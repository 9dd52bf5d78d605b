/* test_module_diff.c -- modules/module_diff.c: the per-record `diff` list
 * built from a report's results (update: the changed fields' before and
 * after; create: absent -> the fields sent; delete: present -> absent;
 * headers the record's key), only records that changed or would change,
 * and the cap with its closing "... and N more" entry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "modules/module.h"

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!v)
        fail_msg("bad JSON in test: %s: %s", text, jerr.text);
    return v;
}

static void assert_json(const json_t *got, const char *want_text)
{
    json_t *want = parse(want_text);
    if (!json_equal((json_t *)got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("got  %s\nwant %s", g, w);
    }
    json_decref(want);
}

static void test_update(void **state)
{
    json_t *results = parse(
        "[{\"key\": \"www|A\", \"action\": \"update\", \"status\": \"ok\","
        "  \"http_status\": 200, \"attempts\": 1,"
        "  \"changes\": {\"ttl\": {\"before\": 300, \"after\": 600},"
        "               \"comment\": {\"before\": null, \"after\": \"x\"},"
        "               \"tags\": {\"after\": [1, 2]}}}]");
    json_t *diff = tu_mod_diff(results, TU_MOD_DIFF_CAP);
    (void)state;

    assert_json(diff,
        "[{\"before\": {\"ttl\": 300, \"comment\": null, \"tags\": null},"
        "  \"after\": {\"ttl\": 600, \"comment\": \"x\", \"tags\": [1, 2]},"
        "  \"before_header\": \"www|A\", \"after_header\": \"www|A\"}]");
    json_decref(diff);
    json_decref(results);
}

static void test_create_delete(void **state)
{
    json_t *results = parse(
        "[{\"key\": \"new|A\", \"action\": \"create\", \"status\": \"planned\","
        "  \"changes\": {\"name\": {\"after\": \"new\"},"
        "               \"ttl\": {\"after\": 60}}},"
        " {\"key\": \"old|A\", \"action\": \"delete\", \"status\": \"planned\"}]");
    json_t *diff = tu_mod_diff(results, TU_MOD_DIFF_CAP);
    (void)state;

    assert_json(diff,
        "[{\"before\": {\"state\": \"absent\"},"
        "  \"after\": {\"name\": \"new\", \"ttl\": 60},"
        "  \"before_header\": \"new|A\", \"after_header\": \"new|A\"},"
        " {\"before\": {\"state\": \"present\"},"
        "  \"after\": {\"state\": \"absent\"},"
        "  \"before_header\": \"old|A\", \"after_header\": \"old|A\"}]");
    json_decref(diff);
    json_decref(results);
}

/* Failed records and records that could not be planned are not diffs. */
static void test_only_changed(void **state)
{
    json_t *results = parse(
        "[{\"key\": \"a\", \"action\": \"update\", \"status\": \"failed\","
        "  \"error\": \"PATCH ... 500\","
        "  \"changes\": {\"ttl\": {\"before\": 1, \"after\": 2}}},"
        " {\"key\": \"b\", \"action\": \"none\", \"status\": \"failed\","
        "  \"error\": \"ambiguous\"},"
        " {\"key\": \"c\", \"action\": \"delete\", \"status\": \"ok\"},"
        " {\"key\": \"d\", \"action\": \"create\", \"status\": \"failed\"}]");
    json_t *diff = tu_mod_diff(results, TU_MOD_DIFF_CAP);
    (void)state;

    assert_int_equal(json_array_size(diff), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(diff, 0), "before_header")), "c");
    json_decref(diff);
    json_decref(results);
}

static void test_empty(void **state)
{
    json_t *results = json_array();
    json_t *diff = tu_mod_diff(results, TU_MOD_DIFF_CAP);
    (void)state;
    assert_json(diff, "[]");
    json_decref(diff);
    json_decref(results);
}

static json_t *many_updates(size_t n)
{
    json_t *results = json_array();
    for (size_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "host%zu|A", i);
        json_array_append_new(results, json_pack(
            "{s:s, s:s, s:s, s:{s:{s:i, s:i}}}", "key", key,
            "action", "update", "status", "ok",
            "changes", "ttl", "before", 300, "after", 600));
    }
    return results;
}

static void test_cap(void **state)
{
    json_t *results = many_updates(150);
    json_t *diff = tu_mod_diff(results, 100), *last;
    (void)state;

    assert_int_equal(json_array_size(diff), 101);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(diff, 99), "before_header")),
                        "host99|A");
    last = json_array_get(diff, 100);
    assert_int_equal(json_object_size(last), 1);
    assert_string_equal(json_string_value(json_object_get(last, "prepared")),
                        "... and 50 more changed records (not shown: see the "
                        "task's results)\n");
    json_decref(diff);
    json_decref(results);

    /* exactly at the cap: no closing entry; one over: singular */
    results = many_updates(100);
    diff = tu_mod_diff(results, 100);
    assert_int_equal(json_array_size(diff), 100);
    json_decref(diff);
    json_decref(results);
    results = many_updates(3);
    diff = tu_mod_diff(results, 2);
    assert_int_equal(json_array_size(diff), 3);
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_array_get(diff, 2), "prepared")),
                           "and 1 more changed record "));
    json_decref(diff);
    json_decref(results);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_create_delete),
        cmocka_unit_test(test_only_changed),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
