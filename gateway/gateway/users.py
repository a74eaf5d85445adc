"""Staff users: create, change, list, and authenticate with throttling."""
import datetime as dt

from sqlalchemy import delete, func, select

from proofsheet_shared.errors import Conflict, NotFound, RateLimited, Unauthorized, Unprocessable
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load
from proofsheet_shared.types import utcnow

from .models import AuthToken, LoginFailure, User
from .permissions import permissions_for
from .schemas import LoginSchema, UserInSchema, UserListArgs
from .security import hash_password, needs_rehash, new_token, token_digest, verify_password


def user_to_dict(user):
    return {"id": user.id, "username": user.username, "name": user.name, "email": user.email,
            "roles": list(user.roles), "permissions": sorted(permissions_for(user.roles)),
            "active": user.active, "created_at": user.created_at.isoformat(),
            "updated_at": user.updated_at.isoformat()}


def get_user(session, user_id):
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist", {"id": "not found"})
    return user


def list_users(session, args):
    args = load(UserListArgs(), args)
    stmt = select(User).order_by(User.id)
    if args.get("active") is not None:
        stmt = stmt.where(User.active == args["active"])
    after = decode_cursor(args.get("cursor"), 1)
    if after:
        stmt = stmt.where(User.id > after[0])
    rows = list(session.scalars(stmt.limit(args["limit"] + 1)))
    next_cursor = encode_cursor([rows[args["limit"] - 1].id]) if len(rows) > args["limit"] else None
    return {"items": [user_to_dict(u) for u in rows[:args["limit"]]], "next_cursor": next_cursor}


def _username_taken(session, username, exclude_id=None):
    stmt = select(User.id).where(User.username == username)
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return session.scalar(stmt) is not None


def create_user(session, payload):
    data = load(UserInSchema(), payload)
    if _username_taken(session, data["username"]):
        raise Conflict(f"username '{data['username']}' is taken", {"username": "already in use"})
    now = utcnow()
    user = User(username=data["username"], name=data["name"], email=data.get("email"),
                roles=sorted(set(data["roles"])), active=data.get("active", True),
                password_hash=hash_password(data["password"]), created_at=now, updated_at=now)
    session.add(user)
    session.flush()
    return user_to_dict(user)


def _active_admins(session, exclude_id):
    users = session.scalars(select(User).where(User.active.is_(True), User.id != exclude_id))
    return [u for u in users if "admin" in u.roles]


def update_user(session, user_id, payload, acting_user):
    data = load(UserInSchema(), payload, partial=True)
    user = get_user(session, user_id)
    if "username" in data and _username_taken(session, data["username"], exclude_id=user.id):
        raise Conflict(f"username '{data['username']}' is taken", {"username": "already in use"})
    loses_admin = ("roles" in data and "admin" not in data["roles"]) or data.get("active") is False
    if "admin" in user.roles and user.active and loses_admin and not _active_admins(session, user.id):
        raise Unprocessable("the studio must keep at least one active admin",
                            {"roles" if "roles" in data else "active": "last active admin"})
    for field in ("username", "name", "email", "active"):
        if field in data:
            setattr(user, field, data[field])
    if "roles" in data:
        user.roles = sorted(set(data["roles"]))
    if "password" in data:
        user.password_hash = hash_password(data["password"])
    if "password" in data or data.get("active") is False:
        session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
    user.updated_at = utcnow()
    session.flush()
    return user_to_dict(user)


def _recent_failures(session, username_key, since):
    return session.scalar(select(func.count()).select_from(LoginFailure)
                          .where(LoginFailure.username_key == username_key, LoginFailure.at >= since))


def login(session, payload, remote_addr, config):
    """A new bearer token for valid credentials; refuses after repeated failures."""
    data = load(LoginSchema(), payload)
    username_key = data["username"].strip().lower()[:64]
    now = utcnow()
    window_start = now - dt.timedelta(minutes=config.login_lock_minutes)
    if _recent_failures(session, username_key, window_start) >= config.login_max_failures:
        raise RateLimited("too many failed logins; try again later",
                          {"username": f"locked for up to {config.login_lock_minutes} minutes"})
    user = session.scalar(select(User).where(User.username == username_key))
    valid = verify_password(user.password_hash if user else None, data["password"])
    if not valid or not user.active:
        return None, LoginFailure(username_key=username_key, remote_addr=remote_addr, at=now)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(data["password"])
    session.execute(delete(LoginFailure).where(LoginFailure.username_key == username_key))
    session.execute(delete(AuthToken).where(AuthToken.expires_at < now))
    token = new_token()
    expires = now + dt.timedelta(hours=config.token_ttl_hours)
    session.add(AuthToken(token_hash=token_digest(token), user_id=user.id, created_at=now, expires_at=expires))
    return {"token": token, "expires_at": expires.isoformat(), "user": user_to_dict(user)}, None


def record_failure(session, failure):
    session.add(failure)


def logout(session, token):
    session.execute(delete(AuthToken).where(AuthToken.token_hash == token_digest(token)))


def confirm_password(session, user_id, password):
    user = get_user(session, user_id)
    return verify_password(user.password_hash, password or "")


def authenticate(session, token):
    """The active user a bearer token belongs to, or Unauthorized."""
    row = session.execute(
        select(User.id, User.username, User.name, User.roles, User.active, AuthToken.expires_at)
        .join(AuthToken, AuthToken.user_id == User.id)
        .where(AuthToken.token_hash == token_digest(token))).first()
    if row is None or not row.active or row.expires_at <= utcnow():
        raise Unauthorized("the token is missing, expired or revoked; log in again", {"token": "invalid"})
    return row
