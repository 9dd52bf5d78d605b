"""trueup.AsyncReconciler: the async face, on asyncio, Trio and AnyIO.

One core for every async library. plan(), apply() and export() return a
Run: one libtrueup job (the non-blocking face, _trueup.Job), driven by the
task that awaits or iterates it, as a coroutine is, with no thread and no
task of its own:

    report = await reconciler.apply()           # the Report
    run = reconciler.apply()
    async for result in run:                    # each record's Result as
        ...                                     # soon as it is known
    report = await run                          # then the Report

The job's sockets go into a private selector (epoll on Linux: libcurl's
CURLMOPT_SOCKETFUNCTION is mapped onto it by the job's watch callback) and
the driving task waits for that selector's one file descriptor, or for the
job's one timer, with the running library's own readiness wait and clock
(_backends.py: loop.add_reader on asyncio, trio.lowlevel.wait_readable on
Trio; AnyIO runs on one of them). Many runs go on at once in one thread,
one per task (asyncio.gather, a Trio nursery, an AnyIO task group).

Cancellation follows the library's rules: when the task driving a Run is
cancelled (task.cancel(), a Trio cancel scope, an AnyIO task group or
timeout), the job is cancelled the way Ctrl-C cancels the CLI: no new
request starts, requests in flight finish, and uncertain creates are
settled as apply settles them. That wind-down runs shielded from further
cancellation, then the cancellation goes on (CancelledError,
trio.Cancelled). run.report then says cancelled=True and names every
record not done, or run.error is trueup.Cancelled when it was still reading
the live records (nothing was pushed).
"""

from __future__ import annotations

import collections
import selectors
from typing import (TYPE_CHECKING, Any, Callable, Deque, Generator, Generic,
                    Optional, TypeVar)

from . import _trueup
from ._backends import Backend, current_backend
from ._core import (APPLY, PLAN, Assignments, Options, Progress, Reconciling,
                    RunOptions, Source, call, raise_from_c)
from ._report import Report, Result

if TYPE_CHECKING:
    from ._trueup import Job

__all__ = ["AsyncReconciler", "Run"]

T = TypeVar("T", Report, str)

_EVENTS = ((selectors.EVENT_READ, _trueup.WATCH_READ, _trueup.EVENT_READ),
           (selectors.EVENT_WRITE, _trueup.WATCH_WRITE, _trueup.EVENT_WRITE))


