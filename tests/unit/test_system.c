/* test_system.c -- loading a system (several resources in one desired
 * state: state/desired_parts.c, engine/system.c) from real temporary YAML
 * files: resources merged across files and inheriting the top-level target
 * and settings, their references read and ordered; and every refusal with
 * its message: a run setting in a resource, records outside a resource, a
 * reference to no resource, `by` of the wrong length, a circle, resources
 * with different TLS setups, a bulk rule from the command line.
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

#include "engine/desired.h"
#include "engine/system.h"

static char paths[3][64];
static size_t npaths;

static void write_file(const char *text)
{
    char *path = paths[npaths++];
    size_t len = strlen(text);
    int fd;

    strcpy(path, "/tmp/tu_system_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* Load the files written; the paths are removed. */
static tu_desired *load(tu_error *err)
{
    const char *list[3];
    tu_desired *d;

    for (size_t i = 0; i < npaths; i++)
        list[i] = paths[i];
    d = tu_desired_load(list, npaths, err);
    for (size_t i = 0; i < npaths; i++)
        unlink(paths[i]);
    npaths = 0;
    return d;
}

#define TOP "settings: {concurrency: 4}\n" \
            "target: {provider: rest, base_url: 'http://127.0.0.1:1'}\n"
#define TENANTS "  tenants:\n" \
                "    target: {resource: {list: /t, key: name}}\n" \
                "    records: [{name: acme}]\n"

static void expect_error(const char *text, const char *needle)
{
    tu_error err = {0};
    tu_desired *d;

    write_file(text);
    d = load(&err);
    if (d || !strstr(err.message, needle))
        fail_msg("expected an error with '%s', got: %s", needle,
                 d ? "(loaded)" : err.message);
}

static void loads_parts_and_refs(void **state)
{
    tu_error err = {0};
    tu_desired *d;
    const tu_system *sys;

    (void)state;
    write_file(TOP "resources:\n" TENANTS
               "  ips:\n"
               "    target:\n"
               "      fields: {tenant: {ref: tenants, read: id}}\n"
               "      resource: {list: /i, key: address}\n"
               "    records: [{address: 10.0.0.1, tenant: acme}]\n");
    write_file("resources:\n  ips:\n    records: [{address: 10.0.0.2}]\n");
    d = load(&err);
    assert_non_null(d);
    sys = d->system;
    assert_non_null(sys);
    assert_int_equal(sys->nparts, 2);
    assert_string_equal(sys->names[0], "tenants");
    assert_string_equal(sys->names[1], "ips");
    /* the second file's record joined ips; the base_url is inherited */
    assert_int_equal(tu_desired_record_count(d), 3);
    assert_string_equal(sys->parts[1]->target.base_url, "http://127.0.0.1:1");
    assert_int_equal(sys->parts[1]->doc.settings.concurrency, 4);
    assert_int_equal(sys->nrefs, 1);
    assert_int_equal(sys->refs[0].from, 1);
    assert_int_equal(sys->refs[0].to, 0);
    assert_string_equal(sys->refs[0].send, "id");   /* tenants' id field */
    /* tenants before ips, which name them */
    assert_int_equal(sys->order[0], 0);
    assert_int_equal(sys->order[1], 1);
    tu_desired_free(d);
}

static void refusals(void **state)
{
    (void)state;
    expect_error(TOP "resources:\n  tenants:\n    settings: {concurrency: 2}\n"
                 "    target: {resource: {list: /t, key: name}}\n",
                 "resources.tenants.settings");
    expect_error(TOP "records: []\nresources:\n" TENANTS,
                 "records: in a file with resources, records belong to a "
                 "resource");
    expect_error(TOP "resources:\n" TENANTS
                 "  ips:\n    target:\n"
                 "      fields: {tenant: {ref: tenant}}\n"
                 "      resource: {list: /i, key: address}\n",
                 "there is no resource 'tenant' (did you mean 'tenants'?)");
    expect_error(TOP "resources:\n" TENANTS
                 "  ips:\n    target:\n"
                 "      fields: {tenant: {ref: tenants, by: [tenant, a]}}\n"
                 "      resource: {list: /i, key: address}\n",
                 "tenants's key has 1 field, so `by` must list 1 field");
    expect_error(TOP "resources:\n"
                 "  a:\n    target:\n      fields: {b: {ref: b}}\n"
                 "      resource: {list: /a, key: name}\n"
                 "  b:\n    target:\n      fields: {a: {ref: a}}\n"
                 "      resource: {list: /b, key: name}\n",
                 "in a circle: a -> b -> a");
    expect_error(TOP "resources:\n" TENANTS
                 "  ips:\n    target:\n"
                 "      tls: {insecure: true}\n"
                 "      resource: {list: /i, key: address}\n",
                 "resources tenants and ips connect differently "
                 "(target.tls)");
    expect_error(TOP "resources:\n" TENANTS "  ips: []\n",
                 "resources.ips: expected a mapping");
    expect_error(TOP "resources:\n" TENANTS "  ips:\n    target:\n"
                 "      fields: {tenant: {by: [tenant]}}\n"
                 "      resource: {list: /i, key: address}\n",
                 "'by' goes with ref");
}

static void records_outside_a_resource(void **state)
{
    (void)state;
    write_file(TOP "resources:\n" TENANTS);
    expect_error("records: [{name: x}]\n", "a file without resources "
                 "gives records, while another file declares a system");
}

static void no_bulk_from_the_command_line(void **state)
{
    tu_error err = {0};
    tu_desired *d;
    const char *match[] = {"name=acme"}, *set[] = {"x=1"};

    (void)state;
    write_file(TOP "resources:\n" TENANTS);
    d = load(&err);
    assert_non_null(d);
    assert_int_equal(tu_desired_add_bulk(d, match, 1, set, 1, NULL, &err), -1);
    assert_non_null(strstr(err.message, "has several (resources:)"));
    tu_desired_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_parts_and_refs),
        cmocka_unit_test(refusals),
        cmocka_unit_test(records_outside_a_resource),
        cmocka_unit_test(no_bulk_from_the_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
