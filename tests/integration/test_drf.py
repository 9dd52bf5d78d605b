#!/usr/bin/env python3
"""trueup against a real Django REST framework API shaped like NetBox's.

One server (drf_server.DRFServer: Debian's Django and DRF, SQLite, token
authentication, trailing-slash URLs, read-only id/url/display/timestamps,
`status` read as {value, label} and written flat; target.fields says so)
for the whole file, seeded with one vrf of records per test so that tests do
not see each other's writes, and a vrf of 2,369 records for the stories.

- Every pagination kind, each against DRF's own pagination class (or one
  built on it): plan, apply, an idempotent re-run, and export round trips.
- The three stories of issue 9, each shown fixed: a 404 for the page after
  the last ends the list; a page size above the server's cap of 1,000 does
  not make 2,369 records look like 1,000 (no duplicate creates); paginate
  none against a paged body is refused, with nothing written.

Each address names its vrf by a real foreign key, read nested ({id, name,
...}) and written as the id: target.fields reads the id (`vrf: {read:
id}`), and the records here give it. docs/recipes/netbox.yaml, a system of
tenants, VRFs, prefixes and addresses, is run by test_system_drf.py.
"""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (records_yaml, run_trueup,  # noqa: E402
                     temp_dir, trueup_available, trueup_binary, write_yaml)
from drf_server import TOKEN, DRFServer, drf_unavailable  # noqa: E402

KIND_VRFS = ["k-offset", "k-page", "k-next", "k-cursor", "k-cf", "k-bare"]
VRFS = dict([(v, 300) for v in KIND_VRFS] +
            [("k-404", 200), ("big", 2369)])
# NETBOX_TOKEN: the recipe's name for it (test_system_drf.py)
ENV = {"DRF_TOKEN": TOKEN, "NETBOX_TOKEN": TOKEN}
IP = "/api/ipam/ip-addresses/"
# the server's own fields, status read nested as NetBox does, and the
# foreign keys read nested and written as ids
FIELDS = dict({f: "read_only" for f in ("url", "display", "created",
                                        "last_updated")},
              status={"read": "value"}, vrf={"read": "id"},
              tenant={"read": "id"})
DRF = None


def require_drf():
    """Skip the file when the DRF API cannot run here (fail on CI)."""
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())
    reason = drf_unavailable()
    if reason:
        if os.environ.get("CI"):
            raise RuntimeError("CI must run the DRF tests: " + reason)
        raise unittest.SkipTest(reason)


def setUpModule():
    global DRF
    require_drf()
    DRF = DRFServer(VRFS)
    try:
        DRF.start()
    except BaseException:
        DRF.cleanup()
        raise


def tearDownModule():
    if DRF is not None:
        DRF.cleanup()


def target(list_path, **resource):
    res = {"list": list_path, "items": "results", "key": "address",
           "create": "POST " + IP,
           "update": "PATCH " + IP + "{id}/",
           "delete": "DELETE " + IP + "{id}/"}
    res.update(resource)
    res = {k: v for k, v in res.items() if v is not None}
    lines = ["target:", "  provider: rest",
             "  base_url: %s" % json.dumps(DRF.url),
             "  auth: {type: bearer, scheme: Token, token_env: DRF_TOKEN}",
             "  fields: %s" % json.dumps(FIELDS),
             "  resource:"]
    lines += ["    %s: %s" % (k, json.dumps(v)) for k, v in res.items()]
    return ("\n".join(lines) + "\nsettings: {prune: true, concurrency: 8, "
            "retries: 1}\n")


# ---- pagination kinds, each over its own vrf ----------------------------------

