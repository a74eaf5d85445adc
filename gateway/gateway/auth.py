"""Who is calling: bearer token → user → permissions, kept on ``flask.g`` for the request."""
import time
from dataclasses import dataclass

from flask import current_app, g, request

from proofsheet_shared.errors import Forbidden, Unauthorized
from proofsheet_shared.types import utcnow

from .permissions import has, permissions_for
from .security import token_digest
from .users import authenticate


@dataclass(frozen=True)
class Caller:
    user_id: int
    username: str
    name: str
    permissions: frozenset

    def context(self):
        return {"user_id": self.user_id, "permissions": sorted(self.permissions),
                "request_id": g.request_id}


def bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_caller():
    caller = getattr(g, "caller", None)
    if caller is not None:
        return caller
    token = bearer_token()
    if token is None:
        raise Unauthorized("send 'Authorization: Bearer <token>' (POST /api/v1/auth/login gives one)",
                           {"Authorization": "missing bearer token"})
    state = current_app.extensions["proofsheet"]
    digest = token_digest(token)
    caller = state.token_cache.get(digest)
    if caller is None:
        with state.db.session() as session:
            row = authenticate(session, token)
        caller = Caller(row.id, row.username, row.name, permissions_for(row.roles))
        remaining = (row.expires_at - utcnow()).total_seconds()
        state.token_cache.put(digest, caller, time.monotonic() + remaining)
    g.caller = caller
    return caller


def authorize(permission=None):
    caller = current_caller()
    if permission and not has(caller.permissions, permission):
        raise Forbidden(f"your role does not allow this (needs '{permission}')", {"permission": permission})
    return caller


def rpc(service, method, *args, timeout=None, **kwargs):
    """Call a service as the current caller."""
    context = g.caller.context() if getattr(g, "caller", None) else {"request_id": g.request_id}
    return current_app.extensions["proofsheet"].rpc.call(service, method, *args, context=context,
                                                         timeout=timeout, **kwargs)
