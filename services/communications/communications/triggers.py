"""Triggers: automated communications on an event or a date.

An **event trigger** fires when another service announces a fact (session created, session
status changed to X, invoice created, payment recorded, client status changed, task status
changed); a **date trigger** fires N days before or after a date (a session's day, an
invoice's or a future payment's due date, a client's birthday or anniversary). Either may be
filtered by session type and client group, and does one action: send an email template, put
a form letter in the print queue, or create a task through the tasks service.

Each firing is a ``trigger_runs`` row whose ``(trigger_id, occurrence_key)`` is unique: the
occurrence key names the record and the occurrence (``session:12:status:4``,
``client:7:birthday:2026-06-15``), so a redelivered event, a second scan of the same day or two
instances racing can never fire a trigger twice for it. A run is ``pending`` (auto: done by
the background tick within a second) or ``waiting`` (queued for staff, who process or skip
them with ``POST /trigger-runs/process``); then ``done``, ``skipped`` or ``failed``. A run
is marked ``running`` in its own commit before its action; an email run left ``running`` by a
crash is not sent again (at most once) but marked failed, for staff to look at.

Data relied on from other services' events (``envelope["data"]``):

- ``scheduling.session_created`` / ``session_updated``: ``{"session": {id, client_id,
  session_type_id, status_id, starts_at, ends_at, photographer_id, assistant_id, room, notes}}``
  (a flat session is accepted too); ``scheduling.session_status_changed``: ``{"session_id",
  "from_status_id", "to_status_id", "client_id"?, "session_type_id"?}`` or ``{"session": {...}}``;
  ``scheduling.session_cancelled`` / ``session_deleted``: ``{"session_id"}`` or ``{"session"}``.
- ``invoicing.invoice_created`` / ``invoice_updated`` / ``invoice_paid`` / ``invoice_voided``:
  ``{"invoice": {...}}`` (as invoicing publishes them).
- ``payments.payment_recorded``: ``{"payment": {id, client_id, invoice_id, amount, future,
  due_date, ...}}`` (or flat).
- ``clients.client_created`` / ``client_updated``: ``{"client": {...}}``;
  ``client_status_changed``: ``{"client_id", "from_status_id", "to_status_id"}``;
  ``client_deleted``: ``{"client_id"}``.
- ``tasks.task_status_changed``: ``{"task_id", "task_type_id", "from_status_id",
  "to_status_id", "client_id", "session_id", "invoice_id"}``.
"""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from proofsheet_shared.contracts.communications import ProcessRunsSchema, TriggerInSchema, TriggerRunArgs
from proofsheet_shared.errors import DomainError, NotFound, Unavailable, ValidationError, not_found
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load
from proofsheet_shared.types import utcnow

from . import blocklist, email_templates, log as comm_log, mailer, rendering
from .models import DateMark, EmailTemplate, FormLetter, PrintQueueItem, RecordSnapshot, Trigger, TriggerRun
from .serialize import run_to_dict, trigger_to_dict

logger = logging.getLogger(__name__)

EVENT_RECORD = {
    "session_created": "session",
    "session_status_changed": "session",
    "invoice_created": "invoice",
    "payment_recorded": "payment",
    "client_status_changed": "client",
    "task_status_changed": "task",
}
DATE_RECORD = {
    "session_date": "session",
    "invoice_due_date": "invoice",
    "payment_due_date": "payment",
    "birthday": "client",
    "anniversary": "client",
}
ANNUAL = ("birthday", "anniversary")
SCAN_BACK_DAYS = 31
PROCESS_MAX = 500


# --- triggers ------------------------------------------------------------------------------------


def _check_refs(session, data):
    if data.get("action") == "email" and data.get("template_id"):
        email_templates.get_row(session, data["template_id"], "template_id")
    if data.get("action") == "letter" and data.get("form_letter_id"):
        letter = session.get(FormLetter, data["form_letter_id"])
        if letter is None:
            raise not_found("form letter", data["form_letter_id"], "form_letter_id")
    if data.get("status_id") is not None and data.get("event") not in (
        None,
        "session_status_changed",
        "client_status_changed",
        "task_status_changed",
    ):
        raise ValidationError("only a status-changed event has a status", {"status_id": "not for this event"})


