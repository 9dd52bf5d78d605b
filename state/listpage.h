/* listpage.h -- parsing what a list endpoint answered.
 *
 * state/ does no network I/O: the engine fetches list pages and hands the
 * bodies and headers here. A page is a JSON array of records, or an object
 * holding the array at a dotted path (`items`); the next page is named by
 * an RFC 8288 Link header (rel="next"), counted from X-Total-Count, or told
 * by the body itself (tu_page_parse: a next URL, a cursor, a has-more flag,
 * a total count or number of pages).
 */
#ifndef TU_STATE_LISTPAGE_H
#define TU_STATE_LISTPAGE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "trueup/trueup.h"

/* The records of one page: a new reference to a JSON array, or NULL with
 * err set ("METHOD URL: ...": `method` and `url` name the request in
 * messages; a NULL method is GET). With no items path, the body must be an array,
 * or an object with an array at "items". An empty body (a 204, or white
 * space only) is an empty page, and so is an object without the records
 * whose usual count field says 0 ({"count": 0}, see tu_page_parse); without
 * them and with a count above 0, or none, it is an error. */
json_t *tu_list_page_items(const char *body, size_t len,
                           const char *items_path, const char *method,
                           const char *url, tu_error *err);

/* Where a page's body says what comes next: dotted paths set by the
 * target (NULL: not set). A path that is set is believed both ways (a null
 * next URL ends the list); without it, the usual names are looked at as
 * evidence (see tu_page_parse). */
typedef struct tu_page_paths {
    const char *items;        /* the records (see tu_list_page_items) */
    const char *next;         /* the next page's URL */
    const char *cursor;       /* the next page's cursor */
    const char *has_more;     /* a boolean: false ends the list */
    const char *count;        /* the total number of records */
    const char *total_pages;  /* the number of pages */
} tu_page_paths;

enum { TU_MORE_UNKNOWN = -1, TU_MORE_NO = 0, TU_MORE_YES = 1 };

typedef struct tu_page {
    json_t *items;           /* new reference: the records (tu_page_parse;
                                NULL after tu_page_parse_each) */
    size_t nitems;           /* how many records the page held */
    uint64_t items_hash;     /* a fingerprint of the records' text: two
                                pages with the same records have the same
                                one (tells a page repeated by a server that
                                ignores the page parameter) */
    char *next;              /* malloc'd next URL as written, or NULL */
    char *cursor;            /* malloc'd next cursor, or NULL */
    int more;                /* TU_MORE_*: does the body say there is more */
    long long count;         /* total records by paths->count, or -1 */
    long long count_seen;    /* count, or else a usual count field, or -1 */
    const char *count_name;  /* the path or usual field count_seen is at
                                (borrowed or static) */
    long long total_pages;   /* by paths->total_pages, or -1 */
    long long pages_seen;    /* total_pages, or a usual field, or -1 */
    const char *pages_name;  /* where pages_seen is */
    char why[160];           /* when more is YES: what said so
                                ("next is \"https://...\"") */
    const char *hint;        /* when more is YES or count_seen/pages_seen
                                is known: the paginate kind that reads
                                this API ("next", "cursor", "offset",
                                "page"); else NULL */
} tu_page;

/* Parse one page's body. The records as tu_list_page_items finds them;
 * the rest from `paths`, and, where a path is not set and the body is an
 * object, from the usual fields: next URL "next", "links.next",
 * "paging.next", "_links.next.href"; flag "has_more", "hasMore"; count
 * "count", "total_count", "totalCount", "total", "total_size"; pages
 * "total_pages", "totalPages", "page_count", "result_info.total_pages". A set path whose
 * value has the wrong type is an error; a usual field of the wrong type is
 * not evidence. An object without the records is an empty page when its
 * count (at paths->count, else a usual count field) is 0, as
 * tu_list_page_items. 0, or -1 with err set ("METHOD URL: ..."). Free
 * with tu_page_free. */
int tu_page_parse(const char *body, size_t len, const tu_page_paths *paths,
                  const char *method, const char *url, tu_page *page,
                  tu_error *err);

/* How tu_page_parse_each has jansson parse each item of an array body,
 * one after another in the same text (and how packed_json.c and its fuzz
 * target parse what must read the same). */
