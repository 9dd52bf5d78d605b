/* args.c -- parsing the trueup command line (see cli.h, docs/cli.md). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* After the options: an example, exit statuses, secrets, the docs (the
 * manual page is made from this text: cli/gen_cli_docs.py). */
static void usage_tail(FILE *out)
{
    fputs(
"\n"
"Example: set TTL 600 on every A record, in one command:\n"
"  trueup apply target.yaml --match type=A --set ttl=600\n"
"\n"
"Exit status: 0 success (plan: also with changes pending, unless\n"
"--detailed-exitcode); 1 the run could not proceed and nothing was pushed;\n"
"2 plan --detailed-exitcode found changes; 3 apply ran and a record failed.\n"
"watch: 0 stopped by SIGTERM or SIGINT; 1 it could not start; with --once\n"
"as plan and apply (1 also when a threshold refused a pass).\n"
"\n"
"Secrets are read from environment variables named in the file (*_env);\n"
"TRUEUP_PLAN_KEY, when set, seals plan files with HMAC-SHA256.\n"
"\n"
"Docs: trueup(1), docs/desired-state.md, docs/report.md, docs/cli.md,\n"
"docs/plan-file.md, docs/watch.md.\n", out);
}

void tu_cli_usage(FILE *out)
{
    fputs(
"Usage: trueup plan   [options] FILE...\n"
"       trueup plan   --out PLANFILE [options] FILE...\n"
"       trueup apply  [options] FILE...\n"
"       trueup apply  [options] PLANFILE\n"
"       trueup plan   [options] PLANFILE\n"
"       trueup export [options] FILE...\n"
"       trueup watch  [options] SET...\n"
"       trueup --help | --version\n"
"\n"
"Reconcile the records of a REST API with the desired state in FILE...\n"
"(YAML; several files merge). `plan` shows what would change and never\n"
"writes; `apply` pushes only the records that differ; `export` writes the\n"
"live records of the target as a desired-state document, to adopt them.\n"
"With a PLANFILE (written by plan --out), `apply` pushes exactly its\n"
"changes, once, and `plan` checks that they still hold. `watch` keeps\n"
"planning (or with --apply, applying) each SET on an interval and when its\n"
"files change, with metrics and health over HTTP; a SET is\n"
"[NAME=]FILE[,FILE...] or [NAME=]DIR (its *.yaml files).\n"
"\n"
"Options:\n"
"  -c, --concurrency N     requests in flight at most (default: the file's\n"
"                          settings.concurrency, else 16)\n"
"      --prune             also delete live records no desired record names\n"
"      --no-prune          never delete unnamed records, whatever the file says\n"
"      --force             go past the safety thresholds (settings.max_updates,\n"
"                          max_deletes)\n"
"      --change-protected  make declared changes to records the provider\n"
"                          protects (a DNS zone's SOA and apex NS; never\n"
"                          pruned, whatever the options)\n"
"      --shard I/N         only the records of shard I of N (I from 0):\n"
"                          N runs cover every record once; prune stays in\n"
"                          the shard (PowerDNS: split by zone)\n"
"      --match FIELD=VALUE select live records for a bulk change (repeatable;\n"
"                          all must match; VALUE may be a glob: 'name=*.dev.*')\n"
"      --set FIELD=VALUE   the fields every selected record gets (repeatable;\n"
"                          VALUE typed as YAML: ttl=600 is a number)\n"
"  -f, --format FORMAT     report format: json (default), text, or markdown\n"
"                          (grouped, for a pull-request comment)\n"
"  -o, --output FILE       write the report to FILE (replaced atomically)\n"
"      --out PLANFILE      plan: also write a plan file, for 'trueup apply\n"
"                          PLANFILE' to apply exactly those changes (it\n"
"                          refuses when a planned record changed since)\n"
"      --detailed-exitcode plan: exit 2 when changes are pending\n"
"  -q, --quiet             no report on stdout, no progress; errors still\n"
"                          go to stderr\n"
"      --progress          a progress line on stderr (phase, done/total,\n"
"                          requests per second, time left) even when stderr\n"
"                          is not a terminal (then one line a second); on a\n"
"                          terminal it is drawn by default\n"
"      --no-progress       no progress line, even on a terminal\n", out);
    tu_cli_watch_usage(out);
    fputs(
"  -h, --help              show this help\n"
"  -V, --version           show the version\n", out);
    usage_tail(out);
}


void tu_cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("trueup: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

enum { OPT_PRUNE = 256, OPT_NO_PRUNE, OPT_DETAILED, OPT_NO_PROGRESS,
       OPT_FORCE, OPT_CHANGE_PROTECTED, OPT_MATCH, OPT_SET, OPT_OUT,
       OPT_SHARD, OPT_PROGRESS };

static const struct option long_options[] = {
    {"concurrency", required_argument, NULL, 'c'},
    {"prune", no_argument, NULL, OPT_PRUNE},
    {"no-prune", no_argument, NULL, OPT_NO_PRUNE},
    {"force", no_argument, NULL, OPT_FORCE},
    {"change-protected", no_argument, NULL, OPT_CHANGE_PROTECTED},
    {"match", required_argument, NULL, OPT_MATCH},
    {"set", required_argument, NULL, OPT_SET},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"out", required_argument, NULL, OPT_OUT},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"detailed-exitcode", no_argument, NULL, OPT_DETAILED},
    {"quiet", no_argument, NULL, 'q'},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    TU_CLI_WATCH_OPTIONS,
    {NULL, 0, NULL, 0},
};

