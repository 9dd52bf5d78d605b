/* yaml_records.c -- a records list of the common shape, read without
 * libyaml (see yaml_records.h).
 *
 * The 1M-record plan spent 2.3 s loading its YAML: libyaml's scanner a
 * third of it, and a jansson object built and freed for every item most
 * of the rest. This reads the list of the common shape straight into
 * packed records. The subset, line by line after "key:" (spaces and a
 * comment may follow the colon):
 *
 *   - an item: the same indentation each time, "-", spaces, and either a
 *     flow mapping on the one line, or the first member "key: value" of
 *     a block mapping whose other members follow one a line, each at the
 *     first key's column; then spaces and a comment if any;
 *   - a blank line, or a comment line;
 *   - a line at the first column that is neither ends the list.
 *
 * In a flow mapping: at least one member "key: value", separated by
 * commas; spaces around them. In either: no key twice; at most
 * MAX_FIELDS members.
 *   - a key: [A-Za-z0-9_] then [A-Za-z0-9_.-], shorter than MAX_KEY,
 *     followed by ": ";
 *   - a value: a plain scalar of printable ASCII without the characters
 *     that YAML gives a meaning (`,[]{}#:"'&*!|>%@\?` and the backquote;
 *     a ':' inside it followed by a character that is none of those nor a
 *     space, as in 2001:db8::1 or http://host/, is taken), not starting
 *     with "-" before a space, typed by the core schema
 *     (yaml_schema.c) as a string, an integer in range, null or a
 *     boolean; or a quoted one of printable ASCII without escapes; or a
 *     flow sequence of such scalars (PowerDNS's `records: [192.0.2.1]`),
 *     which becomes a jansson array placed in the source map, as the
 *     loader makes it.
 *
 * No tabs, no carriage return but before a newline (CRLF files are
 * read), nothing outside printable ASCII, even in comments. Whatever is
 * outside the subset leaves the file to libyaml (which says what is
 * wrong, if anything): so the subset must read exactly as libyaml and
 * the loader read it, and fuzz_yaml_records holds it to that.
 *
 * One pass: each item is packed and handed over as soon as it is read
 * (take_items). A line outside the subset after that takes back what was
 * handed over and rewinds the store (tu_yaml_block_drop): a file that
 * leaves the subset late costs the part read twice, as every file of the
 * subset did when a first pass checked the whole list before a second
 * packed it (the two passes' reading was 47% of a 100,000-record load's
 * instructions; one pass took the load from 729 M to 512 M).
 */
#include "yaml_records.h"
#include "yaml_schema.h"

#include <string.h>

#define MAX_FIELDS 64
#define MAX_KEY 256

/* A value as read: a scalar, or a flow sequence of scalars. */
#define SEQUENCE (-1)

/* A scalar as read (or a sequence: its text from '[' to ']'). */
typedef struct scalar {
    const char *text;         /* in the input */
    size_t len;
    int type;                 /* TU_YAML_PLAIN_* (quoted ones are STR), or
                                 SEQUENCE */
    json_int_t i;
    unsigned column;          /* a sequence's '[', 1-based */
} scalar;

/* One member of an item as read. */
typedef struct member {
    const char *key;          /* in the input */
    size_t key_len;
    unsigned line, column;    /* the key's, 1-based */
    scalar v;
} member;

/* One item as read: a flow mapping on one line, or a block mapping of one
 * member a line. */
typedef struct item {
    member m[MAX_FIELDS];
    size_t n;
    size_t nodes;             /* YAML nodes: the mapping, keys, values */
    unsigned line, column;    /* where the mapping starts: its '{', or its
                                 first key */
} item;

/* A line: [p, end) without its newline. */
typedef struct line {
    const char *start, *p, *end;
} line;

/* What a byte may be, looked up in one table: the reader's loops test a
 * bit a byte (a switch of indicators was 8% of a 100,000-record load's
 * instructions). */
