"""Bulk load of generated clients straight into the clients service's PostgreSQL tables.

One transaction: TRUNCATE the four tables, drop their indexes and constraints (definitions
read back from ``pg_catalog``, so whatever the migrations made comes back unchanged), COPY
... FREEZE in batches, recreate indexes and constraints (which validates every foreign key),
move the id sequences and the client-number counter past the loaded rows, commit, ANALYZE.
Generation (Python) and COPY (the PostgreSQL backend) overlap: a writer thread copies one
batch while the next is being built.
"""
import datetime as dt
import io
import queue
import random
import threading
import time

from psycopg2 import sql

from . import clients_data as cd
from .stack import HarnessError, log

BULK_TABLES = ("clients", "family_members", "client_search_terms", "client_group_members")
BATCH = 10_000
SAMPLES = 6_000


def _schema_objects(cur, tables):
    cur.execute("""
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE contype IN ('p', 'u', 'f')
          AND (conrelid = ANY(%(t)s::regclass[]) OR confrelid = ANY(%(t)s::regclass[]))
        ORDER BY contype, conname""", {"t": list(tables)})
    constraints = cur.fetchall()
    cur.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%(t)s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                          WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
        ORDER BY 1""", {"t": list(tables)})
    return constraints, cur.fetchall()


def _drop(cur, constraints, indexes):
    for kinds in (("f",), ("p", "u")):
        for table, name, kind, _definition in constraints:
            if kind in kinds:
                cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.SQL(table), sql.Identifier(name)))
    for index, _definition in indexes:
        cur.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(index)))


def _recreate(cur, constraints, indexes):
    for table, name, kind, definition in constraints:
        if kind in ("p", "u"):
            cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.SQL(table), sql.Identifier(name), sql.SQL(definition)))
    for _index, definition in indexes:
        cur.execute(definition)
    for table, name, kind, definition in constraints:
        if kind == "f":
            cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.SQL(table), sql.Identifier(name), sql.SQL(definition)))


def _copy(cur, table, columns, text):
    if text:
        cur.copy_expert(sql.SQL("COPY {} ({}) FROM STDIN WITH (FREEZE)").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))).as_string(cur),
            io.StringIO(text), size=1 << 20)


def bulk_load(conn, count, lookups, seed=20261121):
    """Load ``count`` generated clients; returns counts, timings and samples for queries."""
    started = time.monotonic()
    generator = cd.Generator(lookups, seed)
    jitter = random.Random(seed + 1)
    now = dt.datetime.now(dt.timezone.utc)
    cur = conn.cursor()
    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cur.execute("SELECT client_number_prefix FROM client_settings WHERE id = 1")
    row = cur.fetchone()
    prefix = row[0] if row else ""
    cur.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, BULK_TABLES))))
    constraints, indexes = _schema_objects(cur, BULK_TABLES)
    _drop(cur, constraints, indexes)

    batches = queue.Queue(maxsize=2)
    failure = []

    def writer():
        wcur = conn.cursor()
        try:
            while True:
                batch = batches.get()
                if batch is None:
                    return
                for table, columns, text in batch:
                    _copy(wcur, table, columns, text)
        except Exception as exc:  # noqa: BLE001 - reported by the producer
            failure.append(exc)
            while batches.get() is not None:  # drain so the producer never blocks
                pass

    thread = threading.Thread(target=writer, name="bulk-copy", daemon=True)
    thread.start()
    totals = {"clients": 0, "family_members": 0, "client_search_terms": 0, "client_group_members": 0}
    samples, sample_every = [], max(1, count // SAMPLES)
    family_id = 0
    missing_checked = False
    try:
        for start in range(0, count, BATCH):
            clients, family, terms, groups = [], [], [], []
            for client_id in range(start + 1, min(start + BATCH, count) + 1):
                record = generator.client(max_existing_id=client_id - 1)
                created = cd.EPOCH + dt.timedelta(
                    seconds=int(cd.SPAN_SECONDS * (client_id - 1) / max(count, 1)) + jitter.randint(0, 3600))
                updated = min(created + dt.timedelta(days=jitter.randint(0, 400)), now)
                family_ids = list(range(family_id + 1, family_id + 1 + len(record["family"])))
                family_id += len(family_ids)
                client, family_rows, client_terms, group_rows = cd.build_rows(
                    record, client_id, f"{prefix}{cd.FIRST_NUMBER + client_id - 1}", family_ids, created,
                    updated, lookups)
                if not missing_checked:
                    missing = set(cd.CLIENT_COLUMNS) - set(client)
                    if missing:
                        raise HarnessError(f"the clients model has columns the bulk loader does not fill: "
                                           f"{sorted(missing)}; teach benchmarks/clients_data.build_rows")
                    missing_checked = True
                clients.append(cd.copy_line(client, cd.CLIENT_COLUMNS))
                family.extend(cd.copy_line(r, cd.FAMILY_COLUMNS) for r in family_rows)
                terms.append(cd.terms_lines(client_id, client_terms, client["last_key"], client["first_key"]))
                groups.extend(f"{g['client_id']}\t{g['group_id']}\n" for g in group_rows)
                totals["client_search_terms"] += len(client_terms)
                if client_id % sample_every == 0:
                    samples.append({"id": client_id, "last_name": client["last_name"],
                                    "phones": [p["number"] for p in client["phones"]],
                                    "client_number": client["client_number"]})
            totals["clients"] += len(clients)
            totals["family_members"] += len(family)
            totals["client_group_members"] += len(groups)
            if failure:
                raise failure[0]
            batches.put([("clients", cd.CLIENT_COLUMNS, "".join(clients)),
                         ("family_members", cd.FAMILY_COLUMNS, "".join(family)),
                         ("client_search_terms", cd.TERM_COLUMNS, "".join(terms)),
                         ("client_group_members", ["client_id", "group_id"], "".join(groups))])
            if (start // BATCH) % 5 == 4 or start + BATCH >= count:
                log(f"  clients generated {totals['clients']:,}/{count:,} "
                    f"({time.monotonic() - started:.0f} s)")
    finally:
        batches.put(None)
        thread.join()
    if failure:
        raise failure[0]
    copied = time.monotonic()
    log(f"  COPY done in {copied - started:.1f} s; recreating {len(indexes)} indexes and "
        f"{len(constraints)} constraints")
    _recreate(cur, constraints, indexes)
    for table in ("clients", "family_members"):
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
        sequence = cur.fetchone()[0]
        if sequence:
            cur.execute(f"SELECT setval(%s, GREATEST((SELECT max(id) FROM {table}), 1))", (sequence,))
    cur.execute("UPDATE client_settings SET next_client_number = %s WHERE id = 1", (cd.FIRST_NUMBER + count,))
    conn.commit()
    indexed = time.monotonic()
    old_autocommit = conn.autocommit
    conn.autocommit = True
    for table in BULK_TABLES:
        cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    conn.autocommit = old_autocommit
    finished = time.monotonic()
    totals["seconds"] = {"generate_and_copy": round(copied - started, 1),
                         "indexes_and_constraints": round(indexed - copied, 1),
                         "analyze": round(finished - indexed, 1), "total": round(finished - started, 1)}
    log(f"  loaded {totals['clients']:,} clients, {totals['family_members']:,} family members, "
        f"{totals['client_search_terms']:,} search terms in {finished - started:.1f} s")
    return totals, samples
