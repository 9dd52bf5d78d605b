/* test_schema.c -- state/schema.h: typo suggestions, unknown keys, and the
 * typed reads (int, number, bool, string, object, enum, string list) with
 * their exact located messages. Inputs are loaded with tu_yaml_load_string
 * under the name "t.yaml" so positions are real; one case builds the
 * source map by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "state/schema.h"
#include "util/suggest.h"
#include "state/yaml_load.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct fixture {
    tu_srcmap *map;
    json_t *root;
    const json_t *obj;   /* root["m"], the mapping under test */
    tu_error err;
} fixture;

/* Load `text` (which has the mapping under test at key "m"). */
static void load(fixture *f, const char *text)
{
    memset(f, 0, sizeof *f);
    f->map = tu_srcmap_new();
    assert_non_null(f->map);
    f->root = tu_yaml_load_string(text, strlen(text), "t.yaml", f->map,
                                  &f->err);
    if (!f->root)
        fail_msg("YAML <<%s>> did not load: %s", text, f->err.message);
    f->obj = json_object_get(f->root, "m");
    assert_non_null(f->obj);
}

static void done(fixture *f)
{
    json_decref(f->root);
    tu_srcmap_free(f->map);
}

/* Never NULL, for assert_string_equal. */
static const char *S(const char *s)
{
    return s ? s : "(null)";
}

static const char *const settings_keys[] = {
    "concurrency", "timeout", "connect_timeout", "retries", "prune", NULL};

/* ---- tu_suggest (util/suggest.h), as schema.c uses it ------------------ */

static void test_suggest(void **state)
{
    static const char *const none[] = {NULL};
    static const char *const fields[] = {"name", "type", "ttl", "content",
                                         NULL};
    (void)state;
    assert_string_equal(S(tu_suggest("concurency", settings_keys)),
                        "concurrency");
    assert_string_equal(S(tu_suggest("concurrancy", settings_keys)),
                        "concurrency");
    assert_string_equal(S(tu_suggest("timout", settings_keys)), "timeout");
    /* "retry" -> "retries" is three edits, over the limit of 2 for 5 letters */
    assert_null(tu_suggest("retry", settings_keys));
    assert_string_equal(S(tu_suggest("retrys", settings_keys)), "retries");
    assert_string_equal(S(tu_suggest("prun", settings_keys)), "prune");
    assert_string_equal(S(tu_suggest("connect-timeout", settings_keys)),
                        "connect_timeout");
    assert_string_equal(S(tu_suggest("tll", fields)), "ttl");
    assert_string_equal(S(tu_suggest("nmae", fields)), "name");
    assert_string_equal(S(tu_suggest("ttl", fields)), "ttl");   /* exact */
    /* too far to be a typo */
    assert_null(tu_suggest("xyz", settings_keys));
    assert_null(tu_suggest("parallelism", settings_keys));
    assert_null(tu_suggest("records", fields));
    /* short words allow one edit: "tx" -> "ttl" is two */
    assert_null(tu_suggest("tx", fields));
    /* the limit is capped at 3 edits even for long words */
    assert_null(tu_suggest("concurrencyxxxx", settings_keys));
    assert_string_equal(S(tu_suggest("concurrencyxxx", settings_keys)),
                        "concurrency");
    /* no candidates */
    assert_null(tu_suggest("anything", none));
    /* words of 64 characters or more are never matched */
    assert_null(tu_suggest("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", fields));
}

static void test_suggest_ties_pick_first(void **state)
{
    static const char *const ab[] = {"cat", "bat", NULL};
    static const char *const ba[] = {"bat", "cat", NULL};
    (void)state;
    assert_string_equal(S(tu_suggest("at", ab)), "cat");
    assert_string_equal(S(tu_suggest("at", ba)), "bat");
}

/* ---- tu_schema_keys ----------------------------------------------------- */

