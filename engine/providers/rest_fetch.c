/* rest_fetch.c -- how the REST provider reads the live records:
 * a list, paged as target.resource.paginate says, or one GET per record.
 *
 *   none    one GET; if the body or headers say there is more (a next URL,
 *           has_more, a count or Link/X-Total-Count beyond the page), the
 *           fetch fails rather than plan from the first page
 *   link    follow the Link header's rel="next"
 *   next    follow the next page's URL in the body (next_path, "next")
 *   cursor  send the body's cursor (cursor_path) back as cursor_param
 *   page    page numbers (page_param); offset: offset_param grows by the
 *           records each page held
 *
 * page and offset fetch every other page at once when the first one tells
 * the total (X-Total-Count, count_path, total_pages_path); otherwise one
 * after another, believing the body (a next URL, has_more) over a guess,
 * and guessing only that a page smaller than the largest one before is the
 * last (so a server that caps the page size below per_page is read to the
 * end); an empty page (an empty answer too: SOLIDserver's 204 past its
 * last row), or a 404 for a page after the first (DRF's "Invalid page."),
 * ends the list.
 *
 * Protections for every kind: a next URL or cursor already fetched is a
 * loop (an error), so is a page holding the same records as the one before
 * it; a list has at most REST_MAX_PAGES pages; a next URL must stay on the
 * list's scheme, host and port (the target's credentials go with every
 * request); and when a list ends with fewer records than the server's own
 * count, the fetch fails: trueup never plans from part of a list.
 *
 * A list path with variables of several values is several lists, each
 * paged on its own. A request's data is its tag, list * LIST_SPAN + page
 * number, which is also the order of its records.
 */
#include "rest.h"
#include "engine/fetch.h"
#include "engine/target.h"
#include "engine/urltemplate.h"
#include "state/error.h"
#include "util/json_util.h"
#include "state/schema.h"
#include "util/strmap.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REST_MAX_PAGES 100000
#define REST_MAX_LISTS 1000
#define LIST_SPAN ((uintptr_t)REST_MAX_PAGES + 1)
#define DOCS "docs/desired-state.md, Pagination"

typedef struct rest_list {
    char *url;             /* resource.list expanded, absolute */
    long long seen;        /* records read */
    long long largest;     /* most records in one page so far */
    long long count;       /* the total the server reported, or -1 */
    const char *count_from;/* where it said so (static or config) */
    long long offset;      /* offset: the next page's offset */
    long long pending;     /* pages fetched at once still to come */
    uint64_t prev;         /* page, offset: the fingerprint of the page
                              before's records (tu_page.items_hash) */
    int has_prev;
} rest_list;

typedef struct rest_fetch {
    const tu_target *target;
    const rest_cfg *cfg;
    const rest_paging *pg;
    tu_strmap visited;     /* next URLs fetched, to stop loops */
    char **urls;           /* owned keys of `visited` */
    size_t nurls;
    rest_list *lists;
    size_t nlists;
    tu_buffer list_body;   /* what every page of the lists sends */
    tu_fetch_how list_how; /* resource.list's method and body */
} rest_fetch;

static const char *const kind_names[] = {"none", "link", "page", "offset",
                                         "next", "cursor", NULL};

/* ---- configuration ------------------------------------------------------ */

const char *const tu_rest_paging_keys[] = {
    "paginate", "page_param", "per_page_param", "per_page", "offset_param",
    "cursor_param", "next_path", "cursor_path", "has_more_path",
    "count_path", "total_pages_path", NULL};

/* Which kinds read each key (bit 1 << PAGINATE_*); 0: every kind. */
static unsigned key_kinds(const char *key)
{
    static const struct { const char *key; unsigned kinds; } table[] = {
        {"page_param", 1u << PAGINATE_PAGE},
        {"per_page_param", 1u << PAGINATE_PAGE | 1u << PAGINATE_OFFSET |
                               1u << PAGINATE_CURSOR},
        {"per_page", 1u << PAGINATE_PAGE | 1u << PAGINATE_OFFSET |
                         1u << PAGINATE_CURSOR},
        {"offset_param", 1u << PAGINATE_OFFSET},
        {"cursor_param", 1u << PAGINATE_CURSOR},
        {"cursor_path", 1u << PAGINATE_CURSOR},
        {"next_path", 1u << PAGINATE_NEXT},
        {"total_pages_path", 1u << PAGINATE_PAGE | 1u << PAGINATE_NONE},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(table[i].key, key) == 0)
            return table[i].kinds;
    return 0;
}

