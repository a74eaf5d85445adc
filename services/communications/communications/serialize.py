"""Rows as the API shows them."""


def ts(value):
    return value.isoformat() if value else None


def template_to_dict(row, fields_used=()):
    return {
        "id": row.id,
        "name": row.name,
        "subject": row.subject,
        "html": row.html,
        "marketing": row.marketing,
        "fields_used": sorted(fields_used),
        "created_at": ts(row.created_at),
        "updated_at": ts(row.updated_at),
    }


def letter_to_dict(row):
    return {
        "id": row.id,
        "name": row.name,
        "record_type": row.record_type,
        "html": row.html,
        "builtin": row.builtin,
        "created_at": ts(row.created_at),
        "updated_at": ts(row.updated_at),
    }


def trigger_to_dict(row):
    return {
        "id": row.id,
        "name": row.name,
        "active": row.active,
        "kind": row.kind,
        "event": row.event,
        "status_id": row.status_id,
        "date_field": row.date_field,
        "offset_days": row.offset_days,
        "filters": dict(row.filters or {}),
        "action": row.action,
        "template_id": row.template_id,
        "form_letter_id": row.form_letter_id,
        "task": row.task,
        "mode": row.mode,
        "created_at": ts(row.created_at),
        "updated_at": ts(row.updated_at),
    }


def run_to_dict(row):
    return {
        "id": row.id,
        "trigger_id": row.trigger_id,
        "occurrence_key": row.occurrence_key,
        "record_type": row.record_type,
        "record_id": row.record_id,
        "client_id": row.client_id,
        "status": row.status,
        "result": row.result,
        "error": row.error,
        "created_at": ts(row.created_at),
        "processed_at": ts(row.processed_at),
    }


def communication_to_dict(row, detail=False):
    result = {
        "id": row.id,
        "at": ts(row.at),
        "client_id": row.client_id,
        "channel": row.channel,
        "subject": row.subject,
        "to": row.to_address,
        "status": row.status,
        "error": row.error,
        "template_id": row.template_id,
        "form_letter_id": row.form_letter_id,
        "campaign_id": row.campaign_id,
        "trigger_id": row.trigger_id,
        "message_id": row.message_id,
    }
    if detail:
        result.update({"headers": row.headers, "html": row.html, "text": row.text})
    return result


def print_item_to_dict(row):
    return {
        "id": row.id,
        "form_letter_id": row.form_letter_id,
        "record_type": row.record_type,
        "record_id": row.record_id,
        "client_id": row.client_id,
        "trigger_id": row.trigger_id,
        "status": row.status,
        "created_at": ts(row.created_at),
        "printed_at": ts(row.printed_at),
    }


def blocked_to_dict(row):
    return {
        "email": row.email,
        "reason": row.reason,
        "detail": row.detail,
        "client_id": row.client_id,
        "created_at": ts(row.created_at),
    }
