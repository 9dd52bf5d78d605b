"""What Reconciler and AsyncReconciler share: the desired state they were
given (files or a dict), the options of a run, and the exceptions.

A desired state is loaded once, when the reconciler is made, so that bad
input raises there (BadInput, FileError) and secrets are read from the
environment then; a run with a bulk change (match=/set=) loads a fresh copy
to add its rule to, so that runs never change what the reconciler holds.
"""

from __future__ import annotations

import collections.abc
import json
import os
import re
from typing import (Any, Callable, Iterable, Mapping, NoReturn, Optional,
                    Sequence, Tuple, TypeVar, Union)

from . import _trueup
from ._errors import BadInput, from_code

__all__ = ["Source", "RunOptions", "Reconciling", "Options", "Progress",
           "Assignments", "DesiredSource", "call", "raise_from_c"]

_USERINFO = re.compile(r"(//)[^/@\s]*@")

#: A desired-state source: a file path, a list of them (merged as the
#: command merges files), or a mapping in the file's shape.
DesiredSource = Union[str, "os.PathLike[str]", Mapping[str, Any],
                      Sequence[Union[str, "os.PathLike[str]"]]]
#: progress(phase, done, total), as tu_options.progress.
Progress = Callable[[str, int, int], object]
#: A bulk rule's match= or set=: {field: value} or 'FIELD=VALUE' strings.
Assignments = Union[Mapping[str, Any], Iterable[str], str]
#: The tuple _trueup's run() and job() take (mode, concurrency, prune,
#: force, change_protected).
Options = Tuple[int, int, int, bool, bool]

R = TypeVar("R")


def raise_from_c(cerror: _trueup.CError) -> NoReturn:
    """Raise the package's exception for a _trueup.CError."""
    code, _name, message = cerror.args
    raise from_code(code, message) from None


def call(fn: Callable[..., R], *args: Any, **kw: Any) -> R:
    """fn(*args, **kw) with CError turned into trueup.Error."""
    try:
        return fn(*args, **kw)
    except _trueup.CError as e:
        raise_from_c(e)


class Source:
    """The desired state a reconciler was made with: file paths, or one
    mapping in the file's shape ({target, settings, defaults, records,
    bulk}), named `name` in messages."""

    def __init__(self, sources: Sequence[Any], name: Optional[str]) -> None:
        self.document: Optional[Mapping[str, Any]] = None
        self.paths: Optional[list[str]] = None
        self.name = name
        if len(sources) == 1 and isinstance(sources[0],
                                            collections.abc.Mapping):
            self.document = sources[0]
            self.name = name or "<dict>"
        else:
            self.paths = self._paths(sources)
        self.desired = self.load()

    @staticmethod
    def _paths(sources: Sequence[Any]) -> list[str]:
        if len(sources) == 1 and isinstance(sources[0], (list, tuple)):
            sources = sources[0]
        if not sources:
            raise BadInput("no desired state: give one or more file paths, "
                           "or a dict in the file's shape")
        out = []
        for s in sources:
            if not isinstance(s, (str, os.PathLike)):
                raise TypeError("a desired-state source is a path (str or "
                                "os.PathLike) or a dict, not %s"
                                % type(s).__name__)
            out.append(os.fsdecode(s))
        return out

    def load(self) -> _trueup.Desired:
        """A new _trueup.Desired from the source."""
        if self.paths is not None:
            return call(_trueup.load, self.paths)
        try:
            text = json.dumps(self.document, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise BadInput("%s: cannot be written as JSON: %s"
                           % (self.name, e)) from None
        return call(_trueup.load_json, text, self.name or "<dict>")

    def describe(self) -> str:
        """What the reconciler reconciles, for a repr: the files, or the
        document's provider and base_url (without user:password@)."""
        if self.paths is not None or self.document is None:
            return "files=%r" % (self.paths,)
        target = self.document.get("target")
        if not isinstance(target, collections.abc.Mapping):
            return str(self.name)
        url = _USERINFO.sub(r"\1", str(target.get("base_url", "")))
        return "%s target=%s %s" % (self.name, target.get("provider", "rest"),
                                    url)

    def scrub(self, text: str) -> str:
        return self.desired.scrub(text)


def _bulk_value(value: Any) -> str:
    """A value as the CLI's --match/--set take it (a YAML scalar, or a flow
    list or mapping)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, allow_nan=False)


def _assignments(what: str, items: Assignments) -> list[str]:
    if isinstance(items, collections.abc.Mapping):
        return ["%s=%s" % (k, _bulk_value(v)) for k, v in items.items()]
    if isinstance(items, str):
        return [items]
    try:
        out = list(items)
    except TypeError:
        raise TypeError("%s takes a dict {field: value} or a list of "
                        "'FIELD=VALUE' strings" % what) from None
    for item in out:
        if not isinstance(item, str):
            raise TypeError("%s: %r is not a 'FIELD=VALUE' string"
                            % (what, item))
    return out


PLAN, APPLY = 0, 1


class RunOptions:
    """A run's options (the CLI's), checked: `c` is the tuple _trueup's
    run() and job() take (mode, concurrency, prune, force,
    change_protected); match and set are a bulk rule for this run."""

    def __init__(self, mode: int, concurrency: Optional[int] = None,
                 prune: Optional[bool] = None, force: bool = False,
                 change_protected: bool = False,
                 match: Optional[Assignments] = None,
                 set_: Optional[Assignments] = None) -> None:
        if concurrency is not None:
            if isinstance(concurrency, bool) or not isinstance(concurrency,
                                                               int):
                raise TypeError("concurrency must be an int, not %s"
                                % type(concurrency).__name__)
            if concurrency < 1:
                raise BadInput("concurrency must be at least 1, not %d"
                               % concurrency)
        if prune is not None and not isinstance(prune, bool):
            raise TypeError("prune must be True, False or None (as the file "
                            "says), not %r" % (prune,))
        self.c: Options = (mode, concurrency or 0,
                           -1 if prune is None else int(prune),
                           bool(force), bool(change_protected))
        self.bulk: Optional[Tuple[list[str], list[str]]] = None
        if match is not None or set_ is not None:
            self.bulk = (_assignments("match", match or []),
                         _assignments("set", set_ or []))

    def desired(self, source: Source) -> _trueup.Desired:
        """The Desired the run uses: the source's, or with a bulk rule a
        fresh copy carrying it."""
        if self.bulk is None:
            return source.desired
        desired = source.load()
        call(desired.add_bulk, *self.bulk)
        return desired


class Reconciling:
    """What Reconciler and AsyncReconciler share: the constructor, the
    record count and the repr. Each face defines plan(), apply() and
    export() with the same keywords (Reconciler's return the Report or
    text, AsyncReconciler's a Run to await for them)."""

    def __init__(self, *sources: DesiredSource,
                 name: Optional[str] = None) -> None:
        self._source = Source(sources, name)

    @property
    def record_count(self) -> int:
        """The number of desired records loaded."""
        return self._source.desired.record_count

    def __repr__(self) -> str:
        return self._source.scrub("<trueup.%s %s records=%d>" % (
            type(self).__name__, self._source.describe(), self.record_count))
