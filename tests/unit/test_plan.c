/* test_plan.c -- engine/plan.h on hand-made record sets: every action kind,
 * partial ownership (only declared fields compared), ignored and key fields
 * never compared, numbers by value, the exact changes JSON, prune,
 * ambiguous live keys failing alone, and per-field rules (write-only,
 * server-owned, set/caseless/number/declared compare, dotted ignore paths,
 * immutable fields making replaces).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "util/json_util.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *name_type[] = {"name", "type"};
static const tu_keyspec spec = {name_type, 2};

typedef struct fixture {
    tu_recordset desired, live;
    tu_plan plan;
    tu_plan_options opt;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    tu_recordset_init(&f->desired);
    tu_recordset_init(&f->live);
    f->opt.key = &spec;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_plan_free(&f->plan);
    tu_recordset_free(&f->desired);
    tu_recordset_free(&f->live);
    free(f);
    return 0;
}

static tu_record *add(tu_recordset *set, const char *text)
{
    json_error_t jerr;
    json_t *fields = json_loads(text, 0, &jerr);
    char *key, *label;
    const char *missing;
    tu_record *r;
    if (!fields)
        fail_msg("bad JSON <<%s>>: %s", text, jerr.text);
    assert_int_equal(tu_record_key(fields, &spec, &key, &label, &missing), 0);
    r = tu_recordset_add(set, fields, key, label, NULL);
    assert_non_null(r);
    return r;
}

static tu_record *add_absent(tu_recordset *set, const char *text)
{
    tu_record *r = add(set, text);
    r->absent = 1;
    return r;
}

/* Add a record with a key chosen by the test (as a provider that
 * normalises keys would make). */
static tu_record *add_keyed(tu_recordset *set, const char *text,
                            const char *key, const char *label)
{
    json_error_t jerr;
    json_t *fields = json_loads(text, 0, &jerr);
    tu_record *r;
    assert_non_null(fields);
    r = tu_recordset_add(set, fields, strdup(key), strdup(label), NULL);
    assert_non_null(r);
    return r;
}

static void build(fixture *f)
{
    tu_error err = {0};
    if (tu_plan_build(&f->plan, &f->desired, &f->live, &f->opt, &err) != 0)
        fail_msg("tu_plan_build failed: %s", err.message);
    assert_non_null(f->plan.actions);
}

static void assert_changes(const tu_action *a, const char *expected)
{
    char *got;
    if (!a->changes) { /* nothing changes: no object is made */
        assert_string_equal("{}", expected);
        return;
    }
    got = json_dumps(a->changes, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(got);
    assert_string_equal(got, expected);
    free(got);
}

/* No request-related fields on a fresh action. */
static void assert_fresh(const tu_action *a)
{
    assert_int_equal(a->http_status, 0);
    assert_int_equal(a->attempts, 0);
}

/* ---- the action kinds --------------------------------------------------- */

static void test_create(void **state)
{
    fixture *f = *state;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600}");
    build(f);
    assert_int_equal(f->plan.count, 1);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_CREATE);
    assert_int_equal(f->plan.actions[0].status, TU_STATUS_PLANNED);
    assert_ptr_equal(f->plan.actions[0].desired, &f->desired.items[0]);
    assert_null(f->plan.actions[0].live);
    assert_null(tu_action_error(&f->plan.actions[0]));
    assert_fresh(&f->plan.actions[0]);
    /* a create carries every declared field, "after" only */
    assert_changes(&f->plan.actions[0],
                   "{\"name\":{\"after\":\"a\"},\"ttl\":{\"after\":600},"
                   "\"type\":{\"after\":\"A\"}}");
    assert_string_equal(tu_action_label(&f->plan.actions[0]), "a|A");
}

static void test_update(void **state)
{
    fixture *f = *state;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600,"
                     "\"content\":\"1.2.3.4\"}");
    add(&f->live, "{\"id\":7,\"name\":\"a\",\"type\":\"A\",\"ttl\":300,"
                  "\"content\":\"1.2.3.4\"}");
    build(f);
    assert_int_equal(f->plan.count, 1);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_UPDATE);
    assert_ptr_equal(f->plan.actions[0].live, &f->live.items[0]);
    assert_changes(&f->plan.actions[0],
                   "{\"ttl\":{\"after\":600,\"before\":300}}");
    /* before/after keep their JSON types */
    assert_true(json_is_integer(json_object_get(
        json_object_get(f->plan.actions[0].changes, "ttl"), "before")));
}

static void test_update_several_and_nested(void **state)
{
    fixture *f = *state;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600,"
                     "\"tags\":[\"x\",\"y\"],\"meta\":{\"k\":1},"
                     "\"proxied\":true}");
    add(&f->live, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600.0,"
                  "\"tags\":[\"y\",\"x\"],\"meta\":{\"k\":1.0},"
                  "\"proxied\":\"true\"}");
    build(f);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_UPDATE);
    assert_changes(&f->plan.actions[0],
                   "{\"proxied\":{\"after\":true,\"before\":\"true\"},"
                   "\"tags\":{\"after\":[\"x\",\"y\"],"
                   "\"before\":[\"y\",\"x\"]}}");
}

static void test_missing_live_field(void **state)
{
    fixture *f = *state;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"comment\":\"hi\"}");
    add(&f->live, "{\"name\":\"a\",\"type\":\"A\"}");
    build(f);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_UPDATE);
    assert_changes(&f->plan.actions[0],
                   "{\"comment\":{\"after\":\"hi\",\"before\":null}}");
}

/* A declared `field: null` against a live record that omits the field is
 * already as desired: a missing field counts as null. */
