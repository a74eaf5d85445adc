"""The invoicing service over RabbitMQ and PostgreSQL, called as the gateway calls it: errors
arrive as their own types, numbering and coupon uses hold under concurrency, payment events
are handled once and concurrent ones on one invoice all count, events go out after commit."""

import time

import pytest
import sqlalchemy as sa
from nameko.standalone.rpc import ClusterRpcProxy

from proofsheet_shared import testing
from proofsheet_shared.errors import Forbidden, NotFound, Unprocessable, ValidationError

from .conftest import publish


def scalar(url, sql, **params):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def setup_catalog(rpc):
    rate = rpc.invoicing.create_tax_rate({"name": "Tax", "rate_basis_points": 825})
    rpc.invoicing.update_settings({"default_tax_rate_id": rate["id"], "invoice_number_prefix": "T-"})
    plist = rpc.invoicing.create_price_list({"name": "Main"})
    item = rpc.invoicing.create_price_list_item(
        {"price_list_id": plist["id"], "code": "PRINT", "name": "Print", "price": 2499}
    )
    return plist, item


def wait_for(fetch, check, timeout=10):
    deadline = time.monotonic() + timeout
    value = fetch()
    while not check(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = fetch()
    return value


def test_invoice_over_rpc_and_errors_as_their_own_types(invoicing_container, rpc, invoicing_config):
    assert rpc.invoicing.ping() == "pong"
    _, item = setup_catalog(rpc)
    invoice = rpc.invoicing.create_invoice(
        {"client_id": 1, "lines": [{"item_id": item["id"], "quantity": 3}]}
    )
    assert (invoice["invoice_number"], invoice["total"], invoice["currency"]) == ("T-1000", 8116, "usd")
    assert rpc.invoicing.get_invoice(invoice["id"])["lines"][0]["tax"] == 619
    with pytest.raises(NotFound) as err:
        rpc.invoicing.create_invoice({"client_id": 99, "lines": [{"item_id": item["id"]}]})
    assert err.value.fields == {"client_id": "not found"}
    with pytest.raises(ValidationError) as err:
        rpc.invoicing.create_invoice({"client_id": 1, "lines": [{"description": "x", "unit_price": 9.99}]})
    assert list(err.value.fields) == ["lines.0.unit_price"]
    with pytest.raises(Unprocessable) as err:
        rpc.invoicing.create_invoice(
            {"client_id": 1, "coupon_code": "NONE", "lines": [{"item_id": item["id"]}]}
        )
    assert err.value.fields["coupon_code"].startswith("unknown:")
    with ClusterRpcProxy(
        invoicing_config, context_data=testing.rpc_context(permissions=["invoicing.read"])
    ) as ro:
        with pytest.raises(Forbidden):
            ro.invoicing.create_invoice({"client_id": 1, "lines": [{"item_id": item["id"]}]})
    assert rpc.invoicing.get_settings()["next_invoice_number"] == 1001
    assert rpc.invoicing.client_references(1) == {"invoices": 1, "credit_memos": 0}


def test_concurrent_creates_get_distinct_gap_free_numbers(invoicing_container, rpc):
    _, item = setup_catalog(rpc)
    replies = [
        rpc.invoicing.create_invoice.call_async({"client_id": 1 + i % 2, "lines": [{"item_id": item["id"]}]})
        for i in range(30)
    ]
    numbers = sorted(int(reply.result()["invoice_number"][2:]) for reply in replies)
    assert numbers == list(range(1000, 1030))
    assert rpc.invoicing.get_settings()["next_invoice_number"] == 1030


def test_a_failed_create_gives_its_number_back(invoicing_container, rpc, pg_url):
    _, item = setup_catalog(rpc)
    rpc.invoicing.create_invoice({"client_id": 1, "lines": [{"item_id": item["id"]}]})
    with pytest.raises(NotFound):
        rpc.invoicing.create_invoice({"client_id": 1, "lines": [{"item_id": 12345}]})
    assert (
        rpc.invoicing.create_invoice({"client_id": 1, "lines": [{"item_id": item["id"]}]})["invoice_number"]
        == "T-1001"
    )
    assert scalar(pg_url, "SELECT count(*) FROM invoices") == 2


def test_the_last_coupon_use_is_taken_once(invoicing_container, rpc):
    plist, item = setup_catalog(rpc)
    rpc.invoicing.create_price_list_item(
        {
            "price_list_id": plist["id"],
            "code": "P",
            "name": "Last one",
            "item_type": "promotional",
            "promotion": {"coupon_code": "LAST", "amount_off": 100, "max_uses": 2},
        }
    )
    replies = [
        rpc.invoicing.create_invoice.call_async(
            {"client_id": 1, "coupon_code": "LAST", "lines": [{"item_id": item["id"]}]}
        )
        for _ in range(12)
    ]
    won, refused = [], []
    for reply in replies:
        try:
            won.append(reply.result())
        except Unprocessable as exc:
            refused.append(exc)
    assert len(won) == 2 and len(refused) == 10
    assert all(e.fields["coupon_code"].startswith("used_up:") for e in refused)
    promo = rpc.invoicing.list_price_list_items({"item_type": "promotional"})["items"][0]
    assert promo["promotion"]["uses"] == 2
    assert sorted(int(w["invoice_number"][2:]) for w in won) == [1000, 1001]  # refused ones took no number


def test_payment_events_once_per_id_and_concurrent_ones_all_count(invoicing_container, rpc, invoicing_config):
    invoice = rpc.invoicing.create_invoice(
        {"client_id": 1, "tax_rate_id": None, "lines": [{"description": "Big job", "unit_price": 100000}]}
    )
    uri = invoicing_config["AMQP_URI"]
    first = {"payment": {"id": 1, "client_id": 1, "invoice_id": invoice["id"], "amount": 1000}}
    event_id = publish(uri, "payments", "payment_recorded", first)
    publish(uri, "payments", "payment_recorded", first, event_id=event_id)
    for payment_id in range(2, 22):  # twenty more at once, all on the same invoice
        publish(
            uri,
            "payments",
            "payment_recorded",
            {"payment": {"id": payment_id, "client_id": 1, "invoice_id": invoice["id"], "amount": 1000}},
        )
    got = wait_for(lambda: rpc.invoicing.get_invoice(invoice["id"]), lambda i: i["paid"] >= 21000)
    time.sleep(0.5)
    got = rpc.invoicing.get_invoice(invoice["id"])
    assert (got["paid"], got["balance"]) == (21000, 79000)
    publish(
        uri,
        "payments",
        "refund_recorded",
        {"refund": {"id": 99, "client_id": 1, "invoice_id": invoice["id"], "amount": 500}},
    )
    got = wait_for(lambda: rpc.invoicing.get_invoice(invoice["id"]), lambda i: i["refunded"] == 500)
    assert (got["paid"], got["balance"]) == (20500, 79500)
    assert rpc.invoicing.invoice_balance(invoice["id"])["balance"] == 79500


def test_concurrent_applications_of_one_deposit_never_overdraw_it(invoicing_container, rpc, invoicing_config):
    publish(
        invoicing_config["AMQP_URI"],
        "payments",
        "payment_recorded",
        {"payment": {"id": 500, "client_id": 2, "amount": 5000}},
    )
    wait_for(lambda: rpc.invoicing.unapplied_deposits(2), lambda d: d["total"] == 5000)
    invoices = [
        rpc.invoicing.create_invoice(
            {"client_id": 2, "tax_rate_id": None, "lines": [{"description": "x", "unit_price": 2000}]}
        )
        for _ in range(5)
    ]
    replies = [
        rpc.invoicing.apply_deposit.call_async(500, {"invoice_id": inv["id"], "amount": 2000})
        for inv in invoices
    ]
    results = []
    for reply in replies:
        try:
            results.append(reply.result())
        except Unprocessable as exc:
            results.append(exc)
    assert sum(1 for r in results if isinstance(r, dict)) == 2
    assert all("left on the deposit" in r.fields["amount"] for r in results if not isinstance(r, dict))
    assert rpc.invoicing.unapplied_deposits(2)["total"] == 1000
    assert rpc.invoicing.get_client_balance(2)["balance"] == 10000 - 5000


def test_events_are_published_after_commit(invoicing_container, rpc, event_tap, pg_url):
    tap = event_tap()
    _, item = setup_catalog(rpc)
    invoice = rpc.invoicing.create_invoice({"client_id": 1, "lines": [{"item_id": item["id"]}]})
    event = tap.get(timeout=5)
    assert event["type"] == "invoicing.invoice_created"
    assert event["data"]["invoice"]["id"] == invoice["id"]
    assert scalar(pg_url, "SELECT count(*) FROM invoices WHERE id = :id", id=invoice["id"]) == 1
    rpc.invoicing.void_invoice(invoice["id"])
    assert tap.get(timeout=5)["type"] == "invoicing.invoice_voided"
    with pytest.raises(NotFound):
        rpc.invoicing.create_invoice({"client_id": 77, "lines": [{"item_id": item["id"]}]})
    memo = rpc.invoicing.create_credit_memo(
        {"client_id": 1, "lines": [{"description": "c", "unit_price": 100}]}
    )
    event = tap.get(timeout=5)
    assert (event["type"], event["data"]["credit_memo"]["id"]) == (
        "invoicing.credit_memo_created",
        memo["id"],
    )
    assert tap.drain(timeout=0.5) == []


def test_pdf_over_rpc(invoicing_container, rpc):
    import base64
    import io

    import pypdf

    _, item = setup_catalog(rpc)
    ids = [
        rpc.invoicing.create_invoice({"client_id": c, "lines": [{"item_id": item["id"]}]})["id"]
        for c in (1, 2)
    ]
    document = base64.b64decode(rpc.invoicing.render_invoices_pdf(ids))
    pages = pypdf.PdfReader(io.BytesIO(document)).pages
    assert len(pages) == 2
    assert "Integration Studio" in pages[0].extract_text() and "12 Analytical Way" in pages[0].extract_text()
