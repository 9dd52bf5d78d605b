/* test_urltemplate.c -- engine/urltemplate.h: template brace checks with
 * their messages, {id} through resource.id, other placeholders from fields,
 * percent-encoding that keeps every value inside its path segment (exact
 * encoded strings), numbers and booleans in paths, unfillable
 * placeholders reported at their '{', placeholders listed one by one,
 * variables (target.vars) filling what a record does not, and a list path
 * expanded once per combination of its variables' values; placeholders
 * with filters (| base64) in paths; body and header templates: a whole
 * placeholder keeps its value's type, {fields}, {env.NAME} (a variable),
 * interpolation as text without encoding, at any depth, and what has no
 * value reported at its '{'.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/urltemplate.h"

/* ---- helpers ------------------------------------------------------------ */

/* Expand `tmpl` with {"v": value, ...fields} and compare. */
static void assert_expands(const char *tmpl, const char *fields_json,
                           const char *id_field, const char *expected)
{
    json_error_t jerr;
    json_t *fields = json_loads(fields_json, 0, &jerr);
    const char *missing = "unset";
    char *got;
    if (!fields)
        fail_msg("bad JSON <<%s>>: %s", fields_json, jerr.text);
    got = tu_url_expand(tmpl, fields, id_field, NULL, &missing);
    if (!got)
        fail_msg("%s with %s: NULL (missing at %s)", tmpl, fields_json,
                 missing ? missing : "NULL");
    assert_null(missing);
    assert_string_equal(got, expected);
    free(got);
    json_decref(fields);
}

/* The path segment a string value becomes in "/r/{v}". */
static void assert_segment(const char *value, const char *expected)
{
    json_t *fields = json_pack("{s:s}", "v", value);
    const char *missing;
    char *got = tu_url_expand("/r/{v}", fields, NULL, NULL, &missing);
    char want[256];
    assert_non_null(got);
    strcpy(want, "/r/");
    strcat(want, expected);
    assert_string_equal(got, want);
    free(got);
    json_decref(fields);
}

static void assert_missing(const char *tmpl, const char *fields_json,
                           const char *id_field, size_t brace_offset)
{
    json_error_t jerr;
    json_t *fields = json_loads(fields_json, 0, &jerr);
    const char *missing = NULL;
    assert_non_null(fields);
    assert_null(tu_url_expand(tmpl, fields, id_field, NULL, &missing));
    assert_ptr_equal(missing, tmpl + brace_offset);
    assert_int_equal(*missing, '{');
    json_decref(fields);
}

/* ---- tu_url_template_check ---------------------------------------------- */

static void test_check(void **state)
{
    (void)state;
    assert_null(tu_url_template_check(""));
    assert_null(tu_url_template_check("/records"));
    assert_null(tu_url_template_check("/records/{id}"));
    assert_null(tu_url_template_check("/zones/{zone}/records/{id}"));
    assert_null(tu_url_template_check("{a}{b}"));
    assert_null(tu_url_template_check("https://api.test/x/{id}?v=1"));

    assert_string_equal(tu_url_template_check("{"),
                        "a '{' without its '}'");
    assert_string_equal(tu_url_template_check("/records/{id"),
                        "a '{' without its '}'");
    assert_string_equal(tu_url_template_check("/a/{b{c}"),
                        "a '{' without its '}'");
    assert_string_equal(tu_url_template_check("}"),
                        "a '}' without its '{'");
    assert_string_equal(tu_url_template_check("/records/id}"),
                        "a '}' without its '{'");
    assert_string_equal(tu_url_template_check("/records/{id}}"),
                        "a '}' without its '{'");
    assert_string_equal(tu_url_template_check("{}"),
                        "an empty placeholder '{}'");
    assert_string_equal(tu_url_template_check("/records/{id}/{}"),
                        "an empty placeholder '{}'");
}

/* ---- expansion ---------------------------------------------------------- */

