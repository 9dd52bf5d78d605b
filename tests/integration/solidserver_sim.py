"""solidserver_sim.py -- an in-process simulator of EfficientIP SOLIDserver's
classic REST API for DNS resource records (/rest/dns_rr_*), for tests.

    with SolidServer(records=make_zone(300), user="ipmadmin",
                     password="s3cret") as sds:     # or .start() / .stop()
        sds.url; sds.headers   # base URL; the two X-IPM-* auth headers
        sds.records()          # the rows as dns_rr_list answers them
        sds.requests(); sds.writes()   # [SdsRequest(method, path, query,
                                       #   headers, body, status)]
        sds.add(rr_full_name="www.example.org", rr_type="A",
                value1="192.0.2.1", ttl="600")    # seed a row, returns it
        sds.set_fail(1, 500)   # next write applied, then answered 500
                               # (apply=False: refused, not applied)

  GET    /rest/dns_rr_list?WHERE=..&limit=N&offset=M   200 [rows] | 204
  GET    /rest/dns_rr_info?rr_id=N                     200 [row]  | 204
  POST   /rest/dns_rr_add?add_flag=new_only&dns_name=..&rr_name=FULLNAME
             &rr_type=A&value1=..&rr_ttl=600           201 [{"ret_oid":"N"}]
  PUT    /rest/dns_rr_add?add_flag=edit_only&rr_id=N&rr_ttl=600   201 (same)
  DELETE /rest/dns_rr_delete?rr_id=N                   200 [{"ret_oid":"N"}]

Sources (read, not copied): gregocgt/SOLIDserverRest [G]
SOLIDserverRest/SOLIDserverRest.py, mapper.py, report.txt (real answers);
vrtdev/solidserverrest [V] SOLIDserverRest/mapper.py, adv/sds.py,
adv/base.py, adv/dns_record.py, adv/dns.py, docs/dns_rr_*.md;
EfficientIP-Labs/terraform-provider-solidserver [T]
solidserver/resource_dns_rr.go, solidserver/soliderver.go;
EfficientIP-Labs/solidserver-go-client [O] sdsclient/api/openapi.yaml.

Quirks (source):
 - All parameters in the query string; the body is never read, so a JSON
   body ({"rr_ttl": 600} on an edit) is ignored and the edit still answers
   201 [G SOLIDserverRest.py sends no body; T soliderver.go neither].
 - _add POST + add_flag=new_only, edit = PUT on _add + add_flag=edit_only,
   _list/_info GET, _delete DELETE [G, V mapper.py]; add_flag decides,
   default new_edit [V docs/dns_rr_create.md].
 - Auth headers X-IPM-Username/X-IPM-Password = base64 of user/password
   [G use_native_sds, T soliderver.go]; otherwise 401 [V adv/sds.py].
 - Every value a string; each row has "errno": "0" [G report.txt rows,
   V base.py checks rjson[0]['errno'], T Atoi(ttl)]. Fields: the "Returned
   Values" of [V docs/dns_rr_list.md] -- no rr_name, the name is
   rr_full_name; dnsview_name "#" without a view [T]; delayed_create_time
   and delayed_delete_time "0" once in sync [V dns_record.py].
 - Empty result, page past the end, info on an absent rr_id: 204, no body
   [G report.txt; V sds.py maps 204 to empty; dns_record.py delete waits
   for info to be empty].
 - limit/offset only in lower case [O]; WHERE (or where [O]) is SQL,
   simulated as field='text' / field=123 joined by AND, any case [V base.py,
   T resource_dns_rr.go]; anything else 400.
 - Create 201 [{"ret_oid":"N"}], edit 201 (ip_site_update), delete 200
   [G report.txt]; T accepts 200 or 201.
 - Errors 400: _add/_delete answer a bare object {errno, errmsg,
   severity:"error", ..., category} [G report.txt; V tests 'errno' in
   rjson; T wraps {...} in [...]]; _list/_info an array [{errno, errmsg,
   parameters}] [G report.txt ip_pool_info]. Missing parameter: errno "4".
   JSON is compact with "/" escaped "\\/" [G report.txt].
 - _add needs rr_name (full name) && rr_type && value1 && (dns_id ||
   dns_name || hostaddr); rr_ttl default 3600; rr_valueN = valueN;
   dnszone_name/dnszone_id optional [V docs/dns_rr_create.md, T].

Chosen here (the sources do not say): errno/errmsg of "already exists"
(11), not found (12), invalid value or WHERE (6) -- shape from G's errno
5061 "Space name already exist"; the 401 body; 405 for a wrong method,
400 for an unknown service; the default page size (all rows, or
default_limit); rr_glue, rr_all_value, rr_value_ip_addr; ORDERBY ignored.
"""

