#!/usr/bin/env python3
"""The Python examples (examples/python/), run as a reader runs them,
against json-server; and docs/python.md shows each of them as it is.

Each example reads the API's address and token from API_URL and
API_TOKEN. The FastAPI example (examples/fastapi/) is test_python.py's;
mypy --strict over all of them is test_python_types.py's.
"""

import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import SOURCE_DIR, by_key  # noqa: E402
from pytrueup import TOKEN, Base, python_env  # noqa: E402

EXAMPLES = os.path.join(SOURCE_DIR, "examples", "python")
DOC = os.path.join(SOURCE_DIR, "docs", "python.md")

try:
    import trio  # noqa: F401
except ImportError:
    trio = None
try:
    import anyio  # noqa: F401
except ImportError:
    anyio = None


class ExamplesTest(Base):
    def run_example(self, name, *args):
        srv = self.json_server([])
        p = subprocess.run(
            [sys.executable, os.path.join(EXAMPLES, name), *args],
            env=python_env(API_URL=srv.url, API_TOKEN=TOKEN), cwd=self.tmp.name,
            capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNoSecret(p.stdout + p.stderr)
        return p.stdout, srv

    def test_blocking(self):
        out, srv = self.run_example("blocking.py")
        self.assertIn("<trueup.Report plan: 4 to create, 0 to update", out)
        self.assertIn("  done: web-1.example.org.|A ok", out)
        self.assertIn("applied: 4 succeeded, 0 failed", out)
        self.assertIn("bulk: 4 updated", out)
        self.assertIn("did you mean 'concurrency'", out)
        m = re.search(r"cancelled run: (\d+) succeeded \+ (\d+) failed of "
                      r"(\d+)", out)
        self.assertEqual(int(m.group(1)) + int(m.group(2)), 40)
        got = by_key(srv.get_records())
        self.assertEqual(got["web-1.example.org.|A"]["ttl"], 600)

    def test_asyncio(self):
        out, srv = self.run_example("asyncio_tenants.py")
        self.assertIn("plan: create red-4.example.org.|A", out)
        for line in ("red: 4 created", "green: 2 created", "blue: 3 created",
                     "blue: 3 updated", "refused: THRESHOLD"):
            self.assertIn(line, out)
        self.assertEqual(len(srv.get_records()), 9)

    @unittest.skipIf(trio is None, "python3-trio is not installed")
    def test_trio(self):
        out, srv = self.run_example("trio_program.py")
        for line in ("alpha: 5 created, 0 failed", "beta: 3 created, 0 failed",
                     "gamma: 4 created, 0 failed", "delta cancelled: True"):
            self.assertIn(line, out)
        m = re.search(r"delta again: (\d+) created, (\d+) unchanged", out)
        self.assertEqual(int(m.group(1)) + int(m.group(2)), 6)
        names = sorted(r["name"] for r in srv.get_records())
        self.assertEqual(len(names), 18)
        self.assertEqual(len(set(names)), 18, "no record twice")

    @unittest.skipIf(anyio is None or trio is None,
                     "python3-anyio and python3-trio are not installed")
    def test_anyio_on_both(self):
        for backend in ("asyncio", "trio"):
            with self.subTest(backend=backend):
                out, srv = self.run_example("anyio_any_loop.py", backend)
                self.assertIn("created: [('north', 3), ('south', 2)]", out)
                self.assertEqual(out.count("streamed: "), 3)
                self.assertEqual(len(srv.get_records()), 8)


def doc_blocks():
    """{example path: the ```python block under its marker} of python.md."""
    with open(DOC) as f:
        text = f.read()
    return dict(re.findall(r"<!-- example: (\S+) -->\n```python\n(.*?)```\n",
                           text, re.S))


class DocsShowTheExamplesTest(unittest.TestCase):
    def test_each_example_is_shown_as_it_is(self):
        blocks = doc_blocks()
        for name in ("blocking.py", "asyncio_tenants.py", "trio_program.py",
                     "anyio_any_loop.py"):
            path = "examples/python/" + name
            with self.subTest(example=name):
                self.assertIn(path, blocks)
                with open(os.path.join(SOURCE_DIR, path)) as f:
                    self.assertEqual(blocks[path], f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