def _apply(row, data):
    for name in (
        "name",
        "active",
        "kind",
        "event",
        "status_id",
        "date_field",
        "offset_days",
        "action",
        "template_id",
        "form_letter_id",
        "mode",
    ):
        if name in data:
            setattr(row, name, data[name])
    if "filters" in data:
        filters = data["filters"] or {}
        row.filters = {
            "session_type_ids": sorted(set(filters.get("session_type_ids") or [])),
            "client_group_ids": sorted(set(filters.get("client_group_ids") or [])),
        }
    if "task" in data:
        row.task = dict(data["task"]) if data["task"] else None
    if row.kind == "event":
        row.date_field, row.offset_days = None, 0
    else:
        row.event, row.status_id = None, None


def list_triggers(session):
    return {"items": [trigger_to_dict(r) for r in session.scalars(select(Trigger).order_by(Trigger.id))]}


def get_row(session, trigger_id):
    row = session.get(Trigger, trigger_id)
    if row is None:
        raise not_found("trigger", trigger_id)
    return row


def get_trigger(session, trigger_id):
    return trigger_to_dict(get_row(session, trigger_id))


def create_trigger(session, payload, user_id, today):
    data = load(TriggerInSchema(), payload)
    _check_refs(session, data)
    now = utcnow()
    row = Trigger(created_at=now, updated_at=now, created_by=user_id, filters={})
    _apply(row, data)
    if row.kind == "date":
        row.scanned_through = today - dt.timedelta(days=1)  # starts firing from today, not for the past
    session.add(row)
    session.flush()
    return trigger_to_dict(row)


def update_trigger(session, trigger_id, payload, today):
    row = get_row(session, trigger_id)
    data = load(TriggerInSchema(), payload, partial=True)
    merged = {**trigger_to_dict(row), **data}
    load(
        TriggerInSchema(),
        {k: v for k, v in merged.items() if k in TriggerInSchema().fields and v is not None},
    )
    _check_refs(session, merged)
    was_date = row.kind == "date"
    _apply(row, data)
    if row.kind == "date" and (not was_date or row.scanned_through is None):
        row.scanned_through = today - dt.timedelta(days=1)
    row.updated_at = utcnow()
    session.flush()
    return trigger_to_dict(row)


def delete_trigger(session, trigger_id):
    session.delete(get_row(session, trigger_id))
    session.flush()


# --- what events tell us ---------------------------------------------------------------------------


def _record(data, key):
    inner = data.get(key)
    return dict(inner) if isinstance(inner, dict) else dict(data)


def _date_of(value, tz=None):
    if not value:
        return None
    text = str(value)
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(ZoneInfo(tz or "UTC")).date()


def _row(session, model, key, **fresh):
    """The row of ``model`` at ``key``, made if there is none (two handlers of events about one
    record may race to make it: the loser reads the winner's)."""
    row = session.get(model, key)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = model(**fresh)
            session.add(row)
            session.flush()
        return row
    except IntegrityError:
        return session.get(model, key, populate_existing=True)


def remember(session, record_type, record, client_id=None):
    """Keep the last state of another service's record (merged over what was known)."""
    record_id = record.get("id")
    if not record_id:
        return None
    row = _row(
        session,
        RecordSnapshot,
        (record_type, record_id),
        record_type=record_type,
        record_id=record_id,
        data={},
        updated_at=utcnow(),
    )
    merged = dict(row.data or {})
    merged.update(record)
    row.data = merged
    row.client_id = client_id if client_id is not None else merged.get("client_id")
    row.updated_at = utcnow()
    session.flush()
    return merged


