/* fields_compare.c -- a desired value against a live one under the rules
 * of its field and of the paths inside it (see fields.h).
 *
 * Both values are put in a normal form and compared with tu_json_equal
 * (so 600 still equals 600.0). The normal form, built only for a field
 * with a rule that needs it: split strings into lists, strings that are
 * JSON numbers as numbers (compare: number, at any depth), the paths
 * read_only or ignored left out, strings lower-cased (caseless), lists
 * sorted and de-duplicated by their canonical text (set). compare:
 * declared first drops from (a copy of) the live value every key the
 * desired value does not declare, at any depth, lists of the same length
 * item by item. A path's rule applies at its place in the value; a step
 * over a list applies to each item.
 */
#include "fields.h"
#include "util/json_util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- normal forms of one value ------------------------------------------ */

static json_t *split_text(const char *s, const char *sep)
{
    json_t *out = json_array();
    size_t seplen = strlen(sep);

    while (out && s) {
        const char *end = strstr(s, sep);
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len && isspace((unsigned char)*s)) {
            s++;
            len--;
        }
        while (len && isspace((unsigned char)s[len - 1]))
            len--;
        if (len && json_array_append_new(out, json_stringn(s, len)) != 0) {
            json_decref(out);
            return NULL;
        }
        s = end ? end + seplen : NULL;
    }
    return out;
}

static json_t *lower(const json_t *v)
{
    char *s = strndup(json_string_value(v), json_string_length(v));
    json_t *out;
    if (!s)
        return NULL;
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    out = json_string(s);
    free(s);
    return out;
}

/* A string lower-cased, or a list's strings; takes `v`. */
static json_t *caseless_form(json_t *v)
{
    size_t i;
    json_t *item, *out;

    if (json_is_string(v)) {
        out = lower(v);
        json_decref(v);
        return out;
    }
    json_array_foreach(v, i, item) {
        if (json_is_string(item) &&
            json_array_set_new(v, i, lower(item)) != 0) {
            json_decref(v);
            return NULL;
        }
    }
    return v;
}

typedef struct keyed {
    char *text;
    json_t *value;
} keyed;

static int by_text(const void *a, const void *b)
{
    return strcmp(((const keyed *)a)->text, ((const keyed *)b)->text);
}

