"""Domain tests over SQLite: triggers fire once per occurrence (events and dates), campaign
audiences are resolved into recipients with the reasons for skipping, a big audience goes on in
the background page by page, stale claims go back to the queue, and secrets stay secret."""

import datetime as dt
import types

import pytest
from sqlalchemy import func, select

from communications import blocklist, campaigns, email_templates, secrets, sender, settings, triggers
from communications.models import Campaign, CampaignRecipient, TriggerRun
from proofsheet_shared.errors import Unprocessable, ValidationError

TODAY = dt.date(2026, 6, 15)


class FakeClients:
    def __init__(self, clients, page=2):
        self.clients = {c["id"]: c for c in clients}
        self.page = page
        self.searches = 0

    def search_clients(self, args):
        self.searches += 1
        items = [
            c
            for c in sorted(self.clients.values(), key=lambda c: c["id"])
            if args.get("group_id") is None or args["group_id"] in c.get("group_ids", [])
        ]
        start = int(args.get("cursor") or 0)
        chunk = items[start : start + self.page]
        more = start + self.page < len(items)
        return {"items": chunk, "next_cursor": str(start + self.page) if more else None}

    def get_clients(self, ids):
        return [self.clients[i] for i in ids if i in self.clients]

    def get_client(self, client_id):
        return self.clients[client_id]


def cluster_of(clients, page=2):
    return types.SimpleNamespace(clients=FakeClients(clients, page))


def client(i, **fields):
    return {
        "id": i,
        "first_name": f"C{i}",
        "last_name": "X",
        "emails": [f"c{i}@example.com"],
        "group_ids": [1],
        "allow_marketing": True,
        **fields,
    }


def template(session, marketing=True):
    return email_templates.create_template(
        session,
        {"name": "T", "subject": "Hi {{ client.first_name }}", "html": "<p>Hi</p>", "marketing": marketing},
        1,
    )


# --- campaigns -----------------------------------------------------------------------------------------


def test_an_audience_resolves_with_reasons_and_the_rest_in_the_background(session):
    blocklist.block(session, "c3@example.com", "unsubscribed")
    people = [
        client(1),
        client(2, allow_marketing=False),
        client(3),
        client(4, emails=[]),
        client(5, emails=["c1@example.com"]),
        client(6),
        client(7, group_ids=[2]),
    ]
    cluster = cluster_of(people)
    t = template(session)
    made = campaigns.create_campaign(
        session, {"name": "C", "template_id": t["id"], "audience": {"group_ids": [1]}}, 1, cluster
    )
    assert made["status"] == "preparing" and made["total"] == 2  # the first page: stop there
    session.commit()
    while campaigns.resolve_pending(session, cluster, "test"):
        pass
    done = campaigns.get_campaign(session, made["id"])
    assert (done["status"], done["total"], done["queued"], done["skipped"]) == ("sending", 6, 2, 4)
    reasons = dict(session.execute(select(CampaignRecipient.client_id, CampaignRecipient.reason)).all())
    assert reasons == {
        1: None,
        2: "does not allow marketing",
        3: "address blocked (unsubscribed)",
        4: "no email address",
        5: "same address as another recipient",
        6: None,
    }


def test_an_empty_audience_is_refused_and_leaves_nothing(session):
    t = template(session)
    with pytest.raises(Unprocessable) as info:
        campaigns.create_campaign(
            session,
            {"name": "C", "template_id": t["id"], "audience": {"group_ids": [9]}},
            1,
            cluster_of([client(1)]),
        )
    assert info.value.fields == {"audience": "no client matches"}


def test_a_campaign_template_may_use_client_fields_only(session):
    t = email_templates.create_template(
        session, {"name": "T", "subject": "s", "html": "{{ session.date }}"}, 1
    )
    with pytest.raises(ValidationError) as info:
        campaigns.create_campaign(session, {"name": "C", "template_id": t["id"]}, 1, cluster_of([client(1)]))
    assert "template_id" in info.value.fields


