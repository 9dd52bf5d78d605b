/* test_page_give_back.c -- a large array body given back to the system as
 * its records are read (state/listpage.h: TU_PAGE_GIVE_BACK).
 *
 * Each case builds a list body of about 11 MB (past the 2 MiB kept and
 * the 8 MiB step), reads it once as it is and once given back, and holds
 * the second to the first: the same records, the same page, and, for a
 * body that is not JSON after the part given back, the same message: the
 * line and column jansson gives for the whole body, counted in
 * characters (the records hold non-ASCII text). A byte of the part read
 * is zero afterwards: it did go back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/listpage.h"
#include "util/arena.h"
#include "util/buffer.h"

#define URL "https://api.test/r/"
#define BODY_BYTES ((size_t)11 << 20)

/* A body of records, one a line or all on one (`sep` between them), up to
 * BODY_BYTES, then `tail` (what ends the array, or breaks it). */
static void make_body(tu_buffer *b, const char *sep, const char *tail)
{
    char item[1200], note[1001];
    long i = 0;

    memset(note, 'n', sizeof note - 1);    /* long records: fewer to parse */
    note[sizeof note - 1] = '\0';
    tu_buffer_clear(b, 0);
    assert_int_equal(tu_buffer_puts(b, "["), 0);
    while (b->len < BODY_BYTES) {
        int n = snprintf(item, sizeof item, "%s{\"id\": %ld, \"name\": "
                         "\"h\xc3\xb4te-%ld.example.org.\", \"note\": \"%s\"}",
                         i ? sep : "", i, i, note);
        assert_int_equal(tu_buffer_add(b, item, (size_t)n), 0);
        i++;
    }
    assert_int_equal(tu_buffer_puts(b, tail), 0);
}

static int count_item(json_t *item, size_t index, void *data)
{
    (void)item;
    (void)index;
    (*(size_t *)data)++;
    return 0;
}

/* The body read into memory of its own (2 MiB aligned, as a large
 * response's), given back or not: rc, items, page and message. */
typedef struct outcome {
    int rc;
    size_t items;
    tu_page page;
    tu_error err;
    char zero;       /* a byte 4 MiB in, after the read */
} outcome;

static void read_body(const tu_buffer *b, unsigned flags, outcome *r)
{
    tu_page_paths paths;
    size_t cap;
    char *copy = tu_alloc_huge(b->len + 1, &cap);

    assert_non_null(copy);
    memcpy(copy, b->data, b->len + 1);
    memset(&paths, 0, sizeof paths);
    memset(r, 0, sizeof *r);
    r->rc = tu_page_parse_each_raw(copy, b->len, &paths, "GET", URL, NULL,
                                   count_item, &r->items, flags, &r->page,
                                   &r->err);
    r->zero = copy[(size_t)4 << 20];
    free(copy);
}

/* The body read both ways, the same; `given`: its start went back. */
static void same_both_ways(const tu_buffer *b, int ok)
{
    outcome kept, given;

    read_body(b, 0, &kept);
    read_body(b, TU_PAGE_GIVE_BACK, &given);
    assert_int_equal(kept.rc, ok ? 0 : -1);
    assert_int_equal(given.rc, kept.rc);
    assert_int_equal(given.items, kept.items);
    assert_true(kept.zero != 0);
    assert_int_equal(given.zero, 0);
    if (ok) {
        assert_int_equal(given.page.nitems, kept.page.nitems);
        assert_true(given.page.items_hash == kept.page.items_hash);
    } else {
        assert_string_equal(given.err.message, kept.err.message);
    }
    tu_page_free(&kept.page);
    tu_page_free(&given.page);
}

static void whole_list(void **state)
{
    tu_buffer b = TU_BUFFER_INIT;

    (void)state;
    make_body(&b, ",\n", "]\n");
    same_both_ways(&b, 1);
    make_body(&b, ", ", "]");
    same_both_ways(&b, 1);
    tu_buffer_free(&b);
}

/* Not JSON after the part given back: a bad record, a missing comma,
 * something after the array, a trailing comma, a line break in a string;
 * on many lines, and on one. */
static void not_json_further_on(void **state)
{
    static const char *const cases[][2] = {
        {",\n", ",\n  {\"id\": tru}]"},
        {", ", ", {\"id\": 1} {\"id\": 2}]"},
        {",\n", "]\n\n   x"},
        {", ", "] \xc3\xa9"},
        {", ", ",\n]"},
        {",\n", ", {\"name\": \"a\nb\"}]"},
    };
    tu_buffer b = TU_BUFFER_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        make_body(&b, cases[i][0], cases[i][1]);
        same_both_ways(&b, 0);
    }
    tu_buffer_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_list),
        cmocka_unit_test(not_json_further_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
