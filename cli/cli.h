/* cli.h -- the trueup command: shared declarations of its parts.
 *
 * main.c runs a command; args.c parses the command line (args_watch.c,
 * the options of trueup watch, which watch.c runs); text.c renders a
 * report for people; output.c writes the report where it should go;
 * progress.c draws a progress line on a terminal; memory.c sets how the
 * process gets its memory. Every part uses only the
 * public API of libtrueup.
 */
#ifndef TU_CLI_H
#define TU_CLI_H

#include <signal.h>
#include <stdio.h>
#include <trueup/trueup.h>

/* Exit statuses (docs/cli.md). */
enum {
    TU_EXIT_OK = 0,        /* success; plan: also with changes by default */
    TU_EXIT_ERROR = 1,     /* could not proceed; nothing was pushed */
    TU_EXIT_CHANGES = 2,   /* plan --detailed-exitcode: changes pending */
    TU_EXIT_FAILED = 3     /* apply ran and at least one record failed */
};

typedef enum { TU_FORMAT_JSON, TU_FORMAT_TEXT, TU_FORMAT_MARKDOWN } tu_format;

typedef struct tu_cli_args {
    int help, version;
    tu_mode mode;
    int export;               /* trueup export: write the live records */
    tu_format format;
    long concurrency;         /* 0: as the file says */
    int prune;                /* -1: as the file says */
    int force;                /* go past the safety thresholds */
    int change_protected;     /* change declared protected records */
    int detailed_exitcode;
    int quiet;
    int progress;             /* 0: no progress line; 1: on stderr if a
                                 terminal; 2: always (--progress) */
    const char *output;       /* NULL: stdout */
    const char *out;          /* plan --out: the plan file to write */
    long shard_index, shard_count;  /* --shard I/N; count 0: none */
    const char **files;       /* borrowed from argv */
    size_t nfiles;
    const char **match;       /* --match FIELD=VALUE; owned array */
    size_t nmatch;
    const char **set;         /* --set FIELD=VALUE; owned array */
    size_t nset;
    /* trueup watch (watch.c): files are its SET arguments */
    int watch;
    int watch_apply;              /* --apply: correct drift */
    long long watch_interval_ms;  /* --interval */
    int watch_once;               /* --once */
    const char *watch_listen;     /* --listen ADDRESS, or "none" */
    const char *watch_events;     /* --events FILE; NULL: stdout */
    const char *watch_metrics_file;  /* --metrics-file FILE */
    long watch_ready_intervals;   /* --ready-intervals */
    long long watch_shutdown_ms;  /* --shutdown-timeout */
    int watch_poll_files;         /* --poll-files: no inotify */
    int watch_only_option;        /* one of the above was given */
} tu_cli_args;

/* Parse argv. 0, or -1 after printing what is wrong to stderr. Free the
 * result with tu_cli_args_free in either case. */
int tu_cli_parse(int argc, char **argv, tu_cli_args *args);
void tu_cli_args_free(tu_cli_args *args);
void tu_cli_usage(FILE *out);

/* trueup watch's options (args_watch.c): their getopt codes, the
 * getopt_long entries (TU_CLI_WATCH_OPTIONS, in args.c's table), their
 * parsing, the checks once the command is known, and their --help lines. */
enum { TU_OPT_WATCH_APPLY = 512, TU_OPT_WATCH_INTERVAL, TU_OPT_WATCH_ONCE,
       TU_OPT_WATCH_LISTEN, TU_OPT_WATCH_EVENTS, TU_OPT_WATCH_READY,
       TU_OPT_WATCH_SHUTDOWN, TU_OPT_WATCH_POLL_FILES,
       TU_OPT_WATCH_METRICS_FILE };
