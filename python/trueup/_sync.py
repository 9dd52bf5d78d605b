"""trueup.Reconciler: the blocking face.

plan(), apply() and export() call libtrueup's blocking tu_run/tu_export with
the GIL released: other Python threads run meanwhile, and one Reconciler may
serve several threads at once. cancel() (from another thread), an exception
raised by a callback, or Ctrl-C stops a run as the CLI's SIGINT does: no
new request starts and every record gets an outcome.
"""

import threading

from . import _trueup
from ._core import APPLY, PLAN, Source, call, desired_for_run, run_options
from ._report import Report

__all__ = ["Reconciler"]


class Reconciler:
    """Reconcile a REST API with a desired state, blocking.

    Reconciler("target.yaml", "records.yaml")   files, merged as the CLI does
    Reconciler({"target": {...}, "records": [...]})   a dict in the file's shape

    The desired state is loaded and checked here (BadInput, FileError), and
    the secrets its `*_env` keys name are read from the environment now.
    """

    def __init__(self, *sources, name=None):
        self._source = Source(sources, name)
        self._lock = threading.Lock()
        self._cancels = set()

    @property
    def record_count(self):
        """The number of desired records loaded."""
        return self._source.desired.record_count

    def plan(self, *, concurrency=None, prune=None, force=False, match=None,
             set=None, progress=None):
        """Fetch the live records and diff: a Report in plan mode. Never
        writes."""
        return self._run(PLAN, concurrency, prune, force, match, set,
                         progress)

    def apply(self, *, concurrency=None, prune=None, force=False, match=None,
              set=None, progress=None):
        """Fetch, diff, and push only what differs: a Report whose records
        may individually have failed (report.failed, report.failures())."""
        return self._run(APPLY, concurrency, prune, force, match, set,
                         progress)

    def export(self, *, concurrency=None, progress=None):
        """The live records as desired-state YAML text (`trueup export`)."""
        options = run_options(PLAN, concurrency, None, False)
        with self._cancel_flag() as flag:
            return call(self._source.desired.export, options, progress, flag)

    def cancel(self):
        """Stop the runs in progress on this reconciler (from any thread):
        no new request starts; each run still returns its report."""
        with self._lock:
            for flag in self._cancels:
                flag.set()

    def _run(self, mode, concurrency, prune, force, match, set_, progress):
        options = run_options(mode, concurrency, prune, force)
        desired = desired_for_run(self._source, match, set_)
        with self._cancel_flag() as flag:
            text = call(desired.run, options, progress, flag)
        return Report(text, self._source.scrub)

    def _cancel_flag(self):
        return _CancelScope(self)

    def __repr__(self):
        return self._source.scrub("<trueup.Reconciler %s records=%d>" % (
            self._source.describe(), self.record_count))


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