KINDS = {
    # NetBox's own: DRF LimitOffsetPagination, count_path defaults to count
    "k-offset": ("/api/ipam/ip-addresses/?vrf=k-offset",
                 {"paginate": "offset", "per_page": 100}),
    # DRF PageNumberPagination, the total from the body's count
    "k-page": ("/api/page/ip-addresses/?vrf=k-page",
               {"paginate": "page", "per_page": 100, "count_path": "count"}),
    # DRF CursorPagination: the next page's URL in the body
    "k-next": ("/api/cursor/ip-addresses/?vrf=k-next&limit=100",
               {"paginate": "next"}),
    # a cursor in the body (Stripe's shape, DRF's cursor inside)
    "k-cursor": ("/api/stripe/ip-addresses/?vrf=k-cursor",
                 {"paginate": "cursor", "items": "data", "per_page": 100,
                  "cursor_path": "next_cursor", "has_more_path": "has_more"}),
    # numbered pages with Cloudflare's result_info.total_pages
    "k-cf": ("/api/cf/ip-addresses/?vrf=k-cf",
             {"paginate": "page", "items": "result", "per_page": 100,
              "total_pages_path": "result_info.total_pages"}),
    # numbered pages of a bare array: no total, a 404 past the last page
    "k-bare": ("/api/bare/ip-addresses/?vrf=k-bare",
               {"paginate": "page", "items": None, "per_page": 100}),
}


class DRFTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-drf-test-")

    def file(self, name, text):
        return write_yaml(os.path.join(self.tmp, name), text)

    def trueup(self, *args, code=0):
        run = run_trueup(list(args), env=ENV)
        self.assertEqual(run.code, code, run.describe())
        return run

    def export(self, target_file):
        """trueup export: the file it writes, and its records' count."""
        run = self.trueup("export", target_file)
        head = run.stdout.splitlines()[0]
        count = int(re.match(r"# trueup \S+ export: (\d+) records", head)
                    .group(1))
        return self.file("exported.yaml", run.stdout), count

    def assert_plan(self, files, **counts):
        rep = self.trueup("plan", *files).report
        got = {k: rep[k] for k in counts}
        self.assertEqual(got, counts, rep)
        return rep


class KindTest(DRFTestCase):
    """Plan, apply, re-run and export for each pagination kind."""

    def lifecycle(self, vrf):
        list_path, resource = KINDS[vrf]
        t = self.file("target.yaml", target(list_path, **resource))
        live = DRF.rows(vrf)
        self.assertEqual(len(live), 300)

        # export, then plan from the export: nothing to do
        exported, n = self.export(t)
        self.assertEqual(n, 300)
        self.assert_plan([t, exported], changed=False, skipped=300, total=300)

        # 20 changed, 5 gone (pruned), 10 new
        desired = [dict(r) for r in sorted(live.values(),
                                           key=lambda r: r["address"])]
        for r in desired[:20]:
            r["status"] = "reserved"
            r["description"] = "changed by trueup"
        desired = desired[:-5]
        base = 100 + KIND_VRFS.index(vrf)
        desired += [{"address": "192.168.%d.%d/32" % (base, i),
                     "vrf": DRF.vrf_id(vrf),
                     "status": "dhcp", "dns_name": "new%d.example.org" % i,
                     "description": ""} for i in range(10)]
        d = self.file("records.yaml", records_yaml(desired))
        self.assert_plan([t, d], created=10, updated=20, deleted=5,
                         skipped=275)
        rep = self.trueup("apply", t, d).report
        self.assertEqual((rep["succeeded"], rep["failed"]), (35, 0), rep)
        self.assertEqual(DRF.rows(vrf),
                         {r["address"]: r for r in desired})

        # again: nothing to write
        rep = self.trueup("apply", t, d).report
        self.assertEqual((rep["changed"], rep["write_requests"],
                          rep["skipped"]), (False, 0, 305), rep)

        # the export of the new state plans nothing either
        exported, n = self.export(t)
        self.assertEqual(n, 305)
        self.assert_plan([t, exported], changed=False, skipped=305)

    def test_offset(self):
        self.lifecycle("k-offset")

    def test_page_with_count(self):
        self.lifecycle("k-page")

    def test_next_url(self):
        self.lifecycle("k-next")

    def test_cursor_in_body(self):
        self.lifecycle("k-cursor")

    def test_page_with_total_pages(self):
        self.lifecycle("k-cf")

    def test_page_of_bare_arrays(self):
        self.lifecycle("k-bare")