static void test_keys_unknown_with_suggestion(void **state)
{
    fixture f;
    (void)state;
    load(&f, "m:\n  timeout: 5\n  concurency: 4\n");
    assert_int_equal(tu_schema_keys(f.obj, settings_keys, f.map, "settings",
                                    &f.err), -1);
    assert_string_equal(f.err.message,
                        "t.yaml:3:3: settings: unknown key 'concurency' "
                        "(did you mean 'concurrency'?)");
    done(&f);
}

static void test_keys_unknown_no_suggestion(void **state)
{
    fixture f;
    (void)state;
    load(&f, "m: {retries: 1, parallelism: 4, bogus: 1}\n");
    assert_int_equal(tu_schema_keys(f.obj, settings_keys, f.map, "settings",
                                    &f.err), -1);
    assert_string_equal(f.err.message,
                        "t.yaml:1:17: settings: unknown key 'parallelism'");
    done(&f);
}

static void test_keys_empty_ctx(void **state)
{
    static const char *const top[] = {"target", "settings", "defaults",
                                      "records", NULL};
    fixture f;
    (void)state;
    load(&f, "m:\n  target: {}\n  recods: []\n");
    assert_int_equal(tu_schema_keys(f.obj, top, f.map, "", &f.err), -1);
    assert_string_equal(f.err.message,
                        "t.yaml:3:3: unknown key 'recods' "
                        "(did you mean 'records'?)");
    done(&f);
}

static void test_keys_all_known(void **state)
{
    fixture f;
    (void)state;
    load(&f, "m:\n  timeout: 5\n  prune: true\n");
    f.err.message[0] = '\0';
    assert_int_equal(tu_schema_keys(f.obj, settings_keys, f.map, "settings",
                                    &f.err), 0);
    assert_string_equal(f.err.message, "");
    done(&f);
    load(&f, "m: {}\n");
    assert_int_equal(tu_schema_keys(f.obj, settings_keys, f.map, "settings",
                                    &f.err), 0);
    done(&f);
}

static void test_keys_hand_built_map(void **state)
{
    tu_srcmap *map = tu_srcmap_new();
    json_t *obj = json_object();
    tu_error err = {0};
    tu_srcpos at = {"hand.yaml", 4, 1};
    (void)state;
    assert_non_null(map);
    at.file = tu_srcmap_file(map, "hand.yaml");
    assert_int_equal(tu_srcmap_set(map, obj, at), 0);
    json_object_set_new(obj, "retries", json_integer(2));
    at.line = 5;
    at.column = 3;
    assert_int_equal(tu_srcmap_add_member(map, obj, at), 0);
    json_object_set_new(obj, "concurency", json_integer(2));
    at.line = 6;
    at.column = 7;
    assert_int_equal(tu_srcmap_add_member(map, obj, at), 0);
    assert_int_equal(tu_schema_keys(obj, settings_keys, map, "settings",
                                    &err), -1);
    assert_string_equal(err.message,
                        "hand.yaml:6:7: settings: unknown key 'concurency' "
                        "(did you mean 'concurrency'?)");
    /* without a map the message has no position */
    assert_int_equal(tu_schema_keys(obj, settings_keys, NULL, "settings",
                                    &err), -1);
    assert_string_equal(err.message,
                        "settings: unknown key 'concurency' "
                        "(did you mean 'concurrency'?)");
    /* and a NULL error is allowed */
    assert_int_equal(tu_schema_keys(obj, settings_keys, map, "settings",
                                    NULL), -1);
    json_decref(obj);
    tu_srcmap_free(map);
}

/* ---- tu_schema_int ------------------------------------------------------ */

