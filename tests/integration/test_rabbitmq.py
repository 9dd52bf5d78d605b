"""The rest provider against a real third-party API: RabbitMQ 3.10's
management API (Debian's rabbitmq-server), on a private node started once
for this file on free loopback ports (rabbitmq_server.py).

The targets are the recipe's one-resource files, docs/recipes/rabbitmq/*.yaml
(the whole broker as one system is test_system_rabbitmq.py's), run as
they are written but for base_url (the node's port); the user they log in as
(admin, password from RABBITMQ_PASSWORD) is made here. Records are in files
of their own, merged on the command line as the recipe says.

Skipped when rabbitmq-server is not installed, unless the environment has
CI: then that is a failure (.ci/deps installs it).
"""

import json
import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import SOURCE_DIR, results_by_key, run_trueup, trueup_available  # noqa: E402
from rabbitmq_server import RabbitMQ, rabbitmq_unavailable  # noqa: E402

RECIPES = os.path.join(SOURCE_DIR, "docs", "recipes", "rabbitmq")
ADMIN_PASSWORD = "admin-pw-7Qx2"
RMQ = None
TMP = None


def setUpModule():
    global RMQ, TMP
    reason = rabbitmq_unavailable()
    if not reason and not trueup_available():
        reason = "the trueup binary is not built (set TRUEUP)"
    if reason:
        if os.environ.get("CI"):
            raise RuntimeError("CI must run the RabbitMQ tests: " + reason)
        raise unittest.SkipTest(reason)
    TMP = tempfile.TemporaryDirectory(prefix="trueup-rmq-")
    unittest.addModuleCleanup(TMP.cleanup)
    RMQ = RabbitMQ(tmpdir=TMP.name)
    unittest.addModuleCleanup(RMQ.cleanup)
    RMQ.start()
    RMQ.add_admin("admin", ADMIN_PASSWORD)


def flow(value):
    return json.dumps(value, ensure_ascii=False)


def path(name):
    return os.path.join(TMP.name, name)


def recipe(name, edit=None):
    """docs/recipes/rabbitmq/NAME.yaml with the node's base_url (and
    `edit(text)` applied), written to the test's directory."""
    with open(os.path.join(RECIPES, name + ".yaml")) as f:
        text = f.read()
    text, n = re.subn(r"base_url: http://127\.0\.0\.1:15672/api",
                      "base_url: " + RMQ.base_url, text)
    assert n == 1, "the recipe's base_url line changed"
    if edit:
        text = edit(text)
    out = path("target-" + name + (".edited" if edit else "") + ".yaml")
    with open(out, "w") as f:
        f.write(text)
    return out


def records(name, recs, extra=""):
    """A records file: one record per line."""
    out = path(name)
    with open(out, "w") as f:
        f.write(extra + "records:\n" +
                "".join("  - %s\n" % flow(r) for r in recs))
    return out


ENV = {"RABBITMQ_PASSWORD": ADMIN_PASSWORD}


class RabbitCase(unittest.TestCase):
    def setUp(self):
        RMQ.reset()

    def trueup(self, *args, env=None, expect=0):
        full = dict(ENV)
        full.update(env or {})
        run = run_trueup(list(args), env=full)
        self.assertEqual(run.code, expect, run.describe())
        return run

    def apply_quiet(self, *files, env=None):
        """apply, then a second apply that changes nothing and writes
        nothing; returns the first report."""
        rep = self.trueup("apply", *files, env=env).report
        self.assertEqual(rep["failed"], 0, rep)
        mark = RMQ.mark()
        again = self.trueup("apply", *files, env=env).report
        self.assertEqual((again["changed"], again["failed"]), (False, 0),
                         again)
        self.assertEqual(RMQ.writes(mark), [])
        return rep