static void test_null_against_missing(void **state)
{
    fixture *f = *state;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"comment\":null}");
    add(&f->live, "{\"name\":\"a\",\"type\":\"A\"}");
    build(f);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
}

static void test_delete_absent(void **state)
{
    fixture *f = *state;
    add_absent(&f->desired, "{\"name\":\"a\",\"type\":\"A\"}");
    add(&f->live, "{\"id\":1,\"name\":\"a\",\"type\":\"A\",\"ttl\":5}");
    build(f);
    assert_int_equal(f->plan.count, 1);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_DELETE);
    assert_int_equal(f->plan.actions[0].status, TU_STATUS_PLANNED);
    assert_ptr_equal(f->plan.actions[0].desired, &f->desired.items[0]);
    assert_ptr_equal(f->plan.actions[0].live, &f->live.items[0]);
    assert_null(f->plan.actions[0].changes);
    assert_null(tu_action_error(&f->plan.actions[0]));
}

static void test_skip_absent_missing(void **state)
{
    fixture *f = *state;
    add_absent(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":1}");
    add(&f->live, "{\"name\":\"b\",\"type\":\"A\"}");
    build(f);
    assert_int_equal(f->plan.count, 1);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
    assert_null(f->plan.actions[0].live);
    assert_null(f->plan.actions[0].changes);
}

static void test_skip_equal(void **state)
{
    fixture *f = *state;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600,"
                     "\"content\":\"x\"}");
    add(&f->live, "{\"content\":\"x\",\"ttl\":600,\"type\":\"A\","
                  "\"name\":\"a\"}");
    build(f);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
    assert_ptr_equal(f->plan.actions[0].live, &f->live.items[0]);
    assert_changes(&f->plan.actions[0], "{}");
}

static void test_numbers_by_value(void **state)
{
    fixture *f = *state;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600}");
    add(&f->live, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600.0}");
    add(&f->desired, "{\"name\":\"b\",\"type\":\"A\",\"ttl\":600}");
    add(&f->live, "{\"name\":\"b\",\"type\":\"A\",\"ttl\":\"600\"}");
    build(f);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_UPDATE);
    assert_changes(&f->plan.actions[1],
                   "{\"ttl\":{\"after\":600,\"before\":\"600\"}}");
}

static void test_partial_ownership(void **state)
{
    fixture *f = *state;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600}");
    add(&f->live, "{\"id\":\"zz\",\"name\":\"a\",\"type\":\"A\",\"ttl\":600,"
                  "\"comment\":\"set by hand\",\"modified_on\":\"today\"}");
    build(f);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
}

static void test_ignore(void **state)
{
    fixture *f = *state;
    const char *ignore[] = {"modified_on", "etag"};
    f->opt.ignore = ignore;
    f->opt.nignore = 2;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600,"
                     "\"modified_on\":\"yesterday\",\"etag\":\"x\"}");
    add(&f->live, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600,"
                  "\"modified_on\":\"today\"}");
    add(&f->desired, "{\"name\":\"b\",\"type\":\"A\",\"ttl\":1,"
                     "\"modified_on\":\"yesterday\"}");
    add(&f->live, "{\"name\":\"b\",\"type\":\"A\",\"ttl\":2,"
                  "\"modified_on\":\"today\"}");
    build(f);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_UPDATE);
    /* the ignored field is not among the changes */
    assert_changes(&f->plan.actions[1], "{\"ttl\":{\"after\":1,\"before\":2}}");
}

static void test_key_fields_not_compared(void **state)
{
    fixture *f = *state;
    /* A provider that matches names case-insensitively keys both as "k";
     * the key field differs in case but is never compared. */
    add_keyed(&f->desired, "{\"name\":\"WWW\",\"type\":\"A\",\"ttl\":1}",
              "k", "WWW|A");
    add_keyed(&f->live, "{\"name\":\"www\",\"type\":\"A\",\"ttl\":1}",
              "k", "www|A");
    build(f);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
    tu_plan_free(&f->plan);

    /* with no key fields declared to the plan, the same pair differs */
    {
        static const tu_keyspec nokey = {NULL, 0};
        f->opt.key = &nokey;
        build(f);
        assert_int_equal(f->plan.actions[0].kind, TU_ACTION_UPDATE);
        assert_changes(&f->plan.actions[0],
                       "{\"name\":{\"after\":\"WWW\",\"before\":\"www\"}}");
    }
}

/* ---- prune -------------------------------------------------------------- */

static void test_prune(void **state)
{
    fixture *f = *state;
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":1}");
    add_absent(&f->desired, "{\"name\":\"c\",\"type\":\"A\"}");
    add(&f->live, "{\"name\":\"x\",\"type\":\"A\"}");
    add(&f->live, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":1}");
    add(&f->live, "{\"name\":\"c\",\"type\":\"A\"}");
    add(&f->live, "{\"name\":\"y\",\"type\":\"MX\"}");

    /* prune off: only the desired records' actions */
    build(f);
    assert_int_equal(f->plan.count, 2);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_DELETE);
    assert_ptr_equal(f->plan.actions[1].live, &f->live.items[2]);
    tu_plan_free(&f->plan);

    /* prune on: plus a delete for each live record no desired one names,
     * in live order; c is deleted once (by its absent record) */
    f->opt.prune = 1;
    build(f);
    assert_int_equal(f->plan.count, 4);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_DELETE);
    assert_ptr_equal(f->plan.actions[1].desired, &f->desired.items[1]);
    assert_int_equal(f->plan.actions[2].kind, TU_ACTION_DELETE);
    assert_null(f->plan.actions[2].desired);
    assert_ptr_equal(f->plan.actions[2].live, &f->live.items[0]);
    assert_null(f->plan.actions[2].changes);
    assert_int_equal(f->plan.actions[2].status, TU_STATUS_PLANNED);
    assert_string_equal(tu_action_label(&f->plan.actions[2]), "x|A");
    assert_int_equal(f->plan.actions[3].kind, TU_ACTION_DELETE);
    assert_ptr_equal(f->plan.actions[3].live, &f->live.items[3]);
    assert_string_equal(tu_action_label(&f->plan.actions[3]), "y|MX");
}

