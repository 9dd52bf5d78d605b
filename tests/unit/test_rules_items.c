/* test_rules_items.c -- selectors of single items (state/rules_items.c)
 * and {glob} values in a rule's match (state/rules.c): values, shell
 * patterns, DNS globs over an item or its target, lists, and the rules
 * with `items` kept apart from the record rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "state/error.h"
#include "state/rules.h"
#include "state/rules_items.h"

static int sel(const char *selector_json, const char *item_json)
{
    json_t *s = json_loads(selector_json, JSON_DECODE_ANY, NULL);
    json_t *i = json_loads(item_json, JSON_DECODE_ANY, NULL);
    int ok;
    assert_non_null(s);
    assert_non_null(i);
    ok = tu_selector_selects(s, i);
    json_decref(s);
    json_decref(i);
    return ok;
}

static void test_selectors(void **state)
{
    (void)state;
    assert_true(sel("\"192.0.2.1\"", "\"192.0.2.1\""));
    assert_false(sel("\"192.0.2.1\"", "\"192.0.2.10\""));
    assert_true(sel("\"192.0.2.*\"", "\"192.0.2.10\""));
    assert_true(sel("[\"a\", \"b\"]", "\"b\""));
    assert_true(sel("{\"glob\": \"*.example.net.\"}", "\"x.example.net.\""));
    /* the target of an MX or SRV content: its last word */
    assert_true(sel("{\"glob\": \"*.example.net.\"}",
                    "\"10 mx.example.net.\""));
    assert_true(sel("{\"glob\": \"**.example.net.\"}",
                    "\"10 5 5060 example.net.\""));
    assert_false(sel("{\"glob\": \"*.example.net.\"}",
                     "\"10 a.b.example.net.\""));
    assert_false(sel("{\"glob\": \"*.example.net.\"}", "5"));
}

static void test_glob_in_match(void **state)
{
    json_t *match = json_pack("{s:{s:s}}", "records", "glob",
                              "*.example.net.");
    json_t *yes = json_pack("{s:[ss]}", "records", "10 a.example.org.",
                            "20 mx.example.net.");
    json_t *no = json_pack("{s:[s]}", "records", "10 a.example.org.");
    (void)state;
    assert_true(tu_match_fields(match, yes));
    assert_false(tu_match_fields(match, no));
    json_decref(match);
    /* a value or shell pattern selects a list field holding such an item */
    match = json_pack("{s:s}", "records", "10 a.example.org.");
    assert_true(tu_match_fields(match, yes));
    json_decref(match);
    match = json_pack("{s:s}", "records", "* mx.*");
    assert_true(tu_match_fields(match, yes));
    assert_false(tu_match_fields(match, no));
    json_decref(match);
    /* a list still selects a list field equal to it */
    match = json_pack("{s:[s]}", "records", "10 a.example.org.");
    assert_true(tu_match_fields(match, no));
    assert_false(tu_match_fields(match, yes));
    json_decref(match);
    json_decref(yes);
    json_decref(no);
}

static void test_item_rules_kept_apart(void **state)
{
    tu_rules rules;
    tu_error err = {0};
    tu_srcpos pos = {"f.yaml", 3, 5};
    json_t *whole = json_pack("{s:{s:s}}", "match", "type", "A");
    json_t *items = json_pack("{s:{s:s}}", "items", "records", "192.0.2.1");
    json_t *bad = json_pack("{s:{s:{s:s}}}", "items", "records", "glob",
                            "a**");
    json_t *rec = json_pack("{s:s,s:[s]}", "type", "TXT", "records", "x");
    (void)state;
    tu_rules_init(&rules);
    assert_int_equal(tu_rules_add_item(&rules, "protect", whole, pos, 0,
                                       NULL, &err), 0);
    assert_int_equal(tu_rules_add_item(&rules, "protect", items, pos, 1,
                                       NULL, &err), 0);
    assert_int_equal(rules.count, 1);
    assert_int_equal(rules.nitem_rules, 1);
    /* an item rule (no match: every record) never selects a record */
    assert_null(tu_rules_find(&rules, rec));
    assert_int_equal(tu_rules_add_item(&rules, "protect", bad, pos, 2, NULL,
                                       &err), -1);
    assert_non_null(strstr(err.message, "f.yaml:3:5"));
    assert_non_null(strstr(err.message, "whole labels"));
    tu_rules_free(&rules);
    json_decref(whole);
    json_decref(items);
    json_decref(bad);
    json_decref(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_glob_in_match),
        cmocka_unit_test(test_item_rules_kept_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