static void test_id_field(void **state)
{
    (void)state;
    /* {id} is the field named by resource.id */
    assert_expands("/records/{id}", "{\"uuid\":\"abc\",\"id\":\"wrong\"}",
                   "uuid", "/records/abc");
    assert_expands("/records/{id}", "{\"id\":\"plain\"}", "id",
                   "/records/plain");
    /* without an id field, {id} is the field "id" */
    assert_expands("/records/{id}", "{\"id\":17}", NULL, "/records/17");
    /* other placeholders are fields, even with an id field set */
    assert_expands("/zones/{zone}/records/{id}",
                   "{\"zone\":\"z1\",\"rid\":5}", "rid",
                   "/zones/z1/records/5");
    /* {idx} is not {id} */
    assert_expands("/r/{idx}", "{\"idx\":\"i\",\"rid\":5}", "rid", "/r/i");
    /* the same placeholder twice, and none at all */
    assert_expands("/{a}/{a}", "{\"a\":\"x\"}", NULL, "/x/x");
    assert_expands("/records", "{}", NULL, "/records");
    assert_expands("", "{}", NULL, "");
    /* an absolute template is kept as written around the placeholders */
    assert_expands("https://api.test/v1/r/{id}?x=1", "{\"id\":\"q\"}", NULL,
                   "https://api.test/v1/r/q?x=1");
}

static void test_numbers_and_booleans(void **state)
{
    (void)state;
    assert_expands("/r/{n}", "{\"n\":42}", NULL, "/r/42");
    assert_expands("/r/{n}", "{\"n\":-3}", NULL, "/r/-3");
    assert_expands("/r/{n}", "{\"n\":600.0}", NULL, "/r/600");
    assert_expands("/r/{n}", "{\"n\":1.5}", NULL, "/r/1.5");
    assert_expands("/r/{n}", "{\"n\":1e300}", NULL,
                   "/r/1e%2B300");
    assert_expands("/r/{n}", "{\"n\":9223372036854775807}", NULL,
                   "/r/9223372036854775807");
    assert_expands("/r/{b}", "{\"b\":true}", NULL, "/r/true");
    assert_expands("/r/{b}", "{\"b\":false}", NULL, "/r/false");
}

static void test_encoding(void **state)
{
    (void)state;
    assert_segment("abcXYZ019", "abcXYZ019");
    assert_segment("-._~", "-._~");
    assert_segment("a/b", "a%2Fb");
    assert_segment("../../admin", "..%2F..%2Fadmin");
    assert_segment("x?delete=all", "x%3Fdelete%3Dall");
    assert_segment("frag#ment", "frag%23ment");
    assert_segment("a b", "a%20b");
    assert_segment("100%", "100%25");
    assert_segment("%2F", "%252F");
    assert_segment("a+b&c=d;e,f", "a%2Bb%26c%3Dd%3Be%2Cf");
    assert_segment("www.example.org.", "www.example.org.");
    assert_segment("caf\xc3\xa9", "caf%C3%A9");
    assert_segment("\xe2\x9c\x93", "%E2%9C%93");
    assert_segment("tab\there\nnl", "tab%09here%0Anl");
    assert_segment("{id}", "%7Bid%7D");
    assert_segment("a:b@c", "a%3Ab%40c");
    assert_segment("back\\slash", "back%5Cslash");
}

/* A value "." or ".." would make a dot-segment that servers and libcurl
 * resolve away ("/records/.." is "/"): its dots are encoded. Dots inside a
 * longer value are left alone. An empty value would name the collection
 * ("/records/"): the record cannot fill the placeholder. */
