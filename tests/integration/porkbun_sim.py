"""An in-process simulator of the Porkbun API v3 DNS endpoints (standard library).

    with Porkbun(domains={"example.com": [{"name": "www.example.com", "type": "A",
                 "content": "192.0.2.1"}]}, apikey="pk1_x", secretapikey="sk1_y") as pb:
        pb.url; pb.records("example.com"); pb.requests(); pb.writes(); pb.fail_next(2, 503)

Endpoints (all POST, JSON body, `apikey` + `secretapikey` in the body, also for reads):
  /ping                                   {"status":"SUCCESS","yourIp":"127.0.0.1"}
  /dns/retrieve/{domain}[/{id}]           {"status":"SUCCESS","cloudflare":"enabled","records":[...]}
  /dns/retrieveByNameType/{domain}/{type}[/{sub}]   same shape
  /dns/create/{domain}                    {"status":"SUCCESS","id":106926659}
  /dns/edit/{domain}/{id}                 {"status":"SUCCESS"}
  /dns/editByNameType/{domain}/{type}[/{sub}]       {"status":"SUCCESS"}
  /dns/delete/{domain}/{id}               {"status":"SUCCESS"}
  /dns/deleteByNameType/{domain}/{type}[/{sub}]     {"status":"SUCCESS"}
Errors: {"status":"ERROR","message":...} with HTTP `error_status` (400 unless told).

Sources used (read, not copied):
  [O] major/oinker: src/oinker/_http.py, src/oinker/dns/_api.py, src/oinker/dns/_records.py,
      tests/dns/test_api.py, tests/test_http.py, tests/conftest.py
  [N] nrdcg/porkbun: client.go, fixtures/{create,retrieve,error}.json (the official docs' examples)
  [D] porkbun.com/api/json/v3/documentation and porkbun.com/llms/dns (opening excerpts only);
      tobq/porkbun-api-v3 openapi.yaml (an unofficial spec of the documented calls)
  [P] infinityofspace/pkb_client Readme.md (Notes); infinityofspace/certbot_dns_porkbun#50
  [I] GitHub issues with real answers: qdm12/ddns-updater#536,#561,#685,#896; jeessy2/ddns-go#574,
      #1015; jadolg/porkbun-ddns#9; cullenmcdermott/terraform-provider-porkbun#37,#39,#68;
      kyswtn/terraform-provider-porkbun#8; caddy-dns/porkbun#29
  [C] client tests modelling Porkbun (found with find_string): cheti (Rust/wiremock: 200+ERROR
      on create, "Invalid record ID."); a Rust retrieve client's table of error messages

Quirks reproduced, and where each comes from:
  1. Every call is POST; keys only in the JSON body [O _http.py, D]. Missing apikey ->
     "All API requests require an API key."; wrong apikey -> "Invalid API key. (001)"; missing or
     wrong secret -> "Invalid API key. (002)"; body not a JSON object -> "All API requests must
     provide minimal required data." [C]. Header auth (X-API-Key, newer docs [D]) is NOT accepted.
  2. Errors are HTTP 400 + {"status":"ERROR","message":...} [I: ddns-updater#536, ddns-go#574,
     #1015, terraform#68]; error_status=200 answers every error as 200 + ERROR, as oinker's tests
     model it [O tests/test_http.py]. Always 200 + ERROR: create in a zone holding `max_records`
     records ("The zone is at the maximum number of DNS records.") [C cheti]. The client must
     check `status`, not only the HTTP code [O _http.py].
  3. Read names are full names (apex = the domain) [O, N fixtures]; writes take `name` as the
     SUBDOMAIN ("" or absent = apex) [D, O _records.py], so name "www.example.com" creates
     "www.example.com.example.com". No "@" handling (none is documented).
  4. Every listed value is a string: id, ttl, prio ("0" by default), notes ("") [N, O fixtures].
     Create answers id as a JSON number [N fixtures/create.json, = docs]; string_ids=True answers a
     string, as oinker's fixtures do [O]. Retrieve answers carry "cloudflare":"enabled" [I #896].
  5. TTL: minimum and default 600 [D openapi, terraform#39 quoting the docs, O _records.py]; a lower or missing ttl is
     silently stored as 600, not refused [P]. Seeds via add() may hold lower TTLs (the web
     dashboard allows them [P]). ttl/prio may be sent as numbers or strings.
  6. Edit by id replaces the record: it takes create's fields, type+content required [D openapi]
     and name blank = root [N client.go doc comment] - so name absent = apex, ttl absent
     = 600, prio absent = "0"; notes absent = kept, "" clears [O _api.py docstring; inferred].
     Unknown id, missing type/content -> "Edit error: We were unable to edit the DNS record." [I].
     An edit that changes nothing gets the same error [inferred from I: ddns-updater#536/#685,
     terraform#37, kyswtn#8]; noop_edit_error=False turns that off.
  7. Create with missing/unknown type or content, an exact duplicate (name, type, content), or a
     CNAME next to other records at a name -> "Create error: We were unable to create the DNS
     record." [I ddns-go#574, porkbun-ddns#9; cause inferred].
  8. Unknown domain (also a subdomain in the path) -> "Invalid domain." [I caddy-dns#29, C].
     Delete of an unknown id -> "Invalid record ID." [C]; no id -> "You need to pass an ID." [I #68].
     Retrieve of an unknown id -> SUCCESS with "records": [] [O tests/dns/test_api.py].
  9. Not sourced, chosen here: non-POST -> 405, unknown endpoint -> 404 (both ERROR JSON);
     editByNameType keeps omitted ttl/prio/notes and fails with "Edit error" when nothing
     matches; deleteByNameType of nothing succeeds.
"""

