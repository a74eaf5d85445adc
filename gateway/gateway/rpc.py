"""RPC from the gateway's threads to the nameko services.

:class:`AmqpRpcClient` keeps two AMQP connections per gateway process: one that request
threads publish on (under a lock; a publish takes microseconds) and one a background
thread consumes replies on, into a single reply queue. Each call waits on its own event,
matched by correlation id, so any number of threads share the two connections; nameko's
stock standalone proxy instead gives each caller its own connection, consumer and reply
queue. Every call has a timeout, and its message expires from the service's queue at the
same moment, so a service that comes back does not work through requests nobody awaits.
"""
import logging
import os
import threading
import uuid

import amqp
import orjson

from proofsheet_shared.amqp_params import connection_params as _connection_params
from proofsheet_shared.errors import Unavailable, from_remote

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"


class RemoteFailure(Exception):
    """A service raised something that is not a domain error: a bug on its side."""

    def __init__(self, service, exc_type, value):
        super().__init__(f"{service}: {exc_type}: {value}")
        self.service = service
        self.exc_type = exc_type


def context_headers(context):
    headers = {"nameko.call_id_stack": [f"gateway.http.{uuid.uuid4().hex}"]}
    for key, value in (context or {}).items():
        if value is not None:
            headers[f"nameko.{key}"] = list(value) if isinstance(value, (list, tuple, frozenset, set)) else value
    return headers


def decode_reply(service, body):
    reply = orjson.loads(body)
    error = reply.get("error")
    if error:
        domain = from_remote(error.get("exc_type"), error.get("exc_args") or [], error.get("value"))
        if domain is not None:
            raise domain
        raise RemoteFailure(service, error.get("exc_type"), error.get("value"))
    return reply.get("result")


class _Pending:
    __slots__ = ("event", "body")

    def __init__(self):
        self.event = threading.Event()
        self.body = None


class AmqpRpcClient:
    def __init__(self, amqp_uri, timeout=10.0):
        self.params = _connection_params(amqp_uri)
        self.timeout = timeout
        self.reply_queue = f"rpc.reply-gateway-{uuid.uuid4().hex}"
        self._pending = {}
        self._publish_lock = threading.Lock()
        self._publish_conn = self._publish_channel = None
        self._consumer_ready = threading.Event()
        self._closed = threading.Event()
        self._consumer = threading.Thread(target=self._consume_forever, name="rpc-replies", daemon=True)
        self._consumer.start()

    # replies
    def _consume_forever(self):
        while not self._closed.is_set():
            conn = None
            try:
                conn = amqp.Connection(**self.params)
                conn.connect()
                channel = conn.channel()
                channel.exchange_declare(RPC_EXCHANGE, "topic", durable=True, auto_delete=False)
                channel.queue_declare(self.reply_queue, exclusive=True, auto_delete=True)
                channel.queue_bind(self.reply_queue, RPC_EXCHANGE, routing_key=self.reply_queue)
                channel.basic_consume(self.reply_queue, no_ack=True, callback=self._on_reply)
                self._consumer_ready.set()
                while not self._closed.is_set():
                    try:
                        conn.drain_events(timeout=1)
                    except TimeoutError:
                        continue
            except Exception as exc:  # noqa: BLE001 - reconnect, fail what was waiting
                self._consumer_ready.clear()
                log.warning("rpc reply consumer lost the broker: %s", exc)
                self._fail_pending()
                self._closed.wait(0.5)
            finally:
                if conn is not None:
                    try:
                        conn.collect()
                    except Exception:  # noqa: BLE001
                        pass

    def _on_reply(self, message):
        pending = self._pending.get(message.properties.get("correlation_id"))
        if pending is not None:
            pending.body = message.body
            pending.event.set()

    def _fail_pending(self):
        for pending in list(self._pending.values()):
            pending.event.set()

    # requests
    def _publish(self, routing_key, body, properties):
        with self._publish_lock:
            for attempt in (1, 2):
                try:
                    if self._publish_conn is None:
                        self._publish_conn = amqp.Connection(**self.params)
                        self._publish_conn.connect()
                        self._publish_channel = self._publish_conn.channel()
                    self._publish_channel.basic_publish(
                        amqp.Message(body, **properties), exchange=RPC_EXCHANGE, routing_key=routing_key)
                    return
                except Exception:  # noqa: BLE001 - one reconnect, then give up
                    self._reset_publisher()
                    if attempt == 2:
                        raise

    def _reset_publisher(self):
        conn, self._publish_conn, self._publish_channel = self._publish_conn, None, None
        if conn is not None:
            try:
                conn.collect()
            except Exception:  # noqa: BLE001
                pass

    def call(self, service, method, args=(), kwargs=None, context=None, timeout=None):
        timeout = timeout or self.timeout
        if not self._consumer_ready.wait(timeout=min(timeout, 3)):
            raise Unavailable("the message broker is not answering", {"broker": "unavailable"})
        correlation_id = uuid.uuid4().hex
        pending = self._pending[correlation_id] = _Pending()
        try:
            body = orjson.dumps({"args": list(args), "kwargs": kwargs or {}})
            properties = {"content_type": "application/json", "content_encoding": "utf-8",
                          "reply_to": self.reply_queue, "correlation_id": correlation_id,
                          "application_headers": context_headers(context),
                          "expiration": str(int(timeout * 1000)), "delivery_mode": 1}
            try:
                self._publish(f"{service}.{method}", body, properties)
            except Exception as exc:  # noqa: BLE001
                raise Unavailable("the message broker is not answering", {"broker": str(exc)[:200]}) from None
            if not pending.event.wait(timeout) or pending.body is None:
                raise Unavailable(f"the {service} service did not answer", {"service": service})
            return decode_reply(service, pending.body)
        finally:
            self._pending.pop(correlation_id, None)

    def close(self):
        self._closed.set()
        with self._publish_lock:
            self._reset_publisher()