static void test_prune_nothing_live(void **state)
{
    fixture *f = *state;
    f->opt.prune = 1;
    build(f);
    assert_int_equal(f->plan.count, 0);
    tu_plan_free(&f->plan);
    add(&f->live, "{\"name\":\"x\",\"type\":\"A\"}");
    build(f);
    assert_int_equal(f->plan.count, 1);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_DELETE);
}

/* ---- ambiguous live keys ------------------------------------------------ */

static void test_ambiguous(void **state)
{
    fixture *f = *state;
    const char *msg = "ambiguous: several live records have the key 'a|A'; "
                      "not touched (remove the duplicates on the server)";
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"ttl\":1}");
    add(&f->desired, "{\"name\":\"b\",\"type\":\"A\",\"ttl\":1}");
    add(&f->live, "{\"id\":1,\"name\":\"a\",\"type\":\"A\",\"ttl\":1}");
    add(&f->live, "{\"id\":2,\"name\":\"a\",\"type\":\"A\",\"ttl\":2}");
    add(&f->live, "{\"name\":\"b\",\"type\":\"A\",\"ttl\":2}");
    build(f);
    assert_int_equal(f->plan.count, 2);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_FAIL);
    assert_int_equal(f->plan.actions[0].status, TU_STATUS_FAILED);
    assert_non_null(tu_action_error(&f->plan.actions[0]));
    assert_string_equal(tu_action_error(&f->plan.actions[0]), msg);
    assert_null(f->plan.actions[0].changes);
    /* the other record is planned as usual */
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_UPDATE);
    assert_null(tu_action_error(&f->plan.actions[1]));
}

static void test_ambiguous_absent(void **state)
{
    fixture *f = *state;
    add_absent(&f->desired, "{\"name\":\"a\",\"type\":\"A\"}");
    add(&f->live, "{\"id\":1,\"name\":\"a\",\"type\":\"A\"}");
    add(&f->live, "{\"id\":2,\"name\":\"a\",\"type\":\"A\"}");
    build(f);
    assert_int_equal(f->plan.count, 1);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_FAIL);
    assert_string_equal(tu_action_error(&f->plan.actions[0]),
                        "ambiguous: several live records have the key 'a|A'; "
                        "not touched (remove the duplicates on the server)");
}

/* With prune, two unnamed live duplicates make one failed action for
 * their key, and neither is deleted. */
static void test_ambiguous_prune(void **state)
{
    fixture *f = *state;
    f->opt.prune = 1;
    add(&f->live, "{\"id\":1,\"name\":\"d\",\"type\":\"A\"}");
    add(&f->live, "{\"name\":\"e\",\"type\":\"A\"}");
    add(&f->live, "{\"id\":2,\"name\":\"d\",\"type\":\"A\"}");
    build(f);
    assert_int_equal(f->plan.count, 2);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_FAIL);
    assert_ptr_equal(f->plan.actions[0].live, &f->live.items[0]);
    assert_string_equal(tu_action_error(&f->plan.actions[0]),
                        "ambiguous: several live records have the key 'd|A'; "
                        "not touched (remove the duplicates on the server)");
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_DELETE);
    assert_ptr_equal(f->plan.actions[1].live, &f->live.items[1]);
    assert_null(tu_action_error(&f->plan.actions[1]));
}

/* ---- protected records ------------------------------------------------- */

static int protect_soa(const void *data, const tu_record *r)
{
    const char *type = json_string_value(json_object_get(tu_record_fields(r), "type"));
    (void)data;
    return type && strcmp(type, "SOA") == 0;
}

/* A record the provider protects is never pruned, and a declared change
 * to it fails unless change_protected is set. */
static void test_protected(void **state)
{
    fixture *f = *state;
    f->opt.prune = 1;
    f->opt.protect = protect_soa;
    add(&f->desired, "{\"name\":\"z\",\"type\":\"SOA\",\"ttl\":5}");
    add(&f->live, "{\"name\":\"z\",\"type\":\"SOA\",\"ttl\":9}");
    add(&f->live, "{\"name\":\"y\",\"type\":\"SOA\",\"ttl\":9}");
    add(&f->live, "{\"name\":\"x\",\"type\":\"A\"}");
    build(f);
    assert_int_equal(f->plan.count, 3);
    assert_int_equal(f->plan.actions[0].status, TU_STATUS_FAILED);
    assert_string_equal(tu_action_refused(&f->plan.actions[0]), "protected");
    assert_string_equal(tu_action_error(&f->plan.actions[0]),
                        "protected: 'z|SOA' is a record the provider "
                        "protects; a declared change to it is made only when "
                        "changing protected records is allowed "
                        "(options.change_protected)");
    /* y|SOA is left alone, and listed as such */
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_SKIP);
    assert_ptr_equal(f->plan.actions[1].live, &f->live.items[1]);
    assert_string_equal(tu_action_left_alone(&f->plan.actions[1]),
                        "protected by the provider");
    assert_int_equal(f->plan.actions[2].kind, TU_ACTION_DELETE);
    assert_ptr_equal(f->plan.actions[2].live, &f->live.items[2]);
}

