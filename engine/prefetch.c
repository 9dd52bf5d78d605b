/* prefetch.c -- reading the live records while the desired records load
 * (see prefetch.h).
 *
 * The small files (under PREFETCH_MIN_BYTES: the target, the settings) are
 * loaded into a document of the prefetch's own (records and all: they are
 * small), its target parsed, and a thread
 * started that makes an executor from the settings, runs the provider's
 * fetch against an empty desired set and drives it to the end, exactly as
 * a run would (the same retries, TLS, headers). A provider whose fetch
 * reads records one by one (resource.get) needs the desired records, so
 * it is not prefetched. The records wait, packed, until the run takes
 * them. The thread's executor is kept after a full read, with its idle
 * connections, TLS sessions and parsed CA store, so that the run can push
 * through it (tu_prefetch_take_exec) instead of connecting again; a run
 * that does not take it gets its figures for the report.
 *
 * The thread looks at a stop flag every 20 ms and then cancels what its
 * executor has in flight, with no grace: a prefetch that is dropped is
 * stopped at once rather than waited for. The run waits on a condition
 * the thread signals as it ends (a 10 ms sleep in a loop lost 5 ms a run
 * on average), and
 * a run cancelled while it waits for the prefetch (Ctrl-C during a long
 * load) passes the cancel on and then reads nothing itself but the
 * cancel: as quick to stop as without the overlap. A read that failed
 * (an error status, a page trueup will not plan from) is the run's
 * failure: reading again would only make the same requests twice.
 */
#include "prefetch.h"
#include "fetch.h"
#include "run_config.h"
#include "util/json_util.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define PREFETCH_MIN_BYTES (64L * 1024L)
#define PREFETCH_POLL_MS 20   /* how often the thread looks at `stop` */

struct tu_prefetch {
    tu_doc doc;               /* the other files */
    tu_target target;         /* ... their target */
    tu_recordset none;        /* no desired records: the fetch lists all */
    pthread_t thread;
    int running;              /* the thread was started and not joined */
    volatile sig_atomic_t stop; /* set: the thread's executor cancels what
                                   it has in flight (its options' cancel) */
    pthread_mutex_t lock;     /* guards finished, for the wait */
    pthread_cond_t ended;     /* signalled as the thread ends */
    int finished;             /* set by the thread as it ends */
    int ok;                   /* it read every live record */
    int read_failed;          /* the read itself failed: `err` says why */
    tu_error err;
    int taken;
    tu_recordset live;
    tu_exec_stats stats;
    tu_exec *exec;            /* the reader's executor, after a full read */
    long concurrency;         /* ... and the concurrency it was made with */
};

/* Mark in large[] the files the prefetch leaves to the load proper: those
 * of PREFETCH_MIN_BYTES or more (records split over several large files
 * would otherwise be parsed twice, and all but one before the read began),
 * or, when every file is that large, the largest alone. 1 when the read is
 * worth a thread (some file is large, some is left to the prefetch), 0
 * when not, or when a file is not a regular one (a pipe, as from <(...),
 * can be read once: the load proper must be the one to read it). */
static int large_files(const char *const *paths, size_t npaths, char *large)
{
    size_t nlarge = 0, biggest = 0;
    off_t size = -1;
    struct stat st;

    if (npaths < 2)                      /* nothing to read beside */
        return 0;
    for (size_t i = 0; i < npaths; i++) {
        if (stat(paths[i], &st) != 0 || !S_ISREG(st.st_mode))
            return 0;
        large[i] = st.st_size >= PREFETCH_MIN_BYTES;
        nlarge += (size_t)large[i];
        if (st.st_size > size) {
            size = st.st_size;
            biggest = i;
        }
    }
    if (nlarge == 0)
        return 0;
    if (nlarge == npaths) {
        memset(large, 0, npaths);
        large[biggest] = 1;
    }
    return 1;
}

static void *prefetch_main(void *arg)
{
    tu_prefetch *pf = arg;
    tu_options o;
    tu_error err = {0};
    long concurrency;
    tu_exec *exec;
    tu_fetch *fetch;
    int failed = 0, stopped = 0;

    tu_options_init(&o);
    exec = tu_run_exec(&pf->doc, &pf->target, &o, &concurrency, &err);
    fetch = exec ? tu_fetch_begin(&pf->target, &pf->none, exec, 0, NULL,
                                  NULL)
                 : NULL;
    if (fetch) {
        while (tu_exec_pending(exec) > 0 && !failed) {
            if (pf->stop && !stopped) /* dropped: no grace, nothing kept */
                tu_exec_cancel(exec, 0), stopped = 1;
            failed = tu_exec_drive(exec, PREFETCH_POLL_MS) < 0;
        }
        pf->ok = tu_fetch_end(fetch, failed, &pf->live, &pf->err) == 0;
        pf->read_failed = !pf->ok && !pf->stop;
        tu_exec_stats_get(exec, &pf->stats);
    }
    if (pf->ok) { /* warm: the run may push through it */
        pf->exec = exec;
        pf->concurrency = concurrency;
    } else {
        tu_exec_free(exec);
    }
    pthread_mutex_lock(&pf->lock);
    pf->finished = 1;
    pthread_cond_signal(&pf->ended);
    pthread_mutex_unlock(&pf->lock);
    return NULL;
}

