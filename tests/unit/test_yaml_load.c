/* test_yaml_load.c -- the YAML loader: core-schema scalars, containers,
 * anchors and merge keys, limits, positions, and every error message.
 *
 * Most cases load text with tu_yaml_load_string under the name "t.yaml";
 * the file cases use fixtures in $TU_TEST_DATA/yaml/.
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
#include <sys/stat.h>

#include "state/yaml_load.h"

/* ---- helpers ------------------------------------------------------------ */

static json_t *load(const char *text, tu_srcmap *map, tu_error *err)
{
    return tu_yaml_load_string(text, strlen(text), "t.yaml", map, err);
}

/* Load `text` expecting success; the root, owned by the caller. */
static json_t *load_ok(const char *text, tu_srcmap *map)
{
    tu_error err = {0};
    json_t *root = load(text, map, &err);
    if (!root)
        fail_msg("unexpected error for <<%s>>: %s", text, err.message);
    return root;
}

static void assert_error(const char *text, const char *expected)
{
    tu_error err = {0};
    tu_srcmap *map = tu_srcmap_new();
    json_t *root = load(text, map, &err);
    if (root)
        fail_msg("<<%s>> loaded, expected error: %s", text, expected);
    assert_string_equal(err.message, expected);
    tu_srcmap_free(map);
}

