/* test_rest_config.c -- the REST provider's target.resource checks at load
 * time: placeholders of every path (variables in `list`; the id, key fields
 * or variables elsewhere; a variable of several values only in `list`),
 * with the closest name suggested; paginate kinds and the keys that go with
 * them, and their defaults; actions in the mapping form ({request, send,
 * body, id}): their defaults, unknown keys, send: none with a body, body
 * placeholders ({fields} only whole, in create and update; {env.NAME};
 * filters), any method for any action. Messages are exact (no positions:
 * the map is empty).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "engine/providers/rest.h"
#include "state/fields.h"
#include "state/srcmap.h"

/* ---- helpers ------------------------------------------------------------ */

/* {"vars": VARS, "resource": {"key": "name", RESOURCE...}} parsed by the
 * rest provider: 0 (*cfg set) or -1 (err set). */
static int parse(const char *vars, const char *resource, void **cfg,
                 tu_error *err)
{
    char text[2048];
    json_error_t jerr;
    json_t *target;
    tu_srcmap *map = tu_srcmap_new();
    const tu_provider_ops *ops = tu_provider_find("rest");
    int rc;

    snprintf(text, sizeof text, "{\"vars\": %s, \"resource\": {\"key\": "
             "\"name\"%s%s}}", vars, *resource ? ", " : "", resource);
    target = json_loads(text, 0, &jerr);
    if (!target)
        fail_msg("bad JSON <<%s>>: %s", text, jerr.text);
    assert_non_null(map);
    assert_non_null(ops);
    *cfg = NULL;
    rc = ops->parse(target, map, cfg, err);
    tu_srcmap_free(map);
    json_decref(target);
    return rc;
}

static void fails(const char *vars, const char *resource,
                  const char *expected)
{
    tu_error err = {0};
    void *cfg;
    assert_int_equal(parse(vars, resource, &cfg, &err), -1);
    assert_null(cfg);
    assert_string_equal(err.message, expected);
}

static rest_cfg *parse_ok(const char *vars, const char *resource)
{
    tu_error err = {0};
    void *cfg;
    if (parse(vars, resource, &cfg, &err) != 0)
        fail_msg("%s: %s", resource, err.message);
    return cfg;
}

static void free_cfg(rest_cfg *c)
{
    tu_provider_find("rest")->free(c);
}

/* ---- placeholders ------------------------------------------------------- */

static void test_placeholders_known(void **state)
{
    (void)state;
    free_cfg(parse_ok("{\"vhost\": \"/\"}",
                      "\"list\": \"/q/{vhost}\", "
                      "\"create\": \"PUT /q/{vhost}/{name}\", "
                      "\"update\": \"PATCH /r/{id}\", "
                      "\"delete\": \"DELETE /r/{uuid}?v={vhost}\", "
                      "\"id\": \"uuid\""));
    /* several values: fine in list, and in a path where it is a key */
    free_cfg(parse_ok("{\"vhost\": [\"/\", \"b\"]}",
                      "\"list\": \"/q/{vhost}\", \"key\": [\"vhost\", "
                      "\"name\"], \"create\": \"PUT /q/{vhost}/{name}\""));
    free_cfg(parse_ok("{}", "\"get\": \"GET /r/{name}\""));
}

static void test_placeholders_unknown(void **state)
{
    (void)state;
    fails("{\"vhost\": \"/\"}", "\"list\": \"/q/{vhots}\"",
          "target.resource.list: unknown placeholder {vhots} in "
          "'/q/{vhots}': did you mean {vhost}?");
    /* a key field is no help to a list: it has no record */
    fails("{}", "\"list\": \"/q/{name}\"",
          "target.resource.list: unknown placeholder {name} in '/q/{name}':"
          " a list path has no record to fill it from, so declare it in "
          "target.vars (vars: {name: VALUE})");
    fails("{}", "\"list\": \"/q\", \"update\": \"PATCH /q/{nmae}\"",
          "target.resource.update: unknown placeholder {nmae} in "
          "'/q/{nmae}': did you mean {name}?");
    fails("{}", "\"list\": \"/q\", \"delete\": \"DELETE /q/{zone}/{id}\"",
          "target.resource.delete: unknown placeholder {zone} in "
          "'/q/{zone}/{id}': it is not {id}, the id field 'id', a key field "
          "(target.resource.key) or a variable of target.vars; add the "
          "field to the key, or declare the variable");
    fails("{}", "\"get\": \"GET /r/{idd}\"",
          "target.resource.get: unknown placeholder {idd} in '/r/{idd}': "
          "did you mean {id}?");
    fails("{\"vhost\": [\"/\", \"b\"]}",
          "\"list\": \"/q\", \"create\": \"PUT /q/{vhost}/{name}\"",
          "target.resource.create: {vhost} is a variable with several "
          "values, which only a list path can take (it is listed once per "
          "value); make it a key field of the records, or give it one "
          "value");
    fails("{}", "\"list\": \"/q/{\"",
          "target.resource.list: the path has a '{' without its '}'");
}