static int parse_concurrency(const char *text, long *out)
{
    char *end;
    long n;
    errno = 0;
    n = strtol(text, &end, 10);
    if (errno || *end || end == text || n < 1 || n > 10000) {
        tu_cli_error("--concurrency: '%s' is not a whole number from 1 to "
                     "10000", text);
        return -1;
    }
    *out = n;
    return 0;
}

static int parse_format(const char *text, tu_format *out)
{
    if (strcmp(text, "json") == 0)
        *out = TU_FORMAT_JSON;
    else if (strcmp(text, "text") == 0)
        *out = TU_FORMAT_TEXT;
    else if (strcmp(text, "markdown") == 0)
        *out = TU_FORMAT_MARKDOWN;
    else {
        tu_cli_error("--format: '%s' is not json, text or markdown", text);
        return -1;
    }
    return 0;
}

static int parse_shard(const char *text, tu_cli_args *a)
{
    tu_error err;
    if (tu_shard_parse(text, &a->shard_index, &a->shard_count, &err) == 0)
        return 0;
    tu_cli_error("--shard: %s", err.message);
    return -1;
}

/* trueup watch's options (args_watch.c), else an unknown option. */
static int parse_other_option(int opt, tu_cli_args *a)
{
    int rc = tu_cli_watch_option(opt, optarg, a);

    if (rc <= 0)
        return rc;
    fputs("Try 'trueup --help'.\n", stderr);
    return -1;
}

static int parse_option(int opt, tu_cli_args *a)
{
    switch (opt) {
    case 'c': return parse_concurrency(optarg, &a->concurrency);
    case 'f': return parse_format(optarg, &a->format);
    case 'o': a->output = optarg; return 0;
    case 'q': a->quiet = 1; return 0;
    case 'h': a->help = 1; return 0;
    case 'V': a->version = 1; return 0;
    case OPT_PRUNE: a->prune = 1; return 0;
    case OPT_NO_PRUNE: a->prune = 0; return 0;
    case OPT_FORCE: a->force = 1; return 0;
    case OPT_CHANGE_PROTECTED: a->change_protected = 1; return 0;
    case OPT_MATCH: a->match[a->nmatch++] = optarg; return 0;
    case OPT_SET: a->set[a->nset++] = optarg; return 0;
    case OPT_DETAILED: a->detailed_exitcode = 1; return 0;
    case OPT_OUT: a->out = optarg; return 0;
    case OPT_SHARD: return parse_shard(optarg, a);
    case OPT_NO_PROGRESS: a->progress = 0; return 0;
    case OPT_PROGRESS: a->progress = 2; return 0;
    default:
        return parse_other_option(opt, a);
    }
}

static int parse_command(const char *word, tu_cli_args *a)
{
    if (strcmp(word, "plan") == 0)
        a->mode = TU_MODE_PLAN;
    else if (strcmp(word, "apply") == 0)
        a->mode = TU_MODE_APPLY;
    else if (strcmp(word, "export") == 0)
        a->export = 1;
    else if (strcmp(word, "watch") == 0)
        a->watch = 1;
    else {
        tu_cli_error("unknown command '%s': use plan, apply, export or watch (see "
                     "'trueup --help')", word);
        return -1;
    }
    return 0;
}

int tu_cli_parse(int argc, char **argv, tu_cli_args *a)
{
    int opt;

    memset(a, 0, sizeof *a);
    a->prune = -1;
    a->progress = 1;
    tu_cli_watch_defaults(a);
    a->match = calloc((size_t)argc + 1, sizeof *a->match);
    a->set = calloc((size_t)argc + 1, sizeof *a->set);
    if (!a->match || !a->set) {
        tu_cli_error("out of memory");
        return -1;
    }
    /* GNU getopt moves the command word and files after the options, so
     * options may stand anywhere; "--" ends them. */
    while ((opt = getopt_long(argc, argv, "c:f:o:qhV", long_options,
                              NULL)) != -1) {
        if (parse_option(opt, a) != 0)
            return -1;
    }
    if (a->help || a->version)
        return 0;
    if (optind >= argc) {
        tu_cli_error("no command: use 'trueup plan FILE...' or 'trueup "
                     "apply FILE...' (see 'trueup --help')");
        return -1;
    }
    if (parse_command(argv[optind++], a) != 0)
        return -1;
    a->files = (const char **)&argv[optind];
    a->nfiles = (size_t)(argc - optind);
    if (a->nfiles == 0) {
        tu_cli_error(a->watch ? "no set: give at least one (FILE[,FILE...] "
                     "or DIR)" : "no desired-state file: give at least one "
                     "YAML file");
        return -1;
    }
    if (tu_cli_watch_check(a) != 0)
        return -1;
    if (a->export && (a->nmatch || a->nset || a->prune >= 0 ||
                      a->shard_count ||
                      a->detailed_exitcode || a->format != TU_FORMAT_JSON)) {
        tu_cli_error("export takes only --concurrency, --output, --quiet, "
                     "--progress and --no-progress");
        return -1;
    }
    if (a->out && (a->mode != TU_MODE_PLAN || a->export)) {
        tu_cli_error("--out goes with plan: 'trueup plan --out plan.json "
                     "FILE...' writes a plan file, 'trueup apply plan.json' "
                     "applies it");
        return -1;
    }
    if (a->detailed_exitcode && (a->mode != TU_MODE_PLAN || a->export)) {
        tu_cli_error("--detailed-exitcode goes with plan, not apply");
        return -1;
    }
    return 0;
}

void tu_cli_args_free(tu_cli_args *a)
{
    free(a->match);
    free(a->set);
    a->match = a->set = NULL;
}
