/* target_fields.c -- target.fields made ready at load (see target.h):
 * the rules parsed, the ignore list's dotted paths added to them and
 * checked, and each strip_suffix template filled from target.vars once,
 * not per record.
 */
#include "target.h"
#include "urltemplate.h"
#include "state/error.h"
#include "util/suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one value of the variable named by `name` (`len` bytes), or NULL
 * with *why saying what is wrong. */
static const char *one_var(const json_t *vars, const char *name, size_t len,
                           const char **why)
{
    char buf[256];
    const json_t *values;

    *why = "names no variable of target.vars";
    if (len >= sizeof buf)
        return NULL;
    memcpy(buf, name, len);
    buf[len] = '\0';
    if (!(values = json_object_get(vars, buf)))
        return NULL;
    *why = "is a variable with several values; a suffix takes one";
    return json_array_size(values) == 1
               ? json_string_value(json_array_get(values, 0)) : NULL;
}

/* `r`'s strip_suffix with its placeholders filled: 0, or -1 with err set
 * at the rule. */
static int resolve_suffix(const tu_target *t, tu_field_rule *r, tu_error *err)
{
    const char *p = r->strip_suffix, *next, *name, *value, *why;
    tu_buffer b = TU_BUFFER_INIT;
    size_t len;

    if ((why = tu_url_template_check(p)) != NULL) {
        tu_error_at(err, r->pos, "target.fields.%s.strip_suffix: %s",
                    r->name, why);
        return -1;
    }
    while ((next = tu_url_placeholder(p, &name, &len)) != NULL) {
        if (!(value = one_var(t->vars, name, len, &why))) {
            tu_error_at(err, r->pos, "target.fields.%s.strip_suffix: "
                        "{%.*s} %s", r->name, (int)len, name, why);
            tu_buffer_free(&b);
            return -1;
        }
        if (tu_buffer_add(&b, p, (size_t)(name - 1 - p)) < 0 ||
            tu_buffer_puts(&b, value) < 0)
            goto oom;
        p = next;
    }
    if (tu_buffer_puts(&b, p) < 0)
        goto oom;
    tu_field_rule_set_suffix(r, tu_buffer_take(&b));
    return 0;
oom:
    tu_buffer_free(&b);
    tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return -1;
}

int tu_target_fields(tu_target *t, const json_t *fields, const json_t *obj,
                     const tu_srcmap *map, tu_error *err)
{
    const json_t *res = json_object_get(obj, "resource");
    tu_srcpos pos = tu_srcmap_member(map, res, "ignore");
    tu_keyspec key;
    const char **ignore;
    size_t nignore;

    t->ops->describe(t->cfg, &key, &ignore, &nignore);
    if (tu_field_rules_parse(&t->fields, fields, &key, map, err) != 0 ||
        tu_field_rules_ignore(&t->fields, ignore, nignore, &key,
                              "target.resource.ignore", pos, err) != 0)
        return -1;
    for (size_t i = 0; i < t->fields.count; i++) {
        tu_field_rule *r = &t->fields.items[i];
        if (r->strip_suffix && resolve_suffix(t, r, err) != 0)
            return -1;
    }
    return 0;
}

static int listed(const char *const *list, const char *name)
{
    for (; *list; list++) {
        if (strcmp(*list, name) == 0)
            return 1;
    }
    return 0;
}

/* Why `field` is no field of the provider's live records (with what to
 * write instead), or NULL when it is one or the provider takes any. */
static const char *unknown_field(const tu_target *t, const char *field,
                                 char *buf, size_t size)
{
    const char *const *fields = t->ops->live_fields
                                    ? t->ops->live_fields(t->cfg) : NULL;
    const char *alias = t->ops->field_alias
                            ? t->ops->field_alias(t->cfg, field) : NULL;
    const char *near;

    if (!fields || listed(fields, field))
        return NULL;
    if (alias) {
        snprintf(buf, size, "'%.100s' is not a field of %s records: it is "
                 "a shorthand of desired records, and live ones hold "
                 "'%s'; did you mean '%s'? (to select single items of it, "
                 "write items: {%s: VALUE})", field, t->ops->name, alias,
                 alias, alias);
        return buf;
    }
    near = tu_suggest(field, fields);
    snprintf(buf, size, "'%.100s' is not a field of %s records%s%s%s",
             field, t->ops->name, near ? "; did you mean '" : "",
             near ? near : "", near ? "'?" : "");
    return buf;
}

/* Why the match key `key` (a field, or a dotted path into one) can never
 * select a live record under `t`'s rules, or NULL when it can. */
static const char *never_matches(const tu_target *t, const char *key,
                                 char *buf, size_t size)
{
    size_t head = strcspn(key, ".");
    char field[256];
    const tu_field_rule *r;

    snprintf(field, sizeof field, "%.*s", (int)head, key);
    if (unknown_field(t, key, buf, size) &&
        (!key[head] || unknown_field(t, field, buf, size)))
        return buf;
    if (!(r = tu_field_rule_get(&t->fields, field)))
        return NULL;
    if (r->write_only) {
        snprintf(buf, size, "'%.100s' is write_only (target.fields."
                 "%.100s): the server never returns it", field, field);
        return buf;
    }
    if (key[head] && r->read) {
        snprintf(buf, size, "'%.100s' is read as its '%.100s' part "
                 "(target.fields.%.100s.read), so '%.200s' is not there to "
                 "match", field, r->read, field, key);
        return buf;
    }
    return NULL;
}

int tu_target_check_keys(const tu_target *t, const json_t *obj,
                         const char *what, const char *where, tu_srcpos pos,
                         tu_error *err)
{
    const char *key, *why, *paren = strstr(where, " (");
    /* the position is the error's own: "protect[0]", not "(zone.yaml:12)" */
    int n = pos.file && paren ? (int)(paren - where) : (int)strlen(where);
    json_t *v;
    char buf[1024];

    json_object_foreach((json_t *)obj, key, v) {
        if (!(why = never_matches(t, key, buf, sizeof buf)))
            continue;
        tu_error_at(err, pos, "%.*s: %s '%s' can never select a "
                    "record: %s; match a field the API lists", n, where,
                    what, key, why);
        return -1;
    }
    return 0;
}

int tu_target_check_match(const tu_target *t, const json_t *match,
                          const char *where, tu_srcpos pos, tu_error *err)
{
    return tu_target_check_keys(t, match, "match key", where, pos, err);
}
