"""Plan files from Python: trueup.apply_plan() and trueup.check_plan().

A plan file (docs/plan-file.md) is what `trueup plan --out FILE` or a
plan-mode run with a plan file writes; applying it pushes exactly its
changes, once, after re-reading the records it changes, and is refused
(PlanRefused, nothing pushed) when it was altered, applied before, or a
planned record changed on the server since. Both functions block with the
GIL released, as Reconciler's methods do (libtrueup's tu_plan_file_load
and tu_plan_file_run).
"""

import os

from . import _trueup
from ._core import APPLY, PLAN, RunOptions, call
from ._report import Report

__all__ = ["apply_plan", "check_plan"]

_KEY_FROM_ENV = object()


def _scrubber(secrets):
    def scrub(text):
        for s in secrets:
            text = text.replace(s, "***")
        return text
    return scrub


def _run(mode, path, key, concurrency, force, progress):
    if key is _KEY_FROM_ENV:
        key = os.environ.get("TRUEUP_PLAN_KEY") or None
    options = RunOptions(mode, concurrency, None, force)
    report, secrets = call(_trueup.plan_file_run, os.fspath(path), key,
                           options.c, progress, None)
    return Report._from_c(report, _scrubber(secrets))


def apply_plan(path, *, key=_KEY_FROM_ENV, concurrency=None, force=False,
               progress=None):
    """Apply the plan file at `path`: exactly its changes, once. The
    Report (its `total` is the number of changes the file holds). `key`
    checks an HMAC-sealed plan (default: the environment's
    TRUEUP_PLAN_KEY, as the command reads it; None: an unsealed plan).
    Raises PlanRefused (altered, stale, applied before: nothing pushed),
    ThresholdExceeded (unless force=True), or another trueup.Error."""
    return _run(APPLY, path, key, concurrency, force, progress)


def check_plan(path, *, key=_KEY_FROM_ENV, concurrency=None, progress=None):
    """What apply_plan() would do, without writing: the plan file is read
    and checked, the records it changes re-read and compared. The Report of
    the planned changes, or PlanRefused as apply_plan() would raise it."""
    return _run(PLAN, path, key, concurrency, False, progress)
