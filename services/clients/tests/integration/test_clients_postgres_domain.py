"""The parts of the domain whose SQL differs between dialects, run on PostgreSQL: the
"C"-collated prefix scans of search, keyset pagination with row values, the JSON text
match behind phone-label usage, RETURNING in numbering, and duplicate detection."""

import pytest
from sqlalchemy.orm import sessionmaker

from clients import family, lookups, numbering, records, search
from proofsheet_shared import testing
from proofsheet_shared.db import create_db_engine
from proofsheet_shared.errors import Conflict


@pytest.fixture
def session(pg_url):
    engine = create_db_engine(pg_url, pool_size=2)
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    yield session
    session.close()
    engine.dispose()


@pytest.fixture
def db(session):
    return testing.FakeDatabase(session, source="clients")


def ids(session, today, **args):
    return [c["id"] for c in search.search_clients(session, args, today)["items"]]


def test_search_on_postgres(db, session, today):
    mary = records.create_client(
        db,
        {
            "first_name": "Mary Ann",
            "last_name": "McDonald",
            "emails": "Mary@Example.com",
            "phones": [{"label": "Mobile", "number": "(555) 123-4567"}],
        },
        1,
        today,
    )
    joe = records.create_client(
        db, {"first_name": "Zoë", "last_name": "Ångström", "client_number": "VIP-7"}, 1, today
    )
    family.add_family_member(
        db, joe["id"], {"first_name": "Ida", "last_name": "Ek", "secondary_contact": True}
    )
    cases = {
        "mar": [mary["id"]],
        "mary ann mcd": [mary["id"]],
        "mcdonald mary": [mary["id"]],
        "123-45": [mary["id"]],
        "(555) 1": [mary["id"]],
        "mary@example": [mary["id"]],
        "angstrom": [joe["id"]],
        "ZOE": [joe["id"]],
        "vip-7": [joe["id"]],
        "ida ek": [joe["id"]],
        "1000": [mary["id"]],
        "zz": [],
        "~": [],
    }
    for q, expected in cases.items():
        assert ids(session, today, q=q) == expected, q


def test_keyset_pagination_on_postgres(db, session, today):
    created = [
        records.create_client(
            db, {"first_name": ["Ann", "bob", None][i % 3], "last_name": ["Lee", "kim"][i % 2]}, 1, today
        )["id"]
        for i in range(17)
    ]
    everything = ids(session, today, limit=500)
    assert sorted(everything) == sorted(created)
    seen, cursor = [], None
    while True:
        page = search.search_clients(session, {"limit": 4, "cursor": cursor}, today)
        seen += [c["id"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == everything


def test_numbering_and_duplicates_on_postgres(db, session, today):
    numbering.update_settings(session, {"client_number_prefix": "P", "next_client_number": 10})
    records.create_client(db, {"last_name": "Hand", "client_number": "P11"}, 1, today)
    first = records.create_client(
        db, {"first_name": "Jane", "last_name": "Roe", "phones": [{"number": "555 111 2222"}]}, 1, today
    )
    second = records.create_client(
        db, {"first_name": "Jane", "last_name": "Roe", "phones": [{"number": "5551112222"}]}, 1, today
    )
    assert (first["client_number"], second["client_number"]) == ("P10", "P12")
    assert [d["id"] for d in second["possible_duplicates"]] == [first["id"]]
    with pytest.raises(Conflict):
        records.create_client(db, {"last_name": "Again", "client_number": "P10"}, 1, today)


def test_phone_label_usage_and_rename_on_postgres(db, session, today):
    client = records.create_client(
        db, {"last_name": "Doe", "phones": [{"label": "Work", "number": "555 1234"}]}, 1, today
    )
    work = next(r["id"] for r in lookups.list_lookups(session, "phone-labels") if r["name"] == "Work")
    with pytest.raises(Conflict):
        lookups.delete_lookup(session, "phone-labels", work)
    lookups.update_lookup(session, "phone-labels", work, {"name": "Office"})
    session.expire_all()
    assert records.get_client(session, client["id"], today)["phones"] == [
        {"label": "Office", "number": "555 1234"}
    ]
