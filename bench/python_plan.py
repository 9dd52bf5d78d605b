"""python_plan.py -- scenario 3's Python baseline: `trueup plan` in Python.

    python3 bench/python_plan.py --list URL --desired records.yaml \
        [records-2.yaml ...] [--key name,type]

What a Python tool that plans like `trueup plan` does, written the usual
fast way: the desired records from trueup's own desired-state file (its
`records` list) with PyYAML's C loader (yaml.CSafeLoader, Debian's
python3-yaml); the live list with one GET (urllib) and json.loads; the live
records in a dict keyed by the key fields' values; each desired record
looked up and its declared fields compared with the live record's (600
equals 600.0, as in trueup). A record missing from the list is a create,
one that differs an update (its changed fields, from and to), the rest
are skipped; nothing is deleted (trueup plan without --prune does not
either). It prints a JSON report of the changes like trueup's: the counts,
then one result per line ({"key", "action", "changes"}).

Python 3 standard library and PyYAML only. Exit status 0, or 1 when the
list cannot be fetched or the file cannot be read.
"""

import argparse
import json
import sys
import urllib.request

import yaml


def load_desired(paths):
    """The `records` of every file, concatenated (as trueup merges them)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    records = []
    for path in paths:
        with open(path) as f:
            records += yaml.load(f, Loader=loader)["records"]
    return records


def fetch_live(url, timeout):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def diff(desired, live, keys):
    """The report of the changes: counts and one result per change."""
    index = {tuple(rec.get(k) for k in keys): rec for rec in live}
    results = []
    counts = {"total": len(desired), "created": 0, "updated": 0,
              "skipped": 0}
    for want in desired:
        key = tuple(want.get(k) for k in keys)
        have = index.get(key)
        label = "/".join(str(v) for v in key)
        if have is None:
            counts["created"] += 1
            results.append({"key": label, "action": "create",
                            "changes": want})
            continue
        changes = {f: {"from": have.get(f), "to": v}
                   for f, v in want.items()
                   if f not in keys and have.get(f) != v}
        if changes:
            counts["updated"] += 1
            results.append({"key": label, "action": "update",
                            "changes": changes})
        else:
            counts["skipped"] += 1
    return counts, results


def write_report(counts, results, out):
    head = dict(mode="plan", **counts)
    out.write(json.dumps(head)[:-1] + ', "results": [\n')
    out.write(",\n".join(json.dumps(r, separators=(",", ":"))
                         for r in results))
    out.write("\n]}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", required=True, help="URL of the live list")
    ap.add_argument("--desired", required=True, nargs="+",
                    help="trueup's desired-state YAML files (their "
                    "`records`)")
    ap.add_argument("--key", default="name,type")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    try:
        desired = load_desired(args.desired)
        live = fetch_live(args.list, args.timeout)
    except (OSError, ValueError, yaml.YAMLError) as e:
        print("python_plan: error: %s" % e, file=sys.stderr)
        return 1
    counts, results = diff(desired, live, args.key.split(","))
    write_report(counts, results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
