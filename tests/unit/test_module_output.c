/* test_module_output.c -- modules/module_secrets.c and module_output.c:
 * where the Ansible module finds secret values (inline target, files, the
 * environment), how it scrubs text and JSON and censors
 * invocation.module_args; and the result object (msg wording, counts never
 * at the top level, `failed` only when something failed, diff only in diff
 * mode, the report's warnings as Ansible's, no record values under
 * no_log, everything scrubbed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules/module.h"

#define TOKEN "tok-0123456789-secret"

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!v)
        fail_msg("bad JSON in test: %s: %s", text, jerr.text);
    return v;
}

static int dumped_contains(const json_t *v, const char *needle)
{
    char *text = json_dumps(v, JSON_COMPACT);
    int found = text && strstr(text, needle) != NULL;
    free(text);
    return found;
}

/* ---- secrets -------------------------------------------------------------- */

static void test_add(void **state)
{
    tu_mod_secrets s;
    (void)state;
    tu_mod_secrets_init(&s);
    assert_int_equal(tu_mod_secrets_add(&s, "abc"), 0);     /* too short */
    assert_int_equal(tu_mod_secrets_add(&s, NULL), 0);
    assert_int_equal(tu_mod_secrets_add(&s, "abcd"), 0);
    assert_int_equal(tu_mod_secrets_add(&s, "abcd"), 0);    /* again */
    assert_int_equal(tu_mod_secrets_add(&s, "Bearer abcdefgh"), 0);
    assert_int_equal(tu_mod_secrets_add(&s, "abcdefgh"), 0);
    assert_int_equal(s.count, 3);
    /* longest first */
    assert_string_equal(s.values[0], "Bearer abcdefgh");
    assert_string_equal(s.values[1], "abcdefgh");
    assert_string_equal(s.values[2], "abcd");
    tu_mod_secrets_free(&s);
}

static void test_scrub_text(void **state)
{
    tu_mod_secrets s;
    char *out;
    (void)state;
    tu_mod_secrets_init(&s);
    out = tu_mod_scrub(&s, "nothing to hide");
    assert_string_equal(out, "nothing to hide");
    free(out);
    tu_mod_secrets_add(&s, TOKEN);
    tu_mod_secrets_add(&s, "Bearer " TOKEN);
    out = tu_mod_scrub(&s, "a " TOKEN " b Bearer " TOKEN " c" TOKEN TOKEN);
    assert_string_equal(out, "a *** b *** c******");
    free(out);
    tu_mod_secrets_free(&s);
}

static void test_scrub_json(void **state)
{
    tu_mod_secrets s;
    json_t *v = parse("{\"a\": [\"x " TOKEN "\", 3, {\"" TOKEN "\": \""
                      TOKEN "\"}], \"b\": \"clean\"}");
    (void)state;
    tu_mod_secrets_init(&s);
    tu_mod_secrets_add(&s, TOKEN);
    assert_int_equal(tu_mod_scrub_json(&s, v), 0);
    assert_false(dumped_contains(v, TOKEN));
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(v, "a"), 0)), "x ***");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(v, "a"), 2),
                            "***")), "***");
    assert_string_equal(json_string_value(json_object_get(v, "b")), "clean");
    json_decref(v);
    tu_mod_secrets_free(&s);
}

static void test_sensitive_name(void **state)
{
    (void)state;
    assert_true(tu_mod_sensitive_name("Authorization"));
    assert_true(tu_mod_sensitive_name("X-API-Key"));
    assert_true(tu_mod_sensitive_name("Cookie"));
    assert_true(tu_mod_sensitive_name("API_TOKEN"));
    assert_true(tu_mod_sensitive_name("DB_PASSWORD"));
    assert_true(tu_mod_sensitive_name("client_secret"));
    assert_false(tu_mod_sensitive_name("Accept"));
    assert_false(tu_mod_sensitive_name("Content-Type"));
    assert_false(tu_mod_sensitive_name("HOME"));
    assert_false(tu_mod_sensitive_name("PATH"));
}

