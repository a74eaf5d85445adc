"""nameko ``rpc`` and ``event_handler`` that settle the worker's transaction first.

Use these instead of nameko's own: the database commits (or rolls back) before the RPC
reply is sent or the event is acknowledged, domain errors are "expected" (logged as
warnings, returned to the caller as their own type), and event handlers run once per
event id however often the broker delivers it.
"""
import functools

from nameko.events import EventHandler
from nameko.rpc import Rpc

from .db import settle_dependencies
from .errors import DomainError


class TransactionalRpc(Rpc):
    def handle_result(self, message, worker_ctx, result, exc_info):
        result, exc_info = settle_dependencies(self.container, worker_ctx, result, exc_info)
        return super().handle_result(message, worker_ctx, result, exc_info)


class TransactionalEventHandler(EventHandler):
    def handle_result(self, message, worker_ctx, result, exc_info):
        result, exc_info = settle_dependencies(self.container, worker_ctx, result, exc_info)
        return super().handle_result(message, worker_ctx, result, exc_info)


def rpc(fn=None, **kwargs):
    kwargs.setdefault("expected_exceptions", DomainError)
    if fn is None:
        return functools.partial(rpc, **kwargs)
    return TransactionalRpc.decorator(**kwargs)(fn)


def event_handler(source_service, event_type, **kwargs):
    """Handle ``<source_service>.<event_type>`` once per event id.

    The service's :class:`~proofsheet_shared.db.Database` dependency must be named ``db``:
    the claim on the event id is written in the same transaction as the handler's work.
    """
    def decorate(fn):
        @functools.wraps(fn)
        def once(self, envelope):
            if not self.db.claim_event(envelope["id"]):
                return None
            return fn(self, envelope)
        return TransactionalEventHandler.decorator(source_service, event_type, **kwargs)(once)
    return decorate
