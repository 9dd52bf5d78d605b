/* test_listpage.c -- state/listpage.h: the records of a list page (bare
 * array, {"items": [...]}, a dotted path; tu_list_page_each, which must
 * give the same) and every error message (nothing
 * at the path, not JSON, wrong shape); Link headers as real servers write
 * them; X-Total-Count parsing; excerpts for messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "state/listpage.h"

#define URL "https://api.test/records?page=1"

/* ---- helpers ------------------------------------------------------------ */

/* The items of `body` as compact JSON (sorted keys). */
static void assert_items(const char *body, const char *path,
                         const char *expected)
{
    tu_error err = {0};
    json_t *items = tu_list_page_items(body, strlen(body), path, "GET", URL,
                                       &err);
    char *got;
    if (!items)
        fail_msg("no items in <<%s>>: %s", body, err.message);
    assert_true(json_is_array(items));
    got = json_dumps(items, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(got, expected);
    free(got);
    json_decref(items);
}

static void assert_items_error(const char *body, size_t len, const char *path,
                               const char *expected)
{
    tu_error err = {0};
    assert_null(tu_list_page_items(body, len, path, "GET", URL, &err));
    assert_string_equal(err.message, expected);
}

static void assert_next(const char *header, const char *expected)
{
    char *got = tu_link_next(header);
    const char *shown = header ? header : "(no header)";
    if (!expected) {
        if (got)
            fail_msg("<<%s>>: expected no next link, got %s", shown, got);
        return;
    }
    if (!got)
        fail_msg("<<%s>>: expected %s, got none", shown, expected);
    assert_string_equal(got, expected);
    free(got);
}

static void assert_excerpt(const char *text, size_t len, size_t max,
                           const char *expected)
{
    char *got = tu_excerpt(text, len, max);
    assert_non_null(got);
    assert_string_equal(got, expected);
    free(got);
}

/* ---- tu_list_page_items ------------------------------------------------- */

static void test_items_bare_array(void **state)
{
    (void)state;
    assert_items("[{\"id\":1},{\"id\":2}]", NULL,
                 "[{\"id\":1},{\"id\":2}]");
    assert_items("[]", NULL, "[]");
    assert_items("  [ ]\n", "", "[]");
    /* an array even when an items path is not given but would not exist */
    assert_items("[1,\"a\",null]", NULL, "[1,\"a\",null]");
}

static void test_items_object(void **state)
{
    (void)state;
    assert_items("{\"items\":[{\"id\":1}],\"total\":1}", NULL,
                 "[{\"id\":1}]");
    assert_items("{\"total\":0,\"items\":[]}", "", "[]");
}

static void test_items_path(void **state)
{
    (void)state;
    assert_items("{\"result\":[{\"id\":\"a\"}],\"items\":\"not this\"}",
                 "result", "[{\"id\":\"a\"}]");
    assert_items("{\"data\":{\"records\":[{\"n\":1},{\"n\":2}]},"
                 "\"meta\":{}}", "data.records", "[{\"n\":1},{\"n\":2}]");
}

/* ---- tu_list_page_each ------------------------------------------------ */

static int append_item(json_t *item, size_t index, void *data)
{
    json_t *got = data;
    assert_int_equal(index, json_array_size(got));
    return json_array_append(got, item);
}

/* tu_list_page_each gives what tu_list_page_items gives: items in order,
 * or its message. */
static void assert_each_same(const char *body, const char *path)
{
    tu_error err = {0}, whole = {0};
    json_t *got = json_array();
    json_t *items = tu_list_page_items(body, strlen(body), path, "GET", URL,
                                       &whole);
    int rc = tu_list_page_each(body, strlen(body), path, "GET", URL,
                               append_item, got, &err);

    if (items) {
        assert_int_equal(rc, 0);
        assert_true(json_equal(got, items));
    } else {
        assert_int_equal(rc, -1);
        assert_string_equal(err.message, whole.message);
    }
    json_decref(items);
    json_decref(got);
}

static int stop_at_second(json_t *item, size_t index, void *data)
{
    (void)item;
    (void)data;
    return index == 1;
}

static void test_each(void **state)
{
    static const char *const bodies[] = {
        /* a PowerDNS zone: the member streamed */
        "{\"name\": \"z.\", \"rrsets\": [{\"name\": \"a.z.\", "
        "\"records\": [{\"content\": \"}]\\\"[\"}]}, {\"ttl\": 1}], "
        "\"serial\": 1}",
        "{\"rrsets\": []}",
        "{\"rrsets\": [1], \"x\": {}, \"rrsets\": [2, 3]}", /* the last */
        "{\"rr\\u0073ets\": [1], \"rrsets\": [2]}",    /* escaped: whole */
        "{\"rrsets\": {\"a\": 1}}",                           /* not a list */
        "{\"other\": [1]}",                                    /* missing */
        "{\"rrsets\": [1, 2], \"tail\": [}",                   /* bad tail */
        "{\"rrsets\": [1, }2]}",                                /* bad item */
        "[1, 2]",
        "",
    };
    tu_error err = {0};
    (void)state;
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++)
        assert_each_same(bodies[i], "rrsets");
    assert_each_same("{\"data\": {\"records\": [1]}}", "data.records");
    /* each stops: -1, the message left empty */
    assert_int_equal(tu_list_page_each("{\"rrsets\": [1, 2, 3]}", 21,
                                       "rrsets", "GET", URL, stop_at_second,
                                       NULL, &err), -1);
    assert_string_equal(err.message, "");
}

