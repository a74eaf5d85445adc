"""The communications API end to end, with a real SMTP server (aiosmtpd, in its own process)
receiving the mail and the ``email`` package reading it: settings and the test send, templates
checked at save time (syntax errors, unknown fields, the sandbox), previews, a small campaign
whose unsubscribe link works, an event trigger and a date trigger that each fire once, a task
made by a trigger, the Photographer Job Sheet as a PDF, the log, and bad inputs."""

import datetime as dt
import io
import re
import time
import uuid

import pypdf
import pytest
import requests

from stack import ROOT, Stack, assert_error, free_port

pytestmark = pytest.mark.e2e

SECRET = "test-communications-secret"


def SmtpSink(directory, save=True):  # noqa: N802 - reads as the class it makes
    from communications.smtp_sink import SinkProcess

    return SinkProcess(directory, free_port(), save=save, cwd=ROOT)


def start_stack(tmp_path_factory, name, **env):
    stack = Stack(
        tmp_path_factory.mktemp(name),
        extra_env={
            "COMMUNICATIONS_SECRET_KEY": SECRET,
            "COMMUNICATIONS_CLAIM_TIMEOUT": "3",
            "COMMUNICATIONS_RETRY_BASE_SECONDS": "1",
            "COMMUNICATIONS_SEND_TICK_SECONDS": "0.3",
            "COMMUNICATIONS_SMTP_TIMEOUT": "5",
            "RPC_TIMEOUT": "20",
            **env,
        },
    )
    stack.extra_env["PROOFSHEET_PUBLIC_URL"] = stack.url
    return stack.start()


