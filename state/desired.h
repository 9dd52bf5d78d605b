/* desired.h -- the desired-state document: files merged and checked.
 *
 * Several YAML files may be given; they merge into one document: mappings
 * (target, settings, defaults) merge key by key; records, bulk rules and
 * the protect and prune_scope rules concatenate.
 * A key given in two files with different values is an error naming both
 * places; the same value twice is fine. Top-level keys and settings are
 * checked here; the target is left to its provider (engine/), which knows
 * its keys.
 */
#ifndef TU_STATE_DESIRED_H
#define TU_STATE_DESIRED_H

#include <jansson.h>
#include "trueup/trueup.h"
#include "bulk.h"
#include "record.h"
#include "rules.h"
#include "srcmap.h"

typedef struct tu_settings {
    long concurrency;        /* requests in flight at most */
    double timeout;          /* seconds per request */
    double connect_timeout;  /* seconds to connect */
    long retries;            /* extra tries for retryable failures */
    double retry_delay;      /* seconds: the first backoff ceiling */
    double retry_max_delay;  /* seconds: the longest wait before a retry */
    double rate_limit;       /* requests started per second; 0: no limit */
    int adaptive;            /* shrink concurrency on 429, grow it back */
    double deadline;         /* seconds for the whole run; 0: none */
    int prune;               /* delete live records no desired one names */
    double max_updates;      /* % of live records a run may update */
    double max_deletes;      /* % of live records a run may delete */
    long min_existing;       /* thresholds apply from this many records */
    long max_response_mb;    /* a larger response body fails its request */
    const char *owner;       /* ownership marks: this run's owner id;
                                NULL: none (borrowed from the document) */
    int http2;               /* TU_SETTINGS_HTTP2_AUTO, _ON, _OFF */
    long max_connections;    /* connections open at once; 0: no limit */
} tu_settings;

/* settings.http2: auto (ALPN over TLS), on (also prior knowledge over
 * cleartext), off. */
enum { TU_SETTINGS_HTTP2_AUTO, TU_SETTINGS_HTTP2_ON, TU_SETTINGS_HTTP2_OFF };

void tu_settings_init(tu_settings *settings);

/* Where a record was written: its own position when it is a mapping (or
 * any container), else the position of the `records:` key of its file;
 * and its index in that file's list. */
typedef struct tu_record_origin {
    tu_srcpos pos;
    size_t index;
} tu_record_origin;

/* One record as written. A mapping is packed (state/packed.h) as soon as
 * the loader has read it, so that a million records are never a jansson
 * tree together; any other value is kept for the error it makes. */
typedef struct tu_doc_record {
    const tu_packed *fields; /* in the document's store; NULL: not a
                                mapping */
    json_t *value;           /* owned: the item when it is not a mapping */
    const uint32_t *members; /* line and column of each field, in
                                `places`; NULL: not known (a value), or
                                forgotten (tu_doc_forget_places) */
    tu_record_origin origin;
} tu_doc_record;

typedef struct tu_doc {
    tu_srcmap *map;          /* owned: positions of everything below */
    json_t *root;            /* owned: the merged target, settings, defaults */
    const json_t *target;    /* borrowed from root */
    const json_t *defaults;  /* borrowed; NULL when absent */
    tu_pack_store store;     /* owned: the records' packed fields */
    tu_arena places;         /* owned: the records' `members`, until
                                tu_doc_forget_places */
    tu_doc_record *records;  /* owned: every file's records, in order;
                                NULL once compacted (tu_doc_compact) */
    const tu_packed **written; /* owned: once compacted, each record's
                                packed fields, in order; else NULL */
    size_t nrecords, records_cap;
    size_t nvalues;          /* records that are not mappings (`value`) */
    size_t list_from;        /* records before the list being read, and */
    tu_arena_mark list_places;  /* where `places` stood (drop_items) */
    tu_bulk bulk;            /* owned: the files' bulk rules, in order */
    tu_rules protect;        /* owned: records trueup leaves alone */
    tu_rules prune_scope;    /* owned: the live records prune considers;
                                empty: all */
    tu_settings settings;
    json_t *parts;           /* owned: a system's resources (`resources:`),
                                NAME -> the list of the files' mappings
                                for it, in file order; NULL: not a system
                                (tu_doc_part makes each one's document) */
    int map_borrowed;        /* map is the system document's (a part) */
    char state_key[80];      /* trueup's own per-record keys: "state" */
    char takeover_key[80];   /* and "takeover", after target.meta_prefix */
} tu_doc;

