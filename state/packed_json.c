/* packed_json.c -- a JSON object packed as it is read (see packed_json.h).
 *
 * A live list of a million records was parsed item by item into jansson
 * objects (about 20 allocations each), packed, and freed: the allocations
 * and jansson's own work were most of the time the read took. This reads
 * the common item -- a flat object of string keys and scalar values --
 * straight into the store, and leaves everything else to jansson:
 *
 *   - keys: printable ASCII without escapes, under 256 bytes, no key twice;
 *   - strings: any valid UTF-8 (checked as jansson checks it), the escapes
 *     \" \\ \/ \b \f \n \r \t; a \u escape or a control character is
 *     jansson's;
 *   - numbers: jansson's grammar; an integer that does not fit a
 *     json_int_t or a real out of range is jansson's (it says why);
 *   - true, false, null;
 *   - a nested object or array: parsed by jansson alone, from where it
 *     starts (as tu_page_parse_each parses each item).
 *
 * Whenever the text is not of that subset, the reader gives up (returns
 * NULL, nothing consumed) and the caller parses the item with jansson, so
 * what the subset accepts it must read exactly as jansson would: the
 * differential fuzz target fuzz_pack_json holds it to that. Bytes it wrote
 * to the store before giving up are wasted, not wrong.
 */
#include "packed_json.h"
#include "listpage.h"
#include "util/json_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 64
#define MAX_KEY 256

typedef struct reader {
    const char *p, *end;
    tu_pack_store *s;
    int oom;
} reader;

static void skip_ws(reader *r)
{
    if (r->p < r->end && (unsigned char)*r->p > ' ')
        return;                 /* the common case: no space at all */
    r->p = tu_json_skip_space(r->p, r->end);
}

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    unsigned cp;

    if (p[0] > 0xF4 || len == 0 || len > n)
        return 0;
    cp = p[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return len;
}

static int unescape(char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;         /* \u, or not an escape: jansson's */
    }
}

/* Bytes a scan must stop at, one table lookup a byte (most of a string
 * or a key is none of them):
 *   STOP_STRING: in a string, a control character, the quote, a
 *     backslash, and every byte of a UTF-8 sequence;
 *   STOP_KEY: in a key, the same but the last: a byte that is not
 *     printable ASCII. */
enum { STOP_STRING = 1, STOP_KEY = 2 };

#define S_OF(c) \
    (((c) < 0x20 || (c) == '"' || (c) == '\\' || (c) >= 0x80 \
          ? STOP_STRING : 0) | \
     ((c) < 0x20 || (c) == '"' || (c) == '\\' || (c) > 0x7E ? STOP_KEY : 0))
#define S_4(c) S_OF(c), S_OF((c) + 1), S_OF((c) + 2), S_OF((c) + 3)
#define S_16(c) S_4(c), S_4((c) + 4), S_4((c) + 8), S_4((c) + 12)
#define S_64(c) S_16(c), S_16((c) + 16), S_16((c) + 32), S_16((c) + 48)

static const unsigned char stop_at[256] = {
    S_64(0), S_64(64), S_64(128), S_64(192)
};

/* The string at r->p (its opening quote) scanned: its closing quote's
 * place in *close and the number of escapes in *escapes. 0, or -1 when
 * the string is not of the subset. */
static int scan_string(const reader *r, const char **close, size_t *escapes)
{
    const unsigned char *p = (const unsigned char *)r->p + 1;
    const unsigned char *end = (const unsigned char *)r->end;
    size_t n;

    *escapes = 0;
    for (;;) {
        while (p < end && !(stop_at[*p] & STOP_STRING))
            p++;
        if (p >= end || *p == '"')
            break;
        if (*p < 0x20)
            return -1;
        if (*p == '\\') {
            if (p + 1 >= end || unescape((char)p[1]) < 0)
                return -1;
            (*escapes)++;
            p += 2;
        } else if ((n = utf8_len(p, (size_t)(end - p))) == 0) {
            return -1;
        } else {
            p += n;
        }
    }
    if (p >= end)
        return -1;
    *close = (const char *)p;
    return 0;
}

