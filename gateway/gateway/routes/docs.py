"""The OpenAPI document and the interactive API page (Swagger UI, served from the installed bundle)."""
from flask import Blueprint, current_app, send_from_directory
from swagger_ui_bundle import swagger_ui_path

blueprint = Blueprint("docs", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Proofsheet API</title>
<link rel="stylesheet" href="/api/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/static/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true});</script>
</body></html>"""

HOME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Proofsheet</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Proofsheet</h1><p>The studio management API is running.</p>
<ul><li><a href="/api/docs">Interactive API documentation</a></li>
<li><a href="/api/v1/openapi.json">OpenAPI document</a></li>
<li><a href="/readyz">Readiness</a></li></ul></body></html>"""


@blueprint.get("/")
def home():
    return HOME, 200, {"Content-Type": "text/html; charset=utf-8"}


@blueprint.get("/api/v1/openapi.json")
def openapi_json():
    return current_app.extensions["proofsheet"].openapi()


@blueprint.get("/api/docs")
def docs_page():
    return PAGE, 200, {"Content-Type": "text/html; charset=utf-8"}


@blueprint.get("/api/docs/static/<path:filename>")
def docs_static(filename):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
