"""The migrations build exactly the schema of the models, on SQLite and on PostgreSQL, and seed
the Photographer Job Sheet; on PostgreSQL two senders never claim the same recipient."""

import datetime as dt

import sqlalchemy as sa

from communications import sender
from communications.models import Base, Campaign, CampaignRecipient
from proofsheet_shared import testing
from proofsheet_shared.db import create_db_engine


def test_sqlite_migrations_match_the_models(alembic_ini, tmp_path):
    url = f"sqlite:///{tmp_path / 'communications.db'}"
    assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []


def test_postgres_migrations_match_the_models_and_seed_the_job_sheet(alembic_ini):
    with testing.temporary_postgres_database("communications_migrations") as url:
        assert testing.compare_migrations_to_models(alembic_ini, Base.metadata, url) == []
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            letters = conn.execute(sa.text("SELECT name, record_type, builtin FROM form_letters")).all()
        engine.dispose()
        assert [tuple(r) for r in letters] == [("Photographer Job Sheet", "session", "job_sheet")]
        testing.downgrade(alembic_ini, url)


def test_concurrent_claims_take_different_recipients(alembic_ini):
    with testing.temporary_postgres_database("communications_claims") as url:
        testing.upgrade(alembic_ini, url)
        engine = create_db_engine(url)
        now = dt.datetime.now(dt.timezone.utc)
        with engine.begin() as conn:
            template_id = conn.execute(
                sa.text(
                    "INSERT INTO email_templates (name, subject, html, marketing, record_type, created_at, "
                    "updated_at) VALUES ('t', 's', 'h', false, 'client', now(), now()) RETURNING id"
                )
            ).scalar()
            campaign_id = conn.execute(
                sa.insert(Campaign)
                .values(
                    name="c",
                    template_id=template_id,
                    marketing=False,
                    audience={},
                    subject="s",
                    html="h",
                    status="sending",
                    total=100,
                    created_at=now,
                )
                .returning(Campaign.id)
            ).scalar()
            conn.execute(
                sa.insert(CampaignRecipient),
                [
                    {
                        "campaign_id": campaign_id,
                        "client_id": i,
                        "email": f"c{i}@example.com",
                        "merge": {},
                        "status": "queued",
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                    for i in range(100)
                ],
            )
        import eventlet

        first = sender.CampaignSender(engine, {})
        second = sender.CampaignSender(engine, {})
        settings = {"from_address": "studio@example.com"}
        pool = eventlet.GreenPool()
        batches = list(pool.imap(lambda s: s.claim(30, settings)[1], [first, second, first, second]))
        ids = [row.id for batch in batches for row in batch]
        engine.dispose()
        assert len(ids) == len(set(ids)) == 100 and sorted(len(b) for b in batches) == [10, 30, 30, 30]
