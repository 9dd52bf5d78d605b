"""trueup: bulk, idempotent reconciliation of a REST API with a desired
state, from Python (docs/python.md).

    import trueup
    r = trueup.Reconciler("target.yaml", "records.yaml")
    report = r.apply(concurrency=32)
    print(report.succeeded, report.skipped, report.failed)

Reconciler blocks (the GIL is released meanwhile); AsyncReconciler has the
same methods, returning a Run to await or iterate, on asyncio, Trio or
AnyIO. Both are a thin layer over the C library libtrueup (the extension
trueup._trueup), whose version is trueup.__version__.
"""

from . import _trueup
from ._async import AsyncReconciler, Run
from ._core import Assignments, DesiredSource, Progress
from ._errors import (BadInput, Cancelled, Error, ErrorKind, FetchFailed,
                      FileError, InternalError, OutOfMemory, PlanRefused,
                      ThresholdExceeded)
from ._planfile import apply_plan, check_plan
from ._report import Report, Result
from ._sync import Reconciler

__version__: str = _trueup.version

# Show the public names as trueup.X in reprs and tracebacks.
for _cls in (Reconciler, AsyncReconciler, Run, Report, Result, Error,
             ErrorKind, BadInput, FileError, FetchFailed, ThresholdExceeded,
             Cancelled, OutOfMemory, InternalError, PlanRefused):
    _cls.__module__ = __name__
del _cls

__all__ = ["Reconciler", "AsyncReconciler", "Run", "Report", "Result",
           "Error", "ErrorKind", "BadInput", "FileError", "FetchFailed",
           "ThresholdExceeded", "Cancelled", "OutOfMemory", "InternalError",
           "PlanRefused", "apply_plan", "check_plan", "DesiredSource",
           "Assignments", "Progress", "__version__"]
