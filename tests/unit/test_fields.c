/* test_fields.c -- state/fields.h: parsing target.fields (every rule, the
 * shorthands, located errors for rules that do not go together, paths that
 * can never take effect, two fields sent under one name), comparing under
 * compare (set, caseless, number, declared) and split rules and with paths
 * inside values (the ignore list's too), the live record read through
 * `read`, write-only values from the environment, export without the
 * paths read_only or ignored, and the bodies of creates and of updates
 * made each update_body way, in their written form (write_as,
 * strip_suffix, read_only paths left out).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "state/fields.h"
#include "state/yaml_load.h"

static const char *key_fields[] = {"name"};
static const tu_keyspec key = {key_fields, 1};

/* ---- helpers ------------------------------------------------------------ */

static json_t *js(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad JSON <<%s>>: %s", text, jerr.text);
    return v;
}

static void assert_json(const json_t *v, const char *expected)
{
    char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    assert_non_null(got);
    assert_string_equal(got, expected);
    free(got);
}

/* Rules parsed from YAML text (the mapping under `fields:`). */
typedef struct parsed {
    tu_srcmap *map;
    json_t *root;
    tu_field_rules rules;
    tu_error err;
    int rc;
} parsed;

static void parse(parsed *p, const char *yaml)
{
    memset(p, 0, sizeof *p);
    p->map = tu_srcmap_new();
    p->root = tu_yaml_load_string(yaml, strlen(yaml), "t.yaml", p->map,
                                  &p->err);
    assert_non_null(p->root);
    p->rc = tu_field_rules_parse(&p->rules,
                                 json_object_get(p->root, "fields"), &key,
                                 p->map, &p->err);
}

static void parsed_free(parsed *p)
{
    tu_field_rules_free(&p->rules);
    json_decref(p->root);
    tu_srcmap_free(p->map);
}

static void parse_ok(parsed *p, const char *yaml)
{
    parse(p, yaml);
    if (p->rc != 0)
        fail_msg("parse failed: %s", p->err.message);
}

static void parse_fails(const char *yaml, const char *expected)
{
    parsed p;
    parse(&p, yaml);
    assert_int_equal(p.rc, -1);
    assert_string_equal(p.err.message, expected);
    assert_int_equal(p.rules.count, 0);
    parsed_free(&p);
}

static int equal_under(const tu_field_rules *rules, const char *field,
                       const char *want, const char *have)
{
    json_t *a = js(want), *b = js(have);
    int eq = tu_field_equal(rules, field, a, b);
    json_decref(a);
    json_decref(b);
    return eq;
}

/* ---- parsing ------------------------------------------------------------ */

static void test_parse_every_rule(void **state)
{
    parsed p;
    const tu_field_rule *r;
    (void)state;
    parse_ok(&p, "fields:\n"
                 "  tags: {compare: [set, caseless], split: ','}\n"
                 "  url: read_only\n"
                 "  password: {write_only: true, update: always,\n"
                 "             value_env: PW, stored_as: password_hash}\n"
                 "  tenant: {read: id}\n"
                 "  arguments: immutable\n"
                 "  name: {read_only: true}\n");
    assert_int_equal(p.rules.count, 6);
    r = tu_field_rule_get(&p.rules, "tags");
    assert_true(r->set && r->caseless && !r->read_only);
    assert_string_equal(r->split, ",");
    r = tu_field_rule_get(&p.rules, "password");
    assert_true(r->write_only && r->always);
    assert_string_equal(r->value_env, "PW");
    assert_string_equal(r->stored_as, "password_hash");
    assert_string_equal(tu_field_rule_get(&p.rules, "tenant")->read, "id");
    assert_true(tu_field_rule_get(&p.rules, "arguments")->immutable);
    assert_true(tu_field_rule_get(&p.rules, "url")->read_only);
    assert_null(tu_field_rule_get(&p.rules, "other"));
    assert_null(tu_field_rule_get(NULL, "tags"));
    /* who owns what */
    assert_true(tu_field_server_owned(&p.rules, "url"));
    assert_true(tu_field_server_owned(&p.rules, "password_hash"));
    assert_false(tu_field_server_owned(&p.rules, "password"));
    assert_false(tu_field_readable(&p.rules, "password"));
    assert_false(tu_field_readable(&p.rules, "password_hash"));
    assert_true(tu_field_readable(&p.rules, "tags"));
    assert_true(tu_field_readable(&p.rules, "comment"));
    parsed_free(&p);
}