/* The value of key "v" in "v: <scalar>" must equal the JSON `expected`. */
static void assert_scalar(const char *scalar, const char *expected_json)
{
    char text[256];
    json_error_t jerr;
    json_t *expected =
        json_loads(expected_json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    json_t *root;
    assert_non_null(expected);
    snprintf(text, sizeof text, "v: %s\n", scalar);
    root = load_ok(text, NULL);
    if (!json_equal(json_object_get(root, "v"), expected)) {
        char *got = json_dumps(json_object_get(root, "v"), JSON_ENCODE_ANY);
        fail_msg("v: %s gave %s, expected %s", scalar, got, expected_json);
    }
    json_decref(expected);
    json_decref(root);
}

static void assert_json(const char *text, const char *expected_json)
{
    json_error_t jerr;
    json_t *expected = json_loads(expected_json, JSON_DECODE_ANY, &jerr);
    json_t *root = load_ok(text, NULL);
    assert_non_null(expected);
    if (!json_equal(root, expected)) {
        char *got = json_dumps(root, JSON_ENCODE_ANY | JSON_COMPACT);
        fail_msg("<<%s>> gave %s, expected %s", text, got, expected_json);
    }
    json_decref(expected);
    json_decref(root);
}

static void assert_pos(tu_srcpos pos, const char *file, unsigned line,
                       unsigned column)
{
    assert_non_null(pos.file);
    assert_string_equal(pos.file, file);
    assert_int_equal(pos.line, line);
    assert_int_equal(pos.column, column);
}

static char *data_path(const char *name)
{
    const char *dir = getenv("TU_TEST_DATA");
    char *path;
    if (!dir)
        dir = TU_TEST_DATA_DIR; /* run by hand, outside ctest */
    path = malloc(strlen(dir) + strlen(name) + 8);
    assert_non_null(path);
    sprintf(path, "%s/yaml/%s", dir, name);
    return path;
}

static void assert_file_error(const char *path, const char *suffix)
{
    tu_error err = {0};
    tu_srcmap *map = tu_srcmap_new();
    char expected[4096];
    json_t *root = tu_yaml_load_file(path, map, &err);
    assert_null(root);
    snprintf(expected, sizeof expected, "%s%s", path, suffix);
    assert_string_equal(err.message, expected);
    tu_srcmap_free(map);
}

/* ---- scalars ------------------------------------------------------------ */

static void test_scalar_null_and_bool(void **state)
{
    (void)state;
    assert_scalar("null", "null");
    assert_scalar("Null", "null");
    assert_scalar("NULL", "null");
    assert_scalar("~", "null");
    assert_scalar("", "null");
    assert_scalar("true", "true");
    assert_scalar("True", "true");
    assert_scalar("TRUE", "true");
    assert_scalar("false", "false");
    assert_scalar("False", "false");
    assert_scalar("FALSE", "false");
    /* YAML 1.2 core: these are strings, not YAML 1.1 booleans or nulls */
    assert_scalar("yes", "\"yes\"");
    assert_scalar("no", "\"no\"");
    assert_scalar("on", "\"on\"");
    assert_scalar("off", "\"off\"");
    assert_scalar("y", "\"y\"");
    assert_scalar("tRUE", "\"tRUE\"");
    assert_scalar("nULL", "\"nULL\"");
    assert_scalar("nullx", "\"nullx\"");
}

static void test_scalar_integers(void **state)
{
    (void)state;
    assert_scalar("0", "0");
    assert_scalar("600", "600");
    assert_scalar("-0", "0");
    assert_scalar("+12", "12");
    assert_scalar("-17", "-17");
    assert_scalar("007", "7");
    assert_scalar("0o17", "15");
    assert_scalar("0o0", "0");
    assert_scalar("0x1F", "31");
    assert_scalar("0xff", "255");
    assert_scalar("9223372036854775807", "9223372036854775807");
    assert_scalar("-9223372036854775808", "-9223372036854775808");
    assert_scalar("0x7FFFFFFFFFFFFFFF", "9223372036854775807");
    assert_scalar("0o777777777777777777777", "9223372036854775807");
    /* not core-schema integers: strings */
    assert_scalar("0o", "\"0o\"");
    assert_scalar("0x", "\"0x\"");
    assert_scalar("0o8", "\"0o8\"");
    assert_scalar("0xG", "\"0xG\"");
    assert_scalar("0O17", "\"0O17\"");
    assert_scalar("-0x1F", "\"-0x1F\"");
    assert_scalar("1_000", "\"1_000\"");
    assert_scalar("12:30", "\"12:30\"");
    assert_scalar("+", "\"+\"");
    assert_scalar("-x", "\"-x\"");
}

static void test_scalar_integer_range(void **state)
{
    (void)state;
    assert_error("v: 9223372036854775808",
                 "t.yaml:1:4: integer '9223372036854775808' is out of the "
                 "64-bit range; quote it to make it a string");
    assert_error("v: -9223372036854775809",
                 "t.yaml:1:4: integer '-9223372036854775809' is out of the "
                 "64-bit range; quote it to make it a string");
    assert_error("v: 0x8000000000000000",
                 "t.yaml:1:4: integer '0x8000000000000000' is out of the "
                 "64-bit range; quote it to make it a string");
    assert_error("v: 0o1000000000000000000000",
                 "t.yaml:1:4: integer '0o1000000000000000000000' is out of "
                 "the 64-bit range; quote it to make it a string");
    assert_error("- 1\n- 99999999999999999999999999",
                 "t.yaml:2:3: integer '99999999999999999999999999' is out of "
                 "the 64-bit range; quote it to make it a string");
    assert_scalar("\"99999999999999999999\"", "\"99999999999999999999\"");
}

static void test_scalar_floats(void **state)
{
    (void)state;
    assert_scalar("1e3", "1000.0");
    assert_scalar("1E3", "1000.0");
    assert_scalar(".5", "0.5");
    assert_scalar("-.5", "-0.5");
    assert_scalar("+.5", "0.5");
    assert_scalar("2.5", "2.5");
    assert_scalar("1.", "1.0");
    assert_scalar("1.5e-2", "0.015");
    assert_scalar("-1.5E+2", "-150.0");
    assert_scalar("0.0", "0.0");
    assert_scalar("1e-400", "0.0");
    /* not core-schema floats: strings */
    assert_scalar(".", "\".\"");
    assert_scalar("1e", "\"1e\"");
    assert_scalar("1e+", "\"1e+\"");
    assert_scalar("e3", "\"e3\"");
    assert_scalar("1.2.3", "\"1.2.3\"");
    assert_scalar("192.0.2.1", "\"192.0.2.1\"");
    assert_scalar(".infx", "\".infx\"");
    assert_scalar("inf", "\"inf\"");
    assert_scalar("nan", "\"nan\"");
    assert_scalar("0x1p3", "\"0x1p3\"");
    assert_scalar("2001-12-14", "\"2001-12-14\"");
}

static void test_scalar_inf_nan_errors(void **state)
{
    (void)state;
    assert_error("v: .inf", "t.yaml:1:4: '.inf': infinity and NaN cannot be "
                 "represented in JSON; quote it to make it a string");
    assert_error("v: -.Inf", "t.yaml:1:4: '-.Inf': infinity and NaN cannot "
                 "be represented in JSON; quote it to make it a string");
    assert_error("v: +.INF", "t.yaml:1:4: '+.INF': infinity and NaN cannot "
                 "be represented in JSON; quote it to make it a string");
    assert_error("v: .NaN", "t.yaml:1:4: '.NaN': infinity and NaN cannot be "
                 "represented in JSON; quote it to make it a string");
    assert_error("v: !!float .nan", "t.yaml:1:4: '.nan': infinity and NaN "
                 "cannot be represented in JSON; quote it to make it a "
                 "string");
    assert_error("v: 1e400", "t.yaml:1:4: number '1e400' is too large; quote "
                 "it to make it a string");
    assert_scalar("'.inf'", "\".inf\"");
    assert_scalar("!!str .nan", "\".nan\"");
}

static void test_scalar_quoted_and_block(void **state)
{
    (void)state;
    assert_scalar("\"true\"", "\"true\"");
    assert_scalar("'123'", "\"123\"");
    assert_scalar("\"~\"", "\"~\"");
    assert_scalar("''", "\"\"");
    assert_scalar("\"\"", "\"\"");
    assert_scalar("'null'", "\"null\"");
    assert_scalar("\"1e3\"", "\"1e3\"");
    assert_scalar("\"caf\\u00e9\"", "\"caf\\u00e9\"");
    assert_scalar("\"a\\0b\"", "\"a\\u0000b\"");
    assert_json("v: |\n  123\n", "{\"v\": \"123\\n\"}");
    assert_json("v: >\n  a\n  b\n", "{\"v\": \"a b\\n\"}");
    assert_json("v: |-\n  true\n", "{\"v\": \"true\"}");
    assert_scalar("hello world", "\"hello world\"");
    assert_scalar("http://x:8080/a", "\"http://x:8080/a\"");
}

static void test_scalar_tagged(void **state)
{
    (void)state;
    assert_scalar("!!str 600", "\"600\"");
    assert_scalar("!!str true", "\"true\"");
    assert_scalar("!!str null", "\"null\"");
    assert_scalar("!!str ~", "\"~\"");
    assert_scalar("!!str", "\"\"");
    assert_scalar("! 12", "\"12\"");
    assert_scalar("!<tag:yaml.org,2002:str> 7", "\"7\"");
    assert_scalar("!!int 12", "12");
    assert_scalar("!!int \"12\"", "12");
    assert_scalar("!!int 0x10", "16");
    assert_scalar("!!int '-3'", "-3");
    assert_scalar("!!float 1", "1.0");
    assert_scalar("!!float '2.5'", "2.5");
    assert_scalar("!!float 0o10", "8.0");
    assert_scalar("!!bool true", "true");
    assert_scalar("!!bool 'FALSE'", "false");
    assert_scalar("!!null null", "null");
    assert_scalar("!!null ''", "null");
    assert_scalar("!!null", "null");
    assert_json("v: !!map {a: 1}", "{\"v\": {\"a\": 1}}");
    assert_json("v: !!seq [1]", "{\"v\": [1]}");
    assert_json("v: !!map\n  a: 1\n", "{\"v\": {\"a\": 1}}");
    assert_json("!!map\na: 1\n", "{\"a\": 1}");
}

static void test_scalar_tag_errors(void **state)
{
    (void)state;
    assert_error("v: !!int abc", "t.yaml:1:4: 'abc' is not an integer, as "
                 "tag '!!int' requires");
    assert_error("v: !!int 1.5", "t.yaml:1:4: '1.5' is not an integer, as "
                 "tag '!!int' requires");
    assert_error("v: !!float abc", "t.yaml:1:4: 'abc' is not a number, as "
                 "tag '!!float' requires");
    assert_error("v: !!bool yes", "t.yaml:1:4: 'yes' is not true or false, "
                 "as tag '!!bool' requires");
    assert_error("v: !!null x", "t.yaml:1:4: 'x' is not null, as tag "
                 "'!!null' requires");
    assert_error("v: !!int 99999999999999999999", "t.yaml:1:4: integer "
                 "'99999999999999999999' is out of the 64-bit range; quote "
                 "it to make it a string");
    assert_error("v: !foo x", "t.yaml:1:4: unsupported tag '!foo' (use "
                 "!!str, !!int, !!float, !!bool or !!null, or no tag)");
    assert_error("v: !!binary aGk=", "t.yaml:1:4: unsupported tag "
                 "'!!binary' (use !!str, !!int, !!float, !!bool or !!null, "
                 "or no tag)");
    assert_error("v: !!timestamp 2001-12-14", "t.yaml:1:4: unsupported tag "
                 "'!!timestamp' (use !!str, !!int, !!float, !!bool or "
                 "!!null, or no tag)");
    assert_error("v: !<tag:example.com,2000:x> 1", "t.yaml:1:4: unsupported "
                 "tag 'tag:example.com,2000:x' (use !!str, !!int, !!float, "
                 "!!bool or !!null, or no tag)");
    assert_error("v: !!map x", "t.yaml:1:4: tag '!!map' cannot be used on a "
                 "scalar");
    assert_error("v: !!seq {a: 1}", "t.yaml:1:4: tag '!!seq' cannot be used "
                 "on a mapping");
    assert_error("v: !!str [1]", "t.yaml:1:4: tag '!!str' cannot be used on "
                 "a sequence");
    assert_error("v: !custom\n  a: 1\n", "t.yaml:1:4: unsupported tag "
                 "'!custom' (use !!str, !!int, !!float, !!bool or !!null, or "
                 "no tag)");
}

/* ---- containers and keys ------------------------------------------------ */

static void test_nested(void **state)
{
    (void)state;
    assert_json("a:\n"
                "  b:\n"
                "    - 1\n"
                "    - [x, {y: 2}]\n"
                "    - c: d\n"
                "      e: []\n"
                "  f: {}\n"
                "g: [[], [[]]]\n",
                "{\"a\": {\"b\": [1, [\"x\", {\"y\": 2}], {\"c\": \"d\", "
                "\"e\": []}], \"f\": {}}, \"g\": [[], [[]]]}");
    assert_json("- 1\n- two\n", "[1, \"two\"]");
    assert_json("just a string", "\"just a string\"");
    assert_json("42", "42");
    assert_json("---\na: 1\n...\n", "{\"a\": 1}");
    assert_json("---\n", "null");
    assert_json("%YAML 1.2\n---\na: yes\n", "{\"a\": \"yes\"}");
}

static void test_key_order_preserved(void **state)
{
    json_t *root = load_ok("z: 1\na: 2\nm: 3\n", NULL);
    const char *expected[] = {"z", "a", "m"};
    const char *key;
    json_t *value;
    size_t i = 0;
    (void)state;
    json_object_foreach(root, key, value) {
        assert_true(i < 3);
        assert_string_equal(key, expected[i]);
        assert_int_equal(json_integer_value(value), (json_int_t)i + 1);
        i++;
    }
    assert_int_equal(i, 3);
    json_decref(root);
}

static void test_scalar_keys(void **state)
{
    (void)state;
    assert_json("1: x\n0x1F: y\nnull: z\n~: w\ntrue: v\n1.5: u\n\"q\": t\n"
                "'': s\n!!str 7: r\n",
                "{\"1\": \"x\", \"0x1F\": \"y\", \"null\": \"z\", \"~\": "
                "\"w\", \"true\": \"v\", \"1.5\": \"u\", \"q\": \"t\", \"\": "
                "\"s\", \"7\": \"r\"}");
    /* untagged keys are text: not checked as numbers */
    assert_json(".inf: a\n99999999999999999999: b\n",
                "{\".inf\": \"a\", \"99999999999999999999\": \"b\"}");
    assert_json("? explicit\n: 1\n", "{\"explicit\": 1}");
    assert_json("\"<<\": 1\n", "{\"<<\": 1}");
}

static void test_key_errors(void **state)
{
    (void)state;
    assert_error("? [a, b]\n: 1\n", "t.yaml:1:3: a sequence cannot be used "
                 "as a key (keys must be scalars)");
    assert_error("? {a: 1}\n: 1\n", "t.yaml:1:3: a mapping cannot be used as "
                 "a key (keys must be scalars)");
    assert_error("{[1]: x}", "t.yaml:1:2: a sequence cannot be used as a key "
                 "(keys must be scalars)");
    assert_error("ok: 1\n\"a\\0b\": 1\n", "t.yaml:2:1: a key cannot contain "
                 "a NUL character");
    assert_error("!!int abc: 1\n", "t.yaml:1:1: 'abc' is not an integer, as "
                 "tag '!!int' requires");
    assert_error("!foo k: 1\n", "t.yaml:1:1: unsupported tag '!foo' (use "
                 "!!str, !!int, !!float, !!bool or !!null, or no tag)");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    assert_error("ttl: 1\nname: x\nttl: 2\n",
                 "t.yaml:3:1: duplicate key 'ttl' (first at line 1)");
    assert_error("records:\n  - name: a\n    ttl: 1\n    ttl: 2\n",
                 "t.yaml:4:5: duplicate key 'ttl' (first at line 3)");
    assert_error("{a: 1, b: 2, a: 3}",
                 "t.yaml:1:14: duplicate key 'a' (first at line 1)");
    /* keys are compared as text after typing: 1 and "1" collide */
    assert_error("1: a\n\"1\": b\n",
                 "t.yaml:2:1: duplicate key '1' (first at line 1)");
    assert_error("b: &x {a: 1}\nc:\n  <<: *x\n  <<: *x\n",
                 "t.yaml:4:3: duplicate key '<<' (first at line 3)");
    /* the same key in different mappings is fine */
    assert_json("a: {k: 1}\nb: {k: 2}\n",
                "{\"a\": {\"k\": 1}, \"b\": {\"k\": 2}}");
}

/* ---- anchors, aliases, merge keys -------------------------------------- */

static void test_alias_shares_value(void **state)
{
    json_t *root = load_ok("a: &x {p: 1, q: [1, 2]}\nb: *x\ns: &s hi\n"
                           "t: *s\nl: &l [1]\nm: [*l, *l]\n",
                           NULL);
    json_t *a = json_object_get(root, "a");
    json_t *m = json_object_get(root, "m");
    (void)state;
    assert_true(json_is_object(a));
    assert_ptr_equal(a, json_object_get(root, "b"));
    assert_int_equal(a->refcount, 2);
    assert_true(json_equal(a, json_object_get(root, "b")));
    assert_string_equal(json_string_value(json_object_get(root, "t")), "hi");
    assert_ptr_equal(json_array_get(m, 0), json_object_get(root, "l"));
    assert_ptr_equal(json_array_get(m, 1), json_object_get(root, "l"));
    assert_int_equal(json_object_get(root, "l")->refcount, 3);
    json_decref(root);
}

static void test_alias_misc(void **state)
{
    (void)state;
    /* an anchor may be redefined: later aliases see the new value */
    assert_json("a: &x 1\nb: *x\nc: &x 2\nd: *x\n",
                "{\"a\": 1, \"b\": 1, \"c\": 2, \"d\": 2}");
    /* an anchored key, and an alias used as a key */
    assert_json("&k name: 1\nother: *k\n", "{\"name\": 1, \"other\": \"name\"}");
    assert_json("a: &k key\n*k : 2\n", "{\"a\": \"key\", \"key\": 2}");
    assert_error("a: *nope\n", "t.yaml:1:4: unknown alias '*nope' (the "
                 "anchor '&nope' must come before its aliases)");
    /* a node cannot contain an alias to itself */
    assert_error("a: &x [1, *x]\n", "t.yaml:1:11: unknown alias '*x' (the "
                 "anchor '&x' must come before its aliases)");
    assert_error("a: &n 1\n*n : 2\n", "t.yaml:2:1: alias '*n' is used as a "
                 "key, so its anchor must be on a string");
    assert_error("a: &k key\n*k : 2\nkey: 3\n",
                 "t.yaml:3:1: duplicate key 'key' (first at line 2)");
}

static void test_merge_keys(void **state)
{
    (void)state;
    /* explicit keys win, before or after '<<' */
    assert_json("base: &b {ttl: 600, type: A, name: base}\n"
                "r1:\n  name: one\n  <<: *b\n  ttl: 300\n",
                "{\"base\": {\"ttl\": 600, \"type\": \"A\", \"name\": "
                "\"base\"}, \"r1\": {\"name\": \"one\", \"ttl\": 300, "
                "\"type\": \"A\"}}");
    /* a list of mappings: earlier ones win */
    assert_json("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\n"
                "c:\n  <<: [*a, *b]\n  w: 0\n",
                "{\"a\": {\"x\": 1, \"y\": 1}, \"b\": {\"y\": 2, \"z\": 2}, "
                "\"c\": {\"w\": 0, \"x\": 1, \"y\": 1, \"z\": 2}}");
    assert_json("a: &a {x: 1}\nc:\n  <<: [*a]\n",
                "{\"a\": {\"x\": 1}, \"c\": {\"x\": 1}}");
    /* an inline mapping works too */
    assert_json("c:\n  <<: {x: 1, y: 2}\n  y: 3\n", "{\"c\": {\"x\": 1, \"y\": 3}}");
    /* an empty mapping merges nothing */
    assert_json("c:\n  <<: {}\n  y: 3\n", "{\"c\": {\"y\": 3}}");
}

static void test_merge_does_not_touch_source(void **state)
{
    json_t *root = load_ok("d: &d {ttl: 600, tags: [a]}\n"
                           "r:\n  <<: *d\n  ttl: 1\n  extra: x\n",
                           NULL);
    json_t *d = json_object_get(root, "d");
    json_t *r = json_object_get(root, "r");
    (void)state;
    assert_int_equal(json_object_size(d), 2);
    assert_int_equal(json_integer_value(json_object_get(d, "ttl")), 600);
    assert_null(json_object_get(d, "extra"));
    assert_int_equal(json_object_size(r), 3);
    /* members are shared, shallow */
    assert_ptr_equal(json_object_get(r, "tags"), json_object_get(d, "tags"));
    json_decref(root);
}

static void test_merge_errors(void **state)
{
    (void)state;
    assert_error("a:\n  <<: 1\n", "t.yaml:2:7: the value of the merge key "
                 "'<<' must be a mapping or a list of mappings");
    assert_error("a:\n  <<: [{x: 1}, 2]\n", "t.yaml:2:7: the value of the "
                 "merge key '<<' must be a mapping or a list of mappings");
    assert_error("a:\n  <<:\n", "t.yaml:2:6: the value of the merge key "
                 "'<<' must be a mapping or a list of mappings");
    assert_error("s: &s [1]\na:\n  <<: *s\n", "t.yaml:3:7: the value of the "
                 "merge key '<<' must be a mapping or a list of mappings");
}

/* ---- limits ------------------------------------------------------------- */

/* The classic: nine levels of nine aliases, 10^9 nodes if expanded. */
static const char billion_laughs[] =
    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\","
    "\"lol\"]\n"
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

static void test_billion_laughs(void **state)
{
    (void)state;
    /* a=10 nodes, b=91, ... f=597871; the running total passes 10^6 at
     * the first *f in g (line 7, column 8) */
    assert_error(billion_laughs, "t.yaml:7:8: aliases expand to more than "
                 "1000000 nodes; refusing (billion-laughs protection)");
}

/* A document of n records, each merging the mapping anchored as &d, and
 * check that it loads whole: the last record has n and the merged `a`. */
static void assert_merged_records_load(const char *d, size_t n)
{
    char *text = malloc(strlen(d) + 16 + n * 32);
    char *p = text;
    json_t *root, *last;

    assert_non_null(text);
    p += sprintf(p, "d: &d %s\nr:\n", d);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "  - {<<: *d, n: %zu}\n", i);
    root = load_ok(text, NULL);
    assert_int_equal(json_array_size(json_object_get(root, "r")), n);
    last = json_array_get(json_object_get(root, "r"), n - 1);
    assert_int_equal(json_integer_value(json_object_get(last, "n")), n - 1);
    assert_int_equal(json_integer_value(json_object_get(last, "a")), 1);
    json_decref(root);
    free(text);
}

