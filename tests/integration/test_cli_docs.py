#!/usr/bin/env python3
"""trueup(1) and the bash completion agree with `trueup --help`.

The build makes both from the built command's --help (cli/gen_cli_docs.py,
build/trueup.1 and build/trueup.bash). This test reads the files the build
made: every option --help lists is in the manual page and offered by the
completion; the page renders with groff's warnings on, none raised; and the
completion, run in a real bash, completes the commands, option names, and
the values of --format.
"""

import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import SOURCE_DIR, trueup_binary  # noqa: E402

BUILD = os.environ.get("TU_BUILD_DIR") or os.path.dirname(trueup_binary())
REAL = os.environ.get("TU_REAL_TRUEUP") or trueup_binary()
GEN = os.path.join(SOURCE_DIR, "cli", "gen_cli_docs.py")


def read(name):
    with open(os.path.join(BUILD, name), encoding="utf-8") as f:
        return f.read()


def complete(words):
    """What the completion offers for the command line `words` (the last
    one is being typed)."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); '
              'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _trueup; '
              'printf "%s\\n" "${COMPREPLY[@]}"')
    run = subprocess.run(["bash", "-c", script, "bash",
                          os.path.join(BUILD, "trueup.bash")] + words,
                         capture_output=True, text=True, timeout=30)
    if run.returncode != 0:
        raise AssertionError(run.stderr)
    return [x for x in run.stdout.splitlines() if x]


class CliDocsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.options = subprocess.run(
            [sys.executable, GEN, "options", REAL], capture_output=True,
            text=True, check=True).stdout.split()

    def test_every_option_is_documented_and_completed(self):
        self.assertIn("--concurrency", self.options)
        self.assertGreater(len(self.options), 15)
        page = read("trueup.1").replace("\\-", "-")
        completion = read("trueup.bash")
        for opt in self.options:
            self.assertIn("fB%s" % opt, page.replace("\\fB--", "fB--"), opt)
            self.assertIn(opt, completion, opt)

    def test_page_renders_without_warnings(self):
        if not shutil.which("groff"):
            if os.environ.get("CI"):
                self.fail("CI must have groff (.ci/deps: groff-base)")
            self.skipTest("groff is not installed")
        run = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z",
                              os.path.join(BUILD, "trueup.1")],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stderr, "")
        text = subprocess.run(["groff", "-man", "-Tutf8",
                               os.path.join(BUILD, "trueup.1")],
                              capture_output=True, text=True,
                              timeout=30).stdout
        text = re.sub(".\b", "", text)      # groff's overstruck bold
        for section in ("SYNOPSIS", "OPTIONS", "EXIT STATUS", "ENVIRONMENT",
                        "SEE ALSO"):
            self.assertIn(section, text)

    def test_completion(self):
        self.assertEqual(complete(["trueup", "ap"]), ["apply"])
        self.assertEqual(sorted(complete(["trueup", "plan", "--for"])),
                         ["--force", "--format"])
        self.assertEqual(sorted(complete(["trueup", "plan", "--format", ""])),
                         ["json", "markdown", "text"])
        self.assertEqual(complete(["trueup", "plan", "-c", ""]), [])

    def test_generator_refuses_what_it_cannot_read(self):
        fake = os.path.join(BUILD, "fake-trueup.sh")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\nprintf 'Usage: x\\n\\nd\\n\\nOptions:\\n"
                    "what is this\\n'\n")
        os.chmod(fake, 0o755)
        self.addCleanup(os.remove, fake)
        run = subprocess.run([sys.executable, GEN, "man", fake, "1"],
                             capture_output=True, text=True)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("cannot read this --help line", run.stderr)


if __name__ == "__main__":
    unittest.main()
