/* test_json_util.c -- util/json_util.h: value equality (numbers by value,
 * objects regardless of key order, arrays in order), dotted paths, the text
 * of values for keys and messages, and type names for messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/json_util.h"

/* ---- helpers ------------------------------------------------------------ */

static json_t *J(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad JSON in test <<%s>>: %s", text, jerr.text);
    return v;
}

/* tu_json_equal on two JSON texts, checked both ways round. */
static int eq(const char *a, const char *b)
{
    json_t *x = J(a), *y = J(b);
    int ab = tu_json_equal(x, y), ba = tu_json_equal(y, x);
    json_decref(x);
    json_decref(y);
    if (ab != ba)
        fail_msg("tu_json_equal not symmetric for %s / %s", a, b);
    return ab;
}

static void assert_text(json_t *value, const char *expected)
{
    char *text = tu_json_text(value);
    assert_non_null(text);
    assert_string_equal(text, expected);
    free(text);
    json_decref(value);
}

/* ---- tu_json_equal ------------------------------------------------------ */

static void test_equal_numbers(void **state)
{
    (void)state;
    assert_int_equal(eq("600", "600.0"), 1);
    assert_int_equal(eq("600", "600"), 1);
    assert_int_equal(eq("600.0", "600.0"), 1);
    assert_int_equal(eq("0", "0.0"), 1);
    assert_int_equal(eq("-3", "-3.0"), 1);
    assert_int_equal(eq("0.5", "0.5"), 1);
    assert_int_equal(eq("600", "601"), 0);
    assert_int_equal(eq("600", "600.5"), 0);
    assert_int_equal(eq("0.1", "0.2"), 0);
}

static void test_equal_types_differ(void **state)
{
    (void)state;
    assert_int_equal(eq("1", "\"1\""), 0);
    assert_int_equal(eq("1.0", "\"1\""), 0);
    assert_int_equal(eq("1", "true"), 0);
    assert_int_equal(eq("0", "false"), 0);
    assert_int_equal(eq("0", "null"), 0);
    assert_int_equal(eq("\"\"", "null"), 0);
    assert_int_equal(eq("[]", "{}"), 0);
    assert_int_equal(eq("\"true\"", "true"), 0);
}

static void test_equal_literals(void **state)
{
    (void)state;
    assert_int_equal(eq("null", "null"), 1);
    assert_int_equal(eq("true", "true"), 1);
    assert_int_equal(eq("false", "false"), 1);
    assert_int_equal(eq("true", "false"), 0);
    assert_int_equal(eq("null", "false"), 0);
}

static void test_equal_strings(void **state)
{
    json_t *a, *b;
    (void)state;
    assert_int_equal(eq("\"abc\"", "\"abc\""), 1);
    assert_int_equal(eq("\"abc\"", "\"abd\""), 0);
    assert_int_equal(eq("\"abc\"", "\"ABC\""), 0);
    assert_int_equal(eq("\"abc\"", "\"abc \""), 0);
    assert_int_equal(eq("\"\"", "\"\""), 1);
    /* Strings with NUL inside compare over their full length. */
    a = json_stringn("a\0b", 3);
    b = json_stringn("a\0c", 3);
    assert_int_equal(tu_json_equal(a, b), 0);
    json_decref(b);
    b = json_stringn("a\0b", 3);
    assert_int_equal(tu_json_equal(a, b), 1);
    json_decref(b);
    b = json_string("a");
    assert_int_equal(tu_json_equal(a, b), 0);
    json_decref(b);
    json_decref(a);
}