static void test_from_target(void **state)
{
    tu_mod_secrets s;
    json_t *target;
    (void)state;

    setenv("TU_T_TOKEN", TOKEN, 1);
    setenv("TU_T_PASS", "pass-word-1", 1);
    setenv("TU_T_OTHER", "other-secret-2", 1);
    target = parse(
        "{\"provider\": \"rest\", \"base_url\": \"http://h\","
        " \"headers\": {\"Accept\": \"application/json\","
        "               \"X-Api-Key\": \"literal-key-3\"},"
        " \"auth\": {\"type\": \"basic\", \"username\": \"user\","
        "            \"password_env\": \"TU_T_PASS\"},"
        " \"extra\": [{\"future_env\": \"TU_T_OTHER\"}],"
        " \"more\": {\"token_env\": \"TU_T_TOKEN\","
        "            \"missing_env\": \"TU_T_NOT_SET_ANYWHERE\"}}");
    tu_mod_secrets_init(&s);
    assert_int_equal(tu_mod_secrets_from_target(&s, target), 0);
    {
        static const char *const want[] = {
            TOKEN, "pass-word-1", "other-secret-2", "literal-key-3",
            "dXNlcjpwYXNzLXdvcmQtMQ==",   /* base64("user:pass-word-1") */
        };
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            size_t j;
            for (j = 0; j < s.count; j++)
                if (strcmp(s.values[j], want[i]) == 0)
                    break;
            if (j == s.count)
                fail_msg("secret %s not collected", want[i]);
        }
        assert_int_equal(s.count, 5);   /* not "application/json" */
    }
    tu_mod_secrets_free(&s);
    json_decref(target);

    tu_mod_secrets_init(&s);
    assert_int_equal(tu_mod_secrets_from_target(&s, NULL), 0);
    assert_int_equal(s.count, 0);
    tu_mod_secrets_free(&s);
}

static void test_from_file(void **state)
{
    char path[] = "/tmp/tu-module-secrets-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    tu_mod_secrets s;
    (void)state;

    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs("target:\n"
          "  auth: {type: bearer, token_env: TU_F_ONE}\n"
          "  other:\n"
          "    \"password_env\": 'TU_F_TWO'\n"
          "    flow: {\"value_env\":\"TU_F_NOSPACE\"}\n"
          "    not_env_key: TU_F_THREE\n"
          "    _env: TU_F_THREE\n"
          "records: [{name: x, token_env_like: TU_F_THREE}]\n", f);
    fclose(f);
    setenv("TU_F_ONE", "file-secret-one", 1);
    setenv("TU_F_TWO", "file-secret-two", 1);
    setenv("TU_F_NOSPACE", "file-secret-nospace", 1);
    setenv("TU_F_THREE", "not-a-secret-three", 1);
    tu_mod_secrets_init(&s);
    assert_int_equal(tu_mod_secrets_from_file(&s, path), 0);
    assert_int_equal(s.count, 3);
    {
        char *out = tu_mod_scrub(&s, "file-secret-one file-secret-two "
                                     "file-secret-nospace not-a-secret-three");
        assert_string_equal(out, "*** *** *** not-a-secret-three");
        free(out);
    }
    tu_mod_secrets_free(&s);
    unlink(path);

    tu_mod_secrets_init(&s);
    assert_int_equal(tu_mod_secrets_from_file(&s, "/nonexistent/x.yaml"), 0);
    assert_int_equal(s.count, 0);
    tu_mod_secrets_free(&s);
}

static void test_from_environ(void **state)
{
    char *env[] = {
        "HOME=/root/some/where", "API_TOKEN=environ-token-1",
        "DB_PASSWORD=short", "MY_SECRET_KEY=environ-secret-2", "NOEQUALS",
        "PATH=/usr/bin:/bin", NULL,
    };
    tu_mod_secrets s;
    (void)state;
    tu_mod_secrets_init(&s);
    assert_int_equal(tu_mod_secrets_from_environ(&s, env), 0);
    assert_int_equal(s.count, 2);
    tu_mod_secrets_free(&s);
}