/* The string at r->p packed into the store, r->p moved past it; NULL
 * when not of the subset or out of memory (r->oom). */
static const char *read_string(reader *r)
{
    const char *close, *text;
    size_t escapes, len = 0;
    char *copy;

    if (scan_string(r, &close, &escapes) != 0)
        return NULL;
    if (!escapes) {
        text = tu_pack_string(r->s, r->p + 1, (size_t)(close - r->p - 1));
    } else {
        if (!(copy = malloc((size_t)(close - r->p)))) {
            r->oom = 1;
            return NULL;
        }
        for (const char *q = r->p + 1; q < close; q++)
            copy[len++] = *q == '\\' ? (char)unescape(*++q) : *q;
        text = tu_pack_string(r->s, copy, len);
        free(copy);
    }
    r->oom |= text == NULL;
    r->p = close + 1;
    return text;
}

/* A key at r->p: its text in the input (*key, *n bytes), r->p moved past
 * it. 0, or -1 when not of the subset. */
static int read_key(reader *r, const char **key, size_t *n)
{
    const char *p = r->p + 1;

    if (r->p >= r->end || *r->p != '"')
        return -1;
    *key = p;
    while (p < r->end && !(stop_at[(unsigned char)*p] & STOP_KEY))
        p++;
    if (p >= r->end || *p != '"' || p - *key + 1 >= MAX_KEY)
        return -1;
    *n = (size_t)(p - *key);
    r->p = p + 1;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The end of a number in jansson's grammar at r->p, *real set when it has
 * a fraction or an exponent; NULL when there is none. */
static const char *number_end(const reader *r, int *real)
{
    const char *p = r->p, *end = r->end;

    *real = 0;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return NULL;
    if (*p == '0')
        p++;
    else
        while (p < end && is_digit(*p))
            p++;
    if (p < end && *p == '.') {
        *real = 1;
        if (++p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *real = 1;
        if (++p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    return p;
}

/* An integer of at most 18 digits (and a sign) at [p, end): exact in a
 * json_int_t, so read by hand (strtoll was 3% of a plan's instructions). */
static json_int_t small_int(const char *p, const char *end)
{
    int minus = *p == '-';
    json_int_t v = 0;

    for (p += minus; p < end; p++)
        v = v * 10 + (*p - '0');
    return minus ? -v : v;
}

/* A number at r->p into f (its tag's name given). 0, or -1 when not of
 * the subset (out of range: jansson says so). */
static int read_number(reader *r, tu_pfield *f, const char *name)
{
    char text[64], *stop;
    int real;
    const char *end = number_end(r, &real);

    if (end && !real && end - r->p <= 18) {
        f->u.i = small_int(r->p, end);
        f->tag = tu_pfield_tag(name, TU_PV_INT);
        r->p = end;
        return 0;
    }
    if (!end || end - r->p >= (long)sizeof text)
        return -1;
    memcpy(text, r->p, (size_t)(end - r->p));
    text[end - r->p] = '\0';
    errno = 0;
    if (real) {
        f->u.r = strtod(text, &stop);
        f->tag = tu_pfield_tag(name, TU_PV_REAL);
    } else {
        f->u.i = strtoll(text, &stop, 10);
        f->tag = tu_pfield_tag(name, TU_PV_INT);
    }
    if (errno || *stop)
        return -1;
    r->p = end;
    return 0;
}

/* `word` at r->p, not followed by another letter (jansson reads a whole
 * word). */
static int literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    const char *after = r->p + n;

    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0 ||
        (after < r->end && ((*after >= 'a' && *after <= 'z') ||
                            (*after >= 'A' && *after <= 'Z'))))
        return 0;
    r->p = after;
    return 1;
}

/* How deep a nested value goes (an object or array: 1 and more). */
static size_t depth(json_t *v)
{
    size_t most = 0, i;
    const char *key;
    json_t *item;

    if (json_is_array(v)) {
        json_array_foreach(v, i, item) {
            size_t d = depth(item);
            most = d > most ? d : most;
        }
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, item) {
            size_t d = depth(item);
            most = d > most ? d : most;
        }
    } else {
        return 0;
    }
    return most + 1;
}

/* A nested object or array at r->p, parsed by jansson. 0 or -1. Parsed
 * alone it may go one level deeper than inside its record (jansson's
 * limit is 2048): one that deep is left to the record's parse; so is one
 * holding a NUL byte, which jansson reads otherwise alone than inside a
 * record (the fuzzer found it; list bodies with one are parsed whole). */
static int read_nested(reader *r, tu_pfield *f, const char *name)
{
    json_error_t jerr;
    json_t *v = json_loadb(r->p, (size_t)(r->end - r->p), TU_PAGE_ITEM_FLAGS,
                           &jerr);
    int rc;

    if (!v)
        return -1;
    if (depth(v) >= 2048 || memchr(r->p, '\0', (size_t)jerr.position)) {
        json_decref(v);
        return -1;
    }
    r->p += jerr.position;
    rc = tu_pack_value(r->s, f, name, v);
    json_decref(v);
    r->oom |= rc != 0;
    return rc;
}

/* One member's value at r->p into f. 0 or -1. */
static int read_value(reader *r, tu_pfield *f, const char *name)
{
    const char *c = r->p;

    if (c >= r->end)
        return -1;
    if (*c == '"') {
        f->tag = tu_pfield_tag(name, TU_PV_STR);
        return (f->u.s = read_string(r)) ? 0 : -1;
    }
    if (*c == '{' || *c == '[')
        return read_nested(r, f, name);
    if (*c == '-' || is_digit(*c))
        return read_number(r, f, name);
    if (literal(r, "true"))
        f->tag = tu_pfield_tag(name, TU_PV_TRUE);
    else if (literal(r, "false"))
        f->tag = tu_pfield_tag(name, TU_PV_FALSE);
    else if (literal(r, "null"))
        f->tag = tu_pfield_tag(name, TU_PV_NULL);
    else
        return -1;
    return 0;
}

/* One member "key": value into fields[n], its name interned; 0 or -1. */
static int read_member(reader *r, tu_pfield *fields, size_t n)
{
    const char *key, *name;
    size_t len;

    if (read_key(r, &key, &len) != 0)
        return -1;
    skip_ws(r);
    if (r->p >= r->end || *r->p++ != ':')
        return -1;
    skip_ws(r);
    if (!(name = tu_pack_internn(r->s, key, len, n))) {
        r->oom = 1;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (tu_pfield_name(&fields[i]) == name)
            return -1;          /* a key twice: jansson's */
    memset(&fields[n], 0, sizeof fields[n]);
    return read_value(r, &fields[n], name);
}

tu_packed *tu_pack_json_object(tu_pack_store *s, const char *text,
                               size_t len, size_t *used, int *oom)
{
    reader r = {text, text + len, s, 0};
    tu_pfield fields[MAX_FIELDS];
    size_t n = 0;
    tu_packed *p = NULL;

    *used = 0;
    skip_ws(&r);
    if (r.p >= r.end || *r.p++ != '{')
        goto out;
    skip_ws(&r);
    if (r.p < r.end && *r.p == '}')
        goto close;
    for (;;) {
        if (n == MAX_FIELDS || read_member(&r, fields, n) != 0)
            goto out;
        n++;
        skip_ws(&r);
        if (r.p < r.end && *r.p == ',') {
            r.p++;
            skip_ws(&r);
            continue;
        }
        if (r.p < r.end && *r.p == '}')
            break;
        goto out;
    }
close:
    if ((p = tu_pack_fields(s, fields, n)) != NULL)
        *used = (size_t)(r.p + 1 - text);
    r.oom |= p == NULL;
out:
    *oom = r.oom;
    return p;
}
