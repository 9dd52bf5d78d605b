/* test_executor_unit.c -- the executor's parts that need no server: the
 * retry policy, may_have_arrived, the backoff, the rate limiter's and
 * AIMD's arithmetic, header lookup, configuration checks, freeing with
 * requests pending, and retries, the rate limit, the deadline and
 * cancellation against a closed loopback port and a silent one (listening,
 * never accepting). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/executor.h"
#include "engine/executor_policy.h"

/* ---- the retry policy ---------------------------------------------- */

static void test_status_retries(void **state)
{
    static const long retried[] = {408, 500, 502, 503, 504};
    static const long final[] = {200, 201, 204, 301, 400, 401, 403, 404,
                                 409, 422, 501, 505, 599};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof retried / sizeof *retried; i++) {
        assert_true(tu_retry_wanted(CURLE_OK, retried[i], 1, 100));
        assert_false(tu_retry_wanted(CURLE_OK, retried[i], 0, 100));
    }
    for (i = 0; i < sizeof final / sizeof *final; i++) {
        assert_false(tu_retry_wanted(CURLE_OK, final[i], 1, 100));
        assert_false(tu_retry_wanted(CURLE_OK, final[i], 0, 100));
    }
    assert_true(tu_retry_wanted(CURLE_OK, 429, 1, 100));
    assert_true(tu_retry_wanted(CURLE_OK, 429, 0, 100));  /* refused unprocessed */
}

static void test_may_have_arrived(void **state)
{
    static const long uncertain[] = {408, 500, 502, 503, 504, 501, 599};
    static const long definite[] = {200, 201, 204, 302, 400, 404, 409, 429};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof uncertain / sizeof *uncertain; i++) {
        assert_true(tu_may_have_arrived(CURLE_OK, uncertain[i], 0, 100));
        assert_false(tu_may_have_arrived(CURLE_OK, uncertain[i], 1, 100));
    }
    for (i = 0; i < sizeof definite / sizeof *definite; i++)
        assert_false(tu_may_have_arrived(CURLE_OK, definite[i], 0, 100));
    /* Lost after bytes left: perhaps; before: certainly not. */
    assert_true(tu_may_have_arrived(CURLE_GOT_NOTHING, 0, 0, 100));
    assert_true(tu_may_have_arrived(CURLE_RECV_ERROR, 0, 0, 100));
    assert_true(tu_may_have_arrived(CURLE_OPERATION_TIMEDOUT, 0, 0, 100));
    assert_true(tu_may_have_arrived(CURLE_ABORTED_BY_CALLBACK, 0, 0, 100));
    assert_false(tu_may_have_arrived(CURLE_OPERATION_TIMEDOUT, 0, 0, 0));
    assert_false(tu_may_have_arrived(CURLE_COULDNT_CONNECT, 0, 0, 100));
    assert_false(tu_may_have_arrived(CURLE_COULDNT_RESOLVE_HOST, 0, 0, 0));
    assert_false(tu_may_have_arrived(CURLE_PEER_FAILED_VERIFICATION, 0, 0, 0));
    /* Idempotent requests never need the check. */
    assert_false(tu_may_have_arrived(CURLE_GOT_NOTHING, 0, 1, 100));
    assert_false(tu_may_have_arrived(CURLE_OPERATION_TIMEDOUT, 0, 1, 100));
}

static void test_connection_retries(void **state)
{
    static const CURLcode transient[] = {
        CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_GOT_NOTHING,
        CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2,
        CURLE_HTTP2_STREAM, CURLE_OPERATION_TIMEDOUT};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof transient / sizeof *transient; i++) {
        assert_true(tu_retry_wanted(transient[i], 0, 1, 100));
        assert_true(tu_retry_wanted(transient[i], 0, 0, 0));
    }
    assert_true(tu_retry_wanted(CURLE_COULDNT_CONNECT, 0, 0, 100));
    assert_true(tu_retry_wanted(CURLE_COULDNT_RESOLVE_HOST, 0, 0, 100));
    assert_false(tu_retry_wanted(CURLE_GOT_NOTHING, 0, 0, 100));
    assert_false(tu_retry_wanted(CURLE_RECV_ERROR, 0, 0, 100));
    assert_false(tu_retry_wanted(CURLE_OPERATION_TIMEDOUT, 0, 0, 100));
    /* Not transient: never retried, whatever was sent. */
    assert_false(tu_retry_wanted(CURLE_WRITE_ERROR, 200, 1, 100));
    assert_false(tu_retry_wanted(CURLE_URL_MALFORMAT, 0, 1, 0));
    assert_false(tu_retry_wanted(CURLE_UNSUPPORTED_PROTOCOL, 0, 0, 0));
}

