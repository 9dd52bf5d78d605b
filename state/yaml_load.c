/* yaml_load.c -- YAML (1.2 core schema) to jansson values, with positions.
 *
 * How it works
 * ------------
 * libyaml's event API (yaml_parser_parse) hands us a flat stream of events:
 * document start, mapping/sequence start and end, scalar, alias. We build
 * the jansson tree with an explicit stack of open containers (yl_frame),
 * so nesting costs no C stack; the stack has TU_YAML_MAX_DEPTH frames and
 * deeper input is refused.
 *
 * Each finished value (a scalar, an alias, or a container at its end event)
 * is "attached" to the frame on top of the stack: appended to a sequence,
 * or stored under the key waiting in a mapping. In a mapping, events take
 * turns: a key (which must be a scalar, or an alias to a string), then its
 * value. Duplicate keys are refused when the second key arrives, naming the
 * line of the first, which the source map knows.
 *
 * Scalars are typed by the YAML 1.2 core schema (yl_resolve_plain) unless
 * quoted, block or tagged. Numbers are checked by hand against the schema's
 * patterns, integers parsed with overflow checks, floats with strtod in the
 * "C" locale (set per thread with uselocale, so the program's locale never
 * turns "1.5" into 1).
 *
 * Anchors live in an array indexed by name with the project's hash map
 * (strmap.h), each holding a reference to the value and the size of its
 * subtree in nodes (aliases inside it counted at the size of what they
 * expand to). An alias shares the value
 * (json_incref); every alias use adds its subtree size to a running total,
 * and past TU_YAML_MAX_ALIAS_NODES the document is refused: that is what
 * stops "billion laughs" before anything downstream walks the tree.
 *
 * The merge key `<<` is deferred: the mappings it names are kept in the
 * frame and merged when the mapping ends, so keys written in the mapping win
 * wherever they stand, and earlier merged mappings win over later ones.
 * Merged members are copied into the target (shallow), never the source.
 *
 * Positions: every container is recorded in the tu_srcmap at its start
 * event, every key with tu_srcmap_add_member right after insertion (merged
 * keys at the position of their `<<`). libyaml marks are 0-based; ours are
 * 1-based. On any error everything built so far is released, and libyaml's
 * parser is deleted.
 *
 * A handed-over list of the common shape is read without libyaml
 * (yl_load, yaml_records.c), its items handed over as they are read;
 * then libyaml reads the file with the list's lines cut out, once for its
 * events alone (yl_block_confirmed) and once as above, with the lines
 * after the cut moved back (yl_line) and the empty value where the list
 * stood made the empty list (yl_block_list). When the list was not where
 * the text made it seem, or the rest fails, the items are taken back.
 */
#include "yaml_load.h"
#include "util/arena.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "error.h"
#include "util/strmap.h"
#include "yaml_records.h"
#include "yaml_schema.h"

#define YL_TAG_PREFIX "tag:yaml.org,2002:"
#define YL_TAG_PREFIX_LEN (sizeof YL_TAG_PREFIX - 1)
#define YL_READ_CHUNK 65536

/* One open mapping or sequence. */
typedef struct yl_frame {
    json_t *value;        /* the object or array being filled (owned) */
    json_t *merges;       /* mappings named by '<<', in order; or NULL */
    char *anchor;         /* its anchor, registered when it ends */
    char *key;            /* the key waiting for its value */
    size_t nodes;         /* nodes in this subtree so far */
    tu_srcpos pos;        /* where the container starts */
    tu_srcpos key_pos;    /* where the waiting key stands */
    tu_srcpos merge_pos;  /* where the '<<' key stands */
    int is_item;          /* an item of the handed-over list: its members'
                             places go to the loader's item_at, not to
                             the source map */
    int has_key;          /* a key waits for its value */
    int key_is_merge;     /* ... and that key is '<<' */
    int merge_seen;       /* this mapping has a '<<' key */
} yl_frame;

typedef struct yl_anchor {
    char *name;           /* owned */
    json_t *value;        /* a reference */
    size_t nodes;         /* nodes in its subtree, aliases expanded */
} yl_anchor;

typedef struct yl_anchors {
    yl_anchor *items;     /* in the order they were first defined */
    size_t count, cap;
    tu_strmap index;      /* name (items[i].name) -> i */
} yl_anchors;

typedef struct yl_loader {
    yaml_parser_t parser;
    const unsigned char *input;  /* for positions of reader errors */
    size_t input_len;
    tu_srcmap *map;
    const char *file;            /* interned in map */
    tu_error *err;
    yl_frame stack[TU_YAML_MAX_DEPTH];
    size_t depth;
    yl_anchors anchors;
    size_t alias_nodes;          /* nodes reached through aliases so far */
    size_t written_nodes;        /* nodes written out in the file so far */
    json_t *root;
    int documents;
    locale_t c_locale;           /* created on the first float */
    /* The key waiting for its value, one buffer per nesting level, reused
     * from key to key (a frame's `key` points into its level's buffer):
     * no allocation per key of a large file. */
    char *key_buf[TU_YAML_MAX_DEPTH];
    size_t key_cap[TU_YAML_MAX_DEPTH];
    const tu_yaml_items *items;  /* where the top-level list goes, or NULL */
    size_t items_seen;
    uint32_t *item_at;           /* line, column of each member of the
                                    item being read (reused) */
    size_t item_n, item_cap;
    const tu_yaml_block *block;  /* a list read without libyaml, its lines
                                    taken out of `input`; or NULL */
} yl_loader;

typedef enum yl_tag {
    YL_TAG_UNKNOWN,
    YL_TAG_STR,
    YL_TAG_INT,
    YL_TAG_FLOAT,
    YL_TAG_BOOL,
    YL_TAG_NULL,
    YL_TAG_MAP,
    YL_TAG_SEQ
} yl_tag;

/* ---- small helpers ------------------------------------------------------ */

/* The line in the file of line `line` (1-based) of the text libyaml
 * reads: those after a list taken out (l->block) stand lower. */
