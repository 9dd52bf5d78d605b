#!/usr/bin/env python3
"""The installed library: `cmake --install` into a temporary prefix, then a
small C program built against it twice, once with pkg-config (trueup.pc) and
once with CMake's find_package(trueup) (target trueup::trueup), and run
against a real json-server: the program of docs/library.md, which plans a
desired state and prints the counts, and prints the error kind for a file
that does not exist and for a target nothing listens on. Also: the
installed files and their links are there, the shared object's SONAME is
libtrueup.so.MAJOR.MINOR, an internal function cannot be linked from it,
and find_package refuses an incompatible version.

TU_BUILD_DIR names the build directory (tests/CMakeLists.txt); TU_CC and
TU_CFLAGS the compiler and flags the build used (sanitizers)."""

import glob
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (JsonServer, free_port, target_yaml,  # noqa: E402
                     write_yaml)

BUILD = os.environ.get("TU_BUILD_DIR", "")
CC = os.environ.get("TU_CC") or "cc"
CFLAGS = shlex.split(os.environ.get("TU_CFLAGS", ""))

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "docs", "library.md")


def docs_program():
    """The C program of docs/library.md: its first ```c block."""
    with open(DOCS, encoding="utf-8") as f:
        text = f.read()
    start = text.index("```c\n") + len("```c\n")
    return text[start:text.index("```\n", start)]


CMAKELISTS = """
cmake_minimum_required(VERSION 3.25)
project(plan LANGUAGES C)
find_package(trueup %s REQUIRED)
add_executable(plan plan.c)
target_link_libraries(plan PRIVATE trueup::trueup)
"""

INTERNAL = r"""
/* tu_error_set is libtrueup's own (state/error.h): not exported. */
#include <trueup/trueup.h>
void tu_error_set(tu_error *err, tu_error_code code, const char *fmt, ...);
int main(void)
{
    tu_error err = {0};
    tu_error_set(&err, TU_ERR_IO, "x");
    return 0;
}
"""


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                          **kw)


