/* trueup/adapters/poll.h -- run trueup jobs with plain poll(), no library.
 *
 *     tu_poll_loop loop;
 *     tu_poll_loop_init(&loop);
 *     job = tu_job_new(desired, &options, &callbacks, &error);
 *     if (!job || tu_poll_attach(job, &loop, &error) != 0)
 *         ...error.message...
 *     tu_poll_loop_run(&loop);        // until no job has anything to wait for
 *     ...tu_job_free(job)...
 *     tu_poll_loop_free(&loop);
 *
 * A program with a poll() loop of its own can instead call
 * tu_poll_loop_run_once(&loop, max_ms) from it. Jobs attached to one loop
 * are driven together; everything runs on the thread that runs the loop.
 *
 * How it works: the loop keeps one entry per watched socket (job, fd,
 * events) and one due time per job. tu_poll_loop_run_once polls the
 * sockets until the earliest due time (or max_ms), then hands each ready
 * socket to its job (if it is still watched: an earlier call may have
 * changed the list) and calls tu_job_timeout for each job whose time has
 * come. A timer of 0 only makes the next poll not wait: the job is never
 * called from inside its own timer callback. Header only: include it in
 * the C file that runs the loop.
 */
#ifndef TRUEUP_ADAPTERS_POLL_H
#define TRUEUP_ADAPTERS_POLL_H

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "trueup/trueup.h"

typedef struct tu_poll_watch {
    tu_job *job;
    int fd;
    short events;
} tu_poll_watch;

typedef struct tu_poll_timer {
    tu_job *job;
    long long due_ms;       /* -1: not set */
} tu_poll_timer;

typedef struct tu_poll_loop {
    tu_poll_watch *watches;
    size_t nwatches, watches_cap;
    tu_poll_timer *timers;  /* one per attached job */
    size_t ntimers, timers_cap;
    struct pollfd *pfds;    /* a pass's copy of the watches */
    tu_job **due;           /* a pass's jobs whose time has come */
    size_t pass_cap;
} tu_poll_loop;

static inline void tu_poll_loop_init(tu_poll_loop *loop)
{
    memset(loop, 0, sizeof *loop);
}

/* Free the loop's lists (after its jobs were freed). */
static inline void tu_poll_loop_free(tu_poll_loop *loop)
{
    free(loop->watches);
    free(loop->timers);
    free(loop->pfds);
    free(loop->due);
    memset(loop, 0, sizeof *loop);
}

static inline long long tu_poll_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Grow an array of `size`-byte items to hold one more. 0 or -1. */
static inline int tu_poll_grow(void **items, size_t n, size_t *cap,
                               size_t size)
{
    void *more;

    if (n < *cap)
        return 0;
    more = realloc(*items, (*cap ? *cap * 2 : 16) * size);
    if (!more)
        return -1;
    *items = more;
    *cap = *cap ? *cap * 2 : 16;
    return 0;
}

static inline tu_poll_watch *tu_poll_find(tu_poll_loop *loop, tu_job *job,
                                          int fd)
{
    size_t i;

    for (i = 0; i < loop->nwatches; i++)
        if (loop->watches[i].fd == fd && loop->watches[i].job == job)
            return &loop->watches[i];
    return NULL;
}

static inline int tu_poll_watch_fn(tu_job *job, int fd, int what, void *data)
{
    tu_poll_loop *loop = (tu_poll_loop *)data;
    tu_poll_watch *w = tu_poll_find(loop, job, fd);
    short events = (short)(((what & TU_WATCH_READ) ? POLLIN : 0) |
                           ((what & TU_WATCH_WRITE) ? POLLOUT : 0));

    if (what == 0) {
        if (w)
            *w = loop->watches[--loop->nwatches];
        return 0;
    }
    if (!w) {
        if (tu_poll_grow((void **)&loop->watches, loop->nwatches,
                         &loop->watches_cap, sizeof *w) != 0)
            return -1;
        w = &loop->watches[loop->nwatches++];
        w->job = job;
        w->fd = fd;
    }
    w->events = events;
    return 0;
}

static inline tu_poll_timer *tu_poll_timer_of(tu_poll_loop *loop,
                                              tu_job *job)
{
    size_t i;

    for (i = 0; i < loop->ntimers; i++)
        if (loop->timers[i].job == job)
            return &loop->timers[i];
    return NULL;
}

static inline void tu_poll_timer_fn(tu_job *job, long timeout_ms, void *data)
{
    tu_poll_timer *t = tu_poll_timer_of((tu_poll_loop *)data, job);

    if (t)
        t->due_ms = timeout_ms < 0 ? -1 : tu_poll_now_ms() + timeout_ms;
}

static inline void tu_poll_cleanup(tu_job *job, void *data)
{
    tu_poll_loop *loop = (tu_poll_loop *)data;
    tu_poll_timer *t = tu_poll_timer_of(loop, job);

    if (t)
        *t = loop->timers[--loop->ntimers];
}

