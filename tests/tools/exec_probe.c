/* exec_probe.c -- run a JSON list of HTTP requests through the executor and
 * print what happened, as JSON. A driver for tests/integration and for
 * quick throughput measurements; it is not installed.
 *
 *     exec_probe [SPEC.json]        (the spec is read from stdin without one)
 *
 * The spec:
 *
 *   {"concurrency": 16, "max_attempts": 4, "retry_base_ms": 200,
 *    "retry_max_ms": 10000, "timeout_ms": 30000, "connect_timeout_ms": 0,
 *    "max_body_bytes": 0, "headers": ["X-Name: value"],
 *    "rate_limit": 50.0,        requests per second (0: none)
 *    "adaptive": false,         AIMD concurrency
 *    "deadline_ms": 0,          the whole run's deadline (0: none)
 *    "ca_file": null, "client_cert": null, "client_key": null,
 *    "insecure": false,         TLS settings (paths)
 *    "http2": "auto",           "auto" | "on" | "off" (anything else is
 *                               passed on as invalid)
 *    "max_connections": 0,      connections open at once (0: no limit)
 *    "mode": "run" | "poll",   run: tu_exec_run; poll: poll(2) on
 *                               tu_exec_fd with tu_exec_timeout_ms, then
 *                               tu_exec_drive(exec, 0)
 *    "cancel_after_ms": 200,    drive with tu_exec_drive instead, and call
 *                               tu_exec_cancel(exec, cancel_grace_ms) this
 *                               long after the first submit
 *    "stop_after_ms": 200,      set should_stop: it returns 1 from this long
 *                               after the first submit (any mode); the
 *                               executor then cancels with cancel_grace_ms
 *    "cancel_after_done": 3,    call tu_exec_cancel(exec, cancel_grace_ms)
 *                               from inside the 3rd done callback
 *    "cancel_grace_ms": 5000,
 *    "repeat": 1,               submit the request list this many times
 *    "results": true,           print one result per request
 *    "print_body": false,
 *    "requests": [{"method": "PATCH", "url": "http://...", "body": "{}",
 *                  "body_repeat": {"text": "x", "count": 2000000},
 *                  "idempotent": true, "want_headers": true,
 *                  "lookup": ["Link"],     tu_http_response_header values
 *                  "check_echo": true,     the response body must equal
 *                                          the request body ("echo_ok")
 *                  "follow_next": true}]}  from done, submit a GET for the
 *                                          Link rel="next" URL, if any
 *
 * Every field is optional but "requests". The output has the elapsed time,
 * the executor's stats (with concurrency_now and concurrency_min, the
 * connections opened, the answers by HTTP version, the re-sends the
 * guard refused and allowed, and libcurl's version number), how many
 * done calls each request got (it must be exactly one), counts by status,
 * curl code and error text ("error_counts", "" for none), how many
 * responses had may_have_arrived (each result has the flag too), and, when
 * response bodies are JSON objects with numeric "t0" and "t1" (server-side
 * start and end times of the request), the largest number of requests the
 * server had in progress at once ("max_in_flight").
 */
#include "engine/executor.h"
#include "util/clock.h"

#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One submitted request and what came back for it. */
typedef struct probe_record {
    struct probe *probe;
    const json_t *spec;      /* the request's spec (borrowed) */
    char *url;               /* for follow-ups: the URL followed */
    char *sent_body;         /* a copy, to check an echo; NULL: none */
    size_t sent_len;
    unsigned done_calls;
    json_t *result;          /* NULL until done */
    double t0, t1;           /* server times; t1 < t0: none */
} probe_record;

typedef struct probe {
    tu_exec *exec;
    const json_t *spec;
    int print_body;
    int keep_results;
    probe_record **records;
    size_t nrecords;
    size_t cap;
    size_t done_calls;
    int failed;               /* out of memory, or a submit failed */
    double start;             /* when the first request was submitted */
    long stop_after_ms;       /* should_stop fires this long after: -1 none */
    long cancel_after_done;   /* cancel from this done call: 0 none */
    long cancel_grace_ms;
} probe;

static double now_seconds(void)
{
    return (double)tu_clock_ns() / 1e9;
}