static void test_parse_no_fields(void **state)
{
    tu_field_rules rules;
    tu_error err = {0};
    (void)state;
    assert_int_equal(tu_field_rules_parse(&rules, NULL, &key, NULL, &err), 0);
    assert_int_equal(rules.count, 0);
    assert_null(tu_field_rule_get(&rules, "x"));
    tu_field_rules_free(&rules);
}

static void test_parse_errors(void **state)
{
    (void)state;
    parse_fails("fields:\n  a: {compare: sorted}\n",
                "t.yaml:2:7: target.fields.a.compare: expected exact, set, "
                "caseless, number or declared (or a list of them), got "
                "'sorted'");
    parse_fails("fields:\n  a: readonly\n",
                "t.yaml:2:3: target.fields.a: 'readonly' is not a rule; write "
                "read_only, write_only, immutable or a mapping of rules");
    parse_fails("fields:\n  a: {write_only: true, compare: set}\n",
                "t.yaml:2:25: target.fields.a: 'compare' does not go with "
                "write_only (a secret is never read back)");
    parse_fails("fields:\n  a: {read_only: true, immutable: true}\n",
                "t.yaml:2:24: target.fields.a: 'immutable' does not go with "
                "read_only (never compared nor sent)");
    parse_fails("fields:\n  a: {update: always}\n",
                "t.yaml:2:7: target.fields.a: 'update' does not go with a "
                "field that is not write_only");
    parse_fails("fields:\n  a: {read_only: true, write_only: true}\n",
                "t.yaml:2:24: target.fields.a: 'write_only' does not go "
                "with read_only");
    parse_fails("fields:\n  name: {compare: caseless}\n",
                "t.yaml:2:3: target.fields.name: a key field matches "
                "records exactly; it can only be read_only, or have "
                "write_as or strip_suffix");
    parse_fails("fields:\n  a: {split: ''}\n",
                "t.yaml:2:7: target.fields.a.split: expected a non-empty "
                "string, got an empty one");
    parse_fails("fields:\n  a: {raed: id}\n",
                "t.yaml:2:7: target.fields.a: unknown key 'raed' (did you "
                "mean 'read'?)");
    parse_fails("fields:\n  a: {write_only: true, update: sometimes}\n",
                "t.yaml:2:25: target.fields.a.update: 'sometimes' is not "
                "one of: on_create, always");
}

/* ---- comparing ---------------------------------------------------------- */

static void test_compare(void **state)
{
    parsed p;
    (void)state;
    parse_ok(&p, "fields:\n"
                 "  tags: {compare: set, split: ','}\n"
                 "  list: {compare: set}\n"
                 "  host: {compare: caseless}\n"
                 "  both: {compare: [set, caseless]}\n"
                 "  csv: {split: ','}\n");
    /* a server that stores "a,b" as ["a","b"] */
    assert_true(equal_under(&p.rules, "tags", "\"a, b\"", "[\"b\",\"a\"]"));
    assert_true(equal_under(&p.rules, "tags", "\"a,,b,a\"", "[\"a\",\"b\"]"));
    assert_false(equal_under(&p.rules, "tags", "\"a,c\"", "[\"a\",\"b\"]"));
    assert_true(equal_under(&p.rules, "tags", "\"\"", "[]"));
    /* split alone keeps the order */
    assert_true(equal_under(&p.rules, "csv", "\"a,b\"", "[\"a\",\"b\"]"));
    assert_false(equal_under(&p.rules, "csv", "\"b,a\"", "[\"a\",\"b\"]"));
    /* sets: order and repeats do not matter, numbers by value */
    assert_true(equal_under(&p.rules, "list", "[3, 1, 600]",
                            "[600.0, 1, 3, 3]"));
    assert_true(equal_under(&p.rules, "list", "[{\"a\":1},{\"b\":2}]",
                            "[{\"b\":2},{\"a\":1}]"));
    assert_false(equal_under(&p.rules, "list", "[1, 2]", "[1]"));
    assert_false(equal_under(&p.rules, "list", "[1]", "1"));
    /* caseless */
    assert_true(equal_under(&p.rules, "host", "\"WWW.Example.org\"",
                            "\"www.example.ORG\""));
    assert_false(equal_under(&p.rules, "host", "\"a\"", "\"b\""));
    assert_false(equal_under(&p.rules, "host", "\"1\"", "1"));
    assert_true(equal_under(&p.rules, "both", "[\"B\", \"a\"]",
                            "[\"A\", \"b\"]"));
    /* no rule: exactly, lists in order */
    assert_true(equal_under(&p.rules, "other", "600", "600.0"));
    assert_false(equal_under(&p.rules, "other", "[1,2]", "[2,1]"));
    assert_false(equal_under(&p.rules, "other", "\"A\"", "\"a\""));
    parsed_free(&p);
}

