/* executor.h -- a concurrency-limited HTTP executor over libcurl multi.
 *
 * The executor knows HTTP and nothing of records. Callers submit requests,
 * each with a completion callback, and then drive the executor until
 * nothing is pending. At most `concurrency` transfers are added to the
 * multi handle at once; the next queued request is added as one finishes
 * (adding everything and capping connections is quadratic in libcurl 7.88).
 * All transfers share the multi handle's connection cache, so connections
 * are reused, and over HTTP/2 many requests share one connection as
 * streams (http2, max_connections: executor_conn.h). Requests that are not
 * idempotent reuse connections too: their body goes through a guard that
 * refuses libcurl's silent re-send of a request that may have reached the
 * server (executor_conn.h, tu_send_guard).
 *
 * tu_exec_drive() waits at most a given time for socket events or timers,
 * handles them, and returns; tu_exec_run() is the blocking loop over it.
 * By default it waits in libcurl's own poll and runs curl_multi_perform,
 * as curl_easy_perform does (the cheapest way for our own loop). A caller
 * with its own event loop either polls tu_exec_fd() (an epoll set driven
 * with curl_multi_socket_action) and calls tu_exec_drive(exec, 0) when it
 * is readable or when tu_exec_timeout_ms() has passed, or watches
 * libcurl's sockets itself (tu_exec_watch) and calls tu_exec_socket_ready
 * and tu_exec_timer (the non-blocking face). executor_ev.h has the three.
 *
 * Retries: connection-level failures and HTTP 408/429/500/502/503/504 are
 * retried up to max_attempts tries in all, after a full-jitter exponential
 * backoff (a random delay in [0, min(retry_max_ms, retry_base_ms * 2^n)])
 * that is never shorter than the server's Retry-After (clamped to
 * retry_max_ms). A request that is not idempotent (POST) is re-sent only
 * when it certainly never left (the host could not be resolved or
 * connected to, or libcurl reports that no request byte was sent), or
 * after HTTP 429, which says the request was refused unprocessed (RFC
 * 6585). When such a request fails after it may have reached the server
 * (408, 5xx, or a connection lost or timed out after bytes were sent), it
 * is not re-sent: its response has may_have_arrived = 1, and the caller
 * should look whether it took effect before trying again.
 *
 * Pacing: rate_limit spaces the start of every attempt (retries included)
 * evenly; adaptive halves the requests allowed in flight on a 429 (or a
 * 503 with Retry-After) and adds one back per window of successes (AIMD).
 *
 * Stopping: deadline_ms bounds the whole run; tu_exec_cancel (or the
 * configured should_stop) stops it early. Either way every request still
 * gets exactly one done call: requests not yet sent finish at once with an
 * error, requests in flight are bounded (see tu_exec_cancel).
 */
#ifndef TU_ENGINE_EXECUTOR_H
#define TU_ENGINE_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "trueup/trueup.h"
#include "executor_config.h"

typedef struct tu_exec tu_exec;

typedef struct tu_http_header {
    char *name;
    char *value;
} tu_http_header;

/* What came back for one request, after its last attempt. */
typedef struct tu_http_response {
    long status;              /* HTTP status of the last attempt; 0: none */
    CURLcode curl_code;       /* CURLE_OK when an HTTP response arrived */
    const char *error;        /* what failed, "" when none: libcurl's text
                                 or the executor's; never a header value */
    char *body;               /* the response body, NUL-terminated, "" if none */
    size_t body_len;
    int body_truncated;       /* the body exceeded max_body_bytes: failed */
    tu_http_header *headers;  /* the last response's headers, if asked for */
    size_t nheaders;
    unsigned attempts;        /* tries made (0: stopped before the first) */
    int may_have_arrived;     /* a non-idempotent request failed after it
                                 may have reached the server: look whether
                                 it took effect before sending it again */
} tu_http_response;

/* The value of the first header named `name` (case-insensitive), or NULL. */
const char *tu_http_response_header(const tu_http_response *resp,
                                    const char *name);

typedef void (*tu_http_done_fn)(const tu_http_response *resp, void *data);

typedef struct tu_http_request {
    const char *method;      /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *url;         /* absolute; copied by tu_exec_submit */
    char *body;              /* NULL or malloc'd; the executor takes it */
    size_t body_len;
    int idempotent;          /* may be re-sent after it may have arrived */
    int want_headers;        /* keep the response headers */
    tu_http_done_fn done;    /* called once, when the request is finished */
    void *data;              /* passed to done */
    int borrowed;            /* method, url and body are the caller's: not
                                copied, not freed, and they must stay valid
                                and unchanged until done has returned */
    int form;                /* the body is a form (application/x-www-form-
                                urlencoded), not JSON */
    unsigned header_set;     /* the headers sent: 0, the config's; else an
                                index tu_exec_add_headers gave */
} tu_http_request;

/* How an executor is set up: tu_exec_config (executor_config.h). */

/* Defaults: concurrency 16, timeout 30 s, connect 10 s, 4 attempts,
 * backoff 200 ms doubling up to 10 s, bodies up to 256 MiB, no rate limit,
 * fixed concurrency, no deadline, a cancel grace of 5 s, TLS verified
 * against the system's CAs. */
void tu_exec_config_init(tu_exec_config *config);

tu_exec *tu_exec_new(const tu_exec_config *config, tu_error *err);
void tu_exec_free(tu_exec *exec);   /* pending requests are dropped unseen */

