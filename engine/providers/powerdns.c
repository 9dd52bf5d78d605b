/* powerdns.c -- the PowerDNS Authoritative HTTP API (4.x).
 *
 * A record is an rrset: {name, type, ttl, records: [content, ...]}, keyed by
 * [name, type]. `target` names the API (base_url ".../api/v1"), the
 * `server` (default localhost), the `zones` trueup reconciles, the
 * `batch_size` and `batch_bytes` of a write, and `write_concurrency`, the
 * PATCHes sent at once (default 1: the SQLite backend refuses overlapping
 * writes).
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
 *   fetch      (powerdns_fetch.c)
 *              GET {base_url}/servers/{server}/zones/{zone} for every zone,
 *              all at once; each answer's rrsets become live records: name,
 *              type, ttl and the contents of the enabled records (disabled
 *              records and comments are not part of a record).
 *   push       (powerdns_push.c)
 *              PATCH {base_url}/servers/{server}/zones/{zone} with
 *              {"rrsets": [...]}: creates and updates as changetype REPLACE
 *              of the whole rrset, deletes as DELETE. Each zone's actions
 *              go out in batches of batch_size rrsets (and at most
 *              batch_bytes of body), deletes first, in the zone's lane
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
 *
 * The provider's files: this one (reading the target, normalising,
 * protecting and exporting records, the table of operations),
 * powerdns_zone.c, powerdns_fetch.c and powerdns_push.c, sharing
 * powerdns.h; the DNS name helpers are dns_name.c.
 */
#include "engine/providers/powerdns.h"
#include "engine/providers/txt_registry.h"
#include "engine/providers/dns_name.h"
#include "engine/provider.h"
#include "state/error.h"
#include "state/schema.h"
#include "util/json_util.h"
#include "util/suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* PowerDNS re-rectifies the whole zone after every PATCH, so fewer, larger
 * batches are faster: a zone's changes go in as few PATCHes as the body
 * cap allows (10,000 TTL changes, bench/LOG.md: 5 PATCHes of 2,000 took
 * 0.43-0.47 s of PowerDNS's time, 2 of 5,000 0.27-0.29 s, one of 10,000
 * 0.19-0.28 s). A refused batch is split in halves, so a large one costs
 * only about 2 log2(n) PATCHes per bad rrset. The body cap stays below
 * PowerDNS's default webserver-max-bodysize (2 MB), past which it resets
 * the connection. */
#define PDNS_DEFAULT_BATCH 10000
#define PDNS_MAX_BATCH 100000
#define PDNS_DEFAULT_BATCH_BYTES (1792L * 1024)
#define PDNS_MIN_BATCH_BYTES 4096L
#define PDNS_MAX_BATCH_BYTES (1024L * 1024 * 1024)
#define PDNS_MAX_TTL 2147483647L

static const char *const target_keys[] = {"server", "zones", "batch_size",
                                          "batch_bytes", "write_concurrency",
                                          "ownership", "txt_prefix",
                                          "txt_wildcard", NULL};
static const char *key_fields[] = {"name", "type"};
static const char *const record_fields[] = {"name", "type", "ttl", "records",
                                            "content", "zone", "comments",
                                            "owner", "serial", NULL};

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

/* ---- contents ----------------------------------------------------------- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* The contents as a sorted array of distinct strings in canonical form
 * (tu_dns_canonical_content), or NULL when out of memory. `list` holds only
 * strings. */