static void test_aliases_below_cap(void **state)
{
    (void)state;
    /* 5000 uses of a 3-key mapping (7 nodes): 35000 nodes, well allowed */
    assert_merged_records_load("{a: 1, b: 2, c: 3}", 5000);
}

/* 200,000 records each merging a 5-key mapping (11 nodes): 2.2M nodes
 * through aliases, past the fixed cap, but under 10 times the 800,000
 * nodes written in the file: a large file of this common shape loads. */
static void test_alias_budget_scales_with_file(void **state)
{
    (void)state;
    assert_merged_records_load("{a: 1, b: 2, c: 3, e: 4, f: 5}", 200000);
}

static char *nested_flow(size_t depth)
{
    char *text = malloc(depth * 2 + 2);
    assert_non_null(text);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[depth * 2] = '\n';
    text[depth * 2 + 1] = '\0';
    return text;
}

static void test_depth_cap(void **state)
{
    char *ok = nested_flow(TU_YAML_MAX_DEPTH);
    char *deep = nested_flow(TU_YAML_MAX_DEPTH + 1);
    char *huge = nested_flow(100000);
    json_t *root = load_ok(ok, NULL);
    (void)state;
    json_decref(root);
    assert_error(deep, "t.yaml:1:65: nesting deeper than 64 levels is not "
                 "supported");
    assert_error(huge, "t.yaml:1:65: nesting deeper than 64 levels is not "
                 "supported");
    free(ok);
    free(deep);
    free(huge);
}

