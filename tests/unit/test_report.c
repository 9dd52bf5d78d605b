/* test_report.c -- engine/report.h and the public report accessors: counts
 * from hand-made plans in plan and apply mode, `changed`, the JSON (results
 * without skips; http_status and attempts only when a request was made;
 * changes and errors), tu_report_counts/changed/json/summary/free, and
 * the text tu_report_dumps and tu_report_dumpf write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/report.h"

/* ---- helpers ------------------------------------------------------------ */

#define MAXA 8

typedef struct fixture {
    tu_record rec[MAXA];
    char keys[MAXA][128];  /* each record's key: its label, one string */
    tu_action act[MAXA];
    tu_plan plan;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->plan.actions = f->act;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < f->plan.count; i++) {
        json_decref(f->act[i].changes);
        tu_action_clear_text(&f->act[i]);
        tu_record_clear(&f->rec[i]);
    }
    free(f);
    return 0;
}

/* Append an action about a record labelled `label`. `changes` is JSON or
 * NULL; a prune delete (desired NULL) when `prune` is set. */
static tu_action *act(fixture *f, tu_action_kind kind, tu_action_status st,
                      const char *label, const char *changes, int prune)
{
    size_t i = f->plan.count++;
    tu_action *a = &f->act[i];
    assert_true(i < MAXA);
    snprintf(f->keys[i], sizeof f->keys[i], "s%zu:%s", strlen(label), label);
    f->rec[i].key = f->keys[i];
    a->kind = kind;
    a->status = st;
    if (prune)
        a->live = &f->rec[i];
    else
        a->desired = &f->rec[i];
    if (changes) {
        json_error_t jerr;
        a->changes = json_loads(changes, 0, &jerr);
        assert_non_null(a->changes);
    }
    return a;
}

static void sent(tu_action *a, long http_status, unsigned attempts,
                 const char *error)
{
    a->http_status = http_status;
    a->attempts = attempts;
    if (error)
        assert_int_equal(tu_action_set_error(a, error), 0);
}

static void assert_json(const json_t *value, const char *expected)
{
    char *got = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    assert_non_null(got);
    assert_string_equal(got, expected);
    free(got);
}

static tu_report *build(fixture *f, tu_mode mode)
{
    tu_report_facts facts = {.mode = mode, .requests = 12,
                             .write_requests = 5, .retries = 2,
                             .concurrency = 16, .concurrency_min = 4,
                             .concurrency_end = 8, .elapsed_ms = 1234,
                             .connections = 3, .by_version = {0, 1, 11, 0}};
    tu_report *rep = tu_report_build(&f->plan, &facts, NULL);
    assert_non_null(rep);
    return rep;
}

static const char *const ambiguous =
    "ambiguous: several live records have the key 'dup|A'; not touched "
    "(remove the duplicates on the server)";

/* ---- plan mode ---------------------------------------------------------- */

