"""The benchmark's own stack: fresh PostgreSQL databases, its own RabbitMQ vhost, the
services and the gateway as real processes — all stopped at the end, even on failure.

Settings (environment, all optional):

``BENCH_PG_URL``     server to create the databases on (``postgresql://postgres@localhost:5432/postgres``)
``BENCH_AMQP_URI``   broker (``amqp://guest:guest@localhost:5672/``); the benchmark uses its own vhost
``BENCH_RABBIT_API`` management API used to create that vhost (``http://guest:guest@localhost:15672``)
``BENCH_VHOST``      the vhost's name (``proofsheet_bench``)
``BENCH_DB_PREFIX``  prefix of the databases (``proofsheet_bench_``), so two runs can share a server

Its own vhost matters: a developer's services on the default vhost consume from the same
``clients`` RPC queue and would answer (and skew) the benchmark's calls.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / ".data"
LOGS = DATA / "logs"
BIN = Path(sys.executable).parent  # the venv's bin (not resolved: keep the venv, not the base python)
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX") or "proofsheet_bench_"
ADMIN_PASSWORD = "bench-admin-password"


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class HarnessError(RuntimeError):
    """The harness itself failed (as opposed to a missed target)."""


@dataclass(frozen=True)
class ServiceSpec:
    """How to migrate and start one nameko service of the stack."""
    name: str
    alembic_ini: str
    config: str
    module: str
    db_env: str


# Services a scenario may ask for; later issues add theirs (invoicing, payments, ...).
SERVICES = {
    "clients": ServiceSpec("clients", "services/clients/alembic.ini", "services/clients/config.yml",
                           "clients.service", "CLIENTS_DATABASE_URL"),
}
GATEWAY = ServiceSpec("staff", "gateway/alembic.ini", "gateway/config.yml", "gateway.staff_service",
                      "GATEWAY_DATABASE_URL")


def tool(name):
    path = BIN / name
    if path.exists():
        return str(path)
    fallback = ROOT / ".venv" / "bin" / name
    if fallback.exists():
        return str(fallback)
    raise HarnessError(f"{name} is not installed in {BIN} (run `make install`)")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ---------------------------------------------------------------- PostgreSQL

class Postgres:
    def __init__(self, url=None):
        self.url = url or os.environ.get("BENCH_PG_URL") or "postgresql://postgres@localhost:5432/postgres"
        self.created = []

    def dsn(self, database):
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme.split("+")[0], parts.netloc, "/" + database, parts.query, ""))

    def sqlalchemy_url(self, database):
        parts = urlsplit(self.dsn(database))
        return urlunsplit(("postgresql+psycopg2", parts.netloc, parts.path, parts.query, ""))

    def connect(self, database):
        return psycopg2.connect(self.dsn(database))

    def recreate(self, database):
        try:
            conn = psycopg2.connect(self.url)
        except psycopg2.OperationalError as exc:
            raise HarnessError(f"PostgreSQL is not reachable at {self.url}: {exc}") from None
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                cur.execute(f'CREATE DATABASE "{database}" TEMPLATE template0 ENCODING \'UTF8\'')
        finally:
            conn.close()
        self.created.append(database)
        return self.sqlalchemy_url(database)


# ---------------------------------------------------------------- RabbitMQ

class Broker:
    def __init__(self):
        self.base = os.environ.get("BENCH_AMQP_URI") or "amqp://guest:guest@localhost:5672/"
        self.api = (os.environ.get("BENCH_RABBIT_API") or "http://guest:guest@localhost:15672").rstrip("/")
        self.vhost = os.environ.get("BENCH_VHOST") or "proofsheet_bench"
        self.created = False
        self.uri = self.base
        self.note = None

    def _api(self, method, path, **kwargs):
        parts = urlsplit(self.api)
        auth = (parts.username or "guest", parts.password or "guest")
        url = urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""),
                          path, "", ""))
        return requests.request(method, url, auth=auth, timeout=10, **kwargs)

    def _rabbitmqctl(self, *args):
        for candidate in ("rabbitmqctl", "/usr/sbin/rabbitmqctl", "/sbin/rabbitmqctl"):
            try:
                done = subprocess.run([candidate, *args], capture_output=True, text=True, timeout=60)
                return done.returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                continue
        return False

    def setup(self):
        """A fresh vhost of our own; the default vhost (with a warning) if none can be made."""
        vhost_path = "/api/vhosts/" + quote(self.vhost, safe="")
        user = urlsplit(self.base).username or "guest"
        try:
            self._api("DELETE", vhost_path)
            created = self._api("PUT", vhost_path, json={}).status_code in (201, 204)
            if created:
                permissions = f"/api/permissions/{quote(self.vhost, safe='')}/{quote(user, safe='')}"
                created = self._api("PUT", permissions, json={"configure": ".*", "write": ".*", "read": ".*"}
                                    ).status_code in (201, 204)
        except requests.RequestException:
            created = False
        if not created:
            self._rabbitmqctl("delete_vhost", self.vhost)
            created = (self._rabbitmqctl("add_vhost", self.vhost)
                       and self._rabbitmqctl("set_permissions", "-p", self.vhost, user, ".*", ".*", ".*"))
        if created:
            self.created = True
            parts = urlsplit(self.base)
            self.uri = urlunsplit((parts.scheme, parts.netloc, "/" + quote(self.vhost, safe=""), "", ""))
        else:
            self.note = ("could not create a RabbitMQ vhost of its own (no management API, no rabbitmqctl): "
                         "using the default vhost; other running services may answer its calls")
            log("warning: " + self.note)
        return self.uri

    def teardown(self):
        if not self.created:
            return
        try:
            if self._api("DELETE", "/api/vhosts/" + quote(self.vhost, safe="")).status_code in (204, 404):
                return
        except requests.RequestException:
            pass
        self._rabbitmqctl("delete_vhost", self.vhost)


# ---------------------------------------------------------------- processes

class Process:
    """A child in its own session (process group), so stopping it stops its workers too."""

    def __init__(self, name, argv, env, log_path):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def stop(self, grace=20):
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        # whatever is left of the group (workers that outlived their master)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()


def descendants(pid):
    """``pid`` and every process below it (gunicorn workers), from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    result, todo = [], [pid]
    while todo:
        current = todo.pop()
        result.append(current)
        todo.extend(parents.get(current, []))
    return result