static void test_depth_cap_block(void **state)
{
    /* 65 nested block mappings, the 65th on line 65 at column 129 */
    char text[65 * 140];
    char *p = text;
    int i;
    (void)state;
    for (i = 0; i < TU_YAML_MAX_DEPTH + 1; i++)
        p += sprintf(p, "%*sk:\n", i * 2, "");
    sprintf(p, "%*sv: 1\n", (TU_YAML_MAX_DEPTH + 1) * 2, "");
    assert_error(text, "t.yaml:65:129: nesting deeper than 64 levels is not "
                 "supported");
}

/* ---- documents and syntax errors --------------------------------------- */

static void test_documents(void **state)
{
    (void)state;
    assert_error("a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document "
                 "per file is supported");
    assert_error("---\na: 1\n...\n---\nb: 2\n", "t.yaml:4:1: only one YAML "
                 "document per file is supported");
    assert_error("", "t.yaml: the file is empty: write a desired-state "
                 "mapping (see docs/desired-state.md)");
    assert_error("# nothing here\n\n   \n# still nothing\n", "t.yaml: the file "
                 "is empty: write a desired-state mapping (see "
                 "docs/desired-state.md)");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    assert_error("a: b: c\n", "t.yaml:1:5: mapping values are not allowed in "
                 "this context");
    assert_error("a: [1, 2\n", "t.yaml:2:1: did not find expected ',' or ']' "
                 "(while parsing a flow sequence at line 1)");
    assert_error("- a\nb: 1\n", "t.yaml:2:1: did not find expected '-' "
                 "indicator (while parsing a block collection at line 1)");
    assert_error("a: \"x\\q\"\n", "t.yaml:1:6: found unknown escape character "
                 "(while parsing a quoted scalar)");
    assert_error("a: 'open\n", "t.yaml:2:1: found unexpected end of stream "
                 "(while scanning a quoted scalar at line 1)");
    assert_error("a: \x01\n", "t.yaml:1:4: control characters are not "
                 "allowed (#x1)");
    assert_error("a:\n\tb: 1\n", "t.yaml:2:1: found character that cannot "
                 "start any token (while scanning for the next token)");
}