/* change_protected makes the declared change, and still never prunes nor
 * deletes a protected record. */
static void test_change_protected(void **state)
{
    fixture *f = *state;
    f->opt.prune = 1;
    f->opt.change_protected = 1;
    f->opt.protect = protect_soa;
    add(&f->desired, "{\"name\":\"z\",\"type\":\"SOA\",\"ttl\":5}");
    add_absent(&f->desired, "{\"name\":\"w\",\"type\":\"SOA\"}");
    add(&f->live, "{\"name\":\"z\",\"type\":\"SOA\",\"ttl\":9}");
    add(&f->live, "{\"name\":\"y\",\"type\":\"SOA\",\"ttl\":9}");
    add(&f->live, "{\"name\":\"w\",\"type\":\"SOA\",\"ttl\":9}");
    build(f);
    assert_int_equal(f->plan.count, 3);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_UPDATE);
    assert_null(tu_action_error(&f->plan.actions[0]));
    assert_int_equal(f->plan.actions[1].status, TU_STATUS_FAILED);
    assert_string_equal(tu_action_error(&f->plan.actions[1]),
                        "protected: 'w|SOA' is a record the provider "
                        "protects; it is never deleted");
    assert_int_equal(f->plan.actions[2].kind, TU_ACTION_SKIP);
    assert_non_null(tu_action_left_alone(&f->plan.actions[2]));
}

/* ---- protect rules, prune scope, ownership marks ------------------------ */

static void load_rules(tu_rules *rules, const char *list, const char *text)
{
    json_error_t jerr;
    json_t *items = json_loads(text, 0, &jerr);
    tu_srcpos pos = {"f.yaml", 3, 1};
    tu_error err = {{0}, TU_OK};
    size_t i;
    json_t *item;
    assert_non_null(items);
    tu_rules_init(rules);
    json_array_foreach(items, i, item) {
        if (tu_rules_add_item(rules, list, item, pos, i, NULL, &err) != 0)
            fail_msg("rule %zu: %s", i, err.message);
    }
    json_decref(items);
}

/* A protect rule keeps unnamed records from prune (listed with the rule),
 * keeps bulk rules off them, and lets declared records change. */
static void test_protect_rules(void **state)
{
    fixture *f = *state;
    tu_rules rules;
    tu_record *bulk;
    load_rules(&rules, "protect", "[{\"match\":{\"name\":\"guest\"}},"
               "{\"match\":{\"name\":\"adm-*\",\"type\":[\"A\",\"B\"]}}]");
    f->opt.prune = 1;
    f->opt.protect_rules = &rules;
    add(&f->desired, "{\"name\":\"guest\",\"type\":\"U\",\"tags\":1}");
    bulk = add(&f->desired, "{\"name\":\"adm-1\",\"type\":\"B\",\"x\":2}");
    bulk->derived = 1;
    add(&f->live, "{\"name\":\"guest\",\"type\":\"U\",\"tags\":0}");
    add(&f->live, "{\"name\":\"adm-1\",\"type\":\"B\",\"x\":1}");
    add(&f->live, "{\"name\":\"adm-2\",\"type\":\"A\"}");
    add(&f->live, "{\"name\":\"adm-3\",\"type\":\"C\"}");
    add(&f->live, "{\"name\":\"guest\",\"type\":\"V\"}");
    build(f);
    assert_int_equal(f->plan.count, 5);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_UPDATE);
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_SKIP);
    assert_null(f->plan.actions[1].changes);
    assert_string_equal(tu_action_left_alone(&f->plan.actions[1]),
                        "protected by protect[1] (f.yaml:3)");
    assert_string_equal(tu_action_label(&f->plan.actions[2]), "adm-2|A");
    assert_string_equal(tu_action_left_alone(&f->plan.actions[2]),
                        "protected by protect[1] (f.yaml:3)");
    /* adm-3|C: the list [A, B] does not select type C */
    assert_int_equal(f->plan.actions[3].kind, TU_ACTION_DELETE);
    assert_string_equal(tu_action_label(&f->plan.actions[3]), "adm-3|C");
    assert_string_equal(tu_action_left_alone(&f->plan.actions[4]),
                        "protected by protect[0] (f.yaml:3)");
    tu_rules_free(&rules);
}

/* A match key with dots is a path into a field's value (a step over a
 * list is an index); a key that is itself a field wins. */
static void test_rule_paths(void **state)
{
    fixture *f = *state;
    tu_rules rules;
    load_rules(&rules, "protect", "[{\"match\":{\"meta.team\":\"dns\"}},"
               "{\"match\":{\"tags.0\":\"keep\"}}]");
    f->opt.prune = 1;
    f->opt.protect_rules = &rules;
    add(&f->live, "{\"name\":\"a\",\"type\":\"A\",\"meta\":"
                  "{\"team\":\"dns\"}}");
    add(&f->live, "{\"name\":\"b\",\"type\":\"A\",\"meta\":"
                  "{\"team\":\"web\"}}");
    add(&f->live, "{\"name\":\"c\",\"type\":\"A\",\"tags\":"
                  "[\"keep\",\"x\"]}");
    add(&f->live, "{\"name\":\"d\",\"type\":\"A\",\"meta.team\":"
                  "\"dns\",\"meta\":{\"team\":\"web\"}}");
    build(f);
    assert_int_equal(f->plan.count, 4);
    assert_string_equal(tu_action_left_alone(&f->plan.actions[0]),
                        "protected by protect[0] (f.yaml:3)");
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_DELETE);
    assert_string_equal(tu_action_left_alone(&f->plan.actions[2]),
                        "protected by protect[1] (f.yaml:3)");
    assert_string_equal(tu_action_left_alone(&f->plan.actions[3]),
                        "protected by protect[0] (f.yaml:3)");
    tu_rules_free(&rules);
}