class StoryTest(DRFTestCase):
    """The three ways a list was cut short before, each shown fixed."""

    def desired_all(self, vrf):
        return self.file("all.yaml", records_yaml(
            sorted(DRF.rows(vrf).values(), key=lambda r: r["address"])))

    def gets(self, since):
        return [(path, status) for method, path, status
                in DRF.requests(since) if method == "GET"]

    def test_page_after_the_last_is_a_404(self):
        # 200 records, pages of 100, no total: page 3 is DRF's 404
        t = self.file("t.yaml", target("/api/bare/ip-addresses/?vrf=k-404",
                                       paginate="page", items=None,
                                       per_page=100))
        d = self.desired_all("k-404")
        mark = DRF.mark()
        self.assert_plan([t, d], changed=False, skipped=200, total=200)
        self.assertEqual(self.gets(mark), [
            ("/api/bare/ip-addresses/?vrf=k-404&page=1&per_page=100", 200),
            ("/api/bare/ip-addresses/?vrf=k-404&page=2&per_page=100", 200),
            ("/api/bare/ip-addresses/?vrf=k-404&page=3&per_page=100", 404)])

    def test_page_size_above_the_servers_cap(self):
        # 2,369 records; 2,000 asked for, DRF gives 1,000 a page
        d = self.desired_all("big")
        self.assertEqual(len(DRF.rows("big")), 2369)
        page = "/api/page/ip-addresses/?vrf=big"
        cases = [
            # no total: the body's next is believed over the short page
            (target(page, paginate="page", per_page=2000),
             ["%s&page=%d&per_page=2000" % (page, p) for p in (1, 2, 3)]),
            # the count: every other page at once
            (target(page, paginate="page", per_page=2000,
                    count_path="count"),
             ["%s&page=%d&per_page=2000" % (page, p) for p in (1, 2, 3)]),
            # offsets in steps of what a page held
            (target(IP + "?vrf=big", paginate="offset", per_page=2000),
             ["%s?vrf=big&offset=%d&limit=2000" % (IP, o)
              for o in (0, 1000, 2000)]),
            # a bare array, nothing said: page 1's 1,000 is not taken for
            # the last page, page 3's 369 (fewer than page 2's) is
            (target("/api/bare/ip-addresses/?vrf=big", paginate="page",
                    items=None, per_page=2000),
             ["/api/bare/ip-addresses/?vrf=big&page=%d&per_page=2000" % p
              for p in (1, 2, 3)]),
        ]
        for text, urls in cases:
            with self.subTest(urls[0]):
                t = self.file("t.yaml", text)
                mark = DRF.mark()
                self.assert_plan([t, d], created=0, deleted=0, updated=0,
                                 skipped=2369)
                self.assertEqual(sorted(p for p, _ in self.gets(mark)),
                                 sorted(urls))

    def test_paginate_none_against_a_paged_body(self):
        t = self.file("t.yaml", target(IP + "?vrf=big", paginate=None))
        mark = DRF.mark()
        message = (
            "trueup: error: GET %s%s?vrf=big: the response holds 50 records "
            "and says there are more (next is \"%s%s?limit=50&offset=50&"
            "vrf=big\"), but target.resource.paginate is none: trueup will "
            "not plan from part of a list; set paginate: offset (or next) "
            "(docs/desired-state.md, Pagination)\n"
            % (DRF.url, IP, DRF.url, IP))
        run = self.trueup("export", t, code=1)
        self.assertEqual((run.stdout, run.stderr), ("", message))
        run = self.trueup("apply", t, self.desired_all("big"), code=1)
        self.assertEqual(run.stderr,
                         message + "trueup: nothing was pushed\n")
        self.assertEqual([m for m, _, _ in DRF.requests(mark)], ["GET", "GET"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
