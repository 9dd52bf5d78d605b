/* fetch.c -- reading the live records (see fetch.h).
 *
 * Each read (a GET, or another method with a body: tu_fetch_request)
 * carries a small fetch_request naming the page callback. When it
 * completes, a failure fails the fetch; a success goes to the provider's
 * callback, which parses the page and may submit more GETs (a 2xx
 * answer that fails the provider's success rule is a failure too). Each record
 * of a page is read through target.fields (a field's `read` part) and the
 * provider's normalize, keyed and packed (state/packed.h) as soon as its
 * page is parsed, and its jansson form dropped: the live set grows by a
 * packed record at a time, appended in the order pages arrive, with each
 * page's range noted. Once every request has finished, the ranges are put
 * in page order (when pages arrived out of order) and the set is indexed.
 */
#include "fetch.h"
#include "util/arena.h"
#include "state/error.h"
#include "state/listpage.h"
#include "state/packed_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The records of one page: live.items[start, start + count). */
typedef struct page_range {
    size_t order;
    size_t start, count;
} page_range;

struct tu_fetch {
    const tu_target *target;
    const tu_recordset *desired;
    tu_exec *exec;
    unsigned header_set;     /* the executor's headers its requests send */
    tu_recordset live;       /* packed, appended unindexed */
    page_range *pages;
    size_t npages, cap;
    tu_keyspec spec;
    tu_buffer key;           /* reused for every record's key (labels are
                                made from keys when asked for) */
    int as_sent;             /* live records are kept as the API sends
                                them (no `read` rule, no normalize): an
                                item may be packed from its text */
    size_t submitted, done;
    tu_error error;
    void *state;
    void (*free_state)(void *state);
    tu_progress_fn progress;
    void *progress_data;
    const char *answering;   /* the method of the request whose answer
                                on_page handles (for messages), else NULL */
};

typedef struct fetch_request {
    tu_fetch *fetch;
    const char *method;      /* for messages */
    char *url;
    unsigned flags;
    tu_fetch_page_fn on_page;
    void *data;
} fetch_request;

void tu_fetch_fail(tu_fetch *f, tu_error_code code, const char *fmt, ...)
{
    va_list ap;
    if (tu_fetch_failed(f))
        return;
    f->error.code = code;
    va_start(ap, fmt);
    vsnprintf(f->error.message, sizeof f->error.message, fmt, ap);
    va_end(ap);
    tu_target_scrub(f->target, f->error.message);
}

int tu_fetch_failed(const tu_fetch *f)
{
    return f->error.code != TU_OK;
}

void tu_fetch_set_state(tu_fetch *f, void *state, void (*free_fn)(void *))
{
    f->state = state;
    f->free_state = free_fn;
}

void *tu_fetch_state(const tu_fetch *f)
{
    return f->state;
}

static void report_progress(tu_fetch *f)
{
    tu_progress p = {"fetch", f->done, f->submitted};
    if (f->progress)
        f->progress(&p, f->progress_data);
}

/* The executor finishes the requests it cancels (tu_exec_cancel, the
 * run's cancel flag) with CURLE_ABORTED_BY_CALLBACK, and nothing else. */
static tu_error_code response_error_code(const tu_http_response *r)
{
    return r->curl_code == CURLE_ABORTED_BY_CALLBACK ? TU_ERR_CANCELLED
                                                     : TU_ERR_FETCH;
}

static void fail_response(tu_fetch *f, const tu_http_response *r,
                          const fetch_request *req)
{
    tu_error_code code = response_error_code(r);
    const char *m = req->method, *url = req->url;
    char *ex;
    if (r->curl_code != CURLE_OK && r->attempts == 0) {
        tu_fetch_fail(f, code, "%s %s: %s", m, url, r->error);
        return;
    }
    if (r->curl_code != CURLE_OK && !r->body_truncated) {
        tu_fetch_fail(f, code, "%s %s: %s (after %u attempt%s)", m, url,
                      r->error, r->attempts, r->attempts == 1 ? "" : "s");
        return;
    }
    if (r->body_truncated) {
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: the response is larger than "
                      "settings.max_response_mb allows; page the list "
                      "(target.resource.paginate) or raise the limit", m,
                      url);
        return;
    }
    ex = tu_excerpt(r->body, r->body_len, 200);
    tu_fetch_fail(f, TU_ERR_FETCH,
                  "%s %s: HTTP %ld%s%s (after %u attempt%s)", m, url,
                  r->status, ex && *ex ? ": " : "", ex ? ex : "", r->attempts,
                  r->attempts == 1 ? "" : "s");
    free(ex);
}

/* A 2xx answer must pass the provider's success rule (state/answer.h):
 * one that does not fails the fetch, as a 500 does. 1 when it passes. */
static int passes_rule(tu_fetch *f, const tu_http_response *r,
                       const fetch_request *req)
{
    const tu_target *t = f->target;
    const tu_answer_rules *rules = tu_target_answers(t);
    char why[TU_ERROR_MAX];

    if (!rules || r->status < 200 || r->status > 299 ||
        tu_answer_check(&rules->success, r->status, r->body, r->body_len,
                        why, sizeof why))
        return 1;
    tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: %s", req->method, req->url, why);
    return 0;
}

