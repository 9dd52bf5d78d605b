/* test_error_kinds.c -- every public function that fails says what kind of
 * failure it was (tu_error.code, include/trueup/trueup.h) beside the
 * message, and the kinds have stable names (tu_error_code_name).
 *
 * One representative path per kind: a key the schema does not know and a
 * file without a target (bad input), a missing file and a directory (io),
 * a closed port and a server that answers something that is not a list
 * (fetch), a run cancelled before it starts (cancelled), and an apply whose
 * plan crosses max_deletes (threshold). The last two need live records:
 * a small HTTP server on a loopback port, in a thread of this test, answers
 * every request with one fixed response. Out of memory and internal
 * failures have no path a test can take without faking malloc or libcurl.
 *
 * With that server at hand it also checks trueup.h's promise about
 * threads: several threads may run one desired state at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trueup/trueup.h"

/* ---- a one-response HTTP server ------------------------------------- */

typedef struct server {
    int fd, port;
    const char *body;          /* every response's body */
    volatile int stop;
    pthread_t thread;
} server;

static void serve_one(int conn, const char *body)
{
    char req[8192], head[256];
    size_t got = 0;
    ssize_t n;

    while (got < sizeof req - 1 &&
           (n = read(conn, req + got, sizeof req - 1 - got)) > 0) {
        got += (size_t)n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: "
             "application/json\r\nContent-Length: %zu\r\nConnection: "
             "close\r\n\r\n", strlen(body));
    if (write(conn, head, strlen(head)) < 0 ||
        write(conn, body, strlen(body)) < 0)
        perror("test server: write");
}

static void *serve(void *data)
{
    server *s = data;
    while (!s->stop) {
        struct pollfd p = {s->fd, POLLIN, 0};
        int conn;
        if (poll(&p, 1, 50) <= 0)
            continue;
        conn = accept(s->fd, NULL, NULL);
        if (conn >= 0) {
            serve_one(conn, s->body);
            close(conn);
        }
    }
    return NULL;
}

static void server_start(server *s, const char *body)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;

    memset(s, 0, sizeof *s);
    s->body = body;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&addr, &len), 0);
    s->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->fd);
}

/* A loopback port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    server s;
    server_start(&s, "");
    server_stop(&s);
    return s.port;
}

/* ---- helpers ---------------------------------------------------------- */

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/tu_kinds_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* Load one file holding `text`; NULL with `err` filled on failure. */
static tu_desired *load_text(const char *text, tu_error *err)
{
    char *path = write_temp(text);
    const char *paths[] = {path};
    tu_desired *d = tu_desired_load(paths, 1, err);
    unlink(path);
    free(path);
    return d;
}

/* A REST target on 127.0.0.1:port without retries, with `settings` added
 * to its settings and `extra` appended to the file. */
static tu_desired *load_target(int port, const char *settings,
                               const char *extra)
{
    char text[1024];
    tu_error err = {0};
    tu_desired *d;

    snprintf(text, sizeof text,
             "target:\n"
             "  provider: rest\n"
             "  base_url: http://127.0.0.1:%d/\n"
             "  resource: {list: /records, key: [name, type]}\n"
             "settings: {retries: 0%s}\n%s", port, settings, extra);
    d = load_text(text, &err);
    assert_string_equal(err.message, "");
    assert_int_equal(err.code, TU_OK);
    assert_non_null(d);
    return d;
}

/* ---- the tests -------------------------------------------------------- */

