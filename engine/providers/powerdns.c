/* powerdns.c -- the PowerDNS Authoritative HTTP API (4.x).
 *
 * A record is an rrset: {name, type, ttl, records: [content, ...]}, keyed by
 * [name, type]. `target` names the API (base_url ".../api/v1"), the
 * `server` (default localhost), the `zones` trueup reconciles, the
 * `batch_size` of a write, and `write_concurrency`, the PATCHes sent at
 * once (default 1: the SQLite backend refuses overlapping writes).
 *
 *   normalize  internationalised names as A-labels (libidn2), in names
 *              and in the name fields of contents (CNAME, MX, SRV...);
 *              names absolute and lower-cased with a trailing dot (a name
 *              without one is relative to its zone: the only zone, or the
 *              one its `zone` field names; "@" is the apex), types upper-
 *              cased, contents a sorted set (AAAA written as PowerDNS
 *              prints it, an SOA with serial 0: SOA-EDIT-API rewrites the
 *              serial, which a live SOA keeps in `serial` and a REPLACE
 *              sends back), `content: x` short for `records: [x]`.
 *   fetch      GET {base_url}/servers/{server}/zones/{zone} for every zone,
 *              all at once; each answer's rrsets become live records: name,
 *              type, ttl and the contents of the enabled records (disabled
 *              records and comments are not part of a record).
 *   push       PATCH {base_url}/servers/{server}/zones/{zone} with
 *              {"rrsets": [...]}: creates and updates as changetype REPLACE
 *              of the whole rrset, deletes as DELETE. Each zone's actions
 *              go out in batches of batch_size rrsets (and at most
 *              PDNS_BATCH_BYTES of body), deletes first, in the zone's lane
 *              (push.h): one PATCH per zone in flight, zones in parallel up
 *              to write_concurrency. PowerDNS applies a PATCH all or nothing
 *              and names one bad rrset, so a refused batch (422) is split
 *              in halves, again and again, until only bad rrsets fail.
 *   protect    the SOA and the apex NS: never pruned nor deleted, changed
 *              only when declared and options.change_protected is set.
 *   owner      an ownership mark is an rrset comment (account "trueup",
 *              content "heritage=trueup,trueup/owner=ID"), read into the
 *              pseudo-field `owner`; the rrset's other comments are kept
 *              in `comments` (never compared) and sent back beside the mark
 *              when a REPLACE carries one. A REPLACE without comments
 *              leaves PowerDNS's comments as they are.
 *   export     {name, type, ttl, records}; the SOA is left out (its serial
 *              changes with every write).
 *   shard_key  the record's zone: --shard splits by zone.
 */
#include "engine/provider.h"
#include "engine/fetch.h"
#include "engine/push.h"
#include "engine/target.h"
#include "engine/urltemplate.h"
#include "util/buffer.h"
#include "state/error.h"
#include "util/json_util.h"
#include "state/listpage.h"
#include "state/schema.h"
#include "util/suggest.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* PowerDNS re-rectifies the whole zone after every PATCH, so fewer, larger
 * batches are faster (10,000 TTL changes: 2.15-2.34 s at 500, 0.80-1.41 s
 * at 2,000; bench/LOG.md); a refused batch fails all its records. */
#define PDNS_DEFAULT_BATCH 2000
#define PDNS_MAX_BATCH 100000
/* Below PowerDNS's default webserver-max-bodysize (2 MB): a larger body is
 * cut off with a connection reset. */
#define PDNS_BATCH_BYTES (1024 * 1024)
#define PDNS_MAX_TTL 2147483647L
/* An ownership mark: an rrset comment of this account and content prefix. */
#define PDNS_MARK_ACCOUNT "trueup"
#define PDNS_MARK_PREFIX "heritage=trueup,trueup/owner="

typedef struct pdns_cfg {
    char *server;
    char **zones;          /* lower case, with a trailing dot */
    size_t nzones;
    long batch_size;
    long write_concurrency; /* PATCHes at once (SQLite: only 1 works) */
} pdns_cfg;

static const char *const target_keys[] = {"server", "zones", "batch_size",
                                          "write_concurrency",
                                          NULL};
static const char *key_fields[] = {"name", "type"};
static const char *const record_fields[] = {"name", "type", "ttl", "records",
                                            "content", "zone", "comments",
                                            "owner", "serial", NULL};

/* ---- names -------------------------------------------------------------- */

