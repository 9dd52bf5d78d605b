#!/usr/bin/env python3
"""Porkbun's API v3 through requests of any shape (docs/desired-state.md,
"Requests of any shape"): every call is a POST whose JSON body holds the
API keys, read from the environment; the list too (POST /dns/retrieve),
and create, edit and delete, whose body templates send the keys beside
the record's values and the subdomain as `name`. The keys never appear in
trueup's output.

Runs trueup against porkbun_sim.Porkbun (in-process, free port).

Later parts of issue 21 will simplify this file (docs/internals/any-api.md):
  - strip_suffix (section 3): `name: {strip_suffix: ".{domain}"}` writes the
    subdomain, so the records need no `sub` field (ignored here, and named
    by the body templates as name: "{sub}");
  - compare: number (section 3): TTLs may be declared as numbers; here they
    are strings, as Porkbun lists them;
  - errors inside a success (section 4): `success: {path: status, ...}`.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (records_yaml, run_trueup, temp_dir,  # noqa: E402
                     trueup_available, trueup_binary, write_yaml)
from porkbun_sim import Porkbun  # noqa: E402

KEY, SECRET = "pk1_0123456789abcdef", "sk1_fedcba9876543210"
ENV = {"PORKBUN_API_KEY": KEY, "PORKBUN_SECRET_API_KEY": SECRET}

TARGET = """\
target:
  provider: rest
  base_url: %s
  vars: {domain: example.com}
  resource:
    list:
      request: POST /dns/retrieve/{domain}
      body: &keys
        apikey: "{env.PORKBUN_API_KEY}"
        secretapikey: "{env.PORKBUN_SECRET_API_KEY}"
    items: records
    key: [name, type]
    id: id
    ignore: [sub]
    create:
      request: POST /dns/create/{domain}
      body: {<<: *keys, name: "{sub}"}
    update:
      request: POST /dns/edit/{domain}/{id}
      body: {<<: *keys, name: "{sub}"}
    delete:
      request: POST /dns/delete/{domain}/{id}
      body: *keys
settings: {prune: true}
"""


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def rec(sub, rtype, content, ttl="600"):
    return {"name": sub + ".example.com" if sub else "example.com",
            "sub": sub, "type": rtype, "content": content, "ttl": ttl}


class PorkbunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-pb-")
        self.pb = Porkbun(domains={"example.com": [
            {"name": "www.example.com", "type": "A", "content": "192.0.2.1"},
            {"name": "old.example.com", "type": "A", "content": "192.0.2.9"},
            {"name": "example.com", "type": "MX", "content": "mx.example.com",
             "prio": 10},
        ]}, apikey=KEY, secretapikey=SECRET).start()
        self.addCleanup(self.pb.stop)

    def write(self, records):
        text = TARGET % self.pb.url
        if records is not None:
            text += records_yaml(records)
        return write_yaml(os.path.join(self.tmp, "d.yaml"), text)

    def test_list_create_edit_delete_by_post_with_the_keys(self):
        f = self.write([rec("www", "A", "192.0.2.2", "3600"),
                        rec("", "MX", "mx.example.com"),
                        rec("new", "A", "192.0.2.3"),
                        rec("", "TXT", "v=spf1 -all")])
        run = run_trueup(["apply", f], env=ENV)
        self.assertEqual(run.code, 0, run.describe())
        for text in (run.stdout, run.stderr):
            self.assertNotIn(KEY, text)
            self.assertNotIn(SECRET, text)
        got = sorted((r["name"], r["type"], r["content"], r["ttl"])
                     for r in self.pb.records("example.com"))
        self.assertEqual(got, [
            ("example.com", "MX", "mx.example.com", "600"),
            ("example.com", "TXT", "v=spf1 -all", "600"),
            ("new.example.com", "A", "192.0.2.3", "600"),
            ("www.example.com", "A", "192.0.2.2", "3600")])
        calls = self.pb.requests()
        self.assertEqual({r.method for r in calls}, {"POST"})
        for r in calls:
            self.assertEqual((r.json["apikey"], r.json["secretapikey"]),
                             (KEY, SECRET), r.path)
            self.assertEqual(r.headers["content-type"], "application/json")
        ops = sorted(r.path.split("/")[5] for r in self.pb.writes())
        self.assertEqual(ops, ["create", "create", "delete", "edit"])
        creates = sorted(r.json["name"] for r in self.pb.writes()
                         if "/dns/create/" in r.path)
        self.assertEqual(creates, ["", "new"])
        again = run_trueup(["apply", f], env=ENV)
        self.assertEqual(again.code, 0, again.describe())
        self.assertEqual(len(self.pb.writes()), 4, "a second run writes")

    def test_the_list_without_its_keys_fails(self):
        f = self.write([rec("www", "A", "192.0.2.1")])
        run = run_trueup(["apply", f], env=dict(ENV, PORKBUN_API_KEY="bad"))
        self.assertNotEqual(run.code, 0, run.describe())
        self.assertIn("Invalid API key", run.stdout + run.stderr)
        self.assertEqual(self.pb.writes(), [])


if __name__ == "__main__":
    unittest.main()
