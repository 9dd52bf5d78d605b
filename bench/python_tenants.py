#!/usr/bin/env python3
"""bench/python_tenants.py -- the Python package against the command, and
several AsyncReconciler runs in one loop against the same runs one after
another (bench/LOG.md, "Python").

    /usr/bin/python3 bench/python_tenants.py [--build BUILD] [--records N]
        [--tenants T] [--concurrency C] [--latency S] [--reps R]

A private nginx (tests/integration/nginx_server.py) serves T tenants'
lists of N records (/tK/records) and answers every PATCH after S seconds.
Each run changes every record's TTL (nginx keeps nothing, so every run
has N changes). Prints the wall time of: the trueup command, Reconciler,
AsyncReconciler (one tenant each), then the T tenants' applies under one
asyncio.gather and the same applies awaited one after another. Ideal
times: N / C x S for one tenant; the same for the gather; T times that one
after another. Needs Debian's nginx with the echo module and python3-yaml.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from nginx_server import NginxServer  # noqa: E402

LOCATIONS = """
location ~ ^/t[0-9]+/records$ { root {DIR}/www; }
location ~ ^/t[0-9]+/records/ {
    echo_read_request_body; echo_sleep %s; echo '{"ok":true}';
}
"""


def document(base_url, tenant, n, concurrency):
    res = "/t%d/records" % tenant
    return {"target": {"provider": "rest", "base_url": base_url,
                       "resource": {"list": res, "key": ["name", "type"],
                                    "id": "id", "create": "POST " + res,
                                    "update": "PATCH %s/{id}" % res,
                                    "delete": "DELETE %s/{id}" % res}},
            "settings": {"concurrency": concurrency},
            "records": [{"name": "h%d." % i, "type": "A", "ttl": 600}
                        for i in range(n)]}


def timed(fn):
    start = time.monotonic()
    result = fn()
    return time.monotonic() - start, result


def one_rep(trueup, args, docs, yaml_path):
    n = args.records

    async def gather():
        runs = [trueup.AsyncReconciler(d).apply() for d in docs]
        return await asyncio.gather(*runs)

    async def one_by_one():
        return [await trueup.AsyncReconciler(d).apply() for d in docs]

    async def single():
        return await trueup.AsyncReconciler(docs[0]).apply()
    cli, _ = timed(lambda: subprocess.run(
        [os.path.join(args.build, "trueup"), "apply", "-q", yaml_path],
        check=True))
    sync, r1 = timed(lambda: trueup.Reconciler(docs[0]).apply())
    one, r2 = timed(lambda: asyncio.run(single()))
    together, r3 = timed(lambda: asyncio.run(gather()))
    apart, r4 = timed(lambda: asyncio.run(one_by_one()))
    for report in [r1, r2] + r3 + r4:
        assert report.succeeded == n, report
    return cli, sync, one, together, apart


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(REPO, "build"))
    p.add_argument("--records", type=int, default=200)
    p.add_argument("--tenants", type=int, default=4)
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--latency", type=float, default=0.2)
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))
    import trueup
    import yaml

    srv = NginxServer(LOCATIONS % args.latency).start()
    try:
        docs = []
        for t in range(args.tenants):
            os.makedirs(srv.path("www/t%d" % t))
            with open(srv.path("www/t%d/records" % t), "w") as f:
                json.dump([{"id": i, "name": "h%d." % i, "type": "A",
                            "ttl": 3600} for i in range(args.records)], f)
            docs.append(document(srv.url(""), t, args.records,
                                 args.concurrency))
        yaml_path = srv.path("tenant0.yaml")
        with open(yaml_path, "w") as f:
            yaml.safe_dump(docs[0], f)
        ideal = args.records / args.concurrency * args.latency
        print("%d records a tenant, %d tenants, concurrency %d, %.3f s "
              "latency: ideal %.2f s a tenant, %.2f s one after another"
              % (args.records, args.tenants, args.concurrency, args.latency,
                 ideal, ideal * args.tenants))
        for rep in range(args.reps):
            cli, sync, one, together, apart = one_rep(trueup, args, docs,
                                                      yaml_path)
            print("rep %d: command %.2f s, Reconciler %.2f s, "
                  "AsyncReconciler %.2f s | %d tenants: gather %.2f s, "
                  "one after another %.2f s"
                  % (rep, cli, sync, one, args.tenants, together, apart))
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
