/* test_record.c -- state/record.h: record keys and labels (typed, so "600"
 * and 600 differ while 600 and 600.0 match), rejected key values, and
 * record sets: add, find, growth, duplicates marked ambiguous.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/record.h"

/* ---- helpers ------------------------------------------------------------ */

static json_t *J(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad JSON in test <<%s>>: %s", text, jerr.text);
    return v;
}

static const char *name_type[] = {"name", "type"};
static const tu_keyspec spec2 = {name_type, 2};
static const char *name_only[] = {"name"};
static const tu_keyspec spec1 = {name_only, 1};

/* Key and label of the JSON record `text`; both must be freed. */
static void key_of(const char *text, const tu_keyspec *spec, char **key,
                   char **label)
{
    json_t *fields = J(text);
    const char *missing = "unset";
    if (tu_record_key(fields, spec, key, label, &missing) != 0)
        fail_msg("no key for %s (missing %s)", text,
                 missing ? missing : "NULL");
    assert_null(missing);
    json_decref(fields);
}

static void assert_no_key(const char *text, const tu_keyspec *spec,
                          const char *expected_missing)
{
    json_t *fields = J(text);
    char *key = (char *)"sentinel-key", *label = (char *)"sentinel-label";
    const char *missing = NULL;
    assert_int_equal(tu_record_key(fields, spec, &key, &label, &missing), -1);
    assert_non_null(missing);
    assert_string_equal(missing, expected_missing);
    /* nothing allocated, outputs untouched */
    assert_string_equal(key, "sentinel-key");
    assert_string_equal(label, "sentinel-label");
    json_decref(fields);
}

/* Do the two records have the same matching key? */
static int same_key(const char *a, const char *b, const tu_keyspec *spec)
{
    char *ka, *la, *kb, *lb;
    int same;
    key_of(a, spec, &ka, &la);
    key_of(b, spec, &kb, &lb);
    same = strcmp(ka, kb) == 0;
    free(ka);
    free(la);
    free(kb);
    free(lb);
    return same;
}

static tu_record *add(tu_recordset *set, const char *text, size_t *first)
{
    json_t *fields = J(text);
    char *key, *label;
    const char *missing;
    tu_record *r;
    assert_int_equal(tu_record_key(fields, &spec2, &key, &label, &missing), 0);
    r = tu_recordset_add(set, fields, key, label, first);
    assert_non_null(r);
    return r;
}

/* ---- tu_record_key ------------------------------------------------------ */

static void test_label(void **state)
{
    char *key, *label;
    (void)state;
    key_of("{\"name\":\"a\",\"type\":\"b\",\"ttl\":600}", &spec2, &key,
           &label);
    assert_string_equal(label, "a|b");
    /* the documented encoding: type tag, text, unit separator */
    assert_string_equal(key, "s1:as1:b");
    free(key);
    free(label);

    key_of("{\"name\":\"www.example.org.\",\"type\":\"A\"}", &spec2, &key,
           &label);
    assert_string_equal(label, "www.example.org.|A");
    free(key);
    free(label);

    key_of("{\"name\":600,\"type\":true}", &spec2, &key, &label);
    assert_string_equal(label, "600|true");
    assert_string_equal(key, "n3:600b4:true");
    free(key);
    free(label);

    key_of("{\"name\":600.0,\"type\":false}", &spec2, &key, &label);
    assert_string_equal(label, "600|false");
    free(key);
    free(label);

    key_of("{\"name\":\"solo\"}", &spec1, &key, &label);
    assert_string_equal(label, "solo");
    assert_string_equal(key, "s4:solo");
    free(key);
    free(label);

    key_of("{\"name\":\"\",\"type\":\"\"}", &spec2, &key, &label);
    assert_string_equal(label, "|");
    free(key);
    free(label);
}

