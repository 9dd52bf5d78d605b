/* push.c -- carrying planned actions to the API (see push.h).
 *
 * Each write holds a push_request listing the actions it carries. The
 * outcome of the response is written into each of those actions; the
 * report is built from the actions afterwards.
 */
#include "push.h"
#include "state/listpage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TU_ERROR_BODY_MAX 300  /* bytes of a server's answer kept */

struct tu_push {
    const tu_target *target;
    tu_exec *exec;
    size_t submitted, done;
    tu_progress_fn progress;
    void *progress_data;
};

typedef struct push_request {
    tu_push *push;
    char method[8];
    char *url;
    tu_action **covered;
    size_t ncovered;
} push_request;

static int accepted(const tu_action *a, long status)
{
    if (status >= 200 && status <= 299)
        return 1;
    return a->kind == TU_ACTION_DELETE && (status == 404 || status == 410);
}

static void failure_text(const push_request *req, const tu_http_response *r,
                         char *buf, size_t size)
{
    char *ex;
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

    error[0] = '\0';
    for (size_t i = 0; i < req->ncovered; i++) {
        tu_action *a = req->covered[i];
        a->http_status = r->status;
        a->attempts = r->attempts;
        if (r->curl_code == CURLE_OK && accepted(a, r->status)) {
            a->status = TU_STATUS_OK;
            continue;
        }
        if (!error[0]) {
            failure_text(req, r, error, sizeof error);
            tu_target_scrub(p->target, error);
        }
        tu_action_fail(a, error);
    }
    p->done++;
    if (p->progress) {
        tu_progress prog = {"apply", p->done, p->submitted};
        p->progress(&prog, p->progress_data);
    }
    free(req->url);
    free(req->covered);
    free(req);
}

static void fail_all(tu_action **covered, size_t n, const char *why)
{
    for (size_t i = 0; i < n; i++)
        tu_action_fail(covered[i], why);
}

int tu_push_send(tu_push *p, const char *method, const char *url,
                 char *body, size_t body_len, int idempotent,
                 tu_action **covered, size_t ncovered)
{
    push_request *req = calloc(1, sizeof *req);
    tu_http_request http = {0};

    if (!req || !(req->url = strdup(url)) ||
        !(req->covered = malloc(ncovered * sizeof *covered)))
        goto oom;
    req->push = p;
    snprintf(req->method, sizeof req->method, "%s", method);
    memcpy(req->covered, covered, ncovered * sizeof *covered);
    req->ncovered = ncovered;
    http.method = req->method;
    http.url = url;
    http.body = body;
    http.body_len = body_len;
    http.idempotent = idempotent;
    http.done = push_done;
    http.data = req;
    body = NULL; /* the executor owns it from here, even on failure */
    if (tu_exec_submit(p->exec, &http) != 0)
        goto oom;
    p->submitted++;
    return 0;
oom:
    free(body);
    if (req) {
        free(req->url);
        free(req->covered);
        free(req);
    }
    fail_all(covered, ncovered, "out of memory");
    return -1;
}

static int needs_push(const tu_action *a)
{
    return a->status == TU_STATUS_PLANNED &&
           (a->kind == TU_ACTION_CREATE || a->kind == TU_ACTION_UPDATE ||
            a->kind == TU_ACTION_DELETE);
}

int tu_push_plan(const tu_target *target, tu_exec *exec, tu_plan *plan,
                 tu_progress_fn progress, void *progress_data)
{
    tu_push p = {target, exec, 0, 0, progress, progress_data};
    tu_action **todo = malloc((plan->count ? plan->count : 1) * sizeof *todo);
    size_t n = 0;
    int rc;

    if (!todo) {
        for (size_t i = 0; i < plan->count; i++) {
            if (needs_push(&plan->actions[i]))
                tu_action_fail(&plan->actions[i], "out of memory");
        }
        return 0;
    }
    for (size_t i = 0; i < plan->count; i++) {
        if (needs_push(&plan->actions[i]))
            todo[n++] = &plan->actions[i];
    }
    if (n)
        target->ops->push(target, &p, todo, n);
    rc = tu_exec_run(exec);
    free(todo);
    return rc;
}
