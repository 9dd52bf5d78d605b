"""The rest provider against a real third-party API: RabbitMQ 3.10's
management API (Debian's rabbitmq-server), on a private node started once
for this file on free loopback ports (rabbitmq_server.py), as guest/guest.

Skipped when rabbitmq-server is not installed, unless the environment has
CI: then that is a failure (.ci/deps installs it).
"""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import results_by_key, run_trueup, trueup_available  # noqa: E402
from rabbitmq_server import RabbitMQ, rabbitmq_unavailable  # noqa: E402

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


def flow(value):
    return json.dumps(value, ensure_ascii=False)


ENV = {"RMQ_ADMIN_PASSWORD": "guest"}


class RabbitCase(unittest.TestCase):
    def setUp(self):
        RMQ.reset()

    def write(self, resource, records, name="desired.yaml", extra=""):
        """A desired-state file for `resource` (a dict of target.resource
        keys) and `records`; returns its path."""
        lines = ["target:", "  provider: rest",
                 "  base_url: %s" % flow(RMQ.base_url),
                 "  auth: {type: basic, username: guest, "
                 "password_env: RMQ_ADMIN_PASSWORD}", "  resource:"]
        lines += ["    %s: %s" % (k, flow(v)) for k, v in resource.items()]
        text = "\n".join(lines) + "\n" + extra
        text += "records:\n" + "".join("  - %s\n" % flow(r) for r in records)
        path = os.path.join(TMP.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def trueup(self, *args, env=None, expect=0):
        full = dict(ENV)
        full.update(env or {})
        run = run_trueup(list(args), env=full)
        self.assertEqual(run.code, expect, run.describe())
        return run


VHOSTS = {"list": "/vhosts", "key": "name", "id": "name",
          "create": "PUT /vhosts/{name}", "update": "PUT /vhosts/{name}",
          "delete": "DELETE /vhosts/{name}"}


class TestVhosts(RabbitCase):
    def test_create_update_prune(self):
        path = self.write(VHOSTS, [{"name": "v1", "description": "first"},
                                   {"name": "v 2", "description": "second"}])
        mark = RMQ.mark()
        rep = self.trueup("apply", path).report
        self.assertEqual((rep["created"], rep["failed"]), (2, 0), rep)
        self.assertEqual(sorted(RMQ.writes(mark)),
                         [("PUT", "/api/vhosts/v%202", 201),
                          ("PUT", "/api/vhosts/v1", 201)])
        self.assertEqual(RMQ.get("/vhosts/v%202")["description"], "second")

        mark = RMQ.mark()
        rep = self.trueup("apply", path).report
        self.assertEqual((rep["skipped"], rep["changed"]), (2, False), rep)
        self.assertEqual(RMQ.writes(mark), [])

        # "/" declared with its key alone: kept, never compared
        path = self.write(VHOSTS, [{"name": "/"},
                                   {"name": "v1", "description": "First"}])
        rep = self.trueup("apply", "--prune", path).report
        by = results_by_key(rep)
        self.assertEqual(by["v1"]["action"], "update", rep)
        self.assertEqual(by["v 2"]["action"], "delete", rep)
        self.assertNotIn("/", by, rep)
        names = sorted(v["name"] for v in RMQ.get("/vhosts"))
        self.assertEqual(names, ["/", "v1"])
        self.assertEqual(RMQ.get("/vhosts/v1")["description"], "First")


if __name__ == "__main__":
    unittest.main()
