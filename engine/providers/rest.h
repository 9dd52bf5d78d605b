/* rest.h -- the generic REST provider's configuration, shared by
 * its two files: rest.c (reading target.resource, pushing) and
 * rest_fetch.c (listing and paging, reading records one by one).
 * Internal to the provider; nothing else includes it.
 */
#ifndef TU_ENGINE_PROVIDERS_REST_H
#define TU_ENGINE_PROVIDERS_REST_H

#include <stddef.h>
#include <jansson.h>
#include "engine/provider.h"
#include "state/listpage.h"
#include "state/srcmap.h"

/* target.resource.paginate */
enum { PAGINATE_NONE, PAGINATE_LINK, PAGINATE_PAGE, PAGINATE_OFFSET,
       PAGINATE_NEXT, PAGINATE_CURSOR };

typedef struct rest_op {
    const char *method;   /* static string; NULL: not configured */
    const char *path;     /* borrowed from the resource mapping */
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
    const char *list, *items, *id;
    const char *owner_field;  /* where an ownership mark lives; NULL: none */
    rest_paging paging;
    const char **key, **ignore;
    size_t nkey, nignore;
    rest_op get, create, update, del;
    int update_body;      /* tu_update_body (state/fields.h) */
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

#endif