/* ---- backoff ------------------------------------------------------- */

static void test_backoff_ceiling(void **state)
{
    (void)state;
    assert_int_equal(tu_retry_ceiling_ms(1, 200, 10000), 200);
    assert_int_equal(tu_retry_ceiling_ms(2, 200, 10000), 400);
    assert_int_equal(tu_retry_ceiling_ms(3, 200, 10000), 800);
    assert_int_equal(tu_retry_ceiling_ms(6, 200, 10000), 6400);
    assert_int_equal(tu_retry_ceiling_ms(7, 200, 10000), 10000);
    assert_int_equal(tu_retry_ceiling_ms(40, 200, 10000), 10000);
    assert_int_equal(tu_retry_ceiling_ms(4000000000u, 200, 10000), 10000);
    assert_int_equal(tu_retry_ceiling_ms(0, 200, 10000), 200);
    assert_int_equal(tu_retry_ceiling_ms(3, 0, 10000), 0);
    assert_int_equal(tu_retry_ceiling_ms(3, 200, 0), 0);
}

static void test_backoff_jitter_within_ceiling(void **state)
{
    uint64_t rng = 42;
    long lo = 1000000, hi = -1;
    int i;

    (void)state;
    for (i = 0; i < 10000; i++) {
        long d = tu_retry_delay_ms(3, 200, 10000, 0, &rng);
        assert_in_range(d, 0, 800);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    assert_true(lo < 50);   /* full jitter: reaches both ends */
    assert_true(hi > 750);
}

static void test_backoff_retry_after_floor(void **state)
{
    uint64_t rng = 7;
    int i;

    (void)state;
    for (i = 0; i < 1000; i++) {
        assert_in_range(tu_retry_delay_ms(1, 200, 10000, 2, &rng), 2000, 2000);
        /* clamped to retry_max_ms */
        assert_int_equal(tu_retry_delay_ms(1, 200, 10000, 3600, &rng), 10000);
        assert_int_equal(tu_retry_delay_ms(1, 200, 1500, 2, &rng), 1500);
        /* a date in the past gives a negative value: no floor */
        assert_in_range(tu_retry_delay_ms(1, 200, 10000, -5, &rng), 0, 200);
    }
    /* a floor below the jitter ceiling does not shorten the jitter */
    assert_in_range(tu_retry_delay_ms(5, 1000, 60000, 1, &rng), 1000, 16000);
}

static void test_rng_seed_and_sequence(void **state)
{
    int a = 0, b = 0;
    uint64_t s1 = tu_rng_seed(&a), s2 = tu_rng_seed(&b), x = 1, y = 1;

    (void)state;
    assert_true(s1 != 0 && s2 != 0);
    assert_true(s1 != s2);
    assert_true(tu_rng_next(&x) == tu_rng_next(&y));  /* deterministic */
    assert_true(tu_rng_next(&x) != tu_rng_next(&x));
    assert_true(x != 0);
}

/* ---- the rate limit -------------------------------------------------- */

#define MS INT64_C(1000000)

static void test_rate_spacing(void **state)
{
    tu_rate rate;
    int64_t t = 5000 * MS;

    (void)state;
    tu_rate_init(&rate, 50.0);
    assert_int_equal(rate.interval_ns, 20 * MS);
    assert_int_equal(tu_rate_wait_ns(&rate, t), 0);  /* the first: at once */
    tu_rate_take(&rate, t);
    /* The next is due 20 ms later, and may go 1 ms early. */
    assert_int_equal(tu_rate_wait_ns(&rate, t), 19 * MS);
    assert_int_equal(tu_rate_wait_ns(&rate, t + 10 * MS), 9 * MS);
    assert_int_equal(tu_rate_wait_ns(&rate, t + 19 * MS), 0);
    tu_rate_take(&rate, t + 19 * MS);
    /* Spaced from when it was due (t + 20 ms), not from when it went. */
    assert_int_equal(tu_rate_wait_ns(&rate, t + 19 * MS), 20 * MS);
    /* Idle time earns no burst. */
    tu_rate_take(&rate, t + 10000 * MS);
    assert_int_equal(tu_rate_wait_ns(&rate, t + 10000 * MS), 19 * MS);
}

static void test_rate_none(void **state)
{
    tu_rate rate;
    int i;

    (void)state;
    tu_rate_init(&rate, 0.0);
    for (i = 0; i < 1000; i++) {
        assert_int_equal(tu_rate_wait_ns(&rate, 42), 0);
        tu_rate_take(&rate, 42);
    }
    tu_rate_init(&rate, -1.0);
    assert_int_equal(rate.interval_ns, 0);
    tu_rate_init(&rate, 1e12);  /* clamped to TU_RATE_MAX */
    assert_int_equal(rate.interval_ns, 1000);
}

/* Starts in `seconds` by a loop that, like the executor, sleeps whole
 * milliseconds (rounded up) until the next token. */
static long simulate_starts(double per_second, int seconds)
{
    tu_rate rate;
    int64_t t = 0, end = (int64_t)seconds * 1000 * MS;
    long starts = 0;

    tu_rate_init(&rate, per_second);
    while (t < end) {
        int64_t wait = tu_rate_wait_ns(&rate, t);
        if (wait == 0) {
            tu_rate_take(&rate, t);
            starts++;
            continue;
        }
        t += (wait + MS - 1) / MS * MS;
    }
    return starts;
}

static void test_rate_long_run_exact(void **state)
{
    (void)state;
    /* Exact over the long run despite millisecond sleeps: one more than
     * rate * time at most (the first request goes at once). */
    assert_in_range(simulate_starts(50.0, 10), 500, 501);
    assert_in_range(simulate_starts(150.0, 10), 1500, 1501);
    assert_in_range(simulate_starts(999.0, 10), 9990, 9991);
    assert_in_range(simulate_starts(5000.0, 10), 50000, 50006);
    assert_in_range(simulate_starts(0.5, 10), 5, 6);
}

/* ---- adaptive concurrency -------------------------------------------- */

static void test_aimd_halves_once_per_window(void **state)
{
    tu_aimd aimd;

    (void)state;
    tu_aimd_init(&aimd, 16);
    assert_int_equal(aimd.now, 16);
    assert_int_equal(aimd.min, 16);
    /* Attempts 0..15 were in flight together; all come back 429. */
    assert_true(tu_aimd_congested(&aimd, 3, 16));
    assert_int_equal(aimd.now, 8);
    assert_false(tu_aimd_congested(&aimd, 7, 16));
    assert_false(tu_aimd_congested(&aimd, 15, 20));
    assert_int_equal(aimd.now, 8);
    /* An attempt started after the cut counts again. */
    assert_true(tu_aimd_congested(&aimd, 16, 22));
    assert_int_equal(aimd.now, 4);
    assert_true(tu_aimd_congested(&aimd, 22, 23));
    assert_true(tu_aimd_congested(&aimd, 23, 24));
    assert_int_equal(aimd.now, 1);
    assert_true(tu_aimd_congested(&aimd, 24, 25));
    assert_int_equal(aimd.now, 1);  /* never below 1 */
    assert_int_equal(aimd.min, 1);
}

static void test_aimd_grows_additively(void **state)
{
    tu_aimd aimd;
    int i;

    (void)state;
    tu_aimd_init(&aimd, 6);
    tu_aimd_congested(&aimd, 0, 1);  /* 6 -> 3 */
    assert_int_equal(aimd.now, 3);
    tu_aimd_succeeded(&aimd);
    tu_aimd_succeeded(&aimd);
    assert_int_equal(aimd.now, 3);
    tu_aimd_succeeded(&aimd);       /* 3 successes: +1 */
    assert_int_equal(aimd.now, 4);
    for (i = 0; i < 3; i++)
        tu_aimd_succeeded(&aimd);
    assert_int_equal(aimd.now, 4);
    tu_aimd_succeeded(&aimd);       /* 4 more: +1 */
    assert_int_equal(aimd.now, 5);
    for (i = 0; i < 100; i++)
        tu_aimd_succeeded(&aimd);
    assert_int_equal(aimd.now, 6);  /* never above max */
    assert_int_equal(aimd.min, 3);
    /* A cut resets the count of successes. */
    for (i = 0; i < 2; i++)
        tu_aimd_succeeded(&aimd);
    tu_aimd_congested(&aimd, 5, 6);
    assert_int_equal(aimd.now, 3);
    tu_aimd_succeeded(&aimd);
    tu_aimd_succeeded(&aimd);
    assert_int_equal(aimd.now, 3);
}

static void test_aimd_signals(void **state)
{
    (void)state;
    assert_true(tu_aimd_is_congestion(429, 0));
    assert_true(tu_aimd_is_congestion(429, 5));
    assert_true(tu_aimd_is_congestion(503, 1));
    assert_false(tu_aimd_is_congestion(503, 0));
    assert_false(tu_aimd_is_congestion(503, -3));  /* a date in the past */
    assert_false(tu_aimd_is_congestion(500, 5));
    assert_false(tu_aimd_is_congestion(200, 5));
    assert_true(tu_aimd_is_success(CURLE_OK, 200));
    assert_true(tu_aimd_is_success(CURLE_OK, 404));
    assert_true(tu_aimd_is_success(CURLE_OK, 302));
    assert_false(tu_aimd_is_success(CURLE_OK, 429));
    assert_false(tu_aimd_is_success(CURLE_OK, 408));
    assert_false(tu_aimd_is_success(CURLE_OK, 500));
    assert_false(tu_aimd_is_success(CURLE_RECV_ERROR, 200));
    assert_false(tu_aimd_is_success(CURLE_COULDNT_CONNECT, 0));
}

/* ---- header lookup ------------------------------------------------- */

static void test_header_lookup(void **state)
{
    tu_http_header headers[] = {{"Content-Type", "application/json"},
                                {"Link", "<a>; rel=\"next\""},
                                {"link", "second"}};
    tu_http_response resp;

    (void)state;
    memset(&resp, 0, sizeof resp);
    assert_null(tu_http_response_header(&resp, "Link"));
    resp.headers = headers;
    resp.nheaders = 3;
    assert_string_equal(tu_http_response_header(&resp, "LINK"),
                        "<a>; rel=\"next\"");
    assert_string_equal(tu_http_response_header(&resp, "content-type"),
                        "application/json");
    assert_null(tu_http_response_header(&resp, "Lin"));
    assert_null(tu_http_response_header(&resp, "X-Missing"));
}

/* ---- configuration ------------------------------------------------- */

static void expect_refused(const tu_exec_config *config, const char *words)
{
    tu_error err = {0};

    assert_null(tu_exec_new(config, &err));
    assert_non_null(strstr(err.message, words));
}

static void test_bad_config_refused(void **state)
{
    tu_exec_config config;

    (void)state;
    tu_exec_config_init(&config);
    config.concurrency = 0;
    expect_refused(&config, "concurrency");
    config.concurrency = 10001;
    expect_refused(&config, "concurrency");
    tu_exec_config_init(&config);
    config.max_attempts = 0;
    expect_refused(&config, "max_attempts");
    tu_exec_config_init(&config);
    config.retry_base_ms = -1;
    expect_refused(&config, "negative");
    config.concurrency = 0;
    assert_null(tu_exec_new(&config, NULL));  /* a NULL tu_error is fine */
    tu_exec_config_init(&config);
    config.deadline_ms = -1;
    expect_refused(&config, "negative");
    tu_exec_config_init(&config);
    config.cancel_grace_ms = -1;
    expect_refused(&config, "negative");
    tu_exec_config_init(&config);
    config.rate_limit = -1.0;
    expect_refused(&config, "rate_limit");
    config.rate_limit = 2e6;
    expect_refused(&config, "rate_limit");
    config.rate_limit = 0.0 / 0.0;
    expect_refused(&config, "rate_limit");
}

static void test_bad_tls_config_refused(void **state)
{
    tu_exec_config config;

    (void)state;
    tu_exec_config_init(&config);
    config.ca_file = "/nonexistent/ca.pem";
    expect_refused(&config, "ca_file /nonexistent/ca.pem");
    tu_exec_config_init(&config);
    config.client_key = "/etc/hostname";
    expect_refused(&config, "client_key needs client_cert");
    config.client_cert = "/nonexistent/cert.pem";
    expect_refused(&config, "client_cert");
}

static void test_defaults(void **state)
{
    tu_exec_config config;
    tu_exec *exec;
    tu_exec_stats stats;

    (void)state;
    tu_exec_config_init(&config);
    assert_int_equal(config.concurrency, 16);
    assert_int_equal(config.max_attempts, 4);
    assert_int_equal(config.cancel_grace_ms, 5000);
    assert_int_equal(config.deadline_ms, 0);
    assert_true(config.rate_limit == 0.0);
    assert_int_equal(config.adaptive, 0);
    assert_int_equal(config.insecure, 0);
    assert_null(config.ca_file);
    assert_null(config.should_stop);
    exec = tu_exec_new(&config, NULL);
    assert_non_null(exec);
    tu_exec_stats_get(exec, &stats);
    assert_int_equal(stats.concurrency_now, 16);
    assert_int_equal(stats.concurrency_min, 16);
    assert_true(tu_exec_fd(exec) >= 0);
    assert_int_equal(tu_exec_pending(exec), 0);
    assert_int_equal(tu_exec_timeout_ms(exec), -1);
    assert_int_equal(tu_exec_run(exec), 0);  /* nothing to do */
    tu_exec_free(exec);
    exec = tu_exec_new(NULL, NULL);
    assert_non_null(exec);
    tu_exec_free(exec);
}

/* ---- requests against a closed loopback port ----------------------- */

typedef struct outcome {
    int calls;
    long status;
    CURLcode code;
    unsigned attempts;
    int may_have_arrived;
    char error[128];
    tu_exec *cancel_exec;       /* when set, done cancels it (grace 0) */
} outcome;

static void record_outcome(const tu_http_response *resp, void *data)
{
    outcome *out = data;

    out->calls++;
    out->status = resp->status;
    out->code = resp->curl_code;
    out->attempts = resp->attempts;
    out->may_have_arrived = resp->may_have_arrived;
    snprintf(out->error, sizeof out->error, "%s", resp->error);
    if (out->cancel_exec)
        tu_exec_cancel(out->cancel_exec, 0);
}

static void fail_if_called(const tu_http_response *resp, void *data)
{
    (void)resp;
    (void)data;
    fail_msg("done called for a request dropped by tu_exec_free");
}

/* A loopback port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

/* A loopback port that accepts connections (the kernel's backlog) but
 * never answers: listening, never accepting. Close the fd when done. */
static int silent_port(int *fd_out)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(fd, 64), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *fd_out = fd;
    return ntohs(addr.sin_port);
}