/* "page, offset or cursor": the kinds in `kinds`, for a message. */
static void kinds_text(unsigned kinds, char *buf, size_t size)
{
    size_t n = 0, left = 0;

    for (unsigned k = 0; kind_names[k]; k++)
        left += (kinds >> k) & 1u;
    buf[0] = '\0';
    for (unsigned k = 0; kind_names[k] && n < size; k++) {
        if (!(kinds & (1u << k)))
            continue;
        left--;
        n += (size_t)snprintf(buf + n, size - n, "%s%s", kind_names[k],
                              left > 1 ? ", " : left == 1 ? " or " : "");
    }
}

/* A key set for a kind that does not read it is an error, not ignored. */
static int check_kind_keys(const rest_paging *p, const json_t *res,
                           const tu_srcmap *map, tu_error *err)
{
    char kinds[64];

    for (size_t i = 1; tu_rest_paging_keys[i]; i++) {
        const char *key = tu_rest_paging_keys[i];
        unsigned mask = key_kinds(key);
        if (!json_object_get(res, key) || !mask ||
            (mask & (1u << p->kind)))
            continue;
        kinds_text(mask, kinds, sizeof kinds);
        tu_error_at(err, tu_srcmap_member(map, res, key),
                    "target.resource.%s: paginate %s does not read it (it "
                    "goes with paginate %s)", key, kind_names[p->kind],
                    kinds);
        return -1;
    }
    return 0;
}

static int read_paths(rest_paging *p, const json_t *res,
                      const tu_srcmap *map, tu_error *err)
{
    const char *ctx = "target.resource";
    tu_page_paths *q = &p->paths;
    return tu_schema_string(res, "next_path", 0, map, ctx, &q->next,
                            err) < 0 ||
           tu_schema_string(res, "cursor_path", 0, map, ctx, &q->cursor,
                            err) < 0 ||
           tu_schema_string(res, "has_more_path", 0, map, ctx, &q->has_more,
                            err) < 0 ||
           tu_schema_string(res, "count_path", 0, map, ctx, &q->count,
                            err) < 0 ||
           tu_schema_string(res, "total_pages_path", 0, map, ctx,
                            &q->total_pages, err) < 0 ? -1 : 0;
}

static int read_params(rest_paging *p, const json_t *res,
                       const tu_srcmap *map, tu_error *err)
{
    const char *ctx = "target.resource";
    return tu_schema_string(res, "page_param", 0, map, ctx, &p->page_param,
                            err) < 0 ||
           tu_schema_string(res, "per_page_param", 0, map, ctx,
                            &p->per_page_param, err) < 0 ||
           tu_schema_string(res, "offset_param", 0, map, ctx,
                            &p->offset_param, err) < 0 ||
           tu_schema_string(res, "cursor_param", 0, map, ctx,
                            &p->cursor_param, err) < 0 ||
           tu_schema_int(res, "per_page", 1, 1000000, map, ctx, &p->per_page,
                         err) < 0 ? -1 : 0;
}

int tu_rest_parse_paging(rest_cfg *c, const json_t *res,
                         const tu_srcmap *map, tu_error *err)
{
    rest_paging *p = &c->paging;

    memset(p, 0, sizeof *p);
    if (tu_schema_enum(res, "paginate", kind_names, map, "target.resource",
                       &p->kind, err) < 0 ||
        check_kind_keys(p, res, map, err) != 0)
        return -1;
    p->page_param = "page";
    p->per_page_param = p->kind == PAGINATE_PAGE ? "per_page" : "limit";
    p->offset_param = "offset";
    p->cursor_param = "cursor";
    p->per_page = 100;
    p->paths.items = c->items;
    p->paths.next = p->kind == PAGINATE_NEXT ? "next" : NULL;
    p->paths.count = p->kind == PAGINATE_OFFSET ? "count" : NULL;
    if (read_params(p, res, map, err) != 0 || read_paths(p, res, map, err))
        return -1;
    if (p->kind == PAGINATE_CURSOR && !p->paths.cursor) {
        tu_error_at(err, tu_srcmap_member(map, res, "paginate"),
                    "target.resource.paginate: cursor needs cursor_path, the "
                    "dotted path to the next page's cursor in the response "
                    "(for example next_cursor or meta.next_cursor)");
        return -1;
    }
    return 0;
}

