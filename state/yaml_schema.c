/* yaml_schema.c -- the YAML 1.2 core schema's plain scalars, typed.
 *
 * One place decides what a plain scalar is: the loader (yaml_load.c)
 * types every untagged plain scalar with it, and so does the fast reader
 * of records lists (yaml_records.c), so the two cannot disagree. The
 * checks follow the core schema's regular expressions by hand, on text
 * that need not be NUL-terminated.
 */
#include "yaml_schema.h"

#include <stdint.h>
#include <string.h>

int tu_yaml_word_is(const char *text, size_t len, const char *word)
{
    return len && text[0] == word[0] && strlen(word) == len &&
           memcmp(text, word, len) == 0;
}

int tu_yaml_word_in(const char *text, size_t len,
                          const char *const *words)
{
    for (; *words; words++)
        if (tu_yaml_word_is(text, len, *words))
            return 1;
    return 0;
}

int tu_yaml_is_null(const char *text, size_t len)
{
    static const char *const words[] = {"~", "null", "Null", "NULL", NULL};
    return len == 0 || tu_yaml_word_in(text, len, words);
}

/* 1 and *value set for a core-schema boolean, else 0. */
int tu_yaml_is_bool(const char *text, size_t len, int *value)
{
    static const char *const yes[] = {"true", "True", "TRUE", NULL};
    static const char *const no[] = {"false", "False", "FALSE", NULL};
    if (tu_yaml_word_in(text, len, yes))
        *value = 1;
    else if (tu_yaml_word_in(text, len, no))
        *value = 0;
    else
        return 0;
    return 1;
}

int tu_yaml_is_inf_nan(const char *text, size_t len)
{
    static const char *const words[] = {
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
        "-.INF", ".nan", ".NaN", ".NAN", NULL};
    return tu_yaml_word_in(text, len, words);
}

static int digit(char c, unsigned base)
{
    int d;
    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    else
        return -1;
    return (unsigned)d < base ? d : -1;
}

/* Core-schema integer: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+.
 * 1 with *out set; 0: not an integer; -1: out of the int64 range. */
int tu_yaml_parse_int(const char *s, size_t n, json_int_t *out)
{
    unsigned base = 10;
    size_t i = 0;
    int neg = 0, over = 0;
    uint64_t v = 0, limit;
    if (n > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
        base = s[1] == 'o' ? 8 : 16;
        i = 2;
    } else if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return 0;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        int d = digit(s[i], base);
        if (d < 0)
            return 0;
        if (v > (limit - (uint64_t)d) / base)
            over = 1;
        else
            v = v * base + (uint64_t)d;
    }
    if (over)
        return -1;
    *out = neg ? (json_int_t)(0 - v) : (json_int_t)v;
    return 1;
}

static size_t span_digits(const char *s, size_t n, size_t *i)
{
    size_t start = *i;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9')
        (*i)++;
    return *i - start;
}

/* Core-schema float:
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
int tu_yaml_is_float(const char *s, size_t n)
{
    size_t i = 0, whole, frac = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    whole = span_digits(s, n, &i);
    if (i < n && s[i] == '.') {
        i++;
        frac = span_digits(s, n, &i);
    }
    if (!whole && !frac)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        if (!span_digits(s, n, &i))
            return 0;
    }
    return i == n;
}

/* 1 when `c` may start a number (integer, float, .inf or .nan). */
int tu_yaml_number_start(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.';
}

/* 1 when `c` may start null or a boolean. */
static int may_be_word(char c)
{
    return c == '~' || c == 'n' || c == 'N' || c == 't' || c == 'T' ||
           c == 'f' || c == 'F';
}

int tu_yaml_plain_type(const char *text, size_t len, json_int_t *i)
{
    int b, rc, word = len == 0 || may_be_word(text[0]);

    if (!word && !tu_yaml_number_start(text[0]))
        return TU_YAML_PLAIN_STR;
    if (word && tu_yaml_is_null(text, len))
        return TU_YAML_PLAIN_NULL;
    if (word && tu_yaml_is_bool(text, len, &b))
        return b ? TU_YAML_PLAIN_TRUE : TU_YAML_PLAIN_FALSE;
    rc = tu_yaml_parse_int(text, len, i);
    if (rc != 0)
        return rc > 0 ? TU_YAML_PLAIN_INT : TU_YAML_PLAIN_INT_RANGE;
    if (tu_yaml_is_float(text, len))
        return TU_YAML_PLAIN_FLOAT;
    if (text[0] == '.' || text[0] == '+' || text[0] == '-')
        return tu_yaml_is_inf_nan(text, len) ? TU_YAML_PLAIN_INF_NAN
                                             : TU_YAML_PLAIN_STR;
    return TU_YAML_PLAIN_STR;
}

int tu_yaml_plain_is_string(const char *text, size_t len)
{
    json_int_t i;
    return tu_yaml_plain_type(text, len, &i) == TU_YAML_PLAIN_STR;
}

json_t *tu_yaml_plain_json(int type, const char *text, size_t len,
                           json_int_t i)
{
    switch (type) {
    case TU_YAML_PLAIN_NULL:
        return json_null();
    case TU_YAML_PLAIN_TRUE:
        return json_true();
    case TU_YAML_PLAIN_FALSE:
        return json_false();
    case TU_YAML_PLAIN_INT:
        return json_integer(i);
    case TU_YAML_PLAIN_STR:
        return json_stringn_nocheck(text, len);
    default:
        return NULL;
    }
}
