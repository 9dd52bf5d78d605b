/* run_config.c -- what a run is set up from, below everything that runs:
 * the options' defaults (tu_options_init), the target (its provider found
 * in the registry, then the target parsed for it: tu_run_target) and the
 * executor made from the settings and the options (tu_run_exec).
 *
 * Both the desired-state API (desired.c) and the read that overlaps the
 * load (prefetch.c) set up targets and executors so; keeping it here, under
 * both, is what lets desired.c call prefetch.c and never the other way.
 */
#include "trueup/trueup.h"
#include "run_config.h"
#include "provider.h"

#include <signal.h>
#include <string.h>

void tu_options_init(tu_options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = TU_MODE_PLAN;
    o->prune = -1;
}

int tu_run_target(tu_target *target, const tu_doc *doc, tu_error *err)
{
    const tu_provider_ops *ops = tu_provider_of(doc->target, doc->map, err);

    if (!ops)
        return -1;
    return tu_target_parse(target, ops, doc->target, doc->map, err);
}

static int cancel_requested(void *flag)
{
    return *(volatile sig_atomic_t *)flag != 0;
}

tu_exec *tu_run_exec(const tu_doc *doc, const tu_target *t,
                     const tu_options *o, long *concurrency, tu_error *err)
{
    const tu_settings *s = &doc->settings;
    tu_exec_config cfg;

    tu_exec_config_init(&cfg);
    cfg.concurrency = o->concurrency > 0 ? o->concurrency : s->concurrency;
    cfg.timeout_ms = (long)(s->timeout * 1000);
    cfg.connect_timeout_ms = (long)(s->connect_timeout * 1000);
    cfg.max_attempts = (unsigned)s->retries + 1;
    cfg.retry_base_ms = (long)(s->retry_delay * 1000);
    cfg.retry_max_ms = (long)(s->retry_max_delay * 1000);
    cfg.rate_limit = s->rate_limit;
    cfg.adaptive = s->adaptive;
    cfg.deadline_ms = (long)(s->deadline * 1000);
    cfg.max_body_bytes = (size_t)s->max_response_mb * 1024 * 1024;
    cfg.headers = t->headers;
    cfg.ca_file = t->tls.ca_file;
    cfg.client_cert = t->tls.client_cert;
    cfg.client_key = t->tls.client_key;
    cfg.insecure = t->tls.insecure;
    cfg.http2 = s->http2 == TU_SETTINGS_HTTP2_ON    ? TU_HTTP2_ON
                : s->http2 == TU_SETTINGS_HTTP2_OFF ? TU_HTTP2_OFF
                                                    : TU_HTTP2_AUTO;
    cfg.max_connections = s->max_connections;
    if (o->cancel) {
        cfg.should_stop = cancel_requested;
        cfg.stop_data = (void *)o->cancel;
    }
    *concurrency = cfg.concurrency;
    return tu_exec_new(&cfg, err);
}