enum {
    C_PLAIN = 1,       /* in a plain scalar: printable ASCII but the
                          characters YAML gives a meaning,
                          ,[]{}#:"'&*!|>%@\? and the backquote */
    C_SPACE = 2,       /* ' ' */
    C_COLON_IN = 4,    /* after a ':' inside a plain scalar of a flow
                          collection, makes it part of it: not a space,
                          not a flow indicator, not '?' (libyaml refuses
                          the last two: "found unexpected ':'"); IPv6
                          addresses and URLs are written so */
    C_KEY = 8,         /* in a key: [A-Za-z0-9_.-] */
    C_KEY_START = 16   /* a key's first: [A-Za-z0-9_] */
};

#define C_PRINT(c) ((c) > 0x20 && (c) < 0x7F)
#define C_ALNUM(c) (((c) >= '0' && (c) <= '9') || \
                    ((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define C_FLOW(c) ((c) == ',' || (c) == '[' || (c) == ']' || (c) == '{' || \
                   (c) == '}')
#define C_INDICATOR(c) (C_FLOW(c) || (c) == '#' || (c) == ':' || \
    (c) == '"' || (c) == '\'' || (c) == '&' || (c) == '*' || (c) == '!' || \
    (c) == '|' || (c) == '>' || (c) == '%' || (c) == '@' || (c) == '`' || \
    (c) == '\\' || (c) == '?')
#define C_OF(c) \
    ((C_PRINT(c) && !C_INDICATOR(c) ? C_PLAIN : 0) | \
     ((c) == ' ' ? C_SPACE : 0) | \
     (C_PRINT(c) && !C_FLOW(c) && (c) != '?' ? C_COLON_IN : 0) | \
     (C_ALNUM(c) || (c) == '_' || (c) == '-' || (c) == '.' ? C_KEY : 0) | \
     (C_ALNUM(c) || (c) == '_' ? C_KEY_START : 0))
#define C_4(c) C_OF(c), C_OF((c) + 1), C_OF((c) + 2), C_OF((c) + 3)
#define C_16(c) C_4(c), C_4((c) + 4), C_4((c) + 8), C_4((c) + 12)
#define C_64(c) C_16(c), C_16((c) + 16), C_16((c) + 32), C_16((c) + 48)

static const unsigned char char_class[256] = {
    C_64(0), C_64(64), C_64(128), C_64(192)
};

static int is(unsigned char c, int class)
{
    return char_class[c] & class;
}

static void skip_spaces(line *l)
{
    while (l->p < l->end && *l->p == ' ')
        l->p++;
}

static unsigned column(const line *l)
{
    return (unsigned)(l->p - l->start) + 1;
}

/* A comment from l->p to the end of the line: printable ASCII. */
static int comment_ok(const line *l)
{
    for (const char *c = l->p; c < l->end; c++)
        if (*c != '\t' && (*c < 0x20 || *c > 0x7E))
            return 0;
    return 1;
}

/* What may end a line after its content: spaces, then nothing or a
 * comment (a '#' after at least one space). */
static int tail_ok(line *l)
{
    skip_spaces(l);
    if (l->p == l->end)
        return 1;
    return *l->p == '#' && l->p > l->start && l->p[-1] == ' ' &&
           comment_ok(l);
}

static int read_key(line *l, member *m)
{
    m->key = l->p;
    m->column = column(l);
    if (l->p >= l->end || !is((unsigned char)*l->p, C_KEY_START))
        return -1;
    while (l->p < l->end && is((unsigned char)*l->p, C_KEY))
        l->p++;
    m->key_len = (size_t)(l->p - m->key);
    if (m->key_len >= MAX_KEY || l->end - l->p < 2 || l->p[0] != ':' ||
        l->p[1] != ' ')
        return -1;
    l->p += 2;
    return 0;
}

static int read_quoted(line *l, scalar *m)
{
    char quote = *l->p++;

    m->text = l->p;
    while (l->p < l->end && *l->p != quote) {
        if (*l->p < 0x20 || *l->p > 0x7E || *l->p == '\\')
            return -1;
        l->p++;
    }
    if (l->p >= l->end)
        return -1;
    m->len = (size_t)(l->p++ - m->text);
    m->type = TU_YAML_PLAIN_STR;
    return 0;
}

/* A plain scalar: a run of plain characters and spaces, its trailing
 * spaces not part of it, typed by the core schema. */
static int read_plain(line *l, scalar *m)
{
    const char *last;

    m->text = l->p;
    if (*l->p == '-' &&
        (l->p + 1 >= l->end || !is((unsigned char)l->p[1], C_PLAIN)))
        return -1;
    for (;;) {
        while (l->p < l->end && is((unsigned char)*l->p, C_PLAIN | C_SPACE))
            l->p++;
        if (l->end - l->p < 2 || *l->p != ':' ||
            !is((unsigned char)l->p[1], C_COLON_IN))
            break;
        l->p++;                   /* a ':' inside, as in 2001:db8::1 */
    }
    for (last = l->p; last > m->text && last[-1] == ' '; last--)
        ;
    m->len = (size_t)(last - m->text);
    if (!m->len)
        return -1;
    m->type = tu_yaml_plain_type(m->text, m->len, &m->i);
    return m->type == TU_YAML_PLAIN_STR || m->type == TU_YAML_PLAIN_INT ||
                   m->type == TU_YAML_PLAIN_NULL ||
                   m->type == TU_YAML_PLAIN_TRUE ||
                   m->type == TU_YAML_PLAIN_FALSE
               ? 0
               : -1;
}

static int read_scalar(line *l, scalar *m)
{
    if (l->p >= l->end)
        return -1;
    if (*l->p == '"' || *l->p == '\'')
        return read_quoted(l, m);
    if (!is((unsigned char)*l->p, C_PLAIN))
        return -1;
    return read_plain(l, m);
}

/* The next scalar of the sequence whose '[' or ',' l->p has just passed,
 * into *m, and what follows it: 1 when a ',' (more to come), 2 when the
 * ']'; 0 at the ']' of an empty sequence; l->p past the ',' or ']'. -1
 * when outside the subset. `first`: nothing read yet ("[]" is empty). */
static int next_element(line *l, scalar *m, int first)
{
    skip_spaces(l);
    if (first && l->p < l->end && *l->p == ']') {
        l->p++;
        return 0;
    }
    if (read_scalar(l, m) != 0)
        return -1;
    skip_spaces(l);
    if (l->p < l->end && (*l->p == ',' || *l->p == ']'))
        return *l->p++ == ',' ? 1 : 2;
    return -1;
}

/* A flow sequence of scalars at l->p ('['), its nodes added to *nodes. */
static int read_sequence(line *l, scalar *m, size_t *nodes)
{
    scalar e;
    int rc = 1;

    m->text = l->p;
    m->column = column(l);
    m->type = SEQUENCE;
    l->p++;
    for (int first = 1; rc == 1; first = 0) {
        if ((rc = next_element(l, &e, first)) < 0)
            return -1;
        *nodes += rc > 0;
    }
    m->len = (size_t)(l->p - m->text);
    return 0;
}

static int read_value(line *l, scalar *m, size_t *nodes)
{
    (*nodes)++;
    if (l->p < l->end && *l->p == '[')
        return read_sequence(l, m, nodes);
    return read_scalar(l, m);
}

static int key_seen(const item *it, const member *m)
{
    for (size_t i = 0; i < it->n; i++)
        if (it->m[i].key_len == m->key_len &&
            memcmp(it->m[i].key, m->key, m->key_len) == 0)
            return 1;
    return 0;
}

/* One member "key: value" at l->p (line `lineno`) into it->m[it->n]. 0,
 * or -1 when outside the subset (a key twice too). */
static int read_member(line *l, item *it, unsigned lineno)
{
    member *m = &it->m[it->n];

    if (it->n == MAX_FIELDS || read_key(l, m) != 0)
        return -1;
    m->line = lineno;
    it->nodes++;
    skip_spaces(l);
    if (read_value(l, &m->v, &it->nodes) != 0 || key_seen(it, m))
        return -1;
    it->n++;
    return 0;
}

/* The flow mapping at l->p ('{') into `it`. 0, or -1 when outside the
 * subset. */
static int read_mapping(line *l, item *it, unsigned lineno)
{
    l->p++;
    for (;;) {
        skip_spaces(l);
        if (read_member(l, it, lineno) != 0)
            return -1;
        skip_spaces(l);
        if (l->p < l->end && *l->p == '}')
            break;
        if (l->p >= l->end || *l->p != ',')
            return -1;
        l->p++;
    }
    l->p++;
    return tail_ok(l) ? 0 : -1;
}

enum { LINE_BLANK, LINE_FLOW, LINE_BLOCK, LINE_END, LINE_OTHER };

/* What the line is, *indent set; for the start of an item ("- {...}", or
 * "- key: value" and more members on the lines after), `it` begun (its
 * indent must be `want` when that is not SIZE_MAX). A line at the first
 * column that ends the list starts with a printable character: anything
 * else there (a tab, a control or non-ASCII byte) is left to libyaml. */
static int classify(line *l, size_t want, size_t *indent, item *it,
                    unsigned lineno)
{
    skip_spaces(l);
    *indent = (size_t)(l->p - l->start);
    if (l->p == l->end)
        return LINE_BLANK;
    if (*l->p == '#')
        return comment_ok(l) ? LINE_BLANK : LINE_OTHER;
    if (*indent == 0 && *l->p != '-')
        return *l->p > 0x20 && *l->p < 0x7F ? LINE_END : LINE_OTHER;
    if (*l->p != '-' || (want != SIZE_MAX && *indent != want))
        return LINE_OTHER;
    l->p++;
    if (l->p >= l->end || *l->p != ' ')
        return LINE_OTHER;
    skip_spaces(l);
    it->n = 0;
    it->nodes = 1;
    it->line = lineno;
    it->column = column(l);
    if (l->p < l->end && *l->p == '{')
        return read_mapping(l, it, lineno) == 0 ? LINE_FLOW : LINE_OTHER;
    return read_member(l, it, lineno) == 0 && tail_ok(l) ? LINE_BLOCK
                                                         : LINE_OTHER;
}

/* The line starting at p: *l set (without its "\n" or "\r\n", one line
 * break to libyaml as to us; a '\r' anywhere else stays in the line,
 * where nothing of the subset takes it), the start of the next line
 * returned (end when none). */
static const char *next_line(const char *p, const char *end, line *l)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));

    l->start = l->p = p;
    l->end = !nl ? end : nl > p && nl[-1] == '\r' ? nl - 1 : nl;
    return nl ? nl + 1 : end;
}

