/* test_powerdns_provider.c -- the pure parts of the PowerDNS provider
 * (engine/providers/powerdns*.c): target parsing, names made absolute
 * (relative, "@", the `zone` field, longest zone), record normalisation
 * (contents as a sorted set, AAAA as PowerDNS prints it, shorthands,
 * located errors), protection, export, the live rrset filter (and the
 * common rrset read from its text without jansson), the PATCH rrsets
 * built for each action (the same bytes from packed records as from
 * jansson objects), and their order. The provider's operations are
 * reached through its table, the rest through powerdns.h; the DNS name
 * helpers have their own test (test_dns_name.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/provider.h"
#include "engine/providers/powerdns.h"
#include "state/error.h"
#include "state/record.h"
#include "state/srcmap.h"

extern const tu_provider_ops tu_provider_powerdns;
static const tu_provider_ops *const pdns = &tu_provider_powerdns;
static const pdns_cfg no_registry;  /* ownership marks as comments */

/* ---- helpers ------------------------------------------------------------ */

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad JSON <<%s>>: %s", text, jerr.text);
    return v;
}

/* Parse a target; NULL with err set on failure. */
static pdns_cfg *parse(const char *target_json, tu_error *err)
{
    json_t *target = load(target_json);
    tu_srcmap *map = tu_srcmap_new();
    void *cfg = NULL;
    int rc;

    assert_non_null(map);
    rc = pdns->parse(target, map, &cfg, err);
    tu_srcmap_free(map);
    json_decref(target);
    return rc == 0 ? cfg : NULL;
}

static pdns_cfg *parse_ok(const char *target_json)
{
    tu_error err = {0};
    pdns_cfg *c = parse(target_json, &err);
    if (!c)
        fail_msg("parse <<%s>>: %s", target_json, err.message);
    return c;
}

static void assert_parse_error(const char *target_json, const char *needle)
{
    tu_error err = {0};
    pdns_cfg *c = parse(target_json, &err);
    if (c) {
        pdns->free(c);
        fail_msg("parse <<%s>> succeeded", target_json);
    }
    if (!strstr(err.message, needle))
        fail_msg("parse <<%s>>: '%s' lacks '%s'", target_json, err.message,
                 needle);
}

static const tu_srcpos here = {"d.yaml", 7, 5};

/* Normalise `record_json`, compare with `want_json`. */
static void assert_normal(pdns_cfg *c, const char *record_json,
                          const char *want_json)
{
    json_t *fields = load(record_json), *want = load(want_json);
    tu_error err = {0};
    if (pdns->normalize(fields, here, c, &err) != 0)
        fail_msg("normalize <<%s>>: %s", record_json, err.message);
    if (!json_equal(fields, want)) {
        char *got = json_dumps(fields, JSON_SORT_KEYS);
        fail_msg("normalize <<%s>>: got %s, want %s", record_json, got,
                 want_json);
    }
    json_decref(fields);
    json_decref(want);
}

static void assert_normal_error(pdns_cfg *c, const char *record_json,
                                const char *needle)
{
    json_t *fields = load(record_json);
    tu_error err = {0};
    if (pdns->normalize(fields, here, c, &err) == 0)
        fail_msg("normalize <<%s>> succeeded", record_json);
    if (strncmp(err.message, "d.yaml:7:5: ", 12) != 0 ||
        !strstr(err.message, needle))
        fail_msg("normalize <<%s>>: '%s' lacks 'd.yaml:7:5: ' or '%s'",
                 record_json, err.message, needle);
    json_decref(fields);
}

static tu_record *record(const char *fields_json)
{
    tu_record *r = calloc(1, sizeof *r);
    assert_non_null(r);
    assert_int_equal(tu_record_set_fields(r, load(fields_json)), 0);
    return r;
}

static void record_free(tu_record *r)
{
    if (r)
        tu_record_clear(r);
    free(r);
}

/* The rrset's text for `a` (tu_pdns_rrset_write), malloc'd; NULL with
 * *why set. */
static char *rrset_json(const pdns_cfg *c, const tu_action *a,
                                const char **why)
{
    tu_buffer b = TU_BUFFER_INIT;
    char *text;

    if (tu_pdns_rrset_write(c, a, &b, why) != 0) {
        tu_buffer_free(&b);
        return NULL;
    }
    text = tu_buffer_take(&b);
    assert_non_null(text);
    return text;
}

