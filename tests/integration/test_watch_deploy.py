#!/usr/bin/env python3
"""examples/deploy/: the systemd units and Kubernetes manifests of trueup
watch, tested as far as this machine allows.

- systemd: `systemd-analyze verify` on the units (the binary path pointed
  at the build); their ExecStart lines run as written, but for the binary,
  the set's directory and the port: the timer's --once applies and exits
  0, the service serves /readyz after a pass and stops cleanly on SIGTERM.
- Kubernetes: the YAML parses; the Deployment's probes, port, mount, Secret
  and grace period agree with its arguments and the ConfigMap; its
  arguments run against json-server with the ConfigMap's files laid out as
  the kubelet lays them out (..data -> a timestamped directory), the probe
  paths answer 200, and a ConfigMap update made the kubelet's way (a new
  ..data link renamed over the old) is applied without a restart.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (SOURCE_DIR, JsonServer, free_port, run_trueup,  # noqa: E402
                     temp_dir, trueup_available, trueup_binary)
from watch_process import WatchProcess, parse_metrics  # noqa: E402

import yaml  # noqa: E402  (python3-yaml)

DEPLOY = os.path.join(SOURCE_DIR, "examples", "deploy")
TOKEN = "deploy-test-token-81ac"


def setUpModule():
    if not trueup_available():
        raise RuntimeError("trueup binary not found at %s" % trueup_binary())


def read(*parts):
    with open(os.path.join(DEPLOY, *parts)) as f:
        return f.read()


def manifests():
    docs = {}
    for name in ("configmap.yaml", "deployment.yaml"):
        for d in yaml.safe_load_all(read("kubernetes", name)):
            docs[d["kind"]] = d
    return docs["ConfigMap"], docs["Deployment"]


def configmap_files(cm, base_url):
    """The ConfigMap's files, the target pointed at `base_url`."""
    out = dict(cm["data"])
    out["target.yaml"], n = re.subn(r"base_url: \S+", "base_url: " + base_url,
                                    out["target.yaml"])
    assert n == 1
    return out


def kubelet_mount(directory, files, generation):
    """Lay `files` out as the kubelet mounts a ConfigMap: each name a link
    to ..data/NAME, ..data a link to a timestamped directory; a new
    generation is written beside it and swapped in with one rename."""
    stamp = "..2026_%02d" % generation
    os.makedirs(os.path.join(directory, stamp))
    for name, text in files.items():
        with open(os.path.join(directory, stamp, name), "w") as f:
            f.write(text)
        link = os.path.join(directory, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join("..data", name), link)
    tmp = os.path.join(directory, "..data_tmp")
    os.symlink(stamp, tmp)
    os.rename(tmp, os.path.join(directory, "..data"))


class SystemdTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "trueup-deploy-")

    def exec_start(self, unit):
        line = re.search(r"^ExecStart=(.*)$", read("systemd", unit), re.M)
        return line.group(1).split()

    @unittest.skipUnless(shutil.which("systemd-analyze"),
                         "systemd-analyze not installed")
    def test_units_verify(self):
        units = []
        for name in sorted(os.listdir(os.path.join(DEPLOY, "systemd"))):
            text = read("systemd", name).replace("/usr/local/bin/trueup",
                                                 trueup_binary())
            path = os.path.join(self.tmp, name)
            with open(path, "w") as f:
                f.write(text)
            units.append(path)
        run = subprocess.run(["systemd-analyze", "verify", "--man=no"] + units,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

    def set_dir(self, server):
        cm, _ = manifests()
        d = os.path.join(self.tmp, "dns")
        os.mkdir(d)
        for name, text in configmap_files(cm, server.url).items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        return d

    def command(self, unit, set_dir):
        words = self.exec_start(unit)
        self.assertEqual(words[0], "/usr/local/bin/trueup")
        return [w.replace("/etc/trueup/sets/dns", set_dir).replace(
                    "/var/lib/prometheus/node-exporter", self.tmp)
                for w in words[1:]]

    def test_timer_command_applies_once(self):
        with JsonServer([], tmpdir=self.tmp) as server:
            args = self.command("trueup-once.service", self.set_dir(server))
            self.assertIn("--once", args)
            r = run_trueup(args, env={"API_TOKEN": TOKEN})
            self.assertEqual(r.code, 0, r.describe())
            names = {x["name"] for x in server.get_records()}
        self.assertEqual(names, {"www.example.org.", "api.example.org."})
        with open(os.path.join(self.tmp, "trueup.prom")) as f:
            metrics = parse_metrics(f.read())
        self.assertEqual(metrics[("trueup_passes_total", frozenset(
            {"set": "dns", "outcome": "ok"}.items()))], 1)
        self.assertEqual(metrics[("trueup_last_pass_records", frozenset(
            {"set": "dns", "count": "created"}.items()))], 2)

    def test_service_command_serves_and_stops(self):
        with JsonServer([], tmpdir=self.tmp) as server:
            args = self.command("trueup-watch.service", self.set_dir(server))
            i = args.index("--listen")
            self.assertEqual(args[i + 1], "127.0.0.1:9479")
            w = WatchProcess(args[1:i] + args[i + 2:], self.tmp,
                             env={"API_TOKEN": TOKEN})
            self.addCleanup(w.stop)
            w.start()
            w.wait_for(lambda: w.get("/readyz")[0] == 200, what="ready")
            self.assertEqual(w.stop(signal.SIGTERM), 0, w.stderr_text())


class KubernetesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "trueup-deploy-k8s-")
        self.cm, self.deploy = manifests()
        self.spec = self.deploy["spec"]["template"]["spec"]
        self.container = self.spec["containers"][0]
        self.args = [str(a) for a in self.container["args"]]

    def arg(self, name):
        return self.args[self.args.index(name) + 1]

    def test_manifests_agree(self):
        self.assertEqual(self.deploy["spec"]["replicas"], 1)
        self.assertEqual(self.deploy["spec"]["strategy"]["type"], "Recreate")
        port = self.container["ports"][0]
        self.assertEqual(self.arg("--listen"),
                         "0.0.0.0:%d" % port["containerPort"])
        self.assertEqual(self.container["livenessProbe"]["httpGet"],
                         {"path": "/healthz", "port": port["name"]})
        self.assertEqual(self.container["readinessProbe"]["httpGet"],
                         {"path": "/readyz", "port": port["name"]})
        self.assertGreater(self.spec["terminationGracePeriodSeconds"],
                           float(self.arg("--shutdown-timeout")))
        mount = self.container["volumeMounts"][0]
        self.assertEqual(self.args[-1], "dns=" + mount["mountPath"])
        volume = [v for v in self.spec["volumes"]
                  if v["name"] == mount["name"]][0]
        self.assertEqual(volume["configMap"]["name"],
                         self.cm["metadata"]["name"])
        env = {e["name"] for e in self.container["env"]}
        self.assertIn("token_env: API_TOKEN", self.cm["data"]["target.yaml"])
        self.assertEqual(env, {"API_TOKEN"})
        self.assertEqual(self.container["command"], ["/usr/bin/trueup"])

    def test_arguments_run_and_follow_a_configmap_update(self):
        server = JsonServer([], tmpdir=self.tmp)
        self.addCleanup(server.cleanup)
        server.start()
        mount = os.path.join(self.tmp, "mount")
        os.mkdir(mount)
        files = configmap_files(self.cm, server.url)
        kubelet_mount(mount, files, 1)
        port = free_port()
        args = [a.replace("/etc/trueup/dns", mount).replace(
                    "0.0.0.0:9479", "127.0.0.1:%d" % port)
                for a in self.args]
        self.assertEqual(args[0], "watch")
        w = WatchProcess(args[1:], self.tmp, env={"API_TOKEN": TOKEN},
                         listen=False)
        w.port = port
        self.addCleanup(w.stop)
        w.start()
        for probe in ("livenessProbe", "readinessProbe"):
            path = self.container[probe]["httpGet"]["path"]
            w.wait_for(lambda: w.get(path)[0] == 200, what=path + " 200")
        files["records.yaml"] += "  - {name: new.example.org., content: " \
                                 "192.0.2.99}\n"
        kubelet_mount(mount, files, 2)
        w.wait_for(lambda: "new.example.org." in
                   {x["name"] for x in server.get_records()}, 30,
                   "the updated ConfigMap applied")
        self.assertEqual(w.stop(), 0, w.stderr_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
