/* packed.c -- records in a compact form (see packed.h).
 *
 * tu_pack walks the object once: the field array is allocated in the
 * arena with room for every field, names are looked up in the store's
 * table (a handful of distinct names for millions of records) and
 * strings are copied into the arena after their NUL. A nested value is
 * kept by reference in the store's `refs`, released when the store is
 * freed. Lookups by name are a linear scan: records have few fields.
 */
#include "packed.h"
#include "util/json_util.h"

#include <stdlib.h>
#include <string.h>

void tu_pack_store_init(tu_pack_store *s)
{
    memset(s, 0, sizeof *s);
    tu_strmap_init(&s->names);
}

void tu_pack_store_free(tu_pack_store *s)
{
    for (size_t i = 0; i < s->nrefs; i++)
        json_decref(s->refs[i]);
    free(s->refs);
    tu_strmap_free(&s->names);
    tu_arena_free(&s->arena);
    tu_arena_free(&s->name_text);
    tu_pack_store_init(s);
}

void tu_pack_store_save(const tu_pack_store *s, tu_pack_mark *m)
{
    tu_arena_save(&s->arena, &m->arena);
    m->nrefs = s->nrefs;
}

void tu_pack_store_rewind(tu_pack_store *s, const tu_pack_mark *m)
{
    while (s->nrefs > m->nrefs)
        json_decref(s->refs[--s->nrefs]);
    tu_arena_rewind(&s->arena, &m->arena);
}

/* 1 when the string `have` is the `n` bytes at `name`. By hand: names
 * are a few bytes and mostly differ at the first, where strncmp was a
 * call each (5% of a 100,000-record load's instructions). */
static int is_name(const char *have, const char *name, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (have[i] != name[i] || !have[i])
            return 0;
    return have[n] == '\0';
}

/* The interned copy of the i-th field name of a record: the same name as
 * at that place in the record before, usually, so that is tried first. */
const char *tu_pack_intern(tu_pack_store *s, const char *name, size_t i)
{
    size_t value, size;
    char *copy;
    const char **recent = i < 8 ? &s->recent[i] : NULL;

    if (recent && *recent && strcmp(*recent, name) == 0)
        return *recent;
    if (tu_strmap_get(&s->names, name, &value)) {
        if (recent)
            *recent = (const char *)(uintptr_t)value;
        return (const char *)(uintptr_t)value;
    }
    size = strlen(name) + 1;
    if (!(copy = tu_arena_alloc(&s->name_text, size)))  /* 8-aligned */
        return NULL;
    memcpy(copy, name, size);
    if (tu_strmap_put(&s->names, copy, (uintptr_t)copy, NULL) < 0)
        return NULL;
    if (recent)
        *recent = copy;
    return copy;
}

const char *tu_pack_internn(tu_pack_store *s, const char *name, size_t n,
                            size_t i)
{
    const char *recent = i < 8 ? s->recent[i] : NULL;
    char copy[256];

    if (recent && is_name(recent, name, n))
        return recent;
    if (n >= sizeof copy || memchr(name, '\0', n))
        return NULL;
    memcpy(copy, name, n);
    copy[n] = '\0';
    return tu_pack_intern(s, copy, i);
}

static int hold(tu_pack_store *s, json_t *value)
{
    if (tu_array_grow(&s->refs, &s->refs_cap, s->nrefs + 1, sizeof *s->refs,
                      16) != 0)
        return -1;
    s->refs[s->nrefs++] = json_incref(value);
    return 0;
}

const char *tu_pack_string(tu_pack_store *s, const char *text, size_t len)
{
    uint32_t n = (uint32_t)len;
    char *p;

    if (len >= UINT32_MAX - sizeof n ||
        !(p = tu_arena_alloc_align(&s->arena, sizeof n + len + 1, 1)))
        return NULL;
    memcpy(p, &n, sizeof n);
    memcpy(p + sizeof n, text, len);
    p[sizeof n + len] = '\0';
    return p + sizeof n;
}

int tu_pack_value(tu_pack_store *s, tu_pfield *f, const char *name,
                  json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        f->tag = tu_pfield_tag(name, TU_PV_STR);
        f->u.s = tu_pack_string(s, json_string_value(v),
                                json_string_length(v));
        return f->u.s ? 0 : -1;
    case JSON_INTEGER:
        f->tag = tu_pfield_tag(name, TU_PV_INT);
        f->u.i = json_integer_value(v);
        return 0;
    case JSON_REAL:
        f->tag = tu_pfield_tag(name, TU_PV_REAL);
        f->u.r = json_real_value(v);
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        f->tag = tu_pfield_tag(name, json_is_true(v) ? TU_PV_TRUE
                                                     : TU_PV_FALSE);
        return 0;
    case JSON_NULL:
        f->tag = tu_pfield_tag(name, TU_PV_NULL);
        return 0;
    default:
        f->tag = tu_pfield_tag(name, TU_PV_JSON);
        f->u.j = v;
        return hold(s, v);
    }
}

static tu_packed *packed_new(tu_pack_store *s, size_t count)
{
    tu_packed *p;
    if (count >= UINT32_MAX / 2)
        return NULL;
    p = tu_arena_alloc(&s->arena, sizeof *p + count * sizeof p->fields[0]);
    if (p)
        p->count = (uint32_t)count;
    return p;
}

