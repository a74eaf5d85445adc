"""The payments routes' own work in the gateway, with the RPC client replaced: the security
preference (X-Confirm-Password checked here, the setting asked again before refusing), the
Idempotency-Key passed on (or made), and a card number refused before it reaches the broker."""
from pathlib import Path

import pytest

from gateway.app import create_app
from gateway.config import GatewayConfig
from gateway.routes import payments as routes
from gateway.users import create_user, login
from proofsheet_shared import testing

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
BODY = {"client_id": 1, "amount": 1000, "method_id": 1}


class FakeRpc:
    def __init__(self):
        self.require_credentials = False
        self.calls = []

    def call(self, service, method, *args, context=None, timeout=None, **kwargs):
        self.calls.append((service, method, args, dict(context or {})))
        if method == "security_settings":
            return {"require_credentials": self.require_credentials}
        return {"id": 1, "args": list(args)}

    def made(self):
        return [c for c in self.calls if c[1] != "security_settings"]


@pytest.fixture
def app(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    testing.upgrade(ALEMBIC_INI, url)
    app = create_app(GatewayConfig(database_url=url, secret_key="test-secret"))
    state = app.extensions["proofsheet"]
    state.rpc = FakeRpc()
    routes.security.forget()
    yield app
    routes.security.forget()


def token_for(app, username, roles, password="long-enough-pw"):
    state = app.extensions["proofsheet"]
    with state.db.session() as session:
        create_user(session, {"username": username, "name": username, "roles": roles, "password": password})
    with state.db.session() as session:
        result, _ = login(session, {"username": username, "password": password}, "127.0.0.1", state.config)
    return {"Authorization": f"Bearer {result['token']}"}


def post(app, headers, body=BODY, path="/api/v1/payments"):
    return app.test_client().post(path, json=body, headers=headers)


def test_preference_off_passes_the_key_on_or_makes_one(app):
    rpc = app.extensions["proofsheet"].rpc
    staff = token_for(app, "clerk", ["staff"])
    assert post(app, staff).status_code == 201
    assert post(app, {**staff, "Idempotency-Key": "till-7"}).status_code == 201
    (_, method, args, context), (_, _, args2, _) = rpc.made()
    assert method == "create_payment" and args[0] == BODY and args[1].startswith("gateway:")
    assert args2[1] == "till-7" and context["credentials_confirmed"] is False and context["user_id"]
    response = post(app, {**staff, "Idempotency-Key": "k" * 256})
    assert response.status_code == 400 and "Idempotency-Key" in response.json["error"]["fields"]


def test_a_wrong_password_is_refused_whatever_the_setting(app):
    rpc = app.extensions["proofsheet"].rpc
    staff = token_for(app, "clerk", ["staff"])
    response = post(app, {**staff, "X-Confirm-Password": "nope"})
    assert response.status_code == 403
    assert response.json["error"]["fields"] == {"X-Confirm-Password": "incorrect"}
    assert rpc.made() == []
    assert post(app, {**staff, "X-Confirm-Password": "long-enough-pw"}).status_code == 201
    assert rpc.made()[0][3]["credentials_confirmed"] is True


def test_preference_on_needs_payments_modify_and_the_password(app):
    rpc = app.extensions["proofsheet"].rpc
    rpc.require_credentials = True
    staff = token_for(app, "clerk", ["staff"])
    boss = token_for(app, "boss", ["manager"], password="boss-password")
    response = post(app, {**staff, "X-Confirm-Password": "long-enough-pw"})
    assert response.status_code == 403
    assert response.json["error"]["fields"] == {"permission": "payments.modify"}
    response = post(app, boss, path="/api/v1/payments/batch", body={"payments": [BODY]})
    assert response.status_code == 403
    assert response.json["error"]["fields"] == {"X-Confirm-Password": "required"}
    client = app.test_client()
    assert client.delete("/api/v1/payments/5", headers=boss).status_code == 403
    assert client.patch("/api/v1/payments/5", json={"amount": 5}, headers=staff).status_code == 403
    assert rpc.made() == []
    right = {**boss, "X-Confirm-Password": "boss-password"}
    assert client.delete("/api/v1/payments/5", headers=right).status_code == 200
    assert rpc.made()[-1][1] == "void_payment" and rpc.made()[-1][3]["credentials_confirmed"] is True


def test_a_cached_on_is_asked_again_before_refusing(app):
    rpc = app.extensions["proofsheet"].rpc
    staff = token_for(app, "clerk", ["staff"])
    rpc.require_credentials = True
    assert post(app, staff).status_code == 403
    rpc.require_credentials = False  # turned off, through another gateway process
    assert post(app, staff).status_code == 201
    assert [c[1] for c in rpc.calls] == ["security_settings", "security_settings", "security_settings",
                                         "create_payment"]


def test_a_card_number_never_reaches_the_broker(app):
    rpc = app.extensions["proofsheet"].rpc
    staff = token_for(app, "clerk", ["staff"])
    body = dict(BODY, method_id=3, card_type="visa", authorization_code="A", card_last4="4111111111111111")
    response = post(app, staff, body=body)
    assert response.status_code == 400 and "card_last4" in response.json["error"]["fields"]
    assert "4111111111111111" not in response.get_data(as_text=True)
    assert rpc.calls == []
