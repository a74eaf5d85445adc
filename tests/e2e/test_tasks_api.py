"""The tasks API end to end: a customer-service ticket made from a client and moved through
its statuses to closed, statuses of other types refused, a bulk advance of 500 tasks with
mixed ids, the overdue filter on known dates, history, the hub's filters, task types and
statuses, permissions, the clients service's refusal to delete a client with open tasks,
and every bad input answered with the documented error and nothing stored."""
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from stack import assert_error

pytestmark = pytest.mark.e2e


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def created(response):
    assert response.status_code == 201, response.text
    return response.json()


def make_type(admin, name=None, statuses=(("Open", False), ("Working", False), ("Closed", True)),
              customer_service=False):
    """A task type of this test's own, so that filtering by it sees only this test's tasks."""
    return created(admin.post("/api/v1/task-types", json={
        "name": unique(name or "Type"), "customer_service": customer_service,
        "statuses": [{"name": n, "closed": c} for n, c in statuses]}))


def make_task(admin, task_type, **fields):
    return created(admin.post("/api/v1/tasks", json={"title": "A task", "task_type_id": task_type["id"],
                                                     **fields}))


def make_user(admin, roles):
    username = f"u{uuid.uuid4().hex[:10]}"
    user = created(admin.post("/api/v1/users", json={"username": username, "name": username, "roles": roles,
                                                     "password": "a-long-password"}))
    return user, username


def make_client(admin, last_name="Ticketed"):
    return created(admin.post("/api/v1/clients", json={"last_name": last_name}))


