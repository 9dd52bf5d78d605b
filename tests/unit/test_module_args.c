/* test_module_args.c -- modules/module_args.c: the Ansible module's argument
 * conversions (Ansible's boolean(), integers from strings, src as a string,
 * a comma-joined string or a list, inline dicts and lists given as JSON
 * strings), the internal _ansible_* keys, unknown keys with suggestions,
 * ill-typed values, and src and inline given together or neither.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "modules/module.h"
#include "util/suggest.h"

/* ---- helpers ------------------------------------------------------------ */

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad JSON in test: %s: %s", text, jerr.text);
    return v;
}

static int bool_of(const char *json, int *out)
{
    json_t *v = parse(json);
    int rc = tu_mod_bool(v, out);
    json_decref(v);
    return rc;
}

static int int_of(const char *json, long *out)
{
    json_t *v = parse(json);
    int rc = tu_mod_int(v, out);
    json_decref(v);
    return rc;
}

/* Parse `json` as the module's arguments; returns the status, `msg` filled. */
static int args_of(const char *json, tu_mod_args *a, char *msg, size_t size)
{
    json_t *raw = parse(json);
    int rc = tu_mod_args_parse(raw, a, msg, size);
    json_decref(raw);
    return rc;
}

static void expect_error(const char *json, const char *needle)
{
    tu_mod_args a;
    char msg[TU_MOD_MSG_MAX];
    int rc = args_of(json, &a, msg, sizeof msg);
    tu_mod_args_free(&a);
    if (rc == 0)
        fail_msg("expected an error for %s", json);
    if (!strstr(msg, needle))
        fail_msg("error for %s: <<%s>> lacks <<%s>>", json, msg, needle);
}

/* ---- tests -------------------------------------------------------------- */

static void test_bool_true(void **state)
{
    static const char *const yes[] = {
        "true", "1", "1.0", "\"yes\"", "\"YES\"", "\"on\"", "\"1\"", "\"true\"",
        "\"True\"", "\"y\"", "\"t\"", "\" yes \"",
    };
    (void)state;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        int b = 0;
        if (bool_of(yes[i], &b) != 0 || b != 1)
            fail_msg("%s is not true", yes[i]);
    }
}

static void test_bool_false(void **state)
{
    static const char *const no[] = {
        "false", "0", "0.0", "\"no\"", "\"No\"", "\"off\"", "\"0\"",
        "\"false\"", "\"FALSE\"", "\"n\"", "\"f\"",
    };
    (void)state;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        int b = 1;
        if (bool_of(no[i], &b) != 0 || b != 0)
            fail_msg("%s is not false", no[i]);
    }
}

static void test_bool_invalid(void **state)
{
    static const char *const bad[] = {
        "2", "-1", "0.5", "\"maybe\"", "\"\"", "\"yess\"", "\"2\"", "null",
        "[]", "{}", "\"truefalse\"",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int b;
        if (bool_of(bad[i], &b) == 0)
            fail_msg("%s was taken as a boolean", bad[i]);
    }
}