/* Outside prune_scope, unnamed records are counted, not deleted. */
static void test_prune_scope(void **state)
{
    fixture *f = *state;
    tu_rules scope;
    load_rules(&scope, "prune_scope", "[{\"match\":{\"name\":\"q.*\"}}]");
    f->opt.prune = 1;
    f->opt.prune_scope = &scope;
    add(&f->desired, "{\"name\":\"keep\",\"type\":\"Q\"}");
    add(&f->live, "{\"name\":\"q.old\",\"type\":\"Q\"}");
    add(&f->live, "{\"name\":\"other\",\"type\":\"Q\"}");
    add(&f->live, "{\"name\":\"other2\",\"type\":\"Q\"}");
    add(&f->live, "{\"name\":\"keep\",\"type\":\"Q\"}");
    build(f);
    assert_int_equal(f->plan.count, 2);
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_DELETE);
    assert_string_equal(tu_action_label(&f->plan.actions[1]), "q.old|Q");
    assert_int_equal(f->plan.out_of_scope, 2);
    assert_int_equal(f->plan.not_owned, 0);
    tu_rules_free(&scope);
}

/* With an owner, prune deletes only records marked as its own; a record
 * of another owner is changed only with takeover; an unmarked declared
 * record is adopted (its mark is an update). */
static void test_ownership(void **state)
{
    fixture *f = *state;
    tu_record *bulk;
    f->opt.prune = 1;
    f->opt.owner = "me";
    f->opt.owner_field = "owner";
    add(&f->desired, "{\"name\":\"adopt\",\"type\":\"A\",\"owner\":\"me\"}");
    add(&f->desired, "{\"name\":\"theirs\",\"type\":\"A\",\"owner\":\"me\"}");
    add(&f->desired, "{\"name\":\"taken\",\"type\":\"A\",\"owner\":\"me\"}")
        ->takeover = 1;
    bulk = add(&f->desired, "{\"name\":\"bulk\",\"type\":\"A\",\"ttl\":5}");
    bulk->derived = 1;
    add(&f->live, "{\"name\":\"adopt\",\"type\":\"A\"}");
    add(&f->live, "{\"name\":\"theirs\",\"type\":\"A\",\"owner\":\"you\"}");
    add(&f->live, "{\"name\":\"taken\",\"type\":\"A\",\"owner\":\"you\"}");
    add(&f->live, "{\"name\":\"bulk\",\"type\":\"A\",\"owner\":\"you\"}");
    add(&f->live, "{\"name\":\"mine\",\"type\":\"A\",\"owner\":\"me\"}");
    add(&f->live, "{\"name\":\"yours\",\"type\":\"A\",\"owner\":\"you\"}");
    add(&f->live, "{\"name\":\"nobody\",\"type\":\"A\"}");
    build(f);
    assert_int_equal(f->plan.count, 5);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_UPDATE);
    assert_changes(&f->plan.actions[0],
                   "{\"owner\":{\"after\":\"me\",\"before\":null}}");
    assert_int_equal(f->plan.actions[1].status, TU_STATUS_FAILED);
    assert_string_equal(tu_action_refused(&f->plan.actions[1]), "owned");
    assert_string_equal(tu_action_error(&f->plan.actions[1]),
                        "owned: 'theirs|A' carries the ownership mark of "
                        "'you'; it is changed only when its record says "
                        "takeover: true");
    assert_int_equal(f->plan.actions[2].kind, TU_ACTION_UPDATE);
    assert_null(tu_action_error(&f->plan.actions[2]));
    assert_int_equal(f->plan.actions[3].kind, TU_ACTION_SKIP);
    assert_string_equal(tu_action_left_alone(&f->plan.actions[3]),
                        "owned by 'you' (its mark)");
    assert_int_equal(f->plan.actions[4].kind, TU_ACTION_DELETE);
    assert_string_equal(tu_action_label(&f->plan.actions[4]), "mine|A");
    assert_int_equal(f->plan.not_owned, 2);
}

/* ---- counts and helpers ------------------------------------------------- */

static void test_counts(void **state)
{
    fixture *f = *state;
    size_t n[5] = {0};
    /* create, update, skip, delete, skip, fail */
    add(&f->desired, "{\"name\":\"new\",\"type\":\"A\"}");
    add(&f->desired, "{\"name\":\"chg\",\"type\":\"A\",\"ttl\":2}");
    add(&f->desired, "{\"name\":\"same\",\"type\":\"A\",\"ttl\":1}");
    add_absent(&f->desired, "{\"name\":\"del\",\"type\":\"A\"}");
    add_absent(&f->desired, "{\"name\":\"gone\",\"type\":\"A\"}");
    add(&f->desired, "{\"name\":\"dup\",\"type\":\"A\"}");
    add(&f->live, "{\"name\":\"chg\",\"type\":\"A\",\"ttl\":1}");
    add(&f->live, "{\"name\":\"same\",\"type\":\"A\",\"ttl\":1}");
    add(&f->live, "{\"name\":\"del\",\"type\":\"A\"}");
    add(&f->live, "{\"name\":\"dup\",\"type\":\"A\"}");
    add(&f->live, "{\"name\":\"dup\",\"type\":\"A\"}");
    add(&f->live, "{\"name\":\"extra\",\"type\":\"A\"}");
    f->opt.prune = 1;   /* extra: a second delete */
    build(f);
    assert_int_equal(f->plan.count, 7);
    for (size_t i = 0; i < f->plan.count; i++)
        n[f->plan.actions[i].kind]++;
    assert_int_equal(n[TU_ACTION_CREATE], 1);
    assert_int_equal(n[TU_ACTION_UPDATE], 1);
    assert_int_equal(n[TU_ACTION_SKIP], 2);
    assert_int_equal(n[TU_ACTION_DELETE], 2);
    assert_int_equal(n[TU_ACTION_FAIL], 1);
    for (size_t i = 0; i < f->plan.count; i++)
        assert_fresh(&f->plan.actions[i]);
}