static void test_equal_objects(void **state)
{
    (void)state;
    assert_int_equal(eq("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}"), 1);
    assert_int_equal(eq("{\"a\":1,\"b\":{\"x\":[1,2],\"y\":null}}",
                        "{\"b\":{\"y\":null,\"x\":[1.0,2]},\"a\":1.0}"), 1);
    assert_int_equal(eq("{}", "{}"), 1);
    assert_int_equal(eq("{\"a\":1}", "{\"a\":1,\"b\":2}"), 0);
    assert_int_equal(eq("{\"a\":1,\"b\":2}", "{\"a\":1,\"c\":2}"), 0);
    assert_int_equal(eq("{\"a\":{\"b\":1}}", "{\"a\":{\"b\":\"1\"}}"), 0);
    /* a missing key is not the same as a key holding null */
    assert_int_equal(eq("{\"a\":null,\"b\":1}", "{\"c\":null,\"b\":1}"), 0);
}

static void test_equal_arrays(void **state)
{
    (void)state;
    assert_int_equal(eq("[1,2,3]", "[1,2,3]"), 1);
    assert_int_equal(eq("[1,2,3]", "[1.0,2.0,3.0]"), 1);
    assert_int_equal(eq("[1,2,3]", "[3,2,1]"), 0);
    assert_int_equal(eq("[1,2]", "[1,2,3]"), 0);
    assert_int_equal(eq("[]", "[]"), 1);
    assert_int_equal(eq("[[1],[2]]", "[[1],[2]]"), 1);
    assert_int_equal(eq("[[1],[2]]", "[[2],[1]]"), 0);
    assert_int_equal(eq("[{\"a\":1,\"b\":2}]", "[{\"b\":2,\"a\":1}]"), 1);
}

static void test_equal_big_integers(void **state)
{
    (void)state;
    /* Integers compare exactly, past double precision. */
    assert_int_equal(eq("9007199254740993", "9007199254740992"), 0);
    assert_int_equal(eq("9007199254740993", "9007199254740993"), 1);
    assert_int_equal(eq("9223372036854775807", "9223372036854775806"), 0);
    assert_int_equal(eq("9223372036854775807", "9223372036854775807"), 1);
    assert_int_equal(eq("-9223372036854775808", "-9223372036854775808"), 1);
    assert_int_equal(eq("-9223372036854775808", "-9223372036854775807"), 0);
    /* Integer against real goes through double (documented): 2^53 + 1
     * rounds to 2^53. */
    assert_int_equal(eq("9007199254740993", "9007199254740992.0"), 1);
}

static void test_equal_null_pointers(void **state)
{
    json_t *v = json_integer(1);
    (void)state;
    assert_int_equal(tu_json_equal(NULL, NULL), 1);
    assert_int_equal(tu_json_equal(v, NULL), 0);
    assert_int_equal(tu_json_equal(NULL, v), 0);
    assert_int_equal(tu_json_equal(v, v), 1);
    /* a JSON null is not a missing value */
    assert_int_equal(tu_json_equal(json_null(), NULL), 0);
    json_decref(v);
}

/* ---- tu_json_path ------------------------------------------------------- */

static void test_path(void **state)
{
    json_t *root = J("{\"data\":{\"items\":[1,2],\"n\":3,"
                     "\"deep\":{\"x\":{\"y\":\"z\"}}},\"top\":true,"
                     "\"a.b\":7}");
    (void)state;
    assert_ptr_equal(tu_json_path(root, "data.items"),
                     json_object_get(json_object_get(root, "data"), "items"));
    assert_int_equal(json_array_size(tu_json_path(root, "data.items")), 2);
    assert_int_equal(json_integer_value(tu_json_path(root, "data.n")), 3);
    assert_string_equal(json_string_value(tu_json_path(root,
                                                       "data.deep.x.y")),
                        "z");
    assert_true(json_is_true(tu_json_path(root, "top")));
    /* empty path and NULL path: the root itself */
    assert_ptr_equal(tu_json_path(root, ""), root);
    assert_ptr_equal(tu_json_path(root, NULL), root);
    /* a missing step */
    assert_null(tu_json_path(root, "nope"));
    assert_null(tu_json_path(root, "data.nope"));
    assert_null(tu_json_path(root, "data.nope.items"));
    assert_null(tu_json_path(root, "data.items.x"));  /* not an index */
    assert_null(tu_json_path(root, "data.items.2"));  /* past the end */
    assert_null(tu_json_path(root, "data.items.-1"));
    assert_null(tu_json_path(root, "data.items.1x"));
    assert_null(tu_json_path(root, "data.n.x"));      /* step into a number */
    assert_null(tu_json_path(root, "top.x"));
    assert_null(tu_json_path(root, "data.deep.x.y.z")); /* into a string */
    /* dots always separate: a key holding a dot cannot be reached */
    assert_null(tu_json_path(root, "a.b"));
    /* a prefix of a key is not the key */
    assert_null(tu_json_path(root, "dat"));
    assert_null(tu_json_path(root, "data.item"));
    json_decref(root);
}