class StockProxyPool:
    """A pool of nameko's stock ``ClusterRpcProxy`` — kept to measure the fast client against."""

    def __init__(self, amqp_uri, size, timeout=10.0):
        import queue

        from nameko.standalone.rpc import ClusterRpcProxy
        self._proxies = queue.Queue()
        self._makers = []
        for _ in range(size):
            maker = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout)
            self._makers.append(maker)
            self._proxies.put((maker, maker.start()))

    def call(self, service, method, args=(), kwargs=None, context=None, timeout=None):
        import proofsheet_shared.errors  # noqa: F401 - registers domain errors with nameko
        from nameko.exceptions import RpcTimeout
        maker, proxy = self._proxies.get()
        try:
            maker._worker_ctx.data = dict(context or {})
            return getattr(getattr(proxy, service), method)(*args, **(kwargs or {}))
        except RpcTimeout:
            raise Unavailable(f"the {service} service did not answer", {"service": service}) from None
        finally:
            self._proxies.put((maker, proxy))

    def close(self):
        for maker in self._makers:
            maker.stop()


class RpcClients:
    """The process's RPC client, made after gunicorn forks (connections do not survive a fork)."""

    def __init__(self, config):
        self.config = config
        self._client = None
        self._pid = None
        self._lock = threading.Lock()

    def get(self):
        if self._client is None or self._pid != os.getpid():
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    if self.config.rpc_client == "stock":
                        self._client = StockProxyPool(self.config.amqp_uri, self.config.rpc_pool_size,
                                                      self.config.rpc_timeout)
                    else:
                        self._client = AmqpRpcClient(self.config.amqp_uri, self.config.rpc_timeout)
                    self._pid = os.getpid()
        return self._client

    def call(self, service, method, *args, context=None, timeout=None, **kwargs):
        return self.get().call(service, method, args, kwargs, context=context, timeout=timeout)
