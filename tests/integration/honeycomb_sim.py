"""honeycomb_sim.py -- an in-process simulator of Honeycomb's v1 Triggers and
SLOs API (Python 3 standard library only).

    with Honeycomb(api_key="hcaik_test", datasets=["web"]) as hc:
        hc.url                        # http://127.0.0.1:PORT (the API host)
        hc.add_trigger("web", name="t", query={...}, threshold={...})
        hc.modify_trigger("web", tid, threshold={"value": 5})   # drift
        hc.triggers("web"); hc.slos("web")   # as GET /1/... lists them
        hc.requests(); hc.writes()    # [harness.RecordedRequest, ...]

Routes (all need `X-Honeycomb-Team: <api_key>`): GET/POST /1/triggers/{ds},
GET/PUT/DELETE /1/triggers/{ds}/{id}, the same under /1/slos. {ds} is a
dataset given to the constructor, or `__all__` (environment-wide).

Sources read (nothing copied):
 [C] honeycombio/terraform-provider-honeycombio @ bde0d12: client/client.go,
     errors.go, errors_test.go, trigger.go, trigger_test.go, slo.go,
     slo_test.go, recipient.go, query_spec.go; internal/provider/
     trigger_resource.go; honeycombio/data_source_trigger_recipient.go
 [O] Honeycomb's OpenAPI description (api.yaml as vendored by
     irvingpop/honeycomb-api-python @ 4bfe1c7): /1/triggers, /1/slos,
     BaseTrigger, TriggerResponse, SLO, DetailedError, ValidationError,
     responses Unauthorized, NotFound, ValidationFailed
 [D] docs.honeycomb.io/api/tag/Triggers (fields, example objects)

Quirks, and where each comes from:
 1. Missing or wrong X-Honeycomb-Team [C client.go] is 401 with the legacy
    body {"error": "unknown API key - check your credentials"} [O].
 2. Other errors are RFC 7807 application/problem+json {"status", "type":
    "<host>/problems/<slug>", "title", "error"} [C errors.go, errors_test.go;
    O]: 404 not-found ("Dataset|Trigger|SLO not found"), 400 unparseable,
    422 validation-failed with "type_detail": [{"field", "code":
    missing|invalid|incorrect_type, "description"}] [O ValidationError].
 3. POST is 201 with the stored object (+ Location for triggers), PUT 200
    with it, DELETE 204 with no body [O].
 4. The server adds keys the client did not send [C trigger_test.go; O D]:
    id, dataset_slug, query_id, query.time_range (= frequency),
    threshold.exceeded_limit (1), recipients[].id, frequency 900,
    alert_type "on_change", evaluation_schedule_type "frequency",
    disabled false, triggered false, description "", tags [], created_at,
    updated_at; query.calculations [{"op": "COUNT"}] when none are given
    [C query_spec.go].
 5. filter_combination "AND" is never answered back [C query_spec.go].
 6. PUT replaces the whole trigger: omitted optional fields take their
    defaults, not the stored values, except `disabled`, kept when omitted
    [C trigger.go Triggers.Update]. created_at, triggered are kept.
 7. `query` and `query_id` together are refused [C trigger.go MarshalJSON:
    "we can't sent both to the API"]; a query_id must be one this server
    made; query_id changes when the query does [C trigger_test.go Update].
 8. A type+target recipient gets a team-wide id, the same for the same
    type+target [C data_source_trigger_recipient.go]; one given by id is
    answered with its type and target.
 9. Trigger validation [C trigger.go, trigger_resource.go; O]: name 1..120,
    description <= 1023, frequency a multiple of 60 in 60..86400, threshold
    {op > >= < <=, numeric value, exceeded_limit 1..5}, alert_type,
    evaluation_schedule_type (window needs evaluation_schedule.window),
    <= 10 tags, one calculation (unless formulas), no HEATMAP/CONCURRENCY,
    no orders/limit/start_time/end_time, frequency <= time_range <=
    min(4 * frequency, 86400).
10. SLOs [C slo.go, slo_test.go; O SLO]: name, sli.alias,
    time_period_days >= 1, target_per_million 0..999999 all required (PUT
    is not partial); answers add id, description "", tags [], reset_at null,
    created_at, updated_at, dataset_slugs [ds] (in the body under __all__,
    read-only on PUT). GET /1/slos/__all__ lists every SLO.
Chosen here, not in the sources: 422 description wording, "" for an empty
description, 404 for PATCH and unknown paths, a trigger is seen only under
its own dataset slug.
"""