static void assert_rrset(const tu_action *a, const char *want_json);

/* ---- configuration ------------------------------------------------------ */

static void test_parse(void **state)
{
    pdns_cfg *c = parse_ok("{\"zones\": [\"Example.ORG\", \"b.net.\"]}");
    (void)state;
    assert_string_equal(c->server, "localhost");
    assert_int_equal(c->batch_size, 10000);
    assert_int_equal(c->batch_bytes, 1792 * 1024);
    assert_int_equal(c->write_concurrency, 1);
    assert_int_equal(c->nzones, 2);
    assert_string_equal(c->zones[0], "example.org.");
    assert_string_equal(c->zones[1], "b.net.");
    assert_int_equal(tu_pdns_zone_index(c, "x.b.net."), 1);
    assert_int_equal(tu_pdns_zone_index(c, "x.c.net."), -1);
    pdns->free(c);

    c = parse_ok("{\"zones\": \"a.org\", \"server\": \"s1\", "
                 "\"batch_size\": 2, \"batch_bytes\": 4096}");
    assert_string_equal(c->server, "s1");
    assert_int_equal(c->batch_size, 2);
    assert_int_equal(c->batch_bytes, 4096);
    assert_int_equal(c->nzones, 1);
    pdns->free(c);

    assert_parse_error("{}", "zones");
    assert_parse_error("{\"zones\": []}", "at least one zone");
    assert_parse_error("{\"zones\": [\"a.org\", \"A.ORG.\"]}",
                       "'a.org.' is listed twice");
    assert_parse_error("{\"zones\": [\"a.org\", \"sub.a.org\"]}",
                       "'sub.a.org.' lies inside 'a.org.'");
    assert_parse_error("{\"zones\": [\"a.org\"], \"batch_size\": 0}",
                       "batch_size");
    assert_parse_error("{\"zones\": [\"a.org\"], \"batch_size\": 100001}",
                       "batch_size");
    assert_parse_error("{\"zones\": [\"a.org\"], \"batch_bytes\": 4095}",
                       "batch_bytes");
    assert_parse_error("{\"zones\": [\"a.org\"], \"server\": 1}", "server");
}

/* ---- normalising -------------------------------------------------------- */

static void test_normalize_one_zone(void **state)
{
    pdns_cfg *c = parse_ok("{\"zones\": [\"example.org.\"]}");
    (void)state;
    assert_normal(c, "{\"name\": \"www\", \"type\": \"a\", \"ttl\": 300, "
                     "\"records\": [\"192.0.2.2\", \"192.0.2.1\", "
                     "\"192.0.2.2\"]}",
                  "{\"name\": \"www.example.org.\", \"type\": \"A\", "
                  "\"ttl\": 300, \"records\": [\"192.0.2.1\", "
                  "\"192.0.2.2\"]}");
    assert_normal(c, "{\"name\": \"@\", \"type\": \"MX\", "
                     "\"content\": \"10 mx.example.org.\"}",
                  "{\"name\": \"example.org.\", \"type\": \"MX\", "
                  "\"records\": [\"10 mx.example.org.\"]}");
    assert_normal(c, "{\"name\": \"WWW.Example.Org.\", \"type\": \"AAAA\", "
                     "\"ttl\": 60.0, \"records\": \"2001:DB8::0001\"}",
                  "{\"name\": \"www.example.org.\", \"type\": \"AAAA\", "
                  "\"ttl\": 60, \"records\": [\"2001:db8::1\"]}");
    assert_normal(c, "{\"name\": \"x\", \"type\": \"TXT\"}",
                  "{\"name\": \"x.example.org.\", \"type\": \"TXT\"}");
    assert_normal(c, "{\"name\": \"*.w\", \"type\": \"A\", "
                     "\"zone\": \"EXAMPLE.org\"}",
                  "{\"name\": \"*.w.example.org.\", \"type\": \"A\"}");
    /* normalising twice changes nothing (live records pass through too) */
    assert_normal(c, "{\"name\": \"www.example.org.\", \"type\": \"A\", "
                     "\"ttl\": 300, \"records\": [\"192.0.2.1\"]}",
                  "{\"name\": \"www.example.org.\", \"type\": \"A\", "
                  "\"ttl\": 300, \"records\": [\"192.0.2.1\"]}");
    pdns->free(c);
}

/* Internationalised names become A-labels, in names and in the name
 * fields of contents; other contents keep their UTF-8. */