static void test_items_len_respected(void **state)
{
    tu_error err = {0};
    const char *body = "[1,2]GARBAGE";
    json_t *items = tu_list_page_items(body, 5, NULL, "GET", URL, &err);
    (void)state;
    assert_non_null(items);
    assert_int_equal(json_array_size(items), 2);
    json_decref(items);
}

/* A list read by another method (Porkbun's POST) is named by it. */
static void test_messages_name_the_method(void **state)
{
    tu_error err = {0};
    tu_page page;
    tu_page_paths paths = {"records", NULL, NULL, NULL, NULL, NULL};
    (void)state;
    assert_null(tu_list_page_items("{}", 2, "records", "POST", URL, &err));
    assert_string_equal(err.message, "POST " URL ": the response has "
                        "nothing at items path 'records' (got a mapping): "
                        "check target.resource.items");
    assert_int_equal(tu_page_parse("nope", 4, &paths, "POST", URL, &page,
                                   &err), -1);
    assert_true(strncmp(err.message, "POST " URL ": the response is not "
                        "valid JSON", strlen("POST " URL ": the response "
                                             "is not valid JSON")) == 0);
    assert_null(tu_list_page_items("{}", 2, "records", NULL, URL, &err));
    assert_true(strncmp(err.message, "GET " URL ": ", 6) == 0);
}

static void test_items_missing_path(void **state)
{
    (void)state;
    assert_items_error("{\"data\":{\"rows\":[]}}", 20, "data.records",
                       "GET " URL ": the response has nothing at items path "
                       "'data.records' (got a mapping): check "
                       "target.resource.items");
    assert_items_error("[{\"id\":1}]", 10, "items",
                       "GET " URL ": the response has nothing at items path "
                       "'items' (got a list): check target.resource.items");
    assert_items_error("{\"data\":5}", 10, "data.records",
                       "GET " URL ": the response has nothing at items path "
                       "'data.records' (got a mapping): check "
                       "target.resource.items");
}

static void test_items_not_json(void **state)
{
    const char *html = "<html>\n<body>Bad gateway</body>\n</html>";
    const char *long_html =
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
        "<body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>";
    (void)state;
    assert_items_error(html, strlen(html), NULL,
                       "GET " URL ": the response is not valid JSON "
                       "(invalid token near '<' at line 1, column 1); it "
                       "begins: <html> <body>Bad gateway</body> </html>");
    /* long bodies are cut at 80 bytes */
    assert_items_error(long_html, strlen(long_html), "items",
                       "GET " URL ": the response is not valid JSON "
                       "(invalid token near '<' at line 1, column 1); it "
                       "begins: <!DOCTYPE html><html><head><title>502 Bad "
                       "Gateway</title></head><body><h1>502 Ba...");
    assert_items_error("{\"items\":[1,]}", 14, NULL,
                       "GET " URL ": the response is not valid JSON "
                       "(unexpected token near ']' at line 1, column 13); "
                       "it begins: {\"items\":[1,]}");
}

/* A 204, or a body of white space: an empty page (SOLIDserver answers
 * 204 past its last row). */
static void test_items_empty_answer(void **state)
{
    (void)state;
    assert_items("", NULL, "[]");
    assert_items(" \r\n\t", "data", "[]");
}

/* An object without its records that counts 0 is an empty page; with a
 * count above 0, or none, an error that says so. */
