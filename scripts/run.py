"""Run Proofsheet on this machine: broker check, migrations, first admin, every process.

    python scripts/run.py               # what `make run` does after installing
    python scripts/run.py --no-setup    # skip broker check, migrations and admin
    python scripts/run.py --procfile    # print the process list as a Procfile and exit

Processes are found, not listed: every ``services/<name>/`` with a ``config.yml`` and a
``<name>/service.py`` runs as ``nameko run``; the gateway's staff service and the gunicorn
web gateway run when their files exist. honcho runs them all, prefixes their output, and on
Ctrl-C (or when any one of them exits) stops the rest: SIGTERM, then SIGKILL after 5 s.
"""
import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_BIND = "127.0.0.1:8080"


def say(message):
    print(f"==> {message}", flush=True)


def fail(message):
    print(f"\nerror: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def processes():
    """(name, command) for every process this checkout can run, in start order."""
    found = []
    for config in sorted(ROOT.glob("services/*/config.yml")):
        name = config.parent.name
        if (config.parent / name / "service.py").is_file():
            found.append((name, f"nameko run --config services/{name}/config.yml {name}.service"))
    gateway = ROOT / "gateway"
    if (gateway / "config.yml").is_file() and (gateway / "gateway" / "staff_service.py").is_file():
        found.append(("staff", "nameko run --config gateway/config.yml gateway.staff_service"))
    if (gateway / "gunicorn.conf.py").is_file() and (gateway / "gateway" / "app.py").is_file():
        found.append(("gateway", "gunicorn -c gateway/gunicorn.conf.py 'gateway.app:create_app()'"))
    return found


def child_env():
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(BIN.parent)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    env.setdefault("GATEWAY_SERVICES", ",".join(name for name, _ in processes() if name != "gateway"))
    return env


def script(name, *args):
    result = subprocess.run(["bash", str(ROOT / "scripts" / name), *args], cwd=ROOT, env=child_env())
    if result.returncode:
        sys.exit(result.returncode)


def local_postgres_urls():
    """Database URLs in the environment that point at a PostgreSQL on this machine."""
    urls = []
    for key, value in sorted(os.environ.items()):
        if key.endswith("_DATABASE_URL") and value.startswith("postgresql"):
            parts = urlsplit(value)
            if parts.hostname in (None, "", "localhost", "127.0.0.1", "::1"):
                urls.append(parts)
    return urls


def gateway_address():
    """(host, port) to reach the gateway at, from GATEWAY_BIND; None for a unix socket."""
    bind = os.environ.get("GATEWAY_BIND") or DEFAULT_BIND
    if bind.startswith("unix:"):
        return None
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return host, int(port or 8080)


def answers(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def http_answers(url):
    """True once the server sends any HTTP response (an error status counts)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def setup():
    say("checking the RabbitMQ broker")
    script("ensure-rabbitmq.sh")
    local_pg = local_postgres_urls()
    if local_pg:
        os.environ.setdefault("PGPORT", str(local_pg[0].port or 5432))
        script("ensure-postgres.sh")
    script("migrate.sh")
    if (ROOT / "gateway" / "gateway" / "cli.py").is_file():
        say("making sure an admin user exists")
        result = subprocess.run([sys.executable, "-m", "gateway.cli", "ensure-admin"],
                                cwd=ROOT, env=child_env())
        if result.returncode:
            sys.exit(result.returncode)
    else:
        print("warning: gateway/gateway/cli.py not found: no admin user created", file=sys.stderr)


def announce_when_up(address, stop):
    """Print the URL once the gateway answers HTTP."""
    if address is None:
        say(f"the gateway listens on {os.environ['GATEWAY_BIND']}")
        return
    host, port = address
    deadline = time.monotonic() + 120
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    while not stop.is_set() and time.monotonic() < deadline:
        if http_answers(url):
            line = "-" * 60
            print(f"\n{line}\n  Proofsheet is running:  {url}\n"
                  f"  API docs:               {url}api/docs\n"
                  f"  Sign in as 'admin' (password: PROOFSHEET_ADMIN_PASSWORD, or the one\n"
                  f"  printed above when the admin was first created).\n"
                  f"  Ctrl-C stops everything.\n{line}\n", flush=True)
            return
        stop.wait(0.5)
    if not stop.is_set():
        print(f"warning: the gateway did not answer at {url} within 120 s", file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-setup", action="store_true",
                        help="skip the broker check, migrations and the admin user")
    parser.add_argument("--procfile", action="store_true", help="print a Procfile and exit")
    args = parser.parse_args(argv)
    os.chdir(ROOT)

    procs = processes()
    if args.procfile:
        for name, command in procs:
            print(f"{name}: {command}")
        return 0
    if not procs:
        fail("found nothing to run (no services/<name>/config.yml with <name>/service.py)")

    names = {name for name, _ in procs}
    address = gateway_address() if "gateway" in names else None
    if address and answers(*address):
        fail(f"something already listens on {address[0]}:{address[1]}; stop it or set GATEWAY_BIND")

    if not args.no_setup:
        setup()

    from honcho.manager import Manager  # imported late: the venv may have been created just now

    manager = Manager()
    env = child_env()
    for name, command in procs:
        manager.add_process(name, f"exec {command}", env=env, cwd=str(ROOT))
    say("starting " + ", ".join(name for name, _ in procs))

    stop = threading.Event()
    if "gateway" in names:
        threading.Thread(target=announce_when_up, args=(address, stop), daemon=True).start()
    else:
        print("warning: the gateway is not in this checkout yet; running the services only",
              file=sys.stderr, flush=True)
    try:
        manager.loop()
    finally:
        stop.set()
    # Stopped by Ctrl-C or SIGTERM (130, 143): a clean stop, not a failure.
    return 0 if manager.returncode in (None, 130, 143) else manager.returncode


if __name__ == "__main__":
    sys.exit(main())