static void test_idn(void **state)
{
    pdns_cfg *c = parse_ok("{\"zones\": [\"bücher.example.\"]}");
    (void)state;
    assert_string_equal(c->zones[0], "xn--bcher-kva.example.");
    assert_normal(c, "{\"name\": \"Ümlaut\", \"type\": \"CNAME\", "
                     "\"content\": \"zïel.bücher.example.\"}",
                  "{\"name\": \"xn--mlaut-jva.xn--bcher-kva.example.\", "
                  "\"type\": \"CNAME\", \"records\": "
                  "[\"xn--zel-zma.xn--bcher-kva.example.\"]}");
    assert_normal(c, "{\"name\": \"_sip._tcp.bücher.example.\", "
                     "\"type\": \"SRV\", \"records\": [\"10 5  5060 "
                     "sïp.bücher.example.\", \"0 0 1 ascii.example.\"]}",
                  "{\"name\": \"_sip._tcp.xn--bcher-kva.example.\", "
                  "\"type\": \"SRV\", \"records\": [\"0 0 1 "
                  "ascii.example.\", \"10 5  5060 "
                  "xn--sp-tja.xn--bcher-kva.example.\"]}");
    assert_normal(c, "{\"name\": \"@\", \"type\": \"MX\", "
                     "\"content\": \"10 maïl.bücher.example.\"}",
                  "{\"name\": \"xn--bcher-kva.example.\", \"type\": "
                  "\"MX\", \"records\": [\"10 "
                  "xn--mal-0ma.xn--bcher-kva.example.\"]}");
    assert_normal(c, "{\"name\": \"t\", \"type\": \"TXT\", "
                     "\"content\": \"\\\"grüße\\\"\"}",
                  "{\"name\": \"t.xn--bcher-kva.example.\", \"type\": "
                  "\"TXT\", \"records\": [\"\\\"grüße\\\"\"]}");
    /* a leading combining mark: IDNA refuses the label */
    assert_normal_error(c, "{\"name\": \"\\u0301a\", \"type\": \"A\"}",
                        "is not a valid internationalised domain name");
    pdns->free(c);
}

/* An SOA is compared without its serial; the live one is kept in
 * `serial` and a REPLACE sends it back. */
static void test_soa_serial(void **state)
{
    pdns_cfg *c = parse_ok("{\"zones\": [\"example.org.\"]}");
    json_t *in = load("{\"name\": \"example.org.\", \"type\": \"SOA\", "
                      "\"ttl\": 3600, \"records\": [{\"content\": "
                      "\"ns1.example.org. h.example.org. 2026113007 10800 "
                      "3600 604800 300\", \"disabled\": false}]}");
    json_t *live = tu_pdns_live_rrset(in);
    tu_record *d = record("{\"name\": \"example.org.\", \"type\": \"SOA\", "
                          "\"ttl\": 3600, \"records\": [\"ns2.example.org. "
                          "h.example.org. 0 10800 3600 604800 300\"]}");
    tu_record *l = record("{}");
    tu_action a;
    (void)state;
    assert_normal(c, "{\"name\": \"@\", \"type\": \"SOA\", \"content\": "
                     "\"ns1.example.org.  h.example.org. 17 10800 3600 "
                     "604800 300\"}",
                  "{\"name\": \"example.org.\", \"type\": \"SOA\", "
                  "\"records\": [\"ns1.example.org.  h.example.org. 0 10800 "
                  "3600 604800 300\"]}");
    assert_normal_error(c, "{\"name\": \"@\", \"type\": \"A\", "
                           "\"serial\": 5}", "'serial' belongs to an SOA");
    assert_int_equal(json_integer_value(json_object_get(live, "serial")),
                     2026113007);
    assert_int_equal(tu_record_set_fields(l, live), 0);
    memset(&a, 0, sizeof a);
    a.kind = TU_ACTION_UPDATE;
    a.desired = d;
    a.live = l;
    assert_rrset(&a, "{\"name\": \"example.org.\", \"type\": \"SOA\", "
                     "\"ttl\": 3600, \"changetype\": \"REPLACE\", "
                     "\"records\": [{\"content\": \"ns2.example.org. "
                     "h.example.org. 2026113007 10800 3600 604800 300\", "
                     "\"disabled\": false}]}");
    record_free(d);
    record_free(l);
    json_decref(in);
    pdns->free(c);
}

