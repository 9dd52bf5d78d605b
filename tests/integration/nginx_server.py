"""nginx_server.py -- a private nginx (with the echo module) for tests.

    with NginxServer(locations) as srv:       # or srv.start() / srv.stop()
        url = srv.url("/path")

`locations` is the text of the server block (location directives), and
`http` optional text for the http block (e.g. split_clients); in both,
"{PORT}" is replaced with the port chosen and "{DIR}" with the server's
temporary directory (e.g. for a location's own access_log). With
tls=TlsFiles(cert, key[, client_ca]) it serves HTTPS with that PEM
certificate and key, and, when client_ca is given, requires a client
certificate signed by it (ssl_verify_client on); url() then gives https
URLs. With http2=True the listener speaks HTTP/2 too: over TLS offered by
ALPN beside HTTP/1.1, over plain HTTP with prior knowledge only (h2c).
make_self_signed() makes such files with the openssl tool
(openssl_available() says whether it is there). The server runs in
the foreground of a child process (daemon off), in a temporary directory
holding its configuration, pid, logs and temporary files, on a free
loopback port, and is stopped (then killed if need be) by stop(), which is
safe to call more than once. Needs Debian's nginx and
libnginx-mod-http-echo.
"""

import collections
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"

CONF = """\
load_module {echo_module};
{user}
worker_processes 1;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 64m;
    client_body_buffer_size 16m;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    default_type application/json;
{http}
    server {{
        listen 127.0.0.1:{port}{ssl} backlog=4096;
{tls}
{locations}
    }}
}}
"""


TlsFiles = collections.namedtuple("TlsFiles", "cert key client_ca",
                                  defaults=(None,))


def _tls_directives(tls):
    if not tls:
        return ""
    text = ("        ssl_certificate %s;\n        ssl_certificate_key %s;\n"
            "        ssl_protocols TLSv1.2 TLSv1.3;\n"  # 1.22's default lacks 1.3
            % (tls.cert, tls.key))
    if tls.client_ca:
        text += ("        ssl_client_certificate %s;\n"
                 "        ssl_verify_client on;\n" % tls.client_ca)
    return text


def openssl_available():
    """Why the openssl tool cannot run here, or None when it can."""
    if not shutil.which("openssl"):
        return "the openssl tool is not installed (apt-get install openssl)"
    return None


def make_self_signed(directory, name, common_name="127.0.0.1"):
    """A self-signed certificate for 127.0.0.1 (also usable as its own CA,
    e.g. for client certificates): returns (cert path, key path)."""
    cert = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=" + common_name,
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key


def nginx_available():
    """Why nginx cannot run here, or None when it can."""
    if not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"):
        return "nginx is not installed (apt-get install nginx)"
    if not os.path.exists(ECHO_MODULE):
        return "the echo module is missing (apt-get install libnginx-mod-http-echo)"
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nginx_binary():
    return shutil.which("nginx") or "/usr/sbin/nginx"


class NginxServer:
    def __init__(self, locations, tls=None, http="", http2=False):
        self.locations = locations
        self.http = http
        self.tls = tls
        self.http2 = http2
        self.dir = None
        self.port = None
        self.proc = None

    def url(self, path):
        scheme = "https" if self.tls else "http"
        return "%s://127.0.0.1:%d%s" % (scheme, self.port, path)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _write_conf(self):
        user = "user root;" if os.geteuid() == 0 else ""
        text = CONF.format(echo_module=ECHO_MODULE, user=user, dir=self.dir,
                           port=self.port,
                           ssl=(" ssl" if self.tls else "") +
                           (" http2" if self.http2 else ""),
                           tls=_tls_directives(self.tls),
                           http=self._fill(self.http),
                           locations=self._fill(self.locations))
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def _fill(self, text):
        return text.replace("{PORT}", str(self.port)).replace("{DIR}", self.dir)

    def path(self, name):
        """A file in the server's temporary directory."""
        return os.path.join(self.dir, name)

    def _wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def start(self, tries=3):
        self.dir = tempfile.mkdtemp(prefix="tu-nginx-")
        for _ in range(tries):
            self.port = free_port()
            conf = self._write_conf()
            log = open(os.path.join(self.dir, "stderr.log"), "ab")
            self.proc = subprocess.Popen(
                [_nginx_binary(), "-p", self.dir, "-c", conf,
                 "-e", os.path.join(self.dir, "error.log")],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
            log.close()
            if self._wait_ready():
                return self
            self._stop_process()  # the port was taken meanwhile: try another
        errors = self.log_tail()
        self.stop()
        raise RuntimeError("nginx did not start:\n" + errors)

    def log_tail(self, n=4000):
        text = ""
        for name in ("stderr.log", "error.log"):
            path = os.path.join(self.dir or "", name)
            if self.dir and os.path.exists(path):
                with open(path, errors="replace") as f:
                    text += f.read()[-n:]
        return text

    def _stop_process(self):
        if not self.proc or self.proc.poll() is not None:
            self.proc = None
            return
        self.proc.send_signal(signal.SIGTERM)  # fast shutdown of all workers
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stop(self):
        self._stop_process()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
