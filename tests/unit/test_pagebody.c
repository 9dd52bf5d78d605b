/* test_pagebody.c -- state/listpage.h's tu_page_parse: what a page's body
 * says about the rest of the list, for the bodies real APIs send (DRF's
 * limit/offset, page number and cursor pagination, Stripe's has_more and
 * cursor, Cloudflare's result_info, RabbitMQ's page_count, HAL and JSON:API
 * links, bare arrays): set paths believed both ways and type-checked with
 * exact messages, usual field names read as evidence only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "state/listpage.h"

#define URL "https://api.test/r/"

static const char DRF_FIRST[] =
    "{\"count\": 2369, \"next\": \"https://api.test/r/?limit=2&offset=2\","
    " \"previous\": null, \"results\": [{\"id\": 1}, {\"id\": 2}]}";
static const char DRF_LAST[] =
    "{\"count\": 3, \"next\": null, \"previous\": \"https://api.test/r/\","
    " \"results\": [{\"id\": 3}]}";
static const char STRIPE[] =
    "{\"data\": [{\"id\": \"a\"}], \"has_more\": true, \"next_cursor\": "
    "\"cD0y\"}";
static const char STRIPE_LAST[] =
    "{\"data\": [{\"id\": \"z\"}], \"has_more\": false, \"next_cursor\": null}";
static const char CLOUDFLARE[] =
    "{\"success\": true, \"result\": [{\"id\": \"x\"}], \"result_info\": "
    "{\"page\": 1, \"per_page\": 1, \"count\": 1, \"total_count\": 7, "
    "\"total_pages\": 7}}";

/* ---- helpers ------------------------------------------------------------ */

static tu_page_paths items_at(const char *items)
{
    tu_page_paths p;
    memset(&p, 0, sizeof p);
    p.items = items;
    return p;
}

static void parse_ok(const char *body, const tu_page_paths *paths,
                     tu_page *page)
{
    tu_error err = {0};
    if (tu_page_parse(body, strlen(body), paths, "GET", URL, page, &err) != 0)
        fail_msg("<<%s>>: %s", body, err.message);
    assert_true(json_is_array(page->items));
}

static void parse_fails(const char *body, const tu_page_paths *paths,
                        const char *expected)
{
    tu_error err = {0};
    tu_page page;
    assert_int_equal(tu_page_parse(body, strlen(body), paths, "GET", URL, &page,
                                   &err), -1);
    assert_string_equal(err.message, expected);
    assert_null(page.items);
    assert_null(page.next);
    assert_null(page.cursor);
}

/* ---- DRF --------------------------------------------------------------- */

static void test_drf_limit_offset(void **state)
{
    tu_page_paths paths = items_at("results");
    tu_page page;
    (void)state;
    parse_ok(DRF_FIRST, &paths, &page);
    assert_int_equal(json_array_size(page.items), 2);
    assert_int_equal(page.more, TU_MORE_YES);
    assert_string_equal(page.next, "https://api.test/r/?limit=2&offset=2");
    assert_string_equal(page.why,
                        "next is \"https://api.test/r/?limit=2&offset=2\"");
    assert_string_equal(page.hint, "next");
    assert_null(page.cursor);
    /* the usual count is evidence, not a count the target declared */
    assert_int_equal(page.count, -1);
    assert_int_equal(page.count_seen, 2369);
    assert_string_equal(page.count_name, "count");
    assert_int_equal(page.total_pages, -1);
    assert_int_equal(page.pages_seen, -1);
    tu_page_free(&page);

    paths.count = "count";
    parse_ok(DRF_LAST, &paths, &page);
    assert_int_equal(page.more, TU_MORE_NO);
    assert_null(page.next);
    assert_int_equal(page.count, 3);
    assert_int_equal(page.count_seen, 3);
    assert_string_equal(page.count_name, "count");
    tu_page_free(&page);
}