static void test_censor_args(void **state)
{
    tu_mod_secrets s;
    json_t *args = parse(
        "{\"target\": {\"headers\": {\"X-Api-Key\": \"" TOKEN "\","
        "                            \"Accept\": \"application/json\"},"
        "              \"auth\": {\"token_env\": \"API_TOKEN\"}},"
        " \"records\": [{\"name\": \"a\", \"note\": \"has " TOKEN " inside\"}],"
        " \"concurrency\": \"3\"}");
    json_t *c;
    (void)state;

    tu_mod_secrets_init(&s);
    tu_mod_secrets_add(&s, TOKEN);
    c = tu_mod_censor_args(&s, args);
    assert_non_null(c);
    assert_false(dumped_contains(c, TOKEN));
    assert_string_equal(json_string_value(json_object_get(json_object_get(
                            json_object_get(c, "target"), "headers"),
                            "X-Api-Key")), TU_MOD_NO_LOG_VALUE);
    assert_string_equal(json_string_value(json_object_get(json_array_get(
                            json_object_get(c, "records"), 0), "note")),
                        TU_MOD_NO_LOG_VALUE);
    assert_string_equal(json_string_value(json_object_get(json_object_get(
                            json_object_get(c, "target"), "auth"),
                            "token_env")), "API_TOKEN");
    /* the original is untouched */
    assert_true(dumped_contains(args, TOKEN));
    json_decref(c);
    json_decref(args);
    tu_mod_secrets_free(&s);
}

/* ---- the result ------------------------------------------------------------- */

static const char *const REPORT =
    "{\"mode\": \"apply\", \"changed\": true, \"total\": 6, \"succeeded\": 3,"
    " \"skipped\": 1, \"failed\": 2, \"created\": 1, \"updated\": 1,"
    " \"deleted\": 1, \"requests\": 9, \"write_requests\": 5, \"retries\": 1,"
    " \"concurrency\": 4, \"elapsed_ms\": 12,"
    " \"warnings\": [\"too many deletes: 40% is over 30% (" TOKEN "); "
    "review the plan, or raise settings.max_deletes\"],"
    " \"threshold_exceeded\": true,"
    " \"results\": ["
    "  {\"key\": \"a|A\", \"action\": \"update\", \"status\": \"ok\","
    "   \"http_status\": 200, \"attempts\": 1,"
    "   \"changes\": {\"ttl\": {\"before\": 1, \"after\": 2}}},"
    "  {\"key\": \"b|A\", \"action\": \"create\", \"status\": \"ok\","
    "   \"changes\": {\"note\": {\"after\": \"" TOKEN "\"}}},"
    "  {\"key\": \"c|A\", \"action\": \"delete\", \"status\": \"ok\"},"
    "  {\"key\": \"d|A\", \"action\": \"update\", \"status\": \"failed\","
    "   \"error\": \"PATCH http://h/d: HTTP 500: echo " TOKEN "\","
    "   \"changes\": {\"ttl\": {\"before\": 1, \"after\": 2}}},"
    "  {\"key\": \"e|A\", \"action\": \"none\", \"status\": \"failed\","
    "   \"error\": \"ambiguous\"}]}";

/* REPORT's results, typed, as tu_report_result gives them. */
static const tu_record_result RESULTS[] = {
    {.key = "a|A", .action = "update", .status = "ok", .http_status = 200,
     .attempts = 1, .changes = "{\"ttl\":{\"before\":1,\"after\":2}}"},
    {.key = "b|A", .action = "create", .status = "ok",
     .changes = "{\"note\":{\"after\":\"" TOKEN "\"}}"},
    {.key = "c|A", .action = "delete", .status = "ok"},
    {.key = "d|A", .action = "update", .status = "failed",
     .error = "PATCH http://h/d: HTTP 500: echo " TOKEN,
     .message = "PATCH http://h/d: HTTP 500: echo " TOKEN,
     .changes = "{\"ttl\":{\"before\":1,\"after\":2}}"},
    {.key = "e|A", .action = "none", .status = "failed",
     .error = "ambiguous", .message = "ambiguous"},
};
#define NRESULTS (sizeof RESULTS / sizeof RESULTS[0])