static void test_raw_nul_and_crlf(void **state)
{
    static const char nul[] = "a: 1\0b: 2\n";
    static const char crlf[] = "a: 1\r\nb: 2\r\na: 3\r\n";
    tu_error err = {0};
    (void)state;
    assert_null(tu_yaml_load_string(nul, sizeof nul - 1, "t.yaml", NULL,
                                    &err));
    assert_string_equal(err.message, "t.yaml:1:5: control characters are "
                        "not allowed (#x0)");
    assert_error(crlf, "t.yaml:3:1: duplicate key 'a' (first at line 1)");
    assert_error("a: 1\r\nb: \xff\r\n", "t.yaml:2:4: not valid UTF-8 "
                 "(invalid leading UTF-8 octet #xFF); save the file as UTF-8");
    /* columns count characters, not bytes */
    assert_error("x: {\xc3\xa9: 1, \xc3\xa9: 2}", "t.yaml:1:11: duplicate "
                 "key '\xc3\xa9' (first at line 1)");
}

static void test_invalid_utf8_string(void **state)
{
    (void)state;
    assert_error("a: 1\nb: x\xffy\n", "t.yaml:2:5: not valid UTF-8 (invalid "
                 "leading UTF-8 octet #xFF); save the file as UTF-8");
    assert_error("a: \xc3\xa9\xc3\xa9\xed\xa0\x80\n", "t.yaml:1:6: not valid "
                 "UTF-8 (invalid Unicode character #xD800); save the file as "
                 "UTF-8");
    assert_error("a: \xc0\xaf\n", "t.yaml:1:4: not valid UTF-8 (invalid "
                 "length of a UTF-8 sequence); save the file as UTF-8");
}

