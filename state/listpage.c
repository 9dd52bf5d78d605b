/* listpage.c -- parsing list responses, Link headers and counts.
 *
 * The Link parser follows RFC 8288 loosely, as servers write it:
 *   <https://api/x?page=2>; rel="next", <...>; rel="last"
 * rel may be quoted or not and may hold several space-separated relation
 * types; parameters other than rel are skipped.
 *
 * tu_page_parse reads what a page's body says about the rest of the list.
 * Paths the target sets are believed both ways and must have the right
 * type; without them, a few usual field names (DRF's next and count,
 * Stripe's has_more, Cloudflare's result_info.total_pages, ...) are read as
 * evidence only: a field of another type is no evidence at all.
 *
 * An empty answer (a 204, a body of white space) is an empty page, and
 * so is an object without the records that counts none ({"count": 0}).
 *
 * tu_page_parse_each hands the records over one by one: a body that is a
 * JSON array is read one record at a time by listpage_array.c, which
 * shares the page's start, its fingerprint and the not-JSON message with
 * this file (the end of listpage.h). A page's fingerprint (loops of numbered
 * pages) hashes the records' text eight bytes at a time: each item's raw
 * text in turn when streamed, the compact dump of the items otherwise.
 */
#include "listpage.h"
#include "error.h"
#include "util/json_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int tu_body_is_empty(const char *body, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (body[i] != ' ' && body[i] != '\t' && body[i] != '\n' &&
            body[i] != '\r')
            return 0;
    return 1;
}

char *tu_excerpt(const char *text, size_t len, size_t max)
{
    size_t n = len < max ? len : max;
    char *out;

    /* a cut never splits a UTF-8 sequence: back up over continuation
     * bytes to the start of the cut character */
    if (n < len)
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
    out = malloc(n + 4);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        out[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    strcpy(out + n, len > max ? "..." : "");
    return out;
}

static const char *const usual_next[] = {"next", "links.next", "paging.next",
                                         "_links.next.href", NULL};
static const char *const usual_more[] = {"has_more", "hasMore", NULL};
static const char *const usual_count[] = {"count", "total_count",
                                          "totalCount", "total", "total_size",
                                          NULL};
static const char *const usual_pages[] = {"total_pages", "totalPages",
                                          "page_count",
                                          "result_info.total_pages", NULL};

/* A count: an integer >= 0, or a string of digits. -1 when not one. */
static long long count_value(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
    if (json_is_string(v))
        return tu_parse_count(json_string_value(v));
    return -1;
}

/* The first usual field that is a count (its name in *name), or -1. */
static long long usual_count_of(const json_t *root, const char *const *names,
                                const char **name)
{
    for (size_t i = 0; json_is_object(root) && names[i]; i++) {
        long long n = count_value(tu_json_path(root, names[i]));
        if (n >= 0) {
            *name = names[i];
            return n;
        }
    }
    return -1;
}

/* An object without its list of records that counts none: its count
 * (at count_path, else a usual count field) is 0. Else the count, or -1. */
static long long count_without_items(const json_t *root,
                                     const char *count_path)
{
    const char *name;

    if (!json_is_object(root))
        return -1;
    if (count_path && *count_path)
        return count_value(tu_json_path(root, count_path));
    return usual_count_of(root, usual_count, &name);
}

/* No records where they should be: an empty page when the answer counts
 * 0 of them (a new empty array), else NULL with err set. */
static json_t *no_items(const json_t *root, const char *items_path,
                        const char *count_path, const char *req,
                        tu_error *err)
{
    long long count = count_without_items(root, count_path);

    if (count == 0)
        return json_array();
    if (count > 0)
        tu_error_set(err, TU_ERR_FETCH,
                     "%s: the response has nothing at items path '%s', "
                     "but counts %lld records: check target.resource.items",
                     req, items_path, count);
    else
        tu_error_set(err, TU_ERR_FETCH,
                     "%s: the response has nothing at items path "
                     "'%s' (got %s): check target.resource.items", req,
                     items_path, tu_json_type_name(root));
    return NULL;
}

/* The records of a parsed answer: a new reference to an array, or NULL
 * with err set. */
static json_t *find_items(json_t *root, const char *items_path,
                          const char *count_path, const char *req,
                          tu_error *err)
{
    json_t *items;
    int path_set = items_path && *items_path;

    if (path_set) {
        items = tu_json_path(root, items_path);
        if (!items)
            return no_items(root, items_path, count_path, req, err);
    } else if (json_is_object(root) && json_object_get(root, "items")) {
        items = json_object_get(root, "items");
    } else if (count_without_items(root, count_path) == 0) {
        return json_array();  /* {"count": 0}: no "items" at all */
    } else {
        items = root;
    }
    if (!json_is_array(items)) {
        tu_error_set(err, TU_ERR_FETCH,
                     "%s: expected a list of records%s%s, got %s%s",
                     req, path_set ? " at " : "", path_set ? items_path : "",
                     tu_json_type_name(items),
                     json_is_object(items) && !path_set
                         ? ": set target.resource.items to the path of the "
                           "list" : "");
        return NULL;
    }
    return json_incref(items);
}

void tu_page_not_one_at_a_time(const char *method, const char *url,
                               tu_error *err)
{
    tu_error_set(err, TU_ERR_FETCH, "%s %s: the list could not be read one "
                 "record at a time", method ? method : "GET", url);
}

void tu_page_not_json(const char *req, const json_error_t *jerr,
                      const char *body, size_t len, tu_error *err)
{
    char *ex = tu_excerpt(body, len, 80);

    tu_error_set(err, TU_ERR_FETCH, "%s: the response is not valid JSON (%s "
                 "at line %d, column %d); it begins: %s", req, jerr->text,
                 jerr->line, jerr->column, ex ? ex : "");
    free(ex);
}

/* The body as JSON, or NULL with err saying where it is not. */
static json_t *load_body(const char *body, size_t len, const char *req,
                         tu_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, TU_PAGE_BODY_FLAGS, &jerr);

    if (!root)
        tu_page_not_json(req, &jerr, body, len, err);
    return root;
}

