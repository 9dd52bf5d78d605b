/* trueup/adapters/libuv.h -- run trueup jobs in a libuv loop.
 *
 *     tu_job *job = tu_job_new(desired, &options, &callbacks, &error);
 *     if (!job || tu_libuv_attach(job, loop, &error) != 0)
 *         ...error.message...
 *     uv_run(loop, UV_RUN_DEFAULT);   // any number of jobs in one loop
 *
 * Free the job with tu_job_free (in its done callback, or later): the
 * adapter's handles are then closed, and its memory freed by libuv's close
 * callbacks, so keep the loop running until they have run (uv_run returns
 * when they have). Everything runs on the loop's thread.
 *
 * How it works: one uv_poll_t per socket the job asks to watch (found by
 * its fd: slots.h), started for what the job wants and closed when it
 * says to stop; one uv_timer_t per job, started (never called directly)
 * for the time the job gives. Header only, as hiredis's adapters are:
 * include it in the C file that drives the loop, and link libuv.
 */
#ifndef TRUEUP_ADAPTERS_LIBUV_H
#define TRUEUP_ADAPTERS_LIBUV_H

#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "trueup/trueup.h"
#include "trueup/adapters/slots.h"

typedef struct tu_libuv_socket {
    uv_poll_t poll;
    tu_job *job;
    int fd;
} tu_libuv_socket;

typedef struct tu_libuv {
    uv_timer_t timer;
    uv_loop_t *loop;
    tu_job *job;
    tu_adapter_slots sockets;  /* tu_libuv_socket * by fd */
} tu_libuv;

static inline void tu_libuv_on_poll(uv_poll_t *handle, int status, int events)
{
    tu_libuv_socket *s = (tu_libuv_socket *)handle->data;
    int ready = status < 0 ? TU_EVENT_ERROR : 0;

    if (events & UV_READABLE)
        ready |= TU_EVENT_READ;
    if (events & UV_WRITABLE)
        ready |= TU_EVENT_WRITE;
    tu_job_socket_ready(s->job, s->fd, ready);
}

static inline void tu_libuv_free_handle(uv_handle_t *handle)
{
    free(handle->data);
}

/* A new poll handle for fd; NULL: out of memory or libuv refused. */
static inline tu_libuv_socket *tu_libuv_socket_new(tu_libuv *a, tu_job *job,
                                                   int fd)
{
    tu_libuv_socket *s = (tu_libuv_socket *)calloc(1, sizeof *s);

    if (!s || uv_poll_init_socket(a->loop, &s->poll, fd) != 0) {
        free(s);
        return NULL;
    }
    s->poll.data = s;
    s->job = job;
    s->fd = fd;
    return s;
}

static inline int tu_libuv_watch(tu_job *job, int fd, int what, void *data)
{
    tu_libuv *a = (tu_libuv *)data;
    void **slot = tu_adapter_slot(&a->sockets, fd);
    tu_libuv_socket *s = slot ? (tu_libuv_socket *)*slot : NULL;
    int events = 0;

    if (what == 0) {
        if (s)
            uv_close((uv_handle_t *)&s->poll, tu_libuv_free_handle);
        if (slot)
            *slot = NULL;
        return 0;
    }
    if (!s && (!slot || !(s = tu_libuv_socket_new(a, job, fd))))
        return -1;
    *slot = s;
    if (what & TU_WATCH_READ)
        events |= UV_READABLE;
    if (what & TU_WATCH_WRITE)
        events |= UV_WRITABLE;
    return uv_poll_start(&s->poll, events, tu_libuv_on_poll) == 0 ? 0 : -1;
}

static inline void tu_libuv_on_timer(uv_timer_t *timer)
{
    tu_job_timeout(((tu_libuv *)timer->data)->job);
}

static inline void tu_libuv_timer(tu_job *job, long timeout_ms, void *data)
{
    tu_libuv *a = (tu_libuv *)data;

    (void)job;
    if (timeout_ms < 0)
        uv_timer_stop(&a->timer);
    else
        uv_timer_start(&a->timer, tu_libuv_on_timer, (uint64_t)timeout_ms, 0);
}

/* The timer's close callback frees the adapter (timer is its first member). */
static inline void tu_libuv_free_adapter(uv_handle_t *handle)
{
    tu_libuv *a = (tu_libuv *)handle->data;

    tu_adapter_slots_free(&a->sockets);
    free(a);
}

static inline void tu_libuv_cleanup(tu_job *job, void *data)
{
    tu_libuv *a = (tu_libuv *)data;

    (void)job;
    uv_close((uv_handle_t *)&a->timer, tu_libuv_free_adapter);
}

/* Drive `job` from `loop`. 0, or -1 with `error` filled (out of memory,
 * or tu_job_attach's errors). */
static inline int tu_libuv_attach(tu_job *job, uv_loop_t *loop,
                                  tu_error *error)
{
    tu_libuv *a = (tu_libuv *)calloc(1, sizeof *a);
    tu_job_events events;

    if (!a || uv_timer_init(loop, &a->timer) != 0) {
        free(a);
        if (error) {
            error->code = TU_ERR_NOMEM;
            snprintf(error->message, sizeof error->message,
                     "tu_libuv_attach: out of memory");
        }
        return -1;
    }
    a->timer.data = a;
    a->loop = loop;
    a->job = job;
    events.watch = tu_libuv_watch;
    events.timer = tu_libuv_timer;
    events.cleanup = tu_libuv_cleanup;
    events.data = a;
    if (tu_job_attach(job, &events, error) != 0) {
        uv_close((uv_handle_t *)&a->timer, tu_libuv_free_adapter);
        return -1;
    }
    return 0;
}

#endif /* TRUEUP_ADAPTERS_LIBUV_H */