static unsigned yl_line(const yl_loader *l, unsigned line)
{
    return l->block && line > l->block->key_line ? line + l->block->newlines
                                                 : line;
}

static tu_srcpos yl_pos(const yl_loader *l, yaml_mark_t mark)
{
    tu_srcpos pos;
    pos.file = l->file;
    pos.line = yl_line(l, (unsigned)mark.line + 1);
    pos.column = (unsigned)mark.column + 1;
    return pos;
}

/* Out of memory while loading the file at `pos` (kind TU_ERR_NOMEM: the
 * message has the place, but the input is not at fault). */
static int yl_oom(yl_loader *l, tu_srcpos pos)
{
    tu_error_at(l->err, pos, "out of memory");
    if (l->err)
        l->err->code = TU_ERR_NOMEM;
    return -1;
}

/* `value`, or NULL with an out-of-memory error when it is NULL. */
static json_t *yl_new(yl_loader *l, json_t *value, tu_srcpos pos)
{
    if (!value)
        yl_oom(l, pos);
    return value;
}

/* The two halves of a tag as written: "!!" + "int", or "" + "!custom". */
static const char *yl_tag_head(const char *tag)
{
    return strncmp(tag, YL_TAG_PREFIX, YL_TAG_PREFIX_LEN) == 0 ? "!!" : "";
}

static const char *yl_tag_tail(const char *tag)
{
    return strncmp(tag, YL_TAG_PREFIX, YL_TAG_PREFIX_LEN) == 0
               ? tag + YL_TAG_PREFIX_LEN
               : tag;
}

static yl_tag yl_tag_kind(const char *tag)
{
    static const char *const names[] = {"str", "int", "float", "bool",
                                        "null", "map", "seq"};
    static const yl_tag kinds[] = {YL_TAG_STR, YL_TAG_INT, YL_TAG_FLOAT,
                                   YL_TAG_BOOL, YL_TAG_NULL, YL_TAG_MAP,
                                   YL_TAG_SEQ};
    size_t i;
    if (strcmp(tag, "!") == 0)  /* the non-specific tag: a string */
        return YL_TAG_STR;
    if (!*yl_tag_head(tag))
        return YL_TAG_UNKNOWN;
    for (i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(tag + YL_TAG_PREFIX_LEN, names[i]) == 0)
            return kinds[i];
    return YL_TAG_UNKNOWN;
}

static int yl_tag_unsupported(yl_loader *l, const char *tag, tu_srcpos pos)
{
    tu_error_at(l->err, pos,
                "unsupported tag '%s%s' (use !!str, !!int, !!float, !!bool "
                "or !!null, or no tag)",
                yl_tag_head(tag), yl_tag_tail(tag));
    return -1;
}

static int yl_tag_misplaced(yl_loader *l, const char *tag, const char *node,
                            tu_srcpos pos)
{
    tu_error_at(l->err, pos, "tag '%s%s' cannot be used on a %s",
                yl_tag_head(tag), yl_tag_tail(tag), node);
    return -1;
}

/* ---- anchors ------------------------------------------------------------ */

/* Define (or redefine: YAML allows it) an anchor. Takes a new reference
 * to `value`. */
static int yl_anchor_put(yl_anchors *a, const char *name, json_t *value,
                         size_t nodes)
{
    yl_anchor *slot;
    size_t i;
    if (!tu_strmap_get(&a->index, name, &i)) {
        if (tu_array_grow(&a->items, &a->cap, a->count + 1,
                          sizeof *a->items, 16) != 0)
            return -1;
        i = a->count;
        a->items[i].name = strdup(name);
        a->items[i].value = NULL;
        if (!a->items[i].name)
            return -1;
        if (tu_strmap_put(&a->index, a->items[i].name, i, NULL) < 0) {
            free(a->items[i].name);
            return -1;
        }
        a->count++;
    }
    slot = &a->items[i];
    json_decref(slot->value);
    slot->value = json_incref(value);
    slot->nodes = nodes;
    return 0;
}

static const yl_anchor *yl_anchor_get(const yl_anchors *a, const char *name)
{
    size_t i;
    return tu_strmap_get(&a->index, name, &i) ? &a->items[i] : NULL;
}

static void yl_anchors_free(yl_anchors *a)
{
    for (size_t i = 0; i < a->count; i++) {
        free(a->items[i].name);
        json_decref(a->items[i].value);
    }
    free(a->items);
    tu_strmap_free(&a->index);
}

/* ---- scalars ------------------------------------------------------------ */

/* libyaml has checked the UTF-8 of everything it read: jansson need not
 * check it again. */
static json_t *yl_string(yl_loader *l, const char *text, size_t len,
                         tu_srcpos pos)
{
    return yl_new(l, json_stringn_nocheck(text, len), pos);
}

static json_t *yl_int_range_error(yl_loader *l, const char *text,
                                  tu_srcpos pos)
{
    tu_error_at(l->err, pos,
                "integer '%.100s' is out of the 64-bit range; quote it to "
                "make it a string",
                text);
    return NULL;
}

static json_t *yl_inf_nan_error(yl_loader *l, const char *text,
                                tu_srcpos pos)
{
    tu_error_at(l->err, pos,
                "'%s': infinity and NaN cannot be represented in JSON; quote "
                "it to make it a string",
                text);
    return NULL;
}

/* strtod in the "C" locale; `text` is a checked core-schema float. */
static json_t *yl_float(yl_loader *l, const char *text, tu_srcpos pos)
{
    locale_t old;
    double d;
    if (!l->c_locale)
        l->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!l->c_locale)
        return yl_new(l, NULL, pos);
    old = uselocale(l->c_locale);
    d = strtod(text, NULL);
    uselocale(old);
    if (isinf(d)) {
        tu_error_at(l->err, pos,
                    "number '%.100s' is too large; quote it to make it a "
                    "string",
                    text);
        return NULL;
    }
    return yl_new(l, json_real(d), pos);
}