/* Where the list is being read. */
typedef struct reader {
    const char *p, *end;      /* the lines left */
    unsigned lineno;          /* the line at p */
    size_t want;              /* the items' indent; SIZE_MAX before the
                                 first */
    unsigned newlines;        /* '\n' in the lines read */
} reader;

/* The line at r->p into *l, and its end (the next line's start). */
static const char *peek(const reader *r, line *l)
{
    return next_line(r->p, r->end, l);
}

static void advance(reader *r, const char *next)
{
    r->newlines += next > r->p && next[-1] == '\n';
    r->p = next;
    r->lineno++;
}

/* The members of a block item after its first, one a line at the first
 * member's column, blank lines and comments between; r->p left at the
 * first line that is none of those. 0, or -1 when outside the subset. */
static int block_members(reader *r, item *it)
{
    size_t at = it->column - 1;
    const char *next;
    line l;

    while (r->p < r->end) {
        next = peek(r, &l);
        skip_spaces(&l);
        if (l.p < l.end && *l.p != '#') {
            if ((size_t)(l.p - l.start) != at || *l.p == '-')
                return 0;
            if (read_member(&l, it, r->lineno) != 0 || !tail_ok(&l))
                return -1;
        } else if (l.p < l.end && !comment_ok(&l)) {
            return -1;
        }
        advance(r, next);
    }
    return 0;
}