static void test_plan_mode(void **state)
{
    const json_t *json;
    fixture *f = *state;
    tu_report *rep;
    tu_counts c;
    tu_action *a;

    act(f, TU_ACTION_CREATE, TU_STATUS_PLANNED, "new|A",
        "{\"name\":{\"after\":\"new\"},\"ttl\":{\"after\":600}}", 0);
    act(f, TU_ACTION_UPDATE, TU_STATUS_PLANNED, "chg|A",
        "{\"ttl\":{\"before\":300,\"after\":600}}", 0);
    act(f, TU_ACTION_SKIP, TU_STATUS_PLANNED, "same|A", "{}", 0);
    act(f, TU_ACTION_DELETE, TU_STATUS_PLANNED, "del|A", NULL, 0);
    act(f, TU_ACTION_DELETE, TU_STATUS_PLANNED, "extra|MX", NULL, 1);
    act(f, TU_ACTION_SKIP, TU_STATUS_PLANNED, "gone|A", NULL, 0);
    a = act(f, TU_ACTION_FAIL, TU_STATUS_FAILED, "dup|A", NULL, 0);
    assert_int_equal(tu_action_set_error(a, ambiguous), 0);

    rep = build(f, TU_MODE_PLAN);
    memset(&c, 0xff, sizeof c);
    tu_report_counts(rep, &c);
    assert_int_equal(c.total, 7);
    assert_int_equal(c.succeeded, 0);   /* nothing was sent */
    assert_int_equal(c.skipped, 2);
    assert_int_equal(c.failed, 1);
    assert_int_equal(c.created, 1);
    assert_int_equal(c.updated, 1);
    assert_int_equal(c.deleted, 2);
    assert_int_equal(c.requests, 12);
    assert_int_equal(tu_report_changed(rep), 1);
    json = tu_report_json(rep);
    assert_non_null(json);
    assert_ptr_equal(tu_report_json(rep), json);  /* made once */
    assert_json(json,
        "{\"cancelled\":false,\"changed\":true,\"concurrency\":16,\"concurrency_end\":8,\"concurrency_min\":4,\"connections\":3,\"created\":1,\"deleted\":2,"
        "\"elapsed_ms\":1234,\"failed\":1,\"left_alone\":[],\"mode\":\"plan\",\"not_owned\":0,\"out_of_scope\":0,\"protocols\":{\"HTTP/1.1\":1,\"HTTP/2\":11},\"replaced\":0,\"requests\":12,"
        "\"results\":["
        "{\"action\":\"create\",\"changes\":{\"name\":{\"after\":\"new\"},"
        "\"ttl\":{\"after\":600}},\"key\":\"new|A\",\"status\":\"planned\"},"
        "{\"action\":\"update\",\"changes\":{\"ttl\":{\"after\":600,"
        "\"before\":300}},\"key\":\"chg|A\",\"status\":\"planned\"},"
        "{\"action\":\"delete\",\"key\":\"del|A\",\"status\":\"planned\"},"
        "{\"action\":\"delete\",\"key\":\"extra|MX\",\"status\":\"planned\"},"
        "{\"action\":\"none\",\"error\":\"ambiguous: several live records "
        "have the key 'dup|A'; not touched (remove the duplicates on the "
        "server)\",\"key\":\"dup|A\",\"status\":\"failed\"}],"
        "\"retries\":2,\"schema_version\":1,\"skipped\":2,"
        "\"succeeded\":0,\"threshold_exceeded\":false,\"total\":7,"
        "\"updated\":1,\"warnings\":[],\"write_requests\":5}");
    tu_report_free(rep);
}

static void test_plan_mode_nothing_to_do(void **state)
{
    fixture *f = *state;
    tu_report *rep;
    tu_counts c;
    act(f, TU_ACTION_SKIP, TU_STATUS_PLANNED, "a|A", "{}", 0);
    act(f, TU_ACTION_SKIP, TU_STATUS_PLANNED, "b|A", NULL, 0);
    rep = build(f, TU_MODE_PLAN);
    tu_report_counts(rep, &c);
    assert_int_equal(c.total, 2);
    assert_int_equal(c.skipped, 2);
    assert_int_equal(c.failed + c.created + c.updated + c.deleted, 0);
    assert_int_equal(tu_report_changed(rep), 0);
    assert_json(json_object_get(tu_report_json(rep), "results"), "[]");
    assert_true(json_is_false(json_object_get(tu_report_json(rep),
                                              "changed")));
    tu_report_free(rep);
}

static void test_plan_mode_only_failures(void **state)
{
    fixture *f = *state;
    tu_report *rep;
    tu_action *a = act(f, TU_ACTION_FAIL, TU_STATUS_FAILED, "dup|A", NULL, 0);
    assert_int_equal(tu_action_set_error(a, ambiguous), 0);
    rep = build(f, TU_MODE_PLAN);
    assert_int_equal(tu_report_changed(rep), 0);
    assert_int_equal(json_integer_value(json_object_get(
                         tu_report_json(rep), "failed")), 1);
    tu_report_free(rep);
}

