/* target_fields.c -- target.fields made ready at load (see target.h):
 * the rules parsed, the ignore list's dotted paths added to them and
 * checked, and each strip_suffix template filled from target.vars once,
 * not per record.
 */
#include "target.h"
#include "urltemplate.h"
#include "state/error.h"

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
