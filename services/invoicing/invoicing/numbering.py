"""Invoice numbers: the studio's prefix plus a sequence, unique and gap-free.

The number is taken by ``UPDATE invoice_settings ... RETURNING`` inside the invoice's own
transaction. On PostgreSQL the row lock makes concurrent creates queue for the number until
the holder commits (or rolls back, which gives the number back: no gaps); on SQLite the
database write lock does the same. Numbers already taken (the counter set back by hand) are
skipped.
"""
from sqlalchemy import select, update

from .catalog import get_settings
from .models import Invoice, InvoiceSettings


def number_taken(session, number):
    return session.scalar(select(Invoice.id).where(Invoice.invoice_number == number)) is not None


def allocate_number(session):
    settings = get_settings(session)
    while True:
        taken = session.execute(
            update(InvoiceSettings).where(InvoiceSettings.id == 1)
            .values(next_invoice_number=InvoiceSettings.next_invoice_number + 1)
            .returning(InvoiceSettings.invoice_number_prefix, InvoiceSettings.next_invoice_number)
            .execution_options(synchronize_session=False)
        ).one()
        session.expire(settings, ["next_invoice_number"])
        number = f"{taken.invoice_number_prefix}{taken.next_invoice_number - 1}"
        if not number_taken(session, number):
            return number
