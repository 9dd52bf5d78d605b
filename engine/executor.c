/* executor.c -- a concurrency-limited HTTP executor over libcurl multi.
 *
 * How it works
 * ------------
 * A request lives in exactly one of four places:
 *
 *   queue      submitted, not yet started (a FIFO linked list);
 *   in flight  attached to a transfer whose easy handle is in the multi;
 *   retry heap waiting for its backoff to pass (a binary min-heap on the
 *              time it is due);
 *   nowhere    finished: done was called and the request freed.
 *
 * A transfer is an easy handle plus the buffers one response needs (body,
 * header text, error text). There are `concurrency` transfers, allocated
 * once; their easy handles are created on first use and kept on a free
 * list and reused, as are their buffers. Request structs come from slabs
 * of EXEC_SLAB_REQUESTS and are reused; a request that lends its URL,
 * method and body (tu_http_request.borrowed) costs no allocation of the
 * executor's, one that does not costs one (a copy of its URL and method)
 * plus the body the caller hands over. A handle keeps its options from one request to
 * the next when the two have the same shape (method, body or none,
 * headers wanted, scheme; idempotent): only the URL, the body and, with a
 * deadline, the timeout are set again (configure_easy). Any other request
 * resets the handle and sets everything. At most `concurrency` easy
 * handles are added to the multi at once: libcurl 7.88 walks every added
 * handle on each call, so adding everything and capping connections is
 * quadratic.
 *
 * The executor's event backend, executor_ev.c, keeps libcurl's view of
 * sockets and time apart from this file's requests: by default it waits in
 * libcurl's own poll and runs curl_multi_perform; for a caller's loop it
 * mirrors the sockets libcurl wants watched in an epoll set (tu_exec_fd)
 * or hands them to a watch function, drives curl_multi_socket_action, and
 * records when libcurl's timer is due (ev.curl_due_ms). One
 * tu_exec_drive() call then:
 *
 *   1. settles: polls should_stop and the run's deadline; once stopped,
 *      finishes the unsent requests and, after the grace of a cancel,
 *      aborts those in flight; otherwise starts queued requests and due
 *      retries while transfers and rate-limit tokens allow;
 *   2. waits for the sockets for at most the earliest of: the caller's
 *      limit, the libcurl deadline, the time a request can next start (a
 *      due retry or the next token, only when a transfer is free), the
 *      run's deadline, the end of the cancel grace, and 100 ms when
 *      should_stop is set;
 *   3. runs libcurl: curl_multi_perform, or each ready socket and the due
 *      timer (CURL_SOCKET_TIMEOUT) to curl_multi_socket_action (both
 *      through executor_ev.c);
 *   4. reads the finished transfers (CURLMSG_DONE), feeds AIMD, and either
 *      schedules a retry (executor_policy.h decides whether, and how long
 *      to wait) or calls done with the response and frees the request;
 *   5. settles again, to refill the freed transfers.
 * All of it is O(1) or O(log n) per request: a cancel walks the
 * `concurrency` transfers once. The clock is read twice per drive, before
 * and after the wait, and those readings serve the whole step.
 *
 * Every request sends the configured headers plus an empty "Expect:" (so
 * libcurl never waits for a 100-continue on bodies over 1 MiB); one with a
 * body also sends "Content-Type: application/json", or a form's type when
 * the request says its body is a form. The three header lists
 * are built once by tu_exec_new. Bodies go out with CURLOPT_POSTFIELDS,
 * which does not copy: the executor owns each body until done is called,
 * across retries. Redirects are not followed: a 3xx is a response. No
 * error text ever quotes a request header (they carry tokens): the texts
 * are libcurl's error buffer, which names hosts and codes but not request
 * headers, or fixed texts of ours.
 *
 * Retries and requests that are not idempotent
 * --------------------------------------------
 * executor_policy.h decides. Idempotent requests are retried after a
 * connection-level failure or HTTP 408/429/500/502/503/504. A request
 * that is not idempotent (a POST that creates) is retried only when it
 * certainly never left (resolve or connect failed, or libcurl sent no
 * request byte: CURLINFO_REQUEST_SIZE is 0) or after a 429 (refused
 * unprocessed); when it fails after it may have reached the server, done
 * gets may_have_arrived = 1 and the caller looks before sending it again.
 *
 * libcurl 7.88 itself silently re-sends a request, POST included, when a
 * *reused* connection ends before any response byte arrives, or when an
 * HTTP/2 stream is refused (Curl_retry_request in lib/transfer.c): a
 * create could be duplicated without the caller, or this file, seeing a
 * retry. So a request that is not idempotent sends its body through the
 * re-send guard of executor_conn.h: libcurl must then ask before it sends
 * the body again, and the guard allows it only for a stream HTTP/2
 * refused (never processed, RFC 9113 section 8.7); otherwise the attempt
 * fails with may_have_arrived = 1 and the caller looks. Such requests thus
 * share connections (and HTTP/2 streams) like any other. One with no body
 * at all still gets a new connection (CURLOPT_FRESH_CONNECT): its whole
 * request is one head, which the guard cannot hold back. Idempotent
 * requests' silent re-sends are harmless and are not counted in attempts.
 *
 * Pacing
 * ------
 * rate_limit: every attempt, retries included, takes a token before it
 * starts (tu_rate in executor_policy.h: evenly spaced, burst 1, 1 ms of
 * tolerance). adaptive: the transfers allowed in flight are aimd.now
 * (1..concurrency), halved on a 429 or a 503 with Retry-After, at most once
 * per window of requests that were in flight together, and grown by one
 * per aimd.now successes. Without adaptive, aimd.now stays at concurrency.
 *
 * Stopping
 * --------
 * stop is EXEC_RUNNING until the run's deadline passes (EXEC_DEADLINE) or
 * tu_exec_cancel is called, directly or because should_stop returned
 * nonzero (EXEC_CANCELLED; a cancel overrides a deadline). Once stopped,
 * nothing starts and nothing is retried; settle finishes every queued or
 * retry-waiting request with an error at once (and any submitted later, on
 * the next drive). In flight:
 *   - the deadline is enforced by libcurl: each attempt's CURLOPT_TIMEOUT_MS
 *     is cut to end at the deadline, so a server that stops answering
 *     cannot hang the run; a retry that would come due after the deadline
 *     is not waited for (the request finishes with its last response);
 *   - a cancel lets them finish until abort_at_ms (now + grace), then
 *     removes their easy handles and finishes them as cancelled.
 * tu_exec_cancel only records; done callbacks are only ever called from
 * tu_exec_drive, so cancel is safe to call from a done callback.
 *
 * The response given to done points into the transfer's buffers: it is
 * valid only during the call. done may call tu_exec_submit (it only
 * queues) and tu_exec_cancel, but must not call tu_exec_drive, tu_exec_run
 * or tu_exec_free.
 */
#include "executor.h"
#include "executor_conn.h"
#include "executor_ev.h"
#include "executor_policy.h"
#include "util/arena.h"
#include "util/buffer.h"
#include "util/clock.h"
#include "state/error.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define EXEC_MAX_CONCURRENCY 10000
/* The longest wait between two polls of should_stop. */
#define EXEC_STOP_POLL_MS 100
/* A transfer keeps a body buffer this large for the next response; a
 * larger one (after a big response) is freed. */
