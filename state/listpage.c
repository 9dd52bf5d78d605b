/* listpage.c -- parsing list responses, Link headers and counts.
 *
 * The Link parser follows RFC 8288 loosely, as servers write it:
 *   <https://api/x?page=2>; rel="next", <...>; rel="last"
 * rel may be quoted or not and may hold several space-separated relation
 * types; parameters other than rel are skipped.
 */
#include "listpage.h"
#include "error.h"
#include "json_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static json_t *find_items(json_t *root, const char *items_path,
                          const char *url, tu_error *err)
{
    json_t *items;

    if (items_path && *items_path) {
        items = tu_json_path(root, items_path);
        if (!items) {
            tu_error_set(err, TU_ERR_FETCH,
                         "GET %s: the response has nothing at items "
                         "path '%s' (got %s): check target.resource.items",
                         url, items_path, tu_json_type_name(root));
            return NULL;
        }
    } else if (json_is_object(root) && json_object_get(root, "items")) {
        items = json_object_get(root, "items");
    } else {
        items = root;
    }
    if (!json_is_array(items)) {
        tu_error_set(err, TU_ERR_FETCH,
                     "GET %s: expected a list of records%s%s, got %s%s",
                     url, items_path && *items_path ? " at " : "",
                     items_path && *items_path ? items_path : "",
                     tu_json_type_name(items),
                     json_is_object(items) && !(items_path && *items_path)
                         ? ": set target.resource.items to the path of the "
                           "list" : "");
        return NULL;
    }
    return json_incref(items);
}

json_t *tu_list_page_items(const char *body, size_t len,
                           const char *items_path, const char *url,
                           tu_error *err)
{
    json_error_t jerr;
    json_t *root, *items;

    root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!root) {
        char *ex = tu_excerpt(body, len, 80);
        tu_error_set(err, TU_ERR_FETCH,
                     "GET %s: the response is not valid JSON (%s at "
                     "line %d, column %d); it begins: %s", url, jerr.text,
                     jerr.line, jerr.column, ex ? ex : "");
        free(ex);
        return NULL;
    }
    items = find_items(root, items_path, url, err);
    json_decref(root);
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
