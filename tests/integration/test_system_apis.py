#!/usr/bin/env python3
"""A desired state of several resources on two APIs with their own
authentication (docs/systems.md): one run, one executor, each resource's
requests carrying its own headers and never the other's, and no secret in
the output. Against an in-process recording server standing for both APIs
(harness.RecordingServer), which sees every request's headers."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (RecordingServer, run_trueup, temp_dir,  # noqa: E402
                     trueup_available, trueup_binary, write_yaml)


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


SYSTEM = """
settings: {concurrency: 4}
resources:
  zones:
    target:
      provider: rest
      base_url: %(url)s/dns
      auth: {type: bearer, token_env: DNS_TOKEN}
      resource: {list: /zones, key: name, create: POST /zones}
    records: [{name: example.org}]
  hosts:
    target:
      provider: rest
      base_url: %(url)s/ipam
      headers: {X-Api-Key: "{env.IPAM_KEY}"}
      fields: {zone: {ref: zones, send: name}}
      resource: {list: /hosts, key: name, create: POST /hosts}
    records: [{name: www, zone: example.org}]
"""

SECRETS = {"DNS_TOKEN": "dns-secret-4711", "IPAM_KEY": "ipam-secret-0815"}


class TwoApisTest(unittest.TestCase):
    def test_each_resource_sends_its_own_headers(self):
        tmp = temp_dir(self, "tu-system-apis-")

        def respond(req):
            if req.method == "GET":
                return 200, []
            return 201, dict(req.json or {}, id=1)

        server = RecordingServer([], respond=respond)
        server.start()
        self.addCleanup(server.stop)
        path = write_yaml(os.path.join(tmp, "system.yaml"),
                          SYSTEM % {"url": server.url})
        r = run_trueup(["apply", path], env=SECRETS)
        self.assertEqual(r.code, 0, r.describe())
        self.assertEqual(r.report["succeeded"], 2)
        seen = server.requests()
        self.assertEqual(len(seen), 4, [(x.method, x.path) for x in seen])
        for req in seen:
            auth = req.headers.get("authorization")
            key = req.headers.get("x-api-key")
            if req.path.startswith("/dns/"):
                self.assertEqual(auth, "Bearer dns-secret-4711", req)
                self.assertIsNone(key, req)
            else:
                self.assertTrue(req.path.startswith("/ipam/"), req)
                self.assertEqual(key, "ipam-secret-0815", req)
                self.assertIsNone(auth, req)
        host = [x for x in seen if x.method == "POST" and
                x.path == "/ipam/hosts"][0]
        self.assertEqual(host.json, {"name": "www", "zone": "example.org"})
        for secret in SECRETS.values():
            self.assertNotIn(secret, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