static void test_immutable_change(void **state)
{
    parsed p;
    json_t *c1 = js("{\"durable\":{\"after\":true}}");
    json_t *c2 = js("{\"durable\":{\"after\":true},\"arguments\":{\"after\":{}}}");
    (void)state;
    parse_ok(&p, "fields:\n  arguments: immutable\n");
    assert_null(tu_field_immutable_change(&p.rules, c1));
    assert_string_equal(tu_field_immutable_change(&p.rules, c2), "arguments");
    json_decref(c1);
    json_decref(c2);
    parsed_free(&p);
}

/* ---- reading, resolving ------------------------------------------------- */

static void test_read_part(void **state)
{
    parsed p;
    json_t *live = js("{\"name\":\"x\",\"tenant\":{\"id\":2,\"name\":\"T\"},"
                      "\"status\":{\"value\":\"active\",\"label\":\"A\"},"
                      "\"site\":null,\"rack\":{\"name\":\"r\"},"
                      "\"vlan\":7}");
    (void)state;
    parse_ok(&p, "fields:\n  tenant: {read: id}\n  status: {read: value}\n"
                 "  site: {read: id}\n  rack: {read: id}\n  vlan: {read: id}\n"
                 "  absent: {read: id}\n");
    assert_int_equal(tu_field_rules_read(&p.rules, live), 0);
    /* a missing part reads null; a value that is not a mapping is kept */
    assert_json(live, "{\"name\":\"x\",\"rack\":null,\"site\":null,"
                      "\"status\":\"active\",\"tenant\":2,\"vlan\":7}");
    json_decref(live);
    parsed_free(&p);
}

static int collect(const char *value, void *data)
{
    json_array_append_new(data, json_string(value));
    return 0;
}

static void test_resolve(void **state)
{
    parsed p;
    json_t *secrets = json_array();
    json_t *a = js("{\"name\":\"a\",\"password_env\":\"TU_T_PW_A\"}");
    json_t *b = js("{\"name\":\"b\"}");
    json_t *c = js("{\"name\":\"c\",\"password\":\"lit-eral\"}");
    json_t *d = js("{\"name\":\"d\",\"other_env\":\"X\"}");
    tu_srcpos pos = {"f.yaml", 7, 5};
    tu_error err = {0};
    (void)state;
    setenv("TU_T_PW_A", "pw-of-a", 1);
    setenv("TU_T_PW_ALL", "pw-for-all", 1);
    parse_ok(&p, "fields:\n  password: {write_only: true, value_env: "
                 "TU_T_PW_ALL}\n");
    assert_int_equal(tu_field_rules_resolve(&p.rules, a, pos, collect,
                                            secrets, &err), 0);
    assert_int_equal(tu_field_rules_resolve(&p.rules, b, pos, collect,
                                            secrets, &err), 0);
    assert_int_equal(tu_field_rules_resolve(&p.rules, c, pos, collect,
                                            secrets, &err), 0);
    assert_int_equal(tu_field_rules_resolve(&p.rules, d, pos, collect,
                                            secrets, &err), 0);
    assert_json(a, "{\"name\":\"a\",\"password\":\"pw-of-a\"}");
    assert_json(b, "{\"name\":\"b\",\"password\":\"pw-for-all\"}");
    assert_json(c, "{\"name\":\"c\",\"password\":\"lit-eral\"}");
    /* only write-only fields take FIELD_env */
    assert_json(d, "{\"name\":\"d\",\"other_env\":\"X\",\"password\":"
                   "\"pw-for-all\"}");
    assert_json(secrets, "[\"pw-of-a\",\"pw-for-all\",\"lit-eral\","
                         "\"pw-for-all\"]");
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(d);
    json_decref(secrets);
    parsed_free(&p);
}