import base64
import collections
import json
import re
import sys
import threading
import time
import urllib.parse

from harness import WRITE_METHODS, InProcessServer, QuietHandler

SdsRequest = collections.namedtuple(
    "SdsRequest", "method path query headers body status")

FIELDS = (  # docs/dns_rr_list.md "Returned Values", in that order
    "rr_all_value dnszone_sort_zone dnszone_is_rpz dnszone_type rr_full_name "
    "rr_full_name_utf rr_name_ip_addr rr_name_ip4_addr rr_value_ip_addr "
    "rr_value_ip4_addr rr_glue rr_type ttl delayed_time rr_class_name value1 "
    "value2 value3 value4 value5 value6 value7 dnszone_id rr_id dns_id "
    "dnszone_name_utf dnszone_name dns_name dns_type dns_cloud vdns_parent_id "
    "dnsview_name dnsview_class_name dnsview_id dnszone_site_name "
    "dnszone_is_reverse dnszone_masters vdns_parent_name dnszone_forwarders "
    "dns_class_name dnszone_class_name dns_version dns_comment "
    "delayed_create_time delayed_delete_time multistatus rr_auth_gsstsig "
    "rr_last_update_time rr_last_update_days dnsview_class_parameters "
    "dnsview_class_parameters_properties "
    "dnsview_class_parameters_inheritance_source rr_class_parameters "
    "rr_class_parameters_properties rr_class_parameters_inheritance_source"
).split()
CONSTANTS = dict.fromkeys(
    "dnszone_is_rpz delayed_time dns_cloud vdns_parent_id dnsview_id "
    "dnszone_is_reverse delayed_create_time delayed_delete_time "
    "rr_auth_gsstsig rr_last_update_days".split(), "0")
CONSTANTS.update(dnszone_type="master", dns_type="ipm", dnsview_name="#",
                 dnszone_site_name="#", vdns_parent_name="#", ttl="3600")
VALUES = tuple("value%d" % i for i in range(1, 8))
RR_TYPES = set(  # docs/dns_rr_create.md rr_type enum (the common ones)
    "A AAAA CNAME MX NS PTR SRV TXT SPF CAA NAPTR DNAME DS DNSKEY TLSA SSHFP "
    "HINFO SOA".split())
ERR_EXISTS, ERR_NOT_FOUND, ERR_INVALID = "11", "12", "6"  # chosen here
_CLAUSE = re.compile(r"\s*(\w+)\s*=\s*('(?:[^']|'')*'|-?\d+)\s*")
_AND = re.compile(r"(?i)and\b")
_UINT = re.compile(r"\d+")


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(status, body)
        self.status, self.body = status, body


def write_error(service, errno, errmsg, **extra):
    """400 as _add/_delete answer it: a bare object (report.txt)."""
    return ApiError(400, dict({"errno": errno, "errmsg": errmsg,
                               "severity": "error"}, **extra,
                              category=service))


def read_error(errno, errmsg, **extra):
    """400 as _list/_info answer it: an array of one object (report.txt)."""
    return ApiError(400, [dict({"errno": errno, "errmsg": errmsg}, **extra)])


def missing(service, names):
    return write_error(service, "4", "Missing parameter",
                       parameters="/".join(names), service_name=service)


def b64(text):
    return base64.b64encode(text.encode()).decode()


def make_zone(n, zone="example.org", ttl="300"):
    """n A records host1.ZONE .. hostN.ZONE (10.0.x.y), for SolidServer."""
    return [{"rr_full_name": "host%d.%s" % (i, zone), "rr_type": "A",
             "value1": "10.0.%d.%d" % divmod(i, 256), "ttl": str(ttl),
             "dnszone_name": zone} for i in range(1, n + 1)]


def parse_where(text):
    """[(field, value)] of "a='x' AND b=3"; ApiError 400 otherwise."""
    preds, pos, text = [], 0, (text or "").strip()
    while pos < len(text):
        m = _CLAUSE.match(text, pos)
        if not m or m.group(1).lower() not in FIELDS:
            raise read_error(ERR_INVALID, "Invalid WHERE clause", WHERE=text)
        raw = m.group(2)
        preds.append((m.group(1).lower(), raw[1:-1].replace("''", "'")
                      if raw[0] == "'" else raw))
        pos = m.end()
        m = _AND.match(text, pos)
        if pos < len(text) and not m:
            raise read_error(ERR_INVALID, "Invalid WHERE clause", WHERE=text)
        pos = m.end() if m else pos
    return preds


