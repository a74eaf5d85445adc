"""The OpenAPI 3 document, built from the same schemas that validate requests."""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .schemas import ErrorSchema

ERROR_DESCRIPTIONS = {400: "validation_error: the named fields are wrong", 401: "unauthorized",
                      403: "forbidden", 404: "not_found", 503: "unavailable: a service is not answering"}


def _openapi_path(path):
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)


def build_spec(operations):
    spec = APISpec(title="Proofsheet API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "The studio management API. Errors are always "
                                        "{\"error\": {\"code\", \"message\", \"fields\"}}."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    paths = {}
    for op in operations:
        path = _openapi_path(op.path)
        item = {"summary": op.summary, "tags": [op.tag], "responses": {}}
        if op.public:
            item["security"] = []
        else:
            item["security"] = [{"bearer": []}]
        params = [{"name": p, "in": "path", "required": True, "schema": {"type": "integer"}}
                  for p in re.findall(r"{(\w+)}", path)]
        if op.query is not None:
            params.append({"in": "query", "schema": op.query})
        if params:
            item["parameters"] = params
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {op.content_type: {"schema": op.body}}}
        ok = {"description": "OK"}
        if op.response is not None:
            ok["content"] = {"application/json": {"schema": op.response}}
        item["responses"][str(op.status)] = ok if op.status != 204 else {"description": "No content"}
        errors = {400: ERROR_DESCRIPTIONS[400]} if (op.body or op.query) else {}
        if not op.public:
            errors.update({401: ERROR_DESCRIPTIONS[401], 403: ERROR_DESCRIPTIONS[403]})
        if "{" in path:
            errors[404] = ERROR_DESCRIPTIONS[404]
        errors[503] = ERROR_DESCRIPTIONS[503]
        errors.update(op.extra_responses)
        for code, why in errors.items():
            item["responses"][str(code)] = {"description": why,
                                            "content": {"application/json": {"schema": "Error"}}}
        paths.setdefault(path, {})[op.method.lower()] = item
    for path, operations_ in paths.items():
        spec.path(path=path, operations=operations_)
    return spec.to_dict()
