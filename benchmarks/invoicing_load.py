"""Bulk load of generated invoices straight into the invoicing service's PostgreSQL tables.

300,000 × BENCH_SCALE invoices of 1–8 lines each over the loaded clients, spread over the
last two years: about 60 % paid in full, 15 % part paid, 20 % open, 5 % void; 5 % carry a
coupon; 2 % of clients hold an unapplied deposit. Amounts come from the service's own
arithmetic (``invoicing.money``), payments from the same rules as the ledger, so the loaded
rows are what the service itself would have stored.

As the clients loader does: one transaction, TRUNCATE, indexes and constraints dropped and
recreated from ``pg_catalog`` (``clients_load``'s helpers), COPY ... FREEZE in batches written
by a second thread while the next batch is generated, sequences and the numbering counter
moved past the loaded rows, ANALYZE.
"""
import datetime as dt
import queue
import random
import threading
import time

from psycopg2 import sql

from invoicing import money
from invoicing.models import Invoice, InvoiceLine, PaymentRecord

from .clients_load import _copy, _drop, _recreate, _schema_objects
from .stack import HarnessError, log

BULK_TABLES = ("invoices", "invoice_lines", "payment_records", "deposit_applications", "credit_memo_lines",
               "credit_memos")
BATCH = 10_000
FIRST_NUMBER = 1000
INVOICE_COLUMNS = [c.name for c in Invoice.__table__.columns]
LINE_COLUMNS = [c.name for c in InvoiceLine.__table__.columns]
PAYMENT_COLUMNS = [c.name for c in PaymentRecord.__table__.columns]


