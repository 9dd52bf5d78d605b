/* test_planfile.c -- state/planfile.h: sealing (SHA-256, HMAC-SHA256),
 * checking a checksum against the content, and the member checks, each
 * with the message a person reads; the desired-state digest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "state/planfile.h"

static const char *const base =
    "{\"format\": \"trueup-plan\", \"format_version\": 1,"
    " \"trueup_version\": \"0.1.0\", \"created_at\": \"2026-01-01T00:00:00Z\","
    " \"desired_sha256\": \"00\", \"target\": {\"provider\": \"rest\"},"
    " \"options\": {\"prune\": false, \"force\": false}, \"live_count\": 3,"
    " \"changes\": ["
    "  {\"key\": \"a|A\", \"action\": \"create\", \"desired\": {\"n\": \"a\"},"
    "   \"changes\": {\"n\": {\"after\": \"a\"}}},"
    "  {\"key\": \"b|A\", \"action\": \"update\", \"desired\": {\"t\": 6},"
    "   \"live\": {\"t\": 3}, \"changes\": {\"t\": {\"before\": 3,"
    "   \"after\": 6}}},"
    "  {\"key\": \"c|A\", \"action\": \"delete\", \"live\": {\"n\": \"c\"}},"
    "  {\"key\": \"d|A\", \"action\": \"fail\", \"error\": \"ambiguous\"}]}";

/* `edit` applied to the base object, sealed with `key`, as text. */
static char *sealed(void (*edit)(json_t *), const char *key)
{
    json_t *root = json_loads(base, 0, NULL);
    tu_error err;
    char *text;

    assert_non_null(root);
    if (edit)
        edit(root);
    assert_int_equal(tu_planfile_seal(root, key, &err), 0);
    text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    assert_non_null(text);
    return text;
}

static int parse(const char *text, const char *key, tu_planfile *pf,
                 tu_error *err)
{
    return tu_planfile_parse(text, strlen(text), "p.json", key, pf, err);
}

static void test_round_trip(void **state)
{
    char *text = sealed(NULL, NULL);
    tu_planfile pf;
    tu_error err;

    (void)state;
    assert_int_equal(parse(text, NULL, &pf, &err), 0);
    assert_string_equal(pf.algorithm, "sha256");
    assert_int_equal(strlen(pf.checksum), 64);
    assert_int_equal(pf.count, 4);
    assert_int_equal(pf.live_count, 3);
    assert_int_equal(pf.shard_count, 0);
    assert_int_equal(pf.changes[0].action, TU_PLANFILE_CREATE);
    assert_null(pf.changes[0].live);
    assert_int_equal(pf.changes[1].action, TU_PLANFILE_UPDATE);
    assert_int_equal(json_integer_value(json_object_get(pf.changes[1].live,
                                                        "t")), 3);
    assert_int_equal(pf.changes[2].action, TU_PLANFILE_DELETE);
    assert_null(pf.changes[2].desired);
    assert_string_equal(pf.changes[3].error, "ambiguous");
    assert_null(pf.settings);
    tu_planfile_free(&pf);
    free(text);
}

static void expect_error(const char *text, const char *key,
                         const char *needle)
{
    tu_planfile pf;
    tu_error err;
    assert_int_equal(parse(text, key, &pf, &err), -1);
    if (!strstr(err.message, needle))
        fail_msg("'%s' not in '%s'", needle, err.message);
    assert_int_equal(err.code, TU_ERR_PLAN);
}

static void test_altered(void **state)
{
    char *text = sealed(NULL, NULL), *hit = strstr(text, "\"after\": 6");

    (void)state;
    assert_non_null(hit);
    hit[10] = '7';
    expect_error(text, NULL, "p.json was altered after it was written");
    free(text);
}

static void test_hmac(void **state)
{
    char *text = sealed(NULL, "secret-key");
    tu_planfile pf;
    tu_error err;

    (void)state;
    assert_int_equal(parse(text, "secret-key", &pf, &err), 0);
    assert_string_equal(pf.algorithm, "hmac-sha256");
    tu_planfile_free(&pf);
    expect_error(text, NULL, "sealed with a key (hmac-sha256): set "
                 "TRUEUP_PLAN_KEY");
    expect_error(text, "other-key", "was altered");
    free(text);
    text = sealed(NULL, NULL);
    expect_error(text, "secret-key", "plain sha256 checksum, but "
                 "TRUEUP_PLAN_KEY is set");
    free(text);
}

static void no_live(json_t *root)
{
    json_object_del(json_array_get(json_object_get(root, "changes"), 1),
                    "live");
}

static void bad_action(json_t *root)
{
    json_object_set_new(json_array_get(json_object_get(root, "changes"), 2),
                        "action", json_string("replace"));
}

static void newer(json_t *root)
{
    json_object_set_new(root, "format_version", json_integer(2));
}

static void bad_shard(json_t *root)
{
    json_object_set_new(root, "shard", json_pack("{s:i, s:i}", "index", 3,
                                                 "count", 3));
}

static void create_with_live(json_t *root)
{
    json_object_set_new(json_array_get(json_object_get(root, "changes"), 0),
                        "live", json_object());
}

static void test_members(void **state)
{
    static const struct {
        void (*edit)(json_t *);
        const char *needle;
    } cases[] = {
        {no_live, "p.json: changes[1]: live is missing"},
        {bad_action, "changes[2]: action is not create, update, delete or "
                     "fail"},
        {newer, "format_version 2 is not one this trueup"},
        {bad_shard, "p.json: shard: index is not a whole number in range"},
        {create_with_live, "changes[0]: live is given for a create"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = sealed(cases[i].edit, NULL);
        expect_error(text, NULL, cases[i].needle);
        free(text);
    }
}

static void test_not_a_plan(void **state)
{
    (void)state;
    expect_error("{\"records\": []}", NULL, "p.json is not a trueup plan "
                 "file");
    expect_error("{\"format\": \"trueup-plan\", \"format\": 1}", NULL,
                 "p.json:1:");
    expect_error("{\"format\": \"trueup-plan\", \"format_version\": 1",
                 NULL, "not a trueup plan file");
    expect_error("{\"format\": \"trueup-plan\", \"format_version\": 1}",
                 NULL, "checksum is missing");
}

static void test_desired_digest(void **state)
{
    tu_doc doc;
    char a[65], b[65];

    (void)state;
    json_t *v = json_pack("{s:{s:s}, s:[{s:s}]}", "target", "provider",
                          "rest", "records", "name", "a");
    tu_error err = {0};

    assert_int_equal(tu_doc_load_value(&doc, v, "inline", &err), 0);
    assert_int_equal(tu_planfile_desired_digest(&doc, a), 0);
    assert_int_equal(tu_planfile_desired_digest(&doc, b), 0);
    assert_string_equal(a, b);
    tu_doc_free(&doc);
    json_object_set_new(json_array_get(json_object_get(v, "records"), 0),
                        "ttl", json_integer(1));
    assert_int_equal(tu_doc_load_value(&doc, v, "inline", &err), 0);
    assert_int_equal(tu_planfile_desired_digest(&doc, b), 0);
    assert_string_not_equal(a, b);
    tu_doc_free(&doc);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_altered),
        cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_not_a_plan),
        cmocka_unit_test(test_desired_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
