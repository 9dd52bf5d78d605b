"""What the Python package's test suites share (test_python.py, the
blocking face and the package's other parts; test_python_async.py, the
async face on every library): where `trueup` is imported from, the
desired-state documents they reconcile, and their base TestCase.

The package is imported from the build directory (TU_PYTHON_DIR, set by
ctest; default <repo>/build/python), or, with TU_PYTHON_INSTALLED=1 (set
by test_python_package.py, which runs the suites in a fresh virtual
environment), from wherever the interpreter finds it: then it must not be
the build tree's.
"""

import os
import sys
import tempfile
import unittest

from harness import SOURCE_DIR, JsonServer, RecordingServer, host

INSTALLED = os.environ.get("TU_PYTHON_INSTALLED") == "1"
if not INSTALLED:
    sys.path.insert(0, os.environ.get("TU_PYTHON_DIR")
                    or os.path.join(SOURCE_DIR, "build", "python"))
import trueup  # noqa: E402

if INSTALLED and os.path.realpath(trueup.__file__).startswith(
        os.path.realpath(SOURCE_DIR) + os.sep):
    raise SystemExit("TU_PYTHON_INSTALLED=1 but trueup comes from the "
                     "source tree: %s" % trueup.__file__)

# In the sanitizer build ctest preloads the ASan runtime (LD_PRELOAD) for
# the sanitized extension. This process has it; the Python processes the
# tests start get it back (python_env); the servers (node) run without it.
PRELOAD = os.environ.pop("LD_PRELOAD", None)

TOKEN = "tu-py-secret-token-5b8e01c4d2"
TOKEN_VAR = "TU_PY_TEST_TOKEN"


def python_env(**extra):
    """The environment of a Python process that imports the package."""
    env = dict(os.environ)
    if not INSTALLED:
        env["PYTHONPATH"] = os.path.dirname(os.path.dirname(trueup.__file__))
    env.update(extra)
    if PRELOAD:
        env["LD_PRELOAD"] = PRELOAD
    return env


def resource():
    return {"list": "/records", "key": ["name", "type"], "id": "id",
            "create": "POST /records", "update": "PATCH /records/{id}",
            "delete": "DELETE /records/{id}"}


def document(base_url, records, settings=None, auth=True):
    """A desired state as a dict in the file's shape."""
    target = {"provider": "rest", "base_url": base_url,
              "resource": resource()}
    if auth:
        target["auth"] = {"type": "bearer", "token_env": TOKEN_VAR}
    doc = {"target": target, "records": records}
    if settings:
        doc["settings"] = settings
    return doc


def tenant_document(base_url, tenant, records, **kw):
    """A document for tenant `tenant` of a multi-tenant test server: its
    records live under /tTENANT/records."""
    doc = document(base_url, records, **kw)
    doc["target"]["resource"] = {
        "list": "/t%d/records" % tenant, "key": ["name", "type"], "id": "id",
        "create": "POST /t%d/records" % tenant,
        "update": "PATCH /t%d/records/{id}" % tenant,
        "delete": "DELETE /t%d/records/{id}" % tenant}
    return doc


def want(i, **extra):
    r = {"name": "host%d.example.org." % i, "type": "A",
         "content": "192.0.2.%d" % (i % 250)}
    r.update(extra)
    return r


def live(n):
    return [host(i) for i in range(1, n + 1)]


class Base(unittest.TestCase):
    def setUp(self):
        os.environ[TOKEN_VAR] = TOKEN
        self.tmp = tempfile.TemporaryDirectory(prefix="tu-python-")
        self.addCleanup(self.tmp.cleanup)

    def json_server(self, records):
        srv = JsonServer(records, tmpdir=self.tmp.name)
        self.addCleanup(srv.cleanup)
        return srv.start()

    def recording_server(self, records, respond=None):
        srv = RecordingServer(records, respond=respond)
        self.addCleanup(srv.stop)
        return srv.start()

    def assertNoSecret(self, text):
        self.assertNotIn(TOKEN, text)