char *tu_page_request_name(const char *method, const char *url,
                           tu_error *err)
{
    size_t len;
    char *name;

    method = method ? method : "GET";
    len = strlen(method) + strlen(url) + 2;
    if (!(name = malloc(len))) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    snprintf(name, len, "%s %s", method, url);
    return name;
}

json_t *tu_list_page_items(const char *body, size_t len,
                           const char *items_path, const char *method,
                           const char *url, tu_error *err)
{
    json_t *root, *items = NULL;
    char *req;

    if (tu_body_is_empty(body, len))
        return json_array();
    if (!(req = tu_page_request_name(method, url, err)))
        return NULL;
    if ((root = load_body(body, len, req, err)) != NULL)
        items = find_items(root, items_path, NULL, req, err);
    json_decref(root);
    free(req);
    return items;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Does a rel parameter value (quoted or not) list "next"? */
static int rel_has_next(const char *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t start;
        while (i < n && v[i] == ' ')
            i++;
        start = i;
        while (i < n && v[i] != ' ')
            i++;
        if (i - start == 4 && strncasecmp(v + start, "next", 4) == 0)
            return 1;
    }
    return 0;
}

/* Scan the parameters after one <target>; stop at ',' or the end. */
static int params_say_next(const char **pp)
{
    const char *p = *pp;
    int next = 0;

    while (*p && *p != ',') {
        const char *name, *val;
        size_t nlen, vlen;
        p = skip_ws(p);
        if (*p != ';')
            break;
        p = skip_ws(p + 1);
        name = p;
        while (*p && *p != '=' && *p != ';' && *p != ',')
            p++;
        nlen = (size_t)(p - name);
        while (nlen && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
            nlen--;
        if (*p != '=')
            continue;
        p = skip_ws(p + 1);
        if (*p == '"') {
            val = ++p;
            while (*p && *p != '"')
                p++;
            vlen = (size_t)(p - val);
            if (*p == '"')
                p++;
        } else {
            val = p;
            while (*p && *p != ';' && *p != ',' && *p != ' ')
                p++;
            vlen = (size_t)(p - val);
        }
        if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 &&
            rel_has_next(val, vlen))
            next = 1;
    }
    while (*p && *p != ',')
        p++;
    *pp = p;
    return next;
}

char *tu_link_next(const char *link)
{
    const char *p = link;

    while (p && *p) {
        const char *start, *end;
        p = skip_ws(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p != '<')
            return NULL;
        start = p + 1;
        end = strchr(start, '>');
        if (!end)
            return NULL;
        p = end + 1;
        if (params_say_next(&p))
            return strndup(start, (size_t)(end - start));
    }
    return NULL;
}