/* A step over an array is an index: SOLIDserver's [{"ret_oid": "17"}]. */
static void test_path_index(void **state)
{
    json_t *root = J("[{\"ret_oid\":\"17\"},{\"ret_oid\":\"18\","
                     "\"deep\":[[5]]}]");
    (void)state;
    assert_string_equal(json_string_value(tu_json_path(root, "0.ret_oid")),
                        "17");
    assert_string_equal(json_string_value(tu_json_path(root, "1.ret_oid")),
                        "18");
    assert_int_equal(json_integer_value(tu_json_path(root, "1.deep.0.0")), 5);
    assert_ptr_equal(tu_json_path(root, "0"), json_array_get(root, 0));
    assert_null(tu_json_path(root, "2.ret_oid"));
    assert_null(tu_json_path(root, "0."));
    assert_null(tu_json_path(root, "ret_oid"));
    assert_null(tu_json_path(root, "99999999999999999999"));
    json_decref(root);
}

static void test_path_non_object_root(void **state)
{
    json_t *arr = J("[1,2]");
    json_t *num = J("5");
    (void)state;
    assert_null(tu_json_path(arr, "items"));
    assert_null(tu_json_path(num, "a"));
    assert_ptr_equal(tu_json_path(arr, ""), arr);
    assert_null(tu_json_path(NULL, "a"));
    assert_null(tu_json_path(NULL, ""));
    json_decref(arr);
    json_decref(num);
}

static void test_path_odd_dots(void **state)
{
    json_t *root = J("{\"a\":{\"b\":1},\"\":{\"b\":2}}");
    (void)state;
    /* An empty step looks up the key "" (here it exists). */
    assert_int_equal(json_integer_value(tu_json_path(root, ".b")), 2);
    /* A trailing dot is a typo ("data."), not a path to "data". */
    assert_null(tu_json_path(root, "a."));
    /* "a..b": the empty step between the dots looks up "" under a. */
    assert_null(tu_json_path(root, "a..b"));
    json_decref(root);
}

/* ---- tu_json_text ------------------------------------------------------- */

static void test_text_numbers(void **state)
{
    (void)state;
    assert_text(json_integer(600), "600");
    assert_text(json_integer(-42), "-42");
    assert_text(json_integer(0), "0");
    assert_text(json_real(600.0), "600");
    assert_text(json_real(-7.0), "-7");
    assert_text(json_real(0.5), "0.5");
    assert_text(json_real(-2.25), "-2.25");
    assert_text(json_real(1e15), "1000000000000000");
    assert_text(json_integer(INT64_MAX), "9223372036854775807");
    assert_text(json_integer(INT64_MIN), "-9223372036854775808");
    /* the shortest form that reads back as the same double */
    assert_text(json_real(1.5e300), "1.5e+300");
    assert_text(json_real(0.1), "0.1");
    assert_text(json_real(1.0 / 3.0), "0.3333333333333333");
    /* integral reals in the int64 range read as the equal integers do, and
     * -0.0 (equal to 0) as 0: keys agree with tu_json_equal */
    assert_text(json_real(1e16), "10000000000000000");
    assert_text(json_real(1e17), "100000000000000000");
    assert_text(json_real(-0.0), "0");
    assert_text(json_real(1e19), "1e+19");
}

