"""Client numbers: the studio's prefix plus a sequence, unique even under concurrent creates."""
from sqlalchemy import select, update

from proofsheet_shared.contracts.clients import ClientSettingsSchema
from proofsheet_shared.schemas import load

from .models import Client, ClientSettings


def get_settings(session):
    settings = session.get(ClientSettings, 1)
    if settings is None:
        settings = ClientSettings(id=1, client_number_prefix="", next_client_number=1000, auto_capitalize=True)
        session.add(settings)
        session.flush()
    return settings


def settings_to_dict(settings):
    return {"client_number_prefix": settings.client_number_prefix,
            "next_client_number": settings.next_client_number,
            "auto_capitalize": settings.auto_capitalize}


def update_settings(session, payload):
    data = load(ClientSettingsSchema(), payload, partial=True)
    settings = get_settings(session)
    if "client_number_prefix" in data:
        settings.client_number_prefix = (data["client_number_prefix"] or "").strip()
    for field in ("next_client_number", "auto_capitalize"):
        if field in data:
            setattr(settings, field, data[field])
    session.flush()
    return settings_to_dict(settings)


def number_taken(session, number, exclude_id=None):
    stmt = select(Client.id).where(Client.client_number == number)
    if exclude_id is not None:
        stmt = stmt.where(Client.id != exclude_id)
    return session.scalar(stmt) is not None


def allocate_number(session):
    """Take the next number. The row update locks the settings row until commit
    (PostgreSQL) or takes SQLite's write lock, so concurrent creates never share one;
    numbers already entered by hand are skipped."""
    get_settings(session)
    while True:
        taken = session.execute(
            update(ClientSettings).where(ClientSettings.id == 1)
            .values(next_client_number=ClientSettings.next_client_number + 1)
            .returning(ClientSettings.client_number_prefix, ClientSettings.next_client_number)
        ).one()
        number = f"{taken.client_number_prefix}{taken.next_client_number - 1}"
        if not number_taken(session, number):
            return number
