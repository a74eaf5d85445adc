"""Creating, changing, reading and deleting clients (clients.records, clients.numbering)."""

import datetime as dt

import pytest

from clients import numbering, records
from proofsheet_shared.errors import Conflict, NotFound, ValidationError


def create(db, today, **payload):
    payload.setdefault("last_name", "Doe")
    return records.create_client(db, payload, 1, today)


# --- names -------------------------------------------------------------------------------


def test_names_are_capitalised_keeping_inner_capitals(db, today):
    client = create(db, today, first_name="mary ann", last_name="mcDonald", salutation="mrs.")
    assert (client["first_name"], client["last_name"], client["salutation"]) == (
        "Mary Ann",
        "McDonald",
        "Mrs.",
    )


def test_hyphenated_names_are_capitalised(db, today):
    assert create(db, today, first_name="anne-marie")["first_name"] == "Anne-Marie"


def test_auto_capitalize_false_keeps_names_as_typed(db, today):
    client = create(db, today, first_name="mary ann", last_name="mcDonald", auto_capitalize=False)
    assert (client["first_name"], client["last_name"]) == ("mary ann", "mcDonald")


def test_studio_setting_turns_capitalisation_off(db, session, today):
    numbering.update_settings(session, {"auto_capitalize": False})
    client = create(db, today, first_name="mary ann", last_name="mcDonald")
    assert (client["first_name"], client["last_name"]) == ("mary ann", "mcDonald")
    # asking for it per request does not override the studio's "off"
    client = create(db, today, first_name="jo", auto_capitalize=True)
    assert client["first_name"] == "jo"


def test_update_capitalises_and_can_opt_out(db, today):
    client = create(db, today, first_name="Mary")
    updated = records.update_client(db, client["id"], {"last_name": "van der berg"}, 1, today)
    assert updated["last_name"] == "Van Der Berg"
    updated = records.update_client(
        db, client["id"], {"last_name": "van der Berg", "auto_capitalize": False}, 1, today
    )
    assert updated["last_name"] == "van der Berg"


def test_a_client_needs_a_name(db, today):
    with pytest.raises(ValidationError) as err:
        records.create_client(db, {"first_name": "  ", "emails": ["a@example.com"]}, 1, today)
    assert "last_name" in err.value.fields


# --- emails and phones -------------------------------------------------------------------


def test_emails_as_a_list(db, today):
    client = create(db, today, emails=["one@example.com", " two@example.com "])
    assert client["emails"] == ["one@example.com", "two@example.com"]


def test_emails_as_a_semicolon_separated_string(db, today):
    client = create(db, today, emails="one@example.com; two@example.com;;ONE@example.com")
    assert client["emails"] == ["one@example.com", "two@example.com"]


def test_an_invalid_email_is_named_by_its_position(db, today):
    with pytest.raises(ValidationError) as err:
        create(db, today, emails=["good@example.com", "not-an-email"])
    assert list(err.value.fields) == ["emails.1"]
    assert "not-an-email" in err.value.fields["emails.1"]
    with pytest.raises(ValidationError) as err:
        create(db, today, emails="good@example.com;bad@")
    assert list(err.value.fields) == ["emails.1"]


def test_phone_labels_come_from_the_list(db, today):
    client = create(
        db,
        today,
        phones=[{"label": "mobile", "number": "555-123-4567"}, {"label": None, "number": "555 000 1111"}],
    )
    assert client["phones"] == [
        {"label": "Mobile", "number": "555-123-4567"},
        {"label": None, "number": "555 000 1111"},
    ]


def test_an_unknown_phone_label_is_refused(db, today):
    with pytest.raises(ValidationError) as err:
        create(
            db,
            today,
            phones=[{"label": "Home", "number": "5551234"}, {"label": "Pager", "number": "5551234"}],
        )
    assert list(err.value.fields) == ["phones.1.label"]


def test_a_phone_number_needs_digits(db, today):
    with pytest.raises(ValidationError) as err:
        create(db, today, phones=[{"number": "call me"}])
    assert "phones.0.number" in err.value.fields


# --- numbering ---------------------------------------------------------------------------


def test_numbers_are_the_prefix_plus_the_next_number(db, session, today):
    assert [create(db, today)["client_number"] for _ in range(2)] == ["1000", "1001"]
    numbering.update_settings(session, {"client_number_prefix": " P- ", "next_client_number": 5000})
    assert numbering.settings_to_dict(numbering.get_settings(session)) == {
        "client_number_prefix": "P-",
        "next_client_number": 5000,
        "auto_capitalize": True,
    }
    assert create(db, today)["client_number"] == "P-5000"
    assert numbering.get_settings(session).next_client_number == 5001


