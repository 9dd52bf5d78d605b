/* yaml_records.c -- a records list of the common shape, read without
 * libyaml (see yaml_records.h).
 *
 * The 1M-record plan spent 2.3 s loading its YAML: libyaml's scanner a
 * third of it, and a jansson object built and freed for every item most
 * of the rest. This reads the list of the common shape straight into
 * packed records. The subset, line by line after "key:" (spaces and a
 * comment may follow the colon):
 *
 *   - an item: the same indentation each time, "-", spaces, and a flow
 *     mapping on the one line, then spaces and a comment if any;
 *   - a blank line, or a comment line;
 *   - a line at the first column that is neither ends the list.
 *
 * In a flow mapping: at least one member "key: value", separated by
 * commas; spaces around them; no key twice; at most MAX_FIELDS members.
 *   - a key: [A-Za-z0-9_] then [A-Za-z0-9_.-], shorter than MAX_KEY,
 *     followed by ": ";
 *   - a value: a plain scalar of printable ASCII without the characters
 *     that YAML gives a meaning (`,[]{}#:"'&*!|>%@\?` and the backquote),
 *     not starting with "-" before a space, typed by the core schema
 *     (yaml_schema.c) as a string, an integer in range, null or a
 *     boolean; or a quoted one of printable ASCII without escapes.
 *
 * No tabs, no carriage returns, nothing outside printable ASCII, even in
 * comments. Whatever is outside the subset leaves the file to libyaml
 * (which says what is wrong, if anything): so the subset must read
 * exactly as libyaml and the loader read it, and fuzz_yaml_records holds
 * it to that. The same line reader serves both passes: the check that
 * finds the list, and the read that packs it.
 */
#include "yaml_records.h"
#include "yaml_schema.h"

#include <string.h>

#define MAX_FIELDS 64
#define MAX_KEY 256

/* One member of an item as read. */
typedef struct member {
    const char *key, *text;   /* in the input */
    size_t key_len, text_len;
    unsigned column;          /* the key's, 1-based */
    int type;                 /* TU_YAML_PLAIN_*: quoted ones are STR */
    json_int_t i;
} member;

/* One item line as read. */
typedef struct item {
    member m[MAX_FIELDS];
    size_t n;
    unsigned column;          /* the '{', 1-based */
} item;

/* A line: [p, end) without its newline. */
typedef struct line {
    const char *start, *p, *end;
} line;

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

/* Letters, digits and dots, most of a record's text, first. */
static int plain_char(unsigned char c)
{
    return is_alnum(c) || c == '.' ||
           (c > 0x20 && c < 0x7F && !strchr(",[]{}#:\"'&*!|>%@`\\?", c));
}

static int key_char(unsigned char c)
{
    return is_alnum(c) || c == '_' || c == '-' || c == '.';
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
    const char *was = l->p;

    skip_spaces(l);
    if (l->p == l->end)
        return 1;
    return *l->p == '#' && l->p > was && comment_ok(l);
}

static int read_key(line *l, member *m)
{
    m->key = l->p;
    m->column = column(l);
    if (l->p >= l->end || !(is_alnum((unsigned char)*l->p) || *l->p == '_'))
        return -1;
    while (l->p < l->end && key_char((unsigned char)*l->p))
        l->p++;
    m->key_len = (size_t)(l->p - m->key);
    if (m->key_len >= MAX_KEY || l->end - l->p < 2 || l->p[0] != ':' ||
        l->p[1] != ' ')
        return -1;
    l->p += 2;
    return 0;
}

static int read_quoted(line *l, member *m)
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
    m->text_len = (size_t)(l->p++ - m->text);
    m->type = TU_YAML_PLAIN_STR;
    return 0;
}

/* A plain scalar: a run of plain characters and spaces, its trailing
 * spaces not part of it, typed by the core schema. */
static int read_plain(line *l, member *m)
{
    const char *last;

    m->text = l->p;
    if (*l->p == '-' && (l->p + 1 >= l->end || !plain_char(l->p[1])))
        return -1;
    while (l->p < l->end && (plain_char((unsigned char)*l->p) || *l->p == ' '))
        l->p++;
    for (last = l->p; last > m->text && last[-1] == ' '; last--)
        ;
    m->text_len = (size_t)(last - m->text);
    if (!m->text_len)
        return -1;
    m->type = tu_yaml_plain_type(m->text, m->text_len, &m->i);
    return m->type == TU_YAML_PLAIN_STR || m->type == TU_YAML_PLAIN_INT ||
                   m->type == TU_YAML_PLAIN_NULL ||
                   m->type == TU_YAML_PLAIN_TRUE ||
                   m->type == TU_YAML_PLAIN_FALSE
               ? 0
               : -1;
}

static int read_value(line *l, member *m)
{
    if (l->p >= l->end)
        return -1;
    if (*l->p == '"' || *l->p == '\'')
        return read_quoted(l, m);
    if (!plain_char((unsigned char)*l->p))
        return -1;
    return read_plain(l, m);
}

static int key_seen(const item *it, const member *m)
{
    for (size_t i = 0; i < it->n; i++)
        if (it->m[i].key_len == m->key_len &&
            memcmp(it->m[i].key, m->key, m->key_len) == 0)
            return 1;
    return 0;
}

