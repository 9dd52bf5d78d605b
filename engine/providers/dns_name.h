/* dns_name.h -- DNS names and record contents in the forms they are
 * compared in: internationalised labels as A-labels (libidn2), names
 * lower-cased and absolute (a trailing dot), names relative to a zone,
 * whether a name lies in a zone, IPv6 addresses and the name fields of
 * contents (CNAME, MX, SRV, ...) as PowerDNS prints them, an SOA's serial.
 * Pure string work: nothing here knows a provider's configuration.
 * Strings returned are malloc'd (the caller frees them).
 */
#ifndef TU_ENGINE_PROVIDERS_DNS_NAME_H
#define TU_ENGINE_PROVIDERS_DNS_NAME_H

#include <stddef.h>

/* 1 when `s` holds only ASCII bytes. */
int tu_dns_ascii_only(const char *s);

/* `name` with its internationalised labels as A-labels ("ümlaut.example."
 * -> "xn--mlaut-jva.example."): IDNA 2008 with the UTS #46
 * non-transitional mapping, which also lower-cases. malloc'd; NULL with
 * *why set (a libidn2 message, or "out of memory"). An ASCII name is only
 * copied. */
char *tu_dns_a_label(const char *name, const char **why);

/* A zone's name lower-cased with a trailing dot, its internationalised
 * labels as A-labels (a name libidn2 refuses is kept as written);
 * malloc'd, NULL when out of memory. */
char *tu_dns_absolute_zone_name(const char *name);

/* 1 when absolute `name` is absolute `zone` or lies under it ("." holds
 * every name). */
int tu_dns_in_zone(const char *name, const char *zone);

/* `name` made absolute in absolute `zone`: "@" and "" are the apex, a name
 * with a trailing dot is already absolute. Lower-cased; malloc'd, NULL
 * when out of memory. */
char *tu_dns_absolute_name(const char *name, const char *zone);

/* An IPv6 address as PowerDNS prints it (RFC 5952, never with an embedded
 * IPv4 part) into `out` (at least 40 bytes). 0, or -1 when `in` is not an
 * IPv6 address or `size` is too small. */
int tu_dns_canonical_ipv6(const char *in, char *out, size_t size);

/* An SOA content with its serial (the third field) replaced by `serial`;
 * malloc'd (NULL: out of memory), or a copy of `in` when it has fewer
 * than three fields. */
char *tu_dns_soa_with_serial(const char *in, const char *serial);

/* A `type` content (type NULL: any) in the form it is compared in:
 * internationalised names in the name fields of its type as A-labels,
 * AAAA as PowerDNS prints it, an SOA with serial 0. malloc'd, NULL when
 * out of memory. */
char *tu_dns_canonical_content(const char *type, const char *in);

#endif