static void test_int(void **state)
{
    long n = 0;
    (void)state;
    assert_int_equal(int_of("3", &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(int_of("\"3\"", &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(int_of("\" 42 \"", &n), 0);
    assert_int_equal(n, 42);
    assert_int_equal(int_of("\"-7\"", &n), 0);
    assert_int_equal(n, -7);
    assert_int_equal(int_of("\"+8\"", &n), 0);
    assert_int_equal(n, 8);
    assert_int_equal(int_of("\"3.5\"", &n), -1);
    assert_int_equal(int_of("\"3x\"", &n), -1);
    assert_int_equal(int_of("\"\"", &n), -1);
    assert_int_equal(int_of("\"0x10\"", &n), -1);
    assert_int_equal(int_of("\"99999999999999999999999\"", &n), -1);
    assert_int_equal(int_of("3.5", &n), -1);
    assert_int_equal(int_of("true", &n), -1);
    assert_int_equal(int_of("null", &n), -1);
}

static void test_suggest(void **state)
{
    static const char *const known[] = {"concurrency", "prune", "force",
                                        "records", "src", NULL};
    (void)state;
    assert_string_equal(tu_suggest("concurency", known), "concurrency");
    assert_string_equal(tu_suggest("prnue", known), "prune");
    assert_string_equal(tu_suggest("recrods", known), "records");
    assert_string_equal(tu_suggest("scr", known), "src");
    assert_null(tu_suggest("zzzzzzzz", known));
    assert_null(tu_suggest("", known));
}

static void test_src_forms(void **state)
{
    tu_mod_args a;
    char msg[TU_MOD_MSG_MAX];
    (void)state;

    assert_int_equal(args_of("{\"src\": \"a.yaml\"}", &a, msg, sizeof msg), 0);
    assert_int_equal(a.nsrc, 1);
    assert_string_equal(a.src[0], "a.yaml");
    assert_null(a.document);
    tu_mod_args_free(&a);

    assert_int_equal(args_of("{\"src\": \"a.yaml, b.yaml,c.yaml\"}", &a, msg,
                             sizeof msg), 0);
    assert_int_equal(a.nsrc, 3);
    assert_string_equal(a.src[0], "a.yaml");
    assert_string_equal(a.src[1], "b.yaml");
    assert_string_equal(a.src[2], "c.yaml");
    tu_mod_args_free(&a);

    assert_int_equal(args_of("{\"src\": [\"/x/a.yaml\", \"b.yaml\"]}", &a,
                             msg, sizeof msg), 0);
    assert_int_equal(a.nsrc, 2);
    assert_string_equal(a.src[0], "/x/a.yaml");
    tu_mod_args_free(&a);
}

static void test_src_home(void **state)
{
    tu_mod_args a;
    char msg[TU_MOD_MSG_MAX];
    const char *home = getenv("HOME");
    char want[512];
    (void)state;

    if (!home || !*home)
        skip();
    snprintf(want, sizeof want, "%s/d/a.yaml", home);
    assert_int_equal(args_of("{\"src\": \"~/d/a.yaml\"}", &a, msg, sizeof msg),
                     0);
    assert_string_equal(a.src[0], want);
    tu_mod_args_free(&a);
    assert_int_equal(args_of("{\"src\": \"~user/a.yaml\"}", &a, msg,
                             sizeof msg), 0);
    assert_string_equal(a.src[0], "~user/a.yaml");
    tu_mod_args_free(&a);
}

static void test_src_invalid(void **state)
{
    (void)state;
    expect_error("{\"src\": []}", "'src' is an empty list");
    expect_error("{\"src\": \"\"}", "'src' holds an empty path");
    expect_error("{\"src\": \"a.yaml,,b.yaml\"}", "empty path");
    expect_error("{\"src\": [\"a.yaml\", 3]}", "item 2 is an integer");
    expect_error("{\"src\": {\"a\": 1}}", "'src' is a mapping");
}

static void test_scalars(void **state)
{
    tu_mod_args a;
    char msg[TU_MOD_MSG_MAX];
    (void)state;

    assert_int_equal(args_of("{\"src\": \"a\"}", &a, msg, sizeof msg), 0);
    assert_int_equal(a.prune, -1);
    assert_int_equal(a.force, 0);
    assert_int_equal(a.concurrency, 0);
    tu_mod_args_free(&a);

    /* what `ansible -a 'prune=yes force=no concurrency=3'` sends */
    assert_int_equal(args_of("{\"src\": \"a\", \"prune\": \"yes\", "
                             "\"force\": \"no\", \"concurrency\": \"3\"}",
                             &a, msg, sizeof msg), 0);
    assert_int_equal(a.prune, 1);
    assert_int_equal(a.force, 0);
    assert_int_equal(a.concurrency, 3);
    tu_mod_args_free(&a);

    assert_int_equal(args_of("{\"src\": \"a\", \"prune\": false, "
                             "\"force\": true, \"concurrency\": 10000}",
                             &a, msg, sizeof msg), 0);
    assert_int_equal(a.prune, 0);
    assert_int_equal(a.force, 1);
    assert_int_equal(a.concurrency, 10000);
    tu_mod_args_free(&a);

    /* null: not given, as with Ansible's own modules */
    assert_int_equal(args_of("{\"src\": \"a\", \"prune\": null, "
                             "\"concurrency\": null}", &a, msg, sizeof msg),
                     0);
    assert_int_equal(a.prune, -1);
    assert_int_equal(a.concurrency, 0);
    tu_mod_args_free(&a);
}

static void test_scalars_invalid(void **state)
{
    (void)state;
    expect_error("{\"src\": \"a\", \"prune\": \"maybe\"}",
                 "argument 'prune' is of type a string (\"maybe\") and "
                 "cannot be converted to a boolean");
    expect_error("{\"src\": \"a\", \"force\": 2}", "argument 'force'");
    expect_error("{\"src\": \"a\", \"concurrency\": \"lots\"}",
                 "argument 'concurrency' is a string (\"lots\"): it must be a "
                 "whole number from 1 to 10000");
    expect_error("{\"src\": \"a\", \"concurrency\": 0}", "from 1 to 10000");
    expect_error("{\"src\": \"a\", \"concurrency\": \"10001\"}",
                 "from 1 to 10000");
    expect_error("{\"src\": \"a\", \"concurrency\": 2.5}", "'concurrency'");
}

static void test_inline(void **state)
{
    tu_mod_args a;
    char msg[TU_MOD_MSG_MAX];
    json_t *doc;
    (void)state;

    assert_int_equal(args_of("{\"target\": {\"provider\": \"rest\"}, "
                             "\"records\": [{\"name\": \"a\"}], "
                             "\"defaults\": {\"ttl\": 60}, "
                             "\"settings\": null}", &a, msg, sizeof msg), 0);
    assert_null(a.src);
    doc = a.document;
    assert_non_null(doc);
    assert_int_equal(json_object_size(doc), 3);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(doc, "target"), "provider")),
                        "rest");
    assert_int_equal(json_array_size(json_object_get(doc, "records")), 1);
    tu_mod_args_free(&a);

    /* JSON in strings, as ad-hoc `-a 'records=[...]'` gives */
    assert_int_equal(args_of("{\"target\": \"{\\\"provider\\\": \\\"rest\\\"}\", "
                             "\"records\": \" [{\\\"name\\\": \\\"a\\\"}]\"}",
                             &a, msg, sizeof msg), 0);
    doc = a.document;
    assert_true(json_is_object(json_object_get(doc, "target")));
    assert_true(json_is_array(json_object_get(doc, "records")));
    tu_mod_args_free(&a);
}

static void test_inline_invalid(void **state)
{
    (void)state;
    expect_error("{\"target\": [1]}", "argument 'target' is a list: it must "
                 "be a mapping");
    expect_error("{\"records\": {\"a\": 1}}", "argument 'records' is a "
                 "mapping: it must be a list");
    expect_error("{\"records\": \"{\\\"a\\\": 1}\"}",
                 "argument 'records' is a string holding a mapping in JSON");
    expect_error("{\"target\": \"provider=rest\"}",
                 "argument 'target' is a string that is not JSON");
    expect_error("{\"settings\": 3}", "argument 'settings' is an integer");
}

static void test_internal_keys(void **state)
{
    tu_mod_args a;
    char msg[TU_MOD_MSG_MAX];
    (void)state;

    assert_int_equal(args_of("{\"src\": \"a\", \"_ansible_check_mode\": true, "
                             "\"_ansible_diff\": true, "
                             "\"_ansible_no_log\": false, "
                             "\"_ansible_verbosity\": 3, "
                             "\"_ansible_some_future_key\": {\"x\": 1}}",
                             &a, msg, sizeof msg), 0);
    assert_int_equal(a.check_mode, 1);
    assert_int_equal(a.diff, 1);
    assert_int_equal(a.no_log, 0);
    /* invocation shows the user's arguments only */
    assert_int_equal(json_object_size(a.module_args), 1);
    assert_non_null(json_object_get(a.module_args, "src"));
    tu_mod_args_free(&a);

    assert_int_equal(args_of("{\"src\": \"a\", \"_ansible_no_log\": "
                             "\"garbage\"}", &a, msg, sizeof msg), 0);
    assert_int_equal(a.no_log, 1);    /* unreadable: hide */
    assert_int_equal(a.check_mode, 0);
    tu_mod_args_free(&a);
}

static void test_unknown(void **state)
{
    (void)state;
    expect_error("{\"src\": \"a\", \"concurency\": 3}",
                 "Unsupported parameters for (trueup) module: concurency "
                 "(did you mean 'concurrency'?). Supported parameters "
                 "include: bulk, change_protected, concurrency, defaults, "
                 "force, plan, protect, prune, prune_scope, records, resources, "
                 "settings, shard, src, target.");
    expect_error("{\"src\": \"a\", \"zzz\": 1, \"recrods\": []}",
                 "zzz, recrods (did you mean 'records'?)");
}

static void test_shard(void **state)
{
    tu_mod_args a;
    char msg[TU_MOD_MSG_MAX];
    (void)state;
    assert_int_equal(args_of("{\"src\": \"a\", \"shard\": \"2/3\"}", &a,
                             msg, sizeof msg), 0);
    assert_int_equal(a.shard_index, 2);
    assert_int_equal(a.shard_count, 3);
    tu_mod_args_free(&a);
    assert_int_equal(args_of("{\"src\": \"a\"}", &a, msg, sizeof msg), 0);
    assert_int_equal(a.shard_count, 0);
    tu_mod_args_free(&a);
    expect_error("{\"src\": \"a\", \"shard\": \"3/3\"}",
                 "argument 'shard': shard '3/3' is not I/N");
    expect_error("{\"src\": \"a\", \"shard\": 1}",
                 "argument 'shard' is an integer: it must be a string I/N");
}

static void test_plan(void **state)
{
    tu_mod_args a;
    char msg[TU_MOD_MSG_MAX];
    (void)state;
    assert_int_equal(args_of("{\"plan\": \"p.json\", \"force\": true, "
                             "\"concurrency\": 4}", &a, msg, sizeof msg), 0);
    assert_string_equal(a.plan, "p.json");
    assert_int_equal(a.force, 1);
    tu_mod_args_free(&a);
    expect_error("{\"plan\": \"p.json\", \"src\": \"a\"}",
                 "parameters are mutually exclusive: plan|src");
    expect_error("{\"plan\": \"p.json\", \"records\": []}",
                 "mutually exclusive: plan|the inline desired state");
    expect_error("{\"plan\": \"p.json\", \"prune\": false}",
                 "mutually exclusive: plan|prune");
    expect_error("{\"plan\": \"p.json\", \"shard\": \"0/2\"}",
                 "mutually exclusive: plan|shard. A plan file is applied "
                 "exactly as it was planned");
    expect_error("{\"plan\": \"\"}", "argument 'plan' is an empty string");
    expect_error("{\"plan\": 3}", "argument 'plan' is an integer");
}

static void test_exclusive(void **state)
{
    (void)state;
    expect_error("{\"src\": \"a\", \"records\": [], \"target\": {}}",
                 "parameters are mutually exclusive: src|target, records");
    expect_error("{}", "no desired state: give src");
    expect_error("{\"prune\": true}", "no desired state");
    expect_error("[1]", "the module's arguments are a list, not a mapping");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bool_true),
        cmocka_unit_test(test_bool_false),
        cmocka_unit_test(test_bool_invalid),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_src_forms),
        cmocka_unit_test(test_src_home),
        cmocka_unit_test(test_src_invalid),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_scalars_invalid),
        cmocka_unit_test(test_inline),
        cmocka_unit_test(test_inline_invalid),
        cmocka_unit_test(test_internal_keys),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_shard),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_exclusive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
