#!/usr/bin/env python3
"""Answers of any shape (docs/internals/any-api.md, sections 4 and 5):

- empty answers: SOLIDserver's 204 past its last row ends offset paging,
  and its 204 for an absent rr_id is a record that does not exist
  (solidserver_sim.py);
- a list page without its items that counts 0 is an empty page; counting
  more, it is an error that says so;
- the new id of a created record: the answer's id field, the Location
  header of a bare 201, SOLIDserver's [{"ret_oid": "17"}] at 0.ret_oid;
- target.resource.success: Porkbun's 200 {"status": "ERROR"} fails a
  write with the server's message, and fails a list before anything is
  pushed;
- a create re-sent after re-reading found it absent counts every POST in
  its attempts, and the re-send in the report's retries.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (RecordingServer, results_by_key, run_trueup,  # noqa: E402
                     target_yaml, temp_dir, trueup_available, trueup_binary,
                     write_yaml, records_yaml)
from solidserver_sim import SolidServer, make_zone  # noqa: E402

PORKBUN_ERROR = {"status": "ERROR", "message": "Invalid API key. (001)"}
SUCCESS = {"path": "status", "equals": "SUCCESS", "message": "message"}


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def sds_target(sds, **resource):
    res = {"list": "/rest/dns_rr_list", "key": ["rr_full_name", "rr_type"],
           "id": "rr_id", "paginate": "offset", "offset_param": "offset",
           "per_page_param": "limit", "per_page": 100}
    res.update(resource)
    return target_yaml(sds.url, resource=res, headers=sds.headers,
                       key=("rr_full_name", "rr_type"))


class EmptyAnswers(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-answers-")

    def test_solidserver_204_ends_offset_paging(self):
        # 200 rows in pages of 100: the third page is past the last row,
        # answered 204 with no body
        with SolidServer(records=make_zone(200)) as sds:
            path = write_yaml(os.path.join(self.tmp, "t.yaml"),
                              sds_target(sds))
            run = run_trueup(["export", path])
            self.assertEqual(run.code, 0, run.describe())
            self.assertEqual(run.stdout.count("- {rr_full_name: "), 200,
                             run.describe()[:2000])
            lists = [(r.query.get("offset"), r.status)
                     for r in sds.requests() if r.method == "GET"]
        self.assertEqual(lists, [("0", 200), ("100", 200), ("200", 204)])

    def test_solidserver_204_get_is_an_absent_record(self):
        with SolidServer(records=make_zone(2)) as sds:
            # dns_rr_info answers [row]: the record is item 0
            target = sds_target(sds, get="GET /rest/dns_rr_info?rr_id={id}",
                                items="0")
            target = target.replace('    list: "/rest/dns_rr_list"\n', "")
            for key in ("paginate", "offset_param", "per_page_param",
                        "per_page"):
                target = "".join(line + "\n" for line in target.splitlines()
                                 if not line.startswith("    %s:" % key))
            path = write_yaml(os.path.join(self.tmp, "t.yaml"), target + (
                records_yaml([
                    {"rr_id": "1", "rr_full_name": "host1.example.org",
                     "rr_type": "A", "value1": "10.0.0.1"},
                    {"rr_id": "999", "rr_full_name": "new.example.org",
                     "rr_type": "A", "value1": "10.0.9.9"}])))
            run = run_trueup(["plan", path])
            self.assertEqual(run.code, 0, run.describe())
            res = results_by_key(run.report)
            statuses = [r.status for r in sds.requests()
                        if "rr_id=999" in r.path]
        self.assertEqual(res["new.example.org|A"]["action"], "create")
        self.assertEqual(statuses, [204])

    def list_answer(self, body):
        return RecordingServer([], respond=lambda req: (
            (200, body) if req.method == "GET" else (201, {"id": 1})))

    def test_no_items_with_count_0_is_an_empty_page(self):
        with self.list_answer({"count": 0, "next": None}) as rs:
            path = write_yaml(os.path.join(self.tmp, "t.yaml"), target_yaml(
                rs.url, resource={"items": "results"}) + records_yaml(
                    [{"name": "a", "type": "A"}]))
            run = run_trueup(["plan", path])
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.report["created"], 1)

    def test_no_items_with_a_count_is_an_error(self):
        with self.list_answer({"total_size": 3}) as rs:
            path = write_yaml(os.path.join(self.tmp, "t.yaml"), target_yaml(
                rs.url, resource={"items": "results"}) + records_yaml(
                    [{"name": "a", "type": "A"}]))
            run = run_trueup(["apply", path])
            writes = rs.writes()
        self.assertNotEqual(run.code, 0, run.describe())
        self.assertIn("the response has nothing at items path 'results', "
                      "but counts 3 records: check target.resource.items",
                      run.stdout + run.stderr)
        self.assertEqual(writes, [])


class NewId(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-answers-")

    def apply(self, respond, resource=None):
        with RecordingServer([], respond=respond) as rs:
            path = write_yaml(os.path.join(self.tmp, "t.yaml"), target_yaml(
                rs.url, resource=resource) + records_yaml(
                    [{"name": "a", "type": "A"}]))
            run = run_trueup(["apply", path])
            self.assertEqual(run.code, 0, run.describe())
            return run, rs.writes()

    def test_the_answers_id_field(self):
        run, writes = self.apply(lambda req: (
            (200, []) if req.method == "GET"
            else (201, {"uuid": "c0ffee", "name": "a"})), {"id": "uuid"})
        self.assertEqual(len(writes), 1)
        self.assertEqual(results_by_key(run.report)["a|A"]["id"], "c0ffee")

    def test_the_location_of_a_bare_201(self):
        run, _ = self.apply(lambda req: (
            (200, []) if req.method == "GET" else
            (201, b"", {"Location": "/records/77"})))
        res = results_by_key(run.report)["a|A"]
        self.assertEqual(res["id"], "77")
        self.assertEqual((res["status"], res["attempts"]), ("ok", 1))

    def test_text_report_shows_the_id(self):
        with RecordingServer([], respond=lambda req: (
                (200, []) if req.method == "GET" else
                (201, b"", {"Location": "/records/78/"}))) as rs:
            path = write_yaml(os.path.join(self.tmp, "t.yaml"), target_yaml(
                rs.url) + records_yaml([{"name": "a", "type": "A"}]))
            run = run_trueup(["apply", "--format", "text", path])
        self.assertEqual(run.code, 0, run.describe())
        self.assertIn("+ a|A (id 78)", run.stdout)

    def test_no_id_anywhere(self):
        run, _ = self.apply(lambda req: (
            (200, []) if req.method == "GET" else (204, b"")))
        self.assertNotIn("id", results_by_key(run.report)["a|A"])

    def test_solidserver_ret_oid(self):
        # create.id (the action's mapping form) names where the id is
        ret = [{"ret_oid": "17"}]
        resource = {"create": {"request": "POST /records",
                               "id": "0.ret_oid"}}
        with RecordingServer([], respond=lambda req: (
                (200, []) if req.method == "GET" else (201, ret))) as rs:
            path = write_yaml(os.path.join(self.tmp, "t.yaml"), target_yaml(
                rs.url, resource=resource) + records_yaml(
                    [{"name": "a", "type": "A"}]))
            run = run_trueup(["apply", path])
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(results_by_key(run.report)["a|A"]["id"], "17")


class SuccessRule(unittest.TestCase):
    """Porkbun answers 200 {"status": "ERROR", "message": ...}
    (porkbun_sim.py, error_status=200); its lists are POSTs, so the rule is
    checked here on a RecordingServer answering as Porkbun does."""

    def setUp(self):
        self.tmp = temp_dir(self, "tu-answers-")

    def target(self, url, records):
        return write_yaml(os.path.join(self.tmp, "t.yaml"), target_yaml(
            url, resource={"items": "records", "success": SUCCESS,
                           "update": "PUT /records/{id}"}) +
            records_yaml(records))

    def test_an_error_inside_a_200_fails_the_write(self):
        live = [{"id": "1", "name": "b", "type": "A", "ttl": "600"}]

        def respond(req):
            if req.method == "GET":
                return 200, {"status": "SUCCESS", "records": live}
            if req.method == "POST":
                return 200, PORKBUN_ERROR
            return 200, {"status": "SUCCESS"}
        with RecordingServer([], respond=respond) as rs:
            path = self.target(rs.url, [{"name": "a", "type": "A"},
                                        {"name": "b", "type": "A",
                                         "ttl": "900"}])
            run = run_trueup(["apply", path])
            port = rs.port
        self.assertEqual(run.code, 3, run.describe())
        res = results_by_key(run.report)
        self.assertEqual(res["a|A"]["status"], "failed")
        self.assertEqual(
            res["a|A"]["error"],
            "POST http://127.0.0.1:%d/records: the server answered 200 but "
            "status is \"ERROR\": Invalid API key. (001)" % port)
        self.assertEqual((res["a|A"]["http_status"], res["a|A"]["attempts"]),
                         (200, 1))
        self.assertNotIn("id", res["a|A"])
        self.assertEqual(res["b|A"]["status"], "ok")
        self.assertEqual((run.report["failed"], run.report["updated"]),
                         (1, 1))

    def test_an_error_inside_a_200_list_fails_the_run(self):
        with RecordingServer([], respond=lambda req: (
                200, PORKBUN_ERROR)) as rs:
            path = self.target(rs.url, [{"name": "a", "type": "A"}])
            run = run_trueup(["apply", path])
            writes = rs.writes()
            port = rs.port
        self.assertNotEqual(run.code, 0, run.describe())
        self.assertIn("GET http://127.0.0.1:%d/records: the server answered "
                      "200 but status is \"ERROR\": Invalid API key. (001)"
                      % port, run.stdout + run.stderr)
        self.assertEqual(writes, [])

    def test_a_bad_rule_is_refused_at_load(self):
        path = write_yaml(os.path.join(self.tmp, "t.yaml"), target_yaml(
            "http://127.0.0.1:9", resource={
                "success": {"path": "status", "equals": ["SUCCESS"]}}) +
            records_yaml([{"name": "a", "type": "A"}]))
        run = run_trueup(["plan", path])
        self.assertEqual(run.code, 1, run.describe())
        self.assertRegex(run.stderr, r"t\.yaml:\d+:\d+: target\.resource\."
                         r"success\.equals: expected one value, got a list")
        path = write_yaml(path, target_yaml(
            "http://127.0.0.1:9", resource={"success": {"equal": 1}}))
        run = run_trueup(["plan", path])
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn("target.resource.success", run.stderr)


class Attempts(unittest.TestCase):
    def test_a_re_sent_create_counts_every_post(self):
        tmp = temp_dir(self, "tu-answers-")
        posts = []

        def respond(req):
            if req.method == "GET":
                return 200, []
            posts.append(req)
            if len(posts) == 1:  # lost: not created, answered 500
                return 500, {"error": "lost"}
            return 201, {"id": 5, "name": "a", "type": "A"}
        with RecordingServer([], respond=respond) as rs:
            path = write_yaml(os.path.join(tmp, "t.yaml"), target_yaml(
                rs.url) + records_yaml([{"name": "a", "type": "A"}]))
            run = run_trueup(["apply", path])
            gets = [r for r in rs.requests() if r.method == "GET"]
        self.assertEqual(run.code, 0, run.describe())
        res = results_by_key(run.report)["a|A"]
        self.assertEqual(len(posts), 2)
        self.assertEqual(len(gets), 2)  # the list, then the re-read
        self.assertEqual((res["status"], res["attempts"]), ("ok", 2))
        self.assertEqual(run.report["retries"], 1)
        self.assertEqual(res["id"], "5")


if __name__ == "__main__":
    unittest.main()