/* A set next path is believed both ways: null and absent end the list. */
static void test_next_path(void **state)
{
    tu_page_paths paths = items_at("results");
    tu_page page;
    (void)state;
    paths.next = "links.next";
    parse_ok("{\"results\": [], \"links\": {\"next\": \"/r/?page=3\"}, "
             "\"next\": null}", &paths, &page);
    assert_int_equal(page.more, TU_MORE_YES);
    assert_string_equal(page.next, "/r/?page=3");
    assert_string_equal(page.why, "links.next is \"/r/?page=3\"");
    tu_page_free(&page);
    parse_ok("{\"results\": [], \"next\": \"/r/?page=9\"}", &paths, &page);
    assert_int_equal(page.more, TU_MORE_NO); /* its own path, not "next" */
    assert_null(page.next);
    tu_page_free(&page);
    parse_ok("{\"results\": [], \"links\": {\"next\": \"\"}}", &paths, &page);
    assert_int_equal(page.more, TU_MORE_NO);
    tu_page_free(&page);
    parse_fails("{\"results\": [], \"links\": {\"next\": 3}}", &paths,
                "GET " URL ": next_path at 'links.next' is an integer, not "
                "a URL: check target.resource.next_path");
}

/* ---- cursors ----------------------------------------------------------- */

static void test_stripe_cursor(void **state)
{
    tu_page_paths paths = items_at("data");
    tu_page page;
    (void)state;
    paths.cursor = "next_cursor";
    paths.has_more = "has_more";
    parse_ok(STRIPE, &paths, &page);
    assert_int_equal(page.more, TU_MORE_YES);
    assert_string_equal(page.cursor, "cD0y");
    assert_string_equal(page.why, "next_cursor is \"cD0y\"");
    assert_string_equal(page.hint, "cursor");
    assert_null(page.next);
    tu_page_free(&page);
    parse_ok(STRIPE_LAST, &paths, &page);
    assert_int_equal(page.more, TU_MORE_NO);
    assert_null(page.cursor);
    tu_page_free(&page);
    /* has_more false wins over a cursor; an empty cursor ends the list
     * even when has_more is true */
    parse_ok("{\"data\": [], \"has_more\": false, \"next_cursor\": \"x\"}",
             &paths, &page);
    assert_int_equal(page.more, TU_MORE_NO);
    tu_page_free(&page);
    parse_ok("{\"data\": [], \"has_more\": true, \"next_cursor\": \"\"}",
             &paths, &page);
    assert_int_equal(page.more, TU_MORE_NO);
    tu_page_free(&page);
    /* a number is a cursor too (some APIs send the next id) */
    parse_ok("{\"data\": [], \"next_cursor\": 42}", &paths, &page);
    assert_string_equal(page.cursor, "42");
    tu_page_free(&page);
}

static void test_cursor_errors(void **state)
{
    tu_page_paths paths = items_at("data");
    (void)state;
    paths.cursor = "meta.next";
    parse_fails("{\"data\": [], \"meta\": {\"next\": [1]}}", &paths,
                "GET " URL ": cursor_path at 'meta.next' is a list, not a "
                "string: check target.resource.cursor_path");
    paths.has_more = "more";
    parse_fails("{\"data\": [], \"more\": \"yes\"}", &paths,
                "GET " URL ": has_more_path at 'more' is a string, not true or "
                "false: check target.resource.has_more_path");
}

/* A has_more flag alone (no next URL or cursor path set). */
static void test_has_more_alone(void **state)
{
    tu_page_paths paths = items_at("data");
    tu_page page;
    (void)state;
    paths.has_more = "meta.more";
    parse_ok("{\"data\": [], \"meta\": {\"more\": true}}", &paths, &page);
    assert_int_equal(page.more, TU_MORE_YES);
    assert_string_equal(page.why, "meta.more is true");
    tu_page_free(&page);
    parse_ok("{\"data\": []}", &paths, &page);
    assert_int_equal(page.more, TU_MORE_UNKNOWN);
    tu_page_free(&page);
}

/* ---- totals ------------------------------------------------------------ */

