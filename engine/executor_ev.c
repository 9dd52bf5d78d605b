/* executor_ev.c -- the executor's event backend (see executor_ev.h).
 *
 * libcurl's own poll (the default) needs nothing of ours: tu_exec_ev_wait
 * calls curl_multi_poll for at most the time the executor allows (libcurl
 * shortens it to its own timer), then curl_multi_perform, which runs every
 * transfer that has work and fires libcurl's timers. No callback is
 * installed, so that libcurl keeps no socket hash for us.
 *
 * The socket interface (an epoll set, or a watch function) installs
 * libcurl's socket and timer callbacks when it is chosen. The socket
 * callback (on_socket) tells us which sockets to watch and for what. With
 * the epoll set we mirror that: ADD on a new socket (marked with
 * curl_multi_assign, so that socketp is non-NULL the next time), MOD on a
 * change, DEL on CURL_POLL_REMOVE. With a watch function, each change goes
 * to it instead, and the sockets it watches are kept in an array (socketp:
 * the index + 1; a removal moves the last one into the hole), so that
 * tu_exec_ev_detach can unwatch them all in O(n) and each change costs
 * O(1). libcurl's timer callback (on_timer) only records when libcurl
 * wants to be called again; tu_exec_ev_timer() calls
 * curl_multi_socket_action(CURL_SOCKET_TIMEOUT) once that time has come,
 * from the executor's drive, never from inside the callback.
 *
 * tu_exec_ev_wait() is the one place that blocks: curl_multi_poll, or
 * epoll_wait followed by curl_multi_socket_action for each ready socket
 * with the events epoll saw.
 *
 * The epoll set is a test-only way (tests/tools/exec_probe.c and the
 * executor's unit tests poll one fd): it is compiled only with
 * TU_EXEC_EPOLL, which CMake defines when the tests are built, as curl
 * builds curl_easy_perform_ev only in debug builds. Without it the library
 * needs nothing of Linux's, and tu_exec_ev_fd() fails with ENOSYS.
 */
#include "executor_ev.h"
#include "util/arena.h"
#include "util/clock.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#ifdef TU_EXEC_EPOLL
#include <sys/epoll.h>
#endif
#include <unistd.h>

#define EV_EPOLL_BATCH 256

/* ---- libcurl's callbacks -------------------------------------------- */

#ifdef TU_EXEC_EPOLL
static uint32_t epoll_interest(int what)
{
    uint32_t events = 0;

    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= EPOLLOUT;
    return events;
}

/* Mirror libcurl's interest in a socket in the epoll set. socketp is
 * non-NULL once the socket is in the set; ADD and MOD fall back on each
 * other in case libcurl and the kernel disagree (a reused fd number). */
static int epoll_socket(tu_exec_ev *ev, curl_socket_t s, int what,
                        void *socketp)
{
    struct epoll_event event;
    int op;

    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(ev->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    memset(&event, 0, sizeof event);
    event.events = epoll_interest(what);
    event.data.fd = s;
    op = socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(ev->epfd, op, s, &event) < 0) {
        if (errno == ENOENT)
            epoll_ctl(ev->epfd, EPOLL_CTL_ADD, s, &event);
        else if (errno == EEXIST)
            epoll_ctl(ev->epfd, EPOLL_CTL_MOD, s, &event);
    }
    if (!socketp)
        curl_multi_assign(ev->multi, s, ev);
    return 0;
}
#endif

static int watch_interest(int what)
{
    int bits = 0;

    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        bits |= TU_EXEC_WATCH_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        bits |= TU_EXEC_WATCH_WRITE;
    return bits;
}

/* Add a socket to the watched array; its socketp is its index + 1. */
static int remember_watched(tu_exec_ev *ev, curl_socket_t s)
{
    if (tu_array_grow(&ev->watched, &ev->watched_cap, ev->nwatched + 1,
                      sizeof *ev->watched, 16) != 0)
        return -1;
    ev->watched[ev->nwatched++] = s;
    curl_multi_assign(ev->multi, s, (void *)(uintptr_t)ev->nwatched);
    return 0;
}

/* Take the socket at `index` out: the last one moves into its place. */
static void forget_watched(tu_exec_ev *ev, size_t index)
{
    int last = ev->watched[--ev->nwatched];

    if (index < ev->nwatched) {
        ev->watched[index] = last;
        curl_multi_assign(ev->multi, last, (void *)(uintptr_t)(index + 1));
    }
}

/* Pass libcurl's interest in a socket on to the watch function. */
static int watch_socket(tu_exec_ev *ev, curl_socket_t s, int what,
                        void *socketp)
{
    size_t at = (size_t)(uintptr_t)socketp;

    if (ev->detached)
        return 0;
    if (what == CURL_POLL_REMOVE) {
        if (at)
            forget_watched(ev, at - 1);
        ev->watch(s, 0, ev->watch_data);
        return 0;
    }
    if (!at && remember_watched(ev, s) < 0)
        return -1;  /* out of memory: libcurl fails the transfers */
    return ev->watch(s, watch_interest(what), ev->watch_data) < 0 ? -1 : 0;
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp,
                     void *socketp)
{
    tu_exec_ev *ev = userp;

    (void)easy;
    if (ev->watch)
        return watch_socket(ev, s, what, socketp);
#ifdef TU_EXEC_EPOLL
    return epoll_socket(ev, s, what, socketp);
#else
    return -1;  /* no other interface without the epoll set */
#endif
}

/* Only record the deadline: libcurl is called from tu_exec_ev_timer. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    tu_exec_ev *ev = userp;

    (void)multi;
    ev->curl_due_ms = timeout_ms < 0 ? -1 : tu_clock_ms() + timeout_ms;
    return 0;
}

/* ---- setting up ------------------------------------------------------ */