def test_cancelling_skips_what_is_left(session):
    t = template(session, marketing=False)
    made = campaigns.create_campaign(
        session,
        {"name": "C", "template_id": t["id"], "audience": {"client_ids": [1, 2]}},
        1,
        cluster_of([client(1), client(2)]),
    )
    assert made["status"] == "sending" and made["queued"] == 2
    cancelled = campaigns.cancel_campaign(session, made["id"], 1)
    assert (cancelled["status"], cancelled["skipped"], cancelled["queued"]) == ("cancelled", 2, 0)
    with pytest.raises(Unprocessable):
        campaigns.cancel_campaign(session, made["id"], 1)


def test_stale_claims_go_back_to_the_queue_keeping_their_message_id(engine, session):
    t = template(session, marketing=False)
    made = campaigns.create_campaign(
        session,
        {"name": "C", "template_id": t["id"], "audience": {"client_ids": [1, 2]}},
        1,
        cluster_of([client(1), client(2)]),
    )
    session.commit()
    worker = sender.CampaignSender(engine, {"SEND_BATCH": 5, "CLAIM_TIMEOUT": 0})
    token, rows = worker.claim(5, {"from_address": "studio@example.com"})
    assert [r.message_id for r in rows] == [f"<campaign-{made['id']}-{r.id}@example.com>" for r in rows]
    with engine.begin() as conn:
        assert sender.release_stale_claims(conn, -1) == 2  # the sender died: its claims are stale
    _token, again = worker.claim(5, {"from_address": "other@elsewhere.example"})
    assert [r.message_id for r in again] == [r.message_id for r in rows] and [r.attempts for r in again] == [
        2,
        2,
    ]
    worker.mark(
        token, [r.id for r in rows], [], [], [], [], []
    )  # the dead sender's late mark changes nothing
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(CampaignRecipient.status == "sending")) == 2
    with engine.begin() as conn:
        assert sender.finish_campaigns(conn) == 0
    session.expire_all()


def test_the_rate_limiter_spaces_messages():
    limiter = sender.RateLimiter()
    limiter.configure(600)  # ten a second
    granted = [limiter.take(20, deadline=float("inf")) for _ in range(3)]
    assert granted[0] == 1 and sum(granted) == 3
    limiter.configure(0)
    assert limiter.take(20, 0) == 20


def test_backoff_grows():
    assert [sender.backoff(n, 30) for n in (1, 2, 3)] == [30, 120, 480]


# --- triggers -------------------------------------------------------------------------------------------


def event_trigger(session, **fields):
    t = template(session, marketing=False)
    body = {
        "name": "T",
        "kind": "event",
        "event": "session_status_changed",
        "status_id": 7,
        "action": "email",
        "template_id": t["id"],
        **fields,
    }
    return triggers.create_trigger(session, body, 1, TODAY)


def test_an_event_trigger_fires_once_per_record_and_status(session):
    trigger = event_trigger(session, filters={"session_type_ids": [3]})
    lookups = triggers.Lookups(None)
    data = {"session_id": 12, "client_id": 5, "session_type_id": 3, "from_status_id": 1, "to_status_id": 7}
    record = triggers.learn(session, "scheduling", "session_status_changed", data, "UTC")
    assert triggers.on_event(session, "session_status_changed", data, record, lookups) == 1
    assert triggers.on_event(session, "session_status_changed", data, record, lookups) == 0
    other = dict(data, to_status_id=8)
    assert triggers.on_event(session, "session_status_changed", other, record, lookups) == 0
    wrong_type = dict(data, session_id=13, session_type_id=4)
    assert (
        triggers.on_event(
            session,
            "session_status_changed",
            wrong_type,
            triggers.learn(session, "scheduling", "session_status_changed", wrong_type, "UTC"),
            lookups,
        )
        == 0
    )
    runs = session.scalars(select(TriggerRun)).all()
    assert [(r.trigger_id, r.occurrence_key, r.status) for r in runs] == [
        (trigger["id"], "session:12:status:7", "pending")
    ]


