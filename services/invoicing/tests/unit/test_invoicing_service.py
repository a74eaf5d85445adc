"""The nameko service class as a thin shell: permissions, the client check, the payment
event handlers, and the PDF, with nameko's ``worker_factory`` (dependencies replaced)."""

import base64
import io
import types
from unittest import mock

import pypdf
import pytest
from nameko.testing.services import worker_factory

from invoicing.service import InvoicingService
from proofsheet_shared.context import Identity
from proofsheet_shared.errors import Forbidden, NotFound, ValidationError

from .conftest import CLIENTS

STUDIO = types.SimpleNamespace(
    time_zone="UTC", currency="usd", get=lambda: {"name": "Test Studio", "address": {}, "currency": "usd"}
)


def make_service(db, permissions=("*",)):
    cluster = mock.MagicMock()

    def get_client(client_id):
        if client_id not in CLIENTS:
            raise NotFound(f"client {client_id} does not exist", {"id": "not found"})
        return CLIENTS[client_id]

    cluster.clients.get_client.side_effect = get_client
    cluster.clients.get_clients.side_effect = lambda ids: [CLIENTS[i] for i in ids if i in CLIENTS]
    return worker_factory(
        InvoicingService,
        db=db,
        caller=Identity(5, frozenset(permissions), "req-1"),
        studio=STUDIO,
        cluster=cluster,
    )


def test_invoice_round_trip_and_the_client_check(db, shop):
    service = make_service(db)
    created = service.create_invoice(
        {"client_id": 1, "lines": [{"description": "Sitting", "unit_price": 5000}]}
    )
    assert created["currency"] == "usd" and created["total"] == 5413
    assert service.get_invoice(created["id"])["id"] == created["id"]
    with pytest.raises(NotFound) as err:
        service.create_invoice({"client_id": 77, "lines": [{"description": "x", "unit_price": 1}]})
    assert err.value.fields == {"client_id": "not found"}
    assert service.client_references(1) == {"invoices": 1, "credit_memos": 0}
    assert service.invoice_balance(created["id"])["balance"] == 5413
    with pytest.raises(NotFound) as err:
        service.invoice_balance(999)
    assert err.value.fields == {"invoice_id": "not found"}


def test_balance_of_an_unknown_client_is_404_and_of_a_known_one_zero(db):
    service = make_service(db)
    with pytest.raises(NotFound) as err:
        service.get_client_balance(77)
    assert err.value.fields == {"id": "not found"}
    assert service.get_client_balance(2) == {
        "client_id": 2,
        "invoiced": 0,
        "paid": 0,
        "credit": 0,
        "unapplied_deposits": 0,
        "balance": 0,
        "currency": "usd",
    }


def test_payment_handlers_and_deposit_notice(db, shop):
    service = make_service(db)
    invoice = service.create_invoice(
        {"client_id": 1, "lines": [{"description": "x", "unit_price": 1000, "taxable": False}]}
    )
    envelope = {
        "id": "e-1",
        "type": "payments.payment_recorded",
        "data": {"payment": {"id": 3, "client_id": 1, "invoice_id": invoice["id"], "amount": 1000}},
    }
    service.on_payment_recorded(envelope)
    service.on_payment_recorded(envelope)  # the same event id: claimed once
    assert service.get_invoice(invoice["id"])["status"] == "paid"
    service.on_payment_recorded({"id": "e-2", "data": {"payment": {"id": 4, "client_id": 1, "amount": 700}}})
    assert service.unapplied_deposits(1) == {
        "client_id": 1,
        "items": [{"payment_id": 4, "amount": 700}],
        "total": 700,
    }
    service.on_refund_recorded(
        {
            "id": "e-3",
            "data": {"refund": {"id": 5, "client_id": 1, "invoice_id": invoice["id"], "amount": 200}},
        }
    )
    assert service.get_invoice(invoice["id"])["balance"] == 200
    service.on_payment_voided({"id": "e-4", "data": {"payment": {"id": 4}}})
    assert service.unapplied_deposits(1)["total"] == 0


def test_pdf_is_base64_of_a_pdf(db, shop):
    service = make_service(db)
    ids = [
        service.create_invoice({"client_id": c, "lines": [{"description": "x", "unit_price": 1000}]})["id"]
        for c in (1, 2)
    ]
    document = base64.b64decode(service.render_invoices_pdf(ids))
    assert len(pypdf.PdfReader(io.BytesIO(document)).pages) == 2
    with pytest.raises(NotFound):
        service.render_invoices_pdf([ids[0], 999])
    with pytest.raises(ValidationError):
        service.render_invoices_pdf("1,x")
    with pytest.raises(ValidationError):
        service.render_invoices_pdf(list(range(1, 300)))


@pytest.mark.parametrize(
    "method, args, permission",
    [
        ("create_invoice", ({},), "invoicing.write"),
        ("update_invoice", (1, {}), "invoicing.write"),
        ("void_invoice", (1,), "invoicing.write"),
        ("get_invoice", (1,), "invoicing.read"),
        ("list_invoices", ({},), "invoicing.read"),
        ("render_invoices_pdf", ([1],), "invoicing.read"),
        ("create_credit_memo", ({},), "invoicing.write"),
        ("apply_deposit", (1, {}), "invoicing.write"),
        ("get_client_balance", (1,), "invoicing.read"),
        ("report_aging", ({},), "invoicing.read"),
        ("create_tax_rate", ({},), "invoicing.configure"),
        ("create_price_list", ({},), "invoicing.configure"),
        ("create_price_list_item", ({},), "invoicing.configure"),
        ("update_price_list_item", (1, {}), "invoicing.configure"),
        ("update_settings", ({},), "invoicing.configure"),
    ],
)
def test_permissions_are_required(db, method, args, permission):
    service = make_service(db, permissions=("invoicing.nothing",))
    with pytest.raises(Forbidden) as err:
        getattr(service, method)(*args)
    assert err.value.fields == {"permission": permission}
    assert db.events == []