#define EXEC_KEEP_BODY_BYTES (1024 * 1024)

#define EXEC_CANCELLED_UNSENT "cancelled before it was sent"
#define EXEC_CANCELLED_IN_FLIGHT "cancelled while in flight"
#define EXEC_DEADLINE_UNSENT \
    "the run's deadline passed before this request was sent"
#define EXEC_DEADLINE_IN_FLIGHT \
    "the run's deadline passed while this request was in flight"
#define EXEC_RESEND_REFUSED \
    "the connection closed after the request was sent and before any " \
    "answer: it may have reached the server, so it was not sent again"

/* Why nothing more is sent: not stopped, the deadline passed, cancelled. */
enum { EXEC_RUNNING, EXEC_DEADLINE, EXEC_CANCELLED };

/* ---- data structures ------------------------------------------------- */

typedef struct exec_request {
    struct exec_request *next;  /* in the queue, or among the spares */
    char *body;                 /* NULL: none */
    size_t body_len;
    tu_http_done_fn done;
    void *data;
    long long due_ms;           /* when waiting to be retried */
    uint64_t seq;               /* its last attempt's number (for AIMD) */
    unsigned attempts;          /* tries handed to libcurl so far */
    int idempotent;
    int want_headers;
    int form;                   /* the body's Content-Type is a form's */
    unsigned header_set;        /* tu_exec_add_headers' index; 0: config */
    int borrowed;               /* url, method and body are the caller's */
    const char *url;            /* the caller's, or in owned */
    const char *method;         /* the caller's, or in owned */
    char *owned;                /* NULL, or "url\0method\0" (not borrowed) */
} exec_request;

/* Requests are allocated this many at a time and their structs reused. */
#define EXEC_SLAB_REQUESTS 256

typedef struct exec_slab {
    struct exec_slab *next;
    exec_request reqs[EXEC_SLAB_REQUESTS];
} exec_slab;

/* What one finished attempt left behind. */
typedef struct exec_attempt {
    CURLcode code;
    long status;                /* 0: no HTTP answer */
    long request_size;          /* request bytes sent; 0: none */
    curl_off_t retry_after_s;   /* the answer's Retry-After; <= 0: none */
    long connects;              /* new connections it opened */
    long version;               /* CURLINFO_HTTP_VERSION; 0: no answer */
} exec_attempt;

/* The header lists of one set of configured headers: for a request with
 * a JSON body, a form body, and none (tu_exec_add_headers). */
typedef struct exec_headers {
    struct curl_slist *with_body;
    struct curl_slist *with_form;
    struct curl_slist *without_body;
} exec_headers;

/* What a handle's options depend on besides the URL, the body and the
 * timeout: a request of the same shape as the handle's last one sets only
 * those three (see configure_easy). valid 0: no shape (a new or reset
 * handle, or a request that is not idempotent, whose re-send guard and
 * connection options are set afresh each time). */
typedef struct exec_shape {
    char method[12];
    unsigned char has_body;
    unsigned char want_headers;
    unsigned char form;
    unsigned char https;
    unsigned char valid;
    unsigned header_set;
} exec_shape;

/* Where one parsed header's name and value start in header_text. */
typedef struct exec_header_span {
    size_t name;
    size_t value;
} exec_header_span;

typedef struct exec_transfer {
    CURL *easy;                   /* NULL until first used */
    exec_request *req;            /* NULL: free */
    struct exec_transfer *next_free;
    size_t max_body_bytes;        /* the executor's cap, 0: none */
    tu_buffer body;
    tu_buffer header_text;      /* "name\0value\0" for each header */
    exec_header_span *spans;
    size_t nspans;
    size_t spans_cap;
    tu_http_header *headers;      /* built from spans when done */
    size_t headers_cap;
    int body_truncated;
    int out_of_memory;            /* a callback could not grow a buffer */
    int guarded;                  /* the body goes through guard */
    long deadline_cut_ms;         /* the attempt's timeout, when it is the
                                     time left to the deadline; else 0 */
    exec_shape shape;             /* of the handle's options */
    tu_send_guard guard;
    char errbuf[CURL_ERROR_SIZE];
} exec_transfer;

struct tu_exec {
    CURLM *multi;
    tu_exec_ev ev;                /* sockets and libcurl's timer */

    exec_transfer *transfers;     /* concurrency of them */
    exec_transfer *free_transfers;
    size_t in_flight;

    exec_request *queue_head;
    exec_request *queue_tail;
    exec_request **retry_heap;    /* min-heap on due_ms */
    size_t retry_len;
    size_t retry_cap;
    size_t pending;               /* queued + in flight + waiting */
    exec_slab *slabs;             /* every request struct, in slabs */
    exec_request *spare;          /* the unused ones */

    exec_headers *header_sets;  /* [0]: the config's; more: tu_exec_add_headers */
    size_t nheader_sets;

    size_t concurrency;
    long timeout_ms;
    long connect_timeout_ms;
    unsigned max_attempts;
    long retry_base_ms;
    long retry_max_ms;
    size_t max_body_bytes;

    tu_rate rate;                 /* the rate limit */
    tu_aimd aimd;                 /* requests allowed in flight */
    int adaptive;
    uint64_t next_seq;            /* the next attempt's number */

    int stop;                     /* EXEC_RUNNING, _DEADLINE, _CANCELLED */
    long long deadline_at_ms;     /* -1: none */
    long long abort_at_ms;        /* cancelled: when in flight ones end */
    int (*should_stop)(void *data);
    void *stop_data;
    long cancel_grace_ms;

    tu_exec_conn conn;            /* HTTP versions, connections, TLS */

    uint64_t rng;
    tu_exec_stats stats;
    int64_t now_ns;               /* the clock, read once per drive step */
};

/* ---- requests ---------------------------------------------------------- */

/* A request struct from the spares; a new slab of them when none is
 * left. NULL when out of memory. */
static exec_request *request_alloc(tu_exec *exec)
{
    exec_request *req = exec->spare;

    if (!req) {
        exec_slab *slab = malloc(sizeof *slab);
        if (!slab)
            return NULL;
        slab->next = exec->slabs;
        exec->slabs = slab;
        for (size_t i = EXEC_SLAB_REQUESTS; i-- > 0;) {
            slab->reqs[i].next = exec->spare;
            exec->spare = &slab->reqs[i];
        }
        req = exec->spare;
    }
    exec->spare = req->next;
    memset(req, 0, sizeof *req);
    return req;
}

/* Copy the URL and method of a request that does not lend them. */
static int request_own_text(exec_request *req, const char *url,
                            const char *method)
{
    size_t url_len = strlen(url), method_len = strlen(method);

    req->owned = malloc(url_len + method_len + 2);
    if (!req->owned)
        return -1;
    memcpy(req->owned, url, url_len + 1);
    memcpy(req->owned + url_len + 1, method, method_len + 1);
    req->url = req->owned;
    req->method = req->owned + url_len + 1;
    return 0;
}