static void test_dot_segments(void **state)
{
    json_t *empty = json_pack("{s:s}", "id", "");
    const char *missing = NULL;
    const char *tmpl = "/records/{id}";
    (void)state;
    assert_segment("..", "%2E%2E");
    assert_segment(".", "%2E");
    assert_segment("...", "...");
    assert_segment("a..b", "a..b");
    assert_expands("/records/{id}", "{\"id\":\"..\"}", NULL,
                   "/records/%2E%2E");
    assert_null(tu_url_expand(tmpl, empty, NULL, NULL, &missing));
    assert_ptr_equal(missing, tmpl + 9);
    json_decref(empty);
}

/* An unchecked template with a '{' never closed fails cleanly. */
static void test_unclosed_brace(void **state)
{
    json_t *fields = json_pack("{s:s}", "id", "x");
    const char *missing = NULL;
    const char *tmpl = "/r/{id";
    (void)state;
    assert_null(tu_url_expand(tmpl, fields, NULL, NULL, &missing));
    assert_ptr_equal(missing, tmpl + 3);
    json_decref(fields);
}

static void test_percent_encode(void **state)
{
    char *s;
    (void)state;
    s = tu_percent_encode("a/b c", 5);
    assert_string_equal(s, "a%2Fb%20c");
    free(s);
    s = tu_percent_encode("a\0b", 3);   /* explicit length: NUL encoded */
    assert_string_equal(s, "a%00b");
    free(s);
    s = tu_percent_encode("abc", 2);
    assert_string_equal(s, "ab");
    free(s);
    s = tu_percent_encode("", 0);
    assert_string_equal(s, "");
    free(s);
    s = tu_percent_encode("\xff\x80\x7f", 3);
    assert_string_equal(s, "%FF%80%7F");
    free(s);
}

static void test_missing(void **state)
{
    (void)state;
    assert_missing("/records/{id}", "{\"name\":\"a\"}", NULL, 9);
    assert_missing("/records/{id}", "{\"id\":1}", "uuid", 9);
    assert_missing("/zones/{zone}/records/{id}", "{\"id\":1}", NULL, 7);
    /* the first unfillable one is reported */
    assert_missing("/zones/{zone}/records/{id}", "{\"zone\":\"z\"}", NULL,
                   22);
    /* values that are not scalars cannot fill a path */
    assert_missing("/r/{v}", "{\"v\":null}", NULL, 3);
    assert_missing("/r/{v}", "{\"v\":[1]}", NULL, 3);
    assert_missing("/r/{v}", "{\"v\":{\"a\":1}}", NULL, 3);
    /* placeholder names are matched exactly */
    assert_missing("/r/{Name}", "{\"name\":\"a\"}", NULL, 3);
    assert_missing("/r/{name }", "{\"name\":\"a\"}", NULL, 3);
}

/* ---- placeholders, variables ------------------------------------------- */

static void test_placeholder_walk(void **state)
{
    const char *tmpl = "/a/{vhost}/b/{name}?x={id}", *name, *p = tmpl;
    const char *want[] = {"vhost", "name", "id"};
    size_t len, n = 0;
    (void)state;
    while ((p = tu_url_placeholder(p, &name, &len)) != NULL) {
        assert_true(n < 3);
        assert_int_equal(len, strlen(want[n]));
        assert_memory_equal(name, want[n], len);
        assert_int_equal(name[-1], '{');
        n++;
    }
    assert_int_equal(n, 3);
    assert_null(tu_url_placeholder("/records", &name, &len));
    assert_null(tu_url_placeholder("", &name, &len));
}

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!v)
        fail_msg("bad JSON <<%s>>: %s", text, jerr.text);
    return v;
}

/* A record's field wins; a variable fills what the record lacks, but only
 * a variable with exactly one value. */
