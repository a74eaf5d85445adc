"""The studio's lists and the migration's seed data (clients.lookups)."""

import pytest

from clients import family, lookups, numbering, records
from clients.lookups import LOOKUPS
from proofsheet_shared.errors import Conflict, NotFound, ValidationError


def names(session, kind):
    return [(r["name"], r["sort_order"]) for r in lookups.list_lookups(session, kind)]


def test_the_migration_seeds_the_lists_and_settings(session):
    assert names(session, "phone-labels") == [("Home", 10), ("Mobile", 20), ("Work", 30)]
    assert names(session, "relationships") == [
        ("Spouse", 10),
        ("Partner", 20),
        ("Child", 30),
        ("Parent", 40),
        ("Sibling", 50),
        ("Other", 60),
    ]
    assert names(session, "client-statuses") == [("Prospect", 10), ("Booked", 20), ("Client", 30)]
    assert names(session, "lead-sources") == [
        ("Referral", 10),
        ("Website", 20),
        ("Walk-in", 30),
        ("Social media", 40),
    ]
    assert names(session, "client-groups") == [] and names(session, "organizations") == []
    assert all(r["active"] for r in lookups.list_lookups(session, "lead-sources"))
    assert numbering.settings_to_dict(numbering.get_settings(session)) == {
        "client_number_prefix": "",
        "next_client_number": 1000,
        "auto_capitalize": True,
    }


@pytest.mark.parametrize("kind", sorted(LOOKUPS))
def test_crud(session, kind):
    created = lookups.create_lookup(session, kind, {"name": "  Something New "})
    assert created["name"] == "Something New" and created["active"] is True
    assert created["sort_order"] == max([0] + [s for _, s in names(session, kind)[:-1]]) + 10
    assert ("Something New", created["sort_order"]) in names(session, kind)
    updated = lookups.update_lookup(
        session, kind, created["id"], {"name": "Renamed", "sort_order": 1, "active": False}
    )
    assert updated == {"id": created["id"], "name": "Renamed", "sort_order": 1, "active": False}
    assert names(session, kind)[0] == ("Renamed", 1)
    assert lookups.delete_lookup(session, kind, created["id"]) == {"deleted": created["id"]}
    assert "Renamed" not in [n for n, _ in names(session, kind)]
    with pytest.raises(NotFound):
        lookups.delete_lookup(session, kind, created["id"])


def test_names_are_unique_ignoring_case(session):
    with pytest.raises(Conflict) as err:
        lookups.create_lookup(session, "phone-labels", {"name": "mobile"})
    assert list(err.value.fields) == ["name"]
    work = next(r for r in lookups.list_lookups(session, "phone-labels") if r["name"] == "Work")
    with pytest.raises(Conflict):
        lookups.update_lookup(session, "phone-labels", work["id"], {"name": "HOME"})
    assert lookups.update_lookup(session, "phone-labels", work["id"], {"name": "WORK"})["name"] == "WORK"


def test_validation_and_unknown_lists(session):
    with pytest.raises(ValidationError) as err:
        lookups.create_lookup(session, "lead-sources", {"name": " "})
    assert list(err.value.fields) == ["name"]
    with pytest.raises(ValidationError) as err:
        lookups.create_lookup(session, "lead-sources", {"name": "x" * 101, "sort_order": -1})
    assert set(err.value.fields) == {"name", "sort_order"}
    with pytest.raises(NotFound) as err:
        lookups.list_lookups(session, "colours")
    assert list(err.value.fields) == ["lookup"]
    with pytest.raises(NotFound):
        lookups.update_lookup(session, "lead-sources", 999, {"name": "x"})


def _id(session, kind, name):
    return next(r["id"] for r in lookups.list_lookups(session, kind) if r["name"] == name)


def test_delete_in_use_is_refused(db, session, today):
    group = lookups.create_lookup(session, "client-groups", {"name": "Seniors"})
    org = lookups.create_lookup(session, "organizations", {"name": "Lincoln High"})
    client = records.create_client(
        db,
        {
            "last_name": "Doe",
            "status_id": _id(session, "client-statuses", "Booked"),
            "lead_source_id": _id(session, "lead-sources", "Website"),
            "organization_id": org["id"],
            "group_ids": [group["id"]],
            "phones": [{"label": "Work", "number": "555 1234"}],
        },
        1,
        today,
    )
    family.add_family_member(db, client["id"], {"first_name": "Kid", "relationship": "Child"})
    in_use = [
        ("client-statuses", _id(session, "client-statuses", "Booked"), "clients"),
        ("lead-sources", _id(session, "lead-sources", "Website"), "clients"),
        ("organizations", org["id"], "clients"),
        ("client-groups", group["id"], "clients"),
        ("phone-labels", _id(session, "phone-labels", "Work"), "clients"),
        ("relationships", _id(session, "relationships", "Child"), "family members"),
    ]
    for kind, lookup_id, what in in_use:
        with pytest.raises(Conflict) as err:
            lookups.delete_lookup(session, kind, lookup_id)
        assert err.value.fields == {"id": f"in use by 1 {what}"}, kind
    # unused entries go
    lookups.delete_lookup(session, "client-statuses", _id(session, "client-statuses", "Prospect"))
    lookups.delete_lookup(session, "phone-labels", _id(session, "phone-labels", "Home"))
    # deactivating an entry in use is the way out
    assert (
        lookups.update_lookup(
            session, "client-statuses", _id(session, "client-statuses", "Booked"), {"active": False}
        )["active"]
        is False
    )


def test_renaming_a_phone_label_renames_it_on_clients(db, session, today):
    client = records.create_client(
        db,
        {
            "last_name": "Doe",
            "phones": [{"label": "Mobile", "number": "555 1234"}, {"label": "Home", "number": "555 9999"}],
        },
        1,
        today,
    )
    lookups.update_lookup(session, "phone-labels", _id(session, "phone-labels", "Mobile"), {"name": "Cell"})
    session.expire_all()
    assert records.get_client(session, client["id"], today)["phones"] == [
        {"label": "Cell", "number": "555 1234"},
        {"label": "Home", "number": "555 9999"},
    ]
    with pytest.raises(ValidationError):
        records.update_client(
            db, client["id"], {"phones": [{"label": "Mobile", "number": "555 1234"}]}, 1, today
        )
