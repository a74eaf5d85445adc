"""The clients hub: search, filters and cursor pagination (clients.search)."""

import pytest

from clients import lookups, records, search
from proofsheet_shared.errors import ValidationError


def create(db, today, **payload):
    return records.create_client(db, payload, 1, today)


def ids(session, today, **args):
    return [c["id"] for c in search.search_clients(session, args, today)["items"]]


@pytest.fixture
def people(db, today):
    return {
        "mary": create(
            db,
            today,
            first_name="Mary Ann",
            last_name="McDonald",
            emails="Mary.Ann@Example.com",
            phones=[{"label": "Mobile", "number": "(555) 123-4567"}],
        ),
        "marty": create(
            db, today, first_name="Marty", last_name="Smith", phones=[{"number": "+1 415 555 0000"}]
        ),
        "joe": create(
            db,
            today,
            first_name="Joe",
            last_name="Mártinez",
            client_number="VIP-7",
            emails=["joe@example.org"],
        ),
    }


def test_name_prefix_matches_first_or_last_name_or_any_word(session, today, people):
    assert set(ids(session, today, q="mar")) == {
        people["mary"]["id"],
        people["marty"]["id"],
        people["joe"]["id"],
    }
    assert ids(session, today, q="mcd") == [people["mary"]["id"]]
    assert ids(session, today, q="Ann") == [people["mary"]["id"]]
    assert ids(session, today, q="SMI") == [people["marty"]["id"]]


def test_accents_and_case_do_not_matter(session, today, people):
    assert ids(session, today, q="martinez") == [people["joe"]["id"]]
    assert ids(session, today, q="MÁRTÍNEZ") == [people["joe"]["id"]]


def test_full_name_either_way_round(session, today, people):
    assert ids(session, today, q="Mary Ann McDonald") == [people["mary"]["id"]]
    assert ids(session, today, q="mary ann mcd") == [people["mary"]["id"]]
    assert ids(session, today, q="mcdonald mary") == [people["mary"]["id"]]
    assert ids(session, today, q="  marty   smith ") == [people["marty"]["id"]]
    assert ids(session, today, q="mary smith") == []


def test_client_number(session, today, people):
    assert ids(session, today, q=people["mary"]["client_number"]) == [people["mary"]["id"]]
    assert ids(session, today, q="vip-7") == [people["joe"]["id"]]
    assert ids(session, today, q="VIP") == [people["joe"]["id"]]


def test_phone_fragments_with_or_without_punctuation(session, today, people):
    mary, marty = people["mary"]["id"], people["marty"]["id"]
    assert ids(session, today, q="555-123-4567") == [mary]
    assert ids(session, today, q="(555) 123") == [mary]
    assert ids(session, today, q="123-45") == [mary]
    assert ids(session, today, q="4567") == [mary]
    assert ids(session, today, q="415.555") == [marty]
    assert ids(session, today, q="+1 (415) 555-0000") == [marty]
    assert set(ids(session, today, q="555")) == {mary, marty}


def test_email(session, today, people):
    assert ids(session, today, q="mary.ann@example.com") == [people["mary"]["id"]]
    assert ids(session, today, q="JOE@EXAMPLE") == [people["joe"]["id"]]
    assert ids(session, today, q="joe@example.org") == [people["joe"]["id"]]


def test_no_match_and_blank_query(session, today, people):
    assert ids(session, today, q="zzz") == []
    assert len(ids(session, today, q="   ")) == 3
    assert len(ids(session, today)) == 3


def test_results_are_sorted_by_last_then_first_name(db, session, today):
    create(db, today, first_name="B", last_name="Zed")
    create(db, today, first_name="a", last_name="zed")
    create(db, today, first_name="C", last_name="Adams")
    names = [(c["last_name"], c["first_name"]) for c in search.search_clients(session, {}, today)["items"]]
    assert names == [("Adams", "C"), ("Zed", "A"), ("Zed", "B")]


def test_search_sees_renames_and_new_phones(db, session, today, people):
    client_id = people["joe"]["id"]
    records.update_client(
        db, client_id, {"last_name": "Jones", "phones": [{"number": "212 999 8888"}]}, 1, today
    )
    assert ids(session, today, q="jones") == [client_id]
    assert ids(session, today, q="martinez") == []
    assert ids(session, today, q="999-88") == [client_id]


def test_filters(db, session, today):
    status = lookups.create_lookup(session, "client-statuses", {"name": "VIP"})
    org = lookups.create_lookup(session, "organizations", {"name": "Lincoln High"})
    group = lookups.create_lookup(session, "client-groups", {"name": "Seniors"})
    source = lookups.list_lookups(session, "lead-sources")[0]
    a = create(db, today, last_name="Able", status_id=status["id"], group_ids=[group["id"]])
    b = create(
        db,
        today,
        last_name="Baker",
        organization_id=org["id"],
        lead_source_id=source["id"],
        group_ids=[group["id"]],
    )
    create(db, today, last_name="Charlie")
    assert ids(session, today, status_id=status["id"]) == [a["id"]]
    assert ids(session, today, organization_id=org["id"]) == [b["id"]]
    assert ids(session, today, lead_source_id=source["id"]) == [b["id"]]
    assert ids(session, today, group_id=group["id"]) == [a["id"], b["id"]]
    assert ids(session, today, group_id=group["id"], q="bak") == [b["id"]]
    records.update_client(db, a["id"], {"group_ids": []}, 1, today)
    assert ids(session, today, group_id=group["id"]) == [b["id"]]


def test_cursor_pages_are_complete_and_stable(db, session, today):
    # many clients sharing names, so the id is what breaks ties
    expected = []
    for i in range(23):
        expected.append(
            create(db, today, first_name=["Ann", "Bob", None][i % 3], last_name=["Lee", "Kim"][i % 2])["id"]
        )
    everything = ids(session, today, limit=500)
    assert sorted(everything) == sorted(expected)

    seen, cursor, pages = [], None, 0
    while True:
        page = search.search_clients(session, {"limit": 5, "cursor": cursor}, today)
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        if pages == 2:  # a client added before the cursor's position does not shift later pages
            create(db, today, first_name="Aaron", last_name="Aaa")
    assert pages == 5
    assert seen == everything  # same order, nothing twice, nothing missed


def test_the_last_full_page_has_no_cursor(db, session, today):
    for _ in range(4):
        create(db, today, last_name="Same")
    page = search.search_clients(session, {"limit": 4}, today)
    assert len(page["items"]) == 4 and page["next_cursor"] is None


def test_bad_cursor_and_limit_are_validation_errors(session, today):
    with pytest.raises(ValidationError) as err:
        search.search_clients(session, {"cursor": "not-a-cursor"}, today)
    assert list(err.value.fields) == ["cursor"]
    with pytest.raises(ValidationError) as err:
        search.search_clients(session, {"limit": 0}, today)
    assert list(err.value.fields) == ["limit"]


def test_deleted_clients_are_not_found(db, session, today, people):
    records.delete_client(db, people["mary"]["id"], 1, {})
    assert ids(session, today, q="mary") == []
    assert ids(session, today, q="555-123") == []
    assert people["mary"]["id"] not in ids(session, today)