/* An untagged plain scalar, typed by the core schema (yaml_schema.c). */
static json_t *yl_resolve_plain(yl_loader *l, const char *text, size_t len,
                                tu_srcpos pos)
{
    json_int_t i;
    int type = tu_yaml_plain_type(text, len, &i);

    switch (type) {
    case TU_YAML_PLAIN_INT_RANGE:
        return yl_int_range_error(l, text, pos);
    case TU_YAML_PLAIN_FLOAT:
        return yl_float(l, text, pos);
    case TU_YAML_PLAIN_INF_NAN:
        return yl_inf_nan_error(l, text, pos);
    default:
        return yl_new(l, tu_yaml_plain_json(type, text, len, i), pos);
    }
}

static json_t *yl_tag_mismatch(yl_loader *l, const char *tag,
                               const char *text, const char *what,
                               tu_srcpos pos)
{
    tu_error_at(l->err, pos, "'%.100s' is not %s, as tag '%s%s' requires",
                text, what, yl_tag_head(tag), yl_tag_tail(tag));
    return NULL;
}

static json_t *yl_resolve_number(yl_loader *l, const char *tag,
                                 const char *text, size_t len, int want_float,
                                 tu_srcpos pos)
{
    json_int_t i;
    int rc = tu_yaml_parse_int(text, len, &i);
    if (rc < 0)
        return yl_int_range_error(l, text, pos);
    if (rc > 0)
        return yl_new(l, want_float ? json_real((double)i) : json_integer(i),
                      pos);
    if (want_float && tu_yaml_is_float(text, len))
        return yl_float(l, text, pos);
    if (want_float && tu_yaml_is_inf_nan(text, len))
        return yl_inf_nan_error(l, text, pos);
    return yl_tag_mismatch(l, tag, text,
                           want_float ? "a number" : "an integer", pos);
}

/* A scalar with an explicit tag. */
static json_t *yl_resolve_tagged(yl_loader *l, const char *tag,
                                 const char *text, size_t len, tu_srcpos pos)
{
    int b;
    switch (yl_tag_kind(tag)) {
    case YL_TAG_STR:
        return yl_string(l, text, len, pos);
    case YL_TAG_INT:
        return yl_resolve_number(l, tag, text, len, 0, pos);
    case YL_TAG_FLOAT:
        return yl_resolve_number(l, tag, text, len, 1, pos);
    case YL_TAG_BOOL:
        if (tu_yaml_is_bool(text, len, &b))
            return json_boolean(b);
        return yl_tag_mismatch(l, tag, text, "true or false", pos);
    case YL_TAG_NULL:
        if (tu_yaml_is_null(text, len))
            return json_null();
        return yl_tag_mismatch(l, tag, text, "null", pos);
    case YL_TAG_MAP:
    case YL_TAG_SEQ:
        yl_tag_misplaced(l, tag, "scalar", pos);
        return NULL;
    case YL_TAG_UNKNOWN:
        break;
    }
    yl_tag_unsupported(l, tag, pos);
    return NULL;
}

/* The JSON value of a scalar event; NULL with the error set. */
static json_t *yl_resolve(yl_loader *l, const yaml_event_t *ev, tu_srcpos pos)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (tag)
        return yl_resolve_tagged(l, tag, text, len, pos);
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        return yl_resolve_plain(l, text, len, pos);
    return yl_string(l, text, len, pos);
}

/* ---- building the tree -------------------------------------------------- */

static yl_frame *yl_top(yl_loader *l)
{
    return l->depth ? &l->stack[l->depth - 1] : NULL;
}

/* 1 when the next node is a mapping key. */
static int yl_key_expected(yl_loader *l)
{
    yl_frame *f = yl_top(l);
    return f && json_is_object(f->value) && !f->has_key;
}

static void yl_frame_release(yl_frame *f)
{
    json_decref(f->value);
    json_decref(f->merges);
    free(f->anchor);
    memset(f, 0, sizeof *f); /* f->key is the loader's key buffer */
}

static int yl_merge_error(yl_loader *l, json_t *value, tu_srcpos pos)
{
    json_decref(value);
    tu_error_at(l->err, pos,
                "the value of the merge key '<<' must be a mapping or a list "
                "of mappings");
    return -1;
}

static int yl_all_objects(const json_t *array)
{
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item) {
        if (!json_is_object(item))
            return 0;
    }
    return 1;
}

/* Keep the mapping(s) a '<<' key names, to merge when the mapping ends.
 * Steals `value`. */
static int yl_merge_add(yl_loader *l, yl_frame *f, json_t *value,
                        tu_srcpos pos)
{
    int rc;
    if (!json_is_object(value) &&
        !(json_is_array(value) && yl_all_objects(value)))
        return yl_merge_error(l, value, pos);
    if (!f->merges && !(f->merges = json_array())) {
        json_decref(value);
        return yl_oom(l, pos);
    }
    if (json_is_object(value))
        rc = json_array_append(f->merges, value);
    else
        rc = json_array_extend(f->merges, value);
    json_decref(value);
    return rc ? yl_oom(l, pos) : 0;
}

/* Note where the member just added to f's object stands: in the source
 * map, or for an item of the handed-over list in item_at (an item is
 * freed once handed over; its places travel with it). 0 or -1. */
static int yl_note_member(yl_loader *l, yl_frame *f, tu_srcpos pos)
{
    if (!f->is_item)
        return tu_srcmap_add_member(l->map, f->value, pos) < 0 ? -1 : 0;
    if (tu_array_grow(&l->item_at, &l->item_cap, l->item_n + 2,
                      sizeof *l->item_at, 32) != 0)
        return -1;
    l->item_at[l->item_n++] = pos.line;
    l->item_at[l->item_n++] = pos.column;
    return 0;
}