import json
import threading

from harness import InProcessServer, QuietHandler

PREFIX = "/api/json/v3"
TYPES = frozenset("A AAAA MX CNAME ALIAS TXT NS SRV TLSA CAA HTTPS SVCB SSHFP".split())
MIN_TTL = 600
FIELDS = ("name", "type", "content", "ttl", "prio", "notes")
WRITE_OPS = ("create", "edit", "delete", "editByNameType", "deleteByNameType")
CREATE_ERR = "Create error: We were unable to create the DNS record."
EDIT_ERR = "Edit error: We were unable to edit the DNS record."
LIMIT_ERR = "The zone is at the maximum number of DNS records."


class ApiError(Exception):
    def __init__(self, message, status=None):
        super().__init__(message)
        self.message, self.status = message, status


def _ttl(value):
    """ttl as Porkbun stores it: a string, at least 600 (lower or bad -> 600)."""
    try:
        return str(max(int(str(value).strip()), MIN_TTL))
    except ValueError:
        return str(MIN_TTL)


def _num(value, default="0"):
    if value is None or str(value).strip() == "":
        return default
    return str(value).strip()


class Porkbun(InProcessServer):
    """The simulator: start()/stop() or `with`; see the module docstring."""

    def __init__(self, domains=None, apikey="pk1_test", secretapikey="sk1_test",
                 error_status=400, max_records=None, string_ids=False,
                 noop_edit_error=True):
        self.apikey, self.secretapikey = apikey, secretapikey
        self.error_status, self.max_records = error_status, max_records
        self.string_ids, self.noop_edit_error = string_ids, noop_edit_error
        self.log, self._faults, self._last_id = [], [], 106926651
        self._lock = threading.RLock()
        self._zones = {d.lower(): [] for d in (domains or {})}
        for domain, recs in (domains or {}).items():
            for r in recs:
                self.add(domain, **r)
        self.serve(self._handler())

    # (life cycle: harness.InProcessServer; its url ends in the API's prefix)
    @property
    def url(self):
        return "http://127.0.0.1:%d%s" % (self.port, PREFIX)

    # ---- test hooks
    def records(self, domain):
        """The domain's records as /dns/retrieve lists them (copies)."""
        with self._lock:
            return [dict(r) for r in self._zones[domain.lower()]]

    def requests(self):
        with self._lock:
            return list(self.log)

    def writes(self):
        """requests() to create/edit/delete/editByNameType/deleteByNameType."""
        return [r for r in self.requests() if _op(r.path) in WRITE_OPS]

    def add(self, domain, name="", type="A", content="", ttl=MIN_TTL, prio=0,
            notes="", id=None):
        """Seed a record directly (no TTL minimum, as the dashboard allows). `name` is the
        full name ("www.example.com"; the domain or "" for the apex) or a subdomain ("www").
        Returns the id (a string)."""
        domain = domain.lower()
        with self._lock:
            zone = self._zones.setdefault(domain, [])
            if name and name != domain and not name.endswith("." + domain):
                name = name + "." + domain
            rid = self._new_id() if id is None else str(id)
            if rid.isdigit():
                self._last_id = max(self._last_id, int(rid))
            zone.append({"id": rid, "name": name or domain, "type": type,
                         "content": content, "ttl": str(ttl), "prio": _num(prio),
                         "notes": notes or ""})
            return rid

    def fail_next(self, n=1, status=503, message="Service temporarily unavailable.",
                  path=None, apply=False, headers=None, body=None):
        """Answer the next `n` requests (only those whose path contains `path`, if given)
        with HTTP `status` and {"status":"ERROR","message":message}, or the raw text `body`.
        apply=True carries the request out first (a write that succeeded but whose answer
        says it failed); else nothing changes. `headers`: extra answer headers, e.g.
        {"Retry-After": "1"} with 429. status=200 gives an ERROR inside a 200 answer."""
        with self._lock:
            self._faults.append(dict(n=n, status=status, message=message, path=path,
                                     apply=apply, headers=headers or {}, body=body))

    # ---- HTTP
    def _handler(self):
        outer = self

        class Handler(QuietHandler):
            def _handle(self):
                req = self.read_request()
                status, body, headers = outer._serve(req)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                ctype = "text/plain" if isinstance(body, bytes) else "application/json"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        return Handler

    def _serve(self, req):
        with self._lock:
            self.log.append(req)
            fault = self._take_fault(req.path)
            if fault is None or fault["apply"]:
                answer = self._answer(req)
            if fault is None:
                return answer
            if fault["body"] is not None:
                return fault["status"], fault["body"].encode(), fault["headers"]
            return (fault["status"], {"status": "ERROR", "message": fault["message"]},
                    fault["headers"])

    def _take_fault(self, path):
        for f in self._faults:
            if f["n"] > 0 and (f["path"] is None or f["path"] in path):
                f["n"] -= 1
                return f
        return None

    def _answer(self, req):
        try:
            if req.method != "POST":
                raise ApiError("Method not allowed. Use POST.", 405)
            parts = _parts(req.path)
            if parts is None:
                raise ApiError("Invalid endpoint.", 404)
            self._auth(req.json)
            return 200, self._dispatch(parts, req.json), {}
        except ApiError as e:
            return (e.status or self.error_status,
                    {"status": "ERROR", "message": e.message}, {})

    def _auth(self, body):
        if not isinstance(body, dict):
            raise ApiError("All API requests must provide minimal required data.")
        if not body.get("apikey"):
            raise ApiError("All API requests require an API key.")
        if body["apikey"] != self.apikey:
            raise ApiError("Invalid API key. (001)")
        if body.get("secretapikey") != self.secretapikey:
            raise ApiError("Invalid API key. (002)")

    def _dispatch(self, parts, body):
        if parts == ["ping"]:
            return {"status": "SUCCESS", "yourIp": "127.0.0.1"}
        if len(parts) < 3 or parts[0] != "dns":
            raise ApiError("Invalid endpoint.", 404)
        op, domain, rest = parts[1], parts[2].lower(), parts[3:]
        handler = getattr(self, "_op_" + op, None)
        if handler is None:
            raise ApiError("Invalid endpoint.", 404)
        if domain not in self._zones:
            raise ApiError("Invalid domain.")
        return handler(self._zones[domain], domain, rest, body)

    # ---- operations: (zone, domain, rest of the path, body) -> answer
    def _op_retrieve(self, zone, domain, rest, body):
        recs = [r for r in zone if not rest or r["id"] == rest[0]]
        return {"status": "SUCCESS", "cloudflare": "enabled",
                "records": [dict(r) for r in recs]}

    def _op_retrieveByNameType(self, zone, domain, rest, body):
        return {"status": "SUCCESS", "cloudflare": "enabled",
                "records": [dict(r) for r in _by_name_type(zone, domain, rest)]}

    def _op_create(self, zone, domain, rest, body):
        if self.max_records is not None and len(zone) >= self.max_records:
            raise ApiError(LIMIT_ERR, 200)
        rec = _fields(domain, body, CREATE_ERR, notes="")
        if any(_clash(rec, r) for r in zone):
            raise ApiError(CREATE_ERR)
        rec["id"] = self._new_id()
        zone.append({k: rec[k] for k in ("id",) + FIELDS})
        return {"status": "SUCCESS",
                "id": rec["id"] if self.string_ids else int(rec["id"])}

    def _op_edit(self, zone, domain, rest, body):
        rec = next((r for r in zone if rest and r["id"] == rest[0]), None)
        if rec is None:
            raise ApiError(EDIT_ERR)
        new = _fields(domain, body, EDIT_ERR, notes=rec["notes"])
        if self.noop_edit_error and all(new[k] == rec[k] for k in FIELDS):
            raise ApiError(EDIT_ERR)
        rec.update(new)
        return {"status": "SUCCESS"}

    def _op_editByNameType(self, zone, domain, rest, body):
        recs = _by_name_type(zone, domain, rest)
        if not recs or not body.get("content"):
            raise ApiError(EDIT_ERR)
        for r in recs:
            r["content"] = str(body["content"])
            if body.get("ttl") not in (None, ""):
                r["ttl"] = _ttl(body["ttl"])
            if body.get("prio") not in (None, ""):
                r["prio"] = _num(body["prio"])
            if body.get("notes") is not None:
                r["notes"] = str(body["notes"])
        return {"status": "SUCCESS"}

    def _op_delete(self, zone, domain, rest, body):
        if not rest or not rest[0]:
            raise ApiError("You need to pass an ID.")
        rec = next((r for r in zone if r["id"] == rest[0]), None)
        if rec is None:
            raise ApiError("Invalid record ID.")
        zone.remove(rec)
        return {"status": "SUCCESS"}

    def _op_deleteByNameType(self, zone, domain, rest, body):
        for r in _by_name_type(zone, domain, rest):
            zone.remove(r)
        return {"status": "SUCCESS"}

    def _new_id(self):
        self._last_id += 1
        return str(self._last_id)


