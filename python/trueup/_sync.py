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

import threading

from . import _trueup
from ._core import Reconciling, call
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

    def __init__(self, *sources, name=None):
        super().__init__(*sources, name=name)
        self._lock = threading.Lock()
        self._cancels = set()

    def _export(self, options, progress):
        with self._cancel_flag() as flag:
            return call(self._source.desired.export, options.c, progress,
                        flag)

    def cancel(self):
        """Stop the runs in progress on this reconciler (from any thread):
        no new request starts; each run still returns its report."""
        with self._lock:
            for flag in self._cancels:
                flag.set()

    def _start(self, options, on_result, progress):
        desired = options.desired(self._source)
        record = None
        if on_result is not None:
            scrub = self._source.scrub

            def record(values):
                on_result(Result._from_c(values, scrub))
        with self._cancel_flag() as flag:
            report = call(desired.run, options.c, progress, flag, record)
        return Report._from_c(report, self._source.scrub)

    def _cancel_flag(self):
        return _CancelScope(self)


class _CancelScope:
    """A run's cancellation flag, known to cancel() while the run lasts."""

    def __init__(self, owner):
        self.owner = owner
        self.flag = _trueup.Cancel()

    def __enter__(self):
        with self.owner._lock:
            self.owner._cancels.add(self.flag)
        return self.flag

    def __exit__(self, *exc):
        with self.owner._lock:
            self.owner._cancels.discard(self.flag)
        return False