/* ---- state and URLs ----------------------------------------------------- */

static void *tag(size_t list, long long page)
{
    return (void *)(list * LIST_SPAN + (uintptr_t)page);
}

static size_t tag_list(void *data)
{
    return (size_t)((uintptr_t)data / LIST_SPAN);
}

static long long tag_page(void *data)
{
    return (long long)((uintptr_t)data % LIST_SPAN);
}

static void rest_fetch_free(void *p)
{
    rest_fetch *rf = p;
    for (size_t i = 0; i < rf->nurls; i++)
        free(rf->urls[i]);
    free(rf->urls);
    for (size_t i = 0; i < rf->nlists; i++) {
        free(rf->lists[i].url);
    }
    free(rf->lists);
    tu_buffer_free(&rf->list_body);
    tu_strmap_free(&rf->visited);
    free(rf);
}

/* `base` with a query added ("?" or "&" then fmt). Malloc'd or NULL. */
static char *with_query(const char *base, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *with_query(const char *base, const char *fmt, ...)
{
    char query[1024], *url;
    size_t len;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(query, sizeof query, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof query)
        return NULL;
    len = strlen(base) + (size_t)n + 2;
    url = malloc(len);
    if (url)
        snprintf(url, len, "%s%c%s", base, strchr(base, '?') ? '&' : '?',
                 query);
    return url;
}

/* `next` resolved against `base`; malloc'd or NULL. */
static char *resolve_url(const char *base, const char *next)
{
    CURLU *u = curl_url();
    char *out = NULL, *copy = NULL;

    if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, next, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
        copy = strdup(out);
    curl_free(out);
    curl_url_cleanup(u);
    return copy;
}

/* "scheme://host:port" of an absolute URL into buf, or "" if not one. */
static void origin_of(const char *url, char *buf, size_t size)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;

    buf[0] = '\0';
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
            CURLUE_OK)
        snprintf(buf, size, "%s://%s:%s", scheme, host, port);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

static int remember_url(rest_fetch *rf, const char *url)
{
    char *copy = strdup(url);
    char **urls = realloc(rf->urls, (rf->nurls + 1) * sizeof *urls);
    if (!copy || !urls) {
        free(copy);
        if (urls)
            rf->urls = urls;
        return -1;
    }
    rf->urls = urls;
    rf->urls[rf->nurls++] = copy;
    return tu_strmap_put(&rf->visited, copy, 0, NULL);
}

/* The method the lists are read with (resource.list's: GET, or POST for
 * Porkbun), for messages. */
static const char *list_method(tu_fetch *f)
{
    const rest_fetch *rf = tu_fetch_state(f);
    return rf->cfg->list.method ? rf->cfg->list.method : "GET";
}

/* ---- the end of a list -------------------------------------------------- */

/* The list is read to its end by its pagination: fail if the server said
 * it holds more records than were read. */
static void end_list(tu_fetch *f, rest_fetch *rf, rest_list *l,
                     const char *url, const tu_page *page)
{
    if (page && page->more == TU_MORE_YES) {
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: paginate %s finds no next page here, but "
                      "the response says there is more (%s): trueup will "
                      "not plan from part of a list; check "
                      "target.resource.paginate (%s)", list_method(f), url,
                      kind_names[rf->pg->kind], page->why, DOCS);
    } else if (l->count >= 0 && l->seen < l->count) {
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: the list ended after %lld records, but "
                      "the server counts %lld (%s): trueup will not plan "
                      "from part of a list. If records were added or "
                      "removed while it was read, run again; otherwise "
                      "check target.resource.paginate and per_page (%s)",
                      list_method(f), url, l->seen, l->count, l->count_from,
                      DOCS);
    }
}

/* The kind of paging that reads a body saying `why` there is more: a
 * next URL that counts by offset or page number says which. */