static int ascii_only(const char *s)
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
static char *a_label(const char *name, const char **why)
{
    char *idn = NULL, *out;
    int rc;

    *why = "out of memory";
    if (ascii_only(name))
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
static char *absolute_zone_name(const char *name)
{
    const char *why;
    char *idn = a_label(name, &why);
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
static int in_zone(const char *name, const char *zone)
{
    size_t n = strlen(name), z = strlen(zone);

    if (strcmp(zone, ".") == 0)
        return 1;
    if (n < z || strcmp(name + n - z, zone) != 0)
        return 0;
    return n == z || name[n - z - 1] == '.';
}

/* The zone (index) an absolute name belongs to: the longest that holds it;
 * -1 when none does. */
static long zone_index(const pdns_cfg *c, const char *name)
{
    long best = -1;
    for (size_t i = 0; i < c->nzones; i++) {
        if (in_zone(name, c->zones[i]) &&
            (best < 0 || strlen(c->zones[i]) > strlen(c->zones[best])))
            best = (long)i;
    }
    return best;
}

/* "a.org., b.org." (cut short with "..." when long), for messages. */
static const char *zone_list(const pdns_cfg *c, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->nzones && len + 5 < size; i++) {
        int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
                         c->zones[i]);
        if (w < 0 || (size_t)w >= size - len) {
            snprintf(buf + (size > 4 ? size - 4 : 0), 4, "...");
            break;
        }
        len += (size_t)w;
    }
    return buf;
}

/* `name` made absolute in `zone`: "@" and "" are the apex, a name with a
 * trailing dot is already absolute. Lower-cased; malloc'd. */
static char *absolute_name(const char *name, const char *zone)
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

/* ---- contents ----------------------------------------------------------- */

/* An IPv6 address as PowerDNS prints it (RFC 5952: lower-case hex without
 * leading zeros, the longest run of two or more zero groups as "::"), but
 * never with an embedded IPv4 part, which PowerDNS refuses on input.
 * 0, or -1 when `in` is not an IPv6 address. */
static int canonical_ipv6(const char *in, char *out, size_t size)
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

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An SOA content with its serial (the third field) replaced by `serial`;
 * malloc'd, or a copy of `in` when it has fewer than three fields. */
static char *soa_with_serial(const char *in, const char *serial)
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

    if (!fields || ascii_only(in))
        return strdup(in);
    for (int field = 0; *p; field++) {
        size_t blanks = strspn(p, " \t"), len = strcspn(p + blanks, " \t");
        char *word = strndup(p + blanks, len), *idn = NULL;
        if (word && field < 32 && (fields >> field & 1) && !ascii_only(word))
            idn = a_label(word, &why);
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
 * see live_rrset). */
static char *canonical_content(const char *type, const char *in)
{
    char ip[48], *idn, *out;
    if (type && strcmp(type, "AAAA") == 0 &&
        canonical_ipv6(in, ip, sizeof ip) == 0)
        return strdup(ip);
    if (!(idn = idn_content(type, in)))
        return NULL;
    if (!type || strcmp(type, "SOA") != 0)
        return idn;
    out = soa_with_serial(idn, "0");
    free(idn);
    return out;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* The contents as a sorted array of distinct strings in canonical form
 * (canonical_content), or NULL when out of memory. `list` holds only
 * strings. */
static json_t *content_set(const json_t *list, const char *type)
{
    size_t n = json_array_size(list), made = 0;
    char **v = calloc(n ? n : 1, sizeof *v);
    json_t *out = json_array();

    if (!v || !out)
        goto fail;
    for (; made < n; made++) {
        v[made] = canonical_content(type, json_string_value(
                                              json_array_get(list, made)));
        if (!v[made])
            goto fail;
    }
    qsort(v, n, sizeof *v, compare_strings);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
            continue;
        if (json_array_append_new(out, json_string(v[i])) != 0)
            goto fail;
    }
    free_strings(v, made);
    return out;
fail:
    free_strings(v, made);
    json_decref(out);
    return NULL;
}

/* ---- configuration ------------------------------------------------------ */

static void pdns_free(void *p)
{
    pdns_cfg *c = p;
    if (!c)
        return;
    for (size_t i = 0; i < c->nzones; i++)
        free(c->zones[i]);
    free(c->zones);
    free(c->server);
    free(c);
}

/* Two zones of which one holds the other: the parent's delegation NS and
 * the child's apex NS would share a key. */
static int check_zones(const pdns_cfg *c, tu_srcpos pos, tu_error *err)
{
    for (size_t i = 0; i < c->nzones; i++) {
        for (size_t j = 0; j < c->nzones; j++) {
            if (i == j || !in_zone(c->zones[j], c->zones[i]))
                continue;
            if (strcmp(c->zones[i], c->zones[j]) == 0)
                tu_error_at(err, pos, "target.zones: '%s' is listed twice",
                            c->zones[i]);
            else
                tu_error_at(err, pos, "target.zones: '%s' lies inside '%s'; "
                            "a name under both could belong to either, so "
                            "reconcile nested zones in separate runs",
                            c->zones[j], c->zones[i]);
            return -1;
        }
    }
    return 0;
}

static int parse_zones(pdns_cfg *c, const json_t *target,
                       const tu_srcmap *map, tu_error *err)
{
    const char **names = NULL;
    size_t n = 0;

    if (tu_schema_string_list(target, "zones", 1, map, "target", &names, &n,
                              err) < 0)
        return -1;
    c->zones = calloc(n ? n : 1, sizeof *c->zones);
    for (size_t i = 0; c->zones && i < n; i++) {
        if (!(c->zones[i] = absolute_zone_name(names[i])))
            break;
        c->nzones++;
    }
    free(names);
    if (c->nzones < n) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (n == 0) {
        tu_error_at(err, tu_srcmap_member(map, target, "zones"),
                    "target.zones: list at least one zone (example.org.)");
        return -1;
    }
    return check_zones(c, tu_srcmap_member(map, target, "zones"), err);
}