static void test_text_scalars(void **state)
{
    (void)state;
    assert_text(json_string("www.example.org."), "www.example.org.");
    assert_text(json_string(""), "");
    assert_text(json_string("h\xc3\xa9 \"q\""), "h\xc3\xa9 \"q\"");
    assert_text(json_true(), "true");
    assert_text(json_false(), "false");
    assert_text(json_null(), "null");
}

static void test_text_containers(void **state)
{
    (void)state;
    assert_text(J("{\"b\":1,\"a\":[1,2.5,\"x\"],"
                  "\"c\":{\"z\":null,\"y\":true}}"),
                "{\"a\":[1,2.5,\"x\"],\"b\":1,\"c\":{\"y\":true,\"z\":null}}");
    assert_text(J("[]"), "[]");
    assert_text(J("{}"), "{}");
    assert_text(J("[ 1 , 2 ]"), "[1,2]");
}

/* ---- tu_json_type_name -------------------------------------------------- */

static void test_type_name(void **state)
{
    json_t *v;
    (void)state;
    assert_string_equal(tu_json_type_name(NULL), "nothing");
    v = J("{}");
    assert_string_equal(tu_json_type_name(v), "a mapping");
    json_decref(v);
    v = J("[]");
    assert_string_equal(tu_json_type_name(v), "a list");
    json_decref(v);
    v = json_string("x");
    assert_string_equal(tu_json_type_name(v), "a string");
    json_decref(v);
    v = json_integer(1);
    assert_string_equal(tu_json_type_name(v), "an integer");
    json_decref(v);
    v = json_real(1.5);
    assert_string_equal(tu_json_type_name(v), "a number");
    json_decref(v);
    assert_string_equal(tu_json_type_name(json_true()), "a boolean");
    assert_string_equal(tu_json_type_name(json_false()), "a boolean");
    assert_string_equal(tu_json_type_name(json_null()), "null");
}

/* ---- tu_json_dumps: reals as written ------------------------------------ */

static void dumps_is(json_t *v, size_t flags, const char *expected)
{
    char *got = tu_json_dumps(v, flags);
    assert_non_null(got);
    assert_string_equal(got, expected);
    free(got);
    json_decref(v);
}

static void test_dumps_reals(void **state)
{
    (void)state;
    /* jansson alone writes 558.79999999999995 and 0.10000000000000001 */
    dumps_is(json_pack("{s:f, s:f, s:f, s:f}", "a", 558.8, "b", 0.1,
                       "c", 600.0, "d", -1.5e-300),
             JSON_COMPACT | JSON_SORT_KEYS,
             "{\"a\":558.8,\"b\":0.1,\"c\":600.0,\"d\":-1.5e-300}");
    /* 17 digits when 17 are needed; 1e+20 stays a real */
    dumps_is(json_pack("[f, f, f, I]", 0.1 + 0.2, 1e20, 1e16, (json_int_t)7),
             JSON_COMPACT, "[0.30000000000000004,1e+20,1e+16,7]");
    /* numbers inside strings, and escaped quotes, are left alone */
    dumps_is(json_pack("{s:s, s:f}", "x", "558.79999999999995 \"1.10\"",
                       "y", 2.25),
             JSON_COMPACT | JSON_SORT_KEYS,
             "{\"x\":\"558.79999999999995 \\\"1.10\\\"\",\"y\":2.25}");
    dumps_is(json_real(558.8), JSON_ENCODE_ANY, "558.8");
    dumps_is(json_pack("{s:[f]}", "k\\", 0.7), JSON_COMPACT,
             "{\"k\\\\\":[0.7]}");
    dumps_is(json_pack("{s:i}", "n", 12), 0, "{\"n\": 12}");
}

