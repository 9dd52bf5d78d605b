/* executor_conn.h -- how the executor's requests use connections.
 *
 * executor.c keeps the requests (queue, transfers, retries, pacing,
 * stopping) and executor_ev.c the sockets and timer; this file's half,
 * executor_conn.c, decides what libcurl is told about connections:
 *
 *   - the HTTP version of each request (settings.http2: auto, on, off) and
 *     HTTP/2 multiplexing: transfers wait for a connection that can carry
 *     them as a stream (CURLOPT_PIPEWAIT), so `concurrency` requests share
 *     a few connections instead of opening one each;
 *   - the connection limit (max_connections) and the multi handle's pool;
 *   - the TLS state a run shares: one CA store for the whole run (libcurl's
 *     X509 store cache, which Debian's default CA path would switch off),
 *     and TLS sessions resumed by every handle (a CURLSH);
 *   - the re-send guard: a request that is not idempotent sends its body
 *     through a read callback, so that libcurl must ask before it silently
 *     sends it again, and is refused unless HTTP/2 said the request was
 *     never processed (see tu_send_guard below and docs/desired-state.md,
 *     "No duplicate creates").
 *
 * Not thread-safe: it belongs to its executor, used from the thread that
 * drives it.
 */
#ifndef TU_ENGINE_EXECUTOR_CONN_H
#define TU_ENGINE_EXECUTOR_CONN_H

#include <stddef.h>
#include <curl/curl.h>
#include "trueup/trueup.h"
#include "executor_config.h"

typedef struct tu_exec_conn {
    int http2;                /* TU_HTTP2_AUTO, TU_HTTP2_ON, TU_HTTP2_OFF */
    long max_connections;     /* 0: no limit of its own */
    int h2c_one_request;      /* libcurl < 8.0: an h2c connection can carry
                                 only its first request (curl issue 10634) */
    CURLSH *share;            /* TLS sessions and DNS, for every handle */
    char *ca_file;            /* NULL: the system's CA bundle */
    char *client_cert;
    char *client_key;
    int insecure;
} tu_exec_conn;

/* Check and copy the connection and TLS part of config. 0, or -1 with err
 * set (then call tu_exec_conn_free). */
int tu_exec_conn_init(tu_exec_conn *conn, const tu_exec_config *config,
                      tu_error *err);
void tu_exec_conn_free(tu_exec_conn *conn);

/* The multi handle's multiplexing, connection limit and pool. 0 or -1. */
int tu_exec_conn_setup_multi(const tu_exec_conn *conn, CURLM *multi,
                             long concurrency);

/* A request's HTTP version, multiplexing, shared TLS state and TLS
 * options, for its URL. */
CURLcode tu_exec_conn_set(const tu_exec_conn *conn, CURL *easy,
                          const char *url);

/* ---- the re-send guard ---------------------------------------------------
 *
 * libcurl 7.88 re-sends a request on its own (Curl_retry_request in
 * lib/transfer.c) when a reused connection ends with no response byte, or
 * when an HTTP/2 stream is refused. When request body bytes had gone out,
 * it must first rewind the body: with a body given by a read callback it
 * asks the seek callback, and a refusal fails the transfer with
 * CURLE_SEND_FAIL_REWIND instead of sending it twice. The guard allows
 * that re-send only when
 *   - the request went out over HTTP/2 (the request line libcurl reports
 *     through its debug callback says "HTTP/2"), and
 *   - the attempt failed without an error message (CURLOPT_ERRORBUFFER
 *     empty): in 7.88 a stream refused by REFUSED_STREAM, or above a
 *     GOAWAY's last stream id, fails silently, while a connection that
 *     breaks (reset, TLS error, framing error) always leaves one.
 * Over HTTP/1.1, an empty error buffer is what a server that closed the
 * connection after reading the request leaves too: never allowed. When no
 * body byte has gone out the server cannot have acted on the request, and
 * libcurl re-sends without asking; that is safe.
 */
typedef struct tu_send_guard {
    const char *body;         /* borrowed from the request */
    size_t len;
    size_t pos;               /* read so far */
    const char *method;
    size_t method_len;
    const char *errbuf;       /* the transfer's CURLOPT_ERRORBUFFER */
    unsigned sends;           /* request heads libcurl sent this attempt */
    int last_h2;              /* the last one went out over HTTP/2 */
    int refused;              /* libcurl wanted to re-send; refused */
    unsigned allowed;         /* re-sends of refused streams allowed */
} tu_send_guard;

/* Send body (len > 0) through the guard: the method, body, size, read,
 * seek and debug callbacks of easy. body and errbuf must live until the
 * transfer ends. */
CURLcode tu_send_guard_set(tu_send_guard *guard, CURL *easy,
                           const char *method, const char *body, size_t len,
                           const char *errbuf);

#endif
