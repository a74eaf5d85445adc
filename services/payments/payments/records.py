"""Payments and refunds: record one or a batch, change, receive, void.

Recording goes in two steps. :func:`prepare` checks one requested payment on its own — its
fields, its method and the fields of the method's type, and what invoicing and clients say
about its invoice, credit memo or client — without writing. :func:`record` then takes the
balance locks of every invoice and credit memo involved (see :mod:`payments.balances`),
checks the amounts against what is open or refundable, runs each payment through its
method's processor, takes the payment numbers last and writes the payments, their notes and
their events in the caller's transaction. A batch prepares every row first and records only
if no row failed: all or nothing, with every row's errors reported at once.
"""
import datetime as dt
from dataclasses import dataclass, field

from eventlet.greenpool import GreenPool
from sqlalchemy import select

from marshmallow import Schema, fields, validate

from proofsheet_shared.contracts.payments import (BATCH_MAX, TYPE_FIELDS, PaymentInSchema, PaymentPatchSchema,
                                                  ReceiveSchema, VoidSchema)
from proofsheet_shared.errors import (Conflict, DomainError, NotFound, Unprocessable, ValidationError)
from proofsheet_shared.outbox_bulk import publish_many
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from . import balances, idempotency, notes, processors
from .methods import usable_method
from .models import FUTURE, PAYMENT, RECORDED, REFUND, VOID, Payment
from .serialize import event_data, money, payment_to_dict
from .settings import allocate_numbers

TYPE_COLUMNS = ("amount_tendered", "change_due", "check_number", "card_type", "authorization_code",
                "card_last4")
LOOKUP_PARALLEL = 10
SCOPE_PAYMENT, SCOPE_BATCH = "payment", "batch"


@dataclass(frozen=True)
class Actor:
    """Who is recording, and the studio's today and currency."""
    user_id: int | None
    request_id: str | None
    today: dt.date
    currency: str