static void test_key_types(void **state)
{
    (void)state;
    /* the string "600" and the number 600 are different keys */
    assert_int_equal(same_key("{\"name\":\"600\",\"type\":\"A\"}",
                              "{\"name\":600,\"type\":\"A\"}", &spec2), 0);
    /* 600 and 600.0 are the same key */
    assert_int_equal(same_key("{\"name\":600,\"type\":\"A\"}",
                              "{\"name\":600.0,\"type\":\"A\"}", &spec2), 1);
    /* "true" and true differ */
    assert_int_equal(same_key("{\"name\":\"true\"}", "{\"name\":true}",
                              &spec1), 0);
    assert_int_equal(same_key("{\"name\":true}", "{\"name\":true}", &spec1),
                     1);
    assert_int_equal(same_key("{\"name\":true}", "{\"name\":false}", &spec1),
                     0);
    /* field order in the record does not matter, key order does */
    assert_int_equal(same_key("{\"name\":\"a\",\"type\":\"b\"}",
                              "{\"type\":\"b\",\"name\":\"a\"}", &spec2), 1);
    assert_int_equal(same_key("{\"name\":\"a\",\"type\":\"b\"}",
                              "{\"name\":\"b\",\"type\":\"a\"}", &spec2), 0);
    /* non-key fields do not matter */
    assert_int_equal(same_key("{\"name\":\"a\",\"type\":\"b\",\"ttl\":1}",
                              "{\"name\":\"a\",\"type\":\"b\",\"ttl\":2}",
                              &spec2), 1);
    /* '|' in values makes labels alike but keys stay apart */
    assert_int_equal(same_key("{\"name\":\"a|b\",\"type\":\"c\"}",
                              "{\"name\":\"a\",\"type\":\"b|c\"}", &spec2), 0);
}

static void test_key_rejected(void **state)
{
    (void)state;
    assert_no_key("{\"type\":\"A\"}", &spec2, "name");
    assert_no_key("{\"name\":\"a\"}", &spec2, "type");
    assert_no_key("{}", &spec2, "name");           /* the first missing */
    assert_no_key("{\"name\":{\"x\":1},\"type\":\"A\"}", &spec2, "name");
    assert_no_key("{\"name\":[1],\"type\":\"A\"}", &spec2, "name");
    assert_no_key("{\"name\":null,\"type\":\"A\"}", &spec2, "name");
    assert_no_key("{\"name\":\"a\",\"type\":null}", &spec2, "type");
    assert_no_key("{\"name\":\"a\",\"type\":[]}", &spec2, "type");
    assert_no_key("{\"name\":\"a\",\"type\":{}}", &spec2, "type");
}

static void test_key_empty_spec(void **state)
{
    static const tu_keyspec none = {NULL, 0};
    char *key, *label;
    (void)state;
    key_of("{\"name\":\"a\"}", &none, &key, &label);
    assert_string_equal(key, "");
    assert_string_equal(label, "");
    free(key);
    free(label);
}

/* Keys are injective: no split of the fields' text can collide, whatever
 * separators a value holds. */
static void test_key_separator_collision(void **state)
{
    json_t *a = json_pack("{s:s, s:s}", "name", "x\x1fsy", "type", "z");
    json_t *b = json_pack("{s:s, s:s}", "name", "x", "type", "y\x1fsz");
    char *ka, *la, *kb, *lb;
    const char *missing;
    (void)state;
    assert_int_equal(tu_record_key(a, &spec2, &ka, &la, &missing), 0);
    assert_int_equal(tu_record_key(b, &spec2, &kb, &lb, &missing), 0);
    assert_string_not_equal(ka, kb);
    free(ka);
    free(la);
    free(kb);
    free(lb);
    json_decref(a);
    json_decref(b);
}

/* A string with an embedded NUL (live JSON may carry \u0000) keeps all of
 * its bytes in the key: "a\0b" and "a" differ. */
