"""Creating, changing, reading and deleting clients."""
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from proofsheet_shared.contracts.clients import ClientInSchema
from proofsheet_shared.errors import Conflict, NotFound, ValidationError
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .lookups import require_lookup, resolve_named
from .models import (Client, ClientGroup, ClientStatus, LeadSource, Organization, PhoneLabel,
                     SearchTerm, client_group_members)
from .numbering import allocate_number, get_settings, number_taken
from .serialize import ADDRESS_FIELDS, client_to_dict
from .text import capitalise, client_terms, digits, key

NAME_FIELDS = ("first_name", "last_name", "salutation")
PLAIN_FIELDS = ("status_due_date", "birthday", "anniversary", "contract_date", "call_warning",
                "saturday_only", "allow_marketing", "inactive_date", "notes")
SEARCHED_FIELDS = {"first_name", "last_name", "emails", "phones", "client_number"}


def get_live_client(session, client_id, field="id"):
    client = session.get(Client, client_id)
    if client is None or client.deleted_at is not None:
        raise NotFound(f"client {client_id} does not exist", {field: "not found"})
    return client


def _should_capitalise(session, data):
    return data.get("auto_capitalize") is not False and get_settings(session).auto_capitalize


def capitalise_names(data, enabled, fields=NAME_FIELDS):
    if enabled:
        for field in fields:
            if data.get(field):
                data[field] = capitalise(data[field])


def normalise_phones(session, phones, field="phones"):
    result = []
    for index, phone in enumerate(phones or []):
        label = phone.get("label")
        if label is not None:
            label = resolve_named(session, PhoneLabel, label, "phone label", f"{field}.{index}.label").name
        result.append({"label": label, "number": phone["number"]})
    return result


def _check_references(session, data, client_id=None):
    require_lookup(session, ClientStatus, data.get("status_id"), "client status", "status_id")
    require_lookup(session, LeadSource, data.get("lead_source_id"), "lead source", "lead_source_id")
    require_lookup(session, Organization, data.get("organization_id"), "organization", "organization_id")
    for index, group_id in enumerate(data.get("group_ids") or []):
        require_lookup(session, ClientGroup, group_id, "client group", f"group_ids.{index}")
    referred = data.get("referred_by_id")
    if referred is not None:
        if client_id is not None and referred == client_id:
            raise ValidationError("a client cannot be referred by itself",
                                  {"referred_by_id": "cannot refer to the client itself"})
        get_live_client(session, referred, field="referred_by_id")


def _apply(session, client, data):
    for field in NAME_FIELDS + PLAIN_FIELDS + ("status_id", "lead_source_id", "referred_by_id",
                                                 "organization_id", "emails"):
        if field in data:
            setattr(client, field, data[field])
    if "phones" in data:
        client.phones = normalise_phones(session, data["phones"])
    if "address" in data:
        address = data["address"] or {}
        client.address = {f: address.get(f) for f in ADDRESS_FIELDS}
    if "custom_dates" in data:
        dates = list(data["custom_dates"]) + [None, None]
        client.custom_date_1, client.custom_date_2 = dates[0], dates[1]
    if "custom_texts" in data:
        client.custom_texts = list(data["custom_texts"])[:4]
    if "group_ids" in data:
        client.group_ids = sorted(set(data["group_ids"]))
    client.first_key, client.last_key = key(client.first_name), key(client.last_name)


def write_search_terms(session, client):
    session.execute(delete(SearchTerm).where(SearchTerm.client_id == client.id))
    terms = client_terms(client)
    if terms:
        session.execute(insert(SearchTerm), [
            {"term": term, "client_id": client.id, "kind": kind, "last_key": client.last_key,
             "first_key": client.first_key} for term, kind in terms.items()])


def write_group_members(session, client):
    session.execute(delete(client_group_members).where(client_group_members.c.client_id == client.id))
    if client.group_ids:
        session.execute(insert(client_group_members),
                        [{"client_id": client.id, "group_id": g} for g in client.group_ids])


def _flush_number(session, number):
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"client number {number} is already in use",
                       {"client_number": "already in use"}) from None