static void request_free(tu_exec *exec, exec_request *req)
{
    if (!req->borrowed)
        free(req->body);
    free(req->owned);
    req->next = exec->spare;
    exec->spare = req;
}

/* NULL when out of memory (then the body is the caller's to free). */
static exec_request *request_new(tu_exec *exec, const tu_http_request *in)
{
    const char *method = in->method ? in->method : "GET";
    exec_request *req = request_alloc(exec);

    if (!req)
        return NULL;
    req->borrowed = in->borrowed != 0;
    req->url = in->url;
    req->method = method;
    if (!req->borrowed && request_own_text(req, in->url, method) < 0) {
        request_free(exec, req);
        return NULL;
    }
    req->body = in->body;
    req->body_len = in->body ? in->body_len : 0;
    req->done = in->done;
    req->data = in->data;
    req->idempotent = in->idempotent != 0;
    req->want_headers = in->want_headers != 0;
    req->form = in->form != 0;
    req->header_set = in->header_set;
    return req;
}

static void queue_push(tu_exec *exec, exec_request *req)
{
    req->next = NULL;
    if (exec->queue_tail)
        exec->queue_tail->next = req;
    else
        exec->queue_head = req;
    exec->queue_tail = req;
}

static exec_request *queue_pop(tu_exec *exec)
{
    exec_request *req = exec->queue_head;

    if (req) {
        exec->queue_head = req->next;
        if (!exec->queue_head)
            exec->queue_tail = NULL;
        req->next = NULL;
    }
    return req;
}

/* ---- the retry heap ------------------------------------------------- */

static void heap_swap(exec_request **heap, size_t a, size_t b)
{
    exec_request *t = heap[a];

    heap[a] = heap[b];
    heap[b] = t;
}

static int heap_push(tu_exec *exec, exec_request *req)
{
    exec_request **heap = exec->retry_heap;
    size_t i;

    if (tu_array_grow(&exec->retry_heap, &exec->retry_cap,
                      exec->retry_len + 1, sizeof *heap, 64) != 0)
        return -1;
    heap = exec->retry_heap;
    i = exec->retry_len++;
    heap[i] = req;
    while (i > 0 && heap[(i - 1) / 2]->due_ms > heap[i]->due_ms) {
        heap_swap(heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    return 0;
}

static exec_request *heap_pop(tu_exec *exec)
{
    exec_request **heap = exec->retry_heap;
    exec_request *top = heap[0];
    size_t i = 0, n = --exec->retry_len;

    heap[0] = heap[n];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, least = i;
        if (l < n && heap[l]->due_ms < heap[least]->due_ms)
            least = l;
        if (r < n && heap[r]->due_ms < heap[least]->due_ms)
            least = r;
        if (least == i)
            break;
        heap_swap(heap, i, least);
        i = least;
    }
    return top;
}

/* The next request to start, due retries first; NULL when none. */
static exec_request *take_ready_request(tu_exec *exec, long long now)
{
    if (exec->retry_len && exec->retry_heap[0]->due_ms <= now)
        return heap_pop(exec);
    return queue_pop(exec);
}

/* ---- transfers ----------------------------------------------------- */

static exec_transfer *transfer_take(tu_exec *exec)
{
    exec_transfer *xfer = exec->free_transfers;

    exec->free_transfers = xfer->next_free;
    xfer->next_free = NULL;
    return xfer;
}

/* Put a transfer back on the free list, emptied for its next request. */
static void transfer_release(tu_exec *exec, exec_transfer *xfer)
{
    xfer->req = NULL;
    tu_buffer_clear(&xfer->body, EXEC_KEEP_BODY_BYTES);
    tu_buffer_clear(&xfer->header_text, EXEC_KEEP_BODY_BYTES);
    xfer->nspans = 0;
    xfer->body_truncated = 0;
    xfer->out_of_memory = 0;
    xfer->guarded = 0;
    xfer->errbuf[0] = '\0';
    xfer->next_free = exec->free_transfers;
    exec->free_transfers = xfer;
}

static void transfer_free_buffers(exec_transfer *xfer)
{
    tu_buffer_free(&xfer->body);
    tu_buffer_free(&xfer->header_text);
    free(xfer->spans);
    free(xfer->headers);
    xfer->spans = NULL;
    xfer->headers = NULL;
}

/* A body's first bytes: room for all of it when the server said how much
 * (Content-Length), so that a list of 100 MB is not copied each time its
 * buffer doubles. A failure here is left to the appends to report. */
static void reserve_body(exec_transfer *xfer, size_t max)
{
    curl_off_t n = -1;

    if (xfer->body.len == 0 &&
        curl_easy_getinfo(xfer->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                          &n) == CURLE_OK &&
        n > 0 && (uint64_t)n < SIZE_MAX / 2 && (!max || (size_t)n <= max))
        (void)tu_buffer_reserve(&xfer->body, (size_t)n);
}

/* libcurl's write callback: append to the body, up to the cap. */
static size_t on_body(char *bytes, size_t size, size_t nmemb, void *userp)
{
    exec_transfer *xfer = userp;
    size_t len = size * nmemb, max = xfer->max_body_bytes;

    reserve_body(xfer, max);
    if (max && len > max - xfer->body.len) {
        if (tu_buffer_add(&xfer->body, bytes, max - xfer->body.len) < 0)
            xfer->out_of_memory = 1;
        xfer->body_truncated = 1;
        return 0;  /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (tu_buffer_add(&xfer->body, bytes, len) < 0) {
        xfer->out_of_memory = 1;
        return 0;
    }
    return len;
}

static int add_header_span(exec_transfer *xfer, size_t name, size_t value)
{
    if (tu_array_grow(&xfer->spans, &xfer->spans_cap, xfer->nspans + 1,
                      sizeof *xfer->spans, 16) != 0)
        return -1;
    xfer->spans[xfer->nspans].name = name;
    xfer->spans[xfer->nspans].value = value;
    xfer->nspans++;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Keep one "Name: value" line; lines without a colon are skipped. */
static int keep_header_line(exec_transfer *xfer, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    const char *value, *end = line + len;
    size_t name_at, value_at;

    if (!colon || colon == line || is_blank(line[0]))
        return 0;  /* a blank line, a folded line, or no header */
    value = colon + 1;
    while (value < end && is_blank(*value))
        value++;
    while (end > value && is_blank(end[-1]))
        end--;
    name_at = xfer->header_text.len;
    if (tu_buffer_add(&xfer->header_text, line, (size_t)(colon - line)) < 0 ||
        tu_buffer_add(&xfer->header_text, "", 1) < 0)
        return -1;
    value_at = xfer->header_text.len;
    if (tu_buffer_add(&xfer->header_text, value, (size_t)(end - value)) < 0 ||
        tu_buffer_add(&xfer->header_text, "", 1) < 0)
        return -1;
    return add_header_span(xfer, name_at, value_at);
}

/* libcurl's header callback, set only when headers are wanted. A status
 * line starts a new response (a 100 Continue, a redirect): forget the
 * headers seen so far. */
static size_t on_header(char *line, size_t size, size_t nmemb, void *userp)
{
    exec_transfer *xfer = userp;
    size_t len = size * nmemb;

    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        xfer->header_text.len = 0;
        xfer->nspans = 0;
        return len;
    }
    if (keep_header_line(xfer, line, len) < 0) {
        xfer->out_of_memory = 1;
        return 0;
    }
    return len;
}

/* ---- easy handle options ------------------------------------------- */

static int method_is(const exec_request *req, const char *method)
{
    return strcmp(req->method, method) == 0;
}

/* POST, PUT and PATCH always carry a body, if only an empty one. */
static int request_has_body(const exec_request *req)
{
    return req->body || method_is(req, "POST") || method_is(req, "PUT") ||
           method_is(req, "PATCH");
}

/* A request that is not idempotent sends its body through the re-send
 * guard (executor_conn.h); one without a body gets a new connection,
 * where libcurl has nothing to silently re-send it on. */
static CURLcode set_guarded_body(exec_transfer *xfer)
{
    exec_request *req = xfer->req;

    if (req->body_len == 0)
        return CURLE_AGAIN;
    xfer->guarded = 1;
    return tu_send_guard_set(&xfer->guard, xfer->easy, req->method,
                             req->body, req->body_len, xfer->errbuf);
}

static CURLcode set_method_and_body(exec_transfer *xfer)
{
    CURL *easy = xfer->easy;
    const exec_request *req = xfer->req;
    CURLcode rc;

    if (!req->idempotent && (rc = set_guarded_body(xfer)) != CURLE_AGAIN)
        return rc;
    if (!req->idempotent &&
        (rc = curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L)) != CURLE_OK)
        return rc;
    if (request_has_body(req)) {
        rc = curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)req->body_len);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(easy, CURLOPT_POSTFIELDS,
                                  req->body ? req->body : "");
        if (rc == CURLE_OK && !method_is(req, "POST"))
            rc = curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req->method);
        return rc;
    }
    if (method_is(req, "HEAD"))
        return curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    rc = curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    if (rc == CURLE_OK && !method_is(req, "GET"))
        rc = curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req->method);
    return rc;
}