static void test_key_embedded_nul(void **state)
{
    json_t *a = json_object(), *b = json_object();
    char *ka, *la, *kb, *lb;
    const char *missing;
    (void)state;
    json_object_set_new(a, "name", json_stringn("a\0b", 3));
    json_object_set_new(b, "name", json_string("a"));
    assert_int_equal(tu_record_key(a, &spec1, &ka, &la, &missing), 0);
    assert_int_equal(tu_record_key(b, &spec1, &kb, &lb, &missing), 0);
    assert_string_not_equal(ka, kb);
    assert_string_equal(ka, "s3:a\x01" "0b");
    free(ka);
    free(la);
    free(kb);
    free(lb);
    json_decref(a);
    json_decref(b);
}

/* tu_key_values gives back each key field's text, as the label has it:
 * a '|' inside a value stays in it, a number is its digits, an escaped
 * 0x01 is itself, a NUL ends its value; a label is no key. */
static void test_key_values(void **state)
{
    tu_buffer b = TU_BUFFER_INIT;
    char *key, *label;
    const char *p;
    (void)state;

    key_of("{\"name\": \"a|b\", \"type\": 600}", &spec2, &key, &label);
    assert_string_equal(label, "a|b|600");
    assert_int_equal(tu_key_values(key, &b), 2);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "a|b");
    assert_string_equal(b.data + 4, "600");
    free(key);
    free(label);

    tu_buffer_truncate(&b, 0);
    assert_int_equal(tu_key_values("s3:x\x01" "1ys3:a\x01" "0b", &b), 2);
    assert_int_equal(b.len, 6);
    p = b.data;
    assert_string_equal(p, "x\x01y");
    assert_string_equal(p + 4, "a");

    tu_buffer_truncate(&b, 0);
    assert_int_equal(tu_key_values("", &b), 0);
    assert_int_equal(tu_key_values("a|b", &b), -1);        /* a label */
    assert_int_equal(tu_key_values("s5:ab", &b), -1);      /* cut short */
    assert_int_equal(tu_key_values("s1:a\x01" "9", &b), -1);
    assert_int_equal(tu_key_values("q1:a", &b), -1);
    assert_int_equal(tu_key_values(NULL, &b), -1);
    tu_buffer_free(&b);
}

/* Keys agree with tu_json_equal on numbers: 0 and -0.0, the integer
 * 100000000000000000 and the real 1e17 are the same key. */
static void test_key_number_text_disagrees_with_equal(void **state)
{
    (void)state;
    assert_int_equal(same_key("{\"name\":0}", "{\"name\":-0.0}", &spec1), 1);
    assert_int_equal(same_key("{\"name\":100000000000000000}",
                              "{\"name\":1e17}", &spec1), 1);
    assert_int_equal(same_key("{\"name\":0.1}", "{\"name\":0.2}", &spec1), 0);
    /* below 2^53 they agree */
    assert_int_equal(same_key("{\"name\":4503599627370496}",
                              "{\"name\":4503599627370496.0}", &spec1), 1);
}

/* ---- record sets -------------------------------------------------------- */

static void test_set_empty(void **state)
{
    tu_recordset set;
    (void)state;
    tu_recordset_init(&set);
    assert_int_equal(set.count, 0);
    assert_null(tu_recordset_find(&set, "s1:as1:b"));
    assert_null(tu_recordset_find(&set, ""));
    tu_recordset_free(&set);
    tu_recordset_free(&set);
}

