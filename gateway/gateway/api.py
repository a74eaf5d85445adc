"""Routes that describe themselves: each registers its schemas for validation and OpenAPI."""
from dataclasses import dataclass, field

from flask import Blueprint, request

from proofsheet_shared.errors import ValidationError
from proofsheet_shared.schemas import load

from .auth import authorize


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    tag: str
    body: object = None
    query: object = None
    response: object = None
    status: int = 200
    permission: str | None = None
    public: bool = False
    extra_responses: dict = field(default_factory=dict)
    content_type: str = "application/json"


class Api:
    """A blueprint plus the list of operations it serves, for the OpenAPI document."""

    def __init__(self, name, url_prefix="/api/v1"):
        self.blueprint = Blueprint(name, __name__, url_prefix=url_prefix)
        self.url_prefix = url_prefix
        self.operations = []

    def route(self, rule, method, summary, tag, body=None, query=None, response=None, status=200,
              permission=None, public=False, partial=False, content_type="application/json",
              extra_responses=None):
        op = Operation(self.url_prefix + rule, method, summary, tag, body, query, response, status,
                       permission, public, dict(extra_responses or {}), content_type)
        self.operations.append(op)

        def decorate(fn):
            def view(**kwargs):
                if not public:
                    authorize(permission)
                if body is not None:
                    kwargs["body"] = validated_body(body, partial)
                if query is not None:
                    kwargs["args"] = validated_query(query)
                result = fn(**kwargs)
                if isinstance(result, tuple) or not isinstance(result, (dict, list)):
                    return result
                return result, status
            view.__name__ = f"{fn.__name__}_{method.lower()}"
            self.blueprint.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
            return fn
        return decorate


def json_body():
    if not request.data:
        return {}
    if not request.is_json:
        raise ValidationError("send the body as JSON with Content-Type: application/json",
                              {"_schema": "expected application/json"})
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationError("the body is not valid JSON", {"_schema": "malformed JSON"})
    return data


def validated_body(schema_cls, partial=False):
    """Validate the JSON body; the raw JSON goes on to the service, which validates it again."""
    data = json_body()
    load(schema_cls(), data, partial=partial)
    return data


def validated_query(schema_cls):
    raw = {k: v for k, v in request.args.items()}
    load(schema_cls(), raw)
    return raw