static void test_empty_plan(void **state)
{
    fixture *f = *state;
    tu_report *rep = build(f, TU_MODE_APPLY);
    assert_json(tu_report_json(rep),
        "{\"cancelled\":false,\"changed\":false,\"concurrency\":16,\"concurrency_end\":8,\"concurrency_min\":4,\"connections\":3,\"created\":0,\"deleted\":0,"
        "\"elapsed_ms\":1234,\"failed\":0,\"left_alone\":[],\"mode\":\"apply\",\"not_owned\":0,\"out_of_scope\":0,\"protocols\":{\"HTTP/1.1\":1,\"HTTP/2\":11},\"replaced\":0,\"requests\":12,"
        "\"results\":[],\"retries\":2,\"schema_version\":1,"
        "\"skipped\":0,\"succeeded\":0,"
        "\"threshold_exceeded\":false,\"total\":0,\"updated\":0,\"warnings\":[],\"write_requests\":5}");
    tu_report_free(rep);
}

/* Records left alone are listed with their reason and not counted; a
 * refused change says why it was refused; the prune counts are copied. */
static void test_left_alone(void **state)
{
    fixture *f = *state;
    tu_report_facts facts = {.mode = TU_MODE_PLAN, .out_of_scope = 4,
                             .not_owned = 2, .threshold_exceeded = 1};
    tu_report *rep;
    tu_counts c;
    tu_action *a = act(f, TU_ACTION_SKIP, TU_STATUS_PLANNED, "guest|U",
                       NULL, 1);
    assert_int_equal(tu_action_set_left_alone(
                         a, "protected by protect[0] (f.yaml:3)"), 0);
    a = act(f, TU_ACTION_UPDATE, TU_STATUS_FAILED, "z.|SOA", NULL, 0);
    assert_int_equal(tu_action_set_error(a, "protected: ..."), 0);
    assert_int_equal(tu_action_set_refused(a, "protected"), 0);
    rep = tu_report_build(&f->plan, &facts, NULL);
    assert_non_null(rep);
    tu_report_counts(rep, &c);
    assert_int_equal(c.total, 1);
    assert_int_equal(c.skipped, 0);
    assert_int_equal(c.failed, 1);
    assert_json(json_object_get(tu_report_json(rep), "left_alone"),
                "[{\"key\":\"guest|U\",\"reason\":\"protected by "
                "protect[0] (f.yaml:3)\"}]");
    assert_json(json_object_get(tu_report_json(rep), "results"),
                "[{\"action\":\"update\",\"error\":\"protected: ...\","
                "\"key\":\"z.|SOA\",\"refused\":\"protected\","
                "\"status\":\"failed\"}]");
    assert_int_equal(json_integer_value(json_object_get(
                         tu_report_json(rep), "out_of_scope")), 4);
    assert_int_equal(json_integer_value(json_object_get(
                         tu_report_json(rep), "not_owned")), 2);
    assert_true(json_is_true(json_object_get(tu_report_json(rep),
                                             "threshold_exceeded")));
    tu_report_free(rep);
}

/* ---- apply mode --------------------------------------------------------- */