static void test_empty(void **state)
{
    fixture *f = *state;
    build(f);
    assert_int_equal(f->plan.count, 0);
    tu_plan_free(&f->plan);
    assert_null(f->plan.actions);
    assert_int_equal(f->plan.count, 0);
    tu_plan_free(&f->plan);   /* twice is harmless */
}

static void test_helpers(void **state)
{
    tu_action a;
    (void)state;
    assert_string_equal(tu_action_kind_name(TU_ACTION_SKIP), "skip");
    assert_string_equal(tu_action_kind_name(TU_ACTION_CREATE), "create");
    assert_string_equal(tu_action_kind_name(TU_ACTION_UPDATE), "update");
    assert_string_equal(tu_action_kind_name(TU_ACTION_DELETE), "delete");
    assert_string_equal(tu_action_kind_name(TU_ACTION_FAIL), "fail");

    memset(&a, 0, sizeof a);
    a.kind = TU_ACTION_UPDATE;
    tu_action_fail(&a, "HTTP 422: bad ttl");
    assert_int_equal(a.status, TU_STATUS_FAILED);
    assert_int_equal(a.kind, TU_ACTION_UPDATE);   /* the kind is kept */
    assert_string_equal(tu_action_error(&a), "HTTP 422: bad ttl");
    tu_action_fail(&a, NULL);                      /* replaces the message */
    assert_string_equal(tu_action_error(&a), "failed");
    tu_action_clear_text(&a);
}

/* An action's texts are apart and made when the first is said: clearing
 * one that was never said makes nothing; each is replaced and freed. */
static void test_action_texts(void **state)
{
    tu_action a;
    (void)state;
    memset(&a, 0, sizeof a);
    assert_int_equal(tu_action_set_note(&a, NULL), 0);
    assert_null(a.text);
    assert_null(tu_action_error(&a));
    assert_null(tu_action_new_id(&a));
    assert_int_equal(tu_action_take_new_id(&a, strdup("42")), 0);
    assert_non_null(a.text);
    assert_string_equal(tu_action_new_id(&a), "42");
    assert_int_equal(tu_action_set_note(&a, "one"), 0);
    assert_int_equal(tu_action_set_note(&a, "two"), 0);
    assert_string_equal(tu_action_note(&a), "two");
    assert_int_equal(tu_action_set_left_alone(&a, "protected"), 0);
    assert_int_equal(tu_action_set_refused(&a, "owned"), 0);
    assert_string_equal(tu_action_left_alone(&a), "protected");
    assert_string_equal(tu_action_refused(&a), "owned");
    assert_int_equal(tu_action_take_new_id(&a, NULL), 0);
    assert_null(tu_action_new_id(&a));
    tu_action_clear_text(&a);
    assert_null(a.text);
    assert_null(tu_action_note(&a));
    assert_true(sizeof(tu_action) <= 48 || sizeof(void *) != 8);
}

/* ---- the compact form of packed records' changes ------------------------ */

/* Add a record kept packed, as loaded files and read lists are. */
static void add_packed(tu_recordset *set, const char *text)
{
    json_t *fields = json_loads(text, 0, NULL);
    char *key, *label;
    const char *missing;

    assert_non_null(fields);
    assert_int_equal(tu_record_key(fields, &spec, &key, &label, &missing), 0);
    assert_non_null(tu_recordset_add_packed(set, fields, NULL, key, label,
                                            NULL));
    free(key);
    free(label);
    json_decref(fields);
}

static char *changes_text(const tu_action *a)
{
    tu_buffer b = TU_BUFFER_INIT;
    assert_int_equal(tu_action_changes_dumpb(a, &b), 0);
    return tu_buffer_take(&b);
}

/* The same desired and live records, once as jansson values and once
 * packed: both plans' changes are the same JSON, in the same order, as
 * text and as values; `compact` says whether the packed plan kept them
 * in the compact form. */
static void same_changes(const char *desired, const char *live, int compact)
{
    fixture *j = NULL, *p = NULL;
    tu_buffer want = TU_BUFFER_INIT;
    json_t *value;
    char *got, *dumped, *want_dumped;
    const char *names[32];

    setup((void **)&j);
    setup((void **)&p);
    add(&j->desired, desired);
    add_packed(&p->desired, desired);
    if (live) {
        add(&j->live, live);
        add_packed(&p->live, live);
    }
    build(j);
    build(p);
    assert_int_equal(p->plan.actions[0].kind, j->plan.actions[0].kind);
    assert_int_equal(!!p->plan.actions[0].clist, compact);
    assert_int_equal(tu_json_dumpb(j->plan.actions[0].changes, JSON_COMPACT,
                                   &want), 0);
    got = changes_text(&p->plan.actions[0]);
    assert_string_equal(got, want.data);
    assert_int_equal(tu_action_changes_json(&p->plan.actions[0], &value), 0);
    dumped = json_dumps(value, JSON_COMPACT);
    want_dumped = json_dumps(j->plan.actions[0].changes, JSON_COMPACT);
    assert_non_null(dumped);
    assert_non_null(want_dumped);
    assert_string_equal(dumped, want_dumped);
    assert_true(json_equal(value, j->plan.actions[0].changes));
    free(want_dumped);
    assert_int_equal(tu_action_changed_fields(&p->plan.actions[0], names, 32),
                     json_object_size(j->plan.actions[0].changes));
    free(dumped);
    json_decref(value);
    free(got);
    tu_buffer_free(&want);
    teardown((void **)&j);
    teardown((void **)&p);
}

