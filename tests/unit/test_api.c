/* test_api.c -- the public API (include/trueup/trueup.h), one test per
 * function that needs no server: tu_version, tu_free, tu_options_init,
 * tu_desired_load (success, merge, and located errors),
 * tu_desired_load_json, tu_desired_secret,
 * tu_desired_record_count, tu_desired_free, and tu_run's refusal when the API cannot be reached
 * (nothing listens on the port: the run cannot proceed). The report
 * functions are covered by test_report.c, a full run by the integration
 * tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trueup/trueup.h"

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/tu_api_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static const char target_yaml[] =
    "target:\n"
    "  provider: rest\n"
    "  base_url: http://127.0.0.1:1/\n"
    "  resource: {list: /records, key: [name, type]}\n";

static void test_version(void **state)
{
    (void)state;
    assert_string_equal(tu_version(), TU_VERSION);
}

/* tu_free frees what tu_json_dumps hands over (the sanitizer and
 * valgrind builds see a leak or a mismatched free), and takes NULL. */
static void test_tu_free(void **state)
{
    json_t *v = json_pack("{s:f}", "ttl", 558.8);
    char *text = tu_json_dumps(v, JSON_COMPACT);

    (void)state;
    assert_non_null(text);
    assert_string_equal(text, "{\"ttl\":558.8}");
    tu_free(text);
    tu_free(NULL);
    json_decref(v);
}

static void test_options_init(void **state)
{
    tu_options o;
    (void)state;
    memset(&o, 0x5a, sizeof o);
    tu_options_init(&o);
    assert_int_equal(o.mode, TU_MODE_PLAN);
    assert_int_equal(o.concurrency, 0);
    assert_int_equal(o.prune, -1);
    assert_null(o.progress);
    assert_null(o.progress_data);
    assert_null(o.record);         /* no record callback */
    assert_null(o.record_data);
}

static void test_desired_load_and_count(void **state)
{
    char *target = write_temp(target_yaml);
    char *records = write_temp("defaults: {ttl: 600}\nrecords:\n"
                               "  - {name: a, type: A}\n"
                               "  - {name: b, type: A, state: absent}\n");
    const char *paths[] = {target, records};
    tu_error err = {0};
    tu_desired *d;
    (void)state;

    d = tu_desired_load(paths, 2, &err);
    assert_non_null(d);
    assert_string_equal(err.message, "");
    assert_int_equal(tu_desired_record_count(d), 2);
    tu_desired_free(d);
    tu_desired_free(NULL); /* like free(NULL) */
    unlink(target);
    unlink(records);
    free(target);
    free(records);
}

static void test_desired_load_errors(void **state)
{
    char *bad = write_temp("target:\n  provider: rest\n  base_url: "
                           "http://x\n  resourse: {}\n");
    char msg[512];
    const char *paths[] = {bad};
    tu_error err = {0};
    (void)state;

    assert_null(tu_desired_load(paths, 1, &err));
    snprintf(msg, sizeof msg, "%s:4:3: target: unknown key 'resourse' "
             "(did you mean 'resource'?)", bad);
    assert_string_equal(err.message, msg);
    assert_null(tu_desired_load(paths, 0, &err));
    assert_string_equal(err.message, "no desired-state file given");
    assert_null(tu_desired_load(paths, 1, NULL)); /* err may be NULL */
    unlink(bad);
    free(bad);
}

static void test_desired_load_json(void **state)
{
    json_error_t jerr;
    json_t *doc = json_loads(
        "{\"target\": {\"provider\": \"rest\", \"base_url\": \"http://x\","
        " \"resource\": {\"list\": \"/r\", \"key\": \"name\"}},"
        " \"defaults\": {\"ttl\": 60},"
        " \"records\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}", 0, &jerr);
    json_t *before = json_deep_copy(doc);
    tu_error err = {0};
    tu_desired *d;
    (void)state;

    assert_non_null(doc);
    d = tu_desired_load_json(doc, "module arguments", &err);
    assert_non_null(d);
    assert_int_equal(tu_desired_record_count(d), 2);
    tu_desired_free(d);
    assert_true(json_equal(doc, before)); /* only read */

    json_object_set_new(json_object_get(doc, "target"), "base_ur",
                        json_string("x"));
    assert_null(tu_desired_load_json(doc, "module arguments", &err));
    assert_string_equal(err.message, "target: unknown key 'base_ur' (did "
                        "you mean 'base_url'?)");
    assert_null(tu_desired_load_json(json_object_get(doc, "records"),
                                     "module arguments", &err));
    assert_string_equal(err.message, "module arguments: the file must be a "
                        "mapping with target, settings, defaults and "
                        "records; got a list");
    json_decref(doc);
    json_decref(before);
}

/* The secrets a target read from the environment, derived forms too. */
static void test_desired_secret(void **state)
{
    char *path = write_temp(
        "target:\n  provider: rest\n  base_url: http://127.0.0.1:1\n"
        "  auth: {type: basic, username: ann, password_env: TU_TEST_PW}\n"
        "  resource: {list: /r, key: name}\n");
    const char *paths[] = {path};
    tu_error err = {0};
    tu_desired *d;
    (void)state;

    setenv("TU_TEST_PW", "s3cret-pw", 1);
    d = tu_desired_load(paths, 1, &err);
    assert_non_null(d);
    assert_string_equal(tu_desired_secret(d, 0), "s3cret-pw");
    /* base64("ann:s3cret-pw"), alone and as the header value */
    assert_string_equal(tu_desired_secret(d, 1), "YW5uOnMzY3JldC1wdw==");
    assert_string_equal(tu_desired_secret(d, 2),
                        "Basic YW5uOnMzY3JldC1wdw==");
    assert_null(tu_desired_secret(d, 3));
    tu_desired_free(d);
    unsetenv("TU_TEST_PW");
    unlink(path);
    free(path);
}