/* ---- actions as mappings ----------------------------------------------- */

static void test_action_mappings(void **state)
{
    rest_cfg *c;
    (void)state;
    c = parse_ok("{\"domain\": \"example.com\"}",
                 "\"list\": {\"request\": \"POST /dns/retrieve/{domain}\","
                 " \"body\": {\"apikey\": \"{env.PB_KEY}\"}}, "
                 "\"create\": {\"request\": \"POST /c\", \"id\": \"id\", "
                 "\"body\": {\"data\": \"{fields}\"}}, "
                 "\"update\": {\"request\": \"PUT /u?rr_id={id}\", "
                 "\"send\": \"query\", \"body\": {\"t\": \"{ttl}\"}}, "
                 "\"delete\": {\"request\": \"POST /d/{id}\"}");
    assert_string_equal(c->list.method, "POST");
    assert_string_equal(c->list.path, "/dns/retrieve/{domain}");
    assert_int_equal(c->list.send, REST_SEND_JSON);   /* it has a body */
    assert_non_null(c->list.body);
    assert_int_equal(c->create.send, REST_SEND_JSON);
    assert_true(c->create.wraps);
    assert_string_equal(c->create.id_path, "id");
    assert_int_equal(c->update.send, REST_SEND_QUERY);
    assert_false(c->update.wraps);
    assert_int_equal(c->update_body, TU_BODY_MERGED);  /* PUT's default */
    assert_string_equal(c->del.method, "POST");
    assert_int_equal(c->del.send, REST_SEND_NONE);
    free_cfg(c);
    /* the string forms keep their defaults; any method for any action */
    c = parse_ok("{}", "\"list\": \"/r\", \"create\": \"PUT /r/{name}\", "
                 "\"delete\": \"GET /r/{id}?delete=1\"");
    assert_string_equal(c->list.method, "GET");
    assert_int_equal(c->list.send, REST_SEND_NONE);
    assert_int_equal(c->create.send, REST_SEND_JSON);
    assert_null(c->create.body);
    assert_string_equal(c->del.method, "GET");
    free_cfg(c);
}

static void test_action_mapping_errors(void **state)
{
    (void)state;
    fails("{}", "\"list\": \"/r\", \"update\": {\"request\": \"PUT /r\", "
          "\"sned\": \"query\"}",
          "target.resource.update: unknown key 'sned' (did you mean "
          "'send'?)");
    fails("{}", "\"list\": \"/r\", \"update\": {\"request\": \"PUT /r\", "
          "\"id\": \"id\"}",
          "target.resource.update: unknown key 'id'");
    fails("{}", "\"list\": \"/r\", \"update\": {\"send\": \"query\"}",
          "target.resource.update: missing required key 'request'");
    fails("{}", "\"list\": {\"request\": \"FETCH /r\"}",
          "target.resource.list: 'FETCH' is not a method trueup sends "
          "(GET, POST, PUT, PATCH, DELETE)");
    fails("{}", "\"list\": \"/r\", \"delete\": {\"request\": \"DELETE /r\", "
          "\"send\": \"none\", \"body\": {\"a\": 1}}",
          "target.resource.delete: body is set but send is none; say where "
          "its values go (json, form or query)");
    fails("{}", "\"list\": \"/r\", \"create\": {\"request\": \"POST /r\", "
          "\"send\": \"xml\"}",
          "target.resource.create.send: 'xml' is not one of: json, form, "
          "query, none");
    fails("{}", "\"list\": \"/r\", \"create\": {\"request\": \"POST /r\", "
          "\"body\": [1]}",
          "target.resource.create.body: expected a mapping, got a list");
}

