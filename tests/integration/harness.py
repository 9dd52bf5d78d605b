"""Helpers shared by trueup's integration tests (Python 3 standard library only).

Servers run on free loopback ports in temporary directories and are always
stopped by the test that started them:

    with JsonServer(records) as srv:          # or srv = JsonServer(...).start()
        code, out, err = run_trueup(["apply", path])
        srv.requests()   # [(method, path, status), ...] from json-server's log
        srv.writes()     # the POST/PUT/PATCH/DELETE ones only
        srv.get_records()
    srv.read_db()        # db.json as json-server left it on disk
    srv.cleanup()        # removes its temp dir (or pass tmpdir=DIR you remove)

    with RecordingServer(records) as rs:   # in-process; sees headers, bodies
        ...; rs.requests()  # [RecordedRequest(method, path, headers, body, json)]

Environment (set by CTest, see tests/CMakeLists.txt):
    TRUEUP         the trueup binary (default: <repo>/build/trueup)
    TU_SOURCE_DIR  the repository root (default: derived from this file)
"""

import collections
import http.server
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request

SOURCE_DIR = os.environ.get("TU_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

JSON_SERVER_BIN = os.path.join(SOURCE_DIR, "node_modules", "json-server",
                               "lib", "cli", "bin.js")
JSON_SERVER_VERSION = "0.17.4"

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


# ---- ports -------------------------------------------------------------------

def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15.0, proc=None):
    """Wait until 127.0.0.1:port accepts connections. Raises TimeoutError, or
    RuntimeError at once when `proc` (a Popen) exits before that."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with status %s before port %d "
                               "opened" % (proc.returncode, port))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() >= deadline:
                raise TimeoutError("nothing listens on 127.0.0.1:%d after %.1f s"
                                   % (port, timeout))
            time.sleep(0.05)


# ---- plain HTTP ---------------------------------------------------------------

def http_request(url, method="GET", body=None, headers=None, timeout=10):
    """(status, headers dict, parsed JSON body or None). Never raises on HTTP
    error statuses."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw, status, rh = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as e:
        raw, status, rh = e.read(), e.code, dict(e.headers)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, rh, parsed


# ---- a server's life cycle -------------------------------------------------------

def stop_process(proc, timeout=5.0):
    """Terminate a server's process: SIGTERM, then SIGKILL after
    `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


class ManagedServer:
    """start()/stop() given by the subclass, which keeps its files in
    self.dir: cleanup() stops it and removes the directory (kept when the
    environment has KEEP_TMP); `with` starts it and always cleans up, also
    when starting fails."""

    dir = None

    def cleanup(self):
        self.stop()
        if self.dir and not os.environ.get("KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def wait_ready(self, probe, timeout, error, interval=0.05):
        """Until probe() answers 200: raise `error` if the server process
        (self.proc) exits first, TimeoutError after `timeout` seconds. An
        OSError from probe() (nothing listening yet) means try again."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise error("it exited with status %s" % self.proc.returncode)
            try:
                if probe() == 200:
                    return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise TimeoutError("no answer on port %d after %.1f s"
                                   % (self.http_port, timeout))
            time.sleep(interval)


# ---- json-server ---------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# morgan 'dev' format, as json-server 0.17.4 prints it:
#   "PATCH /records/3 200 2.1 ms - 80"  (status is "-" if no response was sent)
_LOG_LINE = re.compile(r"^([A-Z]+) (\S+) (\d{3}|-) ")
_SYNC_PREFIX = "/__harness_sync/"
_sync_counter = itertools.count(1)


