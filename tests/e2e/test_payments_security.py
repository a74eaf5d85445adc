"""The security preference end to end (seed 000): off, any staff user may create, change and
delete payments; on, only a user holding ``payments.modify`` who re-enters their password in
``X-Confirm-Password`` may — anything else is 403 and nothing is written."""

import uuid

import pytest

from stack import Stack, assert_error

pytestmark = pytest.mark.e2e

CASH = 1
CLERK_PASSWORD, BOSS_PASSWORD = "clerk-password-1", "boss-password-1"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A stack of this module's own: the preference is studio-wide."""
    running = Stack(tmp_path_factory.mktemp("payments-security")).start()
    yield running
    running.stop()


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def people(stack):
    admin = stack.admin
    ok(
        admin.post(
            "/api/v1/users",
            json={"username": "clerk", "name": "Clerk", "roles": ["staff"], "password": CLERK_PASSWORD},
        ),
        201,
    )
    ok(
        admin.post(
            "/api/v1/users",
            json={"username": "boss", "name": "Boss", "roles": ["manager"], "password": BOSS_PASSWORD},
        ),
        201,
    )
    return {
        "admin": admin,
        "clerk": stack.login("clerk", CLERK_PASSWORD),
        "boss": stack.login("boss", BOSS_PASSWORD),
    }


@pytest.fixture
def setup(people):
    admin = people["admin"]
    client = ok(
        admin.post(
            "/api/v1/clients", json={"first_name": "Sam", "last_name": f"Secure{uuid.uuid4().hex[:6]}"}
        ),
        201,
    )
    invoice = ok(
        admin.post(
            "/api/v1/invoices",
            json={
                "client_id": client["id"],
                "tax_rate_id": None,
                "lines": [{"description": "Session", "unit_price": 50000, "taxable": False}],
            },
        ),
        201,
    )
    return client, invoice


def payments_of(admin, client_id):
    return ok(admin.get(f"/api/v1/clients/{client_id}/payments"))["items"]


def set_preference(admin, on, password=None):
    headers = {"X-Confirm-Password": password} if password else None
    return admin.patch("/api/v1/settings/payments", json={"require_credentials": on}, headers=headers)


def test_off_any_staff_user_may_and_a_wrong_password_is_still_refused(people, setup):
    clerk, admin = people["clerk"], people["admin"]
    client, invoice = setup
    assert ok(clerk.get("/api/v1/settings/payments"))["require_credentials"] is False
    made = ok(
        clerk.post("/api/v1/payments", json={"invoice_id": invoice["id"], "amount": 1000, "method_id": CASH}),
        201,
    )
    ok(clerk.patch(f"/api/v1/payments/{made['id']}", json={"amount": 1200}))
    assert ok(clerk.delete(f"/api/v1/payments/{made['id']}"))["status"] == "void"
    error = assert_error(
        clerk.post(
            "/api/v1/payments",
            json={"client_id": client["id"], "amount": 5, "method_id": CASH},
            headers={"X-Confirm-Password": "not-my-password"},
        ),
        403,
        "forbidden",
        "X-Confirm-Password",
    )
    assert "not-my-password" not in str(error)
    assert len(payments_of(admin, client["id"])) == 1
    notes = ok(admin.get(f"/api/v1/payments/{made['id']}/notes"))["items"]
    assert [n["action"] for n in notes] == ["created", "updated", "voided"]
    users = ok(admin.get("/api/v1/users", params={"limit": 50}))["items"]
    assert {n["user_id"] for n in notes} == {u["id"] for u in users if u["username"] == "clerk"}


def test_on_it_takes_payments_modify_and_the_password_again(people, setup):
    admin, clerk, boss = people["admin"], people["clerk"], people["boss"]
    client, invoice = setup
    before = ok(
        boss.post("/api/v1/payments", json={"invoice_id": invoice["id"], "amount": 1000, "method_id": CASH}),
        201,
    )
    assert ok(set_preference(admin, True))["require_credentials"] is True
    try:
        body = {"invoice_id": invoice["id"], "amount": 2000, "method_id": CASH}
        right = {"X-Confirm-Password": BOSS_PASSWORD}
        wrong = {"X-Confirm-Password": "guess"}
        # staff: not allowed even with their password
        assert_error(clerk.post("/api/v1/payments", json=body), 403, "forbidden", "permission")
        assert_error(
            clerk.post("/api/v1/payments", json=body, headers={"X-Confirm-Password": CLERK_PASSWORD}),
            403,
            "forbidden",
            "permission",
        )
        # a manager: only with the right password
        assert_error(boss.post("/api/v1/payments", json=body), 403, "forbidden", "X-Confirm-Password")
        assert_error(
            boss.post("/api/v1/payments", json=body, headers=wrong), 403, "forbidden", "X-Confirm-Password"
        )
        assert_error(
            boss.post("/api/v1/payments/batch", json={"payments": [body]}),
            403,
            "forbidden",
            "X-Confirm-Password",
        )
        assert_error(
            boss.patch(f"/api/v1/payments/{before['id']}", json={"amount": 1}, headers=wrong),
            403,
            "forbidden",
        )
        assert_error(boss.delete(f"/api/v1/payments/{before['id']}"), 403, "forbidden")
        assert_error(clerk.delete(f"/api/v1/payments/{before['id']}"), 403, "forbidden")
        # nothing was written by any of those
        assert [p["id"] for p in payments_of(admin, client["id"])] == [before["id"]]
        assert ok(admin.get(f"/api/v1/payments/{before['id']}"))["version"] == 1
        # reads are not affected
        assert ok(clerk.get(f"/api/v1/payments/{before['id']}"))["amount"] == 1000
        made = ok(boss.post("/api/v1/payments", json=body, headers=right), 201)
        ok(boss.patch(f"/api/v1/payments/{made['id']}", json={"amount": 2500}, headers=right))
        batch = ok(boss.post("/api/v1/payments/batch", json={"payments": [body]}, headers=right), 201)
        assert batch["count"] == 1
        assert ok(boss.delete(f"/api/v1/payments/{before['id']}", headers=right))["status"] == "void"
        assert len(payments_of(admin, client["id"])) == 3
        # turning it off is protected too
        assert_error(set_preference(admin, False), 403, "forbidden", "X-Confirm-Password")
    finally:
        ok(set_preference(admin, False, "admin-password-for-tests"))
    assert ok(
        clerk.post("/api/v1/payments", json={"client_id": client["id"], "amount": 5, "method_id": CASH}), 201
    )