static void test_items_absent_count(void **state)
{
    (void)state;
    assert_items("{\"count\":0}", "data", "[]");
    assert_items("{\"total_size\":\"0\"}", "data.records", "[]");
    assert_items("{\"total\":0,\"next\":null}", NULL, "[]");
    assert_items_error("{\"count\":3}", 11, "data",
                       "GET " URL ": the response has nothing at items path "
                       "'data', but counts 3 records: check "
                       "target.resource.items");
    assert_items_error("{\"total_size\":2}", 16, NULL,
                       "GET " URL ": expected a list of records, got a "
                       "mapping: set target.resource.items to the path of "
                       "the list");
    /* a count of another type is no count */
    assert_items_error("{\"count\":false}", 15, "data",
                       "GET " URL ": the response has nothing at items path "
                       "'data' (got a mapping): check target.resource.items");
}

static void test_items_wrong_shape(void **state)
{
    (void)state;
    assert_items_error("{\"results\":[]}", 14, NULL,
                       "GET " URL ": expected a list of records, got a "
                       "mapping: set target.resource.items to the path of "
                       "the list");
    assert_items_error("{\"items\":5}", 11, NULL,
                       "GET " URL ": expected a list of records, got an "
                       "integer");
    assert_items_error("{\"items\":{\"a\":1}}", 17, NULL,
                       "GET " URL ": expected a list of records, got a "
                       "mapping: set target.resource.items to the path of "
                       "the list");
    assert_items_error("\"ok\"", 4, NULL,
                       "GET " URL ": expected a list of records, got a "
                       "string");
    assert_items_error("null", 4, NULL,
                       "GET " URL ": expected a list of records, got null");
    assert_items_error("{\"data\":{\"records\":{}}}", 23, "data.records",
                       "GET " URL ": expected a list of records at "
                       "data.records, got a mapping");
    assert_items_error("{\"data\":\"x\"}", 12, "data",
                       "GET " URL ": expected a list of records at data, "
                       "got a string");
}

/* ---- tu_link_next ------------------------------------------------------- */

static void test_link_github(void **state)
{
    (void)state;
    assert_next("<https://api.github.com/repositories/1300192/issues?page=2>; "
                "rel=\"prev\", "
                "<https://api.github.com/repositories/1300192/issues?page=4>; "
                "rel=\"next\", "
                "<https://api.github.com/repositories/1300192/issues"
                "?page=515>; "
                "rel=\"last\", "
                "<https://api.github.com/repositories/1300192/issues?page=1>; "
                "rel=\"first\"",
                "https://api.github.com/repositories/1300192/issues?page=4");
    assert_next("<https://api.github.com/user/repos?page=3&per_page=100>; "
                "rel=\"next\", "
                "<https://api.github.com/user/repos?page=50&per_page=100>; "
                "rel=\"last\"",
                "https://api.github.com/user/repos?page=3&per_page=100");
}

static void test_link_variants(void **state)
{
    (void)state;
    /* unquoted rel */
    assert_next("<https://a.test/x?p=2>; rel=next", "https://a.test/x?p=2");
    assert_next("<https://a.test/x?p=1>; rel=prev,<https://a.test/x?p=3>;"
                "rel=next", "https://a.test/x?p=3");
    /* several relation types */
    assert_next("<https://a.test/last>; rel=\"next last\"",
                "https://a.test/last");
    assert_next("<https://a.test/n>; rel=\"last  next\"", "https://a.test/n");
    /* case-insensitive */
    assert_next("<https://a.test/n>; REL=\"Next\"", "https://a.test/n");
    /* spaces and tabs around everything */
    assert_next("   <https://a.test/n>  ;\trel = \"next\"  ",
                "https://a.test/n");
    assert_next("<https://a.test/p> ; rel=\"prev\" ,  <https://a.test/n> ; "
                "rel=\"next\"", "https://a.test/n");
    /* relative targets come back as written */
    assert_next("</records?page=2&per_page=50>; rel=\"next\"",
                "/records?page=2&per_page=50");
    assert_next("<?cursor=abc%3D%3D>; rel=next", "?cursor=abc%3D%3D");
    /* other parameters, before and after, quoted commas and semicolons */
    assert_next("<https://a.test/p>; title=\"a, b; c\"; rel=\"prev\", "
                "<https://a.test/n>; title=\"x, rel=next\"; "
                "type=\"application/json\"; rel=\"next\"",
                "https://a.test/n");
    /* the target itself may hold ',' and ';' */
    assert_next("<https://a.test/x?ids=1,2;v=3>; rel=\"next\"",
                "https://a.test/x?ids=1,2;v=3");
    /* a parameter without a value is skipped */
    assert_next("<https://a.test/n>; crossorigin; rel=next",
                "https://a.test/n");
    /* the first next wins */
    assert_next("<https://a.test/1>; rel=next, <https://a.test/2>; rel=next",
                "https://a.test/1");
}

