"""The booking lock on PostgreSQL: concurrent bookings of one slot under ``never`` give
exactly one session; bookings of other resources do not wait for each other."""

import eventlet
from sqlalchemy.orm import sessionmaker

from proofsheet_shared import testing
from proofsheet_shared.db import create_db_engine
from proofsheet_shared.errors import Conflict
from scheduling import advance, sessions
from scheduling.links import FixedLinks

NY = "America/New_York"


def test_concurrent_bookings_of_one_slot_give_exactly_one(pg_url):
    engine = create_db_engine(pg_url)
    makers = sessionmaker(bind=engine, expire_on_commit=False)
    links = FixedLinks(staff=(5, 6, 7), clients={100: {"last_name": "Race"}})

    def attempt(index):
        session = makers()
        try:
            db = testing.FakeDatabase(session, source="scheduling")
            made = sessions.create_session(
                db,
                {
                    "client_id": 100,
                    "session_type_id": 1,
                    "photographer_id": 5,
                    "starts_at": f"2026-05-05T10:{index:02d}:00",
                },
                5,
                links,
                NY,
            )
            eventlet.sleep(0.05)  # hold the lock a moment, as a slower request would
            session.commit()
            return made["id"]
        except Conflict:
            session.rollback()
            return None
        finally:
            session.close()

    try:
        pool = eventlet.GreenPool(8)
        results = list(pool.imap(attempt, range(8)))
        assert len([r for r in results if r]) == 1, results
        session = makers()
        listed = sessions.list_sessions(session, {"photographer_id": "5"}, NY)["items"]
        assert len(listed) == 1
        db = testing.FakeDatabase(session, source="scheduling")
        ids = [listed[0]["id"], 12345]
        assert advance.advance_status(db, {"ids": ids}, 5)["advanced"] == 1
        session.commit()
        session.close()
    finally:
        engine.dispose()
