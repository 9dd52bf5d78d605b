"""servers.py -- the benchmark's servers: nginx (with echo) and PowerDNS.

Python 3 standard library only. Both run in the foreground of a child
process on free loopback ports, in a directory of their own. stop() (safe
to call more than once) terminates exactly the process started here, then
kills it if it does not go within 10 s; and the child gets SIGTERM by
itself if the Python process that started it dies, even by SIGKILL
(PR_SET_PDEATHSIG). Use them as context managers, so that they stop even
when a run fails:

    with Nginx(workdir, workers=1, latency_ms=20) as ngx:
        ngx.url("/data/s1.json")    # the files under workdir/www
    with PowerDNS(workdir) as pdns:
        pdns.create_zone("bench.example.", rrsets)
        pdns.base_url               # http://127.0.0.1:PORT/api/v1

nginx: Debian's nginx and libnginx-mod-http-echo; the configuration is
bench/nginx.conf.in and bench/locations.conf.in (with tls=True also HTTPS
and HTTP/2 on a second port, with a self-signed certificate made by the
openssl tool). PowerDNS: Debian's pdns-server and
pdns-backend-sqlite3 (4.7), with a fresh SQLite database.
"""

import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"
PDNS_SCHEMAS = ("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql",
                "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql")


try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:
    _LIBC = None


def _die_with_parent():
    """In the child: get SIGTERM when the process that started it dies, so a
    killed bench/run or test leaves no server behind (PR_SET_PDEATHSIG)."""
    if _LIBC is not None:
        _LIBC.prctl(1, int(signal.SIGTERM), 0, 0, 0)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _stop(proc, sig=signal.SIGTERM):
    """Stop exactly `proc` (the process this module started)."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def nginx_unavailable():
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        return "nginx is not installed (apt-get install nginx)"
    if not os.path.exists(ECHO_MODULE):
        return "the echo module is missing (apt-get install libnginx-mod-http-echo)"
    return None


TLS_SERVER = """\
    server {
        listen 127.0.0.1:@TLS_PORT@ ssl http2 backlog=4096;
        ssl_certificate @CERT@;
        ssl_certificate_key @KEY@;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:bench:10m;
        http2_max_concurrent_streams 1000;
        include @DIR@/locations.conf;
    }
