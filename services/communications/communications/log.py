"""The communication log: every email sent, failed or skipped and every letter printed, per client."""

from sqlalchemy import insert, select

from proofsheet_shared.errors import not_found
from proofsheet_shared.schemas import PageArgs, decode_cursor, encode_cursor, load
from proofsheet_shared.types import utcnow

from .models import Communication
from .serialize import communication_to_dict

COLUMNS = (
    "client_id",
    "channel",
    "subject",
    "to_address",
    "status",
    "error",
    "template_id",
    "form_letter_id",
    "campaign_id",
    "trigger_id",
    "record_type",
    "record_id",
    "message_id",
    "headers",
    "html",
    "text",
    "user_id",
)


def entry(**values):
    row = {name: values.get(name) for name in COLUMNS}
    row["at"] = values.get("at") or utcnow()
    return row


def write(session_or_conn, rows):
    """Insert log entries (dicts made by :func:`entry`) in one statement."""
    rows = list(rows)
    if rows:
        session_or_conn.execute(insert(Communication), rows)


def list_for_client(session, client_id, args):
    args = load(PageArgs(), args or {})
    after = decode_cursor(args.get("cursor"), 1)
    stmt = select(Communication).where(Communication.client_id == client_id)
    if after is not None:
        stmt = stmt.where(Communication.id < after[0])
    rows = list(session.scalars(stmt.order_by(Communication.id.desc()).limit(args["limit"] + 1)))
    next_cursor = None
    if len(rows) > args["limit"]:
        rows = rows[: args["limit"]]
        next_cursor = encode_cursor([rows[-1].id])
    return {"items": [communication_to_dict(r) for r in rows], "next_cursor": next_cursor}


def get_communication(session, communication_id):
    row = session.get(Communication, communication_id)
    if row is None:
        raise not_found("communication", communication_id)
    return communication_to_dict(row, detail=True)
