"""Domain errors shared by every service and the gateway.

They travel across nameko RPC: nameko serialises an exception as its type path plus
``exc_args``; every class here is registered with ``deserialize_to_instance`` so a
nameko caller gets the same type back, and the gateway's own RPC client rebuilds them
from the same registry. The gateway maps them to HTTP in one place.
"""
from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    code = "internal"
    http_status = 500

    def __init__(self, message, fields=None):
        super().__init__(message, fields or {})
        self.message = message
        self.fields = dict(fields or {})

    def __str__(self):
        if self.fields:
            detail = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
            return f"{self.message} ({detail})"
        return self.message

    def to_dict(self):
        return {"code": self.code, "message": self.message, "fields": self.fields}


@deserialize_to_instance
class ValidationError(DomainError):
    code = "validation_error"
    http_status = 400


@deserialize_to_instance
class Unauthorized(DomainError):
    code = "unauthorized"
    http_status = 401


@deserialize_to_instance
class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403


@deserialize_to_instance
class NotFound(DomainError):
    code = "not_found"
    http_status = 404


@deserialize_to_instance
class Conflict(DomainError):
    code = "conflict"
    http_status = 409


@deserialize_to_instance
class Unprocessable(DomainError):
    code = "unprocessable"
    http_status = 422


@deserialize_to_instance
class RateLimited(DomainError):
    code = "rate_limited"
    http_status = 429


@deserialize_to_instance
class Unavailable(DomainError):
    code = "unavailable"
    http_status = 503


ERROR_TYPES = {
    cls.__name__: cls
    for cls in (ValidationError, Unauthorized, Forbidden, NotFound, Conflict,
                Unprocessable, RateLimited, Unavailable)
}


def not_found(kind, ident, field="id"):
    return NotFound(f"{kind} {ident} does not exist", {field: "not found"})


def from_remote(exc_type, exc_args, value):
    """Rebuild a domain error from nameko's serialised form, or None if it is not one."""
    cls = ERROR_TYPES.get(exc_type)
    if cls is None:
        return None
    message = exc_args[0] if exc_args else value
    fields = exc_args[1] if len(exc_args) > 1 and isinstance(exc_args[1], dict) else {}
    return cls(message, fields)
