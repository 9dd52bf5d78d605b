/* powerdns_rrset.c -- an rrset as PowerDNS lists it, read from the zone's
 * text (powerdns.h): the live record's fields without the jansson tree of
 * the rrset.
 *
 * A zone's GET answer was read rrset by rrset through jansson (an object,
 * its hash table, the records' objects, each string), then turned into the
 * live record (tu_pdns_live_rrset) and freed: half the time of the thread
 * that reads a 10,000-rrset zone (bench/LOG.md, issue 27). This reads the
 * common rrset straight into the live record's object:
 *
 *   - an object of the members name, type, ttl and records, and comments
 *     (empty) or nothing else; no member twice;
 *   - keys and strings of printable ASCII, without escapes;
 *   - ttl a whole number of at most 18 digits, no sign, no fraction;
 *   - records a list of {content: string, disabled: true or false}, at
 *     least one enabled;
 *   - not an SOA (its serial is read apart: live_serial).
 *
 * Anything else is not read (NULL, nothing consumed) and goes through
 * jansson as before, so what this reads it must read as jansson and
 * tu_pdns_live_rrset do: the differential fuzz target fuzz_pdns_rrset
 * holds it to that.
 */
#include "engine/providers/powerdns.h"
#include "util/json_util.h"

#include <string.h>

#define MAX_DIGITS 18            /* a json_int_t, whatever the digits */

typedef struct scan {
    const char *p, *end;
} scan;

/* Past white space, then past `c` when it is next: 1, else 0. */
static int eat(scan *s, char c)
{
    s->p = tu_json_skip_space(s->p, s->end);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

/* A string of printable ASCII without escapes: *at and *n its bytes. */
static int string(scan *s, const char **at, size_t *n)
{
    const char *q;

    if (!eat(s, '"'))
        return 0;
    for (q = s->p; q < s->end && *q != '"'; q++) {
        unsigned char c = (unsigned char)*q;
        if (c < 0x20 || c > 0x7e || c == '\\')
            return 0;
    }
    if (q >= s->end)
        return 0;
    *at = s->p;
    *n = (size_t)(q - s->p);
    s->p = q + 1;
    return 1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A whole number as jansson reads an integer: no leading zero, no
 * fraction or exponent after it. */
static int integer(scan *s, json_int_t *v)
{
    const char *q;
    json_int_t x = 0;

    s->p = tu_json_skip_space(s->p, s->end);
    for (q = s->p; q < s->end && is_digit(*q) && q - s->p < MAX_DIGITS; q++)
        x = x * 10 + (*q - '0');
    if (q == s->p || (*s->p == '0' && q - s->p > 1) ||
        (q < s->end && (is_digit(*q) || *q == '.' || *q == 'e' ||
                        *q == 'E')))
        return 0;
    *v = x;
    s->p = q;
    return 1;
}

/* true or false (what follows is checked by the caller's next step). */
static int boolean(scan *s, int *v)
{
    s->p = tu_json_skip_space(s->p, s->end);
    if (s->end - s->p >= 4 && memcmp(s->p, "true", 4) == 0) {
        *v = 1;
        s->p += 4;
        return 1;
    }
    if (s->end - s->p >= 5 && memcmp(s->p, "false", 5) == 0) {
        *v = 0;
        s->p += 5;
        return 1;
    }
    return 0;
}

/* The index of the next member's key among names[0..n) not yet in
 * *seen (a bit each), past its colon; -1 when it is none of them. */
static int which_key(scan *s, const char *const *names, int n,
                     unsigned *seen)
{
    const char *at;
    size_t len;

    if (!string(s, &at, &len) || !eat(s, ':'))
        return -1;
    for (int i = 0; i < n; i++) {
        if (!(*seen & (1u << i)) && strlen(names[i]) == len &&
            memcmp(names[i], at, len) == 0) {
            *seen |= 1u << i;
            return i;
        }
    }
    return -1;
}

/* One record {content, disabled}; its content appended to `contents`
 * when it is enabled. 1, 0 (not of the subset), -1 (out of memory). */
static int record(scan *s, json_t *contents)
{
    static const char *const names[] = {"content", "disabled"};
    const char *at = NULL;
    size_t n = 0;
    int disabled = 1, ok;
    unsigned seen = 0;

    if (!eat(s, '{'))
        return 0;
    do {
        switch (which_key(s, names, 2, &seen)) {
        case 0:
            ok = string(s, &at, &n);
            break;
        case 1:
            ok = boolean(s, &disabled);
            break;
        default:
            ok = 0;
        }
    } while (ok && eat(s, ','));
    if (!ok || seen != 3 || !eat(s, '}'))
        return 0;
    if (disabled)
        return 1;
    return json_array_append_new(contents, json_stringn(at, n)) == 0 ? 1
                                                                    : -1;
}

/* The records' list: the enabled contents into `contents`. 1, 0, -1. */
static int records(scan *s, json_t *contents)
{
    int rc;

    if (!eat(s, '['))
        return 0;
    if (eat(s, ']'))
        return 1;
    do {
        if ((rc = record(s, contents)) <= 0)
            return rc;
    } while (eat(s, ','));
    return eat(s, ']');
}

/* The rrset's members, as they are found. */
typedef struct members {
    const char *name, *type;
    size_t name_len, type_len;
    json_int_t ttl;
    unsigned seen;            /* 1 name, 2 type, 4 ttl, 8 records,
                                 16 comments */
} members;

/* One member of the rrset into `m` (its records into `contents`). 1, 0,
 * -1. */
static int member(scan *s, members *m, json_t *contents)
{
    static const char *const names[] = {"name", "type", "ttl", "records",
                                        "comments"};

    switch (which_key(s, names, 5, &m->seen)) {
    case 0:
        return string(s, &m->name, &m->name_len);
    case 1:
        return string(s, &m->type, &m->type_len);
    case 2:
        return integer(s, &m->ttl);
    case 3:
        return records(s, contents);
    case 4:
        return eat(s, '[') && eat(s, ']');
    default:
        return 0;
    }
}

/* The live record's object of the members read, as tu_pdns_live_rrset
 * makes it (the same members in the same order); NULL when out of memory.
 * `contents` is borrowed. */
static json_t *live_record(const members *m, json_t *contents)
{
    json_t *out = json_object();
    int rc = out ? 0 : -1;

    rc = rc || json_object_set_new(out, "name", json_stringn(m->name,
                                                             m->name_len));
    rc = rc || json_object_set_new(out, "type", json_stringn(m->type,
                                                             m->type_len));
    rc = rc || json_object_set_new(out, "ttl", json_integer(m->ttl));
    rc = rc || json_object_set(out, "records", contents);
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *tu_pdns_live_rrset_text(const char *text, size_t len, size_t *used,
                                int *oom)
{
    scan s = {text, text + len};
    members m = {NULL, NULL, 0, 0, 0, 0};
    json_t *contents = json_array(), *out = NULL;
    int rc = contents ? 1 : -1;

    *used = 0;
    if (rc > 0 && !eat(&s, '{'))
        rc = 0;
    while (rc > 0 && (rc = member(&s, &m, contents)) > 0 && eat(&s, ','))
        ;
    if (rc > 0 && (m.seen & 15) == 15 && eat(&s, '}') &&
        json_array_size(contents) > 0 &&
        !(m.type_len == 3 && memcmp(m.type, "SOA", 3) == 0)) {
        if ((out = live_record(&m, contents)) != NULL)
            *used = (size_t)(s.p - text);
        else
            rc = -1;
    }
    *oom = rc < 0;
    json_decref(contents);
    return out;
}