/* A list sorted by canonical text, repeats dropped; takes `list`. */
static json_t *as_set(json_t *list)
{
    size_t n = json_array_size(list), i;
    keyed *k = calloc(n ? n : 1, sizeof *k);
    json_t *out = k ? json_array() : NULL, *item;

    json_array_foreach(list, i, item) {
        k[i].value = item;
        k[i].text = out ? tu_json_text(item) : NULL;
        if (!k[i].text) {
            json_decref(out);
            out = NULL;
        }
    }
    if (out)
        qsort(k, n, sizeof *k, by_text);
    for (i = 0; out && i < n; i++) {
        if ((i == 0 || strcmp(k[i].text, k[i - 1].text) != 0) &&
            json_array_append(out, k[i].value) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    for (i = 0; k && i < n; i++)
        free(k[i].text);
    free(k);
    json_decref(list);
    return out;
}

/* The number a string holding a JSON number is ("3600", "-1.5"), else the
 * value itself: a new reference. */
static json_t *as_number(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    json_t *n;

    if (!s || !len || !(*s == '-' || isdigit((unsigned char)*s)) ||
        !isdigit((unsigned char)s[len - 1]))
        return json_incref((json_t *)v);
    n = json_loadb(s, len, JSON_DECODE_ANY, NULL);
    if (json_is_number(n))
        return n;
    json_decref(n);
    return json_incref((json_t *)v);
}

/* ---- walking a field's value -------------------------------------------- */

/* Where in the field's value a walk is: its dotted path. */
typedef struct walk {
    const tu_field_rules *rules;
    char path[512];
    size_t len;
    int nested;     /* the field has rules on paths inside it */
    size_t over;    /* steps taken past what `path` holds (no rules there) */
} walk;

#define TU_WALK_OVER ((size_t)-1)   /* a `saved` of a step past the end */

/* Step into `key`: the path's rule (NULL: none); `saved` keeps what
 * leave() goes back to. */
static const tu_field_rule *enter(walk *w, const char *key, size_t *saved)
{
    size_t n = strlen(key);

    *saved = w->len;
    if (!w->nested)
        return NULL;
    if (w->over || w->len + 1 + n >= sizeof w->path) {
        w->over++;
        *saved = TU_WALK_OVER;
        return NULL;
    }
    w->path[w->len] = '.';
    memcpy(w->path + w->len + 1, key, n + 1);
    w->len += 1 + n;
    return tu_field_path_rule(w->rules, w->path);
}

static void leave(walk *w, size_t saved)
{
    if (saved == TU_WALK_OVER) {
        w->over--;
    } else if (w->nested) {
        w->len = saved;
        w->path[saved] = '\0';
    }
}

static int skipped(const tu_field_rule *r)
{
    return r && (r->read_only || r->ignored);
}

static json_t *normal(walk *w, const tu_field_rule *r, int number,
                      const json_t *v);
static json_t *descend(walk *w, int number, const json_t *v);

/* A mapping's normal form (a new object, or NULL): each key's value under
 * the rule of its path, the paths read_only or ignored left out. */
static json_t *normal_object(walk *w, int number, const json_t *v)
{
    json_t *out = json_object(), *child;
    const char *key;
    size_t saved;

    json_object_foreach((json_t *)v, key, child) {
        const tu_field_rule *r = enter(w, key, &saved);
        if (out && !skipped(r) &&
            json_object_set_new(out, key, normal(w, r, number, child)) != 0) {
            json_decref(out);
            out = NULL;
        }
        leave(w, saved);
    }
    return out;
}

/* `v` with the paths inside it in their normal form (a list's items at
 * the list's own path), strings that are numbers as numbers when
 * `number`: a new reference, or NULL (out of memory). */
static json_t *descend(walk *w, int number, const json_t *v)
{
    json_t *out, *item;
    size_t i;

    if (!w->nested && !number)
        return json_incref((json_t *)v);
    if (json_is_object(v))
        return normal_object(w, number, v);
    if (json_is_string(v))
        return number ? as_number(v) : json_incref((json_t *)v);
    if (!json_is_array(v) || !(out = json_array()))
        return json_is_array(v) ? NULL : json_incref((json_t *)v);
    json_array_foreach(v, i, item) {
        if (json_array_append_new(out, descend(w, number, item)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* `v` as the rule `r` of the walk's place (NULL: none) compares it: a new
 * reference, or NULL (out of memory). */
static json_t *normal(walk *w, const tu_field_rule *r, int number,
                      const json_t *v)
{
    json_t *split = NULL, *out;

    number |= r && r->number;
    if (r && r->split && json_is_string(v)) {
        if (!(split = split_text(json_string_value(v), r->split)))
            return NULL;
        v = split;
    }
    out = descend(w, number, v);
    json_decref(split);
    if (out && r && r->caseless)
        out = caseless_form(out);
    if (out && r && r->set && json_is_array(out))
        out = as_set(out);
    return out;
}

/* ---- declared keys ------------------------------------------------------ */

/* Drop from `have` (a copy of its own) the keys `want` does not declare
 * where compare: declared applies (`declared`, or the rule `r` of the
 * walk's place says so), at any depth. */
static void project(walk *w, const tu_field_rule *r, int declared,
                    const json_t *want, json_t *have)
{
    const char *key;
    json_t *hv, *tmp;
    size_t saved;

    declared |= r && r->declared;
    if (json_is_array(want) && json_is_array(have) &&
        json_array_size(want) == json_array_size(have)) {
        for (size_t i = 0; i < json_array_size(have); i++)
            project(w, NULL, declared, json_array_get(want, i),
                    json_array_get(have, i));
        return;
    }
    if (!json_is_object(want) || !json_is_object(have))
        return;
    json_object_foreach_safe(have, tmp, key, hv) {
        const json_t *wv = json_object_get(want, key);
        if (!wv && declared) {
            json_object_del(have, key);
        } else if (wv) {
            const tu_field_rule *child = enter(w, key, &saved);
            project(w, child, declared, wv, hv);
            leave(w, saved);
        }
    }
}

/* ---- the comparison ----------------------------------------------------- */

int tu_field_equal(const tu_field_rules *rules, const char *name,
                   const json_t *want, const json_t *have)
{
    const tu_field_rule *r = tu_field_rule_get(rules, name);
    walk w;
    json_t *copy = NULL, *a, *b;
    int eq;

    if (!r || !have || !(r->split || r->caseless || r->set || r->number ||
                         r->declared || r->nested))
        return tu_json_equal(want, have);
    memset(&w, 0, sizeof w);
    w.rules = rules;
    w.len = strlen(name);
    w.nested = r->nested && w.len < sizeof w.path;
    if (w.nested)
        memcpy(w.path, name, w.len + 1);
    if (r->declared || r->nested) {
        if (!(copy = json_deep_copy(have)))
            return 0;
        project(&w, r, 0, want, copy);
    }
    a = normal(&w, r, 0, want);
    b = normal(&w, r, 0, copy ? copy : have);
    eq = a && b && tu_json_equal(a, b);
    json_decref(a);
    json_decref(b);
    json_decref(copy);
    return eq;
}