class Lookups:
    """What invoicing and clients say, asked once per id for one request. ``upstream`` has
    ``invoice_balance(id)``, ``credit_memo_refundable(id)``, ``client(id)`` and ``clients(ids)``;
    a batch asks for all its invoices and memos at once, ``LOOKUP_PARALLEL`` at a time."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.invoices, self.memos, self.clients = {}, {}, {}

    @staticmethod
    def _ask(cache, fetch, key):
        if key not in cache:
            try:
                cache[key] = (fetch(key), None)
            except NotFound as exc:
                cache[key] = (None, exc)
        return cache[key]

    def invoice(self, invoice_id, field="invoice_id"):
        found, missing = self._ask(self.invoices, self.upstream.invoice_balance, invoice_id)
        if missing is not None:
            raise NotFound(f"invoice {invoice_id} does not exist", {field: "not found"})
        return found

    def memo(self, memo_id, field="credit_memo_id"):
        found, missing = self._ask(self.memos, self.upstream.credit_memo_refundable, memo_id)
        if missing is not None:
            raise NotFound(f"credit memo {memo_id} does not exist", {field: "not found"})
        return found

    def client(self, client_id, field="client_id"):
        found, missing = self._ask(self.clients, self.upstream.client, client_id)
        if missing is not None:
            raise NotFound(f"client {client_id} does not exist", {field: "not found"})
        return found

    def prefetch(self, invoice_ids=(), memo_ids=(), client_ids=()):
        jobs = [(self.invoices, self.upstream.invoice_balance, i) for i in sorted(set(invoice_ids))
                if i not in self.invoices]
        jobs += [(self.memos, self.upstream.credit_memo_refundable, m) for m in sorted(set(memo_ids))
                 if m not in self.memos]
        if jobs:
            pool = GreenPool(LOOKUP_PARALLEL)
            for _ in pool.imap(lambda job: self._ask(*job), jobs):
                pass
        wanted = sorted(set(client_ids) - set(self.clients))
        if wanted:
            found = {c["id"]: c for c in self.upstream.clients(wanted)}
            for client_id in wanted:
                if client_id in found:
                    self.clients[client_id] = (found[client_id], None)
                else:
                    self.clients[client_id] = (None, NotFound(f"client {client_id} does not exist"))


@dataclass
class Plan:
    """One payment or refund, checked on its own, not yet written."""
    prefix: str
    data: dict
    kind: str
    client_id: int
    invoice_id: int | None
    credit_memo_id: int | None
    amount: int
    method: object
    processor: object
    columns: dict
    invoice: dict | None = None
    memo: dict | None = None
    key: str | None = None
    extra: dict = field(default_factory=dict)


# --- checks ------------------------------------------------------------------------------------

def check_currency(data, currency, prefix=""):
    given = data.get("currency")
    if given is not None and given.lower() != currency:
        raise Unprocessable(f"the studio's currency is {currency}; amounts cannot be in {given}",
                            {f"{prefix}currency": f"must be {currency}"})


def type_columns(method_type, data, amount, kind, prefix="", current=None):
    """The columns of the method's type (cash: tendered and change; check: number; card: type,
    authorization code, last 4), from ``data`` over ``current``'s when the type is unchanged.
    A field of another type is refused."""
    values = {name: None for name in TYPE_COLUMNS}
    same_type = current is not None and current.method_type == method_type
    if same_type:
        values.update({name: getattr(current, name) for name in TYPE_COLUMNS})
    errors = {}
    for name, owner in TYPE_FIELDS.items():
        given = data.get(name)
        if given is not None and owner != method_type:
            errors[prefix + name] = f"only for {owner} payments (this method is {method_type})"
        elif name in data:
            values[name] = given
    if method_type == "cash" and kind == PAYMENT:
        tendered = values["amount_tendered"]
        follows = same_type and "amount_tendered" not in data and current.amount_tendered == current.amount
        if tendered is None or follows:
            tendered = amount
        if tendered < amount:
            errors[prefix + "amount_tendered"] = (
                f"less than the amount ({money(tendered)} < {money(amount)}): the client hands over at least "
                "the amount")
        values["amount_tendered"], values["change_due"] = tendered, tendered - amount
    else:
        values["amount_tendered"] = values["change_due"] = None
    if method_type == "check" and not values["check_number"]:
        errors[prefix + "check_number"] = "a check payment needs its check number"
    if method_type == "card":
        if not values["card_type"]:
            errors[prefix + "card_type"] = "a card payment needs its card type"
        if kind == PAYMENT and not values["authorization_code"]:
            errors[prefix + "authorization_code"] = "a card payment needs the processor's authorization code"
    if errors:
        raise ValidationError("some fields do not fit the payment method", errors)
    return values


def _invoice_for(lookups, invoice_id, client_id, currency, prefix):
    info = lookups.invoice(invoice_id, prefix + "invoice_id")
    number = info.get("invoice_number") or invoice_id
    if client_id is not None and info["client_id"] != client_id:
        raise Unprocessable(f"invoice {number} belongs to client {info['client_id']}",
                            {prefix + "invoice_id": "another client's invoice"})
    if info.get("status") == "void":
        raise Unprocessable(f"invoice {number} is void", {prefix + "invoice_id": "void invoice"})
    if info.get("currency") and info["currency"] != currency:
        raise Unprocessable(f"invoice {number} is in {info['currency']}, the studio's currency is {currency}",
                            {prefix + "invoice_id": "another currency"})
    return info


def prepare(session, data, actor, lookups, prefix="", key=None):
    """Check one payment or refund (``data`` loaded by PaymentInSchema); nothing is written."""
    check_currency(data, actor.currency, prefix)
    method = usable_method(session, data["method_id"], prefix + "method_id")
    processor = processors.processor_for(method.type, prefix + "method_id")
    kind, amount = data["kind"], data["amount"]
    columns = type_columns(method.type, data, amount, kind, prefix)
    client_id, invoice, memo = data.get("client_id"), None, None
    invoice_id = data.get("invoice_id")
    if kind == REFUND:
        memo = lookups.memo(data["credit_memo_id"], prefix + "credit_memo_id")
        if client_id is not None and memo["client_id"] != client_id:
            raise Unprocessable(f"credit memo {memo['credit_memo_id']} belongs to client {memo['client_id']}",
                                {prefix + "credit_memo_id": "another client's credit memo"})
        if memo.get("currency") and memo["currency"] != actor.currency:
            raise Unprocessable(f"credit memo {memo['credit_memo_id']} is in {memo['currency']}",
                                {prefix + "credit_memo_id": "another currency"})
        client_id, invoice_id = memo["client_id"], memo.get("invoice_id")
    elif invoice_id is not None:
        invoice = _invoice_for(lookups, invoice_id, client_id, actor.currency, prefix)
        client_id = invoice["client_id"]
    else:
        lookups.client(client_id, prefix + "client_id")
    return Plan(prefix=prefix, data=data, kind=kind, client_id=client_id, invoice_id=invoice_id,
                credit_memo_id=data.get("credit_memo_id"), amount=amount, method=method, processor=processor,
                columns=columns, invoice=invoice, memo=memo, key=key)


# --- recording ---------------------------------------------------------------------------------

def _over_invoice(plan, open_):
    number = plan.invoice.get("invoice_number") or plan.invoice_id
    return (f"overpayment: invoice {number} has {money(open_)} open (allow_overpayment: true keeps the "
            "excess as a deposit)")


def _limits(session, plans, exclude_id=None):
    """Lock every invoice and memo the plans count against; what is open and refundable now."""
    invoice_ids = {p.invoice_id for p in plans if p.kind == PAYMENT and p.invoice_id is not None}
    memo_ids = {p.credit_memo_id for p in plans if p.kind == REFUND}
    balances.lock(session, [(balances.INVOICE, i) for i in invoice_ids]
                  + [(balances.MEMO, m) for m in memo_ids])
    return (balances.paid_here(session, invoice_ids, exclude_id),
            balances.refunded_here(session, memo_ids, exclude_id))


def split_amounts(session, plans, exclude_id=None):
    """``[(amount against the invoice or memo, excess kept as a deposit)]`` per plan, under the
    balance locks; Unprocessable naming every row that asks for more than is open."""
    paid, refunded = _limits(session, plans, exclude_id)
    errors, pieces = {}, []
    for plan in plans:
        own, excess = plan.amount, 0
        if plan.kind == REFUND:
            left = balances.memo_left(plan.memo, refunded[plan.credit_memo_id])
            if plan.amount > left:
                errors[plan.prefix + "amount"] = (f"over-refund: {money(left)} is left to refund on credit "
                                                  f"memo {plan.credit_memo_id}")
            refunded[plan.credit_memo_id] += plan.amount
        elif plan.invoice_id is not None:
            open_ = balances.invoice_open(plan.invoice, paid[plan.invoice_id])
            if plan.amount > open_:
                if plan.data.get("allow_overpayment"):
                    own, excess = open_, plan.amount - open_
                else:
                    errors[plan.prefix + "amount"] = _over_invoice(plan, open_)
            if not plan.data.get("future"):
                paid[plan.invoice_id] += own
        pieces.append((own, excess))
    if errors:
        raise Unprocessable("more than is open or refundable" if len(errors) == 1 else
                            f"{len(errors)} amounts are more than is open or refundable", errors)
    return pieces


def _payment_row(plan, actor, amount, now, invoice_id, columns, outcome):
    data = plan.data
    future = bool(data.get("future"))
    return Payment(
        kind=plan.kind, status=FUTURE if future else RECORDED, client_id=plan.client_id,
        invoice_id=invoice_id, credit_memo_id=plan.credit_memo_id,
        payment_date=data.get("payment_date") or actor.today, amount=amount,
        currency=actor.currency, method_id=plan.method.id, method_type=plan.method.type,
        processor=plan.processor.name, processor_reference=outcome.reference,
        amount_tendered=columns["amount_tendered"], change_due=columns["change_due"],
        check_number=columns["check_number"], card_type=outcome.card_type or columns["card_type"],
        authorization_code=outcome.authorization_code or columns["authorization_code"],
        card_last4=outcome.card_last4 or columns["card_last4"],
        refundable=bool(data.get("refundable")), refundable_until=data.get("refundable_until"), future=future,
        due_date=data.get("due_date"), notes=data.get("notes"), version=1, created_at=now,
        created_by=actor.user_id, updated_at=now, updated_by=actor.user_id)


def _run_processor(plan, amount, columns, actor):
    details = {name: columns[name] for name in TYPE_COLUMNS}
    charge = processors.Charge(kind=plan.kind, amount=amount, currency=actor.currency,
                               method_type=plan.method.type, client_id=plan.client_id, details=details,
                               idempotency_key=plan.key)
    return processors.run(plan.processor, charge)


def record(db, plans, actor):
    """Write the plans (all or none): ``[(payment, deposit or None)]`` in order, each a Payment row.

    An invoice payment over the open balance with ``allow_overpayment`` becomes two rows: the
    open balance against the invoice, and the excess as a deposit (``overpayment_of`` the first);
    with nothing open, the whole amount is a deposit.
    """
    session = db.session
    pieces = split_amounts(session, plans)
    now = utcnow()
    results, deposits = [], []
    for plan, (own, excess) in zip(plans, pieces):
        primary = None
        if own > 0:
            columns = dict(plan.columns)
            if excess and columns["amount_tendered"] is not None:  # the excess takes its share of the cash
                columns["amount_tendered"] -= excess
            outcome = _run_processor(plan, own, columns, actor)
            primary = _payment_row(plan, actor, own, now, plan.invoice_id, columns, outcome)
        deposit = None
        if excess:
            columns = dict(plan.columns)
            if columns["amount_tendered"] is not None:
                columns["amount_tendered"], columns["change_due"] = excess, 0
            outcome = _run_processor(plan, excess, columns, actor)
            deposit = _payment_row(plan, actor, excess, now, None, columns, outcome)
            deposits.append((primary, deposit))
        results.append((primary, deposit))
    rows = [p for pair in results for p in pair if p is not None]
    numbers = iter(allocate_numbers(session, len(rows)))
    for row in rows:
        row.payment_number = next(numbers)
    session.add_all(p for p, _ in results if p is not None)
    session.flush()
    for primary, deposit in deposits:
        deposit.overpayment_of = primary.id if primary is not None else None
        session.add(deposit)
    if deposits:
        session.flush()
    _announce_created(db, rows, actor, now)
    return [(primary if primary is not None else deposit, deposit if primary is not None else None)
            for primary, deposit in results]


def _announce_created(db, rows, actor, now):
    note_rows, recorded, refunds = [], [], []
    for row in rows:
        message = notes.describe_created(row, row.method.name)
        if row.overpayment_of is not None:
            message += f" (the excess of payment {row.overpayment_of} over the invoice's open balance)"
        changes = [c for c in notes.diff({}, notes.snapshot(row)) if c["to"] is not None]
        note_rows.append(notes.note_row(row.id, "created", changes, message, actor.user_id,
                                        actor.request_id, now))
        row.as_dict = payment_to_dict(row)  # kept for the answer: made once per payment
        (refunds if row.kind == REFUND else recorded).append(event_data(row.as_dict))
    notes.write_notes(db.session, note_rows)
    for event_type, datas in (("payment_recorded", recorded), ("refund_recorded", refunds)):
        if len(datas) == 1:
            db.publish(event_type, datas[0])
        elif datas:
            publish_many(db, event_type, datas)


def _created_result(primary, deposit, notice=None):
    result = payment_to_dict(primary)
    result["deposit"] = payment_to_dict(deposit) if deposit is not None else None
    if notice is not None:
        ours = {primary.id} | ({deposit.id} if deposit is not None else set())
        notice = [d for d in notice if d.get("payment_id") not in ours]
    result["unapplied_deposits"] = notice
    return result


def create_payment(db, payload, actor, upstream, idempotency_key=None):
    """Record one payment or refund. The response carries ``unapplied_deposits``: the client's
    deposits invoicing has not seen applied (a notice; null when invoicing could not say)."""
    session = db.session
    replay = idempotency.claim(session, SCOPE_PAYMENT, idempotency_key, payload, actor.user_id)
    if replay is not None:
        return replay
    data = load(PaymentInSchema(), payload)
    # the notice is asked alongside the checks when the client is known, and answered before
    # any lock is taken: the locks (balance, number) are held only for the writes
    notice = None
    if data["kind"] == PAYMENT and data.get("client_id") is not None:
        notice = upstream.unapplied_deposits_soon(data["client_id"])
    plan = prepare(session, data, actor, Lookups(upstream), key=idempotency_key)
    if notice is None and plan.kind == PAYMENT:
        notice = upstream.unapplied_deposits_soon(plan.client_id)
    deposits = notice() if notice is not None else None
    (primary, deposit), = record(db, [plan], actor)
    result = _created_result(primary, deposit, deposits)
    idempotency.remember(session, SCOPE_PAYMENT, idempotency_key, result)
    return result


def batch_error(problems, errors, count):
    """One error for a batch: the most basic kind found (validation, then not found, then a
    refused amount), with every row's fields."""
    for cls in (ValidationError, NotFound, Unprocessable, Conflict):
        if any(isinstance(p, cls) for p in problems):
            break
    rows = len({name.split(".")[1] for name in errors if name.count(".") >= 2})
    return cls(f"{rows} of {count} payments cannot be recorded; nothing was recorded", errors)


