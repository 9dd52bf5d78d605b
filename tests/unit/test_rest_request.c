/* test_rest_request.c -- engine/providers/rest_request.c: what an action
 * sends (the body template's values laid over the record's, the
 * template's winning; the record put at "{fields}" instead), and how
 * (send: json, form, query -- strings, numbers, booleans, null as empty,
 * lists repeated, mappings refused naming the field; '?' or '&' after a
 * URL), and a list's request built from the provider's configuration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/providers/rest.h"
#include "state/srcmap.h"

/* ---- helpers ------------------------------------------------------------ */

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad JSON <<%s>>: %s", text, jerr.text);
    return v;
}

/* tu_rest_values of a body template and a record, as sorted JSON. */
static void assert_values(const char *body, int wraps, const char *record,
                          const char *expected)
{
    json_t *tmpl = body ? load(body) : NULL;
    json_t *rec = record ? load(record) : NULL;
    json_t *vars = json_pack("{s:[s]}", "env.KEY", "pk1");
    json_t *fields = json_pack("{s:s}", "sub", "www");
    rest_op op = {"POST", "/r", REST_SEND_JSON, tmpl, wraps, NULL};
    tu_tmpl_src src = {fields, NULL, NULL, vars, NULL};
    const char *missing;
    json_t *got = tu_rest_values(&op, rec, &src, &missing);
    char *text;

    assert_non_null(got);
    text = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, expected);
    free(text);
    json_decref(got);
    json_decref(tmpl);
    json_decref(rec);
    json_decref(vars);
    json_decref(fields);
}

/* tu_rest_encode of `values` after `prefix`. */
static void assert_encodes(int send, const char *prefix, const char *values,
                           const char *expected)
{
    json_t *v = load(values);
    tu_buffer b = TU_BUFFER_INIT;
    const char *bad = "unset";

    assert_int_equal(tu_buffer_puts(&b, prefix), 0);
    assert_int_equal(tu_rest_encode(send, v, &b, &bad), 0);
    assert_null(bad);
    assert_string_equal(b.data ? b.data : "", expected);
    tu_buffer_free(&b);
    json_decref(v);
}

static void assert_refused(int send, const char *values, const char *field)
{
    json_t *v = load(values);
    tu_buffer b = TU_BUFFER_INIT;
    const char *bad = NULL;

    assert_int_equal(tu_rest_encode(send, v, &b, &bad), -1);
    assert_non_null(bad);
    assert_string_equal(bad, field);
    tu_buffer_free(&b);
    json_decref(v);
}

/* ---- values ------------------------------------------------------------- */

static void test_values(void **state)
{
    (void)state;
    /* no template: the record's values as they are */
    assert_values(NULL, 0, "{\"ttl\": 600}", "{\"ttl\":600}");
    assert_values(NULL, 0, NULL, "{}");
    /* the template's laid over the record's, the template's winning */
    assert_values("{\"apikey\": \"{env.KEY}\", \"name\": \"{sub}\"}", 0,
                  "{\"name\": \"www.example.com\", \"ttl\": \"600\"}",
                  "{\"apikey\":\"pk1\",\"name\":\"www\",\"ttl\":\"600\"}");
    /* {fields}: the record goes there, not at the top */
    assert_values("{\"data\": \"{fields}\", \"k\": \"{env.KEY}\"}", 1,
                  "{\"ttl\": 600}", "{\"data\":{\"ttl\":600},\"k\":\"pk1\"}");
    /* a list or a get: the template's alone */
    assert_values("{\"apikey\": \"{env.KEY}\"}", 0, NULL,
                  "{\"apikey\":\"pk1\"}");
}

/* ---- encodings ---------------------------------------------------------- */

