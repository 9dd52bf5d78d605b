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
 * tu_page_parse_each hands the records over one by one. A body that is a
 * JSON array is read item by item with jansson's JSON_DISABLE_EOF_CHECK
 * (each parse stops at the end of its value and says where), so only one
 * record is a jansson tree at a time: measured on a 1,000,000-record list,
 * 1.3-1.5 s against 5.0-5.7 s to build the whole tree, which spends most
 * of its time touching fresh memory. A page's fingerprint (loops of
 * numbered pages) hashes the records' text eight bytes at a time: each
 * item's raw text in turn when streamed, the compact dump of the items
 * otherwise.
 *
 * With TU_PAGE_GIVE_BACK, a large array body's memory goes back to the
 * system behind the records read (8 MiB at a time, past its first 2
 * MiB), to be reused by what is allocated next: a 940 MB list body then
 * no longer stands beside the records made from it. A body that turns
 * out not to be JSON after a part went back is said to be as the whole
 * body's parse would say it: the count of lines and characters of the
 * part gone is kept, and jansson parses a short text that puts it in the
 * same state at the same line and column, followed by the rest
 * (given_back_error; test_page_give_back holds the two to each other).
 */
#include "listpage.h"
#include "error.h"
#include "util/arena.h"
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

/* How jansson parses a whole body. */
#define BODY_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* Say that the body (of `len` bytes, its start quoted) is not JSON, where
 * jansson's jerr says. */
static void not_json(const char *req, const json_error_t *jerr,
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
    json_t *root = json_loadb(body, len, BODY_FLAGS, &jerr);

    if (!root)
        not_json(req, &jerr, body, len, err);
    return root;
}

/* "METHOD URL", as messages name a request (a NULL method is GET):
 * malloc'd, or NULL with err set when out of memory. */
static char *request_name(const char *method, const char *url, tu_error *err)
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
    if (!(req = request_name(method, url, err)))
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
#define FINGERPRINT_SEED 0x9e3779b97f4a7c15ULL

/* `n` more bytes folded into a fingerprint begun at FINGERPRINT_SEED. */
static uint64_t fold(uint64_t h, const char *p, size_t n)
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

static uint64_t fingerprint_done(uint64_t h)
{
    return h ^ (h >> 32);
}

static uint64_t fingerprint(const char *p, size_t n)
{
    return fingerprint_done(fold(FINGERPRINT_SEED, p, n));
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

/* A page that says nothing yet. */
static void page_init(tu_page *page)
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

    page_init(page);
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
    char *req = request_name(method, url, err);
    int rc;

    if (!req) {
        page_init(page);
        return -1;
    }
    rc = page_parse(body, len, paths, req, page, err);
    free(req);
    return rc;
}

typedef struct page_sink {
    tu_page_raw_fn raw;        /* NULL: none */
    tu_page_item_fn each;
    void *data;
} page_sink;

/* One item of an array body at p: offered to `raw` first, else parsed by
 * jansson and handed to `each`. The bytes read (> 0), 0 when `raw` or
 * `each` stopped, -1 when the item is not valid JSON. */
static long one_item(const char *p, const char *end, size_t i,
                     const page_sink *sink)
{
    json_error_t jerr;
    json_t *item;
    size_t used = 0;
    int rc = sink->raw ? sink->raw(p, (size_t)(end - p), &used, i,
                                   sink->data) : 0;

    if (rc != 0)
        return rc < 0 ? 0 : (long)used;
    item = json_loadb(p, (size_t)(end - p), TU_PAGE_ITEM_FLAGS, &jerr);
    if (!item)
        return -1;
    rc = sink->each(item, i, sink->data);
    json_decref(item);
    return rc ? 0 : (long)jerr.position;
}

/* ---- a large array body given back as it is read -------------------- */

/* Every GIVE_BACK_STEP bytes read, the 2 MiB spans behind them go back
 * to the system (tu_give_back); the first GIVE_BACK_KEEP bytes stay, for
 * the excerpt a message quotes. */
