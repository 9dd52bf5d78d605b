/* plan.h -- desired records against live records: the actions to take.
 *
 * One action per desired record, plus one per live record that `prune`
 * deletes. A desired record matches the live record with the same key;
 * only the fields it declares are compared (trueup owns what it declares),
 * never the key fields nor the ignored ones, each under its field rule
 * (state/fields.h): server-owned and write-only fields are not compared;
 * a write-only field is a change on create, and on every update when its
 * rule says `update: always`, shown as "***".
 *
 *   create  no live match, state present
 *   update  a live match, and a declared field differs
 *   replace a live match, and an immutable field differs (target.fields):
 *           delete, then create
 *   delete  state absent and a live match, or prune and no desired match
 *   skip    already as desired: no request is made
 *   fail    cannot be planned (two live records share its key)
 *
 * Records left alone (an action of kind skip with `left_alone` set,
 * listed in the report with the reason):
 *   - a record the provider protects (protect(): a DNS zone's SOA and apex
 *     NS) is never pruned nor deleted; a declared change to it fails unless
 *     `change_protected` is set; a bulk rule leaves it alone;
 *   - a record a `protect` rule selects is never pruned, and bulk rules
 *     leave it alone; declared in `records`, it is changed as declared;
 *   - with an `owner`, a record carrying another owner's mark (its
 *     owner_field) is never pruned nor changed: a declared change fails
 *     unless the record says `takeover: true`; a bulk rule leaves it alone.
 * Prune considers only the live records `prune_scope` selects (all when it
 * is empty) and, with an owner, only those carrying this owner's mark; the
 * others are counted (out_of_scope, not_owned), not listed.
 *
 * The plan borrows the records; it must not outlive the two record sets.
 */
#ifndef TU_ENGINE_PLAN_H
#define TU_ENGINE_PLAN_H

#include <stddef.h>
#include <jansson.h>
#include "trueup/trueup.h"
#include "state/fields.h"
#include "state/record.h"
#include "state/rules.h"

typedef enum tu_action_kind {
    TU_ACTION_SKIP,
    TU_ACTION_CREATE,
    TU_ACTION_UPDATE,
    TU_ACTION_DELETE,
    TU_ACTION_FAIL,
    TU_ACTION_REPLACE
} tu_action_kind;

typedef enum tu_action_status {
    TU_STATUS_PLANNED,  /* not (yet) pushed */
    TU_STATUS_OK,       /* the API accepted it */
    TU_STATUS_FAILED    /* the API refused it, or it could not be planned */
} tu_action_status;

/* One declared field that differs, as the plan keeps it for packed
 * records whose changed fields have no rule: the two values are fields of
 * the records themselves, which outlive the plan. */
typedef struct tu_change {
    const char *field;
    const tu_pfield *before;   /* NULL: none (a create); a field the live
                                  record lacks is a null */
    const tu_pfield *after;
} tu_change;

/* A create's or an update's changes are in one of two forms: `clist`
 * (compact: nothing to build, write or free per change), or `changes`,
 * {field: {before?, after}} in jansson form (a field with a rule, records
 * without a packed form, plans read from a file). tu_action_changes_json
 * and tu_action_changes_dumpb give either as the same JSON. */
/* What an action says beyond its kind and changes: a few actions of many
 * say anything, so the texts are apart, made when the first is set. */
typedef struct tu_action_text {
    char *error;               /* owned; why it failed */
    char *note;                /* owned; what a person should know */
    char *left_alone;          /* owned; skip: why the record was left
                                  alone (the rule, the provider, an owner) */
    const char *refused;       /* failed as "protected" or "owned" (static) */
    char *new_id;              /* owned; a create's: the id the server gave
                                  the record (state/answer.h), or NULL */
} tu_action_text;

typedef struct tu_action {
    const tu_record *desired;  /* NULL: a prune delete */
    const tu_record *live;     /* NULL: no live match */
    json_t *changes;           /* owned, or NULL (none, or clist has them) */
    const tu_change *clist;    /* in the plan's arena, or NULL */
    tu_action_text *text;      /* owned, or NULL: nothing said (most
                                  actions); read through tu_action_error
                                  and the others below */
    tu_action_kind kind : 8;
    tu_action_status status : 8;
    unsigned nchanges : 8;     /* of clist (at most TU_PLAN_COMPACT_MAX) */
    unsigned uncertain : 1;    /* failed, but may have taken effect (a
                                  create that may have reached the server):
                                  to be checked by re-reading */
    unsigned deleted : 1;      /* replace: the delete is done, the create
                                  is next */
    unsigned resent : 1;       /* a create re-sent after re-reading found
                                  it absent: its attempts add up */
    short http_status;         /* of the request that carried it (100-599);
                                  0: none */
    unsigned short attempts;   /* at most 101 a send (settings.retries) */
} tu_action;   /* 48 bytes on LP64 (96 with the texts here and the small
                  fields apart): a million-record plan holds a million */

