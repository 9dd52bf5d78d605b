/* test_dns_name.c -- engine/providers/dns_name.h: IPv6 addresses as
 * PowerDNS prints them, names in a zone, names made absolute (relative,
 * "@", already absolute, the root zone), zone names, A-labels, SOA serials
 * and contents in the form they are compared in (the name fields of each
 * type as A-labels, other contents as written).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/providers/dns_name.h"

/* `got` (malloc'd, freed here) is `want`. */
static void assert_took(char *got, const char *want)
{
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_ipv6_as_powerdns_prints_it(void **state)
{
    static const char *const cases[][2] = {
        {"2001:DB8::0001", "2001:db8::1"},
        {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:DB8:0:0:0:0:0:0", "2001:db8::"},
        {"fe80:0:0:0:1:0:0:0", "fe80::1:0:0:0"},
        {"1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"},
        {"0:0:1::", "0:0:1::"},
        {"::", "::"},
        {"::1", "::1"},
        {"::ffff:1.2.3.4", "::ffff:102:304"},
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
        {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
    };
    char out[48];
    size_t size = sizeof out;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(tu_dns_canonical_ipv6(cases[i][0], out, size), 0);
        assert_string_equal(out, cases[i][1]);
    }
    assert_int_equal(tu_dns_canonical_ipv6("192.0.2.1", out, size), -1);
    assert_int_equal(tu_dns_canonical_ipv6("not-an-ip", out, size), -1);
}

static void test_names(void **state)
{
    (void)state;
    assert_true(tu_dns_in_zone("www.example.org.", "example.org."));
    assert_true(tu_dns_in_zone("example.org.", "example.org."));
    assert_false(tu_dns_in_zone("myexample.org.", "example.org."));
    assert_false(tu_dns_in_zone("org.", "example.org."));
    assert_true(tu_dns_in_zone("anything.", "."));

    assert_took(tu_dns_absolute_name("WWW", "example.org."),
                "www.example.org.");
    assert_took(tu_dns_absolute_name("@", "example.org."), "example.org.");
    assert_took(tu_dns_absolute_name("", "example.org."), "example.org.");
    assert_took(tu_dns_absolute_name("Mail.Example.ORG.", "example.org."),
                "mail.example.org.");
    assert_took(tu_dns_absolute_name("www", "."), "www.");
    assert_took(tu_dns_absolute_zone_name("Example.Org"), "example.org.");
}

static void test_a_labels(void **state)
{
    const char *why = NULL;
    (void)state;
    assert_true(tu_dns_ascii_only("www.example.org."));
    assert_false(tu_dns_ascii_only("bücher.example."));
    assert_took(tu_dns_a_label("Bücher.example.", &why),
                "xn--bcher-kva.example.");
    assert_took(tu_dns_a_label("ASCII.example.", &why), "ASCII.example.");
    /* a leading combining mark: IDNA refuses the label and says why */
    assert_null(tu_dns_a_label("\xcc\x81" "a.example.", &why));
    assert_non_null(why);
    assert_string_not_equal(why, "out of memory");
    assert_took(tu_dns_absolute_zone_name("Bücher.Example"),
                "xn--bcher-kva.example.");
}

static void test_soa_serial(void **state)
{
    (void)state;
    assert_took(tu_dns_soa_with_serial("a. b.  17 1 2 3 4", "0"),
                "a. b.  0 1 2 3 4");
    assert_took(tu_dns_soa_with_serial("a. b.", "5"), "a. b.");
}

/* Only the name fields of a type become A-labels; AAAA is canonical; an
 * SOA has serial 0. */
static void test_canonical_content(void **state)
{
    (void)state;
    assert_took(tu_dns_canonical_content("MX", "10 maïl.bücher.example."),
                "10 xn--mal-0ma.xn--bcher-kva.example.");
    assert_took(tu_dns_canonical_content("SRV", "10 5  5060 sïp.example."),
                "10 5  5060 xn--sp-tja.example.");
    assert_took(tu_dns_canonical_content("TXT", "\"grüße\""),
                "\"grüße\"");
    assert_took(tu_dns_canonical_content("AAAA", "2001:DB8::0001"),
                "2001:db8::1");
    assert_took(tu_dns_canonical_content("AAAA", "not-an-ip"), "not-an-ip");
    assert_took(tu_dns_canonical_content("SOA", "ns1.x. h.x. 2026113007 1 2 "
                                                "3 4"),
                "ns1.x. h.x. 0 1 2 3 4");
    assert_took(tu_dns_canonical_content(NULL, "anything"), "anything");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv6_as_powerdns_prints_it),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_a_labels),
        cmocka_unit_test(test_soa_serial),
        cmocka_unit_test(test_canonical_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
