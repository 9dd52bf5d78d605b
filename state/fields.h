/* fields.h -- per-field rules (target.fields): how each field of a record
 * is compared, read back, sent and shown, the same for every provider.
 *
 *   target:
 *     fields:
 *       tags:      {compare: set, split: ","}   # "a,b" equals ["b", "a"]
 *       name:      {compare: caseless}
 *       url:       read_only                    # the server's: never sent
 *       password:  {write_only: true, update: always, value_env: PW,
 *                   stored_as: password_hash}
 *       tenant:    {read: id}                   # live {id: 2, ...} reads 2
 *       arguments: immutable                    # a change is a replace
 *       ttl:       {write_as: rr_ttl, compare: number}
 *       name:      {strip_suffix: ".{domain}"}  # www.example.com -> www
 *       threshold: {compare: declared}          # only the keys declared
 *       query.time_range: read_only             # a path inside a field
 *
 * A field with no rule compares exactly (numbers by value, lists in order)
 * and is sent as declared. Rules:
 *   compare    exact (default), set (a list's order and repeats do not
 *              matter), caseless (strings compare ignoring ASCII case),
 *              number (a string that is a JSON number equals that number,
 *              at any depth), declared (a mapping compares only the keys
 *              the desired value has, at any depth; lists of them item by
 *              item); a list of them combines them (but declared with set)
 *   split      a string value is a list of its parts between this separator
 *              (each trimmed of spaces, empty parts dropped) for comparing:
 *              for servers that store "a,b" as ["a","b"]
 *   read       dotted path of the part of the live value that is compared,
 *              exported and sent back (NetBox returns tenant {id, name, ...}
 *              and takes tenant: 2); the live record holds that part
 *   read_only  the server owns it: never compared, never sent, not exported
 *   write_only never read back, never compared, not exported; sent on
 *              create, and on update when `update: always` (the record is
 *              then updated on every run); its value may come from the
 *              environment: `value_env: VAR` for every record, or
 *              `FIELD_env: VAR` in a record; every value is a secret,
 *              shown as "***" and scrubbed from all output
 *   stored_as  (write_only) the field in which the server keeps the secret's
 *              stored form (a hash): never compared nor exported, sent back
 *              from the live record in an update that does not carry the
 *              secret, left out of one that does
 *   immutable  the server cannot change it in place: a change is planned as
 *              a replace (delete, then create)
 *   write_as   the name the field is sent under in create and update
 *              bodies (it is read and compared under its own); a key
 *              field may have it; two fields sent under one name is an
 *              error
 *   ref        (with by, send) the field names a record of another
 *              resource of a system by that record's key; the engine
 *              (engine/system.c) translates it to what the API takes
 *   strip_suffix  sent without this suffix; the suffix without its first
 *              character (the apex) is sent as ""; a template of
 *              target.vars that the engine resolves once at load
 *              (tu_field_rule_set_suffix)
 *
 * A dotted name (`query.time_range`) is a path into a field's value at any
 * depth, a step over a list applying to each item; it may have compare,
 * split and read_only (not compared, not sent). The ignore list's dotted
 * paths (tu_field_rules_ignore) are paths too, neither compared nor
 * changed. A path that can never take effect is an error: its first step
 * a key field, or a field (or a shorter path) ignored, read_only or
 * write_only as a whole. The field a path starts in has a rule (made when
 * it has none) marked `nested`, so it is never compared as a plain field.
 *
 * Nothing here does I/O but getenv(); rules borrow their strings from the
 * target mapping, which must outlive them.
 */
#ifndef TU_STATE_FIELDS_H
#define TU_STATE_FIELDS_H

#include <stddef.h>
#include <jansson.h>
#include "trueup/trueup.h"
#include "record.h"
#include "srcmap.h"
#include "util/strmap.h"

/* What a write-only field is shown as in plans, reports and diffs. */
#define TU_FIELD_HIDDEN "***"

typedef struct tu_field_rule {
    const char *name;       /* borrowed (or own_name): a field or a path */
    const char *split;      /* NULL: no splitting */
    const char *read;       /* NULL: the whole live value */
    const char *value_env;  /* write_only: variable for every record */
    const char *stored_as;  /* write_only: the server's stored form */
    const char *write_as;   /* NULL: sent under its own name */
    const char *strip_suffix; /* NULL: none; borrowed, or own_suffix */
    const char *ref;        /* NULL: none; the resource of a system whose
                               record this field names by its key */
    const json_t *by;       /* ref: NULL, or the fields (strings) giving
                               the referenced key, in its key order */
    const char *send;       /* ref: the field of the referenced record the
                               API takes; NULL: its resource's id */
    char *own_name;         /* owned: a path's field made for it */
    char *own_suffix;       /* owned: strip_suffix resolved */
    unsigned set : 1;
    unsigned caseless : 1;
    unsigned number : 1;
    unsigned declared : 1;
    unsigned path : 1;      /* a dotted path into a field's value */
    unsigned nested : 1;    /* a field with paths inside it */
    unsigned ignored : 1;   /* a path of the ignore list */
    unsigned read_only : 1;
    unsigned write_only : 1;
    unsigned always : 1;    /* write_only: also sent on every update */
    unsigned immutable : 1;
    tu_srcpos pos;          /* of the rule, for messages */
} tu_field_rule;