static void test_resolve_errors(void **state)
{
    parsed p;
    json_t *both = js("{\"name\":\"a\",\"password\":\"x\","
                      "\"password_env\":\"TU_T_PW_A\"}");
    json_t *unset = js("{\"name\":\"a\",\"password_env\":\"TU_T_UNSET\"}");
    json_t *notstr = js("{\"name\":\"a\",\"password_env\":5}");
    json_t *fallback = js("{\"name\":\"a\"}");
    tu_srcpos pos = {"f.yaml", 7, 5};
    tu_error err = {0};
    (void)state;
    unsetenv("TU_T_UNSET");
    unsetenv("TU_T_UNSET_ALL");
    parse_ok(&p, "fields:\n  password: {write_only: true, value_env: "
                 "TU_T_UNSET_ALL}\n");
    assert_int_equal(tu_field_rules_resolve(&p.rules, both, pos, NULL, NULL,
                                            &err), -1);
    assert_string_equal(err.message, "f.yaml:7:5: record: both password and "
                        "password_env are given; keep one");
    assert_int_equal(tu_field_rules_resolve(&p.rules, unset, pos, NULL, NULL,
                                            &err), -1);
    assert_string_equal(err.message, "f.yaml:7:5: record: password_env: the "
                        "environment variable TU_T_UNSET is not set; export "
                        "it before running trueup");
    assert_int_equal(tu_field_rules_resolve(&p.rules, notstr, pos, NULL,
                                            NULL, &err), -1);
    assert_string_equal(err.message, "f.yaml:7:5: record: password_env: "
                        "expected the name of an environment variable");
    assert_int_equal(tu_field_rules_resolve(&p.rules, fallback, pos, NULL,
                                            NULL, &err), -1);
    assert_string_equal(err.message, "t.yaml:2:3: target.fields.password."
                        "value_env: the environment variable TU_T_UNSET_ALL "
                        "is not set; export it before running trueup");
    json_decref(both);
    json_decref(unset);
    json_decref(notstr);
    json_decref(fallback);
    parsed_free(&p);
}

/* ---- bodies ------------------------------------------------------------- */

static const char *rules_yaml =
    "fields:\n"
    "  url: read_only\n"
    "  id: read_only\n"
    "  password: {write_only: true, stored_as: password_hash}\n"
    "  token: {write_only: true, update: always}\n";

static void test_create_body(void **state)
{
    parsed p;
    json_t *d = js("{\"name\":\"a\",\"id\":4,\"url\":\"u\",\"tags\":\"x\","
                   "\"password\":\"s\",\"token\":\"t\"}");
    json_t *body;
    (void)state;
    parse_ok(&p, rules_yaml);
    body = tu_field_create_body(&p.rules, d);
    assert_json(body, "{\"name\":\"a\",\"password\":\"s\",\"tags\":\"x\","
                      "\"token\":\"t\"}");
    json_decref(body);
    json_decref(d);
    parsed_free(&p);
}

static void update_case(tu_update_body how, const char *changes,
                        const char *expected)
{
    parsed p;
    json_t *d = js("{\"name\":\"a\",\"tags\":\"y\",\"password\":\"s\","
                   "\"token\":\"t\",\"url\":\"u\"}");
    json_t *l = js("{\"name\":\"a\",\"id\":4,\"url\":\"u\",\"tags\":\"x\","
                   "\"extra\":1,\"password_hash\":\"H\"}");
    json_t *c = js(changes), *change;
    const char *names[8], *name;
    size_t n = 0;
    tu_update_input in = {d, l, names, 0, &key, "id"};
    json_t *body;

    json_object_foreach(c, name, change)   /* the plan's changed fields */
        names[n++] = name;
    in.nchanged = n;
    parse_ok(&p, rules_yaml);
    body = tu_field_update_body(&p.rules, how, &in);
    assert_non_null(body);
    assert_json(body, expected);
    json_decref(body);
    json_decref(c);
    json_decref(l);
    json_decref(d);
    parsed_free(&p);
}