/* ---- files -------------------------------------------------------------- */

static void test_file_ok_with_positions(void **state)
{
    char *path = data_path("simple.yaml");
    tu_error err = {0};
    tu_srcmap *map = tu_srcmap_new();
    json_t *root = tu_yaml_load_file(path, map, &err);
    json_t *target, *defaults, *records, *www, *mail;
    (void)state;
    if (!root)
        fail_msg("%s", err.message);
    target = json_object_get(root, "target");
    defaults = json_object_get(root, "defaults");
    records = json_object_get(root, "records");
    www = json_array_get(records, 0);
    mail = json_array_get(records, 1);
    assert_string_equal(json_string_value(json_object_get(target, "url")),
                        "http://localhost:8080");
    assert_int_equal(json_integer_value(json_object_get(www, "ttl")), 600);
    assert_int_equal(json_integer_value(json_object_get(mail, "ttl")), 300);
    assert_ptr_equal(json_object_get(www, "type"),
                     json_object_get(defaults, "type"));

    assert_pos(tu_srcmap_get(map, root), path, 2, 1);
    assert_pos(tu_srcmap_member(map, root, "target"), path, 2, 1);
    assert_pos(tu_srcmap_member(map, root, "records"), path, 8, 1);
    assert_pos(tu_srcmap_get(map, target), path, 3, 3);
    assert_pos(tu_srcmap_member(map, target, "token_env"), path, 4, 3);
    assert_pos(tu_srcmap_get(map, defaults), path, 5, 11);  /* the anchor */
    assert_pos(tu_srcmap_member(map, defaults, "type"), path, 7, 3);
    assert_pos(tu_srcmap_get(map, records), path, 9, 3);
    assert_pos(tu_srcmap_get(map, www), path, 9, 5);
    assert_pos(tu_srcmap_member(map, www, "name"), path, 9, 5);
    assert_pos(tu_srcmap_member(map, www, "value"), path, 11, 5);
    assert_pos(tu_srcmap_member(map, www, "ttl"), path, 10, 5);  /* '<<' */
    assert_pos(tu_srcmap_member(map, www, "type"), path, 10, 5);
    assert_pos(tu_srcmap_get(map, mail), path, 12, 5);
    assert_pos(tu_srcmap_member(map, mail, "value"), path, 12, 18);
    assert_pos(tu_srcmap_member(map, mail, "ttl"), path, 12, 36);
    /* an unknown key falls back to the object */
    assert_pos(tu_srcmap_member(map, mail, "nope"), path, 12, 5);
    /* the file name is interned in the map, not the caller's string */
    assert_ptr_equal(tu_srcmap_get(map, root).file, tu_srcmap_file(map, path));
    json_decref(root);
    tu_srcmap_free(map);
    free(path);
}

