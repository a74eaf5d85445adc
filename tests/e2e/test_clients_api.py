"""The clients API end to end: create, read, update, search, family, lookups, numbering,
and every bad input answered with the documented error and nothing stored."""
import pytest

from stack import assert_error

pytestmark = pytest.mark.e2e


def total_matching(client, q):
    return len(client.get("/api/v1/clients", params={"q": q[:50], "limit": 500}).json()["items"])


def create(admin, **fields):
    response = admin.post("/api/v1/clients", json=fields)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_read_update_search(admin):
    client = create(admin, first_name="mary ann", last_name="mcDonald", salutation="mrs.",
                    emails="mary@example.com; m.mcdonald@example.org",
                    phones=[{"label": "mobile", "number": "(555) 201-7788"}],
                    address={"line1": "1 Main St", "city": "Springfield", "country": "US"},
                    custom_texts=["prefers mornings"], birthday="1990-04-02")
    assert (client["first_name"], client["last_name"], client["salutation"]) == ("Mary Ann", "McDonald", "Mrs.")
    assert client["emails"] == ["mary@example.com", "m.mcdonald@example.org"]
    assert client["phones"] == [{"label": "Mobile", "number": "(555) 201-7788"}]
    assert client["client_number"] and isinstance(client["client_number"], str)
    assert client["custom_texts"] == ["prefers mornings", None, None, None]
    assert client["custom_dates"] == [None, None] and client["active"] is True

    fetched = admin.get(f"/api/v1/clients/{client['id']}")
    assert fetched.status_code == 200 and fetched.json()["birthday"] == "1990-04-02"

    patched = admin.patch(f"/api/v1/clients/{client['id']}", json={"notes": "VIP", "saturday_only": True})
    assert patched.status_code == 200
    assert patched.json()["notes"] == "VIP" and patched.json()["saturday_only"] is True

    for q in ("mcdon", "Mary Ann McDonald", client["client_number"], "201-77", "mary@example.com"):
        ids = [c["id"] for c in admin.get("/api/v1/clients", params={"q": q}).json()["items"]]
        assert client["id"] in ids, q


def test_auto_capitalize_opt_out_keeps_names(admin):
    client = create(admin, first_name="deShawn", last_name="van der berg", auto_capitalize=False)
    assert (client["first_name"], client["last_name"]) == ("deShawn", "van der berg")


def test_numbering_setting_and_manual_numbers(admin):
    settings = admin.patch("/api/v1/settings/clients", json={"client_number_prefix": "PS-",
                                                             "next_client_number": 5000})
    assert settings.status_code == 200, settings.text
    first = create(admin, last_name="Numbered")
    second = create(admin, last_name="Numbered")
    assert (first["client_number"], second["client_number"]) == ("PS-5000", "PS-5001")
    manual = create(admin, last_name="Manual", client_number="VIP-1")
    assert manual["client_number"] == "VIP-1"
    before = total_matching(admin, "Duplicate")
    assert_error(admin.post("/api/v1/clients", json={"last_name": "Duplicate", "client_number": "VIP-1"}),
                 409, "conflict", "client_number")
    assert total_matching(admin, "Duplicate") == before
    admin.patch("/api/v1/settings/clients", json={"client_number_prefix": "", "next_client_number": 100000})


def test_possible_duplicates_are_reported_not_blocked(admin):
    create(admin, first_name="Dup", last_name="Licate", emails=["dup@example.com"])
    second = create(admin, first_name="dup", last_name="licate", emails=["DUP@example.com"])
    assert second["possible_duplicates"] and second["possible_duplicates"][0]["last_name"] == "Licate"


def test_family_members_and_secondary_contact(admin):
    client = create(admin, first_name="Pat", last_name="Parent")
    path = f"/api/v1/clients/{client['id']}/family-members"
    kid = admin.post(path, json={"first_name": "kim", "last_name": "parent", "relationship": "child",
                                 "birthday": "2015-06-01", "phones": [{"label": "Home", "number": "555 000 1111"}]})
    assert kid.status_code == 201, kid.text
    assert kid.json()["first_name"] == "Kim" and kid.json()["relationship"] == "Child"
    spouse = admin.post(path, json={"first_name": "Jordan", "last_name": "Spousal", "relationship": "Spouse",
                                    "secondary_contact": True, "email": "jordan@example.com"}).json()
    shown = admin.get(f"/api/v1/clients/{client['id']}").json()["secondary_contact"]
    assert shown == {"family_member_id": spouse["id"], "first_name": "Jordan", "last_name": "Spousal"}
    assert client["id"] in [c["id"] for c in admin.get("/api/v1/clients?q=spousal").json()["items"]]
    admin.patch(f"{path}/{kid.json()['id']}", json={"secondary_contact": True})
    members = admin.get(path).json()["items"]
    assert [m["first_name"] for m in members if m["secondary_contact"]] == ["Kim"]
    assert admin.delete(f"{path}/{spouse['id']}").status_code == 204
    assert len(admin.get(path).json()["items"]) == 1
    assert_error(admin.post(path, json={"first_name": "X", "relationship": "Cousin twice removed"}),
                 400, "validation_error", "relationship")