static long long elapsed_ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long long)(t1.tv_sec - t0->tv_sec) * 1000 +
           (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static char *json_body(void)
{
    char *body = malloc(3);

    memcpy(body, "{}", 3);
    return body;
}

static tu_exec *small_exec(unsigned attempts)
{
    tu_exec_config config;

    tu_exec_config_init(&config);
    config.concurrency = 2;
    config.max_attempts = attempts;
    config.retry_base_ms = 1;
    config.retry_max_ms = 5;
    return tu_exec_new(&config, NULL);
}

static void test_refused_post_is_retried(void **state)
{
    char url[64];
    outcome out = {.status = -1};
    tu_exec *exec = small_exec(3);
    tu_http_request req = {"POST", url, json_body(), 2, 0, 0,
                           record_outcome, &out, 0, 0, 0};
    tu_exec_stats stats;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", closed_port());
    assert_int_equal(tu_exec_submit(exec, &req), 0);
    assert_int_equal(tu_exec_pending(exec), 1);
    assert_int_equal(tu_exec_run(exec), 0);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.code, CURLE_COULDNT_CONNECT);
    assert_int_equal(out.status, 0);
    assert_int_equal(out.attempts, 3);
    tu_exec_stats_get(exec, &stats);
    assert_int_equal(stats.requests, 3);
    assert_int_equal(stats.retries, 2);
    assert_int_equal(stats.finished, 1);
    assert_int_equal(tu_exec_pending(exec), 0);
    tu_exec_free(exec);
}