static void test_file_errors(void **state)
{
    char *missing = data_path("no-such-file.yaml");
    char *dir = data_path("");
    char *utf8 = data_path("invalid_utf8.yaml");
    char *comments = data_path("comments_only.yaml");
    (void)state;
    assert_file_error(missing, ": cannot read: No such file or directory");
    assert_file_error(dir, ": is a directory, not a file");
    assert_file_error(utf8, ":3:11: not valid UTF-8 (invalid leading UTF-8 "
                      "octet #xFF); save the file as UTF-8");
    assert_file_error(comments, ": the file is empty: write a desired-state "
                      "mapping (see docs/desired-state.md)");
    free(missing);
    free(dir);
    free(utf8);
    free(comments);
}

static void test_file_bom(void **state)
{
    char *path = data_path("bom.yaml");
    tu_error err = {0};
    tu_srcmap *map = tu_srcmap_new();
    json_t *root = tu_yaml_load_file(path, map, &err);
    (void)state;
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "name")),
                        "bom");
    assert_pos(tu_srcmap_member(map, root, "name"), path, 1, 1);
    json_decref(root);
    tu_srcmap_free(map);
    free(path);
}

static void test_file_unreadable(void **state)
{
    char path[] = "/tmp/tu_yaml_unreadable_XXXXXX";
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "a: 1\n", 5), 5);
    close(fd);
    assert_int_equal(chmod(path, 0), 0);
    if (geteuid() == 0) {  /* root reads anything */
        unlink(path);
        skip();
    }
    assert_file_error(path, ": cannot read: Permission denied");
    unlink(path);
}

static void test_file_too_large(void **state)
{
    char path[] = "/tmp/tu_yaml_large_XXXXXX";
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    /* sparse: costs no disk, and the loader must refuse before reading */
    assert_int_equal(ftruncate(fd, (off_t)TU_YAML_MAX_BYTES + 1), 0);
    close(fd);
    assert_file_error(path, ": the file is larger than the limit of "
                      "536870912 bytes (512 MiB)");
    unlink(path);
}

/* ---- positions ---------------------------------------------------------- */