/* The small files loaded and their target parsed. 0 or -1. */
static int load_small(tu_prefetch *pf, const char *const *paths,
                      size_t npaths, const char *large)
{
    const char **others = malloc(npaths * sizeof *others);
    size_t n = 0;
    tu_error err = {0};
    int rc = -1;

    if (!others)
        return -1;
    for (size_t i = 0; i < npaths; i++)
        if (!large[i])
            others[n++] = paths[i];
    if (tu_doc_load(&pf->doc, others, n, &err) == 0) {
        if (!pf->doc.parts &&  /* a system reads nothing ahead */
            tu_run_target(&pf->target, &pf->doc, &err) == 0)
            rc = 0;
        else
            tu_doc_free(&pf->doc);
    }
    free(others);
    return rc;
}

tu_prefetch *tu_prefetch_start(const char *const *paths, size_t npaths)
{
    char *large = npaths ? calloc(npaths, 1) : NULL;
    tu_prefetch *pf = NULL;
    int ok = large && large_files(paths, npaths, large) &&
             (pf = calloc(1, sizeof *pf)) != NULL;

    if (ok) {
        tu_recordset_init(&pf->none);
        tu_recordset_init(&pf->live);
        ok = load_small(pf, paths, npaths, large) == 0;
    }
    free(large);
    if (!ok) {
        free(pf);
        return NULL;
    }
    pthread_mutex_init(&pf->lock, NULL);
    pthread_cond_init(&pf->ended, NULL);
    if (!(pf->target.ops->fetch_uses_desired &&
          pf->target.ops->fetch_uses_desired(pf->target.cfg)) &&
        pthread_create(&pf->thread, NULL, prefetch_main, pf) == 0) {
        pf->running = 1;
        return pf;
    }
    tu_prefetch_free(pf);
    return NULL;
}

static int same_member(const tu_doc *a, const tu_doc *b, const char *name)
{
    return tu_json_equal(json_object_get(a->root, name),
                         json_object_get(b->root, name));
}

int tu_prefetch_check(const tu_prefetch *pf, const tu_doc *doc)
{
    return same_member(&pf->doc, doc, "target") &&
           same_member(&pf->doc, doc, "settings");
}

static void join(tu_prefetch *pf)
{
    if (pf->running)
        pthread_join(pf->thread, NULL);
    pf->running = 0;
}

/* Wait for the thread, passing on a cancel of the run (the flag a signal
 * handler sets) as it comes: woken as the thread ends, and every 10 ms to
 * look at the flag. The thread no longer needs the lock once `finished`
 * is seen set, so it is joined while the lock is held. */
static void wait_for(tu_prefetch *pf, volatile sig_atomic_t *cancel)
{
    struct timespec until;

    pthread_mutex_lock(&pf->lock);
    while (pf->running && !pf->finished) {
        if (cancel && *cancel)
            pf->stop = 1;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 10 * 1000 * 1000;
        if (until.tv_nsec >= 1000 * 1000 * 1000) {
            until.tv_sec++;
            until.tv_nsec -= 1000 * 1000 * 1000;
        }
        pthread_cond_timedwait(&pf->ended, &pf->lock, &until);
    }
    join(pf); /* under the lock: runs of one tu_desired may race here */
    pthread_mutex_unlock(&pf->lock);
}

int tu_prefetch_take(tu_prefetch *pf, volatile sig_atomic_t *cancel,
                     tu_recordset *live, tu_exec_stats *stats,
                     tu_error *err)
{
    int first;

    wait_for(pf, cancel);
    pthread_mutex_lock(&pf->lock); /* runs of one tu_desired may race */
    first = !pf->taken;
    pf->taken = 1;
    pthread_mutex_unlock(&pf->lock);
    if (pf->stop || !first) /* cancelled: the run says so, as it would */
        return 0;
    if (pf->read_failed) { /* as the run's own read would have */
        *err = pf->err;
        return -1;
    }
    if (!pf->ok)
        return 0;
    *live = pf->live; /* moved */
    tu_recordset_init(&pf->live);
    *stats = pf->stats;
    return 1;
}

tu_exec *tu_prefetch_take_exec(tu_prefetch *pf, long concurrency)
{
    tu_exec *exec = pf->exec; /* only the run that took the records calls */

    pf->exec = NULL;
    if (exec && pf->concurrency != concurrency) {
        tu_exec_free(exec); /* no other run may take it: close it now */
        return NULL;
    }
    return exec;
}

void tu_prefetch_free(tu_prefetch *pf)
{
    if (!pf)
        return;
    pf->stop = 1; /* not needed any more: no waiting for the rest of it */
    join(pf);
    tu_exec_free(pf->exec);
    tu_recordset_free(&pf->live);
    tu_target_free(&pf->target);
    tu_doc_free(&pf->doc);
    pthread_cond_destroy(&pf->ended);
    pthread_mutex_destroy(&pf->lock);
    free(pf);
}