def proc_status(pid):
    """VmRSS and VmHWM of a process in KiB, and its command line."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        cmdline = cmdline.decode(errors="replace").strip()
    except OSError:
        return None
    values["cmdline"] = cmdline
    return values


def cpu_seconds(pid, reaped_children=False):
    """User + system CPU seconds a process has used so far (plus its exited children's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def postmaster_pids():
    """PostgreSQL server processes whose parent is not a PostgreSQL process."""
    comms = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            comms[int(entry.name)] = (comm, int(stat.rsplit(")", 1)[1].split()[1]))
    return [pid for pid, (comm, ppid) in comms.items()
            if comm.startswith("postgres") and not comms.get(ppid, ("",))[0].startswith("postgres")]


def postgres_seconds(postmasters):
    """CPU of the whole PostgreSQL server: live processes plus backends and parallel workers
    that have exited (counted in the postmaster's reaped-children times)."""
    total = 0.0
    for postmaster in postmasters:
        total += cpu_seconds(postmaster, reaped_children=True)
        total += sum(cpu_seconds(pid) for pid in descendants(postmaster) if pid != postmaster)
    return total


def machine_cpu():
    """``(busy, total)`` jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def loadavg():
    return Path("/proc/loadavg").read_text().split()[0]


def rabbitmq_pids():
    """The broker's Erlang VM (shared with anything else on this machine)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"beam" in cmdline and b"rabbit" in cmdline:
                pids.append(int(entry.name))
    return pids


class CpuMeter:
    """CPU use between start() and stop(), in % of one core: each process of the stack, the
    PostgreSQL backends serving the benchmark's databases and the rest of the PostgreSQL server
    (parallel workers of those queries, but also other databases), the broker (shared), and
    everything else on the machine ("other": other people's work, which disturbs the
    measurement)."""

    def __init__(self, stack):
        self.stack = stack

    def _backends(self):
        try:
            conn = psycopg2.connect(self.stack.pg.url)
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT pid FROM pg_stat_activity "
                                "WHERE datname LIKE %s AND pid <> pg_backend_pid()", (DB_PREFIX + "%",))
                    return [row[0] for row in cur.fetchall()]
            finally:
                conn.close()
        except psycopg2.Error:
            return []

    def _sample(self, backends):
        sample = dict(self.stack.cpu())
        sample["postgres (bench backends)"] = {pid: cpu_seconds(pid) for pid in backends}
        sample["postgres (all)"] = postgres_seconds(self.postmasters)
        sample["rabbitmq (shared)"] = sum(cpu_seconds(pid) for pid in self.rabbit)
        return sample

    def start(self):
        self.rabbit = rabbitmq_pids()
        self.postmasters = postmaster_pids()
        self.backends = self._backends()
        self.t0 = time.monotonic()
        self.machine0 = machine_cpu()
        self.before = self._sample(self.backends)
        return self

    def stop(self, extra_seconds=None):
        """``extra_seconds``: CPU used meanwhile by helpers not in the stack (wrk), by name."""
        elapsed = max(time.monotonic() - self.t0, 1e-6)
        busy1, total1 = machine_cpu()
        after = self._sample(self.backends)
        backends_after = after.pop("postgres (bench backends)")
        backends_before = self.before.pop("postgres (bench backends)")
        used = {name: after[name] - self.before.get(name, 0.0) for name in after}
        used["postgres (bench backends)"] = sum(backends_after[pid] - backends_before.get(pid, 0.0)
                                                for pid in backends_after)
        # the rest of the server: parallel workers of our queries, autovacuum, other databases
        postgres_all = used.pop("postgres (all)")
        used["postgres (rest of the server)"] = max(postgres_all - used["postgres (bench backends)"], 0.0)
        used.update(extra_seconds or {})
        cores = os.cpu_count() or 1
        jiffies = max(total1 - self.machine0[1], 1)
        machine_seconds = (busy1 - self.machine0[0]) / jiffies * cores * elapsed
        used["other"] = max(machine_seconds - sum(used.values()), 0.0)
        return {
            "pct_of_one_core": {name: round(100 * seconds / elapsed) for name, seconds in used.items()},
            "machine_busy_pct_of_one_core": round(100 * machine_seconds / elapsed),
            "cores": cores,
            "loadavg_1m": loadavg(),
        }


