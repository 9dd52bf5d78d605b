/* planfile.c -- plan files: checksums, and parsing with every member
 * checked (see planfile.h, docs/plan-file.md).
 *
 * Parsing goes outside in: the text must be one JSON object without
 * duplicate keys, say it is a plan file of a version this trueup reads,
 * carry a checksum that matches its content (so an altered file is refused
 * before any of its values is trusted), and then have every member with
 * the type and range the format gives it. A message names the member
 * ("changes[3].live") and says what to do.
 */
#include "planfile.h"
#include "error.h"
#include "util/json_util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[] = {"create", "update", "delete",
                                           "fail"};

const char *tu_planfile_action_name(tu_planfile_action a)
{
    return action_names[a];
}

/* ---- checksums ---------------------------------------------------------- */

static void to_hex(const unsigned char *md, unsigned n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * n] = '\0';
}

/* SHA-256 (key NULL or empty) or HMAC-SHA256 of the canonical text of
 * `value`, `leave_out` (a top-level member) left out. 0 or -1. */
static int digest(const json_t *value, const char *leave_out,
                  const char *key, char hex[65])
{
    json_t *copy = json_copy((json_t *)value);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    char *text;
    int ok = 0;

    if (!copy)
        return -1;
    if (leave_out)
        json_object_del(copy, leave_out);
    text = tu_json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS |
                               JSON_ENCODE_ANY);
    json_decref(copy);
    if (!text)
        return -1;
    if (key && *key)
        ok = HMAC(EVP_sha256(), key, (int)strlen(key),
                  (const unsigned char *)text, strlen(text), md, &n) != NULL;
    else
        ok = EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL) == 1;
    free(text);
    if (!ok || n != 32)
        return -1;
    to_hex(md, n, hex);
    return 0;
}

int tu_planfile_desired_digest(const tu_doc *doc, char hex[65])
{
    json_t *bulk = json_array(), *records = tu_doc_records_json(doc), *all;
    int rc;

    for (size_t i = 0; bulk && i < doc->bulk.count; i++)
        json_array_append_new(bulk, json_pack(
            "{s:O, s:O}", "match", doc->bulk.rules[i].match,
            "set", doc->bulk.rules[i].set));
    if (!records) {
        json_decref(bulk);
        return -1;
    }
    all = json_pack("{s:O*, s:o, s:o*, s:O*}", "document", doc->root,
                    "records", records, "bulk", bulk,
                    "resources", doc->parts);  /* a system's: all of it */
    if (!all)
        return -1;
    rc = digest(all, NULL, NULL, hex);
    json_decref(all);
    return rc;
}

int tu_planfile_seal(json_t *plan, const char *key, tu_error *err)
{
    char hex[65];
    json_t *checksum;

    if (digest(plan, "checksum", key, hex) != 0 ||
        !(checksum = json_pack("{s:s, s:s}", "algorithm",
                               key && *key ? "hmac-sha256" : "sha256",
                               "value", hex)) ||
        json_object_set_new(plan, "checksum", checksum) != 0) {
        tu_error_set(err, TU_ERR_NOMEM,
                     "out of memory while writing the plan file");
        return -1;
    }
    return 0;
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct pf_ctx {
    const char *name;
    tu_error *err;
} pf_ctx;

static int bad(const pf_ctx *c, const char *member, const char *what)
{
    tu_error_set(c->err, TU_ERR_PLAN,
                 "%s: %s %s; the plan file is damaged or was not "
                 "written by trueup: make a new plan", c->name,
                 member, what);
    return -1;
}

static int get_string(const pf_ctx *c, const json_t *obj, const char *member,
                      const char **out)
{
    const json_t *v = json_object_get(obj, member);
    if (!json_is_string(v))
        return bad(c, member, v ? "is not a string" : "is missing");
    *out = json_string_value(v);
    return 0;
}

static int get_object(const pf_ctx *c, const json_t *obj, const char *member,
                      int required, const json_t **out)
{
    const json_t *v = json_object_get(obj, member);
    *out = NULL;
    if ((!v || json_is_null(v)) && !required)
        return 0;
    if (!json_is_object(v))
        return bad(c, member, v ? "is not a mapping" : "is missing");
    *out = v;
    return 0;
}

static int get_long(const pf_ctx *c, const json_t *obj, const char *member,
                    long min, long max, long *out)
{
    const json_t *v = json_object_get(obj, member);
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max)
        return bad(c, member, v ? "is not a whole number in range"
                                : "is missing");
    *out = (long)json_integer_value(v);
    return 0;
}

