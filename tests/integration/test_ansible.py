#!/usr/bin/env python3
"""The Ansible module (modules/trueup) with the real ansible-core (Debian's
2.14), against json-server on a free loopback port.

- a playbook with --check --diff (changed, one diff section per record,
  nothing written), for real (exact counts, the data as desired), and again
  (changed false, no write request);
- the API down: the task fails with a clear msg and no token;
- a record the API refuses, with the token echoed in its answer: the task
  fails, naming the record, and the token appears nowhere;
- ad-hoc `ansible -m trueup -a 'key=value ...'` with string-typed arguments;
- ansible-doc on the module, from library/ and from the collection;
- the token never in any output, including the JSON stdout callback's;
- the module run directly (no Ansible): one JSON line, exit 0, argument
  errors, no_log, the diff cap, secrets in invocation;
- examples/ansible/run.sh end to end;
- `plan: PATH`: a plan file made by `trueup plan --out`, shown under
  --check (nothing written), applied exactly, refused a second time;
- examples/shards/: its inventory of 3 workers, each running the module
  with its own `shard`, with forks 3: disjoint parts, the whole estate.

Ansible runs with a private ANSIBLE_HOME and temporary directories, with
`-i localhost, -c local`. Nothing is installed here: .ci/deps installs
ansible-core. Without ansible-playbook the tests skip, or fail when the
environment has CI.

ansible-core 2.14 has no `json` stdout callback (it lives in the
ansible.posix collection, which Debian's ansible-core does not ship), so the
tests provide a small one with the same output shape and select it with
ANSIBLE_STDOUT_CALLBACK=json: it prints every task result exactly as the
module returned it, which is what the token check needs.

Environment (set by CTest, see tests/CMakeLists.txt):
    TU_MODULE       the built module (default <repo>/build/modules/trueup)
    TU_ANSIBLE_DIR  the library/ and collection layouts the build assembles
                    (default <repo>/build/ansible)
"""

import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (SOURCE_DIR, JsonServer, RecordingServer, by_key,  # noqa: E402
                     free_port, host, results_by_key, run_trueup,
                     target_yaml, write_desired, write_yaml)
import shards_example  # noqa: E402

TOKEN = "tu-ansible-secret-5d2c9e71aa04"

MODULE = os.environ.get("TU_MODULE") or os.path.join(
    SOURCE_DIR, "build", "modules", "trueup")
ANSIBLE_DIR = os.environ.get("TU_ANSIBLE_DIR") or os.path.join(
    SOURCE_DIR, "build", "ansible")
LIBRARY_DIR = os.path.join(ANSIBLE_DIR, "library")
COLLECTIONS_DIR = os.path.join(ANSIBLE_DIR, "collections")
COLLECTION_DIR = os.path.join(COLLECTIONS_DIR, "ansible_collections",
                              "trueup", "trueup")
COUNT_KEYS = {"total", "succeeded", "skipped", "failed", "created",
              "updated", "deleted", "replaced"}

# A stand-in for ansible.posix.json: the whole run as one JSON document,
# {"plays": [{"play", "tasks": [{"task", "hosts": {HOST: result}}]}],
#  "stats": {...}}, each result as the module returned it.
JSON_CALLBACK = '''
import json

from ansible.parsing.ajson import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: json
type: stdout
short_description: the run as one JSON document (test stand-in for ansible.posix.json)
description: [Every task result, as the module returned it, as JSON on stdout.]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "json"

    def __init__(self, display=None):
        super().__init__(display)
        self.results = []

    def v2_playbook_on_play_start(self, play):
        self.results.append({"play": {"name": play.get_name(),
                                      "id": str(play._uuid)}, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.results[-1]["tasks"].append(
            {"task": {"name": task.get_name(), "id": str(task._uuid)},
             "hosts": {}})

    v2_playbook_on_handler_task_start = v2_playbook_on_task_start

    # Callbacks get results without `failed` and `skipped` (the event says
    # it); like ansible.posix.json, put them back.
    def _record(self, result, **status):
        r = dict(result._result)
        r.update(status)
        r["action"] = result._task.action
        self.results[-1]["tasks"][-1]["hosts"][result._host.get_name()] = r

    def v2_runner_on_ok(self, result, **kwargs):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        summary = {h: stats.summarize(h) for h in sorted(stats.processed)}
        self._display.display(json.dumps(
            {"plays": self.results, "stats": summary},
            cls=AnsibleJSONEncoder, indent=4, sort_keys=True))
'''