# ---------------------------------------------------------------- the stack

class Stack:
    """Use as a context manager; everything started is stopped on exit."""

    def __init__(self, services=()):
        unknown = [s for s in services if s not in SERVICES]
        if unknown:
            raise HarnessError(f"unknown services {unknown}; known: {sorted(SERVICES)}")
        self.services = [SERVICES[s] for s in services]
        self.pg = Postgres()
        self.broker = Broker()
        self.processes = {}
        self.db_urls = {}
        self.gateways = {}  # name -> base URL
        self.token = None
        self.env = None

    # lifecycle
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            try:
                process.stop()
            except Exception as exc:  # noqa: BLE001 - keep stopping the others
                log(f"could not stop {name}: {exc}")
        self.processes.clear()
        try:
            self.broker.teardown()
        except Exception as exc:  # noqa: BLE001
            log(f"could not delete the vhost: {exc}")

    def base_env(self):
        env = dict(os.environ)
        for key in list(env):  # nothing of a developer's own stack leaks in
            if key.endswith("_DATABASE_URL") or key in ("GATEWAY_RPC_CLIENT", "GATEWAY_BIND", "AMQP_URI"):
                del env[key]
        var_dir = DATA / "var"
        var_dir.mkdir(parents=True, exist_ok=True)
        env.update({
            "AMQP_URI": self.broker.uri,
            "PROOFSHEET_VAR_DIR": str(var_dir),
            "GATEWAY_SECRET_KEY": "benchmark-secret-key-not-for-production-use-0123456789",
            "GATEWAY_SERVICES": ",".join(["staff"] + [s.name for s in self.services]),
            "PROOFSHEET_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "PYTHONUNBUFFERED": "1",
        })
        for spec in [GATEWAY, *self.services]:
            env[spec.db_env] = self.db_urls[spec.name]
        return env

    def start(self):
        LOGS.mkdir(parents=True, exist_ok=True)
        for old in LOGS.glob("*.log"):
            old.unlink()
        self.broker.setup()
        for spec in [GATEWAY, *self.services]:
            database = DB_PREFIX + ("gateway" if spec is GATEWAY else spec.name)
            log(f"database {database}: recreate and migrate")
            self.db_urls[spec.name] = self.pg.recreate(database)
        self.env = self.base_env()
        for spec in [GATEWAY, *self.services]:
            self.run_step(f"migrate-{spec.name}",
                          [tool("alembic"), "-c", spec.alembic_ini, "-x", f"url={self.db_urls[spec.name]}",
                           "upgrade", "head"])
        self.run_step("ensure-admin", [sys.executable, "-m", "gateway.cli", "ensure-admin"])
        for spec in [GATEWAY, *self.services]:
            self.spawn(spec.name, [tool("nameko"), "run", "--config", spec.config, spec.module])
        self.start_gateway("gateway")

    def run_step(self, name, argv, env=None):
        path = LOGS / f"{name}.log"
        with open(path, "wb") as out:
            done = subprocess.run(argv, cwd=ROOT, env=env or self.env, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=300)
        if done.returncode != 0:
            raise HarnessError(f"{name} failed (exit {done.returncode}); {path}:\n{tail(path)}")

    def spawn(self, name, argv, env=None):
        if name in self.processes:
            raise HarnessError(f"process {name} started twice")
        log(f"start {name}: {' '.join(Path(a).name if i == 0 else a for i, a in enumerate(argv))}")
        self.processes[name] = Process(name, argv, env or self.env, LOGS / f"{name}.log")
        return self.processes[name]

    def start_gateway(self, name, app="gateway.app:create_app()", extra_env=None, ready_path="/readyz",
                      timeout=90):
        """gunicorn with the gateway's own gunicorn.conf.py on a free port; waits for ``ready_path``."""
        port = free_port()
        env = dict(self.env, GATEWAY_BIND=f"127.0.0.1:{port}", **(extra_env or {}))
        self.spawn(name, [tool("gunicorn"), "-c", "gateway/gunicorn.conf.py", app], env=env)
        url = f"http://127.0.0.1:{port}"
        self.wait_ready(name, url + ready_path, timeout)
        self.gateways[name] = url
        return url

    def wait_ready(self, name, url, timeout):
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for proc_name, process in self.processes.items():
                if not process.alive():
                    raise HarnessError(f"{proc_name} exited (code {process.popen.returncode}) while waiting "
                                       f"for {name}; {process.log_path}:\n{tail(process.log_path)}")
            try:
                response = requests.get(url, timeout=5)
                if response.status_code == 200:
                    log(f"{name} ready at {url}")
                    return
                last = f"{response.status_code} {response.text[:300]}"
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.5)
        raise HarnessError(f"{name} not ready at {url} after {timeout}s: {last}")

    # API helpers
    def login(self, gateway="gateway"):
        response = requests.post(self.gateways[gateway] + "/api/v1/auth/login",
                                 json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=30)
        if response.status_code != 200:
            raise HarnessError(f"login failed: {response.status_code} {response.text[:300]}")
        self.token = response.json()["token"]
        return self.token

    def session(self):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def api(self, method, path, json=None, expect=(200, 201, 204), gateway="gateway", session=None):
        response = (session or requests).request(
            method, self.gateways[gateway] + "/api/v1" + path, json=json, timeout=30,
            headers=None if session else {"Authorization": f"Bearer {self.token}"})
        if response.status_code not in expect:
            raise HarnessError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    # resources
    def cpu(self):
        """CPU seconds used so far by each started process, its workers included."""
        return {name: sum(cpu_seconds(pid) for pid in descendants(process.pid))
                for name, process in self.processes.items()}

    def memory(self):
        """``{process name: {"rss_kib": total, "processes": [{pid, rss_kib, hwm_kib, cmdline}]}}``."""
        report = {}
        for name, process in self.processes.items():
            members = []
            for pid in descendants(process.pid):
                status = proc_status(pid)
                if status and "VmRSS" in status:
                    members.append({"pid": pid, "rss_kib": status["VmRSS"], "hwm_kib": status.get("VmHWM"),
                                    "cmdline": status["cmdline"][:200]})
            report[name] = {"rss_kib": sum(m["rss_kib"] for m in members), "processes": members}
        return report
