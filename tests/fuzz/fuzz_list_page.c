/* fuzz_list_page.c -- parsing what a list endpoint answered (state/listpage.c).
 *
 * The input is used four ways:
 * - as a response body: tu_list_page_items with no items path, an empty
 *   one, fixed ones ("data", "result.items"), and, when the input starts
 *   with a line of at most 64 bytes, that line as the items path over the
 *   rest (so the fuzzer can pair paths with bodies); a result is an array,
 *   a failure says why;
 * - as a Link header value: tu_link_next, whose answer must be a part of
 *   the header;
 * - as an X-Total-Count value: tu_parse_count, -1 or a count;
 * - as text for an error message: tu_excerpt, at most max bytes plus
 *   "...", with no control characters.
 */
#include "fuzz_target.h"
#include "state/listpage.h"

#include <string.h>

static const char URL[] = "http://127.0.0.1:3000/records?page=2";

static void check_items(const char *body, size_t len, const char *path)
{
    tu_error err;
    json_t *items;

    err.message[0] = '\0';
    items = tu_list_page_items(body, len, path, URL, &err);
    if (items) {
        FUZZ_CHECK(json_is_array(items));
        json_decref(items);
    } else {
        FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
        FUZZ_CHECK(strncmp(err.message, "GET ", 4) == 0);
    }
}

static void check_excerpt(const char *text, size_t len, size_t max)
{
    char *ex = tu_excerpt(text, len, max);
    size_t n;

    FUZZ_CHECK(ex != NULL);
    n = strlen(ex);
    FUZZ_CHECK(n <= max + 3);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)ex[i] >= 0x20 && ex[i] != 0x7f);
    free(ex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    const char *nl;
    char *text, *next;
    long long count;

    check_items(body, size, NULL);
    check_items(body, size, "");
    check_items(body, size, "data");
    check_items(body, size, "result.items");

    nl = memchr(body, '\n', size < 65 ? size : 65);
    if (nl && !memchr(body, '\0', (size_t)(nl - body))) {
        size_t plen = (size_t)(nl - body);
        char *path = malloc(plen + 1);
        FUZZ_CHECK(path != NULL);
        memcpy(path, body, plen);
        path[plen] = '\0';
        check_items(nl + 1, size - plen - 1, path);
        free(path);
    }

    /* header values are C strings: up to the first NUL */
    text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, body, size);
    text[size] = '\0';
    next = tu_link_next(text);
    if (next) {
        FUZZ_CHECK(strstr(text, next) != NULL);
        free(next);
    }
    count = tu_parse_count(text);
    FUZZ_CHECK(count >= -1);
    free(text);

    check_excerpt(body, size, 0);
    check_excerpt(body, size, 1);
    check_excerpt(body, size, 80);
    check_excerpt(body, size, size);
    return 0;
}