static CURLcode set_header_callbacks(CURL *easy, exec_transfer *xfer)
{
    CURLcode rc = CURLE_OK;

    if (xfer->req->want_headers)
        rc = curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK && xfer->req->want_headers)
        rc = curl_easy_setopt(easy, CURLOPT_HEADERDATA, xfer);
    return rc;
}

/* The request's whole timeout: timeout_ms, cut so that it ends by the
 * run's deadline (at least 1 ms: 0 would mean none). 0: none. */
static long request_timeout_ms(const tu_exec *exec)
{
    long long left;

    if (exec->deadline_at_ms < 0)
        return exec->timeout_ms;
    left = exec->deadline_at_ms - tu_clock_ms();
    if (left < 1)
        left = 1;
    if (exec->timeout_ms > 0 && exec->timeout_ms < left)
        return exec->timeout_ms;
    return left > LONG_MAX ? LONG_MAX : (long)left;
}

/* The options every request on a handle shares: set once for a new or
 * reset handle. */
static CURLcode set_handle_options(const tu_exec *exec, exec_transfer *xfer)
{
    CURL *easy = xfer->easy;
    CURLcode rc = curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)xfer);

    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, xfer->errbuf);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_WRITEDATA, xfer);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    if (rc == CURLE_OK && exec->connect_timeout_ms > 0)
        rc = curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                              exec->connect_timeout_ms);
    return rc;
}

/* The options the request's shape decides (exec_shape): headers, method
 * (and, this once, its body), header callbacks, HTTP version and TLS. */
static CURLcode set_shape_options(const tu_exec *exec, exec_transfer *xfer)
{
    const exec_request *req = xfer->req;
    const exec_headers *set = &exec->header_sets[
        req->header_set < exec->nheader_sets ? req->header_set : 0];
    struct curl_slist *headers = !request_has_body(req) ? set->without_body
                                 : req->form ? set->with_form
                                             : set->with_body;
    CURLcode rc = curl_easy_setopt(xfer->easy, CURLOPT_HTTPHEADER, headers);

    if (rc == CURLE_OK)
        rc = set_method_and_body(xfer);
    if (rc == CURLE_OK)
        rc = set_header_callbacks(xfer->easy, xfer);
    if (rc == CURLE_OK)
        rc = tu_exec_conn_set(&exec->conn, xfer->easy, req->url);
    return rc;
}

/* What differs between requests of one shape: the URL, the body (unless
 * `fresh`: set_shape_options has just set it) and the timeout (when a
 * deadline cuts it, or on a fresh handle). */
static CURLcode set_request_options(const tu_exec *exec, exec_transfer *xfer,
                                    int fresh)
{
    CURL *easy = xfer->easy;
    const exec_request *req = xfer->req;
    const char *url = req->url;
    CURLcode rc = curl_easy_setopt(easy, CURLOPT_URL, url);
    long timeout_ms;

    xfer->deadline_cut_ms = 0;
    if (rc == CURLE_OK && !fresh && request_has_body(req)) {
        rc = curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)req->body_len);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(easy, CURLOPT_POSTFIELDS,
                                  req->body ? req->body : "");
    }
    if (rc != CURLE_OK || (!fresh && exec->deadline_at_ms < 0))
        return rc;
    timeout_ms = request_timeout_ms(exec);
    if (exec->deadline_at_ms >= 0 && timeout_ms != exec->timeout_ms)
        xfer->deadline_cut_ms = timeout_ms;
    return curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                            timeout_ms > 0 ? timeout_ms : 0L);
}

/* The shape of a request; valid 0 for one that is not idempotent (its
 * re-send guard or new connection is set up afresh each time) or whose
 * method does not fit. */
static void shape_of(const exec_request *req, exec_shape *shape)
{
    size_t len = strlen(req->method);

    memset(shape, 0, sizeof *shape);
    if (!req->idempotent || len >= sizeof shape->method)
        return;
    memcpy(shape->method, req->method, len);
    shape->has_body = (unsigned char)request_has_body(req);
    shape->want_headers = (unsigned char)req->want_headers;
    shape->form = (unsigned char)req->form;
    shape->https = strncasecmp(req->url, "https://", 8) == 0;
    shape->header_set = req->header_set;
    shape->valid = 1;
}

/* Give the transfer a ready easy handle: a new one, or its old one reset. */
static CURLcode prepare_easy(exec_transfer *xfer)
{
    if (xfer->easy) {
        curl_easy_reset(xfer->easy);
        return CURLE_OK;
    }
    xfer->easy = curl_easy_init();
    return xfer->easy ? CURLE_OK : CURLE_OUT_OF_MEMORY;
}

/* Set the options of the transfer's handle for its request. A request of
 * the same shape as the handle's last one sets only its URL, body and
 * (with a deadline) timeout: no curl_easy_reset, and none of the dozen
 * options, some of them copied strings, that every request would
 * otherwise set again. Any other request resets the handle and sets
 * everything. */
