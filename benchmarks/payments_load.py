"""The payments of the invoices data set, loaded into the payments service's own tables.

The invoices data set (``invoicing_load``) writes the invoicing service's ``payment_records``:
what invoicing would have heard from the payments service about ~200k payments and deposits.
This copies them into the payments database as the payments service would hold them (cash,
recorded, number = id, one "created" status note each), so the two services agree before the
measurements start and new payments get ids after the loaded ones (an id invoicing already
knows would otherwise overwrite a loaded record). One transaction; sequences and the
numbering counter moved past the loaded rows; ANALYZE.
"""
import io
import time

from payments.models import Payment

from .stack import HarnessError, log

PAYMENT_COLUMNS = [c.name for c in Payment.__table__.columns]


def _select_list(currency):
    """payment_records (invoicing) → payments (payments service), column by column."""
    expressions = {
        "id": "payment_id",
        "payment_number": "payment_id::text",
        "kind": "kind",
        "status": "CASE WHEN voided THEN 'void' WHEN future THEN 'future' ELSE 'recorded' END",
        "client_id": "client_id",
        "invoice_id": "invoice_id",
        "credit_memo_id": "credit_memo_id",
        "payment_date": "COALESCE(payment_date, updated_at::date)",
        "amount": "amount",
        "currency": f"'{currency}'",
        "method_id": "1",
        "method_type": "'cash'",
        "processor": "'manual'",
        "processor_reference": "NULL",
        "amount_tendered": "CASE WHEN kind = 'payment' THEN amount END",
        "change_due": "CASE WHEN kind = 'payment' THEN 0 END",
        "check_number": "NULL",
        "card_type": "NULL",
        "authorization_code": "NULL",
        "card_last4": "NULL",
        "refundable": "false",
        "refundable_until": "NULL",
        "future": "future",
        "due_date": "NULL",
        "received_at": "NULL",
        "overpayment_of": "NULL",
        "notes": "NULL",
        "version": "1",
        "created_at": "updated_at",
        "created_by": "1",
        "updated_at": "updated_at",
        "updated_by": "1",
        "voided_at": "CASE WHEN voided THEN updated_at END",
        "voided_by": "NULL",
        "void_reason": "NULL",
    }
    missing = set(PAYMENT_COLUMNS) - set(expressions)
    if missing:
        raise HarnessError(f"payments has columns the loader does not fill: {sorted(missing)}")
    return ", ".join(f"{expressions[c]} AS {c}" for c in PAYMENT_COLUMNS)


def mirror_payments(invoicing_conn, payments_conn, currency):
    """Copy invoicing's payment records into the payments database; counts and timings."""
    started = time.monotonic()
    if not currency.isalpha():
        raise HarnessError(f"odd currency {currency!r}")
    buffer = io.StringIO()
    with invoicing_conn.cursor() as cur:
        cur.copy_expert(f"COPY (SELECT {_select_list(currency)} FROM payment_records ORDER BY 1) "
                        "TO STDOUT", buffer)
    exported = time.monotonic()
    buffer.seek(0)
    with payments_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM payments")
        if cur.fetchone()[0]:
            raise HarnessError("the payments database is not empty: the loader expects a fresh one")
        cur.copy_expert(f"COPY payments ({', '.join(PAYMENT_COLUMNS)}) FROM STDIN", buffer, size=1 << 20)
        cur.execute("INSERT INTO payment_notes (payment_id, at, user_id, action, changes, message) "
                    "SELECT id, created_at, 1, 'created', '[]'::json, "
                    "kind || ' ' || payment_number || ' of ' || (amount / 100) || '.' || "
                    "lpad((amount % 100)::text, 2, '0') || ' by Cash recorded (loaded)' FROM payments")
        cur.execute("SELECT count(*), COALESCE(max(id), 0) FROM payments")
        count, last = cur.fetchone()
        for table in ("payments", "payment_notes"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"GREATEST((SELECT max(id) FROM {table}), 1))")
        cur.execute("UPDATE payment_settings SET next_payment_number = %s, payment_number_prefix = '' "
                    "WHERE id = 1", (last + 1,))
    payments_conn.commit()
    loaded = time.monotonic()
    old = payments_conn.autocommit
    payments_conn.autocommit = True
    with payments_conn.cursor() as cur:
        cur.execute("ANALYZE payments")
        cur.execute("ANALYZE payment_notes")
    payments_conn.autocommit = old
    finished = time.monotonic()
    log(f"  mirrored {count:,} payments into the payments database in {finished - started:.1f} s")
    return {"payments": count, "seconds": {"export": round(exported - started, 1),
                                           "copy_and_notes": round(loaded - exported, 1),
                                           "analyze": round(finished - loaded, 1),
                                           "total": round(finished - started, 1)}}


def recompute_balances(invoicing_conn, payments_conn):
    """Every invoice's balance from scratch — its total, less what the payments database says
    was paid against it (payments less refunds, counted ones), less the deposits invoicing
    applied to it, less its credit memos — beside the balance invoicing stores.
    ``(invoices compared, [(invoice_id, stored, recomputed)] that differ, stored sum, recomputed sum)``."""
    with payments_conn.cursor() as cur:
        cur.execute("SELECT invoice_id, sum(CASE WHEN kind = 'refund' THEN -amount ELSE amount END) "
                    "FROM payments WHERE status = 'recorded' AND invoice_id IS NOT NULL GROUP BY invoice_id")
        paid = dict(cur.fetchall())
    with invoicing_conn.cursor() as cur:
        cur.execute("SELECT invoice_id, sum(amount) FROM deposit_applications GROUP BY invoice_id")
        applied = dict(cur.fetchall())
        cur.execute("SELECT invoice_id, sum(total) FROM credit_memos WHERE invoice_id IS NOT NULL "
                    "GROUP BY invoice_id")
        credited = dict(cur.fetchall())
        cur.execute("SELECT id, total, balance, voided_at IS NOT NULL FROM invoices")
        rows = cur.fetchall()
    invoicing_conn.rollback()
    payments_conn.rollback()
    differ, stored_sum, recomputed_sum = [], 0, 0
    for invoice_id, total, balance, void in rows:
        recomputed = (0 if void else total) - paid.get(invoice_id, 0) - applied.get(invoice_id, 0) \
            - credited.get(invoice_id, 0)
        stored_sum += balance
        recomputed_sum += recomputed
        if recomputed != balance:
            differ.append((invoice_id, balance, recomputed))
    return len(rows), differ, stored_sum, recomputed_sum