class JsonServer:
    """json-server 0.17.4 serving {"records": records} from db.json in a new
    directory (under `tmpdir` if given, else the system's temp dir) on a free
    loopback port, its stdout (the request log) in stdout.log there. Use as a
    context manager, or call start() and stop() (stop is idempotent and safe
    to register with addCleanup); cleanup() also removes the directory."""

    def __init__(self, records, tmpdir=None, port=None, extra_args=()):
        if not os.path.exists(JSON_SERVER_BIN):
            raise RuntimeError("json-server is not installed: %s is missing "
                               "(run `npm ci` in %s, or .ci/deps)"
                               % (JSON_SERVER_BIN, SOURCE_DIR))
        self.dir = tempfile.mkdtemp(prefix="json-server-", dir=tmpdir)
        self.db_path = os.path.join(self.dir, "db.json")
        self.log_path = os.path.join(self.dir, "stdout.log")
        self.err_path = os.path.join(self.dir, "stderr.log")
        self.port = port
        self.extra_args = list(extra_args)
        self.proc = None
        with open(self.db_path, "w") as f:
            json.dump({"records": list(records)}, f, indent=2)

    # -- life cycle
    def start(self, timeout=20.0):
        if self.proc is not None:
            return self
        if self.port is None:
            self.port = free_port()
        self._out = open(self.log_path, "wb")
        self._err = open(self.err_path, "wb")
        env = dict(os.environ)
        env.pop("NODE_OPTIONS", None)
        env["NO_UPDATE_NOTIFIER"] = "1"
        env["FORCE_COLOR"] = "0"
        self.proc = subprocess.Popen(
            ["node", JSON_SERVER_BIN, "--host", "127.0.0.1",
             "--port", str(self.port)] + self.extra_args + ["db.json"],
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self._out,
            stderr=self._err, env=env, start_new_session=True)
        try:
            wait_port(self.port, timeout, self.proc)
        except Exception as e:
            self.stop()
            raise RuntimeError("json-server did not start: %s\n--- stdout\n%s"
                               "\n--- stderr\n%s" % (e, self._read(self.log_path),
                                                      self._read(self.err_path)))
        return self

    def stop(self, timeout=5.0):
        """Terminate json-server (SIGTERM, then SIGKILL after `timeout`)."""
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc, timeout)
            self._out.close()
            self._err.close()

    def reset(self, records):
        """Restart the server on the same port with `records` as its data (and
        an empty request log)."""
        self.stop()
        with open(self.db_path, "w") as f:
            json.dump({"records": list(records)}, f, indent=2)
        return self.start()

    def cleanup(self):
        """stop(), then remove this server's directory (kept when the
        environment has KEEP_TMP)."""
        self.stop()
        if not os.environ.get("KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- access
    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None):
        return http_request(self.url + path, method, body)

    def get_records(self, path="/records"):
        """The records, read through GET (the server must be running)."""
        status, _, body = http_request(self.url + path)
        if status != 200:
            raise RuntimeError("GET %s answered %d" % (path, status))
        return body

    def read_db(self):
        """db.json as json-server last wrote it (it writes after each change;
        after stop() this is final)."""
        with open(self.db_path) as f:
            return json.load(f)

    def records_on_disk(self):
        return self.read_db()["records"]

    # -- the request log
    def sync_log(self, timeout=5.0):
        """Make sure every request answered so far is in the log: send a marker
        request and wait until json-server has logged it."""
        if not self.running:
            return
        marker = "%s%d" % (_SYNC_PREFIX, next(_sync_counter))
        http_request(self.url + marker)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p == marker for _, p, _ in self._parse_log(True)):
                return
            time.sleep(0.02)
        raise TimeoutError("json-server never logged %s" % marker)

    def _parse_log(self, include_markers=False):
        out = []
        for line in self._read(self.log_path).splitlines():
            m = _LOG_LINE.match(_ANSI.sub("", line).strip())
            if not m:
                continue
            method, path, status = m.group(1), m.group(2), m.group(3)
            if not include_markers and path.startswith(_SYNC_PREFIX):
                continue
            out.append((method, path, int(status) if status != "-" else None))
        return out

    def requests(self, since=0):
        """[(method, path, status)] of every request json-server logged, in
        log order (the harness's own marker requests left out); `since` skips
        that many leading entries (see mark())."""
        self.sync_log()
        return self._parse_log()[since:]

    def mark(self):
        """A position in the request log, for requests(since=...)."""
        return len(self.requests())

    def writes(self, since=0):
        """The POST/PUT/PATCH/DELETE entries of requests(since)."""
        return [r for r in self.requests(since) if r[0] in WRITE_METHODS]

    @staticmethod
    def _read(path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


# ---- a recording HTTP server (to see request headers and bodies) -------------

RecordedRequest = collections.namedtuple(
    "RecordedRequest", "method path headers body json peer")


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """The base of the in-process servers' request handlers: HTTP/1.1
    (connections kept), no log lines, and the request read whole."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_request(self):
        """The request as a RecordedRequest: its body read (Content-Length)
        and parsed when it is JSON (else json is None), header names in
        lower case, and the client's port."""
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return RecordedRequest(self.command, self.path,
                               {k.lower(): v for k, v in self.headers.items()},
                               raw, parsed, self.client_address[1])


def temp_dir(test, prefix):
    """A new temporary directory, removed with everything in it when `test`
    ends: a unittest.TestCase, or its class (from setUpClass: removed after
    the class's tests)."""
    path = tempfile.mkdtemp(prefix=prefix)
    if isinstance(test, type):
        test.addClassCleanup(shutil.rmtree, path, True)
    else:
        test.addCleanup(shutil.rmtree, path, True)
    return path


class InProcessServer:
    """The life cycle of an in-process HTTP/1.1 server on a loopback port,
    served by a thread: RecordingServer and the API simulators
    (*_sim.py) are made of it. `serve(handler_class, port=0)` binds it (0:
    a free port); then start() / stop() or `with`, and `url`."""

    def serve(self, handler_class, port=0):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                     handler_class)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(5)
            self._thread = None
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class RecordingServer(InProcessServer):
    """An in-process HTTP/1.1 server on a free loopback port that records
    every request (method, path, headers with lower-case names, raw body,
    parsed JSON body or None, and the client's port: one per connection).

    GET `list_path` answers `records` as a JSON array. Any other request is
    answered by `respond(req) -> (status, json_body[, headers])` if given
    (a body of bytes goes as it is: b"" sends none),
    else: POST 201
    with the request body plus {"id": next id}; PUT/PATCH 200 with the request
    body; DELETE 200 {}; anything else 404 {}."""

    def __init__(self, records, list_path="/records", respond=None):
        self.records = list(records)
        self.list_path = list_path
        self.respond = respond
        self.log = []
        self._lock = threading.Lock()
        self._next_id = itertools.count(100000)
        outer = self

        class Handler(QuietHandler):
            def _handle(self):
                req = self.read_request()
                with outer._lock:
                    outer.log.append(req)
                answer = outer._answer(req)
                status, body = answer[:2]
                # bytes go as they are (b"": no body, as a 204 or a bare
                # 201 + Location); anything else as JSON
                data = body if isinstance(body, bytes) else \
                    json.dumps(body).encode()
                self.send_response(status)
                for name, value in (answer[2] if len(answer) > 2
                                    else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.serve(Handler)

    def _answer(self, req):
        if self.respond is not None:
            return self.respond(req)
        if req.method == "GET" and req.path == self.list_path:
            return 200, self.records
        if req.method == "POST":
            body = dict(req.json or {})
            body.setdefault("id", next(self._next_id))
            return 201, body
        if req.method in ("PUT", "PATCH"):
            return 200, req.json if req.json is not None else {}
        if req.method == "DELETE":
            return 200, {}
        return 404, {}

    def requests(self):
        with self._lock:
            return list(self.log)

    def writes(self):
        return [r for r in self.requests() if r.method in WRITE_METHODS]


# ---- running trueup -----------------------------------------------------------

def trueup_binary():
    return os.environ.get("TRUEUP") or os.path.join(SOURCE_DIR, "build", "trueup")


class Run(collections.namedtuple("Run", "code stdout stderr")):
    """run_trueup's result: unpacks as (exit_code, stdout, stderr)."""

    @property
    def report(self):
        """stdout parsed as the JSON report (AssertionError if it is not)."""
        try:
            value = json.loads(self.stdout)
        except ValueError as e:
            raise AssertionError("stdout is not a JSON report (%s); exit %d\n"
                                 "--- stdout\n%s\n--- stderr\n%s"
                                 % (e, self.code, self.stdout, self.stderr))
        if not isinstance(value, dict):
            raise AssertionError("report is not a JSON object: %r" % value)
        return value

    def describe(self):
        return "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (
            self.code, self.stdout[:4000], self.stderr[:4000])