def mark_date(session, kind, record_type, record_id, client_id, on_date):
    if on_date is None:
        session.execute(
            delete(DateMark).where(
                DateMark.kind == kind, DateMark.record_type == record_type, DateMark.record_id == record_id
            )
        )
        return
    row = _row(
        session,
        DateMark,
        (kind, record_type, record_id),
        kind=kind,
        record_type=record_type,
        record_id=record_id,
        client_id=client_id,
        on_date=on_date,
        month_day=on_date.strftime("%m-%d"),
    )
    row.client_id, row.on_date, row.month_day = client_id, on_date, on_date.strftime("%m-%d")
    session.flush()


def forget(session, record_type, record_id, kinds=None):
    stmt = delete(DateMark).where(DateMark.record_type == record_type, DateMark.record_id == record_id)
    if kinds:
        stmt = stmt.where(DateMark.kind.in_(kinds))
    session.execute(stmt)


def learn(session, source, event_type, data, time_zone):
    """Update snapshots and date marks from an event; the record (merged snapshot) or None."""
    data = data or {}
    if source == "clients":
        if event_type in ("client_created", "client_updated") and isinstance(data.get("client"), dict):
            client = data["client"]
            for kind in ANNUAL:
                mark_date(session, kind, "client", client["id"], client["id"], _date_of(client.get(kind)))
            return client
        if event_type == "client_deleted" and data.get("client_id"):
            forget(session, "client", data["client_id"])
        return None
    if source == "scheduling":
        session_ = _record(data, "session")
        session_.setdefault("id", data.get("session_id"))
        if event_type == "session_status_changed" and data.get("to_status_id") is not None:
            session_["status_id"] = data["to_status_id"]
        if not session_.get("id"):
            return None
        merged = remember(session, "session", session_)
        if event_type in ("session_cancelled", "session_deleted") or merged.get("cancelled"):
            forget(session, "session", session_["id"])
        else:
            mark_date(
                session,
                "session_date",
                "session",
                merged["id"],
                merged.get("client_id"),
                _date_of(merged.get("starts_at"), time_zone),
            )
        return merged
    if source == "invoicing":
        invoice = _record(data, "invoice")
        if not invoice.get("id"):
            return None
        merged = remember(session, "invoice", invoice)
        open_ = merged.get("status") not in ("paid", "void", "voided") and (merged.get("balance") or 0) > 0
        due = (
            _date_of(merged.get("due_date"))
            if open_ and event_type not in ("invoice_paid", "invoice_voided")
            else None
        )
        mark_date(session, "invoice_due_date", "invoice", merged["id"], merged.get("client_id"), due)
        return merged
    if source == "payments":
        payment = _record(data, "payment")
        if not payment.get("id"):
            return None
        merged = remember(session, "payment", payment)
        due = (
            _date_of(merged.get("due_date"))
            if merged.get("future") and merged.get("status") not in ("received", "void", "voided", "deleted")
            else None
        )
        mark_date(session, "payment_due_date", "payment", merged["id"], merged.get("client_id"), due)
        return merged
    return None


def describe_event(event, data, record):
    """``(record_type, record_id, client_id, to_status_id, session_type_id)`` of a trigger event."""
    data = data or {}
    record = record or {}
    if event in ("session_created", "session_status_changed"):
        return (
            "session",
            record.get("id") or data.get("session_id"),
            record.get("client_id") or data.get("client_id"),
            data.get("to_status_id", record.get("status_id")),
            record.get("session_type_id") or data.get("session_type_id"),
        )
    if event == "invoice_created":
        return "invoice", record.get("id"), record.get("client_id"), None, record.get("session_type_id")
    if event == "payment_recorded":
        return "payment", record.get("id"), record.get("client_id"), None, None
    if event == "client_status_changed":
        return "client", data.get("client_id"), data.get("client_id"), data.get("to_status_id"), None
    if event == "task_status_changed":
        return "task", data.get("task_id"), data.get("client_id"), data.get("to_status_id"), None
    raise ValueError(event)


def occurrence(event, record_type, record_id, to_status_id):
    if event.endswith("_status_changed"):
        return f"{record_type}:{record_id}:status:{to_status_id}"
    if event == "session_created":
        return f"session:{record_id}:created"
    return f"{record_type}:{record_id}"


