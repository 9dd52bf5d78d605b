#!/usr/bin/env python3
"""Systems (issue 23) against a real RabbitMQ 3.10 node: the whole broker
of docs/recipes/rabbitmq.yaml (vhosts, users, permissions, exchanges,
queues, bindings, policies, each naming the others by name), run as it is
but for base_url, on a private node started once for this file
(rabbitmq_server.py).

- From empty in one command; a re-run sends nothing (the access log).
- A vhost left out of the file, with --prune: one command deletes its
  permissions, exchanges, queues, bindings and policies, then the vhost
  (the last write of the run).
- export, then plan from the export: no change.
- A queue replaced (its arguments changed) gets back, in the same run, the
  binding RabbitMQ dropped with it.
- The same broker loaded by RabbitMQ's own definitions import (POST
  /api/definitions) holds the same objects as trueup's run made.

The node is test_rabbitmq.py's (its setUpModule): skipped when
rabbitmq-server is not installed, unless the environment has CI.
"""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_rabbitmq  # noqa: E402
from harness import SOURCE_DIR, recipe_text, run_trueup  # noqa: E402
# the node, started once for the file, and its admin user
from test_rabbitmq import ADMIN_PASSWORD, setUpModule  # noqa: E402,F401

ENV = {"RABBITMQ_PASSWORD": ADMIN_PASSWORD,
       "ALICE_PASSWORD": "alice-pw-31xk", "SVC_ORDERS_PASSWORD": "svc-pw-9Lq0"}

# the recipe's broker, as RabbitMQ's definitions file says it
# (https://www.rabbitmq.com/definitions.html): written by hand, so that
# RabbitMQ's own import is the independent check of what trueup made
DEFINITIONS = {
    "vhosts": [{"name": "orders", "description": "Orders",
                "tags": ["production", "eu"]},
               {"name": "billing", "description": "Billing", "tags": []}],
    "users": [{"name": "alice", "password": ENV["ALICE_PASSWORD"],
               "tags": "management,policymaker"},
              {"name": "svc-orders", "password": ENV["SVC_ORDERS_PASSWORD"],
               "tags": ""}],
    "permissions": [
        {"vhost": "orders", "user": "alice", "configure": "^alice\\.",
         "write": ".*", "read": ".*"},
        {"vhost": "orders", "user": "svc-orders", "configure": "",
         "write": "^ex\\.orders$", "read": "^q\\.orders"},
        {"vhost": "billing", "user": "alice", "configure": "", "write": "",
         "read": ".*"}],
    "exchanges": [
        {"vhost": "orders", "name": "ex.orders", "type": "topic",
         "durable": True, "auto_delete": False, "internal": False,
         "arguments": {}},
        {"vhost": "billing", "name": "ex.billing", "type": "fanout",
         "durable": True, "auto_delete": False, "internal": False,
         "arguments": {}}],
    "queues": [
        {"vhost": "orders", "name": "q.orders", "durable": True,
         "auto_delete": False,
         "arguments": {"x-queue-type": "classic", "x-max-length": 100000}},
        {"vhost": "orders", "name": "q.orders.dead", "durable": True,
         "auto_delete": False, "arguments": {}},
        {"vhost": "billing", "name": "q.invoices", "durable": True,
         "auto_delete": False, "arguments": {"x-message-ttl": 86400000}}],
    "bindings": [
        {"vhost": "orders", "source": "ex.orders", "destination": "q.orders",
         "destination_type": "queue", "routing_key": "order.*",
         "arguments": {}},
        {"vhost": "orders", "source": "ex.orders",
         "destination": "q.orders.dead", "destination_type": "queue",
         "routing_key": "order.dead", "arguments": {}},
        {"vhost": "billing", "source": "ex.billing",
         "destination": "q.invoices", "destination_type": "queue",
         "routing_key": "", "arguments": {}}],
    "policies": [
        {"vhost": "orders", "name": "dead-letters", "pattern": "^q\\.orders$",
         "apply-to": "queues", "priority": 0,
         "definition": {"dead-letter-exchange": "ex.orders",
                        "dead-letter-routing-key": "order.dead"}},
        {"vhost": "billing", "name": "ttl", "pattern": ".*",
         "apply-to": "queues", "priority": 0,
         "definition": {"max-length": 50000}}],
}
# what the recipe creates on a node that has "/", guest and admin
CREATED = {"vhosts": 2, "users": 2, "permissions": 3, "exchanges": 2,
           "queues": 3, "bindings": 3, "policies": 2}


