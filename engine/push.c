/* push.c -- carrying planned actions to the API (see push.h).
 *
 * Each write holds a push_request listing the actions it carries. The
 * outcome of the response is written into each of those actions; the
 * report is built from the actions afterwards. A provider may take fewer
 * writes at once than the run's concurrency (max_writes: PowerDNS on
 * SQLite takes one), and a write may belong to a lane (a PowerDNS zone), of
 * which at most one write is in flight: writes that cannot start wait in a
 * FIFO and go out, in order, as earlier ones finish. A batch the API
 * refuses whole (HTTP 422) may be split by its provider, whose halves go to
 * the front of the queue. The outcome hook hears of each action as its
 * answer comes (or as the provider fails it unsent), so that a job can report records
 * as they happen. A replace's delete leaves it planned, with `deleted` set,
 * for the next push to send its create.
 *
 * The provider's answer rules (provider.h's `answers`, state/answer.h)
 * apply to every write: a 2xx answer that fails the success rule fails
 * its actions with the server's message, and a create's answer gives the
 * new record's id (its body, else the Location header, which is kept for
 * creates). A create re-sent after re-reading found it absent (job.c)
 * adds its attempts to those before.
 *
 * A provider that makes one request per action (push_per_action) is
 * handed the actions a window at a time: the next ones once fewer than
 * half a window of its writes are in flight. So the first writes go out
 * at once, the rest are built while earlier ones are answered, and a
 * push of a million records never holds a million requests. The window
 * is twice the run's concurrency (the executor then always has the next
 * writes queued). A provider that batches (PowerDNS) gets every action at
 * once.
 */
#include "push.h"
#include "util/arena.h"
#include "state/answer.h"
#include "state/listpage.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TU_ERROR_BODY_MAX 300  /* bytes of a server's answer kept */

/* One allocation: the struct, the covered actions, the URL and (sent with
 * tu_push_send_copy) the body. The executor borrows method, URL and body
 * until its done call. */
typedef struct push_request {
    struct tu_push *push;
    char method[8];
    char *url;               /* in the block */
    char *body;              /* NULL, in the block, or malloc'd (owns_body) */
    size_t body_len;
    int owns_body;
    int idempotent;
    int form;                /* the body is a form, not JSON */
    tu_action **covered;     /* = slots */
    size_t ncovered;
    long lane;               /* -1: none */
    tu_push_split_fn split;  /* NULL: a refused batch fails whole */
    tu_action *slots[];      /* then the URL, then a copied body */
} push_request;

/* Writes that wait, in order; an entry is NULL once started. */
typedef struct queue {
    struct push_request **items;
    size_t n, next, cap;
} queue;

struct tu_push {
    const tu_target *target;
    tu_exec *exec;
    size_t submitted, done;
    long max_writes;         /* 0: no limit of the provider's own */
    size_t in_flight;        /* writes handed to the executor, not done */
    queue waiting;           /* writes held back */
    queue halves;            /* halves of split batches: they go first */
    unsigned char *busy;     /* per lane: a write of it is in flight */
    size_t nlanes;
    tu_progress_fn progress;
    void *progress_data;
    tu_push_outcome_fn outcome;  /* NULL: none */
    void *outcome_data;
    unsigned header_set;     /* the executor's headers the writes send */
    tu_action **todo;        /* owned: the actions to push, in plan order */
    size_t ntodo, next;      /* todo[next..] not handed to the provider */
    size_t window;           /* 0: every action at once */
};

static void feed(tu_push *p);

static int submit(tu_push *p, push_request *req);
static void start_waiting(tu_push *p);

static void request_free(push_request *req)
{
    if (req->owns_body)
        free(req->body);
    free(req);
}

static int can_start(const tu_push *p, const push_request *req)
{
    if (p->max_writes > 0 && p->in_flight >= (size_t)p->max_writes)
        return 0;
    return req->lane < 0 || (size_t)req->lane >= p->nlanes ||
           !p->busy[req->lane];
}

