"""Sessions and appointments as the API shows them: times in the studio's time zone."""

from .timeutil import show


def client_label(client):
    """A client's display name from the clients service's record."""
    if not client:
        return None
    name = " ".join(part for part in (client.get("first_name"), client.get("last_name")) if part)
    return name[:200] or None


def session_to_dict(row, tz, rrule=None):
    """``row`` is a Session or a row with the same columns."""
    return {
        "id": row.id,
        "client_id": row.client_id,
        "client_name": row.client_name,
        "session_type_id": row.session_type_id,
        "status_id": row.status_id,
        "starts_at": show(row.starts_at, tz),
        "ends_at": show(row.ends_at, tz),
        "time_zone": tz.key,
        "photographer_id": row.photographer_id,
        "assistant_id": row.assistant_id,
        "room": row.room,
        "organization_id": row.organization_id,
        "notes": row.notes,
        "series_id": row.series_id,
        "recurrence": {"rrule": rrule} if rrule else None,
        "cancelled": row.cancelled,
        "cancelled_at": show(row.cancelled_at, tz),
        "sequence": row.sequence,
        "created_at": show(row.created_at, tz),
        "updated_at": show(row.updated_at, tz),
        "created_by": row.created_by,
        "updated_by": row.updated_by,
    }


def appointment_to_dict(row, staff_ids, tz):
    return {
        "id": row.id,
        "title": row.title,
        "starts_at": show(row.starts_at, tz),
        "ends_at": show(row.ends_at, tz),
        "time_zone": tz.key,
        "staff_ids": sorted(staff_ids),
        "client_id": row.client_id,
        "client_name": row.client_name,
        "organization_id": row.organization_id,
        "room": row.room,
        "notes": row.notes,
        "cancelled": row.cancelled,
        "sequence": row.sequence,
        "created_at": show(row.created_at, tz),
        "updated_at": show(row.updated_at, tz),
        "created_by": row.created_by,
        "updated_by": row.updated_by,
    }
