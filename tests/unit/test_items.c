/* test_items.c -- item-level rules applied before the plan
 * (engine/items.c), without a server: kept items put back into a declared
 * record, an absent record kept with them alone, a pruned record kept
 * with them alone (and not when prune is off or the owner differs), items
 * outside a prune_scope item rule, and the left_alone notes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "engine/items.h"
#include "state/error.h"
#include "util/json_util.h"

static const char *name_type[] = {"name", "type"};
static const tu_keyspec spec = {name_type, 2};

typedef struct fx {
    tu_recordset desired, live;
    tu_rules protect, scope;
    tu_plan_options o;
    tu_items items;
} fx;

static tu_record *add(tu_recordset *set, const char *text)
{
    json_t *fields = json_loads(text, 0, NULL);
    char *key, *label;
    const char *missing;
    tu_record *r;
    assert_non_null(fields);
    assert_int_equal(tu_record_key(fields, &spec, &key, &label, &missing), 0);
    assert_non_null(r = tu_recordset_add(set, fields, key, label, NULL));
    return r;
}

static void rule(tu_rules *rules, const char *list, const char *text)
{
    tu_error err = {0};
    tu_srcpos pos = {"z.yaml", (unsigned)rules->nitem_rules + 3, 5};
    json_t *item = json_loads(text, 0, NULL);
    assert_non_null(item);
    if (tu_rules_add_item(rules, list, item, pos, rules->nitem_rules, NULL,
                          &err) != 0)
        fail_msg("%s", err.message);
    json_decref(item);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    tu_recordset_init(&f->desired);
    tu_recordset_init(&f->live);
    tu_rules_init(&f->protect);
    tu_rules_init(&f->scope);
    f->o.key = &spec;
    f->o.protect_rules = &f->protect;
    f->o.prune_scope = &f->scope;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tu_items_free(&f->items);
    tu_recordset_free(&f->desired);
    tu_recordset_free(&f->live);
    tu_rules_free(&f->protect);
    tu_rules_free(&f->scope);
    free(f);
    return 0;
}

/* Apply, and give the planned copy's record `key`'s records as JSON. */
static char *records_of(fx *f, const char *name, const char *type)
{
    json_t *k = json_pack("{s:s,s:s}", "name", name, "type", type);
    char *key, *label, *text = NULL;
    const char *missing;
    const tu_record *r;
    tu_record_key(k, &spec, &key, &label, &missing);
    r = tu_recordset_find(tu_items_desired(&f->items, &f->desired), key);
    if (r)
        text = json_dumps(json_object_get(tu_record_fields(r), "records"),
                          JSON_COMPACT);
    free(key);
    free(label);
    json_decref(k);
    return text;
}

static void apply(fx *f)
{
    tu_error err = {0};
    if (tu_items_apply(&f->items, &f->desired, &f->live, &f->protect,
                       &f->scope, &f->o, NULL, NULL, &err) != 0)
        fail_msg("%s", err.message);
}

static void assert_records(fx *f, const char *name, const char *type,
                           const char *want)
{
    char *got = records_of(f, name, type);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_no_item_rules_copy_nothing(void **state)
{
    fx *f = *state;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"records\":[\"1\"]}");
    apply(f);
    assert_false(f->items.used);
    assert_ptr_equal(tu_items_desired(&f->items, &f->desired), &f->desired);
}

static void test_declared_absent_and_pruned(void **state)
{
    fx *f = *state;
    rule(&f->protect, "protect", "{\"items\":{\"records\":\"9\"}}");
    add(&f->live, "{\"name\":\"a\",\"type\":\"A\",\"records\":[\"1\",\"9\"]}");
    add(&f->live, "{\"name\":\"b\",\"type\":\"A\",\"records\":[\"2\",\"9\"]}");
    add(&f->live, "{\"name\":\"c\",\"type\":\"A\",\"records\":[\"3\",\"9\"]}");
    add(&f->live, "{\"name\":\"d\",\"type\":\"A\",\"records\":[\"4\"]}");
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"records\":[\"5\"]}");
    add(&f->desired, "{\"name\":\"b\",\"type\":\"A\"}")->absent = 1;
    f->o.prune = 1;
    apply(f);
    assert_records(f, "a", "A", "[\"5\",\"9\"]");   /* declared: kept in */
    assert_records(f, "b", "A", "[\"9\"]");         /* absent: kept alone */
    assert_records(f, "c", "A", "[\"9\"]");         /* pruned: kept alone */
    assert_records(f, "d", "A", NULL);              /* pruned whole */
    assert_int_equal(json_array_size(f->items.left), 3);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(f->items.left, 0), "reason")),
        "protected by protect[0] (z.yaml:3)");
}

static void test_prune_off_or_not_owned(void **state)
{
    fx *f = *state;
    rule(&f->protect, "protect", "{\"items\":{\"records\":\"9\"}}");
    add(&f->live, "{\"name\":\"c\",\"type\":\"A\",\"records\":[\"3\",\"9\"],"
                  "\"owner\":\"b\"}");
    apply(f);                                       /* no prune */
    assert_records(f, "c", "A", NULL);
    tu_items_free(&f->items);
    f->o.prune = 1;
    f->o.owner = "a";
    f->o.owner_field = "owner";
    apply(f);                                       /* another owner's */
    assert_records(f, "c", "A", NULL);
    assert_int_equal(json_array_size(f->items.left), 0);
}

static void test_scope_items(void **state)
{
    fx *f = *state;
    rule(&f->scope, "prune_scope", "{\"match\":{\"type\":\"MX\"},"
         "\"items\":{\"records\":{\"glob\":\"**.old.example.\"}}}");
    add(&f->live, "{\"name\":\"m\",\"type\":\"MX\",\"records\":"
                  "[\"10 a.old.example.\",\"20 b.example.\"]}");
    add(&f->desired, "{\"name\":\"m\",\"type\":\"MX\",\"records\":"
                     "[\"30 c.example.\"]}");
    apply(f);
    assert_records(f, "m", "MX", "[\"30 c.example.\",\"20 b.example.\"]");
    assert_non_null(strstr(json_string_value(json_object_get(
        json_array_get(f->items.left, 0), "reason")),
        "outside the items of prune_scope[0]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_item_rules_copy_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_declared_absent_and_pruned,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_off_or_not_owned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_scope_items, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
