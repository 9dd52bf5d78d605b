/* executor_config.h -- what the executor's three files share: how an
 * executor is set up (tu_exec_config, filled by tu_exec_config_init in
 * executor.h) and how a caller's loop is asked to watch its sockets
 * (tu_exec_watch_fn).
 *
 * executor.c keeps the requests, executor_conn.c the connections and
 * executor_ev.c the sockets and timer; the two halves read these types and
 * include this header, never executor.h, so that the executor's files
 * point one way: executor.c -> executor_conn.c, executor_ev.c -> this.
 */
#ifndef TU_ENGINE_EXECUTOR_CONFIG_H
#define TU_ENGINE_EXECUTOR_CONFIG_H

#include <stddef.h>
#include <curl/curl.h>

/* HTTP/2: auto negotiates it by ALPN over TLS (HTTP/1.1 over cleartext);
 * on also speaks it over cleartext (prior knowledge); off never. */
enum { TU_HTTP2_AUTO, TU_HTTP2_ON, TU_HTTP2_OFF };

typedef struct tu_exec_config {
    long concurrency;            /* transfers at once, >= 1 */
    long timeout_ms;             /* whole request; 0: none */
    long connect_timeout_ms;     /* 0: libcurl's default */
    unsigned max_attempts;       /* tries per request in all, >= 1 */
    long retry_base_ms;          /* first backoff ceiling */
    long retry_max_ms;           /* cap on any one delay */
    size_t max_body_bytes;       /* response bodies larger fail; 0: no cap */
    const struct curl_slist *headers; /* sent with every request; copied */

    /* Pacing. */
    double rate_limit;           /* attempts started per second; 0: none */
    int adaptive;                /* AIMD on 429 / 503 with Retry-After */

    /* Stopping. */
    long deadline_ms;            /* the whole run, from tu_exec_new; 0: none */
    int (*should_stop)(void *data); /* polled by every drive (NULL: none);
                                    nonzero: tu_exec_cancel(cancel_grace_ms) */
    void *stop_data;
    long cancel_grace_ms;        /* in-flight grace when should_stop fires */

    /* Connections (executor_conn.c). */
    int http2;                   /* TU_HTTP2_AUTO (default), _ON, _OFF */
    long max_connections;        /* open at once at most; 0: no limit */

    /* TLS. Verification of the server's certificate is on unless insecure.
     * The paths are copied by tu_exec_new, which checks they are readable. */
    const char *ca_file;         /* PEM bundle to trust; NULL: the system's */
    const char *client_cert;     /* PEM client certificate; NULL: none */
    const char *client_key;      /* its PEM key (NULL: in client_cert) */
    int insecure;                /* do not verify the server's certificate */
} tu_exec_config;

/* What a watch function is asked to watch a socket for (0: stop watching
 * it), and what tu_exec_socket_ready is told happened: the same values as
 * trueup.h's TU_WATCH_* and TU_EVENT_*. */
#define TU_EXEC_WATCH_READ 1
#define TU_EXEC_WATCH_WRITE 2
#define TU_EXEC_EVENT_READ 1
#define TU_EXEC_EVENT_WRITE 2
#define TU_EXEC_EVENT_ERROR 4

/* Watch fd for `what` (TU_EXEC_WATCH_* bits), or stop (what == 0).
 * 0, or -1 when it cannot: libcurl then fails every transfer in flight
 * and the next tu_exec_socket_ready or tu_exec_timer returns -1. */
typedef int (*tu_exec_watch_fn)(int fd, int what, void *data);

#endif