static long spec_long(const json_t *spec, const char *key, long fallback)
{
    const json_t *v = json_object_get(spec, key);

    return json_is_integer(v) ? (long)json_integer_value(v) : fallback;
}

static double spec_double(const json_t *spec, const char *key,
                          double fallback)
{
    const json_t *v = json_object_get(spec, key);

    return json_is_number(v) ? json_number_value(v) : fallback;
}

static int spec_bool(const json_t *spec, const char *key, int fallback)
{
    const json_t *v = json_object_get(spec, key);

    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

static const char *spec_string(const json_t *spec, const char *key,
                               const char *fallback)
{
    const char *s = json_string_value(json_object_get(spec, key));

    return s ? s : fallback;
}

/* ---- request bodies ------------------------------------------------ */

static char *repeat_text(const json_t *rep, size_t *len)
{
    const char *text = spec_string(rep, "text", "x");
    size_t tlen = strlen(text), count = (size_t)spec_long(rep, "count", 0);
    char *body = malloc(tlen * count + 1);
    size_t i;

    if (!body)
        return NULL;
    for (i = 0; i < count; i++)
        memcpy(body + i * tlen, text, tlen);
    body[tlen * count] = '\0';
    *len = tlen * count;
    return body;
}

/* The request's body as a malloc'd buffer, or NULL when it has none. */
static char *make_body(const json_t *req, size_t *len)
{
    const json_t *body = json_object_get(req, "body");
    const json_t *rep = json_object_get(req, "body_repeat");
    char *copy;

    *len = 0;
    if (json_is_object(rep))
        return repeat_text(rep, len);
    if (!json_is_string(body))
        return NULL;
    *len = json_string_length(body);
    copy = malloc(*len + 1);
    if (copy) {
        memcpy(copy, json_string_value(body), *len);
        copy[*len] = '\0';
    }
    return copy;
}

/* ---- results ------------------------------------------------------- */

static json_t *headers_json(const tu_http_response *resp)
{
    json_t *list = json_array();
    size_t i;

    for (i = 0; i < resp->nheaders; i++)
        json_array_append_new(list, json_pack("[ss]", resp->headers[i].name,
                                              resp->headers[i].value));
    return list;
}

static json_t *lookup_json(const tu_http_response *resp, const json_t *names)
{
    json_t *found = json_object();
    size_t i;
    const json_t *name;

    json_array_foreach(names, i, name) {
        const char *key = json_string_value(name);
        const char *value = key ? tu_http_response_header(resp, key) : NULL;
        if (key)
            json_object_set_new(found, key,
                                value ? json_string(value) : json_null());
    }
    return found;
}

/* Keep the server's "t0"/"t1" times, when the body carries them. */
static void note_server_times(probe_record *rec, const tu_http_response *resp)
{
    json_t *body, *t0, *t1;

    if (!strstr(resp->body, "\"t0\""))
        return;
    body = json_loadb(resp->body, resp->body_len, 0, NULL);
    t0 = json_object_get(body, "t0");
    t1 = json_object_get(body, "t1");
    if (json_is_number(t0) && json_is_number(t1)) {
        rec->t0 = json_number_value(t0);
        rec->t1 = json_number_value(t1);
    }
    json_decref(body);
}

static json_t *result_json(const probe_record *rec,
                           const tu_http_response *resp)
{
    const json_t *spec = rec->spec;
    json_t *r = json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:I, s:b, s:b}",
                          "method", spec_string(spec, "method", "GET"),
                          "url", rec->url,
                          "status", (json_int_t)resp->status,
                          "curl_code", (json_int_t)resp->curl_code,
                          "error", resp->error,
                          "attempts", (json_int_t)resp->attempts,
                          "body_len", (json_int_t)resp->body_len,
                          "body_truncated", resp->body_truncated,
                          "may_have_arrived", resp->may_have_arrived);

    if (!r)
        return NULL;
    if (rec->probe->print_body)
        json_object_set_new(r, "body", json_stringn(resp->body, resp->body_len));
    if (rec->sent_body)
        json_object_set_new(r, "echo_ok",
                            json_boolean(resp->body_len == rec->sent_len &&
                                         memcmp(resp->body, rec->sent_body,
                                                rec->sent_len) == 0));
    if (spec_bool(spec, "want_headers", 0))
        json_object_set_new(r, "headers", headers_json(resp));
    if (json_is_array(json_object_get(spec, "lookup")))
        json_object_set_new(r, "lookup",
                            lookup_json(resp, json_object_get(spec, "lookup")));
    return r;
}

