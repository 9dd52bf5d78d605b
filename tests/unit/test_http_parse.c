/* test_http_parse.c -- cli/http_parse.c: the request heads trueup watch's
 * HTTP server reads (whole, partial, pipelined, CRLF and bare LF, keep-
 * alive and close) and the ones it refuses, each with its status (400
 * malformed or folded or smuggling-shaped, 413 a body, 431 too long, 505
 * another version).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cli/watch.h"

static int parse(const char *text, tu_http_request *req)
{
    return tu_http_parse_request(text, strlen(text), req);
}

static void test_simple_get(void **state)
{
    tu_http_request r;
    const char *t = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)state;
    assert_int_equal(parse(t, &r), 1);
    assert_int_equal(r.method_len, 3);
    assert_memory_equal(r.method, "GET", 3);
    assert_int_equal(r.path_len, 8);
    assert_memory_equal(r.path, "/metrics", 8);
    assert_int_equal(r.minor, 1);
    assert_int_equal(r.keep_alive, 1);
    assert_int_equal(r.head_len, strlen(t));
}

static void test_query_and_bare_lf(void **state)
{
    tu_http_request r;
    (void)state;
    assert_int_equal(parse("\r\nHEAD /readyz?verbose=1 HTTP/1.0\n\n", &r), 1);
    assert_int_equal(r.path_len, 7);
    assert_memory_equal(r.path, "/readyz", 7);
    assert_int_equal(r.minor, 0);
    assert_int_equal(r.keep_alive, 0);        /* HTTP/1.0: closes */
}

static void test_connection_header(void **state)
{
    tu_http_request r;
    (void)state;
    assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: Keep-Alive, close"
                           "\r\n\r\n", &r), 1);
    assert_int_equal(r.keep_alive, 0);
    assert_int_equal(parse("GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n",
                           &r), 1);
    assert_int_equal(r.keep_alive, 1);
    assert_int_equal(parse("GET / HTTP/1.1\r\nX-Connection: close\r\n\r\n",
                           &r), 1);
    assert_int_equal(r.keep_alive, 1);
}

static void test_incomplete(void **state)
{
    tu_http_request r;
    const char *t = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)state;
    for (size_t n = 0; n < strlen(t); n++)
        assert_int_equal(tu_http_parse_request(t, n, &r), 0);
}

static void test_pipelined(void **state)
{
    tu_http_request r;
    const char *t = "GET /a HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n";
    (void)state;
    assert_int_equal(parse(t, &r), 1);
    assert_int_equal(r.head_len, 19);
    assert_int_equal(parse(t + r.head_len, &r), 1);
    assert_memory_equal(r.path, "/healthz", 8);
}

static void test_refused(void **state)
{
    static const struct { const char *text; int status; } cases[] = {
        {"GET\r\n\r\n", 400},
        {"GET  / HTTP/1.1\r\n\r\n", 400},
        {"GET metrics HTTP/1.1\r\n\r\n", 400},
        {"G(T / HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/1.1 \r\n\r\n", 400},
        {"GET / HTTP/2.0\r\n\r\n", 505},
        {"GET / HTTP/1.x\r\n\r\n", 400},
        {"GET / FTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n: x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 413},
        {"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 413},
    };
    tu_http_request r;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = parse(cases[i].text, &r);
        if (got != cases[i].status)
            fail_msg("%s: %d, not %d", cases[i].text, got, cases[i].status);
    }
    assert_int_equal(parse("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r),
                     1);
}

static void test_too_long(void **state)
{
    size_t n = TU_HTTP_MAX_HEAD + 100;
    char *t = malloc(n + 1);
    tu_http_request r;
    (void)state;
    assert_non_null(t);
    memset(t, 'a', n);
    memcpy(t, "GET /", 5);
    t[n] = '\0';
    assert_int_equal(parse(t, &r), 431);   /* no line end yet, too long */
    memcpy(t, "GET / HTTP/1.1\r\nX: ", 19);
    memcpy(t + n - 4, "\r\n\r\n", 4);
    assert_int_equal(parse(t, &r), 431);   /* whole, but too long */
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_query_and_bare_lf),
        cmocka_unit_test(test_connection_header),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