static int get_bool(const pf_ctx *c, const json_t *obj, const char *member,
                    int *out)
{
    const json_t *v = json_object_get(obj, member);
    if (!json_is_boolean(v))
        return bad(c, member, v ? "is not true or false" : "is missing");
    *out = json_is_true(v);
    return 0;
}

static int check_format(const pf_ctx *c, const json_t *root)
{
    const json_t *format = json_object_get(root, "format");
    long version;

    if (!json_is_object(root) || !json_is_string(format) ||
        strcmp(json_string_value(format), TU_PLANFILE_FORMAT) != 0) {
        tu_error_set(c->err, TU_ERR_PLAN,
                     "%s is not a trueup plan file (it has no "
                     "\"format\": \"%s\"); make one with a plan that saves "
                     "its plan file", c->name, TU_PLANFILE_FORMAT);
        return -1;
    }
    if (get_long(c, root, "format_version", 1, 1000000, &version) != 0)
        return -1;
    if (version != TU_PLANFILE_VERSION) {
        tu_error_set(c->err, TU_ERR_PLAN,
                     "%s: format_version %ld is not one this trueup "
                     "(%s) reads (%d): apply it with the trueup that made it, "
                     "or make a new plan", c->name, version, TU_VERSION,
                     TU_PLANFILE_VERSION);
        return -1;
    }
    return 0;
}

/* The checksum matches the content, with the key it needs. */
static int check_checksum(const pf_ctx *c, const json_t *root,
                          const char *key, tu_planfile *pf)
{
    const json_t *sum;
    const char *algorithm, *value;
    char hex[65];
    int keyed;

    if (get_object(c, root, "checksum", 1, &sum) != 0 ||
        get_string(c, sum, "algorithm", &algorithm) != 0 ||
        get_string(c, sum, "value", &value) != 0)
        return -1;
    keyed = strcmp(algorithm, "hmac-sha256") == 0;
    if (!keyed && strcmp(algorithm, "sha256") != 0)
        return bad(c, "checksum.algorithm", "is neither sha256 nor "
                   "hmac-sha256");
    if (keyed && !(key && *key)) {
        tu_error_set(c->err, TU_ERR_PLAN,
                     "%s is sealed with a key (hmac-sha256): set "
                     "TRUEUP_PLAN_KEY to the key it was made with", c->name);
        return -1;
    }
    if (!keyed && key && *key) {
        tu_error_set(c->err, TU_ERR_PLAN,
                     "%s has a plain sha256 checksum, but "
                     "TRUEUP_PLAN_KEY is set: anyone can write such a file, "
                     "so it is refused; make the plan with the key set",
                     c->name);
        return -1;
    }
    if (digest(root, "checksum", keyed ? key : NULL, hex) != 0) {
        tu_error_set(c->err, TU_ERR_NOMEM,
                     "out of memory while reading %s", c->name);
        return -1;
    }
    if (strlen(value) != 64 || CRYPTO_memcmp(hex, value, 64) != 0) {
        tu_error_set(c->err, TU_ERR_PLAN,
                     "%s was altered after it was written: its "
                     "checksum does not match its content; make a new "
                     "plan", c->name);
        return -1;
    }
    pf->checksum = value;
    pf->algorithm = algorithm;
    return 0;
}