long long tu_parse_count(const char *value)
{
    char *end;
    long long n;

    if (!value)
        return -1;
    while (isspace((unsigned char)*value))
        value++;
    if (!isdigit((unsigned char)*value))
        return -1;
    errno = 0;
    n = strtoll(value, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno || *end)
        return -1;
    return n;
}

/* ---- what a page's body says about the next page ------------------------ */

/* paths[key] at `path`: its count, -1 when absent; -2 (err set) when it is
 * there but not a count. */
static long long set_count(const json_t *root, const char *path,
                           const char *key, const char *req, tu_error *err)
{
    const json_t *v = tu_json_path(root, path);
    long long n = count_value(v);

    if (!v || json_is_null(v) || n >= 0)
        return v && !json_is_null(v) ? n : -1;
    tu_error_set(err, TU_ERR_FETCH, "%s: %s at '%s' is %s, not a count of at least 0: "
                 "check target.resource.%s", req, key, path,
                 tu_json_type_name(v), key);
    return -2;
}

/* A link value: a non-empty string, or {"href": string} (HAL). */
static const char *link_text(const json_t *v)
{
    if (json_is_object(v))
        v = json_object_get(v, "href");
    return json_is_string(v) && json_string_length(v) > 0
               ? json_string_value(v) : NULL;
}

static void say_why(tu_page *page, const char *name, const char *value)
{
    char *ex = tu_excerpt(value, strlen(value), 100);
    snprintf(page->why, sizeof page->why, "%s is \"%s\"", name,
             ex ? ex : "");
    free(ex);
}

/* A set path to a next URL or cursor: a string (or, for a cursor, an
 * integer); null, "" or absent end the list. 0, or -1 with err set. */
static int set_link(const json_t *root, const char *path, const char *key,
                    int cursor, char **out, tu_page *page, const char *req,
                    tu_error *err)
{
    const json_t *v = tu_json_path(root, path);
    char *text = NULL;

    if (!v || json_is_null(v) || (json_is_string(v) &&
                                  json_string_length(v) == 0)) {
        page->more = TU_MORE_NO;
        return 0;
    }
    if (cursor ? json_is_string(v) || json_is_integer(v) : !!link_text(v))
        text = cursor ? tu_json_text(v) : strdup(link_text(v));
    else {
        tu_error_set(err, TU_ERR_FETCH, "%s: %s at '%s' is %s, not a %s: check "
                     "target.resource.%s", req, key, path,
                     tu_json_type_name(v), cursor ? "string" : "URL", key);
        return -1;
    }
    if (!text) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    *out = text;
    page->more = TU_MORE_YES;
    page->hint = cursor ? "cursor" : "next";
    say_why(page, path, text);
    return 0;
}

/* A set has_more path: true, false, or absent (no word). */
static int set_flag(const json_t *root, const char *path, tu_page *page,
                    const char *req, tu_error *err)
{
    const json_t *v = tu_json_path(root, path);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v)) {
        tu_error_set(err, TU_ERR_FETCH, "%s: has_more_path at '%s' is %s, not true or "
                     "false: check target.resource.has_more_path", req, path,
                     tu_json_type_name(v));
        return -1;
    }
    if (json_is_false(v))
        page->more = TU_MORE_NO;
    else if (page->more == TU_MORE_UNKNOWN) {
        page->more = TU_MORE_YES;
        page->hint = "cursor";
        snprintf(page->why, sizeof page->why, "%s is true", path);
    }
    return 0;
}

/* No path set: the usual next URL, else the usual has-more flag. */
static int usual_more_of(const json_t *root, tu_page *page)
{
    for (size_t i = 0; json_is_object(root) && usual_next[i]; i++) {
        const json_t *v = tu_json_path(root, usual_next[i]);
        if (link_text(v)) {
            if (!(page->next = strdup(link_text(v))))
                return -1;
            page->more = TU_MORE_YES;
            page->hint = "next";
            say_why(page, usual_next[i], page->next);
            return 0;
        }
        if (json_is_null(v) || json_is_string(v)) {
            page->more = TU_MORE_NO;
            return 0;
        }
    }
    for (size_t i = 0; json_is_object(root) && usual_more[i]; i++) {
        const json_t *v = tu_json_path(root, usual_more[i]);
        if (json_is_boolean(v)) {
            page->more = json_is_true(v) ? TU_MORE_YES : TU_MORE_NO;
            if (json_is_true(v)) {
                page->hint = "cursor";
                snprintf(page->why, sizeof page->why, "%s is true",
                         usual_more[i]);
            }
            return 0;
        }
    }
    return 0;
}