class Lookups:
    """What filters need from other services: a client's groups (asked once per client)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self._groups = {}

    def client_groups(self, client_id):
        if client_id not in self._groups:
            try:
                client = self.cluster.clients.get_client(client_id)
                self._groups[client_id] = set(client.get("group_ids") or [])
            except NotFound:
                self._groups[client_id] = set()
        return self._groups[client_id]


def _passes(trigger, client_id, session_type_id, lookups):
    filters = trigger.filters or {}
    if filters.get("session_type_ids") and session_type_id not in filters["session_type_ids"]:
        return False
    if filters.get("client_group_ids"):
        if not client_id:
            return False
        try:
            groups = lookups.client_groups(client_id)
        except Unavailable:
            return None  # decided when the run is done (the event must not be lost meanwhile)
        if not groups & set(filters["client_group_ids"]):
            return False
    return True


def add_run(session, trigger, key, record_type, record_id, client_id, data):
    """A new run, or None when this trigger already fired for this occurrence."""
    if session.scalar(
        select(TriggerRun.id).where(TriggerRun.trigger_id == trigger.id, TriggerRun.occurrence_key == key)
    ):
        return None
    run = TriggerRun(
        trigger_id=trigger.id,
        occurrence_key=key[:200],
        record_type=record_type,
        record_id=record_id,
        client_id=client_id,
        data=data,
        status="pending" if trigger.mode == "auto" else "waiting",
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        return None
    return run


def on_event(session, event, data, record, lookups):
    """Runs for the active triggers of ``event`` that match; how many were made."""
    triggers = list(
        session.scalars(
            select(Trigger)
            .where(Trigger.active.is_(True), Trigger.kind == "event", Trigger.event == event)
            .order_by(Trigger.id)
        )
    )
    if not triggers:
        return 0
    record_type, record_id, client_id, to_status, session_type_id = describe_event(event, data, record)
    if not record_id:
        return 0
    made = 0
    for trigger in triggers:
        if trigger.status_id is not None and trigger.status_id != to_status:
            continue
        passes = _passes(trigger, client_id, session_type_id, lookups)
        if passes is False:
            continue
        snapshot = dict(record or {}) if record else dict(data or {})
        key = occurrence(event, record_type, record_id, to_status)
        run_data = {"event": event, "record": snapshot, "check_groups": passes is None}
        if add_run(session, trigger, key, record_type, record_id, client_id, run_data):
            made += 1
    return made


# --- date triggers -----------------------------------------------------------------------------------


def _annual_keys(day):
    keys = [day.strftime("%m-%d")]
    if day.month == 2 and day.day == 28:
        try:
            dt.date(day.year, 2, 29)
        except ValueError:
            keys.append("02-29")  # a leap-day birthday is kept on the 28th in other years
    return keys


def scan_dates(session, today, lookups, trigger_id=None):
    """Runs for the date triggers' days from the day after each one's last scan to today."""
    stmt = select(Trigger).where(Trigger.active.is_(True), Trigger.kind == "date")
    if trigger_id:
        stmt = stmt.where(Trigger.id == trigger_id)
    made = 0
    for trigger in session.scalars(stmt.order_by(Trigger.id)).all():
        start = (trigger.scanned_through or today - dt.timedelta(days=1)) + dt.timedelta(days=1)
        start = max(start, today - dt.timedelta(days=SCAN_BACK_DAYS))
        day = start
        while day <= today:
            target = day - dt.timedelta(days=trigger.offset_days)
            made += _fire_for_day(session, trigger, target, lookups)
            day += dt.timedelta(days=1)
        trigger.scanned_through = max(trigger.scanned_through or today, today)
        session.flush()
    return made


def _fire_for_day(session, trigger, target, lookups):
    kind = trigger.date_field
    stmt = select(DateMark).where(DateMark.kind == kind)
    if kind in ANNUAL:
        stmt = stmt.where(DateMark.month_day.in_(_annual_keys(target)), DateMark.on_date <= target)
    else:
        stmt = stmt.where(DateMark.on_date == target)
    made = 0
    for mark in session.scalars(stmt.order_by(DateMark.record_id)).all():
        session_type_id = None
        if mark.record_type in ("session", "invoice"):
            snap = session.get(RecordSnapshot, (mark.record_type, mark.record_id))
            session_type_id = (snap.data or {}).get("session_type_id") if snap else None
        passes = _passes(trigger, mark.client_id, session_type_id, lookups)
        if passes is False:
            continue
        key = f"{mark.record_type}:{mark.record_id}:{kind}:{target.isoformat()}"
        if add_run(
            session,
            trigger,
            key,
            mark.record_type,
            mark.record_id,
            mark.client_id,
            {"date_field": kind, "date": target.isoformat(), "check_groups": passes is None},
        ):
            made += 1
    return made


# --- runs ----------------------------------------------------------------------------------------------


def list_runs(session, args):
    args = load(TriggerRunArgs(), args or {})
    after = decode_cursor(args.get("cursor"), 1)
    stmt = select(TriggerRun)
    for name in ("trigger_id", "status", "client_id"):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(TriggerRun, name) == args[name])
    if after is not None:
        stmt = stmt.where(TriggerRun.id < after[0])
    rows = list(session.scalars(stmt.order_by(TriggerRun.id.desc()).limit(args["limit"] + 1)))
    next_cursor = None
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        next_cursor = encode_cursor([rows[-1].id])
    return {"items": [run_to_dict(r) for r in rows], "next_cursor": next_cursor}


class Executor:
    """Does runs' actions. ``records`` is a :class:`~communications.merge.Records`; ``settings``
    the email settings with the password; ``today`` the studio's date."""

    def __init__(self, session, records, cluster, settings, today, user_id=None, smtp_timeout=30):
        self.session = session
        self.records = records
        self.cluster = cluster
        self.settings = settings
        self.today = today
        self.user_id = user_id
        self.smtp_timeout = smtp_timeout
        self._connection = None

    def close(self):
        if self._connection is not None:
            self._connection.close()

    def run(self, run, trigger):
        """Do ``run``'s action; ``(status, result, error)``."""
        try:
            if (run.data or {}).get("check_groups") and run.client_id:
                wanted = set((trigger.filters or {}).get("client_group_ids") or [])
                client = self.records.get("client", run.client_id)
                if wanted and not set(client.get("group_ids") or []) & wanted:
                    return "skipped", None, "the client is not in the trigger's groups"
            if trigger.action == "email":
                return self._email(run, trigger)
            if trigger.action == "letter":
                return self._letter(run, trigger)
            if trigger.action == "task":
                return self._task(run, trigger)
            return "failed", None, f"unknown action {trigger.action}"
        except DomainError as exc:
            return "failed", None, str(exc)[:500]
        except rendering.RenderError as exc:
            return "failed", None, str(exc)[:500]

    def _context(self, run):
        if run.record_type == "task":
            if not run.client_id:
                raise NotFound("the task has no client to write to", {"client_id": "none"})
            context = self.records.context("client", run.client_id)
            context["task"] = (run.data or {}).get("record") or {}
            return context
        return self.records.context(run.record_type, run.record_id)

    def _email(self, run, trigger):
        template = self.session.get(EmailTemplate, trigger.template_id)
        if template is None:
            return "failed", None, "the trigger's email template no longer exists"
        context = self._context(run)
        client = context.get("client") or {}
        address = client.get("email")
        base = dict(
            client_id=client.get("id") or run.client_id,
            channel="email",
            to_address=address,
            template_id=template.id,
            trigger_id=trigger.id,
            record_type=run.record_type,
            record_id=run.record_id,
            user_id=self.user_id,
        )
        reason = None
        if not address:
            reason = "the client has no email address"
        elif template.marketing and not client.get("allow_marketing", True):
            reason = "the client does not allow marketing"
        else:
            blocked = blocklist.blocked_among(self.session, [address])
            if blocked:
                reason = f"address blocked ({blocked[blocklist.key(address)]})"
        if reason:
            comm_log.write(
                self.session,
                [comm_log.entry(subject=template.subject, status="skipped", error=reason, **base)],
            )
            return "skipped", None, reason
        from .settings import ready_problem
        from .sender import unsubscribe_url, with_unsubscribe_link

        problem = ready_problem(self.settings)
        if problem:
            return "failed", None, problem
        url = unsubscribe_url(
            self.settings.get("public_url") or "http://localhost:8080", address, client.get("id"), None
        )
        context["unsubscribe_url"] = url
        subject, html, text = rendering.render_email(template.subject, template.html, context)
        if template.marketing:
            html = with_unsubscribe_link(html, url)
        msg_id = mailer.message_id(
            "trigger", f"{trigger.id}-{run.id}", mailer.domain_of(self.settings["from_address"])
        )
        data, headers = mailer.build_message(
            self.settings,
            address,
            subject,
            html,
            text,
            msg_id,
            url if template.marketing else None,
            {"X-Proofsheet-Trigger": str(trigger.id)},
        )
        if self._connection is None:
            self._connection = mailer.Connection(
                self.settings, self.settings.get("password"), self.smtp_timeout
            )
        try:
            self._connection.send(self.settings["from_address"], address, data)
        except mailer.SendFailure as exc:
            if exc.bounce:
                blocklist.block(self.session, address, "bounced", exc.message, client.get("id"))
            comm_log.write(
                self.session,
                [
                    comm_log.entry(
                        subject=subject,
                        status="failed",
                        error=exc.message[:500],
                        headers=headers,
                        message_id=msg_id,
                        **base,
                    )
                ],
            )
            return "failed", None, exc.message[:500]
        comm_log.write(
            self.session,
            [
                comm_log.entry(
                    subject=subject,
                    status="sent",
                    headers=headers,
                    html=html,
                    text=text,
                    message_id=msg_id,
                    **base,
                )
            ],
        )
        return "done", {"to": address, "message_id": msg_id}, None

    def _letter(self, run, trigger):
        letter = self.session.get(FormLetter, trigger.form_letter_id)
        if letter is None:
            return "failed", None, "the trigger's form letter no longer exists"
        record_type, record_id = run.record_type, run.record_id
        if record_type == "task":
            record_type, record_id = "client", run.client_id
        item = PrintQueueItem(
            form_letter_id=letter.id,
            record_type=record_type,
            record_id=record_id,
            client_id=run.client_id,
            trigger_id=trigger.id,
            status="queued",
            created_at=utcnow(),
        )
        self.session.add(item)
        self.session.flush()
        return "done", {"print_queue_id": item.id}, None

    def _task(self, run, trigger):
        spec = dict(trigger.task or {})
        payload = {"title": spec.get("title") or trigger.name}
        for name in ("description", "task_type_id", "assignee_id", "priority"):
            if spec.get(name) is not None:
                payload[name] = spec[name]
        if "task_type_id" not in payload:  # the studio's first task type ("General")
            types = self.cluster.tasks.list_task_types().get("items") or []
            if not types:
                return "failed", None, "the tasks service has no task type to use"
            payload["task_type_id"] = types[0]["id"]
        if spec.get("due_in_days") is not None:
            payload["due_date"] = (self.today + dt.timedelta(days=spec["due_in_days"])).isoformat()
        if run.client_id:
            payload["client_id"] = run.client_id
        record = (run.data or {}).get("record") or {}
        if run.record_type == "session":
            payload["session_id"] = run.record_id
        elif run.record_type == "invoice":
            payload["invoice_id"] = run.record_id
            if record.get("session_id"):
                payload["session_id"] = record["session_id"]
        elif run.record_type == "payment" and record.get("invoice_id"):
            payload["invoice_id"] = record["invoice_id"]
        task = self.cluster.tasks.create_task_for_service(
            payload,
            f"communications.trigger:{trigger.id}",
            f"communications:trigger:{trigger.id}:{run.occurrence_key}",
        )
        return "done", {"task_id": task["id"]}, None