def version():
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith("CMAKE_PROJECT_VERSION:"):
                return line.strip().split("=", 1)[1]
    raise RuntimeError("no CMAKE_PROJECT_VERSION in the CMake cache")


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BUILD or not os.path.isdir(BUILD):
            raise RuntimeError("TU_BUILD_DIR is not a build directory")
        cls.tmp = tempfile.mkdtemp(prefix="tu-install-")
        # removed even when this method fails half-way (class cleanups run
        # then; tearDownClass does not)
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.prefix = os.path.join(cls.tmp, "prefix")
        done = run(["cmake", "--install", BUILD, "--prefix", cls.prefix])
        if done.returncode != 0:
            raise RuntimeError("cmake --install failed:\n" + done.stdout +
                               done.stderr)
        libs = glob.glob(os.path.join(cls.prefix, "lib*", "**",
                                      "libtrueup.so"), recursive=True)
        if len(libs) != 1:
            raise RuntimeError("libtrueup.so installed %d times" % len(libs))
        cls.libdir = os.path.dirname(libs[0])
        cls.version = version()
        cls.src = os.path.join(cls.tmp, "src")
        os.mkdir(cls.src)
        with open(os.path.join(cls.src, "plan.c"), "w") as f:
            f.write(docs_program())
        cls.server = JsonServer([
            {"id": 1, "name": "www", "type": "A", "ttl": 300},
            {"id": 2, "name": "mail", "type": "A", "ttl": 300}])
        try:
            cls.server.start()
        except Exception:
            cls.server.cleanup()
            raise
        cls.desired = write_yaml(
            os.path.join(cls.tmp, "desired.yaml"),
            target_yaml(cls.server.url) +
            "records:\n"
            "  - {name: www, type: A, ttl: 300}\n"
            "  - {name: mail, type: A, ttl: 600}\n"
            "  - {name: ftp, type: A, ttl: 300}\n")
        cls.unreachable = write_yaml(
            os.path.join(cls.tmp, "unreachable.yaml"),
            target_yaml("http://127.0.0.1:%d/" % free_port()) +
            "settings: {retries: 0}\n")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def env(self):
        env = dict(os.environ)
        env["PKG_CONFIG_PATH"] = os.path.join(self.libdir, "pkgconfig")
        env.pop("LD_LIBRARY_PATH", None)
        return env

    def assert_uses_installed_library(self, exe, env):
        ldd = run(["ldd", exe], env=env).stdout
        found = [line.split("=>")[1].split()[0] for line in ldd.splitlines()
                 if "libtrueup.so" in line and "=>" in line]
        self.assertEqual(len(found), 1, ldd)
        self.assertEqual(os.path.realpath(found[0]), os.path.realpath(
            os.path.join(self.libdir, "libtrueup.so." + self.version)))

    def check_program(self, exe):
        """The program runs on the installed library and plans right."""
        env = dict(os.environ, LD_LIBRARY_PATH=self.libdir)
        self.assert_uses_installed_library(exe, env)
        done = run([exe, self.desired], env=env)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(done.stdout, "1 to create, 1 to update, 1 in sync\n")
        done = run([exe, os.path.join(self.tmp, "nonexistent.yaml")], env=env)
        self.assertEqual(done.returncode, 1)
        self.assertTrue(done.stderr.startswith("io error: "), done.stderr)
        self.assertIn("nonexistent.yaml: cannot read", done.stderr)
        # a target nothing listens on: the kind tells the program
        done = run([exe, self.unreachable], env=env)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertTrue(done.stderr.startswith("fetch error: "), done.stderr)

    def test_files(self):
        major, minor = self.version.split(".")[:2]
        so = os.path.join(self.libdir, "libtrueup.so")
        self.assertTrue(os.path.isfile(so + "." + self.version))
        self.assertEqual(os.readlink(so), "libtrueup.so.%s.%s" % (major, minor))
        self.assertEqual(os.readlink(so + ".%s.%s" % (major, minor)),
                         "libtrueup.so." + self.version)
        dyn = run(["readelf", "-d", so]).stdout
        self.assertIn("Library soname: [libtrueup.so.%s.%s]" % (major, minor),
                      dyn)
        for rel in ["include/trueup/trueup.h", "bin/trueup",
                    "include/trueup/adapters/poll.h",
                    "include/trueup/adapters/slots.h",
                    "share/man/man1/trueup.1",
                    "share/bash-completion/completions/trueup"]:
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, rel)),
                            rel)
        cmake_dir = os.path.join(self.libdir, "cmake", "trueup")
        for name in ["trueupConfig.cmake", "trueupConfigVersion.cmake",
                     "trueupTargets.cmake"]:
            self.assertTrue(os.path.isfile(os.path.join(cmake_dir, name)),
                            name)
        # no internal static library, no build-tree path in the package
        self.assertEqual(glob.glob(os.path.join(self.libdir, "*.a")), [])
        with open(os.path.join(self.libdir, "pkgconfig", "trueup.pc")) as f:
            self.assertNotIn(BUILD, f.read())

    def test_installed_command_runs(self):
        env = dict(os.environ)
        env.pop("LD_LIBRARY_PATH", None)
        done = run([os.path.join(self.prefix, "bin", "trueup"), "--version"],
                   env=env)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(done.stdout.startswith("trueup %s " % self.version))
        # found through its RUNPATH, $ORIGIN/../lib
        self.assert_uses_installed_library(
            os.path.join(self.prefix, "bin", "trueup"), env)

    def test_pkg_config(self):
        env = self.env()
        mod = run(["pkg-config", "--modversion", "trueup"], env=env)
        self.assertEqual(mod.stdout.strip(), self.version, mod.stderr)
        flags = run(["pkg-config", "--cflags", "--libs", "trueup"], env=env)
        self.assertEqual(flags.returncode, 0, flags.stderr)
        exe = os.path.join(self.tmp, "plan-pkgconfig")
        built = run([CC, *CFLAGS, "-o", exe,
                     os.path.join(self.src, "plan.c"),
                     *shlex.split(flags.stdout)], env=env)
        self.assertEqual(built.returncode, 0, built.stderr)
        self.check_program(exe)

    def test_internal_symbols_cannot_be_linked(self):
        env = self.env()
        src = os.path.join(self.tmp, "internal.c")
        with open(src, "w") as f:
            f.write(INTERNAL)
        flags = run(["pkg-config", "--cflags", "--libs", "trueup"], env=env)
        built = run([CC, *CFLAGS, "-o", os.path.join(self.tmp, "internal"),
                     src, *shlex.split(flags.stdout)], env=env)
        self.assertNotEqual(built.returncode, 0)
        self.assertIn("undefined reference to `tu_error_set'", built.stderr)

    def cmake_project(self, name, wanted_version):
        src = os.path.join(self.tmp, name)
        os.mkdir(src)
        shutil.copy(os.path.join(self.src, "plan.c"), src)
        with open(os.path.join(src, "CMakeLists.txt"), "w") as f:
            f.write(CMAKELISTS % wanted_version)
        return run(["cmake", "-S", src, "-B", os.path.join(src, "build"),
                    "-DCMAKE_PREFIX_PATH=" + self.prefix,
                    "-DCMAKE_C_COMPILER=" + CC,
                    "-DCMAKE_C_FLAGS=" + " ".join(CFLAGS)], env=self.env())

    def test_cmake_find_package(self):
        major, minor = self.version.split(".")[:2]
        conf = self.cmake_project("cmake-ok", "%s.%s" % (major, minor))
        self.assertEqual(conf.returncode, 0, conf.stdout + conf.stderr)
        build = os.path.join(self.tmp, "cmake-ok", "build")
        built = run(["cmake", "--build", build], env=self.env())
        self.assertEqual(built.returncode, 0, built.stdout + built.stderr)
        self.check_program(os.path.join(build, "plan"))

    def test_cmake_refuses_another_version(self):
        conf = self.cmake_project("cmake-newer", "99.0")
        self.assertNotEqual(conf.returncode, 0)
        self.assertIn('compatible with requested version "99.0"',
                      " ".join(conf.stderr.split()))


if __name__ == "__main__":
    unittest.main()
