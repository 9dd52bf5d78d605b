/* test_job.c -- the contract between a job (tu_job, include/trueup/trueup.h)
 * and the event loop that drives it, checked without a server: the target
 * is a loopback port nothing listens on, so every run ends in a fetch
 * error after its connections were refused.
 *
 * The loop is the poll() adapter (include/trueup/adapters/poll.h), with
 * its watch, timer and cleanup functions wrapped to record what the job
 * asked for: every socket watched is unwatched by the end, the timer is
 * stopped when the job is over, done is called exactly once (never after
 * tu_job_free), cleanup exactly once, and a job can be cancelled before it
 * starts or freed in the middle.
 *
 * The record callbacks (tu_options.record for tu_run, the job's record)
 * are checked against a server of a few lines on a thread, which answers
 * every request with the same list of live records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trueup/trueup.h"
#include "trueup/adapters/poll.h"

typedef struct recorder {
    tu_poll_loop loop;
    int watched;         /* sockets watched now */
    int watches;         /* watch calls that started watching a socket */
    long last_timer;     /* the last timeout given; -2: none yet */
    int cleanups;
    int dones;
    int records;
    tu_error_code code;  /* of the error done was given */
} recorder;

static int rec_watch(tu_job *job, int fd, int what, void *data)
{
    recorder *r = data;
    int was = tu_poll_find(&r->loop, job, fd) != NULL;

    if (what && !was) {
        r->watched++;
        r->watches++;
    } else if (!what && was) {
        r->watched--;
    }
    return tu_poll_watch_fn(job, fd, what, &r->loop);
}

static void rec_timer(tu_job *job, long ms, void *data)
{
    recorder *r = data;

    r->last_timer = ms;
    tu_poll_timer_fn(job, ms, &r->loop);
}

static void rec_cleanup(tu_job *job, void *data)
{
    recorder *r = data;

    r->cleanups++;
    tu_poll_cleanup(job, &r->loop);
}

static void on_record(tu_job *job, const tu_record_result *result, void *data)
{
    (void)job;
    (void)result;
    ((recorder *)data)->records++;
}

static void on_done(tu_job *job, const tu_report *report,
                    const tu_error *error, void *data)
{
    recorder *r = data;

    (void)job;
    assert_null(report);
    assert_non_null(error);
    r->dones++;
    r->code = error->code;
}

/* Attach the job to the recorder's poll loop, through the wrappers. */
static void attach(tu_job *job, recorder *r)
{
    tu_job_events events = {rec_watch, rec_timer, rec_cleanup, r};
    tu_error err;

    assert_int_equal(tu_poll_grow((void **)&r->loop.timers, r->loop.ntimers,
                                  &r->loop.timers_cap,
                                  sizeof *r->loop.timers), 0);
    r->loop.timers[r->loop.ntimers].job = job;
    r->loop.timers[r->loop.ntimers].due_ms = -1;
    r->loop.ntimers++;
    assert_int_equal(tu_job_attach(job, &events, &err), 0);
    assert_int_equal(r->last_timer, 0);  /* set to 0 at once */
}

static int closed_port(void)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

/* A desired state of a REST target on loopback `port`, keyed by `key` (a
 * JSON list), with the document's other members `rest`. */
static tu_desired *desired_at(int port, const char *key, const char *rest)
{
    char doc[1024];
    json_t *value;
    tu_desired *d;
    tu_error err;

    snprintf(doc, sizeof doc, "{\"target\": {\"provider\": \"rest\", "
             "\"base_url\": \"http://127.0.0.1:%d\", \"resource\": {\"list\":"
             " \"/records\", \"key\": %s, \"id\": \"id\", \"create\":"
             " \"POST /records\", \"update\": \"PATCH /records/{id}\", "
             "\"delete\": \"DELETE /records/{id}\"}}, %s}", port, key, rest);
    value = json_loads(doc, 0, NULL);
    assert_non_null(value);
    d = tu_desired_load_json(value, "test", &err);
    json_decref(value);
    if (!d)
        fail_msg("%s", err.message);
    return d;
}

/* A desired state whose target nothing answers; no retries. */
static tu_desired *unreachable(void)
{
    return desired_at(closed_port(), "[\"name\"]", "\"settings\": "
                      "{\"retries\": 0}, \"records\": [{\"name\": \"a\"}]");
}

