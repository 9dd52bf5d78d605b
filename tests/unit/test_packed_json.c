/* test_packed_json.c -- state/packed_json.h: a live record packed straight
 * from its text. The common shapes are taken (and packed as tu_pack packs
 * jansson's parse of them); anything outside the subset is given back
 * untouched, for jansson to parse and, when it is wrong, to say why. The
 * differential fuzz target fuzz_pack_json covers the rest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/packed_json.h"
#include "util/json_util.h"

/* `text` taken: the same record as tu_pack of jansson's parse, `used` its
 * bytes up to the closing brace, where jansson stops. */
static void assert_taken(const char *text)
{
    tu_pack_store fast, slow;
    json_error_t jerr;
    const tu_packed *p, *q;
    json_t *v, *pj;
    size_t used;
    int oom;

    tu_pack_store_init(&fast);
    tu_pack_store_init(&slow);
    p = tu_pack_json_object(&fast, text, strlen(text), &used, &oom);
    if (!p)
        fail_msg("not taken: <<%s>>", text);
    v = json_loadb(text, strlen(text), JSON_DISABLE_EOF_CHECK, &jerr);
    assert_non_null(v);
    assert_int_equal(used, jerr.position);
    assert_int_equal(text[used - 1], '}');
    q = tu_pack(&slow, v);
    assert_int_equal(p->count, q->count);
    pj = tu_packed_json(p);
    assert_true(tu_json_equal(pj, v));
    for (uint32_t i = 0; i < p->count; i++) {
        assert_string_equal(tu_pfield_name(&p->fields[i]),
                            tu_pfield_name(&q->fields[i]));
        assert_int_equal(tu_pfield_type(&p->fields[i]),
                         tu_pfield_type(&q->fields[i]));
        assert_true(tu_pfield_equal(&p->fields[i], &q->fields[i]));
    }
    json_decref(pj);
    json_decref(v);
    tu_pack_store_free(&fast);
    tu_pack_store_free(&slow);
}

static void assert_given_back(const char *text, size_t len)
{
    tu_pack_store s;
    size_t used = 99;
    int oom = 1;

    tu_pack_store_init(&s);
    if (tu_pack_json_object(&s, text, len, &used, &oom))
        fail_msg("taken: <<%s>>", text);
    assert_int_equal(used, 0);
    assert_int_equal(oom, 0);
    tu_pack_store_free(&s);
}

static void test_common_shapes(void **state)
{
    const char *dns = "{\"id\":1,\"name\":\"host1.example.org.\","
                      "\"type\":\"A\",\"content\":\"10.0.0.1\",\"ttl\":3600}";
    (void)state;
    assert_taken(dns);
    assert_taken("{}");
    assert_taken(" {\"a\" : 1 } , {\"b\":2}]");
    assert_taken("{\"s\":\"q\\\"uote\\\\ \\/ \\b\\f\\n\\r\\t\"}");
    assert_taken("{\"u\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");
    assert_taken("{\"t\":true,\"f\":false,\"n\":null}");
    assert_taken("{\"i\":-0,\"j\":9223372036854775807,"
                 "\"k\":-9223372036854775808}");
    assert_taken("{\"r\":-0.5e-3,\"x\":1E+2,\"y\":0.1}");
    assert_taken("{\"o\":{\"b\":[1,2.5,null,{\"c\":\"d\"}]},\"e\":[]}");
}

/* Outside the subset: escapes jansson decodes, numbers out of range,
 * keys twice, what is not JSON at all. */
static void test_given_back(void **state)
{
    static const char *texts[] = {
        "{\"k\":\"\\u00e9\"}",            /* \u escape */
        "{\"k\\u0041\":1}",               /* escaped key */
        "{\"a\":1,\"a\":2}",              /* a key twice */
        "{\"n\":9223372036854775808}",    /* integer out of range */
        "{\"r\":1e400}",                  /* real out of range */
        "{\"r\":1e-400}",                 /* underflow: jansson's call */
        "{\"z\":01}", "{\"z\":-}", "{\"z\":1.}", "{\"z\":.5}", "{\"z\":1e}",
        "{\"t\":truex}", "{\"t\":True}", "{\"a\":1,}", "{\"a\" 1}",
        "{\"a\":1", "{\"a\":\"open", "[{\"a\":1}]", "\"a\"", "", "  ",
        "{\"bad\":\"\xc0\x80\"}",         /* overlong */
        "{\"bad\":\"\xed\xa0\x80\"}",     /* a surrogate */
        "{\"bad\":\"\xf4\x90\x80\x80\"}", /* past U+10FFFF */
        "{\"bad\":\"\xe2\x82\"}",         /* cut short */
        "{\"ctl\":\"a\x01z\"}",           /* a control character */
        "{\"k\xc3\xa9\":1}",              /* a key not ASCII */
        "{\"o\":[1,}",                    /* nested, not JSON */
    };
    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        assert_given_back(texts[i], strlen(texts[i]));
    assert_given_back("{\"nul\":\"a\0b\"}", 13);
}

/* Nested as deep as jansson allows inside a record: given back, since
 * parsed alone it would be one level short of jansson's limit. */
static void test_deep_nesting(void **state)
{
    size_t depth = 2048, n = 0;
    char *text = malloc(2 * depth + 16);
    (void)state;
    assert_non_null(text);
    n += (size_t)sprintf(text, "{\"a\":");
    for (size_t i = 0; i < depth; i++)
        text[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        text[n++] = ']';
    text[n++] = '}';
    assert_given_back(text, n);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_shapes),
        cmocka_unit_test(test_given_back),
        cmocka_unit_test(test_deep_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
