#!/usr/bin/env python3
"""trueup.AsyncReconciler on every async library it runs on: asyncio,
Trio (Debian's python3-trio), and AnyIO (python3-anyio) on each of them.

The same tests run once per library (one TestCase subclass each, with a
small adapter: how to run, sleep, run tasks at once, and cancel a task the
library's own way: task.cancel(), a Trio cancel scope, an AnyIO cancel
scope and task group). Against json-server and in-process servers
(harness.py) that hold requests at known points:

- plan, apply with each Result streamed by `async for`, export, and a
  re-run with no writes; every callback in the one thread;
- three applies at once in one thread, proven by a server-side barrier
  that only concurrent writes pass;
- the driving task cancelled mid-apply while a create is in flight whose
  answer is lost (the server stores it, then answers 503): the job winds
  down (nothing new is sent), the library's cancellation goes on, the
  report names every record; a second apply then creates the rest: each
  record exactly once on the server (no duplicate, none lost);
- cancelled while reading the live records: nothing is pushed;
- errors with their kinds.

No test measures time.
"""

import json
import os
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import (InProcessServer, JsonServer, QuietHandler,  # noqa: E402
                     free_port, host)
from pytrueup import (Base, document, live, tenant_document, trueup,  # noqa: E402
                      want)

import asyncio  # noqa: E402

try:
    import trio
except ImportError:     # python3-trio (.ci/deps)
    trio = None
try:
    import anyio
except ImportError:     # python3-anyio (.ci/deps)
    anyio = None


# ---- one adapter per library ---------------------------------------------

class AsyncioLib:
    name = "asyncio"

    def run(self, fn):
        return asyncio.run(asyncio.wait_for(fn(), 120))

    sleep = staticmethod(asyncio.sleep)

    async def gather(self, *fns):
        return list(await asyncio.gather(*(f() for f in fns)))

    async def cancel_when(self, fn, ready, after):
        """Run fn() as a task; once ready(), cancel it; await after();
        True when the task ended cancelled."""
        task = asyncio.ensure_future(fn())
        while not ready():
            await asyncio.sleep(0.01)
        task.cancel()
        await after()
        try:
            await task
        except asyncio.CancelledError:
            return True
        return False


class TrioLib:
    name = "trio"

    def run(self, fn):
        async def bounded():
            with trio.fail_after(120):
                return await fn()
        return trio.run(bounded)

    @staticmethod
    async def sleep(s):
        await trio.sleep(s)

    async def gather(self, *fns):
        out = [None] * len(fns)

        async def one(i, f):
            out[i] = await f()
        async with trio.open_nursery() as nursery:
            for i, f in enumerate(fns):
                nursery.start_soon(one, i, f)
        return out

    async def cancel_when(self, fn, ready, after):
        """fn() in a child task under its own cancel scope, cancelled once
        ready(): True when the scope caught the cancellation."""
        scope = trio.CancelScope()

        async def unit():
            with scope:
                await fn()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(unit)
            while not ready():
                await trio.sleep(0.01)
            scope.cancel()
            await after()
        return scope.cancelled_caught


class AnyioLib:
    def __init__(self, backend):
        self.backend = backend
        self.name = "anyio-" + backend

    def run(self, fn):
        async def bounded():
            with anyio.fail_after(120):
                return await fn()
        return anyio.run(bounded, backend=self.backend)

    @staticmethod
    async def sleep(s):
        await anyio.sleep(s)

    async def gather(self, *fns):
        out = [None] * len(fns)

        async def one(i, f):
            out[i] = await f()
        async with anyio.create_task_group() as tg:
            for i, f in enumerate(fns):
                tg.start_soon(one, i, f)
        return out

    async def cancel_when(self, fn, ready, after):
        """fn() in a task group's task, cancelled through the group's cancel
        scope once ready(): True when fn did not finish."""
        finished = []

        async def unit():
            await fn()
            finished.append(True)
        async with anyio.create_task_group() as outer:
            async def group():
                async with anyio.create_task_group() as tg:
                    tg.start_soon(unit)
                    while not ready():
                        await anyio.sleep(0.01)
                    tg.cancel_scope.cancel()
            outer.start_soon(group)
            while not ready():
                await anyio.sleep(0.01)
            await after()
        return not finished


