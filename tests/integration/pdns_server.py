"""pdns_server.py -- a private PowerDNS Authoritative server for tests.

    with PowerDNS() as pdns:                    # or pdns.start() / pdns.stop()
        pdns.create_zone("example.org.", [
            {"name": "www.example.org.", "type": "A", "ttl": 300,
             "records": ["192.0.2.1"]}])
        pdns.base_url                   # http://127.0.0.1:PORT/api/v1
        pdns.api_key                    # for X-API-Key (PDNS_API_KEY)
        pdns.rrsets("example.org.")     # {(name, type): (ttl, [contents])}
        pdns.serial("example.org.")     # SOA serial: +1 on every PATCH
        pdns.patch("example.org.", [{"name": ..., "type": ..., "ttl": ...,
                                     "records": [...]}])   # REPLACE
        pdns.get_zone("example.org.")   # the zone as the API answers it

pdns_server (Debian's pdns-server with pdns-backend-sqlite3) runs in the
foreground of a child process with a fresh SQLite database, its config and
its control socket in a new temporary directory, the HTTP API and the DNS
listener on free loopback ports. stop() terminates it (then kills it) and is
safe to call more than once; leaving the `with` block calls it even when the
block raised; cleanup() also removes the directory (kept when the
environment has KEEP_TMP).

Every PATCH of a zone raises its SOA serial by one, even one that changes
nothing (the zones are created with SOA-EDIT-API DEFAULT), so serial() counts
the write requests a zone received.

pdns_unavailable() says why PowerDNS cannot run here (None when it can);
tests skip on that, or fail when the environment has CI (a CI machine must
have it: .ci/deps installs it).
"""

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import urllib.error
import urllib.request

from harness import ManagedServer, free_port, stop_process

PDNS_SERVER = "/usr/sbin/pdns_server"
SCHEMA_PATHS = (
    "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql",
    "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql",
)
BACKEND_SO = "/usr/lib/x86_64-linux-gnu/pdns/libgsqlite3backend.so"

CONF = """\
launch=gsqlite3
gsqlite3-database={dir}/pdns.db
api=yes
api-key={api_key}
webserver=yes
webserver-address=127.0.0.1
webserver-port={http_port}
webserver-allow-from=127.0.0.0/8
webserver-loglevel=none
local-address=127.0.0.1
local-port={dns_port}
socket-dir={dir}
daemon=no
guardian=no
disable-syslog=yes
loglevel=4
security-poll-suffix=
"""


def _server_binary():
    return shutil.which("pdns_server") or PDNS_SERVER


def _schema_path():
    for p in SCHEMA_PATHS:
        if os.path.exists(p):
            return p
    return None


def pdns_unavailable():
    """Why PowerDNS cannot run here, or None when it can."""
    if not os.path.exists(_server_binary()):
        return ("pdns_server is not installed (apt-get install pdns-server "
                "pdns-backend-sqlite3, or run .ci/deps)")
    if not _schema_path():
        return ("the SQLite backend is not installed (apt-get install "
                "pdns-backend-sqlite3)")
    return None


def rrset(name, rtype, ttl, contents, changetype=None):
    """An rrset in the API's shape from plain content strings."""
    r = {"name": name, "type": rtype, "ttl": ttl,
         "records": [{"content": c, "disabled": False} for c in contents]}
    if changetype:
        r["changetype"] = changetype
    return r


def _api_rrset(r, changetype=None):
    """`r` with plain-string records turned into {content, disabled}."""
    out = dict(r)
    recs = out.get("records")
    if recs is not None:
        out["records"] = [{"content": c, "disabled": False}
                          if isinstance(c, str) else c for c in recs]
    if changetype and "changetype" not in out:
        out["changetype"] = changetype
    return out


class PowerDNSError(RuntimeError):
    pass