static void test_vars_fill(void **state)
{
    json_t *vars = load("{\"vhost\": [\"/\"], \"many\": [\"a\", \"b\"]}");
    json_t *rec = load("{\"name\": \"q 1\"}");
    json_t *own = load("{\"name\": \"q\", \"vhost\": \"v2\"}");
    const char *tmpl = "/queues/{vhost}/{name}", *many = "/x/{many}";
    const char *missing;
    char *got;
    (void)state;
    got = tu_url_expand(tmpl, rec, NULL, vars, &missing);
    assert_string_equal(got, "/queues/%2F/q%201");
    free(got);
    got = tu_url_expand(tmpl, own, NULL, vars, &missing);
    assert_string_equal(got, "/queues/v2/q");
    free(got);
    assert_null(tu_url_expand(many, rec, NULL, vars, &missing));
    assert_ptr_equal(missing, many + 3);
    assert_null(tu_url_expand(tmpl, rec, NULL, NULL, &missing));
    assert_ptr_equal(missing, tmpl + 8);
    json_decref(vars);
    json_decref(rec);
    json_decref(own);
}

static void assert_each(const char *tmpl, const char *vars_json,
                        const char *want_json)
{
    json_t *vars = load(vars_json), *want = load(want_json);
    const char *missing = "unset";
    json_t *got = tu_url_expand_each(tmpl, vars, 100, &missing);
    char *text = got ? json_dumps(got, JSON_COMPACT) : NULL;
    if (!got || !json_equal(got, want))
        fail_msg("%s over %s: got %s, want %s", tmpl, vars_json,
                 text ? text : "NULL", want_json);
    assert_null(missing);
    free(text);
    json_decref(got);
    json_decref(want);
    json_decref(vars);
}

static void test_expand_each(void **state)
{
    const char *missing;
    json_t *vars = load("{\"a\": [\"1\", \"2\", \"3\"], \"b\": [\"x\", \"y\"]}");
    (void)state;
    assert_each("/records", "{}", "[\"/records\"]");
    assert_each("/queues/{vhost}", "{\"vhost\": [\"/\"]}",
                "[\"/queues/%2F\"]");
    assert_each("/queues/{vhost}", "{\"vhost\": [\"/\", \"b c\"]}",
                "[\"/queues/%2F\", \"/queues/b%20c\"]");
    /* the first placeholder's values vary slowest; a repeated one is one
     * variable, not two */
    assert_each("/{a}/{b}/{a}", "{\"a\": [\"1\", \"2\"], \"b\": [\"x\", \"y\"]}",
                "[\"/1/x/1\", \"/1/y/1\", \"/2/x/2\", \"/2/y/2\"]");
    /* a placeholder that names no variable, and too many combinations */
    assert_null(tu_url_expand_each("/q/{vhost}", vars, 100, &missing));
    assert_string_equal(missing, "{vhost}");
    assert_null(tu_url_expand_each("/{a}/{b}", vars, 5, &missing));
    assert_string_equal(missing, "{b}");
    json_decref(vars);
}

/* tu_url_expand_into appends to what a reused buffer holds; a long value
 * is encoded in chunks, and a dot at a chunk's edge stays a dot (only a
 * whole "." or ".." has its dots encoded). */
static void test_expand_into_reused_buffer(void **state)
{
    tu_buffer b = TU_BUFFER_INIT;
    char long_value[200];
    json_t *fields;
    const char *missing = "unset";

    (void)state;
    memset(long_value, 'a', 64);
    strcpy(long_value + 64, ".");
    fields = json_pack("{s:s, s:s, s:I, s:f}", "name", long_value,
                       "dots", "..", "n", (json_int_t)-7, "r", 2.5);
    assert_int_equal(tu_buffer_puts(&b, "http://h"), 0);
    assert_int_equal(tu_url_expand_into(&b, "/r/{name}/{dots}/{n}/{r}",
                                        fields, NULL, NULL, &missing), 0);
    assert_null(missing);
    assert_int_equal(b.len, strlen("http://h/r/") + 65 +
                     strlen("/%2E%2E/-7/2.5"));
    assert_memory_equal(b.data + strlen("http://h/r/") + 64, "./%2E%2E/-7/2.5",
                        strlen("./%2E%2E/-7/2.5"));
    b.len = 0;
    assert_int_equal(tu_url_expand_into(&b, "/r/{nope}", fields, NULL, NULL,
                                        &missing), -1);
    assert_non_null(missing);
    assert_string_equal(missing, "{nope}");
    tu_buffer_free(&b);
    json_decref(fields);
}

