/* provider_rest.c -- the generic REST provider.
 *
 * For any API that lists records with a GET and changes them one request
 * per record. `target.resource` says how:
 *
 *   list      GET path of the list (a JSON array, or an object holding it)
 *   get       or, for APIs without a list: "GET /path/{id}", one record
 *             at a time, for the desired records (which carry their id)
 *   items     dotted path to the array in the list response (to the record
 *             in a get response)
 *   paginate  none | link (follow Link rel="next") | page (page numbers;
 *             with X-Total-Count all pages are fetched at once, without it
 *             one after another until a short page)
 *   key, id, ignore    the key fields, the server's id field, fields never
 *                      compared
 *   create, update, delete   "METHOD /path/{placeholders}"
 *
 * Placeholders are checked at load time: in `list` each must name a
 * variable of target.vars (a variable with several values makes one list
 * per value, each paged on its own); elsewhere {id}, the id field, a key
 * field or a variable.
 *
 * An update by PATCH sends only the changed fields; by PUT or POST, the
 * whole live record with the desired fields laid over it.
 */
#include "provider.h"
#include "fetch.h"
#include "push.h"
#include "target.h"
#include "urltemplate.h"
#include "state/error.h"
#include "state/json_util.h"
#include "state/listpage.h"
#include "state/schema.h"
#include "state/strmap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REST_MAX_PAGES 100000

enum { PAGINATE_NONE, PAGINATE_LINK, PAGINATE_PAGE };

typedef struct rest_op {
    const char *method;   /* static string; NULL: not configured */
    const char *path;     /* borrowed from the resource mapping */
} rest_op;

typedef struct rest_cfg {
    json_t *resource;     /* held: the strings below point into it */
    const char *list, *items, *id;
    const char *owner_field;  /* where an ownership mark lives; NULL: none */
    int paginate;
    const char *page_param, *per_page_param;
    long per_page;
    const char **key, **ignore;
    size_t nkey, nignore;
    rest_op get, create, update, del;
} rest_cfg;

static const char *const target_keys[] = {"resource", NULL};
static const char *const resource_keys[] = {
    "list", "get", "items", "paginate", "page_param", "per_page_param",
    "per_page", "key", "id", "create", "update", "delete", "ignore",
    "owner_field", NULL};
static const char *const paginate_names[] = {"none", "link", "page", NULL};
static const char *const methods[] = {"GET", "POST", "PUT", "PATCH",
                                      "DELETE", NULL};

/* ---- configuration ------------------------------------------------------ */

static void rest_free(void *p)
{
    rest_cfg *c = p;
    if (!c)
        return;
    json_decref(c->resource);
    free(c->key);
    free(c->ignore);
    free(c);
}

/* "PATCH /records/{id}" -> method and path. A lone path takes `deflt`. */
static int parse_op(const json_t *res, const char *name, const char *deflt,
                    const tu_srcmap *map, rest_op *op, tu_error *err)
{
    const char *text = NULL, *space;
    tu_srcpos pos = tu_srcmap_member(map, res, name);
    int rc = tu_schema_string(res, name, 0, map, "target.resource", &text,
                              err);

    if (rc <= 0)
        return rc;
    space = strchr(text, ' ');
    op->method = deflt;
    op->path = text;
    if (space) {
        op->method = NULL;
        for (size_t i = 0; methods[i]; i++) {
            if (strncasecmp(text, methods[i], (size_t)(space - text)) == 0 &&
                strlen(methods[i]) == (size_t)(space - text))
                op->method = methods[i];
        }
        op->path = space + strspn(space, " ");
    }
    if (!op->method) {
        tu_error_at(err, pos, "target.resource.%s: '%.*s' is not a method "
                    "trueup sends (GET, POST, PUT, PATCH, DELETE)", name,
                    (int)(space - text), text);
        return -1;
    }
    if ((strcmp(name, "get") == 0) != (strcmp(op->method, "GET") == 0)) {
        tu_error_at(err, pos, "target.resource.%s: %s cannot %s records",
                    name, op->method, name);
        return -1;
    }
    return 1;
}