/* Where member `key` of f's object stands (for duplicate keys). */
static tu_srcpos yl_member_pos(const yl_loader *l, const yl_frame *f,
                               const char *key)
{
    tu_srcpos pos = f->pos;
    const char *k;
    json_t *v;
    size_t i = 0;

    if (!f->is_item)
        return tu_srcmap_member(l->map, f->value, key);
    json_object_foreach(f->value, k, v) {
        if (strcmp(k, key) == 0 && 2 * i + 1 < l->item_n) {
            pos.line = l->item_at[2 * i];
            pos.column = l->item_at[2 * i + 1];
            break;
        }
        i++;
    }
    return pos;
}

/* Store `value` (stolen) under the waiting key. */
static int yl_map_value(yl_loader *l, yl_frame *f, json_t *value,
                        tu_srcpos pos)
{
    int rc;
    f->has_key = 0;
    if (f->key_is_merge) {
        f->key_is_merge = 0;
        return yl_merge_add(l, f, value, pos);
    }
    rc = json_object_set_new(f->value, f->key, value);
    f->key = NULL;
    if (rc || yl_note_member(l, f, f->key_pos) < 0)
        return yl_oom(l, f->key_pos);
    return 0;
}

/* 1 when the sequence on top is the value of the root mapping's key
 * items->key. */
static int yl_in_item_list(const yl_loader *l)
{
    const yl_frame *root = &l->stack[0];
    return l->items && l->depth == 2 && json_is_object(root->value) &&
           root->has_key && root->key &&
           strcmp(root->key, l->items->key) == 0;
}

/* Hand an item of that list (stolen) to items->each instead of keeping
 * it, with its members' places when it was read as an item (not an
 * alias); its position entry goes with it unless an anchor shares it. */
static int yl_hand_over(yl_loader *l, json_t *value, tu_srcpos pos,
                        int was_item)
{
    tu_yaml_item item = {value, pos, l->items_seen++,
                         was_item && json_is_object(value) ? l->item_at
                                                           : NULL,
                         was_item ? l->item_n / 2 : 0, NULL};
    int rc = l->items->each(&item, l->items->data);
    if (value->refcount == 1)
        tu_srcmap_forget(l->map, value);
    json_decref(value);
    l->item_n = 0;
    return rc ? yl_oom(l, pos) : 0;
}

/* Hand a finished value (stolen) to its parent, or make it the root.
 * `nodes` is the size of its subtree; `was_item`: it was read as an item
 * of the handed-over list (its frame's is_item). */
static int yl_attach(yl_loader *l, json_t *value, tu_srcpos pos, size_t nodes,
                     int was_item)
{
    yl_frame *f = yl_top(l);
    if (!f) {
        l->root = value;
        return 0;
    }
    if (json_is_array(f->value)) {
        f->nodes += nodes;
        if (yl_in_item_list(l))
            return yl_hand_over(l, value, pos, was_item);
        if (json_array_append_new(f->value, value))
            return yl_oom(l, pos);
        return 0;
    }
    f->nodes += 1 + nodes;  /* the key, and the value */
    return yl_map_value(l, f, value, pos);
}

/* Merge the mappings named by '<<' under the keys already present. */
static int yl_apply_merges(yl_loader *l, yl_frame *f)
{
    size_t i;
    json_t *src, *v;
    const char *k;
    json_array_foreach(f->merges, i, src) {
        json_object_foreach(src, k, v) {
            if (json_object_get(f->value, k))
                continue;
            if (json_object_set(f->value, k, v) ||
                yl_note_member(l, f, f->merge_pos) < 0)
                return yl_oom(l, f->merge_pos);
        }
    }
    return 0;
}

static int yl_check_container_tag(yl_loader *l, const char *tag, int is_map,
                                  tu_srcpos pos)
{
    yl_tag kind;
    if (!tag || strcmp(tag, "!") == 0)
        return 0;
    kind = yl_tag_kind(tag);
    if (kind == YL_TAG_UNKNOWN)
        return yl_tag_unsupported(l, tag, pos);
    if (kind != (is_map ? YL_TAG_MAP : YL_TAG_SEQ))
        return yl_tag_misplaced(l, tag, is_map ? "mapping" : "sequence", pos);
    return 0;
}

/* A mapping or sequence starts: open a frame. */
static int yl_push(yl_loader *l, const yaml_event_t *ev, int is_map)
{
    tu_srcpos pos = yl_pos(l, ev->start_mark);
    const char *what = is_map ? "mapping" : "sequence";
    const yaml_char_t *tag = is_map ? ev->data.mapping_start.tag
                                    : ev->data.sequence_start.tag;
    const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor
                                       : ev->data.sequence_start.anchor;
    yl_frame *f;
    int is_item;
    l->written_nodes++;
    if (yl_key_expected(l)) {
        tu_error_at(l->err, pos,
                    "a %s cannot be used as a key (keys must be scalars)",
                    what);
        return -1;
    }
    if (yl_check_container_tag(l, (const char *)tag, is_map, pos) < 0)
        return -1;
    if (l->depth == TU_YAML_MAX_DEPTH) {
        tu_error_at(l->err, pos, "nesting deeper than %d levels is not "
                    "supported", TU_YAML_MAX_DEPTH);
        return -1;
    }
    is_item = is_map && yl_in_item_list(l);
    f = &l->stack[l->depth++];
    memset(f, 0, sizeof *f);
    f->pos = pos;
    f->nodes = 1;
    f->is_item = is_item;
    if (is_item)
        l->item_n = 0;
    f->value = is_map ? json_object() : json_array();
    if (!f->value || (!is_item && tu_srcmap_set(l->map, f->value, pos) < 0))
        return yl_oom(l, pos);
    if (anchor && !(f->anchor = strdup((const char *)anchor)))
        return yl_oom(l, pos);
    return 0;
}

/* A mapping or sequence ends: close its frame, attach it to the parent. */
static int yl_pop(yl_loader *l)
{
    yl_frame *f = yl_top(l);
    json_t *value;
    tu_srcpos pos = f->pos;
    size_t nodes = f->nodes;
    int was_item = f->is_item;
    if (f->merges && yl_apply_merges(l, f) < 0)
        return -1;
    if (f->anchor && yl_anchor_put(&l->anchors, f->anchor, f->value, nodes))
        return yl_oom(l, pos);
    value = json_incref(f->value);
    yl_frame_release(f);
    l->depth--;
    return yl_attach(l, value, pos, nodes, was_item);
}

