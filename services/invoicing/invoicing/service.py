"""The invoicing nameko service: a thin shell over the domain modules."""
import base64

import eventlet
from eventlet import tpool

from proofsheet_shared import studio as studio_settings
from proofsheet_shared.cluster import ClusterRpc
from proofsheet_shared.context import CallerIdentity
from proofsheet_shared.db import Database
from proofsheet_shared.entrypoints import event_handler, rpc
from proofsheet_shared.errors import NotFound, ValidationError

from . import catalog, invoices, ledger, memos, pdf, reports
from .models import Base

READ, WRITE, CONFIGURE = "invoicing.read", "invoicing.write", "invoicing.configure"
PRINT_MAX = 200


class InvoicingService(studio_settings.StudioSettingsMixin):
    name = "invoicing"

    db = Database(Base.metadata)
    caller = CallerIdentity()
    cluster = ClusterRpc()

    def _today(self):
        return studio_settings.studio_today(self.studio)

    def _client(self, client_id, field="client_id"):
        """The client from the clients service; NotFound naming ``field`` if there is none."""
        try:
            return self.cluster.clients.get_client(client_id)
        except NotFound:
            raise NotFound(f"client {client_id} does not exist", {field: "not found"}) from None

    def _client_soon(self, payload):
        """A client lookup whose answer is already on its way: the clients service is asked at
        once, in its own greenthread, while the invoice is checked and computed."""
        client_id = payload.get("client_id") if isinstance(payload, dict) else None
        if isinstance(client_id, bool) or not isinstance(client_id, int) or client_id < 1:
            return self._client

        def ask():
            try:
                return self._client(client_id), None
            except Exception as exc:  # noqa: BLE001 - raised where the answer is used
                return None, exc

        pending = eventlet.spawn(ask)

        def lookup(wanted, field="client_id"):
            if wanted != client_id:
                return self._client(wanted, field)
            client, error = pending.wait()
            if error is not None:
                raise error
            return client
        return lookup

    @rpc
    def ping(self):
        return "pong"

    # settings, tax rates, price lists
    @rpc
    def get_settings(self):
        self.caller.require(READ)
        return catalog.settings_to_dict(catalog.get_settings(self.db.session))

    @rpc
    def update_settings(self, payload):
        self.caller.require(CONFIGURE)
        return catalog.update_settings(self.db.session, payload)

    @rpc
    def list_tax_rates(self):
        self.caller.require(READ)
        return catalog.list_tax_rates(self.db.session)

    @rpc
    def create_tax_rate(self, payload):
        self.caller.require(CONFIGURE)
        return catalog.create_tax_rate(self.db.session, payload)

    @rpc
    def update_tax_rate(self, rate_id, payload):
        self.caller.require(CONFIGURE)
        return catalog.update_tax_rate(self.db.session, rate_id, payload)

    @rpc
    def list_price_lists(self):
        self.caller.require(READ)
        return catalog.list_price_lists(self.db.session)

    @rpc
    def create_price_list(self, payload):
        self.caller.require(CONFIGURE)
        return catalog.create_price_list(self.db.session, payload)

    @rpc
    def list_price_list_groups(self, price_list_id):
        self.caller.require(READ)
        return catalog.list_groups(self.db.session, price_list_id)

    @rpc
    def create_price_list_group(self, price_list_id, payload):
        self.caller.require(CONFIGURE)
        return catalog.create_group(self.db.session, price_list_id, payload)

    @rpc
    def list_price_list_items(self, args):
        self.caller.require(READ)
        return catalog.list_items(self.db.session, args)

    @rpc
    def get_price_list_item(self, item_id):
        self.caller.require(READ)
        return catalog.item_to_dict(catalog.get_item(self.db.session, item_id))

    @rpc
    def create_price_list_item(self, payload):
        self.caller.require(CONFIGURE)
        return catalog.create_item(self.db.session, payload)

    @rpc
    def update_price_list_item(self, item_id, payload):
        self.caller.require(CONFIGURE)
        return catalog.update_item(self.db.session, item_id, payload)

    # invoices
    @rpc
    def create_invoice(self, payload):
        self.caller.require(WRITE)
        return invoices.create_invoice(self.db, payload, self.caller.user_id, self._today(),
                                       self.studio.currency, self._client_soon(payload))

    @rpc
    def update_invoice(self, invoice_id, payload):
        self.caller.require(WRITE)
        return invoices.update_invoice(self.db, invoice_id, payload, self.caller.user_id, self._today(),
                                       self.studio.currency, self._client)

    @rpc
    def void_invoice(self, invoice_id):
        self.caller.require(WRITE)
        return invoices.void_invoice(self.db, invoice_id, self.caller.user_id)

    @rpc
    def get_invoice(self, invoice_id):
        self.caller.require(READ)
        return invoices.get_invoice(self.db.session, invoice_id)

    @rpc
    def list_invoices(self, args):
        self.caller.require(READ)
        return invoices.list_invoices(self.db.session, args)

    @rpc
    def render_invoices_pdf(self, invoice_ids):
        """A PDF of these invoices, one per page, base64-encoded (RPC carries JSON)."""
        self.caller.require(READ)
        ids = _ids(invoice_ids)
        found = invoices.get_invoices(self.db.session, ids)
        missing = sorted(set(ids) - {i["id"] for i in found})
        if missing:
            raise NotFound(f"invoice {missing[0]} does not exist", {"ids": f"not found: {missing}"})
        self.db.session.rollback()  # nothing to write: end the transaction before rendering
        client_ids = sorted({i["client_id"] for i in found})
        clients = {c["id"]: c for c in self.cluster.clients.get_clients(client_ids)}
        document = tpool.execute(pdf.render_pdf, found, clients, self.studio.get())
        return base64.b64encode(document).decode("ascii")

    # credit memos
    @rpc
    def create_credit_memo(self, payload):
        self.caller.require(WRITE)
        return memos.create_credit_memo(self.db, payload, self.caller.user_id, self._today(),
                                        self.studio.currency, self._client)

    @rpc
    def get_credit_memo(self, memo_id):
        self.caller.require(READ)
        return memos.get_credit_memo(self.db.session, memo_id)

    @rpc
    def list_credit_memos(self, args):
        self.caller.require(READ)
        return memos.list_credit_memos(self.db.session, args)

    # deposits and balances
    @rpc
    def apply_deposit(self, payment_id, payload, idempotency_key=None):
        self.caller.require(WRITE)
        return ledger.apply_deposit(self.db, payment_id, payload, self.caller.user_id, idempotency_key)

    @rpc
    def get_client_balance(self, client_id):
        self.caller.require(READ)
        balance = ledger.client_balance(self.db.session, client_id)
        if not balance.pop("known"):
            self._client(client_id, field="id")  # nothing here: 404 unless the client exists
        balance["currency"] = self.studio.currency
        return balance

    # reports
    @rpc
    def report_balances(self):
        self.caller.require(READ)
        return dict(reports.balances(self.db.session), currency=self.studio.currency)

    @rpc
    def report_aging(self, args):
        self.caller.require(READ)
        return dict(reports.aging(self.db.session, args, self._today()), currency=self.studio.currency)

    @rpc
    def report_services(self, args):
        self.caller.require(READ)
        return dict(reports.services(self.db.session, args), currency=self.studio.currency)

    # questions other services ask (answered for any caller: amounts only, nothing personal)
    @rpc
    def invoice_balance(self, invoice_id):
        """The payments service, before accepting a payment against an invoice."""
        invoice = invoices.get_invoice_row(self.db.session, invoice_id, field="invoice_id")
        return {"invoice_id": invoice.id, "invoice_number": invoice.invoice_number,
                "client_id": invoice.client_id, "status": invoice.status, "currency": invoice.currency,
                "total": invoice.total, "paid": invoice.paid, "credited": invoice.credited,
                "balance": invoice.balance}

    @rpc
    def credit_memo_refundable(self, credit_memo_id):
        """The payments service, before recording a refund from a credit memo."""
        return memos.refundable(self.db.session, credit_memo_id)

    @rpc
    def unapplied_deposits(self, client_id):
        """Credit on account (scheduling's pre-payment rule, payments' notice)."""
        items = ledger.unapplied_deposits(self.db.session, client_id)
        return {"client_id": client_id, "items": items, "total": sum(i["amount"] for i in items)}

    @rpc
    def client_references(self, client_id):
        """What the clients service asks before deleting a client."""
        return ledger.client_references(self.db.session, client_id)

    # the payments service's facts
    @event_handler("payments", "payment_recorded")
    def on_payment_recorded(self, envelope):
        ledger.apply_payment_event(self.db, "payment_recorded", envelope.get("data"))

    @event_handler("payments", "payment_updated")
    def on_payment_updated(self, envelope):
        ledger.apply_payment_event(self.db, "payment_updated", envelope.get("data"))

    @event_handler("payments", "payment_voided")
    def on_payment_voided(self, envelope):
        ledger.apply_payment_event(self.db, "payment_voided", envelope.get("data"))

    @event_handler("payments", "refund_recorded")
    def on_refund_recorded(self, envelope):
        ledger.apply_payment_event(self.db, "refund_recorded", envelope.get("data"))


def _ids(values):
    if isinstance(values, (str, int)):
        values = str(values).split(",")
    try:
        ids = [int(str(v).strip()) for v in values if str(v).strip()]
    except ValueError:
        raise ValidationError("ids must be invoice ids separated by commas",
                              {"ids": "not a list of ids"}) from None
    if not ids or len(ids) > PRINT_MAX or min(ids) < 1:
        raise ValidationError(f"give 1 to {PRINT_MAX} invoice ids", {"ids": f"1 to {PRINT_MAX} ids"})
    return list(dict.fromkeys(ids))
