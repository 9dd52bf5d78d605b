"""trueup.Reconciler: the blocking face.

plan(), apply() and export() (defined in _core.Reconciling) call
libtrueup's blocking tu_run/tu_export with the GIL released: other Python
threads run meanwhile, and one Reconciler may serve several threads at
once. With on_result, the run is the same job driven by a poll() loop in
the calling thread (what tu_run does inside), so that each record's
outcome is reported as soon as it is known. cancel() (from another
thread), an exception raised by a callback, or Ctrl-C stops a run as the
CLI's SIGINT does: no new request starts and every record gets an
outcome.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Callable, Optional

from . import _trueup
from ._core import (APPLY, PLAN, Assignments, DesiredSource, Progress,
                    Reconciling, RunOptions, call)
from ._report import Report, Result

__all__ = ["Reconciler"]


class Reconciler(Reconciling):
    """Reconcile a REST API with a desired state, blocking.

    Reconciler("target.yaml", "records.yaml")   files, merged as the CLI does
    Reconciler({"target": {...}, "records": [...]})   a dict in the file's shape

    The desired state is loaded and checked here (BadInput, FileError), and
    the secrets its `*_env` keys name are read from the environment now.
    plan(), apply() and export() block until the run is over.
    """

    def __init__(self, *sources: DesiredSource,
                 name: Optional[str] = None) -> None:
        super().__init__(*sources, name=name)
        self._lock = threading.Lock()
        self._cancels: set[_trueup.Cancel] = set()

    def plan(self, *, concurrency: Optional[int] = None,
             prune: Optional[bool] = None, force: bool = False,
             change_protected: bool = False,
             match: Optional[Assignments] = None,
             set: Optional[Assignments] = None,
             on_result: Optional[Callable[[Result], object]] = None,
             progress: Optional[Progress] = None) -> Report:
        """Fetch the live records and diff; never writes. The Report.
        on_result(result) is called for every record once the plan is
        made. concurrency: requests at once (default: the file's
        settings); prune: delete live records not desired (None: as the
        file says); force: cross the safety thresholds; change_protected:
        touch protected records; match/set: a bulk change for this run
        ({field: value} or ["FIELD=VALUE"]); progress(phase, done,
        total)."""
        return self._start(RunOptions(PLAN, concurrency, prune, force,
                                      change_protected, match, set),
                           on_result, progress)

    def apply(self, *, concurrency: Optional[int] = None,
              prune: Optional[bool] = None, force: bool = False,
              change_protected: bool = False,
              match: Optional[Assignments] = None,
              set: Optional[Assignments] = None,
              on_result: Optional[Callable[[Result], object]] = None,
              progress: Optional[Progress] = None) -> Report:
        """Fetch, diff, and push only what differs. The Report, whose
        records may individually have failed (report.failed,
        report.failures()). on_result(result) is called for each record as
        soon as its outcome is known: those already as desired (status
        "skipped") once the plan is made, each change when the API has
        answered for it. The keywords are plan()'s."""
        return self._start(RunOptions(APPLY, concurrency, prune, force,
                                      change_protected, match, set),
                           on_result, progress)

    def export(self, *, concurrency: Optional[int] = None,
               progress: Optional[Progress] = None) -> str:
        """The live records as desired-state YAML text (`trueup export`)."""
        options = RunOptions(PLAN, concurrency)
        with _CancelScope(self) as flag:
            return call(self._source.desired.export, options.c, progress,
                        flag)

    def cancel(self) -> None:
        """Stop the runs in progress on this reconciler (from any thread):
        no new request starts; each run still returns its report."""
        with self._lock:
            for flag in self._cancels:
                flag.set()

    def _start(self, options: RunOptions,
               on_result: Optional[Callable[[Result], object]],
               progress: Optional[Progress]) -> Report:
        desired = options.desired(self._source)
        record: Optional[Callable[[_trueup.ResultTuple], None]] = None
        if on_result is not None:
            scrub = self._source.scrub
            callback = on_result

            def record(values: _trueup.ResultTuple) -> None:
                callback(Result._from_c(values, scrub))
        with _CancelScope(self) as flag:
            report = call(desired.run, options.c, progress, flag, record)
        return Report._from_c(report, self._source.scrub)


class _CancelScope:
    """A run's cancellation flag, known to cancel() while the run lasts."""

    def __init__(self, owner: Reconciler) -> None:
        self.owner = owner
        self.flag = _trueup.Cancel()

    def __enter__(self) -> _trueup.Cancel:
        with self.owner._lock:
            self.owner._cancels.add(self.flag)
        return self.flag

    def __exit__(self, exc_type: Optional[type[BaseException]],
                 exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        with self.owner._lock:
            self.owner._cancels.discard(self.flag)