static void test_set_add_find(void **state)
{
    tu_recordset set;
    size_t first = 0;
    tu_record *r;
    const tu_record *f;
    char *key, *label;
    (void)state;
    tu_recordset_init(&set);
    r = add(&set, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":1}", &first);
    assert_int_equal(first, SIZE_MAX);
    assert_string_equal(tu_record_label(r), "a|A");
    assert_int_equal(r->ambiguous, 0);
    assert_int_equal(r->absent, 0);
    assert_null(r->pos.file);
    assert_int_equal(r->pos.line, 0);
    add(&set, "{\"name\":\"b\",\"type\":\"A\",\"ttl\":2}", &first);
    assert_int_equal(first, SIZE_MAX);
    add(&set, "{\"name\":\"a\",\"type\":\"AAAA\",\"ttl\":3}", NULL);
    assert_int_equal(set.count, 3);

    key_of("{\"name\":\"b\",\"type\":\"A\"}", &spec2, &key, &label);
    f = tu_recordset_find(&set, key);
    assert_ptr_equal(f, &set.items[1]);
    assert_int_equal(json_integer_value(json_object_get(tu_record_fields(f), "ttl")),
                     2);
    free(key);
    free(label);
    key_of("{\"name\":\"a\",\"type\":\"AAAA\"}", &spec2, &key, &label);
    assert_ptr_equal(tu_recordset_find(&set, key), &set.items[2]);
    free(key);
    free(label);
    key_of("{\"name\":\"c\",\"type\":\"A\"}", &spec2, &key, &label);
    assert_null(tu_recordset_find(&set, key));
    free(key);
    free(label);
    tu_recordset_free(&set);
    assert_int_equal(set.count, 0);
    assert_null(set.items);
}

static void test_set_duplicates(void **state)
{
    tu_recordset set;
    size_t first = 0;
    tu_record *r;
    char *key, *label;
    (void)state;
    tu_recordset_init(&set);
    add(&set, "{\"name\":\"x\",\"type\":\"A\"}", &first);
    add(&set, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":1}", &first);
    add(&set, "{\"name\":\"y\",\"type\":\"A\"}", &first);
    assert_int_equal(first, SIZE_MAX);
    /* 600 vs "600" do not clash, a second "a|A" does */
    r = add(&set, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":2}", &first);
    assert_int_equal(first, 1);
    assert_int_equal(r->ambiguous, 1);
    assert_int_equal(set.items[1].ambiguous, 1);
    assert_int_equal(set.items[0].ambiguous, 0);
    assert_int_equal(set.items[2].ambiguous, 0);
    assert_int_equal(set.count, 4);   /* both kept */
    /* a third copy still points at the first */
    add(&set, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":3}", &first);
    assert_int_equal(first, 1);
    assert_int_equal(set.items[4].ambiguous, 1);
    /* find gives the first of them */
    key_of("{\"name\":\"a\",\"type\":\"A\"}", &spec2, &key, &label);
    assert_ptr_equal(tu_recordset_find(&set, key), &set.items[1]);
    free(key);
    free(label);
    tu_recordset_free(&set);
}

static void test_set_growth(void **state)
{
    tu_recordset set;
    char text[64], *key, *label;
    size_t first;
    (void)state;
    tu_recordset_init(&set);
    for (int i = 0; i < 5000; i++) {
        snprintf(text, sizeof text, "{\"name\":\"r%d\",\"type\":%d}", i, i);
        add(&set, text, &first);
        assert_int_equal(first, SIZE_MAX);
    }
    assert_int_equal(set.count, 5000);
    for (int i = 0; i < 5000; i += 499) {
        const tu_record *r;
        snprintf(text, sizeof text, "{\"name\":\"r%d\",\"type\":%d.0}", i, i);
        key_of(text, &spec2, &key, &label);
        r = tu_recordset_find(&set, key);
        assert_ptr_equal(r, &set.items[i]);
        snprintf(text, sizeof text, "r%d|%d", i, i);
        assert_string_equal(tu_record_label(r), text);
        free(key);
        free(label);
    }
    tu_recordset_free(&set);
}

/* Lookups fetched ahead give what tu_recordset_find gives, key by key:
 * records found, absent (every third key), duplicates (the first), in a
 * set of thousands and in an empty one, the live set also indexed at
 * once (tu_recordset_index, which fetches its slots ahead too). */
