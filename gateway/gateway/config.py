"""Gateway settings, read once from the environment."""
import os
import secrets
from dataclasses import dataclass, field

from proofsheet_shared import config as env


def _secret_key():
    """GATEWAY_SECRET_KEY, or one generated once and kept in var/ for a one-machine install."""
    configured = env.env("GATEWAY_SECRET_KEY")
    if configured:
        return configured
    path = env.var_dir() / "gateway-secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass
class GatewayConfig:
    database_url: str = field(default_factory=lambda: env.database_url("gateway"))
    amqp_uri: str = field(default_factory=env.amqp_uri)
    rpc_timeout: float = field(default_factory=lambda: float(env.env("RPC_TIMEOUT", 10)))
    rpc_client: str = field(default_factory=lambda: env.env("GATEWAY_RPC_CLIENT", "fast"))
    rpc_pool_size: int = field(default_factory=lambda: env.env_int("RPC_POOL_SIZE", 8))
    token_cache_seconds: float = field(default_factory=lambda: float(env.env("TOKEN_CACHE_SECONDS", 5)))
    token_ttl_hours: int = field(default_factory=lambda: env.env_int("TOKEN_TTL_HOURS", 12))
    login_max_failures: int = field(default_factory=lambda: env.env_int("LOGIN_MAX_FAILURES", 5))
    login_lock_minutes: int = field(default_factory=lambda: env.env_int("LOGIN_LOCK_MINUTES", 15))
    ready_services: tuple = field(default_factory=lambda: tuple(
        s.strip() for s in env.env("GATEWAY_SERVICES",
                                   "clients,staff,tasks,invoicing,scheduling,communications,payments"
                                   ).split(",")
        if s.strip()))
    secret_key: str = field(default_factory=_secret_key)
    max_body_bytes: int = 1_000_000