static void test_normalize_several_zones(void **state)
{
    pdns_cfg *c = parse_ok("{\"zones\": [\"a.org\", \"b.org\"]}");
    (void)state;
    assert_normal(c, "{\"name\": \"www\", \"zone\": \"b.org.\", "
                     "\"type\": \"A\"}",
                  "{\"name\": \"www.b.org.\", \"type\": \"A\"}");
    assert_normal(c, "{\"name\": \"www.a.org.\", \"type\": \"A\"}",
                  "{\"name\": \"www.a.org.\", \"type\": \"A\"}");
    assert_normal_error(c, "{\"name\": \"www\", \"type\": \"A\"}",
                        "is relative (no trailing dot) and target.zones "
                        "lists 2 zones (a.org., b.org.)");
    assert_normal_error(c, "{\"name\": \"www.a.org.\", \"zone\": \"b.org\", "
                           "\"type\": \"A\"}",
                        "'www.a.org.' is not inside zone b.org.");
    assert_normal_error(c, "{\"name\": \"www.c.org.\", \"type\": \"A\"}",
                        "not inside any zone of target.zones (a.org., "
                        "b.org.)");
    assert_normal_error(c, "{\"name\": \"w\", \"zone\": \"c.org\", "
                           "\"type\": \"A\"}",
                        "zone 'c.org' is not one of target.zones");
    pdns->free(c);
}

static void test_normalize_errors(void **state)
{
    pdns_cfg *c = parse_ok("{\"zones\": [\"example.org.\"]}");
    (void)state;
    assert_normal_error(c, "{\"type\": \"A\"}", "'name' is missing");
    assert_normal_error(c, "{\"name\": 1, \"type\": \"A\"}",
                        "'name' must be a string");
    assert_normal_error(c, "{\"name\": \"w\"}", "'type' is missing");
    assert_normal_error(c, "{\"name\": \"w\", \"type\": \"A-B\"}",
                        "not a DNS record type");
    assert_normal_error(c, "{\"name\": \"w\", \"type\": \"A\", \"ttl\": -1}",
                        "'ttl' must be a whole number");
    assert_normal_error(c, "{\"name\": \"w\", \"type\": \"A\", "
                           "\"ttl\": 1.5}", "'ttl' must be a whole number");
    assert_normal_error(c, "{\"name\": \"w\", \"type\": \"A\", "
                           "\"ttl\": \"60\"}", "'ttl' must be a whole");
    assert_normal_error(c, "{\"name\": \"w\", \"type\": \"A\", "
                           "\"records\": []}", "state: absent");
    assert_normal_error(c, "{\"name\": \"w\", \"type\": \"A\", "
                           "\"records\": [1]}", "non-empty string");
    assert_normal_error(c, "{\"name\": \"w\", \"type\": \"A\", "
                           "\"content\": \"\"}", "non-empty string");
    assert_normal_error(c, "{\"name\": \"w\", \"type\": \"A\", "
                           "\"content\": \"x\", \"records\": [\"y\"]}",
                        "not both");
    assert_normal_error(c, "{\"name\": \"w\", \"type\": \"A\", "
                           "\"contents\": [\"x\"]}",
                        "unknown field 'contents' (did you mean "
                        "'content'?)");
    assert_normal_error(c, "{\"name\": \"www.example.org\", \"type\": \"A\"}",
                        "would mean www.example.org.example.org.");
    assert_normal_error(c, "{\"name\": \"example.org\", \"type\": \"A\"}",
                        "has no trailing dot");
    pdns->free(c);
}

/* ---- protection and export ---------------------------------------------- */

static void test_protect_and_export(void **state)
{
    pdns_cfg *c = parse_ok("{\"zones\": [\"example.org.\"]}");
    tu_record *soa = record("{\"name\": \"example.org.\", \"type\": \"SOA\", "
                            "\"ttl\": 3600, \"records\": [\"a. b. 1 2 3 4 "
                            "5\"]}");
    tu_record *ns = record("{\"name\": \"example.org.\", \"type\": \"NS\", "
                           "\"ttl\": 3600, \"records\": [\"ns1.x.\"]}");
    tu_record *sub = record("{\"name\": \"sub.example.org.\", \"type\": "
                            "\"NS\", \"ttl\": 60, \"records\": [\"ns1.x.\"]}");
    json_t *out, *want;
    (void)state;

    assert_true(pdns->protect(c, soa));
    assert_true(pdns->protect(c, ns));
    assert_false(pdns->protect(c, sub));
    assert_null(pdns->export_record(c, soa));
    out = pdns->export_record(c, ns);
    want = load("{\"name\": \"example.org.\", \"type\": \"NS\", "
                "\"ttl\": 3600, \"records\": [\"ns1.x.\"]}");
    assert_true(json_equal(out, want));
    json_decref(out);
    json_decref(want);
    record_free(soa);
    record_free(ns);
    record_free(sub);
    pdns->free(c);
}

