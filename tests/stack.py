"""The whole system as processes, for end-to-end tests: real RabbitMQ (a vhost of its own),
real PostgreSQL (a database per service), every service and the gateway under gunicorn."""
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from proofsheet_shared.testing import postgres_admin_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ADMIN_PASSWORD = "admin-password-for-tests"
RABBIT_MANAGEMENT = os.environ.get("RABBIT_MANAGEMENT_URL", "http://guest:guest@localhost:15672")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Vhost:
    """A RabbitMQ virtual host of its own, so parallel runs never share queues."""

    def __init__(self):
        self.name = f"proofsheet-test-{uuid.uuid4().hex[:10]}"

    def create(self):
        requests.put(f"{RABBIT_MANAGEMENT}/api/vhosts/{self.name}", timeout=10).raise_for_status()
        requests.put(f"{RABBIT_MANAGEMENT}/api/permissions/{self.name}/guest",
                     json={"configure": ".*", "write": ".*", "read": ".*"}, timeout=10).raise_for_status()
        return f"amqp://guest:guest@localhost:5672/{self.name}"

    def delete(self):
        requests.delete(f"{RABBIT_MANAGEMENT}/api/vhosts/{self.name}", timeout=10)


def discover_services():
    """Every ``services/<name>`` with a config.yml and ``<name>/service.py``, plus staff."""
    found = {"staff": ["nameko", "run", "--config", "gateway/config.yml", "gateway.staff_service"]}
    for config in sorted(ROOT.glob("services/*/config.yml")):
        name = config.parent.name
        if (config.parent / name / "service.py").exists():
            found[name] = ["nameko", "run", "--config", f"services/{name}/config.yml", f"{name}.service"]
    return found


class Stack:
    SERVICES = discover_services()
    DATABASES = ("gateway", *(name for name in SERVICES if name != "staff"))

    def __init__(self, tmp_path, extra_env=None):
        self.tmp = Path(tmp_path)
        self.vhost = Vhost()
        self.suffix = uuid.uuid4().hex[:8]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes = {}
        self.extra_env = dict(extra_env or {})
        self.admin = None
        self.amqp_uri = None

    def _admin_engine(self):
        import sqlalchemy as sa
        return sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")

    def _db_url(self, name):
        base = postgres_admin_url().rsplit("/", 1)[0]
        return f"{base}/proofsheet_e2e_{self.suffix}_{name}"

    def env(self):
        env = dict(os.environ)
        env.update({
            "AMQP_URI": self.amqp_uri, "PROOFSHEET_VAR_DIR": str(self.tmp / "var"),
            "GATEWAY_BIND": f"127.0.0.1:{self.port}", "GATEWAY_WORKERS": "2", "RPC_TIMEOUT": "5",
            "PROOFSHEET_ADMIN_PASSWORD": ADMIN_PASSWORD, "OUTBOX_RELAY_INTERVAL": "0.5",
            "TOKEN_CACHE_SECONDS": "0", "PYTHONWARNINGS": "ignore", "PATH": f"{BIN}:{os.environ['PATH']}",
            "GATEWAY_SERVICES": ",".join(self.SERVICES),
        })
        for name in self.DATABASES:
            env[f"{name.upper()}_DATABASE_URL"] = self._db_url(name)
        env.update(self.extra_env)
        return env

    def _run(self, *args):
        subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT, env=self.env(), check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def start(self):
        """Bring everything up; on any failure, take down what was started and re-raise."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        self.amqp_uri = self.vhost.create()
        with self._admin_engine().connect() as conn:
            for name in self.DATABASES:
                conn.exec_driver_sql(f'CREATE DATABASE "proofsheet_e2e_{self.suffix}_{name}"')
        self._run("alembic", "-c", "gateway/alembic.ini", "upgrade", "head")
        for name in self.DATABASES[1:]:
            self._run("alembic", "-c", f"services/{name}/alembic.ini", "upgrade", "head")
        self._run("python", "-m", "gateway.cli", "ensure-admin")
        for name in self.SERVICES:
            self.start_service(name)
        self.start_gateway()
        self.wait_ready()
        self.admin = self.login("admin", ADMIN_PASSWORD)
        return self

    def _spawn(self, name, argv):
        log = open(self.tmp / f"{name}.log", "ab")
        argv = [str(BIN / argv[0]), *argv[1:]]
        self.processes[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env(), stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    def start_service(self, name):
        self._spawn(name, self.SERVICES[name])

    def start_gateway(self):
        self._spawn("gateway", ["gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.app:create_app()"])

    def stop_process(self, name, sig=signal.SIGTERM):
        process = self.processes.pop(name, None)
        if process is None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = requests.get(f"{self.url}/readyz", timeout=15)
                if last.status_code == 200:
                    return
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.3)
        raise RuntimeError(f"stack not ready: {getattr(last, 'text', last)}\n{self.logs()}")

    def logs(self):
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.tmp.glob("*.log"))

    def login(self, username, password):
        response = requests.post(f"{self.url}/api/v1/auth/login",
                                 json={"username": username, "password": password}, timeout=10)
        response.raise_for_status()
        return Client(self.url, response.json()["token"])

    def stop(self):
        for name in list(self.processes):
            self.stop_process(name)
        if self.amqp_uri is None:
            return
        with self._admin_engine().connect() as conn:
            for name in self.DATABASES:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "proofsheet_e2e_{self.suffix}_{name}" WITH (FORCE)')
        self.vhost.delete()


class Client:
    """HTTP calls as one logged-in user."""

    def __init__(self, base_url, token=None):
        self.base = base_url
        self.session = requests.Session()
        self.token = token
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 15)
        return self.session.request(method, f"{self.base}{path}", **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    if field is not None:
        assert field in body["error"]["fields"], body
    return body["error"]