static CURLcode configure_easy(const tu_exec *exec, exec_transfer *xfer)
{
    exec_shape shape;
    CURLcode rc;

    shape_of(xfer->req, &shape);
    if (xfer->easy && shape.valid &&
        memcmp(&shape, &xfer->shape, sizeof shape) == 0)
        return set_request_options(exec, xfer, 0);
    xfer->shape.valid = 0;
    rc = prepare_easy(xfer);
    if (rc == CURLE_OK)
        rc = set_handle_options(exec, xfer);
    if (rc == CURLE_OK)
        rc = set_shape_options(exec, xfer);
    if (rc == CURLE_OK)
        rc = set_request_options(exec, xfer, 1);
    if (rc == CURLE_OK)
        xfer->shape = shape;
    return rc;
}

/* ---- finishing ----------------------------------------------------- */

static const char *response_error_text(exec_transfer *xfer, CURLcode code)
{
    if (xfer->out_of_memory)
        return "out of memory while receiving the response";
    if (xfer->body_truncated) {
        snprintf(xfer->errbuf, sizeof xfer->errbuf,
                 "response body larger than max_body_bytes (%zu)",
                 xfer->max_body_bytes);
        return xfer->errbuf;
    }
    if (xfer->errbuf[0])
        return xfer->errbuf;
    return code == CURLE_OK ? "" : curl_easy_strerror(code);
}

/* Point the transfer's header array at its header text. Returns the
 * count, 0 when the array cannot grow (headers are then dropped). */
static size_t build_headers(exec_transfer *xfer)
{
    size_t i;

    if (xfer->nspans > xfer->headers_cap) {
        tu_http_header *headers =
            realloc(xfer->headers, xfer->nspans * sizeof *headers);
        if (!headers)
            return 0;
        xfer->headers = headers;
        xfer->headers_cap = xfer->nspans;
    }
    for (i = 0; i < xfer->nspans; i++) {
        xfer->headers[i].name = xfer->header_text.data + xfer->spans[i].name;
        xfer->headers[i].value = xfer->header_text.data + xfer->spans[i].value;
    }
    return xfer->nspans;
}

static void fill_response(exec_transfer *xfer, CURLcode code, long status,
                          tu_http_response *resp)
{
    static char empty[1] = "";

    memset(resp, 0, sizeof *resp);
    resp->status = status;
    resp->curl_code = code;
    resp->error = response_error_text(xfer, code);
    resp->body = xfer->body.data ? xfer->body.data : empty;
    resp->body_len = xfer->body.len;
    resp->body_truncated = xfer->body_truncated;
    resp->attempts = xfer->req->attempts;
    if (xfer->req->want_headers) {
        resp->nheaders = build_headers(xfer);
        resp->headers = resp->nheaders ? xfer->headers : NULL;
    }
}

/* The request is over: count it, call done, free the request. */
static void deliver(tu_exec *exec, exec_request *req,
                    const tu_http_response *resp)
{
    exec->pending--;
    exec->stats.finished++;
    if (req->done)
        req->done(resp, req->data);
    request_free(exec, req);
}

static int deadline_passed(const tu_exec *exec)
{
    return exec->deadline_at_ms >= 0 && tu_clock_ms() >= exec->deadline_at_ms;
}

/* An attempt timed out: was it the run's deadline? Yes when our clock
 * says it has passed, and also when the attempt's timeout was the time
 * left to the deadline (and no shorter connect timeout could have ended
 * it first): libcurl ended it by its own reading of the clock, which once
 * in some 15 runs of test_faults came while tu_clock_ms() was still short
 * of the deadline. Then the deadline counts as passed from now on, so
 * that no request starts after an attempt that ended at it. */
static int timed_out_at_deadline(tu_exec *exec, const exec_transfer *xfer)
{
    if (xfer->deadline_cut_ms > 0 &&
        (exec->connect_timeout_ms <= 0 ||
         exec->connect_timeout_ms >= xfer->deadline_cut_ms) &&
        exec->stop == EXEC_RUNNING)
        exec->stop = EXEC_DEADLINE;
    return exec->stop == EXEC_DEADLINE || deadline_passed(exec);
}

/* The request on a transfer is over: call done with its last attempt's
 * response (error, when not NULL, replaces the error text), then free the
 * request and the transfer. */
static void finish_request(tu_exec *exec, exec_transfer *xfer,
                           const exec_attempt *att, const char *error)
{
    exec_request *req = xfer->req;
    tu_http_response resp;

    fill_response(xfer, att->code, att->status, &resp);
    resp.may_have_arrived = tu_may_have_arrived(att->code, att->status,
                                                req->idempotent,
                                                att->request_size);
    if (error)
        resp.error = error;
    else if (att->code == CURLE_OPERATION_TIMEDOUT &&
             timed_out_at_deadline(exec, xfer))
        resp.error = EXEC_DEADLINE_IN_FLIGHT;
    else if (xfer->guarded && xfer->guard.refused)
        resp.error = EXEC_RESEND_REFUSED;
    deliver(exec, req, &resp);
    transfer_release(exec, xfer);
}

/* A request that was not in flight is over, unsent this time. */
static void finish_unsent_request(tu_exec *exec, exec_request *req,
                                  CURLcode code, const char *error)
{
    static char empty[1] = "";
    tu_http_response resp;

    memset(&resp, 0, sizeof resp);
    resp.curl_code = code;
    resp.error = error;
    resp.body = empty;
    resp.attempts = req->attempts;
    deliver(exec, req, &resp);
}

/* When to try the request again, or -1 when the run's deadline would
 * pass first (then it is not worth waiting for). */
static long long retry_due_ms(tu_exec *exec, const exec_request *req,
                              curl_off_t retry_after_s)
{
    long delay = tu_retry_delay_ms(req->attempts, exec->retry_base_ms,
                                   exec->retry_max_ms, retry_after_s,
                                   &exec->rng);
    long long due = tu_clock_ms() + delay;

    if (exec->deadline_at_ms >= 0 && due >= exec->deadline_at_ms)
        return -1;
    return due;
}

/* Put the request on the retry heap. Returns 0, or -1 when it will not be
 * retried after all (the deadline, or out of memory). */
static int schedule_retry(tu_exec *exec, exec_request *req,
                          curl_off_t retry_after_s)
{
    long long due = retry_due_ms(exec, req, retry_after_s);

    if (due < 0)
        return -1;
    req->due_ms = due;
    return heap_push(exec, req);
}

static int should_retry(const tu_exec *exec, const exec_transfer *xfer,
                        const exec_attempt *att)
{
    if (exec->stop != EXEC_RUNNING ||
        xfer->req->attempts >= exec->max_attempts || xfer->body_truncated ||
        xfer->out_of_memory)
        return 0;
    return tu_retry_wanted(att->code, att->status, xfer->req->idempotent,
                           att->request_size);
}

/* AIMD: a congestion signal halves the requests allowed in flight, a
 * success may add one. */
