/* test_desired.c -- state/desired.h on real temporary YAML files: merging
 * several files (mappings key by key, records concatenated), conflicts
 * naming both places, top-level and settings checks with their messages,
 * the missing target; then tu_doc_records: defaults, state, normalising,
 * key fields, duplicates and records that are not mappings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/desired.h"
#include "state/error.h"

/* ---- helpers ------------------------------------------------------------ */

#define MAXFILES 4

typedef struct files {
    char paths[MAXFILES][64];
    const char *list[MAXFILES];
    size_t n;
} files;

/* Every file written by the running test, for the teardown. */
static char created[32][64];
static size_t ncreated;

/* Write `text` to a new temporary file; its path is files->list[n]. */
static const char *add_file(files *f, const char *text)
{
    char *path = f->paths[f->n];
    size_t len = strlen(text);
    int fd;
    assert_true(f->n < MAXFILES);
    strcpy(path, "/tmp/tu_desired_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    if (ncreated < sizeof created / sizeof created[0])
        strcpy(created[ncreated++], path);
    f->list[f->n] = path;
    return f->list[f->n++];
}

static void remove_files(files *f)
{
    for (size_t i = 0; i < f->n; i++)
        unlink(f->paths[i]);
    f->n = 0;
}

static int setup(void **state)
{
    (void)state;
    ncreated = 0;
    return 0;
}

/* A failed assertion leaves the test early: remove what it wrote. */
static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < ncreated; i++)
        unlink(created[i]);
    ncreated = 0;
    return 0;
}

/* Load expecting success. */
static void load_ok(tu_doc *doc, files *f)
{
    tu_error err = {0};
    if (tu_doc_load(doc, f->list, f->n, &err) != 0)
        fail_msg("tu_doc_load failed: %s", err.message);
    assert_string_equal(err.message, "");
}

/* Load expecting failure with exactly `expected` (printf-style, to splice
 * in the paths); the doc must be left empty. */
