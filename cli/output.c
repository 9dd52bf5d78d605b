/* output.c -- writing the report (or an export) where it should go.
 *
 * To stdout, or with --output to a file that is replaced atomically: the
 * content goes to a temporary file beside it, which is flushed, synced and
 * renamed over the target, so a reader never sees half a report and an
 * earlier one survives a failed run. A plan file (plan --out) is written
 * the same way, as JSON with one change per line.
 */
#include "cli.h"
#include "state/buffer.h"
#include "state/json_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIST_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)
#define LIST_CHUNK (64 * 1024)

/* A list (the results), one item per line: the lines are built in one
 * buffer, reused, and written LIST_CHUNK bytes or so at a time (not a
 * string and a dozen small writes per item). 0, or -1 (out of memory). */
static int write_list(FILE *out, const json_t *list)
{
    tu_buffer b = TU_BUFFER_INIT;
    size_t i, n = json_array_size(list);
    json_t *item;
    int rc = 0;

    fputs("[\n", out);
    json_array_foreach(list, i, item) {
        if (tu_buffer_add(&b, "    ", 4) < 0 ||
            tu_json_dumpb(item, LIST_FLAGS, &b) < 0 ||
            tu_buffer_puts(&b, i + 1 < n ? ",\n" : "\n") < 0) {
            rc = -1;
            break;
        }
        if (b.len >= LIST_CHUNK || i + 1 == n) {
            fwrite(b.data, 1, b.len, out);
            b.len = 0;
        }
    }
    tu_buffer_free(&b);
    fputs("  ]", out);
    return rc;
}

/* A member's value, compact; lists (results) one item per line. */
static int write_member(FILE *out, const char *key, const json_t *value)
{
    json_t *key_json = json_string(key);
    char *name = json_dumps(key_json, JSON_ENCODE_ANY);

    json_decref(key_json);
    fprintf(out, "  %s: ", name ? name : "\"?\"");
    free(name);
    if (!json_is_array(value) || json_array_size(value) == 0)
        return tu_json_dumpf(value, out, LIST_FLAGS);
    return write_list(out, value);
}

/* The report as JSON: one member per line, one result per line, so that
 * a long report stays readable and greppable. */
static int write_json(FILE *out, const json_t *json)
{
    const char *key;
    json_t *value;
    size_t n = 0;

    fputs("{\n", out);
    json_object_foreach((json_t *)json, key, value) {
        if (write_member(out, key, value) != 0)
            return -1;
        fputs(++n < json_object_size(json) ? ",\n" : "\n", out);
    }
    fputs("}\n", out);
    return 0;
}

static int write_to(FILE *out, const tu_cli_args *args, const json_t *json)
{
    if (args->format == TU_FORMAT_TEXT)
        tu_cli_write_text(out, json);
    else if (args->format == TU_FORMAT_MARKDOWN) {
        if (tu_cli_write_markdown(out, json) != 0)
            return -1;
    } else if (write_json(out, json) != 0)
        return -1;
    return ferror(out) ? -1 : 0;
}

/* What goes into the output: a report (JSON or text) or ready text. */
typedef struct output_content {
    const json_t *report;
    const char *text;
    int json;             /* the report as JSON, whatever the format */
} output_content;

static int write_content(FILE *out, const tu_cli_args *args,
                         const output_content *c)
{
    if (c->text) {
        fputs(c->text, out);
        return ferror(out) ? -1 : 0;
    }
    if (c->json)
        return write_json(out, c->report) != 0 || ferror(out) ? -1 : 0;
    return write_to(out, args, c->report);
}

static int write_file_atomically(const char *path, const tu_cli_args *args,
                                 const output_content *content)
{
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    FILE *out = NULL;
    int fd, rc = -1;

    if (!tmp)
        return -1;
    snprintf(tmp, len, "%s.tmp.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd >= 0)
        out = fdopen(fd, "w");
    if (out && write_content(out, args, content) == 0 && fflush(out) == 0 &&
        fsync(fileno(out)) == 0) {
        if (fclose(out) == 0 && rename(tmp, path) == 0)
            rc = 0;
        out = NULL;
    }
    if (rc != 0)
        tu_cli_error("cannot write to %s: %s", path,
                     strerror(errno));
    if (out)
        fclose(out);
    else if (fd >= 0 && !out && rc != 0)
        close(fd);
    if (rc != 0 && fd >= 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

static int write_output(const tu_cli_args *args, const output_content *c)
{
    if (args->output)
        return write_file_atomically(args->output, args, c);
    if (args->quiet)
        return 0;
    if (write_content(stdout, args, c) != 0 || fflush(stdout) != 0) {
        tu_cli_error("cannot write to stdout: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int tu_cli_write_report(const tu_cli_args *args, const tu_report *report)
{
    output_content c = {tu_report_json(report), NULL, 0};
    return write_output(args, &c);
}

int tu_cli_write_text_out(const tu_cli_args *args, const char *text)
{
    output_content c = {NULL, text, 0};
    return write_output(args, &c);
}

int tu_cli_write_plan_file(const tu_cli_args *args, const json_t *plan)
{
    output_content c = {plan, NULL, 1};
    size_t len = strlen(args->out) + sizeof TU_PLAN_FILE_USED_SUFFIX;
    char *marker = malloc(len);

    if (!marker || write_file_atomically(args->out, args, &c) != 0) {
        free(marker);
        return -1;
    }
    /* a new plan at this path has not been applied */
    snprintf(marker, len, "%s%s", args->out, TU_PLAN_FILE_USED_SUFFIX);
    if (unlink(marker) != 0 && errno != ENOENT) {
        tu_cli_error("cannot remove %s (left from an earlier plan): %s",
                     marker, strerror(errno));
        free(marker);
        return -1;
    }
    free(marker);
    return 0;
}