/* ---- live rrsets -------------------------------------------------------- */

static void test_live_rrset(void **state)
{
    json_t *in = load("{\"name\": \"a.example.org.\", \"type\": \"A\", "
                      "\"ttl\": 60, \"comments\": [{\"content\": \"hi\"}, "
                      "{\"content\": \"heritage=trueup,trueup/owner=t-1\", "
                      "\"account\": \"trueup\", \"modified_at\": 5}], "
                      "\"records\": [{\"content\": \"192.0.2.2\", "
                      "\"disabled\": false}, {\"content\": \"192.0.2.3\", "
                      "\"disabled\": true}, {\"content\": \"192.0.2.1\"}]}");
    /* the mark becomes `owner`; other comments stay, without modified_at */
    json_t *want = load("{\"name\": \"a.example.org.\", \"type\": \"A\", "
                        "\"ttl\": 60, \"records\": [\"192.0.2.2\", "
                        "\"192.0.2.1\"], \"owner\": \"t-1\", \"comments\": "
                        "[{\"content\": \"hi\", \"account\": \"\"}]}");
    json_t *out = tu_pdns_live_rrset(in), *off;
    (void)state;
    assert_true(json_equal(out, want));
    json_decref(out);
    json_decref(want);
    json_decref(in);
    off = load("{\"name\": \"b.example.org.\", \"type\": \"A\", \"ttl\": 60, "
               "\"records\": [{\"content\": \"192.0.2.3\", "
               "\"disabled\": true}]}");
    assert_null(tu_pdns_live_rrset(off));
    json_decref(off);
}

/* An rrset of the common shape read from its text is what jansson and
 * tu_pdns_live_rrset make of it, and the text is read up to its closing
 * brace; any other is left to them (NULL, nothing read). */
static void assert_rrset_text(const char *text, int taken)
{
    size_t used = 99;
    int oom = 1;
    json_t *fast = tu_pdns_live_rrset_text(text, strlen(text), &used, &oom);
    json_error_t jerr;
    json_t *v, *slow;
    char *a, *b;

    assert_int_equal(oom, 0);
    if (!taken) {
        if (fast)
            fail_msg("read without jansson: %s", text);
        assert_int_equal(used, 0);
        return;
    }
    if (!fast)
        fail_msg("left to jansson: %s", text);
    v = json_loadb(text, strlen(text), JSON_DISABLE_EOF_CHECK, &jerr);
    assert_non_null(v);
    assert_int_equal(used, jerr.position);
    slow = tu_pdns_live_rrset(v);
    a = json_dumps(fast, JSON_COMPACT);
    b = json_dumps(slow, JSON_COMPACT);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(slow);
    json_decref(v);
    json_decref(fast);
}