static void test_positions_from_string(void **state)
{
    tu_srcmap *map = tu_srcmap_new();
    json_t *root = load_ok("top:\n"
                           "  list:\n"
                           "    - {a: 1,  b: [x]}\n"
                           "    -   - nested\n"
                           "  base: &b\n"
                           "    k: v\n"
                           "  m:\n"
                           "    <<: *b\n"
                           "    own: 1\n",
                           map);
    json_t *top = json_object_get(root, "top");
    json_t *list = json_object_get(top, "list");
    json_t *first = json_array_get(list, 0);
    json_t *m = json_object_get(top, "m");
    (void)state;
    assert_pos(tu_srcmap_get(map, root), "t.yaml", 1, 1);
    assert_pos(tu_srcmap_get(map, top), "t.yaml", 2, 3);
    assert_pos(tu_srcmap_member(map, top, "list"), "t.yaml", 2, 3);
    assert_pos(tu_srcmap_member(map, top, "base"), "t.yaml", 5, 3);
    assert_pos(tu_srcmap_get(map, list), "t.yaml", 3, 5);
    assert_pos(tu_srcmap_get(map, first), "t.yaml", 3, 7);
    assert_pos(tu_srcmap_member(map, first, "a"), "t.yaml", 3, 8);
    assert_pos(tu_srcmap_member(map, first, "b"), "t.yaml", 3, 15);
    assert_pos(tu_srcmap_get(map, json_object_get(first, "b")), "t.yaml", 3,
               18);
    assert_pos(tu_srcmap_get(map, json_array_get(list, 1)), "t.yaml", 4, 9);
    assert_pos(tu_srcmap_member(map, m, "own"), "t.yaml", 9, 5);
    assert_pos(tu_srcmap_member(map, m, "k"), "t.yaml", 8, 5);
    json_decref(root);
    tu_srcmap_free(map);
}

static void test_no_map_and_no_err(void **state)
{
    const char *text = "a: 1\na: 2\n";
    json_t *root;
    tu_error err = {0};
    (void)state;
    /* without a map, duplicate keys are still reported with the line */
    root = tu_yaml_load_string(text, strlen(text), "x.yaml", NULL, &err);
    assert_null(root);
    assert_string_equal(err.message,
                        "x.yaml:2:1: duplicate key 'a' (first at line 1)");
    /* without an error buffer, failure is just NULL */
    assert_null(tu_yaml_load_string(text, strlen(text), "x.yaml", NULL, NULL));
    root = tu_yaml_load_string("a: 1", 4, NULL, NULL, NULL);
    assert_non_null(root);
    json_decref(root);
    assert_null(tu_yaml_load_string(NULL, 0, NULL, NULL, &err));
    assert_string_equal(err.message, "<string>: the file is empty: write a "
                        "desired-state mapping (see docs/desired-state.md)");
    assert_null(tu_yaml_load_file(NULL, NULL, &err));
    assert_string_equal(err.message, "no file name given");
    /* the length is honoured: no NUL terminator needed */
    root = tu_yaml_load_string("a: 1\nb: 2", 4, "x.yaml", NULL, &err);
    assert_non_null(root);
    assert_int_equal(json_object_size(root), 1);
    json_decref(root);
}

static void test_map_reused_across_files(void **state)
{
    tu_srcmap *map = tu_srcmap_new();
    tu_error err = {0};
    json_t *one = tu_yaml_load_string("a: {x: 1}", 9, "one.yaml", map, &err);
    json_t *two = tu_yaml_load_string("\nb: [1]", 7, "two.yaml", map, &err);
    (void)state;
    assert_non_null(one);
    assert_non_null(two);
    assert_pos(tu_srcmap_get(map, json_object_get(one, "a")), "one.yaml", 1,
               4);
    assert_pos(tu_srcmap_member(map, two, "b"), "two.yaml", 2, 1);
    assert_pos(tu_srcmap_get(map, json_object_get(two, "b")), "two.yaml", 2,
               4);
    json_decref(one);
    json_decref(two);
    tu_srcmap_free(map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_null_and_bool),
        cmocka_unit_test(test_scalar_integers),
        cmocka_unit_test(test_scalar_integer_range),
        cmocka_unit_test(test_scalar_floats),
        cmocka_unit_test(test_scalar_inf_nan_errors),
        cmocka_unit_test(test_scalar_quoted_and_block),
        cmocka_unit_test(test_scalar_tagged),
        cmocka_unit_test(test_scalar_tag_errors),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_key_order_preserved),
        cmocka_unit_test(test_scalar_keys),
        cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_alias_shares_value),
        cmocka_unit_test(test_alias_misc),
        cmocka_unit_test(test_merge_keys),
        cmocka_unit_test(test_merge_does_not_touch_source),
        cmocka_unit_test(test_merge_errors),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_alias_budget_scales_with_file),
        cmocka_unit_test(test_aliases_below_cap),
        cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_depth_cap_block),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_raw_nul_and_crlf),
        cmocka_unit_test(test_invalid_utf8_string),
        cmocka_unit_test(test_file_ok_with_positions),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_file_bom),
        cmocka_unit_test(test_file_unreadable),
        cmocka_unit_test(test_file_too_large),
        cmocka_unit_test(test_positions_from_string),
        cmocka_unit_test(test_no_map_and_no_err),
        cmocka_unit_test(test_map_reused_across_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
