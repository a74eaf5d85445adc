"""The studio's configurable lists: statuses, lead sources, groups, organizations,
relationships and phone labels."""
import json

from sqlalchemy import Text as SQLText, cast, func, select
from sqlalchemy.exc import IntegrityError

from proofsheet_shared.contracts.clients import LookupInSchema
from proofsheet_shared.errors import Conflict, NotFound, ValidationError
from proofsheet_shared.schemas import load

from .models import (Client, ClientGroup, ClientStatus, FamilyMember, LeadSource, Organization,
                     PhoneLabel, Relationship, client_group_members)
from .text import key

LOOKUPS = {
    "client-statuses": (ClientStatus, "client status"),
    "lead-sources": (LeadSource, "lead source"),
    "client-groups": (ClientGroup, "client group"),
    "organizations": (Organization, "organization"),
    "relationships": (Relationship, "relationship"),
    "phone-labels": (PhoneLabel, "phone label"),
}


def _model(kind):
    try:
        return LOOKUPS[kind]
    except KeyError:
        raise NotFound(f"there is no list called '{kind}'", {"lookup": "unknown list"}) from None


def lookup_to_dict(row):
    return {"id": row.id, "name": row.name, "sort_order": row.sort_order, "active": row.active}


def list_lookups(session, kind):
    model, _ = _model(kind)
    rows = session.scalars(select(model).order_by(model.sort_order, model.name_key, model.id))
    return [lookup_to_dict(r) for r in rows]


def _get(session, kind, lookup_id):
    model, label = _model(kind)
    row = session.get(model, lookup_id)
    if row is None:
        raise NotFound(f"{label} {lookup_id} does not exist", {"id": "not found"})
    return row


def _check_name_free(session, model, label, name, exclude_id=None):
    stmt = select(model.id).where(model.name_key == key(name))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"a {label} named '{name}' already exists", {"name": "already exists"})


def create_lookup(session, kind, payload):
    model, label = _model(kind)
    data = load(LookupInSchema(), payload)
    _check_name_free(session, model, label, data["name"])
    if "sort_order" not in data:
        data["sort_order"] = (session.scalar(select(func.max(model.sort_order))) or 0) + 10
    row = model(name=data["name"], name_key=key(data["name"]), sort_order=data["sort_order"],
                active=data.get("active", True))
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a {label} named '{data['name']}' already exists", {"name": "already exists"}) from None
    return lookup_to_dict(row)


def update_lookup(session, kind, lookup_id, payload):
    model, label = _model(kind)
    data = load(LookupInSchema(), payload, partial=True)
    row = _get(session, kind, lookup_id)
    if "name" in data:
        _check_name_free(session, model, label, data["name"], exclude_id=row.id)
        old_name = row.name
        row.name, row.name_key = data["name"], key(data["name"])
        if model is PhoneLabel and old_name != row.name:
            _rename_phone_label(session, old_name, row.name)
    for field in ("sort_order", "active"):
        if field in data:
            setattr(row, field, data[field])
    session.flush()
    return lookup_to_dict(row)


def _clients_with_phone_label(session, name):
    needle = f'%"label": {json.dumps(name)}%'
    return select(Client).where(cast(Client.phones, SQLText).like(needle))


def _rename_phone_label(session, old, new):
    for client in session.scalars(_clients_with_phone_label(session, old)):
        client.phones = [dict(p, label=new) if p.get("label") == old else p for p in client.phones]


def _usage(session, model, row):
    if model is ClientStatus:
        return session.scalar(select(func.count()).where(Client.status_id == row.id)), "clients"
    if model is LeadSource:
        return session.scalar(select(func.count()).where(Client.lead_source_id == row.id)), "clients"
    if model is Organization:
        return session.scalar(select(func.count()).where(Client.organization_id == row.id)), "clients"
    if model is ClientGroup:
        return session.scalar(select(func.count()).select_from(client_group_members)
                              .where(client_group_members.c.group_id == row.id)), "clients"
    if model is Relationship:
        return session.scalar(select(func.count()).where(FamilyMember.relationship_id == row.id)), "family members"
    return session.scalar(select(func.count()).select_from(
        _clients_with_phone_label(session, row.name).subquery())), "clients"


def delete_lookup(session, kind, lookup_id):
    model, label = _model(kind)
    row = _get(session, kind, lookup_id)
    count, what = _usage(session, model, row)
    if count:
        raise Conflict(f"{label} '{row.name}' is used by {count} {what}; set active to false instead",
                       {"id": f"in use by {count} {what}"})
    session.delete(row)
    session.flush()
    return {"deleted": lookup_id}


def require_lookup(session, model, lookup_id, label, field):
    if lookup_id is None:
        return None
    if session.get(model, lookup_id) is None:
        raise NotFound(f"{label} {lookup_id} does not exist", {field: f"no {label} {lookup_id}"})
    return lookup_id


def resolve_named(session, model, name, label, field):
    """The canonical name of an entry given by name (e.g. phone label 'mobile' → 'Mobile')."""
    if name is None:
        return None
    row = session.scalar(select(model).where(model.name_key == key(name)))
    if row is None:
        raise ValidationError(f"'{name}' is not a {label} of this studio", {field: f"unknown {label} '{name}'"})
    return row