static void test_update_bodies(void **state)
{
    (void)state;
    /* the changed fields: a write-only one with update: always is one, and
     * the secret kept by password_hash goes back, as password does not */
    update_case(TU_BODY_CHANGED, "{\"tags\":{\"before\":\"x\",\"after\":\"y\"},"
                "\"token\":{\"after\":\"***\"}}",
                "{\"password_hash\":\"H\",\"tags\":\"y\",\"token\":\"t\"}");
    /* the declared record, the key and the (read-only) id left out */
    update_case(TU_BODY_DECLARED, "{\"tags\":{\"after\":\"y\"}}",
                "{\"name\":\"a\",\"password_hash\":\"H\",\"tags\":\"y\","
                "\"token\":\"t\"}");
    /* the live record with the declared fields over it */
    update_case(TU_BODY_MERGED, "{\"tags\":{\"after\":\"y\"}}",
                "{\"extra\":1,\"name\":\"a\",\"password_hash\":\"H\","
                "\"tags\":\"y\",\"token\":\"t\"}");
}

static void test_update_body_secret_sent(void **state)
{
    parsed p;
    json_t *d = js("{\"name\":\"a\",\"password\":\"s\"}");
    json_t *l = js("{\"name\":\"a\",\"id\":4,\"password_hash\":\"H\"}");
    const char *changed[] = {"password"};
    tu_update_input in = {d, l, changed, 1, &key, "id"};
    json_t *body;
    (void)state;
    parse_ok(&p, "fields:\n  password: {write_only: true, update: always, "
                 "stored_as: password_hash}\n");
    /* the secret goes, so its stored form does not (the server refuses
     * both); with no rule for id, declared sends it */
    body = tu_field_update_body(&p.rules, TU_BODY_MERGED, &in);
    assert_json(body, "{\"id\":4,\"name\":\"a\",\"password\":\"s\"}");
    json_decref(body);
    body = tu_field_update_body(&p.rules, TU_BODY_DECLARED, &in);
    assert_json(body, "{\"id\":4,\"name\":\"a\",\"password\":\"s\"}");
    json_decref(body);
    json_decref(l);
    json_decref(d);
    parsed_free(&p);
}

/* ---- write_as, strip_suffix, number, declared, paths -------------------- */

static void test_parse_new_rules(void **state)
{
    parsed p;
    const tu_field_rule *r;
    (void)state;
    parse_ok(&p, "fields:\n"
                 "  ttl: {write_as: rr_ttl, compare: [number, set]}\n"
                 "  name: {write_as: rr_name, strip_suffix: .example.com}\n"
                 "  threshold: {compare: declared}\n"
                 "  query.time_range: read_only\n"
                 "  query.breakdowns: {compare: set}\n");
    r = tu_field_rule_get(&p.rules, "ttl");
    assert_true(r->number && r->set && !r->declared);
    assert_string_equal(r->write_as, "rr_ttl");
    r = tu_field_rule_get(&p.rules, "name");
    assert_string_equal(r->strip_suffix, ".example.com");
    assert_true(tu_field_rule_get(&p.rules, "threshold")->declared);
    /* a path is no field; the field it starts in gets a rule, nested */
    assert_null(tu_field_rule_get(&p.rules, "query.time_range"));
    assert_true(tu_field_path_rule(&p.rules, "query.time_range")->read_only);
    r = tu_field_rule_get(&p.rules, "query");
    assert_true(r->nested && !r->read_only && !r->set);
    assert_int_equal(p.rules.count, 6);
    assert_true(tu_field_readable(&p.rules, "query"));
    parsed_free(&p);
}