void tu_exec_ev_init(tu_exec_ev *ev, CURLM *multi)
{
    ev->multi = multi;
    ev->mode = TU_EV_POLL;
    ev->epfd = -1;
    ev->curl_due_ms = -1;
}

/* Leave libcurl's poll for the socket interface: install its callbacks. */
static int use_socket_interface(tu_exec_ev *ev, tu_ev_mode mode)
{
    if (curl_multi_setopt(ev->multi, CURLMOPT_SOCKETFUNCTION, on_socket) ||
        curl_multi_setopt(ev->multi, CURLMOPT_SOCKETDATA, ev) ||
        curl_multi_setopt(ev->multi, CURLMOPT_TIMERFUNCTION, on_timer) ||
        curl_multi_setopt(ev->multi, CURLMOPT_TIMERDATA, ev)) {
        errno = ENOMEM;
        return -1;
    }
    ev->mode = mode;
    return 0;
}

int tu_exec_ev_set_watch(tu_exec_ev *ev, tu_exec_watch_fn watch,
                         void *data)
{
    if (ev->epfd >= 0)
        close(ev->epfd);
    ev->epfd = -1;
    ev->watch = watch;
    ev->watch_data = data;
    return use_socket_interface(ev, TU_EV_WATCH);
}

int tu_exec_ev_fd(tu_exec_ev *ev)
{
#ifndef TU_EXEC_EPOLL
    (void)ev;
    errno = ENOSYS;  /* the epoll set is built for the tests only */
    return -1;
#else
    if (ev->mode == TU_EV_WATCH) {
        errno = EINVAL;
        return -1;
    }
    if (ev->mode == TU_EV_EPOLL)
        return ev->epfd;
    ev->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (ev->epfd < 0)
        return -1;
    if (use_socket_interface(ev, TU_EV_EPOLL) < 0) {
        close(ev->epfd);
        ev->epfd = -1;
        return -1;
    }
    return ev->epfd;
#endif
}

void tu_exec_ev_detach(tu_exec_ev *ev)
{
    size_t i;

    if (!ev->watch || ev->detached)
        return;
    ev->detached = 1;
    for (i = 0; i < ev->nwatched; i++)
        ev->watch(ev->watched[i], 0, ev->watch_data);
    ev->nwatched = 0;
}

void tu_exec_ev_free(tu_exec_ev *ev)
{
    if (ev->epfd >= 0)
        close(ev->epfd);
    ev->epfd = -1;
    free(ev->watched);
    ev->watched = NULL;
}

/* ---- handing events to libcurl --------------------------------------- */

static int socket_action(tu_exec_ev *ev, curl_socket_t s, int mask)
{
    int running;
    CURLMcode mc = curl_multi_socket_action(ev->multi, s, mask, &running);

    return mc == CURLM_OK || mc == CURLM_BAD_SOCKET ? 0 : -1;
}

#ifdef TU_EXEC_EPOLL
static int event_mask(uint32_t events)
{
    int mask = 0;

    if (events & EPOLLIN)
        mask |= CURL_CSELECT_IN;
    if (events & EPOLLOUT)
        mask |= CURL_CSELECT_OUT;
    if (events & (EPOLLERR | EPOLLHUP))
        mask |= CURL_CSELECT_IN | CURL_CSELECT_OUT | CURL_CSELECT_ERR;
    return mask;
}
#endif

/* libcurl's own poll, then its perform (which also fires its timers). */
static int poll_wait(tu_exec_ev *ev, long wait_ms)
{
    int running;

    if (wait_ms != 0 &&
        curl_multi_poll(ev->multi, NULL, 0,
                        wait_ms < 0 || wait_ms > INT_MAX ? INT_MAX
                                                         : (int)wait_ms,
                        NULL) != CURLM_OK)
        return -1;
    return curl_multi_perform(ev->multi, &running) == CURLM_OK ? 0 : -1;
}

int tu_exec_ev_wait(tu_exec_ev *ev, long wait_ms)
{
#ifdef TU_EXEC_EPOLL
    struct epoll_event events[EV_EPOLL_BATCH];
    int i, n;

    if (ev->mode == TU_EV_POLL)
        return poll_wait(ev, wait_ms);
    n = epoll_wait(ev->epfd, events, EV_EPOLL_BATCH,
                   wait_ms > INT_MAX ? INT_MAX : (int)wait_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (i = 0; i < n; i++)
        if (socket_action(ev, events[i].data.fd,
                          event_mask(events[i].events)) < 0)
            return -1;
    return 0;
#else
    return poll_wait(ev, wait_ms);
#endif
}

int tu_exec_ev_socket(tu_exec_ev *ev, int fd, int events)
{
    int mask = 0;

    if (events & TU_EXEC_EVENT_READ)
        mask |= CURL_CSELECT_IN;
    if (events & TU_EXEC_EVENT_WRITE)
        mask |= CURL_CSELECT_OUT;
    if (events & TU_EXEC_EVENT_ERROR)
        mask |= CURL_CSELECT_IN | CURL_CSELECT_OUT | CURL_CSELECT_ERR;
    return socket_action(ev, fd, mask);
}

int tu_exec_ev_timer(tu_exec_ev *ev, long long now_ms)
{
    if (ev->mode == TU_EV_POLL || ev->curl_due_ms < 0 || ev->curl_due_ms > now_ms)
        return 0;
    ev->curl_due_ms = -1;  /* the callback sets the next deadline */
    return socket_action(ev, CURL_SOCKET_TIMEOUT, 0);
}
