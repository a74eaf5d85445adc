from flask import current_app, request

from proofsheet_shared.errors import Unauthorized

from ..api import Api
from ..auth import bearer_token, current_caller
from ..security import token_digest
from ..schemas import LoginResultSchema, LoginSchema, UserOutSchema
from ..users import get_user, login, logout, record_failure, user_to_dict

api = Api("auth")


def _state():
    return current_app.extensions["proofsheet"]


@api.route("/auth/login", "POST", "Log in with username and password; returns a bearer token", "auth",
           body=LoginSchema, response=LoginResultSchema, public=True,
           extra_responses={429: "too many failed logins"})
def post_login(body):
    state = _state()
    with state.db.session() as session:
        result, failure = login(session, body, request.remote_addr, state.config)
    if failure is not None:
        with state.db.session() as session:
            record_failure(session, failure)
        raise Unauthorized("wrong username or password", {"password": "invalid credentials"})
    return result


@api.route("/auth/logout", "POST", "Revoke the bearer token used for this request", "auth", status=204)
def post_logout():
    state = _state()
    with state.db.session() as session:
        logout(session, bearer_token())
    state.token_cache.forget(token_digest(bearer_token()))
    return "", 204


@api.route("/auth/me", "GET", "The logged-in user", "auth", response=UserOutSchema)
def get_me():
    caller = current_caller()
    with _state().db.session() as session:
        return user_to_dict(get_user(session, caller.user_id))