def test_numbers_entered_by_hand_are_skipped(db, today):
    assert create(db, today, client_number="1001")["client_number"] == "1001"
    assert create(db, today)["client_number"] == "1000"
    assert create(db, today)["client_number"] == "1002"


def test_a_manual_number_must_be_unique(db, today):
    create(db, today, client_number="A-1")
    with pytest.raises(Conflict) as err:
        create(db, today, client_number="A-1")
    assert list(err.value.fields) == ["client_number"]


def test_changing_the_number_to_one_in_use_is_a_conflict(db, today):
    first = create(db, today)
    second = create(db, today)
    with pytest.raises(Conflict) as err:
        records.update_client(db, second["id"], {"client_number": first["client_number"]}, 1, today)
    assert list(err.value.fields) == ["client_number"]
    with pytest.raises(ValidationError) as err:
        records.update_client(db, second["id"], {"client_number": ""}, 1, today)
    assert list(err.value.fields) == ["client_number"]
    updated = records.update_client(db, second["id"], {"client_number": "X-9"}, 1, today)
    assert updated["client_number"] == "X-9"


def test_the_unique_constraint_backs_the_check(db, session, today, monkeypatch):
    """Two creates racing past the check: the database refuses the second, as a Conflict."""
    create(db, today, client_number="R-1")
    monkeypatch.setattr(records, "number_taken", lambda *a, **k: False)
    with pytest.raises(Conflict) as err:
        create(db, today, client_number="R-1")
    assert list(err.value.fields) == ["client_number"]


def test_settings_are_validated(session):
    with pytest.raises(ValidationError) as err:
        numbering.update_settings(session, {"next_client_number": 0, "client_number_prefix": "X" * 11})
    assert set(err.value.fields) == {"next_client_number", "client_number_prefix"}


# --- references --------------------------------------------------------------------------


def test_a_client_cannot_be_referred_by_itself(db, today):
    client = create(db, today)
    with pytest.raises(ValidationError) as err:
        records.update_client(db, client["id"], {"referred_by_id": client["id"]}, 1, today)
    assert list(err.value.fields) == ["referred_by_id"]


def test_referred_by_another_client(db, today):
    referrer = create(db, today, last_name="Ref")
    client = create(db, today, referred_by_id=referrer["id"])
    assert client["referred_by_id"] == referrer["id"]
    with pytest.raises(NotFound) as err:
        create(db, today, referred_by_id=9999)
    assert list(err.value.fields) == ["referred_by_id"]


@pytest.mark.parametrize("field", ["status_id", "lead_source_id", "organization_id"])
def test_unknown_list_ids_name_the_field(db, today, field):
    with pytest.raises(NotFound) as err:
        create(db, today, **{field: 999})
    assert list(err.value.fields) == [field]


def test_unknown_group_ids_name_the_position(db, session, today):
    from clients import lookups

    group = lookups.create_lookup(session, "client-groups", {"name": "Seniors 2026"})
    with pytest.raises(NotFound) as err:
        create(db, today, group_ids=[group["id"], 999])
    assert list(err.value.fields) == ["group_ids.1"]
    assert create(db, today, group_ids=[group["id"], group["id"]])["group_ids"] == [group["id"]]


def test_seeded_lists_can_be_used(db, session, today):
    from clients import lookups

    status = next(s for s in lookups.list_lookups(session, "client-statuses") if s["name"] == "Prospect")
    source = next(s for s in lookups.list_lookups(session, "lead-sources") if s["name"] == "Referral")
    client = create(db, today, status_id=status["id"], lead_source_id=source["id"])
    assert (client["status_id"], client["lead_source_id"]) == (status["id"], source["id"])


# --- reading, activity, deletion ---------------------------------------------------------


def test_get_and_get_many(db, session, today):
    a, b = create(db, today, last_name="A"), create(db, today, last_name="B")
    assert records.get_client(session, a["id"], today)["last_name"] == "A"
    assert {c["id"] for c in records.get_clients(session, [a["id"], b["id"], 999], today)} == {
        a["id"],
        b["id"],
    }
    with pytest.raises(NotFound) as err:
        records.get_client(session, 999, today)
    assert list(err.value.fields) == ["id"]


def test_inactive_date_makes_the_client_inactive(db, today):
    future = create(db, today, inactive_date=(today + dt.timedelta(days=1)).isoformat())
    assert future["active"] is True
    past = create(db, today, inactive_date=today.isoformat())
    assert past["active"] is False
    assert create(db, today)["active"] is True