/* Drive `job` from `loop`. 0, or -1 with `error` filled. */
static inline int tu_poll_attach(tu_job *job, tu_poll_loop *loop,
                                 tu_error *error)
{
    tu_job_events events;

    if (tu_poll_grow((void **)&loop->timers, loop->ntimers,
                     &loop->timers_cap, sizeof *loop->timers) != 0) {
        if (error) {
            error->code = TU_ERR_NOMEM;
            snprintf(error->message, sizeof error->message,
                     "tu_poll_attach: out of memory");
        }
        return -1;
    }
    loop->timers[loop->ntimers].job = job;
    loop->timers[loop->ntimers].due_ms = -1;
    loop->ntimers++;
    events.watch = tu_poll_watch_fn;
    events.timer = tu_poll_timer_fn;
    events.cleanup = tu_poll_cleanup;
    events.data = loop;
    if (tu_job_attach(job, &events, error) != 0) {
        loop->ntimers--;
        return -1;
    }
    return 0;
}

/* How long the next poll may wait: until the earliest timer, at most
 * max_ms (-1: no cap); -1: forever. */
static inline int tu_poll_wait_ms(const tu_poll_loop *loop, long max_ms)
{
    long long now = tu_poll_now_ms(), wait = max_ms;
    size_t i;

    for (i = 0; i < loop->ntimers; i++) {
        long long due = loop->timers[i].due_ms;
        if (due >= 0 && (wait < 0 || due - now < wait))
            wait = due > now ? due - now : 0;
    }
    return wait > INT_MAX ? INT_MAX : (int)wait;
}

/* Room for a pass over every watch and timer. 0 or -1. */
static inline int tu_poll_reserve_pass(tu_poll_loop *loop)
{
    size_t need = loop->nwatches > loop->ntimers ? loop->nwatches
                                                 : loop->ntimers;
    struct pollfd *pfds;
    tu_job **due;

    if (need <= loop->pass_cap)
        return 0;
    pfds = (struct pollfd *)realloc(loop->pfds, need * sizeof *pfds);
    if (pfds)
        loop->pfds = pfds;
    due = (tu_job **)realloc(loop->due, need * sizeof *due);
    if (due)
        loop->due = due;
    if (!pfds || !due)
        return -1;
    loop->pass_cap = need;
    return 0;
}

/* Hand the ready sockets to their jobs; a watch an earlier call removed
 * (or a job freed) is skipped. */
static inline void tu_poll_dispatch(tu_poll_loop *loop, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct pollfd *p = &loop->pfds[i];
        tu_job *job = loop->due[i];
        int ready = 0;
        if (!p->revents || !tu_poll_find(loop, job, p->fd))
            continue;
        if (p->revents & POLLIN)
            ready |= TU_EVENT_READ;
        if (p->revents & POLLOUT)
            ready |= TU_EVENT_WRITE;
        if (p->revents & (POLLERR | POLLHUP | POLLNVAL))
            ready |= TU_EVENT_ERROR;
        tu_job_socket_ready(job, p->fd, ready);
    }
}

/* Call tu_job_timeout for each job whose time had come when the pass
 * began (a job that sets its timer to 0 again waits for the next pass).
 * Jobs attached by a callback of the socket dispatch have timers the pass
 * did not make room for: room is made again first. 0, or -1 when out of
 * memory. */
static inline int tu_poll_fire_timers(tu_poll_loop *loop)
{
    long long now = tu_poll_now_ms();
    size_t i, n = 0;

    if (tu_poll_reserve_pass(loop) != 0)
        return -1;
    for (i = 0; i < loop->ntimers; i++)
        if (loop->timers[i].due_ms >= 0 && loop->timers[i].due_ms <= now)
            loop->due[n++] = loop->timers[i].job;
    for (i = 0; i < n; i++) {
        tu_poll_timer *t = tu_poll_timer_of(loop, loop->due[i]);
        if (t && t->due_ms >= 0 && t->due_ms <= now) {
            t->due_ms = -1;
            tu_job_timeout(loop->due[i]);
        }
    }
    return 0;
}

/* One pass: poll the watched sockets for at most max_ms (-1: until the
 * earliest timer), then handle what is ready and what is due. Returns 1
 * while a job still waits for a socket or a timer, 0 when none does (every
 * job is over), or -1 when poll() or memory failed. */
static inline int tu_poll_loop_run_once(tu_poll_loop *loop, long max_ms)
{
    size_t i, n = loop->nwatches;
    int rc;

    if (tu_poll_reserve_pass(loop) != 0)
        return -1;
    for (i = 0; i < n; i++) {
        loop->pfds[i].fd = loop->watches[i].fd;
        loop->pfds[i].events = loop->watches[i].events;
        loop->pfds[i].revents = 0;
        loop->due[i] = loop->watches[i].job;
    }
    rc = poll(loop->pfds, (nfds_t)n, tu_poll_wait_ms(loop, max_ms));
    if (rc < 0 && errno != EINTR)
        return -1;
    if (rc > 0)
        tu_poll_dispatch(loop, n);
    if (tu_poll_fire_timers(loop) != 0)
        return -1;
    for (i = 0; i < loop->ntimers; i++)
        if (loop->timers[i].due_ms >= 0)
            return 1;
    return loop->nwatches > 0;
}

/* Run passes until no job waits for a socket or a timer: every job is
 * over. 0, or -1 when poll() or memory failed. */
static inline int tu_poll_loop_run(tu_poll_loop *loop)
{
    int rc;

    while ((rc = tu_poll_loop_run_once(loop, -1)) > 0)
        ;
    return rc;
}

#endif /* TRUEUP_ADAPTERS_POLL_H */
