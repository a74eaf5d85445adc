"""Service-to-service RPC with a timeout, and the studio settings every service caches."""
import logging
import time

import eventlet
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, ServiceProxy

from .errors import Unavailable

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0


class _TimedMethod:
    def __init__(self, method_proxy, service, method, timeout):
        self._proxy = method_proxy
        self._label = f"{service}.{method}"
        self._service = service
        self._timeout = timeout

    def __call__(self, *args, **kwargs):
        try:
            reply = self._proxy.call_async(*args, **kwargs)
        except UnknownService:
            raise Unavailable(f"the {self._service} service is not running",
                              {"service": self._service}) from None
        with eventlet.Timeout(self._timeout, False):
            return reply.result()
        raise Unavailable(f"the {self._service} service did not answer {self._label} in time",
                          {"service": self._service})


class _TimedService:
    def __init__(self, worker_ctx, service, listener, timeout):
        self._proxy = ServiceProxy(worker_ctx, service, listener)
        self._service = service
        self._timeout = timeout

    def __getattr__(self, method):
        return _TimedMethod(getattr(self._proxy, method), self._service, method, self._timeout)


class _Cluster:
    def __init__(self, worker_ctx, listener, timeout):
        self._worker_ctx = worker_ctx
        self._listener = listener
        self._timeout = timeout

    def __getattr__(self, service):
        return _TimedService(self._worker_ctx, service, self._listener, self._timeout)

    def __getitem__(self, service):
        return getattr(self, service)


class ClusterRpc(DependencyProvider):
    """``self.cluster.<service>.<method>(...)``: any service, the caller's context passed on,
    and ``Unavailable`` naming the service when it is not running or does not answer in time."""

    rpc_reply_listener = ReplyListener()

    def __init__(self, timeout=None):
        self.timeout = timeout

    def get_dependency(self, worker_ctx):
        timeout = self.timeout or float(self.container.config.get("RPC_TIMEOUT", DEFAULT_TIMEOUT))
        return _Cluster(worker_ctx, self.rpc_reply_listener, timeout)


DEFAULT_STUDIO = {"name": "", "time_zone": "UTC", "currency": "usd"}


class _StudioAccessor:
    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    def get(self):
        return self._provider.current(self._worker_ctx)

    @property
    def time_zone(self):
        return self.get().get("time_zone") or "UTC"

    @property
    def currency(self):
        return self.get().get("currency") or "usd"


class StudioSettings(DependencyProvider):
    """The studio's name, time zone and currency, asked of the staff service and cached.

    The cache is refreshed after ``ttl`` seconds, and at once when the service's broadcast
    handler for ``staff.studio_settings_changed`` calls :meth:`update`. If the staff service
    cannot be reached the last known settings (or UTC/usd) are used.
    """

    rpc_reply_listener = ReplyListener()

    retry_after_failure = 10.0

    def __init__(self, ttl=300.0):
        self.ttl = ttl
        self.cached = None
        self.refresh_at = 0.0

    def update(self, settings, ttl=None):
        self.cached = dict(settings)
        self.refresh_at = time.monotonic() + (self.ttl if ttl is None else ttl)

    def current(self, worker_ctx):
        if self.cached is None or time.monotonic() >= self.refresh_at:
            try:
                service = _TimedService(worker_ctx, "staff", self.rpc_reply_listener, 5.0)
                self.update(service.get_studio_settings())
            except Exception as exc:  # noqa: BLE001 - fall back to the last known settings
                log.warning("studio settings unavailable, using %s: %s",
                            "the last known" if self.cached else "defaults", exc)
                self.update(self.cached or DEFAULT_STUDIO, ttl=self.retry_after_failure)
        return self.cached

    def get_dependency(self, worker_ctx):
        return _StudioAccessor(self, worker_ctx)