/* Mark a lane busy or free; 0, or -1 (out of memory). */
static int set_lane(tu_push *p, long lane, unsigned char busy)
{
    if (lane < 0)
        return 0;
    if ((size_t)lane >= p->nlanes) {
        size_t n = (size_t)lane + 16;
        unsigned char *b = realloc(p->busy, n);
        if (!b)
            return -1;
        memset(b + p->nlanes, 0, n - p->nlanes);
        p->busy = b;
        p->nlanes = n;
    }
    p->busy[lane] = busy;
    return 0;
}

/* A batch of several actions the API refused whole (422: PowerDNS names
 * only one bad rrset) goes back to its provider to be split. */
static int split_refused(const push_request *req, const tu_http_response *r)
{
    return req->split && req->ncovered > 1 && r->curl_code == CURLE_OK &&
           r->status == 422;
}

static int accepted(const tu_action *a, long status)
{
    if (status >= 200 && status <= 299)
        return 1;
    return tu_action_request(a) == TU_ACTION_DELETE &&
           (status == 404 || status == 410);
}

/* A 2xx answer the provider's success rule refuses (Porkbun's 200
 * {"status": "ERROR"}): `error` says why, scrubbed. 1 when refused. */
static int refused_inside(const push_request *req, const tu_http_response *r,
                          char *error, size_t size)
{
    const tu_target *t = req->push->target;
    const tu_answer_rules *rules = tu_target_answers(t);
    char why[TU_ERROR_BODY_MAX + 400];

    if (!rules || r->curl_code != CURLE_OK || r->status < 200 ||
        r->status > 299 ||
        tu_answer_check(&rules->success, r->status, r->body, r->body_len,
                        why, sizeof why))
        return 0;
    snprintf(error, size, "%s %s: %s", req->method, req->url, why);
    tu_target_scrub(t, error);
    return 1;
}

/* A create's answer names the new record's id: kept for the report. */
static void keep_new_id(const tu_push *p, tu_action *a,
                        const tu_http_response *r)
{
    const tu_answer_rules *rules = tu_target_answers(p->target);
    char *id;

    if (!rules || !rules->id_field ||
        tu_action_request(a) != TU_ACTION_CREATE)
        return;
    id = tu_answer_new_id(r->body, r->body_len, rules->id_path,
                          rules->id_field,
                          tu_http_response_header(r, "Location"));
    if (id)
        tu_target_scrub(p->target, id);
    (void)tu_action_take_new_id(a, id);  /* out of memory: no id kept */
}

/* The request for `a` succeeded: done, or for a replace whose delete this
 * was, ready for its create (in the next push). */
static void succeeded(tu_action *a)
{
    if (a->kind == TU_ACTION_REPLACE && !a->deleted)
        a->deleted = 1;
    else
        a->status = TU_STATUS_OK;
}

/* A replace whose create fails has lost its record: say so. */
static void failed(tu_action *a, const char *error)
{
    char msg[1200];
    if (a->kind != TU_ACTION_REPLACE || !a->deleted) {
        tu_action_fail(a, error);
        return;
    }
    snprintf(msg, sizeof msg, "deleted for the replace, but creating it "
             "again failed (the record is now missing; run again): %s",
             error);
    tu_action_fail(a, msg);
}

static void failure_text(const push_request *req, const tu_http_response *r,
                         char *buf, size_t size)
{
    char *ex;
    if (r->curl_code != CURLE_OK && r->attempts == 0) {
        snprintf(buf, size, "%s %s: %s", req->method, req->url, r->error);
        return;
    }
    if (r->curl_code != CURLE_OK) {
        snprintf(buf, size, "%s %s: %s (after %u attempt%s)", req->method,
                 req->url, r->error, r->attempts, r->attempts == 1 ? "" : "s");
        return;
    }
    ex = tu_excerpt(r->body, r->body_len, TU_ERROR_BODY_MAX);
    snprintf(buf, size, "%s %s: HTTP %ld%s%s", req->method, req->url,
             r->status, ex && *ex ? ": " : "", ex ? ex : "");
    free(ex);
}

