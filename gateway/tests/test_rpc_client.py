"""The gateway's RPC client against a real nameko service on a real RabbitMQ vhost."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gateway.rpc import AmqpRpcClient, RemoteFailure, StockProxyPool, context_headers, decode_reply
from proofsheet_shared.errors import NotFound, Unavailable
from stack import Vhost

pytestmark = pytest.mark.integration
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def amqp_uri():
    vhost = Vhost()
    uri = vhost.create()
    yield uri
    vhost.delete()


@pytest.fixture(scope="module")
def echo_service(amqp_uri, tmp_path_factory):
    """The echo service as a real nameko process on the test's own vhost."""
    config = tmp_path_factory.mktemp("echo") / "config.yml"
    config.write_text(f"AMQP_URI: '{amqp_uri}'\n")
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    process = subprocess.Popen([str(Path(sys.executable).parent / "nameko"), "run", "--config", str(config),
                                "echo_service:EchoService"], cwd=HERE, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = AmqpRpcClient(amqp_uri, timeout=1)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.call("echo", "echo", ("ready",))
            break
        except Unavailable:
            if time.monotonic() > deadline:
                process.kill()
                raise
    client.close()
    yield process
    process.terminate()
    process.wait(timeout=15)


def test_round_trip_errors_and_concurrency(amqp_uri, echo_service):
    client = AmqpRpcClient(amqp_uri, timeout=5)
    try:
        assert client.call("echo", "echo", ({"a": [1, 2]},)) == {"a": [1, 2]}
        with pytest.raises(NotFound) as missing:
            client.call("echo", "missing", (7,))
        assert missing.value.fields == {"id": "not found"}
        with pytest.raises(RemoteFailure):
            client.call("echo", "broken")
        results = []
        threads = [threading.Thread(target=lambda i=i: results.append(client.call("echo", "echo", (i,))))
                   for i in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == list(range(40))
    finally:
        client.close()


def test_a_service_that_is_not_running_is_unavailable_quickly(amqp_uri):
    client = AmqpRpcClient(amqp_uri, timeout=0.5)
    try:
        with pytest.raises(Unavailable) as down:
            client.call("nobody", "home")
        assert down.value.fields == {"service": "nobody"}
    finally:
        client.close()


def test_stock_pool_gives_the_same_answers(amqp_uri, echo_service):
    pool = StockProxyPool(amqp_uri, size=2, timeout=5)
    try:
        assert pool.call("echo", "echo", ("x",)) == "x"
        with pytest.raises(NotFound):
            pool.call("echo", "missing", (1,))
    finally:
        pool.close()


def test_context_headers_and_reply_decoding():
    headers = context_headers({"user_id": 3, "permissions": frozenset({"a"}), "request_id": "r", "x": None})
    assert headers["nameko.user_id"] == 3 and headers["nameko.permissions"] == ["a"]
    assert "nameko.x" not in headers
    assert decode_reply("s", b'{"result": 5, "error": null}') == 5
