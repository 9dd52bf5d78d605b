#!/usr/bin/env python3
"""Pagination's protections, each with its exact message and nothing pushed:
a list is never planned from in part.

Runs trueup against an in-process recording server on a free loopback port
(harness.RecordingServer) that answers each list request from a function of
its path and query, with the headers a test wants. The real-API stories
(Django REST framework's pagination classes) are in test_drf.py.
"""

import os
import sys
import unittest
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (RecordingServer, run_trueup, target_yaml,  # noqa: E402
                     temp_dir, trueup_available, trueup_binary, write_yaml)

DOCS = "docs/desired-state.md, Pagination"


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def recs(lo, hi):
    return [{"id": i, "name": "r%d" % i} for i in range(lo, hi)]


def query(req):
    parts = urlsplit(req.path)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


class PaginateTest(unittest.TestCase):
    def serve(self, answer):
        server = RecordingServer([], respond=answer).start()
        self.addCleanup(server.stop)
        return server

    def run_on(self, server, resource, records=None, args=("plan",)):
        tmp = temp_dir(self, "tu-page-")
        res = dict({"list": "/r", "key": ["name"]}, **resource)
        text = target_yaml(server.url, resource=res, key=res["key"])
        text += "settings: {prune: true, retries: 0}\nrecords:\n"
        for r in records if records is not None else [{"name": "r0"}]:
            text += "  - {name: %s}\n" % r["name"]
        f = write_yaml(os.path.join(tmp, "d.yaml"), text)
        return f, run_trueup(list(args) + ["--format", "json", f]
                             if args[0] != "export" else list(args) + [f])

    def refused(self, server, resource, message):
        f, run = self.run_on(server, resource)
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.stderr.splitlines()[0],
                         "trueup: error: " + message % {"url": server.url},
                         run.describe())
        self.assertEqual(server.writes(), [])
        return f

    def gets(self, server):
        return [r.path for r in server.requests() if r.method == "GET"]

    # ---- paginate: none ----------------------------------------------------

    def test_none_refuses_a_body_or_header_that_says_more(self):
        server = self.serve(lambda req: (200, {
            "results": recs(0, 2), "has_more": True}))
        self.refused(server, {"items": "results"},
                     "GET %(url)s/r: the response holds 2 records and says "
                     "there are more (has_more is true), but "
                     "target.resource.paginate is none: trueup will not "
                     "plan from part of a list; set paginate: cursor (" +
                     DOCS + ")")
        server = self.serve(lambda req: (200, recs(0, 2), {
            "Link": '</r?page=2>; rel="next"'}))
        self.refused(server, {},
                     "GET %(url)s/r: the response holds 2 records and says "
                     "there are more (a Link header names the next page), "
                     "but target.resource.paginate is none: trueup will not "
                     "plan from part of a list; set paginate: link (" +
                     DOCS + ")")
        server = self.serve(lambda req: (200, recs(0, 2), {
            "X-Total-Count": "7"}))
        self.refused(server, {},
                     "GET %(url)s/r: the response holds 2 records and says "
                     "there are more (X-Total-Count is 7), but "
                     "target.resource.paginate is none: trueup will not plan "
                     "from part of a list; set paginate: see the kinds (" +
                     DOCS + ")")
        server = self.serve(lambda req: (200, {
            "items": recs(0, 2), "page_count": 4}))
        self.refused(server, {},
                     "GET %(url)s/r: the response holds 2 records and says "
                     "there are more (page_count is 4), but "
                     "target.resource.paginate is none: trueup will not plan "
                     "from part of a list; set paginate: page (" + DOCS + ")")

    def test_none_takes_a_whole_list(self):
        server = self.serve(lambda req: (200, {
            "count": 2, "next": None, "results": recs(0, 2)},
            {"X-Total-Count": "2"}))
        f, run = self.run_on(server, {"items": "results"},
                             records=recs(0, 2))
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(self.gets(server), ["/r"])

    # ---- loops, other hosts, repeats, caps ---------------------------------

    def test_next_url_loop_and_other_host(self):
        def loop(req):
            _, q = query(req)
            return 200, {"results": recs(0, 1),
                         "next": "/r?p=2" if "p" not in q else "/r"}
        server = self.serve(loop)
        self.refused(server, {"paginate": "next", "items": "results"},
                     "GET %(url)s/r?p=2: the response's next URL points back "
                     "to %(url)s/r, which was already fetched: the "
                     "pagination loops")
        server = self.serve(lambda req: (200, {
            "results": recs(0, 1),
            "next": "https://127.0.0.1:9/r?offset=1"}))
        self.refused(server, {"paginate": "next", "items": "results"},
                     "GET %(url)s/r: the response's next URL names a next "
                     "page on another server, https://127.0.0.1:9/r?offset=1,"
                     " not %(url)s where the list is: trueup sends the "
                     "target's credentials nowhere else (a server behind a "
                     "proxy may need to be told its public scheme and host)")

    def test_cursor_loop(self):
        server = self.serve(lambda req: (200, {
            "data": recs(0, 1), "next_cursor": "abc"}))
        self.refused(server, {"paginate": "cursor", "items": "data",
                              "cursor_path": "next_cursor"},
                     "GET %(url)s/r?cursor=abc&limit=100: the response's "
                     "cursor 'abc' was already sent: the pagination loops")

    def test_page_param_ignored(self):
        server = self.serve(lambda req: (200, recs(0, 3)))
        self.refused(server, {"paginate": "page", "per_page": 3},
                     "GET %(url)s/r?page=2&per_page=3: the server answered "
                     "with the same records as for the page before: it "
                     "ignores target.resource.page_param, or repeats the "
                     "last page past the end, so trueup cannot tell where "
                     "the list ends")

    def test_too_many_pages(self):
        server = self.serve(lambda req: (200, recs(0, 1), {
            "X-Total-Count": "1000000"}))
        self.refused(server, {"paginate": "page", "per_page": 1},
                     "GET %(url)s/r?page=1&per_page=1: 1000000 pages of 1 "
                     "records are more than 100000; raise "
                     "target.resource.per_page")

    # ---- the server's own count is believed --------------------------------

    def test_list_shorter_than_its_count(self):
        def short(req):
            _, q = query(req)
            page = int(q["page"])
            return 200, {"count": 10, "results": recs(0, 5) if page == 1
                         else []}
        server = self.serve(short)
        self.refused(server, {"paginate": "page", "items": "results",
                              "count_path": "count", "per_page": 5},
                     "GET %(url)s/r?page=2&per_page=5: the list ended after 5 "
                     "records, but the server counts 10 (count): trueup will "
                     "not plan from part of a list. If records were added or "
                     "removed while it was read, run again; otherwise check "
                     "target.resource.paginate and per_page (" + DOCS + ")")

    def test_link_end_while_body_says_more(self):
        server = self.serve(lambda req: (200, {
            "items": recs(0, 2), "next": "/r?page=2"}))
        self.refused(server, {"paginate": "link"},
                     "GET %(url)s/r: paginate link finds no next page here, "
                     "but the response says there is more (next is "
                     "\"/r?page=2\"): trueup will not plan from part of a "
                     "list; check target.resource.paginate (" + DOCS + ")")

    # ---- what is read ------------------------------------------------------

    def test_offset_grows_by_what_each_page_held(self):
        # a server that caps every page at 3 records, and says no total
        data = recs(0, 8)

        def capped(req):
            _, q = query(req)
            off = int(q["offset"])
            return 200, {"results": data[off:off + 3]}
        server = self.serve(capped)
        f, run = self.run_on(server, {"paginate": "offset",
                                      "items": "results", "per_page": 10},
                             records=data)
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(self.gets(server), [
            "/r?offset=0&limit=10", "/r?offset=3&limit=10",
            "/r?offset=6&limit=10"])
        self.assertEqual(run.report["created"], 0, run.describe())

    def test_page_past_the_last_is_a_404(self):
        data = recs(0, 4)

        def pages(req):
            _, q = query(req)
            page = int(q["page"])
            if page > 2:
                return 404, {"detail": "Invalid page."}
            return 200, data[(page - 1) * 2:page * 2]
        server = self.serve(pages)
        f, run = self.run_on(server, {"paginate": "page", "per_page": 2},
                             records=data)
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(self.gets(server), [
            "/r?page=1&per_page=2", "/r?page=2&per_page=2",
            "/r?page=3&per_page=2"])
        self.assertEqual(run.report["created"], 0, run.describe())

    def test_first_page_404_fails(self):
        server = self.serve(lambda req: (404, {"detail": "Not found."}))
        self.refused(server, {"paginate": "page"},
                     "GET %(url)s/r?page=1&per_page=100: HTTP 404: "
                     "{\"detail\": \"Not found.\"} (after 1 attempt)")

    # ---- settings ----------------------------------------------------------

    def test_settings_checked_at_load(self):
        server = self.serve(lambda req: (500, {}))
        tmp = temp_dir(self, "tu-page-")

        def fails(resource, message):
            res = dict({"list": "/r", "key": ["name"]}, **resource)
            f = write_yaml(os.path.join(tmp, "d.yaml"),
                           target_yaml(server.url, resource=res,
                                       key=["name"]))
            run = run_trueup(["plan", f])
            self.assertEqual(run.code, 1, run.describe())
            self.assertEqual(run.stderr, "trueup: error: %s:%s\n"
                             % (f, message))
        fails({"paginate": "cursor"},
              "11:5: target.resource.paginate: cursor needs cursor_path, the "
              "dotted path to the next page's cursor in the response (for "
              "example next_cursor or meta.next_cursor)")
        fails({"paginate": "page", "offset_param": "start"},
              "12:5: target.resource.offset_param: paginate page does not "
              "read it (it goes with paginate offset)")
        fails({"next_path": "links.next"},
              "11:5: target.resource.next_path: paginate none does not read "
              "it (it goes with paginate next)")
        fails({"paginate": "pages"},
              "11:5: target.resource.paginate: 'pages' is not one of: none, "
              "link, page, offset, next, cursor (did you mean 'page'?)")
        self.assertEqual(server.requests(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
