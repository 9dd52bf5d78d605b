"""Plan files from Python: trueup.apply_plan() and trueup.check_plan().

A plan file (docs/plan-file.md) is what `trueup plan --out FILE` or a
plan-mode run with a plan file writes; applying it pushes exactly its
changes, once, after re-reading the records it changes, and is refused
(PlanRefused, nothing pushed) when it was altered, applied before, or a
planned record changed on the server since. Both functions block with the
GIL released, as Reconciler's methods do (libtrueup's tu_plan_file_load
and tu_plan_file_run).
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from . import _trueup
from ._core import APPLY, PLAN, Progress, RunOptions, call
from ._report import Report, Scrub

#: A plan file's path.
PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["apply_plan", "check_plan"]


class _FromEnv(str):
    """The default key: the environment's TRUEUP_PLAN_KEY."""

    def __repr__(self) -> str:
        return "<TRUEUP_PLAN_KEY>"


_KEY_FROM_ENV = _FromEnv()


def _scrubber(secrets: Sequence[str]) -> Scrub:
    def scrub(text: str) -> str:
        for s in secrets:
            text = text.replace(s, "***")
        return text
    return scrub


def _run(mode: int, path: PathLike, key: Optional[str],
         concurrency: Optional[int], force: bool,
         progress: Optional[Progress]) -> Report:
    if key is _KEY_FROM_ENV:
        key = os.environ.get("TRUEUP_PLAN_KEY") or None
    options = RunOptions(mode, concurrency, None, force)
    report, secrets = call(_trueup.plan_file_run, os.fspath(path), key,
                           options.c, progress, None)
    return Report._from_c(report, _scrubber(secrets))


def apply_plan(path: PathLike, *, key: Optional[str] = _KEY_FROM_ENV,
               concurrency: Optional[int] = None, force: bool = False,
               progress: Optional[Progress] = None) -> Report:
    """Apply the plan file at `path`: exactly its changes, once. The
    Report (its `total` is the number of changes the file holds). `key`
    checks an HMAC-sealed plan (default: the environment's
    TRUEUP_PLAN_KEY, as the command reads it; None: an unsealed plan).
    Raises PlanRefused (altered, stale, applied before: nothing pushed),
    ThresholdExceeded (unless force=True), or another trueup.Error."""
    return _run(APPLY, path, key, concurrency, force, progress)


def check_plan(path: PathLike, *, key: Optional[str] = _KEY_FROM_ENV,
               concurrency: Optional[int] = None,
               progress: Optional[Progress] = None) -> Report:
    """What apply_plan() would do, without writing: the plan file is read
    and checked, the records it changes re-read and compared. The Report of
    the planned changes, or PlanRefused as apply_plan() would raise it."""
    return _run(PLAN, path, key, concurrency, False, progress)
