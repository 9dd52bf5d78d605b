#!/usr/bin/env python3
"""The non-blocking face (tu_job) through every event-loop adapter, and the
blocking face, against two real json-servers at once; and docs/embedding.md,
whose examples must be the files the tests run.

The embedding examples (examples/embedding/: embed-libuv, embed-libevent,
embed-poll; the programs docs/embedding.md shows) run one job per desired-
state file in one loop. Each test gives them two files, one per server, and
checks what the servers hold afterwards, the per-record lines the record
callback printed, and the reports; then cancels one of the two jobs (while
it pushes, and while it reads) and checks that the other completes and that
the cancelled one left its server as its report says.

embed-blocking (tu_run) applies one file and plans it again. And the
examples build against an installed libtrueup with pkg-config alone (the
adapters' headers are installed with trueup.h).

Two json-servers serve the whole module; every test uses resources of its
own on them (json-server serves any top-level key of db.json).
"""

import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, by_key, host, results_by_key,  # noqa: E402
                     write_desired)

SOURCE = os.environ.get("TU_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADAPTERS = ("libuv", "libevent", "poll")
EXAMPLES = ADAPTERS + ("blocking",)
SERVERS = []
TMP = None


def example(adapter):
    path = os.environ.get("TU_EMBED_%s" % adapter.upper())
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("TU_EMBED_%s does not name the built embed-%s "
                           "(run the test through ctest)" % (adapter.upper(),
                                                              adapter))
    return path


def setUpModule():
    global TMP
    TMP = tempfile.mkdtemp(prefix="tu-embedding-")
    # module cleanups run even when this function fails half-way
    # (tearDownModule does not): the servers started, then the directory
    unittest.addModuleCleanup(shutil.rmtree, TMP, True)
    unittest.addModuleCleanup(stop_servers)
    for _ in range(2):
        srv = JsonServer([], tmpdir=TMP)
        db = {"records": []}
        for adapter in ADAPTERS:
            for case in ("apply", "cancel", "cancel_fetch"):
                db["%s_%s" % (adapter, case)] = live_records()
        db["blocking"] = live_records()
        with open(srv.db_path, "w") as f:
            json.dump(db, f)
        SERVERS.append(srv)
        srv.start()


def stop_servers():
    for srv in SERVERS:
        srv.cleanup()


def live_records():
    """20 live records: 1..5 get a new ttl, 6..19 are right, 20 goes."""
    return [host(i) for i in range(1, 21)]


def desired_records(new):
    recs = [{"name": "host%d.example.org." % i, "type": "A",
             "content": "192.0.2.%d" % i, "ttl": 600 if i <= 5 else 3600}
            for i in range(1, 20)]
    recs.append({"name": "host20.example.org.", "type": "A",
                 "state": "absent"})
    recs += [{"name": "new%d.example.org." % i, "type": "A",
              "content": "198.51.100.%d" % i, "ttl": 300}
             for i in range(1, new + 1)]
    return recs


def expected_state(new):
    return {k: r for k, r in by_key(desired_records(new)).items()
            if r.get("state") != "absent"}


def desired_file(name, srv, resource, new, concurrency=4):
    res = {"list": "/" + resource, "create": "POST /" + resource,
           "update": "PATCH /%s/{id}" % resource,
           "delete": "DELETE /%s/{id}" % resource}
    return write_desired(os.path.join(TMP, name), srv.url,
                         desired_records(new), resource=res,
                         settings={"concurrency": concurrency})


def run(adapter, args):
    p = subprocess.run([example(adapter)] + args, capture_output=True,
                       text=True, timeout=120, stdin=subprocess.DEVNULL)
    ends = {}
    for line in p.stdout.splitlines():
        end = json.loads(line)
        ends[end["job"]] = end
    records = {}
    for line in p.stderr.splitlines():
        if line.startswith("job "):
            number, rest = line[4:].split(": ", 1)
            key, action, status = rest.split(" ")[:3]
            records.setdefault(int(number), {})[key] = (action, status)
    return p, ends, records


def server_state(srv, resource):
    """{key: record without id} as the server holds it now."""
    out = {}
    for k, r in by_key(srv.get_records("/" + resource)).items():
        out[k] = {f: v for f, v in r.items() if f != "id"}
    return out


class Adapters(unittest.TestCase):
    def apply_two(self, adapter):
        resource = "%s_apply" % adapter
        files = [desired_file("%s-%d.yaml" % (resource, i), srv, resource,
                              new=8 + 4 * i)
                 for i, srv in enumerate(SERVERS)]
        p, ends, records = run(adapter, ["--apply"] + files)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(ends), [1, 2], p.stdout)
        for i, srv in enumerate(SERVERS):
            new = 8 + 4 * i
            report = ends[i + 1]["report"]
            self.assertEqual((report["succeeded"], report["skipped"],
                              report["failed"], report["created"],
                              report["updated"], report["deleted"]),
                             (5 + 1 + new, 14, 0, new, 5, 1))
            self.assertEqual(server_state(srv, resource), expected_state(new))
            # one record line per record, as the report has them
            self.assertEqual(len(records[i + 1]), report["total"])
            for key, result in results_by_key(report).items():
                self.assertEqual(records[i + 1][key],
                                 (result["action"], result["status"]))
            self.assertEqual(records[i + 1]["host6.example.org.|A"],
                             ("skip", "skipped"))
        # the second run changes nothing
        p, ends, _ = run(adapter, files)
        self.assertEqual(p.returncode, 0, p.stderr)
        for i in (1, 2):
            self.assertFalse(ends[i]["report"]["changed"], ends[i])
            self.assertEqual(ends[i]["report"]["mode"], "plan")

    def cancel_second_while_pushing(self, adapter):
        resource = "%s_cancel" % adapter
        first = desired_file(resource + "-1.yaml", SERVERS[0], resource, 10)
        second = desired_file(resource + "-2.yaml", SERVERS[1], resource, 40,
                              concurrency=1)
        # job 2 is cancelled once 16 records have an outcome: the 14 skips
        # and 2 writes; the rest of its 46 writes are never sent
        p, ends, records = run(adapter, ["--apply", "--cancel", "2:16",
                                         first, second])
        self.assertEqual(p.returncode, 1, p.stderr)
        done = ends[1]["report"]
        self.assertEqual((done["failed"], done["cancelled"]), (0, False))
        self.assertEqual(server_state(SERVERS[0], resource),
                         expected_state(10))
        cancelled = ends[2]["report"]
        self.assertTrue(cancelled["cancelled"])
        self.assertGreaterEqual(cancelled["failed"], 40)
        self.assertEqual(cancelled["succeeded"] + cancelled["skipped"] +
                         cancelled["failed"], cancelled["total"])
        results = results_by_key(cancelled)
        self.assertIn("cancelled before it was sent",
                      results["new40.example.org.|A"]["error"])
        # the server holds exactly what the report says was done
        state = server_state(SERVERS[1], resource)
        for key, result in results.items():
            if result["action"] == "create":
                self.assertEqual(key in state, result["status"] == "ok", key)
        self.assertEqual(len(records[2]), cancelled["total"])

    def cancel_second_while_reading(self, adapter):
        resource = "%s_cancel_fetch" % adapter
        first = desired_file(resource + "-1.yaml", SERVERS[0], resource, 3)
        second = desired_file(resource + "-2.yaml", SERVERS[1], resource, 3)
        mark = SERVERS[1].mark()
        p, ends, records = run(adapter, ["--apply", "--cancel", "2:0",
                                         first, second])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(ends[1]["report"]["failed"], 0)
        self.assertEqual(server_state(SERVERS[0], resource),
                         expected_state(3))
        error = ends[2]["error"]
        self.assertEqual(error["kind"], "cancelled", error)
        self.assertIn("nothing was pushed", error["message"])
        self.assertNotIn(2, records)
        self.assertEqual(SERVERS[1].writes(since=mark), [])
        self.assertEqual(server_state(SERVERS[1], resource),
                         {k: {f: v for f, v in r.items() if f != "id"}
                          for k, r in by_key(live_records()).items()})


