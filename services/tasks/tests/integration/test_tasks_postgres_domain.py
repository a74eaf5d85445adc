"""The parts of the domain whose SQL differs between dialects, run on PostgreSQL: keyset
paging with row values over the hub's filters, FOR UPDATE in the bulk advance, and the
query plan of "my open tasks"."""

import datetime as dt

import pytest
from sqlalchemy import insert, text
from sqlalchemy.orm import sessionmaker

from proofsheet_shared import testing
from proofsheet_shared.db import create_db_engine
from proofsheet_shared.types import utcnow
from tasks import advance, listing, records
from tasks.links import FixedLinks
from tasks.models import NO_DUE_DATE, Task

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def session(pg_url):
    engine = create_db_engine(pg_url, pool_size=2)
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    yield session
    session.close()
    engine.dispose()


@pytest.fixture
def db(session):
    return testing.FakeDatabase(session, source="tasks")


def test_filters_and_paging_on_postgres(db, session):
    links = FixedLinks(staff_ids={5, 6}, client_ids={100})
    due = [None, "2026-06-01", "2026-06-14", "2026-06-15", "2026-07-01"]
    made = []
    for index in range(25):
        payload = {
            "title": f"t{index}",
            "task_type_id": 1 + index % 2,
            "assignee_id": 5 + index % 2,
            "due_date": due[index % 5],
            "client_id": 100 if index % 3 == 0 else None,
        }
        made.append(records.create_task(db, payload, 5, links, TODAY))
    advance.advance_status(db, {"ids": [t["id"] for t in made[:10]]}, 5)
    advance.advance_status(db, {"ids": [t["id"] for t in made[:10]]}, 5)  # General ones now Done
    session.commit()

    def all_pages(**args):
        seen, cursor = [], None
        while True:
            page = listing.list_tasks(session, dict(args, limit=4, cursor=cursor), TODAY)
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return seen

    everything = all_pages()
    assert len(everything) == 25 and len({t["id"] for t in everything}) == 25
    keys = [(t["due_date"] or "9999-12-31", t["id"]) for t in everything]
    assert keys == sorted(keys)
    mine = all_pages(assignee_id=5, open=True)
    assert mine and all(t["assignee_id"] == 5 and t["open"] for t in mine)
    assert {t["id"] for t in mine} == {t["id"] for t in everything if t["assignee_id"] == 5 and t["open"]}
    overdue = all_pages(overdue=True)
    assert {t["id"] for t in overdue} == {t["id"] for t in everything if t["overdue"]}
    assert all(t["due_date"] < "2026-06-15" and t["open"] for t in overdue)
    ranged = all_pages(due_from="2026-06-14", due_to="2026-06-15")
    assert {t["due_date"] for t in ranged} == {"2026-06-14", "2026-06-15"}
    tickets = all_pages(customer_service=True, client_id=100)
    assert tickets and all(t["task_type_id"] == 2 and t["client_id"] == 100 for t in tickets)


def test_my_open_tasks_is_one_index_range_scan(session):
    """With enough rows for the planner to care, "my open tasks" reads the assignee index in
    order and stops after the page: no sort, no scan of other assignees' tasks."""
    now = utcnow()
    rows = [
        {
            "title": f"t{i}",
            "task_type_id": 1,
            "status_id": 1 if i % 3 else 3,
            "priority": "normal",
            "is_open": bool(i % 3),
            "assignee_id": i % 40,
            "due_date": None,
            "sort_due": NO_DUE_DATE,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(20_000)
    ]
    session.execute(insert(Task.__table__), rows)
    session.commit()
    session.execute(text("ANALYZE tasks"))
    stmt, params = listing.query({"assignee_id": 7, "open": True, "limit": 50}, TODAY)
    compiled = stmt.params(params).compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    assert "is_open = true" in str(compiled)
    plan = "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")))
    assert "ix_tasks_assignee_open" in plan, plan
    assert "Sort" not in plan, plan
