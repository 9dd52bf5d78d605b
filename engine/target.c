/* target.c -- reading the common part of `target` (see target.h).
 *
 * Headers and auth become one curl_slist handed to the executor, which
 * sends it with every request. Auth kinds:
 *   bearer  Authorization: Bearer $token_env (or scheme: Token ...)
 *   basic   Authorization: Basic base64(username:$password_env)
 *   header  NAME: $value_env
 *   none
 * A header name or value holding CR or LF is refused: it would let a value
 * inject headers of its own. `tls` names a CA file, a client certificate
 * and key, or turns verification off (insecure, which is warned about).
 * `vars` maps names to a value (string, number or boolean) or a non-empty
 * list of values; each is kept as an array of strings.
 *
 * Header values are templates (engine/urltemplate.h) of variables and of
 * the environment: every {env.NAME} in target.headers and in the
 * provider's own keys (its request templates) is read here, once, into
 * the variable "env.NAME"; unset or empty is an error; each value and its
 * base64 are secrets, scrubbed from every output.
 */
#include "target.h"
#include "util/base64.h"
#include "state/error.h"
#include "util/json_util.h"
#include "state/schema.h"
#include "engine/urltemplate.h"
#include "util/suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const common_keys[] = {"provider", "base_url", "headers",
                                          "auth", "tls", "vars", "fields",
                                          "meta_prefix", NULL};
static const char *const tls_keys[] = {"ca_file", "client_cert", "client_key",
                                       "insecure", NULL};
enum { AUTH_NONE, AUTH_BEARER, AUTH_BASIC, AUTH_HEADER };
static const char *const auth_types[] = {"none", "bearer", "basic", "header",
                                         NULL};

static int safe_header_text(const char *s)
{
    return strpbrk(s, "\r\n") == NULL;
}

static int add_header(tu_target *t, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 3;
    char *line = malloc(len);
    struct curl_slist *list;

    if (!line)
        return -1;
    snprintf(line, len, "%s: %s", name, value);
    list = curl_slist_append(t->headers, line);
    free(line);
    if (!list)
        return -1;
    t->headers = list;
    return 0;
}

int tu_target_add_secret(tu_target *t, const char *value)
{
    char **s;
    for (size_t i = 0; i < t->nsecrets; i++) {
        if (strcmp(t->secrets[i], value) == 0)
            return 0;
    }
    s = realloc(t->secrets, (t->nsecrets + 1) * sizeof *s);
    if (!s)
        return -1;
    t->secrets = s;
    s[t->nsecrets] = strdup(value);
    if (!s[t->nsecrets])
        return -1;
    t->nsecrets++;
    return 0;
}