class TestVhosts(RabbitCase):
    def test_tags_given_as_text_compare_as_a_set(self):
        target = recipe("vhosts")
        recs = records("vhosts.yaml", [
            {"name": "/"},
            {"name": "orders", "description": "orders", "tags": "b, a"},
            {"name": "v 2", "description": "second", "tracing": False}])
        mark = RMQ.mark()
        rep = self.apply_quiet(target, recs)
        self.assertEqual(rep["created"], 2, rep)
        self.assertEqual(sorted(RMQ.writes(mark)),
                         [("PUT", "/api/vhosts/orders", 201),
                          ("PUT", "/api/vhosts/v%202", 201)])
        self.assertEqual(sorted(RMQ.get("/vhosts/orders")["tags"]),
                         ["a", "b"])
        # a change of tags (as a list this time) is one update
        recs = records("vhosts.yaml", [
            {"name": "/"},
            {"name": "orders", "description": "orders", "tags": ["c", "a"]},
            {"name": "v 2", "description": "second"}])
        rep = self.apply_quiet(target, recs)
        by = results_by_key(rep)
        self.assertEqual((rep["updated"], by["orders"]["action"]),
                         (1, "update"), rep)
        self.assertEqual(sorted(RMQ.get("/vhosts/orders")["tags"]),
                         ["a", "c"])
        # prune deletes what is not declared
        recs = records("vhosts.yaml", [{"name": "/"}, {"name": "orders"}])
        rep = self.trueup("apply", "--prune", target, recs).report
        self.assertEqual(rep["deleted"], 1, rep)
        self.assertEqual(sorted(v["name"] for v in RMQ.get("/vhosts")),
                         ["/", "orders"])


USER_PW = "alice-pw-Kd83hq"
USER_PW2 = "alice-pw-rotated-Zm41"


class TestUsers(RabbitCase):
    def assert_hidden(self, run, *secrets):
        for s in secrets:
            self.assertNotIn(s, run.stdout + run.stderr)

    def test_create_change_tags_rotate(self):
        target = recipe("users")
        recs = records("users.yaml", [
            {"name": "admin", "tags": "administrator"},
            {"name": "guest", "tags": "administrator"},
            {"name": "alice", "password_env": "ALICE_PW",
             "tags": "management,policymaker"}])
        env = {"ALICE_PW": USER_PW}
        for fmt in ("json", "text"):
            run = self.trueup("plan", "-f", fmt, target, recs, env=env)
            self.assert_hidden(run, USER_PW)
            self.assertIn("***", run.stdout)
        rep = self.apply_quiet(target, recs, env=env)
        self.assertEqual(rep["created"], 1, rep)
        self.assertEqual(results_by_key(rep)["alice"]["changes"]["password"],
                         {"after": "***"})
        self.assertTrue(RMQ.authenticates("alice", USER_PW))

        # tags change: one PUT, the password kept (its hash sent back)
        recs = records("users.yaml", [
            {"name": "admin", "tags": "administrator"},
            {"name": "guest", "tags": "administrator"},
            {"name": "alice", "password_env": "ALICE_PW",
             "tags": "monitoring"}])
        mark = RMQ.mark()
        run = self.trueup("apply", "-f", "text", target, recs, env=env)
        self.assert_hidden(run, USER_PW)
        self.assertEqual(RMQ.writes(mark), [("PUT", "/api/users/alice", 204)])
        self.assertEqual(RMQ.get("/users/alice")["tags"], ["monitoring"])
        self.assertTrue(RMQ.authenticates("alice", USER_PW))

        # a new password is not sent with update: on_create ...
        env2 = {"ALICE_PW": USER_PW2}
        rep = self.trueup("apply", target, recs, env=env2).report
        self.assertEqual(rep["changed"], False, rep)
        self.assertTrue(RMQ.authenticates("alice", USER_PW))
        # ... and is with update: always, every run
        always = recipe("users", lambda t: t.replace("update: on_create",
                                                     "update: always"))
        for _ in range(2):
            mark = RMQ.mark()
            run = self.trueup("apply", always, recs, env=env2)
            self.assert_hidden(run, USER_PW2)
            rep = run.report
            self.assertEqual(results_by_key(rep)["alice"]["changes"],
                             {"password": {"after": "***"}}, rep)
            self.assertIn(("PUT", "/api/users/alice", 204), RMQ.writes(mark))
        self.assertTrue(RMQ.authenticates("alice", USER_PW2))
        self.assertFalse(RMQ.authenticates("alice", USER_PW))
        self.assertEqual(RMQ.get("/users/alice")["tags"], ["monitoring"])

    def test_password_variable_missing(self):
        target = recipe("users")
        recs = records("users.yaml", [
            {"name": "bob", "password_env": "BOB_PW_NOT_SET"}])
        run = self.trueup("apply", target, recs, expect=1,
                          env={"BOB_PW_NOT_SET": None})
        self.assertRegex(run.stderr, r"users\.yaml:2:5: record: password_env:"
                         r" the environment variable BOB_PW_NOT_SET is not "
                         r"set; export it before running trueup")
        self.assertEqual([u["name"] for u in RMQ.get("/users")
                          if u["name"] == "bob"], [])