static void test_apply_mode(void **state)
{
    fixture *f = *state;
    tu_report *rep;
    tu_counts c;
    tu_action *a;

    a = act(f, TU_ACTION_CREATE, TU_STATUS_OK, "new|A",
            "{\"ttl\":{\"after\":600}}", 0);
    sent(a, 201, 1, NULL);
    a = act(f, TU_ACTION_UPDATE, TU_STATUS_FAILED, "chg|A",
            "{\"ttl\":{\"before\":300,\"after\":-1}}", 0);
    sent(a, 422, 1, "HTTP 422: ttl must be positive");
    a = act(f, TU_ACTION_DELETE, TU_STATUS_OK, "old|A", NULL, 1);
    sent(a, 204, 2, NULL);
    act(f, TU_ACTION_SKIP, TU_STATUS_PLANNED, "same|A", "{}", 0);
    a = act(f, TU_ACTION_FAIL, TU_STATUS_FAILED, "dup|A", NULL, 0);
    assert_int_equal(tu_action_set_error(a, ambiguous), 0);
    /* sent but no HTTP answer (connection refused three times) */
    a = act(f, TU_ACTION_DELETE, TU_STATUS_FAILED, "unreach|A", NULL, 0);
    sent(a, 0, 3, "connection refused");
    /* never sent (the run stopped): counted in total only */
    act(f, TU_ACTION_UPDATE, TU_STATUS_PLANNED, "later|A",
        "{\"ttl\":{\"before\":1,\"after\":2}}", 0);

    rep = build(f, TU_MODE_APPLY);
    tu_report_counts(rep, &c);
    assert_int_equal(c.total, 7);
    assert_int_equal(c.succeeded, 2);
    assert_int_equal(c.skipped, 1);
    assert_int_equal(c.failed, 3);
    assert_int_equal(c.created, 1);
    assert_int_equal(c.updated, 0);
    assert_int_equal(c.deleted, 1);
    assert_int_equal(c.requests, 12);
    assert_int_equal(tu_report_changed(rep), 1);
    assert_json(json_object_get(tu_report_json(rep), "results"),
        "[{\"action\":\"create\",\"attempts\":1,\"changes\":{\"ttl\":"
        "{\"after\":600}},\"http_status\":201,\"key\":\"new|A\","
        "\"status\":\"ok\"},"
        "{\"action\":\"update\",\"attempts\":1,\"changes\":{\"ttl\":"
        "{\"after\":-1,\"before\":300}},\"error\":\"HTTP 422: ttl must be "
        "positive\",\"http_status\":422,\"key\":\"chg|A\","
        "\"status\":\"failed\"},"
        "{\"action\":\"delete\",\"attempts\":2,\"http_status\":204,"
        "\"key\":\"old|A\",\"status\":\"ok\"},"
        "{\"action\":\"none\",\"error\":\"ambiguous: several live records "
        "have the key 'dup|A'; not touched (remove the duplicates on the "
        "server)\",\"key\":\"dup|A\",\"status\":\"failed\"},"
        "{\"action\":\"delete\",\"attempts\":3,\"error\":\"connection "
        "refused\",\"http_status\":0,\"key\":\"unreach|A\","
        "\"status\":\"failed\"},"
        "{\"action\":\"update\",\"changes\":{\"ttl\":{\"after\":2,"
        "\"before\":1}},\"key\":\"later|A\",\"status\":\"planned\"}]");
    assert_string_equal(json_string_value(json_object_get(
                            tu_report_json(rep), "mode")), "apply");
    assert_int_equal(json_integer_value(json_object_get(
                         tu_report_json(rep), "succeeded")), 2);
    tu_report_free(rep);
}

static void test_apply_mode_all_failed(void **state)
{
    fixture *f = *state;
    tu_report *rep;
    tu_counts c;
    tu_action *a = act(f, TU_ACTION_CREATE, TU_STATUS_FAILED, "n|A",
                       "{\"ttl\":{\"after\":1}}", 0);
    sent(a, 500, 4, "HTTP 500");
    rep = build(f, TU_MODE_APPLY);
    tu_report_counts(rep, &c);
    assert_int_equal(c.failed, 1);
    assert_int_equal(c.succeeded, 0);
    assert_int_equal(c.created, 0);
    /* nothing changed when every change failed */
    assert_int_equal(tu_report_changed(rep), 0);
    tu_report_free(rep);
}