static int parse_action(const pf_ctx *c, const json_t *item,
                        tu_planfile_action *out)
{
    const char *name;
    if (get_string(c, item, "action", &name) != 0)
        return -1;
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, action_names[i]) == 0) {
            *out = (tu_planfile_action)i;
            return 0;
        }
    }
    return bad(c, "action", "is not create, update, delete or fail");
}

static int parse_change(const pf_ctx *item_ctx, const json_t *item,
                        tu_planfile_change *ch)
{
    const pf_ctx *c = item_ctx;
    int wants_desired, wants_live;

    if (!json_is_object(item))
        return bad(c, "", "is not a mapping");
    if (get_string(c, item, "key", &ch->key) != 0 ||
        parse_action(c, item, &ch->action) != 0)
        return -1;
    wants_desired = ch->action == TU_PLANFILE_CREATE ||
                    ch->action == TU_PLANFILE_UPDATE;
    wants_live = ch->action == TU_PLANFILE_UPDATE ||
                 ch->action == TU_PLANFILE_DELETE;
    if (get_object(c, item, "desired", wants_desired, &ch->desired) != 0 ||
        get_object(c, item, "live", wants_live, &ch->live) != 0 ||
        get_object(c, item, "changes", wants_desired, &ch->changes) != 0)
        return -1;
    if (ch->action == TU_PLANFILE_CREATE && ch->live)
        return bad(c, "live", "is given for a create");
    if (ch->action == TU_PLANFILE_FAIL)
        return get_string(c, item, "error", &ch->error);
    return 0;
}

static int parse_changes(const pf_ctx *c, const json_t *root, tu_planfile *pf)
{
    const json_t *list = json_object_get(root, "changes");
    char where[64];
    tu_error inner;
    pf_ctx ic = {where, &inner};

    if (!json_is_array(list))
        return bad(c, "changes", list ? "is not a list" : "is missing");
    pf->changes = calloc(json_array_size(list) + 1, sizeof *pf->changes);
    if (!pf->changes) {
        tu_error_set(c->err, TU_ERR_NOMEM,
                     "out of memory while reading %s", c->name);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        snprintf(where, sizeof where, "changes[%zu]", i);
        if (parse_change(&ic, json_array_get(list, i),
                         &pf->changes[i]) != 0) {
            tu_error_set(c->err, TU_ERR_PLAN,
                         "%s: %s", c->name, inner.message);
            return -1;
        }
        pf->count++;
    }
    return 0;
}

static int parse_shard(const pf_ctx *c, const json_t *root, tu_planfile *pf)
{
    const json_t *shard;
    char name[TU_ERROR_MAX];
    pf_ctx sc = {name, c->err};

    if (get_object(c, root, "shard", 0, &shard) != 0)
        return -1;
    if (!shard)
        return 0;
    snprintf(name, sizeof name, "%s: shard", c->name);
    if (get_long(&sc, shard, "count", 1, 1000000, &pf->shard_count) != 0 ||
        get_long(&sc, shard, "index", 0, pf->shard_count - 1,
                 &pf->shard_index) != 0)
        return -1;
    return 0;
}

static int parse_members(const pf_ctx *c, const json_t *root, tu_planfile *pf);

/* A system's plan: the run's members, then each resource's part. */
static int parse_system(const pf_ctx *c, const json_t *root, tu_planfile *pf)
{
    const json_t *res = json_object_get(root, "resources"), *options, *part;
    const char *version, *name;
    char where[TU_ERROR_MAX];
    size_t n = json_object_size(res), i = 0;

    if (!json_is_object(res) || n == 0)
        return bad(c, "resources", "is not a mapping of resources");
    if (get_object(c, root, "settings", 0, &pf->settings) != 0 ||
        get_object(c, root, "options", 1, &options) != 0 ||
        get_bool(c, options, "force", &pf->force) != 0 ||
        get_string(c, root, "desired_sha256", &pf->desired_sha256) != 0 ||
        get_string(c, root, "created_at", &pf->created_at) != 0 ||
        get_string(c, root, "trueup_version", &version) != 0)
        return -1;
    pf->parts = calloc(n, sizeof *pf->parts);
    pf->part_names = calloc(n, sizeof *pf->part_names);
    if (!pf->parts || !pf->part_names)
        return bad(c, "resources", "could not be read (out of memory)");
    pf->nparts = n;
    json_object_foreach((json_t *)res, name, part) {
        pf_ctx pc = {where, c->err};
        snprintf(where, sizeof where, "%s: resources.%s", c->name, name);
        pf->part_names[i] = name;
        if (!json_is_object(part))
            return bad(&pc, "", "is not a plan");
        if (parse_members(&pc, part, &pf->parts[i++]) != 0)
            return -1;
    }
    return 0;
}

