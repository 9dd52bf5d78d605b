/* rest.h -- the generic REST provider's configuration, shared by
 * its three files: rest.c (reading target.resource), rest_request.c
 * (building requests: URLs, bodies, query strings; pushing) and
 * rest_fetch.c (listing and paging, reading records one by one).
 * Internal to the provider; nothing else includes it (but its tests).
 */
#ifndef TU_ENGINE_PROVIDERS_REST_H
#define TU_ENGINE_PROVIDERS_REST_H

#include <stddef.h>
#include <jansson.h>
#include "engine/provider.h"
#include "engine/target.h"
#include "engine/urltemplate.h"
#include "util/buffer.h"
#include "state/listpage.h"
#include "state/srcmap.h"

/* target.resource.paginate */
enum { PAGINATE_NONE, PAGINATE_LINK, PAGINATE_PAGE, PAGINATE_OFFSET,
       PAGINATE_NEXT, PAGINATE_CURSOR };

/* Where an action's values go (resource.ACTION.send). */
enum { REST_SEND_JSON, REST_SEND_FORM, REST_SEND_QUERY, REST_SEND_NONE };

/* One action: "METHOD /path", or the mapping {request, send, body, id}. */
typedef struct rest_op {
    const char *method;   /* static string; NULL: not configured */
    const char *path;     /* borrowed from the resource mapping */
    int send;             /* REST_SEND_* */
    const json_t *body;   /* the body template (a mapping), borrowed;
                             NULL: none */
    int wraps;            /* the body holds "{fields}": the record's
                             values go there, not at its top level */
    const char *id_path;  /* create: where its answer puts the new id;
                             NULL: not set */
} rest_op;

typedef struct rest_paging {
    int kind;                       /* PAGINATE_* */
    const char *page_param;         /* page: the page number's parameter */
    const char *per_page_param;     /* page, offset, cursor: page size's */
    const char *offset_param;       /* offset */
    const char *cursor_param;       /* cursor */
    long per_page;
    tu_page_paths paths;            /* what the body says (items too) */
} rest_paging;

typedef struct rest_cfg {
    json_t *resource;     /* held: the strings below point into it */
    rest_op list;         /* list.path NULL: records are read by get */
    const char *items, *id;
    const char *owner_field;  /* where an ownership mark lives; NULL: none */
    rest_paging paging;
    const char **key, **ignore;
    size_t nkey, nignore;
    rest_op get, create, update, del;
    int update_body;      /* tu_update_body (state/fields.h) */
    tu_answer_rules answers;  /* resource.success, the new id's places
                                 (id_path: create's `id`, NULL until set) */
} rest_cfg;

/* The resource keys of paging (NULL-ended), for the list of known keys. */
extern const char *const tu_rest_paging_keys[];

/* Read paginate and the keys that go with it; c->items must be read. */
int tu_rest_parse_paging(rest_cfg *c, const json_t *res,
                         const tu_srcmap *map, tu_error *err);

/* The provider's fetch: list (and page) or get each record. */
int tu_rest_fetch(const tu_target *target, tu_fetch *fetch);

/* 1 when the records are read one by one (resource.get). */
int tu_rest_fetch_uses_desired(const void *cfg);

/* The provider's push (rest_request.c): one request per action. */
int tu_rest_push(const tu_target *target, tu_push *push, tu_action **actions,
                 size_t n);

/* What `op` sends (rest_request.c): its body template expanded with
 * `src`, and `record` (an action's values; NULL: none) laid over it at
 * the top level (the template's keys win) or, when the template holds
 * "{fields}", put there. A new reference, or NULL with *missing at the
 * '{' of a placeholder without a value (NULL: out of memory). */
json_t *tu_rest_values(const rest_op *op, const json_t *record,
                       const tu_tmpl_src *src, const char **missing);

/* `values` (a mapping) as `op->send` carries them: a JSON body, a form
 * body, or query parameters (after '?' or '&' as `out` already holds a
 * query or not) appended to `out`. 0; -1 with *bad naming a field that
 * is a mapping (or a list holding a container), which a form or a query
 * cannot carry, or *bad NULL when out of memory. */
int tu_rest_encode(int send, const json_t *values, tu_buffer *out,
                   const char **bad);

/* The request of a list or get (no record for a list: `record` NULL): its
 * body into `body` (none: left empty) and its query appended to `url`.
 * 0, or -1 with *missing as tu_rest_values, or a message in `why`. */
int tu_rest_read_request(const tu_target *t, const rest_op *op,
                         const json_t *record, tu_buffer *url,
                         tu_buffer *body, char *why, size_t why_size);

#endif
