"""The gateway's Flask application factory."""
import re
import uuid
from dataclasses import dataclass, field

from flask import Flask, g, request

from proofsheet_shared.logs import configure_logging, current_request_id
from proofsheet_shared.outbox import OutboxRelay

from .config import GatewayConfig
from .db import GatewayDatabase
from .errors import register_error_handlers
from .openapi import build_spec
from .routes import (auth, clients, communications, docs, health, invoicing, payments, scheduling, settings,
                     tasks, users)
from .rpc import RpcClients
from .token_cache import TokenCache

API_MODULES = (auth, users, settings, clients, tasks, invoicing, communications, scheduling, payments)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass
class GatewayState:
    config: GatewayConfig
    db: GatewayDatabase
    rpc: RpcClients
    relay: OutboxRelay
    token_cache: TokenCache
    operations: list = field(default_factory=list)
    _spec: dict | None = None

    def openapi(self):
        if self._spec is None:
            self._spec = build_spec(self.operations)
        return self._spec


def create_app(config=None):
    config = config or GatewayConfig()
    configure_logging("gateway")
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False
    db = GatewayDatabase(config.database_url)
    state = GatewayState(config, db, RpcClients(config), OutboxRelay(db.engine, config.amqp_uri),
                         TokenCache(config.token_cache_seconds))
    app.extensions["proofsheet"] = state

    @app.before_request
    def _request_id():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        current_request_id.set(g.request_id)

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-Id"] = getattr(g, "request_id", "")
        return response

    register_error_handlers(app)
    for module in API_MODULES:
        app.register_blueprint(module.api.blueprint)
        state.operations.extend(module.api.operations)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(docs.blueprint)
    return app