static const char *kind_hint(const tu_page *page)
{
    if (page->next && strstr(page->next, "offset="))
        return "offset (or next)";
    if (page->next && strstr(page->next, "page="))
        return "page (or next)";
    return page->hint;
}

/* paginate none: fail when anything says there is more than this page. */
static void check_single(tu_fetch *f, rest_list *l, const char *url,
                         const tu_http_response *r, const tu_page *page)
{
    char why[200];
    char *link = tu_link_next(tu_http_response_header(r, "Link"));
    const char *hint = kind_hint(page);
    long long n = (long long)page->nitems;

    why[0] = '\0';
    if (page->more == TU_MORE_YES)
        snprintf(why, sizeof why, "%s", page->why);
    else if (link)
        snprintf(why, sizeof why, "a Link header names the next page"),
            hint = "link";
    else if (l->count > n)
        snprintf(why, sizeof why, "%s is %lld", l->count_from, l->count);
    else if (page->pages_seen > 1)
        snprintf(why, sizeof why, "%s is %lld", page->pages_name,
                 page->pages_seen), hint = "page";
    free(link);
    if (why[0])
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: the response holds %lld records and says "
                      "there are more (%s), but target.resource.paginate is "
                      "none: trueup will not plan from part of a list; set "
                      "paginate: %s (%s)", list_method(f), url, n, why,
                      hint ? hint : "see the kinds", DOCS);
}

/* ---- pages -------------------------------------------------------------- */

static void on_page(tu_fetch *f, const tu_http_response *r, const char *url,
                    void *data);

static void submit(tu_fetch *f, const char *url, unsigned flags, size_t list,
                   long long page)
{
    rest_fetch *rf = tu_fetch_state(f);

    if (!url)
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    else if (page > REST_MAX_PAGES)
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: more than %d pages in one list; stopping "
                      "(raise target.resource.per_page)", list_method(f), url,
                      REST_MAX_PAGES);
    else
        tu_fetch_request(f, url, &rf->list_how, TU_FETCH_HEADERS | flags,
                         on_page, tag(list, page));
}

static void get_numbered(tu_fetch *f, rest_fetch *rf, size_t list,
                         long long page, long long offset, unsigned flags)
{
    const rest_paging *p = rf->pg;
    const char *base = rf->lists[list].url;
    char *url = p->kind == PAGINATE_PAGE
        ? with_query(base, "%s=%lld&%s=%ld", p->page_param, page,
                     p->per_page_param, p->per_page)
        : with_query(base, "%s=%lld&%s=%ld", p->offset_param, offset,
                     p->per_page_param, p->per_page);
    submit(f, url, flags, list, page);
    free(url);
}

/* A next page's URL from a Link header or the body (`what` says which):
 * resolved, on the list's origin, never fetched before. */
static void get_next_url(tu_fetch *f, rest_fetch *rf, size_t list,
                         long long page, const char *url, const char *what,
                         const char *next)
{
    char *abs = resolve_url(url, next);
    char have[512], want[512];
    size_t seen;

    origin_of(abs ? abs : "", have, sizeof have);
    origin_of(rf->lists[list].url, want, sizeof want);
    if (!abs || !have[0])
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: %s names a next page that is not a valid "
                      "URL: %s", list_method(f), url, what, next);
    else if (strcmp(have, want) != 0)
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: %s names a next page on another server, "
                      "%s, not %s where the list is: trueup sends the "
                      "target's credentials nowhere else (a server behind a "
                      "proxy may need to be told its public scheme and "
                      "host)", list_method(f), url, what, abs, want);
    else if (tu_strmap_get(&rf->visited, abs, &seen))
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: %s points back to %s, which was already "
                      "fetched: the pagination loops", list_method(f), url,
                      what, abs);
    else if (remember_url(rf, abs) < 0)
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    else
        submit(f, abs, 0, list, page + 1);
    free(abs);
}

