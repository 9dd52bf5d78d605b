/* fuzz_page_body.c -- what a page's body says about the rest of a list
 * (state/listpage.c: tu_page_parse, and tu_page_parse_each, which reads a
 * JSON array item by item).
 *
 * The input is a response body, parsed with the paths of each kind of
 * target (none set; DRF's; a Stripe-style cursor; Cloudflare's totals) and,
 * when it starts with a line of at most 200 bytes, with that line's
 * space-separated words as the paths (items next cursor has_more count
 * total_pages; "-" for a path not set) over the rest. Properties:
 * - a failure leaves nothing allocated and says "GET URL: ..." (or is out
 *   of memory);
 * - a success holds an array of records; `more` is one of the three
 *   values, and a "yes" says why; a next URL or cursor is never empty, and
 *   a cursor comes with "yes" unless a has_more flag said "no"; counts are
 *   -1 or more, a count from a set path is the count seen, and a count seen
 *   names where it was.
 * - tu_page_parse_each agrees: when tu_page_parse succeeds, so does it,
 *   handing over as many records as the array holds, in order, and
 *   counting them in nitems (it may accept a little more: an item nested
 *   as deep as jansson allows, which the whole array would exceed); a
 *   failure says "GET URL: ...".
 */
#include "fuzz_target.h"
#include "state/listpage.h"

#include <string.h>

static const char URL[] = "http://127.0.0.1:8000/api/ipam/ip-addresses/";

typedef struct seen {
    size_t n;
    int in_order;
} seen;

static int count_item(json_t *item, size_t index, void *data)
{
    seen *s = data;
    s->in_order &= index == s->n && item != NULL;
    s->n++;
    return 0;
}

/* tu_page_parse_each against tu_page_parse's result (ok: it succeeded,
 * with n records). */
static void check_each(const char *body, size_t len,
                       const tu_page_paths *paths, int ok, size_t n)
{
    tu_error err;
    tu_page page;
    seen s = {0, 1};
    int rc;

    memset(&err, 0, sizeof err);
    rc = tu_page_parse_each(body, len, paths, "GET", URL, count_item, &s,
                            &page, &err);
    FUZZ_CHECK(rc == 0 || !ok);
    if (rc != 0) {
        FUZZ_CHECK(strncmp(err.message, "GET ", 4) == 0 ||
                   strcmp(err.message, "out of memory") == 0);
        return;
    }
    FUZZ_CHECK(s.in_order && page.nitems == s.n && !page.items);
    FUZZ_CHECK(!ok || s.n == n);
    tu_page_free(&page);
}

static void check(const char *body, size_t len, const tu_page_paths *paths)
{
    tu_error err;
    tu_page page;

    memset(&err, 0, sizeof err);
    if (tu_page_parse(body, len, paths, "GET", URL, &page, &err) != 0) {
        FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
        FUZZ_CHECK(strncmp(err.message, "GET ", 4) == 0 ||
                   strcmp(err.message, "out of memory") == 0);
        FUZZ_CHECK(!page.items && !page.next && !page.cursor);
        check_each(body, len, paths, 0, 0);
        return;
    }
    FUZZ_CHECK(json_is_array(page.items));
    FUZZ_CHECK(page.nitems == json_array_size(page.items));
    check_each(body, len, paths, 1, page.nitems);
    FUZZ_CHECK(page.more >= TU_MORE_UNKNOWN && page.more <= TU_MORE_YES);
    FUZZ_CHECK(page.more != TU_MORE_YES || page.why[0] != '\0');
    FUZZ_CHECK(memchr(page.why, '\0', sizeof page.why) != NULL);
    FUZZ_CHECK(!page.next || page.next[0] != '\0');
    FUZZ_CHECK(!page.cursor || page.cursor[0] != '\0');
    FUZZ_CHECK(page.more == TU_MORE_YES || !page.cursor || paths->has_more);
    FUZZ_CHECK(page.count >= -1 && page.count_seen >= -1);
    FUZZ_CHECK(page.total_pages >= -1 && page.pages_seen >= -1);
    FUZZ_CHECK(!paths->count || page.count == page.count_seen);
    FUZZ_CHECK(page.count_seen < 0 || page.count_name != NULL);
    FUZZ_CHECK(page.pages_seen < 0 || page.pages_name != NULL);
    tu_page_free(&page);
}

/* The words of the first line as paths; "-" leaves a path unset. */
static void check_with_line(const char *data, size_t size)
{
    const char *nl = memchr(data, '\n', size < 201 ? size : 201);
    char line[202], *words[6] = {0}, *save = NULL, *w;
    tu_page_paths paths;
    size_t n = 0;

    if (!nl || memchr(data, '\0', (size_t)(nl - data)))
        return;
    memcpy(line, data, (size_t)(nl - data));
    line[nl - data] = '\0';
    for (w = strtok_r(line, " ", &save); w && n < 6;
         w = strtok_r(NULL, " ", &save))
        words[n++] = strcmp(w, "-") == 0 ? NULL : w;
    paths.items = words[0];
    paths.next = words[1];
    paths.cursor = words[2];
    paths.has_more = words[3];
    paths.count = words[4];
    paths.total_pages = words[5];
    check(nl + 1, size - (size_t)(nl - data) - 1, &paths);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    static const tu_page_paths kinds[] = {
        {NULL, NULL, NULL, NULL, NULL, NULL},
        {"results", "next", NULL, NULL, "count", NULL},
        {"data", NULL, "next_cursor", "has_more", NULL, NULL},
        {"result", NULL, NULL, NULL, "result_info.total_count",
         "result_info.total_pages"},
    };

    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        check(body, size, &kinds[i]);
    check_with_line(body, size);
    return 0;
}
