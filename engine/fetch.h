/* fetch.h -- reading the live records through the executor.
 *
 * A run starts a fetch (tu_fetch_begin), drives the executor until nothing
 * is pending, and ends it (tu_fetch_end). The provider's fetch() submits
 * GETs with tu_fetch_get() (or another method, with a body:
 * tu_fetch_request) and, as pages arrive, hands their records to
 * tu_fetch_add_records() and submits further pages. A request that fails
 * (transport error, non-2xx status) fails the whole fetch: without the full
 * live state no plan can be trusted, so nothing will be pushed.
 *
 * Pages may complete in any order; records are ordered by the `order` given
 * with each page, so the plan and report are the same from run to run.
 */
#ifndef TU_ENGINE_FETCH_H
#define TU_ENGINE_FETCH_H

#include <stddef.h>
#include <jansson.h>
#include "trueup/trueup.h"
#include "state/record.h"
#include "executor.h"
#include "target.h"

/* Called with a 2xx response to a tu_fetch_get. */
typedef void (*tu_fetch_page_fn)(tu_fetch *fetch, const tu_http_response *resp,
                                 const char *url, void *data);

/* Flags of tu_fetch_get. */
#define TU_FETCH_HEADERS 1     /* keep the response headers (pagination) */
#define TU_FETCH_MISSING_OK 2  /* 404 and 410 go to on_page too: the
                                  record does not exist */

/* Submit a GET of `url` (absolute). 0, or -1 (the fetch is failed). */
int tu_fetch_get(tu_fetch *fetch, const char *url, unsigned flags,
                 tu_fetch_page_fn on_page, void *data);

/* How a read goes when it is not a bare GET: another method, a body
 * (Porkbun lists with a POST whose JSON body holds the API keys). */
typedef struct tu_fetch_how {
    const char *method;   /* NULL: GET; must outlive the fetch */
    const char *body;     /* NULL: none; copied */
    size_t body_len;
    int form;             /* the body is a form, not JSON */
} tu_fetch_how;

/* tu_fetch_get sent as `how` says (NULL: a GET). The read is idempotent
 * whatever its method: it is retried as a GET is. 0, or -1. */
int tu_fetch_request(tu_fetch *fetch, const char *url, const tu_fetch_how *how,
                     unsigned flags, tu_fetch_page_fn on_page, void *data);

/* The desired records of the run, for providers that read live records
 * one by one (resource.get) instead of listing them. */
const tu_recordset *tu_fetch_desired(const tu_fetch *fetch);

/* Add the records of one page (`items`: a JSON array of objects), ordered
 * by `order`. Fails the fetch on an item that is not a record or lacks a
 * key field. Each record is read, normalised, keyed and packed at once:
 * the caller may drop `items` afterwards. 0 or -1. */
int tu_fetch_add_records(tu_fetch *fetch, json_t *items, const char *url,
                         size_t order);

/* The same for one record, item `index` of page `order` (in messages):
 * a page's records are added in order, one call each, as its body is
 * parsed. `item` may be changed (read rules, normalize). 0 or -1. */
int tu_fetch_add_record(tu_fetch *fetch, json_t *item, const char *url,
                        size_t order, size_t index);

/* The same for one record as text (`len` bytes from `text` to the end of
 * its page's body; tu_page_raw_fn), read straight into packed form when
 * nothing reads or normalises live records (no `read` rule, no provider
 * normalize) and it is an object of the common shape
 * (state/packed_json.h): 1 with *used set when it was added; 0 when it is
 * to be parsed by jansson and added by tu_fetch_add_record (which says
 * what is wrong with it, if anything); -1 when the fetch failed. */
int tu_fetch_add_text(tu_fetch *fetch, const char *text, size_t len,
                      size_t *used, size_t order);

/* Fail the fetch with a kind (TU_ERR_FETCH for what the API did or said,
 * TU_ERR_BAD_INPUT for what the desired state lacks, TU_ERR_NOMEM...) and
 * a message. The first failure is kept. */
void tu_fetch_fail(tu_fetch *fetch, tu_error_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int tu_fetch_failed(const tu_fetch *fetch);

/* Per-fetch state of the provider, freed with free_fn at the end. */
void tu_fetch_set_state(tu_fetch *fetch, void *state,
                        void (*free_fn)(void *state));
void *tu_fetch_state(const tu_fetch *fetch);

/* Start reading the live records: the provider submits its first GETs to
 * `exec` (and, as pages arrive, more), each sending the executor's
 * headers `header_set` (0: its config's; tu_exec_add_headers). NULL when
 * out of memory. The target, the desired records and the executor must
 * outlive the fetch. */
tu_fetch *tu_fetch_begin(const tu_target *target,
                         const tu_recordset *desired, tu_exec *exec,
                         unsigned header_set, tu_progress_fn progress,
                         void *progress_data);

/* Once the executor has nothing pending (or has broken: exec_failed), put
 * the live records in `live` and free the fetch. 0, or -1 with err set
 * (then `live` is empty). */
int tu_fetch_end(tu_fetch *fetch, int exec_failed, tu_recordset *live,
                 tu_error *err);

#endif
