"""Protected records, prune scope and ownership marks against RabbitMQ's
management API (one private node for the file, rabbitmq_server.py, with
the recipes of docs/recipes/rabbitmq/ as targets):

- prune of users with the administrators protected: `guest` and the
  account trueup logs in with are never deleted, and listed as left alone;
- prune of queues scoped to a name pattern: other queues stay, counted in
  out_of_scope;
- ownership marks in a REST field (a vhost's `description`): created with
  the mark, pruned only when marked, another owner's refused until
  `takeover: true`.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_rabbitmq  # noqa: E402
from test_rabbitmq import (RabbitCase, recipe, records,  # noqa: E402,F401
                           setUpModule)


def rmq():
    return test_rabbitmq.RMQ


class Issue10(RabbitCase):
    maxDiff = None

    def test_prune_users_keeps_the_protected_admins(self):
        target = recipe("users")
        for name in ("bob", "carol"):
            self.assertIn(rmq().api("PUT", "/users/" + name, {
                "password": "pw-" + name, "tags": ""})[0], (201, 204))
        recs = records("users.yaml", [
            {"name": "alice", "password_env": "ALICE_PW", "tags": ""}],
            extra="protect:\n  - match: {name: [guest, admin]}\n")
        env = {"ALICE_PW": "alice-pw-93kz"}
        rep = self.trueup("apply", "--prune", "--force", target, recs,
                          env=env).report
        self.assertEqual(sorted(u["name"] for u in rmq().get("/users")),
                         ["admin", "alice", "guest"])
        self.assertEqual(rep["deleted"], 2)
        self.assertEqual(sorted(r["key"] for r in rep["left_alone"]),
                         ["admin", "guest"])
        self.assertIn("protected by protect[0]", rep["left_alone"][0]["reason"])
        self.assertTrue(rmq().authenticates("guest", "guest"))

    def test_prune_queues_scoped_to_a_pattern(self):
        target = recipe("queues")     # the queues of vhosts / and orders
        self.assertIn(rmq().api("PUT", "/vhosts/orders", {})[0], (201, 204))
        for name in ("tmp.a", "tmp.b", "keep.me"):
            self.assertIn(rmq().api("PUT", "/queues/%2F/" + name, {
                "durable": False, "auto_delete": False})[0], (201, 204))
        recs = records("queues.yaml", [
            {"vhost": "/", "name": "tmp.a", "durable": False,
             "auto_delete": False, "arguments": {}}],
            extra='prune_scope:\n  - match: {name: "tmp.*"}\n')
        rep = self.trueup("apply", "--prune", "--force", target, recs).report
        names = sorted(q["name"] for q in rmq().get("/queues/%2F"))
        self.assertEqual(names, ["keep.me", "tmp.a"])
        self.assertEqual([r["key"] for r in rep["results"]
                          if r["action"] == "delete"], ["/|tmp.b"])
        self.assertEqual(rep["out_of_scope"], 1)

    def test_ownership_marks_in_a_field(self):
        target = recipe("vhosts", lambda t: t.replace(
            "    key: name\n", "    key: name\n    owner_field: description\n"))
        self.assertIn(rmq().api("PUT", "/vhosts/theirs", {
            "description": "team-b"})[0], (201, 204))
        self.assertIn(rmq().api("PUT", "/vhosts/legacy", {})[0], (201, 204))
        mine = "settings: {owner: team-a}\n"
        recs = records("vhosts.yaml", [{"name": "v-a"}], extra=mine)
        rep = self.trueup("apply", "--prune", "--force", target, recs).report
        self.assertEqual((rep["created"], rep["deleted"]), (1, 0))
        self.assertEqual(rep["not_owned"], 3)   # /, theirs, legacy
        self.assertEqual(rmq().get("/vhosts/v-a")["description"], "team-a")
        # a second run changes nothing
        self.trueup("plan", "--detailed-exitcode", "--prune", target, recs)

        recs = records("vhosts.yaml", [{"name": "theirs"}], extra=mine)
        run = self.trueup("apply", "--prune", "--force", target, recs,
                          expect=3)
        res = {r["key"]: r for r in run.report["results"]}
        self.assertEqual(res["v-a"]["action"], "delete")   # marked as ours
        self.assertEqual(res["theirs"]["refused"], "owned")
        self.assertEqual(rmq().get("/vhosts/theirs")["description"], "team-b")
        recs = records("vhosts.yaml", [{"name": "theirs", "takeover": True}],
                       extra=mine)
        self.trueup("apply", target, recs)
        self.assertEqual(rmq().get("/vhosts/theirs")["description"], "team-a")
        self.assertEqual(sorted(v["name"] for v in rmq().get("/vhosts")),
                         ["/", "legacy", "theirs"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
