/* test_target_fields.c -- engine/target_fields.c through tu_target_parse:
 * target.fields with the ignore list's dotted paths and strip_suffix
 * templates filled from target.vars once at load, and the load errors
 * (file:line:col) of paths that can never take effect and of suffixes
 * whose variables do not give one value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "engine/target.h"
#include "state/yaml_load.h"

/* the REST provider, as target documents here name it */
extern const tu_provider_ops tu_provider_rest;

/* Parse the target of YAML text: 0 (the target freed again), or -1 with
 * err set. */
static int parse(const char *yaml, tu_target *t, tu_error *err)
{
    tu_srcmap *map = tu_srcmap_new();
    json_t *root;
    int rc = -1;

    memset(t, 0, sizeof *t);
    root = tu_yaml_load_string(yaml, strlen(yaml), "t.yaml", map, err);
    if (root)
        rc = tu_target_parse(t, &tu_provider_rest,
                             json_object_get(root, "target"), map, err);
    if (rc == 0)
        tu_target_free(t);
    json_decref(root);
    tu_srcmap_free(map);
    return rc;
}

#define HEAD "target:\n  provider: rest\n  base_url: http://h\n"
#define RES "  resource: {list: /r, key: [name], create: POST /r}\n"

static void fails(const char *yaml, const char *expected)
{
    tu_target t;
    tu_error err = {0};
    assert_int_equal(parse(yaml, &t, &err), -1);
    assert_string_equal(err.message, expected);
}

/* What a loaded target's rules hold, checked while its document lives. */
static void test_loaded(void **state)
{
    static const char yaml[] =
        HEAD "  vars: {domain: example.com, zone: z1}\n"
        "  fields:\n"
        "    name: {strip_suffix: '.{domain}', write_as: subdomain}\n"
        "    fqdn: {strip_suffix: '.{zone}.{domain}'}\n"
        "    plain: {strip_suffix: .org}\n"
        "  resource: {list: /r, key: [name], create: POST /r,\n"
        "             ignore: [query.time_range, other]}\n";
    tu_srcmap *map = tu_srcmap_new();
    tu_error err = {0};
    json_t *root = tu_yaml_load_string(yaml, strlen(yaml), "t.yaml", map,
                                       &err);
    tu_target t;
    (void)state;

    assert_non_null(root);
    if (tu_target_parse(&t, &tu_provider_rest, json_object_get(root,
                                                               "target"),
                        map, &err))
        fail_msg("%s", err.message);
    assert_string_equal(tu_field_rule_get(&t.fields, "name")->strip_suffix,
                        ".example.com");
    assert_string_equal(tu_field_rule_get(&t.fields, "fqdn")->strip_suffix,
                        ".z1.example.com");
    assert_string_equal(tu_field_rule_get(&t.fields, "plain")->strip_suffix,
                        ".org");
    assert_true(tu_field_path_rule(&t.fields, "query.time_range")->ignored);
    assert_true(tu_field_rule_get(&t.fields, "query")->nested);
    assert_null(tu_field_rule_get(&t.fields, "other"));
    tu_target_free(&t);
    json_decref(root);
    tu_srcmap_free(map);
}

static void test_errors(void **state)
{
    (void)state;
    fails(HEAD "  fields:\n    name: {strip_suffix: '.{domain}'}\n" RES,
          "t.yaml:5:5: target.fields.name.strip_suffix: {domain} names no "
          "variable of target.vars");
    fails(HEAD "  vars: {domain: [a.org, b.org]}\n"
          "  fields:\n    name: {strip_suffix: '.{domain}'}\n" RES,
          "t.yaml:6:5: target.fields.name.strip_suffix: {domain} is a "
          "variable with several values; a suffix takes one");
    fails(HEAD "  fields:\n    name: {strip_suffix: '.{domain'}\n" RES,
          "t.yaml:5:5: target.fields.name.strip_suffix: a '{' without its "
          "'}'");
    fails(HEAD "  resource: {list: /r, key: [name], create: POST /r,\n"
          "             ignore: [name.first]}\n",
          "t.yaml:5:14: target.resource.ignore: 'name.first': name is a key "
          "field, matched exactly as a whole, so a path inside it never "
          "takes effect; drop the path");
    fails(HEAD "  fields: {query: read_only}\n"
          "  resource: {list: /r, key: [name], create: POST /r,\n"
          "             ignore: [query.time_range]}\n",
          "t.yaml:6:14: target.resource.ignore: 'query.time_range': query "
          "is read_only as a whole, so a path inside it never takes "
          "effect; drop the path");
    fails(HEAD "  fields: {query.time_range: {compare: set}}\n"
          "  resource: {list: /r, key: [name], create: POST /r,\n"
          "             ignore: [query]}\n",
          "t.yaml:4:12: target.fields.query.time_range: query is ignored "
          "as a whole, so a path inside it never takes effect; drop the "
          "path");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loaded),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