def listed(admin, **params):
    response = admin.get("/api/v1/tasks", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def ids_of(items):
    return [item["id"] for item in items]


def test_a_ticket_from_a_client_moves_through_its_statuses_and_closes(stack, admin):
    reprint = make_type(admin, "Customer service — reprint", customer_service=True,
                        statuses=(("Reported", False), ("Ordered", False), ("Delivered", True)))
    reported, ordered, delivered = (s["id"] for s in reprint["statuses"])
    client = make_client(admin, "Reprint")
    clerk, clerk_name = make_user(admin, ["staff"])
    clerk_session = stack.login(clerk_name, "a-long-password")

    # "New Task" on the client's record: the ticket carries the client's id
    ticket = make_task(clerk_session, reprint, title="8x10 cropped the chin", client_id=client["id"],
                       assignee_id=clerk["id"], priority="high", due_date="2099-01-31",
                       description="Reprint at no charge")
    assert (ticket["status_id"], ticket["open"], ticket["overdue"]) == (reported, True, False)
    assert (ticket["client_id"], ticket["assignee_id"], ticket["created_by"]) == (client["id"], clerk["id"],
                                                                                  clerk["id"])
    assert ids_of(listed(admin, client_id=client["id"])) == [ticket["id"]]  # the client's record shows it
    assert ids_of(listed(admin, customer_service="true", client_id=client["id"])) == [ticket["id"]]

    moved = admin.patch(f"/api/v1/tasks/{ticket['id']}", json={"status_id": ordered})
    assert moved.status_code == 200, moved.text
    closed = admin.patch(f"/api/v1/tasks/{ticket['id']}", json={"status_id": delivered}).json()
    assert (closed["status_id"], closed["open"]) == (delivered, False) and closed["closed_at"]

    shown = admin.get(f"/api/v1/tasks/{ticket['id']}").json()
    assert [(h["field"], h["from"], h["to"]) for h in shown["history"]] == [
        ("status_id", reported, ordered), ("status_id", ordered, delivered)]
    assert all(h["user_id"] != clerk["id"] and h["at"].endswith("+00:00") for h in shown["history"])
    assert listed(admin, client_id=client["id"], open="true") == []
    assert ids_of(listed(admin, client_id=client["id"], open="false")) == [ticket["id"]]


def test_reassignment_is_in_the_history_with_who_and_when(stack, admin):
    kind = make_type(admin)
    first, _ = make_user(admin, ["staff"])
    second, second_name = make_user(admin, ["staff"])
    task = make_task(admin, kind, assignee_id=first["id"])
    second_session = stack.login(second_name, "a-long-password")
    assert second_session.patch(f"/api/v1/tasks/{task['id']}", json={"assignee_id": second["id"]}
                                ).status_code == 200
    history = admin.get(f"/api/v1/tasks/{task['id']}").json()["history"]
    assert [(h["field"], h["from"], h["to"], h["user_id"]) for h in history] == [
        ("assignee_id", first["id"], second["id"], second["id"])]
    mine = listed(second_session, assignee_id=second["id"], open="true")
    assert ids_of(mine) == [task["id"]] and "history" not in mine[0]


def test_a_status_of_another_type_is_refused(admin):
    kind, other = make_type(admin), make_type(admin)
    foreign = other["statuses"][1]["id"]
    error = assert_error(admin.post("/api/v1/tasks", json={"title": "T", "task_type_id": kind["id"],
                                                           "status_id": foreign}),
                         400, "validation_error", "status_id")
    assert "not a status of task type" in error["fields"]["status_id"]
    assert listed(admin, task_type_id=kind["id"]) == []
    task = make_task(admin, kind)
    assert_error(admin.patch(f"/api/v1/tasks/{task['id']}", json={"status_id": foreign}),
                 400, "validation_error", "status_id")
    assert admin.get(f"/api/v1/tasks/{task['id']}").json()["status_id"] == kind["statuses"][0]["id"]
    # changing the type and the status together is fine when they match
    both = admin.patch(f"/api/v1/tasks/{task['id']}",
                       json={"task_type_id": other["id"], "status_id": foreign})
    assert both.status_code == 200 and both.json()["status_id"] == foreign


def test_bulk_advance_of_500_tasks_with_mixed_ids(admin):
    three, two = make_type(admin), make_type(admin, statuses=(("Open", False), ("Done", True)))
    s3, s2 = [s["id"] for s in three["statuses"]], [s["id"] for s in two["statuses"]]
    specs = ([(three, None)] * 300 + [(three, s3[1])] * 100 + [(two, None)] * 80 + [(two, s2[1])] * 20)
    with ThreadPoolExecutor(max_workers=8) as pool:
        tasks = list(pool.map(lambda spec: make_task(admin, spec[0], **(
            {"status_id": spec[1]} if spec[1] else {})), specs))
    assert len(tasks) == 500
    unknown = [990_000_001, 990_000_002]
    ids = [t["id"] for t in tasks]
    mixed = ids[:250] + unknown[:1] + ids[250:] + [ids[0], unknown[1]]
    response = admin.post("/api/v1/tasks/advance-status", json={"ids": mixed})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["id"] for item in body["items"]] == mixed
    assert (body["advanced"], body["failed"]) == (480, 23)  # 20 at the end, 2 unknown, 1 listed twice
    results = {}
    for item in body["items"]:
        results.setdefault(item["id"], item)
    expected = {s3[0]: s3[1], s3[1]: s3[2], s2[0]: s2[1]}
    for task in tasks:
        result = results[task["id"]]
        if task["status_id"] == s2[1]:  # already in the last status of its type
            assert (result["ok"], result["error"]["code"]) == (False, "unprocessable")
        else:
            assert result["ok"] and (result["from_status_id"], result["status_id"]) == (
                task["status_id"], expected[task["status_id"]])
    assert [results[i]["error"]["code"] for i in unknown] == ["not_found", "not_found"]
    assert body["items"][-2]["error"]["code"] == "validation_error"  # listed twice: moved once
    assert admin.get(f"/api/v1/tasks/{ids[0]}").json()["status_id"] == s3[1]
    closed = listed(admin, task_type_id=three["id"], open="false")
    assert len(closed) == 100  # the 100 that were "Working" are now "Closed"
    history = admin.get(f"/api/v1/tasks/{ids[300]}").json()["history"]
    assert [(h["from"], h["to"]) for h in history] == [(s3[1], s3[2])]
    assert_error(admin.post("/api/v1/tasks/advance-status", json={"ids": []}), 400, "validation_error", "ids")
    assert_error(admin.post("/api/v1/tasks/advance-status", json={"ids": [1, "two"]}), 400,
                 "validation_error", "ids.1")