static void test_live_rrset_text(void **state)
{
    (void)state;
    assert_rrset_text("{\"comments\": [], \"name\": \"h.example.org.\", "
                      "\"records\": [{\"content\": \"10.0.0.1\", "
                      "\"disabled\": false}], \"ttl\": 3600, "
                      "\"type\": \"A\"}, {\"next\": 1}]", 1);
    assert_rrset_text("{\"type\":\"MX\",\"ttl\":0,\"name\":\"m.example.org.\","
                      "\"records\":[{\"disabled\":true,\"content\":\"1 a.\"},"
                      "{\"disabled\":false,\"content\":\"2 b.\"}]}", 1);
    /* left to jansson: a comment, an escape, non-ASCII, an SOA, nothing
     * enabled, a real ttl, a member twice, one more member, a record
     * without `disabled`, bad JSON */
    assert_rrset_text("{\"comments\": [{\"content\": \"c\", \"account\": "
                      "\"\"}], \"name\": \"h.example.org.\", \"records\": "
                      "[{\"content\": \"10.0.0.1\", \"disabled\": false}], "
                      "\"ttl\": 60, \"type\": \"A\"}", 0);
    assert_rrset_text("{\"name\": \"t.example.org.\", \"records\": "
                      "[{\"content\": \"\\\"x\\\"\", \"disabled\": false}], "
                      "\"ttl\": 60, \"type\": \"TXT\"}", 0);
    assert_rrset_text("{\"name\": \"t\xc3\xa9.example.org.\", \"records\": "
                      "[{\"content\": \"10.0.0.1\", \"disabled\": false}], "
                      "\"ttl\": 60, \"type\": \"A\"}", 0);
    assert_rrset_text("{\"name\": \"example.org.\", \"records\": "
                      "[{\"content\": \"a. b. 1 2 3 4 5\", \"disabled\": "
                      "false}], \"ttl\": 60, \"type\": \"SOA\"}", 0);
    assert_rrset_text("{\"name\": \"d.example.org.\", \"records\": "
                      "[{\"content\": \"10.0.0.1\", \"disabled\": true}], "
                      "\"ttl\": 60, \"type\": \"A\"}", 0);
    assert_rrset_text("{\"name\": \"r.example.org.\", \"records\": "
                      "[{\"content\": \"10.0.0.1\", \"disabled\": false}], "
                      "\"ttl\": 60.0, \"type\": \"A\"}", 0);
    assert_rrset_text("{\"name\": \"a.\", \"name\": \"b.\", \"records\": "
                      "[{\"content\": \"10.0.0.1\", \"disabled\": false}], "
                      "\"ttl\": 60, \"type\": \"A\"}", 0);
    assert_rrset_text("{\"name\": \"a.\", \"records\": [{\"content\": "
                      "\"10.0.0.1\", \"disabled\": false}], \"ttl\": 60, "
                      "\"type\": \"A\", \"modified_at\": 1}", 0);
    assert_rrset_text("{\"name\": \"a.\", \"records\": [{\"content\": "
                      "\"10.0.0.1\"}], \"ttl\": 60, \"type\": \"A\"}", 0);
    assert_rrset_text("{\"name\": \"a.\", \"records\": [{\"content\": "
                      "\"10.0.0.1\", \"disabled\": false}], \"ttl\": 060, "
                      "\"type\": \"A\"}", 0);
    assert_rrset_text("{\"name\": \"a.\", \"records\": [{\"content\": "
                      "\"10.0.0.1\", \"disabled\": false}], \"ttl\": 60, "
                      "\"type\": \"A\"", 0);
}

/* ---- PATCH bodies ------------------------------------------------------- */

static void assert_rrset(const tu_action *a, const char *want_json)
{
    const char *why = NULL;
    char *text = rrset_json(&no_registry, a, &why);
    json_t *got, *want = load(want_json);
    if (!text)
        fail_msg("tu_pdns_rrset_write failed: %s", why);
    got = load(text);
    if (!json_equal(got, want))
        fail_msg("rrset: got %s, want %s", text, want_json);
    free(text);
    json_decref(got);
    json_decref(want);
}

static void test_rrset_bodies(void **state)
{
    tu_record *live = record("{\"name\": \"w.example.org.\", \"type\": \"A\", "
                             "\"ttl\": 300, \"records\": [\"192.0.2.1\"]}");
    tu_record *ttl_only = record("{\"name\": \"w.example.org.\", "
                                 "\"type\": \"A\", \"ttl\": 60}");
    tu_record *no_ttl = record("{\"name\": \"n.example.org.\", "
                               "\"type\": \"A\", "
                               "\"records\": [\"192.0.2.9\"]}");
    tu_action a;
    const char *why = NULL;
    (void)state;

    memset(&a, 0, sizeof a);
    a.kind = TU_ACTION_UPDATE;   /* the live rrset with the desired ttl */
    a.desired = ttl_only;
    a.live = live;
    assert_rrset(&a, "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                     "\"ttl\": 60, \"changetype\": \"REPLACE\", \"records\": "
                     "[{\"content\": \"192.0.2.1\", \"disabled\": false}]}");

    a.kind = TU_ACTION_DELETE;   /* a prune delete */
    a.desired = NULL;
    assert_rrset(&a, "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                     "\"changetype\": \"DELETE\"}");

    a.kind = TU_ACTION_CREATE;
    a.desired = no_ttl;
    a.live = NULL;
    assert_null(rrset_json(&no_registry, &a, &why));
    assert_non_null(strstr(why, "ttl is required to create an rrset"));

    a.desired = ttl_only;
    assert_null(rrset_json(&no_registry, &a, &why));
    assert_non_null(strstr(why, "records (or content) is required"));

    record_free(live);
    record_free(ttl_only);
    record_free(no_ttl);
}

