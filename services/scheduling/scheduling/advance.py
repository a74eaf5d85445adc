"""Advance status in bulk (the sessions hub's "Advance Status" button): each listed session
moves to the next status of the studio's ordered list.

The answer has one result per listed id, in the order given: advanced (from → to), or why
not (no such session, already in the last status, cancelled, listed twice). The sessions
that can move do move; each move bumps the session's SEQUENCE and is one
``session_status_changed`` event, written in the same transaction.

As in the tasks service, cost does not grow with statements: the sessions are read (and
locked on PostgreSQL, in id order, so two bulk advances cannot deadlock) in chunks of
1,000, the moves are one UPDATE per (from, to) status pair and chunk, the events one
multi-row INSERT (``proofsheet_shared.outbox_bulk``), published after the reply.
"""

from sqlalchemy import select, update

from proofsheet_shared.contracts.scheduling import AdvanceStatusInSchema
from proofsheet_shared.outbox_bulk import publish_many
from proofsheet_shared.schemas import load
from proofsheet_shared.types import utcnow

from .lookups import ordered_statuses
from .models import Session
from .sessions import status_changed_event

CHUNK = 1000
ID_MAX = 2**31 - 1
_LOCKED_COLUMNS = (
    Session.id,
    Session.status_id,
    Session.cancelled,
    Session.client_id,
    Session.session_type_id,
    Session.photographer_id,
    Session.assistant_id,
)


def _chunks(values, size=CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _load_locked(session, ids):
    rows = {}
    locking = session.get_bind().dialect.name == "postgresql"
    for chunk in _chunks(sorted(ids)):
        stmt = select(*_LOCKED_COLUMNS).where(Session.id.in_(chunk)).order_by(Session.id)
        if locking:
            stmt = stmt.with_for_update()
        for row in session.execute(stmt):
            rows[row.id] = row
    return rows


def _failure(session_id, result, code, message):
    return {
        "id": session_id,
        "ok": False,
        "result": result,
        "from_status_id": None,
        "status_id": None,
        "error": {"code": code, "message": message},
    }


def advance_status(db, payload, user_id):
    session = db.session
    ids = load(AdvanceStatusInSchema(), payload)["ids"]
    statuses = ordered_statuses(session)
    following = {s.id: (statuses[i + 1] if i + 1 < len(statuses) else None) for i, s in enumerate(statuses)}
    rows = _load_locked(session, {i for i in ids if 0 < i <= ID_MAX})

    results, moves, seen = [], {}, set()
    for session_id in ids:
        if session_id in seen:
            results.append(
                _failure(
                    session_id,
                    "duplicate",
                    "validation_error",
                    f"session {session_id} is listed more than once; it was advanced once",
                )
            )
            continue
        seen.add(session_id)
        row = rows.get(session_id)
        if row is None:
            results.append(
                _failure(session_id, "not_found", "not_found", f"session {session_id} does not exist")
            )
            continue
        if row.cancelled:
            results.append(
                _failure(session_id, "cancelled", "unprocessable", f"session {session_id} is cancelled")
            )
            continue
        target = following.get(row.status_id)
        if target is None:
            results.append(
                _failure(
                    session_id,
                    "already_last",
                    "unprocessable",
                    f"session {session_id} is already in the last status",
                )
            )
            continue
        moves.setdefault((row.status_id, target.id), []).append(row)
        results.append(
            {
                "id": session_id,
                "ok": True,
                "result": "advanced",
                "from_status_id": row.status_id,
                "status_id": target.id,
                "error": None,
            }
        )

    now = utcnow()
    events = []
    for (from_id, to_id), moved in moves.items():
        for chunk in _chunks([row.id for row in moved]):
            session.execute(
                update(Session)
                .where(Session.id.in_(chunk), Session.status_id == from_id)
                .values(status_id=to_id, sequence=Session.sequence + 1, updated_at=now, updated_by=user_id)
                .execution_options(synchronize_session=False)
            )
        events.extend(status_changed_event(row, from_id, to_id) for row in moved)
    if events:
        publish_many(db, "session_status_changed", events)
    session.expire_all()
    advanced = len(events)
    return {"items": results, "advanced": advanced, "failed": len(results) - advanced}