def possible_duplicates(session, client):
    """Live clients with the same name who share a phone number or an email with ``client``."""
    keys = {e.lower() for e in client.emails or []} | {digits(p["number"]) for p in client.phones or []}
    keys.discard("")
    if not keys or not (client.first_key or client.last_key):
        return []
    rows = session.execute(
        select(Client.id, Client.client_number, Client.first_name, Client.last_name)
        .join(SearchTerm, SearchTerm.client_id == Client.id)
        .where(SearchTerm.term.in_(keys), Client.id != client.id, Client.deleted_at.is_(None),
               Client.first_key == client.first_key, Client.last_key == client.last_key)
        .distinct().order_by(Client.id).limit(20)).all()
    return [{"id": r.id, "client_number": r.client_number, "first_name": r.first_name,
             "last_name": r.last_name} for r in rows]


def create_client(db, payload, user_id, today):
    session = db.session
    data = load(ClientInSchema(), payload)
    capitalise_names(data, _should_capitalise(session, data))
    _check_references(session, data)
    number = data.get("client_number")
    if number:
        if number_taken(session, number):
            raise Conflict(f"client number {number} is already in use", {"client_number": "already in use"})
    else:
        number = allocate_number(session)
    now = utcnow()
    client = Client(client_number=number, created_at=now, updated_at=now, created_by=user_id,
                    updated_by=user_id, emails=[], phones=[], address={}, group_ids=[], custom_texts=[])
    _apply(session, client, data)
    session.add(client)
    _flush_number(session, number)
    write_search_terms(session, client)
    write_group_members(session, client)
    result = client_to_dict(client, today)
    db.publish("client_created", {"client": result})
    result["possible_duplicates"] = possible_duplicates(session, client)
    return result


def update_client(db, client_id, payload, user_id, today):
    session = db.session
    data = load(ClientInSchema(), payload, partial=True)
    client = get_live_client(session, client_id)
    if not (data.keys() - {"auto_capitalize"}):
        return client_to_dict(client, today)
    capitalise_names(data, _should_capitalise(session, data))
    _check_references(session, data, client_id=client.id)
    before = client_to_dict(client, today)
    if "client_number" in data:
        number = data.pop("client_number")
        if not number:
            raise ValidationError("a client number cannot be removed", {"client_number": "must not be empty"})
        if number != client.client_number:
            if number_taken(session, number, exclude_id=client.id):
                raise Conflict(f"client number {number} is already in use", {"client_number": "already in use"})
            client.client_number = number
            data["client_number"] = number
    _apply(session, client, data)
    client.updated_at, client.updated_by = utcnow(), user_id
    _flush_number(session, client.client_number)
    if SEARCHED_FIELDS & data.keys():
        write_search_terms(session, client)
    if "group_ids" in data:
        write_group_members(session, client)
    after = client_to_dict(client, today)
    changed = sorted(k for k in after if after[k] != before[k] and k != "updated_at")
    if changed:
        db.publish("client_updated", {"client": after, "changed": changed})
    if before["status_id"] != after["status_id"]:
        db.publish("client_status_changed", {"client_id": client.id, "from_status_id": before["status_id"],
                                             "to_status_id": after["status_id"]})
    return after


_GET_CLIENT = select(*Client.__table__.c).where(Client.id == bindparam("client_id"),
                                                 Client.deleted_at.is_(None))


def get_client(connection, client_id, today):
    """The hot read path: one prepared Core select, no ORM (``connection`` may be a Session)."""
    row = connection.execute(_GET_CLIENT, {"client_id": client_id}).first()
    if row is None:
        raise NotFound(f"client {client_id} does not exist", {"id": "not found"})
    return client_to_dict(row, today)


def get_clients(session, client_ids, today):
    """Several clients at once (for other services); unknown or deleted ids are left out."""
    ids = [int(i) for i in client_ids][:1000]
    rows = session.scalars(select(Client).where(Client.id.in_(ids), Client.deleted_at.is_(None)))
    return [client_to_dict(c, today) for c in rows]


def delete_client(db, client_id, user_id, references):
    """Soft delete. ``references`` lists what other services still hold, e.g.
    ``{"invoicing": {"invoices": 2}}``; any reference refuses the delete."""
    session = db.session
    client = get_live_client(session, client_id)
    held = {f"{service}.{what}": count for service, counts in references.items()
            for what, count in (counts or {}).items() if count}
    if held:
        detail = ", ".join(f"{count} {name.split('.', 1)[1]}" for name, count in sorted(held.items()))
        raise Conflict(f"client {client_id} is still referenced by {detail}", held)
    client.deleted_at = utcnow()
    client.updated_by = user_id
    session.execute(delete(SearchTerm).where(SearchTerm.client_id == client.id))
    session.execute(delete(client_group_members).where(client_group_members.c.client_id == client.id))
    db.publish("client_deleted", {"client_id": client.id})
    return {"deleted": client.id}
