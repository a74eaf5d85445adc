"""Plain Flask answering GET /api/v1/clients/<id> with one fixed client, no RPC, no auth.

The baseline for the gateway's numbers: same gunicorn config (gateway/gunicorn.conf.py),
same JSON. The client is fetched once at start from ``BENCH_PLAIN_SOURCE`` (a gateway URL,
with ``BENCH_TOKEN`` as bearer token) or read from the JSON file ``BENCH_PLAIN_FILE``::

    gunicorn -c gateway/gunicorn.conf.py 'benchmarks.plain_app:create_app()'
"""
import json
import os
import urllib.request

from flask import Flask


def _fixed_client():
    path = os.environ.get("BENCH_PLAIN_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    source = os.environ["BENCH_PLAIN_SOURCE"]
    token = os.environ.get("BENCH_TOKEN", "")
    request = urllib.request.Request(source, headers={"Authorization": f"Bearer {token}",
                                                      "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def create_app():
    client = _fixed_client()
    app = Flask(__name__)
    app.json.sort_keys = False  # as the gateway

    @app.get("/api/v1/clients/<int:client_id>")
    def get_client(client_id):
        return client

    @app.get("/readyz")
    def readyz():
        return {"status": "ready"}

    return app