def _value(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_line(row, columns):
    return "\t".join(_value(row[c]) for c in columns) + "\n"


class Catalog:
    """What the generator picks from: item ``(id, name, price, taxable)``s, the tax rate, the promotion."""

    def __init__(self, items, rate_id, rate_bp, promo):
        self.items, self.rate_id, self.rate_bp, self.promo = items, rate_id, rate_bp, promo


def build_invoice(rng, invoice_id, client_count, catalog, today, currency):
    """One invoice, its lines and payments, as rows (dicts keyed by column)."""
    client_id = rng.randint(1, client_count)
    invoice_date = today - dt.timedelta(days=rng.randint(0, 730))
    lines = []
    for _ in range(rng.randint(1, 8)):
        item_id, name, price, taxable = rng.choice(catalog.items)
        lines.append({"item_id": item_id, "description": name, "quantity": rng.choice((1, 1, 1, 2, 3)),
                      "unit_price": price, "taxable": taxable})
    tuples = [(ln["quantity"], ln["unit_price"], ln["taxable"]) for ln in lines]
    coupon = rng.random() < 0.05
    subtotal = sum(q * p for q, p, _ in tuples)
    discount = money.coupon_discount(subtotal, percent_off=catalog.promo["percent_off"]) if coupon else 0
    totals = money.compute(tuples, catalog.rate_bp, discount)
    roll = rng.random()
    paid = totals.total if roll < 0.60 else (rng.randint(1, max(totals.total - 1, 1)) if roll < 0.75 else 0)
    void = roll >= 0.95
    if void:
        paid = 0
    balance = (0 if void else totals.total) - paid
    status = "void" if void else ("paid" if balance <= 0 else "open")
    created = dt.datetime.combine(invoice_date, dt.time(10, 0), dt.timezone.utc)
    invoice = {
        "id": invoice_id, "invoice_number": str(FIRST_NUMBER + invoice_id - 1), "client_id": client_id,
        "session_id": None, "session_type_id": rng.choice((None, 1, 2, 3)), "invoice_date": invoice_date,
        "due_date": invoice_date + dt.timedelta(days=30), "status": status, "currency": currency,
        "tax_rate_id": catalog.rate_id, "tax_rate_basis_points": catalog.rate_bp,
        "coupon_item_id": catalog.promo["id"] if coupon else None,
        "coupon_code": catalog.promo["coupon_code"] if coupon else None,
        "subtotal": totals.subtotal, "discount": totals.discount, "tax": totals.tax, "total": totals.total,
        "paid": paid, "refunded": 0, "credited": 0, "balance": balance, "notes": None, "created_at": created,
        "updated_at": created, "voided_at": created + dt.timedelta(days=1) if void else None,
        "created_by": 1, "updated_by": 1}
    line_rows = [dict(ln, position=position, amount=amounts.amount, discount=amounts.discount,
                      tax=amounts.tax, total=amounts.total)
                 for position, (ln, amounts) in enumerate(zip(lines, totals.lines))]
    return invoice, line_rows, coupon


def bulk_load(conn, count, client_count, catalog, currency, today, seed=20261122):
    started = time.monotonic()
    rng = random.Random(seed)
    cur = conn.cursor()
    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for model, columns in ((Invoice, INVOICE_COLUMNS), (InvoiceLine, LINE_COLUMNS),
                           (PaymentRecord, PAYMENT_COLUMNS)):
        missing = {c.name for c in model.__table__.columns} - set(columns)
        if missing:
            raise HarnessError(f"{model.__tablename__} has columns the loader does not fill: "
                               f"{sorted(missing)}")
    cur.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, BULK_TABLES))))
    constraints, indexes = _schema_objects(cur, BULK_TABLES[:3])
    _drop(cur, constraints, indexes)

    batches = queue.Queue(maxsize=2)
    failure = []

    def writer():
        wcur = conn.cursor()
        try:
            while (batch := batches.get()) is not None:
                for table, columns, text in batch:
                    _copy(wcur, table, columns, text)
        except Exception as exc:  # noqa: BLE001 - reported by the producer
            failure.append(exc)
            while batches.get() is not None:
                pass

    thread = threading.Thread(target=writer, name="bulk-copy-invoices", daemon=True)
    thread.start()
    totals = {"invoices": 0, "invoice_lines": 0, "payment_records": 0, "coupon_uses": 0}
    line_id = payment_id = 0
    samples = []
    now = dt.datetime.now(dt.timezone.utc)
    try:
        for start in range(0, count, BATCH):
            inv_text, line_text, pay_text = [], [], []
            for invoice_id in range(start + 1, min(start + BATCH, count) + 1):
                invoice, lines, coupon = build_invoice(rng, invoice_id, client_count, catalog, today,
                                                       currency)
                totals["coupon_uses"] += coupon
                inv_text.append(copy_line(invoice, INVOICE_COLUMNS))
                for line in lines:
                    line_id += 1
                    line_text.append(copy_line(dict(line, id=line_id, invoice_id=invoice_id), LINE_COLUMNS))
                if invoice["paid"]:
                    payment_id += 1
                    pay_text.append(copy_line({
                        "payment_id": payment_id, "kind": "payment", "client_id": invoice["client_id"],
                        "invoice_id": invoice_id, "credit_memo_id": None, "amount": invoice["paid"],
                        "applied": 0, "status": "recorded", "counted": True, "voided": False, "future": False,
                        "version": None,
                        "payment_date": invoice["invoice_date"], "updated_at": now}, PAYMENT_COLUMNS))
                if invoice_id % 400 == 0:
                    samples.append(invoice_id)
            totals["invoices"] += len(inv_text)
            totals["invoice_lines"] += len(line_text)
            totals["payment_records"] += len(pay_text)
            if failure:
                raise failure[0]
            batches.put([("invoices", INVOICE_COLUMNS, "".join(inv_text)),
                         ("invoice_lines", LINE_COLUMNS, "".join(line_text)),
                         ("payment_records", PAYMENT_COLUMNS, "".join(pay_text))])
            if (start // BATCH) % 5 == 4 or start + BATCH >= count:
                elapsed = time.monotonic() - started
                log(f"  invoices generated {totals['invoices']:,}/{count:,} ({elapsed:.0f} s)")
        # deposits: 2 % of the clients hold one, not yet applied
        deposits = []
        for client_id in rng.sample(range(1, client_count + 1), max(1, client_count // 50)):
            payment_id += 1
            deposits.append(copy_line({
                "payment_id": payment_id, "kind": "payment", "client_id": client_id, "invoice_id": None,
                "credit_memo_id": None, "amount": rng.randint(20, 500) * 100, "applied": 0,
                "status": "recorded",
                "counted": True, "voided": False, "future": False, "version": None, "payment_date": today,
                "updated_at": now}, PAYMENT_COLUMNS))
        totals["deposits"] = len(deposits)
        totals["payment_records"] += len(deposits)
        batches.put([("payment_records", PAYMENT_COLUMNS, "".join(deposits))])
    finally:
        batches.put(None)
        thread.join()
    if failure:
        raise failure[0]
    copied = time.monotonic()
    log(f"  COPY done in {copied - started:.1f} s; recreating {len(indexes)} indexes and "
        f"{len(constraints)} constraints")
    _recreate(cur, constraints, indexes)
    for table in ("invoices", "invoice_lines"):
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
        sequence = cur.fetchone()[0]
        if sequence:
            cur.execute(f"SELECT setval(%s, GREATEST((SELECT max(id) FROM {table}), 1))", (sequence,))
    cur.execute("UPDATE invoice_settings SET next_invoice_number = %s, invoice_number_prefix = '' "
                "WHERE id = 1", (FIRST_NUMBER + count,))
    cur.execute("UPDATE price_list_items SET uses = %s WHERE id = %s",
                (totals["coupon_uses"], catalog.promo["id"]))
    conn.commit()
    indexed = time.monotonic()
    old_autocommit = conn.autocommit
    conn.autocommit = True
    for table in BULK_TABLES[:3]:
        cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    conn.autocommit = old_autocommit
    finished = time.monotonic()
    totals["seconds"] = {"generate_and_copy": round(copied - started, 1),
                         "indexes_and_constraints": round(indexed - copied, 1),
                         "analyze": round(finished - indexed, 1), "total": round(finished - started, 1)}
    log(f"  loaded {totals['invoices']:,} invoices, {totals['invoice_lines']:,} lines, "
        f"{totals['payment_records']:,} payments in {finished - started:.1f} s")
    return totals, samples