/* The secret named by obj[key] (an environment variable's name). */
static const char *secret_from_env(tu_target *t, const json_t *obj,
                                   const char *key, const tu_srcmap *map,
                                   tu_error *err)
{
    const char *var = NULL, *value;
    if (tu_schema_string(obj, key, 1, map, "target.auth", &var, err) < 0)
        return NULL;
    value = getenv(var);
    if (!value || !*value) {
        tu_error_at(err, tu_srcmap_member(map, obj, key),
                    "target.auth.%s: the environment variable %s is %s; "
                    "export it before running trueup", key, var,
                    value ? "empty" : "not set");
        return NULL;
    }
    if (!safe_header_text(value)) {
        tu_error_at(err, tu_srcmap_member(map, obj, key),
                    "target.auth.%s: the value of %s holds a line break, "
                    "which cannot go into an HTTP header", key, var);
        return NULL;
    }
    if (tu_target_add_secret(t, value) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return value;
}

static int auth_basic(tu_target *t, const json_t *auth, const tu_srcmap *map,
                      tu_error *err)
{
    const char *user = NULL, *pass;
    char *pair, *enc, *value;
    size_t len;
    int rc = -1;

    if (tu_schema_string(auth, "username", 1, map, "target.auth", &user,
                         err) < 0 ||
        !(pass = secret_from_env(t, auth, "password_env", map, err)))
        return -1;
    len = strlen(user) + strlen(pass) + 2;
    pair = malloc(len);
    if (pair) {
        snprintf(pair, len, "%s:%s", user, pass);
        enc = tu_base64(pair, strlen(pair));
        value = enc ? malloc(strlen(enc) + 7) : NULL;
        if (value) {
            sprintf(value, "Basic %s", enc);
            rc = tu_target_add_secret(t, enc) ||
                 tu_target_add_secret(t, value) ||
                 add_header(t, "Authorization", value);
            free(value);
        }
        free(enc);
        free(pair);
    }
    if (rc)
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return rc ? -1 : 0;
}

/* Authorization: SCHEME TOKEN; the scheme is "Bearer" unless `scheme`
 * says otherwise (NetBox's classic tokens: "Token"). */
static int auth_bearer(tu_target *t, const json_t *auth, const tu_srcmap *map,
                       tu_error *err)
{
    const char *scheme = "Bearer", *token;
    char *value;
    int rc;

    if (tu_schema_string(auth, "scheme", 0, map, "target.auth", &scheme,
                         err) < 0)
        return -1;
    if (!*scheme || strpbrk(scheme, " \t\r\n:")) {
        tu_error_at(err, tu_srcmap_member(map, auth, "scheme"),
                    "target.auth.scheme: '%s' is not an authorization "
                    "scheme (one word, such as Bearer or Token)", scheme);
        return -1;
    }
    if (!(token = secret_from_env(t, auth, "token_env", map, err)))
        return -1;
    value = malloc(strlen(scheme) + strlen(token) + 2);
    if (!value) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    sprintf(value, "%s %s", scheme, token);
    rc = tu_target_add_secret(t, value) ||
         add_header(t, "Authorization", value);
    free(value);
    if (rc)
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return rc ? -1 : 0;
}

static int auth_header(tu_target *t, const json_t *auth, const tu_srcmap *map,
                       tu_error *err)
{
    const char *name = NULL, *value;
    if (tu_schema_string(auth, "name", 1, map, "target.auth", &name, err) < 0)
        return -1;
    if (!safe_header_text(name) || strchr(name, ':')) {
        tu_error_at(err, tu_srcmap_member(map, auth, "name"),
                    "target.auth.name: '%s' is not a valid header name", name);
        return -1;
    }
    value = secret_from_env(t, auth, "value_env", map, err);
    if (!value)
        return -1;
    if (add_header(t, name, value) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

static int parse_auth(tu_target *t, const json_t *obj, const tu_srcmap *map,
                      tu_error *err)
{
    static const char *const keys[AUTH_HEADER + 1][5] = {
        {"type", NULL},
        {"type", "token_env", "scheme", NULL},
        {"type", "username", "password_env", NULL},
        {"type", "name", "value_env", NULL},
    };
    const json_t *auth = NULL;
    int type = AUTH_NONE;
    int rc = tu_schema_object(obj, "auth", 0, map, "target", &auth, err);

    if (rc <= 0)
        return rc; /* absent: no auth; or an error */
    if (!json_object_get(auth, "type")) {
        tu_error_at(err, tu_srcmap_get(map, auth), "target.auth: missing "
                    "'type' (one of none, bearer, basic, header)");
        return -1;
    }
    if (tu_schema_enum(auth, "type", auth_types, map, "target.auth", &type,
                       err) < 0 ||
        tu_schema_keys(auth, keys[type], map, "target.auth", err) != 0)
        return -1;
    switch (type) {
    case AUTH_BEARER: return auth_bearer(t, auth, map, err);
    case AUTH_BASIC:  return auth_basic(t, auth, map, err);
    case AUTH_HEADER: return auth_header(t, auth, map, err);
    default:          return 0;
    }
}

/* ---- {env.NAME}: the environment, read at load ---------------------- */

/* Variable "env.NAME" (name[0..len)) from the environment: its value is a
 * secret, and so is its base64 (a header may send it so). */
static int add_env(tu_target *t, const char *name, size_t len, tu_srcpos pos,
                   const char *where, tu_error *err)
{
    char var[256];
    const char *value;
    char *enc;
    json_t *values;
    int rc;

    if (json_object_getn(t->vars, name, len))
        return 0;
    snprintf(var, sizeof var, "%.*s", (int)(len - 4), name + 4);
    value = getenv(var);
    if (!value || !*value) {
        tu_error_at(err, pos, "%s: {env.%s}: the environment variable %s is "
                    "%s; export it before running trueup", where, var, var,
                    value ? "empty" : "not set");
        return -1;
    }
    enc = tu_base64(value, strlen(value));
    values = json_pack("[s]", value);
    rc = !enc || !values || tu_target_add_secret(t, value) != 0 ||
         tu_target_add_secret(t, enc) != 0 ||
         json_object_setn_new(t->vars, name, len, json_incref(values)) != 0;
    json_decref(values);
    free(enc);
    if (rc)
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return rc ? -1 : 0;
}

/* What env_of_string needs besides the string. */
typedef struct env_scan {
    tu_target *t;
    const char *where;
    tu_error *err;
} env_scan;

/* Every {env.NAME} of one template string (at pos). Brace errors are the
 * reader's of the template to report. */
static int env_of_string(const char *s, tu_srcpos pos, void *data)
{
    env_scan *scan = data;
    const char *p = s, *next, *text;
    size_t len;
    tu_placeholder ph;

    if (tu_url_template_check(s))
        return 0;
    while ((next = tu_url_placeholder(p, &text, &len)) != NULL) {
        if (tu_placeholder_parse(text, len, &ph) == 0 && ph.len > 4 &&
            memcmp(ph.name, "env.", 4) == 0 &&
            add_env(scan->t, ph.name, ph.len, pos, scan->where,
                    scan->err) != 0)
            return -1;
        p = next;
    }
    return 0;
}

/* The environment named by target.headers and the provider's keys (its
 * request templates), at any depth, into t->vars; vars must be read. */
static int read_env(tu_target *t, const json_t *obj, const tu_srcmap *map,
                    tu_error *err)
{
    const char *const *keys = t->ops->target_keys;
    char where[64];
    env_scan scan = {t, "target.headers", err};

    if (tu_schema_each_string(json_object_get(obj, "headers"),
                              tu_srcmap_member(map, obj, "headers"), map,
                              env_of_string, &scan) != 0)
        return -1;
    scan.where = where;
    for (size_t i = 0; keys[i]; i++) {
        snprintf(where, sizeof where, "target.%s", keys[i]);
        if (tu_schema_each_string(json_object_get(obj, keys[i]),
                                  tu_srcmap_member(map, obj, keys[i]), map,
                                  env_of_string, &scan) != 0)
            return -1;
    }
    return 0;
}

/* ---- headers ------------------------------------------------------------ */

static void unknown_header_placeholder(const tu_target *t, const char *name,
                                       const tu_placeholder *ph,
                                       tu_srcpos pos, tu_error *err)
{
    const char *known[64], *var, *hint;
    char word[128];
    json_t *values;
    size_t n = 0;

    json_object_foreach(t->vars, var, values) {
        if (n < 63 && json_array_size(values) == 1)
            known[n++] = var;
    }
    known[n] = NULL;
    snprintf(word, sizeof word, "%.*s", (int)ph->len, ph->name);
    hint = tu_suggest(word, known);
    tu_error_at(err, pos, "target.headers.%s: unknown placeholder {%s}: a "
                "header takes {env.NAME} or a variable of target.vars with "
                "one value%s%s%s", name, word, hint ? "; did you mean {" : "",
                hint ? hint : "", hint ? "}?" : "");
}

/* Every placeholder of header NAME's value must be a variable with one
 * value (the environment's included), with a filter trueup knows. */
static int check_header_placeholders(const tu_target *t, const char *name,
                                     const char *value, tu_srcpos pos,
                                     tu_error *err)
{
    const char *p = value, *next, *text, *problem;
    size_t len;
    tu_placeholder ph;

    if ((problem = tu_url_template_check(value)) != NULL) {
        tu_error_at(err, pos, "target.headers.%s: the value has %s", name,
                    problem);
        return -1;
    }
    while ((next = tu_url_placeholder(p, &text, &len)) != NULL) {
        if (tu_placeholder_parse(text, len, &ph) != 0) {
            tu_error_at(err, pos, "target.headers.%s: {%.*s}: trueup knows "
                        "one filter, '| base64'", name, (int)len, text);
            return -1;
        }
        if (json_array_size(json_object_getn(t->vars, ph.name,
                                             ph.len)) != 1) {
            unknown_header_placeholder(t, name, &ph, pos, err);
            return -1;
        }
        p = next;
    }
    return 0;
}

/* One header: its value expanded ({env.NAME}, variables), then added. */
static int add_header_template(tu_target *t, const char *name,
                               const char *value, tu_srcpos pos,
                               tu_error *err)
{
    tu_tmpl_src src = {NULL, NULL, NULL, t->vars, NULL};
    tu_buffer b = TU_BUFFER_INIT;
    const char *missing;
    int rc;

    if (check_header_placeholders(t, name, value, pos, err) != 0)
        return -1;
    rc = tu_template_text_into(&b, value, &src, &missing) == 0 &&
                 tu_buffer_add(&b, "", 1) == 0 ? 0 : -1;
    if (rc == 0 && !safe_header_text(b.data)) {
        tu_error_at(err, pos, "target.headers.%s: the value holds a line "
                    "break once its placeholders are filled", name);
        rc = -2;
    } else if (rc == 0 && add_header(t, name, b.data) != 0) {
        rc = -1;
    }
    if (rc == -1)
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    tu_buffer_free(&b);
    return rc < 0 ? -1 : 0;
}

static int parse_headers(tu_target *t, const json_t *obj,
                         const tu_srcmap *map, tu_error *err)
{
    const json_t *headers = NULL;
    const char *name;
    json_t *value;

    if (tu_schema_object(obj, "headers", 0, map, "target", &headers, err) < 0)
        return -1;
    json_object_foreach((json_t *)headers, name, value) {
        tu_srcpos pos = tu_srcmap_member(map, headers, name);
        if (!json_is_string(value)) {
            tu_error_at(err, pos, "target.headers.%s: expected a string, "
                        "got %s", name, tu_json_type_name(value));
            return -1;
        }
        if (!*name || !safe_header_text(name) || strchr(name, ':') ||
            !safe_header_text(json_string_value(value))) {
            tu_error_at(err, pos, "target.headers.%s: header names and "
                        "values cannot hold ':' in the name, or line breaks",
                        name);
            return -1;
        }
        if (add_header_template(t, name, json_string_value(value), pos,
                                err) != 0)
            return -1;
    }
    return 0;
}

static int parse_tls(tu_target *t, const json_t *obj, const tu_srcmap *map,
                     tu_error *err)
{
    const json_t *tls = NULL;
    const char *ctx = "target.tls";
    int rc = tu_schema_object(obj, "tls", 0, map, "target", &tls, err);

    if (rc <= 0)
        return rc; /* absent: verify with the system's certificates */
    if (tu_schema_keys(tls, tls_keys, map, ctx, err) != 0 ||
        tu_schema_string(tls, "ca_file", 0, map, ctx, &t->tls.ca_file,
                         err) < 0 ||
        tu_schema_string(tls, "client_cert", 0, map, ctx,
                         &t->tls.client_cert, err) < 0 ||
        tu_schema_string(tls, "client_key", 0, map, ctx, &t->tls.client_key,
                         err) < 0 ||
        tu_schema_bool(tls, "insecure", map, ctx, &t->tls.insecure, err) < 0)
        return -1;
    if (!t->tls.client_cert != !t->tls.client_key) {
        tu_error_at(err, tu_srcmap_get(map, tls), "target.tls: client_cert "
                    "and client_key go together; set both or neither");
        return -1;
    }
    return 0;
}

/* One value of a variable as text, or NULL (an error is set). */
static json_t *var_value(const json_t *v, const char *name, tu_srcpos pos,
                         tu_error *err)
{
    char *text = NULL;
    json_t *s;

    if (json_is_string(v) || json_is_number(v) || json_is_boolean(v))
        text = tu_json_text(v);
    if (!text || !*text) {
        tu_error_at(err, pos, "target.vars.%s: expected a non-empty string, "
                    "number or boolean (or a list of them), got %s", name,
                    text ? "an empty string" : tu_json_type_name(v));
        free(text);
        return NULL;
    }
    s = json_string(text);
    free(text);
    if (!s)
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return s;
}

static int add_var(tu_target *t, const char *name, const json_t *value,
                   tu_srcpos pos, tu_error *err)
{
    json_t *values = json_array();
    size_t n = json_is_array(value) ? json_array_size(value) : 1;

    if (json_is_array(value) && n == 0) {
        tu_error_at(err, pos, "target.vars.%s: an empty list; give at least "
                    "one value", name);
        json_decref(values);
        return -1;
    }
    for (size_t i = 0; values && i < n; i++) {
        json_t *s = var_value(json_is_array(value) ? json_array_get(value, i)
                                                   : value, name, pos, err);
        if (!s || json_array_append_new(values, s) != 0) {
            json_decref(values);
            return -1;
        }
    }
    if (!values || json_object_set_new(t->vars, name, values) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

static int parse_vars(tu_target *t, const json_t *obj, const tu_srcmap *map,
                      tu_error *err)
{
    const json_t *vars = NULL;
    const char *name;
    json_t *value;

    t->vars = json_object();
    if (!t->vars) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (tu_schema_object(obj, "vars", 0, map, "target", &vars, err) < 0)
        return -1;
    json_object_foreach((json_t *)vars, name, value) {
        if (add_var(t, name, value, tu_srcmap_member(map, vars, name),
                    err) != 0)
            return -1;
    }
    return 0;
}

static int check_target_keys(const tu_target *t, const json_t *obj,
                             const tu_srcmap *map, tu_error *err)
{
    const char *all[32];
    size_t n = 0;

    for (size_t i = 0; common_keys[i]; i++)
        all[n++] = common_keys[i];
    for (size_t i = 0; t->ops->target_keys[i] && n < 31; i++)
        all[n++] = t->ops->target_keys[i];
    all[n] = NULL;
    return tu_schema_keys(obj, all, map, "target", err);
}

static int parse_base_url(tu_target *t, const json_t *obj,
                          const tu_srcmap *map, tu_error *err)
{
    const char *url = NULL;
    size_t len;

    if (tu_schema_string(obj, "base_url", 1, map, "target", &url, err) < 0)
        return -1;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        tu_error_at(err, tu_srcmap_member(map, obj, "base_url"),
                    "target.base_url: '%s' must start with http:// or "
                    "https://", url);
        return -1;
    }
    len = strlen(url);
    while (len && url[len - 1] == '/')
        len--;
    t->base_url = strndup(url, len);
    if (!t->base_url) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

/* A key field named like one of trueup's own per-record keys. */
static const char *meta_clash(const tu_target *t, const tu_keyspec *key)
{
    static const char *const own[] = {"state", "takeover"};
    size_t n = strlen(t->meta_prefix);

    for (size_t i = 0; i < key->count; i++) {
        const char *f = key->fields[i];
        for (size_t j = 0; j < 2; j++) {
            if (strncmp(f, t->meta_prefix, n) == 0 && strcmp(f + n, own[j]) == 0)
                return f;
        }
    }
    return NULL;
}

/* target.fields (for every provider) and target.meta_prefix, once the
 * provider knows its key fields. */
static int parse_records_keys(tu_target *t, const json_t *obj,
                              const tu_srcmap *map, tu_error *err)
{
    const json_t *fields = NULL;
    const char *clash;
    tu_keyspec key;
    const char **ignore;
    size_t nignore;

    if (tu_schema_string(obj, "meta_prefix", 0, map, "target",
                         &t->meta_prefix, err) < 0 ||
        tu_schema_object(obj, "fields", 0, map, "target", &fields, err) < 0)
        return -1;
    if (!t->meta_prefix)
        t->meta_prefix = "";
    t->ops->describe(t->cfg, &key, &ignore, &nignore);
    if ((clash = meta_clash(t, &key)) != NULL || strlen(t->meta_prefix) > 64) {
        tu_error_at(err, tu_srcmap_member(map, obj, "meta_prefix"),
                    clash ? "target: the key field '%s' has the name of one "
                    "of trueup's own per-record keys; set target.meta_prefix "
                    "(for example '_': then _state and _takeover are "
                    "trueup's)" : "target.meta_prefix: '%.20s...' is longer "
                    "than 64 bytes", clash ? clash : t->meta_prefix);
        return -1;
    }
    return tu_target_fields(t, fields, obj, map, err);
}

int tu_target_parse(tu_target *t, const tu_provider_ops *ops,
                    const json_t *obj, const tu_srcmap *map, tu_error *err)
{
    memset(t, 0, sizeof *t);
    t->ops = ops;
    if (check_target_keys(t, obj, map, err) != 0 ||
        parse_base_url(t, obj, map, err) != 0 ||
        parse_vars(t, obj, map, err) != 0 ||
        read_env(t, obj, map, err) != 0 ||
        parse_headers(t, obj, map, err) != 0 ||
        parse_auth(t, obj, map, err) != 0 ||
        parse_tls(t, obj, map, err) != 0 ||
        t->ops->parse(obj, map, &t->cfg, err) != 0 ||
        parse_records_keys(t, obj, map, err) != 0) {
        tu_target_free(t);
        return -1;
    }
    return 0;
}

void tu_target_free(tu_target *t)
{
    if (t->ops && t->cfg)
        t->ops->free(t->cfg);
    free(t->base_url);
    json_decref(t->vars);
    curl_slist_free_all(t->headers);
    for (size_t i = 0; i < t->nsecrets; i++)
        free(t->secrets[i]);
    free(t->secrets);
    tu_field_rules_free(&t->fields);
    memset(t, 0, sizeof *t);
}

int tu_target_url_into(const tu_target *t, const char *path, tu_buffer *out)
{
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
        return tu_buffer_puts(out, path);
    if (tu_buffer_puts(out, t->base_url) < 0 ||
        (*path != '/' && tu_buffer_add(out, "/", 1) < 0))
        return -1;
    return tu_buffer_puts(out, path);
}

char *tu_target_url(const tu_target *t, const char *path)
{
    tu_buffer b = TU_BUFFER_INIT;

    if (tu_target_url_into(t, path, &b) < 0) {
        tu_buffer_free(&b);
        return NULL;
    }
    return tu_buffer_take(&b);
}

void tu_target_scrub(const tu_target *t, char *text)
{
    for (size_t i = 0; i < t->nsecrets; i++) {
        const char *s = t->secrets[i];
        size_t n = strlen(s);
        char *hit;
        if (n < 4)
            continue;
        while ((hit = strstr(text, s)) != NULL) {
            memcpy(hit, "***", 3);
            memmove(hit + 3, hit + n, strlen(hit + n) + 1);
        }
    }
}

const tu_answer_rules *tu_target_answers(const tu_target *t)
{
    return t->ops->answers ? t->ops->answers(t->cfg) : NULL;
}