typedef struct tu_plan {
    tu_action *actions;
    size_t count;
    tu_arena arena;            /* the actions' compact changes */
    size_t out_of_scope;       /* unnamed live records prune_scope leaves out */
    size_t not_owned;          /* unnamed live records without this owner's
                                  mark (with an owner) */
} tu_plan;

typedef int (*tu_protect_fn)(const void *data, const tu_record *record);

typedef struct tu_plan_options {
    int prune;
    int change_protected;      /* declared changes to records the provider
                                  protects are made */
    tu_protect_fn protect;     /* NULL: the provider protects nothing */
    const void *protect_data;
    const tu_rules *protect_rules; /* NULL: no protect rules */
    const tu_rules *prune_scope;   /* NULL or empty: every live record */
    const char *owner;         /* NULL: no ownership marks */
    const char *owner_field;   /* the field holding a mark (with owner) */
    const tu_keyspec *key;     /* fields not compared: equal by matching */
    const char **ignore;       /* fields never compared */
    size_t nignore;
    const tu_field_rules *rules; /* per-field rules; NULL: none */
} tu_plan_options;

/* Build the plan. 0, or -1 with err set (out of memory). */
int tu_plan_build(tu_plan *plan, const tu_recordset *desired,
                  const tu_recordset *live, const tu_plan_options *options,
                  tu_error *err);

void tu_plan_free(tu_plan *plan);

/* Does the action change any field? */
int tu_action_has_changes(const tu_action *action);

/* The names of the fields an action changes, in order: the count, of
 * which the first `cap` are stored in names[]. */
size_t tu_action_changed_fields(const tu_action *action, const char **names,
                                size_t cap);

/* The changes as {field: {before?, after}}: 0 with *out a new reference
 * (NULL when none), or -1 when out of memory. */
int tu_action_changes_json(const tu_action *action, json_t **out);

/* The same as compact JSON text appended to `b` ("{}" when none). 0 or
 * -1 (out of memory). */
int tu_action_changes_dumpb(const tu_action *action, tu_buffer *b);

/* The label of the record an action is about. */
const char *tu_action_label(const tu_action *action);

/* Mark an action failed with a message (copied). The message is NULL
 * (tu_action_error) when out of memory. */
void tu_action_fail(tu_action *action, const char *message);

/* An action's texts (tu_action_text), each NULL when not said. */
static inline const char *tu_action_error(const tu_action *a)
{
    return a->text ? a->text->error : NULL;
}

static inline const char *tu_action_note(const tu_action *a)
{
    return a->text ? a->text->note : NULL;
}

static inline const char *tu_action_left_alone(const tu_action *a)
{
    return a->text ? a->text->left_alone : NULL;
}

static inline const char *tu_action_refused(const tu_action *a)
{
    return a->text ? a->text->refused : NULL;
}

static inline const char *tu_action_new_id(const tu_action *a)
{
    return a->text ? a->text->new_id : NULL;
}

/* Set one text to a copy of `text` (NULL: none), the old one freed. 0, or
 * -1 when out of memory (the text is then NULL). */
int tu_action_set_error(tu_action *action, const char *text);
int tu_action_set_note(tu_action *action, const char *text);
int tu_action_set_left_alone(tu_action *action, const char *text);

/* Set the new id to `id`, taken over (NULL: none). 0, or -1 when out of
 * memory (id is then freed). */
int tu_action_take_new_id(tu_action *action, char *id);

/* Say why an action is refused ("protected", "owned": static). 0 or -1. */
int tu_action_set_refused(tu_action *action, const char *refused);

/* Free an action's texts (tu_plan_free does, for a plan's). */
void tu_action_clear_text(tu_action *action);

/* "create", "update", "delete", "skip", "fail", "replace" */
const char *tu_action_kind_name(tu_action_kind kind);

/* The request an action needs next: its kind, but for a replace DELETE
 * until the delete is done, then CREATE. */
tu_action_kind tu_action_request(const tu_action *action);

#endif
