/* test_module_diff.c -- modules/module_diff.c: the per-record `diff` list
 * built from a report's results (update: the changed fields' before and
 * after; create: absent -> the fields sent; delete: present -> absent;
 * headers the record's key), only records that changed or would change,
 * and the cap with its closing "... and N more" entry. The results are
 * typed (tu_record_result), as tu_report_result gives them.
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

/* A result with the members the diff reads. */
#define RESULT(k, a, st, ch) {.key = k, .action = a, .status = st, \
                              .changes = ch}

static void test_update(void **state)
{
    const tu_record_result results[] = {
        {.key = "www|A", .action = "update", .status = "ok",
         .http_status = 200, .attempts = 1,
         .changes = "{\"ttl\": {\"before\": 300, \"after\": 600},"
                    " \"comment\": {\"before\": null, \"after\": \"x\"},"
                    " \"tags\": {\"after\": [1, 2]}}"}};
    json_t *diff = tu_mod_diff(results, 1, TU_MOD_DIFF_CAP);
    (void)state;

    assert_json(diff,
        "[{\"before\": {\"ttl\": 300, \"comment\": null, \"tags\": null},"
        "  \"after\": {\"ttl\": 600, \"comment\": \"x\", \"tags\": [1, 2]},"
        "  \"before_header\": \"www|A\", \"after_header\": \"www|A\"}]");
    json_decref(diff);
}

static void test_create_delete(void **state)
{
    const tu_record_result results[] = {
        RESULT("new|A", "create", "planned",
               "{\"name\": {\"after\": \"new\"}, \"ttl\": {\"after\": 60}}"),
        RESULT("old|A", "delete", "planned", NULL)};
    json_t *diff = tu_mod_diff(results, 2, TU_MOD_DIFF_CAP);
    (void)state;

    assert_json(diff,
        "[{\"before\": {\"state\": \"absent\"},"
        "  \"after\": {\"name\": \"new\", \"ttl\": 60},"
        "  \"before_header\": \"new|A\", \"after_header\": \"new|A\"},"
        " {\"before\": {\"state\": \"present\"},"
        "  \"after\": {\"state\": \"absent\"},"
        "  \"before_header\": \"old|A\", \"after_header\": \"old|A\"}]");
    json_decref(diff);
}

/* Failed records and records that could not be planned are not diffs. */
static void test_only_changed(void **state)
{
    tu_record_result results[] = {
        RESULT("a", "update", "failed",
               "{\"ttl\": {\"before\": 1, \"after\": 2}}"),
        RESULT("b", "none", "failed", NULL),
        RESULT("c", "delete", "ok", NULL),
        RESULT("d", "create", "failed", NULL)};
    json_t *diff;
    (void)state;

    results[0].error = "PATCH ... 500";
    results[1].error = "ambiguous";
    diff = tu_mod_diff(results, 4, TU_MOD_DIFF_CAP);
    assert_int_equal(json_array_size(diff), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(diff, 0), "before_header")), "c");
    json_decref(diff);
}

static void test_empty(void **state)
{
    json_t *diff = tu_mod_diff(NULL, 0, TU_MOD_DIFF_CAP);
    (void)state;
    assert_json(diff, "[]");
    json_decref(diff);
}

/* n updates of ttl 300 -> 600, keyed host0|A, host1|A, ...; their keys
 * in `keys` (n of 32 bytes). */
static tu_record_result *many_updates(size_t n, char (*keys)[32])
{
    tu_record_result *results = calloc(n, sizeof *results);
    assert_non_null(results);
    for (size_t i = 0; i < n; i++) {
        snprintf(keys[i], sizeof keys[i], "host%zu|A", i);
        results[i] = (tu_record_result)RESULT(
            keys[i], "update", "ok",
            "{\"ttl\": {\"before\": 300, \"after\": 600}}");
    }
    return results;
}

static void test_cap(void **state)
{
    static char keys[150][32];
    tu_record_result *results = many_updates(150, keys);
    json_t *diff = tu_mod_diff(results, 150, 100), *last;
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

    /* exactly at the cap: no closing entry; one over: singular */
    diff = tu_mod_diff(results, 100, 100);
    assert_int_equal(json_array_size(diff), 100);
    json_decref(diff);
    diff = tu_mod_diff(results, 3, 2);
    assert_int_equal(json_array_size(diff), 3);
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_array_get(diff, 2), "prepared")),
                           "and 1 more changed record "));
    json_decref(diff);
    free(results);
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