/* A packed record expands exactly as its jansson form: strings (encoded),
 * integers, reals, booleans, {id}, variables for absent fields, and the
 * same placeholder reported for null, empty, nested or absent values. */
static void test_expand_packed_same_as_json(void **state)
{
    static const char *const tmpls[] = {
        "/r/{name}/{n}/{r}/{t}/{id}", "/v/{zone}/{name}", "/x/{nothing}",
        "/x/{nul}", "/x/{empty}", "/x/{obj}", "/x/{list}", "/x/{f}", NULL};
    tu_pack_store store;
    tu_buffer a = TU_BUFFER_INIT, b = TU_BUFFER_INIT;
    json_t *fields = json_pack(
        "{s:s, s:I, s:f, s:b, s:b, s:n, s:s, s:{}, s:[i], s:I}", "name",
        "a/b c..", "n", (json_int_t)42, "r", 2.5, "t", 1, "f", 0, "nul",
        "empty", "", "obj", "list", 1, "uid", (json_int_t)7);
    json_t *vars = json_pack("{s:[s], s:[s,s]}", "zone", "z1", "two", "a",
                             "b");
    const tu_packed *packed;
    const char *missing;

    (void)state;
    tu_pack_store_init(&store);
    packed = tu_pack(&store, fields);
    assert_non_null(packed);
    for (size_t i = 0; tmpls[i]; i++) {
        const char *ma = "unset", *mb = "unset";
        int ra, rb;
        a.len = b.len = 0;
        ra = tu_url_expand_into(&a, tmpls[i], fields, "uid", vars, &ma);
        rb = tu_url_expand_packed(&b, tmpls[i], packed, "uid", vars, &mb);
        assert_int_equal(ra, rb);
        assert_ptr_equal(ma, mb);
        if (ra == 0)
            assert_string_equal(a.data, b.data);
    }
    b.len = 0;
    assert_int_equal(tu_url_expand_packed(&b, tmpls[0], packed, "uid", vars,
                                          &missing), 0);
    assert_string_equal(b.data, "/r/a%2Fb%20c../42/2.5/true/7");
    tu_buffer_free(&a);
    tu_buffer_free(&b);
    tu_pack_store_free(&store);
    json_decref(fields);
    json_decref(vars);
}

/* Placeholder names are matched whole, however long: a prefix of a field
 * name is no field, and a name of 300 characters is found in a packed
 * record as in its jansson form. */
static void test_expand_packed_names(void **state)
{
    char name[301], tmpl[310];
    tu_pack_store store;
    tu_buffer a = TU_BUFFER_INIT, b = TU_BUFFER_INIT;
    json_t *fields = json_pack("{s:s}", "name", "n1");
    const tu_packed *packed;
    const char *ma = NULL, *mb = NULL;

    (void)state;
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    json_object_set_new(fields, name, json_string("long"));
    snprintf(tmpl, sizeof tmpl, "/l/{%s}", name);
    tu_pack_store_init(&store);
    packed = tu_pack(&store, fields);
    assert_non_null(packed);
    assert_int_equal(tu_url_expand_into(&a, tmpl, fields, NULL, NULL, &ma), 0);
    assert_int_equal(tu_url_expand_packed(&b, tmpl, packed, NULL, NULL, &mb),
                     0);
    assert_string_equal(a.data, "/l/long");
    assert_string_equal(b.data, "/l/long");
    b.len = 0;
    assert_int_equal(tu_url_expand_packed(&b, "/p/{nam}", packed, NULL, NULL,
                                          &mb), -1);
    assert_string_equal(mb, "{nam}");
    tu_buffer_free(&a);
    tu_buffer_free(&b);
    tu_pack_store_free(&store);
    json_decref(fields);
}

