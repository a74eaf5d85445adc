"""Configuration from the environment, with the defaults of a one-machine install."""
import os
from pathlib import Path

DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_int(name, default):
    return int(env(name, default))


def env_bool(name, default=False):
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def home():
    """Where the embedded defaults keep their files (SQLite databases, secrets)."""
    return Path(env("PROOFSHEET_HOME", Path.cwd()))


def var_dir():
    path = Path(env("PROOFSHEET_VAR_DIR", home() / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def amqp_uri():
    return env("AMQP_URI", DEFAULT_AMQP_URI)


def database_url(service):
    """``<SERVICE>_DATABASE_URL`` or an SQLite file ``var/<service>.db``."""
    return env(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{var_dir() / (service + '.db')}"
