"""The payments nameko service: a thin shell over the domain modules."""
import base64

from eventlet import tpool
from nameko.dependency_providers import Config
from nameko.timer import timer

from proofsheet_shared import studio as studio_settings
from proofsheet_shared.cluster import ClusterRpc
from proofsheet_shared.context import CallerIdentity
from proofsheet_shared.entrypoints import rpc
from proofsheet_shared.errors import NotFound
from proofsheet_shared.outbox_bulk import BulkDispatchDatabase

from . import idempotency, listing, methods, notes, receipts, records, settings
from .dependencies import CredentialsConfirmed, Upstream
from .models import Base

READ, WRITE, CONFIGURE = "payments.read", "payments.write", "payments.configure"


class PaymentsService(studio_settings.StudioSettingsMixin):
    name = "payments"

    db = BulkDispatchDatabase(Base.metadata)
    caller = CallerIdentity()
    confirmed = CredentialsConfirmed()
    cluster = ClusterRpc()
    config = Config()

    def _actor(self):
        return records.Actor(self.caller.user_id, self.caller.request_id,
                             studio_settings.studio_today(self.studio), self.studio.currency)

    def _money_change(self):
        """Every command that creates, changes or deletes a payment or refund."""
        self.caller.require(WRITE)
        settings.check_credentials(self.db.session, self.caller, self.confirmed)

    def _client(self, client_id, field="id"):
        try:
            return self.cluster.clients.get_client(client_id)
        except NotFound:
            raise NotFound(f"client {client_id} does not exist", {field: "not found"}) from None

    def _invoice(self, invoice_id, field="invoice_id"):
        try:
            return self.cluster.invoicing.invoice_balance(invoice_id)
        except NotFound:
            raise NotFound(f"invoice {invoice_id} does not exist", {field: "not found"}) from None

    @rpc
    def ping(self):
        return "pong"

    # settings and methods
    @rpc
    def get_settings(self):
        self.caller.require(READ)
        return settings.settings_to_dict(settings.get_settings(self.db.session))

    @rpc
    def security_settings(self):
        """The gateway's question before a money-changing request (answered for any caller)."""
        return {"require_credentials": settings.get_settings(self.db.session).require_credentials}

    @rpc
    def update_settings(self, payload):
        self.caller.require(CONFIGURE)
        settings.check_credentials(self.db.session, self.caller, self.confirmed)
        return settings.update_settings(self.db.session, payload, self.caller.user_id)

    @rpc
    def list_methods(self, args=None):
        self.caller.require(READ)
        return methods.list_methods(self.db.session, args)

    @rpc
    def create_method(self, payload):
        self.caller.require(CONFIGURE)
        return methods.create_method(self.db.session, payload)

    @rpc
    def update_method(self, method_id, payload):
        self.caller.require(CONFIGURE)
        return methods.update_method(self.db.session, method_id, payload)

    # payments and refunds
    @rpc
    def create_payment(self, payload, idempotency_key=None):
        self._money_change()
        return records.create_payment(self.db, payload, self._actor(), Upstream(self.cluster),
                                      idempotency_key)

    @rpc
    def create_payments(self, payload, idempotency_key=None):
        self._money_change()
        return records.create_batch(self.db, payload, self._actor(), Upstream(self.cluster), idempotency_key)

    @rpc
    def update_payment(self, payment_id, payload):
        self._money_change()
        return records.update_payment(self.db, payment_id, payload, self._actor(), Upstream(self.cluster))

    @rpc
    def receive_payment(self, payment_id, payload=None):
        self._money_change()
        return records.receive_payment(self.db, payment_id, payload, self._actor(), Upstream(self.cluster))

    @rpc
    def void_payment(self, payment_id, payload=None):
        self._money_change()
        return records.void_payment(self.db, payment_id, payload, self._actor())

    @rpc
    def get_payment(self, payment_id):
        self.caller.require(READ)
        return listing.get_payment(self.db.session, payment_id)

    @rpc
    def list_payments(self, args=None):
        self.caller.require(READ)
        return listing.list_payments(self.db.session, args)

    @rpc
    def list_client_payments(self, client_id, args=None):
        self.caller.require(READ)
        result = listing.client_payments(self.db.session, client_id, args, self._client)
        result["currency"] = self.studio.currency
        return result

    @rpc
    def list_notes(self, payment_id):
        self.caller.require(READ)
        return notes.list_notes(self.db.session, payment_id)

    @rpc
    def amount_for(self, args):
        self.caller.require(READ)
        return listing.amount_for(self.db.session, args, self._invoice)

    @rpc
    def render_receipt_pdf(self, payment_id):
        """The receipt as a PDF, base64-encoded (RPC carries JSON)."""
        self.caller.require(READ)
        payment = listing.get_payment(self.db.session, payment_id)
        self.db.session.rollback()  # nothing to write: end the transaction before rendering
        client = self.cluster.clients.get_clients([payment["client_id"]])
        invoice = None
        if payment["invoice_id"] is not None:
            invoice = self.cluster.invoicing.invoice_balance(payment["invoice_id"])
        document = tpool.execute(receipts.render_pdf, payment, client[0] if client else None, invoice,
                                 self.studio.get())
        return base64.b64encode(document).decode("ascii")

    @timer(interval=3600)
    def forget_old_keys(self):
        """Idempotency keys older than IDEMPOTENCY_KEEP_DAYS go (hourly)."""
        idempotency.purge(self.db.session, float(self.config.get("IDEMPOTENCY_KEEP_DAYS") or 30))

    # questions other services ask
    @rpc
    def client_references(self, client_id):
        """What the clients service asks before deleting a client."""
        return listing.client_references(self.db.session, client_id)
