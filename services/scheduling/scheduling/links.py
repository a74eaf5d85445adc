"""What a booking needs to know from other services: its staff (staff service), its client
(clients service), the client's credit on account and the price-list items of a session
type (invoicing).

Domain functions take a ``links`` object, so they can be tested without a broker
(:class:`FixedLinks`); the service passes :class:`ClusterLinks`, which asks as the caller.
"""

import eventlet

from proofsheet_shared.errors import NotFound


class ClusterLinks:
    def __init__(self, cluster):
        self.cluster = cluster

    def staff(self, user_ids):
        """``{id: staff}`` of the given ids that are staff users (inactive ones too)."""
        if not user_ids:
            return {}
        found = self.cluster.staff.get_staff_many(sorted(user_ids))
        return {int(k): v for k, v in (found or {}).items()}

    def client(self, client_id):
        try:
            return self.cluster.clients.get_client(client_id)
        except NotFound:
            raise NotFound(f"client {client_id} does not exist", {"client_id": "not found"}) from None

    def credit_on_account(self, client_id):
        return int(self.cluster.invoicing.unapplied_deposits(client_id).get("total") or 0)

    def check_price_items(self, item_ids):
        for index, item_id in enumerate(item_ids):
            try:
                self.cluster.invoicing.get_price_list_item(item_id)
            except NotFound:
                raise NotFound(
                    f"price-list item {item_id} does not exist", {f"price_item_ids.{index}": "not found"}
                ) from None

    def soon(self, fn, *args):
        """Ask now, in a greenthread; ``.wait()`` gives the answer (or raises its error)."""
        return eventlet.spawn(fn, *args)


class _Done:
    def __init__(self, fn, args):
        try:
            self.value, self.error = fn(*args), None
        except Exception as exc:  # noqa: BLE001 - raised by wait(), as a greenthread would
            self.value, self.error = None, exc

    def wait(self):
        if self.error is not None:
            raise self.error
        return self.value


class FixedLinks:
    """Known staff, clients, credit and price items, for tests and tools."""

    def __init__(self, staff=(), clients=None, credit=None, items=()):
        self.staff_rows = {}
        for entry in staff:
            row = entry if isinstance(entry, dict) else {"id": entry, "active": True}
            self.staff_rows[row["id"]] = row
        self.clients = dict(clients or {})
        self.credit = dict(credit or {})
        self.items = set(items)
        self.calls = []

    def staff(self, user_ids):
        self.calls.append(("staff", tuple(sorted(user_ids))))
        return {i: self.staff_rows[i] for i in user_ids if i in self.staff_rows}

    def client(self, client_id):
        self.calls.append(("client", client_id))
        if client_id not in self.clients:
            raise NotFound(f"client {client_id} does not exist", {"client_id": "not found"})
        base = {
            "id": client_id,
            "first_name": None,
            "last_name": f"Client {client_id}",
            "active": True,
            "saturday_only": False,
            "inactive_date": None,
            "organization_id": None,
        }
        return {**base, **self.clients[client_id]}

    def credit_on_account(self, client_id):
        self.calls.append(("credit", client_id))
        return self.credit.get(client_id, 0)

    def check_price_items(self, item_ids):
        for index, item_id in enumerate(item_ids):
            if item_id not in self.items:
                raise NotFound(
                    f"price-list item {item_id} does not exist", {f"price_item_ids.{index}": "not found"}
                )

    def soon(self, fn, *args):
        return _Done(fn, args)
