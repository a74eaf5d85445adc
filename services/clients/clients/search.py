"""The clients hub: search by name, number, phone or email, filter, and page with a cursor."""
from sqlalchemy import bindparam, select, tuple_

from proofsheet_shared.contracts.clients import ClientSearchArgs
from proofsheet_shared.schemas import decode_cursor, encode_cursor, load

from .models import Client, SearchTerm, client_group_members
from .serialize import client_to_dict
from .text import digits, key, looks_like_phone, prefix_range

FILTERS = ("status_id", "organization_id", "lead_source_id", "group_id")
CLIENT_COLUMNS = tuple(Client.__table__.c)


def _term(q):
    return digits(q) if looks_like_phone(q) else key(q)


def _page_statement(with_cursor):
    """A page of clients whose terms start with ``:low`` (up to ``:high``), as one statement.

    Matches are collected from the covering terms index first (a materialised CTE: at most a
    few thousand entries for any realistic prefix) and only the page is joined to
    ``clients``; left to itself, PostgreSQL may instead walk the name index and probe every
    client, which costs seconds for a common prefix such as "smi". Built once, executed
    with bind parameters.
    """
    matches = (select(SearchTerm.client_id, SearchTerm.last_key, SearchTerm.first_key)
               .where(SearchTerm.term >= bindparam("low"), SearchTerm.term < bindparam("high"))
               .distinct().cte("matches").prefix_with("MATERIALIZED"))
    sort = (matches.c.last_key, matches.c.first_key, matches.c.client_id)
    page = select(matches)
    if with_cursor:
        page = page.where(tuple_(*sort) > tuple_(bindparam("after_last"), bindparam("after_first"),
                                                 bindparam("after_id")))
    page = page.order_by(*sort).limit(bindparam("limit")).subquery("page")
    return (select(*CLIENT_COLUMNS).join(page, page.c.client_id == Client.id)
            .where(Client.deleted_at.is_(None))
            .order_by(page.c.last_key, page.c.first_key, page.c.client_id))


_PAGE = {False: _page_statement(False), True: _page_statement(True)}


def _search_by_term(session, term, after, limit):
    low, high = prefix_range(term)
    params = {"low": low, "high": high, "limit": limit + 1}
    if after is not None:
        params.update(after_last=after[0], after_first=after[1], after_id=after[2])
    return session.execute(_PAGE[after is not None], params).all()


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