def _parts(path):
    path = path.split("?", 1)[0]
    if not path.startswith(PREFIX + "/"):
        return None
    return [p for p in path[len(PREFIX):].split("/") if p != ""] or None


def _op(path):
    parts = _parts(path) or []
    return parts[1] if len(parts) > 1 and parts[0] == "dns" else None


def _full(sub, domain):
    return "%s.%s" % (sub, domain) if sub else domain


def _fields(domain, body, err, notes):
    """A record's fields from a create/edit body (name = subdomain, as written)."""
    rtype = str(body.get("type") or "").upper()
    content = body.get("content")
    if rtype not in TYPES or content in (None, ""):
        raise ApiError(err)
    note = body.get("notes")
    return {"name": _full(str(body.get("name") or ""), domain), "type": rtype,
            "content": str(content), "ttl": _ttl(body.get("ttl")),
            "prio": _num(body.get("prio")), "notes": notes if note is None else str(note)}


def _clash(new, old):
    if new["name"] != old["name"]:
        return False
    if new["type"] == old["type"] and new["content"] == old["content"]:
        return True
    return "CNAME" in (new["type"], old["type"])


def _by_name_type(zone, domain, rest):
    if not rest:
        raise ApiError("Invalid endpoint.", 404)
    name = _full(rest[1] if len(rest) > 1 else "", domain)
    return [r for r in zone if r["name"] == name and r["type"] == rest[0].upper()]
