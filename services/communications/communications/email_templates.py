"""Email templates (the HTML Email Builder): checked when saved, previewed for a record."""

from sqlalchemy import select

from proofsheet_shared.contracts.communications import EmailTemplateInSchema
from proofsheet_shared.errors import not_found
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from . import rendering
from .models import EmailTemplate
from .serialize import template_to_dict


def _dict(row):
    return template_to_dict(row, rendering.roots_used(row.subject, row.html))


def get_row(session, template_id, field="id"):
    row = session.get(EmailTemplate, template_id)
    if row is None:
        raise not_found("email template", template_id, field)
    return row


def list_templates(session):
    return {
        "items": [
            _dict(r)
            for r in session.scalars(select(EmailTemplate).order_by(EmailTemplate.name, EmailTemplate.id))
        ]
    }


def get_template(session, template_id):
    return _dict(get_row(session, template_id))


def create_template(session, payload, user_id):
    data = load(EmailTemplateInSchema(), payload)
    rendering.check_template({"subject": data["subject"], "html": data["html"]})
    now = utcnow()
    row = EmailTemplate(
        name=data["name"],
        subject=data["subject"],
        html=data["html"],
        marketing=data["marketing"],
        created_at=now,
        updated_at=now,
        created_by=user_id,
        updated_by=user_id,
    )
    session.add(row)
    session.flush()
    return _dict(row)


def update_template(session, template_id, payload, user_id):
    data = load(EmailTemplateInSchema(), payload, partial=True)
    row = get_row(session, template_id)
    rendering.check_template({k: data[k] for k in ("subject", "html") if k in data})
    for name in ("name", "subject", "html", "marketing"):
        if name in data and data[name] is not None:
            setattr(row, name, data[name])
    row.updated_at, row.updated_by = utcnow(), user_id
    session.flush()
    return _dict(row)


def delete_template(session, template_id):
    from .models import Campaign, Trigger
    from proofsheet_shared.errors import Conflict

    row = get_row(session, template_id)
    if session.scalar(select(Trigger.id).where(Trigger.template_id == template_id).limit(1)):
        raise Conflict("a trigger sends this template", {"id": "in use by a trigger"})
    if session.scalar(select(Campaign.id).where(Campaign.template_id == template_id).limit(1)):
        raise Conflict("a campaign used this template", {"id": "in use by a campaign"})
    session.delete(row)
    session.flush()