def test_all_fields_round_trip(db, session, today):
    payload = {
        "salutation": "Dr.",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345"},
        "status_due_date": "2026-07-01",
        "birthday": "1990-12-10",
        "anniversary": "2015-05-05",
        "contract_date": "2026-01-02",
        "custom_dates": ["2026-02-03"],
        "custom_texts": ["a", "b"],
        "call_warning": "Only after 5pm",
        "saturday_only": True,
        "allow_marketing": False,
        "notes": "Likes black and white.",
    }
    client = records.create_client(db, payload, 7, today)
    again = records.get_client(session, client["id"], today)
    assert again == {k: v for k, v in client.items() if k != "possible_duplicates"}
    assert again["address"]["city"] == "Springfield" and again["address"]["line2"] is None
    assert again["custom_dates"] == ["2026-02-03", None]
    assert again["custom_texts"] == ["a", "b", None, None]
    assert (again["saturday_only"], again["allow_marketing"]) == (True, False)


def test_soft_delete_hides_the_client(db, session, today):
    client = create(db, today, last_name="Gone")
    assert records.delete_client(db, client["id"], 1, {}) == {"deleted": client["id"]}
    with pytest.raises(NotFound):
        records.get_client(session, client["id"], today)
    with pytest.raises(NotFound):
        records.update_client(db, client["id"], {"notes": "x"}, 1, today)
    with pytest.raises(NotFound):
        records.delete_client(db, client["id"], 1, {})
    assert records.get_clients(session, [client["id"]], today) == []
    assert db.events_of("client_deleted") == [{"client_id": client["id"]}]


def test_delete_refused_while_other_services_hold_references(db, session, today):
    client = create(db, today)
    with pytest.raises(Conflict) as err:
        records.delete_client(
            db, client["id"], 1, {"invoicing": {"invoices": 2, "credit_memos": 0}, "scheduling": {}}
        )
    assert err.value.fields == {"invoicing.invoices": 2}
    assert "2 invoices" in err.value.message
    assert records.get_client(session, client["id"], today)["id"] == client["id"]


def test_possible_duplicates_share_a_name_and_a_phone_or_email(db, today):
    first = create(db, today, first_name="Jane", last_name="Roe", phones=[{"number": "(555) 111-2222"}])
    second = create(db, today, first_name="jane", last_name="ROE", phones=[{"number": "555.111.2222"}])
    assert [d["id"] for d in second["possible_duplicates"]] == [first["id"]]
    by_email = create(db, today, first_name="Jane", last_name="Roe", emails="x@y.com")
    assert by_email["possible_duplicates"] == []
    third = create(db, today, first_name="Jane", last_name="Roe", emails="X@y.com")
    assert [d["id"] for d in third["possible_duplicates"]] == [by_email["id"]]
    other_name = create(db, today, first_name="John", last_name="Roe", phones=[{"number": "5551112222"}])
    assert other_name["possible_duplicates"] == []


# --- events ------------------------------------------------------------------------------


def test_create_records_client_created(db, today):
    client = create(db, today, first_name="Eve")
    assert db.event_types() == ["client_created"]
    assert db.events_of("client_created")[0]["client"]["id"] == client["id"]
    assert "possible_duplicates" not in db.events_of("client_created")[0]["client"]


def test_update_records_what_changed(db, session, today):
    client = create(db, today, first_name="Eve")
    db.clear_events()
    records.update_client(db, client["id"], {"notes": "hello", "first_name": "eva"}, 1, today)
    assert db.event_types() == ["client_updated"]
    assert db.events_of("client_updated")[0]["changed"] == ["first_name", "notes"]


def test_an_update_that_changes_nothing_records_nothing(db, today):
    client = create(db, today, first_name="Eve", notes="same")
    db.clear_events()
    records.update_client(db, client["id"], {"notes": "same"}, 1, today)
    records.update_client(db, client["id"], {}, 1, today)
    assert db.events == []


def test_a_status_change_records_client_status_changed(db, session, today):
    from clients import lookups

    statuses = {s["name"]: s["id"] for s in lookups.list_lookups(session, "client-statuses")}
    client = create(db, today, status_id=statuses["Prospect"])
    db.clear_events()
    records.update_client(db, client["id"], {"status_id": statuses["Booked"]}, 1, today)
    assert db.event_types() == ["client_updated", "client_status_changed"]
    assert db.events_of("client_status_changed") == [
        {
            "client_id": client["id"],
            "from_status_id": statuses["Prospect"],
            "to_status_id": statuses["Booked"],
        }
    ]


def test_a_number_change_is_reported_as_changed(db, today):
    client = create(db, today)
    db.clear_events()
    records.update_client(db, client["id"], {"client_number": "N-1"}, 1, today)
    assert db.events_of("client_updated")[0]["changed"] == ["client_number"]
