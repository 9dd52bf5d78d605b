#!/usr/bin/env python3
"""python_faces.py -- scenario 7 of bench/run: trueup's Python faces.

    PYTHONPATH=BUILD/python python3 bench/python_faces.py sync \
        --job TARGET RECORDS --expect N
    PYTHONPATH=BUILD/python python3 bench/python_faces.py gather \
        --job TARGET1 RECORDS1 --job TARGET2 RECORDS2 ... --expect N

sync: one trueup.Reconciler made from the two desired-state files (as
`trueup apply TARGET RECORDS` takes them), then its blocking apply().

gather: one trueup.AsyncReconciler per --job, all made first, then every
apply() under one asyncio.gather in this one process (one event loop, one
thread); each job is its own target (its own list URL) and its own records.

Standard library and the trueup package only (bench/run puts the build's
python/ directory on PYTHONPATH). It checks the outcome: every job's report
must have total == succeeded == updated == write_requests == its --expect
share, no failure, nothing created or deleted. It prints one JSON object on
stdout: mode, runs, the counts summed over the runs (total, succeeded,
updated, skipped, failed, created, deleted, write_requests, requests), the
in-script timings import_s (from this script's first line through `import
trueup`: the standard modules and the package; asyncio is imported by
run_gather alone, as a program using only the blocking face would not
import it, and neither does the package), load_s (the reconcilers made:
the files loaded and checked), run_s (the applies), elapsed_s (from this
script's first line to the print) and report_elapsed_ms (the report's own
elapsed; for gather the longest run's), and problems (empty when all is
well). Exit status 0 when all is well, 3 when a count is wrong, 1 on error.
"""

import time

T0 = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

COUNTS = ("total", "succeeded", "updated", "skipped", "failed", "created",
          "deleted", "write_requests", "requests")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("sync", "gather"))
    ap.add_argument("--job", nargs=2, action="append", required=True,
                    metavar=("TARGET", "RECORDS"))
    ap.add_argument("--expect", type=int, required=True,
                    help="records changed in all the jobs together")
    return ap.parse_args(argv)


def run_sync(trueup, jobs):
    """(load_s, run_s, reports): one blocking Reconciler per job, applied
    one after another (bench/run gives sync one job)."""
    t = time.monotonic()
    recs = [trueup.Reconciler(target, records) for target, records in jobs]
    loaded = time.monotonic()
    reports = [r.apply() for r in recs]
    return loaded - t, time.monotonic() - loaded, reports


def run_gather(trueup, jobs):
    """(load_s, run_s, reports): every job's AsyncReconciler applied under
    one asyncio.gather."""
    import asyncio
    t = time.monotonic()
    recs = [trueup.AsyncReconciler(target, records)
            for target, records in jobs]
    loaded = time.monotonic()

    async def together():
        return await asyncio.gather(*(r.apply() for r in recs))
    reports = asyncio.run(together())
    return loaded - t, time.monotonic() - loaded, reports


def problems_of(reports, expect):
    """What is wrong with the reports, given `expect` changes in all."""
    shares = [expect // len(reports)] * len(reports)
    shares[-1] += expect - sum(shares)
    problems = []
    for k, (rep, want) in enumerate(zip(reports, shares)):
        for field, value in (("total", want), ("succeeded", want),
                             ("updated", want), ("write_requests", want),
                             ("failed", 0), ("created", 0), ("deleted", 0)):
            if getattr(rep, field) != value:
                problems.append("run %d: %s = %r, expected %r"
                                % (k, field, getattr(rep, field), value))
    return problems


def main(argv):
    args = parse_args(argv)
    import trueup
    import_s = time.monotonic() - T0
    fn = run_sync if args.mode == "sync" else run_gather
    load_s, run_s, reports = fn(trueup, args.job)
    out = {"mode": args.mode, "runs": len(reports)}
    for field in COUNTS:
        out[field] = sum(getattr(r, field) for r in reports)
    out.update(import_s=import_s, load_s=load_s, run_s=run_s,
               report_elapsed_ms=max(r.elapsed_ms for r in reports),
               problems=problems_of(reports, args.expect))
    out["elapsed_s"] = time.monotonic() - T0
    print(json.dumps(out))
    return 3 if out["problems"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
