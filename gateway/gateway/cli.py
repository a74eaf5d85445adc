"""Operator commands: ``python -m gateway.cli ensure-admin``."""
import argparse
import os
import secrets
import sys

from sqlalchemy import select

from .config import GatewayConfig
from .db import GatewayDatabase
from .models import User
from .users import create_user


def ensure_admin(config):
    """Create user ``admin`` when there is no user at all. Prints a generated password once."""
    db = GatewayDatabase(config.database_url)
    with db.session() as session:
        if session.scalar(select(User.id).limit(1)) is not None:
            print("admin: users already exist; nothing to do")
            return 0
        password = os.environ.get("PROOFSHEET_ADMIN_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        create_user(session, {"username": "admin", "name": "Administrator", "roles": ["admin"],
                              "password": password})
    if generated:
        print(f"admin: created user 'admin' with password: {password}\n"
              "       (shown only now; set PROOFSHEET_ADMIN_PASSWORD to choose it yourself)")
    else:
        print("admin: created user 'admin' with the password from PROOFSHEET_ADMIN_PASSWORD")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gateway.cli")
    parser.add_argument("command", choices=["ensure-admin"])
    args = parser.parse_args(argv)
    if args.command == "ensure-admin":
        return ensure_admin(GatewayConfig())
    return 2


if __name__ == "__main__":
    sys.exit(main())
