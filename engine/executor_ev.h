/* executor_ev.h -- the executor's event backend: where libcurl's wishes for
 * sockets and time go, and how ready sockets and an expired timer come back.
 *
 * executor.c keeps the requests (queue, transfers, retries, pacing,
 * stopping); this file's half, executor_ev.c, keeps the multi handle's view
 * of sockets and time, as curl keeps lib/multi_ev.c apart from lib/multi.c,
 * and it is the seam where the ways of driving the executor meet. One is
 * chosen before the first transfer starts, and kept (libcurl's two
 * interfaces must not be mixed on one multi handle):
 *
 *   - libcurl's own poll (the default, for the executor's own blocking
 *     loop, tu_exec_drive): curl_multi_poll waits on every socket of the
 *     multi handle, then curl_multi_perform runs the transfers, as
 *     curl_easy_perform and curl's --parallel do. It costs libcurl about
 *     6k fewer instructions a request than the socket interface, and no
 *     system call of our own (bench/LOG.md, "libcurl's own poll");
 *   - an epoll set of our own (tu_exec_ev_fd, for a caller that polls one
 *     fd and then calls tu_exec_drive; built only with the tests,
 *     TU_EXEC_EPOLL): libcurl's sockets are mirrored in it through the
 *     socket callback, and each ready one goes to curl_multi_socket_action;
 *   - a watch function (tu_exec_ev_set_watch): every change of libcurl's
 *     interest in a socket is passed on to it, so that a caller's event
 *     loop watches the sockets and hands the ready ones back through
 *     tu_exec_ev_socket() (the non-blocking face, engine/job_loop.c).
 *
 * With the socket interface libcurl's timer is only ever recorded
 * (curl_due_ms): calling libcurl from inside its timer callback is not
 * safe in 7.88. tu_exec_ev_timer() fires it once it is due. libcurl's
 * poll keeps its own timer (curl_due_ms stays -1).
 *
 * Not thread-safe: a tu_exec_ev belongs to its executor, and is used from
 * the thread that drives it.
 */
#ifndef TU_ENGINE_EXECUTOR_EV_H
#define TU_ENGINE_EXECUTOR_EV_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include "executor_config.h"

/* How the multi handle is driven (see above). */
typedef enum {
    TU_EV_POLL,                /* curl_multi_poll + curl_multi_perform */
    TU_EV_EPOLL,               /* our epoll set + curl_multi_socket_action */
    TU_EV_WATCH                /* a watch function + socket_action */
} tu_ev_mode;

typedef struct tu_exec_ev {
    CURLM *multi;
    tu_ev_mode mode;
    int epfd;                  /* our epoll set; -1 unless TU_EV_EPOLL */
    long long curl_due_ms;     /* when libcurl wants its timer; -1: none */
    tu_exec_watch_fn watch;    /* NULL: the epoll set */
    void *watch_data;
    int *watched;              /* the sockets the watch function watches */
    size_t nwatched;           /* (each one's index + 1 is its socketp) */
    size_t watched_cap;
    int detached;              /* the watch function hears nothing more */
} tu_exec_ev;

/* Start in libcurl's own poll, on `multi`. Cannot fail. */
void tu_exec_ev_init(tu_exec_ev *ev, CURLM *multi);

/* Hand libcurl's sockets to `watch` instead (the socket interface). Only
 * before the first transfer starts. 0, or -1 when libcurl refuses the
 * callbacks (out of memory). */
int tu_exec_ev_set_watch(tu_exec_ev *ev, tu_exec_watch_fn watch,
                         void *data);

/* Tell the watch function to stop watching every socket it still
 * watches, and tell it nothing more (before curl_multi_cleanup closes
 * them). */
void tu_exec_ev_detach(tu_exec_ev *ev);

/* Close the epoll set, if any; free the list of watched sockets. */
void tu_exec_ev_free(tu_exec_ev *ev);

/* Wait at most wait_ms (-1: no limit) for the sockets, then run libcurl:
 * with libcurl's poll, curl_multi_perform (even when wait_ms is 0); with
 * the epoll set, curl_multi_socket_action for each ready socket. 0, or -1
 * on a multi-handle error. Not with a watch function. */
int tu_exec_ev_wait(tu_exec_ev *ev, long wait_ms);

/* Hand one ready socket to libcurl: `events` are TU_EXEC_EVENT_* bits
 * (0: let libcurl find out). 0, or -1 on a multi-handle error. */
int tu_exec_ev_socket(tu_exec_ev *ev, int fd, int events);

/* Fire libcurl's timer if it is due at now_ms (tu_clock_ms, read by the
 * caller once per drive step); nothing with libcurl's poll, whose
 * curl_multi_perform fires it. 0, or -1 on a multi-handle error. */
int tu_exec_ev_timer(tu_exec_ev *ev, long long now_ms);

/* The epoll set's fd (test builds only: else -1 with errno ENOSYS): the
 * first call switches from libcurl's poll to the epoll set (only before
 * the first transfer starts). -1 with errno set when it cannot be made,
 * or with a watch function (EINVAL). */
int tu_exec_ev_fd(tu_exec_ev *ev);

#endif