class _Sockets:
    """The job's sockets in a private selector: what the job's watch(fd,
    what) asks is done at once (libcurl may close the fd right after)."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        fileno: Optional[Callable[[], int]] = getattr(self.selector,
                                                      "fileno", None)
        if fileno is None:
            self.selector.close()
            raise RuntimeError("trueup's async face needs a selector with a "
                               "file descriptor (epoll, kqueue, /dev/poll)")
        self.fd = fileno()

    def watch(self, fd: int, what: int) -> None:
        events = 0
        for sel_bit, watch_bit, _ in _EVENTS:
            if what & watch_bit:
                events |= sel_bit
        known = fd in self.selector.get_map()
        if not events:
            if known:
                self.selector.unregister(fd)
        elif not known:
            self.selector.register(fd, events)
        else:
            try:
                self.selector.modify(fd, events)
            except OSError:         # closed and reused without a removal
                self.selector.unregister(fd)
                self.selector.register(fd, events)

    def ready(self) -> list[tuple[int, int]]:
        """(fd, TU_EVENT_* bits) of the sockets ready now."""
        out = []
        for key, mask in self.selector.select(0):
            events = 0
            for sel_bit, _, event_bit in _EVENTS:
                if mask & sel_bit:
                    events |= event_bit
            out.append((key.fd, events))
        return out

    def close(self, backend: Optional[Backend]) -> None:
        if backend is not None:
            backend.forget(self.fd)
        self.selector.close()


class Run(Generic[T]):
    """One plan(), apply() or export() of an AsyncReconciler.

    await run            -> the Report (export: the YAML text); awaiting
                            again gives the same outcome
    async for r in run   -> each record's Result as it is known (in plan
                            mode, every record once the plan is made; in
                            apply mode, records already as desired once the
                            plan is made, and each change when the API has
                            answered; status "skipped" for records already
                            as desired); then await run for the Report
    run.cancel()         -> stop the job: it winds down while it is driven
    run.done(), run.report, run.error, run.cancel_requested

    Nothing happens until the run is awaited or iterated, as with a
    coroutine; one task drives a run at a time.
    """

    def __init__(self, source: Source, desired: _trueup.Desired,
                 options: Options, export: bool,
                 on_result: Optional[Callable[[Result], object]],
                 progress: Optional[Progress]) -> None:
        self._scrub = source.scrub
        self._desired = desired          # the job reads it: keep it alive
        self._on_result = on_result
        self._sockets = _Sockets()
        self._job: Optional[Job] = call(
            desired.job, options, export, self._sockets.watch,
            self._set_timer, self._record, self._done, progress)
        self._backend: Optional[Backend] = None
        self._deadline: Optional[float] = None
        self._results: Deque[Result] = collections.deque()
        self._keep_results = True       # False: awaited, not iterated
        self._iterated = False
        self._attached = False
        self._over = False
        self._driving = False
        self._failure: Optional[BaseException] = None
        self._value: Optional[T] = None
        self.report: Optional[Report] = None
        self.error: Optional[BaseException] = None
        self.cancel_requested = False

    # -- what the job calls (from inside a call into it)
    def _set_timer(self, ms: int) -> None:
        if self._backend is not None:
            self._deadline = (None if ms < 0 else
                              self._backend.now() + ms / 1000.0)

    def _record(self, values: _trueup.ResultTuple) -> None:
        # made only for someone who takes it: an awaited run without
        # on_result gets its results from the report alone
        if not self._keep_results and self._on_result is None:
            return
        result = Result._from_c(values, self._scrub)
        if self._keep_results:
            self._results.append(result)
        if self._on_result is not None:
            self._on_result(result)

    def _done(self) -> None:
        self._over = True

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Call into the job; a callback's exception cancels the job (the
        extension does) and is the run's error when it is over, as is a
        failure of the call itself (a trueup.Error)."""
        try:
            call(fn, *args)
        except BaseException as e:
            if self._failure is None:
                self._failure = e
        if self._over:
            self._finish()

    # -- driving
    async def _step(self, backend: Backend) -> None:
        """Wait for a socket or the timer, then let the job act on it."""
        timeout = (None if self._deadline is None
                   else self._deadline - backend.now())
        await backend.wait(self._sockets.fd, timeout)
        for fd, events in self._sockets.ready():
            if self._job is None:
                return
            self._call(self._job.socket_ready, fd, events)
        if (self._job is not None and self._deadline is not None
                and backend.now() >= self._deadline):
            self._deadline = None
            self._call(self._job.timeout)

    async def _drive(self, enough: Callable[[], bool]) -> None:
        """Drive the job until enough() or it is over. Cancelled meanwhile:
        cancel the job, drive it to its end shielded, then re-raise."""
        if self._driving:
            raise RuntimeError("this trueup Run is driven by another task: "
                               "await or iterate a Run in one task")
        if self._backend is None:
            self._backend = current_backend()
        backend = self._backend
        self._driving = True
        try:
            if self._job is not None and not self._attached:
                self._attached = True
                self._call(self._job.attach)
                if self._failure is not None:
                    self._finish()      # it could not start
            while self._job is not None and not enough():
                try:
                    await self._step(backend)
                except BaseException:
                    await self._wind_down(backend)
                    raise
        finally:
            self._driving = False

    async def _wind_down(self, backend: Backend) -> None:
        self.cancel()
        with backend.shield():
            while self._job is not None:
                try:
                    await self._step(backend)
                except BaseException as e:
                    if not backend.is_cancellation(e):
                        raise

    def _finish(self) -> None:
        job, self._job = self._job, None
        if job is None:
            return
        try:
            self._value = self._outcome(job)
        except BaseException as e:
            self.error = e
        finally:
            job.close()
            self._sockets.close(self._backend)

    def _outcome(self, job: Job) -> T:
        """The finished job's Report (or export text), or raise its error."""
        if self._failure is not None:
            raise self._failure
        try:
            job.raise_error()
        except _trueup.CError as e:
            raise_from_c(e)
        report = job.report()
        if report is None:
            return job.take_export() or ""  # type: ignore[return-value]
        self.report = Report._from_c(report, self._scrub)
        return self.report  # type: ignore[return-value]

    # -- the public face
    def cancel(self) -> None:
        """Stop the job: no new request starts; it ends soon after, with a
        report saying cancelled (or trueup.Cancelled while fetching), as
        it is driven (await or iterate the run)."""
        self.cancel_requested = True
        if self._job is not None:
            self._call(self._job.cancel)

    def done(self) -> bool:
        """Whether the run is over (its outcome is known)."""
        return self._job is None

    async def _wait(self) -> T:
        if not self._iterated:          # nobody will read them
            self._keep_results = False
            self._results.clear()
        await self._drive(lambda: False)
        if self.error is not None:
            raise self.error
        assert self._value is not None
        return self._value

    def __await__(self) -> Generator[Any, None, T]:
        return self._wait().__await__()

    def __aiter__(self) -> Run[T]:
        self._iterated = True
        return self

    async def __anext__(self) -> Result:
        if not self._results:
            await self._drive(lambda: bool(self._results))
        if self._results:
            return self._results.popleft()
        raise StopAsyncIteration

    def __del__(self) -> None:
        # A run abandoned before its end: free the job (its sockets are
        # closed by libcurl), then the selector.
        job, self._job = getattr(self, "_job", None), None
        if job is not None:
            job.close()
            self._sockets.close(None)

    def __repr__(self) -> str:
        state = ("done" if self._job is None else
                 "cancelling" if self.cancel_requested else "pending")
        return "<trueup.Run %s>" % state


