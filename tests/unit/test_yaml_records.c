/* test_yaml_records.c -- a records list read without libyaml
 * (state/yaml_records.c, through the loader).
 *
 * Each case loads text with its `records` items handed over, as the
 * desired-state files are loaded, and checks which reader took the list
 * (an item read without libyaml comes packed), what the items hold and
 * where they stand, and that what lies outside the subset is read, or
 * refused, by libyaml with the messages it always gave.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "state/yaml_load.h"
#include "state/yaml_records.h"

#define MAX_ITEMS 8

typedef struct got {
    tu_pack_store store;
    const tu_packed *p[MAX_ITEMS];
    tu_srcpos pos[MAX_ITEMS];
    uint32_t members[MAX_ITEMS][8];
    size_t index[MAX_ITEMS];
    size_t n, packed;          /* items; items that came packed */
    size_t drops;              /* lists taken back */
    tu_srcmap *own;            /* the map when the test gives none */
} got;

static int keep(const tu_yaml_item *item, void *data)
{
    got *g = data;
    size_t i = g->n++;

    assert_int_equal(item->index, i);   /* one list: from 0, in order */
    assert_true(i < MAX_ITEMS);
    g->packed += item->packed != NULL;
    g->p[i] = item->packed ? item->packed : tu_pack(&g->store, item->value);
    g->pos[i] = item->pos;
    g->index[i] = item->index;
    for (size_t m = 0; m < 2 * item->nmembers && m < 8; m++)
        g->members[i][m] = item->members[m];
    return 0;
}

/* The list taken back: every item handed over so far (one list here). */
static void drop(void *data)
{
    got *g = data;

    g->n = g->packed = 0;
    g->drops++;
}

/* Load `text` as trueup loads files (with a source map: the fast reader
 * needs one); the root (NULL on error, err set). */
static json_t *load(const char *text, got *g, tu_srcmap *map, tu_error *err)
{
    tu_yaml_items items = {"records", keep, g, &g->store, drop};

    memset(g, 0, sizeof *g);
    memset(err, 0, sizeof *err);
    tu_pack_store_init(&g->store);
    if (!map)
        assert_non_null(map = g->own = tu_srcmap_new());
    return tu_yaml_load_string_items(text, strlen(text), "t.yaml", map,
                                     &items, err);
}

static void done(got *g)
{
    tu_pack_store_free(&g->store);
    tu_srcmap_free(g->own);
}

/* Load `text` expecting `n` items, every one read by the fast reader. */
static json_t *load_fast(const char *text, got *g, tu_srcmap *map, size_t n)
{
    tu_error err;
    json_t *root = load(text, g, map, &err);

    if (!root)
        fail_msg("<<%s>>: %s", text, err.message);
    assert_int_equal(g->n, n);
    assert_int_equal(g->packed, n);
    return root;
}

static const tu_pfield *field(const tu_packed *p, const char *name)
{
    const tu_pfield *f = tu_packed_get(p, name);
    assert_non_null(f);
    return f;
}

static void assert_str(const tu_packed *p, const char *name,
                       const char *want)
{
    const tu_pfield *f = field(p, name);
    assert_int_equal(tu_pfield_type(f), TU_PV_STR);
    assert_int_equal(tu_pfield_len(f), strlen(want));
    assert_string_equal(f->u.s, want);
}

static void assert_int(const tu_packed *p, const char *name, json_int_t v)
{
    const tu_pfield *f = field(p, name);
    assert_int_equal(tu_pfield_type(f), TU_PV_INT);
    assert_int_equal(f->u.i, v);
}