static void test_names(void **state)
{
    static const struct { tu_error_code code; const char *name; } all[] = {
        {TU_OK, "ok"},
        {TU_ERR_BAD_INPUT, "bad_input"},
        {TU_ERR_IO, "io"},
        {TU_ERR_FETCH, "fetch"},
        {TU_ERR_THRESHOLD, "threshold"},
        {TU_ERR_CANCELLED, "cancelled"},
        {TU_ERR_NOMEM, "nomem"},
        {TU_ERR_INTERNAL, "internal"},
        {TU_ERR_PLAN, "plan"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        assert_string_equal(tu_error_code_name(all[i].code), all[i].name);
    assert_string_equal(tu_error_code_name((tu_error_code)-1), "unknown");
    assert_string_equal(tu_error_code_name((tu_error_code)999), "unknown");
}

static void test_success_clears(void **state)
{
    tu_error err;
    tu_desired *d;
    (void)state;

    memset(&err, 0, sizeof err);
    err.code = TU_ERR_FETCH; /* left over from an earlier call */
    strcpy(err.message, "stale");
    d = load_text("target: {provider: rest, base_url: 'http://x/', "
                  "resource: {list: /r, key: [name]}}\n", &err);
    assert_non_null(d);
    assert_int_equal(err.code, TU_OK);
    assert_string_equal(err.message, "");
    tu_desired_free(d);
}

static void test_bad_input(void **state)
{
    tu_error err = {0};
    tu_desired *d;
    const char *bad_bulk[] = {"ttl"};
    const char *match[] = {"name=*"};
    const char *set[] = {"ttl=60"};
    json_t *doc;
    (void)state;

    /* a positioned error (tu_error_at) */
    assert_null(load_text("target: {provider: rest, base_url: 'http://x/', "
                          "resource: {list: /r, key: [name]}}\n"
                          "setings: {}\n", &err));
    assert_int_equal(err.code, TU_ERR_BAD_INPUT);
    assert_non_null(strstr(err.message, "setings"));
    /* an error without a place (tu_error_set) */
    assert_null(load_text("records: []\n", &err));
    assert_int_equal(err.code, TU_ERR_BAD_INPUT);
    assert_non_null(strstr(err.message, "no target"));
    /* a bulk rule */
    d = load_target(1, "", "");
    assert_int_equal(tu_desired_add_bulk(d, bad_bulk, 1, set, 1, NULL, &err), -1);
    assert_int_equal(err.code, TU_ERR_BAD_INPUT);
    assert_int_equal(tu_desired_add_bulk(d, NULL, 0, set, 1, NULL, &err), -1);
    assert_int_equal(err.code, TU_ERR_BAD_INPUT);
    assert_int_equal(tu_desired_add_bulk(d, match, 1, set, 1, NULL, &err), 0);
    assert_int_equal(err.code, TU_OK);
    tu_desired_free(d);
    /* a document given as JSON */
    doc = json_pack("{s:{s:s}}", "target", "provider", "nosuch");
    assert_null(tu_desired_load_json(doc, "module arguments", &err));
    assert_int_equal(err.code, TU_ERR_BAD_INPUT);
    json_decref(doc);
}

static void test_io(void **state)
{
    tu_error err = {0};
    const char *missing[] = {"/nonexistent/trueup/zone.yaml"};
    const char *dir[] = {"/tmp"};
    (void)state;

    assert_null(tu_desired_load(missing, 1, &err));
    assert_int_equal(err.code, TU_ERR_IO);
    assert_non_null(strstr(err.message, "cannot read"));
    assert_null(tu_desired_load(dir, 1, &err));
    assert_int_equal(err.code, TU_ERR_IO);
    assert_non_null(strstr(err.message, "is a directory"));
}

static void test_fetch(void **state)
{
    tu_error err = {0};
    tu_options o;
    tu_desired *d = load_target(closed_port(), "", "");
    server s;
    (void)state;

    tu_options_init(&o);
    assert_null(tu_run(d, &o, &err));
    assert_int_equal(err.code, TU_ERR_FETCH);
    assert_null(tu_export(d, &o, &err));
    assert_int_equal(err.code, TU_ERR_FETCH);
    tu_desired_free(d);

    server_start(&s, "{\"not\": \"a list\"}");
    d = load_target(s.port, "", "");
    assert_null(tu_run(d, &o, &err));
    assert_int_equal(err.code, TU_ERR_FETCH);
    assert_non_null(strstr(err.message, "expected a list of records"));
    tu_desired_free(d);
    server_stop(&s);
}

static void test_cancelled(void **state)
{
    volatile sig_atomic_t cancel = 1;
    tu_error err = {0};
    tu_options o;
    server s;
    tu_desired *d;
    (void)state;

    server_start(&s, "[]");
    d = load_target(s.port, "", "records: [{name: a, type: A}]\n");
    tu_options_init(&o);
    o.mode = TU_MODE_APPLY;
    o.cancel = &cancel;
    assert_null(tu_run(d, &o, &err));
    assert_int_equal(err.code, TU_ERR_CANCELLED);
    assert_non_null(strstr(err.message, "cancelled"));
    tu_desired_free(d);
    server_stop(&s);
}

/* Twelve live records, none desired, prune on: every one would go. */
static void test_threshold(void **state)
{
    char body[1024] = "[";
    tu_error err = {0};
    tu_options o;
    tu_report *rep;
    tu_desired *d;
    server s;
    (void)state;

    for (int i = 0; i < 12; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body),
                 "%s{\"name\": \"r%d\", \"type\": \"A\"}", i ? ", " : "", i);
    strcat(body, "]");
    server_start(&s, body);
    d = load_target(s.port, ", prune: true", "records: []\n");
    tu_options_init(&o);
    o.mode = TU_MODE_APPLY;
    assert_null(tu_run(d, &o, &err));
    assert_int_equal(err.code, TU_ERR_THRESHOLD);
    assert_non_null(strstr(err.message, "too many deletes"));
    /* a plan crosses it too, but only warns: a report and TU_OK */
    o.mode = TU_MODE_PLAN;
    rep = tu_run(d, &o, &err);
    assert_non_null(rep);
    assert_int_equal(err.code, TU_OK);
    tu_report_free(rep);
    tu_desired_free(d);
    server_stop(&s);
}

/* trueup.h: "several threads may run the same desired state at once".
 * Four threads plan one tu_desired at the same time, twice each; every
 * report is right. (The ASan build runs this too.) */
typedef struct plan_thread {
    const tu_desired *desired;
    tu_counts counts[2];
    tu_error_code code;
} plan_thread;

static void *plan_twice(void *data)
{
    plan_thread *t = data;
    tu_error err = {0};
    tu_options o;

    tu_options_init(&o);
    for (int i = 0; i < 2; i++) {
        tu_report *rep = tu_run(t->desired, &o, &err);
        t->code = err.code;
        if (!rep)
            return NULL;
        tu_report_counts(rep, &t->counts[i]);
        tu_report_free(rep);
    }
    return NULL;
}

static void test_threads_share_a_desired_state(void **state)
{
    plan_thread threads[4];
    pthread_t ids[4];
    tu_desired *d;
    server s;
    (void)state;

    server_start(&s, "[{\"name\": \"a\", \"type\": \"A\", \"ttl\": 60},"
                     " {\"name\": \"b\", \"type\": \"A\", \"ttl\": 60}]");
    d = load_target(s.port, "", "records:\n"
                    "  - {name: a, type: A, ttl: 60}\n"
                    "  - {name: b, type: A, ttl: 300}\n"
                    "  - {name: c, type: A, ttl: 60}\n");
    for (int i = 0; i < 4; i++) {
        memset(&threads[i], 0, sizeof threads[i]);
        threads[i].desired = d;
        threads[i].code = TU_ERR_INTERNAL;
        assert_int_equal(pthread_create(&ids[i], NULL, plan_twice,
                                        &threads[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(ids[i], NULL), 0);
        assert_int_equal(threads[i].code, TU_OK);
        for (int r = 0; r < 2; r++) {
            assert_int_equal(threads[i].counts[r].total, 3);
            assert_int_equal(threads[i].counts[r].skipped, 1);
            assert_int_equal(threads[i].counts[r].updated, 1);
            assert_int_equal(threads[i].counts[r].created, 1);
        }
    }
    tu_desired_free(d);
    server_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_success_clears),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_io),
        cmocka_unit_test(test_fetch),
        cmocka_unit_test(test_cancelled),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_threads_share_a_desired_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