static void test_unsupported_scheme_is_final(void **state)
{
    outcome out = {.status = -1};
    tu_exec *exec = small_exec(4);
    tu_http_request req = {"GET", "gopher://127.0.0.1/", NULL, 0, 1, 0,
                           record_outcome, &out, 0, 0, 0};

    (void)state;
    assert_int_equal(tu_exec_submit(exec, &req), 0);
    assert_int_equal(tu_exec_run(exec), 0);
    assert_int_equal(out.calls, 1);
    assert_int_equal(out.code, CURLE_UNSUPPORTED_PROTOCOL);
    assert_int_equal(out.attempts, 1);
    tu_exec_free(exec);
}

static void test_free_drops_pending_unseen(void **state)
{
    char url[64];
    tu_exec *exec = small_exec(4);
    int i;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", closed_port());
    for (i = 0; i < 10; i++) {
        tu_http_request req = {"PUT", url, json_body(), 2, 1, 1,
                               fail_if_called, NULL, 0, 0, 0};
        assert_int_equal(tu_exec_submit(exec, &req), 0);
    }
    assert_int_equal(tu_exec_pending(exec), 10);
    assert_int_equal(tu_exec_timeout_ms(exec), 0);  /* work is ready */
    assert_int_equal(tu_exec_drive(exec, 0), 0);    /* some in flight */
    tu_exec_free(exec);                             /* no leak, no done */
}