static void get_cursor(tu_fetch *f, rest_fetch *rf, size_t list,
                       long long page, const char *url, const char *cursor)
{
    const rest_paging *p = rf->pg;
    char *enc = tu_percent_encode(cursor, strlen(cursor));
    char *next = enc ? with_query(rf->lists[list].url, "%s=%s&%s=%ld",
                                  p->cursor_param, enc, p->per_page_param,
                                  p->per_page) : NULL;
    size_t seen;

    if (!next)
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: the cursor is too long to "
                      "send", list_method(f), url);
    else if (tu_strmap_get(&rf->visited, next, &seen))
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: the response's cursor '%s' was already "
                      "sent: the pagination loops", list_method(f), url, cursor);
    else if (remember_url(rf, next) < 0)
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    else
        submit(f, next, 0, list, page + 1);
    free(enc);
    free(next);
}

/* After a page of n records, read one after another: is there another?
 * The body is believed first; then a count; without either, only a page
 * smaller than the largest before it is taken for the last (a server may
 * cap the page size below per_page), and an empty page. */
static int more_after(const rest_list *l, const tu_page *page, long long n)
{
    if (page->more != TU_MORE_UNKNOWN)
        return page->more == TU_MORE_YES;
    if (page->count >= 0)
        return l->seen < page->count;
    if (n == 0)
        return 0;
    if (l->count >= 0 && l->seen < l->count)
        return 1;
    return n >= l->largest;
}

/* Page 1 of page or offset told the total: ask for every other page at
 * once, each `n` records on (n: what page 1 held, which is the server's
 * page size even when it caps per_page). 1 when it did (or failed). */
static int fetch_all_at_once(tu_fetch *f, rest_fetch *rf, size_t list,
                             const tu_http_response *r, const tu_page *page,
                             const char *url)
{
    rest_list *l = &rf->lists[list];
    long long n = (long long)page->nitems, pages;
    long long total = tu_parse_count(tu_http_response_header(
                                         r, "X-Total-Count"));

    if (total < 0)
        total = page->count;
    if (rf->pg->kind == PAGINATE_PAGE && page->total_pages >= 0)
        pages = page->total_pages;
    else if (total < 0)
        return 0;
    else
        pages = n > 0 ? (total + n - 1) / n : 1;
    if (pages > REST_MAX_PAGES) {
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: %lld pages of %lld records are more than "
                      "%d; raise target.resource.per_page", list_method(f), url, pages, n,
                      REST_MAX_PAGES);
        return 1;
    }
    if (pages <= 1) {
        end_list(f, rf, l, url, page);
        return 1;
    }
    l->pending = pages - 1;
    for (long long p = 2; p <= pages && !tu_fetch_failed(f); p++)
        get_numbered(f, rf, list, p, (p - 1) * n, 0);
    return 1;
}

/* page and offset: the next page, all the others, or the end. */
static void step_numbered(tu_fetch *f, rest_fetch *rf, size_t list,
                          long long pg, const char *url,
                          const tu_http_response *r, const tu_page *page)
{
    rest_list *l = &rf->lists[list];
    long long n = (long long)page->nitems;
    int by_page = rf->pg->kind == PAGINATE_PAGE;

    if (l->pending > 0) {
        if (--l->pending == 0)
            end_list(f, rf, l, url, NULL);
        return;
    }
    if (pg == 1 && fetch_all_at_once(f, rf, list, r, page, url))
        return;
    if (!more_after(l, page, n)) {
        end_list(f, rf, l, url, page);
        return;
    }
    if (n > l->largest)
        l->largest = n;
    l->offset += n;
    get_numbered(f, rf, list, pg + 1, l->offset,
                 by_page ? TU_FETCH_MISSING_OK : 0);
}

static void step_none(tu_fetch *f, rest_fetch *rf, size_t list, long long pg,
                      const char *url, const tu_http_response *r,
                      const tu_page *page)
{
    (void)pg;
    check_single(f, &rf->lists[list], url, r, page);
}

static void step_link(tu_fetch *f, rest_fetch *rf, size_t list, long long pg,
                      const char *url, const tu_http_response *r,
                      const tu_page *page)
{
    char *next = tu_link_next(tu_http_response_header(r, "Link"));
    if (next)
        get_next_url(f, rf, list, pg, url, "the Link header", next);
    else
        end_list(f, rf, &rf->lists[list], url, page);
    free(next);
}

static void step_next(tu_fetch *f, rest_fetch *rf, size_t list, long long pg,
                      const char *url, const tu_http_response *r,
                      const tu_page *page)
{
    (void)r;
    if (page->next && page->more != TU_MORE_NO)
        get_next_url(f, rf, list, pg, url, "the response's next URL",
                     page->next);
    else
        end_list(f, rf, &rf->lists[list], url, page);
}