# The playbook of the main tests: one trueup task from the collection, the
# desired state inline, the token from the task's environment.
PLAYBOOK = """
- name: Reconcile with trueup
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Reconcile the records
      trueup.trueup.trueup:
        target:
          provider: rest
          base_url: "{{ api_url }}"
          headers: {Accept: application/json}
          auth: {type: bearer, token_env: API_TOKEN}
          resource:
            list: /records
            key: [name, type]
            id: id
            create: POST /records
            update: "PATCH /records/{id}"
            delete: "DELETE /records/{id}"
        settings: "{{ api_settings | default({}) }}"
        defaults: {ttl: 3600}
        records: "{{ desired }}"
        concurrency: 4
      environment:
        API_TOKEN: "{{ lookup('ansible.builtin.env', 'TU_TEST_TOKEN') }}"
      register: reconcile

    - name: Show the counts
      ansible.builtin.debug:
        msg: "{{ reconcile.msg }}"
"""


def ansible_missing():
    for tool in ("ansible-playbook", "ansible", "ansible-doc"):
        if not shutil.which(tool):
            return "%s is not installed (apt-get install ansible-core, or " \
                   ".ci/deps)" % tool
    return None


def setUpModule():
    why = ansible_missing()
    if why:
        if os.environ.get("CI"):
            raise RuntimeError(why)   # CI installs ansible-core: never skip
        raise unittest.SkipTest(why)
    if not (os.path.isfile(MODULE) and os.access(MODULE, os.X_OK)):
        raise RuntimeError("the module is not built: %s (cmake --build BUILD, "
                           "or set TU_MODULE)" % MODULE)
    for copy in (os.path.join(LIBRARY_DIR, "trueup"),
                 os.path.join(COLLECTION_DIR, "plugins", "modules", "trueup")):
        if not os.path.isfile(copy) or not filecmp.cmp(copy, MODULE,
                                                       shallow=False):
            raise RuntimeError("%s is missing or older than %s: build the "
                               "targets ansible-library and ansible-collection "
                               "(cmake --build BUILD)" % (copy, MODULE))


def name(i):
    return "host%d.example.org." % i


def desired_host(i, **extra):
    r = {"name": name(i), "type": "A", "content": "192.0.2.%d" % (i % 250)}
    r.update(extra)
    return r


def main_live():
    return [host(i) for i in range(1, 31)]


def main_desired():
    """Against main_live(): hosts 1-10 get ttl 600 (10 updates), 11-25 are
    right (15 unchanged), 26-27 absent (2 deletes), 28-30 unnamed (kept, no
    prune), 31-33 new (3 creates)."""
    recs = [desired_host(i, ttl=600) for i in range(1, 11)]
    recs += [desired_host(i) for i in range(11, 26)]
    recs += [{"name": name(i), "type": "A", "state": "absent"}
             for i in (26, 27)]
    recs += [desired_host(i) for i in range(31, 34)]
    return recs


def main_expected():
    """{key: record without id} once main_desired() is applied."""
    out = {}
    for i in range(1, 31):
        if i in (26, 27):
            continue
        r = host(i, ttl=600) if i <= 10 else host(i)
        r.pop("id")
        out["%s|A" % name(i)] = r
    for i in range(31, 34):
        out["%s|A" % name(i)] = desired_host(i, ttl=3600)
    return out


def without_ids(records):
    return {k: {f: v for f, v in r.items() if f != "id"}
            for k, r in by_key(records).items()}