/* ---- keys --------------------------------------------------------------- */

static int yl_duplicate(yl_loader *l, const char *key, tu_srcpos first,
                        tu_srcpos pos)
{
    tu_error_at(l->err, pos, "duplicate key '%.200s' (first at line %u)", key,
                first.line);
    return -1;
}

/* Make `text` the waiting key of the mapping on top. */
/* `text` copied into the key buffer of the current nesting level. */
static char *yl_key_buffer(yl_loader *l, const char *text, size_t len)
{
    size_t level = l->depth - 1;
    if (len + 1 > l->key_cap[level]) {
        size_t cap = len + 1 < 64 ? 64 : len + 1;
        char *buf = realloc(l->key_buf[level], cap);
        if (!buf)
            return NULL;
        l->key_buf[level] = buf;
        l->key_cap[level] = cap;
    }
    memcpy(l->key_buf[level], text, len);
    l->key_buf[level][len] = '\0';
    return l->key_buf[level];
}

static int yl_take_key(yl_loader *l, const char *text, size_t len,
                       tu_srcpos pos)
{
    yl_frame *f = yl_top(l);
    if (memchr(text, '\0', len)) {
        tu_error_at(l->err, pos, "a key cannot contain a NUL character");
        return -1;
    }
    if (json_object_get(f->value, text))
        return yl_duplicate(l, text, yl_member_pos(l, f, text), pos);
    f->key = yl_key_buffer(l, text, len);
    if (!f->key)
        return yl_oom(l, pos);
    f->key_pos = pos;
    f->has_key = 1;
    return 0;
}

static int yl_take_merge_key(yl_loader *l, tu_srcpos pos)
{
    yl_frame *f = yl_top(l);
    if (f->merge_seen)
        return yl_duplicate(l, "<<", f->merge_pos, pos);
    f->merge_seen = 1;
    f->merge_pos = pos;
    f->has_key = 1;
    f->key_is_merge = 1;
    return 0;
}

/* A scalar in key position: used by its text. A tag on it is checked
 * (`!!int abc: 1` is as wrong as `x: !!int abc`) but does not change the
 * text. An anchor on it names the key as a string. */
static int yl_key(yl_loader *l, const yaml_event_t *ev, tu_srcpos pos)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *anchor = (const char *)ev->data.scalar.anchor;
    json_t *check;
    if (ev->data.scalar.tag) {
        check = yl_resolve(l, ev, pos);
        if (!check)
            return -1;
        json_decref(check);
    }
    if (!ev->data.scalar.tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
        && tu_yaml_word_is(text, len, "<<"))
        return yl_take_merge_key(l, pos);
    if (anchor) {
        check = yl_string(l, text, len, pos);
        if (!check)
            return -1;
        if (yl_anchor_put(&l->anchors, anchor, check, 1) < 0) {
            json_decref(check);
            return yl_oom(l, pos);
        }
        json_decref(check);
    }
    return yl_take_key(l, text, len, pos);
}

/* ---- events ------------------------------------------------------------- */

/* 1 when `ev` is the empty value left where the list read without
 * libyaml stood: the root mapping's key at the first column of its line
 * (yl_block_confirmed has checked that the root is a block mapping
 * and that this happens once). */
static int yl_is_block_value(const yl_loader *l, const yaml_event_t *ev)
{
    const yl_frame *root = &l->stack[0];
    return l->block && l->depth == 1 && json_is_object(root->value) &&
           root->has_key && root->key && !root->key_is_merge &&
           strcmp(root->key, l->items->key) == 0 &&
           root->key_pos.line == l->block->key_line &&
           root->key_pos.column == 1 &&
           ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           ev->data.scalar.length == 0 && !ev->data.scalar.tag &&
           !ev->data.scalar.anchor;
}

/* That list, left empty in the document as a handed-over list is (its
 * items are handed over after the parse), counted as the nodes it had. */
static int yl_block_list(yl_loader *l)
{
    tu_srcpos pos = l->block->first;
    json_t *list = json_array();

    pos.file = l->file;
    if (!list || tu_srcmap_set(l->map, list, pos) < 0) {
        json_decref(list);
        return yl_oom(l, pos);
    }
    l->written_nodes += l->block->nodes;
    return yl_attach(l, list, pos, 1 + l->block->nodes, 0);
}

static int yl_scalar(yl_loader *l, const yaml_event_t *ev)
{
    tu_srcpos pos = yl_pos(l, ev->start_mark);
    const char *anchor = (const char *)ev->data.scalar.anchor;
    json_t *value;
    l->written_nodes++;
    if (yl_key_expected(l))
        return yl_key(l, ev, pos);
    if (yl_is_block_value(l, ev))
        return yl_block_list(l);
    value = yl_resolve(l, ev, pos);
    if (!value)
        return -1;
    if (anchor && yl_anchor_put(&l->anchors, anchor, value, 1) < 0) {
        json_decref(value);
        return yl_oom(l, pos);
    }
    return yl_attach(l, value, pos, 1, 0);
}

/* Nodes that aliases may expand to: TU_YAML_MAX_ALIAS_NODES, or
 * TU_YAML_ALIAS_RATIO times the nodes written so far if that is more, so
 * that a large file using `<<: *defaults` on every record still loads
 * while a small file cannot expand exponentially. */
static size_t yl_alias_budget(const yl_loader *l)
{
    size_t scaled = l->written_nodes * TU_YAML_ALIAS_RATIO;
    return scaled > TU_YAML_MAX_ALIAS_NODES ? scaled : TU_YAML_MAX_ALIAS_NODES;
}