static void step_cursor(tu_fetch *f, rest_fetch *rf, size_t list,
                        long long pg, const char *url,
                        const tu_http_response *r, const tu_page *page)
{
    (void)r;
    if (page->cursor && page->more != TU_MORE_NO)
        get_cursor(f, rf, list, pg, url, page->cursor);
    else
        end_list(f, rf, &rf->lists[list], url, page);
}

typedef void (*step_fn)(tu_fetch *, rest_fetch *, size_t, long long,
                        const char *, const tu_http_response *,
                        const tu_page *);

static const step_fn steps[] = {
    [PAGINATE_NONE] = step_none,       [PAGINATE_LINK] = step_link,
    [PAGINATE_PAGE] = step_numbered,   [PAGINATE_OFFSET] = step_numbered,
    [PAGINATE_NEXT] = step_next,       [PAGINATE_CURSOR] = step_cursor,
};

/* Count what a page held (its records are in the fetch already). -1
 * (failed) when a page read one after another repeats the page before
 * it. */
static int note_page(tu_fetch *f, rest_fetch *rf, rest_list *l,
                     const tu_http_response *r, const tu_page *page,
                     const char *url)
{
    long long total = tu_parse_count(tu_http_response_header(
                                         r, "X-Total-Count"));
    int numbered = rf->pg->kind == PAGINATE_PAGE ||
                   rf->pg->kind == PAGINATE_OFFSET;

    if (numbered && l->pending == 0 && page->nitems > 0 && l->has_prev &&
        l->prev == page->items_hash) {
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: the server answered with the same records "
                      "as for the page before: it ignores target.resource."
                      "%s, or repeats the last page past the end, so trueup "
                      "cannot tell where the list ends", list_method(f), url,
                      rf->pg->kind == PAGINATE_PAGE ? "page_param"
                                                    : "offset_param");
        return -1;
    }
    l->has_prev = numbered && l->pending == 0;
    l->prev = page->items_hash;
    l->seen += (long long)page->nitems;
    if (total >= 0) {
        l->count = total;
        l->count_from = "X-Total-Count";
    } else if (page->count_seen >= 0) {
        l->count = page->count_seen;
        l->count_from = page->count_name;
    }
    return 0;
}

typedef struct page_sink {
    tu_fetch *fetch;
    const char *url;
    size_t order;
} page_sink;

static int add_item(json_t *item, size_t index, void *data)
{
    page_sink *sink = data;
    return tu_fetch_add_record(sink->fetch, item, sink->url, sink->order,
                               index);
}

/* An item as text, packed without jansson when it can be (fetch.c). */
static int add_text(const char *text, size_t len, size_t *used, size_t index,
                    void *data)
{
    page_sink *sink = data;
    (void)index;
    return tu_fetch_add_text(sink->fetch, text, len, used, sink->order);
}

static void on_page(tu_fetch *f, const tu_http_response *r, const char *url,
                    void *data)
{
    rest_fetch *rf = tu_fetch_state(f);
    size_t list = tag_list(data);
    rest_list *l = &rf->lists[list];
    tu_error err = {0};
    tu_page page;
    page_sink sink;

    if (r->status == 404 || r->status == 410) {
        end_list(f, rf, l, url, NULL); /* paginate page: past the last */
        return;
    }
    sink.fetch = f;
    sink.url = url;
    sink.order = (size_t)(uintptr_t)data;
    /* nothing reads the body after this: its memory may go back as the
     * records are read (a 940 MB list, or the plan's, is then not both) */
    if (tu_page_parse_each_raw(r->body, r->body_len, &rf->pg->paths,
                               list_method(f), url, add_text, add_item,
                               &sink, TU_PAGE_GIVE_BACK, &page, &err) != 0) {
        if (!tu_fetch_failed(f)) /* else add_item failed it, saying why */
            tu_fetch_fail(f, err.code, "%s", err.message);
        return;
    }
    if (note_page(f, rf, l, r, &page, url) == 0)
        steps[rf->pg->kind](f, rf, list, tag_page(data), url, r, &page);
    tu_page_free(&page);
}

