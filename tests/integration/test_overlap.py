#!/usr/bin/env python3
"""Reading the live records while a large records file loads
(tu_desired_load_overlapped, engine/prefetch.c), against a real HTTP server
on a free loopback port (harness.RecordingServer, which logs every request).

What the overlap must keep: the same plan and writes as a run without it,
one GET of the list when the large file leaves the target and settings to
the other files, and a fresh read of the list when it does not (then the
read made during the load is dropped: two GETs in all). A read that fails
is the run's failure, not read again. A target that reads
records one by one (resource.get) needs the desired records first, so there
is nothing to read early: no list GET at all."""

import os
import sys
import signal
import subprocess
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (RecordingServer, run_trueup, target_yaml,  # noqa: E402
                     temp_dir, trueup_available, trueup_binary, write_yaml)

N = 15000          # records: the file is over 64 KiB, worth a thread
CHANGED = 1500     # every tenth record gets a new ttl


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def live(i):
    return {"id": i, "name": "host%d.example.org." % i, "type": "A",
            "content": "10.0.%d.%d" % (i // 256, i % 256), "ttl": 3600}


def records_text(extra=""):
    lines = ["  - {name: host%d.example.org., type: A, content: %s, ttl: %d}\n"
             % (i, live(i)["content"], 600 if i % 10 == 0 else 3600)
             for i in range(1, N + 1)]
    return extra + "records:\n" + "".join(lines)


class OverlapTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "tu-overlap-")
        self.server = RecordingServer([live(i) for i in range(1, N + 1)])
        self.server.start()
        self.addCleanup(self.server.stop)

    def write(self, name, text):
        return write_yaml(os.path.join(self.tmp, name), text)

    def list_gets(self):
        return [r for r in self.server.requests()
                if r.method == "GET" and r.path == "/records"]

    def check_apply(self, files, requests):
        run = run_trueup(["apply"] + files)
        self.assertEqual(run.code, 0, run.describe())
        rep = run.report
        self.assertEqual((rep["total"], rep["updated"], rep["skipped"],
                          rep["failed"]), (N, CHANGED, N - CHANGED, 0))
        self.assertEqual(rep["requests"], requests)
        writes = self.server.writes()
        self.assertEqual(len(writes), CHANGED)
        self.assertEqual(sorted(int(w.path.rsplit("/", 1)[1]) for w in writes),
                         list(range(10, N + 1, 10)))
        self.assertTrue(all(w.json == {"ttl": 600} for w in writes))
        return rep

    def test_records_in_a_large_file_of_their_own(self):
        target = self.write("target.yaml", target_yaml(self.server.url))
        records = self.write("records.yaml", records_text())
        self.assertGreater(os.path.getsize(records), 1024 * 1024)
        # the report counts the GET made during the load, once
        rep = self.check_apply([target, records], 1 + CHANGED)
        self.assertEqual(len(self.list_gets()), 1)
        # the executor that read the list during the load is handed to the
        # run: its connection carries writes too, and the report counts
        # every connection once
        (reader,), writers = self.peers()
        self.assertIn(reader, writers)
        self.assertEqual(rep["connections"], len(writers))

    def test_records_over_several_large_files(self):
        # the records split over three large files: each is loaded once, by
        # the load proper; the list is read once, during the load
        target = self.write("target.yaml", target_yaml(self.server.url))
        text = records_text().split("\n", 1)[1].splitlines(True)
        third = len(text) // 3
        parts = [self.write("records-%d.yaml" % k, "records:\n" + "".join(
            text[k * third:(k + 1) * third if k < 2 else len(text)]))
            for k in range(3)]
        self.assertTrue(all(os.path.getsize(p) >= 64 * 1024 for p in parts))
        self.check_apply([target] + parts, 1 + CHANGED)
        self.assertEqual(len(self.list_gets()), 1)

    def test_target_in_a_large_file_beside_larger_records(self):
        # every file large: the largest is left to the load, the others
        # (the target among them) start the read
        target = self.write("target.yaml", target_yaml(self.server.url) +
                            "# padding\n" * 8000)
        self.assertGreater(os.path.getsize(target), 64 * 1024)
        records = self.write("records.yaml", records_text())
        self.check_apply([target, records], 1 + CHANGED)
        self.assertEqual(len(self.list_gets()), 1)

    def peers(self):
        """The client ports (one per connection) of the list GETs and of
        the writes."""
        return ({r.peer for r in self.list_gets()},
                {r.peer for r in self.server.writes()})

    def test_concurrency_from_the_command_line_gets_its_own(self):
        # --concurrency makes the run's executor unlike the prefetch's: the
        # run connects anew, and the report counts the reader's connection
        target = self.write("target.yaml", target_yaml(self.server.url))
        records = self.write("records.yaml", records_text())
        run = run_trueup(["apply", "--concurrency", "32", target, records])
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual((run.report["updated"], run.report["requests"]),
                         (CHANGED, 1 + CHANGED))
        (reader,), writers = self.peers()
        self.assertNotIn(reader, writers)
        self.assertEqual(run.report["connections"], 1 + len(writers))

    def test_plan_reads_the_list_once(self):
        target = self.write("target.yaml", target_yaml(self.server.url))
        records = self.write("records.yaml", records_text())
        run = run_trueup(["plan", "--detailed-exitcode", target, records])
        self.assertEqual(run.code, 2, run.describe())
        self.assertEqual((run.report["updated"], run.report["requests"]),
                         (CHANGED, 1))
        self.assertEqual(len(self.list_gets()), 1)
        self.assertEqual(self.server.writes(), [])

    def test_large_file_changing_settings_is_read_again(self):
        target = self.write("target.yaml", target_yaml(self.server.url))
        records = self.write("records.yaml", records_text(
            "settings: {concurrency: 7}\n"))
        rep = self.check_apply([target, records], 1 + CHANGED)
        self.assertEqual(rep["concurrency"], 7)
        # one read during the load (with the other files' settings), then
        # dropped; one by the run, with the whole document's
        self.assertEqual(len(self.list_gets()), 2)

    def test_target_from_a_pipe_is_read_once(self):
        # a pipe (as from <(...)) can be read only once: the load proper
        # must be the one to read it, so nothing is read early
        fifo = os.path.join(self.tmp, "target.pipe")
        os.mkfifo(fifo)
        text = target_yaml(self.server.url)

        def feed():
            with open(fifo, "w") as f:
                f.write(text)
        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        records = self.write("records.yaml", records_text())
        self.check_apply([fifo, records], 1 + CHANGED)
        writer.join(5)
        self.assertEqual(len(self.list_gets()), 1)

    def test_interrupted_while_the_list_is_read_early(self):
        # Ctrl-C while the list is still being read beside the load. Once
        # the records are loaded (a few tenths of a second here) trueup
        # waits for that read, and must stop it rather than wait: nothing
        # pushed, exit 1, "interrupted while reading the live records", as
        # without the overlap. (A signal during the load itself ends
        # trueup at once, before its handlers are set: also nothing
        # pushed; a slow machine may take that path, which passes too.)
        release = threading.Event()
        self.addCleanup(release.set)

        def slow_list(req):
            if req.method == "GET" and req.path == "/records":
                release.wait(60)
                return 200, [live(i) for i in range(1, N + 1)]
            return 500, {}
        self.server.respond = slow_list
        target = self.write("target.yaml", target_yaml(self.server.url))
        records = self.write("records.yaml", records_text())
        proc = subprocess.Popen([trueup_binary(), "apply", target, records],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(400):  # the GET arrives: the list is being read
                if self.list_gets():
                    break
                time.sleep(0.05)
            self.assertEqual(len(self.list_gets()), 1)
            time.sleep(2)  # the load is over: trueup waits for the list
            proc.send_signal(signal.SIGINT)
            # the list is held for 60 s: waiting for it would time out here
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertIn(proc.returncode, (1, -signal.SIGINT), err)
        if proc.returncode == 1:
            self.assertIn("interrupted while reading the live records", err)
        self.assertEqual(self.server.writes(), [])
        # the run did not wait for the list nor read it again
        self.assertFalse(release.is_set())
        self.assertEqual(len(self.list_gets()), 1)

    def test_failed_early_read_is_the_runs_error(self):
        # the list answers 500 with retries 0: the read made during the
        # load fails, and the run fails so, without reading the list again
        def broken_list(req):
            return 500, {"detail": "database unavailable"}
        self.server.respond = broken_list
        target = self.write("target.yaml", target_yaml(self.server.url) +
                            "settings: {retries: 0}\n")
        records = self.write("records.yaml", records_text())
        run = run_trueup(["apply", target, records])
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn("GET %s/records" % self.server.url, run.stderr)
        self.assertIn("500", run.stderr)
        self.assertIn("nothing was pushed", run.stderr)
        self.assertEqual(len(self.list_gets()), 1)
        self.assertEqual(self.server.writes(), [])

    def test_records_read_one_by_one_wait_for_the_load(self):
        target = target_yaml(self.server.url, resource={
            "get": "GET /records/{id}"}).replace('    list: "/records"\n', "")
        target = self.write("target.yaml", target)
        records = self.write("records.yaml", "records:\n" + "".join(
            "  - {id: %d, name: host%d.example.org., type: A, pad: %s}\n"
            % (i, i, "x" * 200) for i in range(1, 5001)))
        self.assertGreater(os.path.getsize(records), 1024 * 1024)
        run = run_trueup(["plan", target, records])
        self.assertEqual(run.code, 0, run.describe())
        gets = [r for r in self.server.requests() if r.method == "GET"]
        self.assertEqual(len(gets), 5000)
        self.assertEqual(self.list_gets(), [])


if __name__ == "__main__":
    unittest.main()