static void adapt_concurrency(tu_exec *exec, const exec_request *req,
                              const exec_attempt *att)
{
    if (!exec->adaptive)
        return;
    if (tu_aimd_is_congestion(att->status, att->retry_after_s))
        tu_aimd_congested(&exec->aimd, req->seq, exec->next_seq);
    else if (tu_aimd_is_success(att->code, att->status))
        tu_aimd_succeeded(&exec->aimd);
}

static void read_attempt(exec_transfer *xfer, CURLcode code,
                         exec_attempt *att)
{
    CURL *easy = xfer->easy;

    memset(att, 0, sizeof *att);
    att->code = code;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &att->status);
    curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &att->request_size);
    curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &att->retry_after_s);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &att->connects);
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &att->version);
    /* The guard refused a re-send: the request had gone out whole. */
    if (xfer->guarded && xfer->guard.refused && att->request_size < 1)
        att->request_size = 1;
}

/* Count the connections an attempt opened and its HTTP version. */
static void count_attempt(tu_exec *exec, const exec_transfer *xfer,
                          const exec_attempt *att)
{
    int v = att->version == CURL_HTTP_VERSION_1_0   ? 0
            : att->version == CURL_HTTP_VERSION_1_1 ? 1
            : att->version == CURL_HTTP_VERSION_2_0 ? 2
            : att->version == CURL_HTTP_VERSION_3   ? 3
                                                    : -1;

    if (att->connects > 0)
        exec->stats.connections += (size_t)att->connects;
    if (v >= 0)
        exec->stats.by_version[v]++;
    if (xfer->guarded && xfer->guard.refused)
        exec->stats.resends_refused++;
    if (xfer->guarded)
        exec->stats.resends_allowed += xfer->guard.allowed;
}

/* A transfer left the multi: retry its request, or finish it. */
static void on_transfer_done(tu_exec *exec, exec_transfer *xfer, CURLcode code)
{
    exec_attempt att;

    read_attempt(xfer, code, &att);
    count_attempt(exec, xfer, &att);
    curl_multi_remove_handle(exec->multi, xfer->easy);
    exec->in_flight--;
    adapt_concurrency(exec, xfer->req, &att);
    if (should_retry(exec, xfer, &att) &&
        schedule_retry(exec, xfer->req, att.retry_after_s) == 0) {
        transfer_release(exec, xfer);
        return;
    }
    finish_request(exec, xfer, &att, NULL);
}

static void read_finished_transfers(tu_exec *exec)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(exec->multi, &left))) {
        char *xfer = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &xfer);
        on_transfer_done(exec, (exec_transfer *)(void *)xfer,
                         msg->data.result);
    }
}

/* ---- starting ------------------------------------------------------ */

/* Hand a request to libcurl on a free transfer; on failure, finish it with
 * the error as its response. */
static void start_request(tu_exec *exec, exec_request *req)
{
    exec_transfer *xfer = transfer_take(exec);
    CURLcode rc;

    xfer->req = req;
    req->attempts++;
    req->seq = exec->next_seq++;
    rc = configure_easy(exec, xfer);
    if (rc == CURLE_OK &&
        curl_multi_add_handle(exec->multi, xfer->easy) != CURLM_OK)
        rc = CURLE_OUT_OF_MEMORY;
    if (rc != CURLE_OK) {
        exec_attempt att = {rc, 0, 0, 0, 0, 0};
        finish_request(exec, xfer, &att, NULL);
        return;
    }
    exec->in_flight++;
    exec->stats.requests++;
    if (req->attempts > 1)
        exec->stats.retries++;
}

/* Requests allowed in flight now: concurrency, or less when adaptive. */
static size_t in_flight_limit(const tu_exec *exec)
{
    return (size_t)exec->aimd.now;
}

static int can_start(const tu_exec *exec)
{
    return exec->stop == EXEC_RUNNING &&
           exec->in_flight < in_flight_limit(exec);
}

/* Start queued requests and due retries while transfers and the rate
 * limit allow. */
static void start_ready_requests(tu_exec *exec)
{
    int64_t now = exec->now_ns;
    long long ms = now / 1000000;

    while (can_start(exec) && tu_rate_wait_ns(&exec->rate, now) == 0) {
        exec_request *req = take_ready_request(exec, ms);
        if (!req)
            break;
        tu_rate_take(&exec->rate, now);
        start_request(exec, req);
    }
}

/* ---- stopping: the deadline and cancellation ------------------------ */

void tu_exec_cancel(tu_exec *exec, long grace_ms)
{
    long long at = tu_clock_ms() + (grace_ms > 0 ? grace_ms : 0);

    if (exec->stop != EXEC_CANCELLED || at < exec->abort_at_ms)
        exec->abort_at_ms = at;
    exec->stop = EXEC_CANCELLED;
}

/* Poll should_stop, and see whether the deadline has passed. */
static void check_stop(tu_exec *exec)
{
    if (exec->stop != EXEC_CANCELLED && exec->should_stop &&
        exec->should_stop(exec->stop_data))
        tu_exec_cancel(exec, exec->cancel_grace_ms);
    if (exec->stop == EXEC_RUNNING && deadline_passed(exec))
        exec->stop = EXEC_DEADLINE;
}

/* Once stopped, finish every request that is not in flight: those queued
 * or waiting to be retried now (not those their done calls submit: they
 * wait for the next drive, so that this loop ends). */
static void finish_unsent(tu_exec *exec)
{
    int cancelled = exec->stop == EXEC_CANCELLED;
    CURLcode code = cancelled ? CURLE_ABORTED_BY_CALLBACK
                              : CURLE_OPERATION_TIMEDOUT;
    const char *error = cancelled ? EXEC_CANCELLED_UNSENT
                                  : EXEC_DEADLINE_UNSENT;
    size_t n = exec->pending - exec->in_flight;

    if (exec->stop == EXEC_RUNNING)
        return;
    while (n-- > 0) {
        exec_request *req = exec->retry_len ? heap_pop(exec)
                                            : queue_pop(exec);
        if (!req)
            break;
        finish_unsent_request(exec, req, code, error);
    }
}

/* Cancelled and the grace is over: abort the requests in flight. */
static void abort_overdue(tu_exec *exec)
{
    size_t i;

    if (exec->stop != EXEC_CANCELLED || exec->in_flight == 0 ||
        tu_clock_ms() < exec->abort_at_ms)
        return;
    for (i = 0; i < exec->concurrency && exec->in_flight > 0; i++) {
        exec_transfer *xfer = &exec->transfers[i];
        exec_attempt att = {CURLE_ABORTED_BY_CALLBACK, 0, 0, 0, 0, 0};
        if (!xfer->req)
            continue;
        curl_easy_getinfo(xfer->easy, CURLINFO_REQUEST_SIZE,
                          &att.request_size);
        curl_multi_remove_handle(exec->multi, xfer->easy);
        exec->in_flight--;
        finish_request(exec, xfer, &att, EXEC_CANCELLED_IN_FLIGHT);
    }
}

/* Everything a drive does apart from libcurl's own work. */
static void settle(tu_exec *exec)
{
    check_stop(exec);
    finish_unsent(exec);
    abort_overdue(exec);
    start_ready_requests(exec);
}