/* JSON_COMPACT goes through trueup's own writer (not jansson's dump):
 * byte for byte what jansson writes, escapes, key order, integers,
 * nesting, empty containers and all. */
static void same_as_jansson(json_t *v, size_t flags)
{
    char *ours = tu_json_dumps(v, flags);
    char *theirs = json_dumps(v, flags);

    assert_non_null(ours);
    assert_non_null(theirs);
    assert_string_equal(ours, theirs);
    free(ours);
    free(theirs);
    json_decref(v);
}

static void test_compact_writer_matches_jansson(void **state)
{
    char controls[40];
    json_t *deep = json_array(), *weird = json_object();

    (void)state;
    for (int i = 0; i < 32; i++)
        controls[i] = (char)(i + 1 < 32 ? i + 1 : '"');
    controls[32] = '\\';
    controls[33] = '/';
    json_object_set_new(weird, "k\"e\\y\n", json_stringn(controls, 34));
    json_object_set_new(weird, "nul", json_stringn("a\0b", 3));
    json_object_set_new(weird, "utf8", json_string("\u00e9\u20ac\U0001F600"));
    json_object_set_new(weird, "", json_string(""));
    json_object_set_new(weird, "z", json_integer(-9223372036854775807LL - 1));
    json_object_set_new(weird, "a", json_integer(9223372036854775807LL));
    json_object_set_new(weird, "t", json_true());
    json_object_set_new(weird, "f", json_false());
    json_object_set_new(weird, "n", json_null());
    json_object_set_new(weird, "o", json_object());
    json_object_set_new(weird, "l", json_array());
    same_as_jansson(json_incref(weird), JSON_COMPACT);
    same_as_jansson(json_incref(weird), JSON_COMPACT | JSON_ENCODE_ANY);
    for (int i = 0; i < 100; i++) {
        json_t *inner = json_pack("{s:[i,s,{}]}", "x", i, "y");
        json_array_append_new(deep, json_pack("[o,o]", inner,
                                              json_incref(weird)));
    }
    same_as_jansson(deep, JSON_COMPACT);
    same_as_jansson(json_string("\x7f \x1f"), JSON_COMPACT | JSON_ENCODE_ANY);
    same_as_jansson(json_integer(0), JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(weird);
    /* reals still in their shortest form, inside the compact writer */
    dumps_is(json_pack("{s:[f,i]}", "r", 558.8, 3), JSON_COMPACT,
             "{\"r\":[558.8,3]}");
    /* a scalar without JSON_ENCODE_ANY is refused, as by jansson */
    assert_null(tu_json_dumps(json_true(), JSON_COMPACT));
}

/* tu_json_dumpb appends to what the buffer holds, reals rewritten in the
 * appended part only, and leaves it as it was on failure. */
static void test_dumpb_appends(void **state)
{
    tu_buffer b = TU_BUFFER_INIT;
    json_t *v = json_pack("{s:f, s:s}", "a", 558.8, "b", "0.10000000000000001");
    json_t *plain = json_pack("{s:i}", "n", 1), *scalar = json_integer(5);

    (void)state;
    assert_int_equal(tu_buffer_puts(&b, "1.10000000000000001 "), 0);
    assert_int_equal(tu_json_dumpb(v, JSON_COMPACT | JSON_SORT_KEYS, &b), 0);
    assert_string_equal(b.data, "1.10000000000000001 "
                        "{\"a\":558.8,\"b\":\"0.10000000000000001\"}");
    assert_int_equal(tu_json_dumpb(plain, JSON_COMPACT, &b), 0);
    assert_int_equal(tu_json_dumpb(scalar, JSON_COMPACT, &b), -1);
    assert_string_equal(b.data, "1.10000000000000001 "
                        "{\"a\":558.8,\"b\":\"0.10000000000000001\"}"
                        "{\"n\":1}");
    b.len = 0;
    assert_int_equal(tu_json_dumpb(plain, JSON_COMPACT, &b), 0);
    assert_string_equal(b.data, "{\"n\":1}");
    tu_buffer_free(&b);
    json_decref(v);
    json_decref(plain);
    json_decref(scalar);
}

static void test_dumpf(void **state)
{
    char buf[64] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    json_t *v = json_pack("[f]", 558.8);
    (void)state;
    assert_non_null(f);
    assert_int_equal(tu_json_dumpf(v, f, JSON_COMPACT), 0);
    fclose(f);
    assert_string_equal(buf, "[558.8]");
    json_decref(v);
}

/* TU_JSON_LINES: one member a line, the items of a non-empty list one a
 * line, empty lists and other values compact; in pieces through emit. */
static int collect(const char *bytes, size_t n, void *data)
{
    return tu_buffer_add(data, bytes, n);
}

static void test_lines_layout(void **state)
{
    json_error_t jerr;
    json_t *v = json_loads("{\"a\":1,\"list\":[{\"x\":0.1},2],"
                           "\"empty\":[],\"o\":{\"k\":\"q\\\"\"}}", 0,
                           &jerr);
    const char *want = "{\n  \"a\": 1,\n  \"list\": [\n    {\"x\":0.1},\n"
                       "    2\n  ],\n  \"empty\": [],\n"
                       "  \"o\": {\"k\":\"q\\\"\"}\n}\n";
    tu_buffer got = TU_BUFFER_INIT;
    tu_lines w = {TU_BUFFER_INIT, collect, &got};
    char *text;

    (void)state;
    assert_non_null(v);
    text = tu_json_dumps(v, TU_JSON_LINES);
    assert_non_null(text);
    assert_string_equal(text, want);
    assert_int_equal(tu_lines_object(&w, v), 0);
    assert_int_equal(w.buf.len, 0);       /* everything handed to emit */
    assert_string_equal(got.data, want);
    json_decref(v);
    v = json_integer(1);                  /* not an object */
    assert_null(tu_json_dumps(v, TU_JSON_LINES));
    free(text);
    tu_buffer_free(&w.buf);
    tu_buffer_free(&got);
    json_decref(v);
}

/* tu_int_text writes what snprintf's JSON_INTEGER_FORMAT writes. */
static void test_int_text(void **state)
{
    const json_int_t cases[] = {0, 7, -7, 10, 600, -600, 1234567890,
                                INT64_MAX, INT64_MIN, INT64_MIN + 1};
    char got[TU_INT_TEXT_MAX + 1], want[32];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = tu_int_text(cases[i], got);
        got[n] = '\0';
        snprintf(want, sizeof want, "%" JSON_INTEGER_FORMAT, cases[i]);
        assert_string_equal(got, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_layout),
        cmocka_unit_test(test_int_text),
        cmocka_unit_test(test_equal_numbers),
        cmocka_unit_test(test_equal_types_differ),
        cmocka_unit_test(test_equal_literals),
        cmocka_unit_test(test_equal_strings),
        cmocka_unit_test(test_equal_objects),
        cmocka_unit_test(test_equal_arrays),
        cmocka_unit_test(test_equal_big_integers),
        cmocka_unit_test(test_equal_null_pointers),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_path_index),
        cmocka_unit_test(test_path_non_object_root),
        cmocka_unit_test(test_path_odd_dots),
        cmocka_unit_test(test_text_numbers),
        cmocka_unit_test(test_text_scalars),
        cmocka_unit_test(test_text_containers),
        cmocka_unit_test(test_type_name),
        cmocka_unit_test(test_dumps_reals),
        cmocka_unit_test(test_dumpb_appends),
        cmocka_unit_test(test_compact_writer_matches_jansson),
        cmocka_unit_test(test_dumpf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
