/* test_answer.c -- state/answer.h: empty answers, the success rule (with
 * Porkbun's and SOLIDserver's real answers, exact messages) and the new id
 * of a create (a dotted path, the id field, the Location header).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "state/answer.h"
#include "state/listpage.h"

static const char PORKBUN_ERROR[] =
    "{\"status\":\"ERROR\",\"message\":\"Invalid API key. (001)\"}";

/* The rule's verdict on `body`, and its message in `why`. */
static int check(const char *path, json_t *equals, const char *message,
                 const char *body, char *why, size_t size)
{
    tu_success_rule rule = {path, equals, message};
    int ok;

    why[0] = '\0';
    ok = tu_answer_check(&rule, 200, body, strlen(body), why, size);
    json_decref(equals);
    return ok;
}

static void assert_id(const char *body, const char *path, const char *field,
                      const char *location, const char *expected)
{
    char *id = tu_answer_new_id(body, strlen(body), path, field, location);

    if (!expected) {
        if (id)
            fail_msg("<<%s>>: expected no id, got %s", body, id);
        return;
    }
    if (!id)
        fail_msg("<<%s>>: expected id %s, got none", body, expected);
    assert_string_equal(id, expected);
    free(id);
}

static void test_empty(void **state)
{
    (void)state;
    assert_true(tu_body_is_empty("", 0));
    assert_true(tu_body_is_empty(" \r\n\t", 4));
    assert_false(tu_body_is_empty("{}", 2));
    assert_false(tu_body_is_empty(" x", 2));
}

static void test_success_passes(void **state)
{
    char why[256];
    tu_success_rule none = {NULL, NULL, NULL};
    (void)state;
    assert_true(check("status", json_string("SUCCESS"), "message",
                      "{\"status\":\"SUCCESS\",\"id\":\"1\"}", why,
                      sizeof why));
    /* no rule; an empty answer holds no status to check */
    assert_true(tu_answer_check(&none, 200, "{}", 2, why, sizeof why));
    assert_true(check("status", json_string("SUCCESS"), NULL, "", why,
                      sizeof why));
    /* a string and a number of the same text are equal */
    assert_true(check("0.errno", json_integer(0), NULL,
                      "[{\"errno\":\"0\",\"ret_oid\":\"17\"}]", why,
                      sizeof why));
    assert_true(check("ok", json_true(), NULL, "{\"ok\":true}", why,
                      sizeof why));
}

static void test_success_fails(void **state)
{
    char why[256];
    (void)state;
    assert_false(check("status", json_string("SUCCESS"), "message",
                       PORKBUN_ERROR, why, sizeof why));
    assert_string_equal(why, "the server answered 200 but status is "
                             "\"ERROR\": Invalid API key. (001)");
    assert_false(check("status", json_string("SUCCESS"), NULL,
                       PORKBUN_ERROR, why, sizeof why));
    assert_string_equal(why, "the server answered 200 but status is "
                             "\"ERROR\"");
    assert_false(check("status", json_string("SUCCESS"), "message",
                       "{\"message\":{\"code\":7}}", why, sizeof why));
    assert_string_equal(why, "the server answered 200 but has no status: "
                             "{\"code\":7}");
    assert_false(check("status", json_string("SUCCESS"), "message",
                       "<html>", why, sizeof why));
    assert_string_equal(why, "the server answered 200 but not in JSON, so "
                             "status cannot be read");
    /* true is not the string "true"; 1 is not 1.5 */
    assert_false(check("ok", json_string("true"), NULL, "{\"ok\":true}", why,
                       sizeof why));
    assert_false(check("n", json_integer(1), NULL, "{\"n\":1.5}", why,
                       sizeof why));
    assert_string_equal(why, "the server answered 200 but n is 1.5");
}

static void test_success_long_message(void **state)
{
    char body[1200], why[1024];
    (void)state;
    memset(body, 'x', sizeof body);
    memcpy(body, "{\"status\":\"ERROR\",\"message\":\"", 29);
    strcpy(body + sizeof body - 3, "\"}");
    assert_false(check("status", json_string("SUCCESS"), "message", body,
                       why, sizeof why));
    assert_int_equal(strlen(why), strlen("the server answered 200 but "
                                         "status is \"ERROR\": ") + 303);
    assert_string_equal(why + strlen(why) - 3, "...");
}

static void test_new_id(void **state)
{
    (void)state;
    /* SOLIDserver: [{"ret_oid": "17"}] */
    assert_id("[{\"ret_oid\":\"17\"}]", "0.ret_oid", "id", NULL, "17");
    /* the answer's own id field, a number or a string */
    assert_id("{\"id\":42,\"name\":\"a\"}", NULL, "id", NULL, "42");
    assert_id("{\"uuid\":\"a-b\"}", NULL, "uuid", NULL, "a-b");
    assert_id("{\"data\":{\"id\":9}}", "data.id", "id", NULL, "9");
    /* Porkbun: {"status": "SUCCESS", "id": 106926659} */
    assert_id("{\"status\":\"SUCCESS\",\"id\":106926659}", "id", "id", NULL,
              "106926659");
    /* no id in the answer: the Location header's last segment */
    assert_id("", NULL, "id", "https://api.test/records/77", "77");
    assert_id("{}", NULL, "id", "/records/77/?x=1#f", "77");
    assert_id("[{\"x\":1}]", "0.ret_oid", "id", "/r/5", "5");
    assert_id("{\"id\":{\"a\":1}}", NULL, "id", "/r/6", "6");
    assert_id("{\"id\":\"\"}", NULL, "id", "/r/7", "7");
    /* none at all */
    assert_id("", NULL, "id", NULL, NULL);
    assert_id("{\"id\":null}", NULL, "id", "https://api.test", NULL);
    assert_id("{\"id\":true}", NULL, "id", "https://api.test/", NULL);
    assert_id("[1]", NULL, "id", NULL, NULL);
    assert_id("{\"id\":1}", NULL, NULL, NULL, NULL);
    assert_id("not json", NULL, "id", "", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_success_passes),
        cmocka_unit_test(test_success_fails),
        cmocka_unit_test(test_success_long_message),
        cmocka_unit_test(test_new_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
