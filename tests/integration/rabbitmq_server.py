"""A private RabbitMQ node with the management API, for integration tests.

    with RabbitMQ() as rmq:                  # or rmq = RabbitMQ().start()
        rmq.base_url                         # http://127.0.0.1:PORT/api
        rmq.api("PUT", "/vhosts/v1", {})     # (status, parsed JSON or None)
        rmq.get("/queues/v1")                # parsed JSON (raises on non-2xx)
        rmq.requests()                       # [(method, path, status)] from the access log
        rmq.writes(since=mark)               # the PUT/POST/DELETE ones
        rmq.reset()                          # back to a fresh node's objects

Debian's rabbitmq-server runs as the current user, not as the system
service: the scripts under /usr/lib/rabbitmq/bin (the /usr/sbin wrappers
switch to the rabbitmq user), HOME in a new temporary directory (the Erlang
cookie goes there), a private epmd on a free loopback port (ERL_EPMD_PORT),
and the AMQP, distribution and management ports all free loopback ports.
The management plugin writes an access log (management.http_log_dir) that
requests() reads, so a test can count what trueup sent. Statistics (a
queue's `state`, message counts) are collected every 0.5 s instead of 5 s.

A node takes 5-15 s to start (a minute or more on a busy machine): start
one per test file. stop() sends SIGTERM to the server script's process
group, then runs `rabbitmqctl stop` if the node's beam is still there, then
stops the epmd it started, then kills whatever of its process groups is
left; it is safe to call more than once, and leaving the `with` block calls
it even when the block raised. cleanup() also removes the directory (kept
when the environment has KEEP_TMP).

rabbitmq_unavailable() says why RabbitMQ cannot run here (None when it can);
tests skip on that, or fail when the environment has CI (.ci/deps installs
rabbitmq-server on a CI machine).
"""

import base64
import glob
import itertools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse

from harness import ManagedServer, free_port, http_request

RMQ_BIN = "/usr/lib/rabbitmq/bin"
SERVER = os.path.join(RMQ_BIN, "rabbitmq-server")
CTL = os.path.join(RMQ_BIN, "rabbitmqctl")
EPMD = shutil.which("epmd") or "/usr/bin/epmd"
NODE = "trueup-test@localhost"

CONF = """\
loopback_users.guest = true
management.tcp.ip = 127.0.0.1
management.tcp.port = {http_port}
management.http_log_dir = {dir}/http-log
log.console = false
log.file.level = warning
collect_statistics_interval = 500
"""

# The management plugin's access log (Apache combined format):
#   127.0.0.1 - guest [30/Nov/2026:09:01:02 +0000] "PUT /api/vhosts/v1 HTTP/1.1" 201 0 "" "trueup/0.1"
_LOG_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3})')
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_SYNC_PREFIX = "/__harness_sync/"
_sync_counter = itertools.count(1)


def rabbitmq_unavailable():
    """Why RabbitMQ cannot run here, or None when it can."""
    for path in (SERVER, CTL, EPMD):
        if not os.path.exists(path):
            return ("%s is missing (apt-get install --no-install-recommends "
                    "rabbitmq-server, or run .ci/deps)" % path)
    if not glob.glob("/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins/"
                     "rabbitmq_management-*"):
        return "the rabbitmq_management plugin is not installed"
    return None


class RabbitMQError(RuntimeError):
    pass