"""


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 (the clients trust it as
    their CA file): (cert path, key path). Needs the openssl tool."""
    cert = os.path.join(directory, "server.crt")
    key = os.path.join(directory, "server.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    return cert, key


class Nginx:
    """tls=True: also HTTPS (HTTP/2 by ALPN) on tls_port, same locations;
    the certificate clients must trust is `cert`."""

    def __init__(self, workdir, workers=1, latency_ms=20, tls=False):
        self.dir = os.path.join(workdir, "nginx-tls" if tls else "nginx")
        self.www = os.path.join(workdir, "www")
        self.workers = workers
        self.latency_ms = latency_ms
        self.tls = tls
        self.cert = self.key = None
        self.port = self.tls_port = None
        self.proc = None

    def url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def https_url(self, path=""):
        return "https://127.0.0.1:%d%s" % (self.tls_port, path)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _fill(self, name, subs):
        with open(os.path.join(HERE, name)) as f:
            text = f.read()
        for k, v in subs.items():
            text = text.replace(k, v)
        return text

    def _conf(self):
        subs = {   # the TLS block first: it holds placeholders of its own
            "@TLS_SERVER@": TLS_SERVER if self.tls else "",
            "@ECHO_MODULE@": ECHO_MODULE,
            "@USER@": "user root;" if os.geteuid() == 0 else "",
            "@WORKERS@": str(self.workers),
            "@DIR@": self.dir,
            "@WWW@": self.www,
            "@PORT@": str(self.port),
            "@LATENCY@": "%g" % (self.latency_ms / 1000.0),
            "@TLS_PORT@": str(self.tls_port),
            "@CERT@": str(self.cert),
            "@KEY@": str(self.key),
        }
        for name in ("locations.conf", "nginx.conf"):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(self._fill(name + ".in", subs))
        return os.path.join(self.dir, "nginx.conf")

    def start(self):
        why = nginx_unavailable()
        if why:
            raise RuntimeError(why)
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs(self.www, exist_ok=True)
        if self.tls:
            self.cert, self.key = make_certificate(self.dir)
        for _ in range(3):
            self.port = free_port()
            self.tls_port = free_port() if self.tls else None
            conf = self._conf()
            log = open(os.path.join(self.dir, "stderr.log"), "ab")
            self.proc = subprocess.Popen(
                [shutil.which("nginx") or "/usr/sbin/nginx", "-p", self.dir,
                 "-c", conf, "-e", os.path.join(self.dir, "error.log")],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=_die_with_parent)
            log.close()
            if wait_port(self.port, self.proc) and (
                    not self.tls or wait_port(self.tls_port, self.proc)):
                return self
            _stop(self.proc)
            self.proc = None
        raise RuntimeError("nginx did not start:\n" + self.log_tail())

    def log_tail(self, n=3000):
        out = ""
        for name in ("stderr.log", "error.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    out += f.read()[-n:]
            except OSError:
                pass
        return out

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self):
        _stop(self.proc)   # SIGTERM: nginx's fast shutdown of its workers
        self.proc = None


# ---- PowerDNS -----------------------------------------------------------------

PDNS_CONF = """\
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
loglevel=3
"""


def pdns_unavailable():
    if not (shutil.which("pdns_server") or os.path.exists("/usr/sbin/pdns_server")):
        return "pdns_server is not installed (apt-get install pdns-server pdns-backend-sqlite3)"
    if not any(os.path.exists(p) for p in PDNS_SCHEMAS):
        return "the SQLite backend is not installed (apt-get install pdns-backend-sqlite3)"
    return None


class PowerDNS:
    def __init__(self, workdir, server="localhost"):
        self.dir = os.path.join(workdir, "pdns")
        self.server = server
        self.api_key = "bench-" + secrets.token_hex(12)
        self.http_port = self.dns_port = None
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self):
        return "http://127.0.0.1:%d/api/v1" % self.http_port

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def zone_url(self, zone):
        return "%s/servers/%s/zones/%s" % (self.base_url, self.server,
                                           urllib.parse.quote(zone, safe=""))

    def start(self, timeout=20.0):
        why = pdns_unavailable()
        if why:
            raise RuntimeError(why)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        schema = next(p for p in PDNS_SCHEMAS if os.path.exists(p))
        db = sqlite3.connect(os.path.join(self.dir, "pdns.db"))
        try:
            with open(schema) as f:
                db.executescript(f.read())
            db.commit()
        finally:
            db.close()
        self.http_port = free_port()
        self.dns_port = free_port()
        while self.dns_port == self.http_port:
            self.dns_port = free_port()
        with open(os.path.join(self.dir, "pdns.conf"), "w") as f:
            f.write(PDNS_CONF.format(dir=self.dir, api_key=self.api_key,
                                     http_port=self.http_port,
                                     dns_port=self.dns_port))
        log = open(os.path.join(self.dir, "pdns.log"), "ab")
        self.proc = subprocess.Popen(
            [shutil.which("pdns_server") or "/usr/sbin/pdns_server",
             "--config-dir=" + self.dir], cwd=self.dir,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                break
            try:
                if self.api("GET", "%s/servers/%s" % (self.base_url,
                                                      self.server))[0] == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("pdns_server did not start:\n" + self.log_tail())

    def log_tail(self, n=3000):
        try:
            with open(os.path.join(self.dir, "pdns.log"), errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def stop(self):
        _stop(self.proc)
        self.proc = None

    def api(self, method, url, body=None, timeout=120):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "X-API-Key": self.api_key, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw, status = resp.read(), resp.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def _check(self, what, status, body, ok):
        if status not in ok:
            raise RuntimeError("PowerDNS: %s: HTTP %d: %s"
                               % (what, status, str(body)[:500]))
        return body

    def create_zone(self, zone, rrsets):
        """A Native zone with SOA, apex NS and `rrsets` ({name, type, ttl,
        records: [content strings]}), in one POST."""
        body = {"name": zone, "kind": "Native", "nameservers": ["ns1." + zone],
                "soa_edit_api": "DEFAULT",
                "rrsets": [self._api_rrset(r) for r in rrsets]}
        st, out = self.api("POST", "%s/servers/%s/zones" % (self.base_url,
                                                            self.server), body)
        return self._check("create zone " + zone, st, out, (201,))

    @staticmethod
    def _api_rrset(r, changetype=None):
        out = {"name": r["name"], "type": r["type"], "ttl": r["ttl"],
               "records": [{"content": c, "disabled": False}
                           for c in r["records"]]}
        if changetype:
            out["changetype"] = changetype
        return out

    def patch(self, zone, rrsets):
        body = {"rrsets": [self._api_rrset(r, "REPLACE") for r in rrsets]}
        st, out = self.api("PATCH", self.zone_url(zone), body)
        return self._check("patch zone " + zone, st, out, (204,))

    def get_zone(self, zone):
        st, out = self.api("GET", self.zone_url(zone))
        return self._check("get zone " + zone, st, out, (200,))

    def ttls(self, zone):
        """{(name, type): ttl} of the zone."""
        return {(r["name"], r["type"]): r["ttl"]
                for r in self.get_zone(zone)["rrsets"]}

    def serial(self, zone):
        for r in self.get_zone(zone)["rrsets"]:
            if r["type"] == "SOA":
                return int(r["records"][0]["content"].split()[2])
        raise RuntimeError("zone %s has no SOA" % zone)
