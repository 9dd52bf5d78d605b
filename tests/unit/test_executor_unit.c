/* test_executor_unit.c -- the executor's parts that need no server: the
 * retry policy, the backoff, header lookup, configuration checks, freeing
 * with requests pending, and retries against a closed loopback port. */
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
#include <unistd.h>

#include "engine/executor.h"
#include "engine/executor_policy.h"

/* ---- the retry policy ---------------------------------------------- */

static void test_status_retries(void **state)
{
    (void)state;
    assert_true(tu_retry_wanted(CURLE_OK, 503, 1, 100));
    assert_true(tu_retry_wanted(CURLE_OK, 502, 1, 100));
    assert_true(tu_retry_wanted(CURLE_OK, 504, 1, 100));
    assert_true(tu_retry_wanted(CURLE_OK, 429, 1, 100));
    assert_false(tu_retry_wanted(CURLE_OK, 503, 0, 100));
    assert_false(tu_retry_wanted(CURLE_OK, 502, 0, 100));
    assert_true(tu_retry_wanted(CURLE_OK, 429, 0, 100));  /* documented */
    assert_false(tu_retry_wanted(CURLE_OK, 200, 1, 100));
    assert_false(tu_retry_wanted(CURLE_OK, 404, 1, 100));
    assert_false(tu_retry_wanted(CURLE_OK, 500, 1, 100));
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
    tu_error err = {""};

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
}

static void test_defaults(void **state)
{
    tu_exec_config config;
    tu_exec *exec;

    (void)state;
    tu_exec_config_init(&config);
    assert_int_equal(config.concurrency, 16);
    assert_int_equal(config.max_attempts, 4);
    exec = tu_exec_new(&config, NULL);
    assert_non_null(exec);
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
} outcome;

static void record_outcome(const tu_http_response *resp, void *data)
{
    outcome *out = data;

    out->calls++;
    out->status = resp->status;
    out->code = resp->curl_code;
    out->attempts = resp->attempts;
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
    outcome out = {0, -1, CURLE_OK, 0};
    tu_exec *exec = small_exec(3);
    tu_http_request req = {"POST", url, json_body(), 2, 0, 0,
                           record_outcome, &out};
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
    outcome out = {0, -1, CURLE_OK, 0};
    tu_exec *exec = small_exec(4);
    tu_http_request req = {"GET", "gopher://127.0.0.1/", NULL, 0, 1, 0,
                           record_outcome, &out};

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
                               fail_if_called, NULL};
        assert_int_equal(tu_exec_submit(exec, &req), 0);
    }
    assert_int_equal(tu_exec_pending(exec), 10);
    assert_int_equal(tu_exec_timeout_ms(exec), 0);  /* work is ready */
    assert_int_equal(tu_exec_drive(exec, 0), 0);    /* some in flight */
    tu_exec_free(exec);                             /* no leak, no done */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_retries),
        cmocka_unit_test(test_connection_retries),
        cmocka_unit_test(test_backoff_ceiling),
        cmocka_unit_test(test_backoff_jitter_within_ceiling),
        cmocka_unit_test(test_backoff_retry_after_floor),
        cmocka_unit_test(test_rng_seed_and_sequence),
        cmocka_unit_test(test_header_lookup),
        cmocka_unit_test(test_bad_config_refused),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_refused_post_is_retried),
        cmocka_unit_test(test_unsupported_scheme_is_final),
        cmocka_unit_test(test_free_drops_pending_unseen),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