/* Requests that lend their URL, method and body: more than one slab of
 * request structs (256), each done once, nothing copied or freed by the
 * executor (ASan and valgrind see a double free or a leak), and the
 * structs reused by a second round. */
static void test_borrowed_requests(void **state)
{
    enum { N = 600 };
    static outcome outs[N];
    static char body[] = "{\"a\":1}";
    char url[64];
    tu_exec *exec = small_exec(1);
    int i, round;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", closed_port());
    for (round = 0; round < 2; round++) {
        for (i = 0; i < N; i++) {
            tu_http_request req = {"PATCH", url, body, strlen(body), 1, 0,
                                   record_outcome, &outs[i], 1, 0, 0};
            memset(&outs[i], 0, sizeof outs[i]);
            assert_int_equal(tu_exec_submit(exec, &req), 0);
        }
        assert_int_equal(tu_exec_pending(exec), N);
        assert_int_equal(tu_exec_run(exec), 0);
        for (i = 0; i < N; i++) {
            assert_int_equal(outs[i].calls, 1);
            assert_int_equal(outs[i].code, CURLE_COULDNT_CONNECT);
        }
    }
    assert_string_equal(body, "{\"a\":1}");
    for (i = 0; i < 10; i++) {  /* dropped unseen by tu_exec_free */
        tu_http_request req = {"PATCH", url, body, strlen(body), 1, 0,
                               fail_if_called, NULL, 1, 0, 0};
        assert_int_equal(tu_exec_submit(exec, &req), 0);
    }
    tu_exec_free(exec);
}