/* ---- filters, bodies and headers --------------------------------------- */

static void test_placeholder_parse(void **state)
{
    tu_placeholder ph;
    (void)state;
    assert_int_equal(tu_placeholder_parse("env.U | base64", 14, &ph), 0);
    assert_int_equal(ph.len, 5);
    assert_memory_equal(ph.name, "env.U", 5);
    assert_true(ph.base64);
    assert_int_equal(tu_placeholder_parse("x|base64", 8, &ph), 0);
    assert_int_equal(ph.len, 1);
    assert_true(ph.base64);
    assert_int_equal(tu_placeholder_parse("name ", 5, &ph), 0);
    assert_int_equal(ph.len, 5);   /* without a filter: as it is */
    assert_false(ph.base64);
    assert_int_equal(tu_placeholder_parse("x | hex", 7, &ph), -1);
    assert_int_equal(tu_placeholder_parse(" | base64", 9, &ph), -1);
}

static void test_path_base64(void **state)
{
    json_t *vars = json_pack("{s:[s]}", "env.U", "ipm admin");
    (void)state;
    assert_expands("/r/{name | base64}", "{\"name\": \"ab?\"}", NULL,
                   "/r/YWI%2F");
    assert_expands("/r/{n|base64}", "{\"n\": 600}", NULL, "/r/NjAw");
    {
        const char *missing;
        char *got = tu_url_expand("/u/{env.U | base64}", NULL, NULL, vars,
                                  &missing);
        assert_string_equal(got, "/u/aXBtIGFkbWlu");
        free(got);
        assert_null(tu_url_expand("/u/{v | base64}", NULL, NULL, vars,
                                  &missing));
        assert_string_equal(missing, "{v | base64}");
    }
    json_decref(vars);
}

/* The template `tmpl_json` expanded with fields, live and vars, as compact
 * JSON (sorted keys), compared with `expected`. */
static void assert_template(const char *tmpl_json, const char *expected)
{
    json_t *tmpl = json_loads(tmpl_json, JSON_DECODE_ANY, NULL);
    json_t *fields = json_pack("{s:s, s:i, s:b, s:n, s:{s:i}}", "name",
                               "www", "ttl", 600, "on", 1, "gone", "nest",
                               "a", 1);
    json_t *live = json_pack("{s:s, s:s}", "rr_id", "42", "name", "old");
    json_t *vars = json_pack("{s:[s], s:[s,s]}", "env.KEY", "pk1_x", "many",
                             "a", "b");
    json_t *record = json_pack("{s:s}", "content", "192.0.2.1");
    tu_tmpl_src src = {fields, live, "rr_id", vars, record};
    const char *missing = "unset";
    json_t *got;
    char *text;

    assert_non_null(tmpl);
    got = tu_template_json(tmpl, &src, &missing);
    if (!got)
        fail_msg("%s: NULL (missing at %s)", tmpl_json,
                 missing ? missing : "NULL");
    assert_null(missing);
    text = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    assert_string_equal(text, expected);
    free(text);
    json_decref(got);
    json_decref(tmpl);
    json_decref(fields);
    json_decref(live);
    json_decref(vars);
    json_decref(record);
}

