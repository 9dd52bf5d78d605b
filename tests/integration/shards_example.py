"""The estate of examples/shards/, shared by the tests that run that
example's Ansible playbook (test_ansible.py) and Kubernetes Job
(test_gitops.py) against json-server: the live records to start from, the
records the server must hold at the end, and a copy of the example pointed
at the test's server.
"""

import os
import re
import shutil

from harness import SOURCE_DIR

EXAMPLE_DIR = os.path.join(SOURCE_DIR, "examples", "shards")


def live_records():
    """web1-30 A at ttl 3600 (1-24 get ttl 600, 25-30 are pruned), mail1-3
    MX right already (4-6 are created), one CNAME to prune."""
    out = [{"id": i, "name": "web%d.example.org." % i, "type": "A",
            "content": "192.0.2.%d" % i, "ttl": 3600} for i in range(1, 31)]
    out += [{"id": 100 + i, "name": "mail%d.example.org." % i, "type": "MX",
             "content": "10 web%d.example.org." % i, "ttl": 3600}
            for i in range(1, 4)]
    out.append({"id": 200, "name": "old.example.org.", "type": "CNAME",
                "content": "web1.example.org.", "ttl": 3600})
    return out


def expected_records():
    """{name|type: record without id} once examples/shards/records.yaml is
    applied with prune."""
    out = {}
    for i in range(1, 25):
        out["web%d.example.org.|A" % i] = {
            "name": "web%d.example.org." % i, "type": "A",
            "content": "192.0.2.%d" % i, "ttl": 600}
    for i in range(1, 7):
        out["mail%d.example.org.|MX" % i] = {
            "name": "mail%d.example.org." % i, "type": "MX",
            "content": "10 web%d.example.org." % i, "ttl": 3600}
    return out


def without_ids(records):
    return {"%s|%s" % (r["name"], r["type"]):
            {k: v for k, v in r.items() if k != "id"} for r in records}


def copy_example(dest, base_url, example=EXAMPLE_DIR, target="target.yaml"):
    """The example directory (examples/shards/) copied to `dest`, its
    `target` file pointed at base_url (the only line changed). Returns
    dest."""
    shutil.copytree(example, dest)
    path = os.path.join(dest, target)
    with open(path) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(  base_url: ).*$", r"\g<1>" + base_url, text)
    assert n == 1, "%s has no single base_url line" % path
    with open(path, "w") as f:
        f.write(text)
    return dest
