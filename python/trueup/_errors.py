"""trueup's exceptions: one class per kind of failure libtrueup reports.

Every failure of a run that could not proceed raises a subclass of
trueup.Error. Its `kind` is an ErrorKind, the C library's tu_error_code
(include/trueup/trueup.h), so that a program can branch on the class or on
the kind without reading the message; `message` (also str(e)) says what is
wrong, where (file:line:col) and what to do, and never holds a secret.
"""

from __future__ import annotations

import enum
from typing import Optional

__all__ = ["ErrorKind", "Error", "BadInput", "FileError", "FetchFailed",
           "ThresholdExceeded", "Cancelled", "OutOfMemory", "InternalError",
           "PlanRefused"]


class ErrorKind(enum.IntEnum):
    """tu_error_code: the values are the C library's, and stable."""
    OK = 0
    BAD_INPUT = 1
    IO = 2
    FETCH = 3
    THRESHOLD = 4
    CANCELLED = 5
    NOMEM = 6
    INTERNAL = 7
    PLAN = 8


class Error(Exception):
    """A trueup run or load could not proceed; nothing was pushed."""

    kind: ErrorKind = ErrorKind.INTERNAL
    message: str
    #: The C library's tu_error_code, as an int: a code this package does
    #: not know (a newer library) has kind INTERNAL and its number here.
    code: int

    def __init__(self, message: str, kind: Optional[ErrorKind] = None,
                 code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind
        self.code = int(self.kind) if code is None else code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return "%s(%r, kind=%s)" % (type(self).__name__, self.message,
                                    self.kind.name)


class BadInput(Error, ValueError):
    """The desired state, a bulk rule or an option is invalid: fix the
    input (the message says where)."""
    kind = ErrorKind.BAD_INPUT


class FileError(Error):
    """A file could not be read (a desired-state file, a TLS certificate or
    key)."""
    kind = ErrorKind.IO


class FetchFailed(Error):
    """The live records could not be read: the API did not answer, refused,
    or answered something that is not the records the target describes."""
    kind = ErrorKind.FETCH


class ThresholdExceeded(Error):
    """apply refused: the plan crosses a safety threshold (settings.max_*);
    force=True overrides it."""
    kind = ErrorKind.THRESHOLD


class Cancelled(Error):
    """The run was cancelled before anything was pushed."""
    kind = ErrorKind.CANCELLED


class OutOfMemory(Error, MemoryError):
    """The library ran out of memory."""
    kind = ErrorKind.NOMEM


class InternalError(Error):
    """The HTTP machinery (libcurl) could not be set up or failed; not the
    input's fault."""
    kind = ErrorKind.INTERNAL


class PlanRefused(Error):
    """A plan file was refused (docs/plan-file.md): not a plan file,
    altered, of another format version, already applied, or stale."""
    kind = ErrorKind.PLAN


_BY_KIND: dict[ErrorKind, type[Error]] = {
    cls.kind: cls for cls in (BadInput, FileError, FetchFailed,
                              ThresholdExceeded, Cancelled, OutOfMemory,
                              InternalError, PlanRefused)}


def from_code(code: int, message: str) -> Error:
    """The exception for a tu_error_code value (an int) and its message; a
    code this package does not know gives a plain Error of kind INTERNAL
    whose `code` is that int."""
    try:
        kind = ErrorKind(code)
    except ValueError:
        return Error(message, ErrorKind.INTERNAL, code)
    return _BY_KIND.get(kind, Error)(message, kind, code)