/* ---- resource.get: one record at a time --------------------------------- */

/* 1 when `path` ends in a list index (records.0, 0) and the list it
 * indexes is there and empty: an answer that holds no record (Porkbun's
 * {"records": []} for an unknown id), not one of another shape. */
static int index_into_empty_list(const json_t *root, const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    const char *last = dot ? dot + 1 : path;
    const json_t *list = root;
    char *parent;

    if (!last || !*last || last[strspn(last, "0123456789")] != '\0')
        return 0;
    if (dot) {
        if (!(parent = strndup(path, (size_t)(dot - path))))
            return 0;
        list = tu_json_path(root, parent);
        free(parent);
    }
    return json_is_array(list) && json_array_size(list) == 0;
}

/* One record, or none: 404/410, an empty answer (SOLIDserver's 204) or
 * an empty list where the record would be say it does not exist. */
static void on_one_record(tu_fetch *f, const tu_http_response *r,
                          const char *url, void *data)
{
    rest_fetch *rf = tu_fetch_state(f);
    json_error_t jerr;
    json_t *root, *record, *items;
    char *ex;

    if (r->status == 404 || r->status == 410 ||
        tu_body_is_empty(r->body, r->body_len))
        return;
    root = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &jerr);
    record = tu_json_path(root, rf->cfg->items);
    if (!record && index_into_empty_list(root, rf->cfg->items)) {
        json_decref(root);
        return;
    }
    if (!json_is_object(record)) {
        ex = tu_excerpt(r->body, r->body_len, 80);
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: expected one record (a JSON object%s%s), "
                      "got: %s", rf->cfg->get.method, url,
                      rf->cfg->items ? " at " : "",
                      rf->cfg->items ? rf->cfg->items : "", ex ? ex : "");
        free(ex);
    } else if ((items = json_array()) != NULL) {
        json_array_append(items, record);
        tu_fetch_add_records(f, items, url, (size_t)(uintptr_t)data);
        json_decref(items);
    }
    json_decref(root);
}

/* The request of resource.get for desired record `d`: its URL into
 * `url` and its body into `body`. 0, or -1 with the fetch failed. */
static int get_request(tu_fetch *f, const tu_target *t, const tu_record *d,
                       tu_buffer *url, tu_buffer *body)
{
    const rest_cfg *c = t->cfg;
    const char *missing;
    char *path = tu_url_expand(c->get.path, tu_record_fields(d), c->id,
                               t->vars, &missing);
    char why[512];
    int rc = -1;

    url->len = 0;
    body->len = 0;
    if (!path && missing)
        tu_fetch_fail(f, TU_ERR_FETCH, "%s:%u: record '%s' has no value for %.*s, so "
                      "it cannot be read with target.resource.get; "
                      "give every record its %s", d->pos.file ?
                      d->pos.file : "?", d->pos.line, tu_record_label(d),
                      (int)strcspn(missing, "}") + 1, missing, c->id);
    else if (!path || tu_target_url_into(t, path, url) < 0)
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    else if (tu_rest_read_request(t, &c->get, tu_record_fields(d), url, body,
                                  why, sizeof why) < 0)
        tu_fetch_fail(f, TU_ERR_BAD_INPUT, "%s:%u: record '%s': %s",
                      d->pos.file ? d->pos.file : "?", d->pos.line,
                      tu_record_label(d), why);
    else
        rc = 0;
    free(path);
    return rc;
}

/* Read each desired record by its id, concurrently. */
static void get_each(tu_fetch *f, const tu_target *t, const rest_cfg *c)
{
    const tu_recordset *desired = tu_fetch_desired(f);
    tu_buffer url = TU_BUFFER_INIT, body = TU_BUFFER_INIT;
    tu_fetch_how how = {c->get.method, NULL, 0,
                        c->get.send == REST_SEND_FORM};

    for (size_t i = 0; i < desired->count && !tu_fetch_failed(f); i++) {
        if (get_request(f, t, &desired->items[i], &url, &body) != 0)
            break;
        how.body = c->get.send == REST_SEND_JSON ||
                           c->get.send == REST_SEND_FORM
                       ? body.data ? body.data : "" : NULL;
        how.body_len = body.len;
        tu_fetch_request(f, url.data, &how, TU_FETCH_MISSING_OK,
                         on_one_record, (void *)(uintptr_t)i);
    }
    tu_buffer_free(&url);
    tu_buffer_free(&body);
}