static void fetch_done(const tu_http_response *r, void *data)
{
    fetch_request *req = data;
    tu_fetch *f = req->fetch;

    f->done++;
    report_progress(f);
    if (!tu_fetch_failed(f)) {
        int missing = (req->flags & TU_FETCH_MISSING_OK) &&
                      (r->status == 404 || r->status == 410);
        if (r->curl_code != CURLE_OK ||
            ((r->status < 200 || r->status > 299) && !missing))
            fail_response(f, r, req);
        else if (passes_rule(f, r, req)) {
            tu_recordset_expect(&f->live, r->body_len);
            f->answering = req->method;
            req->on_page(f, r, req->url, req->data);
            f->answering = NULL;
        }
    }
    free(req->url);
    free(req);
}

const tu_recordset *tu_fetch_desired(const tu_fetch *f)
{
    return f->desired;
}

int tu_fetch_get(tu_fetch *f, const char *url, unsigned flags,
                 tu_fetch_page_fn on_page, void *data)
{
    return tu_fetch_request(f, url, NULL, flags, on_page, data);
}

/* A malloc'd copy of how's body (NUL-ended), or NULL: none, or *oom. */
static char *body_copy(const tu_fetch_how *how, int *oom)
{
    char *body;

    *oom = 0;
    if (!how || !how->body)
        return NULL;
    if ((body = malloc(how->body_len + 1)) == NULL) {
        *oom = 1;
        return NULL;
    }
    memcpy(body, how->body, how->body_len);
    body[how->body_len] = '\0';
    return body;
}