@pytest.fixture(scope="module")
def sink(tmp_path_factory):
    running = SmtpSink(tmp_path_factory.mktemp("smtp"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = start_stack(tmp_path_factory, "communications-email")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(stack, sink):
    client = stack.admin
    ok(
        client.patch(
            "/api/v1/settings/email",
            json={
                "smtp_host": "127.0.0.1",
                "smtp_port": sink.port,
                "smtp_tls": "none",
                "smtp_username": None,
                "from_name": "Bright Studio",
                "from_address": "studio@bright.example",
                "reply_to": "desk@bright.example",
                "send_rate_per_minute": 0,
            },
        )
    )
    return client


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def unique(prefix="x"):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def make_client(admin, **fields):
    body = {"first_name": "Ann", "last_name": unique("Lee"), **fields}
    return ok(admin.post("/api/v1/clients", json=body), 201)


def make_template(admin, html, subject="Hello {{ client.first_name }}", marketing=False):
    return ok(
        admin.post(
            "/api/v1/email-templates",
            json={"name": unique("T"), "subject": subject, "html": html, "marketing": marketing},
        ),
        201,
    )


def publish_event(amqp_uri, source, event_type, data):
    """Stand in for a service that does not exist yet: publish its event as the outbox would."""
    from kombu import Connection, Exchange, Producer

    with Connection(amqp_uri) as conn:
        exchange = Exchange(f"{source}.events", type="topic", durable=True)
        Producer(conn).publish(
            {"id": str(uuid.uuid4()), "type": f"{source}.{event_type}", "source": source, "data": data},
            exchange=exchange,
            routing_key=event_type,
            declare=[exchange],
            serializer="json",
        )


def wait_for(fetch, predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def parts(message):
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


# --- settings ----------------------------------------------------------------------------------------


def test_email_settings_keep_the_password_secret_and_check_the_sender(admin, sink):
    saved = ok(admin.patch("/api/v1/settings/email", json={"smtp_password": "s3cret"}))
    assert saved["smtp_password_set"] is True and "smtp_password" not in saved
    assert "s3cret" not in admin.get("/api/v1/settings/email").text
    assert_error(
        admin.patch("/api/v1/settings/email", json={"from_address": "not an address"}),
        400,
        "validation_error",
        "from_address",
    )
    assert_error(
        admin.patch("/api/v1/settings/email", json={"smtp_tls": "sometimes"}),
        400,
        "validation_error",
        "smtp_tls",
    )
    cleared = ok(admin.patch("/api/v1/settings/email", json={"smtp_password": None}))
    assert cleared["smtp_password_set"] is False and cleared["from_address"] == "studio@bright.example"


def test_send_test_reports_success_or_the_smtp_error_in_plain_words(admin, sink):
    assert ok(admin.post("/api/v1/settings/email/test", json={"to": "owner@bright.example"})) == {
        "ok": True,
        "error": None,
    }
    [message] = sink.to("owner@bright.example")
    assert message["From"] == "Bright Studio <studio@bright.example>"
    ok(admin.patch("/api/v1/settings/email", json={"smtp_port": free_port()}))
    try:
        failed = ok(admin.post("/api/v1/settings/email/test", json={"to": "owner@bright.example"}))
        assert failed["ok"] is False and "connection was refused" in failed["error"]
    finally:
        ok(admin.patch("/api/v1/settings/email", json={"smtp_port": sink.port}))
    assert_error(
        admin.post("/api/v1/settings/email/test", json={"to": "nope"}), 400, "validation_error", "to"
    )


# --- templates -----------------------------------------------------------------------------------------


def test_templates_are_checked_when_saved(admin):
    error = assert_error(
        admin.post(
            "/api/v1/email-templates",
            json={"name": "Broken", "subject": "Hi", "html": "<p>Hi</p>\n<p>{% if client.first_name %}</p>"},
        ),
        400,
        "validation_error",
        "html",
    )
    assert error["fields"]["html"].startswith("line 2:") or "line" in error["fields"]["html"]
    error = assert_error(
        admin.post(
            "/api/v1/email-templates",
            json={"name": "Typo", "subject": "Hi {{ client.frist_name }}", "html": "<p>ok</p>"},
        ),
        400,
        "validation_error",
        "subject",
    )
    assert "client.frist_name" in error["fields"]["subject"]
    error = assert_error(
        admin.post(
            "/api/v1/email-templates",
            json={
                "name": "Evil",
                "subject": "Hi",
                "html": "<p>\n{{ ''.__class__.__mro__[1].__subclasses__() }}</p>",
            },
        ),
        400,
        "validation_error",
        "html",
    )
    assert "line 2" in error["fields"]["html"] and "not allowed" in error["fields"]["html"]
    assert_error(
        admin.post("/api/v1/email-templates", json={"name": "No body", "subject": "Hi"}),
        400,
        "validation_error",
        "html",
    )
    template = make_template(admin, "<p>{{ client.first_name }}</p>")
    assert_error(
        admin.patch(f"/api/v1/email-templates/{template['id']}", json={"html": "{{ session.nope }}"}),
        400,
        "validation_error",
        "html",
    )
    assert (
        ok(admin.get(f"/api/v1/email-templates/{template['id']}"))["html"] == "<p>{{ client.first_name }}</p>"
    )


def test_preview_renders_a_record_escaped_with_css_inlined_and_a_text_part(admin):
    client = make_client(
        admin,
        first_name="<script>alert(1)</script>",
        emails=["ann@example.com"],
        address={"city": "Springfield"},
    )
    template = make_template(
        admin,
        "<html><head><style>.hi { color: #c00; }</style></head><body>"
        "<p class='hi'>Dear {{ client.first_name }} of {{ client.address.city }}</p>"
        "</body></html>",
        subject="For {{ client.name }} at {{ studio.name }}",
    )
    preview = ok(
        admin.post(
            f"/api/v1/email-templates/{template['id']}/preview",
            json={"record_type": "client", "record_id": client["id"]},
        )
    )
    assert preview["subject"].startswith("For <script>alert(1)</script>")
    assert "&lt;script&gt;" in preview["html"] and "<script>" not in preview["html"]
    assert 'style="color: #c00;"' in preview["html"] and "<style>" not in preview["html"]
    assert "Dear <script>alert(1)</script> of Springfield" in preview["text"]
    assert_error(
        admin.post(
            f"/api/v1/email-templates/{template['id']}/preview",
            json={"record_type": "client", "record_id": 999999},
        ),
        404,
        "not_found",
        "record_id",
    )
    assert_error(
        admin.post(
            f"/api/v1/email-templates/{template['id']}/preview",
            json={"record_type": "planet", "record_id": 1},
        ),
        400,
        "validation_error",
        "record_type",
    )


# --- a small campaign and its unsubscribe link ------------------------------------------------------------


def test_a_campaign_sends_both_parts_with_an_unsubscribe_link_that_works(stack, admin, sink, anonymous):
    group = ok(admin.post("/api/v1/client-groups", json={"name": unique("Newsletter ")}), 201)
    tag = unique()
    ann = make_client(admin, first_name="Ann", emails=[f"ann.{tag}@example.com"], group_ids=[group["id"]])
    bob = make_client(admin, first_name="Bob", emails=[f"bob.{tag}@example.com"], group_ids=[group["id"]])
    opted_out = make_client(
        admin,
        first_name="Cy",
        emails=[f"cy.{tag}@example.com"],
        group_ids=[group["id"]],
        allow_marketing=False,
    )
    template = make_template(
        admin,
        "<html><head><style>h1 { font-size: 20px; }</style></head><body>"
        "<h1>Spring sale</h1><p>Hi {{ client.first_name }}!</p></body></html>",
        subject="Spring at {{ studio.name or 'the studio' }}, {{ client.first_name }}",
        marketing=True,
    )
    campaign = ok(
        admin.post(
            "/api/v1/campaigns",
            json={"name": "Spring", "template_id": template["id"], "audience": {"group_ids": [group["id"]]}},
        ),
        201,
    )
    assert campaign["total"] == 3 and campaign["skipped"] == 1
    done = wait_for(
        lambda: ok(admin.get(f"/api/v1/campaigns/{campaign['id']}")), lambda c: c["status"] == "completed"
    )
    assert (done["sent"], done["skipped"], done["failed"], done["queued"]) == (2, 1, 0, 0)
    [message] = sink.to(ann["emails"][0])
    text, html = parts(message)
    assert message["Subject"].endswith(", Ann") and message["Reply-To"] == "desk@bright.example"
    assert 'style="font-size: 20px;"' in html and "Hi Ann!" in text
    unsubscribe = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"]).group(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in html and unsubscribe in text and unsubscribe.startswith(stack.url)
    assert sink.to(opted_out["emails"][0], timeout=0) == []
    # the link works without logging in, and a tampered one does not
    assert_error(anonymous.get(unsubscribe[len(stack.url) :] + "x"), 400, "validation_error", "token")
    page = requests.get(unsubscribe, timeout=10)
    assert page.status_code == 200 and ann["emails"][0] in page.text
    again = ok(
        admin.post(
            "/api/v1/campaigns",
            json={
                "name": "Spring 2",
                "template_id": template["id"],
                "audience": {"group_ids": [group["id"]]},
            },
        ),
        201,
    )
    done = wait_for(
        lambda: ok(admin.get(f"/api/v1/campaigns/{again['id']}")), lambda c: c["status"] == "completed"
    )
    assert (done["sent"], done["skipped"]) == (1, 2)
    assert len(sink.to(ann["emails"][0], timeout=0)) == 1 and len(sink.to(bob["emails"][0], count=2)) == 2
    log = ok(admin.get(f"/api/v1/clients/{ann['id']}/communications"))["items"]
    assert [(e["status"], e["campaign_id"]) for e in log] == [
        ("skipped", again["id"]),
        ("sent", campaign["id"]),
    ]
    assert "unsubscribed" in log[0]["error"]
    entry = ok(admin.get(f"/api/v1/communications/{log[1]['id']}"))
    assert entry["headers"]["Message-ID"] == message["Message-ID"] and "Hi Ann!" in entry["text"]


def test_campaign_bad_inputs(admin):
    template = make_template(admin, "<p>{{ client.first_name }}</p>", marketing=True)
    assert_error(
        admin.post(
            "/api/v1/campaigns",
            json={"name": "Nobody", "template_id": template["id"], "audience": {"group_ids": [987654]}},
        ),
        422,
        "unprocessable",
        "audience",
    )
    assert_error(
        admin.post("/api/v1/campaigns", json={"name": "No template", "template_id": 987654}),
        404,
        "not_found",
        "template_id",
    )
    session_template = make_template(admin, "<p>{{ session.date }}</p>")
    assert_error(
        admin.post("/api/v1/campaigns", json={"name": "Sessions", "template_id": session_template["id"]}),
        400,
        "validation_error",
        "template_id",
    )
    assert_error(
        admin.post(
            "/api/v1/campaigns",
            json={
                "name": "Dates",
                "template_id": template["id"],
                "audience": {"session_from": "2026-02-01", "session_to": "2026-01-01"},
            },
        ),
        400,
        "validation_error",
        "audience.session_to",
    )
    assert_error(admin.get("/api/v1/campaigns/987654"), 404, "not_found")


def test_a_bounce_blocks_the_address(admin, sink):
    tag = unique()
    client = make_client(admin, emails=[f"bounce.{tag}@example.com"])
    template = make_template(admin, "<p>Hello {{ client.first_name }}</p>")
    campaign = ok(
        admin.post(
            "/api/v1/campaigns",
            json={
                "name": "B",
                "template_id": template["id"],
                "marketing": False,
                "audience": {"client_ids": [client["id"]]},
            },
        ),
        201,
    )
    done = wait_for(
        lambda: ok(admin.get(f"/api/v1/campaigns/{campaign['id']}")), lambda c: c["status"] == "completed"
    )
    assert done["failed"] == 1
    blocked = ok(admin.get("/api/v1/blocked-addresses", params={"limit": 500}))["items"]
    assert any(b["email"] == client["emails"][0] and b["reason"] == "bounced" for b in blocked)
    [entry] = ok(admin.get(f"/api/v1/clients/{client['id']}/communications"))["items"]
    assert entry["status"] == "failed" and "550" in entry["error"]


# --- triggers ----------------------------------------------------------------------------------------------


def session_data(session_id, client_id, **fields):
    return {
        "id": session_id,
        "client_id": client_id,
        "session_type_id": 3,
        "status_id": 1,
        "starts_at": "2026-07-04T15:30:00+00:00",
        "ends_at": "2026-07-04T16:30:00+00:00",
        "photographer_id": 1,
        "assistant_id": None,
        "room": "Studio B, 12 Elm St",
        "notes": "Bring the ladder",
        **fields,
    }


def test_an_event_trigger_fires_once_per_record_and_status(stack, admin, sink):
    tag = unique()
    client = make_client(admin, first_name="Dee", emails=[f"dee.{tag}@example.com"])
    template = make_template(
        admin,
        "<p>{{ client.first_name }}, your session on {{ session.date }} at "
        "{{ session.start_time }} in {{ session.room }} is confirmed.</p>",
        subject="Confirmed: {{ session.date }}",
    )
    trigger = ok(
        admin.post(
            "/api/v1/triggers",
            json={
                "name": "Confirmation",
                "kind": "event",
                "event": "session_status_changed",
                "status_id": 7,
                "filters": {"session_type_ids": [3]},
                "action": "email",
                "template_id": template["id"],
            },
        ),
        201,
    )
    session_id = int(uuid.uuid4().int % 1_000_000) + 1000
    publish_event(
        stack.amqp_uri, "scheduling", "session_created", {"session": session_data(session_id, client["id"])}
    )
    for _ in range(2):  # the same fact twice (two events): one email
        publish_event(
            stack.amqp_uri,
            "scheduling",
            "session_status_changed",
            {
                "session_id": session_id,
                "client_id": client["id"],
                "session_type_id": 3,
                "from_status_id": 1,
                "to_status_id": 7,
            },
        )
    publish_event(
        stack.amqp_uri,
        "scheduling",
        "session_status_changed",
        {
            "session_id": session_id,
            "client_id": client["id"],
            "session_type_id": 3,
            "from_status_id": 7,
            "to_status_id": 8,
        },
    )
    runs = wait_for(
        lambda: ok(admin.get("/api/v1/trigger-runs", params={"trigger_id": trigger["id"]}))["items"],
        lambda items: items and items[0]["status"] == "done",
    )
    [message] = sink.to(client["emails"][0])
    assert message["Subject"] == "Confirmed: 2026-07-04"
    assert "in Studio B, 12 Elm St is confirmed" in parts(message)[0]
    time.sleep(1.5)
    runs = ok(admin.get("/api/v1/trigger-runs", params={"trigger_id": trigger["id"]}))["items"]
    assert [(r["status"], r["occurrence_key"]) for r in runs] == [("done", f"session:{session_id}:status:7")]
    assert len(sink.to(client["emails"][0], timeout=0)) == 1
    [entry] = ok(admin.get(f"/api/v1/clients/{client['id']}/communications"))["items"]
    assert entry["trigger_id"] == trigger["id"] and entry["status"] == "sent"


def test_a_date_trigger_fires_once_and_queues_for_staff(stack, admin):
    today = dt.datetime.now(dt.timezone.utc).date()
    client = make_client(
        admin,
        first_name="Eve",
        birthday=today.replace(year=1990, day=min(today.day, 28)).isoformat()
        if today.month == 2
        else today.replace(year=1990).isoformat(),
    )
    letter = ok(
        admin.post(
            "/api/v1/form-letters",
            json={
                "name": unique("Birthday "),
                "record_type": "client",
                "html": "<h1>Happy birthday, {{ client.first_name }}!</h1>",
            },
        ),
        201,
    )
    trigger = ok(
        admin.post(
            "/api/v1/triggers",
            json={
                "name": "Birthday card",
                "kind": "date",
                "date_field": "birthday",
                "offset_days": 0,
                "action": "letter",
                "form_letter_id": letter["id"],
                "mode": "queue",
            },
        ),
        201,
    )
    runs = []
    for _ in range(3):
        ok(admin.post("/api/v1/triggers/scan"))
        runs = ok(admin.get("/api/v1/trigger-runs", params={"trigger_id": trigger["id"]}))["items"]
        if runs:
            break
        time.sleep(0.5)  # the client_created event may still be on its way
    ok(admin.post("/api/v1/triggers/scan"))
    runs = ok(admin.get("/api/v1/trigger-runs", params={"trigger_id": trigger["id"]}))["items"]
    mine = [r for r in runs if r["client_id"] == client["id"]]
    assert [r["status"] for r in mine] == ["waiting"]
    result = ok(admin.post("/api/v1/trigger-runs/process", json={"all": True, "trigger_id": trigger["id"]}))
    assert result["done"] >= 1
    queue = ok(admin.get("/api/v1/print-queue"))["items"]
    item = next(i for i in queue if i["client_id"] == client["id"])
    pdf = admin.post("/api/v1/print-queue/print", json={"ids": [item["id"]]})
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert "Happy birthday, Eve!" in pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    [entry] = ok(admin.get(f"/api/v1/clients/{client['id']}/communications"))["items"]
    assert entry["channel"] == "letter" and entry["status"] == "sent"
    ok(admin.post("/api/v1/triggers/scan"))
    assert (
        len(
            [
                r
                for r in ok(admin.get("/api/v1/trigger-runs", params={"trigger_id": trigger["id"]}))["items"]
                if r["client_id"] == client["id"]
            ]
        )
        == 1
    )
    assert_error(
        admin.post("/api/v1/trigger-runs/process", json={"action": "process"}), 400, "validation_error", "ids"
    )


def test_a_trigger_creates_a_task_through_the_tasks_service(admin):
    status = ok(admin.post("/api/v1/client-statuses", json={"name": unique("Needs call ")}), 201)
    trigger = ok(
        admin.post(
            "/api/v1/triggers",
            json={
                "name": "Call them",
                "kind": "event",
                "event": "client_status_changed",
                "status_id": status["id"],
                "action": "task",
                "task": {"title": "Call about the order", "due_in_days": 2},
            },
        ),
        201,
    )
    client = make_client(admin)
    ok(admin.patch(f"/api/v1/clients/{client['id']}", json={"status_id": status["id"]}))
    tasks = wait_for(
        lambda: ok(admin.get("/api/v1/tasks", params={"client_id": client["id"]}))["items"], bool
    )
    runs = ok(admin.get("/api/v1/trigger-runs", params={"trigger_id": trigger["id"]}))["items"]
    assert [t["title"] for t in tasks] == ["Call about the order"], [(r["status"], r["error"]) for r in runs]
    [run] = ok(admin.get("/api/v1/trigger-runs", params={"trigger_id": trigger["id"]}))["items"]
    assert run["status"] == "done" and run["result"]["task_id"] == tasks[0]["id"]


def test_trigger_bad_inputs(admin):
    assert_error(
        admin.post(
            "/api/v1/triggers", json={"name": "x", "kind": "event", "action": "email", "template_id": 1}
        ),
        400,
        "validation_error",
        "event",
    )
    assert_error(
        admin.post(
            "/api/v1/triggers",
            json={"name": "x", "kind": "date", "date_field": "birthday", "action": "email"},
        ),
        400,
        "validation_error",
        "template_id",
    )
    assert_error(
        admin.post(
            "/api/v1/triggers",
            json={
                "name": "x",
                "kind": "event",
                "event": "moon_phase",
                "action": "task",
                "task": {"title": "t"},
            },
        ),
        400,
        "validation_error",
        "event",
    )
    assert_error(
        admin.post(
            "/api/v1/triggers",
            json={
                "name": "x",
                "kind": "event",
                "event": "invoice_created",
                "action": "email",
                "template_id": 987654,
            },
        ),
        404,
        "not_found",
        "template_id",
    )


# --- form letters ---------------------------------------------------------------------------------------


def test_the_job_sheet_renders_a_session_to_pdf(stack, admin):
    client = make_client(
        admin, first_name="Finn", last_name="Hartley", phones=[{"label": "Mobile", "number": "555-0101"}]
    )
    session_id = int(uuid.uuid4().int % 1_000_000) + 2_000_000
    publish_event(
        stack.amqp_uri, "scheduling", "session_created", {"session": session_data(session_id, client["id"])}
    )
    sheet = next(
        letter
        for letter in ok(admin.get("/api/v1/form-letters"))["items"]
        if letter["builtin"] == "job_sheet"
    )

    def render():
        return admin.get(
            f"/api/v1/form-letters/{sheet['id']}/render.pdf",
            params={"record_type": "session", "record_id": str(session_id)},
        )

    response = wait_for(render, lambda r: r.status_code == 200)
    assert response.status_code == 200, response.text
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for expected in (
        "Photographer Job Sheet",
        "Finn Hartley",
        "555-0101",
        "2026-07-04",
        "15:30",
        "16:30",
        "Studio B, 12 Elm St",
        "Bring the ladder",
    ):
        assert expected in text, (expected, text)
    both = admin.get(
        f"/api/v1/form-letters/{sheet['id']}/render.pdf",
        params={"record_type": "session", "record_id": f"{session_id},{session_id}"},
    )
    assert both.status_code == 200
    assert_error(
        admin.get(
            f"/api/v1/form-letters/{sheet['id']}/render.pdf",
            params={"record_type": "session", "record_id": "99999999"},
        ),
        404,
        "not_found",
    )
    assert_error(
        admin.get(f"/api/v1/form-letters/{sheet['id']}/render.pdf", params={"record_id": "x"}),
        400,
        "validation_error",
        "record_id",
    )


def test_permissions(stack, admin):
    username = unique("u")
    ok(
        admin.post(
            "/api/v1/users",
            json={"username": username, "name": username, "roles": ["staff"], "password": "a-long-password"},
        ),
        201,
    )
    staff = stack.login(username, "a-long-password")
    assert_error(staff.get("/api/v1/settings/email"), 403, "forbidden")
    assert_error(staff.post("/api/v1/triggers", json={"name": "x"}), 403, "forbidden")
    assert staff.get("/api/v1/email-templates").status_code == 200