/* ---- pacing and stopping, without a server ---------------------------- */

static void submit_outcomes(tu_exec *exec, const char *method, const char *url,
                            outcome *outs, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        tu_http_request req = {method, url, json_body(), 2,
                               strcmp(method, "POST") != 0, 0,
                               record_outcome, &outs[i], 0, 0, 0};
        memset(&outs[i], 0, sizeof outs[i]);
        outs[i].status = -1;
        assert_int_equal(tu_exec_submit(exec, &req), 0);
    }
}

static void test_rate_limit_spaces_attempts(void **state)
{
    char url[64];
    outcome outs[21];
    tu_exec_config config;
    tu_exec *exec;
    tu_exec_stats stats;
    struct timespec t0;
    int i;

    (void)state;
    tu_exec_config_init(&config);
    config.concurrency = 8;
    config.max_attempts = 2;   /* retries take tokens too */
    config.retry_base_ms = 1;
    config.retry_max_ms = 1;
    config.rate_limit = 200.0; /* one every 5 ms */
    exec = tu_exec_new(&config, NULL);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", closed_port());
    clock_gettime(CLOCK_MONOTONIC, &t0);
    submit_outcomes(exec, "POST", url, outs, 21);
    assert_int_equal(tu_exec_run(exec), 0);
    /* 42 attempts: the last starts 41 intervals after the first, less the
     * 1 ms each may go early. */
    assert_true(elapsed_ms_since(&t0) >= 41 * 5 - 41);
    tu_exec_stats_get(exec, &stats);
    assert_int_equal(stats.requests, 42);
    for (i = 0; i < 21; i++) {
        assert_int_equal(outs[i].calls, 1);
        assert_int_equal(outs[i].code, CURLE_COULDNT_CONNECT);
        assert_int_equal(outs[i].may_have_arrived, 0);
    }
    tu_exec_free(exec);
}

static void test_cancel_before_sending(void **state)
{
    char url[64];
    outcome outs[5];
    tu_exec *exec = small_exec(3);
    tu_exec_stats stats;
    int i;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", closed_port());
    submit_outcomes(exec, "POST", url, outs, 5);
    tu_exec_cancel(exec, 1000);
    assert_int_equal(outs[0].calls, 0);       /* cancel calls no done */
    assert_int_equal(tu_exec_timeout_ms(exec), 0);
    assert_int_equal(tu_exec_run(exec), 0);
    for (i = 0; i < 5; i++) {
        assert_int_equal(outs[i].calls, 1);
        assert_int_equal(outs[i].code, CURLE_ABORTED_BY_CALLBACK);
        assert_string_equal(outs[i].error, "cancelled before it was sent");
        assert_int_equal(outs[i].attempts, 0);
        assert_int_equal(outs[i].status, 0);
        assert_int_equal(outs[i].may_have_arrived, 0);
    }
    tu_exec_stats_get(exec, &stats);
    assert_int_equal(stats.requests, 0);
    assert_int_equal(stats.finished, 5);
    /* Cancelled for good: later submits are finished unsent too. */
    submit_outcomes(exec, "PUT", url, outs, 1);
    assert_int_equal(tu_exec_run(exec), 0);
    assert_int_equal(outs[0].code, CURLE_ABORTED_BY_CALLBACK);
    tu_exec_free(exec);
}

static void test_cancel_from_done(void **state)
{
    char url[64];
    outcome outs[5];
    tu_exec_config config;
    tu_exec *exec;
    int i;

    (void)state;
    tu_exec_config_init(&config);
    config.concurrency = 1;
    config.max_attempts = 1;
    exec = tu_exec_new(&config, NULL);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", closed_port());
    submit_outcomes(exec, "PUT", url, outs, 5);
    outs[0].cancel_exec = exec;
    assert_int_equal(tu_exec_run(exec), 0);
    assert_int_equal(outs[0].code, CURLE_COULDNT_CONNECT);
    for (i = 1; i < 5; i++) {
        assert_int_equal(outs[i].calls, 1);
        assert_string_equal(outs[i].error, "cancelled before it was sent");
    }
    tu_exec_free(exec);
}

/* Cancel with requests in flight to a server that never answers: after
 * the grace they are aborted; the queued ones never start. */
static void test_cancel_aborts_in_flight_after_grace(void **state)
{
    char url[64];
    outcome outs[6];
    tu_exec_config config;
    tu_exec *exec;
    struct timespec t0;
    long long took;
    int fd, i;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", silent_port(&fd));
    tu_exec_config_init(&config);
    config.concurrency = 2;
    exec = tu_exec_new(&config, NULL);
    submit_outcomes(exec, "POST", url, outs, 2);
    submit_outcomes(exec, "PUT", url, outs + 2, 4);
    assert_int_equal(tu_exec_drive(exec, 100), 0);  /* two in flight */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tu_exec_cancel(exec, 200);
    assert_int_equal(tu_exec_run(exec), 0);
    took = elapsed_ms_since(&t0);
    assert_true(took >= 190);
    assert_true(took < 5000);
    for (i = 0; i < 2; i++) {
        assert_int_equal(outs[i].calls, 1);
        assert_int_equal(outs[i].code, CURLE_ABORTED_BY_CALLBACK);
        assert_string_equal(outs[i].error, "cancelled while in flight");
        assert_int_equal(outs[i].attempts, 1);
        assert_int_equal(outs[i].may_have_arrived, 1);  /* POST, sent */
    }
    for (i = 2; i < 6; i++) {
        assert_int_equal(outs[i].calls, 1);
        assert_string_equal(outs[i].error, "cancelled before it was sent");
    }
    tu_exec_free(exec);
    close(fd);
}

static int stop_after_polls(void *data)
{
    int *polls = data;

    return ++*polls > 3;
}

static void test_should_stop_cancels(void **state)
{
    char url[64];
    outcome outs[4];
    tu_exec_config config;
    tu_exec *exec;
    int fd, polls = 0, i;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", silent_port(&fd));
    tu_exec_config_init(&config);
    config.concurrency = 2;
    config.should_stop = stop_after_polls;
    config.stop_data = &polls;
    config.cancel_grace_ms = 0;
    exec = tu_exec_new(&config, NULL);
    submit_outcomes(exec, "PUT", url, outs, 4);
    assert_true(tu_exec_timeout_ms(exec) <= 100);   /* polled often */
    assert_int_equal(tu_exec_run(exec), 0);         /* not 30 s */
    assert_int_equal(outs[0].code, CURLE_ABORTED_BY_CALLBACK);
    assert_string_equal(outs[0].error, "cancelled while in flight");
    assert_int_equal(outs[0].may_have_arrived, 0);  /* idempotent */
    for (i = 2; i < 4; i++)
        assert_string_equal(outs[i].error, "cancelled before it was sent");
    tu_exec_free(exec);
    close(fd);
}

