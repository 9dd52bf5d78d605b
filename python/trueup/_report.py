"""The report of a run (docs/report.md) as Python objects.

Report holds the counts as attributes, the per-record results as Result
objects, and the report's JSON text exactly as libtrueup wrote it (.json;
.dict parses a fresh copy). Texts libtrueup writes are free of secrets
already; the reprs are also scrubbed with the target's secrets, so that
printing a report in a log is always safe.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from . import _trueup

if TYPE_CHECKING:
    from ._trueup import ReportHandle, ReportTuple, ResultTuple

__all__ = ["Report", "Result", "Scrub"]

#: A function that hides secrets in a text.
Scrub = Callable[[str], str]

COUNTS = ("total", "succeeded", "skipped", "failed", "created", "updated",
          "deleted", "requests", "write_requests", "retries")


def _no_scrub(text: str) -> str:
    return text


class Result:
    """One record's outcome: key, action (create | update | delete | none;
    skip as a per-record result of a run), status (planned | ok | failed;
    skipped), http_status and attempts (None when no request was made),
    changes ({field: {"before", "after"}}), note, refused, error, id (the
    id the server gave a created record, or None), key_fields (the key
    field by field, {name: value}, so a value holding "|" stays whole;
    empty when not known), resource (the record's resource in a desired
    state of several, docs/systems.md; None in one of one); any field by
    name: result["field"]."""

    __slots__ = ("_data", "_scrub", "_key_fields")

    def __init__(self, data: dict[str, Any], scrub: Scrub = _no_scrub,
                 key_fields: Sequence[tuple[str, str]] = ()) -> None:
        self._data = data
        self._scrub = scrub
        self._key_fields = key_fields

    @property
    def key(self) -> str:
        """The record's key, its key fields' values joined with "|"."""
        return str(self._data.get("key"))

    @property
    def action(self) -> str:
        """create, update, delete or none (skip as a run's result)."""
        return str(self._data.get("action"))

    @property
    def status(self) -> str:
        """planned, ok or failed (skipped: already as desired)."""
        return str(self._data.get("status"))

    @property
    def http_status(self) -> Optional[int]:
        """The last answer's HTTP status (None: no request was made)."""
        return self._data.get("http_status")

    @property
    def attempts(self) -> Optional[int]:
        """Requests sent for the record (None: none was made)."""
        return self._data.get("attempts")

    @property
    def changes(self) -> dict[str, dict[str, Any]]:
        """{field: {"before": value, "after": value}}."""
        changes: dict[str, dict[str, Any]] = self._data.get("changes", {})
        return changes

    @property
    def note(self) -> Optional[str]:
        return self._data.get("note")

    @property
    def refused(self) -> Optional[str]:
        """Why the change was refused (a protected record), or None."""
        return self._data.get("refused")

    @property
    def error(self) -> Optional[str]:
        """What failed, or None."""
        return self._data.get("error")

    @property
    def id(self) -> Optional[str]:
        """The id the server gave a created record, or None."""
        return self._data.get("id")

    @property
    def resource(self) -> Optional[str]:
        """The resource the record belongs to, in a desired state of
        several resources (resources:); None in one of one."""
        return self._data.get("resource")

    @property
    def key_fields(self) -> dict[str, str]:
        """The key field by field, {name: value}."""
        return dict(self._key_fields)

    @classmethod
    def _from_c(cls, values: ResultTuple,
                scrub: Scrub = _no_scrub) -> Result:
        """From the library's typed result (a tuple, _trueup_result.c):
        the same dict as the report's JSON entry, members in its order."""
        (key, action, status, http_status, attempts, id_, changes, error,
         refused, note, key_fields, resource) = values
        data: dict[str, Any] = {"key": key}
        if resource is not None:
            data["resource"] = resource
        data.update(action=action, status=status)
        if attempts is not None:
            data["http_status"] = http_status
            data["attempts"] = attempts
        for name, value in (("id", id_), ("changes", changes),
                            ("error", error), ("refused", refused),
                            ("note", note)):
            if value is not None:
                data[name] = json.loads(value) if name == "changes" else value
        return cls(data, scrub, key_fields)

    def __getitem__(self, field: str) -> Any:
        """Any field of the result as docs/report.md names it."""
        return self._data[field]

    def get(self, field: str, default: Any = None) -> Any:
        return self._data.get(field, default)

    @classmethod
    def from_json(cls, text: str, scrub: Scrub = _no_scrub) -> Result:
        return cls(json.loads(text), scrub)

    @property
    def ok(self) -> bool:
        """False when the record failed."""
        return self.status != "failed"

    @property
    def dict(self) -> dict[str, Any]:
        """The result as docs/report.md describes it (a copy)."""
        out: dict[str, Any] = json.loads(json.dumps(self._data))
        return out

    def __repr__(self) -> str:
        return self._scrub("<trueup.Result %s %r %s>" % (
            self.action, self.key, self.status))


class Report:
    """The outcome of plan() or apply(): the counts (total, succeeded,
    skipped, failed, created, updated, deleted, requests, write_requests,
    retries), mode, changed, cancelled, concurrency, elapsed_ms, warnings,
    target, and results (every record that had an action, as Result
    objects); any field of docs/report.md by name: report["field"]."""

    __slots__ = ("_json_text", "_parsed", "_scrub", "_tuples", "_results",
                 "_summary_json", "_summary", "_handle")

    # What the library hands over is the summary (every member but
    # "results") and a handle on its report; the whole JSON text, its
    # parse, the result tuples and the Result objects are made when first
    # asked for. A caller that looks only at `changed` or the counts of a
    # run of 10,000 records pays for none of them (about 0.1 s of Result
    # objects, 20 ms of parse, 20 ms of tuples and text).
    def __init__(self, json_text: Optional[str] = None,
                 scrub: Scrub = _no_scrub,
                 results: Optional[Sequence[ResultTuple]] = None,
                 summary: Optional[str] = None,
                 handle: Optional[ReportHandle] = None) -> None:
        if json_text is None and handle is None:
            raise TypeError("Report needs its JSON text")
        self._json_text = json_text
        self._parsed: Optional[dict[str, Any]] = None
        self._scrub = scrub
        self._tuples = results
        self._results: Optional[tuple[Result, ...]] = None
        self._summary_json = summary
        self._summary: Optional[dict[str, Any]] = None
        self._handle = handle

    @property
    def _json(self) -> str:
        if self._json_text is None:
            assert self._handle is not None
            self._json_text = _trueup.report_json(self._handle)
        return self._json_text

    @property
    def _data(self) -> dict[str, Any]:
        if self._parsed is None:
            self._parsed = json.loads(self._json)
        return self._parsed

    @property
    def _head(self) -> dict[str, Any]:
        """The members but "results" (the whole report when it is parsed
        already, or when there is no summary)."""
        if self._parsed is not None or self._summary_json is None:
            return self._data
        if self._summary is None:
            self._summary = json.loads(self._summary_json)
        return self._summary

    @property
    def results(self) -> tuple[Result, ...]:
        """Every record that had an action, as Result objects."""
        if self._results is None:
            if self._tuples is None and self._handle is not None:
                self._tuples = _trueup.report_results(self._handle)
            if self._tuples is None:
                self._results = tuple(Result(r, self._scrub)
                                      for r in self._data.get("results", []))
            else:
                self._results = tuple(Result._from_c(r, self._scrub)
                                      for r in self._tuples)
                self._tuples = None
        return self._results

    @classmethod
    def _from_c(cls, report: ReportTuple, scrub: Scrub = _no_scrub) -> Report:
        """From the library's report: (summary JSON text, handle)."""
        summary, handle = report
        return cls(None, scrub, None, summary, handle)

    @property
    def total(self) -> int:
        """Records the run was about."""
        return int(self._head.get("total", 0))

    @property
    def succeeded(self) -> int:
        """Changes made (apply) or records fine (plan)."""
        return int(self._head.get("succeeded", 0))

    @property
    def skipped(self) -> int:
        """Records already as desired."""
        return int(self._head.get("skipped", 0))

    @property
    def failed(self) -> int:
        """Records that failed."""
        return int(self._head.get("failed", 0))

    @property
    def created(self) -> int:
        """Records created (plan: to create)."""
        return int(self._head.get("created", 0))

    @property
    def updated(self) -> int:
        """Records updated (plan: to update)."""
        return int(self._head.get("updated", 0))

    @property
    def deleted(self) -> int:
        """Records deleted (plan: to delete)."""
        return int(self._head.get("deleted", 0))

    @property
    def requests(self) -> int:
        """HTTP requests sent, fetches and retries included."""
        return int(self._head.get("requests", 0))

    @property
    def write_requests(self) -> int:
        """Of those, the writes."""
        return int(self._head.get("write_requests", 0))

    @property
    def retries(self) -> int:
        """Requests sent again."""
        return int(self._head.get("retries", 0))

    @property
    def mode(self) -> str:
        """"plan" or "apply"."""
        return str(self._head["mode"])

    @property
    def changed(self) -> bool:
        """Whether the run changed (plan: would change) anything."""
        return bool(self._head["changed"])

    @property
    def cancelled(self) -> bool:
        return bool(self._head.get("cancelled"))

    @property
    def elapsed_ms(self) -> Optional[int]:
        return self._head.get("elapsed_ms")

    @property
    def concurrency(self) -> Optional[int]:
        return self._head.get("concurrency")

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self._head.get("warnings", ()))

    @property
    def target(self) -> Optional[dict[str, Any]]:
        """{provider, base_url, key}: what the run was about."""
        return self._head.get("target")

    def __getitem__(self, field: str) -> Any:
        """Any field of the report as docs/report.md names it (for example
        report["left_alone"]); the attributes are the common ones."""
        return (self._data if field == "results" else self._head)[field]

    def get(self, field: str, default: Any = None) -> Any:
        return (self._data if field == "results" else self._head).get(
            field, default)

    @property
    def counts(self) -> dict[str, int]:
        """{count name: number} for the COUNTS."""
        return {k: int(self._head.get(k, 0)) for k in COUNTS}

    @property
    def json(self) -> str:
        """The report's JSON text, as `trueup apply` prints it."""
        return self._json

    @property
    def dict(self) -> dict[str, Any]:
        """The report as a dict (a fresh copy of the JSON)."""
        out: dict[str, Any] = json.loads(self._json)
        return out

    def failures(self) -> list[Result]:
        """The results that failed."""
        return [r for r in self.results if not r.ok]

    def __repr__(self) -> str:
        c = self._head
        if c["mode"] == "plan":
            text = ("<trueup.Report plan: %d to create, %d to update, %d to "
                    "delete, %d unchanged, %d failed>" % (
                        c["created"], c["updated"], c["deleted"],
                        c["skipped"], c["failed"]))
        else:
            text = ("<trueup.Report apply: %d succeeded, %d skipped, %d "
                    "failed%s>" % (c["succeeded"], c["skipped"], c["failed"],
                                  ", cancelled" if self.cancelled else ""))
        return self._scrub(text)
