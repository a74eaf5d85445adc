"""Email settings: the SMTP server, the sender and the campaign rate. The password is stored
encrypted and never returned (``smtp_password_set`` says whether there is one)."""

from proofsheet_shared.contracts.communications import EmailSettingsSchema
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from . import secrets
from .models import EmailSettings

FIELDS = (
    "smtp_host",
    "smtp_port",
    "smtp_tls",
    "smtp_username",
    "from_name",
    "from_address",
    "reply_to",
    "send_rate_per_minute",
)


def get_row(session, lock=False):
    row = session.get(EmailSettings, 1)
    if row is None:
        row = EmailSettings(
            id=1, smtp_port=587, smtp_tls="starttls", send_rate_per_minute=120, updated_at=utcnow()
        )
        session.add(row)
        session.flush()
    return row


def to_dict(row):
    result = {name: getattr(row, name) for name in FIELDS}
    result["smtp_password_set"] = bool(row.smtp_password_encrypted)
    return result


def get_settings(session):
    return to_dict(get_row(session))


def update_settings(session, payload, user_id):
    data = load(EmailSettingsSchema(), payload, partial=True)
    row = get_row(session)
    for name in FIELDS:
        if name in data:
            value = data[name]
            if name in ("smtp_port", "smtp_tls", "send_rate_per_minute") and value is None:
                continue
            setattr(row, name, value)
    if "smtp_password" in data:
        password = data["smtp_password"]
        row.smtp_password_encrypted = secrets.get().encrypt(password) if password else None
    row.updated_at, row.updated_by = utcnow(), user_id
    session.flush()
    return to_dict(row)


def sending_settings(session):
    """Everything a sender needs, the password decrypted (kept in memory only)."""
    row = get_row(session)
    result = to_dict(row)
    result["password"] = secrets.get().decrypt(row.smtp_password_encrypted)
    return result


def ready_problem(settings):
    """Why nothing can be sent with these settings, or None."""
    if not settings.get("smtp_host"):
        return "no SMTP server is set up (Settings → Email: smtp_host)"
    if not settings.get("from_address"):
        return "no sender address is set up (Settings → Email: from_address)"
    return None
