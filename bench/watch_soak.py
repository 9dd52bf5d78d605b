#!/usr/bin/env python3
"""bench/watch_soak.py -- trueup watch over many passes: memory and file
descriptors must stay flat.

    bench/watch_soak.py [--trueup PATH] [--passes 1000] [--records 200]
                        [--interval 0.05] [--json FILE]

Starts a json-server (the tests' harness) with RECORDS records and one
`trueup watch --apply` on a short interval, and, while it runs PASSES
passes: makes drift behind its back every 25 passes (so that applies, not
only plans, run), rewrites its desired-state file every 100 passes (a
reload), and scrapes /metrics, /healthz and /readyz a few times a second
(the HTTP server's connections). It samples the process's resident memory
(VmRSS) and open descriptors (/proc/PID/fd) after 10% of the passes
(warmed up) and at the end, prints them, and exits 1 when either grew:
more than 1 MiB of RSS, or any descriptor. Python 3 standard library only;
about a minute at the defaults. bench/LOG.md records runs.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from harness import JsonServer, host, write_desired  # noqa: E402
from watch_process import WatchProcess, want  # noqa: E402


def sample(pid):
    with open("/proc/%d/status" % pid) as f:
        rss = [int(x.split()[1]) for x in f if x.startswith("VmRSS:")][0]
    return {"rss_kib": rss, "fds": len(os.listdir("/proc/%d/fd" % pid))}


def scrape(w):
    for path in ("/metrics", "/healthz", "/readyz"):
        try:
            w.get(path)
        except OSError:
            pass


def soak(args, tmp):
    server = JsonServer([host(i) for i in range(1, args.records + 1)],
                        tmpdir=tmp).start()
    path = os.path.join(tmp, "set.yaml")
    records = [want(i) for i in range(1, args.records + 1)]
    write_desired(path, server.url, records)
    w = WatchProcess(["--apply", "--interval", str(args.interval),
                      "soak=" + path], tmp).start()
    samples, drift = {}, 0
    try:
        while True:
            n = w.passes("soak")
            if n >= args.passes:
                break
            if n // 25 > drift:
                drift = n // 25
                server.request("PATCH", "/records/%d" % (drift % args.records
                                                        + 1), {"ttl": 1})
                if drift % 4 == 0:
                    write_desired(path, server.url, records)
            if n >= args.passes // 10 and "warm" not in samples:
                samples["warm"] = dict(sample(w.proc.pid), passes=n)
            scrape(w)
            time.sleep(0.2)
        samples["end"] = dict(sample(w.proc.pid), passes=w.passes("soak"))
        samples["outcomes"] = {o: w.passes("soak", o) for o in
                               ("ok", "failed", "refused", "error")}
    finally:
        w.stop()
        server.cleanup()
    samples["exit"] = w.code
    return samples


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trueup", default=os.environ.get("TRUEUP") or
                   os.path.join(HERE, "..", "build", "trueup"))
    p.add_argument("--passes", type=int, default=1000)
    p.add_argument("--records", type=int, default=200)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--json")
    args = p.parse_args()
    os.environ["TRUEUP"] = os.path.abspath(args.trueup)
    tmp = tempfile.mkdtemp(prefix="watch-soak-")
    started = time.monotonic()
    try:
        s = soak(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    s["seconds"] = round(time.monotonic() - started, 1)
    print("| when | passes | VmRSS KiB | fds |\n|---|---|---|---|")
    for k in ("warm", "end"):
        print("| %s | %d | %d | %d |" % (k, s[k]["passes"], s[k]["rss_kib"],
                                         s[k]["fds"]))
    print("outcomes %s, exit %s, %.1f s" % (s["outcomes"], s["exit"],
                                            s["seconds"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(s, f, indent=2)
    grew = (s["end"]["rss_kib"] - s["warm"]["rss_kib"] > 1024 or
            s["end"]["fds"] > s["warm"]["fds"])
    bad = s["exit"] != 0 or s["outcomes"]["error"] or s["outcomes"]["failed"]
    if grew or bad:
        print("NOT FLAT" if grew else "A PASS FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
