/* yaml_schema.h -- the YAML 1.2 core schema's plain scalars, typed.
 *
 * Shared by the loader (yaml_load.c) and the fast reader of records
 * lists (yaml_records.c). Text is `len` bytes, not NUL-terminated.
 */
#ifndef TU_STATE_YAML_SCHEMA_H
#define TU_STATE_YAML_SCHEMA_H

#include <stddef.h>
#include <jansson.h>

/* What a plain scalar is by the core schema. */
enum {
    TU_YAML_PLAIN_STR,
    TU_YAML_PLAIN_NULL,      /* empty, ~, null, Null, NULL */
    TU_YAML_PLAIN_TRUE,
    TU_YAML_PLAIN_FALSE,
    TU_YAML_PLAIN_INT,       /* decimal, 0o octal or 0x hex, in range */
    TU_YAML_PLAIN_INT_RANGE, /* an integer out of the 64-bit range */
    TU_YAML_PLAIN_FLOAT,
    TU_YAML_PLAIN_INF_NAN    /* .inf, -.inf, .nan and their spellings */
};

/* The type of plain `text` (TU_YAML_PLAIN_*); for an integer in range,
 * its value in *i. Most scalars of a large file are strings: the first
 * character rules out the other types before any word is compared. */
int tu_yaml_plain_type(const char *text, size_t len, json_int_t *i);

/* 1 when `text` written plain would read back as a string (so it needs no
 * quotes to stay one); 0 when it would read as null, a boolean or a number. */
int tu_yaml_plain_is_string(const char *text, size_t len);

/* The value of a plain scalar of `type` (tu_yaml_plain_type; `i` an
 * integer's value) as a new jansson value: null, a boolean, an integer or
 * a string (its UTF-8 already checked by the caller). NULL for the other
 * types (their value or message needs the loader) or when out of memory. */
json_t *tu_yaml_plain_json(int type, const char *text, size_t len,
                           json_int_t i);

/* 1 when `text` is `word`; tu_yaml_word_in: one of the NULL-terminated
 * `words`. */
int tu_yaml_word_is(const char *text, size_t len, const char *word);
int tu_yaml_word_in(const char *text, size_t len, const char *const *words);

/* The schema's tests one by one (the loader's tags need them apart). */
int tu_yaml_is_null(const char *text, size_t len);
/* 1 and *value set for a boolean, else 0. */
int tu_yaml_is_bool(const char *text, size_t len, int *value);
int tu_yaml_is_inf_nan(const char *text, size_t len);
/* 1 with *out set; 0: not an integer; -1: out of the int64 range. */
int tu_yaml_parse_int(const char *s, size_t n, json_int_t *out);
int tu_yaml_is_float(const char *s, size_t n);
/* 1 when `c` may start a number (integer, float, .inf or .nan). */
int tu_yaml_number_start(char c);

#endif