/* A plan-mode report does not count actions marked OK as planned ones. */
static void test_plan_mode_counts_planned_only(void **state)
{
    fixture *f = *state;
    tu_report *rep;
    tu_counts c;
    act(f, TU_ACTION_CREATE, TU_STATUS_OK, "n|A", NULL, 0);
    act(f, TU_ACTION_CREATE, TU_STATUS_PLANNED, "m|A", NULL, 0);
    rep = build(f, TU_MODE_PLAN);
    tu_report_counts(rep, &c);
    assert_int_equal(c.total, 2);
    assert_int_equal(c.created, 1);
    assert_int_equal(c.succeeded, 0);
    tu_report_free(rep);
}

/* An empty changes object is left out of a result. */
static void test_empty_changes_left_out(void **state)
{
    fixture *f = *state;
    tu_report *rep;
    act(f, TU_ACTION_UPDATE, TU_STATUS_PLANNED, "u|A", "{}", 0);
    rep = build(f, TU_MODE_PLAN);
    assert_json(json_object_get(tu_report_json(rep), "results"),
                "[{\"action\":\"update\",\"key\":\"u|A\","
                "\"status\":\"planned\"}]");
    tu_report_free(rep);
}

/* The target, without credentials in the URL; the shard when sharded. */
static void test_target_and_shard(void **state)
{
    static const char *fields[] = {"name", "type"};
    tu_keyspec key = {fields, 2};
    tu_report_facts facts = {.mode = TU_MODE_PLAN, .provider = "rest",
                             .base_url = "https://u:p%40ss@api.example.org:8/"
                                         "v1?x=a@b",
                             .key = &key, .shard_index = 2,
                             .shard_count = 5};
    fixture *f = *state;
    tu_report *rep = tu_report_build(&f->plan, &facts, NULL);
    const json_t *json;

    assert_non_null(rep);
    json = tu_report_json(rep);
    assert_json(json_object_get(json, "target"),
                "{\"base_url\":\"https://api.example.org:8/v1?x=a@b\","
                "\"key\":[\"name\",\"type\"],\"provider\":\"rest\"}");
    assert_json(json_object_get(json, "shard"),
                "{\"count\":5,\"index\":2}");
    tu_report_free(rep);
    facts.base_url = "http://h:1/records";
    facts.shard_count = 0;
    rep = tu_report_build(&f->plan, &facts, NULL);
    assert_non_null(rep);
    assert_json(json_object_get(json_object_get(tu_report_json(rep),
                                                "target"), "base_url"),
                "\"http://h:1/records\"");
    assert_null(json_object_get(tu_report_json(rep), "shard"));
    tu_report_free(rep);
}

static void test_free_null(void **state)
{
    (void)state;
    tu_report_free(NULL);
}

/* ---- the report's text ------------------------------------------------- */

/* tu_report_dumps and tu_report_dumpf write, straight from the results,
 * exactly the lines layout of tu_report_json (TU_JSON_LINES), escapes and
 * shortened reals included; the summary is the JSON without results. */