def test_overdue_filter_on_known_dates(admin):
    kind = make_type(admin)
    closed_status = kind["statuses"][2]["id"]
    past = make_task(admin, kind, title="late", due_date="2020-01-01")
    future = make_task(admin, kind, title="not yet", due_date="2099-12-31")
    make_task(admin, kind, title="late but done", due_date="2019-06-30", status_id=closed_status)
    undated = make_task(admin, kind, title="undated")
    assert past["overdue"] is True and future["overdue"] is False
    assert ids_of(listed(admin, task_type_id=kind["id"], overdue="true")) == [past["id"]]
    not_overdue = listed(admin, task_type_id=kind["id"], overdue="false")
    assert [t["title"] for t in not_overdue] == ["late but done", "not yet", "undated"]
    ranged = listed(admin, task_type_id=kind["id"], due_from="2019-01-01", due_to="2020-12-31")
    assert [t["title"] for t in ranged] == ["late but done", "late"]
    assert ids_of(listed(admin, task_type_id=kind["id"], open="true")) == [past["id"], future["id"],
                                                                           undated["id"]]
    assert_error(admin.get("/api/v1/tasks", params={"due_from": "2020-02-01", "due_to": "2020-01-01"}), 400,
                 "validation_error", "due_to")
    assert_error(admin.get("/api/v1/tasks", params={"overdue": "sometimes"}), 400, "validation_error",
                 "overdue")