/* A known name for resource.NAME's placeholders, or NULL: in `list`, a
 * variable of target.vars; elsewhere also {id}, the id field and the key
 * fields. *several: the name is only a variable, with several values. */
static const char *known_name(const rest_cfg *c, int record,
                              const json_t *vars, const char *ph, size_t len,
                              int *several)
{
    const char *name;
    json_t *values;

    *several = 0;
    for (size_t i = 0; record && i < c->nkey + 2; i++) {
        name = i == 0 ? "id" : i == 1 ? c->id : c->key[i - 2];
        if (strlen(name) == len && memcmp(name, ph, len) == 0)
            return name;
    }
    json_object_foreach((json_t *)vars, name, values) {
        if (strlen(name) == len && memcmp(name, ph, len) == 0) {
            *several = json_is_array(values) && json_array_size(values) > 1;
            return name;
        }
    }
    return NULL;
}

/* The names a placeholder of resource.NAME may take, for a suggestion. */
static void candidates(const rest_cfg *c, int record, const json_t *vars,
                       const char **out, size_t max)
{
    size_t n = 0;
    const char *name;
    json_t *values;

    for (size_t i = 0; record && i < c->nkey + 2 && n + 1 < max; i++)
        out[n++] = i == 0 ? "id" : i == 1 ? c->id : c->key[i - 2];
    json_object_foreach((json_t *)vars, name, values) {
        if (n + 1 < max)
            out[n++] = name;
    }
    out[n] = NULL;
}

static void unknown_placeholder(const rest_cfg *c, const char *key,
                                const char *path, const json_t *vars,
                                const char *ph, size_t len, tu_srcpos pos,
                                tu_error *err)
{
    const char *known[64], *hint;
    char word[128];
    int record = strcmp(key, "list") != 0;

    snprintf(word, sizeof word, "%.*s", (int)len, ph);
    candidates(c, record, vars, known, 64);
    hint = tu_suggest(word, known);
    if (hint)
        tu_error_at(err, pos, "target.resource.%s: unknown placeholder {%s} "
                    "in '%s': did you mean {%s}?", key, word, path, hint);
    else if (!record)
        tu_error_at(err, pos, "target.resource.%s: unknown placeholder {%s} "
                    "in '%s': a list path has no record to fill it from, so "
                    "declare it in target.vars (vars: {%s: VALUE})", key,
                    word, path, word);
    else
        tu_error_at(err, pos, "target.resource.%s: unknown placeholder {%s} "
                    "in '%s': it is not {id}, the id field '%s', a key field "
                    "(target.resource.key) or a variable of target.vars; add "
                    "the field to the key, or declare the variable", key,
                    word, path, c->id);
}

/* Every placeholder of resource.KEY's path must be one trueup can fill. */
static int check_placeholders(const rest_cfg *c, const char *key,
                              const char *path, const json_t *vars,
                              tu_srcpos pos, tu_error *err)
{
    const char *p = path, *next, *ph;
    size_t len;
    int record = strcmp(key, "list") != 0, several;

    while ((next = tu_url_placeholder(p, &ph, &len)) != NULL) {
        const char *name = known_name(c, record, vars, ph, len, &several);
        if (!name) {
            unknown_placeholder(c, key, path, vars, ph, len, pos, err);
            return -1;
        }
        if (record && several) {
            tu_error_at(err, pos, "target.resource.%s: {%s} is a variable "
                        "with several values, which only a list path can "
                        "take (it is listed once per value); make it a key "
                        "field of the records, or give it one value", key,
                        name);
            return -1;
        }
        p = next;
    }
    return 0;
}

/* resource.list and every operation's path: braces and placeholders. */
static int check_paths(const rest_cfg *c, const json_t *target,
                       const json_t *res, const tu_srcmap *map,
                       tu_error *err)
{
    const json_t *vars = json_object_get(target, "vars");
    const char *keys[] = {"list", "get", "create", "update", "delete"};
    const char *paths[] = {c->list, c->get.path, c->create.path,
                           c->update.path, c->del.path};
    const char *problem;

    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        tu_srcpos pos = tu_srcmap_member(map, res, keys[i]);
        if (!paths[i])
            continue;
        if ((problem = tu_url_template_check(paths[i])) != NULL) {
            tu_error_at(err, pos, "target.resource.%s: the path has %s",
                        keys[i], problem);
            return -1;
        }
        if (check_placeholders(c, keys[i], paths[i], vars, pos, err) != 0)
            return -1;
    }
    return 0;
}

