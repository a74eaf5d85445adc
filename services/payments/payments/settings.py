"""The payments settings (one row): the security preference and payment numbering.

Payment numbers (prefix + counter) are taken with ``UPDATE ... RETURNING`` on the settings
row, after every check has passed, just before the insert; a batch takes all its numbers in
one statement, and numbers already taken (the counter set back by hand) are skipped.

Unlike invoice numbers they are not held in the payment's own transaction on PostgreSQL: there
the row lock would last until the payment commits and every payment of the studio would queue
behind it (measured: about 10 payments a second with 16 at the counter). The number is taken
in a short autocommit statement of its own instead, so numbers are unique and increasing, and
a payment that fails after taking its number (a database failure: the checks come first)
leaves a gap; the status notes, not the numbers, are the audit trail. SQLite has one writer
at a time anyway: there the number is taken inside the transaction (the worker holds the only
connection).
"""
from sqlalchemy import select, update

from proofsheet_shared.contracts.payments import PaymentSettingsSchema
from proofsheet_shared.errors import Forbidden
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .models import Payment, PaymentSettings

MODIFY = "payments.modify"


def get_settings(session):
    settings = session.get(PaymentSettings, 1)
    if settings is None:  # the migration seeds it; a hand-made database may lack it
        settings = PaymentSettings(id=1, require_credentials=False, payment_number_prefix="",
                                   next_payment_number=1, updated_at=utcnow())
        session.add(settings)
        session.flush()
    return settings


def settings_to_dict(settings):
    return {"require_credentials": settings.require_credentials,
            "payment_number_prefix": settings.payment_number_prefix or "",
            "next_payment_number": settings.next_payment_number}


def update_settings(session, payload, user_id):
    data = load(PaymentSettingsSchema(), payload, partial=True)
    settings = get_settings(session)
    for name in ("require_credentials", "next_payment_number"):
        if name in data:
            setattr(settings, name, data[name])
    if "payment_number_prefix" in data:
        settings.payment_number_prefix = data["payment_number_prefix"] or ""
    settings.updated_at = utcnow()
    settings.updated_by = user_id
    session.flush()
    return settings_to_dict(settings)


def check_credentials(session, caller, confirmed):
    """The security preference: when on, creating, changing or deleting payments and refunds
    needs the ``payments.modify`` permission and a password the gateway has just confirmed
    (``X-Confirm-Password``). Raises Forbidden before anything is written."""
    if not get_settings(session).require_credentials:
        return
    if not caller.can(MODIFY):
        raise Forbidden(f"the security preference is on: this needs the '{MODIFY}' permission",
                        {"permission": MODIFY})
    if not confirmed:
        raise Forbidden("the security preference is on: confirm your password in the X-Confirm-Password "
                        "header", {"X-Confirm-Password": "required"})


def _take(session, wanted):
    stmt = (update(PaymentSettings).where(PaymentSettings.id == 1)
            .values(next_payment_number=PaymentSettings.next_payment_number + wanted)
            .returning(PaymentSettings.payment_number_prefix, PaymentSettings.next_payment_number))
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        with bind.connect() as connection:
            return connection.execution_options(isolation_level="AUTOCOMMIT").execute(stmt).one()
    return session.execute(stmt.execution_options(synchronize_session=False)).one()


def allocate_numbers(session, count):
    """``count`` new payment numbers, in order."""
    numbers = []
    while len(numbers) < count:
        wanted = count - len(numbers)
        taken = _take(session, wanted)
        first = taken.next_payment_number - wanted
        candidates = [f"{taken.payment_number_prefix}{n}" for n in range(first, first + wanted)]
        used = set(session.scalars(select(Payment.payment_number)
                                   .where(Payment.payment_number.in_(candidates))))
        numbers.extend(n for n in candidates if n not in used)
    settings = session.get(PaymentSettings, 1)
    if settings is not None:
        session.expire(settings, ["next_payment_number"])
    return numbers