static void push_done(const tu_http_response *r, void *data)
{
    push_request *req = data;
    tu_push *p = req->push;
    char error[1024];
    int split = split_refused(req, r);
    int inside;

    error[0] = '\0';
    inside = !split && refused_inside(req, r, error, sizeof error);
    for (size_t i = 0; !split && i < req->ncovered; i++) {
        tu_action *a = req->covered[i];
        unsigned tries = (a->resent ? a->attempts : 0u) + r->attempts;
        a->http_status = (short)r->status;   /* 100-599 */
        /* a create re-sent counts every POST */
        a->attempts = (unsigned short)(tries < USHRT_MAX ? tries : USHRT_MAX);
        if (r->curl_code == CURLE_OK && accepted(a, r->status) && !inside) {
            keep_new_id(p, a, r);
            succeeded(a);
            continue;
        }
        a->uncertain = !inside && r->may_have_arrived &&
                       tu_action_request(a) == TU_ACTION_CREATE;
        if (!error[0]) {
            failure_text(req, r, error, sizeof error);
            tu_target_scrub(p->target, error);
        }
        failed(a, error);
    }
    for (size_t i = 0; !split && p->outcome && i < req->ncovered; i++) {
        /* no outcome yet: an uncertain create, a replace half done */
        if (!req->covered[i]->uncertain &&
            req->covered[i]->status != TU_STATUS_PLANNED)
            p->outcome(req->covered[i], p->outcome_data);
    }
    p->done++;
    p->in_flight--;
    set_lane(p, req->lane, 0);
    if (p->progress) {
        tu_progress prog = {"apply", p->done,
                            p->submitted + p->ntodo - p->next};
        p->progress(&prog, p->progress_data);
    }
    if (split)
        req->split(p, p->target, req->url, req->covered, req->ncovered,
                   req->lane);
    request_free(req);
    start_waiting(p);
    feed(p);
}

static void fail_all(tu_action **covered, size_t n, const char *why)
{
    for (size_t i = 0; i < n; i++)
        tu_action_fail(covered[i], why);
}


static int carries_create(const push_request *req)
{
    for (size_t i = 0; i < req->ncovered; i++)
        if (tu_action_request(req->covered[i]) == TU_ACTION_CREATE)
            return 1;
    return 0;
}

/* Hand a write to the executor, which borrows its method, URL and body
 * until push_done. */
static int submit(tu_push *p, push_request *req)
{
    tu_http_request http = {0};

    http.method = req->method;
    http.url = req->url;
    http.body = req->body;
    http.body_len = req->body_len;
    http.idempotent = req->idempotent;
    http.form = req->form;
    http.want_headers = carries_create(req);  /* the new id's Location */
    http.header_set = p->header_set;
    http.done = push_done;
    http.data = req;
    http.borrowed = 1;
    if (set_lane(p, req->lane, 1) != 0 ||
        tu_exec_submit(p->exec, &http) != 0) {
        set_lane(p, req->lane, 0);
        fail_all(req->covered, req->ncovered, "out of memory");
        request_free(req);
        return -1;
    }
    p->in_flight++;
    return 0;
}

/* Start the writes of `q` that can go now, oldest first. */
static void start_queue(tu_push *p, queue *q)
{
    for (size_t i = q->next; i < q->n; i++) {
        push_request *req = q->items[i];
        if (!req || !can_start(p, req))
            continue;
        q->items[i] = NULL;
        submit(p, req);
    }
    while (q->next < q->n && !q->items[q->next])
        q->next++;
}

static void start_waiting(tu_push *p)
{
    start_queue(p, &p->halves);
    start_queue(p, &p->waiting);
}

