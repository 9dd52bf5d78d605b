/* executor_ev.h -- the executor's event backend: where libcurl's wishes for
 * sockets and time go, and how ready sockets and an expired timer come back.
 *
 * executor.c keeps the requests (queue, transfers, retries, pacing,
 * stopping); this file's half, executor_ev.c, keeps the multi handle's view
 * of sockets and time, as curl keeps lib/multi_ev.c apart from lib/multi.c,
 * so that other ways of driving the executor can plug in here. libcurl's
 * sockets are mirrored in an epoll set of our own, which tu_exec_ev_wait()
 * waits on (tu_exec_drive).
 *
 * libcurl's timer is only ever recorded (curl_due_ms): calling libcurl from
 * inside its timer callback is not safe in 7.88. tu_exec_ev_timer() fires
 * it once it is due.
 *
 * Not thread-safe: a tu_exec_ev belongs to its executor, and is used from
 * the thread that drives it.
 */
#ifndef TU_ENGINE_EXECUTOR_EV_H
#define TU_ENGINE_EXECUTOR_EV_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

typedef struct tu_exec_ev {
    CURLM *multi;
    int epfd;                  /* our epoll set */
    long long curl_due_ms;     /* when libcurl wants its timer; -1: none */
} tu_exec_ev;

/* The executor's monotonic clock (executor.c). */
int64_t tu_exec_now_ns(void);
long long tu_exec_now_ms(void);

/* Set up the epoll set and install the socket and timer callbacks on
 * `multi`. 0, or -1 with errno set (then call tu_exec_ev_free). */
int tu_exec_ev_init(tu_exec_ev *ev, CURLM *multi);

/* Close the epoll set. */
void tu_exec_ev_free(tu_exec_ev *ev);

/* Wait at most wait_ms (-1: no limit) in the epoll set and hand each
 * ready socket to libcurl. 0, or -1 on a multi-handle error. */
int tu_exec_ev_wait(tu_exec_ev *ev, long wait_ms);

/* Fire libcurl's timer if it is due. 0, or -1 on a multi-handle error. */
int tu_exec_ev_timer(tu_exec_ev *ev);

/* The epoll set's fd. */
int tu_exec_ev_fd(const tu_exec_ev *ev);

#endif
