/* yaml_emit.c -- writing records as YAML with libyaml's emitter.
 *
 * jansson values become emitter events: objects flow mappings, arrays flow
 * sequences, scalars with the style that reads back as the same type: a
 * string whose plain form would resolve to null, a boolean or a number
 * under the YAML 1.2 core schema is double-quoted; the emitter quotes
 * whatever else plain YAML cannot hold. Output goes to a growing buffer.
 */
#include "yaml_emit.h"
#include "util/buffer.h"
#include "error.h"
#include "util/json_util.h"
#include "yaml_load.h"
#include "yaml_schema.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* libyaml's output handler: 1 on success, 0 on failure. */
static int write_out(void *data, unsigned char *bytes, size_t size)
{
    return tu_buffer_add(data, bytes, size) == 0;
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev)
{
    return yaml_emitter_emit(e, ev) ? 0 : -1;
}

static int emit_text(yaml_emitter_t *e, const char *text, size_t len,
                     yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
                                      (yaml_char_t *)text, (int)len, 1, 1,
                                      style))
        return -1;
    return emit(e, &ev);
}

static int emit_value(yaml_emitter_t *e, const json_t *v);

static int emit_object(yaml_emitter_t *e, const json_t *obj,
                       yaml_mapping_style_t style)
{
    yaml_event_t ev;
    const char *key;
    json_t *value;

    if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, style) ||
        emit(e, &ev))
        return -1;
    json_object_foreach((json_t *)obj, key, value) {
        /* "<<" plain is the merge key: a field of that name is quoted */
        yaml_scalar_style_t ks = tu_yaml_plain_is_string(key, strlen(key)) &&
                                         strcmp(key, "<<") != 0
                                     ? YAML_ANY_SCALAR_STYLE
                                     : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        if (emit_text(e, key, strlen(key), ks) || emit_value(e, value))
            return -1;
    }
    if (!yaml_mapping_end_event_initialize(&ev))
        return -1;
    return emit(e, &ev);
}

static int emit_array(yaml_emitter_t *e, const json_t *arr,
                      yaml_sequence_style_t style,
                      yaml_mapping_style_t item_style)
{
    yaml_event_t ev;
    size_t i;
    json_t *item;

    if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, style) ||
        emit(e, &ev))
        return -1;
    json_array_foreach(arr, i, item) {
        int rc = json_is_object(item) ? emit_object(e, item, item_style)
                                      : emit_value(e, item);
        if (rc)
            return -1;
    }
    if (!yaml_sequence_end_event_initialize(&ev))
        return -1;
    return emit(e, &ev);
}

static int emit_value(yaml_emitter_t *e, const json_t *v)
{
    char *text;
    int rc;

    if (json_is_object(v))
        return emit_object(e, v, YAML_FLOW_MAPPING_STYLE);
    if (json_is_array(v))
        return emit_array(e, v, YAML_FLOW_SEQUENCE_STYLE,
                          YAML_FLOW_MAPPING_STYLE);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        return emit_text(e, s, n, tu_yaml_plain_is_string(s, n)
                                      ? YAML_ANY_SCALAR_STYLE
                                      : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    }
    text = tu_json_text(v); /* numbers, true, false, null */
    if (!text)
        return -1;
    rc = emit_text(e, text, strlen(text), YAML_PLAIN_SCALAR_STYLE);
    free(text);
    return rc;
}

static int emit_document(yaml_emitter_t *e, const json_t *records)
{
    yaml_event_t ev;

    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
        emit(e, &ev) ||
        !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
        emit(e, &ev) ||
        !yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                             YAML_BLOCK_MAPPING_STYLE) ||
        emit(e, &ev) ||
        emit_text(e, "records", 7, YAML_PLAIN_SCALAR_STYLE) ||
        emit_array(e, records, YAML_BLOCK_SEQUENCE_STYLE,
                   YAML_FLOW_MAPPING_STYLE) ||
        !yaml_mapping_end_event_initialize(&ev) || emit(e, &ev) ||
        !yaml_document_end_event_initialize(&ev, 1) || emit(e, &ev) ||
        !yaml_stream_end_event_initialize(&ev) || emit(e, &ev))
        return -1;
    return 0;
}

char *tu_yaml_emit_records(const json_t *records, const char *comment,
                           tu_error *err)
{
    yaml_emitter_t e;
    tu_buffer b = TU_BUFFER_INIT;
    int rc;

    if (comment && (tu_buffer_puts(&b, "# ") || tu_buffer_puts(&b, comment) ||
                    tu_buffer_puts(&b, "\n"))) {
        tu_buffer_free(&b);
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (!yaml_emitter_initialize(&e)) {
        tu_buffer_free(&b);
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    yaml_emitter_set_output(&e, write_out, &b);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    rc = emit_document(&e, records);
    if (rc != 0)
        tu_error_set(err, e.problem ? TU_ERR_INTERNAL : TU_ERR_NOMEM,
                     "cannot write YAML: %s",
                     e.problem ? e.problem : "out of memory");
    yaml_emitter_delete(&e);
    if (rc != 0) {
        tu_buffer_free(&b);
        return NULL;
    }
    return tu_buffer_take(&b);
}