static void test_template_json(void **state)
{
    (void)state;
    assert_template("{\"t\": \"{ttl}\", \"n\": \"{name}\", \"o\": \"{on}\"}",
                    "{\"n\":\"www\",\"o\":true,\"t\":600}");
    assert_template("\"{gone}\"", "null");
    assert_template("\"{nest}\"", "{\"a\":1}");
    assert_template("\"{ttl | base64}\"", "\"NjAw\"");
    assert_template("\"ttl={ttl}s, {name}/{id}\"", "\"ttl=600s, www/42\"");
    assert_template("{\"data\": \"{fields}\", \"k\": [\"{env.KEY}\", 3]}",
                    "{\"data\":{\"content\":\"192.0.2.1\"},\"k\":"
                    "[\"pk1_x\",3]}");
    assert_template("{\"a\": {\"b\": {\"c\": \"key {env.KEY | base64}\"}}}",
                    "{\"a\":{\"b\":{\"c\":\"key cGsxX3g=\"}}}");
    assert_template("{\"id\": \"{id}\", \"name\": \"{name}\"}",
                    "{\"id\":\"42\",\"name\":\"www\"}");  /* desired first */
    assert_template("[1, true, null, \"plain\"]", "[1,true,null,\"plain\"]");
}

/* The placeholder of `tmpl_json` that has no value starts at `at`. */
static void assert_template_missing(const char *tmpl_json, const char *at)
{
    json_t *tmpl = json_loads(tmpl_json, JSON_DECODE_ANY, NULL);
    json_t *fields = json_pack("{s:n, s:[i]}", "gone", "list", 1);
    json_t *vars = json_pack("{s:[s,s]}", "many", "a", "b");
    tu_tmpl_src src = {fields, NULL, NULL, vars, NULL};
    const char *missing = NULL;

    assert_null(tu_template_json(tmpl, &src, &missing));
    assert_non_null(missing);
    assert_string_equal(missing, at);
    json_decref(tmpl);
    json_decref(fields);
    json_decref(vars);
}

static void test_template_missing(void **state)
{
    (void)state;
    assert_template_missing("{\"a\": [\"{nothing}\"]}", "{nothing}");
    assert_template_missing("\"x {gone}\"", "{gone}");       /* null: text */
    assert_template_missing("\"x {list}\"", "{list}");       /* a list */
    assert_template_missing("\"{many}\"", "{many}");   /* several values */
    assert_template_missing("\"{fields}\"", "{fields}");  /* no record */
    assert_template_missing("\"{gone | base64}\"", "{gone | base64}");
}

static void test_template_text(void **state)
{
    json_t *vars = json_pack("{s:[s]}", "env.SDS_USER", "ipmadmin");
    tu_tmpl_src src = {NULL, NULL, NULL, vars, NULL};
    tu_buffer b = TU_BUFFER_INIT;
    const char *missing;
    (void)state;
    assert_int_equal(tu_template_text_into(&b, "{env.SDS_USER | base64}",
                                           &src, &missing), 0);
    assert_string_equal(b.data, "aXBtYWRtaW4=");
    b.len = 0;
    assert_int_equal(tu_template_text_into(&b, "u={env.SDS_USER}/ a?b",
                                           &src, &missing), 0);
    assert_string_equal(b.data, "u=ipmadmin/ a?b");   /* not encoded */
    assert_true(tu_template_is_whole("{fields}"));
    assert_true(tu_template_is_whole("{a | base64}"));
    assert_false(tu_template_is_whole("{a}{b}"));
    assert_false(tu_template_is_whole("x{a}"));
    assert_false(tu_template_is_whole("{}"));
    tu_buffer_free(&b);
    json_decref(vars);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_expand_into_reused_buffer),
        cmocka_unit_test(test_expand_packed_same_as_json),
        cmocka_unit_test(test_expand_packed_names),
        cmocka_unit_test(test_id_field),
        cmocka_unit_test(test_numbers_and_booleans),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_dot_segments),
        cmocka_unit_test(test_unclosed_brace),
        cmocka_unit_test(test_percent_encode),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_placeholder_walk),
        cmocka_unit_test(test_vars_fill),
        cmocka_unit_test(test_expand_each),
        cmocka_unit_test(test_placeholder_parse),
        cmocka_unit_test(test_path_base64),
        cmocka_unit_test(test_template_json),
        cmocka_unit_test(test_template_missing),
        cmocka_unit_test(test_template_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
