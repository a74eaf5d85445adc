"""Users, login throttling, tokens and studio settings, called directly on SQLite."""
import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from gateway.config import GatewayConfig
from gateway.models import AuthToken, Base
from gateway.studio import mark_money_recorded, update_settings
from gateway.token_cache import TokenCache
from gateway.users import authenticate, create_user, login, logout, record_failure, update_user
from proofsheet_shared import testing
from proofsheet_shared.errors import Conflict, RateLimited, Unauthorized, Unprocessable, ValidationError

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


@pytest.fixture
def session(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    testing.upgrade(ALEMBIC_INI, url)
    engine = create_engine(url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def config():
    return dataclasses.replace(GatewayConfig(database_url="sqlite://", secret_key="x"),
                               login_max_failures=3, login_lock_minutes=15)


def admin(session):
    return create_user(session, {"username": "boss", "name": "Boss", "roles": ["admin"],
                                 "password": "long-enough-pw"})


def test_passwords_are_hashed_with_argon2_and_never_returned(session):
    user = admin(session)
    assert "password" not in user and "password_hash" not in user
    row = session.get(Base.registry._class_registry["User"], user["id"])
    assert row.password_hash.startswith("$argon2")


def test_login_issues_a_token_that_authenticates_until_logout(session, config):
    admin(session)
    result, failure = login(session, {"username": "BOSS", "password": "long-enough-pw"}, "127.0.0.1", config)
    assert failure is None and result["user"]["username"] == "boss"
    stored = session.scalars(select(AuthToken)).one()
    assert stored.token_hash != result["token"]
    assert authenticate(session, result["token"]).username == "boss"
    logout(session, result["token"])
    with pytest.raises(Unauthorized):
        authenticate(session, result["token"])


def test_repeated_failures_lock_the_username(session, config):
    admin(session)
    for _ in range(3):
        result, failure = login(session, {"username": "boss", "password": "wrong"}, "127.0.0.1", config)
        assert result is None
        record_failure(session, failure)
    with pytest.raises(RateLimited) as refused:
        login(session, {"username": "boss", "password": "long-enough-pw"}, "127.0.0.1", config)
    assert "username" in refused.value.fields


def test_user_validation_names_fields(session):
    with pytest.raises(ValidationError) as bad:
        create_user(session, {"username": "No Spaces", "name": "", "roles": ["emperor"], "password": "short"})
    assert {"username", "name", "roles.0", "password"} <= set(bad.value.fields)
    admin(session)
    with pytest.raises(Conflict):
        create_user(session, {"username": "boss", "name": "Again", "roles": ["staff"], "password": "long-enough-pw"})


def test_last_admin_is_kept(session):
    user = admin(session)
    with pytest.raises(Unprocessable):
        update_user(session, user["id"], {"active": False}, None)
    create_user(session, {"username": "second", "name": "Second", "roles": ["admin"], "password": "long-enough-pw"})
    assert update_user(session, user["id"], {"roles": ["staff"]}, None)["roles"] == ["staff"]


def test_studio_settings_record_an_event_and_lock_the_currency(session):
    settings, event_id = update_settings(session, {"currency": "cad", "time_zone": "America/Toronto"},
                                         {"user_id": 1, "request_id": "r"})
    assert settings["currency"] == "cad" and event_id
    mark_money_recorded(session)
    with pytest.raises(Unprocessable) as locked:
        update_settings(session, {"currency": "usd"}, {})
    assert "currency" in locked.value.fields
    assert update_settings(session, {"currency": "cad", "name": "Same Currency"}, {})[0]["name"] == "Same Currency"


def test_token_cache_expires_and_forgets():
    cache = TokenCache(ttl=60)
    cache.put("d", "caller")
    assert cache.get("d") == "caller"
    cache.forget("d")
    assert cache.get("d") is None
    cache.put("e", "caller", expires_at_monotonic=0)
    assert cache.get("e") is None
    assert TokenCache(ttl=0).get("x") is None