/* An owner's mark goes out as a comment beside the live rrset's others;
 * declared comments replace those; without either, no comments key (so
 * PowerDNS keeps the rrset's comments). */
static void test_rrset_marks(void **state)
{
    tu_record *live = record("{\"name\": \"w.example.org.\", \"type\": \"A\", "
                             "\"ttl\": 300, \"records\": [\"192.0.2.1\"], "
                             "\"comments\": [{\"content\": \"hi\", "
                             "\"account\": \"bob\"}]}");
    tu_record *mine = record("{\"name\": \"w.example.org.\", \"type\": \"A\", "
                             "\"ttl\": 60, \"owner\": \"t\"}");
    tu_record *said = record("{\"name\": \"w.example.org.\", \"type\": \"A\", "
                             "\"ttl\": 60, \"comments\": [{\"content\": "
                             "\"new\", \"account\": \"\"}]}");
    tu_action a;
    (void)state;

    memset(&a, 0, sizeof a);
    a.kind = TU_ACTION_UPDATE;
    a.desired = mine;
    a.live = live;
    assert_rrset(&a, "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                     "\"ttl\": 60, \"changetype\": \"REPLACE\", \"records\": "
                     "[{\"content\": \"192.0.2.1\", \"disabled\": false}], "
                     "\"comments\": [{\"content\": \"hi\", \"account\": "
                     "\"bob\"}, {\"content\": \"heritage=trueup,trueup/"
                     "owner=t\", \"account\": \"trueup\"}]}");
    a.desired = said;
    assert_rrset(&a, "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                     "\"ttl\": 60, \"changetype\": \"REPLACE\", \"records\": "
                     "[{\"content\": \"192.0.2.1\", \"disabled\": false}], "
                     "\"comments\": [{\"content\": \"new\", \"account\": "
                     "\"\"}]}");
    record_free(live);
    record_free(mine);
    record_free(said);
}

/* ---- the same bytes from packed records --------------------------------- */

/* A record held packed, as the desired and live sets hold them. */
static tu_record packed_record(tu_pack_store *s, const char *fields_json)
{
    json_t *o = load(fields_json);
    tu_record r;

    memset(&r, 0, sizeof r);
    r.packed = tu_pack(s, o);
    assert_non_null(r.packed);
    json_decref(o);
    return r;
}

/* The rrset of (kind, desired, live) with the records packed is the text
 * (or the error) of the same records as jansson objects, byte for byte;
 * `packed` says whether it was written from the packed records (which
 * then stay without a jansson form) or through jansson. */
static void assert_same_rrset(const pdns_cfg *c, tu_action_kind kind,
                              const char *desired, const char *live,
                              int packed)
{
    tu_pack_store s;
    tu_record dp, lp, *dj = desired ? record(desired) : NULL,
                      *lj = live ? record(live) : NULL;
    tu_action a, b;
    const char *why_p = NULL, *why_j = NULL;
    char *text_p, *text_j;

    tu_pack_store_init(&s);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.kind = b.kind = kind;
    if (desired)
        dp = packed_record(&s, desired), a.desired = &dp, b.desired = dj;
    if (live)
        lp = packed_record(&s, live), a.live = &lp, b.live = lj;
    text_p = rrset_json(c, &a, &why_p);
    text_j = rrset_json(c, &b, &why_j);
    if (!text_p || !text_j) {
        if (text_p || text_j || strcmp(why_p, why_j) != 0)
            fail_msg("%s | %s: packed %s (%s), jansson %s (%s)", desired,
                     live, text_p, why_p, text_j, why_j);
    } else if (strcmp(text_p, text_j) != 0) {
        fail_msg("packed  %s\njansson %s", text_p, text_j);
    }
    assert_int_equal(tu_record_packed(a.desired ? a.desired : a.live) != NULL,
                     packed);
    free(text_p);
    free(text_j);
    if (desired)
        tu_record_clear(&dp);
    if (live)
        tu_record_clear(&lp);
    record_free(dj);
    record_free(lj);
    tu_pack_store_free(&s);
}