static void test_cloudflare_total_pages(void **state)
{
    tu_page_paths paths = items_at("result");
    tu_page page;
    (void)state;
    parse_ok(CLOUDFLARE, &paths, &page);
    assert_int_equal(page.total_pages, -1);
    assert_int_equal(page.pages_seen, 7);
    assert_string_equal(page.pages_name, "result_info.total_pages");
    assert_string_equal(page.hint, "page");
    assert_int_equal(page.count_seen, -1); /* result_info.count is a page's */
    assert_int_equal(page.more, TU_MORE_UNKNOWN);
    tu_page_free(&page);
    paths.total_pages = "result_info.total_pages";
    paths.count = "result_info.total_count";
    parse_ok(CLOUDFLARE, &paths, &page);
    assert_int_equal(page.total_pages, 7);
    assert_int_equal(page.count, 7);
    tu_page_free(&page);
}

static void test_counts(void **state)
{
    tu_page_paths paths = items_at(NULL);
    tu_page page;
    (void)state;
    /* RabbitMQ's paged lists */
    parse_ok("{\"items\": [], \"page_count\": 3, \"total_count\": 250, "
             "\"filtered_count\": 250, \"item_count\": 100, \"page\": 1}",
             &paths, &page);
    assert_int_equal(page.pages_seen, 3);
    assert_string_equal(page.pages_name, "page_count");
    assert_int_equal(page.count_seen, 250);
    assert_string_equal(page.count_name, "total_count");
    tu_page_free(&page);
    /* a count written as a string; usual fields of other types or below 0
     * are no evidence */
    paths.count = "meta.total";
    parse_ok("{\"items\": [], \"meta\": {\"total\": \"3000\"}}", &paths,
             &page);
    assert_int_equal(page.count, 3000);
    tu_page_free(&page);
    paths.count = NULL;
    parse_ok("{\"items\": [], \"count\": -4, \"total\": \"many\", "
             "\"totalCount\": 12}", &paths, &page);
    assert_int_equal(page.count_seen, 12);
    assert_string_equal(page.count_name, "totalCount");
    tu_page_free(&page);
    paths.count = "count";
    parse_fails("{\"items\": [], \"count\": \"lots\"}", &paths,
                "GET " URL ": count_path at 'count' is a string, not a "
                "count of at least 0: check target.resource.count_path");
    paths.count = NULL;
    paths.total_pages = "pages";
    parse_fails("{\"items\": [], \"pages\": -1}", &paths,
                "GET " URL ": total_pages_path at 'pages' is an integer, not "
                "a count of at least 0: check "
                "target.resource.total_pages_path");
}

/* ---- usual names and shapes -------------------------------------------- */

static void test_usual_links(void **state)
{
    tu_page_paths paths = items_at("data");
    tu_page page;
    (void)state;
    /* HAL */
    parse_ok("{\"data\": [], \"_links\": {\"next\": {\"href\": \"/p2\"}}}",
             &paths, &page);
    assert_string_equal(page.next, "/p2");
    assert_string_equal(page.why, "_links.next.href is \"/p2\"");
    tu_page_free(&page);
    /* JSON:API */
    parse_ok("{\"data\": [], \"links\": {\"next\": \"/p3\"}}", &paths,
             &page);
    assert_string_equal(page.next, "/p3");
    tu_page_free(&page);
    /* Graph-style paging, and Stripe's has_more without a cursor path */
    parse_ok("{\"data\": [], \"paging\": {\"next\": \"/p4\"}}", &paths,
             &page);
    assert_string_equal(page.next, "/p4");
    tu_page_free(&page);
    parse_ok("{\"data\": [], \"hasMore\": true}", &paths, &page);
    assert_int_equal(page.more, TU_MORE_YES);
    assert_string_equal(page.why, "hasMore is true");
    assert_string_equal(page.hint, "cursor");
    tu_page_free(&page);
    /* a next of another type is no evidence */
    parse_ok("{\"data\": [], \"next\": 2}", &paths, &page);
    assert_int_equal(page.more, TU_MORE_UNKNOWN);
    assert_null(page.next);
    tu_page_free(&page);
}

