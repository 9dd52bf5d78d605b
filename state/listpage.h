/* listpage.h -- parsing what a list endpoint answered.
 *
 * state/ does no network I/O: the engine fetches list pages and hands the
 * bodies and headers here. A page is a JSON array of records, or an object
 * holding the array at a dotted path (`items`); the next page is named by
 * an RFC 8288 Link header (rel="next") or counted from X-Total-Count.
 */
#ifndef TU_STATE_LISTPAGE_H
#define TU_STATE_LISTPAGE_H

#include <stddef.h>
#include <jansson.h>
#include "trueup/trueup.h"

/* The records of one page: a new reference to a JSON array, or NULL with
 * err set ("GET URL: ..."). With no items path, the body must be an array,
 * or an object with an array at "items". */
json_t *tu_list_page_items(const char *body, size_t len,
                           const char *items_path, const char *url,
                           tu_error *err);

/* The target of the first link with rel="next" in a Link header value, as
 * written (possibly relative), or NULL. Returns a malloc'd string. */
char *tu_link_next(const char *link_header);

/* A non-negative decimal count (X-Total-Count), or -1 if not one. */
long long tu_parse_count(const char *value);

/* Copy up to `max` bytes of `text` for an error message, replacing control
 * characters by spaces and marking a cut with "..."; a cut never splits a
 * UTF-8 character. Returns a malloc'd string. */
char *tu_excerpt(const char *text, size_t len, size_t max);

#endif