class _BatchShape(Schema):
    """The batch's outer shape; each row is then checked on its own, so every bad row is named."""
    payments = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=BATCH_MAX))


def create_batch(db, payload, actor, upstream, idempotency_key=None):
    """Record many payments (for many clients) at once: every row is checked before any is
    written; one bad row records none, and the error names every bad row's fields."""
    session = db.session
    replay = idempotency.claim(session, SCOPE_BATCH, idempotency_key, payload, actor.user_id)
    if replay is not None:
        return replay
    raw_rows = load(_BatchShape(), payload)["payments"]
    problems, errors, rows = [], {}, []
    schema = PaymentInSchema()  # one instance for every row: making one costs more than a load
    for index, raw in enumerate(raw_rows):
        try:
            rows.append((index, load(schema, raw)))
        except ValidationError as exc:
            problems.append(exc)
            errors.update({f"payments.{index}.{name}": why for name, why in exc.fields.items()})
    lookups = Lookups(upstream)
    lookups.prefetch(invoice_ids=[r["invoice_id"] for _, r in rows
                                  if r.get("invoice_id") is not None and r["kind"] == PAYMENT],
                     memo_ids=[r["credit_memo_id"] for _, r in rows if r["kind"] == REFUND],
                     client_ids=[r["client_id"] for _, r in rows if r["kind"] == PAYMENT
                                 and r.get("invoice_id") is None and r.get("client_id") is not None])
    plans = []
    for index, row in rows:
        prefix = f"payments.{index}."
        key = f"{idempotency_key}:{index}" if idempotency_key else None
        try:
            plans.append(prepare(session, row, actor, lookups, prefix, key))
        except DomainError as exc:
            problems.append(exc)
            errors.update(exc.fields or {prefix + "_schema": exc.message})
    if errors:
        raise batch_error(problems, errors, len(raw_rows))
    try:
        recorded = record(db, plans, actor)
    except Unprocessable as exc:
        raise batch_error([exc], exc.fields, len(raw_rows)) from None
    items = [p.as_dict for pair in recorded for p in pair if p is not None]
    result = {"count": len(items), "total": sum(i["amount"] for i in items), "items": items}
    idempotency.remember(session, SCOPE_BATCH, idempotency_key, result)
    return result