class PowerDNS(ManagedServer):
    def __init__(self, api_key=None, tmpdir=None, server="localhost"):
        reason = pdns_unavailable()
        if reason:
            raise PowerDNSError(reason)
        self.api_key = api_key or "test-" + secrets.token_hex(12)
        self.tmpdir = tmpdir
        self.server = server
        self.dir = None
        self.http_port = None
        self.dns_port = None
        self.proc = None

    # -- life cycle
    def start(self, timeout=20.0):
        if self.proc is not None:
            return self
        self.dir = tempfile.mkdtemp(prefix="pdns-", dir=self.tmpdir)
        with open(_schema_path()) as f:
            schema = f.read()
        db = sqlite3.connect(os.path.join(self.dir, "pdns.db"))
        try:
            db.executescript(schema)
            db.commit()
        finally:
            db.close()
        # Two free ports; the DNS one is also bound over UDP by pdns.
        self.http_port = free_port()
        self.dns_port = free_port()
        while self.dns_port == self.http_port:
            self.dns_port = free_port()
        with open(os.path.join(self.dir, "pdns.conf"), "w") as f:
            f.write(CONF.format(dir=self.dir, api_key=self.api_key,
                                http_port=self.http_port,
                                dns_port=self.dns_port))
        self._log = open(os.path.join(self.dir, "pdns.log"), "wb")
        self.proc = subprocess.Popen(
            [_server_binary(), "--config-dir=" + self.dir],
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.wait_ready(lambda: self.api("GET", "")[0],
                            timeout, PowerDNSError, interval=0.05)
        except Exception as e:
            self.stop()
            raise PowerDNSError("pdns_server did not start: %s\n--- log\n%s"
                                % (e, self.log()))
        return self

    def stop(self, timeout=5.0):
        """Terminate pdns_server (SIGTERM, then SIGKILL after `timeout`)."""
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc, timeout)
            self._log.close()

    def log(self):
        try:
            with open(os.path.join(self.dir, "pdns.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except (OSError, TypeError):
            return ""

    # -- the HTTP API
    @property
    def base_url(self):
        """What a trueup target's base_url is: .../api/v1."""
        return "http://127.0.0.1:%d/api/v1" % self.http_port

    def zone_path(self, zone):
        return "/zones/" + urllib.request.quote(zone, safe="")

    def api(self, method, path, body=None, api_key=None, timeout=60):
        """(status, parsed JSON body or None) of a request to
        {base_url}/servers/{server}{path}. Never raises on HTTP errors."""
        url = "%s/servers/%s%s" % (self.base_url, self.server, path)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "X-API-Key": api_key or self.api_key,
            "Content-Type": "application/json", "Expect": ""})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw, status = resp.read(), resp.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def _ok(self, what, status, body, expect):
        if status not in expect:
            raise PowerDNSError("%s: HTTP %d: %s" % (what, status, body))
        return body

    def create_zone(self, name, rrsets=(), nameservers=None, kind="Native"):
        """Create zone `name` with its SOA, the apex NS (`nameservers`,
        default ["ns1.<zone>"]) and `rrsets` ({name, type, ttl, records:
        [content strings]}), in one POST."""
        if nameservers is None:
            nameservers = ["ns1." + name]
        body = {"name": name, "kind": kind, "nameservers": list(nameservers),
                "soa_edit_api": "DEFAULT"}
        if rrsets:
            body["rrsets"] = [_api_rrset(r) for r in rrsets]
        status, out = self.api("POST", "/zones", body)
        return self._ok("create zone %s" % name, status, out, (201,))

    def delete_zone(self, name):
        status, out = self.api("DELETE", self.zone_path(name))
        return self._ok("delete zone %s" % name, status, out, (204,))

    def get_zone(self, name):
        """The zone as GET /zones/{name} answers it."""
        status, out = self.api("GET", self.zone_path(name))
        return self._ok("get zone %s" % name, status, out, (200,))

    def patch(self, zone, rrsets, changetype="REPLACE"):
        """PATCH rrsets ({name, type, ttl, records: [content strings]}; a
        `changetype` in an rrset wins over `changetype`)."""
        body = {"rrsets": [_api_rrset(r, changetype) for r in rrsets]}
        status, out = self.api("PATCH", self.zone_path(zone), body)
        return self._ok("patch zone %s" % zone, status, out, (204,))

    def rrsets(self, zone, include_soa=True):
        """{(name, type): (ttl, sorted enabled contents)} of the zone."""
        out = {}
        for r in self.get_zone(zone)["rrsets"]:
            if r["type"] == "SOA" and not include_soa:
                continue
            out[(r["name"], r["type"])] = (
                r["ttl"], sorted(x["content"] for x in r["records"]
                                 if not x.get("disabled")))
        return out

    def serial(self, zone):
        """The zone's SOA serial (every PATCH raises it by one)."""
        for r in self.get_zone(zone)["rrsets"]:
            if r["type"] == "SOA":
                return int(r["records"][0]["content"].split()[2])
        raise PowerDNSError("zone %s has no SOA" % zone)