static void test_parse_path_errors(void **state)
{
    (void)state;
    parse_fails("fields:\n  a: {compare: [declared, set]}\n",
                "t.yaml:2:7: target.fields.a.compare: declared compares "
                "lists item by item, so it does not go with set");
    parse_fails("fields:\n  q.a: {write_as: b}\n",
                "t.yaml:2:3: target.fields.q.a: 'write_as' goes on a whole "
                "field, not on a path inside one");
    parse_fails("fields:\n  q.a: write_only\n",
                "t.yaml:2:3: target.fields.q.a: 'write_only' goes on a "
                "whole field, not on a path inside one");
    parse_fails("fields:\n  q.a: immutable\n",
                "t.yaml:2:3: target.fields.q.a: 'immutable' goes on a whole "
                "field, not on a path inside one");
    parse_fails("fields:\n  name.x: read_only\n",
                "t.yaml:2:3: target.fields.name.x: name is a key field, "
                "matched exactly as a whole, so a path inside it never takes "
                "effect; drop the path");
    parse_fails("fields:\n  q.a.b: {compare: set}\n  q: read_only\n",
                "t.yaml:2:3: target.fields.q.a.b: q is read_only as a "
                "whole, so a path inside it never takes effect; drop the "
                "path");
    parse_fails("fields:\n  q.a: read_only\n  q.a.b: {compare: set}\n",
                "t.yaml:3:3: target.fields.q.a.b: q.a is read_only as a "
                "whole, so a path inside it never takes effect; drop the "
                "path");
    parse_fails("fields:\n  q..a: read_only\n",
                "t.yaml:2:3: target.fields.q..a: not a path (a step is "
                "empty); write field.key, as query.time_range");
    parse_fails("fields:\n  a: {write_as: x}\n  b: {write_as: x}\n",
                "t.yaml:2:3: target.fields.a.write_as: 'x' is also the name "
                "b is sent under; two fields cannot be sent under one name");
    parse_fails("fields:\n  a: {write_as: b}\n  b: {compare: set}\n",
                "t.yaml:2:3: target.fields.a.write_as: 'b' is also the name "
                "b is sent under; two fields cannot be sent under one name");
    parse_fails("fields:\n  a: {read_only: true, write_as: b}\n",
                "t.yaml:2:24: target.fields.a: 'write_as' does not go with "
                "read_only (never compared nor sent)");
}

/* The ignore list's dotted paths: added as paths, checked like them. */
static void test_ignore_paths(void **state)
{
    static const tu_srcpos at = {"t.yaml", 9, 3};
    const char *ok[] = {"extra", "query.time_range", "recipients.id"};
    const char *keyed[] = {"name.x"}, *whole[] = {"query", "query.x"};
    parsed p;
    tu_error err = {0};
    (void)state;

    parse_ok(&p, "fields:\n  recipients: {compare: declared}\n");
    assert_int_equal(tu_field_rules_ignore(&p.rules, ok, 3, &key, "ignore",
                                           at, &err), 0);
    assert_true(tu_field_path_rule(&p.rules, "query.time_range")->ignored);
    assert_true(tu_field_rule_get(&p.rules, "query")->nested);
    assert_true(tu_field_rule_get(&p.rules, "recipients")->declared);
    assert_true(tu_field_rule_get(&p.rules, "recipients")->nested);
    assert_null(tu_field_rule_get(&p.rules, "extra"));
    assert_int_equal(tu_field_rules_ignore(&p.rules, keyed, 1, &key,
                                           "ignore", at, &err), -1);
    assert_string_equal(err.message, "t.yaml:9:3: ignore: 'name.x': name is "
                        "a key field, matched exactly as a whole, so a path "
                        "inside it never takes effect; drop the path");
    parsed_free(&p);

    parse_ok(&p, "fields:\n  query.y: {compare: set}\n");
    assert_int_equal(tu_field_rules_ignore(&p.rules, whole, 2, &key,
                                           "ignore", at, &err), -1);
    assert_string_equal(err.message, "t.yaml:2:3: target.fields.query.y: "
                        "query is ignored as a whole, so a path inside it "
                        "never takes effect; drop the path");
    parsed_free(&p);
}

