#!/usr/bin/env python3
"""The Python package as pip users get it (python/pyproject.toml, setup.py).

Offline, with Debian's build tools only (python3-venv, python3-pip,
python3-setuptools, python3-wheel, python3-build; nothing from pip's index):

- `python3 -m build --no-isolation python/` makes an sdist and a wheel, the
  wheel built from the sdist unpacked outside the repository: the sdist is
  self-contained (it carries libtrueup's sources); both are the version
  of include/trueup/trueup.h, and the wheel holds py.typed and the stub;
- that wheel installs into a bare virtual environment (no system site
  packages: it needs nothing at run time) and plans against json-server,
  and its async face runs there on asyncio without sniffio;
- a fresh virtual environment (`--system-site-packages`, for Trio, AnyIO,
  FastAPI) gets `pip install --no-build-isolation --no-index ./python`, and
  the sync suite (test_python.py) and the async suite
  (test_python_async.py) run from that install, not from the build tree;
- with TRUEUP_LIBRARY=system the extension links the libtrueup that
  `cmake --install` put in a prefix (found by pkg-config: trueup.pc);
- a missing C library's development files stop the build with a message
  naming the Debian package.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import SOURCE_DIR, JsonServer  # noqa: E402
from pytrueup import (PRELOAD, TOKEN, TOKEN_VAR, document, live,  # noqa: E402
                      want)

PYTHON = sys.executable
PACKAGE = os.path.join(SOURCE_DIR, "python")


def tu_version():
    with open(os.path.join(SOURCE_DIR, "include", "trueup",
                           "trueup.h")) as f:
        return re.search(r'^#define TU_VERSION "([^"]+)"', f.read(),
                         re.M).group(1)


def clean_env(**extra):
    """The environment of the build and of the installed package: no
    PYTHONPATH to the build tree, no sanitizer preload (pip's build is not
    sanitized)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "LD_PRELOAD", "TU_PYTHON_DIR")}
    env.update(extra)
    return env


def sh(args, cwd=None, env=None, timeout=600):
    p = subprocess.run(args, cwd=cwd, env=env or clean_env(),
                       capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (
            " ".join(args), p.returncode, p.stdout[-3000:], p.stderr[-6000:]))
    return p


@unittest.skipIf(PRELOAD, "the sanitizer build: pip's builds are not "
                 "instrumented (the plain build runs this test)")