/* A server that accepts and never answers is bounded by the deadline even
 * with no request timeout; queued requests finish unsent. */
static void test_deadline_bounds_a_silent_server(void **state)
{
    char url[64];
    outcome outs[3];
    tu_exec_config config;
    tu_exec *exec;
    struct timespec t0;
    long long took;
    int fd;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", silent_port(&fd));
    tu_exec_config_init(&config);
    config.concurrency = 1;
    config.timeout_ms = 0;     /* none: only the deadline bounds it */
    config.deadline_ms = 300;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    exec = tu_exec_new(&config, NULL);
    submit_outcomes(exec, "POST", url, outs, 3);
    assert_int_equal(tu_exec_run(exec), 0);
    took = elapsed_ms_since(&t0);
    assert_true(took >= 290);
    assert_true(took < 5000);
    assert_int_equal(outs[0].code, CURLE_OPERATION_TIMEDOUT);
    assert_string_equal(outs[0].error,
                        "the run's deadline passed while this request was "
                        "in flight");
    assert_int_equal(outs[0].may_have_arrived, 1);
    assert_int_equal(outs[1].code, CURLE_OPERATION_TIMEDOUT);
    assert_string_equal(outs[1].error,
                        "the run's deadline passed before this request was "
                        "sent");
    assert_int_equal(outs[1].attempts, 0);
    assert_int_equal(outs[2].calls, 1);
    assert_int_equal(outs[2].may_have_arrived, 0);
    tu_exec_free(exec);
    close(fd);
}

/* A retry that would come due after the deadline is not waited for. */
static void test_deadline_skips_a_late_retry(void **state)
{
    char url[64];
    outcome out;
    tu_exec_config config;
    tu_exec *exec;
    struct timespec t0;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", closed_port());
    tu_exec_config_init(&config);
    config.retry_base_ms = 60000;  /* a backoff of a minute, jittered */
    config.retry_max_ms = 60000;
    config.deadline_ms = 1000;
    exec = tu_exec_new(&config, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    submit_outcomes(exec, "PUT", url, &out, 1);
    assert_int_equal(tu_exec_run(exec), 0);
    assert_int_equal(out.calls, 1);
    /* Its last answer, not the deadline's error: it did not wait for the
     * deadline (a retry is made only when the jitter draws under 1 s). */
    assert_int_equal(out.code, CURLE_COULDNT_CONNECT);
    assert_null(strstr(out.error, "deadline"));
    assert_true(out.attempts >= 1);
    assert_true(elapsed_ms_since(&t0) < 1000);
    tu_exec_free(exec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_retries),
        cmocka_unit_test(test_may_have_arrived),
        cmocka_unit_test(test_connection_retries),
        cmocka_unit_test(test_backoff_ceiling),
        cmocka_unit_test(test_backoff_jitter_within_ceiling),
        cmocka_unit_test(test_backoff_retry_after_floor),
        cmocka_unit_test(test_rng_seed_and_sequence),
        cmocka_unit_test(test_rate_spacing),
        cmocka_unit_test(test_rate_none),
        cmocka_unit_test(test_rate_long_run_exact),
        cmocka_unit_test(test_aimd_halves_once_per_window),
        cmocka_unit_test(test_aimd_grows_additively),
        cmocka_unit_test(test_aimd_signals),
        cmocka_unit_test(test_header_lookup),
        cmocka_unit_test(test_bad_config_refused),
        cmocka_unit_test(test_bad_tls_config_refused),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_refused_post_is_retried),
        cmocka_unit_test(test_unsupported_scheme_is_final),
        cmocka_unit_test(test_free_drops_pending_unseen),
        cmocka_unit_test(test_borrowed_requests),
        cmocka_unit_test(test_rate_limit_spaces_attempts),
        cmocka_unit_test(test_cancel_before_sending),
        cmocka_unit_test(test_cancel_from_done),
        cmocka_unit_test(test_cancel_aborts_in_flight_after_grace),
        cmocka_unit_test(test_should_stop_cancels),
        cmocka_unit_test(test_deadline_bounds_a_silent_server),
        cmocka_unit_test(test_deadline_skips_a_late_retry),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