/* Another set of headers requests may send instead of the config's
 * (tu_http_request.header_set), for a run that writes to several APIs
 * through one executor: built as the config's are (an empty Expect:, a
 * Content-Type for bodies). Its index (>= 1; 0 for the first call, which
 * tu_exec_new makes), or -1 when out of memory. Connections are shared by
 * host as always: the headers are per request. */
long tu_exec_add_headers(tu_exec *exec, const struct curl_slist *headers);

/* Queue a request. Returns 0, or -1 (out of memory; req->body is freed
 * unless borrowed). May be called from a done callback. */
int tu_exec_submit(tu_exec *exec, const tu_http_request *req);

/* Requests queued, in flight or waiting to be retried. */
size_t tu_exec_pending(const tu_exec *exec);

/* Wait at most timeout_ms (0: do not wait) for socket events and timers,
 * handle them, start queued requests, and call done for the finished.
 * Returns 0, or -1 on an unrecoverable multi-handle error. */
int tu_exec_drive(tu_exec *exec, long timeout_ms);

/* Drive until nothing is pending. Returns 0 or -1. */
int tu_exec_run(tu_exec *exec);

/* ---- driven by a caller's event loop -------------------------------- */

/* (the watch function, tu_exec_watch_fn, and the TU_EXEC_WATCH_* and
 * TU_EXEC_EVENT_* bits: executor_config.h) */

/* Let a caller's event loop watch the sockets: from now on `watch` is told
 * of every change of libcurl's interest in a socket. Call before the first
 * drive, and not after tu_exec_fd. The caller then calls
 * tu_exec_socket_ready for a ready socket and tu_exec_timer when
 * tu_exec_timeout_ms() has passed, instead of tu_exec_drive; tu_exec_free
 * unwatches every socket still watched. 0, or -1 when libcurl refuses the
 * callbacks (out of memory). */
int tu_exec_watch(tu_exec *exec, tu_exec_watch_fn watch, void *data);

/* A watched socket is ready (TU_EXEC_EVENT_* bits): what tu_exec_drive
 * does, without waiting. 0, or -1 on an unrecoverable multi error. */
int tu_exec_socket_ready(tu_exec *exec, int fd, int events);

/* The time tu_exec_timeout_ms gave has come: what tu_exec_drive(exec, 0)
 * does. 0, or -1 on an unrecoverable multi error. */
int tu_exec_timer(tu_exec *exec);

/* Stop the run: nothing is sent from now on, for good. Call it from the
 * thread that drives (a signal handler should only set a flag; see
 * should_stop); it may be called from a done callback, and again to
 * shorten the grace. It calls no done itself: the next tu_exec_drive
 * (whose wait is then 0) finishes
 *   - queued and retry-waiting requests, and any submitted later, at once:
 *     curl_code CURLE_ABORTED_BY_CALLBACK, status 0, error "cancelled
 *     before it was sent", may_have_arrived 0;
 *   - requests in flight when they end, if within grace_ms (no retries);
 *     after grace_ms they are aborted: CURLE_ABORTED_BY_CALLBACK, error
 *     "cancelled while in flight", may_have_arrived 1 for a non-idempotent
 *     request that had sent bytes.
 *
 * The run's deadline (deadline_ms) ends it the same way, with curl_code
 * CURLE_OPERATION_TIMEDOUT: unsent requests get the error "the run's
 * deadline passed before this request was sent"; requests in flight are
 * given a timeout that ends at the deadline (libcurl ends them: error "the
 * run's deadline passed while this request was in flight"), and a retry
 * that would come due after the deadline is not waited for: the request
 * finishes at once with its last response. */
void tu_exec_cancel(tu_exec *exec, long grace_ms);

/* Stop as `model` would: its deadline (the same moment, not the same
 * length), should_stop and cancel grace. For an executor handed from one
 * use to another while idle (engine/prefetch.h). */
void tu_exec_stop_like(tu_exec *exec, const tu_exec *model);

/* A file descriptor that becomes readable when tu_exec_drive has work, and
 * the time in ms until it has timer work (-1: none). For callers' loops:
 * the first tu_exec_fd call, before the first drive, moves the executor
 * from libcurl's poll to an epoll set of its own. -1 with errno when the
 * set cannot be made, or after tu_exec_watch; ENOSYS in a build without
 * the tests (the epoll set is the tests' way in: TU_EXEC_EPOLL). */
int tu_exec_fd(tu_exec *exec);
long tu_exec_timeout_ms(const tu_exec *exec);

/* The HTTP versions counted in tu_exec_stats, and their names. */
#define TU_EXEC_VERSIONS 4
extern const char *const tu_exec_version_names[TU_EXEC_VERSIONS];

typedef struct tu_exec_stats {
    size_t requests;         /* attempts sent, retries included */
    size_t retries;          /* attempts beyond the first */
    size_t finished;         /* requests whose done was called */
    long concurrency_now;    /* requests allowed in flight (adaptive) */
    long concurrency_min;    /* the lowest it has been */
    size_t connections;      /* new connections opened (CURLINFO_NUM_CONNECTS) */
    size_t by_version[TU_EXEC_VERSIONS]; /* attempts answered over HTTP/1.0,
                                1.1, 2, 3 (CURLINFO_HTTP_VERSION) */
    size_t resends_refused;  /* libcurl wanted to silently re-send a request
                                that is not idempotent; refused (it then
                                fails with may_have_arrived) */
    size_t resends_allowed;  /* such re-sends allowed: HTTP/2 streams the
                                server refused unprocessed */
} tu_exec_stats;

void tu_exec_stats_get(const tu_exec *exec, tu_exec_stats *stats);

#endif
