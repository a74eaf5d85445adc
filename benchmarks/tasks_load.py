"""Generated tasks, loaded straight into the tasks service's PostgreSQL tables.

The rows come from :func:`build_row`, which fills a task with the service's own code
(``tasks.records.set_status`` and ``set_due_date``: ``is_open``, ``closed_at`` and the sort
key ``sort_due`` are derived exactly as the write path derives them); the scenario creates
some tasks through ``POST /api/v1/tasks`` and compares their stored rows with what
``build_row`` makes of the same input.

The load is one transaction, as for clients (``clients_load``): TRUNCATE ``tasks`` and
``task_history``, drop their indexes and constraints, COPY ... FREEZE, recreate indexes and
constraints (which validates every task's type and status-of-type), move the id sequences
past the loaded rows, commit, ANALYZE.
"""
import datetime as dt
import random
import time
import types

from psycopg2 import sql

from tasks.models import Task, TaskHistory
from tasks.records import set_due_date, set_status

from .clients_data import copy_line
from .clients_load import _copy, _drop, _recreate, _schema_objects
from .stack import HarnessError, log

BULK_TABLES = ("tasks", "task_history")
TASK_COLUMNS = [c.name for c in Task.__table__.columns]
HISTORY_COLUMNS = [c.name for c in TaskHistory.__table__.columns if c.name != "id"]
BATCH = 20_000
NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)
SPAN_DAYS = 730  # the loaded tasks were created over the two years before NOW

# Task types the benchmark adds through the API (the migration seeds two more); in each, only
# the last status is closed, so every open task has a next status to advance to.
TYPES = (
    ("Follow-up call", False, ("To call", "Left message", "Called")),
    ("Customer service — reprint", True, ("Reported", "Reprint ordered", "Delivered")),
    ("Order follow-up", False, ("Waiting on client", "Proofs sent", "Order placed", "Done")),
    ("Album design", False, ("Not started", "Designing", "Client review", "Approved")),
)
TITLES = {
    "Follow-up call": ("Call about the proofs", "Thank-you call", "Call to book the session",
                       "Call about the balance"),
    "Customer service — reprint": ("Reprint: wrong crop", "Reprint: colour cast", "Reprint: damaged in post",
                                   "Reprint: wrong size"),
    "Order follow-up": ("Follow up on the order", "Remind about the order deadline", "Confirm the order"),
    "Album design": ("Design the wedding album", "Design the senior book", "Layout changes"),
    "General": ("Order frames", "Sort the prints", "Update the website gallery", "Back up the session"),
    "Customer service": ("Complaint about delivery time", "Question about the invoice", "Lost download link"),
}
DESCRIPTIONS = ("Client asked by phone.", "See the notes on the invoice.", "Urgent before the holidays.",
                "Second time this came up.", "Discussed at the front desk.")
PRIORITIES = (("low", 15), ("normal", 60), ("high", 20), ("urgent", 5))


class Generator:
    """Tasks as the API takes them (JSON-ready payloads), with the generator's view of time."""

    def __init__(self, task_types, staff_ids, client_count, seed):
        self.rng = random.Random(seed)
        self.types = task_types  # [{"id", "name", "statuses": [{"id", "closed"}, ...]}]
        self.staff_ids = list(staff_ids)
        # a few staff carry most of the work
        self.staff_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(self.staff_ids))]
        self.client_count = client_count
        self.priorities = [p for p, _w in PRIORITIES]
        self.priority_weights = [w for _p, w in PRIORITIES]

    def task(self, age):
        """One task; ``age`` in [0, 1] (0 = made today): older tasks are more often closed."""
        rng = self.rng
        task_type = rng.choice(self.types)
        statuses = task_type["statuses"]
        if rng.random() < 0.3 + 0.65 * age:
            status = statuses[-1]
        else:
            status = rng.choice(statuses[:-1])
        created = NOW - dt.timedelta(days=SPAN_DAYS * age, seconds=rng.randint(0, 86_399))
        payload = {
            "title": rng.choice(TITLES.get(task_type["name"], TITLES["General"])),
            "task_type_id": task_type["id"],
            "status_id": status["id"],
            "priority": rng.choices(self.priorities, self.priority_weights)[0],
            "assignee_id": (rng.choices(self.staff_ids, self.staff_weights)[0]
                            if rng.random() < 0.92 else None),
        }
        if rng.random() < 0.4:
            payload["description"] = rng.choice(DESCRIPTIONS)
        if rng.random() < 0.85:
            payload["due_date"] = (created.date() + dt.timedelta(days=rng.randint(0, 30))).isoformat()
        if rng.random() < 0.75 and self.client_count:
            payload["client_id"] = rng.randint(1, self.client_count)
        if rng.random() < 0.25:
            payload["session_id"] = rng.randint(1, 500_000)
        if rng.random() < 0.2:
            payload["invoice_id"] = rng.randint(1, 300_000)
        return payload, created, statuses, statuses.index(status)