/* What the report counts, kept small for throughput runs: the error text
 * and may_have_arrived only when there is one. */
static json_t *summary_json(const tu_http_response *resp)
{
    json_t *r = json_pack("{s:i, s:i, s:i}", "status", (json_int_t)resp->status,
                          "curl_code", (json_int_t)resp->curl_code,
                          "attempts", (json_int_t)resp->attempts);

    if (r && resp->error[0])
        json_object_set_new(r, "error", json_string(resp->error));
    if (r && resp->may_have_arrived)
        json_object_set_new(r, "may_have_arrived", json_true());
    return r;
}

/* ---- submitting ---------------------------------------------------- */

static void on_done(const tu_http_response *resp, void *data);

static probe_record *add_record(probe *p, const json_t *spec, const char *url)
{
    probe_record *rec;

    if (p->nrecords == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        probe_record **records = realloc(p->records, cap * sizeof *records);
        if (!records)
            return NULL;
        p->records = records;
        p->cap = cap;
    }
    rec = calloc(1, sizeof *rec);
    if (!rec || !(rec->url = strdup(url))) {
        free(rec);
        return NULL;
    }
    rec->probe = p;
    rec->spec = spec;
    rec->t1 = -1;
    p->records[p->nrecords++] = rec;
    return rec;
}

/* Submit one request of the spec (to `url`, which a follow-up changes). */
static int submit_one(probe *p, const json_t *spec, const char *url,
                      int with_body)
{
    probe_record *rec = add_record(p, spec, url);
    tu_http_request req;

    if (!rec)
        return -1;
    memset(&req, 0, sizeof req);
    req.method = with_body ? spec_string(spec, "method", "GET") : "GET";
    req.url = url;
    req.body = with_body ? make_body(spec, &req.body_len) : NULL;
    req.idempotent = spec_bool(spec, "idempotent", 1);
    req.want_headers = spec_bool(spec, "want_headers", 0) ||
                       spec_bool(spec, "follow_next", 0);
    req.done = on_done;
    req.data = rec;
    if (req.body && spec_bool(spec, "check_echo", 0)) {
        rec->sent_body = malloc(req.body_len + 1);
        if (!rec->sent_body) {
            free(req.body);
            return -1;
        }
        memcpy(rec->sent_body, req.body, req.body_len);
        rec->sent_len = req.body_len;
    }
    return tu_exec_submit(p->exec, &req);
}

/* The URL of a Link header's rel="next" entry, copied into out. */
static int next_link(const char *link, char *out, size_t size)
{
    while (link && *link) {
        const char *open = strchr(link, '<'), *close, *end;
        if (!open || !(close = strchr(open, '>')))
            return 0;
        end = strchr(close, ',');
        if (!end)
            end = close + strlen(close);
        if ((size_t)(close - open - 1) < size) {
            const char *rel = strstr(close, "rel=\"next\"");
            if (rel && rel < end) {
                memcpy(out, open + 1, (size_t)(close - open - 1));
                out[close - open - 1] = '\0';
                return 1;
            }
        }
        link = *end ? end + 1 : end;
    }
    return 0;
}

static void follow_next(probe_record *rec, const tu_http_response *resp)
{
    char url[2048];
    const char *link = tu_http_response_header(resp, "Link");

    if (link && next_link(link, url, sizeof url) &&
        submit_one(rec->probe, rec->spec, url, 0) < 0)
        rec->probe->failed = 1;
}

static void on_done(const tu_http_response *resp, void *data)
{
    probe_record *rec = data;
    probe *p = rec->probe;

    rec->done_calls++;
    p->done_calls++;
    note_server_times(rec, resp);
    if (p->keep_results && !rec->result)
        rec->result = result_json(rec, resp);
    else if (!rec->result)
        rec->result = summary_json(resp);
    if (spec_bool(rec->spec, "follow_next", 0))
        follow_next(rec, resp);
    if (p->cancel_after_done > 0 &&
        p->done_calls == (size_t)p->cancel_after_done)
        tu_exec_cancel(p->exec, p->cancel_grace_ms);
}

