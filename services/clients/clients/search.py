"""The clients hub: search by name, number, phone or email, filter, and page with a cursor."""
from sqlalchemy import select, tuple_

from proofsheet_shared.contracts.clients import ClientSearchArgs
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load

from .models import Client, SearchTerm, client_group_members
from .serialize import client_to_dict
from .text import digits, key, looks_like_phone, prefix_range

FILTERS = ("status_id", "organization_id", "lead_source_id", "group_id")
CLIENT_COLUMNS = tuple(Client.__table__.c)


def _term(q):
    return digits(q) if looks_like_phone(q) else key(q)


def _page_of_matches(term, after, limit):
    """The next ``limit`` matching (client_id, last_key, first_key), from the terms index alone.

    Matches are collected first (a materialised CTE: at most a few thousand index entries
    for any realistic prefix) and only the page is joined to ``clients``; left to itself,
    PostgreSQL may instead walk the name index and probe every client, which costs seconds
    for a common prefix such as "smi".
    """
    low, high = prefix_range(term)
    matches = (select(SearchTerm.client_id, SearchTerm.last_key, SearchTerm.first_key)
               .where(SearchTerm.term >= low, SearchTerm.term < high)
               .distinct().cte("matches").prefix_with("MATERIALIZED"))
    sort = (matches.c.last_key, matches.c.first_key, matches.c.client_id)
    page = select(matches)
    if after is not None:
        page = page.where(tuple_(*sort) > tuple_(*after))
    return page.order_by(*sort).limit(limit).subquery("page")


def _search_by_term(session, term, after, limit):
    page = _page_of_matches(term, after, limit + 1)
    return session.execute(
        select(*CLIENT_COLUMNS).join(page, page.c.client_id == Client.id)
        .where(Client.deleted_at.is_(None))
        .order_by(page.c.last_key, page.c.first_key, page.c.client_id)).all()


def _search_filtered(session, args, term, after, limit):
    stmt = select(*CLIENT_COLUMNS).where(Client.deleted_at.is_(None))
    if term:
        low, high = prefix_range(term)
        matches = (select(SearchTerm.client_id).where(SearchTerm.term >= low, SearchTerm.term < high)
                   .distinct().cte("matches").prefix_with("MATERIALIZED"))
        stmt = stmt.join(matches, matches.c.client_id == Client.id)
    for field in ("status_id", "organization_id", "lead_source_id"):
        if args.get(field) is not None:
            stmt = stmt.where(getattr(Client, field) == args[field])
    if args.get("group_id") is not None:
        stmt = stmt.where(Client.id.in_(select(client_group_members.c.client_id)
                                        .where(client_group_members.c.group_id == args["group_id"])))
    sort = (Client.last_key, Client.first_key, Client.id)
    if after is not None:
        stmt = stmt.where(tuple_(*sort) > tuple_(*after))
    return session.execute(stmt.order_by(*sort).limit(limit + 1)).all()


def search_clients(session, args, today):
    """Live clients ordered by last name, first name, id; ``next_cursor`` resumes after the page."""
    args = load(ClientSearchArgs(), args)
    term = _term(args["q"]) if args.get("q") else None
    after = decode_cursor(args.get("cursor"), 3)
    limit = args["limit"]
    if term and all(args.get(f) is None for f in FILTERS):
        rows = _search_by_term(session, term, after, limit)
    else:
        rows = _search_filtered(session, args, term, after, limit)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([last.last_key, last.first_key, last.id])
    return {"items": [client_to_dict(row, today) for row in rows], "next_cursor": next_cursor}
