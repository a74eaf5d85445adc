"""Login, tokens, throttling, roles and the users API, over HTTP only."""
import pytest

from stack import Client, assert_error

pytestmark = pytest.mark.e2e


def make_user(admin, username, roles, password="a-long-password"):
    response = admin.post("/api/v1/users", json={"username": username, "name": username.title(),
                                                 "roles": roles, "password": password,
                                                 "email": f"{username}@example.com"})
    assert response.status_code == 201, response.text
    return response.json()


def test_login_returns_token_and_user_without_password(stack):
    response = Client(stack.url).post("/api/v1/auth/login",
                                      json={"username": "admin", "password": "admin-password-for-tests"})
    assert response.status_code == 200
    body = response.json()
    assert body["token"] and body["user"]["username"] == "admin"
    assert "admin" in body["user"]["roles"]
    assert "password" not in body["user"] and "password_hash" not in body["user"]


def test_wrong_password_is_401_and_repeated_failures_are_throttled(stack):
    make_user(stack.admin, "throttled", ["staff"])
    anonymous = Client(stack.url)
    for _ in range(5):
        assert_error(anonymous.post("/api/v1/auth/login", json={"username": "throttled", "password": "nope"}),
                     401, "unauthorized", "password")
    assert_error(anonymous.post("/api/v1/auth/login",
                                json={"username": "throttled", "password": "a-long-password"}),
                 429, "rate_limited", "username")


def test_missing_invalid_and_revoked_tokens_are_401(stack):
    assert_error(Client(stack.url).get("/api/v1/clients"), 401, "unauthorized", "Authorization")
    assert_error(Client(stack.url, "not-a-token").get("/api/v1/clients"), 401, "unauthorized")
    make_user(stack.admin, "leaver", ["staff"])
    session = stack.login("leaver", "a-long-password")
    assert session.get("/api/v1/auth/me").status_code == 200
    assert session.post("/api/v1/auth/logout").status_code == 204
    assert_error(session.get("/api/v1/auth/me"), 401, "unauthorized")


def test_login_validation_names_fields(anonymous):
    assert_error(anonymous.post("/api/v1/auth/login", json={"username": "admin"}), 400,
                 "validation_error", "password")
    response = anonymous.request("POST", "/api/v1/auth/login", data="{not json",
                                 headers={"Content-Type": "application/json"})
    assert_error(response, 400, "validation_error")


def test_users_api_and_roles(stack, admin):
    created = make_user(admin, "frontdesk", ["staff"])
    assert created["roles"] == ["staff"] and "password" not in created
    assert admin.get(f"/api/v1/users/{created['id']}").json()["username"] == "frontdesk"
    assert any(u["username"] == "frontdesk" for u in admin.get("/api/v1/users?limit=500").json()["items"])
    staff = stack.login("frontdesk", "a-long-password")
    assert_error(staff.post("/api/v1/users", json={"username": "sneaky", "name": "S", "roles": ["admin"],
                                                   "password": "a-long-password"}), 403, "forbidden")
    assert_error(admin.post("/api/v1/users", json={"username": "frontdesk", "name": "Again",
                                                   "roles": ["staff"], "password": "a-long-password"}),
                 409, "conflict", "username")
    assert_error(admin.post("/api/v1/users", json={"username": "x", "name": "X", "roles": ["wizard"],
                                                   "password": "short"}), 400, "validation_error", "roles.0")
    changed = admin.patch(f"/api/v1/users/{created['id']}", json={"name": "Front Desk", "roles": ["manager"]})
    assert changed.status_code == 200 and changed.json()["roles"] == ["manager"]
    assert_error(admin.get("/api/v1/users/999999"), 404, "not_found")


def test_password_change_revokes_tokens_and_deactivated_users_cannot_log_in(stack, admin):
    user = make_user(admin, "rotating", ["staff"])
    session = stack.login("rotating", "a-long-password")
    assert admin.patch(f"/api/v1/users/{user['id']}", json={"password": "another-long-one"}).status_code == 200
    assert_error(session.get("/api/v1/auth/me"), 401, "unauthorized")
    assert admin.patch(f"/api/v1/users/{user['id']}", json={"active": False}).status_code == 200
    assert_error(Client(stack.url).post("/api/v1/auth/login",
                                        json={"username": "rotating", "password": "another-long-one"}),
                 401, "unauthorized")


def test_the_last_admin_cannot_be_demoted(admin):
    me = admin.get("/api/v1/auth/me").json()
    others = [u for u in admin.get("/api/v1/users?limit=500").json()["items"]
              if "admin" in u["roles"] and u["active"] and u["id"] != me["id"]]
    if not others:
        assert_error(admin.patch(f"/api/v1/users/{me['id']}", json={"roles": ["staff"]}), 422,
                     "unprocessable", "roles")