def _finish(run, status, result, error, user_id):
    run.status, run.result, run.error = status, result, error
    run.processed_at, run.processed_by = utcnow(), user_id


def execute_pending(session, executor, limit=100, stale_after=600):
    """Auto runs: each claimed (``running``) in its own commit, then done. Runs left ``running``
    for ``stale_after`` seconds (a crash mid-action) are failed, not redone. How many ran."""
    cutoff = utcnow() - dt.timedelta(seconds=stale_after)
    session.execute(
        update(TriggerRun)
        .where(TriggerRun.status == "running", TriggerRun.processed_at < cutoff)
        .values(
            status="failed",
            error="interrupted while running (not retried: check the log before running it again)",
        )
    )
    session.commit()
    done = 0
    while done < limit:
        stmt = select(TriggerRun).where(TriggerRun.status == "pending").order_by(TriggerRun.id).limit(1)
        if session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        run = session.scalars(stmt).first()
        if run is None:
            break
        run.status, run.processed_at = "running", utcnow()
        session.commit()
        trigger = session.get(Trigger, run.trigger_id)
        status, result, error = executor.run(run, trigger)
        _finish(run, status, result, error, None)
        session.commit()
        done += 1
    return done


def process_runs(session, payload, executor, user_id):
    """Staff process (or skip) waiting runs: the ones listed, or all (of one trigger)."""
    data = load(ProcessRunsSchema(), payload)
    stmt = select(TriggerRun).where(TriggerRun.status == "waiting")
    if data.get("ids"):
        stmt = stmt.where(TriggerRun.id.in_(data["ids"]))
    if data.get("trigger_id"):
        stmt = stmt.where(TriggerRun.trigger_id == data["trigger_id"])
    if session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    runs = list(session.scalars(stmt.order_by(TriggerRun.id).limit(PROCESS_MAX)))
    if data.get("ids"):
        missing = sorted(set(data["ids"]) - {r.id for r in runs})
        if missing and not runs:
            raise NotFound(f"no waiting run among {missing}", {"ids": f"not waiting: {missing}"})
    counts = {"done": 0, "skipped": 0, "failed": 0}
    for run in runs:
        if data["action"] == "skip":
            _finish(run, "skipped", None, "skipped by staff", user_id)
        else:
            trigger = session.get(Trigger, run.trigger_id)
            status, result, error = executor.run(run, trigger)
            _finish(run, status, result, error, user_id)
        counts[run.status] = counts.get(run.status, 0) + 1
        session.flush()
    return {**counts, "items": [run_to_dict(r) for r in runs]}


