/* listpage_array.c -- a list body that is a JSON array, read one record
 * at a time (tu_page_parse_each, listpage.h).
 *
 * Each item is offered to the caller's reader of raw text first (the live
 * records' packer), else parsed by jansson with JSON_DISABLE_EOF_CHECK
 * (each parse stops at the end of its value and says where), so only one
 * record is a jansson tree at a time: measured on a 1,000,000-record list,
 * 1.3-1.5 s against 5.0-5.7 s to build the whole tree, which spends most
 * of its time touching fresh memory. Each item's text is folded into the
 * page's fingerprint right after it is read, while it is in the cache.
 * A body that is not valid JSON is parsed whole for jansson's message.
 *
 * With TU_PAGE_GIVE_BACK, a large body's memory goes back to the system
 * behind the records read (8 MiB at a time, past its first 2 MiB), to be
 * reused by what is allocated next: a 940 MB list body then no longer
 * stands beside the records made from it. A body that turns out not to
 * be JSON after a part went back is said to be as the whole body's parse
 * would say it: the count of lines and characters of the part gone is
 * kept, and jansson parses a short text that puts it in the same state
 * at the same line and column, followed by the rest (given_back_error;
 * test_page_give_back holds the two to each other).
 */
#include "listpage.h"
#include "error.h"
#include "util/arena.h"
#include "util/json_util.h"

#include <stdlib.h>
#include <string.h>

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
    char *text, *req = tu_page_request_name(method, url, err);

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
    if ((root = json_loadb(text, size, TU_PAGE_BODY_FLAGS, &jerr)) != NULL)
        tu_page_not_one_at_a_time(method, url, err);
    else
        tu_page_not_json(req, &jerr, g->body, (size_t)(end - g->body), err);
    json_decref(root);
    free(text);
    free(req);
    return -1;
}

/* After an item: ',' and the next one, or ']' and the end. 1: an item
 * follows at *p; 0: the array ended; -1: not JSON. *st says where the
 * parse stands: where the next item starts, or where it stopped. */
static int after_item(const char **p, const char *end, stop *st)
{
    const char *q = tu_json_skip_space(*p, end);

    if (q < end && *q == ',') {
        *p = tu_json_skip_space(q + 1, end);
        st->at = *p;
        st->state = AT_COMMA;
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
    uint64_t h = TU_PAGE_FINGERPRINT_SEED;
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
        h = tu_page_fold(h, p, (size_t)n);
        p += n;
        give_back_to(g, p);
        more = after_item(&p, end, st);
    }
    page->nitems = i;
    page->items_hash = tu_page_fingerprint_done(h);
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

    tu_page_init(page);
    rc = stream_array(body, len, sink, &g, page, &st);
    if (rc != -1)
        return rc == 0 ? 0 : -1;
    if (g.given)
        return given_back_error(&g, &st, body + len, method, url, err);
    /* not valid JSON: parsed whole for the message */
    if (tu_page_parse(body, len, paths, method, url, page, err) == 0) {
        tu_page_free(page);
        tu_page_not_one_at_a_time(method, url, err);
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
