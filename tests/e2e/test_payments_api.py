"""Payments end to end over HTTP, with the real invoicing service following their events: each
method type with its fields and its bad inputs, the payment tools, deposits then applied,
overpayment, refunds from a credit memo, batches all or nothing, status notes, voids, future
payments, idempotent replays, 50 concurrent payments to one invoice, receipts, history."""

import io
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pypdf
import pytest
import requests

from stack import Stack, assert_error

pytestmark = pytest.mark.e2e

CASH, CHECK, CARD, OTHER = 1, 2, 3, 4  # the methods the payments migration seeds


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A stack of this module's own: payments lock the studio's currency."""
    running = Stack(tmp_path_factory.mktemp("payments-api")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(stack):
    return stack.admin


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def eventually(fetch, check, timeout=15):
    deadline = time.monotonic() + timeout
    value = fetch()
    while not check(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = fetch()
    assert check(value), value
    return value


def new_client(admin, last_name="Payer"):
    return ok(admin.post("/api/v1/clients", json={"first_name": "Penny", "last_name": last_name}), 201)


@pytest.fixture
def client(admin):
    return new_client(admin)


def invoice_of(admin, client_id, amount):
    body = {
        "client_id": client_id,
        "tax_rate_id": None,
        "lines": [{"description": "Portrait session", "unit_price": amount, "taxable": False}],
    }
    return ok(admin.post("/api/v1/invoices", json=body), 201)


def invoice(admin, invoice_id):
    return ok(admin.get(f"/api/v1/invoices/{invoice_id}"))


def pay(admin, status=201, headers=None, **body):
    body.setdefault("method_id", CASH)
    return ok(admin.post("/api/v1/payments", json=body, headers=headers), status)


def history(admin, client_id):
    return ok(admin.get(f"/api/v1/clients/{client_id}/payments"))


def test_each_method_type_with_its_fields(admin, client):
    inv = invoice_of(admin, client["id"], 50000)
    cash = pay(admin, invoice_id=inv["id"], amount=2500, amount_tendered=3000)
    assert (cash["method_type"], cash["amount_tendered"], cash["change_due"]) == ("cash", 3000, 500)
    assert cash["client_id"] == client["id"] and cash["kind"] == "payment" and cash["status"] == "recorded"
    check = pay(admin, invoice_id=inv["id"], amount=4000, method_id=CHECK, check_number="1042")
    assert (check["method_type"], check["check_number"], check["change_due"]) == ("check", "1042", None)
    card = pay(
        admin,
        invoice_id=inv["id"],
        amount=6000,
        method_id=CARD,
        card_type="visa",
        authorization_code="AUTH77",
        card_last4="4242",
        refundable=True,
        refundable_until="2030-01-31",
    )
    assert (card["card_type"], card["authorization_code"], card["card_last4"]) == ("visa", "AUTH77", "4242")
    assert (card["refundable"], card["refundable_until"], card["processor"]) == (True, "2030-01-31", "manual")
    other = pay(admin, invoice_id=inv["id"], amount=500, method_id=OTHER, payment_date="2026-01-02")
    assert other["payment_date"] == "2026-01-02" and other["method_name"] == "Other"
    got = eventually(lambda: invoice(admin, inv["id"]), lambda i: i["paid"] == 13000)
    assert got["balance"] == 37000
    # a method the studio adds is listed; a stripe method waits for its processor
    methods = ok(admin.get("/api/v1/payment-methods"))["items"]
    assert [m["type"] for m in methods][:4] == ["cash", "check", "card", "other"]
    gift = ok(
        admin.post(
            "/api/v1/payment-methods", json={"name": f"Gift card {uuid.uuid4().hex[:6]}", "type": "other"}
        ),
        201,
    )
    assert pay(admin, invoice_id=inv["id"], amount=100, method_id=gift["id"])["method_name"] == gift["name"]
    stripe = ok(
        admin.post(
            "/api/v1/payment-methods", json={"name": f"Stripe {uuid.uuid4().hex[:6]}", "type": "stripe"}
        ),
        201,
    )
    assert_error(
        admin.post(
            "/api/v1/payments", json={"invoice_id": inv["id"], "amount": 100, "method_id": stripe["id"]}
        ),
        422,
        "unprocessable",
        "method_id",
    )
    ok(admin.patch(f"/api/v1/payment-methods/{gift['id']}", json={"active": False}))
    assert_error(
        admin.post(
            "/api/v1/payments", json={"invoice_id": inv["id"], "amount": 100, "method_id": gift["id"]}
        ),
        422,
        "unprocessable",
        "method_id",
    )


@pytest.mark.parametrize(
    "body, status, code, field",
    [
        ({"amount": 1000, "amount_tendered": 999}, 400, "validation_error", "amount_tendered"),
        ({"amount": 1000, "method_id": CHECK}, 400, "validation_error", "check_number"),
        (
            {
                "amount": 1000,
                "method_id": CARD,
                "card_type": "visa",
                "authorization_code": "A",
                "card_last4": "4242424242424242",
            },
            400,
            "validation_error",
            "card_last4",
        ),
        ({"amount": 0}, 400, "validation_error", "amount"),
        ({"amount": -500}, 400, "validation_error", "amount"),
        ({"amount": 12.5}, 400, "validation_error", "amount"),
        ({"amount": 1000, "future": True}, 400, "validation_error", "due_date"),
        ({"amount": 1000, "method_id": 9999}, 404, "not_found", "method_id"),
        ({"amount": 1000, "invoice_id": 99999999}, 404, "not_found", "invoice_id"),
        ({"amount": 1000, "change_due": 0}, 400, "validation_error", "change_due"),
        ({"amount": 1000, "check_number": "12"}, 400, "validation_error", "check_number"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    admin, client, body, status, code, field
):
    inv = invoice_of(admin, client["id"], 5000)
    body = {"invoice_id": inv["id"], "method_id": CASH, **body}
    error = assert_error(admin.post("/api/v1/payments", json=body), status, code, field)
    assert "4242424242424242" not in str(error)  # a card number is never echoed
    assert history(admin, client["id"])["items"] == []


def test_percent_and_full_balance_tools(admin, client):
    inv = invoice_of(admin, client["id"], 10001)
    tool = ok(admin.get("/api/v1/payments/amount-for", params={"invoice_id": inv["id"], "percent": "50"}))
    assert (tool["amount"], tool["total"], tool["balance"]) == (5001, 10001, 10001)  # 5000.5 rounds up
    third = ok(admin.get("/api/v1/payments/amount-for", params={"invoice_id": inv["id"], "percent": "33.33"}))
    assert third["amount"] == 3333 and third["percent"] == "33.33"
    pay(admin, invoice_id=inv["id"], amount=third["amount"])
    full = ok(
        admin.get("/api/v1/payments/amount-for", params={"invoice_id": inv["id"], "full_balance": "true"})
    )
    assert full["amount"] == 10001 - 3333  # at once, before invoicing has heard of the payment
    pay(admin, invoice_id=inv["id"], amount=full["amount"])
    assert eventually(lambda: invoice(admin, inv["id"]), lambda i: i["status"] == "paid")["balance"] == 0
    for params, field in (
        ({"invoice_id": inv["id"], "percent": "101"}, "percent"),
        ({"invoice_id": inv["id"], "percent": "12.345"}, "percent"),
        ({"invoice_id": inv["id"]}, "percent"),
        ({"percent": "10"}, "invoice_id"),
    ):
        assert_error(admin.get("/api/v1/payments/amount-for", params=params), 400, "validation_error", field)
    assert_error(
        admin.get("/api/v1/payments/amount-for", params={"invoice_id": 99999999, "percent": "5"}),
        404,
        "not_found",
        "invoice_id",
    )


def test_deposit_then_apply(admin, client):
    deposit = pay(admin, client_id=client["id"], amount=15000)
    assert deposit["invoice_id"] is None
    eventually(
        lambda: ok(admin.get(f"/api/v1/clients/{client['id']}/balance")),
        lambda b: b["unapplied_deposits"] == 15000,
    )
    inv = invoice_of(admin, client["id"], 10000)
    # a payment to the invoice carries the notice of the deposit waiting to be applied
    notice = pay(admin, invoice_id=inv["id"], amount=1000)
    assert notice["unapplied_deposits"] == [{"payment_id": deposit["id"], "amount": 15000}]
    eventually(lambda: invoice(admin, inv["id"]), lambda i: i["paid"] == 1000)
    applied = ok(
        admin.post(f"/api/v1/deposits/{deposit['id']}/apply", json={"invoice_id": inv["id"], "amount": 9000}),
        201,
    )
    assert applied["invoice"]["status"] == "paid" and applied["deposit_remaining"] == 6000
    # what invoicing has applied counts against the open balance here too
    assert_error(
        admin.post("/api/v1/payments", json={"invoice_id": inv["id"], "amount": 1, "method_id": CASH}),
        422,
        "unprocessable",
        "amount",
    )


def test_overpayment_is_refused_unless_allowed_then_the_excess_is_a_deposit(admin, client):
    inv = invoice_of(admin, client["id"], 10000)
    error = assert_error(
        admin.post("/api/v1/payments", json={"invoice_id": inv["id"], "amount": 12000, "method_id": CASH}),
        422,
        "unprocessable",
        "amount",
    )
    assert "100.00" in error["fields"]["amount"]
    made = pay(admin, invoice_id=inv["id"], amount=12000, amount_tendered=12000, allow_overpayment=True)
    assert (made["amount"], made["invoice_id"], made["deposit"]["amount"]) == (10000, inv["id"], 2000)
    assert made["deposit"]["invoice_id"] is None and made["deposit"]["overpayment_of"] == made["id"]
    got = eventually(lambda: invoice(admin, inv["id"]), lambda i: i["status"] == "paid")
    assert got["balance"] == 0
    balance = eventually(
        lambda: ok(admin.get(f"/api/v1/clients/{client['id']}/balance")),
        lambda b: b["unapplied_deposits"] == 2000,
    )
    assert balance["balance"] == -2000


def test_refund_from_a_credit_memo_and_over_refund_refused(admin, client):
    memo = ok(
        admin.post(
            "/api/v1/credit-memos",
            json={
                "client_id": client["id"],
                "tax_rate_id": None,
                "lines": [{"description": "Goodwill", "unit_price": 3000, "taxable": False}],
            },
        ),
        201,
    )
    refund = pay(
        admin, kind="refund", credit_memo_id=memo["id"], amount=1000, method_id=CHECK, check_number="501"
    )
    assert (refund["kind"], refund["client_id"], refund["credit_memo_id"]) == (
        "refund",
        client["id"],
        memo["id"],
    )
    # the second refund is checked against what payments recorded, before invoicing has heard of the first
    error = assert_error(
        admin.post(
            "/api/v1/payments",
            json={"kind": "refund", "credit_memo_id": memo["id"], "amount": 2001, "method_id": CASH},
        ),
        422,
        "unprocessable",
        "amount",
    )
    assert "over-refund" in error["fields"]["amount"] and "20.00" in error["fields"]["amount"]
    got = eventually(
        lambda: ok(admin.get(f"/api/v1/credit-memos/{memo['id']}")), lambda m: m["refunded"] == 1000
    )
    assert got["remaining"] == 2000
    assert_error(
        admin.post("/api/v1/payments", json={"kind": "refund", "amount": 100, "method_id": CASH}),
        400,
        "validation_error",
        "credit_memo_id",
    )
    assert_error(
        admin.post(
            "/api/v1/payments",
            json={"kind": "refund", "credit_memo_id": 99999999, "amount": 100, "method_id": CASH},
        ),
        404,
        "not_found",
        "credit_memo_id",
    )
    assert [p["kind"] for p in history(admin, client["id"])["items"]] == ["refund"]


def test_batch_is_all_or_nothing_with_errors_per_row(admin):
    clients = [new_client(admin, f"Batch{i}") for i in range(3)]
    invoices = [invoice_of(admin, c["id"], 20000) for c in clients]
    rows = [{"invoice_id": inv["id"], "amount": 5000, "method_id": CASH} for inv in invoices]
    rows.append({"client_id": clients[0]["id"], "amount": 700, "method_id": CHECK, "check_number": "9"})
    bad = rows + [{"invoice_id": invoices[1]["id"], "amount": 100, "method_id": CHECK}]
    error = assert_error(
        admin.post("/api/v1/payments/batch", json={"payments": bad}),
        400,
        "validation_error",
        "payments.4.check_number",
    )
    over = rows + [{"invoice_id": invoices[2]["id"], "amount": 15001, "method_id": CASH}]
    error = assert_error(
        admin.post("/api/v1/payments/batch", json={"payments": over}),
        422,
        "unprocessable",
        "payments.4.amount",
    )
    assert "nothing was recorded" in error["message"]
    assert all(history(admin, c["id"])["items"] == [] for c in clients)
    made = ok(admin.post("/api/v1/payments/batch", json={"payments": rows}), 201)
    assert made["count"] == 4 and made["total"] == 15700
    assert [i["client_id"] for i in made["items"]] == [c["id"] for c in clients] + [clients[0]["id"]]
    for inv in invoices:
        got = eventually(lambda inv_id=inv["id"]: invoice(admin, inv_id), lambda i: i["paid"] == 5000)
        assert got["balance"] == 15000


def test_notes_are_written_for_each_change_and_cannot_be_changed(admin, client):
    inv = invoice_of(admin, client["id"], 9000)
    made = pay(admin, invoice_id=inv["id"], amount=3000)
    ok(
        admin.patch(
            f"/api/v1/payments/{made['id']}", json={"amount": 3500, "method_id": CHECK, "check_number": "77"}
        )
    )
    ok(admin.patch(f"/api/v1/payments/{made['id']}", json={"notes": "client asked for a receipt"}))
    voided = ok(admin.delete(f"/api/v1/payments/{made['id']}", json={"reason": "entered twice"}))
    assert voided["status"] == "void" and voided["void_reason"] == "entered twice"
    notes = ok(admin.get(f"/api/v1/payments/{made['id']}/notes"))["items"]
    assert [n["action"] for n in notes] == ["created", "updated", "updated", "voided"]
    assert all(n["user_id"] == 1 and n["at"] for n in notes)
    changed = {c["field"]: (c["from"], c["to"]) for c in notes[1]["changes"]}
    assert changed["amount"] == (3000, 3500) and changed["check_number"] == (None, "77")
    assert "amount: 30.00 → 35.00" in notes[1]["message"]
    assert "entered twice" in notes[3]["message"]
    note_path = f"/api/v1/payments/{made['id']}/notes"
    for method in ("POST", "PATCH", "PUT", "DELETE"):
        assert admin.request(method, note_path, json={}).status_code == 405
        assert admin.request(method, f"{note_path}/{notes[0]['id']}", json={}).status_code in (404, 405)
    assert ok(admin.get(note_path))["items"] == notes
    assert_error(
        admin.patch(f"/api/v1/payments/{made['id']}", json={"amount": 1}), 422, "unprocessable", "id"
    )
    assert_error(admin.get("/api/v1/payments/99999999/notes"), 404, "not_found")


def test_void_restores_the_invoice_balance(admin, client):
    inv = invoice_of(admin, client["id"], 8000)
    made = pay(admin, invoice_id=inv["id"], amount=8000)
    eventually(lambda: invoice(admin, inv["id"]), lambda i: i["status"] == "paid")
    voided = ok(admin.delete(f"/api/v1/payments/{made['id']}"))
    assert voided["status"] == "void"
    got = eventually(lambda: invoice(admin, inv["id"]), lambda i: i["status"] == "open")
    assert (got["paid"], got["balance"]) == (0, 8000)
    assert ok(admin.get(f"/api/v1/payments/{made['id']}"))["status"] == "void"  # still visible
    again = ok(admin.delete(f"/api/v1/payments/{made['id']}"))
    assert again["version"] == voided["version"]
    pay(admin, invoice_id=inv["id"], amount=8000)  # the open balance is back


def test_future_payment_counts_once_received(admin, client):
    inv = invoice_of(admin, client["id"], 6000)
    future = pay(admin, invoice_id=inv["id"], amount=2000, future=True, due_date="2030-03-01")
    assert (future["status"], future["future"]) == ("future", True)
    due = ok(
        admin.get(
            "/api/v1/payments",
            params={"future": "true", "due_before": "2030-03-01", "client_id": client["id"]},
        )
    )["items"]
    assert [p["id"] for p in due] == [future["id"]]
    assert (
        ok(
            admin.get(
                "/api/v1/payments",
                params={"future": "true", "due_before": "2030-02-28", "client_id": client["id"]},
            )
        )["items"]
        == []
    )
    time.sleep(1)
    assert invoice(admin, inv["id"])["paid"] == 0  # promised, not paid
    received = ok(admin.post(f"/api/v1/payments/{future['id']}/receive", json={}))
    assert (received["status"], received["future"]) == ("recorded", False) and received["received_at"]
    eventually(lambda: invoice(admin, inv["id"]), lambda i: i["paid"] == 2000)
    assert_error(admin.post(f"/api/v1/payments/{future['id']}/receive", json={}), 422, "unprocessable", "id")
    assert [n["action"] for n in ok(admin.get(f"/api/v1/payments/{future['id']}/notes"))["items"]] == [
        "created",
        "received",
    ]


def test_idempotent_replay_and_conflicting_reuse(admin, client):
    inv = invoice_of(admin, client["id"], 10000)
    key = {"Idempotency-Key": f"pay-{uuid.uuid4().hex}"}
    body = {"invoice_id": inv["id"], "amount": 4000, "method_id": CASH}
    first = pay(admin, headers=key, **body)
    again = pay(admin, headers=key, **body)
    assert again == first
    assert_error(
        admin.post("/api/v1/payments", json=dict(body, amount=4001), headers=key),
        409,
        "conflict",
        "Idempotency-Key",
    )
    assert len(history(admin, client["id"])["items"]) == 1
    batch_key = {"Idempotency-Key": f"batch-{uuid.uuid4().hex}"}
    rows = {"payments": [body, dict(body, amount=1000)]}
    made = ok(admin.post("/api/v1/payments/batch", json=rows, headers=batch_key), 201)
    assert ok(admin.post("/api/v1/payments/batch", json=rows, headers=batch_key), 201) == made
    assert_error(
        admin.post("/api/v1/payments/batch", json={"payments": [body]}, headers=batch_key), 409, "conflict"
    )
    assert len(history(admin, client["id"])["items"]) == 3
    assert_error(
        admin.post("/api/v1/payments", json=body, headers={"Idempotency-Key": "x" * 256}),
        400,
        "validation_error",
        "Idempotency-Key",
    )


def test_fifty_concurrent_payments_to_one_invoice(stack, admin, client):
    inv = invoice_of(admin, client["id"], 100000)

    def attempt(i):  # a connection of its own each, as 50 counters would
        return requests.post(
            f"{stack.url}/api/v1/payments",
            headers={"Authorization": f"Bearer {admin.token}"},
            json={"invoice_id": inv["id"], "amount": 3000, "method_id": CASH, "notes": f"counter {i}"},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(attempt, range(50)))
    unexpected = [(r.status_code, r.text) for r in responses if r.status_code not in (201, 422)]
    assert not unexpected
    recorded = [r.json() for r in responses if r.status_code == 201]
    assert len(recorded) == 33  # 33 × 30.00 fit in 1,000.00; the rest would overpay
    total = sum(p["amount"] for p in recorded)
    got = eventually(lambda: invoice(admin, inv["id"]), lambda i: i["paid"] == total, timeout=30)
    assert got["balance"] == got["total"] - total == 1000
    listed = ok(admin.get("/api/v1/payments", params={"invoice_id": inv["id"], "limit": 100}))["items"]
    assert sum(p["amount"] for p in listed if p["status"] == "recorded") == total


def test_receipt_pdf_and_history_and_hub_filters(admin):
    client = ok(
        admin.post(
            "/api/v1/clients",
            json={
                "first_name": "Rita",
                "last_name": "Receipt",
                "address": {"line1": "9 Shutter Lane", "city": "Lensville"},
            },
        ),
        201,
    )
    inv = invoice_of(admin, client["id"], 12345)
    made = pay(
        admin,
        invoice_id=inv["id"],
        amount=2345,
        method_id=CARD,
        card_type="visa",
        authorization_code="OK123",
        card_last4="1881",
        payment_date="2026-02-03",
    )
    response = admin.get(f"/api/v1/payments/{made['id']}/receipt.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "23.45" in text and made["payment_number"] in text and "Receipt" in text
    assert "9 Shutter Lane" in text and inv["invoice_number"] in text and "1881" in text
    assert_error(admin.get("/api/v1/payments/99999999/receipt.pdf"), 404, "not_found")
    deposit = pay(admin, client_id=client["id"], amount=500, payment_date="2026-03-01")
    page = history(admin, client["id"])
    assert [p["id"] for p in page["items"]] == [deposit["id"], made["id"]]
    assert (page["paid"], page["refunded"], page["currency"]) == (2845, 0, made["currency"])
    hub = ok(admin.get("/api/v1/payments", params={"client_id": client["id"], "method_id": CARD}))["items"]
    assert [p["id"] for p in hub] == [made["id"]]
    dated = ok(
        admin.get(
            "/api/v1/payments", params={"client_id": client["id"], "from": "2026-02-01", "to": "2026-02-28"}
        )
    )["items"]
    assert [p["id"] for p in dated] == [made["id"]]
    first = ok(admin.get("/api/v1/payments", params={"client_id": client["id"], "limit": 1}))
    rest = ok(
        admin.get(
            "/api/v1/payments", params={"client_id": client["id"], "limit": 1, "cursor": first["next_cursor"]}
        )
    )
    assert [p["id"] for p in first["items"] + rest["items"]] == [deposit["id"], made["id"]]
    assert_error(admin.get("/api/v1/clients/99999999/payments"), 404, "not_found")
    # a client with payments cannot be deleted
    error = assert_error(admin.delete(f"/api/v1/clients/{client['id']}"), 409, "conflict")
    assert "payments" in error["message"]


def test_staff_may_record_but_not_configure(stack, admin, client):
    ok(
        admin.post(
            "/api/v1/users",
            json={
                "username": "clerk",
                "name": "Counter Clerk",
                "roles": ["staff"],
                "password": "clerk-password-1",
            },
        ),
        201,
    )
    clerk = stack.login("clerk", "clerk-password-1")
    inv = invoice_of(admin, client["id"], 1000)
    assert pay(clerk, invoice_id=inv["id"], amount=1000)["created_by"] != 1
    assert_error(
        clerk.post("/api/v1/payment-methods", json={"name": "Barter", "type": "other"}), 403, "forbidden"
    )
    assert_error(
        clerk.patch("/api/v1/settings/payments", json={"require_credentials": True}), 403, "forbidden"
    )
    assert ok(clerk.get("/api/v1/settings/payments"))["require_credentials"] is False


def test_openapi_describes_the_payments_api(stack):
    spec = requests.get(f"{stack.url}/api/v1/openapi.json", timeout=10).json()
    for path in (
        "/api/v1/payments",
        "/api/v1/payments/{payment_id}",
        "/api/v1/payments/batch",
        "/api/v1/payments/{payment_id}/notes",
        "/api/v1/payments/{payment_id}/receipt.pdf",
        "/api/v1/clients/{client_id}/payments",
        "/api/v1/payments/amount-for",
        "/api/v1/payment-methods",
        "/api/v1/settings/payments",
    ):
        assert path in spec["paths"], path
    assert {"get", "patch", "delete"} <= set(spec["paths"]["/api/v1/payments/{payment_id}"])
    assert "PaymentIn" in spec["components"]["schemas"]