# --- the print queue ---------------------------------------------------------------------------------


def list_print_queue(session, args):
    from proofsheet_shared.contracts.communications import PrintQueueArgs

    from .serialize import print_item_to_dict

    args = load(PrintQueueArgs(), args or {})
    after = decode_cursor(args.get("cursor"), 1)
    stmt = select(PrintQueueItem).where(PrintQueueItem.status == args["status"])
    if after is not None:
        stmt = stmt.where(PrintQueueItem.id > after[0])
    rows = list(session.scalars(stmt.order_by(PrintQueueItem.id).limit(args["limit"] + 1)))
    next_cursor = None
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        next_cursor = encode_cursor([rows[-1].id])
    return {"items": [print_item_to_dict(r) for r in rows], "next_cursor": next_cursor}


def queued_letters(session, ids):
    stmt = select(PrintQueueItem).where(PrintQueueItem.status == "queued")
    if ids:
        stmt = stmt.where(PrintQueueItem.id.in_(ids))
    return list(session.scalars(stmt.order_by(PrintQueueItem.id).limit(PROCESS_MAX)))


def mark_printed(session, items, user_id):
    now = utcnow()
    entries = []
    for item in items:
        item.status, item.printed_at, item.printed_by = "printed", now, user_id
        letter = session.get(FormLetter, item.form_letter_id)
        entries.append(
            comm_log.entry(
                client_id=item.client_id,
                channel="letter",
                subject=letter.name if letter else None,
                status="sent",
                form_letter_id=item.form_letter_id,
                trigger_id=item.trigger_id,
                record_type=item.record_type,
                record_id=item.record_id,
                user_id=user_id,
            )
        )
    comm_log.write(session, entries)
    session.flush()
