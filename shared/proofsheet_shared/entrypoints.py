"""nameko ``rpc`` and ``event_handler`` that settle the worker's transaction first.

Use these instead of nameko's own: the database commits (or rolls back) before the RPC
reply is sent or the event is acknowledged, domain errors are "expected" (logged as
warnings, returned to the caller as their own type), and event handlers run once per
event id however often the broker delivers it.
"""
import functools
import inspect
import sys

import amqp
from eventlet.semaphore import Semaphore
from nameko.constants import NON_PERSISTENT
from nameko.events import EventHandler
from nameko.exceptions import IncorrectSignature, UnserializableValueError, serialize
from nameko.extensions import SharedExtension
from nameko.rpc import Rpc, get_rpc_exchange

from .amqp_params import connection_params as _connection_params
from .db import settle_dependencies
from .errors import DomainError
from .serialization import dumps as json_dumps


class ReplyChannel(SharedExtension):
    """One AMQP channel per service container for RPC replies.

    nameko's stock responder borrows a pooled kombu connection and producer and waits for
    a publisher confirm on every reply. Replies are transient (the caller is waiting, or
    has given up), so this sends them on one long-lived channel, unconfirmed and
    non-persistent, serialised with orjson.
    """

    def setup(self):
        self._params = _connection_params(self.container.config["AMQP_URI"])
        self._exchange = get_rpc_exchange(self.container.config).name
        self._lock = Semaphore()
        self._conn = self._channel = None

    def stop(self):
        self._close()

    def kill(self):
        self._close()

    def _close(self):
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            try:
                conn.collect()
            except Exception:  # noqa: BLE001
                pass

    def send(self, reply_to, correlation_id, body):
        message = amqp.Message(body, content_type="application/json", content_encoding="utf-8",
                               correlation_id=correlation_id, delivery_mode=NON_PERSISTENT)
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._channel is None:
                        self._conn = amqp.Connection(**self._params)
                        self._conn.connect()
                        self._channel = self._conn.channel()
                    self._channel.basic_publish(message, exchange=self._exchange, routing_key=reply_to)
                    return
                except Exception:  # noqa: BLE001 - reconnect once, then report
                    self._close()
                    if attempt == 2:
                        raise


def encode_reply(result, exc_info):
    error = serialize(exc_info[1]) if exc_info is not None else None
    try:
        return json_dumps({"result": result, "error": error}), exc_info
    except TypeError:
        exc_info = sys.exc_info()
        return json_dumps({"result": None, "error": serialize(UnserializableValueError(result))}), exc_info


class TransactionalRpc(Rpc):
    reply_channel = ReplyChannel()

    def check_signature(self, args, kwargs):
        """nameko re-derives the method's signature on every call; bind to a cached one."""
        signature = getattr(self, "_signature", None)
        if signature is None:
            method = getattr(self.container.service_cls, self.method_name)
            signature = self._signature = inspect.signature(method)
        try:
            signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None

    def handle_result(self, message, worker_ctx, result, exc_info):
        result, exc_info = settle_dependencies(self.container, worker_ctx, result, exc_info)
        body, exc_info = encode_reply(result, exc_info)
        self.reply_channel.send(message.properties["reply_to"],
                                message.properties.get("correlation_id"), body)
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


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
