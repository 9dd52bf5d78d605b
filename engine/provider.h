/* provider.h -- how a kind of API is read from and written to.
 *
 * A provider turns records into requests and responses into records. All
 * that differs between APIs lives behind this table of functions, one file
 * per provider in providers/ (providers/rest.c, ...), listed in
 * providers/providers.def. The engine calls them in order:
 *
 *   parse      target mapping -> the provider's config (its own keys)
 *   describe   which fields make the key, which are never compared
 *   protect    which records the provider always keeps (optional)
 *   owner_field  where a record's ownership mark lives (optional)
 *   live_fields, field_alias  the fields a rule may name (optional)
 *   normalize  put a record's fields in canonical form (optional)
 *   answers    what the API's answers say beyond their status (optional)
 *   fetch      submit the GETs that list the live records (fetch.h)
 *   push       submit the writes that carry the planned actions (push.h)
 *   export_record  a live record as a desired-state file declares it
 *   shard_key  what keeps records in one shard (optional)
 *
 * See docs/providers.md for how to add one.
 */
#ifndef TU_ENGINE_PROVIDER_H
#define TU_ENGINE_PROVIDER_H

#include <stddef.h>
#include <jansson.h>
#include "trueup/trueup.h"
#include "state/record.h"
#include "state/answer.h"
#include "state/srcmap.h"
#include "plan.h"

typedef struct tu_target tu_target;
typedef struct tu_fetch tu_fetch;
typedef struct tu_push tu_push;

typedef struct tu_provider_ops {
    const char *name;
    /* Keys of `target` this provider reads, beyond the common provider,
     * base_url, headers and auth. NULL-ended. */
    const char *const *target_keys;
    /* Read the provider's keys of `target` into a config (*cfg). */
    int (*parse)(const json_t *target, const tu_srcmap *map, void **cfg,
                 tu_error *err);
    void (*free)(void *cfg);
    /* The key fields, and the fields never compared (borrowed from cfg). */
    void (*describe)(const void *cfg, tu_keyspec *key, const char ***ignore,
                     size_t *nignore);
    /* 1 for a record the provider always keeps (a DNS zone's SOA and apex
     * NS): never pruned nor deleted, changed only when declared and
     * options.change_protected is set; may be NULL (nothing is). */
    int (*protect)(const void *cfg, const tu_record *record);
    /* The field of a record that holds its ownership mark (settings.owner):
     * a field of the API's record, or one the provider maps to what the API
     * can hold (PowerDNS: an rrset comment). NULL, or a NULL op: this
     * target cannot hold marks. */
    const char *(*owner_field)(const void *cfg);
    /* The fields a live record can have, NULL-ended (borrowed), so that a
     * rule key naming none is an error at load; NULL, or a NULL op: any
     * field (the API's records are free-form). */
    const char *const *(*live_fields)(const void *cfg);
    /* The live field a desired-record shorthand stands for (PowerDNS:
     * "content" -> "records"), or NULL; may be NULL. */
    const char *(*field_alias)(const void *cfg, const char *name);
    /* What the API's answers say beyond their status (state/answer.h):
     * the success rule every 2xx answer must pass (list pages, gets and
     * writes alike), and where a create's answer names the new record's
     * id. Borrowed from cfg. NULL, or a NULL op: no rule, no new ids. */
    const tu_answer_rules *(*answers)(const void *cfg);
    /* Canonical form of a record's fields, desired or live; may be NULL. */
    int (*normalize)(json_t *fields, tu_srcpos pos, void *cfg, tu_error *err);
    /* A live record as a desired-state file would declare it (trueup
     * export): a new object, or NULL to leave the record out. May be NULL:
     * then every field but the ignored ones. */
    json_t *(*export_record)(const void *cfg, const tu_record *live);
    /* What a record is sharded by (--shard I/N): a string whose records
     * must stay in one shard (PowerDNS: the record's zone, so that each
     * zone's batches go out from one run), borrowed from cfg or the
     * record; NULL or a NULL op: the record's key. */
    const char *(*shard_key)(const void *cfg, const tu_record *record);
    /* Submit the requests that list the live records. 0 or -1. */
    int (*fetch)(const tu_target *target, tu_fetch *fetch);
    /* 1 when fetch reads the desired records' live ones one by one
     * (tu_fetch_desired), so it cannot start before they are loaded
     * (engine/prefetch.c); NULL or 0: it lists them. */
    int (*fetch_uses_desired)(const void *cfg);
    /* The most writes this API takes at once (PowerDNS with SQLite: 1);
     * 0 or a NULL op: as many as the run's concurrency allows. */
    long (*max_writes)(const void *cfg);
    /* Submit the requests that carry `actions` (create, update, delete).
     * Every action must be covered by exactly one request, or failed. */
    int (*push)(const tu_target *target, tu_push *push, tu_action **actions,
                size_t n);
    /* 1 when push makes each action's request alone, so that it may be
     * called again and again with the next actions as earlier requests
     * are answered (engine/push.c); NULL or 0: once with every action
     * (PowerDNS groups them in batches). */
    int (*push_per_action)(const void *cfg);
} tu_provider_ops;

/* The provider called `name`, or NULL. */
const tu_provider_ops *tu_provider_find(const char *name);

/* The names of all providers, NULL-ended (for messages). */
const char *const *tu_provider_names(void);

/* The provider a target mapping names in its `provider` key (the document
 * at `map`). NULL with err set (file:line:col) when it names none or an
 * unknown one. */
const tu_provider_ops *tu_provider_of(const json_t *target,
                                      const tu_srcmap *map, tu_error *err);

#endif