def build_row(payload, task_id, status, created_at, updated_at, user_id):
    """The tasks row the write path stores for ``payload`` (``status``: the status it is in)."""
    task = types.SimpleNamespace(
        id=task_id, title=payload["title"], description=payload.get("description"),
        task_type_id=payload["task_type_id"], priority=payload.get("priority") or "normal",
        assignee_id=payload.get("assignee_id"), client_id=payload.get("client_id"),
        session_id=payload.get("session_id"), invoice_id=payload.get("invoice_id"), source=None,
        dedupe_key=None, created_at=created_at, updated_at=updated_at, created_by=user_id, updated_by=user_id,
        is_open=True, closed_at=None, status_id=None, due_date=None, sort_due=None)
    due = payload.get("due_date")
    set_due_date(task, dt.date.fromisoformat(due) if due else None)
    set_status(task, types.SimpleNamespace(**status), updated_at)
    row = vars(task)
    missing = set(TASK_COLUMNS) - set(row)
    if missing:
        raise HarnessError(f"the tasks model has columns the bulk loader does not fill: {sorted(missing)}; "
                           "teach benchmarks/tasks_load.build_row")
    return row


def bulk_load(conn, count, generator, user_id, seed=20261128):
    """Load ``count`` generated tasks and their status history; counts, timings, samples."""
    started = time.monotonic()
    jitter = random.Random(seed)
    cur = conn.cursor()
    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cur.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, BULK_TABLES))))
    constraints, indexes = _schema_objects(cur, BULK_TABLES)
    _drop(cur, constraints, indexes)
    totals = {"tasks": 0, "task_history": 0, "open": 0}
    per_assignee_open = {}
    for start in range(0, count, BATCH):
        task_lines, history_lines = [], []
        for task_id in range(start + 1, min(start + BATCH, count) + 1):
            age = 1 - (task_id - 1) / max(count, 1)  # ids grow with creation time
            payload, created, statuses, position = generator.task(age)
            steps = [jitter.choice(generator.staff_ids) for _ in range(position)]
            updated = min(created + dt.timedelta(hours=jitter.randint(1, 24 * 20) * bool(position)), NOW)
            row = build_row(payload, task_id, statuses[position], created, updated, user_id)
            task_lines.append(copy_line(row, TASK_COLUMNS))
            for step, by in enumerate(steps):
                at = created + (updated - created) * (step + 1) / len(steps)
                entry = {"task_id": task_id, "at": at, "user_id": by, "field": "status_id",
                         "from_value": statuses[step]["id"], "to_value": statuses[step + 1]["id"]}
                history_lines.append(copy_line(entry, HISTORY_COLUMNS))
            if row["is_open"]:
                totals["open"] += 1
                if row["assignee_id"] is not None:
                    per_assignee_open[row["assignee_id"]] = per_assignee_open.get(row["assignee_id"], 0) + 1
        _copy(cur, "tasks", TASK_COLUMNS, "".join(task_lines))
        _copy(cur, "task_history", HISTORY_COLUMNS, "".join(history_lines))
        totals["tasks"] += len(task_lines)
        totals["task_history"] += len(history_lines)
        log(f"  tasks generated {totals['tasks']:,}/{count:,} ({time.monotonic() - started:.0f} s)")
    copied = time.monotonic()
    _recreate(cur, constraints, indexes)
    for table in BULK_TABLES:
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
        sequence = cur.fetchone()[0]
        cur.execute(f"SELECT setval(%s, GREATEST((SELECT max(id) FROM {table}), 1))", (sequence,))
    conn.commit()
    indexed = time.monotonic()
    conn.autocommit = True
    for table in BULK_TABLES:
        cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    conn.autocommit = False
    finished = time.monotonic()
    totals["open_by_assignee"] = {str(k): v for k, v in sorted(per_assignee_open.items())}
    totals["seconds"] = {"generate_and_copy": round(copied - started, 1),
                         "indexes_and_constraints": round(indexed - copied, 1),
                         "analyze": round(finished - indexed, 1), "total": round(finished - started, 1)}
    log(f"  loaded {totals['tasks']:,} tasks ({totals['open']:,} open), {totals['task_history']:,} history "
        f"entries in {finished - started:.1f} s")
    return totals


def compare_with_database(cur, task_id, expected):
    """Differences between a stored row and ``build_row``'s (timestamps: only whether set)."""
    cur.execute(f"SELECT {', '.join(TASK_COLUMNS)} FROM tasks WHERE id = %s", (task_id,))
    found = cur.fetchone()
    if found is None:
        return [f"task {task_id} not in the database"]
    stored = dict(zip(TASK_COLUMNS, found))
    diffs = []
    for column in TASK_COLUMNS:
        if column in ("created_at", "updated_at", "closed_at"):
            if (stored[column] is None) != (expected[column] is None):
                diffs.append(f"tasks.{column}: stored {stored[column]!r}, bulk {expected[column]!r}")
        elif stored[column] != expected[column]:
            diffs.append(f"tasks.{column}: stored {stored[column]!r}, bulk {expected[column]!r}")
    return diffs
