"""peer_aiohttp.py -- the Python peer: a bulk update as people write it today.

    python3 bench/peer_aiohttp.py --list URL --update URL_WITH_{id} \
        --desired desired.json --concurrency C [--key name,type]
    python3 bench/peer_aiohttp.py ... --desired records.yaml   (PyYAML)
    python3 bench/peer_aiohttp.py ... --create URL --cafile CERT    (HTTPS)

Needs aiohttp (Debian's python3-aiohttp: run it with /usr/bin/python3 when
another python3 comes first on PATH; bench/run finds one that has it).

It does the job trueup does, the usual way: one aiohttp ClientSession with a
TCPConnector(limit=C) (connections are reused), GET the live list, index it
by key, compare every desired record's declared fields, and PATCH only the
changed fields of the records that differ, at most C at a time (an
asyncio.Semaphore(C) around each request, all of them gathered at once).
The bodies are byte for byte what trueup sends (compact JSON of the changed
fields) with Content-Type: application/json. Its input is JSON by default:
json is much faster in Python than a YAML loader, so this favours the peer.
Given a .yaml/.yml file instead, it reads the `records` of trueup's own
desired-state file with PyYAML's C loader (yaml.CSafeLoader, Debian's
python3-yaml), as a Python tool with YAML input would.

--create URL: records missing from the live list are created, one POST of
the desired record each (what trueup sends), at most C at a time like the
PATCHes; without it they count as failed. --cafile: over HTTPS, trust this
certificate (an ssl.SSLContext given to the connector; aiohttp speaks
HTTP/1.1 only).

It prints one JSON object on stdout: total, succeeded, skipped, failed,
requests, write_requests and elapsed_s (time after the imports and the
reading of the desired file; bench/run measures the whole process too).
Exit status 0 when every request succeeded, 3 when some failed, 1 on error.
"""

import argparse
import asyncio
import json
import sys
import time

import aiohttp


def ssl_context(cafile):
    if not cafile:
        return None
    import ssl
    return ssl.create_default_context(cafile=cafile)


def plan(args, desired, index, keys, counts):
    """(method, url, body) of every write, counting the skipped and the
    creates that cannot be made."""
    todo = []
    for want in desired:
        have = index.get(tuple(want.get(k) for k in keys))
        if have is None:
            if args.create:
                todo.append(("POST", args.create, json.dumps(
                    want, separators=(",", ":"))))
            else:
                counts["failed"] += 1      # creates are not part of the job
            continue
        changes = {f: v for f, v in want.items()
                   if f not in keys and have.get(f) != v}
        if changes:
            todo.append(("PATCH", args.update.replace("{id}", str(have["id"])),
                         json.dumps(changes, separators=(",", ":"))))
        else:
            counts["skipped"] += 1
    return todo


async def run(args, desired):
    keys = args.key.split(",")
    counts = {"total": len(desired), "succeeded": 0, "skipped": 0,
              "failed": 0, "requests": 0, "write_requests": 0}
    connector = aiohttp.TCPConnector(limit=args.concurrency,
                                     limit_per_host=args.concurrency,
                                     ssl=ssl_context(args.cafile))
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=timeout) as session:
        async with session.get(args.list) as resp:
            counts["requests"] += 1
            resp.raise_for_status()
            live = await resp.json(content_type=None)
        index = {}
        for rec in live:
            index[tuple(rec.get(k) for k in keys)] = rec
        todo = plan(args, desired, index, keys, counts)
        sem = asyncio.Semaphore(args.concurrency)

        async def write(method, url, body):
            async with sem:
                async with session.request(method, url, data=body,
                                           headers=headers) as r:
                    await r.read()
                    return r.status

        results = await asyncio.gather(*(write(*w) for w in todo),
                                       return_exceptions=True)
        counts["requests"] += len(todo)
        counts["write_requests"] = len(todo)
        for r in results:
            if isinstance(r, int) and 200 <= r <= 299:
                counts["succeeded"] += 1
            else:
                counts["failed"] += 1
                if "error" not in counts:
                    counts["error"] = repr(r)
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", required=True, help="URL of the live list")
    ap.add_argument("--update", required=True,
                    help="PATCH URL, {id} standing for the record's id")
    ap.add_argument("--desired", required=True, help="JSON array of records")
    ap.add_argument("--create", help="POST URL for records not in the list")
    ap.add_argument("--cafile", help="HTTPS: the certificate to trust")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--key", default="name,type")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    with open(args.desired) as f:
        if args.desired.endswith((".yaml", ".yml")):
            import yaml
            desired = yaml.load(f, Loader=getattr(yaml, "CSafeLoader",
                                                  yaml.SafeLoader))["records"]
        else:
            desired = json.load(f)
    t0 = time.monotonic()
    try:
        counts = asyncio.run(run(args, desired))
    except Exception as e:  # the list could not be fetched, and such
        print("peer_aiohttp: error: %r" % e, file=sys.stderr)
        return 1
    counts["elapsed_s"] = round(time.monotonic() - t0, 4)
    print(json.dumps(counts))
    return 3 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
