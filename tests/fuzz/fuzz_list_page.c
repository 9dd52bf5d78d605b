/* fuzz_list_page.c -- parsing what a list endpoint answered (state/listpage.c).
 *
 * The input is used four ways:
 * - as a response body: tu_list_page_items with no items path, an empty
 *   one, fixed ones ("data", "result.items", "rrsets"), and, when the
 *   input starts with a line of at most 64 bytes, that line as the items
 *   path over the rest (so the fuzzer can pair paths with bodies); a
 *   result is an array, a failure says why; tu_list_page_each with the
 *   same path hands over the same records in order, or fails with the
 *   same message, and so does tu_list_page_each_raw with a reader that
 *   takes the records tu_pack_json_object reads (their packed form turned
 *   back into jansson's) and leaves the others to jansson;
 * - as any answer (state/answer.h): tu_answer_check with Porkbun's success
 *   rule, which passes or says "the server answered ..."; tu_answer_new_id
 *   at no path, "id" and "0.ret_oid", with the input as the Location too,
 *   an id being NULL or non-empty text; with the first line as the path,
 *   as above;
 * - as a Link header value: tu_link_next, whose answer must be a part of
 *   the header;
 * - as an X-Total-Count value: tu_parse_count, -1 or a count;
 * - as text for an error message: tu_excerpt, at most max bytes plus
 *   "...", with no control characters.
 */
#include "fuzz_target.h"
#include "state/answer.h"
#include "state/listpage.h"
#include "state/packed_json.h"

#include <string.h>

static const char URL[] = "http://127.0.0.1:3000/records?page=2";

static int collect(json_t *item, size_t index, void *data)
{
    json_t *got = data;

    FUZZ_CHECK(index == json_array_size(got));
    FUZZ_CHECK(json_array_append(got, item) == 0);
    return 0;
}

/* tu_list_page_each hands over what tu_list_page_items finds, in order,
 * or fails with its message. */
static void check_each(const char *body, size_t len, const char *path,
                       const json_t *items, const tu_error *whole)
{
    json_t *got = json_array();
    tu_error err;
    int rc;

    FUZZ_CHECK(got != NULL);
    err.message[0] = '\0';
    rc = tu_list_page_each(body, len, path, "GET", URL, collect, got, &err);
    if (items) {
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(json_equal(got, (json_t *)items));
    } else {
        FUZZ_CHECK(rc == -1);
        FUZZ_CHECK(strcmp(err.message, whole->message) == 0);
    }
    json_decref(got);
}

typedef struct raw_sink {
    json_t *got;
    tu_pack_store store;
} raw_sink;

/* The records tu_pack_json_object reads, handed over as their packed
 * form's jansson object; the others are left to jansson (`each`). */
static int take_packed(const char *text, size_t len, size_t *used,
                       size_t index, void *data)
{
    raw_sink *s = data;
    int oom = 0;
    const tu_packed *p = tu_pack_json_object(&s->store, text, len, used,
                                             &oom);
    json_t *v;

    FUZZ_CHECK(!oom);
    if (!p)
        return 0;
    FUZZ_CHECK(index == json_array_size(s->got));
    v = tu_packed_json(p);
    FUZZ_CHECK(v != NULL && json_array_append_new(s->got, v) == 0);
    return 1;
}

static int collect_into(json_t *item, size_t index, void *data)
{
    return collect(item, index, ((raw_sink *)data)->got);
}

/* tu_list_page_each_raw hands over the same records, some read by the
 * raw reader, in order, or fails with the same message. */
static void check_each_raw(const char *body, size_t len, const char *path,
                           const json_t *items, const tu_error *whole)
{
    raw_sink s;
    tu_error err;
    int rc;

    s.got = json_array();
    FUZZ_CHECK(s.got != NULL);
    tu_pack_store_init(&s.store);
    err.message[0] = '\0';
    rc = tu_list_page_each_raw(body, len, path, "GET", URL, take_packed,
                               collect_into, &s, &err);
    if (items) {
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(json_equal(s.got, (json_t *)items));
    } else {
        FUZZ_CHECK(rc == -1);
        FUZZ_CHECK(strcmp(err.message, whole->message) == 0);
    }
    json_decref(s.got);
    tu_pack_store_free(&s.store);
}

static void check_items(const char *body, size_t len, const char *path)
{
    tu_error err;
    json_t *items;

    err.message[0] = '\0';
    items = tu_list_page_items(body, len, path, "GET", URL, &err);
    if (items) {
        FUZZ_CHECK(json_is_array(items));
    } else {
        FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
        FUZZ_CHECK(strncmp(err.message, "GET ", 4) == 0);
    }
    check_each(body, len, path, items, &err);
    check_each_raw(body, len, path, items, &err);
    json_decref(items);
}

/* What an answer says: the success rule's verdict, the new id. */
static void check_answer(const char *body, size_t len, const char *path,
                         const char *location)
{
    json_t *equals = json_string("SUCCESS");
    tu_success_rule rule = {path, equals, "message"};
    char why[512], *id;

    FUZZ_CHECK(equals != NULL);
    why[0] = '\0';
    if (!tu_answer_check(&rule, 200, body, len, why, sizeof why))
        FUZZ_CHECK(strncmp(why, "the server answered 200 ", 24) == 0);
    else
        FUZZ_CHECK(why[0] == '\0');
    json_decref(equals);
    id = tu_answer_new_id(body, len, path, "id", location);
    FUZZ_CHECK(!id || id[0] != '\0');
    free(id);
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
    check_items(body, size, "rrsets");
    check_answer(body, size, "status", NULL);
    check_answer(body, size, "0.ret_oid", NULL);

    nl = memchr(body, '\n', size < 65 ? size : 65);
    if (nl && !memchr(body, '\0', (size_t)(nl - body))) {
        size_t plen = (size_t)(nl - body);
        char *path = malloc(plen + 1);
        FUZZ_CHECK(path != NULL);
        memcpy(path, body, plen);
        path[plen] = '\0';
        check_items(nl + 1, size - plen - 1, path);
        check_answer(nl + 1, size - plen - 1, path, path);
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
