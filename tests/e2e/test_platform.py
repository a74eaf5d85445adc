"""Request ids, health, readiness, OpenAPI, studio settings and the currency lock."""
import time

import pytest
import requests

from stack import assert_error

pytestmark = pytest.mark.e2e


def test_request_id_is_echoed_or_made(stack, admin):
    response = admin.get("/api/v1/clients", headers={"X-Request-Id": "trace-123"})
    assert response.headers["X-Request-Id"] == "trace-123"
    assert len(requests.get(f"{stack.url}/healthz").headers["X-Request-Id"]) >= 16


def test_health_and_readiness(stack):
    assert requests.get(f"{stack.url}/healthz").json() == {"status": "ok"}
    ready = requests.get(f"{stack.url}/readyz")
    assert ready.status_code == 200 and set(ready.json()["services"].values()) == {"ok"}
    assert {"clients", "staff"} <= set(ready.json()["services"])


def test_openapi_describes_every_route_and_docs_page_serves(stack):
    spec = requests.get(f"{stack.url}/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/auth/login", "/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/clients",
                 "/api/v1/clients/{client_id}", "/api/v1/clients/{client_id}/family-members",
                 "/api/v1/settings/studio", "/api/v1/settings/clients", "/api/v1/client-statuses",
                 "/api/v1/phone-labels/{lookup_id}"):
        assert path in spec["paths"], path
    assert "ClientIn" in spec["components"]["schemas"]
    page = requests.get(f"{stack.url}/api/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert requests.get(f"{stack.url}/api/docs/static/swagger-ui-bundle.js").status_code == 200


def test_unknown_path_and_method_use_the_error_format(stack, admin):
    assert_error(admin.get("/api/v1/nothing-here"), 404, "not_found")
    assert admin.request("PUT", "/api/v1/clients").json()["error"]["code"] == "method_not_allowed"


def test_studio_settings_validate_and_reach_services(admin):
    assert_error(admin.patch("/api/v1/settings/studio", json={"time_zone": "Mars/Olympus"}), 400,
                 "validation_error", "time_zone")
    assert_error(admin.patch("/api/v1/settings/studio", json={"currency": "USD"}), 400,
                 "validation_error", "currency")
    changed = admin.patch("/api/v1/settings/studio", json={"name": "Bright Studio", "time_zone": "Pacific/Kiritimati",
                                                          "address": {"city": "Portland"}})
    assert changed.status_code == 200, changed.text
    assert admin.get("/api/v1/settings/studio").json()["name"] == "Bright Studio"


def test_currency_locks_once_money_is_recorded(stack, admin):
    assert admin.patch("/api/v1/settings/studio", json={"currency": "eur"}).json()["currency"] == "eur"
    publish_event(stack.amqp_uri, "payments", "payment_recorded", {"payment_id": 1, "amount": 1000})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not admin.get("/api/v1/settings/studio").json()["currency_locked"]:
        time.sleep(0.2)
    assert_error(admin.patch("/api/v1/settings/studio", json={"currency": "gbp"}), 422, "unprocessable", "currency")
    assert admin.get("/api/v1/settings/studio").json()["currency"] == "eur"


def publish_event(amqp_uri, source, event_type, data):
    """Stand in for a service that does not exist yet: publish its event as the outbox would."""
    import uuid

    from kombu import Connection, Exchange, Producer

    with Connection(amqp_uri) as conn:
        exchange = Exchange(f"{source}.events", type="topic", durable=True)
        Producer(conn).publish({"id": str(uuid.uuid4()), "type": f"{source}.{event_type}", "source": source,
                                "data": data}, exchange=exchange, routing_key=event_type,
                               declare=[exchange], serializer="json")


def test_a_stopped_service_is_503_naming_it_and_recovers(stack, admin):
    client = admin.post("/api/v1/clients", json={"last_name": "Outage"}).json()
    stack.stop_process("clients")
    try:
        ready = requests.get(f"{stack.url}/readyz", timeout=10)
        assert ready.status_code == 503 and "clients" in ready.json()["error"]["fields"]
        started = time.monotonic()
        error = assert_error(admin.get(f"/api/v1/clients/{client['id']}"), 503, "unavailable", "service")
        assert error["fields"]["service"] == "clients"
        assert time.monotonic() - started < 10
    finally:
        stack.start_service("clients")
        stack.wait_ready()
    assert admin.get(f"/api/v1/clients/{client['id']}").status_code == 200