/* A rule whose match key can never select a live record (a write-only
 * field, a path into a field read as a part) is a located error at load;
 * the same rule given by a program is refused and not kept. */
static void test_match_keys_that_never_select(void **state)
{
    static const char head[] =
        "target:\n  provider: rest\n  base_url: http://127.0.0.1:1\n"
        "  resource: {list: /r, key: name}\n"
        "  fields:\n    pw: {write_only: true, value_env: HOME}\n"
        "    tenant: {read: id}\n";
    char text[1024], *path;
    const char *paths[1], *pw[] = {"pw=x"}, *tenant[] = {"tenant.name=a"},
               *ok[] = {"tenant=3"}, *set[] = {"ttl=5"};
    tu_error err = {0};
    tu_desired *d;
    (void)state;

    snprintf(text, sizeof text, "%sprotect:\n  - match: {pw: x}\n", head);
    paths[0] = path = write_temp(text);
    assert_null(tu_desired_load(paths, 1, &err));
    assert_non_null(strstr(err.message, ":9:5: protect[0]: match key 'pw' "
                           "can never select a record: 'pw' is write_only"));
    unlink(path);
    free(path);
    snprintf(text, sizeof text, "%sprune_scope:\n  - match: {tenant.name: "
             "a}\n", head);
    paths[0] = path = write_temp(text);
    assert_null(tu_desired_load(paths, 1, &err));
    assert_non_null(strstr(err.message, "'tenant' is read as its 'id' "
                           "part"));
    unlink(path);
    free(path);
    paths[0] = path = write_temp(head);
    assert_non_null(d = tu_desired_load(paths, 1, &err));
    assert_int_equal(tu_desired_add_bulk(d, pw, 1, set, 1, NULL, &err), -1);
    assert_non_null(strstr(err.message, "match key 'pw'"));
    assert_int_equal(tu_desired_add_bulk(d, tenant, 1, set, 1, NULL, &err),
                     -1);
    assert_int_equal(tu_desired_add_bulk(d, ok, 1, set, 1, NULL, &err), 0);
    tu_desired_free(d);
    unlink(path);
    free(path);
}

/* tu_desired_add_bulk words its messages with the caller's names for the
 * two lists, or names them as settings: the library never speaks of the
 * CLI's flags on its own. */
static void test_bulk_messages(void **state)
{
    static const tu_bulk_names cli = {"--match", "--set"};
    char *target = write_temp(target_yaml);
    const char *paths[] = {target};
    const char *no_eq[] = {"type"}, *ok[] = {"type=A"}, *null[] = {"ttl="};
    tu_error err = {0};
    tu_desired *d = tu_desired_load(paths, 1, &err);
    (void)state;

    assert_non_null(d);
    assert_int_equal(tu_desired_add_bulk(d, no_eq, 1, ok, 1, NULL, &err), -1);
    assert_string_equal(err.message, "bulk rule: match 'type': expected "
                        "FIELD=VALUE, as in type=A");
    assert_int_equal(tu_desired_add_bulk(d, no_eq, 1, ok, 1, &cli, &err), -1);
    assert_string_equal(err.message, "--match 'type': expected FIELD=VALUE, "
                        "as in type=A");
    assert_int_equal(tu_desired_add_bulk(d, ok, 1, null, 1, NULL, &err), -1);
    assert_string_equal(err.message, "bulk rule: set 'ttl=': null cannot be "
                        "set in bulk; name the field's value");
    assert_int_equal(tu_desired_add_bulk(d, NULL, 0, ok, 1, NULL, &err), -1);
    assert_string_equal(err.message, "bulk rule: set needs at least one match "
                        "FIELD=VALUE (to select every record: match 'name=*')");
    assert_int_equal(tu_desired_add_bulk(d, NULL, 0, ok, 1, &cli, &err), -1);
    assert_string_equal(err.message, "--set needs at least one --match "
                        "FIELD=VALUE (to select every record: --match "
                        "'name=*')");
    assert_int_equal(tu_desired_add_bulk(d, ok, 1, NULL, 0, &cli, &err), -1);
    assert_string_equal(err.message, "--match needs at least one --set "
                        "FIELD=VALUE");
    assert_int_equal(tu_desired_add_bulk(d, ok, 1, ok, 1, NULL, &err), 0);
    assert_int_equal(err.code, TU_OK);
    tu_desired_free(d);
    unlink(target);
    free(target);
}

static void test_run_cannot_reach_api(void **state)
{
    char *target = write_temp(target_yaml);
    const char *paths[] = {target};
    tu_error err = {0};
    tu_options o;
    tu_desired *d = tu_desired_load(paths, 1, &err);
    (void)state;

    assert_non_null(d);
    tu_options_init(&o);
    o.mode = TU_MODE_APPLY;
    assert_null(tu_run(d, &o, &err));
    assert_non_null(strstr(err.message, "GET http://127.0.0.1:1/records: "));
    assert_non_null(strstr(err.message, "(after 4 attempts)"));
    assert_int_equal(err.code, TU_ERR_FETCH);
    tu_desired_free(d);
    unlink(target);
    free(target);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_tu_free),
        cmocka_unit_test(test_options_init),
        cmocka_unit_test(test_desired_load_and_count),
        cmocka_unit_test(test_desired_load_errors),
        cmocka_unit_test(test_desired_load_json),
        cmocka_unit_test(test_desired_secret),
        cmocka_unit_test(test_bulk_messages),
        cmocka_unit_test(test_match_keys_that_never_select),
        cmocka_unit_test(test_run_cannot_reach_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
