"""test_progress.py -- the progress line of `trueup apply` (cli/progress.c).

A private nginx serves a list of N records and answers each PATCH after
20 ms (the echo module), so that the push lasts at least N / C x 20 ms =
2 s and the line is redrawn several times. trueup runs

  - with stderr on a pseudo-terminal (Python's pty): the line shows each
    phase (loading, fetching, planning, pushing), done/total, requests per
    second and the time left, is redrawn in place and erased at the end;
  - with stderr a pipe: nothing on stderr, unless --progress, which writes
    whole lines without terminal escapes;
  - with --quiet on a terminal: nothing.

In every case the report on stdout is the same as without a progress line
(apart from elapsed_ms).
"""

import json
import os
import pty
import re
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_trueup, trueup_available, trueup_binary  # noqa: E402
from nginx_server import NginxServer, nginx_available  # noqa: E402

N = 1000
CONCURRENCY = 10

LOCATIONS = r"""
        location = /records {
            alias {DIR}/records.json;
        }
        location /records/ {
            echo_read_request_body;
            echo_sleep 0.02;
            echo '{"ok":true}';
        }
"""

RATE = re.compile(r"pushing [\d,]+/1,000 requests \(\d+%\)  "
                  r"\d+(\.\d)?k? req/s  ETA \d+:\d\d")


def run_on_pty(args):
    """Run trueup with stderr on a pseudo-terminal; (exit, stdout, the
    bytes written to the terminal)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([trueup_binary()] + args, stdout=subprocess.PIPE,
                            stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    out = {}
    reader = threading.Thread(target=lambda: out.setdefault(
        "stdout", proc.stdout.read()))
    reader.start()
    tty = b""
    try:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:    # EIO: the child closed its end
                break
            if not chunk:
                break
            tty += chunk
    finally:
        os.close(master)
        reader.join(60)
        proc.stdout.close()
        proc.wait(60)
    return proc.returncode, out.get("stdout", b"").decode(), tty.decode()


def report_without_time(text):
    report = json.loads(text)
    report.pop("elapsed_ms", None)
    return report


class ProgressTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = nginx_available() or (None if trueup_available()
                                    else "trueup binary not built")
        if why and os.environ.get("CI"):
            raise RuntimeError(why)
        if why:
            raise unittest.SkipTest(why)
        cls.nginx = NginxServer(LOCATIONS)
        cls.addClassCleanup(cls.nginx.stop)
        cls.nginx.start()
        with open(cls.nginx.path("records.json"), "w") as f:
            json.dump([{"id": i, "name": "r%d" % i, "ttl": 1}
                       for i in range(1, N + 1)], f)
        cls.tmp = tempfile.TemporaryDirectory(prefix="tu-progress-")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.target = os.path.join(cls.tmp.name, "target.yaml")
        cls.records = os.path.join(cls.tmp.name, "records.yaml")
        with open(cls.target, "w") as f:
            f.write("target:\n  provider: rest\n  base_url: %s\n"
                    "  resource:\n    list: /records\n    key: [name]\n"
                    "    id: id\n    update: PATCH /records/{id}\n"
                    "settings: {concurrency: %d}\n"
                    % (cls.nginx.url(""), CONCURRENCY))
        with open(cls.records, "w") as f:
            f.write("records:\n" + "".join(
                "  - {name: r%d, ttl: 2}\n" % i for i in range(1, N + 1)))
        quiet = run_trueup(["apply", "--no-progress", cls.target,
                            cls.records])
        if quiet.code != 0:
            raise AssertionError(quiet.describe())
        cls.expected = report_without_time(quiet.stdout)

    def check_report(self, code, stdout):
        self.assertEqual(code, 0)
        self.assertEqual(report_without_time(stdout), self.expected)
        self.assertEqual(self.expected["updated"], N)

    def test_terminal_shows_phases_rate_and_time_left(self):
        code, stdout, tty = run_on_pty(["apply", self.target, self.records])
        self.check_report(code, stdout)
        draws = [d for d in tty.split("\r\x1b[K") if d]
        self.assertEqual(draws[0], "trueup: loading 2 files", tty[:300])
        for phase in ("trueup: fetching 1/1 requests (100%)",
                      "trueup: planning",
                      "trueup: pushing 0/1,000 requests (0%)"):
            self.assertIn(phase, draws, tty[:600])
        with_rate = [d for d in draws if RATE.search(d)]
        self.assertTrue(with_rate, "no draw shows a rate and ETA:\n%r" % tty)
        # drawn in place (no newline) and erased at the end
        self.assertNotIn("\n", tty.replace("\r\n", ""))
        self.assertTrue(tty.endswith("\r\x1b[K"), repr(tty[-80:]))

    def test_quiet_on_a_terminal_draws_nothing(self):
        code, stdout, tty = run_on_pty(["apply", "-q", self.target,
                                        self.records])
        self.assertEqual(code, 0)
        self.assertEqual(stdout, "")
        self.assertEqual(tty, "")

    def test_not_a_terminal_draws_nothing_unless_asked(self):
        run = run_trueup(["apply", self.target, self.records])
        self.check_report(run.code, run.stdout)
        self.assertEqual(run.stderr, "")
        run = run_trueup(["apply", "--progress", self.target, self.records])
        self.check_report(run.code, run.stdout)
        lines = run.stderr.splitlines()
        self.assertNotIn("\x1b", run.stderr)
        self.assertEqual(lines[0], "trueup: loading 2 files")
        self.assertIn("trueup: planning", lines)
        self.assertTrue(any(RATE.search(line) for line in lines),
                        run.stderr)


if __name__ == "__main__":
    unittest.main()