#define GIVE_BACK_STEP ((size_t)8 << 20)
#define GIVE_BACK_KEEP ((size_t)2 << 20)

/* What a body given back as it is read keeps of the bytes gone: where
 * jansson's count of lines ('\n') and columns (characters: bytes but
 * UTF-8 continuation bytes) stands at `counted`, so that a message about
 * a later byte says what the whole body's parse would have said. */
typedef struct giving {
    const char *body;
    int on;                  /* TU_PAGE_GIVE_BACK */
    const char *counted;     /* the bytes before it are counted */
    const char *given;       /* given back before here; NULL: nothing */
    size_t lines;            /* '\n' before `counted` */
    size_t chars;            /* characters after the last of them */
} giving;

static void count_to(giving *g, const char *to)
{
    const char *p = g->counted, *nl;
    size_t chars = g->chars;

    while ((nl = memchr(p, '\n', (size_t)(to - p))) != NULL) {
        g->lines++;
        chars = 0;
        p = nl + 1;
    }
    for (; p < to; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    g->chars = chars;
    g->counted = to;
}

/* The items before p are read: give back what lies behind them. */
static void give_back_to(giving *g, const char *p)
{
    const char *from = g->given ? g->given : g->body + GIVE_BACK_KEEP;

    if (!g->on || p < from || (size_t)(p - from) < GIVE_BACK_STEP)
        return;
    count_to(g, p);
    g->given = tu_give_back(from, p);
}

/* Where an array's parse stopped on text that is not JSON, and the
 * shortest text that brings jansson to the same state: after the '[',
 * after a ',', after an item, after the ']'. */
enum { AT_OPEN, AT_COMMA, AT_VALUE, AT_CLOSE };
static const char *const restart[] = {"[", "[0,", "[0", "[]"};

typedef struct stop {
    const char *at;
    int state;
} stop;

/* The message for a body given back in part that is not JSON at st->at:
 * jansson parses the text of that state, lines and spaces that bring
 * its count to the line and column where st->at stood, and the rest of
 * the body; said as tu_page_parse says it. -1. */
static int given_back_error(giving *g, const stop *st, const char *end,
                            const char *method, const char *url,
                            tu_error *err)
{
    const char *pre = restart[st->state];
    size_t n = strlen(pre), pad, size;
    json_error_t jerr;
    json_t *root;
    char *text, *req = request_name(method, url, err);

    count_to(g, st->at);
    pad = g->lines ? g->chars : g->chars > n ? g->chars - n : 0;
    size = n + g->lines + pad + (size_t)(end - st->at);
    if (!req || !(text = malloc(size))) {
        if (req)
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        free(req);
        return -1;
    }
    memcpy(text, pre, n);
    memset(text + n, '\n', g->lines);
    memset(text + n + g->lines, ' ', pad);
    memcpy(text + n + g->lines + pad, st->at, (size_t)(end - st->at));
    if ((root = json_loadb(text, size, BODY_FLAGS, &jerr)) != NULL)
        tu_error_set(err, TU_ERR_FETCH, "%s: the list could not be read one "
                     "record at a time", req);
    else
        not_json(req, &jerr, g->body, (size_t)(end - g->body), err);
    json_decref(root);
    free(text);
    free(req);
    return -1;
}

/* After an item: ',' and the next one, or ']' and the end. 1: an item
 * follows at *p; 0: the array ended; -1: not JSON (*st says where). */
static int after_item(const char **p, const char *end, stop *st)
{
    const char *q = tu_json_skip_space(*p, end);

    if (q < end && *q == ',') {
        *p = tu_json_skip_space(q + 1, end);
        return 1;
    }
    if (q < end && *q == ']') {
        *p = tu_json_skip_space(q + 1, end);
        st->at = *p;
        st->state = AT_CLOSE;
        return *p == end ? 0 : -1;
    }
    st->at = q;
    st->state = AT_VALUE;
    return -1;
}

/* A JSON array body, one item at a time. 0 when the whole body was read;
 * -2 when `raw` or `each` stopped; -1 when the body is not valid JSON
 * (*st says where; the caller finds the message). The fingerprint folds
 * each item's text in right after it is read, while it is in the cache
 * (a pass over the whole text at the end read a 940 MB body again, long
 * after its start had gone cold). */
static int stream_array(const char *body, size_t len, const page_sink *sink,
                        giving *g, tu_page *page, stop *st)
{
    const char *end = body + len, *p = tu_json_skip_space(body, end) + 1;
    uint64_t h = FINGERPRINT_SEED;
    size_t i = 0;
    int more = 1;

    p = tu_json_skip_space(p, end);
    st->at = p;
    st->state = AT_OPEN;
    if (p < end && *p == ']')
        more = after_item(&p, end, st);   /* "[]": as after an item */
    while (more == 1) {
        long n = one_item(p, end, i++, sink);
        if (n <= 0)
            return n == 0 ? -2 : -1;
        h = fold(h, p, (size_t)n);
        p += n;
        give_back_to(g, p);
        st->at = p;
        st->state = AT_COMMA;
        more = after_item(&p, end, st);
        if (more == 1)
            st->at = p;
    }
    page->nitems = i;
    page->items_hash = fingerprint_done(h);
    return more;
}

/* A body to read item by item: an array, no items path, and no NUL byte
 * (jansson reads a NUL outside strings differently item by item than in
 * the whole array: the fuzzer found it; such a body is read whole). */
static int is_array_body(const char *body, size_t len,
                         const tu_page_paths *paths)
{
    const char *p = tu_json_skip_space(body, body + len);
    return (!paths->items || !*paths->items) && p < body + len && *p == '[' &&
           !memchr(body, '\0', len);
}

int tu_page_parse_each(const char *body, size_t len,
                       const tu_page_paths *paths, const char *method,
                       const char *url, tu_page_item_fn each, void *data,
                       tu_page *page, tu_error *err)
{
    return tu_page_parse_each_raw(body, len, paths, method, url, NULL, each,
                                  data, 0, page, err);
}

/* An array body read item by item; when it is not JSON, the message of
 * the whole body's parse (what is left of it when given back in part). */
static int each_of_array(const char *body, size_t len,
                         const tu_page_paths *paths, const char *method,
                         const char *url, const page_sink *sink,
                         unsigned flags, tu_page *page, tu_error *err)
{
    giving g = {body, (flags & TU_PAGE_GIVE_BACK) != 0, body, NULL, 0, 0};
    stop st;
    int rc;

    page_init(page);
    rc = stream_array(body, len, sink, &g, page, &st);
    if (rc != -1)
        return rc == 0 ? 0 : -1;
    if (g.given)
        return given_back_error(&g, &st, body + len, method, url, err);
    /* not valid JSON: parsed whole for the message */
    if (tu_page_parse(body, len, paths, method, url, page, err) == 0) {
        tu_page_free(page);
        tu_error_set(err, TU_ERR_FETCH, "%s %s: the list could not be "
                     "read one record at a time", method ? method : "GET",
                     url);
    }
    return -1;
}

int tu_page_parse_each_raw(const char *body, size_t len,
                           const tu_page_paths *paths, const char *method,
                           const char *url, tu_page_raw_fn raw,
                           tu_page_item_fn each, void *data, unsigned flags,
                           tu_page *page, tu_error *err)
{
    page_sink sink = {raw, each, data};

    if (is_array_body(body, len, paths))
        return each_of_array(body, len, paths, method, url, &sink, flags,
                             page, err);
    if (tu_page_parse(body, len, paths, method, url, page, err) != 0)
        return -1;
    for (size_t i = 0; i < page->nitems; i++) {
        if (each(json_array_get(page->items, i), i, data)) {
            tu_page_free(page);
            return -1;
        }
    }
    json_decref(page->items);
    page->items = NULL;
    return 0;
}

void tu_page_free(tu_page *page)
{
    json_decref(page->items);
    free(page->next);
    free(page->cursor);
    page->items = NULL;
    page->next = page->cursor = NULL;
}