/* The next item of the list into `it`: 1; 0 at its end (r->p at the line
 * that ends it, or the text's end); -1 when outside the subset. */
static int next_item(reader *r, item *it)
{
    size_t indent;
    const char *next;
    line l;
    int kind;

    while (r->p < r->end) {
        next = peek(r, &l);
        kind = classify(&l, r->want, &indent, it, r->lineno);
        if (kind == LINE_END || kind == LINE_OTHER)
            return kind == LINE_END ? 0 : -1;
        advance(r, next);
        if (kind == LINE_BLANK)
            continue;
        r->want = indent;
        return kind == LINE_BLOCK && block_members(r, it) != 0 ? -1 : 1;
    }
    return 0;
}

/* The line after "key:" at the first column (and *key_line its line), or
 * NULL when there is none or its line is not of the subset. */
static const char *key_line(const char *text, const char *end,
                            const char *key, unsigned *lineno)
{
    size_t n = strlen(key);
    const char *p = text;
    line l;

    *lineno = 1;
    while (p < end) {
        const char *next = next_line(p, end, &l);
        if ((size_t)(l.end - l.p) > n && memcmp(l.p, key, n) == 0 &&
            l.p[n] == ':') {
            l.p += n + 1;
            return l.end < end && tail_ok(&l) ? next : NULL;
        }
        (*lineno)++;
        p = next;
    }
    return NULL;
}