static void test_text_is_the_json(void **state)
{
    fixture *f = *state;
    tu_report *rep;
    const json_t *json;
    json_t *summary_expected, *parsed;
    char *text, *lines, *from_file;
    size_t len;
    FILE *tmp;
    tu_action *a;

    a = act(f, TU_ACTION_UPDATE, TU_STATUS_OK, "q\"uo\\te\n|A",
            "{\"ttl\":{\"before\":0.1,\"after\":558.8}}", 0);
    sent(a, 200, 1, NULL);
    a = act(f, TU_ACTION_CREATE, TU_STATUS_FAILED, "new|A", NULL, 0);
    sent(a, 503, 4, "HTTP 503: \u00e9t\u00e9 \x01");
    assert_int_equal(tu_action_set_note(a, "may have been created"), 0);
    a = act(f, TU_ACTION_UPDATE, TU_STATUS_FAILED, "z.|SOA", NULL, 0);
    assert_int_equal(tu_action_set_error(a, "protected"), 0);
    assert_int_equal(tu_action_set_refused(a, "protected"), 0);
    act(f, TU_ACTION_SKIP, TU_STATUS_PLANNED, "same|A", NULL, 0);
    /* a create re-sent once, with the id the server gave it */
    a = act(f, TU_ACTION_CREATE, TU_STATUS_OK, "made|A", NULL, 0);
    sent(a, 201, 2, NULL);
    assert_int_equal(tu_action_take_new_id(a, strdup("17\"")), 0);
    rep = build(f, TU_MODE_APPLY);
    text = tu_report_dumps(rep);
    assert_non_null(text);
    json = tu_report_json(rep);
    lines = tu_json_dumps(json, TU_JSON_LINES);
    assert_non_null(lines);
    assert_string_equal(text, lines);
    assert_non_null(strstr(text, "\n    {\"key\":\"q\\\"uo\\\\te\\n|A\","
                                 "\"action\":\"update\",\"status\":\"ok\","
                                 "\"http_status\":200,\"attempts\":1,"
                                 "\"changes\":{\"ttl\":{\"before\":0.1,"
                                 "\"after\":558.8}}},\n"));
    assert_non_null(strstr(text, "\n    {\"key\":\"made|A\",\"action\":"
                                 "\"create\",\"status\":\"ok\","
                                 "\"http_status\":201,\"attempts\":2,"
                                 "\"id\":\"17\\\"\"}\n"));
    assert_non_null(strstr(text, "\\u0001"));
    parsed = json_loads(text, 0, NULL);
    assert_true(json_equal(parsed, json));
    summary_expected = json_deep_copy(json);
    json_object_del(summary_expected, "results");
    assert_true(json_equal(tu_report_summary(rep), summary_expected));
    tmp = tmpfile();
    assert_non_null(tmp);
    assert_int_equal(tu_report_dumpf(rep, tmp), 0);
    len = (size_t)ftell(tmp);
    rewind(tmp);
    from_file = calloc(1, len + 1);
    assert_int_equal(fread(from_file, 1, len, tmp), len);
    assert_string_equal(from_file, text);
    fclose(tmp);
    free(from_file);
    json_decref(summary_expected);
    json_decref(parsed);
    free(lines);
    free(text);
    tu_report_free(rep);
}

/* Texts made during the push (some actions, one twice, a skip) give the
 * same report as texts made at the end, and are the ones used. */
static void test_texts_kept_during_push(void **state)
{
    fixture *f = *state;
    tu_report_facts facts = {.mode = TU_MODE_APPLY, .requests = 3};
    tu_report_texts texts;
    tu_report *plain, *kept;
    const char *kept_key;
    char *a_text, *b_text;
    tu_action *a;

    a = act(f, TU_ACTION_UPDATE, TU_STATUS_OK, "q\"uo\\te\n|A",
            "{\"ttl\":{\"before\":0.1,\"after\":558.8}}", 0);
    sent(a, 200, 1, NULL);
    act(f, TU_ACTION_SKIP, TU_STATUS_PLANNED, "same|A", NULL, 0);
    a = act(f, TU_ACTION_CREATE, TU_STATUS_FAILED, "new|A",
            "{\"ttl\":{\"after\":60}}", 0);
    sent(a, 503, 4, "HTTP 503");
    a = act(f, TU_ACTION_DELETE, TU_STATUS_OK, "old|A", NULL, 1);
    sent(a, 204, 1, NULL);
    plain = tu_report_build(&f->plan, &facts, NULL);
    assert_non_null(plain);
    assert_int_equal(tu_report_texts_init(&texts, f->plan.count), 0);
    assert_int_equal(tu_report_texts_keep(&texts, &f->plan, &f->act[2]), 0);
    kept_key = texts.kept[2].key;
    assert_string_equal(kept_key, "new|A");
    assert_string_equal(texts.kept[2].changes, "{\"ttl\":{\"after\":60}}");
    assert_int_equal(tu_report_texts_keep(&texts, &f->plan, &f->act[2]), 0);
    assert_ptr_equal(texts.kept[2].key, kept_key);      /* made once */
    assert_int_equal(tu_report_texts_keep(&texts, &f->plan, &f->act[1]), 0);
    assert_null(texts.kept[1].key);                     /* a skip: none */
    assert_int_equal(tu_report_texts_keep(&texts, &f->plan, &f->act[0]), 0);
    kept = tu_report_build(&f->plan, &facts, &texts);
    assert_non_null(kept);
    assert_null(texts.kept);                            /* taken */
    assert_ptr_equal(kept->results[1].key, kept_key);   /* the one made */
    for (size_t i = 0; i < f->plan.count; i++)    /* none kept by a record */
        assert_null(tu_record_label_kept(&f->rec[i]));
    a_text = tu_report_dumps(plain);
    b_text = tu_report_dumps(kept);
    assert_non_null(a_text);
    assert_non_null(b_text);
    assert_string_equal(b_text, a_text);
    free(a_text);
    free(b_text);
    tu_report_free(plain);
    tu_report_free(kept);
}