static int yl_alias(yl_loader *l, const yaml_event_t *ev)
{
    tu_srcpos pos = yl_pos(l, ev->start_mark);
    const char *name = (const char *)ev->data.alias.anchor;
    const yl_anchor *a = yl_anchor_get(&l->anchors, name);
    if (!a) {
        tu_error_at(l->err, pos, "unknown alias '*%.200s' (the anchor "
                    "'&%.200s' must come before its aliases)", name, name);
        return -1;
    }
    if (a->nodes > yl_alias_budget(l) - l->alias_nodes) {
        tu_error_at(l->err, pos, "aliases expand to more than %zu nodes; "
                    "refusing (billion-laughs protection)",
                    yl_alias_budget(l));
        return -1;
    }
    l->alias_nodes += a->nodes;
    if (!yl_key_expected(l))
        return yl_attach(l, json_incref(a->value), pos, a->nodes, 0);
    if (!json_is_string(a->value)) {
        tu_error_at(l->err, pos, "alias '*%.200s' is used as a key, so its "
                    "anchor must be on a string", name);
        return -1;
    }
    return yl_take_key(l, json_string_value(a->value),
                       json_string_length(a->value), pos);
}

static int yl_document(yl_loader *l, const yaml_event_t *ev)
{
    if (++l->documents > 1) {
        tu_error_at(l->err, yl_pos(l, ev->start_mark),
                    "only one YAML document per file is supported");
        return -1;
    }
    return 0;
}

static int yl_stream_end(yl_loader *l)
{
    tu_srcpos file = {l->file, 0, 0};
    if (l->documents)
        return 0;
    tu_error_at(l->err, file, "the file is empty: write a desired-state "
                "mapping (see docs/desired-state.md)");
    return -1;
}

static int yl_event(yl_loader *l, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        return yl_document(l, ev);
    case YAML_MAPPING_START_EVENT:
        return yl_push(l, ev, 1);
    case YAML_SEQUENCE_START_EVENT:
        return yl_push(l, ev, 0);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        return yl_pop(l);
    case YAML_SCALAR_EVENT:
        return yl_scalar(l, ev);
    case YAML_ALIAS_EVENT:
        return yl_alias(l, ev);
    case YAML_STREAM_END_EVENT:
        return yl_stream_end(l);
    default:
        return 0;
    }
}

/* ---- libyaml errors ----------------------------------------------------- */

/* Line and column (1-based, in characters) of a byte offset in the input;
 * libyaml gives reader errors as offsets only. */
static tu_srcpos yl_offset_pos(const yl_loader *l, size_t offset)
{
    tu_srcpos pos = {l->file, 1, 1};
    const unsigned char *s = l->input;
    size_t i = 0;
    if (offset > l->input_len)
        offset = l->input_len;
    if (offset >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        i = 3;  /* a byte order mark is not a column */
    for (; i < offset; i++) {
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == l->input_len ||
                                               s[i + 1] != '\n'))) {
            pos.line++;
            pos.column = 1;
        } else if ((s[i] & 0xC0) != 0x80) {
            pos.column++;
        }
    }
    pos.line = yl_line(l, pos.line);
    return pos;
}

static void yl_reader_error(yl_loader *l)
{
    const yaml_parser_t *p = &l->parser;
    const char *problem = p->problem ? p->problem : "cannot read the input";
    tu_srcpos pos = yl_offset_pos(l, p->problem_offset);
    int utf8 = p->encoding == YAML_UTF8_ENCODING &&
               (strstr(problem, "UTF-8") || strstr(problem, "Unicode"));
    if (utf8 && p->problem_value >= 0)
        tu_error_at(l->err, pos, "not valid UTF-8 (%s #x%X); save the file "
                    "as UTF-8", problem, (unsigned)p->problem_value);
    else if (utf8)
        tu_error_at(l->err, pos, "not valid UTF-8 (%s); save the file as "
                    "UTF-8", problem);
    else if (p->problem_value >= 0)
        tu_error_at(l->err, pos, "%s (#x%X)", problem,
                    (unsigned)p->problem_value);
    else
        tu_error_at(l->err, pos, "%s", problem);
}

static void yl_parser_error(yl_loader *l)
{
    const yaml_parser_t *p = &l->parser;
    const char *problem = p->problem ? p->problem : "syntax error";
    tu_srcpos pos = yl_pos(l, p->problem_mark);
    tu_srcpos file = {l->file, 0, 0};
    if (p->error == YAML_MEMORY_ERROR)
        yl_oom(l, file);
    else if (p->error == YAML_READER_ERROR)
        yl_reader_error(l);
    else if (p->context && p->context_mark.line != p->problem_mark.line)
        tu_error_at(l->err, pos, "%s (%s at line %u)", problem, p->context,
                    yl_line(l, (unsigned)p->context_mark.line + 1));
    else if (p->context)
        tu_error_at(l->err, pos, "%s (%s)", problem, p->context);
    else
        tu_error_at(l->err, pos, "%s", problem);
}

/* ---- running the parser ------------------------------------------------- */

