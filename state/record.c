/* record.c -- records, keys and indexed record sets (see record.h).
 *
 * The matching key is, for each key field in order, a one-letter type tag
 * ('s' string, 'n' number, 'b' boolean), the length in bytes of the value's
 * text, ':' and the text, as "s3:wwws1:A". The lengths make the encoding
 * injective whatever the values hold; NUL and 0x01 bytes are escaped as
 * 0x01 '0' and 0x01 '1' so that the key is a C string. Numbers use
 * tu_json_text, which writes integral reals without a fraction, so 600 and
 * 600.0 share a key, as tu_json_equal says they are equal.
 */
#include "record.h"
#include "buffer.h"
#include "json_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char type_tag(const json_t *v)
{
    if (json_is_string(v))
        return 's';
    if (json_is_number(v))
        return 'n';
    if (json_is_boolean(v))
        return 'b';
    return 'z';
}

/* Append `n` bytes of text, escaping NUL and 0x01. */
static int add_escaped(tu_buffer *b, const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (text[i] == '\0')
            rc = tu_buffer_add(b, "\x01" "0", 2);
        else if (text[i] == '\x01')
            rc = tu_buffer_add(b, "\x01" "1", 2);
        else
            rc = tu_buffer_add(b, &text[i], 1);
        if (rc)
            return -1;
    }
    return 0;
}

static int add_key_part(tu_buffer *key, tu_buffer *label, const json_t *v,
                        size_t i)
{
    char head[32];
    /* strings are used in place: one allocation less per key field */
    char *text = json_is_string(v) ? NULL : tu_json_text(v);
    const char *raw = text ? text : json_string_value(v);
    size_t n = text ? strlen(text) : json_string_length(v);
    int rc;

    if (!raw)
        return -1;
    snprintf(head, sizeof head, "%c%zu:", type_tag(v), n);
    rc = tu_buffer_add(key, head, strlen(head)) | add_escaped(key, raw, n) |
         (i ? tu_buffer_add(label, "|", 1) : 0) |
         tu_buffer_add(label, raw, strlen(raw));
    free(text);
    return rc ? -1 : 0;
}

int tu_record_key(const json_t *fields, const tu_keyspec *spec, char **key,
                  char **label, const char **missing)
{
    tu_buffer k = TU_BUFFER_INIT, l = TU_BUFFER_INIT;

    *missing = NULL;
    for (size_t i = 0; i < spec->count; i++) {
        const json_t *v = json_object_get(fields, spec->fields[i]);
        if (!v || json_is_object(v) || json_is_array(v) || json_is_null(v)) {
            *missing = spec->fields[i];
            goto fail;
        }
        if (add_key_part(&k, &l, v, i) != 0)
            goto fail;
    }
    *key = tu_buffer_take(&k);
    *label = tu_buffer_take(&l);
    if (*key && *label)
        return 0;
    free(*key);
    free(*label);
    *missing = NULL;
    return -1;
fail:
    tu_buffer_free(&k);
    tu_buffer_free(&l);
    return -1;
}

void tu_recordset_init(tu_recordset *set)
{
    memset(set, 0, sizeof *set);
    tu_strmap_init(&set->index);
}

void tu_recordset_free(tu_recordset *set)
{
    for (size_t i = 0; i < set->count; i++) {
        json_decref(set->items[i].fields);
        free(set->items[i].key);
        free(set->items[i].label);
    }
    free(set->items);
    tu_strmap_free(&set->index);
    tu_recordset_init(set);
}

int tu_recordset_reserve(tu_recordset *set, size_t n)
{
    size_t want = set->count + n;
    if (want > set->cap) {
        size_t cap = set->cap ? set->cap : 64;
        tu_record *items;
        while (cap < want)
            cap *= 2;
        items = realloc(set->items, cap * sizeof *items);
        if (!items)
            return -1;
        set->items = items;
        set->cap = cap;
    }
    return tu_strmap_reserve(&set->index, want);
}

tu_record *tu_recordset_add(tu_recordset *set, json_t *fields, char *key,
                            char *label, size_t *first)
{
    tu_record *r;
    size_t existing = SIZE_MAX;
    int rc;

    if (tu_recordset_reserve(set, 1) != 0)
        goto oom;
    r = &set->items[set->count];
    memset(r, 0, sizeof *r);
    r->fields = fields;
    r->key = key;
    r->label = label;
    rc = tu_strmap_put(&set->index, key, set->count, &existing);
    if (rc < 0)
        goto oom;
    if (rc == 0) {
        r->ambiguous = 1;
        set->items[existing].ambiguous = 1;
    }
    if (first)
        *first = existing;
    set->count++;
    return r;
oom:
    json_decref(fields);
    free(key);
    free(label);
    return NULL;
}

const tu_record *tu_recordset_find(const tu_recordset *set, const char *key)
{
    size_t i;
    return tu_strmap_get(&set->index, key, &i) ? &set->items[i] : NULL;
}

static int named_in(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0)
            return 1;
    }
    return 0;
}

json_t *tu_record_declared(const json_t *fields, const tu_keyspec *key,
                           const char *const *leave_out, size_t n,
                           const char *also)
{
    json_t *out = json_object(), *value;
    const char *field;

    for (size_t i = 0; out && i < key->count; i++)
        json_object_set(out, key->fields[i],
                        json_object_get(fields, key->fields[i]));
    json_object_foreach((json_t *)fields, field, value) {
        if (out && !json_object_get(out, field) &&
            !named_in(field, leave_out, n) &&
            !(also && strcmp(field, also) == 0) &&
            json_object_set(out, field, value) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

int tu_recordset_filter(tu_recordset *out, const tu_recordset *in,
                        int (*keep)(const tu_record *record, void *data),
                        void *data)
{
    tu_recordset_init(out);
    for (size_t i = 0; i < in->count; i++) {
        const tu_record *r = &in->items[i];
        char *key, *label;
        tu_record *copy;

        if (!keep(r, data))
            continue;
        key = strdup(r->key);
        label = strdup(r->label);
        if (!key || !label) {
            free(key);
            free(label);
            tu_recordset_free(out);
            return -1;
        }
        copy = tu_recordset_add(out, json_incref(r->fields), key, label,
                                NULL);
        if (!copy) {
            tu_recordset_free(out);
            return -1;
        }
        copy->pos = r->pos;
        copy->absent = r->absent;
        copy->ambiguous = r->ambiguous;
    }
    return 0;
}