class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tu-pypkg-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        os.environ[TOKEN_VAR] = TOKEN

    def venv(self, name, system_site):
        path = os.path.join(self.tmp, name)
        sh([PYTHON, "-m", "venv"]
           + (["--system-site-packages"] if system_site else []) + [path])
        return os.path.join(path, "bin", "python")

    def json_server(self, records):
        srv = JsonServer(records, tmpdir=self.tmp)
        self.addCleanup(srv.cleanup)
        return srv.start()

    def test_1_sdist_and_wheel_then_a_bare_venv(self):
        out = os.path.join(self.tmp, "dist")
        sh([PYTHON, "-m", "build", "--no-isolation", "--outdir", out,
            PACKAGE])
        version = tu_version()
        sdist, = glob.glob(os.path.join(out, "trueup-*.tar.gz"))
        wheel, = glob.glob(os.path.join(out, "trueup-*.whl"))
        self.assertEqual(os.path.basename(sdist), "trueup-%s.tar.gz"
                         % version)
        self.assertTrue(os.path.basename(wheel).startswith(
            "trueup-%s-" % version), wheel)
        with tarfile.open(sdist) as t:
            names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
        for needed in ("setup.py", "pyproject.toml", "_trueup.c",
                       "_trueup.h", "trueup/py.typed", "trueup/_trueup.pyi",
                       "libtrueup/include/trueup/trueup.h",
                       "libtrueup/engine/job.c", "libtrueup/state/record.c",
                       "libtrueup/util/arena.c"):
            self.assertIn(needed, names)
        self.assertFalse([n for n in names if n.startswith("build/")])
        with zipfile.ZipFile(wheel) as z:
            names = set(z.namelist())
        self.assertIn("trueup/py.typed", names)
        self.assertIn("trueup/_trueup.pyi", names)
        self.assertTrue([n for n in names if n.startswith("trueup/_trueup.")
                         and n.endswith(".so")], names)

        # The wheel alone, in a venv that sees nothing of the system's
        # packages: the blocking face, and the async face on asyncio
        # (sniffio absent: the backend is found by asking asyncio).
        py = self.venv("bare", system_site=False)
        sh([py, "-m", "pip", "install", "--no-index", wheel])
        srv = self.json_server(live(3))
        code = """if True:
            import asyncio, importlib.metadata, json, sys, trueup
            doc = json.loads(sys.argv[1])
            print(trueup.__version__, importlib.metadata.version("trueup"))
            print(trueup.Reconciler(doc).plan().updated)
            async def main():
                return (await trueup.AsyncReconciler(doc).plan()).updated
            print(asyncio.run(main()))
            try:
                import sniffio
            except ImportError:
                print("no sniffio")
            """
        doc = document(srv.url, [want(i, ttl=1) for i in range(1, 4)])
        got = sh([py, "-c", code, json.dumps(doc)], cwd=self.tmp).stdout
        self.assertEqual(got.split("\n"), [
            "%s %s" % (version, version), "3", "3", "no sniffio", ""])

    def test_2_pip_install_then_the_suites_from_the_install(self):
        py = self.venv("venv", system_site=True)
        sh([py, "-m", "pip", "install", "--no-build-isolation", "--no-index",
            PACKAGE])
        where = sh([py, "-c", "import trueup; print(trueup.__file__)"],
                   cwd=self.tmp).stdout.strip()
        self.assertTrue(where.startswith(os.path.join(self.tmp, "venv")),
                        where)
        for suite in ("test_python.py", "test_python_async.py"):
            with self.subTest(suite=suite):
                p = subprocess.run(
                    [py, os.path.join(HERE, suite)], cwd=self.tmp,
                    env=clean_env(TU_PYTHON_INSTALLED="1"), timeout=600,
                    capture_output=True, text=True, stdin=subprocess.DEVNULL)
                self.assertEqual(p.returncode, 0, p.stderr[-8000:])
                self.assertRegex(p.stderr, r"\nOK\b")

    def test_3_linking_an_installed_libtrueup(self):
        build = os.environ.get("TU_BUILD_DIR")
        if not build:
            self.skipTest("TU_BUILD_DIR is not set (ctest sets it)")
        prefix = os.path.join(self.tmp, "prefix")
        sh([os.environ.get("TU_CMAKE", "cmake"), "--install", build,
            "--prefix", prefix])
        copy = os.path.join(self.tmp, "python-copy")   # a build of its own
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns(
            "build", "*.egg-info", "dist", "libtrueup", "__pycache__"))
        py = self.venv("system", system_site=True)
        sh([py, "-m", "pip", "install", "--no-build-isolation", "--no-index",
            copy], env=clean_env(TRUEUP_LIBRARY="system",
                                 PKG_CONFIG_PATH=os.path.join(
                                     prefix, "lib", "pkgconfig")))
        ext = sh([py, "-c", "import trueup._trueup as t; print(t.__file__)"],
                 cwd=self.tmp).stdout.strip()
        linked = sh(["ldd", ext]).stdout
        self.assertIn(os.path.join(prefix, "lib", "libtrueup.so"), linked)
        srv = self.json_server(live(2))
        doc = document(srv.url, [want(1, ttl=5), want(2)])
        got = sh([py, "-c", "import json, sys, trueup; print(trueup.Reconciler("
                  "json.loads(sys.argv[1])).plan().updated)",
                  json.dumps(doc)], cwd=self.tmp).stdout.split()
        self.assertEqual(got, ["1"])

    def test_4_a_missing_library_names_its_debian_package(self):
        empty = os.path.join(self.tmp, "no-pkgconfig")
        os.makedirs(empty, exist_ok=True)
        p = subprocess.run(
            [PYTHON, "setup.py", "build_ext"], cwd=PACKAGE,
            env=clean_env(PKG_CONFIG_LIBDIR=empty, PKG_CONFIG_PATH=empty),
            capture_output=True, text=True, timeout=120)
        self.assertNotEqual(p.returncode, 0)
        for package in ("libcurl4-openssl-dev", "libjansson-dev",
                        "libyaml-dev", "libidn2-dev", "libssl-dev"):
            self.assertIn(package, p.stderr)
        self.assertIn("jansson >= 2.13", p.stderr)
        self.assertNotIn("Traceback", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