static void test_compact_changes(void **state)
{
    (void)state;
    /* every kind of value, a field the live record lacks (before: null),
     * a declared null against an absent field (no change), text that
     * needs escapes, and a number equal by value (no change) */
    same_changes("{\"name\":\"a\",\"type\":\"A\",\"ttl\":600,"
                 "\"content\":\"q\\\"b\\\\s\\n\\u00fc\\u20ac\","
                 "\"on\":true,\"w\":1.5,\"n\":null,\"same\":2,"
                 "\"tags\":[\"p\",\"q\"],\"meta\":{\"k\":\"v\"},"
                 "\"extra\":-7}",
                 "{\"name\":\"a\",\"type\":\"A\",\"ttl\":300,"
                 "\"content\":\"old\",\"on\":false,\"w\":2.25,"
                 "\"same\":2.0,\"tags\":[\"p\"],"
                 "\"meta\":{\"k\":\"w\"}}", 1);
    /* a create: every declared field, "after" only */
    same_changes("{\"name\":\"b\",\"type\":\"A\",\"ttl\":60,"
                 "\"x\":false}", NULL, 1);
    /* more changed fields than the compact form holds: the jansson form */
    same_changes("{\"name\":\"c\",\"type\":\"A\",\"f1\":1,\"f2\":2,"
                 "\"f3\":3,\"f4\":4,\"f5\":5,\"f6\":6,\"f7\":7,\"f8\":8,"
                 "\"f9\":9,\"f10\":10,\"f11\":11,\"f12\":12,\"f13\":13,"
                 "\"f14\":14,\"f15\":15,\"f16\":16,\"f17\":17}",
                 "{\"name\":\"c\",\"type\":\"A\"}", 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* ---- per-field rules (target.fields) ------------------------------------ */

/* Rules parsed from JSON text, kept alive with the fixture's test. */
static tu_field_rules *rules_of(fixture *f, const char *text)
{
    static json_t *held;
    static tu_field_rules rules;
    tu_error err = {0};
    json_decref(held);
    tu_field_rules_free(&rules);
    held = json_loads(text, 0, NULL);
    assert_non_null(held);
    if (tu_field_rules_parse(&rules, held, &spec, NULL, &err) != 0)
        fail_msg("rules: %s", err.message);
    f->opt.rules = &rules;
    return &rules;
}

static void test_rules_write_only(void **state)
{
    fixture *f = *state;
    rules_of(f, "{\"pw\":\"write_only\",\"key\":{\"write_only\":true,"
                "\"update\":\"always\"}}");
    add(&f->desired, "{\"name\":\"new\",\"type\":\"A\",\"pw\":\"s1\"}");
    add(&f->desired, "{\"name\":\"old\",\"type\":\"A\",\"pw\":\"s2\"}");
    add(&f->desired, "{\"name\":\"rot\",\"type\":\"A\",\"key\":\"k\"}");
    add(&f->live, "{\"name\":\"old\",\"type\":\"A\",\"pw\":\"other\"}");
    add(&f->live, "{\"name\":\"rot\",\"type\":\"A\",\"key\":\"k\"}");
    build(f);
    /* sent (hidden) on create; never compared; `always`: every update */
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_CREATE);
    assert_changes(&f->plan.actions[0], "{\"name\":{\"after\":\"new\"},"
                   "\"pw\":{\"after\":\"***\"},\"type\":{\"after\":\"A\"}}");
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_SKIP);
    assert_int_equal(f->plan.actions[2].kind, TU_ACTION_UPDATE);
    assert_changes(&f->plan.actions[2], "{\"key\":{\"after\":\"***\"}}");
}

static void test_rules_server_owned_and_compare(void **state)
{
    fixture *f = *state;
    rules_of(f, "{\"url\":\"read_only\",\"tags\":{\"compare\":\"set\","
                "\"split\":\",\"},\"h\":{\"compare\":\"caseless\"}}");
    add(&f->desired, "{\"name\":\"a\",\"type\":\"A\",\"url\":\"x\","
                     "\"tags\":\"b,a\",\"h\":\"WWW\"}");
    add(&f->desired, "{\"name\":\"n\",\"type\":\"A\",\"url\":\"x\"}");
    add(&f->live, "{\"name\":\"a\",\"type\":\"A\",\"url\":\"y\","
                  "\"tags\":[\"a\",\"b\"],\"h\":\"www\"}");
    build(f);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
    /* a create does not list (nor send) what the server owns */
    assert_changes(&f->plan.actions[1], "{\"name\":{\"after\":\"n\"},"
                   "\"type\":{\"after\":\"A\"}}");
}

