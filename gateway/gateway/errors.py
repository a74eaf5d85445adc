"""The one place where errors become HTTP responses."""
import logging

from flask import g, jsonify
from werkzeug.exceptions import HTTPException

from proofsheet_shared.errors import DomainError

from .rpc import RemoteFailure

log = logging.getLogger(__name__)

HTTP_CODES = {400: "validation_error", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "validation_error",
              415: "validation_error", 422: "unprocessable", 429: "rate_limited", 503: "unavailable"}


def error_response(status, code, message, fields=None):
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


def register_error_handlers(app):
    @app.errorhandler(DomainError)
    def _domain(exc):
        return error_response(exc.http_status, exc.code, exc.message, exc.fields)

    @app.errorhandler(HTTPException)
    def _http(exc):
        return error_response(exc.code, HTTP_CODES.get(exc.code, "error"), exc.description or exc.name)

    @app.errorhandler(RemoteFailure)
    def _remote(exc):
        log.error("service %s failed: %s", exc.service, exc)
        return error_response(500, "internal", "an internal error occurred; it has been logged",
                              {"request_id": getattr(g, "request_id", None)})

    @app.errorhandler(Exception)
    def _bug(exc):
        log.exception("unhandled error")
        return error_response(500, "internal", "an internal error occurred; it has been logged",
                              {"request_id": getattr(g, "request_id", None)})