static int parse_members(const pf_ctx *c, const json_t *root, tu_planfile *pf)
{
    const json_t *options;
    const char *version;

    if (get_object(c, root, "target", 1, &pf->target) != 0 ||
        get_object(c, root, "settings", 0, &pf->settings) != 0 ||
        get_object(c, root, "options", 1, &options) != 0 ||
        get_bool(c, options, "prune", &pf->prune) != 0 ||
        get_bool(c, options, "force", &pf->force) != 0 ||
        parse_shard(c, root, pf) != 0 ||
        get_long(c, root, "live_count", 0, LONG_MAX, &pf->live_count) != 0 ||
        get_string(c, root, "desired_sha256", &pf->desired_sha256) != 0 ||
        get_string(c, root, "created_at", &pf->created_at) != 0 ||
        get_string(c, root, "trueup_version", &version) != 0)
        return -1;
    return parse_changes(c, root, pf);
}

int tu_planfile_parse(const char *text, size_t len, const char *name,
                      const char *key, tu_planfile *pf, tu_error *err)
{
    pf_ctx c = {name, err};
    json_error_t jerr;

    memset(pf, 0, sizeof *pf);
    pf->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!pf->root) {
        tu_error_set(err, TU_ERR_PLAN,
                     "%s:%d:%d: not a trueup plan file: %s", name,
                     jerr.line, jerr.column, jerr.text);
        return -1;
    }
    if (check_format(&c, pf->root) != 0 ||
        check_checksum(&c, pf->root, key, pf) != 0 ||
        (json_object_get(pf->root, "resources")
             ? parse_system(&c, pf->root, pf)
             : parse_members(&c, pf->root, pf)) != 0) {
        tu_planfile_free(pf);
        return -1;
    }
    return 0;
}

json_t *tu_planfile_system(const char *const *names, json_t *const *parts,
                           size_t n, const json_t *settings, int force,
                           const char *desired_sha256, const char *now)
{
    static const char *const own[] = {"format", "format_version",
                                      "checksum", NULL};
    json_t *res = json_object();
    json_t *pf = json_pack("{s:s, s:i, s:s, s:s, s:s, s:O*, s:{s:b}, s:o}",
                           "format", TU_PLANFILE_FORMAT,
                           "format_version", TU_PLANFILE_VERSION,
                           "trueup_version", TU_VERSION,
                           "created_at", now,
                           "desired_sha256", desired_sha256,
                           "settings", settings,
                           "options", "force", force,
                           "resources", res);

    for (size_t i = 0; pf && i < n; i++) {
        json_t *part = json_copy(parts[i]);
        for (size_t k = 0; part && own[k]; k++)
            json_object_del(part, own[k]);
        if (!part || json_object_set_new(res, names[i], part) != 0) {
            json_decref(pf);
            return NULL;
        }
    }
    return pf;
}

void tu_planfile_free(tu_planfile *pf)
{
    for (size_t i = 0; i < pf->nparts; i++)
        free(pf->parts[i].changes);
    free(pf->parts);
    free(pf->part_names);
    json_decref(pf->root);
    free(pf->changes);
    memset(pf, 0, sizeof *pf);
}