typedef struct tu_field_rules {
    tu_field_rule *items;   /* owned */
    size_t count;
    tu_strmap index;        /* name -> index in items */
} tu_field_rules;

/* How an update's body is made (resource.update_body). */
typedef enum tu_update_body {
    TU_BODY_CHANGED,        /* only the fields that differ */
    TU_BODY_DECLARED,       /* every declared field, the key and the id */
    TU_BODY_MERGED          /* the live record, the declared fields over it */
} tu_update_body;

/* Read `fields` (the target.fields mapping, or NULL for no rules). Key
 * fields may not be write-only nor compared other than exactly. 0, or -1
 * with err set at the offending rule. */
int tu_field_rules_parse(tu_field_rules *rules, const json_t *fields,
                         const tu_keyspec *key, const tu_srcmap *map,
                         tu_error *err);
void tu_field_rules_free(tu_field_rules *rules);

/* The ignore list (`what` names it in messages, `pos` is where it is):
 * each dotted path becomes a path rule, never compared; then every path
 * is checked against the key and the whole fields the list ignores. 0,
 * or -1 with err set at `pos` (or at the offending rule). */
int tu_field_rules_ignore(tu_field_rules *rules, const char *const *ignore,
                          size_t nignore, const tu_keyspec *key,
                          const char *what, tu_srcpos pos, tu_error *err);

/* Give `r` its resolved strip_suffix (taken over: malloc'd). */
void tu_field_rule_set_suffix(tu_field_rule *r, char *suffix);

/* The rule of the field `name`, or NULL (also when rules is NULL); paths
 * are not fields: tu_field_path_rule finds them. */
const tu_field_rule *tu_field_rule_get(const tu_field_rules *rules,
                                       const char *name);

/* The rule of the dotted path `path`, or NULL. */
const tu_field_rule *tu_field_path_rule(const tu_field_rules *rules,
                                        const char *path);

/* 1 when the server owns `name`: read_only, or some secret's stored_as. */
int tu_field_server_owned(const tu_field_rules *rules, const char *name);

/* 1 when a write-only field names the field holding its stored form
 * (stored_as): an update body then needs the live record. */
int tu_field_rules_stored(const tu_field_rules *rules);

/* 1 when `name` is compared and exported: not server-owned, not write-only. */
int tu_field_readable(const tu_field_rules *rules, const char *name);

/* Desired `want` equals live `have` as the rules compare the field
 * `name` (and the paths inside it); exactly when it has no rule. */
int tu_field_equal(const tu_field_rules *rules, const char *name,
                   const json_t *want, const json_t *have);

/* A live record as read: each `read` field replaced by its part (null when
 * the part is missing). 0, or -1 when out of memory. */
int tu_field_rules_read(const tu_field_rules *rules, json_t *live);

/* 1 when some rule reads a part of a live value (`read`): then
 * tu_field_rules_read changes live records, else it leaves them as they
 * are. */
int tu_field_rules_reading(const tu_field_rules *rules);

/* A live record as exported: the paths read_only or ignored taken out
 * of its fields' values (each such value replaced by a copy). 0, or -1
 * when out of memory. */
int tu_field_rules_export(const tu_field_rules *rules, json_t *record);

/* Called for each write-only value of a desired record (to scrub it). */
typedef int (*tu_secret_fn)(const char *value, void *data);

/* A desired record's write-only values: `FIELD_env: VAR` in the record
 * becomes FIELD with $VAR, a rule's value_env fills a field the record
 * lacks, and every value (strings only) goes to `secret`. 0, or -1 with err
 * set at `pos` (a variable not set, a value both given and named). */
int tu_field_rules_resolve(const tu_field_rules *rules, json_t *fields,
                           tu_srcpos pos, tu_secret_fn secret, void *data,
                           tu_error *err);

/* The first immutable field named in `changes`, or NULL. */
const char *tu_field_immutable_change(const tu_field_rules *rules,
                                      const json_t *changes);

/* The body of a create: the desired fields but the server-owned ones,
 * in their written form (write_as, strip_suffix, read_only paths left
 * out). A new object, or NULL when out of memory. */
json_t *tu_field_create_body(const tu_field_rules *rules,
                             const json_t *desired);

typedef struct tu_update_input {
    const json_t *desired;  /* the desired record's fields */
    const json_t *live;     /* the live record's fields */
    const char *const *changed; /* the fields the plan changes */
    size_t nchanged;
    const tu_keyspec *key;
    const char *id;         /* the server's id field; NULL: none */
} tu_update_input;

/* 1 when an update of the changed fields `names` (TU_BODY_CHANGED) sends
 * each as the desired record holds it, under its own name, and nothing
 * else: no rule rewrites, hides, withholds or adds to them. The fast path
 * that writes such a body from packed fields asks; 0: build it with
 * tu_field_update_body. */
int tu_field_update_as_changed(const tu_field_rules *rules,
                               const char *const *names, size_t n);

/* The body of an update made the `how` way, server-owned fields left out,
 * write-only ones only when `update: always`, a secret's stored_as sent
 * back when the secret is not sent, each field in its written form (as
 * a create's). A new object, or NULL (out of memory). */
json_t *tu_field_update_body(const tu_field_rules *rules, tu_update_body how,
                             const tu_update_input *in);

#endif