#define TU_CLI_WATCH_OPTIONS                                                \
    {"apply", no_argument, NULL, TU_OPT_WATCH_APPLY},                       \
    {"interval", required_argument, NULL, TU_OPT_WATCH_INTERVAL},           \
    {"once", no_argument, NULL, TU_OPT_WATCH_ONCE},                         \
    {"listen", required_argument, NULL, TU_OPT_WATCH_LISTEN},               \
    {"events", required_argument, NULL, TU_OPT_WATCH_EVENTS},               \
    {"ready-intervals", required_argument, NULL, TU_OPT_WATCH_READY},       \
    {"shutdown-timeout", required_argument, NULL, TU_OPT_WATCH_SHUTDOWN},   \
    {"poll-files", no_argument, NULL, TU_OPT_WATCH_POLL_FILES},            \
    {"metrics-file", required_argument, NULL, TU_OPT_WATCH_METRICS_FILE}
/* Set the defaults of the watch options. */
void tu_cli_watch_defaults(tu_cli_args *args);
/* A watch option: 0, -1 after saying what is wrong, or 1 when `opt` is
 * not one of them. */
int tu_cli_watch_option(int opt, const char *value, tu_cli_args *args);
/* After the command word: watch's options only with watch, and what
 * watch does not take. 0, or -1 after saying why. */
int tu_cli_watch_check(tu_cli_args *args);
/* The watch options' lines of --help. */
void tu_cli_watch_usage(FILE *out);

/* Write `text` to args->output (atomically) or stdout. 0 or -1. */
int tu_cli_write_text_out(const tu_cli_args *args, const char *text);

/* Write `text` to `path`, replaced atomically. 0, or -1 (said on
 * stderr). */
int tu_cli_write_text_file(const char *path, const char *text);

/* Render the report for people. */
void tu_cli_write_text(FILE *out, const tu_report *report);

/* Render the report as Markdown, for a pull-request comment. 0, or -1
 * when out of memory. */
int tu_cli_write_markdown(FILE *out, const tu_report *report);

/* How a result's changes are written: "NAME: BEFORE → AFTER, ..." in a
 * format's own words (text.c, markdown.c). */
typedef struct tu_cli_change_style {
    const char *first;                               /* before the first */
    void (*name)(FILE *out, const char *field);      /* and what follows */
    void (*value)(FILE *out, const json_t *value);
} tu_cli_change_style;

/* A report result's "changes" ({field: {before?, after}}), one after the
 * other, ", " between them (text.c). */
void tu_cli_write_changes(FILE *out, const json_t *changes,
                          const tu_cli_change_style *style);

/* Write a plan file to args->out (atomically), and remove the marker of
 * an earlier plan applied from that path. 0, or -1 (said on stderr). */
int tu_cli_write_plan_file(const tu_cli_args *args, const json_t *plan);

/* Write the report to args->output (atomically) or stdout. 0 or -1. */
int tu_cli_write_report(const tu_cli_args *args, const tu_report *report);

/* The progress line (progress.c). */
typedef struct tu_cli_progress {
    int enabled;
    int tty;                  /* stderr is a terminal: redraw in place */
    long long last_ms;        /* the last draw */
    int drawn;                /* a line is on the terminal */
    const char *phase;        /* of the last draw: "fetching", ... */
    long long sample_ms;      /* the last rate sample */
    size_t sample_done;
    double rate;              /* smoothed requests per second; 0: not yet */
} tu_cli_progress;

/* mode: 0 never, 1 when stderr is a terminal, 2 always (--progress). */
void tu_cli_progress_init(tu_cli_progress *p, int mode);
/* Draw a phase the library does not report ("loading FILE"). */
void tu_cli_progress_phase(tu_cli_progress *p, const char *text);
/* The library's progress callback (data: a tu_cli_progress). */
void tu_cli_progress_update(const tu_progress *progress, void *data);
/* Erase the line, before the report or an error is printed. */
void tu_cli_progress_clear(tu_cli_progress *p);

/* Catch SIGINT and SIGTERM: the returned flag goes to tu_options.cancel
 * (the only global state of the command, as a signal handler needs). */
volatile sig_atomic_t *tu_cli_signals_install(void);

/* Sets the process's malloc and huge-page policy, once, in main before
 * anything is loaded, by the size of the files given (memory.c). */
void tu_cli_tune_memory(const char *const *paths, size_t npaths);

/* Print "trueup: error: MESSAGE" to stderr. */
void tu_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