/* ---- typed results ------------------------------------------------------ */

static const char *name_type[] = {"name", "type"};
static const tu_keyspec name_type_key = {name_type, 2};

/* The results of a report, typed: what its JSON's results hold, in the
 * same order, and the key field by field (names and values, a '|' inside
 * a value kept); a key that does not decode into the label's values (a
 * plan file's failure keeps its label as its key) has none. */
static void assert_typed(const tu_report *rep)
{
    const json_t *results = json_object_get(tu_report_json(rep), "results");
    const tu_record_result *r;

    assert_int_equal(tu_report_result_count(rep), 4);
    assert_int_equal(json_array_size(results), 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(tu_report_result(rep, i)->key,
                            json_string_value(json_object_get(
                                json_array_get(results, i), "key")));
    assert_null(tu_report_result(rep, 4));
    r = tu_report_result(rep, 0);
    assert_string_equal(r->action, "create");
    assert_string_equal(r->status, "planned");
    assert_string_equal(r->changes, "{\"ttl\":{\"after\":600}}");
    assert_int_equal(r->attempts, 0);
    assert_null(r->error);
    assert_null(r->message);
    assert_int_equal(r->key_count, 2);
    assert_string_equal(r->key_names[0], "name");
    assert_string_equal(r->key_names[1], "type");
    assert_string_equal(r->key_values[0], "x|y");
    assert_string_equal(r->key_values[1], "A");
    r = tu_report_result(rep, 1);
    assert_string_equal(r->status, "ok");
    assert_int_equal(r->http_status, 201);
    assert_int_equal(r->attempts, 1);
    assert_string_equal(r->id, "42");
    assert_string_equal(r->note, "a note");
    assert_string_equal(r->message, "a note");
    assert_string_equal(r->key_values[0], "b");
    r = tu_report_result(rep, 2);
    assert_string_equal(r->action, "none");
    assert_string_equal(r->error, ambiguous);
    assert_string_equal(r->message, ambiguous);
    assert_int_equal(r->key_count, 0);          /* its key is its label */
    r = tu_report_result(rep, 3);
    assert_string_equal(r->refused, "protected");
    assert_null(r->changes);
}

static void typed_plan(fixture *f)
{
    tu_action *a;

    a = act(f, TU_ACTION_CREATE, TU_STATUS_PLANNED, "x|y|A",
            "{\"ttl\":{\"after\":600}}", 0);
    f->rec[0].key = "s3:x|ys1:A";
    a = act(f, TU_ACTION_CREATE, TU_STATUS_OK, "b|A", NULL, 0);
    f->rec[1].key = "s1:bs1:A";
    sent(a, 201, 1, NULL);
    assert_int_equal(tu_action_take_new_id(a, strdup("42")), 0);
    assert_int_equal(tu_action_set_note(a, "a note"), 0);
    act(f, TU_ACTION_SKIP, TU_STATUS_PLANNED, "same|A", NULL, 0);
    f->rec[2].key = "s4:sames1:A";
    a = act(f, TU_ACTION_FAIL, TU_STATUS_FAILED, "dup|A", NULL, 0);
    f->rec[3].key = "dup|A";
    assert_int_equal(tu_action_set_error(a, ambiguous), 0);
    a = act(f, TU_ACTION_UPDATE, TU_STATUS_FAILED, "p|SOA", NULL, 0);
    f->rec[4].key = "s1:ps3:SOA";
    assert_int_equal(tu_action_set_error(a, "protected"), 0);
    assert_int_equal(tu_action_set_refused(a, "protected"), 0);
}

static void test_typed_results(void **state)
{
    fixture *f = *state;
    tu_report_facts facts = {.mode = TU_MODE_PLAN, .key = &name_type_key};
    tu_report_texts texts;
    tu_report *rep;

    typed_plan(f);
    rep = tu_report_build(&f->plan, &facts, NULL);
    assert_non_null(rep);
    assert_typed(rep);
    tu_report_free(rep);
    /* the same with the texts made during the push */
    assert_int_equal(tu_report_texts_init(&texts, f->plan.count), 0);
    for (size_t i = 0; i < f->plan.count; i++)
        assert_int_equal(tu_report_texts_keep(&texts, &f->plan,
                                              &f->act[i]), 0);
    assert_int_equal(texts.kept[0].key_count, 2);
    rep = tu_report_build(&f->plan, &facts, &texts);
    assert_non_null(rep);
    assert_typed(rep);
    tu_report_free(rep);
    /* without the target's key (or with another count): no key fields */
    facts.key = NULL;
    rep = tu_report_build(&f->plan, &facts, NULL);
    assert_int_equal(tu_report_result(rep, 0)->key_count, 0);
    tu_report_free(rep);
}

/* What a record callback gets: a skip as "skip"/"skipped", the changes and
 * the key field by field, in scratch room reused from call to call. */
static void test_action_result(void **state)
{
    fixture *f = *state;
    tu_result_scratch scratch = {0};
    tu_record_result r;

    typed_plan(f);
    assert_int_equal(tu_report_action_result(&f->act[0], &name_type_key,
                                             &scratch, &r), 0);
    assert_string_equal(r.key, "x|y|A");
    assert_string_equal(r.changes, "{\"ttl\":{\"after\":600}}");
    assert_int_equal(r.key_count, 2);
    assert_ptr_equal(r.key_names, name_type);
    assert_string_equal(r.key_values[0], "x|y");
    assert_int_equal(tu_report_action_result(&f->act[2], &name_type_key,
                                             &scratch, &r), 0);
    assert_string_equal(r.action, "skip");
    assert_string_equal(r.status, "skipped");
    assert_null(r.changes);
    assert_string_equal(r.key_values[0], "same");
    assert_int_equal(tu_report_action_result(&f->act[3], &name_type_key,
                                             &scratch, &r), 0);
    assert_string_equal(r.action, "none");
    assert_string_equal(r.message, ambiguous);
    assert_int_equal(r.key_count, 0);
    assert_int_equal(tu_report_action_result(&f->act[1], NULL, &scratch,
                                             &r), 0);
    assert_int_equal(r.key_count, 0);            /* no key names known */
    assert_string_equal(r.id, "42");
    tu_result_scratch_free(&scratch);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_plan_mode),
        T(test_plan_mode_nothing_to_do),
        T(test_plan_mode_only_failures),
        T(test_left_alone),
        T(test_empty_plan),
        T(test_apply_mode),
        T(test_apply_mode_all_failed),
        T(test_plan_mode_counts_planned_only),
        T(test_empty_changes_left_out),
        T(test_target_and_shard),
        T(test_text_is_the_json),
        T(test_texts_kept_during_push),
        T(test_typed_results),
        T(test_action_result),
        cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