def rmq():
    return test_rabbitmq.RMQ


def write(name, text):
    out = os.path.join(test_rabbitmq.TMP.name, name)
    with open(out, "w") as f:
        f.write(text)
    return out


def recipe(edit=None):
    """docs/recipes/rabbitmq.yaml with the node's base_url (and `edit`)."""
    return write("rabbitmq.yaml",
                 recipe_text("rabbitmq.yaml", rmq().base_url, edit))


def without_records(text):
    """A system file's text with every resource's records left out."""
    return re.sub(r"(?m)^    records:\n(?:      .*\n)*", "", text)


def without(word):
    """An edit dropping every record (with its continuation lines) that
    holds `word`."""
    return lambda text: re.sub(
        r"(?m)^      - \{[^\n]*%s[^\n]*\n(?:         [^\n]*\n)*"
        % re.escape(word), "", text)


def normalized(defs):
    """GET /api/definitions without what differs between two nodes holding
    the same objects: versions, cluster parameters, password hashes, and
    the permissions of the users the node and the tests log in as."""
    out = {}
    for kind in ("vhosts", "users", "permissions", "exchanges", "queues",
                 "bindings", "policies"):
        items = defs.get(kind, [])
        if kind == "users":
            items = [{"name": u["name"], "tags": sorted(u["tags"])}
                     for u in items]
        if kind == "permissions":
            items = [p for p in items if p["user"] not in ("admin", "guest")]
        out[kind] = sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return out


def broker_state():
    """The node's objects: its definitions (normalized), and its vhosts'
    descriptions and tags, which the definitions leave out."""
    vhosts = {v["name"]: (v.get("description", ""), sorted(v.get("tags", [])))
              for v in rmq().get("/vhosts?columns=name,description,tags")}
    return normalized(rmq().get("/definitions")), vhosts


class SystemCase(unittest.TestCase):
    def setUp(self):
        rmq().reset()
        for e in rmq().get("/exchanges/%2F"):
            if e["name"] and not e["name"].startswith("amq."):
                rmq().delete("/exchanges/%2F/" + rmq().quote(e["name"]))

    def trueup(self, *args, expect=0):
        run = run_trueup(list(args), env=ENV)
        self.assertEqual(run.code, expect, run.describe())
        return run


class TestWholeBroker(SystemCase):
    def test_from_empty_in_one_command_then_nothing(self):
        mark = rmq().mark()
        rep = self.trueup("apply", recipe()).report
        self.assertEqual(rep["failed"], 0, rep)
        self.assertEqual({n: c["created"] for n, c in rep["resources"].items()},
                         CREATED, rep)
        self.assertEqual(rep["created"], sum(CREATED.values()), rep)
        self.assertEqual(rmq().get("/queues/orders/q.orders")["arguments"],
                         {"x-queue-type": "classic", "x-max-length": 100000})
        keys = {(b["source"], b["destination"], b["routing_key"])
                for b in rmq().get("/bindings/orders") if b["source"]}
        self.assertEqual(keys, {("ex.orders", "q.orders", "order.*"),
                                ("ex.orders", "q.orders.dead", "order.dead")})
        self.assertEqual(rmq().get("/permissions/billing/alice")["read"], ".*")
        self.assertTrue(rmq().authenticates("alice", ENV["ALICE_PASSWORD"]))
        # a user without tags cannot log in to the management API: its
        # password is there, as a hash
        self.assertTrue(rmq().get("/users/svc-orders")["password_hash"])
        writes = rmq().writes(mark)
        self.assertEqual(len(writes), sum(CREATED.values()), writes)
        # the vhosts were made before anything in them was
        first = {p: i for i, (_, p, _) in reversed(list(enumerate(writes)))}
        for vhost in ("orders", "billing"):
            made = first["/api/vhosts/" + vhost]
            inside = [i for i, (_, p, _) in enumerate(writes)
                      if "/" + vhost + "/" in p]
            self.assertLess(made, min(inside), writes)

        mark = rmq().mark()
        rep = self.trueup("apply", recipe()).report
        self.assertEqual((rep["changed"], rep["failed"],
                          rep["write_requests"]), (False, 0, 0), rep)
        self.assertEqual(rmq().writes(mark), [])

    def test_export_then_plan_shows_no_change(self):
        self.trueup("apply", recipe())
        bare = write("target.yaml", without_records(
            recipe_text("rabbitmq.yaml", rmq().base_url)))
        out = self.trueup("export", bare).stdout
        for secret in ("password_hash", ENV["ALICE_PASSWORD"],
                       "properties_key"):
            self.assertNotIn(secret, out)
        exported = write("exported.yaml", out)
        mark = rmq().mark()
        rep = self.trueup("plan", bare, exported).report
        self.assertEqual((rep["changed"], rep["failed"]), (False, 0), rep)
        self.assertGreaterEqual(rep["skipped"], sum(CREATED.values()) + 2)
        self.assertEqual(rmq().writes(mark), [])