static void common_shape(void **state)
{
    const char *text =
        "target: {provider: rest}\n"
        "records:   # the list\n"
        "\n"
        "  # a comment\n"
        "  - {name: a.example.org., type: A, content: 192.0.2.1, ttl: 600}\n"
        "# at the first column\n"
        "  -   { name: b , txt: \"v=spf1 -all\", q: 'x y', n: ~, t: true,"
        " f: False, h: 0x1F, neg: -12 }   # trailing\n"
        "settings: {concurrency: 4}\n";
    tu_srcmap *map = tu_srcmap_new();
    got g;
    json_t *root;

    (void)state;
    root = load_fast(text, &g, map, 2);
    assert_str(g.p[0], "name", "a.example.org.");
    assert_str(g.p[0], "content", "192.0.2.1");
    assert_int(g.p[0], "ttl", 600);
    assert_str(g.p[1], "name", "b");
    assert_str(g.p[1], "txt", "v=spf1 -all");
    assert_str(g.p[1], "q", "x y");
    assert_int_equal(tu_pfield_type(field(g.p[1], "n")), TU_PV_NULL);
    assert_int_equal(tu_pfield_type(field(g.p[1], "t")), TU_PV_TRUE);
    assert_int_equal(tu_pfield_type(field(g.p[1], "f")), TU_PV_FALSE);
    assert_int(g.p[1], "h", 31);
    assert_int(g.p[1], "neg", -12);
    /* places: the '{', each key; the list's index */
    assert_int_equal(g.pos[0].line, 5);
    assert_int_equal(g.pos[0].column, 5);
    assert_string_equal(g.pos[0].file, "t.yaml");
    assert_int_equal(g.members[0][0], 5);
    assert_int_equal(g.members[0][1], 6);
    assert_int_equal(g.pos[1].line, 7);
    assert_int_equal(g.pos[1].column, 7);
    assert_int_equal(g.members[1][3], 19);   /* txt */
    assert_int_equal(g.index[1], 1);
    /* the rest of the document, the list left empty where it stood */
    assert_true(json_is_array(json_object_get(root, "records")));
    assert_int_equal(json_array_size(json_object_get(root, "records")), 0);
    assert_int_equal(tu_srcmap_get(map, json_object_get(root, "records"))
                         .line, 5);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(root, "settings"), "concurrency")),
                     4);
    assert_int_equal(tu_srcmap_member(map, root, "settings").line, 8);
    json_decref(root);
    done(&g);
    tu_srcmap_free(map);
}

/* PowerDNS's rrsets: a flow sequence of scalars becomes an array, placed
 * in the source map at its '[' as the loader places one. */
static void sequences(void **state)
{
    const char *text =
        "records:\n"
        "  - {name: a., type: A, ttl: 60, records: [192.0.2.1, 192.0.2.2]}\n"
        "  - {name: b., type: TXT, records: ['\"v=spf1 -all\"', 7, ~]}\n"
        "  - {name: c., records: [ ]}\n";
    tu_srcmap *map = tu_srcmap_new();
    got g;
    json_t *root, *want;
    const tu_pfield *f;
    tu_srcpos at;

    (void)state;
    root = load_fast(text, &g, map, 3);
    f = field(g.p[0], "records");
    assert_int_equal(tu_pfield_type(f), TU_PV_JSON);
    want = json_pack("[ss]", "192.0.2.1", "192.0.2.2");
    assert_true(json_equal(f->u.j, want));
    json_decref(want);
    at = tu_srcmap_get(map, f->u.j);
    assert_int_equal(at.line, 2);
    assert_int_equal(at.column, 43);
    f = field(g.p[1], "records");
    want = json_pack("[sin]", "\"v=spf1 -all\"", 7);
    assert_true(json_equal(f->u.j, want));
    json_decref(want);
    assert_int_equal(json_array_size(field(g.p[2], "records")->u.j), 0);
    json_decref(root);
    done(&g);
    tu_srcmap_free(map);
}

/* A ':' inside a plain value, as libyaml reads it in a flow mapping. */
static void colons(void **state)
{
    const char *text =
        "records:\n"
        "  - {name: a., type: AAAA, content: 2001:db8::1, u: http://h/x:y}\n"
        "  - {name: b., t: 1:2, s: b :c, l: [fe80::1, a:b]}\n";
    got g;
    json_t *root, *want;

    (void)state;
    root = load_fast(text, &g, NULL, 2);
    assert_str(g.p[0], "content", "2001:db8::1");
    assert_str(g.p[0], "u", "http://h/x:y");
    assert_str(g.p[1], "t", "1:2");
    assert_str(g.p[1], "s", "b :c");
    want = json_pack("[ss]", "fe80::1", "a:b");
    assert_true(json_equal(field(g.p[1], "l")->u.j, want));
    json_decref(want);
    json_decref(root);
    done(&g);
}

/* Block mappings, one member a line, beside flow ones: each member's
 * own line, the mapping at its first key, as libyaml places them. */
