/* listpage_each.c -- the records of a list under one member of a body's
 * object, one at a time (tu_list_page_each, listpage.h).
 *
 * A PowerDNS zone is an object whose `rrsets` member holds every rrset:
 * parsed whole, ten thousand rrsets were a jansson tree of 120,000
 * allocations, 6,000 fresh pages and most of the time the read took. When
 * the items path is one member of the body's top-level object, this finds
 * that member's array in the text and hands its items over one at a time
 * (tu_page_parse_each, each freed before the next is read).
 *
 * Faithful to the whole parse by construction:
 *   - the member is found by a scan that needs only well-formed JSON to
 *     find it (strings and brackets; jansson checks the rest); a key with
 *     an escape anywhere, a NUL byte, or nesting deeper than MAX_DEPTH
 *     leaves the body to the whole parse;
 *   - the body with that array replaced by [] must parse (as a page's
 *     body parses) into an object whose member is that empty array: the
 *     rest of the body is valid, and the array is the member jansson
 *     keeps (the last of the name);
 *   - the array itself is read item by item, which checks it;
 *   - anything wrong is said by the whole parse (tu_list_page_items), so
 *     the messages are the same.
 */
#include "listpage.h"
#include "error.h"
#include "util/json_util.h"

#include <stdlib.h>
#include <string.h>

/* Well under jansson's limit of 2048 levels: an item read alone is two
 * levels less deep than in the body. */
#define MAX_DEPTH 1000

typedef struct span {
    const char *start, *end;
} span;

/* Past the string whose quote is at p; NULL when it does not end. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

static int ends_scalar(char c)
{
    return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' ||
           c == '\n' || c == '\r';
}

/* The end of the value at p, if the text is well-formed JSON (jansson
 * checks that later), its nesting in *depth; NULL when it does not end. */
static const char *skip_value(const char *p, const char *end, size_t *depth)
{
    size_t level = 0;

    *depth = 0;
    while (p < end) {
        if (*p == '"') {
            if (!(p = skip_string(p, end)))
                return NULL;
        } else if (*p == '[' || *p == '{') {
            *depth = ++level > *depth ? level : *depth;
            p++;
            continue;
        } else if (*p == ']' || *p == '}') {
            if (level == 0)
                return p;
            level--;
            p++;
        } else if (level == 0 && ends_scalar(*p)) {
            return p;
        } else {
            p++;
            continue;
        }
        if (level == 0)
            return p;
    }
    return level == 0 ? p : NULL;
}

/* One member "key": value at p: the key's text in *key, its value in
 * *value; the end of the value, or NULL when out of the scan's reach. */
static const char *scan_member(const char *p, const char *end, span *key,
                               span *value)
{
    size_t depth;

    if (p >= end || *p != '"' || !(value->start = skip_string(p, end)))
        return NULL;
    key->start = p + 1;
    key->end = value->start - 1;
    if (memchr(key->start, '\\', (size_t)(key->end - key->start)))
        return NULL;
    p = tu_json_skip_space(value->start, end);
    if (p >= end || *p != ':')
        return NULL;
    value->start = tu_json_skip_space(p + 1, end);
    value->end = skip_value(value->start, end, &depth);
    return value->end && depth <= MAX_DEPTH ? value->end : NULL;
}

/* The array of the last member `name` of the body's object; 0 when there
 * is none, or the body is beyond the scan. */
static int member_array(const char *body, size_t len, const char *name,
                        span *out)
{
    const char *end = body + len, *p = tu_json_skip_space(body, end);
    size_t n = strlen(name);
    span key, value;
    int found = 0;

    if (p >= end || *p != '{' || memchr(body, '\0', len))
        return 0;
    p = tu_json_skip_space(p + 1, end);
    while (p < end && *p != '}') {
        if (!(p = scan_member(p, end, &key, &value)))
            return 0;
        if ((size_t)(key.end - key.start) == n &&
            memcmp(key.start, name, n) == 0) {
            *out = value;
            found = 1;
        }
        p = tu_json_skip_space(p, end);
        if (p < end && *p == ',')
            p = tu_json_skip_space(p + 1, end);
        else if (p >= end || *p != '}')
            return 0;
    }
    return found && *out->start == '[';
}