static int read_more(const json_t *root, const tu_page_paths *paths,
                     tu_page *page, const char *req, tu_error *err)
{
    if (paths->next && set_link(root, paths->next, "next_path", 0,
                                &page->next, page, req, err) != 0)
        return -1;
    if (paths->cursor && set_link(root, paths->cursor, "cursor_path", 1,
                                  &page->cursor, page, req, err) != 0)
        return -1;
    if (paths->has_more && set_flag(root, paths->has_more, page, req,
                                    err) != 0)
        return -1;
    if (paths->next || paths->cursor || paths->has_more)
        return 0;
    if (usual_more_of(root, page) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

static int read_totals(const json_t *root, const tu_page_paths *paths,
                       tu_page *page, const char *req, tu_error *err)
{
    if (paths->count &&
        (page->count = set_count(root, paths->count, "count_path", req,
                                 err)) == -2)
        return -1;
    if (paths->total_pages &&
        (page->total_pages = set_count(root, paths->total_pages,
                                       "total_pages_path", req, err)) == -2)
        return -1;
    page->count_name = paths->count;
    page->count_seen = paths->count
                           ? page->count
                           : usual_count_of(root, usual_count,
                                            &page->count_name);
    page->pages_name = paths->total_pages;
    page->pages_seen = paths->total_pages
                           ? page->total_pages
                           : usual_count_of(root, usual_pages,
                                            &page->pages_name);
    if (!page->hint && page->count_seen >= 0)
        page->hint = "offset";
    if (!page->hint && page->pages_seen >= 0)
        page->hint = "page";
    return 0;
}

/* A fingerprint of `n` bytes: the word at each step is xored in and
 * multiplied by an odd constant, a bijection, so two texts of the same
 * length that differ in one word never share one. Only compared within a
 * run (tu_page.items_hash), so its value may differ between machines.
 * FNV-1a, byte by byte, was 8% of reading a 50,000-record list. */
uint64_t tu_page_fold(uint64_t h, const char *p, size_t n)
{
    uint64_t w;

    h ^= n;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
    }
    w = 0;
    memcpy(&w, p, n);
    return (h ^ w) * 0xff51afd7ed558ccdULL;
}

uint64_t tu_page_fingerprint_done(uint64_t h)
{
    return h ^ (h >> 32);
}

static uint64_t fingerprint(const char *p, size_t n)
{
    return tu_page_fingerprint_done(
        tu_page_fold(TU_PAGE_FINGERPRINT_SEED, p, n));
}

/* The items' fingerprint: that of their compact JSON text. */
static int fingerprint_items(tu_page *page)
{
    char *text = tu_json_dumps(page->items, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return -1;
    page->items_hash = fingerprint(text, strlen(text));
    free(text);
    return 0;
}

void tu_page_init(tu_page *page)
{
    memset(page, 0, sizeof *page);
    page->more = TU_MORE_UNKNOWN;
    page->count = page->count_seen = -1;
    page->total_pages = page->pages_seen = -1;
}

/* tu_page_parse with the request named ("METHOD URL") for messages. */
static int page_parse(const char *body, size_t len, const tu_page_paths *paths,
                      const char *req, tu_page *page, tu_error *err)
{
    json_t *root;
    int rc = -1;

    tu_page_init(page);
    if (tu_body_is_empty(body, len)) {
        page->items = json_array();
        if (page->items && fingerprint_items(page) == 0)
            return 0;
        tu_page_free(page);
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    root = load_body(body, len, req, err);
    if (!root)
        return -1;
    page->items = find_items(root, paths->items, paths->count, req, err);
    page->nitems = json_array_size(page->items);
    if (page->items && fingerprint_items(page) == 0 &&
        read_more(root, paths, page, req, err) == 0 &&
        read_totals(root, paths, page, req, err) == 0)
        rc = 0;
    json_decref(root);
    if (rc != 0)
        tu_page_free(page);
    return rc;
}

int tu_page_parse(const char *body, size_t len, const tu_page_paths *paths,
                  const char *method, const char *url, tu_page *page,
                  tu_error *err)
{
    char *req = tu_page_request_name(method, url, err);
    int rc;

    if (!req) {
        tu_page_init(page);
        return -1;
    }
    rc = page_parse(body, len, paths, req, page, err);
    free(req);
    return rc;
}

void tu_page_free(tu_page *page)
{
    json_decref(page->items);
    free(page->next);
    free(page->cursor);
    page->items = NULL;
    page->next = page->cursor = NULL;
}