static void test_bare_array(void **state)
{
    tu_page_paths paths = items_at(NULL);
    tu_page page;
    (void)state;
    parse_ok("[{\"next\": \"x\", \"count\": 9}]", &paths, &page);
    assert_int_equal(page.more, TU_MORE_UNKNOWN);
    assert_null(page.next);
    assert_int_equal(page.count_seen, -1);
    assert_int_equal(page.pages_seen, -1);
    assert_null(page.hint);
    assert_string_equal(page.why, "");
    tu_page_free(&page);
}

static void test_long_next_excerpt(void **state)
{
    tu_page_paths paths = items_at("results");
    char body[600], want[200];
    tu_page page;
    (void)state;
    snprintf(body, sizeof body, "{\"results\": [], \"next\": \"/r/?c=%0300d\"}",
             7);
    parse_ok(body, &paths, &page);
    assert_int_equal(strlen(page.next), 306);
    snprintf(want, sizeof want, "next is \"/r/?c=%094d...\"", 0);
    assert_string_equal(page.why, want);
    tu_page_free(&page);
}

static void test_bad_bodies(void **state)
{
    tu_page_paths paths = items_at("results");
    (void)state;
    parse_fails("<html>", &paths,
                "GET " URL ": the response is not valid JSON (invalid token "
                "near '<' at line 1, column 1); it begins: <html>");
    parse_fails("{\"next\": null}", &paths,
                "GET " URL ": the response has nothing at items path "
                "'results' (got a mapping): check target.resource.items");
}

/* A 204 (no body), or white space: an empty page that says nothing more,
 * with either parse. */
static int count_calls(json_t *item, size_t index, void *data)
{
    (void)item;
    (void)index;
    ++*(int *)data;
    return 0;
}

static void test_empty_answer(void **state)
{
    tu_page_paths paths = items_at("results");
    tu_error err = {0};
    tu_page page;
    int calls = 0;
    (void)state;
    parse_ok("", &paths, &page);
    assert_int_equal(page.nitems, 0);
    assert_int_equal(page.more, TU_MORE_UNKNOWN);
    assert_int_equal(page.count_seen, -1);
    tu_page_free(&page);
    paths = items_at(NULL);
    assert_int_equal(tu_page_parse_each(" \n", 2, &paths, "GET", URL,
                                        count_calls, &calls, &page, &err),
                     0);
    assert_int_equal(page.nitems, 0);
    assert_int_equal(calls, 0);
    tu_page_free(&page);
}

/* An object without the items path: an empty page when the count (the set
 * count_path, else a usual field, total_size too) says 0. */
static void test_absent_items_count(void **state)
{
    tu_page_paths paths = items_at("results");
    tu_page page;
    (void)state;
    parse_ok("{\"total_size\": 0}", &paths, &page);
    assert_int_equal(page.nitems, 0);
    assert_int_equal(page.count_seen, 0);
    assert_string_equal(page.count_name, "total_size");
    tu_page_free(&page);
    paths.count = "meta.n";
    parse_ok("{\"meta\": {\"n\": \"0\"}, \"count\": 5}", &paths, &page);
    assert_int_equal(page.nitems, 0);
    assert_int_equal(page.count, 0);
    tu_page_free(&page);
    parse_fails("{\"meta\": {\"n\": 2}}", &paths,
                "GET " URL ": the response has nothing at items path "
                "'results', but counts 2 records: check "
                "target.resource.items");
    /* the set count_path is believed over a usual field */
    parse_fails("{\"count\": 0}", &paths,
                "GET " URL ": the response has nothing at items path "
                "'results' (got a mapping): check target.resource.items");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drf_limit_offset),
        cmocka_unit_test(test_next_path),
        cmocka_unit_test(test_stripe_cursor),
        cmocka_unit_test(test_cursor_errors),
        cmocka_unit_test(test_has_more_alone),
        cmocka_unit_test(test_cloudflare_total_pages),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_usual_links),
        cmocka_unit_test(test_bare_array),
        cmocka_unit_test(test_long_next_excerpt),
        cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_empty_answer),
        cmocka_unit_test(test_absent_items_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
