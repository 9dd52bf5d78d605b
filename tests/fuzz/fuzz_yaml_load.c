/* fuzz_yaml_load.c -- the YAML loader (state/yaml_load.c).
 *
 * The input is a YAML file. It is loaded with a fresh source map; then:
 * - a failed load must say why (a non-empty, terminated message);
 * - the root's source position is looked up, and so is every key of the
 *   root mapping (tu_srcmap_member walks the recorded members);
 * - when the document has `records:` holding a list of mappings, they are
 *   written back with the exporter (state/yaml_emit.c) and loaded again:
 *   export promises the text reads back as the same values (numbers by
 *   value), so any difference is reported as a failure;
 * - a short input is also typed as a plain scalar (tu_yaml_scalar), which
 *   must agree with tu_yaml_plain_is_string.
 * Everything is freed, so LeakSanitizer sees leaks in error paths too.
 */
#include "fuzz_target.h"
#include "util/json_util.h"
#include "state/srcmap.h"
#include "state/yaml_emit.h"
#include "state/yaml_load.h"
#include "state/yaml_schema.h"

#include <string.h>

static void check_failed(const json_t *root, const tu_error *err)
{
    if (root)
        return;
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL);
    FUZZ_CHECK(err->message[0] != '\0');
}

static int is_record_list(const json_t *records)
{
    size_t i;
    json_t *r;

    if (!json_is_array(records))
        return 0;
    json_array_foreach(records, i, r)
        if (!json_is_object(r))
            return 0;
    return 1;
}

/* Export's promise: the records written as YAML load back the same. */
static void check_round_trip(const json_t *records)
{
    tu_error err;
    char *text;
    tu_srcmap *map;
    json_t *again;

    text = tu_yaml_emit_records(records, "fuzz round trip", &err);
    if (!text)
        return; /* out of memory, or the emitter refused: not a promise */
    map = tu_srcmap_new();
    FUZZ_CHECK(map != NULL);
    again = tu_yaml_load_string(text, strlen(text), "export.yaml", map, &err);
    if (!again)
        fprintf(stderr, "exported text does not load: %s\n--- text:\n%s\n",
                err.message, text);
    FUZZ_CHECK(again != NULL);
    if (!tu_json_equal(records, json_object_get(again, "records"))) {
        char *a = json_dumps(records, JSON_ENCODE_ANY | JSON_COMPACT);
        char *b = json_dumps(json_object_get(again, "records"),
                             JSON_ENCODE_ANY | JSON_COMPACT);
        fprintf(stderr, "export round trip changed the records\n"
                "before: %s\n--- exported text:\n%s--- after: %s\n",
                a ? a : "?", text, b ? b : "?");
        free(a);
        free(b);
    }
    FUZZ_CHECK(tu_json_equal(records, json_object_get(again, "records")));
    json_decref(again);
    tu_srcmap_free(map);
    free(text);
}

static void check_scalar(const char *text, size_t len)
{
    tu_error err;
    json_t *v;

    if (len > 256 || memchr(text, '\0', len))
        return;
    v = tu_yaml_scalar(text, len, "fuzz", &err);
    check_failed(v, &err);
    if (v)
        FUZZ_CHECK(!!json_is_string(v) == !!tu_yaml_plain_is_string(text, len));
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    tu_srcmap *map = tu_srcmap_new();
    tu_error err;
    json_t *root;

    FUZZ_CHECK(map != NULL);
    root = tu_yaml_load_string(text, size, "fuzz.yaml", map, &err);
    check_failed(root, &err);
    if (root) {
        tu_srcpos pos = tu_srcmap_get(map, root);
        if (json_is_object(root) || json_is_array(root))
            FUZZ_CHECK(pos.file != NULL && pos.line > 0);
        if (json_is_object(root)) {
            const char *key;
            json_t *value;
            json_object_foreach(root, key, value) {
                pos = tu_srcmap_member(map, root, key);
                FUZZ_CHECK(pos.file != NULL);
            }
            if (is_record_list(json_object_get(root, "records")))
                check_round_trip(json_object_get(root, "records"));
        }
        json_decref(root);
    }
    tu_srcmap_free(map);
    check_scalar(text, size);
    return 0;
}
