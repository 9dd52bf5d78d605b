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
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
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

/* A desired state whose target nothing answers; no retries. */
static tu_desired *unreachable(void)
{
    char doc[512];
    json_t *value;
    tu_desired *d;
    tu_error err;

    snprintf(doc, sizeof doc, "{\"target\": {\"provider\": \"rest\", "
             "\"base_url\": \"http://127.0.0.1:%d\", \"resource\": {\"list\":"
             " \"/records\", \"key\": [\"name\"], \"id\": \"id\", \"create\":"
             " \"POST /records\", \"update\": \"PATCH /records/{id}\", "
             "\"delete\": \"DELETE /records/{id}\"}}, \"settings\": "
             "{\"retries\": 0}, \"records\": [{\"name\": \"a\"}]}",
             closed_port());
    value = json_loads(doc, 0, NULL);
    assert_non_null(value);
    d = tu_desired_load_json(value, "test", &err);
    json_decref(value);
    if (!d)
        fail_msg("%s", err.message);
    return d;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_error),
        cmocka_unit_test(test_cancel_before_start),
        cmocka_unit_test(test_free_unfinished),
        cmocka_unit_test(test_attach_errors),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_blocking_face),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