int tu_fetch_request(tu_fetch *f, const char *url, const tu_fetch_how *how,
                     unsigned flags, tu_fetch_page_fn on_page, void *data)
{
    fetch_request *req = calloc(1, sizeof *req);
    tu_http_request http = {0};
    int oom;

    http.body = body_copy(how, &oom);
    if (oom || !req || !(req->url = strdup(url))) {
        free(req);
        free(http.body);
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    req->fetch = f;
    req->method = how && how->method ? how->method : "GET";
    req->flags = flags;
    req->on_page = on_page;
    req->data = data;
    http.method = req->method;
    http.body_len = http.body ? how->body_len : 0;
    http.form = how ? how->form : 0;
    http.url = url;
    http.idempotent = 1;
    http.want_headers = (flags & TU_FETCH_HEADERS) != 0;
    http.header_set = f->header_set;
    http.done = fetch_done;
    http.data = req;
    if (tu_exec_submit(f->exec, &http) != 0) {
        free(req->url);
        free(req);
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    f->submitted++;
    return 0;
}

/* The range the next record of page `order` goes to. NULL when out of
 * memory. */
static page_range *range_for(tu_fetch *f, size_t order)
{
    page_range *r = f->npages ? &f->pages[f->npages - 1] : NULL;

    if (r && r->order == order && r->start + r->count == f->live.count)
        return r;
    if (tu_array_grow(&f->pages, &f->cap, f->npages + 1, sizeof *f->pages,
                      16) != 0)
        return NULL;
    r = &f->pages[f->npages++];
    r->order = order;
    r->start = f->live.count;
    r->count = 0;
    return r;
}

/* Read, normalise and key one item; 0, or -1 with the fetch failed. */
static int prepare_item(tu_fetch *f, json_t *item, const char *url, size_t i)
{
    tu_error err = {0};
    const tu_provider_ops *ops = f->target->ops;
    const char *missing, *m = f->answering ? f->answering : "GET";

    if (!json_is_object(item)) {
        tu_fetch_fail(f, TU_ERR_FETCH,
                      "%s %s: item %zu of the list is %s, not a record "
                      "(check target.resource.items)", m, url, i,
                      json_is_string(item) ? "a string" : "not a mapping");
        return -1;
    }
    if (tu_field_rules_read(&f->target->fields, item) != 0) {
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (ops->normalize) {
        tu_srcpos nowhere = {NULL, 0, 0};
        if (ops->normalize(item, nowhere, f->target->cfg, &err) != 0) {
            /* the provider rejects a live item: the API's fault */
            tu_fetch_fail(f, err.code == TU_ERR_NOMEM ? err.code
                                                      : TU_ERR_FETCH,
                          "%s %s: item %zu: %s", m, url, i, err.message);
            return -1;
        }
    }
    if (tu_record_key_buf(item, &f->spec, &f->key, NULL, &missing) == 0)
        return 0;
    if (missing)
        tu_fetch_fail(f, TU_ERR_FETCH, "%s %s: item %zu has no usable key "
                      "field '%s' (check target.resource.key)", m, url, i,
                      missing);
    else
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    return -1;
}

/* Append the record keyed in f->key, packed from `item` or, when it is
 * NULL, `packed` (in the live set's store), to page `order`. 0, or -1
 * with the fetch failed. */
static int keep(tu_fetch *f, size_t order, const json_t *item,
                const tu_packed *packed)
{
    page_range *range = range_for(f, order);

    if (!range ||
        !(item ? tu_recordset_append_packed(&f->live, item, f->key.data,
                                            NULL)
               : tu_recordset_append_stored(&f->live, packed, f->key.data,
                                            NULL))) {
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    range->count++;
    return 0;
}

int tu_fetch_add_record(tu_fetch *f, json_t *item, const char *url,
                        size_t order, size_t index)
{
    if (tu_fetch_failed(f) || prepare_item(f, item, url, index) != 0)
        return -1;
    return keep(f, order, item, NULL);
}

int tu_fetch_add_text(tu_fetch *f, const char *text, size_t len,
                      size_t *used, size_t order)
{
    const tu_packed *p;
    const char *missing;
    int oom = 0;

    *used = 0;
    if (tu_fetch_failed(f))
        return -1;
    if (!f->as_sent)
        return 0;
    p = tu_pack_json_object(&f->live.store, text, len, used, &oom);
    if (p && tu_packed_key(p, &f->spec, &f->key, NULL, &missing)) {
        p = NULL;
        oom = !missing;     /* no usable key: tu_fetch_add_record says so */
    }
    if (!p) {
        *used = 0;
        if (!oom)
            return 0;
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    return keep(f, order, NULL, p) == 0 ? 1 : -1;
}

int tu_fetch_add_records(tu_fetch *f, json_t *items, const char *url,
                         size_t order)
{
    for (size_t i = 0; i < json_array_size(items); i++) {
        if (tu_fetch_add_record(f, json_array_get(items, i), url, order,
                                i) != 0)
            return -1;
    }
    return 0;
}

static int range_order(const void *a, const void *b)
{
    const page_range *x = a, *y = b;
    if (x->order != y->order)
        return (x->order > y->order) - (x->order < y->order);
    return (x->start > y->start) - (x->start < y->start);
}

static int in_order(const tu_fetch *f)
{
    for (size_t i = 1; i < f->npages; i++) {
        if (range_order(&f->pages[i - 1], &f->pages[i]) > 0)
            return 0;
    }
    return 1;
}

/* Put the records in page order, then index them. 0 or -1 (OOM). */
static int build_live_set(tu_fetch *f)
{
    tu_recordset *live = &f->live;
    tu_record *items;
    size_t n = 0;

    if (!in_order(f)) {
        if (!(items = malloc((live->count ? live->count : 1) * sizeof *items)))
            return -1;
        qsort(f->pages, f->npages, sizeof *f->pages, range_order);
        for (size_t p = 0; p < f->npages; p++) {
            memcpy(items + n, live->items + f->pages[p].start,
                   f->pages[p].count * sizeof *items);
            n += f->pages[p].count;
        }
        free(live->items);
        live->items = items;
        live->cap = live->count;
    }
    return tu_recordset_index(live);
}

static void fetch_cleanup(tu_fetch *f)
{
    tu_recordset_free(&f->live);
    tu_buffer_free(&f->key);
    free(f->pages);
    if (f->free_state)
        f->free_state(f->state);
}

tu_fetch *tu_fetch_begin(const tu_target *target,
                         const tu_recordset *desired, tu_exec *exec,
                         unsigned header_set, tu_progress_fn progress,
                         void *progress_data)
{
    tu_fetch *f = calloc(1, sizeof *f);
    const char **ignore;
    size_t nignore;

    if (!f)
        return NULL;
    f->target = target;
    f->desired = desired;
    f->exec = exec;
    f->header_set = header_set;
    f->progress = progress;
    f->progress_data = progress_data;
    f->as_sent = !target->ops->normalize &&
                 !tu_field_rules_reading(&target->fields);
    tu_recordset_init(&f->live);
    target->ops->describe(target->cfg, &f->spec, &ignore, &nignore);
    target->ops->fetch(target, f); /* a failure is kept in f->error */
    return f;
}

int tu_fetch_end(tu_fetch *f, int exec_failed, tu_recordset *live,
                 tu_error *err)
{
    int rc = -1;

    tu_recordset_init(live);
    if (exec_failed) /* what was submitted has finished, even so */
        tu_fetch_fail(f, TU_ERR_INTERNAL, "the HTTP executor failed");
    if (!tu_fetch_failed(f)) {
        if (build_live_set(f) == 0) {
            *live = f->live; /* moved */
            tu_recordset_init(&f->live);
            rc = 0;
        } else {
            tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory while indexing "
                          "%zu live records", f->live.count);
        }
    }
    if (rc != 0) {
        if (!tu_fetch_failed(f))
            tu_fetch_fail(f, TU_ERR_INTERNAL,
                          "reading the live records failed");
        tu_error_set(err, f->error.code, "%s", f->error.message);
        tu_recordset_free(live);
    }
    fetch_cleanup(f);
    free(f);
    return rc;
}