static tu_job *new_job(const tu_desired *d, recorder *r)
{
    tu_job_callbacks callbacks = {on_record, on_done, r};
    tu_options options;
    tu_error err;
    tu_job *job;

    memset(r, 0, sizeof *r);
    r->last_timer = -2;
    tu_options_init(&options);
    options.mode = TU_MODE_APPLY;
    job = tu_job_new(d, &options, &callbacks, &err);
    if (!job)
        fail_msg("%s", err.message);
    return job;
}

/* Run the loop until no job waits for anything. */
static void run_loop(recorder *r)
{
    int rc;

    while ((rc = tu_poll_loop_run_once(&r->loop, 5000)) > 0)
        ;
    assert_int_equal(rc, 0);
}

/* A job that cannot read the live records ends with a fetch error, its
 * sockets unwatched and its timer stopped; tu_job_free cleans up once. */
static void test_fetch_error(void **state)
{
    tu_desired *d = unreachable();
    recorder r;
    tu_job *job = new_job(d, &r);

    (void)state;
    attach(job, &r);
    assert_false(tu_job_finished(job));
    run_loop(&r);
    assert_true(tu_job_finished(job));
    assert_int_equal(r.dones, 1);
    assert_int_equal(r.code, TU_ERR_FETCH);
    assert_int_equal(r.records, 0);       /* nothing was planned */
    assert_true(r.watches >= 1);          /* it did try to connect */
    assert_int_equal(r.watched, 0);
    assert_int_equal(r.last_timer, -1);
    assert_null(tu_job_report(job));
    assert_non_null(strstr(tu_job_error(job)->message, "GET http://"));
    assert_int_equal(r.cleanups, 0);
    tu_job_free(job);
    assert_int_equal(r.cleanups, 1);
    assert_int_equal(r.dones, 1);
    tu_poll_loop_free(&r.loop);
    tu_desired_free(d);
}

/* Cancelled before the loop ever ran: nothing is sent, done says so. */
static void test_cancel_before_start(void **state)
{
    tu_desired *d = unreachable();
    recorder r;
    tu_job *job = new_job(d, &r);

    (void)state;
    attach(job, &r);
    tu_job_cancel(job);
    run_loop(&r);
    assert_int_equal(r.dones, 1);
    assert_int_equal(r.code, TU_ERR_CANCELLED);
    assert_int_equal(r.watches, 0);       /* no connection was made */
    assert_non_null(strstr(tu_job_error(job)->message, "nothing was pushed"));
    tu_job_cancel(job);                   /* over: does nothing */
    tu_job_free(job);
    assert_int_equal(r.cleanups, 1);
    tu_poll_loop_free(&r.loop);
    tu_desired_free(d);
}

/* Freed in the middle: every watch is removed, the timer stopped, cleanup
 * called, and done never is. */
static void test_free_unfinished(void **state)
{
    tu_desired *d = unreachable();
    recorder r;
    tu_job *job = new_job(d, &r);

    (void)state;
    attach(job, &r);
    tu_job_timeout(job);                  /* starts the first request */
    tu_job_free(job);
    assert_int_equal(r.watched, 0);
    assert_int_equal(r.cleanups, 1);
    assert_int_equal(r.dones, 0);
    assert_int_equal(r.loop.ntimers, 0);
    assert_int_equal(r.loop.nwatches, 0);
    tu_poll_loop_free(&r.loop);
    tu_desired_free(d);
}

/* A never attached job can be freed; attaching needs both functions and
 * happens once. */
static void test_attach_errors(void **state)
{
    tu_desired *d = unreachable();
    recorder r;
    tu_job *job = new_job(d, &r);
    tu_job_events events = {rec_watch, NULL, NULL, &r};
    tu_error err;

    (void)state;
    assert_int_equal(tu_job_attach(job, &events, &err), -1);
    assert_int_equal(err.code, TU_ERR_BAD_INPUT);
    assert_non_null(strstr(err.message, "events.timer"));
    attach(job, &r);
    events.timer = rec_timer;
    assert_int_equal(tu_job_attach(job, &events, &err), -1);
    assert_non_null(strstr(err.message, "attached already"));
    tu_job_free(job);
    tu_poll_loop_free(&r.loop);
    job = new_job(d, &r);
    tu_job_free(job);                     /* never attached */
    assert_int_equal(r.cleanups, 0);
    tu_desired_free(d);
}