/* Every answer of a finder over `keys` (n of them) is tu_recordset_find's. */
static void finder_agrees(const tu_recordset *set, const tu_record *keys,
                          size_t n)
{
    tu_recordset_finder f;

    tu_recordset_finder_init(&f, set, keys, n);
    for (size_t i = 0; i < n; i++)
        assert_ptr_equal(tu_recordset_find_next(&f, i),
                         tu_recordset_find(set, keys[i].key));
}

/* The finder looks at the record after the last found first: keys in the
 * set's order, shuffled, in runs that jump, and a set whose duplicates
 * (r1, then r1 again) stand next to each other, where the record after
 * the first r1 has its key too but is not the index's answer. */
static void finder_orders(const tu_recordset *live, const tu_recordset *wanted)
{
    tu_recordset dups, twice;
    tu_record *keys = malloc(wanted->count * sizeof *keys);
    size_t n = wanted->count, first;

    assert_non_null(keys);
    for (size_t i = 0; i < n; i++)          /* shuffled: 1,001 is prime */
        keys[i] = wanted->items[i * 1001 % n];
    finder_agrees(live, keys, n);
    for (size_t i = 0; i < n; i++)          /* runs of 100, backwards */
        keys[i] = wanted->items[(n / 100 - 1 - i / 100) * 100 + i % 100];
    finder_agrees(live, keys, n);
    free(keys);
    tu_recordset_init(&dups);
    tu_recordset_init(&twice);
    add(&dups, "{\"name\":\"r0\",\"type\":\"A\"}", &first);
    add(&dups, "{\"name\":\"r1\",\"type\":\"A\"}", &first);
    add(&dups, "{\"name\":\"r1\",\"type\":\"A\",\"ttl\":9}", &first);
    add(&dups, "{\"name\":\"r2\",\"type\":\"A\"}", &first);
    for (size_t i = 0; i < dups.count; i++)
        assert_non_null(tu_recordset_append_packed(
            &twice, tu_record_fields(&dups.items[i]), dups.items[i].key,
            NULL));
    finder_agrees(&dups, twice.items, twice.count);
    assert_ptr_equal(tu_recordset_find(&dups, twice.items[2].key),
                     &dups.items[1]);
    tu_recordset_free(&dups);
    tu_recordset_free(&twice);
}

static void test_finder(void **state)
{
    tu_recordset live, wanted, none, bulk;
    tu_recordset_finder f;
    char text[64];
    size_t first;
    (void)state;
    tu_recordset_init(&live);
    tu_recordset_init(&wanted);
    tu_recordset_init(&none);
    tu_recordset_init(&bulk);
    for (int i = 0; i < 3000; i++) {
        snprintf(text, sizeof text, "{\"name\":\"r%d\",\"type\":\"A\"}", i);
        if (i % 3)
            add(&live, text, &first);
        add(&wanted, text, &first);
        if (i % 3)
            assert_non_null(tu_recordset_append_packed(
                &bulk, tu_record_fields(&live.items[live.count - 1]),
                live.items[live.count - 1].key, NULL));
    }
    add(&live, "{\"name\":\"r1\",\"type\":\"A\",\"ttl\":9}", &first);
    assert_non_null(tu_recordset_append_packed(
        &bulk, tu_record_fields(&live.items[live.count - 1]),
        live.items[live.count - 1].key, NULL));
    assert_int_equal(tu_recordset_index(&bulk), 0);
    tu_recordset_finder_init(&f, &live, wanted.items, wanted.count);
    for (size_t i = 0; i < wanted.count; i++)
        assert_ptr_equal(tu_recordset_find_next(&f, i),
                         tu_recordset_find(&live, wanted.items[i].key));
    tu_recordset_finder_init(&f, &bulk, wanted.items, wanted.count);
    for (size_t i = 0; i < wanted.count; i++) {
        const tu_record *r = tu_recordset_find_next(&f, i);
        assert_ptr_equal(r, tu_recordset_find(&bulk, wanted.items[i].key));
        assert_int_equal(r == NULL, i % 3 == 0);
    }
    assert_int_equal(bulk.items[0].ambiguous, 1);   /* r1, twice */
    tu_recordset_finder_init(&f, &none, wanted.items, wanted.count);
    for (size_t i = 0; i < wanted.count; i += 7)
        assert_null(tu_recordset_find_next(&f, i));
    finder_orders(&live, &wanted);
    tu_recordset_free(&live);
    tu_recordset_free(&wanted);
    tu_recordset_free(&none);
    tu_recordset_free(&bulk);
}