static int pdns_parse(const json_t *target, const tu_srcmap *map, void **out,
                      tu_error *err)
{
    pdns_cfg *c = calloc(1, sizeof *c);
    const char *server = "localhost";

    if (!c) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    c->batch_size = PDNS_DEFAULT_BATCH;
    c->write_concurrency = 1;
    if (tu_schema_string(target, "server", 0, map, "target", &server,
                         err) < 0 ||
        tu_schema_int(target, "batch_size", 1, PDNS_MAX_BATCH, map, "target",
                      &c->batch_size, err) < 0 ||
        tu_schema_int(target, "write_concurrency", 1, 1000, map, "target",
                      &c->write_concurrency, err) < 0 ||
        parse_zones(c, target, map, err) != 0)
        goto fail;
    if (!(c->server = strdup(server))) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        goto fail;
    }
    *out = c;
    return 0;
fail:
    pdns_free(c);
    return -1;
}

static void pdns_describe(const void *p, tu_keyspec *key, const char ***ignore,
                          size_t *nignore)
{
    (void)p;
    key->fields = key_fields;
    key->count = 2;
    *ignore = NULL;
    *nignore = 0;
}

static const char *pdns_owner_field(const void *p)
{
    (void)p;
    return "owner";
}

static int pdns_protect(const void *p, const tu_record *r)
{
    const pdns_cfg *c = p;
    const char *type = tu_record_string(r, "type");
    const char *name = tu_record_string(r, "name");

    if (!type || !name)
        return 0;
    if (strcmp(type, "SOA") == 0)
        return 1;
    if (strcmp(type, "NS") != 0)
        return 0;
    for (size_t i = 0; i < c->nzones; i++) {
        if (strcmp(name, c->zones[i]) == 0)
            return 1;
    }
    return 0;
}

/* ---- normalising a record ----------------------------------------------- */

static int check_fields(const json_t *fields, tu_srcpos pos, tu_error *err)
{
    const char *key, *hint;
    json_t *value;

    json_object_foreach((json_t *)fields, key, value) {
        const char *const *f = record_fields;
        while (*f && strcmp(*f, key) != 0)
            f++;
        if (*f)
            continue;
        hint = tu_suggest(key, record_fields);
        tu_error_at(err, pos, "record: unknown field '%s'%s%s%s; a PowerDNS "
                    "record has name, type, ttl, records (or content), zone, "
                    "comments and (SOA) serial", key, hint ? " (did you mean '" : "",
                    hint ? hint : "", hint ? "'?)" : "");
        return -1;
    }
    return 0;
}

/* The string field `key`, required; NULL with err set. */
static const char *string_field(const json_t *fields, const char *key,
                                tu_srcpos pos, tu_error *err)
{
    const json_t *v = json_object_get(fields, key);
    if (json_is_string(v))
        return json_string_value(v);
    tu_error_at(err, pos, "record: '%s' %s", key,
                v ? "must be a string" : "is missing");
    return NULL;
}

/* The index of the zone a `zone` field names (taken out of the fields);
 * -1 when there is none, -2 on error. */
static long named_zone(const pdns_cfg *c, json_t *fields, tu_srcpos pos,
                       tu_error *err)
{
    const json_t *v = json_object_get(fields, "zone");
    char *zone, list[200];
    long index = -1;

    if (!v)
        return -1;
    if (!json_is_string(v) || !(zone = absolute_zone_name(
                                    json_string_value(v)))) {
        tu_error_at(err, pos, "record: 'zone' must be a string naming one of "
                    "target.zones");
        return -2;
    }
    for (size_t i = 0; i < c->nzones; i++) {
        if (strcmp(zone, c->zones[i]) == 0)
            index = (long)i;
    }
    if (index < 0)
        tu_error_at(err, pos, "record: zone '%s' is not one of target.zones "
                    "(%s)", json_string_value(v),
                    zone_list(c, list, sizeof list));
    free(zone);
    json_object_del(fields, "zone");
    return index < 0 ? -2 : index;
}

/* A relative name that ends with its zone's name is almost certainly an
 * absolute name missing its trailing dot. */
static int check_relative(const char *name, const char *zone, tu_srcpos pos,
                          tu_error *err)
{
    size_t n = strlen(name), z = strlen(zone) - 1;

    if (z == 0 || n < z || strncasecmp(name + n - z, zone, z) != 0 ||
        (n > z && name[n - z - 1] != '.'))
        return 0;
    tu_error_at(err, pos, "record: name '%s' has no trailing dot, so it is "
                "relative to zone %s and would mean %s.%s; write '%s.' for "
                "the absolute name, or the part before the zone ('@' for the "
                "apex)", name, zone, name, zone, name);
    return -1;
}

