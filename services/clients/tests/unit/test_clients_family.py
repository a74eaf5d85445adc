"""Family members and the secondary contact (clients.family)."""

import pytest

from clients import family, numbering, records, search
from proofsheet_shared.errors import NotFound, ValidationError


@pytest.fixture
def client(db, today):
    return records.create_client(db, {"first_name": "Mary", "last_name": "McDonald"}, 1, today)


def members(session, client_id):
    return family.list_family_members(session, client_id)["items"]


def test_add_list_update_delete(db, session, client):
    member = family.add_family_member(
        db,
        client["id"],
        {
            "first_name": "tom",
            "last_name": "mcDonald",
            "relationship": "child",
            "birthday": "2019-04-01",
            "phones": [{"label": "mobile", "number": "555 222 3333"}],
            "email": "Tom@Example.com",
        },
    )
    assert member == {
        "id": member["id"],
        "client_id": client["id"],
        "first_name": "Tom",
        "last_name": "McDonald",
        "relationship": "Child",
        "birthday": "2019-04-01",
        "phones": [{"label": "Mobile", "number": "555 222 3333"}],
        "email": "Tom@example.com",
        "secondary_contact": False,
    }
    assert members(session, client["id"]) == [member]
    updated = family.update_family_member(
        db, client["id"], member["id"], {"relationship": None, "first_name": "thomas"}
    )
    assert (updated["relationship"], updated["first_name"], updated["last_name"]) == (
        None,
        "Thomas",
        "McDonald",
    )
    assert family.delete_family_member(db, client["id"], member["id"]) == {"deleted": member["id"]}
    assert members(session, client["id"]) == []


def test_names_can_be_kept_as_typed(db, session, client):
    member = family.add_family_member(db, client["id"], {"first_name": "deShawn", "auto_capitalize": False})
    assert member["first_name"] == "deShawn"
    numbering.update_settings(session, {"auto_capitalize": False})
    assert family.add_family_member(db, client["id"], {"first_name": "al"})["first_name"] == "al"


def test_validation(db, client):
    with pytest.raises(ValidationError) as err:
        family.add_family_member(db, client["id"], {"relationship": "Spouse"})
    assert "first_name" in err.value.fields
    with pytest.raises(ValidationError) as err:
        family.add_family_member(db, client["id"], {"first_name": "A", "relationship": "Cousin"})
    assert list(err.value.fields) == ["relationship"]
    with pytest.raises(ValidationError) as err:
        family.add_family_member(db, client["id"], {"first_name": "A", "email": "nope"})
    assert list(err.value.fields) == ["email"]
    with pytest.raises(ValidationError) as err:
        family.add_family_member(
            db, client["id"], {"first_name": "A", "phones": [{"label": "Fax", "number": "5551212"}]}
        )
    assert list(err.value.fields) == ["phones.0.label"]


def test_unknown_client_or_member(db, session, client, today):
    with pytest.raises(NotFound):
        family.add_family_member(db, 999, {"first_name": "A"})
    with pytest.raises(NotFound):
        family.list_family_members(session, 999)
    other = records.create_client(db, {"last_name": "Other"}, 1, today)
    member = family.add_family_member(db, other["id"], {"first_name": "A"})
    with pytest.raises(NotFound) as err:
        family.update_family_member(db, client["id"], member["id"], {"first_name": "B"})
    assert list(err.value.fields) == ["id"]
    with pytest.raises(NotFound):
        family.delete_family_member(db, client["id"], member["id"])


def test_the_secondary_contact_shows_on_the_client_and_is_searchable(db, session, client, today):
    db.clear_events()
    member = family.add_family_member(
        db,
        client["id"],
        {"first_name": "john", "last_name": "smith", "relationship": "Spouse", "secondary_contact": True},
    )
    assert records.get_client(session, client["id"], today)["secondary_contact"] == {
        "family_member_id": member["id"],
        "first_name": "John",
        "last_name": "Smith",
    }
    assert [c["id"] for c in search.search_clients(session, {"q": "john smi"}, today)["items"]] == [
        client["id"]
    ]
    assert db.events_of("client_updated") == [{"client_id": client["id"], "changed": ["secondary_contact"]}]


def test_at_most_one_secondary_contact(db, session, client, today):
    first = family.add_family_member(db, client["id"], {"first_name": "John", "secondary_contact": True})
    second = family.add_family_member(db, client["id"], {"first_name": "Jack", "secondary_contact": True})
    flags = {m["id"]: m["secondary_contact"] for m in members(session, client["id"])}
    assert flags == {first["id"]: False, second["id"]: True}
    assert (
        records.get_client(session, client["id"], today)["secondary_contact"]["family_member_id"]
        == second["id"]
    )
    assert [c["id"] for c in search.search_clients(session, {"q": "jack"}, today)["items"]] == [client["id"]]
    assert search.search_clients(session, {"q": "john"}, today)["items"] == []

    # choosing the first again, by update, moves the flag back
    family.update_family_member(db, client["id"], first["id"], {"secondary_contact": True})
    flags = {m["id"]: m["secondary_contact"] for m in members(session, client["id"])}
    assert flags == {first["id"]: True, second["id"]: False}
    assert records.get_client(session, client["id"], today)["secondary_contact"]["first_name"] == "John"


def test_renaming_the_secondary_contact_updates_the_client(db, session, client, today):
    member = family.add_family_member(db, client["id"], {"first_name": "John", "secondary_contact": True})
    family.update_family_member(db, client["id"], member["id"], {"first_name": "Johnny"})
    assert records.get_client(session, client["id"], today)["secondary_contact"]["first_name"] == "Johnny"
    assert [c["id"] for c in search.search_clients(session, {"q": "johnny"}, today)["items"]] == [
        client["id"]
    ]


def test_unsetting_or_deleting_the_secondary_contact_clears_it(db, session, client, today):
    member = family.add_family_member(db, client["id"], {"first_name": "John", "secondary_contact": True})
    family.update_family_member(db, client["id"], member["id"], {"secondary_contact": False})
    assert records.get_client(session, client["id"], today)["secondary_contact"] is None
    assert search.search_clients(session, {"q": "john"}, today)["items"] == []

    family.update_family_member(db, client["id"], member["id"], {"secondary_contact": True})
    family.delete_family_member(db, client["id"], member["id"])
    assert records.get_client(session, client["id"], today)["secondary_contact"] is None
    assert search.search_clients(session, {"q": "john"}, today)["items"] == []


def test_a_client_update_keeps_the_secondary_contact_searchable(db, session, client, today):
    family.add_family_member(db, client["id"], {"first_name": "Zelda", "secondary_contact": True})
    records.update_client(db, client["id"], {"first_name": "Marie"}, 1, today)
    assert [c["id"] for c in search.search_clients(session, {"q": "zelda"}, today)["items"]] == [client["id"]]