# ---- the in-process API the cancellation and barrier tests use ------------

class StoreServer(InProcessServer):
    """A records API that stores what it is sent (GET/POST /records), and
    calls hook(method) before answering (the tests hold requests there).
    A POST for which lose_answer(body) is true is stored, then answered
    503: its create is uncertain to the client."""

    def __init__(self, records=(), hook=None, lose_answer=None):
        self.records = list(records)
        self.posts = []
        self.hook = hook or (lambda method: None)
        self.lose_answer = lose_answer or (lambda body: False)
        self.lock = threading.Lock()
        outer = self

        class Handler(QuietHandler):
            def _handle(self):
                req = self.read_request()
                outer.hook(req.method)
                status, body = outer.answer(req)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            do_GET = do_POST = _handle
        self.serve(Handler)

    def answer(self, req):
        with self.lock:
            if req.method == "GET":
                return 200, list(self.records)
            body = dict(req.json, id=1000 + len(self.records))
            self.posts.append(body)
            self.records.append(body)
        if self.lose_answer(body):
            return 503, {"error": "the answer was lost"}
        return 201, body


class AsyncFace:
    """The tests, on the library `lib` (a subclass sets it)."""

    lib = None

    @classmethod
    def setUpClass(cls):
        if cls.lib is None:
            raise unittest.SkipTest("not installed")

    def run_async(self, fn):
        return self.lib.run(fn)

    def server(self, **kw):
        srv = StoreServer(**kw)
        self.addCleanup(srv.stop)
        return srv.start()

    def test_plan_apply_stream_export_and_again(self):
        srv = JsonServer(live(6), tmpdir=self.tmp.name)
        self.addCleanup(srv.cleanup)
        srv.start()
        desired = [want(i) for i in range(1, 7)] + [want(50)]
        desired[0]["content"] = "198.51.100.1"
        a = trueup.AsyncReconciler(document(srv.url, desired))
        main, threads, seen = threading.get_ident(), set(), []

        async def go():
            plan = await a.plan()
            run = a.apply(on_result=lambda r: threads.add(
                threading.get_ident()))
            async for res in run:
                seen.append((res.key, res.action, res.status))
                await self.lib.sleep(0)     # the consumer's own awaits
            return plan, await run, await a.export(), await a.apply()
        plan, report, text, again = self.run_async(go)
        self.assertEqual((plan.created, plan.updated, plan.skipped),
                         (1, 1, 5))
        self.assertEqual((report.succeeded, report.skipped), (2, 5))
        self.assertEqual(len(seen), 7, "one result per record")
        self.assertIn(("host1.example.org.|A", "update", "ok"), seen)
        self.assertIn(("host50.example.org.|A", "create", "ok"), seen)
        self.assertEqual(threads, {main})
        self.assertIn("host50.example.org.", text)
        self.assertEqual((again.changed, again.skipped), (False, 7))
        self.assertEqual(len(srv.writes()), 2)

    def test_runs_at_once_in_one_thread(self):
        """Three tenants' applies, one request at a time each: the server
        holds every write until one of each tenant is in flight."""
        barrier = threading.Barrier(3, timeout=60)
        passed = []

        def respond(req):
            if req.method == "GET":
                return 200, [host(1)]
            barrier.wait()
            passed.append(req.path.split("/")[1])
            return 200, req.json
        rs = self.recording_server([], respond=respond)
        reconcilers = [trueup.AsyncReconciler(tenant_document(
            rs.url, t, [want(1, ttl=10 + t), want(2, ttl=20 + t)],
            settings={"retries": 0})) for t in range(3)]
        reports = self.run_async(lambda: self.lib.gather(
            *(lambda r=r: r.apply(concurrency=1) for r in reconcilers)))
        self.assertFalse(barrier.broken)
        for report in reports:
            self.assertEqual((report.succeeded, report.failed), (2, 0),
                             [x.error for x in report.failures()])
        self.assertEqual(sorted(passed), ["t0", "t0", "t1", "t1", "t2",
                                          "t2"])

    def test_cancel_mid_apply_no_duplicate_no_lost_create(self):
        hold, got_post = threading.Event(), threading.Event()
        self.addCleanup(hold.set)

        def hook(method):
            if method == "POST" and not got_post.is_set():
                got_post.set()
                hold.wait(60)
        srv = self.server(hook=hook, lose_answer=lambda body:
                          body["name"] == "host1.example.org.")
        desired = [want(i) for i in range(1, 7)]
        a = trueup.AsyncReconciler(document(srv.url, desired,
                                            settings={"retries": 0}))
        run, streamed = a.apply(concurrency=1), []

        async def consume():
            async for res in run:
                streamed.append(res)

        async def release():
            while not run.cancel_requested:
                await self.lib.sleep(0.01)
            hold.set()

        cancelled = self.run_async(lambda: self.lib.cancel_when(
            consume, got_post.is_set, release))
        self.assertTrue(cancelled, "the library's cancellation went on")
        self.assertTrue(run.done())
        report = run.report
        self.assertTrue(report.cancelled)
        self.assertEqual(len(srv.posts), 1, "nothing sent after the cancel")
        self.assertEqual((report.total, report.succeeded, report.failed),
                         (6, 0, 6), "every record has its outcome")
        results = {r.key: r for r in report.results}
        self.assertEqual(results["host1.example.org.|A"].http_status, 503)
        for i in range(2, 7):
            self.assertIn("cancelled before it was sent",
                          results["host%d.example.org.|A" % i].error)

        async def again():
            return await a.apply(concurrency=1)
        second = self.run_async(again)
        self.assertEqual((second.created, second.succeeded, second.failed),
                         (5, 5, 0), "the create that arrived is not re-sent")
        names = sorted(r["name"] for r in srv.records)
        self.assertEqual(names, sorted(w["name"] for w in desired),
                         "each record once: no duplicate, none lost")

    def test_cancelled_while_fetching_pushes_nothing(self):
        hold, got_get = threading.Event(), threading.Event()
        self.addCleanup(hold.set)

        def hook(method):
            if method == "GET":
                got_get.set()
                hold.wait(60)
        srv = self.server(hook=hook)
        a = trueup.AsyncReconciler(document(srv.url, [want(1), want(2)]))
        run = a.apply()

        async def release():
            while not run.cancel_requested:
                await self.lib.sleep(0.01)
            hold.set()

        async def consume():
            await run
        cancelled = self.run_async(lambda: self.lib.cancel_when(
            consume, got_get.is_set, release))
        self.assertTrue(cancelled)
        self.assertEqual(srv.posts, [])
        if run.error is not None:
            self.assertIsInstance(run.error, trueup.Cancelled)
            self.assertEqual(run.error.kind, trueup.ErrorKind.CANCELLED)
        else:
            self.assertTrue(run.report.cancelled)
            self.assertEqual(run.report.succeeded, 0)

    def test_errors_with_their_kinds(self):
        gone = trueup.AsyncReconciler(document(
            "http://127.0.0.1:%d" % free_port(), [want(1)],
            settings={"retries": 0}))
        srv = self.server(records=live(12))
        few = trueup.AsyncReconciler(document(srv.url, [want(1)]))

        class Stop(Exception):
            pass

        def fail(res):
            raise Stop(res.key)
        two = trueup.AsyncReconciler(document(srv.url, [want(1, ttl=1),
                                                        want(2, ttl=2)]))
        caught = {}

        async def go():
            for name, make in (("fetch", lambda: gone.apply()),
                               ("threshold", lambda: few.apply(prune=True)),
                               ("callback", lambda: two.apply(
                                   concurrency=1, on_result=fail))):
                try:
                    await make()
                except Exception as e:
                    caught[name] = e
        self.run_async(go)
        self.assertIsInstance(caught["fetch"], trueup.FetchFailed)
        self.assertEqual(caught["fetch"].kind, trueup.ErrorKind.FETCH)
        self.assertIsInstance(caught["threshold"], trueup.ThresholdExceeded)
        self.assertEqual(caught["threshold"].kind,
                         trueup.ErrorKind.THRESHOLD)
        self.assertIsInstance(caught["callback"], Stop)
        with self.assertRaises(trueup.BadInput) as cm:
            trueup.AsyncReconciler(document(srv.url, [],
                                            settings={"concurency": 1}))
        self.assertEqual(cm.exception.kind, trueup.ErrorKind.BAD_INPUT)