/* Keep a write until it can start: in the queue of split halves (which go
 * before the others: they came first) or of the others. */
static int hold(tu_push *p, push_request *req, int front)
{
    queue *q = front ? &p->halves : &p->waiting;
    if (tu_array_grow(&q->items, &q->cap, q->n + 1, sizeof *q->items, 16)) {
        fail_all(req->covered, req->ncovered, "out of memory");
        request_free(req);
        return -1;
    }
    q->items[q->n++] = req;
    return 0;
}

/* Fail the writes of `q` that never went out. */
static void drop_queue(tu_push *p, queue *q)
{
    for (size_t i = q->next; i < q->n; i++) {
        push_request *req = q->items[i];
        if (!req)
            continue;
        fail_all(req->covered, req->ncovered,
                 "not sent: the HTTP executor failed");
        for (size_t j = 0; p->outcome && j < req->ncovered; j++)
            p->outcome(req->covered[j], p->outcome_data);
        request_free(req);
    }
    free(q->items);
}

int tu_push_send(tu_push *p, const char *method, const char *url,
                 char *body, size_t body_len, int idempotent,
                 tu_action **covered, size_t ncovered)
{
    tu_push_lane lane = {-1, NULL, 0};
    return tu_push_send_in(p, &lane, method, url, body, body_len, idempotent,
                           covered, ncovered);
}

/* A write in one block: the covered actions, the URL and, when `copy` is
 * set, the body copied; otherwise the malloc'd `body` is taken. NULL when
 * out of memory (then `body` is not taken). */
static push_request *request_new(tu_push *p, const char *method,
                                 const char *url, char *body, size_t body_len,
                                 int copy, tu_action **covered, size_t n)
{
    size_t url_len = strlen(url), body_room = copy && body ? body_len + 1 : 0;
    push_request *req = malloc(sizeof *req + n * sizeof *covered +
                               url_len + 1 + body_room);

    if (!req)
        return NULL;
    memset(req, 0, sizeof *req);
    req->push = p;
    snprintf(req->method, sizeof req->method, "%s", method);
    req->covered = req->slots;
    memcpy(req->slots, covered, n * sizeof *covered);
    req->ncovered = n;
    req->url = (char *)(req->slots + n);
    memcpy(req->url, url, url_len + 1);
    req->body = body;
    req->body_len = body ? body_len : 0;
    req->owns_body = body && !copy;
    if (body_room) {
        req->body = req->url + url_len + 1;
        memcpy(req->body, body, body_len);
        req->body[body_len] = '\0';
    }
    return req;
}

/* Queue or submit a new write. */
static int send_request(tu_push *p, const tu_push_lane *lane,
                        push_request *req, int idempotent)
{
    req->idempotent = idempotent;
    req->lane = lane->lane;
    req->split = lane->split;
    p->submitted++;
    if (!can_start(p, req))
        return hold(p, req, lane->front);
    return submit(p, req);
}

int tu_push_send_in(tu_push *p, const tu_push_lane *lane, const char *method,
                    const char *url, char *body, size_t body_len,
                    int idempotent, tu_action **covered, size_t ncovered)
{
    push_request *req = request_new(p, method, url, body, body_len, 0,
                                    covered, ncovered);

    if (!req) {
        free(body);
        fail_all(covered, ncovered, "out of memory");
        return -1;
    }
    return send_request(p, lane, req, idempotent);
}

int tu_push_send_copy(tu_push *p, const char *method, const char *url,
                      const char *body, size_t body_len, int idempotent,
                      int form, tu_action **covered, size_t ncovered)
{
    tu_push_lane lane = {-1, NULL, 0};
    push_request *req = request_new(p, method, url, (char *)body, body_len,
                                    1, covered, ncovered);

    if (!req) {
        fail_all(covered, ncovered, "out of memory");
        return -1;
    }
    req->form = form;
    return send_request(p, &lane, req, idempotent);
}