static void block_style(void **state)
{
    const char *text =
        "records:\n"
        "  - name: a.example.org.\n"
        "    type: A   # a comment\n"
        "\n"
        "# at the first column\n"
        "    records: [192.0.2.1]\n"
        "  - {name: b., ttl: 60}\n"
        "  -   name: c.\n"
        "      ttl: 5\n"
        "other: 1\n";
    tu_srcmap *map = tu_srcmap_new();
    got g;
    json_t *root;

    (void)state;
    root = load_fast(text, &g, map, 3);
    assert_str(g.p[0], "name", "a.example.org.");
    assert_str(g.p[0], "type", "A");
    assert_int_equal(g.p[0]->count, 3);
    assert_int_equal(g.pos[0].line, 2);
    assert_int_equal(g.pos[0].column, 5);
    assert_int_equal(g.members[0][2], 3);   /* type: line 3, column 5 */
    assert_int_equal(g.members[0][3], 5);
    assert_int_equal(g.members[0][4], 6);   /* records: line 6 */
    assert_int_equal(tu_srcmap_get(map, field(g.p[0], "records")->u.j).line,
                     6);
    assert_int_equal(g.pos[1].line, 7);
    assert_int(g.p[2], "ttl", 5);
    assert_int_equal(g.pos[2].column, 7);
    assert_int_equal(g.members[2][2], 9);
    assert_int_equal(tu_srcmap_member(map, root, "other").line, 10);
    json_decref(root);
    done(&g);
    tu_srcmap_free(map);
}

/* A file saved with CRLF line ends reads as with LF. */
static void crlf(void **state)
{
    const char *text =
        "records:\r\n"
        "  - {name: a., ttl: 60}  # c\r\n"
        "\r\n"
        "  - name: b.\r\n"
        "    ttl: 5\r\n"
        "x: !!bogus 1\r\n";
    got g;
    tu_error err;
    json_t *root = load(text, &g, NULL, &err);

    (void)state;
    assert_null(root);          /* the items were read, then the error */
    assert_string_equal(err.message,
                        "t.yaml:6:4: unsupported tag '!!bogus' (use "
                        "!!str, !!int, !!float, !!bool or !!null, or no "
                        "tag)");
    done(&g);
    root = load_fast("records:\r\n  - {name: a., ttl: 60}\r\n"
                     "  - name: b.\r\n    ttl: 5\r\n", &g, NULL, 2);
    assert_str(g.p[0], "name", "a.");
    assert_int(g.p[1], "ttl", 5);
    assert_int_equal(g.members[1][2], 4);
    json_decref(root);
    done(&g);
}

/* Lines after the list keep their numbers in messages. */
static void error_after_the_list(void **state)
{
    tu_srcmap *map = tu_srcmap_new();
    tu_error err;
    got g;
    json_t *root = load("records:\n  - {a: 1}\n\n  - {a: 2}\n"
                        "x: !!bogus 1\n", &g, map, &err);

    (void)state;
    assert_null(root);
    assert_int_equal(g.n, 0);
    assert_string_equal(err.message,
                        "t.yaml:5:4: unsupported tag '!!bogus' (use "
                        "!!str, !!int, !!float, !!bool or !!null, or no "
                        "tag)");
    done(&g);
    tu_srcmap_free(map);
}

/* Outside the subset, libyaml reads the list: its items come as jansson
 * values, and what is wrong is said as it always was. */
static void left_to_libyaml(void **state)
{
    static const char *const texts[] = {
        "records:\n  - {a: 1.5}\n",             /* a float */
        "records:\n  - a:\n      b: 2\n",        /* nested, block */
        "records:\n  - a: x\n      y\n",          /* a value on two lines */
        "records:\n  - {a: 1}\r  - {a: 2}\n",    /* a lone CR */
        "records:\n  - {a: \"\\t\"}\n",         /* an escape */
        "records:\n  - {a: 1}\n  - {\"b\": 2}\n",  /* a quoted key */
        "records:\n  - {a: [[1]]}\n",           /* nesting */
        "records:\n  - {a: [1, ]}\n",           /* a trailing comma */
        "records:\n  - {a: &x 1}\n",            /* an anchor */
        "records:\n  - {a: caf\xc3\xa9}\n",     /* not ASCII */
    };
    tu_error err;
    got g;

    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        json_t *root = load(texts[i], &g, NULL, &err);
        if (!root)
            fail_msg("<<%s>>: %s", texts[i], err.message);
        assert_true(g.n > 0);
        assert_int_equal(g.packed, 0);
        json_decref(root);
        done(&g);
    }
}