static int parse_lists(rest_cfg *c, const json_t *res, const tu_srcmap *map,
                       tu_error *err)
{
    const char *ctx = "target.resource";
    if (tu_schema_string_list(res, "key", 1, map, ctx, &c->key, &c->nkey,
                              err) < 0 ||
        tu_schema_string_list(res, "ignore", 0, map, ctx, &c->ignore,
                              &c->nignore, err) < 0)
        return -1;
    if (c->nkey == 0) {
        tu_error_at(err, tu_srcmap_member(map, res, "key"),
                    "target.resource.key: name at least one field");
        return -1;
    }
    return 0;
}

static int parse_paging(rest_cfg *c, const json_t *res, const tu_srcmap *map,
                        tu_error *err)
{
    const char *ctx = "target.resource";
    c->page_param = "page";
    c->per_page_param = "per_page";
    c->per_page = 100;
    return tu_schema_enum(res, "paginate", paginate_names, map, ctx,
                          &c->paginate, err) < 0 ||
           tu_schema_string(res, "page_param", 0, map, ctx, &c->page_param,
                            err) < 0 ||
           tu_schema_string(res, "per_page_param", 0, map, ctx,
                            &c->per_page_param, err) < 0 ||
           tu_schema_int(res, "per_page", 1, 1000000, map, ctx, &c->per_page,
                         err) < 0 ? -1 : 0;
}

/* The live records are read either by listing them or one by one. */
static int check_list_or_get(const rest_cfg *c, const json_t *res,
                             const tu_srcmap *map, tu_error *err)
{
    if (!c->list == !c->get.method) {
        tu_error_at(err, tu_srcmap_get(map, res), "target.resource: set %s "
                    "of 'list' (GET of all records) and 'get' (GET of one "
                    "record, for APIs without a list)",
                    c->list ? "only one" : "one");
        return -1;
    }
    return 0;
}

static int parse_resource(rest_cfg *c, const json_t *target,
                          const json_t *res, const tu_srcmap *map,
                          tu_error *err)
{
    const char *ctx = "target.resource";
    c->id = "id";
    if (tu_schema_keys(res, resource_keys, map, ctx, err) != 0 ||
        tu_schema_string(res, "list", 0, map, ctx, &c->list, err) < 0 ||
        parse_op(res, "get", "GET", map, &c->get, err) < 0 ||
        check_list_or_get(c, res, map, err) != 0 ||
        tu_schema_string(res, "items", 0, map, ctx, &c->items, err) < 0 ||
        tu_schema_string(res, "id", 0, map, ctx, &c->id, err) < 0 ||
        tu_schema_string(res, "owner_field", 0, map, ctx, &c->owner_field,
                         err) < 0 ||
        parse_paging(c, res, map, err) != 0 ||
        parse_lists(c, res, map, err) != 0 ||
        parse_op(res, "create", "POST", map, &c->create, err) < 0 ||
        parse_op(res, "update", "PATCH", map, &c->update, err) < 0 ||
        parse_op(res, "delete", "DELETE", map, &c->del, err) < 0 ||
        check_paths(c, target, res, map, err) != 0)
        return -1;
    return 0;
}

