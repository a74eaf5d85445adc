from flask import current_app

from ..api import Api
from ..auth import current_caller
from ..schemas import UserInSchema, UserListArgs, UserOutSchema, UserPageSchema
from ..users import create_user, get_user, list_users, update_user, user_to_dict

api = Api("users")


def _db():
    return current_app.extensions["proofsheet"].db


@api.route("/users", "GET", "List staff users", "users", query=UserListArgs, response=UserPageSchema,
           permission="users.read")
def get_users(args):
    with _db().session() as session:
        return list_users(session, args)


@api.route("/users", "POST", "Create a staff user", "users", body=UserInSchema, response=UserOutSchema,
           status=201, permission="users.manage")
def post_user(body):
    with _db().session() as session:
        return create_user(session, body)


@api.route("/users/<int:user_id>", "GET", "One staff user", "users", response=UserOutSchema,
           permission="users.read")
def get_one_user(user_id):
    with _db().session() as session:
        return user_to_dict(get_user(session, user_id))


@api.route("/users/<int:user_id>", "PATCH", "Change a staff user (password is write-only)", "users",
           body=UserInSchema, partial=True, response=UserOutSchema, permission="users.manage")
def patch_user(user_id, body):
    with _db().session() as session:
        result = update_user(session, user_id, body, current_caller())
    if "password" in body or body.get("active") is False or "roles" in body:
        current_app.extensions["proofsheet"].token_cache.clear()
    return result