static void test_rrset_packed(void **state)
{
    static const pdns_cfg registry = {.txt_prefix = "reg-"};
    const char *live = "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                       "\"ttl\": 300, \"records\": [\"192.0.2.1\", "
                       "\"192.0.2.2\"]}";
    (void)state;

    assert_same_rrset(&no_registry, TU_ACTION_UPDATE,
                      "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                      "\"ttl\": 600, \"records\": [\"192.0.2.3\"]}", live, 1);
    assert_same_rrset(&no_registry, TU_ACTION_UPDATE,   /* ttl alone */
                      "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                      "\"ttl\": 60}", live, 1);
    assert_same_rrset(&registry, TU_ACTION_UPDATE,      /* no owner */
                      "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                      "\"ttl\": 60.5}", live, 1);
    assert_same_rrset(&no_registry, TU_ACTION_CREATE,   /* escapes */
                      "{\"name\": \"t\\u00e9.example.org.\", \"type\": "
                      "\"TXT\", \"ttl\": 0, \"records\": [\"\\\"a \\\\ b\\\" "
                      "\\u0001\\u007f/\\u2028 \\ud83d\\ude00\"]}", NULL, 1);
    assert_same_rrset(&no_registry, TU_ACTION_CREATE,
                      "{\"name\": \"e.example.org.\", \"type\": \"A\", "
                      "\"ttl\": 1, \"records\": []}", NULL, 1);
    assert_same_rrset(&no_registry, TU_ACTION_DELETE, NULL, live, 1);
    assert_same_rrset(&no_registry, TU_ACTION_DELETE,
                      "{\"name\": \"w.example.org.\", \"type\": \"A\"}",
                      live, 1);
    /* through jansson: a mark, declared comments, an SOA's serial */
    assert_same_rrset(&no_registry, TU_ACTION_UPDATE,
                      "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                      "\"ttl\": 60, \"owner\": \"me\"}", live, 0);
    assert_same_rrset(&registry, TU_ACTION_DELETE, NULL,
                      "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                      "\"owner\": \"me\"}", 0);
    assert_same_rrset(&no_registry, TU_ACTION_UPDATE,
                      "{\"name\": \"w.example.org.\", \"type\": \"A\", "
                      "\"ttl\": 60, \"comments\": [{\"content\": \"c\", "
                      "\"account\": \"\"}]}", live, 0);
    assert_same_rrset(&no_registry, TU_ACTION_UPDATE,
                      "{\"name\": \"example.org.\", \"type\": \"SOA\", "
                      "\"ttl\": 60, \"serial\": 7, \"records\": [\"a. b. 1 "
                      "2 3 4 5\"]}", NULL, 0);
    /* the same error either way */
    assert_same_rrset(&no_registry, TU_ACTION_CREATE,
                      "{\"name\": \"n.example.org.\", \"type\": \"A\", "
                      "\"records\": [\"192.0.2.9\"]}", NULL, 0);
    assert_same_rrset(&no_registry, TU_ACTION_CREATE,
                      "{\"name\": \"n.example.org.\", \"type\": \"A\", "
                      "\"ttl\": 5, \"records\": [7]}", NULL, 0);
}

static void test_pending_order(void **state)
{
    tu_action x, y, z, w;
    pdns_pending p[] = {{1, 0, 0, &x}, {0, 0, 1, &y}, {1, 1, 2, &z},
                   {0, 0, 3, &w}};
    (void)state;
    qsort(p, 4, sizeof *p, tu_pdns_pending_order);
    /* zone 0 in plan order, then zone 1 with its delete first */
    assert_ptr_equal(p[0].action, &y);
    assert_ptr_equal(p[1].action, &w);
    assert_ptr_equal(p[2].action, &z);
    assert_ptr_equal(p[3].action, &x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_normalize_one_zone),
        cmocka_unit_test(test_normalize_several_zones),
        cmocka_unit_test(test_normalize_errors),
        cmocka_unit_test(test_protect_and_export),
        cmocka_unit_test(test_live_rrset),
        cmocka_unit_test(test_live_rrset_text),
        cmocka_unit_test(test_rrset_bodies),
        cmocka_unit_test(test_rrset_marks),
        cmocka_unit_test(test_rrset_packed),
        cmocka_unit_test(test_soa_serial),
        cmocka_unit_test(test_idn),
        cmocka_unit_test(test_pending_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
