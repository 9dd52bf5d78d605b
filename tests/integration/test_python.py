#!/usr/bin/env python3
"""The Python package trueup (python/) against real servers.

Runs with the interpreter the package was built for (ctest passes it:
Debian's python3) and imports the package from the build directory, or
from a virtual environment it was installed into (pytrueup.py;
test_python_package.py runs this suite so). The async face on every async
library is test_python_async.py's.

Reconciler (the blocking face) and AsyncReconciler (asyncio, on the job
API) run against json-server and against an in-process recording server.
The latter also shows that the GIL is released while a run blocks (the
server's handler is Python code in this very process, so a run holding the
GIL could never be answered), lets a test hold a request until the test
lets it go (cancellation at a known point), and holds writes at a barrier
that only concurrent runs can pass (several applies under one gather).
No test measures time.
"""

import asyncio
import json
import os
import subprocess
import sys
import threading
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import (SOURCE_DIR, JsonServer, by_key, free_port,  # noqa: E402
                     host, http_request, results_by_key, target_yaml,
                     wait_port, write_desired, write_yaml)
from pytrueup import (INSTALLED, PRELOAD, TOKEN, TOKEN_VAR, Base,  # noqa: E402
                      document, live, python_env, tenant_document, trueup,
                      want)


class SyncReconcilerTest(Base):
    def test_plan_apply_and_apply_again_changes_nothing(self):
        srv = self.json_server(live(20))
        desired = [want(i) for i in range(1, 21)]
        desired[2]["content"] = "198.51.100.3"          # an update
        desired.append(want(99, ttl=60))                # a create
        r = trueup.Reconciler(document(srv.url, desired))
        self.assertEqual(r.record_count, 21)

        plan = r.plan()
        self.assertEqual(plan.mode, "plan")
        self.assertTrue(plan.changed)
        self.assertEqual((plan.created, plan.updated, plan.deleted,
                          plan.skipped, plan.failed), (1, 1, 0, 19, 0))
        self.assertEqual(srv.writes(), [])
        self.assertEqual({(x.key, x.action, x.status) for x in plan.results},
                         {("host3.example.org.|A", "update", "planned"),
                          ("host99.example.org.|A", "create", "planned")})

        report = r.apply()
        self.assertEqual((report.succeeded, report.skipped, report.failed),
                         (2, 19, 0))
        self.assertEqual(report.total, 21)
        self.assertEqual(report.write_requests, 2)
        # the counts and the members but "results" come from the summary,
        # without parsing the results; the whole report agrees with them
        self.assertEqual(report["mode"], "apply")
        self.assertIsNone(report._parsed)
        self.assertEqual(len(report["results"]), 2)
        self.assertIsNotNone(report._parsed)
        self.assertEqual({k: report[k] for k in report.dict
                          if k != "results"},
                         {k: v for k, v in report._summary.items()})
        self.assertEqual(len(srv.writes()), 2)
        got = by_key(srv.get_records())
        self.assertEqual(got["host3.example.org.|A"]["content"],
                         "198.51.100.3")
        self.assertEqual(got["host99.example.org.|A"]["ttl"], 60)
        update = results_by_key(report.dict)["host3.example.org.|A"]
        self.assertEqual(update["changes"],
                         {"content": {"before": "192.0.2.3",
                                      "after": "198.51.100.3"}})
        self.assertEqual(json.loads(report.json), report.dict)
        # the Result objects, made from the typed results, are the JSON's
        self.assertEqual([x.dict for x in report.results],
                         report.dict["results"])
        self.assertEqual(report.results[0].key_fields,
                         {"name": report.results[0].key.split("|")[0],
                          "type": "A"})
        self.assertEqual(report.target["base_url"], srv.url)
        self.assertEqual(report["schema_version"], 1)
        self.assertIsNone(report.get("no such field"))
        self.assertEqual(report.results[0]["key"], report.results[0].key)

        mark = srv.mark()
        again = r.apply()
        self.assertFalse(again.changed)
        self.assertEqual((again.succeeded, again.skipped), (0, 21))
        self.assertEqual(srv.writes(mark), [])

    def test_files_merged_like_the_cli(self):
        srv = self.json_server(live(5))
        d = self.tmp.name
        target = write_yaml(os.path.join(d, "target.yaml"),
                            target_yaml(srv.url))
        records = write_desired(os.path.join(d, "records.yaml"),
                                records=[want(1, content="203.0.113.1")])
        r = trueup.Reconciler(target, records)
        self.assertEqual(r.plan().updated, 1)
        self.assertIn("records.yaml", repr(r))
        report = trueup.Reconciler([target, records]).apply()
        self.assertEqual(report.succeeded, 1)
        self.assertEqual(by_key(srv.get_records())
                         ["host1.example.org.|A"]["content"], "203.0.113.1")

    def test_options_prune_force_concurrency_and_bulk(self):
        srv = self.json_server(live(12))
        r = trueup.Reconciler(document(srv.url,
                                       [want(i) for i in range(1, 9)]))
        plan = r.plan(prune=True)
        self.assertEqual(plan.deleted, 4)
        # 4 of 12 live records is over max_deletes (30%): apply refuses
        with self.assertRaises(trueup.ThresholdExceeded) as cm:
            r.apply(prune=True)
        self.assertEqual(cm.exception.kind, trueup.ErrorKind.THRESHOLD)
        self.assertEqual(srv.writes(), [])
        self.assertEqual(r.plan().deleted, 0, "prune is off in the file")
        report = r.apply(prune=True, force=True, concurrency=2)
        self.assertEqual((report.deleted, report.concurrency), (4, 2))
        self.assertEqual(len(srv.get_records()), 8)

        bulk = r.apply(match={"type": "A", "name": "host[12].*"},
                       set={"ttl": 600})
        self.assertEqual(bulk.updated, 2)
        ttls = {x["name"]: x["ttl"] for x in srv.get_records()}
        self.assertEqual(ttls["host1.example.org."], 600)
        self.assertEqual(ttls["host3.example.org."], 3600)
        self.assertEqual(r.apply(match=["name=host3.*"], set=["ttl=60"])
                         .updated, 1)
        self.assertEqual(r.plan().changed, False,
                         "a bulk change is for its run only")

    def test_export_round_trips(self):
        srv = self.json_server(live(6))
        r = trueup.Reconciler(document(srv.url, []))
        text = r.export(concurrency=1)
        self.assertIn("host6.example.org.", text)
        path = write_yaml(os.path.join(self.tmp.name, "exported.yaml"), text)
        target = write_yaml(os.path.join(self.tmp.name, "target.yaml"),
                            target_yaml(srv.url))
        plan = trueup.Reconciler(target, path).plan()
        self.assertEqual((plan.changed, plan.skipped), (False, 6))

    def test_progress_and_a_callback_exception_stops_the_run(self):
        srv = self.json_server(live(4))
        r = trueup.Reconciler(document(srv.url, [want(i, ttl=5)
                                                 for i in range(1, 5)]))
        seen = []
        report = r.apply(progress=lambda *p: seen.append(p))
        self.assertEqual(report.succeeded, 4)
        self.assertIn(("fetch", 1, 1), seen)
        self.assertIn(("apply", 4, 4), seen)

        class Stop(Exception):
            pass

        def fail(phase, done, total):
            raise Stop(phase)
        mark = srv.mark()
        r2 = trueup.Reconciler(document(srv.url, [want(i, ttl=6)
                                                  for i in range(1, 5)]))
        with self.assertRaises(Stop) as cm:
            r2.apply(progress=fail)
        self.assertEqual(str(cm.exception), "fetch")
        self.assertEqual(srv.writes(mark), [], "stopped before the push")

    def test_results_as_they_happen(self):
        srv = self.json_server(live(5))
        r = trueup.Reconciler(document(srv.url, [want(1, ttl=5), want(2),
                                                 want(3, ttl=6), want(60)]))
        seen, threads = [], set()

        def on_result(res):
            seen.append((res.key, res.action, res.status))
            self.assertEqual(res.key_fields["type"], "A")
            threads.add(threading.get_ident())
            if res.status == "ok":
                # the write this result is about is done already
                self.assertIn(("PATCH" if res.action == "update" else "POST"),
                              [w[0] for w in srv.writes()])
        plan = r.plan(on_result=on_result)
        self.assertEqual(sorted(seen), [
            ("host1.example.org.|A", "update", "planned"),
            ("host2.example.org.|A", "skip", "skipped"),
            ("host3.example.org.|A", "update", "planned"),
            ("host60.example.org.|A", "create", "planned")])
        self.assertEqual(plan.created + plan.updated, 3)
        del seen[:]
        report = r.apply(concurrency=1, on_result=on_result)
        self.assertEqual(report.succeeded, 3)
        self.assertEqual(sorted(seen), [
            ("host1.example.org.|A", "update", "ok"),
            ("host2.example.org.|A", "skip", "skipped"),
            ("host3.example.org.|A", "update", "ok"),
            ("host60.example.org.|A", "create", "ok")])
        self.assertEqual(threads, {threading.get_ident()})

        class Stop(Exception):
            pass

        def stop(res):
            if res.status == "ok":
                raise Stop(res.key)
        mark = srv.mark()
        r2 = trueup.Reconciler(document(srv.url, [want(i, ttl=8)
                                                  for i in range(1, 5)]))
        with self.assertRaises(Stop):
            r2.apply(concurrency=1, on_result=stop)
        self.assertEqual(len(srv.writes(mark)), 1,
                         "the callback's exception stopped the run")

    def test_cancel_during_the_push_leaves_nothing_half_done(self):
        srv = self.json_server(live(6))
        r = trueup.Reconciler(document(srv.url, [want(i, ttl=7)
                                                 for i in range(1, 7)]))

        def cancel_after_first_write(phase, done, total):
            if phase == "apply" and done == 1:
                r.cancel()
        report = r.apply(concurrency=1, progress=cancel_after_first_write)
        self.assertTrue(report.cancelled)
        self.assertEqual((report.succeeded, report.failed), (1, 5))
        for x in report.failures():
            self.assertIn("cancelled", x.error)
        self.assertEqual(len(srv.writes()), 1)
        # a re-run converges
        self.assertEqual(r.apply().succeeded, 5)

    def test_runs_in_threads_share_one_reconciler(self):
        rs = self.recording_server(live(3))
        r = trueup.Reconciler(document(rs.url, [want(i, ttl=9)
                                                for i in range(1, 4)]))
        out = [None] * 4

        def work(i):
            out[i] = r.plan()
        threads = [threading.Thread(target=work, args=(i,))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual([p.updated for p in out], [3, 3, 3, 3])
        self.assertEqual(len(rs.requests()), 4)
        self.assertEqual(rs.requests()[0].headers["authorization"],
                         "Bearer " + TOKEN)


class SystemTest(Base):
    """A desired state of several resources (docs/systems.md): one
    Reconciler, one report, each result naming its resource."""

    def test_one_reconciler_of_several_resources(self):
        srv = JsonServer([], tmpdir=self.tmp.name)
        with open(srv.db_path, "w") as f:
            json.dump({"tenants": [], "addresses": []}, f)
        self.addCleanup(srv.cleanup)
        srv.start()
        doc = {"target": {"provider": "rest", "base_url": srv.url},
               "resources": {
                   "tenants": {
                       "target": {"resource": {"list": "/tenants",
                                               "key": "name",
                                               "create": "POST /tenants"}},
                       "records": [{"name": "acme"}]},
                   "addresses": {
                       "target": {"fields": {"tenant": {"ref": "tenants"}},
                                  "resource": {"list": "/addresses",
                                               "key": "address",
                                               "create": "POST /addresses"}},
                       "records": [{"address": "10.0.0.1",
                                    "tenant": "acme"}]}}}
        r = trueup.Reconciler(doc)
        self.assertEqual(r.record_count, 2)
        seen = []
        report = r.apply(on_result=lambda x: seen.append(x.resource))
        self.assertEqual((report.succeeded, report.failed), (2, 0))
        self.assertEqual({(x.resource, x.key) for x in report.results},
                         {("tenants", "acme"), ("addresses", "10.0.0.1")})
        self.assertEqual(sorted(seen), ["addresses", "tenants"])
        tenant = srv.get_records("/tenants")[0]
        self.assertEqual(srv.get_records("/addresses")[0]["tenant"],
                         tenant["id"])
        self.assertFalse(r.plan().changed)


class PlanFileTest(Base):
    """trueup.apply_plan and check_plan on a plan file the command made."""

    def make_plan(self, srv, desired, key=None):
        path = os.path.join(self.tmp.name, "d.json")
        with open(path, "w") as f:
            json.dump(document(srv.url, desired), f)
        yml = os.path.join(self.tmp.name, "d.yaml")
        os.rename(path, yml)           # JSON is YAML: the command reads it
        plan = os.path.join(self.tmp.name, "plan.json")
        env = dict(os.environ)
        env.pop("TRUEUP_PLAN_KEY", None)
        if key:
            env["TRUEUP_PLAN_KEY"] = key
        env.pop("LD_PRELOAD", None)    # trueup carries its own sanitizer
        run = subprocess.run([os.environ.get("TRUEUP") or os.path.join(
            SOURCE_DIR, "build", "trueup"), "plan", "-q", "--out", plan, yml],
            env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        return plan

    def test_apply_plan_once(self):
        srv = self.json_server(live(5))
        desired = [want(i) for i in range(1, 6)]
        desired[0]["content"] = "198.51.100.1"          # an update
        desired.append(want(7))                         # a create
        plan = self.make_plan(srv, desired)
        self.assertEqual(srv.writes(), [])

        checked = trueup.check_plan(plan, key=None)
        self.assertEqual((checked.mode, checked.updated, checked.created),
                         ("plan", 1, 1))
        self.assertEqual(srv.writes(), [])

        report = trueup.apply_plan(plan, key=None)
        self.assertEqual((report.mode, report.succeeded, report.failed,
                          report.total), ("apply", 2, 0, 2))
        self.assertEqual(len(srv.writes()), 2)
        self.assertNoSecret(repr(report) + report.json)

        with self.assertRaises(trueup.PlanRefused) as cm:
            trueup.apply_plan(plan, key=None)
        self.assertIn("applied", str(cm.exception))
        self.assertEqual(len(srv.writes()), 2)

    def test_sealed_plan_needs_its_key(self):
        srv = self.json_server(live(2))
        plan = self.make_plan(srv, [want(1, content="198.51.100.9"),
                                    want(2)], key="tu-plan-key-0123")
        with self.assertRaises(trueup.PlanRefused):
            trueup.apply_plan(plan, key="another-key-4567")
        self.assertEqual(srv.writes(), [])
        os.environ["TRUEUP_PLAN_KEY"] = "tu-plan-key-0123"
        self.addCleanup(os.environ.pop, "TRUEUP_PLAN_KEY", None)
        self.assertEqual(trueup.apply_plan(plan).succeeded, 1)


class AsyncReconcilerTest(Base):
    def run_async(self, coro):
        return asyncio.run(asyncio.wait_for(coro, 120))

    def test_plan_apply_and_results_as_they_happen(self):
        srv = self.json_server(live(6))
        desired = [want(i) for i in range(1, 7)]
        desired[0]["content"] = "198.51.100.1"
        desired.append(want(50))
        a = trueup.AsyncReconciler(document(srv.url, desired))
        self.assertEqual(a.record_count, 7)
        main_thread = threading.get_ident()
        seen, threads = [], set()

        def on_result(res):
            threads.add(threading.get_ident())

        progress = []

        async def go():
            plan = await a.plan(progress=lambda *p: progress.append(p))
            run = a.apply(on_result=on_result)
            async for res in run:
                seen.append((res.key, res.action, res.status))
            return plan, await run, await a.apply()
        plan, report, again = self.run_async(go())
        self.assertEqual((plan.mode, plan.created, plan.updated,
                          plan.skipped), ("plan", 1, 1, 5))
        self.assertIn(("fetch", 1, 1), progress)
        self.assertEqual(len(srv.writes()), 2)
        self.assertEqual((report.succeeded, report.skipped, report.failed),
                         (2, 5, 0))
        self.assertEqual(len(seen), 7, "one result per record")
        self.assertIn(("host1.example.org.|A", "update", "ok"), seen)
        self.assertIn(("host50.example.org.|A", "create", "ok"), seen)
        self.assertIn(("host2.example.org.|A", "skip", "skipped"), seen)
        self.assertEqual(threads, {main_thread}, "results come in the loop")
        self.assertEqual((again.changed, again.skipped), (False, 7))
        self.assertEqual(by_key(srv.get_records())
                         ["host1.example.org.|A"]["content"], "198.51.100.1")

    def test_gathered_applies_run_at_once_in_one_loop(self):
        """Three tenants' applies under one gather, each one request at a
        time. The server holds every write until one write of each tenant
        is in flight (a barrier of 3): were the runs not concurrent, the
        first write would wait for the others forever (the barrier's
        timeout then fails it)."""
        tenants = 3
        barrier = threading.Barrier(tenants, timeout=60)
        passed = []

        def respond(req):
            tenant = int(req.path.split("/")[1][1:])
            if req.method == "GET":
                return 200, [host(i) for i in range(1, 3)]
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                return 503, {"error": "the barrier broke"}
            passed.append(tenant)
            return 200, req.json
        rs = self.recording_server([], respond=respond)
        docs = [tenant_document(rs.url, t, [want(1, ttl=10 + t),
                                            want(2, ttl=20 + t)],
                                settings={"retries": 0})
                for t in range(tenants)]

        async def go():
            rec = [trueup.AsyncReconciler(d) for d in docs]
            return await asyncio.gather(*(r.apply(concurrency=1)
                                          for r in rec))
        reports = self.run_async(go())
        self.assertFalse(barrier.broken)
        for report in reports:
            self.assertEqual((report.succeeded, report.failed), (2, 0),
                             [x.error for x in report.failures()])
        self.assertEqual(sorted(passed), sorted(list(range(tenants)) * 2))

    def test_cancelling_the_task_stops_the_job_mid_push(self):
        hold, got_write = threading.Event(), threading.Event()
        self.addCleanup(hold.set)

        def respond(req):
            if req.method == "GET":
                return 200, live(5)
            got_write.set()
            hold.wait(60)
            return 200, req.json
        rs = self.recording_server([], respond=respond)
        a = trueup.AsyncReconciler(document(rs.url, [want(i, ttl=30)
                                                    for i in range(1, 6)]))

        async def go():
            run = a.apply(concurrency=1)
            task = asyncio.ensure_future(run)
            while not got_write.is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            while not run.cancel_requested:
                await asyncio.sleep(0.01)
            hold.set()              # the write in flight may now finish
            with self.assertRaises(asyncio.CancelledError):
                await task
            self.assertTrue(run.done())
            return run
        run = self.run_async(go())
        report = run.report
        self.assertTrue(report.cancelled)
        self.assertEqual((report.succeeded, report.failed), (1, 4))
        for x in report.failures():
            self.assertIn("cancelled before it was sent", x.error)
        self.assertEqual(len(rs.writes()), 1, "nothing sent after cancel")

    def test_cancelled_while_fetching_pushes_nothing(self):
        hold, got_get = threading.Event(), threading.Event()
        self.addCleanup(hold.set)

        def respond(req):
            if req.method == "GET":
                got_get.set()
                hold.wait(60)
                return 200, live(3)
            return 200, req.json
        rs = self.recording_server([], respond=respond)
        a = trueup.AsyncReconciler(document(rs.url, [want(i, ttl=40)
                                                    for i in range(1, 4)]))

        async def go():
            run = a.apply()
            task = asyncio.ensure_future(run)
            while not got_get.is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            while not run.cancel_requested:
                await asyncio.sleep(0.01)
            hold.set()
            with self.assertRaises(asyncio.CancelledError):
                await task
            return run
        run = self.run_async(go())
        self.assertEqual(rs.writes(), [])
        # The GET in flight was let finish; whether the job then stops with
        # the error "cancelled" or with a report of nothing done depends on
        # whether it noticed before or after the live records were in.
        if run.error is not None:
            self.assertIsInstance(run.error, trueup.Cancelled)
            self.assertEqual(run.error.kind, trueup.ErrorKind.CANCELLED)
            self.assertIsNone(run.report)
        else:
            self.assertTrue(run.report.cancelled)
            self.assertEqual((run.report.succeeded, run.report.failed),
                             (0, 3))
            for x in run.report.failures():
                self.assertIn("cancelled before it was sent", x.error)

    def test_errors_export_and_a_failing_callback(self):
        srv = self.json_server(live(12))

        async def go():
            with self.assertRaises(trueup.BadInput):
                trueup.AsyncReconciler(document(srv.url, [],
                                                settings={"concurency": 1}))
            gone = trueup.AsyncReconciler(document(
                "http://127.0.0.1:%d" % free_port(), [want(1)],
                settings={"retries": 0}))
            with self.assertRaises(trueup.FetchFailed):
                await gone.apply()
            a = trueup.AsyncReconciler(document(srv.url, [want(1)]))
            with self.assertRaises(trueup.ThresholdExceeded):
                await a.apply(prune=True)
            text = await a.export(concurrency=2)

            class Stop(Exception):
                pass

            def fail(res):
                raise Stop(res.key)
            b = trueup.AsyncReconciler(document(srv.url, [want(1, ttl=1),
                                                          want(2, ttl=2)]))
            with self.assertRaises(Stop):
                await b.apply(concurrency=1, on_result=fail)
            return text
        text = self.run_async(go())
        self.assertIn("host12.example.org.", text)
        self.assertEqual(len(srv.writes()), 1,
                         "the failing callback stopped the run")
        self.assertNoSecret(repr(trueup.AsyncReconciler(
            document(srv.url, []))))


class ErrorsTest(Base):
    def test_bad_input_raises_bad_input_with_its_place(self):
        bad = document("http://127.0.0.1:9", [want(1)],
                       settings={"concurency": 4})
        with self.assertRaises(trueup.BadInput) as cm:
            trueup.Reconciler(bad)
        e = cm.exception
        self.assertIsInstance(e, trueup.Error)
        self.assertIsInstance(e, ValueError)
        self.assertEqual(e.kind, trueup.ErrorKind.BAD_INPUT)
        self.assertIn("settings", str(e))
        self.assertIn("did you mean 'concurrency'", str(e))

        path = write_yaml(os.path.join(self.tmp.name, "bad.yaml"),
                          target_yaml("http://127.0.0.1:9")
                          + "settings:\n  concurency: 4\n")
        with self.assertRaises(trueup.BadInput) as cm:
            trueup.Reconciler(path)
        self.assertIn("bad.yaml:", str(cm.exception))
        self.assertIn("did you mean 'concurrency'", str(cm.exception))

    def test_other_kinds(self):
        with self.assertRaises(trueup.FileError) as cm:
            trueup.Reconciler(os.path.join(self.tmp.name, "missing.yaml"))
        self.assertEqual(cm.exception.kind, trueup.ErrorKind.IO)
        self.assertIn("missing.yaml", str(cm.exception))

        r = trueup.Reconciler(document("http://127.0.0.1:%d" % free_port(),
                                       [want(1)],
                                       settings={"retries": 0}))
        with self.assertRaises(trueup.FetchFailed) as cm:
            r.apply()
        self.assertEqual(cm.exception.kind, trueup.ErrorKind.FETCH)

        del os.environ[TOKEN_VAR]
        with self.assertRaises(trueup.BadInput) as cm:
            trueup.Reconciler(document("http://127.0.0.1:9", []))
        self.assertIn(TOKEN_VAR, str(cm.exception))

    def test_error_kinds_mirror_the_c_enum(self):
        for kind in trueup.ErrorKind:
            self.assertEqual(trueup._trueup.error_code_name(kind),
                             kind.name.lower())
        self.assertEqual(trueup._trueup.error_code_name(len(trueup.ErrorKind)),
                         "unknown", "a C kind the package does not know")

    def test_bad_options(self):
        r = trueup.Reconciler(document("http://127.0.0.1:9", []))
        with self.assertRaises(trueup.BadInput):
            r.plan(concurrency=0)
        with self.assertRaises(TypeError):
            r.plan(concurrency="8")
        with self.assertRaises(TypeError):
            r.plan(prune="yes")
        with self.assertRaises(trueup.BadInput) as cm:
            r.plan(match={"type": "A"})
        self.assertEqual(cm.exception.kind, trueup.ErrorKind.BAD_INPUT)
        with self.assertRaises(trueup.BadInput):
            trueup.Reconciler()
        with self.assertRaises(trueup.BadInput):
            trueup.Reconciler({"records": [{"ttl": float("nan")}]})
        with self.assertRaises(TypeError):
            trueup.Reconciler(42)


class SecretsTest(Base):
    def test_no_secret_in_reprs_or_errors(self):
        def echo_auth(req):
            if req.method == "GET":
                return 200, live(2)
            return 500, {"you sent": req.headers.get("authorization")}
        rs = self.recording_server([], respond=echo_auth)
        doc = document(rs.url, [want(1, ttl=1), want(2, ttl=2)],
                       settings={"retries": 0})
        doc["target"]["base_url"] = rs.url.replace("//", "//user:pw@")
        r = trueup.Reconciler(doc)
        report = r.apply()
        self.assertEqual(report.failed, 2)
        texts = [repr(r), repr(report), report.json,
                 json.dumps(report.dict)]
        texts += [repr(x) for x in report.results]
        texts += [x.error for x in report.results]
        for text in texts:
            self.assertNoSecret(text)
        self.assertIn("***", report.results[0].error)
        self.assertNotIn("pw@", repr(r))
        # the request did carry the token
        self.assertEqual(rs.writes()[0].headers["authorization"],
                         "Bearer " + TOKEN)

    def test_no_secret_in_an_error_message(self):
        def refuse(req):
            return 401, {"bad token": req.headers.get("authorization")}
        rs = self.recording_server([], respond=refuse)
        r = trueup.Reconciler(document(rs.url, [want(1)]))
        with self.assertRaises(trueup.FetchFailed) as cm:
            r.plan()
        for text in (str(cm.exception), repr(cm.exception)):
            self.assertNoSecret(text)
        self.assertIn("401", str(cm.exception))


class FastAPIExampleTest(Base):
    """examples/fastapi/app.py served by uvicorn on a free port, asked over
    real HTTP to reconcile a json-server."""

    def start_app(self, target_path):
        port = free_port()
        log = open(os.path.join(self.tmp.name, "uvicorn.log"), "wb")
        self.addCleanup(log.close)
        env = python_env(TRUEUP_TARGET=target_path)
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir",
             os.path.join(SOURCE_DIR, "examples", "fastapi"), "app:app",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)

        def stop():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.addCleanup(stop)
        try:
            wait_port(port, 30, proc)
        except Exception:
            with open(log.name, errors="replace") as f:
                raise AssertionError("uvicorn did not start:\n" + f.read())
        return "http://127.0.0.1:%d" % port

    def test_reconciles_on_request(self):
        srv = self.json_server(live(10))
        target = document(srv.url, [])
        del target["records"]
        path = os.path.join(self.tmp.name, "target.json")
        with open(path, "w") as f:
            json.dump(target, f)
        app = self.start_app(path)
        records = [want(i) for i in range(1, 11)]
        records[0]["content"] = "203.0.113.1"

        status, _, plan = http_request(app + "/plan", "POST",
                                       {"records": records})
        self.assertEqual(status, 200, plan)
        self.assertEqual((plan["mode"], plan["updated"], plan["skipped"]),
                         ("plan", 1, 9))
        self.assertEqual(srv.writes(), [])

        status, _, report = http_request(app + "/apply", "POST",
                                         {"records": records})
        self.assertEqual(status, 200, report)
        self.assertEqual((report["succeeded"], report["skipped"]), (1, 9))
        self.assertEqual(by_key(srv.get_records())
                         ["host1.example.org.|A"]["content"], "203.0.113.1")
        self.assertNoSecret(json.dumps(report))

        records[1]["ttl"] = 77
        req = urllib.request.Request(
            app + "/apply/stream", method="POST",
            data=json.dumps({"records": records}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            lines = [json.loads(x) for x in resp.read().splitlines()]
        self.assertEqual(len(lines), 11, lines)
        self.assertIn({"key": "host2.example.org.|A", "action": "update",
                       "status": "ok"},
                      [{k: x.get(k) for k in ("key", "action", "status")}
                       for x in lines[:-1]])
        self.assertEqual(lines[-1]["report"]["succeeded"], 1)

        status, _, body = http_request(app + "/apply", "POST",
                                       {"records": records[:5],
                                        "prune": True})
        self.assertEqual(status, 409, body)
        self.assertIn("too many deletes", body["detail"])
        status, _, body = http_request(app + "/plan", "POST",
                                       {"records": [{"name": "x."}]})
        self.assertEqual(status, 422, body)
        self.assertIn("'type'", body["detail"])


    @unittest.skipIf(INSTALLED, "run.sh uses the build tree's package")
    def test_run_sh(self):
        """examples/fastapi/run.sh as a reader runs it."""
        if PRELOAD:
            self.skipTest("run.sh starts python3 and node alike: the "
                          "sanitizer build's preload would slow node down "
                          "too much (the plain build runs this test)")
        env = dict(os.environ, TRUEUP_PYTHON=sys.executable,
                   TRUEUP_BUILD_DIR=os.path.dirname(os.path.dirname(
                       os.path.dirname(trueup.__file__))))
        p = subprocess.run(["bash", os.path.join(SOURCE_DIR, "examples",
                                                 "fastapi", "run.sh")],
                           env=env, capture_output=True, text=True,
                           timeout=240, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "plan: 2 to create, 6 to update, "
                         "1 to delete, 2 unchanged")
        streamed = [json.loads(x) for x in lines[1:12]]
        self.assertEqual(sorted(x["status"] for x in streamed),
                         ["ok"] * 9 + ["skipped"] * 2)
        self.assertEqual(json.loads(lines[12])["report"]["succeeded"], 9)
        self.assertEqual(lines[-1], "apply: 0 succeeded, 11 unchanged, "
                         "0 failed")


def docs_example(path, marker="<!-- docs-example:"):
    """The ```python block that follows `marker` in the Markdown file."""
    with open(path) as f:
        text = f.read()
    at = text.index(marker)
    start = text.index("```python\n", at) + len("```python\n")
    return text[start:text.index("```\n", start)]


class ImportCostTest(Base):
    """The blocking face does not pay for the async one's imports."""

    def test_import_leaves_asyncio_out(self):
        code = ("import sys, trueup; print(sorted(m for m in ('asyncio', "
                "'trio', 'anyio') if m in sys.modules))")
        p = subprocess.run([sys.executable, "-c", code], env=python_env(),
                           timeout=60, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout.strip(), "[]")


class DocsExampleTest(Base):
    """docs/python.md's tour, run as it is written."""

    def test_the_example_runs(self):
        srv = self.json_server([
            {"id": 1, "name": "old.example.org.", "type": "A",
             "content": "192.0.2.99", "ttl": 3600}])
        path = os.path.join(self.tmp.name, "example.py")
        with open(path, "w") as f:
            f.write(docs_example(os.path.join(SOURCE_DIR, "docs",
                                              "python.md")))
        env = python_env(API_URL=srv.url, API_TOKEN=TOKEN)
        p = subprocess.run([sys.executable, path], env=env, timeout=120,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        out = p.stdout
        self.assertNoSecret(out)
        self.assertIn("<trueup.Report plan: 2 to create, 0 to update, "
                      "1 to delete", out)
        self.assertIn("done: www.example.org.|A ok", out)
        self.assertIn("bad input: BAD_INPUT", out)
        self.assertIn("did you mean 'concurrency'", out)
        self.assertIn("[False, False, False]", out)
        self.assertIn("2 updated", out)
        got = by_key(srv.get_records())
        self.assertEqual(sorted(got), ["api.example.org.|A",
                                       "www.example.org.|A"])
        self.assertEqual({r["ttl"] for r in got.values()}, {600})


@unittest.skipIf(INSTALLED, "the build tree's install: the build runs it")
class InstallTest(Base):
    """`cmake --install --component python` gives an importable package."""

    def test_installed_package_runs(self):
        build = os.environ.get("TU_BUILD_DIR")
        if not build:
            self.skipTest("TU_BUILD_DIR is not set (ctest sets it)")
        prefix = os.path.join(self.tmp.name, "prefix")
        subprocess.run([os.environ.get("TU_CMAKE", "cmake"), "--install",
                        build, "--component", "python", "--prefix", prefix],
                       check=True, capture_output=True)
        site = os.path.join(prefix, "lib", "python3", "dist-packages")
        srv = self.json_server(live(3))
        code = ("import json, sys, trueup\n"
                "r = trueup.Reconciler(json.loads(sys.argv[1]))\n"
                "print(trueup.__file__)\n"
                "print(r.plan().updated)\n")
        doc = document(srv.url, [want(i, ttl=1) for i in range(1, 4)])
        out = subprocess.run([sys.executable, "-c", code, json.dumps(doc)],
                             env=python_env(PYTHONPATH=site),
                             cwd=self.tmp.name, check=True,
                             capture_output=True, text=True).stdout.split()
        self.assertEqual(out, [os.path.join(site, "trueup", "__init__.py"),
                               "3"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