def test_pages_are_stable_and_complete(admin):
    kind = make_type(admin)
    for day in (5, 3, 9, 1, 7, 2, 8):
        make_task(admin, kind, due_date=f"2030-01-0{day}")
    seen, cursor = [], None
    while True:
        params = {"task_type_id": kind["id"], "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/api/v1/tasks", params=params).json()
        seen += [t["due_date"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 7
    assert_error(admin.get("/api/v1/tasks", params={"cursor": "garbage"}), 400, "validation_error", "cursor")
    assert_error(admin.get("/api/v1/tasks", params={"limit": 501}), 400, "validation_error", "limit")


@pytest.mark.parametrize("body, status, code, field", [
    ({"task_type_id": 999999}, 404, "not_found", "task_type_id"),
    ({"status_id": 999999}, 404, "not_found", "status_id"),
    ({"assignee_id": 999999}, 404, "not_found", "assignee_id"),
    ({"client_id": 999999}, 404, "not_found", "client_id"),
    ({"title": ""}, 400, "validation_error", "title"),
    ({"title": "   "}, 400, "validation_error", "title"),
    ({"title": None}, 400, "validation_error", "title"),
    ({"due_date": "next friday"}, 400, "validation_error", "due_date"),
    ({"due_date": "2026-02-30"}, 400, "validation_error", "due_date"),
    ({"priority": "whenever"}, 400, "validation_error", "priority"),
    ({"session_id": -4}, 400, "validation_error", "session_id"),
    ({"surprise": True}, 400, "validation_error", "surprise"),
])
def test_bad_task_input_names_the_field_and_stores_nothing(admin, body, status, code, field):
    kind = make_type(admin)
    payload = {"title": "Bad", "task_type_id": kind["id"], **body}
    assert_error(admin.post("/api/v1/tasks", json=payload), status, code, field)
    assert listed(admin, task_type_id=kind["id"]) == []


def test_unknown_tasks_and_a_missing_title(admin):
    assert_error(admin.get("/api/v1/tasks/987654321"), 404, "not_found")
    assert_error(admin.patch("/api/v1/tasks/987654321", json={"title": "x"}), 404, "not_found")
    assert_error(admin.delete("/api/v1/tasks/987654321"), 404, "not_found")
    kind = make_type(admin)
    assert_error(admin.post("/api/v1/tasks", json={"task_type_id": kind["id"]}), 400, "validation_error",
                 "title")
    assert_error(admin.post("/api/v1/tasks", json={"title": "x"}), 400, "validation_error", "task_type_id")


def test_delete_a_task(admin):
    kind = make_type(admin)
    task = make_task(admin, kind)
    assert admin.delete(f"/api/v1/tasks/{task['id']}").status_code == 204
    assert_error(admin.get(f"/api/v1/tasks/{task['id']}"), 404, "not_found")


def test_a_client_with_an_open_task_cannot_be_deleted(admin):
    kind = make_type(admin)
    client = make_client(admin, "Heldbytask")
    task = make_task(admin, kind, client_id=client["id"])
    error = assert_error(admin.delete(f"/api/v1/clients/{client['id']}"), 409, "conflict")
    assert "open tasks" in error["message"]
    assert admin.get(f"/api/v1/clients/{client['id']}").status_code == 200
    advanced = admin.post("/api/v1/tasks/advance-status", json={"ids": [task["id"]]})
    assert advanced.json()["advanced"] == 1  # still open ("Working")
    assert_error(admin.delete(f"/api/v1/clients/{client['id']}"), 409, "conflict")
    assert admin.patch(f"/api/v1/tasks/{task['id']}", json={"status_id": kind["statuses"][2]["id"]}
                       ).status_code == 200
    assert admin.delete(f"/api/v1/clients/{client['id']}").status_code == 204


def test_task_types_and_statuses(admin):
    kind = make_type(admin, "Follow-up call", statuses=(("To call", False),))
    assert [t["id"] for t in admin.get("/api/v1/task-types").json()["items"]].count(kind["id"]) == 1
    assert admin.get(f"/api/v1/task-types/{kind['id']}").json() == kind
    assert_error(admin.post("/api/v1/task-types", json={"name": kind["name"].upper()}), 409, "conflict",
                 "name")
    assert_error(admin.post("/api/v1/task-types", json={"name": ""}), 400, "validation_error", "name")
    called = created(admin.post("/api/v1/task-statuses", json={"task_type_id": kind["id"], "name": "Called",
                                                               "closed": True}))
    early = created(admin.post("/api/v1/task-statuses", json={"task_type_id": kind["id"], "name": "Triage",
                                                              "sort_order": 1}))
    order = admin.get("/api/v1/task-statuses", params={"task_type_id": kind["id"]}).json()["items"]
    assert [s["name"] for s in order] == ["Triage", "To call", "Called"]
    assert set(order[0]) == {"id", "task_type_id", "name", "sort_order", "closed"}
    assert_error(admin.post("/api/v1/task-statuses", json={"task_type_id": kind["id"], "name": "called"}),
                 409, "conflict", "name")
    assert_error(admin.post("/api/v1/task-statuses", json={"task_type_id": 999999, "name": "X"}),
                 404, "not_found", "task_type_id")
    task = make_task(admin, kind)
    assert task["status_id"] == early["id"]
    # marking a status closed closes the tasks in it
    admin.patch(f"/api/v1/task-statuses/{early['id']}", json={"closed": True})
    assert admin.get(f"/api/v1/tasks/{task['id']}").json()["open"] is False
    assert_error(admin.delete(f"/api/v1/task-statuses/{early['id']}"), 409, "conflict")
    assert_error(admin.delete(f"/api/v1/task-types/{kind['id']}"), 409, "conflict")
    assert admin.delete(f"/api/v1/task-statuses/{called['id']}").status_code == 204
    renamed = admin.patch(f"/api/v1/task-types/{kind['id']}",
                          json={"name": unique("Callbacks"), "active": False})
    assert renamed.status_code == 200 and renamed.json()["active"] is False
    assert_error(admin.post("/api/v1/tasks", json={"title": "T", "task_type_id": kind["id"]}), 422,
                 "unprocessable", "task_type_id")
    admin.delete(f"/api/v1/tasks/{task['id']}")
    assert admin.delete(f"/api/v1/task-types/{kind['id']}").status_code == 204
    assert_error(admin.get(f"/api/v1/task-types/{kind['id']}"), 404, "not_found")


def test_staff_work_tasks_but_only_managers_configure_them(stack, admin):
    kind = make_type(admin)
    _, clerk_name = make_user(admin, ["staff"])
    _, manager_name = make_user(admin, ["manager"])
    clerk, manager = stack.login(clerk_name, "a-long-password"), stack.login(manager_name, "a-long-password")
    task = make_task(clerk, kind)
    assert clerk.post("/api/v1/tasks/advance-status", json={"ids": [task["id"]]}).json()["advanced"] == 1
    assert clerk.get("/api/v1/task-types").status_code == 200
    assert_error(clerk.post("/api/v1/task-types", json={"name": unique("Nope")}), 403, "forbidden")
    assert_error(clerk.post("/api/v1/task-statuses", json={"task_type_id": kind["id"], "name": "Nope"}), 403,
                 "forbidden")
    assert created(manager.post("/api/v1/task-types", json={"name": unique("Manager's")}))["id"]


def test_openapi_describes_the_tasks_api(stack):
    import requests

    spec = requests.get(f"{stack.url}/api/v1/openapi.json", timeout=10).json()
    for path in ("/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/tasks/advance-status",
                 "/api/v1/task-types", "/api/v1/task-types/{type_id}", "/api/v1/task-statuses",
                 "/api/v1/task-statuses/{status_id}"):
        assert path in spec["paths"], path
    assert {"TaskIn", "TaskOut", "AdvanceStatusOut"} <= set(spec["components"]["schemas"])
    ready = requests.get(f"{stack.url}/readyz", timeout=15).json()
    assert ready["services"]["tasks"] == "ok"