class TestPermissionsPolicies(RabbitCase):
    def test_paths_name_vhost_and_user(self):
        self.trueup("apply", recipe("vhosts"),
                    records("v.yaml", [{"name": "orders"}]))
        RMQ.put("/users/carol", {"password": "carol-pw", "tags": ""})
        target = recipe("permissions")
        recs = records("perms.yaml", [
            {"vhost": "orders", "user": "carol", "configure": "^carol\\.",
             "write": ".*", "read": ".*"},
            {"vhost": "/", "user": "carol", "configure": "", "write": "",
             "read": ".*"}])
        mark = RMQ.mark()
        self.apply_quiet(target, recs)
        self.assertEqual(sorted(RMQ.writes(mark)),
                         [("PUT", "/api/permissions/%2F/carol", 201),
                          ("PUT", "/api/permissions/orders/carol", 201)])
        got = RMQ.get("/permissions/orders/carol")
        self.assertEqual(got["configure"], "^carol\\.")

    def test_policies_of_two_vhosts(self):
        self.trueup("apply", recipe("vhosts"),
                    records("v.yaml", [{"name": "orders"}]))
        target = recipe("policies")
        recs = records("policies.yaml", [
            {"vhost": "/", "name": "cap", "pattern": "^q\\.",
             "apply-to": "queues", "definition": {"max-length": 1000},
             "priority": 1},
            {"vhost": "orders", "name": "ttl", "pattern": ".*",
             "apply-to": "queues",
             "definition": {"message-ttl": 60000, "max-length": 5},
             "priority": 0}])
        self.apply_quiet(target, recs)
        self.assertEqual(RMQ.get("/policies/orders/ttl")["definition"],
                         {"message-ttl": 60000, "max-length": 5})
        # the list is read per vhost: GET /policies/%2F and /policies/orders
        mark = RMQ.mark()
        self.trueup("plan", target, recs)
        gets = sorted(p for m, p, _ in RMQ.requests(mark) if m == "GET")
        self.assertEqual(gets, ["/api/policies/%2F", "/api/policies/orders"])


QUEUES = [
    {"vhost": "/", "name": "q.jobs", "durable": True, "auto_delete": False,
     "arguments": {"x-max-length": 10}},
    {"vhost": "orders", "name": "q.orders", "durable": True,
     "auto_delete": False,
     "arguments": {"x-message-ttl": 60000, "x-queue-type": "classic"}},
    {"vhost": "orders", "name": "q.tmp", "durable": False,
     "auto_delete": True, "arguments": {}},
]