class RabbitMQ(ManagedServer):
    """A private node; user guest/guest (Basic auth, loopback only)."""

    def __init__(self, tmpdir=None, user="guest", password="guest"):
        reason = rabbitmq_unavailable()
        if reason:
            raise RabbitMQError(reason)
        self.tmpdir = tmpdir
        self.user, self.password = user, password
        self.dir = None
        self.http_port = None
        self.proc = None
        self.epmd = None
        self._env = None
        self.keep_users = set()

    # -- life cycle
    def _ports(self, n):
        ports = set()
        while len(ports) < n:
            ports.add(free_port())
        return list(ports)

    def _environment(self):
        epmd_port, amqp, dist, http = self._ports(4)
        self.http_port = http
        d = self.dir
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("RABBITMQ_") or k.startswith("ERL_"):
                del env[k]
        env.update({
            "HOME": os.path.join(d, "home"),
            "ERL_EPMD_PORT": str(epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODENAME": NODE,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(amqp),
            "RABBITMQ_DIST_PORT": str(dist),
            "RABBITMQ_MNESIA_BASE": os.path.join(d, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(d, "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(d, "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": os.path.join(d, "rabbitmq.conf"),
            "RABBITMQ_PID_FILE": os.path.join(d, "beam.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                "-kernel inet_dist_use_interface {127,0,0,1}",
        })
        return env, epmd_port

    # A node boots in 5-15 s on an idle 2-core machine, but took over 60 s
    # while the machine was loaded (ctest -j2 beside other builds): the limit
    # only bounds a node that never comes up.
    def start(self, timeout=240.0):
        if self.proc is not None:
            return self
        self.dir = tempfile.mkdtemp(prefix="rabbitmq-", dir=self.tmpdir)
        for sub in ("home", "mnesia", "log", "http-log"):
            os.makedirs(os.path.join(self.dir, sub))
        self._env, epmd_port = self._environment()
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[rabbitmq_management].\n")
        with open(os.path.join(self.dir, "rabbitmq.conf"), "w") as f:
            f.write(CONF.format(dir=self.dir, http_port=self.http_port))
        self._log = open(os.path.join(self.dir, "server.log"), "wb")
        try:
            self.epmd = subprocess.Popen(
                [EPMD, "-port", str(epmd_port), "-address", "127.0.0.1"],
                env=self._env, stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=subprocess.STDOUT, start_new_session=True)
            self.proc = subprocess.Popen(
                [SERVER], cwd=self.dir, env=self._env,
                stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=subprocess.STDOUT, start_new_session=True)
            self.wait_ready(lambda: self.api("GET", "/overview", timeout=2)[0],
                            timeout, RabbitMQError, interval=0.2)
        except BaseException as e:
            self.stop()
            raise RabbitMQError("rabbitmq-server did not start: %s\n--- log\n%s"
                                % (e, self.log()))
        return self

    @staticmethod
    def _end(proc, timeout):
        """SIGTERM `proc`'s process group, wait, then SIGKILL the group."""
        if proc is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
                # The group may outlive its leader (beam, erl_child_setup).
                os.killpg(proc.pid, 0)
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                return
            time.sleep(0.2 if sig == signal.SIGTERM else 0)

    def _ctl_stop(self):
        """`rabbitmqctl stop` when a beam of this node may still run."""
        if self._env is None:
            return
        pid_file = os.path.join(self.dir, "beam.pid")
        try:
            with open(pid_file) as f:
                pid = int(f.read().strip() or "0")
            if pid <= 0:
                return
            os.kill(pid, 0)
        except (OSError, ValueError):
            return
        try:
            subprocess.run([CTL, "-n", NODE, "stop"], env=self._env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass

    def stop(self, timeout=15.0):
        """Stop the node and its epmd (see the module's docstring)."""
        proc, self.proc = self.proc, None
        epmd, self.epmd = self.epmd, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self._ctl_stop()
        self._end(proc, 5.0)
        self._end(epmd, 5.0)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    def log(self):
        parts = []
        for path in [os.path.join(self.dir or "", "server.log")] + \
                sorted(glob.glob(os.path.join(self.dir or "", "log", "*.log"))):
            try:
                with open(path, "rb") as f:
                    parts.append(f.read().decode("utf-8", "replace")[-3000:])
            except OSError:
                pass
        return "\n".join(parts)

    # -- the HTTP API
    @property
    def base_url(self):
        """What a trueup target's base_url is: http://127.0.0.1:PORT/api."""
        return "http://127.0.0.1:%d/api" % self.http_port

    @staticmethod
    def quote(name):
        """A vhost, queue or user name as one path segment ("/" -> %2F)."""
        return urllib.parse.quote(name, safe="")

    def api(self, method, path, body=None, timeout=30, user=None,
            password=None):
        """(status, parsed JSON body or None) of a request to base_url+path
        as guest (or user/password). Never raises on HTTP errors."""
        cred = "%s:%s" % (user or self.user, password or self.password)
        auth = "Basic " + base64.b64encode(cred.encode()).decode()
        status, _, out = http_request(self.base_url + path, method, body,
                                      {"Authorization": auth}, timeout)
        return status, out

    def get(self, path):
        """The parsed body of GET base_url+path; RabbitMQError unless 200."""
        status, out = self.api("GET", path)
        if status != 200:
            raise RabbitMQError("GET %s: HTTP %d: %s" % (path, status, out))
        return out

    def put(self, path, body):
        status, out = self.api("PUT", path, body)
        if status not in (201, 204):
            raise RabbitMQError("PUT %s: HTTP %d: %s" % (path, status, out))

    def delete(self, path):
        status, out = self.api("DELETE", path)
        if status not in (204, 404):
            raise RabbitMQError("DELETE %s: HTTP %d: %s" % (path, status, out))

    def authenticates(self, user, password):
        """True when `user`:`password` is accepted by the API."""
        status, _ = self.api("GET", "/whoami", user=user, password=password)
        return status == 200

    def add_admin(self, name, password):
        """An administrator with every permission on "/", which reset()
        keeps (a vhost it creates through the API grants it access too)."""
        self.put("/users/" + self.quote(name),
                 {"password": password, "tags": "administrator"})
        self.put("/permissions/%2F/" + self.quote(name),
                 {"configure": ".*", "write": ".*", "read": ".*"})
        self.keep_users.add(name)

    def reset(self):
        """Delete every vhost but "/", every user but guest and those of
        add_admin(), and every queue and policy in "/": the objects a fresh
        node has."""
        for v in self.get("/vhosts"):
            if v["name"] != "/":
                self.delete("/vhosts/" + self.quote(v["name"]))
        for u in self.get("/users"):
            if u["name"] != self.user and u["name"] not in self.keep_users:
                self.delete("/users/" + self.quote(u["name"]))
        for q in self.get("/queues/%2F"):
            self.delete("/queues/%2F/" + self.quote(q["name"]))
        for p in self.get("/policies/%2F"):
            self.delete("/policies/%2F/" + self.quote(p["name"]))

    # -- the access log
    def _log_lines(self, include_markers=False):
        out = []
        for path in sorted(glob.glob(os.path.join(self.dir, "http-log", "*"))):
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            for line in text.splitlines():
                m = _LOG_LINE.search(line)
                if m and (include_markers or
                          not m.group(2).startswith(_SYNC_PREFIX)):
                    out.append((m.group(1), m.group(2), int(m.group(3))))
        return out

    def sync_log(self, timeout=5.0):
        """Make sure every request answered so far is in the access log:
        send a marker request and wait until it is logged."""
        marker = "%s%d" % (_SYNC_PREFIX, next(_sync_counter))
        http_request("http://127.0.0.1:%d%s" % (self.http_port, marker))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p == marker for _, p, _ in self._log_lines(True)):
                return
            time.sleep(0.02)
        raise TimeoutError("the access log never showed %s" % marker)

    def requests(self, since=0):
        """[(method, path, status)] the management API logged, in order
        (the harness's own requests through api() are in it too; use
        mark() and since= around what trueup sends)."""
        self.sync_log()
        return self._log_lines()[since:]

    def mark(self):
        """A position in the access log, for requests(since=...)."""
        return len(self.requests())

    def writes(self, since=0):
        return [r for r in self.requests(since) if r[0] in WRITE_METHODS]
