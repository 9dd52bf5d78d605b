#!/usr/bin/env python3
"""resource.get: reading live records one by one (APIs without a list
endpoint), against a real json-server 0.17.4 started on a free port."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, by_key, run_trueup, target_yaml,  # noqa: E402
                     temp_dir, trueup_available, trueup_binary, write_yaml)


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def live(i):
    return {"id": i, "name": "host%d" % i, "type": "A", "ttl": 3600,
            "note": "n%d" % i}


class GetTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-get-")
        self.server = JsonServer([live(i) for i in range(1, 51)])
        self.server.start()
        self.addCleanup(self.server.cleanup)
        target = target_yaml(self.server.url, resource={
            "get": "GET /records/{id}"})
        # 'get' replaces 'list'
        self.target = write_yaml(os.path.join(self.tmp, "target.yaml"),
                                 target.replace('    list: "/records"\n', ""))

    def desired(self, records):
        lines = "".join("  - %s\n" % r for r in records)
        return write_yaml(os.path.join(self.tmp, "records.yaml"),
                          "records:\n" + lines)

    def test_reads_only_the_named_records(self):
        recs = self.desired([
            "{id: 1, name: host1, type: A, ttl: 600}",
            "{id: 2, name: host2, type: A, ttl: 3600}",
            "{id: 3, name: host3, type: A, state: absent}",
            "{id: 99, name: new99, type: A, ttl: 60}"])
        mark = self.server.mark()
        run = run_trueup(["apply", self.target, recs])
        self.assertEqual(run.code, 0, run.describe())
        rep = run.report
        self.assertEqual((rep["created"], rep["updated"], rep["deleted"],
                          rep["skipped"]), (1, 1, 1, 1))
        gets = [r for r in self.server.requests(mark) if r[0] == "GET"]
        self.assertEqual(sorted(r[1] for r in gets),
                         ["/records/1", "/records/2", "/records/3",
                          "/records/99"])
        after = by_key(self.server.get_records())
        self.assertEqual(after["host1|A"], dict(live(1), ttl=600))
        self.assertNotIn("host3|A", after)
        self.assertEqual(after["new99|A"],
                         {"id": 99, "name": "new99", "type": "A", "ttl": 60})
        self.assertEqual(len(after), 50)
        # again: every record read, nothing written
        mark = self.server.mark()
        run = run_trueup(["apply", self.target, recs])
        self.assertEqual((run.code, run.report["changed"]), (0, False))
        self.assertEqual(self.server.writes(mark), [])

    def test_export_without_records_says_why(self):
        # a get target reads only the declared records: with none, export
        # would print an empty list; it refuses and says what to do
        mark = self.server.mark()
        run = run_trueup(["export", self.target])
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.stdout, "")
        self.assertIn("reads records one by one (target.resource.get)",
                      run.stderr)
        self.assertIn("target.resource.list", run.stderr)
        self.assertEqual(self.server.requests(mark), [])

    def test_export_of_the_declared_records(self):
        recs = self.desired(["{id: 4, name: host4, type: A}",
                             "{id: 5, name: host5, type: A}"])
        run = run_trueup(["export", self.target, recs])
        self.assertEqual(run.code, 0, run.describe())
        self.assertIn("name: host4", run.stdout)
        self.assertIn("name: host5", run.stdout)
        self.assertNotIn("host6", run.stdout)

    def test_a_record_without_its_id_stops_the_run(self):
        recs = self.desired(["{id: 1, name: host1, type: A, ttl: 600}",
                             "{name: noid, type: A}"])
        run = run_trueup(["apply", self.target, recs])
        self.assertEqual(run.code, 1)
        self.assertIn("%s:3: record 'noid|A' has no value for {id}, so it "
                      "cannot be read with target.resource.get" % recs,
                      run.stderr)
        self.assertEqual(self.server.writes(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