/* An internationalised `name` field rewritten with its A-labels. */
static int idn_name(json_t *fields, tu_srcpos pos, tu_error *err)
{
    const char *name = json_string_value(json_object_get(fields, "name"));
    const char *why;
    char *ascii;

    if (!name || ascii_only(name))
        return 0;
    if (!(ascii = a_label(name, &why))) {
        tu_error_at(err, pos, "record: name '%s' is not a valid "
                    "internationalised domain name (%s)", name, why);
        return -1;
    }
    if (json_object_set_new(fields, "name", json_string(ascii)) != 0) {
        free(ascii);
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    free(ascii);
    return 0;
}

static int resolve_name(const pdns_cfg *c, json_t *fields, tu_srcpos pos,
                        tu_error *err)
{
    long zone = named_zone(c, fields, pos, err);
    const char *name = zone < -1 || idn_name(fields, pos, err) != 0
                           ? NULL : string_field(fields, "name", pos, err);
    int relative;
    char *abs, list[200];

    if (!name)
        return -1;
    relative = *name == '\0' || name[strlen(name) - 1] != '.';
    if (relative && zone < 0 && c->nzones > 1) {
        tu_error_at(err, pos, "record: name '%s' is relative (no trailing "
                    "dot) and target.zones lists %zu zones (%s): write the "
                    "absolute name, or add zone: with one of them", name,
                    c->nzones, zone_list(c, list, sizeof list));
        return -1;
    }
    if (relative && zone < 0)
        zone = 0;
    if (relative && check_relative(name, c->zones[zone], pos, err) != 0)
        return -1;
    if (!(abs = absolute_name(name, relative ? c->zones[zone] : ".")))
        goto oom;
    if (zone_index(c, abs) < 0 ||
        (zone >= 0 && !in_zone(abs, c->zones[zone]))) {
        tu_error_at(err, pos, "record: name '%s' is not inside %s%s%s", abs,
                    zone >= 0 ? "zone " : "any zone of target.zones (",
                    zone >= 0 ? c->zones[zone] : zone_list(c, list,
                                                           sizeof list),
                    zone >= 0 ? "" : "); add its zone there, or fix the "
                    "name");
        free(abs);
        return -1;
    }
    if (json_object_set_new(fields, "name", json_string(abs)) != 0) {
        free(abs);
        goto oom;
    }
    free(abs);
    return 0;
oom:
    tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return -1;
}

static int normalize_type(json_t *fields, tu_srcpos pos, tu_error *err)
{
    const char *type = string_field(fields, "type", pos, err);
    char buf[32];
    size_t n;

    if (!type)
        return -1;
    n = strlen(type);
    if (n == 0 || n >= sizeof buf || strspn(type, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "abcdefghijklmnopqrstuvwxyz"
                                            "0123456789") != n) {
        tu_error_at(err, pos, "record: type '%s' is not a DNS record type "
                    "(A, AAAA, CNAME, MX, TXT, ...)", type);
        return -1;
    }
    for (size_t i = 0; i <= n; i++)
        buf[i] = (char)(type[i] >= 'a' && type[i] <= 'z' ? type[i] - 32
                                                          : type[i]);
    if (strcmp(buf, type) != 0 &&
        json_object_set_new(fields, "type", json_string(buf)) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

static int normalize_ttl(json_t *fields, tu_srcpos pos, tu_error *err)
{
    json_t *v = json_object_get(fields, "ttl");
    double d;

    if (!v || (json_is_integer(v) && json_integer_value(v) >= 0 &&
               json_integer_value(v) <= PDNS_MAX_TTL))
        return 0;
    if (json_is_real(v) && (d = json_real_value(v)) >= 0 &&
        d <= PDNS_MAX_TTL && d == (double)(json_int_t)d) {
        if (json_object_set_new(fields, "ttl",
                                json_integer((json_int_t)d)) == 0)
            return 0;
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    tu_error_at(err, pos, "record: 'ttl' must be a whole number of seconds "
                "from 0 to %ld", PDNS_MAX_TTL);
    return -1;
}

/* content: x  ->  records: [x];  records: x  ->  records: [x]. */
static json_t *declared_contents(json_t *fields, tu_srcpos pos, tu_error *err)
{
    json_t *content = json_object_get(fields, "content");
    json_t *records = json_object_get(fields, "records");
    json_t *list;

    if (content && records) {
        tu_error_at(err, pos, "record: give either 'content' (one value) or "
                    "'records' (a list), not both");
        return NULL;
    }
    list = content ? content : records;
    if (json_is_array(list))
        return json_incref(list);
    return json_pack("[O]", list);
}

static int normalize_contents(json_t *fields, tu_srcpos pos, tu_error *err)
{
    const char *type = json_string_value(json_object_get(fields, "type"));
    json_t *list, *set;
    size_t i;
    json_t *v;

    if (!json_object_get(fields, "content") &&
        !json_object_get(fields, "records"))
        return 0;
    if (!(list = declared_contents(fields, pos, err)))
        return -1;
    json_array_foreach(list, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0) {
            tu_error_at(err, pos, "record: each content must be a non-empty "
                        "string (quote it in YAML), got %s in %s",
                        json_is_string(v) ? "an empty one"
                                          : tu_json_type_name(v),
                        json_object_get(fields, "content") ? "content"
                                                           : "records");
            json_decref(list);
            return -1;
        }
    }
    if (json_array_size(list) == 0) {
        tu_error_at(err, pos, "record: 'records' is empty; to delete the "
                    "rrset write state: absent");
        json_decref(list);
        return -1;
    }
    set = content_set(list, type);
    json_decref(list);
    json_object_del(fields, "content");
    if (!set || json_object_set_new(fields, "records", set) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

/* comments: ["text", {content, account}] -> [{content, account}]. */
static int normalize_comments(json_t *fields, tu_srcpos pos, tu_error *err)
{
    json_t *list = json_object_get(fields, "comments"), *out, *c;
    size_t i;

    if (!list)
        return 0;
    if (!json_is_array(list) || !(out = json_array())) {
        tu_error_at(err, pos, "record: 'comments' must be a list of texts "
                    "(or of {content, account})");
        return -1;
    }
    json_array_foreach(list, i, c) {
        const json_t *text = json_is_object(c) ? json_object_get(c, "content")
                                               : c;
        const json_t *acct = json_is_object(c) ? json_object_get(c, "account")
                                               : NULL;
        if (!json_is_string(text) || (acct && !json_is_string(acct))) {
            json_decref(out);
            tu_error_at(err, pos, "record: comments[%zu]: give a text, or "
                        "{content: TEXT, account: NAME}", i);
            return -1;
        }
        json_array_append_new(out, json_pack("{s:O,s:s}", "content", text,
                                             "account", acct ?
                                             json_string_value(acct) : ""));
    }
    return json_object_set_new(fields, "comments", out);
}

/* serial: only on an SOA, a whole number as DNS holds it (32 bits). */
static int check_serial(const json_t *fields, tu_srcpos pos, tu_error *err)
{
    const json_t *v = json_object_get(fields, "serial");
    const char *type = json_string_value(json_object_get(fields, "type"));

    if (!v)
        return 0;
    if (!type || strcmp(type, "SOA") != 0) {
        tu_error_at(err, pos, "record: 'serial' belongs to an SOA record "
                    "only");
        return -1;
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0 &&
        json_integer_value(v) <= 4294967295LL)
        return 0;
    tu_error_at(err, pos, "record: 'serial' must be a whole number from 0 "
                "to 4294967295");
    return -1;
}

static int pdns_normalize(json_t *fields, tu_srcpos pos, void *p,
                          tu_error *err)
{
    const pdns_cfg *c = p;
    if (check_fields(fields, pos, err) != 0 ||
        normalize_comments(fields, pos, err) != 0 ||
        check_serial(fields, pos, err) != 0 ||
        resolve_name(c, fields, pos, err) != 0 ||
        normalize_type(fields, pos, err) != 0 ||
        normalize_ttl(fields, pos, err) != 0 ||
        normalize_contents(fields, pos, err) != 0)
        return -1;
    return 0;
}

static json_t *pdns_export(const void *p, const tu_record *live)
{
    const json_t *f = tu_record_fields(live);
    const char *type = json_string_value(json_object_get(f, "type"));
    (void)p;
    if (type && strcmp(type, "SOA") == 0)
        return NULL;
    return json_pack("{s:O,s:O,s:O*,s:O*}", "name", json_object_get(f, "name"),
                     "type", json_object_get(f, "type"),
                     "ttl", json_object_get(f, "ttl"),
                     "records", json_object_get(f, "records"));
}

/* ---- fetching ----------------------------------------------------------- */

/* {base_url}/servers/{server}/zones/{zone}; malloc'd or NULL. */
static char *zone_url(const tu_target *t, const char *zone)
{
    const pdns_cfg *c = t->cfg;
    char *server = tu_percent_encode(c->server, strlen(c->server));
    char *z = tu_percent_encode(zone, strlen(zone));
    char *path = NULL, *url = NULL;
    size_t len;

    if (server && z) {
        len = strlen(server) + strlen(z) + sizeof "/servers//zones/";
        if ((path = malloc(len)) != NULL) {
            snprintf(path, len, "/servers/%s/zones/%s", server, z);
            url = tu_target_url(t, path);
        }
    }
    free(server);
    free(z);
    free(path);
    return url;
}

/* The rrset's comments: an ownership mark into `owner`, the others kept
 * as {content, account} in `comments`. 0, or -1 (out of memory). */
static int live_comments(json_t *out, const json_t *rrset)
{
    json_t *others = json_array();
    const json_t *c;
    size_t i, plen = strlen(PDNS_MARK_PREFIX);
    int rc = others ? 0 : -1;

    json_array_foreach(json_object_get(rrset, "comments"), i, c) {
        const char *content = json_string_value(json_object_get(c,
                                                                "content"));
        const char *account = json_string_value(json_object_get(c,
                                                                "account"));
        if (!content || rc != 0)
            continue;
        if (account && strcmp(account, PDNS_MARK_ACCOUNT) == 0 &&
            strncmp(content, PDNS_MARK_PREFIX, plen) == 0)
            rc = json_object_set_new(out, "owner",
                                     json_string(content + plen));
        else
            rc = json_array_append_new(others, json_pack(
                "{s:s,s:s}", "content", content, "account",
                account ? account : ""));
    }
    if (rc == 0 && json_array_size(others))
        rc = json_object_set(out, "comments", others);
    json_decref(others);
    return rc;
}

/* An SOA's serial, the third field of its content, into `serial`: the
 * contents are compared without it (canonical_content), and a write sends
 * it back (rrset_json). 0, or -1 (out of memory). */
static int live_serial(json_t *out, const json_t *contents)
{
    const char *type = json_string_value(json_object_get(out, "type"));
    const char *c = json_string_value(json_array_get(contents, 0));
    unsigned long long serial;
    char mname[256], rname[256];

    if (!type || strcmp(type, "SOA") != 0 || !c ||
        sscanf(c, "%255s %255s %llu", mname, rname, &serial) != 3)
        return 0;
    return json_object_set_new(out, "serial", json_integer(
                                                  (json_int_t)serial));
}

/* An rrset as PowerDNS lists it -> {name, type, ttl, records: [content]}
 * with the enabled records only (and its comments: live_comments); NULL
 * when none is enabled. */
static json_t *live_rrset(const json_t *rrset)
{
    json_t *out, *contents = json_array();
    const json_t *rec;
    size_t i;

    json_array_foreach(json_object_get(rrset, "records"), i, rec) {
        const json_t *content = json_object_get(rec, "content");
        if (json_is_true(json_object_get(rec, "disabled")) ||
            !json_is_string(content))
            continue;
        json_array_append(contents, (json_t *)content);
    }
    if (json_array_size(contents) == 0) {
        json_decref(contents);
        return NULL;
    }
    out = json_pack("{s:O*,s:O*,s:O*}", "name", json_object_get(rrset, "name"),
                    "type", json_object_get(rrset, "type"),
                    "ttl", json_object_get(rrset, "ttl"));
    if (out && (json_object_set(out, "records", contents) != 0 ||
                live_serial(out, contents) != 0 ||
                live_comments(out, rrset) != 0)) {
        json_decref(out);
        out = NULL;
    }
    json_decref(contents);
    return out;
}

/* GET of a zone answered 404 or 410. */
static void zone_missing(tu_fetch *f, const tu_http_response *r,
                         const char *url, const char *zone)
{
    const pdns_cfg *c = tu_fetch_state(f);
    tu_fetch_fail(f, TU_ERR_FETCH,
                  "GET %s: HTTP %ld: zone %s was not found on server "
                  "'%s'. trueup does not create zones: create it first "
                  "(pdnsutil create-zone %s, or POST .../servers/%s/zones), "
                  "or correct target.zones; if no zone is found, check that "
                  "target.base_url ends in /api/v1", url, r->status, zone,
                  c->server, zone, c->server);
}

static void on_zone(tu_fetch *f, const tu_http_response *r, const char *url,
                    void *data)
{
    const pdns_cfg *c = tu_fetch_state(f);
    size_t zone = (size_t)(uintptr_t)data;
    tu_error err = {0};
    json_t *items, *records, *rec;
    const json_t *rrset;
    size_t i;

    if (r->status == 404 || r->status == 410) {
        zone_missing(f, r, url, c->zones[zone]);
        return;
    }
    items = tu_list_page_items(r->body, r->body_len, "rrsets", "GET", url,
                               &err);
    records = json_array();
    if (!items) {
        tu_fetch_fail(f, err.code,
                      "%s (is target.base_url the API's root, like "
                      "http://HOST:8081/api/v1?)", err.message);
        json_decref(records);
        return;
    }
    json_array_foreach(items, i, rrset) {
        if (!json_is_object(rrset))
            continue;
        if ((rec = live_rrset(rrset)) != NULL &&
            json_array_append_new(records, rec) != 0)
            tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    }
    if (!tu_fetch_failed(f))
        tu_fetch_add_records(f, records, url, zone);
    json_decref(records);
    json_decref(items);
}

static int pdns_fetch(const tu_target *t, tu_fetch *f)
{
    const pdns_cfg *c = t->cfg;

    tu_fetch_set_state(f, t->cfg, NULL); /* borrowed: on_zone reads it */
    for (size_t i = 0; i < c->nzones && !tu_fetch_failed(f); i++) {
        char *url = zone_url(t, c->zones[i]);
        if (!url) {
            tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
            break;
        }
        tu_fetch_get(f, url, TU_FETCH_MISSING_OK, on_zone,
                     (void *)(uintptr_t)i);
        free(url);
    }
    return tu_fetch_failed(f) ? -1 : 0;
}

/* ---- pushing ------------------------------------------------------------ */

typedef struct batch {
    tu_buffer body;        /* {"rrsets":[...  */
    tu_action **covered;
    size_t n;
    long zone;             /* its lane: one PATCH per zone in flight */
    int front;             /* a half of a split batch: goes first */
} batch;

static void pdns_split(tu_push *p, const tu_target *t, const char *url,
                       tu_action **covered, size_t n, long zone);

static const json_t *record_fields_of(const tu_action *a)
{
    return a->desired ? tu_record_fields(a->desired)
                      : tu_record_fields(a->live);
}

/* The desired field, or the live one when the desired record leaves it
 * out (an update sends the whole rrset). */
static json_t *merged(const tu_action *a, const char *field)
{
    json_t *v = a->desired
                    ? json_object_get(tu_record_fields(a->desired), field)
                    : NULL;
    if (!v && a->live)
        v = json_object_get(tu_record_fields(a->live), field);
    return v;
}

/* The records of a REPLACE; an SOA's carry `serial` (the declared one,
 * else the live one), since its contents are kept without it. */
static json_t *replace_records(const json_t *contents, const json_t *serial)
{
    json_t *out = json_array();
    const json_t *c;
    size_t i;
    char num[32], *soa = NULL;

    if (serial)
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(serial));
    json_array_foreach(contents, i, c) {
        if (serial && !(soa = soa_with_serial(json_string_value(c), num)))
            goto fail;
        if (json_array_append_new(out, json_pack(
                "{s:s,s:b}", "content", soa ? soa : json_string_value(c),
                "disabled", 0)) != 0)
            goto fail;
        free(soa);
        soa = NULL;
    }
    return out;
fail:
    free(soa);
    json_decref(out);
    return NULL;
}

/* The comments a REPLACE sends: the declared ones (else the live rrset's)
 * and the owner's mark; NULL when there is neither a declared comment nor
 * a mark (PowerDNS then keeps the rrset's comments as they are). */
static json_t *replace_comments(const tu_action *a)
{
    const char *owner = json_string_value(merged(a, "owner"));
    const json_t *declared =
        a->desired ? json_object_get(tu_record_fields(a->desired), "comments")
                   : NULL;
    json_t *out, *mark;

    if (!owner && !declared)
        return NULL;
    out = json_deep_copy(merged(a, "comments"));
    if (!out)
        out = json_array();
    if (!owner)
        return out;
    mark = json_pack("{s:s+,s:s}", "content", PDNS_MARK_PREFIX, owner,
                     "account", PDNS_MARK_ACCOUNT);
    if (!out || !mark || json_array_append_new(out, mark) != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* One rrset of a PATCH body as compact JSON; NULL with *why set when the
 * action cannot be sent. */
static char *rrset_json(const tu_action *a, const char **why)
{
    const json_t *f = record_fields_of(a);
    json_t *ttl, *contents, *obj;
    char *text;

    *why = "out of memory";
    if (a->kind == TU_ACTION_DELETE)
        obj = json_pack("{s:O,s:O,s:s}", "name", json_object_get(f, "name"),
                        "type", json_object_get(f, "type"),
                        "changetype", "DELETE");
    else {
        ttl = merged(a, "ttl");
        contents = merged(a, "records");
        if (!ttl || !contents) {
            *why = !ttl ? "ttl is required to create an rrset: declare ttl "
                          "(or set it in defaults)"
                        : "records (or content) is required to create an "
                          "rrset";
            return NULL;
        }
        obj = json_pack("{s:O,s:O,s:O,s:s,s:o,s:o*}", "name",
                        json_object_get(f, "name"), "type",
                        json_object_get(f, "type"), "ttl", ttl,
                        "changetype", "REPLACE", "records",
                        replace_records(contents, json_is_integer(
                            merged(a, "serial")) ? merged(a, "serial")
                                                 : NULL), "comments",
                        replace_comments(a));
    }
    text = obj ? tu_json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    return text;
}

static void batch_send(tu_push *p, const char *url, batch *b)
{
    if (b->n == 0)
        return;
    if (tu_buffer_puts(&b->body, "]}") != 0) {
        for (size_t i = 0; i < b->n; i++)
            tu_action_fail(b->covered[i], "out of memory");
        tu_buffer_free(&b->body);
    } else {
        size_t len = b->body.len;
        tu_push_lane lane = {b->zone, pdns_split, b->front};
        tu_push_send_in(p, &lane, "PATCH", url, tu_buffer_take(&b->body),
                        len, 1, b->covered, b->n);
    }
    b->n = 0;
}

/* Add one action to the zone's current batch, sending the batch first when
 * the action would overflow it. */
static void batch_add(const tu_target *t, tu_push *p, const char *url,
                      batch *b, tu_action *a)
{
    const pdns_cfg *c = t->cfg;
    const char *why;
    char *text = rrset_json(a, &why);
    size_t len, mark;

    if (!text) {
        tu_action_fail(a, why);
        return;
    }
    len = strlen(text);
    if (b->n > 0 && ((long)b->n >= c->batch_size ||
                     b->body.len + len + 3 > PDNS_BATCH_BYTES))
        batch_send(p, url, b);
    mark = b->body.len;
    if (tu_buffer_puts(&b->body, b->n ? "," : "{\"rrsets\":[") != 0 ||
        tu_buffer_add(&b->body, text, len) != 0) {
        if (b->body.data)
            b->body.data[b->body.len = mark] = '\0';
        tu_action_fail(a, "out of memory");
    } else {
        b->covered[b->n++] = a;
    }
    free(text);
}

/* An action to push, with its zone; sorted by zone, deletes first (a
 * PATCH applies its rrsets in order, so an A replaced by a CNAME goes out
 * as DELETE, then REPLACE), then in plan order. */
typedef struct pending {
    long zone;
    int del;
    size_t order;
    tu_action *action;
} pending;

static int pending_order(const void *x, const void *y)
{
    const pending *a = x, *b = y;
    if (a->zone != b->zone)
        return a->zone < b->zone ? -1 : 1;
    if (a->del != b->del)
        return b->del - a->del;
    return (a->order > b->order) - (a->order < b->order);
}

/* Push the n actions of one zone in batches. */
static void push_zone(const tu_target *t, tu_push *p, const pending *todo,
                      size_t n, tu_action **covered)
{
    const pdns_cfg *c = t->cfg;
    char *url = zone_url(t, c->zones[todo[0].zone]);
    batch b = {TU_BUFFER_INIT, covered, 0, todo[0].zone, 0};

    for (size_t i = 0; i < n; i++) {
        if (!url)
            tu_action_fail(todo[i].action, "out of memory");
        else
            batch_add(t, p, url, &b, todo[i].action);
    }
    if (url)
        batch_send(p, url, &b);
    tu_buffer_free(&b.body);
    free(url);
}

/* PowerDNS refused a batch (422) and named one bad rrset: send each half
 * again, ahead of the zone's other batches, until the bad ones stand alone
 * and fail with PowerDNS's message while the others apply (about 2 log2(n)
 * PATCHes for one bad rrset among n). */
static void pdns_split(tu_push *p, const tu_target *t, const char *url,
                       tu_action **covered, size_t n, long zone)
{
    tu_action **room = malloc(n * sizeof *room);
    size_t half = n / 2;

    if (!room) {
        for (size_t i = 0; i < n; i++)
            tu_action_fail(covered[i], "out of memory");
        return;
    }
    for (size_t from = 0; from < n; from = half, half = n) {
        batch b = {TU_BUFFER_INIT, room, 0, zone, 1};
        for (size_t i = from; i < half; i++)
            batch_add(t, p, url, &b, covered[i]);
        batch_send(p, url, &b);
        tu_buffer_free(&b.body);
    }
    free(room);
}

static int pdns_push(const tu_target *t, tu_push *p, tu_action **actions,
                     size_t n)
{
    pending *todo = malloc(n * sizeof *todo);
    tu_action **covered = malloc(n * sizeof *covered);
    size_t m = 0;

    if (!todo || !covered) {
        for (size_t i = 0; i < n; i++)
            tu_action_fail(actions[i], "out of memory");
        free(todo);
        free(covered);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(
            json_object_get(record_fields_of(actions[i]), "name"));
        long zone = name ? zone_index(t->cfg, name) : -1;
        if (zone < 0) {
            tu_action_fail(actions[i], "the name is not inside any zone of "
                           "target.zones");
            continue;
        }
        todo[m++] = (pending){zone, actions[i]->kind == TU_ACTION_DELETE, i,
                              actions[i]};
    }
    qsort(todo, m, sizeof *todo, pending_order);
    for (size_t i = 0, j; i < m; i = j) {
        for (j = i + 1; j < m && todo[j].zone == todo[i].zone; j++)
            ;
        push_zone(t, p, todo + i, j - i, covered);
    }
    free(todo);
    free(covered);
    return 0;
}

/* PowerDNS with the SQLite backend refuses overlapping writes ("database
 * is locked"), even to different zones: one PATCH at a time by default.
 * Above 1, zones go in parallel; one zone never has two (its lane). */
static long pdns_max_writes(const void *p)
{
    const pdns_cfg *c = p;
    return c->write_concurrency;
}

/* A record's zone: each zone's rrsets go to one shard, so its batched
 * PATCHes come from one run. */
static const char *pdns_shard_key(const void *p, const tu_record *r)
{
    const pdns_cfg *c = p;
    const char *name = tu_record_string(r, "name");
    long zone = name ? zone_index(c, name) : -1;
    return zone >= 0 ? c->zones[zone] : NULL;
}

const tu_provider_ops tu_provider_powerdns = {
    .name = "powerdns",
    .target_keys = target_keys,
    .parse = pdns_parse,
    .free = pdns_free,
    .describe = pdns_describe,
    .protect = pdns_protect,
    .owner_field = pdns_owner_field,
    .normalize = pdns_normalize,
    .export_record = pdns_export,
    .shard_key = pdns_shard_key,
    .fetch = pdns_fetch,
    .max_writes = pdns_max_writes,
    .push = pdns_push,
};
