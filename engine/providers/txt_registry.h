/* txt_registry.h -- ownership marks kept as TXT records beside the
 * records they mark, as external-dns's TXT registry keeps them
 * (kubernetes-sigs/external-dns docs/registry/txt.md, registry/txt.go),
 * for DNS APIs that cannot hold a comment on an rrset.
 *
 * The rrset NAME of type TYPE owned by ID is marked by one TXT rrset:
 *
 *   name     PREFIX + first label of NAME + "." + the rest of NAME, where
 *            %{record_type} in PREFIX is TYPE in lower case; a PREFIX
 *            without %{record_type} gets "type-" put before the first
 *            label instead (external-dns's new format)
 *   content  "heritage=trueup,trueup/owner=ID" (one quoted string)
 *
 * With the default prefix "_trueup-%{record_type}." the mark of
 * www.example.org. A is _trueup-a.www.example.org. TXT, and that of the
 * apex example.org. MX is _trueup-mx.example.org. TXT: a name of its own
 * below the record's, so it never sits beside a CNAME nor leaves the zone.
 * The mark of the wildcard *.dev.example.org. A is
 * _trueup-a._wildcard.dev.example.org. TXT (the `*` replaced).
 * A TXT rrset whose one content is such a mark is a registry record,
 * whatever its name; the provider hides it from the live records.
 */
#ifndef TU_ENGINE_PROVIDERS_TXT_REGISTRY_H
#define TU_ENGINE_PROVIDERS_TXT_REGISTRY_H

#define TU_TXT_REGISTRY_PREFIX "_trueup-%{record_type}."
#define TU_TXT_REGISTRY_WILDCARD "_wildcard"
#define TU_TXT_REGISTRY_HERITAGE "heritage=trueup,trueup/owner="

/* The registry name of the rrset `name` (absolute) of type `type` under
 * `prefix`, a wildcard first label `*` replaced by `wildcard` (PowerDNS
 * refuses a `*` anywhere but first: external-dns's
 * --txt-wildcard-replacement): malloc'd, or NULL when out of memory. */
char *tu_txt_registry_name(const char *prefix, const char *wildcard,
                           const char *name, const char *type);

/* The content of ID's mark, quoted: malloc'd, or NULL. */
char *tu_txt_registry_content(const char *owner);

/* The owner a registry content names (malloc'd), or NULL when `content`
 * is no mark (or out of memory). */
char *tu_txt_registry_owner(const char *content);

/* Why `prefix` cannot be a registry prefix (nor a wildcard replacement),
 * or NULL when it can. */
const char *tu_txt_registry_prefix_problem(const char *prefix);

#endif