# --- changes -------------------------------------------------------------------------------------

def get_payment_row(session, payment_id, lock=False, field="id"):
    stmt = select(Payment).where(Payment.id == payment_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    payment = session.scalar(stmt)
    if payment is None:
        raise NotFound(f"payment {payment_id} does not exist", {field: "not found"})
    return payment


def _changed(db, payment, before, action, actor, message=None, event="payment_updated"):
    """Write the note and the event of a change; False (nothing written) if nothing changed."""
    changes = notes.diff(before, notes.snapshot(payment))
    if not changes and action == "updated":
        return False
    now = utcnow()
    payment.version += 1
    payment.updated_at, payment.updated_by = now, actor.user_id
    db.session.flush()
    text = message or notes.describe_changes(changes)
    notes.write_notes(db.session, [notes.note_row(payment.id, action, changes, text, actor.user_id,
                                                  actor.request_id, now)])
    db.publish(event, event_data(payment_to_dict(payment)))
    return True


def update_payment(db, payment_id, payload, actor, upstream):
    """Change a payment or refund. The amounts are checked again as for a new one (this payment's
    own amount no longer counts against its invoice); an overpayment is refused here — record
    the excess as a payment of its own. A void payment cannot change."""
    session = db.session
    data = load(PaymentPatchSchema(), payload, partial=True)
    check_currency(data, actor.currency)
    payment = get_payment_row(session, payment_id, lock=True)
    if payment.status == VOID:
        raise Unprocessable(f"payment {payment.payment_number} is void and cannot change", {"id": "void"})
    before = notes.snapshot(payment)
    lookups = Lookups(upstream)
    method = payment.method
    if "method_id" in data and data["method_id"] != payment.method_id:
        method = usable_method(session, data["method_id"])
        processors.processor_for(method.type)
    amount = data.get("amount", payment.amount)
    columns = type_columns(method.type, data, amount, payment.kind, current=payment)
    client_id, invoice_id = payment.client_id, payment.invoice_id
    invoice = memo = None
    if payment.kind == REFUND:
        if "invoice_id" in data or ("client_id" in data and data["client_id"] != payment.client_id):
            raise Unprocessable("a refund stays with its credit memo's client and invoice",
                                {"invoice_id" if "invoice_id" in data else "client_id": "fixed for refunds"})
        if amount != payment.amount:
            memo = lookups.memo(payment.credit_memo_id)
    else:
        invoice_id = data["invoice_id"] if "invoice_id" in data else payment.invoice_id
        wanted_client = data.get("client_id")
        if invoice_id is not None:
            if invoice_id != payment.invoice_id or amount != payment.amount or wanted_client is not None:
                invoice = _invoice_for(lookups, invoice_id, wanted_client, actor.currency, "")
                client_id = invoice["client_id"]
        elif wanted_client is not None and wanted_client != payment.client_id:
            lookups.client(wanted_client)
            client_id = wanted_client
    if "due_date" in data and payment.status != FUTURE:
        raise ValidationError("only a future payment has a due_date", {"due_date": "not a future payment"})
    if payment.status == FUTURE and data.get("due_date", payment.due_date) is None:
        raise ValidationError("a future payment needs its due_date", {"due_date": "required"})
    refundable = data.get("refundable", payment.refundable)
    until = data["refundable_until"] if "refundable_until" in data else payment.refundable_until
    if not refundable:
        if data.get("refundable_until"):
            raise ValidationError("only a refundable payment has a refundable_until date",
                                  {"refundable_until": "not refundable"})
        until = None
    elif until is None:
        raise ValidationError("a refundable payment needs its refundable_until date",
                              {"refundable_until": "required"})
    if invoice is not None or memo is not None:
        # invoicing's figure may already count this payment's present amount: give it back
        counted = payment.status == RECORDED
        if invoice is not None and counted and invoice_id == payment.invoice_id:
            invoice = dict(invoice, balance=int(invoice["balance"]) + payment.amount)
        if memo is not None and counted:
            memo = dict(memo, remaining=int(memo["remaining"]) + payment.amount)
        plan = Plan(prefix="", data={"future": payment.status == FUTURE}, kind=payment.kind,
                    client_id=client_id, invoice_id=invoice_id, credit_memo_id=payment.credit_memo_id,
                    amount=amount, method=method, processor=None, columns=columns, invoice=invoice, memo=memo)
        split_amounts(session, [plan], exclude_id=payment.id)
    payment.method_id, payment.method_type = method.id, method.type
    payment.method = method
    payment.client_id, payment.invoice_id, payment.amount = client_id, invoice_id, amount
    for name, value in columns.items():
        setattr(payment, name, value)
    payment.refundable, payment.refundable_until = refundable, until
    for name in ("payment_date", "due_date", "notes"):
        if name in data:
            setattr(payment, name, data[name])
    _changed(db, payment, before, "updated", actor)
    return payment_to_dict(payment)


def receive_payment(db, payment_id, payload, actor, upstream):
    """A future payment has come in: it counts from now (dated the day it came in). Over the
    invoice's open balance it is refused, or with ``allow_overpayment`` the excess becomes a
    deposit of its own."""
    session = db.session
    data = load(ReceiveSchema(), payload or {})
    payment = get_payment_row(session, payment_id, lock=True)
    if payment.status != FUTURE:
        raise Unprocessable(f"payment {payment.payment_number} is not a future payment waiting to be "
                            "received", {"id": f"status is {payment.status}"})
    before = notes.snapshot(payment)
    deposit = None
    excess = 0
    if payment.invoice_id is not None:
        invoice = _invoice_for(Lookups(upstream), payment.invoice_id, payment.client_id, actor.currency, "")
        plan = Plan(prefix="", data={"allow_overpayment": data.get("allow_overpayment")}, kind=PAYMENT,
                    client_id=payment.client_id, invoice_id=payment.invoice_id, credit_memo_id=None,
                    amount=payment.amount, method=payment.method, processor=None, columns={}, invoice=invoice)
        (own, excess), = split_amounts(session, [plan], exclude_id=payment.id)
        if own == 0:  # nothing open: the whole payment becomes a deposit
            payment.invoice_id, excess = None, 0
        elif excess:
            payment.amount = own
            if payment.amount_tendered is not None:
                payment.amount_tendered -= excess
    now = utcnow()
    payment.status, payment.future, payment.received_at = RECORDED, False, now
    payment.payment_date = data.get("payment_date") or actor.today
    _changed(db, payment, before, "received", actor,
             message="received" + (f"; {money(excess)} over the open balance kept as a deposit"
                                   if excess else ""))
    if excess:
        deposit = Payment(
            kind=PAYMENT, status=RECORDED, client_id=payment.client_id, invoice_id=None, credit_memo_id=None,
            payment_date=payment.payment_date, amount=excess, currency=payment.currency,
            method_id=payment.method_id, method_type=payment.method_type, processor=payment.processor,
            amount_tendered=excess if payment.amount_tendered is not None else None,
            change_due=0 if payment.amount_tendered is not None else None, check_number=payment.check_number,
            card_type=payment.card_type, authorization_code=payment.authorization_code,
            card_last4=payment.card_last4, refundable=payment.refundable,
            refundable_until=payment.refundable_until,
            future=False, received_at=now, overpayment_of=payment.id, version=1, created_at=now,
            created_by=actor.user_id, updated_at=now, updated_by=actor.user_id)
        deposit.payment_number = allocate_numbers(session, 1)[0]
        deposit.method = payment.method
        session.add(deposit)
        session.flush()
        _announce_created(db, [deposit], actor, now)
    return _created_result(payment, deposit)


def void_payment(db, payment_id, payload, actor):
    """Delete is a void: the payment stays, with its notes, and stops counting (its invoice's
    balance comes back once invoicing hears of it). Voiding a void payment changes nothing."""
    session = db.session
    data = load(VoidSchema(), payload or {})
    payment = get_payment_row(session, payment_id, lock=True)
    if payment.status == VOID:
        return payment_to_dict(payment)
    before = notes.snapshot(payment)
    payment.status = VOID
    payment.voided_at, payment.voided_by = utcnow(), actor.user_id
    payment.void_reason = data.get("reason")
    message = "voided" + (f": {payment.void_reason}" if payment.void_reason else "")
    _changed(db, payment, before, "voided", actor, message=message, event="payment_voided")
    return payment_to_dict(payment)