/* The module's view of a report: its JSON, RESULTS, the counts. */
static json_t *result_of(const json_t *report, const tu_counts *c,
                         const tu_mod_args *args, const tu_mod_secrets *s)
{
    tu_mod_report parts = {report, RESULTS, NRESULTS, *c, 1};
    return tu_mod_result_parts(&parts, args, s);
}

static void counts_of(tu_counts *c, size_t created, size_t updated,
                      size_t deleted, size_t skipped, size_t failed)
{
    memset(c, 0, sizeof *c);
    c->created = created;
    c->updated = updated;
    c->deleted = deleted;
    c->skipped = skipped;
    c->failed = failed;
    c->succeeded = created + updated + deleted;
    c->total = c->succeeded + skipped + failed;
}

static void test_summary(void **state)
{
    tu_mod_secrets s;
    tu_counts c;
    char msg[TU_MOD_MSG_MAX];
    (void)state;

    tu_mod_secrets_init(&s);
    counts_of(&c, 3, 120, 0, 877, 0);
    tu_mod_summary(&c, TU_MODE_APPLY, NULL, 0, &s, msg, sizeof msg);
    assert_string_equal(msg, "3 created, 120 updated, 0 deleted, 877 "
                             "unchanged, 0 failed");
    tu_mod_summary(&c, TU_MODE_PLAN, NULL, 0, &s, msg, sizeof msg);
    assert_string_equal(msg, "check mode: 3 to create, 120 to update, 0 to "
                             "delete, 877 unchanged, 0 failed");

    tu_mod_secrets_add(&s, TOKEN);
    counts_of(&c, 1, 1, 1, 1, 2);
    tu_mod_summary(&c, TU_MODE_APPLY, RESULTS, NRESULTS, &s, msg,
                   sizeof msg);
    assert_string_equal(msg, "2 records failed: d|A: PATCH http://h/d: HTTP "
                             "500: echo ***; e|A: ambiguous. 1 created, 1 "
                             "updated, 1 deleted, 1 unchanged, 2 failed");

    /* more failures than are named */
    counts_of(&c, 0, 0, 0, 0, 5);
    tu_mod_summary(&c, TU_MODE_APPLY, RESULTS, NRESULTS, &s, msg,
                   sizeof msg);
    assert_non_null(strstr(msg, "5 records failed: d|A: "));
    assert_non_null(strstr(msg, "; e|A: ambiguous; and 3 more. "));
    tu_mod_secrets_free(&s);
}

