/* prefetch.h -- reading the live records while the desired records load.
 *
 * A desired state of a million records takes seconds to load, and reading
 * the live list takes seconds too; on two cores they can overlap. The
 * target and settings usually sit in a small file of their own, with the
 * records in large ones: tu_prefetch_start loads the small files (every
 * file but the largest when all are large), and when they hold the whole
 * target, starts reading the live
 * records on a thread of its own while the caller loads all the files as
 * usual. Once loaded, tu_prefetch_check keeps the prefetch only if the
 * complete document has the same target and settings as the files it
 * started from (else it is dropped and the run reads the live records
 * itself); the first run then takes the records with tu_prefetch_take.
 *
 * The thread has its own executor, target and record set, and shares
 * nothing with the caller until tu_prefetch_take joins it. After a full
 * read its executor is kept, so that the run can take it with its
 * connections, TLS sessions and CA store (tu_prefetch_take_exec).
 */
#ifndef TU_ENGINE_PREFETCH_H
#define TU_ENGINE_PREFETCH_H

#include <signal.h>
#include "executor.h"
#include "state/desired.h"
#include "state/record.h"

typedef struct tu_prefetch tu_prefetch;

/* Start reading the live records of the small files of `paths` (under
 * 64 KiB; every file but the largest when all are larger), when that is
 * worth a thread (two files or more, one at least 64 KiB, the small ones
 * naming a complete target whose provider lists its records); NULL
 * otherwise, and on any error (the load proper reports errors). */
tu_prefetch *tu_prefetch_start(const char *const *paths, size_t npaths);

/* 1 when the prefetch read what `doc` (the whole document) would read:
 * the same target and settings. */
int tu_prefetch_check(const tu_prefetch *pf, const tu_doc *doc);

/* Wait for the thread, stopping it when *cancel (may be NULL) becomes
 * set; when it read every live record, move them into *live, its
 * executor's figures into *stats, and return 1. -1 with *err when the
 * read failed (the run fails so, as its own read would have). 0 when it
 * could not start reading, was cancelled or was taken before (the run
 * then reads the records itself, or finds itself cancelled). */
int tu_prefetch_take(tu_prefetch *pf, volatile sig_atomic_t *cancel,
                     tu_recordset *live, tu_exec_stats *stats,
                     tu_error *err);

/* After tu_prefetch_take returned 1: the executor that read the records,
 * if it was made with `concurrency` (from the same target and settings,
 * as tu_prefetch_check made sure), for the run to push through; the
 * caller owns it. Its figures include the read: the stats that
 * tu_prefetch_take gave are then not to be added again. NULL when it was
 * made otherwise (it is then freed, its connections closed) or was taken
 * before. Its deadline and cancel are the
 * prefetch's (none): tu_exec_stop_like gives it the run's. */
tu_exec *tu_prefetch_take_exec(tu_prefetch *pf, long concurrency);

/* Stop the thread (if still running), wait for it, free everything. */
void tu_prefetch_free(tu_prefetch *pf);

#endif
