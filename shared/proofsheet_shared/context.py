"""Who is asking: the identity the gateway attaches to every RPC call and event.

nameko carries context data in message headers (``nameko.<key>``) and passes it on to
every RPC call and event a worker makes, so ``user_id``, ``permissions`` and
``request_id`` follow a request through every service it touches.
"""
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider

from .errors import Forbidden
from .logs import current_request_id

USER_ID = "user_id"
PERMISSIONS = "permissions"
REQUEST_ID = "request_id"


@dataclass(frozen=True)
class Identity:
    user_id: int | None = None
    permissions: frozenset = field(default_factory=frozenset)
    request_id: str | None = None

    @classmethod
    def from_context(cls, data):
        data = data or {}
        perms = data.get(PERMISSIONS) or ()
        if isinstance(perms, str):
            perms = perms.split(",")
        return cls(data.get(USER_ID), frozenset(p for p in perms if p), data.get(REQUEST_ID))

    def to_context(self):
        return {USER_ID: self.user_id, PERMISSIONS: sorted(self.permissions),
                REQUEST_ID: self.request_id}

    def can(self, permission):
        return "*" in self.permissions or permission in self.permissions

    def require(self, permission):
        if not self.can(permission):
            raise Forbidden(f"this needs the '{permission}' permission",
                            {"permission": permission})


SYSTEM = Identity(None, frozenset({"*"}), None)


class CallerIdentity(DependencyProvider):
    """Gives the worker the caller's :class:`Identity` and tags its logs with the request id."""

    def get_dependency(self, worker_ctx):
        return Identity.from_context(worker_ctx.context_data)

    def worker_setup(self, worker_ctx):
        current_request_id.set(worker_ctx.context_data.get(REQUEST_ID))

    def worker_teardown(self, worker_ctx):
        current_request_id.set(None)
