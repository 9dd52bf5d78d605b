/* test_safety.c -- engine/safety.h: the update and delete thresholds, as
 * shares of the live records, only from min_existing records on, with the
 * exact message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/safety.h"

/* A plan of `updates` updates, `deletes` deletes and one failed delete
 * (which does not count: it will not be pushed). */
static tu_plan make_plan(size_t updates, size_t deletes)
{
    tu_plan plan;
    size_t i = 0;
    plan.count = updates + deletes + 1;
    plan.actions = calloc(plan.count, sizeof *plan.actions);
    assert_non_null(plan.actions);
    for (; i < updates; i++)
        plan.actions[i].kind = TU_ACTION_UPDATE;
    for (; i < updates + deletes; i++)
        plan.actions[i].kind = TU_ACTION_DELETE;
    plan.actions[i].kind = TU_ACTION_DELETE;
    plan.actions[i].status = TU_STATUS_FAILED;
    return plan;
}

static void test_deletes_over_threshold(void **state)
{
    tu_settings s;
    tu_plan plan = make_plan(0, 104);
    char msg[512] = "";
    (void)state;
    tu_settings_init(&s);
    assert_int_equal(tu_safety_exceeded(&plan, 261, &s, msg, sizeof msg), 1);
    assert_string_equal(msg, "too many deletes: 39.85% is over 30% (104 of "
                        "261 live records); review the plan, or raise "
                        "settings.max_deletes");
    s.max_deletes = 40;
    assert_int_equal(tu_safety_exceeded(&plan, 261, &s, msg, sizeof msg), 0);
    free(plan.actions);
}

static void test_updates_unlimited_by_default(void **state)
{
    tu_settings s;
    tu_plan plan = make_plan(1000, 0);
    char msg[512] = "";
    (void)state;
    tu_settings_init(&s);
    assert_int_equal(tu_safety_exceeded(&plan, 1000, &s, msg, sizeof msg), 0);
    s.max_updates = 50;
    assert_int_equal(tu_safety_exceeded(&plan, 1000, &s, msg, sizeof msg), 1);
    assert_string_equal(msg, "too many updates: 100.00% is over 50% (1000 "
                        "of 1000 live records); review the plan, or raise "
                        "settings.max_updates");
    free(plan.actions);
}

static void test_few_records_are_not_checked(void **state)
{
    tu_settings s;
    tu_plan plan = make_plan(0, 9);
    char msg[512] = "";
    (void)state;
    tu_settings_init(&s);
    assert_int_equal(tu_safety_exceeded(&plan, 9, &s, msg, sizeof msg), 0);
    s.min_existing = 9;
    assert_int_equal(tu_safety_exceeded(&plan, 9, &s, msg, sizeof msg), 1);
    free(plan.actions);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deletes_over_threshold),
        cmocka_unit_test(test_updates_unlimited_by_default),
        cmocka_unit_test(test_few_records_are_not_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