class Blocking(unittest.TestCase):
    def test_apply_then_plan(self):
        path = desired_file("blocking.yaml", SERVERS[0], "blocking", 6)
        p = subprocess.run([example("blocking"), "--apply", path],
                           capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr)
        report = json.loads(p.stdout)
        self.assertEqual((report["succeeded"], report["skipped"],
                          report["failed"]), (12, 14, 0))
        self.assertEqual(server_state(SERVERS[0], "blocking"),
                         expected_state(6))
        p = subprocess.run([example("blocking"), path], capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(json.loads(p.stdout)["changed"])

    def test_bad_input(self):
        path = os.path.join(TMP, "bad.yaml")
        with open(path, "w") as f:
            f.write("records: [{name: a, type: A}]\n")  # no target
        p = subprocess.run([example("blocking"), path], capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertTrue(p.stderr.startswith("bad_input: "), p.stderr)


class Installed(unittest.TestCase):
    """cmake --install, then each example built with
    `cc ... $(pkg-config --cflags --libs trueup LOOP)`, as the doc says."""

    def test_examples_build_against_the_installed_library(self):
        build = os.environ.get("TU_BUILD_DIR", "")
        if not os.path.isdir(build):
            raise RuntimeError("TU_BUILD_DIR is not a build directory")
        prefix = os.path.join(TMP, "prefix")
        done = subprocess.run(["cmake", "--install", build, "--prefix",
                               prefix], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        pc = glob.glob(os.path.join(prefix, "lib*", "**", "trueup.pc"),
                       recursive=True)
        self.assertEqual(len(pc), 1)
        libdir = os.path.dirname(os.path.dirname(pc[0]))
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pc[0]))
        path = desired_file("installed.yaml", SERVERS[1], "blocking", 6)
        for name, loop in (("libuv", "libuv"), ("libevent", "libevent"),
                           ("poll", ""), ("blocking", "")):
            exe = os.path.join(TMP, "installed-" + name)
            flags = subprocess.run(["pkg-config", "--cflags", "--libs",
                                    "trueup"] + ([loop] if loop else []),
                                   capture_output=True, text=True, env=env)
            self.assertEqual(flags.returncode, 0, flags.stderr)
            src = os.path.join(SOURCE, "examples", "embedding", name + ".c")
            cc = subprocess.run(
                [os.environ.get("TU_CC") or "cc", "-Wall", "-Werror", "-o",
                 exe, src] + shlex.split(os.environ.get("TU_CFLAGS", "")) +
                shlex.split(flags.stdout), capture_output=True, text=True)
            self.assertEqual(cc.returncode, 0, cc.stderr)
            run_env = dict(os.environ, LD_LIBRARY_PATH=libdir)
            done = subprocess.run([exe, path], capture_output=True,
                                  text=True, env=run_env, timeout=120)
            self.assertEqual(done.returncode, 0, done.stderr)
            out = json.loads(done.stdout.splitlines()[0] if name != "blocking"
                             else done.stdout)
            report = out if name == "blocking" else out["report"]
            self.assertEqual(report["mode"], "plan")
            self.assertEqual(report["total"], 26)


class Doc(unittest.TestCase):
    """Every example docs/embedding.md shows is the file the tests run."""

    def test_examples_are_the_files(self):
        with open(os.path.join(SOURCE, "docs", "embedding.md")) as f:
            doc = f.read()
        shown = re.findall(r"<!-- the file (\S+), as the tests check -->\n"
                           r"```c\n(.*?)```", doc, re.S)
        self.assertEqual(sorted(p for p, _ in shown),
                         sorted("examples/embedding/%s" % f for f in
                                ("blocking.c", "jobs.h", "libuv.c",
                                 "libevent.c", "poll.c")))
        for path, code in shown:
            with open(os.path.join(SOURCE, path)) as f:
                self.assertEqual(code, f.read(), path)


def add_tests():
    for adapter in ADAPTERS:
        for name in ("apply_two", "cancel_second_while_pushing",
                     "cancel_second_while_reading"):
            def test(self, adapter=adapter, name=name):
                getattr(self, name)(adapter)
            setattr(Adapters, "test_%s_%s" % (adapter, name), test)


add_tests()

if __name__ == "__main__":
    unittest.main()