class AnsibleTestCase(unittest.TestCase):
    maxDiff = 8000

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="trueup-ansible-")
        if not os.environ.get("KEEP_TMP"):
            self.addCleanup(shutil.rmtree, self.tmp, True)
        home = self.path("ansible-home")
        plugins = self.path("callback_plugins")
        os.makedirs(os.path.join(home, "tmp"))
        os.makedirs(plugins)
        with open(os.path.join(plugins, "json.py"), "w") as f:
            f.write(JSON_CALLBACK)
        config = write_yaml(self.path("ansible.cfg"), "")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("ANSIBLE_")}
        env.update({
            "ANSIBLE_CONFIG": config,
            "ANSIBLE_HOME": home,
            "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
            "ANSIBLE_REMOTE_TEMP": os.path.join(home, "tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_CALLBACK_PLUGINS": plugins,
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_DIR,
            "ANSIBLE_LIBRARY": LIBRARY_DIR,
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "TU_TEST_TOKEN": TOKEN,
        })
        env.pop("API_TOKEN", None)
        self.env = env

    def path(self, fname):
        return os.path.join(self.tmp, fname)

    def start_json_server(self, records):
        srv = JsonServer(records, self.tmp)
        self.addCleanup(srv.stop)
        return srv.start()

    def run_cmd(self, cmd, env=None, timeout=120):
        """Run cmd in the temp dir; the token must appear in no output."""
        full_env = dict(self.env)
        full_env.update(env or {})
        p = subprocess.run(cmd, cwd=self.tmp, env=full_env,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, encoding="utf-8", errors="replace",
                           timeout=timeout)
        where = "%s\nexit %d\n--- stdout\n%s\n--- stderr\n%s" % (
            " ".join(cmd), p.returncode, p.stdout[-6000:], p.stderr[-3000:])
        self.assertNotIn(TOKEN, p.stdout, "token on stdout: " + where)
        self.assertNotIn(TOKEN, p.stderr, "token on stderr: " + where)
        p.where = where
        return p

    def playbook(self, url, desired, *extra, json_output=False,
                 settings=None):
        play = write_yaml(self.path("play.yml"), PLAYBOOK)
        variables = {"api_url": url, "desired": desired}
        if settings is not None:
            variables["api_settings"] = settings
        with open(self.path("vars.json"), "w") as f:
            json.dump(variables, f)
        env = {"ANSIBLE_STDOUT_CALLBACK": "json"} if json_output else {}
        return self.run_cmd(["ansible-playbook", "-i", "localhost,", "-c",
                             "local", play, "-e", "@" + self.path("vars.json")]
                            + list(extra), env)

    def task_result(self, p, task="Reconcile the records"):
        """The module's result from the JSON callback's output."""
        try:
            doc = json.loads(p.stdout)
        except ValueError as e:
            self.fail("the json callback's output is not JSON (%s)\n%s"
                      % (e, p.where))
        for play in doc["plays"]:
            for t in play["tasks"]:
                if t["task"]["name"] == task:
                    return t["hosts"]["localhost"]
        self.fail("no result for task %r\n%s" % (task, p.where))

    def check_shape(self, result):
        """Counts under `counts` only; `failed` at the top only when true."""
        self.assertEqual(set(result["counts"]), COUNT_KEYS, result)
        for k in COUNT_KEYS - {"failed"}:
            self.assertNotIn(k, result, "count %r at the top level" % k)
        if "failed" in result:
            self.assertIs(result["failed"], True, result)
        self.assertIsInstance(result["changed"], bool)
        self.assertIsInstance(result["msg"], str)


class TestPlaybook(AnsibleTestCase):

    def test_check_apply_again(self):
        srv = self.start_json_server(main_live())
        before = srv.get_records()

        # 1. --check --diff: changed, one diff section per record, no write
        p = self.playbook(srv.url, main_desired(), "--check", "--diff")
        self.assertEqual(p.returncode, 0, p.where)
        out = p.stdout
        self.assertIn("changed: [localhost]", out, p.where)
        self.assertRegex(out, r"localhost\s+: ok=2\s+changed=1\s+"
                              r"unreachable=0\s+failed=0", p.where)
        self.assertIn("check mode: 3 to create, 10 to update, 2 to delete, "
                      "15 unchanged, 0 failed", out, p.where)
        for i in range(1, 11):
            self.assertIn("--- before: %s|A\n+++ after: %s|A\n"
                          % (name(i), name(i)), out, p.where)
        self.assertIn('-    "ttl": 3600\n+    "ttl": 600\n', out, p.where)
        self.assertIn("--- before: %s|A" % name(31), out)
        self.assertIn('-    "state": "absent"\n', out)
        self.assertIn('+    "content": "192.0.2.31",\n', out)
        self.assertIn("--- before: %s|A" % name(26), out)
        self.assertIn('-    "state": "present"\n+    "state": "absent"\n', out)
        self.assertEqual(out.count("--- before: "), 15, p.where)
        self.assertEqual(srv.writes(), [], "check mode wrote")
        self.assertEqual(srv.get_records(), before)

        # 2. for real: exact counts, the data as desired
        mark = srv.mark()
        p = self.playbook(srv.url, main_desired(), json_output=True)
        self.assertEqual(p.returncode, 0, p.where)
        r = self.task_result(p)
        self.check_shape(r)
        self.assertIs(r["changed"], True)
        self.assertNotIn("failed", r)
        self.assertEqual(r["counts"], {"total": 30, "succeeded": 15,
                                       "skipped": 15, "failed": 0,
                                       "created": 3, "updated": 10,
                                       "deleted": 2, "replaced": 0}, r)
        self.assertEqual(r["msg"], "3 created, 10 updated, 2 deleted, "
                                   "15 unchanged, 0 failed")
        self.assertEqual(r["mode"], "apply")
        self.assertEqual(r["stats"]["concurrency"], 4)
        self.assertEqual(r["stats"]["write_requests"], 15)
        self.assertGreaterEqual(r["stats"]["connections"], 1)
        self.assertEqual(r["stats"]["protocols"],
                         {"HTTP/1.1": r["stats"]["requests"]})
        self.assertNotIn("diff", r, "diff without --diff")
        results = results_by_key(r)
        self.assertEqual(len(results), 15)
        self.assertEqual(results["%s|A" % name(1)]["changes"],
                         {"ttl": {"before": 3600, "after": 600}})
        self.assertEqual(results["%s|A" % name(26)]["action"], "delete")
        self.assertEqual(
            r["invocation"]["module_args"]["target"]["auth"]["token_env"],
            "API_TOKEN")
        writes = srv.writes(mark)
        self.assertEqual(sorted(m for m, _, _ in writes),
                         ["DELETE"] * 2 + ["PATCH"] * 10 + ["POST"] * 3)
        self.assertEqual(without_ids(srv.get_records()), main_expected())

        # 3. again: nothing to change, no write request
        mark = srv.mark()
        p = self.playbook(srv.url, main_desired(), json_output=True)
        self.assertEqual(p.returncode, 0, p.where)
        r = self.task_result(p)
        self.check_shape(r)
        self.assertIs(r["changed"], False, r)
        # the absent records are gone: skipped too
        self.assertEqual(r["counts"], {"total": 30, "succeeded": 0,
                                       "skipped": 30, "failed": 0,
                                       "created": 0, "updated": 0,
                                       "deleted": 0, "replaced": 0}, r)
        self.assertEqual(r["results"], [])
        self.assertEqual(r["stats"]["write_requests"], 0)
        self.assertEqual(srv.writes(mark), [], "the idempotent run wrote")
        stats = json.loads(p.stdout)["stats"]["localhost"]
        self.assertEqual(stats["changed"], 0)
        self.assertEqual(stats["failures"], 0)

    def test_api_down(self):
        url = "http://127.0.0.1:%d" % free_port()
        p = self.playbook(url, main_desired(), json_output=True,
                          settings={"retries": 0, "connect_timeout": 2})
        self.assertNotEqual(p.returncode, 0, p.where)
        r = self.task_result(p)
        self.assertIs(r.get("failed"), True, r)
        self.assertIs(r["changed"], False)
        self.assertIn("GET %s/records" % url, r["msg"])
        self.assertIn("connect", r["msg"].lower())
        self.assertIn("nothing was pushed", r["msg"])
        self.assertNotIn("counts", r)
        self.assertEqual(json.loads(p.stdout)["stats"]["localhost"]["failures"],
                         1)

    def test_record_failure_scrubbed(self):
        """The API refuses one update and echoes the Authorization header in
        its answer: the task fails naming the record, the other record is
        updated, and the token is nowhere."""
        live = [host(1), host(2)]

        def respond(req):
            if req.method == "GET" and req.path == "/records":
                return 200, live
            if req.method == "PATCH" and req.path == "/records/1":
                return 422, {"error": "refused for %s"
                             % req.headers.get("authorization")}
            return 200, req.json or {}

        with RecordingServer([], respond=respond) as rs:
            desired = [desired_host(1, ttl=600), desired_host(2, ttl=600)]
            p = self.playbook(rs.url, desired, "--diff", json_output=True)
            seen = [r.headers.get("authorization") for r in rs.requests()]
        self.assertTrue(seen and all(h == "Bearer " + TOKEN for h in seen),
                        "the token was not sent: %r" % seen)
        self.assertNotEqual(p.returncode, 0, p.where)
        r = self.task_result(p)
        self.check_shape(r)
        self.assertIs(r["failed"], True)
        self.assertIs(r["changed"], True)
        self.assertEqual(r["counts"]["failed"], 1)
        self.assertEqual(r["counts"]["updated"], 1)
        self.assertTrue(r["msg"].startswith("1 record failed: %s|A: PATCH "
                                            % name(1)), r["msg"])
        self.assertIn("422", r["msg"])
        self.assertIn("***", r["msg"])
        self.assertTrue(r["msg"].endswith("1 updated, 0 deleted, 0 unchanged, "
                                          "1 failed"), r["msg"])
        self.assertIn("***", results_by_key(r)["%s|A" % name(1)]["error"])
        # only the record that changed has a diff
        self.assertEqual([d["before_header"] for d in r["diff"]],
                         ["%s|A" % name(2)])


class TestAdhoc(AnsibleTestCase):

    def files(self, url, settings=None):
        target = write_yaml(self.path("target.yaml"), target_yaml(
            url, auth={"type": "bearer", "token_env": "API_TOKEN"}) +
            ("settings: %s\n" % json.dumps(settings) if settings else ""))
        records = self.path("records.yaml")
        with open(records, "w") as f:
            f.write("defaults: {ttl: 3600}\nrecords:\n")
            for rec in main_desired():
                f.write("  - %s\n" % json.dumps(rec))
        return target, records

    def adhoc(self, args, *extra):
        return self.run_cmd(["ansible", "localhost", "-i", "localhost,", "-c",
                             "local", "-M", LIBRARY_DIR, "-m", "trueup",
                             "-a", args] + list(extra),
                            {"API_TOKEN": TOKEN})

    def test_string_arguments(self):
        """`-a 'k=v ...'` makes every value a string: "3", "no", "false",
        and a comma-joined src. The file says prune: true; prune=no wins."""
        srv = self.start_json_server(main_live())
        target, records = self.files(srv.url, settings={"prune": True})
        tree = self.path("tree")
        p = self.adhoc("src=%s,%s concurrency=3 prune=no force=false"
                       % (target, records), "-t", tree)
        self.assertEqual(p.returncode, 0, p.where)
        self.assertIn("localhost | CHANGED", p.stdout, p.where)
        with open(os.path.join(tree, "localhost")) as f:
            r = json.load(f)
        self.assertNotIn(TOKEN, json.dumps(r))
        self.check_shape(r)
        self.assertEqual(r["stats"]["concurrency"], 3, "concurrency=3")
        self.assertEqual(r["counts"]["created"], 3)
        self.assertEqual(r["counts"]["updated"], 10)
        self.assertEqual(r["counts"]["deleted"], 2, "prune=no must win over "
                         "the file's prune: true")
        self.assertEqual(without_ids(srv.get_records()), main_expected())

        # prune=yes in check mode: the three unnamed records would go, and
        # stay
        p = self.adhoc("src=%s,%s prune=yes" % (target, records), "--check",
                       "-t", tree)
        self.assertEqual(p.returncode, 0, p.where)
        self.assertIn("localhost | CHANGED", p.stdout, p.where)
        with open(os.path.join(tree, "localhost")) as f:
            r = json.load(f)
        self.assertEqual(r["counts"]["deleted"], 3, r)
        self.assertTrue(r["msg"].startswith("check mode: 0 to create, 0 to "
                                            "update, 3 to delete"), r["msg"])
        self.assertEqual(len(srv.get_records()), 31)

    def test_bad_arguments(self):
        p = self.adhoc("src=a.yaml prune=maybe")
        self.assertNotEqual(p.returncode, 0, p.where)
        self.assertIn("localhost | FAILED!", p.stdout, p.where)
        self.assertIn("argument 'prune' is of type a string (\\\"maybe\\\") "
                      "and cannot be converted to a boolean", p.stdout)
        p = self.adhoc("src=a.yaml concurency=3")
        self.assertNotEqual(p.returncode, 0, p.where)
        self.assertIn("Unsupported parameters for (trueup) module: concurency "
                      "(did you mean 'concurrency'?)", p.stdout, p.where)


class TestDoc(AnsibleTestCase):

    def check_doc(self, p, title):
        self.assertEqual(p.returncode, 0, p.where)
        out = p.stdout
        self.assertIn("> %s" % title, out, p.where)
        self.assertIn("Fetches the live records from a REST API", out)
        for option in ("- src", "- target", "- records", "- prune",
                       "- concurrency", "- force"):
            self.assertIn(option, out)
        self.assertIn("EXAMPLES:", out)
        self.assertIn("RETURN VALUES:", out)
        self.assertIn("- counts", out)
        self.assertNotIn("ERROR", p.stderr, p.where)

    def test_library(self):
        self.check_doc(self.run_cmd(["ansible-doc", "-M", LIBRARY_DIR,
                                     "trueup"]), "TRUEUP")

    def test_collection(self):
        self.check_doc(self.run_cmd(["ansible-doc", "trueup.trueup.trueup"]),
                       "TRUEUP.TRUEUP.TRUEUP")


class TestModuleDirect(AnsibleTestCase):
    """The binary alone, as Ansible runs it: `trueup ARGS_FILE`."""

    def module(self, args, env=None, raw=None):
        path = self.path("args")
        with open(path, "w") as f:
            f.write(raw if raw is not None else json.dumps(args))
        full_env = {"API_TOKEN": TOKEN}
        full_env.update(env or {})
        p = self.run_cmd([MODULE, path], full_env)
        self.assertEqual(p.returncode, 0, p.where)
        self.assertEqual(p.stderr, "", p.where)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 1, "not exactly one line: " + p.where)
        result = json.loads(lines[0])
        self.assertIsInstance(result, dict)
        return result

    def inline(self, url, records, **extra):
        args = {
            "target": {"provider": "rest", "base_url": url,
                       "headers": {"X-Api-Key": TOKEN},
                       "auth": {"type": "bearer", "token_env": "API_TOKEN"},
                       "resource": {"list": "/records", "key": ["name", "type"],
                                    "update": "PATCH /records/{id}"}},
            "defaults": {"ttl": 3600},
            "records": records,
            "_ansible_version": "2.14.18",
            "_ansible_module_name": "trueup",
        }
        args.update(extra)
        return args

    def test_errors_are_json(self):
        r = self.module(None, raw="not json")
        self.assertIs(r["failed"], True)
        self.assertIn("cannot read the module's arguments", r["msg"])
        r = self.module({"src": "a.yaml", "records": []})
        self.assertIn("mutually exclusive: src|records", r["msg"])
        r = self.module({"_ansible_check_mode": True})
        self.assertIn("no desired state", r["msg"])
        r = self.module({"records": "[{\"name\": 1", "target": {}})
        self.assertIn("argument 'records' is a string that is not JSON",
                      r["msg"])
        r = self.module({"target": {"provider": "rest"}, "records": []})
        self.assertIs(r["failed"], True)
        self.assertIn("target: missing required key 'base_url'", r["msg"])
        r = self.module({"src": ["/nonexistent/desired.yaml"]})
        self.assertIs(r["failed"], True)
        self.assertIn("/nonexistent/desired.yaml", r["msg"])
        p = self.run_cmd([MODULE])
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: trueup ARGS_FILE", json.loads(p.stdout)["msg"])

    def test_diff_cap_no_log_and_invocation(self):
        live = [host(i) for i in range(1, 151)]
        desired = [desired_host(i, ttl=60) for i in range(1, 151)]
        with RecordingServer(live) as rs:
            args = self.inline(rs.url, desired, _ansible_check_mode=True,
                               _ansible_diff=True)
            r = self.module(args)
            self.assertEqual(rs.writes(), [])
            seen = {req.headers.get("x-api-key") for req in rs.requests()}
            self.assertEqual(seen, {TOKEN})

            self.assertIs(r["changed"], True)
            self.assertEqual(r["counts"]["updated"], 150)
            self.assertEqual(len(r["diff"]), 101)
            self.assertEqual(r["diff"][0], {
                "before": {"ttl": 3600}, "after": {"ttl": 60},
                "before_header": "%s|A" % name(1),
                "after_header": "%s|A" % name(1)})
            self.assertEqual(r["diff"][100], {
                "prepared": "... and 50 more changed records (not shown: see "
                            "the task's results)\n"})
            inv = r["invocation"]["module_args"]
            self.assertEqual(inv["target"]["headers"]["X-Api-Key"],
                             "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
            self.assertNotIn("_ansible_version", inv)

            r = self.module(dict(args, _ansible_no_log=True))
            self.assertIs(r["changed"], True)
            self.assertEqual(r["counts"]["updated"], 150)
            for key in ("diff", "invocation"):
                self.assertNotIn(key, r)
            self.assertNotIn("changes", json.dumps(r["results"]))


    def test_safety_threshold(self):
        """A plan past settings.max_deletes: a warning in check mode, a
        failed task (nothing pushed) for real, and force=yes overrides."""
        live = [host(i) for i in range(1, 21)]
        keep = [desired_host(i) for i in range(1, 6)]
        with RecordingServer(live) as rs:
            args = self.inline(rs.url, keep, prune="yes")
            args["target"]["resource"]["delete"] = "DELETE /records/{id}"
            r = self.module(dict(args, _ansible_check_mode=True))
            self.assertIs(r["changed"], True)
            self.assertEqual(r["counts"]["deleted"], 15)
            self.assertEqual(len(r["warnings"]), 2, r)
            self.assertIn("too many deletes", r["warnings"][0])
            self.assertNotIn("--force", r["warnings"][0])
            self.assertEqual("set force: true to go past the safety "
                             "thresholds", r["warnings"][1])
            self.assertNotIn("failed", r)

            r = self.module(args)
            self.assertIs(r["failed"], True)
            self.assertIs(r["changed"], False)
            self.assertIn("too many deletes", r["msg"])
            self.assertIn("; set force: true to go past the safety "
                          "thresholds; nothing was pushed", r["msg"])
            self.assertEqual(rs.writes(), [])

            r = self.module(dict(args, force="yes"))
            self.assertNotIn("failed", r)
            self.assertEqual(r["counts"]["deleted"], 15)
            self.assertEqual(len(rs.writes()), 15)


PLAN_PLAYBOOK = """
- name: Apply a reviewed plan
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Apply the plan
      trueup.trueup.trueup:
        plan: "{{ plan_path }}"
      environment:
        API_TOKEN: "{{ lookup('ansible.builtin.env', 'TU_TEST_TOKEN') }}"
"""


class TestPlanFile(AnsibleTestCase):
    """plan: PATH, with a plan file from `trueup plan --out`."""

    def make_plan(self, url):
        t = write_desired(self.path("target.yaml"), url, None,
                          auth={"type": "bearer", "token_env": "API_TOKEN"})
        recs = write_desired(self.path("records.yaml"), None, main_desired(),
                             defaults={"ttl": 3600})
        plan = self.path("plan.json")
        run = run_trueup(["plan", "--out", plan, t, recs],
                         env={"API_TOKEN": TOKEN})
        self.assertEqual(run.code, 0, run.describe())
        return plan

    def play(self, plan, *extra):
        play = write_yaml(self.path("plan-play.yml"), PLAN_PLAYBOOK)
        p = self.run_cmd(["ansible-playbook", "-i", "localhost,", "-c",
                          "local", play, "-e", "plan_path=" + plan]
                         + list(extra), {"ANSIBLE_STDOUT_CALLBACK": "json"})
        return p, self.task_result(p, "Apply the plan")

    def test_check_apply_refuse(self):
        srv = self.start_json_server(main_live())
        plan = self.make_plan(srv.url)
        before = srv.get_records()

        p, r = self.play(plan, "--check")
        self.assertEqual(p.returncode, 0, p.where)
        self.check_shape(r)
        self.assertTrue(r["changed"])
        self.assertEqual(r["mode"], "plan")
        self.assertEqual((r["counts"]["created"], r["counts"]["updated"],
                          r["counts"]["deleted"]), (3, 10, 2), r)
        self.assertEqual(srv.get_records(), before)
        self.assertFalse(os.path.exists(plan + ".applied"))

        p, r = self.play(plan)
        self.assertEqual(p.returncode, 0, p.where)
        self.check_shape(r)
        self.assertTrue(r["changed"])
        self.assertEqual(r["mode"], "apply")
        self.assertEqual(r["counts"]["succeeded"], 15, r)
        self.assertEqual(without_ids(srv.get_records()), main_expected())
        self.assertTrue(os.path.exists(plan + ".applied"))

        after = srv.get_records()
        p, r = self.play(plan)
        self.assertNotEqual(p.returncode, 0, p.where)
        self.assertIs(r["failed"], True)
        self.assertIn("was applied already", r["msg"])
        self.assertIn("nothing was pushed", r["msg"])
        self.assertEqual(srv.get_records(), after)

    def test_stale_plan_refused(self):
        srv = self.start_json_server(main_live())
        plan = self.make_plan(srv.url)
        rec = srv.get_records()[0]
        srv.request("PATCH", "/records/%s" % rec["id"], {"ttl": 5})
        before = srv.get_records()
        p, r = self.play(plan)
        self.assertIs(r["failed"], True, p.where)
        self.assertIn(rec["name"], r["msg"])
        self.assertEqual(srv.get_records(), before)


class TestShardsExample(AnsibleTestCase):
    """examples/shards/: inventory.ini (3 workers, ansible_connection=local,
    shard_index 0-2) and playbook.yml (the module with `shard`), run with
    forks 3 against one json-server."""

    SHARDS = ("shard0", "shard1", "shard2")

    def play(self, example, *extra):
        return self.run_cmd(
            ["ansible-playbook", "-i", os.path.join(example, "inventory.ini"),
             "-f", "3", os.path.join(example, "playbook.yml")] + list(extra),
            {"ANSIBLE_STDOUT_CALLBACK": "json", "API_TOKEN": TOKEN})

    def results(self, p):
        doc = json.loads(p.stdout)
        task = doc["plays"][0]["tasks"][0]
        self.assertEqual(task["task"]["name"], "Reconcile this worker's shard")
        self.assertEqual(sorted(task["hosts"]), list(self.SHARDS), p.where)
        return task["hosts"]

    def test_three_workers(self):
        srv = self.start_json_server(shards_example.live_records())
        example = shards_example.copy_example(self.path("shards"), srv.url)
        files = [os.path.join(example, f) for f in ("target.yaml",
                                                    "records.yaml")]
        whole = run_trueup(["plan"] + files, env={"API_TOKEN": TOKEN})
        self.assertEqual(whole.code, 0, whole.describe())
        whole_keys = {r["key"] for r in whole.report["results"]}
        # 24 updates, 3 creates, 7 prune deletes
        self.assertEqual(len(whole_keys), 34)

        p = self.play(example)
        self.assertEqual(p.returncode, 0, p.where)
        hosts = self.results(p)
        seen, total = {}, 0
        for h in self.SHARDS:
            r = hosts[h]
            self.assertNotIn("failed", r, r.get("msg"))
            self.assertTrue(r["changed"], h)
            total += r["counts"]["total"]
            self.assertGreater(len(r["results"]), 0, "%s has nothing" % h)
            for item in r["results"]:
                self.assertEqual(item["status"], "ok", item)
                self.assertNotIn(item["key"], seen, "%s in %s and %s"
                                 % (item["key"], seen.get(item["key"]), h))
                seen[item["key"]] = h
        self.assertEqual(set(seen), whole_keys)
        self.assertEqual(total, whole.report["total"])
        self.assertEqual(shards_example.without_ids(srv.get_records()),
                         shards_example.expected_records())

        again = self.results(self.play(example))
        for h in self.SHARDS:
            self.assertFalse(again[h]["changed"], again[h]["msg"])
            self.assertEqual(again[h]["stats"]["write_requests"], 0)


SYSTEM_PLAYBOOK = """
- name: Reconcile a system
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Tenants and the addresses naming them
      trueup.trueup.trueup:
        target:
          provider: rest
          base_url: "{{ api_url }}"
          auth: {type: bearer, token_env: API_TOKEN}
        resources:
          tenants:
            target:
              resource: {list: /tenants, key: name, create: POST /tenants}
            records: [{name: acme}]
          addresses:
            target:
              fields: {tenant: {ref: tenants}}
              resource: {list: /addresses, key: address,
                         create: POST /addresses}
            records: [{address: 10.0.0.1, tenant: acme}]
      environment:
        API_TOKEN: "{{ lookup('ansible.builtin.env', 'TU_TEST_TOKEN') }}"
"""


class TestSystem(AnsibleTestCase):

    def test_one_task_of_several_resources(self):
        srv = JsonServer([], self.tmp)
        with open(srv.db_path, "w") as f:
            json.dump({"tenants": [], "addresses": []}, f)
        self.addCleanup(srv.stop)
        srv.start()
        play = write_yaml(self.path("system.yml"), SYSTEM_PLAYBOOK)
        env = {"ANSIBLE_STDOUT_CALLBACK": "json"}
        cmd = ["ansible-playbook", "-i", "localhost,", "-c", "local", play,
               "-e", "api_url=" + srv.url]
        p = self.run_cmd(cmd + ["--check", "--diff"], env)
        self.assertEqual(p.returncode, 0, p.where)
        r = self.task_result(p, "Tenants and the addresses naming them")
        self.assertTrue(r["changed"], r)
        self.assertEqual(r["counts"]["created"], 2, r)
        headers = [d["before_header"] for d in r["diff"]]
        self.assertEqual(headers, ["tenants: acme", "addresses: 10.0.0.1"])
        self.assertEqual(srv.writes(), [])
        r = self.task_result(self.run_cmd(cmd, env),
                             "Tenants and the addresses naming them")
        self.assertEqual(r["counts"]["succeeded"], 2, r)
        self.assertEqual({x["resource"] for x in r["results"]},
                         {"tenants", "addresses"})
        tenant = srv.get_records("/tenants")[0]
        self.assertEqual(srv.get_records("/addresses")[0]["tenant"],
                         tenant["id"])
        again = self.task_result(self.run_cmd(cmd, env),
                                 "Tenants and the addresses naming them")
        self.assertFalse(again["changed"], again)


class TestExample(unittest.TestCase):

    def test_run_sh(self):
        """examples/ansible/run.sh: --check --diff, for real, again."""
        script = os.path.join(SOURCE_DIR, "examples", "ansible", "run.sh")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("ANSIBLE_")}
        env["TRUEUP_BUILD_DIR"] = os.path.dirname(ANSIBLE_DIR)
        env["ANSIBLE_NOCOLOR"] = "1"
        p = subprocess.run([script], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=180)
        where = "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (
            p.returncode, p.stdout[-6000:], p.stderr[-3000:])
        self.assertEqual(p.returncode, 0, where)
        out = p.stdout
        self.assertIn("--- before: host1.example.org.|A", out, where)
        self.assertIn("check mode: 2 to create, 6 to update, 1 to delete, "
                      "2 unchanged, 0 failed", out, where)
        self.assertIn("2 created, 6 updated, 1 deleted, 2 unchanged, 0 failed",
                      out, where)
        self.assertIn("0 created, 0 updated, 0 deleted, 11 unchanged, 0 failed "
                      "(0 write requests)", out, where)
        recaps = [line for line in out.splitlines()
                  if line.startswith("localhost ")]
        self.assertEqual(len(recaps), 3, where)
        self.assertIn("changed=1", recaps[0])
        self.assertIn("changed=1", recaps[1])
        self.assertIn("changed=0", recaps[2])
        self.assertNotIn("demo-secret-token", out + p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
