"""Family members, and the one a client names as its secondary contact."""
from sqlalchemy import select, update

from proofsheet_shared.contracts.clients import FamilyMemberInSchema
from proofsheet_shared.errors import NotFound
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .lookups import resolve_named
from .models import FamilyMember, Relationship
from .numbering import get_settings
from .records import capitalise_names, get_live_client, normalise_phones, write_search_terms
from .serialize import family_member_to_dict

FIELDS = ("first_name", "last_name", "birthday", "email", "secondary_contact")


def list_family_members(session, client_id):
    get_live_client(session, client_id)
    rows = session.scalars(select(FamilyMember).where(FamilyMember.client_id == client_id)
                           .order_by(FamilyMember.id))
    return {"items": [family_member_to_dict(m) for m in rows], "next_cursor": None}


def _get_member(session, client_id, member_id):
    member = session.get(FamilyMember, member_id)
    if member is None or member.client_id != client_id:
        raise NotFound(f"family member {member_id} of client {client_id} does not exist", {"id": "not found"})
    return member


def _sync_secondary(db, client, member):
    """Keep the client's copy of its secondary contact's name; setting a new one moves the flag."""
    session = db.session
    if member is not None and member.secondary_contact:
        session.execute(update(FamilyMember).where(FamilyMember.client_id == client.id,
                                                   FamilyMember.id != member.id)
                        .values(secondary_contact=False))
        client.secondary_contact_id = member.id
        client.secondary_first_name, client.secondary_last_name = member.first_name, member.last_name
    elif member is not None and client.secondary_contact_id == member.id:
        client.secondary_contact_id = client.secondary_first_name = client.secondary_last_name = None
    client.updated_at = utcnow()
    write_search_terms(session, client)
    db.publish("client_updated", {"client_id": client.id, "changed": ["secondary_contact"]})


def _apply(session, member, data):
    capitalise_names(data, data.get("auto_capitalize") is not False and get_settings(session).auto_capitalize,
                     fields=("first_name", "last_name"))
    for field in FIELDS:
        if field in data:
            setattr(member, field, data[field])
    if "relationship" in data:
        member.relationship_ref = (resolve_named(session, Relationship, data["relationship"],
                                                 "relationship", "relationship")
                                   if data["relationship"] else None)
    if "phones" in data:
        member.phones = normalise_phones(session, data["phones"])


def add_family_member(db, client_id, payload):
    session = db.session
    data = load(FamilyMemberInSchema(), payload)
    client = get_live_client(session, client_id)
    member = FamilyMember(client_id=client.id, phones=[], secondary_contact=False)
    _apply(session, member, data)
    session.add(member)
    session.flush()
    if member.secondary_contact:
        _sync_secondary(db, client, member)
    return family_member_to_dict(member)


def update_family_member(db, client_id, member_id, payload):
    session = db.session
    data = load(FamilyMemberInSchema(), payload, partial=True)
    client = get_live_client(session, client_id)
    member = _get_member(session, client_id, member_id)
    was_secondary = member.secondary_contact
    _apply(session, member, data)
    session.flush()
    if member.secondary_contact or was_secondary:
        _sync_secondary(db, client, member)
    return family_member_to_dict(member)


def delete_family_member(db, client_id, member_id):
    session = db.session
    client = get_live_client(session, client_id)
    member = _get_member(session, client_id, member_id)
    if client.secondary_contact_id == member.id:
        member.secondary_contact = False
        _sync_secondary(db, client, member)
    session.delete(member)
    session.flush()
    return {"deleted": member_id}
