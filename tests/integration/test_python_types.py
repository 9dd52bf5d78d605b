#!/usr/bin/env python3
"""The package's types: `mypy --strict` (Debian's python3-mypy) on the
package (its hints and the extension's stub, trueup/_trueup.pyi), on the
Python examples, the FastAPI app, and a typed test module
(python_typed_use.py, which is then run against json-server: the types
describe what the package really gives). A misuse must be an error: the
hints are there, not Any.
"""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import SOURCE_DIR  # noqa: E402
from pytrueup import Base, python_env, trueup  # noqa: E402

PACKAGE_DIR = os.path.dirname(os.path.dirname(trueup.__file__))

try:
    import mypy  # noqa: F401
except ImportError:
    mypy = None


CACHE = tempfile.TemporaryDirectory(prefix="tu-mypy-")


def run_mypy(*args, cwd=None):
    env = python_env(MYPYPATH=PACKAGE_DIR)
    env.pop("PYTHONPATH", None)   # mypy finds the package through MYPYPATH
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", CACHE.name,
         "--config-file", os.path.join(HERE, "mypy.ini"), *args],
        cwd=cwd or SOURCE_DIR, env=env, capture_output=True, text=True,
        timeout=300)


@unittest.skipIf(mypy is None, "python3-mypy is not installed")
class TypesTest(Base):
    def test_mypy_strict_passes(self):
        files = [os.path.join("examples", "python", f) for f in sorted(
            os.listdir(os.path.join(SOURCE_DIR, "examples", "python")))
            if f.endswith(".py")]
        for args in (["-p", "trueup"],
                     files + [os.path.join("examples", "fastapi", "app.py"),
                              os.path.join("tests", "integration",
                                           "python_typed_use.py")]):
            p = run_mypy(*args)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("Success: no issues found", p.stdout)

    def test_a_misuse_is_an_error(self):
        path = os.path.join(self.tmp.name, "misuse.py")
        with open(path, "w") as f:
            f.write("import trueup\n"
                    "r = trueup.Reconciler('x.yaml')\n"
                    "n: str = r.apply().succeeded\n"
                    "r.apply(concurency=4)\n"
                    "async def f() -> None:\n"
                    "    t: int = await trueup.AsyncReconciler('x').export()\n")
        p = run_mypy(path, cwd=self.tmp.name)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn('misuse.py:3: error: Incompatible types in assignment '
                      '(expression has type "int", variable has type "str")',
                      p.stdout)
        self.assertIn('misuse.py:4: error: Unexpected keyword argument '
                      '"concurency"', p.stdout)
        self.assertIn('misuse.py:6: error: Incompatible types in assignment '
                      '(expression has type "str", variable has type "int")',
                      p.stdout)

    def test_the_typed_module_runs(self):
        srv = self.json_server([])
        p = subprocess.run(
            [sys.executable, os.path.join(HERE, "python_typed_use.py")],
            env=python_env(API_URL=srv.url), capture_output=True, text=True,
            timeout=120, cwd=self.tmp.name)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertIn("typed.example.org.|A create ok 201", lines[0])
        self.assertIn("BAD_INPUT", lines[1])
        self.assertEqual(lines[-1], trueup.__version__)


if __name__ == "__main__":
    unittest.main(verbosity=2)