static void refused_as_before(void **state)
{
    static const char *const cases[][2] = {
        {"records:\n  - {a: 1, a: 2}\n",
         "t.yaml:2:12: duplicate key 'a' (first at line 2)"},
        {"records:\n  - {a: 99999999999999999999}\n",
         "t.yaml:2:9: integer '99999999999999999999' is out of the 64-bit "
         "range; quote it to make it a string"},
        {"records:\n  - {a: 1}\nrecords:\n  - {a: 2}\n",
         "t.yaml:3:1: duplicate key 'records' (first at line 1)"},
        {"{x: 1,\nrecords:\n  - {a: 1}\n}\n", NULL},
        {"records:\n  - {a: b:}\n",
         "t.yaml:2:10: found unexpected ':' (while scanning a plain scalar)"},
        {"records:\n  - {a: ::1}\n",
         "t.yaml:2:9: did not find expected node content (while parsing a "
         "flow node)"},
    };
    tu_error err;
    got g;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *root = load(cases[i][0], &g, NULL, &err);
        if (root)
            fail_msg("<<%s>> loaded", cases[i][0]);
        assert_int_equal(g.packed, 0);
        if (cases[i][1])
            assert_string_equal(err.message, cases[i][1]);
        done(&g);
    }
}

/* Where the list stands, and what it counts. */
static void finder(void **state)
{
    const char *text = "a: 1\nrecords:\n- {x: 1, y: 2}\n\n- {x: 2}\nb: 2\n";
    tu_srcmap *map = tu_srcmap_new();
    got g;
    tu_yaml_items items = {"records", keep, &g, &g.store, drop};
    tu_yaml_block b;

    (void)state;
    memset(&g, 0, sizeof g);
    tu_pack_store_init(&g.store);
    assert_int_equal(tu_yaml_block_take(text, strlen(text), map, "t.yaml",
                                        &items, &b, NULL), 1);
    assert_int_equal(b.key_line, 2);
    assert_int_equal(b.start, 14);
    assert_int_equal(b.end, strlen(text) - strlen("b: 2\n"));
    assert_int_equal(b.newlines, 3);
    assert_int_equal(b.items, 2);
    assert_int_equal(g.n, 2);
    assert_int_equal(b.nodes, 5 + 3);
    assert_int_equal(b.first.line, 3);
    assert_int_equal(b.first.column, 1);
    tu_yaml_block_drop(&b, map, &items);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.store.arena.used, 0);
    /* no item, no list; a value on the key's line; another key */
    assert_int_equal(tu_yaml_block_take("records:\nb: 1\n", 14, map, "t",
                                        &items, &b, NULL), 0);
    assert_int_equal(tu_yaml_block_take("records: []\n", 12, map, "t",
                                        &items, &b, NULL), 0);
    assert_int_equal(tu_yaml_block_take("recordsx:\n- {a: 1}\n", 19, map,
                                        "t", &items, &b, NULL), 0);
    assert_int_equal(g.drops, 1);
    done(&g);
    tu_srcmap_free(map);
}

/* A list that leaves the subset after items were handed over: they are
 * taken back, the store holds no more than when libyaml reads the file
 * alone, and libyaml's items are all there is. */
static void taken_back(void **state)
{
    static const char *const texts[] = {
        "records:\n  - {a: [1, 2]}\n  - {b: x}\n  - {a: 1.5}\n",
        "records:\n  - {a: 1}\n  - b: 2\n    c: [x]\n  - {a: \"\\t\"}\n",
    };
    tu_error err;
    got g;
    size_t alone;

    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        tu_yaml_items slow = {"records", keep, &g, NULL, NULL};
        json_t *root;

        memset(&g, 0, sizeof g);
        tu_pack_store_init(&g.store);
        assert_non_null(g.own = tu_srcmap_new());
        root = tu_yaml_load_string_items(texts[i], strlen(texts[i]),
                                         "t.yaml", g.own, &slow, &err);
        assert_non_null(root);
        alone = g.store.arena.used;
        json_decref(root);
        done(&g);
        assert_non_null(root = load(texts[i], &g, NULL, &err));
        assert_int_equal(g.drops, 1);
        assert_int_equal(g.n, 3);
        assert_int_equal(g.packed, 0);
        assert_int_equal(g.store.arena.used, alone);
        json_decref(root);
        done(&g);
    }
}

/* Taken back too when the rest of the file fails after the list. */
static void taken_back_on_error(void **state)
{
    tu_error err;
    got g;

    (void)state;
    assert_null(load("records:\n  - {a: [1]}\nx: !!bogus 1\n", &g, NULL,
                     &err));
    assert_int_equal(g.drops, 1);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.store.arena.used, 0);
    assert_int_equal(g.store.nrefs, 0);
    done(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(common_shape),
        cmocka_unit_test(sequences),
        cmocka_unit_test(colons),
        cmocka_unit_test(block_style),
        cmocka_unit_test(crlf),
        cmocka_unit_test(error_after_the_list),
        cmocka_unit_test(left_to_libyaml),
        cmocka_unit_test(refused_as_before),
        cmocka_unit_test(finder),
        cmocka_unit_test(taken_back),
        cmocka_unit_test(taken_back_on_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