def run_trueup(args, env=None, input=None, timeout=120, cwd=None):
    """Run trueup with `args`; returns Run(code, stdout, stderr) (text).
    `env` entries are added to this process's environment; an entry whose
    value is None removes that variable."""
    full_env = dict(os.environ)
    for k, v in (env or {}).items():
        if v is None:
            full_env.pop(k, None)
        else:
            full_env[k] = v
    cmd = [trueup_binary()] + [str(a) for a in args]
    p = subprocess.run(cmd, input=input, capture_output=True, text=True,
                       encoding="utf-8", errors="replace",
                       env=full_env, cwd=cwd, timeout=timeout,
                       stdin=None if input is not None else subprocess.DEVNULL)
    return Run(p.returncode, p.stdout, p.stderr)


def trueup_available():
    """True when the trueup binary exists and is executable."""
    b = trueup_binary()
    return os.path.isfile(b) and os.access(b, os.X_OK)


# ---- desired-state files -------------------------------------------------------

def write_yaml(path, text):
    """Write `text` (dedented; a leading newline dropped) to `path`; returns
    the path."""
    text = textwrap.dedent(text)
    if text.startswith("\n"):
        text = text[1:]
    with open(path, "w") as f:
        f.write(text)
    return path


def recipe_text(name, base_url, edit=None):
    """docs/recipes/NAME (a target file of a recipe) as it is written but
    for its one base_url line, which points at `base_url`; `edit(text)`
    applied after. AssertionError when the file has not exactly one
    base_url line."""
    with open(os.path.join(SOURCE_DIR, "docs", "recipes", name)) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^  base_url: \S+$", "  base_url: " + base_url,
                      text)
    if n != 1:
        raise AssertionError("%s: %d base_url lines" % (name, n))
    return edit(text) if edit else text


