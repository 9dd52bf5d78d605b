/* test_glob.c -- DNS name patterns (state/glob.c): one label and any
 * number of labels, the root, escaped dots, classes, case, IDN labels in
 * A-label and U-label form, and the patterns refused at compile time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "state/glob.h"

/* 1 or 0 as the pattern matches the name; fails the test when the
 * pattern does not compile. */
static int m(const char *pattern, const char *name)
{
    const char *why;
    size_t at;
    tu_glob *g = tu_glob_compile(pattern, &why, &at);
    int ok;

    if (!g)
        fail_msg("'%s' did not compile: %s", pattern, why);
    ok = tu_glob_match(g, name, strlen(name));
    tu_glob_free(g);
    return ok;
}

/* The reason a pattern is refused, and where. */
static const char *refused(const char *pattern, size_t *at)
{
    const char *why;
    tu_glob *g = tu_glob_compile(pattern, &why, at);
    assert_null(g);
    return why;
}

static void test_one_label(void **state)
{
    (void)state;
    assert_true(m("*.example.net.", "a.example.net."));
    assert_true(m("*.example.net.", "www-2.example.net"));
    assert_false(m("*.example.net.", "a.b.example.net."));
    assert_false(m("*.example.net.", "example.net."));
    assert_false(m("*.example.net.", "a.example.org."));
    assert_true(m("mx?.example.net.", "mx1.example.net."));
    assert_false(m("mx?.example.net.", "mx12.example.net."));
    assert_true(m("dev-*.example.net.", "dev-web.example.net."));
}

static void test_any_labels(void **state)
{
    (void)state;
    assert_true(m("**.example.net.", "example.net."));
    assert_true(m("**.example.net.", "a.example.net."));
    assert_true(m("**.example.net.", "a.b.c.example.net."));
    assert_false(m("**.example.net.", "example.org."));
    assert_false(m("**.example.net.", "notexample.net."));
    assert_true(m("_acme-challenge.**", "_acme-challenge.www.example.net."));
    assert_true(m("a.**.z.", "a.z."));
    assert_true(m("a.**.z.", "a.b.c.z."));
    assert_false(m("a.**.z.", "b.a.z."));
    /* several ** against a long name: no exponential search */
    assert_true(m("**.**.**.**.**.**.x.**.**.**.y.",
                  "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.x.q.r.s.t.u.v.w.y."));
    assert_false(m("**.**.**.**.**.**.x.**.**.**.y.",
                   "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.y."));
}

static void test_root(void **state)
{
    (void)state;
    assert_true(m(".", "."));
    assert_false(m(".", "net."));
    assert_true(m("**", "."));
    assert_true(m("**.", "a.b."));
    assert_false(m("*", "."));
    assert_true(m("*", "net."));
    assert_false(m("*", "example.net."));
}

static void test_trailing_dot_optional(void **state)
{
    (void)state;
    assert_true(m("www.example.net", "www.example.net."));
    assert_true(m("www.example.net.", "www.example.net"));
}

static void test_escaped_dots(void **state)
{
    (void)state;
    /* a label holding a dot, as DNS presentation writes it */
    assert_true(m("a\\.b.example.", "a\\.b.example."));
    assert_false(m("a\\.b.example.", "a.b.example."));
    assert_false(m("*.example.", "a\\.b.c.example."));
    assert_true(m("*.c.example.", "a\\.b.c.example."));
    /* an escaped trailing dot is part of the last label, not absolute */
    assert_false(m("a\\.", "a."));
    assert_true(m("\\*.example.", "*.example."));
    assert_false(m("\\*.example.", "a.example."));
}

static void test_classes_and_case(void **state)
{
    (void)state;
    assert_true(m("[a-c]oo.example.", "boo.example."));
    assert_false(m("[!a-c]oo.example.", "boo.example."));
    assert_true(m("[!a-c]oo.example.", "zoo.example."));
    assert_true(m("WWW.Example.NET.", "www.example.net."));
    assert_true(m("www.example.net.", "WWW.EXAMPLE.NET."));
    assert_true(m("1.2.3.*", "1.2.3.4"));
    assert_false(m("1.2.3.*", "1.2.3.4.5"));
}

static void test_idn(void **state)
{
    (void)state;
    /* U-label pattern, A-label name (as PowerDNS stores it) */
    assert_true(m("*.ümlaut.example.", "www.xn--mlaut-jva.example."));
    assert_true(m("ümlaut.example.", "xn--mlaut-jva.example."));
    /* A-label pattern, U-label name, in any case */
    assert_true(m("*.xn--mlaut-jva.example.", "www.Ümlaut.example."));
    assert_true(m("**.xn--mlaut-jva.example.", "ümlaut.example."));
    assert_false(m("*.ümlaut.example.", "www.umlaut.example."));
    /* UTS #46 mapping: the U-label is mapped before its A-label is made */
    assert_true(m("faß.example.", "xn--fa-hia.example."));
}

static void test_refused(void **state)
{
    size_t at;
    (void)state;
    assert_non_null(strstr(refused("", &at), "empty pattern"));
    assert_non_null(strstr(refused("a..b.", &at), "empty label"));
    assert_int_equal(at, 2);
    assert_non_null(strstr(refused(".a.", &at), "empty label"));
    assert_non_null(strstr(refused("x.a**.", &at), "whole labels"));
    assert_int_equal(at, 3);
    assert_non_null(strstr(refused("x.**b.", &at), "whole labels"));
    assert_non_null(strstr(refused("[ab.", &at), "no ] closes"));
    assert_non_null(strstr(refused("ab\\", &at), "backslash"));
    assert_int_equal(at, 2);
    assert_non_null(strstr(refused("ü*.example.", &at), "ASCII"));
    assert_non_null(refused("a\xcc\x81x\xff.example.", &at));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_label),
        cmocka_unit_test(test_any_labels),
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_trailing_dot_optional),
        cmocka_unit_test(test_escaped_dots),
        cmocka_unit_test(test_classes_and_case),
        cmocka_unit_test(test_idn),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