/* Options a job refuses: nothing is made. */
static void test_bad_options(void **state)
{
    tu_desired *d = unreachable();
    tu_options options;
    tu_error err;

    (void)state;
    tu_options_init(&options);
    options.concurrency = 1000000;
    assert_null(tu_job_new(d, &options, NULL, &err));
    assert_int_equal(err.code, TU_ERR_BAD_INPUT);
    assert_non_null(strstr(err.message, "concurrency"));
    tu_desired_free(d);
}

/* tu_run is a loop over the same job: the same error. */
static void test_blocking_face(void **state)
{
    tu_desired *d = unreachable();
    tu_options options;
    tu_error err;

    (void)state;
    tu_options_init(&options);
    assert_null(tu_run(d, &options, &err));
    assert_int_equal(err.code, TU_ERR_FETCH);
    assert_null(tu_export(d, &options, &err));
    assert_int_equal(err.code, TU_ERR_FETCH);
    tu_desired_free(d);
}

/* ---- record callbacks ---------------------------------------------------- */

/* A server that answers every request with LIVE, one per connection. */
typedef struct mini_server {
    int fd;
    int port;
    pthread_t thread;
} mini_server;

#define LIVE "[{\"id\": 1, \"name\": \"x|y\", \"type\": \"A\", \"ttl\": 300}]"

static void *serve(void *data)
{
    mini_server *srv = data;
    static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: "
        "application/json\r\nConnection: close\r\nContent-Length: %zu"
        "\r\n\r\n%s";
    char buf[4096], out[512];
    int c;

    while ((c = accept(srv->fd, NULL, NULL)) >= 0) {
        size_t got = 0;
        ssize_t n;
        buf[0] = '\0';
        while (!strstr(buf, "\r\n\r\n") && got + 1 < sizeof buf &&
               (n = read(c, buf + got, sizeof buf - 1 - got)) > 0) {
            got += (size_t)n;
            buf[got] = '\0';
        }
        n = snprintf(out, sizeof out, reply, strlen(LIVE), LIVE);
        if (write(c, out, (size_t)n) != n)
            fprintf(stderr, "mini server: short write\n");
        close(c);
    }
    return NULL;
}

static void server_start(mini_server *srv)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;

    srv->fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(srv->fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(srv->fd, 16), 0);
    assert_int_equal(getsockname(srv->fd, (struct sockaddr *)&addr, &len),
                     0);
    srv->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(&srv->thread, NULL, serve, srv), 0);
}

static void server_stop(mini_server *srv)
{
    shutdown(srv->fd, SHUT_RDWR);   /* accept() returns: the thread ends */
    pthread_join(srv->thread, NULL);
    close(srv->fd);
}

/* The server's target keyed by name and type; x|y|A gets ttl 600 and
 * new|A is created. */
static tu_desired *served(int port)
{
    return desired_at(port, "[\"name\", \"type\"]", "\"records\": "
                      "[{\"name\": \"x|y\", \"type\": \"A\", \"ttl\": 600}, "
                      "{\"name\": \"new\", \"type\": \"A\", \"ttl\": 60}]");
}

/* What the record callbacks saw. */
typedef struct seen {
    int records;        /* tu_options.record */
    int job_records;    /* the job's record */
    char keys[2][64];   /* "action key: value,value" */
} seen;

static void on_run_record(const tu_record_result *r, void *data)
{
    seen *s = data;

    if (s->records < 2)
        snprintf(s->keys[s->records], sizeof s->keys[0], "%s %s: %s,%s%s",
                 r->action, r->key, r->key_count == 2 ? r->key_values[0] : "?",
                 r->key_count == 2 ? r->key_values[1] : "?",
                 r->changes && strstr(r->changes, "\"ttl\"") ? " ttl" : "");
    s->records++;
}

static void on_job_record(tu_job *job, const tu_record_result *r, void *data)
{
    (void)job;
    (void)r;
    ((seen *)data)->job_records++;
}

static void assert_seen(const seen *s)
{
    assert_int_equal(s->records, 2);
    assert_string_equal(s->keys[0], "update x|y|A: x|y,A ttl");
    assert_string_equal(s->keys[1], "create new|A: new,A ttl");
}

/* The mini server started, its desired state, and options whose record
 * callback fills `s`. */
static tu_desired *start_served(mini_server *srv, tu_options *options,
                                seen *s)
{
    server_start(srv);
    tu_options_init(options);
    options->record = on_run_record;
    options->record_data = s;
    return served(srv->port);
}