static int rest_parse(const json_t *target, const tu_srcmap *map, void **out,
                      tu_error *err)
{
    const json_t *res = NULL;
    rest_cfg *c;

    if (tu_schema_object(target, "resource", 1, map, "target", &res, err) < 0)
        return -1;
    c = calloc(1, sizeof *c);
    if (!c) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    c->resource = json_incref((json_t *)res);
    if (parse_resource(c, target, res, map, err) != 0) {
        rest_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

static void rest_describe(const void *p, tu_keyspec *key, const char ***ignore,
                          size_t *nignore)
{
    const rest_cfg *c = p;
    key->fields = c->key;
    key->count = c->nkey;
    *ignore = c->ignore;
    *nignore = c->nignore;
}

static const char *rest_owner_field(const void *p)
{
    const rest_cfg *c = p;
    return c->owner_field;
}

/* Every field but the server's id, the ignored ones and the ownership
 * mark, key fields first: the id is the server's to assign and the mark
 * trueup's to set, neither part of the desired state. */
static json_t *rest_export(const void *p, const tu_record *live)
{
    const rest_cfg *c = p;
    tu_keyspec key = {c->key, c->nkey};
    const char **leave_out = malloc((c->nignore + 1) * sizeof *leave_out);
    json_t *out;

    if (!leave_out)
        return NULL;
    if (c->nignore)
        memcpy(leave_out, c->ignore, c->nignore * sizeof *leave_out);
    leave_out[c->nignore] = c->owner_field ? c->owner_field : c->id;
    out = tu_record_declared(live->fields, &key, leave_out, c->nignore + 1,
                             c->id);
    free(leave_out);
    return out;
}

/* ---- fetching ----------------------------------------------------------- */

/* A list path with variables of several values is several lists, each
 * paged on its own. A request's data is its tag: list * LIST_SPAN + page,
 * which is also the order of its records. */
#define REST_MAX_LISTS 1000
#define LIST_SPAN ((uintptr_t)REST_MAX_PAGES + 1)

typedef struct rest_list {
    char *url;             /* resource.list expanded, absolute */
    long long total_pages; /* page mode: -1 until known */
} rest_list;

typedef struct rest_fetch {
    const tu_target *target;
    const rest_cfg *cfg;
    tu_strmap visited;     /* link mode: URLs fetched, to stop loops */
    char **urls;           /* owned keys of `visited` */
    size_t nurls;
    rest_list *lists;
    size_t nlists;
} rest_fetch;

static void *tag(size_t list, long long page)
{
    return (void *)(list * LIST_SPAN + (uintptr_t)page);
}

static size_t tag_list(void *data)
{
    return (size_t)((uintptr_t)data / LIST_SPAN);
}

static long long tag_page(void *data)
{
    return (long long)((uintptr_t)data % LIST_SPAN);
}

static void rest_fetch_free(void *p)
{
    rest_fetch *rf = p;
    for (size_t i = 0; i < rf->nurls; i++)
        free(rf->urls[i]);
    free(rf->urls);
    for (size_t i = 0; i < rf->nlists; i++)
        free(rf->lists[i].url);
    free(rf->lists);
    tu_strmap_free(&rf->visited);
    free(rf);
}

static json_t *page_items(tu_fetch *f, const rest_cfg *c,
                          const tu_http_response *r, const char *url)
{
    tu_error err = {0};
    json_t *items = tu_list_page_items(r->body, r->body_len, c->items, url,
                                       &err);
    if (!items)
        tu_fetch_fail(f, err.code, "%s", err.message);
    return items;
}

/* `next` resolved against `base`; malloc'd or NULL. */
static char *resolve_url(const char *base, const char *next)
{
    CURLU *u = curl_url();
    char *out = NULL, *copy = NULL;

    if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, next, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
        copy = strdup(out);
    curl_free(out);
    curl_url_cleanup(u);
    return copy;
}

static int remember_url(rest_fetch *rf, const char *url)
{
    char *copy = strdup(url);
    char **urls = realloc(rf->urls, (rf->nurls + 1) * sizeof *urls);
    if (!copy || !urls) {
        free(copy);
        if (urls)
            rf->urls = urls;
        return -1;
    }
    rf->urls = urls;
    rf->urls[rf->nurls++] = copy;
    return tu_strmap_put(&rf->visited, copy, 0, NULL);
}

static void on_link_page(tu_fetch *f, const tu_http_response *r,
                         const char *url, void *data);

static void follow_link(tu_fetch *f, rest_fetch *rf, const char *url,
                        const char *link, void *data)
{
    char *rel = tu_link_next(link), *next;
    size_t seen;

    if (!rel)
        return;
    next = resolve_url(url, rel);
    free(rel);
    if (!next) {
        tu_fetch_fail(f, TU_ERR_FETCH,
                      "GET %s: the Link header's next URL is not valid",
                      url);
        return;
    }
    if (tu_strmap_get(&rf->visited, next, &seen))
        tu_fetch_fail(f, TU_ERR_FETCH,
                      "GET %s: the Link header points back to %s, which "
                      "was already fetched: the pagination loops", url, next);
    else if (tag_page(data) >= REST_MAX_PAGES)
        tu_fetch_fail(f, TU_ERR_FETCH,
                      "GET %s: more than %d pages; stopping", url,
                      REST_MAX_PAGES);
    else if (remember_url(rf, next) < 0)
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    else
        tu_fetch_get(f, next, TU_FETCH_HEADERS, on_link_page,
                     tag(tag_list(data), tag_page(data) + 1));
    free(next);
}

static void on_link_page(tu_fetch *f, const tu_http_response *r,
                         const char *url, void *data)
{
    rest_fetch *rf = tu_fetch_state(f);
    json_t *items = page_items(f, rf->cfg, r, url);
    const char *link = tu_http_response_header(r, "Link");

    if (!items)
        return;
    tu_fetch_add_records(f, items, url, (size_t)(uintptr_t)data);
    json_decref(items);
    if (link)
        follow_link(f, rf, url, link, data);
}

static char *page_url(const rest_fetch *rf, size_t list, long long page)
{
    const rest_cfg *c = rf->cfg;
    const char *base = rf->lists[list].url;
    size_t len = strlen(base) + strlen(c->page_param) +
                 strlen(c->per_page_param) + 64;
    char *url = malloc(len);

    if (url)
        snprintf(url, len, "%s%c%s=%lld&%s=%ld", base,
                 strchr(base, '?') ? '&' : '?', c->page_param, page,
                 c->per_page_param, c->per_page);
    return url;
}

static void on_numbered_page(tu_fetch *f, const tu_http_response *r,
                             const char *url, void *data);

static void get_page(tu_fetch *f, rest_fetch *rf, size_t list,
                     long long page)
{
    char *url = page_url(rf, list, page);
    if (!url) {
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        return;
    }
    tu_fetch_get(f, url, TU_FETCH_HEADERS, on_numbered_page, tag(list, page));
    free(url);
}

/* Page 1 told the total: fetch every other page at once. */
static void get_remaining_pages(tu_fetch *f, rest_fetch *rf, size_t list,
                                long long total)
{
    rest_list *l = &rf->lists[list];
    l->total_pages = (total + rf->cfg->per_page - 1) / rf->cfg->per_page;
    if (l->total_pages > REST_MAX_PAGES) {
        tu_fetch_fail(f, TU_ERR_FETCH,
                      "X-Total-Count %lld means more than %d pages of "
                      "%ld; raise target.resource.per_page", total,
                      REST_MAX_PAGES, rf->cfg->per_page);
        return;
    }
    for (long long p = 2; p <= l->total_pages && !tu_fetch_failed(f); p++)
        get_page(f, rf, list, p);
}

static void on_numbered_page(tu_fetch *f, const tu_http_response *r,
                             const char *url, void *data)
{
    rest_fetch *rf = tu_fetch_state(f);
    size_t list = tag_list(data);
    long long page = tag_page(data);
    json_t *items = page_items(f, rf->cfg, r, url);
    size_t n;

    if (!items)
        return;
    n = json_array_size(items);
    tu_fetch_add_records(f, items, url, (size_t)(uintptr_t)data);
    json_decref(items);
    if (page == 1) {
        long long total =
            tu_parse_count(tu_http_response_header(r, "X-Total-Count"));
        if (total >= 0) {
            get_remaining_pages(f, rf, list, total);
            return;
        }
    }
    if (rf->lists[list].total_pages < 0 && n == (size_t)rf->cfg->per_page) {
        if (page >= REST_MAX_PAGES)
            tu_fetch_fail(f, TU_ERR_FETCH,
                          "GET %s: more than %d pages; stopping", url,
                          REST_MAX_PAGES);
        else
            get_page(f, rf, list, page + 1);
    }
}

static void on_single_page(tu_fetch *f, const tu_http_response *r,
                           const char *url, void *data)
{
    rest_fetch *rf = tu_fetch_state(f);
    json_t *items = page_items(f, rf->cfg, r, url);
    if (items)
        tu_fetch_add_records(f, items, url, (size_t)(uintptr_t)data);
    json_decref(items);
}

/* resource.get: one record, or 404/410 when it does not exist. */
static void on_one_record(tu_fetch *f, const tu_http_response *r,
                          const char *url, void *data)
{
    rest_fetch *rf = tu_fetch_state(f);
    json_error_t jerr;
    json_t *root, *record, *items;
    char *ex;

    if (r->status == 404 || r->status == 410)
        return;
    root = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &jerr);
    record = tu_json_path(root, rf->cfg->items);
    if (!json_is_object(record)) {
        ex = tu_excerpt(r->body, r->body_len, 80);
        tu_fetch_fail(f, TU_ERR_FETCH,
                      "GET %s: expected one record (a JSON object%s%s), "
                      "got: %s", url, rf->cfg->items ? " at " : "",
                      rf->cfg->items ? rf->cfg->items : "", ex ? ex : "");
        free(ex);
    } else if ((items = json_array()) != NULL) {
        json_array_append(items, record);
        tu_fetch_add_records(f, items, url, (size_t)(uintptr_t)data);
        json_decref(items);
    }
    json_decref(root);
}

/* resource.get: read each desired record by its id, concurrently. */
static void get_each(tu_fetch *f, const tu_target *t, const rest_cfg *c)
{
    const tu_recordset *desired = tu_fetch_desired(f);

    for (size_t i = 0; i < desired->count && !tu_fetch_failed(f); i++) {
        const tu_record *d = &desired->items[i];
        const char *missing;
        char *path = tu_url_expand(c->get.path, d->fields, c->id, t->vars,
                                   &missing);
        char *url = path ? tu_target_url(t, path) : NULL;
        if (!path && missing)
            tu_fetch_fail(f, TU_ERR_BAD_INPUT,
                          "%s:%u: record '%s' has no value for %.*s, so "
                          "it cannot be read with target.resource.get; "
                          "give every record its %s", d->pos.file ?
                          d->pos.file : "?", d->pos.line, d->label,
                          (int)strcspn(missing, "}") + 1, missing, c->id);
        else if (!url)
            tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        else
            tu_fetch_get(f, url, TU_FETCH_MISSING_OK, on_one_record,
                         (void *)(uintptr_t)i);
        free(path);
        free(url);
    }
}

/* resource.list expanded once per combination of its variables' values. */
static int make_lists(tu_fetch *f, rest_fetch *rf)
{
    const char *missing;
    json_t *paths = tu_url_expand_each(rf->cfg->list, rf->target->vars,
                                       REST_MAX_LISTS, &missing);

    if (!paths) {
        if (missing)
            tu_fetch_fail(f, TU_ERR_BAD_INPUT,
                          "target.resource.list: more than %d lists (one "
                          "per combination of the values of target.vars)",
                          REST_MAX_LISTS);
        else
            tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    rf->lists = calloc(json_array_size(paths), sizeof *rf->lists);
    for (size_t i = 0; rf->lists && i < json_array_size(paths); i++) {
        rest_list *l = &rf->lists[rf->nlists];
        l->url = tu_target_url(rf->target,
                               json_string_value(json_array_get(paths, i)));
        l->total_pages = -1;
        if (!l->url)
            break;
        rf->nlists++;
    }
    if (rf->nlists < json_array_size(paths))
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    json_decref(paths);
    return tu_fetch_failed(f) ? -1 : 0;
}

/* The first page of list `i`; the page callbacks ask for the others. */
static void start_list(tu_fetch *f, rest_fetch *rf, size_t i)
{
    const char *url = rf->lists[i].url;
    int link = rf->cfg->paginate == PAGINATE_LINK;

    if (rf->cfg->paginate == PAGINATE_PAGE)
        get_page(f, rf, i, 1);
    else if (link && remember_url(rf, url) < 0)
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    else
        tu_fetch_get(f, url, link ? TU_FETCH_HEADERS : 0,
                     link ? on_link_page : on_single_page, tag(i, 1));
}

static int rest_fetch_start(const tu_target *t, tu_fetch *f)
{
    const rest_cfg *c = t->cfg;
    rest_fetch *rf = calloc(1, sizeof *rf);

    if (!rf) {
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    rf->target = t;
    rf->cfg = c;
    tu_strmap_init(&rf->visited);
    tu_fetch_set_state(f, rf, rest_fetch_free);
    if (c->get.method) {
        get_each(f, t, c);
        return tu_fetch_failed(f) ? -1 : 0;
    }
    if (make_lists(f, rf) != 0)
        return -1;
    for (size_t i = 0; i < rf->nlists && !tu_fetch_failed(f); i++)
        start_list(f, rf, i);
    return tu_fetch_failed(f) ? -1 : 0;
}

/* ---- pushing ------------------------------------------------------------ */

/* The body of an update: the changed fields (PATCH), or the live record
 * with the desired fields laid over it (PUT, POST). */
static json_t *update_body(const rest_cfg *c, const tu_action *a)
{
    json_t *body;
    const char *field;
    json_t *change;

    if (strcmp(c->update.method, "PATCH") == 0) {
        body = json_object();
        json_object_foreach(a->changes, field, change)
            json_object_set(body, field, json_object_get(change, "after"));
        return body;
    }
    body = json_deep_copy(a->live->fields);
    if (body)
        json_object_update(body, a->desired->fields);
    return body;
}

static const rest_op *op_for(const rest_cfg *c, const tu_action *a,
                             const char **name)
{
    switch (a->kind) {
    case TU_ACTION_CREATE: *name = "create"; return &c->create;
    case TU_ACTION_UPDATE: *name = "update"; return &c->update;
    default:               *name = "delete"; return &c->del;
    }
}

static void push_one(const tu_target *t, tu_push *p, tu_action *a)
{
    const rest_cfg *c = t->cfg;
    const char *name, *missing;
    const rest_op *op = op_for(c, a, &name);
    const json_t *fields = a->live ? a->live->fields : a->desired->fields;
    json_t *body_json = NULL;
    char *path, *url, *body = NULL, msg[512];

    if (!op->method) {
        snprintf(msg, sizeof msg, "target.resource.%s is not set, so trueup "
                 "cannot %s records", name, name);
        tu_action_fail(a, msg);
        return;
    }
    path = tu_url_expand(op->path, fields, c->id, t->vars, &missing);
    if (!path) {
        snprintf(msg, sizeof msg, "target.resource.%s: the record has no "
                 "value for %.*s", name,
                 missing ? (int)strcspn(missing, "}") + 1 : 0,
                 missing ? missing : "");
        tu_action_fail(a, missing ? msg : "out of memory");
        return;
    }
    url = tu_target_url(t, path);
    free(path);
    if (a->kind == TU_ACTION_CREATE)
        body_json = json_incref(a->desired->fields);
    else if (a->kind == TU_ACTION_UPDATE)
        body_json = update_body(c, a);
    if (body_json)
        body = json_dumps(body_json, JSON_COMPACT);
    json_decref(body_json);
    if (!url || (a->kind != TU_ACTION_DELETE && !body)) {
        free(url);
        free(body);
        tu_action_fail(a, "out of memory");
        return;
    }
    tu_push_send(p, op->method, url, body, body ? strlen(body) : 0,
                 strcmp(op->method, "POST") != 0, &a, 1);
    free(url);
}

static int rest_push(const tu_target *t, tu_push *p, tu_action **actions,
                     size_t n)
{
    for (size_t i = 0; i < n; i++)
        push_one(t, p, actions[i]);
    return 0;
}

const tu_provider_ops tu_provider_rest = {
    .name = "rest",
    .target_keys = target_keys,
    .parse = rest_parse,
    .free = rest_free,
    .describe = rest_describe,
    .protect = NULL,
    .owner_field = rest_owner_field,
    .normalize = NULL,
    .export_record = rest_export,
    .fetch = rest_fetch_start,
    .push = rest_push,
};