/* A scalar as a jansson value (NULL when out of memory). */
static json_t *scalar_json(const scalar *m)
{
    return tu_yaml_plain_json(m->type, m->text, m->len, m->i);
}

/* A sequence read before as a jansson array, placed in `map` as the
 * loader places a sequence (at its '['); NULL when out of memory. */
static json_t *sequence_json(const scalar *m, tu_srcpos at, tu_srcmap *map)
{
    line l = {m->text, m->text + 1, m->text + m->len};
    json_t *array = json_array();
    scalar e;
    int rc = 1;

    at.column = m->column;
    if (!array || tu_srcmap_set(map, array, at) < 0)
        goto fail;
    for (int first = 1; rc == 1; first = 0)
        if ((rc = next_element(&l, &e, first)) > 0 &&
            json_array_append_new(array, scalar_json(&e)) != 0)
            goto fail;
    return array;
fail:
    tu_srcmap_forget(map, array);
    json_decref(array);
    return NULL;
}

/* One member's value into f (its name interned; a sequence placed on
 * line `at`). 0 or -1. */
static int pack_value(tu_pack_store *s, tu_pfield *f, const char *name,
                      const scalar *m, tu_srcpos at, tu_srcmap *map)
{
    json_t *v;
    int rc;

    memset(f, 0, sizeof *f);
    if (m->type == TU_YAML_PLAIN_STR) {
        f->tag = tu_pfield_tag(name, TU_PV_STR);
        return (f->u.s = tu_pack_string(s, m->text, m->len)) ? 0 : -1;
    }
    if (m->type == TU_YAML_PLAIN_INT) {
        f->tag = tu_pfield_tag(name, TU_PV_INT);
        f->u.i = m->i;
        return 0;
    }
    /* null and the booleans (jansson's singletons) and a sequence: as
     * tu_pack packs them */
    v = m->type == SEQUENCE ? sequence_json(m, at, map) : scalar_json(m);
    if (!v)
        return -1;
    rc = tu_pack_value(s, f, name, v);
    json_decref(v);
    return rc;
}

