/* output.c -- writing the report (or an export) where it should go.
 *
 * To stdout, or with --output to a file that is replaced atomically: the
 * content goes to a temporary file beside it, which is flushed, synced and
 * renamed over the target, so a reader never sees half a report and an
 * earlier one survives a failed run. A plan file (plan --out) is written
 * the same way, as JSON with one change per line.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The report in the format asked for; JSON in the lines layout, written
 * straight from the report (tu_report_dumpf); text and Markdown from its
 * typed results and summary (no jansson value per result). */
static int write_to(FILE *out, const tu_cli_args *args,
                    const tu_report *report)
{
    if (args->format == TU_FORMAT_JSON)
        return tu_report_dumpf(report, out) != 0 || ferror(out) ? -1 : 0;
    if (args->format == TU_FORMAT_TEXT)
        tu_cli_write_text(out, report);
    else if (tu_cli_write_markdown(out, report) != 0)
        return -1;
    return ferror(out) ? -1 : 0;
}

/* What goes into the output: a report (JSON or text) or ready text. */
typedef struct output_content {
    const tu_report *report;
    const char *text;
    const json_t *json;   /* a plan file: JSON, whatever the format */
} output_content;

static int write_content(FILE *out, const tu_cli_args *args,
                         const output_content *c)
{
    if (c->text) {
        fputs(c->text, out);
        return ferror(out) ? -1 : 0;
    }
    if (c->json)
        return tu_json_dumpf(c->json, out, TU_JSON_LINES) != 0 ||
               ferror(out) ? -1 : 0;
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
    output_content c = {report, NULL, NULL};
    return write_output(args, &c);
}

int tu_cli_write_text_out(const tu_cli_args *args, const char *text)
{
    output_content c = {NULL, text, NULL};
    return write_output(args, &c);
}

int tu_cli_write_text_file(const char *path, const char *text)
{
    output_content c = {NULL, text, NULL};
    return write_file_atomically(path, NULL, &c);
}

int tu_cli_write_plan_file(const tu_cli_args *args, const json_t *plan)
{
    output_content c = {NULL, NULL, plan};
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
