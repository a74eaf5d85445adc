"""Clients and family members as the API shows them."""
ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postal_code", "country")


def _date(value):
    return value.isoformat() if value else None


def is_active(client, today):
    return client.inactive_date is None or today < client.inactive_date


def client_to_dict(client, today):
    secondary = None
    if client.secondary_contact_id:
        secondary = {"family_member_id": client.secondary_contact_id,
                     "first_name": client.secondary_first_name,
                     "last_name": client.secondary_last_name}
    texts = list(client.custom_texts or [])
    return {
        "id": client.id,
        "client_number": client.client_number,
        "salutation": client.salutation,
        "first_name": client.first_name,
        "last_name": client.last_name,
        "emails": list(client.emails or []),
        "phones": list(client.phones or []),
        "address": {f: (client.address or {}).get(f) for f in ADDRESS_FIELDS},
        "status_id": client.status_id,
        "status_due_date": _date(client.status_due_date),
        "lead_source_id": client.lead_source_id,
        "referred_by_id": client.referred_by_id,
        "organization_id": client.organization_id,
        "group_ids": list(client.group_ids or []),
        "birthday": _date(client.birthday),
        "anniversary": _date(client.anniversary),
        "contract_date": _date(client.contract_date),
        "custom_dates": [_date(client.custom_date_1), _date(client.custom_date_2)],
        "custom_texts": texts + [None] * (4 - len(texts)),
        "call_warning": client.call_warning,
        "saturday_only": client.saturday_only,
        "allow_marketing": client.allow_marketing,
        "inactive_date": _date(client.inactive_date),
        "active": is_active(client, today),
        "notes": client.notes,
        "secondary_contact": secondary,
        "created_at": client.created_at.isoformat(),
        "updated_at": client.updated_at.isoformat(),
    }


def family_member_to_dict(member):
    return {
        "id": member.id,
        "client_id": member.client_id,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "relationship": member.relationship_ref.name if member.relationship_ref else None,
        "birthday": _date(member.birthday),
        "phones": list(member.phones or []),
        "email": member.email,
        "secondary_contact": member.secondary_contact,
    }