static int submit_all(probe *p)
{
    const json_t *requests = json_object_get(p->spec, "requests");
    long repeat = spec_long(p->spec, "repeat", 1), r;
    size_t i;
    const json_t *req;

    for (r = 0; r < repeat; r++)
        json_array_foreach(requests, i, req) {
            const char *url = spec_string(req, "url", NULL);
            if (!url || submit_one(p, req, url, 1) < 0)
                return -1;
        }
    return 0;
}

/* ---- running ------------------------------------------------------- */

/* An embedding caller's loop: poll the executor's fd, then drive it. */
static int run_polling(tu_exec *exec, long *drives)
{
    while (tu_exec_pending(exec) > 0) {
        struct pollfd pfd = {tu_exec_fd(exec), POLLIN, 0};
        long wait = tu_exec_timeout_ms(exec);
        if (poll(&pfd, 1, wait > INT_MAX ? INT_MAX : (int)wait) < 0)
            return -1;
        if (tu_exec_drive(exec, 0) < 0)
            return -1;
        (*drives)++;
    }
    return 0;
}

/* Drive by hand, and cancel after_ms after the start. */
static int run_cancelling(probe *p, long after_ms)
{
    int cancelled = 0;

    while (tu_exec_pending(p->exec) > 0) {
        long left = after_ms - (long)((now_seconds() - p->start) * 1000.0);
        if (!cancelled && left <= 0) {
            tu_exec_cancel(p->exec, p->cancel_grace_ms);
            cancelled = 1;
        }
        if (tu_exec_drive(p->exec, cancelled ? -1 : left) < 0)
            return -1;
    }
    return 0;
}

/* should_stop: a signal flag's stand-in, set by the clock. */
static int probe_should_stop(void *data)
{
    const probe *p = data;

    return (now_seconds() - p->start) * 1000.0 >= (double)p->stop_after_ms;
}

/* "auto", "on", "off"; anything else: an invalid value the executor
 * refuses. */
static int http2_mode(const char *text)
{
    if (strcmp(text, "auto") == 0)
        return TU_HTTP2_AUTO;
    if (strcmp(text, "on") == 0)
        return TU_HTTP2_ON;
    return strcmp(text, "off") == 0 ? TU_HTTP2_OFF : -1;
}

static void set_pacing_and_tls(tu_exec_config *config, const json_t *spec)
{
    config->rate_limit = spec_double(spec, "rate_limit", 0.0);
    config->adaptive = spec_bool(spec, "adaptive", 0);
    config->deadline_ms = spec_long(spec, "deadline_ms", 0);
    config->cancel_grace_ms = spec_long(spec, "cancel_grace_ms",
                                        config->cancel_grace_ms);
    config->ca_file = spec_string(spec, "ca_file", NULL);
    config->client_cert = spec_string(spec, "client_cert", NULL);
    config->client_key = spec_string(spec, "client_key", NULL);
    config->insecure = spec_bool(spec, "insecure", 0);
    config->max_connections = spec_long(spec, "max_connections", 0);
    config->http2 = http2_mode(spec_string(spec, "http2", "auto"));
}

static tu_exec *make_exec(probe *p, const json_t *spec,
                          struct curl_slist **headers)
{
    tu_exec_config config;
    tu_error err = {0};
    tu_exec *exec;
    size_t i;
    const json_t *h;