static void load_fails(files *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void load_fails(files *f, const char *fmt, ...)
{
    tu_doc doc;
    tu_error err = {0};
    char expected[TU_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(expected, sizeof expected, fmt, ap);
    va_end(ap);
    memset(&doc, 0x5a, sizeof doc);
    assert_int_equal(tu_doc_load(&doc, f->list, f->n, &err), -1);
    assert_string_equal(err.message, expected);
    assert_null(doc.map);
    assert_null(doc.root);
    assert_null(doc.target);
    assert_null(doc.records);
    assert_int_equal(doc.nrecords, 0);
}

static const char *name_type[] = {"name", "type"};
static const tu_keyspec spec = {name_type, 2};

/* Build the record set expecting success. */
static void records_ok(const tu_doc *doc, tu_recordset *set)
{
    tu_error err = {0};
    if (tu_doc_records(doc, &spec, NULL, NULL, set, &err) != 0)
        fail_msg("tu_doc_records failed: %s", err.message);
}

static void records_fail(const tu_doc *doc, const char *expected)
{
    tu_recordset set;
    tu_error err = {0};
    assert_int_equal(tu_doc_records(doc, &spec, NULL, NULL, &set, &err), -1);
    assert_string_equal(err.message, expected);
    assert_int_equal(set.count, 0);
    assert_null(set.items);
}

/* Load the files (they load), expect their records to fail with
 * `expected`, and remove them. */
static void records_fail_files(files *f, const char *expected)
{
    tu_doc doc;

    load_ok(&doc, f);
    records_fail(&doc, expected);
    tu_doc_free(&doc);
    remove_files(f);
}

static void assert_fields(const tu_record *r, const char *expected_json)
{
    char *got = json_dumps(tu_record_fields(r), JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(got);
    assert_string_equal(got, expected_json);
    free(got);
}

#define TARGET "target:\n  provider: rest\n  base_url: https://api.test\n"

/* ---- loading and merging ------------------------------------------------ */

static void test_single_file(void **state)
{
    files f = {0};
    tu_doc doc;
    (void)state;
    add_file(&f, TARGET "records:\n  - {name: a, type: A}\n");
    load_ok(&doc, &f);
    assert_non_null(doc.map);
    assert_non_null(doc.root);
    assert_string_equal(json_string_value(json_object_get(doc.target,
                                                          "base_url")),
                        "https://api.test");
    assert_null(doc.defaults);
    assert_int_equal(doc.nrecords, 1);
    tu_doc_free(&doc);
    assert_null(doc.root);
    assert_null(doc.map);
    remove_files(&f);
}

static void test_merge_two_files(void **state)
{
    files f = {0};
    tu_doc doc;
    tu_recordset set;
    (void)state;
    add_file(&f, TARGET "records:\n  - {name: a, type: A}\n"
                 "  - {name: b, type: A}\n");
    add_file(&f, "records:\n  - {name: c, type: A}\n"
                 "  - {name: d, type: TXT}\n");
    load_ok(&doc, &f);
    assert_int_equal(doc.nrecords, 4);
    records_ok(&doc, &set);
    assert_int_equal(set.count, 4);
    assert_string_equal(tu_record_label(&set.items[0]), "a|A");
    assert_string_equal(tu_record_label(&set.items[1]), "b|A");
    assert_string_equal(tu_record_label(&set.items[2]), "c|A");
    assert_string_equal(tu_record_label(&set.items[3]), "d|TXT");
    /* each record knows its own file and line */
    assert_string_equal(set.items[0].pos.file, f.list[0]);
    assert_int_equal(set.items[0].pos.line, 5);
    assert_int_equal(set.items[0].pos.column, 5);
    assert_string_equal(set.items[1].pos.file, f.list[0]);
    assert_int_equal(set.items[1].pos.line, 6);
    assert_string_equal(set.items[2].pos.file, f.list[1]);
    assert_int_equal(set.items[2].pos.line, 2);
    assert_string_equal(set.items[3].pos.file, f.list[1]);
    assert_int_equal(set.items[3].pos.line, 3);
    tu_recordset_free(&set);
    tu_doc_free(&doc);
    remove_files(&f);
}

static void test_merge_target_parts(void **state)
{
    files f = {0};
    tu_doc doc;
    (void)state;
    /* the target split over two files, nested mappings merged key by key */
    add_file(&f, "target:\n  provider: rest\n  resource:\n    key: [name]\n");
    add_file(&f, "target:\n  base_url: https://api.test\n  resource:\n"
                 "    path: /records\n  provider: rest\n"
                 "settings:\n  retries: 5\n");
    add_file(&f, "settings:\n  retries: 5\n  timeout: 2\n");
    load_ok(&doc, &f);
    {
        char *got = json_dumps(doc.target, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(got, "{\"base_url\":\"https://api.test\","
                            "\"provider\":\"rest\",\"resource\":{\"key\":"
                            "[\"name\"],\"path\":\"/records\"}}");
        free(got);
    }
    assert_int_equal(doc.settings.retries, 5);
    assert_true(doc.settings.timeout == 2.0);
    assert_int_equal(doc.nrecords, 0);
    tu_doc_free(&doc);
    remove_files(&f);
}

static void test_merge_does_not_mutate_loaded(void **state)
{
    files f = {0};
    tu_doc doc;
    (void)state;
    /* The same value in both files (600 and 600.0 are the same) is fine. */
    add_file(&f, TARGET "defaults:\n  ttl: 600\n  type: A\n");
    add_file(&f, "defaults:\n  ttl: 600.0\n  class: IN\n"
                 "target:\n  base_url: https://api.test\n");
    load_ok(&doc, &f);
    {
        char *got = json_dumps(doc.defaults, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(got, "{\"class\":\"IN\",\"ttl\":600,"
                            "\"type\":\"A\"}");
        free(got);
    }
    tu_doc_free(&doc);
    remove_files(&f);
}

static void test_conflict(void **state)
{
    files f = {0};
    (void)state;
    add_file(&f, TARGET);
    add_file(&f, "# another file\ntarget:\n  base_url: https://other.test\n");
    load_fails(&f, "%s:3:3: target.base_url is given a different value "
               "here than at %s:3:3; keep one of them",
               f.list[1], f.list[0]);
    remove_files(&f);
}

static void test_conflict_nested_and_settings(void **state)
{
    files f = {0};
    (void)state;
    add_file(&f, TARGET "  resource:\n    key: [name, type]\n");
    add_file(&f, "target:\n  resource:\n    key: [name]\n");
    load_fails(&f, "%s:3:5: target.resource.key is given a different value "
               "here than at %s:5:5; keep one of them",
               f.list[1], f.list[0]);
    remove_files(&f);

    add_file(&f, TARGET "settings:\n  concurrency: 4\n");
    add_file(&f, "settings: {concurrency: 8}\n");
    load_fails(&f, "%s:1:12: settings.concurrency is given a different "
               "value here than at %s:5:3; keep one of them",
               f.list[1], f.list[0]);
    remove_files(&f);

    /* a mapping against a scalar */
    add_file(&f, TARGET "defaults:\n  meta: {a: 1}\n");
    add_file(&f, "defaults:\n  meta: 1\n");
    load_fails(&f, "%s:2:3: defaults.meta is given a different value here "
               "than at %s:5:3; keep one of them", f.list[1], f.list[0]);
    remove_files(&f);
}

static void test_conflict_third_file(void **state)
{
    files f = {0};
    (void)state;
    add_file(&f, TARGET);
    add_file(&f, "target:\n  headers: {X-A: '1'}\n");
    add_file(&f, "\n\ntarget:\n  base_url: https://third.test\n");
    load_fails(&f, "%s:4:3: target.base_url is given a different value "
               "here than at %s:3:3; keep one of them",
               f.list[2], f.list[0]);
    remove_files(&f);
}

static void test_no_files(void **state)
{
    tu_doc doc;
    tu_error err = {0};
    (void)state;
    assert_int_equal(tu_doc_load(&doc, NULL, 0, &err), -1);
    assert_string_equal(err.message, "no desired-state file given");
    assert_null(doc.root);
}

static void test_missing_target(void **state)
{
    files f = {0};
    (void)state;
    add_file(&f, "records: []\n");
    load_fails(&f, "%s: no target: one of the files must have a 'target' "
               "mapping saying which API to reconcile "
               "(see docs/desired-state.md)", f.list[0]);
    add_file(&f, "settings: {retries: 1}\n");
    load_fails(&f, "%s (and the others): no target: one of the files must "
               "have a 'target' mapping saying which API to reconcile "
               "(see docs/desired-state.md)", f.list[0]);
    remove_files(&f);
}

static void test_unknown_top_key(void **state)
{
    files f = {0};
    (void)state;
    add_file(&f, TARGET "recods:\n  - {name: a}\n");
    load_fails(&f, "%s:4:1: unknown key 'recods' (did you mean 'records'?)",
               f.list[0]);
    remove_files(&f);
    add_file(&f, TARGET);
    add_file(&f, "zones: []\n");
    load_fails(&f, "%s:1:1: unknown key 'zones'", f.list[1]);
    remove_files(&f);
}

static void test_file_shapes(void **state)
{
    files f = {0};
    (void)state;
    add_file(&f, "- a\n- b\n");
    load_fails(&f, "%s:1:1: the file must be a mapping with target, "
               "settings, defaults and records; got a list", f.list[0]);
    remove_files(&f);
    add_file(&f, "just text\n");
    load_fails(&f, "%s: the file must be a mapping with target, settings, "
               "defaults and records; got a string", f.list[0]);
    remove_files(&f);
    add_file(&f, "~\n");
    load_fails(&f, "%s: the file must be a mapping with target, settings, "
               "defaults and records; got null", f.list[0]);
    remove_files(&f);
    add_file(&f, "target: https://api.test\n");
    load_fails(&f, "%s:1:1: target: expected a mapping, got a string",
               f.list[0]);
    remove_files(&f);
    add_file(&f, TARGET "settings: [1]\n");
    load_fails(&f, "%s:4:1: settings: expected a mapping, got a list",
               f.list[0]);
    remove_files(&f);
    add_file(&f, TARGET "defaults: 3\n");
    load_fails(&f, "%s:4:1: defaults: expected a mapping, got an integer",
               f.list[0]);
    remove_files(&f);
    add_file(&f, TARGET "records:\n  a: {name: x}\n");
    load_fails(&f, "%s:4:1: records: expected a list of records, got a "
               "mapping", f.list[0]);
    remove_files(&f);
}

static void test_file_unreadable(void **state)
{
    files f = {0};
    const char *missing[] = {"/tmp/tu_desired_does_not_exist.yaml"};
    tu_doc doc;
    tu_error err = {0};
    (void)state;
    unlink(missing[0]);
    assert_int_equal(tu_doc_load(&doc, missing, 1, &err), -1);
    assert_string_equal(err.message, "/tmp/tu_desired_does_not_exist.yaml: "
                        "cannot read: No such file or directory");
    assert_null(doc.root);
    /* a YAML error in the second file stops the load */
    add_file(&f, TARGET);
    add_file(&f, "records: [\n");
    assert_int_equal(tu_doc_load(&doc, f.list, f.n, &err), -1);
    assert_true(strncmp(err.message, f.list[1], strlen(f.list[1])) == 0);
    assert_null(doc.root);
    remove_files(&f);
}

/* ---- settings ----------------------------------------------------------- */

static void test_settings_defaults(void **state)
{
    files f = {0};
    tu_doc doc;
    tu_settings s;
    (void)state;
    tu_settings_init(&s);
    assert_int_equal(s.concurrency, 16);
    assert_true(s.timeout == 30.0);
    assert_true(s.connect_timeout == 10.0);
    assert_int_equal(s.retries, 3);
    assert_int_equal(s.prune, 0);

    add_file(&f, TARGET);
    load_ok(&doc, &f);
    assert_int_equal(doc.settings.concurrency, 16);
    assert_true(doc.settings.timeout == 30.0);
    assert_true(doc.settings.connect_timeout == 10.0);
    assert_int_equal(doc.settings.retries, 3);
    assert_int_equal(doc.settings.prune, 0);
    tu_doc_free(&doc);
    remove_files(&f);

    add_file(&f, TARGET "settings: {}\n");
    load_ok(&doc, &f);
    assert_int_equal(doc.settings.concurrency, 16);
    assert_int_equal(doc.settings.retries, 3);
    tu_doc_free(&doc);
    remove_files(&f);
}

static void test_settings_overrides(void **state)
{
    files f = {0};
    tu_doc doc;
    (void)state;
    add_file(&f, TARGET "settings:\n  concurrency: 64\n  timeout: 2.5\n"
                 "  connect_timeout: 1\n  retries: 0\n  prune: true\n");
    load_ok(&doc, &f);
    assert_int_equal(doc.settings.concurrency, 64);
    assert_true(doc.settings.timeout == 2.5);
    assert_true(doc.settings.connect_timeout == 1.0);
    assert_int_equal(doc.settings.retries, 0);
    assert_int_equal(doc.settings.prune, 1);
    tu_doc_free(&doc);
    remove_files(&f);
}

static void assert_settings_error(const char *settings, const char *message)
{
    files f = {0};
    char text[512];
    snprintf(text, sizeof text, TARGET "settings:\n%s", settings);
    add_file(&f, text);
    load_fails(&f, "%s:%s", f.list[0], message);
    remove_files(&f);
}

static void test_settings_errors(void **state)
{
    (void)state;
    assert_settings_error("  concurency: 4\n",
                          "5:3: settings: unknown key 'concurency' "
                          "(did you mean 'concurrency'?)");
    assert_settings_error("  concurrency: '4'\n",
                          "5:3: settings.concurrency: expected an integer, "
                          "got a string");
    assert_settings_error("  concurrency: 0\n",
                          "5:3: settings.concurrency: 0 is out of range "
                          "(1 to 10000)");
    assert_settings_error("  concurrency: 10001\n",
                          "5:3: settings.concurrency: 10001 is out of range "
                          "(1 to 10000)");
    assert_settings_error("  concurrency: 2.0\n",
                          "5:3: settings.concurrency: expected an integer, "
                          "got a number");
    assert_settings_error("  timeout: 0\n",
                          "5:3: settings.timeout: 0 is out of range "
                          "(0.001 to 86400)");
    assert_settings_error("  timeout: 90000\n",
                          "5:3: settings.timeout: 90000 is out of range "
                          "(0.001 to 86400)");
    assert_settings_error("  timeout: 30s\n",
                          "5:3: settings.timeout: expected a number, got a "
                          "string");
    assert_settings_error("  connect_timeout: 3601\n",
                          "5:3: settings.connect_timeout: 3601 is out of "
                          "range (0.001 to 3600)");
    assert_settings_error("  retries: -1\n",
                          "5:3: settings.retries: -1 is out of range "
                          "(0 to 100)");
    assert_settings_error("  retries: 101\n",
                          "5:3: settings.retries: 101 is out of range "
                          "(0 to 100)");
    assert_settings_error("  prune: yes\n",
                          "5:3: settings.prune: expected true or false, got "
                          "a string");
    assert_settings_error("  retries: 1\n  prune: 1\n",
                          "6:3: settings.prune: expected true or false, got "
                          "an integer");
}

/* settings.http2 and settings.max_connections. */
static void assert_connection_settings(const char *settings, int http2,
                                       long max_connections)
{
    files f = {0};
    tu_doc doc;
    char text[512];
    snprintf(text, sizeof text, TARGET "settings:\n%s", settings);
    add_file(&f, text);
    load_ok(&doc, &f);
    assert_int_equal(doc.settings.http2, http2);
    assert_int_equal(doc.settings.max_connections, max_connections);
    tu_doc_free(&doc);
    remove_files(&f);
}

static void test_settings_connections(void **state)
{
    tu_settings s;
    (void)state;
    tu_settings_init(&s);
    assert_int_equal(s.http2, TU_SETTINGS_HTTP2_AUTO);
    assert_int_equal(s.max_connections, 0);
    assert_connection_settings("  retries: 1\n", TU_SETTINGS_HTTP2_AUTO, 0);
    assert_connection_settings("  http2: auto\n", TU_SETTINGS_HTTP2_AUTO, 0);
    assert_connection_settings("  http2: on\n", TU_SETTINGS_HTTP2_ON, 0);
    assert_connection_settings("  http2: off\n  max_connections: 4\n",
                               TU_SETTINGS_HTTP2_OFF, 4);
    assert_connection_settings("  http2: true\n", TU_SETTINGS_HTTP2_ON, 0);
    assert_connection_settings("  http2: false\n  max_connections: 10000\n",
                               TU_SETTINGS_HTTP2_OFF, 10000);
    assert_settings_error("  http2: yes\n",
                          "5:3: settings.http2: 'yes' is not one of: auto, "
                          "on, off");
    assert_settings_error("  http2: atuo\n",
                          "5:3: settings.http2: 'atuo' is not one of: auto, "
                          "on, off (did you mean 'auto'?)");
    assert_settings_error("  http2: 2\n",
                          "5:3: settings.http2: expected a non-empty string, got an "
                          "integer");
    assert_settings_error("  max_connections: 0\n",
                          "5:3: settings.max_connections: 0 is out of range "
                          "(1 to 10000)");
    assert_settings_error("  max_connections: 10001\n",
                          "5:3: settings.max_connections: 10001 is out of "
                          "range (1 to 10000)");
    assert_settings_error("  max_conections: 2\n",
                          "5:3: settings: unknown key 'max_conections' (did "
                          "you mean 'max_connections'?)");
}

/* ---- records ------------------------------------------------------------ */

static void test_records_defaults(void **state)
{
    files f = {0};
    tu_doc doc;
    tu_recordset set;
    (void)state;
    add_file(&f, TARGET "defaults:\n  type: A\n  ttl: 300\n"
                 "records:\n  - {name: a}\n  - {name: b, ttl: 600}\n"
                 "  - {name: c, type: AAAA, content: '::1'}\n");
    load_ok(&doc, &f);
    records_ok(&doc, &set);
    assert_int_equal(set.count, 3);
    assert_fields(&set.items[0], "{\"name\":\"a\",\"ttl\":300,\"type\":\"A\"}");
    assert_fields(&set.items[1], "{\"name\":\"b\",\"ttl\":600,\"type\":\"A\"}");
    assert_fields(&set.items[2], "{\"content\":\"::1\",\"name\":\"c\","
                  "\"ttl\":300,\"type\":\"AAAA\"}");
    assert_string_equal(tu_record_label(&set.items[2]), "c|AAAA");
    /* the loaded defaults are not changed by merging */
    {
        char *got = json_dumps(doc.defaults, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(got, "{\"ttl\":300,\"type\":\"A\"}");
        free(got);
    }
    tu_recordset_free(&set);
    tu_doc_free(&doc);
    remove_files(&f);
}

static void test_records_state(void **state)
{
    files f = {0};
    tu_doc doc;
    tu_recordset set;
    (void)state;
    add_file(&f, TARGET "records:\n  - {name: a, type: A, state: absent}\n"
                 "  - {name: b, type: A, state: present, ttl: 1}\n"
                 "  - {name: c, type: A}\n");
    load_ok(&doc, &f);
    records_ok(&doc, &set);
    assert_int_equal(set.items[0].absent, 1);
    assert_fields(&set.items[0], "{\"name\":\"a\",\"type\":\"A\"}");
    assert_int_equal(set.items[1].absent, 0);
    assert_fields(&set.items[1], "{\"name\":\"b\",\"ttl\":1,\"type\":\"A\"}");
    assert_int_equal(set.items[2].absent, 0);
    tu_recordset_free(&set);
    tu_doc_free(&doc);
    remove_files(&f);

    add_file(&f, TARGET "records:\n  - {name: a, type: A}\n"
                 "  - name: b\n    type: A\n    state: bogus\n");
    load_ok(&doc, &f);
    {
        char expected[256];
        snprintf(expected, sizeof expected, "%s:8:5: record.state: 'bogus' "
                 "is not one of: present, absent", f.list[0]);
        records_fail(&doc, expected);
    }
    tu_doc_free(&doc);
    remove_files(&f);

    add_file(&f, TARGET "records:\n  - {name: b, type: A, state: absnt}\n");
    load_ok(&doc, &f);
    {
        char expected[256];
        snprintf(expected, sizeof expected, "%s:5:24: record.state: 'absnt' "
                 "is not one of: present, absent (did you mean 'absent'?)",
                 f.list[0]);
        records_fail(&doc, expected);
    }
    tu_doc_free(&doc);
    remove_files(&f);
}

/* `state` cannot be a default: it would be sent to the API as a field. */
static void test_records_state_in_defaults(void **state)
{
    files f = {0};
    tu_doc doc;
    tu_error err = {0};
    char expected[512];
    (void)state;
    add_file(&f, TARGET "defaults: {state: absent}\n"
                 "records:\n  - {name: a, type: A}\n");
    assert_int_equal(tu_doc_load(&doc, (const char *const *)f.list, f.n,
                                 &err), 0);
    snprintf(expected, sizeof expected, "%s:4:12: defaults: 'state' cannot "
             "be a default; set state: absent on each record that should "
             "not exist", f.list[0]);
    records_fail(&doc, expected);
    tu_doc_free(&doc);
    remove_files(&f);
}

static void test_records_missing_key_field(void **state)
{
    files f = {0};
    char expected[512];
    (void)state;
    add_file(&f, TARGET "records:\n  - {name: a, type: A}\n"
                 "  - name: b\n    ttl: 5\n");
    snprintf(expected, sizeof expected, "%s:6:5: record: key field 'type' is "
             "missing or not a string, number or boolean (the key is "
             "[name, type])", f.list[0]);
    records_fail_files(&f, expected);

    add_file(&f, TARGET "records:\n  - {name: [a], type: A}\n");
    snprintf(expected, sizeof expected, "%s:5:5: record: key field 'name' is "
             "missing or not a string, number or boolean (the key is "
             "[name, type])", f.list[0]);
    records_fail_files(&f, expected);
}

static void test_records_duplicates(void **state)
{
    files f = {0};
    char expected[512];
    (void)state;
    add_file(&f, TARGET "records:\n  - {name: a, type: A}\n"
                 "  - {name: b, type: A}\n  - {name: a, type: A, ttl: 5}\n");
    snprintf(expected, sizeof expected, "%s:7:5: record 'a|A' is declared "
             "twice: also at %s:5; keep one of them", f.list[0], f.list[0]);
    records_fail_files(&f, expected);

    /* across files, and through defaults */
    add_file(&f, TARGET "defaults: {type: A}\nrecords:\n  - {name: a}\n");
    add_file(&f, "records:\n  - {name: x, type: MX}\n  - {name: a}\n");
    snprintf(expected, sizeof expected, "%s:3:5: record 'a|A' is declared "
             "twice: also at %s:6; keep one of them", f.list[1], f.list[0]);
    records_fail_files(&f, expected);

    /* "600" and 600 are different keys; 600 and 600.0 the same */
    add_file(&f, TARGET "records:\n  - {name: '600', type: A}\n"
                 "  - {name: 600, type: A}\n  - {name: 600.0, type: A}\n");
    snprintf(expected, sizeof expected, "%s:7:5: record '600|A' is declared "
             "twice: also at %s:6; keep one of them", f.list[0], f.list[0]);
    records_fail_files(&f, expected);

    /* the keys are checked once all are made: still, the first error in
     * the records' order is the one said, a key declared twice before a
     * record without its key... */
    add_file(&f, TARGET "records:\n  - {name: a, type: A}\n"
                 "  - {name: a, type: A}\n  - {type: A}\n");
    snprintf(expected, sizeof expected, "%s:6:5: record 'a|A' is declared "
             "twice: also at %s:5; keep one of them", f.list[0], f.list[0]);
    records_fail_files(&f, expected);

    /* ... and the record without its key before a key declared twice */
    add_file(&f, TARGET "records:\n  - {type: A}\n"
                 "  - {name: a, type: A}\n  - {name: a, type: A}\n");
    snprintf(expected, sizeof expected, "%s:5:5: record: key field 'name' is "
             "missing or not a string, number or boolean (the key is "
             "[name, type])", f.list[0]);
    records_fail_files(&f, expected);
}

static void test_records_not_mappings(void **state)
{
    files f = {0};
    char expected[512];
    (void)state;
    add_file(&f, TARGET "records:\n  - {name: a, type: A}\n  - [x, y]\n");
    snprintf(expected, sizeof expected, "%s:6:5: records[1]: expected a "
             "mapping of fields, got a list", f.list[0]);
    records_fail_files(&f, expected);

    /* a scalar record: the message points at the scalar itself, with its
     * index in the file's records */
    add_file(&f, TARGET "records:\n  - {name: a, type: A}\n  - 5\n");
    snprintf(expected, sizeof expected, "%s:6:5: records[1]: expected a "
             "mapping of fields, got an integer", f.list[0]);
    records_fail_files(&f, expected);

    add_file(&f, "settings: {retries: 1}\n" TARGET);
    add_file(&f, "\n\nrecords:\n  - true\n");
    snprintf(expected, sizeof expected, "%s:4:5: records[0]: expected a "
             "mapping of fields, got a boolean", f.list[1]);
    records_fail_files(&f, expected);
}

static int normalize_calls;

static int normalize_upper_type(json_t *fields, tu_srcpos pos, void *data,
                                tu_error *err)
{
    const char *type = json_string_value(json_object_get(fields, "type"));
    (void)pos;
    normalize_calls++;
    assert_ptr_equal(data, &normalize_calls);
    if (type && strcmp(type, "bad") == 0) {
        tu_error_at(err, pos, "record: type 'bad' is not allowed");
        return -1;
    }
    if (type && strcmp(type, "a") == 0)
        json_object_set_new(fields, "type", json_string("A"));
    return 0;
}

static void test_records_normalize(void **state)
{
    files f = {0};
    tu_doc doc;
    tu_recordset set;
    tu_error err = {0};
    char expected[256];
    (void)state;
    add_file(&f, TARGET "records:\n  - {name: x, type: a}\n"
                 "  - {name: x, type: A}\n");
    load_ok(&doc, &f);
    /* normalising runs before keying: both become x|A */
    normalize_calls = 0;
    assert_int_equal(tu_doc_records(&doc, &spec, normalize_upper_type,
                                    &normalize_calls, &set, &err), -1);
    assert_int_equal(normalize_calls, 2);
    snprintf(expected, sizeof expected, "%s:6:5: record 'x|A' is declared "
             "twice: also at %s:5; keep one of them", f.list[0], f.list[0]);
    assert_string_equal(err.message, expected);
    tu_doc_free(&doc);
    remove_files(&f);

    add_file(&f, TARGET "records:\n  - {name: x, type: a}\n"
                 "  - {name: y, type: bad}\n");
    load_ok(&doc, &f);
    normalize_calls = 0;
    assert_int_equal(tu_doc_records(&doc, &spec, normalize_upper_type,
                                    &normalize_calls, &set, &err), -1);
    snprintf(expected, sizeof expected, "%s:6:5: record: type 'bad' is not "
             "allowed", f.list[0]);
    assert_string_equal(err.message, expected);
    assert_int_equal(set.count, 0);
    tu_doc_free(&doc);
    remove_files(&f);
}

static void test_records_empty(void **state)
{
    files f = {0};
    tu_doc doc;
    tu_recordset set;
    (void)state;
    add_file(&f, TARGET);
    load_ok(&doc, &f);
    assert_int_equal(doc.nrecords, 0);
    records_ok(&doc, &set);
    assert_int_equal(set.count, 0);
    tu_recordset_free(&set);
    tu_doc_free(&doc);
    remove_files(&f);
}

/* The records of `doc` as tu_doc_records_json gives them, compact. */
static void assert_records_json(const tu_doc *doc, const char *expected)
{
    json_t *all = tu_doc_records_json(doc);
    char *got = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(got);
    assert_string_equal(got, expected);
    free(got);
    json_decref(all);
}

/* tu_doc_compact keeps each record's fields, in order, whichever reader
 * packed them (the records reader, or libyaml for a file outside its
 * subset: the float); a document with a record that is not a mapping is
 * left as it was. */
static void test_compact(void **state)
{
    files f = {0};
    tu_doc doc;
    tu_recordset set;
    const char *want = "[{\"name\":\"a\",\"type\":\"A\"},"
                       "{\"name\":\"b\",\"ttl\":60,\"type\":\"A\"},"
                       "{\"name\":\"c\",\"ttl\":1.5,\"type\":\"A\"}]";
    (void)state;
    add_file(&f, TARGET "records:\n  - {name: a, type: A}\n"
                 "  - {name: b, type: A, ttl: 60}\n");
    add_file(&f, "records:\n  - {name: c, type: A, ttl: 1.5}\n");
    load_ok(&doc, &f);
    records_ok(&doc, &set);
    tu_recordset_free(&set);
    assert_int_equal(tu_doc_compact(&doc), 0);
    assert_null(doc.records);
    assert_int_equal(doc.nrecords, 3);
    assert_records_json(&doc, want);
    assert_int_equal(tu_doc_compact(&doc), 0);      /* once is enough */
    assert_records_json(&doc, want);
    tu_doc_free(&doc);
    remove_files(&f);

    add_file(&f, TARGET "records:\n  - {name: a, type: A}\n  - 5\n");
    load_ok(&doc, &f);
    assert_int_equal(tu_doc_compact(&doc), -1);
    assert_non_null(doc.records);
    assert_records_json(&doc, "[{\"name\":\"a\",\"type\":\"A\"},5]");
    tu_doc_free(&doc);
    remove_files(&f);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_single_file),
        T(test_compact),
        T(test_merge_two_files),
        T(test_merge_target_parts),
        T(test_merge_does_not_mutate_loaded),
        T(test_conflict),
        T(test_conflict_nested_and_settings),
        T(test_conflict_third_file),
        T(test_no_files),
        T(test_missing_target),
        T(test_unknown_top_key),
        T(test_file_shapes),
        T(test_file_unreadable),
        T(test_settings_defaults),
        T(test_settings_overrides),
        T(test_settings_errors),
        T(test_settings_connections),
        T(test_records_defaults),
        T(test_records_state),
        T(test_records_state_in_defaults),
        T(test_records_missing_key_field),
        T(test_records_duplicates),
        T(test_records_not_mappings),
        T(test_records_normalize),
        T(test_records_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
