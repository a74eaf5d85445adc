"""JSON logging that carries the current request id."""
import contextvars
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

current_request_id = contextvars.ContextVar("request_id", default=None)

FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = current_request_id.get()
        return True


class ServiceJsonFormatter(JsonFormatter):
    """One JSON object a line: time, level, logger, message, request_id, service."""

    def __init__(self, service="proofsheet", **kwargs):
        kwargs.setdefault("fmt", FIELDS)
        kwargs.setdefault("rename_fields", RENAMED)
        kwargs.setdefault("static_fields", {"service": service})
        super().__init__(**kwargs)


def configure_logging(service, level="INFO"):
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(ServiceJsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