    tu_exec_config_init(&config);
    config.concurrency = spec_long(spec, "concurrency", config.concurrency);
    config.max_attempts = (unsigned)spec_long(spec, "max_attempts",
                                              (long)config.max_attempts);
    config.retry_base_ms = spec_long(spec, "retry_base_ms", config.retry_base_ms);
    config.retry_max_ms = spec_long(spec, "retry_max_ms", config.retry_max_ms);
    config.timeout_ms = spec_long(spec, "timeout_ms", config.timeout_ms);
    config.connect_timeout_ms = spec_long(spec, "connect_timeout_ms",
                                          config.connect_timeout_ms);
    config.max_body_bytes = (size_t)spec_long(spec, "max_body_bytes",
                                              (long)config.max_body_bytes);
    set_pacing_and_tls(&config, spec);
    p->cancel_grace_ms = config.cancel_grace_ms;
    p->cancel_after_done = spec_long(spec, "cancel_after_done", 0);
    p->stop_after_ms = spec_long(spec, "stop_after_ms", -1);
    if (p->stop_after_ms >= 0) {
        config.should_stop = probe_should_stop;
        config.stop_data = p;
    }
    json_array_foreach(json_object_get(spec, "headers"), i, h)
        if (json_is_string(h))
            *headers = curl_slist_append(*headers, json_string_value(h));
    config.headers = *headers;
    exec = tu_exec_new(&config, &err);
    if (!exec)
        fprintf(stderr, "exec_probe: %s\n", err.message);
    return exec;
}

/* ---- the report ------------------------------------------------------ */

typedef struct time_mark {
    double t;
    int delta;
} time_mark;

static int compare_marks(const void *a, const void *b)
{
    const time_mark *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->delta - y->delta;  /* ends (-1) before starts (+1) */
}

/* The most requests the server was inside of at once; -1: no times. */
static long max_overlap(const probe *p)
{
    time_mark *marks = malloc(2 * p->nrecords * sizeof *marks + 1);
    size_t i, n = 0;
    long now = 0, most = -1;

    if (!marks)
        return -1;
    for (i = 0; i < p->nrecords; i++) {
        const probe_record *rec = p->records[i];
        if (rec->t1 >= rec->t0) {
            marks[n++] = (time_mark){rec->t0, +1};
            marks[n++] = (time_mark){rec->t1, -1};
        }
    }
    qsort(marks, n, sizeof *marks, compare_marks);
    for (i = 0; i < n; i++) {
        now += marks[i].delta;
        if (now > most)
            most = now;
    }
    free(marks);
    return most;
}

static void count_key(json_t *counts, json_int_t key)
{
    char name[32];
    json_t *v;

    snprintf(name, sizeof name, "%lld", (long long)key);
    v = json_object_get(counts, name);
    json_object_set_new(counts, name,
                        json_integer(v ? json_integer_value(v) + 1 : 1));
}

static void count_text(json_t *counts, const char *text)
{
    json_t *v;

    if (!text)
        text = "";
    v = json_object_get(counts, text);
    json_object_set_new(counts, text,
                        json_integer(v ? json_integer_value(v) + 1 : 1));
}

/* connections, by_version {"HTTP/2": n, ...}, the guard's re-sends
 * (refused, allowed) and libcurl's version number. */
static void add_connection_stats(json_t *out, const tu_exec_stats *stats)
{
    json_t *versions = json_object();
    int i;

    for (i = 0; i < TU_EXEC_VERSIONS; i++)
        if (stats->by_version[i])
            json_object_set_new(versions, tu_exec_version_names[i],
                                json_integer((json_int_t)stats->by_version[i]));
    json_object_set_new(out, "by_version", versions);
    json_object_set_new(out, "connections",
                        json_integer((json_int_t)stats->connections));
    json_object_set_new(out, "resends_refused",
                        json_integer((json_int_t)stats->resends_refused));
    json_object_set_new(out, "resends_allowed",
                        json_integer((json_int_t)stats->resends_allowed));
    json_object_set_new(out, "libcurl_version_num", json_integer(
        (json_int_t)curl_version_info(CURLVERSION_NOW)->version_num));
}