class AsyncioTest(AsyncFace, Base):
    lib = AsyncioLib()

    def test_outside_a_loop_says_so(self):
        run = trueup.AsyncReconciler(document("http://127.0.0.1:9",
                                              [want(1)])).plan()
        with self.assertRaises(RuntimeError) as cm:
            run.__await__().send(None)
        self.assertIn("asyncio or Trio", str(cm.exception))


    def test_one_task_drives_a_run(self):
        srv = StoreServer(records=live(2))
        self.addCleanup(srv.stop)
        srv.start()
        run = trueup.AsyncReconciler(document(srv.url, [want(1, ttl=9)])).plan()

        async def go():
            driver = asyncio.ensure_future(run)
            await asyncio.sleep(0)          # the task starts driving it
            with self.assertRaises(RuntimeError) as cm:
                await run
            self.assertIn("driven by another task", str(cm.exception))
            return await driver
        report = self.run_async(go)
        self.assertEqual(report.updated, 1)

        async def again():
            return await run
        self.assertIs(self.run_async(again), report, "the same outcome")


class TrioTest(AsyncFace, Base):
    lib = TrioLib() if trio else None


class AnyioOnAsyncioTest(AsyncFace, Base):
    lib = AnyioLib("asyncio") if anyio else None


class AnyioOnTrioTest(AsyncFace, Base):
    lib = AnyioLib("trio") if anyio and trio else None


