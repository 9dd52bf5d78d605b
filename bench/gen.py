"""gen.py -- the benchmark's data: live lists, desired state, peers' inputs.

Python 3 standard library only; used by bench/run, usable alone:

    python3 bench/gen.py --out DIR --name s1 --count 10000 --changed 10000

writes, for records 1..count:

    DIR/www/data/NAME.json   the live list nginx serves at /data/NAME.json:
                             a JSON array of {"id", "name", "type", "content",
                             "ttl": 3600}, one record per line
    DIR/NAME.records.yaml    the desired records for trueup: `records:` with
                             one YAML flow mapping per line, {name, type,
                             content, ttl} (plain scalars, as people write
                             them); `changed` of them ask for ttl 600, the
                             others repeat the live ttl 3600
    DIR/NAME.desired.json    the same desired records as a JSON array: the
                             Python peer's input (it reads JSON, which is
                             faster for it than YAML would be)
    write_curl_config()      one PATCH per changed record (or one POST per
                             record to create) for `curl --parallel -K`
                             (bench/run writes it, as it needs the
                             server's port)

The records that change are spread evenly over the list (record i changes
when floor(i * changed / count) moves), so a 10% change is every tenth
record. What trueup sends for a changed record is PATCH {update_path}{id}
with the body {"ttl":600} (only the changed field); the peers send exactly
that too.

The target file (tiny, it names the server's port) is written per run by
target_yaml().
"""

import argparse
import json
import os
import random

LIVE_TTL = 3600
NEW_TTL = 600


def name_of(i):
    return "host%d.example.org." % i


def content_of(i):
    return "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)


def is_changed(i, count, changed):
    """Record i (1-based) of `count` is one of the `changed` evenly spread."""
    if changed <= 0:
        return False
    if changed >= count:
        return True
    return (i * changed) // count != ((i - 1) * changed) // count


def changed_ids(count, changed):
    return [i for i in range(1, count + 1) if is_changed(i, count, changed)]


def write_live(path, count, first=1):
    """The live list: a JSON array, one record per line (records
    first..count)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("[\n")
        chunk = []
        for i in range(first, count + 1):
            chunk.append('{"id":%d,"name":"%s","type":"A","content":"%s",'
                         '"ttl":%d}%s\n' % (i, name_of(i), content_of(i),
                                            LIVE_TTL,
                                            "," if i < count else ""))
            if len(chunk) >= 10000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))
        f.write("]\n")
    return path


def desired_ttl(i, count, changed):
    return NEW_TTL if is_changed(i, count, changed) else LIVE_TTL


def write_desired_yaml(path, count, changed, first=1, last=None):
    """`records:` with one flow mapping per line: records first..last (by
    default ..count) of the `count` whose `changed` are spread evenly."""
    with open(path, "w") as f:
        f.write("records:\n")
        chunk = []
        for i in range(first, (last or count) + 1):
            chunk.append("  - {name: %s, type: A, content: %s, ttl: %d}\n"
                         % (name_of(i), content_of(i),
                            desired_ttl(i, count, changed)))
            if len(chunk) >= 10000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))
    return path


def shuffled_copy(path, out, seed=27):
    """A copy of a records file of write_desired_yaml with its records in
    a shuffled order (the same records, the same first line)."""
    with open(path) as f:
        head, records = f.readline(), f.readlines()
    random.Random(seed).shuffle(records)
    with open(out, "w") as f:
        f.write(head)
        f.writelines(records)
    return out


def write_desired_json(path, count, changed):
    with open(path, "w") as f:
        f.write("[\n")
        for i in range(1, count + 1):
            f.write('{"name":"%s","type":"A","content":"%s","ttl":%d}%s\n'
                    % (name_of(i), content_of(i),
                       desired_ttl(i, count, changed),
                       "," if i < count else ""))
        f.write("]\n")
    return path


def patch_body():
    """What trueup sends for a changed record: only the changed field."""
    return json.dumps({"ttl": NEW_TTL}, separators=(",", ":"))


def create_body(i):
    """What trueup sends to create record i: the desired record."""
    return json.dumps({"name": name_of(i), "type": "A",
                       "content": content_of(i), "ttl": NEW_TTL},
                      separators=(",", ":"))


def write_curl_config(path, base_url, update_path, ids, shared=True,
                      method="PATCH", body=None, options=()):
    """The PATCHes of `ids` for `curl --parallel --parallel-max C -K path`:
    PATCH base_url + update_path + id with trueup's body and Content-Type,
    each answer to /dev/null.

    shared=True (what bench/run uses): one set of options (request, data,
    header) followed by every `url` and its `output`; curl sends the same
    body to each URL. That is the fastest way to give curl this job (every
    body here is the same), about 15% less CPU and a fifth of the memory of
    the general form. shared=False: the general form for bodies that differ,
    every transfer's options repeated, `next` between them.

    method and body (default: trueup's PATCH body) change the request: the
    creates of scenario 6 are POSTs of one record's body to update_path
    (ids then only count the requests). `options` are more config lines
    (e.g. 'cacert = "FILE"', 'http2'), given once."""
    body = (body or patch_body()).replace("\\", "\\\\").replace('"', '\\"')
    opts = ('request = "%s"\ndata = "%s"\n'
            'header = "Content-Type: application/json"\n' % (method, body) +
            "".join(o + "\n" for o in options))
    per_id = method != "POST"
    with open(path, "w") as f:
        chunk = [opts] if shared else []
        for n, i in enumerate(ids):
            if not shared:
                chunk.append(("next\n" if n else "") + opts)
            chunk.append('url = "%s%s%s"\noutput = "/dev/null"\n'
                         % (base_url, update_path, i if per_id else ""))
            if len(chunk) >= 20000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))
    return path


def target_yaml(base_url, list_path, update_path, concurrency, retries=3,
                timeout=60, create_path=None, http2=None, ca_file=None,
                max_response_mb=None):
    """The target and settings of a run (records live in another file).
    create_path: also `create: POST create_path`; http2: settings.http2
    (auto, on, off; None: not set, for binaries without it); ca_file: the
    certificate to trust over HTTPS; max_response_mb: the setting, for a
    list larger than its default allows."""
    tls = "  tls: {ca_file: %s}\n" % json.dumps(ca_file) if ca_file else ""
    create = ("    create: POST %s\n" % create_path) if create_path else ""
    settings = (", http2: %s" % http2) if http2 else ""
    if max_response_mb:
        settings += ", max_response_mb: %d" % max_response_mb
    return (
        "target:\n"
        "  provider: rest\n"
        "  base_url: %s\n"
        "%s"
        "  resource:\n"
        "    list: %s\n"
        "    paginate: none\n"
        "    key: [name, type]\n"
        "    id: id\n"
        "    update: PATCH %s{id}\n"
        "%s"
        "settings: {concurrency: %d, timeout: %d, retries: %d%s}\n"
        % (base_url, tls, list_path, update_path, create, concurrency,
           timeout, retries, settings))


def generate(out, name, count, changed, desired_json=True):
    """The live list and the desired records of one data set; returns their
    paths."""
    paths = {
        "live": write_live(os.path.join(out, "www", "data", name + ".json"),
                           count),
        "records": write_desired_yaml(
            os.path.join(out, name + ".records.yaml"), count, changed),
    }
    if desired_json:
        paths["desired_json"] = write_desired_json(
            os.path.join(out, name + ".desired.json"), count, changed)
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--changed", type=int, required=True)
    a = ap.parse_args()
    for k, v in generate(a.out, a.name, a.count, a.changed).items():
        print(k, v)


if __name__ == "__main__":
    main()