static void test_form_and_query(void **state)
{
    (void)state;
    assert_encodes(REST_SEND_FORM, "", "{\"a\": \"x y/z\", \"n\": 600, "
                   "\"r\": 0.5, \"t\": true, \"f\": false, \"z\": null}",
                   "a=x%20y%2Fz&n=600&r=0.5&t=true&f=false&z=");
    assert_encodes(REST_SEND_FORM, "", "{\"tag\": [\"a\", 2, null], "
                   "\"e\": []}", "tag=a&tag=2&tag=");
    assert_encodes(REST_SEND_FORM, "", "{\"k&=\": \"é\"}", "k%26%3D=%C3%A9");
    assert_encodes(REST_SEND_QUERY, "http://h/r", "{\"rr_ttl\": 600}",
                   "http://h/r?rr_ttl=600");
    assert_encodes(REST_SEND_QUERY, "http://h/r?rr_id=5&add_flag=edit_only",
                   "{\"rr_ttl\": \"600\", \"v\": \".\"}",
                   "http://h/r?rr_id=5&add_flag=edit_only&rr_ttl=600&v=%2E");
    assert_encodes(REST_SEND_QUERY, "http://h/r?", "{\"a\": 1}",
                   "http://h/r?a=1");
    assert_encodes(REST_SEND_QUERY, "http://h/r", "{}", "http://h/r");
    assert_encodes(REST_SEND_JSON, "", "{\"a\": [1, {\"b\": null}]}",
                   "{\"a\":[1,{\"b\":null}]}");
    assert_encodes(REST_SEND_NONE, "", "{\"a\": 1}", "");
    assert_refused(REST_SEND_QUERY, "{\"a\": 1, \"meta\": {\"b\": 1}}",
                   "meta");
    assert_refused(REST_SEND_FORM, "{\"tags\": [1, [2]]}", "tags");
    assert_refused(REST_SEND_FORM, "{\"tags\": [{\"a\": 1}]}", "tags");
}

/* ---- a list's request --------------------------------------------------- */

static void test_list_request(void **state)
{
    const char *text =
        "{\"vars\": {\"domain\": \"d.io\"}, \"resource\": {\"key\": "
        "\"name\", \"list\": {\"request\": "
        "\"POST /retrieve/{domain}\", \"send\": \"form\", \"body\": "
        "{\"apikey\": \"{env.KEY}\", \"d\": \"{domain}\"}}}}";
    json_t *obj = load(text);
    tu_srcmap *map = tu_srcmap_new();
    const tu_provider_ops *ops = tu_provider_find("rest");
    tu_target t;
    tu_error err = {0};
    tu_buffer url = TU_BUFFER_INIT, body = TU_BUFFER_INIT;
    char why[256];
    rest_cfg *c;

    (void)state;
    memset(&t, 0, sizeof t);
    t.vars = json_pack("{s:[s], s:[s]}", "env.KEY", "pk 1", "domain", "d.io");
    assert_int_equal(ops->parse(obj, map, &t.cfg, &err), 0);
    c = t.cfg;
    assert_int_equal(tu_buffer_puts(&url, "http://h/retrieve/d.io"), 0);
    assert_int_equal(tu_rest_read_request(&t, &c->list, NULL, &url, &body,
                                          why, sizeof why), 0);
    assert_string_equal(url.data, "http://h/retrieve/d.io");
    assert_string_equal(body.data, "apikey=pk%201&d=d.io");
    /* the same values as a query string, no body */
    c->list.send = REST_SEND_QUERY;
    body.len = 0;
    assert_int_equal(tu_rest_read_request(&t, &c->list, NULL, &url, &body,
                                          why, sizeof why), 0);
    assert_string_equal(url.data, "http://h/retrieve/d.io?apikey=pk%201&"
                                  "d=d.io");
    assert_int_equal(body.len, 0);
    /* a variable gone: the message names it */
    json_object_del(t.vars, "domain");
    assert_int_equal(tu_rest_read_request(&t, &c->list, NULL, &url, &body,
                                          why, sizeof why), -1);
    assert_string_equal(why, "target.resource.list: the record has no value "
                             "for {domain}");
    ops->free(t.cfg);
    json_decref(t.vars);
    tu_buffer_free(&url);
    tu_buffer_free(&body);
    tu_srcmap_free(map);
    json_decref(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_form_and_query),
        cmocka_unit_test(test_list_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
