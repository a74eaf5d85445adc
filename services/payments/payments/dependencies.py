"""What the payments service asks of others, and the one context flag it reads."""
import logging

import eventlet
from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)

CONFIRMED = "credentials_confirmed"


class Upstream:
    """Invoicing and clients as the domain modules ask them (tests pass a stand-in)."""

    def __init__(self, cluster):
        self._cluster = cluster

    def invoice_balance(self, invoice_id):
        return self._cluster.invoicing.invoice_balance(invoice_id)

    def credit_memo_refundable(self, memo_id):
        return self._cluster.invoicing.credit_memo_refundable(memo_id)

    def client(self, client_id):
        return self._cluster.clients.get_client(client_id)

    def clients(self, client_ids):
        return self._cluster.clients.get_clients(list(client_ids))

    def unapplied_deposits(self, client_id):
        """The notice: ``[{payment_id, amount}]``, or None if invoicing cannot say now (a notice
        never stops a payment)."""
        try:
            return self._cluster.invoicing.unapplied_deposits(client_id)["items"]
        except Exception as exc:  # noqa: BLE001 - a notice, not a condition
            log.warning("unapplied deposits of client %s unavailable: %s", client_id, exc)
            return None

    def unapplied_deposits_soon(self, client_id):
        """Ask now, in a greenthread of its own, while the payment is written; call the result
        for the answer."""
        return eventlet.spawn(self.unapplied_deposits, client_id).wait


class CredentialsConfirmed(DependencyProvider):
    """True when the gateway has just checked the caller's password (``X-Confirm-Password``)
    for this request: the security preference's second half. It travels in the nameko context
    data the gateway sets, as the caller's identity does."""

    def get_dependency(self, worker_ctx):
        return bool(worker_ctx.context_data.get(CONFIRMED))
