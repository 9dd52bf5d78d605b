/* executor_ev.h -- the executor's event backend: where libcurl's wishes for
 * sockets and time go, and how ready sockets and an expired timer come back.
 *
 * executor.c keeps the requests (queue, transfers, retries, pacing,
 * stopping); this file's half, executor_ev.c, keeps the multi handle's view
 * of sockets and time, as curl keeps lib/multi_ev.c apart from lib/multi.c,
 * and it is the seam where the two ways of driving the executor meet:
 *
 *   - by default libcurl's sockets are mirrored in an epoll set of our own,
 *     which tu_exec_ev_wait() waits on (tu_exec_drive: the blocking face);
 *   - with a watch function (tu_exec_ev_set_watch) every change of
 *     libcurl's interest in a socket is passed on to it instead, so that a
 *     caller's event loop watches the sockets and hands the ready ones back
 *     through tu_exec_ev_socket() (the non-blocking face, engine/job.c).
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
#include "executor.h"

typedef struct tu_exec_ev {
    CURLM *multi;
    int epfd;                  /* our epoll set; -1 with a watch function */
    long long curl_due_ms;     /* when libcurl wants its timer; -1: none */
    tu_exec_watch_fn watch;    /* NULL: the epoll set */
    void *watch_data;
    int *watched;              /* the sockets the watch function watches */
    size_t nwatched;           /* (each one's index + 1 is its socketp) */
    size_t watched_cap;
    int detached;              /* the watch function hears nothing more */
} tu_exec_ev;

/* Set up the epoll set and install the socket and timer callbacks on
 * `multi`. 0, or -1 with errno set (then call tu_exec_ev_free). */
int tu_exec_ev_init(tu_exec_ev *ev, CURLM *multi);

/* Hand libcurl's sockets to `watch` instead of the epoll set, which is
 * closed. Only before the first transfer starts. */
void tu_exec_ev_set_watch(tu_exec_ev *ev, tu_exec_watch_fn watch,
                          void *data);

/* Tell the watch function to stop watching every socket it still
 * watches, and tell it nothing more (before curl_multi_cleanup closes
 * them). */
void tu_exec_ev_detach(tu_exec_ev *ev);

/* Close the epoll set, free the list of watched sockets. */
void tu_exec_ev_free(tu_exec_ev *ev);

/* Wait at most wait_ms (-1: no limit) in the epoll set and hand each
 * ready socket to libcurl. 0, or -1 on a multi-handle error. */
int tu_exec_ev_wait(tu_exec_ev *ev, long wait_ms);

/* Hand one ready socket to libcurl: `events` are TU_EXEC_EVENT_* bits
 * (0: let libcurl find out). 0, or -1 on a multi-handle error. */
int tu_exec_ev_socket(tu_exec_ev *ev, int fd, int events);

/* Fire libcurl's timer if it is due at now_ms (tu_clock_ms, read by the
 * caller once per drive step). 0, or -1 on a multi-handle error. */
int tu_exec_ev_timer(tu_exec_ev *ev, long long now_ms);

/* The epoll set's fd (-1 with a watch function). */
int tu_exec_ev_fd(const tu_exec_ev *ev);

#endif