def test_lookups_crud_and_in_use_refusal(admin):
    status = admin.post("/api/v1/client-statuses", json={"name": "Senior 2027"})
    assert status.status_code == 201
    status_id = status.json()["id"]
    assert_error(admin.post("/api/v1/client-statuses", json={"name": "senior 2027"}), 409, "conflict", "name")
    renamed = admin.patch(f"/api/v1/client-statuses/{status_id}", json={"name": "Senior 2028", "sort_order": 5})
    assert renamed.json()["name"] == "Senior 2028"
    group = admin.post("/api/v1/client-groups", json={"name": "Seniors"}).json()
    client = create(admin, last_name="Grouped", status_id=status_id, group_ids=[group["id"]])
    assert client["id"] in [c["id"] for c in admin.get("/api/v1/clients", params={"group_id": group["id"]}).json()["items"]]
    assert client["id"] in [c["id"] for c in admin.get("/api/v1/clients", params={"status_id": status_id}).json()["items"]]
    assert_error(admin.delete(f"/api/v1/client-statuses/{status_id}"), 409, "conflict")
    unused = admin.post("/api/v1/lead-sources", json={"name": "Billboard"}).json()
    assert admin.delete(f"/api/v1/lead-sources/{unused['id']}").status_code == 204
    for kind in ("client-statuses", "lead-sources", "client-groups", "organizations", "relationships",
                 "phone-labels"):
        assert admin.get(f"/api/v1/{kind}").status_code == 200


def test_pagination_is_stable_and_complete(admin):
    for index in range(7):
        create(admin, first_name=f"Page{index}", last_name="Pagination")
    seen, cursor = [], None
    while True:
        params = {"q": "pagination", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = admin.get("/api/v1/clients", params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7
    assert_error(admin.get("/api/v1/clients", params={"cursor": "garbage"}), 400, "validation_error", "cursor")
    assert_error(admin.get("/api/v1/clients", params={"limit": 501}), 400, "validation_error", "limit")


def test_delete_is_soft_and_hides_the_client(admin):
    client = create(admin, first_name="Gone", last_name="Tomorrow")
    assert admin.delete(f"/api/v1/clients/{client['id']}").status_code == 204
    assert_error(admin.get(f"/api/v1/clients/{client['id']}"), 404, "not_found")
    assert total_matching(admin, "gone tomorrow") == 0


@pytest.mark.parametrize("body, field", [
    ({"first_name": 5, "last_name": "Types"}, "first_name"),
    ({"last_name": "Mail", "emails": ["good@example.com", "not-an-email"]}, "emails.1"),
    ({"last_name": "X" * 101}, "last_name"),
    ({"last_name": "Dates", "birthday": "02/04/1990"}, "birthday"),
    ({"last_name": "Phones", "phones": [{"label": "Mobile", "number": "call me"}]}, "phones.0.number"),
    ({"last_name": "Label", "phones": [{"label": "Pager", "number": "555 123 4567"}]}, "phones.0.label"),
    ({"last_name": "Texts", "custom_texts": ["a", "b", "c", "d", "e"]}, "custom_texts"),
    ({"first_name": ""}, "last_name"),
    ({"last_name": "Unknown", "surprise": True}, "surprise"),
])
def test_bad_client_input_is_400_naming_the_field_and_stores_nothing(admin, body, field):
    before = total_matching(admin, body.get("last_name") or "zzz-nothing")
    assert_error(admin.post("/api/v1/clients", json=body), 400, "validation_error", field)
    assert total_matching(admin, body.get("last_name") or "zzz-nothing") == before


@pytest.mark.parametrize("body, field", [
    ({"last_name": "Ref", "status_id": 999999}, "status_id"),
    ({"last_name": "Ref", "group_ids": [999999]}, "group_ids.0"),
    ({"last_name": "Ref", "referred_by_id": 999999}, "referred_by_id"),
    ({"last_name": "Ref", "organization_id": 999999}, "organization_id"),
])
def test_unknown_referenced_ids_are_404_naming_the_field(admin, body, field):
    before = total_matching(admin, "ref")
    assert_error(admin.post("/api/v1/clients", json=body), 404, "not_found", field)
    assert total_matching(admin, "ref") == before


def test_malformed_json_and_unknown_client(admin):
    response = admin.request("POST", "/api/v1/clients", data="{oops", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "validation_error")
    assert_error(admin.get("/api/v1/clients/987654"), 404, "not_found")
    assert_error(admin.patch("/api/v1/clients/987654", json={"notes": "x"}), 404, "not_found")


def test_referred_by_itself_is_refused(admin):
    client = create(admin, last_name="Selfref")
    assert_error(admin.patch(f"/api/v1/clients/{client['id']}", json={"referred_by_id": client["id"]}),
                 400, "validation_error", "referred_by_id")


def test_staff_cannot_delete_or_configure(stack, admin):
    admin.post("/api/v1/users", json={"username": "clerk", "name": "Clerk", "roles": ["staff"],
                                      "password": "a-long-password"})
    clerk = stack.login("clerk", "a-long-password")
    client = create(clerk, last_name="Clerked")
    assert_error(clerk.delete(f"/api/v1/clients/{client['id']}"), 403, "forbidden")
    assert_error(clerk.post("/api/v1/client-statuses", json={"name": "Nope"}), 403, "forbidden")
    assert admin.get(f"/api/v1/clients/{client['id']}").status_code == 200


def test_inactive_date_in_the_past_reports_inactive(admin):
    client = create(admin, last_name="Dormant", inactive_date="2020-01-01")
    assert client["active"] is False