static void test_body_placeholders(void **state)
{
    (void)state;
    fails("{}", "\"list\": \"/r\", \"delete\": {\"request\": \"POST /r\", "
          "\"body\": {\"r\": \"{fields}\"}}",
          "target.resource.delete.body: {fields} is the record's values: "
          "only create and update send them, as a whole value (data: "
          "\"{fields}\")");
    fails("{}", "\"list\": \"/r\", \"create\": {\"request\": \"POST /r\", "
          "\"body\": {\"r\": \"x{fields}\"}}",
          "target.resource.create.body: {fields} is the record's values: "
          "only create and update send them, as a whole value (data: "
          "\"{fields}\")");
    fails("{\"domain\": \"d\"}", "\"list\": {\"request\": \"POST /r\", "
          "\"body\": {\"a\": {\"b\": [\"{domian}\"]}}}",
          "target.resource.list: unknown placeholder {domian} in "
          "'{domian}': did you mean {domain}?");
    fails("{\"zone\": [\"a\", \"b\"]}", "\"list\": {\"request\": "
          "\"POST /r/{zone}\", \"body\": {\"z\": \"{zone}\"}}",
          "target.resource.list.body: {zone} is a variable with several "
          "values; a body takes one value");
    fails("{}", "\"list\": \"/r\", \"update\": {\"request\": \"PUT /r\", "
          "\"body\": {\"u\": \"{env.USER | base32}\"}}",
          "target.resource.update: {env.USER | base32}: trueup knows one "
          "filter, '| base64'");
    fails("{}", "\"list\": \"/r\", \"update\": {\"request\": \"PUT /r\", "
          "\"body\": {\"u\": \"{ttl\"}}",
          "target.resource.update.body: '{ttl' has a '{' without its '}'");
    fails("{}", "\"list\": \"/r/{env.X | hex}\"",
          "target.resource.list: {env.X | hex}: trueup knows one filter, "
          "'| base64'");
    /* a record's field, the environment, filters: fine */
    free_cfg(parse_ok("{}", "\"list\": \"/r/{env.TENANT}\", \"update\": "
                      "{\"request\": \"PUT /r/{id | base64}\", \"body\": "
                      "{\"ttl\": \"{ttl}\", \"k\": \"{env.K | base64}\"}}"));
}

/* ---- paging ------------------------------------------------------------- */

static void test_paging_defaults(void **state)
{
    rest_cfg *c;
    (void)state;
    c = parse_ok("{}", "\"list\": \"/r\"");
    assert_int_equal(c->paging.kind, PAGINATE_NONE);
    assert_null(c->paging.paths.next);
    assert_null(c->paging.paths.count);
    free_cfg(c);
    c = parse_ok("{}", "\"list\": \"/r\", \"paginate\": \"offset\", "
                 "\"items\": \"results\"");
    assert_int_equal(c->paging.kind, PAGINATE_OFFSET);
    assert_string_equal(c->paging.per_page_param, "limit");
    assert_string_equal(c->paging.offset_param, "offset");
    assert_string_equal(c->paging.paths.count, "count");
    assert_string_equal(c->paging.paths.items, "results");
    assert_int_equal(c->paging.per_page, 100);
    free_cfg(c);
    c = parse_ok("{}", "\"list\": \"/r\", \"paginate\": \"page\"");
    assert_string_equal(c->paging.per_page_param, "per_page");
    assert_string_equal(c->paging.page_param, "page");
    assert_null(c->paging.paths.count);
    free_cfg(c);
    c = parse_ok("{}", "\"list\": \"/r\", \"paginate\": \"next\", "
                 "\"next_path\": \"links.next\", \"count_path\": \"n\"");
    assert_string_equal(c->paging.paths.next, "links.next");
    assert_string_equal(c->paging.paths.count, "n");
    free_cfg(c);
    c = parse_ok("{}", "\"list\": \"/r\", \"paginate\": \"cursor\", "
                 "\"cursor_path\": \"meta.c\", \"cursor_param\": \"after\"");
    assert_string_equal(c->paging.paths.cursor, "meta.c");
    assert_string_equal(c->paging.cursor_param, "after");
    assert_string_equal(c->paging.per_page_param, "limit");
    free_cfg(c);
}