/* A label that is the key's values joined by '|' is made from the key
 * when asked for (values cut at a NUL, as tu_record_key cuts them); a
 * provider's own label is kept as given. */
static void test_label_made_or_kept(void **state)
{
    tu_recordset set;
    char *key, *label;
    json_t *fields = J("{\"name\":\"a\"}");
    tu_record *r;
    (void)state;
    tu_recordset_init(&set);
    /* "a\0b|c" and 600, as tu_record_key writes them */
    r = tu_recordset_add_packed(&set, fields, NULL,
                                "s5:a\x01" "0b|cn3:600", "a|600", NULL);
    assert_non_null(r);
    assert_null(r->more);                    /* not kept: made on demand */
    assert_string_equal(tu_record_label(r), "a|600");
    assert_ptr_equal(tu_record_label(r), tu_record_label(r));
    key_of("{\"name\":\"\",\"type\":\"x|y\"}", &spec2, &key, &label);
    r = tu_recordset_add_packed(&set, fields, NULL, key, label, NULL);
    assert_null(r->more);
    assert_string_equal(tu_record_label(r), "|x|y");
    free(key);
    free(label);
    r = tu_recordset_add_packed(&set, fields, NULL, "s1:zs1:A",
                                "z (an A record)", NULL);
    assert_non_null(r->more);                             /* kept */
    assert_string_equal(tu_record_label(r), "z (an A record)");
    r = tu_recordset_add(&set, json_object(), strdup("plain"),
                         strdup("plain"), NULL);
    assert_string_equal(tu_record_label(r), "plain");   /* not a key */
    json_decref(fields);
    tu_recordset_free(&set);
}

/* A record as a file declares it: key fields first, the rest in order,
 * the left-out names and `also` taken out. */
static void test_declared(void **state)
{
    json_t *live = J("{\"id\":7,\"ttl\":60,\"type\":\"A\","
                     "\"updated_at\":\"x\",\"name\":\"a\",\"note\":\"n\"}");
    const char *ignore[] = {"updated_at"};
    json_t *out = tu_record_declared(live, &spec2, ignore, 1, "id");
    char *text = json_dumps(out, JSON_COMPACT);
    (void)state;
    assert_string_equal(text, "{\"name\":\"a\",\"type\":\"A\","
                        "\"ttl\":60,\"note\":\"n\"}");
    free(text);
    json_decref(out);
    out = tu_record_declared(live, &spec1, NULL, 0, NULL);
    text = json_dumps(out, JSON_COMPACT);
    assert_string_equal(text, "{\"name\":\"a\",\"id\":7,\"ttl\":60,"
                        "\"type\":\"A\",\"updated_at\":\"x\","
                        "\"note\":\"n\"}");
    free(text);
    json_decref(out);
    json_decref(live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label),
        cmocka_unit_test(test_key_types),
        cmocka_unit_test(test_key_rejected),
        cmocka_unit_test(test_key_empty_spec),
        cmocka_unit_test(test_declared),
        cmocka_unit_test(test_key_separator_collision),
        cmocka_unit_test(test_key_embedded_nul),
        cmocka_unit_test(test_key_values),
        cmocka_unit_test(test_key_number_text_disagrees_with_equal),
        cmocka_unit_test(test_set_empty),
        cmocka_unit_test(test_set_add_find),
        cmocka_unit_test(test_set_duplicates),
        cmocka_unit_test(test_set_growth),
        cmocka_unit_test(test_finder),
        cmocka_unit_test(test_label_made_or_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
