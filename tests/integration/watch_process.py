"""watch_process.py -- a `trueup watch` process for the integration tests.

    with WatchProcess(["--apply", "--interval", "0.3", "prod=" + path],
                      tmpdir) as w:
        w.wait_for(lambda: w.passes("prod") >= 2)
        w.metric("trueup_passes_total", set="prod", outcome="ok")
        w.get("/readyz")            # (status, text)
    w.code, w.stderr_text()

It runs on a free loopback port (--listen), writes its events to a file
(--events) that events() reads back, and is always stopped (SIGTERM, then
SIGKILL) when the `with` ends. Python 3 standard library only.
"""

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

from harness import free_port, trueup_binary, wait_port

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels.items())): float} of a text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def want(i, **extra):
    """Desired record number i (json-server's host(i), with its own
    content and TTL 3600)."""
    r = {"name": "host%d.example.org." % i, "type": "A",
         "content": "192.0.2.%d" % i, "ttl": 3600}
    r.update(extra)
    return r


class WatchProcess:
    def __init__(self, args, tmpdir, env=None, listen=True):
        self.port = free_port() if listen else None
        self.events_path = os.path.join(tmpdir, "events-%d.jsonl" % id(self))
        self.err_path = os.path.join(tmpdir, "stderr-%d.log" % id(self))
        self.args = ["watch", "--events", self.events_path] + \
            (["--listen", "127.0.0.1:%d" % self.port] if listen else []) + \
            list(args)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self.code = None

    def start(self):
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([trueup_binary()] + self.args,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self._err, env=self.env)
        if self.port:
            wait_port(self.port, 20, self.proc)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signal it and wait for its exit status (SIGKILL after
        `timeout`: then code is the kill's)."""
        if self.proc is not None and self.code is None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                self.code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.code = self.proc.wait()
            self._err.close()
        return self.code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- what it said
    def stderr_text(self):
        with open(self.err_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def events_text(self):
        try:
            with open(self.events_path, encoding="utf-8") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def events(self, kind="pass", set_name=None):
        out = []
        for line in self.events_text().splitlines():
            if not line.endswith("}"):
                continue            # a line being written
            e = json.loads(line)
            if e["event"] == kind and set_name in (None, e["set"]):
                out.append(e)
        return out

    def passes(self, set_name=None, outcome=None):
        return len([e for e in self.events("pass", set_name)
                    if outcome in (None, e["outcome"])])

    def wait_for(self, predicate, timeout=30, what="the condition"):
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.proc.poll() is not None:
                raise AssertionError("trueup watch exited (%s) before %s\n%s"
                                     % (self.proc.returncode, what,
                                        self.stderr_text()))
            if time.monotonic() > deadline:
                raise AssertionError("%s did not happen in %d s\n--- stderr\n"
                                     "%s\n--- events\n%s" % (
                                         what, timeout, self.stderr_text(),
                                         self.events_text()[-3000:]))
            time.sleep(0.05)

    # -- its HTTP endpoints
    def get(self, path):
        """(status, body text) of GET path."""
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metrics(self):
        status, text = self.get("/metrics")
        if status != 200:
            raise AssertionError("/metrics answered %d" % status)
        return parse_metrics(text)

    def metric(self, name, **labels):
        """The value of one sample (None when it is not there)."""
        return self.metrics().get((name, frozenset(labels.items())))
