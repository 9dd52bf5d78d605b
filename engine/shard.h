/* shard.h -- splitting the records between N runs (--shard I/N).
 *
 * A record belongs to shard hash(shard key) mod N, where the shard key is
 * what the provider says (PowerDNS: the record's zone) or else the
 * record's key, and the hash is FNV-1a 64 (tu_strmap_hash): the same on
 * every machine and every run, so N runs with I = 0 .. N-1 cover every
 * record exactly once. A run keeps only its shard's desired and live
 * records, so its plan, its prune and its thresholds are about its shard
 * alone.
 */
#ifndef TU_ENGINE_SHARD_H
#define TU_ENGINE_SHARD_H

#include "target.h"
#include "state/record.h"

/* The shard (0 .. count - 1) of a record. */
long tu_shard_of(const tu_target *target, const tu_record *record,
                 long count);

/* Into `out`, the records of `in` in shard `index` of `count`. 0, or -1
 * with err set (out of memory). */
int tu_shard_filter(const tu_target *target, const tu_recordset *in,
                    long index, long count, tu_recordset *out,
                    tu_error *err);

/* 0 when the options' shard is none or valid, else -1 with err set. */
int tu_shard_check(const tu_options *options, tu_error *err);

#endif
