/* target.h -- the API to reconcile: where it is, how to authenticate, and
 * which provider speaks to it.
 *
 * The common keys (provider, base_url, headers, auth, tls, vars, fields,
 * meta_prefix) are read here; the provider reads its own. Secrets come only from the environment (the
 * `*_env` keys) and are kept in `secrets` so that any text trueup prints
 * can be scrubbed of them. `vars` are named values for the placeholders of
 * paths that are not fields of a record ({vhost} in a list path).
 */
#ifndef TU_ENGINE_TARGET_H
#define TU_ENGINE_TARGET_H

#include <stddef.h>
#include <curl/curl.h>
#include <jansson.h>
#include "trueup/trueup.h"
#include "util/buffer.h"
#include "state/fields.h"
#include "state/srcmap.h"
#include "provider.h"

typedef struct tu_tls {
    const char *ca_file;      /* borrowed from the document; NULL: system */
    const char *client_cert;  /* NULL: none */
    const char *client_key;
    int insecure;             /* do not verify the server (warned) */
} tu_tls;

struct tu_target {
    const tu_provider_ops *ops;
    tu_tls tls;
    void *cfg;                   /* owned by ops->free */
    char *base_url;              /* without a trailing '/' */
    struct curl_slist *headers;  /* configured headers and auth */
    json_t *vars;                /* owned: name -> array of strings (one
                                    or more values); never NULL once
                                    parsed */
    char **secrets;              /* owned; values never to be shown */
    size_t nsecrets;
    tu_field_rules fields;       /* target.fields: per-field rules */
    const char *meta_prefix;     /* before trueup's own per-record keys
                                    (target.meta_prefix; "") */
};

/* Read `obj` (the document's target) for the provider `ops`, which the
 * caller found from its `provider` key (tu_provider_of). 0, or -1 with err
 * set. */
int tu_target_parse(tu_target *target, const tu_provider_ops *ops,
                    const json_t *obj, const tu_srcmap *map, tu_error *err);

/* target.fields (`fields`, NULL: none) of the target `obj` read into
 * target->fields once the provider is parsed: the rules, the dotted paths
 * of its ignore list (target.resource.ignore), each strip_suffix filled
 * from target.vars. 0, or -1 with err set (target_fields.c). */
int tu_target_fields(tu_target *target, const json_t *fields,
                     const json_t *obj, const tu_srcmap *map, tu_error *err);
/* A rule's match (protect, prune_scope, bulk) checked against the target's
 * field rules: a key that can never select a live record (a write-only
 * field, a path into a field read as a part) is an error at `pos` naming
 * `where` ("protect[0] (zone.yaml:12)"). 0, or -1 with err set
 * (target_fields.c). */
int tu_target_check_match(const tu_target *target, const json_t *match,
                          const char *where, tu_srcpos pos, tu_error *err);

/* The same for the keys of any rule mapping `obj` (an item rule's
 * `items`), `what` naming them in the message ("items key"). */
int tu_target_check_keys(const tu_target *target, const json_t *obj,
                         const char *what, const char *where, tu_srcpos pos,
                         tu_error *err);

void tu_target_free(tu_target *target);

/* base_url joined with `path` ("/records"), or `path` itself when it is an
 * absolute http(s) URL. Returns a malloc'd string or NULL. */
char *tu_target_url(const tu_target *target, const char *path);

/* The same appended to `out` (reused from one request to the next): 0, or
 * -1 when out of memory. */
int tu_target_url_into(const tu_target *target, const char *path,
                       tu_buffer *out);

/* Remember `value` as a secret (write-only field values). 0 or -1. */
int tu_target_add_secret(tu_target *target, const char *value);

/* Replace every secret value in `text` by "***", in place. */
void tu_target_scrub(const tu_target *target, char *text);

/* What the target's provider says of its answers (its `answers` op:
 * state/answer.h), borrowed; NULL when it says nothing. */
const tu_answer_rules *tu_target_answers(const tu_target *target);

#endif
