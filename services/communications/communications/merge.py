"""Merge data: the records a template is rendered with, asked of the services that own them.

``client`` comes from the clients service, ``invoice`` from invoicing, ``session`` from
scheduling and ``payment`` from payments. A service that does not answer (not deployed yet, or
down) is stood in for by the last state of the record its events carried
(``record_snapshots``); with neither, the record is "not found" / "unavailable".

RPCs relied on: ``clients.get_client(id)``, ``clients.get_clients(ids)``,
``invoicing.get_invoice(id)``, ``scheduling.get_session(id)``, ``payments.get_payment(id)``,
``staff.get_staff_many(ids)`` (photographer and assistant names); all optional but the first.
"""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import select

from proofsheet_shared.errors import DomainError, NotFound, Unavailable

from .models import RecordSnapshot
from .rendering import FIELDS

log = logging.getLogger(__name__)

OWNERS = {
    "client": ("clients", "get_client"),
    "session": ("scheduling", "get_session"),
    "invoice": ("invoicing", "get_invoice"),
    "payment": ("payments", "get_payment"),
}


def client_merge(client):
    """A client as templates see it: the API's fields plus ``name``, ``full_name``, ``email``, ``phone``."""
    if client is None:
        return None
    merged = dict(client)
    first, last = client.get("first_name"), client.get("last_name")
    merged["name"] = " ".join(p for p in (first, last) if p) or ""
    merged["full_name"] = " ".join(p for p in (client.get("salutation"), first, last) if p) or ""
    emails = client.get("emails") or []
    merged["email"] = emails[0] if emails else None
    phones = client.get("phones") or []
    merged["phone"] = phones[0].get("number") if phones and isinstance(phones[0], dict) else None
    merged.setdefault("address", {})
    return merged


def _local(value, tz):
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(tz)


def session_merge(session, time_zone="UTC", staff=None):
    """A session with its day and times in the studio's time zone and its staff's names."""
    merged = dict(session)
    tz = ZoneInfo(time_zone or "UTC")
    start, end = _local(session.get("starts_at"), tz), _local(session.get("ends_at"), tz)
    merged["date"] = start.date().isoformat() if start else None
    merged["start_time"] = start.strftime("%H:%M") if start else None
    merged["end_time"] = end.strftime("%H:%M") if end else None
    staff = staff or {}
    for role in ("photographer", "assistant"):
        current = merged.get(role)
        if isinstance(current, dict):
            current = current.get("name")
        if not current and session.get(f"{role}_id"):
            person = staff.get(str(session.get(f"{role}_id")))
            current = person.get("name") if person else None
        merged[role] = current
    for name in ("session_type", "status"):
        value = merged.get(name)
        if isinstance(value, dict):
            merged[name] = value.get("name")
    return merged


def snapshot(session_or_conn, record_type, record_id):
    row = session_or_conn.execute(
        select(RecordSnapshot.data).where(
            RecordSnapshot.record_type == record_type, RecordSnapshot.record_id == record_id
        )
    ).first()
    return dict(row.data) if row else None


class Records:
    """Looks records up for one worker: ``Records(self.cluster, self.db.session, studio)``."""

    def __init__(self, cluster, session, studio):
        self.cluster = cluster
        self.session = session
        self.studio = studio or {}
        self._cache = {}

    def _ask(self, record_type, record_id):
        service, method = OWNERS[record_type]
        return getattr(getattr(self.cluster, service), method)(record_id)

    def get(self, record_type, record_id, field="record_id"):
        key = (record_type, record_id)
        if key in self._cache:
            return self._cache[key]
        record, problem = None, None
        try:
            record = self._ask(record_type, record_id)
        except NotFound as exc:
            if record_type == "client":
                raise NotFound(f"client {record_id} does not exist", {field: "not found"}) from None
            problem = exc  # gone from its service (or never there): what its events said still prints
        except DomainError as exc:
            if not isinstance(exc, Unavailable):
                raise
            problem = exc
        except Exception as exc:  # noqa: BLE001 - the service has no such RPC yet: use what events told us
            log.info("%s lookup by RPC failed, using the event snapshot: %s", record_type, exc)
            problem = exc
        if record is None:
            record = snapshot(self.session, record_type, record_id)
        if record is None:
            if isinstance(problem, Unavailable) and record_type == "client":
                raise problem
            raise NotFound(
                f"{record_type} {record_id} does not exist (or its service is not answering)",
                {field: "not found"},
            )
        self._cache[key] = record
        return record

    def staff_names(self, ids):
        ids = sorted({i for i in ids if i})
        if not ids:
            return {}
        try:
            return self.cluster.staff.get_staff_many(ids) or {}
        except Exception as exc:  # noqa: BLE001 - names are a nicety
            log.info("staff names unavailable: %s", exc)
            return {}

    def context(self, record_type, record_id, field="record_id"):
        """The template context for one record: the record, its client, the studio."""
        context = {
            "studio": dict(self.studio),
            "today": dt.date.today().isoformat(),
            "now": dt.datetime.now(dt.timezone.utc).isoformat(),
        }
        record = self.get(record_type, record_id, field)
        client_id = record.get("client_id") if record_type != "client" else record_id
        if record_type == "session":
            staff = self.staff_names([record.get("photographer_id"), record.get("assistant_id")])
            context["session"] = session_merge(record, self.studio.get("time_zone"), staff)
        elif record_type == "payment":
            context["payment"] = dict(record)
            if record.get("invoice_id"):
                try:
                    context["invoice"] = self.get("invoice", record["invoice_id"])
                except NotFound:
                    pass
        elif record_type == "invoice":
            context["invoice"] = dict(record)
        if client_id:
            client = record if record_type == "client" else self.get("client", client_id, field)
            context["client"] = client_merge(client)
        if "session" in context:
            self._session_names(context["session"])
        for root, names in FIELDS.items():  # every merge field exists, if only as None
            if isinstance(context.get(root), dict):
                for name in names:
                    context[root].setdefault(name, None)
        return context

    def _session_names(self, session):
        """The session type's and status's names, from the scheduling service when it answers."""
        if not session.get("session_type") and session.get("session_type_id"):
            try:
                session["session_type"] = (
                    self.cluster.scheduling.get_session_type(session["session_type_id"]) or {}
                ).get("name")
            except Exception as exc:  # noqa: BLE001 - a name is a nicety
                log.info("session type name unavailable: %s", exc)
        if not session.get("status") and session.get("status_id"):
            try:
                statuses = self.cluster.scheduling.list_session_statuses().get("items") or []
                session["status"] = next(
                    (s.get("name") for s in statuses if s.get("id") == session["status_id"]), None
                )
            except Exception as exc:  # noqa: BLE001
                log.info("session status names unavailable: %s", exc)