class TestQueues(RabbitCase):
    def setUp(self):
        super().setUp()
        self.trueup("apply", recipe("vhosts"),
                    records("v.yaml", [{"name": "orders"}]))

    def wait_for_state(self, vhost, name):
        """Until the node reports the queue's `state` (statistics)."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            q = RMQ.get("/queues/%s/%s" % (RMQ.quote(vhost), RMQ.quote(name)))
            if "state" in q:
                return q["state"]
            time.sleep(0.2)
        self.fail("the queue never got a state")

    def test_queues_in_vhosts_and_a_replace(self):
        target = recipe("queues")
        recs = records("queues.yaml", QUEUES)
        self.apply_quiet(target, recs)
        self.assertEqual(RMQ.get("/queues/orders/q.orders")["arguments"],
                         {"x-message-ttl": 60000, "x-queue-type": "classic"})

        # arguments cannot change in place: a replace, planned as such
        changed = [dict(q) for q in QUEUES]
        changed[0]["arguments"] = {"x-max-length": 20}
        recs = records("queues.yaml", changed)
        run = self.trueup("plan", "-f", "text", target, recs)
        self.assertIn('-/+ /|q.jobs  arguments: {"x-max-length":10} \u2192 '
                      '{"x-max-length":20}', run.stdout)
        self.assertIn("Plan: 0 to create, 0 to update, 0 to delete, 1 to "
                      "replace, 2 unchanged, 0 failed.", run.stdout)
        rep = self.trueup("plan", target, recs).report
        self.assertEqual((rep["replaced"], rep["changed"]), (1, True), rep)
        res = results_by_key(rep)["/|q.jobs"]
        self.assertEqual(res["action"], "replace")
        self.assertIn("'arguments' cannot change in place", res["note"])

        mark = RMQ.mark()
        rep = self.trueup("apply", target, recs).report
        self.assertEqual((rep["replaced"], rep["succeeded"], rep["failed"]),
                         (1, 1, 0), rep)
        self.assertEqual(RMQ.writes(mark),
                         [("DELETE", "/api/queues/%2F/q.jobs", 204),
                          ("PUT", "/api/queues/%2F/q.jobs", 201)])
        self.assertEqual(RMQ.get("/queues/%2F/q.jobs")["arguments"],
                         {"x-max-length": 20})
        mark = RMQ.mark()
        rep = self.trueup("apply", target, recs).report
        self.assertFalse(rep["changed"], rep)
        self.assertEqual(RMQ.writes(mark), [])

    def test_replace_counts_against_max_deletes(self):
        target = recipe("queues")
        self.trueup("apply", target, records("queues.yaml", QUEUES))
        changed = [dict(q, arguments={"x-max-length": 7}) for q in QUEUES]
        recs = records("queues.yaml", changed,
                       extra="settings: {max_deletes: 50, min_existing: 1}\n")
        run = self.trueup("apply", target, recs, expect=1)
        self.assertIn("too many deletes: 100.00% is over 50% (3 of 3 live "
                      "records)", run.stderr)
        self.assertEqual(RMQ.get("/queues/orders/q.orders")["arguments"],
                         QUEUES[1]["arguments"])

    def test_export_then_plan_shows_no_change(self):
        target = recipe("queues")
        self.trueup("apply", target, records("queues.yaml", QUEUES))
        self.assertTrue(self.wait_for_state("orders", "q.orders"))
        run = self.trueup("export", target)
        self.assertNotIn("state", run.stdout)     # the server's: left out
        exported = path("exported.yaml")
        with open(exported, "w") as f:
            f.write(run.stdout)
        rep = self.trueup("plan", target, exported).report
        self.assertEqual((rep["changed"], rep["skipped"], rep["failed"]),
                         (False, 3, 0), rep)

    def test_state_as_a_field_with_meta_prefix(self):
        # without `state: read_only`, export would write each queue's state,
        # which a desired-state file reads as trueup's own key: refused,
        # saying what to do ...
        target = recipe("queues", lambda t: t.replace(
            "    state: read_only\n", ""))
        self.trueup("apply", target, records("queues.yaml", QUEUES))
        for q in QUEUES:
            self.wait_for_state(q["vhost"], q["name"])
        run = self.trueup("export", target, expect=1)
        self.assertIn("the live records have a field 'state', which a "
                      "desired-state file reads as trueup's own per-record "
                      "key: set target.meta_prefix", run.stderr)
        # ... and with meta_prefix, `state` is a field like any other and
        # trueup's own key is trueup_state
        target = recipe("queues", lambda t: t.replace(
            "    state: read_only\n", "").replace(
            "  vars:", "  meta_prefix: trueup_\n  vars:"))
        run = self.trueup("export", target)
        self.assertRegex(run.stdout, r"state: (running|live|idle)")
        exported = path("exported.yaml")
        with open(exported, "w") as f:
            f.write(run.stdout)
        rep = self.trueup("plan", target, exported).report
        self.assertEqual((rep["changed"], rep["failed"]), (False, 0), rep)
        # and trueup_state: absent deletes
        recs = records("gone.yaml", [
            {"vhost": "orders", "name": "q.tmp", "trueup_state": "absent"}])
        rep = self.trueup("apply", target, recs).report
        self.assertEqual(rep["deleted"], 1, rep)
        self.assertEqual(RMQ.api("GET", "/queues/orders/q.tmp")[0], 404)


class TestRecipeDoc(unittest.TestCase):
    def test_page_names_the_files(self):
        # the page shows the system file whole (test_system_rabbitmq.py)
        # and names these one-resource files, which this file runs
        with open(os.path.join(SOURCE_DIR, "docs", "recipes",
                               "rabbitmq.md")) as f:
            page = f.read()
        for name in ("vhosts", "users", "permissions", "queues", "policies"):
            self.assertIn("`%s.yaml`" % name, page)
            self.assertTrue(os.path.isfile(os.path.join(RECIPES,
                                                        name + ".yaml")))


if __name__ == "__main__":
    unittest.main()