static json_t *content_set(const json_t *list, const char *type)
{
    size_t n = json_array_size(list), made = 0;
    char **v = calloc(n ? n : 1, sizeof *v);
    json_t *out = json_array();

    if (!v || !out)
        goto fail;
    for (; made < n; made++) {
        v[made] = tu_dns_canonical_content(type, json_string_value(
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
    free(c->txt_prefix);
    free(c->txt_wildcard);
    free(c);
}

/* Two zones of which one holds the other: the parent's delegation NS and
 * the child's apex NS would share a key. */
static int check_zones(const pdns_cfg *c, tu_srcpos pos, tu_error *err)
{
    for (size_t i = 0; i < c->nzones; i++) {
        for (size_t j = 0; j < c->nzones; j++) {
            if (i == j || !tu_dns_in_zone(c->zones[j], c->zones[i]))
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
        if (!(c->zones[i] = tu_dns_absolute_zone_name(names[i])))
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

/* One of the TXT registry's strings, `key` (its default `value`), only
 * with ownership: txt, checked; malloc'd into *out. 0, or -1 with err. */
static int registry_key(const json_t *target, const tu_srcmap *map,
                        const char *key, const char *value, int txt,
                        char **out, tu_error *err)
{
    tu_srcpos pos = tu_srcmap_member(map, target, key);
    const char *why;
    int has = tu_schema_string(target, key, 0, map, "target", &value, err);

    if (has < 0)
        return -1;
    if (has && !txt) {
        tu_error_at(err, pos, "target.%s: names the TXT registry's records; "
                    "set ownership: txt too, or leave it out", key);
        return -1;
    }
    if ((why = tu_txt_registry_prefix_problem(value)) != NULL) {
        tu_error_at(err, pos, "target.%s: '%s' %s", key, value, why);
        return -1;
    }
    if (txt && !(*out = strdup(value))) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    for (char *p = txt ? *out : NULL; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);  /* as PowerDNS keeps names */
    return 0;
}

/* target.ownership (comment, the default, or txt), txt_prefix and
 * txt_wildcard. 0, or -1 with err set. */
static int parse_ownership(pdns_cfg *c, const json_t *target,
                           const tu_srcmap *map, tu_error *err)
{
    static const char *const kinds[] = {"comment", "txt", NULL};
    int kind = 0;

    if (tu_schema_enum(target, "ownership", kinds, map, "target", &kind,
                       err) < 0 ||
        registry_key(target, map, "txt_prefix", TU_TXT_REGISTRY_PREFIX,
                     kind == 1, &c->txt_prefix, err) != 0 ||
        registry_key(target, map, "txt_wildcard", TU_TXT_REGISTRY_WILDCARD,
                     kind == 1, &c->txt_wildcard, err) != 0)
        return -1;
    return 0;
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
    c->batch_bytes = PDNS_DEFAULT_BATCH_BYTES;
    c->write_concurrency = 1;
    if (tu_schema_string(target, "server", 0, map, "target", &server,
                         err) < 0 ||
        tu_schema_int(target, "batch_size", 1, PDNS_MAX_BATCH, map, "target",
                      &c->batch_size, err) < 0 ||
        tu_schema_int(target, "batch_bytes", PDNS_MIN_BATCH_BYTES,
                      PDNS_MAX_BATCH_BYTES, map, "target", &c->batch_bytes,
                      err) < 0 ||
        tu_schema_int(target, "write_concurrency", 1, 1000, map, "target",
                      &c->write_concurrency, err) < 0 ||
        parse_zones(c, target, map, err) != 0 ||
        parse_ownership(c, target, map, err) != 0)
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

/* The fields of a live rrset (rule keys must name one of them). */
static const char *const *pdns_live_fields(const void *p)
{
    static const char *const fields[] = {"name", "type", "ttl", "records",
                                         "comments", "owner", "serial",
                                         NULL};
    (void)p;
    return fields;
}

/* `content` is a desired rrset's shorthand for one of `records`. */
static const char *pdns_field_alias(const void *p, const char *name)
{
    (void)p;
    return strcmp(name, "content") == 0 ? "records" : NULL;
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
    if (!json_is_string(v) || !(zone = tu_dns_absolute_zone_name(
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

    if (!name || tu_dns_ascii_only(name))
        return 0;
    if (!(ascii = tu_dns_a_label(name, &why))) {
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
    if (!(abs = tu_dns_absolute_name(name, relative ? c->zones[zone] : ".")))
        goto oom;
    if (tu_pdns_zone_index(c, abs) < 0 ||
        (zone >= 0 && !tu_dns_in_zone(abs, c->zones[zone]))) {
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
    long zone = name ? tu_pdns_zone_index(c, name) : -1;
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
    .live_fields = pdns_live_fields,
    .field_alias = pdns_field_alias,
    .normalize = pdns_normalize,
    .export_record = pdns_export,
    .shard_key = pdns_shard_key,
    .fetch = tu_pdns_fetch,
    .max_writes = pdns_max_writes,
    .push = tu_pdns_push,
};