def test_a_date_trigger_fires_once_for_a_birthday(session):
    triggers.learn(
        session,
        "clients",
        "client_created",
        {"client": {"id": 5, "birthday": "1990-06-15", "anniversary": None}},
        "UTC",
    )
    triggers.learn(
        session,
        "clients",
        "client_created",
        {"client": {"id": 6, "birthday": "1990-06-16", "anniversary": None}},
        "UTC",
    )
    from communications import letters

    letter = letters.create_letter(
        session, {"name": "Card", "html": "Happy birthday {{ client.first_name }}"}, 1
    )
    trigger = triggers.create_trigger(
        session,
        {
            "name": "B",
            "kind": "date",
            "date_field": "birthday",
            "action": "letter",
            "form_letter_id": letter["id"],
            "mode": "queue",
        },
        1,
        TODAY,
    )
    lookups = triggers.Lookups(None)
    assert triggers.scan_dates(session, TODAY, lookups) == 1
    assert triggers.scan_dates(session, TODAY, lookups) == 0
    assert triggers.scan_dates(session, TODAY + dt.timedelta(days=1), lookups) == 1  # client 6, the next day
    runs = session.scalars(select(TriggerRun).order_by(TriggerRun.id)).all()
    assert [(r.client_id, r.occurrence_key, r.status) for r in runs] == [
        (5, "client:5:birthday:2026-06-15", "waiting"),
        (6, "client:6:birthday:2026-06-16", "waiting"),
    ]
    assert trigger["kind"] == "date"


def test_days_before_a_session(session):
    t = template(session, marketing=False)
    triggers.learn(
        session,
        "scheduling",
        "session_created",
        {"session": {"id": 1, "client_id": 5, "starts_at": "2026-06-18T01:30:00+00:00"}},
        "America/Chicago",
    )  # the 17th in the studio's time zone
    triggers.create_trigger(
        session,
        {
            "name": "Reminder",
            "kind": "date",
            "date_field": "session_date",
            "offset_days": -2,
            "action": "email",
            "template_id": t["id"],
        },
        1,
        TODAY,
    )
    lookups = triggers.Lookups(None)
    assert triggers.scan_dates(session, TODAY, lookups) == 1
    [run] = session.scalars(select(TriggerRun)).all()
    assert run.occurrence_key == "session:1:session_date:2026-06-17"


def test_trigger_validation(session):
    with pytest.raises(ValidationError) as info:
        triggers.create_trigger(session, {"name": "x", "kind": "event", "action": "task"}, 1, TODAY)
    assert set(info.value.fields) == {"event", "task"}


# --- settings and secrets ---------------------------------------------------------------------------------


def test_the_smtp_password_is_stored_encrypted(session):
    saved = settings.update_settings(
        session, {"smtp_password": "hunter2", "from_address": "a@example.com"}, 1
    )
    assert saved["smtp_password_set"] is True and "smtp_password" not in saved
    row = settings.get_row(session)
    assert "hunter2" not in row.smtp_password_encrypted
    assert settings.sending_settings(session)["password"] == "hunter2"
    with pytest.raises(ValidationError):
        settings.update_settings(session, {"from_address": "nope"}, 1)


def test_unsubscribe_tokens_are_signed(session):
    token = secrets.get().unsubscribe_token("Ann@Example.com", 5, 2)
    assert blocklist.unsubscribe(session, token) == {"email": "Ann@Example.com", "unsubscribed": True}
    assert blocklist.blocked_among(session, ["ann@example.com"]) == {"ann@example.com": "unsubscribed"}
    with pytest.raises(ValidationError):
        blocklist.unsubscribe(session, token[:-2] + "xx")
    assert session.get(Campaign, 1) is None