/* The flow mapping at l->p ('{') into `it`. 0, or -1 when outside the
 * subset. */
static int read_mapping(line *l, item *it)
{
    it->n = 0;
    it->column = column(l);
    l->p++;
    for (;;) {
        member *m = &it->m[it->n];
        skip_spaces(l);
        if (it->n == MAX_FIELDS || read_key(l, m) != 0)
            return -1;
        skip_spaces(l);
        if (read_value(l, m) != 0 || key_seen(it, m))
            return -1;
        it->n++;
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

enum { LINE_BLANK, LINE_ITEM, LINE_END, LINE_OTHER };

/* What the line is, *indent set; for an item, `it` read (its indent
 * must be `want` when that is not SIZE_MAX). A line at the first column
 * that ends the list starts with a printable character: anything else
 * there (a tab, a control or non-ASCII byte) is left to libyaml. */
static int classify(line *l, size_t want, size_t *indent, item *it)
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
    if (l->p >= l->end || *l->p != '{' || read_mapping(l, it) != 0)
        return LINE_OTHER;
    return LINE_ITEM;
}

/* The line starting at p: *l set, the start of the next line returned
 * (end when none). */
static const char *next_line(const char *p, const char *end, line *l)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));

    l->start = l->p = p;
    l->end = nl ? nl : end;
    return nl ? nl + 1 : end;
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

int tu_yaml_block_find(const char *text, size_t len, const char *key,
                       tu_yaml_block *b)
{
    const char *end = text + len, *p, *next;
    size_t want = SIZE_MAX, indent;
    item it;
    line l;

    memset(b, 0, sizeof *b);
    if (!(p = key_line(text, end, key, &b->key_line)) || p >= end)
        return 0;
    b->start = b->end = (size_t)(p - text);
    for (unsigned n = b->key_line + 1; p < end; p = next, n++) {
        next = next_line(p, end, &l);
        switch (classify(&l, want, &indent, &it)) {
        case LINE_END:
            return b->items > 0;
        case LINE_OTHER:
            return 0;
        case LINE_ITEM:
            if (!b->items++) {
                want = indent;
                b->first.line = n;
                b->first.column = (unsigned)indent + 1;
            }
            b->nodes += 1 + 2 * it.n;
            break;
        }
        b->end = (size_t)(next - text);
        b->newlines += next[-1] == '\n';
    }
    return b->items > 0;
}

/* The item read into `it` packed into `s`; NULL when out of memory. */
static tu_packed *pack_item(tu_pack_store *s, const item *it)
{
    tu_pfield f[MAX_FIELDS];
    static const int types[] = {
        [TU_YAML_PLAIN_NULL] = TU_PV_NULL, [TU_YAML_PLAIN_TRUE] = TU_PV_TRUE,
        [TU_YAML_PLAIN_FALSE] = TU_PV_FALSE};

    for (size_t i = 0; i < it->n; i++) {
        const member *m = &it->m[i];
        const char *interned;
        if (!(interned = tu_pack_internn(s, m->key, m->key_len, i)))
            return NULL;
        memset(&f[i], 0, sizeof f[i]);
        if (m->type == TU_YAML_PLAIN_STR) {
            f[i].tag = tu_pfield_tag(interned, TU_PV_STR);
            if (!(f[i].u.s = tu_pack_string(s, m->text, m->text_len)))
                return NULL;
        } else if (m->type == TU_YAML_PLAIN_INT) {
            f[i].tag = tu_pfield_tag(interned, TU_PV_INT);
            f[i].u.i = m->i;
        } else {
            f[i].tag = tu_pfield_tag(interned, types[m->type]);
        }
    }
    return tu_pack_fields(s, f, it->n);
}

/* Hand the item read into `it` (line `lineno`) over. 0 or -1. */
static int hand_over(const item *it, unsigned lineno, size_t index,
                     const tu_yaml_block *b, const char *file,
                     tu_pack_store *s, const tu_yaml_items *items)
{
    uint32_t at[2 * MAX_FIELDS];
    tu_yaml_item out;

    memset(&out, 0, sizeof out);
    if (!(out.packed = pack_item(s, it)))
        return -1;
    for (size_t i = 0; i < it->n; i++) {
        at[2 * i] = lineno;
        at[2 * i + 1] = it->m[i].column;
    }
    out.pos.file = file;
    out.pos.line = lineno;
    out.pos.column = it->column;
    out.index = index;
    out.members = at;
    out.nmembers = it->n;
    out.of = b->items;
    return items->each(&out, items->data);
}

int tu_yaml_block_read(const char *text, const tu_yaml_block *b,
                       const char *file, tu_pack_store *store,
                       const tu_yaml_items *items, tu_error *err)
{
    const char *p = text + b->start, *end = text + b->end, *next;
    size_t index = 0, indent;
    unsigned n = b->key_line + 1;
    item it;
    line l;

    for (; p < end; p = next, n++) {
        next = next_line(p, end, &l);
        if (classify(&l, b->first.column - 1, &indent, &it) != LINE_ITEM)
            continue;
        if (hand_over(&it, n, index++, b, file, store, items) != 0) {
            tu_srcpos pos = {file, n, it.column};
            tu_error_at(err, pos, "out of memory");
            if (err)
                err->code = TU_ERR_NOMEM;
            return -1;
        }
    }
    return 0;
}