static void test_int(void **state)
{
    fixture f;
    long out = -1;
    (void)state;
    load(&f, "m:\n  concurrency: 8\n  lo: 1\n  hi: 10000\n"
             "  zero: 0\n  big: 10001\n  neg: -5\n  str: '8'\n  real: 4.0\n"
             "  flag: true\n  nothing:\n  huge: 9223372036854775807\n");
    assert_int_equal(tu_schema_int(f.obj, "concurrency", 1, 10000, f.map,
                                   "settings", &out, &f.err), 1);
    assert_int_equal(out, 8);
    assert_int_equal(tu_schema_int(f.obj, "lo", 1, 10000, f.map, "settings",
                                   &out, &f.err), 1);
    assert_int_equal(out, 1);
    assert_int_equal(tu_schema_int(f.obj, "hi", 1, 10000, f.map, "settings",
                                   &out, &f.err), 1);
    assert_int_equal(out, 10000);
    /* absent: 0, out untouched */
    out = 77;
    assert_int_equal(tu_schema_int(f.obj, "absent", 1, 10000, f.map,
                                   "settings", &out, &f.err), 0);
    assert_int_equal(out, 77);

    assert_int_equal(tu_schema_int(f.obj, "zero", 1, 10000, f.map,
                                   "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:5:3: settings.zero: 0 is out "
                        "of range (1 to 10000)");
    assert_int_equal(tu_schema_int(f.obj, "big", 1, 10000, f.map,
                                   "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:6:3: settings.big: 10001 is "
                        "out of range (1 to 10000)");
    assert_int_equal(tu_schema_int(f.obj, "neg", 0, 100, f.map, "settings",
                                   &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:7:3: settings.neg: -5 is out "
                        "of range (0 to 100)");
    assert_int_equal(tu_schema_int(f.obj, "huge", 0, 100, f.map, "settings",
                                   &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:12:3: settings.huge: "
                        "9223372036854775807 is out of range (0 to 100)");
    assert_int_equal(tu_schema_int(f.obj, "str", 1, 10000, f.map,
                                   "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:8:3: settings.str: expected "
                        "an integer, got a string");
    assert_int_equal(tu_schema_int(f.obj, "real", 1, 10000, f.map,
                                   "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:9:3: settings.real: expected "
                        "an integer, got a number");
    assert_int_equal(tu_schema_int(f.obj, "flag", 1, 10000, f.map,
                                   "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:10:3: settings.flag: "
                        "expected an integer, got a boolean");
    assert_int_equal(tu_schema_int(f.obj, "nothing", 1, 10000, f.map,
                                   "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:11:3: settings.nothing: "
                        "expected an integer, got null");
    assert_int_equal(out, 77);
    done(&f);
}

/* FINDING (reported): with an empty ctx, the range messages of
 * tu_schema_int/number and the enum message start with a stray '.', while
 * key_error and tu_schema_keys leave the prefix out. */
static void test_int_empty_ctx(void **state)
{
    fixture f;
    long out;
    (void)state;
    load(&f, "m:\n  n: 0\n  s: x\n");
    assert_int_equal(tu_schema_int(f.obj, "s", 1, 2, f.map, "", &out,
                                   &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:3:3: s: expected an integer, "
                        "got a string");
    assert_int_equal(tu_schema_int(f.obj, "n", 1, 2, f.map, "", &out,
                                   &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:2:3: .n: 0 is out of range "
                        "(1 to 2)");   /* questionable leading '.' */
    done(&f);
}

/* ---- tu_schema_number --------------------------------------------------- */

static void test_number(void **state)
{
    fixture f;
    double out = -1;
    (void)state;
    load(&f, "m:\n  timeout: 2.5\n  whole: 30\n  zero: 0\n  huge: 1e9\n"
             "  str: '30'\n  flag: false\n  list: [1]\n  tiny: 0.001\n");
    assert_int_equal(tu_schema_number(f.obj, "timeout", 0.001, 86400, f.map,
                                      "settings", &out, &f.err), 1);
    assert_true(out == 2.5);
    /* integers are numbers */
    assert_int_equal(tu_schema_number(f.obj, "whole", 0.001, 86400, f.map,
                                      "settings", &out, &f.err), 1);
    assert_true(out == 30.0);
    assert_int_equal(tu_schema_number(f.obj, "tiny", 0.001, 86400, f.map,
                                      "settings", &out, &f.err), 1);
    assert_true(out == 0.001);
    out = 9;
    assert_int_equal(tu_schema_number(f.obj, "absent", 0.001, 86400, f.map,
                                      "settings", &out, &f.err), 0);
    assert_true(out == 9);
    assert_int_equal(tu_schema_number(f.obj, "zero", 0.001, 86400, f.map,
                                      "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:4:3: settings.zero: 0 is out "
                        "of range (0.001 to 86400)");
    assert_int_equal(tu_schema_number(f.obj, "huge", 0.001, 86400, f.map,
                                      "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:5:3: settings.huge: 1e+09 is "
                        "out of range (0.001 to 86400)");
    assert_int_equal(tu_schema_number(f.obj, "str", 0.001, 86400, f.map,
                                      "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:6:3: settings.str: expected "
                        "a number, got a string");
    assert_int_equal(tu_schema_number(f.obj, "flag", 0.001, 86400, f.map,
                                      "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:7:3: settings.flag: expected "
                        "a number, got a boolean");
    assert_int_equal(tu_schema_number(f.obj, "list", 0.001, 86400, f.map,
                                      "settings", &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:8:3: settings.list: expected "
                        "a number, got a list");
    assert_true(out == 9);
    done(&f);
}

/* ---- tu_schema_bool ----------------------------------------------------- */

static void test_bool(void **state)
{
    fixture f;
    int out = 5;
    (void)state;
    load(&f, "m:\n  on: true\n  off: false\n  yes_word: yes\n  one: 1\n"
             "  quoted: 'true'\n");
    assert_int_equal(tu_schema_bool(f.obj, "on", f.map, "settings", &out,
                                    &f.err), 1);
    assert_int_equal(out, 1);
    assert_int_equal(tu_schema_bool(f.obj, "off", f.map, "settings", &out,
                                    &f.err), 1);
    assert_int_equal(out, 0);
    out = 5;
    assert_int_equal(tu_schema_bool(f.obj, "absent", f.map, "settings", &out,
                                    &f.err), 0);
    assert_int_equal(out, 5);
    /* YAML 1.2: yes is a string */
    assert_int_equal(tu_schema_bool(f.obj, "yes_word", f.map, "settings",
                                    &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:4:3: settings.yes_word: "
                        "expected true or false, got a string");
    assert_int_equal(tu_schema_bool(f.obj, "one", f.map, "settings", &out,
                                    &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:5:3: settings.one: expected "
                        "true or false, got an integer");
    assert_int_equal(tu_schema_bool(f.obj, "quoted", f.map, "settings", &out,
                                    &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:6:3: settings.quoted: "
                        "expected true or false, got a string");
    assert_int_equal(out, 5);
    done(&f);
}

/* ---- tu_schema_string --------------------------------------------------- */

static void test_string(void **state)
{
    fixture f;
    const char *out = "untouched";
    (void)state;
    load(&f, "m:\n  base_url: https://api.example.org\n  num: 5\n"
             "  empty: ''\n  nothing:\n  map: {a: 1}\n");
    assert_int_equal(tu_schema_string(f.obj, "base_url", 1, f.map, "target",
                                      &out, &f.err), 1);
    assert_string_equal(out, "https://api.example.org");
    out = "untouched";
    assert_int_equal(tu_schema_string(f.obj, "absent", 0, f.map, "target",
                                      &out, &f.err), 0);
    assert_string_equal(out, "untouched");
    assert_int_equal(tu_schema_string(f.obj, "absent", 1, f.map, "target",
                                      &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:2:3: target: missing "
                        "required key 'absent'");
    assert_int_equal(tu_schema_string(f.obj, "num", 1, f.map, "target",
                                      &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:3:3: target.num: expected a "
                        "non-empty string, got an integer");
    assert_int_equal(tu_schema_string(f.obj, "empty", 1, f.map, "target",
                                      &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:4:3: target.empty: expected "
                        "a non-empty string, got an empty one");
    assert_int_equal(tu_schema_string(f.obj, "nothing", 1, f.map, "target",
                                      &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:5:3: target.nothing: "
                        "expected a non-empty string, got null");
    assert_int_equal(tu_schema_string(f.obj, "map", 1, f.map, "target",
                                      &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:6:3: target.map: expected a "
                        "non-empty string, got a mapping");
    assert_string_equal(out, "untouched");
    done(&f);
}

static void test_string_required_empty_ctx(void **state)
{
    fixture f;
    const char *out;
    (void)state;
    load(&f, "m: {a: 1}\n");
    assert_int_equal(tu_schema_string(f.obj, "target", 1, f.map, "", &out,
                                      &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:1:4: the file: missing "
                        "required key 'target'");
    done(&f);
}

static void test_string_with_nul(void **state)
{
    json_t *obj = json_object();
    tu_error err = {0};
    const char *out = NULL;
    (void)state;
    json_object_set_new(obj, "s", json_stringn("a\0b", 3));
    assert_int_equal(tu_schema_string(obj, "s", 1, NULL, "x", &out, &err),
                     -1);
    assert_string_equal(err.message, "x.s: expected a non-empty string, got "
                        "a string");
    assert_null(out);
    json_decref(obj);
}

/* ---- tu_schema_object / tu_schema_is_object ----------------------------- */

static void test_object(void **state)
{
    fixture f;
    const json_t *out = NULL;
    tu_srcpos pos;
    (void)state;
    load(&f, "m:\n  auth:\n    type: bearer\n  list: [1, 2]\n  s: x\n");
    assert_int_equal(tu_schema_object(f.obj, "auth", 1, f.map, "target",
                                      &out, &f.err), 1);
    assert_ptr_equal(out, json_object_get(f.obj, "auth"));
    out = NULL;
    assert_int_equal(tu_schema_object(f.obj, "resource", 0, f.map, "target",
                                      &out, &f.err), 0);
    assert_null(out);
    assert_int_equal(tu_schema_object(f.obj, "resource", 1, f.map, "target",
                                      &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:2:3: target: missing "
                        "required key 'resource'");
    assert_int_equal(tu_schema_object(f.obj, "list", 1, f.map, "target",
                                      &out, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:4:3: target.list: expected a "
                        "mapping, got a list");
    assert_null(out);

    pos = tu_srcmap_member(f.map, f.obj, "s");
    assert_int_equal(tu_schema_is_object(json_object_get(f.obj, "s"), f.map,
                                         pos, "records[2]", &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:5:3: records[2]: expected a "
                        "mapping, got a string");
    assert_int_equal(tu_schema_is_object(NULL, f.map, pos, "x", &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:5:3: x: expected a mapping, "
                        "got nothing");
    assert_int_equal(tu_schema_is_object(f.obj, f.map, pos, "m", &f.err), 0);
    done(&f);
}

/* ---- tu_schema_enum ----------------------------------------------------- */

static void test_enum(void **state)
{
    static const char *const states[] = {"present", "absent", NULL};
    fixture f;
    int index = -1;
    (void)state;
    load(&f, "m:\n  a: absent\n  p: present\n  bogus: bogus\n"
             "  typo: absnt\n  num: 1\n  empty: ''\n  upper: Absent\n");
    assert_int_equal(tu_schema_enum(f.obj, "a", states, f.map, "record",
                                    &index, &f.err), 1);
    assert_int_equal(index, 1);
    assert_int_equal(tu_schema_enum(f.obj, "p", states, f.map, "record",
                                    &index, &f.err), 1);
    assert_int_equal(index, 0);
    index = 42;
    assert_int_equal(tu_schema_enum(f.obj, "state", states, f.map, "record",
                                    &index, &f.err), 0);
    assert_int_equal(index, 42);
    assert_int_equal(tu_schema_enum(f.obj, "bogus", states, f.map, "record",
                                    &index, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:4:3: record.bogus: 'bogus' is "
                        "not one of: present, absent");
    assert_int_equal(tu_schema_enum(f.obj, "typo", states, f.map, "record",
                                    &index, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:5:3: record.typo: 'absnt' is "
                        "not one of: present, absent (did you mean "
                        "'absent'?)");
    assert_int_equal(tu_schema_enum(f.obj, "upper", states, f.map, "record",
                                    &index, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:8:3: record.upper: 'Absent' "
                        "is not one of: present, absent (did you mean "
                        "'absent'?)");
    assert_int_equal(tu_schema_enum(f.obj, "num", states, f.map, "record",
                                    &index, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:6:3: record.num: expected a "
                        "non-empty string, got an integer");
    assert_int_equal(tu_schema_enum(f.obj, "empty", states, f.map, "record",
                                    &index, &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:7:3: record.empty: expected "
                        "a non-empty string, got an empty one");
    assert_int_equal(index, 42);
    done(&f);
}

/* ---- tu_schema_string_list ---------------------------------------------- */

static void test_string_list(void **state)
{
    fixture f;
    const char **list = NULL;
    size_t count = 99;
    (void)state;
    load(&f, "m:\n  key: [name, type]\n  one: name\n  none: []\n"
             "  bad_item: [name, 5]\n  empty_item: [name, '']\n"
             "  map: {a: b}\n  num: 3\n  empty: ''\n  nested: [[a]]\n");
    assert_int_equal(tu_schema_string_list(f.obj, "key", 1, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), 1);
    assert_int_equal(count, 2);
    assert_string_equal(list[0], "name");
    assert_string_equal(list[1], "type");
    assert_null(list[2]);
    free(list);

    /* a single string is a list of one */
    assert_int_equal(tu_schema_string_list(f.obj, "one", 1, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), 1);
    assert_int_equal(count, 1);
    assert_string_equal(list[0], "name");
    assert_null(list[1]);
    free(list);

    /* an empty list is accepted here (callers check the count) */
    assert_int_equal(tu_schema_string_list(f.obj, "none", 1, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), 1);
    assert_int_equal(count, 0);
    assert_null(list[0]);
    free(list);

    list = NULL;
    count = 99;
    assert_int_equal(tu_schema_string_list(f.obj, "ignore", 0, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), 0);
    assert_null(list);
    assert_int_equal(count, 99);
    assert_int_equal(tu_schema_string_list(f.obj, "ignore", 1, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:2:3: target.resource: "
                        "missing required key 'ignore'");

    assert_int_equal(tu_schema_string_list(f.obj, "bad_item", 1, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:5:3: target.resource.bad_item: "
                        "expected a list of non-empty strings, got an "
                        "integer");
    assert_int_equal(tu_schema_string_list(f.obj, "empty_item", 1, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:6:3: "
                        "target.resource.empty_item: expected a list of "
                        "non-empty strings, got a string");
    assert_int_equal(tu_schema_string_list(f.obj, "map", 1, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:7:3: target.resource.map: "
                        "expected a list of strings, got a mapping");
    assert_int_equal(tu_schema_string_list(f.obj, "num", 1, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:8:3: target.resource.num: "
                        "expected a list of strings, got an integer");
    assert_int_equal(tu_schema_string_list(f.obj, "empty", 1, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:9:3: target.resource.empty: "
                        "expected a list of non-empty strings, got a string");
    assert_int_equal(tu_schema_string_list(f.obj, "nested", 1, f.map,
                                           "target.resource", &list, &count,
                                           &f.err), -1);
    assert_string_equal(f.err.message, "t.yaml:10:3: target.resource.nested: "
                        "expected a list of non-empty strings, got a list");
    assert_null(list);
    done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_suggest_ties_pick_first),
        cmocka_unit_test(test_keys_unknown_with_suggestion),
        cmocka_unit_test(test_keys_unknown_no_suggestion),
        cmocka_unit_test(test_keys_empty_ctx),
        cmocka_unit_test(test_keys_all_known),
        cmocka_unit_test(test_keys_hand_built_map),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_int_empty_ctx),
        cmocka_unit_test(test_number),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_string_required_empty_ctx),
        cmocka_unit_test(test_string_with_nul),
        cmocka_unit_test(test_object),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_string_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