/* Pull events until the stream ends or something is wrong. */
static json_t *yl_run(yl_loader *l)
{
    yaml_event_t ev;
    json_t *root;
    int rc = 0, done = 0;
    while (!rc && !done) {
        if (!yaml_parser_parse(&l->parser, &ev)) {
            yl_parser_error(l);
            return NULL;
        }
        rc = yl_event(l, &ev);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    if (rc)
        return NULL;
    root = l->root;
    l->root = NULL;
    return root;
}

static void yl_loader_free(yl_loader *l)
{
    while (l->depth)
        yl_frame_release(&l->stack[--l->depth]);
    yl_anchors_free(&l->anchors);
    free(l->item_at);
    for (size_t i = 0; i < TU_YAML_MAX_DEPTH; i++)
        free(l->key_buf[i]);
    json_decref(l->root);
    yaml_parser_delete(&l->parser);
    if (l->c_locale)
        freelocale(l->c_locale);
    free(l);
}

static int yl_too_large(const char *name, tu_error *err)
{
    tu_error_set(err, TU_ERR_BAD_INPUT,
                 "%s: the file is larger than the limit of %u bytes "
                 "(%u MiB)", name, TU_YAML_MAX_BYTES,
                 TU_YAML_MAX_BYTES / (1024u * 1024u));
    return -1;
}

/* Parse `len` bytes at `input`, positions recorded in `map` (which may be
 * NULL: a private map then serves for the messages); `block`: a list
 * taken out of the input (NULL: none). */
static json_t *yl_parse(const unsigned char *input, size_t len,
                        const char *name, tu_srcmap *map,
                        const tu_yaml_items *items,
                        const tu_yaml_block *block, tu_error *err)
{
    tu_srcmap *own = NULL;
    yl_loader *l;
    json_t *root = NULL;
    if (!map && !(map = own = tu_srcmap_new()))
        goto oom;
    l = calloc(1, sizeof *l);
    if (!l)
        goto oom;
    l->input = input;
    l->input_len = len;
    l->map = map;
    l->items = items;
    l->block = block;
    l->err = err;
    l->file = tu_srcmap_file(map, name);
    if (!l->file || !yaml_parser_initialize(&l->parser)) {
        free(l);
        goto oom;
    }
    yaml_parser_set_input_string(&l->parser, input, len);
    root = yl_run(l);
    yl_loader_free(l);
    tu_srcmap_free(own);
    return root;
oom:
    tu_srcmap_free(own);
    tu_error_set(err, TU_ERR_NOMEM, "%s: out of memory", name);
    return NULL;
}

/* The input without the block's lines (*len set), or NULL when out of
 * memory. */
static unsigned char *yl_without(const unsigned char *input, size_t *len,
                                 const tu_yaml_block *b)
{
    size_t rest = *len - b->end;
    unsigned char *out = malloc(b->start + rest + 1);

    if (out) {
        memcpy(out, input, b->start);
        memcpy(out + b->start, input + b->end, rest);
        *len = b->start + rest;
    }
    return out;
}

/* Where the confirmation stands, event by event. */
typedef struct yl_confirm {
    const char *key;
    unsigned key_line;
    size_t depth;       /* containers open */
    size_t done;        /* nodes done in the root mapping */
    int want_value;     /* the key was just read: its value is next */
    int found;          /* times the empty value was found */
} yl_confirm;

/* One event; 0, or -1 when the text is not as the block needs it. */
static int yl_confirm_event(yl_confirm *c, const yaml_event_t *ev)
{
    size_t n = strlen(c->key);

    if (ev->type == YAML_MAPPING_START_EVENT ||
        ev->type == YAML_SEQUENCE_START_EVENT) {
        if ((c->depth == 0 &&
             (ev->type != YAML_MAPPING_START_EVENT ||
              ev->data.mapping_start.style != YAML_BLOCK_MAPPING_STYLE)) ||
            (c->depth == 1 && c->want_value))
            return -1;
        c->depth++;
    } else if (ev->type == YAML_MAPPING_END_EVENT ||
               ev->type == YAML_SEQUENCE_END_EVENT) {
        c->done += --c->depth == 1;
    } else if (c->depth == 1 && (ev->type == YAML_SCALAR_EVENT ||
                                 ev->type == YAML_ALIAS_EVENT)) {
        int scalar = ev->type == YAML_SCALAR_EVENT, plain = scalar &&
            ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            !ev->data.scalar.tag && !ev->data.scalar.anchor;
        if (c->want_value && !(plain && ev->data.scalar.length == 0))
            return -1;
        c->found += c->want_value;
        c->want_value = c->done % 2 == 0 && plain &&
                        ev->data.scalar.length == n &&
                        memcmp(ev->data.scalar.value, c->key, n) == 0 &&
                        ev->start_mark.line + 1 == c->key_line &&
                        ev->start_mark.column == 0;
        c->done++;
    }
    return 0;
}

/* 1 when libyaml reads `text` (the file without the block's lines) as a
 * block mapping at the root whose key `key`, at the first column of line
 * `key_line`, has an empty plain value, once: the list taken out stood
 * there, and the file read whole means what the two parts mean. 0
 * otherwise (libyaml then reads the whole file, and says what is wrong,
 * if anything). */
static int yl_block_confirmed(const unsigned char *text, size_t len,
                              const char *key, unsigned key_line)
{
    yl_confirm c = {key, key_line, 0, 0, 0, 0};
    yaml_parser_t p;
    yaml_event_t ev;
    int ok = 1, done = 0;

    if (!yaml_parser_initialize(&p))
        return 0;
    yaml_parser_set_input_string(&p, text, len);
    while (ok && !done) {
        if (!yaml_parser_parse(&p, &ev))
            break;
        ok = yl_confirm_event(&c, &ev) == 0;
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return ok && done && c.found == 1 && !c.want_value;
}

/* Parse the file, its items list packed without libyaml when it is of
 * the common shape (yaml_records.h): the list's items are handed over as
 * they are read, then libyaml reads the rest; the items are taken back
 * when the rest is not as the text made it seem, or fails. */
static json_t *yl_load(const unsigned char *input, size_t len,
                       const char *name, tu_srcmap *map,
                       const tu_yaml_items *items, tu_error *err)
{
    tu_yaml_block b;
    unsigned char *rest = NULL;
    size_t rest_len = len;
    const char *file;
    json_t *root;

    if (!items || !items->store || !items->drop || !map)
        return yl_parse(input, len, name, map, items, NULL, err);
    if (!(file = tu_srcmap_file(map, name)))
        goto oom;
    switch (tu_yaml_block_take((const char *)input, len, map, file, items,
                               &b, err)) {
    case 0:
        return yl_parse(input, len, name, map, items, NULL, err);
    case -1:
        return NULL;
    }
    if (!(rest = yl_without(input, &rest_len, &b)))
        goto drop;
    if (!yl_block_confirmed(rest, rest_len, items->key, b.key_line)) {
        free(rest);
        tu_yaml_block_drop(&b, map, items);
        return yl_parse(input, len, name, map, items, NULL, err);
    }
    if (!(root = yl_parse(rest, rest_len, name, map, items, &b, err)))
        tu_yaml_block_drop(&b, map, items);
    free(rest);
    return root;
drop:
    tu_yaml_block_drop(&b, map, items);
oom:
    tu_error_set(err, TU_ERR_NOMEM, "%s: out of memory", name);
    return NULL;
}

/* ---- files -------------------------------------------------------------- */

static int yl_read_error(const char *path, int errnum, tu_error *err)
{
    char buf[256];
    if (strerror_r(errnum, buf, sizeof buf) != 0)
        buf[0] = '\0';
    tu_error_set(err, TU_ERR_IO, "%s: cannot read: %s", path, buf);
    return -1;
}

/* Read all of `fd` into `b` (its memory reused: b->len is the file's
 * size, its bytes at b->data), refusing more than TU_YAML_MAX_BYTES.
 * `hint` is the expected size (0: unknown). */
static int yl_read_fd(int fd, const char *path, size_t hint, tu_buffer *b,
                      tu_error *err)
{
    size_t room;
    ssize_t r;

    tu_buffer_truncate(b, 0);
    /* a byte more than the file: the read that sees its end has room */
    if (tu_buffer_reserve(b, hint ? hint + 1 : YL_READ_CHUNK) != 0)
        goto oom;
    for (;;) {
        if (b->len + 1 == b->cap &&
            tu_buffer_reserve(b, b->len > TU_YAML_MAX_BYTES / 2
                                     ? (size_t)TU_YAML_MAX_BYTES + 1 - b->len
                                     : b->len) != 0)
            goto oom;
        room = b->cap - 1 - b->len;
        r = read(fd, b->data + b->len, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return yl_read_error(path, errno, err);
        b->len += (size_t)r;
        if (b->len > TU_YAML_MAX_BYTES)
            return yl_too_large(path, err);
        if (r == 0)
            return 0;
    }
oom:
    tu_error_set(err, TU_ERR_NOMEM, "%s: out of memory", path);
    return -1;
}

/* Open `path` as a file to read (not a directory, not too large): its
 * descriptor and *size (0: not a regular file), or -1 with err set. */
static int yl_open(const char *path, size_t *size, tu_error *err)
{
    struct stat st;
    int errnum, fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return yl_read_error(path, errno, err);
    if (fstat(fd, &st) < 0) {
        errnum = errno;
        close(fd);
        return yl_read_error(path, errnum, err);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        tu_error_set(err, TU_ERR_IO, "%s: is a directory, not a file", path);
        return -1;
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > TU_YAML_MAX_BYTES) {
        close(fd);
        return yl_too_large(path, err);
    }
    *size = S_ISREG(st.st_mode) ? (size_t)st.st_size : 0;
    return fd;
}

int tu_file_read_into(const char *path, tu_buffer *b, tu_error *err)
{
    size_t size;
    int rc, fd = yl_open(path, &size, err);

    if (fd < 0)
        return -1;
    rc = yl_read_fd(fd, path, size, b, err);
    close(fd);
    return rc;
}

int tu_file_read(const char *path, unsigned char **out, size_t *out_len,
                 tu_error *err)
{
    tu_buffer b = TU_BUFFER_INIT;

    if (tu_file_read_into(path, &b, err) != 0) {
        tu_buffer_free(&b);
        return -1;
    }
    *out = (unsigned char *)b.data;
    *out_len = b.len;
    return 0;
}

/* ---- single scalars ------------------------------------------------------ */

json_t *tu_yaml_scalar(const char *text, size_t len, const char *name,
                       tu_error *err)
{
    yl_loader l;
    tu_srcpos pos = {name, 0, 0};
    json_t *value;
    char *copy;

    memset(&l, 0, sizeof l);
    l.err = err;
    if (memchr(text, '\0', len)) {
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "%s: a value cannot contain a NUL character", name);
        return NULL;
    }
    /* the resolver's number parsing and messages read a terminated string */
    copy = strndup(text, len);
    if (!copy) {
        tu_error_set(err, TU_ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    value = yl_resolve_plain(&l, copy, len, pos);
    free(copy);
    if (l.c_locale)
        freelocale(l.c_locale);
    return value;
}

/* ---- the API ------------------------------------------------------------ */

json_t *tu_yaml_load_file(const char *path, tu_srcmap *map, tu_error *err)
{
    return tu_yaml_load_file_items(path, map, NULL, err);
}

json_t *tu_yaml_load_file_items(const char *path, tu_srcmap *map,
                                const tu_yaml_items *items, tu_error *err)
{
    tu_buffer text = TU_BUFFER_INIT;
    json_t *root = tu_yaml_load_file_text(path, map, items, &text, err);

    tu_buffer_free(&text);
    return root;
}

json_t *tu_yaml_load_file_text(const char *path, tu_srcmap *map,
                               const tu_yaml_items *items, tu_buffer *text,
                               tu_error *err)
{
    if (!path) {
        tu_error_set(err, TU_ERR_BAD_INPUT, "no file name given");
        return NULL;
    }
    if (tu_file_read_into(path, text, err) < 0)
        return NULL;
    return yl_load((const unsigned char *)text->data, text->len, path, map,
                   items, err);
}

json_t *tu_yaml_load_string(const char *text, size_t len, const char *name,
                            tu_srcmap *map, tu_error *err)
{
    return tu_yaml_load_string_items(text, len, name, map, NULL, err);
}

json_t *tu_yaml_load_string_items(const char *text, size_t len,
                                  const char *name, tu_srcmap *map,
                                  const tu_yaml_items *items, tu_error *err)
{
    if (!name)
        name = "<string>";
    if (!text)
        len = 0;
    if (len > TU_YAML_MAX_BYTES) {
        yl_too_large(name, err);
        return NULL;
    }
    return yl_load((const unsigned char *)(text ? text : ""), len, name, map,
                   items, err);
}