static void test_compare_number_declared(void **state)
{
    parsed p;
    (void)state;
    parse_ok(&p, "fields:\n"
                 "  ttl: {compare: number}\n"
                 "  ttls: {compare: [number, set]}\n"
                 "  threshold: {compare: declared}\n"
                 "  recipients: {compare: declared}\n"
                 "  deep: {compare: [declared, number]}\n");
    assert_true(equal_under(&p.rules, "ttl", "3600", "\"3600\""));
    assert_true(equal_under(&p.rules, "ttl", "\"3600\"", "3600.0"));
    assert_true(equal_under(&p.rules, "ttl", "-1.5", "\"-1.5\""));
    assert_true(equal_under(&p.rules, "ttl", "1000", "\"1e3\""));
    assert_false(equal_under(&p.rules, "ttl", "600", "\"3600\""));
    assert_false(equal_under(&p.rules, "ttl", "600", "\"600s\""));
    assert_false(equal_under(&p.rules, "ttl", "600", "\" 600\""));
    assert_false(equal_under(&p.rules, "ttl", "600", "\"0600\""));
    assert_true(equal_under(&p.rules, "ttls", "[\"2\", 1]", "[1, 2, \"1\"]"));
    /* no rule: a string is no number */
    assert_false(equal_under(&p.rules, "other", "3600", "\"3600\""));
    /* declared: only the keys the desired value has, at any depth */
    assert_true(equal_under(&p.rules, "threshold",
                            "{\"op\":\">\",\"value\":10}",
                            "{\"op\":\">\",\"value\":10,"
                            "\"exceeded_limit\":1}"));
    assert_false(equal_under(&p.rules, "threshold",
                             "{\"op\":\">\",\"value\":10}",
                             "{\"op\":\"<\",\"value\":10}"));
    assert_false(equal_under(&p.rules, "threshold", "{\"op\":\">\"}",
                             "{\"value\":10}"));
    assert_true(equal_under(&p.rules, "recipients",
                            "[{\"type\":\"email\",\"target\":\"a@b\"}]",
                            "[{\"id\":\"x\",\"type\":\"email\","
                            "\"target\":\"a@b\"}]"));
    assert_false(equal_under(&p.rules, "recipients",
                             "[{\"type\":\"email\"}]",
                             "[{\"type\":\"email\"},{\"type\":\"slack\"}]"));
    assert_false(equal_under(&p.rules, "recipients",
                             "[{\"type\":\"email\"},{\"type\":\"slack\"}]",
                             "[{\"type\":\"slack\"},{\"type\":\"email\"}]"));
    assert_true(equal_under(&p.rules, "deep", "{\"a\":{\"b\":[{\"c\":1}]}}",
                            "{\"a\":{\"b\":[{\"c\":\"1\",\"d\":2}],\"e\":3},"
                            "\"f\":4}"));
    parsed_free(&p);
}

static void test_compare_paths(void **state)
{
    static const tu_srcpos at = {"t.yaml", 9, 3};
    const char *ignore[] = {"recipients.id", "query.time_range"};
    tu_error err = {0};
    parsed p;
    (void)state;
    parse_ok(&p, "fields:\n"
                 "  query.calculations.op: {compare: caseless}\n"
                 "  query.breakdowns: {compare: set}\n"
                 "  labels.created: read_only\n");
    assert_int_equal(tu_field_rules_ignore(&p.rules, ignore, 2, &key,
                                           "ignore", at, &err), 0);
    assert_true(equal_under(&p.rules, "recipients",
                            "[{\"type\":\"email\"},{\"type\":\"slack\"}]",
                            "[{\"id\":\"x\",\"type\":\"email\"},"
                            "{\"id\":\"y\",\"type\":\"slack\"}]"));
    assert_false(equal_under(&p.rules, "recipients",
                             "[{\"type\":\"email\"}]",
                             "[{\"id\":\"x\",\"type\":\"slack\"}]"));
    assert_true(equal_under(&p.rules, "query",
                            "{\"time_range\":600,\"breakdowns\":[\"b\",\"a\"],"
                            "\"calculations\":[{\"op\":\"COUNT\"}]}",
                            "{\"time_range\":7200,\"breakdowns\":[\"a\",\"b\"],"
                            "\"calculations\":[{\"op\":\"count\"}]}"));
    /* what is not declared is still compared without declared */
    assert_false(equal_under(&p.rules, "query", "{\"breakdowns\":[]}",
                             "{\"breakdowns\":[],\"limit\":5}"));
    assert_true(equal_under(&p.rules, "labels", "{\"a\":1}",
                            "{\"a\":1,\"created\":\"now\"}"));
    parsed_free(&p);
}

