/* planfile.h -- plan files: sealing them, and reading them back, checked.
 *
 * A plan file (`trueup plan --out FILE`, docs/plan-file.md) is one JSON
 * object: the planned changes with the live values they were planned
 * against, the target and settings, and a checksum over all of it. This
 * part holds no network I/O: it computes checksums (SHA-256, or HMAC-SHA256
 * with a key, through OpenSSL's libcrypto), and parses a file's text into a
 * tu_planfile whose every member has the type the format says, refusing a
 * file whose checksum does not match its content.
 *
 * The checksum covers the canonical text of the object without its
 * `checksum` member: keys sorted, compact, as jansson writes it. Any change
 * to a value, a key, or the set of keys changes it.
 */
#ifndef TU_STATE_PLANFILE_H
#define TU_STATE_PLANFILE_H

#include <stddef.h>
#include <jansson.h>
#include "trueup/trueup.h"
#include "desired.h"

#define TU_PLANFILE_FORMAT "trueup-plan"
#define TU_PLANFILE_VERSION 1

typedef enum tu_planfile_action {
    TU_PLANFILE_CREATE,
    TU_PLANFILE_UPDATE,
    TU_PLANFILE_DELETE,
    TU_PLANFILE_FAIL     /* could not be planned: reported, never pushed */
} tu_planfile_action;

/* One planned change; every pointer borrowed from the file's root. */
typedef struct tu_planfile_change {
    tu_planfile_action action;
    const char *key;           /* the record's label, "www.example.org.|A" */
    const json_t *desired;     /* create, update: the fields wanted */
    const json_t *live;        /* update, delete: the live record planned
                                  against; NULL for a create (absent then) */
    const json_t *changes;     /* create, update: {field: {before?, after}} */
    const char *error;         /* fail: why */
} tu_planfile_change;

typedef struct tu_planfile {
    json_t *root;              /* owned */
    const json_t *target;      /* the desired state's target mapping */
    const json_t *settings;    /* its settings mapping, or NULL */
    int prune, force;
    long shard_index, shard_count;   /* count 0: not sharded */
    long live_count;           /* live records when planned (of the shard) */
    const char *checksum;      /* hex */
    const char *algorithm;     /* "sha256" or "hmac-sha256" */
    const char *desired_sha256;
    const char *created_at;
    tu_planfile_change *changes;     /* owned array */
    size_t count;
    /* A system's plan (several resources): `resources` holds one part per
     * resource, each with the members above but the format's, checksum
     * and root (parsed into parts, in the file's order; target and
     * changes then belong to the parts only). nparts 0: one resource. */
    struct tu_planfile *parts;       /* owned array */
    const char **part_names;         /* owned array; names borrowed */
    size_t nparts;
} tu_planfile;

/* The hex SHA-256 of the desired state as loaded: the merged target,
 * settings and defaults, every record as written, and the bulk rules.
 * 0, or -1 when out of memory. */
int tu_planfile_desired_digest(const tu_doc *doc, char hex[65]);

/* Add `checksum` to a plan object: HMAC-SHA256 when `key` is non-NULL and
 * non-empty, else SHA-256. 0, or -1 with err set. */
int tu_planfile_seal(json_t *plan, const char *key, tu_error *err);

/* A system's plan file: `parts` (the resources' plan objects, each made
 * as a one-resource plan and sealed or not: their format members and
 * checksum are left out) by name, under the run's settings and options,
 * with the digest of the whole desired state; not sealed yet. A new
 * object, or NULL when out of memory. */
json_t *tu_planfile_system(const char *const *names, json_t *const *parts,
                           size_t n, const json_t *settings, int force,
                           const char *desired_sha256, const char *now);

/* Parse and check the text of a plan file (`name` for messages; `key` as
 * given to tu_planfile_seal). 0 and *out filled, or -1 with err saying what
 * is wrong (nothing to free then). */
int tu_planfile_parse(const char *text, size_t len, const char *name,
                      const char *key, tu_planfile *out, tu_error *err);

void tu_planfile_free(tu_planfile *pf);

/* "create", "update", "delete", "fail". */
const char *tu_planfile_action_name(tu_planfile_action action);

#endif