def uint(q, name, default, service=None):
    """q[name] as an int >= 0, `default` when absent; else a 400 shaped as
    `service` (a write service) or as a read service answers it."""
    if name not in q:
        return default
    if not _UINT.fullmatch(q[name]):
        e = dict(param_format=">=0", param_value=q[name])
        raise (write_error(service, ERR_INVALID, "Invalid parameter", **e)
               if service else read_error(ERR_INVALID, "Invalid parameter "
                                          + name, **e))
    return int(q[name])


class SolidServer(InProcessServer):
    """One DNS server (dns_name, dns_id, dns_addr) holding `zones` and every
    dnszone_name of `records` (dicts for add()). default_limit: rows a list
    answers without `limit` (None: all); max_limit caps every page."""

    SERVICES = {"dns_rr_list": (("GET",), "_list"),
                "dns_rr_info": (("GET",), "_info"),
                "dns_rr_add": (("POST", "PUT"), "_add_service"),
                "dns_rr_delete": (("DELETE",), "_delete")}

    def __init__(self, records=(), user="ipmadmin", password="admin",
                 dns_name="ns1.example.org", dns_id="2", dns_addr="192.0.2.53",
                 zones=("example.org",), default_limit=None, max_limit=None):
        self.user, self.password = user, password
        self.dns = {"dns_name": dns_name, "dns_id": str(dns_id)}
        self.dns_addr = dns_addr
        self.default_limit, self.max_limit = default_limit, max_limit
        self._lock = threading.RLock()
        self._rows, self._zones, self.log = {}, {}, []
        self._next_id, self._fail = 1, (0, 500, True)
        for z in list(zones) + [r.get("dnszone_name") or "" for r in records]:
            if z:
                self._zones.setdefault(z.lower(), str(10 + len(self._zones)))
        for r in records:
            self.add(**r)
        self.serve(self._handler_class())

    # (life cycle: harness.InProcessServer)
    @property
    def headers(self):
        return {"X-IPM-Username": b64(self.user),
                "X-IPM-Password": b64(self.password)}

    # -- test hooks
    def records(self):
        with self._lock:
            return [dict(self._rows[k]) for k in sorted(self._rows)]

    def requests(self, since=0):
        with self._lock:
            return list(self.log[since:])

    def writes(self, since=0):
        return [r for r in self.requests(since) if r.method in WRITE_METHODS]

    def set_fail(self, n, status=500, apply=True):
        """The next n write requests answer `status` and an error object;
        apply=True applies each write first (a lost answer, a race)."""
        with self._lock:
            self._fail = (n, status, apply)

    def add(self, **fields):
        """Seed one row: rr_full_name (or rr_name), rr_type, value1..7, ttl
        (or rr_ttl), optional dnszone_name, rr_id and any other row field.
        Returns the row."""
        f = {k: str(v) for k, v in fields.items()}
        f.setdefault("rr_full_name", f.pop("rr_name", ""))
        f.setdefault("ttl", f.pop("rr_ttl", "3600"))
        with self._lock:
            zone = (f.pop("dnszone_name", "") or
                    self._zone_of(f["rr_full_name"]) or "").lower()
            if zone not in self._zones:
                raise ValueError("no zone for %r" % f["rr_full_name"])
            rid = int(f.pop("rr_id", self._next_id))
            self._next_id = max(self._next_id, rid + 1)
            row = dict({"errno": "0"}, **dict.fromkeys(FIELDS, ""))
            row.update(CONSTANTS, **self.dns)
            row.update(rr_id=str(rid), dnszone_name=zone, dnszone_name_utf=zone,
                       dnszone_sort_zone=zone, dnszone_id=self._zones[zone])
            row.update(f)
            self._rows[rid] = self._derive(row)
            return dict(row)

    # -- rows
    def _zone_of(self, name):
        name = name.lower().rstrip(".")
        hits = [z for z in self._zones if name == z or name.endswith("." + z)]
        return max(hits, key=len) if hits else None

    @staticmethod
    def _derive(row):
        """Recompute the server-owned fields that follow from the others."""
        name, zone = row["rr_full_name"], row["dnszone_name"]
        row["rr_full_name_utf"] = name
        row["rr_glue"] = (name[:-len(zone) - 1]
                          if name.lower().endswith("." + zone) else "")
        row["rr_all_value"] = " ".join(row[v] for v in VALUES if row[v])
        a = row["rr_type"] == "A" and re.fullmatch(r"[\d.]+", row["value1"])
        row["rr_value_ip4_addr"] = row["value1"] if a else ""
        row["rr_value_ip_addr"] = "".join(
            "%02x" % int(p) for p in row["value1"].split(".")) if a else ""
        row["rr_last_update_time"] = str(int(time.time()))
        return row

    def _find(self, name, rtype, value1, skip=None):
        """The rr_id of the row with that name (any case), type and value1."""
        return next((i for i, r in self._rows.items() if i != skip and
                     r["rr_full_name"].lower() == name.lower() and
                     r["rr_type"] == rtype and r["value1"] == value1), None)

    # -- services: (status, body or None for 204); ApiError for errors
    def _list(self, q):
        preds = parse_where(next((v for k, v in q.items()
                                  if k.lower() == "where"), ""))
        offset = uint(q, "offset", 0)
        limit = uint(q, "limit", self.default_limit)
        if self.max_limit is not None:
            limit = min(self.max_limit, self.max_limit if limit is None
                        else limit)
        rows = [r for r in self.records()
                if all(r.get(k) == v for k, v in preds)]
        page = rows[offset:] if limit is None else rows[offset:offset + limit]
        return (200, page) if page else (204, None)

    def _info(self, q):
        if not q.get("rr_id"):
            raise read_error("4", "Missing parameter rr_id", parameters="rr_id")
        row = self._rows.get(uint(q, "rr_id", 0))
        return (200, [dict(row)]) if row else (204, None)

    def _add_service(self, q):
        flag = q.get("add_flag", "new_edit")
        if flag not in ("new_edit", "new_only", "edit_only"):
            raise write_error("dns_rr_add", ERR_INVALID, "Invalid parameter",
                              param_format="new_edit,new_only,edit_only",
                              param_value=flag)
        for v in VALUES:  # rr_valueN is an alias of valueN
            if "rr_" + v in q:
                q.setdefault(v, q["rr_" + v])
        if q.get("rr_type") and q["rr_type"] not in RR_TYPES:
            raise write_error("dns_rr_add", ERR_INVALID, "Invalid parameter",
                              param_format="rr_type", param_value=q["rr_type"])
        uint(q, "rr_ttl", 0, "dns_rr_add")
        if flag == "edit_only" or (flag == "new_edit" and q.get("rr_id")):
            return self._edit(q)
        return self._create(q, flag)

    def _create(self, q, flag):
        need = [p for p in ("rr_name", "rr_type", "value1") if not q.get(p)]
        if not any(q.get(p) for p in ("dns_id", "dns_name", "hostaddr")):
            need.append("dns_id/dns_name/hostaddr")
        if need:
            raise missing("dns_rr_add", need)
        for key, want in (("dns_id", self.dns["dns_id"]), ("hostaddr",
                          self.dns_addr), ("dns_name", self.dns["dns_name"])):
            if q.get(key) and q[key] != want:
                raise write_error("dns_rr_add", ERR_NOT_FOUND,
                                  "DNS server not found", **{key: q[key]})
        dup = self._find(q["rr_name"], q["rr_type"], q["value1"])
        if dup is not None and flag == "new_edit":
            return self._edit(dict(q, rr_id=str(dup)))
        if dup is not None:
            raise write_error("dns_rr_add", ERR_EXISTS, "RR already exists",
                              rr_name=q["rr_name"], rr_type=q["rr_type"])
        zone = q.get("dnszone_name") or self._zone_of(q["rr_name"])
        if q.get("dnszone_id"):
            zone = next((z for z, i in self._zones.items()
                         if i == q["dnszone_id"]), None)
        if not zone or zone.lower() not in self._zones:
            raise write_error("dns_rr_add", ERR_NOT_FOUND,
                              "DNS zone not found", rr_name=q["rr_name"])
        keep = VALUES + ("rr_class_name", "rr_class_parameters")
        row = self.add(rr_full_name=q["rr_name"], rr_type=q["rr_type"],
                       ttl=q.get("rr_ttl", "3600"), dnszone_name=zone,
                       **{k: q[k] for k in keep if k in q})
        return 201, [{"ret_oid": row["rr_id"]}]

    def _edit(self, q):
        rid = q.get("rr_id")
        if not rid:
            raise missing("dns_rr_add", ["rr_id"])
        row = self._rows.get(int(rid)) if _UINT.fullmatch(rid) else None
        if row is None:
            raise write_error("dns_rr_add", ERR_NOT_FOUND, "RR not found",
                              rr_id=rid)
        new = dict(row, rr_full_name=q.get("rr_name", row["rr_full_name"]),
                   rr_type=q.get("rr_type", row["rr_type"]),
                   ttl=q.get("rr_ttl", row["ttl"]))
        new.update((k, q[k]) for k in VALUES + (
            "rr_class_name", "rr_class_parameters") if k in q)
        if self._find(new["rr_full_name"], new["rr_type"], new["value1"],
                      skip=int(rid)) is not None:
            raise write_error("dns_rr_add", ERR_EXISTS, "RR already exists",
                              rr_name=new["rr_full_name"])
        self._rows[int(rid)] = self._derive(new)
        return 201, [{"ret_oid": new["rr_id"]}]

    def _delete(self, q):
        rid = q.get("rr_id")
        if not rid:
            raise missing("dns_rr_delete", ["rr_id"])
        if not _UINT.fullmatch(rid) or int(rid) not in self._rows:
            raise write_error("dns_rr_delete", ERR_NOT_FOUND, "RR not found",
                              rr_id=rid)
        del self._rows[int(rid)]
        return 200, [{"ret_oid": rid}]

    # -- dispatch
    def answer(self, method, path, headers):
        """(status, JSON-able body or None) for one request."""
        parts = urllib.parse.urlsplit(path)
        q = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        if (headers.get("x-ipm-username") != b64(self.user) or
                headers.get("x-ipm-password") != b64(self.password)):
            return 401, {"errno": "-1", "errmsg": "Authentication failed",
                         "severity": "error"}
        service = re.sub(r"^/rest/", "", parts.path)
        methods, fn = self.SERVICES.get(service, ((), None))
        if fn is None or method not in methods:
            return (405 if fn else 400), {
                "errno": ERR_INVALID, "severity": "error", "errmsg":
                "Method not allowed" if fn else "Unknown service",
                "category": service}
        with self._lock:
            n, status, apply = self._fail
            if method not in WRITE_METHODS or n <= 0:
                return self._call(fn, q)
            self._fail = (n - 1, status, apply)
            if apply:
                self._call(fn, q)
            return status, {"errno": "-1", "errmsg": "Simulated failure",
                            "severity": "error", "category": service}

    def _call(self, fn, q):
        try:
            return getattr(self, fn)(q)
        except ApiError as e:
            return e.status, e.body

    def _handler_class(self):
        outer = self

        class Handler(QuietHandler):
            def _handle(self):
                req = self.read_request()   # the body is read, never used
                status, body = outer.answer(req.method, req.path, req.headers)
                query = dict(urllib.parse.parse_qsl(
                    urllib.parse.urlsplit(req.path).query, True))
                with outer._lock:
                    outer.log.append(SdsRequest(req.method, req.path, query,
                                                req.headers, req.body, status))
                self.send_response(status)
                if body is None:  # 204: no body, no Content-Type
                    return self.end_headers()
                data = json.dumps(body, separators=(",", ":")).replace(
                    "/", "\\/").encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler


def main(argv=None):
    """Serve from the command line, for examples/solidserver-ttl/: prints
    the port on the first line of stdout, then serves until SIGTERM or
    SIGINT."""
    import argparse
    import signal

    p = argparse.ArgumentParser(description="SOLIDserver dns_rr_* simulator")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--records", type=int, default=300,
                   help="A records host1..N of --zone (default 300)")
    p.add_argument("--zone", default="example.org")
    p.add_argument("--ttl", default="300")
    p.add_argument("--user", default="ipmadmin")
    p.add_argument("--password", default="admin")
    args = p.parse_args(argv)
    sds = SolidServer(make_zone(args.records, args.zone, args.ttl),
                      user=args.user, password=args.password,
                      zones=(args.zone,))
    if args.port:
        sds.httpd.server_close()
        sds.serve(sds._handler_class(), args.port)
    print(sds.port, flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    sds.start()
    try:
        signal.pause()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        sds.stop()


if __name__ == "__main__":
    main()