/* ---- driving ------------------------------------------------------- */

static long min_wait(long a, long long b)
{
    if (b < 0)
        b = 0;
    if (b > LONG_MAX)
        b = LONG_MAX;
    return a < 0 || b < a ? (long)b : a;
}

/* How long until a request could start, the rate limit included; -1:
 * none is waiting, or none may start. */
static long long start_wait_ms(const tu_exec *exec, int64_t now)
{
    long long now_in_ms = now / 1000000, wait, token;

    if (!can_start(exec))
        return -1;
    if (exec->queue_head)
        wait = 0;
    else if (exec->retry_len)
        wait = exec->retry_heap[0]->due_ms - now_in_ms;
    else
        return -1;
    token = (tu_rate_wait_ns(&exec->rate, now) + 999999) / 1000000;
    return wait > token ? wait : token;
}

/* How long until stopping has work: the deadline, the end of the grace,
 * the next poll of should_stop; -1: none. */
static long stop_wait_ms(const tu_exec *exec, long long now)
{
    long limit = -1;

    if (exec->stop == EXEC_RUNNING && exec->deadline_at_ms >= 0)
        limit = min_wait(limit, exec->deadline_at_ms - now);
    if (exec->stop == EXEC_CANCELLED && exec->in_flight > 0)
        limit = min_wait(limit, exec->abort_at_ms - now);
    if (exec->stop != EXEC_CANCELLED && exec->should_stop)
        limit = min_wait(limit, EXEC_STOP_POLL_MS);
    return limit;
}

/* How long drive may sleep: -1 (until a socket event) or ms. */
static long wait_limit_ms(const tu_exec *exec, long limit, int64_t now)
{
    long long start, stop;

    if (exec->pending == 0)
        return 0;
    if (exec->stop != EXEC_RUNNING && exec->pending > exec->in_flight)
        return 0;  /* unsent requests to finish */
    start = start_wait_ms(exec, now);
    if (start == 0)
        return 0;
    if (start > 0)
        limit = min_wait(limit, start);
    if (exec->ev.curl_due_ms >= 0)
        limit = min_wait(limit, exec->ev.curl_due_ms - now / 1000000);
    stop = stop_wait_ms(exec, now / 1000000);
    return stop >= 0 ? min_wait(limit, stop) : limit;
}

/* A negative timeout_ms waits as long as it takes. The clock is read
 * twice: before the wait and after it (settle, the wait's limit and
 * libcurl's timer use those readings). */
int tu_exec_drive(tu_exec *exec, long timeout_ms)
{
    exec->now_ns = tu_clock_ns();
    settle(exec);
    if (tu_exec_ev_wait(&exec->ev, wait_limit_ms(exec, timeout_ms,
                                                 exec->now_ns)) < 0)
        return -1;
    exec->now_ns = tu_clock_ns();
    if (tu_exec_ev_timer(&exec->ev, exec->now_ns / 1000000) < 0)
        return -1;
    read_finished_transfers(exec);
    settle(exec);
    return 0;
}

int tu_exec_watch(tu_exec *exec, tu_exec_watch_fn watch, void *data)
{
    return tu_exec_ev_set_watch(&exec->ev, watch, data);
}

/* A drive without the wait: one ready socket (fd >= 0), and the timer. */
static int drive_ready(tu_exec *exec, int fd, int events)
{
    exec->now_ns = tu_clock_ns();
    settle(exec);
    if (fd >= 0 && tu_exec_ev_socket(&exec->ev, fd, events) < 0)
        return -1;
    exec->now_ns = tu_clock_ns();
    if (tu_exec_ev_timer(&exec->ev, exec->now_ns / 1000000) < 0)
        return -1;
    read_finished_transfers(exec);
    settle(exec);
    return 0;
}

int tu_exec_socket_ready(tu_exec *exec, int fd, int events)
{
    return drive_ready(exec, fd < 0 ? -1 : fd, events);
}

int tu_exec_timer(tu_exec *exec)
{
    return drive_ready(exec, -1, 0);
}

int tu_exec_run(tu_exec *exec)
{
    while (exec->pending > 0)
        if (tu_exec_drive(exec, -1) < 0)
            return -1;
    return 0;
}

int tu_exec_fd(tu_exec *exec)
{
    return tu_exec_ev_fd(&exec->ev);
}

long tu_exec_timeout_ms(const tu_exec *exec)
{
    if (exec->pending == 0)
        return -1;
    return wait_limit_ms(exec, -1, tu_clock_ns());
}

/* ---- submitting and stats ------------------------------------------ */

int tu_exec_submit(tu_exec *exec, const tu_http_request *in)
{
    exec_request *req;

    if (!in->url || !(req = request_new(exec, in))) {
        if (!in->borrowed)
            free(in->body);
        return -1;
    }
    queue_push(exec, req);
    exec->pending++;
    return 0;
}

size_t tu_exec_pending(const tu_exec *exec)
{
    return exec->pending;
}

const char *const tu_exec_version_names[TU_EXEC_VERSIONS] = {
    "HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3"};

void tu_exec_stats_get(const tu_exec *exec, tu_exec_stats *stats)
{
    *stats = exec->stats;
    stats->concurrency_now = exec->aimd.now;
    stats->concurrency_min = exec->aimd.min;
}

const char *tu_http_response_header(const tu_http_response *resp,
                                    const char *name)
{
    size_t i;

    for (i = 0; i < resp->nheaders; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

/* ---- creating and freeing ------------------------------------------ */

void tu_exec_config_init(tu_exec_config *config)
{
    memset(config, 0, sizeof *config);
    config->concurrency = 16;
    config->timeout_ms = 30000;
    config->connect_timeout_ms = 10000;
    config->max_attempts = 4;
    config->retry_base_ms = 200;
    config->retry_max_ms = 10000;
    config->max_body_bytes = (size_t)256 * 1024 * 1024;
    config->headers = NULL;
    config->cancel_grace_ms = 5000;
}

static int check_config(const tu_exec_config *config, tu_error *err)
{
    if (config->concurrency < 1 ||
        config->concurrency > EXEC_MAX_CONCURRENCY) {
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "executor: concurrency must be between 1 and %d "
                     "(got %ld)", EXEC_MAX_CONCURRENCY, config->concurrency);
        return -1;
    }
    if (config->max_attempts < 1) {
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "executor: max_attempts must be at least 1");
        return -1;
    }
    if (config->timeout_ms < 0 || config->connect_timeout_ms < 0 ||
        config->retry_base_ms < 0 || config->retry_max_ms < 0 ||
        config->deadline_ms < 0 || config->cancel_grace_ms < 0) {
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "executor: timeouts, deadlines and retry delays "
                     "must not be negative");
        return -1;
    }
    if (!(config->rate_limit >= 0 && config->rate_limit <= TU_RATE_MAX)) {
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "executor: rate_limit must be between 0 and %.0f "
                     "requests per second", TU_RATE_MAX);
        return -1;
    }
    return 0;
}

