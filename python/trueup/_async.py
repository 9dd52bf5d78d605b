"""trueup.AsyncReconciler: the asyncio face, on libtrueup's job API.

Each plan() or apply() is one libtrueup job driven by the running event
loop through the loop's own calls, with no thread: the job says which
sockets to watch (loop.add_reader / add_writer / remove_*) and when its one
timer should fire (loop.call_later), and the loop calls it back. Many jobs
run at once in one loop, each as fast as its own API answers.

plan() and apply() start the job at once (as asyncio.create_task does) and
return a Run, which is awaitable (the Report) and async-iterable (each
record's Result as soon as it is known):

    run = reconciler.apply()
    async for result in run:        # optional
        ...
    report = await run

Cancelling the task that awaits a Run cancels the job the way Ctrl-C
cancels the CLI: no new request starts, requests in flight finish, and the
task ends with CancelledError once the job has wound down; run.report then
says cancelled=True and names every record not done (or run.error is
trueup.Cancelled when it was still reading the live records: nothing was
pushed).
"""

import asyncio

from . import _trueup
from ._core import Reconciling, call, raise_from_c
from ._report import Report, Result

__all__ = ["AsyncReconciler", "Run"]

_END = object()


class _Driver:
    """Drives one _trueup.Job with an asyncio loop: the job's watch and
    timer requests become the loop's readers, writers and one timer
    handle."""

    def __init__(self, loop, on_record, on_done):
        self.loop = loop
        self.job = None
        self.watched = {}           # fd -> TU_WATCH_* bits
        self.timer = None           # asyncio.TimerHandle or Handle
        self.on_record = on_record
        self.on_done = on_done
        self.failure = None

    def start(self, desired, options, export, progress):
        self.job = call(desired.job, options, export, self.watch,
                        self.set_timer, self.on_record, self.done, progress)
        self._drive(self.job.attach)

    # -- what the job asks of the loop
    def watch(self, fd, what):
        had = self.watched.get(fd, 0)
        for bit, add, remove, event in (
                (_trueup.WATCH_READ, self.loop.add_reader,
                 self.loop.remove_reader, _trueup.EVENT_READ),
                (_trueup.WATCH_WRITE, self.loop.add_writer,
                 self.loop.remove_writer, _trueup.EVENT_WRITE)):
            if what & bit and not had & bit:
                add(fd, self._ready, fd, event)
            elif had & bit and not what & bit:
                remove(fd)
        if what:
            self.watched[fd] = what
        else:
            self.watched.pop(fd, None)

    def set_timer(self, ms):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if ms == 0:
            self.timer = self.loop.call_soon(self._timeout)
        elif ms > 0:
            self.timer = self.loop.call_later(ms / 1000.0, self._timeout)

    def done(self):
        self.loop.call_soon(self._finish)

    # -- what the loop calls back
    def _ready(self, fd, event):
        if self.job is not None:
            self._drive(self.job.socket_ready, fd, event)

    def _timeout(self):
        self.timer = None
        if self.job is not None:
            self._drive(self.job.timeout)

    def _drive(self, fn, *args):
        try:
            fn(*args)
        except BaseException as e:   # a callback's failure: the job cancels
            if self.failure is None:
                self.failure = e
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise

    def cancel(self):
        if self.job is not None:
            self._drive(self.job.cancel)

    def _finish(self):
        job, self.job = self.job, None
        if job is None:
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        for fd in list(self.watched):
            self.watch(fd, 0)
        self.on_done(job, self.failure)
        job.close()


class Run:
    """One plan(), apply() or export() of an AsyncReconciler, running.

    await run            -> the Report (export: the YAML text)
    async for r in run   -> each record's Result as it is known (in plan
                            mode, every record once the plan is made; in
                            apply mode, records already as desired once the
                            plan is made, and each change when the API has
                            answered; status "skipped" for records already
                            as desired)
    run.cancel()         -> stop the job (as cancelling the awaiting task)
    run.done(), run.report, run.error, run.cancel_requested
    """

    def __init__(self, source, desired, options, export, on_result,
                 progress):
        self._loop = asyncio.get_running_loop()
        self._scrub = source.scrub
        self._future = self._loop.create_future()
        self._results = asyncio.Queue()
        self._on_result = on_result
        self._desired = desired          # the job reads it: keep it alive
        self.report = None
        self.error = None
        self.cancel_requested = False
        self._driver = _Driver(self._loop, self._record, self._done)
        self._driver.start(desired, options, export, progress)

    def _record(self, values):
        result = Result._from_c(values, self._scrub)
        self._results.put_nowait(result)
        if self._on_result is not None:
            self._on_result(result)

    def _done(self, job, failure):
        self._results.put_nowait(_END)
        try:
            self._future.set_result(self._outcome(job, failure))
        except BaseException as e:
            self.error = e
            self._future.set_exception(e)

    def _outcome(self, job, failure):
        """The finished job's Report (or export text), or raise its error."""
        if failure is not None:
            raise failure
        try:
            job.raise_error()
        except _trueup.CError as e:
            raise_from_c(e)
        report = job.report()
        if report is None:
            return job.take_export()
        self.report = Report._from_c(report, self._scrub)
        return self.report

    def cancel(self):
        """Stop the job: no new request starts; it ends soon after, with a
        report saying cancelled (or trueup.Cancelled while fetching)."""
        self.cancel_requested = True
        self._driver.cancel()

    def done(self):
        return self._future.done()

    async def _wait(self):
        try:
            return await asyncio.shield(self._future)
        except asyncio.CancelledError:
            if not self._future.done():
                self.cancel()
                # let the job wind down (requests in flight finish, every
                # record gets its outcome), then end as cancelled
                await asyncio.wait([self._future])
            raise

    def __await__(self):
        return self._wait().__await__()

    def __aiter__(self):
        return self

    async def __anext__(self):
        item = await self._results.get()
        if item is _END:
            self._results.put_nowait(_END)   # for any other iterator
            raise StopAsyncIteration
        return item

    def __del__(self):
        # (a Run nobody awaited: its failure is not an "exception never
        # retrieved" warning of its own, the report holds it)
        if self._future.done() and not self._future.cancelled():
            self._future.exception()


class AsyncReconciler(Reconciling):
    """Reconcile a REST API with a desired state, in an asyncio loop.

    The same constructor and methods as trueup.Reconciler; plan(), apply()
    and export() return a Run to await (see Run), and must be called with
    a running loop.
    """

    def _export(self, options, progress):
        return Run(self._source, self._source.desired, options.c, True, None,
                   progress)

    def _start(self, options, on_result, progress):
        return Run(self._source, options.desired(self._source), options.c,
                   False, on_result, progress)