class AsyncReconciler(Reconciling):
    """Reconcile a REST API with a desired state, on asyncio, Trio or AnyIO.

    The same constructor and methods as trueup.Reconciler; plan(), apply()
    and export() return a Run to await (the Report, or export's text) or to
    iterate (each Result as it is known), in a task of any of those
    libraries.
    """

    def plan(self, *, concurrency: Optional[int] = None,
             prune: Optional[bool] = None, force: bool = False,
             change_protected: bool = False,
             match: Optional[Assignments] = None,
             set: Optional[Assignments] = None,
             on_result: Optional[Callable[[Result], object]] = None,
             progress: Optional[Progress] = None) -> Run[Report]:
        """Fetch the live records and diff; never writes (see
        Reconciler.plan). A Run to await for the Report."""
        return self._start(RunOptions(PLAN, concurrency, prune, force,
                                      change_protected, match, set),
                           on_result, progress)

    def apply(self, *, concurrency: Optional[int] = None,
              prune: Optional[bool] = None, force: bool = False,
              change_protected: bool = False,
              match: Optional[Assignments] = None,
              set: Optional[Assignments] = None,
              on_result: Optional[Callable[[Result], object]] = None,
              progress: Optional[Progress] = None) -> Run[Report]:
        """Fetch, diff, and push only what differs (see Reconciler.apply).
        A Run to await for the Report, or to iterate for each Result."""
        return self._start(RunOptions(APPLY, concurrency, prune, force,
                                      change_protected, match, set),
                           on_result, progress)

    def export(self, *, concurrency: Optional[int] = None,
               progress: Optional[Progress] = None) -> Run[str]:
        """The live records as desired-state YAML text: a Run to await."""
        options = RunOptions(PLAN, concurrency)
        return Run(self._source, self._source.desired, options.c, True, None,
                   progress)

    def _start(self, options: RunOptions,
               on_result: Optional[Callable[[Result], object]],
               progress: Optional[Progress]) -> Run[Report]:
        return Run(self._source, options.desired(self._source), options.c,
                   False, on_result, progress)
