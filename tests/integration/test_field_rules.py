"""Field rules, update bodies, numbers and uncertain creates, end to end:
the trueup binary against an in-process HTTP server that records every
request body (harness.RecordingServer), shaped as the APIs that need them
(a NetBox-like API that returns references expanded; one that echoes a
secret in its error; one that fails a create it carried out).

The same rules against a real third-party API are in test_rabbitmq.py.
"""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (RecordingServer, results_by_key, run_trueup,  # noqa: E402
                     trueup_available)


def flow(value):
    return json.dumps(value, ensure_ascii=False)


class Case(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not trueup_available():
            raise unittest.SkipTest("the trueup binary is not built")
        cls.tmp = tempfile.TemporaryDirectory(prefix="trueup-fields-")
        cls.addClassCleanup(cls.tmp.cleanup)

    def write(self, url, records, resource=None, fields=None, settings=None,
              name="d.yaml"):
        res = {"list": "/records", "key": "name", "id": "id",
               "create": "POST /records", "update": "PATCH /records/{id}",
               "delete": "DELETE /records/{id}"}
        res.update(resource or {})
        lines = ["target:", "  provider: rest", "  base_url: " + flow(url)]
        if fields:
            lines.append("  fields: " + flow(fields))
        lines.append("  resource: " + flow(res))
        if settings:
            lines.append("settings: " + flow(settings))
        lines.append("records:" if records else "records: []")
        lines += ["  - " + flow(r) for r in records]
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def trueup(self, *args, expect=0, env=None):
        run = run_trueup(list(args), env=env)
        self.assertEqual(run.code, expect, run.describe())
        return run


class TestNumbers(Case):
    def test_reals_as_written(self):
        live = [{"id": 1, "name": "b", "price": 1.5}]
        with RecordingServer(live) as rs:
            path = self.write(rs.url, [
                {"name": "a", "price": 558.8, "ratio": 0.1, "count": 600.0},
                {"name": "b", "price": 558.8}])
            for fmt in ("json", "text", "markdown"):
                run = self.trueup("plan", "-f", fmt, path)
                self.assertIn("558.8", run.stdout)
                self.assertNotIn("558.79", run.stdout)
            run = self.trueup("apply", path)
            self.assertNotIn("558.79", run.stdout)
            bodies = {r.method: r.body.decode() for r in rs.writes()}
        self.assertEqual(bodies["POST"],
                         '{"name":"a","price":558.8,"ratio":0.1,'
                         '"count":600.0}')
        self.assertEqual(bodies["PATCH"], '{"price":558.8}')

    def test_patch_bodies_byte_for_byte(self):
        """An update of plain fields writes its body from the packed
        fields (rest_request.c plain_update_body); one of a field with a
        rule (write_as) goes through jansson. Both write jansson's compact
        form, byte for byte, the changed fields in the record's order."""
        nested = {"b": [1, 2.5, None, True], "a": {"z": "\u00e9"}}
        live = [{"id": 1, "name": "a", "s": "x", "n": 1, "r": 0.5,
                 "t": False, "z": 1, "o": {}, "keep": 3},
                {"id": 2, "name": "b", "w": "old", "keep": 3}]
        text = "q\"uote\\ back/slash \u00e9\u20ac\U0001f600 tab\tnl\n\u0001"
        with RecordingServer(live) as rs:
            path = self.write(rs.url, [
                {"name": "a", "s": text, "n": -9007199254740993, "r": 0.1,
                 "t": True, "z": None, "o": nested, "keep": 3},
                {"name": "b", "w": "new", "keep": 3}],
                fields={"w": {"write_as": "W"}})
            self.trueup("apply", path)
            bodies = {r.path: r.body.decode() for r in rs.writes()}
        want = {"s": text, "n": -9007199254740993, "r": 0.1, "t": True,
                "z": None, "o": nested}
        self.assertEqual(json.loads(bodies["/records/1"]), want)
        self.assertEqual(bodies["/records/1"],
                         '{"s":' + json.dumps(text, ensure_ascii=False) +
                         ',"n":-9007199254740993,"r":0.1,"t":true,'
                         '"z":null,"o":{"b":[1,2.5,null,true],'
                         '"a":{"z":"\u00e9"}}}')
        self.assertEqual(bodies["/records/2"], '{"W":"new"}')


NETBOX_LIVE = [{
    "id": 7, "url": "http://netbox/api/dcim/devices/7/", "display": "d1",
    "name": "d1", "tenant": {"id": 2, "name": "T", "url": "http://t/2/"},
    "status": {"value": "active", "label": "Active"}, "site": None,
    "comments": "", "last_updated": "2026-11-30T09:00:00Z"}]
NETBOX_FIELDS = {"tenant": {"read": "id"}, "status": {"read": "value"},
                 "site": {"read": "id"}, "url": "read_only",
                 "display": "read_only", "last_updated": "read_only"}


class TestNestedAndServerOwned(Case):
    def test_nested_reads_compare_and_go_back_flat(self):
        with RecordingServer(NETBOX_LIVE) as rs:
            resource = {"update": "PUT /records/{id}"}
            same = self.write(rs.url, [{"name": "d1", "tenant": 2,
                                        "status": "active", "site": None}],
                              resource, NETBOX_FIELDS)
            rep = self.trueup("plan", same).report
            self.assertEqual((rep["changed"], rep["skipped"]), (False, 1),
                             rep)
            other = self.write(rs.url, [{"name": "d1", "tenant": 3,
                                         "status": "active",
                                         "comments": "moved"}],
                               resource, NETBOX_FIELDS)
            rep = self.trueup("apply", other).report
            self.assertEqual(results_by_key(rep)["d1"]["changes"],
                             {"tenant": {"before": 2, "after": 3},
                              "comments": {"before": "", "after": "moved"}})
            (put,) = rs.writes()
        # merged: the live record as read (flat), server-owned fields out
        self.assertEqual(put.json, {"id": 7, "name": "d1", "tenant": 3,
                                    "status": "active", "site": None,
                                    "comments": "moved"})

    def test_export_round_trip(self):
        with RecordingServer(NETBOX_LIVE) as rs:
            target = self.write(rs.url, [], None, NETBOX_FIELDS)
            run = self.trueup("export", target)
            for owned in ("url:", "display:", "last_updated:", "id:"):
                self.assertNotIn(owned, run.stdout)
            self.assertIn("tenant: 2", run.stdout)
            self.assertIn("status: active", run.stdout)
            exported = os.path.join(self.tmp.name, "export.yaml")
            with open(exported, "w") as f:
                f.write(run.stdout)
            target = self.write(rs.url, [], None, NETBOX_FIELDS,
                                name="target.yaml")
            with open(target) as f:
                text = f.read().replace("records: []\n", "")
            with open(target, "w") as f:
                f.write(text)
            rep = self.trueup("plan", target, exported).report
            self.assertEqual((rep["changed"], rep["skipped"]), (False, 1),
                             rep)

    def test_update_bodies(self):
        live = [{"id": 1, "name": "a", "x": 1, "y": 2, "url": "u"}]
        want = {"changed": {"x": 5}, "declared": {"id": 1, "name": "a",
                                                  "x": 5},
                "merged": {"id": 1, "name": "a", "x": 5, "y": 2}}
        for how, body in want.items():
            with RecordingServer(live) as rs:
                path = self.write(rs.url, [{"name": "a", "x": 5}],
                                  {"update": "PUT /records/{id}",
                                   "update_body": how},
                                  {"url": "read_only"})
                self.trueup("apply", path)
                (put,) = rs.writes()
            self.assertEqual(put.json, body, how)


SECRET = "hunter2-but-longer"


class TestSecrets(Case):
    def test_write_only_scrubbed_everywhere(self):
        def respond(req):
            if req.method == "GET":
                return 200, []
            return 400, {"error": "password %s is too weak"
                         % (req.json or {}).get("password")}
        with RecordingServer([], respond=respond) as rs:
            path = self.write(rs.url, [{"name": "u", "password_env": "PW"}],
                              fields={"password": "write_only"})
            env = {"PW": SECRET}
            for fmt in ("json", "text", "markdown"):
                run = self.trueup("apply", "-f", fmt, path, env=env,
                                  expect=3)
                self.assertNotIn(SECRET, run.stdout + run.stderr)
                self.assertIn("too weak", run.stdout)
            rep = self.trueup("apply", path, env=env, expect=3).report
            res = results_by_key(rep)["u"]
            self.assertEqual(res["changes"]["password"], {"after": "***"})
            self.assertIn("password *** is too weak", res["error"])
            # the server did get it
            self.assertEqual(rs.writes()[0].json["password"], SECRET)


class TestUncertainCreates(Case):
    def run_create(self, carried_out):
        """A create answered 503 (it may have reached the server), with no
        retry round left (retries: 0)."""
        state = {"records": []}

        def respond(req):
            if req.method == "GET":
                return 200, state["records"]
            if carried_out:
                state["records"].append(dict(req.json, id=1))
            return 503, {"error": "busy"}
        with RecordingServer([], respond=respond) as rs:
            path = self.write(rs.url, [{"name": "n", "v": 1}],
                              settings={"retries": 0})
            run = self.trueup("apply", path, expect=0 if carried_out else 3)
            posts = [r for r in rs.writes() if r.method == "POST"]
            gets = [r for r in rs.requests() if r.method == "GET"]
        self.assertEqual(len(posts), 1)
        self.assertEqual(len(gets), 2)     # the list, then the re-read
        return run.report

    def test_found_on_the_last_round(self):
        rep = self.run_create(carried_out=True)
        res = results_by_key(rep)["n"]
        self.assertEqual((res["status"], rep["created"], rep["failed"]),
                         ("ok", 1, 0), rep)
        self.assertIn("re-reading found the record", res["note"])

    def test_not_found_on_the_last_round(self):
        rep = self.run_create(carried_out=False)
        res = results_by_key(rep)["n"]
        self.assertEqual((res["status"], rep["created"], rep["failed"]),
                         ("failed", 0, 1), rep)
        self.assertIn("re-reading found no such record: it was not created",
                      res["error"])


class TestReplace(Case):
    def test_create_after_delete_fails(self):
        live = [{"id": 3, "name": "q", "args": {"m": 1}}]   # as the server

        def respond(req):
            if req.method == "GET":
                return 200, live
            if req.method == "DELETE":
                live.clear()
                return 200, {}
            return 400, {"error": "no"}
        with RecordingServer(live, respond=respond) as rs:
            path = self.write(rs.url, [{"name": "q", "args": {"m": 2}}],
                              fields={"args": "immutable"})
            rep = self.trueup("apply", path, expect=3).report
            calls = [(r.method, r.path) for r in rs.writes()]
        self.assertEqual(calls, [("DELETE", "/records/3"),
                                 ("POST", "/records")])
        res = results_by_key(rep)["q"]
        self.assertEqual((res["action"], res["status"], rep["replaced"],
                          rep["failed"]), ("replace", "failed", 0, 1), rep)
        self.assertIn("deleted for the replace, but creating it again "
                      "failed (the record is now missing; run again)",
                      res["error"])

    def test_delete_fails_nothing_created(self):
        live = [{"id": 3, "name": "q", "args": {"m": 1}}]

        def respond(req):
            if req.method == "GET":
                return 200, live
            return 409, {"error": "in use"}
        with RecordingServer(live, respond=respond) as rs:
            path = self.write(rs.url, [{"name": "q", "args": {"m": 2}}],
                              fields={"args": "immutable"})
            rep = self.trueup("apply", path, expect=3).report
            calls = [(r.method, r.path) for r in rs.writes()]
        self.assertEqual(calls, [("DELETE", "/records/3")])
        self.assertIn("HTTP 409", results_by_key(rep)["q"]["error"])


class StringsServer:
    """A store that lists every number as a string and takes some fields
    under other names (as SOLIDserver and Porkbun): it lists ttl and name
    (the full name), takes rr_ttl and subdomain (the name without the
    domain, "" for the apex)."""

    def __init__(self, records, domain):
        self.records = [dict(r) for r in records]
        self.domain = domain
        self.ids = iter(range(100, 1000))

    def _stored(self, body, record):
        if "rr_ttl" in body:
            record["ttl"] = str(body["rr_ttl"])
        if "subdomain" in body:
            sub = body["subdomain"]
            record["name"] = sub + "." + self.domain if sub else self.domain
        for k, v in body.items():
            if k not in ("rr_ttl", "subdomain", "ttl", "name"):
                record[k] = v

    def __call__(self, req):
        if req.method == "GET":
            return 200, self.records
        if req.method == "POST":
            record = {"id": str(next(self.ids))}
            self._stored(req.json, record)
            self.records.append(record)
            return 201, record
        rid = req.path.rsplit("/", 1)[1]
        record = next(r for r in self.records if r["id"] == rid)
        self._stored(req.json, record)
        return 200, record


class TestWrittenAs(Case):
    """write_as, strip_suffix with a var, compare: number, and --set."""

    FIELDS = {"ttl": {"write_as": "rr_ttl", "compare": "number"},
              "name": {"write_as": "subdomain",
                       "strip_suffix": ".{domain}"},
              "id": "read_only"}
    LIVE = [{"id": "1", "name": "a.example.com", "type": "A", "ttl": "3600"},
            {"id": "2", "name": "b.example.com", "type": "A", "ttl": "600"},
            {"id": "3", "name": "example.com", "type": "MX", "ttl": "3600"}]

    def target(self, url, records):
        path = self.write(url, records, fields=self.FIELDS,
                          resource={"key": ["name", "type"]})
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("target:\n", "target:\n  vars: "
                                 "{domain: example.com}\n", 1))
        return path

    def test_bulk_set_on_numbers_as_strings(self):
        server = StringsServer(self.LIVE, "example.com")
        with RecordingServer([], respond=server) as rs:
            path = self.target(rs.url, [])
            args = ("apply", "--match", "type=A", "--set", "ttl=600", path)
            self.trueup(*args)
            writes = [(w.method, w.path, w.json) for w in rs.writes()]
            self.assertEqual(writes, [("PATCH", "/records/1",
                                       {"rr_ttl": 600})])
            self.trueup(*args)
            self.assertEqual(len(rs.writes()), 1)
            # a quoted value is the string: "600" equals "600" as it is
            self.trueup("apply", "--match", "type=MX", "--set",
                        "ttl=\"600\"", path)
            self.assertEqual(rs.writes()[-1].json, {"rr_ttl": "600"})
        self.assertEqual([r["ttl"] for r in server.records],
                         ["600", "600", "600"])

    def test_create_and_update_written_forms(self):
        server = StringsServer(self.LIVE, "example.com")
        with RecordingServer([], respond=server) as rs:
            path = self.target(rs.url, [
                {"name": "www.example.com", "type": "A", "ttl": 300},
                {"name": "example.com", "type": "A", "ttl": 300},
                {"name": "a.example.com", "type": "A", "ttl": 3600}])
            self.trueup("apply", path)
            posts = sorted(json.dumps(w.json, sort_keys=True)
                           for w in rs.writes())
            self.assertEqual(posts, [
                '{"rr_ttl": 300, "subdomain": "", "type": "A"}',
                '{"rr_ttl": 300, "subdomain": "www", "type": "A"}'])
            run = self.trueup("plan", "-f", "json", path)
            self.assertEqual(json.loads(run.stdout)["results"], [])


if __name__ == "__main__":
    unittest.main()