def recipe_files_not_shown(page, names):
    """The target files docs/recipes/NAME of `names` that the recipe page
    docs/recipes/PAGE does not show as they are, in a ```yaml block."""
    def read(name):
        with open(os.path.join(SOURCE_DIR, "docs", "recipes", name)) as f:
            return f.read()
    text = read(page)
    return [n for n in names if "```yaml\n" + read(n) + "```" not in text]


def _flow(value):
    # JSON is valid YAML flow style, and keeps 600 and 600.0 apart.
    return json.dumps(value, ensure_ascii=False)


def target_yaml(base_url, resource=None, auth=None, headers=None,
                list_path="/records", key=("name", "type"), vars=None,
                fields=None):
    """The `target:` block for a json-server-like API at base_url. `resource`
    entries override or extend the default resource; `vars` is target.vars,
    `fields` target.fields (the field rules)."""
    res = {
        "list": list_path,
        "key": list(key),
        "id": "id",
        "create": "POST /records",
        "update": "PATCH /records/{id}",
        "delete": "DELETE /records/{id}",
    }
    res.update(resource or {})
    lines = ["target:", "  provider: rest", "  base_url: %s" % _flow(base_url)]
    if headers:
        lines.append("  headers: %s" % _flow(headers))
    if auth:
        lines.append("  auth: %s" % _flow(auth))
    if vars:
        lines.append("  vars: %s" % _flow(vars))
    if fields:
        lines.append("  fields: %s" % _flow(fields))
    lines.append("  resource:")
    for k, v in res.items():
        lines.append("    %s: %s" % (k, _flow(v)))
    return "\n".join(lines) + "\n"


def records_yaml(records):
    """A `records:` block, one record per line (record i is on line i+2 of the
    block, counting from 1)."""
    return "records:\n" + "".join("  - %s\n" % _flow(r) for r in records)


def desired_yaml(base_url=None, records=None, settings=None, defaults=None,
                 **target_kw):
    """A whole desired-state document. base_url None leaves out `target`;
    records None leaves out `records`."""
    parts = []
    if base_url is not None:
        parts.append(target_yaml(base_url, **target_kw))
    if settings is not None:
        parts.append("settings: %s\n" % _flow(settings))
    if defaults is not None:
        parts.append("defaults: %s\n" % _flow(defaults))
    if records is not None:
        parts.append(records_yaml(records))
    return "".join(parts)


def write_desired(path, base_url=None, records=None, **kw):
    with open(path, "w") as f:
        f.write(desired_yaml(base_url, records, **kw))
    return path


# ---- data helpers ---------------------------------------------------------------

def host(i, **extra):
    """The standard live record number i."""
    r = {"id": i, "name": "host%d.example.org." % i, "type": "A",
         "content": "192.0.2.%d" % (i % 250), "ttl": 3600}
    r.update(extra)
    return r


def key_of(record, fields=("name", "type")):
    return "|".join(str(record[f]) for f in fields)


def by_key(records, fields=("name", "type")):
    """{key label: record}; AssertionError on a duplicate key."""
    out = {}
    for r in records:
        k = key_of(r, fields)
        if k in out:
            raise AssertionError("duplicate key %s in %r" % (k, records))
        out[k] = r
    return out


def results_by_key(report):
    """{key: result} of a report's results; AssertionError on a duplicate."""
    out = {}
    for r in report.get("results", []):
        if r.get("key") in out:
            raise AssertionError("key %r twice in results" % r.get("key"))
        out[r.get("key")] = r
    return out

