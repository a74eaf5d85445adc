"""The clients hub: search by name, number, phone or email, filter, and page with a cursor."""
from sqlalchemy import select, tuple_

from proofsheet_shared.contracts.clients import ClientSearchArgs
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load

from .models import Client, SearchTerm, client_group_members
from .serialize import client_to_dict
from .text import digits, key, looks_like_phone, prefix_range


def _matching_ids(q):
    """The ids whose terms start with ``q``, as a materialised CTE.

    Materialising makes the database collect the (few thousand at most) matches from the
    terms index first and sort only those; left to itself, PostgreSQL may walk the whole
    name index in order and probe the terms for every client, which for a common prefix
    such as "smi" costs seconds instead of milliseconds.
    """
    term = digits(q) if looks_like_phone(q) else key(q)
    if not term:
        return None
    low, high = prefix_range(term)
    return (select(SearchTerm.client_id).where(SearchTerm.term >= low, SearchTerm.term < high)
            .distinct().cte("matches").prefix_with("MATERIALIZED"))


def search_clients(session, args, today):
    """Live clients ordered by last name, first name, id; ``next_cursor`` resumes after the page."""
    args = load(ClientSearchArgs(), args)
    stmt = select(Client).where(Client.deleted_at.is_(None))
    if args.get("q"):
        matching = _matching_ids(args["q"])
        if matching is not None:
            stmt = stmt.join(matching, matching.c.client_id == Client.id)
    for field in ("status_id", "organization_id", "lead_source_id"):
        if args.get(field) is not None:
            stmt = stmt.where(getattr(Client, field) == args[field])
    if args.get("group_id") is not None:
        stmt = stmt.where(Client.id.in_(select(client_group_members.c.client_id)
                                        .where(client_group_members.c.group_id == args["group_id"])))
    after = decode_cursor(args.get("cursor"), 3)
    sort = (Client.last_key, Client.first_key, Client.id)
    if after is not None:
        stmt = stmt.where(tuple_(*sort) > tuple_(*after))
    limit = args["limit"]
    rows = list(session.scalars(stmt.order_by(*sort).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([last.last_key, last.first_key, last.id])
    return {"items": [client_to_dict(c, today) for c in rows], "next_cursor": next_cursor}