static void test_rules_immutable_replace(void **state)
{
    fixture *f = *state;
    tu_action *a;
    rules_of(f, "{\"args\":\"immutable\"}");
    add(&f->desired, "{\"name\":\"q\",\"type\":\"A\",\"args\":{\"m\":2},"
                     "\"c\":1}");
    add(&f->desired, "{\"name\":\"u\",\"type\":\"A\",\"args\":{\"m\":1},"
                     "\"c\":2}");
    add(&f->live, "{\"name\":\"q\",\"type\":\"A\",\"args\":{\"m\":1},"
                  "\"c\":2}");
    add(&f->live, "{\"name\":\"u\",\"type\":\"A\",\"args\":{\"m\":1},"
                  "\"c\":1}");
    build(f);
    a = &f->plan.actions[0];
    assert_int_equal(a->kind, TU_ACTION_REPLACE);
    assert_string_equal(tu_action_kind_name(a->kind), "replace");
    assert_changes(a, "{\"args\":{\"after\":{\"m\":2},\"before\":{\"m\":1}},"
                   "\"c\":{\"after\":1,\"before\":2}}");
    assert_non_null(strstr(tu_action_note(a), "'args' cannot change in place"));
    /* the requests a replace needs: delete, then create */
    assert_int_equal(tu_action_request(a), TU_ACTION_DELETE);
    a->deleted = 1;
    assert_int_equal(tu_action_request(a), TU_ACTION_CREATE);
    /* an update of a mutable field stays an update */
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_UPDATE);
    assert_int_equal(tu_action_request(&f->plan.actions[1]),
                     TU_ACTION_UPDATE);
    rules_of(f, "{}");
}

/* compare: number and declared, and a dotted ignore path, on records kept
 * as jansson values and on packed ones (whose fast path compares plain
 * fields without jansson: a field with a rule, or a path inside it, is
 * never plain). */
static void rules_compare(fixture *f, int packed)
{
    static const char *const desired[] = {
        "{\"name\":\"a\",\"type\":\"A\",\"ttl\":600}",
        "{\"name\":\"b\",\"type\":\"A\",\"ttl\":600}",
        ("{\"name\":\"t\",\"type\":\"T\",\"threshold\":{\"op\":\">\","
         "\"value\":10},\"query\":{\"time_range\":600,\"limit\":5},"
         "\"recipients\":[{\"type\":\"email\"}]}"),
        ("{\"name\":\"u\",\"type\":\"T\",\"query\":{\"time_range\":600,"
         "\"limit\":5}}")};
    static const char *const live[] = {
        "{\"name\":\"a\",\"type\":\"A\",\"ttl\":\"600\"}",
        "{\"name\":\"b\",\"type\":\"A\",\"ttl\":\"3600\"}",
        ("{\"name\":\"t\",\"type\":\"T\",\"threshold\":{\"op\":\">\","
         "\"value\":\"10\",\"exceeded_limit\":1},\"query\":{\"time_range\":"
         "7200,\"limit\":5},\"recipients\":[{\"id\":\"r\",\"type\":"
         "\"email\"}]}"),
        ("{\"name\":\"u\",\"type\":\"T\",\"query\":{\"time_range\":600,"
         "\"limit\":6}}")};
    const char *ignore[] = {"query.time_range", "recipients.id"};
    tu_field_rules *rules = rules_of(f, "{\"ttl\":{\"compare\":\"number\"},"
                                        "\"threshold\":{\"compare\":"
                                        "[\"declared\",\"number\"]}}");
    tu_srcpos nowhere = {NULL, 0, 0};
    tu_error err = {0};
    char *text;

    assert_int_equal(tu_field_rules_ignore(rules, ignore, 2, &spec,
                                           "ignore", nowhere, &err), 0);
    for (size_t i = 0; i < 4; i++) {
        if (packed) {
            add_packed(&f->desired, desired[i]);
            add_packed(&f->live, live[i]);
        } else {
            add(&f->desired, desired[i]);
            add(&f->live, live[i]);
        }
    }
    build(f);
    assert_int_equal(f->plan.actions[0].kind, TU_ACTION_SKIP);
    assert_int_equal(f->plan.actions[1].kind, TU_ACTION_UPDATE);
    assert_int_equal(f->plan.actions[2].kind, TU_ACTION_SKIP);
    assert_int_equal(f->plan.actions[3].kind, TU_ACTION_UPDATE);
    text = changes_text(&f->plan.actions[1]);
    assert_string_equal(text,
                        "{\"ttl\":{\"before\":\"3600\",\"after\":600}}");
    free(text);
    rules_of(f, "{}");
}

static void test_rules_number_declared_paths(void **state)
{
    rules_compare(*state, 0);
}

static void test_rules_number_declared_paths_packed(void **state)
{
    rules_compare(*state, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_create),
        T(test_update),
        T(test_update_several_and_nested),
        T(test_missing_live_field),
        T(test_null_against_missing),
        T(test_delete_absent),
        T(test_skip_absent_missing),
        T(test_skip_equal),
        T(test_numbers_by_value),
        T(test_partial_ownership),
        T(test_ignore),
        T(test_key_fields_not_compared),
        T(test_prune),
        T(test_protected),
        T(test_change_protected),
        T(test_protect_rules),
        T(test_rule_paths),
        T(test_prune_scope),
        T(test_ownership),
        T(test_prune_nothing_live),
        T(test_ambiguous),
        T(test_ambiguous_absent),
        T(test_ambiguous_prune),
        T(test_counts),
        T(test_empty),
        T(test_rules_write_only),
        T(test_rules_server_owned_and_compare),
        T(test_rules_immutable_replace),
        T(test_rules_number_declared_paths),
        T(test_rules_number_declared_paths_packed),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_action_texts),
        cmocka_unit_test(test_compact_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
