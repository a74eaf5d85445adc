"""Idempotency keys: a keyed request records once; the same key replays the first response.

The key is claimed by inserting its row (scope, key, hash of the request body) first thing in
the request's transaction (``INSERT ... ON CONFLICT DO NOTHING``: no savepoint, which the
SQLite driver would turn into a commit of its own), and the response is stored in the same
row just before the commit, so the payments and the key commit together or not at all:

- the same key again after the commit: the stored response, nothing recorded;
- the same key with a different body (or from another user): Conflict (409);
- the same key while the first is still running (a client retry, or the broker redelivering
  the RPC to another worker or to the service restarted after a crash): PostgreSQL makes the
  second insert wait on the first's uncommitted row; it then inserts nothing and the second
  request returns the first's stored response, or claims the key itself if the first rolled
  back. (On SQLite one process holds the only connection: requests cannot interleave.)

Only successful requests are stored: a refused request writes nothing and may be retried.
Keys are kept ``IDEMPOTENCY_KEEP_DAYS`` (30) days; the service forgets older ones hourly.
The gateway sends a key of its own when the client sends none, so a redelivered RPC cannot
record twice either.
"""
import datetime as dt
import hashlib
import json

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite

from proofsheet_shared.errors import Conflict, ValidationError
from proofsheet_shared.types import utcnow

from .models import IdempotencyKey

KEY_MAX = 255


def request_hash(payload):
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check(row, digest, user_id):
    if row.request_hash != digest or row.user_id != user_id:
        raise Conflict("this Idempotency-Key was used for a different request",
                       {"Idempotency-Key": "already used for another request"})
    return row.response


def claim(session, scope, key, payload, user_id):
    """None if this request now holds the key (go ahead); the first response if it is a replay."""
    if key is None:
        return None
    if not isinstance(key, str) or not 0 < len(key) <= KEY_MAX:
        raise ValidationError("Idempotency-Key must be 1 to 255 characters",
                              {"Idempotency-Key": "1 to 255 characters"})
    digest = request_hash(payload)
    row = session.get(IdempotencyKey, (scope, key))
    if row is not None:
        return _check(row, digest, user_id)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    claimed = session.execute(
        insert(IdempotencyKey).values(scope=scope, key=key, request_hash=digest, user_id=user_id,
                                      response=None, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[IdempotencyKey.scope, IdempotencyKey.key])
        .returning(IdempotencyKey.scope)).first()
    if claimed is None:
        # another request with this key committed meanwhile (PostgreSQL made us wait for it)
        row = session.get(IdempotencyKey, (scope, key), populate_existing=True)
        return _check(row, digest, user_id)
    return None


def purge(session, keep_days, now=None):
    """Forget keys older than ``keep_days`` (a retry after that records again); how many."""
    cutoff = (now or utcnow()) - dt.timedelta(days=keep_days)
    return session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount


def remember(session, scope, key, response):
    if key is None:
        return
    session.execute(update(IdempotencyKey)
                    .where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
                    .values(response=response).execution_options(synchronize_session=False))
