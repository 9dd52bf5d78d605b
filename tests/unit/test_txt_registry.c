/* test_txt_registry.c -- the names and contents of ownership TXT records
 * (engine/providers/txt_registry.c): external-dns's affix mapping, the
 * apex, escaped first labels, the mark's content read back, bad prefixes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/providers/txt_registry.h"

static void assert_name(const char *prefix, const char *name,
                        const char *type, const char *want)
{
    char *got = tu_txt_registry_name(prefix, TU_TXT_REGISTRY_WILDCARD, name,
                                     type);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_names(void **state)
{
    (void)state;
    assert_name(TU_TXT_REGISTRY_PREFIX, "www.example.org.", "A",
                "_trueup-a.www.example.org.");
    /* the apex: below it, inside the zone */
    assert_name(TU_TXT_REGISTRY_PREFIX, "example.org.", "MX",
                "_trueup-mx.example.org.");
    /* external-dns: no %{record_type}, so "type-" before the first label */
    assert_name("own.", "www.example.org.", "CNAME",
                "own.cname-www.example.org.");
    assert_name("x-%{record_type}-", "www.example.org.", "AAAA",
                "x-aaaa-www.example.org.");
    /* PowerDNS refuses a '*' label anywhere but first */
    assert_name(TU_TXT_REGISTRY_PREFIX, "*.dev.example.org.", "A",
                "_trueup-a._wildcard.dev.example.org.");
    assert_name(TU_TXT_REGISTRY_PREFIX, "*x.dev.example.org.", "A",
                "_trueup-a.*x.dev.example.org.");
    /* an escaped dot stays inside the first label */
    assert_name(TU_TXT_REGISTRY_PREFIX, "a\\.b.example.org.", "TXT",
                "_trueup-txt.a\\.b.example.org.");
}

static void test_contents(void **state)
{
    char *c = tu_txt_registry_content("team-a"), *owner;
    (void)state;
    assert_string_equal(c, "\"heritage=trueup,trueup/owner=team-a\"");
    owner = tu_txt_registry_owner(c);
    assert_string_equal(owner, "team-a");
    free(owner);
    free(c);
    owner = tu_txt_registry_owner(
        "\"heritage=trueup,trueup/owner=b,trueup/resource=x\"");
    assert_string_equal(owner, "b");
    free(owner);
    assert_null(tu_txt_registry_owner("\"v=spf1 -all\""));
    assert_null(tu_txt_registry_owner("heritage=trueup,trueup/owner=a"));
    assert_null(tu_txt_registry_owner("\"heritage=trueup,trueup/owner=\""));
    assert_null(tu_txt_registry_owner(
        "\"heritage=external-dns,external-dns/owner=a\""));
}

static void test_prefixes(void **state)
{
    (void)state;
    assert_null(tu_txt_registry_prefix_problem(TU_TXT_REGISTRY_PREFIX));
    assert_null(tu_txt_registry_prefix_problem("own."));
    assert_non_null(tu_txt_registry_prefix_problem(""));
    assert_non_null(tu_txt_registry_prefix_problem("a b."));
    assert_non_null(tu_txt_registry_prefix_problem(".x"));
    assert_non_null(tu_txt_registry_prefix_problem("x..y"));
    assert_non_null(tu_txt_registry_prefix_problem("*"));
    assert_non_null(tu_txt_registry_prefix_problem("\xc3\xbc."));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_contents),
        cmocka_unit_test(test_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