@unittest.skipIf(anyio is None, "python3-anyio is not installed")
class AnyioTaskGroupTest(Base):
    """A task group whose other task fails cancels the apply in it, which
    winds down before the group raises the failure."""

    def test_a_failing_sibling_cancels_the_apply(self):
        hold, got_post = threading.Event(), threading.Event()
        self.addCleanup(hold.set)

        def hook(method):
            if method == "POST":
                got_post.set()
                hold.wait(60)
        srv = StoreServer(hook=hook)
        self.addCleanup(srv.stop)
        srv.start()
        a = trueup.AsyncReconciler(document(srv.url, [want(1), want(2)]))
        run = a.apply(concurrency=1)

        class Boom(Exception):
            pass

        async def sibling():
            while not got_post.is_set():
                await anyio.sleep(0.01)
            raise Boom()

        async def drive():
            await run

        async def go():
            async with anyio.create_task_group() as tg:
                tg.start_soon(drive)
                tg.start_soon(sibling)
                # the job is cancelled by the group; let the held create
                # finish once it is
                with anyio.CancelScope(shield=True):
                    while not run.cancel_requested:
                        await anyio.sleep(0.01)
                    hold.set()

        for backend in ("asyncio",) + (("trio",) if trio else ()):
            with self.subTest(backend=backend):
                with self.assertRaises(Boom):
                    anyio.run(go, backend=backend)
                self.assertTrue(run.report.cancelled)
                self.assertEqual(len(srv.posts), 1)
                # next backend: a fresh run and server state
                hold.clear(), got_post.clear()
                srv.records.clear(), srv.posts.clear()
                run = a.apply(concurrency=1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
