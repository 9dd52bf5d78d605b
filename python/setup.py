"""setup.py -- builds the package trueup and its extension trueup._trueup
for pip and `python -m build` (pyproject.toml; docs/python.md).

The extension is the package's C files (_trueup*.c) on libtrueup, built in
one of two ways:

  sources   (the default) libtrueup's own sources are compiled into the
            extension, which then needs only the system's libcurl,
            jansson, libyaml, libidn2 and libcrypto: from a checkout
            (the sources are this directory's parent's include/, util/,
            state/ and engine/) or from an sdist (which carries them as
            libtrueup/: the sdist command below copies them in);
  system    TRUEUP_LIBRARY=system: link the libtrueup that pkg-config
            finds (trueup.pc, installed by `cmake --install`).

The version is the library's: TU_VERSION in include/trueup/trueup.h
(`pkg-config --modversion trueup` for a system library). A C library whose
development files are missing stops the build with a message naming its
Debian package.
"""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext as _build_ext
from setuptools.command.sdist import sdist as _sdist

HERE = Path(__file__).resolve().parent
LIB_DIRS = ("include", "util", "state", "engine")
VENDORED = "libtrueup"          # in an sdist: the library's sources
STAGED = Path("build") / "libtrueup"   # in a checkout: a copy to build
# pkg-config module, minimum version, Debian package
DEPS = (("libcurl", "7.88", "libcurl4-openssl-dev"),
        ("jansson", "2.13", "libjansson-dev"),
        ("yaml-0.1", None, "libyaml-dev"),
        ("libidn2", None, "libidn2-dev"),
        ("libcrypto", None, "libssl-dev"))


def fail(message):
    sys.exit("error: trueup: " + message)


def is_library(root):
    return ((root / "include" / "trueup" / "trueup.h").is_file()
            and (root / "engine").is_dir())


def library_sources():
    """The directory holding libtrueup's sources, or None."""
    for root in (HERE / VENDORED, HERE.parent):
        if is_library(root):
            return root
    return None


def pkg_config(*args):
    try:
        p = subprocess.run(["pkg-config", *args], capture_output=True,
                           text=True)
    except FileNotFoundError:
        fail("pkg-config is not installed (Debian: sudo apt-get install "
             "pkg-config); it finds the C libraries trueup needs")
    return p.stdout.split() if p.returncode == 0 else None


def check_build_deps(modules):
    """Stop with the Debian packages to install when a header or library
    is missing: Python's own headers, or a pkg-config module."""
    missing = []
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC")
          or "cc").split()[0]
    if not shutil.which(cc):
        missing.append(("a C compiler (%s)" % cc, "build-essential"))
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        missing.append(("Python.h", "python3-dev"))
    for name, minimum, package in modules:
        spec = name if minimum is None else "%s >= %s" % (name, minimum)
        if pkg_config("--exists", spec) is None:
            missing.append((spec, package))
    if missing:
        fail("cannot build the extension: missing %s.\nInstall what is "
             "missing (Debian: sudo apt-get install %s) and run "
             "the build again."
             % (", ".join(what for what, _ in missing),
                " ".join(sorted({pkg for _, pkg in missing}))))


def header_version(root):
    text = (root / "include" / "trueup" / "trueup.h").read_text()
    m = re.search(r'^#define TU_VERSION "([^"]+)"', text, re.M)
    if not m:
        fail("no TU_VERSION in %s/include/trueup/trueup.h" % root)
    return m.group(1)


def stage(root):
    """The library's sources as paths relative to this directory (as
    setuptools wants them): the sdist's own, or a copy of a checkout's in
    build/ (objects are then kept under build/ too)."""
    if root == HERE / VENDORED:
        return Path(VENDORED)
    dest = HERE / STAGED
    for d in LIB_DIRS:
        if (dest / d).exists():
            shutil.rmtree(dest / d)
        shutil.copytree(root / d, dest / d,
                        ignore=shutil.ignore_patterns("*.o", "__pycache__"))
    return STAGED


def flags(modules):
    """(include dirs, cflags, libraries, library dirs, rpath) from
    pkg-config."""
    cflags = pkg_config("--cflags", *modules) or []
    libs = pkg_config("--libs", *modules) or []
    return ([f[2:] for f in cflags if f.startswith("-I")],
            [f for f in cflags if not f.startswith("-I")],
            [f[2:] for f in libs if f.startswith("-l")],
            [f[2:] for f in libs if f.startswith("-L")])


def extension():
    """(the Extension, the version)."""
    own = sorted(str(p.relative_to(HERE)) for p in HERE.glob("_trueup*.c"))
    root = None if os.environ.get("TRUEUP_LIBRARY") == "system" \
        else library_sources()
    if root is None:
        check_build_deps((("trueup", None, "trueup (cmake --install: see "
                           "docs/library.md)"), DEPS[0]))
        version = pkg_config("--modversion", "trueup")[0]
        inc, cflags, libs, libdirs = flags(("trueup", "libcurl"))
        return Extension("trueup._trueup", own, include_dirs=inc + ["."],
                         extra_compile_args=cflags, libraries=libs,
                         library_dirs=libdirs, runtime_library_dirs=libdirs,
                         ), version
    check_build_deps(DEPS)
    version = header_version(root)
    base = stage(root)
    sources = own + sorted(
        str(p.relative_to(HERE)) for d in ("util", "state", "engine",
                                           "engine/providers")
        for p in (HERE / base / d).glob("*.c"))
    inc, cflags, libs, libdirs = flags([m for m, _, _ in DEPS])
    return Extension(
        "trueup._trueup", sources,
        include_dirs=[str(base / "include"), str(base), "."] + inc,
        define_macros=[("_POSIX_C_SOURCE", "200809L")],
        # every library symbol hidden, as in libtrueup.so
        extra_compile_args=["-std=c11", "-fvisibility=hidden"] + cflags,
        libraries=libs + ["m"], library_dirs=libdirs,
        extra_link_args=["-pthread"]), version


class build_ext(_build_ext):
    """Compiles on every CPU unless told otherwise (-j N)."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1


class sdist(_sdist):
    """An sdist that builds anywhere: the library's sources go in as
    libtrueup/ (from the checkout, or from the sdist being repacked)."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        root = library_sources()
        if root is None:
            fail("an sdist needs libtrueup's sources (run it in a trueup "
                 "checkout's python/)")
        for d in LIB_DIRS:
            shutil.copytree(root / d, Path(base_dir) / VENDORED / d,
                            ignore=shutil.ignore_patterns("*.o",
                                                          "__pycache__"))


def version_only():
    """The version without checking build dependencies (sdist, egg_info)."""
    root = None if os.environ.get("TRUEUP_LIBRARY") == "system" \
        else library_sources()
    if root is not None:
        return header_version(root)
    found = pkg_config("--modversion", "trueup")
    if not found:
        fail("no libtrueup: neither its sources (a trueup checkout, or an "
             "sdist) nor an installed trueup.pc")
    return found[0]


BUILDS = {"build", "build_ext", "bdist_wheel", "install", "develop",
          "editable_wheel", "bdist"}
if BUILDS.intersection(sys.argv[1:]):
    ext, version = extension()
    ext_modules = [ext]
else:
    ext_modules, version = [], version_only()

setup(version=version, ext_modules=ext_modules,
      packages=["trueup"], package_data={"trueup": ["py.typed", "*.pyi"]},
      zip_safe=False, cmdclass={"build_ext": build_ext, "sdist": sdist})
