"""The ``staff`` nameko service: answers other services' questions about staff and the studio.

It lives in the gateway deployable because it reads the gateway's tables; no other service
does. It also notes when money is first recorded, which fixes the studio's currency.
"""
from sqlalchemy import select

from proofsheet_shared.context import CallerIdentity
from proofsheet_shared.db import Database
from proofsheet_shared.entrypoints import event_handler, rpc

from .models import Base, User
from .studio import get_settings_row, mark_money_recorded, settings_to_dict


def staff_to_dict(user):
    return {"id": user.id, "username": user.username, "name": user.name, "email": user.email,
            "roles": list(user.roles), "active": user.active}


class StaffService:
    name = "staff"

    db = Database(Base.metadata, service_name="gateway")
    caller = CallerIdentity()

    @rpc
    def ping(self):
        return "pong"

    @rpc
    def get_staff(self, user_id):
        """The staff member, or None if there is no such user."""
        user = self.db.session.get(User, user_id)
        return staff_to_dict(user) if user else None

    @rpc
    def get_staff_many(self, user_ids):
        users = self.db.session.scalars(select(User).where(User.id.in_([int(i) for i in user_ids][:1000])))
        return {str(u.id): staff_to_dict(u) for u in users}

    @rpc
    def staff_exists(self, user_id, active_only=True):
        user = self.db.session.get(User, user_id)
        return bool(user and (user.active or not active_only))

    @rpc
    def get_studio_settings(self):
        return settings_to_dict(get_settings_row(self.db.session))

    @event_handler("invoicing", "invoice_created")
    def on_invoice_created(self, envelope):
        mark_money_recorded(self.db.session)

    @event_handler("payments", "payment_recorded")
    def on_payment_recorded(self, envelope):
        mark_money_recorded(self.db.session)