/* Load, merge and check `paths`. 0, or -1 with err set (doc left empty). */
int tu_doc_load(tu_doc *doc, const char *const *paths, size_t npaths,
                tu_error *err);

/* The same for one document given as a JSON value (inline content, with no
 * file positions); `name` stands for the file in messages. */
int tu_doc_load_value(tu_doc *doc, const json_t *root, const char *name,
                      tu_error *err);

void tu_doc_free(tu_doc *doc);

/* The names of a system's resources, in the order they are first written,
 * as a new JSON array of strings (NULL when out of memory); an empty
 * array for a document that is not a system. */
json_t *tu_doc_part_names(const tu_doc *doc);

/* The document of one resource of the system `sys` (sys->parts): its files'
 * mappings merged as one-resource files merge, inheriting the keys of the
 * system's settings and target that it does not give itself (a resource's
 * settings may hold only prune, owner, max_updates, max_deletes and
 * min_existing: the others are the run's). The part borrows sys's source
 * map: free it before sys. 0, or -1 with err set (part left empty). */
int tu_doc_part(const tu_doc *sys, const char *name, tu_doc *part,
                tu_error *err);

/* Called for each desired record once defaults are merged in, before its
 * key is computed; a provider normalises fields here (0, or -1 + err). */
typedef int (*tu_normalize_fn)(json_t *fields, tu_srcpos pos, void *data,
                               tu_error *err);

/* trueup's own per-record keys become PREFIX+"state" and
 * PREFIX+"takeover" (target.meta_prefix), so an API field with one of
 * those names can be declared. 0, or -1 when the prefix is too long. */
int tu_doc_set_meta_prefix(tu_doc *doc, const char *prefix);

/* The records as written, as a new JSON array (for digests of the whole
 * document); NULL when out of memory. */
json_t *tu_doc_records_json(const tu_doc *doc);

/* Build the desired record set: defaults merged under each record, the
 * state and takeover keys taken out, normalised, keyed. The state key may
 * not be a default. Two records with the same key are an error
 * naming both places. 0, or -1 with err set. A record with nothing to
 * merge, take out or normalise keeps the document's packed fields: free
 * `out` before the document. */
int tu_doc_records(const tu_doc *doc, const tu_keyspec *spec,
                   tu_normalize_fn normalize, void *data, tu_recordset *out,
                   tu_error *err);

/* Once tu_doc_records has made the record set: keep of each record only
 * its packed fields (for tu_doc_records_json), and free the places of its
 * fields and the rest, which only tu_doc_records reads: 80 bytes a record
 * of four fields, held through a plan otherwise. Errors about a record
 * still name its place (the record set keeps it). Nothing is done, and
 * -1 returned, when out of memory or when a record is not a mapping. */
int tu_doc_compact(tu_doc *doc);

/* ---- between desired.c and desired_parts.c only ------------------------- */

/* An empty document; its source map is `map` (borrowed: a part of a
 * system) or, NULL, a new one. 0, or -1 with err set. */
int tu_doc_begin(tu_doc *doc, tu_srcmap *map, tu_error *err);

/* Check one file's root (or a resource's mapping) and merge it in. */
int tu_doc_add_document(tu_doc *doc, const json_t *root, const char *name,
                        tu_error *err);

/* Settings read and the whole checked once everything is merged. */
int tu_doc_finish(tu_doc *doc, const char *name, size_t count,
                  tu_error *err);

/* A copy of a mapping (shallow), its positions recorded in map; NULL when
 * out of memory. */
json_t *tu_doc_copy_mapping(tu_srcmap *map, const json_t *obj);

#endif