#define TU_PAGE_ITEM_FLAGS \
    (JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* Called with each record of a page in order (`item` borrowed for the
 * call); nonzero stops the parse. */
typedef int (*tu_page_item_fn)(json_t *item, size_t index, void *data);

/* The same, handing the records to `each` instead of keeping them
 * (page->items is NULL). A body that is a JSON array (no items path) is
 * parsed one record at a time, each freed before the next is read, so a
 * page of a million records never exists as one jansson tree: that is 3 to
 * 4 times faster and takes a fraction of the memory. Other bodies are
 * parsed whole. 0, or -1 with err set (a parse error, or `each` returned
 * nonzero: then err is untouched and the caller knows why). Records before
 * a parse error may already have been handed over. */
int tu_page_parse_each(const char *body, size_t len,
                       const tu_page_paths *paths, const char *method,
                       const char *url, tu_page_item_fn each, void *data,
                       tu_page *page, tu_error *err);

/* Offered each record of a JSON array body as text (`len` bytes from
 * `text` to the body's end) before jansson parses it: 1 when it took the
 * record, *used set to the bytes it read; 0 to have jansson parse it and
 * hand it to `each`; -1 to stop. */
typedef int (*tu_page_raw_fn)(const char *text, size_t len, size_t *used,
                              size_t index, void *data);

/* tu_page_parse_each_raw's flags. TU_PAGE_GIVE_BACK: the caller reads the
 * body no more once the parse is done, so the memory of a large array
 * body may go back to the system as its records are read (every 8 MiB
 * read past its first 2 MiB; tu_give_back): it then reads as zeros. The
 * records, the page and the messages are the same: a body that is not
 * JSON further on is said to be, at the line and column the whole body's
 * parse would say. */
#define TU_PAGE_GIVE_BACK 1u

/* tu_page_parse_each with `raw` (NULL: none) offered each record first,
 * and `flags` (above). */
int tu_page_parse_each_raw(const char *body, size_t len,
                           const tu_page_paths *paths, const char *method,
                           const char *url, tu_page_raw_fn raw,
                           tu_page_item_fn each, void *data, unsigned flags,
                           tu_page *page, tu_error *err);
/* The records of one page handed to `each` in order (`item` borrowed for
 * the call; nonzero stops), as tu_list_page_items finds them. When the
 * path is one member of the body's object (PowerDNS's "rrsets"), they are
 * parsed one at a time, each freed before the next is read
 * (listpage_each.c); otherwise the body is parsed whole. 0; -1 with err
 * set as tu_list_page_items sets it; -1 with err untouched when `each`
 * stopped. Records before an error may already have been handed over. */
int tu_list_page_each(const char *body, size_t len, const char *items_path,
                      const char *method, const char *url,
                      tu_page_item_fn each, void *data, tu_error *err);

/* tu_list_page_each with `raw` (NULL: none) offered each record's text
 * first when they are read one at a time (tu_page_raw_fn); the records it
 * takes are not handed to `each`. */
int tu_list_page_each_raw(const char *body, size_t len,
                          const char *items_path, const char *method,
                          const char *url, tu_page_raw_fn raw,
                          tu_page_item_fn each, void *data, tu_error *err);

void tu_page_free(tu_page *page);

/* The target of the first link with rel="next" in a Link header value, as
 * written (possibly relative), or NULL. Returns a malloc'd string. */
char *tu_link_next(const char *link_header);

/* A non-negative decimal count (X-Total-Count), or -1 if not one. */
long long tu_parse_count(const char *value);

/* 1 when a body is empty or white space only (a 204's), else 0. */
int tu_body_is_empty(const char *body, size_t len);

/* Copy up to `max` bytes of `text` for an error message, replacing control
 * characters by spaces and marking a cut with "..."; a cut never splits a
 * UTF-8 character. Returns a malloc'd string. */
char *tu_excerpt(const char *text, size_t len, size_t max);

/* ---- the inside of a page's parse, shared by listpage.c and
 * listpage_array.c (which reads an array body one record at a time) ---- */

/* How jansson parses a whole body. */
#define TU_PAGE_BODY_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* A page that says nothing yet. */
void tu_page_init(tu_page *page);

/* A page's fingerprint (tu_page.items_hash): begun at the seed, `n` more
 * bytes folded in at a time (the same bytes in the same pieces give the
 * same one), finished by tu_page_fingerprint_done. */
#define TU_PAGE_FINGERPRINT_SEED 0x9e3779b97f4a7c15ULL
uint64_t tu_page_fold(uint64_t h, const char *p, size_t n);
uint64_t tu_page_fingerprint_done(uint64_t h);

/* "METHOD URL", as messages name a request (a NULL method is GET):
 * malloc'd, or NULL with err set when out of memory. */
char *tu_page_request_name(const char *method, const char *url,
                           tu_error *err);

/* Say that a list that parses whole could not be read one record at a
 * time (records may have been handed over before it stopped). */
void tu_page_not_one_at_a_time(const char *method, const char *url,
                               tu_error *err);

/* Say that the body (of `len` bytes, its start quoted) of the request
 * `req` is not JSON, where jansson's jerr says. */
void tu_page_not_json(const char *req, const json_error_t *jerr,
                      const char *body, size_t len, tu_error *err);

#endif