static void test_paging_errors(void **state)
{
    (void)state;
    fails("{}", "\"list\": \"/r\", \"paginate\": \"cursor\"",
          "target.resource.paginate: cursor needs cursor_path, the dotted "
          "path to the next page's cursor in the response (for example "
          "next_cursor or meta.next_cursor)");
    fails("{}", "\"list\": \"/r\", \"paginate\": \"next\", \"per_page\": 5",
          "target.resource.per_page: paginate next does not read it (it "
          "goes with paginate page, offset or cursor)");
    fails("{}", "\"list\": \"/r\", \"paginate\": \"offset\", "
          "\"total_pages_path\": \"p\"",
          "target.resource.total_pages_path: paginate offset does not read "
          "it (it goes with paginate none or page)");
    fails("{}", "\"list\": \"/r\", \"cursor_param\": \"c\"",
          "target.resource.cursor_param: paginate none does not read it (it "
          "goes with paginate cursor)");
    fails("{}", "\"list\": \"/r\", \"paginate\": \"page\", \"per_page\": 0",
          "target.resource.per_page: 0 is out of range (1 to 1000000)");
}

/* ---- what answers say --------------------------------------------------- */

/* resource.success and the new id's places, through the provider's
 * answers op. */
static void test_answers(void **state)
{
    const tu_provider_ops *ops = tu_provider_find("rest");
    const tu_answer_rules *rules;
    rest_cfg *c;
    (void)state;
    c = parse_ok("{}", "\"list\": \"/r\", \"id\": \"uuid\"");
    rules = ops->answers(c);
    assert_null(rules->success.path);
    assert_string_equal(rules->id_field, "uuid");
    assert_null(rules->id_path);
    free_cfg(c);
    c = parse_ok("{}", "\"list\": \"/r\", \"success\": {\"path\": "
                 "\"status\", \"equals\": \"SUCCESS\", \"message\": "
                 "\"message\"}");
    rules = ops->answers(c);
    assert_string_equal(rules->success.path, "status");
    assert_string_equal(json_string_value(rules->success.equals), "SUCCESS");
    assert_string_equal(rules->success.message, "message");
    assert_string_equal(rules->id_field, "id");
    free_cfg(c);
    c = parse_ok("{}", "\"list\": \"/r\", \"success\": {\"path\": "
                 "\"0.errno\", \"equals\": null}");
    assert_true(json_is_null(ops->answers(c)->success.equals));
    assert_null(ops->answers(c)->success.message);
    free_cfg(c);
}

static void test_answers_errors(void **state)
{
    (void)state;
    fails("{}", "\"list\": \"/r\", \"success\": \"ok\"",
          "target.resource.success: expected a mapping, got a string");
    fails("{}", "\"list\": \"/r\", \"success\": {\"equals\": 1}",
          "target.resource.success: missing required key 'path'");
    fails("{}", "\"list\": \"/r\", \"success\": {\"path\": \"s\"}",
          "target.resource.success: missing required key 'equals': the "
          "value the answer holds at 's' when it is a success (a string, a "
          "number, true, false or null)");
    fails("{}", "\"list\": \"/r\", \"success\": {\"path\": \"s\", "
          "\"equals\": {\"a\": 1}}",
          "target.resource.success.equals: expected one value, got a list "
          "or a mapping: the value the answer holds at 's' when it is a "
          "success (a string, a number, true, false or null)");
    fails("{}", "\"list\": \"/r\", \"success\": {\"path\": \"s\", "
          "\"equals\": 1, \"mesage\": \"m\"}",
          "target.resource.success: unknown key 'mesage' (did you mean "
          "'message'?)");
}

/* ---- the provider list -------------------------------------------------- */

/* Each name users write finds the table of that name: the list in
 * engine/providers/providers.def and the tables' own names agree. */
static void test_provider_names(void **state)
{
    const char *const *names = tu_provider_names();
    size_t n = 0;

    (void)state;
    for (; names[n]; n++) {
        const tu_provider_ops *ops = tu_provider_find(names[n]);
        assert_non_null(ops);
        assert_string_equal(ops->name, names[n]);
    }
    assert_int_equal(n, 2);
    assert_null(tu_provider_find("nosuch"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholders_known),
        cmocka_unit_test(test_placeholders_unknown),
        cmocka_unit_test(test_action_mappings),
        cmocka_unit_test(test_action_mapping_errors),
        cmocka_unit_test(test_body_placeholders),
        cmocka_unit_test(test_paging_defaults),
        cmocka_unit_test(test_paging_errors),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_answers_errors),
        cmocka_unit_test(test_provider_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