class TestReplace(SystemCase):
    def test_a_replaced_queue_gets_its_bindings_back_in_the_same_run(self):
        # RabbitMQ cannot change a queue's arguments: the queue is deleted
        # and declared again, and the delete takes its bindings with it
        self.trueup("apply", recipe())
        changed = recipe(lambda text: text.replace(
            "x-queue-type: classic, x-max-length: 100000",
            "x-queue-type: classic, x-max-length: 200000"))
        rep = self.trueup("apply", changed).report
        # the queue, and the binding naming it, replaced after it
        self.assertEqual((rep["replaced"], rep["failed"]), (2, 0), rep)
        self.assertEqual({n: c["replaced"] for n, c in rep["resources"].items()
                          if c["replaced"]}, {"queues": 1, "bindings": 1}, rep)
        self.assertEqual(rmq().get("/queues/orders/q.orders")["arguments"]
                         ["x-max-length"], 200000)
        bound = {(b["source"], b["routing_key"])
                 for b in rmq().get("/queues/orders/q.orders/bindings")}
        self.assertIn(("ex.orders", "order.*"), bound)
        mark = rmq().mark()
        rep = self.trueup("apply", changed).report
        self.assertEqual((rep["changed"], rep["failed"]), (False, 0), rep)
        self.assertEqual(rmq().writes(mark), [])


class TestPrune(SystemCase):
    def test_a_vhost_left_out_goes_last_with_everything_in_it(self):
        self.trueup("apply", recipe())
        mark = rmq().mark()
        fewer = recipe(without("billing"))
        rep = self.trueup("apply", "--prune", fewer).report
        self.assertEqual(rep["failed"], 0, rep)
        self.assertEqual({n: c["deleted"] for n, c in rep["resources"].items()
                          if c["deleted"]},
                         {"vhosts": 1, "permissions": 1, "exchanges": 1,
                          "queues": 1, "bindings": 1, "policies": 1}, rep)
        writes = rmq().writes(mark)
        self.assertEqual(sorted(writes), sorted([
            ("DELETE", "/api/permissions/billing/alice", 204),
            ("DELETE", "/api/exchanges/billing/ex.billing", 204),
            ("DELETE", "/api/queues/billing/q.invoices", 204),
            ("DELETE", "/api/bindings/billing/e/ex.billing/q/q.invoices/~",
             204),
            ("DELETE", "/api/policies/billing/ttl", 204),
            ("DELETE", "/api/vhosts/billing", 204)]))
        self.assertEqual(writes[-1], ("DELETE", "/api/vhosts/billing", 204))
        self.assertEqual(rmq().api("GET", "/vhosts/billing")[0], 404)
        # the rest of the broker is as it was
        rep = self.trueup("apply", "--prune", fewer).report
        self.assertEqual((rep["changed"], rep["failed"]), (False, 0), rep)


class TestDefinitionsImport(SystemCase):
    def test_same_objects_as_rabbitmqs_own_import(self):
        self.trueup("apply", recipe())
        by_trueup = broker_state()

        rmq().reset()
        status, body = rmq().api("POST", "/definitions", DEFINITIONS)
        self.assertIn(status, (200, 201, 204), body)
        by_import = broker_state()
        self.assertEqual(by_trueup, by_import)
        for kind in ("exchanges", "queues", "bindings", "policies"):
            self.assertEqual(len(by_trueup[0][kind]), len(DEFINITIONS[kind]),
                             kind)
        self.assertTrue(rmq().authenticates("alice", ENV["ALICE_PASSWORD"]))


class TestRecipeDoc(unittest.TestCase):
    def test_page_shows_the_file_as_it_is(self):
        recipes = os.path.join(SOURCE_DIR, "docs", "recipes")
        with open(os.path.join(recipes, "rabbitmq.md")) as f:
            page = f.read()
        with open(os.path.join(recipes, "rabbitmq.yaml")) as f:
            self.assertIn("```yaml\n" + f.read() + "```", page)


if __name__ == "__main__":
    unittest.main(verbosity=2)