static void test_link_no_next(void **state)
{
    (void)state;
    assert_next(NULL, NULL);
    assert_next("", NULL);
    assert_next("   ", NULL);
    assert_next("<https://a.test/p>; rel=\"prev\", <https://a.test/f>; "
                "rel=\"first\"", NULL);
    assert_next("<https://a.test/n>; rel=\"nextpage\"", NULL);
    assert_next("<https://a.test/n>; rel=\"next-page\"", NULL);
    assert_next("<https://a.test/n>; title=\"next\"", NULL);
    assert_next("<https://a.test/n>; relx=next", NULL);
    assert_next("<https://a.test/n>", NULL);
    /* malformed: not starting with '<', or no '>' */
    assert_next("https://a.test/n; rel=next", NULL);
    assert_next("<https://a.test/n; rel=next", NULL);
}

/* ---- tu_parse_count ----------------------------------------------------- */

static void test_parse_count(void **state)
{
    (void)state;
    assert_true(tu_parse_count("42") == 42);
    assert_true(tu_parse_count("0") == 0);
    assert_true(tu_parse_count(" 1234 ") == 1234);
    assert_true(tu_parse_count("\t7\r\n") == 7);
    assert_true(tu_parse_count("007") == 7);
    assert_true(tu_parse_count("9223372036854775807") == INT64_MAX);
    assert_true(tu_parse_count("9223372036854775808") == -1);
    assert_true(tu_parse_count("99999999999999999999999") == -1);
    assert_true(tu_parse_count(NULL) == -1);
    assert_true(tu_parse_count("") == -1);
    assert_true(tu_parse_count("  ") == -1);
    assert_true(tu_parse_count("-1") == -1);
    assert_true(tu_parse_count("+5") == -1);
    assert_true(tu_parse_count("12abc") == -1);
    assert_true(tu_parse_count("1 2") == -1);
    assert_true(tu_parse_count("1.5") == -1);
    assert_true(tu_parse_count("0x10") == -1);
    assert_true(tu_parse_count("abc") == -1);
}

/* ---- tu_excerpt --------------------------------------------------------- */

static void test_excerpt(void **state)
{
    (void)state;
    assert_excerpt("hello", 5, 10, "hello");
    assert_excerpt("hello", 5, 5, "hello");       /* exactly max: no cut */
    assert_excerpt("hello world", 11, 5, "hello...");
    assert_excerpt("hello", 3, 10, "hel");        /* len is respected */
    assert_excerpt("", 0, 10, "");
    assert_excerpt("abc", 3, 0, "...");
    assert_excerpt("a\nb\tc\rd\x1b[31me\x7f", 14, 80, "a b c d [31me ");
    assert_excerpt("a\0b", 3, 80, "a b");         /* NUL is a control char */
    /* bytes >= 0x80 are kept; a cut never splits a UTF-8 sequence */
    assert_excerpt("caf\xc3\xa9", 5, 80, "caf\xc3\xa9");
    assert_excerpt("caf\xc3\xa9!", 6, 4, "caf...");
    assert_excerpt("caf\xc3\xa9!", 6, 5, "caf\xc3\xa9...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_bare_array),
        cmocka_unit_test(test_items_object),
        cmocka_unit_test(test_items_path),
        cmocka_unit_test(test_each),
        cmocka_unit_test(test_items_len_respected),
        cmocka_unit_test(test_items_missing_path),
        cmocka_unit_test(test_messages_name_the_method),
        cmocka_unit_test(test_items_empty_answer),
        cmocka_unit_test(test_items_absent_count),
        cmocka_unit_test(test_items_not_json),
        cmocka_unit_test(test_items_wrong_shape),
        cmocka_unit_test(test_link_github),
        cmocka_unit_test(test_link_variants),
        cmocka_unit_test(test_link_no_next),
        cmocka_unit_test(test_parse_count),
        cmocka_unit_test(test_excerpt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
