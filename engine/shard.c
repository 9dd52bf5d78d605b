/* shard.c -- a stable split of the records between N runs (see shard.h). */
#include "shard.h"
#include "state/error.h"
#include "util/strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long tu_shard_of(const tu_target *t, const tu_record *r, long count)
{
    const char *key = t->ops->shard_key ? t->ops->shard_key(t->cfg, r)
                                        : NULL;
    return (long)(tu_strmap_hash(key ? key : r->key) % (uint64_t)count);
}

typedef struct shard_want {
    const tu_target *target;
    long index, count;
} shard_want;

static int in_shard(const tu_record *r, void *data)
{
    const shard_want *w = data;
    return tu_shard_of(w->target, r, w->count) == w->index;
}

int tu_shard_filter(const tu_target *t, const tu_recordset *in, long index,
                    long count, tu_recordset *out, tu_error *err)
{
    shard_want want = {t, index, count};
    if (tu_recordset_filter(out, in, in_shard, &want) == 0)
        return 0;
    tu_error_set(err, TU_ERR_NOMEM, "out of memory while sharding");
    return -1;
}

int tu_shard_parse(const char *text, long *index, long *count,
                   tu_error *err)
{
    char *end;
    long i, n;

    tu_error_clear(err);
    i = strtol(text, &end, 10);
    if (end != text && *end == '/' && end[1] >= '0' && end[1] <= '9') {
        const char *slash = end + 1;
        n = strtol(slash, &end, 10);
        if (!*end && n >= 1 && n <= 1000000 && i >= 0 && i < n &&
            text[0] >= '0' && text[0] <= '9') {
            *index = i;
            *count = n;
            return 0;
        }
    }
    tu_error_set(err, TU_ERR_BAD_INPUT, "shard '%.40s' is not I/N with 0 <= "
                 "I < N <= 1000000 (I counts from 0, as a Kubernetes "
                 "JOB_COMPLETION_INDEX does: 0/4 1/4 2/4 3/4 cover all)",
                 text);
    return -1;
}

int tu_shard_check(const tu_options *o, tu_error *err)
{
    if (o->shard_count == 0 ||
        (o->shard_count > 0 && o->shard_index >= 0 &&
         o->shard_index < o->shard_count))
        return 0;
    tu_error_set(err, TU_ERR_BAD_INPUT, "shard %ld/%ld: the index must be "
                 "from 0 to the count less one", o->shard_index,
                 o->shard_count);
    return -1;
}