static void test_result(void **state)
{
    tu_mod_secrets s;
    tu_mod_args args;
    tu_counts c;
    json_t *report = parse(REPORT), *out, *counts;
    (void)state;

    memset(&args, 0, sizeof args);
    args.diff = 1;
    args.module_args = parse("{\"records\": [{\"note\": \"" TOKEN "\"}]}");
    tu_mod_secrets_init(&s);
    tu_mod_secrets_add(&s, TOKEN);
    counts_of(&c, 1, 1, 1, 1, 2);
    out = result_of(report, &c, &args, &s);
    assert_non_null(out);
    assert_false(dumped_contains(out, TOKEN));
    assert_true(json_is_true(json_object_get(out, "changed")));
    assert_true(json_is_true(json_object_get(out, "failed")));
    assert_string_equal(json_string_value(json_object_get(out, "mode")),
                        "apply");
    /* counts are never top-level keys */
    assert_null(json_object_get(out, "total"));
    assert_null(json_object_get(out, "created"));
    counts = json_object_get(out, "counts");
    assert_int_equal(json_object_size(counts), 8);
    assert_int_equal(json_integer_value(json_object_get(counts, "failed")), 2);
    assert_int_equal(json_integer_value(json_object_get(counts, "total")), 6);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(out, "stats"), "write_requests")), 5);
    assert_int_equal(json_array_size(json_object_get(out, "results")), 5);
    assert_int_equal(json_array_size(json_object_get(out, "diff")), 3);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(out, "warnings"), 0)),
                        "too many deletes: 40% is over 30% (***); review "
                        "the plan, or raise settings.max_deletes");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(out, "warnings"), 1)),
                        "set force: true to go past the safety thresholds");
    {
        json_t *inv = json_object_get(json_object_get(out, "invocation"),
                                      "module_args");
        json_t *rec = json_array_get(json_object_get(inv, "records"), 0);
        assert_string_equal(json_string_value(json_object_get(rec, "note")),
                            TU_MOD_NO_LOG_VALUE);
    }
    /* the report itself was not changed */
    assert_true(dumped_contains(report, TOKEN));
    json_decref(out);

    /* no warnings in the report: no `warnings` key */
    {
        json_t *quiet = json_deep_copy(report);
        json_object_set_new(quiet, "warnings", json_array());
        json_object_del(quiet, "threshold_exceeded");
        out = result_of(quiet, &c, &args, &s);
        assert_null(json_object_get(out, "warnings"));
        json_decref(out);
        json_object_del(quiet, "warnings");
        out = result_of(quiet, &c, &args, &s);
        assert_null(json_object_get(out, "warnings"));
        json_decref(out);
        json_decref(quiet);
    }

    /* nothing failed: no `failed` key at all; no diff without diff mode */
    args.diff = 0;
    counts_of(&c, 1, 1, 1, 1, 0);
    out = result_of(report, &c, &args, &s);
    assert_null(json_object_get(out, "failed"));
    assert_null(json_object_get(out, "diff"));
    json_decref(out);

    /* no_log: no record values */
    args.diff = 1;
    args.no_log = 1;
    out = result_of(report, &c, &args, &s);
    assert_null(json_object_get(out, "diff"));
    assert_null(json_object_get(out, "invocation"));
    assert_false(dumped_contains(out, "\"changes\""));
    assert_int_equal(json_array_size(json_object_get(out, "results")), 5);
    json_decref(out);

    /* check mode */
    args.no_log = 0;
    args.check_mode = 1;
    out = result_of(report, &c, &args, &s);
    assert_string_equal(json_string_value(json_object_get(out, "mode")),
                        "plan");
    assert_non_null(strstr(json_string_value(json_object_get(out, "msg")),
                           "check mode: 1 to create"));
    json_decref(out);

    tu_mod_args_free(&args);
    tu_mod_secrets_free(&s);
    json_decref(report);
}

static void test_failure(void **state)
{
    tu_mod_secrets s;
    tu_mod_args args;
    json_t *out;
    (void)state;

    tu_mod_secrets_init(&s);
    tu_mod_secrets_add(&s, TOKEN);
    out = tu_mod_failure("cannot connect with " TOKEN, NULL, &s);
    assert_true(json_is_false(json_object_get(out, "changed")));
    assert_true(json_is_true(json_object_get(out, "failed")));
    assert_string_equal(json_string_value(json_object_get(out, "msg")),
                        "cannot connect with ***");
    assert_null(json_object_get(out, "invocation"));
    json_decref(out);


    memset(&args, 0, sizeof args);
    args.module_args = parse("{\"src\": \"a.yaml\"}");
    out = tu_mod_failure("bad", &args, &s);
    assert_string_equal(json_string_value(json_object_get(json_object_get(
                            json_object_get(out, "invocation"), "module_args"),
                            "src")), "a.yaml");
    json_decref(out);
    args.no_log = 1;
    out = tu_mod_failure("bad", &args, &s);
    assert_null(json_object_get(out, "invocation"));
    json_decref(out);
    tu_mod_args_free(&args);
    tu_mod_secrets_free(&s);
}

static void test_print(void **state)
{
    char buf[256] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    json_t *v = parse("{\"changed\": false, \"msg\": \"x\"}");
    (void)state;
    assert_int_equal(tu_mod_print(f, v), 0);
    fclose(f);
    assert_string_equal(buf, "{\"changed\":false,\"msg\":\"x\"}\n");
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_scrub_text),
        cmocka_unit_test(test_scrub_json),
        cmocka_unit_test(test_sensitive_name),
        cmocka_unit_test(test_from_target),
        cmocka_unit_test(test_from_file),
        cmocka_unit_test(test_from_environ),
        cmocka_unit_test(test_censor_args),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_result),
        cmocka_unit_test(test_failure),
        cmocka_unit_test(test_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