static int needs_push(const tu_action *a)
{
    return a->status == TU_STATUS_PLANNED &&
           (a->kind == TU_ACTION_CREATE || a->kind == TU_ACTION_UPDATE ||
            a->kind == TU_ACTION_DELETE || a->kind == TU_ACTION_REPLACE);
}

/* The planned actions to push now, in plan order (room for all of them,
 * for those held back and released later). NULL when out of memory (then
 * every one of them failed). */
static tu_action **actions_to_push(tu_plan *plan, const tu_push_hooks *h,
                                   size_t *n)
{
    tu_action **todo = malloc((plan->count ? plan->count : 1) * sizeof *todo);

    *n = 0;
    for (size_t i = 0; i < plan->count; i++) {
        if (!needs_push(&plan->actions[i]) ||
            (h->hold && h->hold(&plan->actions[i], h->hold_data)))
            continue;
        if (todo)
            todo[(*n)++] = &plan->actions[i];
        else
            tu_action_fail(&plan->actions[i], "out of memory");
    }
    return todo;
}

/* The provider failed some actions without sending them (a record it
 * cannot write, out of memory): their outcome is known now. */
static void report_unsent(tu_push *p, tu_action **todo, size_t n)
{
    for (size_t i = 0; p->outcome && i < n; i++) {
        if (todo[i]->status == TU_STATUS_FAILED)
            p->outcome(todo[i], p->outcome_data);
    }
}

/* Hand the provider the actions it has not had yet: all of them, or
 * (windowed) up to a window of writes in flight once half of it is free. */
static void feed(tu_push *p)
{
    while (p->next < p->ntodo &&
           (!p->window || p->in_flight <= p->window / 2)) {
        size_t n = p->ntodo - p->next;
        tu_action **slice = p->todo + p->next;
        if (p->window && n > p->window - p->in_flight)
            n = p->window - p->in_flight;
        p->next += n;
        p->target->ops->push(p->target, p, slice, n);
        report_unsent(p, slice, n);
    }
}

/* Twice the run's concurrency, for a provider that writes per action. */
static size_t window_of(const tu_target *target, tu_exec *exec)
{
    tu_exec_stats stats;

    if (!target->ops->push_per_action ||
        !target->ops->push_per_action(target->cfg))
        return 0;
    tu_exec_stats_get(exec, &stats);
    return 2 * (size_t)(stats.concurrency_now > 0 ? stats.concurrency_now
                                                  : 1);
}

tu_push *tu_push_begin(const tu_target *target, tu_exec *exec,
                       tu_plan *plan, const tu_push_hooks *hooks)
{
    tu_push *p = calloc(1, sizeof *p);
    size_t n;
    tu_action **todo = actions_to_push(plan, hooks, &n);

    if (!p || !todo) {
        for (size_t i = 0; todo && i < n; i++)
            tu_action_fail(todo[i], "out of memory");
        free(todo);
        free(p);
        return NULL;
    }
    p->target = target;
    p->exec = exec;
    p->progress = hooks->progress;
    p->progress_data = hooks->progress_data;
    p->outcome = hooks->outcome;
    p->outcome_data = hooks->outcome_data;
    p->header_set = hooks->header_set;
    p->max_writes = target->ops->max_writes
                        ? target->ops->max_writes(target->cfg) : 0;
    p->todo = todo;
    p->ntodo = n;
    p->window = window_of(target, exec);
    feed(p);
    if (p->progress && p->submitted) {
        tu_progress prog = {"apply", 0, p->submitted + p->ntodo - p->next};
        p->progress(&prog, p->progress_data);
    }
    return p;
}

void tu_push_release(tu_push *p, tu_action *action)
{
    p->todo[p->ntodo++] = action;
    feed(p);
}

void tu_push_end(tu_push *p)
{
    drop_queue(p, &p->halves);
    drop_queue(p, &p->waiting);
    free(p->todo);
    free(p->busy);
    free(p);
}
