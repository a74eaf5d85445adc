"""Studio settings: name, address, contact, time zone and currency."""
from proofsheet_shared.contracts.clients import AddressSchema
from proofsheet_shared.errors import Unprocessable
from proofsheet_shared.outbox import record_event
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .models import StudioSettings
from .schemas import StudioSettingsSchema

ADDRESS_FIELDS = tuple(AddressSchema().fields)
EVENT_SOURCE = "staff"


def get_settings_row(session):
    row = session.get(StudioSettings, 1)
    if row is None:
        row = StudioSettings(id=1, name="My Studio", address={}, time_zone="UTC", currency="usd",
                             updated_at=utcnow())
        session.add(row)
        session.flush()
    return row


def settings_to_dict(row):
    return {"name": row.name, "address": {f: (row.address or {}).get(f) for f in ADDRESS_FIELDS},
            "phone": row.phone, "email": row.email, "time_zone": row.time_zone,
            "currency": row.currency, "currency_locked": row.money_recorded_at is not None}


def update_settings(session, payload, context):
    """Apply a PATCH; the currency is fixed once any money has been recorded.

    Returns the new settings and the id of the ``staff.studio_settings_changed`` event
    written to the outbox in the same transaction."""
    data = load(StudioSettingsSchema(), payload, partial=True)
    row = get_settings_row(session)
    if "currency" in data and data["currency"] != row.currency and row.money_recorded_at is not None:
        raise Unprocessable("the currency cannot change once money has been recorded",
                            {"currency": "locked: money has been recorded in " + row.currency})
    for field in ("name", "phone", "email", "time_zone", "currency"):
        if field in data:
            setattr(row, field, data[field])
    if "address" in data:
        row.address = {f: (data["address"] or {}).get(f) for f in ADDRESS_FIELDS}
    row.updated_at = utcnow()
    session.flush()
    settings = settings_to_dict(row)
    event_id = record_event(session, EVENT_SOURCE, "studio_settings_changed", {"settings": settings}, context)
    return settings, event_id


def mark_money_recorded(session):
    row = get_settings_row(session)
    if row.money_recorded_at is None:
        row.money_recorded_at = utcnow()
