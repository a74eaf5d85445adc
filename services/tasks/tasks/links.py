"""Checks of what a task points at in other services: its assignee and its client.

Domain functions take a ``links`` object with ``staff_exists(user_id)`` and
``client_exists(client_id)``, so they can be tested without a broker (see
:class:`FixedLinks`); the service passes :class:`ClusterLinks`.

Sessions and invoices are **not** checked: the scheduling and invoicing services that own
them do not answer yet, so ``session_id`` and ``invoice_id`` are stored as given (a
positive integer). Those services ask ``tasks.session_references`` /
``tasks.invoice_references`` before deleting a record, so a link is never left pointing at
a record that was deleted while open tasks held it; checking the ids on write is to be
added here once the services exist.
"""
from proofsheet_shared.errors import NotFound


class ClusterLinks:
    """Asks the staff and clients services, as the caller (their permissions apply:
    linking a client needs ``clients.read``). ``trust_clients`` skips the client check, for
    tasks created by other services, whose client ids come from their own records and
    whose calls carry no user permissions."""

    def __init__(self, cluster, trust_clients=False):
        self.cluster = cluster
        self.trust_clients = trust_clients

    def staff_exists(self, user_id):
        return bool(self.cluster.staff.staff_exists(user_id))

    def client_exists(self, client_id):
        if self.trust_clients:
            return True
        return bool(self.cluster.clients.get_clients([client_id]))


class FixedLinks:
    """Known staff and client ids, for tests and tools."""

    def __init__(self, staff_ids=(), client_ids=()):
        self.staff_ids = set(staff_ids)
        self.client_ids = set(client_ids)
        self.calls = []

    def staff_exists(self, user_id):
        self.calls.append(("staff", user_id))
        return user_id in self.staff_ids

    def client_exists(self, client_id):
        self.calls.append(("client", client_id))
        return client_id in self.client_ids


def require_assignee(links, user_id, field="assignee_id"):
    if user_id is not None and not links.staff_exists(user_id):
        raise NotFound(f"there is no active staff user {user_id}", {field: f"no active staff user {user_id}"})


def require_client(links, client_id, field="client_id"):
    if client_id is not None and not links.client_exists(client_id):
        raise NotFound(f"client {client_id} does not exist", {field: f"no client {client_id}"})