static json_t *report(probe *p, double elapsed, long drives)
{
    tu_exec_stats stats;
    json_t *out, *results = json_array(), *statuses = json_object(),
                 *codes = json_object(), *errors = json_object();
    size_t i, bad = 0, arrived = 0;
    json_int_t attempts = 0;
    long overlap = max_overlap(p);

    tu_exec_stats_get(p->exec, &stats);
    for (i = 0; i < p->nrecords; i++) {
        probe_record *rec = p->records[i];
        json_t *r = rec->result;
        if (rec->done_calls != 1)
            bad++;
        if (!r)
            continue;
        count_key(statuses, json_integer_value(json_object_get(r, "status")));
        count_key(codes, json_integer_value(json_object_get(r, "curl_code")));
        count_text(errors, json_string_value(json_object_get(r, "error")));
        arrived += json_is_true(json_object_get(r, "may_have_arrived"));
        attempts += json_integer_value(json_object_get(r, "attempts"));
        if (p->keep_results)
            json_array_append(results, r);
    }
    out = json_pack("{s:f, s:{s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I,"
                    " s:o, s:o, s:o, s:I, s:I, s:I, s:b}",
                    "elapsed_ms", elapsed * 1000.0,
                    "stats", "requests", (json_int_t)stats.requests,
                    "retries", (json_int_t)stats.retries,
                    "finished", (json_int_t)stats.finished,
                    "concurrency_now", (json_int_t)stats.concurrency_now,
                    "concurrency_min", (json_int_t)stats.concurrency_min,
                    "submitted", (json_int_t)p->nrecords,
                    "done_calls", (json_int_t)p->done_calls,
                    "done_count_errors", (json_int_t)bad,
                    "attempts_total", attempts,
                    "status_counts", statuses,
                    "curl_code_counts", codes,
                    "error_counts", errors,
                    "may_have_arrived_count", (json_int_t)arrived,
                    "pending_after", (json_int_t)tu_exec_pending(p->exec),
                    "drive_calls", (json_int_t)drives,
                    "failed", p->failed);
    add_connection_stats(json_object_get(out, "stats"), &stats);
    json_object_set_new(out, "max_in_flight",
                        overlap < 0 ? json_null() : json_integer(overlap));
    json_object_set_new(out, "requests_per_s",
                        json_real(elapsed > 0 ? (double)p->nrecords / elapsed
                                              : 0.0));
    if (p->keep_results)
        json_object_set(out, "results", results);
    json_decref(results);
    return out;
}

static void free_records(probe *p)
{
    size_t i;

    for (i = 0; i < p->nrecords; i++) {
        json_decref(p->records[i]->result);
        free(p->records[i]->url);
        free(p->records[i]->sent_body);
        free(p->records[i]);
    }
    free(p->records);
}

static json_t *load_spec(int argc, char **argv)
{
    json_error_t jerr;
    json_t *spec = argc > 1 ? json_load_file(argv[1], 0, &jerr)
                            : json_loadf(stdin, 0, &jerr);

    if (!spec)
        fprintf(stderr, "exec_probe: %s:%d: %s\n",
                argc > 1 ? argv[1] : "<stdin>", jerr.line, jerr.text);
    else if (!json_is_array(json_object_get(spec, "requests"))) {
        fprintf(stderr, "exec_probe: the spec needs a \"requests\" array\n");
        json_decref(spec);
        spec = NULL;
    }
    return spec;
}

static int run_probe(probe *p)
{
    long drives = 0, cancel_after = spec_long(p->spec, "cancel_after_ms", -1);
    double elapsed;
    int rc;
    json_t *out;

    p->start = now_seconds();
    if (submit_all(p) < 0) {
        fprintf(stderr, "exec_probe: cannot submit\n");
        return 2;
    }
    if (cancel_after >= 0)
        rc = run_cancelling(p, cancel_after);
    else if (strcmp(spec_string(p->spec, "mode", "run"), "poll") == 0)
        rc = run_polling(p->exec, &drives);
    else
        rc = tu_exec_run(p->exec);
    elapsed = now_seconds() - p->start;
    if (rc < 0)
        fprintf(stderr, "exec_probe: the executor failed\n");
    out = report(p, elapsed, drives);
    json_dumpf(out, stdout, JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(out);
    return rc < 0 || p->failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    json_t *spec;
    struct curl_slist *headers = NULL;
    probe p;
    int rc = 2;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 2;
    memset(&p, 0, sizeof p);
    spec = load_spec(argc, argv);
    if (spec && (p.exec = make_exec(&p, spec, &headers))) {
        p.spec = spec;
        p.print_body = spec_bool(spec, "print_body", 0);
        p.keep_results = spec_bool(spec, "results", 1);
        rc = run_probe(&p);
    }
    tu_exec_free(p.exec);
    free_records(&p);
    curl_slist_free_all(headers);
    json_decref(spec);
    curl_global_cleanup();
    return rc;
}