static void test_written_bodies(void **state)
{
    parsed p;
    json_t *d = js("{\"name\":\"www.example.com\",\"ttl\":\"600\","
                   "\"email\":\"a@b\",\"labels\":{\"a\":1,\"created\":2},"
                   "\"list\":[{\"id\":1,\"v\":2}]}");
    json_t *apex = js("{\"name\":\"example.com\",\"email\":1}");
    json_t *l = js("{\"name\":\"www.example.com\",\"ttl\":\"3600\","
                   "\"id\":7,\"other\":\"o\"}");
    const char *changed[] = {"ttl"};
    tu_update_input in = {d, l, changed, 1, &key, "id"};
    json_t *body;
    (void)state;
    parse_ok(&p, "fields:\n"
                 "  ttl: {write_as: rr_ttl, compare: number}\n"
                 "  name: {strip_suffix: .example.com, write_as: sub}\n"
                 "  email: {write_as: subscriber}\n"
                 "  labels.created: read_only\n"
                 "  list.id: read_only\n");
    body = tu_field_create_body(&p.rules, d);
    assert_json(body, "{\"labels\":{\"a\":1},\"list\":[{\"v\":2}],"
                      "\"rr_ttl\":\"600\",\"sub\":\"www\","
                      "\"subscriber\":\"a@b\"}");
    json_decref(body);
    /* the desired record itself is not changed */
    assert_json(json_object_get(d, "labels"), "{\"a\":1,\"created\":2}");
    body = tu_field_create_body(&p.rules, apex);
    assert_json(body, "{\"sub\":\"\",\"subscriber\":1}");
    json_decref(body);
    body = tu_field_update_body(&p.rules, TU_BODY_CHANGED, &in);
    assert_json(body, "{\"rr_ttl\":\"600\"}");
    json_decref(body);
    body = tu_field_update_body(&p.rules, TU_BODY_MERGED, &in);
    assert_json(body, "{\"id\":7,\"labels\":{\"a\":1},\"list\":[{\"v\":2}],"
                      "\"other\":\"o\",\"rr_ttl\":\"600\",\"sub\":\"www\","
                      "\"subscriber\":\"a@b\"}");
    json_decref(body);
    json_decref(apex);
    json_decref(l);
    json_decref(d);
    parsed_free(&p);
}

/* Export leaves out the paths read_only or ignored, from copies. */
static void test_export_paths(void **state)
{
    static const tu_srcpos at = {"t.yaml", 9, 3};
    const char *ignore[] = {"recipients.id"};
    tu_error err = {0};
    parsed p;
    json_t *inner = js("{\"time_range\":600,\"limit\":5}");
    json_t *live = js("{\"name\":\"t\",\"recipients\":[{\"id\":\"x\","
                      "\"type\":\"email\"}],\"other\":{\"time_range\":1}}");
    (void)state;
    json_object_set(live, "query", inner);
    parse_ok(&p, "fields:\n  query.time_range: read_only\n");
    assert_int_equal(tu_field_rules_ignore(&p.rules, ignore, 1, &key,
                                           "ignore", at, &err), 0);
    assert_int_equal(tu_field_rules_export(&p.rules, live), 0);
    assert_json(live, "{\"name\":\"t\",\"other\":{\"time_range\":1},"
                      "\"query\":{\"limit\":5},"
                      "\"recipients\":[{\"type\":\"email\"}]}");
    assert_json(inner, "{\"limit\":5,\"time_range\":600}");
    json_decref(inner);
    json_decref(live);
    parsed_free(&p);
}

static void test_strip_suffix_values(void **state)
{
    parsed p;
    json_t *d = js("{\"a\":\"x.example.com\",\"b\":\"example.org\","
                   "\"c\":5,\"d\":\".example.com\"}");
    json_t *body;
    (void)state;
    parse_ok(&p, "fields:\n"
                 "  a: {strip_suffix: .example.com}\n"
                 "  b: {strip_suffix: .example.com}\n"
                 "  c: {strip_suffix: .example.com}\n"
                 "  d: {strip_suffix: .example.com}\n");
    body = tu_field_create_body(&p.rules, d);
    /* not ending in the suffix, or no string: sent as it is */
    assert_json(body, "{\"a\":\"x\",\"b\":\"example.org\",\"c\":5,"
                      "\"d\":\"\"}");
    json_decref(body);
    json_decref(d);
    parsed_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_every_rule),
        cmocka_unit_test(test_parse_no_fields),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_immutable_change),
        cmocka_unit_test(test_read_part),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_resolve_errors),
        cmocka_unit_test(test_create_body),
        cmocka_unit_test(test_update_bodies),
        cmocka_unit_test(test_update_body_secret_sent),
        cmocka_unit_test(test_parse_new_rules),
        cmocka_unit_test(test_parse_path_errors),
        cmocka_unit_test(test_ignore_paths),
        cmocka_unit_test(test_compare_number_declared),
        cmocka_unit_test(test_compare_paths),
        cmocka_unit_test(test_written_bodies),
        cmocka_unit_test(test_strip_suffix_values),
        cmocka_unit_test(test_export_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