static int header_named(const struct curl_slist *list, const char *name)
{
    size_t len = strlen(name);

    for (; list; list = list->next)
        if (strncasecmp(list->data, name, len) == 0 &&
            (list->data[len] == ':' || list->data[len] == ';'))
            return 1;
    return 0;
}

static struct curl_slist *append_or_free(struct curl_slist *list,
                                         const char *line)
{
    struct curl_slist *more = curl_slist_append(list, line);

    if (!more)
        curl_slist_free_all(list);
    return more;
}

/* The configured headers, plus an empty Expect: and, for requests with a
 * body, `content_type` (NULL: none) unless configured otherwise. */
static struct curl_slist *build_header_list(const struct curl_slist *config,
                                            const char *content_type)
{
    struct curl_slist *list = NULL;
    const struct curl_slist *h;

    for (h = config; h; h = h->next)
        if (!(list = append_or_free(list, h->data)))
            return NULL;
    if (!header_named(config, "Expect") && !(list = append_or_free(list, "Expect:")))
        return NULL;
    if (content_type && !header_named(config, "Content-Type"))
        list = append_or_free(list, content_type);
    return list;
}

long tu_exec_add_headers(tu_exec *exec, const struct curl_slist *headers)
{
    exec_headers *sets = realloc(exec->header_sets,
                                 (exec->nheader_sets + 1) * sizeof *sets);
    exec_headers *set;

    if (!sets)
        return -1;
    exec->header_sets = sets;
    set = &sets[exec->nheader_sets];
    set->with_body = build_header_list(headers,
                                       "Content-Type: application/json");
    set->with_form = build_header_list(
        headers, "Content-Type: application/x-www-form-urlencoded");
    set->without_body = build_header_list(headers, NULL);
    if (!set->with_body || !set->with_form || !set->without_body) {
        curl_slist_free_all(set->with_body);
        curl_slist_free_all(set->with_form);
        curl_slist_free_all(set->without_body);
        return -1;
    }
    return (long)exec->nheader_sets++;
}

static void copy_limits(tu_exec *exec, const tu_exec_config *config)
{
    exec->concurrency = (size_t)config->concurrency;
    exec->timeout_ms = config->timeout_ms;
    exec->connect_timeout_ms = config->connect_timeout_ms;
    exec->max_attempts = config->max_attempts;
    exec->retry_base_ms = config->retry_base_ms;
    exec->retry_max_ms = config->retry_max_ms;
    exec->max_body_bytes = config->max_body_bytes;
}

static void copy_pacing_and_stopping(tu_exec *exec,
                                     const tu_exec_config *config)
{
    tu_rate_init(&exec->rate, config->rate_limit);
    tu_aimd_init(&exec->aimd, config->concurrency);
    exec->adaptive = config->adaptive != 0;
    exec->stop = EXEC_RUNNING;
    exec->deadline_at_ms =
        config->deadline_ms > 0 ? tu_clock_ms() + config->deadline_ms : -1;
    exec->abort_at_ms = -1;
    exec->should_stop = config->should_stop;
    exec->stop_data = config->stop_data;
    exec->cancel_grace_ms = config->cancel_grace_ms;
}

void tu_exec_stop_like(tu_exec *exec, const tu_exec *model)
{
    exec->deadline_at_ms = model->deadline_at_ms;
    exec->should_stop = model->should_stop;
    exec->stop_data = model->stop_data;
    exec->cancel_grace_ms = model->cancel_grace_ms;
}

static int setup_transfers(tu_exec *exec)
{
    size_t i;

    exec->transfers = calloc(exec->concurrency, sizeof *exec->transfers);
    if (!exec->transfers)
        return -1;
    for (i = exec->concurrency; i-- > 0;) {
        exec->transfers[i].max_body_bytes = exec->max_body_bytes;
        exec->transfers[i].next_free = exec->free_transfers;
        exec->free_transfers = &exec->transfers[i];
    }
    return 0;
}

static int setup_multi(tu_exec *exec)
{
    CURLM *multi = curl_multi_init();

    if (!multi)
        return -1;
    exec->multi = multi;
    tu_exec_ev_init(&exec->ev, multi);
    return tu_exec_conn_setup_multi(&exec->conn, multi,
                                    (long)exec->concurrency);
}

tu_exec *tu_exec_new(const tu_exec_config *config, tu_error *err)
{
    tu_exec_config defaults;
    tu_exec *exec;

    if (!config) {
        tu_exec_config_init(&defaults);
        config = &defaults;
    }
    if (check_config(config, err) < 0)
        return NULL;
    exec = calloc(1, sizeof *exec);
    if (!exec) {
        tu_error_set(err, TU_ERR_NOMEM, "executor: out of memory");
        return NULL;
    }
    if (tu_exec_conn_init(&exec->conn, config, err) < 0) {
        tu_exec_free(exec);
        return NULL;
    }
    exec->ev.epfd = -1;
    exec->ev.curl_due_ms = -1;
    exec->rng = tu_rng_seed(exec);
    copy_limits(exec, config);
    copy_pacing_and_stopping(exec, config);
    if (tu_exec_add_headers(exec, config->headers) != 0 ||
        setup_transfers(exec) < 0 || setup_multi(exec) < 0) {
        tu_error_set(err, TU_ERR_NOMEM, "executor: out of memory");
        tu_exec_free(exec);
        return NULL;
    }
    return exec;
}

static void free_request_list(tu_exec *exec, exec_request *req)
{
    while (req) {
        exec_request *next = req->next;
        request_free(exec, req);
        req = next;
    }
}

static void free_slabs(tu_exec *exec)
{
    while (exec->slabs) {
        exec_slab *next = exec->slabs->next;
        free(exec->slabs);
        exec->slabs = next;
    }
    exec->spare = NULL;
}

static void free_transfers(tu_exec *exec)
{
    size_t i;

    for (i = 0; exec->transfers && i < exec->concurrency; i++) {
        exec_transfer *xfer = &exec->transfers[i];
        if (xfer->req) {
            curl_multi_remove_handle(exec->multi, xfer->easy);
            request_free(exec, xfer->req);
        }
        if (xfer->easy)
            curl_easy_cleanup(xfer->easy);
        transfer_free_buffers(xfer);
    }
    free(exec->transfers);
}

void tu_exec_free(tu_exec *exec)
{
    size_t i;

    if (!exec)
        return;
    tu_exec_ev_detach(&exec->ev);  /* before any socket is closed */
    free_transfers(exec);
    if (exec->multi)
        curl_multi_cleanup(exec->multi);
    free_request_list(exec, exec->queue_head);
    for (i = 0; i < exec->retry_len; i++)
        request_free(exec, exec->retry_heap[i]);
    free(exec->retry_heap);
    free_slabs(exec);
    for (size_t k = 0; k < exec->nheader_sets; k++) {
        curl_slist_free_all(exec->header_sets[k].with_body);
        curl_slist_free_all(exec->header_sets[k].with_form);
        curl_slist_free_all(exec->header_sets[k].without_body);
    }
    free(exec->header_sets);
    tu_exec_conn_free(&exec->conn);  /* after the handles that use it */
    tu_exec_ev_free(&exec->ev);
    free(exec);
}
