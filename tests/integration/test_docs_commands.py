#!/usr/bin/env python3
"""Every `trueup` command the docs show, checked against the program.

Reads the command lines of README.md, docs/**/*.md and examples/**/*.md
(lines of code blocks that start with `trueup plan|apply|export|watch`, or `$ `
and one of those) and:

1. **Static, every command.** Its subcommand exists and every option it
   uses is one `trueup --help` lists, with a value where the option takes
   one (and one of json/text/markdown for --format). A doc that shows an
   option the program does not have fails here.
2. **Run, every command that can run here.** The commands of one doc file
   run in order, in a fresh directory holding the quickstart's
   `target.yaml` and `records.yaml` (examples/quickstart/) against a
   fresh json-server, with the other files the commands write themselves
   (report.json, plan.json, plan.md, current.yaml, adopted.yaml). Each must
   exit as the doc says: 0, or 2 for `plan --detailed-exitcode` while
   changes are pending; its trailing comment's claim is checked where it
   makes one ("# must show no change", "# nothing to do"); a written report
   or plan file must be what it claims to be.
3. **The others are accounted for.** A command that names other files
   (a zone file, a recipe) must be listed in COVERED_ELSEWHERE with the test
   that runs it, so that a new doc command is either runnable here or
   knowingly tested elsewhere; a stale entry (no doc shows it any more)
   fails too.
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

from harness import (SOURCE_DIR, JsonServer, run_trueup,  # noqa: E402
                     trueup_binary)

DOCS = sorted(
    [os.path.join(SOURCE_DIR, "README.md")]
    + glob.glob(os.path.join(SOURCE_DIR, "docs", "**", "*.md"), recursive=True)
    + glob.glob(os.path.join(SOURCE_DIR, "examples", "**", "*.md"),
                recursive=True))
COMMAND = re.compile(r"^\s*(?:\$ )?(trueup (?:plan|apply|export|watch)\b.*)$")
# The files a runnable command may name: the quickstart's, and those the
# commands themselves write.
RUNNABLE_FILES = {"target.yaml", "records.yaml", "report.json", "plan.json",
                  "plan.md", "current.yaml", "adopted.yaml", "applied.md"}
# Commands naming other files, and the test that runs them (relative doc
# path -> {command: test}).
COVERED_ELSEWHERE = {
    "docs/powerdns.md": {
        "trueup plan  dns.yaml": "test_powerdns (a zone file of its own)",
        "trueup apply dns.yaml": "test_powerdns",
    },
    "docs/recipes/netbox.md": {
        "trueup plan --format text netbox.yaml":
            "test_system_drf (the recipe's system file)",
        "trueup apply netbox.yaml": "test_system_drf",
        "trueup apply --prune netbox.yaml": "test_system_drf (OrderTest)",
        "trueup export netbox-target.yaml > netbox-records.yaml":
            "test_system_drf (the file without its records)",
        "trueup plan netbox-target.yaml netbox-records.yaml":
            "test_system_drf",
    },
    "docs/recipes/rabbitmq.md": {
        "trueup plan  docs/recipes/rabbitmq.yaml":
            "test_system_rabbitmq (the recipe's system file)",
        "trueup apply docs/recipes/rabbitmq.yaml": "test_system_rabbitmq",
        "trueup apply --prune docs/recipes/rabbitmq.yaml":
            "test_system_rabbitmq (TestPrune)",
        "trueup export rabbitmq-target.yaml > broker-records.yaml":
            "test_system_rabbitmq (the file without its records)",
        "trueup plan   rabbitmq-target.yaml broker-records.yaml":
            "test_system_rabbitmq",
    },
    "docs/systems.md": {
        "trueup plan  broker.yaml": "test_system_rabbitmq (a whole broker)",
        "trueup apply broker.yaml": "test_system_rabbitmq",
        "trueup apply --prune broker.yaml": "test_system_rabbitmq",
    },
    "docs/recipes/solidserver.md": {
        "trueup export docs/recipes/solidserver/records.yaml > dns.yaml":
            "test_solidserver (the recipe's file, against the simulator)",
        "trueup plan  docs/recipes/solidserver/records.yaml dns.yaml":
            "test_solidserver",
        "trueup apply docs/recipes/solidserver/records.yaml dns.yaml":
            "test_solidserver",
        "trueup apply docs/recipes/solidserver/records.yaml "
        "--match rr_type=A --set ttl=600":
            "test_examples (examples/solidserver-ttl/run.sh)",
    },
    "docs/recipes/porkbun.md": {
        "trueup export docs/recipes/porkbun/records.yaml > example.com.yaml":
            "test_porkbun (the recipe's file, against the simulator)",
        "trueup plan  docs/recipes/porkbun/records.yaml example.com.yaml":
            "test_porkbun",
        "trueup apply docs/recipes/porkbun/records.yaml example.com.yaml":
            "test_porkbun",
    },
    "docs/recipes/honeycomb.md": {
        "trueup plan  docs/recipes/honeycomb/triggers.yaml my-triggers.yaml":
            "test_honeycomb (the recipe's files, against the simulator)",
        "trueup apply docs/recipes/honeycomb/triggers.yaml my-triggers.yaml":
            "test_honeycomb",
        "trueup apply docs/recipes/honeycomb/slos.yaml my-slos.yaml":
            "test_honeycomb",
        "trueup export docs/recipes/honeycomb/triggers.yaml > triggers.yaml":
            "test_honeycomb",
    },
    "examples/solidserver-ttl/README.md": {
        "trueup plan  target.yaml --match rr_type=A --set ttl=600":
            "test_examples (examples/solidserver-ttl/run.sh, the simulator)",
        "trueup apply target.yaml --match rr_type=A --set ttl=600":
            "test_examples",
    },
    "examples/bulk-ttl/README.md": {
        "trueup plan  target.yaml --match type=A --set ttl=600":
            "test_examples (examples/bulk-ttl/run.sh, PowerDNS)",
        "trueup apply target.yaml --match type=A --set ttl=600":
            "test_examples",
        "trueup apply target.yaml --match type=A --set ttl=600":
            "test_examples",
    },
    "examples/gitops/README.md": {
        "trueup plan --out plan.json --format markdown -o plan.md "
        "--detailed-exitcode trueup/target.yaml trueup/records.yaml":
            "test_gitops (the CI files' lines, as written)",
        "trueup apply --format markdown -o applied.md plan.json":
            "test_gitops",
    },
    "docs/watch.md": {
        "trueup watch --interval 30 quickstart=target.yaml,records.yaml":
            "test_watch (report-only passes against json-server)",
        "trueup watch --apply --interval 30 "
        "quickstart=target.yaml,records.yaml": "test_watch (drift corrected)",
    },
    "examples/shards/README.md": {
        "trueup apply --shard $(JOB_COMPLETION_INDEX)/4 "
        "/etc/trueup/target.yaml /etc/trueup/records.yaml":
            "test_gitops (shards_example.py: the Job's command)",
    },
}
# Synopsis lines: a form, not a command to run.
SYNOPSIS = re.compile(r"\[options\]|FILE\.\.\.|PLANFILE|\bI/N\b")
TOKEN = "docs-commands-token-4c1e"


def doc_commands():
    """{relative doc path: [(line number, command text), ...]} of the
    command lines inside code blocks."""
    out = {}
    for path in DOCS:
        rel = os.path.relpath(path, SOURCE_DIR)
        in_code = False
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.lstrip().startswith("```"):
                    in_code = not in_code
                    continue
                m = COMMAND.match(line) if in_code else None
                if m:
                    out.setdefault(rel, []).append((n, m.group(1).rstrip()))
    return out


def split(command):
    """(words, redirect target or None, trailing comment)."""
    text, _, comment = command.partition(" #")
    words = shlex.split(text)
    redirect = None
    if ">" in words:
        i = words.index(">")
        redirect = words[i + 1]
        words = words[:i]
    return words, redirect, comment.strip()


def help_options():
    """{option: takes a value} from `trueup --help`."""
    text = subprocess.run([os.environ.get("TU_REAL_TRUEUP") or
                           trueup_binary(), "--help"], capture_output=True,
                          text=True, check=True).stdout
    opts = {}
    for m in re.finditer(r"^  (?:(-\w), )?\s*(--[\w-]+)(?: ([A-Z][A-Z/=.]*))?",
                         text, re.M):
        for name in filter(None, (m.group(1), m.group(2))):
            opts[name] = m.group(3) is not None
    return opts


class DocsCommandsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.commands = doc_commands()
        cls.options = help_options()

    def test_found_the_commands(self):
        self.assertIn("README.md", self.commands)
        self.assertGreater(sum(len(v) for v in self.commands.values()), 20)

    def test_every_option_exists(self):
        for doc, lines in self.commands.items():
            for n, command in lines:
                with self.subTest(doc=doc, line=n):
                    self.check_options(command)

    def check_options(self, command):
        words, _, _ = split(command)
        self.assertIn(words[1], ("plan", "apply", "export", "watch"))
        i = 2
        while i < len(words):
            w = words[i]
            name = w.split("=", 1)[0]
            if w.startswith("-") and name not in ("-", "--"):
                self.assertIn(name, self.options,
                              "%s: no such option in trueup --help" % w)
                if self.options[name] and "=" not in w:
                    i += 1
                    self.assertLess(i, len(words), "%s needs a value" % w)
                    if name in ("-f", "--format"):
                        self.assertIn(words[i], ("json", "text", "markdown"))
            i += 1

    def runnable(self, doc, command):
        """A command runs here when every command of its doc does: the
        commands of a doc build on each other (a plan file, an export)."""
        return doc not in COVERED_ELSEWHERE and all(
            self.runnable_alone(c) for _, c in self.commands[doc]
            if not SYNOPSIS.search(c))

    def runnable_alone(self, command):
        words, redirect, _ = split(command)
        files = [w for w in words[2:] if not w.startswith("-")
                 and ("." in w or "/" in w) and "=" not in w]
        if redirect:
            files.append(redirect)
        return all(f in RUNNABLE_FILES for f in files)

    def test_the_others_are_covered_elsewhere(self):
        seen = set()
        for doc, lines in self.commands.items():
            for n, command in lines:
                if SYNOPSIS.search(command) or self.runnable(doc, command):
                    continue
                text = split(command)[0]
                key = " ".join(command.partition(" #")[0].split())
                listed = {" ".join(k.split()): v for k, v in
                          COVERED_ELSEWHERE.get(doc, {}).items()}
                with self.subTest(doc=doc, line=n):
                    self.assertIn(key, listed, "%s:%d: '%s' cannot run "
                                  "here: make it runnable or list the test "
                                  "that runs it in COVERED_ELSEWHERE"
                                  % (doc, n, command))
                seen.add((doc, key))
                self.assertTrue(text)
        for doc, entries in COVERED_ELSEWHERE.items():
            for command in entries:
                with self.subTest(stale=command):
                    self.assertIn((doc, " ".join(command.split())), seen,
                                  "COVERED_ELSEWHERE lists a command no doc "
                                  "shows any more")

    def test_run_each_doc(self):
        ran = 0
        for doc, lines in sorted(self.commands.items()):
            runnable = [(n, c) for n, c in lines
                        if not SYNOPSIS.search(c) and self.runnable(doc, c)]
            if runnable:
                with self.subTest(doc=doc):
                    self.run_doc(doc, runnable)
                ran += len(runnable)
        self.assertGreaterEqual(ran, 8)

    def sandbox(self):
        work = tempfile.mkdtemp(prefix="tu-docs-")
        self.addCleanup(shutil.rmtree, work, True)
        quick = os.path.join(SOURCE_DIR, "examples", "quickstart")
        with open(os.path.join(quick, "db.json")) as f:
            db = json.load(f)
        srv = JsonServer(db["records"], tmpdir=work)
        self.addCleanup(srv.cleanup)
        srv.start()
        with open(os.path.join(quick, "target.yaml.in")) as f:
            target = f.read().replace("@PORT@", str(srv.port))
        with open(os.path.join(work, "target.yaml"), "w") as f:
            f.write(target)
        shutil.copy(os.path.join(quick, "records.yaml"), work)
        return work

    def run_doc(self, doc, commands):
        work = self.sandbox()
        env = {"API_TOKEN": TOKEN, "TRUEUP_PLAN_KEY": None}
        for n, command in commands:
            words, redirect, comment = split(command)
            code, out, err = run_trueup(words[1:], env=env, cwd=work)
            where = "%s:%d: %s" % (doc, n, command)
            self.assertNotIn(TOKEN, out + err, where)
            allowed = (0, 2) if "--detailed-exitcode" in words else (0,)
            self.assertIn(code, allowed, "%s exited %d: %s" % (where, code,
                                                               err))
            if redirect:
                with open(os.path.join(work, redirect), "w") as f:
                    f.write(out)
            self.check_claim(where, words, redirect, comment, code, out,
                             work)

    def check_claim(self, where, words, redirect, comment, code, out, work):
        if "no change" in comment or "nothing to do" in comment:
            self.assertIn('"changed": false', out, where)
        if "0 no drift, 2 drift" in comment:
            # the claim: 2 while changes are pending, 0 once applied
            self.assertEqual(code, 2 if '"changed": true' in
                             run_trueup(["plan"] + words[-2:],
                                        env={"API_TOKEN": TOKEN},
                                        cwd=work)[1] else 0, where)
        if redirect == "report.json":
            report = json.loads(out)
            self.assertEqual(report["mode"], words[1], where)
        if redirect and redirect.endswith(".yaml"):
            self.assertIn("records:", out, where)
        if "--out" in words:
            with open(os.path.join(work, words[words.index("--out") + 1])) as f:
                self.assertEqual(json.load(f)["format"], "trueup-plan", where)


if __name__ == "__main__":
    unittest.main()