tu_packed *tu_pack_fields(tu_pack_store *s, const tu_pfield *fields,
                          size_t count)
{
    tu_packed *p = packed_new(s, count);
    if (p && count)
        memcpy(p->fields, fields, count * sizeof *fields);
    return p;
}

tu_packed *tu_pack(tu_pack_store *s, const json_t *object)
{
    const char *name;
    json_t *v;
    tu_packed *p;
    size_t i = 0;

    if (!json_is_object(object) ||
        !(p = packed_new(s, json_object_size(object))))
        return NULL;
    json_object_foreach((json_t *)object, name, v) {
        tu_pfield *f = &p->fields[i++];
        const char *interned = tu_pack_intern(s, name, i - 1);
        memset(f, 0, sizeof *f);
        if (!interned || tu_pack_value(s, f, interned, v) != 0)
            return NULL;
    }
    return p;
}

tu_packed *tu_pack_copy(tu_pack_store *s, const tu_packed *from)
{
    tu_packed *p = packed_new(s, from->count);

    for (uint32_t i = 0; p && i < from->count; i++) {
        const tu_pfield *f = &from->fields[i];
        const char *name = tu_pack_intern(s, tu_pfield_name(f), i);
        int type = tu_pfield_type(f);
        tu_pfield *t = &p->fields[i];

        *t = *f;
        t->tag = tu_pfield_tag(name, type);
        if (!name ||
            (type == TU_PV_STR &&
             !(t->u.s = tu_pack_string(s, f->u.s, tu_pfield_len(f)))) ||
            (type == TU_PV_JSON && hold(s, f->u.j)))
            return NULL;
    }
    return p;
}

json_t *tu_pfield_json(const tu_pfield *f)
{
    switch (tu_pfield_type(f)) {
    case TU_PV_STR:
        return json_stringn_nocheck(f->u.s, tu_pfield_len(f));
    case TU_PV_INT:
        return json_integer(f->u.i);
    case TU_PV_REAL:
        return json_real(f->u.r);
    case TU_PV_TRUE:
        return json_true();
    case TU_PV_FALSE:
        return json_false();
    case TU_PV_JSON:
        return json_incref(f->u.j);
    default:
        return json_null();
    }
}

int tu_pfield_dumpb(const tu_pfield *f, tu_buffer *b)
{
    char num[TU_INT_TEXT_MAX];
    json_t *v;
    int rc;

    switch (tu_pfield_type(f)) {
    case TU_PV_STR:
        return tu_json_strb(f->u.s, tu_pfield_len(f), b);
    case TU_PV_INT:
        return tu_buffer_add(b, num, tu_int_text(f->u.i, num));
    case TU_PV_TRUE:
        return tu_buffer_puts(b, "true");
    case TU_PV_FALSE:
        return tu_buffer_puts(b, "false");
    case TU_PV_NULL:
        return tu_buffer_puts(b, "null");
    default: /* a real's digits and nested values: as jansson writes them */
        if (!(v = tu_pfield_json(f)))
            return -1;
        rc = tu_json_dumpb(v, JSON_COMPACT | JSON_ENCODE_ANY, b);
        json_decref(v);
        return rc;
    }
}

json_t *tu_packed_json(const tu_packed *p)
{
    json_t *o = json_object();

    for (uint32_t i = 0; o && i < p->count; i++) {
        if (json_object_set_new_nocheck(o, tu_pfield_name(&p->fields[i]),
                                        tu_pfield_json(&p->fields[i])) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

const tu_pfield *tu_packed_getn(const tu_packed *p, const char *name,
                                size_t n)
{
    for (uint32_t i = 0; i < p->count; i++)
        if (is_name(tu_pfield_name(&p->fields[i]), name, n))
            return &p->fields[i];
    return NULL;
}

const tu_pfield *tu_packed_get(const tu_packed *p, const char *name)
{
    for (uint32_t i = 0; i < p->count; i++) {
        const char *have = tu_pfield_name(&p->fields[i]), *want = name;
        while (*have && *have == *want)   /* no strlen first: most names */
            have++, want++;               /* differ at their first byte */
        if (*have == *want)
            return &p->fields[i];
    }
    return NULL;
}

const char *tu_packed_string(const tu_packed *p, const char *name)
{
    const tu_pfield *f = tu_packed_get(p, name);
    return f && tu_pfield_type(f) == TU_PV_STR ? f->u.s : NULL;
}

static double number_of(const tu_pfield *f)
{
    return tu_pfield_type(f) == TU_PV_INT ? (double)f->u.i : f->u.r;
}

static int is_number(const tu_pfield *f)
{
    return tu_pfield_type(f) == TU_PV_INT || tu_pfield_type(f) == TU_PV_REAL;
}

int tu_pfield_equal(const tu_pfield *a, const tu_pfield *b)
{
    if (is_number(a) && is_number(b)) {
        if (tu_pfield_type(a) == TU_PV_INT && tu_pfield_type(b) == TU_PV_INT)
            return a->u.i == b->u.i;
        return number_of(a) == number_of(b);
    }
    if (tu_pfield_type(a) != tu_pfield_type(b))
        return 0;
    switch (tu_pfield_type(a)) {
    case TU_PV_STR:
        return tu_pfield_len(a) == tu_pfield_len(b) &&
               memcmp(a->u.s, b->u.s, tu_pfield_len(a)) == 0;
    case TU_PV_JSON:
        return tu_json_equal(a->u.j, b->u.j);
    default:
        return 1;
    }
}
