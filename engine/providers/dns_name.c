/* dns_name.c -- DNS names and record contents in the forms they are
 * compared in (dns_name.h): A-labels through libidn2, absolute and
 * lower-cased names, names relative to a zone, canonical IPv6 addresses
 * and contents, the name-bearing fields of each record type.
 */
#include "engine/providers/dns_name.h"
#include "util/buffer.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tu_dns_ascii_only(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80)
            return 0;
    }
    return 1;
}

/* `name` with its internationalised labels as A-labels ("ümlaut.example."
 * -> "xn--mlaut-jva.example."), as DNSControl writes them: IDNA 2008 with
 * the UTS #46 non-transitional mapping (libidn2), which also lower-cases.
 * PowerDNS refuses raw UTF-8 names. malloc'd; NULL with *why set (a
 * libidn2 message, or "out of memory"). An ASCII name is only copied. */
char *tu_dns_a_label(const char *name, const char **why)
{
    char *idn = NULL, *out;
    int rc;

    *why = "out of memory";
    if (tu_dns_ascii_only(name))
        return strdup(name);
    rc = idn2_to_ascii_8z(name, &idn, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        *why = idn2_strerror(rc);
        return NULL;
    }
    out = strdup(idn);
    idn2_free(idn);
    return out;
}

static void lower_ascii(char *s)
{
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
    }
}

/* `name` lower-cased with a trailing dot, its internationalised labels
 * as A-labels (a name libidn2 refuses is kept as written: no zone has it);
 * malloc'd. */
char *tu_dns_absolute_zone_name(const char *name)
{
    const char *why;
    char *idn = tu_dns_a_label(name, &why);
    const char *in = idn ? idn : name;
    size_t len = strlen(in);
    int dot = len > 0 && in[len - 1] == '.';
    char *out = malloc(len + 2);

    if (out) {
        memcpy(out, in, len);
        if (!dot)
            out[len++] = '.';
        out[len] = '\0';
        lower_ascii(out);
    }
    free(idn);
    return out;
}

/* 1 when absolute `name` is `zone` or lies under it. */
int tu_dns_in_zone(const char *name, const char *zone)
{
    size_t n = strlen(name), z = strlen(zone);

    if (strcmp(zone, ".") == 0)
        return 1;
    if (n < z || strcmp(name + n - z, zone) != 0)
        return 0;
    return n == z || name[n - z - 1] == '.';
}

/* `name` made absolute in `zone`: "@" and "" are the apex, a name with a
 * trailing dot is already absolute. Lower-cased; malloc'd. */
char *tu_dns_absolute_name(const char *name, const char *zone)
{
    size_t n = strlen(name), z = strlen(zone);
    char *out;

    if (n == 0 || strcmp(name, "@") == 0)
        return strdup(zone);
    if (name[n - 1] == '.')
        out = strdup(name);
    else if ((out = malloc(n + z + 2)) != NULL)
        snprintf(out, n + z + 2, "%s%s%s", name,
                 strcmp(zone, ".") == 0 ? "" : ".",
                 strcmp(zone, ".") == 0 ? "." : zone);
    if (out)
        lower_ascii(out);
    return out;
}

/* An IPv6 address as PowerDNS prints it (RFC 5952: lower-case hex without
 * leading zeros, the longest run of two or more zero groups as "::"), but
 * never with an embedded IPv4 part, which PowerDNS refuses on input.
 * 0, or -1 when `in` is not an IPv6 address. */
int tu_dns_canonical_ipv6(const char *in, char *out, size_t size)
{
    unsigned char a[16];
    unsigned g[8];
    int best = -1, best_len = 0, o = 0;

    if (size < 40 || inet_pton(AF_INET6, in, a) != 1)
        return -1;
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            o += snprintf(out + o, size - (size_t)o, "::");
            i += best_len - 1;
            continue;
        }
        o += snprintf(out + o, size - (size_t)o, "%s%x",
                      i > 0 && i != best + best_len ? ":" : "", g[i]);
    }
    return 0;
}

/* An SOA content with its serial (the third field) replaced by `serial`;
 * malloc'd, or a copy of `in` when it has fewer than three fields. */
char *tu_dns_soa_with_serial(const char *in, const char *serial)
{
    const char *p = in, *start = NULL, *end = NULL;
    size_t n = strlen(in);
    char *out;

    for (int field = 0; field < 3 && *p; field++) {
        p += strspn(p, " \t");
        start = p;
        p += strcspn(p, " \t");
        end = p;
    }
    if (!start || start == end || !*start || !strspn(end, " \t"))
        return strdup(in);
    out = malloc(n + strlen(serial) + 1);
    if (out)
        snprintf(out, n + strlen(serial) + 1, "%.*s%s%s",
                 (int)(start - in), in, serial, end);
    return out;
}

/* Which whitespace-separated fields of a `type` content are domain names
 * (a bit per field, field 0 first); 0 for the other types. */
static unsigned name_fields(const char *type)
{
    static const struct { const char *type; unsigned fields; } t[] = {
        {"CNAME", 1}, {"NS", 1}, {"PTR", 1}, {"DNAME", 1}, {"ALIAS", 1},
        {"MX", 2}, {"AFSDB", 2}, {"KX", 2}, {"SVCB", 2}, {"HTTPS", 2},
        {"SRV", 8}, {"NAPTR", 32}, {"SOA", 3}, {"RP", 3},
    };
    for (size_t i = 0; type && i < sizeof t / sizeof t[0]; i++) {
        if (strcmp(t[i].type, type) == 0)
            return t[i].fields;
    }
    return 0;
}

/* `in` with the internationalised names among its fields (name_fields) as
 * A-labels; a name libidn2 refuses is kept, for PowerDNS to say why.
 * malloc'd, or NULL when out of memory. */
static char *idn_content(const char *type, const char *in)
{
    unsigned fields = name_fields(type);
    tu_buffer out = TU_BUFFER_INIT;
    const char *p = in, *why;

    if (!fields || tu_dns_ascii_only(in))
        return strdup(in);
    for (int field = 0; *p; field++) {
        size_t blanks = strspn(p, " \t"), len = strcspn(p + blanks, " \t");
        char *word = strndup(p + blanks, len), *idn = NULL;
        if (word && field < 32 && (fields >> field & 1) &&
            !tu_dns_ascii_only(word))
            idn = tu_dns_a_label(word, &why);
        if (!word || tu_buffer_add(&out, p, blanks) != 0 ||
            tu_buffer_puts(&out, idn ? idn : word) != 0) {
            free(word);
            free(idn);
            tu_buffer_free(&out);
            return NULL;
        }
        free(word);
        free(idn);
        p += blanks + len;
    }
    return tu_buffer_take(&out);
}

/* A content in the form it is compared in, malloc'd (NULL: out of memory):
 * internationalised names as A-labels, AAAA as PowerDNS prints it, an SOA
 * without its serial (PowerDNS's SOA-EDIT-API rewrites it on every change;
 * powerdns_fetch.c keeps a live one in `serial`). */
char *tu_dns_canonical_content(const char *type, const char *in)
{
    char ip[48], *idn, *out;
    if (type && strcmp(type, "AAAA") == 0 &&
        tu_dns_canonical_ipv6(in, ip, sizeof ip) == 0)
        return strdup(ip);
    if (!(idn = idn_content(type, in)))
        return NULL;
    if (!type || strcmp(type, "SOA") != 0)
        return idn;
    out = tu_dns_soa_with_serial(idn, "0");
    free(idn);
    return out;
}
