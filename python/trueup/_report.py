"""The report of a run (docs/report.md) as Python objects.

Report holds the counts as attributes, the per-record results as Result
objects, and the report's JSON text exactly as libtrueup wrote it (.json;
.dict parses a fresh copy). Texts libtrueup writes are free of secrets
already; the reprs are also scrubbed with the target's secrets, so that
printing a report in a log is always safe.
"""

import json

__all__ = ["Report", "Result"]

COUNTS = ("total", "succeeded", "skipped", "failed", "created", "updated",
          "deleted", "requests", "write_requests", "retries")


def _no_scrub(text):
    return text


class Result:
    """One record's outcome: key, action (create | update | delete | none;
    skip as a per-record result of a run), status (planned | ok | failed;
    skipped), http_status and attempts (None when no request was made),
    changes ({field: {"before", "after"}}), note, refused, error, id (the
    id the server gave a created record, or None), key_fields (the key
    field by field, {name: value}, so a value holding "|" stays whole;
    empty when not known); any field by name: result["field"]."""

    __slots__ = ("_data", "_scrub", "_key_fields")

    def __init__(self, data, scrub=_no_scrub, key_fields=()):
        self._data = data
        self._scrub = scrub
        self._key_fields = key_fields

    key = property(lambda self: self._data.get("key"))
    action = property(lambda self: self._data.get("action"))
    status = property(lambda self: self._data.get("status"))
    http_status = property(lambda self: self._data.get("http_status"))
    attempts = property(lambda self: self._data.get("attempts"))
    changes = property(lambda self: self._data.get("changes", {}))
    note = property(lambda self: self._data.get("note"))
    refused = property(lambda self: self._data.get("refused"))
    error = property(lambda self: self._data.get("error"))
    id = property(lambda self: self._data.get("id"))
    key_fields = property(lambda self: dict(self._key_fields))

    @classmethod
    def _from_c(cls, values, scrub=_no_scrub):
        """From the library's typed result (a tuple, _trueup_result.c):
        the same dict as the report's JSON entry, members in its order."""
        (key, action, status, http_status, attempts, id_, changes, error,
         refused, note, key_fields) = values
        data = {"key": key, "action": action, "status": status}
        if attempts is not None:
            data["http_status"] = http_status
            data["attempts"] = attempts
        for name, value in (("id", id_), ("changes", changes),
                            ("error", error), ("refused", refused),
                            ("note", note)):
            if value is not None:
                data[name] = json.loads(value) if name == "changes" else value
        return cls(data, scrub, key_fields)

    def __getitem__(self, field):
        """Any field of the result as docs/report.md names it."""
        return self._data[field]

    def get(self, field, default=None):
        return self._data.get(field, default)

    @classmethod
    def from_json(cls, text, scrub=_no_scrub):
        return cls(json.loads(text), scrub)

    @property
    def ok(self):
        """False when the record failed."""
        return self.status != "failed"

    @property
    def dict(self):
        """The result as docs/report.md describes it (a copy)."""
        return json.loads(json.dumps(self._data))

    def __repr__(self):
        return self._scrub("<trueup.Result %s %r %s>" % (
            self.action, self.key, self.status))


class Report:
    """The outcome of plan() or apply(): the counts (total, succeeded,
    skipped, failed, created, updated, deleted, requests, write_requests,
    retries), mode, changed, cancelled, concurrency, elapsed_ms, warnings,
    target, and results (every record that had an action, as Result
    objects); any field of docs/report.md by name: report["field"]."""

    __slots__ = ("_json", "_data", "_scrub", "results")

    def __init__(self, json_text, scrub=_no_scrub, results=None):
        self._json = json_text
        self._data = json.loads(json_text)
        self._scrub = scrub
        if results is None:
            self.results = tuple(Result(r, scrub)
                                 for r in self._data.get("results", []))
        else:
            self.results = tuple(Result._from_c(r, scrub) for r in results)

    @classmethod
    def _from_c(cls, report, scrub=_no_scrub):
        """From the library's report: (JSON text, [result tuples])."""
        text, results = report
        return cls(text, scrub, results)

    mode = property(lambda self: self._data["mode"])
    changed = property(lambda self: bool(self._data["changed"]))
    cancelled = property(lambda self: bool(self._data.get("cancelled")))
    elapsed_ms = property(lambda self: self._data.get("elapsed_ms"))
    concurrency = property(lambda self: self._data.get("concurrency"))
    warnings = property(lambda self: tuple(self._data.get("warnings", ())))
    target = property(lambda self: self._data.get("target"),
                      doc="{provider, base_url, key}: what the run was about")

    def __getattr__(self, name):
        if name in COUNTS:
            return self._data.get(name, 0)
        raise AttributeError("'Report' object has no attribute %r" % name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(COUNTS))

    def __getitem__(self, field):
        """Any field of the report as docs/report.md names it (for example
        report["left_alone"]); the attributes are the common ones."""
        return self._data[field]

    def get(self, field, default=None):
        return self._data.get(field, default)

    @property
    def counts(self):
        """{count name: number} for the COUNTS."""
        return {k: self._data.get(k, 0) for k in COUNTS}

    @property
    def json(self):
        """The report's JSON text, as `trueup apply` prints it."""
        return self._json

    @property
    def dict(self):
        """The report as a dict (a fresh copy of the JSON)."""
        return json.loads(self._json)

    def failures(self):
        """The results that failed."""
        return [r for r in self.results if not r.ok]

    def __repr__(self):
        c = self._data
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