/* 1 when the body with the array at `a` replaced by [] parses as a page's
 * body does, into an object whose member `name` is that empty array. */
static int rest_is_valid(const char *body, size_t len, span a,
                         const char *name)
{
    size_t head = (size_t)(a.start - body), tail = len - (size_t)(a.end -
                                                                  body);
    char *shell = malloc(head + 2 + tail);
    json_error_t jerr;
    json_t *root, *list;
    int ok;

    if (!shell)
        return 0;
    memcpy(shell, body, head);
    memcpy(shell + head, "[]", 2);
    memcpy(shell + head + 2, a.end, tail);
    root = json_loadb(shell, head + 2 + tail,
                      JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    free(shell);
    list = json_object_get(root, name);
    ok = json_is_array(list) && json_array_size(list) == 0;
    json_decref(root);
    return ok;
}

typedef struct each_sink {
    tu_page_raw_fn raw;       /* NULL: none */
    tu_page_item_fn each;
    void *data;
    size_t handed;            /* items handed over */
    int stopped;              /* `raw` or `each` said stop */
} each_sink;

static int pass_on(json_t *item, size_t index, void *data)
{
    each_sink *s = data;

    s->handed++;
    s->stopped = s->each(item, index, s->data) != 0;
    return s->stopped;
}

static int pass_raw(const char *text, size_t len, size_t *used,
                    size_t index, void *data)
{
    each_sink *s = data;
    int rc = s->raw(text, len, used, index, s->data);

    s->handed += rc > 0;
    s->stopped = rc < 0;
    return rc;
}

/* The items one at a time: 0, -1 when `raw` or `each` stopped, -2 when
 * the array is not valid JSON (the caller's whole parse says why;
 * *handed: items handed over before). */
static int stream(span a, each_sink *sink, size_t *handed)
{
    static const tu_page_paths none;
    tu_page page;
    tu_error quiet;
    int rc = tu_page_parse_each_raw(a.start, (size_t)(a.end - a.start),
                                    &none, "GET", "",
                                    sink->raw ? pass_raw : NULL, pass_on,
                                    sink, 0, &page, &quiet);

    *handed = sink->handed;
    if (rc == 0) {
        tu_page_free(&page);
        return 0;
    }
    return sink->stopped ? -1 : -2;
}

int tu_list_page_each(const char *body, size_t len, const char *items_path,
                      const char *method, const char *url,
                      tu_page_item_fn each, void *data, tu_error *err)
{
    return tu_list_page_each_raw(body, len, items_path, method, url, NULL,
                                 each, data, err);
}

int tu_list_page_each_raw(const char *body, size_t len,
                          const char *items_path, const char *method,
                          const char *url, tu_page_raw_fn raw,
                          tu_page_item_fn each, void *data, tu_error *err)
{
    each_sink sink = {raw, each, data, 0, 0};
    span a;
    json_t *items;
    size_t handed = 0;
    int rc = -2;

    if (items_path && *items_path && !strchr(items_path, '.') &&
        member_array(body, len, items_path, &a) &&
        rest_is_valid(body, len, a, items_path))
        rc = stream(a, &sink, &handed);
    if (rc != -2)
        return rc;
    if (!(items = tu_list_page_items(body, len, items_path, method, url,
                                     err)))
        return -1;
    if (handed) {               /* not seen: valid arrays stream */
        json_decref(items);
        tu_page_not_one_at_a_time(method, url, err);
        return -1;
    }
    rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(items); i++)
        rc = each(json_array_get(items, i), i, data) != 0 ? -1 : 0;
    json_decref(items);
    return rc;
}
