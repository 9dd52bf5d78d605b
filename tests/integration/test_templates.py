#!/usr/bin/env python3
"""URL templates: {placeholders} in every path, filled from records and from
target.vars, percent-encoded; unknown placeholders refused at load time.
Requests of any shape: a body template sent as a form (its Content-Type
too), header values filled from variables and the environment.

Runs trueup against an in-process recording server on a free loopback port
(harness.RecordingServer) that answers a RabbitMQ-like API: queues listed per
vhost at /queues/VHOST, written with PUT /queues/VHOST/NAME.
"""

import os
import sys
import unittest
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (RecordingServer, records_yaml, run_trueup,  # noqa: E402
                     target_yaml, temp_dir, trueup_available, trueup_binary,
                     write_yaml)

LIVE = {
    "/": [{"vhost": "/", "name": "q1", "durable": True},
          {"vhost": "/", "name": "old", "durable": True}],
    "b c": [{"vhost": "b c", "name": "q/2", "durable": False}],
}


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def answer(req):
    if req.method == "GET" and req.path.startswith("/queues/"):
        vhost = unquote(req.path[len("/queues/"):])
        if vhost in LIVE:
            return 200, LIVE[vhost]
        return 404, {"error": "Object Not Found"}
    if req.method in ("PUT", "DELETE"):
        return 200 if req.method == "DELETE" else 201, {}
    return 400, {"error": "unexpected %s %s" % (req.method, req.path)}


RESOURCE = {
    "list": "/queues/{vhost}",
    "key": ["vhost", "name"],
    "create": "PUT /queues/{vhost}/{name}",
    "update": "PUT /queues/{vhost}/{name}",
    "delete": "DELETE /queues/{vhost}/{name}",
}


class TemplateTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-tmpl-")
        self.server = RecordingServer([], respond=answer).start()
        self.addCleanup(self.server.stop)

    def write(self, resource, records, vars, headers=None):
        text = target_yaml(self.server.url, resource=resource, vars=vars,
                           key=resource["key"], headers=headers)
        text += "settings: {prune: true, retries: 0}\n"
        text += records_yaml(records)
        return write_yaml(os.path.join(self.tmp, "d.yaml"), text)

    def test_list_per_vhost_and_record_paths(self):
        records = [{"vhost": "/", "name": "q1", "durable": True},
                   {"vhost": "b c", "name": "q/2", "durable": True},
                   {"vhost": "b c", "name": "new", "durable": True}]
        f = self.write(RESOURCE, records, {"vhost": ["/", "b c"]})
        run = run_trueup(["apply", f])
        self.assertEqual(run.code, 0, run.describe())
        gets = sorted(r.path for r in self.server.requests()
                      if r.method == "GET")
        self.assertEqual(gets, ["/queues/%2F", "/queues/b%20c"])
        writes = sorted((r.method, r.path) for r in self.server.writes())
        self.assertEqual(writes, [("DELETE", "/queues/%2F/old"),
                                  ("PUT", "/queues/b%20c/new"),
                                  ("PUT", "/queues/b%20c/q%2F2")])

    def test_single_value_var_fills_record_paths(self):
        res = dict(RESOURCE, key=["name"])
        f = self.write(res, [{"name": "q1", "durable": False},
                             {"name": "fresh", "durable": True}],
                       {"vhost": "/"})
        run = run_trueup(["apply", f])
        self.assertEqual(run.code, 0, run.describe())
        writes = sorted((r.method, r.path) for r in self.server.writes())
        self.assertEqual(writes, [("DELETE", "/queues/%2F/old"),
                                  ("PUT", "/queues/%2F/fresh"),
                                  ("PUT", "/queues/%2F/q1")])

    def test_form_body_and_header_templates(self):
        res = dict(RESOURCE, key=["name"], create={
            "request": "PUT /queues/{vhost}/{name}", "send": "form",
            "body": {"token": "{env.TU_TEST_TOKEN}", "tags": ["a b", 2]}})
        f = self.write(res, [{"name": "q1", "durable": True},
                             {"name": "n", "durable": False}],
                       {"vhost": "/", "tenant": "t 1"},
                       headers={"X-Tenant": "{tenant}",
                                "X-Auth": "k={env.TU_TEST_TOKEN | base64}"})
        run = run_trueup(["apply", f], env={"TU_TEST_TOKEN": "tok&en"})
        self.assertEqual(run.code, 0, run.describe())
        puts = [r for r in self.server.writes() if r.method == "PUT"]
        self.assertEqual(len(puts), 1, run.describe())
        self.assertEqual(puts[0].headers["content-type"],
                         "application/x-www-form-urlencoded")
        self.assertEqual(puts[0].body, b"name=n&durable=false&token=tok%26en"
                                       b"&tags=a%20b&tags=2")
        for r in self.server.requests():
            self.assertEqual(r.headers["x-tenant"], "t 1")
            self.assertEqual(r.headers["x-auth"], "k=dG9rJmVu")
        self.assertNotIn("tok&en", run.stdout + run.stderr)

    def fails(self, resource, vars, message):
        f = self.write(resource, [{"vhost": "/", "name": "q1"}], vars)
        run = run_trueup(["plan", f])
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.stderr, "trueup: error: %s:%s\n" % (f, message))
        self.assertEqual(self.server.requests(), [], "no request at all")

    def test_unknown_placeholders_at_load_time(self):
        self.fails(dict(RESOURCE, list="/queues/{vhots}"), {"vhost": "/"},
                   "6:5: target.resource.list: unknown placeholder {vhots} "
                   "in '/queues/{vhots}': did you mean {vhost}?")
        self.fails(RESOURCE, None,
                   "5:5: target.resource.list: unknown placeholder {vhost} "
                   "in '/queues/{vhost}': a list path has no record to fill "
                   "it from, so declare it in target.vars (vars: {vhost: "
                   "VALUE})")
        self.fails(dict(RESOURCE, delete="DELETE /queues/{vhost}/{nmae}"),
                   {"vhost": "/"},
                   "11:5: target.resource.delete: unknown placeholder {nmae} "
                   "in '/queues/{vhost}/{nmae}': did you mean {name}?")
        self.fails(dict(RESOURCE, update="PUT /queues/{zone}/{name}"),
                   {"vhost": "/"},
                   "10:5: target.resource.update: unknown placeholder {zone} "
                   "in '/queues/{zone}/{name}': it is not {id}, the id field "
                   "'id', a key field (target.resource.key) or a variable of "
                   "target.vars; add the field to the key, or declare the "
                   "variable")
        self.fails(dict(RESOURCE, key=["name"]), {"vhost": ["/", "b"]},
                   "9:5: target.resource.create: {vhost} is a variable with "
                   "several values, which only a list path can take (it is "
                   "listed once per value); make it a key field of the "
                   "records, or give it one value")
        self.fails(dict(RESOURCE, list="/queues/{vhost"), {"vhost": "/"},
                   "6:5: target.resource.list: the path has a '{' without "
                   "its '}'")

    def test_bad_header_and_body_templates(self):
        f = self.write(RESOURCE, [{"vhost": "/", "name": "q1"}],
                       {"vhost": "/"}, headers={"X-T": "{tenant}"})
        run = run_trueup(["plan", f])
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.stderr, "trueup: error: %s:4:13: "
                         "target.headers.X-T: unknown placeholder {tenant}: "
                         "a header takes {env.NAME} or a variable of "
                         "target.vars with one value\n" % f)
        self.fails(dict(RESOURCE, create={"request": "PUT /q/{vhost}/{name}",
                                          "body": {"t": "{env.TU_NOPE}"}}),
                   {"vhost": "/"},
                   "9:59: target.resource: {env.TU_NOPE}: the environment "
                   "variable TU_NOPE is not set; export it before running "
                   "trueup")
        self.assertEqual(self.server.requests(), [])

    def test_bad_vars(self):
        self.fails(RESOURCE, {"vhost": []},
                   "4:10: target.vars.vhost: an empty list; give at least "
                   "one value")
        self.fails(RESOURCE, {"vhost": {"a": 1}},
                   "4:10: target.vars.vhost: expected a non-empty string, "
                   "number or boolean (or a list of them), got a mapping")


if __name__ == "__main__":
    unittest.main(verbosity=2)