/* tu_run calls options.record once per record, as the plan is made, with
 * the same typed result the report then holds. */
static void test_run_record_callback(void **state)
{
    mini_server srv;
    seen s = {0};
    tu_options options;
    tu_error err;
    tu_report *rep;
    tu_desired *d;
    const tu_record_result *r;

    (void)state;
    d = start_served(&srv, &options, &s);
    rep = tu_run(d, &options, &err);
    if (!rep)
        fail_msg("%s", err.message);
    assert_seen(&s);
    assert_int_equal(tu_report_result_count(rep), 2);
    r = tu_report_result(rep, 0);
    assert_string_equal(r->key, "x|y|A");
    assert_string_equal(r->key_values[0], "x|y");
    assert_string_equal(r->key_names[1], "type");
    tu_report_free(rep);
    tu_desired_free(d);
    server_stop(&srv);
}

/* A job calls its own record callback, then the options'. */
static void test_job_record_callbacks(void **state)
{
    mini_server srv;
    seen s = {0};
    tu_job_callbacks cb = {on_job_record, NULL, &s};
    tu_options options;
    tu_poll_loop loop;
    tu_error err;
    tu_desired *d;
    tu_job *job;

    (void)state;
    d = start_served(&srv, &options, &s);
    tu_poll_loop_init(&loop);
    job = tu_job_new(d, &options, &cb, &err);
    assert_non_null(job);
    assert_int_equal(tu_poll_attach(job, &loop, &err), 0);
    assert_true(tu_poll_loop_run(&loop) >= 0);
    assert_non_null(tu_job_report(job));
    assert_int_equal(s.job_records, 2);
    assert_seen(&s);
    tu_job_free(job);
    tu_poll_loop_free(&loop);
    tu_desired_free(d);
    server_stop(&srv);
}

/* Jobs attached from inside another job's callback, while the loop is
 * in a pass: the pass's arrays were sized for the jobs it began with, and
 * the timers of the new ones (due at once) must not run past them. */
#define SPAWNED 8

typedef struct spawner {
    const tu_desired *d;
    tu_poll_loop *loop;
    tu_job *jobs[SPAWNED];
    size_t njobs;
    int dones;
} spawner;

static void on_spawn_done(tu_job *job, const tu_report *report,
                          const tu_error *error, void *data)
{
    spawner *s = data;
    tu_job_callbacks cb = {NULL, on_spawn_done, s};
    tu_options options;
    tu_error err;

    (void)job;
    (void)report;
    (void)error;
    s->dones++;
    tu_options_init(&options);
    while (s->njobs < SPAWNED) {   /* the first job's done spawns them */
        tu_job *j = tu_job_new(s->d, &options, &cb, &err);
        assert_non_null(j);
        s->jobs[s->njobs++] = j;
        assert_int_equal(tu_poll_attach(j, s->loop, &err), 0);
    }
}

static void test_attach_inside_a_callback(void **state)
{
    tu_desired *d = unreachable();
    tu_poll_loop loop;
    spawner s = {d, &loop, {NULL}, 0, 0};
    tu_job_callbacks cb = {NULL, on_spawn_done, &s};
    tu_options options;
    tu_error err;
    tu_job *first;

    (void)state;
    tu_poll_loop_init(&loop);
    tu_options_init(&options);
    first = tu_job_new(d, &options, &cb, &err);
    assert_non_null(first);
    assert_int_equal(tu_poll_attach(first, &loop, &err), 0);
    assert_int_equal(tu_poll_loop_run(&loop), 0);
    assert_int_equal(s.njobs, SPAWNED);
    assert_int_equal(s.dones, 1 + SPAWNED);
    for (size_t i = 0; i < s.njobs; i++) {
        assert_true(tu_job_finished(s.jobs[i]));
        tu_job_free(s.jobs[i]);
    }
    tu_job_free(first);
    tu_poll_loop_free(&loop);
    tu_desired_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_error),
        cmocka_unit_test(test_cancel_before_start),
        cmocka_unit_test(test_free_unfinished),
        cmocka_unit_test(test_attach_errors),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_blocking_face),
        cmocka_unit_test(test_run_record_callback),
        cmocka_unit_test(test_job_record_callbacks),
        cmocka_unit_test(test_attach_inside_a_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
