/* trueup/adapters/libevent.h -- run trueup jobs in a libevent event_base.
 *
 *     tu_job *job = tu_job_new(desired, &options, &callbacks, &error);
 *     if (!job || tu_libevent_attach(job, base, &error) != 0)
 *         ...error.message...
 *     event_base_dispatch(base);      // any number of jobs in one base
 *
 * Free the job with tu_job_free (in its done callback, or later); the
 * adapter's events are freed with it. Everything runs on the base's
 * thread.
 *
 * How it works: one persistent struct event per socket the job asks to
 * watch (found by its fd: slots.h), re-assigned when what the job
 * wants changes and freed when it says to stop; one timer event per job,
 * added (never called directly) for the time the job gives. Header only,
 * as hiredis's adapters are: include it in the C file that drives the
 * loop, and link libevent.
 */
#ifndef TRUEUP_ADAPTERS_LIBEVENT_H
#define TRUEUP_ADAPTERS_LIBEVENT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "trueup/trueup.h"
#include "trueup/adapters/slots.h"

typedef struct tu_libevent {
    struct event_base *base;
    struct event *timer;
    tu_job *job;
    tu_adapter_slots sockets;  /* struct event * by fd */
} tu_libevent;

static inline void tu_libevent_on_socket(evutil_socket_t fd, short what,
                                         void *data)
{
    tu_libevent *a = (tu_libevent *)data;
    int ready = 0;

    if (what & EV_READ)
        ready |= TU_EVENT_READ;
    if (what & EV_WRITE)
        ready |= TU_EVENT_WRITE;
    tu_job_socket_ready(a->job, (int)fd, ready);
}

static inline int tu_libevent_watch(tu_job *job, int fd, int what,
                                    void *data)
{
    tu_libevent *a = (tu_libevent *)data;
    void **slot = tu_adapter_slot(&a->sockets, fd);
    short events = EV_PERSIST;
    struct event *ev;

    (void)job;
    if (!slot)
        return what == 0 ? 0 : -1;
    if (*slot)
        event_free((struct event *)*slot);  /* deletes it too */
    *slot = NULL;
    if (what == 0)
        return 0;
    if (what & TU_WATCH_READ)
        events |= EV_READ;
    if (what & TU_WATCH_WRITE)
        events |= EV_WRITE;
    ev = event_new(a->base, fd, events, tu_libevent_on_socket, a);
    if (!ev || event_add(ev, NULL) != 0) {
        if (ev)
            event_free(ev);
        return -1;
    }
    *slot = ev;
    return 0;
}

static inline void tu_libevent_on_timer(evutil_socket_t fd, short what,
                                        void *data)
{
    (void)fd;
    (void)what;
    tu_job_timeout(((tu_libevent *)data)->job);
}

static inline void tu_libevent_timer(tu_job *job, long timeout_ms, void *data)
{
    tu_libevent *a = (tu_libevent *)data;
    struct timeval tv;

    (void)job;
    if (timeout_ms < 0) {
        evtimer_del(a->timer);
        return;
    }
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    evtimer_add(a->timer, &tv);
}

static inline void tu_libevent_cleanup(tu_job *job, void *data)
{
    tu_libevent *a = (tu_libevent *)data;
    size_t i;

    (void)job;
    for (i = 0; i < a->sockets.count; i++)
        if (a->sockets.items[i])
            event_free((struct event *)a->sockets.items[i]);
    event_free(a->timer);
    tu_adapter_slots_free(&a->sockets);
    free(a);
}

/* Drive `job` from `base`. 0, or -1 with `error` filled (out of memory,
 * or tu_job_attach's errors). */
static inline int tu_libevent_attach(tu_job *job, struct event_base *base,
                                     tu_error *error)
{
    tu_libevent *a = (tu_libevent *)calloc(1, sizeof *a);
    tu_job_events events;

    if (!a || !(a->timer = evtimer_new(base, tu_libevent_on_timer, a))) {
        free(a);
        if (error) {
            error->code = TU_ERR_NOMEM;
            snprintf(error->message, sizeof error->message,
                     "tu_libevent_attach: out of memory");
        }
        return -1;
    }
    a->base = base;
    a->job = job;
    events.watch = tu_libevent_watch;
    events.timer = tu_libevent_timer;
    events.cleanup = tu_libevent_cleanup;
    events.data = a;
    if (tu_job_attach(job, &events, error) != 0) {
        tu_libevent_cleanup(job, a);
        return -1;
    }
    return 0;
}

#endif /* TRUEUP_ADAPTERS_LIBEVENT_H */