/* The item read into `it` (at `at`) packed into `s`; NULL when out of
 * memory. */
static tu_packed *pack_item(tu_pack_store *s, const item *it, tu_srcpos at,
                            tu_srcmap *map)
{
    tu_pfield f[MAX_FIELDS];

    for (size_t i = 0; i < it->n; i++) {
        const member *m = &it->m[i];
        const char *name = tu_pack_internn(s, m->key, m->key_len, i);
        at.line = m->line;
        if (!name || pack_value(s, &f[i], name, &m->v, at, map) != 0)
            return NULL;
    }
    return tu_pack_fields(s, f, it->n);
}

/* Hand the item read into `it` (standing at `pos`, packed as `packed`)
 * over. 0 or -1. */
static int hand_over(const item *it, const tu_packed *packed, tu_srcpos pos,
                     size_t index, const tu_yaml_items *items)
{
    uint32_t at[2 * MAX_FIELDS];
    tu_yaml_item out;

    memset(&out, 0, sizeof out);
    for (size_t i = 0; i < it->n; i++) {
        at[2 * i] = it->m[i].line;
        at[2 * i + 1] = it->m[i].column;
    }
    out.packed = packed;
    out.pos = pos;
    out.index = index;
    out.members = at;
    out.nmembers = it->n;
    return items->each(&out, items->data);
}

void tu_yaml_block_drop(const tu_yaml_block *b, tu_srcmap *map,
                        const tu_yaml_items *items)
{
    tu_pack_store *s = items->store;

    if (b->items)
        items->drop(items->data);
    for (size_t i = b->mark.nrefs; i < s->nrefs; i++)
        tu_srcmap_forget(map, s->refs[i]);   /* sequences placed */
    tu_pack_store_rewind(s, &b->mark);
}

/* Read the items after the key's line and hand each over as it is read
 * (b->items counts those handed over: each was called, whatever it
 * returned): 1 when the list is all of the subset, 0 when not, -1 when
 * out of memory (*err_at where). */
static int take_items(reader *r, tu_yaml_block *b, tu_srcmap *map,
                      const char *file, const tu_yaml_items *items,
                      tu_srcpos *err_at)
{
    const tu_packed *packed;
    item it;
    int rc;

    while ((rc = next_item(r, &it)) == 1) {
        tu_srcpos pos = {file, it.line, it.column};
        if (!b->items) {
            b->first.line = it.line;
            b->first.column = (unsigned)r->want + 1;
        }
        packed = pack_item(items->store, &it, pos, map);
        if (!packed || hand_over(&it, packed, pos, b->items++, items)) {
            *err_at = pos;
            return -1;
        }
        b->nodes += it.nodes;
    }
    return rc == 0 && b->items > 0;
}

int tu_yaml_block_take(const char *text, size_t len, tu_srcmap *map,
                       const char *file, const tu_yaml_items *items,
                       tu_yaml_block *b, tu_error *err)
{
    const char *end = text + len, *p;
    tu_srcpos at = {file, 0, 0};
    reader r;
    int rc;

    memset(b, 0, sizeof *b);
    if (!(p = key_line(text, end, items->key, &b->key_line)) || p >= end)
        return 0;
    tu_pack_store_save(items->store, &b->mark);
    r = (reader){p, end, b->key_line + 1, SIZE_MAX, 0};
    rc = take_items(&r, b, map, file, items, &at);
    b->start = (size_t)(p - text);
    b->end = (size_t)(r.p - text);
    b->newlines = r.newlines;
    if (rc == 1)
        return 1;
    tu_yaml_block_drop(b, map, items);
    if (rc == 0)
        return 0;
    tu_error_at(err, at, "out of memory");
    if (err)
        err->code = TU_ERR_NOMEM;
    return -1;
}