/* ---- starting ----------------------------------------------------------- */

/* The URL of one list at `path` (its query, when resource.list sends one,
 * added); its body, the same for every list, into rf->list_body.
 * Malloc'd, or NULL with the fetch failed. */
static char *list_url(tu_fetch *f, rest_fetch *rf, const char *path)
{
    const rest_op *op = &rf->cfg->list;
    tu_buffer url = TU_BUFFER_INIT;
    char why[512];
    int body = op->send == REST_SEND_JSON || op->send == REST_SEND_FORM;

    rf->list_body.len = 0;
    if (tu_target_url_into(rf->target, path, &url) < 0) {
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    } else if (tu_rest_read_request(rf->target, op, NULL, &url,
                                    &rf->list_body, why, sizeof why) < 0) {
        tu_fetch_fail(f, TU_ERR_BAD_INPUT, "target.resource.list: %s", why);
    } else {
        rf->list_how.method = op->method;
        rf->list_how.body = body ? rf->list_body.data ? rf->list_body.data
                                                      : "" : NULL;
        rf->list_how.body_len = rf->list_body.len;
        rf->list_how.form = op->send == REST_SEND_FORM;
        return tu_buffer_take(&url);
    }
    tu_buffer_free(&url);
    return NULL;
}

/* resource.list expanded once per combination of its variables' values. */
static int make_lists(tu_fetch *f, rest_fetch *rf)
{
    const char *missing;
    json_t *paths = tu_url_expand_each(rf->cfg->list.path, rf->target->vars,
                                       REST_MAX_LISTS, &missing);

    if (!paths) {
        if (missing)
            tu_fetch_fail(f, TU_ERR_BAD_INPUT, "target.resource.list: more than %d lists (one "
                          "per combination of the values of target.vars)",
                          REST_MAX_LISTS);
        else
            tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    rf->lists = calloc(json_array_size(paths), sizeof *rf->lists);
    for (size_t i = 0; rf->lists && i < json_array_size(paths); i++) {
        rest_list *l = &rf->lists[rf->nlists];
        l->url = list_url(f, rf, json_string_value(json_array_get(paths, i)));
        l->count = -1;
        if (!l->url)
            break;
        rf->nlists++;
    }
    if (rf->nlists < json_array_size(paths))
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    json_decref(paths);
    return tu_fetch_failed(f) ? -1 : 0;
}

/* The first page of list `i`; on_page asks for the others. */
static void start_list(tu_fetch *f, rest_fetch *rf, size_t i)
{
    const rest_paging *p = rf->pg;
    const char *url = rf->lists[i].url;
    char *first;

    switch (p->kind) {
    case PAGINATE_PAGE:
    case PAGINATE_OFFSET:
        get_numbered(f, rf, i, 1, 0, 0);
        return;
    case PAGINATE_CURSOR:
        first = with_query(url, "%s=%ld", p->per_page_param, p->per_page);
        break;
    default:
        first = strdup(url);
    }
    if (first && remember_url(rf, first) < 0)
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    else
        submit(f, first, 0, i, 1);
    free(first);
}

int tu_rest_fetch_uses_desired(const void *cfg)
{
    return ((const rest_cfg *)cfg)->get.method != NULL;
}

int tu_rest_fetch(const tu_target *t, tu_fetch *f)
{
    const rest_cfg *c = t->cfg;
    rest_fetch *rf = calloc(1, sizeof *rf);

    if (!rf) {
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    rf->target = t;
    rf->cfg = c;
    rf->pg = &c->paging;
    tu_strmap_init(&rf->visited);
    tu_fetch_set_state(f, rf, rest_fetch_free);
    if (c->get.method) {
        get_each(f, t, c);
        return tu_fetch_failed(f) ? -1 : 0;
    }
    if (make_lists(f, rf) != 0)
        return -1;
    for (size_t i = 0; i < rf->nlists && !tu_fetch_failed(f); i++)
        start_list(f, rf, i);
    return tu_fetch_failed(f) ? -1 : 0;
}