import copy
import json
import os
import random
import string
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (WRITE_METHODS, InProcessServer,  # noqa: E402
                     QuietHandler)

ALL = "__all__"
THRESHOLD_OPS = (">", ">=", "<", "<=")
RECIPIENT_TYPES = ("email", "pagerduty", "slack", "webhook", "marker",
                   "msteams", "msteams_workflow")
UNAUTHORIZED = {"error": "unknown API key - check your credentials"}
INVALID = "The provided input is invalid."


class Invalid(ValueError):
    """Validation failures: `details` is a list of (field, code, text)."""

    def __init__(self, details):
        super().__init__("; ".join("%s %s - %s" % d for d in details))
        self.details = details


class Errors(list):
    def check(self, ok, field, code, text):
        if not ok:
            self.append((field, code, text))
        return ok


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _int(v, lo, hi):
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _merge(dst, changes):
    """Deep-merge `changes` into `dst`: nested dicts merge, others replace."""
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v)


def _visible(obj, dataset):
    """A trigger is seen under its own dataset; an SLO under each of its
    datasets and under __all__."""
    if "dataset_slugs" in obj:
        return dataset == ALL or dataset in obj["dataset_slugs"]
    return obj["dataset_slug"] == dataset


class Honeycomb(InProcessServer):
    """The simulator. Datasets not in `datasets` answer 404; `seed` makes the
    generated ids repeatable."""

    def __init__(self, api_key="hcaik_simulated_key", datasets=("web",),
                 seed=None):
        self.api_key = api_key
        self.datasets = list(datasets)
        self.log = []
        self._lock = threading.Lock()
        self._rand = random.Random(seed)
        self._store = {"Trigger": {}, "SLO": {}}   # id -> object as answered
        self._queries = {}                          # query_id -> query spec
        self._recipients = {}                       # id -> {type, target}
        self.serve(self._handler_class())

    # (life cycle: harness.InProcessServer)
    # ---- test hooks ------------------------------------------------------
    def requests(self):
        with self._lock:
            return list(self.log)

    def writes(self):
        return [r for r in self.requests() if r.method in WRITE_METHODS]

    def triggers(self, dataset):
        """The triggers as GET /1/triggers/{dataset} lists them."""
        with self._lock:
            return copy.deepcopy(self._list("Trigger", dataset))

    def slos(self, dataset):
        with self._lock:
            return copy.deepcopy(self._list("SLO", dataset))

    def add_trigger(self, dataset, **fields):
        """Store a trigger as POST would (same defaults and validation, raises
        Invalid); returns it as the API answers it."""
        return self._add("Trigger", dataset, fields)

    def add_slo(self, dataset, **fields):
        return self._add("SLO", dataset, fields)

    def add_recipient(self, type, target):
        """The team-wide id of a recipient (made on first use)."""
        with self._lock:
            return self._recipient_id(type, target)

    def modify_trigger(self, dataset, id, **changes):
        """Drift behind the tool's back: deep-merge `changes` into the stored
        trigger (unvalidated), renew updated_at; returns it."""
        return self._modify("Trigger", dataset, id, changes)

    def modify_slo(self, dataset, id, **changes):
        return self._modify("SLO", dataset, id, changes)

    def _add(self, kind, dataset, fields):
        with self._lock:
            obj = self._build(kind, dataset, fields, None)
            self._store[kind][obj["id"]] = obj
            return copy.deepcopy(obj)

    def _modify(self, kind, dataset, id, changes):
        with self._lock:
            obj = self._store[kind][id]
            if not _visible(obj, dataset):
                raise KeyError("%s %s is not in %s" % (kind, id, dataset))
            _merge(obj, changes)
            obj["updated_at"] = _now()
            return copy.deepcopy(obj)

    def _list(self, kind, dataset):
        return [o for o in self._store[kind].values() if _visible(o, dataset)]

    # ---- ids -------------------------------------------------------------
    def _new_id(self, taken):
        chars = string.ascii_letters + string.digits
        while True:
            new = "".join(self._rand.choice(chars) for _ in range(11))
            if new not in taken:
                return new

    def _recipient_id(self, rtype, target):
        for rid, r in self._recipients.items():
            if r == {"type": rtype, "target": target}:
                return rid
        rid = self._new_id(self._recipients)
        self._recipients[rid] = {"type": rtype, "target": target}
        return rid

    # ---- building stored objects -------------------------------------------
    def _build(self, kind, dataset, body, old):
        """The object the server stores for a POST (`old` None) or a PUT over
        `old`. Raises Invalid."""
        errs = Errors()
        if not isinstance(body, dict):
            raise Invalid([("body", "incorrect_type", "must be an object")])
        head = {"id": old["id"] if old else self._new_id(self._store[kind])}
        build = self._trigger if kind == "Trigger" else self._slo
        obj = build(dataset, body, old, errs)
        if errs:
            raise Invalid(errs)
        now = _now()
        obj.update(created_at=old["created_at"] if old else now,
                   updated_at=now)
        if kind == "Trigger":   # keep the documented key order
            obj.update(query=obj.pop("query"), query_id=obj.pop("query_id"))
        else:
            obj["dataset_slugs"] = obj.pop("dataset_slugs")
        return dict(head, **obj)

    @staticmethod
    def _common(body, errs):
        """name, description and tags, as triggers and SLOs check them."""
        name, desc = body.get("name"), body.get("description", "")
        errs.check(isinstance(name, str) and name, "name", "missing",
                   "cannot be blank") and errs.check(
            len(name) <= 120, "name", "invalid", "must be 1 to 120 characters")
        errs.check(isinstance(desc, str) and len(desc) <= 1023, "description",
                   "invalid", "must be a string of at most 1023 characters")
        tags = body.get("tags") or []
        errs.check(isinstance(tags, list) and len(tags) <= 10, "tags",
                   "invalid", "must be a list of at most 10 tags")
        return {"name": name, "description": desc, "tags": copy.deepcopy(tags)}

    def _trigger(self, dataset, body, old, errs):
        freq = body.get("frequency", 900)
        if not errs.check(_int(freq, 60, 86400) and freq % 60 == 0,
                          "frequency", "invalid",
                          "must be a multiple of 60 in 60..86400"):
            freq = 900
        alert = body.get("alert_type") or "on_change"
        errs.check(alert in ("on_change", "on_true"), "alert_type", "invalid",
                   "must be on_change or on_true")
        sched = body.get("evaluation_schedule_type") or "frequency"
        errs.check(sched in ("frequency", "window"),
                   "evaluation_schedule_type", "invalid",
                   "must be frequency or window")
        disabled = body.get("disabled", old["disabled"] if old else False)
        errs.check(isinstance(disabled, bool), "disabled", "incorrect_type",
                   "must be a boolean")
        t = dict(dataset_slug=dataset, **self._common(body, errs))
        t.update(threshold=self._threshold(body.get("threshold"), errs),
                 frequency=freq, alert_type=alert, disabled=disabled,
                 triggered=old["triggered"] if old else False,
                 recipients=self._recipients_of(body.get("recipients"), errs),
                 evaluation_schedule_type=sched)
        if sched == "window":
            t["evaluation_schedule"] = self._window(body, errs)
        t["query"], t["query_id"] = self._query_ref(body, freq, old, errs)
        for extra in ("baseline_details", "auto_investigate"):
            if body.get(extra) is not None:
                t[extra] = copy.deepcopy(body[extra])
        return t

    @staticmethod
    def _threshold(thr, errs):
        if not errs.check(isinstance(thr, dict), "threshold", "missing",
                          "cannot be blank"):
            return None
        out = copy.deepcopy(thr)
        value = out.get("value")
        errs.check(out.get("op") in THRESHOLD_OPS, "threshold.op", "invalid",
                   "must be one of " + ", ".join(THRESHOLD_OPS))
        errs.check(isinstance(value, (int, float)) and
                   not isinstance(value, bool), "threshold.value",
                   "incorrect_type", "must be a number")
        errs.check(_int(out.setdefault("exceeded_limit", 1), 1, 5),
                   "threshold.exceeded_limit", "invalid", "must be 1 to 5")
        return out

    @staticmethod
    def _window(body, errs):
        sched = body.get("evaluation_schedule")
        win = sched.get("window") if isinstance(sched, dict) else None
        errs.check(isinstance(win, dict) and all(
            win.get(k) for k in ("days_of_week", "start_time", "end_time")),
            "evaluation_schedule", "missing",
            "a window needs days_of_week, start_time and end_time")
        return copy.deepcopy(sched)

    def _query_ref(self, body, freq, old, errs):
        """(query, query_id) for a trigger body."""
        q, qid = body.get("query"), body.get("query_id")
        if not errs.check(q is None or not qid, "query_id", "invalid",
                          "only one of query or query_id may be given"):
            return None, None
        if qid:
            if not errs.check(qid in self._queries, "query_id", "invalid",
                              "query not found"):
                return None, None
            q = self._queries[qid]
        if not errs.check(isinstance(q, dict), "query", "missing",
                          "must be a query object"):
            return None, None
        n_errs = len(errs)
        q = self._trigger_query(q, freq, errs)
        if len(errs) > n_errs:
            return q, None
        if old is not None and old.get("query") == q:
            return q, old["query_id"]
        if not qid or self._queries[qid] != q:
            qid = self._new_id(self._queries)
            self._queries[qid] = copy.deepcopy(q)
        return q, qid

    @staticmethod
    def _trigger_query(q, freq, errs):
        q = copy.deepcopy(q)
        for key in ("orders", "limit", "start_time", "end_time"):
            errs.check(q.get(key) is None, "query." + key, "invalid",
                       "not allowed in a trigger query")
        calcs = q["calculations"] = q.get("calculations") or [{"op": "COUNT"}]
        errs.check(len(calcs) == 1 or q.get("formulas"), "query.calculations",
                   "invalid", "a trigger query needs exactly one calculation")
        errs.check(not any(isinstance(c, dict) and c.get("op") in (
            "HEATMAP", "CONCURRENCY") for c in calcs), "query.calculations",
            "invalid", "a trigger query may not use HEATMAP or CONCURRENCY")
        tr = q.setdefault("time_range", freq)
        errs.check(_int(tr, freq, min(4 * freq, 86400)), "query.time_range",
                   "invalid", "the query duration must be between the "
                   "frequency and four times it")
        if q.get("filter_combination") == "AND":
            del q["filter_combination"]
        return q

    def _recipients_of(self, recips, errs):
        out = []
        for i, r in enumerate(recips or []):
            field = "recipients[%d]" % i
            if not errs.check(isinstance(r, dict), field, "incorrect_type",
                              "must be an object"):
                continue
            if r.get("id"):
                known = self._recipients.get(r["id"])
                if not errs.check(known, field + ".id", "invalid",
                                  "recipient not found"):
                    continue
                entry = dict(id=r["id"], **known)
            elif errs.check(r.get("type") in RECIPIENT_TYPES, field + ".type",
                            "invalid", "must be a known recipient type"):
                target = r.get("target", "")
                entry = {"id": self._recipient_id(r["type"], target),
                         "type": r["type"], "target": target}
            else:
                continue
            if r.get("details") is not None:
                entry["details"] = copy.deepcopy(r["details"])
            out.append(entry)
        return out

    def _slo(self, dataset, body, old, errs):
        sli, days = body.get("sli"), body.get("time_period_days")
        target = body.get("target_per_million")
        alias = sli.get("alias") if isinstance(sli, dict) else None
        errs.check(isinstance(alias, str) and 1 <= len(alias) <= 255,
                   "sli.alias", "missing", "cannot be blank")
        errs.check(_int(days, 1, 1 << 31), "time_period_days", "invalid",
                   "must be at least 1")
        errs.check(_int(target, 0, 999999), "target_per_million", "invalid",
                   "must be 0 to 999999")
        common = self._common(body, errs)
        s = {"name": common["name"], "description": common["description"],
             "sli": {"alias": alias}, "time_period_days": days,
             "target_per_million": target, "tags": common["tags"],
             "reset_at": old["reset_at"] if old else None}
        slugs = body.get("dataset_slugs") if dataset == ALL else [dataset]
        if old:
            slugs = old["dataset_slugs"]
        else:
            errs.check(isinstance(slugs, list) and 1 <= len(slugs) <= 10 and
                       all(d in self.datasets for d in slugs), "dataset_slugs",
                       "invalid", "1 to 10 known datasets are needed with "
                       "__all__")
        s["dataset_slugs"] = list(slugs or [])
        return s

    # ---- HTTP ------------------------------------------------------------
    def _problem(self, status, slug, title, error, details=()):
        body = {"status": status, "type": "%s/problems/%s" % (self.url, slug),
                "title": title, "error": error}
        if details:
            body["type_detail"] = [{"field": f, "code": c, "description": d}
                                   for f, c, d in details]
        return status, body, {"Content-Type": "application/problem+json"}

    def _not_found(self, what):
        return self._problem(404, "not-found", "The requested resource "
                             "cannot be found.", "%s not found" % what)

    def _answer(self, req):
        """(status, JSON body or None, headers) for a RecordedRequest."""
        if req.headers.get("x-honeycomb-team") != self.api_key:
            return 401, UNAUTHORIZED, {}
        path = urllib.parse.urlsplit(req.path).path.strip("/").split("/")
        if len(path) not in (3, 4) or path[0] != "1" or \
                path[1] not in ("triggers", "slos"):
            return self._not_found("Resource")
        dataset = urllib.parse.unquote(path[2])
        if dataset not in self.datasets and dataset != ALL:
            return self._not_found("Dataset")
        if req.method in ("POST", "PUT") and not isinstance(req.json, dict):
            return self._problem(400, "unparseable", "The request body could "
                                 "not be parsed.", "could not parse request "
                                 "body")
        kind = "Trigger" if path[1] == "triggers" else "SLO"
        try:
            with self._lock:
                return copy.deepcopy(self._dispatch(
                    kind, dataset, path[3] if len(path) == 4 else None, req))
        except Invalid as e:
            return self._problem(422, "validation-failed", INVALID, INVALID,
                                 e.details)

    def _dispatch(self, kind, dataset, id, req):
        store = self._store[kind]
        if id is None and req.method == "GET":
            return 200, self._list(kind, dataset), {}
        if id is None and req.method == "POST":
            obj = self._build(kind, dataset, req.json, None)
            store[obj["id"]] = obj
            where = {"Location": "/1/triggers/%s/%s" % (dataset, obj["id"])}
            return 201, obj, where if kind == "Trigger" else {}
        old = store.get(id)
        if id is None or req.method not in ("GET", "PUT", "DELETE"):
            return self._not_found("Resource")
        if old is None or not _visible(old, dataset):
            return self._not_found(kind)
        if req.method == "GET":
            return 200, old, {}
        if req.method == "DELETE":
            del store[id]
            return 204, None, {}
        store[id] = self._build(kind, dataset, req.json, old)
        return 200, store[id], {}

    def _handler_class(self):
        outer = self

        class Handler(QuietHandler):
            def _handle(self):
                req = self.read_request()
                with outer._lock:
                    outer.log.append(req)
                status, body, headers = outer._answer(req)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if body is not None:   # 204: no body, no Content-Length
                    data = json.dumps(body).encode()
                    if "Content-Type" not in headers:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body is not None:
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler
