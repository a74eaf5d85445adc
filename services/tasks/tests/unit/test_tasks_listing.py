"""The task hub's filters, its order (due date, undated last, then id) and cursor paging."""

import datetime as dt

import pytest

from proofsheet_shared.errors import ValidationError
from tasks import listing, records

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def tasks(db, links, seed):
    """A small hub: ids by name."""
    specs = {
        "late": dict(task_type_id=seed.general, due_date="2026-06-10", assignee_id=5, client_id=100),
        "today": dict(task_type_id=seed.general, due_date="2026-06-15", assignee_id=5),
        "later": dict(task_type_id=seed.general, due_date="2026-07-01", assignee_id=6, session_id=9),
        "undated": dict(task_type_id=seed.general, assignee_id=5, invoice_id=12),
        "late_done": dict(
            task_type_id=seed.general, due_date="2026-06-01", status_id=seed.done, assignee_id=5
        ),
        "ticket": dict(task_type_id=seed.customer_service, due_date="2026-06-12", client_id=100),
        "ticket_closed": dict(task_type_id=seed.customer_service, status_id=seed.cs_resolved, client_id=100),
    }
    return {
        name: records.create_task(db, {"title": name, **fields}, 5, links, TODAY)["id"]
        for name, fields in specs.items()
    }


def names(session, tasks, **args):
    by_id = {v: k for k, v in tasks.items()}
    return [by_id[t["id"]] for t in listing.list_tasks(session, args, TODAY)["items"]]


def test_everything_in_due_order_undated_last(session, tasks):
    assert names(session, tasks) == [
        "late_done",
        "late",
        "ticket",
        "today",
        "later",
        "undated",
        "ticket_closed",
    ]


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"assignee_id": "5", "open": "true"}, ["late", "today", "undated"]),
        ({"open": "false"}, ["late_done", "ticket_closed"]),
        ({"overdue": "true"}, ["late", "ticket"]),
        ({"overdue": "false"}, ["late_done", "today", "later", "undated", "ticket_closed"]),
        ({"due_from": "2026-06-12", "due_to": "2026-06-15"}, ["ticket", "today"]),
        ({"due_from": "2026-06-15"}, ["today", "later"]),
        ({"due_to": "2026-06-10"}, ["late_done", "late"]),
        ({"client_id": 100}, ["late", "ticket", "ticket_closed"]),
        ({"client_id": 100, "open": True}, ["late", "ticket"]),
        ({"session_id": 9}, ["later"]),
        ({"invoice_id": 12}, ["undated"]),
        ({"task_type_id": 2}, ["ticket", "ticket_closed"]),
        ({"customer_service": "true"}, ["ticket", "ticket_closed"]),
        ({"customer_service": "false", "open": "true", "assignee_id": 6}, ["later"]),
        ({"status_id": 3}, ["late_done"]),
        ({"assignee_id": 999}, []),
    ],
)
def test_filters(session, tasks, args, expected):
    assert names(session, tasks, **args) == expected


def test_list_items_have_no_history_and_say_overdue(session, tasks):
    items = listing.list_tasks(session, {"overdue": True}, TODAY)["items"]
    assert all(item["overdue"] and "history" not in item for item in items)


def test_cursor_pages_through_everything_once(session, tasks):
    seen, cursor = [], None
    while True:
        page = listing.list_tasks(session, {"limit": 2, "cursor": cursor}, TODAY)
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [t["id"] for t in listing.list_tasks(session, {}, TODAY)["items"]]
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize(
    "args, field",
    [
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "WyJub3QtYS1kYXRlIiwxXQ"}, "cursor"),  # ["not-a-date",1]
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"due_from": "yesterday"}, "due_from"),
        ({"due_from": "2026-06-10", "due_to": "2026-06-01"}, "due_to"),
        ({"overdue": "perhaps"}, "overdue"),
        ({"assignee_id": "me"}, "assignee_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_list_arguments_name_the_field(session, args, field):
    with pytest.raises(ValidationError) as err:
        listing.list_tasks(session, args, TODAY)
    assert field in err.value.fields
