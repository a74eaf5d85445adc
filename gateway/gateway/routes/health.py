"""Liveness and readiness."""
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, current_app, g, jsonify

from proofsheet_shared.errors import DomainError

blueprint = Blueprint("health", __name__)
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="readyz")


@blueprint.get("/healthz")
def healthz():
    return {"status": "ok"}


def _ping(state, service, request_id):
    try:
        state.rpc.call(service, "ping", context={"request_id": request_id}, timeout=2)
        return service, None
    except DomainError as exc:
        return service, exc.message
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return service, str(exc) or type(exc).__name__


@blueprint.get("/readyz")
def readyz():
    state = current_app.extensions["proofsheet"]
    request_id = g.request_id
    results = dict(_pool.map(lambda s: _ping(state, s, request_id), state.config.ready_services))
    down = {service: why for service, why in results.items() if why}
    body = {"status": "ready" if not down else "unavailable",
            "services": {s: ("ok" if not why else why) for s, why in results.items()}}
    if down:
        body["error"] = {"code": "unavailable", "message": "not answering: " + ", ".join(sorted(down)),
                         "fields": down}
        return jsonify(body), 503
    return body
